/* test_dns.c - unit tests of the DNS decoder (src/proto/dns/). Messages
 * are framed by hand from RFC 1035 4.1 (and RFC 6891 for OPT, RFC 7871 for
 * client subnet, RFC 8914 for extended errors, RFC 9460 for HTTPS) with the
 * small builder below: labels, compression pointers and record data are
 * written byte by byte, the offsets a pointer names are those the builder
 * returned. Each fixture runs through the shared driver
 * (tests/support/pdrive.h): UDP ones as datagrams (whole, through the
 * engine, and every datagram cut at every length), TCP ones with the
 * 2-byte length (whole, in 1-byte pieces and split at every offset). The
 * expected events ("ts_start ts_end dns_query [peer=PORT] json" lines)
 * follow docs/events.md and docs/dns.md. With ADI_SEED_DIR=<dir> the
 * fixtures are written there as seeds of fuzz/fuzz_dns.c.
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
#include "proto/dns.h"

/* ---- a message builder ---- */

struct mb {
	uint8_t b[1024];
	size_t n;
};

static void put8(struct mb *m, unsigned v)
{
	m->b[m->n++] = (uint8_t)v;
}

static void put16(struct mb *m, unsigned v)
{
	put8(m, v >> 8);
	put8(m, v & 0xff);
}

static void put32(struct mb *m, uint32_t v)
{
	put16(m, v >> 16);
	put16(m, v & 0xffff);
}

static void putb(struct mb *m, const void *p, size_t k)
{
	memcpy(m->b + m->n, p, k);
	m->n += k;
}

static void hdr(struct mb *m, unsigned id, unsigned flags, unsigned qd, unsigned an,
		unsigned ns, unsigned ar)
{
	m->n = 0;
	put16(m, id);
	put16(m, flags);
	put16(m, qd);
	put16(m, an);
	put16(m, ns);
	put16(m, ar);
}

/* Labels of a dotted name; ptr > 0: end with a pointer there, else the
 * root byte. Returns where the name starts. */
static size_t name(struct mb *m, const char *dotted, unsigned ptr)
{
	size_t at = m->n;

	while (*dotted) {
		const char *dot = strchr(dotted, '.');
		size_t l = dot ? (size_t)(dot - dotted) : strlen(dotted);

		put8(m, (unsigned)l);
		putb(m, dotted, l);
		dotted += l + (dot ? 1 : 0);
	}
	if (ptr)
		put16(m, 0xc000 | ptr);
	else
		put8(m, 0);
	return at;
}

static void question(struct mb *m, const char *dotted, unsigned type)
{
	name(m, dotted, 0);
	put16(m, type);
	put16(m, 1); /* IN */
}

/* A record's fixed part after its name; returns where rdlength goes
 * (rr_end fills it). */
static size_t rr(struct mb *m, unsigned type, unsigned cls, uint32_t ttl)
{
	size_t at;

	put16(m, type);
	put16(m, cls);
	put32(m, ttl);
	at = m->n;
	put16(m, 0);
	return at;
}

static void rr_end(struct mb *m, size_t at)
{
	size_t len = m->n - at - 2;

	m->b[at] = (uint8_t)(len >> 8);
	m->b[at + 1] = (uint8_t)len;
}

/* The OPT record (RFC 6891 6.1.2): root name, type 41, class = payload
 * size, TTL = extended rcode, version, DO; options follow (opt_end). */
static size_t opt(struct mb *m, unsigned size, bool dnssec_ok)
{
	put8(m, 0);
	return rr(m, 41, size, dnssec_ok ? 0x8000 : 0);
}

/* The 2-byte length of TCP (RFC 1035 4.2.2) before a message. */
static void tcp_frame(struct mb *out, const struct mb *msg)
{
	out->n = 0;
	put16(out, (unsigned)msg->n);
	putb(out, msg->b, msg->n);
}

/* ---- running a fixture ---- */

