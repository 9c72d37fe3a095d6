/* io.bpf.h - bytes moved through an fd: the read/write family, vectored and
 * message forms, mmsg, and the byte-count-only sendfile/splice/copy_file_range.
 * Payload is copied at sys_exit, when the kernel has faulted the pages in
 * (PLATFORM.md: copying at sys_enter fails for untouched pages). On datagram
 * sockets each record is one datagram and carries its peer's address. */
#ifndef ADI_IO_BPF_H
#define ADI_IO_BPF_H

#include "common.bpf.h"

/* Copy up to `total` bytes described by an iovec array into data, at most
 * cap. Returns bytes copied. */
static __always_inline __u32 copy_iov(__u8 *data, __u64 iov_ptr, __u64 iovcnt,
				      __u64 total, __u32 cap)
{
	__u32 off = 0;

	if (cap > ADI_CAP_MAX)
		cap = ADI_CAP_MAX;
	for (int i = 0; i < ADI_IOV_MAX; i++) {
		struct iovec iov;
		__u64 len;

		if (i >= iovcnt || off >= cap || off >= total)
			break;
		if (bpf_probe_read_user(&iov, sizeof(iov),
					(void *)(iov_ptr + i * sizeof(iov))))
			break;
		len = iov.iov_len;
		if (len > total - off)
			len = total - off;
		if (len > cap - off)
			len = cap - off;
		/* explicit clamps: the verifier loses the relation above */
		ADI_BOUND(len, 2 * ADI_CAP_MAX - 1); /* len <= cap - off */
		ADI_BOUND(off, ADI_CAP_MAX - 1);     /* off < cap <= ADI_CAP_MAX */
		if (bpf_probe_read_user(data + off, len, iov.iov_base))
			break;
		off += len;
	}
	return off;
}

static __always_inline __u32 copy_buf(__u8 *data, __u64 buf, __u64 total, __u32 cap)
{
	__u64 len = total;

	if (cap > ADI_CAP_MAX)
		cap = ADI_CAP_MAX;
	if (len > cap)
		len = cap;
	ADI_BOUND(len, 2 * ADI_CAP_MAX - 1); /* len <= cap already */
	if (bpf_probe_read_user(data, len, (void *)buf))
		return 0;
	return len;
}

enum io_src { SRC_NONE, SRC_BUF, SRC_IOV, SRC_MSG };

/* A stream socket's call handed over whole: its bytes, up to the per-call
 * limit, go out as consecutive records of at most ADI_CAP_MAX payload
 * bytes each (pieces), all with the call's header, each with the TCP
 * position of its first byte, so the engine's reassembly sees them
 * contiguous. The scratch record's header is built once; each piece
 * rewrites its payload and its own fields. Kept in the scratch map
 * (scratch.pieces) and walked by io_piece (bpf_loop's callback). */
struct io_pieces {
	__u64 ptr;      /* SRC_BUF: the buffer; SRC_IOV: the iovec array */
	__u64 iovcnt;   /* SRC_IOV: its length */
	__u64 want;     /* bytes to copy in all (<= avail) */
	__u64 avail;    /* bytes of the call there are to copy */
	__u64 size;     /* the call's true bytes (this message's, for mmsg) */
	__u64 done;     /* bytes of the pieces out so far: the next one's offset */
	__u32 fill;     /* bytes in the piece being filled (< ADI_CAP_MAX) */
	__u32 iov_off;  /* SRC_IOV: offset in the current iovec (< want) */
	__u32 seq;      /* TCP position of the call's first byte, if known */
	__u16 iov_i;    /* SRC_IOV: the current iovec (<= ADI_IOV_STREAM_MAX) */
	bool iov;
	bool finished;  /* the piece that ends the call went out */
};
_Static_assert(sizeof(struct io_pieces) <= sizeof(((struct scratch *)0)->pieces),
	       "scratch.pieces holds struct io_pieces");

/* Out with the piece filled so far (p->fill bytes, in the scratch record's
 * data already). The piece that ends the call -- the bytes wanted are in,
 * or the task's memory could not be read -- stands for the rest of the
 * call too, and is flagged truncated when that rest was not copied. */
