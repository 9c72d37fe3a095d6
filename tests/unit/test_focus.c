/* test_focus.c - unit tests of the process tree (src/sink/proctree.c) and
 * of the text timeline's focus (src/sink/sink_text.c, docs/output.md
 * "Focus"): which file events are folded and when, the FOLDED lines, the
 * count line, the tree at the end (folds of repeated commands, exit
 * statuses, counts), and the tree as JSON. The expected text is written by
 * hand from docs/output.md.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "lib/event.h"
#include "sink/hold.h"
#include "sink/proctree.h"
#include "sink/sink.h"

/* 15:10:41.123456789 UTC on 1970-01-01 */
#define TS_CLOCK 54641123456789ull
#define MS 1000000ull

/* One event of a scripted trace: at TS_CLOCK + ms. */
struct step {
	uint64_t ms;
	uint32_t pid;
	const char *comm;
	const char *kind;
	const char *fields;   /* the member list, as the engine writes it */
};

static struct adi_event *mk(const struct step *s)
{
	struct adi_event *ev = adi_event_new(s->kind, TS_CLOCK + s->ms * MS, s->fields,
					     strlen(s->fields));

	assert_non_null(ev);
	ev->pid = ev->tid = s->pid;
	snprintf(ev->comm, sizeof(ev->comm), "%s", s->comm);
	if (!strcmp(s->kind, "trace_summary"))
		ev->duration_ns = (int64_t)(s->ms * MS);
	return ev;
}

