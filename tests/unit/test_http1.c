/* test_http1.c - unit tests of the HTTP/1.x decoder (src/proto/http1.c).
 * Each fixture is a list of byte segments (direction, timestamp), gaps and
 * ends of direction, driven through the decoder by a driver that follows
 * core/stream.c (a held buffer per direction, parse until AGAIN with nothing
 * consumed, on BAD one byte dropped then resync, gap() only when nothing is
 * held, stitch after each message, end-of-direction calls, final stitch,
 * fini) and also through the real engine (adi_pconn_*). The emitted events
 * are serialised ("ts_start ts_end json" lines) and compared with
 * hand-written expectations derived from RFC 9112 and events.md; every
 * fixture is also fed in 1-byte pieces and split at every byte offset, and
 * must give the same text. Sniffer tests check the first bytes of other
 * protocols score 0.
 * The driver differs from stream.c on purpose in one point: after a FRAME
 * with *used 0 (a message a gap completed) it goes on parsing the bytes it
 * holds, and that message's last byte is the last one consumed (stream.c
 * returns there, and takes the time of the byte after the gap). Fixtures
 * where this matters are marked `driver_only`.
 * With ADI_HTTP1_CORPUS=<dir> in the environment the fixtures are also
 * written there as seeds of fuzz/fuzz_http1.c.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <cmocka.h>

#include "core/json.h"
#include "core/stream.h"
#include "proto/http1.h"
#include "proto/proto.h"

/* ---- fixtures ---- */

enum { SEG_DATA, SEG_GAP, SEG_EOF };

struct seg {
	int op;
	enum adi_dir dir;
	const uint8_t *b;
	size_t n;       /* data bytes, or the size of the gap */
	uint64_t ts;
};

#define OUT(t, s) { SEG_DATA, ADI_DIR_OUT, (const uint8_t *)(s), sizeof(s) - 1, (t) }
#define IN(t, s) { SEG_DATA, ADI_DIR_IN, (const uint8_t *)(s), sizeof(s) - 1, (t) }
#define OUTB(t, p, k) { SEG_DATA, ADI_DIR_OUT, (const uint8_t *)(p), (k), (t) }
#define INB(t, p, k) { SEG_DATA, ADI_DIR_IN, (const uint8_t *)(p), (k), (t) }
#define GAP(d, k) { SEG_GAP, (d), NULL, (k), 0 }
#define END(d) { SEG_EOF, (d), NULL, 0, 0 }
#define NSEG(a) (sizeof(a) / sizeof((a)[0]))

struct fixture {
	const char *name;
	const struct seg *segs;
	size_t nsegs;
	unsigned body_bytes;
	bool show_secrets;
	bool server;
	bool driver_only;  /* a gap completes a message: see the header */
};

/* ---- the driver: what the engine does with a decoder ---- */

struct hstream {
	uint8_t *b;
	uint64_t *ts;          /* timestamp of each held byte */
	size_t len, cap;
	bool resync, done, eof, after_gap;
	bool m_on;             /* a message has consumed bytes */
	uint64_t m_first, m_last;
	uint64_t skipped;      /* bytes resync dropped */
};

struct drv {
	struct adi_emit em;    /* first: the emitter casts back */
	char *out;
	size_t out_len, out_cap;
	struct adi_proto_cfg cfg;
	void *st;
	struct hstream s[2];   /* [0] ADI_DIR_OUT, [1] ADI_DIR_IN */
	struct adi_msgq q[2];  /* out_q, in_q */
};

static void out_add(struct drv *v, const char *fmt, ...)
{
	va_list ap;
	int k;

	for (;;) {
		size_t room = v->out_cap - v->out_len;

		va_start(ap, fmt);
		k = vsnprintf(v->out + v->out_len, room, fmt, ap);
		va_end(ap);
		assert_true(k >= 0);
		if ((size_t)k < room)
			break;
		v->out_cap = v->out_cap * 2 + (size_t)k + 64;
		v->out = realloc(v->out, v->out_cap);
		assert_non_null(v->out);
	}
	v->out_len += (size_t)k;
}

static void cap_event(struct adi_emit *em, const char *kind, uint64_t ts_start,
		      int64_t ts_end, struct adi_jval *fields)
{
	struct drv *v = (struct drv *)em;
	char *j = adi_j_to_string(fields);

	assert_string_equal(kind, "http_request");
	assert_non_null(j);
	out_add(v, "%" PRIu64 " %" PRId64 " %s\n", ts_start, ts_end, j);
	free(j);
	adi_j_free(fields);
}

/* The held bytes as an exact-size copy, so ASan sees any read past n. */
static uint8_t *exact(const struct hstream *s)
{
	uint8_t *p = malloc(s->len ? s->len : 1);

	assert_non_null(p);
	memcpy(p, s->b, s->len);
	return p;
}

static void consume(struct hstream *s, size_t k, bool msg)
{
	if (k && msg) {
		if (!s->m_on) {
			s->m_first = s->ts[0];
			s->m_on = true;
		}
		s->m_last = s->ts[k - 1];
	}
	if (!k)
		return;
	memmove(s->b, s->b + k, s->len - k);
	memmove(s->ts, s->ts + k, (s->len - k) * sizeof(*s->ts));
	s->len -= k;
}

static void drv_step(struct drv *v, int di, bool eof)
{
	struct hstream *s = &v->s[di];
	enum adi_dir dir = di ? ADI_DIR_IN : ADI_DIR_OUT;
	const struct adi_proto *p = &adi_proto_http1;

	for (;;) {
		struct adi_msg m, *mm;
		size_t used = 12345;
		enum adi_parse r;
		uint8_t *view;

		if (s->done) {
			s->len = 0;
			return;
		}
		if (!eof && !s->len)
			return;
		if (s->resync && !eof) {
			size_t off;

			if (!s->len)
				return;
			view = exact(s);
			off = p->resync(v->st, dir, view, s->len);
			free(view);
			assert_true(off <= s->len);
			s->skipped += off;
			consume(s, off, false);
			if (!s->len)
				return;
			s->resync = false;
		}
		memset(&m, 0, sizeof(m));
		view = eof ? NULL : exact(s);
		r = p->parse(v->st, &v->cfg, dir, view, eof ? 0 : s->len, &used, &m);
		free(view);
		assert_true(used <= (eof ? 0 : s->len));
		switch (r) {
		case ADI_PARSE_FRAME:
			/* *used == 0 only for a message the end of the
			 * direction or a gap finished */
			assert_true(used > 0 || eof || s->after_gap);
			consume(s, used, true);
			mm = adi_msg_new();
			assert_non_null(mm);
			*mm = m;
			mm->dir = dir;
			mm->ts_first = s->m_first;
			mm->ts_last = s->m_last;
			s->m_on = false;
			s->after_gap = false;
			adi_msgq_push(&v->q[di], mm);
			p->stitch(v->st, &v->q[0], &v->q[1], &v->em, false);
			continue;
		case ADI_PARSE_AGAIN:
			assert_null(m.fields);
			consume(s, used, true);
			if (!used) {
				/* parse() itself says BAD before this */
				assert_true(s->len <= ADI_PROTO_LOOKAHEAD);
				return;
			}
			s->after_gap = false;
			continue;
		case ADI_PARSE_SKIP:
			assert_true(used > 0);
			consume(s, used, false);
			continue;
		case ADI_PARSE_BAD:
			assert_true(used == 0);
			assert_false(eof);
			/* as stream.c: never resync to where it just failed */
			s->skipped++;
			consume(s, 1, false);
			s->resync = true;
			s->m_on = false;
			continue;
		case ADI_PARSE_DONE:
			s->done = true;
			s->len = 0;
			return;
		}
		fail_msg("parse returned %d", (int)r);
	}
}

