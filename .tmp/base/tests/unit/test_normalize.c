/* test_normalize.c - unit tests of adi_normalize_record (src/capture/
 * normalize.c): hand-built kernel records (abi/adi_abi.h) followed by their
 * payload in one heap buffer of exactly the record's size (so ASan sees any
 * read past it), converted to normalized raw events. Checks that fields are
 * copied, the direction, transport and flags derived, and that every length
 * a record claims is checked against the bytes actually given.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "abi/adi_abi.h"
#include "capture/normalize.h"
#include "lib/raw_event.h"

#define WALL 1700000000000000000ll /* added to the monotonic record time */

/* ---- record builders ---- */

/* A heap copy of fixed (fsz bytes) + tail (tlen bytes): exactly the size. */
static uint8_t *rec_new(const void *fixed, size_t fsz, const void *tail, size_t tlen)
{
	uint8_t *b = malloc(fsz + tlen);

	assert_non_null(b);
	memcpy(b, fixed, fsz);
	if (tlen)
		memcpy(b + fsz, tail, tlen);
	return b;
}

static void hdr(struct adi_rec_hdr *h, uint16_t type, uint16_t op, size_t size)
{
	h->type = type;
	h->op = op;
	h->size = (uint32_t)size;
	h->ts = 5000;
	h->pid = 42;
	h->tid = 43;
	h->cgroup_id = 99;
	memcpy(h->comm, "0123456789abcdef", 16); /* full: no NUL of its own */
}

static void fdinfo(struct adi_fdinfo *fi, uint8_t kind)
{
	fi->ino = 1234;
	fi->dev = 8;
	fi->mode = 0100640;
	fi->kind = kind;
	fi->uid = 1000;
	fi->gid = 100;
}

static void sockinfo(struct adi_sockinfo *sk, uint16_t fam, uint16_t type, uint16_t proto)
{
	sk->family = fam;
	sk->type = type;
	sk->protocol = proto;
	sk->state = 1;
	sk->lport = 41000;
	sk->rport = 443;
	for (int i = 0; i < 16; i++) {
		sk->laddr[i] = (uint8_t)(0x10 + i);
		sk->raddr[i] = (uint8_t)(0x80 + i);
	}
}

static struct adi_rec_io io_rec(uint16_t op, uint32_t flags, uint32_t cap_len)
{
	struct adi_rec_io r;

	memset(&r, 0, sizeof(r));
	hdr(&r.h, ADI_REC_IO, op, sizeof(r) + cap_len);
	r.ret = 5;
	r.size = 5;
	r.fd = 7;
	r.flags = flags;
	r.cap_len = cap_len;
	fdinfo(&r.fi, ADI_FD_REG);
	return r;
}

/* normalize the record r (fsz bytes) + tail, in an exact-size buffer */
static int norm(const void *r, size_t fsz, const void *tail, size_t tlen,
		struct adi_raw_event *ev, uint8_t **keep)
{
	uint8_t *b = rec_new(r, fsz, tail, tlen);
	int rc = adi_normalize_record(b, fsz + tlen, WALL, ev);

	if (keep)
		*keep = b;
	else
		free(b);
	return rc;
}

static void expect_hdr(const struct adi_raw_event *ev)
{
	assert_int_equal(ev->f.ts_ns, 5000 + WALL);
	assert_int_equal(ev->f.pid, 42);
	assert_int_equal(ev->f.tid, 43);
	assert_int_equal(ev->f.cgroup_id, 99);
	assert_memory_equal(ev->f.comm, "0123456789abcde", 16); /* NUL terminated */
}

static void expect_fdinfo(const struct adi_raw_event *ev, uint8_t kind)
{
	assert_int_equal(ev->f.ino, 1234);
	assert_int_equal(ev->f.dev, 8);
	assert_int_equal(ev->f.uid, 1000);
	assert_int_equal(ev->f.gid, 100);
	assert_int_equal(ev->f.fd_kind, kind);
}

/* family and op, the header's fields, and those of fdinfo(kind) */
static void expect_head(const struct adi_raw_event *ev, uint16_t family, uint16_t op,
			uint8_t kind)
{
	assert_int_equal(ev->f.family, family);
	assert_int_equal(ev->f.op, op);
	expect_hdr(ev);
	expect_fdinfo(ev, kind);
}

