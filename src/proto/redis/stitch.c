/* stitch.c - pairing for the Redis decoder: commands and replies by order
 * (pipelines and MULTI need nothing more), with the rules RESP leaves to
 * the reader: pushes (RESP3 '>', RESP2 pub/sub messages, MONITOR lines)
 * as events of their own, (un)subscribe confirmations collected into one
 * reply, CLIENT REPLY OFF / SKIP, HELLO's protocol switch, messages lost to
 * a resync; CONFIG GET replies redacted. Events are written straight into
 * the emitter's writer, their parts copied from the messages' f as text.
 * Owns the pub/sub and reply-mode state of struct redis_state (the
 * confirmations' writer included); queued messages are the engine's until
 * it takes them.
 */
#include <string.h>

#include "rd.h"

/* ---- what messages say ---- */

/* Member i of a message's f (enum rd_cmem / rd_rmem: the order parse()
 * wrote them in), found by its place in the writer's index: stitch's path
 * looks no key up. Absent for no message, or an incomplete text (ENOMEM). */
static struct adi_jv rd_mem(const struct adi_msg *m, unsigned i)
{
	struct adi_jv v = { NULL, 0 };

	return m ? adi_jw_member_at(&m->f, i) : v;
}

/* The messages lost before m, the head of the command (cmd) or reply
 * queue, that stitch has not matched yet. */
static uint64_t rd_lost(const struct redis_state *st, const struct rd_meta *m, bool cmd)
{
	return m->lost - st->lost_taken[cmd ? 0 : 1];
}

/* The head of the command (cmd) or reply queue q, taken: what stitch
 * matched of its lost count goes with it. */
static struct adi_msg *rd_pop(struct redis_state *st, struct adi_msgq *q, bool cmd)
{
	st->lost_taken[cmd ? 0 : 1] = 0;
	return adi_msgq_pop(q);
}

/* The reply part of an event from one message m (views into its f; mm:
 * its numbers). */
static void rd_rep_of(struct rd_rep *r, const struct adi_msg *m, const struct rd_meta *mm)
{
	memset(r, 0, sizeof(*r));
	r->have = true;
	r->value = rd_mem(m, RD_RM_VALUE);
	if (m->f.nmem > RD_RM_VALUE + 1) { /* an error, attributes: rare */
		r->error = adi_jw_get(&m->f, "error");
		r->attrs = adi_jw_get(&m->f, "attributes");
	}
	r->ts_first = m->ts_first;
	r->ts_last = m->ts_last;
	r->bytes = m->wire_bytes;
	r->truncated = mm->truncated;
	r->incomplete = m->incomplete;
}

/* ---- events ---- */

/* A CONFIG GET reply with the values of secret parameters replaced: a
 * flat [name, value, ...] array (RESP2) or a map (RESP3); anything else
 * as it is. Member names and strings with escapes hold a character no
 * parameter name has, so only plain ones are compared. */
static void rd_write_config(struct adi_jw *w, struct adi_jv v)
{
	struct adi_jv_it it = adi_jv_iter(v);
	struct adi_jv k, x, prev = { NULL, 0 };
	const char *s;
	size_t n, i = 0;

	switch (adi_jv_type(v)) {
	case ADI_J_OBJ:
		adi_jw_obj(w);
		while (adi_jv_next(&it, &k, &x)) {
			/* the name's token as written: no need to decode it */
			if (i++)
				adi_jw_put(w, ",", 1);
			adi_jw_put(w, k.p, k.n);
			adi_jw_put(w, ":", 1);
			s = adi_jv_plain(k, &n);
			if (s && rd_secret_param((const uint8_t *)s, n))
				adi_jw_str(w, "<redacted>");
			else
				adi_jw_raw(w, x.p, x.n);
		}
		adi_jw_obj_end(w);
		return;
	case ADI_J_ARR:
		adi_jw_arr(w);
		while (adi_jv_next(&it, &k, &x)) {
			s = i++ % 2 ? adi_jv_plain(prev, &n) : NULL;
			if (s && rd_secret_param((const uint8_t *)s, n))
				adi_jw_str(w, "<redacted>");
			else
				adi_jw_raw(w, x.p, x.n);
			prev = x;
		}
		adi_jw_arr_end(w);
		return;
	default:
		adi_jw_raw(w, v.p, v.n);
	}
}

