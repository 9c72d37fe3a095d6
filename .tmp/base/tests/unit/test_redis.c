/* test_redis.c - unit tests of the Redis decoder (src/proto/redis/). Each
 * fixture is a list of byte segments (direction, timestamp), gaps and ends
 * of direction written by hand from the RESP specification
 * (https://redis.io/docs/latest/develop/reference/protocol-spec/), a row
 * of fixtures[] with its options and expected events, driven
 * through the decoder by the shared driver (tests/support/pdrive.h) and
 * through the real engine; the events ("ts_start ts_end kind json" lines)
 * are compared with hand-written expectations following docs/events.md. Every
 * fixture is also fed in 1-byte pieces and split at every offset, and must
 * give the same text; fixtures over 64 KiB use a few cuts instead. Wire
 * sizes (req_bytes, resp_bytes) are the lengths of the fixture strings.
 * With ADI_SEED_DIR=<dir> the fixtures are also written there as seeds of
 * fuzz/fuzz_redis.c ("redis-<test name>").
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
#include <cmocka.h>

#include "pdrive.h"
#include "proto/proto.h"
#include "proto/redis.h"

/* A pd_case of segs in a test function named for it (the seed's name). */
#define FIX(segs_, body_, secrets_, server_) \
	{ .name = __func__, .proto = &adi_proto_redis, .segs = (segs_), \
	  .nsegs = PD_NSEG(segs_), \
	  .cfg = { .body_bytes = (body_), .rows_sample = 5, .show_secrets = (secrets_) }, \
	  .server = (server_) }

/* One expected event line. */
#define EV(ts, te, json) #ts " " #te " redis_command " json "\n"

/* A fixture: the bytes of one connection and the events they must give,
 * checked by pd_check_fixture (whole, in 1-byte pieces, split at every
 * offset and through the engine). name is the test's (and its seed's). */
struct rd_fixture {
	const char *name;
	unsigned body;          /* --body-bytes */
	bool secrets;           /* --show-secrets */
	bool server;            /* the traced task is the server */
	bool driver_only;       /* not through the engine (pdrive.h) */
	const struct pd_seg *segs;
	size_t nsegs;
	const char *expect;
};

/* The segments of a fixture, in order. */
#define SEGS(...) .segs = (const struct pd_seg[]){ __VA_ARGS__ }, \
	.nsegs = sizeof((const struct pd_seg[]){ __VA_ARGS__ }) / sizeof(struct pd_seg)

static void run_fixture(void **state)
{
	const struct rd_fixture *f = *state;
	struct pd_case fx = {
		.name = f->name, .proto = &adi_proto_redis, .segs = f->segs, .nsegs = f->nsegs,
		.cfg = { .body_bytes = f->body, .rows_sample = 5, .show_secrets = f->secrets },
		.server = f->server, .driver_only = f->driver_only,
	};

	pd_check_fixture(&fx, f->expect);
}

#define X100 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" \
	     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
#define A8 "*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n"

#define AUTH_SEGS \
	PD_OUT(1000, "*2\r\n$4\r\nAUTH\r\n$6\r\ns3cret\r\n"), \
	PD_IN(2000, "+OK\r\n"), \
	PD_OUT(3000, "*3\r\n$4\r\nAUTH\r\n$5\r\nalice\r\n$6\r\ns3cret\r\n"), \
	PD_IN(4000, "+OK\r\n"), \
	PD_OUT(5000, "*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$10\r\nmasterauth\r\n"), \
	PD_IN(6000, "*2\r\n$10\r\nmasterauth\r\n$3\r\nabc\r\n"), \
	PD_OUT(7000, "*7\r\n$5\r\nHELLO\r\n$1\r\n3\r\n$4\r\nAUTH\r\n$5\r\nalice\r\n" \
		     "$6\r\ns3cret\r\n$7\r\nSETNAME\r\n$3\r\napp\r\n"), \
	PD_IN(8000, "%1\r\n$5\r\nproto\r\n:3\r\n"), \
	PD_OUT(9000, "*6\r\n$6\r\nCONFIG\r\n$3\r\nSET\r\n$11\r\nrequirepass\r\n$2\r\npw\r\n" \
		     "$9\r\nmaxmemory\r\n$3\r\n1mb\r\n"), \
	PD_IN(10000, "+OK\r\n"), \
	PD_OUT(11000, "*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$11\r\nrequirepass\r\n"), \
	PD_IN(12000, "%1\r\n$11\r\nrequirepass\r\n$2\r\npw\r\n"), \
	PD_OUT(13000, "*9\r\n$7\r\nMIGRATE\r\n$1\r\nh\r\n$4\r\n6379\r\n$1\r\nk\r\n$1\r\n0\r\n" \
		      "$4\r\n5000\r\n$5\r\nAUTH2\r\n$1\r\nu\r\n$2\r\npw\r\n"), \
	PD_IN(14000, "+NOKEY\r\n"), \
	PD_OUT(15000, "*6\r\n$3\r\nACL\r\n$7\r\nSETUSER\r\n$3\r\nbob\r\n$2\r\non\r\n" \
		      "$3\r\n>pw\r\n$2\r\n~*\r\n"), \
	PD_IN(16000, "+OK\r\n"), \
	PD_OUT(17000, "AUTH s3cret\r\n"), \
	PD_IN(18000, "+OK\r\n")

/* The text of the AUTH_SEGS events, with s1..s5 standing for the secrets
 * (s3cret, abc, s3cret, pw, pw, pw, >pw, s3cret). */
#define AUTH_EXPECT(s1, s2, s3, s4, s5, s6, s7, s8) \
	EV(1000, 2000, "{\"command\":\"AUTH\",\"args\":[\"" s1 "\"],\"reply\":\"OK\"," \
	   "\"error\":null,\"req_bytes\":26,\"resp_bytes\":5,\"truncated\":false}") \
	EV(3000, 4000, "{\"command\":\"AUTH\",\"args\":[\"alice\",\"" s1 "\"],\"reply\":\"OK\"," \
	   "\"error\":null,\"req_bytes\":37,\"resp_bytes\":5,\"truncated\":false}") \
	EV(5000, 6000, "{\"command\":\"CONFIG GET\",\"args\":[\"masterauth\"]," \
	   "\"reply\":[\"masterauth\",\"" s2 "\"]," \
	   "\"error\":null,\"req_bytes\":42,\"resp_bytes\":30,\"truncated\":false}") \
	EV(7000, 8000, "{\"command\":\"HELLO\",\"args\":[\"3\",\"AUTH\",\"alice\",\"" s3 "\"," \
	   "\"SETNAME\",\"app\"],\"reply\":{\"proto\":3}," \
	   "\"error\":null,\"req_bytes\":77,\"resp_bytes\":19,\"truncated\":false}") \
	EV(9000, 10000, "{\"command\":\"CONFIG SET\",\"args\":[\"requirepass\",\"" s4 "\"," \
	   "\"maxmemory\",\"1mb\"],\"reply\":\"OK\"," \
	   "\"error\":null,\"req_bytes\":75,\"resp_bytes\":5,\"truncated\":false}") \
	EV(11000, 12000, "{\"command\":\"CONFIG GET\",\"args\":[\"requirepass\"]," \
	   "\"reply\":{\"requirepass\":\"" s5 "\"}," \
	   "\"error\":null,\"req_bytes\":43,\"resp_bytes\":30,\"truncated\":false}") \
	EV(13000, 14000, "{\"command\":\"MIGRATE\",\"args\":[\"h\",\"6379\",\"k\",\"0\",\"5000\"," \
	   "\"AUTH2\",\"u\",\"" s6 "\"],\"reply\":\"NOKEY\"," \
	   "\"error\":null,\"req_bytes\":84,\"resp_bytes\":8,\"truncated\":false}") \
	EV(15000, 16000, "{\"command\":\"ACL SETUSER\",\"args\":[\"bob\",\"on\",\"" s7 "\",\"~*\"]," \
	   "\"reply\":\"OK\"," \
	   "\"error\":null,\"req_bytes\":60,\"resp_bytes\":5,\"truncated\":false}") \
	EV(17000, 18000, "{\"command\":\"AUTH\",\"args\":[\"" s8 "\"],\"reply\":\"OK\"," \
	   "\"error\":null,\"req_bytes\":13,\"resp_bytes\":5,\"truncated\":false}")