/* ---- IO ---- */

static void test_io_fields(void **state)
{
	struct adi_rec_io r = io_rec(ADI_OP_READ, 0, 5);
	struct adi_raw_event ev;
	uint8_t *b;

	(void)state;
	r.msg_index = 3;
	assert_int_equal(norm(&r, sizeof(r), "hello", 5, &ev, &b), 0);
	expect_head(&ev, ADI_RAW_IO, ADI_OP_READ, ADI_FD_REG);
	assert_int_equal(ev.f.mode, 0100640);
	assert_int_equal(ev.f.ret, 5);
	assert_int_equal(ev.f.size, 5);
	assert_int_equal(ev.f.fd, 7);
	assert_int_equal(ev.f.fd2, -1);
	assert_int_equal(ev.f.dfd, -100);
	assert_int_equal(ev.f.dfd2, -100);
	assert_int_equal(ev.f.arg2, 3); /* mmsg message index */
	assert_int_equal(ev.f.dir, ADI_DIR_IN);
	assert_int_equal(ev.f.flags, 0);
	assert_int_equal(ev.f.transport, ADI_TR_NONE);
	assert_int_equal(ev.f.sock_type, 0);
	assert_int_equal(ev.f.local.family, 0);
	assert_int_equal(ev.f.data_len, 5);
	assert_ptr_equal(ev.data, b + sizeof(r));
	assert_memory_equal(ev.data, "hello", 5);
	assert_int_equal(ev.f.path_len, 0);
	assert_int_equal(ev.f.path2_len, 0);
	free(b);
}

static void test_io_wall_offset(void **state)
{
	struct adi_rec_io r = io_rec(ADI_OP_READ, 0, 0);
	struct adi_raw_event ev;
	uint8_t *b = rec_new(&r, sizeof(r), NULL, 0);

	(void)state;
	assert_int_equal(adi_normalize_record(b, sizeof(r), 0, &ev), 0);
	assert_int_equal(ev.f.ts_ns, 5000);
	assert_int_equal(adi_normalize_record(b, sizeof(r), -1000, &ev), 0);
	assert_int_equal(ev.f.ts_ns, 4000);
	assert_int_equal(adi_normalize_record(b, sizeof(r), 7, &ev), 0);
	assert_int_equal(ev.f.ts_ns, 5007);
	free(b);
}

static void test_io_direction_and_flags(void **state)
{
	struct adi_rec_io r = io_rec(ADI_OP_WRITE, ADI_F_OUT | ADI_F_TRUNC | ADI_F_HAS_SEQ, 3);
	struct adi_raw_event ev;

	(void)state;
	r.seq = 0xfffffffe;
	r.size = 9000; /* true size; only 3 bytes captured */
	assert_int_equal(norm(&r, sizeof(r), "abc", 3, &ev, NULL), 0);
	assert_int_equal(ev.f.dir, ADI_DIR_OUT);
	assert_int_equal(ev.f.flags, ADI_RAW_TRUNC | ADI_RAW_HAS_SEQ);
	assert_int_equal(ev.f.seq, 0xfffffffe);
	assert_int_equal(ev.f.size, 9000);
	assert_int_equal(ev.f.data_len, 3);

	/* without ADI_F_HAS_SEQ the seq field is not trusted */
	r = io_rec(ADI_OP_READ, 0, 0);
	r.seq = 1234;
	assert_int_equal(norm(&r, sizeof(r), NULL, 0, &ev, NULL), 0);
	assert_int_equal(ev.f.seq, 0);
	assert_int_equal(ev.f.flags & ADI_RAW_HAS_SEQ, 0);
}

static void test_io_eof(void **state)
{
	struct adi_rec_io r = io_rec(ADI_OP_READ, 0, 0);
	struct adi_raw_event ev;

	(void)state;
	r.ret = 0;
	r.size = 0;
	assert_int_equal(norm(&r, sizeof(r), NULL, 0, &ev, NULL), 0);
	assert_int_equal(ev.f.flags, ADI_RAW_EOF);
	/* a write of 0 bytes is not an end of stream */
	r.flags = ADI_F_OUT;
	assert_int_equal(norm(&r, sizeof(r), NULL, 0, &ev, NULL), 0);
	assert_int_equal(ev.f.flags, 0);
	/* nor is a failed read */
	r.flags = 0;
	r.ret = -EAGAIN;
	assert_int_equal(norm(&r, sizeof(r), NULL, 0, &ev, NULL), 0);
	assert_int_equal(ev.f.flags, 0);
	assert_int_equal(ev.f.ret, -EAGAIN);
}

