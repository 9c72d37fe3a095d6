/* test_engine.c - unit tests of the core engine (src/core): hand-built
 * normalized raw events in, semantic events out. Output is captured by a
 * sink that serialises each event with the JSON Lines sink into a memory
 * stream and parses the line back, so assertions see exactly what a user
 * of --format json would. Every expected value is derived by hand from the
 * inputs and docs/events.md / docs/engine.md, never pasted from a run.
 * Every trace starts with ADI_META_START (pid 100, cwd "/home/u", backend
 * "ebpf") and ends with ADI_META_END and adi_engine_finish().
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/engine.h"
#include "core/engine_int.h" /* ADI_HELD_MAX */
#include "lib/json.h"
#include "lib/raw_event.h"
#include "sink/sink.h"

/* 2026-11-27T17:31:45Z (the epoch second test_sinks.c uses) */
#define T0 1795800705000000000ull
#define MS 1000000ull
#define TS(ms) (T0 + (uint64_t)(ms) * MS)
#define ROOT 100
#define CWD "/home/u"
#define AT_FDCWD_ (-100)

/* ---- capture sink: JSON line -> parsed object ---- */

struct cap {
	struct adi_sink base;    /* first: emit casts back to this */
	struct adi_sink *json;   /* the real JSON Lines sink, into mem */
	FILE *mem;
	char *buf;
	size_t len, done;        /* open_memstream; done: bytes already parsed */
	struct adi_jval **ev;    /* every event written, parsed, in order */
	size_t n, cap;
	unsigned bad;            /* lines that were not one JSON object */
};

static int cap_emit(struct adi_sink *s, const struct adi_event *e)
{
	struct cap *c = (struct cap *)s;
	struct adi_jval *v;
	int rc = adi_sink_emit(c->json, e);

	if (rc)
		return rc;
	fflush(c->mem);
	if (c->len <= c->done || c->buf[c->len - 1] != '\n' ||
	    memchr(c->buf + c->done, '\n', c->len - c->done) != c->buf + c->len - 1) {
		c->bad++;
		c->done = c->len;
		return 0;
	}
	if (getenv("ADI_TEST_DUMP"))
		fprintf(stderr, "%.*s", (int)(c->len - c->done), c->buf + c->done);
	v = adi_json_parse(c->buf + c->done, c->len - c->done - 1);
	c->done = c->len;
	if (!v || adi_j_type(v) != ADI_J_OBJ) {
		adi_j_free(v);
		c->bad++;
		return 0;
	}
	if (c->n == c->cap) {
		size_t nc = c->cap ? 2 * c->cap : 64;
		struct adi_jval **p = realloc(c->ev, nc * sizeof(*p));

		if (!p) {
			adi_j_free(v);
			c->bad++;
			return 0;
		}
		c->ev = p;
		c->cap = nc;
	}
	c->ev[c->n++] = v;
	return 0;
}

static int cap_flush(struct adi_sink *s)
{
	return adi_sink_flush(((struct cap *)s)->json);
}

/* ---- the harness: one engine and its captured output per test ---- */

struct tst {
	struct cap cap;
	struct adi_sink *sinks[1];
	struct adi_engine_opts o;
	struct adi_engine *e;
	unsigned feed_errors;
	/* set before begin() to have them from the first event on */
	FILE *save;
	adi_resolve_fn resolve;
	void *resolve_arg;
	/* not 0: the thread of every event fed from now on (the builders
	 * below give each process its main thread, tid = pid) */
	uint32_t tid;
};

static int setup(void **state)
{
	struct tst *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	t->o.body_bytes = 1024;
	t->o.content_bytes = 256;
	t->o.rows_sample = 5;
	t->o.backend = "ebpf";
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tst *t = *state;

	adi_engine_free(t->e);
	if (t->save)
		fclose(t->save);
	adi_sink_free(t->cap.json);
	if (t->cap.mem)
		fclose(t->cap.mem);
	free(t->cap.buf);
	for (size_t i = 0; i < t->cap.n; i++)
		adi_j_free(t->cap.ev[i]);
	free(t->cap.ev);
	free(t);
	return 0;
}

/* A raw event with the defaults of a plain syscall: no fds, AT_FDCWD. */
static struct adi_raw_event mk(uint16_t family, uint16_t op, uint64_t ts, uint32_t pid)
{
	struct adi_raw_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.f.family = family;
	ev.f.op = op;
	ev.f.ts_ns = ts;
	ev.f.pid = pid;
	ev.f.tid = pid;
	memcpy(ev.f.comm, "app", 4);
	ev.f.cgroup_id = 7;
	ev.f.fd = ev.f.fd2 = -1;
	ev.f.dfd = ev.f.dfd2 = AT_FDCWD_;
	return ev;
}

static void set_path(struct adi_raw_event *ev, const char *p)
{
	ev->path = p;
	ev->f.path_len = (uint32_t)strlen(p);
}

static void set_path2(struct adi_raw_event *ev, const char *p, size_t n)
{
	ev->path2 = p;
	ev->f.path2_len = (uint32_t)n;
}

/* The transferred bytes of a read or write: direction, return value,
 * size and the payload. */
static void set_data(struct adi_raw_event *ev, enum adi_dir dir, const char *data, size_t n)
{
	ev->f.dir = dir;
	ev->f.ret = (int64_t)n;
	ev->f.size = n;
	ev->f.data_len = (uint32_t)n;
	ev->data = (const uint8_t *)data;
}

static void feed(struct tst *t, const struct adi_raw_event *ev)
{
	struct adi_raw_event by = *ev;

	if (t->tid && ev->f.family != ADI_RAW_META)
		by.f.tid = t->tid;
	if (adi_engine_feed(t->e, &by) != 0)
		t->feed_errors++;
}

static void meta(struct tst *t, uint16_t op, uint64_t ts)
{
	struct adi_raw_event ev = mk(ADI_RAW_META, op, ts, 0);

	feed(t, &ev);
}

/* New engine on the capture sink. */
static void open_engine(struct tst *t)
{
	t->cap.mem = open_memstream(&t->cap.buf, &t->cap.len);
	assert_non_null(t->cap.mem);
	t->cap.json = adi_sink_json_new(t->cap.mem);
	assert_non_null(t->cap.json);
	t->cap.base.emit = cap_emit;
	t->cap.base.flush = cap_flush;
	t->sinks[0] = &t->cap.base;
	t->e = adi_engine_new(&t->o, t->sinks, 1);
	assert_non_null(t->e);
	if (t->save)
		adi_engine_save_raw(t->e, t->save);
	if (t->resolve)
		adi_engine_set_resolver(t->e, t->resolve, t->resolve_arg);
}

/* New engine, then META_START at T0 (root pid, its cwd, the backend). */
static void begin(struct tst *t)
{
	struct adi_raw_event ev = mk(ADI_RAW_META, ADI_META_START, T0, ROOT);

	open_engine(t);
	set_path(&ev, CWD);
	set_path2(&ev, "ebpf", 4);
	feed(t, &ev);
}

/* META_END at ts with the kernel's loss counts, then finish. */
static void end(struct tst *t, uint64_t ts, uint64_t dropped, uint64_t truncated)
{
	struct adi_raw_event ev = mk(ADI_RAW_META, ADI_META_END, ts, 0);

	ev.f.size = dropped;
	ev.f.length = truncated;
	feed(t, &ev);
	adi_engine_finish(t->e);
	assert_int_equal(t->feed_errors, 0);
	assert_int_equal(t->cap.bad, 0);
	/* trace_summary is always the last line */
	assert_true(t->cap.n >= 1);
	assert_string_equal(adi_j_get_str(t->cap.ev[t->cap.n - 1], "kind", ""), "trace_summary");
	{
		/* the summary's out_of_order is what the output shows: events
		 * starting before one written earlier (0: the key is absent) */
		int64_t hi = 0, inv = 0;

		for (size_t i = 0; i + 1 < t->cap.n; i++) {
			int64_t ts = adi_j_get_int(t->cap.ev[i], "ts_ns", 0);

			if (ts < hi)
				inv++;
			else
				hi = ts;
		}
		assert_int_equal(adi_j_get_int(t->cap.ev[t->cap.n - 1], "out_of_order", 0), inv);
	}
}

/* ---- syscall builders ---- */

/* openat(dfd, path, oflags, mode) = ret. A successful open describes the
 * new fd's inode (kind, mode 0644 or 0755 for a directory, uid/gid 1000);
 * a failed one carries the requested mode, as adi_normalize_record does. */
static void sys_openat(struct tst *t, uint64_t ts, uint32_t pid, int dfd, const char *path,
		       uint32_t oflags, uint32_t mode, int64_t ret, uint8_t kind)
{
	struct adi_raw_event ev = mk(ADI_RAW_PATH, ADI_OP_OPENAT, ts, pid);

	ev.f.dfd = dfd;
	set_path(&ev, path);
	ev.f.oflags = oflags;
	ev.f.ret = ret;
	if (ret >= 0) {
		ev.f.ino = 5000 + (uint64_t)ret;
		ev.f.fd_kind = kind;
		ev.f.mode = kind == ADI_FD_DIR ? 040755 : 0100644;
		ev.f.uid = ev.f.gid = 1000;
	} else {
		ev.f.mode = mode;
	}
	feed(t, &ev);
}

static void sys_open(struct tst *t, uint64_t ts, uint32_t pid, const char *path,
		     uint32_t oflags, int fd)
{
	sys_openat(t, ts, pid, AT_FDCWD_, path, oflags, 0, fd, ADI_FD_REG);
}

/* read / write of `data` on an fd of the given kind */
static void sys_io_kind(struct tst *t, uint64_t ts, uint32_t pid, int fd, uint8_t kind,
			enum adi_dir dir, const char *data, size_t n)
{
	struct adi_raw_event ev = mk(ADI_RAW_IO, dir == ADI_DIR_OUT ? ADI_OP_WRITE : ADI_OP_READ,
				     ts, pid);

	ev.f.fd = fd;
	ev.f.fd_kind = kind;
	set_data(&ev, dir, data, n);
	ev.f.ino = 5000 + (uint64_t)fd;
	ev.f.mode = 0100644;
	ev.f.uid = ev.f.gid = 1000;
	feed(t, &ev);
}

static void sys_io_n(struct tst *t, uint64_t ts, uint32_t pid, int fd, enum adi_dir dir,
		     const char *data, size_t n)
{
	sys_io_kind(t, ts, pid, fd, ADI_FD_REG, dir, data, n);
}

static void sys_read(struct tst *t, uint64_t ts, uint32_t pid, int fd, const char *s)
{
	sys_io_n(t, ts, pid, fd, ADI_DIR_IN, s, strlen(s));
}

static void sys_write(struct tst *t, uint64_t ts, uint32_t pid, int fd, const char *s)
{
	sys_io_n(t, ts, pid, fd, ADI_DIR_OUT, s, strlen(s));
}

/* A read of a regular file's fd returning ret, with no payload. */
static struct adi_raw_event read_ev(uint64_t ts, uint32_t pid, int fd, int64_t ret)
{
	struct adi_raw_event ev = mk(ADI_RAW_IO, ADI_OP_READ, ts, pid);

	ev.f.fd = fd;
	ev.f.fd_kind = ADI_FD_REG;
	ev.f.dir = ADI_DIR_IN;
	ev.f.ret = ret;
	return ev;
}

/* ... that failed with ret (-errno). */
static void sys_read_fail(struct tst *t, uint64_t ts, uint32_t pid, int fd, int64_t ret)
{
	struct adi_raw_event ev = read_ev(ts, pid, fd, ret);

	feed(t, &ev);
}

static void sys_close(struct tst *t, uint64_t ts, uint32_t pid, int fd)
{
	struct adi_raw_event ev = mk(ADI_RAW_FD, ADI_OP_CLOSE, ts, pid);

	ev.f.fd = fd;
	ev.f.fd_kind = ADI_FD_REG;
	feed(t, &ev);
}

/* dup-family / fcntl: fd acted on, the resulting fd (ret) */
static void sys_fdop(struct tst *t, uint64_t ts, uint32_t pid, uint16_t op, int fd, int fd2,
		     int arg, uint32_t oflags, int64_t ret)
{
	struct adi_raw_event ev = mk(ADI_RAW_FD, op, ts, pid);

	ev.f.fd = fd;
	ev.f.fd2 = fd2;
	ev.f.arg = arg;
	ev.f.oflags = oflags;
	ev.f.ret = ret;
	feed(t, &ev);
}

/* A path operation with one or two paths. */
static void sys_path(struct tst *t, uint64_t ts, uint32_t pid, uint16_t op, const char *p1,
		     const char *p2, uint32_t oflags, int64_t ret)
{
	struct adi_raw_event ev = mk(ADI_RAW_PATH, op, ts, pid);

	if (p1)
		set_path(&ev, p1);
	if (p2)
		set_path2(&ev, p2, strlen(p2));
	ev.f.oflags = oflags;
	ev.f.ret = ret;
	feed(t, &ev);
}

static void sys_fork(struct tst *t, uint64_t ts, uint32_t child, uint32_t parent)
{
	struct adi_raw_event ev = mk(ADI_RAW_PROC, ADI_OP_FORK, ts, child);

	ev.f.ppid = parent;
	feed(t, &ev);
}

static void sys_exit(struct tst *t, uint64_t ts, uint32_t pid, uint32_t ppid, int status)
{
	struct adi_raw_event ev = mk(ADI_RAW_PROC, ADI_OP_EXIT, ts, pid);

	ev.f.ppid = ppid;
	ev.f.arg = status;
	feed(t, &ev);
}

/* A TCP/IPv4 socket as the kernel describes it on every record. */
struct sockdesc {
	uint64_t ino;
	const char *lip, *rip;
	uint16_t lport, rport;
};

static void sk_fill(struct adi_raw_fixed *f, const struct sockdesc *s)
{
	f->fd_kind = ADI_FD_SOCK;
	f->ino = s->ino;
	f->transport = ADI_TR_TCP;
	f->sock_type = SOCK_STREAM;
	f->sock_proto = 6;
	f->local.family = f->remote.family = AF_INET;
	f->local.port = s->lport;
	f->remote.port = s->rport;
	if (s->lip)
		assert_int_equal(inet_pton(AF_INET, s->lip, f->local.addr), 1);
	if (s->rip)
		assert_int_equal(inet_pton(AF_INET, s->rip, f->remote.addr), 1);
}

static void sys_socket(struct tst *t, uint64_t ts, uint32_t pid, int fd, uint64_t ino)
{
	struct adi_raw_event ev = mk(ADI_RAW_SOCK, ADI_OP_SOCKET, ts, pid);
	struct sockdesc s = { .ino = ino };

	sk_fill(&ev.f, &s);
	ev.f.fd = fd;
	ev.f.ret = fd;
	ev.f.arg = AF_INET;
	ev.f.arg2 = SOCK_STREAM;
	feed(t, &ev);
}

/* connect (listener < 0) or accept4 on listener of fd: the peer's
 * sockaddr_in travels as path2. */
static void sys_peer(struct tst *t, uint16_t op, uint64_t ts, uint32_t pid, int fd,
		     int listener, int64_t ret, const struct sockdesc *s)
{
	struct adi_raw_event ev = mk(ADI_RAW_SOCK, op, ts, pid);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(s->rport) };

	assert_int_equal(inet_pton(AF_INET, s->rip, &sa.sin_addr), 1);
	sk_fill(&ev.f, s);
	ev.f.fd = fd;
	if (listener >= 0)
		ev.f.fd2 = ev.f.arg = listener;
	ev.f.ret = ret;
	set_path2(&ev, (const char *)&sa, sizeof(sa));
	feed(t, &ev);
}

static void sys_connect(struct tst *t, uint64_t ts, uint32_t pid, int fd, int64_t ret,
			const struct sockdesc *s)
{
	sys_peer(t, ADI_OP_CONNECT, ts, pid, fd, -1, ret, s);
}

static void sys_accept(struct tst *t, uint64_t ts, uint32_t pid, int fd, int listener,
		       const struct sockdesc *s)
{
	sys_peer(t, ADI_OP_ACCEPT4, ts, pid, fd, listener, fd, s);
}

static void sys_so_error(struct tst *t, uint64_t ts, uint32_t pid, int fd, int val,
			 const struct sockdesc *s)
{
	struct adi_raw_event ev = mk(ADI_RAW_SOCK, ADI_OP_SO_ERROR, ts, pid);

	sk_fill(&ev.f, s);
	ev.f.fd = fd;
	ev.f.arg = val;
	feed(t, &ev);
}

