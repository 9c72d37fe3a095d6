/* pt_decode.c - a traced syscall -> the record the eBPF programs would
 * have written for it (abi/adi_abi.h), built from the saved arguments, the
 * result, the tracee's memory (process_vm_readv) and /proc, then normalized
 * by the eBPF backend's own normalizer. Mirrors bpf/io.bpf.h, files.bpf.h
 * and sockets.bpf.h case by case, so both backends emit the same events.
 * What differs: sockets are described through a duplicate of the tracee's
 * fd (pidfd_getfd: family, type, protocol, both addresses), and no TCP
 * sequence number is known (ADI_RAW_HAS_SEQ is never set: the engine then
 * takes the calls it sees as the whole stream, which under ptrace they
 * are, unless another, untraced process shares the socket). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include "pt_int.h"
#include "../normalize.h"
#include "../../lib/util.h"

#define PAGE 4096u
/* half the engine's ADI_SKEW_NS (1 ms): see io_emit */
#define ADI_PT_SEND_STAMP_NS 500000ull

static void fill_hdr(struct adi_rec_hdr *h, uint16_t type, uint16_t op,
		     const struct pt_task *t)
{
	h->type = type;
	h->op = op;
	h->size = 0;
	h->ts = adi_now_wall(); /* wall clock already: normalized with offset 0 */
	h->pid = (uint32_t)t->tgid;
	h->tid = (uint32_t)t->tid;
	h->cgroup_id = t->cgroup_id;
	memcpy(h->comm, t->comm, sizeof(h->comm));
}

/* Hand one finished record to the engine, through the eBPF normalizer.
 * produced = delivered + dropped (a record the normalizer refuses would
 * be our bug: it is counted, never silently lost). */
static void emit(struct adi_pt *b, uint32_t size)
{
	struct adi_raw_event ev;

	((struct adi_rec_hdr *)b->rec)->size = size;
	b->produced++;
	if (adi_normalize_record(b->rec, size, 0, &ev)) {
		b->dropped++;
		return;
	}
	b->delivered++;
	adi_engine_feed(b->eng, &ev);
}

/* Read len bytes of tid's memory at addr into buf: split at page
 * boundaries, so an unmapped page ends the copy there instead of failing
 * it all. Returns the bytes read. */
static size_t mem_read(pid_t tid, uint64_t addr, void *buf, size_t len)
{
	struct iovec loc, rem[12];
	size_t done = 0;

	if (!addr || !len)
		return 0;
	while (done < len) {
		int k = 0;
		size_t chunk = 0;
		ssize_t n;

		while (k < 12 && done + chunk < len) {
			uint64_t a = addr + done + chunk;
			size_t l = PAGE - (a & (PAGE - 1));

			if (l > len - done - chunk)
				l = len - done - chunk;
			rem[k].iov_base = (void *)(uintptr_t)a;
			rem[k++].iov_len = l;
			chunk += l;
		}
		loc.iov_base = (char *)buf + done;
		loc.iov_len = chunk;
		n = process_vm_readv(tid, &loc, 1, rem, k, 0);
		if (n <= 0)
			break;
		done += (size_t)n;
		if ((size_t)n < chunk)
			break;
	}
	return done;
}

/* A NUL terminated string of at most ADI_PATH_MAX bytes (NUL included)
 * into buf (not terminated there). Returns its length; *flags |= trunc when
 * no NUL came within the cap, as bpf_probe_read_user_str reports it. */
static uint16_t read_str(pid_t tid, uint64_t addr, uint8_t *buf, uint32_t *flags,
			 uint32_t trunc)
{
	size_t n = mem_read(tid, addr, buf, ADI_PATH_MAX);
	uint8_t *z = memchr(buf, 0, n);

	if (!n)
		return 0;
	if (z)
		return (uint16_t)(z - buf);
	if (n == ADI_PATH_MAX)
		*flags |= trunc;
	return (uint16_t)(n > 0 ? n - 1 : 0);
}

static int pidfd_of(struct adi_pt *b, pid_t tgid)
{
	void *v = adi_map_get(&b->pidfds, (uint64_t)tgid);
	int fd;

	if (v)
		return (int)(intptr_t)v - 1;
	fd = (int)syscall(SYS_pidfd_open, tgid, 0);
	if (fd < 0)
		return -1;
	if (adi_map_put(&b->pidfds, (uint64_t)tgid, (void *)(intptr_t)(fd + 1))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A duplicate of the tracee's fd in this process (close it), or -1. */
static int grab_fd(struct adi_pt *b, const struct pt_task *t, int fd)
{
	int pfd = pidfd_of(b, t->tgid);

	if (pfd < 0)
		return -1;
	return (int)syscall(SYS_pidfd_getfd, pfd, fd, 0);
}

static void sa_to(const struct sockaddr_storage *ss, uint16_t *port, uint8_t *addr)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)ss;

		*port = ntohs(a->sin_port);
		memcpy(addr, &a->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)ss;

		*port = ntohs(a->sin6_port);
		memcpy(addr, &a->sin6_addr, 16);
	}
}

/* Family, type, protocol and both ends of the socket the tracee has at fd,
 * as the eBPF side reads them from struct sock. */
static void sock_describe(struct adi_pt *b, const struct pt_task *t, int fd,
			  struct adi_sockinfo *sk)
{
	struct sockaddr_storage ss;
	socklen_t l;
	int v, me = grab_fd(b, t, fd);

