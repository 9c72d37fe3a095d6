/* test_http1.c - unit tests of the HTTP/1.x decoder (src/proto/http1.c).
 * Each fixture is a list of byte segments (direction, timestamp), gaps and
 * ends of direction, driven through the decoder by the shared driver
 * (tests/support/pdrive.h: it follows core/stream.c and checks every result
 * against proto.h) and through the real engine (adi_pconn_*). The emitted
 * events are serialised ("ts_start ts_end kind json" lines) and compared
 * with hand-written expectations derived from RFC 9112 and docs/events.md; every
 * fixture is also fed in 1-byte pieces and split at every byte offset, and
 * must give the same text. Fixtures where a gap completes a message are
 * `driver_only` (see pdrive.c). Most fixtures are one table (fixtures[],
 * each entry a cmocka test of its own name); the few whose bytes are built
 * at run time (gzip, big bodies) are functions. Sniffer tests check the
 * first bytes of other protocols score 0.
 * With ADI_SEED_DIR=<dir> in the environment the fixtures are also written
 * there as seeds of fuzz/fuzz_http1.c ("http-<test name>").
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

#include "pdrive.h"
#include "proto/http1.h"
#include "proto/proto.h"

/* A fixture built at run time, named after its test function. */
#define FIX(segs_, body_, secrets_, server_) \
	{ .name = __func__, .proto = &adi_proto_http1, .segs = (segs_), \
	  .nsegs = PD_NSEG(segs_), \
	  .cfg = { .body_bytes = (body_), .rows_sample = 5, .show_secrets = (secrets_) }, \
	  .server = (server_) }

/* ---- fixtures and their events ---- */

/* A fixture of the table: name (the cmocka test and the fuzzer seed), the
 * body_bytes setting, the script, the events it must give (whole, in 1-byte
 * pieces, split at every offset and, unless driver_only, through the real
 * engine: pd_check_fixture), then the options that differ from the usual
 * (secrets redacted, the traced task is the client). */
struct h1_fixture {
	const char *name;
	unsigned body_bytes;
	const struct pd_seg *segs;
	size_t nsegs;
	const char *expect;
	bool show_secrets, server, driver_only;
};

/* The segments of an entry, written in place or named. */
#define SEGS(...) .segs = (const struct pd_seg[]){ __VA_ARGS__ }, \
	.nsegs = sizeof((const struct pd_seg[]){ __VA_ARGS__ }) / sizeof(struct pd_seg)
#define SEGS_OF(a) .segs = (a), .nsegs = PD_NSEG(a)

/* Credentials in headers: redacted, or shown with show_secrets. */
static const struct pd_seg secret_segs[] = {
	PD_OUT(1000, "GET /s HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer abc\r\n"
		     "Cookie: a=1\r\nProxy-Authorization: Basic eA==\r\n\r\n"),
	PD_IN(2000, "HTTP/1.1 200 OK\r\nSet-Cookie: a=2\r\nSet-Cookie: b=3\r\n"
		    "Content-Length: 0\r\n\r\n"),
};

