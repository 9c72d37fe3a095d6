/* test_mqtt.c - unit tests of the MQTT decoder (src/proto/mqtt.c). Packets
 * are framed here by hand from the MQTT 3.1.1 and 5.0 specifications
 * (fixed header, remaining length, variable header, properties, payload),
 * driven through the decoder by the shared driver (tests/support/pdrive.h)
 * whole, in 1-byte pieces, split at every offset and through the real
 * engine; the events are compared with hand-written expectations following
 * docs/events.md (message_op). Wire sizes are the lengths of the fixture
 * strings. With ADI_SEED_DIR=<dir> the fixtures are written there as seeds
 * of fuzz/fuzz_mqtt.c. (String literals are split where a hex escape would
 * swallow the letter after it.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "pdrive.h"
#include "proto/proto.h"
#include "proto/mqtt.h"

#define EV(ts, te, json) #ts " " #te " message_op " json "\n"
#define NOPAY "\"payload_bytes\":null,\"payload\":null"

struct mq_fixture {
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
	const struct mq_fixture *f = *state;
	struct pd_case fx = {
		.name = f->name, .proto = &adi_proto_mqtt, .segs = f->segs, .nsegs = f->nsegs,
		.cfg = { .body_bytes = f->body, .rows_sample = 5, .show_secrets = f->secrets },
		.server = f->server,
	};

	pd_check_fixture(&fx, f->expect);
}

/* CONNECT 3.1.1: user name and password, clean session, keep alive 60,
 * client id "c1" */
#define CONNECT4 "\x10\x14\x00\x04MQTT\x04\xc2\x00\x3c\x00\x02" "c1\x00\x01u\x00\x01p"