	if (me < 0)
		return;
	l = sizeof(v);
	if (!getsockopt(me, SOL_SOCKET, SO_DOMAIN, &v, &l))
		sk->family = (uint16_t)v;
	l = sizeof(v);
	if (!getsockopt(me, SOL_SOCKET, SO_TYPE, &v, &l))
		sk->type = (uint16_t)v;
	l = sizeof(v);
	if (!getsockopt(me, SOL_SOCKET, SO_PROTOCOL, &v, &l))
		sk->protocol = (uint16_t)v;
	if (sk->family == AF_INET || sk->family == AF_INET6) {
		l = sizeof(ss);
		memset(&ss, 0, sizeof(ss));
		if (!getsockname(me, (struct sockaddr *)&ss, &l))
			sa_to(&ss, &sk->lport, sk->laddr);
		l = sizeof(ss);
		memset(&ss, 0, sizeof(ss));
		if (!getpeername(me, (struct sockaddr *)&ss, &l))
			sa_to(&ss, &sk->rport, sk->raddr);
	}
	close(me);
}

void adi_pt_forget_fd(struct adi_pt *b, pid_t tgid, int fd)
{
	size_t it = 0;
	uint64_t k;
	void *v;

	if (fd >= 0) {
		free(adi_map_del(&b->socks, (uint64_t)(uint32_t)tgid << 32 | (uint32_t)fd));
		return;
	}
	/* -1: all of tgid's; -2: everything */
	while (adi_map_next(&b->socks, &it, &k, &v)) {
		if (fd == -2 || (pid_t)(k >> 32) == tgid) {
			adi_map_del(&b->socks, k);
			free(v);
		}
	}
}

/* fd's inode (and for a socket, its identity) in the tracee, as
 * fd_describe() in bpf/common.bpf.h. Returns true for a socket. The first
 * use of an fd stats /proc/TID/fd/N; later ones use the cache. */
static bool fd_describe(struct adi_pt *b, const struct pt_task *t, int fd,
			struct adi_fdinfo *fi, struct adi_sockinfo *sk)
{
	uint64_t key = (uint64_t)(uint32_t)t->tgid << 32 | (uint32_t)fd;
	struct pt_fd *c;
	char p[64];
	struct stat st;

	memset(fi, 0, sizeof(*fi));
	if (sk)
		memset(sk, 0, sizeof(*sk));
	if (fd < 0)
		return false;
	c = adi_map_get(&b->socks, key);
	if (!c) {
		snprintf(p, sizeof(p), "/proc/%d/fd/%d", t->tid, fd);
		if (stat(p, &st))
			return false;
		if (b->socks.len >= ADI_PT_MAX_SOCKS) {
			adi_pt_forget_fd(b, 0, -2);
			b->sock_flushes++;
		}
		c = calloc(1, sizeof(*c));
		if (c && adi_map_put(&b->socks, key, c)) {
			free(c);
			c = NULL;
		}
		fi->ino = st.st_ino;
		fi->mode = (uint16_t)st.st_mode;
		fi->uid = st.st_uid;
		fi->gid = st.st_gid;
		fi->kind = adi_mode_kind(st.st_mode);
		if (c)
			c->fi = *fi;
	} else {
		*fi = c->fi;
	}
	if (fi->kind != ADI_FD_SOCK || !sk)
		return false;
	if (c && c->sk_ok) {
		*sk = c->sk;
	} else {
		sock_describe(b, t, fd, sk);
		/* what cannot change any more is kept: a unix socket's kind,
		 * a connected inet socket's ends */
		if (c && (sk->family == AF_UNIX || sk->rport)) {
			c->sk = *sk;
			c->sk_ok = true;
		}
	}
	return sk->family != 0;
}

static uint32_t cap_of(const struct adi_pt *b)
{
	return b->o.capture_bytes > ADI_CAP_MAX ? ADI_CAP_MAX : b->o.capture_bytes;
}

/* ---- bytes through an fd (bpf/io.bpf.h) ---- */

enum io_src { SRC_NONE, SRC_BUF, SRC_IOV };

/* Where a call keeps a datagram's peer in the tracee (bpf/io.bpf.h's
 * struct dg_peer): the sockaddr and its length, a value or (len_at) the
 * address of the length the kernel wrote; recvmsg's msg_flags. */
struct dg_peer {
	uint64_t addr, len;
	bool len_at;
	uint32_t msg_flags;
	bool peek;        /* a receive with MSG_PEEK: nothing consumed */
};

/* A unix datagram socket's own bound name (getsockname on a duplicate),
 * cached once it has one. Returns its length in buf (0: unnamed). */
static uint16_t unix_name(struct adi_pt *b, const struct pt_task *t, int fd, uint8_t *buf)
{
	struct pt_fd *c = adi_map_get(&b->socks, (uint64_t)(uint32_t)t->tgid << 32 | (uint32_t)fd);
	struct sockaddr_storage ss;
	socklen_t l = sizeof(ss);
	uint16_t n = 0;
	int me;

	if (c && c->name_ok) {
		memcpy(buf, c->name, c->name_len);
		return c->name_len;
	}
	me = grab_fd(b, t, fd);
	if (me < 0)
		return 0;
	if (!getsockname(me, (struct sockaddr *)&ss, &l) && l > sizeof(sa_family_t)) {
		n = l < ADI_SOCKADDR_MAX ? (uint16_t)l : ADI_SOCKADDR_MAX;
		memcpy(buf, &ss, n);
		if (c) {
			memcpy(c->name, buf, n);
			c->name_len = n;
			c->name_ok = true;
		}
	}
	close(me);
	return n;
}

/* The datagram's addresses after its payload at tail (bpf/io.bpf.h's
 * dg_addrs): the peer the call named, then a unix socket's own name. */
