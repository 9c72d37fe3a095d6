/* test_insight.c - unit tests of the insight model (src/insight) on
 * hand-made events: N+1 (different parameters, one after another) against
 * repeats (the same parameters), fan-outs (at once: no finding) and file
 * re-reads; a request's self time; quantiles (exact, then within the
 * histogram's 3.2 %); diff's exit value. The integration tests
 * (test_insight.py) prove the same on real programs; these pin the rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "insight/ins_int.h"
#include "lib/json.h"

#define MS 1000000ull

static const char conn_server[] =
	"\"conn\":{\"transport\":\"tcp\",\"local\":\"127.0.0.1:80\",\"remote\":\"127.0.0.1:5000\","
	"\"role\":\"server\",\"id\":1}";
static const char conn_pg[] =
	"\"conn\":{\"transport\":\"tcp\",\"local\":\"127.0.0.1:5001\",\"remote\":\"127.0.0.1:5432\","
	"\"role\":\"client\",\"id\":2}";

/* One event into in: kind, id, start and duration in ms, its members. */
static void feed(struct adi_insight *in, const char *kind, uint64_t id, double ts_ms,
		 double dur_ms, const char *fields)
{
	struct adi_event *e = adi_event_new(kind, (uint64_t)(ts_ms * MS), fields, strlen(fields));

	assert_non_null(e);
	e->id = id;
	e->pid = 42;
	e->tid = 42;
	e->duration_ns = dur_ms < 0 ? -1 : (int64_t)(dur_ms * MS);
	assert_int_equal(adi_insight_add(in, e), 0);
	adi_event_free(e);
}

static void request(struct adi_insight *in, uint64_t id, double ts, double dur, const char *url)
{
	char f[512];

	snprintf(f, sizeof(f), "\"method\":\"GET\",\"url\":\"%s\",\"status\":200,%s", url,
		 conn_server);
	feed(in, "http_request", id, ts, dur, f);
}

static void query(struct adi_insight *in, uint64_t id, uint64_t parent, double ts, double dur,
		  const char *sql)
{
	char f[512];

	snprintf(f, sizeof(f), "\"parent_id\":%llu,\"parent_by\":\"thread\",\"db\":\"postgres\","
		 "\"sql\":\"%s\",\"params\":[],\"rows\":1,\"error\":null,%s",
		 (unsigned long long)parent, sql, conn_pg);
	feed(in, "sql_query", id, ts, dur, f);
}

/* The JSON report, parsed. */
static struct adi_jval *report(struct adi_insight *in)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct adi_jval *v;

	assert_non_null(f);
	assert_int_equal(adi_insight_report(in, f, true), 0);
	fclose(f);
	v = adi_json_parse(buf, len);
	free(buf);
	assert_non_null(v);
	return v;
}

static struct adi_jval *finding(struct adi_jval *rep, const char *type, const char *op)
{
	struct adi_jval *fs = adi_j_get(rep, "findings");

	for (size_t i = 0; i < adi_j_len(fs); i++) {
		struct adi_jval *f = adi_j_at(fs, i);

		if (!strcmp(adi_j_get_str(f, "type", ""), type) &&
		    !strcmp(adi_j_get_str(f, "operation", ""), op))
			return f;
	}
	return NULL;
}

