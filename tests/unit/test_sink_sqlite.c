/* test_sink_sqlite.c - unit tests of the SQLite trace store (sink_sqlite.c)
 * and of reading traces back (trace_read.c): events -> store -> events
 * gives the same JSON Lines as events -> JSON Lines -> events; batches are
 * committed by count, by age and at trace_summary; an unwritable path and
 * a file size limit hit mid-trace are errors, counted, never a crash.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/event.h"
#include "sink/sink.h"
#include "evtree.h"
#include "sink/trace_read.h"

#define TS0 1795800705123456789ull /* 2026-11-27T17:31:45.123456789Z */
#define NEV 9

static char dir[] = "/tmp/adi-test-store-XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static char *path_of(const char *name)
{
	static char p[256];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

/* Events of several kinds and shapes: null and fractional durations, a
 * container, a connection id, nested fields, non-ASCII and escapes, a kind
 * the sinks have no layout for, the trace_summary last. */
static struct adi_event *mk(int i)
{
	static const char *const kinds[NEV] = {
		"process", "file", "connection", "sql_query", "http_request",
		"gpu_kernel", "file", "tcp_stream", "trace_summary",
	};
	struct adi_event *ev = adi_event_new(kinds[i], TS0 + (uint64_t)i * 1000003, NULL, 0);
	struct adi_jval *conn, *arr, *f = adi_j_obj();

	assert_non_null(ev);
	ev->id = (uint64_t)i + 1; /* as the engine numbers what it writes */
	ev->pid = 4213 + (uint32_t)(i % 3);
	ev->tid = ev->pid + (i == 4);
	snprintf(ev->comm, sizeof(ev->comm), "%s", i == 6 ? "wörker" : "app");
	ev->cgroup_id = 1234567890123ull;
	if (i == 2)
		snprintf(ev->container, sizeof(ev->container), "0123456789ab");
	ev->duration_ns = i % 2 ? (int64_t)i * 1234567 + 499 : -1;
	switch (i) {
	case 0:
		adi_j_set_str(f, "op", "exec");
		arr = adi_j_arr();
		adi_j_push(arr, adi_j_str("sh"));
		adi_j_push(arr, adi_j_str("-c"));
		adi_j_push(arr, adi_j_str("echo \"hi\"\n\ttab"));
		adi_j_set(f, "argv", arr);
		break;
	case 2: case 3: case 4: case 7:
		conn = adi_j_obj();
		adi_j_set_str(conn, "transport", "tcp");
		adi_j_set_str(conn, "local", "127.0.0.1:40000");
		adi_j_set_str(conn, "remote", "127.0.0.1:5432");
		adi_j_set_str(conn, "role", "client");
		adi_j_set_int(conn, "id", 7 + i);
		adi_j_set(f, "conn", conn);
		if (i == 3) {
			adi_j_set_str(f, "db", "postgres");
			adi_j_set_str(f, "sql", "SELECT * FROM t WHERE a = $1");
			arr = adi_j_arr();
			adi_j_push(arr, adi_j_str("42"));
			adi_j_push(arr, adi_j_null());
			adi_j_set(f, "params", arr);
			adi_j_set_null(f, "error");
		}
		break;
	case 5:
		adi_j_set_double(f, "occupancy", 0.75);
		adi_j_set_bool(f, "ok", true);
		break;
	case 6:
		adi_j_set_str(f, "op", "write");
		adi_j_set_str(f, "path", "/tmp/é.txt");
		adi_j_set_bytes(f, "content", (const uint8_t *)"\x00\xff\x01", 3);
		break;
	default:
		adi_j_set_int(f, "n", i);
		break;
	}
	return ev_fields(ev, f);
}

static char *json_of(const struct adi_event *ev)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;

	assert_int_equal(adi_event_json_line(ev, NULL, &buf, &len, &cap), 0);
	return buf;
}

/* Every event of the trace at path, as JSON Lines text, joined. */
static char *read_all(const char *path, int *n)
{
	struct adi_trace_in *r;
	const struct adi_event *ev;
	char err[256], *all = NULL;
	size_t alen = 0;
	int got;

	r = adi_trace_in_open(path, err, sizeof(err));
	assert_non_null(r);
	*n = 0;
	while ((got = adi_trace_in_next(r, &ev)) == 1) {
		char *l = json_of(ev);
		size_t ll = strlen(l);

		all = realloc(all, alen + ll + 1);
		memcpy(all + alen, l, ll + 1);
		alen += ll;
		free(l);
		(*n)++;
	}
	assert_int_equal(got, 0);
	adi_trace_in_close(r);
	return all;
}

static void write_trace(struct adi_sink *s)
{
	for (int i = 0; i < NEV; i++) {
		struct adi_event *ev = mk(i);

		assert_int_equal(adi_sink_emit(s, ev), 0);
		adi_event_free(ev);
	}
	assert_int_equal(adi_sink_flush(s), 0);
}

/* events -> store -> events and events -> JSON Lines -> events give the
 * same JSON Lines; the JSON Lines reader gives back what the sink wrote. */
