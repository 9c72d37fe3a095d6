/* response.c - MySQL server responses to commands: the kind of each packet
 * by the phase of the response (and its plausibility after a resync), what
 * each kind does when complete (one my_srv_* function a kind), the OK /
 * ERR / EOF packets, and the MYSQL_RESP message of a response or of one
 * result of a multi-result. The connection phase is handshake.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mysql_priv.h"
#include "../../lib/util.h"

/* ---- is this the start of a reply? (resync) ---- */

/* ERR_Packet at b: 0xff, a code of 1000..65534 (0xffff is MariaDB's
 * progress report), '#' after it when the packet is long enough to hold
 * a SQLSTATE. */
static enum my_ps my_err_plausible(const uint8_t *b, size_t n, uint32_t len)
{
	unsigned code;

	if (len < 3)
		return PS_BAD;
	if (n < 7 || (len >= 9 && n < 8))
		return PS_PARTIAL;
	code = adi_ld_le16(b + 5);
	if (code < 1000 || code == 0xffff)
		return PS_BAD;
	return len < 9 || b[7] == '#' ? PS_OK : PS_BAD;
}

/* Is b[0..n) the first packet of the response to command cmd? The check
 * of resync() and of parse() after a resync: sequence id 1, and a first
 * byte the command can be answered with: OK (0x00, >= 7 bytes; PREPARE_OK
 * 9..12), ERR (my_err_plausible), LOCAL INFILE (0xfb, COM_QUERY), EOF
 * (0xfe, < 9 bytes: FIELD_LIST, SET_OPTION, FETCH, CHANGE_USER's auth
 * switch any size), a column count 1..250 or 0xfc + int<2> in a packet
 * of 1..4 bytes (QUERY, EXECUTE), a binary row (FETCH), a column
 * definition ("\3def", FIELD_LIST), text (STATISTICS). */
enum my_ps my_resp_plausible(uint8_t cmd, const uint8_t *b, size_t n)
{
	uint32_t len;
	uint8_t c0;

	if (n >= 4 && b[3] != 1)
		return PS_BAD;
	if (n >= 3 && !adi_ld_le24(b))
		return PS_BAD;
	if (n < 5)
		return PS_PARTIAL;
	len = adi_ld_le24(b);
	c0 = b[4];
	if (c0 == 0xff)
		return my_err_plausible(b, n, len);
	switch (cmd) {
	case COM_QUERY:
	case COM_STMT_EXECUTE:
	case COM_STMT_BULK_EXECUTE:
		if (c0 == 0x00)
			return len >= 7 ? PS_OK : PS_BAD;
		if (c0 == 0xfb)
			return cmd == COM_QUERY && len >= 2 ? PS_OK : PS_BAD;
		if (c0 >= 1 && c0 <= 0xfa)
			return len <= 2 ? PS_OK : PS_BAD;
		return c0 == 0xfc && len >= 3 && len <= 4 ? PS_OK : PS_BAD;
	case COM_STMT_PREPARE:
		return c0 == 0x00 && len >= 9 && len <= 12 ? PS_OK : PS_BAD;
	case COM_STMT_FETCH:
		return c0 == 0x00 || (c0 == 0xfe && len < 9) ? PS_OK : PS_BAD;
	case COM_FIELD_LIST:
		if (c0 == 0xfe)
			return len < 9 ? PS_OK : PS_BAD;
		if (n < 8)
			return PS_PARTIAL;
		return !memcmp(b + 4, "\3def", 4) ? PS_OK : PS_BAD;
	case COM_STATISTICS:
		return my_text_ok(b + 3, n - 3, len + 1, false);
	case COM_CHANGE_USER:
		return c0 == 0x00 ? (len >= 7 ? PS_OK : PS_BAD) :
		       c0 == 0xfe || c0 == 0x01 ? PS_OK : PS_BAD;
	case COM_SET_OPTION:
		if (c0 == 0xfe)
			return len < 9 ? PS_OK : PS_BAD;
		/* fall through */
	default:
		return c0 == 0x00 && len >= 7 ? PS_OK : PS_BAD;
	}
}

/* ---- OK, ERR and EOF packets ---- */

/* OK_Packet (page_protocol_basic_ok_packet), header 0x00 (or 0xfe when it
 * ends a result set with CLIENT_DEPRECATE_EOF):
 *   int<1> header | int<lenenc> affected rows | int<lenenc> last insert id |
 *   int<2> status | int<2> warnings |
 *   CLIENT_SESSION_TRACK: string<lenenc> info
 *     [+ string<lenenc> session state changes if SESSION_STATE_CHANGED]
 *   otherwise: string<EOF> info
 * Session state: (int<1> type, string<lenenc> data)*; type 1 (schema)
 * holds string<lenenc> the new default database. */

