/* test_export.c - unit tests of the exports (src/sink/export.h): the
 * protobuf writer's nested lengths, the OTLP mapping of events to spans and
 * log records (semantic-convention attributes, errors, parent ids from
 * parent_id and from traceparent) and both encodings, the pcapng writer
 * (one packet for a segment both ends saw, trimmed overlaps, blocks well
 * formed) and the Perfetto sink (lanes for overlapping slices, flows).
 * Expected values are written by hand from the specifications.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "lib/event.h"
#include "lib/json.h"
#include "sink/export.h"
#include "sink/otlp_int.h"
#include "sink/pb.h"

#define TS 1795800705123456789ull

/* fields may start with "id":N: the event's id, a common field (events.md),
 * lifted out of the kind's members as a trace reader does. */
static struct adi_event *mk(const char *kind, uint64_t ts, int64_t dur, const char *fields)
{
	uint64_t id = 0;
	struct adi_event *ev;

	if (!strncmp(fields, "\"id\":", 5)) {
		char *end;

		id = strtoull(fields + 5, &end, 10);
		fields = *end == ',' ? end + 1 : end;
	}
	ev = adi_event_new(kind, ts, fields, strlen(fields));
	assert_non_null(ev);
	ev->id = id;
	ev->pid = 4213;
	ev->tid = 4214;
	ev->duration_ns = dur;
	strcpy(ev->comm, "app");
	return ev;
}

static const struct otlp_attr *attr(const struct otlp_attrs *a, const char *k)
{
	for (unsigned i = 0; i < a->n; i++)
		if (a->a[i].key_n == strlen(k) && !memcmp(a->a[i].key, k, a->a[i].key_n))
			return &a->a[i];
	return NULL;
}

static void assert_attr_str(const struct otlp_attrs *a, const char *k, const char *v)
{
	const struct otlp_attr *x = attr(a, k);

	if (!x)
		fail_msg("attribute %s missing", k);
	assert_int_equal(x->t, OTLP_STR);
	assert_int_equal(x->n, strlen(v));
	assert_memory_equal(x->s, v, x->n);
}

static void assert_attr_int(const struct otlp_attrs *a, const char *k, int64_t v)
{
	const struct otlp_attr *x = attr(a, k);

	if (!x)
		fail_msg("attribute %s missing", k);
	assert_int_equal(x->t, OTLP_INT);
	assert_int_equal(x->i, v);
}

/* a length that needs two varint bytes moves the content by one */
static void test_pb_lengths(void **state)
{
	struct adi_pb p = { 0 };
	uint8_t body[200];
	size_t outer, inner;

	(void)state;
	memset(body, 'x', sizeof(body));
	outer = adi_pb_begin(&p, 1);
	inner = adi_pb_begin(&p, 2);
	adi_pb_put(&p, body, sizeof(body));
	adi_pb_end(&p, inner);
	adi_pb_kvarint(&p, 3, 300);
	adi_pb_end(&p, outer);
	/* field 1: 2 + 1 + 2 + 200 + 3 = 206 bytes of content (0xce 0x01) */
	assert_int_equal(p.len, 1 + 2 + 206);
	assert_int_equal(p.b[0], 0x0a);
	assert_int_equal(p.b[1], 0xce);
	assert_int_equal(p.b[2], 0x01);
	assert_int_equal(p.b[3], 0x12);      /* field 2, length-delimited */
	assert_int_equal(p.b[4], 0xc8);      /* 200 */
	assert_int_equal(p.b[5], 0x01);
	assert_int_equal(p.b[6], 'x');
	assert_int_equal(p.b[206], 0x18);    /* field 3, varint 300 = ac 02 */
	assert_int_equal(p.b[207], 0xac);
	assert_int_equal(p.b[208], 0x02);
	adi_pb_fini(&p);
}

