/* test_nats.c - unit tests of the NATS decoder (src/proto/nats.c).
 * Fixtures are byte segments written by hand from the NATS client protocol
 * reference (https://docs.nats.io/reference/reference-protocols/nats-protocol),
 * driven through the decoder by the shared driver (tests/support/pdrive.h)
 * whole, in 1-byte pieces, split at every offset and through the real
 * engine; the events are compared with hand-written expectations following
 * docs/events.md (message_op). Wire sizes are the lengths of the fixture
 * strings. With ADI_SEED_DIR=<dir> the fixtures are written there as seeds
 * of fuzz/fuzz_nats.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "pdrive.h"
#include "proto/proto.h"
#include "proto/nats.h"

#define EV(ts, te, json) #ts " " #te " message_op " json "\n"
/* the members every operation without payload ends with */
#define NOPAY "\"payload_bytes\":null,\"payload\":null"

struct nt_fixture {
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
	const struct nt_fixture *f = *state;
	struct pd_case fx = {
		.name = f->name, .proto = &adi_proto_nats, .segs = f->segs, .nsegs = f->nsegs,
		.cfg = { .body_bytes = f->body, .rows_sample = 5, .show_secrets = f->secrets },
		.server = f->server,
	};

	pd_check_fixture(&fx, f->expect);
}

#define INFO_LINE "INFO {\"server_id\":\"S1\",\"version\":\"2.9.10\",\"headers\":true," \
	"\"max_payload\":1048576}\r\n"
#define CONNECT_LINE "CONNECT {\"verbose\":false,\"pedantic\":false,\"user\":\"u\"," \
	"\"pass\":\"secret\",\"name\":\"app\",\"lang\":\"node\",\"headers\":true}\r\n"