static void drv_feed(struct drv *v, int di, const uint8_t *b, size_t n, uint64_t ts)
{
	struct hstream *s = &v->s[di];

	if (s->done || s->eof)
		return;
	if (s->len + n > s->cap) {
		s->cap = (s->len + n) * 2 + 16;
		s->b = realloc(s->b, s->cap);
		s->ts = realloc(s->ts, s->cap * sizeof(*s->ts));
		assert_non_null(s->b);
		assert_non_null(s->ts);
	}
	memcpy(s->b + s->len, b, n);
	for (size_t i = 0; i < n; i++)
		s->ts[s->len + i] = ts;
	s->len += n;
	drv_step(v, di, false);
}

/* Bytes lost. As stream.c: the decoder is asked only when it holds
 * nothing (all it was given is consumed); otherwise what is held, which
 * cannot be joined to what follows, is dropped (counted) and the next
 * bytes are resynced. A message the gap completed comes out of the next
 * parse() call. */
static void drv_gap(struct drv *v, int di, uint64_t n)
{
	struct hstream *s = &v->s[di];

	if (s->done || s->eof)
		return;
	if (!s->resync && !s->len &&
	    adi_proto_http1.gap(v->st, di ? ADI_DIR_IN : ADI_DIR_OUT, n)) {
		s->after_gap = true;
		return;
	}
	s->skipped += s->len;
	s->len = 0;
	s->resync = true;
	s->m_on = false;
}

static void drv_eof(struct drv *v, int di)
{
	struct hstream *s = &v->s[di];

	if (s->eof)
		return;
	s->skipped += s->len;
	s->len = 0;
	s->eof = true;
	drv_step(v, di, true);
}

enum { MODE_WHOLE, MODE_BYTES, MODE_SPLIT };

/* Run a fixture; returns the serialised events (caller frees). */
static char *run_fixture(const struct fixture *fx, int mode, size_t split)
{
	struct drv v;
	size_t off = 0;

	memset(&v, 0, sizeof(v));
	v.em.event = cap_event;
	v.em.server_side = fx->server;
	v.em.cfg = &v.cfg;
	v.cfg.body_bytes = fx->body_bytes;
	v.cfg.rows_sample = 5;
	v.cfg.show_secrets = fx->show_secrets;
	v.out_cap = 256;
	v.out = calloc(1, v.out_cap);
	v.st = calloc(1, adi_proto_http1.state_size);
	assert_non_null(v.out);
	assert_non_null(v.st);
	for (size_t i = 0; i < fx->nsegs; i++) {
		const struct seg *g = &fx->segs[i];
		int di = g->dir == ADI_DIR_IN;

		if (g->op == SEG_GAP) {
			drv_gap(&v, di, g->n);
			continue;
		}
		if (g->op == SEG_EOF) {
			drv_eof(&v, di);
			continue;
		}
		if (mode == MODE_BYTES) {
			for (size_t k = 0; k < g->n; k++)
				drv_feed(&v, di, g->b + k, 1, g->ts);
		} else if (mode == MODE_SPLIT && split > off && split < off + g->n) {
			drv_feed(&v, di, g->b, split - off, g->ts);
			drv_feed(&v, di, g->b + (split - off), g->n - (split - off), g->ts);
		} else {
			drv_feed(&v, di, g->b, g->n, g->ts);
		}
		off += g->n;
	}
	drv_eof(&v, 0);
	drv_eof(&v, 1);
	adi_proto_http1.stitch(v.st, &v.q[0], &v.q[1], &v.em, true);
	assert_null(v.q[0].head);
	assert_null(v.q[1].head);
	adi_proto_http1.fini(v.st);
	if (v.s[0].skipped || v.s[1].skipped || v.s[0].done || v.s[1].done)
		out_add(&v, "# skipped out=%" PRIu64 " in=%" PRIu64 " done out=%d in=%d\n",
			v.s[0].skipped, v.s[1].skipped, v.s[0].done, v.s[1].done);
	for (int d = 0; d < 2; d++) {
		free(v.s[d].b);
		free(v.s[d].ts);
	}
	free(v.st);
	return v.out;
}

static size_t fixture_bytes(const struct fixture *fx)
{
	size_t n = 0;

	for (size_t i = 0; i < fx->nsegs; i++)
		if (fx->segs[i].op == SEG_DATA)
			n += fx->segs[i].n;
	return n;
}

/* Seeds for fuzz/fuzz_http1.c: byte 0 = options (bits 2-3 body_bytes 64,
 * 0, 7, 4096; bit 4 show_secrets; bit 5 server; bits 0-1, how the fuzzer
 * cuts data, 0),
 * then records [op][len:16 BE][data] with op bits 0-1 = data / gap / end,
 * bit 2 = direction IN. */
static void write_seed(const struct fixture *fx)
{
	const char *dir = getenv("ADI_HTTP1_CORPUS");
	char path[512];
	FILE *f;

	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, fx->name);
	f = fopen(path, "wb");
	if (!f)
		return;
	fputc((fx->body_bytes == 0 ? 0x04 : fx->body_bytes == 7 ? 0x08 :
	       fx->body_bytes == 4096 ? 0x0c : 0) |
	      (fx->show_secrets ? 0x10 : 0) | (fx->server ? 0x20 : 0), f);
	for (size_t i = 0; i < fx->nsegs; i++) {
		const struct seg *g = &fx->segs[i];
		size_t done = 0;

		do {
			size_t k = g->n - done > 0xffff ? 0xffff : g->n - done;
			int op = (g->op == SEG_DATA ? 0 : g->op == SEG_GAP ? 1 : 2) |
				 (g->dir == ADI_DIR_IN ? 4 : 0);

			fputc(op, f);
			fputc((int)(k >> 8), f);
			fputc((int)(k & 0xff), f);
			if (g->op == SEG_DATA)
				fwrite(g->b + done, 1, k, f);
			done += k;
		} while (done < g->n && g->op == SEG_DATA);
	}
	fclose(f);
}

/* ---- the same through the real engine (core/stream.c) ---- */

struct eng_emit {
	struct adi_emit em;    /* first: the emitter casts back */
	char *out;
	size_t len, cap;
};

