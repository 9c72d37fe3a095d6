/* test_memcached.c - unit tests of the memcached decoder (src/proto/
 * memcached/). Fixtures are byte segments written by hand from the
 * protocol references (text and meta: memcached's doc/protocol.txt;
 * binary: the BinaryProtocolRevamped page of memcached's wiki), driven
 * through the decoder by the shared driver (tests/support/pdrive.h), whole,
 * in 1-byte pieces, split at every offset and through the real engine; the
 * events are compared with hand-written expectations following
 * docs/events.md. Wire sizes are the lengths of the fixture strings. With
 * ADI_SEED_DIR=<dir> the fixtures are written there as seeds of
 * fuzz/fuzz_memcached.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "pdrive.h"
#include "proto/proto.h"
#include "proto/memcached.h"

#define EV(ts, te, json) #ts " " #te " memcached_command " json "\n"

struct mc_fixture {
	const char *name;
	unsigned body;
	bool secrets;
	bool server;
	const struct pd_seg *segs;
	size_t nsegs;
	const char *expect;
};

#define SEGS(...) .segs = (const struct pd_seg[]){ __VA_ARGS__ }, \
	.nsegs = sizeof((const struct pd_seg[]){ __VA_ARGS__ }) / sizeof(struct pd_seg)

static void run_fixture(void **state)
{
	const struct mc_fixture *f = *state;
	struct pd_case fx = {
		.name = f->name, .proto = &adi_proto_memcached, .segs = f->segs, .nsegs = f->nsegs,
		.cfg = { .body_bytes = f->body, .rows_sample = 5, .show_secrets = f->secrets },
		.server = f->server,
	};

	pd_check_fixture(&fx, f->expect);
}

/* A binary header: magic, opcode, key length (2), extras length, data
 * type 0, vbucket / status (2), total body (4), opaque (4), cas (8). */
#define BH(magic, op, klen, elen, status, total, opaque, cas) \
	magic op "\x00" klen elen "\x00" "\x00" status "\x00\x00\x00" total \
	"\x00\x00\x00" opaque "\x00\x00\x00\x00\x00\x00\x00" cas
#define REQ(op, klen, elen, total, opaque) BH("\x80", op, klen, elen, "\x00", total, opaque, "\x00")
#define RESP(op, klen, elen, status, total, opaque, cas) \
	BH("\x81", op, klen, elen, status, total, opaque, cas)

