/* test_amqp.c - unit tests of the AMQP 0-9-1 decoder (src/proto/amqp/).
 * Frames are written by hand from the AMQP 0-9-1 specification (frame
 * header, method arguments with packed bits, field tables, content header
 * properties, body frames), driven through the decoder by the shared driver
 * (tests/support/pdrive.h) whole, in 1-byte pieces, split at every offset
 * and through the real engine; the events are compared with hand-written
 * expectations following docs/events.md (message_op). Wire sizes are the
 * lengths of the frames. With ADI_SEED_DIR=<dir> the fixtures are written
 * there as seeds of fuzz/fuzz_amqp.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "pdrive.h"
#include "proto/proto.h"
#include "proto/amqp.h"

#define EV(ts, te, json) #ts " " #te " message_op " json "\n"
#define NOPAY "\"payload_bytes\":null,\"payload\":null"

/* frames: type, channel, size, class, method, arguments, 0xCE */
#define START "\x01\x00\x00\x00\x00\x00\x1c\x00\x0a\x00\x0a\x00\x09\x00\x00\x00\x00\x00\x00\x00" \
	"\x05PLAIN\x00\x00\x00\x05\x65n_US\xce"
#define START_OK "\x01\x00\x00\x00\x00\x00\x34\x00\x0a\x00\x0b\x00\x00\x00\x10\x07productS" \
	"\x00\x00\x00\x03\x61\x64i\x05PLAIN\x00\x00\x00\x0c\x00guest\x00guest\x05\x65n_US\xce"
#define TUNE "\x01\x00\x00\x00\x00\x00\x0c\x00\x0a\x00\x1e\x07\xff\x00\x02\x00\x00\x00<\xce"
#define TUNE_OK "\x01\x00\x00\x00\x00\x00\x0c\x00\x0a\x00\x1f\x07\xff\x00\x02\x00\x00\x00<\xce"
#define OPEN "\x01\x00\x00\x00\x00\x00\x08\x00\x0a\x00(\x01/\x00\x00\xce"
#define OPEN_OK "\x01\x00\x00\x00\x00\x00\x05\x00\x0a\x00)\x00\xce"
#define CH_OPEN "\x01\x00\x01\x00\x00\x00\x05\x00\x14\x00\x0a\x00\xce"
#define CH_OPEN_OK "\x01\x00\x01\x00\x00\x00\x08\x00\x14\x00\x0b\x00\x00\x00\x00\xce"
#define PUBLISH "\x01\x00\x01\x00\x00\x00\x0a\x00<\x00(\x00\x00\x00\x01q\x00\xce"
#define PUB_HDR "\x02\x00\x01\x00\x00\x00\x19\x00<\x00\x00\x00\x00\x00\x00\x00\x00\x00\x05\x80" \
	"\x00\x0atext/plain\xce"
#define BODY "\x03\x00\x01\x00\x00\x00\x05hello\xce"
#define DELIVER "\x01\x00\x01\x00\x00\x00\x12\x00<\x00<\x01\x63\x00\x00\x00\x00\x00\x00\x00\x01" \
	"\x00\x00\x01q\xce"
#define DLV_HDR "\x02\x00\x01\x00\x00\x00\x0e\x00<\x00\x00\x00\x00\x00\x00\x00\x00\x00\x05\x00" \
	"\x00\xce"
#define ACK "\x01\x00\x01\x00\x00\x00\x0d\x00<\x00P\x00\x00\x00\x00\x00\x00\x00\x01\x00\xce"
#define HEARTBEAT "\x08\x00\x00\x00\x00\x00\x00\xce"
#define QDECLARE "\x01\x00\x01\x00\x00\x00\x10\x00\x32\x00\x0a\x00\x00\x04nope\x01\x00\x00\x00" \
	"\x00\xce"
#define CH_CLOSE "\x01\x00\x01\x00\x00\x00\x14\x00\x14\x00(\x01\x94\x09NOT_FOUND\x00\x32\x00" \
	"\x0a\xce"
#define CH_CLOSE_OK "\x01\x00\x01\x00\x00\x00\x04\x00\x14\x00)\xce"

struct aq_fixture {
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
	const struct aq_fixture *f = *state;
	struct pd_case fx = {
		.name = f->name, .proto = &adi_proto_amqp, .segs = f->segs, .nsegs = f->nsegs,
		.cfg = { .body_bytes = f->body, .rows_sample = 5, .show_secrets = f->secrets },
		.server = f->server,
	};

	pd_check_fixture(&fx, f->expect);
}

#define START_EV(resp) \
	EV(2000, 3000, "{\"system\":\"amqp\",\"op\":\"connection.start\",\"destination\":null," \
	   "\"channel\":0,\"arguments\":{\"version_major\":0,\"version_minor\":9," \
	   "\"server_properties\":{},\"mechanisms\":\"PLAIN\",\"locales\":\"en_US\"}," NOPAY "," \
	   "\"error\":null,\"reply\":{\"op\":\"connection.start-ok\",\"arguments\":{" \
	   "\"client_properties\":{\"product\":\"adi\"},\"mechanism\":\"PLAIN\"," \
	   "\"response\":" resp ",\"locale\":\"en_US\"}},\"req_bytes\":36,\"resp_bytes\":60," \
	   "\"truncated\":false}")