static void eng_event(struct adi_emit *em, const char *kind, uint64_t ts_start,
		      int64_t ts_end, struct adi_jval *fields)
{
	struct eng_emit *e = (struct eng_emit *)em;
	char *j = adi_j_to_string(fields);
	size_t need;

	assert_string_equal(kind, "http_request");
	assert_non_null(j);
	need = strlen(j) + 64;
	if (e->len + need > e->cap) {
		e->cap = (e->len + need) * 2;
		e->out = realloc(e->out, e->cap);
		assert_non_null(e->out);
	}
	e->len += (size_t)snprintf(e->out + e->len, e->cap - e->len,
				   "%" PRIu64 " %" PRId64 " %s\n", ts_start, ts_end, j);
	free(j);
	adi_j_free(fields);
}

/* Events only (the driver's "#" counters line is not compared). */
static char *run_engine(const struct fixture *fx, bool bytes)
{
	struct adi_proto_cfg cfg = { .body_bytes = fx->body_bytes, .rows_sample = 5,
				     .show_secrets = fx->show_secrets };
	struct eng_emit e = { .em = { .event = eng_event, .server_side = fx->server,
				      .cfg = &cfg } };
	struct adi_pconn pc;
	uint64_t pos[2] = { 0, 0 }, last_ts = 0;

	e.cap = 64;
	e.out = calloc(1, e.cap);
	assert_non_null(e.out);
	assert_int_equal(adi_pconn_init(&pc, &adi_proto_http1, NULL), 0);
	for (size_t i = 0; i < fx->nsegs; i++) {
		const struct seg *g = &fx->segs[i];
		int d = g->dir == ADI_DIR_IN;

		if (g->op == SEG_GAP) {
			adi_pconn_gap(&pc, d, g->n);
			pos[d] += g->n;
		} else if (g->op == SEG_DATA) {
			for (size_t k = 0; k < g->n; k += bytes ? 1 : g->n)
				adi_pconn_feed(&pc, &cfg, d, pos[d] + k, g->b + k,
					       bytes ? 1 : g->n, g->ts, &e.em);
			pos[d] += g->n;
			last_ts = g->ts;
		}
		/* SEG_EOF: the engine ends both directions at finish */
	}
	adi_pconn_finish(&pc, &cfg, last_ts, &e.em, NULL);
	return e.out;
}

/* The fixture must give `expect` whole, in 1-byte pieces, and split at
 * every offset; through the real engine too (events only). */
static void check_fixture(const struct fixture *fx, const char *expect)
{
	size_t total = fixture_bytes(fx);
	const char *hash = strstr(expect, "# ");
	char *out, *events = strndup(expect, hash ? (size_t)(hash - expect) : strlen(expect));

	assert_non_null(events);
	if (!fx->driver_only) {
		out = run_engine(fx, false);
		if (strcmp(out, events))
			print_error("%s: through stream.c\n", fx->name);
		assert_string_equal(out, events);
		free(out);
		out = run_engine(fx, true);
		if (strcmp(out, events))
			print_error("%s: through stream.c, 1-byte pieces\n", fx->name);
		assert_string_equal(out, events);
		free(out);
	}
	free(events);
	write_seed(fx);
	out = run_fixture(fx, MODE_WHOLE, 0);
	assert_string_equal(out, expect);
	free(out);
	out = run_fixture(fx, MODE_BYTES, 0);
	if (strcmp(out, expect))
		print_error("%s: fed in 1-byte pieces\n", fx->name);
	assert_string_equal(out, expect);
	free(out);
	for (size_t k = 1; k < total; k++) {
		out = run_fixture(fx, MODE_SPLIT, k);
		if (strcmp(out, expect))
			print_error("%s: split at offset %zu\n", fx->name, k);
		assert_string_equal(out, expect);
		free(out);
	}
}

#define FIX(segs_, body_, secrets_, server_) \
	{ __func__, (segs_), NSEG(segs_), (body_), (secrets_), (server_), false }

/* ---- fixtures and their events ---- */

