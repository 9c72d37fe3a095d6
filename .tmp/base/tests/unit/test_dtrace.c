/* test_dtrace.c - the DTrace backend's pure parts (src/capture/dtrace/):
 * the generated D program against a golden file reviewed by hand
 * (tests/unit/data/dtrace_golden.d), and the reader on record streams
 * built here in the documented format (docs/dtrace.md): whole, split at
 * every offset, byte by byte, and with malformed and truncated records,
 * which are counted and never crash or poison what follows. No Mac ran
 * any of this: the streams are what the D program would print. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>
#include "capture/dtrace/dtrace.h"

/* ---- building streams ---- */

struct sbuf {
	char b[65536];
	size_t n;
};

static void add(struct sbuf *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	s->n += (size_t)vsnprintf(s->b + s->n, sizeof(s->b) - s->n, fmt, ap);
	va_end(ap);
}

static void add_bytes(struct sbuf *s, const void *p, size_t n)
{
	memcpy(s->b + s->n, p, n);
	s->n += n;
}

/* what tracemem prints for n bytes (with -x rawbytes) */
static void add_dump(struct sbuf *s, const uint8_t *p, size_t n)
{
	add(s, "\n             0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f  "
	    "0123456789abcdef\n");
	for (size_t o = 0; o < n; o += 16) {
		add(s, "%10zx:", o);
		for (size_t i = 0; i < 16; i++)
			if (o + i < n)
				add(s, " %02x", p[o + i]);
			else
				add(s, "   ");
		add(s, "  ");
		for (size_t i = 0; i < 16 && o + i < n; i++)
			add(s, "%c", p[o + i] >= 32 && p[o + i] < 127 ? p[o + i] : '.');
		add(s, "\n");
	}
	add(s, "\n");
}

#define HDR(op, pid, ret) "ADI1 op=" op " ts=1700000000000000000 pid=" #pid \
	" tid=77 ppid=1 ret=" #ret " comm=4:curl"

static void stream(struct sbuf *s)
{
	static const uint8_t sin[16] = { 16, 2, 0x1f, 0x90, 127, 0, 0, 1 };
	static const char req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

	memset(s, 0, sizeof(*s));
	add(s, "ADI1 op=begin ts=1 pid=500 tid=0 ppid=0 ret=0 comm=0:\n");
	add(s, HDR("socket", 500, 5) " fd=5 dom=2 type=1 proto=6\n");
	add(s, HDR("connect_nocancel", 500, 0) " fd=5 addr=16\n");
	add_dump(s, sin, 16);
	add(s, HDR("write", 500, 27) " fd=5 fs=0: fpath=0: data=27\n");
	add_dump(s, (const uint8_t *)req, 27);
	add(s, HDR("read_nocancel", 500, 38) " fd=5 fs=0: fpath=0: data=38\n");
	add_dump(s, (const uint8_t *)resp, 38);
	add(s, HDR("close", 500, 0) " fd=5 fs=0: fpath=0:\n");
	/* a path with a space and a newline: length-prefixed, unambiguous */
	add(s, HDR("open", 500, 3) " fd=3 flags=1537 mode=420 dfd=-100 path=10:/tmp/a b\nc\n");
	add(s, HDR("write", 500, 2) " fd=3 fs=4:apfs fpath=10:/tmp/a b\nc data=2\n");
	add_dump(s, (const uint8_t *)"hi", 2);
	add(s, HDR("write", 500, 5) " fd=1 fs=5:devfs fpath=9:/dev/ttys data=5\n");
	add_dump(s, (const uint8_t *)"hello", 5);
	add(s, HDR("rename", 500, 0) " path=6:/tmp/x path2=6:/tmp/y\n");
	add(s, "ADI1 op=fork ts=1700000000000000001 pid=501 tid=501 ppid=500 ret=0 comm=4:curl\n");
	add(s, HDR("exec", 501, 0) " path=7:/bin/ls args=10:ls -l /tmp\n");
	add(s, HDR("exit", 501, 0) " why=1 code=3\n");
}

struct got {
	int n;
	struct adi_raw_fixed f[32];
	char data[32][64];
	char path[32][64];
	char path2[32][64];
};

static void collect(void *arg, const struct adi_raw_event *ev)
{
	struct got *g = arg;

	if (g->n >= 32)
		return;
	g->f[g->n] = ev->f;
	/* a record without bytes has NULL pointers (memcpy must not see them) */
	if (ev->data)
		memcpy(g->data[g->n], ev->data, ev->f.data_len < 63 ? ev->f.data_len : 63);
	if (ev->path)
		memcpy(g->path[g->n], ev->path, ev->f.path_len < 63 ? ev->f.path_len : 63);
	if ((ev->f.family == ADI_RAW_PATH || ev->f.family == ADI_RAW_PROC) && ev->path2)
		memcpy(g->path2[g->n], ev->path2, ev->f.path2_len < 63 ? ev->f.path2_len : 63);
	g->n++;
}