static uint32_t dg_addrs(struct adi_pt *b, const struct pt_task *t, int fd,
			 struct adi_rec_io *r, uint8_t *tail, const struct dg_peer *pr)
{
	uint32_t al = 0;

	if (pr && pr->addr) {
		uint64_t len = pr->len;

		if (pr->len_at) {
			uint32_t l = 0;

			mem_read(t->tid, pr->len, &l, sizeof(l));
			len = l;
		}
		if (len > ADI_SOCKADDR_MAX)
			len = ADI_SOCKADDR_MAX;
		al = (uint32_t)mem_read(t->tid, pr->addr, tail, len);
	}
	r->addr_len = (uint16_t)al;
	r->name_len = r->sk.family == AF_UNIX ? unix_name(b, t, fd, tail + al) : 0;
	return al + r->name_len;
}

/* Bytes [off, off + len) of a call's payload into data: from the buffer at
 * ptr, or across the k iovecs iov. Returns the bytes read (fewer when the
 * tracee's memory ends early). */
static size_t payload_read(pid_t tid, int src, uint64_t ptr, const struct iovec *iov,
			   size_t k, uint64_t off, uint8_t *data, size_t len)
{
	size_t n = 0;

	if (src == SRC_BUF)
		return mem_read(tid, ptr + off, data, len);
	for (size_t i = 0; i < k && n < len; i++) {
		uint64_t il = iov[i].iov_len, l, got;

		if (off >= il) {
			off -= il;
			continue;
		}
		l = il - off < len - n ? il - off : len - n;
		got = mem_read(tid, (uint64_t)(uintptr_t)iov[i].iov_base + off, data + n, l);
		n += got;
		if (got < l)
			break;
		off = 0;
	}
	return n;
}

/* A stream socket's call, handed over whole as bpf/io.bpf.h does: up to
 * --capture-bytes of it in consecutive records of at most ADI_CAP_MAX
 * payload bytes (the later ones ADI_F_CONT), each standing for its own
 * bytes; the last one also for what the limit left out (then truncated).
 * r is the call's record, header filled. */
static void io_pieces(struct adi_pt *b, const struct pt_task *t, struct adi_rec_io *r,
		      int src, uint64_t ptr, uint64_t cnt, uint64_t avail, uint64_t size)
{
	uint8_t *data = b->rec + sizeof(*r);
	uint64_t want = avail < b->o.capture_bytes ? avail : b->o.capture_bytes, done = 0;
	struct iovec few[ADI_IOV_MAX], *iov = few;
	size_t k = 0;
	bool last = false;

	if (src == SRC_IOV) {
		k = cnt < ADI_IOV_STREAM_MAX ? cnt : ADI_IOV_STREAM_MAX;
		if (k > ADI_IOV_MAX && !(iov = malloc(k * sizeof(*iov)))) {
			iov = few; /* out of memory: the first ones only */
			k = ADI_IOV_MAX;
		}
		k = mem_read(t->tid, ptr, iov, k * sizeof(iov[0])) / sizeof(iov[0]);
	}
	while (!last) {
		size_t len = want - done < ADI_CAP_MAX ? want - done : ADI_CAP_MAX;
		size_t n = payload_read(t->tid, src, ptr, iov, k, done, data, len);

		last = done + n >= want || n < len;
		r->flags &= ~(ADI_F_TRUNC | ADI_F_CONT);
		if (done)
			r->flags |= ADI_F_CONT;
		if (last && done + n < avail) {
			r->flags |= ADI_F_TRUNC;
			b->truncated++;
		}
		r->size = last ? size - done : n;
		r->cap_len = (uint32_t)n;
		emit(b, sizeof(*r) + n);
		done += n;
	}
	if (iov != few)
		free(iov);
}

/* One IO record -- or, for a stream socket, as many as its bytes take
 * (io_pieces). For SRC_BUF, cnt (when not 0) is the buffer's length:
 * recvfrom(MSG_TRUNC) returns more than it holds. pr: the datagram peer's
 * whereabouts (NULL: the call names none). */