static __always_inline void piece_out(struct scratch *s, struct io_pieces *p, bool last)
{
	struct adi_rec_io *r = (struct adi_rec_io *)s->buf;
	__u32 n = p->fill;

	r->flags &= ~(ADI_F_TRUNC | ADI_F_CONT);
	if (p->done)
		r->flags |= ADI_F_CONT;
	if (last && p->done + n < p->avail) {
		r->flags |= ADI_F_TRUNC;
		cnt_add(ADI_CNT_TRUNCATED, 1);
	}
	r->size = last ? p->size - p->done : n;
	if (r->flags & ADI_F_HAS_SEQ)
		r->seq = p->seq + (__u32)p->done;
	r->cap_len = n;
	r->h.size = sizeof(*r) + n;
	ADI_BOUND(n, 2 * ADI_CAP_MAX - 1); /* n <= ADI_CAP_MAX already */
	emit(r, sizeof(*r) + n);
	p->done += n;
	p->fill = 0;
	p->finished = last;
}

/* One round of the copy (bpf_loop's callback; index and ctx unused: the
 * position is in the CPU's scratch.pieces): the bytes of one buffer or
 * iovec that fit in the piece being filled, which goes out when full or
 * when the call's bytes end. One copy a round: straight-line code the
 * verifier walks once. A round that meets the end of an iovec (or an
 * empty one) only steps to the next. Returns 1 to stop the loop. */
static long io_piece(__u32 index, void *ctx)
{
	struct scratch *s = scratch_get();
	struct io_pieces *p;
	__u64 len, src, pos, iov_len = 0;
	__u32 fill;

	if (!s)
		return 1;
	p = (struct io_pieces *)s->pieces;
	if (p->finished)
		return 1;
	fill = p->fill;
	ADI_BOUND(fill, ADI_CAP_MAX - 1); /* fill < ADI_CAP_MAX already */
	pos = p->done + fill;
	len = p->want - pos;
	if (len > ADI_CAP_MAX - fill)
		len = ADI_CAP_MAX - fill;
	src = p->ptr + pos;
	if (p->iov) {
		struct iovec iov;

		/* past the iovecs we follow, or unreadable: the call ends */
		if (p->iov_i >= p->iovcnt || p->iov_i >= ADI_IOV_STREAM_MAX ||
		    bpf_probe_read_user(&iov, sizeof(iov),
					(void *)(p->ptr + p->iov_i * sizeof(iov)))) {
			piece_out(s, p, true);
			return 1;
		}
		iov_len = iov.iov_len;
		if (iov_len <= p->iov_off) {
			p->iov_i++;
			p->iov_off = 0;
			return 0;
		}
		if (len > iov_len - p->iov_off)
			len = iov_len - p->iov_off;
		src = (__u64)iov.iov_base + p->iov_off;
	}
	ADI_BOUND(len, 2 * ADI_CAP_MAX - 1); /* len <= ADI_CAP_MAX - fill already */
	if (bpf_probe_read_user(REC_DATA(s, struct adi_rec_io) + fill, len, (void *)src)) {
		piece_out(s, p, true); /* unreadable: the call ends here */
		return 1;
	}
	p->fill = fill + len;
	if (p->iov) {
		p->iov_off += len;
		if (p->iov_off >= iov_len) {
			p->iov_i++;
			p->iov_off = 0;
		}
	}
	if (pos + len >= p->want)
		piece_out(s, p, true);
	else if (p->fill >= ADI_CAP_MAX)
		piece_out(s, p, false);
	len = p->finished;
	ADI_BOUND(len, 1); /* the verifier wants 0 or 1; a bool loaded from a map is 0..255 to it */
	return len;
}


/* Where a call keeps a datagram's peer in the task's memory: the sockaddr
 * and its length, a value (sendto's addrlen, a msghdr's msg_namelen, which
 * recvmsg rewrote before we look) or, for recvfrom, the address of the
 * length the kernel wrote (len_at). msg_flags: recvmsg's, after the call. */