/* Does the rest of c look like string<lenenc> [+ more]? */
static bool my_looks_lenenc(const struct adi_cur *c, bool more)
{
	struct adi_cur t = *c;
	const uint8_t *s;
	size_t l;

	my_lenstr(&t, &s, &l);
	return !t.bad && (more ? adi_cur_left(&t) > 0 : adi_cur_left(&t) == 0);
}

static void my_session_state(struct mysql_state *st, const uint8_t *b, size_t n)
{
	struct adi_cur c = adi_cur_make(b, n);

	while (adi_cur_left(&c)) {
		uint8_t type;
		size_t dl, sl;
		const uint8_t *d, *s;

		adi_cur_u8(&c, &type);
		my_lenstr(&c, &d, &dl);
		if (c.bad)
			return;
		if (type == 1) { /* SESSION_TRACK_SCHEMA */
			struct adi_cur dc = adi_cur_make(d, dl);

			my_lenstr(&dc, &s, &sl);
			if (!dc.bad)
				my_sess_set(st, &st->database, s, sl);
		}
	}
}

/* The fixed head of an OK packet, up to its warnings. */
static void my_ok_head(struct adi_cur *c, struct my_ok *o)
{
	uint16_t status, warnings;

	memset(o, 0, sizeof(*o));
	adi_cur_skip(c, 1);
	my_lenenc(c, &o->affected, NULL);
	my_lenenc(c, &o->insert_id, NULL);
	adi_cur_le16(c, &status);
	adi_cur_le16(c, &warnings);
	o->status = status;
	o->warnings = warnings;
}

/* An OK packet into o; a schema change in its session state becomes the
 * connection's database. Whether info is string<lenenc> follows from the
 * capabilities, guessed from the bytes when the login was not seen. */
void my_ok_parse(struct mysql_state *st, struct adi_cur *c, struct my_ok *o)
{
	const uint8_t *s;
	size_t sl;
	bool track;

	my_ok_head(c, o);
	if (c->bad || !adi_cur_left(c))
		return;
	track = my_cap(st, CLIENT_SESSION_TRACK,
		       my_looks_lenenc(c, o->status & SERVER_SESSION_STATE_CHANGED));
	if (!track) {
		o->info_len = adi_cur_left(c);
		adi_cur_bytes(c, o->info_len, &o->info);
		return;
	}
	my_lenstr(c, &o->info, &o->info_len);
	if ((o->status & SERVER_SESSION_STATE_CHANGED) && adi_cur_left(c) &&
	    my_lenstr(c, &s, &sl))
		my_session_state(st, s, sl);
}

/* EOF_Packet (page_protocol_basic_eof_packet): 0xfe | int<2> warnings |
 * int<2> status. */
static void my_eof_parse(struct adi_cur *c, struct my_ok *o)
{
	uint16_t status, warnings;

	memset(o, 0, sizeof(*o));
	adi_cur_skip(c, 1);
	adi_cur_le16(c, &warnings);
	adi_cur_le16(c, &status);
	o->status = status;
	o->warnings = warnings;
}

/* The transaction state an OK or EOF status says. */
void my_status(struct mysql_state *st, unsigned status)
{
	st->tx = (status & SERVER_STATUS_IN_TRANS) ? TX_IN : TX_IDLE;
}

/* ERR_Packet (page_protocol_basic_err_packet):
 *   0xff | int<2> code | '#' + string[5] SQLSTATE (PROTOCOL_41) | string<EOF> message
 * Written as the event's error value:
 * {"code": "1064", "message": ..., "sqlstate": "42000"}. */
void my_err(struct adi_jw *w, struct adi_cur *c)
{
	const uint8_t *state = NULL, *msg;
	uint16_t code;
	size_t ml;

	adi_cur_skip(c, 1);
	adi_cur_le16(c, &code);
	if (adi_cur_left(c) >= 6 && *adi_cur_ptr(c) == '#') {
		adi_cur_skip(c, 1);
		adi_cur_bytes(c, 5, &state);
	}
	ml = adi_cur_left(c);
	adi_cur_bytes(c, ml, &msg);
	adi_jw_obj(w);
	adi_jw_key(w, "code");
	my_wdec(w, false, code);
	adi_jw_kbytes(w, "message", msg, ml);
	if (state)
		adi_jw_kbytes(w, "sqlstate", state, 5);
	else
		adi_jw_knull(w, "sqlstate");
	adi_jw_obj_end(w);
}

/* ---- what a server packet is, from its first bytes ---- */

/* Start reading the response to the FIFO's head command. */
static void my_resp_begin(struct mysql_state *st, struct my_side *sd,
			  const struct my_pend *pe)
{
	my_side_msg(sd);
	st->rkey = pe ? pe->key : 0;
	st->rcmd = pe ? pe->cmd : 0;
	st->rstmt = pe ? pe->stmt : 0;
	st->rbin = pe && (pe->cmd == COM_STMT_EXECUTE || pe->cmd == COM_STMT_FETCH ||
			  pe->cmd == COM_STMT_BULK_EXECUTE);
	st->ncols = st->col_i = st->nparams = st->param_i = st->rows = 0;
	st->rtypes_ok = false;
	st->cols_are = MY_COLS_NONE;
	adi_jw_reset(&st->sample);
	adi_jw_arr(&st->sample);
	st->sampling = true;
}