static void test_keepalive(void **state)
{
	static const struct seg s[] = {
		OUT(1000, "GET /a HTTP/1.1\r\nHost: ex.com\r\nAccept: */*\r\n\r\n"),
		IN(2000, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
			 "Content-Length: 5\r\n\r\nhello"),
		OUT(3000, "POST /b?x=1 HTTP/1.1\r\nHost: ex.com\r\n"
			  "Content-Length: 3\r\n\r\nabc"),
		IN(4000, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"),
		OUT(5000, "DELETE /c HTTP/1.1\r\nHost: ex.com\r\n\r\n"),
		IN(6000, "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno"),
	};
	struct fixture fx = FIX(s, 64, false, false);

	(void)state;
	check_fixture(&fx,
		"1000 2000 {\"method\":\"GET\",\"url\":\"/a\",\"host\":\"ex.com\","
		"\"version\":\"1.1\",\"status\":200,"
		"\"req_headers\":{\"host\":\"ex.com\",\"accept\":\"*/*\"},"
		"\"resp_headers\":{\"content-type\":\"text/plain\",\"content-length\":\"5\"},"
		"\"req_body\":\"\",\"resp_body\":\"hello\",\"req_bytes\":0,"
		"\"resp_bytes\":5,\"truncated\":false}\n"
		"3000 4000 {\"method\":\"POST\",\"url\":\"/b?x=1\",\"host\":\"ex.com\","
		"\"version\":\"1.1\",\"status\":201,"
		"\"req_headers\":{\"host\":\"ex.com\",\"content-length\":\"3\"},"
		"\"resp_headers\":{\"content-length\":\"0\"},"
		"\"req_body\":\"abc\",\"resp_body\":\"\",\"req_bytes\":3,"
		"\"resp_bytes\":0,\"truncated\":false}\n"
		"5000 6000 {\"method\":\"DELETE\",\"url\":\"/c\",\"host\":\"ex.com\","
		"\"version\":\"1.1\",\"status\":404,"
		"\"req_headers\":{\"host\":\"ex.com\"},"
		"\"resp_headers\":{\"content-length\":\"2\"},"
		"\"req_body\":\"\",\"resp_body\":\"no\",\"req_bytes\":0,"
		"\"resp_bytes\":2,\"truncated\":false}\n");
}

/* Three requests in one write before any response; the third is HEAD, so
 * its response has no body despite Content-Length. */
static void test_pipelining(void **state)
{
	static const struct seg s[] = {
		OUT(1000, "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"
			  "GET /2 HTTP/1.1\r\nHost: h\r\n\r\n"
			  "HEAD /3 HTTP/1.1\r\nHost: h\r\n\r\n"),
		IN(2000, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none"),
		IN(3000, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo"
			 "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n"),
	};
	struct fixture fx = FIX(s, 64, false, false);

	(void)state;
	check_fixture(&fx,
		"1000 2000 {\"method\":\"GET\",\"url\":\"/1\",\"host\":\"h\","
		"\"version\":\"1.1\",\"status\":200,\"req_headers\":{\"host\":\"h\"},"
		"\"resp_headers\":{\"content-length\":\"3\"},\"req_body\":\"\","
		"\"resp_body\":\"one\",\"req_bytes\":0,\"resp_bytes\":3,"
		"\"truncated\":false}\n"
		"1000 3000 {\"method\":\"GET\",\"url\":\"/2\",\"host\":\"h\","
		"\"version\":\"1.1\",\"status\":200,\"req_headers\":{\"host\":\"h\"},"
		"\"resp_headers\":{\"content-length\":\"3\"},\"req_body\":\"\","
		"\"resp_body\":\"two\",\"req_bytes\":0,\"resp_bytes\":3,"
		"\"truncated\":false}\n"
		"1000 3000 {\"method\":\"HEAD\",\"url\":\"/3\",\"host\":\"h\","
		"\"version\":\"1.1\",\"status\":200,\"req_headers\":{\"host\":\"h\"},"
		"\"resp_headers\":{\"content-length\":\"99\"},\"req_body\":\"\","
		"\"resp_body\":\"\",\"req_bytes\":0,\"resp_bytes\":0,"
		"\"truncated\":false}\n");
}

/* Chunked both ways, chunk extensions (with BWS and a quoted value),
 * trailers on both; the Set-Cookie trailer is redacted too. */
static void test_chunked(void **state)
{
	static const struct seg s[] = {
		OUT(1000, "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
			  "4;name=val\r\nWiki\r\n5 ; a=\"q\"\r\npedia\r\n0\r\n"
			  "X-Checksum: abc\r\n\r\n"),
		IN(2000, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
			 "Trailer: Expires\r\n\r\n3\r\nfoo\r\nA\r\n0123456789\r\n"
			 "0\r\nExpires: never\r\nSet-Cookie: s=1\r\n\r\n"),
	};
	struct fixture fx = FIX(s, 64, false, false);

	(void)state;
	check_fixture(&fx,
		"1000 2000 {\"method\":\"POST\",\"url\":\"/up\",\"host\":\"h\","
		"\"version\":\"1.1\",\"status\":200,"
		"\"req_headers\":{\"host\":\"h\",\"transfer-encoding\":\"chunked\"},"
		"\"resp_headers\":{\"transfer-encoding\":\"chunked\",\"trailer\":\"Expires\"},"
		"\"req_body\":\"Wikipedia\",\"resp_body\":\"foo0123456789\","
		"\"req_bytes\":9,\"resp_bytes\":13,\"truncated\":false,"
		"\"trailers\":{\"expires\":\"never\",\"set-cookie\":\"<redacted>\"},"
		"\"req_trailers\":{\"x-checksum\":\"abc\"}}\n");
}

static void test_head(void **state)
{
	static const struct seg s[] = {
		OUT(1000, "HEAD /h HTTP/1.1\r\nHost: h\r\n\r\n"),
		IN(2000, "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"),
		OUT(3000, "GET /n HTTP/1.1\r\nHost: h\r\n\r\n"),
		IN(4000, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
	};
	struct fixture fx = FIX(s, 64, false, false);

	(void)state;
	check_fixture(&fx,
		"1000 2000 {\"method\":\"HEAD\",\"url\":\"/h\",\"host\":\"h\","
		"\"version\":\"1.1\",\"status\":200,\"req_headers\":{\"host\":\"h\"},"
		"\"resp_headers\":{\"content-length\":\"1234\"},\"req_body\":\"\","
		"\"resp_body\":\"\",\"req_bytes\":0,\"resp_bytes\":0,"
		"\"truncated\":false}\n"
		"3000 4000 {\"method\":\"GET\",\"url\":\"/n\",\"host\":\"h\","
		"\"version\":\"1.1\",\"status\":200,\"req_headers\":{\"host\":\"h\"},"
		"\"resp_headers\":{\"content-length\":\"2\"},\"req_body\":\"\","
		"\"resp_body\":\"ok\",\"req_bytes\":0,\"resp_bytes\":2,"
		"\"truncated\":false}\n");
}

/* 204 and 304 have no body (the 304 even with Content-Length); the third
 * exchange proves the framing went on right. */
static void test_204_304(void **state)
{
	static const struct seg s[] = {
		OUT(1000, "DELETE /x HTTP/1.1\r\nHost: h\r\n\r\n"),
		IN(2000, "HTTP/1.1 204 No Content\r\n\r\n"),
		OUT(3000, "GET /c HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"e1\"\r\n\r\n"),
		IN(4000, "HTTP/1.1 304 Not Modified\r\nETag: \"e1\"\r\n"
			 "Content-Length: 10\r\n\r\n"),
		OUT(5000, "GET /z HTTP/1.1\r\nHost: h\r\n\r\n"),
		IN(6000, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz"),
	};
	struct fixture fx = FIX(s, 64, false, false);

	(void)state;
	check_fixture(&fx,
		"1000 2000 {\"method\":\"DELETE\",\"url\":\"/x\",\"host\":\"h\","
		"\"version\":\"1.1\",\"status\":204,\"req_headers\":{\"host\":\"h\"},"
		"\"resp_headers\":{},\"req_body\":\"\",\"resp_body\":\"\","
		"\"req_bytes\":0,\"resp_bytes\":0,\"truncated\":false}\n"
		"3000 4000 {\"method\":\"GET\",\"url\":\"/c\",\"host\":\"h\","
		"\"version\":\"1.1\",\"status\":304,"
		"\"req_headers\":{\"host\":\"h\",\"if-none-match\":\"\\\"e1\\\"\"},"
		"\"resp_headers\":{\"etag\":\"\\\"e1\\\"\",\"content-length\":\"10\"},"
		"\"req_body\":\"\",\"resp_body\":\"\",\"req_bytes\":0,"
		"\"resp_bytes\":0,\"truncated\":false}\n"
		"5000 6000 {\"method\":\"GET\",\"url\":\"/z\",\"host\":\"h\","
		"\"version\":\"1.1\",\"status\":200,\"req_headers\":{\"host\":\"h\"},"
		"\"resp_headers\":{\"content-length\":\"1\"},\"req_body\":\"\","
		"\"resp_body\":\"z\",\"req_bytes\":0,\"resp_bytes\":1,"
		"\"truncated\":false}\n");
}

/* Expect: 100-continue: the interim 100 comes before the request body;
 * it is collected, not paired. */
static void test_100_continue(void **state)
{
	static const struct seg s[] = {
		OUT(1000, "PUT /f HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
			  "Content-Length: 4\r\n\r\n"),
		IN(2000, "HTTP/1.1 100 Continue\r\n\r\n"),
		OUT(3000, "data"),
		IN(4000, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
	};
	struct fixture fx = FIX(s, 64, false, false);

	(void)state;
	check_fixture(&fx,
		"1000 4000 {\"method\":\"PUT\",\"url\":\"/f\",\"host\":\"h\","
		"\"version\":\"1.1\",\"status\":200,"
		"\"req_headers\":{\"host\":\"h\",\"expect\":\"100-continue\","
		"\"content-length\":\"4\"},"
		"\"resp_headers\":{\"content-length\":\"0\"},\"req_body\":\"data\","
		"\"resp_body\":\"\",\"req_bytes\":4,\"resp_bytes\":0,"
		"\"truncated\":false,\"interim\":[100]}\n");
}

/* An HTTP/1.0 response without a length ends with the stream. */
static void test_close_delimited(void **state)
{
	static const struct seg s[] = {
		OUT(1000, "GET /old HTTP/1.0\r\nUser-Agent: t\r\n\r\n"),
		IN(2000, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nfirst "),
		IN(3000, "second"),
		END(ADI_DIR_IN),
	};
	struct fixture fx = FIX(s, 64, false, false);

	(void)state;
	check_fixture(&fx,
		"1000 3000 {\"method\":\"GET\",\"url\":\"/old\",\"host\":null,"
		"\"version\":\"1.0\",\"status\":200,"
		"\"req_headers\":{\"user-agent\":\"t\"},"
		"\"resp_headers\":{\"content-type\":\"text/plain\"},"
		"\"req_body\":\"\",\"resp_body\":\"first second\",\"req_bytes\":0,"
		"\"resp_bytes\":12,\"truncated\":false}\n");
}

/* 101 Switching Protocols: the WebSocket frames after it are not HTTP. */
static void test_websocket(void **state)
{
	static const struct seg s[] = {
		OUT(1000, "GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
			  "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n"),
		IN(2000, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
			 "Connection: Upgrade\r\n\r\n\x81\x05hello"),
		OUT(3000, "\x82\x83\x01\x02\x03\x04\x00\x01\x02"),
		IN(4000, "\x88\x00"),
	};
	struct fixture fx = FIX(s, 64, false, false);

	(void)state;
	check_fixture(&fx,
		"1000 2000 {\"method\":\"GET\",\"url\":\"/chat\",\"host\":\"h\","
		"\"version\":\"1.1\",\"status\":101,"
		"\"req_headers\":{\"host\":\"h\",\"upgrade\":\"websocket\","
		"\"connection\":\"Upgrade\",\"sec-websocket-version\":\"13\"},"
		"\"resp_headers\":{\"upgrade\":\"websocket\",\"connection\":\"Upgrade\"},"
		"\"req_body\":\"\",\"resp_body\":\"\",\"req_bytes\":0,"
		"\"resp_bytes\":0,\"truncated\":false,\"upgrade\":\"websocket\"}\n"
		"# skipped out=0 in=0 done out=1 in=1\n");
}

/* CONNECT refused (407, with a body), then accepted: a tunnel, the TLS
 * bytes after it are not HTTP. Proxy-Authorization is redacted. */
static void test_connect(void **state)
{
	static const struct seg s[] = {
		OUT(1000, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"),
		IN(2000, "HTTP/1.1 407 Proxy Authentication Required\r\n"
			 "Proxy-Authenticate: Basic\r\nContent-Length: 6\r\n\r\ndenied"),
		OUT(3000, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n"
			  "Proxy-Authorization: Basic dXNlcjpwYXNz\r\n\r\n"),
		IN(4000, "HTTP/1.1 200 Connection Established\r\n\r\n"),
		OUT(5000, "\x16\x03\x01\x00\x05hello"),
		IN(6000, "\x16\x03\x03\x00\x02hi"),
	};
	struct fixture fx = FIX(s, 64, false, false);

	(void)state;
	check_fixture(&fx,
		"1000 2000 {\"method\":\"CONNECT\",\"url\":\"example.com:443\","
		"\"host\":\"example.com:443\",\"version\":\"1.1\",\"status\":407,"
		"\"req_headers\":{\"host\":\"example.com:443\"},"
		"\"resp_headers\":{\"proxy-authenticate\":\"Basic\",\"content-length\":\"6\"},"
		"\"req_body\":\"\",\"resp_body\":\"denied\",\"req_bytes\":0,"
		"\"resp_bytes\":6,\"truncated\":false}\n"
		"3000 4000 {\"method\":\"CONNECT\",\"url\":\"example.com:443\","
		"\"host\":\"example.com:443\",\"version\":\"1.1\",\"status\":200,"
		"\"req_headers\":{\"host\":\"example.com:443\","
		"\"proxy-authorization\":\"<redacted>\"},"
		"\"resp_headers\":{},\"req_body\":\"\",\"resp_body\":\"\","
		"\"req_bytes\":0,\"resp_bytes\":0,\"truncated\":false,\"tunnel\":true}\n"
		"# skipped out=0 in=0 done out=1 in=1\n");
}

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
 * a "gzip" body that is not; a gzip body that inflates past body_bytes. */
static void test_gzip(void **state)
{
	static const char text[] = "hello hello hello hello gzip world\n";
	static struct bbuf bb;
	uint8_t gz[256], df[256], big_gz[256];
	char big[200], head[160], expect[4096];
	size_t ngz, ndf, nbig, h1n, h2n, h3n, h4n;
	const uint8_t *h1, *h2, *h3, *h4;

	(void)state;
	bb.n = 0;
	memset(big, 'a', sizeof(big));
	ngz = zpack(text, strlen(text), gz, sizeof(gz), 16 + MAX_WBITS);
	ndf = zpack(text, strlen(text), df, sizeof(df), -MAX_WBITS);
	nbig = zpack(big, sizeof(big), big_gz, sizeof(big_gz), 16 + MAX_WBITS);
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

	{
		const struct seg s[] = {
			OUT(1000, "GET /1 HTTP/1.1\r\nAccept-Encoding: gzip\r\n\r\n"),
			INB(2000, h1, h1n),
			OUT(3000, "GET /2 HTTP/1.1\r\n\r\n"),
			INB(4000, h2, h2n),
			OUT(5000, "GET /3 HTTP/1.1\r\n\r\n"),
			INB(6000, h3, h3n),
			OUT(7000, "GET /4 HTTP/1.1\r\n\r\n"),
			INB(8000, h4, h4n),
		};
		struct fixture fx = FIX(s, 64, false, false);

		snprintf(expect, sizeof(expect),
			"1000 2000 {\"method\":\"GET\",\"url\":\"/1\",\"host\":null,"
			"\"version\":\"1.1\",\"status\":200,"
			"\"req_headers\":{\"accept-encoding\":\"gzip\"},"
			"\"resp_headers\":{\"content-encoding\":\"gzip\",\"content-length\":\"%zu\"},"
			"\"req_body\":\"\",\"resp_body\":\"hello hello hello hello gzip world\\n\","
			"\"req_bytes\":0,\"resp_bytes\":%zu,\"truncated\":false,"
			"\"content_encoding\":\"gzip\"}\n"
			"3000 4000 {\"method\":\"GET\",\"url\":\"/2\",\"host\":null,"
			"\"version\":\"1.1\",\"status\":200,\"req_headers\":{},"
			"\"resp_headers\":{\"content-encoding\":\"deflate\","
			"\"transfer-encoding\":\"chunked\"},"
			"\"req_body\":\"\",\"resp_body\":\"hello hello hello hello gzip world\\n\","
			"\"req_bytes\":0,\"resp_bytes\":%zu,\"truncated\":false,"
			"\"content_encoding\":\"deflate\"}\n"
			"5000 6000 {\"method\":\"GET\",\"url\":\"/3\",\"host\":null,"
			"\"version\":\"1.1\",\"status\":200,\"req_headers\":{},"
			"\"resp_headers\":{\"content-encoding\":\"gzip\",\"content-length\":\"8\"},"
			"\"req_body\":\"\",\"resp_body\":\"not gzip\","
			"\"req_bytes\":0,\"resp_bytes\":8,\"truncated\":false,"
			"\"decode_error\":\"gzip: incorrect header check\"}\n"
			"7000 8000 {\"method\":\"GET\",\"url\":\"/4\",\"host\":null,"
			"\"version\":\"1.1\",\"status\":200,\"req_headers\":{},"
			"\"resp_headers\":{\"content-encoding\":\"x-gzip\",\"content-length\":\"%zu\"},"
			"\"req_body\":\"\",\"resp_body\":\"%.64s\","
			"\"req_bytes\":0,\"resp_bytes\":%zu,\"truncated\":true,"
			"\"content_encoding\":\"gzip\"}\n",
			ngz, ngz, ndf, nbig, big, nbig);
		check_fixture(&fx, expect);
	}
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
		const struct seg s[] = {
			OUTB(1000, rq, rqn),
			INB(2000, rs, rsn),
		};
		struct fixture fx = FIX(s, 64, false, false);

		snprintf(expect, sizeof(expect),
			"1000 2000 {\"method\":\"POST\",\"url\":\"/big\",\"host\":\"h\","
			"\"version\":\"1.1\",\"status\":200,"
			"\"req_headers\":{\"host\":\"h\",\"content-length\":\"100\"},"
			"\"resp_headers\":{\"transfer-encoding\":\"chunked\"},"
			"\"req_body\":\"%.64s\",\"resp_body\":\"%.64s\","
			"\"req_bytes\":100,\"resp_bytes\":200,\"truncated\":true}\n",
			digits, digits);
		check_fixture(&fx, expect);
	}
}

static void test_folded_repeated(void **state)
{
	static const struct seg s[] = {
		OUT(1000, "GET /f HTTP/1.1\r\nHost: h\r\nX-Long: part1\r\n   part2\r\n"
			  "\tpart3  \r\nAccept: a\r\nACCEPT: b\r\nX-Empty:\r\nAccept:c\r\n\r\n"),
		IN(2000, "HTTP/1.1 200 OK\r\nVary: a\r\nContent-Length: 0\r\nVary: b\r\n\r\n"),
	};
	struct fixture fx = FIX(s, 64, false, false);

	(void)state;
	check_fixture(&fx,
		"1000 2000 {\"method\":\"GET\",\"url\":\"/f\",\"host\":\"h\","
		"\"version\":\"1.1\",\"status\":200,"
		"\"req_headers\":{\"host\":\"h\",\"x-long\":\"part1 part2 part3\","
		"\"accept\":\"a, b, c\",\"x-empty\":\"\"},"
		"\"resp_headers\":{\"vary\":\"a, b\",\"content-length\":\"0\"},"
		"\"req_body\":\"\",\"resp_body\":\"\",\"req_bytes\":0,"
		"\"resp_bytes\":0,\"truncated\":false}\n");
}

/* Bare LF line ends (RFC 9112 2.2 lets a recipient accept them) and a
 * status line without reason phrase. */
static void test_bare_lf(void **state)
{
	static const struct seg s[] = {
		OUT(1000, "GET /lf HTTP/1.1\nHost: h\n\n"),
		IN(2000, "HTTP/1.1 200\nContent-Length: 2\n\nok"),
	};
	struct fixture fx = FIX(s, 64, false, false);

	(void)state;
	check_fixture(&fx,
		"1000 2000 {\"method\":\"GET\",\"url\":\"/lf\",\"host\":\"h\","
		"\"version\":\"1.1\",\"status\":200,\"req_headers\":{\"host\":\"h\"},"
		"\"resp_headers\":{\"content-length\":\"2\"},\"req_body\":\"\","
		"\"resp_body\":\"ok\",\"req_bytes\":0,\"resp_bytes\":2,"
		"\"truncated\":false}\n");
}

static const struct seg secret_segs[] = {
	OUT(1000, "GET /s HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer abc\r\n"
		  "Cookie: a=1\r\nProxy-Authorization: Basic eA==\r\n\r\n"),
	IN(2000, "HTTP/1.1 200 OK\r\nSet-Cookie: a=2\r\nSet-Cookie: b=3\r\n"
		 "Content-Length: 0\r\n\r\n"),
};

static void test_redaction(void **state)
{
	struct fixture fx = { "test_redaction", secret_segs, NSEG(secret_segs), 64,
			      false, false, false };

	(void)state;
	check_fixture(&fx,
		"1000 2000 {\"method\":\"GET\",\"url\":\"/s\",\"host\":\"h\","
		"\"version\":\"1.1\",\"status\":200,"
		"\"req_headers\":{\"host\":\"h\",\"authorization\":\"<redacted>\","
		"\"cookie\":\"<redacted>\",\"proxy-authorization\":\"<redacted>\"},"
		"\"resp_headers\":{\"set-cookie\":\"<redacted>\",\"content-length\":\"0\"},"
		"\"req_body\":\"\",\"resp_body\":\"\",\"req_bytes\":0,"
		"\"resp_bytes\":0,\"truncated\":false}\n");
}

static void test_show_secrets(void **state)
{
	struct fixture fx = { "test_show_secrets", secret_segs, NSEG(secret_segs), 64,
			      true, false, false };

	(void)state;
	check_fixture(&fx,
		"1000 2000 {\"method\":\"GET\",\"url\":\"/s\",\"host\":\"h\","
		"\"version\":\"1.1\",\"status\":200,"
		"\"req_headers\":{\"host\":\"h\",\"authorization\":\"Bearer abc\","
		"\"cookie\":\"a=1\",\"proxy-authorization\":\"Basic eA==\"},"
		"\"resp_headers\":{\"set-cookie\":\"a=2, b=3\",\"content-length\":\"0\"},"
		"\"req_body\":\"\",\"resp_body\":\"\",\"req_bytes\":0,"
		"\"resp_bytes\":0,\"truncated\":false}\n");
}

/* The traced task is the server: requests are read (in_q), responses
 * written (out_q). */
static void test_server_side(void **state)
{
	static const struct seg s[] = {
		IN(1000, "POST /api HTTP/1.1\r\nHost: srv\r\nContent-Length: 2\r\n\r\n{}"),
		OUT(2000, "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n{\"a\":1}"),
		IN(3000, "GET /api/2 HTTP/1.1\r\nHost: srv\r\n\r\n"),
		OUT(4000, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n"),
	};
	struct fixture fx = FIX(s, 64, false, true);

	(void)state;
	check_fixture(&fx,
		"1000 2000 {\"method\":\"POST\",\"url\":\"/api\",\"host\":\"srv\","
		"\"version\":\"1.1\",\"status\":200,"
		"\"req_headers\":{\"host\":\"srv\",\"content-length\":\"2\"},"
		"\"resp_headers\":{\"content-length\":\"7\"},\"req_body\":\"{}\","
		"\"resp_body\":\"{\\\"a\\\":1}\",\"req_bytes\":2,\"resp_bytes\":7,"
		"\"truncated\":false}\n"
		"3000 4000 {\"method\":\"GET\",\"url\":\"/api/2\",\"host\":\"srv\","
		"\"version\":\"1.1\",\"status\":500,\"req_headers\":{\"host\":\"srv\"},"
		"\"resp_headers\":{\"content-length\":\"0\"},\"req_body\":\"\","
		"\"resp_body\":\"\",\"req_bytes\":0,\"resp_bytes\":0,"
		"\"truncated\":false}\n");
}

/* Garbage before the first request: BAD, resync skips exactly the 37
 * garbage bytes ("\0\1garbage\r\n" + "more junk\r\n" + a request line
 * whose method "T" is not registered: after a resync only registered
 * methods count, whether the bytes come whole or one by one). */
static void test_garbage_resync(void **state)
{
	static const struct seg s[] = {
		OUT(1000, "\x00\x01garbage\r\nmore junk\r\nT /x HTTP/1.1\r\n"
			  "GET /ok HTTP/1.1\r\nHost: h\r\n\r\n"),
		IN(2000, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
	};
	struct fixture fx = FIX(s, 64, false, false);

	(void)state;
	check_fixture(&fx,
		"1000 2000 {\"method\":\"GET\",\"url\":\"/ok\",\"host\":\"h\","
		"\"version\":\"1.1\",\"status\":200,\"req_headers\":{\"host\":\"h\"},"
		"\"resp_headers\":{\"content-length\":\"0\"},\"req_body\":\"\","
		"\"resp_body\":\"\",\"req_bytes\":0,\"resp_bytes\":0,"
		"\"truncated\":false}\n"
		"# skipped out=37 in=0 done out=0 in=0\n");
}

/* A chunk-size line that goes bad after its digits ("4x"): the request is
 * lost (BAD in its body; the good byte before was consumed, the bad one is
 * dropped and 13 more up to the next request line resynced). Its response
 * still takes its place: emitted alone, incomplete. */
static void test_bad_chunk_line(void **state)
{
	static const struct seg s[] = {
		OUT(1000, "POST /up HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
			  "4x\r\nWiki\r\n0\r\n\r\nGET /after HTTP/1.1\r\n\r\n"),
		IN(2000, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"),
		IN(3000, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
	};
	struct fixture fx = FIX(s, 64, false, false);

	(void)state;
	check_fixture(&fx,
		"2000 2000 {\"method\":null,\"url\":null,\"host\":null,"
		"\"version\":\"1.1\",\"status\":400,\"req_headers\":null,"
		"\"resp_headers\":{\"content-length\":\"0\"},\"req_body\":null,"
		"\"resp_body\":\"\",\"req_bytes\":0,\"resp_bytes\":0,"
		"\"truncated\":true,\"incomplete\":true}\n"
		"1000 3000 {\"method\":\"GET\",\"url\":\"/after\",\"host\":null,"
		"\"version\":\"1.1\",\"status\":200,\"req_headers\":{},"
		"\"resp_headers\":{\"content-length\":\"0\"},\"req_body\":\"\","
		"\"resp_body\":\"\",\"req_bytes\":0,\"resp_bytes\":0,"
		"\"truncated\":false}\n"
		"# skipped out=14 in=0 done out=0 in=0\n");
}

/* A request direction being resynced when the protocol switches (its 22
 * bytes, "HTTP/0.1", are no request): what follows is the new protocol
 * (DONE, not skipped byte by byte), however it is cut. */
static void test_resync_then_upgrade(void **state)
{
	static const struct seg s[] = {
		OUT(1000, "GET /chat HTTP/0.1\r\n\r\n"),
		IN(2000, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"),
		OUT(3000, "\x82\x83HT\x00\x01\x02"),
	};
	struct fixture fx = FIX(s, 64, false, false);

	(void)state;
	check_fixture(&fx,
		"2000 2000 {\"method\":null,\"url\":null,\"host\":null,"
		"\"version\":\"1.1\",\"status\":101,\"req_headers\":null,"
		"\"resp_headers\":{\"upgrade\":\"websocket\"},\"req_body\":null,"
		"\"resp_body\":\"\",\"req_bytes\":0,\"resp_bytes\":0,"
		"\"truncated\":false,\"upgrade\":\"websocket\"}\n"
		"# skipped out=22 in=0 done out=1 in=1\n");
}

/* A response cut to the capture limit: 30 of 1000 body bytes seen, 970
 * lost; the gap is absorbed, the true size counted, the next exchange on
 * the connection is decoded. */
static void test_gap_in_body(void **state)
{
	static const struct seg s[] = {
		OUT(1000, "GET /big HTTP/1.1\r\nHost: h\r\n\r\n"),
		IN(2000, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
			 "012345678901234567890123456789"),
		GAP(ADI_DIR_IN, 970),
		OUT(3000, "GET /next HTTP/1.1\r\nHost: h\r\n\r\n"),
		IN(4000, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
	};
	struct fixture fx = FIX(s, 64, false, false);

	(void)state;
	fx.driver_only = true; /* the gap completes the body */
	check_fixture(&fx,
		"1000 2000 {\"method\":\"GET\",\"url\":\"/big\",\"host\":\"h\","
		"\"version\":\"1.1\",\"status\":200,\"req_headers\":{\"host\":\"h\"},"
		"\"resp_headers\":{\"content-length\":\"1000\"},\"req_body\":\"\","
		"\"resp_body\":\"012345678901234567890123456789\",\"req_bytes\":0,"
		"\"resp_bytes\":1000,\"truncated\":true,\"incomplete\":true}\n"
		"3000 4000 {\"method\":\"GET\",\"url\":\"/next\",\"host\":\"h\","
		"\"version\":\"1.1\",\"status\":200,\"req_headers\":{\"host\":\"h\"},"
		"\"resp_headers\":{\"content-length\":\"2\"},\"req_body\":\"\","
		"\"resp_body\":\"ok\",\"req_bytes\":0,\"resp_bytes\":2,"
		"\"truncated\":false}\n");
}

/* A gap inside a chunk (5 of its 20 bytes lost): absorbed, parsing goes on
 * with the rest of the chunk and the last chunk. */
static void test_gap_in_chunk(void **state)
{
	static const struct seg s[] = {
		OUT(1000, "GET /c HTTP/1.1\r\n\r\n"),
		IN(2000, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			 "14\r\n0123456789"),
		GAP(ADI_DIR_IN, 5),
		IN(3000, "01234\r\n0\r\n\r\n"),
	};
	struct fixture fx = FIX(s, 64, false, false);

	(void)state;
	check_fixture(&fx,
		"1000 3000 {\"method\":\"GET\",\"url\":\"/c\",\"host\":null,"
		"\"version\":\"1.1\",\"status\":200,\"req_headers\":{},"
		"\"resp_headers\":{\"transfer-encoding\":\"chunked\"},\"req_body\":\"\","
		"\"resp_body\":\"012345678901234\",\"req_bytes\":0,"
		"\"resp_bytes\":20,\"truncated\":true,\"incomplete\":true}\n");
}

/* A gap inside a request head: that request is lost (its 19 held bytes
 * are dropped, resync skips 9 more to the next request line), but it keeps
 * its place, so its response is emitted alone (incomplete) and the next
 * pair stays right. */
static void test_gap_in_headers(void **state)
{
	static const struct seg s[] = {
		OUT(1000, "GET /a HTTP/1.1\r\nHo"),
		GAP(ADI_DIR_OUT, 10),
		OUT(2000, "st: x\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n"),
		IN(3000, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na"),
		IN(4000, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb"),
	};
	struct fixture fx = FIX(s, 64, false, false);

	(void)state;
	check_fixture(&fx,
		"3000 3000 {\"method\":null,\"url\":null,\"host\":null,"
		"\"version\":\"1.1\",\"status\":200,\"req_headers\":null,"
		"\"resp_headers\":{\"content-length\":\"1\"},\"req_body\":null,"
		"\"resp_body\":\"a\",\"req_bytes\":0,\"resp_bytes\":1,"
		"\"truncated\":true,\"incomplete\":true}\n"
		"2000 4000 {\"method\":\"GET\",\"url\":\"/b\",\"host\":\"h\","
		"\"version\":\"1.1\",\"status\":200,\"req_headers\":{\"host\":\"h\"},"
		"\"resp_headers\":{\"content-length\":\"1\"},\"req_body\":\"\","
		"\"resp_body\":\"b\",\"req_bytes\":0,\"resp_bytes\":1,"
		"\"truncated\":false}\n"
		"# skipped out=28 in=0 done out=0 in=0\n");
}

/* The connection ends inside a response body (incomplete), and a request
 * is never answered (status null, no end time). */
static void test_unanswered_and_cut(void **state)
{
	static const struct seg s[] = {
		OUT(1000, "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"),
		IN(2000, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabcd"),
		END(ADI_DIR_IN),
		OUT(3000, "GET /2 HTTP/1.1\r\nHost: h\r\n\r\n"),
	};
	struct fixture fx = FIX(s, 64, false, false);

	(void)state;
	check_fixture(&fx,
		"1000 2000 {\"method\":\"GET\",\"url\":\"/1\",\"host\":\"h\","
		"\"version\":\"1.1\",\"status\":200,\"req_headers\":{\"host\":\"h\"},"
		"\"resp_headers\":{\"content-length\":\"10\"},\"req_body\":\"\","
		"\"resp_body\":\"abcd\",\"req_bytes\":0,\"resp_bytes\":4,"
		"\"truncated\":true,\"incomplete\":true}\n"
		"3000 -1 {\"method\":\"GET\",\"url\":\"/2\",\"host\":\"h\","
		"\"version\":\"1.1\",\"status\":null,\"req_headers\":{\"host\":\"h\"},"
		"\"resp_headers\":null,\"req_body\":\"\",\"resp_body\":null,"
		"\"req_bytes\":0,\"resp_bytes\":0,\"truncated\":false}\n");
}

/* Attached mid-stream: the first response has no request. */
static void test_midstream_response(void **state)
{
	static const struct seg s[] = {
		IN(1000, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"),
		OUT(2000, "GET /after HTTP/1.1\r\nHost: h\r\n\r\n"),
		IN(3000, "HTTP/1.1 204 No Content\r\n\r\n"),
	};
	struct fixture fx = FIX(s, 64, false, false);

	(void)state;
	check_fixture(&fx,
		"1000 1000 {\"method\":null,\"url\":null,\"host\":null,"
		"\"version\":\"1.1\",\"status\":200,\"req_headers\":null,"
		"\"resp_headers\":{\"content-length\":\"2\"},\"req_body\":null,"
		"\"resp_body\":\"hi\",\"req_bytes\":0,\"resp_bytes\":2,"
		"\"truncated\":false}\n"
		"2000 3000 {\"method\":\"GET\",\"url\":\"/after\",\"host\":\"h\","
		"\"version\":\"1.1\",\"status\":204,\"req_headers\":{\"host\":\"h\"},"
		"\"resp_headers\":{},\"req_body\":\"\",\"resp_body\":\"\","
		"\"req_bytes\":0,\"resp_bytes\":0,\"truncated\":false}\n");
}

/* A body that is not UTF-8 is written as base64 (adi_j_bytes); body_bytes
 * 0 keeps nothing but still counts. */
static void test_binary_and_zero_limit(void **state)
{
	static const struct seg s[] = {
		OUT(1000, "PUT /bin HTTP/1.1\r\nContent-Length: 3\r\n\r\n\xff\x00\x01"),
		IN(2000, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n\xfe\xfd\xfc"),
	};
	struct fixture fx = FIX(s, 64, false, false);
	struct fixture zero = FIX(s, 0, false, false);

	(void)state;
	zero.name = "test_binary_zero_limit";
	check_fixture(&fx,
		"1000 2000 {\"method\":\"PUT\",\"url\":\"/bin\",\"host\":null,"
		"\"version\":\"1.1\",\"status\":200,"
		"\"req_headers\":{\"content-length\":\"3\"},"
		"\"resp_headers\":{\"content-length\":\"3\"},"
		"\"req_body\":\"base64:/wAB\",\"resp_body\":\"base64:/v38\","
		"\"req_bytes\":3,\"resp_bytes\":3,\"truncated\":false}\n");
	check_fixture(&zero,
		"1000 2000 {\"method\":\"PUT\",\"url\":\"/bin\",\"host\":null,"
		"\"version\":\"1.1\",\"status\":200,"
		"\"req_headers\":{\"content-length\":\"3\"},"
		"\"resp_headers\":{\"content-length\":\"3\"},"
		"\"req_body\":\"\",\"resp_body\":\"\","
		"\"req_bytes\":3,\"resp_bytes\":3,\"truncated\":true}\n");
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
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keepalive),
		cmocka_unit_test(test_pipelining),
		cmocka_unit_test(test_chunked),
		cmocka_unit_test(test_head),
		cmocka_unit_test(test_204_304),
		cmocka_unit_test(test_100_continue),
		cmocka_unit_test(test_close_delimited),
		cmocka_unit_test(test_websocket),
		cmocka_unit_test(test_connect),
		cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_big_bodies),
		cmocka_unit_test(test_folded_repeated),
		cmocka_unit_test(test_bare_lf),
		cmocka_unit_test(test_redaction),
		cmocka_unit_test(test_show_secrets),
		cmocka_unit_test(test_server_side),
		cmocka_unit_test(test_garbage_resync),
		cmocka_unit_test(test_bad_chunk_line),
		cmocka_unit_test(test_resync_then_upgrade),
		cmocka_unit_test(test_gap_in_body),
		cmocka_unit_test(test_gap_in_chunk),
		cmocka_unit_test(test_gap_in_headers),
		cmocka_unit_test(test_unanswered_and_cut),
		cmocka_unit_test(test_midstream_response),
		cmocka_unit_test(test_binary_and_zero_limit),
		cmocka_unit_test(test_lookahead),
		cmocka_unit_test(test_sniff),
		cmocka_unit_test(test_registry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
