/* stitch.c - streams of the HTTP/2 decoder and their events: the bounded
 * table of open streams (creation, eviction, lookup) and the JSON values
 * they keep, the time marks parse() queues, the h2c upgrade request adopted
 * as stream 1, and each finished stream written in one pass as one
 * `grpc_call` or `http_request` event (docs/events.md). Owns the streams of
 * struct http2_state; the queued messages are the engine's until stitch()
 * takes them.
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
	free(s->interim);
	adi_jw_fini(&s->txt);
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
	adi_jw_init(&s->txt);
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

void h2_keep_raw(struct h2_stream *s, struct h2_val *slot, struct adi_jv v)
{
	size_t from;

	if (slot->len || adi_jv_absent(v))
		return;
	from = h2_val_begin(s);
	adi_jw_raw(&s->txt, v.p, v.n);
	*slot = h2_val_end(s, from);
}

void h2_keep_bytes(struct h2_stream *s, struct h2_val *slot, const uint8_t *p, size_t n)
{
	size_t from;

	if (slot->len)
		return;
	from = h2_val_begin(s);
	adi_jw_bytes(&s->txt, p, n);
	*slot = h2_val_end(s, from);
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



/* Member k of a header object, when it is a string (else absent). */
static struct adi_jv h2_hdr(struct adi_jv hdrs, const char *k)
{
	struct adi_jv v = adi_jv_get(hdrs, k), none = { NULL, 0 };

	return adi_jv_type(v) == ADI_J_STR ? v : none;
}

/* The fields of a grpc_call (docs/events.md) up to its common tail. */
static void h2_grpc_fields(struct http2_state *st, struct h2_stream *s, struct adi_jw *w,
			   size_t body_bytes, bool incomplete)
{
	const struct h2_half *rq = &s->h[0], *rs = &s->h[1];
	/* a response ended by its one block is trailers-only (PROTOCOL-
	 * HTTP2.md): that block holds the status */
	bool tr_only = !rs->trailers.len && rs->ended && rs->hdrs.len;
	struct adi_jv tr = h2_view(s, tr_only ? rs->hdrs : rs->trailers);
	char *gs = h2_hdr_str(tr, "grpc-status"), *end = NULL;
	long code = gs ? strtol(gs, &end, 10) : -1;
	bool trunc = false;
	const char *err = NULL;

	adi_jw_kraw(w, "method", h2_view(s, s->path));
	adi_jw_kraw(w, "authority", h2_view(s, s->authority));
	if (gs && end && !*end && *gs && code >= 0 && code <= 0x7fffffff)
		adi_jw_kint(w, "status", code);
	else
		adi_jw_knull(w, "status");
	free(gs);
	adi_jw_key(w, "grpc_message");
	h2_grpc_message(w, adi_jv_get(tr, "grpc-message"));
	if (s->status)
		adi_jw_kint(w, "http_status", s->status);
	else
		adi_jw_knull(w, "http_status");
	adi_jw_kint(w, "stream_id", s->sid);
	adi_jw_kraw(w, "req_headers", h2_view(s, rq->hdrs));
	adi_jw_kraw(w, "resp_headers", h2_view(s, rs->hdrs));
	if (tr_only) {
		adi_jw_knull(w, "resp_trailers");
		adi_jw_kbool(w, "trailers_only", true);
	} else {
		adi_jw_kraw(w, "resp_trailers", h2_view(s, rs->trailers));
	}
	adi_jw_key(w, "req_messages");
	h2_messages(st, w, rq, h2_view(s, rq->hdrs), body_bytes, &trunc, &err);
	adi_jw_key(w, "resp_messages");
	h2_messages(st, w, rs, h2_view(s, rs->hdrs), body_bytes, &trunc, &err);
	adi_jw_kint(w, "req_bytes", (int64_t)rq->bytes);
	adi_jw_kint(w, "resp_bytes", (int64_t)rs->bytes);
	adi_jw_kbool(w, "truncated", trunc || incomplete);
	if (rq->total_msgs > rq->nmsgs)
		adi_jw_kint(w, "req_message_count", (int64_t)rq->total_msgs);
	if (rs->total_msgs > rs->nmsgs)
		adi_jw_kint(w, "resp_message_count", (int64_t)rs->total_msgs);
	if (err)
		adi_jw_kstr(w, "decode_error", err);
}

bool h2_declared_len(const struct h2_stream *s, const struct h2_half *h, uint64_t *cl)
{
	struct adi_jv v;

	if (h == &s->h[1] && (adi_jv_streq(h2_view(s, s->method), "HEAD") ||
			      s->status == 204 || s->status == 304))
		return false;
	v = h2_hdr(h2_view(s, h->hdrs), "content-length");
	/* a JSON string of 1 to 18 digits, nothing else (no escapes) */
	if (adi_jv_absent(v) || v.n < 3 || v.n > 20)
		return false;
	*cl = 0;
	for (size_t i = 1; i + 1 < v.n; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return false;
		*cl = *cl * 10 + (uint64_t)(v.p[i] - '0');
	}
	return true;
}

/* The body bytes of half h of s: as counted, or, when bytes of it were lost
 * (a gap's region is counted as frames of one stream, which multiplexed
 * streams may not be) and it ended, the content-length its headers
 * declared, which a peer must send exactly (RFC 9113 8.1.1). */
