/* stream.c - per-direction parse streams (stream.h). The consumption
 * rules of enum adi_parse are enforced here, once, for every decoder. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "stream.h"

int adi_pconn_init(struct adi_pconn *pc, const struct adi_proto *proto,
		   const struct adi_sniff_ctx *sc)
{
	static const struct adi_sniff_ctx client = { .dir = ADI_DIR_OUT };

	memset(pc, 0, sizeof(*pc)); /* the caller sets budget after this */
	pc->proto = proto;
	pc->st = calloc(1, proto->state_size ? proto->state_size : 1);
	if (!pc->st)
		return -ENOMEM;
	pc->sc = sc ? *sc : client;
	if (proto->start)
		proto->start(pc->st, &pc->sc);
	return 0;
}

uint64_t adi_pconn_pending_ts(const struct adi_pconn *pc)
{
	uint64_t ts = pc->proto && pc->proto->pending && pc->st ? pc->proto->pending(pc->st) : 0;

	for (int d = 0; d < 2; d++) {
		const struct adi_pstream *s = &pc->d[d];
		uint64_t t = s->q.head ? s->q.head->ts_first : s->in_msg ? s->msg_ts : 0;

		if (t && (!ts || t < ts))
			ts = t;
	}
	return ts;
}

uint64_t adi_pconn_next_pos(const struct adi_pconn *pc, int d)
{
	return pc->d[d].pos + pc->d[d].len;
}

/* The time of the syscall that carried the byte at position p. */
static uint64_t ts_at(const struct adi_pstream *s, uint64_t p)
{
	uint64_t ts = s->nmarks ? s->marks[0].ts : 0;

	for (size_t i = 0; i < s->nmarks && s->marks[i].pos <= p; i++)
		ts = s->marks[i].ts;
	return ts;
}

/* The unconsumed bytes of s (s->len of them). */
static const uint8_t *held(const struct adi_pstream *s)
{
	return s->ext ? s->ext : s->buf + s->off;
}

/* Drop n bytes from the front of the buffer, and the time marks that no
 * longer cover anything we may still ask about (the message start). */
static void consume(struct adi_pstream *s, size_t n)
{
	uint64_t keep_from;
	size_t i = 0;

	if (n > s->len)
		n = s->len;
	/* the start moves; bytes move only when more must be appended
	 * (a chunk of pipelined messages is not shifted once per message) */
	if (s->ext)
		s->ext += n;
	else
		s->off += n;
	s->len -= n;
	if (!s->len)
		s->off = 0;
	s->pos += n;
	keep_from = s->in_msg && s->msg_pos < s->pos ? s->msg_pos : s->pos;
	while (i + 1 < s->nmarks && s->marks[i + 1].pos <= keep_from)
		i++;
	if (i) {
		memmove(s->marks, s->marks + i, (s->nmarks - i) * sizeof(*s->marks));
		s->nmarks -= i;
	}
}

static void drop_all(struct adi_pconn *pc, struct adi_pstream *s)
{
	pc->skipped += s->len;
	s->in_msg = false;
	consume(s, s->len);
}

static void stitch(struct adi_pconn *pc, struct adi_emit *em, bool final)
{
	if (pc->proto->stitch)
		pc->proto->stitch(pc->st, &pc->d[0].q, &pc->d[1].q, em, final);
}

/* DONE in direction dir: when the decoder names the protocol that follows
 * (proto.h, next()), swap in a fresh state of it; both directions go on
 * from where they stand, queued messages stay. False: no successor (or no
 * memory for it), the direction is done. */
static bool hand_over(struct adi_pconn *pc, enum adi_dir dir)
{
	const struct adi_proto *np = pc->proto->next ? pc->proto->next(pc->st, dir) : NULL;
	struct adi_sniff_ctx sc = pc->sc;
	void *nst;

	if (!np)
		return false;
	nst = calloc(1, np->state_size ? np->state_size : 1);
	if (!nst)
		return false;
	if (pc->proto->fini)
		pc->proto->fini(pc->st);
	free(pc->st);
	pc->proto = np;
	pc->st = nst;
	sc.dir = dir;
	if (np->start)
		np->start(nst, &sc);
	for (int d = 0; d < 2; d++) {
		pc->d[d].in_msg = false; /* the old decoder's partial message */
		pc->d[d].resync = false;
	}
	return true;
}

