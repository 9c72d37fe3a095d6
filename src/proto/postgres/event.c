/* event.c - the `sql_query` events of the PostgreSQL decoder
 * (docs/events.md, docs/postgres.md): one built per statement result from
 * the request, its statement and portal, the result's columns and sampled
 * rows and the message that ended it; then held until the ReadyForQuery
 * that gives its `tx` (struct pg_state held). Owns the held events until
 * they are emitted. Does not decide which reply ends which request
 * (stitch.c).
 */
#include <stdlib.h>
#include <string.h>

#include "pg.h"

void pg_emit(struct adi_emit *em, struct adi_jval *ev, uint64_t ts_start, int64_t ts_end)
{
	if (ts_end >= 0 && (uint64_t)ts_end < ts_start)
		ts_end = (int64_t)ts_start; /* replies matched across a loss */
	em->event(em, "sql_query", ts_start, ts_end, ev);
}

struct adi_jval *pg_ev_new(const struct pg_state *st)
{
	struct adi_jval *ev = adi_j_obj();

	if (!ev)
		return NULL;
	adi_j_set_str(ev, "db", "postgres");
	adi_j_set_null(ev, "sql");
	adi_j_set(ev, "params", adi_j_arr());
	adi_j_set_null(ev, "statement");
	adi_j_set_null(ev, "columns");
	adi_j_set_int(ev, "rows", 0);
	adi_j_set(ev, "rows_sample", adi_j_arr());
	adi_j_set_null(ev, "command_tag");
	adi_j_set_null(ev, "error");
	adi_j_set_null(ev, "tx");
	adi_j_set_str(ev, "database", st->database);
	adi_j_set_str(ev, "user", st->user);
	return ev;
}

/* sql of an event: the text whole up to PG_MAX_SQL, else cut ("truncated"). */
static void pg_set_sql(struct adi_jval *ev, const struct pg_text *t)
{
	bool trunc = t->cut;

	adi_j_set(ev, "sql", pg_out_text(t->s, t->len, PG_MAX_SQL, &trunc));
	if (trunc)
		adi_j_set_bool(ev, "truncated", true);
}

struct adi_jval *pg_error_obj(const struct adi_jval *f)
{
	static const char *const extra[] = { "severity", "detail", "hint" };
	struct adi_jval *e = adi_j_obj();

	adi_j_set_str(e, "code", adi_j_get_str(f, "code", NULL));
	adi_j_set_str(e, "message", adi_j_get_str(f, "message", NULL));
	for (size_t i = 0; i < 3; i++)
		if (adi_j_get(f, extra[i]))
			adi_j_set_str(e, extra[i], adi_j_get_str(f, extra[i], NULL));
	return e;
}

/* Rows from a command tag: INSERT oid n, UPDATE n, DELETE n, SELECT n,
 * MOVE n, FETCH n, COPY n, MERGE n. false for tags without a count. */