/* The response's columns are a list of names, none yet. */
static void my_cols_list(struct mysql_state *st)
{
	st->cols_are = MY_COLS_LIST;
	adi_jw_reset(&st->cols);
	adi_jw_arr(&st->cols);
}

/* Column types of a binary result whose metadata is not sent: those the
 * statement's last metadata had. */
static void my_types_from_stmt(struct mysql_state *st)
{
	struct my_stmt *s = my_stmt_find(st, st->rstmt);

	if (!s || !s->ctypes)
		return;
	st->ncols = s->nctypes;
	if (my_grow((void **)&st->rtypes, &st->rtypes_alloc, st->ncols ? st->ncols : 1,
		    sizeof(*st->rtypes))) {
		memcpy(st->rtypes, s->ctypes, st->ncols * sizeof(*st->rtypes));
		st->rtypes_ok = true;
	}
}

static void my_types_to_stmt(struct mysql_state *st)
{
	struct my_stmt *s = my_stmt_find(st, st->rstmt);
	uint16_t *t;

	if (!s || !st->rtypes_ok)
		return;
	t = realloc(s->ctypes, (st->ncols ? st->ncols : 1) * sizeof(*t));
	if (!t)
		return;
	memcpy(t, st->rtypes, st->ncols * sizeof(*t));
	s->ctypes = t;
	s->nctypes = (uint32_t)st->ncols;
}

/* The kind of the first packet of the response to pe (first byte c0,
 * length len); the response's phase follows from it. */
static enum my_pkt my_resp_first(struct mysql_state *st, const struct my_pend *pe,
				 uint8_t c0, uint32_t len)
{
	if (c0 == 0xff)
		return P_ERR;
	switch (pe->cmd) {
	case COM_QUERY:
	case COM_STMT_EXECUTE:
	case COM_STMT_BULK_EXECUTE:
		if (c0 == 0x00 || (c0 == 0xfe && len < 9))
			return P_OK;
		if (c0 == 0xfb && pe->cmd == COM_QUERY)
			return P_INFILE;
		return P_COLCOUNT;
	case COM_STMT_PREPARE:
		return c0 == 0x00 ? P_PREP_OK : P_OK;
	case COM_STMT_FETCH:
		my_types_from_stmt(st);
		st->rph = R_ROWS;
		return c0 == 0xfe && len < 0xffffff ? P_TERM : P_ROW;
	case COM_FIELD_LIST:
		st->rph = R_FIELDS;
		my_cols_list(st);
		return c0 == 0xfe && len < 0xffffff ? P_TERM : P_COLDEF;
	case COM_STATISTICS:
		return P_STATS;
	case COM_CHANGE_USER:
		st->rph = R_CHUSER;
		return c0 == 0x00 ? P_OK : P_AUTHSW;
	default:
		return P_OK;
	}
}

/* Between responses, a server packet at b is the greeting, the EOF that
 * may end a PREPARE response handed over, the first packet of the
 * response to the oldest command awaiting one, or an unsolicited ERR. */
static enum my_ps my_srv_idle(struct mysql_state *st, struct my_side *sd,
			      const uint8_t *b, size_t n, enum my_pkt *what)
{
	uint32_t len = adi_ld_le24(b);
	uint8_t c0 = b[4], seq = b[3];
	struct my_pend *pe;
	enum my_ps r;

	if (!st->greeted && !st->authed && !st->fifo_len && seq == 0 && c0 == 10) {
		if (sd->strict && (r = my_greeting_plausible(b, n)) != PS_OK)
			return r;
		*what = P_GREETING;
		return PS_OK;
	}
	if (st->maybe_eof && c0 == 0xfe && len == 5) {
		st->maybe_eof = false;
		*what = P_SSKIP;
		return PS_OK;
	}
	pe = my_fifo_head(st);
	if (!pe) {
		/* an unsolicited ERR (a server closing the connection) */
		if (c0 != 0xff || (seq > 1) ||
		    (r = my_err_plausible(b, n, len)) == PS_BAD)
			return PS_BAD;
		if (r == PS_PARTIAL)
			return r;
		my_resp_begin(st, sd, NULL);
		*what = P_ERR;
		return PS_OK;
	}
	if (sd->strict && (r = my_resp_plausible(pe->cmd, b, n)) != PS_OK)
		return r;
	my_resp_begin(st, sd, pe);
	*what = my_resp_first(st, pe, c0, len);
	return PS_OK;
}

