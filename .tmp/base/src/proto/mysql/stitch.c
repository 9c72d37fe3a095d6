/* stitch.c - pairs the MySQL decoder's messages into `sql_query` events:
 * commands with their responses by ordinal (one event per result), the
 * connection phase as one CONNECT event, commands without a reply or whose
 * reply was lost. Reads what the messages wrote (their f, a member list)
 * and writes each event once through the emitter. Takes the messages from
 * the engine's queues and frees them. Fields and their order:
 * docs/mysql.md.
 */
#include <string.h>

#include "mysql_priv.h"

/* ---- a message's fields, read back ---- */

/* Members an event builds itself (from the response's value, else the
 * command's); every other member of a message is an extra, copied after
 * them as it is. */
enum my_k {
	K_SQL, K_PARAMS, K_STATEMENT, K_COLUMNS, K_ROWS, K_ROWS_SAMPLE,
	K_COMMAND_TAG, K_ERROR, K_TX, K_DATABASE, K_USER, K_COMMAND,
	K_TRUNCATED, K_INCOMPLETE, K_MORE, K_N
};

/* The known member whose key is k[0..n), or K_N (every member of a
 * message goes through here: by length, then one or two compares). */
static enum my_k my_key(const char *k, size_t n)
{
#define MY_IS(s) (n == sizeof(s) - 1 && !memcmp(k, s, sizeof(s) - 1))
	switch (n) {
	case 2:
		return MY_IS("tx") ? K_TX : K_N;
	case 3:
		return MY_IS("sql") ? K_SQL : K_N;
	case 4:
		return MY_IS("rows") ? K_ROWS : MY_IS("user") ? K_USER : K_N;
	case 5:
		return MY_IS("error") ? K_ERROR : MY_IS("_more") ? K_MORE : K_N;
	case 6:
		return MY_IS("params") ? K_PARAMS : K_N;
	case 7:
		return MY_IS("columns") ? K_COLUMNS : MY_IS("command") ? K_COMMAND : K_N;
	case 8:
		return MY_IS("database") ? K_DATABASE : K_N;
	case 9:
		return MY_IS("statement") ? K_STATEMENT : MY_IS("truncated") ? K_TRUNCATED : K_N;
	case 10:
		return MY_IS("incomplete") ? K_INCOMPLETE : K_N;
	case 11:
		return MY_IS("rows_sample") ? K_ROWS_SAMPLE :
		       MY_IS("command_tag") ? K_COMMAND_TAG : K_N;
	}
#undef MY_IS
	return K_N;
}

/* Iteration over the members of a message's f, in the order they were
 * written. Member i's value comes from the writer's index
 * (adi_jw_member_at: a statement's text or a rows sample is not scanned);
 * its key is what lies between the previous member and that value. The
 * decoder's messages have about a dozen members, all with plain keys:
 * scanning the text, past the index, is only the fallback. */
struct my_mit {
	const struct adi_jw *f;
	const char *at;          /* where member i starts (its key's '"') */
	uint32_t i, n;
	bool scan;
	struct adi_jv_it it;
};

static void my_mit_init(struct my_mit *m, const struct adi_jw *f)
{
	m->f = f;
	m->at = f ? f->buf : NULL;
	m->i = 0;
	m->n = f && !f->err && f->len ? f->nmem : 0;
	m->scan = false;
}

/* A member: its key k[0..kn) (between the quotes) and its value; ok
 * false after the last. (By value: it stays in registers.) */
struct my_mem {
	const char *k;
	size_t kn;
	struct adi_jv v;
	bool ok;
};

/* The fallback: the next member found by scanning the text (out of line,
 * so that the usual path keeps its views in registers). */
static __attribute__((noinline)) struct my_mem my_mit_scan(struct my_mit *m)
{
	struct my_mem x = { NULL, 0, { NULL, 0 }, false };
	struct adi_jv key;

	if (!m->scan) {
		struct adi_jv rest = { m->at, (size_t)(m->f->buf + m->f->len - m->at) };

		m->scan = true;
		m->it = adi_jv_iter_list(rest);
	}
	if (adi_jv_next(&m->it, &key, &x.v) && key.n >= 2) {
		x.k = key.p + 1;
		x.kn = key.n - 2;
		x.ok = true;
	}
	return x;
}

