/* test_http2.c - unit tests of the HTTP/2 and gRPC decoder (src/proto/
 * http2/) and of the h2c hand-over from HTTP/1 (proto.h next()). Frames
 * are built here byte by byte after RFC 9113; header blocks are encoded by
 * libnghttp2's HPACK deflater (a real encoder: dynamic table, Huffman,
 * table size updates), gRPC messages and protobuf by hand after
 * PROTOCOL-HTTP2.md and the protobuf encoding guide. A fixture is a builder
 * of its segments and a struct h2_fixture (options, the hand-checked
 * events); one runner takes each through the shared driver
 * (tests/support/pdrive.h): whole, in 1-byte pieces, split at every offset
 * and through the real engine.
 * With ADI_SEED_DIR=<dir> the fixtures are written there as seeds of
 * fuzz/fuzz_http2.c ("http2-<test name>", "http-<test name>" for h2c).
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
#include <zlib.h>
#include <cmocka.h>
#include <nghttp2/nghttp2.h>

#include "pdrive.h"
#include "proto/http1.h"
#include "proto/http2.h"
#include "proto/proto.h"

/* ---- building the bytes ---- */

/* A growable byte buffer: one per segment of a fixture. */
struct wb {
	uint8_t b[96 * 1024];
	size_t n;
};

