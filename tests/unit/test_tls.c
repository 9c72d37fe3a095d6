/* test_tls.c - unit tests of the TLS handshake decoder (src/proto/tls/).
 * The fixtures are two real handshakes (tests/unit/data/tls_fixtures.h:
 * TLS 1.3 and TLS 1.2, made by Python's ssl module) and records written by
 * hand from RFC 8446 / RFC 5246; the expected "tls" objects are written from
 * what the handshake's makers report (Python's SSLObject.version() and
 * cipher(), `openssl x509` for the certificate), following docs/events.md.
 * The decoder makes no events: what it tells the connection comes out as
 * "@ tls {...}" lines (tests/support/pdrive.h). Each fixture is also fed in
 * 1-byte pieces, split at every offset and through the real engine.
 * With ADI_SEED_DIR=<dir> the fixtures are written there as seeds of
 * fuzz/fuzz_tls.c ("tls-<test name>").
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
#include "proto/tls.h"
#include "proto/postgres.h"
#include "data/tls_fixtures.h"

#define FIX(segs_, server_) \
	{ .name = __func__, .proto = &adi_proto_tls, .segs = (segs_), \
	  .nsegs = PD_NSEG(segs_), .cfg = { .body_bytes = 4096, .rows_sample = 5 }, \
	  .server = (server_) }

#define SEG(dir_, t_, a_) { PD_DATA, (dir_), (a_), sizeof(a_), (t_) }

/* What the fixtures' ClientHello says (both offer TLS 1.3 and 1.2). */
#define CLIENT \
	"\"sni\":\"api.example.test\",\"alpn\":%s,\"alpn_offered\":[\"h2\",\"http/1.1\"]," \
	"\"versions_offered\":[\"TLSv1.3\",\"TLSv1.2\"]"
#define AFTER_CH \
	"@ tls {\"version\":null,\"cipher\":null,\"sni\":\"api.example.test\",\"alpn\":null," \
	"\"alpn_offered\":[\"h2\",\"http/1.1\"],\"versions_offered\":[\"TLSv1.3\",\"TLSv1.2\"]," \
	"\"handshake\":\"partial\"}\n"
#define DONE_BOTH "# skipped out=0 in=0 done out=1 in=1\n"

/* TLS 1.3 from the client: ClientHello, then ServerHello (the certificate
 * is in the encrypted part), then nothing more is read in either
 * direction. */
static void test_tls13_client(void **state)
{
	static const struct pd_seg segs[] = {
		SEG(ADI_DIR_OUT, 1000, tls13_0), SEG(ADI_DIR_IN, 2000, tls13_1),
		SEG(ADI_DIR_OUT, 3000, tls13_2), SEG(ADI_DIR_IN, 4000, tls13_3),
		SEG(ADI_DIR_OUT, 5000, tls13_4),
	};
	struct pd_case c = FIX(segs, false);

	(void)state;
	pd_check_fixture(&c, AFTER_CH
		"@ tls {\"version\":\"TLSv1.3\",\"cipher\":\"TLS_AES_256_GCM_SHA384\","
		"\"sni\":\"api.example.test\",\"alpn\":null,\"alpn_offered\":[\"h2\",\"http/1.1\"],"
		"\"versions_offered\":[\"TLSv1.3\",\"TLSv1.2\"],\"certificate\":\"encrypted\","
		"\"handshake\":\"seen\"}\n" DONE_BOTH);
}

/* The same seen from the server: the client's bytes come in. */
static void test_tls13_server(void **state)
{
	static const struct pd_seg segs[] = {
		SEG(ADI_DIR_IN, 1000, tls13_0), SEG(ADI_DIR_OUT, 2000, tls13_1),
		SEG(ADI_DIR_IN, 3000, tls13_2), SEG(ADI_DIR_OUT, 4000, tls13_3),
		SEG(ADI_DIR_IN, 5000, tls13_4),
	};
	struct pd_case c = FIX(segs, true);

	(void)state;
	pd_check_fixture(&c, AFTER_CH
		"@ tls {\"version\":\"TLSv1.3\",\"cipher\":\"TLS_AES_256_GCM_SHA384\","
		"\"sni\":\"api.example.test\",\"alpn\":null,\"alpn_offered\":[\"h2\",\"http/1.1\"],"
		"\"versions_offered\":[\"TLSv1.3\",\"TLSv1.2\"],\"certificate\":\"encrypted\","
		"\"handshake\":\"seen\"}\n" DONE_BOTH);
}

/* TLS 1.2: the ServerHello chooses http/1.1; the certificate, in its own
 * record after it, is in the clear and read. */
