/* mysql_priv.h - what the files of the MySQL / MariaDB decoder share and
 * nothing outside src/proto/mysql/ includes: the protocol's constants
 * (capability and status flags, command bytes, column types), the
 * decoder's limits, the per-connection state (struct mysql_state and its
 * parts) and the functions one file of the folder calls in another (their
 * contracts are above their definitions). The public side is ../mysql.h.
 */
#ifndef ADI_PROTO_MYSQL_PRIV_H
#define ADI_PROTO_MYSQL_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../mysql.h"
#include "../../lib/cursor.h"
#include "../../lib/jw.h"

/* Limits (docs/mysql.md, "Limits"). */
#define MY_SQL_MAX (64 * 1024)    /* statement text kept; beyond: truncated */
#define MY_PK_MAX (64 * 1024)     /* bytes of any other packet kept */
#define MY_FIFO_CAP 64            /* commands awaiting a reply (pipelining) */
#define MY_MAX_STMTS 256          /* prepared statements remembered */
#define MY_STMT_SQL_BUDGET (1024 * 1024) /* their texts together */
#define MY_MAX_LONG 32            /* parameters holding SEND_LONG_DATA */
#define MY_MAX_ATTRS 64           /* connection attributes kept */
#define MY_MAX_COLS 65535         /* columns / parameters believed */
#define MY_PEEK 16                /* payload bytes a plausibility check reads */
#define MY_NO_STMT 0xffffffffu    /* MariaDB: "the statement prepared last" */

/* Capability flags (PAGE_PROTOCOL "Capabilities Flags"). */
#define CLIENT_LONG_PASSWORD (1u << 0)  /* MariaDB: CLIENT_MYSQL */
#define CLIENT_CONNECT_WITH_DB (1u << 3)
#define CLIENT_COMPRESS (1u << 5)
#define CLIENT_PROTOCOL_41 (1u << 9)
#define CLIENT_SSL (1u << 11)
#define CLIENT_SECURE_CONNECTION (1u << 15)
#define CLIENT_PLUGIN_AUTH (1u << 19)
#define CLIENT_CONNECT_ATTRS (1u << 20)
#define CLIENT_PLUGIN_AUTH_LENENC (1u << 21)
#define CLIENT_SESSION_TRACK (1u << 23)
#define CLIENT_DEPRECATE_EOF (1u << 24)
#define CLIENT_QUERY_ATTRIBUTES (1u << 27)

/* Server status flags (OK, EOF). */
#define SERVER_STATUS_IN_TRANS 0x0001
#define SERVER_MORE_RESULTS_EXISTS 0x0008
#define SERVER_STATUS_CURSOR_EXISTS 0x0040
#define SERVER_SESSION_STATE_CHANGED 0x4000

/* Command bytes. */
enum my_com {
	COM_QUIT = 0x01, COM_INIT_DB = 0x02, COM_QUERY = 0x03,
	COM_FIELD_LIST = 0x04, COM_REFRESH = 0x07, COM_STATISTICS = 0x09,
	COM_PROCESS_KILL = 0x0c, COM_DEBUG = 0x0d, COM_PING = 0x0e,
	COM_CHANGE_USER = 0x11, COM_BINLOG_DUMP = 0x12,
	COM_STMT_PREPARE = 0x16, COM_STMT_EXECUTE = 0x17,
	COM_STMT_SEND_LONG_DATA = 0x18, COM_STMT_CLOSE = 0x19,
	COM_STMT_RESET = 0x1a, COM_SET_OPTION = 0x1b, COM_STMT_FETCH = 0x1c,
	COM_BINLOG_DUMP_GTID = 0x1e, COM_RESET_CONNECTION = 0x1f,
	COM_STMT_BULK_EXECUTE = 0xfa, /* MariaDB */
};