static bool pg_tag_rows(const char *tag, int64_t *rows)
{
	static const char *const counted[] = {
		"INSERT ", "UPDATE ", "DELETE ", "SELECT ", "MOVE ", "FETCH ",
		"COPY ", "MERGE ",
	};
	const char *sp = strrchr(tag, ' ');
	int64_t v = 0;
	bool ok = false;

	for (size_t i = 0; i < sizeof(counted) / sizeof(*counted); i++)
		ok |= !strncmp(tag, counted[i], strlen(counted[i]));
	if (!ok || !sp || !sp[1])
		return false;
	for (sp++; *sp; sp++) {
		if (*sp < '0' || *sp > '9' || v > (INT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (*sp - '0');
	}
	*rows = v;
	return true;
}

/* The bound values of a portal as event params. */
static struct adi_jval *pg_params(const struct pg_portal *po, const struct pg_stmt *s,
				  size_t max, bool *trunc)
{
	struct adi_jval *arr = adi_j_arr();

	for (size_t i = 0; po && i < adi_j_len(po->vals); i++) {
		uint32_t oid = (uint32_t)adi_j_as_int(adi_j_at(s ? s->oids : NULL, i), 0);

		adi_j_push(arr, pg_value(adi_j_at(po->vals, i), oid, pg_fmt_at(po->fmts, i),
					 max, trunc));
	}
	return arr;
}

/* The statement, portal and column description an op's result goes with. */
struct pg_ctx {
	struct pg_stmt *stmt;
	struct pg_portal *portal;
	struct pg_cols *cols;
	const struct adi_jval *rfmts; /* result formats when cols lack them */
	bool fmt_known;
};

static struct pg_ctx pg_ctx_of(struct pg_state *st, const struct pg_op *op)
{
	struct pg_ctx c = { 0 };

	if (op) {
		c.portal = op->portal;
		c.stmt = op->stmt ? op->stmt : op->portal ? op->portal->stmt : NULL;
	}
	if (!op || op->kind == OP_QUERY) {
		c.cols = st->res.cols; /* its formats are the real ones */
		c.fmt_known = true;
	} else if (c.portal && c.portal->described) {
		c.cols = c.portal->cols;
		c.fmt_known = true;
	} else if (c.portal && c.portal->vals) {
		/* a statement's Describe tells types, the Bind the formats */
		c.cols = c.stmt ? c.stmt->cols : NULL;
		c.rfmts = c.portal->rfmts;
		c.fmt_known = true;
	} else if (c.stmt) {
		c.cols = c.stmt->cols;
	}
	return c;
}

/* columns: the names of the result's columns. */
static struct adi_jval *pg_columns(const struct pg_cols *cols)
{
	struct adi_jval *arr = adi_j_arr();

	for (size_t i = 0; i < adi_j_len(cols->names); i++) {
		const struct adi_jval *nv = adi_j_at(cols->names, i);

		adi_j_push(arr, adi_j_bytes((const uint8_t *)adi_j_as_str(nv, ""), adi_j_len(nv)));
	}
	return arr;
}

/* rows_sample: the sampled rows, each value as text by its column's type
 * and format. */
static struct adi_jval *pg_rows_sample(const struct pg_state *st, const struct pg_ctx *c,
				       size_t max, bool *trunc)
{
	struct adi_jval *arr = adi_j_arr();

	for (size_t r = 0; r < adi_j_len(st->res.sample); r++) {
		const struct adi_jval *row = adi_j_at(st->res.sample, r);
		struct adi_jval *out = adi_j_arr();

		for (size_t i = 0; i < adi_j_len(row); i++) {
			uint32_t oid = (uint32_t)adi_j_as_int(adi_j_at(c->cols ? c->cols->oids : NULL,
								       i), 0);
			int fmt = !c->fmt_known ? -1 :
				  c->rfmts ? pg_fmt_at(c->rfmts, i) :
				  c->cols ? (int)adi_j_as_int(adi_j_at(c->cols->fmts, i), 0) : 0;

			adi_j_push(out, pg_value(adi_j_at(row, i), oid, fmt, max, trunc));
		}
		adi_j_push(arr, out);
	}
	return arr;
}

/* copy: the direction and what it moved (the backend's CopyData counted on
 * the ending message f, the frontend's on the connection). */
static struct adi_jval *pg_copy_obj(struct pg_state *st, const struct adi_jval *f)
{
	struct adi_jval *cp = adi_j_obj();
	int64_t bytes = adi_j_get_int(f, "cb", 0), msgs = adi_j_get_int(f, "cm", 0);

	if (st->res.copy_dir != 'o') { /* in, both: what the frontend sent */
		bytes += (int64_t)st->fe_copy_bytes;
		msgs += (int64_t)st->fe_copy_msgs;
		st->fe_copy_bytes = st->fe_copy_msgs = 0;
	}
	adi_j_set_str(cp, "direction", st->res.copy_dir == 'i' ? "in" :
				       st->res.copy_dir == 'o' ? "out" : "both");
	adi_j_set_int(cp, "bytes", bytes);
	adi_j_set_int(cp, "messages", msgs);
	return cp;
}

struct adi_jval *pg_op_event(struct pg_state *st, const struct adi_proto_cfg *cfg,
			     const struct pg_op *op, const struct adi_msg *m)
{
	struct adi_jval *ev = pg_ev_new(st), *f = m ? m->fields : NULL;
	struct pg_ctx c = pg_ctx_of(st, op);
	size_t max = cfg->body_bytes;
	bool trunc = false, incomplete = !m || m->incomplete || st->res.incomplete ||
					 (op && op->incomplete);
	const char *tag = NULL;
	int64_t rows = adi_j_get_int(f, "rows", 0);

	if (!ev)
		return NULL;
	if (op && op->q)
		pg_set_sql(ev, op->q);
	else if (c.stmt && c.stmt->sql)
		pg_set_sql(ev, c.stmt->sql);
	if (c.portal && c.portal->vals)
		adi_j_set(ev, "params", pg_params(c.portal, c.stmt, max, &trunc));
	if (c.stmt && c.stmt->n.name[0])
		adi_j_set(ev, "statement", adi_j_bytes((const uint8_t *)c.stmt->n.name,
						       strlen(c.stmt->n.name)));
	if (c.cols)
		adi_j_set(ev, "columns", pg_columns(c.cols));
	if (m && m->kind == 'C') {
		tag = adi_j_get_str(f, "tag", "");
		pg_tag_rows(tag, &rows);
	}
	adi_j_set_int(ev, "rows", rows);
	adi_j_set(ev, "rows_sample", pg_rows_sample(st, &c, max, &trunc));
	if (tag)
		adi_j_set(ev, "command_tag", pg_out_text((const uint8_t *)tag,
							 adi_j_len(adi_j_get(f, "tag")),
							 PG_KEEP_TAG, &trunc));
	if (m && m->kind == 'E')
		adi_j_set(ev, "error", pg_error_obj(f));
	if (m && m->kind == 's')
		adi_j_set_bool(ev, "suspended", true);
	if (st->res.copy)
		adi_j_set(ev, "copy", pg_copy_obj(st, f));
	if (c.portal && c.portal->incomplete)
		incomplete = true;
	if (trunc)
		adi_j_set_bool(ev, "truncated", true);
	if (incomplete)
		adi_j_set_bool(ev, "incomplete", true);
	return ev;
}

uint64_t pg_op_ts(const struct pg_state *st, const struct pg_op *op, const struct adi_msg *m)
{
	if (op)
		return op->ts;
	return st->res.any && st->res.ts_first ? st->res.ts_first : m->ts_first;
}

/* ---- events held until ReadyForQuery ---- */

/* pg_hold(): too many waiting, the oldest goes out now, with tx null. */
void pg_hold(struct pg_state *st, struct adi_emit *em, struct adi_jval *ev,
	     uint64_t ts_start, int64_t ts_end, struct pg_text *q, unsigned qi)
{
	struct pg_held *h;

	if (!ev)
		return;
	if (st->nheld == PG_MAX_HELD) {
		pg_emit(em, st->held[0].ev, st->held[0].ts_start, st->held[0].ts_end);
		pg_text_unref(st->held[0].q);
		memmove(st->held, st->held + 1, --st->nheld * sizeof(*st->held));
	}
	if (st->nheld == st->held_cap) {
		unsigned cap = st->held_cap ? st->held_cap * 2 : 16;
		struct pg_held *nh = realloc(st->held, cap * sizeof(*nh));

		if (!nh) {
			pg_emit(em, ev, ts_start, ts_end);
			return;
		}
		st->held = nh;
		st->held_cap = cap;
	}
	h = &st->held[st->nheld++];
	h->ev = ev;
	h->ts_start = ts_start;
	h->ts_end = ts_end;
	h->q = q;
	if (q)
		q->ref++;
	h->qi = qi;
}

void pg_release(struct pg_state *st, struct adi_emit *em, const char *tx, int64_t ts_end)
{
	for (unsigned i = 0; i < st->nheld; i++) {
		struct pg_held *h = &st->held[i];

		if (tx)
			adi_j_set_str(h->ev, "tx", tx);
		if (ts_end >= 0 && i == st->nheld - 1)
			h->ts_end = ts_end;
		pg_emit(em, h->ev, h->ts_start, h->ts_end);
		pg_text_unref(h->q);
	}
	st->nheld = 0;
}

void pg_held_clear(struct pg_state *st)
{
	for (unsigned i = 0; i < st->nheld; i++) {
		adi_j_free(st->held[i].ev);
		pg_text_unref(st->held[i].q);
	}
	free(st->held);
	st->held = NULL;
	st->nheld = st->held_cap = 0;
}