/* send / recv of `data` with its TCP position */
static void sys_sock_io(struct tst *t, uint64_t ts, uint32_t pid, int fd, enum adi_dir dir,
			const char *data, uint32_t seq, const struct sockdesc *s)
{
	struct adi_raw_event ev = mk(ADI_RAW_IO, dir == ADI_DIR_OUT ? ADI_OP_SENDTO
								  : ADI_OP_RECVFROM, ts, pid);
	size_t n = strlen(data);

	sk_fill(&ev.f, s);
	ev.f.fd = fd;
	set_data(&ev, dir, data, n);
	ev.f.flags = ADI_RAW_HAS_SEQ;
	ev.f.seq = seq;
	feed(t, &ev);
}

static void sys_sock_close(struct tst *t, uint64_t ts, uint32_t pid, int fd,
			   const struct sockdesc *s)
{
	struct adi_raw_event ev = mk(ADI_RAW_FD, ADI_OP_CLOSE, ts, pid);

	sk_fill(&ev.f, s);
	ev.f.fd = fd;
	feed(t, &ev);
}

/* ---- reading the output ---- */

static size_t count_kind(const struct tst *t, const char *kind)
{
	size_t k = 0;

	for (size_t i = 0; i < t->cap.n; i++)
		if (!strcmp(adi_j_get_str(t->cap.ev[i], "kind", ""), kind))
			k++;
	return k;
}

/* Events of kind whose integer field key equals want. */
static size_t count_where(const struct tst *t, const char *kind, const char *key, int64_t want)
{
	size_t k = 0;

	for (size_t i = 0; i < t->cap.n; i++) {
		struct adi_jval *v = adi_j_get(t->cap.ev[i], key);

		if (!strcmp(adi_j_get_str(t->cap.ev[i], "kind", ""), kind) &&
		    adi_j_type(v) == ADI_J_INT && adi_j_as_int(v, 0) == want)
			k++;
	}
	return k;
}

/* The idx-th event of kind (and op, unless NULL); fails the test if none. */
static struct adi_jval *find_at(const struct tst *t, const char *kind, const char *op,
				size_t idx, const char *file, int line)
{
	for (size_t i = 0; i < t->cap.n; i++) {
		struct adi_jval *v = t->cap.ev[i];

		if (strcmp(adi_j_get_str(v, "kind", ""), kind))
			continue;
		if (op && strcmp(adi_j_get_str(v, "op", ""), op))
			continue;
		if (idx-- == 0)
			return v;
	}
	_fail(file, line);
	return NULL;
}
#define FIND(t, kind, op, idx) find_at(t, kind, op, idx, __FILE__, __LINE__)

/* The first event of kind/op whose integer field key equals want. */
static struct adi_jval *find_where_at(const struct tst *t, const char *kind, const char *op,
				      const char *key, int64_t want, const char *file, int line)
{
	for (size_t i = 0; i < t->cap.n; i++) {
		struct adi_jval *v = t->cap.ev[i];
		struct adi_jval *k = adi_j_get(v, key);

		if (strcmp(adi_j_get_str(v, "kind", ""), kind))
			continue;
		if (op && strcmp(adi_j_get_str(v, "op", ""), op))
			continue;
		if (adi_j_type(k) == ADI_J_INT && adi_j_as_int(k, 0) == want)
			return v;
	}
	print_error("%s:%d: no %s/%s with %s=%lld\n", file, line, kind, op ? op : "*", key,
		    (long long)want);
	_fail(file, line);
	return NULL;
}
#define FIND_WHERE(t, kind, op, key, want) \
	find_where_at(t, kind, op, key, want, __FILE__, __LINE__)

/* Index in the output of an event (for order checks). */
static size_t index_of(const struct tst *t, const struct adi_jval *v)
{
	for (size_t i = 0; i < t->cap.n; i++)
		if (t->cap.ev[i] == v)
			return i;
	return (size_t)-1;
}

static struct adi_jval *member(const struct adi_jval *o, const char *key,
			       const char *file, int line)
{
	struct adi_jval *v = adi_j_get(o, key);

	if (!v) {
		print_error("%s:%d: key \"%s\" missing\n", file, line, key);
		_fail(file, line);
	}
	return v;
}

/* want NULL: the key must be present and null. */
static void expect_str_at(const struct adi_jval *o, const char *key, const char *want,
			  const char *file, int line)
{
	struct adi_jval *v = member(o, key, file, line);

	if (!want) {
		if (adi_j_type(v) != ADI_J_NULL) {
			print_error("%s:%d: \"%s\" is %s, want null\n", file, line, key,
				    adi_j_as_str(v, "(not a string)"));
			_fail(file, line);
		}
		return;
	}
	if (adi_j_type(v) != ADI_J_STR || strcmp(adi_j_as_str(v, ""), want)) {
		print_error("%s:%d: \"%s\" is \"%s\", want \"%s\"\n", file, line, key,
			    adi_j_as_str(v, "(not a string)"), want);
		_fail(file, line);
	}
}

static void expect_int_at(const struct adi_jval *o, const char *key, int64_t want,
			  const char *file, int line)
{
	struct adi_jval *v = member(o, key, file, line);

	if (adi_j_type(v) != ADI_J_INT || adi_j_as_int(v, 0) != want) {
		print_error("%s:%d: \"%s\" is %lld (type %d), want %lld\n", file, line, key,
			    (long long)adi_j_as_int(v, 0), (int)adi_j_type(v), (long long)want);
		_fail(file, line);
	}
}

static void expect_null_at(const struct adi_jval *o, const char *key, const char *file,
			   int line)
{
	expect_str_at(o, key, NULL, file, line);
}

static void expect_ms_at(const struct adi_jval *o, const char *key, double want,
			 const char *file, int line)
{
	struct adi_jval *v = member(o, key, file, line);
	enum adi_jtype ty = adi_j_type(v);

	if ((ty != ADI_J_DOUBLE && ty != ADI_J_INT) || fabs(adi_j_as_double(v, -1) - want) > 1e-6) {
		print_error("%s:%d: \"%s\" is %f, want %f\n", file, line, key,
			    adi_j_as_double(v, -1), want);
		_fail(file, line);
	}
}

static void expect_absent_at(const struct adi_jval *o, const char *key, const char *file,
			     int line)
{
	if (adi_j_get(o, key)) {
		print_error("%s:%d: \"%s\" is present, want it absent\n", file, line, key);
		_fail(file, line);
	}
}

#define EXPECT_STR(o, k, w) expect_str_at(o, k, w, __FILE__, __LINE__)
#define EXPECT_INT(o, k, w) expect_int_at(o, k, w, __FILE__, __LINE__)
#define EXPECT_NULL(o, k) expect_null_at(o, k, __FILE__, __LINE__)
#define EXPECT_MS(o, k, w) expect_ms_at(o, k, w, __FILE__, __LINE__)
#define EXPECT_ABSENT(o, k) expect_absent_at(o, k, __FILE__, __LINE__)

/* One expected member of an event, for EXPECT_EV: a string (NUL: null),
 * an integer, a duration in ms, or no such member. */
struct want {
	char type;              /* 's', 'i', 'm', 'a' */
	const char *key;
	const char *s;
	int64_t i;
	double ms;
};
#define STR(k, v) { 's', (k), (v), 0, 0 }
#define NUL(k) { 's', (k), NULL, 0, 0 }
#define INT(k, v) { 'i', (k), NULL, (int64_t)(v), 0 }
#define MSEC(k, v) { 'm', (k), NULL, 0, (v) }
#define ABSENT(k) { 'a', (k), NULL, 0, 0 }

static void expect_ev_at(const struct adi_jval *o, const struct want *w, size_t n,
			 const char *file, int line)
{
	for (size_t i = 0; i < n; i++) {
		switch (w[i].type) {
		case 's':
			expect_str_at(o, w[i].key, w[i].s, file, line);
			break;
		case 'i':
			expect_int_at(o, w[i].key, w[i].i, file, line);
			break;
		case 'm':
			expect_ms_at(o, w[i].key, w[i].ms, file, line);
			break;
		default:
			expect_absent_at(o, w[i].key, file, line);
			break;
		}
	}
}

/* The members of event o, in the order given: EXPECT_EV(v, STR("op",
 * "read"), INT("bytes", 4), NUL("error")). */
#define EXPECT_EV(o, ...) \
	expect_ev_at((o), (const struct want[]){ __VA_ARGS__ }, \
		     sizeof((const struct want[]){ __VA_ARGS__ }) / sizeof(struct want), \
		     __FILE__, __LINE__)

static uint64_t ts_of(const struct adi_jval *v)
{
	return (uint64_t)adi_j_get_int(v, "ts_ns", -1);
}

/* The output is in ts_ns order (docs/events.md). */
static void expect_sorted(const struct tst *t)
{
	for (size_t i = 1; i < t->cap.n; i++) {
		if (ts_of(t->cap.ev[i]) < ts_of(t->cap.ev[i - 1])) {
			print_error("line %zu (ts %llu) comes after line %zu (ts %llu)\n",
				    i + 1, (unsigned long long)ts_of(t->cap.ev[i]), i,
				    (unsigned long long)ts_of(t->cap.ev[i - 1]));
			fail();
		}
	}
}

/* ---- files: paths ---- */

static void test_open_relative_dotdot(void **state)
{
	struct tst *t = *state;

	begin(t);
	sys_open(t, TS(1), ROOT, "sub/../f.txt", O_RDONLY, 3);
	end(t, TS(100), 0, 0);

	assert_int_equal(t->cap.n, 2);
	EXPECT_EV(t->cap.ev[0], INT("v", 1), STR("kind", "file"),
		  STR("timestamp", "2026-11-27T17:31:45.001000000Z"), INT("ts_ns", TS(1)),
		  NUL("duration_ms"), INT("pid", ROOT), INT("tid", ROOT), STR("comm", "app"),
		  INT("cgroup_id", 7), NUL("container"), STR("op", "open"),
		  STR("path", "/home/u/f.txt"), INT("fd", 3), NUL("new_path"),
		  STR("flags", "O_RDONLY"), STR("mode", "0644"), INT("uid", 1000),
		  INT("gid", 1000), NUL("bytes"), NUL("ops"), NUL("content"), NUL("error"),
		  ABSENT("path_unresolved"));
}

static void test_open_dirfd(void **state)
{
	struct tst *t = *state;

	begin(t);
	sys_openat(t, TS(1), ROOT, AT_FDCWD_, "data", O_RDONLY | O_DIRECTORY, 0, 4, ADI_FD_DIR);
	sys_openat(t, TS(2), ROOT, 4, "x/y.txt", O_RDONLY, 0, 5, ADI_FD_REG);
	sys_openat(t, TS(3), ROOT, 4, "../z.txt", O_RDONLY, 0, 6, ADI_FD_REG);
	sys_openat(t, TS(4), ROOT, 4, "/etc/hosts", O_RDONLY, 0, 7, ADI_FD_REG);
	end(t, TS(100), 0, 0);

	assert_int_equal(count_kind(t, "file"), 4);
	EXPECT_EV(t->cap.ev[0], STR("path", "/home/u/data"),
		  STR("flags", "O_RDONLY|O_DIRECTORY"), STR("mode", "0755"));
	EXPECT_EV(t->cap.ev[1], STR("path", "/home/u/data/x/y.txt"), INT("fd", 5));
	EXPECT_STR(t->cap.ev[2], "path", "/home/u/z.txt");
	EXPECT_STR(t->cap.ev[3], "path", "/etc/hosts"); /* absolute: dirfd ignored */
}

static void test_open_failed(void **state)
{
	struct tst *t = *state;

	begin(t);
	sys_openat(t, TS(1), ROOT, AT_FDCWD_, "out/new.txt", O_WRONLY | O_CREAT | O_TRUNC,
		   0644, -ENOENT, 0);
	/* the failed open installed nothing: a write on fd 3 names no file */
	sys_write(t, TS(2), ROOT, 3, "x");
	end(t, TS(100), 0, 0);

	EXPECT_EV(FIND(t, "file", "open", 0), STR("path", "/home/u/out/new.txt"),
		  STR("error", "ENOENT"), NUL("fd"), STR("flags", "O_WRONLY|O_CREAT|O_TRUNC"),
		  STR("mode", "0644"), NUL("uid"), NUL("gid"));
	EXPECT_NULL(FIND(t, "file", "write", 0), "path");
}

static void test_unresolved_relative_path(void **state)
{
	struct tst *t = *state;
	struct adi_jval *v;

	begin(t);
	/* pid 300 appears from nowhere: its cwd is unknown (no resolver) */
	sys_open(t, TS(1), 300, "rel/f.txt", O_RDONLY, 3);
	sys_open(t, TS(2), 300, "/etc/./x.conf", O_RDONLY, 4); /* needs no cwd */
	end(t, TS(100), 0, 0);

	v = FIND(t, "file", "open", 0);
	EXPECT_STR(v, "path", "rel/f.txt");
	assert_true(adi_j_as_bool(adi_j_get(v, "path_unresolved"), false));
	EXPECT_EV(FIND(t, "file", "open", 1), STR("path", "/etc/x.conf"),
		  ABSENT("path_unresolved"));
}

/* ---- files: merged reads and writes ---- */

static void test_reads_merge(void **state)
{
	struct tst *t = *state;

	begin(t);
	sys_open(t, TS(1), ROOT, "f.txt", O_RDONLY, 3);
	sys_read(t, TS(10), ROOT, 3, "hello");
	sys_read(t, TS(20), ROOT, 3, " world");
	sys_read(t, TS(30), ROOT, 3, "!!");
	sys_close(t, TS(40), ROOT, 3);
	end(t, TS(100), 0, 0);

	assert_int_equal(t->cap.n, 4); /* open, read, close, summary */
	assert_int_equal(count_kind(t, "file"), 3);
	EXPECT_EV(t->cap.ev[1], STR("op", "read"), STR("path", "/home/u/f.txt"), INT("fd", 3),
		  INT("ts_ns", TS(10)), STR("timestamp", "2026-11-27T17:31:45.010000000Z"),
		  MSEC("duration_ms", 20.0), INT("bytes", 13), INT("ops", 3),
		  STR("content", "hello world!!"), STR("mode", "0644"), NUL("error"));
	EXPECT_EV(t->cap.ev[2], STR("op", "close"), STR("path", "/home/u/f.txt"), INT("fd", 3),
		  INT("ts_ns", TS(40)));
}

static void test_write_splits_read_run(void **state)
{
	struct tst *t = *state;

	begin(t);
	sys_open(t, TS(1), ROOT, "f.txt", O_RDWR, 3);
	sys_read(t, TS(10), ROOT, 3, "ab");
	sys_read(t, TS(11), ROOT, 3, "cd");
	sys_write(t, TS(12), ROOT, 3, "XY");
	sys_read(t, TS(13), ROOT, 3, "ef");
	sys_close(t, TS(14), ROOT, 3);
	end(t, TS(100), 0, 0);

	assert_int_equal(count_kind(t, "file"), 5); /* open, read, write, read, close */
	EXPECT_EV(t->cap.ev[1], STR("op", "read"), INT("ts_ns", TS(10)),
		  MSEC("duration_ms", 1.0), INT("bytes", 4), INT("ops", 2),
		  STR("content", "abcd"));
	EXPECT_EV(t->cap.ev[2], STR("op", "write"), INT("ts_ns", TS(12)),
		  MSEC("duration_ms", 0.0), INT("bytes", 2), INT("ops", 1),
		  STR("content", "XY"));
	EXPECT_EV(t->cap.ev[3], STR("op", "read"), INT("ts_ns", TS(13)), INT("bytes", 2),
		  INT("ops", 1), STR("content", "ef"));
	EXPECT_STR(t->cap.ev[4], "op", "close");
}

/* A run of writes ends at a pause of more than 1 ms in which the process
 * did something else (here: a request on a socket), not at a short one,
 * and not at a long one with nothing else in it. */
