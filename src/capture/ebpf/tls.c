/* tls.c - the eBPF backend's TLS library hooks (tls.h, docs/tls.md).
 *
 * A file is looked at once (by device and inode): its ELF symbols must
 * include SSL_read and SSL_write. Then, per direction, the probes sit
 *  - on the exported functions' first instruction when the kernel emulates
 *    it (push %rbp in node: about 1 us per hit),
 *  - else on the internal function both SSL_x and SSL_x_ex call first
 *    (ssl_read_internal / ssl_write_internal in OpenSSL 1.1.1 and 3.x, which
 *    take (ssl, buf, size_t num, size_t *done) and begin with a push),
 *  - else on the exported entries, single-stepped (15-30 us per hit on the
 *    target VM): said once on stderr.
 * An entry probe and a return probe share each site. SSL_do_handshake
 * teaches the session's socket, SSL_free forgets it, BIO_write (of the
 * library's libcrypto) keeps the start of what a memory BIO receives.
 * Uprobes are per file: every process mapping it, traced or not, pays the
 * hit; the programs return at once for untraced ones.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tls.h"
#include "x86.h"
#include "../../lib/util.h"
#include "adi.skel.h"

#define FILES_MAX 4096          /* files looked at, remembered */
#define LATER_MAX 256           /* delayed looks at processes' maps */
#define CODE_PEEK 64            /* bytes of a function read to choose a site */
#define ALL_PIDS -1
#define PEND_MAX 32             /* sites of one file waiting for their links */

/* The symbols looked up in a candidate file. */
enum sym {
	S_READ, S_READ_EX, S_WRITE, S_WRITE_EX, S_HANDSHAKE, S_FREE, S_BIO_WRITE, S__N,
};
static const char *const sym_names[S__N] = {
	"SSL_read", "SSL_read_ex", "SSL_write", "SSL_write_ex", "SSL_do_handshake",
	"SSL_free", "BIO_write",
};

struct seen_file {
	dev_t dev;
	ino_t ino;
};

struct later {
	uint32_t pid;
	uint64_t due;           /* CLOCK_MONOTONIC ns */
};

/* A BIO_write probe waiting for a memory-BIO session to need it. */
struct bio_site {
	char path[4096];
	uint64_t off;           /* file offset */
};

struct adi_tls_hooks {
	struct adi_bpf *skel;
	struct adi_engine *eng;
	bool off;
	struct bio_site *bio;   /* libcrypto sites not attached yet */
	size_t nbio;
	struct seen_file files[FILES_MAX];
	size_t nfiles;
	struct adi_ebpf_link *links; /* a libbpf link per site, or a multi link's fd */
	size_t nlinks, caplinks;
	bool multi;             /* uprobe_multi links (adi_tls_multi_prepare) */
	struct pend {
		struct bpf_program *prog;
		bool ret;
		unsigned long off;
	} pend[PEND_MAX];
	size_t npend;
	struct later later[LATER_MAX];
	size_t nlater;
};

/* An ELF file open for reading symbols and code. */
struct img {
	int fd;
	Elf *e;
	uint64_t sym[S__N];     /* vaddr, 0 when absent */
};

/* ---- the ELF file ---- */

static int img_open(struct img *im, const char *path)
{
	memset(im, 0, sizeof(*im));
	im->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (im->fd < 0)
		return -errno;
	im->e = elf_begin(im->fd, ELF_C_READ_MMAP, NULL);
	if (!im->e || elf_kind(im->e) != ELF_K_ELF) {
		if (im->e)
			elf_end(im->e);
		close(im->fd);
		return -ENOEXEC;
	}
	return 0;
}

static void img_close(struct img *im)
{
	elf_end(im->e);
	close(im->fd);
}

/* Defined functions named in sym_names, from .dynsym and .symtab. */
static void img_symbols(struct img *im)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(im->e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_DYNSYM && sh.sh_type != SHT_SYMTAB) ||
		    !sh.sh_entsize || !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym s;
			const char *name;

			if (!gelf_getsym(d, (int)i, &s) || GELF_ST_TYPE(s.st_info) != STT_FUNC ||
			    s.st_shndx == SHN_UNDEF || !s.st_value)
				continue;
			name = elf_strptr(im->e, sh.sh_link, s.st_name);
			if (!name || (name[0] != 'S' && name[0] != 'B'))
				continue;
			for (int k = 0; k < S__N; k++)
				if (!im->sym[k] && !strcmp(name, sym_names[k]))
					im->sym[k] = s.st_value;
		}
	}
}