static void test_round_trip(void **state)
{
	struct adi_sink *s;
	struct adi_sqlite_stats st;
	char err[256], *from_db, *from_jsonl, *orig = NULL;
	size_t olen = 0;
	FILE *f;
	int n1, n2;

	(void)state;
	s = adi_sink_sqlite_new(path_of("t.db"), NULL, err, sizeof(err));
	assert_non_null(s);
	write_trace(s);
	adi_sink_sqlite_stats(s, &st);
	assert_int_equal(st.written, NEV); /* trace_summary committed all */
	assert_int_equal(st.lost, 0);
	assert_int_equal(adi_sink_lost(s), 0);
	adi_sink_free(s);

	f = fopen(path_of("t.jsonl"), "w");
	assert_non_null(f);
	s = adi_sink_json_new(f);
	write_trace(s);
	adi_sink_free(s);
	fclose(f);
	for (int i = 0; i < NEV; i++) {
		struct adi_event *ev = mk(i);
		char *l = json_of(ev);

		orig = realloc(orig, olen + strlen(l) + 1);
		strcpy(orig + olen, l);
		olen += strlen(l);
		free(l);
		adi_event_free(ev);
	}

	from_db = read_all(path_of("t.db"), &n1);
	from_jsonl = read_all(path_of("t.jsonl"), &n2);
	assert_int_equal(n1, NEV);
	assert_int_equal(n2, NEV);
	assert_string_equal(from_jsonl, orig);
	assert_string_equal(from_db, orig);
	free(from_db);
	free(from_jsonl);
	free(orig);
}

static long long count_rows(const char *path, const char *where)
{
	sqlite3 *db;
	sqlite3_stmt *q;
	char sql[256];
	long long n = -1;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM events %s", where);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	if (sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return n;
}

/* The schema's columns hold what docs/store.md says (conn_id from
 * conn.id, the kind's fields as JSON that json_extract reads). */
static void test_schema_columns(void **state)
{
	struct adi_sink *s;
	char err[256];

	(void)state;
	s = adi_sink_sqlite_new(path_of("c.db"), NULL, err, sizeof(err));
	assert_non_null(s);
	write_trace(s);
	adi_sink_free(s);
	assert_int_equal(count_rows(path_of("c.db"), "WHERE conn_id = 10 AND kind = 'sql_query'"), 1);
	assert_int_equal(count_rows(path_of("c.db"),
		"WHERE json_extract(fields, '$.params[0]') = '42' AND duration_ms = 3.704"), 1);
	assert_int_equal(count_rows(path_of("c.db"), "WHERE duration_ms IS NULL"), 5);
	assert_int_equal(count_rows(path_of("c.db"), "WHERE container = '0123456789ab'"), 1);
	assert_int_equal(count_rows(path_of("c.db"),
		"WHERE timestamp = '2026-11-27T17:31:45.123456789Z' AND id = 1"), 1);
}

static struct adi_event *mk_small(int i, const char *pad)
{
	struct adi_event *ev = adi_event_new("file", TS0 + (uint64_t)i, NULL, 0);
	struct adi_jval *f = adi_j_obj();

	assert_non_null(ev);
	adi_j_set_int(f, "i", i);
	if (pad)
		adi_j_set_str(f, "pad", pad);
	return ev_fields(ev, f);
}

/* A batch is committed when it is full, when it is old at a flush, and
 * right after trace_summary; readers see only committed batches. */
static void test_batching(void **state)
{
	struct adi_sqlite_opts o = { .batch_events = 10, .batch_ms = 60000 };
	struct adi_sqlite_stats st;
	struct adi_sink *s;
	struct adi_event *ev;
	char err[256];
	const char *p = path_of("b.db");

	(void)state;
	s = adi_sink_sqlite_new(p, &o, err, sizeof(err));
	assert_non_null(s);
	for (int i = 0; i < 25; i++) {
		ev = mk_small(i, NULL);
		assert_int_equal(adi_sink_emit(s, ev), 0);
		adi_event_free(ev);
	}
	assert_int_equal(adi_sink_flush(s), 0); /* young batch: kept open */
	adi_sink_sqlite_stats(s, &st);
	assert_int_equal(st.commits, 2);
	assert_int_equal(st.written, 20);
	assert_int_equal(count_rows(p, ""), 20);
	ev = adi_event_new("trace_summary", TS0 + 100, NULL, 0);
	assert_int_equal(adi_sink_emit(s, ev), 0);
	adi_event_free(ev);
	adi_sink_sqlite_stats(s, &st);
	assert_int_equal(st.written, 26);
	assert_int_equal(count_rows(p, ""), 26);
	adi_sink_free(s);

	/* by age: a flush after batch_ms commits */
	o.batch_events = 1000;
	o.batch_ms = 5;
	s = adi_sink_sqlite_new(p, &o, err, sizeof(err)); /* replaces the file */
	assert_non_null(s);
	ev = mk_small(1, NULL);
	assert_int_equal(adi_sink_emit(s, ev), 0);
	adi_event_free(ev);
	assert_int_equal(count_rows(p, ""), 0);
	usleep(20000);
	assert_int_equal(adi_sink_flush(s), 0);
	assert_int_equal(count_rows(p, ""), 1);
	adi_sink_free(s);
	assert_int_equal(count_rows(p, ""), 1);
}