static struct adi_dt_stats feed_split(const struct sbuf *s, size_t cut, struct got *g)
{
	struct adi_dt_reader *r = adi_dt_reader_new(collect, g);
	struct adi_dt_stats st;

	assert_non_null(r);
	memset(g, 0, sizeof(*g));
	adi_dt_reader_feed(r, s->b, cut);
	adi_dt_reader_feed(r, s->b + cut, s->n - cut);
	adi_dt_reader_finish(r);
	adi_dt_reader_stats(r, &st);
	adi_dt_reader_free(r);
	return st;
}

static void check_stream(const struct got *g)
{
	assert_int_equal(g->n, 11); /* the tty write is not reported */
	assert_int_equal(g->f[0].op, ADI_OP_SOCKET);
	assert_int_equal(g->f[0].arg, AF_INET);
	assert_int_equal(g->f[0].transport, ADI_TR_TCP);
	assert_int_equal(g->f[1].op, ADI_OP_CONNECT);
	assert_int_equal(g->f[1].remote.family, AF_INET);
	assert_int_equal(g->f[1].remote.port, 8080);
	assert_memory_equal(g->f[1].remote.addr, "\x7f\0\0\x01", 4);
	assert_int_equal(g->f[1].path2_len, sizeof(struct sockaddr_in));
	assert_int_equal(g->f[2].op, ADI_OP_WRITE);
	assert_int_equal(g->f[2].dir, ADI_DIR_OUT);
	assert_int_equal(g->f[2].fd_kind, ADI_FD_SOCK);
	assert_int_equal(g->f[2].transport, ADI_TR_TCP);
	assert_int_equal(g->f[2].remote.port, 8080);
	assert_int_equal(g->f[2].size, 27);
	assert_string_equal(g->data[2], "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(g->f[3].op, ADI_OP_READ);
	assert_int_equal(g->f[3].dir, ADI_DIR_IN);
	assert_int_equal(g->f[3].data_len, 38);
	assert_int_equal(g->f[4].op, ADI_OP_CLOSE);
	assert_int_equal(g->f[4].fd_kind, ADI_FD_SOCK);
	assert_int_equal(g->f[5].op, ADI_OP_OPEN);
	assert_int_equal(g->f[5].fd, 3);
	assert_int_equal(g->f[5].oflags, 1537);
	assert_int_equal(g->f[5].mode, 0644);
	assert_string_equal(g->path[5], "/tmp/a b\nc");
	assert_int_equal(g->f[6].op, ADI_OP_WRITE);
	assert_int_equal(g->f[6].fd_kind, ADI_FD_REG);
	assert_string_equal(g->data[6], "hi");
	assert_int_equal(g->f[7].op, ADI_OP_RENAME);
	assert_string_equal(g->path[7], "/tmp/x");
	assert_string_equal(g->path2[7], "/tmp/y");
	assert_int_equal(g->f[8].op, ADI_OP_FORK);
	assert_int_equal(g->f[8].pid, 501);
	assert_int_equal(g->f[8].ppid, 500);
	assert_int_equal(g->f[9].op, ADI_OP_EXEC);
	assert_memory_equal(g->data[9], "ls\0-l\0/tmp", 10);
	assert_string_equal(g->path2[9], "/bin/ls");
	assert_int_equal(g->f[10].op, ADI_OP_EXIT);
	for (int i = 0; i < g->n; i++)
		assert_int_equal(g->f[i].ts_ns / 1000000000ULL, 1700000000ULL);
}

static void test_stream_whole_and_split(void **st)
{
	static struct sbuf s;
	static struct got g;
	struct adi_dt_stats ds;

	(void)st;
	stream(&s);
	ds = feed_split(&s, s.n, &g);
	assert_int_equal(ds.bad, 0);
	assert_int_equal(ds.truncated, 0);
	assert_int_equal(ds.begun, 1);
	assert_int_equal(ds.records, 11); /* the tty write is filtered out */
	check_stream(&g);
	for (size_t cut = 0; cut <= s.n; cut++) {
		ds = feed_split(&s, cut, &g);
		assert_int_equal(ds.bad, 0);
		assert_int_equal(ds.truncated, 0);
		check_stream(&g);
	}
}

static void test_byte_by_byte(void **st)
{
	static struct sbuf s;
	static struct got g;
	struct adi_dt_reader *r;
	struct adi_dt_stats ds;

	(void)st;
	stream(&s);
	memset(&g, 0, sizeof(g));
	r = adi_dt_reader_new(collect, &g);
	for (size_t i = 0; i < s.n; i++)
		adi_dt_reader_feed(r, s.b + i, 1);
	adi_dt_reader_finish(r);
	adi_dt_reader_stats(r, &ds);
	adi_dt_reader_free(r);
	assert_int_equal(ds.bad, 0);
	check_stream(&g);
}

static void test_exit_status(void **st)
{
	static struct sbuf s;
	static struct got g;

	(void)st;
	memset(&s, 0, sizeof(s));
	add(&s, HDR("exit", 501, 0) " why=1 code=3\n");
	add(&s, HDR("exit", 502, 0) " why=2 code=0\n");
	feed_split(&s, s.n, &g);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.f[0].op, ADI_OP_EXIT);
	assert_int_equal(g.f[0].arg, 3 << 8);
	assert_int_equal(g.f[1].arg, 0);
}