/* The file offset of vaddr (in a loaded segment's file bytes), or -1. */
static int64_t img_offset(struct img *im, uint64_t vaddr)
{
	size_t n = 0;

	if (elf_getphdrnum(im->e, &n))
		return -1;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(im->e, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (vaddr >= ph.p_vaddr && vaddr < ph.p_vaddr + ph.p_filesz)
			return (int64_t)(vaddr - ph.p_vaddr + ph.p_offset);
	}
	return -1;
}

/* Up to CODE_PEEK bytes of code at vaddr; how many, 0 when unreadable. */
static size_t img_code(struct img *im, uint64_t vaddr, uint8_t *buf)
{
	int64_t off = img_offset(im, vaddr);
	ssize_t k;

	if (off < 0)
		return 0;
	k = pread(im->fd, buf, CODE_PEEK, off);
	return k > 0 ? (size_t)k : 0;
}

/* The GNU build id, in hex ("" when there is none). */
static void img_build_id(struct img *im, char *out, size_t cap)
{
	Elf_Scn *scn = NULL;

	out[0] = '\0';
	while ((scn = elf_nextscn(im->e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		GElf_Nhdr nh;
		size_t off = 0, noff, doff;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE || !(d = elf_getdata(scn, NULL)))
			continue;
		while ((off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
			const uint8_t *id = (const uint8_t *)d->d_buf + doff;

			if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
			    memcmp((const char *)d->d_buf + noff, "GNU", 4))
				continue;
			for (size_t i = 0; i < nh.n_descsz && 2 * i + 2 < cap; i++)
				snprintf(out + 2 * i, 3, "%02x", id[i]);
			return;
		}
	}
}

/* OpenSSL's version text ("OpenSSL 3.0.19 27 Jan 2026"), from .rodata. */
static void img_version(struct img *im, char *out, size_t cap)
{
	Elf_Scn *scn = NULL;
	size_t shstr;

	out[0] = '\0';
	if (elf_getshdrstrndx(im->e, &shstr))
		return;
	while ((scn = elf_nextscn(im->e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		const char *name, *p, *end;

		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(im->e, shstr, sh.sh_name)) ||
		    strcmp(name, ".rodata") || !(d = elf_getdata(scn, NULL)) || !d->d_buf)
			continue;
		p = d->d_buf;
		end = p + d->d_size;
		while (p < end && (p = memmem(p, (size_t)(end - p), "OpenSSL ", 8))) {
			size_t k = 0;

			if (p + 9 < end && p[8] >= '0' && p[8] <= '9' && (p == d->d_buf || !p[-1])) {
				while (p + k < end && p[k] && k + 1 < cap)
					k++;
				memcpy(out, p, k);
				out[k] = '\0';
				return;
			}
			p += 8;
		}
	}
}

/* ---- where a probe sits ---- */

/* The site of a probe at the entry of the function at vaddr: its first
 * instruction, or the one after endbr64 (the stack is still the entry's,
 * so a return probe works there too). *cheap: the kernel emulates it. */
static bool entry_site(struct img *im, uint64_t vaddr, uint64_t *site, bool *cheap)
{
	uint8_t c[CODE_PEEK];
	size_t n = img_code(im, vaddr, c), at = 0, len;

	if (!n)
		return false;
	len = adi_x86_len(c, n);
	if (adi_x86_endbr64(c, len)) {
		at = len;
		len = adi_x86_len(c + at, n - at);
	}
	*site = vaddr + at;
	*cheap = adi_x86_emulated(c + at, len);
	return true;
}

/* A site for an entry-only probe that reads the arguments: the first
 * emulated instruction after nothing but argument-preserving ones. */
static bool arg_site(struct img *im, uint64_t vaddr, uint64_t *site)
{
	uint8_t c[CODE_PEEK];
	size_t n = img_code(im, vaddr, c), at = 0;

	while (at < n && at < 32) {
		size_t len = adi_x86_len(c + at, n - at);

		if (!len)
			return false;
		if (adi_x86_emulated(c + at, len)) {
			*site = vaddr + at;
			return true;
		}
		if (!adi_x86_keeps_args(c + at, len))
			return false;
		at += len;
	}
	return false;
}

/* The target of the function's first direct call (before any return or
 * jump), and whether %rcx was pointed into the stack before it (the int
 * wrappers pass &done there: the internal function takes 4 arguments). */
static bool inner_call(struct img *im, uint64_t vaddr, uint64_t *target, bool *rcx_stack)
{
	uint8_t c[CODE_PEEK];
	size_t n = img_code(im, vaddr, c), at = 0;

	*rcx_stack = false;
	while (at < n) {
		size_t len = adi_x86_len(c + at, n - at);
		const uint8_t *p = c + at;

		if (!len || p[0] == 0xc3 || p[0] == 0xe9 || p[0] == 0xeb)
			return false;
		if (adi_x86_call_target(p, len, vaddr + at, target))
			return true;
		/* mov %rsp,%rcx; lea d8(%rsp),%rcx; lea (%rsp),%rcx */
		if ((len == 3 && !memcmp(p, "\x48\x89\xe1", 3)) ||
		    (len == 5 && !memcmp(p, "\x48\x8d\x4c\x24", 4)) ||
		    (len == 4 && !memcmp(p, "\x48\x8d\x0c\x24", 4)))
			*rcx_stack = true;
		at += len;
	}
	return false;
}

/* One direction's probes: up to two sites, each with its argument form. */
struct plan {
	int how;                /* enum adi_tls_probes, 0: none */
	int n;
	uint64_t site[2];
	bool ex[2];             /* (ssl, buf, size_t, size_t *) */
};

/* Where the probes of SSL_x (int form, vaddr fi) and SSL_x_ex (fe) go;
 * either may be 0 (absent). */
static void plan_dir(struct img *im, uint64_t fi, uint64_t fe, struct plan *pl)
{
	uint64_t si = 0, se = 0, ti = 0, te = 0, t, st;
	bool ci = true, ce = true, rcx = false, rcx_e, cheap, force;

	memset(pl, 0, sizeof(*pl));
	if ((fi && !entry_site(im, fi, &si, &ci)) || (fe && !entry_site(im, fe, &se, &ce)) ||
	    (!fi && !fe))
		return;
	/* bench hook (bench/tls.sh): the exported entries, as the fallback
	 * would, to measure what the cheap sites save */
	force = getenv("ADI_TLS_PROBES") && !strcmp(getenv("ADI_TLS_PROBES"), "stepped");
	if (ci && ce && !force) {
		pl->how = ADI_TLS_PROBES_ENTRY;
	} else if (!force && (!fi || (inner_call(im, fi, &ti, &rcx) && rcx)) &&
		   (!fe || inner_call(im, fe, &te, &rcx_e)) && (!fi || !fe || ti == te) &&
		   entry_site(im, (t = fi ? ti : te), &st, &cheap) && cheap) {
		pl->how = ADI_TLS_PROBES_INNER;
		pl->n = 1;
		pl->site[0] = st;
		pl->ex[0] = true;
		return;
	} else {
		pl->how = ci && ce ? ADI_TLS_PROBES_ENTRY : ADI_TLS_PROBES_STEPPED;
	}
	if (fi) {
		pl->site[pl->n] = si;
		pl->ex[pl->n++] = false;
	}
	if (fe) {
		pl->site[pl->n] = se;
		pl->ex[pl->n++] = true;
	}
}

/* ---- attaching ---- */

/* Keep a link (a libbpf one, or else a multi link's fd); when there is
 * no memory for it, it is detached at once. */
static bool keep(struct adi_tls_hooks *h, struct bpf_link *l, int fd)
{
	struct adi_ebpf_link k = { l, l ? -1 : fd };

	if (h->nlinks == h->caplinks) {
		size_t cap = h->caplinks ? h->caplinks * 2 : 32;
		struct adi_ebpf_link *nl = realloc(h->links, cap * sizeof(*nl));

		if (!nl) {
			adi_ebpf_link_destroy(&k);
			return false;
		}
		h->links = nl;
		h->caplinks = cap;
	}
	h->links[h->nlinks++] = k;
	return true;
}

/* ---- uprobe_multi links (Linux 6.6) ----
 * One link per program and file instead of one perf event per site. A
 * perf-event uprobe is attached and detached under the kernel's
 * event_mutex, and each detach holds it through a grace period (~100 ms
 * here): a trace ending with a dozen of them kept the next trace's
 * attaches waiting for a second or more. A multi link takes no such lock
 * and its detach waits one grace period for all its sites. The system's
 * linux/bpf.h and libbpf 1.1 predate it: the attribute is spelled out. */
#define ADI_TRACE_UPROBE_MULTI 48u
#define ADI_F_UPROBE_MULTI_RETURN 1u

union multi_attr {
	struct {
		__u32 prog_fd, target_fd, attach_type, flags;
		__u64 path, offsets, ref_ctr_offsets, cookies;
		__u32 cnt, mflags, pid;
	} lc;
	union bpf_attr whole; /* the size the kernel is given, zeroed */
};

static int multi_link(int prog_fd, const char *path, const unsigned long *offs, __u32 cnt,
		      bool ret)
{
	union multi_attr a;

	memset(&a, 0, sizeof(a));
	a.lc.prog_fd = (__u32)prog_fd;
	a.lc.attach_type = ADI_TRACE_UPROBE_MULTI;
	a.lc.path = (__u64)(uintptr_t)path;
	a.lc.offsets = (__u64)(uintptr_t)offs;
	a.lc.cnt = cnt;
	a.lc.mflags = ret ? ADI_F_UPROBE_MULTI_RETURN : 0;
	return (int)syscall(SYS_bpf, BPF_LINK_CREATE, &a, sizeof(a));
}

/* libbpf's own test: a program of that attach type loads, and a link on
 * "/" (a directory) fails with EBADF, not EINVAL. */
static bool multi_supported(void)
{
	const char *no = getenv("ADI_NO_UPROBE_MULTI");
	struct bpf_insn insns[2] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, po, .expected_attach_type = ADI_TRACE_UPROBE_MULTI);
	unsigned long off = 0;
	int pfd, lfd, err;

	if (no && !strcmp(no, "1"))
		return false; /* test hook: the per-site path of older kernels */
	pfd = bpf_prog_load(BPF_PROG_TYPE_KPROBE, NULL, "GPL", insns, 2, &po);
	if (pfd < 0)
		return false;
	lfd = multi_link(pfd, "/", &off, 1, false);
	err = errno;
	if (lfd >= 0)
		close(lfd);
	close(pfd);
	return lfd < 0 && err == EBADF;
}