struct dg_peer {
	__u64 addr;
	__u64 len;
	bool len_at;
	__u32 msg_flags;
};

/* The datagram's addresses after its n payload bytes: the peer the call
 * named (none for a connected socket's read/write/send/recv: the socket's
 * own peer is in r->sk), then, for a unix socket, its own bound name, which
 * no call carries. Sets r->addr_len/name_len; returns the bytes added. */
static __always_inline __u32 dg_addrs(struct scratch *s, struct adi_rec_io *r,
				      struct sock *sk, __u32 n,
				      const struct dg_peer *pr)
{
	__u32 off = n, al = 0, nl = 0;

	ADI_BOUND(off, 2 * ADI_CAP_MAX - 1); /* n <= cap already */
	if (pr && pr->addr) {
		__u64 len = pr->len;

		if (pr->len_at) {
			__u32 l = 0;

			bpf_probe_read_user(&l, sizeof(l), (void *)pr->len);
			len = l;
		}
		if (len > ADI_SOCKADDR_MAX)
			len = ADI_SOCKADDR_MAX;
		al = len;
		ADI_BOUND(al, 127);
		if (al && bpf_probe_read_user(REC_DATA(s, *r) + off, al, (void *)pr->addr))
			al = 0;
	}
	if (r->sk.family == AF_UNIX) {
		struct unix_address *ua = BPF_CORE_READ((struct unix_sock *)sk, addr);
		int len = ua ? BPF_CORE_READ(ua, len) : 0;
		__u32 at = off + al;

		if (len > 0) {
			nl = len > ADI_SOCKADDR_MAX ? ADI_SOCKADDR_MAX : len;
			ADI_BOUND(nl, 127);
			ADI_BOUND(at, 2 * ADI_CAP_MAX - 1);
			if (bpf_probe_read_kernel(REC_DATA(s, *r) + at, nl, &ua->name))
				nl = 0;
		}
	}
	r->addr_len = al;
	r->name_len = nl;
	return al + nl;
}

/* One IO record to build: what io_emit's callers say, handed to
 * io_emit_one through this per-CPU slot (a BPF function takes five
 * scalars at most, and pointer arguments to a global function need a
 * newer kernel than the ring buffer does). */
struct io_req {
	__u64 ptr, cnt, size;
	__u32 msg_index, recv_flags, after;
	int fd, src;
	__u16 op;
	bool out, has_peer;
	struct dg_peer peer;
};

/* io_req_map: index 0, the request being built on this CPU. Written by
 * io_emit just before it calls io_emit_one, read there; never deleted
 * (one entry per CPU). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct io_req);
} io_req_map SEC(".maps");

/* Build and emit one IO record: the request in io_req_map, the syscall's
 * pid/tid (id) and result (ret). For SRC_BUF, cnt (when not 0) is the
 * buffer's length: recvfrom(MSG_TRUNC) returns more than it holds; the
 * peer, when has_peer: the datagram peer's whereabouts.
 *
 * A global (not inlined) function: the verifier checks it once, on its
 * own, instead of once per call site -- and there were two dozen, eight of
 * them in the sendmmsg/recvmmsg loop around a 16-step iovec loop. That
 * made handle_sys_exit 600,000 verified instructions and a second of CPU
 * at every start (bench/startup.sh: `run -- true` took 1.1 s of system
 * time before the first event); as a function, the whole object verifies
 * in about 60 ms. */