/* Run the decoder over what the stream holds, by the rules of enum
 * adi_parse. Returns when it needs more bytes. */
static void run(struct adi_pconn *pc, const struct adi_proto_cfg *cfg, int d,
		struct adi_emit *em)
{
	struct adi_pstream *s = &pc->d[d];
	enum adi_dir dir = d ? ADI_DIR_IN : ADI_DIR_OUT;
	int empty_frames = 0;

	for (;;) {
		struct adi_msg m;
		size_t used = 0, off;
		enum adi_parse r;

		adi_msg_init(&m);
		if (s->done) {
			consume(s, s->len);
			return;
		}
		if (!s->len)
			return;
		if (s->resync) {
			off = pc->proto->resync(pc->st, dir, held(s), s->len);
			if (off > s->len)
				off = s->len;
			pc->skipped += off;
			consume(s, off);
			if (!s->len)
				return; /* still looking: the next bytes may hold it */
			s->resync = false;
		}
		if (!s->in_msg) {
			s->msg_pos = s->pos;
			s->msg_ts = ts_at(s, s->pos);
			s->msg_gap = false;
		}
		r = pc->proto->parse(pc->st, cfg, dir, held(s), s->len, &used, &m);
		if (used > s->len)
			used = s->len; /* a decoder bug must not become ours */
		switch (r) {
		case ADI_PARSE_FRAME: {
			struct adi_msg *q = adi_msg_keep(em->pool, &m);
			uint64_t end = s->pos + used - 1;

			if (!q) {
				adi_jw_fini(&m.f);
			} else {
				q->dir = dir;
				q->ts_first = s->msg_ts;
				/* a FRAME of nothing: the message ended at a gap that
				 * completed it; its last byte came with the chunk the
				 * gap followed */
				q->ts_last = used ? ts_at(s, end) : s->gap_ts;
				q->wire_bytes = s->pos + used - s->msg_pos;
				q->incomplete = m.incomplete || s->msg_gap;
				adi_msgq_push(&s->q, q);
				pc->messages++;
			}
			s->in_msg = false;
			consume(s, used);
			stitch(pc, em, false);
			if (!used && ++empty_frames > 1)
				return; /* one completed-by-gap message per call, no spin */
			break;
		}
		case ADI_PARSE_AGAIN:
			adi_jw_fini(&m.f);
			if (!used) {
				if (s->len > ADI_PROTO_LOOKAHEAD) {
					/* more than any sane header: not this protocol
					 * any more, or a gap we did not see */
					pc->errors++;
					drop_all(pc, s);
					s->resync = true;
				}
				return;
			}
			s->in_msg = true;
			consume(s, used);
			break;
		case ADI_PARSE_SKIP:
			adi_jw_fini(&m.f);
			if (!used) {
				pc->errors++;
				s->resync = true; /* a SKIP of nothing would spin */
				break;
			}
			s->in_msg = false;
			consume(s, used);
			break;
		case ADI_PARSE_BAD:
			adi_jw_fini(&m.f);
			pc->errors++;
			s->in_msg = false;
			/* never resync to where it just failed */
			pc->skipped += 1;
			consume(s, 1);
			s->resync = true;
			break;
		case ADI_PARSE_DONE:
			adi_jw_fini(&m.f);
			consume(s, used);
			if (hand_over(pc, dir)) {
				/* the new decoder takes the rest, and what the
				 * other direction held for the old one */
				run(pc, cfg, !d, em);
				break;
			}
			s->done = true;
			s->in_msg = false;
			pc->skipped += s->len;
			consume(s, s->len);
			return;
		default:
			adi_jw_fini(&m.f);
			drop_all(pc, s);
			s->resync = true;
			return;
		}
	}
}