/* Column / parameter types (enum_field_types). */
enum my_type {
	T_DECIMAL = 0, T_TINY = 1, T_SHORT = 2, T_LONG = 3, T_FLOAT = 4,
	T_DOUBLE = 5, T_NULL = 6, T_TIMESTAMP = 7, T_LONGLONG = 8, T_INT24 = 9,
	T_DATE = 10, T_TIME = 11, T_DATETIME = 12, T_YEAR = 13, T_NEWDATE = 14,
	T_VARCHAR = 15, T_BIT = 16, T_TIMESTAMP2 = 17, T_DATETIME2 = 18,
	T_TIME2 = 19, T_VECTOR = 242, T_JSON = 245, T_NEWDECIMAL = 246,
	T_ENUM = 247, T_SET = 248, T_TINY_BLOB = 249, T_MEDIUM_BLOB = 250,
	T_LONG_BLOB = 251, T_BLOB = 252, T_VAR_STRING = 253, T_STRING = 254,
	T_GEOMETRY = 255,
};
#define MY_UNSIGNED 0x8000  /* in a stored type: the value is unsigned */
#define MY_TEXT 0x4000      /* a text-protocol value: lenenc, 0xfb = NULL */

/* The smaller of a size and a 64-bit count, as a size. */
static inline size_t my_min(size_t a, uint64_t b)
{
	return b < a ? (size_t)b : a;
}

/* ---- state ---- */

enum { EOF_UNKNOWN, EOF_SENT, EOF_DEPRECATED }; /* CLIENT_DEPRECATE_EOF in effect? */
enum { TX_UNKNOWN, TX_IDLE, TX_IN };

/* A string of the session (user, database) kept as the JSON value the
 * events show: written once when it changes, copied as is into every
 * message. s: the text (NUL-terminated), n its length; NULL: unknown. */
struct my_jstr {
	char *s;
	size_t n;
};

/* A command awaiting its reply. */
struct my_pend {
	uint64_t key;
	uint8_t cmd;
	uint32_t stmt;          /* EXECUTE, FETCH, RESET, BULK: statement id */
	char *sql;              /* PREPARE: the text as the JSON value the
				 * events show, for the statement map */
	size_t sql_json_len;    /* its length */
	size_t sql_len;         /* the text's own length (the map's budget) */
	bool sql_cut;
	char *arg, *arg2;       /* INIT_DB: database; CHANGE_USER: user, database */
	int tx;                 /* the session its message showed (st->tx, */
	uint64_t sess;          /* st->sess): its reply repeats only changes */
};

/* A prepared statement, known from its COM_STMT_PREPARE response. */
struct my_stmt {
	bool used;
	uint32_t id;
	uint64_t tick;          /* last use: the least recently used goes first */
	char *sql;              /* the text as a JSON value, written once at
				 * PREPARE: every EXECUTE copies it as is */
	size_t sql_json_len;
	size_t sql_len;         /* the text's own length, counted against
				 * MY_STMT_SQL_BUDGET */
	bool sql_cut;
	uint32_t nparams;
	uint16_t *ptypes;       /* types the latest EXECUTE that bound them sent */
	uint32_t nctypes;
	uint16_t *ctypes;       /* result column types (for FETCH, no metadata) */
};

/* COM_STMT_SEND_LONG_DATA of one parameter, until the EXECUTE. */
struct my_long {
	bool used;
	uint32_t stmt;
	uint16_t param;
	uint8_t *keep;          /* the first body_bytes */
	size_t len;
	uint64_t total;
};

/* The value walker: parameters of COM_STMT_EXECUTE (and query attributes
 * of COM_QUERY) and result-set rows, consumed as they arrive so that a
 * value of any size never has to be held whole: each value keeps its first
 * body_bytes and counts the rest. */
enum my_wmode { W_TEXT_ROW, W_BIN_ROW, W_EXEC, W_QATTR };
enum my_wstep {
	WS_HEAD,    /* EXEC: command, id, flags, iteration count; BIN_ROW: 0x00 */
	WS_COUNT,   /* parameter_count<lenenc> (CLIENT_QUERY_ATTRIBUTES) */
	WS_SETS,    /* COM_QUERY: parameter_set_count<lenenc> */
	WS_BITMAP,  /* NULL bitmap */
	WS_BOUND,   /* new_params_bind_flag */
	WS_TYPE,    /* type<2> of parameter i */
	WS_NAME,    /* name<lenenc> of parameter i (query attributes) */
	WS_VAL,     /* value i */
	WS_RAW,     /* EXEC of an unknown statement: the block kept raw */
	WS_DONE,    /* all values read: what follows is not the walker's */
	WS_DEAD,    /* malformed or lost: the rest of the packet is skipped */
};
enum my_vstep { VS_START, VS_LEN, VS_DATA, VS_FIX, VS_TLEN, VS_TBODY };

