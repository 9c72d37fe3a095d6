/* fuzz_http1.c - libFuzzer target for the HTTP/1.x decoder (src/proto/
 * http1.c). The input is a little script of both directions of one
 * connection (the format tests/unit/test_http1.c writes its fixtures in,
 * as seeds in fuzz/corpus/fuzz_http1/):
 *   byte 0   options: bits 0-1 how the differential run cuts data (1-byte
 *            pieces, 3-byte pieces, halves, pseudo-random sizes); bits 2-3
 *            body_bytes (64, 0, 7, 4096); bit 4 show_secrets; bit 5 the
 *            traced task is the server
 *   records  [op][len: 16 bit BE][data]; op bits 0-1: 0 (and 3) data,
 *            1 a gap of len bytes, 2 the end of the direction; bit 2: the
 *            direction is IN
 * Each input is driven twice through a driver that follows core/stream.c
 * (see test_http1.c): records whole, then cut as byte 0 says. Both runs
 * must emit the same events (the decoder must not depend on how bytes
 * arrive) and every parse()/resync() result must keep the contract in
 * proto.h. The input then goes through the real engine (core/stream.c) and
 * every record's first bytes through sniff().
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *        -Isrc -I. fuzz/fuzz_http1.c src/proto/http1.c src/core/stream.c \
 *        src/core/json.c src/core/util.c -lz
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/stream.h"
#include "proto/http1.h"

/* A broken promise of the decoder: stop here, libFuzzer keeps the input. */
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "CHECK failed: %s (%s:%d)\n", \
	#c, __FILE__, __LINE__); abort(); } } while (0)

struct fz_stream {
	uint8_t *b;
	uint64_t *ts;
	size_t len, cap;
	bool resync, done, eof, after_gap, m_on;
	uint64_t m_first, m_last, skipped;
};

struct fz_drv {
	struct adi_emit em;    /* first: the emitter casts back */
	char *out;
	size_t out_len, out_cap;
	struct adi_proto_cfg cfg;
	void *st;
	struct fz_stream s[2];
	struct adi_msgq q[2];
};

static void fz_out(char **out, size_t *len, size_t *cap, const char *fmt, ...)
{
	va_list ap;
	int k;

	for (;;) {
		va_start(ap, fmt);
		k = vsnprintf(*out + *len, *cap - *len, fmt, ap);
		va_end(ap);
		CHECK(k >= 0);
		if ((size_t)k < *cap - *len)
			break;
		*cap = *cap * 2 + (size_t)k + 64;
		*out = realloc(*out, *cap);
		CHECK(*out != NULL);
	}
	*len += (size_t)k;
}

static void fz_event(struct adi_emit *em, const char *kind, uint64_t ts_start,
		     int64_t ts_end, struct adi_jval *fields)
{
	struct fz_drv *v = (struct fz_drv *)em;
	char *j = adi_j_to_string(fields);
	struct adi_jval *back;

	CHECK(!strcmp(kind, "http_request"));
	CHECK(j != NULL);
	/* what the decoder wrote is valid JSON */
	back = adi_json_parse(j, strlen(j));
	CHECK(back != NULL);
	adi_j_free(back);
	CHECK(ts_end == -1 || (uint64_t)ts_end >= ts_start);
	fz_out(&v->out, &v->out_len, &v->out_cap, "%" PRIu64 " %" PRId64 " %s\n",
	       ts_start, ts_end, j);
	free(j);
	adi_j_free(fields);
}

static void fz_consume(struct fz_stream *s, size_t k, bool msg)
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

static uint8_t *fz_exact(const struct fz_stream *s)
{
	uint8_t *p = malloc(s->len ? s->len : 1);

	CHECK(p != NULL);
	memcpy(p, s->b, s->len);
	return p;
}

/* The stream.c loop over one direction (see test_http1.c for the one
 * deliberate difference: a FRAME with *used 0 does not stop it). */