static const struct mc_fixture fixtures[] = {
	/* Every text command family and its replies: storage, get with a hit
	 * and a miss, gets with its cas, cas, incr's number, delete, touch, an
	 * unknown command's ERROR. */
	{ .name = "test_text_commands", .body = 64,
	  SEGS(
		PD_OUT(1000, "set k 5 0 5\r\nhello\r\n"),
		PD_IN(2000, "STORED\r\n"),
		PD_OUT(3000, "get k missing\r\n"),
		PD_IN(4000, "VALUE k 5 5\r\nhello\r\nEND\r\n"),
		PD_OUT(5000, "gets k\r\n"),
		PD_IN(6000, "VALUE k 5 5 42\r\nhello\r\nEND\r\n"),
		PD_OUT(7000, "cas k 0 0 2 42\r\nhi\r\n"),
		PD_IN(8000, "EXISTS\r\n"),
		PD_OUT(9000, "incr n 5\r\n"),
		PD_IN(10000, "15\r\n"),
		PD_OUT(11000, "delete k\r\n"),
		PD_IN(12000, "DELETED\r\n"),
		PD_OUT(13000, "touch k 10\r\n"),
		PD_IN(14000, "NOT_FOUND\r\n"),
		PD_OUT(15000, "bogus\r\n"),
		PD_IN(16000, "ERROR\r\n")),
	  .expect =
		EV(1000, 2000, "{\"command\":\"set\",\"protocol\":\"text\",\"keys\":[\"k\"],\"args\":[],"
		   "\"flags\":5,\"exptime\":0,\"value_bytes\":5,\"value\":\"hello\","
		   "\"status\":\"STORED\",\"error\":null,\"req_bytes\":20,\"resp_bytes\":8,"
		   "\"truncated\":false}")
		EV(3000, 4000, "{\"command\":\"get\",\"protocol\":\"text\",\"keys\":[\"k\",\"missing\"],"
		   "\"args\":[],\"status\":\"END\",\"error\":null,"
		   "\"values\":[{\"key\":\"k\",\"flags\":5,\"bytes\":5,\"value\":\"hello\"}],"
		   "\"hits\":1,\"misses\":1,\"req_bytes\":15,\"resp_bytes\":25,\"truncated\":false}")
		EV(5000, 6000, "{\"command\":\"gets\",\"protocol\":\"text\",\"keys\":[\"k\"],"
		   "\"args\":[],\"status\":\"END\",\"error\":null,"
		   "\"values\":[{\"key\":\"k\",\"flags\":5,\"bytes\":5,\"cas\":42,\"value\":\"hello\"}],"
		   "\"hits\":1,\"misses\":0,\"req_bytes\":8,\"resp_bytes\":28,\"truncated\":false}")
		EV(7000, 8000, "{\"command\":\"cas\",\"protocol\":\"text\",\"keys\":[\"k\"],\"args\":[],"
		   "\"flags\":0,\"exptime\":0,\"cas\":42,\"value_bytes\":2,\"value\":\"hi\","
		   "\"status\":\"EXISTS\",\"error\":null,\"req_bytes\":20,\"resp_bytes\":8,"
		   "\"truncated\":false}")
		EV(9000, 10000, "{\"command\":\"incr\",\"protocol\":\"text\",\"keys\":[\"n\"],"
		   "\"args\":[\"5\"],\"status\":null,\"error\":null,\"result\":15,"
		   "\"req_bytes\":10,\"resp_bytes\":4,\"truncated\":false}")
		EV(11000, 12000, "{\"command\":\"delete\",\"protocol\":\"text\",\"keys\":[\"k\"],"
		   "\"args\":[],\"status\":\"DELETED\",\"error\":null,"
		   "\"req_bytes\":10,\"resp_bytes\":9,\"truncated\":false}")
		EV(13000, 14000, "{\"command\":\"touch\",\"protocol\":\"text\",\"keys\":[\"k\"],"
		   "\"args\":[\"10\"],\"status\":\"NOT_FOUND\",\"error\":null,"
		   "\"req_bytes\":12,\"resp_bytes\":11,\"truncated\":false}")
		EV(15000, 16000, "{\"command\":\"bogus\",\"protocol\":\"text\",\"keys\":[],"
		   "\"args\":[],\"status\":\"ERROR\",\"error\":\"ERROR\","
		   "\"req_bytes\":7,\"resp_bytes\":7,\"truncated\":false}") },

	/* noreply storage commands are events at once (no reply, no duration);
	 * a multi-get pipelined after them gets both values; quit has no reply. */
	{ .name = "test_noreply_and_quit", .body = 64,
	  SEGS(
		PD_OUT(1000, "set a 0 0 1 noreply\r\n1\r\nset b 0 0 1 noreply\r\n2\r\nget a b\r\n"),
		PD_IN(2000, "VALUE a 0 1\r\n1\r\nVALUE b 0 1\r\n2\r\nEND\r\n"),
		PD_OUT(3000, "quit\r\n"),
		PD_END(ADI_DIR_OUT),
		PD_END(ADI_DIR_IN)),
	  .expect =
		EV(1000, -1, "{\"command\":\"set\",\"protocol\":\"text\",\"keys\":[\"a\"],\"args\":[],"
		   "\"flags\":0,\"exptime\":0,\"noreply\":true,\"value_bytes\":1,\"value\":\"1\","
		   "\"status\":null,\"error\":null,\"req_bytes\":24,\"resp_bytes\":0,"
		   "\"truncated\":false}")
		EV(1000, -1, "{\"command\":\"set\",\"protocol\":\"text\",\"keys\":[\"b\"],\"args\":[],"
		   "\"flags\":0,\"exptime\":0,\"noreply\":true,\"value_bytes\":1,\"value\":\"2\","
		   "\"status\":null,\"error\":null,\"req_bytes\":24,\"resp_bytes\":0,"
		   "\"truncated\":false}")
		EV(1000, 2000, "{\"command\":\"get\",\"protocol\":\"text\",\"keys\":[\"a\",\"b\"],"
		   "\"args\":[],\"status\":\"END\",\"error\":null,"
		   "\"values\":[{\"key\":\"a\",\"flags\":0,\"bytes\":1,\"value\":\"1\"},"
		   "{\"key\":\"b\",\"flags\":0,\"bytes\":1,\"value\":\"2\"}],"
		   "\"hits\":2,\"misses\":0,\"req_bytes\":9,\"resp_bytes\":37,\"truncated\":false}")
		EV(3000, -1, "{\"command\":\"quit\",\"protocol\":\"text\",\"keys\":[],\"args\":[],"
		   "\"status\":null,\"error\":null,\"req_bytes\":6,\"resp_bytes\":0,"
		   "\"truncated\":false}") },

	/* stats (STAT lines into an object), version, flush_all. */
	{ .name = "test_admin", .body = 64,
	  SEGS(
		PD_OUT(1000, "stats\r\n"),
		PD_IN(2000, "STAT pid 42\r\nSTAT version 1.6.18\r\nEND\r\n"),
		PD_OUT(3000, "version\r\n"),
		PD_IN(4000, "VERSION 1.6.18\r\n"),
		PD_OUT(5000, "flush_all 0\r\n"),
		PD_IN(6000, "OK\r\n")),
	  .expect =
		EV(1000, 2000, "{\"command\":\"stats\",\"protocol\":\"text\",\"keys\":[],\"args\":[],"
		   "\"status\":\"END\",\"error\":null,"
		   "\"result\":{\"pid\":\"42\",\"version\":\"1.6.18\"},"
		   "\"req_bytes\":7,\"resp_bytes\":39,\"truncated\":false}")
		EV(3000, 4000, "{\"command\":\"version\",\"protocol\":\"text\",\"keys\":[],\"args\":[],"
		   "\"status\":\"VERSION\",\"error\":null,\"result\":\"1.6.18\","
		   "\"req_bytes\":9,\"resp_bytes\":16,\"truncated\":false}")
		EV(5000, 6000, "{\"command\":\"flush_all\",\"protocol\":\"text\",\"keys\":[],"
		   "\"args\":[\"0\"],\"status\":\"OK\",\"error\":null,"
		   "\"req_bytes\":13,\"resp_bytes\":4,\"truncated\":false}") },

	/* Values longer than --body-bytes (4): cut, flagged, sizes true. */
	{ .name = "test_body_bytes", .body = 4,
	  SEGS(
		PD_OUT(1000, "set k 0 0 10\r\n0123456789\r\n"),
		PD_IN(2000, "STORED\r\n"),
		PD_OUT(3000, "get k\r\n"),
		PD_IN(4000, "VALUE k 0 10\r\n0123456789\r\nEND\r\n")),
	  .expect =
		EV(1000, 2000, "{\"command\":\"set\",\"protocol\":\"text\",\"keys\":[\"k\"],\"args\":[],"
		   "\"flags\":0,\"exptime\":0,\"value_bytes\":10,\"value\":\"0123\","
		   "\"status\":\"STORED\",\"error\":null,\"req_bytes\":26,\"resp_bytes\":8,"
		   "\"truncated\":true}")
		EV(3000, 4000, "{\"command\":\"get\",\"protocol\":\"text\",\"keys\":[\"k\"],"
		   "\"args\":[],\"status\":\"END\",\"error\":null,"
		   "\"values\":[{\"key\":\"k\",\"flags\":0,\"bytes\":10,\"value\":\"0123\"}],"
		   "\"hits\":1,\"misses\":0,\"req_bytes\":7,\"resp_bytes\":31,\"truncated\":true}") },

	/* Meta commands: mg with its VA and data, ms with data, a quiet mg
	 * whose miss says nothing before mn's MN. */
	{ .name = "test_meta", .body = 64,
	  SEGS(
		PD_OUT(1000, "mg foo v t\r\n"),
		PD_IN(2000, "VA 2 t-1\r\nhi\r\n"),
		PD_OUT(3000, "ms foo 2 T60\r\nhi\r\n"),
		PD_IN(4000, "HD\r\n"),
		PD_OUT(5000, "mg a v q\r\nmn\r\n"),
		PD_IN(6000, "MN\r\n")),
	  .expect =
		EV(1000, 2000, "{\"command\":\"mg\",\"protocol\":\"text\",\"keys\":[\"foo\"],"
		   "\"args\":[\"v\",\"t\"],\"status\":\"VA\",\"error\":null,"
		   "\"values\":[{\"bytes\":2,\"value\":\"hi\"}],"
		   "\"req_bytes\":12,\"resp_bytes\":14,\"truncated\":false}")
		EV(3000, 4000, "{\"command\":\"ms\",\"protocol\":\"text\",\"keys\":[\"foo\"],"
		   "\"args\":[\"T60\"],\"value_bytes\":2,\"value\":\"hi\",\"status\":\"HD\","
		   "\"error\":null,\"req_bytes\":18,\"resp_bytes\":4,\"truncated\":false}")
		EV(5000, -1, "{\"command\":\"mg\",\"protocol\":\"text\",\"keys\":[\"a\"],"
		   "\"args\":[\"v\",\"q\"],\"status\":null,\"error\":null,"
		   "\"req_bytes\":10,\"resp_bytes\":0,\"truncated\":false}")
		EV(5000, 6000, "{\"command\":\"mn\",\"protocol\":\"text\",\"keys\":[],\"args\":[],"
		   "\"status\":\"MN\",\"error\":null,\"req_bytes\":4,\"resp_bytes\":4,"
		   "\"truncated\":false}") },

	/* A traced server: commands come in. */
	{ .name = "test_server_side", .body = 64, .server = true,
	  SEGS(
		PD_IN(1000, "get k\r\n"),
		PD_OUT(2000, "END\r\n")),
	  .expect =
		EV(1000, 2000, "{\"command\":\"get\",\"protocol\":\"text\",\"keys\":[\"k\"],"
		   "\"args\":[],\"status\":\"END\",\"error\":null,\"values\":[],"
		   "\"hits\":0,\"misses\":1,\"req_bytes\":7,\"resp_bytes\":5,\"truncated\":false}") },

	/* Bytes that are no command are skipped up to the next line that is. */
	{ .name = "test_garbage_resync", .body = 64,
	  SEGS(
		PD_OUT(1000, "\x01\x02junk\r\nget k\r\n"),
		PD_IN(2000, "END\r\n")),
	  .expect =
		EV(1000, 2000, "{\"command\":\"get\",\"protocol\":\"text\",\"keys\":[\"k\"],"
		   "\"args\":[],\"status\":\"END\",\"error\":null,\"values\":[],"
		   "\"hits\":0,\"misses\":1,\"req_bytes\":7,\"resp_bytes\":5,\"truncated\":false}")
		"# skipped out=8 in=0 done out=0 in=0\n" },

	/* An item inside a stats reply (which only END closes) is no reply a
	 * server sends: the reply is lost to a resync, its command left
	 * unanswered, and the event stays valid JSON (a fuzzer once found a
	 * "result" object left open around the "values"). */
	{ .name = "test_value_inside_stats", .body = 64,
	  SEGS(
		PD_OUT(1000, "stats\r\n"),
		PD_IN(2000, "STAT pid 42\r\nVALUE a 0 1\r\n1\r\nEND\r\n"),
		PD_OUT(3000, "version\r\n"),
		PD_IN(4000, "VERSION 1.6.18\r\n")),
	  .expect =
		EV(1000, -1, "{\"command\":\"stats\",\"protocol\":\"text\",\"keys\":[],\"args\":[],"
		   "\"status\":null,\"error\":null,\"req_bytes\":7,\"resp_bytes\":0,"
		   "\"truncated\":false,\"incomplete\":true}")
		/* what the resync found next: "1" reads as an incr reply */
		EV(2000, 2000, "{\"command\":null,\"protocol\":\"text\",\"keys\":[],\"args\":[],"
		   "\"status\":null,\"error\":null,\"result\":1,\"req_bytes\":0,\"resp_bytes\":3,"
		   "\"truncated\":false,\"incomplete\":true}")
		EV(2000, 2000, "{\"command\":null,\"protocol\":\"text\",\"keys\":[],\"args\":[],"
		   "\"status\":\"END\",\"error\":null,\"req_bytes\":0,\"resp_bytes\":5,"
		   "\"truncated\":false,\"incomplete\":true}")
		EV(3000, 4000, "{\"command\":\"version\",\"protocol\":\"text\",\"keys\":[],\"args\":[],"
		   "\"status\":\"VERSION\",\"error\":null,\"result\":\"1.6.18\","
		   "\"req_bytes\":9,\"resp_bytes\":16,\"truncated\":false}")
		"# skipped out=0 in=13 done out=0 in=0\n" },

	/* The binary protocol: SASL PLAIN (its value redacted), set, a get hit,
	 * quiet gets (a silent miss, a hit with its key) ended by a noop,
	 * increment, a get miss with its error text, stat's many responses. */
	{ .name = "test_binary", .body = 64,
	  SEGS(
		PD_OUT(1000, REQ("\x21", "\x05", "\x00", "\x0f", "\x09") "PLAIN" "\0user\0pass"),
		PD_IN(2000, RESP("\x21", "\x00", "\x00", "\x00", "\x0d", "\x09", "\x00")
			    "Authenticated"),
		PD_OUT(3000, REQ("\x01", "\x01", "\x08", "\x0b", "\x01")
			     "\x00\x00\x00\x07" "\x00\x00\x00\x00" "k" "hi"),
		PD_IN(4000, RESP("\x01", "\x00", "\x00", "\x00", "\x00", "\x01", "\x09")),
		PD_OUT(5000, REQ("\x00", "\x01", "\x00", "\x01", "\x02") "k"),
		PD_IN(6000, RESP("\x00", "\x00", "\x04", "\x00", "\x06", "\x02", "\x09")
			    "\x00\x00\x00\x07" "hi"),
		PD_OUT(7000, REQ("\x09", "\x01", "\x00", "\x01", "\x03") "x"
			     REQ("\x0d", "\x01", "\x00", "\x01", "\x04") "k"
			     REQ("\x0a", "\x00", "\x00", "\x00", "\x05")),
		PD_IN(8000, RESP("\x0d", "\x01", "\x04", "\x00", "\x07", "\x04", "\x09")
			    "\x00\x00\x00\x07" "k" "hi"
			    RESP("\x0a", "\x00", "\x00", "\x00", "\x00", "\x05", "\x00")),
		PD_OUT(9000, REQ("\x05", "\x01", "\x14", "\x15", "\x06")
			     "\x00\x00\x00\x00\x00\x00\x00\x01" "\x00\x00\x00\x00\x00\x00\x00\x00"
			     "\x00\x00\x00\x00" "n"),
		PD_IN(10000, RESP("\x05", "\x00", "\x00", "\x00", "\x08", "\x06", "\x0a")
			     "\x00\x00\x00\x00\x00\x00\x00\x2a"),
		PD_OUT(11000, REQ("\x00", "\x02", "\x00", "\x02", "\x07") "zz"),
		PD_IN(12000, RESP("\x00", "\x00", "\x00", "\x01", "\x09", "\x07", "\x00") "Not found"),
		PD_OUT(13000, REQ("\x10", "\x00", "\x00", "\x00", "\x08")),
		PD_IN(14000, RESP("\x10", "\x03", "\x00", "\x00", "\x05", "\x08", "\x00") "pid" "42"
			     RESP("\x10", "\x07", "\x00", "\x00", "\x08", "\x08", "\x00") "threads" "4"
			     RESP("\x10", "\x00", "\x00", "\x00", "\x00", "\x08", "\x00"))),
	  .expect =
		EV(1000, 2000, "{\"command\":\"sasl_auth\",\"protocol\":\"binary\",\"keys\":[\"PLAIN\"],"
		   "\"args\":[],\"value_bytes\":10,\"value\":\"<redacted>\",\"status\":\"NO_ERROR\","
		   "\"error\":null,\"result\":\"Authenticated\",\"req_bytes\":39,\"resp_bytes\":37,"
		   "\"truncated\":false}")
		EV(3000, 4000, "{\"command\":\"set\",\"protocol\":\"binary\",\"keys\":[\"k\"],\"args\":[],"
		   "\"flags\":7,\"exptime\":0,\"value_bytes\":2,\"value\":\"hi\","
		   "\"status\":\"NO_ERROR\",\"error\":null,\"req_bytes\":35,\"resp_bytes\":24,"
		   "\"truncated\":false}")
		EV(5000, 6000, "{\"command\":\"get\",\"protocol\":\"binary\",\"keys\":[\"k\"],\"args\":[],"
		   "\"status\":\"NO_ERROR\",\"error\":null,"
		   "\"values\":[{\"flags\":7,\"bytes\":2,\"cas\":9,\"value\":\"hi\"}],"
		   "\"hits\":1,\"misses\":0,\"req_bytes\":25,\"resp_bytes\":30,\"truncated\":false}")
		EV(7000, -1, "{\"command\":\"getq\",\"protocol\":\"binary\",\"keys\":[\"x\"],\"args\":[],"
		   "\"status\":null,\"error\":null,\"values\":[],\"hits\":0,\"misses\":1,"
		   "\"req_bytes\":25,\"resp_bytes\":0,\"truncated\":false}")
		EV(7000, 8000, "{\"command\":\"getkq\",\"protocol\":\"binary\",\"keys\":[\"k\"],\"args\":[],"
		   "\"status\":\"NO_ERROR\",\"error\":null,"
		   "\"values\":[{\"key\":\"k\",\"flags\":7,\"bytes\":2,\"cas\":9,\"value\":\"hi\"}],"
		   "\"hits\":1,\"misses\":0,\"req_bytes\":25,\"resp_bytes\":31,\"truncated\":false}")
		EV(7000, 8000, "{\"command\":\"noop\",\"protocol\":\"binary\",\"keys\":[],\"args\":[],"
		   "\"status\":\"NO_ERROR\",\"error\":null,\"req_bytes\":24,\"resp_bytes\":24,"
		   "\"truncated\":false}")
		EV(9000, 10000, "{\"command\":\"increment\",\"protocol\":\"binary\",\"keys\":[\"n\"],"
		   "\"args\":[\"1\",\"0\"],\"exptime\":0,\"status\":\"NO_ERROR\",\"error\":null,"
		   "\"result\":42,\"req_bytes\":45,\"resp_bytes\":32,\"truncated\":false}")
		EV(11000, 12000, "{\"command\":\"get\",\"protocol\":\"binary\",\"keys\":[\"zz\"],\"args\":[],"
		   "\"status\":\"KEY_NOT_FOUND\",\"error\":\"Not found\",\"values\":[],"
		   "\"hits\":0,\"misses\":1,\"req_bytes\":26,\"resp_bytes\":33,\"truncated\":false}")
		EV(13000, 14000, "{\"command\":\"stat\",\"protocol\":\"binary\",\"keys\":[],\"args\":[],"
		   "\"status\":\"NO_ERROR\",\"error\":null,"
		   "\"result\":{\"pid\":\"42\",\"threads\":\"4\"},"
		   "\"req_bytes\":24,\"resp_bytes\":85,\"truncated\":false}") },

	/* --show-secrets: SASL's value as sent. */
	{ .name = "test_binary_sasl_shown", .body = 64, .secrets = true,
	  SEGS(
		PD_OUT(1000, REQ("\x21", "\x05", "\x00", "\x0f", "\x09") "PLAIN" "\0user\0pass"),
		PD_IN(2000, RESP("\x21", "\x00", "\x00", "\x08", "\x00", "\x09", "\x00"))),
	  .expect =
		EV(1000, 2000, "{\"command\":\"sasl_auth\",\"protocol\":\"binary\",\"keys\":[\"PLAIN\"],"
		   "\"args\":[],\"value_bytes\":10,\"value\":\"\\u0000user\\u0000pass\","
		   "\"status\":\"AUTH_ERROR\",\"error\":\"AUTH_ERROR\",\"req_bytes\":39,"
		   "\"resp_bytes\":24,\"truncated\":false}") },
};