static void test_tls12_client(void **state)
{
	static const struct pd_seg segs[] = {
		SEG(ADI_DIR_OUT, 1000, tls12_0), SEG(ADI_DIR_IN, 2000, tls12_1),
		SEG(ADI_DIR_OUT, 3000, tls12_2), SEG(ADI_DIR_IN, 4000, tls12_3),
		SEG(ADI_DIR_OUT, 5000, tls12_4),
	};
	struct pd_case c = FIX(segs, false);

	(void)state;
	pd_check_fixture(&c, AFTER_CH
		"@ tls {\"version\":\"TLSv1.2\","
		"\"cipher\":\"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384\","
		"\"sni\":\"api.example.test\",\"alpn\":\"http/1.1\","
		"\"alpn_offered\":[\"h2\",\"http/1.1\"],\"versions_offered\":[\"TLSv1.3\",\"TLSv1.2\"],"
		"\"certificate\":null,\"handshake\":\"seen\"}\n"
		"@ tls {\"version\":\"TLSv1.2\","
		"\"cipher\":\"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384\","
		"\"sni\":\"api.example.test\",\"alpn\":\"http/1.1\","
		"\"alpn_offered\":[\"h2\",\"http/1.1\"],\"versions_offered\":[\"TLSv1.3\",\"TLSv1.2\"],"
		"\"certificate\":{\"subject\":\"O=adi test,CN=api.example.test\","
		"\"issuer\":\"O=adi test,CN=api.example.test\",\"not_after\":\"2036-12-04T04:38:43Z\","
		"\"dns_names\":[\"api.example.test\",\"localhost\"]},\"handshake\":\"seen\"}\n"
		DONE_BOTH);
}

/* A HelloRetryRequest (the server wants another key share): the
 * ChangeCipherSpec each side sends after it is TLS 1.3's compatibility
 * dummy, so the second hellos are still read; the second ClientHello says
 * nothing new (not told again), the real ServerHello does. */
static void test_hello_retry(void **state)
{
	static const struct pd_seg segs[] = {
		SEG(ADI_DIR_OUT, 1000, hrr_0), SEG(ADI_DIR_IN, 2000, hrr_1),
		SEG(ADI_DIR_OUT, 3000, hrr_2), SEG(ADI_DIR_IN, 4000, hrr_3),
	};
	struct pd_case c = FIX(segs, false);

	(void)state;
	pd_check_fixture(&c,
		"@ tls {\"version\":null,\"cipher\":null,\"sni\":\"hrr.example.test\",\"alpn\":null,"
		"\"alpn_offered\":[],\"versions_offered\":[\"TLSv1.3\",\"TLSv1.2\"],"
		"\"handshake\":\"partial\"}\n"
		"@ tls {\"version\":\"TLSv1.3\",\"cipher\":\"TLS_AES_256_GCM_SHA384\","
		"\"sni\":\"hrr.example.test\",\"alpn\":null,\"alpn_offered\":[],"
		"\"versions_offered\":[\"TLSv1.3\",\"TLSv1.2\"],\"certificate\":\"encrypted\","
		"\"handshake\":\"seen\"}\n# skipped out=0 in=0 done out=0 in=1\n");
}

/* The ClientHello's 512-byte handshake message split over two records
 * (RFC 8446 5.1 allows any split): the same facts. */
static void test_hello_across_records(void **state)
{
	static uint8_t two[517 + 5];
	static const struct pd_seg segs[] = {
		{ PD_DATA, ADI_DIR_OUT, two, sizeof(two), 1000 },
	};
	struct pd_case c = FIX(segs, false);

	(void)state;
	/* 16 03 01 | 01 00 | first 256 bytes | 16 03 01 | 01 00 | last 256 */
	memcpy(two, "\x16\x03\x01\x01\x00", 5);
	memcpy(two + 5, tls13_0 + 5, 256);
	memcpy(two + 261, "\x16\x03\x01\x01\x00", 5);
	memcpy(two + 266, tls13_0 + 5 + 256, 256);
	pd_check_fixture(&c, AFTER_CH);
}

/* Joined after the handshake (attach): a gap, then protected records. */
static void test_unseen(void **state)
{
	static const struct pd_seg segs[] = {
		PD_GAP_(ADI_DIR_OUT, 4000),
		SEG(ADI_DIR_OUT, 1000, tls13_4),
		PD_GAP_(ADI_DIR_IN, 9000),
		SEG(ADI_DIR_IN, 2000, tls13_3),
	};
	struct pd_case c = FIX(segs, false);

	(void)state;
	/* the client's one record ends its direction but nothing follows it
	 * to be refused; the server's second record is */
	pd_check_fixture(&c, "@ tls {\"version\":null,\"cipher\":null,\"sni\":null,\"alpn\":null,"
			 "\"handshake\":\"unseen\"}\n# skipped out=0 in=0 done out=0 in=1\n");
}

/* A ClientHello the server refuses: a fatal handshake_failure alert in
 * the clear. A hand-made hello without extensions (TLS 1.0 style). */