static __always_inline int io_build(__u64 id, __s64 ret, int mode)
{
	__u32 zero = 0;
	struct io_req *q = bpf_map_lookup_elem(&io_req_map, &zero);
	struct scratch *s = scratch_get();
	struct adi_rec_io *r;
	struct sock *sk;
	__u32 n = 0, cap = cap_bytes, tail = 0, msg_index, recv_flags, after;
	__u64 avail, ptr, cnt, size;
	struct dg_peer peer;
	const struct dg_peer *pr = NULL;
	bool sample, out;
	int fd, src;
	__u16 op;

	if (!q || !s)
		return 0;
	r = (struct adi_rec_io *)s->buf;
	op = q->op;
	fd = q->fd;
	out = q->out;
	src = q->src;
	ptr = q->ptr;
	cnt = q->cnt;
	size = q->size;
	msg_index = q->msg_index;
	recv_flags = q->recv_flags;
	after = q->after;
	avail = size;
	if (q->has_peer) {
		peer = q->peer;
		pr = &peer;
	}

	/* what the fd is decides whether anything is sent: look first, and
	 * pay for the header only for records that go out */
	sk = fd_describe(fd, &r->fi, &r->sk, mode);
	/* bytes to terminals, pipes, /dev/null, eventfds are not reported:
	 * do not ship them (failed calls still are: their errno matters) */
	if (r->fi.kind != ADI_FD_SOCK && r->fi.kind != ADI_FD_REG &&
	    r->fi.kind != ADI_FD_BLK && r->fi.kind != ADI_FD_UNKNOWN && ret >= 0)
		return 0;
	if (r->fi.kind == ADI_FD_SOCK ? !want_net : !want_fs)
		return 0;
	fill_hdr(&r->h, ADI_REC_IO, op, id, mode);
	r->ret = ret;
	r->size = size;
	r->fd = fd;
	r->flags = out ? ADI_F_OUT : 0;
	r->seq = 0;
	r->msg_index = msg_index;
	r->addr_len = r->name_len = 0;
	/* a file's bytes are only sampled: cut to the sample, which is not a
	 * loss (sockets, and fds not known to be files, are decoded: whole) */
	sample = r->fi.kind == ADI_FD_REG || r->fi.kind == ADI_FD_BLK;
	if (sample && file_cap_bytes < cap)
		cap = file_cap_bytes;
	/* a datagram longer than the receiver's buffer: what it got is all
	 * there is to copy, and that is not a capture loss */
	if (src == SRC_BUF && cnt && cnt < size) {
		avail = cnt;
		r->flags |= ADI_F_MSG_TRUNC;
	}
	if (pr && (pr->msg_flags & MSG_TRUNC))
		r->flags |= ADI_F_MSG_TRUNC;
	if (recv_flags & MSG_PEEK)
		r->flags |= ADI_F_PEEK;
	if (sk && r->sk.protocol == IPPROTO_TCP && r->sk.type == SOCK_STREAM &&
	    !(recv_flags & MSG_PEEK)) {
		__u32 end;
		bool fin;

		/* a read that also consumed the peer's FIN moved copied_seq one
		 * further (the FIN takes a sequence number): the FIN was seen
		 * (SOCK_DONE, never set by a reset) and nothing is left */
		if (mode & K_DIRECT) {
			struct tcp_sock *tp = KCAST(struct tcp_sock, sk);

			end = out ? tp->write_seq : tp->copied_seq;
			fin = !out && size && (sk->__sk_common.skc_flags & (1UL << SOCK_DONE)) &&
			      end == tp->rcv_nxt;
		} else {
			struct tcp_sock *tp = (struct tcp_sock *)sk;

			end = out ? BPF_CORE_READ(tp, write_seq) : BPF_CORE_READ(tp, copied_seq);
			fin = !out && size &&
			      (BPF_CORE_READ(sk, __sk_common.skc_flags) & (1UL << SOCK_DONE)) &&
			      end == BPF_CORE_READ(tp, rcv_nxt);
		}
		if (fin)
			end--;
		/* the counters already moved past this syscall's bytes (and,
		 * for mmsg, past the messages after this one: `after`) */
		r->seq = end - (__u32)size - after;
		r->flags |= ADI_F_HAS_SEQ;
	}
	/* a stream's bytes are decoded: the whole call, in pieces (with
	 * --capture-bytes 0, sizes only, and without bpf_loop: the one record
	 * below). A call that fits one piece -- most do -- is that one record
	 * too, the same bytes and fields without the loop's rounds (a helper
	 * call, a callback per round, the iovec read again in each) */
	if ((mode & K_LOOP) && sk && r->sk.type == SOCK_STREAM && src != SRC_NONE && cap_bytes && avail &&
	    !(avail <= ADI_CAP_MAX && avail <= cap_bytes && (src == SRC_BUF || cnt <= ADI_IOV_MAX))) {
		struct io_pieces *p = (struct io_pieces *)s->pieces;

		p->ptr = ptr;
		p->iovcnt = cnt;
		p->avail = avail;
		p->size = size;
		p->done = 0;
		p->fill = p->iov_off = p->iov_i = 0;
		p->seq = r->seq;
		p->iov = src == SRC_IOV;
		p->finished = false;
		p->want = avail < cap_bytes ? avail : cap_bytes;
		/* a round per piece, and two per iovec (its bytes, its end) */
		bpf_loop(p->want / ADI_CAP_MAX + 1 +
			 (p->iov ? 2 * (cnt < ADI_IOV_STREAM_MAX ? cnt : ADI_IOV_STREAM_MAX) : 0),
			 io_piece, NULL, 0);
		if (!p->finished) /* never expected: the rounds ran out */
			piece_out(s, p, true);
		return 0;
	}
	if (src == SRC_BUF)
		n = copy_buf(REC_DATA(s, *r), ptr, avail, cap);
	else if (src == SRC_IOV)
		n = copy_iov(REC_DATA(s, *r), ptr, cnt, size, cap);
	/* with --capture-bytes 0 (sizes only) nothing is "cut" */
	if (src != SRC_NONE && n < avail && cap_bytes && !sample) {
		r->flags |= ADI_F_TRUNC;
		cnt_add(ADI_CNT_TRUNCATED, 1);
	}
	if (sk && r->sk.type == SOCK_DGRAM)
		tail = dg_addrs(s, r, sk, n, pr);
	r->cap_len = n;
	r->h.size = sizeof(*r) + n + tail;
	emit(r, sizeof(*r) + n + tail);
	return 0;
}