bool adi_tls_multi_prepare(struct adi_bpf *skel)
{
	struct bpf_program *p;

	if (!multi_supported())
		return false;
	bpf_object__for_each_program(p, skel->obj) {
		const char *sec = bpf_program__section_name(p);

		if (!strncmp(sec, "uprobe", 6) || !strncmp(sec, "uretprobe", 9))
			bpf_program__set_expected_attach_type(p, ADI_TRACE_UPROBE_MULTI);
	}
	return true;
}

/* The pending sites of path, one link per (program, direction); false
 * (and a warning) when the kernel refused one. */
static bool flush(struct adi_tls_hooks *h, const char *path)
{
	unsigned long offs[PEND_MAX];
	bool done[PEND_MAX] = { false }, ok = true;

	for (size_t i = 0; i < h->npend; i++) {
		__u32 n = 0;
		int fd;

		if (done[i])
			continue;
		for (size_t j = i; j < h->npend; j++) {
			bool dup = false;

			if (done[j] || h->pend[j].prog != h->pend[i].prog ||
			    h->pend[j].ret != h->pend[i].ret)
				continue;
			done[j] = true;
			for (__u32 k = 0; k < n; k++)
				dup |= offs[k] == h->pend[j].off;
			if (!dup)
				offs[n++] = h->pend[j].off;
		}
		fd = multi_link(bpf_program__fd(h->pend[i].prog), path, offs, n, h->pend[i].ret);
		if (fd < 0 || !keep(h, NULL, fd)) {
			if (ok)
				fprintf(stderr, "adi-profiler: warning: cannot hook %s for TLS "
					"plaintext: %s\n", path, strerror(fd < 0 ? errno : ENOMEM));
			ok = false;
		}
	}
	h->npend = 0;
	return ok;
}