static const struct aq_fixture fixtures[] = {
	/* A client's session: the protocol header, connection.start / start-ok
	 * (the PLAIN response redacted), tune, open, channel.open, a publish
	 * with a content type to the default exchange (destination: the
	 * routing key), a delivery, its ack, a heartbeat, a passive
	 * queue.declare the broker refuses with channel.close 404, close-ok. */
	{ .name = "test_session", .body = 64,
	  SEGS(
		PD_OUT(1000, "AMQP\x00\x00\x09\x01"),
		PD_IN(2000, START),
		PD_OUT(3000, START_OK),
		PD_IN(4000, TUNE),
		PD_OUT(5000, TUNE_OK OPEN),
		PD_IN(6000, OPEN_OK),
		PD_OUT(7000, CH_OPEN),
		PD_IN(8000, CH_OPEN_OK),
		PD_OUT(9000, PUBLISH PUB_HDR BODY),
		PD_IN(10000, DELIVER DLV_HDR BODY),
		PD_OUT(11000, ACK),
		PD_OUT(12000, HEARTBEAT),
		PD_OUT(13000, QDECLARE),
		PD_IN(14000, CH_CLOSE),
		PD_OUT(15000, CH_CLOSE_OK)),
	  .expect =
		START_EV("\"<redacted>\"")
		EV(4000, 5000, "{\"system\":\"amqp\",\"op\":\"connection.tune\",\"destination\":null,"
		   "\"channel\":0,\"arguments\":{\"channel_max\":2047,\"frame_max\":131072,"
		   "\"heartbeat\":60}," NOPAY ",\"error\":null,\"reply\":{\"op\":\"connection.tune-ok\","
		   "\"arguments\":{\"channel_max\":2047,\"frame_max\":131072,\"heartbeat\":60}},"
		   "\"req_bytes\":20,\"resp_bytes\":20,\"truncated\":false}")
		EV(5000, 6000, "{\"system\":\"amqp\",\"op\":\"connection.open\",\"destination\":\"/\","
		   "\"channel\":0,\"arguments\":{\"virtual_host\":\"/\"}," NOPAY ",\"error\":null,"
		   "\"reply\":{\"op\":\"connection.open-ok\",\"arguments\":{}},"
		   "\"req_bytes\":16,\"resp_bytes\":13,\"truncated\":false}")
		EV(7000, 8000, "{\"system\":\"amqp\",\"op\":\"channel.open\",\"destination\":null,"
		   "\"channel\":1,\"arguments\":{}," NOPAY ",\"error\":null,"
		   "\"reply\":{\"op\":\"channel.open-ok\",\"arguments\":{}},"
		   "\"req_bytes\":13,\"resp_bytes\":16,\"truncated\":false}")
		EV(9000, -1, "{\"system\":\"amqp\",\"op\":\"basic.publish\",\"destination\":\"q\","
		   "\"channel\":1,\"arguments\":{\"exchange\":\"\",\"routing_key\":\"q\","
		   "\"mandatory\":false,\"immediate\":false},"
		   "\"properties\":{\"content_type\":\"text/plain\"},\"payload_bytes\":5,"
		   "\"payload\":\"hello\",\"error\":null,\"req_bytes\":64,\"resp_bytes\":0,"
		   "\"truncated\":false}")
		EV(10000, -1, "{\"system\":\"amqp\",\"op\":\"basic.deliver\",\"destination\":\"q\","
		   "\"channel\":1,\"arguments\":{\"consumer_tag\":\"c\",\"delivery_tag\":1,"
		   "\"redelivered\":false,\"exchange\":\"\",\"routing_key\":\"q\"},"
		   "\"properties\":{},\"payload_bytes\":5,\"payload\":\"hello\",\"error\":null,"
		   "\"req_bytes\":61,\"resp_bytes\":0,\"truncated\":false}")
		EV(11000, -1, "{\"system\":\"amqp\",\"op\":\"basic.ack\",\"destination\":null,"
		   "\"channel\":1,\"arguments\":{\"delivery_tag\":1,\"multiple\":false}," NOPAY ","
		   "\"error\":null,\"req_bytes\":21,\"resp_bytes\":0,\"truncated\":false}")
		EV(13000, 14000, "{\"system\":\"amqp\",\"op\":\"queue.declare\",\"destination\":\"nope\","
		   "\"channel\":1,\"arguments\":{\"queue\":\"nope\",\"passive\":true,\"durable\":false,"
		   "\"exclusive\":false,\"auto_delete\":false,\"no_wait\":false,\"arguments\":{}},"
		   NOPAY ",\"error\":\"NOT_FOUND\",\"req_bytes\":24,\"resp_bytes\":0,"
		   "\"truncated\":false}")
		EV(14000, 15000, "{\"system\":\"amqp\",\"op\":\"channel.close\",\"destination\":null,"
		   "\"channel\":1,\"arguments\":{\"reply_code\":404,\"reply_text\":\"NOT_FOUND\","
		   "\"class_id\":50,\"method_id\":10}," NOPAY ",\"error\":\"NOT_FOUND\","
		   "\"reply\":{\"op\":\"channel.close-ok\",\"arguments\":{}},"
		   "\"req_bytes\":28,\"resp_bytes\":12,\"truncated\":false}") },

	/* --show-secrets: the SASL response as sent. */
	{ .name = "test_show_secrets", .body = 64, .secrets = true,
	  SEGS(
		PD_IN(2000, START),
		PD_OUT(3000, START_OK)),
	  .expect = START_EV("\"\\u0000guest\\u0000guest\"") },

	/* A traced broker: the client's publish comes in, its body over
	 * --body-bytes (2) is cut; junk before a frame is skipped. */
	{ .name = "test_server_side", .body = 2, .server = true,
	  SEGS(
		PD_IN(1000, "\x01\x02" PUBLISH PUB_HDR BODY)),
	  .expect =
		EV(1000, -1, "{\"system\":\"amqp\",\"op\":\"basic.publish\",\"destination\":\"q\","
		   "\"channel\":1,\"arguments\":{\"exchange\":\"\",\"routing_key\":\"q\","
		   "\"mandatory\":false,\"immediate\":false},"
		   "\"properties\":{\"content_type\":\"text/plain\"},\"payload_bytes\":5,"
		   "\"payload\":\"he\",\"error\":null,\"req_bytes\":64,\"resp_bytes\":0,"
		   "\"truncated\":true}")
		"# skipped out=0 in=2 done out=0 in=0\n" },
};

