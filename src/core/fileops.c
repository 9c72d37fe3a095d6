/* fileops.c - `file` events: path operations resolved to absolute paths
 * (against the task's cwd or the *at call's directory fd), reads/writes
 * merged per fd into one event per consecutive run with sampled content,
 * and the runtime-noise class of each (the `runtime` field: the loader,
 * locale data, module loading, /proc/self; docs/events.md). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "engine_int.h"
#include "../lib/util.h"

#define AT_FDCWD_ (-100)
#define AT_REMOVEDIR_ 0x200
#define O_CREAT_ 0100
#define O_TMPFILE_ 020200000
#define O_CLOEXEC_ 02000000

/* Resolve rel (rlen bytes, not NUL terminated) for pid against dfd. When the
 * base directory is unknown the path is returned as given (still relative)
 * and 1 is returned so the caller can flag it; 0 when absolute. */
int adi_resolve_at(struct adi_engine *e, uint32_t pid, int dfd, const char *rel,
		   size_t rlen, char *out, size_t outsz)
{
	char r[ADI_PATH_BUF];
	const char *base = NULL;
	struct adi_proc *p;

	if (rlen >= sizeof(r))
		rlen = sizeof(r) - 1;
	memcpy(r, rel ? rel : "", rlen);
	r[rlen] = 0;
	if (r[0] == '/')
		return adi_path_join("/", r, out, outsz) ? 1 : 0;
	if (dfd == AT_FDCWD_) {
		p = adi_proc_get(e, pid);
		base = p ? p->cwd : NULL;
	} else {
		struct adi_fd *f = adi_fd_get(e, pid, dfd);

		base = f ? f->path : NULL;
	}
	if (base && base[0] == '/' && !adi_path_join(base, r, out, outsz))
		return 0;
	snprintf(out, outsz, "%s", r);
	return 1;
}

/* A file event's fields before they are written, in the order of
 * docs/events.md: what an operation knows is filled in, the rest is null. */
struct fev {
	const char *op;
	const char *path;        /* NULL: null */
	const uint8_t *path_raw; /* instead: bytes as they were (a symlink's target) */
	size_t path_raw_len;
	const char *new_path;
	bool unresolved;         /* a path is relative: its base was unknown */
	bool has_fd, has_bytes;  /* else null */
	int64_t fd;
	const char *flags;
	bool has_mode;
	uint32_t mode;
	int64_t uid, gid;        /* -1: null */
	int64_t bytes;
	int64_t ops;             /* -1: null */
	bool has_content;
	const uint8_t *content;
	size_t clen;
	bool content_partial;
	int64_t ret;             /* < 0: the error */
	struct adi_fd *of;       /* the fd the event is about, when path is its
				  * path: its runtime class is kept there */
	const char *runtime;     /* the class whatever the path, or NULL */
};

static void fev_init(struct fev *v, const char *op)
{
	memset(v, 0, sizeof(*v));
	v->op = op;
	v->uid = v->gid = v->ops = -1;
}

/* ---- runtime noise (docs/events.md, `runtime`) ---- */

static bool has_prefix(const char *s, const char *pre)
{
	return !strncmp(s, pre, strlen(pre));
}

static bool ends_with(const char *s, size_t n, const char *suf)
{
	size_t l = strlen(suf);

	return n >= l && !memcmp(s + n - l, suf, l);
}

/* A shared object's name: "x.so", or "x.so." and a version of digits and
 * dots ("libc.so.6", "libpcre2-8.so.0.11.2"). */
static bool is_shared_object(const char *base, size_t n)
{
	const char *so;

	if (ends_with(base, n, ".so"))
		return true;
	for (so = strstr(base, ".so."); so; so = strstr(so + 1, ".so.")) {
		const char *v = so + 4;

		while (*v && ((*v >= '0' && *v <= '9') || *v == '.'))
			v++;
		if (!*v && v > so + 4)
			return true;
	}
	return false;
}

/* The class of runtime noise path belongs to, or NULL: what the dynamic
 * loader, the C library's locale and time zone code, an interpreter
 * loading its modules, or a runtime reading its own /proc entry does on
 * the program's behalf. pid: the process (its own /proc/<pid>/ counts as
 * /proc/self/). The rule is docs/events.md's; keep them together. */