static void test_io_nopayload_ops(void **state)
{
	static const uint16_t blind[] = { ADI_OP_SENDFILE, ADI_OP_COPY_FILE_RANGE, ADI_OP_SPLICE };
	static const uint16_t seen[] = { ADI_OP_READ, ADI_OP_WRITEV, ADI_OP_SENDMSG, ADI_OP_RECVMMSG };
	struct adi_raw_event ev;

	(void)state;
	for (size_t i = 0; i < sizeof(blind) / sizeof(blind[0]); i++) {
		struct adi_rec_io r = io_rec(blind[i], ADI_F_OUT, 0);

		assert_int_equal(norm(&r, sizeof(r), NULL, 0, &ev, NULL), 0);
		assert_int_equal(ev.f.flags, ADI_RAW_NOPAYLOAD);
		assert_int_equal(ev.f.op, blind[i]);
	}
	for (size_t i = 0; i < sizeof(seen) / sizeof(seen[0]); i++) {
		struct adi_rec_io r = io_rec(seen[i], ADI_F_OUT, 0);

		assert_int_equal(norm(&r, sizeof(r), NULL, 0, &ev, NULL), 0);
		assert_int_equal(ev.f.flags, 0);
	}
}

/* ---- sockets: transport and endpoints ---- */

static void expect_transport(uint16_t fam, uint16_t type, uint16_t proto, uint8_t want)
{
	struct adi_rec_io r = io_rec(ADI_OP_SENDTO, ADI_F_OUT, 0);
	struct adi_raw_event ev;

	r.fi.kind = ADI_FD_SOCK;
	sockinfo(&r.sk, fam, type, proto);
	assert_int_equal(norm(&r, sizeof(r), NULL, 0, &ev, NULL), 0);
	assert_int_equal(ev.f.transport, want);
	assert_int_equal(ev.f.sock_type, type);
	assert_int_equal(ev.f.sock_proto, proto);
	assert_int_equal(ev.f.local.family, fam);
	assert_int_equal(ev.f.remote.family, fam);
}

static void test_transport(void **state)
{
	(void)state;
	expect_transport(AF_INET, SOCK_STREAM, IPPROTO_TCP, ADI_TR_TCP);
	expect_transport(AF_INET6, SOCK_STREAM, IPPROTO_TCP, ADI_TR_TCP);
	expect_transport(AF_INET, SOCK_DGRAM, IPPROTO_UDP, ADI_TR_UDP);
	expect_transport(AF_INET6, SOCK_DGRAM, IPPROTO_UDP, ADI_TR_UDP);
	expect_transport(AF_INET, SOCK_RAW, IPPROTO_ICMP, ADI_TR_OTHER);
	expect_transport(AF_UNIX, SOCK_STREAM, 0, ADI_TR_UNIX);
	expect_transport(AF_UNIX, SOCK_DGRAM, 0, ADI_TR_OTHER);
	expect_transport(AF_UNIX, SOCK_SEQPACKET, 0, ADI_TR_OTHER);
	expect_transport(AF_NETLINK, SOCK_RAW, 0, ADI_TR_OTHER);
}