struct my_walk {
	uint8_t mode, step, vstep;
	bool qa;                /* CLIENT_QUERY_ATTRIBUTES framing */
	bool keep;              /* values are kept (sampled row, parameters) */
	bool bound;             /* EXEC: types were sent */
	bool unknown;           /* EXEC: statement or types not known */
	bool to_names;          /* the value being read is a parameter name */
	bool cut;               /* a kept value was cut */
	uint8_t flags;          /* EXEC: cursor flags */
	uint32_t stmt;          /* EXEC: statement id */
	uint32_t i, n;          /* value index, value count */
	uint8_t tk[16];         /* a small token being gathered */
	uint8_t tk_len, le_want;
	uint8_t *bm;            /* NULL bitmap */
	size_t bm_len, bm_want, bm_alloc;
	uint16_t *types;        /* EXEC: parameter types */
	size_t types_alloc;
	const uint16_t *rt;     /* BIN_ROW: column types (the state's) */
	uint16_t vtype;         /* the current value's type */
	uint64_t need;          /* its bytes still to come */
	uint8_t *v;             /* its first bytes */
	size_t v_len, v_alloc;
	bool v_cut;
	uint64_t raw_total;     /* WS_RAW: size of the raw block */
	/* the kept values and the parameter names, each written as a JSON
	 * array while they are read (my_walk_vals, my_walk_names) */
	struct adi_jw vals, names;
	uint32_t nnames;
};

/* How the bytes of a packet are taken. */
enum my_h {
	H_COPY,  /* the first pk_cap payload bytes kept, decoded at its end */
	H_WALK,  /* through the value walker */
	H_SKIP,  /* counted only */
};

/* What a packet is: decided from its first bytes, acted on at its end. */
enum my_pkt {
	P_NONE,
	P_CMD, P_LOGIN, P_CSKIP,                          /* client */
	P_GREETING, P_AUTH, P_OK, P_ERR, P_INFILE, P_COLCOUNT, P_COLDEF,
	P_EOF_DEFS, P_ROW, P_TERM, P_PREP_OK, P_PARAMDEF, P_EOF_PREP,
	P_STATS, P_PROGRESS, P_SSKIP, P_AUTHSW,          /* server */
};

/* Framing and message building of one direction. */
struct my_side {
	bool in_pkt;            /* inside a logical packet (header read) */
	uint32_t left;          /* payload bytes of the physical packet to come */
	bool more;              /* it is 0xffffff long: another one continues it */
	uint8_t hdr[4], hdr_len;/* a continuation header being read */
	uint8_t seq;            /* sequence id of the latest header */
	uint64_t plen;          /* payload bytes of the logical packet so far */
	bool damaged;           /* a gap fell inside it */
	enum my_h h;
	enum my_pkt what;
	bool nomsg;             /* the packet makes no message (SKIPped) */
	uint8_t *pk;            /* H_COPY: the first pk_cap payload bytes */
	size_t pk_len, pk_cap, pk_alloc;
	const uint8_t *pkb;     /* where they are: pk, or the input itself when
				 * one piece of it held them all (borrowed: the
				 * packet's end handler runs in the same parse()
				 * call; nothing reads it afterwards) */
	bool pk_cut;            /* bytes beyond pk_cap were dropped */
	struct my_walk w;
	bool strict;            /* after resync: only what resync() accepts */
	bool resyncing;         /* resync() was called, parse() not since */
	bool held;              /* parse() left bytes unconsumed: the engine may
				 * drop them (a gap) without telling */
	bool msg;               /* a message is being built */
	struct adi_jw mw;       /* its fields, written as its packets say them
				 * (a response's spans several packets; what
				 * must wait for the last one is kept typed in
				 * the state): copied into the message's f
				 * (adi_jw_copy) when it is complete */
	bool incomplete;        /* bytes of it were lost */
	bool cut;               /* a value of it was cut */
};