static const struct mq_fixture fixtures[] = {
	/* A 3.1.1 session: CONNECT (the password never written) / CONNACK,
	 * SUBSCRIBE / SUBACK, PUBLISH QoS 1 / PUBACK, a retained QoS 0 message
	 * the server delivers, QoS 2 (PUBLISH / PUBREC, PUBREL / PUBCOMP),
	 * PINGREQ / PINGRESP, UNSUBSCRIBE / UNSUBACK, DISCONNECT. */
	{ .name = "test_session_311", .body = 64,
	  SEGS(
		PD_OUT(1000, CONNECT4),
		PD_IN(2000, "\x20\x02\x00\x00"),
		PD_OUT(3000, "\x82\x08\x00\x01\x00\x03" "a/#\x01"),
		PD_IN(4000, "\x90\x03\x00\x01\x01"),
		PD_OUT(5000, "\x32\x0c\x00\x03" "a/b\x00\x02hello"),
		PD_IN(6000, "\x40\x02\x00\x02"),
		PD_IN(7000, "\x31\x0a\x00\x03" "a/bhello"),
		PD_OUT(8000, "\x34\x08\x00\x03" "a/c\x00\x03x"),
		PD_IN(9000, "\x50\x02\x00\x03"),
		PD_OUT(10000, "\x62\x02\x00\x03"),
		PD_IN(11000, "\x70\x02\x00\x03"),
		PD_OUT(12000, "\xc0\x00"),
		PD_IN(13000, "\xd0\x00"),
		PD_OUT(14000, "\xa2\x07\x00\x04\x00\x03" "a/#"),
		PD_IN(15000, "\xb0\x02\x00\x04"),
		PD_OUT(16000, "\xe0\x00")),
	  .expect =
		EV(1000, 2000, "{\"system\":\"mqtt\",\"op\":\"CONNECT\",\"destination\":null,"
		   "\"sender\":\"client\",\"protocol_version\":\"3.1.1\",\"client_id\":\"c1\","
		   "\"clean_start\":true,\"keep_alive\":60,\"username\":\"u\"," NOPAY ","
		   "\"error\":null,\"reason_code\":0,\"session_present\":false,"
		   "\"req_bytes\":22,\"resp_bytes\":4,\"truncated\":false}")
		EV(3000, 4000, "{\"system\":\"mqtt\",\"op\":\"SUBSCRIBE\",\"destination\":\"a/#\","
		   "\"sender\":\"client\",\"packet_id\":1,\"topics\":[{\"filter\":\"a/#\",\"qos\":1}],"
		   NOPAY ",\"error\":null,\"reason_codes\":[1],\"req_bytes\":10,\"resp_bytes\":5,"
		   "\"truncated\":false}")
		EV(5000, 6000, "{\"system\":\"mqtt\",\"op\":\"PUBLISH\",\"destination\":\"a/b\","
		   "\"sender\":\"client\",\"packet_id\":2,\"qos\":1,\"retain\":false,\"dup\":false,"
		   "\"payload_bytes\":5,\"payload\":\"hello\",\"error\":null,\"req_bytes\":14,"
		   "\"resp_bytes\":4,\"truncated\":false}")
		EV(7000, -1, "{\"system\":\"mqtt\",\"op\":\"PUBLISH\",\"destination\":\"a/b\","
		   "\"sender\":\"server\",\"qos\":0,\"retain\":true,\"dup\":false,"
		   "\"payload_bytes\":5,\"payload\":\"hello\",\"error\":null,\"req_bytes\":12,"
		   "\"resp_bytes\":0,\"truncated\":false}")
		EV(8000, 9000, "{\"system\":\"mqtt\",\"op\":\"PUBLISH\",\"destination\":\"a/c\","
		   "\"sender\":\"client\",\"packet_id\":3,\"qos\":2,\"retain\":false,\"dup\":false,"
		   "\"payload_bytes\":1,\"payload\":\"x\",\"error\":null,\"req_bytes\":10,"
		   "\"resp_bytes\":4,\"truncated\":false}")
		EV(10000, 11000, "{\"system\":\"mqtt\",\"op\":\"PUBREL\",\"destination\":null,"
		   "\"sender\":\"client\",\"packet_id\":3," NOPAY ",\"error\":null,"
		   "\"req_bytes\":4,\"resp_bytes\":4,\"truncated\":false}")
		EV(12000, 13000, "{\"system\":\"mqtt\",\"op\":\"PINGREQ\",\"destination\":null,"
		   "\"sender\":\"client\"," NOPAY ",\"error\":null,"
		   "\"req_bytes\":2,\"resp_bytes\":2,\"truncated\":false}")
		EV(14000, 15000, "{\"system\":\"mqtt\",\"op\":\"UNSUBSCRIBE\",\"destination\":\"a/#\","
		   "\"sender\":\"client\",\"packet_id\":4,\"topics\":[\"a/#\"]," NOPAY ","
		   "\"error\":null,\"req_bytes\":9,\"resp_bytes\":4,\"truncated\":false}")
		EV(16000, -1, "{\"system\":\"mqtt\",\"op\":\"DISCONNECT\",\"destination\":null,"
		   "\"sender\":\"client\"," NOPAY ",\"error\":null,"
		   "\"req_bytes\":2,\"resp_bytes\":0,\"truncated\":false}") },

	/* 5.0: properties on CONNECT, CONNACK (reply_properties), PUBLISH (a
	 * user property and a content type); PUBACK's reason code (no
	 * matching subscribers); a SUBACK refusing a filter; the server's
	 * DISCONNECT with its reason. */
	{ .name = "test_session_5", .body = 64,
	  SEGS(
		PD_OUT(1000, "\x10\x14\x00\x04MQTT\x05\x02\x00\x1e\x05\x11\x00\x00\x00\x3c\x00\x02"
			     "c5"),
		PD_IN(2000, "\x20\x06\x00\x00\x03\x22\x00\x0a"),
		PD_OUT(3000, "\x32\x16\x00\x01t\x00\x07\x0e\x26\x00\x01k\x00\x01v\x03\x00\x04texthi"),
		PD_IN(4000, "\x40\x03\x00\x07\x10"),
		PD_OUT(5000, "\x82\x0a\x00\x08\x00\x00\x04x/#+\x00"),
		PD_IN(6000, "\x90\x04\x00\x08\x00\x8f"),
		PD_IN(7000, "\xe0\x01\x8e")),
	  .expect =
		EV(1000, 2000, "{\"system\":\"mqtt\",\"op\":\"CONNECT\",\"destination\":null,"
		   "\"sender\":\"client\",\"protocol_version\":\"5.0\","
		   "\"properties\":{\"session_expiry_interval\":60},\"client_id\":\"c5\","
		   "\"clean_start\":true,\"keep_alive\":30," NOPAY ",\"error\":null,"
		   "\"reason_code\":0,\"session_present\":false,"
		   "\"reply_properties\":{\"topic_alias_maximum\":10},"
		   "\"req_bytes\":22,\"resp_bytes\":8,\"truncated\":false}")
		EV(3000, 4000, "{\"system\":\"mqtt\",\"op\":\"PUBLISH\",\"destination\":\"t\","
		   "\"sender\":\"client\",\"packet_id\":7,\"qos\":1,\"retain\":false,\"dup\":false,"
		   "\"properties\":{\"content_type\":\"text\",\"user_properties\":[[\"k\",\"v\"]]},"
		   "\"payload_bytes\":2,\"payload\":\"hi\",\"error\":null,\"reason_code\":16,"
		   "\"req_bytes\":24,\"resp_bytes\":5,\"truncated\":false}")
		EV(5000, 6000, "{\"system\":\"mqtt\",\"op\":\"SUBSCRIBE\",\"destination\":\"x/#+\","
		   "\"sender\":\"client\",\"packet_id\":8,\"topics\":[{\"filter\":\"x/#+\",\"qos\":0}],"
		   NOPAY ",\"error\":\"Topic Filter invalid\",\"reason_codes\":[143],"
		   "\"req_bytes\":12,\"resp_bytes\":6,\"truncated\":false}")
		EV(7000, -1, "{\"system\":\"mqtt\",\"op\":\"DISCONNECT\",\"destination\":null,"
		   "\"sender\":\"server\"," NOPAY ",\"error\":\"Session taken over\","
		   "\"reason_code\":142,\"req_bytes\":3,\"resp_bytes\":0,\"truncated\":false}") },

	/* A traced broker refuses a client (3.1.1 return code 5). */
	{ .name = "test_server_refuses", .body = 64, .server = true,
	  SEGS(
		PD_IN(1000, "\x10\x0c\x00\x04MQTT\x04\x02\x00\x00\x00\x00"),
		PD_OUT(2000, "\x20\x02\x00\x05")),
	  .expect =
		EV(1000, 2000, "{\"system\":\"mqtt\",\"op\":\"CONNECT\",\"destination\":null,"
		   "\"sender\":\"client\",\"protocol_version\":\"3.1.1\",\"client_id\":\"\","
		   "\"clean_start\":true,\"keep_alive\":0," NOPAY ","
		   "\"error\":\"Connection Refused, not authorized\",\"reason_code\":5,"
		   "\"session_present\":false,\"req_bytes\":14,\"resp_bytes\":4,"
		   "\"truncated\":false}") },

	/* A payload over --body-bytes (2) is cut; junk before a packet is
	 * skipped (resync). */
	{ .name = "test_body_bytes_resync", .body = 2,
	  SEGS(
		PD_OUT(1000, CONNECT4),
		PD_IN(2000, "\x20\x02\x00\x00"),
		PD_OUT(3000, "\xff\xff\x30\x0a\x00\x03" "a/bhello")),
	  .expect =
		EV(1000, 2000, "{\"system\":\"mqtt\",\"op\":\"CONNECT\",\"destination\":null,"
		   "\"sender\":\"client\",\"protocol_version\":\"3.1.1\",\"client_id\":\"c1\","
		   "\"clean_start\":true,\"keep_alive\":60,\"username\":\"u\"," NOPAY ","
		   "\"error\":null,\"reason_code\":0,\"session_present\":false,"
		   "\"req_bytes\":22,\"resp_bytes\":4,\"truncated\":false}")
		EV(3000, -1, "{\"system\":\"mqtt\",\"op\":\"PUBLISH\",\"destination\":\"a/b\","
		   "\"sender\":\"client\",\"qos\":0,\"retain\":false,\"dup\":false,"
		   "\"payload_bytes\":5,\"payload\":\"he\",\"error\":null,\"req_bytes\":12,"
		   "\"resp_bytes\":0,\"truncated\":true}")
		"# skipped out=2 in=0 done out=0 in=0\n" },
};