/* prog on path at vaddr (a return probe when ret); with multi links the
 * site waits for flush(). */
static bool attach(struct adi_tls_hooks *h, struct img *im, struct bpf_program *prog,
		   const char *path, uint64_t vaddr, bool ret)
{
	LIBBPF_OPTS(bpf_uprobe_opts, o, .retprobe = ret);
	int64_t off = img_offset(im, vaddr);
	struct bpf_link *l;

	if (off < 0)
		return false;
	if (h->multi) {
		if (h->npend == PEND_MAX)
			return false;
		h->pend[h->npend++] = (struct pend){ prog, ret, (unsigned long)off };
		return true;
	}
	l = bpf_program__attach_uprobe_opts(prog, ALL_PIDS, path, (size_t)off, &o);
	return l && keep(h, l, -1);
}

/* The libcrypto beside a libssl (libssl.so.3 -> libcrypto.so.3 in the same
 * directory), open with its symbols; false when path is no libssl or it
 * has none. */
static bool sibling_crypto(const char *path, struct img *ci, char *cpath, size_t cap)
{
	const char *base = strrchr(path, '/'), *so;

	base = base ? base + 1 : path;
	so = strstr(base, "libssl");
	if (!so || snprintf(cpath, cap, "%.*slibcrypto%s", (int)(so - path), path, so + 6) >=
			   (int)cap || img_open(ci, cpath))
		return false;
	img_symbols(ci);
	return true;
}