/* What a response says of its columns: nothing (an OK, an ERR), null
 * (metadata not sent: OPTIONAL_RESULTSET_METADATA), or their names. */
enum my_cols { MY_COLS_NONE, MY_COLS_NULL, MY_COLS_LIST };

/* Where the response being read is. */
enum my_rph {
	R_IDLE,        /* between responses */
	R_AUTH,        /* connection phase, after the greeting */
	R_COLS,        /* column definitions */
	R_AFTER_DEFS,  /* EOF (CLIENT_DEPRECATE_EOF off) or the first row */
	R_ROWS,
	R_INFILE,      /* LOCAL INFILE: the client sends the file, then OK/ERR */
	R_FIELDS,      /* COM_FIELD_LIST: definitions until EOF */
	R_PREP_PARAMS, R_PREP_PEOF, R_PREP_COLS, R_PREP_CEOF,
	R_CHUSER,      /* COM_CHANGE_USER: auth switch until OK/ERR */
};

struct mysql_state {
	bool server_side;       /* the traced task is the server: client = IN */
	struct my_side side[2]; /* [0] the client's direction, [1] the server's */
	/* connection */
	bool greeted, login_seen, authed, tls, compress, stop;
	uint64_t srv_caps, cli_caps;
	bool caps_known;        /* the login was seen */
	int deprecate_eof;      /* EOF_UNKNOWN, EOF_SENT, EOF_DEPRECATED */
	char *server_version, *auth_plugin;
	struct my_jstr user, database;
	uint64_t sess;          /* + 1 at every change of user or database */
	uint32_t conn_id;
	struct adi_jw attrs;    /* connection attributes of the login: a JSON
				 * object, until the login's end takes it */
	int tx;                 /* TX_UNKNOWN, TX_IDLE, TX_IN */
	/* commands */
	uint64_t next_key;      /* the latest command's ordinal */
	uint64_t lost_upto;     /* commands up to this one lost their reply */
	struct my_pend fifo[MY_FIFO_CAP];
	unsigned fifo_head, fifo_len;
	uint8_t ccmd;           /* the command being read */
	/* the response being read */
	enum my_rph rph;
	uint64_t rkey;
	uint8_t rcmd;
	uint32_t rstmt;
	bool rbin;              /* binary rows */
	uint64_t ncols, col_i, nparams, param_i, rows;
	uint16_t *rtypes;
	size_t rtypes_alloc;
	bool rtypes_ok;         /* rtypes hold the types of the ncols columns */
	enum my_cols cols_are;  /* what the response says of its columns */
	struct adi_jw cols;     /* ... their names, a JSON array (MY_COLS_LIST) */
	bool sampling;          /* a response is being read: rows go to sample */
	struct adi_jw sample;   /* the rows kept, a JSON array of arrays */
	bool maybe_eof;         /* an EOF may still end the previous response */
	/* prepared statements */
	struct my_stmt *stmts;  /* MY_MAX_STMTS, allocated at the first */
	uint64_t tick;
	size_t sql_bytes;
	uint32_t last_prepared;
	bool have_last;
	struct my_long longs[MY_MAX_LONG];
	/* stitching: results already emitted for the command res_key */
	uint64_t res_key;
	unsigned res_n;
};

/* Nothing more of the connection is decoded: a replication stream
 * follows, TLS, or the compressed protocol after the login. */
static inline bool my_stopped(const struct mysql_state *st)
{
	return st->stop || st->tls || (st->compress && st->authed);
}

/* What an OK (my_ok_parse) or EOF packet (its status and warnings) says;
 * info points into the packet. */
struct my_ok {
	uint64_t affected, insert_id;
	unsigned status, warnings;
	const uint8_t *info;
	size_t info_len;
};

