/* sockets.bpf.h - socket lifecycle (socket, connect, accept, shutdown, the
 * SO_ERROR outcome of a non-blocking connect) and the fd table changes user
 * space must mirror (dup family, fcntl dup/cloexec, close_range, pipe). */
#ifndef ADI_SOCKETS_BPF_H
#define ADI_SOCKETS_BPF_H

#include "common.bpf.h"

#define SOL_SOCKET 1
#define SO_ERROR 4

static __always_inline void sock_emit(struct sc_args *a, __u16 op, int fd,
				      int arg, int arg2, __u64 uaddr,
				      __u64 ulen_ptr, __u32 ulen, int mode)
{
	struct scratch *s = scratch_get();
	struct adi_rec_sock *r;
	struct sock *sk;
	__u32 n = 0;

	if (!s)
		return;
	r = (struct adi_rec_sock *)s->buf;
	fill_hdr(&r->h, ADI_REC_SOCK, op, a->id, mode);
	r->ret = a->ret;
	r->fd = fd;
	r->arg = arg;
	r->arg2 = arg2;
	r->flags = 0;
	r->pad = 0;
	sk = fd_describe(fd, &r->fi, &r->sk, mode);
	if (sk && r->sk.family == AF_UNIX && ulen_ptr) {
		/* accept on a unix socket: the peer is usually unnamed; the
		 * accepted socket carries the listener's path, our own name */
		struct unix_address *ua = BPF_CORE_READ((struct unix_sock *)sk, addr);
		int len = ua ? BPF_CORE_READ(ua, len) : 0;

		if (len > 0) {
			n = len;
			if (n > ADI_SOCKADDR_MAX)
				n = ADI_SOCKADDR_MAX;
			ADI_BOUND(n, 127);
			bpf_probe_read_kernel(REC_DATA(s, *r), n, &ua->name);
		}
	} else {
		if (ulen_ptr) /* accept: the kernel wrote the peer's length */
			bpf_probe_read_user(&ulen, sizeof(ulen), (void *)ulen_ptr);
		if (uaddr && ulen) {
			n = ulen;
			if (n > ADI_SOCKADDR_MAX)
				n = ADI_SOCKADDR_MAX;
			ADI_BOUND(n, 127);
			if (bpf_probe_read_user(REC_DATA(s, *r), n, (void *)uaddr))
				n = 0;
		}
	}
	r->addrlen = n;
	r->h.size = sizeof(*r) + n;
	emit(r, sizeof(*r) + (n & 127));
}

static __always_inline void fd_emit(struct sc_args *a, __u16 op, int fd,
				    int fd2, int arg, __u32 oflags, int mode)
{
	struct scratch *s = scratch_get();
	struct adi_rec_fd *r;

	if (!s)
		return;
	r = (struct adi_rec_fd *)s->buf;
	fill_hdr(&r->h, ADI_REC_FD, op, a->id, mode);
	r->ret = a->ret;
	r->fd = fd;
	r->fd2 = fd2;
	r->arg = arg;
	r->oflags = oflags;
	r->flags = 0;
	r->pad = 0;
	fd_describe(op == ADI_OP_CLOSE ? fd : -1, &r->fi, &r->sk, mode);
	r->h.size = sizeof(*r);
	emit(r, sizeof(*r));
}

static __always_inline bool handle_sockets(struct sc_args *a, long nr, int mode)
{
	__u64 *g = a->a;

	switch (nr) {
	case 41: /* socket(domain, type, protocol) */
		sock_emit(a, ADI_OP_SOCKET, a->ret, g[0], g[1], 0, 0, 0, mode);
		return true;
	case 42: /* connect(fd, addr, len) */
		sock_emit(a, ADI_OP_CONNECT, g[0], 0, 0, g[1], 0, g[2], mode);
		return true;
	case 43: /* accept(fd, addr, lenp) */
	case 288: /* accept4(fd, addr, lenp, flags) */
		if (a->ret < 0)
			return true; /* EAGAIN on non-blocking listeners: noise */
		sock_emit(a, nr == 43 ? ADI_OP_ACCEPT : ADI_OP_ACCEPT4, a->ret,
			  g[0], nr == 288 ? g[3] : 0, g[1], g[2], 0, mode);
		return true;
	case 48: /* shutdown(fd, how) */
		sock_emit(a, ADI_OP_SHUTDOWN, g[0], g[1], 0, 0, 0, 0, mode);
		return true;
	case 55: { /* getsockopt(fd, level, name, val, lenp): only SO_ERROR */
		int v = 0;

		if (g[1] != SOL_SOCKET || g[2] != SO_ERROR || a->ret < 0)
			return true;
		bpf_probe_read_user(&v, sizeof(v), (void *)g[3]);
		sock_emit(a, ADI_OP_SO_ERROR, g[0], v, 0, 0, 0, 0, mode);
		return true;
	}
	case 32: fd_emit(a, ADI_OP_DUP, g[0], -1, 0, 0, mode); return true;
	case 33: fd_emit(a, ADI_OP_DUP2, g[0], g[1], 0, 0, mode); return true;
	case 292: fd_emit(a, ADI_OP_DUP3, g[0], g[1], 0, g[2], mode); return true;
	case 72: /* fcntl: F_DUPFD 0, F_SETFD 2, F_DUPFD_CLOEXEC 1030 */
		if (g[1] == 0 || g[1] == 2 || g[1] == 1030)
			fd_emit(a, ADI_OP_FCNTL, g[0], -1, g[1], g[2], mode);
		return true;
	case 436: fd_emit(a, ADI_OP_CLOSE_RANGE, g[0], g[1], 0, g[2], mode); return true;
	case 22: case 293: { /* pipe(fds), pipe2(fds, flags) */
		int fds[2] = { -1, -1 };

		if (a->ret == 0)
			bpf_probe_read_user(fds, sizeof(fds), (void *)g[0]);
		fd_emit(a, nr == 22 ? ADI_OP_PIPE : ADI_OP_PIPE2, fds[0], fds[1],
			0, nr == 293 ? g[1] : 0, mode);
		return true;
	}
	}
	return false;
}

#endif