/* BIO_write of the library's libcrypto, or of the file itself (node):
 * where the memory BIO's ciphertext head is read. Only at a cheap site: it
 * runs for every BIO_write of every process that maps the file. A file
 * exporting both APIs is hooked at once (its users are the processes that
 * link OpenSSL in, node); a libcrypto only once a memory-BIO session shows
 * up (adi_tls_hooks_event), so the many users of the system's OpenSSL that
 * write to sockets do not pay a third probe hit per SSL_write. */
static void hook_bio(struct adi_tls_hooks *h, struct img *im, const char *path)
{
	char cpath[4096];
	struct bio_site *nb;
	struct img ci;
	uint64_t site;
	int64_t off;

	if (im->sym[S_BIO_WRITE]) {
		if (arg_site(im, im->sym[S_BIO_WRITE], &site))
			attach(h, im, h->skel->progs.handle_bio_write, path, site, false);
		return;
	}
	if (!sibling_crypto(path, &ci, cpath, sizeof(cpath)))
		return;
	if (ci.sym[S_BIO_WRITE] && arg_site(&ci, ci.sym[S_BIO_WRITE], &site) &&
	    (off = img_offset(&ci, site)) >= 0 &&
	    (nb = realloc(h->bio, (h->nbio + 1) * sizeof(*nb)))) {
		h->bio = nb;
		snprintf(nb[h->nbio].path, sizeof(nb[h->nbio].path), "%s", cpath);
		nb[h->nbio++].off = (uint64_t)off;
	}
	img_close(&ci);
}

/* A session without a socket was seen: the deferred BIO_write probes go
 * in (its next SSL_write carries the head that ties it). */
static void hook_bio_now(struct adi_tls_hooks *h)
{
	for (size_t i = 0; i < h->nbio; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, o);
		struct bpf_program *p = h->skel->progs.handle_bio_write;
		struct bpf_link *l;

		if (h->multi) {
			h->npend = 0;
			h->pend[h->npend++] = (struct pend){ p, false, (unsigned long)h->bio[i].off };
			flush(h, h->bio[i].path);
		} else if ((l = bpf_program__attach_uprobe_opts(p, ALL_PIDS, h->bio[i].path,
								h->bio[i].off, &o))) {
			keep(h, l, -1);
		}
	}
	free(h->bio);
	h->bio = NULL;
	h->nbio = 0;
}

/* Both directions, the handshake and SSL_free; returns the probe kind
 * (the dearer of the two directions') and the functions hooked. */