static void check(const char *test, const struct pd_seg *segs, size_t nsegs,
		  const uint16_t *peers, bool datagram, const char *expect)
{
	struct pd_case c = {
		.name = test, .proto = &adi_proto_dns, .segs = segs, .nsegs = nsegs,
		.cfg = { .body_bytes = 64, .rows_sample = 5 },
		.datagram = datagram, .peers = peers,
	};

	pd_check_fixture(&c, expect);
}

#define EMPTY_SECTIONS "\"authority\":[],\"additional\":[]"

/* example.test A over UDP: RD and EDNS in the query; two answers whose
 * names point back at the question (offset 12). */
static void test_udp_a(void **state)
{
	static struct mb q, r;
	size_t at;

	(void)state;
	hdr(&q, 0x1234, 0x0100, 1, 0, 0, 1);
	question(&q, "example.test", 1);
	at = opt(&q, 1232, false);
	rr_end(&q, at);
	hdr(&r, 0x1234, 0x8580, 1, 2, 0, 1);
	question(&r, "example.test", 1);
	put16(&r, 0xc00c);
	at = rr(&r, 1, 1, 60);
	putb(&r, "\x7f\x00\x00\x01", 4);
	rr_end(&r, at);
	put16(&r, 0xc00c);
	at = rr(&r, 1, 1, 60);
	putb(&r, "\x7f\x00\x00\x02", 4);
	rr_end(&r, at);
	at = opt(&r, 1232, false);
	rr_end(&r, at);
	{
		const struct pd_seg segs[] = {
			PD_OUTB(1000, q.b, q.n),
			PD_INB(1400, r.b, r.n),
		};
		static const uint16_t peers[] = { 53, 53 };

		check(__func__, segs, PD_NSEG(segs), peers, true,
		      "1000 1400 dns_query peer=53 {\"name\":\"example.test\",\"qtype\":\"A\","
		      "\"qclass\":\"IN\",\"rcode\":\"NOERROR\",\"answers\":[\"127.0.0.1\",\"127.0.0.2\"],"
		      "\"id\":4660,\"flags\":[\"AA\",\"RD\",\"RA\"],\"query_flags\":[\"RD\"],"
		      "\"records\":{\"answer\":[{\"name\":\"example.test\",\"type\":\"A\",\"ttl\":60,"
		      "\"data\":\"127.0.0.1\"},{\"name\":\"example.test\",\"type\":\"A\",\"ttl\":60,"
		      "\"data\":\"127.0.0.2\"}]," EMPTY_SECTIONS "},"
		      "\"edns\":{\"udp_size\":1232,\"version\":0,\"do\":false},"
		      "\"resp_edns\":{\"udp_size\":1232,\"version\":0,\"do\":false},"
		      "\"req_bytes\":41,\"resp_bytes\":73}\n");
	}
}

/* The common record types, each name compressed against earlier ones: a
 * CNAME chain, AAAA, MX, TXT with two strings, SRV, and SOA in authority. */