static uint64_t h2_body_size(const struct h2_stream *s, const struct h2_half *h)
{
	uint64_t cl;

	if (!h->incomplete || !h->ended || s->reset >= 0 || !h2_declared_len(s, h, &cl))
		return h->bytes;
	return cl;
}

/* The fields of an http_request of version "2" (docs/events.md) up to its
 * common tail. */
static void h2_http_fields(struct h2_stream *s, struct adi_jw *w, bool incomplete)
{
	const struct h2_half *rq = &s->h[0], *rs = &s->h[1];

	adi_jw_kraw(w, "method", h2_view(s, s->method));
	adi_jw_kraw(w, "url", h2_view(s, s->path));
	if (s->authority.len)
		adi_jw_kraw(w, "host", h2_view(s, s->authority));
	else
		adi_jw_kraw(w, "host", h2_hdr(h2_view(s, rq->hdrs), "host"));
	adi_jw_kstr(w, "version", "2");
	if (s->status)
		adi_jw_kint(w, "status", s->status);
	else
		adi_jw_knull(w, "status");
	adi_jw_kraw(w, "req_headers", h2_view(s, rq->hdrs));
	adi_jw_kraw(w, "resp_headers", h2_view(s, rs->hdrs));
	if (s->h1_body.len)
		adi_jw_kraw(w, "req_body", h2_view(s, s->h1_body));
	else
		adi_jw_kbytes(w, "req_body", rq->body, rq->body_len);
	adi_jw_kbytes(w, "resp_body", rs->body, rs->body_len);
	adi_jw_kint(w, "req_bytes", (int64_t)h2_body_size(s, rq));
	adi_jw_kint(w, "resp_bytes", (int64_t)h2_body_size(s, rs));
	adi_jw_kbool(w, "truncated", rq->body_cut || rs->body_cut || incomplete);
	adi_jw_kint(w, "stream_id", s->sid);
	if (rs->trailers.len)
		adi_jw_kraw(w, "trailers", h2_view(s, rs->trailers));
	if (rq->trailers.len)
		adi_jw_kraw(w, "req_trailers", h2_view(s, rq->trailers));
}

/* A finished (or, with cut_short, abandoned) stream becomes its event,
 * written straight into the emitter's writer. */
static void h2_emit(struct http2_state *st, struct h2_stream *s, struct adi_emit *em,
		    bool cut_short)
{
	const struct h2_half *rq = &s->h[0], *rs = &s->h[1];
	struct adi_jw *w = adi_emit_begin(em);
	bool incomplete = cut_short || rq->incomplete || rs->incomplete;
	bool answered = rs->seen || s->reset >= 0 || s->goaway >= 0;
	unsigned unknown = rq->unknown + rs->unknown;

	if (s->grpc)
		h2_grpc_fields(st, s, w, em->cfg->body_bytes, incomplete);
	else
		h2_http_fields(s, w, incomplete);
	if (s->ninterim) {
		adi_jw_karr(w, "interim");
		for (unsigned i = 0; i < s->ninterim; i++)
			adi_jw_int(w, s->interim[i]);
		adi_jw_arr_end(w);
	}
	if (s->reset >= 0) {
		adi_jw_key(w, "reset");
		h2_error_name(w, (uint32_t)s->reset);
	}
	if (s->goaway >= 0) {
		adi_jw_key(w, "goaway");
		h2_error_name(w, (uint32_t)s->goaway);
	}
	if (s->pushed)
		adi_jw_kint(w, "pushed_on", s->pushed_on);
	if (s->upgrade)
		adi_jw_kstr(w, "upgrade", "h2c");
	if (s->evicted)
		adi_jw_kbool(w, "evicted", true);
	if (unknown)
		adi_jw_kint(w, "headers_unknown", unknown);
	if (rq->hdr_cut || rs->hdr_cut)
		adi_jw_kbool(w, "headers_truncated", true);
	if (incomplete)
		adi_jw_kbool(w, "incomplete", true);
	em->emit(em, s->grpc ? "grpc_call" : "http_request", s->ts_start,
		 answered ? (int64_t)(s->ts_end > s->ts_start ? s->ts_end : s->ts_start) : -1);
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
 * request is stream 1's (RFC 7540 3.2), the 101 marks the upgrade. Its
 * method, url, headers and body are copied into stream 1 unless frames
 * set them already; the host header stands for :authority. True when m
 * becomes stream 1's open mark. */
static bool h2_adopt(struct http2_state *st, struct adi_msg *m)
{
	struct h2_stream *s = h2_get(st, 1, true, true, NULL);
	struct h2_half *h;
	struct adi_jv f;

	if (!s)
		return false;
	s->upgrade = true;
	if (m->kind != HTTP1_REQ)
		return false;
	h = &s->h[0];
	f = adi_jw_text(&m->f); /* http1.c's member list */
	h2_keep_raw(s, &s->method, adi_jv_member(f, "method"));
	h2_keep_raw(s, &s->path, adi_jv_member(f, "url"));
	if (!h->hdrs.len) {
		struct adi_jv hv = adi_jv_member(f, "headers");

		h2_keep_raw(s, &h->hdrs, hv);
		h2_keep_raw(s, &s->authority, h2_hdr(hv, "host"));
	}
	h2_keep_raw(s, &s->h1_body, adi_jv_member(f, "body"));
	h->bytes = (uint64_t)adi_jv_int(adi_jv_member(f, "bytes"), 0);
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
	adi_msgq_unlink(q, prev, m);
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