static void test_alert(void **state)
{
	/* record: 16 03 01 00 2d; handshake 01 00 00 29; version 03 03;
	 * random 32 x 0x11; session id 0; suites 00 02 c0 2f; compression 01 00 */
	static const uint8_t hello[] = {
		0x16, 0x03, 0x01, 0x00, 0x2d, 0x01, 0x00, 0x00, 0x29, 0x03, 0x03,
		0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
		0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
		0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
		0x00, 0x00, 0x02, 0xc0, 0x2f, 0x01, 0x00,
	};
	static const uint8_t alert[] = { 0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28 };
	static const struct pd_seg segs[] = {
		SEG(ADI_DIR_OUT, 1000, hello), SEG(ADI_DIR_IN, 2000, alert),
	};
	struct pd_case c = FIX(segs, false);

	(void)state;
	pd_check_fixture(&c,
		"@ tls {\"version\":null,\"cipher\":null,\"sni\":null,\"alpn\":null,"
		"\"alpn_offered\":[],\"versions_offered\":[\"TLSv1.2\"],\"handshake\":\"partial\"}\n"
		"@ tls {\"version\":null,\"cipher\":null,\"sni\":null,\"alpn\":null,"
		"\"alpn_offered\":[],\"versions_offered\":[\"TLSv1.2\"],\"handshake\":\"partial\","
		"\"alert\":\"handshake_failure\"}\n");
}

/* Garbage before a ClientHello (a resync after a gap in the middle of a
 * record): the bytes are skipped up to the next plausible header. */
static void test_resync(void **state)
{
	static const uint8_t junk[] = { 0x00, 0x42, 0x16, 0x07, 0x99 };
	static const struct pd_seg segs[] = {
		PD_GAP_(ADI_DIR_OUT, 10),
		SEG(ADI_DIR_OUT, 900, junk),
		SEG(ADI_DIR_OUT, 1000, tls13_0),
	};
	struct pd_case c = FIX(segs, false);

	(void)state;
	pd_check_fixture(&c, AFTER_CH "# skipped out=5 in=0 done out=0 in=0\n");
}

/* PostgreSQL's SSLRequest answered 'S': the postgres decoder tells the
 * login went on under TLS (its db_session event), hands the connection over
 * (proto.h, next()) and the handshake is read as on 443. */
static void test_postgres_hand_over(void **state)
{
	static const struct pd_seg segs[] = {
		PD_OUT(1000, "\x00\x00\x00\x08\x04\xd2\x16\x2f"),
		PD_IN(2000, "S"),
		SEG(ADI_DIR_OUT, 3000, tls13_0), SEG(ADI_DIR_IN, 4000, tls13_1),
	};
	struct pd_case c = { .name = __func__, .proto = &adi_proto_postgres, .segs = segs,
			     .nsegs = PD_NSEG(segs),
			     .cfg = { .body_bytes = 4096, .rows_sample = 5 } };

	(void)state;
	pd_check_fixture(&c, "1000 2000 db_session {\"db\":\"postgres\",\"op\":\"login\","
		"\"database\":null,\"user\":null,\"error\":null,\"tls\":true}\n" AFTER_CH
		"@ tls {\"version\":\"TLSv1.3\",\"cipher\":\"TLS_AES_256_GCM_SHA384\","
		"\"sni\":\"api.example.test\",\"alpn\":null,\"alpn_offered\":[\"h2\",\"http/1.1\"],"
		"\"versions_offered\":[\"TLSv1.3\",\"TLSv1.2\"],\"certificate\":\"encrypted\","
		"\"handshake\":\"seen\"}\n# skipped out=0 in=0 done out=0 in=1\n");
}

/* The first bytes of a direction: hellos claim it, protected data of a
 * connection joined later just above the claim, anything else not. */
static void test_sniff(void **state)
{
	static const struct { const char *what, *b; size_t n; int want; } cases[] = {
		{ "ClientHello", (const char *)tls13_0, sizeof(tls13_0), 95 },
		{ "ServerHello", (const char *)tls13_1, sizeof(tls13_1), 95 },
		{ "application data", (const char *)tls13_4, sizeof(tls13_4), 62 },
		{ "handshake, other", "\x16\x03\x03\x00\x04\x0e\x00\x00\x00", 9, 70 },
		{ "header only", "\x16\x03\x01\x02\x00", 5, -1 },
		{ "one byte", "\x16", 1, -1 },
		{ "SSL 2 / other version", "\x16\x02\x00\x00\x05\x01", 6, 0 },
		{ "record too long", "\x16\x03\x03\x48\x01\x01", 6, 0 },
		{ "alert", "\x15\x03\x03\x00\x02\x02\x28", 7, 0 },
		{ "HTTP", "GET / HTTP/1.1\r\n", 16, 0 },
		{ "empty record", "\x17\x03\x03\x00\x00\x00", 6, 0 },
	};
	struct adi_sniff_ctx sc = { .dir = ADI_DIR_OUT };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = adi_proto_tls.sniff((const uint8_t *)cases[i].b, cases[i].n, &sc);

		if (got != cases[i].want)
			fail_msg("%s: sniff %d, want %d", cases[i].what, got, cases[i].want);
	}
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tls13_client),
		cmocka_unit_test(test_tls13_server),
		cmocka_unit_test(test_tls12_client),
		cmocka_unit_test(test_hello_retry),
		cmocka_unit_test(test_hello_across_records),
		cmocka_unit_test(test_unseen),
		cmocka_unit_test(test_alert),
		cmocka_unit_test(test_resync),
		cmocka_unit_test(test_postgres_hand_over),
		cmocka_unit_test(test_sniff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
