/* command.c - MySQL client commands: whether bytes start one (sniff,
 * resync), how its payload is taken, and at its end the MYSQL_CMD /
 * MYSQL_CMD_NOREPLY message (sql, statement, parameters...) and its place
 * in the FIFO of commands awaiting a reply. Values are read by values.c.
 */
#include <stdlib.h>
#include <string.h>

#include "mysql_priv.h"

/* ---- command bytes ---- */

/* The names as JSON strings, written as they are into every command. */
#define Q(s) "\"" s "\""
static const char *const my_com_names[0x20] = {
	Q("COM_SLEEP"), Q("COM_QUIT"), Q("COM_INIT_DB"), Q("COM_QUERY"),
	Q("COM_FIELD_LIST"), Q("COM_CREATE_DB"), Q("COM_DROP_DB"),
	Q("COM_REFRESH"), Q("COM_SHUTDOWN"), Q("COM_STATISTICS"),
	Q("COM_PROCESS_INFO"), Q("COM_CONNECT"), Q("COM_PROCESS_KILL"),
	Q("COM_DEBUG"), Q("COM_PING"), Q("COM_TIME"), Q("COM_DELAYED_INSERT"),
	Q("COM_CHANGE_USER"), Q("COM_BINLOG_DUMP"), Q("COM_TABLE_DUMP"),
	Q("COM_CONNECT_OUT"), Q("COM_REGISTER_SLAVE"), Q("COM_STMT_PREPARE"),
	Q("COM_STMT_EXECUTE"), Q("COM_STMT_SEND_LONG_DATA"), Q("COM_STMT_CLOSE"),
	Q("COM_STMT_RESET"), Q("COM_SET_OPTION"), Q("COM_STMT_FETCH"),
	Q("COM_DAEMON"), Q("COM_BINLOG_DUMP_GTID"), Q("COM_RESET_CONNECTION"),
};
#undef Q

/* Member "command": the command's name ("COM_QUERY"; "COM_0x22"
 * unknown). */
static void my_com_name(struct adi_jw *w, uint8_t cmd)
{
	adi_jw_key(w, "command");
	if (cmd < 0x20)
		adi_jw_raw(w, my_com_names[cmd], strlen(my_com_names[cmd]));
	else if (cmd == COM_STMT_BULK_EXECUTE)
		adi_jw_str(w, "COM_STMT_BULK_EXECUTE");
	else
		my_wfmt(w, "COM_0x%02x", cmd);
}

/* ---- is this a command? (sniff, resync) ---- */

/* Bytes a statement text may start with / hold: printable ASCII, TAB, CR,
 * LF, or bytes of UTF-8 characters; no NUL, no other control. */
static bool my_texty(uint8_t c)
{
	return (c >= 0x20 && c != 0x7f) || c == '\t' || c == '\r' || c == '\n';
}

/* The first min(len, MY_PEEK) bytes of a text payload p[1..] (after the
 * command byte); vis bytes are visible. until_nul: a NUL ends the text. */
enum my_ps my_text_ok(const uint8_t *p, size_t vis, uint32_t len, bool until_nul)
{
	size_t k = my_min(MY_PEEK, len);

	for (size_t i = 1; i < k; i++) {
		if (i >= vis)
			return PS_PARTIAL;
		if (until_nul && !p[i])
			return i > 1 ? PS_OK : PS_BAD;
		if (!my_texty(p[i]))
			return PS_BAD;
	}
	return PS_OK;
}

/* Is b[0..n) the start of a client command? The check of sniff(), of
 * resync() and of parse() after a resync:
 *  - sequence id 0, payload length >= 1, a known command byte;
 *  - commands of fixed size have exactly it: QUIT, STATISTICS, PING,
 *    DEBUG, RESET_CONNECTION 1; PROCESS_KILL, STMT_CLOSE, STMT_RESET 5;
 *    STMT_FETCH 9; SET_OPTION 3 with option 0 or 1;
 *  - QUERY, STMT_PREPARE, INIT_DB, FIELD_LIST: length >= 2 and the first
 *    (up to MY_PEEK) bytes text (QUERY: or the query-attributes prefix
 *    00 01);
 *  - STMT_EXECUTE: length >= 10, flags <= 0x0f, iteration count 1;
 *  - SEND_LONG_DATA, BULK_EXECUTE >= 7, CHANGE_USER >= 2 bytes.
 * PARTIAL when the bytes end before this can be told. */