/* Result of a check on bytes that may be cut short. */
enum my_ps { PS_OK, PS_PARTIAL, PS_BAD, PS_DONE };

/* ---- functions one file of the folder calls in another ---- */

/* frame.c: framing, the entry points parse, gap, resync, sniff, start */
struct adi_cur my_pk_cur(const struct my_side *sd);
uint8_t my_pk_first(const struct my_side *sd);
void my_side_msg(struct my_side *sd);
void my_side_reset(struct my_side *sd);
enum adi_parse mysql_parse(void *vst, const struct adi_proto_cfg *cfg,
			   enum adi_dir dir, const uint8_t *b, size_t n,
			   size_t *used, struct adi_msg *out);
bool mysql_gap(void *vst, enum adi_dir dir, uint64_t n);
size_t mysql_resync(void *vst, enum adi_dir dir, const uint8_t *b, size_t n);
int mysql_sniff(const uint8_t *b, size_t n, const struct adi_sniff_ctx *c);
void mysql_start(void *vst, const struct adi_sniff_ctx *c);

/* handshake.c: the connection phase */
bool my_cap(const struct mysql_state *st, uint64_t cap, bool guess);
enum my_ps my_greeting_plausible(const uint8_t *b, size_t n);
enum adi_parse my_cli_login(struct mysql_state *st, struct my_side *sd,
			    struct adi_msg *out);
enum adi_parse my_auth_done(struct mysql_state *st, struct my_side *sd,
			    struct adi_msg *out, struct adi_cur *err, bool no_tag);
enum adi_parse my_srv_greeting(struct mysql_state *st, struct my_side *sd,
			       struct adi_msg *out);
enum adi_parse my_srv_auth(struct mysql_state *st, struct my_side *sd,
			   struct adi_msg *out);
enum adi_parse my_srv_authsw(struct my_side *sd);

/* command.c: client commands */
enum my_ps my_text_ok(const uint8_t *p, size_t vis, uint32_t len, bool until_nul);
enum my_ps my_cmd_plausible(const uint8_t *b, size_t n);
enum my_ps my_cli_start(struct mysql_state *st, struct my_side *sd,
			const struct adi_proto_cfg *cfg,
			const uint8_t *b, size_t n);
enum adi_parse my_cmd_end(struct mysql_state *st, struct my_side *sd,
			  const struct adi_proto_cfg *cfg, struct adi_msg *out);
enum adi_parse my_cli_end(struct mysql_state *st, struct my_side *sd,
			  const struct adi_proto_cfg *cfg, struct adi_msg *out);

/* response.c: server responses */
enum my_ps my_resp_plausible(uint8_t cmd, const uint8_t *b, size_t n);
void my_ok_parse(struct mysql_state *st, struct adi_cur *c, struct my_ok *o);
void my_status(struct mysql_state *st, unsigned status);
void my_err(struct adi_jw *w, struct adi_cur *c);
enum my_ps my_srv_start(struct mysql_state *st, struct my_side *sd,
			const struct adi_proto_cfg *cfg,
			const uint8_t *b, size_t n);
enum adi_parse my_srv_end(struct mysql_state *st, struct my_side *sd,
			  const struct adi_proto_cfg *cfg, struct adi_msg *out);
void my_tx_put(struct adi_jw *w, const struct mysql_state *st);
void my_after(struct mysql_state *st, struct adi_jw *w, const struct my_pend *pe);
void my_rows(struct mysql_state *st, struct adi_jw *w);
enum adi_parse my_resp_frame(struct mysql_state *st, struct my_side *sd,
			     struct adi_msg *out, bool more);

/* values.c: encodings, values, the value walker, column definitions */
bool my_lenenc_any(struct adi_cur *c, uint64_t *v, bool *null);
bool my_lenstr_any(struct adi_cur *c, const uint8_t **s, size_t *len);

/* int<lenenc> (values.c, my_lenenc_any): the one-byte form, by far the
 * most common (lengths of names and values), read inline. */