static int mark(struct adi_pstream *s, uint64_t pos, uint64_t ts)
{
	if (s->nmarks && s->marks[s->nmarks - 1].pos == pos) {
		s->marks[s->nmarks - 1].ts = ts;
		return 0;
	}
	if (s->nmarks == s->capmarks) {
		size_t cap = s->capmarks ? s->capmarks * 2 : 16;
		struct adi_tmark *m = realloc(s->marks, cap * sizeof(*m));

		if (!m)
			return -ENOMEM;
		s->marks = m;
		s->capmarks = cap;
	}
	s->marks[s->nmarks].pos = pos;
	s->marks[s->nmarks++].ts = ts;
	return 0;
}

void adi_pconn_gap(struct adi_pconn *pc, int d, uint64_t n)
{
	struct adi_pstream *s = &pc->d[d];
	enum adi_dir dir = d ? ADI_DIR_IN : ADI_DIR_OUT;

	s->gap_ts = s->last_ts;
	if (!n || s->done)
		goto advance;
	/* the decoder can absorb it only at a clean point: all it was given
	 * consumed (inside a body of known length) */
	if (!s->resync && s->len == 0 && pc->proto->gap && pc->proto->gap(pc->st, dir, n)) {
		if (s->in_msg)
			s->msg_gap = true;
		goto advance;
	}
	drop_all(pc, s);
	s->resync = true;
advance:
	s->pos += n; /* the buffer is empty here: positions simply move on */
	if (s->len) { /* only when done: nothing left to parse anyway */
		pc->skipped += s->len;
		s->len = 0;
	}
}

/* Append n bytes to what direction d holds: the held bytes slide to the
 * front first, and the buffer grows within the budget. False when the
 * bytes cannot be kept (budget or memory): the caller makes them a gap. */
static bool keep(struct adi_pconn *pc, int d, const uint8_t *b, size_t n)
{
	struct adi_pstream *s = &pc->d[d];

	if (s->off && s->off + s->len + n > s->cap) {
		memmove(s->buf, s->buf + s->off, s->len);
		s->off = 0;
	}
	if (s->off + s->len + n > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		uint8_t *nb;

		while (cap < s->len + n)
			cap *= 2;
		if (pc->budget && pc->budget->used + (cap - s->cap) > pc->budget->max) {
			/* all connections together hold too much: these bytes
			 * are lost to decoding, and counted */
			pc->budget->refused += n;
			return false;
		}
		nb = realloc(s->buf, cap);
		if (!nb) /* out of memory: a gap, honestly counted */
			return false;
		if (pc->budget)
			pc->budget->used += cap - s->cap;
		s->buf = nb;
		s->cap = cap;
	}
	memcpy(s->buf + s->off + s->len, b, n);
	s->len += n;
	return true;
}

void adi_pconn_feed(struct adi_pconn *pc, const struct adi_proto_cfg *cfg, int d,
		    uint64_t pos, const uint8_t *b, size_t n, uint64_t ts,
		    struct adi_emit *em)
{
	struct adi_pstream *s = &pc->d[d];
	uint64_t next = adi_pconn_next_pos(pc, d);

	if (pos + n <= next)
		return; /* seen already */
	if (pos < next) { /* overlap: keep the new part */
		b += next - pos;
		n -= next - pos;
		pos = next;
	}
	if (pos > next)
		adi_pconn_gap(pc, d, pos - next);
	if (!n)
		return;
	if (s->done) {
		s->pos += n;
		return;
	}
	s->last_ts = ts;
	if (mark(s, s->pos + s->len, ts)) {
		adi_pconn_gap(pc, d, n);
		return;
	}
	if (!s->len) {
		/* nothing held: the decoder reads the chunk where it lies, and
		 * only what it leaves is copied */
		s->ext = b;
		s->len = n;
		run(pc, cfg, d, em);
		b = s->ext;
		n = s->len;
		s->ext = NULL;
		s->len = 0;
		s->off = 0;
		if (n && !keep(pc, d, b, n))
			adi_pconn_gap(pc, d, n); /* the rest is lost: a gap */
	} else {
		if (!keep(pc, d, b, n)) {
			/* the chunk was marked: drop the mark with the bytes */
			adi_pconn_gap(pc, d, n);
			return;
		}
		run(pc, cfg, d, em);
	}
	/* a buffer that grew for a big header and is now mostly empty */
	if (s->cap > 2 * ADI_PROTO_LOOKAHEAD && s->len < ADI_PROTO_LOOKAHEAD / 4) {
		uint8_t *nb;

		if (s->off) {
			memmove(s->buf, s->buf + s->off, s->len);
			s->off = 0;
		}
		nb = realloc(s->buf, ADI_PROTO_LOOKAHEAD / 2);
		if (nb) {
			if (pc->budget)
				pc->budget->used -= s->cap - ADI_PROTO_LOOKAHEAD / 2;
			s->buf = nb;
			s->cap = ADI_PROTO_LOOKAHEAD / 2;
		}
	}
}

