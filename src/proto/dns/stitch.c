/* stitch.c - the DNS decoder's pairing: a response goes with the oldest
 * queued query of the other direction that has its key (transaction id,
 * question type, question name) and its peer (a query sent to a multicast
 * group, mDNS or LLMNR, takes a response from anyone); the same query sent
 * again before the answer is a retry, counted. Queries wait in the
 * engine's queue (so the timeline holds for them) until answered, until
 * the connection ends or DNS_TIMEOUT_NS passes (unanswered), or while more
 * than DNS_PENDING_MAX wait (the oldest: unanswered). A response no query
 * matches is an event of its own (unsolicited). Each becomes one
 * `dns_query` event (docs/events.md), its members copied from the
 * messages' fields (wire.c). Owns nothing: the queued messages are the
 * engine's until taken here.
 */
#include <string.h>
#include <sys/socket.h>

#include "dns_priv.h"

static bool dns_multicast(const struct adi_endpoint *p)
{
	if (p->family == AF_INET)
		return (p->addr[0] & 0xf0) == 0xe0; /* 224.0.0.0/4 */
	return p->family == AF_INET6 && p->addr[0] == 0xff;
}

/* Is r's peer the one query q went to (or came from)? On a stream, or a
 * datagram without an address, there is one peer. */
static bool dns_peer_match(const struct adi_endpoint *q, const struct adi_endpoint *r)
{
	if (!q->family || !r->family || dns_multicast(q))
		return true;
	return q->family == r->family && q->port == r->port &&
	       !memcmp(q->addr, r->addr, q->family == AF_INET ? 4 : 16);
}

static bool dns_same_query(const struct adi_msg *a, const struct adi_msg *b)
{
	return a->kind == DNS_QUERY && b->kind == DNS_QUERY && a->key == b->key &&
	       a->peer.family == b->peer.family && a->peer.port == b->peer.port &&
	       !memcmp(a->peer.addr, b->peer.addr, sizeof(a->peer.addr));
}

/* Take every later copy of query first out of q (retries); how many. */
static unsigned dns_take_retries(struct adi_msgq *q, const struct adi_msg *first)
{
	struct adi_msg *prev = NULL, *m = q->head, *next;
	unsigned n = 0;

	for (; m; m = next) {
		next = m->next;
		if (m != first && dns_same_query(m, first)) {
			adi_msgq_unlink(q, prev, m);
			adi_msg_free(m);
			n++;
			continue;
		}
		prev = m;
	}
	return n;
}

/* Copy member k of a message's fields (null when the message or the
 * member is absent). */
static void dns_copy(struct adi_jw *w, const char *k, const struct adi_msg *m)
{
	adi_jw_kraw(w, k, m ? adi_jw_get(&m->f, k) : (struct adi_jv){ NULL, 0 });
}

/* Copy member k when present in q or else r (an "only when" field). */
static void dns_copy_opt(struct adi_jw *w, const char *k, const struct adi_msg *q,
			 const struct adi_msg *r)
{
	struct adi_jv v = q ? adi_jw_get(&q->f, k) : (struct adi_jv){ NULL, 0 };

	if (adi_jv_absent(v) && r)
		v = adi_jw_get(&r->f, k);
	if (!adi_jv_absent(v))
		adi_jw_kraw(w, k, v);
}

/* One dns_query event: query q and response r, either may be NULL (not
 * both). The question comes from the query when there is one. */
static void dns_emit(struct adi_emit *em, const struct dns_state *st,
		     struct adi_msg *q, struct adi_msg *r, unsigned retries)
{
	struct adi_jw *w = adi_emit_begin(em);
	const struct adi_msg *src = q ? q : r;