static int hook_file(struct adi_tls_hooks *h, struct img *im, const char *path, int *nfunc)
{
	struct bpf_program *in_i = h->skel->progs.handle_ssl_read_enter;
	struct bpf_program *in_e = h->skel->progs.handle_ssl_read_ex_enter;
	struct bpf_program *out_i = h->skel->progs.handle_ssl_write_enter;
	struct bpf_program *out_e = h->skel->progs.handle_ssl_write_ex_enter;
	struct bpf_program *ret = h->skel->progs.handle_ssl_return;
	struct plan rd, wr;
	uint64_t site;
	bool cheap;
	int how;

	*nfunc = 0;
	plan_dir(im, im->sym[S_READ], im->sym[S_READ_EX], &rd);
	plan_dir(im, im->sym[S_WRITE], im->sym[S_WRITE_EX], &wr);
	if (!rd.how || !wr.how)
		return 0;
	for (int i = 0; i < rd.n; i++)
		if (attach(h, im, rd.ex[i] ? in_e : in_i, path, rd.site[i], false) &&
		    attach(h, im, ret, path, rd.site[i], true))
			++*nfunc;
	for (int i = 0; i < wr.n; i++)
		if (attach(h, im, wr.ex[i] ? out_e : out_i, path, wr.site[i], false) &&
		    attach(h, im, ret, path, wr.site[i], true))
			++*nfunc;
	if (!*nfunc) {
		h->npend = 0;
		return 0;
	}
	if (im->sym[S_HANDSHAKE] && entry_site(im, im->sym[S_HANDSHAKE], &site, &cheap) &&
	    attach(h, im, h->skel->progs.handle_ssl_handshake_enter, path, site, false))
		attach(h, im, ret, path, site, true);
	if (im->sym[S_FREE] && (arg_site(im, im->sym[S_FREE], &site) ||
				entry_site(im, im->sym[S_FREE], &site, &cheap)))
		attach(h, im, h->skel->progs.handle_ssl_free, path, site, false);
	hook_bio(h, im, path);
	if (h->multi && !flush(h, path))
		return 0;
	h->skel->bss->ssl_hooks_on = true;
	how = rd.how > wr.how ? rd.how : wr.how;
	return how;
}

/* Tell the engine (saved with the trace, for replay). */
static void meta(struct adi_tls_hooks *h, enum adi_meta_op op, uint32_t pid, int arg, int arg2,
		 const char *path, const char *path2, const char *data)
{
	struct adi_raw_event m = { 0 };

	m.f.family = ADI_RAW_META;
	m.f.op = op;
	m.f.ts_ns = adi_now_wall();
	m.f.pid = m.f.tid = pid;
	m.f.fd = m.f.fd2 = -1;
	m.f.arg = arg;
	m.f.arg2 = arg2;
	if (path) {
		m.path = path;
		m.f.path_len = strlen(path);
	}
	if (path2) {
		m.path2 = path2;
		m.f.path2_len = strlen(path2);
	}
	if (data) {
		m.data = (const uint8_t *)data;
		m.f.data_len = strlen(data);
	}
	adi_engine_feed(h->eng, &m);
}

/* Look at the file at path (shown as `shown`, the name the process knows
 * it by) once; hook it when it carries OpenSSL's API. */