static const struct nt_fixture fixtures[] = {
	/* A client's session: INFO, CONNECT (its password redacted), PING and
	 * PONG, SUB with a queue group, PUB with a reply subject, the MSG it
	 * gets, HPUB with a repeated header, HMSG with a status (no
	 * responders), UNSUB with a maximum, an -ERR, the server's PING. */
	{ .name = "test_session", .body = 64,
	  SEGS(
		PD_IN(1000, INFO_LINE),
		PD_OUT(2000, CONNECT_LINE "PING\r\n"),
		PD_IN(3000, "PONG\r\n"),
		PD_OUT(4000, "SUB greet.* workers 1\r\nPUB greet.joe _INBOX.1 5\r\nhello\r\n"),
		PD_IN(5000, "MSG greet.joe 1 _INBOX.1 5\r\nhello\r\n"),
		PD_OUT(6000, "HPUB greet.ann 24 29\r\nNATS/1.0\r\nA: 1\r\nA: 2\r\n\r\nhello\r\n"),
		PD_IN(7000, "HMSG _INBOX.1 2 16 16\r\nNATS/1.0 503\r\n\r\n\r\n"),
		PD_OUT(8000, "UNSUB 1 10\r\n"),
		PD_IN(9000, "-ERR 'Permissions Violation for Publish to \"x\"'\r\n"),
		PD_IN(10000, "PING\r\n"),
		PD_OUT(11000, "PONG\r\n")),
	  .expect =
		EV(1000, -1, "{\"system\":\"nats\",\"op\":\"INFO\",\"destination\":null,"
		   "\"info\":{\"server_id\":\"S1\",\"version\":\"2.9.10\",\"headers\":true,"
		   "\"max_payload\":1048576}," NOPAY ",\"error\":null,\"req_bytes\":81,"
		   "\"resp_bytes\":0,\"truncated\":false}")
		EV(2000, -1, "{\"system\":\"nats\",\"op\":\"CONNECT\",\"destination\":null,"
		   "\"connect\":{\"verbose\":false,\"pedantic\":false,\"user\":\"u\","
		   "\"pass\":\"<redacted>\",\"name\":\"app\",\"lang\":\"node\",\"headers\":true},"
		   NOPAY ",\"error\":null,\"req_bytes\":113,\"resp_bytes\":0,\"truncated\":false}")
		EV(2000, 3000, "{\"system\":\"nats\",\"op\":\"PING\",\"destination\":null," NOPAY
		   ",\"error\":null,\"req_bytes\":6,\"resp_bytes\":6,\"truncated\":false}")
		EV(4000, -1, "{\"system\":\"nats\",\"op\":\"SUB\",\"destination\":\"greet.*\","
		   "\"queue_group\":\"workers\",\"sid\":\"1\"," NOPAY ",\"error\":null,"
		   "\"req_bytes\":23,\"resp_bytes\":0,\"truncated\":false}")
		EV(4000, -1, "{\"system\":\"nats\",\"op\":\"PUB\",\"destination\":\"greet.joe\","
		   "\"reply_to\":\"_INBOX.1\",\"payload_bytes\":5,\"payload\":\"hello\","
		   "\"error\":null,\"req_bytes\":33,\"resp_bytes\":0,\"truncated\":false}")
		EV(5000, -1, "{\"system\":\"nats\",\"op\":\"MSG\",\"destination\":\"greet.joe\","
		   "\"reply_to\":\"_INBOX.1\",\"sid\":\"1\",\"payload_bytes\":5,\"payload\":\"hello\","
		   "\"error\":null,\"req_bytes\":35,\"resp_bytes\":0,\"truncated\":false}")
		EV(6000, -1, "{\"system\":\"nats\",\"op\":\"HPUB\",\"destination\":\"greet.ann\","
		   "\"headers\":{\"A\":\"1, 2\"},\"payload_bytes\":5,\"payload\":\"hello\","
		   "\"error\":null,\"req_bytes\":53,\"resp_bytes\":0,\"truncated\":false}")
		EV(7000, -1, "{\"system\":\"nats\",\"op\":\"HMSG\",\"destination\":\"_INBOX.1\","
		   "\"sid\":\"2\",\"status\":503,\"headers\":{},\"payload_bytes\":0,\"payload\":\"\","
		   "\"error\":null,\"req_bytes\":41,\"resp_bytes\":0,\"truncated\":false}")
		EV(8000, -1, "{\"system\":\"nats\",\"op\":\"UNSUB\",\"destination\":null,"
		   "\"sid\":\"1\",\"max_msgs\":10," NOPAY ",\"error\":null,"
		   "\"req_bytes\":12,\"resp_bytes\":0,\"truncated\":false}")
		EV(9000, -1, "{\"system\":\"nats\",\"op\":\"-ERR\",\"destination\":null," NOPAY
		   ",\"error\":\"Permissions Violation for Publish to \\\"x\\\"\",\"req_bytes\":49,"
		   "\"resp_bytes\":0,\"truncated\":false}")
		EV(10000, 11000, "{\"system\":\"nats\",\"op\":\"PING\",\"destination\":null," NOPAY
		   ",\"error\":null,\"req_bytes\":6,\"resp_bytes\":6,\"truncated\":false}") },

	/* An HPUB whose header section is empty (0 bytes: not even the
	 * NATS/1.0 line) has no headers to show, and is no reason to read a
	 * buffer never allocated (a fuzzer found memchr given NULL). */
	{ .name = "test_hpub_empty_headers", .body = 64,
	  SEGS(
		PD_OUT(1000, "HPUB a 0 2\r\nhi\r\n")),
	  .expect =
		EV(1000, -1, "{\"system\":\"nats\",\"op\":\"HPUB\",\"destination\":\"a\","
		   "\"payload_bytes\":2,\"payload\":\"hi\",\"error\":null,\"req_bytes\":16,"
		   "\"resp_bytes\":0,\"truncated\":false}") },

	/* verbose: every client operation gets its +OK or -ERR. */
	{ .name = "test_verbose", .body = 64,
	  SEGS(
		PD_OUT(1000, "CONNECT {\"verbose\":true}\r\n"),
		PD_IN(2000, "+OK\r\n"),
		PD_OUT(3000, "PUB a 2\r\nhi\r\n"),
		PD_IN(4000, "-ERR 'Maximum Payload Violation'\r\n")),
	  .expect =
		EV(1000, 2000, "{\"system\":\"nats\",\"op\":\"CONNECT\",\"destination\":null,"
		   "\"connect\":{\"verbose\":true}," NOPAY ",\"error\":null,\"req_bytes\":26,"
		   "\"resp_bytes\":5,\"truncated\":false}")
		EV(3000, 4000, "{\"system\":\"nats\",\"op\":\"PUB\",\"destination\":\"a\","
		   "\"payload_bytes\":2,\"payload\":\"hi\",\"error\":\"Maximum Payload Violation\","
		   "\"req_bytes\":13,\"resp_bytes\":34,\"truncated\":false}") },

	/* A traced server reads the client's operations; lower case is
	 * accepted; a payload over --body-bytes (2) is cut; a line that is no
	 * operation is skipped. */
	{ .name = "test_server_side", .body = 2, .server = true,
	  SEGS(
		PD_IN(1000, "garbage\r\npub a 5\r\nhello\r\n")),
	  .expect =
		EV(1000, -1, "{\"system\":\"nats\",\"op\":\"PUB\",\"destination\":\"a\","
		   "\"payload_bytes\":5,\"payload\":\"he\",\"error\":null,\"req_bytes\":16,"
		   "\"resp_bytes\":0,\"truncated\":true}")
		"# skipped out=0 in=9 done out=0 in=0\n" },

	/* --show-secrets: CONNECT as sent. */
	{ .name = "test_show_secrets", .body = 64, .secrets = true,
	  SEGS(
		PD_OUT(1000, "CONNECT {\"pass\":\"pw\",\"auth_token\":\"t\"}\r\n")),
	  .expect =
		EV(1000, -1, "{\"system\":\"nats\",\"op\":\"CONNECT\",\"destination\":null,"
		   "\"connect\":{\"pass\":\"pw\",\"auth_token\":\"t\"}," NOPAY ",\"error\":null,"
		   "\"req_bytes\":40,\"resp_bytes\":0,\"truncated\":false}") },
};