static const char *runtime_class(const char *path, uint32_t pid)
{
	static const char *const loader[] = {
		"/etc/ld.so.cache", "/etc/ld.so.preload", "/etc/ld.so.conf",
	};
	static const char *const locale[] = {
		"/usr/lib/locale/", "/usr/share/locale/", "/usr/share/locale-langpack/",
		"/usr/share/i18n/", "/usr/share/zoneinfo/", "/etc/localtime",
		"/usr/lib/locale", /* the directory itself, probed first */
	};
	static const char *const module_dirs[] = {
		"/usr/share/perl", "/usr/lib/x86_64-linux-gnu/perl", "/usr/lib/aarch64-linux-gnu/perl",
		"/etc/perl/", "/usr/lib/ruby/", "/usr/share/rubygems",
	};
	static const char *const module_parts[] = {
		"/node_modules/", "/__pycache__", "/site-packages", "/dist-packages",
	};
	/* what Python probes for next to its binary as it starts */
	static const char *const python_start[] = {
		"pyvenv.cfg", "pybuilddir.txt", "._pth",
	};
	const char *py;
	const char *base;
	size_t n, bl;

	if (!path || !*path)
		return NULL;
	n = strlen(path);
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	bl = (size_t)(path + n - base);
	for (size_t i = 0; i < sizeof(loader) / sizeof(loader[0]); i++)
		if (has_prefix(path, loader[i]))
			return "loader";
	if (is_shared_object(base, bl) || strstr(path, "/glibc-hwcaps/"))
		return "loader";
	for (size_t i = 0; i < sizeof(locale) / sizeof(locale[0]); i++)
		if (has_prefix(path, locale[i]))
			return "locale";
	if (strstr(path, "/gconv/") || ends_with(path, n, "/gconv"))
		return "locale";
	if (ends_with(base, bl, ".pyc"))
		return "module";
	for (size_t i = 0; i < sizeof(python_start) / sizeof(python_start[0]); i++)
		if (ends_with(base, bl, python_start[i]))
			return "module";
	/* a Python's library wherever it is installed: /usr/lib/python3.11,
	 * /usr/local/lib/python3.11, a venv's or pyenv's lib/python3.11 */
	for (py = strstr(path, "/lib/python"); py; py = strstr(py + 1, "/lib/python"))
		if (py[11] >= '2' && py[11] <= '3')
			return "module";
	if (has_prefix(path, "/usr/lib64/python"))
		return "module";
	for (size_t i = 0; i < sizeof(module_dirs) / sizeof(module_dirs[0]); i++)
		if (has_prefix(path, module_dirs[i]))
			return "module";
	for (size_t i = 0; i < sizeof(module_parts) / sizeof(module_parts[0]); i++)
		if (strstr(path, module_parts[i]))
			return "module";
	if (has_prefix(path, "/proc/self/") || has_prefix(path, "/proc/thread-self/") ||
	    has_prefix(path, "/sys/devices/system/cpu/"))
		return "proc";
	if (has_prefix(path, "/proc/")) {
		char own[32];

		snprintf(own, sizeof(own), "/proc/%u/", pid);
		if (has_prefix(path, own))
			return "proc";
	}
	return NULL;
}

/* runtime_class through the engine's cache (one slot per hash; a
 * /proc/ path depends on the pid and is not kept). */
static const char *runtime_class_cached(struct adi_engine *e, const char *path, uint32_t pid)
{
	struct adi_rt_slot *sl;
	uint64_t h = 1469598103934665603ull;
	const char *cls;
	char *copy;

	if (!path || !*path || !strncmp(path, "/proc/", 6))
		return runtime_class(path, pid);
	for (const unsigned char *c = (const unsigned char *)path; *c; c++)
		h = (h ^ *c) * 1099511628211ull;
	sl = &e->rt_cache[h % ADI_RT_CACHE];
	if (sl->path && sl->hash == h && !strcmp(sl->path, path))
		return sl->cls;
	cls = runtime_class(path, pid);
	if ((copy = strdup(path))) {
		free(sl->path);
		*sl = (struct adi_rt_slot){ h, copy, cls };
	}
	return cls;
}

/* The members of a file event, with their keys as literals (ADI_JW_LIT):
 * the schema is fixed, and a key written through adi_jw_key cost more than
 * most values. Each key's place and length are kept as it goes (FKEY) and
 * noted in the member index at once, only when a sink reads it (file
 * events are the most frequent kind). KINT_IF: the member k (`,"name":`)
 * as v when has, else null. */
