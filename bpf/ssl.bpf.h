/* ssl.bpf.h - plaintext of TLS libraries (OpenSSL's API) through uprobes:
 * a thread entering SSL_read/SSL_write (or _ex, or the internal function
 * they call: src/capture/ebpf/tls.c chooses where each probe sits) is
 * remembered with its arguments; a read/write syscall it makes on a socket
 * meanwhile names the session's socket (handle_sys_exit calls
 * ssl_note_syscall); at the return the plaintext is copied into an
 * adi_rec_tls. SSL_do_handshake teaches the socket too (no record), SSL_free
 * forgets the session. BIO_write inside SSL_write keeps the first bytes of
 * ciphertext a memory BIO receives, which user space finds again in a
 * socket write (docs/tls.md). */
#ifndef ADI_SSL_BPF_H
#define ADI_SSL_BPF_H

#include "common.bpf.h"

/* Set by user space once a probe is attached: until then the syscall
 * hook does not even look. */
volatile bool ssl_hooks_on;

enum ssl_call_kind { SSL_CALL_READ = 1, SSL_CALL_WRITE, SSL_CALL_HANDSHAKE };

struct ssl_call {
	__u64 ssl;        /* the session (SSL *) */
	__u64 buf;        /* the caller's plaintext buffer */
	__u64 outlen;     /* size_t * of the _ex / internal form, 0 for the int form */
	__s32 fd;         /* socket a syscall inside the call used, -1 none */
	__u8 kind;        /* enum ssl_call_kind */
	__u8 head_len;    /* ciphertext head kept (BIO_write inside SSL_write) */
	__u8 pad[2];
	__u8 head[ADI_TLS_HEAD];
};

/* ssl_calls: task local storage, value struct ssl_call: the thread is
 * inside a hooked call while kind is set. Written by the entry programs
 * (the fd and head by the syscall hook and BIO_write), kind cleared by the
 * return program; the storage dies with the thread. Cheaper than a hash
 * keyed by thread id on this path (PLATFORM.md: task storage 226 ns vs a
 * hash 297 ns for enter/exit pairing). */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ssl_call);
} ssl_calls SEC(".maps");

/* The calling thread's call slot (created when create), or NULL. */
static __always_inline struct ssl_call *ssl_call_of(bool create)
{
	return bpf_task_storage_get(&ssl_calls, bpf_get_current_task_btf(), 0,
				    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
}

struct ssl_key {
	__u32 tgid;
	__u32 pad;
	__u64 ssl;
};

struct ssl_session {
	__s32 fd;         /* the session's socket, -1 not seen yet */
	__u32 pos[2];     /* plaintext positions: [0] written, [1] read */
	__u32 described;  /* fi/sk describe fd (the walk of the task's fd
			   * table costs more than the rest of a record) */
	struct adi_fdinfo fi;
	struct adi_sockinfo sk;
};

/* ssl_sessions: key (tgid, SSL *), value the session's socket and
 * plaintext positions. Written by the return programs, deleted by the
 * SSL_free program; LRU bounds what a process that never frees leaves. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	/* per-CPU LRU lists: no lock shared between CPUs on every call */
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__uint(max_entries, 65536);
	__type(key, struct ssl_key);
	__type(value, struct ssl_session);
} ssl_sessions SEC(".maps");

/* fd is a socket (other I/O inside a call -- a runtime waking its event
 * loop through an eventfd, a log write -- names nothing). */
static __always_inline bool fd_is_sock(int fd)
{
	struct file *f = fd_file(fd, 0);
	struct inode *ino;

	if (!f)
		return false;
	ino = BPF_CORE_READ(f, f_inode);
	return ino && adi_mode_kind(BPF_CORE_READ(ino, i_mode)) == ADI_FD_SOCK;
}

/* From handle_sys_exit: a read/write-family syscall (nr) of a traced
 * thread that is inside a hooked call names the session's socket. */
