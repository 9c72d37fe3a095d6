/* stitch.c - pairing for the memcached decoder: text commands and replies
 * by order, binary ones by opaque; commands that get no reply (noreply,
 * quit) emitted at once, quiet ones (binary *Q, meta q) when a later reply
 * shows none came; messages lost to a resync leave their partner alone.
 * Events are written straight into the emitter's writer: a command's
 * members copied as the text parse() wrote, the reply's by name. Owns no
 * state; queued messages are the engine's until it takes them.
 */
#include "mc.h"

/* One memcached_command event. c (the command) or r (its reply) may be
 * NULL; lost: a partner is known to be lost. */
static void mc_emit(struct adi_emit *em, const struct adi_msg *c, const struct adi_msg *r,
		    bool lost)
{
	struct adi_jw *w = adi_emit_begin(em);
	uint64_t ts_start = c ? c->ts_first : r->ts_first;
	int64_t ts_end = -1;
	struct adi_jv values = { NULL, 0 }, result = { NULL, 0 };
	bool trunc = false, incomplete = lost;

	if (c) {
		adi_jw_splice(w, &c->f);
		trunc |= (c->kind & MC_F_TRUNC) != 0;
		incomplete |= c->incomplete;
	} else {
		adi_jw_knull(w, "command");
		adi_jw_kstr(w, "protocol", r->kind & MC_F_BIN ? "binary" : "text");
		adi_jw_karr(w, "keys");
		adi_jw_arr_end(w);
		adi_jw_karr(w, "args");
		adi_jw_arr_end(w);
	}
	if (r) {
		adi_jw_kraw(w, "status", adi_jw_get(&r->f, "status"));
		adi_jw_kraw(w, "error", adi_jw_get(&r->f, "error"));
		values = adi_jw_get(&r->f, "values");
		result = adi_jw_get(&r->f, "result");
		trunc |= (r->kind & MC_F_TRUNC) != 0;
		incomplete |= r->incomplete;
		ts_end = r->ts_last < ts_start ? (int64_t)ts_start : (int64_t)r->ts_last;
	} else {
		adi_jw_knull(w, "status");
		adi_jw_knull(w, "error");
	}
	if (c && (c->kind & MC_F_GET) && (r || (c->kind & MC_F_QUIET))) {
		/* a quiet get without a reply missed */
		size_t keys = adi_jv_count(adi_jw_get(&c->f, "keys"));
		size_t hits = adi_jv_absent(values) ? 0 : adi_jv_count(values);

		if (adi_jv_absent(values)) {
			adi_jw_karr(w, "values");
			adi_jw_arr_end(w);
		} else {
			adi_jw_kraw(w, "values", values);
		}
		adi_jw_ku64(w, "hits", hits);
		adi_jw_ku64(w, "misses", keys > hits ? keys - hits : 0);
	} else if (!adi_jv_absent(values)) {
		adi_jw_kraw(w, "values", values);
	}
	if (!adi_jv_absent(result))
		adi_jw_kraw(w, "result", result);
	adi_jw_ku64(w, "req_bytes", c ? c->wire_bytes : 0);
	adi_jw_ku64(w, "resp_bytes", r ? r->wire_bytes : 0);
	adi_jw_kbool(w, "truncated", trunc);
	if (incomplete)
		adi_jw_kbool(w, "incomplete", true);
	em->emit(em, "memcached_command", ts_start, ts_end);
}

/* Take the head of q and emit it alone. */
static void mc_alone(struct adi_emit *em, struct adi_msgq *q, bool lost)
{
	struct adi_msg *m = adi_msgq_pop(q);

	if ((m->kind & 0xff) == MEMCACHED_CMD)
		mc_emit(em, m, NULL, lost);
	else
		mc_emit(em, NULL, m, lost);
	adi_msg_free(m);
}

/* Takes one of the messages of its direction lost before m off its
 * count (m is the head of its queue: its kind is the decoder's). */
static void mc_lost_take(struct adi_msg *m)
{
	m->kind -= 1 << MC_LOST_SHIFT;
}

/* Is a command with this opaque queued after the head of cq? */
static bool mc_opaque_later(const struct adi_msgq *cq, uint64_t key)
{
	for (const struct adi_msg *m = cq->head ? cq->head->next : NULL; m; m = m->next)
		if (m->key == key)
			return true;
	return false;
}

/* stitch(): see proto.h and the file head. */
void memcached_stitch(void *vst, struct adi_msgq *out_q, struct adi_msgq *in_q,
		      struct adi_emit *em, bool final)
{
	struct memcached_state *st = vst;
	bool out_is_cmd = mc_cmd_dir(st) == ADI_DIR_OUT;
	struct adi_msgq *cq = out_is_cmd ? out_q : in_q, *rq = out_is_cmd ? in_q : out_q;
	const struct mc_side *cs = mc_side_of(st, mc_cmd_dir(st));

	for (;;) {
		struct adi_msg *c = cq->head, *r = rq->head;

		if (c && (c->kind & MC_F_NOREPLY) && !mc_lost(c->kind)) {
			mc_alone(em, cq, false);
			continue;
		}
		if (!r) {
			if (!c || !final)
				return;
			mc_alone(em, cq, false);
			continue;
		}
		if (!c) {
			if (!final && cs->started)
				return; /* its command may be arriving */
			mc_alone(em, rq, true);
			continue;
		}
		if (mc_lost(r->kind) && mc_lost(c->kind)) {
			mc_lost_take(r); /* the lost ones were partners */
			mc_lost_take(c);
			continue;
		}
		if (mc_lost(r->kind)) {
			mc_lost_take(r);
			mc_alone(em, cq, !(c->kind & (MC_F_QUIET | MC_F_NOREPLY)));
			continue;
		}
		if (mc_lost(c->kind)) {
			mc_lost_take(c);
			mc_alone(em, rq, true);
			continue;
		}
		if (c->kind & MC_F_BIN) {
			if (c->key != r->key) {
				if (c->kind & MC_F_QUIET) {
					mc_alone(em, cq, false); /* silent: it succeeded (or missed) */
					continue;
				}
				/* a later command's reply: this one's was lost; or a
				 * reply to no command seen */
				if (mc_opaque_later(cq, r->key))
					mc_alone(em, cq, true);
				else
					mc_alone(em, rq, true);
				continue;
			}
		} else if ((c->kind & MC_F_QUIET) && !(c->kind & MC_F_FLUSH) &&
			   (r->kind & MC_F_FLUSH)) {
			/* mn's MN: the quiet commands before it had nothing to say */
			mc_alone(em, cq, false);
			continue;
		}
		mc_emit(em, c, r, false);
		adi_msg_free(adi_msgq_pop(cq));
		adi_msg_free(adi_msgq_pop(rq));
	}
}
