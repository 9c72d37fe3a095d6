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

/* Build and emit one IO record. For SRC_BUF, cnt (when not 0) is the
 * buffer's length: recvfrom(MSG_TRUNC) returns more than it holds. pr: the
 * datagram peer's whereabouts (NULL: the call names none). */
static __always_inline void io_emit(struct sc_args *a, struct scratch *s,
				    __u16 op, int fd, bool out, int src,
				    __u64 ptr, __u64 cnt, __u64 size,
				    __u32 msg_index, __u32 recv_flags, __u32 after,
				    const struct dg_peer *pr)
{
	struct adi_rec_io *r = (struct adi_rec_io *)s->buf;
	struct sock *sk;
	__u32 n = 0, cap = cap_bytes, tail = 0;
	__u64 avail = size;
	bool sample;

	/* what the fd is decides whether anything is sent: look first, and
	 * pay for the header only for records that go out */
	sk = fd_describe(fd, &r->fi, &r->sk);
	/* bytes to terminals, pipes, /dev/null, eventfds are not reported:
	 * do not ship them (failed calls still are: their errno matters) */
	if (r->fi.kind != ADI_FD_SOCK && r->fi.kind != ADI_FD_REG &&
	    r->fi.kind != ADI_FD_BLK && r->fi.kind != ADI_FD_UNKNOWN && a->ret >= 0)
		return;
	if (r->fi.kind == ADI_FD_SOCK ? !want_net : !want_fs)
		return;
	fill_hdr(&r->h, ADI_REC_IO, op, a->id);
	r->ret = a->ret;
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
	if (sk && r->sk.protocol == IPPROTO_TCP && r->sk.type == SOCK_STREAM &&
	    !(recv_flags & MSG_PEEK)) {
		struct tcp_sock *tp = (struct tcp_sock *)sk;
		__u32 end = out ? BPF_CORE_READ(tp, write_seq)
				: BPF_CORE_READ(tp, copied_seq);

		/* a read that also consumed the peer's FIN moved copied_seq one
		 * further (the FIN takes a sequence number): the FIN was seen
		 * (SOCK_DONE, never set by a reset) and nothing is left */
		if (!out && size &&
		    (BPF_CORE_READ(sk, __sk_common.skc_flags) & (1UL << SOCK_DONE)) &&
		    end == BPF_CORE_READ(tp, rcv_nxt))
			end--;
		/* the counters already moved past this syscall's bytes (and,
		 * for mmsg, past the messages after this one: `after`) */
		r->seq = end - (__u32)size - after;
		r->flags |= ADI_F_HAS_SEQ;
	}
	r->cap_len = n;
	r->h.size = sizeof(*r) + n + tail;
	emit(r, sizeof(*r) + n + tail);
}

/* sendmsg/recvmsg: the iovecs are behind a user msghdr. */
static __always_inline void io_msg(struct sc_args *a, struct scratch *s,
				   __u16 op, bool out)
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
		m.msg_iovlen, a->ret, 0, out ? 0 : (__u32)a->a[2], 0, &pr);
}

/* sendmmsg/recvmmsg: ret messages, each with its own length; one record
 * per message, up to ADI_MMSG_MAX (the rest counted as truncated). */
static __always_inline void io_mmsg(struct sc_args *a, struct scratch *s,
				    __u16 op, bool out)
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
			m.msg_len, i, 0, total - done, &pr);
	}
	if (nmsg > ADI_MMSG_MAX)
		cnt_add(ADI_CNT_TRUNCATED, nmsg - ADI_MMSG_MAX);
}