static inline bool my_lenenc(struct adi_cur *c, uint64_t *v, bool *null)
{
	if (c->pos < c->n && c->p[c->pos] < 0xfb) {
		*v = c->p[c->pos++];
		if (null)
			*null = false;
		return true;
	}
	return my_lenenc_any(c, v, null);
}

/* string<lenenc> (values.c, my_lenstr_any): one shorter than 251 bytes
 * and all there, the usual name or value, read inline. */
static inline bool my_lenstr(struct adi_cur *c, const uint8_t **s, size_t *len)
{
	size_t left = c->n - c->pos;

	if (!c->bad && left && c->p[c->pos] < 0xfb && c->p[c->pos] < left) {
		*len = c->p[c->pos];
		*s = c->p + c->pos + 1;
		c->pos += 1 + *len;
		return true;
	}
	return my_lenstr_any(c, s, len);
}

const uint8_t *my_nulstr(struct adi_cur *c, size_t *len);
void my_wbytes(struct adi_jw *w, const uint8_t *b, size_t n, bool cut);
void my_wbase64(struct adi_jw *w, const uint8_t *b, size_t n);
void my_wfmt(struct adi_jw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void my_wdec(struct adi_jw *w, bool neg, uint64_t v);

/* A name and its value, for my_wpairs: the name's bytes; the value JSON
 * text (json), or bytes written as payload. */
struct my_pair {
	const char *k;
	size_t kn;
	const uint8_t *v;
	size_t vn;
	bool json;
};
void my_wpairs(struct adi_jw *w, const struct my_pair *p, size_t n);
void my_walk_begin(struct my_walk *w, enum my_wmode mode, uint32_t n, bool keep);
struct adi_jv my_walk_vals(struct my_walk *w);
struct adi_jv my_walk_names(struct my_walk *w);
void my_walk_feed(struct mysql_state *st, const struct adi_proto_cfg *cfg,
		  struct my_walk *w, struct adi_cur *in);
void my_walk_end(struct mysql_state *st, const struct adi_proto_cfg *cfg,
		 struct my_walk *w);
void my_walk_fini(struct my_walk *w);
bool my_coldef(struct adi_cur *c, bool field_list, uint16_t *type,
	       const uint8_t **name, size_t *name_len);

/* state.c: storage, prepared statements, long data, the command FIFO */
char *my_strdup(const uint8_t *b, size_t n);
void my_set_str(char **dst, const uint8_t *b, size_t n);
void my_jstr_put(struct adi_jw *w, const char *k, const struct my_jstr *j);
void my_sess_set(struct mysql_state *st, struct my_jstr *j, const uint8_t *b, size_t n);
bool my_grow(void **buf, size_t *alloc, size_t want, size_t unit);
bool my_keep_capped(uint8_t **buf, size_t *len, size_t *alloc, size_t cap,
		    const uint8_t *p, size_t k);
struct my_stmt *my_stmt_find(struct mysql_state *st, uint32_t id);
struct my_stmt *my_stmt_add(struct mysql_state *st, uint32_t id,
			    const struct my_pend *pe, uint32_t nparams);
void my_stmt_clear(struct mysql_state *st, struct my_stmt *s);
void my_stmt_forget_all(struct mysql_state *st);
struct my_long *my_long_find(struct mysql_state *st, uint32_t stmt,
			     uint16_t param);
void my_long_add(struct mysql_state *st, uint32_t stmt, uint16_t param,
		 const uint8_t *b, size_t n, uint64_t total, size_t cap);
void my_long_clear(struct mysql_state *st, uint32_t stmt, bool all);
bool my_long_lost(const struct mysql_state *st, uint32_t stmt);
struct my_pend *my_fifo_head(struct mysql_state *st);
void my_fifo_push(struct mysql_state *st, struct my_pend *p);
void my_fifo_pop(struct mysql_state *st);
void my_pend_free(struct my_pend *p);
void mysql_fini(void *vst);

/* stitch.c: events */
void mysql_stitch(void *vst, struct adi_msgq *out_q, struct adi_msgq *in_q,
		  struct adi_emit *em, bool final);

#endif
