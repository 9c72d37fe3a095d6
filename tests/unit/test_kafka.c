/* test_kafka.c - unit tests of the Kafka decoder (src/proto/kafka/).
 * Requests and responses are framed by hand from the Kafka protocol guide
 * (https://kafka.apache.org/protocol.html: size, request header v1 / v2 with
 * tagged fields, the bodies of ApiVersions v3, Metadata v4, Produce v3 / v7,
 * Fetch v11, record batches of magic 2 uncompressed and gzip'ed); the bytes
 * were laid out once with a few lines of Python's struct and gzip (mtime 0)
 * and pasted here. They are driven through the decoder by the shared driver
 * (tests/support/pdrive.h) whole, in 1-byte pieces, split at every offset
 * and through the real engine; the events are compared with hand-written
 * expectations following docs/events.md (message_op). With
 * ADI_SEED_DIR=<dir> the fixtures are written there as seeds of
 * fuzz/fuzz_kafka.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pdrive.h"
#include "proto/proto.h"
#include "proto/kafka.h"

#define EV(ts, te, json) #ts " " #te " message_op " json "\n"
#define NOPAY "\"payload_bytes\":null,\"payload\":null"

/* ApiVersions v3 (flexible: compact strings, tagged fields) answered at
 * v0 with UNSUPPORTED_VERSION (35); Metadata v4 of topic t; Produce v7 of one
 * record (k1: one) and its response (base offset 5); Produce v3 with acks 0
 * of a gzip batch of two records; Fetch v11 and its response holding the
 * first batch; Produce v7 to "nope" refused with UNKNOWN_TOPIC_OR_PARTITION. */
#define APIV_REQ \
	"\x00\x00\x00\x18\x00\x12\x00\x03\x00\x00\x00\x01\x00\x03\x61\x64i\x00\x05kca" \
	"t\x04\x31.7\x00"
#define APIV_RESP \
	"\x00\x00\x00\x10\x00\x00\x00\x01\x00#\x00\x00\x00\x01\x00\x00\x00\x00\x00" \
	"\x08"
#define META_REQ \
	"\x00\x00\x00\x15\x00\x03\x00\x04\x00\x00\x00\x02\x00\x03\x61\x64i\x00\x00" \
	"\x00\x01\x00\x01t\x01"
#define PROD_REQ \
	"\x00\x00\x00q\x00\x00\x00\x07\x00\x00\x00\x03\x00\x03\x61\x64i\xff\xff\xff" \
	"\xff\x00\x00u0\x00\x00\x00\x01\x00\x01t\x00\x00\x00\x01\x00\x00\x00\x00\x00" \
	"\x00\x00I\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00=\x00\x00\x00\x00\x02" \
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" \
	"\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" \
	"\xff\xff\x00\x00\x00\x01\x16\x00\x00\x00\x04k1\x06one\x00"
#define PROD_RESP \
	"\x00\x00\x00\x31\x00\x00\x00\x03\x00\x00\x00\x01\x00\x01t\x00\x00\x00\x01" \
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x05\xff\xff\xff\xff\xff" \
	"\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