static void fz_step(struct fz_drv *v, int di, bool eof)
{
	struct fz_stream *s = &v->s[di];
	enum adi_dir dir = di ? ADI_DIR_IN : ADI_DIR_OUT;
	const struct adi_proto *p = &adi_proto_http1;
	unsigned empty_frames = 0;

	for (;;) {
		struct adi_msg m, *mm;
		size_t used = 7777;
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

			view = fz_exact(s);
			off = p->resync(v->st, dir, view, s->len);
			free(view);
			CHECK(off <= s->len);
			s->skipped += off;
			fz_consume(s, off, false);
			if (!s->len)
				return;
			s->resync = false;
		}
		memset(&m, 0, sizeof(m));
		view = eof ? NULL : fz_exact(s);
		r = p->parse(v->st, &v->cfg, dir, view, eof ? 0 : s->len, &used, &m);
		free(view);
		CHECK(used <= (eof ? 0 : s->len));
		switch (r) {
		case ADI_PARSE_FRAME:
			CHECK(used > 0 || eof || s->after_gap);
			CHECK(m.kind == HTTP1_REQ || m.kind == HTTP1_RESP);
			/* at most one message out of nothing per call */
			CHECK(used > 0 || ++empty_frames == 1);
			fz_consume(s, used, true);
			mm = adi_msg_new();
			CHECK(mm != NULL);
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
			CHECK(m.fields == NULL);
			fz_consume(s, used, true);
			if (!used) {
				CHECK(s->len <= ADI_PROTO_LOOKAHEAD);
				return;
			}
			s->after_gap = false;
			continue;
		case ADI_PARSE_SKIP:
			CHECK(m.fields == NULL);
			CHECK(used > 0);
			fz_consume(s, used, false);
			continue;
		case ADI_PARSE_BAD:
			CHECK(m.fields == NULL);
			CHECK(used == 0 && !eof);
			s->skipped++;
			fz_consume(s, 1, false);
			s->resync = true;
			s->m_on = false;
			continue;
		case ADI_PARSE_DONE:
			CHECK(m.fields == NULL);
			s->done = true;
			s->len = 0;
			return;
		}
		CHECK(!"parse() returned no enum adi_parse value");
	}
}

static void fz_feed(struct fz_drv *v, int di, const uint8_t *b, size_t n, uint64_t ts)
{
	struct fz_stream *s = &v->s[di];

	if (s->done || s->eof || !n)
		return;
	if (s->len + n > s->cap) {
		s->cap = (s->len + n) * 2 + 16;
		s->b = realloc(s->b, s->cap);
		s->ts = realloc(s->ts, s->cap * sizeof(*s->ts));
		CHECK(s->b && s->ts);
	}
	memcpy(s->b + s->len, b, n);
	for (size_t i = 0; i < n; i++)
		s->ts[s->len + i] = ts;
	s->len += n;
	fz_step(v, di, false);
}

