/* event.c - the events of the PostgreSQL decoder (docs/events.md,
 * docs/postgres.md). `sql_query`: one written per statement result from
 * the request, its statement and portal, the result's columns and sampled
 * rows and the message that ended it, straight into a writer; then held,
 * as text, until the ReadyForQuery that gives its `tx` (struct pg_state
 * held). `db_session`: the head of one, written at once. Owns the held
 * events until they are emitted. Does not decide which reply ends which
 * request (stitch.c).
 */
#include <stdlib.h>
#include <string.h>

#include "pg.h"

void pg_emit_kind(struct adi_emit *em, const char *kind, uint64_t ts_start, int64_t ts_end)
{
	if (ts_end >= 0 && (uint64_t)ts_end < ts_start)
		ts_end = (int64_t)ts_start; /* replies matched across a loss */
	em->emit(em, kind, ts_start, ts_end);
}

void pg_emit(struct adi_emit *em, uint64_t ts_start, int64_t ts_end)
{
	pg_emit_kind(em, "sql_query", ts_start, ts_end);
}

/* A raw wire string (the login facts, a statement name) or null. */
static void pg_w_kname(struct adi_jw *w, const char *k, const char *s)
{
	adi_jw_key(w, k);
	if (s)
		adi_jw_bytes(w, (const uint8_t *)s, strlen(s));
	else
		adi_jw_null(w);
}

/* The error object of an ErrorResponse (written by parse(); one whose body
 * is gone says nothing but its two members). */
static void pg_w_error(struct adi_jw *w, const char *err, size_t err_len)
{
	adi_jw_key(w, "error");
	static const char none[] = "{\"code\":null,\"message\":null}";

	if (err)
		adi_jw_raw(w, err, err_len);
	else
		adi_jw_raw(w, none, sizeof(none) - 1);
}

struct adi_jw *pg_session_begin(struct adi_emit *em, const struct pg_state *st,
				const char *op, const struct pg_body *err)
{
	struct adi_jw *w = adi_emit_begin(em);

	adi_jw_kstr(w, "db", "postgres");
	adi_jw_kstr(w, "op", op);
	pg_w_kname(w, "database", st->database);
	pg_w_kname(w, "user", st->user);
	if (err)
		pg_w_error(w, err->err, err->err_len);
	else
		adi_jw_knull(w, "error");
	return w;
}

/* Rows from a command tag: INSERT oid n, UPDATE n, DELETE n, SELECT n,
 * MOVE n, FETCH n, COPY n, MERGE n. false for tags without a count. */