/* One redis_command event. cmd (cm: its numbers) may be NULL (its command
 * was lost or never seen), r->have false (no reply); lost: a partner is
 * known to be lost; push: a message the server pushed. */
static void rd_emit(struct adi_emit *em, const struct adi_msg *cmd, const struct rd_meta *cm,
		    const struct rd_rep *r, bool lost, bool push)
{
	struct adi_jw *w = adi_emit_begin(em);
	bool trunc = r->truncated, incomplete = lost || r->incomplete;
	uint64_t ts_start = cmd ? cmd->ts_first : r->ts_first;
	int64_t ts_end = -1;
	struct adi_jv args = rd_mem(cmd, RD_CM_ARGS);

	if (cmd) {
		trunc |= cm->truncated;
		incomplete |= cmd->incomplete;
	}
	adi_jw_kraw(w, "command", rd_mem(cmd, RD_CM_COMMAND));
	if (adi_jv_absent(args)) {
		adi_jw_karr(w, "args");
		adi_jw_arr_end(w);
	} else {
		adi_jw_kraw(w, "args", args);
	}
	adi_jw_key(w, "reply");
	if (r->redact)
		rd_write_config(w, r->value);
	else
		adi_jw_raw(w, r->value.p, r->value.n);
	adi_jw_kraw(w, "error", r->error);
	adi_jw_kint(w, "req_bytes", cmd ? (int64_t)cmd->wire_bytes : 0);
	adi_jw_kint(w, "resp_bytes", (int64_t)r->bytes);
	adi_jw_kbool(w, "truncated", trunc);
	if (push)
		adi_jw_kbool(w, "push", true);
	if (incomplete)
		adi_jw_kbool(w, "incomplete", true);
	if (!adi_jv_absent(r->attrs))
		adi_jw_kraw(w, "attributes", r->attrs);
	if (r->have)
		ts_end = r->ts_last < ts_start ? (int64_t)ts_start : (int64_t)r->ts_last;
	em->emit(em, "redis_command", ts_start, ts_end);
}

/* Take the head of q and emit it alone (a command without reply, or a
 * reply / push without command). */
static void rd_emit_alone(struct redis_state *st, struct adi_emit *em, struct adi_msgq *q,
			  bool lost, bool push)
{
	struct adi_msg *m = q->head;
	struct rd_meta mm = rd_meta_get(m);
	struct rd_rep r = { 0 };

	if (m->kind == REDIS_CMD) {
		rd_emit(em, m, &mm, &r, lost, false);
	} else {
		rd_rep_of(&r, m, &mm);
		rd_emit(em, NULL, NULL, &r, lost, push);
	}
	adi_msg_free(rd_pop(st, q, m->kind == REDIS_CMD));
}

/* ---- pub/sub ---- */

int rd_head_kind(const char *h)
{
	static const char *const k[] = {
		"subscribe", "psubscribe", "ssubscribe",
		"unsubscribe", "punsubscribe", "sunsubscribe",
	};

	if (!h[0])
		return RD_C_NONE;
	for (int i = 0; i < 6; i++)
		if (!strcmp(h, k[i]))
			return RD_C_SUB + i;
	if (!strcmp(h, "message") || !strcmp(h, "pmessage") || !strcmp(h, "smessage"))
		return RD_H_MESSAGE;
	return RD_C_NONE;
}

/* The confirmation kind (RD_C_SUB .. RD_C_SUNSUB) a server message's
 * first element names (rd_meta.ctl of a reply), or RD_C_NONE. */
static int rd_conf_kind(const struct rd_meta *r)
{
	return r->ctl >= RD_C_SUB && r->ctl <= RD_C_SUNSUB ? (int)r->ctl : RD_C_NONE;
}