#define FKEY_AT(w, k)                                                    \
	(kl[na] = (uint32_t)(sizeof(k) - 4 - (("" k)[0] == ',')),        \
	 at[na++] = (uint32_t)(w)->len + (("" k)[0] == ','))
#define FKEY(w, k) (FKEY_AT(w, k), ADI_JW_LIT(w, k))
#define KINT_IF(w, k, has, v)                            \
	do {                                             \
		FKEY_AT(w, k);                           \
		if (has) {                               \
			ADI_JW_LIT(w, k);                \
			adi_jw_int(w, (v));              \
		} else {                                 \
			ADI_JW_LIT(w, k "null");         \
		}                                        \
	} while (0)
/* the fixed members: op, path, fd, new_path, flags, mode, uid, gid,
 * bytes, ops, content, error */
#define FILE_FIXED 12

/* Write v as a `file` event of who at ts (duration -1: null). */
static void file_event(struct adi_engine *e, const struct adi_raw_fixed *who,
		       const struct fev *v, uint64_t ts, int64_t duration)
{
	struct adi_jw *w = adi_ev_begin(e);
	const char *cls;
	char b[24];
	uint32_t at[FILE_FIXED], kl[FILE_FIXED];
	unsigned na = 0;

	FKEY(w, "\"op\":");
	adi_jw_str(w, v->op);
	FKEY(w, ",\"path\":");
	if (v->path_raw)
		adi_jw_bytes(w, v->path_raw, v->path_raw_len);
	else
		adi_jw_str(w, v->path);
	KINT_IF(w, ",\"fd\":", v->has_fd, v->fd);
	FKEY(w, ",\"new_path\":");
	adi_jw_str(w, v->new_path);
	FKEY(w, ",\"flags\":");
	adi_jw_str(w, v->flags);
	FKEY(w, ",\"mode\":");
	adi_jw_str(w, v->has_mode ? adi_mode_str(v->mode, b, sizeof(b)) : NULL);
	KINT_IF(w, ",\"uid\":", v->uid >= 0, v->uid);
	KINT_IF(w, ",\"gid\":", v->gid >= 0, v->gid);
	KINT_IF(w, ",\"bytes\":", v->has_bytes, v->bytes);
	KINT_IF(w, ",\"ops\":", v->ops >= 0, v->ops);
	FKEY(w, ",\"content\":");
	if (v->has_content)
		adi_jw_bytes(w, v->content, v->clen);
	else
		ADI_JW_LIT(w, "null");
	FKEY(w, ",\"error\":");
	adi_jw_str(w, v->ret < 0 ? adi_errno_name(adi_err_of(v->ret), b, sizeof(b)) : NULL);
	if (e->pcfg.member_index)
		for (unsigned i = 0; i < na; i++)
			adi_jw_note_member(w, at[i], kl[i]);
	if (v->unresolved) /* never pass a guess off as an absolute path */
		adi_jw_kbool(w, "path_unresolved", true);
	if (v->content_partial)
		adi_jw_kbool(w, "content_partial", true);
	if (v->runtime) {
		cls = v->runtime;
	} else if (v->of && v->path == v->of->path) {
		/* an fd's reads, writes and close name the same path: its
		 * class is worked out once (every request of a server that
		 * serves a file would repeat it) */
		if (!v->of->runtime_known) {
			v->of->runtime = runtime_class_cached(e, v->path, who->pid);
			v->of->runtime_known = true;
		}
		cls = v->of->runtime;
	} else {
		cls = runtime_class_cached(e, v->path_raw ? NULL : v->path, who->pid);
	}
	/* a shell without a controlling terminal probing for one (bash at
	 * every start): the environment, not the program */
	if (!cls && v->ret == -ENXIO && v->path && !strcmp(v->path, "/dev/tty"))
		cls = "tty";
	if (cls)
		adi_jw_kstr(w, "runtime", cls);
	adi_ev_commit(e, "file", ts, duration, who->pid, who->tid, who->comm, who->cgroup_id);
}

/* Rename moves a path: open fds naming it, or anything below it when it is
 * a directory, now name the new one. */