static void test_findings(void **state)
{
	struct adi_insight *in = adi_insight_new(NULL);
	struct adi_jval *rep, *f, *ep;
	char sql[64], fields[512];
	uint64_t id = 1;

	(void)state;
	assert_non_null(in);
	/* 1: six queries, one after another, different ids: N+1 */
	request(in, 1, 0, 100, "/a/1");
	for (int i = 0; i < 6; i++) {
		snprintf(sql, sizeof(sql), "SELECT x FROM t WHERE id = %d", i + 1);
		query(in, 10 + (uint64_t)i, 1, 10 + 10 * i, 1, sql);
	}
	/* 2: the same query six times: a repeat */
	request(in, 20, 200, 100, "/a/2");
	for (int i = 0; i < 6; i++)
		query(in, 21 + (uint64_t)i, 20, 210 + 10 * i, 1, "SELECT 1");
	/* 3: six at once (a fan-out): not a loop */
	request(in, 30, 400, 100, "/a/3");
	for (int i = 0; i < 6; i++) {
		snprintf(sql, sizeof(sql), "SELECT y FROM u WHERE id = %d", i + 1);
		query(in, 31 + (uint64_t)i, 30, 410, 5, sql);
	}
	/* 4: five file reads of one path */
	request(in, 40, 600, 100, "/a/4");
	for (int i = 0; i < 5; i++) {
		snprintf(fields, sizeof(fields), "\"parent_id\":40,\"parent_by\":\"thread\","
			 "\"op\":\"read\",\"path\":\"/etc/app.conf\",\"fd\":3,\"error\":null");
		feed(in, "file", 41 + (uint64_t)i, 610 + 10 * i, 0.5, fields);
	}
	/* 5: only four: under the threshold */
	request(in, 50, 800, 100, "/b");
	for (int i = 0; i < 4; i++) {
		snprintf(sql, sizeof(sql), "SELECT z FROM v WHERE id = %d", i + 1);
		query(in, 51 + (uint64_t)i, 50, 810 + 10 * i, 1, sql);
	}
	(void)id;
	rep = report(in);

	f = finding(rep, "n_plus_one", "SELECT x FROM t WHERE id = ?");
	assert_non_null(f);
	assert_string_equal(adi_j_get_str(f, "endpoint", ""), "GET /a/:id");
	assert_int_equal(adi_j_get_int(f, "executions", 0), 6);
	assert_int_equal(adi_j_get_int(f, "parent_id", 0), 1);
	assert_int_equal(adi_j_get_int(f, "source_id", 0), 10);
	assert_string_equal(adi_j_get_str(f, "suggestion", ""), "WHERE id IN (...)");
	f = finding(rep, "repeated_query", "SELECT ?");
	assert_non_null(f);
	assert_int_equal(adi_j_get_int(f, "executions", 0), 6);
	assert_null(finding(rep, "n_plus_one", "SELECT y FROM u WHERE id = ?"));
	assert_null(finding(rep, "repeated_query", "SELECT y FROM u WHERE id = ?"));
	assert_null(finding(rep, "n_plus_one", "SELECT z FROM v WHERE id = ?"));
	f = finding(rep, "repeated_file_read", "/etc/app.conf");
	assert_non_null(f);
	assert_int_equal(adi_j_get_int(f, "executions", 0), 5);
	assert_int_equal(adi_j_len(adi_j_get(rep, "findings")), 3);

	/* GET /a/:id: 4 requests of 100 ms; self = 400 - (6 + 6 + 5 + 2.5) */
	ep = adi_j_at(adi_j_get(rep, "endpoints"), 0);
	assert_string_equal(adi_j_get_str(ep, "endpoint", ""), "GET /a/:id");
	assert_int_equal(adi_j_get_int(ep, "count", 0), 4);
	assert_true(adi_j_as_double(adi_j_get(adi_j_get(ep, "breakdown"), "self_ms"), 0) ==
		    (400 - 6 - 6 - 5 - 2.5) / 4);
	assert_int_equal(adi_j_get_int(adi_j_get(rep, "trace"), "with_parent", 0), 27);
	adi_j_free(rep);
	adi_insight_free(in);
}

static void test_quantiles(void **state)
{
	struct adi_dist d = { 0 };
	uint64_t q;

	(void)state;
	for (uint64_t v = 1; v <= 100; v++)
		adi_dist_add(&d, v * 1000);
	assert_int_equal(adi_dist_q(&d, 0.5), 50000);
	assert_int_equal(adi_dist_q(&d, 0.95), 95000);
	assert_int_equal(adi_dist_q(&d, 1), 100000);
	adi_dist_fini(&d);
	/* past the exact values: the histogram, within 1/32 */
	for (uint64_t v = 1; v <= 100000; v++)
		adi_dist_add(&d, v * 1000);
	assert_null(d.x);
	q = adi_dist_q(&d, 0.5);
	assert_true(q > 50000000 * (1 - 1.0 / 32) && q < 50000000 * (1 + 1.0 / 32));
	q = adi_dist_q(&d, 0.95);
	assert_true(q > 95000000 * (1 - 1.0 / 32) && q < 95000000 * (1 + 1.0 / 32));
	assert_int_equal(adi_dist_q(&d, 1), 100000000);
	assert_int_equal(d.n, 100000);
	adi_dist_fini(&d);
}

/* A model of one request running a query per item (n items). */
static struct adi_insight *per_item(int n)
{
	struct adi_insight *in = adi_insight_new(NULL);
	char sql[64];

	assert_non_null(in);
	for (int r = 0; r < 3; r++) {
		uint64_t p = 100 * (uint64_t)r + 1;

		request(in, p, 1000 * r, 500, "/report");
		query(in, p + 1, p, 1000 * r + 10, 1, "SELECT id FROM books");
		for (int i = 0; i < n; i++) {
			snprintf(sql, sizeof(sql), "SELECT count(*) FROM reviews WHERE book_id = %d",
				 i + 1);
			query(in, p + 2 + (uint64_t)i, p, 1000 * r + 20 + 10 * i, 1, sql);
		}
	}
	return in;
}

