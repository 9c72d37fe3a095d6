/* stitch.c - the MongoDB decoder's pairing: a reply goes with the queued
 * request whose requestID its responseTo names, exhaust streams (replies
 * with moreToCome) are followed reply by reply, unacknowledged requests
 * (moreToCome from the client) are emitted alone; each pairing becomes one
 * `mongo_command` event (docs/events.md). Owns the exhaust streams of
 * struct mongo_state (their copies of the request's fields); the queued
 * messages are the engine's until popped here.
 */
#include <string.h>

#include "mg.h"

static const char *mg_jstr(const struct adi_jval *o, const char *k)
{
	return adi_j_get_str(o, k, NULL);
}

static bool mg_jtrue(const struct adi_jval *o, const char *k)
{
	return adi_j_as_bool(adi_j_get(o, k), false);
}

/* Move member k out of o (null when absent). */
static struct adi_jval *mg_take(struct adi_jval *o, const char *k)
{
	struct adi_jval *v = adi_j_take(o, k);

	return v ? v : adi_j_null();
}

/* One mongo_command event: the request's fields rq (borrowed, or NULL when
 * it was not seen) and the reply rs (or NULL: none, or not seen). idx > 0:
 * the idx-th further reply of an exhaust stream. */
static void mg_emit(struct adi_emit *em, const struct adi_jval *rq, bool rq_incomplete,
		    struct adi_msg *rs, uint64_t ts0, int64_t ts1, int64_t request_id,
		    unsigned idx)
{
	struct adi_jval *f = rs ? rs->fields : NULL, *ev = adi_j_obj(), *cz;
	const char *rc = mg_jstr(rq, "compressor"), *sc = mg_jstr(f, "compressor");
	const char *err = mg_jstr(rq, "decode_error");

	if (!ev)
		return;
	adi_j_set(ev, "op", adi_j_copy(adi_j_get(rq, "op")));
	adi_j_set(ev, "database", adi_j_copy(adi_j_get(rq, "database")));
	adi_j_set(ev, "collection", adi_j_copy(adi_j_get(rq, "collection")));
	adi_j_set(ev, "command", adi_j_copy(adi_j_get(rq, "command")));
	adi_j_set(ev, "reply", mg_take(f, "reply"));
	adi_j_set(ev, "ok", mg_take(f, "ok"));
	adi_j_set(ev, "error", mg_take(f, "error"));
	adi_j_set_int(ev, "request_id", request_id);
	adi_j_set_bool(ev, "truncated", mg_jtrue(rq, "truncated") || mg_jtrue(f, "truncated"));
	if (rq_incomplete || (rs && rs->incomplete))
		adi_j_set_bool(ev, "incomplete", true);
	if (rc || sc) {
		cz = adi_j_obj();
		adi_j_set_str(cz, "request", rc);
		adi_j_set_str(cz, "reply", sc);
		adi_j_set(ev, "compressed", cz);
	}
	if (mg_jtrue(rq, "_more"))
		adi_j_set_bool(ev, "unacknowledged", true);
	if (mg_jtrue(rq, "exhaust_allowed"))
		adi_j_set_bool(ev, "exhaust_allowed", true);
	if (mg_jtrue(f, "_more"))
		adi_j_set_bool(ev, "more_to_come", true);
	if (idx)
		adi_j_set_int(ev, "reply_index", idx);
	if (!err)
		err = mg_jstr(f, "decode_error");
	if (err)
		adi_j_set_str(ev, "decode_error", err);
	if (mg_jtrue(rq, "checksum_error") || mg_jtrue(f, "checksum_error"))
		adi_j_set_bool(ev, "checksum_error", true);
	em->event(em, "mongo_command", ts0, ts1, ev);
}

/* Pop the head request and emit it with no reply. */
static void mg_emit_request(struct adi_emit *em, struct adi_msgq *q)
{
	struct adi_msg *m = adi_msgq_pop(q);

	mg_emit(em, m->fields, m->incomplete, NULL, m->ts_first, -1,
		adi_j_get_int(m->fields, "_rid", 0), 0);
	adi_msg_free(m);
}

/* mg_stream_end(): see mg.h. */
void mg_stream_end(struct mg_stream *s)
{
	adi_j_free(s->req);
	memset(s, 0, sizeof(*s));
}

