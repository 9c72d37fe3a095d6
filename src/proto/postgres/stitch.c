/* stitch.c - stitch() of the PostgreSQL decoder: the conversation replayed
 * in order. Frontend requests change the statement and portal tables as
 * the server does and queue what awaits a reply (struct pg_state ops, a
 * bounded FIFO); backend replies are matched with the request at its
 * head, results gathered (struct pg_res) and ended into events (event.c),
 * which ReadyForQuery releases. Owns the FIFO and the result in progress;
 * takes and frees the queued messages it is given.
 */
#include <stdlib.h>
#include <string.h>

#include "pg.h"

/* ---- requests awaiting replies ---- */

static struct pg_op *pg_op_head(struct pg_state *st)
{
	return st->op_len ? &st->ops[st->op_head] : NULL;
}

/* Queue a request (its references are taken). A full FIFO drops requests
 * until the next Sync, which still goes in (one slot is kept for it),
 * marked lost: replies before it are then ignored. */
static void pg_op_push(struct pg_state *st, const struct pg_op *op)
{
	struct pg_op *o;

	if (st->ops_full && op->kind != OP_SYNC)
		goto drop;
	if (st->op_len >= PG_MAX_OPS - (op->kind == OP_SYNC ? 0 : 1)) {
		st->ops_full = true;
		goto drop;
	}
	o = &st->ops[(st->op_head + st->op_len++) % PG_MAX_OPS];
	*o = *op;
	if (op->kind == OP_SYNC) {
		o->lost = st->ops_full;
		st->ops_full = false;
	}
	return;
drop:
	pg_stmt_unref(op->stmt);
	pg_portal_unref(op->portal);
	pg_text_unref(op->q);
}

void pg_op_pop(struct pg_state *st)
{
	struct pg_op *o = pg_op_head(st);

	if (!o)
		return;
	pg_stmt_unref(o->stmt);
	pg_portal_unref(o->portal);
	pg_text_unref(o->q);
	memset(o, 0, sizeof(*o));
	st->op_head = (st->op_head + 1) % PG_MAX_OPS;
	st->op_len--;
	st->q_nres = 0;
	st->q_err = -1;
	st->q_syntax = false;
}

void pg_res_reset(struct pg_res *r)
{
	pg_cols_unref(r->cols);
	adi_j_free(r->sample);
	memset(r, 0, sizeof(*r));
}

/* A result ended (m: C, I, s or E): its event is held until ReadyForQuery. */
static void pg_result_end(struct pg_state *st, struct adi_emit *em,
			  const struct pg_op *op, const struct adi_msg *m)
{
	struct adi_jval *ev = pg_op_event(st, em->cfg, op, m);
	bool q = op && op->kind == OP_QUERY;

	pg_hold(st, em, ev, pg_op_ts(st, op, m), (int64_t)m->ts_last, q ? op->q : NULL,
		st->q_nres);
	if (q) {
		if (m->kind == 'E' && st->q_err < 0) {
			st->q_err = (int)st->q_nres;
			st->q_syntax = !strcmp(adi_j_get_str(m->fields, "code", ""), "42601");
		}
		st->q_nres++;
	}
	pg_res_reset(&st->res);
}

/* ---- the frontend's requests ----
 *
 * Each changes the statement and portal tables as the server changes them
 * (in order) and queues op (prefilled with the request's time) when it
 * awaits a reply. */

/* StartupMessage: who and where; CancelRequest: an event of its own. */
static void pg_fe_startup(struct pg_state *st, struct adi_emit *em, const struct adi_msg *m,
			  struct pg_op *op)
{
	const struct adi_jval *f = m->fields;
	struct adi_jval *ev;

	if (m->kind == PG_K_CANCEL) {
		/* sent on a connection of its own, never answered */
		ev = pg_ev_new(st);
		adi_j_set_str(ev, "op", "cancel");
		adi_j_set_int(ev, "backend_pid", adi_j_get_int(f, "pid", 0));
		pg_emit(em, ev, m->ts_first, -1);
		return;
	}
	free(st->user);
	free(st->database);
	st->user = adi_j_get(f, "user") ? strdup(adi_j_get_str(f, "user", "")) : NULL;
	st->database = adi_j_get(f, "database") ? strdup(adi_j_get_str(f, "database", "")) : NULL;
	op->kind = OP_STARTUP;
	pg_op_push(st, op);
}