static void test_unwritable(void **state)
{
	char err[256];

	(void)state;
	errno = 0;
	assert_null(adi_sink_sqlite_new("/nonexistent-adi-dir/t.db", NULL, err, sizeof(err)));
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(err, "/nonexistent-adi-dir/t.db"));
	errno = 0;
	assert_null(adi_sink_sqlite_new(dir, NULL, err, sizeof(err))); /* a directory */
	assert_int_equal(errno, EISDIR);
	assert_null(adi_trace_in_open("/nonexistent-adi-dir/t.db", err, sizeof(err)));
}

/* The disk fills mid-trace (a file size limit: writes fail with EFBIG):
 * emit/flush report -errno, the losses are counted, nothing crashes, and
 * what was committed before stays readable. */
static void test_write_error(void **state)
{
	struct adi_sqlite_opts o = { .batch_events = 50 };
	struct adi_sqlite_stats st;
	struct rlimit old, lim;
	struct adi_sink *s;
	char err[256], big[2048];
	int failures = 0, first = 0;
	const char *p = path_of("full.db");

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	s = adi_sink_sqlite_new(p, &o, err, sizeof(err));
	assert_non_null(s);
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 1 << 20; /* the WAL reaches it after a few commits */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	for (int i = 0; i < 2000; i++) {
		struct adi_event *ev = mk_small(i, big);
		int rc;

		rc = adi_sink_emit(s, ev);
		adi_event_free(ev);
		if (rc) {
			failures++;
			if (!first)
				first = rc;
		}
	}
	if (adi_sink_flush(s))
		failures++;
	adi_sink_sqlite_stats(s, &st);
	assert_true(failures > 0);
	assert_true(first == -EFBIG || first == -ENOSPC || first == -EIO);
	assert_true(st.lost > 0);
	assert_int_equal(adi_sink_lost(s), st.lost);
	assert_true(st.written + st.lost >= 2000);
	assert_true(st.written > 0);
	/* room again: closing checkpoints the log into the file */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	adi_sink_free(s);
	assert_int_equal(count_rows(p, ""), (long long)st.written);
}

static void test_store_path(void **state)
{
	(void)state;
	assert_true(adi_sink_is_store_path("t.db"));
	assert_true(adi_sink_is_store_path("/x/t.sqlite"));
	assert_false(adi_sink_is_store_path("t.jsonl"));
	assert_false(adi_sink_is_store_path(".db"));
	assert_false(adi_sink_is_store_path("t.db.jsonl"));
	assert_false(adi_sink_is_store_path(NULL));
	assert_false(adi_sink_is_store_path("-"));
}

/* A JSON Lines trace with damage: bad lines are -EINVAL with their line
 * number, the rest is read. */
static void test_read_damaged_jsonl(void **state)
{
	const struct adi_event *ev;
	struct adi_trace_in *r;
	char err[256];
	FILE *f = fopen(path_of("bad.jsonl"), "w");

	(void)state;
	assert_non_null(f);
	fputs("{\"v\":1,\"kind\":\"file\",\"ts_ns\":5,\"duration_ms\":1.5,\"pid\":1,\"op\":\"open\"}\n"
	      "not json\n\n"
	      "{\"kind\":7}\n"
	      "{\"v\":1,\"kind\":\"x\",\"ts_ns\":6,\"duration_ms\":null}\n", f);
	fclose(f);
	r = adi_trace_in_open(path_of("bad.jsonl"), err, sizeof(err));
	assert_non_null(r);
	assert_false(adi_trace_in_is_store(r));
	assert_int_equal(adi_trace_in_next(r, &ev), 1);
	assert_string_equal(ev->kind, "file");
	assert_int_equal(ev->duration_ns, 1500000);
	assert_true(adi_jv_streq(adi_jv_member(adi_event_fields(ev), "op"), "open"));
	assert_true(adi_jv_absent(adi_jv_member(adi_event_fields(ev), "pid"))); /* common */
	assert_int_equal(adi_trace_in_next(r, &ev), -EINVAL);
	assert_int_equal(adi_trace_in_where(r), 2);
	assert_int_equal(adi_trace_in_next(r, &ev), -EINVAL);
	assert_int_equal(adi_trace_in_where(r), 4);
	assert_int_equal(adi_trace_in_next(r, &ev), 1);
	assert_string_equal(ev->kind, "x");
	assert_int_equal(ev->duration_ns, -1);
	assert_int_equal(adi_trace_in_next(r, &ev), 0);
	adi_trace_in_close(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_schema_columns),
		cmocka_unit_test(test_batching),
		cmocka_unit_test(test_unwritable),
		cmocka_unit_test(test_write_error),
		cmocka_unit_test(test_store_path),
		cmocka_unit_test(test_read_damaged_jsonl),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
