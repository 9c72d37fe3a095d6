/* fuzz_insight.c - src/insight on arbitrary input. The first byte picks
 * what the rest is: SQL in either dialect (fingerprint, then its tables and
 * batch hint read back), an HTTP target (route), Redis arguments (one per
 * line: key pattern and command fingerprint), a MongoDB command document,
 * or the member lists of events (one per line, the kind from the selector)
 * fed to the model, which is then written out as a report, its deps and a
 * diff against itself.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "insight/fingerprint.h"
#include "insight/insight.h"

static void on_table(void *arg, const char *verb, const char *t, size_t tn)
{
	(void)arg;
	(void)verb;
	(void)t;
	(void)tn;
}

static void model(const char *b, size_t n, unsigned sel)
{
	static const char *const kinds[] = {
		"http_request", "sql_query", "redis_command", "mongo_command", "file",
		"connection", "process", "grpc_call", "dns_query", "tcp_stream",
	};
	struct adi_insight *in = adi_insight_new(NULL);
	struct adi_diff_opts o = { ADI_DIFF_DEFAULT_FAIL, 10, 50, 1 };
	FILE *devnull = fopen("/dev/null", "w");
	uint64_t id = 1;
	size_t i = 0;

	if (!in || !devnull)
		goto out;
	while (i < n) {
		const char *nl = memchr(b + i, '\n', n - i);
		size_t len = nl ? (size_t)(nl - (b + i)) : n - i;
		struct adi_event *ev = adi_event_new(kinds[(sel + id) % 10], 1000 * id, b + i, len);

		if (ev) {
			ev->id = id;
			ev->pid = 7;
			ev->tid = (uint32_t)(7 + id % 2);
			ev->duration_ns = (int64_t)(id * 300);
			adi_insight_add(in, ev);
			adi_event_free(ev);
		}
		id++;
		i += len + 1;
	}
	adi_insight_report(in, devnull, sel & 1);
	adi_insight_deps(in, devnull, sel & 2);
	adi_insight_diff(in, in, "a", "b", &o, devnull, sel & 4);
out:
	if (devnull)
		fclose(devnull);
	adi_insight_free(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct adi_sb out = { 0 };
	const char *b = (const char *)data + 1;
	size_t n;
	uint64_t h;

	if (!size)
		return 0;
	n = size - 1;
	switch (data[0] % 6) {
	case 0:
	case 1:
		adi_fp_sql(b, n, data[0] % 2 ? ADI_SQL_MYSQL : ADI_SQL_POSTGRES, &out, &h);
		if (out.p) {
			struct adi_sb hint = { 0 };

			adi_sql_tables(out.p, out.len, on_table, NULL);
			adi_sql_batch_hint(out.p, out.len, &hint);
			adi_sb_fini(&hint);
		}
		break;
	case 2:
		adi_fp_route(b, n, &out);
		break;
	case 3: {
		struct adi_slice a[16];
		size_t na = 0, i = 0;

		while (i < n && na < 16) {
			const char *nl = memchr(b + i, '\n', n - i);
			size_t len = nl ? (size_t)(nl - (b + i)) : n - i;

			a[na++] = (struct adi_slice){ b + i, len };
			i += len + 1;
		}
		if (na)
			adi_fp_key_pattern(a[0].s, a[0].n, &out);
		adi_sb_reset(&out);
		adi_fp_redis(data[0] & 8 ? "EVALSHA" : data[0] & 16 ? "MSET" : "GET", a, na, &out, &h);
		break;
	}
	case 4:
		adi_fp_mongo(data[0] & 8 ? "aggregate" : data[0] & 16 ? "delete" : "find", "db",
			     data[0] & 32 ? NULL : "c", b, n, &out, &h);
		break;
	default:
		model(b, n, data[0] / 6);
		break;
	}
	adi_sb_fini(&out);
	return 0;
}
