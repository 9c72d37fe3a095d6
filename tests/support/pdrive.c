/* pdrive.c - the decoder driver of pdrive.h: one copy of the loop of
 * core/stream.c written out plainly, with every decoder result checked
 * against proto.h, plus the run through the real engine, the fixture check
 * of the unit tests and the script format of the fuzzers. Owns nothing
 * beyond one call; reports broken promises through pd_fail (a weak default
 * here aborts, for fuzzers; unit tests link pdrive_cmocka.c), never through
 * cmocka, so fuzzers link it too.
 *
 * The driver differs from stream.c on purpose in one point: after a FRAME
 * with *used 0 (a message a gap completed) it goes on parsing the bytes it
 * holds, and that message's last byte is the last one consumed (stream.c
 * returns there, and takes the time of the byte before the gap). Cases where
 * this matters are marked driver_only.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdrive.h"
#include "lib/json.h"
#include "core/stream.h"

/* The default failure hook, for fuzzers: say why, then abort() (libFuzzer
 * keeps the input). Weak: unit tests link the cmocka one of pdrive_cmocka.c. */
__attribute__((weak)) void pd_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* ---- growable text ---- */

struct pd_buf {
	char *s;
	size_t len, cap;
};

static void *pd_alloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		pd_fail("pdrive: out of memory (%zu bytes)", n);
	return p;
}

static void buf_add(struct pd_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void buf_add(struct pd_buf *b, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (!b->s) {
		b->cap = 256;
		b->s = pd_alloc(NULL, b->cap);
		b->s[0] = '\0';
	}
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		k = vsnprintf(b->s + b->len, room, fmt, ap);
		va_end(ap);
		if (k < 0)
			pd_fail("pdrive: vsnprintf failed");
		if ((size_t)k < room)
			break;
		b->cap = b->cap * 2 + (size_t)k + 64;
		b->s = pd_alloc(b->s, b->cap);
	}
	b->len += (size_t)k;
}

/* The text, never NULL (caller frees). */
static char *buf_take(struct pd_buf *b)
{
	if (!b->s)
		buf_add(b, "%s", "");
	return b->s;
}

/* ---- the emitter: events become lines ---- */

struct pd_emit {
	struct adi_emit em;    /* first: the emitter casts back */
	struct adi_jw w;       /* the event being written */
	const struct pd_case *c;
	struct pd_buf out;
};

static const char *case_name(const struct pd_case *c)
{
	return c->name ? c->name : "(unnamed)";
}

/* A broken promise of the decoder under test. */
#define CHECK(c_, cond, why) do { \
	if (!(cond)) \
		pd_fail("%s: %s: %s (failed: %s, pdrive.c:%d)", (c_)->proto->name, \
			case_name(c_), (why), #cond, __LINE__); \
} while (0)

/* The event the decoder wrote into em->w: its text must be a valid member
 * list without a key written twice. */
static void pd_emit(struct adi_emit *em, const char *kind, uint64_t ts_start, int64_t ts_end)
{
	struct pd_emit *e = (struct pd_emit *)em;
	struct adi_jv text = adi_jw_text(em->w);
	struct adi_jv_it it = adi_jv_iter_list(text);
	struct adi_jv k, v;
	struct adi_jval *back;
	size_t members = 0;
	char *j;

	CHECK(e->c, kind && *kind && !strpbrk(kind, " \t\r\n"),
	      "an event kind is one word");
	CHECK(e->c, em->w->err == 0 && em->w->depth == 0,
	      "event fields are written whole (no allocation failed, every container closed)");
	j = malloc(text.n + 3);
	CHECK(e->c, j != NULL, "memory for the event line");
	j[0] = '{';
	if (text.n)
		memcpy(j + 1, text.p, text.n);
	j[text.n + 1] = '}';
	j[text.n + 2] = '\0';
	back = adi_json_parse(j, text.n + 2);
	CHECK(e->c, back != NULL, "event fields are valid JSON");
	while (adi_jv_next(&it, &k, &v))
		members++;
	CHECK(e->c, members == adi_j_len(back), "no field is written twice");
	adi_j_free(back);
	CHECK(e->c, ts_end == -1 || (ts_end >= 0 && (uint64_t)ts_end >= ts_start),
	      "an event ends after it starts (or -1: no end)");
	CHECK(e->c, !em->peer || e->c->datagram, "only a datagram exchange names its peer");
	if (em->peer)
		buf_add(&e->out, "%" PRIu64 " %" PRId64 " %s peer=%u %s\n", ts_start, ts_end,
			kind, em->peer->port, j);
	else
		buf_add(&e->out, "%" PRIu64 " %" PRId64 " %s %s\n", ts_start, ts_end, kind, j);
	em->peer = NULL; /* as the engine's emitter: for one event */
	free(j);
}