/* Bytes lost inside a payload: absorbed, the event incomplete and cut. */
static void test_gap_in_payload(void **state)
{
	static const struct pd_seg segs[] = {
		PD_OUT(1000, "PUB a 10\r\n012"),
		PD_GAP_(ADI_DIR_OUT, 4),
		PD_OUT(1500, "789\r\nPING\r\n"),
		PD_IN(2000, "PONG\r\n"),
	};
	struct pd_case c = { .name = __func__, .proto = &adi_proto_nats, .segs = segs,
			     .nsegs = PD_NSEG(segs), .cfg = { .body_bytes = 64, .rows_sample = 5 } };

	(void)state;
	pd_check_fixture(&c,
		EV(1000, -1, "{\"system\":\"nats\",\"op\":\"PUB\",\"destination\":\"a\","
		   "\"payload_bytes\":10,\"payload\":\"012\",\"error\":null,\"req_bytes\":22,"
		   "\"resp_bytes\":0,\"truncated\":true,\"incomplete\":true}")
		EV(1500, 2000, "{\"system\":\"nats\",\"op\":\"PING\",\"destination\":null," NOPAY
		   ",\"error\":null,\"req_bytes\":6,\"resp_bytes\":6,\"truncated\":false}"));
}

struct sniff_case {
	const char *what;
	const char *b;
	size_t n;
	enum adi_dir dir;
	uint16_t port;
	int want;
};

#define SN(w, s, d, port, want) { (w), (s), sizeof(s) - 1, (d), (port), (want) }

/* sniff()'s thresholds (nats.c). */
static void test_sniff(void **state)
{
	static const struct sniff_case cases[] = {
		SN("INFO", INFO_LINE, ADI_DIR_IN, 12345, 100),
		SN("INFO cut short", "INFO {\"server_id\":\"S1\",\"vers", ADI_DIR_IN, 12345, 100),
		SN("CONNECT", "CONNECT {\"verbose\":false}\r\n", ADI_DIR_OUT, 12345, 100),
		SN("PUB", "PUB a 5\r\nhello\r\n", ADI_DIR_OUT, 12345, 75),
		SN("MSG read by a client", "MSG a 1 5\r\nhello\r\n", ADI_DIR_IN, 12345, 75),
		SN("PING", "PING\r\n", ADI_DIR_OUT, 12345, 45),
		SN("PING on 4222", "PING\r\n", ADI_DIR_OUT, 4222, 60),
		SN("prefix", "PU", ADI_DIR_OUT, 12345, -1),
		SN("PUB without its size", "PUB a\r\n", ADI_DIR_OUT, 12345, 0),
		SN("http CONNECT", "CONNECT example.com:443 HTTP/1.1\r\n\r\n", ADI_DIR_OUT, 80, 0),
		SN("redis inline", "PING :irc.example.net\r\n", ADI_DIR_IN, 6667, 0),
		SN("text", "hello world, this is text\n", ADI_DIR_OUT, 9999, 0),
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct sniff_case *k = &cases[i];
		struct adi_sniff_ctx c = { .dir = k->dir, .local_port = 40000, .remote_port = k->port };
		int got = adi_proto_nats.sniff((const uint8_t *)k->b, k->n, &c);

		if (got != k->want) {
			print_error("%s: %d, want %d\n", k->what, got, k->want);
			fail();
		}
	}
}

int main(void)
{
	static const struct CMUnitTest more[] = {
		cmocka_unit_test(test_gap_in_payload),
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