static void rename_fds(struct adi_engine *e, const char *from, const char *to)
{
	size_t fl = strlen(from);
	uint64_t k;
	void *v;

	for (size_t it = 0; adi_map_next(&e->fds, &it, &k, &v);) {
		struct adi_fd *f = v;
		char buf[ADI_PATH_BUF];
		char *np;

		if (!f->path || strncmp(f->path, from, fl) ||
		    (f->path[fl] != 0 && f->path[fl] != '/'))
			continue;
		if (snprintf(buf, sizeof(buf), "%s%s", to, f->path + fl) >= (int)sizeof(buf))
			continue;
		if ((np = strdup(buf))) {
			free(f->path);
			f->path = np;
			f->runtime_known = false;
		}
	}
}

void adi_file_path_event(struct adi_engine *e, const struct adi_raw_event *ev)
{
	const struct adi_raw_fixed *f = &ev->f;
	char p1[ADI_PATH_BUF], p2[ADI_PATH_BUF];
	int r1 = 0, r2 = 0;
	const char *op = NULL;
	struct fev v;
	struct adi_proc *p = adi_proc_get(e, f->pid);
	struct adi_fd *fd = NULL, *nf = NULL;
	bool ok = f->ret >= 0;

	p1[0] = p2[0] = 0;
	if (f->path_len)
		r1 = adi_resolve_at(e, f->pid, f->dfd, ev->path, f->path_len, p1, sizeof(p1));
	if (f->path2_len)
		r2 = adi_resolve_at(e, f->pid, f->dfd2, ev->path2, f->path2_len, p2, sizeof(p2));

	switch (f->op) {
	case ADI_OP_OPEN: case ADI_OP_OPENAT: case ADI_OP_OPENAT2: case ADI_OP_CREAT:
		op = "open";
		break;
	case ADI_OP_UNLINK: op = "unlink"; break;
	case ADI_OP_UNLINKAT: op = f->oflags & AT_REMOVEDIR_ ? "rmdir" : "unlink"; break;
	case ADI_OP_RENAME: case ADI_OP_RENAMEAT: case ADI_OP_RENAMEAT2: op = "rename"; break;
	case ADI_OP_MKDIR: case ADI_OP_MKDIRAT: op = "mkdir"; break;
	case ADI_OP_RMDIR: op = "rmdir"; break;
	case ADI_OP_TRUNCATE: case ADI_OP_FTRUNCATE: op = "truncate"; break;
	case ADI_OP_CHMOD: case ADI_OP_FCHMOD: case ADI_OP_FCHMODAT: op = "chmod"; break;
	case ADI_OP_CHOWN: case ADI_OP_FCHOWN: case ADI_OP_LCHOWN: case ADI_OP_FCHOWNAT:
		op = "chown";
		break;
	case ADI_OP_LINK: case ADI_OP_LINKAT: op = "link"; break;
	case ADI_OP_SYMLINK: case ADI_OP_SYMLINKAT: op = "symlink"; break;
	case ADI_OP_CHDIR:
		if (ok && p && !r1 && p1[0]) {
			free(p->cwd);
			p->cwd = strdup(p1);
		}
		return;
	case ADI_OP_FCHDIR:
		fd = adi_fd_get(e, f->pid, f->fd);
		if (ok && p && fd && fd->path) {
			char *c = strdup(fd->path);

			if (c) {
				free(p->cwd);
				p->cwd = c;
			}
		}
		return;
	default:
		return;
	}
	/* the f* forms name an fd: take its path, and they end its run of
	 * reads or writes (another operation on the fd) */
	if (f->op == ADI_OP_FTRUNCATE || f->op == ADI_OP_FCHMOD || f->op == ADI_OP_FCHOWN) {
		fd = adi_fd_get(e, f->pid, f->fd);
		if (fd && fd->agg.active)
			adi_file_agg_flush(e, fd);
		if (fd && fd->path)
			snprintf(p1, sizeof(p1), "%s", fd->path);
		else
			r1 = 1;
	}

	if (p) { /* another operation: it ends the process's merged runs */
		p->act_ts = f->ts_ns;
		p->act_gen = 0;
	}
	if (!strcmp(op, "open") && ok && p) {
		/* a successful open installs the fd even with --no-fs */
		nf = adi_fd_install(e, p, (int)f->ret, f->fd_kind ? f->fd_kind : ADI_FD_REG,
				    r1 ? NULL : p1, f->ts_ns);

		if (nf) {
			nf->ino = f->ino;
			nf->cloexec = f->oflags & O_CLOEXEC_;
			nf->from_open = true;
			if (r1 && !nf->path)
				nf->path = strdup(p1);
		}
	}
	if (!strcmp(op, "rename") && ok && !r1 && !r2)
		rename_fds(e, p1, p2);
	if (e->o.no_fs)
		return;
	fev_init(&v, op);
	if (f->op == ADI_OP_SYMLINK || f->op == ADI_OP_SYMLINKAT) {
		/* the target is stored verbatim: it is not resolved by us */
		v.path_raw = (const uint8_t *)ev->path;
		v.path_raw_len = f->path_len;
		v.new_path = p2;
		v.unresolved = r2;
	} else {
		if (p1[0] || f->path_len) {
			v.path = p1;
			v.unresolved = r1;
		}
		if (f->path2_len) {
			v.new_path = p2;
			v.unresolved |= r2;
		}
	}
	if (!strcmp(op, "open")) {
		if (!e->oflags_memo.set || e->oflags_memo.flags != f->oflags) {
			adi_open_flags_str(f->oflags, e->oflags_memo.str, sizeof(e->oflags_memo.str));
			e->oflags_memo.flags = f->oflags;
			e->oflags_memo.set = true;
		}
		v.flags = e->oflags_memo.str;
		/* the new fd's own path: its runtime class, worked out for this
		 * event, is kept for its reads, writes and close */
		if (nf && nf->path && !v.unresolved && v.path && !strcmp(nf->path, v.path)) {
			v.path = nf->path;
			v.of = nf;
		}
		if (ok) {
			v.has_fd = true;
			v.fd = f->ret;
			if (f->ino) {
				v.has_mode = true;
				v.mode = f->mode & 07777;
				v.uid = f->uid;
				v.gid = f->gid;
			}
		} else if (f->oflags & (O_CREAT_ | O_TMPFILE_)) {
			v.has_mode = true;
			v.mode = f->mode; /* the mode it asked for */
		}
	} else if (!strcmp(op, "mkdir") || !strcmp(op, "chmod")) {
		v.has_mode = true;
		v.mode = f->mode;
	} else if (!strcmp(op, "chown")) {
		if (f->uid != UINT32_MAX)
			v.uid = f->uid;
		if (f->gid != UINT32_MAX)
			v.gid = f->gid;
	} else if (!strcmp(op, "truncate")) {
		v.has_bytes = true;
		v.bytes = f->length;
	}
	if (f->fd >= 0 && strcmp(op, "open") &&
	    (f->op == ADI_OP_FTRUNCATE || f->op == ADI_OP_FCHMOD || f->op == ADI_OP_FCHOWN)) {
		v.has_fd = true;
		v.fd = f->fd;
	}
	v.ret = f->ret;
	file_event(e, f, &v, f->ts_ns, -1);
}

