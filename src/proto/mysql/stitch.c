/* stitch.c - pairs the MySQL decoder's messages into `sql_query` events:
 * commands with their responses by ordinal (one event per result), the
 * connection phase as one CONNECT event, commands without a reply or whose
 * reply was lost. Takes the messages from the engine's queues and frees
 * them. Fields and their order: docs/mysql.md.
 */
#include <string.h>

#include "mysql_priv.h"

/* Keys an event builds itself; everything else of a message is appended
 * after them as it is. */
static bool my_known_key(const char *k)
{
	static const char *const keys[] = {
		"sql", "params", "statement", "columns", "rows", "rows_sample",
		"command_tag", "error", "tx", "database", "user", "command",
		"truncated", "incomplete", "_more",
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(k, keys[i]))
			return true;
	return false;
}

/* v, else a copy of the command's member, else null. */
static struct adi_jval *my_pick(struct adi_jval *v, const struct adi_jval *cf,
				const char *k)
{
	const struct adi_jval *c;

	if (v)
		return v;
	c = adi_j_get(cf, k);
	return c ? adi_j_copy(c) : adi_j_null();
}

/* One sql_query event from a command's fields cf (copied: a multi-result
 * command serves several events) and a response's rf (moved; may be
 * NULL). The fields of docs/events.md first, in its order, then `command`,
 * `truncated`, and the rest. */
static void my_event(struct adi_emit *em, const struct adi_jval *cf,
		     struct adi_jval *rf, uint64_t t0, int64_t t1, bool lost,
		     int result)
{
	struct adi_jval *ev = adi_j_obj(), *v;
	bool trunc, inc;

	if (!ev)
		return;
	adi_j_set_str(ev, "db", "mysql");
	adi_j_set(ev, "sql", my_pick(NULL, cf, "sql"));
	v = adi_j_get(cf, "params") ? NULL : adi_j_arr();
	adi_j_set(ev, "params", my_pick(v, cf, "params"));
	adi_j_set(ev, "statement", my_pick(adi_j_take(rf, "statement"), cf, "statement"));
	adi_j_set(ev, "columns", my_pick(adi_j_take(rf, "columns"), NULL, NULL));
	adi_j_set_int(ev, "rows", adi_j_get_int(rf, "rows", 0));
	v = adi_j_take(rf, "rows_sample");
	adi_j_set(ev, "rows_sample", v ? v : adi_j_arr());
	adi_j_set(ev, "command_tag", my_pick(adi_j_take(rf, "command_tag"), NULL, NULL));
	adi_j_set(ev, "error", my_pick(adi_j_take(rf, "error"), NULL, NULL));
	adi_j_set(ev, "tx", my_pick(adi_j_take(rf, "tx"), cf, "tx"));
	adi_j_set(ev, "database", my_pick(adi_j_take(rf, "database"), cf, "database"));
	adi_j_set(ev, "user", my_pick(adi_j_take(rf, "user"), cf, "user"));
	adi_j_set(ev, "command", my_pick(adi_j_take(rf, "command"), cf, "command"));
	trunc = adi_j_as_bool(adi_j_get(cf, "truncated"), false) ||
		adi_j_as_bool(adi_j_get(rf, "truncated"), false);
	inc = lost || adi_j_as_bool(adi_j_get(cf, "incomplete"), false) ||
	      adi_j_as_bool(adi_j_get(rf, "incomplete"), false);
	adi_j_set_bool(ev, "truncated", trunc);
	if (result)
		adi_j_set_int(ev, "result", result);
	for (size_t i = 0; i < adi_j_len(cf); i++) {
		const char *k = adi_j_key_at(cf, i);

		if (!my_known_key(k))
			adi_j_set(ev, k, adi_j_copy(adi_j_at(cf, i)));
	}
	for (size_t i = 0; i < adi_j_len(rf); i++) {
		const char *k = adi_j_key_at(rf, i);

		if (!my_known_key(k))
			adi_j_set(ev, k, adi_j_copy(adi_j_at(rf, i)));
	}
	if (inc)
		adi_j_set_bool(ev, "incomplete", true);
	em->event(em, "sql_query", t0, t1, ev);
}

/* The connection phase as one event (command "CONNECT"): greeting g, the
 * OK/ERR that ended it a, or the client's SSLRequest ssl (any may be
 * NULL, not all). */
static void my_connect_event(struct adi_emit *em, struct adi_msg *g,
			     struct adi_msg *a, struct adi_msg *ssl)
{
	struct adi_jval *rf = adi_j_obj(), *af = a ? a->fields : NULL;
	struct adi_jval *gf = g ? g->fields : NULL;
	uint64_t t0 = g ? g->ts_first : a ? a->ts_first : ssl->ts_first;

	if (!rf)
		return;
	/* the greeting's facts first, then the login's outcome */
	for (size_t i = 0; i < adi_j_len(gf); i++)
		adi_j_set(rf, adi_j_key_at(gf, i), adi_j_copy(adi_j_at(gf, i)));
	for (size_t i = 0; i < adi_j_len(af); i++)
		adi_j_set(rf, adi_j_key_at(af, i), adi_j_copy(adi_j_at(af, i)));
	if (!a)
		adi_j_set(rf, "command_tag", adi_j_null());
	adi_j_set(rf, "command", adi_j_str("CONNECT"));
	if (ssl) {
		adi_j_set(rf, "capabilities", adi_j_copy(adi_j_get(ssl->fields, "capabilities")));
		adi_j_set_bool(rf, "tls", true);
	}
	if ((g && g->incomplete) || (a && a->incomplete))
		adi_j_set_bool(rf, "incomplete", true);
	my_event(em, NULL, rf, t0, a ? (int64_t)a->ts_last : -1, false, 0);
	adi_j_free(rf);
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
			my_event(em, x->fields, NULL, x->ts_first, -1, false, 0);
		} else if (c && s && s->key == c->key) {
			bool later = st->res_key == c->key && st->res_n > 0;

			y = adi_msgq_pop(sq);
			more = adi_j_as_bool(adi_j_get(y->fields, "_more"), false);
			if (st->res_key != c->key) {
				st->res_key = c->key;
				st->res_n = 0;
			}
			st->res_n++;
			my_event(em, c->fields, y->fields, later ? y->ts_first : c->ts_first,
				 (int64_t)y->ts_last, false,
				 more || st->res_n > 1 ? (int)st->res_n : 0);
			if (!more)
				x = adi_msgq_pop(cq);
		} else if (c && s && s->key < c->key) {
			y = adi_msgq_pop(sq); /* a reply to a command not seen */
			my_event(em, NULL, y->fields, y->ts_first, (int64_t)y->ts_last, false, 0);
		} else if (c && (s || c->key <= st->lost_upto || final)) {
			/* its reply is lost (s answers a later command), or the
			 * connection ended: unless results of it were emitted */
			x = adi_msgq_pop(cq);
			if (!(st->res_key == c->key && st->res_n > 0))
				my_event(em, x->fields, NULL, x->ts_first, -1,
					 s || x->key <= st->lost_upto, 0);
		} else if (!c && s) {
			y = adi_msgq_pop(sq);
			my_event(em, NULL, y->fields, y->ts_first, (int64_t)y->ts_last, false, 0);
		} else {
			return;
		}
		adi_msg_free(x);
		adi_msg_free(y);
	}
}