static bool pg_tag_rows(const char *tag, int64_t *rows)
{
	const char *sp;
	int64_t v = 0;
	bool ok;

	switch (tag[0]) { /* the command names the tag starts with */
	case 'I': ok = !strncmp(tag, "INSERT ", 7); break;
	case 'U': ok = !strncmp(tag, "UPDATE ", 7); break;
	case 'D': ok = !strncmp(tag, "DELETE ", 7); break;
	case 'S': ok = !strncmp(tag, "SELECT ", 7); break;
	case 'M': ok = !strncmp(tag, "MOVE ", 5) || !strncmp(tag, "MERGE ", 6); break;
	case 'F': ok = !strncmp(tag, "FETCH ", 6); break;
	case 'C': ok = !strncmp(tag, "COPY ", 5); break;
	default: ok = false; break;
	}
	sp = ok ? strrchr(tag, ' ') : NULL;
	if (!sp || !sp[1])
		return false;
	for (sp++; *sp; sp++) {
		if (*sp < '0' || *sp > '9' || v > (INT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (*sp - '0');
	}
	*rows = v;
	return true;
}

/* The statement, portal and column description an op's result goes with. */
struct pg_ctx {
	struct pg_stmt *stmt;
	struct pg_portal *portal;
	struct pg_cols *cols;
	const struct pg_list *rfmts; /* result formats when cols lack them */
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
	} else if (c.portal && c.portal->bound) {
		/* a statement's Describe tells types, the Bind the formats */
		c.cols = c.stmt ? c.stmt->cols : NULL;
		c.rfmts = c.portal->rfmts;
		c.fmt_known = true;
	} else if (c.stmt) {
		c.cols = c.stmt->cols;
	}
	return c;
}

/* rows_sample: the sampled rows, each value as text by its column's type
 * and format. */
static void pg_w_rows_sample(struct adi_jw *w, const struct pg_state *st,
			     const struct pg_ctx *c, size_t max, bool *trunc)
{
	const struct pg_cols *cols = c->cols;

	adi_jw_karr(w, "rows_sample");
	for (unsigned r = 0; r < st->res.nrows; r++) {
		const struct pg_vals *row = st->res.rows[r];

		adi_jw_arr(w);
		for (size_t i = 0; i < row->n; i++) {
			uint32_t oid = cols && i < cols->n ? cols->oids[i] : 0;
			int fmt = !c->fmt_known ? -1 :
				  c->rfmts ? pg_fmt_at(c->rfmts, i) :
				  cols && i < cols->n ? cols->fmts[i] : 0;

			pg_w_value(w, row, i, oid, fmt, max, trunc);
		}
		adi_jw_arr_end(w);
	}
	adi_jw_arr_end(w);
}

/* copy: the direction and what it moved (the backend's CopyData counted on
 * the ending message's body mb, the frontend's on the connection). */
static void pg_w_copy(struct adi_jw *w, struct pg_state *st, const struct pg_body *mb)
{
	int64_t bytes = mb ? (int64_t)mb->copy_bytes : 0;
	int64_t msgs = mb ? (int64_t)mb->copy_msgs : 0;

	if (st->res.copy_dir != 'o') { /* in, both: what the frontend sent */
		bytes += (int64_t)st->fe_copy_bytes;
		msgs += (int64_t)st->fe_copy_msgs;
		st->fe_copy_bytes = st->fe_copy_msgs = 0;
	}
	adi_jw_kobj(w, "copy");
	adi_jw_kstr(w, "direction", st->res.copy_dir == 'i' ? "in" :
				     st->res.copy_dir == 'o' ? "out" : "both");
	adi_jw_kint(w, "bytes", bytes);
	adi_jw_kint(w, "messages", msgs);
	adi_jw_obj_end(w);
}

/* Where the values of sql and tx lie in an event's text. */
struct pg_at {
	size_t sql_at, sql_end, tx_at, tx_end;
};

/* The event of an op's result into w, in the order of docs/events.md, then
 * the extras of docs/postgres.md; *at says where sql and tx are. */
static void pg_op_write(struct pg_state *st, const struct adi_proto_cfg *cfg,
			const struct pg_op *op, const struct adi_msg *m,
			const struct pg_body *mb, struct adi_jw *w, struct pg_at *at)
{
	struct pg_ctx c = pg_ctx_of(st, op);
	const struct pg_text *sql = op && op->q ? op->q : c.stmt ? c.stmt->sql : NULL;
	const struct pg_portal *po = c.portal;
	size_t max = cfg->body_bytes;
	bool trunc = false, sql_cut = false;
	bool incomplete = !m || m->incomplete || st->res.incomplete || (op && op->incomplete) ||
			  (po && po->incomplete);
	int kind = m ? m->kind : 0;
	int64_t rows = mb ? (int64_t)mb->rows : 0;

	adi_jw_kstr(w, "db", "postgres");
	adi_jw_key(w, "sql");
	at->sql_at = w->len;
	if (sql) {
		/* the text whole up to PG_MAX_SQL, else cut ("truncated") */
		sql_cut = sql->cut;
		pg_w_text(w, sql->s, sql->len, PG_MAX_SQL, &sql_cut);
	} else {
		adi_jw_null(w);
	}
	at->sql_end = w->len;
	adi_jw_karr(w, "params");
	for (size_t i = 0; po && po->bound && po->vals && i < po->vals->n; i++)
		pg_w_value(w, po->vals, i, pg_list_at(c.stmt ? c.stmt->oids : NULL, i),
			   pg_fmt_at(po->fmts, i), max, &trunc);
	adi_jw_arr_end(w);
	pg_w_kname(w, "statement", c.stmt && c.stmt->n.name[0] ? c.stmt->n.name : NULL);
	adi_jw_key(w, "columns");
	if (c.cols)
		adi_jw_raw(w, c.cols->json, c.cols->json_len);
	else
		adi_jw_null(w);
	if (kind == 'C')
		pg_tag_rows(mb->tag, &rows);
	adi_jw_kint(w, "rows", rows);
	pg_w_rows_sample(w, st, &c, max, &trunc);
	adi_jw_key(w, "command_tag");
	if (kind == 'C')
		pg_w_text(w, (const uint8_t *)mb->tag, mb->tag_len, PG_KEEP_TAG, &trunc);
	else
		adi_jw_null(w);
	if (kind == 'E')
		pg_w_error(w, mb->err, mb->err_len);
	else
		adi_jw_knull(w, "error");
	adi_jw_key(w, "tx");
	at->tx_at = w->len;
	adi_jw_null(w);
	at->tx_end = w->len;
	pg_w_kname(w, "database", st->database);
	pg_w_kname(w, "user", st->user);
	if (sql_cut)
		adi_jw_kbool(w, "truncated", true); /* first of the extras */
	if (kind == 's')
		adi_jw_kbool(w, "suspended", true);
	if (st->res.copy)
		pg_w_copy(w, st, mb);
	if (trunc && !sql_cut)
		adi_jw_kbool(w, "truncated", true);
	if (incomplete)
		adi_jw_kbool(w, "incomplete", true);
}

void pg_op_emit(struct pg_state *st, struct adi_emit *em, const struct pg_op *op,
		uint64_t ts_start, int64_t ts_end)
{
	struct pg_at at;

	pg_op_write(st, em->cfg, op, NULL, NULL, adi_emit_begin(em), &at);
	pg_emit(em, ts_start, ts_end);
}

uint64_t pg_op_ts(const struct pg_state *st, const struct pg_op *op, const struct adi_msg *m)
{
	if (op)
		return op->ts;
	return st->res.any && st->res.ts_first ? st->res.ts_first : m->ts_first;
}

/* ---- events held until ReadyForQuery ---- */

/* A held event into em's writer, with tx (NULL: as written, null) and the
 * split statement's text when it has one, then out. */
static void pg_held_emit(struct adi_emit *em, const struct pg_held *h, const char *tx)
{
	struct adi_jw *w = adi_emit_begin(em);
	const char *t = h->w.buf;
	size_t base = w->len, sql_end, tx_end;

	if (h->w.err || !t)
		return; /* memory ran out while it was written */
	/* the text is copied as is, but for the split statement and tx */
	adi_jw_put(w, t, h->sql_at);
	if (h->split) {
		bool trunc = false;

		pg_w_text(w, h->q->s + h->off, h->len, PG_MAX_SQL, &trunc);
	} else {
		adi_jw_put(w, t + h->sql_at, h->sql_end - h->sql_at);
	}
	sql_end = w->len - base;
	adi_jw_put(w, t + h->sql_end, h->tx_at - h->sql_end);
	if (tx)
		adi_jw_str(w, tx);
	else
		adi_jw_put(w, t + h->tx_at, h->tx_end - h->tx_at);
	tx_end = w->len - base;
	adi_jw_put(w, t + h->tx_end, h->w.len - h->tx_end);
	/* the members where they now lie, when a sink reads the index:
	 * those after the statement and after tx moved with them */
	w->escaped |= h->w.escaped;
	for (uint32_t i = 0; em->cfg->member_index && i < h->w.nmem; i++) {
		/* past the index's room a member is only counted (w is then
		 * read as text) */
		bool kept = i < ADI_JW_INDEX;
		size_t off = kept ? h->w.mem[i].off : 0;

		if (off >= h->tx_end)
			off = off - h->tx_end + tx_end;
		else if (off >= h->sql_end)
			off = off - h->sql_end + sql_end;
		adi_jw_note_member(w, base + off, kept ? h->w.mem[i].klen : 0);
	}
	pg_emit(em, h->ts_start, h->ts_end);
}

/* The slot of the next held event (its writer emptied); PG_MAX_HELD
 * waiting, the oldest goes out first with tx null. NULL: no memory. */
static struct pg_held *pg_held_slot(struct pg_state *st, struct adi_emit *em)
{
	struct pg_held *h;

	if (st->nheld == PG_MAX_HELD) {
		struct adi_jw keep = st->held[0].w;

		pg_held_emit(em, &st->held[0], NULL);
		pg_text_unref(st->held[0].q);
		memmove(st->held, st->held + 1, --st->nheld * sizeof(*st->held));
		st->held[st->nheld].w = keep; /* its buffer serves the next */
	}
	if (st->nheld == st->held_cap) {
		unsigned cap = st->held_cap ? st->held_cap * 2 : 16;
		struct pg_held *nh = realloc(st->held, cap * sizeof(*nh));

		if (!nh)
			return NULL;
		for (unsigned i = st->held_cap; i < cap; i++)
			adi_jw_init(&nh[i].w);
		st->held = nh;
		st->held_cap = cap;
	}
	h = &st->held[st->nheld];
	adi_jw_reset(&h->w);
	return h;
}

void pg_op_hold(struct pg_state *st, struct adi_emit *em, const struct pg_op *op,
		const struct adi_msg *m, const struct pg_body *mb, uint64_t ts_start,
		int64_t ts_end, struct pg_text *q, unsigned qi)
{
	struct pg_held *h = pg_held_slot(st, em);
	struct pg_at at;

	if (!h) { /* no room to hold it: out now, without tx */
		pg_op_write(st, em->cfg, op, m, mb, adi_emit_begin(em), &at);
		pg_emit(em, ts_start, ts_end);
		return;
	}
	pg_op_write(st, em->cfg, op, m, mb, &h->w, &at);
	h->sql_at = at.sql_at;
	h->sql_end = at.sql_end;
	h->tx_at = at.tx_at;
	h->tx_end = at.tx_end;
	h->ts_start = ts_start;
	h->ts_end = ts_end;
	h->q = q;
	if (q)
		q->ref++;
	h->qi = qi;
	h->split = false;
	st->nheld++;
}

void pg_release(struct pg_state *st, struct adi_emit *em, const char *tx, int64_t ts_end)
{
	for (unsigned i = 0; i < st->nheld; i++) {
		struct pg_held *h = &st->held[i];

		if (ts_end >= 0 && i == st->nheld - 1)
			h->ts_end = ts_end;
		pg_held_emit(em, h, tx);
		pg_text_unref(h->q);
		h->q = NULL;
	}
	st->nheld = 0;
}

void pg_held_clear(struct pg_state *st)
{
	for (unsigned i = 0; i < st->nheld; i++)
		pg_text_unref(st->held[i].q);
	for (unsigned i = 0; i < st->held_cap; i++)
		adi_jw_fini(&st->held[i].w);
	free(st->held);
	st->held = NULL;
	st->nheld = st->held_cap = 0;
}