/* The kind of a server packet at b, by the phase of the response. */
static enum my_ps my_srv_kind(struct mysql_state *st, struct my_side *sd,
			      const uint8_t *b, size_t n, enum my_pkt *what)
{
	uint32_t len = adi_ld_le24(b);
	uint8_t c0 = b[4];

	switch (st->rph) {
	case R_IDLE:
		return my_srv_idle(st, sd, b, n, what);
	case R_AUTH:
		*what = P_AUTH;
		break;
	case R_CHUSER:
		*what = c0 == 0x00 ? P_OK : c0 == 0xff ? P_ERR : P_AUTHSW;
		break;
	case R_COLS:
	case R_PREP_COLS:
		*what = c0 == 0xff ? P_ERR : P_COLDEF;
		break;
	case R_FIELDS:
		*what = c0 == 0xff ? P_ERR : c0 == 0xfe && len < 0xffffff ? P_TERM : P_COLDEF;
		break;
	case R_AFTER_DEFS:
	case R_ROWS:
		/* 0xfe starts a row only as int<lenenc> of a >= 16 MiB value,
		 * whose packet is then 0xffffff long */
		if (c0 == 0xfe && len <= 5 && st->rph == R_AFTER_DEFS) {
			*what = P_EOF_DEFS; /* an EOF is 5 bytes, an OK at least 7 */
		} else if (c0 == 0xfe && len < 0xffffff) {
			*what = P_TERM;
		} else if (c0 == 0xff) {
			*what = P_ERR;
		} else {
			*what = P_ROW;
			st->rph = R_ROWS;
		}
		break;
	case R_INFILE:
		*what = c0 == 0xff ? P_ERR : P_OK;
		break;
	case R_PREP_PARAMS:
		*what = P_PARAMDEF;
		break;
	case R_PREP_PEOF:
		if (c0 == 0xfe && len < 9) {
			*what = P_EOF_PREP;
		} else { /* no EOF: CLIENT_DEPRECATE_EOF */
			st->deprecate_eof = EOF_DEPRECATED;
			st->rph = R_PREP_COLS;
			*what = P_COLDEF;
		}
		break;
	case R_PREP_CEOF:
		if (c0 != 0xfe || len >= 9)
			return PS_BAD;
		*what = P_EOF_PREP;
		break;
	}
	return PS_OK;
}

/* A server packet starts at b (header + what is visible of the payload):
 * what it is, and how its payload is taken. */
enum my_ps my_srv_start(struct mysql_state *st, struct my_side *sd,
			const struct adi_proto_cfg *cfg,
			const uint8_t *b, size_t n)
{
	uint32_t len = adi_ld_le24(b);
	enum my_pkt what = P_NONE;
	enum my_ps r;

	if (my_stopped(st))
		return PS_DONE;
	if (!len)
		return PS_BAD; /* no server packet is empty */
	if (n < 5)
		return PS_PARTIAL;
	sd->h = H_COPY;
	sd->pk_cap = MY_PK_MAX;
	if (b[4] == 0xff && !sd->strict && st->rph != R_AUTH &&
	    (st->rph != R_IDLE || st->fifo_len)) {
		/* MariaDB progress report: ff, ff ff, ... */
		if (len >= 3 && n < 7)
			return PS_PARTIAL;
		if (len >= 3 && b[5] == 0xff && b[6] == 0xff) {
			sd->what = P_PROGRESS;
			sd->h = H_SKIP;
			return PS_OK;
		}
	}
	if ((r = my_srv_kind(st, sd, b, n, &what)) != PS_OK)
		return r;
	st->maybe_eof = false;
	if (what == P_ROW) {
		sd->h = H_WALK;
		my_walk_begin(&sd->w, st->rbin ? W_BIN_ROW : W_TEXT_ROW, (uint32_t)st->ncols,
			st->rows < cfg->rows_sample && (!st->rbin || st->rtypes_ok) &&
			st->sampling);
		sd->w.rt = st->rtypes;
		if (st->rbin && !st->rtypes_ok)
			sd->w.step = WS_DEAD; /* types unknown: counted only */
	}
	sd->what = what;
	return PS_OK;
}

/* ---- the response's message ---- */

/* Member tx: "in_tx", "idle", or null when no OK / EOF was seen. */
void my_tx_put(struct adi_jw *w, const struct mysql_state *st)
{
	adi_jw_key(w, "tx");
	if (st->tx == TX_IN)
		adi_jw_raw(w, "\"in_tx\"", 7);
	else if (st->tx == TX_IDLE)
		adi_jw_raw(w, "\"idle\"", 6);
	else
		adi_jw_null(w);
}

/* tx, database and user after the reply, into w (null when unknown: a
 * reply's null is not replaced by the command's value). pe: the command
 * answered, or NULL: what is as its message showed it is not repeated
 * (the event takes the command's, the same). */