static void look(struct adi_tls_hooks *h, const char *path, const char *shown, uint32_t pid)
{
	char bid[65], ver[64];
	struct stat st;
	struct img im;
	int how, nfunc;

	if (h->off || stat(path, &st) || !S_ISREG(st.st_mode))
		return;
	for (size_t i = 0; i < h->nfiles; i++)
		if (h->files[i].dev == st.st_dev && h->files[i].ino == st.st_ino)
			return;
	if (h->nfiles < FILES_MAX)
		h->files[h->nfiles++] = (struct seen_file){ st.st_dev, st.st_ino };
	if (img_open(&im, path))
		return;
	img_symbols(&im);
	if ((!im.sym[S_READ] && !im.sym[S_READ_EX]) || (!im.sym[S_WRITE] && !im.sym[S_WRITE_EX])) {
		img_close(&im);
		return; /* not OpenSSL's API (NSS's libssl3.so has other names) */
	}
	how = hook_file(h, &im, path, &nfunc);
	img_build_id(&im, bid, sizeof(bid));
	img_version(&im, ver, sizeof(ver));
	img_close(&im);
	if (!ver[0]) { /* libssl keeps none: its libcrypto does */
		char cpath[4096];
		struct img ci;

		if (sibling_crypto(path, &ci, cpath, sizeof(cpath))) {
			img_version(&ci, ver, sizeof(ver));
			img_close(&ci);
		}
	}
	if (!how)
		return;
	if (how == ADI_TLS_PROBES_STEPPED)
		fprintf(stderr, "adi-profiler: warning: %s: no probe site the kernel emulates for "
			"SSL_read/SSL_write; using their entry (single-stepped, 15-30 us per call)\n",
			shown);
	meta(h, ADI_META_TLS_LIB, pid, how, nfunc, shown, bid, ver);
}

/* ---- finding files ---- */

struct adi_tls_hooks *adi_tls_hooks_new(struct adi_bpf *skel, struct adi_engine *eng, bool off,
				       bool multi)
{
	struct adi_tls_hooks *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	elf_version(EV_CURRENT);
	h->skel = skel;
	h->eng = eng;
	h->off = off;
	h->multi = multi;
	return h;
}

struct adi_ebpf_link *adi_tls_hooks_take_links(struct adi_tls_hooks *h, size_t *n)
{
	struct adi_ebpf_link *v = h->links;

	*n = h->nlinks;
	h->links = NULL;
	h->nlinks = h->caplinks = 0;
	return v;
}

void adi_tls_hooks_free(struct adi_tls_hooks *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->nlinks; i++)
		adi_ebpf_link_destroy(&h->links[i]);
	free(h->links);
	free(h->bio);
	free(h);
}

void adi_tls_hooks_start(struct adi_tls_hooks *h)
{
	static const char *const dirs[] = {
		"/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/lib64",
		"/usr/lib", "/lib", "/usr/local/lib", "/usr/local/lib64",
	};
	static const char *const names[] = { "libssl.so.3", "libssl.so.1.1", "libssl.so" };
	char path[256];

	if (h->off) {
		meta(h, ADI_META_TLS_STATE, 0, ADI_TLS_CAPTURE_OFF, 0,
		     "plaintext capture is off (--no-tls-plaintext)", NULL, NULL);
		return;
	}
	meta(h, ADI_META_TLS_STATE, 0, ADI_TLS_CAPTURE_ON, 0, NULL, NULL, NULL);
	for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++)
		for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
			snprintf(path, sizeof(path), "%s/%s", dirs[d], names[k]);
			look(h, path, path, 0);
		}
}

void adi_tls_hooks_command(struct adi_tls_hooks *h, const char *cmd)
{
	const char *pathv = getenv("PATH");
	char path[4096];

	if (h->off || !cmd || !*cmd)
		return;
	if (strchr(cmd, '/')) {
		look(h, cmd, cmd, 0);
		return;
	}
	while (pathv && *pathv) {
		const char *colon = strchr(pathv, ':');
		size_t k = colon ? (size_t)(colon - pathv) : strlen(pathv);

		if (snprintf(path, sizeof(path), "%.*s/%s", (int)k, k ? pathv : ".", cmd) <
			    (int)sizeof(path) && !access(path, X_OK)) {
			look(h, path, path, 0);
			return;
		}
		pathv = colon ? colon + 1 : NULL;
	}
}

void adi_tls_hooks_scan_pid(struct adi_tls_hooks *h, uint32_t pid)
{
	char mp[64], line[4608], path[4200];
	FILE *f;

	if (h->off)
		return;
	snprintf(mp, sizeof(mp), "/proc/%u/maps", pid);
	f = fopen(mp, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char perms[8];
		const char *file;
		int at = 0;

		/* start-end perms offset dev inode   path */
		if (sscanf(line, "%*s %7s %*s %*s %*s %n", perms, &at) != 1 || !at)
			continue;
		file = line + at;
		while (*file == ' ')
			file++;
		if (perms[2] != 'x' || *file != '/')
			continue;
		file = strtok((char *)file, "\n");
		if (!file || strstr(file, " (deleted)"))
			continue;
		/* through the process's root: its mount namespace (containers) */
		snprintf(path, sizeof(path), "/proc/%u/root%s", pid, file);
		look(h, path, file, pid);
	}
	fclose(f);
}

