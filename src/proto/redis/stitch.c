/* stitch.c - pairing for the Redis decoder: commands and replies by order
 * (pipelines and MULTI need nothing more), with the rules RESP leaves to
 * the reader: pushes (RESP3 '>', RESP2 pub/sub messages, MONITOR lines)
 * as events of their own, (un)subscribe confirmations collected into one
 * reply, CLIENT REPLY OFF / SKIP, HELLO's protocol switch, messages lost to
 * a resync; CONFIG GET replies redacted. Owns the pub/sub and reply-mode
 * state of struct redis_state; queued messages are the engine's until it
 * takes them.
 */
#include <stdlib.h>
#include <string.h>

#include "rd.h"

/* ---- pairing ---- */

/* Move the member k out of obj; NULL when absent. */
static struct adi_jval *rd_take(struct adi_jval *obj, const char *k)
{
	return obj ? adi_j_take(obj, k) : NULL;
}

/* The reply part of an event from one message (fields moved out). */
static void rd_rep_of(struct rd_rep *r, struct adi_msg *m)
{
	memset(r, 0, sizeof(*r));
	r->have = true;
	r->value = rd_take(m->fields, "value");
	r->error = rd_take(m->fields, "error");
	r->attrs = rd_take(m->fields, "attributes");
	r->ts_first = m->ts_first;
	r->ts_last = m->ts_last;
	r->bytes = m->wire_bytes;
	r->truncated = adi_j_as_bool(adi_j_get(m->fields, "truncated"), false);
	r->incomplete = m->incomplete;
}

static void rd_rep_free(struct rd_rep *r)
{
	adi_j_free(r->value);
	adi_j_free(r->error);
	adi_j_free(r->attrs);
	memset(r, 0, sizeof(*r));
}

static int64_t rd_field_int(const struct adi_msg *m, const char *k)
{
	return m ? adi_j_get_int(m->fields, k, 0) : 0;
}

/* Replace the values of secret parameters in a CONFIG GET reply: a flat
 * [name, value, ...] array (RESP2) or a map (RESP3). */
static void rd_redact_config(struct adi_jval **value)
{
	struct adi_jval *v = *value, *c;
	size_t n = adi_j_len(v);

	if (adi_j_type(v) == ADI_J_OBJ) {
		for (size_t i = 0; i < n; i++) {
			const char *k = adi_j_key_at(v, i);

			if (k && rd_secret_param((const uint8_t *)k, strlen(k)))
				adi_j_set(v, k, adi_j_str("<redacted>"));
		}
		return;
	}
	if (adi_j_type(v) != ADI_J_ARR)
		return;
	c = adi_j_arr();
	if (!c)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct adi_jval *k = i ? adi_j_at(v, i - 1) : NULL;
		const char *ks = adi_j_as_str(k, NULL);

		if (i % 2 && ks && rd_secret_param((const uint8_t *)ks, adi_j_len(k)))
			adi_j_push(c, adi_j_str("<redacted>"));
		else
			adi_j_push(c, adi_j_copy(adi_j_at(v, i)));
	}
	adi_j_free(v);
	*value = c;
}

/* One redis_command event. cmd (may be NULL: its command was lost or
 * never seen) and r (have false: no reply) are taken; lost: a partner is
 * known to be lost; push: a message the server pushed. */
static void rd_emit(struct adi_emit *em, struct adi_msg *cmd, struct rd_rep *r,
		    bool lost, bool push)
{
	struct adi_jval *ev = adi_j_obj(), *v;
	bool trunc = r->truncated, incomplete = lost || r->incomplete;
	uint64_t ts_start = cmd ? cmd->ts_first : r->ts_first;
	int64_t ts_end = -1;

	if (cmd) {
		trunc |= adi_j_as_bool(adi_j_get(cmd->fields, "truncated"), false);
		incomplete |= cmd->incomplete;
	}
	if (!ev) {
		rd_rep_free(r);
		return;
	}
	v = rd_take(cmd ? cmd->fields : NULL, "command");
	adi_j_set(ev, "command", v ? v : adi_j_null());
	v = rd_take(cmd ? cmd->fields : NULL, "args");
	adi_j_set(ev, "args", v ? v : adi_j_arr());
	adi_j_set(ev, "reply", r->value ? r->value : adi_j_null());
	adi_j_set(ev, "error", r->error ? r->error : adi_j_null());
	adi_j_set_int(ev, "req_bytes", cmd ? (int64_t)cmd->wire_bytes : 0);
	adi_j_set_int(ev, "resp_bytes", (int64_t)r->bytes);
	adi_j_set_bool(ev, "truncated", trunc);
	if (push)
		adi_j_set_bool(ev, "push", true);
	if (incomplete)
		adi_j_set_bool(ev, "incomplete", true);
	if (r->attrs)
		adi_j_set(ev, "attributes", r->attrs);
	if (r->have)
		ts_end = r->ts_last < ts_start ? (int64_t)ts_start : (int64_t)r->ts_last;
	r->value = r->error = r->attrs = NULL;
	em->event(em, "redis_command", ts_start, ts_end, ev);
}