static void put(struct wb *w, const void *p, size_t n)
{
	assert_true(w->n + n <= sizeof(w->b));
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

static __attribute__((unused)) void put8(struct wb *w, uint8_t v)
{
	put(w, &v, 1);
}

static __attribute__((unused)) void put32(struct wb *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	put(w, b, 4);
}

/* A frame header (RFC 9113 4.1) and its payload. */
static void frame(struct wb *w, uint8_t type, uint8_t flags, uint32_t sid,
		  const void *p, size_t len)
{
	uint8_t h[9] = { (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len, type, flags,
			 (uint8_t)(sid >> 24), (uint8_t)(sid >> 16), (uint8_t)(sid >> 8),
			 (uint8_t)sid };

	put(w, h, 9);
	if (len)
		put(w, p, len);
}

#define F_DATA 0
#define F_HEADERS 1
#define F_PRIORITY 2
#define F_RST 3
#define F_SETTINGS 4
#define F_PUSH 5
#define F_PING 6
#define F_GOAWAY 7
#define F_WINDOW 8
#define F_CONT 9
#define END_STREAM 0x1
#define ACK 0x1
#define END_HEADERS 0x4
#define PADDED 0x8
#define PRIO 0x20

static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

static void settings(struct wb *w, uint16_t id, uint32_t v)
{
	uint8_t p[6] = { (uint8_t)(id >> 8), (uint8_t)id, (uint8_t)(v >> 24),
			 (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	frame(w, F_SETTINGS, 0, 0, p, id ? 6 : 0);
}

/* A header block of the NULL-terminated name, value list. */
static size_t hpack(nghttp2_hd_deflater *d, uint8_t *out, size_t cap, const char *const *kv)
{
	nghttp2_nv nv[32];
	size_t n = 0;
	ssize_t r;

	for (; kv[2 * n]; n++) {
		nv[n].name = (uint8_t *)(uintptr_t)kv[2 * n];
		nv[n].namelen = strlen(kv[2 * n]);
		nv[n].value = (uint8_t *)(uintptr_t)kv[2 * n + 1];
		nv[n].valuelen = strlen(kv[2 * n + 1]);
		nv[n].flags = NGHTTP2_NV_FLAG_NONE;
	}
	r = nghttp2_hd_deflate_hd(d, out, cap, nv, n);
	assert_true(r >= 0);
	return (size_t)r;
}

/* HEADERS (END_HEADERS, + flags) with the block of kv. */
static void headers(struct wb *w, nghttp2_hd_deflater *d, uint32_t sid, uint8_t flags,
		    const char *const *kv)
{
	uint8_t blk[4096];
	size_t n = hpack(d, blk, sizeof(blk), kv);

	frame(w, F_HEADERS, flags | END_HEADERS, sid, blk, n);
}

/* HEADERS with END_STREAM: a GET of path on authority "h", the request of
 * most fixtures. */
static void get(struct wb *w, nghttp2_hd_deflater *d, uint32_t sid, const char *path)
{
	const char *const kv[] = { ":method", "GET", ":scheme", "http", ":path", path,
		":authority", "h", NULL };

	headers(w, d, sid, END_STREAM, kv);
}

/* A gRPC length-prefixed message. */
static size_t grpc_msg(uint8_t *out, const void *m, size_t n, bool comp)
{
	out[0] = comp;
	out[1] = (uint8_t)(n >> 24);
	out[2] = (uint8_t)(n >> 16);
	out[3] = (uint8_t)(n >> 8);
	out[4] = (uint8_t)n;
	memcpy(out + 5, m, n);
	return n + 5;
}

static nghttp2_hd_deflater *deflater(void)
{
	nghttp2_hd_deflater *d = NULL;

	assert_int_equal(nghttp2_hd_deflate_new(&d, 4096), 0);
	return d;
}

#define CASE(segs_, n_, body_, server_) \
	{ .name = __func__, .proto = &adi_proto_http2, .segs = (segs_), .nsegs = (n_), \
	  .cfg = { .body_bytes = (body_), .rows_sample = 5 }, .server = (server_) }

/* ---- fixtures: a builder writes the segments, a table says the rest ---- */

#define MAX_SEGS 8

/* The segments a builder adds, in order; data ones are written into
 * buffers of their own (segbuf). */
struct h2_build {
	struct pd_seg segs[MAX_SEGS];
	size_t nsegs;
};

static struct wb segbuf[MAX_SEGS];

/* A data segment of direction dir at time ts: the buffer its bytes are
 * written into. */
static struct wb *seg(struct h2_build *b, enum adi_dir dir, uint64_t ts)
{
	struct wb *w;

	assert_true(b->nsegs < MAX_SEGS);
	w = &segbuf[b->nsegs];
	w->n = 0;
	b->segs[b->nsegs++] = (struct pd_seg){ PD_DATA, dir, w->b, 0, ts };
	return w;
}

/* n bytes of direction dir lost. */
static void gap(struct h2_build *b, enum adi_dir dir, size_t n)
{
	assert_true(b->nsegs < MAX_SEGS);
	b->segs[b->nsegs++] = (struct pd_seg)PD_GAP_(dir, n);
}

/* A fixture: the builder of its bytes (cd, sdf: the client's and the
 * server's HPACK deflaters, each with its dynamic table), the decoder it
 * starts with (NULL: HTTP/2), --body-bytes, the side traced, and the events
 * it must give (pd_check_fixture: whole, in 1-byte pieces, split at every
 * offset and through the engine). name is the test's (and its seed's). */
struct h2_fixture {
	const char *name;
	void (*build)(struct h2_build *b, nghttp2_hd_deflater *cd, nghttp2_hd_deflater *sdf);
	const struct adi_proto *proto;
	unsigned body;
	bool server;
	const char *expect;
};

static void run_fixture(void **state)
{
	const struct h2_fixture *f = *state;
	nghttp2_hd_deflater *cd = deflater(), *sdf = deflater();
	struct h2_build b = { .nsegs = 0 };
	struct pd_case fx;

	f->build(&b, cd, sdf);
	for (size_t i = 0; i < b.nsegs; i++)
		if (b.segs[i].op == PD_DATA)
			b.segs[i].n = segbuf[i].n;
	fx = (struct pd_case){ .name = f->name, .proto = f->proto ? f->proto : &adi_proto_http2,
			       .segs = b.segs, .nsegs = b.nsegs, .server = f->server,
			       .cfg = { .body_bytes = f->body, .rows_sample = 5 } };
	pd_check_fixture(&fx, f->expect);
	nghttp2_hd_deflate_del(cd);
	nghttp2_hd_deflate_del(sdf);
}

/* Prior knowledge: the preface, SETTINGS both ways, two GETs on one
 * connection, the second's response before the first's body ends
 * (interleaved streams); the second block reuses the dynamic table. */
static void build_get_interleaved(struct h2_build *b, nghttp2_hd_deflater *cd,
				  nghttp2_hd_deflater *sdf)
{
	static const char *const rq1[] = { ":method", "GET", ":scheme", "http", ":path", "/a",
		":authority", "ex.com", "user-agent", "t/1", "accept", "*/*", NULL };
	static const char *const rq3[] = { ":method", "GET", ":scheme", "http", ":path", "/b?x=1",
		":authority", "ex.com", "user-agent", "t/1", "cookie", "k=v", NULL };
	static const char *const rs[] = { ":status", "200", "content-type", "text/plain",
		"server", "srv", NULL };
	static const char *const rs3[] = { ":status", "404", "server", "srv", NULL };
	struct wb *c1 = seg(b, ADI_DIR_OUT, 1000);
	struct wb *s1 = seg(b, ADI_DIR_IN, 2000);
	struct wb *c2 = seg(b, ADI_DIR_OUT, 3000);
	struct wb *s2 = seg(b, ADI_DIR_IN, 4000);
	struct wb *s3 = seg(b, ADI_DIR_IN, 5000);

	put(c1, preface, 24);
	settings(c1, 3, 100);
	headers(c1, cd, 1, END_STREAM, rq1);
	settings(s1, 4, 65535);
	frame(s1, F_SETTINGS, ACK, 0, NULL, 0);
	headers(s1, sdf, 1, 0, rs);
	frame(s1, F_DATA, 0, 1, "hel", 3);
	frame(c2, F_SETTINGS, ACK, 0, NULL, 0);
	headers(c2, cd, 3, END_STREAM, rq3);
	headers(s2, sdf, 3, 0, rs3);
	frame(s2, F_DATA, END_STREAM, 3, "no", 2);
	frame(s3, F_WINDOW, 0, 0, "\x00\x00\x10\x00", 4);
	frame(s3, F_DATA, END_STREAM, 1, "lo", 2);
}

static const struct h2_fixture fx_get_interleaved = {
	.name = "test_get_interleaved", .build = build_get_interleaved, .body = 64,
	.expect =
	"3000 4000 http_request {\"method\":\"GET\",\"url\":\"/b?x=1\",\"host\":\"ex.com\","
	"\"version\":\"2\",\"status\":404,"
	"\"req_headers\":{\"user-agent\":\"t/1\",\"cookie\":\"<redacted>\"},"
	"\"resp_headers\":{\"server\":\"srv\"},\"req_body\":\"\",\"resp_body\":\"no\","
	"\"req_bytes\":0,\"resp_bytes\":2,\"truncated\":false,\"stream_id\":3}\n"
	"1000 5000 http_request {\"method\":\"GET\",\"url\":\"/a\",\"host\":\"ex.com\","
	"\"version\":\"2\",\"status\":200,"
	"\"req_headers\":{\"user-agent\":\"t/1\",\"accept\":\"*/*\"},"
	"\"resp_headers\":{\"content-type\":\"text/plain\",\"server\":\"srv\"},"
	"\"req_body\":\"\",\"resp_body\":\"hello\",\"req_bytes\":0,\"resp_bytes\":5,"
	"\"truncated\":false,\"stream_id\":1}\n",
};

/* The protobuf of the gRPC fixtures: {1: "world", 2: 150, 3: {1: 1}}. */
static const uint8_t pb_req[] = "\x0a\x05world\x10\x96\x01\x1a\x02\x08\x01";
#define PB_REQ_LEN (sizeof(pb_req) - 1)
#define PB_REQ_JSON "{\"1\":\"world\",\"2\":150,\"3\":{\"1\":1}}"

static const char *const grpc_rq[] = { ":method", "POST", ":scheme", "http",
	":path", "/helloworld.Greeter/SayHello", ":authority", "localhost:50051",
	"content-type", "application/grpc", "te", "trailers",
	"authorization", "Bearer secret", "x-meta", "m1", NULL };
static const char *const grpc_rs[] = { ":status", "200",
	"content-type", "application/grpc+proto", NULL };
static const char *const grpc_tr_ok[] = { "grpc-status", "0", NULL };

/* Unary: one message each way, status in trailers; the server side
 * (requests come in). */
static void build_grpc_unary(struct h2_build *b, nghttp2_hd_deflater *cd,
			     nghttp2_hd_deflater *sdf)
{
	uint8_t m[256];
	size_t k;
	struct wb *in = seg(b, ADI_DIR_IN, 1000);
	struct wb *out = seg(b, ADI_DIR_OUT, 2000);
	struct wb *tr = seg(b, ADI_DIR_OUT, 3000);

	put(in, preface, 24);
	settings(in, 0, 0);
	headers(in, cd, 1, 0, grpc_rq);
	k = grpc_msg(m, pb_req, PB_REQ_LEN, false);
	frame(in, F_DATA, END_STREAM, 1, m, k);
	settings(out, 0, 0);
	frame(out, F_SETTINGS, ACK, 0, NULL, 0);
	headers(out, sdf, 1, 0, grpc_rs);
	k = grpc_msg(m, "\x0a\x0bHello world", 13, false);
	frame(out, F_DATA, 0, 1, m, k);
	headers(tr, sdf, 1, END_STREAM, grpc_tr_ok);
}

static const struct h2_fixture fx_grpc_unary = {
	.name = "test_grpc_unary", .build = build_grpc_unary, .body = 64, .server = true,
	.expect =
	"1000 3000 grpc_call {\"method\":\"/helloworld.Greeter/SayHello\","
	"\"authority\":\"localhost:50051\",\"status\":0,\"grpc_message\":null,"
	"\"http_status\":200,\"stream_id\":1,"
	"\"req_headers\":{\"content-type\":\"application/grpc\",\"te\":\"trailers\","
	"\"authorization\":\"<redacted>\",\"x-meta\":\"m1\"},"
	"\"resp_headers\":{\"content-type\":\"application/grpc+proto\"},"
	"\"resp_trailers\":{\"grpc-status\":\"0\"},"
	"\"req_messages\":[" PB_REQ_JSON "],"
	"\"resp_messages\":[{\"1\":\"Hello world\"}],"
	"\"req_bytes\":19,\"resp_bytes\":18,\"truncated\":false}\n",
};

/* gRPC bidi with gzip: two messages in one DATA frame (the second
 * compressed), a third split over two frames, three replies in one frame,
 * a message cut to body_bytes (64). */
static void build_grpc_streaming_gzip(struct h2_build *b, nghttp2_hd_deflater *cd,
				      nghttp2_hd_deflater *sdf)
{
	static const char *const rq[] = { ":method", "POST", ":scheme", "http",
		":path", "/rg.Chat/Talk", ":authority", "h:1", "content-type", "application/grpc",
		"grpc-encoding", "gzip", "te", "trailers", NULL };
	uint8_t m[512], z[256], big[100];
	uLongf zn = sizeof(z);
	z_stream zs;
	size_t k = 0, split;
	struct wb *c1 = seg(b, ADI_DIR_OUT, 1000);
	struct wb *c2 = seg(b, ADI_DIR_OUT, 2000);
	struct wb *c3 = seg(b, ADI_DIR_OUT, 3000);
	struct wb *sv = seg(b, ADI_DIR_IN, 4000);

	/* a gzip member of pb_req */
	memset(&zs, 0, sizeof(zs));
	assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_in = (Bytef *)(uintptr_t)pb_req;
	zs.avail_in = PB_REQ_LEN;
	zs.next_out = z;
	zs.avail_out = sizeof(z);
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	zn = sizeof(z) - zs.avail_out;
	deflateEnd(&zs);
	put(c1, preface, 24);
	settings(c1, 0, 0);
	headers(c1, cd, 1, 0, rq);
	k = grpc_msg(m, "\x08\x01", 2, false);
	k += grpc_msg(m + k, z, zn, true);
	frame(c1, F_DATA, 0, 1, m, k);
	/* 100 bytes of field 2 (a string): kept to 64 */
	big[0] = 0x12;
	big[1] = 98;
	memset(big + 2, 'a', 98);
	k = grpc_msg(m, big, sizeof(big), false);
	split = 40;
	frame(c2, F_DATA, 0, 1, m, split);
	frame(c3, F_DATA, END_STREAM, 1, m + split, k - split);
	settings(sv, 0, 0);
	headers(sv, sdf, 1, 0, grpc_rs);
	k = grpc_msg(m, "\x08\x01", 2, false);
	k += grpc_msg(m + k, "", 0, false);
	k += grpc_msg(m + k, "\x08\x03", 2, false);
	frame(sv, F_DATA, 0, 1, m, k);
	headers(sv, sdf, 1, END_STREAM, grpc_tr_ok);
}

static const struct h2_fixture fx_grpc_streaming_gzip = {
	.name = "test_grpc_streaming_gzip", .build = build_grpc_streaming_gzip, .body = 64,
	.expect =
	"1000 4000 grpc_call {\"method\":\"/rg.Chat/Talk\",\"authority\":\"h:1\","
	"\"status\":0,\"grpc_message\":null,\"http_status\":200,\"stream_id\":1,"
	"\"req_headers\":{\"content-type\":\"application/grpc\","
	"\"grpc-encoding\":\"gzip\",\"te\":\"trailers\"},"
	"\"resp_headers\":{\"content-type\":\"application/grpc+proto\"},"
	"\"resp_trailers\":{\"grpc-status\":\"0\"},\"req_messages\":[{\"1\":1},"
	"{\"1\":\"world\",\"2\":150,\"3\":{\"1\":1}},"
	"{\"2\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}],"
	"\"resp_messages\":[{\"1\":1},{},{\"1\":3}],\"req_bytes\":151,"
	"\"resp_bytes\":19,\"truncated\":true}\n",
};

/* An error as a trailers-only response (one HEADERS with END_STREAM):
 * grpc-status 5, grpc-message percent-decoded. 20 request messages: 16
 * kept, all counted. */
static void build_grpc_trailers_only(struct h2_build *b, nghttp2_hd_deflater *cd,
				     nghttp2_hd_deflater *sdf)
{
	static const char *const rs[] = { ":status", "200", "content-type", "application/grpc",
		"grpc-status", "5", "grpc-message", "not%20found%3A%20%E2%9C%93x%2", NULL };
	uint8_t m[256];
	size_t k = 0;
	struct wb *c = seg(b, ADI_DIR_OUT, 1000);
	struct wb *sv = seg(b, ADI_DIR_IN, 2000);

	put(c, preface, 24);
	headers(c, cd, 1, 0, grpc_rq);
	for (int i = 0; i < 20; i++) {
		uint8_t v[2] = { 0x08, (uint8_t)i };

		k += grpc_msg(m + k, v, 2, false);
	}
	frame(c, F_DATA, END_STREAM, 1, m, k);
	settings(sv, 0, 0);
	headers(sv, sdf, 1, END_STREAM, rs);
}

static const struct h2_fixture fx_grpc_trailers_only = {
	.name = "test_grpc_trailers_only", .build = build_grpc_trailers_only, .body = 64,
	.expect =
	"1000 2000 grpc_call {\"method\":\"/helloworld.Greeter/SayHello\","
	"\"authority\":\"localhost:50051\",\"status\":5,"
	"\"grpc_message\":\"not found: ✓x%2\",\"http_status\":200,"
	"\"stream_id\":1,\"req_headers\":{\"content-type\":\"application/grpc\","
	"\"te\":\"trailers\",\"authorization\":\"<redacted>\",\"x-meta\":\"m1\"},"
	"\"resp_headers\":{\"content-type\":\"application/grpc\","
	"\"grpc-status\":\"5\","
	"\"grpc-message\":\"not%20found%3A%20%E2%9C%93x%2\"},"
	"\"resp_trailers\":null,\"trailers_only\":true,"
	"\"req_messages\":[{\"1\":0},{\"1\":1},{\"1\":2},{\"1\":3},{\"1\":4},"
	"{\"1\":5},{\"1\":6},{\"1\":7},{\"1\":8},{\"1\":9},{\"1\":10},{\"1\":11},"
	"{\"1\":12},{\"1\":13},{\"1\":14},{\"1\":15}],\"resp_messages\":[],"
	"\"req_bytes\":140,\"resp_bytes\":0,\"truncated\":true,"
	"\"req_message_count\":20}\n",
};

/* RST_STREAM ends stream 1 (CANCEL, from the client); GOAWAY from the
 * server (last stream 3, ENHANCE_YOUR_CALM) ends stream 5, which it never
 * processed; stream 3 completes after it. */
static void build_rst_goaway(struct h2_build *b, nghttp2_hd_deflater *cd,
			     nghttp2_hd_deflater *sdf)
{
	static const char *const ok[] = { ":status", "200", NULL };
	struct wb *c = seg(b, ADI_DIR_OUT, 1000);
	struct wb *s1 = seg(b, ADI_DIR_IN, 2000);
	struct wb *c2 = seg(b, ADI_DIR_OUT, 3000);
	struct wb *s2 = seg(b, ADI_DIR_IN, 4000);

	put(c, preface, 24);
	get(c, cd, 1, "/1");
	get(c, cd, 3, "/3");
	get(c, cd, 5, "/5");
	settings(s1, 0, 0);
	headers(s1, sdf, 1, 0, ok);
	frame(c2, F_RST, 0, 1, "\x00\x00\x00\x08", 4);
	frame(s2, F_GOAWAY, 0, 0, "\x00\x00\x00\x03\x00\x00\x00\x0b" "debug", 13);
	headers(s2, sdf, 3, END_STREAM, ok);
}

static const struct h2_fixture fx_rst_goaway = {
	.name = "test_rst_goaway", .build = build_rst_goaway, .body = 64,
	.expect =
	"1000 3000 http_request {\"method\":\"GET\",\"url\":\"/1\","
	"\"host\":\"h\",\"version\":\"2\",\"status\":200,\"req_headers\":{},"
	"\"resp_headers\":{},\"req_body\":\"\",\"resp_body\":\"\","
	"\"req_bytes\":0,\"resp_bytes\":0,\"truncated\":false,\"stream_id\":1,"
	"\"reset\":\"CANCEL\"}\n"
	"1000 4000 http_request {\"method\":\"GET\",\"url\":\"/5\","
	"\"host\":\"h\",\"version\":\"2\",\"status\":null,\"req_headers\":{},"
	"\"resp_headers\":null,\"req_body\":\"\",\"resp_body\":\"\","
	"\"req_bytes\":0,\"resp_bytes\":0,\"truncated\":false,\"stream_id\":5,"
	"\"goaway\":\"ENHANCE_YOUR_CALM\"}\n"
	"1000 4000 http_request {\"method\":\"GET\",\"url\":\"/3\","
	"\"host\":\"h\",\"version\":\"2\",\"status\":200,\"req_headers\":{},"
	"\"resp_headers\":{},\"req_body\":\"\",\"resp_body\":\"\","
	"\"req_bytes\":0,\"resp_bytes\":0,\"truncated\":false,\"stream_id\":3}\n",
};

/* HEADERS with PADDED and PRIORITY continued by a CONTINUATION; padded
 * DATA; PRIORITY, PING, WINDOW_UPDATE and an unknown frame type (0xa)
 * between them are skipped. */
static void build_padding_continuation(struct h2_build *b, nghttp2_hd_deflater *cd,
				       nghttp2_hd_deflater *sdf)
{
	static const char *const rq[] = { ":method", "POST", ":scheme", "http", ":path", "/up",
		":authority", "h", "x-long", "0123456789abcdefghijklmnopqrstuvwxyz", NULL };
	static const char *const ok[] = { ":status", "201", NULL };
	uint8_t blk[512], p[600];
	size_t n = hpack(cd, blk, sizeof(blk), rq), h = n / 2, k = 0;
	struct wb *c = seg(b, ADI_DIR_OUT, 1000);
	struct wb *sv = seg(b, ADI_DIR_IN, 2000);

	put(c, preface, 24);
	p[k++] = 3;                                   /* pad length */
	memcpy(p + k, "\x80\x00\x00\x00\x0f", 5);     /* exclusive on 0, weight 16 */
	k += 5;
	memcpy(p + k, blk, h);
	k += h;
	memset(p + k, 0, 3);
	k += 3;
	frame(c, F_HEADERS, PADDED | PRIO, 1, p, k);
	frame(c, F_CONT, END_HEADERS, 1, blk + h, n - h);
	frame(c, F_PRIORITY, 0, 1, "\x00\x00\x00\x00\x10", 5);
	frame(c, F_PING, 0, 0, "12345678", 8);
	frame(c, 0xa, 0, 0, "\x00\x03" "abcxyz", 8);
	k = 0;
	p[k++] = 2;
	memcpy(p + k, "body", 4);
	k += 4;
	memset(p + k, 0, 2);
	k += 2;
	frame(c, F_DATA, PADDED | END_STREAM, 1, p, k);
	settings(sv, 0, 0);
	frame(sv, F_PING, ACK, 0, "12345678", 8);
	frame(sv, F_WINDOW, 0, 1, "\x00\x00\x00\x04", 4);
	headers(sv, sdf, 1, 0, ok);
	frame(sv, F_DATA, PADDED | END_STREAM, 1, "\x02" "done\x00\x00", 7);
}

static const struct h2_fixture fx_padding_continuation = {
	.name = "test_padding_continuation", .build = build_padding_continuation, .body = 64,
	.expect =
	"1000 2000 http_request {\"method\":\"POST\",\"url\":\"/up\","
	"\"host\":\"h\",\"version\":\"2\",\"status\":201,"
	"\"req_headers\":{\"x-long\":\"0123456789abcdefghijklmnopqrstuvwxyz\"},"
	"\"resp_headers\":{},\"req_body\":\"body\",\"resp_body\":\"done\","
	"\"req_bytes\":4,\"resp_bytes\":4,\"truncated\":false,\"stream_id\":1}\n",
};

/* PUSH_PROMISE: the server promises stream 2 on stream 1 and answers it. */
static void build_push_promise(struct h2_build *b, nghttp2_hd_deflater *cd,
			       nghttp2_hd_deflater *sdf)
{
	static const char *const pr[] = { ":method", "GET", ":scheme", "http",
		":path", "/style.css", ":authority", "h", NULL };
	static const char *const ok[] = { ":status", "200", "content-type", "text/html", NULL };
	static const char *const ok2[] = { ":status", "200", "content-type", "text/css", NULL };
	uint8_t blk[512], p[600];
	size_t n, k = 0;
	struct wb *c = seg(b, ADI_DIR_OUT, 1000);
	struct wb *sv = seg(b, ADI_DIR_IN, 2000);

	put(c, preface, 24);
	get(c, cd, 1, "/");
	settings(sv, 0, 0);
	n = hpack(sdf, blk, sizeof(blk), pr);
	memcpy(p, "\x00\x00\x00\x02", 4);
	k = 4;
	memcpy(p + k, blk, n);
	k += n;
	frame(sv, F_PUSH, END_HEADERS, 1, p, k);
	headers(sv, sdf, 1, 0, ok);
	frame(sv, F_DATA, END_STREAM, 1, "<html>", 6);
	headers(sv, sdf, 2, 0, ok2);
	frame(sv, F_DATA, END_STREAM, 2, "a{}", 3);
}

static const struct h2_fixture fx_push_promise = {
	.name = "test_push_promise", .build = build_push_promise, .body = 64,
	.expect =
	"1000 2000 http_request {\"method\":\"GET\",\"url\":\"/\",\"host\":\"h\","
	"\"version\":\"2\",\"status\":200,\"req_headers\":{},"
	"\"resp_headers\":{\"content-type\":\"text/html\"},\"req_body\":\"\","
	"\"resp_body\":\"<html>\",\"req_bytes\":0,\"resp_bytes\":6,"
	"\"truncated\":false,\"stream_id\":1}\n"
	"2000 2000 http_request {\"method\":\"GET\",\"url\":\"/style.css\","
	"\"host\":\"h\",\"version\":\"2\",\"status\":200,\"req_headers\":{},"
	"\"resp_headers\":{\"content-type\":\"text/css\"},\"req_body\":\"\","
	"\"resp_body\":\"a{}\",\"req_bytes\":0,\"resp_bytes\":3,"
	"\"truncated\":false,\"stream_id\":2,\"pushed_on\":1}\n",
};

/* SETTINGS_HEADER_TABLE_SIZE 256 from the client: the server's response
 * sent before its ACK still uses the 4096-byte table; after the ACK its
 * encoder shrinks (a size update opens the next block). Applied too early
 * the first block would fail, too late the second. */
static void build_table_size(struct h2_build *b, nghttp2_hd_deflater *cd,
			     nghttp2_hd_deflater *sdf)
{
	static const char *const ok[] = { ":status", "200", "x-big",
		"0123456789012345678901234567890123456789012345678901234567890123456789"
		"0123456789012345678901234567890123456789012345678901234567890123456789"
		"0123456789012345678901234567890123456789012345678901234567890123456789", NULL };
	struct wb *c = seg(b, ADI_DIR_OUT, 1000);
	struct wb *s1 = seg(b, ADI_DIR_IN, 2000);
	struct wb *s2 = seg(b, ADI_DIR_IN, 3000);

	put(c, preface, 24);
	settings(c, 1, 256);
	get(c, cd, 1, "/1");
	get(c, cd, 3, "/3");
	settings(s1, 0, 0);
	headers(s1, sdf, 1, END_STREAM, ok);
	headers(s1, sdf, 3, 0, ok); /* x-big indexed from the 4096 table */
	frame(s2, F_SETTINGS, ACK, 0, NULL, 0);
	assert_int_equal(nghttp2_hd_deflate_change_table_size(sdf, 256), 0);
	headers(s2, sdf, 3, END_STREAM, ok);
}

static const struct h2_fixture fx_table_size = {
	.name = "test_table_size", .build = build_table_size, .body = 64,
	.expect =
	"1000 2000 http_request {\"method\":\"GET\",\"url\":\"/1\","
	"\"host\":\"h\",\"version\":\"2\",\"status\":200,\"req_headers\":{},"
	"\"resp_headers\":{\"x-big\":\"012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\"},"
	"\"req_body\":\"\",\"resp_body\":\"\",\"req_bytes\":0,\"resp_bytes\":0,"
	"\"truncated\":false,\"stream_id\":1}\n"
	"1000 3000 http_request {\"method\":\"GET\",\"url\":\"/3\","
	"\"host\":\"h\",\"version\":\"2\",\"status\":200,\"req_headers\":{},"
	"\"resp_headers\":{\"x-big\":\"012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\"},"
	"\"req_body\":\"\",\"resp_body\":\"\",\"req_bytes\":0,\"resp_bytes\":0,"
	"\"truncated\":false,\"stream_id\":3,"
	"\"trailers\":{\"x-big\":\"012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\"}}\n",
};

/* Joined mid-session (a gap at the start of both directions): fields that
 * refer to the dynamic table are counted in headers_unknown, never shown;
 * static-table and literal ones (Huffman coded too) are. */
static void build_midsession(struct h2_build *b, nghttp2_hd_deflater *cd,
			     nghttp2_hd_deflater *sdf)
{
	static struct wb skip;
	static const char *const r1[] = { ":method", "GET", ":scheme", "http", ":path", "/1",
		":authority", "example.com", "user-agent", "agent/1.0", "x-token", "secret", NULL };
	static const char *const r3[] = { ":method", "GET", ":scheme", "http", ":path", "/three",
		":authority", "example.com", "user-agent", "agent/1.0", "x-token", "secret",
		"x-new", "fresh-value", NULL };
	static const char *const ok[] = { ":status", "200", "server", "srv/2", NULL };

	gap(b, ADI_DIR_OUT, 500);
	gap(b, ADI_DIR_IN, 400);
	struct wb *c = seg(b, ADI_DIR_OUT, 1000);
	struct wb *sv = seg(b, ADI_DIR_IN, 2000);

	skip.n = 0;
	headers(&skip, cd, 1, END_STREAM, r1); /* before the trace: fills the tables */
	headers(&skip, sdf, 1, END_STREAM, ok);
	headers(c, cd, 3, END_STREAM, r3);
	headers(sv, sdf, 3, 0, ok);
	frame(sv, F_DATA, END_STREAM, 3, "x", 1);
}

static const struct h2_fixture fx_midsession = {
	.name = "test_midsession", .build = build_midsession, .body = 64,
	.expect =
	"1000 2000 http_request {\"method\":\"GET\",\"url\":\"/three\","
	"\"host\":null,\"version\":\"2\",\"status\":200,"
	"\"req_headers\":{\"x-new\":\"fresh-value\"},\"resp_headers\":{},"
	"\"req_body\":\"\",\"resp_body\":\"x\",\"req_bytes\":0,\"resp_bytes\":1,"
	"\"truncated\":false,\"stream_id\":3,\"headers_unknown\":4}\n",
};

/* What the gap fixtures share: the client's preface, SETTINGS and a GET of
 * each path (streams 1, 3, 5...) at 1000; the server's SETTINGS and stream
 * 1's response headers rs1 at 2000, the segment returned for the fixture
 * to go on. */
static struct wb *gap_start(struct h2_build *b, nghttp2_hd_deflater *cd,
			    nghttp2_hd_deflater *sdf, const char *const *paths,
			    const char *const *rs1)
{
	struct wb *c = seg(b, ADI_DIR_OUT, 1000), *s = seg(b, ADI_DIR_IN, 2000);

	put(c, preface, 24);
	settings(c, 0, 0);
	for (uint32_t i = 0; paths[i]; i++)
		get(c, cd, 2 * i + 1, paths[i]);
	settings(s, 0, 0);
	headers(s, sdf, 1, 0, rs1);
	return s;
}

/* 8 bytes of stream 1's DATA, then 5 of the next 8: a gap comes there. */
static void data_then_cut(struct wb *s)
{
	frame(s, F_DATA, 0, 1, "aaaaaaaa", 8);
	frame(s, F_DATA, 0, 1, "bbbbbbbb", 8);
	s->n -= 3;
}

/* A gap loses the rest of a DATA frame and two more, 8-byte DATA frames
 * of the same stream (37 bytes: 3 of the second frame's data, then 2 x 17).
 * The region after the second frame's end is a whole number of frames as
 * long as the last DATA frame: taken to be DATA of stream 1, so no header
 * block was lost and the server's HPACK table is kept: stream 3's response
 * refers to "server: srv" in the dynamic table and is decoded in full.
 * Stream 1 counts its 40 bytes (5 frames of 8), incomplete. */
static void build_gap_loses_data_frames(struct h2_build *b, nghttp2_hd_deflater *cd,
					nghttp2_hd_deflater *sdf)
{
	static const char *const rs1[] = { ":status", "200", "content-length", "40",
		"server", "srv", NULL };
	static const char *const rs3[] = { ":status", "200", "server", "srv", NULL };
	static const char *const paths[] = { "/a", "/b", NULL };
	struct wb *s2;

	data_then_cut(gap_start(b, cd, sdf, paths, rs1));
	gap(b, ADI_DIR_IN, 3 + 2 * 17);
	s2 = seg(b, ADI_DIR_IN, 3000);
	frame(s2, F_DATA, END_STREAM, 1, "eeeeeeee", 8);
	headers(s2, sdf, 3, 0, rs3);
	frame(s2, F_DATA, END_STREAM, 3, "ok", 2);
}

static const struct h2_fixture fx_gap_loses_data_frames = {
	.name = "test_gap_loses_data_frames", .build = build_gap_loses_data_frames, .body = 64,
	.expect =
	"1000 3000 http_request {\"method\":\"GET\",\"url\":\"/a\",\"host\":\"h\","
	"\"version\":\"2\",\"status\":200,\"req_headers\":{},"
	"\"resp_headers\":{\"content-length\":\"40\",\"server\":\"srv\"},"
	"\"req_body\":\"\",\"resp_body\":\"aaaaaaaabbbbbeeeeeeee\",\"req_bytes\":0,"
	"\"resp_bytes\":40,\"truncated\":true,\"stream_id\":1,\"incomplete\":true}\n"
	"1000 3000 http_request {\"method\":\"GET\",\"url\":\"/b\",\"host\":\"h\","
	"\"version\":\"2\",\"status\":200,\"req_headers\":{},"
	"\"resp_headers\":{\"server\":\"srv\"},\"req_body\":\"\",\"resp_body\":\"ok\","
	"\"req_bytes\":0,\"resp_bytes\":2,\"truncated\":false,\"stream_id\":3}\n",
};

/* A gap loses 3 bytes of a DATA frame, then stream 3's response HEADERS
 * (11 bytes: "server: srv" from the dynamic table) and its DATA (11): the
 * 22-byte region is no whole number of 17-byte DATA frames, so a header
 * block may have been lost: the server's table is unknown from here on.
 * Stream 1 (receiving then) is incomplete, its 24 bytes counted; stream 5's
 * response refers to "server" in the table: headers_unknown; stream 3 is
 * never answered (incomplete at the end). */
static void build_gap_loses_headers(struct h2_build *b, nghttp2_hd_deflater *cd,
				    nghttp2_hd_deflater *sdf)
{
	static const char *const rs1[] = { ":status", "200", "content-length", "24",
		"server", "srv", NULL };
	static const char *const rs3[] = { ":status", "200", "server", "srv", NULL };
	static const char *const paths[] = { "/a", "/b", "/c", NULL };
	static struct wb lost;
	struct wb *s2;

	data_then_cut(gap_start(b, cd, sdf, paths, rs1));
	lost.n = 0;
	headers(&lost, sdf, 3, 0, rs3); /* lost, but it went through the table */
	frame(&lost, F_DATA, END_STREAM, 3, "no", 2);
	assert_int_equal(lost.n, 22);
	gap(b, ADI_DIR_IN, 3 + lost.n);
	s2 = seg(b, ADI_DIR_IN, 3000);
	frame(s2, F_DATA, END_STREAM, 1, "eeeeeeee", 8);
	headers(s2, sdf, 5, 0, rs3);
	frame(s2, F_DATA, END_STREAM, 5, "ok", 2);
}

static const struct h2_fixture fx_gap_loses_headers = {
	.name = "test_gap_loses_headers", .build = build_gap_loses_headers, .body = 64,
	.expect =
	"1000 3000 http_request {\"method\":\"GET\",\"url\":\"/a\",\"host\":\"h\","
	"\"version\":\"2\",\"status\":200,\"req_headers\":{},"
	"\"resp_headers\":{\"content-length\":\"24\",\"server\":\"srv\"},"
	"\"req_body\":\"\",\"resp_body\":\"aaaaaaaabbbbbeeeeeeee\",\"req_bytes\":0,"
	"\"resp_bytes\":24,\"truncated\":true,\"stream_id\":1,\"incomplete\":true}\n"
	"1000 3000 http_request {\"method\":\"GET\",\"url\":\"/c\",\"host\":\"h\","
	"\"version\":\"2\",\"status\":200,\"req_headers\":{},"
	"\"resp_headers\":{},\"req_body\":\"\",\"resp_body\":\"ok\","
	"\"req_bytes\":0,\"resp_bytes\":2,\"truncated\":false,\"stream_id\":5,"
	"\"headers_unknown\":1}\n"
	"1000 -1 http_request {\"method\":\"GET\",\"url\":\"/b\",\"host\":\"h\","
	"\"version\":\"2\",\"status\":null,\"req_headers\":{},"
	"\"resp_headers\":null,\"req_body\":\"\",\"resp_body\":\"\","
	"\"req_bytes\":0,\"resp_bytes\":0,\"truncated\":true,\"stream_id\":3,"
	"\"incomplete\":true}\n",
};

/* Two responses take turns in 8-byte DATA frames; a gap loses 3 bytes of
 * stream 1's second frame and stream 3's last frame (with its END_STREAM).
 * The 17-byte region is one frame: stream 1's (the frame in progress) or
 * the last of stream 3, which lacks 8 of its declared 16 bytes. DATA of
 * stream 1 comes next, so stream 1 did not end: stream 3's last frame it
 * is, and stream 3 counts its 16 bytes (its END_STREAM unseen, it is
 * written at the end, incomplete). The table is kept. Stream 1 counts
 * 8 + 8 + 8 = 24, its content-length. */
static void build_gap_interleaved(struct h2_build *b, nghttp2_hd_deflater *cd,
				  nghttp2_hd_deflater *sdf)
{
	static const char *const rs1[] = { ":status", "200", "content-length", "24",
		"server", "srv", NULL };
	static const char *const rs3[] = { ":status", "200", "content-length", "16",
		"server", "srv", NULL };
	static const char *const paths[] = { "/a", "/b", NULL };
	struct wb *s1 = gap_start(b, cd, sdf, paths, rs1), *s2;

	headers(s1, sdf, 3, 0, rs3);
	frame(s1, F_DATA, 0, 1, "aaaaaaaa", 8);
	frame(s1, F_DATA, 0, 3, "xxxxxxxx", 8);
	frame(s1, F_DATA, 0, 1, "bbbbbbbb", 8);
	s1->n -= 3;
	gap(b, ADI_DIR_IN, 3 + 17);
	s2 = seg(b, ADI_DIR_IN, 3000);
	frame(s2, F_DATA, END_STREAM, 1, "cccccccc", 8);
}

static const struct h2_fixture fx_gap_interleaved = {
	.name = "test_gap_interleaved", .build = build_gap_interleaved, .body = 64,
	.expect =
	"1000 3000 http_request {\"method\":\"GET\",\"url\":\"/a\",\"host\":\"h\","
	"\"version\":\"2\",\"status\":200,\"req_headers\":{},"
	"\"resp_headers\":{\"content-length\":\"24\",\"server\":\"srv\"},"
	"\"req_body\":\"\",\"resp_body\":\"aaaaaaaabbbbbcccccccc\",\"req_bytes\":0,"
	"\"resp_bytes\":24,\"truncated\":true,\"stream_id\":1,\"incomplete\":true}\n"
	"1000 2000 http_request {\"method\":\"GET\",\"url\":\"/b\",\"host\":\"h\","
	"\"version\":\"2\",\"status\":200,\"req_headers\":{},"
	"\"resp_headers\":{\"content-length\":\"16\",\"server\":\"srv\"},"
	"\"req_body\":\"\",\"resp_body\":\"xxxxxxxx\",\"req_bytes\":0,"
	"\"resp_bytes\":16,\"truncated\":true,\"stream_id\":3,\"incomplete\":true}\n",
};

/* A DATA frame larger than H2_HOLD_MAX (the client allowed 65536-byte
 * frames) is taken piecewise; the body is cut to body_bytes. A second
 * one loses 5000 bytes to a gap inside it: incomplete, sizes true. */
static void test_big_frames_and_gap(void **state)
{
	static struct wb c, s1, s2a, s2b;
	static uint8_t big[40000];
	nghttp2_hd_deflater *cd = deflater(), *sdf = deflater();
	static const char *const ok[] = { ":status", "200", NULL };

	(void)state;
	c.n = s1.n = s2a.n = s2b.n = 0;
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)('a' + i % 26);
	put(&c, preface, 24);
	settings(&c, 5, 65536);
	get(&c, cd, 1, "/big");
	get(&c, cd, 3, "/gap");
	frame(&s1, F_SETTINGS, ACK, 0, NULL, 0);
	headers(&s1, sdf, 1, 0, ok);
	frame(&s1, F_DATA, END_STREAM, 1, big, sizeof(big));
	headers(&s2a, sdf, 3, 0, ok);
	frame(&s2a, F_DATA, END_STREAM, 3, big, sizeof(big));
	s2a.n -= sizeof(big) - 1000;   /* the first 1000 bytes of its data */
	put(&s2b, big + 6000, sizeof(big) - 6000);
	{
		const struct pd_seg s[] = {
			PD_OUTB(1000, c.b, c.n), PD_INB(2000, s1.b, s1.n),
			PD_INB(3000, s2a.b, s2a.n), PD_GAP_(ADI_DIR_IN, 5000),
			PD_INB(4000, s2b.b, s2b.n),
		};
		struct pd_case fx = CASE(s, PD_NSEG(s), 16, false);

		/* whole and 1-byte runs only: 80 KB split at every offset
		 * would take long; the other fixtures cover splitting */
		char *got = pd_run(&fx, PD_WHOLE, 0), *bytes = pd_run(&fx, PD_BYTES, 0);
		char *eng = pd_run_engine(&fx, false);

		assert_string_equal(got,
			"1000 2000 http_request {\"method\":\"GET\",\"url\":\"/big\",\"host\":\"h\","
			"\"version\":\"2\",\"status\":200,\"req_headers\":{},\"resp_headers\":{},"
			"\"req_body\":\"\",\"resp_body\":\"abcdefghijklmnop\",\"req_bytes\":0,"
			"\"resp_bytes\":40000,\"truncated\":true,\"stream_id\":1}\n"
			"1000 4000 http_request {\"method\":\"GET\",\"url\":\"/gap\",\"host\":\"h\","
			"\"version\":\"2\",\"status\":200,\"req_headers\":{},\"resp_headers\":{},"
			"\"req_body\":\"\",\"resp_body\":\"abcdefghijklmnop\",\"req_bytes\":0,"
			"\"resp_bytes\":40000,\"truncated\":true,\"stream_id\":3,\"incomplete\":true}\n");
		assert_string_equal(got, bytes);
		assert_string_equal(got, eng);
		free(got);
		free(bytes);
		free(eng);
	}
	nghttp2_hd_deflate_del(cd);
	nghttp2_hd_deflate_del(sdf);
}

/* After a gap, 5 bytes of region, then bytes that hold a frame header a
 * receiver would take (DATA, 4 bytes, on stream 1) whose chain breaks: the
 * header after it is none. A frame is judged by its header, never by bytes
 * that may not have come yet (the result must not depend on how the bytes
 * arrive), so its 4 bytes are counted to stream 1; the next header must
 * pass as the second of the chain, does not, and the search resumes past
 * the broken one (9 bytes skipped, counted) to the real last DATA frame. */
static void build_resync_chain(struct h2_build *b, nghttp2_hd_deflater *cd,
			       nghttp2_hd_deflater *sdf)
{
	static const char *const ok[] = { ":status", "200", NULL };
	static const uint8_t fake[] = "\x00\x00\x04\x00\x00\x00\x00\x00\x01" "FAKE"
				      "\xff\xff\xff\xff\xff\xff\xff\xff\xff";
	static const char *const paths[] = { "/a", NULL };
	struct wb *s2;

	data_then_cut(gap_start(b, cd, sdf, paths, ok));
	gap(b, ADI_DIR_IN, 8);
	s2 = seg(b, ADI_DIR_IN, 3000);
	put(s2, "zzzzz", 5);
	put(s2, fake, sizeof(fake) - 1);
	frame(s2, F_DATA, END_STREAM, 1, "cccccccc", 8);
}

static const struct h2_fixture fx_resync_chain = {
	.name = "test_resync_chain", .build = build_resync_chain, .body = 64,
	.expect =
	"1000 3000 http_request {\"method\":\"GET\",\"url\":\"/a\",\"host\":\"h\","
	"\"version\":\"2\",\"status\":200,\"req_headers\":{},\"resp_headers\":{},"
	"\"req_body\":\"\",\"resp_body\":\"aaaaaaaabbbbbFAKEcccccccc\",\"req_bytes\":0,"
	"\"resp_bytes\":28,\"truncated\":true,\"stream_id\":1,\"incomplete\":true}\n"
	"# skipped out=0 in=9 done out=0 in=0\n",
};

/* The h2c upgrade (RFC 7540 3.2) through the HTTP/1 decoder: the 101
 * hands the connection over (proto.h next()); the upgrade request becomes
 * stream 1, answered in HTTP/2. before_101: the client's preface arrives
 * before the 101 (held by HTTP/1, then given to HTTP/2: the other
 * direction's hand-over). server: traced from the server. */
static void build_h2c(struct h2_build *b, nghttp2_hd_deflater *sdf, bool before_101,
		      bool server)
{
	static const char *const ok[] = { ":status", "200", "content-type", "text/plain", NULL };
	static const char req[] = "GET /up HTTP/1.1\r\nHost: h:80\r\n"
		"Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
		"HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n";
	enum adi_dir c2s = server ? ADI_DIR_IN : ADI_DIR_OUT, s2c = server ? ADI_DIR_OUT : ADI_DIR_IN;
	struct wb *up = seg(b, c2s, 1000);
	/* before_101: the preface and the 101 change places (and times) */
	struct wb *pre = before_101 ? seg(b, c2s, 2000) : NULL;
	struct wb *sw = seg(b, s2c, before_101 ? 3000 : 2000);
	struct wb *sv2;

	if (!pre)
		pre = seg(b, c2s, 3000);
	sv2 = seg(b, s2c, 4000);
	put(up, req, sizeof(req) - 1);
	put(sw, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n", 71);
	settings(sw, 3, 100);
	put(pre, preface, 24);
	settings(pre, 0, 0);
	frame(pre, F_SETTINGS, ACK, 0, NULL, 0);
	frame(sv2, F_SETTINGS, ACK, 0, NULL, 0);
	headers(sv2, sdf, 1, 0, ok);
	frame(sv2, F_DATA, END_STREAM, 1, "hi", 2);
}

static void build_h2c_upgrade(struct h2_build *b, nghttp2_hd_deflater *cd,
			      nghttp2_hd_deflater *sdf)
{
	(void)cd;
	build_h2c(b, sdf, false, false);
}

static void build_h2c_upgrade_server(struct h2_build *b, nghttp2_hd_deflater *cd,
				     nghttp2_hd_deflater *sdf)
{
	(void)cd;
	build_h2c(b, sdf, false, true);
}

static void build_h2c_preface_first(struct h2_build *b, nghttp2_hd_deflater *cd,
				    nghttp2_hd_deflater *sdf)
{
	(void)cd;
	build_h2c(b, sdf, true, false);
}

#define H2C_EXPECT \
	"1000 4000 http_request {\"method\":\"GET\",\"url\":\"/up\",\"host\":\"h:80\"," \
	"\"version\":\"2\",\"status\":200,\"req_headers\":{\"host\":\"h:80\"," \
	"\"connection\":\"Upgrade, HTTP2-Settings\",\"upgrade\":\"h2c\"," \
	"\"http2-settings\":\"AAMAAABkAAQCAAAAAAIAAAAA\"}," \
	"\"resp_headers\":{\"content-type\":\"text/plain\"},\"req_body\":\"\"," \
	"\"resp_body\":\"hi\",\"req_bytes\":0,\"resp_bytes\":2,\"truncated\":false," \
	"\"stream_id\":1,\"upgrade\":\"h2c\"}\n"

static const struct h2_fixture fx_h2c_upgrade = {
	.name = "test_h2c_upgrade", .build = build_h2c_upgrade, .proto = &adi_proto_http1,
	.body = 64, .expect = H2C_EXPECT,
};
static const struct h2_fixture fx_h2c_upgrade_server = {
	.name = "test_h2c_upgrade_server", .build = build_h2c_upgrade_server,
	.proto = &adi_proto_http1, .body = 64, .server = true, .expect = H2C_EXPECT,
};
static const struct h2_fixture fx_h2c_preface_first = {
	.name = "test_h2c_preface_first", .build = build_h2c_preface_first,
	.proto = &adi_proto_http1, .body = 64, .expect = H2C_EXPECT,
};

/* A websocket upgrade is not handed over: HTTP/1 stops (DONE). An h2c
 * request answered 200 (the server declined) stays HTTP/1.1. */
static void build_no_hand_over(struct h2_build *b, nghttp2_hd_deflater *cd,
			       nghttp2_hd_deflater *sdf)
{
	static const char c1[] = "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: h2c\r\n"
		"HTTP2-Settings: AAMAAABk\r\nConnection: Upgrade, HTTP2-Settings\r\n\r\n";
	static const char s1[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
	static const char c2[] = "GET /2 HTTP/1.1\r\nHost: h\r\n\r\n";
	static const char s2[] = "HTTP/1.1 204 No Content\r\n\r\n";

	(void)cd;
	(void)sdf;
	put(seg(b, ADI_DIR_OUT, 1000), c1, sizeof(c1) - 1);
	put(seg(b, ADI_DIR_IN, 2000), s1, sizeof(s1) - 1);
	put(seg(b, ADI_DIR_OUT, 3000), c2, sizeof(c2) - 1);
	put(seg(b, ADI_DIR_IN, 4000), s2, sizeof(s2) - 1);
}

static const struct h2_fixture fx_no_hand_over = {
	.name = "test_no_hand_over", .build = build_no_hand_over, .proto = &adi_proto_http1,
	.body = 64,
	.expect =
	"1000 2000 http_request {\"method\":\"GET\",\"url\":\"/\",\"host\":\"h\","
	"\"version\":\"1.1\",\"status\":200,\"req_headers\":{\"host\":\"h\",\"upgrade\":\"h2c\","
	"\"http2-settings\":\"AAMAAABk\",\"connection\":\"Upgrade, HTTP2-Settings\"},"
	"\"resp_headers\":{\"content-length\":\"2\"},\"req_body\":\"\",\"resp_body\":\"ok\","
	"\"req_bytes\":0,\"resp_bytes\":2,\"truncated\":false}\n"
	"3000 4000 http_request {\"method\":\"GET\",\"url\":\"/2\",\"host\":\"h\","
	"\"version\":\"1.1\",\"status\":204,\"req_headers\":{\"host\":\"h\"},"
	"\"resp_headers\":{},\"req_body\":\"\",\"resp_body\":\"\",\"req_bytes\":0,"
	"\"resp_bytes\":0,\"truncated\":false}\n",
};

/* More than H2_MAX_STREAMS (1024) open streams: the oldest are evicted
 * (emitted, "evicted": true) and the table stays bounded. */
static void test_stream_table_bound(void **state)
{
	static struct wb c;
	nghttp2_hd_deflater *cd = deflater();
	struct pd_seg s[1];
	struct pd_case fx;
	char *got, *p;
	unsigned evicted = 0, events = 0;

	(void)state;
	c.n = 0;
	put(&c, preface, 24);
	for (uint32_t i = 0; i < 1030; i++)
		get(&c, cd, 2 * i + 1, "/");
	s[0] = (struct pd_seg){ PD_DATA, ADI_DIR_OUT, c.b, c.n, 1000 };
	fx = (struct pd_case){ .name = __func__, .proto = &adi_proto_http2, .segs = s, .nsegs = 1,
			       .cfg = { .body_bytes = 64, .rows_sample = 5 } };
	got = pd_run(&fx, PD_WHOLE, 0);
	for (p = got; (p = strstr(p, "http_request")); p++)
		events++;
	for (p = got; (p = strstr(p, "\"evicted\":true")); p++)
		evicted++;
	assert_int_equal(events, 1030);
	assert_int_equal(evicted, 6);
	/* the first line is stream 1, evicted */
	assert_non_null(strstr(got, "\"stream_id\":1,\"evicted\":true"));
	free(got);
	nghttp2_hd_deflate_del(cd);
}

/* sniff(): the preface, a server's first SETTINGS, whole frames of a
 * connection joined mid-session; nothing else. */
static void test_sniff(void **state)
{
	static struct wb w;
	nghttp2_hd_deflater *cd = deflater();
	static const char *const rq[] = { ":method", "GET", ":path", "/", NULL };
	struct adi_sniff_ctx c = { .dir = ADI_DIR_OUT };
	const struct adi_proto *p = &adi_proto_http2;

	(void)state;
	assert_int_equal(p->sniff((const uint8_t *)preface, 24, &c), 100);
	assert_int_equal(p->sniff((const uint8_t *)preface, 10, &c), -1);
	w.n = 0;
	settings(&w, 3, 100);
	assert_int_equal(p->sniff(w.b, w.n, &c), 80);
	assert_int_equal(p->sniff(w.b, 5, &c), -1);
	w.n = 0;
	settings(&w, 0x0a0a, 1);                    /* an unknown (GREASE) id */
	assert_int_equal(p->sniff(w.b, w.n, &c), 70);
	w.n = 0;
	settings(&w, 2, 7);                         /* ENABLE_PUSH 7: not HTTP/2 */
	assert_int_equal(p->sniff(w.b, w.n, &c), 0);
	w.n = 0;
	headers(&w, cd, 5, END_STREAM, rq);
	frame(&w, F_WINDOW, 0, 0, "\x00\x00\x01\x00", 4);
	assert_int_equal(p->sniff(w.b, w.n, &c), 65);
	assert_int_equal(p->sniff(w.b, w.n - 1, &c), 0); /* not whole frames */
	assert_int_equal(p->sniff((const uint8_t *)"GET / HTTP/1.1\r\n\r\n", 18, &c), 0);
	assert_int_equal(p->sniff((const uint8_t *)"HTTP/1.1 200 OK\r\n\r\n", 19, &c), 0);
	assert_int_equal(p->sniff((const uint8_t *)"\x00\x00\x00\x08\x04\xd2\x16\x2f", 8, &c), 0);
	assert_int_equal(p->sniff((const uint8_t *)"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03", 10, &c), 0);
	assert_int_equal(p->sniff((const uint8_t *)"*3\r\n$3\r\nSET\r\n", 13, &c), 0);
	assert_int_equal(p->sniff((const uint8_t *)"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 10, &c), 0);
	assert_ptr_equal(adi_proto_find("http2"), p);
	nghttp2_hd_deflate_del(cd);
}

/* A fixture as a cmocka test named for it. */
#define FIXTURE(x) { "test_" #x, run_fixture, NULL, NULL, (void *)&fx_##x }

int main(void)
{
	const struct CMUnitTest tests[] = {
		FIXTURE(get_interleaved),
		FIXTURE(grpc_unary),
		FIXTURE(grpc_streaming_gzip),
		FIXTURE(grpc_trailers_only),
		FIXTURE(rst_goaway),
		FIXTURE(padding_continuation),
		FIXTURE(push_promise),
		FIXTURE(table_size),
		FIXTURE(midsession),
		FIXTURE(gap_loses_data_frames),
		FIXTURE(gap_loses_headers),
		FIXTURE(gap_interleaved),
		cmocka_unit_test(test_big_frames_and_gap),
		FIXTURE(resync_chain),
		FIXTURE(h2c_upgrade),
		FIXTURE(h2c_upgrade_server),
		FIXTURE(h2c_preface_first),
		FIXTURE(no_hand_over),
		cmocka_unit_test(test_stream_table_bound),
		cmocka_unit_test(test_sniff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