enum my_ps my_cmd_plausible(const uint8_t *b, size_t n)
{
	const uint8_t *p = b + 4;
	uint32_t len;
	size_t vis;

	if (n >= 3 && !adi_ld_le24(b))
		return PS_BAD;
	if (n >= 4 && b[3] != 0)
		return PS_BAD;
	if (n < 5)
		return PS_PARTIAL;
	len = adi_ld_le24(b);
	vis = n - 4;
	switch (p[0]) {
	case COM_QUIT:
	case COM_STATISTICS:
	case COM_PING:
	case COM_DEBUG:
	case COM_RESET_CONNECTION:
		return len == 1 ? PS_OK : PS_BAD;
	case COM_PROCESS_KILL:
	case COM_STMT_CLOSE:
	case COM_STMT_RESET:
		return len == 5 ? PS_OK : PS_BAD;
	case COM_STMT_FETCH:
		return len == 9 ? PS_OK : PS_BAD;
	case COM_SET_OPTION:
		if (len != 3)
			return PS_BAD;
		if (vis < 3)
			return PS_PARTIAL;
		return p[1] <= 1 && p[2] == 0 ? PS_OK : PS_BAD;
	case COM_QUERY:
		if (len >= 3 && vis >= 2 && p[1] == 0) {
			if (vis < 3)
				return PS_PARTIAL;
			return p[2] == 1 ? PS_OK : PS_BAD;
		}
		/* fall through */
	case COM_STMT_PREPARE:
	case COM_INIT_DB:
		return len >= 2 ? my_text_ok(p, vis, len, false) : PS_BAD;
	case COM_FIELD_LIST:
		return len >= 2 ? my_text_ok(p, vis, len, true) : PS_BAD;
	case COM_STMT_EXECUTE:
		if (len < 10)
			return PS_BAD;
		if (vis < 10)
			return PS_PARTIAL;
		return p[5] <= 0x0f && adi_ld_le32(p + 6) == 1 ? PS_OK : PS_BAD;
	case COM_STMT_SEND_LONG_DATA:
	case COM_STMT_BULK_EXECUTE:
		return len >= 7 ? PS_OK : PS_BAD;
	case COM_CHANGE_USER:
		return len >= 2 ? PS_OK : PS_BAD;
	}
	return PS_BAD;
}

/* ---- a command's payload and message ---- */

/* A client packet starts at b (header + what is visible of the payload):
 * what it is, and how its payload is taken. */
enum my_ps my_cli_start(struct mysql_state *st, struct my_side *sd,
			const struct adi_proto_cfg *cfg,
			const uint8_t *b, size_t n)
{
	uint32_t len = adi_ld_le24(b);
	enum my_ps r;
	bool qa = false;

	if (my_stopped(st))
		return PS_DONE;
	sd->h = H_COPY;
	sd->pk_cap = MY_PK_MAX;
	if (b[3] == 0) {
		if (sd->strict && (r = my_cmd_plausible(b, n)) != PS_OK)
			return r;
		if (!len)
			return PS_BAD;
		if (n < 5 || (b[4] == COM_QUERY && len >= 3 && n < 7))
			return PS_PARTIAL;
		if (b[4] > 0x22 && b[4] != COM_STMT_BULK_EXECUTE)
			return PS_BAD; /* no command byte */
		st->ccmd = b[4];
		sd->what = P_CMD;
		my_side_msg(sd);
		if (st->ccmd == COM_QUERY)
			qa = my_cap(st, CLIENT_QUERY_ATTRIBUTES, len >= 3 && !b[5] && b[6] == 1);
		if (st->ccmd == COM_STMT_EXECUTE || qa) {
			sd->h = H_WALK;
			my_walk_begin(&sd->w, qa ? W_QATTR : W_EXEC, 0, true);
			sd->pk_cap = MY_SQL_MAX; /* the text after the attributes */
		} else if (st->ccmd == COM_QUERY || st->ccmd == COM_STMT_PREPARE) {
			sd->pk_cap = 1 + MY_SQL_MAX;
		} else if (st->ccmd == COM_STMT_SEND_LONG_DATA) {
			sd->pk_cap = 7 + (size_t)cfg->body_bytes;
		}
		return PS_OK;
	}
	if (sd->strict)
		return PS_BAD;
	if (st->greeted && !st->login_seen) {
		sd->what = P_LOGIN;
		return PS_OK;
	}
	/* a packet inside an exchange: auth data (connection phase,
	 * CHANGE_USER) or LOCAL INFILE contents; anywhere else it is not one */
	if (!(st->greeted && !st->authed) && st->rph != R_CHUSER && st->rph != R_INFILE &&
	    !(my_fifo_head(st) && my_fifo_head(st)->cmd == COM_CHANGE_USER))
		return PS_BAD;
	sd->what = P_CSKIP;
	sd->h = H_SKIP;
	return PS_OK;
}

