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
	if (!--st->op_len)
		st->op_head = 0; /* empty: start again at the slots still in cache */
	st->q_nres = 0;
	st->q_err = -1;
	st->q_syntax = false;
}

void pg_res_reset(struct pg_res *r)
{
	struct pg_vals **rows = r->rows;
	unsigned cap = r->rows_cap;

	pg_cols_unref(r->cols);
	for (unsigned i = 0; i < r->nrows; i++)
		free(rows[i]);
	memset(r, 0, sizeof(*r));
	r->rows = rows; /* kept for the next result */
	r->rows_cap = cap;
}

/* A result ended (m: C, I, s or E, its body mb): its event is held until
 * ReadyForQuery. */
static void pg_result_end(struct pg_state *st, struct adi_emit *em,
			  const struct pg_op *op, const struct adi_msg *m,
			  const struct pg_body *mb)
{
	bool q = op && op->kind == OP_QUERY;

	pg_op_hold(st, em, op, m, mb, pg_op_ts(st, op, m), (int64_t)m->ts_last,
		   q ? op->q : NULL, st->q_nres);
	if (q) {
		if (m->kind == 'E' && st->q_err < 0) {
			st->q_err = (int)st->q_nres;
			st->q_syntax = mb->syntax;
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
			  struct pg_body *mb, struct pg_op *op)
{
	struct adi_jw *w;

	if (m->kind == PG_K_CANCEL) {
		/* sent on a connection of its own, never answered */
		w = adi_emit_begin(em);
		pg_w_base(w, st, NULL);
		adi_jw_kstr(w, "op", "cancel");
		adi_jw_kint(w, "backend_pid", mb->pid);
		pg_emit(em, m->ts_first, -1);
		return;
	}
	free(st->user);
	free(st->database);
	st->user = mb->user;
	st->database = mb->database;
	mb->user = mb->database = NULL;
	op->kind = OP_STARTUP;
	pg_op_push(st, op);
}

/* Parse: a statement (named, or the unnamed one) replaces its namesake. */
static void pg_fe_parse(struct pg_state *st, const struct adi_msg *m, struct pg_body *mb,
			struct pg_op *op)
{
	struct pg_stmt *s = pg_stmt_new(mb->name);

	if (!s)
		return;
	/* a Parse cut before its text still has one: empty */
	s->sql = mb->sql ? mb->sql : pg_text_new(NULL, 0, false);
	mb->sql = NULL;
	s->oids = mb->oids;
	mb->oids = NULL;
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
static void pg_fe_bind(struct pg_state *st, const struct adi_msg *m, struct pg_body *mb,
		       struct pg_op *op)
{
	struct pg_portal *p = pg_portal_new(mb->name, m->ts_first);

	if (!p)
		return;
	p->stmt = pg_stmt_get(st, mb->stmt);
	p->bound = true;
	p->vals = mb->vals;
	p->fmts = mb->fmts;
	p->rfmts = mb->rfmts;
	mb->vals = NULL;
	mb->fmts = mb->rfmts = NULL;
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
				 const struct pg_body *mb, struct pg_op *op)
{
	uint8_t what = mb->what;
	const char *name = mb->name;

	if (m->kind == 'C') {
		if (what == 'S')
			pg_stmt_drop(st, name, NULL);
		else
			pg_portal_drop(st, name, NULL);
		op->kind = OP_CLOSE;
	} else if (what == 'S') {
		op->kind = OP_DESC_S;
		op->stmt = pg_stmt_get(st, name);
	} else {
		op->kind = OP_DESC_P;
		op->portal = pg_portal_get(st, name, m->ts_first);
	}
	pg_op_push(st, op);
}

/* Execute: a later Execute of the same portal starts at its own first
 * byte, the first one where the portal's statement started. */
static void pg_fe_execute(struct pg_state *st, const struct adi_msg *m,
			  const struct pg_body *mb, struct pg_op *op)
{
	op->portal = pg_portal_get(st, mb->name, m->ts_first);
	if (op->portal) {
		op->ts = op->portal->executed ? m->ts_first : op->portal->ts_start;
		op->portal->executed = true;
	}
	op->kind = OP_EXEC;
	pg_op_push(st, op);
}

static void pg_fe_msg(struct pg_state *st, struct adi_emit *em, struct adi_msg *m,
		      struct pg_body *mb)
{
	struct pg_op op = { .ts = m->ts_first, .incomplete = m->incomplete };

	if (st->fe_skip && strchr("QPBDECF", m->kind))
		return; /* the server ignores these until Sync after an error */
	switch (m->kind) {
	case PG_K_STARTUP:
	case PG_K_CANCEL:
		pg_fe_startup(st, em, m, mb, &op);
		break;
	case 'Q':
		pg_stmt_drop(st, "", NULL); /* a simple query drops the unnamed one */
		pg_portal_drop(st, "", NULL);
		op.kind = OP_QUERY;
		op.q = mb->sql ? mb->sql : pg_text_new(NULL, 0, false);
		mb->sql = NULL;
		pg_op_push(st, &op);
		st->batch++;
		break;
	case 'P':
		pg_fe_parse(st, m, mb, &op);
		break;
	case 'B':
		pg_fe_bind(st, m, mb, &op);
		break;
	case 'D':
	case 'C':
		pg_fe_describe_close(st, m, mb, &op);
		break;
	case 'E':
		pg_fe_execute(st, m, mb, &op);
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
		st->fe_copy_bytes += mb->copy_bytes;
		st->fe_copy_msgs += mb->copy_msgs;
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
		     const struct pg_body *mb, bool pop)
{
	uint8_t tx = mb->tx;
	struct pg_op *o;

	while (pop && (o = pg_op_head(st))) {
		uint8_t k = o->kind;

		if ((k == OP_EXEC || (k == OP_QUERY && !st->q_nres)) && !o->lost) {
			pg_op_hold(st, em, o, NULL, NULL, o->ts, (int64_t)m->ts_last, NULL, 0);
			pg_res_reset(&st->res);
		}
		if (k == OP_QUERY)
			pg_query_done(st, o);
		pg_op_pop(st);
		if (k == OP_SYNC || k == OP_QUERY || k == OP_STARTUP || k == OP_FUNC)
			break;
	}
	pg_release(st, em, tx == 'I' ? "idle" : tx == 'T' ? "in_tx" :
		   tx == 'E' ? "failed" : NULL, (int64_t)m->ts_last);
	pg_res_reset(&st->res);
}

/* ParameterDescription: the types the Parse left open (0) or did not give. */
static void pg_be_paramdesc(struct pg_op *o, struct pg_body *mb)
{
	struct pg_list *have = o->stmt->oids, *n = mb->oids;

	for (uint32_t i = 0; n && i < n->n; i++)
		if (pg_list_at(have, i))
			n->v[i] = pg_list_at(have, i);
	free(o->stmt->oids);
	o->stmt->oids = n ? n : pg_list_new(NULL, 0);
	mb->oids = NULL;
}

/* RowDescription / NoData: the answer to a Describe (kept with its
 * statement or portal), or the columns of the result in progress. */
static void pg_be_rowdesc(struct pg_state *st, struct pg_op *o, const struct adi_msg *m,
			  struct pg_body *mb, bool result_op)
{
	uint8_t k = o ? o->kind : 0xff;
	struct pg_cols *c;

	if (k == OP_DESC_S || k == OP_DESC_P) {
		c = m->kind == 'T' ? mb->cols : NULL;
		mb->cols = NULL;
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
		st->res.cols = mb->cols;
		mb->cols = NULL;
	}
}

/* ErrorResponse: a refused startup, the end of a result, or an error that
 * makes the server skip to the Sync. */
static void pg_be_error(struct pg_state *st, struct adi_emit *em, struct pg_op *o,
			const struct adi_msg *m, const struct pg_body *mb)
{
	uint8_t k = o ? o->kind : 0xff;
	struct adi_jw *w;

	if (k == OP_STARTUP) {
		/* the server refused the connection (authentication...) */
		w = adi_emit_begin(em);
		pg_w_base(w, st, mb);
		adi_jw_kstr(w, "op", "startup");
		pg_emit(em, o->ts, (int64_t)m->ts_last);
		pg_op_pop(st);
	} else if (!o || k == OP_QUERY || k == OP_SYNC || k == OP_FUNC) {
		pg_result_end(st, em, k == OP_QUERY ? o : NULL, m, mb);
	} else {
		pg_result_end(st, em, k == OP_CLOSE ? NULL : o, m, mb);
		pg_skip_to_sync(st);
	}
}

/* A reply of the backend, matched with the request at the head. */
/* A sampled DataRow of the result in progress (its values moved there). */
static void pg_be_row(struct pg_state *st, const struct adi_proto_cfg *cfg, struct pg_body *mb)
{
	struct pg_res *r = &st->res;

	if (!mb->vals || r->nrows >= cfg->rows_sample)
		return;
	if (r->nrows == r->rows_cap) {
		unsigned cap = r->rows_cap ? r->rows_cap * 2 : 8;
		struct pg_vals **nr = realloc(r->rows, cap * sizeof(*nr));

		if (!nr)
			return;
		r->rows = nr;
		r->rows_cap = cap;
	}
	r->rows[r->nrows++] = mb->vals;
	mb->vals = NULL;
}

static void pg_be_msg(struct pg_state *st, struct adi_emit *em, struct adi_msg *m,
		      struct pg_body *mb)
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
		pg_ready(st, em, m, mb, pop);
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
			pg_be_paramdesc(o, mb);
		break;
	case 'T':
	case 'n':
		pg_be_rowdesc(st, o, m, mb, result_op);
		break;
	case 'D':
		if (result_op) {
			pg_be_row(st, em->cfg, mb);
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
		pg_result_end(st, em, o, m, mb);
		if (k == OP_EXEC)
			pg_op_pop(st);
		break;
	case 'E':
		pg_be_error(st, em, o, m, mb);
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
		pg_fe_msg(st, em, m, pg_body_of(st, m));
		adi_msg_free(m);
	}
	while ((m = adi_msgq_pop(be_q))) {
		pg_be_msg(st, em, m, pg_body_of(st, m));
		adi_msg_free(m);
	}
	if (!final)
		return;
	if ((o = pg_op_head(st)) && o->kind == OP_QUERY)
		pg_query_done(st, o);
	pg_release(st, em, NULL, -1);
	while ((o = pg_op_head(st))) {
		if ((o->kind == OP_EXEC || (o->kind == OP_QUERY && !st->q_nres)) && !o->lost)
			pg_op_emit(st, em, o, o->ts, -1);
		pg_res_reset(&st->res);
		pg_op_pop(st);
	}
	pg_res_reset(&st->res);
}