/* What the decoder tells about the connection (proto.h, annotate): a
 * line "@ key json" among the events; the value must be valid JSON. */
static void pd_annotate(struct adi_emit *em, const char *key, const char *json, size_t n)
{
	struct pd_emit *e = (struct pd_emit *)em;
	struct adi_jval *back = adi_json_parse(json, n);

	CHECK(e->c, key && *key && !strpbrk(key, " \t\r\n\""), "an annotation's key is one word");
	CHECK(e->c, back != NULL, "an annotation's value is valid JSON");
	adi_j_free(back);
	buf_add(&e->out, "@ %s %.*s\n", key, (int)n, json);
}

/* The emitter of a run: events become lines of e->out. */
static void pd_emit_init(struct pd_emit *e, const struct pd_case *c)
{
	memset(e, 0, sizeof(*e));
	adi_jw_init(&e->w);
	e->em.w = &e->w;
	e->em.emit = pd_emit;
	e->em.annotate = pd_annotate;
	e->em.server_side = c->server;
	e->em.cfg = &c->cfg;
	e->c = c;
}

static struct adi_sniff_ctx case_ctx(const struct pd_case *c)
{
	struct adi_sniff_ctx sc = { .dir = ADI_DIR_OUT, .server_side = c->server,
				    .datagram = c->datagram };

	return sc;
}

/* A datagram segment's peer: port on 127.0.0.1, or none (family 0). */
static void peer_ep(uint16_t port, struct adi_endpoint *ep)
{
	static const uint8_t lo[4] = { 127, 0, 0, 1 };

	memset(ep, 0, sizeof(*ep));
	if (!port)
		return;
	ep->family = 2; /* AF_INET */
	ep->port = port;
	memcpy(ep->addr, lo, sizeof(lo));
}

/* ---- the driver: what the engine does with a decoder ---- */

struct pd_dir {
	uint8_t *b;
	uint64_t *ts;          /* timestamp of each held byte */
	size_t len, cap;
	bool resync, done, eof, after_gap;
	bool m_on;             /* a message has consumed bytes */
	bool m_gap;            /* ... and a gap was absorbed inside it */
	uint64_t m_first, m_last, m_bytes;
	uint64_t skipped;      /* bytes dropped (resync, gaps, end) */
};

struct pd_drv {
	struct pd_emit e;      /* first: the emitter casts back */
	const struct pd_case *c;
	const struct adi_proto *p;
	void *st;
	struct pd_dir s[2];    /* [0] ADI_DIR_OUT, [1] ADI_DIR_IN */
	struct adi_msgq q[2];  /* out_q, in_q */
};

/* The held bytes as an exact-size copy, so ASan sees any read past n. */
static uint8_t *exact(const struct pd_dir *s)
{
	uint8_t *p = pd_alloc(NULL, s->len);

	if (s->len)
		memcpy(p, s->b, s->len);
	return p;
}

static void consume(struct pd_dir *s, size_t k, bool msg)
{
	if (!k)
		return;
	if (msg) {
		if (!s->m_on) {
			s->m_first = s->ts[0];
			s->m_on = true;
		}
		s->m_last = s->ts[k - 1];
		s->m_bytes += k;
	}
	memmove(s->b, s->b + k, s->len - k);
	memmove(s->ts, s->ts + k, (s->len - k) * sizeof(*s->ts));
	s->len -= k;
}