/* Member sql of COM_INIT_DB: "USE `db`" with backticks doubled. */
static void my_use_sql(struct adi_jw *w, const uint8_t *db, size_t n)
{
	uint8_t *s = malloc(2 * n + 8);
	size_t k = 0;

	adi_jw_key(w, "sql");
	if (!s) {
		adi_jw_null(w);
		return;
	}
	memcpy(s, "USE `", 5);
	k = 5;
	for (size_t i = 0; i < n; i++) {
		if (db[i] == '`')
			s[k++] = '`';
		s[k++] = db[i];
	}
	s[k++] = '`';
	adi_jw_bytes(w, s, k);
	free(s);
}

/* sql and the statement of a prepared statement into w (the text as
 * PREPARE wrote it). */
static void my_stmt_fields(struct mysql_state *st, struct adi_jw *w, uint32_t id,
			   bool *cut)
{
	struct my_stmt *s = my_stmt_find(st, id);

	adi_jw_key(w, "sql");
	if (s && s->sql) {
		adi_jw_raw(w, s->sql, s->sql_json_len);
		*cut |= s->sql_cut;
	} else {
		adi_jw_null(w);
	}
	if (id == MY_NO_STMT && s)
		id = s->id;
	adi_jw_key(w, "statement");
	if (id == MY_NO_STMT)
		adi_jw_raw(w, "\"-1\"", 4);
	else
		my_wdec(w, false, id);
}

/* COM_STMT_EXECUTE: what the walker read. */
static void my_exec_fields(struct mysql_state *st, struct my_side *sd,
			   const struct adi_proto_cfg *cfg, struct adi_jw *f, bool *cut)
{
	struct my_walk *w = &sd->w;
	struct my_stmt *s;

	my_walk_end(st, cfg, w);
	if (w->step == WS_HEAD) { /* shorter than its header */
		adi_jw_knull(f, "sql");
		adi_jw_knull(f, "params");
		adi_jw_knull(f, "statement");
		sd->incomplete = true;
		return;
	}
	my_stmt_fields(st, f, w->stmt, cut);
	if (w->unknown) {
		adi_jw_knull(f, "params");
		if (w->raw_total) {
			adi_jw_key(f, "params_raw");
			my_wbase64(f, w->v, w->v_len);
			*cut |= w->raw_total > w->v_len;
		}
	} else {
		adi_jw_kraw(f, "params", my_walk_vals(w));
		*cut |= w->cut;
		if (w->step != WS_DONE)
			sd->incomplete = true;
	}
	if (w->flags & 0x07)
		adi_jw_kstr(f, "cursor", w->flags & 0x04 ? "scrollable" :
			    w->flags & 0x02 ? "for_update" : "read_only");
	if (w->nnames)
		adi_jw_kraw(f, "param_names", my_walk_names(w));
	s = my_stmt_find(st, w->stmt);
	if (s && w->bound && w->step == WS_DONE && w->n == s->nparams && w->n) {
		uint16_t *t = realloc(s->ptypes, w->n * sizeof(*t));

		if (t) {
			memcpy(t, w->types, w->n * sizeof(*t));
			s->ptypes = t;
		}
	}
	my_long_clear(st, s ? s->id : w->stmt, false);
}

/* Member query_attributes, {"name": value}: names[i] (JSON strings,
 * decoded: a name is a C string, a NUL ends it) with vals[i]. */
static void my_qattr_write(struct adi_jw *f, struct adi_jv names, struct adi_jv vals)
{
	size_t n = adi_jv_count(vals), k = 0, kl;
	struct my_pair *p = calloc(n ? n : 1, sizeof(*p));
	struct adi_jv_it in = adi_jv_iter(names), iv = adi_jv_iter(vals);
	struct adi_jv x, y, v;
	char *name;

	if (!p)
		return;
	while (k < n && adi_jv_next(&iv, &x, &v)) {
		name = adi_jv_next(&in, &x, &y) ? adi_jv_strdup(y, &kl) : NULL;
		if (!name && !(name = calloc(1, 1)))
			goto out;
		p[k].k = name;
		p[k].kn = strlen(name);
		p[k].v = (const uint8_t *)v.p;
		p[k].vn = v.n;
		p[k++].json = true;
	}
	adi_jw_key(f, "query_attributes");
	my_wpairs(f, p, k);
out:
	for (size_t i = 0; i < k; i++)
		free((char *)p[i].k);
	free(p);
}