static void io_emit(struct adi_pt *b, const struct pt_task *t, int64_t ret, uint16_t op,
		    int fd, bool out, int src, uint64_t ptr, uint64_t cnt, uint64_t size,
		    uint32_t msg_index, const struct dg_peer *pr)
{
	struct adi_rec_io *r = (struct adi_rec_io *)b->rec;
	uint8_t *data = b->rec + sizeof(*r);
	uint32_t cap = cap_of(b), n = 0, tail = 0;
	uint64_t avail = size;
	bool sample;

	memset(r, 0, sizeof(*r));
	fd_describe(b, t, fd, &r->fi, &r->sk);
	/* bytes to terminals, pipes, /dev/null, eventfds are not reported
	 * (failed calls still are: their errno matters) */
	if (r->fi.kind != ADI_FD_SOCK && r->fi.kind != ADI_FD_REG &&
	    r->fi.kind != ADI_FD_BLK && r->fi.kind != ADI_FD_UNKNOWN && ret >= 0)
		return;
	if (r->fi.kind == ADI_FD_SOCK ? b->o.no_net : b->o.no_fs)
		return;
	fill_hdr(&r->h, ADI_REC_IO, op, t);
	/* bytes sent on a socket are stamped when the call began: the tracer
	 * takes the stops of several threads in waitpid's order, not the
	 * kernel's, so the answer to a send (read by another thread) could be
	 * stamped before it. A send that blocked longer than half the
	 * timeline's hold (engine.md) keeps its exit stamp, so it is not
	 * written out of order. */
	if (out && r->fi.kind == ADI_FD_SOCK && r->h.ts - t->entry_ts < ADI_PT_SEND_STAMP_NS)
		r->h.ts = t->entry_ts;
	r->ret = ret;
	r->size = size;
	r->fd = fd;
	r->flags = out ? ADI_F_OUT : 0;
	r->msg_index = msg_index;
	/* a file's bytes are only sampled (bpf/io.bpf.h): cut to the sample,
	 * which is not a loss */
	sample = r->fi.kind == ADI_FD_REG || r->fi.kind == ADI_FD_BLK;
	if (sample && b->o.content_bytes < cap)
		cap = b->o.content_bytes;
	/* a datagram longer than the receiver's buffer: what it got is all
	 * there is to copy, and that is not a capture loss */
	if (src == SRC_BUF && cnt && cnt < size) {
		avail = cnt;
		r->flags |= ADI_F_MSG_TRUNC;
	}
	if (pr && (pr->msg_flags & MSG_TRUNC))
		r->flags |= ADI_F_MSG_TRUNC;
	if (pr && pr->peek)
		r->flags |= ADI_F_PEEK;
	/* a stream's bytes are decoded: the whole call (with --capture-bytes
	 * 0, sizes only, the one record below) */
	if (r->fi.kind == ADI_FD_SOCK && r->sk.type == SOCK_STREAM && src != SRC_NONE &&
	    b->o.capture_bytes && avail) {
		io_pieces(b, t, r, src, ptr, cnt, avail, size);
		return;
	}
	if (src == SRC_BUF) {
		n = (uint32_t)mem_read(t->tid, ptr, data, avail < cap ? avail : cap);
	} else if (src == SRC_IOV) {
		struct iovec iov[ADI_IOV_MAX];
		size_t k = cnt < ADI_IOV_MAX ? cnt : ADI_IOV_MAX;

		k = mem_read(t->tid, ptr, iov, k * sizeof(iov[0])) / sizeof(iov[0]);
		for (size_t i = 0; i < k && n < cap && n < size; i++) {
			uint64_t len = iov[i].iov_len, got;

			if (len > size - n)
				len = size - n;
			if (len > cap - n)
				len = cap - n;
			got = mem_read(t->tid, (uint64_t)(uintptr_t)iov[i].iov_base, data + n, len);
			n += (uint32_t)got;
			if (got < len)
				break;
		}
	}
	/* with --capture-bytes 0 (sizes only) nothing is "cut" */
	if (src != SRC_NONE && n < avail && cap_of(b) && !sample) {
		r->flags |= ADI_F_TRUNC;
		b->truncated++;
	}
	if (r->fi.kind == ADI_FD_SOCK && r->sk.type == SOCK_DGRAM)
		tail = dg_addrs(b, t, fd, r, data + n, pr);
	r->cap_len = n;
	emit(b, sizeof(*r) + n + tail);
}

static void io_msg(struct adi_pt *b, const struct pt_task *t, int64_t ret, uint16_t op,
		   bool out)
{
	struct msghdr m;
	struct dg_peer pr;

	if (mem_read(t->tid, t->args[1], &m, sizeof(m)) != sizeof(m))
		memset(&m, 0, sizeof(m));
	pr.addr = (uint64_t)(uintptr_t)m.msg_name;
	pr.len = m.msg_namelen;
	pr.len_at = false;
	pr.msg_flags = out ? 0 : (uint32_t)m.msg_flags;
	pr.peek = !out && (t->args[2] & MSG_PEEK);
	io_emit(b, t, ret, op, (int)t->args[0], out, SRC_IOV,
		(uint64_t)(uintptr_t)m.msg_iov, m.msg_iovlen, (uint64_t)ret, 0, &pr);
}

/* sendmmsg/recvmmsg: one record per message, up to ADI_MMSG_MAX (the rest
 * counted as truncated). */
static void io_mmsg(struct adi_pt *b, const struct pt_task *t, int64_t ret, uint16_t op,
		    bool out)
{
	for (int64_t i = 0; i < ret && i < ADI_MMSG_MAX; i++) {
		struct mmsghdr m;
		struct dg_peer pr;

		if (mem_read(t->tid, t->args[1] + i * sizeof(m), &m, sizeof(m)) != sizeof(m))
			break;
		pr.addr = (uint64_t)(uintptr_t)m.msg_hdr.msg_name;
		pr.len = m.msg_hdr.msg_namelen;
		pr.len_at = false;
		pr.msg_flags = out ? 0 : (uint32_t)m.msg_hdr.msg_flags;
		pr.peek = !out && (t->args[3] & MSG_PEEK);
		io_emit(b, t, ret, op, (int)t->args[0], out, SRC_IOV,
			(uint64_t)(uintptr_t)m.msg_hdr.msg_iov, m.msg_hdr.msg_iovlen,
			m.msg_len, (uint32_t)i, &pr);
	}
	if (ret > ADI_MMSG_MAX)
		b->truncated += (uint64_t)ret - ADI_MMSG_MAX;
}