static __always_inline void ssl_note_syscall(const struct sc_args *a, long nr)
{
	struct ssl_call *c;

	if (!ssl_hooks_on)
		return;
	switch (nr) {
	case 0: case 1: case 19: case 20: case 44: case 45: case 46: case 47:
		break;
	default:
		return;
	}
	c = ssl_call_of(false);
	if (c && c->kind && c->fd != (__s32)a->a[0] && fd_is_sock((int)a->a[0]))
		c->fd = (__s32)a->a[0];
}

static __always_inline int ssl_enter(struct pt_regs *ctx, __u8 kind, bool ex)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct ssl_call *c;

	if (!tgid_traced(id >> 32) || !(c = ssl_call_of(true)))
		return 0;
	c->ssl = PT_REGS_PARM1(ctx);
	c->buf = PT_REGS_PARM2(ctx);
	c->outlen = ex ? PT_REGS_PARM4(ctx) : 0;
	c->fd = -1;
	c->head_len = 0;
	c->kind = kind;
	return 0;
}

/* Entry programs: the int form (SSL_read(ssl, buf, int num)) and the _ex
 * form, which the internal functions share (ssl, buf, size_t num,
 * size_t *done). */
SEC("uprobe")
int handle_ssl_read_enter(struct pt_regs *ctx)
{
	return ssl_enter(ctx, SSL_CALL_READ, false);
}

SEC("uprobe")
int handle_ssl_read_ex_enter(struct pt_regs *ctx)
{
	return ssl_enter(ctx, SSL_CALL_READ, true);
}

SEC("uprobe")
int handle_ssl_write_enter(struct pt_regs *ctx)
{
	return ssl_enter(ctx, SSL_CALL_WRITE, false);
}

SEC("uprobe")
int handle_ssl_write_ex_enter(struct pt_regs *ctx)
{
	return ssl_enter(ctx, SSL_CALL_WRITE, true);
}

SEC("uprobe")
int handle_ssl_handshake_enter(struct pt_regs *ctx)
{
	return ssl_enter(ctx, SSL_CALL_HANDSHAKE, false);
}

/* SSL_free(ssl): the address may come back as another session. User
 * space is told when the session had no socket of its own: what it holds
 * for it belongs to this session only. */
SEC("uprobe")
int handle_ssl_free(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct ssl_key k = { .tgid = id >> 32, .ssl = PT_REGS_PARM1(ctx) };
	struct ssl_session *ss;
	struct adi_rec_tls *r;
	struct scratch *s;

	if (!tgid_traced(k.tgid))
		return 0;
	ss = bpf_map_lookup_elem(&ssl_sessions, &k);
	if (!ss)
		return 0;
	if (ss->fd < 0 && !stopped && want_net && (s = scratch_get())) {
		r = (struct adi_rec_tls *)s->buf;
		__builtin_memset(r, 0, sizeof(*r));
		fill_hdr(&r->h, ADI_REC_TLS, ADI_OP_SSL_FREE, id, 0);
		r->ssl = k.ssl;
		r->fd = -1;
		r->h.size = sizeof(*r);
		emit(r, sizeof(*r));
	}
	bpf_map_delete_elem(&ssl_sessions, &k);
	return 0;
}

/* BIO_write(bio, data, dlen) inside SSL_write with no socket seen: the
 * session writes into a memory BIO; its first bytes are the start of the
 * TLS records that will leave by some socket write. */
SEC("uprobe")
int handle_bio_write(struct pt_regs *ctx)
{
	struct ssl_call *c;
	__s64 n = (int)PT_REGS_PARM3(ctx);

	if (!ssl_hooks_on)
		return 0;
	c = ssl_call_of(false);
	if (!c || c->kind != SSL_CALL_WRITE || c->head_len || c->fd >= 0 || n < ADI_TLS_HEAD)
		return 0;
	if (!bpf_probe_read_user(c->head, ADI_TLS_HEAD, (void *)PT_REGS_PARM2(ctx)))
		c->head_len = ADI_TLS_HEAD;
	return 0;
}