/* Dispatch the IO syscalls; returns false for any other number. */
static __always_inline bool handle_io(struct sc_args *a, long nr)
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
			nr == 1, SRC_NONE, 0, 0, 0, 0, 0, 0, NULL);
		return true;
	}
	switch (nr) {
	case 0: io_emit(a, s, ADI_OP_READ, a->a[0], false, SRC_BUF, a->a[1], 0, a->ret, 0, 0, 0, NULL); break;
	case 1: io_emit(a, s, ADI_OP_WRITE, a->a[0], true, SRC_BUF, a->a[1], 0, a->ret, 0, 0, 0, NULL); break;
	case 17: io_emit(a, s, ADI_OP_PREAD64, a->a[0], false, SRC_BUF, a->a[1], 0, a->ret, 0, 0, 0, NULL); break;
	case 18: io_emit(a, s, ADI_OP_PWRITE64, a->a[0], true, SRC_BUF, a->a[1], 0, a->ret, 0, 0, 0, NULL); break;
	case 19: io_emit(a, s, ADI_OP_READV, a->a[0], false, SRC_IOV, a->a[1], a->a[2], a->ret, 0, 0, 0, NULL); break;
	case 20: io_emit(a, s, ADI_OP_WRITEV, a->a[0], true, SRC_IOV, a->a[1], a->a[2], a->ret, 0, 0, 0, NULL); break;
	case 295: io_emit(a, s, ADI_OP_PREADV, a->a[0], false, SRC_IOV, a->a[1], a->a[2], a->ret, 0, 0, 0, NULL); break;
	case 296: io_emit(a, s, ADI_OP_PWRITEV, a->a[0], true, SRC_IOV, a->a[1], a->a[2], a->ret, 0, 0, 0, NULL); break;
	case 327: io_emit(a, s, ADI_OP_PREADV2, a->a[0], false, SRC_IOV, a->a[1], a->a[2], a->ret, 0, 0, 0, NULL); break;
	case 328: io_emit(a, s, ADI_OP_PWRITEV2, a->a[0], true, SRC_IOV, a->a[1], a->a[2], a->ret, 0, 0, 0, NULL); break;
	case 44: { /* sendto(fd, buf, len, flags, dest_addr, addrlen) */
		struct dg_peer pr = { .addr = a->a[4], .len = a->a[5] };

		io_emit(a, s, ADI_OP_SENDTO, a->a[0], true, SRC_BUF, a->a[1], 0, a->ret, 0, 0, 0, &pr);
		break;
	}
	case 45: { /* recvfrom(fd, buf, len, flags, src_addr, addrlen *) */
		struct dg_peer pr = { .addr = a->a[4], .len = a->a[5], .len_at = true };

		io_emit(a, s, ADI_OP_RECVFROM, a->a[0], false, SRC_BUF, a->a[1], a->a[2],
			a->ret, 0, (__u32)a->a[3], 0, &pr);
		break;
	}
	case 46: io_msg(a, s, ADI_OP_SENDMSG, true); break;
	case 47: io_msg(a, s, ADI_OP_RECVMSG, false); break;
	case 307: io_mmsg(a, s, ADI_OP_SENDMMSG, true); break;
	case 299: io_mmsg(a, s, ADI_OP_RECVMMSG, false); break;
	case 40: /* sendfile(out, in, off, count): bytes only, both fds */
		io_emit(a, s, ADI_OP_SENDFILE, a->a[1], false, SRC_NONE, 0, 0, a->ret, 0, 0, 0, NULL);
		io_emit(a, s, ADI_OP_SENDFILE, a->a[0], true, SRC_NONE, 0, 0, a->ret, 0, 0, 0, NULL);
		break;
	case 326: /* copy_file_range(in, off_in, out, off_out, len, flags) */
		io_emit(a, s, ADI_OP_COPY_FILE_RANGE, a->a[0], false, SRC_NONE, 0, 0, a->ret, 0, 0, 0, NULL);
		io_emit(a, s, ADI_OP_COPY_FILE_RANGE, a->a[2], true, SRC_NONE, 0, 0, a->ret, 0, 0, 0, NULL);
		break;
	case 275: /* splice(in, off_in, out, off_out, len, flags) */
		io_emit(a, s, ADI_OP_SPLICE, a->a[0], false, SRC_NONE, 0, 0, a->ret, 0, 0, 0, NULL);
		io_emit(a, s, ADI_OP_SPLICE, a->a[2], true, SRC_NONE, 0, 0, a->ret, 0, 0, 0, NULL);
		break;
	}
	return true;
}

#endif