	dns_copy(w, "name", src);
	dns_copy(w, "qtype", src);
	dns_copy(w, "qclass", src);
	dns_copy(w, "rcode", r);
	dns_copy(w, "answers", r);
	/* the message's "id" is written "txid": "id" is the event's own
	 * (events.md, a field of every event) */
	adi_jw_kraw(w, "txid", src ? adi_jw_get(&src->f, "id") : (struct adi_jv){ NULL, 0 });
	dns_copy_opt(w, "opcode", q, r);
	dns_copy(w, "flags", r);
	adi_jw_kraw(w, "query_flags", q ? adi_jw_get(&q->f, "flags") : (struct adi_jv){ NULL, 0 });
	dns_copy_opt(w, "questions", q, r);
	dns_copy(w, "records", r);
	dns_copy(w, "edns", q);
	adi_jw_kraw(w, "resp_edns", r ? adi_jw_get(&r->f, "edns") : (struct adi_jv){ NULL, 0 });
	if (q)
		adi_jw_ku64(w, "req_bytes", q->wire_bytes);
	else
		adi_jw_knull(w, "req_bytes");
	if (r)
		adi_jw_ku64(w, "resp_bytes", r->wire_bytes);
	else
		adi_jw_knull(w, "resp_bytes");
	if ((q && q->incomplete) || (r && r->incomplete))
		adi_jw_kbool(w, "truncated", true);
	if (retries)
		adi_jw_ku64(w, "retries", retries);
	if (!r)
		adi_jw_kbool(w, "unanswered", true);
	if (!q)
		adi_jw_kbool(w, "unsolicited", true);
	dns_copy_opt(w, "records_omitted", r, NULL);
	dns_copy_opt(w, "decode_error", q, r);
	if (st->variant)
		adi_jw_kstr(w, "variant", st->variant == DNS_MDNS ? "mdns" : "llmnr");
	if (st->datagram)
		em->peer = &src->peer;
	em->emit(em, "dns_query", src->ts_first, q && r ? (int64_t)r->ts_last : -1);
}

/* Response r (taken off its queue): paired with its query in qq, or alone. */
static void dns_answer(struct adi_emit *em, const struct dns_state *st,
		       struct adi_msgq *qq, struct adi_msg *r)
{
	struct adi_msg *prev = NULL, *m;
	unsigned retries = 0;

	for (m = qq->head; m; prev = m, m = m->next)
		if (m->kind == DNS_QUERY && m->key == r->key && dns_peer_match(&m->peer, &r->peer))
			break;
	if (m) {
		/* m is the oldest copy: its retries all come after it, so
		 * prev stays the message before it */
		retries = dns_take_retries(qq, m);
		adi_msgq_unlink(qq, prev, m);
	}
	dns_emit(em, st, m, r, retries);
	adi_msg_free(m);
	adi_msg_free(r);
}

/* The head query of q, with its retries, as unanswered. */
static void dns_unanswered(struct adi_emit *em, const struct dns_state *st,
			   struct adi_msgq *q)
{
	struct adi_msg *m = q->head;
	unsigned retries = dns_take_retries(q, m);

	adi_msgq_unlink(q, NULL, m);
	dns_emit(em, st, m, NULL, retries);
	adi_msg_free(m);
}

void dns_stitch(void *vst, struct adi_msgq *out_q, struct adi_msgq *in_q,
		struct adi_emit *em, bool final)
{
	const struct dns_state *st = vst;
	struct adi_msgq *q[2] = { out_q, in_q };
	uint64_t now = 0;

	for (int d = 0; d < 2; d++)
		if (q[d]->tail && q[d]->tail->ts_first > now)
			now = q[d]->tail->ts_first;
	for (int d = 0; d < 2; d++) {
		struct adi_msg *prev = NULL, *m, *next;

		for (m = q[d]->head; m; m = next) {
			next = m->next;
			if (m->kind != DNS_RESPONSE) {
				prev = m;
				continue;
			}
			adi_msgq_unlink(q[d], prev, m);
			dns_answer(em, st, q[!d], m); /* touches only q[!d] */
		}
	}
	for (int d = 0; d < 2; d++)
		while (q[d]->head && (final || q[d]->len > DNS_PENDING_MAX ||
				      q[d]->head->ts_first + DNS_TIMEOUT_NS < now))
			dns_unanswered(em, st, q[d]);
}