/* Bytes lost inside a payload: absorbed, the event incomplete. */
static void test_gap_in_payload(void **state)
{
	static const struct pd_seg segs[] = {
		PD_OUT(1000, "\x30\x0f\x00\x03" "a/b0123"),
		PD_GAP_(ADI_DIR_OUT, 4),
		PD_OUT(1500, "89\xc0\x00"),
		PD_IN(2000, "\xd0\x00"),
	};
	struct pd_case c = { .name = __func__, .proto = &adi_proto_mqtt, .segs = segs,
			     .nsegs = PD_NSEG(segs), .cfg = { .body_bytes = 64, .rows_sample = 5 } };

	(void)state;
	pd_check_fixture(&c,
		EV(1000, -1, "{\"system\":\"mqtt\",\"op\":\"PUBLISH\",\"destination\":\"a/b\","
		   "\"sender\":\"client\",\"qos\":0,\"retain\":false,\"dup\":false,"
		   "\"payload_bytes\":10,\"payload\":\"0123\",\"error\":null,\"req_bytes\":17,"
		   "\"resp_bytes\":0,\"truncated\":true,\"incomplete\":true}")
		EV(1500, 2000, "{\"system\":\"mqtt\",\"op\":\"PINGREQ\",\"destination\":null,"
		   "\"sender\":\"client\"," NOPAY ",\"error\":null,"
		   "\"req_bytes\":2,\"resp_bytes\":2,\"truncated\":false}"));
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

/* sniff()'s thresholds (mqtt.c). */
static void test_sniff(void **state)
{
	static const struct sniff_case cases[] = {
		SN("CONNECT 3.1.1", CONNECT4, ADI_DIR_OUT, 12345, 100),
		SN("CONNECT 3.1", "\x10\x10\x00\x06MQIsdp\x03\x02\x00\x3c\x00\x02" "c1",
		   ADI_DIR_OUT, 12345, 100),
		SN("CONNECT cut", "\x10\x14\x00\x04MQ", ADI_DIR_OUT, 12345, -1),
		SN("PUBLISH mid-session", "\x30\x0a\x00\x03" "a/bhello", ADI_DIR_OUT, 12345, 55),
		SN("PUBLISH on 1883", "\x30\x0a\x00\x03" "a/bhello", ADI_DIR_OUT, 1883, 70),
		SN("PINGREQ alone", "\xc0\x00", ADI_DIR_OUT, 1883, 0),
		SN("not MQTT after 0x10", "\x10\x14\x00\x04HTTP\x04", ADI_DIR_OUT, 12345, 0),
		SN("tls", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", ADI_DIR_OUT, 443, 0),
		SN("text", "hello world, this is text\n", ADI_DIR_OUT, 9999, 0),
		SN("smtp", "220 mail.example.com ESMTP\r\n", ADI_DIR_IN, 25, 0),
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct sniff_case *k = &cases[i];
		struct adi_sniff_ctx c = { .dir = k->dir, .local_port = 40000, .remote_port = k->port };
		int got = adi_proto_mqtt.sniff((const uint8_t *)k->b, k->n, &c);

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