static void test_run_split_by_other_activity(void **state)
{
	static const struct sockdesc s = {
		.ino = 900, .lip = "127.0.0.1", .rip = "127.0.0.1", .lport = 80, .rport = 4000,
	};
	struct tst *t = *state;

	begin(t);
	sys_open(t, TS(1), ROOT, "access.log", O_WRONLY, 3);
	sys_socket(t, TS(1), ROOT, 5, 900);
	sys_write(t, TS(10), ROOT, 3, "a\n");
	sys_sock_io(t, TS(10) + 100000, ROOT, 5, ADI_DIR_IN, "x", 1, &s);
	sys_write(t, TS(10) + 200000, ROOT, 3, "b\n");  /* 0.2 ms later: same run */
	sys_sock_io(t, TS(12), ROOT, 5, ADI_DIR_IN, "y", 2, &s);
	sys_write(t, TS(15), ROOT, 3, "c\n");            /* 4.8 ms, a request: new run */
	sys_write(t, TS(40), ROOT, 3, "d\n");            /* 25 ms, nothing else: same */
	sys_close(t, TS(50), ROOT, 3);
	end(t, TS(100), 0, 0);

	EXPECT_EV(FIND(t, "file", "write", 0), INT("ts_ns", TS(10)), INT("ops", 2),
		  STR("content", "a\nb\n"), MSEC("duration_ms", 0.2));
	EXPECT_EV(FIND(t, "file", "write", 1), INT("ts_ns", TS(15)), INT("ops", 2),
		  STR("content", "c\nd\n"), MSEC("duration_ms", 25.0));
	assert_int_equal(count_where(t, "file", "ops", 2), 2);
}

/* A shell reading its script between the commands it starts: each fork
 * is something else, so a pause after it ends the read run (the run's
 * span is not the time spent reading). */
static void test_run_split_by_fork(void **state)
{
	struct tst *t = *state;

	begin(t);
	sys_open(t, TS(1), ROOT, "/tmp/script.sh", O_RDONLY, 3);
	sys_read(t, TS(2), ROOT, 3, "true\n");
	sys_fork(t, TS(2) + 100000, 200, ROOT);
	sys_read(t, TS(2) + 200000, ROOT, 3, "sleep 1\n");  /* 0.2 ms: same run */
	sys_fork(t, TS(3), 201, ROOT);
	sys_read(t, TS(9), ROOT, 3, "ls\n");               /* 6 ms after a fork: new */
	sys_read(t, TS(20), ROOT, 3, "");                 /* 11 ms, nothing else: same */
	end(t, TS(100), 0, 0);

	EXPECT_EV(FIND(t, "file", "read", 0), INT("ts_ns", TS(2)), INT("ops", 2),
		  STR("content", "true\nsleep 1\n"), MSEC("duration_ms", 0.2));
	EXPECT_EV(FIND(t, "file", "read", 1), INT("ts_ns", TS(9)), INT("ops", 2),
		  STR("content", "ls\n"), MSEC("duration_ms", 11.0));
}

/* The runtime's own file work is marked with its class (docs/events.md):
 * the loader (its cache, libraries found or not), locale and time zone
 * data, modules, the process's own /proc entry; the program's files and
 * another process's /proc entry are not. */
static void test_runtime_class(void **state)
{
	static const struct {
		const char *path;
		const char *cls; /* NULL: not runtime */
	} cases[] = {
		{ "/etc/ld.so.cache", "loader" },
		{ "/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libz.so.1", "loader" },
		{ "/usr/lib/x86_64-linux-gnu/libpcre2-8.so.0.11.2", "loader" },
		{ "/opt/app/plugin.so", "loader" },
		{ "/usr/lib/locale/locale-archive", "locale" },
		{ "/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache", "locale" },
		{ "/etc/localtime", "locale" },
		{ "/usr/lib/python3.11/encodings/__pycache__/utf_8.cpython-311.pyc", "module" },
		{ "/usr/lib/python3.11/os.py", "module" },
		{ "/home/u/venv/lib/python3.11/site-packages/x/__init__.py", "module" },
		{ "/home/u/app/node_modules/left-pad/index.js", "module" },
		{ "/root/.pyenv/versions/3.11.7/lib/python3.11/encodings", "module" },
		{ "/root/.pyenv/versions/3.11.7/bin/pyvenv.cfg", "module" },
		{ "/home/u/lib/pythonic/notes.txt", NULL },
		{ "/proc/self/maps", "proc" },
		{ "/proc/100/status", "proc" },
		{ "/sys/devices/system/cpu/online", "proc" },
		{ "/proc/101/status", NULL },
		{ "/home/u/app/main.py", NULL },
		{ "/home/u/libso.txt", NULL },
		{ "/home/u/x.so.txt", NULL },
		{ "/etc/passwd", NULL },
	};
	struct tst *t = *state;
	size_t n = sizeof(cases) / sizeof(cases[0]);

	begin(t);
	for (size_t i = 0; i < n; i++)
		sys_openat(t, TS(1 + i), ROOT, AT_FDCWD_, cases[i].path, O_RDONLY, 0, -ENOENT,
			   ADI_FD_REG);
	end(t, TS(100), 0, 0);
	for (size_t i = 0; i < n; i++) {
		struct adi_jval *v = FIND(t, "file", "open", i);

		EXPECT_STR(v, "path", cases[i].path);
		if (cases[i].cls)
			EXPECT_STR(v, "runtime", cases[i].cls);
		else
			EXPECT_ABSENT(v, "runtime");
	}
}

/* Closes of the standard streams are runtime noise ("stdio"): an
 * inherited fd 1 (described by the start's snapshot), a file a shell
 * dup2'ed onto fd 1 and the copy of stdout it saved as fd 10; a file the
 * program itself opened, even as fd 0, is not. */
static void test_stdio_close_class(void **state)
{
	struct tst *t = *state;
	struct adi_raw_event ev;

	begin(t);
	ev = mk(ADI_RAW_META, ADI_META_FD, TS(1), ROOT);  /* stdout: a file */
	ev.f.fd = 1;
	ev.f.fd_kind = ADI_FD_REG;
	set_path(&ev, "/tmp/log.txt");
	feed(t, &ev);
	/* a shell's redirection: save stdout, close it, dup the file onto 1 */
	sys_fdop(t, TS(2), ROOT, ADI_OP_FCNTL, 1, -1, 1030, 0, 10); /* F_DUPFD_CLOEXEC */
	sys_open(t, TS(3), ROOT, "/tmp/out.txt", O_WRONLY, 3);
	sys_close(t, TS(4), ROOT, 1);
	sys_fdop(t, TS(5), ROOT, ADI_OP_DUP, 3, -1, 0, 0, 1);
	sys_close(t, TS(6), ROOT, 3);
	sys_write(t, TS(7), ROOT, 1, "the program's output");
	sys_close(t, TS(8), ROOT, 1);
	sys_close(t, TS(9), ROOT, 10);
	sys_open(t, TS(10), ROOT, "/tmp/in.txt", O_RDONLY, 0);
	sys_close(t, TS(11), ROOT, 0);
	end(t, TS(100), 0, 0);

	EXPECT_EV(FIND_WHERE(t, "file", "close", "ts_ns", TS(4)), INT("fd", 1),
		  STR("path", "/tmp/log.txt"), STR("runtime", "stdio"));
	EXPECT_ABSENT(FIND_WHERE(t, "file", "close", "ts_ns", TS(6)), "runtime");
	EXPECT_ABSENT(FIND(t, "file", "write", 0), "runtime");
	EXPECT_EV(FIND_WHERE(t, "file", "close", "ts_ns", TS(8)), INT("fd", 1),
		  STR("path", "/tmp/out.txt"), STR("runtime", "stdio"));
	EXPECT_EV(FIND_WHERE(t, "file", "close", "ts_ns", TS(9)), INT("fd", 10),
		  STR("path", "/tmp/log.txt"), STR("runtime", "stdio"));
	EXPECT_EV(FIND_WHERE(t, "file", "close", "ts_ns", TS(11)), INT("fd", 0),
		  STR("path", "/tmp/in.txt"));
	EXPECT_ABSENT(FIND_WHERE(t, "file", "close", "ts_ns", TS(11)), "runtime");
}

/* A forked child closing a file it inherited and never used is runtime
 * noise ("inherited"); one it read from first, or its parent's close, is
 * not. */
static void test_inherited_close_class(void **state)
{
	struct tst *t = *state;

	begin(t);
	sys_open(t, TS(1), ROOT, "/tmp/script.sh", O_RDONLY, 3);
	sys_fdop(t, TS(2), ROOT, ADI_OP_FCNTL, 3, -1, 1030, 0, 255); /* F_DUPFD_CLOEXEC */
	sys_close(t, TS(3), ROOT, 3);
	sys_open(t, TS(4), ROOT, "/tmp/data.txt", O_RDONLY, 4);
	sys_fork(t, TS(5), 200, ROOT);
	sys_close(t, TS(6), 200, 255);
	sys_read(t, TS(7), 200, 4, "data");
	sys_close(t, TS(8), 200, 4);
	sys_close(t, TS(9), ROOT, 255);
	sys_openat(t, TS(10), ROOT, AT_FDCWD_, "/dev/tty", O_RDWR, 0, -ENXIO, ADI_FD_CHR);
	sys_openat(t, TS(11), ROOT, AT_FDCWD_, "/dev/tty", O_RDWR, 0, -EACCES, ADI_FD_CHR);
	end(t, TS(100), 0, 0);

	/* no controlling terminal: the environment, not the program */
	EXPECT_STR(FIND_WHERE(t, "file", "open", "ts_ns", TS(10)), "runtime", "tty");
	EXPECT_ABSENT(FIND_WHERE(t, "file", "open", "ts_ns", TS(11)), "runtime");
	EXPECT_EV(FIND_WHERE(t, "file", "close", "ts_ns", TS(6)), INT("pid", 200), INT("fd", 255),
		  STR("path", "/tmp/script.sh"), STR("runtime", "inherited"));
	EXPECT_ABSENT(FIND_WHERE(t, "file", "close", "ts_ns", TS(8)), "runtime");
	EXPECT_ABSENT(FIND_WHERE(t, "file", "close", "ts_ns", TS(9)), "runtime");
	EXPECT_ABSENT(FIND_WHERE(t, "file", "close", "ts_ns", TS(3)), "runtime");
}

static void test_content_bytes_cap(void **state)
{
	struct tst *t = *state;

	t->o.content_bytes = 4;
	begin(t);
	sys_open(t, TS(1), ROOT, "a.txt", O_RDONLY, 3);
	sys_open(t, TS(2), ROOT, "b.txt", O_RDONLY, 4);
	sys_read(t, TS(10), ROOT, 3, "hello");
	sys_read(t, TS(11), ROOT, 3, " world");
	sys_read(t, TS(12), ROOT, 4, "ab");   /* the cap spans calls */
	sys_read(t, TS(13), ROOT, 4, "cdef");
	end(t, TS(100), 0, 0);

	EXPECT_EV(FIND(t, "file", "read", 0), STR("path", "/home/u/a.txt"), INT("bytes", 11),
		  INT("ops", 2), STR("content", "hell"));
	EXPECT_EV(FIND(t, "file", "read", 1), STR("path", "/home/u/b.txt"), INT("bytes", 6),
		  INT("ops", 2), STR("content", "abcd"));
}

static void test_failed_read_is_own_event(void **state)
{
	struct tst *t = *state;

	begin(t);
	sys_open(t, TS(1), ROOT, "f.txt", O_RDONLY, 3);
	sys_read(t, TS(10), ROOT, 3, "ab");
	sys_read_fail(t, TS(11), ROOT, 3, -EIO);
	sys_read(t, TS(12), ROOT, 3, "cd");
	end(t, TS(100), 0, 0);

	assert_int_equal(count_kind(t, "file"), 4); /* open, read, failed read, read */
	EXPECT_EV(t->cap.ev[1], INT("bytes", 2), INT("ops", 1));
	EXPECT_EV(t->cap.ev[2], STR("op", "read"), INT("ts_ns", TS(11)), STR("error", "EIO"),
		  INT("bytes", 0), STR("path", "/home/u/f.txt"));
	EXPECT_EV(t->cap.ev[3], INT("ts_ns", TS(12)), STR("content", "cd"));
}

static void test_eagain_is_noise(void **state)
{
	struct tst *t = *state;

	begin(t);
	sys_open(t, TS(1), ROOT, "fifo-like.txt", O_RDONLY | O_NONBLOCK, 3);
	sys_read(t, TS(10), ROOT, 3, "ab");
	sys_read_fail(t, TS(11), ROOT, 3, -EAGAIN);
	sys_read_fail(t, TS(12), ROOT, 3, -EINTR);
	sys_read(t, TS(13), ROOT, 3, "cd");
	end(t, TS(100), 0, 0);

	/* nothing happened: no event, and the run goes on */
	assert_int_equal(count_kind(t, "file"), 2);
	EXPECT_EV(FIND(t, "file", "read", 0), INT("ops", 2), INT("bytes", 4),
		  STR("content", "abcd"), NUL("error"));
}

/* docs/engine.md: "Any other operation on the fd, its close, or the hold
 * window ending closes the run." */
static void test_ftruncate_splits_write_run(void **state)
{
	struct tst *t = *state;
	struct adi_raw_event ev;

	begin(t);
	sys_open(t, TS(1), ROOT, "log.txt", O_WRONLY, 3);
	sys_write(t, TS(10), ROOT, 3, "aaaa");
	ev = mk(ADI_RAW_PATH, ADI_OP_FTRUNCATE, TS(11), ROOT);
	ev.f.fd = 3;
	ev.f.length = 0;
	feed(t, &ev);
	sys_write(t, TS(12), ROOT, 3, "bb");
	end(t, TS(100), 0, 0);

	EXPECT_EV(FIND(t, "file", "truncate", 0), STR("path", "/home/u/log.txt"), INT("fd", 3),
		  INT("bytes", 0));
	/* Regression test (a bug, fixed): fileops.c adi_file_path_event() does not end fd 3's merged run
	 * on ftruncate/fchmod/fchown, so the writes before and after the
	 * truncate come out as ONE write event (bytes 6, ops 2, content
	 * "aaaabb") spanning the truncate, instead of two. */
	assert_int_equal(count_kind(t, "file"), 4); /* open, write, truncate, write */
	EXPECT_EV(FIND(t, "file", "write", 0), INT("bytes", 4), STR("content", "aaaa"));
	EXPECT_EV(FIND(t, "file", "write", 1), INT("ts_ns", TS(12)), INT("bytes", 2));
	expect_sorted(t);
}

/* ---- fd table ---- */

static void test_fd_reuse(void **state)
{
	struct tst *t = *state;
	struct adi_jval *v;

	begin(t);
	sys_open(t, TS(1), ROOT, "a.txt", O_RDONLY, 3);
	sys_close(t, TS(2), ROOT, 3);
	sys_open(t, TS(3), ROOT, "b.txt", O_RDONLY, 3);
	sys_read(t, TS(4), ROOT, 3, "B");
	end(t, TS(100), 0, 0);

	v = FIND(t, "file", "close", 0);
	EXPECT_STR(v, "path", "/home/u/a.txt");
	EXPECT_EV(FIND(t, "file", "read", 0), STR("path", "/home/u/b.txt"), INT("fd", 3),
		  STR("content", "B"));
}

static void test_fd_reuse_unseen_close(void **state)
{
	struct tst *t = *state;

	begin(t);
	sys_open(t, TS(1), ROOT, "a.txt", O_RDONLY, 3);
	sys_read(t, TS(2), ROOT, 3, "A");
	/* the close of fd 3 was lost: the next open of fd 3 ends a.txt */
	sys_open(t, TS(3), ROOT, "b.txt", O_RDONLY, 3);
	sys_read(t, TS(4), ROOT, 3, "B");
	end(t, TS(100), 0, 0);

	EXPECT_EV(FIND(t, "file", "read", 0), STR("path", "/home/u/a.txt"), INT("ops", 1),
		  STR("content", "A"));
	/* a.txt was opened under trace: its (implicit) close is reported at
	 * the point we learned of it */
	EXPECT_EV(FIND(t, "file", "close", 0), STR("path", "/home/u/a.txt"),
		  INT("ts_ns", TS(3)));
	assert_int_equal(count_kind(t, "file"), 5); /* open, read, close, open, read */
	EXPECT_EV(FIND(t, "file", "read", 1), STR("path", "/home/u/b.txt"), INT("ops", 1),
		  STR("content", "B"));
}

static void test_dup2_write(void **state)
{
	struct tst *t = *state;

	begin(t);
	sys_open(t, TS(1), ROOT, "a.txt", O_WRONLY | O_CREAT | O_TRUNC, 3);
	sys_fdop(t, TS(2), ROOT, ADI_OP_DUP2, 3, 1, 0, 0, 1);
	sys_write(t, TS(3), ROOT, 1, "hi");
	sys_fdop(t, TS(4), ROOT, ADI_OP_DUP, 3, -1, 0, 0, 7);
	sys_write(t, TS(5), ROOT, 7, "yo");
	end(t, TS(100), 0, 0);

	EXPECT_EV(FIND(t, "file", "write", 0), INT("fd", 1), STR("path", "/home/u/a.txt"),
		  INT("bytes", 2), STR("content", "hi"));
	EXPECT_EV(FIND(t, "file", "write", 1), INT("fd", 7), STR("path", "/home/u/a.txt"),
		  STR("content", "yo"));
}