/* The text timeline of the steps, with o. */
static char *timeline(const struct adi_sink_opts *o, const struct step *s, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct adi_sink *sink;

	assert_non_null(f);
	sink = adi_sink_text_new(f, o);
	assert_non_null(sink);
	for (size_t i = 0; i < n; i++) {
		struct adi_event *ev = mk(&s[i]);

		assert_int_equal(adi_sink_emit(sink, ev), 0);
		adi_event_free(ev);
	}
	assert_int_equal(adi_sink_flush(sink), 0);
	adi_sink_free(sink);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static int setup_utc(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	return 0;
}

#define READ(path, n) "\"op\":\"read\",\"path\":\"" path "\",\"fd\":3,\"bytes\":" #n ",\"ops\":1," \
	"\"content\":null,\"error\":null"
#define EXIT0 "\"op\":\"exit\",\"ppid\":1,\"argv\":null,\"exit_code\":0,\"signal\":null"
#define EXIT1 "\"op\":\"exit\",\"ppid\":1,\"argv\":null,\"exit_code\":1,\"signal\":null"
#define CONNECT "\"op\":\"connect\",\"conn\":{\"transport\":\"tcp\",\"local\":\"127.0.0.1:5000\"," \
	"\"remote\":\"127.0.0.1:80\",\"role\":\"client\",\"id\":1},\"error\":null"

/* go test, as it goes: the go command (reads its cache, no network), a
 * compiler it runs, and the test binary, which opens a file, connects,
 * then writes one. */
static const struct step go_test[] = {
	{ 0, 100, "go", "process", "\"op\":\"exec\",\"ppid\":1,\"argv\":[\"go\",\"test\"],"
				   "\"exit_code\":null,\"signal\":null" },
	{ 1, 100, "go", "file", READ("/c/a", 10) },
	{ 2, 101, "go", "process", "\"op\":\"fork\",\"ppid\":100,\"argv\":null,"
				   "\"exit_code\":null,\"signal\":null" },
	{ 3, 101, "compile", "process", "\"op\":\"exec\",\"ppid\":100,"
					"\"argv\":[\"compile\",\"-V\"],\"exit_code\":null,"
					"\"signal\":null" },
	{ 4, 101, "compile", "file", READ("/c/b", 20) },
	{ 5, 101, "compile", "process", EXIT0 },
	{ 6, 102, "go", "process", "\"op\":\"fork\",\"ppid\":100,\"argv\":null,"
				   "\"exit_code\":null,\"signal\":null" },
	{ 7, 102, "fetch.test", "process", "\"op\":\"exec\",\"ppid\":100,"
					   "\"argv\":[\"fetch.test\"],\"exit_code\":null,"
					   "\"signal\":null" },
	{ 8, 102, "fetch.test", "file", "\"op\":\"open\",\"path\":\"/etc/hosts\","
					"\"flags\":\"O_RDONLY\",\"fd\":3,\"error\":null" },
	{ 9, 102, "fetch.test", "connection", CONNECT },
	{ 10, 102, "fetch.test", "file", "\"op\":\"write\",\"path\":\"/tmp/out\",\"fd\":4,"
					 "\"bytes\":3,\"ops\":1,\"content\":\"hi\\n\",\"error\":null" },
	{ 11, 102, "fetch.test", "process", EXIT0 },
	{ 12, 100, "go", "process", EXIT0 },
	{ 13, 0, "", "trace_summary", "\"events\":{\"process\":7,\"file\":5,\"connection\":1},"
				      "\"dropped\":0,\"truncated\":0,\"backend\":\"ebpf\"" },
};
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* what every variant shows of the test binary, in full */
#define FETCH_LINES \
	"15:10:41.129456 [PID 102 go] FORK from 100\n" \
	"15:10:41.130456 [PID 102 fetch.test] EXEC fetch.test\n" \
	"15:10:41.131456 [PID 102 fetch.test] FS OPEN /etc/hosts O_RDONLY = fd 3\n" \
	"15:10:41.132456 [PID 102 fetch.test] NET CONNECT tcp 127.0.0.1:5000 -> 127.0.0.1:80\n" \
	"15:10:41.133456 [PID 102 fetch.test] FS WRITE /tmp/out (3 B) \"hi\\n\"\n" \
	"15:10:41.134456 [PID 102 fetch.test] EXIT 0\n"
#define GO_TREE \
	"PROCESSES 3\n" \
	"  go(100) go test -> exit 0 [12 ms]: 1 file event (1 read 10 B)\n" \
	"    compile(101) compile -V -> exit 0 [3 ms]: 1 file event (1 read 20 B)\n" \
	"    fetch.test(102) fetch.test -> exit 0 [5 ms]: 2 file events (1 write 3 B), " \
	"1 connection\n"
#define GO_SUMMARY \
	"15:10:41.136456 [PID 0] SUMMARY 13 events (process=7 file=5 connection=1), " \
	"dropped 0, truncated 0, 13 ms, backend ebpf\n"

/* --focus-net: the go command's and the compiler's files folded, one line
 * each, just before their exit; the test binary's shown, in time order
 * (its open waited for the connect that put it in focus). */
static void test_focus_net(void **state)
{
	struct adi_sink_opts o = { .focus = ADI_TEXT_FOCUS_ON };
	char *got;

	(void)state;
	got = timeline(&o, go_test, N(go_test));
	assert_string_equal(got,
		"15:10:41.123456 [PID 100 go] EXEC go test\n"
		"15:10:41.125456 [PID 101 go] FORK from 100\n"
		"15:10:41.126456 [PID 101 compile] EXEC compile -V\n"
		"15:10:41.128456 [PID 101 compile] FOLDED 1 file event (1 read 20 B) -- "
		"--focus compile or --all shows them\n"
		"15:10:41.128456 [PID 101 compile] EXIT 0\n"
		FETCH_LINES
		"15:10:41.135456 [PID 100 go] FOLDED 1 file event (1 read 10 B) -- "
		"--focus go or --all shows them\n"
		"15:10:41.135456 [PID 100 go] EXIT 0\n"
		"2 file events of 2 processes folded (focus: files are shown for processes "
		"that used the network or match --focus) -- --all shows them\n"
		GO_TREE GO_SUMMARY);
	free(got);
}

/* The default: the same trace is large past 3 events shown (the line of
 * the go command's read waited, so it is folded too); under 100 it is
 * small, and every line is written as it came. */
static void test_focus_auto(void **state)
{
	struct adi_sink_opts large = { .focus_above = 3 }, small = { .focus_above = 100 };
	char *got;

	(void)state;
	got = timeline(&large, go_test, N(go_test));
	assert_string_equal(got,
		"15:10:41.123456 [PID 100 go] EXEC go test\n"
		"15:10:41.125456 [PID 101 go] FORK from 100\n"
		"15:10:41.126456 [PID 101 compile] EXEC compile -V\n"
		"15:10:41.128456 [PID 101 compile] FOLDED 1 file event (1 read 20 B) -- "
		"--focus compile or --all shows them\n"
		"15:10:41.128456 [PID 101 compile] EXIT 0\n"
		FETCH_LINES
		"15:10:41.135456 [PID 100 go] FOLDED 1 file event (1 read 10 B) -- "
		"--focus go or --all shows them\n"
		"15:10:41.135456 [PID 100 go] EXIT 0\n"
		"2 file events of 2 processes folded (a large trace: files are shown for "
		"processes that used the network or match --focus) -- --all shows them\n"
		GO_TREE GO_SUMMARY);
	free(got);
	got = timeline(&small, go_test, N(go_test));
	assert_string_equal(got,
		"15:10:41.123456 [PID 100 go] EXEC go test\n"
		"15:10:41.124456 [PID 100 go] FS READ /c/a (10 B)\n"
		"15:10:41.125456 [PID 101 go] FORK from 100\n"
		"15:10:41.126456 [PID 101 compile] EXEC compile -V\n"
		"15:10:41.127456 [PID 101 compile] FS READ /c/b (20 B)\n"
		"15:10:41.128456 [PID 101 compile] EXIT 0\n"
		FETCH_LINES
		"15:10:41.135456 [PID 100 go] EXIT 0\n"
		GO_TREE GO_SUMMARY);
	free(got);
}

/* --all: no focus, however large. */
static void test_focus_off(void **state)
{
	struct adi_sink_opts o = { .focus = ADI_TEXT_FOCUS_OFF, .focus_above = 1,
				   .show_runtime = true };
	char *got;

	(void)state;
	got = timeline(&o, go_test, N(go_test));
	assert_non_null(strstr(got, "[PID 100 go] FS READ /c/a (10 B)\n"));
	assert_non_null(strstr(got, "[PID 101 compile] FS READ /c/b (20 B)\n"));
	assert_null(strstr(got, "FOLDED"));
	assert_null(strstr(got, "folded"));
	free(got);
}

/* --focus GLOB: the matching process and what it starts are shown in full,
 * by its command name or its executable's last component. */
static void test_focus_glob(void **state)
{
	static const char *const globs[] = { "comp*" };
	struct adi_sink_opts o = { .focus = ADI_TEXT_FOCUS_ON, .focus_globs = globs,
				   .n_focus_globs = 1 };
	static const struct step s[] = {
		{ 0, 100, "make", "process", "\"op\":\"exec\",\"ppid\":1,\"argv\":[\"make\"]" },
		{ 1, 101, "make", "process", "\"op\":\"fork\",\"ppid\":100" },
		{ 2, 101, "cc1", "process", "\"op\":\"exec\",\"ppid\":100,\"argv\":[\"cc1\"],"
					    "\"filename\":\"/usr/libexec/compiler\"" },
		{ 3, 102, "cc1", "process", "\"op\":\"fork\",\"ppid\":101" },
		{ 4, 102, "as", "process", "\"op\":\"exec\",\"ppid\":101,\"argv\":[\"as\"]" },
		{ 5, 102, "as", "file", "\"op\":\"unlink\",\"path\":\"/t/x.o\",\"error\":null" },
		{ 6, 102, "as", "process", EXIT0 },
		{ 7, 101, "cc1", "process", EXIT0 },
		{ 8, 100, "make", "file", "\"op\":\"unlink\",\"path\":\"/t/y\",\"error\":null" },
		{ 9, 100, "make", "process", EXIT0 },
		{ 10, 0, "", "trace_summary", "\"events\":{},\"dropped\":0,\"truncated\":0,"
					      "\"backend\":\"ebpf\"" },
	};
	char *got;

	(void)state;
	got = timeline(&o, s, N(s));
	assert_string_equal(got,
		"15:10:41.123456 [PID 100 make] EXEC make\n"
		"15:10:41.124456 [PID 101 make] FORK from 100\n"
		"15:10:41.125456 [PID 101 cc1] EXEC cc1\n"
		"15:10:41.126456 [PID 102 cc1] FORK from 101\n"
		"15:10:41.127456 [PID 102 as] EXEC as\n"
		"15:10:41.128456 [PID 102 as] FS UNLINK /t/x.o\n"
		"15:10:41.129456 [PID 102 as] EXIT 0\n"
		"15:10:41.130456 [PID 101 cc1] EXIT 0\n"
		"15:10:41.132456 [PID 100 make] FOLDED 1 file event -- --focus make or --all "
		"shows them\n"
		"15:10:41.132456 [PID 100 make] EXIT 0\n"
		"1 file event of 1 process folded (focus: files are shown for processes that "
		"used the network or match --focus) -- --all shows them\n"
		"PROCESSES 3\n"
		"  make(100) make -> exit 0 [9 ms]: 1 file event\n"
		"    cc1(101) cc1 -> exit 0 [6 ms]\n"
		"      as(102) as -> exit 0 [3 ms]: 1 file event\n"
		"15:10:41.133456 [PID 0] SUMMARY 0 events, dropped 0, truncated 0, 10 ms, "
		"backend ebpf\n");
	free(got);
}

/* A line waits 2 s of the trace's time at most: then its process, still
 * undecided, has it folded (and shows what came after it used the
 * network); a process that never exits gets its fold line at the end. */
static void test_focus_hold_limit(void **state)
{
	struct adi_sink_opts o = { .focus = ADI_TEXT_FOCUS_ON };
	static const struct step s[] = {
		{ 0, 200, "srv", "file", READ("/etc/srv.conf", 5) },
		{ 2400, 300, "tick", "file", READ("/proc/loadavg", 7) },
		{ 2500, 200, "srv", "connection", CONNECT },
		{ 2501, 200, "srv", "file", "\"op\":\"unlink\",\"path\":\"/run/srv\",\"error\":\"ENOENT\"" },
		{ 2502, 200, "srv", "process", EXIT1 },
		{ 2503, 0, "", "trace_summary", "\"events\":{},\"dropped\":0,\"truncated\":0,"
						"\"backend\":\"ebpf\"" },
	};
	char *got;

	(void)state;
	got = timeline(&o, s, N(s));
	assert_string_equal(got,
		"15:10:43.623456 [PID 200 srv] NET CONNECT tcp 127.0.0.1:5000 -> 127.0.0.1:80\n"
		"15:10:43.624456 [PID 200 srv] FS UNLINK /run/srv ! ENOENT\n"
		"15:10:43.625456 [PID 200 srv] FOLDED 1 file event (1 read 5 B) -- --focus srv "
		"or --all shows them\n"
		"15:10:43.625456 [PID 200 srv] EXIT 1\n"
		"15:10:43.626456 [PID 300 tick] FOLDED 1 file event (1 read 7 B) -- --focus tick "
		"or --all shows them\n"
		"2 file events of 2 processes folded (focus: files are shown for processes that "
		"used the network or match --focus) -- --all shows them\n"
		"PROCESSES 2\n"
		"  srv(200) -> exit 1 [2502 ms]: 2 file events (1 read 5 B), 1 connection, "
		"2 errors\n"
		"  tick(300) -> running [0 ms]: 1 file event (1 read 7 B)\n"
		"15:10:43.626456 [PID 0] SUMMARY 0 events, dropped 0, truncated 0, 2503 ms, "
		"backend ebpf\n");
	free(got);
}

/* Below the threshold a file line waits 2 s at most for the trace to turn
 * large: what was written before it did stays written. */
static void test_focus_late_large(void **state)
{
	struct adi_sink_opts o = { .focus_above = 2 };
	static const struct step s[] = {
		{ 0, 200, "a", "file", READ("/one", 1) },
		{ 3000, 200, "a", "file", READ("/two", 2) },
		{ 3001, 200, "a", "file", READ("/three", 3) },
		{ 3002, 200, "a", "process", EXIT0 },
	};
	char *got;

	(void)state;
	got = timeline(&o, s, N(s));
	assert_string_equal(got,
		"15:10:41.123456 [PID 200 a] FS READ /one (1 B)\n"
		"15:10:44.125456 [PID 200 a] FOLDED 2 file events (2 reads 5 B) -- --focus a or "
		"--all shows them\n"
		"15:10:44.125456 [PID 200 a] EXIT 0\n"
		"2 file events of 1 process folded (a large trace: files are shown for processes "
		"that used the network or match --focus) -- --all shows them\n");
	free(got);
}

/* A command line is cut at 160 bytes with "...": a long word, and a run
 * of empty words, whose separating spaces once went past the buffer
 * (found by fuzz_text; ASan in the tests). */
static void test_tree_long_argv(void **state)
{
	char fields[8192], cmd[200], exp[256];
	size_t n;
	struct step st = { 0, 20, "x", "process", fields };
	struct adi_proctree *t;
	struct adi_event *ev;
	struct adi_jw w;

	(void)state;
	for (int round = 0; round < 2; round++) {
		n = (size_t)snprintf(fields, sizeof(fields),
				     "\"op\":\"exec\",\"ppid\":1,\"argv\":[\"x\"");
		for (int i = 0; i < 400; i++)
			n += (size_t)snprintf(fields + n, sizeof(fields) - n,
					      round ? ",\"yyyyyyyyyy\"" : ",\"\"");
		snprintf(fields + n, sizeof(fields) - n, "]");
		t = adi_proctree_new(NULL, 0);
		assert_non_null(t);
		ev = mk(&st);
		adi_proctree_add(t, ev);
		adi_event_free(ev);
		adi_jw_init(&w);
		adi_proctree_write_json(t, &w);
		assert_int_equal(w.err, 0);
		if (round == 0) {
			/* "x" and 155 spaces, then the cut */
			snprintf(cmd, sizeof(cmd), "x%155s...", "");
		} else {
			/* words of 10 and a space while they fit whole or not:
			 * the cut falls inside the 14th word */
			size_t k = 1;

			cmd[0] = 'x';
			while (k + 5 <= 160) {
				cmd[k++] = ' ';
				for (int j = 0; j < 10 && k + 4 <= 160; j++)
					cmd[k++] = 'y';
			}
			memcpy(cmd + k, "...", 4);
		}
		snprintf(exp, sizeof(exp), "\"command\":\"%s\"", cmd);
		if (!strstr(w.buf, exp))
			fail_msg("round %d: no %s in %s", round, exp, w.buf);
		adi_jw_fini(&w);
		adi_proctree_free(t);
	}
}

/* Children of one parent that repeat a command are one line, their own
 * children folded under it; a failure among them is named; a pid seen
 * again after its exit is a new process. */
static void test_tree_folds(void **state)
{
	struct adi_proctree *t = adi_proctree_new(NULL, 0);
	static const struct step s[] = {
		{ 0, 10, "make", "process", "\"op\":\"exec\",\"ppid\":1,\"argv\":[\"make\",\"-j2\"]" },
		{ 1, 11, "make", "process", "\"op\":\"fork\",\"ppid\":10" },
		{ 2, 11, "gcc", "process", "\"op\":\"exec\",\"ppid\":10,\"argv\":[\"gcc\",\"-c\",\"a.c\"]" },
		{ 3, 12, "gcc", "process", "\"op\":\"fork\",\"ppid\":11" },
		{ 4, 12, "cc1", "process", "\"op\":\"exec\",\"ppid\":11,\"argv\":[\"cc1\"]" },
		{ 5, 12, "cc1", "file", READ("/a.c", 100) },
		{ 6, 12, "cc1", "process", EXIT0 },
		{ 7, 11, "gcc", "process", EXIT0 },
		{ 8, 13, "make", "process", "\"op\":\"fork\",\"ppid\":10" },
		{ 9, 13, "gcc", "process", "\"op\":\"exec\",\"ppid\":10,\"argv\":[\"gcc\",\"-c\",\"b.c\"]" },
		{ 10, 12, "gcc", "process", "\"op\":\"fork\",\"ppid\":13" },
		{ 11, 12, "cc1", "process", "\"op\":\"exec\",\"ppid\":13,\"argv\":[\"cc1\"]" },
		{ 12, 12, "cc1", "file", "\"op\":\"open\",\"path\":\"/b.c\",\"error\":\"ENOENT\"" },
		{ 13, 12, "cc1", "process", EXIT1 },
		{ 14, 13, "gcc", "process", "\"op\":\"exit\",\"exit_code\":null,\"signal\":\"SIGKILL\"" },
		{ 15, 14, "make", "process", "\"op\":\"fork\",\"ppid\":10" },
		{ 16, 14, "./t", "process", "\"op\":\"exec\",\"ppid\":10,\"argv\":[\"./t\",\"a\\u0001\"]" },
		{ 17, 14, "./t", "http_request", "\"conn\":{\"transport\":\"tcp\"},\"status\":500" },
		{ 18, 10, "make", "process", EXIT1 },
	};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct adi_jw w;

	(void)state;
	assert_non_null(t);
	for (size_t i = 0; i < N(s); i++) {
		struct adi_event *ev = mk(&s[i]);

		adi_proctree_add(t, ev);
		adi_event_free(ev);
	}
	assert_int_equal(adi_proctree_count(t), 6);
	assert_int_equal(adi_proctree_write_text(t, f, 0), 0);
	fclose(f);
	assert_string_equal(buf,
		"PROCESSES 6\n"
		"  make(10) make -j2 -> exit 1 [18 ms]: 1 error\n"
		"    gcc x2 -> exit 0 x1, killed by SIGKILL x1 [12 ms in all]: 1 error\n"
		"      cc1 x2 -> exit 0 x1, exit 1 x1 [6 ms in all]: 2 file events (1 read 100 B), "
		"2 errors\n"
		"    ./t(14) ./t a\\x01 -> running [2 ms]: 1 http_request, 1 error\n");
	free(buf);

	adi_jw_init(&w);
	adi_proctree_write_json(t, &w);
	assert_int_equal(w.err, 0);
	assert_string_equal(w.buf,
		"[{\"pid\":10,\"ppid\":1,\"comm\":\"make\",\"command\":\"make -j2\",\"exit_code\":1,"
		"\"signal\":null,\"running\":false,\"duration_ms\":18.0,\"net\":false,\"focus\":false,"
		"\"counts\":{\"file\":0,\"reads\":0,\"read_bytes\":0,\"writes\":0,\"write_bytes\":0,"
		"\"connection\":0,\"tcp_stream\":0,\"http_request\":0,\"grpc_call\":0,\"sql_query\":0,"
		"\"db_session\":0,\"redis_command\":0,\"mongo_command\":0,\"dns_query\":0,"
		"\"udp_datagram\":0,\"process\":2,\"other\":0,\"errors\":1},\"children\":["
		"{\"comm\":\"gcc\",\"processes\":2,\"pids\":[11,13],"
		"\"exits\":{\"exit 0\":1,\"killed by SIGKILL\":1},\"duration_ms\":12.0,"
		"\"counts\":{\"file\":0,\"reads\":0,\"read_bytes\":0,\"writes\":0,\"write_bytes\":0,"
		"\"connection\":0,\"tcp_stream\":0,\"http_request\":0,\"grpc_call\":0,\"sql_query\":0,"
		"\"db_session\":0,\"redis_command\":0,\"mongo_command\":0,\"dns_query\":0,"
		"\"udp_datagram\":0,\"process\":6,\"other\":0,\"errors\":1},\"children\":["
		"{\"comm\":\"cc1\",\"processes\":2,\"pids\":[12,12],"
		"\"exits\":{\"exit 0\":1,\"exit 1\":1},\"duration_ms\":6.0,"
		"\"counts\":{\"file\":2,\"reads\":1,\"read_bytes\":100,\"writes\":0,\"write_bytes\":0,"
		"\"connection\":0,\"tcp_stream\":0,\"http_request\":0,\"grpc_call\":0,\"sql_query\":0,"
		"\"db_session\":0,\"redis_command\":0,\"mongo_command\":0,\"dns_query\":0,"
		"\"udp_datagram\":0,\"process\":6,\"other\":0,\"errors\":2},\"children\":[]}]},"
		"{\"pid\":14,\"ppid\":10,\"comm\":\"./t\",\"command\":\"./t a\\\\x01\",\"exit_code\":null,"
		"\"signal\":null,\"running\":true,\"duration_ms\":2.0,\"net\":true,\"focus\":false,"
		"\"counts\":{\"file\":0,\"reads\":0,\"read_bytes\":0,\"writes\":0,\"write_bytes\":0,"
		"\"connection\":0,\"tcp_stream\":0,\"http_request\":1,\"grpc_call\":0,\"sql_query\":0,"
		"\"db_session\":0,\"redis_command\":0,\"mongo_command\":0,\"dns_query\":0,"
		"\"udp_datagram\":0,\"process\":2,\"other\":0,\"errors\":1},\"children\":[]}]}]");
	adi_jw_fini(&w);
	adi_proctree_free(t);
}

/* The words of the counts, and what an event says. */
static void test_counts_words(void **state)
{
	struct adi_proc_counts c = { 0 };
	char buf[256];
	struct adi_jv v;

	(void)state;
	assert_string_equal(adi_proc_counts_str(&c, buf, sizeof(buf)), "");
	c.n[ADI_PK_PROCESS] = 3;
	assert_string_equal(adi_proc_counts_str(&c, buf, sizeof(buf)), "");
	c.n[ADI_PK_FILE] = 2;
	c.writes = 2;
	c.write_bytes = 5000;
	c.n[ADI_PK_SQL] = 4;
	c.n[ADI_PK_OTHER] = 1;
	c.errors = 1;
	assert_string_equal(adi_proc_counts_str(&c, buf, sizeof(buf)),
			    "2 file events (2 writes 4.9 KiB), 4 sql_query, 1 other, 1 error");
	assert_string_equal(adi_proc_counts_str(&c, buf, 12), "2 file even");

	v = (struct adi_jv){ "\"conn\":{\"transport\":\"unix\"}", 27 };
	assert_false(adi_event_is_net("tcp_stream", v));
	assert_true(adi_event_is_net("sql_query", v));
	v = (struct adi_jv){ "\"conn\":{\"transport\":\"udp\"}", 26 };
	assert_true(adi_event_is_net("udp_datagram", v));
	assert_false(adi_event_is_net("file", v));
	v = (struct adi_jv){ "\"rcode\":\"NXDOMAIN\"", 18 };
	assert_true(adi_event_failed("dns_query", v));
	v = (struct adi_jv){ "\"status\":200,\"reset\":null", 25 };
	assert_false(adi_event_failed("http_request", v));
}

/* A command name a shell would split is quoted in the hint. */
static void test_focus_hint_quoted(void **state)
{
	struct adi_sink_opts o = { .focus = ADI_TEXT_FOCUS_ON };
	static const struct step s[] = {
		{ 0, 300, "npm test", "file", "\"op\":\"unlink\",\"path\":\"/x\",\"error\":null" },
		{ 1, 300, "it's", "process", EXIT0 },
	};
	char *got;

	(void)state;
	got = timeline(&o, s, N(s));
	assert_string_equal(got,
		"15:10:41.124456 [PID 300 npm test] FOLDED 1 file event -- --focus 'npm test' or "
		"--all shows them\n"
		"15:10:41.124456 [PID 300 it's] EXIT 0\n"
		"1 file event of 1 process folded (focus: files are shown for processes that "
		"used the network or match --focus) -- --all shows them\n");
	free(got);
}

/* Bounds: a fork chain deeper than 32 levels lists the rest of its
 * subtree at the 32nd (folded as any siblings are); past 65536 processes
 * the others' events are counted together on one last line. */
static void test_tree_limits(void **state)
{
	struct adi_proctree *t = adi_proctree_new(NULL, 0);
	char *buf = NULL, fields[128], ind[80];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	const char *last;

	(void)state;
	for (uint32_t i = 0; i < 40; i++) {
		struct step st = { i, 1000 + i, "p", "process", fields };
		struct adi_event *ev;

		snprintf(fields, sizeof(fields), "\"op\":\"fork\",\"ppid\":%u", 999 + i);
		ev = mk(&st);
		adi_proctree_add(t, ev);
		adi_event_free(ev);
	}
	assert_int_equal(adi_proctree_write_text(t, f, 0), 0);
	fclose(f);
	/* the header, 32 lines one level deeper each, then the 8 deepest */
	memset(ind, ' ', 66);
	ind[66] = '\0';
	last = strrchr(buf, '\n');
	assert_non_null(last);
	while (last > buf && last[-1] != '\n')
		last--;
	assert_int_equal(strncmp(last, ind, 66), 0);
	assert_string_equal(last + 66, "p x8 -> running [0 ms in all]\n");
	assert_non_null(strstr(buf, "\n                                                                "
				    "p(1031) -> running [0 ms]\n"));
	free(buf);
	adi_proctree_free(t);

	t = adi_proctree_new(NULL, 0);
	for (uint32_t i = 0; i < ADI_PROC_MAX + 10; i++) {
		struct step st = { 0, 1 + i, "w", "file",
				   "\"op\":\"write\",\"path\":\"/w\",\"bytes\":2,\"error\":null" };
		struct adi_event *ev = mk(&st);

		assert_true((adi_proctree_add(t, ev) != NULL) == (i < ADI_PROC_MAX));
		adi_event_free(ev);
	}
	assert_int_equal(adi_proctree_count(t), ADI_PROC_MAX);
	buf = NULL;
	f = open_memstream(&buf, &len);
	assert_int_equal(adi_proctree_write_text(t, f, 0), 0);
	fclose(f);
	last = buf + len - 1;
	while (last > buf && last[-1] != '\n')
		last--;
	assert_string_equal(last, "  more processes, not kept (the table holds 65536): "
			    "10 file events (10 writes 20 B)\n");
	free(buf);
	adi_proctree_free(t);
}

/* The hold is a FIFO whatever the mix of pushes and pops: its ring wraps
 * and grows, its text moves to the front and grows, each item keeps its
 * own text. */
static void test_hold_fifo(void **state)
{
	struct adi_hold h;
	uint64_t next_in = 0, next_out = 0;
	char line[300];

	(void)state;
	adi_hold_init(&h);
	assert_null(adi_hold_front(&h));
	for (int round = 0; round < 2000; round++) {
		int pushes = 1 + (round * 7) % 13;
		/* growing, then shrinking: the text moves back to the front */
		int pops = round < 1000 ? (round * 5) % 12 : pushes + 1;

		for (int i = 0; i < pushes; i++, next_in++) {
			struct adi_hold_item it = { .ts = next_in };
			int n = snprintf(line, sizeof(line), "%llu:%.*s",
					 (unsigned long long)next_in, (int)(next_in % 250),
					 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
					 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
					 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
					 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
					 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");

			assert_int_equal(adi_hold_push(&h, &it, line, (size_t)n), 0);
		}
		for (int i = 0; i < pops && adi_hold_front(&h); i++, next_out++) {
			struct adi_hold_item *it = adi_hold_front(&h);
			int n = snprintf(line, sizeof(line), "%llu:", (unsigned long long)next_out);

			assert_int_equal(it->ts, next_out);
			assert_int_equal(it->len, (size_t)n + next_out % 250);
			assert_memory_equal(adi_hold_text(&h, it), line, (size_t)n);
			adi_hold_pop(&h);
		}
	}
	while (adi_hold_front(&h)) {
		assert_int_equal(adi_hold_front(&h)->ts, next_out++);
		adi_hold_pop(&h);
	}
	assert_int_equal(next_out, next_in);
	assert_int_equal(adi_hold_bytes(&h), 0);
	adi_hold_fini(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_focus_net),
		cmocka_unit_test(test_focus_auto),
		cmocka_unit_test(test_focus_off),
		cmocka_unit_test(test_focus_glob),
		cmocka_unit_test(test_focus_hold_limit),
		cmocka_unit_test(test_focus_late_large),
		cmocka_unit_test(test_tree_folds),
		cmocka_unit_test(test_tree_long_argv),
		cmocka_unit_test(test_counts_words),
		cmocka_unit_test(test_hold_fifo),
		cmocka_unit_test(test_focus_hint_quoted),
		cmocka_unit_test(test_tree_limits),
	};
	return cmocka_run_group_tests(tests, setup_utc, NULL);
}