static void test_endpoints(void **state)
{
	struct adi_rec_io r = io_rec(ADI_OP_SENDTO, ADI_F_OUT, 0);
	struct adi_raw_event ev;
	static const uint8_t zero[16];

	(void)state;
	r.fi.kind = ADI_FD_SOCK;
	sockinfo(&r.sk, AF_INET, SOCK_STREAM, IPPROTO_TCP);
	assert_int_equal(norm(&r, sizeof(r), NULL, 0, &ev, NULL), 0);
	assert_int_equal(ev.f.local.port, 41000);
	assert_int_equal(ev.f.remote.port, 443);
	/* IPv4: the first 4 bytes only */
	assert_memory_equal(ev.f.local.addr, r.sk.laddr, 4);
	assert_memory_equal(ev.f.remote.addr, r.sk.raddr, 4);
	assert_memory_equal(ev.f.local.addr + 4, zero, 12);
	assert_memory_equal(ev.f.remote.addr + 4, zero, 12);

	sockinfo(&r.sk, AF_INET6, SOCK_STREAM, IPPROTO_TCP);
	assert_int_equal(norm(&r, sizeof(r), NULL, 0, &ev, NULL), 0);
	assert_memory_equal(ev.f.local.addr, r.sk.laddr, 16);
	assert_memory_equal(ev.f.remote.addr, r.sk.raddr, 16);

	/* unix: no address or port */
	sockinfo(&r.sk, AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(norm(&r, sizeof(r), NULL, 0, &ev, NULL), 0);
	assert_int_equal(ev.f.local.port, 0);
	assert_int_equal(ev.f.remote.port, 0);
	assert_memory_equal(ev.f.local.addr, zero, 16);

	/* not a socket: nothing */
	memset(&r.sk, 0, sizeof(r.sk));
	r.sk.lport = 80;
	assert_int_equal(norm(&r, sizeof(r), NULL, 0, &ev, NULL), 0);
	assert_int_equal(ev.f.transport, ADI_TR_NONE);
	assert_int_equal(ev.f.local.port, 0);
}

/* ---- path ---- */

static struct adi_rec_path path_rec(uint16_t op, uint16_t len1, uint16_t len2)
{
	struct adi_rec_path r;

	memset(&r, 0, sizeof(r));
	hdr(&r.h, ADI_REC_PATH, op, sizeof(r) + len1 + len2);
	r.ret = 0;
	r.length = 4096;
	r.dfd = 5;
	r.dfd2 = -100;
	r.fd = -1;
	r.oflags = 01101;
	r.mode = 0644;
	r.uid = 2000;
	r.gid = 3000;
	r.len1 = len1;
	r.len2 = len2;
	fdinfo(&r.fi, ADI_FD_REG);
	return r;
}

static void test_path_open_fields(void **state)
{
	struct adi_rec_path r = path_rec(ADI_OP_OPENAT, 7, 0);
	struct adi_raw_event ev;
	uint8_t *b;

	(void)state;
	r.ret = 3;
	assert_int_equal(norm(&r, sizeof(r), "a/b.txt", 7, &ev, &b), 0);
	expect_head(&ev, ADI_RAW_PATH, ADI_OP_OPENAT, ADI_FD_REG);
	assert_int_equal(ev.f.ret, 3);
	assert_int_equal(ev.f.length, 4096);
	assert_int_equal(ev.f.dfd, 5);
	assert_int_equal(ev.f.dfd2, -100);
	assert_int_equal(ev.f.fd, -1);
	assert_int_equal(ev.f.oflags, 01101);
	/* a successful open: the inode's mode, not the argument */
	assert_int_equal(ev.f.mode, 0100640);
	assert_ptr_equal(ev.path, (const char *)b + sizeof(r));
	assert_int_equal(ev.f.path_len, 7);
	assert_memory_equal(ev.path, "a/b.txt", 7);
	assert_int_equal(ev.f.path2_len, 0);
	assert_null(ev.data);
	assert_int_equal(ev.f.data_len, 0);
	assert_int_equal(ev.f.flags, 0);
	free(b);

	/* a failed open has no inode: the requested mode */
	r.ret = -ENOENT;
	memset(&r.fi, 0, sizeof(r.fi));
	assert_int_equal(norm(&r, sizeof(r), "a/b.txt", 7, &ev, NULL), 0);
	assert_int_equal(ev.f.mode, 0644);
	assert_int_equal(ev.f.ret, -ENOENT);
	assert_int_equal(ev.f.ino, 0);
}

static void test_path_mode_and_owner_args(void **state)
{
	struct adi_raw_event ev;
	struct adi_rec_path r;

	(void)state;
	r = path_rec(ADI_OP_FCHOWNAT, 1, 0);
	assert_int_equal(norm(&r, sizeof(r), "f", 1, &ev, NULL), 0);
	assert_int_equal(ev.f.uid, 2000); /* the chown arguments win */
	assert_int_equal(ev.f.gid, 3000);
	assert_int_equal(ev.f.mode, 0100640);

	r = path_rec(ADI_OP_CHMOD, 1, 0);
	assert_int_equal(norm(&r, sizeof(r), "f", 1, &ev, NULL), 0);
	assert_int_equal(ev.f.mode, 0644); /* the mode argument */
	assert_int_equal(ev.f.uid, 1000);  /* the inode's owner */

	r = path_rec(ADI_OP_MKDIRAT, 1, 0);
	r.mode = 0755;
	assert_int_equal(norm(&r, sizeof(r), "d", 1, &ev, NULL), 0);
	assert_int_equal(ev.f.mode, 0755);
}

static void test_path_two_paths(void **state)
{
	struct adi_rec_path r = path_rec(ADI_OP_RENAMEAT2, 3, 4);
	struct adi_raw_event ev;
	uint8_t *b;

	(void)state;
	r.dfd = -100;
	r.dfd2 = 9;
	r.flags = ADI_F_PATH2_TRUNC;
	assert_int_equal(norm(&r, sizeof(r), "oldnew!", 7, &ev, &b), 0);
	assert_ptr_equal(ev.path, (const char *)b + sizeof(r));
	assert_int_equal(ev.f.path_len, 3);
	assert_ptr_equal(ev.path2, (const char *)b + sizeof(r) + 3);
	assert_int_equal(ev.f.path2_len, 4);
	assert_memory_equal(ev.path2, "new!", 4);
	assert_int_equal(ev.f.dfd, -100);
	assert_int_equal(ev.f.dfd2, 9);
	assert_int_equal(ev.f.flags, ADI_RAW_TRUNC);
	free(b);

	r.flags = ADI_F_TRUNC;
	assert_int_equal(norm(&r, sizeof(r), "oldnew!", 7, &ev, NULL), 0);
	assert_int_equal(ev.f.flags, ADI_RAW_TRUNC);
}

/* ---- sock ---- */

static struct adi_rec_sock sock_rec(uint16_t op, uint32_t addrlen)
{
	struct adi_rec_sock r;

	memset(&r, 0, sizeof(r));
	hdr(&r.h, ADI_REC_SOCK, op, sizeof(r) + addrlen);
	r.ret = 0;
	r.fd = 6;
	r.arg = 11;
	r.arg2 = 22;
	r.addrlen = addrlen;
	fdinfo(&r.fi, ADI_FD_SOCK);
	sockinfo(&r.sk, AF_INET, SOCK_STREAM, IPPROTO_TCP);
	return r;
}

static void test_sock_connect(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(443) };
	struct adi_rec_sock r = sock_rec(ADI_OP_CONNECT, sizeof(sa));
	struct adi_raw_event ev;
	uint8_t *b;

	(void)state;
	r.ret = -EINPROGRESS;
	assert_int_equal(norm(&r, sizeof(r), &sa, sizeof(sa), &ev, &b), 0);
	expect_head(&ev, ADI_RAW_SOCK, ADI_OP_CONNECT, ADI_FD_SOCK);
	assert_int_equal(ev.f.ret, -EINPROGRESS);
	assert_int_equal(ev.f.fd, 6);
	assert_int_equal(ev.f.fd2, -1);
	assert_int_equal(ev.f.arg, 11);
	assert_int_equal(ev.f.arg2, 22);
	assert_int_equal(ev.f.transport, ADI_TR_TCP);
	assert_int_equal(ev.f.local.port, 41000);
	assert_ptr_equal(ev.path2, (const char *)b + sizeof(r));
	assert_int_equal(ev.f.path2_len, sizeof(sa));
	assert_memory_equal(ev.path2, &sa, sizeof(sa));
	assert_int_equal(ev.f.path_len, 0);
	free(b);
}