/* io_build as global functions, one per program mode (common.bpf.h):
 * bpf_loop and plain loads, bpf_loop and helper reads (5.17 to 6.1),
 * neither (before 5.17: a stream socket's call goes out as one record). A
 * program references only the one it calls, so a program for an older
 * kernel never names what that kernel lacks. */
__noinline int io_emit_direct(__u64 id, __s64 ret)
{
	return io_build(id, ret, K_LOOP | K_DIRECT);
}

__noinline int io_emit_loop(__u64 id, __s64 ret)
{
	return io_build(id, ret, K_LOOP);
}

__noinline int io_emit_one(__u64 id, __s64 ret)
{
	return io_build(id, ret, 0);
}

/* Build and emit one IO record -- or, for a stream socket with loop (the
 * kernel has bpf_loop), as many as its bytes take (io_emit_loop /
 * io_emit_one do; s is the caller's scratch, which they look up again).
 * pr: the datagram peer's whereabouts (NULL: the call names none). */
static __always_inline void io_emit(struct sc_args *a, struct scratch *s,
				    __u16 op, int fd, bool out, int src,
				    __u64 ptr, __u64 cnt, __u64 size,
				    __u32 msg_index, __u32 recv_flags, __u32 after,
				    const struct dg_peer *pr, int mode)
{
	__u32 zero = 0;
	struct io_req *q = bpf_map_lookup_elem(&io_req_map, &zero);

	(void)s;
	if (!q)
		return;
	q->ptr = ptr;
	q->cnt = cnt;
	q->size = size;
	q->msg_index = msg_index;
	q->recv_flags = recv_flags;
	q->after = after;
	q->fd = fd;
	q->src = src;
	q->op = op;
	q->out = out;
	q->has_peer = pr != NULL;
	if (pr)
		q->peer = *pr;
	if (mode & K_DIRECT)
		io_emit_direct(a->id, a->ret);
	else if (mode & K_LOOP)
		io_emit_loop(a->id, a->ret);
	else
		io_emit_one(a->id, a->ret);
}