static bool handle_io(struct adi_pt *b, const struct pt_task *t, int64_t ret)
{
	const uint64_t *g = t->args;
	long nr = t->nr;
	int fd = (int)g[0];

	switch (nr) {
	case SYS_read: case SYS_write: case SYS_pread64: case SYS_pwrite64:
	case SYS_readv: case SYS_writev: case SYS_preadv: case SYS_pwritev:
	case SYS_preadv2: case SYS_pwritev2: case SYS_sendto: case SYS_recvfrom:
	case SYS_sendmsg: case SYS_recvmsg: case SYS_sendmmsg: case SYS_recvmmsg:
	case SYS_sendfile: case SYS_copy_file_range: case SYS_splice:
		break;
	default:
		return false;
	}
	if (ret < 0) {
		/* failed data syscalls carry nothing to show; read/write
		 * errors are recorded */
		if (nr == SYS_read || nr == SYS_write)
			io_emit(b, t, ret, nr == SYS_read ? ADI_OP_READ : ADI_OP_WRITE, fd,
				nr == SYS_write, SRC_NONE, 0, 0, 0, 0, NULL);
		return true;
	}
	switch (nr) {
	case SYS_read: io_emit(b, t, ret, ADI_OP_READ, fd, false, SRC_BUF, g[1], 0, ret, 0, NULL); break;
	case SYS_write: io_emit(b, t, ret, ADI_OP_WRITE, fd, true, SRC_BUF, g[1], 0, ret, 0, NULL); break;
	case SYS_pread64: io_emit(b, t, ret, ADI_OP_PREAD64, fd, false, SRC_BUF, g[1], 0, ret, 0, NULL); break;
	case SYS_pwrite64: io_emit(b, t, ret, ADI_OP_PWRITE64, fd, true, SRC_BUF, g[1], 0, ret, 0, NULL); break;
	case SYS_readv: io_emit(b, t, ret, ADI_OP_READV, fd, false, SRC_IOV, g[1], g[2], ret, 0, NULL); break;
	case SYS_writev: io_emit(b, t, ret, ADI_OP_WRITEV, fd, true, SRC_IOV, g[1], g[2], ret, 0, NULL); break;
	case SYS_preadv: io_emit(b, t, ret, ADI_OP_PREADV, fd, false, SRC_IOV, g[1], g[2], ret, 0, NULL); break;
	case SYS_pwritev: io_emit(b, t, ret, ADI_OP_PWRITEV, fd, true, SRC_IOV, g[1], g[2], ret, 0, NULL); break;
	case SYS_preadv2: io_emit(b, t, ret, ADI_OP_PREADV2, fd, false, SRC_IOV, g[1], g[2], ret, 0, NULL); break;
	case SYS_pwritev2: io_emit(b, t, ret, ADI_OP_PWRITEV2, fd, true, SRC_IOV, g[1], g[2], ret, 0, NULL); break;
	case SYS_sendto: { /* sendto(fd, buf, len, flags, dest_addr, addrlen) */
		struct dg_peer pr = { .addr = g[4], .len = g[5] };

		io_emit(b, t, ret, ADI_OP_SENDTO, fd, true, SRC_BUF, g[1], 0, ret, 0, &pr);
		break;
	}
	case SYS_recvfrom: { /* recvfrom(fd, buf, len, flags, src_addr, addrlen *) */
		struct dg_peer pr = { .addr = g[4], .len = g[5], .len_at = true,
				      .peek = g[3] & MSG_PEEK };

		io_emit(b, t, ret, ADI_OP_RECVFROM, fd, false, SRC_BUF, g[1], g[2], ret, 0, &pr);
		break;
	}
	case SYS_sendmsg: io_msg(b, t, ret, ADI_OP_SENDMSG, true); break;
	case SYS_recvmsg: io_msg(b, t, ret, ADI_OP_RECVMSG, false); break;
	case SYS_sendmmsg: io_mmsg(b, t, ret, ADI_OP_SENDMMSG, true); break;
	case SYS_recvmmsg: io_mmsg(b, t, ret, ADI_OP_RECVMMSG, false); break;
	case SYS_sendfile: /* sendfile(out, in, off, count): bytes only, both fds */
		io_emit(b, t, ret, ADI_OP_SENDFILE, (int)g[1], false, SRC_NONE, 0, 0, ret, 0, NULL);
		io_emit(b, t, ret, ADI_OP_SENDFILE, (int)g[0], true, SRC_NONE, 0, 0, ret, 0, NULL);
		break;
	case SYS_copy_file_range:
		io_emit(b, t, ret, ADI_OP_COPY_FILE_RANGE, (int)g[0], false, SRC_NONE, 0, 0, ret, 0, NULL);
		io_emit(b, t, ret, ADI_OP_COPY_FILE_RANGE, (int)g[2], true, SRC_NONE, 0, 0, ret, 0, NULL);
		break;
	case SYS_splice:
		io_emit(b, t, ret, ADI_OP_SPLICE, (int)g[0], false, SRC_NONE, 0, 0, ret, 0, NULL);
		io_emit(b, t, ret, ADI_OP_SPLICE, (int)g[2], true, SRC_NONE, 0, 0, ret, 0, NULL);
		break;
	}
	return true;
}

/* ---- path operations (bpf/files.bpf.h) ---- */

struct path_args {
	uint16_t op;
	int32_t dfd, dfd2, fd;
	uint64_t p1, p2;
	uint32_t oflags, mode, uid, gid;
	uint64_t length;
};

static void path_emit(struct adi_pt *b, const struct pt_task *t, int64_t ret,
		      const struct path_args *p)
{
	struct adi_rec_path *r = (struct adi_rec_path *)b->rec;
	uint8_t *data = b->rec + sizeof(*r);
	uint16_t l1, l2;

	memset(r, 0, sizeof(*r));
	fill_hdr(&r->h, ADI_REC_PATH, p->op, t);
	r->ret = ret;
	r->length = p->length;
	r->dfd = p->dfd;
	r->dfd2 = p->dfd2;
	r->fd = p->fd;
	r->oflags = p->oflags;
	r->mode = p->mode;
	r->uid = p->uid;
	r->gid = p->gid;
	l1 = p->p1 ? read_str(t->tid, p->p1, data, &r->flags, ADI_F_TRUNC) : 0;
	l2 = p->p2 ? read_str(t->tid, p->p2, data + l1, &r->flags, ADI_F_PATH2_TRUNC) : 0;
	r->len1 = l1;
	r->len2 = l2;
	if (p->fd >= 0)
		fd_describe(b, t, p->fd, &r->fi, NULL);
	emit(b, sizeof(*r) + l1 + l2);
}