static void test_sock_accept_and_socket(void **state)
{
	struct adi_rec_sock r = sock_rec(ADI_OP_ACCEPT4, 0);
	struct adi_raw_event ev;

	(void)state;
	r.ret = 6;
	r.arg = 3; /* the listener */
	assert_int_equal(norm(&r, sizeof(r), NULL, 0, &ev, NULL), 0);
	assert_int_equal(ev.f.fd, 6);
	assert_int_equal(ev.f.fd2, 3);
	r.h.op = ADI_OP_ACCEPT;
	assert_int_equal(norm(&r, sizeof(r), NULL, 0, &ev, NULL), 0);
	assert_int_equal(ev.f.fd2, 3);

	/* failed socket(): no socket to describe, only the arguments */
	r = sock_rec(ADI_OP_SOCKET, 0);
	r.ret = -EMFILE;
	r.fd = -EMFILE;
	r.arg = AF_INET6;
	r.arg2 = SOCK_STREAM | SOCK_CLOEXEC;
	memset(&r.sk, 0, sizeof(r.sk));
	memset(&r.fi, 0, sizeof(r.fi));
	assert_int_equal(norm(&r, sizeof(r), NULL, 0, &ev, NULL), 0);
	assert_int_equal(ev.f.arg, AF_INET6);
	assert_int_equal(ev.f.arg2, SOCK_STREAM | SOCK_CLOEXEC);
	assert_int_equal(ev.f.fd2, -1);
	assert_int_equal(ev.f.transport, ADI_TR_NONE);
}