void my_after(struct mysql_state *st, struct adi_jw *w, const struct my_pend *pe)
{
	if (!pe || pe->tx != st->tx)
		my_tx_put(w, st);
	if (!pe || pe->sess != st->sess) {
		my_jstr_put(w, "database", &st->database);
		my_jstr_put(w, "user", &st->user);
	}
}

/* rows (those read) and rows_sample of a result set, into w; the sample
 * is taken. */
void my_rows(struct mysql_state *st, struct adi_jw *w)
{
	adi_jw_kint(w, "rows", (int64_t)st->rows);
	if (st->sampling) {
		adi_jw_arr_end(&st->sample);
		adi_jw_kraw(w, "rows_sample", adi_jw_text(&st->sample));
		st->sampling = false;
	}
}

/* The response (or one result of it) is complete: hand it over. more: a
 * further result of the same command follows. */
enum adi_parse my_resp_frame(struct mysql_state *st, struct my_side *sd,
			     struct adi_msg *out, bool more)
{
	struct adi_jw *w = &sd->mw;
	struct my_pend *pe = my_fifo_head(st);

	if (st->cols_are == MY_COLS_LIST) {
		adi_jw_arr_end(&st->cols);
		adi_jw_kraw(w, "columns", adi_jw_text(&st->cols));
	} else if (st->cols_are == MY_COLS_NULL) {
		adi_jw_knull(w, "columns");
	}
	st->cols_are = MY_COLS_NONE;
	my_after(st, w, st->rkey && pe && pe->key == st->rkey ? pe : NULL);
	if (sd->cut)
		adi_jw_kbool(w, "truncated", true);
	if (more)
		adi_jw_kbool(w, "_more", true);
	if (sd->incomplete || sd->damaged)
		adi_jw_kbool(w, "incomplete", true);
	out->kind = MYSQL_RESP;
	out->key = st->rkey;
	adi_jw_copy(&out->f, w);
	out->incomplete = sd->incomplete || sd->damaged;
	sd->msg = false;
	if (!more && st->rkey && pe && pe->key == st->rkey)
		my_fifo_pop(st);
	st->rph = R_IDLE;
	st->sampling = false;
	return ADI_PARSE_FRAME;
}

static const char *my_plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

/* The command's arguments have taken effect: they are gone from it. */
static void my_pend_take(struct my_pend *pe)
{
	free(pe->arg);
	free(pe->arg2);
	pe->arg = pe->arg2 = NULL;
}

/* What an OK packet changes, by the command it answers. */
static void my_ok_effects(struct mysql_state *st)
{
	struct my_pend *pe = my_fifo_head(st);

	if (!pe || pe->key != st->rkey)
		return;
	switch (pe->cmd) {
	case COM_INIT_DB:
		my_sess_set(st, &st->database, (const uint8_t *)pe->arg,
			    pe->arg ? strlen(pe->arg) : 0);
		my_pend_take(pe); /* a further OK of it knows no database */
		break;
	case COM_CHANGE_USER:
		my_sess_set(st, &st->user, (const uint8_t *)pe->arg,
			    pe->arg ? strlen(pe->arg) : 0);
		my_sess_set(st, &st->database, (const uint8_t *)pe->arg2,
			    pe->arg2 ? strlen(pe->arg2) : 0);
		my_pend_take(pe);
		/* the session is reset too */
		/* fall through */
	case COM_RESET_CONNECTION:
		my_stmt_forget_all(st);
		break;
	}
}

/* Appends the text s and the decimal digits of v at p; returns the end
 * (the tags below are built by hand: one is written for every reply). */
static char *my_tag_num(char *p, const char *s, uint64_t v)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return adi_u64_dec(p + n, v);
}

/* Appends " row" / " rows" (word, plural when n != 1) at p. */
static char *my_tag_word(char *p, const char *word, uint64_t n)
{
	size_t k = strlen(word);

	*p++ = ' ';
	memcpy(p, word, k);
	p += k;
	if (n != 1)
		*p++ = 's';
	return p;
}

/* command_tag of an OK: "OK, 1 row affected, last insert id 5, 1 warning"
 * for statements (QUERY, EXECUTE, BULK; the insert id and warnings only
 * when not 0), "OK" for every other command. */
static void my_ok_tag(struct adi_jw *w, const struct mysql_state *st, const struct my_ok *o)
{
	char buf[128], *p = buf;

	adi_jw_key(w, "command_tag");
	if (st->rcmd != COM_QUERY && st->rcmd != COM_STMT_EXECUTE &&
	    st->rcmd != COM_STMT_BULK_EXECUTE) {
		adi_jw_raw(w, "\"OK\"", 4);
		return;
	}
	*p++ = '"';
	p = my_tag_num(p, "OK, ", o->affected);
	p = my_tag_word(p, "row", o->affected);
	memcpy(p, " affected", 9);
	p += 9;
	if (o->insert_id)
		p = my_tag_num(p, ", last insert id ", o->insert_id);
	if (o->warnings) {
		p = my_tag_num(p, ", ", o->warnings);
		p = my_tag_word(p, "warning", o->warnings);
	}
	*p++ = '"';
	adi_jw_raw(w, buf, (size_t)(p - buf));
}