/* COM_QUERY with CLIENT_QUERY_ATTRIBUTES: {"name": value} of the
 * attributes, then the text in pk. */
static void my_qattr_fields(struct mysql_state *st, struct my_side *sd,
			    const struct adi_proto_cfg *cfg, struct adi_jw *f)
{
	struct my_walk *w = &sd->w;

	my_walk_end(st, cfg, w);
	if (w->n && w->step == WS_DONE)
		my_qattr_write(f, my_walk_names(w), my_walk_vals(w));
	else if (w->step != WS_DONE)
		sd->incomplete = true;
}

/* COM_STMT_FETCH, CLOSE, RESET, BULK_EXECUTE: int<4> statement id
 * [FETCH: + int<4> rows]. CLOSE forgets the statement, RESET its long
 * data. False for CLOSE: it has no reply. */
static bool my_stmt_cmd_fields(struct mysql_state *st, struct adi_cur *c,
			       struct adi_jw *f, struct my_pend *pe, bool *cut)
{
	struct my_stmt *ps;
	uint32_t id, rows;

	adi_cur_le32(c, &id);
	my_stmt_fields(st, f, id, cut);
	pe->stmt = id;
	switch (pe->cmd) {
	case COM_STMT_FETCH:
		adi_cur_le32(c, &rows);
		adi_jw_kint(f, "fetch_rows", rows);
		break;
	case COM_STMT_BULK_EXECUTE:
		adi_jw_knull(f, "params"); /* bulk parameters are not decoded */
		break;
	case COM_STMT_CLOSE:
		ps = my_stmt_find(st, id);
		my_long_clear(st, id, false);
		if (ps)
			my_stmt_clear(st, ps);
		return false;
	case COM_STMT_RESET:
		my_long_clear(st, id, false);
		break;
	}
	return true;
}

/* COM_CHANGE_USER: string<NUL> user | auth response (int<1> length +
 * bytes with SECURE_CONNECTION, else string<NUL>; skipped) |
 * string<NUL> database | ... The user and database take effect on OK. */
static void my_change_user_fields(struct mysql_state *st, struct adi_cur *c,
				  struct adi_jw *f, struct my_pend *pe)
{
	const uint8_t *s;
	size_t sl;
	uint8_t al;

	s = my_nulstr(c, &sl);
	pe->arg = my_strdup(s, sl);
	if (my_cap(st, CLIENT_SECURE_CONNECTION, true)) {
		adi_cur_u8(c, &al);
		adi_cur_skip(c, al);
	} else {
		my_nulstr(c, &sl);
	}
	if (adi_cur_left(c)) {
		s = my_nulstr(c, &sl);
		pe->arg2 = my_strdup(s, sl);
	}
	adi_jw_knull(f, "sql");
}

/* COM_STMT_SEND_LONG_DATA: int<4> statement id | int<2> parameter |
 * data: kept for the EXECUTE (first body_bytes); no message. */
static enum adi_parse my_long_data(struct mysql_state *st, struct my_side *sd,
				   const struct adi_proto_cfg *cfg, struct adi_cur *c)
{
	uint32_t id;
	uint16_t param;

	adi_cur_le32(c, &id);
	adi_cur_le16(c, &param);
	if (!c->bad)
		my_long_add(st, id, param, adi_cur_ptr(c), adi_cur_left(c),
			    sd->plen - 7, cfg->body_bytes);
	sd->msg = false;
	return ADI_PARSE_SKIP;
}

/* The command's message: its fields with the session's facts, its
 * ordinal; one that is answered awaits its reply in the FIFO (which takes
 * over *pe), else *pe is freed. */
static enum adi_parse my_cmd_frame(struct mysql_state *st, struct my_side *sd,
				   struct adi_msg *out, struct my_pend *pe,
				   bool reply, bool cut)
{
	struct adi_jw *f = &sd->mw;

	my_com_name(f, st->ccmd);
	if (cut || sd->cut) /* absent: false */
		adi_jw_kbool(f, "truncated", true);
	if (st->database.s)
		my_jstr_put(f, "database", &st->database);
	if (st->user.s)
		my_jstr_put(f, "user", &st->user);
	if (st->tx != TX_UNKNOWN)
		my_tx_put(f, st);
	if (sd->damaged || sd->incomplete)
		adi_jw_kbool(f, "incomplete", true);
	pe->key = ++st->next_key;
	pe->tx = st->tx;
	pe->sess = st->sess;
	out->kind = reply ? MYSQL_CMD : MYSQL_CMD_NOREPLY;
	out->key = pe->key;
	adi_jw_copy(&out->f, f);
	out->incomplete = sd->damaged || sd->incomplete;
	sd->msg = false;
	if (reply)
		my_fifo_push(st, pe);
	else
		my_pend_free(pe);
	return ADI_PARSE_FRAME;
}