static void msg_reset(struct pd_dir *s)
{
	s->m_on = s->m_gap = false;
	s->m_bytes = 0;
}

/* DONE: the decoder's successor (proto.h, next()), as stream.c's
 * hand_over: a fresh state of it takes both directions; queued messages
 * stay. False when there is none. */
static bool hand_over(struct pd_drv *v, enum adi_dir dir)
{
	const struct adi_proto *np = v->p->next ? v->p->next(v->st, dir) : NULL;
	struct adi_sniff_ctx sc = case_ctx(v->c);

	if (!np)
		return false;
	if (v->p->fini)
		v->p->fini(v->st);
	free(v->st);
	v->p = np;
	v->st = pd_alloc(NULL, np->state_size);
	memset(v->st, 0, np->state_size ? np->state_size : 1);
	sc.dir = dir;
	if (np->start)
		np->start(v->st, &sc);
	for (int d = 0; d < 2; d++) {
		msg_reset(&v->s[d]);
		v->s[d].resync = false;
	}
	return true;
}

static void drv_step(struct pd_drv *v, int di, bool eof)
{
	struct pd_dir *s = &v->s[di];
	enum adi_dir dir = di ? ADI_DIR_IN : ADI_DIR_OUT;
	const struct adi_proto *p = v->p;
	const struct pd_case *c = v->c;
	unsigned empty_frames = 0;

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
		/* as stream.c: no end-of-direction call while a resync is
		 * pending (the decoder's partial message has a hole) */
		if (eof && s->resync)
			return;
		if (s->resync && !eof) {
			size_t off;

			view = exact(s);
			off = p->resync(v->st, dir, view, s->len);
			free(view);
			CHECK(c, off <= s->len, "resync() returns an offset within n");
			s->skipped += off;
			consume(s, off, false);
			if (!s->len)
				return;
			s->resync = false;
		}
		memset(&m, 0, sizeof(m));
		view = eof ? NULL : exact(s);
		r = p->parse(v->st, &c->cfg, dir, view, eof ? 0 : s->len, &used, &m);
		free(view);
		CHECK(c, used <= (eof ? 0 : s->len), "parse() consumes at most n bytes");
		switch (r) {
		case ADI_PARSE_FRAME:
			/* *used == 0 only for a message the end of the
			 * direction or a gap finished */
			CHECK(c, used > 0 || eof || s->after_gap,
			      "a FRAME of 0 bytes only after a gap or at the end");
			CHECK(c, used > 0 || ++empty_frames == 1,
			      "at most one message out of nothing per call");
			consume(s, used, true);
			/* no pool: each message its own allocation, which
			 * ASan watches */
			mm = adi_msg_keep(NULL, &m);
			if (!mm)
				pd_fail("pdrive: out of memory");
			mm->dir = dir;
			mm->ts_first = s->m_first;
			mm->ts_last = s->m_last;
			mm->wire_bytes = s->m_bytes;
			mm->incomplete = m.incomplete || s->m_gap;
			msg_reset(s);
			s->after_gap = false;
			adi_msgq_push(&v->q[di], mm);
			if (p->stitch)
				p->stitch(v->st, &v->q[0], &v->q[1], &v->e.em, false);
			continue;
		case ADI_PARSE_AGAIN:
			CHECK(c, m.f.buf == NULL, "no fields unless FRAME");
			consume(s, used, true);
			if (!used) {
				/* parse() itself says BAD before this */
				CHECK(c, s->len <= ADI_PROTO_LOOKAHEAD,
				      "AGAIN of nothing holds at most ADI_PROTO_LOOKAHEAD");
				return;
			}
			s->after_gap = false;
			continue;
		case ADI_PARSE_SKIP:
			CHECK(c, m.f.buf == NULL, "no fields unless FRAME");
			CHECK(c, used > 0, "SKIP consumes bytes");
			consume(s, used, false);
			/* as stream.c: what follows starts a new message */
			msg_reset(s);
			continue;
		case ADI_PARSE_BAD:
			CHECK(c, m.f.buf == NULL, "no fields unless FRAME");
			CHECK(c, used == 0, "BAD consumes nothing");
			CHECK(c, !eof, "no BAD at the end of a direction");
			/* as stream.c: never resync to where it just failed */
			s->skipped++;
			consume(s, 1, false);
			s->resync = true;
			msg_reset(s);
			continue;
		case ADI_PARSE_DONE:
			CHECK(c, m.f.buf == NULL, "no fields unless FRAME");
			consume(s, used, false);
			if (hand_over(v, dir)) {
				/* as stream.c: the successor takes both directions
				 * from where they stand */
				p = v->p;
				drv_step(v, !di, false);
				continue;
			}
			s->done = true;
			s->len = 0;
			return;
		}
		pd_fail("%s: %s: parse() returned %d, no enum adi_parse value",
			p->name, case_name(c), (int)r);
	}
}