/* ---- fd ---- */

static struct adi_rec_fd fd_rec(uint16_t op)
{
	struct adi_rec_fd r;

	memset(&r, 0, sizeof(r));
	hdr(&r.h, ADI_REC_FD, op, sizeof(r));
	return r;
}

static void test_fd_fields(void **state)
{
	struct adi_rec_fd r = fd_rec(ADI_OP_DUP3);
	struct adi_raw_event ev;

	(void)state;
	r.ret = 1;
	r.fd = 3;
	r.fd2 = 1;
	r.arg = 1030;
	r.oflags = 02000000;
	fdinfo(&r.fi, ADI_FD_REG);
	sockinfo(&r.sk, AF_INET, SOCK_DGRAM, IPPROTO_UDP);
	assert_int_equal(norm(&r, sizeof(r), NULL, 0, &ev, NULL), 0);
	expect_head(&ev, ADI_RAW_FD, ADI_OP_DUP3, ADI_FD_REG);
	assert_int_equal(ev.f.ret, 1);
	assert_int_equal(ev.f.fd, 3);
	assert_int_equal(ev.f.fd2, 1);
	assert_int_equal(ev.f.arg, 1030);
	assert_int_equal(ev.f.oflags, 02000000);
	assert_int_equal(ev.f.transport, ADI_TR_UDP);
	assert_int_equal(ev.f.dfd, -100);
	assert_int_equal(ev.f.path_len + ev.f.path2_len + ev.f.data_len, 0);
}

/* ---- proc ---- */

/* a proc record followed by argv_len + filename_len bytes */
static struct adi_rec_proc proc_rec(uint16_t op, uint16_t argv_len, uint16_t filename_len)
{
	struct adi_rec_proc r;

	memset(&r, 0, sizeof(r));
	hdr(&r.h, ADI_REC_PROC, op, sizeof(r) + argv_len + filename_len);
	r.argv_len = argv_len;
	r.filename_len = filename_len;
	return r;
}

static void test_proc_exec(void **state)
{
	static const char tail[] = "ls\0-l\0/bin/ls"; /* argv 6, filename 7 */
	struct adi_rec_proc r = proc_rec(ADI_OP_EXEC, 6, 7);
	struct adi_raw_event ev;
	uint8_t *b;

	(void)state;
	r.ppid = 1;
	r.flags = ADI_F_TRUNC;
	assert_int_equal(norm(&r, sizeof(r), tail, 13, &ev, &b), 0);
	assert_int_equal(ev.f.family, ADI_RAW_PROC);
	assert_int_equal(ev.f.op, ADI_OP_EXEC);
	expect_hdr(&ev);
	assert_int_equal(ev.f.ppid, 1);
	assert_int_equal(ev.f.flags, ADI_RAW_TRUNC);
	assert_ptr_equal(ev.data, b + sizeof(r));
	assert_int_equal(ev.f.data_len, 6);
	assert_memory_equal(ev.data, "ls\0-l\0", 6);
	assert_ptr_equal(ev.path2, (const char *)b + sizeof(r) + 6);
	assert_int_equal(ev.f.path2_len, 7);
	assert_memory_equal(ev.path2, "/bin/ls", 7);
	free(b);
}