static void test_rename_moves_fd_path(void **state)
{
	struct tst *t = *state;

	begin(t);
	sys_open(t, TS(1), ROOT, "old.txt", O_RDONLY, 3);
	sys_path(t, TS(2), ROOT, ADI_OP_RENAME, "old.txt", "new.txt", 0, 0);
	sys_read(t, TS(3), ROOT, 3, "x");
	sys_close(t, TS(4), ROOT, 3);
	end(t, TS(100), 0, 0);

	EXPECT_EV(FIND(t, "file", "rename", 0), STR("path", "/home/u/old.txt"),
		  STR("new_path", "/home/u/new.txt"), NUL("fd"), NUL("error"));
	EXPECT_STR(FIND(t, "file", "read", 0), "path", "/home/u/new.txt");
	EXPECT_STR(FIND(t, "file", "close", 0), "path", "/home/u/new.txt");
}

static void test_rename_failed_keeps_fd_path(void **state)
{
	struct tst *t = *state;

	begin(t);
	sys_open(t, TS(1), ROOT, "old.txt", O_RDONLY, 3);
	sys_path(t, TS(2), ROOT, ADI_OP_RENAME, "old.txt", "/ro/new.txt", 0, -EROFS);
	sys_read(t, TS(3), ROOT, 3, "x");
	end(t, TS(100), 0, 0);

	EXPECT_EV(FIND(t, "file", "rename", 0), STR("new_path", "/ro/new.txt"),
		  STR("error", "EROFS"));
	EXPECT_STR(FIND(t, "file", "read", 0), "path", "/home/u/old.txt");
}

static void test_rename_dir_moves_fds_below(void **state)
{
	struct tst *t = *state;

	begin(t);
	sys_open(t, TS(1), ROOT, "d/f.txt", O_RDONLY, 3);
	sys_path(t, TS(2), ROOT, ADI_OP_RENAME, "d", "e", 0, 0);
	sys_read(t, TS(3), ROOT, 3, "x");
	end(t, TS(100), 0, 0);

	/* Regression test (a bug, fixed): fileops.c rename_fds() only rewrites fds whose path equals the
	 * renamed path exactly; an fd open on a file below a renamed
	 * directory keeps the old, no longer existing path
	 * ("/home/u/d/f.txt"). */
	EXPECT_STR(FIND(t, "file", "read", 0), "path", "/home/u/e/f.txt");
}

static void test_unlinkat_removedir(void **state)
{
	struct tst *t = *state;

	begin(t);
	sys_path(t, TS(1), ROOT, ADI_OP_UNLINKAT, "olddir", NULL, AT_REMOVEDIR, 0);
	sys_path(t, TS(2), ROOT, ADI_OP_UNLINKAT, "f.txt", NULL, 0, 0);
	sys_path(t, TS(3), ROOT, ADI_OP_UNLINKAT, "full", NULL, AT_REMOVEDIR, -ENOTEMPTY);
	end(t, TS(100), 0, 0);

	assert_int_equal(AT_REMOVEDIR, 0x200);
	assert_int_equal(count_kind(t, "file"), 3);
	EXPECT_EV(t->cap.ev[0], STR("op", "rmdir"), STR("path", "/home/u/olddir"),
		  NUL("error"));
	EXPECT_EV(t->cap.ev[1], STR("op", "unlink"), STR("path", "/home/u/f.txt"));
	EXPECT_EV(t->cap.ev[2], STR("op", "rmdir"), STR("error", "ENOTEMPTY"));
}

static void test_chdir_relative_open(void **state)
{
	struct tst *t = *state;

	begin(t);
	sys_path(t, TS(1), ROOT, ADI_OP_CHDIR, "sub", NULL, 0, 0);
	sys_open(t, TS(2), ROOT, "g.txt", O_RDONLY, 3);
	sys_path(t, TS(3), ROOT, ADI_OP_CHDIR, "/tmp", NULL, 0, 0);
	sys_open(t, TS(4), ROOT, "h.txt", O_RDONLY, 4);
	sys_path(t, TS(5), ROOT, ADI_OP_CHDIR, "nope", NULL, 0, -ENOENT);
	sys_open(t, TS(6), ROOT, "i.txt", O_RDONLY, 5);
	/* fchdir to an fd opened on a directory */
	sys_openat(t, TS(7), ROOT, AT_FDCWD_, "/var/lib", O_RDONLY | O_DIRECTORY, 0, 6, ADI_FD_DIR);
	{
		struct adi_raw_event ev = mk(ADI_RAW_PATH, ADI_OP_FCHDIR, TS(8), ROOT);

		ev.f.fd = 6;
		feed(t, &ev);
	}
	sys_open(t, TS(9), ROOT, "j.txt", O_RDONLY, 7);
	end(t, TS(100), 0, 0);

	/* chdir itself writes no event */
	assert_int_equal(count_kind(t, "file"), 5);
	EXPECT_STR(FIND(t, "file", "open", 0), "path", "/home/u/sub/g.txt");
	EXPECT_STR(FIND(t, "file", "open", 1), "path", "/tmp/h.txt");
	EXPECT_STR(FIND(t, "file", "open", 2), "path", "/tmp/i.txt");
	EXPECT_STR(FIND(t, "file", "open", 4), "path", "/var/lib/j.txt");
}

/* ---- processes ---- */

static void test_fork_inherits_cwd_and_fds(void **state)
{
	struct tst *t = *state;

	begin(t);
	sys_open(t, TS(1), ROOT, "out.txt", O_WRONLY | O_CREAT, 3);
	sys_fork(t, TS(2), 200, ROOT);
	sys_write(t, TS(3), 200, 3, "c");
	sys_open(t, TS(4), 200, "rel.txt", O_RDONLY, 4);
	sys_path(t, TS(5), 200, ADI_OP_CHDIR, "sub", NULL, 0, 0);
	sys_write(t, TS(6), ROOT, 3, "pp");
	sys_open(t, TS(7), ROOT, "p.txt", O_RDONLY, 4); /* the parent's cwd is unchanged */
	sys_open(t, TS(8), 200, "c.txt", O_RDONLY, 5);
	end(t, TS(100), 0, 0);

	EXPECT_EV(FIND(t, "process", "fork", 0), INT("pid", 200), INT("tid", 200),
		  INT("ppid", ROOT), INT("ts_ns", TS(2)), NUL("argv"), NUL("exit_code"),
		  NUL("signal"));

	EXPECT_EV(FIND(t, "file", "write", 0), INT("pid", 200), INT("fd", 3),
		  STR("path", "/home/u/out.txt"), INT("bytes", 1));
	EXPECT_EV(FIND(t, "file", "write", 1), INT("pid", ROOT), STR("path", "/home/u/out.txt"),
		  INT("bytes", 2));

	EXPECT_EV(FIND(t, "file", "open", 1), INT("pid", 200), STR("path", "/home/u/rel.txt"));
	EXPECT_EV(FIND(t, "file", "open", 2), INT("pid", ROOT), STR("path", "/home/u/p.txt"));
	EXPECT_EV(FIND(t, "file", "open", 3), INT("pid", 200),
		  STR("path", "/home/u/sub/c.txt"));
}

static void test_exec_drops_cloexec(void **state)
{
	struct tst *t = *state;
	struct adi_raw_event ev;
	struct adi_jval *v, *argv;
	static const char argvb[] = "ls\0-l\0";

	begin(t);
	sys_open(t, TS(1), ROOT, "keep.txt", O_RDONLY, 3);
	sys_open(t, TS(2), ROOT, "secret.txt", O_RDONLY | O_CLOEXEC, 4);
	sys_open(t, TS(3), ROOT, "later.txt", O_RDONLY, 5);
	sys_fdop(t, TS(4), ROOT, ADI_OP_FCNTL, 5, -1, 2 /* F_SETFD */, 1 /* FD_CLOEXEC */, 0);
	sys_fdop(t, TS(5), ROOT, ADI_OP_DUP3, 3, 6, 0, O_CLOEXEC, 6);

	ev = mk(ADI_RAW_PROC, ADI_OP_EXEC, TS(10), ROOT);
	memcpy(ev.f.comm, "ls", 3);
	ev.f.ppid = 1;
	ev.data = (const uint8_t *)argvb;
	ev.f.data_len = sizeof(argvb) - 1; /* "ls\0-l\0" */
	set_path2(&ev, "/bin/ls", 7);
	feed(t, &ev);

	sys_read(t, TS(20), ROOT, 3, "k");
	sys_read(t, TS(21), ROOT, 4, "s");
	sys_read(t, TS(22), ROOT, 5, "l");
	sys_read(t, TS(23), ROOT, 6, "d");
	end(t, TS(100), 0, 0);

	v = FIND(t, "process", "exec", 0);
	EXPECT_EV(v, INT("pid", ROOT), INT("ppid", 1), STR("comm", "ls"),
		  STR("filename", "/bin/ls"));
	argv = adi_j_get(v, "argv");
	assert_int_equal(adi_j_type(argv), ADI_J_ARR);
	assert_int_equal(adi_j_len(argv), 2);
	assert_string_equal(adi_j_as_str(adi_j_at(argv, 0), ""), "ls");
	assert_string_equal(adi_j_as_str(adi_j_at(argv, 1), ""), "-l");

	/* the kernel closed 4 (O_CLOEXEC), 5 (F_SETFD) and 6 (dup3 O_CLOEXEC) */
	v = FIND(t, "file", "read", 0);
	EXPECT_EV(v, INT("fd", 3), STR("path", "/home/u/keep.txt"));
	for (size_t i = 1; i <= 3; i++) {
		v = FIND(t, "file", "read", i);
		EXPECT_INT(v, "fd", (int64_t)(3 + i));
		EXPECT_NULL(v, "path");
	}
	/* the implicit closes of the files it opened itself (and its dup)
	 * are reported at the exec */
	EXPECT_EV(FIND_WHERE(t, "file", "close", "fd", 4), STR("path", "/home/u/secret.txt"),
		  INT("ts_ns", TS(10)));
	v = FIND_WHERE(t, "file", "close", "fd", 5);
	EXPECT_STR(v, "path", "/home/u/later.txt");
	v = FIND_WHERE(t, "file", "close", "fd", 6);
	EXPECT_STR(v, "path", "/home/u/keep.txt");
	assert_int_equal(count_kind(t, "file"), 3 /* opens */ + 3 /* closes */ + 4 /* reads */);
}

/* exec of a script: argv is the caller's (the file executed in argv[0]'s
 * place), the interpreter apart; running the interpreter by hand is no
 * script exec. */
static void exec_with(struct tst *t, uint64_t ts, const char *argvb, size_t n,
		      const char *file)
{
	struct adi_raw_event ev = mk(ADI_RAW_PROC, ADI_OP_EXEC, ts, ROOT);

	ev.f.ppid = 1;
	ev.data = (const uint8_t *)argvb;
	ev.f.data_len = n;
	set_path2(&ev, file, strlen(file));
	feed(t, &ev);
}