static void agg_link(struct adi_engine *e, struct adi_fd *f)
{
	f->anext = e->aggs;
	f->aprev = NULL;
	if (e->aggs)
		e->aggs->aprev = f;
	e->aggs = f;
}

static void agg_unlink(struct adi_engine *e, struct adi_fd *f)
{
	if (f->aprev)
		f->aprev->anext = f->anext;
	else if (e->aggs == f)
		e->aggs = f->anext;
	if (f->anext)
		f->anext->aprev = f->aprev;
	f->anext = f->aprev = NULL;
}

/* Write the merged run of f as one event and end it. */
void adi_file_agg_flush(struct adi_engine *e, struct adi_fd *f)
{
	struct adi_fagg *a = &f->agg;
	struct adi_raw_fixed who = { 0 };
	struct fev v;

	if (!a->active)
		return;
	agg_unlink(e, f);
	a->active = false;
	who.pid = f->pid;
	who.tid = a->tid;
	memcpy(who.comm, a->comm, sizeof(who.comm));
	who.cgroup_id = a->cgroup_id;
	fev_init(&v, a->write ? "write" : "read");
	v.path = f->path;
	v.of = f;
	v.has_fd = true;
	v.fd = f->fd;
	v.has_mode = true;
	v.mode = a->mode & 07777;
	v.uid = a->uid;
	v.gid = a->gid;
	v.has_bytes = true;
	v.bytes = (int64_t)a->bytes;
	v.ops = a->ops;
	v.has_content = true;
	v.content = a->content;
	v.clen = a->clen;
	v.content_partial = a->content_gap;
	file_event(e, &who, &v, a->ts, (int64_t)(a->last_ts - a->ts));
	free(a->content);
	a->content = NULL;
	a->clen = 0;
}