static void test_proc_fork_exit(void **state)
{
	struct adi_rec_proc r = proc_rec(ADI_OP_FORK, 0, 0);
	struct adi_raw_event ev;

	(void)state;
	r.h.pid = 200; /* the kernel side writes the child's ids in the header */
	r.h.tid = 200;
	r.ppid = 100;
	r.child_pid = 200;
	assert_int_equal(norm(&r, sizeof(r), NULL, 0, &ev, NULL), 0);
	assert_int_equal(ev.f.op, ADI_OP_FORK);
	assert_int_equal(ev.f.pid, 200);
	assert_int_equal(ev.f.ppid, 100);
	assert_int_equal(ev.f.data_len + ev.f.path2_len, 0);

	hdr(&r.h, ADI_REC_PROC, ADI_OP_EXIT, sizeof(r));
	r.exit_code = 3 << 8;
	assert_int_equal(norm(&r, sizeof(r), NULL, 0, &ev, NULL), 0);
	assert_int_equal(ev.f.op, ADI_OP_EXIT);
	assert_int_equal(ev.f.arg, 3 << 8);
	assert_int_equal(ev.f.pid, 42);
}

/* ---- lengths that do not fit ---- */

static void expect_einval(const void *r, size_t fsz, const void *tail, size_t tlen)
{
	struct adi_raw_event ev;

	assert_int_equal(norm(r, fsz, tail, tlen, &ev, NULL), -EINVAL);
}

static void test_bad_lengths(void **state)
{
	static const char pad[64] = "0123456789012345678901234567890123456789";
	struct adi_rec_io io = io_rec(ADI_OP_READ, 0, 5);
	struct adi_rec_path pr = path_rec(ADI_OP_RENAME, 3, 4);
	struct adi_rec_sock sr = sock_rec(ADI_OP_CONNECT, 16);
	struct adi_rec_proc pp = proc_rec(ADI_OP_EXEC, 6, 4);
	struct adi_rec_fd fr = fd_rec(ADI_OP_CLOSE);
	struct adi_raw_event ev;
	uint8_t *b;

	(void)state;
	/* cap_len: one byte more than given, and absurd */
	io.h.size = sizeof(io) + 4;
	expect_einval(&io, sizeof(io), pad, 4);
	io.cap_len = UINT32_MAX;
	io.h.size = sizeof(io);
	expect_einval(&io, sizeof(io), NULL, 0);

	/* len1 + len2: each alone fits, the sum does not */
	pr.h.size = sizeof(pr) + 6;
	expect_einval(&pr, sizeof(pr), pad, 6);
	pr.len1 = 7;
	pr.len2 = 0;
	expect_einval(&pr, sizeof(pr), pad, 6);
	pr.len1 = 0;
	pr.len2 = 7;
	expect_einval(&pr, sizeof(pr), pad, 6);
	pr.len1 = pr.len2 = UINT16_MAX;
	expect_einval(&pr, sizeof(pr), pad, 6);

	/* addrlen */
	sr.h.size = sizeof(sr) + 15;
	expect_einval(&sr, sizeof(sr), pad, 15);
	sr.addrlen = UINT32_MAX;
	expect_einval(&sr, sizeof(sr), pad, 15);

	/* argv_len + filename_len */
	pp.filename_len = 5;
	expect_einval(&pp, sizeof(pp), pad, 10);
	pp.argv_len = 11;
	pp.filename_len = 0;
	expect_einval(&pp, sizeof(pp), pad, 10);
	pp.argv_len = UINT16_MAX;
	pp.filename_len = UINT16_MAX;
	expect_einval(&pp, sizeof(pp), pad, 10);

	/* h.size larger than the buffer, on a record otherwise valid */
	io = io_rec(ADI_OP_READ, 0, 5);
	io.h.size = sizeof(io) + 6;
	expect_einval(&io, sizeof(io), pad, 5);
	io.h.size = UINT32_MAX;
	expect_einval(&io, sizeof(io), pad, 5);

	/* fewer bytes than a header, or than the type's fixed part */
	b = rec_new(&fr, sizeof(fr), NULL, 0);
	assert_int_equal(adi_normalize_record(b, sizeof(fr), 0, &ev), 0);
	assert_int_equal(adi_normalize_record(b, sizeof(fr) - 1, 0, &ev), -EINVAL);
	assert_int_equal(adi_normalize_record(b, sizeof(struct adi_rec_hdr) - 1, 0, &ev), -EINVAL);
	assert_int_equal(adi_normalize_record(b, 0, 0, &ev), -EINVAL);
	free(b);
	fr.h.size = sizeof(struct adi_rec_hdr);
	expect_einval(&fr, sizeof(struct adi_rec_hdr), NULL, 0);

	/* an unknown record type */
	memset(&fr, 0, sizeof(fr));
	hdr(&fr.h, 9, 1, sizeof(fr));
	expect_einval(&fr, sizeof(fr), NULL, 0);
	hdr(&fr.h, 0, 1, sizeof(fr));
	expect_einval(&fr, sizeof(fr), NULL, 0);
}