static void test_otlp_sql_error(void **state)
{
	struct otlp_mapper m;
	struct otlp_item it = { 0 };
	struct adi_event *ev = mk("sql_query", TS, 2500000,
		"\"db\":\"postgres\",\"sql\":\"  select * from t where a = $1\",\"params\":[\"1\"],"
		"\"statement\":null,\"columns\":null,\"rows\":0,\"rows_sample\":[],"
		"\"command_tag\":null,\"error\":{\"code\":\"42P01\",\"message\":\"relation \\\"t\\\" "
		"does not exist\",\"severity\":\"ERROR\"},\"tx\":\"idle\",\"database\":\"shop\","
		"\"user\":\"app\",\"conn\":{\"transport\":\"tcp\",\"local\":\"127.0.0.1:40000\","
		"\"remote\":\"10.0.0.5:5432\",\"role\":\"client\",\"id\":7}");

	(void)state;
	assert_int_equal(otlp_mapper_init(&m, "host1"), 0);
	assert_int_equal(otlp_map_event(&m, ev, &it), 0);
	assert_true(it.is_span);
	assert_int_equal(it.kind, 3);
	assert_int_equal(it.name_n, strlen("SELECT shop"));
	assert_memory_equal(it.name, "SELECT shop", it.name_n);
	assert_int_equal(it.t0, TS);
	assert_int_equal(it.t1, TS + 2500000);
	assert_attr_str(&it.at, "db.system", "postgresql");
	assert_attr_str(&it.at, "db.namespace", "shop");
	assert_attr_str(&it.at, "db.query.text", "  select * from t where a = $1");
	assert_attr_str(&it.at, "db.operation.name", "SELECT");
	assert_attr_str(&it.at, "db.response.status_code", "42P01");
	assert_attr_str(&it.at, "error.type", "42P01");
	assert_attr_str(&it.at, "network.peer.address", "10.0.0.5");
	assert_attr_int(&it.at, "network.peer.port", 5432);
	assert_attr_str(&it.at, "server.address", "10.0.0.5");
	assert_attr_int(&it.at, "server.port", 5432);
	assert_attr_int(&it.at, "db.response.returned_rows", 0);
	assert_int_equal(it.status, 2);
	assert_true(it.exc);
	assert_int_equal(it.exc_msg_n, strlen("relation \"t\" does not exist"));
	assert_memory_equal(it.exc_msg, "relation \"t\" does not exist", it.exc_msg_n);
	assert_attr_str(&it.res, "service.name", "app");
	assert_attr_int(&it.res, "process.pid", 4213);
	assert_attr_str(&it.res, "host.name", "host1");
	assert_false(it.has_parent);
	otlp_item_clear(&it);
	otlp_mapper_fini(&m);
	adi_event_free(ev);
}

/* Both encodings of one span: the JSON by the OTLP/JSON rules (hex ids,
 * 64-bit integers as strings, enums as numbers), the protobuf holding the
 * same strings. */
static void test_otlp_encodings(void **state)
{
	struct otlp_mapper m;
	struct otlp_item it = { 0 };
	struct adi_event *ev = mk("http_request", TS, 1000,
		"\"method\":\"GET\",\"url\":\"/a?b=1\",\"host\":\"example.com:8080\",\"version\":\"1.1\","
		"\"status\":503,\"req_headers\":{\"traceparent\":"
		"\"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\"},\"resp_headers\":{},"
		"\"req_body\":\"\",\"resp_body\":\"\",\"req_bytes\":0,\"resp_bytes\":5,"
		"\"truncated\":false,\"conn\":{\"transport\":\"tcp\",\"local\":\"[::1]:8080\","
		"\"remote\":\"[::1]:50000\",\"role\":\"server\",\"id\":1}");
	struct adi_jw w;
	struct adi_pb p = { 0 };
	struct adi_jval *o, *attrs;
	bool found = false;

	(void)state;
	assert_int_equal(otlp_mapper_init(&m, "h"), 0);
	assert_int_equal(otlp_map_event(&m, ev, &it), 0);
	assert_int_equal(it.kind, 2);
	assert_attr_str(&it.at, "url.path", "/a");
	assert_attr_str(&it.at, "url.query", "b=1");
	assert_attr_str(&it.at, "server.address", "example.com");
	assert_attr_int(&it.at, "server.port", 8080);
	assert_attr_str(&it.at, "client.address", "::1");
	assert_attr_str(&it.at, "network.type", "ipv6");
	assert_null(attr(&it.at, "url.full")); /* a server span has no full URL */
	assert_int_equal(it.status, 2);        /* 5xx fails a server span */
	assert_true(it.has_parent);
	adi_jw_init(&w);
	otlp_json_item(&w, &it);
	o = adi_json_parse(w.buf, w.len);
	assert_non_null(o);
	assert_string_equal(adi_j_as_str(adi_j_get(o, "traceId"), ""),
			    "4bf92f3577b34da6a3ce929d0e0e4736");
	assert_string_equal(adi_j_as_str(adi_j_get(o, "parentSpanId"), ""), "00f067aa0ba902b7");
	assert_int_equal(strlen(adi_j_as_str(adi_j_get(o, "spanId"), "")), 16);
	assert_int_equal(adi_j_as_int(adi_j_get(o, "kind"), 0), 2);
	assert_string_equal(adi_j_as_str(adi_j_get(o, "startTimeUnixNano"), ""),
			    "1795800705123456789");
	assert_string_equal(adi_j_as_str(adi_j_get(o, "endTimeUnixNano"), ""),
			    "1795800705123457789");
	assert_int_equal(adi_j_as_int(adi_j_get(adi_j_get(o, "status"), "code"), 0), 2);
	attrs = adi_j_get(o, "attributes");
	for (size_t i = 0; i < adi_j_len(attrs); i++) {
		struct adi_jval *a = adi_j_at(attrs, i);

		if (strcmp(adi_j_as_str(adi_j_get(a, "key"), ""), "http.response.status_code"))
			continue;
		assert_string_equal(adi_j_as_str(adi_j_get(adi_j_get(a, "value"), "intValue"), ""),
				    "503");
		found = true;
	}
	assert_true(found);
	adi_j_free(o);
	adi_jw_fini(&w);
	otlp_pb_item(&p, &it);
	assert_non_null(memmem(p.b, p.len, "http.request.method", 19));
	/* field 1 (trace_id), 16 bytes, first */
	assert_int_equal(p.b[0], 0x0a);
	assert_int_equal(p.b[1], 16);
	assert_int_equal(p.b[2], 0x4b);
	adi_pb_fini(&p);
	otlp_item_clear(&it);
	otlp_mapper_fini(&m);
	adi_event_free(ev);
}