static void fz_gap(struct fz_drv *v, int di, uint64_t n)
{
	struct fz_stream *s = &v->s[di];

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

static void fz_eof(struct fz_drv *v, int di)
{
	struct fz_stream *s = &v->s[di];

	if (s->eof)
		return;
	s->skipped += s->len;
	s->len = 0;
	s->eof = true;
	fz_step(v, di, true);
}

struct fz_rec {
	int op, dir;
	const uint8_t *b;
	size_t n;
};

/* The next record of the script at *i, false at the end. */
static bool fz_next(const uint8_t *data, size_t size, size_t *i, struct fz_rec *r)
{
	size_t len;

	if (*i + 3 > size)
		return false;
	r->op = data[*i] & 3;
	r->dir = (data[*i] >> 2) & 1;
	len = (size_t)data[*i + 1] << 8 | data[*i + 2];
	*i += 3;
	if (r->op == 3)
		r->op = 0;
	r->b = data + *i;
	r->n = len;
	if (r->op == 0) {
		if (r->n > size - *i)
			r->n = size - *i;
		*i += r->n;
	}
	return true;
}

static void fz_cfg(uint8_t opt, struct adi_proto_cfg *cfg)
{
	static const unsigned body[4] = { 64, 0, 7, 4096 };

	memset(cfg, 0, sizeof(*cfg));
	cfg->body_bytes = body[(opt >> 2) & 3];
	cfg->rows_sample = 5;
	cfg->show_secrets = opt & 0x10;
}

/* One run; cut == false: records whole. Returns the events (caller frees). */
static char *fz_run(const uint8_t *data, size_t size, bool cut)
{
	struct fz_drv v;
	uint32_t rnd = 0x9e3779b9u ^ (uint32_t)size;
	uint64_t ts = 0;
	size_t i = 1;
	struct fz_rec r;

	memset(&v, 0, sizeof(v));
	v.em.event = fz_event;
	v.em.server_side = data[0] & 0x20;
	v.em.cfg = &v.cfg;
	fz_cfg(data[0], &v.cfg);
	v.out_cap = 256;
	v.out = calloc(1, v.out_cap);
	v.st = calloc(1, adi_proto_http1.state_size);
	CHECK(v.out && v.st);
	while (fz_next(data, size, &i, &r)) {
		ts += 1000;
		if (r.op == 1) {
			fz_gap(&v, r.dir, r.n);
			continue;
		}
		if (r.op == 2) {
			fz_eof(&v, r.dir);
			continue;
		}
		for (size_t k = 0; k < r.n;) {
			size_t piece = r.n - k;

			if (cut) {
				switch (data[0] & 3) {
				case 0: piece = 1; break;
				case 1: piece = 3; break;
				case 2: piece = k ? r.n - k : (r.n + 1) / 2; break;
				default:
					rnd = rnd * 1103515245u + 12345u;
					piece = 1 + (rnd >> 16) % 17;
					break;
				}
				if (piece > r.n - k)
					piece = r.n - k;
			}
			fz_feed(&v, r.dir, r.b + k, piece, ts);
			k += piece;
		}
	}
	fz_eof(&v, 0);
	fz_eof(&v, 1);
	adi_proto_http1.stitch(v.st, &v.q[0], &v.q[1], &v.em, true);
	CHECK(v.q[0].head == NULL && v.q[1].head == NULL);
	adi_proto_http1.fini(v.st);
	fz_out(&v.out, &v.out_len, &v.out_cap, "# skipped %" PRIu64 " %" PRIu64 "\n",
	       v.s[0].skipped, v.s[1].skipped);
	for (int d = 0; d < 2; d++) {
		free(v.s[d].b);
		free(v.s[d].ts);
	}
	free(v.st);
	return v.out;
}

static void fz_ignore(struct adi_emit *em, const char *kind, uint64_t a,
		      int64_t b, struct adi_jval *fields)
{
	(void)em;
	(void)kind;
	(void)a;
	(void)b;
	adi_j_free(fields);
}

/* The same script through the real engine: no crash, no leak. */
static void fz_engine(const uint8_t *data, size_t size)
{
	struct adi_proto_cfg cfg;
	struct adi_emit em = { .event = fz_ignore, .server_side = data[0] & 0x20,
			       .cfg = &cfg };
	struct adi_pconn pc;
	uint64_t pos[2] = { 0, 0 }, ts = 0;
	size_t i = 1;
	struct fz_rec r;

	fz_cfg(data[0], &cfg);
	if (adi_pconn_init(&pc, &adi_proto_http1, NULL))
		return;
	while (fz_next(data, size, &i, &r)) {
		ts += 1000;
		if (r.op == 1) {
			/* stream.c (as of this writing) does pointer arithmetic
			 * on the NULL buffer of a direction that has seen no
			 * byte yet (consume() from drop_all()): not this
			 * decoder's bug, reported; such gaps are left out */
			if (!pos[r.dir])
				continue;
			adi_pconn_gap(&pc, r.dir, r.n);
			pos[r.dir] += r.n;
		} else if (r.op == 0) {
			adi_pconn_feed(&pc, &cfg, r.dir, pos[r.dir], r.b, r.n, ts, &em);
			pos[r.dir] += r.n;
		}
	}
	adi_pconn_finish(&pc, &cfg, ts, &em, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct adi_sniff_ctx sc = { 0 };
	char *whole, *cut;
	size_t i = 1;
	struct fz_rec r;

	if (size < 1)
		return 0;
	whole = fz_run(data, size, false);
	cut = fz_run(data, size, true);
	if (strcmp(whole, cut)) {
		fprintf(stderr, "records whole:\n%s\ncut (mode %d):\n%s\n", whole,
			data[0] & 3, cut);
		abort();
	}
	free(whole);
	free(cut);
	fz_engine(data, size);
	while (fz_next(data, size, &i, &r)) {
		if (r.op)
			continue;
		uint8_t *b = malloc(r.n ? r.n : 1);
		int score;

		CHECK(b != NULL);
		memcpy(b, r.b, r.n);
		sc.dir = r.dir ? ADI_DIR_IN : ADI_DIR_OUT;
		sc.server_side = (data[0] & 0x20) != 0;
		score = adi_proto_http1.sniff(b, r.n, &sc);
		CHECK(score >= -1 && score <= 100);
		CHECK(score != -1 || r.n < 8);
		free(b);
	}
	return 0;
}