/* Every record, cut at every length, must be refused without reading past
 * the bytes given; also with h.size rewritten to claim exactly the cut
 * length, so the per-type length checks are the ones that refuse it. */
static void check_prefixes_of(const uint8_t *full, size_t size)
{
	struct adi_raw_event ev;

	for (size_t len = 0; len < size; len++) {
		uint8_t *b = malloc(len ? len : 1);

		assert_non_null(b);
		memcpy(b, full, len);
		assert_int_equal(adi_normalize_record(b, len, WALL, &ev), -EINVAL);
		if (len >= offsetof(struct adi_rec_hdr, ts)) {
			uint32_t sz = (uint32_t)len;

			memcpy(b + offsetof(struct adi_rec_hdr, size), &sz, sizeof(sz));
			assert_int_equal(adi_normalize_record(b, len, WALL, &ev), -EINVAL);
		}
		free(b);
	}
	{
		uint8_t *b = malloc(size);

		assert_non_null(b);
		memcpy(b, full, size);
		assert_int_equal(adi_normalize_record(b, size, WALL, &ev), 0);
		free(b);
	}
}

/* check_prefixes_of the record r (fsz bytes) + tail */
static void check_prefixes(const void *r, size_t fsz, const void *tail, size_t tlen)
{
	uint8_t *b = rec_new(r, fsz, tail, tlen);

	check_prefixes_of(b, fsz + tlen);
	free(b);
}

static void test_truncated_prefixes(void **state)
{
	struct adi_rec_io io = io_rec(ADI_OP_WRITE, ADI_F_OUT, 5);
	struct adi_rec_path pr = path_rec(ADI_OP_RENAMEAT, 3, 4);
	struct adi_rec_sock sr = sock_rec(ADI_OP_ACCEPT, 16);
	struct adi_rec_proc pp = proc_rec(ADI_OP_EXEC, 5, 4);
	struct adi_rec_fd fr = fd_rec(ADI_OP_CLOSE);

	(void)state;
	check_prefixes(&io, sizeof(io), "hello", 5);
	check_prefixes(&pr, sizeof(pr), "abcdefg", 7);
	check_prefixes(&sr, sizeof(sr), "0123456789abcdef", 16);
	check_prefixes(&pp, sizeof(pp), "a\0bc\0/b/x", 9);
	check_prefixes(&fr, sizeof(fr), NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_io_fields),
		cmocka_unit_test(test_io_wall_offset),
		cmocka_unit_test(test_io_direction_and_flags),
		cmocka_unit_test(test_io_eof),
		cmocka_unit_test(test_io_nopayload_ops),
		cmocka_unit_test(test_transport),
		cmocka_unit_test(test_endpoints),
		cmocka_unit_test(test_path_open_fields),
		cmocka_unit_test(test_path_mode_and_owner_args),
		cmocka_unit_test(test_path_two_paths),
		cmocka_unit_test(test_sock_connect),
		cmocka_unit_test(test_sock_accept_and_socket),
		cmocka_unit_test(test_fd_fields),
		cmocka_unit_test(test_proc_exec),
		cmocka_unit_test(test_proc_fork_exit),
		cmocka_unit_test(test_bad_lengths),
		cmocka_unit_test(test_truncated_prefixes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