/* Parse: a statement (named, or the unnamed one) replaces its namesake. */
static void pg_fe_parse(struct pg_state *st, const struct adi_msg *m, struct pg_op *op)
{
	struct pg_stmt *s = calloc(1, sizeof(*s));

	if (!s || !(s->n.name = pg_name(m->fields, "name"))) {
		free(s);
		return;
	}
	s->n.ref = 1;
	s->sql = pg_text_of(m->fields);
	s->oids = adi_j_take(m->fields, "oids");
	s->parse_ts = m->ts_first;
	s->batch = st->batch;
	s->fresh = true;
	s->incomplete = m->incomplete;
	pg_stmt_put(st, s);
	op->kind = OP_PARSE;
	op->stmt = s;
	pg_op_push(st, op);
}

/* Bind: a portal over a statement (known, or a ghost) with its values. */
static void pg_fe_bind(struct pg_state *st, const struct adi_msg *m, struct pg_op *op)
{
	struct adi_jval *f = m->fields;
	struct pg_portal *p = calloc(1, sizeof(*p));
	char *name;

	if (!p || !(p->n.name = pg_name(f, "portal"))) {
		free(p);
		return;
	}
	p->n.ref = 1;
	name = pg_name(f, "stmt");
	p->stmt = name ? pg_stmt_get(st, name) : NULL;
	free(name);
	p->vals = adi_j_take(f, "v");
	if (!p->vals)
		p->vals = adi_j_arr();
	p->fmts = adi_j_take(f, "f");
	p->rfmts = adi_j_take(f, "r");
	p->incomplete = m->incomplete || (p->stmt && p->stmt->incomplete);
	/* the statement's request starts at its Parse when that came
	 * in this batch and no other Bind took it, else here */
	p->ts_start = m->ts_first;
	if (p->stmt && p->stmt->sql && p->stmt->fresh && p->stmt->batch == st->batch)
		p->ts_start = p->stmt->parse_ts;
	if (p->stmt)
		p->stmt->fresh = false;
	pg_portal_put(st, p);
	op->kind = OP_BIND;
	op->ts = p->ts_start;
	op->portal = p;
	pg_op_push(st, op);
}

/* Describe / Close of a statement ('S') or a portal. */
static void pg_fe_describe_close(struct pg_state *st, const struct adi_msg *m,
				 struct pg_op *op)
{
	const char *what = adi_j_get_str(m->fields, "what", "");
	char *name = pg_name(m->fields, "name");

	if (!name)
		return;
	if (m->kind == 'C') {
		if (*what == 'S')
			pg_stmt_drop(st, name, NULL);
		else
			pg_portal_drop(st, name, NULL);
		op->kind = OP_CLOSE;
	} else if (*what == 'S') {
		op->kind = OP_DESC_S;
		op->stmt = pg_stmt_get(st, name);
	} else {
		op->kind = OP_DESC_P;
		op->portal = pg_portal_get(st, name, m->ts_first);
	}
	free(name);
	pg_op_push(st, op);
}

/* Execute: a later Execute of the same portal starts at its own first
 * byte, the first one where the portal's statement started. */
static void pg_fe_execute(struct pg_state *st, const struct adi_msg *m, struct pg_op *op)
{
	char *name = pg_name(m->fields, "portal");

	op->portal = name ? pg_portal_get(st, name, m->ts_first) : NULL;
	free(name);
	if (op->portal) {
		op->ts = op->portal->executed ? m->ts_first : op->portal->ts_start;
		op->portal->executed = true;
	}
	op->kind = OP_EXEC;
	pg_op_push(st, op);
}

static void pg_fe_msg(struct pg_state *st, struct adi_emit *em, struct adi_msg *m)
{
	struct pg_op op = { .ts = m->ts_first, .incomplete = m->incomplete };

	if (st->fe_skip && strchr("QPBDECF", m->kind))
		return; /* the server ignores these until Sync after an error */
	switch (m->kind) {
	case PG_K_STARTUP:
	case PG_K_CANCEL:
		pg_fe_startup(st, em, m, &op);
		break;
	case 'Q':
		pg_stmt_drop(st, "", NULL); /* a simple query drops the unnamed one */
		pg_portal_drop(st, "", NULL);
		op.kind = OP_QUERY;
		op.q = pg_text_of(m->fields);
		pg_op_push(st, &op);
		st->batch++;
		break;
	case 'P':
		pg_fe_parse(st, m, &op);
		break;
	case 'B':
		pg_fe_bind(st, m, &op);
		break;
	case 'D':
	case 'C':
		pg_fe_describe_close(st, m, &op);
		break;
	case 'E':
		pg_fe_execute(st, m, &op);
		break;
	case 'S':
		st->fe_skip = false;
		op.kind = OP_SYNC;
		pg_op_push(st, &op);
		st->batch++;
		break;
	case 'F':
		op.kind = OP_FUNC;
		pg_op_push(st, &op);
		break;
	case 'c':
	case 'f':
		st->fe_copy_bytes += (uint64_t)adi_j_get_int(m->fields, "cb", 0);
		st->fe_copy_msgs += (uint64_t)adi_j_get_int(m->fields, "cm", 0);
		break;
	}
}