void adi_file_io(struct adi_engine *e, struct adi_fd *f, const struct adi_raw_event *ev)
{
	const struct adi_raw_fixed *r = &ev->f;
	struct adi_fagg *a = &f->agg;
	bool write = r->dir == ADI_DIR_OUT;
	struct adi_proc *p;
	uint32_t room;

	f->used = true;
	if (r->ret < 0) {
		/* a failed read/write is its own event, with its errno */
		struct fev v;

		adi_file_agg_flush(e, f);
		fev_init(&v, write ? "write" : "read");
		v.path = f->path;
		v.of = f;
		v.has_fd = true;
		v.fd = f->fd;
		v.has_bytes = true;
		v.bytes = 0;
		v.ops = 1;
		v.ret = r->ret;
		file_event(e, r, &v, r->ts_ns, -1);
		return;
	}
	p = adi_proc_get(e, f->pid);
	if (a->active && a->write != write)
		adi_file_agg_flush(e, f);
	/* the process did something else since the run's last call, and the
	 * run paused for longer than ADI_RUN_SPLIT_NS: a new run */
	if (a->active && p && p->act_ts > a->last_ts && p->act_gen != f->gen &&
	    r->ts_ns - a->last_ts > ADI_RUN_SPLIT_NS)
		adi_file_agg_flush(e, f);
	if (p) {
		p->act_ts = r->ts_ns;
		p->act_gen = f->gen;
	}
	if (!a->active) {
		memset(a, 0, sizeof(*a));
		a->active = true;
		a->write = write;
		a->ts = r->ts_ns;
		a->tid = r->tid;
		memcpy(a->comm, r->comm, sizeof(a->comm));
		a->cgroup_id = r->cgroup_id;
		agg_link(e, f);
	}
	a->last_ts = r->ts_ns;
	a->bytes += r->size;
	a->ops++;
	a->uid = r->uid;
	a->gid = r->gid;
	a->mode = r->mode;
	room = e->o.content_bytes > a->clen ? e->o.content_bytes - a->clen : 0;
	if (room && r->size) {
		/* content is the start of the run: stop at the first call whose
		 * bytes we could not see, so the sample stays contiguous */
		if ((r->flags & ADI_RAW_NOPAYLOAD) || !ev->data || r->data_len == 0) {
			a->content_gap = true;
		} else if (!a->content_gap) {
			uint32_t n = r->data_len < room ? r->data_len : room;
			uint8_t *p = realloc(a->content, a->clen + n);

			if (p) {
				memcpy(p + a->clen, ev->data, n);
				a->content = p;
				a->clen += n;
			}
			/* a hole in the sample, not merely past it (the
			 * kernel copies a file's calls only up to it) */
			if (r->data_len < r->size && r->data_len < room)
				a->content_gap = true;
		}
	}
}

void adi_file_close_event(struct adi_engine *e, struct adi_fd *f, uint64_t ts,
			  const struct adi_raw_fixed *why)
{
	struct adi_raw_fixed who = { 0 };
	struct adi_proc *p = adi_proc_get(e, f->pid);
	struct fev v;

	if (why) {
		who = *why;
	} else {
		who.pid = f->pid;
		who.tid = f->pid;
		if (p) {
			memcpy(who.comm, p->comm, sizeof(who.comm));
			who.cgroup_id = p->cgroup_id;
		}
	}
	who.pid = f->pid;
	fev_init(&v, "close");
	v.path = f->path;
	v.of = f;
	/* most programs close their standard streams as they exit (coreutils'
	 * close_stdout), and a shell closes them around each redirection:
	 * every process of `run -- make > log` did */
	if (adi_fd_is_stdio(f))
		v.runtime = "stdio";
	/* a forked child closing what it inherited and never used: a shell's
	 * subshells each close the script bash keeps open as fd 255 */
	else if (f->inherited && !f->used)
		v.runtime = "inherited";
	v.has_fd = true;
	v.fd = f->fd;
	file_event(e, &who, &v, ts, -1);
}