static void expect_words(struct adi_jval *v, const char *key, const char *const *want)
{
	struct adi_jval *a = adi_j_get(v, key);
	size_t n = 0;

	while (want[n])
		n++;
	assert_int_equal(adi_j_type(a), ADI_J_ARR);
	assert_int_equal(adi_j_len(a), n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(adi_j_as_str(adi_j_at(a, i), ""), want[i]);
}

static void test_exec_script_interpreter(void **state)
{
	static const char perl[] = "/usr/bin/perl\0/usr/bin/psql\0-h\0db\0";
	static const char env[] = "/usr/bin/env\0python3\0./tool.py\0x\0";
	static const char byhand[] = "perl\0/usr/bin/psql\0";
	static const char plain[] = "ls\0-l\0";
	static const char *const a1[] = { "/usr/bin/psql", "-h", "db", NULL };
	static const char *const i1[] = { "/usr/bin/perl", NULL };
	static const char *const a2[] = { "./tool.py", "x", NULL };
	static const char *const i2[] = { "/usr/bin/env", "python3", NULL };
	static const char *const a3[] = { "perl", "/usr/bin/psql", NULL };
	static const char *const a4[] = { "ls", "-l", NULL };
	struct tst *t = *state;

	begin(t);
	exec_with(t, TS(1), perl, sizeof(perl) - 1, "/usr/bin/psql");
	exec_with(t, TS(2), env, sizeof(env) - 1, "./tool.py");
	exec_with(t, TS(3), byhand, sizeof(byhand) - 1, "/usr/bin/perl");
	exec_with(t, TS(4), plain, sizeof(plain) - 1, "/bin/ls");
	end(t, TS(100), 0, 0);

	expect_words(FIND(t, "process", "exec", 0), "argv", a1);
	expect_words(FIND(t, "process", "exec", 0), "interpreter", i1);
	EXPECT_STR(FIND(t, "process", "exec", 0), "filename", "/usr/bin/psql");
	expect_words(FIND(t, "process", "exec", 1), "argv", a2);
	expect_words(FIND(t, "process", "exec", 1), "interpreter", i2);
	expect_words(FIND(t, "process", "exec", 2), "argv", a3);
	EXPECT_ABSENT(FIND(t, "process", "exec", 2), "interpreter");
	expect_words(FIND(t, "process", "exec", 3), "argv", a4);
	EXPECT_ABSENT(FIND(t, "process", "exec", 3), "interpreter");
}

static void test_fork_keeps_cloexec_for_child_exec(void **state)
{
	struct tst *t = *state;
	struct adi_raw_event ev;

	begin(t);
	sys_open(t, TS(1), ROOT, "parent-only.txt", O_RDONLY | O_CLOEXEC, 3);
	sys_open(t, TS(2), ROOT, "shared.txt", O_RDONLY, 4);
	sys_fork(t, TS(3), 200, ROOT);
	ev = mk(ADI_RAW_PROC, ADI_OP_EXEC, TS(4), 200);
	ev.f.ppid = ROOT;
	feed(t, &ev);
	sys_read(t, TS(5), 200, 3, "a");
	sys_read(t, TS(6), 200, 4, "b");
	sys_read(t, TS(7), ROOT, 3, "c"); /* the parent did not exec */
	end(t, TS(100), 0, 0);

	EXPECT_NULL(FIND_WHERE(t, "file", "read", "ts_ns", (int64_t)TS(5)), "path");
	EXPECT_STR(FIND_WHERE(t, "file", "read", "ts_ns", (int64_t)TS(6)), "path",
		   "/home/u/shared.txt");
	EXPECT_STR(FIND_WHERE(t, "file", "read", "ts_ns", (int64_t)TS(7)), "path",
		   "/home/u/parent-only.txt");
}

static void test_exit_status(void **state)
{
	struct tst *t = *state;
	struct adi_jval *v;

	begin(t);
	sys_fork(t, TS(1), 200, ROOT);
	sys_exit(t, TS(2), 200, ROOT, 3 << 8);
	sys_fork(t, TS(3), 201, ROOT);
	sys_exit(t, TS(4), 201, ROOT, 9);
	sys_fork(t, TS(5), 202, ROOT);
	sys_exit(t, TS(6), 202, ROOT, 0x80 | 11);
	end(t, TS(100), 0, 0);

	assert_int_equal(count_kind(t, "process"), 6);
	EXPECT_EV(FIND(t, "process", "exit", 0), INT("pid", 200), INT("ppid", ROOT),
		  INT("exit_code", 3), NUL("signal"), NUL("argv"));
	EXPECT_EV(FIND(t, "process", "exit", 1), INT("pid", 201), NUL("exit_code"),
		  STR("signal", "SIGKILL"));
	v = FIND(t, "process", "exit", 2);
	EXPECT_STR(v, "signal", "SIGSEGV");
	assert_true(adi_j_as_bool(adi_j_get(v, "core_dumped"), false));
}

static void test_exit_closes_before_exit_event(void **state)
{
	struct tst *t = *state;
	struct adi_jval *cl, *ex;

	begin(t);
	sys_fork(t, TS(1), 200, ROOT);
	sys_open(t, TS(2), 200, "mine.txt", O_WRONLY, 3);
	sys_write(t, TS(3), 200, 3, "w");
	sys_exit(t, TS(4), 200, ROOT, 0);
	end(t, TS(100), 0, 0);

	/* the kernel closed fd 3 at exit: write, close, then exit */
	cl = FIND(t, "file", "close", 0);
	ex = FIND(t, "process", "exit", 0);
	EXPECT_EV(cl, INT("pid", 200), STR("path", "/home/u/mine.txt"), INT("ts_ns", TS(4)));
	EXPECT_INT(ex, "exit_code", 0);
	assert_true(index_of(t, FIND(t, "file", "write", 0)) < index_of(t, cl));
	assert_true(index_of(t, cl) < index_of(t, ex));
}

/* ---- connections ---- */

static const struct sockdesc refused = {
	.ino = 9001, .lip = "127.0.0.1", .lport = 40000, .rip = "127.0.0.1", .rport = 9,
};

static void test_tcp_connect_refused(void **state)
{
	struct tst *t = *state;
	struct adi_jval *v;

	begin(t);
	sys_socket(t, TS(1), ROOT, 5, refused.ino);
	sys_connect(t, TS(2), ROOT, 5, -EINPROGRESS, &refused);
	sys_so_error(t, TS(3), ROOT, 5, ECONNREFUSED, &refused);
	sys_sock_close(t, TS(4), ROOT, 5, &refused);
	end(t, TS(100), 0, 0);

	assert_int_equal(ECONNREFUSED, 111);
	assert_int_equal(t->cap.n, 2); /* connect, summary: no tcp_stream, no close */
	v = t->cap.ev[0];
	EXPECT_EV(v, STR("kind", "connection"), STR("op", "connect"), INT("ts_ns", TS(2)),
		  /* the connect's time, not SO_ERROR's */
		  INT("pid", ROOT),
		  STR("error", "ECONNREFUSED"));
	EXPECT_EV(adi_j_get(v, "conn"), STR("transport", "tcp"),
		  STR("local", "127.0.0.1:40000"), STR("remote", "127.0.0.1:9"),
		  STR("role", "client"), INT("id", 1));
	assert_int_equal(count_kind(t, "tcp_stream"), 0);
}

static const struct sockdesc client = {
	.ino = 9002, .lip = "10.0.0.1", .lport = 41000, .rip = "10.0.0.2", .rport = 7000,
};

static void test_tcp_stream_client(void **state)
{
	struct tst *t = *state;
	struct adi_jval *con, *st, *cl;

	begin(t);
	sys_socket(t, TS(1), ROOT, 5, client.ino);
	sys_connect(t, TS(2), ROOT, 5, 0, &client);
	sys_sock_io(t, TS(3), ROOT, 5, ADI_DIR_OUT, "abc", 100, &client);
	sys_sock_io(t, TS(4), ROOT, 5, ADI_DIR_OUT, "de", 103, &client);
	sys_sock_io(t, TS(5), ROOT, 5, ADI_DIR_IN, "XYZ", 900, &client);
	sys_sock_io(t, TS(6), ROOT, 5, ADI_DIR_IN, "W", 903, &client);
	{
		/* end of stream: read() = 0 after the peer's FIN, which took
		 * sequence number 904 of its own: not a gap */
		struct adi_raw_event ev = mk(ADI_RAW_IO, ADI_OP_READ, TS(6) + 1, ROOT);

		sk_fill(&ev.f, &client);
		ev.f.fd = 5;
		ev.f.dir = ADI_DIR_IN;
		ev.f.flags = ADI_RAW_HAS_SEQ | ADI_RAW_EOF;
		ev.f.seq = 905;
		feed(t, &ev);
	}
	sys_sock_close(t, TS(7), ROOT, 5, &client);
	end(t, TS(100), 0, 0);

	assert_int_equal(t->cap.n, 4);
	con = t->cap.ev[0];
	st = t->cap.ev[1];
	cl = t->cap.ev[2];
	EXPECT_EV(con, STR("kind", "connection"), STR("op", "connect"), INT("ts_ns", TS(2)),
		  NUL("error"));
	EXPECT_EV(adi_j_get(con, "conn"), STR("transport", "tcp"),
		  STR("local", "10.0.0.1:41000"), STR("remote", "10.0.0.2:7000"),
		  STR("role", "client"), INT("id", 1));

	EXPECT_EV(st, STR("kind", "tcp_stream"), INT("ts_ns", TS(2)), MSEC("duration_ms", 5.0),
		  INT("pid", ROOT), STR("protocol", "unknown"), INT("bytes_out", 5),
		  INT("bytes_in", 4), STR("preview_out", "abcde"), STR("preview_in", "XYZW"),
		  ABSENT("gaps"));
	EXPECT_EV(adi_j_get(st, "conn"), INT("id", 1), STR("role", "client"));

	EXPECT_EV(cl, STR("kind", "connection"), STR("op", "close"), INT("ts_ns", TS(7)),
		  NUL("error"));
	EXPECT_INT(adi_j_get(cl, "conn"), "id", 1);
	EXPECT_INT(t->cap.ev[3], "stream_gaps", 0);
}

static void test_tcp_nonblocking_connect_settles_on_io(void **state)
{
	struct tst *t = *state;

	begin(t);
	sys_socket(t, TS(1), ROOT, 5, client.ino);
	sys_connect(t, TS(2), ROOT, 5, -EINPROGRESS, &client);
	sys_sock_io(t, TS(8), ROOT, 5, ADI_DIR_OUT, "q", 1, &client);
	sys_sock_close(t, TS(9), ROOT, 5, &client);
	end(t, TS(100), 0, 0);

	EXPECT_EV(FIND(t, "connection", "connect", 0), INT("ts_ns", TS(2)), NUL("error"));
	EXPECT_EV(FIND(t, "tcp_stream", NULL, 0), INT("bytes_out", 1), INT("bytes_in", 0),
		  STR("preview_in", ""));
	FIND(t, "connection", "close", 0);
}

static void test_tcp_stream_gap(void **state)
{
	struct tst *t = *state;
	struct adi_engine_stats st;

	begin(t);
	sys_socket(t, TS(1), ROOT, 5, client.ino);
	sys_connect(t, TS(2), ROOT, 5, 0, &client);
	sys_sock_io(t, TS(3), ROOT, 5, ADI_DIR_OUT, "aaaaa", 1000, &client);
	sys_sock_io(t, TS(4), ROOT, 5, ADI_DIR_OUT, "bbbbb", 1010, &client); /* 5 unseen */
	sys_sock_io(t, TS(5), ROOT, 5, ADI_DIR_IN, "r", 50, &client);
	sys_sock_io(t, TS(6), ROOT, 5, ADI_DIR_IN, "s", 51, &client);
	sys_sock_close(t, TS(7), ROOT, 5, &client);
	end(t, TS(100), 0, 0);

	EXPECT_EV(FIND(t, "tcp_stream", NULL, 0), INT("bytes_out", 10), INT("bytes_in", 2),
		  STR("preview_out", "aaaaabbbbb"), INT("gaps", 1), INT("gap_bytes", 5));
	EXPECT_INT(t->cap.ev[t->cap.n - 1], "stream_gaps", 1);
	adi_engine_stats(t->e, &st);
	assert_int_equal(st.stream_gaps, 1);
}

static void test_tcp_preview_capped(void **state)
{
	struct tst *t = *state;

	t->o.body_bytes = 4;
	begin(t);
	sys_connect(t, TS(2), ROOT, 5, 0, &client); /* socket() not seen */
	sys_sock_io(t, TS(3), ROOT, 5, ADI_DIR_OUT, "abc", 0, &client);
	sys_sock_io(t, TS(4), ROOT, 5, ADI_DIR_OUT, "defg", 3, &client);
	end(t, TS(100), 0, 0);

	/* still open at the end: tcp_stream, but no close */
	EXPECT_EV(FIND(t, "tcp_stream", NULL, 0), INT("bytes_out", 7),
		  STR("preview_out", "abcd"));
	assert_int_equal(count_kind(t, "connection"), 1);
}

/* A first write longer than the tcp preview still reaches the decoder
 * whole: the classifier's buffer is not the preview. */
static void test_decoder_gets_first_write_whole(void **state)
{
	struct tst *t = *state;

	t->o.body_bytes = 16;
	begin(t);
	sys_connect(t, TS(2), ROOT, 5, 0, &client);
	sys_sock_io(t, TS(3), ROOT, 5, ADI_DIR_OUT,
		    "GET /a/rather/long/path?with=query HTTP/1.1\r\nHost: example\r\n\r\n",
		    0, &client);
	sys_sock_io(t, TS(4), ROOT, 5, ADI_DIR_IN,
		    "HTTP/1.1 204 No Content\r\nServer: x\r\n\r\n", 0, &client);
	end(t, TS(100), 0, 0);

	EXPECT_EV(FIND(t, "http_request", NULL, 0), STR("url", "/a/rather/long/path?with=query"),
		  INT("status", 204));
	assert_int_equal(count_kind(t, "tcp_stream"), 0);
}

static void test_pending_connect_failed_io_is_not_success(void **state)
{
	struct tst *t = *state;
	struct adi_raw_event ev;
	struct adi_jval *v;

	begin(t);
	sys_socket(t, TS(1), ROOT, 5, client.ino);
	sys_connect(t, TS(2), ROOT, 5, -EINPROGRESS, &client);
	ev = mk(ADI_RAW_IO, ADI_OP_SENDTO, TS(3), ROOT);
	sk_fill(&ev.f, &client);
	ev.f.fd = 5;
	ev.f.dir = ADI_DIR_OUT;
	ev.f.ret = -ECONNREFUSED;
	feed(t, &ev);
	sys_sock_close(t, TS(4), ROOT, 5, &client);
	end(t, TS(100), 0, 0);

	/* a failed transfer does not prove the connect worked */
	v = FIND(t, "connection", "connect", 0);
	assert_int_equal(adi_j_type(adi_j_get(v, "error")), ADI_J_STR);
	assert_int_equal(count_kind(t, "tcp_stream"), 0);
}

/* A unix stream socket: peers named by path; an idle one has no stream. */
static void unix_fill(struct adi_raw_fixed *f, int fd, uint64_t ino)
{
	f->fd = fd;
	f->fd_kind = ADI_FD_SOCK;
	f->ino = ino;
	f->transport = ADI_TR_UNIX;
	f->sock_type = SOCK_STREAM;
}

static void sys_unix_connect_to(struct tst *t, uint64_t ts, int fd, uint64_t ino,
				const char *path, int64_t ret)
{
	struct adi_raw_event ev = mk(ADI_RAW_SOCK, ADI_OP_CONNECT, ts, ROOT);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unix_fill(&ev.f, fd, ino);
	ev.f.local.family = ev.f.remote.family = AF_UNIX;
	ev.f.ret = ret;
	set_path2(&ev, (const char *)&sa, offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
	feed(t, &ev);
}

static void sys_unix_connect(struct tst *t, uint64_t ts, int fd, uint64_t ino)
{
	sys_unix_connect_to(t, ts, fd, ino, "/run/app.sock", 0);
}

/* glibc's failed connects to nscd are the runtime's (class nscd); a
 * connect that reached nscd, or another socket's failure, is not. */
static void test_nscd_probe(void **state)
{
	struct tst *t = *state;

	begin(t);
	sys_unix_connect_to(t, TS(1), 5, 7101, "/var/run/nscd/socket", -ENOENT);
	sys_unix_connect_to(t, TS(2), 6, 7102, "/run/nscd/socket", -ECONNREFUSED);
	sys_unix_connect_to(t, TS(3), 7, 7103, "/run/nscd/socket", 0);
	sys_unix_connect_to(t, TS(4), 8, 7104, "/run/app.sock", -ENOENT);
	end(t, TS(100), 0, 0);

	EXPECT_EV(FIND_WHERE(t, "connection", "connect", "ts_ns", TS(1)), STR("error", "ENOENT"),
		  STR("runtime", "nscd"));
	EXPECT_EV(FIND_WHERE(t, "connection", "connect", "ts_ns", TS(2)),
		  STR("error", "ECONNREFUSED"), STR("runtime", "nscd"));
	EXPECT_ABSENT(FIND_WHERE(t, "connection", "connect", "ts_ns", TS(3)), "runtime");
	EXPECT_EV(FIND_WHERE(t, "connection", "connect", "ts_ns", TS(4)), STR("error", "ENOENT"));
	EXPECT_ABSENT(FIND_WHERE(t, "connection", "connect", "ts_ns", TS(4)), "runtime");
}

static void sys_unix_io(struct tst *t, uint64_t ts, int fd, uint64_t ino, const char *s)
{
	struct adi_raw_event ev = mk(ADI_RAW_IO, ADI_OP_WRITE, ts, ROOT);

	unix_fill(&ev.f, fd, ino);
	set_data(&ev, ADI_DIR_OUT, s, strlen(s));
	feed(t, &ev);
}

static void test_unix_stream(void **state)
{
	struct tst *t = *state;
	struct adi_raw_event ev;
	struct adi_jval *v;

	begin(t);
	sys_unix_connect(t, TS(1), 5, 7001);
	ev = mk(ADI_RAW_FD, ADI_OP_CLOSE, TS(2), ROOT);
	ev.f.fd = 5;
	ev.f.fd_kind = ADI_FD_SOCK;
	ev.f.ino = 7001;
	feed(t, &ev);
	sys_unix_connect(t, TS(3), 6, 7002);
	sys_unix_io(t, TS(4), 6, 7002, "hello unix");
	end(t, TS(100), 0, 0);

	v = FIND(t, "connection", "connect", 0);
	EXPECT_EV(adi_j_get(v, "conn"), STR("transport", "unix"),
		  STR("remote", "/run/app.sock"), STR("local", ""));
	EXPECT_INT(FIND(t, "connection", "close", 0), "ts_ns", (int64_t)TS(2));
	/* the idle socket says nothing more; the other one is a stream */
	assert_int_equal(count_kind(t, "tcp_stream"), 1);
	v = FIND(t, "tcp_stream", NULL, 0);
	EXPECT_INT(v, "ts_ns", (int64_t)TS(3));
	EXPECT_EV(adi_j_get(v, "conn"), STR("transport", "unix"), INT("id", 2));
	EXPECT_EV(v, INT("bytes_out", 10), STR("preview_out", "hello unix"));
}

static const struct sockdesc served = {
	.ino = 9003, .lip = "127.0.0.1", .lport = 8080, .rip = "127.0.0.1", .rport = 51000,
};

static void test_accept_server(void **state)
{
	struct tst *t = *state;
	struct adi_jval *v;

	begin(t);
	sys_accept(t, TS(1), ROOT, 8, 3, &served);
	sys_sock_io(t, TS(2), ROOT, 8, ADI_DIR_IN, "req", 10, &served);
	sys_sock_io(t, TS(3), ROOT, 8, ADI_DIR_OUT, "resp", 20, &served);
	sys_sock_close(t, TS(4), ROOT, 8, &served);
	end(t, TS(100), 0, 0);

	v = FIND(t, "connection", "accept", 0);
	EXPECT_EV(v, INT("ts_ns", TS(1)), NUL("error"));
	EXPECT_EV(adi_j_get(v, "conn"), STR("transport", "tcp"), STR("role", "server"),
		  STR("local", "127.0.0.1:8080"), STR("remote", "127.0.0.1:51000"));
	v = FIND(t, "tcp_stream", NULL, 0);
	EXPECT_STR(adi_j_get(v, "conn"), "role", "server");
	EXPECT_EV(v, INT("bytes_in", 3), INT("bytes_out", 4), STR("preview_in", "req"),
		  STR("preview_out", "resp"));
	FIND(t, "connection", "close", 0);
}

static void test_fork_shares_connection(void **state)
{
	struct tst *t = *state;
	struct adi_jval *v;

	begin(t);
	sys_socket(t, TS(1), ROOT, 5, client.ino);
	sys_connect(t, TS(2), ROOT, 5, 0, &client);
	sys_fork(t, TS(3), 200, ROOT);
	sys_sock_close(t, TS(4), ROOT, 5, &client); /* the child still holds it */
	sys_sock_io(t, TS(5), 200, 5, ADI_DIR_OUT, "kid", 0, &client);
	sys_sock_close(t, TS(6), 200, 5, &client);
	end(t, TS(100), 0, 0);

	assert_int_equal(count_kind(t, "tcp_stream"), 1);
	assert_int_equal(count_kind(t, "connection"), 2); /* connect, one close */
	v = FIND(t, "connection", "close", 0);
	EXPECT_INT(v, "ts_ns", (int64_t)TS(6));
	v = FIND(t, "tcp_stream", NULL, 0);
	EXPECT_INT(v, "bytes_out", 3);
	EXPECT_INT(adi_j_get(v, "conn"), "id", 1);
}

/* ---- timeline ---- */

/* Binary payload of n bytes at TCP position seq on a socket. */
static void sys_sock_bin(struct tst *t, uint64_t ts, uint32_t pid, int fd, enum adi_dir dir,
			 const char *data, size_t n, uint32_t seq, const struct sockdesc *s)
{
	struct adi_raw_event ev = mk(ADI_RAW_IO, dir == ADI_DIR_OUT ? ADI_OP_SENDTO
								  : ADI_OP_RECVFROM, ts, pid);

	sk_fill(&ev.f, s);
	ev.f.fd = fd;
	set_data(&ev, dir, data, n);
	ev.f.flags = ADI_RAW_HAS_SEQ;
	ev.f.seq = seq;
	feed(t, &ev);
}

#define BIN(s) (s), (sizeof(s) - 1)

/* A decoder that keeps a request in its own state once stitched (the
 * PostgreSQL decoder's FIFO of requests awaiting replies) still holds the
 * timeline back (proto.h pending()): connection B's query, answered while
 * A's earlier one waits, is written after A's, not before it. */
static void test_decoder_held_request_holds_timeline(void **state)
{
	/* PostgreSQL protocol 3.0 (postgresql.org/docs/current/protocol-message-formats.html) */
	static const char startup[] = "\0\0\0\x10\0\x03\0\0user\0u\0\0";
	static const char ready[] = "R\0\0\0\x08\0\0\0\0Z\0\0\0\x05I";
	static const char query[] = "Q\0\0\0\x0dSELECT 1\0";
	static const char done[] = "C\0\0\0\x0dSELECT 0\0Z\0\0\0\x05I";
	const struct sockdesc a = { 1001, "127.0.0.1", "127.0.0.1", 40001, 5432 };
	const struct sockdesc b = { 1002, "127.0.0.1", "127.0.0.1", 40002, 5432 };
	struct tst *t = *state;
	uint32_t ao = 100, ai = 500, bo = 100, bi = 500;
	size_t q = 0;

	begin(t);
	sys_socket(t, TS(1), ROOT, 5, a.ino);
	sys_connect(t, TS(1), ROOT, 5, 0, &a);
	sys_socket(t, TS(2), ROOT, 6, b.ino);
	sys_connect(t, TS(2), ROOT, 6, 0, &b);
	sys_sock_bin(t, TS(3), ROOT, 5, ADI_DIR_OUT, BIN(startup), ao, &a), ao += 16;
	sys_sock_bin(t, TS(4), ROOT, 5, ADI_DIR_IN, BIN(ready), ai, &a), ai += 15;
	sys_sock_bin(t, TS(5), ROOT, 6, ADI_DIR_OUT, BIN(startup), bo, &b), bo += 16;
	sys_sock_bin(t, TS(6), ROOT, 6, ADI_DIR_IN, BIN(ready), bi, &b), bi += 15;
	sys_sock_bin(t, TS(10), ROOT, 5, ADI_DIR_OUT, BIN(query), ao, &a), ao += 14;
	sys_sock_bin(t, TS(11), ROOT, 6, ADI_DIR_OUT, BIN(query), bo, &b), bo += 14;
	sys_sock_bin(t, TS(12), ROOT, 6, ADI_DIR_IN, BIN(done), bi, &b), bi += 20;
	meta(t, ADI_META_TICK, TS(13));
	/* B's query (11 ms) waits for A's (10 ms), which has no reply yet */
	for (size_t i = 0; i < t->cap.n; i++)
		assert_string_not_equal(adi_j_get_str(t->cap.ev[i], "kind", ""), "sql_query");
	sys_sock_bin(t, TS(20), ROOT, 5, ADI_DIR_IN, BIN(done), ai, &a), ai += 20;
	meta(t, ADI_META_TICK, TS(21));
	end(t, TS(100), 0, 0);

	expect_sorted(t);
	for (size_t i = 0; i < t->cap.n; i++) {
		if (strcmp(adi_j_get_str(t->cap.ev[i], "kind", ""), "sql_query"))
			continue;
		EXPECT_INT(t->cap.ev[i], "ts_ns", (int64_t)(q ? TS(11) : TS(10)));
		EXPECT_STR(t->cap.ev[i], "sql", "SELECT 1");
		q++;
	}
	assert_int_equal(q, 2);
	EXPECT_ABSENT(t->cap.ev[t->cap.n - 1], "out_of_order");
}

static void test_output_in_ts_order(void **state)
{
	struct tst *t = *state;

	begin(t);
	sys_open(t, TS(1), ROOT, "a.txt", O_RDONLY, 3);
	sys_read(t, TS(2), ROOT, 3, "1");
	sys_open(t, TS(3), ROOT, "b.txt", O_RDONLY, 4);
	sys_read(t, TS(4), ROOT, 3, "2");
	meta(t, ADI_META_TICK, TS(5));
	/* the open between the reads, 2 ms apart, ended the first run
	 * (ADI_RUN_SPLIT_NS); the second (started at 4 ms) holds back
	 * everything after it */
	assert_int_equal(t->cap.n, 3);
	EXPECT_INT(t->cap.ev[2], "ts_ns", (int64_t)TS(3));
	sys_close(t, TS(6), ROOT, 4);
	sys_close(t, TS(7), ROOT, 3);
	meta(t, ADI_META_TICK, TS(8));
	/* nothing pending any more: all of it is released, in order */
	assert_int_equal(t->cap.n, 6);
	end(t, TS(100), 0, 0);

	assert_int_equal(t->cap.n, 7);
	expect_sorted(t);
	EXPECT_STR(t->cap.ev[0], "path", "/home/u/a.txt");
	EXPECT_EV(t->cap.ev[1], STR("op", "read"), INT("ts_ns", TS(2)), INT("ops", 1));
	EXPECT_STR(t->cap.ev[2], "path", "/home/u/b.txt");
	EXPECT_EV(t->cap.ev[3], STR("op", "read"),
		  /* flushed at 7 ms, written 4th */
		  INT("ts_ns", TS(4)), INT("ops", 1));
	EXPECT_EV(t->cap.ev[4], STR("op", "close"), INT("fd", 4));
	EXPECT_EV(t->cap.ev[5], STR("op", "close"), INT("fd", 3));
}

static void test_order_many_events(void **state)
{
	struct tst *t = *state;

	begin(t);
	/* more than ADI_RELEASE_EVERY events, with a run that stays open
	 * across several release points */
	sys_open(t, TS(1), ROOT, "long.txt", O_RDONLY, 3);
	for (int i = 0; i < 300; i++) {
		if (i % 10 == 0)
			sys_read(t, TS(2 + i), ROOT, 3, "r");
		else /* another process: its work does not end ROOT's run */
			sys_path(t, TS(2 + i), ROOT + 1, ADI_OP_MKDIR, "/d", NULL, 0, -EEXIST);
	}
	sys_close(t, TS(400), ROOT, 3);
	end(t, TS(1000), 0, 0);

	expect_sorted(t);
	/* the run (reads from 2 to 292 ms) is cut once its start is older
	 * than ADI_RUN_MAX_NS (100 ms), at the next release point (every 64
	 * events, here one a millisecond): 3 pieces, 30 reads */
	assert_int_equal(count_kind(t, "file"), 1 + 270 + 3 + 1);
	{
		int64_t ops = 0;

		for (size_t i = 0; i < 3; i++) {
			struct adi_jval *rd = FIND(t, "file", "read", i);

			ops += adi_j_get_int(rd, "ops", 0);
			assert_true(adi_j_as_double(adi_j_get(rd, "duration_ms"), 1e9) < 100.0 + 64.0);
		}
		assert_int_equal(ops, 30);
	}
}

static void test_order_long_run_beyond_hold(void **state)
{
	struct tst *t = *state;
	struct adi_jval *rd, *ob;
	int64_t bytes = 0;

	t->o.hold_ns = 1000 * MS;
	begin(t);
	sys_open(t, TS(1), ROOT, "a.txt", O_RDONLY, 3);
	sys_read(t, TS(10), ROOT, 3, "x");
	sys_open(t, TS(20), ROOT, "b.txt", O_RDONLY, 4);
	/* fd 3 keeps reading every 500 ms, the live loop ticks in between */
	for (int i = 1; i <= 6; i++) {
		sys_read(t, TS(10 + 500 * i), ROOT, 3, "x");
		meta(t, ADI_META_TICK, TS(10 + 500 * i));
	}
	sys_close(t, TS(3100), ROOT, 3);
	end(t, TS(4000), 0, 0);

	ob = FIND(t, "file", "open", 1);
	EXPECT_STR(ob, "path", "/home/u/b.txt");
	for (size_t i = 0; i < count_kind(t, "file"); i++) {
		rd = FIND(t, "file", NULL, i);
		if (!strcmp(adi_j_get_str(rd, "op", ""), "read"))
			bytes += adi_j_get_int(rd, "bytes", 0);
	}
	assert_int_equal(bytes, 7); /* however the run is cut, no byte is lost */
	/* Regression test (a bug, fixed): engine.c release_ready()/watermark() stop holding for a run
	 * whose start is older than hold_ns, but only flush runs whose LAST
	 * call is older; a run that keeps going is neither held nor flushed,
	 * so the open of b.txt (20 ms) is written before the read run that
	 * started at 10 ms: the output is not in ts_ns order. */
	expect_sorted(t);
}

static void test_idle_run_flushed_after_window(void **state)
{
	struct tst *t = *state;

	t->o.hold_ns = 1000 * MS;
	begin(t);
	sys_open(t, TS(1), ROOT, "a.txt", O_RDONLY, 3);
	sys_read(t, TS(10), ROOT, 3, "x");
	meta(t, ADI_META_TICK, TS(60));
	assert_int_equal(t->cap.n, 1); /* the open; the run is still pending */
	meta(t, ADI_META_TICK, TS(500));
	/* older than ADI_RUN_MAX_NS (100 ms, shorter than the hold): written */
	assert_int_equal(t->cap.n, 2);
	EXPECT_EV(t->cap.ev[1], STR("op", "read"), INT("ops", 1));
	sys_read(t, TS(600), ROOT, 3, "y"); /* a new run */
	end(t, TS(2000), 0, 0);

	assert_int_equal(count_kind(t, "file"), 3);
	EXPECT_INT(FIND(t, "file", "read", 1), "ts_ns", (int64_t)TS(600));
	expect_sorted(t);
}

/* A server that pread()s one cached fd for every request makes one run that
 * never goes idle. It must not hold the rest of the timeline for the whole
 * --hold-ms (it held 2 s of events: 630 MB at 180 K HTTP/2 requests/s):
 * at every release point, nothing older than a run window plus one release
 * interval is still waiting. */
static void test_busy_run_holds_briefly(void **state)
{
	struct tst *t = *state;

	begin(t); /* the default hold: 2 s */
	sys_open(t, TS(1), ROOT, "cached.html", O_RDONLY, 3);
	for (int i = 0; i < 1000; i++) {
		sys_read(t, TS(2 + i), ROOT, 3, "r");
		sys_path(t, TS(2 + i), ROOT, ADI_OP_MKDIR, "d", NULL, 0, -EEXIST);
		if (i % 50 == 49) {
			uint64_t now = TS(2 + i);

			meta(t, ADI_META_TICK, now);
			/* what waits is at most a run window old (100 ms;
			 * events come every 1 ms) */
			assert_true(t->cap.n > 0);
			if (i > 200)
				assert_true(ts_of(t->cap.ev[t->cap.n - 1]) + 102 * MS >= now);
		}
	}
	sys_close(t, TS(1100), ROOT, 3);
	end(t, TS(2000), 0, 0);
	expect_sorted(t);
	{
		int64_t ops = 0;

		for (size_t i = 0; i < t->cap.n; i++)
			if (!strcmp(adi_j_get_str(t->cap.ev[i], "op", ""), "read"))
				ops += adi_j_get_int(t->cap.ev[i], "ops", 0);
		assert_int_equal(ops, 1000); /* cut into pieces, no read lost */
	}
}

/* An accepted connection nothing has decoded may still become a
 * tcp_stream of its start time, so it holds later events back (up to the
 * hold window); without network capture it never can, and must not hold
 * anything (a keep-alive server traced with --no-net kept 2 s of events,
 * 690 MB, in memory). */
static void conn_hold(struct tst *t, bool no_net, size_t want_before_close)
{
	t->o.no_net = no_net;
	begin(t);
	sys_accept(t, TS(1), ROOT, 8, 3, &served);
	for (int i = 0; i < 10; i++)
		sys_path(t, TS(10 + i), ROOT, ADI_OP_MKDIR, "d", NULL, 0, -EEXIST);
	meta(t, ADI_META_TICK, TS(500));
	assert_int_equal(count_kind(t, "file"), want_before_close);
	sys_sock_close(t, TS(600), ROOT, 8, &served);
	end(t, TS(1000), 0, 0);
	assert_int_equal(count_kind(t, "file"), 10);
	expect_sorted(t);
}

static void test_undecided_conn_holds(void **state)
{
	conn_hold(*state, false, 0);
}

static void test_no_net_conn_holds_nothing(void **state)
{
	conn_hold(*state, true, 10);
}

/* Whatever holds the timeline back, it holds at most ADI_HELD_MAX events:
 * memory stays bounded at any event rate. */
static void test_held_events_bounded(void **state)
{
	struct tst *t = *state;
	const int n = ADI_HELD_MAX + 5000;

	begin(t);
	sys_accept(t, TS(1), ROOT, 8, 3, &served); /* undecided: holds */
	for (int i = 0; i < n; i++)
		sys_path(t, TS(10) + (uint64_t)i * 1000, ROOT, ADI_OP_MKDIR, "d", NULL, 0, -EEXIST);
	meta(t, ADI_META_TICK, TS(10) + (uint64_t)n * 1000);
	/* all within the hold window, yet no more than the bound is held */
	assert_true(count_kind(t, "file") >= (size_t)(n - ADI_HELD_MAX));
	sys_sock_close(t, TS(600), ROOT, 8, &served);
	end(t, TS(1000), 0, 0);
	assert_int_equal(count_kind(t, "file"), (size_t)n);
	/* the connection's tcp_stream (started at 1 ms) came after them */
	EXPECT_INT(FIND(t, "trace_summary", NULL, 0), "out_of_order", 1);
}

/* ---- trace summary and options ---- */

static void test_trace_summary(void **state)
{
	struct tst *t = *state;
	struct adi_engine_stats st;
	struct adi_jval *v, *ev;

	t->o.backend = "replay";
	begin(t);
	sys_open(t, TS(1), ROOT, "a.txt", O_RDONLY, 3);
	sys_open(t, TS(2), ROOT, "b.txt", O_RDONLY, 4);
	sys_fork(t, TS(3), 200, ROOT);
	sys_socket(t, TS(4), ROOT, 5, refused.ino);
	sys_connect(t, TS(5), ROOT, 5, -ECONNREFUSED, &refused);
	end(t, TS(500), 17, 4);

	assert_int_equal(t->cap.n, 5);
	v = t->cap.ev[4];
	EXPECT_EV(v, STR("kind", "trace_summary"), INT("ts_ns", TS(500)),
		  MSEC("duration_ms", 500.0), INT("pid", 0), INT("dropped", 17),
		  INT("truncated", 4), STR("backend", "replay"), STR("capture_backend", "ebpf"),
		  INT("total", 4), INT("stream_gaps", 0), INT("evicted", 0));
	ev = adi_j_get(v, "events");
	assert_int_equal(adi_j_type(ev), ADI_J_OBJ);
	assert_int_equal(adi_j_len(ev), 3);
	EXPECT_EV(ev, INT("file", 2), INT("process", 1), INT("connection", 1));
	EXPECT_STR(FIND(t, "connection", "connect", 0), "error", "ECONNREFUSED");

	adi_engine_stats(t->e, &st);
	assert_int_equal(st.events_out, 5);
	assert_int_equal(st.dropped, 17);
	assert_int_equal(st.sink_errors, 0);
	assert_int_equal(st.raw_in, 7); /* START, 5 syscalls, END */
}

static void test_no_fs_no_proc(void **state)
{
	struct tst *t = *state;

	t->o.no_fs = true;
	t->o.no_proc = true;
	begin(t);
	sys_open(t, TS(1), ROOT, "a.txt", O_RDONLY, 3);
	sys_read(t, TS(2), ROOT, 3, "x");
	sys_close(t, TS(3), ROOT, 3);
	sys_fork(t, TS(4), 200, ROOT);
	sys_exit(t, TS(5), 200, ROOT, 0);
	sys_socket(t, TS(6), ROOT, 5, refused.ino);
	sys_connect(t, TS(7), ROOT, 5, -ECONNREFUSED, &refused);
	end(t, TS(100), 0, 0);

	assert_int_equal(t->cap.n, 2);
	EXPECT_STR(t->cap.ev[0], "kind", "connection");
}

/* ---- resolver and --save-raw ---- */

#define CONTAINER_ID "4f1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"

static int resolver(void *arg, enum adi_meta_op what, uint32_t pid, int fd,
		    uint64_t cgroup_id, char *buf, size_t bufsz)
{
	int *calls = arg;

	(*calls)++;
	if (what == ADI_META_CGROUP && cgroup_id != 7)
		return -ENOENT; /* the test's events all come from cgroup 7 */
	if (pid != 300)
		return -ESRCH;
	if (what == ADI_META_CWD)
		snprintf(buf, bufsz, "/srv");
	else if (what == ADI_META_CGROUP)
		snprintf(buf, bufsz, "/system.slice/docker-%s.scope", CONTAINER_ID);
	else if (what == ADI_META_FD && fd == 7)
		snprintf(buf, bufsz, "/srv/log.txt");
	else
		return -ENOENT;
	return 0;
}

static void test_resolver_meta_saved_and_replayed(void **state)
{
	struct tst *t = *state, *t2;
	char tmpl[] = "/tmp/adi-test-engine-XXXXXX";
	int calls = 0, fd, n = 0, rc;
	struct adi_raw_reader *r;
	struct adi_raw_event ev;
	uint16_t ops[9] = { 0 };
	uint16_t fams[9] = { 0 };
	void *st2 = NULL;

	fd = mkstemp(tmpl);
	assert_true(fd >= 0);
	t->save = fdopen(fd, "w");
	assert_non_null(t->save);
	assert_int_equal(adi_raw_write_header(t->save), 0);
	t->resolve = resolver;
	t->resolve_arg = &calls;
	begin(t);
	sys_write(t, TS(1), 300, 7, "log line");       /* pid and fd never seen */
	sys_open(t, TS(2), 300, "rel.txt", O_RDONLY, 8);
	end(t, TS(100), 0, 0);
	assert_int_equal(fclose(t->save), 0);
	t->save = NULL;

	EXPECT_STR(FIND(t, "file", "write", 0), "path", "/srv/log.txt");
	EXPECT_STR(FIND(t, "file", "open", 0), "path", "/srv/rel.txt");
	/* cgroup 7 (once), the cwd of 300, its fd 7 */
	assert_int_equal(calls, 3);
	EXPECT_STR(FIND(t, "file", "write", 0), "container", CONTAINER_ID);
	EXPECT_STR(FIND(t, "file", "open", 0), "container", CONTAINER_ID);

	/* the saved stream holds the answers ahead of the event needing them */
	r = adi_raw_reader_open(tmpl);
	assert_non_null(r);
	while ((rc = adi_raw_reader_next(r, &ev)) == 1 && n < 9) {
		fams[n] = ev.f.family;
		ops[n++] = ev.f.op;
		if (ev.f.family == ADI_RAW_META && ev.f.op == ADI_META_FD) {
			assert_int_equal(ev.f.pid, 300);
			assert_int_equal(ev.f.fd, 7);
			assert_int_equal(ev.f.path_len, strlen("/srv/log.txt"));
			assert_memory_equal(ev.path, "/srv/log.txt", ev.f.path_len);
		}
	}
	assert_int_equal(rc, 0);
	adi_raw_reader_free(r);
	assert_int_equal(n, 7);
	assert_true(fams[0] == ADI_RAW_META && ops[0] == ADI_META_START);
	/* by cgroup id, before anything of the process */
	assert_true(fams[1] == ADI_RAW_META && ops[1] == ADI_META_CGROUP);
	assert_true(fams[2] == ADI_RAW_META && ops[2] == ADI_META_CWD);
	assert_true(fams[3] == ADI_RAW_META && ops[3] == ADI_META_FD);
	assert_true(fams[4] == ADI_RAW_IO && ops[4] == ADI_OP_WRITE);
	assert_true(fams[5] == ADI_RAW_PATH && ops[5] == ADI_OP_OPENAT);
	assert_true(fams[6] == ADI_RAW_META && ops[6] == ADI_META_END);

	/* replaying the file without a resolver writes the same lines */
	assert_int_equal(setup(&st2), 0);
	t2 = st2;
	open_engine(t2);
	r = adi_raw_reader_open(tmpl);
	assert_non_null(r);
	while ((rc = adi_raw_reader_next(r, &ev)) == 1)
		assert_int_equal(adi_engine_feed(t2->e, &ev), 0);
	assert_int_equal(rc, 0);
	adi_raw_reader_free(r);
	adi_engine_finish(t2->e);
	fflush(t2->cap.mem);
	fflush(t->cap.mem);
	assert_int_equal(t2->cap.len, t->cap.len);
	assert_memory_equal(t2->cap.buf, t->cap.buf, t->cap.len);
	teardown(&st2);
	unlink(tmpl);
}

/* ---- hostile input ---- */

static void test_hostile_consistent_input(void **state)
{
	struct tst *t = *state;
	struct adi_raw_event ev;
	static const char longp[] =
		"a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a";
	char huge[5000];
	static const uint8_t unix_abs[] = { AF_UNIX, 0, 0, 'n', 'a', 'm', 'e' }; /* LE */
	static const uint8_t short_sa[] = { AF_INET };
	struct sockaddr_in6 sa6 = { .sin6_family = AF_INET6, .sin6_port = htons(443) };
	struct adi_jval *v;

	memset(huge, 'x', sizeof(huge));
	for (size_t i = 0; i < sizeof(huge); i += 50)
		huge[i] = '/';
	begin(t);
	sys_read(t, TS(1), ROOT, 9, "never opened");          /* unknown fd */
	sys_read(t, TS(2), 999, 4, "unknown pid");            /* unknown pid */
	sys_io_n(t, TS(3), ROOT, -1, ADI_DIR_OUT, "n", 1);     /* negative fd */
	sys_close(t, TS(4), ROOT, 42);                         /* close unknown */
	sys_close(t, TS(5), ROOT, -7);
	sys_exit(t, TS(6), 4242, 1, 0);                        /* exit unknown pid */
	sys_exit(t, TS(7), 4242, 1, 0);                        /* ... twice */
	sys_fdop(t, TS(8), ROOT, ADI_OP_DUP2, 50, 51, 0, 0, 51); /* dup unknown fd */
	sys_write(t, TS(9), ROOT, 51, "dup of nothing");
	sys_fdop(t, TS(10), ROOT, ADI_OP_DUP2, 51, 51, 0, 0, 51); /* dup2(fd, fd) */
	sys_fdop(t, TS(11), ROOT, ADI_OP_DUP, -3, -1, 0, 0, -EBADF);
	sys_fdop(t, TS(12), ROOT, ADI_OP_PIPE2, 60, 61, 0, O_CLOEXEC, 0);
	sys_io_kind(t, TS(13), ROOT, 60, ADI_FD_FIFO, ADI_DIR_IN, "fifo", 4); /* not a file */
	sys_fdop(t, TS(14), ROOT, ADI_OP_PIPE, -1, -1, 0, 0, -EMFILE);
	sys_so_error(t, TS(15), ROOT, 77, 0, &client);        /* SO_ERROR unknown fd */
	sys_so_error(t, TS(16), ROOT, 51, 0, &client);        /* ... on a file fd */
	sys_sock_io(t, TS(17), ROOT, 78, ADI_DIR_IN, "mid-life", 5, &served);
	sys_sock_close(t, TS(18), 555, 78, &served);           /* other pid, same inode */
	sys_fork(t, TS(19), 700, 12345);                       /* unknown parent */
	sys_fork(t, TS(20), 701, 701);                         /* its own parent */
	sys_fork(t, TS(21), ROOT, ROOT);                       /* a known pid again */
	sys_path(t, TS(22), ROOT, ADI_OP_RENAME, "x", "x", 0, 0);
	sys_path(t, TS(23), ROOT, ADI_OP_MKDIR, NULL, NULL, 0, -ENOENT); /* no path */
	sys_path(t, TS(24), ROOT, ADI_OP_CHDIR, longp, NULL, 0, 0);
	sys_path(t, TS(25), ROOT, ADI_OP_SYMLINK, "target\xff", "ln", 0, 0);
	ev = mk(ADI_RAW_PATH, ADI_OP_OPENAT, TS(26), ROOT);
	ev.path = huge;                                         /* > ADI_PATH_BUF */
	ev.f.path_len = sizeof(huge);
	ev.f.ret = 12;
	feed(t, &ev);
	ev = mk(ADI_RAW_PATH, ADI_OP_FCHDIR, TS(27), ROOT);
	ev.f.fd = 999;
	feed(t, &ev);
	ev = mk(ADI_RAW_PATH, ADI_OP_FTRUNCATE, TS(28), ROOT);
	ev.f.fd = 998;
	feed(t, &ev);
	ev = mk(ADI_RAW_PROC, ADI_OP_EXEC, TS(29), 800);        /* argv without NUL */
	ev.data = (const uint8_t *)"abc";
	ev.f.data_len = 3;
	ev.f.flags = ADI_RAW_TRUNC;
	feed(t, &ev);
	ev = mk(ADI_RAW_SOCK, ADI_OP_ACCEPT, TS(30), ROOT);     /* unix, abstract name */
	ev.f.fd = ev.f.ret = 90;
	ev.f.fd_kind = ADI_FD_SOCK;
	ev.f.ino = 123456;
	ev.f.transport = ADI_TR_UNIX;
	ev.f.sock_type = SOCK_STREAM;
	set_path2(&ev, (const char *)unix_abs, sizeof(unix_abs));
	feed(t, &ev);
	ev = mk(ADI_RAW_SOCK, ADI_OP_CONNECT, TS(31), ROOT);    /* 1-byte sockaddr */
	ev.f.fd = 91;
	set_path2(&ev, (const char *)short_sa, sizeof(short_sa));
	feed(t, &ev);
	ev = mk(ADI_RAW_SOCK, ADI_OP_CONNECT, TS(32), ROOT);    /* IPv6 sockaddr */
	ev.f.fd = 92;
	ev.f.transport = ADI_TR_TCP;
	ev.f.sock_type = SOCK_STREAM;
	sa6.sin6_addr.s6_addr[15] = 1;
	set_path2(&ev, (const char *)&sa6, sizeof(sa6));
	feed(t, &ev);
	ev = mk(ADI_RAW_FD, ADI_OP_CLOSE_RANGE, TS(33), ROOT);
	ev.f.fd = 0;
	ev.f.fd2 = -1; /* ~0U: every fd */
	feed(t, &ev);
	sys_read(t, TS(1) - 5, ROOT, 3, "time goes backwards");
	ev = mk(ADI_RAW_META, ADI_META_CWD, TS(34), 900);       /* a relative cwd */
	set_path(&ev, "not/absolute");
	feed(t, &ev);
	sys_open(t, TS(35), 900, "f", O_RDONLY, 3);
	ev = mk(ADI_RAW_META, ADI_META_FD, TS(36), 900);
	ev.f.fd = 3;                                            /* already known */
	set_path(&ev, "/other");
	feed(t, &ev);
	ev = mk(77, 77, TS(37), ROOT);                          /* unknown family */
	feed(t, &ev);
	ev = mk(ADI_RAW_PROC, 99, TS(38), ROOT);                /* unknown op */
	feed(t, &ev);
	end(t, TS(100), 0, 0);

	EXPECT_EV(FIND_WHERE(t, "file", "read", "fd", 9), INT("pid", ROOT), NUL("path"),
		  STR("content", "never opened"));
	EXPECT_EV(FIND_WHERE(t, "file", "read", "pid", 999), INT("fd", 4), NUL("path"));
	v = FIND_WHERE(t, "file", "write", "fd", -1);
	EXPECT_INT(v, "bytes", 1);
	assert_int_equal(count_where(t, "file", "fd", 60), 0); /* the pipe */
	v = FIND_WHERE(t, "process", "exit", "pid", 4242);
	EXPECT_INT(v, "exit_code", 0);
	EXPECT_EV(FIND_WHERE(t, "file", "write", "fd", 51), NUL("path"),
		  STR("content", "dup of nothing"));
	v = FIND(t, "connection", "accept", 0);
	EXPECT_EV(adi_j_get(v, "conn"), STR("transport", "unix"), STR("local", "@name"),
		  STR("role", "server"));
	v = FIND_WHERE(t, "file", "open", "pid", 900);
	EXPECT_STR(v, "path", "f"); /* a cwd that is not absolute is no base */
	assert_true(adi_j_as_bool(adi_j_get(v, "path_unresolved"), false));
	v = FIND(t, "file", "symlink", 0);
	EXPECT_STR(v, "path", "base64:dGFyZ2V0/w==");
	v = FIND_WHERE(t, "process", "exec", "pid", 800);
	assert_int_equal(adi_j_len(adi_j_get(v, "argv")), 1);
	assert_string_equal(adi_j_as_str(adi_j_at(adi_j_get(v, "argv"), 0), ""), "abc");
	assert_true(adi_j_as_bool(adi_j_get(v, "argv_truncated"), false));
}

/* A pseudo-random but consistent stream: many pids, fds, sockets. */
static void test_random_stream(void **state)
{
	struct tst *t = *state;
	uint64_t x = 88172645463325252ull;
	static const char *const names[] = { "a", "b/../c", "/abs/d", "e/f" };

	t->o.hold_ns = 50 * MS;
	begin(t);
	for (int i = 0; i < 20000; i++) {
		uint32_t pid, r;
		int fd;
		struct sockdesc s = { .lip = "1.2.3.4", .rip = "5.6.7.8", .lport = 1, .rport = 2 };

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		r = (uint32_t)x;
		pid = ROOT + (r >> 8) % 6;
		fd = 3 + (int)((r >> 12) % 8);
		s.ino = 1 + (r >> 16) % 5;
		switch (r % 12) {
		case 0: sys_open(t, TS(i), pid, names[(r >> 20) % 4], O_RDWR, fd); break;
		case 1: sys_read(t, TS(i), pid, fd, "rd"); break;
		case 2: sys_write(t, TS(i), pid, fd, "wr"); break;
		case 3: sys_close(t, TS(i), pid, fd); break;
		case 4: sys_fdop(t, TS(i), pid, ADI_OP_DUP2, fd, fd + 1, 0, 0, fd + 1); break;
		case 5: sys_fork(t, TS(i), pid + 1, pid); break;
		case 6: sys_exit(t, TS(i), pid, 1, (int)(r >> 24)); break;
		case 7: sys_socket(t, TS(i), pid, fd, s.ino); break;
		case 8: sys_connect(t, TS(i), pid, fd, (r >> 24) & 1 ? -EINPROGRESS : 0, &s); break;
		case 9: sys_sock_io(t, TS(i), pid, fd, (r >> 24) & 1 ? ADI_DIR_IN : ADI_DIR_OUT,
				    "data", r >> 25, &s); break;
		case 10: sys_sock_close(t, TS(i), pid, fd, &s); break;
		default: meta(t, ADI_META_TICK, TS(i)); break;
		}
	}
	end(t, TS(30000), 0, 0);
	assert_true(t->cap.n > 1000);
}

/* Defensive guards: NULL pointers with non-zero lengths. No backend makes
 * such events (normalize and the raw reader always set the pointers), but
 * the engine guards some of them (`p ? p : ""`) and promises never to fail
 * on odd input. Each case runs in a child so an ASan report fails this
 * test instead of ending the whole program. */
enum null_case { NULL_META_CWD, NULL_OPEN_PATH, NULL_SYMLINK_PATH, NULL_EXEC_ARGV,
		 NULL_IO_DATA, NULL_CASES };

static const char *const null_case_name[NULL_CASES] = {
	"META_START path", "openat path", "symlink path", "exec argv", "read data",
};

/* The body of a child case: first (unless NULL), then ev, to an engine
 * writing JSON Lines to /dev/null; finish; exit 0 (3 when the engine
 * cannot be made). */
static void feed_devnull(const struct adi_raw_event *first, const struct adi_raw_event *ev)
{
	struct adi_engine_opts o = { .content_bytes = 16, .body_bytes = 16 };
	FILE *devnull = fopen("/dev/null", "w");
	struct adi_sink *json = devnull ? adi_sink_json_new(devnull) : NULL;
	struct adi_sink *sinks[1] = { json };
	struct adi_engine *e = json ? adi_engine_new(&o, sinks, 1) : NULL;

	if (!e)
		exit(3);
	if (first)
		adi_engine_feed(e, first);
	adi_engine_feed(e, ev);
	adi_engine_finish(e);
	adi_engine_free(e);
	adi_sink_free(json);
	fclose(devnull);
	exit(0);
}

/* META_START at T0: root pid, its cwd. */
static struct adi_raw_event start_ev(void)
{
	struct adi_raw_event ev = mk(ADI_RAW_META, ADI_META_START, T0, ROOT);

	set_path(&ev, CWD);
	return ev;
}

static void null_pointer_child(int c)
{
	struct adi_raw_event start = start_ev(), ev = start;

	switch (c) {
	case NULL_META_CWD:
		ev.path = NULL;
		break;
	case NULL_OPEN_PATH:
	case NULL_SYMLINK_PATH:
		ev = mk(ADI_RAW_PATH, c == NULL_OPEN_PATH ? ADI_OP_OPENAT : ADI_OP_SYMLINK,
			TS(1), ROOT);
		ev.f.ret = 3;
		break;
	case NULL_EXEC_ARGV:
		ev = mk(ADI_RAW_PROC, ADI_OP_EXEC, TS(1), ROOT);
		ev.f.data_len = 100;
		break;
	case NULL_IO_DATA:
		ev = read_ev(TS(1), ROOT, 3, 100);
		ev.f.size = ev.f.data_len = 100;
		break;
	default:
		break;
	}
	if (c != NULL_EXEC_ARGV && c != NULL_IO_DATA)
		ev.f.path_len = 100;
	feed_devnull(c == NULL_META_CWD ? NULL : &start, &ev);
}

/* Run fn(arg) in a child; true when it exited 0 (no sanitizer report). */
static bool survives_in_child(void (*fn)(int), int arg)
{
	pid_t pid;
	int st = 0;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		fn(arg);
		exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* Cases 0..n-1 of fn, each in a child: how many failed, each printed as
 * "<pre><its name><post>". */
static int failing_children(void (*fn)(int), int n, const char *const *names,
			    const char *pre, const char *post)
{
	int failed = 0;

	for (int c = 0; c < n; c++) {
		if (!survives_in_child(fn, c)) {
			print_error("%s%s%s\n", pre, names[c], post);
			failed++;
		}
	}
	return failed;
}

static void test_null_pointer_with_length(void **state)
{
	int failed = failing_children(null_pointer_child, NULL_CASES, null_case_name,
				      "NULL pointer with a length: ", ": the engine crashed");

	(void)state;
	/* Regression test (a bug, fixed): engine.c apply_meta() (memcpy from `ev->path ? ev->path : ""`)
	 * and fileops.c adi_resolve_at() (memcpy from `rel ? rel : ""`, hit by
	 * the openat and symlink cases; symlink would next pass the NULL path
	 * to adi_j_bytes) copy path_len bytes out of a 1-byte "" literal: ASan
	 * global-buffer-overflow. engine.c on_proc() exec calls
	 * strnlen(ev->data + i) with data NULL: UBSan null argument. The IO
	 * path (adi_file_io, stream_add) checks !ev->data correctly. */
	assert_int_equal(failed, 0);
}

/* A return value no kernel gives (INT64_MIN), as a crafted --save-raw file
 * can hold it: found by fuzz/fuzz_engine.c. Each case in a child, as the
 * sanitizers abort on undefined behaviour. */
enum absurd_case { ABSURD_PATH, ABSURD_READ, ABSURD_CONNECT, ABSURD_CASES };

static const char *const absurd_case_name[ABSURD_CASES] = {
	"rename", "read", "connect",
};

static void absurd_ret_child(int c)
{
	struct adi_raw_event start = start_ev(), ev;

	switch (c) {
	case ABSURD_PATH:
		ev = mk(ADI_RAW_PATH, ADI_OP_RENAME, TS(1), ROOT);
		set_path(&ev, "a");
		set_path2(&ev, "b", 1);
		break;
	case ABSURD_READ:
		ev = read_ev(TS(1), ROOT, 3, 0);
		break;
	default:
		ev = mk(ADI_RAW_SOCK, ADI_OP_CONNECT, TS(1), ROOT);
		ev.f.fd = 5;
		ev.f.ino = client.ino;
		ev.f.fd_kind = ADI_FD_SOCK;
		ev.f.transport = ADI_TR_TCP;
		ev.f.sock_type = SOCK_STREAM;
		break;
	}
	ev.f.ret = INT64_MIN;
	feed_devnull(&start, &ev);
}

static void test_absurd_return_value(void **state)
{
	int failed = failing_children(absurd_ret_child, ABSURD_CASES, absurd_case_name,
				      "ret = INT64_MIN on ", ": undefined behaviour");

	(void)state;
	/* Regression test (a bug, fixed): fileops.c set_error() computes `(int)-ret` and conn.c
	 * adi_conn_sock_event() CONNECT computes `(int)-f->ret` on an int64_t:
	 * for ret == INT64_MIN the negation overflows (UBSan: "negation of
	 * -9223372036854775808 cannot be represented"). Any ret below INT_MIN
	 * is also silently truncated to an unrelated errno. */
	assert_int_equal(failed, 0);
}

/* ---- request trees (docs/engine.md "Request trees") ---- */

/* A server process, the two connections it accepts and the two it opens
 * (to an HTTP service on port 9000). */
#define SRV 300
static const struct sockdesc in1 = {
	.ino = 9101, .lip = "127.0.0.1", .lport = 8080, .rip = "127.0.0.1", .rport = 52001,
};
static const struct sockdesc in2 = {
	.ino = 9102, .lip = "127.0.0.1", .lport = 8080, .rip = "127.0.0.1", .rport = 52002,
};
static const struct sockdesc out1 = {
	.ino = 9103, .lip = "127.0.0.1", .lport = 53001, .rip = "127.0.0.1", .rport = 9000,
};
static const struct sockdesc out2 = {
	.ino = 9104, .lip = "127.0.0.1", .lport = 53002, .rip = "127.0.0.1", .rport = 9000,
};
#define REQ(path) "GET " path " HTTP/1.1\r\nHost: x\r\n\r\n"
#define RESP "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

/* Thread tid reads a request (or, for a connection it opened, sends one)
 * at ms a and the other side's bytes move at ms b. */
static void h1_request(struct tst *t, uint32_t tid, uint64_t ms, int fd,
		       const struct sockdesc *s, bool served, const char *req)
{
	t->tid = tid;
	sys_sock_io(t, TS(ms), SRV, fd, served ? ADI_DIR_IN : ADI_DIR_OUT, req, 0, s);
}

static void h1_reply(struct tst *t, uint32_t tid, uint64_t ms, int fd,
		     const struct sockdesc *s, bool served)
{
	t->tid = tid;
	sys_sock_io(t, TS(ms), SRV, fd, served ? ADI_DIR_OUT : ADI_DIR_IN, RESP, 0, s);
}

/* The http_request for url; fails the test when there is none. */
static struct adi_jval *find_url_at(const struct tst *t, const char *url, const char *file,
				    int line)
{
	for (size_t i = 0; i < t->cap.n; i++)
		if (!strcmp(adi_j_get_str(t->cap.ev[i], "kind", ""), "http_request") &&
		    !strcmp(adi_j_get_str(t->cap.ev[i], "url", ""), url))
			return t->cap.ev[i];
	print_error("%s:%d: no http_request for %s\n", file, line, url);
	_fail(file, line);
	return NULL;
}
#define FIND_URL(t, url) find_url_at(t, url, __FILE__, __LINE__)

static int64_t id_of(const struct adi_jval *v)
{
	return adi_j_get_int(v, "id", -1);
}

/* Every event has its id: 1, 2, 3... in line order. */
static void expect_ids(const struct tst *t)
{
	for (size_t i = 0; i < t->cap.n; i++)
		EXPECT_INT(t->cap.ev[i], "id", (int64_t)i + 1);
}

/* Thread per request: the worker's outbound call, its connect and a file
 * a helper thread opens belong to the request it serves; the main
 * thread's accept, work after the response, and work of a request thread
 * between its requests belong to none. */
static void test_tree_thread_per_request(void **state)
{
	struct tst *t = *state;
	int64_t r1, r2;
	struct adi_jval *v;

	begin(t);
	t->tid = SRV;
	sys_accept(t, TS(10), SRV, 8, 3, &in1);
	h1_request(t, 301, 11, 8, &in1, true, REQ("/in1"));
	sys_connect(t, TS(12), SRV, 9, 0, &out1);
	h1_request(t, 301, 13, 9, &out1, false, REQ("/out1"));
	h1_reply(t, 301, 14, 9, &out1, false);
	t->tid = 302; /* a helper: never served a request */
	sys_open(t, TS(15), SRV, "/etc/app.conf", O_RDONLY, 10);
	t->tid = SRV;
	sys_accept(t, TS(15), SRV, 11, 3, &in2); /* the served side: never work */
	h1_reply(t, 301, 16, 8, &in1, true);
	t->tid = 301;
	sys_sock_close(t, TS(17), SRV, 9, &out1); /* after the response */
	h1_request(t, 303, 21, 11, &in2, true, REQ("/in2"));
	t->tid = 301; /* a request thread, between its requests */
	sys_open(t, TS(22), SRV, "/etc/idle.conf", O_RDONLY, 12);
	t->tid = 302;
	sys_open(t, TS(23), SRV, "/etc/helper.conf", O_RDONLY, 13);
	h1_reply(t, 303, 24, 11, &in2, true);
	t->tid = 0;
	end(t, TS(100), 0, 0);

	expect_ids(t);
	r1 = id_of(FIND_URL(t, "/in1"));
	r2 = id_of(FIND_URL(t, "/in2"));
	EXPECT_EV(FIND_URL(t, "/in1"), ABSENT("parent_id"), ABSENT("parent"));
	EXPECT_EV(FIND_URL(t, "/out1"), INT("parent_id", r1), STR("parent_by", "thread"));
	EXPECT_EV(FIND(t, "connection", "connect", 0), INT("parent_id", r1),
		  STR("parent_by", "thread"));
	v = FIND_WHERE(t, "file", "open", "fd", 10);
	EXPECT_EV(v, INT("parent_id", r1), STR("parent_by", "time"), STR("path", "/etc/app.conf"));
	EXPECT_EV(FIND(t, "connection", "accept", 1), ABSENT("parent_id"), ABSENT("parent"));
	EXPECT_EV(FIND(t, "connection", "close", 0), ABSENT("parent_id"), ABSENT("parent"));
	EXPECT_EV(FIND_WHERE(t, "file", "open", "fd", 12), ABSENT("parent_id"), ABSENT("parent"));
	EXPECT_EV(FIND_WHERE(t, "file", "open", "fd", 13), INT("parent_id", r2),
		  STR("parent_by", "time"));
}

/* An event loop: one thread serves two requests at once; a call made
 * while both are open is ambiguous (both listed), one made after the
 * first was answered belongs to the second. */
static void test_tree_event_loop_ambiguous(void **state)
{
	struct tst *t = *state;
	struct adi_jval *v, *c;

	begin(t);
	t->tid = SRV;
	sys_accept(t, TS(10), SRV, 8, 3, &in1);
	h1_request(t, SRV, 11, 8, &in1, true, REQ("/a"));
	sys_accept(t, TS(12), SRV, 11, 3, &in2);
	h1_request(t, SRV, 13, 11, &in2, true, REQ("/b"));
	sys_connect(t, TS(14), SRV, 9, 0, &out1);
	h1_request(t, SRV, 15, 9, &out1, false, REQ("/q1"));
	h1_reply(t, SRV, 16, 9, &out1, false);
	h1_reply(t, SRV, 17, 8, &in1, true);
	sys_connect(t, TS(18), SRV, 10, 0, &out2);
	h1_request(t, SRV, 19, 10, &out2, false, REQ("/q2"));
	h1_reply(t, SRV, 20, 10, &out2, false);
	h1_reply(t, SRV, 21, 11, &in2, true);
	t->tid = 0;
	end(t, TS(100), 0, 0);

	expect_ids(t);
	v = FIND_URL(t, "/q1");
	EXPECT_EV(v, STR("parent", "ambiguous"), ABSENT("parent_id"));
	c = adi_j_get(v, "parent_candidates");
	assert_int_equal(adi_j_len(c), 2);
	assert_int_equal(adi_j_as_int(adi_j_at(c, 0), 0), id_of(FIND_URL(t, "/a")));
	assert_int_equal(adi_j_as_int(adi_j_at(c, 1), 0), id_of(FIND_URL(t, "/b")));
	EXPECT_EV(FIND_URL(t, "/q2"), INT("parent_id", id_of(FIND_URL(t, "/b"))),
		  STR("parent_by", "thread"));
	/* the parent members come first among the kind's fields */
	assert_string_equal(adi_j_key_at(v, 11), "parent");
	assert_string_equal(adi_j_key_at(v, 12), "parent_candidates");
	assert_string_equal(adi_j_key_at(v, 13), "method");
}

/* A pre-forked server: each worker process serves one request at a time;
 * a worker's file read is its own request's, never the other worker's
 * (parents are found within the process). The fork itself, made by the
 * parent, is no request's (the parent serves none). */
static void test_tree_by_process(void **state)
{
	struct tst *t = *state;

	begin(t);
	sys_fork(t, TS(5), 301, ROOT);
	sys_fork(t, TS(6), 302, ROOT);
	sys_accept(t, TS(10), 301, 8, 3, &in1);
	sys_sock_io(t, TS(11), 301, 8, ADI_DIR_IN, REQ("/w1"), 0, &in1);
	sys_accept(t, TS(12), 302, 8, 3, &in2);
	sys_sock_io(t, TS(13), 302, 8, ADI_DIR_IN, REQ("/w2"), 0, &in2);
	sys_open(t, TS(14), 302, "/srv/w2.html", O_RDONLY, 9);
	sys_open(t, TS(15), 301, "/srv/w1.html", O_RDONLY, 9);
	sys_sock_io(t, TS(16), 301, 8, ADI_DIR_OUT, RESP, 0, &in1);
	sys_sock_io(t, TS(17), 302, 8, ADI_DIR_OUT, RESP, 0, &in2);
	end(t, TS(100), 0, 0);

	expect_ids(t);
	EXPECT_EV(FIND(t, "file", "open", 0), STR("path", "/srv/w2.html"),
		  INT("parent_id", id_of(FIND_URL(t, "/w2"))), STR("parent_by", "thread"));
	EXPECT_EV(FIND(t, "file", "open", 1), STR("path", "/srv/w1.html"),
		  INT("parent_id", id_of(FIND_URL(t, "/w1"))), STR("parent_by", "thread"));
	EXPECT_EV(FIND(t, "process", "fork", 0), ABSENT("parent_id"), ABSENT("parent"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_open_relative_dotdot),
		T(test_open_dirfd),
		T(test_open_failed),
		T(test_unresolved_relative_path),
		T(test_reads_merge),
		T(test_write_splits_read_run),
		T(test_run_split_by_other_activity),
		T(test_runtime_class),
		T(test_stdio_close_class),
		T(test_inherited_close_class),
		T(test_content_bytes_cap),
		T(test_failed_read_is_own_event),
		T(test_eagain_is_noise),
		T(test_ftruncate_splits_write_run),
		T(test_fd_reuse),
		T(test_fd_reuse_unseen_close),
		T(test_dup2_write),
		T(test_rename_moves_fd_path),
		T(test_rename_failed_keeps_fd_path),
		T(test_rename_dir_moves_fds_below),
		T(test_unlinkat_removedir),
		T(test_chdir_relative_open),
		T(test_fork_inherits_cwd_and_fds),
		T(test_exec_drops_cloexec),
		T(test_exec_script_interpreter),
		T(test_fork_keeps_cloexec_for_child_exec),
		T(test_exit_status),
		T(test_exit_closes_before_exit_event),
		T(test_tcp_connect_refused),
		T(test_tcp_stream_client),
		T(test_tcp_nonblocking_connect_settles_on_io),
		T(test_tcp_stream_gap),
		T(test_tcp_preview_capped),
		T(test_decoder_gets_first_write_whole),
		T(test_pending_connect_failed_io_is_not_success),
		T(test_nscd_probe),
		T(test_run_split_by_fork),
		T(test_unix_stream),
		T(test_accept_server),
		T(test_fork_shares_connection),
		T(test_output_in_ts_order),
		T(test_decoder_held_request_holds_timeline),
		T(test_order_many_events),
		T(test_order_long_run_beyond_hold),
		T(test_idle_run_flushed_after_window),
		T(test_busy_run_holds_briefly),
		T(test_undecided_conn_holds),
		T(test_no_net_conn_holds_nothing),
		T(test_held_events_bounded),
		T(test_trace_summary),
		T(test_no_fs_no_proc),
		T(test_resolver_meta_saved_and_replayed),
		T(test_hostile_consistent_input),
		T(test_random_stream),
		T(test_null_pointer_with_length),
		T(test_absurd_return_value),
		T(test_tree_thread_per_request),
		T(test_tree_event_loop_ambiguous),
		T(test_tree_by_process),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