/* Pop the head of q and emit it alone (a command without reply, or a
 * reply / push without command). */
static void rd_emit_alone(struct adi_emit *em, struct adi_msgq *q, bool lost, bool push)
{
	struct adi_msg *m = adi_msgq_pop(q);
	struct rd_rep r = { 0 };

	if (m->kind == REDIS_CMD) {
		rd_emit(em, m, &r, lost, false);
	} else {
		rd_rep_of(&r, m);
		rd_emit(em, NULL, &r, lost, push);
	}
	adi_msg_free(m);
}

/* The pub/sub confirmation kind a push / array head names, or RD_C_NONE. */
static int rd_conf_kind(const char *h)
{
	static const char *const k[] = {
		"subscribe", "psubscribe", "ssubscribe",
		"unsubscribe", "punsubscribe", "sunsubscribe",
	};

	for (int i = 0; h && i < 6; i++)
		if (!strcmp(h, k[i]))
			return RD_C_SUB + i;
	return RD_C_NONE;
}

static bool rd_is_message(const char *h)
{
	return h && (!strcmp(h, "message") || !strcmp(h, "pmessage") ||
		     !strcmp(h, "smessage"));
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
	const struct adi_jval *v = adi_j_get(m->fields, "value");
	int64_t cnt = adi_j_as_int(adi_j_at(v, 2), 0);

	if (adi_j_type(v) != ADI_J_ARR || adi_j_len(v) < 3 || cnt < 0)
		return;
	if (k == RD_C_SUB || k == RD_C_UNSUB)
		st->chan = cnt > st->pat ? cnt - st->pat : 0;
	else if (k == RD_C_PSUB || k == RD_C_PUNSUB)
		st->pat = cnt > st->chan ? cnt - st->chan : 0;
	else if (k == RD_C_SSUB || k == RD_C_SUNSUB)
		st->shard = cnt;
}

enum rd_class { RD_CL_REPLY, RD_CL_PUSH, RD_CL_CONF };

/* What a server message r is, with the command c at the head (or NULL):
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
				 const struct adi_msg *c)
{
	const char *h = adi_j_get_str(r->fields, "h", NULL);
	int conf = rd_conf_kind(h);
	int64_t t = rd_field_int(r, "t");
	bool mine = conf && c && rd_field_int(c, "ctl") == conf;

	if (r->kind == REDIS_PUSH)
		return mine ? RD_CL_CONF : RD_CL_PUSH;
	if (st->monitor && t == '+') {
		const char *s = adi_j_as_str(adi_j_get(r->fields, "value"), "");

		if (rd_digit((uint8_t)s[0]))
			return RD_CL_PUSH;
	}
	if (!st->resp3 && t == '*' && h) {
		if (mine)
			return RD_CL_CONF;
		if (rd_is_message(h) && (rd_subscribed(st) || !c))
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
		return adi_j_len(st->sub.rep.value) >= st->sub.want;
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

/* A confirmation r of the command c at the head joins its reply. */
static void rd_sub_add(struct redis_state *st, const struct adi_msg *c, struct adi_msg *r)
{
	struct rd_rep one;

	if (!st->sub.on) {
		memset(&st->sub, 0, sizeof(st->sub));
		st->sub.on = true;
		st->sub.ctl = (int)rd_field_int(c, "ctl");
		st->sub.want = (uint64_t)rd_field_int(c, "nargs");
		st->sub.rep.have = true;
		st->sub.rep.value = adi_j_arr();
		st->sub.rep.ts_first = r->ts_first;
	}
	rd_track(st, st->sub.ctl, r);
	rd_rep_of(&one, r);
	adi_j_push(st->sub.rep.value, one.value ? one.value : adi_j_null());
	one.value = NULL;
	st->sub.rep.ts_last = one.ts_last;
	st->sub.rep.bytes += one.bytes;
	st->sub.rep.truncated |= one.truncated;
	st->sub.rep.incomplete |= one.incomplete;
	rd_rep_free(&one);
}

/* Emit the command at the head of cq with the confirmations collected. */
static void rd_sub_emit(struct redis_state *st, struct adi_emit *em, struct adi_msgq *cq)
{
	struct adi_msg *c = adi_msgq_pop(cq);

	rd_emit(em, c, &st->sub.rep, false, false);
	adi_msg_free(c);
	rd_rep_free(&st->sub.rep);
	memset(&st->sub, 0, sizeof(st->sub));
}