/* The command is complete: its message (or SKIP for SEND_LONG_DATA). */
enum adi_parse my_cmd_end(struct mysql_state *st, struct my_side *sd,
			  const struct adi_proto_cfg *cfg, struct adi_msg *out)
{
	struct adi_cur c = my_pk_cur(sd);
	struct adi_jw *f = &sd->mw;
	struct my_pend pe = { .cmd = st->ccmd };
	bool reply = true, cut = false;
	const uint8_t *s;
	size_t sl;
	uint32_t id;
	uint16_t opt;

	adi_cur_skip(&c, 1);
	switch (st->ccmd) {
	case COM_QUERY:
		if (sd->h == H_WALK) {
			my_qattr_fields(st, sd, cfg, f);
			c.pos = 0;
		}
		/* fall through */
	case COM_STMT_PREPARE:
		sl = adi_cur_left(&c);
		adi_cur_bytes(&c, sl, &s);
		cut = sd->pk_cut;
		adi_jw_key(f, "sql");
		my_wbytes(f, s, sl, cut);
		if (st->ccmd == COM_STMT_PREPARE) {
			/* the statement map keeps the text as written here */
			struct adi_jv v = adi_jw_get(f, "sql");

			pe.sql = v.n ? my_strdup((const uint8_t *)v.p, v.n) : NULL;
			pe.sql_json_len = pe.sql ? v.n : 0;
			pe.sql_len = pe.sql ? sl : 0;
			pe.sql_cut = cut;
		}
		break;
	case COM_INIT_DB:
		sl = adi_cur_left(&c);
		adi_cur_bytes(&c, sl, &s);
		my_use_sql(f, s, sl);
		pe.arg = my_strdup(s, sl);
		break;
	case COM_FIELD_LIST:
		s = my_nulstr(&c, &sl);
		adi_jw_kbytes(f, "table", s, sl);
		sl = adi_cur_left(&c);
		adi_cur_bytes(&c, sl, &s);
		if (sl)
			adi_jw_kbytes(f, "wildcard", s, sl);
		break;
	case COM_STMT_EXECUTE:
		my_exec_fields(st, sd, cfg, f, &cut);
		pe.stmt = sd->w.stmt;
		break;
	case COM_STMT_FETCH:
	case COM_STMT_CLOSE:
	case COM_STMT_RESET:
	case COM_STMT_BULK_EXECUTE:
		reply = my_stmt_cmd_fields(st, &c, f, &pe, &cut);
		break;
	case COM_STMT_SEND_LONG_DATA:
		return my_long_data(st, sd, cfg, &c);
	case COM_CHANGE_USER:
		my_change_user_fields(st, &c, f, &pe);
		break;
	case COM_SET_OPTION:
		adi_cur_le16(&c, &opt);
		adi_jw_kstr(f, "option", opt ? "MYSQL_OPTION_MULTI_STATEMENTS_OFF" :
			    "MYSQL_OPTION_MULTI_STATEMENTS_ON");
		break;
	case COM_PROCESS_KILL:
		adi_cur_le32(&c, &id);
		adi_jw_kint(f, "connection_id", id);
		break;
	case COM_QUIT:
		reply = false;
		break;
	case COM_BINLOG_DUMP:
	case COM_BINLOG_DUMP_GTID:
		/* a replication stream follows: not decoded */
		reply = false;
		st->stop = true;
		break;
	}
	return my_cmd_frame(st, sd, out, &pe, reply, cut);
}

/* A client packet is complete: what its kind (my_cli_start) makes of it. */
enum adi_parse my_cli_end(struct mysql_state *st, struct my_side *sd,
			  const struct adi_proto_cfg *cfg, struct adi_msg *out)
{
	switch (sd->what) {
	case P_LOGIN:
		return my_cli_login(st, sd, out);
	case P_CMD:
		return my_cmd_end(st, sd, cfg, out);
	default:
		return ADI_PARSE_SKIP;
	}
}