static bool rd_subscribed(const struct redis_state *st)
{
	return st->chan + st->pat + st->shard > 0;
}

/* Subscription counts after a confirmation of kind k whose third element
 * is the count Redis reports: channels + patterns for (P)(UN)SUBSCRIBE,
 * shard channels for S(UN)SUBSCRIBE. */
static void rd_track(struct redis_state *st, int k, const struct adi_msg *m)
{
	struct adi_jv v = rd_mem(m, RD_RM_VALUE), key, item, third = { NULL, 0 };
	struct adi_jv_it it = adi_jv_iter(v);
	size_t n = 0;
	int64_t cnt;

	if (adi_jv_type(v) != ADI_J_ARR)
		return;
	while (adi_jv_next(&it, &key, &item))
		if (n++ == 2)
			third = item;
	cnt = adi_jv_int(third, 0);
	if (n < 3 || cnt < 0)
		return;
	if (k == RD_C_SUB || k == RD_C_UNSUB)
		st->chan = cnt > st->pat ? cnt - st->pat : 0;
	else if (k == RD_C_PSUB || k == RD_C_PUNSUB)
		st->pat = cnt > st->chan ? cnt - st->chan : 0;
	else if (k == RD_C_SSUB || k == RD_C_SUNSUB)
		st->shard = cnt;
}

enum rd_class { RD_CL_REPLY, RD_CL_PUSH, RD_CL_CONF };

/* What a server message r (rm: its numbers) is, with a command at the
 * head (cm: its numbers) or none (cm NULL):
 *  - RESP3 push ('>'): a confirmation of c when its kind matches c
 *    ("subscribe" for SUBSCRIBE...), else a push;
 *  - after MONITOR: a simple string starting with a digit is a pushed
 *    monitor line;
 *  - RESP2 array: a confirmation of c when its first element matches c; a
 *    push when it is "message" / "pmessage" / "smessage" while subscribed
 *    (or with no command waiting), or a confirmation no command asked for
 *    while subscribed;
 *  - anything else is the reply of c. */
static enum rd_class rd_classify(const struct redis_state *st, const struct adi_msg *r,
				 const struct rd_meta *rm, const struct rd_meta *cm)
{
	int conf = rd_conf_kind(rm);
	bool mine = conf && cm && cm->ctl == (uint64_t)conf;

	if (r->kind == REDIS_PUSH)
		return mine ? RD_CL_CONF : RD_CL_PUSH;
	if (st->monitor && rm->num == '+') {
		struct adi_jv v = rd_mem(r, RD_RM_VALUE);

		/* a string's text, unless it is not UTF-8 ("base64:...") */
		if (v.n > 2 && v.p[0] == '"' && rd_digit((uint8_t)v.p[1]))
			return RD_CL_PUSH;
	}
	if (!st->resp3 && rm->num == '*' && rm->ctl != RD_C_NONE) {
		if (mine)
			return RD_CL_CONF;
		if (rm->ctl == RD_H_MESSAGE && (rd_subscribed(st) || !cm))
			return RD_CL_PUSH;
		if (conf && rd_subscribed(st))
			return RD_CL_PUSH;
	}
	return RD_CL_REPLY;
}

/* The pending (un)subscribe is done: every channel argument confirmed, or
 * (no arguments) none of its kind is left. */
static bool rd_sub_done(const struct redis_state *st)
{
	if (st->sub.want)
		return st->sub.got >= st->sub.want;
	switch (st->sub.ctl) {
	case RD_C_UNSUB:
		return st->chan == 0;
	case RD_C_PUNSUB:
		return st->pat == 0;
	case RD_C_SUNSUB:
		return st->shard == 0;
	}
	return true;
}

/* A confirmation r (rm: its numbers) of the command at the head (cm: its
 * numbers) joins its reply: its value an item of the array sub.w collects
 * (its error and attributes go). */