/* The return of any hooked call: the plaintext it moved, as an
 * adi_rec_tls (none for a handshake or a call that moved nothing; the
 * socket it named is kept for the session either way). */
SEC("uretprobe")
int handle_ssl_return(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct ssl_session *ss, fresh = { .fd = -1 };
	struct ssl_call c, *cp;
	struct ssl_key k = {};
	struct adi_rec_tls *r;
	struct scratch *s;
	__s64 ret = (int)PT_REGS_RC(ctx);
	__u64 n = 0;
	__u32 cap = cap_bytes, got = 0, head = 0;
	bool out;
	int d;

	cp = ssl_call_of(false);
	if (!cp || !cp->kind)
		return 0;
	c = *cp;
	cp->kind = 0;
	k.tgid = id >> 32;
	k.ssl = c.ssl;
	ss = bpf_map_lookup_elem(&ssl_sessions, &k);
	if (!ss) {
		if (c.fd < 0 && (c.kind == SSL_CALL_HANDSHAKE || ret <= 0))
			return 0; /* nothing learnt, nothing to say */
		bpf_map_update_elem(&ssl_sessions, &k, &fresh, BPF_NOEXIST);
		ss = bpf_map_lookup_elem(&ssl_sessions, &k);
		if (!ss)
			return 0;
	}
	if (c.fd >= 0 && c.fd != ss->fd) {
		ss->fd = c.fd;
		ss->described = 0;
	}
	if (c.kind == SSL_CALL_HANDSHAKE || ret <= 0 || stopped || !want_net)
		return 0;
	/* the _ex and internal forms return 1 and say how much in *outlen */
	if (c.outlen) {
		if (bpf_probe_read_user(&n, sizeof(n), (void *)c.outlen))
			return 0;
	} else {
		n = ret;
	}
	if (!n)
		return 0;
	s = scratch_get();
	if (!s)
		return 0;
	out = c.kind == SSL_CALL_WRITE;
	d = out ? 0 : 1;
	r = (struct adi_rec_tls *)s->buf;
	fill_hdr(&r->h, ADI_REC_TLS, out ? ADI_OP_SSL_WRITE : ADI_OP_SSL_READ, id, 0);
	r->ssl = c.ssl;
	r->ret = ret;
	r->size = n;
	r->fd = ss->fd;
	r->flags = (out ? ADI_F_OUT : 0) | ADI_F_HAS_SEQ;
	r->seq = ss->pos[d & 1];
	ss->pos[d & 1] += (__u32)n;
	r->head_len = 0;
	r->pad = 0;
	r->pad2 = 0;
	/* the socket stays open while the session uses it: described once
	 * per fd, which saves the fd-table walk (about 250 ns here) on
	 * every later call */
	if (!ss->described) {
		fd_describe(ss->fd, &ss->fi, &ss->sk, 0);
		ss->described = 1;
	}
	r->fi = ss->fi;
	r->sk = ss->sk;
	if (cap > ADI_CAP_MAX)
		cap = ADI_CAP_MAX;
	got = n < cap ? n : cap;
	ADI_BOUND(got, 2 * ADI_CAP_MAX - 1); /* got <= cap already */
	if (got && bpf_probe_read_user(REC_DATA(s, *r), got, (void *)c.buf))
		got = 0;
	if (got < n && cap_bytes) {
		r->flags |= ADI_F_TRUNC;
		cnt_add(ADI_CNT_TRUNCATED, 1);
	}
	r->cap_len = got;
	if (c.head_len == ADI_TLS_HEAD && ss->fd < 0) {
		__u32 at = got;

		ADI_BOUND(at, 2 * ADI_CAP_MAX - 1);
		__builtin_memcpy(REC_DATA(s, *r) + at, c.head, ADI_TLS_HEAD);
		head = ADI_TLS_HEAD;
	}
	r->head_len = head;
	r->h.size = sizeof(*r) + got + head;
	emit(r, sizeof(*r) + got + head);
	return 0;
}

#endif