static void test_udp_types(void **state)
{
	static struct mb q, r;
	size_t at, www, ex, alias, host;

	(void)state;
	hdr(&q, 7, 0x0100, 1, 0, 0, 0);
	question(&q, "www.example.test", 255);
	hdr(&r, 7, 0x8180, 1, 6, 1, 0);
	www = name(&r, "www.example.test", 0);
	ex = www + 4; /* "example.test" inside it */
	put16(&r, 255);
	put16(&r, 1);
	put16(&r, 0xc000 | (unsigned)www);
	at = rr(&r, 5, 1, 300);
	alias = name(&r, "alias", (unsigned)ex);
	rr_end(&r, at);
	put16(&r, 0xc000 | (unsigned)alias);
	at = rr(&r, 5, 1, 300);
	host = name(&r, "host", (unsigned)ex);
	rr_end(&r, at);
	put16(&r, 0xc000 | (unsigned)host);
	at = rr(&r, 28, 1, 300);
	putb(&r, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16);
	rr_end(&r, at);
	put16(&r, 0xc000 | (unsigned)ex);
	at = rr(&r, 15, 1, 3600);
	put16(&r, 10);
	name(&r, "mail", (unsigned)ex);
	rr_end(&r, at);
	put16(&r, 0xc000 | (unsigned)ex);
	at = rr(&r, 16, 1, 60);
	putb(&r, "\x0bhello world\x0bv=spf1 -all", 24);
	rr_end(&r, at);
	name(&r, "_sip._udp", (unsigned)ex);
	at = rr(&r, 33, 1, 60);
	put16(&r, 10);
	put16(&r, 5);
	put16(&r, 5060);
	name(&r, "sip", (unsigned)ex);
	rr_end(&r, at);
	put16(&r, 0xc000 | (unsigned)ex);
	at = rr(&r, 6, 1, 600);
	name(&r, "ns", (unsigned)ex);
	name(&r, "hostmaster", (unsigned)ex);
	put32(&r, 2026120701);
	put32(&r, 3600);
	put32(&r, 600);
	put32(&r, 86400);
	put32(&r, 300);
	rr_end(&r, at);
	{
		const struct pd_seg segs[] = {
			PD_OUTB(1000, q.b, q.n),
			PD_INB(3000, r.b, r.n),
		};

		/* a connected socket: the datagrams name no peer */
		check(__func__, segs, PD_NSEG(segs), NULL, true,
		      "1000 3000 dns_query peer=0 {\"name\":\"www.example.test\",\"qtype\":\"ANY\","
		      "\"qclass\":\"IN\",\"rcode\":\"NOERROR\",\"answers\":[\"alias.example.test\","
		      "\"host.example.test\",\"::1\",\"10 mail.example.test\","
		      "\"\\\"hello world\\\" \\\"v=spf1 -all\\\"\",\"10 5 5060 sip.example.test\"],"
		      "\"id\":7,\"flags\":[\"RD\",\"RA\"],\"query_flags\":[\"RD\"],"
		      "\"records\":{\"answer\":["
		      "{\"name\":\"www.example.test\",\"type\":\"CNAME\",\"ttl\":300,\"data\":\"alias.example.test\"},"
		      "{\"name\":\"alias.example.test\",\"type\":\"CNAME\",\"ttl\":300,\"data\":\"host.example.test\"},"
		      "{\"name\":\"host.example.test\",\"type\":\"AAAA\",\"ttl\":300,\"data\":\"::1\"},"
		      "{\"name\":\"example.test\",\"type\":\"MX\",\"ttl\":3600,\"data\":\"10 mail.example.test\"},"
		      "{\"name\":\"example.test\",\"type\":\"TXT\",\"ttl\":60,"
		      "\"data\":\"\\\"hello world\\\" \\\"v=spf1 -all\\\"\"},"
		      "{\"name\":\"_sip._udp.example.test\",\"type\":\"SRV\",\"ttl\":60,"
		      "\"data\":\"10 5 5060 sip.example.test\"}],"
		      "\"authority\":[{\"name\":\"example.test\",\"type\":\"SOA\",\"ttl\":600,"
		      "\"data\":\"ns.example.test hostmaster.example.test 2026120701 3600 600 86400 300\"}],"
		      "\"additional\":[]},\"edns\":null,\"resp_edns\":null,"
		      "\"req_bytes\":34,\"resp_bytes\":242}\n");
	}
}

/* NXDOMAIN with the zone's SOA in authority; then a truncated (TC)
 * response with no answers, which the client follows with TCP. */