static int diff(struct adi_insight *a, struct adi_insight *b, unsigned fail_on)
{
	struct adi_diff_opts o = { fail_on, 10, 50, 1 };
	FILE *f = fopen("/dev/null", "w");
	int rc;

	assert_non_null(f);
	rc = adi_insight_diff(a, b, "a", "b", &o, f, false);
	fclose(f);
	return rc;
}

static void test_diff(void **state)
{
	struct adi_insight *a = per_item(0), *a2 = per_item(0), *b = per_item(10);
	unsigned bits;
	const char *bad;
	size_t badlen;

	(void)state;
	assert_int_equal(diff(a, a2, ADI_DIFF_DEFAULT_FAIL), 0);
	assert_int_equal(diff(a, b, ADI_DIFF_DEFAULT_FAIL), 1);
	assert_int_equal(diff(a, b, ADI_DIFF_N1), 1);
	assert_int_equal(diff(a, b, ADI_DIFF_SLOWER | ADI_DIFF_ERRORS), 0);
	assert_int_equal(diff(b, a, ADI_DIFF_DEFAULT_FAIL), 0);
	assert_int_equal(diff(b, a, ADI_DIFF_REMOVED), 1);
	assert_int_equal(adi_diff_parse_fail_on("added,N+1,deps", &bits, &bad, &badlen), 0);
	assert_int_equal(bits, ADI_DIFF_ADDED | ADI_DIFF_N1 | ADI_DIFF_DEPS);
	assert_int_equal(adi_diff_parse_fail_on("none", &bits, &bad, &badlen), 0);
	assert_int_equal(bits, 0);
	assert_int_equal(adi_diff_parse_fail_on("count,bogus", &bits, &bad, &badlen), -22);
	assert_int_equal(badlen, 5);
	assert_memory_equal(bad, "bogus", 5);
	adi_insight_free(a);
	adi_insight_free(a2);
	adi_insight_free(b);
}

/* The program's failed and slow file work is reported; the runtime's own
 * (a `runtime` member: locale data the timeline hides) and the loader's
 * search of its path are not. */
static void test_file_errors(void **state)
{
	struct adi_insight *in = adi_insight_new(NULL);
	struct adi_jval *rep, *errs, *slow;
	int program = 0, other = 0;

	(void)state;
	assert_non_null(in);
	feed(in, "file", 1, 0, -1, "\"op\":\"open\",\"path\":\"/etc/app.conf\","
	     "\"error\":\"ENOENT\",\"runtime\":null");
	feed(in, "file", 2, 1, -1, "\"op\":\"open\",\"path\":"
	     "\"/usr/lib/locale/C.UTF-8/LC_CTYPE\",\"error\":\"ENOENT\",\"runtime\":\"locale\"");
	feed(in, "file", 3, 2, -1, "\"op\":\"open\",\"path\":\"/opt/x/libz.so.1\","
	     "\"error\":\"ENOENT\"");
	feed(in, "file", 4, 3, 5, "\"op\":\"read\",\"path\":\"/lib/libc.so.6\",\"bytes\":9,"
	     "\"error\":null,\"runtime\":\"loader\"");
	feed(in, "file", 5, 9, 1, "\"op\":\"read\",\"path\":\"/etc/app.data\",\"bytes\":9,"
	     "\"error\":null,\"runtime\":null");
	/* glibc asking for nscd (runtime nscd) is not the program's failure;
	 * the program's own refused connect is */
	feed(in, "connection", 6, 10, -1, "\"op\":\"connect\",\"conn\":{\"transport\":\"unix\","
	     "\"local\":\"\",\"remote\":\"/var/run/nscd/socket\",\"role\":\"client\",\"id\":1},"
	     "\"error\":\"ENOENT\",\"runtime\":\"nscd\"");
	feed(in, "connection", 7, 11, -1, "\"op\":\"connect\",\"conn\":{\"transport\":\"tcp\","
	     "\"local\":\"127.0.0.1:40000\",\"remote\":\"127.0.0.1:5432\",\"role\":\"client\","
	     "\"id\":2},\"error\":\"ECONNREFUSED\"");
	rep = report(in);
	errs = adi_j_get(rep, "errors");
	for (size_t i = 0; i < adi_j_len(errs); i++) {
		const char *what = adi_j_get_str(adi_j_at(errs, i), "what", "");

		if (strstr(what, "/etc/app.conf") || strstr(what, "127.0.0.1:5432 ECONNREFUSED"))
			program++;
		else
			other++;
	}
	assert_int_equal(program, 2);
	assert_int_equal(other, 0);
	slow = adi_j_get(rep, "slowest");
	assert_int_equal(adi_j_len(slow), 1);
	assert_string_equal(adi_j_get_str(adi_j_at(slow, 0), "operation", ""), "read /etc/app.data");
	adi_j_free(rep);
	adi_insight_free(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_findings),
		cmocka_unit_test(test_quantiles),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_file_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