static void rd_sub_add(struct redis_state *st, const struct rd_meta *cm, const struct adi_msg *r,
		       const struct rd_meta *rm)
{
	struct rd_sub *sub = &st->sub;
	struct rd_rep one;

	if (!sub->on) {
		sub->on = true;
		sub->ctl = (int)cm->ctl;
		sub->want = cm->num;
		sub->got = 0;
		memset(&sub->rep, 0, sizeof(sub->rep));
		sub->rep.have = true;
		sub->rep.ts_first = r->ts_first;
		adi_jw_reset(&sub->w);
		adi_jw_arr(&sub->w);
	}
	rd_track(st, sub->ctl, r);
	rd_rep_of(&one, r, rm);
	adi_jw_raw(&sub->w, one.value.p, one.value.n);
	sub->got++;
	sub->rep.ts_last = one.ts_last;
	sub->rep.bytes += one.bytes;
	sub->rep.truncated |= one.truncated;
	sub->rep.incomplete |= one.incomplete;
}

/* Emit the command at the head of cq with the confirmations collected. */
static void rd_sub_emit(struct redis_state *st, struct adi_emit *em, struct adi_msgq *cq)
{
	struct rd_sub *sub = &st->sub;
	struct rd_meta cm = rd_meta_get(cq->head);

	adi_jw_arr_end(&sub->w);
	sub->rep.value = adi_jw_text(&sub->w);
	rd_emit(em, cq->head, &cm, &sub->rep, false, false);
	adi_msg_free(rd_pop(st, cq, true));
	sub->on = false;
	adi_jw_reset(&sub->w);
}

/* Does the command at the head (ctl: its enum rd_ctl) get no reply
 * (CLIENT REPLY OFF / SKIP)? Applies the reply mode it sets. */
static bool rd_no_reply(struct redis_state *st, uint64_t ctl)
{
	if (ctl == RD_C_REPLY_OFF) {
		st->reply_off = true;
		return true;
	}
	if (ctl == RD_C_REPLY_SKIP) {
		st->skip_next = !st->reply_off;
		return true;
	}
	if (st->reply_off)
		return ctl != RD_C_REPLY_ON;
	if (st->skip_next) {
		st->skip_next = false;
		return true;
	}
	return false;
}

/* What a command (ctl: its enum rd_ctl) and its reply change on the
 * connection. */
static void rd_after(struct redis_state *st, uint64_t ctl, struct rd_rep *r,
		     const struct adi_emit *em)
{
	bool ok = adi_jv_type(r->error) == ADI_J_NULL;

	if (ctl == RD_C_HELLO && ok)
		st->resp3 = adi_jv_type(r->value) == ADI_J_OBJ; /* HELLO 3 answers a map, HELLO 2 an array */
	else if (ctl == RD_C_MONITOR && ok)
		st->monitor = true;
	else if (ctl == RD_C_RESET && ok) {
		st->resp3 = st->monitor = st->reply_off = st->skip_next = false;
		st->chan = st->pat = st->shard = 0;
	} else if (ctl == RD_C_REPLY_ON) {
		st->reply_off = false;
	} else if (ctl == RD_C_CONFIG_GET && (!em->cfg || !em->cfg->show_secrets)) {
		r->redact = true;
	}
}

/* stitch(): commands and replies pair by order — pipelining and MULTI
 * (each queued command gets its +QUEUED, EXEC the array of results) need
 * nothing more. On top of the order:
 *  - pushes (RESP3 '>', RESP2 "message" arrays while subscribed, MONITOR
 *    lines) are events of their own: command null, "push": true;
 *  - a (P|S)(UN)SUBSCRIBE gets its confirmations (RESP2 arrays or RESP3
 *    pushes), one per channel argument, as one array reply;
 *  - CLIENT REPLY OFF / SKIP: commands that get no reply are emitted at
 *    once, with reply null;
 *  - a message lost to a resync inside it ("lost" on the next message of
 *    its direction, less what st->lost_taken says was matched) leaves its
 *    partner alone, marked incomplete;
 *  - a reply with no command waiting is emitted alone (incomplete), unless
 *    a command is being received (it may be its reply);
 *  - final: unanswered commands are emitted with no reply (ts_end -1). */