static void test_udp_nxdomain_tc(void **state)
{
	static struct mb q1, r1, q2, r2;
	size_t at;

	(void)state;
	hdr(&q1, 0x0101, 0x0100, 1, 0, 0, 0);
	question(&q1, "nope.test", 1);
	hdr(&r1, 0x0101, 0x8583, 1, 0, 1, 0);
	question(&r1, "nope.test", 1);
	put16(&r1, 0xc000 | 17); /* "test" in the question */
	at = rr(&r1, 6, 1, 300);
	name(&r1, "ns", 17);
	put16(&r1, 0xc000 | 17);
	put32(&r1, 1);
	put32(&r1, 2);
	put32(&r1, 3);
	put32(&r1, 4);
	put32(&r1, 5);
	rr_end(&r1, at);
	hdr(&q2, 0x0202, 0x0100, 1, 0, 0, 0);
	question(&q2, "big.test", 16);
	hdr(&r2, 0x0202, 0x8780, 1, 0, 0, 0);
	question(&r2, "big.test", 16);
	{
		const struct pd_seg segs[] = {
			PD_OUTB(100, q1.b, q1.n),
			PD_INB(200, r1.b, r1.n),
			PD_OUTB(300, q2.b, q2.n),
			PD_INB(500, r2.b, r2.n),
		};
		static const uint16_t peers[] = { 53, 53, 53, 53 };

		check(__func__, segs, PD_NSEG(segs), peers, true,
		      "100 200 dns_query peer=53 {\"name\":\"nope.test\",\"qtype\":\"A\",\"qclass\":\"IN\","
		      "\"rcode\":\"NXDOMAIN\",\"answers\":[],\"id\":257,\"flags\":[\"AA\",\"RD\",\"RA\"],"
		      "\"query_flags\":[\"RD\"],\"records\":{\"answer\":[],\"authority\":[{\"name\":\"test\","
		      "\"type\":\"SOA\",\"ttl\":300,\"data\":\"ns.test test 1 2 3 4 5\"}],\"additional\":[]},"
		      "\"edns\":null,\"resp_edns\":null,\"req_bytes\":27,\"resp_bytes\":66}\n"
		      "300 500 dns_query peer=53 {\"name\":\"big.test\",\"qtype\":\"TXT\",\"qclass\":\"IN\","
		      "\"rcode\":\"NOERROR\",\"answers\":[],\"id\":514,\"flags\":[\"AA\",\"TC\",\"RD\",\"RA\"],"
		      "\"query_flags\":[\"RD\"],\"records\":{\"answer\":[]," EMPTY_SECTIONS "},"
		      "\"edns\":null,\"resp_edns\":null,\"req_bytes\":26,\"resp_bytes\":26}\n");
	}
}

/* TCP: two queries pipelined, answered in the other order, each message
 * after its 2-byte length; paired by id and question, not by order. */