static bool handle_files(struct adi_pt *b, const struct pt_task *t, int64_t ret)
{
	struct path_args p = { .dfd = AT_FDCWD, .dfd2 = AT_FDCWD, .fd = -1 };
	const uint64_t *g = t->args;

	switch (t->nr) {
	case SYS_open:
		p.op = ADI_OP_OPEN; p.p1 = g[0]; p.oflags = g[1]; p.mode = g[2]; p.fd = ret;
		break;
	case SYS_creat:
		p.op = ADI_OP_CREAT; p.p1 = g[0]; p.oflags = O_WRONLY | O_CREAT | O_TRUNC;
		p.mode = g[1]; p.fd = ret;
		break;
	case SYS_openat:
		p.op = ADI_OP_OPENAT; p.dfd = g[0]; p.p1 = g[1]; p.oflags = g[2];
		p.mode = g[3]; p.fd = ret;
		break;
	case SYS_openat2: {
		uint64_t how[3] = { 0 }; /* struct open_how: flags, mode, resolve */

		mem_read(t->tid, g[2], how, sizeof(how));
		p.op = ADI_OP_OPENAT2; p.dfd = g[0]; p.p1 = g[1];
		p.oflags = how[0]; p.mode = how[1]; p.fd = ret;
		break;
	}
	case SYS_unlink: p.op = ADI_OP_UNLINK; p.p1 = g[0]; break;
	case SYS_unlinkat:
		p.op = ADI_OP_UNLINKAT; p.dfd = g[0]; p.p1 = g[1]; p.oflags = g[2];
		break;
	case SYS_rename: p.op = ADI_OP_RENAME; p.p1 = g[0]; p.p2 = g[1]; break;
	case SYS_renameat:
		p.op = ADI_OP_RENAMEAT; p.dfd = g[0]; p.p1 = g[1]; p.dfd2 = g[2]; p.p2 = g[3];
		break;
	case SYS_renameat2:
		p.op = ADI_OP_RENAMEAT2; p.dfd = g[0]; p.p1 = g[1]; p.dfd2 = g[2];
		p.p2 = g[3]; p.oflags = g[4];
		break;
	case SYS_mkdir: p.op = ADI_OP_MKDIR; p.p1 = g[0]; p.mode = g[1]; break;
	case SYS_mkdirat: p.op = ADI_OP_MKDIRAT; p.dfd = g[0]; p.p1 = g[1]; p.mode = g[2]; break;
	case SYS_rmdir: p.op = ADI_OP_RMDIR; p.p1 = g[0]; break;
	case SYS_truncate: p.op = ADI_OP_TRUNCATE; p.p1 = g[0]; p.length = g[1]; break;
	case SYS_ftruncate: p.op = ADI_OP_FTRUNCATE; p.fd = g[0]; p.length = g[1]; break;
	case SYS_chmod: p.op = ADI_OP_CHMOD; p.p1 = g[0]; p.mode = g[1]; break;
	case SYS_fchmod: p.op = ADI_OP_FCHMOD; p.fd = g[0]; p.mode = g[1]; break;
	case SYS_fchmodat: case 452: /* fchmodat2 */
		p.op = ADI_OP_FCHMODAT; p.dfd = g[0]; p.p1 = g[1]; p.mode = g[2];
		p.oflags = t->nr == 452 ? g[3] : 0;
		break;
	case SYS_chown: p.op = ADI_OP_CHOWN; p.p1 = g[0]; p.uid = g[1]; p.gid = g[2]; break;
	case SYS_fchown: p.op = ADI_OP_FCHOWN; p.fd = g[0]; p.uid = g[1]; p.gid = g[2]; break;
	case SYS_lchown: p.op = ADI_OP_LCHOWN; p.p1 = g[0]; p.uid = g[1]; p.gid = g[2]; break;
	case SYS_fchownat:
		p.op = ADI_OP_FCHOWNAT; p.dfd = g[0]; p.p1 = g[1]; p.uid = g[2];
		p.gid = g[3]; p.oflags = g[4];
		break;
	case SYS_link: p.op = ADI_OP_LINK; p.p1 = g[0]; p.p2 = g[1]; break;
	case SYS_linkat:
		p.op = ADI_OP_LINKAT; p.dfd = g[0]; p.p1 = g[1]; p.dfd2 = g[2];
		p.p2 = g[3]; p.oflags = g[4];
		break;
	case SYS_symlink: p.op = ADI_OP_SYMLINK; p.p1 = g[0]; p.p2 = g[1]; break;
	case SYS_symlinkat: p.op = ADI_OP_SYMLINKAT; p.p1 = g[0]; p.dfd2 = g[1]; p.p2 = g[2]; break;
	case SYS_chdir: p.op = ADI_OP_CHDIR; p.p1 = g[0]; break;
	case SYS_fchdir: p.op = ADI_OP_FCHDIR; p.fd = g[0]; break;
	default:
		return false;
	}
	/* opens still matter with --no-fs (the fd table names sockets and
	 * files apart), chdir too (paths); the rest is only for file events */
	if (b->o.no_fs && p.op != ADI_OP_OPEN && p.op != ADI_OP_OPENAT &&
	    p.op != ADI_OP_OPENAT2 && p.op != ADI_OP_CREAT && p.op != ADI_OP_CHDIR &&
	    p.op != ADI_OP_FCHDIR)
		return true;
	if (p.fd < 0 || ret < 0) {
		if (!(p.op == ADI_OP_FTRUNCATE || p.op == ADI_OP_FCHMOD ||
		      p.op == ADI_OP_FCHOWN || p.op == ADI_OP_FCHDIR))
			p.fd = -1;
	}
	path_emit(b, t, ret, &p);
	return true;
}