static void later(struct adi_tls_hooks *h, uint32_t pid, uint64_t in_ns)
{
	if (h->nlater < LATER_MAX)
		h->later[h->nlater++] = (struct later){ pid, adi_now_mono() + in_ns };
}

/* s[0..n) holds the three bytes t: by hand, as memmem's set-up costs more
 * than a file name's few bytes (every open of a traced program asks). */
static bool has3(const char *s, size_t n, const char *t)
{
	for (size_t i = 0; i + 3 <= n; i++)
		if (s[i] == t[0] && s[i + 1] == t[1] && s[i + 2] == t[2])
			return true;
	return false;
}

/* A path an open named looks like an SSL library file ("libssl.so.3",
 * "libssl-1a2b3c.so.1.1" in a Python wheel). */
static bool ssl_lib_name(const char *p, size_t n)
{
	const char *base = p;

	for (size_t i = 0; i < n; i++)
		if (p[i] == '/')
			base = p + i + 1;
	n -= (size_t)(base - p);
	return has3(base, n, "ssl") && has3(base, n, ".so");
}

/* An exec, or an open of what looks like an SSL library: look at the file
 * (out of line, with its path buffers, so that every other record, which
 * adi_tls_hooks_event sees too, does not set up 8 KiB of stack). */
static __attribute__((noinline)) void hooks_look(struct adi_tls_hooks *h,
						  const struct adi_raw_event *ev)
{
	const struct adi_raw_fixed *f = &ev->f;
	char path[4200], shown[4096];

	if (f->family == ADI_RAW_PROC && f->op == ADI_OP_EXEC) {
		int k = (int)(f->path2_len < sizeof(shown) - 1 ? f->path2_len : sizeof(shown) - 1);

		snprintf(shown, sizeof(shown), "%.*s", k, ev->path2 ? ev->path2 : "");
		snprintf(path, sizeof(path), "/proc/%u/exe", f->pid);
		look(h, path, shown[0] ? shown : path, f->pid);
		/* libraries under other names (OpenSSL linked into another
		 * shared object) show in its maps once loaded */
		later(h, f->pid, 300000000ull);
		later(h, f->pid, 2000000000ull);
		return;
	}
	snprintf(shown, sizeof(shown), "%.*s", (int)(f->path_len < 4095 ? f->path_len : 4095),
		 ev->path);
	/* the very file while the loader holds it open; else by its name */
	snprintf(path, sizeof(path), "/proc/%u/fd/%lld", f->pid, (long long)f->ret);
	look(h, path, shown, f->pid);
	if (shown[0] == '/') {
		snprintf(path, sizeof(path), "/proc/%u/root%s", f->pid, shown);
		look(h, path, shown, f->pid);
	}
}

void adi_tls_hooks_event(struct adi_tls_hooks *h, const struct adi_raw_event *ev)
{
	const struct adi_raw_fixed *f = &ev->f;

	if (h->off)
		return;
	if (f->family == ADI_RAW_TLS && f->fd < 0 && h->nbio) {
		hook_bio_now(h);
		return;
	}
	if ((f->family == ADI_RAW_PROC && f->op == ADI_OP_EXEC) ||
	    (f->family == ADI_RAW_PATH && f->ret >= 0 && ev->path &&
	     (f->op == ADI_OP_OPEN || f->op == ADI_OP_OPENAT || f->op == ADI_OP_OPENAT2) &&
	     ssl_lib_name(ev->path, f->path_len)))
		hooks_look(h, ev);
}

void adi_tls_hooks_tick(struct adi_tls_hooks *h)
{
	uint64_t now;

	if (!h->nlater)
		return;
	now = adi_now_mono();
	for (size_t i = 0; i < h->nlater;) {
		if (h->later[i].due > now) {
			i++;
			continue;
		}
		adi_tls_hooks_scan_pid(h, h->later[i].pid);
		h->later[i] = h->later[--h->nlater];
	}
}