static void test_tcp_out_of_order(void **state)
{
	static struct mb m, q1, q2, r1, r2, all;
	size_t at;

	(void)state;
	hdr(&m, 1, 0x0100, 1, 0, 0, 0);
	question(&m, "a.test", 1);
	tcp_frame(&q1, &m);
	hdr(&m, 2, 0x0100, 1, 0, 0, 0);
	question(&m, "b.test", 28);
	tcp_frame(&q2, &m);
	hdr(&m, 2, 0x8180, 1, 1, 0, 0);
	question(&m, "b.test", 28);
	put16(&m, 0xc00c);
	at = rr(&m, 28, 1, 5);
	putb(&m, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x02", 16);
	rr_end(&m, at);
	tcp_frame(&r2, &m);
	hdr(&m, 1, 0x8180, 1, 1, 0, 0);
	question(&m, "a.test", 1);
	put16(&m, 0xc00c);
	at = rr(&m, 1, 1, 5);
	putb(&m, "\x0a\x00\x00\x01", 4);
	rr_end(&m, at);
	tcp_frame(&r1, &m);
	all.n = 0;
	putb(&all, q1.b, q1.n);
	putb(&all, q2.b, q2.n);
	{
		const struct pd_seg segs[] = {
			PD_OUTB(10, all.b, all.n),
			PD_INB(20, r2.b, r2.n),
			PD_INB(30, r1.b, r1.n),
		};

		check(__func__, segs, PD_NSEG(segs), NULL, false,
		      "10 20 dns_query {\"name\":\"b.test\",\"qtype\":\"AAAA\",\"qclass\":\"IN\","
		      "\"rcode\":\"NOERROR\",\"answers\":[\"2001:db8::2\"],\"id\":2,\"flags\":[\"RD\",\"RA\"],"
		      "\"query_flags\":[\"RD\"],\"records\":{\"answer\":[{\"name\":\"b.test\",\"type\":\"AAAA\","
		      "\"ttl\":5,\"data\":\"2001:db8::2\"}]," EMPTY_SECTIONS "},\"edns\":null,"
		      "\"resp_edns\":null,\"req_bytes\":26,\"resp_bytes\":54}\n"
		      "10 30 dns_query {\"name\":\"a.test\",\"qtype\":\"A\",\"qclass\":\"IN\","
		      "\"rcode\":\"NOERROR\",\"answers\":[\"10.0.0.1\"],\"id\":1,\"flags\":[\"RD\",\"RA\"],"
		      "\"query_flags\":[\"RD\"],\"records\":{\"answer\":[{\"name\":\"a.test\",\"type\":\"A\","
		      "\"ttl\":5,\"data\":\"10.0.0.1\"}]," EMPTY_SECTIONS "},\"edns\":null,"
		      "\"resp_edns\":null,\"req_bytes\":26,\"resp_bytes\":42}\n");
	}
}

/* A query sent twice without an answer (a retry: same id, question and
 * peer) and never answered is one event at the end, unanswered, with its
 * retry counted; another query in between is answered. A response that
 * matches no query is shown alone (unsolicited). */
static void test_udp_retry_unanswered(void **state)
{
	static struct mb q7, q8, r8, r9;
	size_t at;

	(void)state;
	hdr(&q7, 7, 0x0100, 1, 0, 0, 0);
	question(&q7, "slow.test", 1);
	hdr(&q8, 8, 0x0100, 1, 0, 0, 0);
	question(&q8, "fast.test", 1);
	hdr(&r8, 8, 0x8180, 1, 1, 0, 0);
	question(&r8, "fast.test", 1);
	put16(&r8, 0xc00c);
	at = rr(&r8, 1, 1, 1);
	putb(&r8, "\x0a\x00\x00\x08", 4);
	rr_end(&r8, at);
	hdr(&r9, 9, 0x8182, 1, 0, 0, 0);
	question(&r9, "late.test", 1);
	{
		const struct pd_seg segs[] = {
			PD_OUTB(1000, q7.b, q7.n),
			PD_OUTB(2000, q7.b, q7.n),
			PD_OUTB(2500, q8.b, q8.n),
			PD_INB(2600, r8.b, r8.n),
			PD_INB(2700, r9.b, r9.n),
		};
		static const uint16_t peers[] = { 53, 53, 53, 53, 53 };

		check(__func__, segs, PD_NSEG(segs), peers, true,
		      "2500 2600 dns_query peer=53 {\"name\":\"fast.test\",\"qtype\":\"A\",\"qclass\":\"IN\","
		      "\"rcode\":\"NOERROR\",\"answers\":[\"10.0.0.8\"],\"id\":8,\"flags\":[\"RD\",\"RA\"],"
		      "\"query_flags\":[\"RD\"],\"records\":{\"answer\":[{\"name\":\"fast.test\",\"type\":\"A\","
		      "\"ttl\":1,\"data\":\"10.0.0.8\"}]," EMPTY_SECTIONS "},\"edns\":null,"
		      "\"resp_edns\":null,\"req_bytes\":27,\"resp_bytes\":43}\n"
		      "2700 -1 dns_query peer=53 {\"name\":\"late.test\",\"qtype\":\"A\",\"qclass\":\"IN\","
		      "\"rcode\":\"SERVFAIL\",\"answers\":[],\"id\":9,\"flags\":[\"RD\",\"RA\"],"
		      "\"query_flags\":null,\"records\":{\"answer\":[]," EMPTY_SECTIONS "},\"edns\":null,"
		      "\"resp_edns\":null,\"req_bytes\":null,\"resp_bytes\":27,\"unsolicited\":true}\n"
		      "1000 -1 dns_query peer=53 {\"name\":\"slow.test\",\"qtype\":\"A\",\"qclass\":\"IN\","
		      "\"rcode\":null,\"answers\":null,\"id\":7,\"flags\":null,\"query_flags\":[\"RD\"],"
		      "\"records\":null,\"edns\":null,\"resp_edns\":null,\"req_bytes\":27,"
		      "\"resp_bytes\":null,\"retries\":1,\"unanswered\":true}\n");
	}
}

/* A server's socket: the same id and question from two clients, answered
 * in the other order: each answer goes with its own client's query. */
static void test_udp_server_two_peers(void **state)
{
	static struct mb q, r1, r2;
	size_t at;

	(void)state;
	hdr(&q, 0x4242, 0x0100, 1, 0, 0, 0);
	question(&q, "svc.test", 1);
	hdr(&r1, 0x4242, 0x8580, 1, 1, 0, 0);
	question(&r1, "svc.test", 1);
	put16(&r1, 0xc00c);
	at = rr(&r1, 1, 1, 9);
	putb(&r1, "\xc0\x00\x02\x01", 4);
	rr_end(&r1, at);
	memcpy(&r2, &r1, sizeof(r2));
	r2.b[r2.n - 1] = 2; /* 192.0.2.2 */
	{
		const struct pd_seg segs[] = {
			PD_INB(100, q.b, q.n),
			PD_INB(110, q.b, q.n),
			PD_OUTB(120, r2.b, r2.n),
			PD_OUTB(130, r1.b, r1.n),
		};
		static const uint16_t peers[] = { 40001, 40002, 40002, 40001 };

		check(__func__, segs, PD_NSEG(segs), peers, true,
		      "110 120 dns_query peer=40002 {\"name\":\"svc.test\",\"qtype\":\"A\",\"qclass\":\"IN\","
		      "\"rcode\":\"NOERROR\",\"answers\":[\"192.0.2.2\"],\"id\":16962,"
		      "\"flags\":[\"AA\",\"RD\",\"RA\"],\"query_flags\":[\"RD\"],\"records\":{\"answer\":"
		      "[{\"name\":\"svc.test\",\"type\":\"A\",\"ttl\":9,\"data\":\"192.0.2.2\"}],"
		      EMPTY_SECTIONS "},\"edns\":null,\"resp_edns\":null,\"req_bytes\":26,\"resp_bytes\":42}\n"
		      "100 130 dns_query peer=40001 {\"name\":\"svc.test\",\"qtype\":\"A\",\"qclass\":\"IN\","
		      "\"rcode\":\"NOERROR\",\"answers\":[\"192.0.2.1\"],\"id\":16962,"
		      "\"flags\":[\"AA\",\"RD\",\"RA\"],\"query_flags\":[\"RD\"],\"records\":{\"answer\":"
		      "[{\"name\":\"svc.test\",\"type\":\"A\",\"ttl\":9,\"data\":\"192.0.2.1\"}],"
		      EMPTY_SECTIONS "},\"edns\":null,\"resp_edns\":null,\"req_bytes\":26,\"resp_bytes\":42}\n");
	}
}

/* Compression abuse: an answer whose name points at itself, and one that
 * points forward, are refused (no loop is followed); the question still
 * pairs, the event says where decoding stopped. */
static void test_compression_loop(void **state)
{
	static struct mb q, r, f;
	size_t self;

	(void)state;
	hdr(&q, 3, 0x0100, 1, 0, 0, 0);
	question(&q, "loop.test", 1);
	hdr(&r, 3, 0x8180, 1, 1, 0, 0);
	question(&r, "loop.test", 1);
	self = r.n;
	put16(&r, 0xc000 | (unsigned)self);
	rr(&r, 1, 1, 1);
	hdr(&f, 3, 0x8180, 1, 1, 0, 0);
	question(&f, "loop.test", 1);
	put16(&f, 0xc000 | (unsigned)(f.n + 2));
	put8(&f, 0);
	rr(&f, 1, 1, 1);
	{
		const struct pd_seg segs[] = {
			PD_OUTB(1, q.b, q.n),
			PD_INB(2, r.b, r.n),
			PD_OUTB(3, q.b, q.n),
			PD_INB(4, f.b, f.n),
		};
		static const uint16_t peers[] = { 53, 53, 53, 53 };
#define LOOP_EV(t0, t1, rb) #t0 " " #t1 " dns_query peer=53 {\"name\":\"loop.test\",\"qtype\":\"A\"," \
	"\"qclass\":\"IN\",\"rcode\":\"NOERROR\",\"answers\":[],\"id\":3,\"flags\":[\"RD\",\"RA\"]," \
	"\"query_flags\":[\"RD\"],\"records\":{\"answer\":[]," EMPTY_SECTIONS "},\"edns\":null," \
	"\"resp_edns\":null,\"req_bytes\":27,\"resp_bytes\":" #rb ",\"decode_error\":\"answer section\"}\n"

		check(__func__, segs, PD_NSEG(segs), peers, true,
		      LOOP_EV(1, 2, 39) LOOP_EV(3, 4, 40));
#undef LOOP_EV
	}
}

/* EDNS options: client subnet in the query (RFC 7871: family 1, /24,
 * scope 0, 3 address bytes), DO set; the response carries an HTTPS record
 * (RFC 9460), a record of a type not decoded (RRSIG: shown by its size),
 * and an OPT with an extended error (RFC 8914) and a cookie. */
static void test_edns_https(void **state)
{
	static struct mb q, r;
	size_t at;

	(void)state;
	hdr(&q, 0x99, 0x0120, 1, 0, 0, 1); /* RD AD */
	question(&q, "svc.test", 65);
	at = opt(&q, 4096, true);
	put16(&q, 8);
	put16(&q, 7);
	put16(&q, 1);
	put8(&q, 24);
	put8(&q, 0);
	putb(&q, "\xc0\x00\x02", 3);
	rr_end(&q, at);
	hdr(&r, 0x99, 0x81a0, 1, 2, 0, 1); /* QR RD RA AD */
	question(&r, "svc.test", 65);
	put16(&r, 0xc00c);
	at = rr(&r, 65, 1, 300);
	put16(&r, 1);
	put8(&r, 0);                 /* target "." */
	put16(&r, 1);                /* alpn */
	put16(&r, 6);
	putb(&r, "\x02h2\x02h3", 6);
	put16(&r, 3);                /* port */
	put16(&r, 2);
	put16(&r, 443);
	put16(&r, 4);                /* ipv4hint */
	put16(&r, 4);
	putb(&r, "\xc0\x00\x02\x01", 4);
	rr_end(&r, at);
	put16(&r, 0xc00c);
	at = rr(&r, 46, 1, 300);
	putb(&r, "0123456789abcdefghij", 20);
	rr_end(&r, at);
	at = opt(&r, 1232, true);
	put16(&r, 15);               /* extended error 18: prohibited */
	put16(&r, 6);
	put16(&r, 18);
	putb(&r, "nope", 4);
	put16(&r, 10);               /* a cookie */
	put16(&r, 8);
	putb(&r, "\1\2\3\4\5\6\7\x08", 8);
	rr_end(&r, at);
	{
		const struct pd_seg segs[] = {
			PD_OUTB(5, q.b, q.n),
			PD_INB(9, r.b, r.n),
		};
		static const uint16_t peers[] = { 853, 853 };

		check(__func__, segs, PD_NSEG(segs), peers, true,
		      "5 9 dns_query peer=853 {\"name\":\"svc.test\",\"qtype\":\"HTTPS\",\"qclass\":\"IN\","
		      "\"rcode\":\"NOERROR\",\"answers\":[\"1 . alpn=h2,h3 port=443 ipv4hint=192.0.2.1\","
		      "\"RRSIG (20 bytes)\"],\"id\":153,\"flags\":[\"RD\",\"RA\",\"AD\"],"
		      "\"query_flags\":[\"RD\",\"AD\"],\"records\":{\"answer\":[{\"name\":\"svc.test\","
		      "\"type\":\"HTTPS\",\"ttl\":300,\"data\":\"1 . alpn=h2,h3 port=443 ipv4hint=192.0.2.1\"},"
		      "{\"name\":\"svc.test\",\"type\":\"RRSIG\",\"ttl\":300,\"data\":null,\"rdlength\":20}],"
		      EMPTY_SECTIONS "},\"edns\":{\"udp_size\":4096,\"version\":0,\"do\":true,"
		      "\"client_subnet\":\"192.0.2.0/24\"},\"resp_edns\":{\"udp_size\":1232,\"version\":0,"
		      "\"do\":true,\"ede\":{\"code\":18,\"text\":\"nope\"},\"options\":[\"COOKIE\"]},"
		      "\"req_bytes\":48,\"resp_bytes\":130}\n");
	}
}

/* A datagram that is not DNS on a DNS socket is refused (BAD): counted,
 * never decoded; the query before it stays unanswered. */
static void test_udp_not_dns(void **state)
{
	static struct mb q;

	(void)state;
	hdr(&q, 5, 0x0100, 1, 0, 0, 0);
	question(&q, "x.test", 1);
	{
		const struct pd_seg segs[] = {
			PD_OUTB(1, q.b, q.n),
			PD_IN(2, "hello, not dns"),
		};
		static const uint16_t peers[] = { 53, 53 };

		check(__func__, segs, PD_NSEG(segs), peers, true,
		      "1 -1 dns_query peer=53 {\"name\":\"x.test\",\"qtype\":\"A\",\"qclass\":\"IN\","
		      "\"rcode\":null,\"answers\":null,\"id\":5,\"flags\":null,\"query_flags\":[\"RD\"],"
		      "\"records\":null,\"edns\":null,\"resp_edns\":null,\"req_bytes\":24,"
		      "\"resp_bytes\":null,\"unanswered\":true}\n"
		      "# skipped out=0 in=14 done out=0 in=0\n");
	}
}

/* A response cut by the capture inside its second answer: what was there
 * is shown, the event says truncated (and no decode error). */
static void test_udp_cut(void **state)
{
	static struct mb q, r;
	size_t at;
	char *got;

	(void)state;
	hdr(&q, 11, 0x0100, 1, 0, 0, 0);
	question(&q, "cut.test", 1);
	hdr(&r, 11, 0x8180, 1, 2, 0, 0);
	question(&r, "cut.test", 1);
	put16(&r, 0xc00c);
	at = rr(&r, 1, 1, 7);
	putb(&r, "\x0a\x00\x00\x0b", 4);
	rr_end(&r, at);
	put16(&r, 0xc00c);
	at = rr(&r, 1, 1, 7);
	putb(&r, "\x0a\x00\x00\x0c", 4);
	rr_end(&r, at);
	{
		const struct pd_seg segs[] = {
			PD_OUTB(1, q.b, q.n),
			PD_INB(2, r.b, r.n),
		};
		static const uint16_t peers[] = { 53, 53 };
		struct pd_case c = {
			.name = __func__, .proto = &adi_proto_dns, .segs = segs,
			.nsegs = PD_NSEG(segs), .cfg = { .body_bytes = 64 },
			.datagram = true, .peers = peers,
		};

		/* the script's byte q.n + r.n - 3: 3 bytes short of the end */
		got = pd_run(&c, PD_TRUNC, q.n + r.n - 3);
		assert_string_equal(got,
		      "1 2 dns_query peer=53 {\"name\":\"cut.test\",\"qtype\":\"A\",\"qclass\":\"IN\","
		      "\"rcode\":\"NOERROR\",\"answers\":[\"10.0.0.11\"],\"id\":11,\"flags\":[\"RD\",\"RA\"],"
		      "\"query_flags\":[\"RD\"],\"records\":{\"answer\":[{\"name\":\"cut.test\",\"type\":\"A\","
		      "\"ttl\":7,\"data\":\"10.0.0.11\"}]," EMPTY_SECTIONS "},\"edns\":null,"
		      "\"resp_edns\":null,\"req_bytes\":26,\"resp_bytes\":58,\"truncated\":true}\n");
		free(got);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udp_a),
		cmocka_unit_test(test_udp_types),
		cmocka_unit_test(test_udp_nxdomain_tc),
		cmocka_unit_test(test_tcp_out_of_order),
		cmocka_unit_test(test_udp_retry_unanswered),
		cmocka_unit_test(test_udp_server_two_peers),
		cmocka_unit_test(test_compression_loop),
		cmocka_unit_test(test_edns_https),
		cmocka_unit_test(test_udp_not_dns),
		cmocka_unit_test(test_udp_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