/* The next member. */
static inline struct my_mem my_mit_next(struct my_mit *m)
{
	struct my_mem x = { NULL, 0, { NULL, 0 }, false };

	if (m->scan)
		return my_mit_scan(m);
	if (m->i >= m->n)
		return x;
	x.v = adi_jw_member_at(m->f, m->i);
	if (!x.v.n)
		return my_mit_scan(m); /* past the index (or a key escaped) */
	x.k = m->at + 1;
	x.kn = (size_t)(x.v.p - 2 - x.k); /* before '":' */
	m->at = x.v.p + x.v.n + 1;       /* past its comma */
	m->i++;
	x.ok = true;
	return x;
}

/* Room for a message's extras: the decoder writes at most four in one
 * (an OK's infile, last_insert_id, warnings, info; a login's plugin,
 * capabilities, attributes, compressed). */
#define MY_EXTRAS 16

/* A message's fields, read once: the known members and the extras, in
 * their order. */
struct my_fields {
	uint32_t has;            /* bit k: v[k] was read */
	struct adi_jv v[K_N];
	struct adi_jv xk[MY_EXTRAS], xv[MY_EXTRAS]; /* keys (unquoted), values */
	unsigned nx;
};

/* x: the fields of the message whose f is f (NULL: no message). */
static void my_fields_read(struct my_fields *x, const struct adi_jw *f)
{
	struct my_mit m;
	struct my_mem e;

	x->has = 0;
	x->nx = 0;
	my_mit_init(&m, f);
	while ((e = my_mit_next(&m)).ok) {
		enum my_k k = my_key(e.k, e.kn);

		if (k < K_N) {
			x->v[k] = e.v; /* a later one wins (none is written twice) */
			x->has |= 1u << k;
		} else if (x->nx < MY_EXTRAS) {
			x->xk[x->nx].p = e.k;
			x->xk[x->nx].n = e.kn;
			x->xv[x->nx++] = e.v;
		}
	}
}

/* Known member k of x, or an absent view. */
static struct adi_jv my_v(const struct my_fields *x, enum my_k k)
{
	struct adi_jv none = { NULL, 0 };

	return x->has >> k & 1 ? x->v[k] : none;
}

/* The extras of a message, into w, in its order. */
static void my_extras(struct adi_jw *w, const struct my_fields *x)
{
	for (unsigned i = 0; i < x->nx; i++) {
		adi_jw_keyn(w, x->xk[i].p, x->xk[i].n);
		adi_jw_raw(w, x->xv[i].p, x->xv[i].n);
	}
}

/* A flag member: true only when written true (absent reads false). */
static bool my_true(struct adi_jv v)
{
	return adi_jv_bool(v, false);
}

/* v, else d, else null (a present null is kept: a reply's unknown tx
 * is not replaced by the command's). */
static struct adi_jv my_pick(struct adi_jv v, struct adi_jv d)
{
	return v.n ? v : d;
}

/* Member k: v, or the JSON text dflt when v is absent. */
static void my_kraw_or(struct adi_jw *w, const char *k, struct adi_jv v, const char *dflt)
{
	adi_jw_key(w, k);
	if (v.n)
		adi_jw_raw(w, v.p, v.n);
	else
		adi_jw_raw(w, dflt, strlen(dflt));
}

/* ---- events ---- */

/* One sql_query event from a command's fields c and a response's r (a
 * multi-result command serves several events; either may be of no
 * message). The fields of docs/events.md first, in its order, then
 * `command`, `truncated`, `result`, the extras of the command, then of
 * the response, then `incomplete`. */