#define RED "<redacted>"

static const struct rd_fixture fixtures[] = {
	/* ---- RESP2 and RESP3 values ---- */

	/* Every RESP2 type: simple string, error, integer, bulk, empty bulk, null
	 * bulk, nested arrays with a null and an empty one, null array; a binary
	 * argument is written base64. */
	{ .name = "test_resp2_types", .body = 64,
	  SEGS(
		PD_OUT(1000, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n"),
		PD_IN(2000, "+OK\r\n"),
		PD_OUT(3000, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"),
		PD_IN(4000, "$5\r\nhello\r\n"),
		PD_OUT(5000, "*2\r\n$3\r\nGET\r\n$7\r\nmissing\r\n"),
		PD_IN(6000, "$-1\r\n"),
		PD_OUT(7000, "*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n"),
		PD_IN(8000, ":42\r\n"),
		PD_OUT(9000, "*3\r\n$5\r\nLPUSH\r\n$1\r\nk\r\n$1\r\nx\r\n"),
		PD_IN(10000, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
		PD_OUT(11000, "*3\r\n$4\r\nEVAL\r\n$6\r\nreturn\r\n$1\r\n0\r\n"),
		PD_IN(12000, "*3\r\n$1\r\na\r\n*2\r\n:-1\r\n$-1\r\n*0\r\n"),
		PD_OUT(13000, "*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n1\r\n"),
		PD_IN(14000, "*-1\r\n"),
		PD_OUT(15000, "*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$2\r\n\xff\xfe\r\n"),
		PD_IN(16000, "+OK\r\n"),
		PD_OUT(17000, "*2\r\n$3\r\nGET\r\n$1\r\ne\r\n"),
		PD_IN(18000, "$0\r\n\r\n")),
	  .expect =
		EV(1000, 2000, "{\"command\":\"SET\",\"args\":[\"k\",\"hello\"],\"reply\":\"OK\","
		   "\"error\":null,\"req_bytes\":31,\"resp_bytes\":5,\"truncated\":false}")
		EV(3000, 4000, "{\"command\":\"GET\",\"args\":[\"k\"],\"reply\":\"hello\","
		   "\"error\":null,\"req_bytes\":20,\"resp_bytes\":11,\"truncated\":false}")
		EV(5000, 6000, "{\"command\":\"GET\",\"args\":[\"missing\"],\"reply\":null,"
		   "\"error\":null,\"req_bytes\":26,\"resp_bytes\":5,\"truncated\":false}")
		EV(7000, 8000, "{\"command\":\"INCR\",\"args\":[\"n\"],\"reply\":42,"
		   "\"error\":null,\"req_bytes\":21,\"resp_bytes\":5,\"truncated\":false}")
		EV(9000, 10000, "{\"command\":\"LPUSH\",\"args\":[\"k\",\"x\"],\"reply\":{\"error\":"
		   "\"WRONGTYPE Operation against a key holding the wrong kind of value\"},"
		   "\"error\":\"WRONGTYPE Operation against a key holding the wrong kind of value\","
		   "\"req_bytes\":29,\"resp_bytes\":68,\"truncated\":false}")
		EV(11000, 12000, "{\"command\":\"EVAL\",\"args\":[\"return\",\"0\"],"
		   "\"reply\":[\"a\",[-1,null],[]],\"error\":null,\"req_bytes\":33,"
		   "\"resp_bytes\":29,\"truncated\":false}")
		EV(13000, 14000, "{\"command\":\"BLPOP\",\"args\":[\"q\",\"1\"],\"reply\":null,"
		   "\"error\":null,\"req_bytes\":29,\"resp_bytes\":5,\"truncated\":false}")
		EV(15000, 16000, "{\"command\":\"SET\",\"args\":[\"b\",\"base64://4=\"],\"reply\":\"OK\","
		   "\"error\":null,\"req_bytes\":28,\"resp_bytes\":5,\"truncated\":false}")
		EV(17000, 18000, "{\"command\":\"GET\",\"args\":[\"e\"],\"reply\":\"\","
		   "\"error\":null,\"req_bytes\":20,\"resp_bytes\":6,\"truncated\":false}") },

	/* HELLO 3, then every RESP3 type: boolean, null, doubles (inf as a
	 * string), big number (a string), bulk error, verbatim string (its "txt:"
	 * dropped), set, a map with non-string keys, a push before a reply, an
	 * attribute before a reply (attributes, not paired on their own) and one
	 * inside an aggregate. */
	{ .name = "test_resp3_types", .body = 64,
	  SEGS(
		PD_OUT(1000, "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n"),
		PD_IN(2000, "%2\r\n$6\r\nserver\r\n$5\r\nredis\r\n$5\r\nproto\r\n:3\r\n"),
		PD_OUT(3000, "*2\r\n$6\r\nEXISTS\r\n$1\r\nk\r\n"),
		PD_IN(4000, "#t\r\n"),
		PD_OUT(5000, "*2\r\n$3\r\nGET\r\n$1\r\nz\r\n"),
		PD_IN(6000, "_\r\n"),
		PD_OUT(7000, "*3\r\n$6\r\nZSCORE\r\n$1\r\nz\r\n$1\r\nm\r\n"),
		PD_IN(8000, ",3.14\r\n"),
		PD_OUT(9000, "*3\r\n$6\r\nZSCORE\r\n$1\r\nz\r\n$1\r\nm\r\n"),
		PD_IN(10000, ",-inf\r\n"),
		PD_OUT(11000, "*1\r\n$6\r\nBIGNUM\r\n"),
		PD_IN(12000, "(3492890328409238509324850943850943825024385\r\n"),
		PD_OUT(13000, "*2\r\n$3\r\nSET\r\n$1\r\nx\r\n"),
		PD_IN(14000, "!21\r\nSYNTAX invalid syntax\r\n"),
		PD_OUT(15000, "*2\r\n$7\r\nLATENCY\r\n$6\r\nDOCTOR\r\n"),
		PD_IN(16000, "=15\r\ntxt:Some string\r\n"),
		PD_OUT(17000, "*2\r\n$8\r\nSMEMBERS\r\n$1\r\ns\r\n"),
		PD_IN(18000, "~3\r\n+a\r\n,1.5e3\r\n,10\r\n"),
		PD_OUT(19000, "*1\r\n$4\r\nODDS\r\n"),
		PD_IN(20000, "%2\r\n:1\r\n+one\r\n#f\r\n_\r\n"),
		PD_OUT(21000, "*3\r\n$4\r\nMGET\r\n$1\r\na\r\n$1\r\nb\r\n"),
		PD_IN(22000, ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\na\r\n"
				     "|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n"
				     ",0.0012\r\n*2\r\n:2039123\r\n:9543892\r\n"),
		PD_OUT(23000, "*1\r\n$4\r\nATTR\r\n"),
		PD_IN(24000, "*2\r\n|1\r\n+ttl\r\n:3600\r\n$1\r\nx\r\n:2\r\n")),
	  .expect =
		EV(1000, 2000, "{\"command\":\"HELLO\",\"args\":[\"3\"],"
		   "\"reply\":{\"server\":\"redis\",\"proto\":3},\"error\":null,"
		   "\"req_bytes\":22,\"resp_bytes\":42,\"truncated\":false}")
		EV(3000, 4000, "{\"command\":\"EXISTS\",\"args\":[\"k\"],\"reply\":true,"
		   "\"error\":null,\"req_bytes\":23,\"resp_bytes\":4,\"truncated\":false}")
		EV(5000, 6000, "{\"command\":\"GET\",\"args\":[\"z\"],\"reply\":null,"
		   "\"error\":null,\"req_bytes\":20,\"resp_bytes\":3,\"truncated\":false}")
		EV(7000, 8000, "{\"command\":\"ZSCORE\",\"args\":[\"z\",\"m\"],\"reply\":3.14,"
		   "\"error\":null,\"req_bytes\":30,\"resp_bytes\":7,\"truncated\":false}")
		EV(9000, 10000, "{\"command\":\"ZSCORE\",\"args\":[\"z\",\"m\"],\"reply\":\"-inf\","
		   "\"error\":null,\"req_bytes\":30,\"resp_bytes\":7,\"truncated\":false}")
		EV(11000, 12000, "{\"command\":\"BIGNUM\",\"args\":[],"
		   "\"reply\":\"3492890328409238509324850943850943825024385\","
		   "\"error\":null,\"req_bytes\":16,\"resp_bytes\":46,\"truncated\":false}")
		EV(13000, 14000, "{\"command\":\"SET\",\"args\":[\"x\"],"
		   "\"reply\":{\"error\":\"SYNTAX invalid syntax\"},"
		   "\"error\":\"SYNTAX invalid syntax\",\"req_bytes\":20,\"resp_bytes\":28,"
		   "\"truncated\":false}")
		EV(15000, 16000, "{\"command\":\"LATENCY DOCTOR\",\"args\":[],\"reply\":\"Some string\","
		   "\"error\":null,\"req_bytes\":29,\"resp_bytes\":22,\"truncated\":false}")
		EV(17000, 18000, "{\"command\":\"SMEMBERS\",\"args\":[\"s\"],"
		   "\"reply\":[\"a\",1500.0,10.0],"
		   "\"error\":null,\"req_bytes\":25,\"resp_bytes\":21,\"truncated\":false}")
		EV(19000, 20000, "{\"command\":\"ODDS\",\"args\":[],"
		   "\"reply\":{\"1\":\"one\",\"false\":null},"
		   "\"error\":null,\"req_bytes\":14,\"resp_bytes\":21,\"truncated\":false}")
		EV(22000, 22000, "{\"command\":null,\"args\":[],\"reply\":[\"invalidate\",[\"a\"]],"
		   "\"error\":null,\"req_bytes\":0,\"resp_bytes\":32,\"truncated\":false,"
		   "\"push\":true}")
		EV(21000, 22000, "{\"command\":\"MGET\",\"args\":[\"a\",\"b\"],"
		   "\"reply\":[2039123,9543892],\"error\":null,\"req_bytes\":28,"
		   "\"resp_bytes\":81,\"truncated\":false,"
		   "\"attributes\":{\"key-popularity\":{\"a\":0.192,\"b\":0.001}}}")
		EV(23000, 24000, "{\"command\":\"ATTR\",\"args\":[],\"reply\":[\"x\",2],"
		   "\"error\":null,\"req_bytes\":14,\"resp_bytes\":32,\"truncated\":false,"
		   "\"attributes\":{\"ttl\":3600}}") },

	/* Inline commands as a person types them: upper and lower case, quotes
	 * (sdssplitargs rules: "..." with \xHH and \n, '...' with \'), an empty
	 * line (ignored), a bare LF. */
	{ .name = "test_inline", .body = 64,
	  SEGS(
		PD_OUT(1000, "PING\r\n"),
		PD_IN(2000, "+PONG\r\n"),
		PD_OUT(3000, "set k \"hello world\"\r\n"),
		PD_IN(4000, "+OK\r\n"),
		PD_OUT(5000, "\r\nGET k\n"),
		PD_IN(6000, "$11\r\nhello world\r\n"),
		PD_OUT(7000, "ECHO 'it\\'s' \"\\x41\\n\"\r\n"),
		PD_IN(8000, "*2\r\n$4\r\nit's\r\n$2\r\nA\n\r\n")),
	  .expect =
		EV(1000, 2000, "{\"command\":\"PING\",\"args\":[],\"reply\":\"PONG\","
		   "\"error\":null,\"req_bytes\":6,\"resp_bytes\":7,\"truncated\":false}")
		EV(3000, 4000, "{\"command\":\"SET\",\"args\":[\"k\",\"hello world\"],\"reply\":\"OK\","
		   "\"error\":null,\"req_bytes\":21,\"resp_bytes\":5,\"truncated\":false}")
		EV(5000, 6000, "{\"command\":\"GET\",\"args\":[\"k\"],\"reply\":\"hello world\","
		   "\"error\":null,\"req_bytes\":6,\"resp_bytes\":18,\"truncated\":false}")
		EV(7000, 8000, "{\"command\":\"ECHO\",\"args\":[\"it's\",\"A\\n\"],"
		   "\"reply\":[\"it's\",\"A\\n\"],"
		   "\"error\":null,\"req_bytes\":23,\"resp_bytes\":22,\"truncated\":false}") },

	/* ---- pairing ---- */

	/* Three commands in one write, their replies in two: three events, in
	 * order, each from the write's time to its own reply's. */
	{ .name = "test_pipelining", .body = 64,
	  SEGS(
		PD_OUT(1000, "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n"
				     "*2\r\n$4\r\nINCR\r\n$1\r\na\r\n"
				     "*2\r\n$3\r\nGET\r\n$1\r\na\r\n"),
		PD_IN(2000, "+OK\r\n:2\r\n"),
		PD_IN(3000, "$1\r\n2\r\n")),
	  .expect =
		EV(1000, 2000, "{\"command\":\"SET\",\"args\":[\"a\",\"1\"],\"reply\":\"OK\","
		   "\"error\":null,\"req_bytes\":27,\"resp_bytes\":5,\"truncated\":false}")
		EV(1000, 2000, "{\"command\":\"INCR\",\"args\":[\"a\"],\"reply\":2,"
		   "\"error\":null,\"req_bytes\":21,\"resp_bytes\":4,\"truncated\":false}")
		EV(1000, 3000, "{\"command\":\"GET\",\"args\":[\"a\"],\"reply\":\"2\","
		   "\"error\":null,\"req_bytes\":20,\"resp_bytes\":7,\"truncated\":false}") },

	/* MULTI / EXEC one command at a time: each queued command gets its
	 * +QUEUED, EXEC the array of results. Then a transaction pipelined in one
	 * write with an unknown command: its error, and EXEC's EXECABORT. */
	{ .name = "test_multi_exec", .body = 64,
	  SEGS(
		PD_OUT(1000, "*1\r\n$5\r\nMULTI\r\n"),
		PD_IN(2000, "+OK\r\n"),
		PD_OUT(3000, "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n"),
		PD_IN(4000, "+QUEUED\r\n"),
		PD_OUT(5000, "*2\r\n$4\r\nINCR\r\n$1\r\na\r\n"),
		PD_IN(6000, "+QUEUED\r\n"),
		PD_OUT(7000, "*1\r\n$4\r\nEXEC\r\n"),
		PD_IN(8000, "*2\r\n+OK\r\n:2\r\n"),
		PD_OUT(9000, "*1\r\n$5\r\nMULTI\r\n*1\r\n$3\r\nFOO\r\n"
				     "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*1\r\n$4\r\nEXEC\r\n"),
		PD_IN(10000, "+OK\r\n-ERR unknown command 'FOO', with args beginning: \r\n"
				     "+QUEUED\r\n"
				     "-EXECABORT Transaction discarded because of previous errors.\r\n")),
	  .expect =
		EV(1000, 2000, "{\"command\":\"MULTI\",\"args\":[],\"reply\":\"OK\","
		   "\"error\":null,\"req_bytes\":15,\"resp_bytes\":5,\"truncated\":false}")
		EV(3000, 4000, "{\"command\":\"SET\",\"args\":[\"a\",\"1\"],\"reply\":\"QUEUED\","
		   "\"error\":null,\"req_bytes\":27,\"resp_bytes\":9,\"truncated\":false}")
		EV(5000, 6000, "{\"command\":\"INCR\",\"args\":[\"a\"],\"reply\":\"QUEUED\","
		   "\"error\":null,\"req_bytes\":21,\"resp_bytes\":9,\"truncated\":false}")
		EV(7000, 8000, "{\"command\":\"EXEC\",\"args\":[],\"reply\":[\"OK\",2],"
		   "\"error\":null,\"req_bytes\":14,\"resp_bytes\":13,\"truncated\":false}")
		EV(9000, 10000, "{\"command\":\"MULTI\",\"args\":[],\"reply\":\"OK\","
		   "\"error\":null,\"req_bytes\":15,\"resp_bytes\":5,\"truncated\":false}")
		EV(9000, 10000, "{\"command\":\"FOO\",\"args\":[],\"reply\":{\"error\":"
		   "\"ERR unknown command 'FOO', with args beginning: \"},"
		   "\"error\":\"ERR unknown command 'FOO', with args beginning: \","
		   "\"req_bytes\":13,\"resp_bytes\":51,\"truncated\":false}")
		EV(9000, 10000, "{\"command\":\"SET\",\"args\":[\"a\",\"1\"],\"reply\":\"QUEUED\","
		   "\"error\":null,\"req_bytes\":27,\"resp_bytes\":9,\"truncated\":false}")
		EV(9000, 10000, "{\"command\":\"EXEC\",\"args\":[],\"reply\":{\"error\":"
		   "\"EXECABORT Transaction discarded because of previous errors.\"},"
		   "\"error\":\"EXECABORT Transaction discarded because of previous errors.\","
		   "\"req_bytes\":14,\"resp_bytes\":62,\"truncated\":false}") },

	/* RESP2 pub/sub: SUBSCRIBE a b gets its two confirmations as one array
	 * reply (a message pushed between them is its own event); PSUBSCRIBE;
	 * pmessage; PING in subscribed mode (["pong", ""]); UNSUBSCRIBE without
	 * arguments ends when no channel is left (counts: 2 channels + 1 pattern);
	 * PUNSUBSCRIBE; then, no longer subscribed, an array starting "message" is
	 * a plain reply. */
	{ .name = "test_pubsub_resp2", .body = 64,
	  SEGS(
		PD_OUT(1000, "*3\r\n$9\r\nSUBSCRIBE\r\n$1\r\na\r\n$1\r\nb\r\n"),
		PD_IN(2000, "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n"),
		PD_IN(3000, "*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nhi\r\n"),
		PD_IN(4000, "*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n"),
		PD_OUT(5000, "*2\r\n$10\r\nPSUBSCRIBE\r\n$2\r\nh*\r\n"),
		PD_IN(6000, "*3\r\n$10\r\npsubscribe\r\n$2\r\nh*\r\n:3\r\n"),
		PD_IN(7000, "*4\r\n$8\r\npmessage\r\n$2\r\nh*\r\n$2\r\nhx\r\n$1\r\nx\r\n"),
		PD_OUT(8000, "*1\r\n$4\r\nPING\r\n"),
		PD_IN(9000, "*2\r\n$4\r\npong\r\n$0\r\n\r\n"),
		PD_OUT(10000, "*1\r\n$11\r\nUNSUBSCRIBE\r\n"),
		PD_IN(11000, "*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:2\r\n"
				     "*3\r\n$11\r\nunsubscribe\r\n$1\r\nb\r\n:1\r\n"),
		PD_OUT(12000, "*1\r\n$12\r\nPUNSUBSCRIBE\r\n"),
		PD_IN(13000, "*3\r\n$12\r\npunsubscribe\r\n$2\r\nh*\r\n:0\r\n"),
		PD_OUT(14000, "*4\r\n$6\r\nLRANGE\r\n$1\r\nl\r\n$1\r\n0\r\n$2\r\n-1\r\n"),
		PD_IN(15000, "*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$1\r\nb\r\n")),
	  .expect =
		EV(3000, 3000, "{\"command\":null,\"args\":[],\"reply\":[\"message\",\"a\",\"hi\"],"
		   "\"error\":null,\"req_bytes\":0,\"resp_bytes\":32,\"truncated\":false,"
		   "\"push\":true}")
		EV(1000, 4000, "{\"command\":\"SUBSCRIBE\",\"args\":[\"a\",\"b\"],"
		   "\"reply\":[[\"subscribe\",\"a\",1],[\"subscribe\",\"b\",2]],"
		   "\"error\":null,\"req_bytes\":33,\"resp_bytes\":60,\"truncated\":false}")
		EV(5000, 6000, "{\"command\":\"PSUBSCRIBE\",\"args\":[\"h*\"],"
		   "\"reply\":[[\"psubscribe\",\"h*\",3]],"
		   "\"error\":null,\"req_bytes\":29,\"resp_bytes\":33,\"truncated\":false}")
		EV(7000, 7000, "{\"command\":null,\"args\":[],"
		   "\"reply\":[\"pmessage\",\"h*\",\"hx\",\"x\"],"
		   "\"error\":null,\"req_bytes\":0,\"resp_bytes\":41,\"truncated\":false,"
		   "\"push\":true}")
		EV(8000, 9000, "{\"command\":\"PING\",\"args\":[],\"reply\":[\"pong\",\"\"],"
		   "\"error\":null,\"req_bytes\":14,\"resp_bytes\":20,\"truncated\":false}")
		EV(10000, 11000, "{\"command\":\"UNSUBSCRIBE\",\"args\":[],"
		   "\"reply\":[[\"unsubscribe\",\"a\",2],[\"unsubscribe\",\"b\",1]],"
		   "\"error\":null,\"req_bytes\":22,\"resp_bytes\":66,\"truncated\":false}")
		EV(12000, 13000, "{\"command\":\"PUNSUBSCRIBE\",\"args\":[],"
		   "\"reply\":[[\"punsubscribe\",\"h*\",0]],"
		   "\"error\":null,\"req_bytes\":23,\"resp_bytes\":35,\"truncated\":false}")
		EV(14000, 15000, "{\"command\":\"LRANGE\",\"args\":[\"l\",\"0\",\"-1\"],"
		   "\"reply\":[\"message\",\"a\",\"b\"],"
		   "\"error\":null,\"req_bytes\":38,\"resp_bytes\":31,\"truncated\":false}") },

	/* RESP3 pub/sub: after HELLO 3 the confirmation is a push ('>') and pairs
	 * with SUBSCRIBE; a message pushed before GET's reply is its own event;
	 * an array starting "message" is a reply (RESP3 pushes are '>' only). */
	{ .name = "test_pubsub_resp3", .body = 64,
	  SEGS(
		PD_OUT(1000, "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n"),
		PD_IN(2000, "%1\r\n$5\r\nproto\r\n:3\r\n"),
		PD_OUT(3000, "*2\r\n$9\r\nSUBSCRIBE\r\n$1\r\na\r\n"),
		PD_IN(4000, ">3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n"),
		PD_OUT(5000, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"),
		PD_IN(6000, ">3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nhi\r\n$1\r\nv\r\n"),
		PD_OUT(7000, "*4\r\n$6\r\nLRANGE\r\n$1\r\nl\r\n$1\r\n0\r\n$2\r\n-1\r\n"),
		PD_IN(8000, "*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$1\r\nb\r\n"),
		PD_OUT(9000, "*2\r\n$11\r\nUNSUBSCRIBE\r\n$1\r\na\r\n"),
		PD_IN(10000, ">3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:0\r\n")),
	  .expect =
		EV(1000, 2000, "{\"command\":\"HELLO\",\"args\":[\"3\"],\"reply\":{\"proto\":3},"
		   "\"error\":null,\"req_bytes\":22,\"resp_bytes\":19,\"truncated\":false}")
		EV(3000, 4000, "{\"command\":\"SUBSCRIBE\",\"args\":[\"a\"],"
		   "\"reply\":[[\"subscribe\",\"a\",1]],"
		   "\"error\":null,\"req_bytes\":26,\"resp_bytes\":30,\"truncated\":false}")
		EV(6000, 6000, "{\"command\":null,\"args\":[],\"reply\":[\"message\",\"a\",\"hi\"],"
		   "\"error\":null,\"req_bytes\":0,\"resp_bytes\":32,\"truncated\":false,"
		   "\"push\":true}")
		EV(5000, 6000, "{\"command\":\"GET\",\"args\":[\"k\"],\"reply\":\"v\","
		   "\"error\":null,\"req_bytes\":20,\"resp_bytes\":7,\"truncated\":false}")
		EV(7000, 8000, "{\"command\":\"LRANGE\",\"args\":[\"l\",\"0\",\"-1\"],"
		   "\"reply\":[\"message\",\"a\",\"b\"],"
		   "\"error\":null,\"req_bytes\":38,\"resp_bytes\":31,\"truncated\":false}")
		EV(9000, 10000, "{\"command\":\"UNSUBSCRIBE\",\"args\":[\"a\"],"
		   "\"reply\":[[\"unsubscribe\",\"a\",0]],"
		   "\"error\":null,\"req_bytes\":29,\"resp_bytes\":33,\"truncated\":false}") },

	/* A blocking BLPOP answered 5 s later: the duration is the real wait. */
	{ .name = "test_blpop", .body = 64,
	  SEGS(
		PD_OUT(1000000000, "*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n"),
		PD_IN(6000000000, "*2\r\n$1\r\nq\r\n$1\r\nx\r\n")),
	  .expect =
		EV(1000000000, 6000000000, "{\"command\":\"BLPOP\",\"args\":[\"q\",\"0\"],"
		   "\"reply\":[\"q\",\"x\"],"
		   "\"error\":null,\"req_bytes\":29,\"resp_bytes\":18,\"truncated\":false}") },

	/* ---- limits ---- */

	/* With --body-bytes 16: a 100-byte argument and a 100-byte reply are cut
	 * to 16 bytes and flagged, the wire sizes are true; a map key (20 bytes)
	 * is kept whole, its value cut. */
	{ .name = "test_big_bulk", .body = 16,
	  SEGS(
		PD_OUT(1000, "*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$100\r\n" X100 "\r\n"),
		PD_IN(2000, "+OK\r\n"),
		PD_OUT(3000, "*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n"),
		PD_IN(4000, "$100\r\n" X100 "\r\n"),
		PD_OUT(5000, "*2\r\n$7\r\nHGETALL\r\n$1\r\nh\r\n"),
		PD_IN(6000, "%1\r\n$20\r\nabcdefghijklmnopqrst\r\n$20\r\nabcdefghijklmnopqrst\r\n")),
	  .expect =
		EV(1000, 2000, "{\"command\":\"SET\",\"args\":[\"big\",\"xxxxxxxxxxxxxxxx\"],"
		   "\"reply\":\"OK\",\"error\":null,\"req_bytes\":130,\"resp_bytes\":5,"
		   "\"truncated\":true}")
		EV(3000, 4000, "{\"command\":\"GET\",\"args\":[\"big\"],\"reply\":\"xxxxxxxxxxxxxxxx\","
		   "\"error\":null,\"req_bytes\":22,\"resp_bytes\":108,\"truncated\":true}")
		EV(5000, 6000, "{\"command\":\"HGETALL\",\"args\":[\"h\"],"
		   "\"reply\":{\"abcdefghijklmnopqrst\":\"abcdefghijklmnop\"},"
		   "\"error\":null,\"req_bytes\":24,\"resp_bytes\":58,\"truncated\":true}") },

	/* Aggregates nested deeper than 32 are not believed: the reply is lost
	 * (its command gets no reply, incomplete), the direction resynced, and
	 * what follows decodes (here the innermost 7 levels, the next reply). */
	{ .name = "test_depth_limit", .body = 64,
	  SEGS(
		PD_OUT(1000, "*1\r\n$4\r\nDEEP\r\n*1\r\n$4\r\nDEEP\r\n"),
		PD_IN(2000, A8 A8 A8 A8 A8 ":1\r\n")),
	  .expect =
		EV(1000, -1, "{\"command\":\"DEEP\",\"args\":[],\"reply\":null,"
		   "\"error\":null,\"req_bytes\":14,\"resp_bytes\":0,\"truncated\":false,"
		   "\"incomplete\":true}")
		EV(1000, 2000, "{\"command\":\"DEEP\",\"args\":[],\"reply\":[[[[[[[1]]]]]]],"
		   "\"error\":null,\"req_bytes\":14,\"resp_bytes\":32,\"truncated\":false}")
		"# skipped out=0 in=4 done out=0 in=0\n" },

	/* ---- secrets, names ---- */

	/* Passwords are redacted: AUTH (the user stays), HELLO ... AUTH, CONFIG SET
	 * and CONFIG GET of requirepass / masterauth (RESP2 array and RESP3 map
	 * replies), MIGRATE AUTH2, ACL SETUSER >pass, an inline AUTH. */
	{ .name = "test_auth_redaction", .body = 64,
	  SEGS(AUTH_SEGS),
	  .expect =
		AUTH_EXPECT(RED, RED, RED, RED, RED, RED, RED, RED) },

	/* The same with --show-secrets: everything as sent. */
	{ .name = "test_show_secrets", .body = 64, .secrets = true,
	  SEGS(AUTH_SEGS),
	  .expect =
		AUTH_EXPECT("s3cret", "abc", "s3cret", "pw", "pw", "pw", ">pw",
				       "s3cret") },

	/* Container commands fold their subcommand, upper case ("config get" ->
	 * "CONFIG GET"); COMMAND alone stays one word; a GET of a key named CLIENT
	 * is no container. Pipelined in one write. */
	{ .name = "test_two_words", .body = 64,
	  SEGS(
		PD_OUT(1000, "*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$3\r\napp\r\n"
				     "*3\r\n$6\r\nconfig\r\n$3\r\nget\r\n$9\r\nmaxmemory\r\n"
				     "*3\r\n$5\r\nXINFO\r\n$6\r\nSTREAM\r\n$1\r\ns\r\n"
				     "*3\r\n$6\r\nOBJECT\r\n$8\r\nENCODING\r\n$1\r\nk\r\n"
				     "*3\r\n$6\r\nSCRIPT\r\n$4\r\nLOAD\r\n$8\r\nreturn 1\r\n"
				     "*3\r\n$6\r\nMEMORY\r\n$5\r\nUSAGE\r\n$1\r\nk\r\n"
				     "*3\r\n$7\r\nCOMMAND\r\n$4\r\nDOCS\r\n$3\r\nget\r\n"
				     "*1\r\n$7\r\nCOMMAND\r\n"
				     "*2\r\n$7\r\nCLUSTER\r\n$4\r\nINFO\r\n"
				     "*2\r\n$3\r\nGET\r\n$6\r\nCLIENT\r\n"),
		PD_IN(2000, "+OK\r\n*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n-ERR no such key\r\n"
				    "$6\r\nembstr\r\n$3\r\nabc\r\n:56\r\n*0\r\n*0\r\n"
				    "-ERR This instance has cluster support disabled\r\n$-1\r\n")),
	  .expect =
		EV(1000, 2000, "{\"command\":\"CLIENT SETNAME\",\"args\":[\"app\"],\"reply\":\"OK\","
		   "\"error\":null,\"req_bytes\":38,\"resp_bytes\":5,\"truncated\":false}")
		EV(1000, 2000, "{\"command\":\"CONFIG GET\",\"args\":[\"maxmemory\"],"
		   "\"reply\":[\"maxmemory\",\"0\"],"
		   "\"error\":null,\"req_bytes\":40,\"resp_bytes\":26,\"truncated\":false}")
		EV(1000, 2000, "{\"command\":\"XINFO STREAM\",\"args\":[\"s\"],"
		   "\"reply\":{\"error\":\"ERR no such key\"},\"error\":\"ERR no such key\","
		   "\"req_bytes\":34,\"resp_bytes\":18,\"truncated\":false}")
		EV(1000, 2000, "{\"command\":\"OBJECT ENCODING\",\"args\":[\"k\"],\"reply\":\"embstr\","
		   "\"error\":null,\"req_bytes\":37,\"resp_bytes\":12,\"truncated\":false}")
		EV(1000, 2000, "{\"command\":\"SCRIPT LOAD\",\"args\":[\"return 1\"],\"reply\":\"abc\","
		   "\"error\":null,\"req_bytes\":40,\"resp_bytes\":9,\"truncated\":false}")
		EV(1000, 2000, "{\"command\":\"MEMORY USAGE\",\"args\":[\"k\"],\"reply\":56,"
		   "\"error\":null,\"req_bytes\":34,\"resp_bytes\":5,\"truncated\":false}")
		EV(1000, 2000, "{\"command\":\"COMMAND DOCS\",\"args\":[\"get\"],\"reply\":[],"
		   "\"error\":null,\"req_bytes\":36,\"resp_bytes\":4,\"truncated\":false}")
		EV(1000, 2000, "{\"command\":\"COMMAND\",\"args\":[],\"reply\":[],"
		   "\"error\":null,\"req_bytes\":17,\"resp_bytes\":4,\"truncated\":false}")
		EV(1000, 2000, "{\"command\":\"CLUSTER INFO\",\"args\":[],"
		   "\"reply\":{\"error\":\"ERR This instance has cluster support disabled\"},"
		   "\"error\":\"ERR This instance has cluster support disabled\","
		   "\"req_bytes\":27,\"resp_bytes\":49,\"truncated\":false}")
		EV(1000, 2000, "{\"command\":\"GET\",\"args\":[\"CLIENT\"],\"reply\":null,"
		   "\"error\":null,\"req_bytes\":25,\"resp_bytes\":5,\"truncated\":false}") },

	/* ---- gaps, garbage, roles, ends ---- */

	/* Gaps inside bulks of known length (10 of a 20-byte argument, 3 of a
	 * 10-byte reply) are absorbed: the bytes before them are kept, the event
	 * is incomplete and truncated, the sizes count the lost bytes. */
	{ .name = "test_gap_in_bulk", .body = 64,
	  SEGS(
		PD_OUT(1000, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$20\r\n01234"),
		PD_GAP_(ADI_DIR_OUT, 10),
		PD_OUT(2000, "56789\r\n"),
		PD_IN(3000, "+OK\r\n"),
		PD_OUT(4000, "*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n"),
		PD_IN(5000, "$10\r\n0123"),
		PD_GAP_(ADI_DIR_IN, 3),
		PD_IN(6000, "789\r\n")),
	  .expect =
		EV(1000, 3000, "{\"command\":\"SET\",\"args\":[\"k\",\"01234\"],\"reply\":\"OK\","
		   "\"error\":null,\"req_bytes\":47,\"resp_bytes\":5,\"truncated\":true,"
		   "\"incomplete\":true}")
		EV(4000, 6000, "{\"command\":\"GET\",\"args\":[\"big\"],\"reply\":\"0123\","
		   "\"error\":null,\"req_bytes\":22,\"resp_bytes\":17,\"truncated\":true,"
		   "\"incomplete\":true}") },

	/* A gap reaching past a bulk ends its command there (incomplete, what came
	 * is shown); the next command must start plausibly, and does; both get
	 * their replies in order. driver_only: the engine times a message a gap
	 * ends at the gap. */
	{ .name = "test_gap_past_bulk", .body = 64, .driver_only = true,
	  SEGS(
		PD_OUT(1000, "*2\r\n$3\r\nGET\r\n$10\r\n01"),
		PD_GAP_(ADI_DIR_OUT, 20),
		PD_OUT(2000, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"),
		PD_IN(3000, "$-1\r\n$1\r\nv\r\n")),
	  .expect =
		EV(1000, 3000, "{\"command\":\"GET\",\"args\":[\"01\"],\"reply\":null,"
		   "\"error\":null,\"req_bytes\":40,\"resp_bytes\":5,\"truncated\":true,"
		   "\"incomplete\":true}")
		EV(2000, 3000, "{\"command\":\"GET\",\"args\":[\"k\"],\"reply\":\"v\","
		   "\"error\":null,\"req_bytes\":20,\"resp_bytes\":7,\"truncated\":false}") },

	/* Garbage before a command (resync to the next "*N\r\n$L\r\nNAME\r\n"),
	 * before a reply (resync to the next type byte with a sane line), an
	 * inline command with unbalanced quotes, and a command broken in its
	 * middle: that one is lost, so the error reply to it is emitted alone and
	 * the next command still gets its own reply. */
	{ .name = "test_garbage_resync", .body = 64,
	  SEGS(
		PD_OUT(1000, "\x00\x01garbage*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"),
		PD_IN(2000, "$1\r\nv\r\n"),
		PD_OUT(3000, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"),
		PD_IN(4000, "?junk\r\n$1\r\nw\r\n"),
		PD_OUT(5000, "SET k \"abc\r\n*1\r\n$4\r\nPING\r\n"),
		PD_IN(6000, "+PONG\r\n"),
		PD_OUT(7000, "*2\r\n$3\r\nGET\r\nX1\r\n*1\r\n$4\r\nPING\r\n"),
		PD_IN(8000, "-ERR Protocol error\r\n+PONG\r\n")),
	  .expect =
		EV(1000, 2000, "{\"command\":\"GET\",\"args\":[\"k\"],\"reply\":\"v\","
		   "\"error\":null,\"req_bytes\":20,\"resp_bytes\":7,\"truncated\":false}")
		EV(3000, 4000, "{\"command\":\"GET\",\"args\":[\"k\"],\"reply\":\"w\","
		   "\"error\":null,\"req_bytes\":20,\"resp_bytes\":7,\"truncated\":false}")
		EV(5000, 6000, "{\"command\":\"PING\",\"args\":[],\"reply\":\"PONG\","
		   "\"error\":null,\"req_bytes\":14,\"resp_bytes\":7,\"truncated\":false}")
		EV(8000, 8000, "{\"command\":null,\"args\":[],"
		   "\"reply\":{\"error\":\"ERR Protocol error\"},\"error\":\"ERR Protocol error\","
		   "\"req_bytes\":0,\"resp_bytes\":21,\"truncated\":false,\"incomplete\":true}")
		EV(7000, 8000, "{\"command\":\"PING\",\"args\":[],\"reply\":\"PONG\","
		   "\"error\":null,\"req_bytes\":14,\"resp_bytes\":7,\"truncated\":false}")
		"# skipped out=25 in=7 done out=0 in=0\n" },

	/* A traced server: commands come in, replies go out. */
	{ .name = "test_server_side", .body = 64, .server = true,
	  SEGS(
		PD_IN(1000, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"),
		PD_OUT(2000, "$1\r\nv\r\n"),
		PD_IN(3000, "PING\r\n"),
		PD_OUT(4000, "+PONG\r\n")),
	  .expect =
		EV(1000, 2000, "{\"command\":\"GET\",\"args\":[\"k\"],\"reply\":\"v\","
		   "\"error\":null,\"req_bytes\":20,\"resp_bytes\":7,\"truncated\":false}")
		EV(3000, 4000, "{\"command\":\"PING\",\"args\":[],\"reply\":\"PONG\","
		   "\"error\":null,\"req_bytes\":6,\"resp_bytes\":7,\"truncated\":false}") },

	/* At the end: an unanswered command, and one cut by the end of the stream
	 * (incomplete, what came of it shown); both without a reply. */
	{ .name = "test_unanswered_and_cut", .body = 64,
	  SEGS(
		PD_OUT(1000, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"),
		PD_OUT(2000, "*2\r\n$3\r\nGET\r\n$5\r\nab"),
		PD_END(ADI_DIR_OUT)),
	  .expect =
		EV(1000, -1, "{\"command\":\"GET\",\"args\":[\"k\"],\"reply\":null,"
		   "\"error\":null,\"req_bytes\":20,\"resp_bytes\":0,\"truncated\":false}")
		EV(2000, -1, "{\"command\":\"GET\",\"args\":[\"ab\"],\"reply\":null,"
		   "\"error\":null,\"req_bytes\":19,\"resp_bytes\":0,\"truncated\":true,"
		   "\"incomplete\":true}") },

	/* CLIENT REPLY SKIP / OFF / ON: commands without replies are emitted at
	 * once with none; MONITOR's lines are pushes. */
	{ .name = "test_reply_modes_monitor", .body = 64,
	  SEGS(
		PD_OUT(1000, "*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$4\r\nSKIP\r\n"
				     "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\n"),
		PD_IN(2000, "$1\r\n1\r\n"),
		PD_OUT(3000, "*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$3\r\nOFF\r\n"
				     "*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n"
				     "*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$2\r\nON\r\n"),
		PD_IN(4000, "+OK\r\n"),
		PD_OUT(5000, "*1\r\n$7\r\nMONITOR\r\n"),
		PD_IN(6000, "+OK\r\n"),
		PD_IN(7000, "+1339518083.107412 [0 127.0.0.1:60866] \"keys\" \"*\"\r\n")),
	  .expect =
		EV(1000, -1, "{\"command\":\"CLIENT REPLY\",\"args\":[\"SKIP\"],\"reply\":null,"
		   "\"error\":null,\"req_bytes\":37,\"resp_bytes\":0,\"truncated\":false}")
		EV(1000, -1, "{\"command\":\"SET\",\"args\":[\"a\",\"1\"],\"reply\":null,"
		   "\"error\":null,\"req_bytes\":27,\"resp_bytes\":0,\"truncated\":false}")
		EV(1000, 2000, "{\"command\":\"GET\",\"args\":[\"a\"],\"reply\":\"1\","
		   "\"error\":null,\"req_bytes\":20,\"resp_bytes\":7,\"truncated\":false}")
		EV(3000, -1, "{\"command\":\"CLIENT REPLY\",\"args\":[\"OFF\"],\"reply\":null,"
		   "\"error\":null,\"req_bytes\":36,\"resp_bytes\":0,\"truncated\":false}")
		EV(3000, -1, "{\"command\":\"SET\",\"args\":[\"b\",\"2\"],\"reply\":null,"
		   "\"error\":null,\"req_bytes\":27,\"resp_bytes\":0,\"truncated\":false}")
		EV(3000, 4000, "{\"command\":\"CLIENT REPLY\",\"args\":[\"ON\"],\"reply\":\"OK\","
		   "\"error\":null,\"req_bytes\":35,\"resp_bytes\":5,\"truncated\":false}")
		EV(5000, 6000, "{\"command\":\"MONITOR\",\"args\":[],\"reply\":\"OK\","
		   "\"error\":null,\"req_bytes\":17,\"resp_bytes\":5,\"truncated\":false}")
		EV(7000, 7000, "{\"command\":null,\"args\":[],"
		   "\"reply\":\"1339518083.107412 [0 127.0.0.1:60866] \\\"keys\\\" \\\"*\\\"\","
		   "\"error\":null,\"req_bytes\":0,\"resp_bytes\":51,\"truncated\":false,"
		   "\"push\":true}") },
};

#undef X100
#undef A8

/* ---- limits beyond a fixture ---- */

/* A 200000-byte value (over ADI_PROTO_LOOKAHEAD) in a SET and in a GET's
 * reply, --body-bytes 64: consumed in pieces, 64 bytes kept, sizes true.
 * Too big to split at every offset: whole, 1- and 3-byte pieces, random
 * pieces, halves, a few cuts, and the engine. */
static void test_bulk_over_lookahead(void **state)
{
	enum { BIG = 200000 };
	static const char head[] = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$200000\r\n";
	static const char rhead[] = "$200000\r\n";
	static const size_t cuts[] = { 1, 10, 30, 100, 65536, 100000, 200031, 200040,
				       200060, 300000, 400060 };
	size_t cn = sizeof(head) - 1 + BIG + 2, rn = sizeof(rhead) - 1 + BIG + 2;
	char *cmd = malloc(cn), *rep = malloc(rn), y64[65];
	const char *expect =
		EV(1000, 2000, "{\"command\":\"SET\",\"args\":[\"k\",\"%s\"],\"reply\":\"OK\","
		   "\"error\":null,\"req_bytes\":200031,\"resp_bytes\":5,\"truncated\":true}")
		EV(3000, 4000, "{\"command\":\"GET\",\"args\":[\"k\"],\"reply\":\"%s\","
		   "\"error\":null,\"req_bytes\":20,\"resp_bytes\":200011,\"truncated\":true}");
	char want[1024];

	(void)state;
	assert_non_null(cmd);
	assert_non_null(rep);
	memcpy(cmd, head, sizeof(head) - 1);
	memset(cmd + sizeof(head) - 1, 'y', BIG);
	memcpy(cmd + cn - 2, "\r\n", 2);
	memcpy(rep, rhead, sizeof(rhead) - 1);
	memset(rep + sizeof(rhead) - 1, 'y', BIG);
	memcpy(rep + rn - 2, "\r\n", 2);
	memset(y64, 'y', 64);
	y64[64] = '\0';
	snprintf(want, sizeof(want), expect, y64, y64);
	{
		const struct pd_seg s[] = {
			PD_OUTB(1000, cmd, cn),
			PD_IN(2000, "+OK\r\n"),
			PD_OUT(3000, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"),
			PD_INB(4000, rep, rn),
		};
		struct pd_case fx = FIX(s, 64, false, false);
		static const enum pd_mode modes[] = { PD_WHOLE, PD_BYTES, PD_THREES,
						      PD_HALVES, PD_RANDOM };
		char *got;

		for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
			got = pd_run(&fx, modes[i], i);
			assert_string_equal(got, want);
			free(got);
		}
		for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
			got = pd_run(&fx, PD_SPLIT, cuts[i]);
			assert_string_equal(got, want);
			free(got);
		}
		for (int bytes = 0; bytes < 2; bytes++) {
			got = pd_run_engine(&fx, bytes);
			assert_string_equal(got, want);
			free(got);
		}
	}
	free(cmd);
	free(rep);
}

/* An array of 1100 integers: 1024 values are kept per message (the array
 * and 1023 elements), the rest counted, the reply flagged truncated. */
static void test_many_items(void **state)
{
	enum { N = 1100 };
	char *rep = malloc(16 + 4 * N), *want = malloc(4096 + 2 * N);
	size_t rn, wn;

	(void)state;
	assert_non_null(rep);
	assert_non_null(want);
	rn = (size_t)sprintf(rep, "*%d\r\n", N);
	for (int i = 0; i < N; i++)
		rn += (size_t)sprintf(rep + rn, ":1\r\n");
	wn = (size_t)sprintf(want, "1000 2000 redis_command {\"command\":\"MANY\","
			     "\"args\":[],\"reply\":[");
	for (int i = 0; i < 1023; i++)
		wn += (size_t)sprintf(want + wn, "%s1", i ? "," : "");
	sprintf(want + wn, "],\"error\":null,\"req_bytes\":14,\"resp_bytes\":%zu,"
		"\"truncated\":true}\n", rn);
	{
		const struct pd_seg s[] = {
			PD_OUT(1000, "*1\r\n$4\r\nMANY\r\n"),
			PD_INB(2000, rep, rn),
		};
		struct pd_case fx = FIX(s, 64, false, false);

		pd_check_fixture(&fx, want);
	}
	free(rep);
	free(want);
}

/* A simple string longer than the lookahead is not believed (BAD), and
 * resync finds nothing in a run of letters. */
static void test_lookahead(void **state)
{
	size_t n = ADI_PROTO_LOOKAHEAD + 100, used = 1;
	uint8_t *b = malloc(n);
	void *st = calloc(1, adi_proto_redis.state_size);
	struct adi_proto_cfg cfg = { .body_bytes = 64 };
	struct adi_sniff_ctx sc = { .dir = ADI_DIR_OUT };
	struct adi_msg m;

	(void)state;
	assert_non_null(b);
	assert_non_null(st);
	adi_proto_redis.start(st, &sc);
	memset(b, 'a', n);
	b[0] = '+';
	memset(&m, 0, sizeof(m));
	assert_int_equal(adi_proto_redis.parse(st, &cfg, ADI_DIR_IN, b, 1000, &used, &m),
			 ADI_PARSE_AGAIN);
	assert_int_equal(used, 0);
	assert_int_equal(adi_proto_redis.parse(st, &cfg, ADI_DIR_IN, b, n, &used, &m),
			 ADI_PARSE_BAD);
	assert_int_equal(used, 0);
	assert_int_equal(adi_proto_redis.resync(st, ADI_DIR_IN, b + 1, n - 1), n - 1);
	/* an inline command line as long: BAD too */
	memcpy(b, "SET k ", 6);
	assert_int_equal(adi_proto_redis.parse(st, &cfg, ADI_DIR_OUT, b, n, &used, &m),
			 ADI_PARSE_BAD);
	/* a bulk length beyond 2^40 and a count line of 64 digits */
	memcpy(b, "$99999999999999\r\n", 17);
	assert_int_equal(adi_proto_redis.parse(st, &cfg, ADI_DIR_IN, b, 17, &used, &m),
			 ADI_PARSE_BAD);
	memset(b, '1', 100);
	b[0] = '*';
	assert_int_equal(adi_proto_redis.parse(st, &cfg, ADI_DIR_IN, b, 100, &used, &m),
			 ADI_PARSE_BAD);
	adi_proto_redis.fini(st);
	free(st);
	free(b);
}

/* ---- sniffing, registry ---- */

struct sniff_case {
	const char *what;
	const char *b;
	size_t n;
	int dir, server;
	uint16_t port;    /* the server's port */
	int expect;
};

#define SN(w, s, d, srv, port, e) { (w), (s), sizeof(s) - 1, (d), (srv), (port), (e) }

static void test_sniff(void **state)
{
	static const struct sniff_case cases[] = {
		SN("command, client writes", "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n",
		   ADI_DIR_OUT, 0, 12345, 95),
		SN("command on 6379", "*1\r\n$4\r\nPING\r\n", ADI_DIR_OUT, 0, 6379, 100),
		SN("command read by a server", "*1\r\n$4\r\nPING\r\n", ADI_DIR_IN, 1, 12345, 95),
		SN("bulk array in the reply direction", "*2\r\n$3\r\nfoo\r\n$3\r\nbar\r\n",
		   ADI_DIR_IN, 0, 12345, 90),
		SN("huge multibulk", "*2000\r\n$4\r\nMSET\r\n", ADI_DIR_OUT, 0, 12345, 80),
		SN("command cut in its name", "*3\r\n$3\r\nSE", ADI_DIR_OUT, 0, 12345, 95),
		SN("command cut before its name", "*3\r\n$3\r\n", ADI_DIR_OUT, 0, 12345, -1),
		SN("no command name: a reply array", "*3\r\n$3\r\n1E", ADI_DIR_OUT, 0, 12345, 50),
		SN("one byte", "*", ADI_DIR_OUT, 0, 12345, -1),
		SN("inline PING", "PING\r\n", ADI_DIR_OUT, 0, 12345, 50),
		SN("inline PING on 6379", "PING\r\n", ADI_DIR_OUT, 0, 6379, 65),
		SN("inline GET with key", "GET foo\r\n", ADI_DIR_OUT, 0, 6379, 65),
		SN("inline prefix", "PIN", ADI_DIR_OUT, 0, 12345, -1),
		SN("inline without line end", "SET k v", ADI_DIR_OUT, 0, 12345, -1),
		SN("http request", "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n",
		   ADI_DIR_OUT, 0, 80, 0),
		SN("sip request", "INFO sip:bob@example.com SIP/2.0\r\n", ADI_DIR_OUT, 0, 5060, 0),
		SN("http/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", ADI_DIR_OUT, 0, 80, 0),
		SN("memcached get", "get foo\r\n", ADI_DIR_OUT, 0, 11211, 0),
		SN("plain text", "hello world, this is text\n", ADI_DIR_OUT, 0, 9999, 0),
		SN("unknown upper-case word", "QUIT\r\n", ADI_DIR_OUT, 0, 21, 0),
		SN("+OK reply", "+OK\r\n", ADI_DIR_IN, 0, 12345, 55),
		SN("+OK reply on 6379", "+OK\r\n", ADI_DIR_IN, 0, 6379, 70),
		SN("POP3 greeting", "+OK POP3 server ready\r\n", ADI_DIR_IN, 0, 110, 40),
		SN("error reply", "-ERR unknown command 'X'\r\n", ADI_DIR_IN, 0, 12345, 55),
		SN("integer reply", ":1\r\n", ADI_DIR_IN, 0, 12345, 55),
		SN("bulk reply", "$5\r\nhello\r\n", ADI_DIR_IN, 0, 12345, 55),
		SN("bulk reply cut", "$5\r\nhel", ADI_DIR_IN, 0, 12345, -1),
		SN("bulk with wrong end", "$5\r\nhelloXX", ADI_DIR_IN, 0, 12345, 0),
		SN("postgres startup",
		   "\x00\x00\x00\x29\x00\x03\x00\x00user\0postgres\0database\0postgres\0\0",
		   ADI_DIR_OUT, 0, 5432, 0),
		SN("mysql greeting", "\x4a\x00\x00\x00\x0a" "10.11.6-MariaDB\0", ADI_DIR_IN, 0,
		   3306, 0),
		SN("mysql packet of 42 bytes ('*')", "\x2a\x00\x00\x00\x03SELECT 1", ADI_DIR_OUT, 0,
		   3306, 0),
		SN("mysql packet of 58 bytes (':')", "\x3a\x00\x00\x00\x0a" "8.0.36\0", ADI_DIR_IN, 0,
		   3306, 0),
		SN("tls client hello", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
		   ADI_DIR_OUT, 0, 443, 0),
		SN("mongo op_msg ('=' length)", "\x3d\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00"
		   "\xdd\x07\x00\x00\x00\x00\x00\x00\x00", ADI_DIR_OUT, 0, 27017, 0),
		SN("mongo op_msg ('$' length)", "\x24\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00"
		   "\xdd\x07\x00\x00\x00\x00\x00\x00\x00", ADI_DIR_OUT, 0, 27017, 0),
		SN("smtp greeting", "220 mail.example.com ESMTP\r\n", ADI_DIR_IN, 0, 25, 0),
		SN("zeros", "\x00\x00\x00\x00\x00\x00\x00\x00", ADI_DIR_OUT, 0, 6379, 0),
	};
	bool bad = false;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct sniff_case *c = &cases[i];
		struct adi_sniff_ctx ctx = {
			.dir = (enum adi_dir)c->dir, .server_side = c->server,
			.local_port = c->server ? c->port : 40000,
			.remote_port = c->server ? 40000 : c->port,
		};
		int got = adi_proto_redis.sniff((const uint8_t *)c->b, c->n, &ctx);

		if (got != c->expect) {
			print_error("sniff: %s: %d, expected %d\n", c->what, got, c->expect);
			bad = true;
		}
	}
	assert_false(bad);
}

/* The decoder is registered, and the classifier picks it for a command. */
static void test_registry(void **state)
{
	struct adi_sniff_ctx ctx = { .dir = ADI_DIR_OUT };
	int more = 0;
	static const char cmd[] = "*1\r\n$4\r\nPING\r\n";

	(void)state;
	assert_ptr_equal(adi_proto_find("redis"), &adi_proto_redis);
	assert_ptr_equal(adi_proto_classify((const uint8_t *)cmd, sizeof(cmd) - 1, &ctx, &more),
			 &adi_proto_redis);
}

/* ---- gaps (not a fixture: what must not be emitted) ---- */

/* Bytes lost inside a big array reply (a server write beyond the capture
 * cap): the elements after the hole are fragments, not replies of their
 * own; the next command still gets its reply. */
static void test_gap_inside_aggregate(void **state)
{
	static const struct pd_seg segs[] = {
		PD_OUT(1000, "*4\r\n$6\r\nLRANGE\r\n$1\r\nl\r\n$1\r\n0\r\n$2\r\n-1\r\n"),
		PD_IN(2000, "*5\r\n$1\r\na\r\n$1\r\nb"),
		PD_GAP_(ADI_DIR_IN, 9),
		PD_IN(3000, "$1\r\nd\r\n$9\r\narguments\r\n"),
		PD_OUT(4000, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"),
		PD_IN(5000, "$1\r\nv\r\n"),
	};
	struct pd_case c = { .name = __func__, .proto = &adi_proto_redis, .segs = segs,
			     .nsegs = PD_NSEG(segs),
			     .cfg = { .body_bytes = 64, .rows_sample = 5 }, .driver_only = true };
	char *out;
	size_t lines = 0;

	(void)state;
	for (int mode = PD_WHOLE; mode <= PD_BYTES; mode++) {
		out = pd_run(&c, (enum pd_mode)mode, 0);
		lines = 0;
		for (const char *p = out; (p = strstr(p, " redis_command ")); p++)
			lines++;
		/* LRANGE (cut short) and GET: no event for "d" or "arguments" */
		if (lines != 2 || !strstr(out, "\"command\":\"GET\",\"args\":[\"k\"],"
					       "\"reply\":\"v\"") ||
		    !strstr(out, "\"command\":\"LRANGE\"") || strstr(out, "\"arguments\"")) {
			fprintf(stderr, "mode %d:\n%s\n", mode, out);
			fail();
		}
		free(out);
	}
}

int main(void)
{
	static const struct CMUnitTest more[] = {
		cmocka_unit_test(test_bulk_over_lookahead),
		cmocka_unit_test(test_many_items),
		cmocka_unit_test(test_lookahead),
		cmocka_unit_test(test_sniff),
		cmocka_unit_test(test_gap_inside_aggregate),
		cmocka_unit_test(test_registry),
	};
	enum { NF = sizeof(fixtures) / sizeof(fixtures[0]), NM = sizeof(more) / sizeof(more[0]) };
	struct CMUnitTest tests[NF + NM];

	for (size_t i = 0; i < NF; i++)
		tests[i] = (struct CMUnitTest){ .name = fixtures[i].name, .test_func = run_fixture,
						.initial_state = (void *)(uintptr_t)&fixtures[i] };
	memcpy(tests + NF, more, sizeof(more));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