/* A body that is not UTF-8, kept (64) or not (0). */
static const struct pd_seg binary_segs[] = {
	PD_OUT(1000, "PUT /bin HTTP/1.1\r\nContent-Length: 3\r\n\r\n\xff\x00\x01"),
	PD_IN(2000, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n\xfe\xfd\xfc"),
};

static const struct h1_fixture fixtures[] = {
	{ "test_keepalive", 64, SEGS(
		PD_OUT(1000, "GET /a HTTP/1.1\r\nHost: ex.com\r\nAccept: */*\r\n\r\n"),
		PD_IN(2000, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
			    "Content-Length: 5\r\n\r\nhello"),
		PD_OUT(3000, "POST /b?x=1 HTTP/1.1\r\nHost: ex.com\r\n"
			     "Content-Length: 3\r\n\r\nabc"),
		PD_IN(4000, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"),
		PD_OUT(5000, "DELETE /c HTTP/1.1\r\nHost: ex.com\r\n\r\n"),
		PD_IN(6000, "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno")),
	  "1000 2000 http_request {\"method\":\"GET\",\"url\":\"/a\",\"host\":\"ex.com\","
	  "\"version\":\"1.1\",\"status\":200,"
	  "\"req_headers\":{\"host\":\"ex.com\",\"accept\":\"*/*\"},"
	  "\"resp_headers\":{\"content-type\":\"text/plain\",\"content-length\":\"5\"},"
	  "\"req_body\":\"\",\"resp_body\":\"hello\",\"req_bytes\":0,"
	  "\"resp_bytes\":5,\"truncated\":false}\n"
	  "3000 4000 http_request {\"method\":\"POST\",\"url\":\"/b?x=1\",\"host\":\"ex.com\","
	  "\"version\":\"1.1\",\"status\":201,"
	  "\"req_headers\":{\"host\":\"ex.com\",\"content-length\":\"3\"},"
	  "\"resp_headers\":{\"content-length\":\"0\"},"
	  "\"req_body\":\"abc\",\"resp_body\":\"\",\"req_bytes\":3,"
	  "\"resp_bytes\":0,\"truncated\":false}\n"
	  "5000 6000 http_request {\"method\":\"DELETE\",\"url\":\"/c\",\"host\":\"ex.com\","
	  "\"version\":\"1.1\",\"status\":404,"
	  "\"req_headers\":{\"host\":\"ex.com\"},"
	  "\"resp_headers\":{\"content-length\":\"2\"},"
	  "\"req_body\":\"\",\"resp_body\":\"no\",\"req_bytes\":0,"
	  "\"resp_bytes\":2,\"truncated\":false}\n" },

	/* Three requests in one write before any response; the third is HEAD, so
	 * its response has no body despite Content-Length. */
	{ "test_pipelining", 64, SEGS(
		PD_OUT(1000, "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"
			     "GET /2 HTTP/1.1\r\nHost: h\r\n\r\n"
			     "HEAD /3 HTTP/1.1\r\nHost: h\r\n\r\n"),
		PD_IN(2000, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none"),
		PD_IN(3000, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo"
			    "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n")),
	  "1000 2000 http_request {\"method\":\"GET\",\"url\":\"/1\",\"host\":\"h\","
	  "\"version\":\"1.1\",\"status\":200,\"req_headers\":{\"host\":\"h\"},"
	  "\"resp_headers\":{\"content-length\":\"3\"},\"req_body\":\"\","
	  "\"resp_body\":\"one\",\"req_bytes\":0,\"resp_bytes\":3,"
	  "\"truncated\":false}\n"
	  "1000 3000 http_request {\"method\":\"GET\",\"url\":\"/2\",\"host\":\"h\","
	  "\"version\":\"1.1\",\"status\":200,\"req_headers\":{\"host\":\"h\"},"
	  "\"resp_headers\":{\"content-length\":\"3\"},\"req_body\":\"\","
	  "\"resp_body\":\"two\",\"req_bytes\":0,\"resp_bytes\":3,"
	  "\"truncated\":false}\n"
	  "1000 3000 http_request {\"method\":\"HEAD\",\"url\":\"/3\",\"host\":\"h\","
	  "\"version\":\"1.1\",\"status\":200,\"req_headers\":{\"host\":\"h\"},"
	  "\"resp_headers\":{\"content-length\":\"99\"},\"req_body\":\"\","
	  "\"resp_body\":\"\",\"req_bytes\":0,\"resp_bytes\":0,"
	  "\"truncated\":false}\n" },

	/* Chunked both ways, chunk extensions (with BWS and a quoted value),
	 * trailers on both; the Set-Cookie trailer is redacted too. */
	{ "test_chunked", 64, SEGS(
		PD_OUT(1000, "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
			     "4;name=val\r\nWiki\r\n5 ; a=\"q\"\r\npedia\r\n0\r\n"
			     "X-Checksum: abc\r\n\r\n"),
		PD_IN(2000, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
			    "Trailer: Expires\r\n\r\n3\r\nfoo\r\nA\r\n0123456789\r\n"
			    "0\r\nExpires: never\r\nSet-Cookie: s=1\r\n\r\n")),
	  "1000 2000 http_request {\"method\":\"POST\",\"url\":\"/up\",\"host\":\"h\","
	  "\"version\":\"1.1\",\"status\":200,"
	  "\"req_headers\":{\"host\":\"h\",\"transfer-encoding\":\"chunked\"},"
	  "\"resp_headers\":{\"transfer-encoding\":\"chunked\",\"trailer\":\"Expires\"},"
	  "\"req_body\":\"Wikipedia\",\"resp_body\":\"foo0123456789\","
	  "\"req_bytes\":9,\"resp_bytes\":13,\"truncated\":false,"
	  "\"trailers\":{\"expires\":\"never\",\"set-cookie\":\"<redacted>\"},"
	  "\"req_trailers\":{\"x-checksum\":\"abc\"}}\n" },

	{ "test_head", 64, SEGS(
		PD_OUT(1000, "HEAD /h HTTP/1.1\r\nHost: h\r\n\r\n"),
		PD_IN(2000, "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"),
		PD_OUT(3000, "GET /n HTTP/1.1\r\nHost: h\r\n\r\n"),
		PD_IN(4000, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")),
	  "1000 2000 http_request {\"method\":\"HEAD\",\"url\":\"/h\",\"host\":\"h\","
	  "\"version\":\"1.1\",\"status\":200,\"req_headers\":{\"host\":\"h\"},"
	  "\"resp_headers\":{\"content-length\":\"1234\"},\"req_body\":\"\","
	  "\"resp_body\":\"\",\"req_bytes\":0,\"resp_bytes\":0,"
	  "\"truncated\":false}\n"
	  "3000 4000 http_request {\"method\":\"GET\",\"url\":\"/n\",\"host\":\"h\","
	  "\"version\":\"1.1\",\"status\":200,\"req_headers\":{\"host\":\"h\"},"
	  "\"resp_headers\":{\"content-length\":\"2\"},\"req_body\":\"\","
	  "\"resp_body\":\"ok\",\"req_bytes\":0,\"resp_bytes\":2,"
	  "\"truncated\":false}\n" },

	/* 204 and 304 have no body (the 304 even with Content-Length); the third
	 * exchange proves the framing went on right. */
	{ "test_204_304", 64, SEGS(
		PD_OUT(1000, "DELETE /x HTTP/1.1\r\nHost: h\r\n\r\n"),
		PD_IN(2000, "HTTP/1.1 204 No Content\r\n\r\n"),
		PD_OUT(3000, "GET /c HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"e1\"\r\n\r\n"),
		PD_IN(4000, "HTTP/1.1 304 Not Modified\r\nETag: \"e1\"\r\n"
			    "Content-Length: 10\r\n\r\n"),
		PD_OUT(5000, "GET /z HTTP/1.1\r\nHost: h\r\n\r\n"),
		PD_IN(6000, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz")),
	  "1000 2000 http_request {\"method\":\"DELETE\",\"url\":\"/x\",\"host\":\"h\","
	  "\"version\":\"1.1\",\"status\":204,\"req_headers\":{\"host\":\"h\"},"
	  "\"resp_headers\":{},\"req_body\":\"\",\"resp_body\":\"\","
	  "\"req_bytes\":0,\"resp_bytes\":0,\"truncated\":false}\n"
	  "3000 4000 http_request {\"method\":\"GET\",\"url\":\"/c\",\"host\":\"h\","
	  "\"version\":\"1.1\",\"status\":304,"
	  "\"req_headers\":{\"host\":\"h\",\"if-none-match\":\"\\\"e1\\\"\"},"
	  "\"resp_headers\":{\"etag\":\"\\\"e1\\\"\",\"content-length\":\"10\"},"
	  "\"req_body\":\"\",\"resp_body\":\"\",\"req_bytes\":0,"
	  "\"resp_bytes\":0,\"truncated\":false}\n"
	  "5000 6000 http_request {\"method\":\"GET\",\"url\":\"/z\",\"host\":\"h\","
	  "\"version\":\"1.1\",\"status\":200,\"req_headers\":{\"host\":\"h\"},"
	  "\"resp_headers\":{\"content-length\":\"1\"},\"req_body\":\"\","
	  "\"resp_body\":\"z\",\"req_bytes\":0,\"resp_bytes\":1,"
	  "\"truncated\":false}\n" },

	/* Expect: 100-continue: the interim 100 comes before the request body;
	 * it is collected, not paired. */
	{ "test_100_continue", 64, SEGS(
		PD_OUT(1000, "PUT /f HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
			     "Content-Length: 4\r\n\r\n"),
		PD_IN(2000, "HTTP/1.1 100 Continue\r\n\r\n"),
		PD_OUT(3000, "data"),
		PD_IN(4000, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")),
	  "1000 4000 http_request {\"method\":\"PUT\",\"url\":\"/f\",\"host\":\"h\","
	  "\"version\":\"1.1\",\"status\":200,"
	  "\"req_headers\":{\"host\":\"h\",\"expect\":\"100-continue\","
	  "\"content-length\":\"4\"},"
	  "\"resp_headers\":{\"content-length\":\"0\"},\"req_body\":\"data\","
	  "\"resp_body\":\"\",\"req_bytes\":4,\"resp_bytes\":0,"
	  "\"truncated\":false,\"interim\":[100]}\n" },

	/* An HTTP/1.0 response without a length ends with the stream. */
	{ "test_close_delimited", 64, SEGS(
		PD_OUT(1000, "GET /old HTTP/1.0\r\nUser-Agent: t\r\n\r\n"),
		PD_IN(2000, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nfirst "),
		PD_IN(3000, "second"),
		PD_END(ADI_DIR_IN)),
	  "1000 3000 http_request {\"method\":\"GET\",\"url\":\"/old\",\"host\":null,"
	  "\"version\":\"1.0\",\"status\":200,"
	  "\"req_headers\":{\"user-agent\":\"t\"},"
	  "\"resp_headers\":{\"content-type\":\"text/plain\"},"
	  "\"req_body\":\"\",\"resp_body\":\"first second\",\"req_bytes\":0,"
	  "\"resp_bytes\":12,\"truncated\":false}\n" },

	/* 101 Switching Protocols: the WebSocket frames after it are not HTTP. */
	{ "test_websocket", 64, SEGS(
		PD_OUT(1000, "GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
			     "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n"),
		PD_IN(2000, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
			    "Connection: Upgrade\r\n\r\n\x81\x05hello"),
		PD_OUT(3000, "\x82\x83\x01\x02\x03\x04\x00\x01\x02"),
		PD_IN(4000, "\x88\x00")),
	  "1000 2000 http_request {\"method\":\"GET\",\"url\":\"/chat\",\"host\":\"h\","
	  "\"version\":\"1.1\",\"status\":101,"
	  "\"req_headers\":{\"host\":\"h\",\"upgrade\":\"websocket\","
	  "\"connection\":\"Upgrade\",\"sec-websocket-version\":\"13\"},"
	  "\"resp_headers\":{\"upgrade\":\"websocket\",\"connection\":\"Upgrade\"},"
	  "\"req_body\":\"\",\"resp_body\":\"\",\"req_bytes\":0,"
	  "\"resp_bytes\":0,\"truncated\":false,\"upgrade\":\"websocket\"}\n"
	  "# skipped out=0 in=0 done out=1 in=1\n" },

	/* CONNECT refused (407, with a body), then accepted: a tunnel, the TLS
	 * bytes after it are not HTTP. Proxy-Authorization is redacted. */
	{ "test_connect", 64, SEGS(
		PD_OUT(1000, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"),
		PD_IN(2000, "HTTP/1.1 407 Proxy Authentication Required\r\n"
			    "Proxy-Authenticate: Basic\r\nContent-Length: 6\r\n\r\ndenied"),
		PD_OUT(3000, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n"
			     "Proxy-Authorization: Basic dXNlcjpwYXNz\r\n\r\n"),
		PD_IN(4000, "HTTP/1.1 200 Connection Established\r\n\r\n"),
		PD_OUT(5000, "\x16\x03\x01\x00\x05hello"),
		PD_IN(6000, "\x16\x03\x03\x00\x02hi")),
	  "1000 2000 http_request {\"method\":\"CONNECT\",\"url\":\"example.com:443\","
	  "\"host\":\"example.com:443\",\"version\":\"1.1\",\"status\":407,"
	  "\"req_headers\":{\"host\":\"example.com:443\"},"
	  "\"resp_headers\":{\"proxy-authenticate\":\"Basic\",\"content-length\":\"6\"},"
	  "\"req_body\":\"\",\"resp_body\":\"denied\",\"req_bytes\":0,"
	  "\"resp_bytes\":6,\"truncated\":false}\n"
	  "3000 4000 http_request {\"method\":\"CONNECT\",\"url\":\"example.com:443\","
	  "\"host\":\"example.com:443\",\"version\":\"1.1\",\"status\":200,"
	  "\"req_headers\":{\"host\":\"example.com:443\","
	  "\"proxy-authorization\":\"<redacted>\"},"
	  "\"resp_headers\":{},\"req_body\":\"\",\"resp_body\":\"\","
	  "\"req_bytes\":0,\"resp_bytes\":0,\"truncated\":false,\"tunnel\":true}\n"
	  "# skipped out=0 in=0 done out=1 in=1\n" },

	{ "test_folded_repeated", 64, SEGS(
		PD_OUT(1000, "GET /f HTTP/1.1\r\nHost: h\r\nX-Long: part1\r\n   part2\r\n"
			     "\tpart3  \r\nAccept: a\r\nACCEPT: b\r\nX-Empty:\r\nAccept:c\r\n\r\n"),
		PD_IN(2000, "HTTP/1.1 200 OK\r\nVary: a\r\nContent-Length: 0\r\nVary: b\r\n\r\n")),
	  "1000 2000 http_request {\"method\":\"GET\",\"url\":\"/f\",\"host\":\"h\","
	  "\"version\":\"1.1\",\"status\":200,"
	  "\"req_headers\":{\"host\":\"h\",\"x-long\":\"part1 part2 part3\","
	  "\"accept\":\"a, b, c\",\"x-empty\":\"\"},"
	  "\"resp_headers\":{\"vary\":\"a, b\",\"content-length\":\"0\"},"
	  "\"req_body\":\"\",\"resp_body\":\"\",\"req_bytes\":0,"
	  "\"resp_bytes\":0,\"truncated\":false}\n" },

	/* A folded value that is also repeated (joined after its fold), and
	 * a fold that continues an empty value (no space before it). */
	{ "test_folded_then_repeated", 64, SEGS(
		PD_OUT(1000, "GET /g HTTP/1.1\r\nHost: h\r\nX-A: a\r\n b\r\nX-E:\r\n  v\r\n"
			     "x-a: c\r\n\r\n"),
		PD_IN(2000, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")),
	  "1000 2000 http_request {\"method\":\"GET\",\"url\":\"/g\",\"host\":\"h\","
	  "\"version\":\"1.1\",\"status\":200,"
	  "\"req_headers\":{\"host\":\"h\",\"x-a\":\"a b, c\",\"x-e\":\"v\"},"
	  "\"resp_headers\":{\"content-length\":\"0\"},"
	  "\"req_body\":\"\",\"resp_body\":\"\",\"req_bytes\":0,"
	  "\"resp_bytes\":0,\"truncated\":false}\n" },

	/* Bare LF line ends (RFC 9112 2.2 lets a recipient accept them) and a
	 * status line without reason phrase. */
	{ "test_bare_lf", 64, SEGS(
		PD_OUT(1000, "GET /lf HTTP/1.1\nHost: h\n\n"),
		PD_IN(2000, "HTTP/1.1 200\nContent-Length: 2\n\nok")),
	  "1000 2000 http_request {\"method\":\"GET\",\"url\":\"/lf\",\"host\":\"h\","
	  "\"version\":\"1.1\",\"status\":200,\"req_headers\":{\"host\":\"h\"},"
	  "\"resp_headers\":{\"content-length\":\"2\"},\"req_body\":\"\","
	  "\"resp_body\":\"ok\",\"req_bytes\":0,\"resp_bytes\":2,"
	  "\"truncated\":false}\n" },

	{ "test_redaction", 64, SEGS_OF(secret_segs),
	  "1000 2000 http_request {\"method\":\"GET\",\"url\":\"/s\",\"host\":\"h\","
	  "\"version\":\"1.1\",\"status\":200,"
	  "\"req_headers\":{\"host\":\"h\",\"authorization\":\"<redacted>\","
	  "\"cookie\":\"<redacted>\",\"proxy-authorization\":\"<redacted>\"},"
	  "\"resp_headers\":{\"set-cookie\":\"<redacted>\",\"content-length\":\"0\"},"
	  "\"req_body\":\"\",\"resp_body\":\"\",\"req_bytes\":0,"
	  "\"resp_bytes\":0,\"truncated\":false}\n" },

	{ "test_show_secrets", 64, SEGS_OF(secret_segs),
	  "1000 2000 http_request {\"method\":\"GET\",\"url\":\"/s\",\"host\":\"h\","
	  "\"version\":\"1.1\",\"status\":200,"
	  "\"req_headers\":{\"host\":\"h\",\"authorization\":\"Bearer abc\","
	  "\"cookie\":\"a=1\",\"proxy-authorization\":\"Basic eA==\"},"
	  "\"resp_headers\":{\"set-cookie\":\"a=2, b=3\",\"content-length\":\"0\"},"
	  "\"req_body\":\"\",\"resp_body\":\"\",\"req_bytes\":0,"
	  "\"resp_bytes\":0,\"truncated\":false}\n",
	  .show_secrets = true },

	/* The traced task is the server: requests are read (in_q), responses
	 * written (out_q). */
	{ "test_server_side", 64, SEGS(
		PD_IN(1000, "POST /api HTTP/1.1\r\nHost: srv\r\nContent-Length: 2\r\n\r\n{}"),
		PD_OUT(2000, "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n{\"a\":1}"),
		PD_IN(3000, "GET /api/2 HTTP/1.1\r\nHost: srv\r\n\r\n"),
		PD_OUT(4000, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n")),
	  "1000 2000 http_request {\"method\":\"POST\",\"url\":\"/api\",\"host\":\"srv\","
	  "\"version\":\"1.1\",\"status\":200,"
	  "\"req_headers\":{\"host\":\"srv\",\"content-length\":\"2\"},"
	  "\"resp_headers\":{\"content-length\":\"7\"},\"req_body\":\"{}\","
	  "\"resp_body\":\"{\\\"a\\\":1}\",\"req_bytes\":2,\"resp_bytes\":7,"
	  "\"truncated\":false}\n"
	  "3000 4000 http_request {\"method\":\"GET\",\"url\":\"/api/2\",\"host\":\"srv\","
	  "\"version\":\"1.1\",\"status\":500,\"req_headers\":{\"host\":\"srv\"},"
	  "\"resp_headers\":{\"content-length\":\"0\"},\"req_body\":\"\","
	  "\"resp_body\":\"\",\"req_bytes\":0,\"resp_bytes\":0,"
	  "\"truncated\":false}\n",
	  .server = true },

	/* Garbage before the first request: BAD, resync skips exactly the 37
	 * garbage bytes ("\0\1garbage\r\n" + "more junk\r\n" + a request line
	 * whose method "T" is not registered: after a resync only registered
	 * methods count, whether the bytes come whole or one by one). */
	{ "test_garbage_resync", 64, SEGS(
		PD_OUT(1000, "\x00\x01garbage\r\nmore junk\r\nT /x HTTP/1.1\r\n"
			     "GET /ok HTTP/1.1\r\nHost: h\r\n\r\n"),
		PD_IN(2000, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")),
	  "1000 2000 http_request {\"method\":\"GET\",\"url\":\"/ok\",\"host\":\"h\","
	  "\"version\":\"1.1\",\"status\":200,\"req_headers\":{\"host\":\"h\"},"
	  "\"resp_headers\":{\"content-length\":\"0\"},\"req_body\":\"\","
	  "\"resp_body\":\"\",\"req_bytes\":0,\"resp_bytes\":0,"
	  "\"truncated\":false}\n"
	  "# skipped out=37 in=0 done out=0 in=0\n" },

	/* A chunk-size line that goes bad after its digits ("4x"): the request is
	 * lost (BAD in its body; the good byte before was consumed, the bad one is
	 * dropped and 13 more up to the next request line resynced). Its response
	 * still takes its place: emitted alone, incomplete. */
	{ "test_bad_chunk_line", 64, SEGS(
		PD_OUT(1000, "POST /up HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
			     "4x\r\nWiki\r\n0\r\n\r\nGET /after HTTP/1.1\r\n\r\n"),
		PD_IN(2000, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"),
		PD_IN(3000, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")),
	  "2000 2000 http_request {\"method\":null,\"url\":null,\"host\":null,"
	  "\"version\":\"1.1\",\"status\":400,\"req_headers\":null,"
	  "\"resp_headers\":{\"content-length\":\"0\"},\"req_body\":null,"
	  "\"resp_body\":\"\",\"req_bytes\":0,\"resp_bytes\":0,"
	  "\"truncated\":true,\"incomplete\":true}\n"
	  "1000 3000 http_request {\"method\":\"GET\",\"url\":\"/after\",\"host\":null,"
	  "\"version\":\"1.1\",\"status\":200,\"req_headers\":{},"
	  "\"resp_headers\":{\"content-length\":\"0\"},\"req_body\":\"\","
	  "\"resp_body\":\"\",\"req_bytes\":0,\"resp_bytes\":0,"
	  "\"truncated\":false}\n"
	  "# skipped out=14 in=0 done out=0 in=0\n" },

	/* A request direction being resynced when the protocol switches (its 22
	 * bytes, "HTTP/0.1", are no request): what follows is the new protocol
	 * (DONE, not skipped byte by byte), however it is cut. */
	{ "test_resync_then_upgrade", 64, SEGS(
		PD_OUT(1000, "GET /chat HTTP/0.1\r\n\r\n"),
		PD_IN(2000, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"),
		PD_OUT(3000, "\x82\x83HT\x00\x01\x02")),
	  "2000 2000 http_request {\"method\":null,\"url\":null,\"host\":null,"
	  "\"version\":\"1.1\",\"status\":101,\"req_headers\":null,"
	  "\"resp_headers\":{\"upgrade\":\"websocket\"},\"req_body\":null,"
	  "\"resp_body\":\"\",\"req_bytes\":0,\"resp_bytes\":0,"
	  "\"truncated\":false,\"upgrade\":\"websocket\"}\n"
	  "# skipped out=22 in=0 done out=1 in=1\n" },

	/* A response cut to the capture limit: 30 of 1000 body bytes seen, 970
	 * lost; the gap is absorbed, the true size counted, the next exchange on
	 * the connection is decoded. */
	{ "test_gap_in_body", 64, SEGS(
		PD_OUT(1000, "GET /big HTTP/1.1\r\nHost: h\r\n\r\n"),
		PD_IN(2000, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
			    "012345678901234567890123456789"),
		PD_GAP_(ADI_DIR_IN, 970),
		PD_OUT(3000, "GET /next HTTP/1.1\r\nHost: h\r\n\r\n"),
		PD_IN(4000, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")),
	  "1000 2000 http_request {\"method\":\"GET\",\"url\":\"/big\",\"host\":\"h\","
	  "\"version\":\"1.1\",\"status\":200,\"req_headers\":{\"host\":\"h\"},"
	  "\"resp_headers\":{\"content-length\":\"1000\"},\"req_body\":\"\","
	  "\"resp_body\":\"012345678901234567890123456789\",\"req_bytes\":0,"
	  "\"resp_bytes\":1000,\"truncated\":true,\"incomplete\":true}\n"
	  "3000 4000 http_request {\"method\":\"GET\",\"url\":\"/next\",\"host\":\"h\","
	  "\"version\":\"1.1\",\"status\":200,\"req_headers\":{\"host\":\"h\"},"
	  "\"resp_headers\":{\"content-length\":\"2\"},\"req_body\":\"\","
	  "\"resp_body\":\"ok\",\"req_bytes\":0,\"resp_bytes\":2,"
	  "\"truncated\":false}\n",
	  .driver_only = true /* the gap completes the body */ },

	/* Bytes of a body lost, then the stream ends before the rest: a loss
	 * (truncated), not the process leaving the rest unread. */
	{ "test_gap_then_end", 64, SEGS(
		PD_OUT(1000, "GET /big HTTP/1.1\r\nHost: h\r\n\r\n"),
		PD_IN(2000, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789"),
		PD_GAP_(ADI_DIR_IN, 100),
		PD_END(ADI_DIR_IN)),
	  "1000 2000 http_request {\"method\":\"GET\",\"url\":\"/big\",\"host\":\"h\","
	  "\"version\":\"1.1\",\"status\":200,\"req_headers\":{\"host\":\"h\"},"
	  "\"resp_headers\":{\"content-length\":\"1000\"},\"req_body\":\"\","
	  "\"resp_body\":\"0123456789\",\"req_bytes\":0,"
	  "\"resp_bytes\":110,\"truncated\":true,\"incomplete\":true}\n",
	  .driver_only = true },

	/* A gap inside a chunk (5 of its 20 bytes lost): absorbed, parsing goes on
	 * with the rest of the chunk and the last chunk. */
	{ "test_gap_in_chunk", 64, SEGS(
		PD_OUT(1000, "GET /c HTTP/1.1\r\n\r\n"),
		PD_IN(2000, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			    "14\r\n0123456789"),
		PD_GAP_(ADI_DIR_IN, 5),
		PD_IN(3000, "01234\r\n0\r\n\r\n")),
	  "1000 3000 http_request {\"method\":\"GET\",\"url\":\"/c\",\"host\":null,"
	  "\"version\":\"1.1\",\"status\":200,\"req_headers\":{},"
	  "\"resp_headers\":{\"transfer-encoding\":\"chunked\"},\"req_body\":\"\","
	  "\"resp_body\":\"012345678901234\",\"req_bytes\":0,"
	  "\"resp_bytes\":20,\"truncated\":true,\"incomplete\":true}\n" },

	/* A gap past a chunk's end loses the chunk framing, not the body: five
	 * chunks of "hello" and the last one; 27 bytes are lost from the 3rd
	 * byte of the second chunk's data ("lo", the CRLF, chunks 3 and 4 and
	 * the first 3 bytes of chunk 5). What follows is followed byte by byte
	 * until a chunk proves itself: "5" CRLF after CRLF, 5 bytes, CRLF, a
	 * digit. The region before it (chunks 3 and 4, 20 bytes) is two chunks
	 * like the last one read: 10 data bytes. 5 + 5 + 10 + 5 + 5 = 30, the
	 * true size; the body kept is what was seen before the gap. The next
	 * exchange pairs as usual. */
	{ "test_gap_loses_chunk_framing", 64, SEGS(
		PD_OUT(1000, "GET /c HTTP/1.1\r\n\r\n"),
		PD_IN(2000, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			    "5\r\nhello\r\n5\r\nhel"),
		PD_GAP_(ADI_DIR_IN, 27),
		PD_IN(3000, "hello\r\n5\r\nhello\r\n0\r\n\r\n"),
		PD_OUT(4000, "GET /n HTTP/1.1\r\n\r\n"),
		PD_IN(5000, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")),
	  "1000 3000 http_request {\"method\":\"GET\",\"url\":\"/c\",\"host\":null,"
	  "\"version\":\"1.1\",\"status\":200,\"req_headers\":{},"
	  "\"resp_headers\":{\"transfer-encoding\":\"chunked\"},\"req_body\":\"\","
	  "\"resp_body\":\"hellohel\",\"req_bytes\":0,"
	  "\"resp_bytes\":30,\"truncated\":true,\"incomplete\":true}\n"
	  "4000 5000 http_request {\"method\":\"GET\",\"url\":\"/n\",\"host\":null,"
	  "\"version\":\"1.1\",\"status\":200,\"req_headers\":{},"
	  "\"resp_headers\":{\"content-length\":\"2\"},\"req_body\":\"\","
	  "\"resp_body\":\"ok\",\"req_bytes\":0,\"resp_bytes\":2,"
	  "\"truncated\":false}\n" },

	/* The end of a chunked body lost with its framing: chunks "hello",
	 * "hello", "abc" and the last chunk; 18 bytes lost from the 3rd byte
	 * of the second chunk's data. Right after the gap comes the next
	 * response's status line: the body ended in the gap. Its region, 13
	 * bytes after the second chunk's CRLF, less "0" CRLF CRLF, is 8 bytes:
	 * not a whole "hello" chunk (10 bytes), but one shorter chunk, "3" CRLF
	 * 3 bytes CRLF: 5 + 5 + 3 = 13. Both pipelined requests pair. */
	{ "test_gap_loses_last_chunk", 64, SEGS(
		PD_OUT(1000, "GET /c HTTP/1.1\r\n\r\nGET /n HTTP/1.1\r\n\r\n"),
		PD_IN(2000, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			    "5\r\nhello\r\n5\r\nhe"),
		PD_GAP_(ADI_DIR_IN, 18),
		PD_IN(3000, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")),
	  "1000 2000 http_request {\"method\":\"GET\",\"url\":\"/c\",\"host\":null,"
	  "\"version\":\"1.1\",\"status\":200,\"req_headers\":{},"
	  "\"resp_headers\":{\"transfer-encoding\":\"chunked\"},\"req_body\":\"\","
	  "\"resp_body\":\"hellohe\",\"req_bytes\":0,"
	  "\"resp_bytes\":13,\"truncated\":true,\"incomplete\":true}\n"
	  "1000 3000 http_request {\"method\":\"GET\",\"url\":\"/n\",\"host\":null,"
	  "\"version\":\"1.1\",\"status\":200,\"req_headers\":{},"
	  "\"resp_headers\":{\"content-length\":\"2\"},\"req_body\":\"\","
	  "\"resp_body\":\"ok\",\"req_bytes\":0,\"resp_bytes\":2,"
	  "\"truncated\":false}\n",
	  .driver_only = true /* the next message ends the body: timed at the gap */ },

	/* Each chunk written by a call of its own, each call cut after 8 bytes
	 * (as by --capture-bytes 8): the 14 bytes lost from each are the rest of
	 * its data and its CRLF. The second chunk's line comes right where the
	 * first one ended; its data and CRLF end exactly with the next gap, and
	 * the third chunk's line comes right after: it proves itself. The last
	 * chunk likewise. Every chunk counted: 48 bytes, exact. */
	{ "test_chunks_cut_per_call", 64, SEGS(
		PD_OUT(1000, "GET /c HTTP/1.1\r\n\r\n"),
		PD_IN(2000, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"),
		PD_IN(3000, "10\r\naaaa"), PD_GAP_(ADI_DIR_IN, 14),
		PD_IN(4000, "10\r\nbbbb"), PD_GAP_(ADI_DIR_IN, 14),
		PD_IN(5000, "10\r\ncccc"), PD_GAP_(ADI_DIR_IN, 14),
		PD_IN(6000, "0\r\n\r\n")),
	  "1000 6000 http_request {\"method\":\"GET\",\"url\":\"/c\",\"host\":null,"
	  "\"version\":\"1.1\",\"status\":200,\"req_headers\":{},"
	  "\"resp_headers\":{\"transfer-encoding\":\"chunked\"},\"req_body\":\"\","
	  "\"resp_body\":\"aaaacccc\",\"req_bytes\":0,"
	  "\"resp_bytes\":48,\"truncated\":true,\"incomplete\":true}\n" },

	/* A gap inside a request head: that request is lost (its 19 held bytes
	 * are dropped, resync skips 9 more to the next request line), but it keeps
	 * its place, so its response is emitted alone (incomplete) and the next
	 * pair stays right. */
	{ "test_gap_in_headers", 64, SEGS(
		PD_OUT(1000, "GET /a HTTP/1.1\r\nHo"),
		PD_GAP_(ADI_DIR_OUT, 10),
		PD_OUT(2000, "st: x\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n"),
		PD_IN(3000, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na"),
		PD_IN(4000, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb")),
	  "3000 3000 http_request {\"method\":null,\"url\":null,\"host\":null,"
	  "\"version\":\"1.1\",\"status\":200,\"req_headers\":null,"
	  "\"resp_headers\":{\"content-length\":\"1\"},\"req_body\":null,"
	  "\"resp_body\":\"a\",\"req_bytes\":0,\"resp_bytes\":1,"
	  "\"truncated\":true,\"incomplete\":true}\n"
	  "2000 4000 http_request {\"method\":\"GET\",\"url\":\"/b\",\"host\":\"h\","
	  "\"version\":\"1.1\",\"status\":200,\"req_headers\":{\"host\":\"h\"},"
	  "\"resp_headers\":{\"content-length\":\"1\"},\"req_body\":\"\","
	  "\"resp_body\":\"b\",\"req_bytes\":0,\"resp_bytes\":1,"
	  "\"truncated\":false}\n"
	  "# skipped out=28 in=0 done out=0 in=0\n" },

	/* The connection ends inside a response body (incomplete), and a request
	 * is never answered (status null, no end time). */
	{ "test_unanswered_and_cut", 64, SEGS(
		PD_OUT(1000, "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"),
		PD_IN(2000, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabcd"),
		PD_END(ADI_DIR_IN),
		PD_OUT(3000, "GET /2 HTTP/1.1\r\nHost: h\r\n\r\n")),
	  "1000 2000 http_request {\"method\":\"GET\",\"url\":\"/1\",\"host\":\"h\","
	  "\"version\":\"1.1\",\"status\":200,\"req_headers\":{\"host\":\"h\"},"
	  "\"resp_headers\":{\"content-length\":\"10\"},\"req_body\":\"\","
	  "\"resp_body\":\"abcd\",\"req_bytes\":0,\"resp_bytes\":4,"
	  "\"truncated\":false,\"incomplete\":true,\"resp_unread\":6}\n"
	  "3000 -1 http_request {\"method\":\"GET\",\"url\":\"/2\",\"host\":\"h\","
	  "\"version\":\"1.1\",\"status\":null,\"req_headers\":{\"host\":\"h\"},"
	  "\"resp_headers\":null,\"req_body\":\"\",\"resp_body\":null,"
	  "\"req_bytes\":0,\"resp_bytes\":0,\"truncated\":false}\n" },

	/* The trace ends inside a chunked body (an error page the client did
	 * not read): its rest is unread, of a size the framing does not say.
	 * (A body a gap cut stays a loss: test_gap_then_end.) */
	{ "test_unread_chunked", 64, SEGS(
		PD_OUT(1000, "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"),
		PD_IN(2000, "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n"
			    "3\r\nabc\r\n"),
		PD_OUT(3000, "GET /2 HTTP/1.1\r\nHost: h\r\n\r\n")),
	  "1000 2000 http_request {\"method\":\"GET\",\"url\":\"/1\",\"host\":\"h\","
	  "\"version\":\"1.1\",\"status\":404,\"req_headers\":{\"host\":\"h\"},"
	  "\"resp_headers\":{\"transfer-encoding\":\"chunked\"},\"req_body\":\"\","
	  "\"resp_body\":\"abc\",\"req_bytes\":0,\"resp_bytes\":3,"
	  "\"truncated\":false,\"incomplete\":true,\"resp_unread\":null}\n"
	  "3000 -1 http_request {\"method\":\"GET\",\"url\":\"/2\",\"host\":\"h\","
	  "\"version\":\"1.1\",\"status\":null,\"req_headers\":{\"host\":\"h\"},"
	  "\"resp_headers\":null,\"req_body\":\"\",\"resp_body\":null,"
	  "\"req_bytes\":0,\"resp_bytes\":0,\"truncated\":false}\n" },

	/* Attached mid-stream: the first response has no request. */
	{ "test_midstream_response", 64, SEGS(
		PD_IN(1000, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"),
		PD_OUT(2000, "GET /after HTTP/1.1\r\nHost: h\r\n\r\n"),
		PD_IN(3000, "HTTP/1.1 204 No Content\r\n\r\n")),
	  "1000 1000 http_request {\"method\":null,\"url\":null,\"host\":null,"
	  "\"version\":\"1.1\",\"status\":200,\"req_headers\":null,"
	  "\"resp_headers\":{\"content-length\":\"2\"},\"req_body\":null,"
	  "\"resp_body\":\"hi\",\"req_bytes\":0,\"resp_bytes\":2,"
	  "\"truncated\":false}\n"
	  "2000 3000 http_request {\"method\":\"GET\",\"url\":\"/after\",\"host\":\"h\","
	  "\"version\":\"1.1\",\"status\":204,\"req_headers\":{\"host\":\"h\"},"
	  "\"resp_headers\":{},\"req_body\":\"\",\"resp_body\":\"\","
	  "\"req_bytes\":0,\"resp_bytes\":0,\"truncated\":false}\n" },

	/* A body that is not UTF-8 is written as base64 (adi_j_bytes); body_bytes
	 * 0 keeps nothing but still counts. */
	{ "test_binary_and_zero_limit", 64, SEGS_OF(binary_segs),
	  "1000 2000 http_request {\"method\":\"PUT\",\"url\":\"/bin\",\"host\":null,"
	  "\"version\":\"1.1\",\"status\":200,"
	  "\"req_headers\":{\"content-length\":\"3\"},"
	  "\"resp_headers\":{\"content-length\":\"3\"},"
	  "\"req_body\":\"base64:/wAB\",\"resp_body\":\"base64:/v38\","
	  "\"req_bytes\":3,\"resp_bytes\":3,\"truncated\":false}\n" },

	{ "test_binary_zero_limit", 0, SEGS_OF(binary_segs),
	  "1000 2000 http_request {\"method\":\"PUT\",\"url\":\"/bin\",\"host\":null,"
	  "\"version\":\"1.1\",\"status\":200,"
	  "\"req_headers\":{\"content-length\":\"3\"},"
	  "\"resp_headers\":{\"content-length\":\"3\"},"
	  "\"req_body\":\"\",\"resp_body\":\"\","
	  "\"req_bytes\":3,\"resp_bytes\":3,\"truncated\":true}\n" },

};

static void test_fixture(void **state)
{
	const struct h1_fixture *f = *state;
	struct pd_case c = {
		.name = f->name, .proto = &adi_proto_http1, .segs = f->segs, .nsegs = f->nsegs,
		.cfg = { .body_bytes = f->body_bytes, .rows_sample = 5,
			 .show_secrets = f->show_secrets },
		.server = f->server, .driver_only = f->driver_only,
	};

	pd_check_fixture(&c, f->expect);
}

/* ---- fixtures built at run time ---- */

/* Compress src with zlib: gzip (windowBits 16 + 15) or raw deflate (-15). */
static size_t zpack(const char *src, size_t n, uint8_t *dst, size_t cap, int wbits)
{
	z_stream z;

	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (Bytef *)(uintptr_t)src;
	z.avail_in = (uInt)n;
	z.next_out = dst;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	n = z.total_out;
	deflateEnd(&z);
	return n;
}

/* Appends to a byte buffer for fixtures built at run time. */
struct bbuf {
	uint8_t b[4096];
	size_t n;
};

static const uint8_t *bb_add(struct bbuf *bb, const void *p, size_t n)
{
	const uint8_t *at = bb->b + bb->n;

	assert_true(bb->n + n <= sizeof(bb->b));
	memcpy(bb->b + bb->n, p, n);
	bb->n += n;
	return at;
}

static const uint8_t *bb_str(struct bbuf *bb, const char *s)
{
	return bb_add(bb, s, strlen(s));
}

/* gzip with Content-Length; raw deflate (no zlib header) in two chunks;
 * a "gzip" body that is not; a gzip body that inflates past body_bytes;
 * one that inflates to exactly body_bytes (not cut). */
static void test_gzip(void **state)
{
	static const char text[] = "hello hello hello hello gzip world\n";
	static struct bbuf bb;
	static const char exact[] = "0123456789abcdef0123456789abcdef"
				    "0123456789abcdef0123456789abcdef";
	uint8_t gz[256], df[256], big_gz[256], ex_gz[256];
	char big[200], head[160], expect[4096];
	size_t ngz, ndf, nbig, nex, h1n, h2n, h3n, h4n, h5n;
	const uint8_t *h1, *h2, *h3, *h4, *h5;

	(void)state;
	bb.n = 0;
	memset(big, 'a', sizeof(big));
	ngz = zpack(text, strlen(text), gz, sizeof(gz), 16 + MAX_WBITS);
	ndf = zpack(text, strlen(text), df, sizeof(df), -MAX_WBITS);
	nbig = zpack(big, sizeof(big), big_gz, sizeof(big_gz), 16 + MAX_WBITS);
	nex = zpack(exact, 64, ex_gz, sizeof(ex_gz), 16 + MAX_WBITS);
	assert_true(ndf > 4);

	snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
		 "Content-Length: %zu\r\n\r\n", ngz);
	h1 = bb_str(&bb, head);
	bb_add(&bb, gz, ngz);
	h1n = strlen(head) + ngz;

	snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\n"
		 "Transfer-Encoding: chunked\r\n\r\n%zx\r\n", (size_t)4);
	h2 = bb_str(&bb, head);
	bb_add(&bb, df, 4);
	snprintf(head, sizeof(head), "\r\n%zx;last\r\n", ndf - 4);
	bb_str(&bb, head);
	bb_add(&bb, df + 4, ndf - 4);
	bb_str(&bb, "\r\n0\r\n\r\n");
	h2n = (size_t)(bb.b + bb.n - h2);

	h3 = bb_str(&bb, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
		    "Content-Length: 8\r\n\r\nnot gzip");
	h3n = (size_t)(bb.b + bb.n - h3);

	snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Encoding: x-gzip\r\n"
		 "Content-Length: %zu\r\n\r\n", nbig);
	h4 = bb_str(&bb, head);
	bb_add(&bb, big_gz, nbig);
	h4n = (size_t)(bb.b + bb.n - h4);

	snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
		 "Content-Length: %zu\r\n\r\n", nex);
	h5 = bb_str(&bb, head);
	bb_add(&bb, ex_gz, nex);
	h5n = (size_t)(bb.b + bb.n - h5);

	{
		const struct pd_seg s[] = {
			PD_OUT(1000, "GET /1 HTTP/1.1\r\nAccept-Encoding: gzip\r\n\r\n"),
			PD_INB(2000, h1, h1n),
			PD_OUT(3000, "GET /2 HTTP/1.1\r\n\r\n"),
			PD_INB(4000, h2, h2n),
			PD_OUT(5000, "GET /3 HTTP/1.1\r\n\r\n"),
			PD_INB(6000, h3, h3n),
			PD_OUT(7000, "GET /4 HTTP/1.1\r\n\r\n"),
			PD_INB(8000, h4, h4n),
			PD_OUT(9000, "GET /5 HTTP/1.1\r\n\r\n"),
			PD_INB(10000, h5, h5n),
		};
		struct pd_case fx = FIX(s, 64, false, false);

		snprintf(expect, sizeof(expect),
			"1000 2000 http_request {\"method\":\"GET\",\"url\":\"/1\",\"host\":null,"
			"\"version\":\"1.1\",\"status\":200,"
			"\"req_headers\":{\"accept-encoding\":\"gzip\"},"
			"\"resp_headers\":{\"content-encoding\":\"gzip\",\"content-length\":\"%zu\"},"
			"\"req_body\":\"\",\"resp_body\":\"hello hello hello hello gzip world\\n\","
			"\"req_bytes\":0,\"resp_bytes\":%zu,\"truncated\":false,"
			"\"content_encoding\":\"gzip\"}\n"
			"3000 4000 http_request {\"method\":\"GET\",\"url\":\"/2\",\"host\":null,"
			"\"version\":\"1.1\",\"status\":200,\"req_headers\":{},"
			"\"resp_headers\":{\"content-encoding\":\"deflate\","
			"\"transfer-encoding\":\"chunked\"},"
			"\"req_body\":\"\",\"resp_body\":\"hello hello hello hello gzip world\\n\","
			"\"req_bytes\":0,\"resp_bytes\":%zu,\"truncated\":false,"
			"\"content_encoding\":\"deflate\"}\n"
			"5000 6000 http_request {\"method\":\"GET\",\"url\":\"/3\",\"host\":null,"
			"\"version\":\"1.1\",\"status\":200,\"req_headers\":{},"
			"\"resp_headers\":{\"content-encoding\":\"gzip\",\"content-length\":\"8\"},"
			"\"req_body\":\"\",\"resp_body\":\"not gzip\","
			"\"req_bytes\":0,\"resp_bytes\":8,\"truncated\":false,"
			"\"decode_error\":\"gzip: incorrect header check\"}\n"
			"7000 8000 http_request {\"method\":\"GET\",\"url\":\"/4\",\"host\":null,"
			"\"version\":\"1.1\",\"status\":200,\"req_headers\":{},"
			"\"resp_headers\":{\"content-encoding\":\"x-gzip\",\"content-length\":\"%zu\"},"
			"\"req_body\":\"\",\"resp_body\":\"%.64s\","
			"\"req_bytes\":0,\"resp_bytes\":%zu,\"truncated\":true,"
			"\"content_encoding\":\"gzip\"}\n"
			"9000 10000 http_request {\"method\":\"GET\",\"url\":\"/5\",\"host\":null,"
			"\"version\":\"1.1\",\"status\":200,\"req_headers\":{},"
			"\"resp_headers\":{\"content-encoding\":\"gzip\",\"content-length\":\"%zu\"},"
			"\"req_body\":\"\",\"resp_body\":\"%s\","
			"\"req_bytes\":0,\"resp_bytes\":%zu,\"truncated\":false,"
			"\"content_encoding\":\"gzip\"}\n",
			ngz, ngz, ndf, nbig, big, nbig, nex, exact, nex);
		pd_check_fixture(&fx, expect);
	}
}

/* A gzip body whose kept bytes (body_bytes 64) fill just as its input
 * runs out, with an invalid back-reference next: the error shows whether
 * the last byte comes alone or with the rest (a fuzzer found it seen only
 * when the input came in pieces); the stream then ends 3 bytes short. */
static void test_gzip_error_after_full(void **state)
{
	static const uint8_t msg[] =
		"GET /up HTTP/1.1\r\nHost: h\r\nContent-Encoding: gzip\r\n"
		"Content-Length: 39\r\n\r\n"
		"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\xcb\x48\xcd\xc9\xc9\x57\xc8\xc0"
		"\x20\xd3\xab\x30\x48\x4d\x0b\x14\xca\xf3\x8b\x72\x52\xb8\x00\xe9\xe9\x9b";
	const struct pd_seg s[] = {
		PD_OUTB(1000, msg, sizeof(msg) - 1),
		PD_END(ADI_DIR_OUT),
	};
	struct pd_case fx = FIX(s, 64, false, false);

	(void)state;
	pd_check_fixture(&fx,
		"1000 -1 http_request {\"method\":\"GET\",\"url\":\"/up\",\"host\":\"h\","
		"\"version\":\"1.1\",\"status\":null,\"req_headers\":{\"host\":\"h\","
		"\"content-encoding\":\"gzip\",\"content-length\":\"39\"},\"resp_headers\":null,"
		"\"req_body\":\"base64:H4sIAAAAAAACA8tIzcnJV8jAINOrMEhNCxTK84tyUrgA6emb\","
		"\"resp_body\":null,\"req_bytes\":36,\"resp_bytes\":0,\"truncated\":false,"
		"\"incomplete\":true,\"req_unread\":3,"
		"\"decode_error\":\"gzip: invalid distance too far back\"}\n");
}

/* Bodies larger than body_bytes: cut, truncated, the true sizes counted
 * (Content-Length request, chunked response). */
static void test_big_bodies(void **state)
{
	static struct bbuf bb;
	char expect[2048], digits[201];
	const uint8_t *rq, *rs;
	size_t rqn, rsn;

	(void)state;
	bb.n = 0;
	for (int i = 0; i < 200; i++)
		digits[i] = (char)('0' + i % 10);
	digits[200] = '\0';
	rq = bb_str(&bb, "POST /big HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n");
	bb_add(&bb, digits, 100);
	rqn = (size_t)(bb.b + bb.n - rq);
	rs = bb_str(&bb, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n64\r\n");
	bb_add(&bb, digits, 100);
	bb_str(&bb, "\r\n64\r\n");
	bb_add(&bb, digits + 100, 100);
	bb_str(&bb, "\r\n0\r\n\r\n");
	rsn = (size_t)(bb.b + bb.n - rs);
	{
		const struct pd_seg s[] = {
			PD_OUTB(1000, rq, rqn),
			PD_INB(2000, rs, rsn),
		};
		struct pd_case fx = FIX(s, 64, false, false);

		snprintf(expect, sizeof(expect),
			"1000 2000 http_request {\"method\":\"POST\",\"url\":\"/big\",\"host\":\"h\","
			"\"version\":\"1.1\",\"status\":200,"
			"\"req_headers\":{\"host\":\"h\",\"content-length\":\"100\"},"
			"\"resp_headers\":{\"transfer-encoding\":\"chunked\"},"
			"\"req_body\":\"%.64s\",\"resp_body\":\"%.64s\","
			"\"req_bytes\":100,\"resp_bytes\":200,\"truncated\":true}\n",
			digits, digits);
		pd_check_fixture(&fx, expect);
	}
}

/* ---- direct contract checks ---- */

/* A header section that does not end within ADI_PROTO_LOOKAHEAD is BAD;
 * shorter, it is AGAIN with nothing consumed. */
static void test_lookahead(void **state)
{
	size_t n = ADI_PROTO_LOOKAHEAD + 100, used = 1;
	uint8_t *b = malloc(n);
	void *st = calloc(1, adi_proto_http1.state_size);
	struct adi_proto_cfg cfg = { .body_bytes = 64 };
	struct adi_msg m;
	const char *head = "GET / HTTP/1.1\r\nX-Big: ";

	(void)state;
	assert_non_null(b);
	assert_non_null(st);
	memset(b, 'a', n);
	memcpy(b, head, strlen(head));
	memset(&m, 0, sizeof(m));
	assert_int_equal(adi_proto_http1.parse(st, &cfg, ADI_DIR_OUT, b, 1000, &used, &m),
			 ADI_PARSE_AGAIN);
	assert_int_equal(used, 0);
	assert_int_equal(adi_proto_http1.parse(st, &cfg, ADI_DIR_OUT, b, n, &used, &m),
			 ADI_PARSE_BAD);
	assert_int_equal(used, 0);
	/* the engine drops the refused byte; nothing plausible follows */
	assert_int_equal(adi_proto_http1.resync(st, ADI_DIR_OUT, b + 1, n - 1), n - 1);
	/* malformed Content-Length and a request with a non-chunked
	 * Transfer-Encoding cannot be framed */
	memcpy(b, "GET / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", 38);
	assert_int_equal(adi_proto_http1.parse(st, &cfg, ADI_DIR_OUT, b, 38, &used, &m),
			 ADI_PARSE_BAD);
	memcpy(b, "GET / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 43);
	assert_int_equal(adi_proto_http1.parse(st, &cfg, ADI_DIR_OUT, b, 43, &used, &m),
			 ADI_PARSE_BAD);
	adi_proto_http1.fini(st);
	free(st);
	free(b);
}

struct sniff_case {
	const char *what;
	const char *b;
	size_t n;
	int dir, server;
	int expect;
};

#define SN(w, s, d, srv, e) { (w), (s), sizeof(s) - 1, (d), (srv), (e) }

static void test_sniff(void **state)
{
	static const struct sniff_case cases[] = {
		SN("request, client writes", "GET /index.html HTTP/1.1\r\nHost: a\r\n",
		   ADI_DIR_OUT, 0, 95),
		SN("request line cut short", "POST /upl", ADI_DIR_OUT, 0, 95),
		SN("request read by a server", "PUT / HTTP/1.0\r\n", ADI_DIR_IN, 1, 95),
		SN("request in the odd direction", "GET / HTTP/1.1\r\n", ADI_DIR_IN, 0, 90),
		SN("status line, client reads", "HTTP/1.1 200 OK\r\n", ADI_DIR_IN, 0, 95),
		SN("status line prefix", "HTTP/1.", ADI_DIR_IN, 0, 95),
		SN("status written by a server", "HTTP/1.0 404 Not Found\r\n",
		   ADI_DIR_OUT, 1, 95),
		SN("method prefix", "OPTION", ADI_DIR_OUT, 0, -1),
		SN("one byte", "G", ADI_DIR_OUT, 0, -1),
		SN("HTTP/1 prefix", "HTTP/1", ADI_DIR_IN, 0, -1),
		SN("lower-case method (memcached)", "get key\r\n", ADI_DIR_OUT, 0, 0),
		SN("Redis inline command", "GET key\r\n", ADI_DIR_OUT, 0, 0),
		SN("Redis inline PING", "PING\r\n", ADI_DIR_OUT, 0, 0),
		SN("Redis RESP array", "*1\r\n$4\r\nPING\r\n", ADI_DIR_OUT, 0, 0),
		SN("Redis simple string", "+OK\r\n", ADI_DIR_IN, 0, 0),
		SN("Postgres startup",
		   "\x00\x00\x00\x29\x00\x03\x00\x00user\x00postgres\x00"
		   "database\x00postgres\x00\x00", ADI_DIR_OUT, 0, 0),
		SN("Postgres SSLRequest", "\x00\x00\x00\x08\x04\xd2\x16\x2f",
		   ADI_DIR_OUT, 0, 0),
		SN("MySQL server greeting",
		   "\x4a\x00\x00\x00\x0a" "8.0.36\x00\x08\x00\x00\x00", ADI_DIR_IN, 0, 0),
		SN("MongoDB OP_MSG",
		   "\x3a\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\xdd\x07\x00\x00"
		   "\x00\x00\x00\x00\x00", ADI_DIR_OUT, 0, 0),
		SN("HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", ADI_DIR_OUT, 0, 0),
		SN("HTTP/2 preface, short", "PRI * H", ADI_DIR_OUT, 0, 0),
		SN("HTTP/2 status", "HTTP/2 200\r\n", ADI_DIR_IN, 0, 0),
		SN("TLS ClientHello",
		   "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", ADI_DIR_OUT, 0, 0),
		SN("DNS over TCP",
		   "\x00\x1d\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
		   "\x07" "example\x03" "com\x00\x00\x01\x00\x01", ADI_DIR_OUT, 0, 0),
		SN("DNS over UDP, id 'GE'",
		   "GE\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
		   "\x07" "example\x03" "com\x00\x00\x01\x00\x01", ADI_DIR_OUT, 0, 0),
		SN("SSH banner", "SSH-2.0-OpenSSH_9.6\r\n", ADI_DIR_IN, 0, 0),
		SN("SMTP greeting", "220 mail ESMTP\r\n", ADI_DIR_IN, 0, 0),
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct sniff_case *c = &cases[i];
		struct adi_sniff_ctx ctx = { .dir = (enum adi_dir)c->dir,
					     .server_side = c->server };
		uint8_t *b = malloc(c->n ? c->n : 1);
		int got;

		assert_non_null(b);
		memcpy(b, c->b, c->n);
		got = adi_proto_http1.sniff(b, c->n, &ctx);
		free(b);
		if (got != c->expect)
			print_error("sniff: %s: %d, expected %d\n", c->what, got, c->expect);
		assert_int_equal(got, c->expect);
	}
	/* every prefix of a request line shorter than "OPTIONS " asks for
	 * more or claims; none is refused */
	for (size_t n = 1; n < 8; n++) {
		struct adi_sniff_ctx ctx = { .dir = ADI_DIR_OUT };

		assert_true(adi_proto_http1.sniff((const uint8_t *)"OPTIONS * HTTP/1.1\r\n",
						  n, &ctx) == -1);
	}
}

/* The registry knows the decoder and picks it only for HTTP. */
static void test_registry(void **state)
{
	struct adi_sniff_ctx ctx = { .dir = ADI_DIR_OUT };
	int more = 0;

	(void)state;
	assert_ptr_equal(adi_proto_find("http"), &adi_proto_http1);
	assert_ptr_equal(adi_proto_classify((const uint8_t *)"GET / HTTP/1.1\r\n", 16,
					    &ctx, &more), &adi_proto_http1);
	assert_null(adi_proto_classify((const uint8_t *)"\x16\x03\x01\x02\x00", 5,
				       &ctx, &more));
	assert_null(adi_proto_classify((const uint8_t *)"GE", 2, &ctx, &more));
	assert_int_equal(more, 1);
}
int main(void)
{
	enum { N_FIX = sizeof(fixtures) / sizeof(fixtures[0]) };
	struct CMUnitTest tests[N_FIX + 5] = {
		cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_gzip_error_after_full),
		cmocka_unit_test(test_big_bodies),
		cmocka_unit_test(test_lookahead),
		cmocka_unit_test(test_sniff),
		cmocka_unit_test(test_registry),
	};

	for (size_t i = 0; i < N_FIX; i++)
		tests[5 + i] = (struct CMUnitTest){ fixtures[i].name, test_fixture, NULL, NULL,
						    (void *)&fixtures[i] };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