#define PROD0_REQ \
	"\x00\x00\x00\x8e\x00\x00\x00\x03\x00\x00\x00\x04\x00\x03\x61\x64i\xff\xff" \
	"\x00\x00\x00\x00\x03\xe8\x00\x00\x00\x01\x00\x01t\x00\x00\x00\x01\x00\x00" \
	"\x00\x01\x00\x00\x00\x66\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00Z\x00" \
	"\x00\x00\x00\x02\x00\x00\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x00\x00" \
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff" \
	"\xff\xff\xff\xff\xff\xff\x00\x00\x00\x02\x1f\x8b\x08\x00\x00\x00\x00\x00\x02" \
	"\x03\x93`\x00\x02\x9e\xaa\xcc\x82\x82\xd4\x14\x06\x11 \x9b)\x9b\xad\xa4<\x9f" \
	"\x01\x00\xc6\xb1\x9b\x0b\x18\x00\x00\x00"
#define FETCH_REQ \
	"\x00\x00\x00S\x00\x01\x00\x0b\x00\x00\x00\x05\x00\x03\x61\x64i\xff\xff\xff" \
	"\xff\x00\x00\x01\xf4\x00\x00\x00\x01\x00\x10\x00\x00\x00\x00\x00\x00\x00\xff" \
	"\xff\xff\xff\x00\x00\x00\x01\x00\x01t\x00\x00\x00\x01\x00\x00\x00\x00\xff" \
	"\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x05\xff\xff\xff\xff\xff\xff\xff\xff" \
	"\x00\x10\x00\x00\x00\x00\x00\x00\x00\x00"
#define FETCH_RESP \
	"\x00\x00\x00\x8c\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" \
	"\x00\x00\x01\x00\x01t\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00" \
	"\x00\x00\x00\x00\x06\x00\x00\x00\x00\x00\x00\x00\x06\x00\x00\x00\x00\x00\x00" \
	"\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff\x00\x00\x00I\x00\x00\x00\x00\x00" \
	"\x00\x00\x00\x00\x00\x00=\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00" \
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" \
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x01\x16" \
	"\x00\x00\x00\x04k1\x06one\x00"
#define PROD_ERR_REQ \
	"\x00\x00\x00t\x00\x00\x00\x07\x00\x00\x00\x06\x00\x03\x61\x64i\xff\xff\x00" \
	"\x01\x00\x00u0\x00\x00\x00\x01\x00\x04nope\x00\x00\x00\x01\x00\x00\x00\x00" \
	"\x00\x00\x00I\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00=\x00\x00\x00\x00" \
	"\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" \
	"\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" \
	"\xff\xff\xff\x00\x00\x00\x01\x16\x00\x00\x00\x04k1\x06one\x00"
#define PROD_ERR_RESP \
	"\x00\x00\x00\x34\x00\x00\x00\x06\x00\x00\x00\x01\x00\x04nope\x00\x00\x00\x01" \
	"\x00\x00\x00\x00\x00\x03\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" \
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00"

struct kf_fixture {
	const char *name;
	unsigned body;
	bool server;
	const struct pd_seg *segs;
	size_t nsegs;
	const char *expect;
};

#define SEGS(...) .segs = (const struct pd_seg[]){ __VA_ARGS__ }, \
	.nsegs = sizeof((const struct pd_seg[]){ __VA_ARGS__ }) / sizeof(struct pd_seg)

static void run_fixture(void **state)
{
	const struct kf_fixture *f = *state;
	struct pd_case fx = {
		.name = f->name, .proto = &adi_proto_kafka, .segs = f->segs, .nsegs = f->nsegs,
		.cfg = { .body_bytes = f->body, .rows_sample = 5 }, .server = f->server,
	};

	pd_check_fixture(&fx, f->expect);
}

#define HEAD(op, dest, ver, corr) "{\"system\":\"kafka\",\"op\":\"" op "\",\"destination\":" dest "," \
	"\"api_version\":" #ver ",\"correlation_id\":" #corr ",\"client_id\":\"adi\","
#define PRODUCE_EV(ts, te) \
	EV(ts, te, HEAD("Produce", "\"t\"", 7, 3) "\"acks\":-1,\"timeout_ms\":30000," \
	   "\"partitions\":[{\"topic\":\"t\",\"partition\":0,\"records\":1,\"compression\":\"none\"," \
	   "\"key\":\"k1\",\"value\":\"one\"}],\"payload_bytes\":73,\"payload\":\"one\"," \
	   "\"error\":null,\"reply\":{\"partitions\":[{\"topic\":\"t\",\"partition\":0," \
	   "\"error\":null,\"base_offset\":5}],\"throttle_time_ms\":0},\"req_bytes\":117," \
	   "\"resp_bytes\":53,\"truncated\":false}")

static const struct kf_fixture fixtures[] = {
	{ .name = "test_client", .body = 64,
	  SEGS(
		PD_OUT(1000, APIV_REQ),
		PD_IN(2000, APIV_RESP),
		PD_OUT(3000, META_REQ),
		PD_OUT(5000, PROD_REQ),
		PD_IN(6000, PROD_RESP),
		PD_OUT(7000, PROD0_REQ),
		PD_OUT(9000, FETCH_REQ),
		PD_IN(10000, FETCH_RESP),
		PD_OUT(11000, PROD_ERR_REQ),
		PD_IN(12000, PROD_ERR_RESP)),
	  .expect =
		EV(1000, 2000, HEAD("ApiVersions", "null", 3, 1) "\"client_software_name\":\"kcat\","
		   "\"client_software_version\":\"1.7\"," NOPAY ",\"error\":\"UNSUPPORTED_VERSION\","
		   "\"reply\":{\"error\":\"UNSUPPORTED_VERSION\",\"api_keys\":1},\"req_bytes\":28,"
		   "\"resp_bytes\":20,\"truncated\":false}")
		EV(3000, -1, HEAD("Metadata", "\"t\"", 4, 2) "\"topics\":[\"t\"]," NOPAY ","
		   "\"error\":null,\"req_bytes\":25,\"resp_bytes\":0,\"truncated\":false,"
		   "\"incomplete\":true}")
		PRODUCE_EV(5000, 6000)
		EV(7000, -1, HEAD("Produce", "\"t\"", 3, 4) "\"acks\":0,\"timeout_ms\":1000,"
		   "\"partitions\":[{\"topic\":\"t\",\"partition\":1,\"records\":2,\"compression\":\"gzip\","
		   "\"key\":\"\",\"value\":\"zipped\"}],\"payload_bytes\":102,\"payload\":\"zipped\","
		   "\"error\":null,\"req_bytes\":146,\"resp_bytes\":0,\"truncated\":false}")
		EV(9000, 10000, HEAD("Fetch", "\"t\"", 11, 5) "\"max_wait_ms\":500,\"min_bytes\":1,"
		   "\"partitions\":[{\"topic\":\"t\",\"partition\":0,\"fetch_offset\":5}],"
		   "\"payload_bytes\":73,\"payload\":\"one\",\"error\":null,"
		   "\"reply\":{\"throttle_time_ms\":0,\"error\":null,\"partitions\":[{\"topic\":\"t\","
		   "\"partition\":0,\"error\":null,\"high_watermark\":6,\"records\":1,"
		   "\"compression\":\"none\",\"key\":\"k1\",\"value\":\"one\"}]},\"req_bytes\":87,"
		   "\"resp_bytes\":144,\"truncated\":false}")
		EV(11000, 12000, HEAD("Produce", "\"nope\"", 7, 6) "\"acks\":1,\"timeout_ms\":30000,"
		   "\"partitions\":[{\"topic\":\"nope\",\"partition\":0,\"records\":1,"
		   "\"compression\":\"none\",\"key\":\"k1\",\"value\":\"one\"}],\"payload_bytes\":73,"
		   "\"payload\":\"one\",\"error\":\"UNKNOWN_TOPIC_OR_PARTITION\","
		   "\"reply\":{\"partitions\":[{\"topic\":\"nope\",\"partition\":0,"
		   "\"error\":\"UNKNOWN_TOPIC_OR_PARTITION\",\"base_offset\":-1}],"
		   "\"throttle_time_ms\":0},\"req_bytes\":120,\"resp_bytes\":56,\"truncated\":false}") },

	/* A traced broker: requests come in; junk before one is skipped. */
	{ .name = "test_broker_side", .body = 64, .server = true,
	  SEGS(
		PD_IN(5000, "\xff\xff" PROD_REQ),
		PD_OUT(6000, PROD_RESP)),
	  .expect = PRODUCE_EV(5000, 6000) "# skipped out=0 in=2 done out=0 in=0\n" },
};

/* A message longer than the window: its start decoded, the rest consumed
 * unread; a gap inside that rest is absorbed. */
static void test_big_message(void **state)
{
	static uint8_t big[80000];
	static const uint8_t head[] = PROD_REQ;
	struct pd_seg segs[] = {
		PD_OUTB(1000, big, 70000),
		PD_GAP_(ADI_DIR_OUT, 5000),
		PD_OUTB(1500, big + 75000, sizeof(big) - 75000),
		PD_INB(2000, (const uint8_t *)PROD_RESP, sizeof(PROD_RESP) - 1),
	};
	struct pd_case c = { .name = __func__, .proto = &adi_proto_kafka, .segs = segs,
			     .nsegs = PD_NSEG(segs), .cfg = { .body_bytes = 8, .rows_sample = 5 } };
	uint32_t size = sizeof(big) - 4;

	(void)state;
	/* PROD_REQ with its size made 80000 - 4: the records end inside the
	 * window, the rest of the message is padding the decoder never reads */
	memcpy(big, head, sizeof(head) - 1);
	big[0] = (uint8_t)(size >> 24);
	big[1] = (uint8_t)(size >> 16);
	big[2] = (uint8_t)(size >> 8);
	big[3] = (uint8_t)size;
	static const char want[] =
		EV(1000, 2000, HEAD("Produce", "\"t\"", 7, 3) "\"acks\":-1,\"timeout_ms\":30000,"
		   "\"partitions\":[{\"topic\":\"t\",\"partition\":0,\"records\":1,"
		   "\"compression\":\"none\",\"key\":\"k1\",\"value\":\"one\"}],\"payload_bytes\":73,"
		   "\"payload\":\"one\",\"error\":null,\"reply\":{\"partitions\":[{\"topic\":\"t\","
		   "\"partition\":0,\"error\":null,\"base_offset\":5}],\"throttle_time_ms\":0},"
		   "\"req_bytes\":80000,\"resp_bytes\":53,\"truncated\":true,\"incomplete\":true}");
	static const enum pd_mode modes[] = { PD_WHOLE, PD_BYTES, PD_THREES, PD_HALVES, PD_RANDOM };
	char *got;

	/* 80 KB split at every offset is 6 GB of parsing: whole, in pieces of
	 * 1 and 3 bytes, halves, random pieces, and through the engine */
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		got = pd_run(&c, modes[i], 7);
		if (strcmp(got, want)) {
			print_error("mode %d:\n%s\nwant:\n%s\n", (int)modes[i], got, want);
			fail();
		}
		free(got);
	}
	got = pd_run_engine(&c, false);
	assert_string_equal(got, want);
	free(got);
}

struct sniff_case {
	const char *what;
	const char *b;
	size_t n;
	uint16_t port;
	int want;
};

#define SN(w, s, port, want) { (w), (s), sizeof(s) - 1, (port), (want) }

/* sniff()'s thresholds (kafka.c). */
static void test_sniff(void **state)
{
	static const struct sniff_case cases[] = {
		SN("ApiVersions", APIV_REQ, 12345, 80),
		SN("Produce on 9092", PROD_REQ, 9092, 90),
		/* a response reads as a request header when its correlation id is
		 * below 65536 (API key 0, Produce): it is Kafka all the same */
		SN("a response", PROD_RESP, 9092, 90),
		SN("a response with a large correlation id", "\x00\x00\x00\x10\x7f\x00\x00\x01"
		   "\x00\x00\x00\x00", 9092, 0),
		SN("header cut", "\x00\x00\x00\x18\x00", 12345, -1),
		SN("postgres startup", "\x00\x00\x00\x29\x00\x03\x00\x00user\0postgres\0database\0"
		   "postgres\0\0", 5432, 0),
		SN("postgres sslrequest", "\x00\x00\x00\x08\x04\xd2\x16\x2f", 5432, 0),
		SN("text", "hello world, this is text\n", 9999, 0),
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct sniff_case *k = &cases[i];
		struct adi_sniff_ctx c = { .dir = ADI_DIR_OUT, .local_port = 40000,
					   .remote_port = k->port };
		int got = adi_proto_kafka.sniff((const uint8_t *)k->b, k->n, &c);

		if (got != k->want) {
			print_error("%s: %d, want %d\n", k->what, got, k->want);
			fail();
		}
	}
}

int main(void)
{
	static const struct CMUnitTest more[] = {
		cmocka_unit_test(test_big_message),
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
