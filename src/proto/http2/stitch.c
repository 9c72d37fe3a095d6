/* stitch.c - streams of the HTTP/2 decoder and their events: the bounded
 * table of open streams (creation, eviction, lookup), the time marks parse()
 * queues, the h2c upgrade request adopted as stream 1, and each finished
 * stream emitted as one `grpc_call` or `http_request` event (docs/events.md).
 * Owns the streams of struct http2_state; the queued messages are the
 * engine's until stitch() takes them.
 */
#include <stdlib.h>
#include <string.h>

#include "h2.h"
#include "../http1.h"

/* ---- streams ---- */

struct h2_stream *h2_find(struct http2_state *st, uint32_t sid)
{
	/* newest first: frames mostly belong to recent streams */
	for (size_t i = st->nstreams; i-- > 0;)
		if (st->streams[i]->sid == sid)
			return st->streams[i];
	return NULL;
}

static void h2_half_free(struct h2_half *h)
{
	adi_j_free(h->hdrs);
	adi_j_free(h->trailers);
	free(h->body);
	free(h->m_buf);
	for (unsigned i = 0; i < h->nmsgs; i++)
		free(h->msgs[i].b);
	free(h->msgs);
}

void h2_stream_free(struct h2_stream *s)
{
	if (!s)
		return;
	for (int i = 0; i < 2; i++)
		h2_half_free(&s->h[i]);
	adi_j_free(s->method);
	adi_j_free(s->path);
	adi_j_free(s->authority);
	adi_j_free(s->h1_body);
	adi_j_free(s->interim);
	free(s);
}

/* The live stream sid, or a new one when sid is above every id of its
 * parity seen so far (a lower one is closed: its late frames are
 * ignored) or `force`. A full table evicts its oldest stream (emitted,
 * marked evicted, at the next stitch). NULL when none. */