/* ---- sockets and the fd table (bpf/sockets.bpf.h) ---- */

static void sock_emit(struct adi_pt *b, const struct pt_task *t, int64_t ret, uint16_t op,
		      int fd, int arg, int arg2, uint64_t uaddr, uint64_t ulen_ptr,
		      uint32_t ulen)
{
	struct adi_rec_sock *r = (struct adi_rec_sock *)b->rec;
	uint8_t *data = b->rec + sizeof(*r);
	uint32_t n = 0;
	bool sock;

	memset(r, 0, sizeof(*r));
	fill_hdr(&r->h, ADI_REC_SOCK, op, t);
	r->ret = ret;
	r->fd = fd;
	r->arg = arg;
	r->arg2 = arg2;
	sock = fd_describe(b, t, fd, &r->fi, &r->sk);
	if (sock && r->sk.family == AF_UNIX && ulen_ptr) {
		/* accept on a unix socket: the peer is usually unnamed; the
		 * accepted socket carries the listener's path, our own name */
		struct sockaddr_storage ss;
		socklen_t l = sizeof(ss);
		int me = grab_fd(b, t, fd);

		if (me >= 0) {
			if (!getsockname(me, (struct sockaddr *)&ss, &l) && l > sizeof(sa_family_t)) {
				n = l < ADI_SOCKADDR_MAX ? l : ADI_SOCKADDR_MAX;
				memcpy(data, &ss, n);
			}
			close(me);
		}
	} else {
		if (ulen_ptr) /* accept: the kernel wrote the peer's length */
			mem_read(t->tid, ulen_ptr, &ulen, sizeof(ulen));
		if (uaddr && ulen) {
			n = ulen < ADI_SOCKADDR_MAX ? ulen : ADI_SOCKADDR_MAX;
			n = (uint32_t)mem_read(t->tid, uaddr, data, n);
		}
	}
	/* a connect still in progress has no peer yet for getpeername; the
	 * kernel socket (what eBPF reads) already holds the target */
	if (op == ADI_OP_CONNECT && sock && !r->sk.rport && n >= sizeof(struct sockaddr_in)) {
		struct sockaddr_storage ss = { 0 };

		memcpy(&ss, data, n < sizeof(ss) ? n : sizeof(ss));
		if (ss.ss_family == r->sk.family)
			sa_to(&ss, &r->sk.rport, r->sk.raddr);
	}
	r->addrlen = n;
	emit(b, sizeof(*r) + n);
}

static void fd_emit(struct adi_pt *b, const struct pt_task *t, int64_t ret, uint16_t op,
		    int fd, int fd2, int arg, uint32_t oflags)
{
	struct adi_rec_fd *r = (struct adi_rec_fd *)b->rec;

	memset(r, 0, sizeof(*r));
	fill_hdr(&r->h, ADI_REC_FD, op, t);
	r->ret = ret;
	r->fd = fd;
	r->fd2 = fd2;
	r->arg = arg;
	r->oflags = oflags;
	fd_describe(b, t, op == ADI_OP_CLOSE ? fd : -1, &r->fi, &r->sk);
	emit(b, sizeof(*r));
}

static bool handle_sockets(struct adi_pt *b, const struct pt_task *t, int64_t ret)
{
	const uint64_t *g = t->args;

	switch (t->nr) {
	case SYS_socket:
		sock_emit(b, t, ret, ADI_OP_SOCKET, (int)ret, (int)g[0], (int)g[1], 0, 0, 0);
		return true;
	case SYS_connect:
		sock_emit(b, t, ret, ADI_OP_CONNECT, (int)g[0], 0, 0, g[1], 0, (uint32_t)g[2]);
		return true;
	case SYS_accept: case SYS_accept4:
		if (ret < 0)
			return true; /* EAGAIN on non-blocking listeners: noise */
		sock_emit(b, t, ret, t->nr == SYS_accept ? ADI_OP_ACCEPT : ADI_OP_ACCEPT4,
			  (int)ret, (int)g[0], t->nr == SYS_accept4 ? (int)g[3] : 0, g[1], g[2], 0);
		return true;
	case SYS_shutdown:
		sock_emit(b, t, ret, ADI_OP_SHUTDOWN, (int)g[0], (int)g[1], 0, 0, 0, 0);
		return true;
	case SYS_getsockopt: { /* only SO_ERROR */
		int v = 0;

		if (g[1] != SOL_SOCKET || g[2] != SO_ERROR || ret < 0)
			return true;
		mem_read(t->tid, g[3], &v, sizeof(v));
		sock_emit(b, t, ret, ADI_OP_SO_ERROR, (int)g[0], v, 0, 0, 0, 0);
		return true;
	}
	case SYS_dup: fd_emit(b, t, ret, ADI_OP_DUP, (int)g[0], -1, 0, 0); return true;
	case SYS_dup2:
		adi_pt_forget_fd(b, t->tgid, (int)g[1]);
		fd_emit(b, t, ret, ADI_OP_DUP2, (int)g[0], (int)g[1], 0, 0);
		return true;
	case SYS_dup3:
		adi_pt_forget_fd(b, t->tgid, (int)g[1]);
		fd_emit(b, t, ret, ADI_OP_DUP3, (int)g[0], (int)g[1], 0, (uint32_t)g[2]);
		return true;
	case SYS_fcntl: /* F_DUPFD 0, F_SETFD 2, F_DUPFD_CLOEXEC 1030 */
		if (g[1] == 0 || g[1] == 2 || g[1] == 1030)
			fd_emit(b, t, ret, ADI_OP_FCNTL, (int)g[0], -1, (int)g[1], (uint32_t)g[2]);
		return true;
	case SYS_close_range:
		adi_pt_forget_fd(b, t->tgid, -1);
		fd_emit(b, t, ret, ADI_OP_CLOSE_RANGE, (int)g[0], (int)g[1], 0, (uint32_t)g[2]);
		return true;
	case SYS_pipe: case SYS_pipe2: {
		int fds[2] = { -1, -1 };

		if (ret == 0 && mem_read(t->tid, g[0], fds, sizeof(fds)) == sizeof(fds)) {
			adi_pt_forget_fd(b, t->tgid, fds[0]);
			adi_pt_forget_fd(b, t->tgid, fds[1]);
		}
		fd_emit(b, t, ret, t->nr == SYS_pipe ? ADI_OP_PIPE : ADI_OP_PIPE2, fds[0],
			fds[1], 0, t->nr == SYS_pipe2 ? (uint32_t)g[1] : 0);
		return true;
	}
	}
	return false;
}

