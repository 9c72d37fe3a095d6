/* test_classify.c - the classifier must not confuse protocols: the first
 * bytes of each protocol (either direction, client and server side) are run
 * through the registry (adi_proto_classify, i.e. every sniffer at once) and
 * must pick exactly the decoder written for them, or none (a generic
 * tcp_stream) for protocols we do not decode. Also every sniffer alone must
 * score the foreign openings below the claim threshold. The openings are
 * written from the protocols' specifications, byte by byte; datagrams (UDP)
 * are offered only to the decoders that take datagrams. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "proto/proto.h"

struct opening {
	const char *what;
	const uint8_t *b;
	size_t n;
	enum adi_dir dir;      /* as the traced client sees it */
	const char *proto;     /* the decoder that must claim it, or NULL */
	uint16_t port;         /* the server port (a hint only) */
	bool needs_port;       /* claimed only with the port hint (weak evidence) */
	bool dgram;            /* one whole datagram (UDP), not a stream's start */
};

#define O(w, s, d, p, port) { (w), (const uint8_t *)(s), sizeof(s) - 1, (d), (p), (port), false, false }
#define OP(w, s, d, p, port) { (w), (const uint8_t *)(s), sizeof(s) - 1, (d), (p), (port), true, false }
#define OD(w, s, d, p, port) { (w), (const uint8_t *)(s), sizeof(s) - 1, (d), (p), (port), false, true }