struct h2_stream *h2_get(struct http2_state *st, uint32_t sid, bool create,
			 bool force, bool *created)
{
	struct h2_stream *s = h2_find(st, sid);

	if (created)
		*created = false;
	if (s || !create || sid == 0)
		return s;
	if (!force && sid <= st->max_sid[sid & 1])
		return NULL;
	if (st->nstreams >= H2_MAX_STREAMS) {
		for (size_t i = 0; i < st->nstreams; i++)
			if (!st->streams[i]->evicted) {
				st->streams[i]->evicted = true;
				st->evicted++;
				break;
			}
		if (st->nstreams >= 2 * H2_MAX_STREAMS)
			return NULL; /* not stitched yet: refuse rather than grow */
	}
	if (st->nstreams == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 16;
		struct h2_stream **a = realloc(st->streams, cap * sizeof(*a));

		if (!a)
			return NULL;
		st->streams = a;
		st->cap = cap;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->sid = sid;
	s->order = st->next_order++;
	s->reset = s->goaway = -1;
	st->streams[st->nstreams++] = s;
	if (sid > st->max_sid[sid & 1])
		st->max_sid[sid & 1] = sid;
	if (created)
		*created = true;
	return s;
}

static void h2_remove(struct http2_state *st, struct h2_stream *s)
{
	for (size_t i = 0; i < st->nstreams; i++)
		if (st->streams[i] == s) {
			memmove(st->streams + i, st->streams + i + 1,
				(st->nstreams - i - 1) * sizeof(*st->streams));
			st->nstreams--;
			break;
		}
	h2_stream_free(s);
}

/* The half of s that frames of direction dir carry. */
struct h2_half *h2_half_of(struct http2_state *st, struct h2_stream *s, enum adi_dir dir)
{
	return &s->h[dir == st->client_dir ? 0 : 1];
}

/* Bytes of direction dir were lost: what an open stream was receiving in
 * it may miss some. (A direction that had not begun yet shows it when its
 * DATA comes without headers.) */
void h2_streams_lost(struct http2_state *st, enum adi_dir dir)
{
	for (size_t i = 0; i < st->nstreams; i++) {
		struct h2_half *h = h2_half_of(st, st->streams[i], dir);

		if (h->seen && !h->ended)
			h->incomplete = true;
	}
}



/* The value (or null): the slot is emptied. */
static struct adi_jval *h2_take(struct adi_jval **slot)
{
	struct adi_jval *v = *slot;

	*slot = NULL;
	return v ? v : adi_j_null();
}

static struct adi_jval *h2_copy_str(const struct adi_jval *v)
{
	const char *s = adi_j_as_str(v, NULL);

	return s ? adi_j_strn(s, adi_j_len(v)) : adi_j_null();
}

/* A finished (or, with cut_short, abandoned) stream becomes its event. */
static void h2_emit(struct http2_state *st, struct h2_stream *s, struct adi_emit *em,
		    bool cut_short)
{
	const struct adi_proto_cfg *cfg = em->cfg;
	struct h2_half *rq = &s->h[0], *rs = &s->h[1];
	struct adi_jval *ev = adi_j_obj();
	bool trunc = false, incomplete = cut_short || rq->incomplete || rs->incomplete;
	bool answered = rs->seen || s->reset >= 0 || s->goaway >= 0;
	unsigned unknown = rq->unknown + rs->unknown;
	const char *err = NULL;

	if (!ev)
		return;
	if (s->grpc) {
		/* first: the messages read their half's grpc-encoding */
		struct adi_jval *rqm = h2_messages(st, rq, cfg->body_bytes, &trunc, &err);
		struct adi_jval *rsm = h2_messages(st, rs, cfg->body_bytes, &trunc, &err);
		struct adi_jval *tr = rs->trailers ? rs->trailers : rs->ended ? rs->hdrs : NULL;
		const char *gs = adi_j_get_str(tr, "grpc-status", NULL);
		char *end = NULL;
		long code = gs ? strtol(gs, &end, 10) : -1;

		adi_j_set(ev, "method", h2_take(&s->path));
		adi_j_set(ev, "authority", h2_take(&s->authority));
		if (gs && end && !*end && *gs && code >= 0 && code <= 0x7fffffff)
			adi_j_set_int(ev, "status", code);
		else
			adi_j_set_null(ev, "status");
		adi_j_set(ev, "grpc_message", h2_grpc_message(adi_j_get(tr, "grpc-message")));
		if (s->status)
			adi_j_set_int(ev, "http_status", s->status);
		else
			adi_j_set_null(ev, "http_status");
		adi_j_set_int(ev, "stream_id", s->sid);
		adi_j_set(ev, "req_headers", h2_take(&rq->hdrs));
		if (tr && tr == rs->hdrs) {
			/* trailers-only (PROTOCOL-HTTP2.md): one block for both */
			adi_j_set(ev, "resp_headers", h2_take(&rs->hdrs));
			adi_j_set_null(ev, "resp_trailers");
			adi_j_set_bool(ev, "trailers_only", true);
		} else {
			adi_j_set(ev, "resp_headers", h2_take(&rs->hdrs));
			adi_j_set(ev, "resp_trailers", h2_take(&rs->trailers));
		}
		adi_j_set(ev, "req_messages", rqm);
		adi_j_set(ev, "resp_messages", rsm);
		adi_j_set_int(ev, "req_bytes", (int64_t)rq->bytes);
		adi_j_set_int(ev, "resp_bytes", (int64_t)rs->bytes);
		adi_j_set_bool(ev, "truncated", trunc || incomplete);
		if (rq->total_msgs > rq->nmsgs)
			adi_j_set_int(ev, "req_message_count", (int64_t)rq->total_msgs);
		if (rs->total_msgs > rs->nmsgs)
			adi_j_set_int(ev, "resp_message_count", (int64_t)rs->total_msgs);
		if (err)
			adi_j_set_str(ev, "decode_error", err);
	} else {
		adi_j_set(ev, "method", h2_take(&s->method));
		adi_j_set(ev, "url", h2_take(&s->path));
		if (s->authority)
			adi_j_set(ev, "host", h2_take(&s->authority));
		else
			adi_j_set(ev, "host", h2_copy_str(adi_j_get(rq->hdrs, "host")));
		adi_j_set_str(ev, "version", "2");
		if (s->status)
			adi_j_set_int(ev, "status", s->status);
		else
			adi_j_set_null(ev, "status");
		adi_j_set(ev, "req_headers", h2_take(&rq->hdrs));
		adi_j_set(ev, "resp_headers", h2_take(&rs->hdrs));
		if (s->h1_body)
			adi_j_set(ev, "req_body", h2_take(&s->h1_body));
		else
			adi_j_set_bytes(ev, "req_body", rq->body, rq->body_len);
		adi_j_set_bytes(ev, "resp_body", rs->body, rs->body_len);
		adi_j_set_int(ev, "req_bytes", (int64_t)rq->bytes);
		adi_j_set_int(ev, "resp_bytes", (int64_t)rs->bytes);
		adi_j_set_bool(ev, "truncated", rq->body_cut || rs->body_cut || incomplete);
		adi_j_set_int(ev, "stream_id", s->sid);
		if (rs->trailers)
			adi_j_set(ev, "trailers", h2_take(&rs->trailers));
		if (rq->trailers)
			adi_j_set(ev, "req_trailers", h2_take(&rq->trailers));
	}
	if (s->interim)
		adi_j_set(ev, "interim", h2_take(&s->interim));
	if (s->reset >= 0)
		adi_j_set(ev, "reset", h2_error_name((uint32_t)s->reset));
	if (s->goaway >= 0)
		adi_j_set(ev, "goaway", h2_error_name((uint32_t)s->goaway));
	if (s->pushed)
		adi_j_set_int(ev, "pushed_on", s->pushed_on);
	if (s->upgrade)
		adi_j_set_str(ev, "upgrade", "h2c");
	if (s->evicted)
		adi_j_set_bool(ev, "evicted", true);
	if (unknown)
		adi_j_set_int(ev, "headers_unknown", unknown);
	if (rq->hdr_cut || rs->hdr_cut)
		adi_j_set_bool(ev, "headers_truncated", true);
	if (incomplete)
		adi_j_set_bool(ev, "incomplete", true);
	em->event(em, s->grpc ? "grpc_call" : "http_request", s->ts_start,
		  answered ? (int64_t)(s->ts_end > s->ts_start ? s->ts_end : s->ts_start) : -1,
		  ev);
}

/* ---- stitch() ---- */

static bool h2_finished(const struct h2_stream *s)
{
	if (s->reset >= 0 || s->goaway >= 0 || s->evicted)
		return true;
	if (!s->h[1].ended)
		return false;
	/* joined mid-session: a request never seen does not hold it */
	return s->h[0].ended || !s->h[0].seen;
}

/* The h2c upgrade's HTTP/1.1 messages (http1.c leaves them queued): the
 * request is stream 1's (RFC 7540 3.2), the 101 marks the upgrade. True
 * when m becomes stream 1's open mark. */
static bool h2_adopt(struct http2_state *st, struct adi_msg *m)
{
	struct h2_stream *s = h2_get(st, 1, true, true, NULL);
	struct h2_half *h;

	if (!s)
		return false;
	s->upgrade = true;
	if (m->kind != HTTP1_REQ)
		return false;
	h = &s->h[0];
	if (!m->fields && m->f.len) {
		/* HTTP/1 writes its messages as text (adi_msg.f): read this one
		 * as a tree until this decoder writes text too */
		char *t = malloc(m->f.len + 2);

		if (t) {
			t[0] = '{';
			memcpy(t + 1, m->f.buf, m->f.len);
			t[m->f.len + 1] = '}';
			m->fields = adi_json_parse(t, m->f.len + 2);
			free(t);
		}
	}
	h2_set_once(&s->method, adi_j_take(m->fields, "method"));
	h2_set_once(&s->path, adi_j_take(m->fields, "url"));
	if (!h->hdrs) {
		h->hdrs = adi_j_take(m->fields, "headers");
		h2_set_once(&s->authority, h2_copy_str(adi_j_get(h->hdrs, "host")));
		if (adi_j_is_null(s->authority)) {
			adi_j_free(s->authority);
			s->authority = NULL;
		}
	}
	if (!s->h1_body)
		s->h1_body = adi_j_take(m->fields, "body");
	h->bytes = (uint64_t)adi_j_get_int(m->fields, "bytes", 0);
	h->seen = h->headers = h->ended = true;
	h->incomplete |= m->incomplete;
	m->key = 1;
	if (s->has_start) {
		if (m->ts_first < s->ts_start)
			s->ts_start = m->ts_first;
		return false;
	}
	s->has_start = true;
	s->ts_start = m->ts_first;
	return true;
}

/* A time mark: the stream's start (the first mark stays queued as its
 * open mark, returned true) and end. */
static bool h2_take_mark(struct http2_state *st, const struct adi_msg *m)
{
	struct h2_stream *s;

	if (m->key == 0) {
		for (size_t i = 0; i < st->nstreams; i++) {
			s = st->streams[i];
			if (s->goaway_ts) {
				s->goaway_ts = false;
				if (m->ts_last > s->ts_end)
					s->ts_end = m->ts_last;
			}
		}
		return false;
	}
	s = h2_find(st, (uint32_t)m->key);
	if (!s)
		return false;
	if (m->ts_last > s->ts_end)
		s->ts_end = m->ts_last;
	if (s->has_start)
		return false;
	s->has_start = true;
	s->ts_start = m->ts_first;
	return true;
}

/* Remove from q the messages for which keep() is false (freed). */
static void h2_q_unlink(struct adi_msgq *q, struct adi_msg *prev, struct adi_msg *m)
{
	if (prev)
		prev->next = m->next;
	else
		q->head = m->next;
	if (q->tail == m)
		q->tail = prev;
	q->len--;
	m->next = NULL;
	adi_msg_free(m);
}

/* Drop stream sid's open mark. */
static void h2_drop_open(struct adi_msgq **qs, uint32_t sid)
{
	for (int i = 0; i < 2; i++) {
		struct adi_msg *prev = NULL;

		for (struct adi_msg *m = qs[i]->head; m; prev = m, m = m->next)
			if (m->kind == HTTP2_OPEN && m->key == sid) {
				h2_q_unlink(qs[i], prev, m);
				return;
			}
	}
}

/* stitch(): the marks queued since the last call give streams their start
 * and end times (see http2.h); streams that finished (both directions
 * ended, reset, refused by GOAWAY, evicted) become events, in the order
 * they were opened. final: every stream left is emitted, incomplete. */
void http2_stitch(void *vst, struct adi_msgq *out_q, struct adi_msgq *in_q,
		  struct adi_emit *em, bool final)
{
	struct http2_state *st = vst;
	struct adi_msgq *qs[2] = { out_q, in_q };

	for (int i = 0; i < 2; i++) {
		struct adi_msg *prev = NULL, *m = qs[i]->head, *next;

		for (; m; m = next) {
			bool keep = false;

			next = m->next;
			if (m->kind == HTTP2_OPEN) {
				prev = m;
				continue;
			}
			if (m->kind == HTTP1_REQ || m->kind == HTTP1_RESP)
				keep = h2_adopt(st, m);
			else if (m->kind == HTTP2_MARK)
				keep = h2_take_mark(st, m);
			if (keep) {
				m->kind = HTTP2_OPEN;
				prev = m;
			} else {
				h2_q_unlink(qs[i], prev, m);
			}
		}
	}
	for (size_t i = 0; i < st->nstreams;) {
		struct h2_stream *s = st->streams[i];

		if (!final && !h2_finished(s)) {
			i++;
			continue;
		}
		if (!s->has_start)
			s->ts_start = s->ts_end;
		h2_emit(st, s, em, !h2_finished(s));
		h2_drop_open(qs, s->sid);
		h2_remove(st, s);
	}
	if (final) {
		adi_msgq_clear(out_q);
		adi_msgq_clear(in_q);
	}
}