/* The end of a COM_STMT_PREPARE response. */
static enum adi_parse my_prep_done(struct mysql_state *st, struct my_side *sd,
				   struct adi_msg *out)
{
	adi_jw_key(&sd->mw, "command_tag");
	my_wfmt(&sd->mw, "OK, %llu param%s, %llu column%s",
		(unsigned long long)st->nparams, my_plural(st->nparams),
		(unsigned long long)st->ncols, my_plural(st->ncols));
	st->rtypes_ok = true;
	my_types_to_stmt(st);
	return my_resp_frame(st, sd, out, false);
}

/* After the last parameter or column definition of a PREPARE response:
 * an EOF follows (CLIENT_DEPRECATE_EOF off), or not. Unknown (no login
 * seen): the response ends here, and an EOF right after is skipped. */
static enum adi_parse my_prep_defs_end(struct mysql_state *st, struct my_side *sd,
				       struct adi_msg *out, bool params)
{
	if (st->deprecate_eof == EOF_SENT) {
		st->rph = params ? R_PREP_PEOF : R_PREP_CEOF;
		return ADI_PARSE_AGAIN;
	}
	if (params && st->ncols) {
		st->rph = st->deprecate_eof == EOF_DEPRECATED ? R_PREP_COLS : R_PREP_PEOF;
		return ADI_PARSE_AGAIN;
	}
	st->maybe_eof = st->deprecate_eof == EOF_UNKNOWN;
	return my_prep_done(st, sd, out);
}

/* The result set is complete (terminator status given). */
static enum adi_parse my_result_done(struct mysql_state *st, struct my_side *sd,
				     struct adi_msg *out, unsigned status,
				     unsigned warnings)
{
	struct adi_jw *w = &sd->mw;

	my_status(st, status);
	my_rows(st, w);
	if (st->rcmd != COM_FIELD_LIST) { /* its command_tag is null */
		char buf[48], *p = buf;

		*p++ = '"';
		p = my_tag_num(p, "SELECT ", st->rows);
		p = my_tag_word(p, "row", st->rows);
		*p++ = '"';
		adi_jw_key(w, "command_tag");
		adi_jw_raw(w, buf, (size_t)(p - buf));
	}
	if (warnings)
		adi_jw_kint(w, "warnings", warnings);
	return my_resp_frame(st, sd, out, (status & SERVER_MORE_RESULTS_EXISTS) != 0);
}

/* ---- what a complete server packet does: one function a kind ----
 * Each returns what parse() makes of it: FRAME (a message in out: the
 * response, or one result of it, ended), AGAIN (the response goes on),
 * SKIP (a packet of no message). */

static enum adi_parse my_srv_ok(struct mysql_state *st, struct my_side *sd,
				struct adi_msg *out)
{
	struct adi_cur c = my_pk_cur(sd);
	struct adi_jw *w = &sd->mw;
	struct my_ok o;

	if (my_pk_first(sd) == 0xfe && sd->pk_len < 9) /* an EOF (old SET_OPTION) */
		my_eof_parse(&c, &o);
	else
		my_ok_parse(st, &c, &o);
	my_status(st, o.status);
	my_ok_effects(st);
	adi_jw_kint(w, "rows", (int64_t)o.affected);
	my_ok_tag(w, st, &o);
	if (o.insert_id)
		adi_jw_kint(w, "last_insert_id", (int64_t)o.insert_id);
	if (o.warnings)
		adi_jw_kint(w, "warnings", o.warnings);
	if (o.info_len) {
		adi_jw_key(w, "info");
		my_wbytes(w, o.info, o.info_len, sd->pk_cut);
	}
	return my_resp_frame(st, sd, out, (o.status & SERVER_MORE_RESULTS_EXISTS) != 0);
}

static enum adi_parse my_srv_err(struct mysql_state *st, struct my_side *sd,
				 struct adi_msg *out)
{
	struct adi_cur c = my_pk_cur(sd);

	adi_jw_key(&sd->mw, "error");
	my_err(&sd->mw, &c); /* command_tag: null */
	return my_resp_frame(st, sd, out, false);
}

/* LOCAL INFILE request: 0xfb + the file name; the client sends it. */
static enum adi_parse my_srv_infile(struct mysql_state *st, struct my_side *sd)
{
	struct adi_cur c = my_pk_cur(sd);

	adi_cur_skip(&c, 1);
	adi_jw_key(&sd->mw, "infile");
	my_wbytes(&sd->mw, adi_cur_ptr(&c), adi_cur_left(&c), sd->pk_cut);
	st->rph = R_INFILE;
	return ADI_PARSE_AGAIN;
}