/* sendmsg/recvmsg: the iovecs are behind a user msghdr. */
static __always_inline void io_msg(struct sc_args *a, struct scratch *s,
				   __u16 op, bool out, int mode)
{
	struct user_msghdr m;

	struct dg_peer pr;

	if (bpf_probe_read_user(&m, sizeof(m), (void *)a->a[1]))
		__builtin_memset(&m, 0, sizeof(m));
	pr.addr = (__u64)m.msg_name;
	pr.len = m.msg_namelen;
	pr.len_at = false;
	pr.msg_flags = out ? 0 : m.msg_flags;
	io_emit(a, s, op, (int)a->a[0], out, SRC_IOV, (__u64)m.msg_iov,
		m.msg_iovlen, a->ret, 0, out ? 0 : (__u32)a->a[2], 0, &pr, mode);
}

/* sendmmsg/recvmmsg: ret messages, each with its own length; one record
 * per message, up to ADI_MMSG_MAX (the rest counted as truncated). */
static __always_inline void io_mmsg(struct sc_args *a, struct scratch *s,
				    __u16 op, bool out, int mode)
{
	__u64 nmsg = a->ret;
	__u32 total = 0, done = 0;

	/* first the lengths: each message's TCP position counts back from
	 * the end of the whole call */
	for (int i = 0; i < ADI_MMSG_MAX; i++) {
		__u32 len;

		if (i >= nmsg)
			break;
		if (bpf_probe_read_user(&len, sizeof(len), (void *)(a->a[1] + i *
				sizeof(struct mmsghdr) + __builtin_offsetof(struct mmsghdr, msg_len))))
			break;
		total += len;
	}
	for (int i = 0; i < ADI_MMSG_MAX; i++) {
		struct mmsghdr m;
		struct dg_peer pr;

		if (i >= nmsg)
			break;
		if (bpf_probe_read_user(&m, sizeof(m),
					(void *)(a->a[1] + i * sizeof(m))))
			break;
		done += m.msg_len;
		pr.addr = (__u64)m.msg_hdr.msg_name;
		pr.len = m.msg_hdr.msg_namelen;
		pr.len_at = false;
		pr.msg_flags = out ? 0 : m.msg_hdr.msg_flags;
		io_emit(a, s, op, (int)a->a[0], out, SRC_IOV,
			(__u64)m.msg_hdr.msg_iov, m.msg_hdr.msg_iovlen,
			m.msg_len, i, 0, total - done, &pr, mode);
	}
	if (nmsg > ADI_MMSG_MAX)
		cnt_add(ADI_CNT_TRUNCATED, nmsg - ADI_MMSG_MAX);
}