/* Bytes lost inside a value: absorbed, the event incomplete and cut. */
static void test_gap_in_value(void **state)
{
	static const struct pd_seg segs[] = {
		PD_OUT(1000, "set k 0 0 10\r\n012"),
		PD_GAP_(ADI_DIR_OUT, 4),
		PD_OUT(1500, "789\r\n"),
		PD_IN(2000, "STORED\r\n"),
	};
	struct pd_case c = { .name = __func__, .proto = &adi_proto_memcached, .segs = segs,
			     .nsegs = PD_NSEG(segs), .cfg = { .body_bytes = 64, .rows_sample = 5 } };

	(void)state;
	pd_check_fixture(&c,
		EV(1000, 2000, "{\"command\":\"set\",\"protocol\":\"text\",\"keys\":[\"k\"],\"args\":[],"
		   "\"flags\":0,\"exptime\":0,\"value_bytes\":10,\"value\":\"012\","
		   "\"status\":\"STORED\",\"error\":null,\"req_bytes\":26,\"resp_bytes\":8,"
		   "\"truncated\":true,\"incomplete\":true}"));
}

struct sniff_case {
	const char *what;
	const char *b;
	size_t n;
	enum adi_dir dir;
	int server;
	uint16_t port;
	int want;
};

#define SN(w, s, d, srv, port, want) { (w), (s), sizeof(s) - 1, (d), (srv), (port), (want) }