/* Does the command c get no reply (CLIENT REPLY OFF / SKIP)? Applies the
 * reply mode it sets. */
static bool rd_no_reply(struct redis_state *st, const struct adi_msg *c)
{
	int64_t ctl = rd_field_int(c, "ctl");

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

/* What a command and its reply change on the connection. */
static void rd_after(struct redis_state *st, const struct adi_msg *c, struct rd_rep *r,
		     const struct adi_emit *em)
{
	int64_t ctl = rd_field_int(c, "ctl");
	int t = r->value ? (int)adi_j_type(r->value) : -1;
	bool ok = adi_j_is_null(r->error);

	if (ctl == RD_C_HELLO && ok)
		st->resp3 = t == ADI_J_OBJ; /* HELLO 3 answers a map, HELLO 2 an array */
	else if (ctl == RD_C_MONITOR && ok)
		st->monitor = true;
	else if (ctl == RD_C_RESET && ok) {
		st->resp3 = st->monitor = st->reply_off = st->skip_next = false;
		st->chan = st->pat = st->shard = 0;
	} else if (ctl == RD_C_REPLY_ON) {
		st->reply_off = false;
	} else if (ctl == RD_C_CONFIG_GET && (!em->cfg || !em->cfg->show_secrets)) {
		rd_redact_config(&r->value);
	}
}

/* Decrement a message's "lost" count. */
static void rd_dec_lost(struct adi_msg *m)
{
	adi_j_set_int(m->fields, "lost", rd_field_int(m, "lost") - 1);
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
 *    its direction) leaves its partner alone, marked incomplete;
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
		struct rd_rep rep;
		enum rd_class cl;

		if (c && !st->sub.on && rd_no_reply(st, c)) {
			rd_emit_alone(em, cq, false, false);
			continue;
		}
		if (!r) {
			if (!c || !final)
				return;
			if (st->sub.on)
				rd_sub_emit(st, em, cq);
			else
				rd_emit_alone(em, cq, false, false);
			continue;
		}
		cl = rd_classify(st, r, c);
		if (cl == RD_CL_PUSH) {
			int k = rd_conf_kind(adi_j_get_str(r->fields, "h", NULL));

			if (k)
				rd_track(st, k, r);
			rd_emit_alone(em, rq, false, true);
			continue;
		}
		if (cl == RD_CL_CONF) {
			r = adi_msgq_pop(rq);
			rd_sub_add(st, c, r);
			adi_msg_free(r);
			if (rd_sub_done(st))
				rd_sub_emit(st, em, cq);
			continue;
		}
		if (!c) {
			if (!final && cs->started)
				return; /* its command may be arriving */
			if (st->rep_desync) {
				adi_msg_free(adi_msgq_pop(rq)); /* a fragment */
				continue;
			}
			rd_emit_alone(em, rq, true, false);
			continue;
		}
		if (st->sub.on) {
			/* something else ends the confirmations: the command
			 * had what it had; r is the next command's */
			rd_sub_emit(st, em, cq);
			continue;
		}
		if (rd_field_int(r, "lost") > 0 && rd_field_int(c, "lost") > 0) {
			rd_dec_lost(r); /* the lost ones were partners */
			rd_dec_lost(c);
			continue;
		}
		if (rd_field_int(r, "lost") > 0) {
			rd_dec_lost(r);
			rd_emit_alone(em, cq, true, false); /* its reply was lost */
			continue;
		}
		if (rd_field_int(c, "lost") > 0) {
			rd_dec_lost(c);
			rd_emit_alone(em, rq, true, false); /* its command was lost */
			continue;
		}
		/* a reply cannot begin before its command was sent */
		if (r->ts_first < c->ts_last) {
			if (st->rep_desync)
				adi_msg_free(adi_msgq_pop(rq)); /* a fragment */
			else
				rd_emit_alone(em, rq, true, false);
			continue;
		}
		/* a whole reply paired with its command: back in step (the
		 * reply cut by the hole itself does not count) */
		if (!r->incomplete && !adi_j_as_bool(adi_j_get(r->fields, "incomplete"), false) &&
		    !rs->gapped)
			st->rep_desync = false;
		c = adi_msgq_pop(cq);
		r = adi_msgq_pop(rq);
		rd_rep_of(&rep, r);
		rd_after(st, c, &rep, em);
		rd_emit(em, c, &rep, false, false);
		adi_msg_free(c);
		adi_msg_free(r);
	}
}

void rd_stitch_fini(struct redis_state *st)
{
	rd_rep_free(&st->sub.rep);
}