void redis_stitch(void *vst, struct adi_msgq *out_q, struct adi_msgq *in_q,
		  struct adi_emit *em, bool final)
{
	struct redis_state *st = vst;
	bool out_is_cmd = rd_cmd_dir(st) == ADI_DIR_OUT;
	struct adi_msgq *cq = out_is_cmd ? out_q : in_q, *rq = out_is_cmd ? in_q : out_q;
	const struct rd_side *cs = rd_side_of(st, rd_cmd_dir(st));
	const struct rd_side *rs = rd_side_of(st, out_is_cmd ? ADI_DIR_IN : ADI_DIR_OUT);

	for (;;) {
		struct adi_msg *c = cq->head, *r = rq->head;
		struct rd_meta cm = rd_meta_get(c), rm;
		struct rd_rep rep;
		enum rd_class cl;

		if (c && !st->sub.on && rd_no_reply(st, cm.ctl)) {
			rd_emit_alone(st, em, cq, false, false);
			continue;
		}
		if (!r) {
			if (!c || !final)
				return;
			if (st->sub.on)
				rd_sub_emit(st, em, cq);
			else
				rd_emit_alone(st, em, cq, false, false);
			continue;
		}
		rm = rd_meta_get(r);
		cl = rd_classify(st, r, &rm, c ? &cm : NULL);
		if (cl == RD_CL_PUSH) {
			int k = rd_conf_kind(&rm);

			if (k)
				rd_track(st, k, r);
			rd_emit_alone(st, em, rq, false, true);
			continue;
		}
		if (cl == RD_CL_CONF) {
			rd_sub_add(st, &cm, r, &rm);
			adi_msg_free(rd_pop(st, rq, false));
			if (rd_sub_done(st))
				rd_sub_emit(st, em, cq);
			continue;
		}
		if (!c) {
			if (!final && cs->started)
				return; /* its command may be arriving */
			if (st->rep_desync) {
				adi_msg_free(rd_pop(st, rq, false)); /* a fragment */
				continue;
			}
			rd_emit_alone(st, em, rq, true, false);
			continue;
		}
		if (st->sub.on) {
			/* something else ends the confirmations: the command
			 * had what it had; r is the next command's */
			rd_sub_emit(st, em, cq);
			continue;
		}
		if (rd_lost(st, &rm, false) > 0 && rd_lost(st, &cm, true) > 0) {
			st->lost_taken[0]++; /* the lost ones were partners */
			st->lost_taken[1]++;
			continue;
		}
		if (rd_lost(st, &rm, false) > 0) {
			st->lost_taken[1]++;
			rd_emit_alone(st, em, cq, true, false); /* its reply was lost */
			continue;
		}
		if (rd_lost(st, &cm, true) > 0) {
			st->lost_taken[0]++;
			rd_emit_alone(st, em, rq, true, false); /* its command was lost */
			continue;
		}
		/* a reply cannot begin before its command was sent */
		if (r->ts_first < c->ts_last) {
			if (st->rep_desync)
				adi_msg_free(rd_pop(st, rq, false)); /* a fragment */
			else
				rd_emit_alone(st, em, rq, true, false);
			continue;
		}
		/* a whole reply paired with its command: back in step (the
		 * reply cut by the hole itself does not count) */
		if (!r->incomplete && !rs->gapped)
			st->rep_desync = false;
		rd_rep_of(&rep, r, &rm);
		rd_after(st, cm.ctl, &rep, em);
		rd_emit(em, c, &cm, &rep, false, false);
		adi_msg_free(rd_pop(st, cq, true));
		adi_msg_free(rd_pop(st, rq, false));
	}
}

void rd_stitch_fini(struct redis_state *st)
{
	adi_jw_fini(&st->sub.w);
}