static const struct opening openings[] = {
	O("http request", "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n", ADI_DIR_OUT, "http", 80),
	O("http response", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", ADI_DIR_IN, "http", 80),
	/* StartupMessage: length 41, protocol 3.0, "user" "postgres" "database" "postgres" */
	O("postgres startup",
	  "\x00\x00\x00\x29\x00\x03\x00\x00user\0postgres\0database\0postgres\0\0",
	  ADI_DIR_OUT, "postgres", 5432),
	/* SSLRequest: length 8, code 80877103 */
	O("postgres sslrequest", "\x00\x00\x00\x08\x04\xd2\x16\x2f", ADI_DIR_OUT, "postgres", 5432),
	/* the server's AuthenticationOk: 'R', length 8, 0 */
	O("postgres auth ok", "R\x00\x00\x00\x08\x00\x00\x00\x00", ADI_DIR_IN, "postgres", 5432),
	/* Handshake v10: length 0x4a, seq 0, protocol 10, version string */
	O("mysql greeting",
	  "\x4a\x00\x00\x00\x0a" "10.11.19-MariaDB-0+deb12u1\0"
	  "\x08\x00\x00\x00" "abcdefgh\0" "\xfe\xf7\x2d\x02\x00\xff\x81\x15\x00\x00\x00\x00\x00\x00\x1d\x00\x00\x00"
	  "ijklmnopqrst\0" "mysql_native_password\0",
	  ADI_DIR_IN, "mysql", 3306),
	/* TLS ClientHello record header */
	O("tls client hello", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", ADI_DIR_OUT, NULL, 443),
	O("http2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", ADI_DIR_OUT, "http2", 80),
	O("redis command", "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n", ADI_DIR_OUT, "redis", 6379),
	/* a typed command: Redis only on its port (else any text "PING") */
	OP("redis inline", "PING\r\n", ADI_DIR_OUT, "redis", 6379),
	O("irc ping", "PING :irc.example.net\r\n", ADI_DIR_IN, NULL, 6667),
	/* OP_MSG header: length 0x3d, requestID 1, responseTo 0, opCode 2013 */
	O("mongo op_msg", "\x3d\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\xdd\x07\x00\x00"
	  "\x00\x00\x00\x00\x00", ADI_DIR_OUT, "mongo", 27017),
	O("ssh banner", "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", ADI_DIR_IN, NULL, 22),
	O("smtp greeting", "220 mail.example.com ESMTP Postfix\r\n", ADI_DIR_IN, NULL, 25),
	/* DNS over TCP: length 0x1d, id, flags RD, 1 question: example.com A IN */
	O("dns over tcp", "\x00\x1d\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
	  "\x07" "example\x03" "com\x00\x00\x01\x00\x01", ADI_DIR_OUT, "dns", 53),
	/* the same query as a UDP datagram, and its response: QR AA RD RA, one
	 * answer (a pointer to the question's name, A IN, TTL 60, 10.0.0.1) */
	OD("dns query datagram", "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
	   "\x07" "example\x03" "com\x00\x00\x01\x00\x01", ADI_DIR_OUT, "dns", 53),
	OD("dns response datagram", "\x12\x34\x85\x80\x00\x01\x00\x01\x00\x00\x00\x00"
	   "\x07" "example\x03" "com\x00\x00\x01\x00\x01"
	   "\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x0a\x00\x00\x01",
	   ADI_DIR_IN, "dns", 53),
	/* an mDNS announcement: id 0, QR AA, no question, one answer
	 * host.local A with the cache-flush bit, TTL 120 */
	OD("mdns announcement", "\x00\x00\x84\x00\x00\x00\x00\x01\x00\x00\x00\x00"
	   "\x04" "host\x05" "local\x00\x00\x01\x80\x01\x00\x00\x00\x78\x00\x04\xc0\xa8\x01\x02",
	   ADI_DIR_IN, "dns", 5353),
	/* an NTP client request (mode 3, version 4): 48 bytes, mostly zero */
	OD("ntp request", "\x23\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	   "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	   "\x00\x00\x00\x00\x00\x00\x00\x00\xe9\x1c\x7f\x4a\x00\x00\x00\x00", ADI_DIR_OUT, NULL, 123),
	/* syslog over a datagram (RFC 3164), and HTTP text sent as a datagram:
	 * a stream decoder never takes a datagram */
	OD("syslog datagram", "<13>Dec  7 10:00:00 host app: hello\n", ADI_DIR_OUT, NULL, 514),
	OD("http text datagram", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", ADI_DIR_OUT, NULL, 80),
	/* a QUIC Initial's first bytes: long header, version 1 */
	OD("quic initial", "\xc3\x00\x00\x00\x01\x08\x01\x02\x03\x04\x05\x06\x07\x08\x00\x00"
	   "\x44\xe6\x00\x11\x22\x33", ADI_DIR_OUT, NULL, 443),
	OD("zeros datagram", "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
	   ADI_DIR_OUT, NULL, 53),
	O("zeros", "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
	  ADI_DIR_OUT, NULL, 9999),
	O("text line", "hello world, this is just text\n", ADI_DIR_OUT, NULL, 9999),
};

static const char *claim(const struct opening *o, bool server, uint16_t port, int *more)
{
	/* seen from a traced server, the client's bytes come in */
	struct adi_sniff_ctx c = {
		.dir = server ? (o->dir == ADI_DIR_OUT ? ADI_DIR_IN : ADI_DIR_OUT) : o->dir,
		.server_side = server,
		.local_port = server ? port : 40000,
		.remote_port = server ? 40000 : port,
		.datagram = o->dgram,
	};
	const struct adi_proto *p = adi_proto_classify(o->b, o->n, &c, more);

	return p ? p->name : NULL;
}

static void test_openings(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(openings) / sizeof(openings[0]); i++) {
		const struct opening *o = &openings[i];

		for (int server = 0; server < 2; server++) {
			/* the right port, and a port that lies */
			uint16_t ports[2] = { o->port, 12345 };

			for (int k = 0; k < 2; k++) {
				int more = 0;
				const char *got = claim(o, server, ports[k], &more);
				const char *want = k && o->needs_port ? NULL : o->proto;

				if (!got != !want || (got && strcmp(got, want))) {
					print_error("%s (server %d, port %u): claimed by %s, want %s\n",
						    o->what, server, ports[k], got ? got : "none",
						    want ? want : "none");
					fail();
				}
			}
		}
	}
}

/* A port alone never makes a claim: nothing but zeros on 5432 or 3306. */
static void test_port_is_only_a_hint(void **state)
{
	static const uint8_t junk[24] = { 0 };
	static const uint16_t ports[] = { 80, 5432, 3306, 6379, 27017, 53, 5353 };

	(void)state;
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		for (int dg = 0; dg < 2; dg++) {
			struct adi_sniff_ctx c = { .dir = ADI_DIR_OUT, .remote_port = ports[i],
						   .datagram = dg };
			int more = 0;

			assert_null(adi_proto_classify(junk, sizeof(junk), &c, &more));
		}
	}
}

/* Each sniffer alone: foreign openings stay under the claim threshold, its
 * own reach it, and every score is in range for every prefix length. */
static void test_each_sniffer(void **state)
{
	(void)state;
	assert_true(adi_proto_count() >= 3);
	for (size_t k = 0; k < adi_proto_count(); k++) {
		const struct adi_proto *p = adi_proto_at(k);

		for (size_t i = 0; i < sizeof(openings) / sizeof(openings[0]); i++) {
			const struct opening *o = &openings[i];
			struct adi_sniff_ctx c = { .dir = o->dir, .remote_port = o->port,
						   .datagram = o->dgram };
			bool mine = o->proto && !strcmp(o->proto, p->name);
			int s;

			/* only decoders of datagrams are asked about one */
			if (o->dgram && !p->datagrams)
				continue;
			s = p->sniff(o->b, o->n, &c);

			/* with its port hint a row's own decoder claims it */
			if (mine ? s < ADI_SNIFF_CLAIM : s >= ADI_SNIFF_CLAIM) {
				print_error("%s scores %d on %s\n", p->name, s, o->what);
				fail();
			}
			for (size_t n = 0; n <= o->n; n++) {
				s = p->sniff(o->b, n, &c);
				assert_true(s >= -1 && s <= 100);
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_openings),
		cmocka_unit_test(test_port_is_only_a_hint),
		cmocka_unit_test(test_each_sniffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