/* Each bad input is counted, and the good record after it still parses. */
static void test_malformed(void **st)
{
	static const char *const bad[] = {
		"garbage line\n",
		"ADI1 op=read ts=x pid=1\n",                           /* not a number */
		"ADI1 op=read ts=1 pid=1 tid=1 ppid=1 ret=1 comm=4:curl weird=1\n",
		"ADI1 op=read ts=1 pid=1 tid=1 ppid=1 ret=3 comm=1:a fd=3 data=3\n"
		"         0: zz 00 01\n",                              /* bad hex */
		"ADI1 op=read ts=1 pid=1 tid=1 ppid=1 ret=3 comm=1:a fd=3 data=3\n"
		"        10: 00 01 02\n",                              /* wrong offset */
		"ADI1 op=read ts=1 pid=1 tid=1 ppid=1 ret=3 comm=1:a fd=3 data=99999\n",
		"ADI1 op=read ts=1 pid=1 tid=1 ppid=1 ret=3 comm=99999:a\n",
		"ADI1 op=nosuchcall ts=1 pid=1 tid=1 ppid=1 ret=0 comm=1:a\n",
		"ADI1 op=read ts=99999999999999999999999 pid=1\n",     /* overflow */
		"ADI1 =1\n",
		"ADI1 op=read ts=1 pid=1 tid=1 ppid=1 ret=0 comm=1:a fd=3 data=-1\n",
	};
	static struct sbuf s;
	static struct got g;
	struct adi_dt_stats ds;

	(void)st;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&s, 0, sizeof(s));
		add(&s, "%s", bad[i]);
		add(&s, HDR("rename", 500, 0) " path=6:/tmp/x path2=6:/tmp/y\n");
		ds = feed_split(&s, s.n, &g);
		assert_true(ds.bad >= 1);
		assert_int_equal(g.n, 1);
		assert_int_equal(g.f[0].op, ADI_OP_RENAME);
		for (size_t cut = 0; cut <= s.n; cut++) {
			ds = feed_split(&s, cut, &g);
			assert_true(ds.bad >= 1);
			assert_int_equal(g.n, 1);
		}
	}
}

static void test_truncated_and_dtrace_lines(void **st)
{
	static struct sbuf s;
	static struct got g;
	struct adi_dt_stats ds;

	(void)st;
	memset(&s, 0, sizeof(s));
	add(&s, "dtrace: failed to control pid 42: process is restricted by "
	    "System Integrity Protection\n");
	add(&s, "dtrace: 3 drops on CPU 0\n");
	add(&s, HDR("write", 500, 20) " fd=3 fs=4:apfs fpath=2:/a data=20\n");
	add_bytes(&s, "         0: 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f  ................\n", 79);
	ds = feed_split(&s, s.n, &g); /* the second dump line never came */
	assert_int_equal(ds.dtrace_msgs, 2);
	assert_int_equal(ds.sip, 1);
	assert_int_equal(ds.truncated, 1);
	assert_int_equal(g.n, 0);
	assert_true(adi_dt_sip_error("dtrace: system integrity protection is on, "
				     "some features will not be available "
				     "(System Integrity Protection)"));
	assert_false(adi_dt_sip_error("dtrace: 3 drops on CPU 0"));
}

/* The generated program, compared with the file reviewed by hand. */
static void test_golden_program(void **st)
{
	static char got[65536], want[65536];
	struct adi_dt_gen_opts o = { .capture_bytes = 256 };
	char path[4096];
	const char *slash = strrchr(__FILE__, '/');
	FILE *f;
	size_t n;
	int len;

	(void)st;
	len = adi_dt_gen(&o, got, sizeof(got));
	assert_true(len > 0);
	snprintf(path, sizeof(path), "%.*s/data/dtrace_golden.d",
		 slash ? (int)(slash - __FILE__) : 1, slash ? __FILE__ : ".");
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(want, 1, sizeof(want) - 1, f);
	fclose(f);
	want[n] = 0;
	assert_string_equal(got, want);
	assert_int_equal(adi_dt_gen(&o, got, 100), -ENOSPC);
	/* --no-net leaves the socket clauses out */
	o.no_net = true;
	assert_true(adi_dt_gen(&o, got, sizeof(got)) > 0);
	assert_null(strstr(got, "syscall::connect:entry"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stream_whole_and_split),
		cmocka_unit_test(test_byte_by_byte),
		cmocka_unit_test(test_exit_status),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_truncated_and_dtrace_lines),
		cmocka_unit_test(test_golden_program),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