bool adi_pt_entry(struct adi_pt *b, struct pt_task *t)
{
	switch (adi_pt_when(t->nr)) {
	case ADI_PT_ENTRY: /* close: described while the fd still names it */
		fd_emit(b, t, 0, ADI_OP_CLOSE, (int)t->args[0], -1, 0, 0);
		adi_pt_forget_fd(b, t->tgid, (int)t->args[0]);
		return false;
	case ADI_PT_EXEC: {
		uint32_t fl = 0;

		t->exec_len = read_str(t->tid, t->nr == SYS_execve ? t->args[0] : t->args[1],
				       (uint8_t *)t->exec_path, &fl, ADI_F_TRUNC);
		return false;
	}
	case ADI_PT_EXIT:
		t->entry_ts = adi_now_wall();
		return true;
	case ADI_PT_NONE:
		break;
	}
	return false;
}

void adi_pt_exit(struct adi_pt *b, struct pt_task *t, int64_t ret)
{
	/* a new fd may reuse a number whose file we cached (closed in a way
	 * we do not see, e.g. by an untraced thread with its own table) */
	switch (t->nr) {
	case SYS_open: case SYS_creat: case SYS_openat: case SYS_openat2:
	case SYS_socket: case SYS_accept: case SYS_accept4: case SYS_dup:
	case SYS_dup2: case SYS_dup3: case SYS_fcntl:
		if (ret >= 0)
			adi_pt_forget_fd(b, t->tgid, (int)ret);
		break;
	}
	if (handle_io(b, t, ret) || handle_files(b, t, ret))
		return;
	handle_sockets(b, t, ret);
}

/* ---- processes (bpf/adi.bpf.c) ---- */

static uint32_t read_ppid(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned ppid = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %u", &ppid) != 1)
		return 0;
	return ppid;
}

void adi_pt_fork(struct adi_pt *b, struct pt_task *child, uint32_t ppid)
{
	struct adi_rec_proc *r = (struct adi_rec_proc *)b->rec;

	memset(r, 0, sizeof(*r));
	fill_hdr(&r->h, ADI_REC_PROC, ADI_OP_FORK, child);
	r->ppid = ppid;
	child->ppid = ppid;
	r->child_pid = (uint32_t)child->tgid;
	child->forked = true;
	emit(b, sizeof(*r));
}

void adi_pt_exec(struct adi_pt *b, struct pt_task *t)
{
	struct adi_rec_proc *r = (struct adi_rec_proc *)b->rec;
	uint8_t *data = b->rec + sizeof(*r);
	char path[64];
	ssize_t n = 0;
	int fd;

	memset(r, 0, sizeof(*r));
	fill_hdr(&r->h, ADI_REC_PROC, ADI_OP_EXEC, t);
	r->ppid = t->ppid = read_ppid(t->tgid);
	/* argv as the new image holds it (mm->arg_start..arg_end) */
	snprintf(path, sizeof(path), "/proc/%d/cmdline", t->tgid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, data, ADI_ARGV_MAX + 1);
		close(fd);
		if (n < 0)
			n = 0;
		if (n > ADI_ARGV_MAX) {
			n = ADI_ARGV_MAX;
			r->flags |= ADI_F_TRUNC;
		}
	}
	r->argv_len = (uint16_t)n;
	memcpy(data + n, t->exec_path, t->exec_len);
	r->filename_len = t->exec_len;
	emit(b, sizeof(*r) + (uint32_t)n + t->exec_len);
	adi_pt_forget_fd(b, t->tgid, -1);
}

void adi_pt_exitproc(struct adi_pt *b, struct pt_task *t, int status)
{
	struct adi_rec_proc *r = (struct adi_rec_proc *)b->rec;

	memset(r, 0, sizeof(*r));
	fill_hdr(&r->h, ADI_REC_PROC, ADI_OP_EXIT, t);
	/* our own child (run's command) is already reaped: /proc is gone */
	r->ppid = read_ppid(t->tgid);
	if (!r->ppid)
		r->ppid = t->ppid;
	r->exit_code = status; /* the wait status, as task->exit_code */
	emit(b, sizeof(*r));
	adi_pt_forget_fd(b, t->tgid, -1);
}