/* Dispatch the IO syscalls; returns false for any other number. */
static __always_inline bool handle_io(struct sc_args *a, long nr, int mode)
{
	struct scratch *s;

	switch (nr) {
	case 0: case 1: case 17: case 18: case 19: case 20: case 44: case 45:
	case 46: case 47: case 295: case 296: case 299: case 307: case 327:
	case 328: case 40: case 326: case 275:
		break;
	default:
		return false;
	}
	if (a->ret < 0 && nr != 0 && nr != 1)
		return true; /* failed data syscalls carry nothing to show; read/write errors are recorded */
	s = scratch_get();
	if (!s)
		return true;
	if (a->ret < 0) {
		io_emit(a, s, nr == 0 ? ADI_OP_READ : ADI_OP_WRITE, (int)a->a[0],
			nr == 1, SRC_NONE, 0, 0, 0, 0, 0, 0, NULL, mode);
		return true;
	}
	switch (nr) {
	case 0: io_emit(a, s, ADI_OP_READ, a->a[0], false, SRC_BUF, a->a[1], 0, a->ret, 0, 0, 0, NULL, mode); break;
	case 1: io_emit(a, s, ADI_OP_WRITE, a->a[0], true, SRC_BUF, a->a[1], 0, a->ret, 0, 0, 0, NULL, mode); break;
	case 17: io_emit(a, s, ADI_OP_PREAD64, a->a[0], false, SRC_BUF, a->a[1], 0, a->ret, 0, 0, 0, NULL, mode); break;
	case 18: io_emit(a, s, ADI_OP_PWRITE64, a->a[0], true, SRC_BUF, a->a[1], 0, a->ret, 0, 0, 0, NULL, mode); break;
	case 19: io_emit(a, s, ADI_OP_READV, a->a[0], false, SRC_IOV, a->a[1], a->a[2], a->ret, 0, 0, 0, NULL, mode); break;
	case 20: io_emit(a, s, ADI_OP_WRITEV, a->a[0], true, SRC_IOV, a->a[1], a->a[2], a->ret, 0, 0, 0, NULL, mode); break;
	case 295: io_emit(a, s, ADI_OP_PREADV, a->a[0], false, SRC_IOV, a->a[1], a->a[2], a->ret, 0, 0, 0, NULL, mode); break;
	case 296: io_emit(a, s, ADI_OP_PWRITEV, a->a[0], true, SRC_IOV, a->a[1], a->a[2], a->ret, 0, 0, 0, NULL, mode); break;
	case 327: io_emit(a, s, ADI_OP_PREADV2, a->a[0], false, SRC_IOV, a->a[1], a->a[2], a->ret, 0, 0, 0, NULL, mode); break;
	case 328: io_emit(a, s, ADI_OP_PWRITEV2, a->a[0], true, SRC_IOV, a->a[1], a->a[2], a->ret, 0, 0, 0, NULL, mode); break;
	case 44: { /* sendto(fd, buf, len, flags, dest_addr, addrlen) */
		struct dg_peer pr = { .addr = a->a[4], .len = a->a[5] };

		io_emit(a, s, ADI_OP_SENDTO, a->a[0], true, SRC_BUF, a->a[1], 0, a->ret, 0, 0, 0, &pr, mode);
		break;
	}
	case 45: { /* recvfrom(fd, buf, len, flags, src_addr, addrlen *) */
		struct dg_peer pr = { .addr = a->a[4], .len = a->a[5], .len_at = true };

		io_emit(a, s, ADI_OP_RECVFROM, a->a[0], false, SRC_BUF, a->a[1], a->a[2],
			a->ret, 0, (__u32)a->a[3], 0, &pr, mode);
		break;
	}
	case 46: io_msg(a, s, ADI_OP_SENDMSG, true, mode); break;
	case 47: io_msg(a, s, ADI_OP_RECVMSG, false, mode); break;
	case 307: io_mmsg(a, s, ADI_OP_SENDMMSG, true, mode); break;
	case 299: io_mmsg(a, s, ADI_OP_RECVMMSG, false, mode); break;
	case 40: /* sendfile(out, in, off, count): bytes only, both fds */
		io_emit(a, s, ADI_OP_SENDFILE, a->a[1], false, SRC_NONE, 0, 0, a->ret, 0, 0, 0, NULL, mode);
		io_emit(a, s, ADI_OP_SENDFILE, a->a[0], true, SRC_NONE, 0, 0, a->ret, 0, 0, 0, NULL, mode);
		break;
	case 326: /* copy_file_range(in, off_in, out, off_out, len, flags) */
		io_emit(a, s, ADI_OP_COPY_FILE_RANGE, a->a[0], false, SRC_NONE, 0, 0, a->ret, 0, 0, 0, NULL, mode);
		io_emit(a, s, ADI_OP_COPY_FILE_RANGE, a->a[2], true, SRC_NONE, 0, 0, a->ret, 0, 0, 0, NULL, mode);
		break;
	case 275: /* splice(in, off_in, out, off_out, len, flags) */
		io_emit(a, s, ADI_OP_SPLICE, a->a[0], false, SRC_NONE, 0, 0, a->ret, 0, 0, 0, NULL, mode);
		io_emit(a, s, ADI_OP_SPLICE, a->a[2], true, SRC_NONE, 0, 0, a->ret, 0, 0, 0, NULL, mode);
		break;
	}
	return true;
}

#endif