/* ---- the backend's replies ---- */

/* Drop the requests the server skips after an error, up to the Sync. */
static void pg_skip_to_sync(struct pg_state *st)
{
	struct pg_op *o;

	while ((o = pg_op_head(st)) && o->kind != OP_SYNC) {
		/* a skipped (or the failed) Parse / Bind created nothing */
		if (o->kind == OP_PARSE && o->stmt)
			pg_stmt_drop(st, o->stmt->n.name, o->stmt);
		if (o->kind == OP_BIND && o->portal)
			pg_portal_drop(st, o->portal->n.name, o->portal);
		pg_op_pop(st);
	}
	if (!o)
		st->fe_skip = true;
}

/* ReadyForQuery: the batch (or simple query) at the head is over. Its
 * held events get tx and go out, the last one ending with this message.
 * Requests still queued before the Sync got no reply (lost bytes): an
 * Execute or a simple query among them still makes an event, incomplete. */
static void pg_ready(struct pg_state *st, struct adi_emit *em, const struct adi_msg *m,
		     bool pop)
{
	const char *tx = adi_j_get_str(m->fields, "tx", "");
	struct pg_op *o;

	while (pop && (o = pg_op_head(st))) {
		uint8_t k = o->kind;

		if ((k == OP_EXEC || (k == OP_QUERY && !st->q_nres)) && !o->lost) {
			pg_hold(st, em, pg_op_event(st, em->cfg, o, NULL), o->ts,
				(int64_t)m->ts_last, NULL, 0);
			pg_res_reset(&st->res);
		}
		if (k == OP_QUERY)
			pg_query_done(st, o);
		pg_op_pop(st);
		if (k == OP_SYNC || k == OP_QUERY || k == OP_STARTUP || k == OP_FUNC)
			break;
	}
	pg_release(st, em, *tx == 'I' ? "idle" : *tx == 'T' ? "in_tx" :
		   *tx == 'E' ? "failed" : NULL, (int64_t)m->ts_last);
	pg_res_reset(&st->res);
}

/* ParameterDescription: the types the Parse left open (0) or did not give. */
static void pg_be_paramdesc(struct pg_op *o, const struct adi_msg *m)
{
	struct adi_jval *oids = adi_j_get(m->fields, "oids");
	struct adi_jval *have = o->stmt->oids, *n = adi_j_arr();

	for (size_t i = 0; i < adi_j_len(oids); i++) {
		int64_t v = adi_j_as_int(adi_j_at(have, i), 0);

		adi_j_push(n, adi_j_int(v ? v : adi_j_as_int(adi_j_at(oids, i), 0)));
	}
	adi_j_free(o->stmt->oids);
	o->stmt->oids = n;
}

/* RowDescription / NoData: the answer to a Describe (kept with its
 * statement or portal), or the columns of the result in progress. */
static void pg_be_rowdesc(struct pg_state *st, struct pg_op *o, const struct adi_msg *m,
			  bool result_op)
{
	uint8_t k = o ? o->kind : 0xff;
	struct pg_cols *c;

	if (k == OP_DESC_S || k == OP_DESC_P) {
		c = m->kind == 'T' ? pg_cols_from(m->fields) : NULL;
		if (k == OP_DESC_S && o->stmt) {
			pg_cols_unref(o->stmt->cols);
			o->stmt->cols = c;
		} else if (o->portal) {
			pg_cols_unref(o->portal->cols);
			o->portal->cols = c;
			o->portal->described = true;
		} else {
			pg_cols_unref(c);
		}
		pg_op_pop(st);
		pg_res_reset(&st->res);
	} else if (m->kind == 'T' && result_op) {
		pg_cols_unref(st->res.cols);
		st->res.cols = pg_cols_from(m->fields);
	}
}

/* ErrorResponse: a refused startup, the end of a result, or an error that
 * makes the server skip to the Sync. */