/* COM_STATISTICS' answer: string<EOF>. */
static enum adi_parse my_srv_stats(struct mysql_state *st, struct my_side *sd,
				   struct adi_msg *out)
{
	adi_jw_key(&sd->mw, "info"); /* command_tag: null */
	my_wbytes(&sd->mw, sd->pkb, sd->pk_len, sd->pk_cut);
	return my_resp_frame(st, sd, out, false);
}

/* A result set's column count: int<lenenc> [+ metadata_follows<1>]. */
static enum adi_parse my_srv_colcount(struct mysql_state *st, struct my_side *sd,
				      struct adi_msg *out)
{
	struct adi_cur c = my_pk_cur(sd);
	uint8_t meta;
	bool null;

	my_lenenc(&c, &st->ncols, &null);
	if (c.bad || null || !st->ncols || st->ncols > MY_MAX_COLS ||
	    !my_grow((void **)&st->rtypes, &st->rtypes_alloc, st->ncols,
		     sizeof(*st->rtypes))) {
		sd->incomplete = true; /* not a column count after all */
		return my_resp_frame(st, sd, out, false);
	}
	st->col_i = 0;
	if (adi_cur_u8(&c, &meta) && !meta) {
		/* metadata_follows = 0 (OPTIONAL_RESULTSET_METADATA,
		 * MariaDB CACHE_METADATA): types as last time */
		st->cols_are = MY_COLS_NULL;
		if (st->rbin)
			my_types_from_stmt(st);
		st->rph = R_AFTER_DEFS;
	} else {
		my_cols_list(st);
		st->rph = R_COLS;
	}
	return ADI_PARSE_AGAIN;
}

/* A column definition: of a result set, a PREPARE's result or
 * COM_FIELD_LIST. */
static enum adi_parse my_srv_coldef(struct mysql_state *st, struct my_side *sd,
				    struct adi_msg *out)
{
	struct adi_cur c = my_pk_cur(sd);
	const uint8_t *name;
	size_t nl;
	uint16_t type;
	bool named = my_coldef(&c, st->rph == R_FIELDS, &type, &name, &nl);

	if (st->cols_are == MY_COLS_LIST) {
		if (named)
			adi_jw_bytes(&st->cols, name, nl);
		else
			adi_jw_null(&st->cols);
	}
	if (st->rph == R_FIELDS)
		return ADI_PARSE_AGAIN;
	if (st->col_i < st->ncols)
		st->rtypes[st->col_i] = type;
	if (++st->col_i < st->ncols)
		return ADI_PARSE_AGAIN;
	if (st->rph == R_PREP_COLS)
		return my_prep_defs_end(st, sd, out, false);
	st->rtypes_ok = true;
	if (st->rbin)
		my_types_to_stmt(st);
	st->rph = R_AFTER_DEFS;
	return ADI_PARSE_AGAIN;
}

/* The EOF after a result set's definitions (CLIENT_DEPRECATE_EOF off). */
static enum adi_parse my_srv_eof_defs(struct mysql_state *st, struct my_side *sd,
				      struct adi_msg *out)
{
	struct adi_cur c = my_pk_cur(sd);
	struct my_ok o;

	my_eof_parse(&c, &o);
	st->deprecate_eof = EOF_SENT;
	if (st->rbin && (o.status & SERVER_STATUS_CURSOR_EXISTS)) {
		/* rows come with COM_STMT_FETCH */
		adi_jw_kbool(&sd->mw, "cursor_open", true);
		return my_result_done(st, sd, out, o.status, o.warnings);
	}
	st->rph = R_ROWS;
	return ADI_PARSE_AGAIN;
}

/* A row, walked as it came: counted, kept while the sample has room. */
static enum adi_parse my_srv_row(struct mysql_state *st, struct my_side *sd,
				 const struct adi_proto_cfg *cfg)
{
	my_walk_end(st, cfg, &sd->w);
	if (sd->w.step != WS_DONE && sd->w.keep)
		sd->incomplete = true;
	if (sd->w.keep && st->sampling) {
		struct adi_jv row = my_walk_vals(&sd->w);

		adi_jw_raw(&st->sample, row.p, row.n);
	}
	sd->cut |= sd->w.cut;
	st->rows++;
	return ADI_PARSE_AGAIN;
}

/* The end of the rows: EOF, or an OK with the 0xfe header
 * (CLIENT_DEPRECATE_EOF). */
static enum adi_parse my_srv_term(struct mysql_state *st, struct my_side *sd,
				  struct adi_msg *out)
{
	struct adi_cur c = my_pk_cur(sd);
	struct my_ok o;