/* Bytes lost inside a body frame: absorbed, the message incomplete. */
static void test_gap_in_body(void **state)
{
	static const struct pd_seg segs[] = {
		PD_OUT(1000, PUBLISH PUB_HDR "\x03\x00\x01\x00\x00\x00\x05he"),
		PD_GAP_(ADI_DIR_OUT, 2),
		PD_OUT(1500, "o\xce" ACK),
	};
	struct pd_case c = { .name = __func__, .proto = &adi_proto_amqp, .segs = segs,
			     .nsegs = PD_NSEG(segs), .cfg = { .body_bytes = 64, .rows_sample = 5 } };

	(void)state;
	pd_check_fixture(&c,
		EV(1000, -1, "{\"system\":\"amqp\",\"op\":\"basic.publish\",\"destination\":\"q\","
		   "\"channel\":1,\"arguments\":{\"exchange\":\"\",\"routing_key\":\"q\","
		   "\"mandatory\":false,\"immediate\":false},"
		   "\"properties\":{\"content_type\":\"text/plain\"},\"payload_bytes\":5,"
		   "\"payload\":\"he\",\"error\":null,\"req_bytes\":64,\"resp_bytes\":0,"
		   "\"truncated\":true,\"incomplete\":true}")
		EV(1500, -1, "{\"system\":\"amqp\",\"op\":\"basic.ack\",\"destination\":null,"
		   "\"channel\":1,\"arguments\":{\"delivery_tag\":1,\"multiple\":false}," NOPAY ","
		   "\"error\":null,\"req_bytes\":21,\"resp_bytes\":0,\"truncated\":false}"));
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

/* sniff()'s thresholds (amqp.c). */
static void test_sniff(void **state)
{
	static const struct sniff_case cases[] = {
		SN("protocol header", "AMQP\x00\x00\x09\x01", ADI_DIR_OUT, 12345, 100),
		SN("protocol header cut", "AMQ", ADI_DIR_OUT, 12345, -1),
		SN("AMQP 1.0 header", "AMQP\x00\x01\x00\x00", ADI_DIR_OUT, 12345, 0),
		SN("connection.start", START, ADI_DIR_IN, 12345, 95),
		SN("a method frame", ACK, ADI_DIR_OUT, 12345, 55),
		SN("a method frame on 5672", ACK, ADI_DIR_OUT, 5672, 70),
		SN("a body frame", BODY, ADI_DIR_OUT, 5672, 0),
		SN("text", "hello world, this is text\n", ADI_DIR_OUT, 9999, 0),
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct sniff_case *k = &cases[i];
		struct adi_sniff_ctx c = { .dir = k->dir, .local_port = 40000, .remote_port = k->port };
		int got = adi_proto_amqp.sniff((const uint8_t *)k->b, k->n, &c);

		if (got != k->want) {
			print_error("%s: %d, want %d\n", k->what, got, k->want);
			fail();
		}
	}
}

int main(void)
{
	static const struct CMUnitTest more[] = {
		cmocka_unit_test(test_gap_in_body),
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