static void pg_be_error(struct pg_state *st, struct adi_emit *em, struct pg_op *o,
			const struct adi_msg *m)
{
	uint8_t k = o ? o->kind : 0xff;
	struct adi_jval *ev;

	if (k == OP_STARTUP) {
		/* the server refused the connection (authentication...) */
		ev = pg_ev_new(st);
		adi_j_set(ev, "error", pg_error_obj(m->fields));
		adi_j_set_str(ev, "op", "startup");
		pg_emit(em, ev, o->ts, (int64_t)m->ts_last);
		pg_op_pop(st);
	} else if (!o || k == OP_QUERY || k == OP_SYNC || k == OP_FUNC) {
		pg_result_end(st, em, k == OP_QUERY ? o : NULL, m);
	} else {
		pg_result_end(st, em, k == OP_CLOSE ? NULL : o, m);
		pg_skip_to_sync(st);
	}
}

/* A reply of the backend, matched with the request at the head. */
static void pg_be_msg(struct pg_state *st, struct adi_emit *em, struct adi_msg *m)
{
	struct pg_op *o = pg_op_head(st);
	uint8_t k;
	bool result_op, pop = true;

	if (o && o->lost && m->kind != 'Z')
		return; /* replies to requests dropped when the FIFO was full */
	if (o && m->ts_last < o->ts) {
		/* over before the request began: not its reply (bytes lost,
		 * or a request seen twice) */
		o = NULL;
		pop = false;
	}
	k = o ? o->kind : 0xff;
	result_op = !o || k == OP_QUERY || k == OP_EXEC;
	if (!st->res.any && (m->kind == 'T' || m->kind == 'D' || strchr("GHW", m->kind))) {
		st->res.any = true;
		st->res.ts_first = m->ts_first;
	}
	switch (m->kind) {
	case 'Z':
		pg_ready(st, em, m, pop);
		break;
	case '1':
	case '2':
	case '3':
		/* ParseComplete, BindComplete, CloseComplete */
		if (k == (m->kind == '1' ? OP_PARSE : m->kind == '2' ? OP_BIND : OP_CLOSE))
			pg_op_pop(st);
		break;
	case 't':
		if (k == OP_DESC_S && o->stmt)
			pg_be_paramdesc(o, m);
		break;
	case 'T':
	case 'n':
		pg_be_rowdesc(st, o, m, result_op);
		break;
	case 'D':
		if (result_op) {
			if (!st->res.sample)
				st->res.sample = adi_j_arr();
			if (adi_j_len(st->res.sample) < em->cfg->rows_sample)
				adi_j_push(st->res.sample, adi_j_take(m->fields, "v"));
			st->res.incomplete |= m->incomplete;
		}
		break;
	case 'G':
	case 'H':
	case 'W':
		if (result_op) {
			st->res.copy = true;
			st->res.copy_dir = m->kind == 'G' ? 'i' : m->kind == 'H' ? 'o' : 'b';
		}
		break;
	case 'C':
	case 'I':
	case 's':
		if (!result_op) {
			o = NULL; /* not what the head awaits: a reply of its own */
			k = 0xff;
		}
		pg_result_end(st, em, o, m);
		if (k == OP_EXEC)
			pg_op_pop(st);
		break;
	case 'E':
		pg_be_error(st, em, o, m);
		break;
	}
}

/* stitch(): every queued message is taken at once: the frontend's first
 * (requests are queued in st, with their statements and portals), then
 * the backend's, replayed against the requests in order. Events wait for
 * the ReadyForQuery of their batch (for tx); final: the held ones go out
 * with tx null, then every request still unanswered (an Execute, a simple
 * query) as an event without an end. */
void pg_stitch(void *vst, struct adi_msgq *out_q, struct adi_msgq *in_q,
	       struct adi_emit *em, bool final)
{
	struct pg_state *st = vst;
	struct adi_msgq *fe_q = st->fe_in ? in_q : out_q;
	struct adi_msgq *be_q = st->fe_in ? out_q : in_q;
	struct adi_msg *m;
	struct pg_op *o;

	while ((m = adi_msgq_pop(fe_q))) {
		pg_fe_msg(st, em, m);
		adi_msg_free(m);
	}
	while ((m = adi_msgq_pop(be_q))) {
		pg_be_msg(st, em, m);
		adi_msg_free(m);
	}
	if (!final)
		return;
	if ((o = pg_op_head(st)) && o->kind == OP_QUERY)
		pg_query_done(st, o);
	pg_release(st, em, NULL, -1);
	while ((o = pg_op_head(st))) {
		if ((o->kind == OP_EXEC || (o->kind == OP_QUERY && !st->q_nres)) && !o->lost)
			pg_emit(em, pg_op_event(st, em->cfg, o, NULL), o->ts, -1);
		pg_res_reset(&st->res);
		pg_op_pop(st);
	}
	pg_res_reset(&st->res);
}