static void my_event(struct adi_emit *em, const struct my_fields *c,
		     const struct my_fields *r, uint64_t t0, int64_t t1, bool lost,
		     int result)
{
	struct adi_jw *w = adi_emit_begin(em);
	bool inc = lost || my_true(my_v(c, K_INCOMPLETE)) || my_true(my_v(r, K_INCOMPLETE));

	adi_jw_key(w, "db");
	adi_jw_raw(w, "\"mysql\"", 7);
	adi_jw_kraw(w, "sql", my_v(c, K_SQL));
	my_kraw_or(w, "params", my_v(c, K_PARAMS), "[]");
	adi_jw_kraw(w, "statement", my_pick(my_v(r, K_STATEMENT), my_v(c, K_STATEMENT)));
	adi_jw_kraw(w, "columns", my_v(r, K_COLUMNS));
	my_kraw_or(w, "rows", my_v(r, K_ROWS), "0");
	my_kraw_or(w, "rows_sample", my_v(r, K_ROWS_SAMPLE), "[]");
	adi_jw_kraw(w, "command_tag", my_v(r, K_COMMAND_TAG));
	adi_jw_kraw(w, "error", my_v(r, K_ERROR));
	adi_jw_kraw(w, "tx", my_pick(my_v(r, K_TX), my_v(c, K_TX)));
	adi_jw_kraw(w, "database", my_pick(my_v(r, K_DATABASE), my_v(c, K_DATABASE)));
	adi_jw_kraw(w, "user", my_pick(my_v(r, K_USER), my_v(c, K_USER)));
	adi_jw_kraw(w, "command", my_pick(my_v(r, K_COMMAND), my_v(c, K_COMMAND)));
	adi_jw_kbool(w, "truncated", my_true(my_v(c, K_TRUNCATED)) || my_true(my_v(r, K_TRUNCATED)));
	if (result)
		adi_jw_kint(w, "result", result);
	my_extras(w, c);
	my_extras(w, r);
	if (inc)
		adi_jw_kbool(w, "incomplete", true);
	em->emit(em, "sql_query", t0, t1);
}

/* The connection phase as one event (command "CONNECT"): greeting g, the
 * OK/ERR that ended it a, or the client's SSLRequest ssl (any may be
 * NULL, not all; ssl and a never both). The response's fields are the
 * greeting's facts, then the login's outcome, then the SSLRequest's
 * capabilities and tls. */
static void my_connect_event(struct adi_emit *em, struct adi_msg *g,
			     struct adi_msg *a, struct adi_msg *ssl)
{
	uint64_t t0 = g ? g->ts_first : a ? a->ts_first : ssl->ts_first;
	struct my_fields af, gf;
	struct adi_jw *w;

	my_fields_read(&af, a ? &a->f : NULL);
	my_fields_read(&gf, g ? &g->f : NULL);
	w = adi_emit_begin(em);
	adi_jw_key(w, "db");
	adi_jw_raw(w, "\"mysql\"", 7);
	adi_jw_knull(w, "sql");
	adi_jw_kraw(w, "params", (struct adi_jv){ "[]", 2 });
	adi_jw_knull(w, "statement");
	adi_jw_knull(w, "columns");
	my_kraw_or(w, "rows", my_v(&af, K_ROWS), "0");
	my_kraw_or(w, "rows_sample", my_v(&af, K_ROWS_SAMPLE), "[]");
	adi_jw_kraw(w, "command_tag", my_v(&af, K_COMMAND_TAG));
	adi_jw_kraw(w, "error", my_v(&af, K_ERROR));
	adi_jw_kraw(w, "tx", my_v(&af, K_TX));
	adi_jw_kraw(w, "database", my_v(&af, K_DATABASE));
	adi_jw_kraw(w, "user", my_v(&af, K_USER));
	adi_jw_kstr(w, "command", "CONNECT");
	adi_jw_kbool(w, "truncated", my_true(my_v(&af, K_TRUNCATED)));
	my_extras(w, &gf);
	my_extras(w, &af);
	if (ssl) {
		adi_jw_kraw(w, "capabilities", adi_jw_get(&ssl->f, "capabilities"));
		adi_jw_kbool(w, "tls", true);
	}
	if ((g && g->incomplete) || (a && a->incomplete) || my_true(my_v(&af, K_INCOMPLETE)))
		adi_jw_kbool(w, "incomplete", true);
	em->emit(em, "sql_query", t0, a ? (int64_t)a->ts_last : -1);
}