	if (sd->pk_len >= 7) {
		my_ok_parse(st, &c, &o);
		if (st->deprecate_eof == EOF_UNKNOWN)
			st->deprecate_eof = EOF_DEPRECATED;
		if (o.info_len) {
			adi_jw_key(&sd->mw, "info");
			my_wbytes(&sd->mw, o.info, o.info_len, sd->pk_cut);
		}
		return my_result_done(st, sd, out, o.status, o.warnings);
	}
	if (st->deprecate_eof == EOF_UNKNOWN && st->rph == R_AFTER_DEFS)
		st->deprecate_eof = EOF_DEPRECATED;
	my_eof_parse(&c, &o);
	return my_result_done(st, sd, out, o.status, o.warnings);
}

/* COM_STMT_PREPARE_OK (page_protocol_com_stmt_prepare_response):
 *   0x00 | int<4> statement id | int<2> columns | int<2> params |
 *   0x00 | int<2> warnings
 * then the parameter and column definitions. */
static enum adi_parse my_srv_prep_ok(struct mysql_state *st, struct my_side *sd,
				     struct adi_msg *out)
{
	struct adi_cur c = my_pk_cur(sd);
	struct my_pend *pe = my_fifo_head(st);
	struct adi_jw *w = &sd->mw;
	uint16_t ncols, nparams, warnings;
	uint32_t id;

	adi_cur_skip(&c, 1);
	adi_cur_le32(&c, &id);
	adi_cur_le16(&c, &ncols);
	adi_cur_le16(&c, &nparams);
	adi_cur_skip(&c, 1);
	adi_cur_le16(&c, &warnings);
	st->ncols = ncols;
	st->nparams = nparams;
	st->col_i = st->param_i = 0;
	if (pe && pe->key == st->rkey)
		my_stmt_add(st, id, pe, (uint32_t)st->nparams);
	st->rstmt = id;
	/* written now, in this order, ahead of what ends the response (its
	 * column names, the tag, or an ERR) */
	adi_jw_key(w, "statement");
	my_wdec(w, false, id);
	adi_jw_kint(w, "num_params", (int64_t)st->nparams);
	my_cols_list(st);
	if (warnings)
		adi_jw_kint(w, "warnings", warnings);
	if (!my_grow((void **)&st->rtypes, &st->rtypes_alloc, st->ncols ? st->ncols : 1,
		     sizeof(*st->rtypes)))
		st->ncols = 0;
	if (st->nparams) {
		st->rph = R_PREP_PARAMS;
		return ADI_PARSE_AGAIN;
	}
	if (st->ncols) {
		st->rph = R_PREP_COLS;
		return ADI_PARSE_AGAIN;
	}
	return my_prep_done(st, sd, out);
}

/* A parameter definition of a PREPARE response (not shown). */
static enum adi_parse my_srv_paramdef(struct mysql_state *st, struct my_side *sd,
				      struct adi_msg *out)
{
	if (++st->param_i < st->nparams)
		return ADI_PARSE_AGAIN;
	return my_prep_defs_end(st, sd, out, true);
}

/* The EOF after a PREPARE response's parameters or columns. */
static enum adi_parse my_srv_eof_prep(struct mysql_state *st, struct my_side *sd,
				      struct adi_msg *out)
{
	st->deprecate_eof = EOF_SENT;
	if (st->rph == R_PREP_PEOF && st->ncols) {
		st->rph = R_PREP_COLS;
		return ADI_PARSE_AGAIN;
	}
	return my_prep_done(st, sd, out);
}

/* A server packet is complete: what its kind (my_srv_start) does. */
enum adi_parse my_srv_end(struct mysql_state *st, struct my_side *sd,
			  const struct adi_proto_cfg *cfg, struct adi_msg *out)
{
	switch (sd->what) {
	case P_SSKIP:           /* the EOF after a PREPARE response handed over */
		st->deprecate_eof = EOF_SENT;
		return ADI_PARSE_SKIP;
	case P_GREETING:
		return my_srv_greeting(st, sd, out);
	case P_AUTH:
		return my_srv_auth(st, sd, out);
	case P_AUTHSW:
		return my_srv_authsw(sd);
	case P_OK:
		return my_srv_ok(st, sd, out);
	case P_ERR:
		return my_srv_err(st, sd, out);
	case P_INFILE:
		return my_srv_infile(st, sd);
	case P_STATS:
		return my_srv_stats(st, sd, out);
	case P_COLCOUNT:
		return my_srv_colcount(st, sd, out);
	case P_COLDEF:
		return my_srv_coldef(st, sd, out);
	case P_EOF_DEFS:
		return my_srv_eof_defs(st, sd, out);
	case P_ROW:
		return my_srv_row(st, sd, cfg);
	case P_TERM:
		return my_srv_term(st, sd, out);
	case P_PREP_OK:
		return my_srv_prep_ok(st, sd, out);
	case P_PARAMDEF:
		return my_srv_paramdef(st, sd, out);
	case P_EOF_PREP:
		return my_srv_eof_prep(st, sd, out);
	default:                /* P_PROGRESS: skipped within the response */
		return ADI_PARSE_AGAIN;
	}
}