bool adi_pconn_datagram(struct adi_pconn *pc, const struct adi_proto_cfg *cfg, int d,
			const uint8_t *b, size_t n, uint64_t size, bool cut, uint64_t ts,
			const struct adi_endpoint *peer, struct adi_emit *em)
{
	struct adi_pstream *s = &pc->d[d];
	enum adi_dir dir = d ? ADI_DIR_IN : ADI_DIR_OUT;
	struct adi_msg m, *q;
	size_t used = 0;
	enum adi_parse r;

	if (s->done)
		return false;
	adi_msg_init(&m);
	m.incomplete = cut;
	r = pc->proto->parse(pc->st, cfg, dir, n ? b : (const uint8_t *)"", n, &used, &m);
	if (r != ADI_PARSE_FRAME || !(q = adi_msg_keep(em->pool, &m))) {
		adi_jw_fini(&m.f);
		if (r == ADI_PARSE_DONE) {
			s->done = true; /* the protocol ended: later ones are not its */
			return false;
		}
		pc->errors++;
		pc->skipped += size;
		return false;
	}
	q->dir = dir;
	q->ts_first = q->ts_last = ts;
	q->wire_bytes = size;
	q->incomplete = m.incomplete || cut;
	if (peer)
		q->peer = *peer;
	adi_msgq_push(&s->q, q);
	pc->messages++;
	s->last_ts = ts;
	stitch(pc, em, false);
	return true;
}

void adi_pconn_finish(struct adi_pconn *pc, const struct adi_proto_cfg *cfg,
		      uint64_t ts, struct adi_emit *em, struct adi_pconn_stats *out)
{
	for (int d = 0; d < 2; d++) {
		struct adi_pstream *s = &pc->d[d];
		struct adi_msg m;
		size_t used = 0;
		enum adi_dir dir = d ? ADI_DIR_IN : ADI_DIR_OUT;

		adi_msg_init(&m);
		if (!pc->proto || s->done || !em)
			continue;
		/* the end of the direction: a message delimited by it (an
		 * HTTP/1.0 body) completes now -- unless bytes were dropped
		 * since the decoder last saw any (a resync is pending): what
		 * it holds of a message has a hole it was never told of */
		if (!s->resync &&
		    pc->proto->parse(pc->st, cfg, dir, NULL, 0, &used, &m) == ADI_PARSE_FRAME) {
			struct adi_msg *q = adi_msg_keep(em->pool, &m);

			if (q) {
				q->dir = dir;
				q->ts_first = s->in_msg ? s->msg_ts : ts;
				q->ts_last = s->nmarks ? s->marks[s->nmarks - 1].ts : ts;
				q->wire_bytes = s->pos + s->len - (s->in_msg ? s->msg_pos : s->pos);
				q->incomplete = m.incomplete || (s->in_msg && s->msg_gap);
				adi_msgq_push(&s->q, q);
				pc->messages++;
			} else {
				adi_jw_fini(&m.f);
			}
		} else {
			adi_jw_fini(&m.f);
		}
		pc->skipped += s->len;
	}
	if (pc->proto && em)
		stitch(pc, em, true);
	if (out) {
		out->messages = pc->messages;
		out->skipped = pc->skipped;
		out->errors = pc->errors;
	}
	for (int d = 0; d < 2; d++) {
		if (pc->budget)
			pc->budget->used -= pc->d[d].cap;
		adi_msgq_clear(&pc->d[d].q);
		free(pc->d[d].buf);
		free(pc->d[d].marks);
	}
	if (pc->proto && pc->proto->fini)
		pc->proto->fini(pc->st);
	free(pc->st);
	memset(pc, 0, sizeof(*pc));
}