/* The reply rs (moreToCome set) starts an exhaust stream of request rq. */
static void mg_stream_start(struct mongo_state *st, const struct adi_msg *rq,
			    const struct adi_msg *rs)
{
	struct mg_stream *s = NULL;

	for (unsigned i = 0; i < MG_STREAMS && !s; i++)
		if (!st->streams[i].on)
			s = &st->streams[i];
	if (!s) { /* all taken: the oldest slot in turn */
		s = &st->streams[st->next_stream++ % MG_STREAMS];
		mg_stream_end(s);
	}
	s->on = true;
	s->next_rto = (uint32_t)adi_j_get_int(rs->fields, "_rid", 0);
	s->request_id = (int32_t)adi_j_get_int(rq->fields, "_rid", 0);
	s->seq = 0;
	s->req = adi_j_copy(rq->fields);
}

static struct mg_stream *mg_stream_find(struct mongo_state *st, uint64_t key)
{
	for (unsigned i = 0; i < MG_STREAMS; i++)
		if (st->streams[i].on && st->streams[i].next_rto == key)
			return &st->streams[i];
	return NULL;
}

/* stitch(): a reply pairs with the queued request whose requestID its
 * responseTo names (not by order). The server answers one request at a
 * time, so requests queued before that one lost their reply: they are
 * emitted alone. A reply with moreToCome starts an exhaust stream: each
 * further reply names the previous reply's requestID and becomes an event
 * of its own with the same request fields and request_id, "reply_index"
 * 1, 2, ... and "more_to_come" while more follow. A request with
 * moreToCome expects no reply and is emitted at once ("unacknowledged").
 * A reply nobody asked for (attached mid-stream) is emitted alone, unless
 * its request is still arriving. Unanswered requests wait for final (at
 * most MG_MAX_PENDING of them). */
void mg_stitch(void *vst, struct adi_msgq *out_q, struct adi_msgq *in_q,
	       struct adi_emit *em, bool final)
{
	struct mongo_state *st = vst;
	struct adi_msgq *rq_q = st->server ? in_q : out_q;
	struct adi_msgq *rs_q = st->server ? out_q : in_q;

	for (;;) {
		struct adi_msg *rs = rs_q->head, *rq;
		struct mg_stream *s;

		if (rq_q->head && mg_jtrue(rq_q->head->fields, "_more")) {
			mg_emit_request(em, rq_q);
			continue;
		}
		if (!rs) {
			if (!rq_q->head || (!final && rq_q->len <= MG_MAX_PENDING))
				return;
			mg_emit_request(em, rq_q);
			continue;
		}
		/* (a request that started after the reply ended is another
		 * one that reuses the id: the reply's was lost) */
		for (rq = rq_q->head; rq; rq = rq->next)
			if (rq->key == rs->key && rq->ts_first <= rs->ts_last)
				break;
		if (rq) {
			while (rq_q->head != rq)
				mg_emit_request(em, rq_q);
			rq = adi_msgq_pop(rq_q);
			rs = adi_msgq_pop(rs_q);
			if (mg_jtrue(rs->fields, "_more"))
				mg_stream_start(st, rq, rs);
			mg_emit(em, rq->fields, rq->incomplete, rs, rq->ts_first,
				(int64_t)rs->ts_last, adi_j_get_int(rq->fields, "_rid", 0), 0);
			adi_msg_free(rq);
			adi_msg_free(rs);
			continue;
		}
		if ((s = mg_stream_find(st, rs->key))) {
			rs = adi_msgq_pop(rs_q);
			mg_emit(em, s->req, false, rs, rs->ts_first, (int64_t)rs->ts_last,
				s->request_id, ++s->seq);
			if (mg_jtrue(rs->fields, "_more"))
				s->next_rto = (uint32_t)adi_j_get_int(rs->fields, "_rid", 0);
			else
				mg_stream_end(s);
			adi_msg_free(rs);
			continue;
		}
		if (!final && st->inprog && st->inprog_rid == rs->key)
			return; /* its request is still arriving */
		rs = adi_msgq_pop(rs_q);
		mg_emit(em, NULL, false, rs, rs->ts_first, (int64_t)rs->ts_last,
			(int32_t)(uint32_t)rs->key, 0);
		adi_msg_free(rs);
	}
}