static void drv_feed(struct pd_drv *v, int di, const uint8_t *b, size_t n, uint64_t ts)
{
	struct pd_dir *s = &v->s[di];

	if (s->done || s->eof || !n)
		return;
	if (s->len + n > s->cap) {
		s->cap = (s->len + n) * 2 + 16;
		s->b = pd_alloc(s->b, s->cap);
		s->ts = pd_alloc(s->ts, s->cap * sizeof(*s->ts));
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
static void drv_gap(struct pd_drv *v, int di, uint64_t n)
{
	struct pd_dir *s = &v->s[di];

	if (s->done || s->eof || !n)
		return;
	if (!s->resync && !s->len && v->p->gap &&
	    v->p->gap(v->st, di ? ADI_DIR_IN : ADI_DIR_OUT, n)) {
		s->after_gap = true;
		if (s->m_on) {
			s->m_gap = true;
			s->m_bytes += n;
		}
		return;
	}
	s->skipped += s->len;
	s->len = 0;
	s->resync = true;
	msg_reset(s);
}

static void drv_eof(struct pd_drv *v, int di)
{
	struct pd_dir *s = &v->s[di];

	if (s->eof)
		return;
	s->skipped += s->len;
	s->len = 0;
	s->eof = true;
	drv_step(v, di, true);
}

/* The size of the next piece of a data segment of n bytes, k of them fed,
 * starting at byte `off` of the script. */
static size_t cut(enum pd_mode mode, size_t arg, uint32_t *rnd, size_t off,
		  size_t k, size_t n)
{
	size_t left = n - k, piece = left;

	switch (mode) {
	case PD_WHOLE:
	case PD_TRUNC: /* datagrams are never cut into pieces */
		break;
	case PD_BYTES:
		piece = 1;
		break;
	case PD_THREES:
		piece = 3;
		break;
	case PD_HALVES:
		piece = k ? left : (n + 1) / 2;
		break;
	case PD_RANDOM:
		*rnd = *rnd * 1103515245u + 12345u;
		piece = 1 + (*rnd >> 16) % 17;
		break;
	case PD_SPLIT:
		if (arg > off + k && arg < off + n)
			piece = arg - (off + k);
		break;
	}
	return piece < left ? piece : left;
}

/* Datagram cases: one datagram (n bytes, of which `have` are given) is
 * parse()d once, alone, as core/stream.c's adi_pconn_datagram does. */
static void drv_datagram(struct pd_drv *v, int di, size_t seg, size_t have)
{
	const struct pd_seg *g = &v->c->segs[seg];
	struct pd_dir *s = &v->s[di];
	enum adi_dir dir = di ? ADI_DIR_IN : ADI_DIR_OUT;
	const struct pd_case *c = v->c;
	struct adi_msg m, *mm;
	size_t used = 12345;
	enum adi_parse r;
	uint8_t *view;

	if (s->done)
		return;
	memset(&m, 0, sizeof(m));
	m.incomplete = have < g->n;
	view = pd_alloc(NULL, have); /* exact size: ASan sees reads past it */
	if (have)
		memcpy(view, g->b, have);
	r = v->p->parse(v->st, &c->cfg, dir, view, have, &used, &m);
	free(view);
	switch (r) {
	case ADI_PARSE_FRAME:
		CHECK(c, used == have, "a datagram's FRAME takes the whole datagram");
		mm = adi_msg_keep(NULL, &m);
		if (!mm)
			pd_fail("pdrive: out of memory");
		mm->dir = dir;
		mm->ts_first = mm->ts_last = g->ts;
		mm->wire_bytes = g->n;
		mm->incomplete = m.incomplete || have < g->n;
		peer_ep(c->peers ? c->peers[seg] : 0, &mm->peer);
		adi_msgq_push(&v->q[di], mm);
		if (v->p->stitch)
			v->p->stitch(v->st, &v->q[0], &v->q[1], &v->e.em, false);
		return;
	case ADI_PARSE_BAD:
		CHECK(c, m.f.buf == NULL, "no fields unless FRAME");
		CHECK(c, used == 0, "BAD consumes nothing");
		s->skipped += g->n;
		return;
	case ADI_PARSE_DONE:
		CHECK(c, m.f.buf == NULL, "no fields unless FRAME");
		s->done = true;
		return;
	default:
		pd_fail("%s: %s: parse() of a whole datagram returned %d (FRAME, BAD or DONE)",
			v->p->name, case_name(c), (int)r);
	}
}

char *pd_run(const struct pd_case *c, enum pd_mode mode, size_t arg)
{
	struct adi_sniff_ctx sc = case_ctx(c);
	uint32_t rnd = 0x9e3779b9u ^ (uint32_t)arg;
	struct pd_drv v;
	size_t off = 0;

	memset(&v, 0, sizeof(v));
	pd_emit_init(&v.e, c);
	v.c = c;
	v.p = c->proto;
	v.st = pd_alloc(NULL, v.p->state_size);
	memset(v.st, 0, v.p->state_size ? v.p->state_size : 1);
	if (v.p->start)
		v.p->start(v.st, &sc);
	for (size_t i = 0; i < c->nsegs; i++) {
		const struct pd_seg *g = &c->segs[i];
		int di = g->dir == ADI_DIR_IN;

		if (g->op == PD_GAP) {
			if (!c->datagram)
				drv_gap(&v, di, g->n);
			continue;
		}
		if (g->op == PD_EOF) {
			drv_eof(&v, di);
			continue;
		}
		if (c->datagram) {
			bool here = mode == PD_TRUNC && arg >= off && arg < off + g->n;

			drv_datagram(&v, di, i, here ? arg - off : g->n);
			off += g->n;
			continue;
		}
		for (size_t k = 0; k < g->n;) {
			size_t piece = cut(mode, arg, &rnd, off, k, g->n);

			drv_feed(&v, di, g->b + k, piece, g->ts);
			k += piece;
		}
		off += g->n;
	}
	drv_eof(&v, 0);
	drv_eof(&v, 1);
	if (v.p->stitch)
		v.p->stitch(v.st, &v.q[0], &v.q[1], &v.e.em, true);
	CHECK(c, !v.q[0].head && !v.q[1].head, "the final stitch() takes every message");
	if (v.p->fini)
		v.p->fini(v.st);
	if (v.s[0].skipped || v.s[1].skipped || v.s[0].done || v.s[1].done)
		buf_add(&v.e.out, "# skipped out=%" PRIu64 " in=%" PRIu64
			" done out=%d in=%d\n", v.s[0].skipped, v.s[1].skipped,
			v.s[0].done, v.s[1].done);
	for (int d = 0; d < 2; d++) {
		free(v.s[d].b);
		free(v.s[d].ts);
	}
	free(v.st);
	adi_jw_fini(&v.e.w);
	return buf_take(&v.e.out);
}

/* ---- the same through the real engine (core/stream.c) ---- */

char *pd_run_engine(const struct pd_case *c, bool bytes)
{
	struct adi_sniff_ctx sc = case_ctx(c);
	struct pd_emit e;
	struct adi_pconn pc;
	uint64_t pos[2] = { 0, 0 }, last_ts = 0;

	pd_emit_init(&e, c);
	if (adi_pconn_init(&pc, c->proto, &sc))
		pd_fail("pdrive: adi_pconn_init failed");
	for (size_t i = 0; i < c->nsegs; i++) {
		const struct pd_seg *g = &c->segs[i];
		int d = g->dir == ADI_DIR_IN;

		if (c->datagram && g->op == PD_DATA) {
			struct adi_endpoint ep;

			peer_ep(c->peers ? c->peers[i] : 0, &ep);
			adi_pconn_datagram(&pc, &c->cfg, d, g->b, g->n, g->n, false, g->ts, &ep,
					   &e.em);
			last_ts = g->ts;
		} else if (g->op == PD_GAP) {
			if (!c->datagram)
				adi_pconn_gap(&pc, d, g->n);
			pos[d] += g->n;
		} else if (g->op == PD_DATA) {
			for (size_t k = 0; k < g->n; k += bytes ? 1 : g->n)
				adi_pconn_feed(&pc, &c->cfg, d, pos[d] + k, g->b + k,
					       bytes ? 1 : g->n, g->ts, &e.em);
			pos[d] += g->n;
			last_ts = g->ts;
		}
		/* PD_EOF: the engine ends both directions at finish */
	}
	adi_pconn_finish(&pc, &c->cfg, last_ts, &e.em, NULL);
	adi_jw_fini(&e.w);
	return buf_take(&e.out);
}

size_t pd_case_bytes(const struct pd_case *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->nsegs; i++)
		if (c->segs[i].op == PD_DATA)
			n += c->segs[i].n;
	return n;
}

/* ---- the fixture check of a unit test ---- */

/* "<case>: <how>" and both texts, from their first difference (caller
 * frees). */
static char *differ(const struct pd_case *c, const char *how, const char *want,
		    const char *got)
{
	struct pd_buf b = { 0 };
	size_t i = 0;

	while (want[i] && want[i] == got[i])
		i++;
	buf_add(&b, "%s: %s: %s differs at byte %zu\n--- expected:\n%s--- got:\n%s",
		c->proto->name, case_name(c), how, i, want, got);
	return buf_take(&b);
}

/* Compares and frees `got`; a description of the difference, or NULL. */
static char *compare(const struct pd_case *c, const char *how, const char *want,
		     char *got)
{
	char *d = strcmp(got, want) ? differ(c, how, want, got) : NULL;

	free(got);
	return d;
}

static void write_seed(const struct pd_case *c)
{
	const char *dir = getenv("ADI_SEED_DIR");
	struct pd_buf path = { 0 };

	if (!dir || !*dir)
		return;
	buf_add(&path, "%s/%s-%s", dir, c->proto->name, c->name ? c->name : "case");
	if (pd_script_write(c, path.s))
		fprintf(stderr, "pdrive: cannot write seed %s\n", path.s);
	free(path.s);
}

char *pd_check(const struct pd_case *c, const char *expect)
{
	const char *hash = !strncmp(expect, "# ", 2) ? expect : strstr(expect, "\n# ");
	size_t total = pd_case_bytes(c), nev;
	char *events, *d = NULL, how[64];

	write_seed(c);
	/* the event lines: all up to the "#" line */
	nev = !hash ? strlen(expect) : hash == expect ? 0 : (size_t)(hash + 1 - expect);
	events = pd_alloc(NULL, nev + 1);
	memcpy(events, expect, nev);
	events[nev] = '\0';
	if (!c->driver_only) {
		d = compare(c, "through stream.c", events, pd_run_engine(c, false));
		if (!d)
			d = compare(c, "through stream.c, 1-byte pieces", events,
				    pd_run_engine(c, true));
	}
	free(events);
	if (!d)
		d = compare(c, "whole", expect, pd_run(c, PD_WHOLE, 0));
	if (c->datagram) {
		/* every datagram cut at every length: the contract holds
		 * (the events differ, by design) */
		for (size_t k = 0; k < total && !d; k++)
			free(pd_run(c, PD_TRUNC, k));
		return d;
	}
	if (!d)
		d = compare(c, "fed in 1-byte pieces", expect, pd_run(c, PD_BYTES, 0));
	for (size_t k = 1; k < total && !d; k++) {
		snprintf(how, sizeof(how), "split at offset %zu", k);
		d = compare(c, how, expect, pd_run(c, PD_SPLIT, k));
	}
	return d;
}

/* ---- the fuzzer script ---- */

static const unsigned body_opts[4] = { 64, 0, 7, 4096 };
static const unsigned rows_opts[4] = { 5, 0, 1, 100 };

static unsigned opt_index(const unsigned *opts, unsigned v)
{
	for (unsigned i = 0; i < 4; i++)
		if (opts[i] == v)
			return i;
	return 0;
}

enum pd_mode pd_script_parse(const uint8_t *data, size_t size,
			     const struct adi_proto *p, struct pd_case *c)
{
	static const enum pd_mode modes[4] = { PD_BYTES, PD_THREES, PD_HALVES, PD_RANDOM };
	uint8_t opt = size ? data[0] : 0;
	struct pd_seg *segs;
	size_t i = 1, n = 0;
	uint64_t ts = 0;

	memset(c, 0, sizeof(*c));
	c->name = "fuzz input";
	c->proto = p;
	c->cfg.body_bytes = body_opts[(opt >> 2) & 3];
	c->cfg.rows_sample = rows_opts[(opt >> 6) & 3];
	c->cfg.show_secrets = opt & 0x10;
	c->server = opt & 0x20;
	/* a record takes at least 3 bytes */
	segs = pd_alloc(NULL, (size / 3 + 1) * sizeof(*segs));
	while (i + 3 <= size) {
		struct pd_seg *g = &segs[n++];
		int op = data[i] & 3;
		size_t len = (size_t)data[i + 1] << 8 | data[i + 2];

		g->dir = (data[i] >> 2) & 1 ? ADI_DIR_IN : ADI_DIR_OUT;
		i += 3;
		ts += 1000;
		g->op = op == 1 ? PD_GAP : op == 2 ? PD_EOF : PD_DATA;
		g->b = NULL;
		g->n = op == 2 ? 0 : len;
		g->ts = 0;
		if (g->op == PD_DATA) {
			if (g->n > size - i)
				g->n = size - i;
			g->b = data + i;
			g->ts = ts;
			i += g->n;
		}
	}
	c->segs = segs;
	c->nsegs = n;
	return modes[opt & 3];
}

void pd_script_free(struct pd_case *c)
{
	free((void *)c->segs);
	c->segs = NULL;
	c->nsegs = 0;
}

int pd_script_write(const struct pd_case *c, const char *path)
{
	FILE *f = fopen(path, "wb");
	int rc = -1;

	if (!f)
		return -1;
	if (fputc((int)(opt_index(body_opts, c->cfg.body_bytes) << 2 |
			(c->cfg.show_secrets ? 0x10u : 0) | (c->server ? 0x20u : 0) |
			opt_index(rows_opts, c->cfg.rows_sample) << 6), f) == EOF)
		goto cleanup;
	for (size_t i = 0; i < c->nsegs; i++) {
		const struct pd_seg *g = &c->segs[i];
		int op = (g->op == PD_DATA ? 0 : g->op == PD_GAP ? 1 : 2) |
			 (g->dir == ADI_DIR_IN ? 4 : 0);
		size_t done = 0;

		/* records hold at most 0xffff bytes: longer data and gaps
		 * become several */
		do {
			size_t k = g->n - done > 0xffff ? 0xffff : g->n - done;

			if (fputc(op, f) == EOF || fputc((int)(k >> 8), f) == EOF ||
			    fputc((int)(k & 0xff), f) == EOF)
				goto cleanup;
			if (g->op == PD_DATA && k && fwrite(g->b + done, 1, k, f) != k)
				goto cleanup;
			done += k;
		} while (done < g->n && g->op != PD_EOF);
	}
	rc = 0;
cleanup:
	if (fclose(f) && !rc)
		rc = -1;
	return rc;
}

/* ---- the fuzzer body ---- */

static void sniff_one(const struct pd_case *c, const struct pd_seg *g, size_t n)
{
	const struct adi_proto *p = c->proto, *got;
	struct adi_sniff_ctx sc = { .dir = g->dir, .server_side = c->server,
				    .datagram = c->datagram,
				    .remote_port = c->datagram && c->peers ?
						   c->peers[g - c->segs] : 0 };
	uint8_t *b = pd_alloc(NULL, n); /* exact size: ASan sees reads past n */
	int score, more = 7;
	bool known = false;

	if (n)
		memcpy(b, g->b, n);
	else
		b[0] = 0; /* pd_alloc gave 1 byte; none of it is the sniffer's */
	score = p->sniff(b, n, &sc);
	CHECK(c, score >= -1 && score <= 100, "sniff() scores -1..100");
	CHECK(c, score != -1 || n < PD_SNIFF_SHORT, "sniff() asks for more only when short");
	CHECK(c, score != -1 || !c->datagram, "a datagram is all there is: no -1");
	got = adi_proto_classify(b, n, &sc, &more);
	free(b);
	CHECK(c, more == 0 || more == 1, "adi_proto_classify sets *need_more");
	for (size_t i = 0; got && i < adi_proto_count(); i++)
		known |= adi_proto_at(i) == got;
	CHECK(c, !got || known, "adi_proto_classify picks a registered decoder");
}

void pd_fuzz_one(const struct adi_proto *p, const uint8_t *data, size_t size)
{
	struct pd_case c;
	enum pd_mode mode = pd_script_parse(data, size, p, &c);
	char *whole, *cut_up;

	whole = pd_run(&c, PD_WHOLE, 0);
	cut_up = pd_run(&c, mode, size);
	if (strcmp(whole, cut_up))
		pd_fail("%s: the events depend on how bytes arrive\n"
			"--- records whole:\n%s--- cut (mode %d):\n%s",
			p->name, whole, (int)mode, cut_up);
	free(whole);
	free(cut_up);
	/* the real engine: no crash, no leak; its timing differs (driver_only) */
	free(pd_run_engine(&c, false));
	for (size_t i = 0; i < c.nsegs; i++) {
		const struct pd_seg *g = &c.segs[i];

		if (g->op != PD_DATA)
			continue;
		/* every short prefix, then the whole record */
		for (size_t k = 0; k < g->n && k < 16; k++)
			sniff_one(&c, g, k);
		sniff_one(&c, g, g->n);
	}
	pd_script_free(&c);
}

void pd_fuzz_dgram(const struct adi_proto *p, const uint8_t *data, size_t size)
{
	struct pd_case c;
	uint16_t *peers;
	size_t total;

	pd_script_parse(data, size, p, &c);
	c.datagram = true;
	peers = pd_alloc(NULL, (c.nsegs + 1) * sizeof(*peers));
	for (size_t i = 0; i < c.nsegs; i++)
		peers[i] = i & 1 ? 53 : 5353;
	c.peers = peers;
	free(pd_run(&c, PD_WHOLE, 0));
	total = pd_case_bytes(&c);
	if (total)
		free(pd_run(&c, PD_TRUNC, size % total));
	free(pd_run_engine(&c, false));
	for (size_t i = 0; i < c.nsegs; i++)
		if (c.segs[i].op == PD_DATA)
			sniff_one(&c, &c.segs[i], c.segs[i].n);
	pd_script_free(&c);
	free(peers);
}