/* stitch(): MySQL answers commands in order, one reply each (several
 * results for multi-statements and CALL), so commands and replies pair by
 * order, through the command's ordinal that the response took from the
 * FIFO. The greeting and the OK/ERR ending the connection phase (or the
 * SSLRequest) make the CONNECT event. A command the server does not
 * answer (COM_QUIT, COM_STMT_CLOSE) is an event at once with no reply
 * (ts_end -1); a command whose reply was lost (resync) is emitted alone,
 * incomplete; an unanswered one waits until final. */
void mysql_stitch(void *vst, struct adi_msgq *out_q, struct adi_msgq *in_q,
		  struct adi_emit *em, bool final)
{
	struct mysql_state *st = vst;
	struct adi_msgq *cq = st->server_side ? in_q : out_q;
	struct adi_msgq *sq = st->server_side ? out_q : in_q;
	struct my_fields cf, rf, none;

	my_fields_read(&none, NULL);
	for (;;) {
		struct adi_msg *c = cq->head, *s = sq->head, *x = NULL, *y = NULL;
		bool more;

		if (s && s->kind == MYSQL_GREETING) {
			struct adi_msg *nx = s->next;

			if (nx && nx->kind == MYSQL_AUTH) {
				x = adi_msgq_pop(sq);
				y = adi_msgq_pop(sq);
				my_connect_event(em, x, y, NULL);
			} else if (c && c->kind == MYSQL_SSL) {
				x = adi_msgq_pop(sq);
				y = adi_msgq_pop(cq);
				my_connect_event(em, x, NULL, y);
			} else if (nx || c || final) {
				x = adi_msgq_pop(sq);
				my_connect_event(em, x, NULL, NULL);
			} else {
				return;
			}
		} else if (s && s->kind == MYSQL_AUTH) {
			x = adi_msgq_pop(sq);
			my_connect_event(em, NULL, x, NULL);
		} else if (c && c->kind == MYSQL_SSL) {
			x = adi_msgq_pop(cq);
			my_connect_event(em, NULL, NULL, x);
		} else if (c && c->kind == MYSQL_CMD_NOREPLY) {
			x = adi_msgq_pop(cq);
			my_fields_read(&cf, &x->f);
			my_event(em, &cf, &none, x->ts_first, -1, false, 0);
		} else if (c && s && s->key == c->key) {
			bool later = st->res_key == c->key && st->res_n > 0;

			y = adi_msgq_pop(sq);
			my_fields_read(&cf, &c->f);
			my_fields_read(&rf, &y->f);
			more = my_true(my_v(&rf, K_MORE));
			if (st->res_key != c->key) {
				st->res_key = c->key;
				st->res_n = 0;
			}
			st->res_n++;
			my_event(em, &cf, &rf, later ? y->ts_first : c->ts_first,
				 (int64_t)y->ts_last, false,
				 more || st->res_n > 1 ? (int)st->res_n : 0);
			if (!more)
				x = adi_msgq_pop(cq);
		} else if (c && s && s->key < c->key) {
			y = adi_msgq_pop(sq); /* a reply to a command not seen */
			my_fields_read(&rf, &y->f);
			my_event(em, &none, &rf, y->ts_first, (int64_t)y->ts_last, false, 0);
		} else if (c && (s || c->key <= st->lost_upto || final)) {
			/* its reply is lost (s answers a later command), or the
			 * connection ended: unless results of it were emitted */
			x = adi_msgq_pop(cq);
			if (!(st->res_key == c->key && st->res_n > 0)) {
				my_fields_read(&cf, &x->f);
				my_event(em, &cf, &none, x->ts_first, -1,
					 s || x->key <= st->lost_upto, 0);
			}
		} else if (!c && s) {
			y = adi_msgq_pop(sq);
			my_fields_read(&rf, &y->f);
			my_event(em, &none, &rf, y->ts_first, (int64_t)y->ts_last, false, 0);
		} else {
			return;
		}
		adi_msg_free(x);
		adi_msg_free(y);
	}
}