/* sniff()'s thresholds (memcached.c) on each kind of opening. */
static void test_sniff(void **state)
{
	static const struct sniff_case cases[] = {
		SN("storage command", "set k 0 0 5\r\n", ADI_DIR_OUT, 0, 12345, 90),
		SN("storage command on 11211", "set k 0 0 5\r\n", ADI_DIR_OUT, 0, 11211, 100),
		SN("get", "get foo bar\r\n", ADI_DIR_OUT, 0, 12345, 75),
		SN("get read by a server", "get foo\r\n", ADI_DIR_IN, 1, 11211, 90),
		SN("stats", "stats\r\n", ADI_DIR_OUT, 0, 12345, 55),
		SN("stats on 11211", "stats\r\n", ADI_DIR_OUT, 0, 11211, 70),
		SN("storage without its numbers", "set k v\r\n", ADI_DIR_OUT, 0, 12345, 0),
		SN("prefix", "ge", ADI_DIR_OUT, 0, 12345, -1),
		SN("no line end yet", "get foo", ADI_DIR_OUT, 0, 12345, -1),
		SN("reply", "STORED\r\n", ADI_DIR_IN, 0, 12345, 50),
		SN("reply on 11211", "VALUE k 0 1\r\n", ADI_DIR_IN, 0, 11211, 65),
		SN("binary get", "\x80\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01"
		   "\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00k", ADI_DIR_OUT, 0, 12345, 90),
		SN("binary header cut", "\x80\x00\x00\x01", ADI_DIR_OUT, 0, 12345, -1),
		SN("binary, unknown opcode", "\x80\x7f\x00\x01", ADI_DIR_OUT, 0, 12345, 0),
		SN("redis inline", "PING\r\n", ADI_DIR_OUT, 0, 6379, 0),
		SN("http", "GET / HTTP/1.1\r\n\r\n", ADI_DIR_OUT, 0, 80, 0),
		SN("text", "hello world, this is text\n", ADI_DIR_OUT, 0, 9999, 0),
		SN("smtp", "220 mail.example.com ESMTP\r\n", ADI_DIR_IN, 0, 25, 0),
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct sniff_case *k = &cases[i];
		struct adi_sniff_ctx c = {
			.dir = k->dir, .server_side = k->server,
			.local_port = k->server ? k->port : 40000,
			.remote_port = k->server ? 40000 : k->port,
		};
		int got = adi_proto_memcached.sniff((const uint8_t *)k->b, k->n, &c);

		if (got != k->want) {
			print_error("%s: %d, want %d\n", k->what, got, k->want);
			fail();
		}
	}
}

int main(void)
{
	static const struct CMUnitTest more[] = {
		cmocka_unit_test(test_gap_in_value),
		cmocka_unit_test(test_sniff),
	};
	enum { NF = sizeof(fixtures) / sizeof(fixtures[0]), NM = sizeof(more) / sizeof(more[0]) };
	struct CMUnitTest tests[NF + NM];

	for (size_t i = 0; i < NF; i++)
		tests[i] = (struct CMUnitTest){ .name = fixtures[i].name, .test_func = run_fixture,
						.initial_state = (void *)(uintptr_t)&fixtures[i] };
	memcpy(tests + NF, more, sizeof(more));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