/* Request trees: a child names its parent by parent_id; its span is the
 * parent's child, in the parent's trace. A file event under it is a log
 * record carrying the parent's span. */
static void test_otlp_parent_id(void **state)
{
	struct otlp_mapper m;
	struct otlp_item a = { 0 }, b = { 0 }, c = { 0 };
	struct adi_event *pe = mk("http_request", TS, 5000,
		"\"id\":10,\"method\":\"GET\",\"url\":\"/\",\"status\":200,\"conn\":{\"transport\":"
		"\"tcp\",\"local\":\"127.0.0.1:80\",\"remote\":\"127.0.0.1:50000\",\"role\":\"server\","
		"\"id\":1}");
	struct adi_event *ce = mk("redis_command", TS + 10, 100,
		"\"id\":11,\"parent_id\":10,\"command\":\"GET\",\"args\":[\"k\"],\"reply\":null,"
		"\"error\":null,\"conn\":{\"transport\":\"tcp\",\"local\":\"127.0.0.1:40000\","
		"\"remote\":\"127.0.0.1:6379\",\"role\":\"client\",\"id\":2}");
	struct adi_event *fe = mk("file", TS + 20, 0,
		"\"id\":12,\"parent_id\":10,\"op\":\"open\",\"path\":\"/etc/hosts\",\"error\":null");

	(void)state;
	assert_int_equal(otlp_mapper_init(&m, "h"), 0);
	assert_int_equal(otlp_map_event(&m, pe, &a), 0);
	assert_int_equal(otlp_map_event(&m, ce, &b), 0);
	assert_int_equal(otlp_map_event(&m, fe, &c), 0);
	assert_false(a.has_parent);
	assert_true(b.has_parent);
	assert_memory_equal(b.parent, a.span, 8);
	assert_memory_equal(b.trace, a.trace, 16);
	assert_memory_not_equal(b.span, a.span, 8);
	assert_attr_str(&b.at, "db.query.text", "GET k");
	assert_false(c.is_span);
	assert_true(c.has_parent);
	assert_memory_equal(c.trace, a.trace, 16);
	assert_memory_equal(c.span, a.span, 8);
	assert_attr_str(&c.at, "file.path", "/etc/hosts");
	assert_attr_str(&c.at, "adi.op", "open");
	assert_int_equal(c.body_n, strlen("file open /etc/hosts"));
	assert_memory_equal(c.body, "file open /etc/hosts", c.body_n);
	otlp_item_clear(&a);
	otlp_item_clear(&b);
	otlp_item_clear(&c);
	otlp_mapper_fini(&m);
	adi_event_free(pe);
	adi_event_free(ce);
	adi_event_free(fe);
}

/* ---- pcapng ---- */

static struct adi_raw_event io(uint16_t lport, uint16_t rport, enum adi_dir d, uint32_t seq,
			       const char *data, uint32_t pid)
{
	struct adi_raw_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.f.family = ADI_RAW_IO;
	ev.f.op = d == ADI_DIR_OUT ? ADI_OP_WRITE : ADI_OP_READ;
	ev.f.ts_ns = TS;
	ev.f.pid = ev.f.tid = pid;
	strcpy(ev.f.comm, "t");
	ev.f.dir = d;
	ev.f.transport = ADI_TR_TCP;
	ev.f.flags = ADI_RAW_HAS_SEQ;
	ev.f.seq = seq;
	ev.f.size = strlen(data);
	ev.f.ret = (int64_t)ev.f.size;
	ev.f.data_len = (uint32_t)ev.f.size;
	ev.f.ino = pid;
	ev.f.local.family = ev.f.remote.family = AF_INET;
	ev.f.local.port = lport;
	ev.f.remote.port = rport;
	memcpy(ev.f.local.addr, "\x7f\0\0\1", 4);
	memcpy(ev.f.remote.addr, "\x7f\0\0\1", 4);
	ev.data = (const uint8_t *)data;
	return ev;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void test_pcapng_both_ends(void **state)
{
	char *buf = NULL;
	size_t len = 0, off, epbs = 0;
	FILE *f = open_memstream(&buf, &len);
	struct adi_pcapng *p = adi_pcapng_new(f);
	struct adi_pcapng_stats st;
	const char *req = "GET / HTTP/1.1\r\n\r\n";
	struct adi_raw_event ev;
	const uint8_t *pkt = NULL;

	(void)state;
	assert_non_null(p);
	/* the client runs in a container: named from its cgroup's path */
	memset(&ev, 0, sizeof(ev));
	ev.f.family = ADI_RAW_META;
	ev.f.op = ADI_META_CGROUP;
	ev.f.pid = 1;
	ev.f.cgroup_id = 77;
	ev.path = "/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope";
	ev.f.path_len = (uint32_t)strlen(ev.path);
	assert_int_equal(adi_pcapng_feed(p, &ev), 0);
	ev = io(40000, 80, ADI_DIR_OUT, 1000, req, 1);   /* the client writes */
	ev.f.cgroup_id = 77;
	assert_int_equal(adi_pcapng_feed(p, &ev), 0);
	ev = io(80, 40000, ADI_DIR_IN, 1000, req, 2);    /* the server reads it */
	assert_int_equal(adi_pcapng_feed(p, &ev), 0);
	ev = io(80, 40000, ADI_DIR_IN, 1004, req + 4, 2); /* a part again */
	assert_int_equal(adi_pcapng_feed(p, &ev), 0);
	/* overlapping: the first 4 bytes were written, 2 are new */
	ev = io(80, 40000, ADI_DIR_IN, 1014, "\r\n\r\nXY", 2);
	assert_int_equal(adi_pcapng_feed(p, &ev), 0);
	adi_pcapng_stats(p, &st);
	assert_int_equal(st.packets, 2);
	assert_int_equal(st.bytes, strlen(req) + 2);
	assert_int_equal(st.dup_bytes, strlen(req) + strlen(req + 4) + 4);
	adi_pcapng_free(p);
	fclose(f);
	/* blocks: SHB, 2 IDB, 2 EPB, each length repeated at its end */
	assert_int_equal(le32((const uint8_t *)buf), 0x0A0D0D0A);
	assert_int_equal(le32((const uint8_t *)buf + 8), 0x1A2B3C4D);
	for (off = 0; off < len;) {
		const uint8_t *b = (const uint8_t *)buf + off;
		uint32_t bl = le32(b + 4);

		assert_true(bl >= 12 && bl % 4 == 0 && off + bl <= len);
		assert_int_equal(le32(b + bl - 4), bl);
		if (le32(b) == 6) {
			epbs++;
			if (!pkt)
				pkt = b + 28;
		}
		off += bl;
	}
	assert_int_equal(epbs, 2);
	/* the first packet: Ethernet, IPv4 127.0.0.1:40000 -> :80, seq 1000 */
	assert_int_equal(pkt[12], 0x08);
	assert_int_equal(pkt[14], 0x45);
	assert_int_equal(pkt[23], 6);
	assert_int_equal(pkt[34] << 8 | pkt[35], 40000);
	assert_int_equal(pkt[36] << 8 | pkt[37], 80);
	assert_int_equal(pkt[38] << 24 | pkt[39] << 16 | pkt[40] << 8 | pkt[41], 1000);
	assert_memory_equal(pkt + 54, req, strlen(req));
	/* its comment: the first option after the padded packet */
	{
		size_t cap = le32(pkt - 8), at = (cap + 3) & ~(size_t)3;
		const char *want = "pid 1 tid 1 comm t container 0123456789ab";

		assert_int_equal(pkt[at] | pkt[at + 1] << 8, 1); /* opt_comment */
		assert_int_equal(pkt[at + 2] | pkt[at + 3] << 8, strlen(want));
		assert_memory_equal(pkt + at + 4, want, strlen(want));
	}
	free(buf);
}

/* A DNS query over UDP seen from both ends: the client's socket bound to
 * the wildcard address names its peer in sendto, the server's recvfrom
 * names the client: one datagram in the capture. */
static void test_pcapng_udp_both_ends(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct adi_pcapng *p = adi_pcapng_new(f);
	struct adi_pcapng_stats st;
	uint8_t to53[16] = { AF_INET, 0, 0, 53, 127, 0, 0, 1 };
	uint8_t from5555[16] = { AF_INET, 0, 0x15, 0xb3, 127, 0, 0, 1 };
	struct adi_raw_event ev;

	(void)state;
	ev = io(5555, 0, ADI_DIR_OUT, 0, "query", 1);
	ev.f.transport = ADI_TR_UDP;
	ev.f.flags = 0;
	memset(ev.f.local.addr, 0, 4);   /* bound to 0.0.0.0 */
	memset(ev.f.remote.addr, 0, 4);  /* not connected */
	ev.path2 = (const char *)to53;
	ev.f.path2_len = sizeof(to53);
	assert_int_equal(adi_pcapng_feed(p, &ev), 0);
	ev = io(53, 0, ADI_DIR_IN, 0, "query", 2);
	ev.f.transport = ADI_TR_UDP;
	ev.f.flags = 0;
	memset(ev.f.remote.addr, 0, 4);
	ev.path2 = (const char *)from5555;
	ev.f.path2_len = sizeof(from5555);
	assert_int_equal(adi_pcapng_feed(p, &ev), 0);
	adi_pcapng_stats(p, &st);
	assert_int_equal(st.packets, 1);
	assert_int_equal(st.dup_bytes, 5);
	assert_int_equal(st.other_skipped, 0);
	adi_pcapng_free(p);
	fclose(f);
	free(buf);
}

/* ---- Perfetto ---- */

static void test_perfetto_lanes_and_flows(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct adi_sink *s = adi_sink_perfetto_new(f);
	struct adi_event *a = mk("redis_command", TS, 3000, "\"id\":1,\"command\":\"GET\"");
	struct adi_event *b = mk("redis_command", TS + 1000, 3000,
				 "\"id\":2,\"parent_id\":1,\"command\":\"SET\"");
	struct adi_event *c = mk("trace_summary", TS + 9000, 9000, "\"events\":{}");
	struct adi_jval *o, *evs;
	int x = 0, flows = 0;
	int64_t tids[2] = { 0, 0 };

	(void)state;
	assert_int_equal(adi_sink_emit(s, a), 0);
	assert_int_equal(adi_sink_emit(s, b), 0);
	assert_int_equal(adi_sink_emit(s, c), 0);
	adi_sink_free(s);
	fclose(f);
	/* one event a line: the line breaks go (none is inside a string) */
	for (size_t i = 0, j = 0; i <= len; i++)
		if (i == len || buf[i] != '\n')
			buf[j++] = i == len ? '\0' : buf[i];
	o = adi_json_parse(buf, strlen(buf));
	assert_non_null(o);
	evs = adi_j_get(o, "traceEvents");
	for (size_t i = 0; i < adi_j_len(evs); i++) {
		struct adi_jval *e = adi_j_at(evs, i);
		const char *ph = adi_j_as_str(adi_j_get(e, "ph"), "");

		if (!strcmp(ph, "X")) {
			assert_true(x < 2);
			tids[x++] = adi_j_as_int(adi_j_get(e, "tid"), -1);
		}
		flows += !strcmp(ph, "s") || !strcmp(ph, "f");
	}
	assert_int_equal(x, 2);
	/* the second overlaps the first without nesting: a lane of its own */
	assert_int_equal(tids[0], 4214);
	assert_int_equal(tids[1], 1000000000);
	assert_int_equal(flows, 2);
	assert_non_null(adi_j_get(adi_j_get(o, "otherData"), "trace_summary"));
	adi_j_free(o);
	free(buf);
	adi_event_free(a);
	adi_event_free(b);
	adi_event_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pb_lengths),
		cmocka_unit_test(test_otlp_sql_error),
		cmocka_unit_test(test_otlp_encodings),
		cmocka_unit_test(test_otlp_parent_id),
		cmocka_unit_test(test_pcapng_both_ends),
		cmocka_unit_test(test_pcapng_udp_both_ends),
		cmocka_unit_test(test_perfetto_lanes_and_flows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
