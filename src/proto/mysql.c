/* mysql.c - the MySQL / MariaDB client/server protocol decoder: packets
 * (with >16 MiB continuation) framed incrementally per direction, the
 * connection phase, commands and their responses (OK, ERR, text and binary
 * result sets, prepared statements) paired by order into `sql_query`
 * events. Owns: struct mysql_state (framing of both directions, the FIFO of
 * commands awaiting a reply, the prepared-statement map, long data, the
 * login facts). Does not own: the stream bytes (borrowed per call) nor
 * queued messages (engine's). Field formats and limits: docs/mysql.md.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mysql.h"
#include "../lib/cursor.h"
#include "../lib/util.h"

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

/* ---- small helpers ---- */

static size_t my_min(size_t a, uint64_t b)
{
	return b < a ? (size_t)b : a;
}

/* ---- MySQL's own encodings, read through an adi_cur ----
 *
 *   int<lenenc>: 0x00..0xfa the value itself; 0xfb NULL (text rows);
 *                0xfc int<2>, 0xfd int<3>, 0xfe int<8> follows; 0xff none
 *   string<lenenc>: int<lenenc> length, then that many bytes
 *   string<NUL>: bytes up to a NUL, which is consumed
 */

/* int<lenenc> into *v; *null (may be NULL) for 0xfb, *v then 0. False,
 * with bad set, when short or on 0xff; on 0xff (unlike adi_cur's reads)
 * the position stays after that byte, so fixed fields after it still
 * read as they always did. */
static bool my_lenenc(struct adi_cur *c, uint64_t *v, bool *null)
{
	uint8_t b;

	*v = 0;
	if (null)
		*null = false;
	if (!adi_cur_u8(c, &b))
		return false;
	if (b < 0xfb) {
		*v = b;
		return true;
	}
	if (b == 0xfb) {
		if (null)
			*null = true;
		return true;
	}
	if (b == 0xff) {
		c->bad = true;
		return false;
	}
	return adi_cur_le(c, b == 0xfc ? 2 : b == 0xfd ? 3 : 8, v);
}

/* string<lenenc>: *s its bytes (borrowed), *len its length. Short, or
 * the cursor already bad: false, *s NULL, the position at the end. */
static bool my_lenstr(struct adi_cur *c, const uint8_t **s, size_t *len)
{
	uint64_t k;

	*s = NULL;
	*len = 0;
	my_lenenc(c, &k, NULL);
	if (c->bad || k > adi_cur_left(c))
		return adi_cur_fail(c);
	*len = (size_t)k;
	return adi_cur_bytes(c, *len, s);
}

/* string<NUL>; without a NUL the rest of the bytes (never fails: the
 * last string of a packet may lack its NUL). *s is never NULL. */
static const uint8_t *my_nulstr(struct adi_cur *c, size_t *len)
{
	const uint8_t *s = adi_cur_ptr(c);

	if (memchr(s, 0, adi_cur_left(c))) {
		adi_cur_cstr(c, &s, len);
		return s;
	}
	*len = adi_cur_left(c);
	c->pos = c->n;
	return s;
}

/* A C string copy of b[0..n) (NUL bytes in it end it early). */
static char *my_strdup(const uint8_t *b, size_t n)
{
	char *s = malloc(n + 1);

	if (s) {
		memcpy(s, b, n);
		s[n] = '\0';
	}
	return s;
}

/* Replace *dst with a copy of b[0..n). */
static void my_set_str(char **dst, const uint8_t *b, size_t n)
{
	free(*dst);
	*dst = b ? my_strdup(b, n) : NULL;
}

/* The length of b[0..n) without a UTF-8 sequence cut short at its end (a
 * value cut to its cap stays text rather than becoming base64). */
static size_t my_utf8_trim(const uint8_t *b, size_t n)
{
	size_t i = n, k = 0;

	while (i > 0 && k < 4 && (b[i - 1] & 0xc0) == 0x80) {
		i--;
		k++;
	}
	if (i > 0 && b[i - 1] >= 0xc0) {
		size_t want = b[i - 1] >= 0xf0 ? 4 : b[i - 1] >= 0xe0 ? 3 : 2;

		if (k + 1 < want)
			return i - 1;
	}
	return n;
}

/* Payload bytes as JSON: a string when valid UTF-8, else "base64:...";
 * cut: the bytes are a prefix (a split character at the end is dropped). */
static struct adi_jval *my_jbytes(const uint8_t *b, size_t n, bool cut)
{
	if (cut)
		n = my_utf8_trim(b, n);
	return adi_j_bytes(b, n);
}

/* Always "base64:<data>" (a raw block that is not text). */
static struct adi_jval *my_jbase64(const uint8_t *b, size_t n)
{
	char *s = malloc(adi_base64_len(n) + 8);
	struct adi_jval *v;

	if (!s)
		return NULL;
	memcpy(s, "base64:", 7);
	adi_base64_encode(b, n, s + 7);
	v = adi_j_str(s);
	free(s);
	return v;
}

static struct adi_jval *my_jfmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static struct adi_jval *my_jfmt(const char *fmt, ...)
{
	char buf[96];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return adi_j_str(buf);
}

/* ---- binary protocol values as text ----
 *
 * Binary Protocol Value (PAGE_PROTOCOL "Binary Protocol Value"):
 *
 *   TINY 1, SHORT/YEAR 2, LONG/INT24/FLOAT 4, LONGLONG/DOUBLE 8 bytes, LE;
 *   the parameter flag 0x80 (a column's UNSIGNED_FLAG) makes them unsigned
 *   DATE/DATETIME/TIMESTAMP: len(1) = 0 | 4 | 7 | 11
 *     +------+-------+-----+------+--------+--------+-------------+
 *     | year | month | day | hour | minute | second | microsecond |
 *     |  2   |   1   |  1  |  1   |   1    |   1    |      4      |
 *     +------+-------+-----+------+--------+--------+-------------+
 *   TIME: len(1) = 0 | 8 | 12
 *     +-----+------+------+--------+--------+-------------+
 *     | neg | days | hour | minute | second | microsecond |
 *     |  1  |  4   |  1   |   1    |   1    |      4      |
 *     +-----+------+------+--------+--------+-------------+
 *   everything else (DECIMAL, strings, BLOBs, JSON, ENUM, SET, BIT,
 *   GEOMETRY): string<lenenc>
 *
 * Text: integers in decimal, FLOAT/DOUBLE the shortest form that reads
 * back to the same value, DATE "YYYY-MM-DD", DATETIME "YYYY-MM-DD
 * HH:MM:SS[.ffffff]", TIME "[-]H..H:MM:SS[.ffffff]" (hours = days * 24 +
 * hour), strings as sent.
 */

/* Bytes of a fixed-size value of type t, 0 for other types. */
static unsigned my_fixed_size(uint16_t t)
{
	switch (t & 0xff) {
	case T_TINY:
		return 1;
	case T_SHORT:
	case T_YEAR:
		return 2;
	case T_LONG:
	case T_INT24:
	case T_FLOAT:
		return 4;
	case T_LONGLONG:
	case T_DOUBLE:
		return 8;
	}
	return 0;
}

static bool my_temporal(uint16_t t)
{
	switch (t & 0xff) {
	case T_DATE:
	case T_NEWDATE:
	case T_DATETIME:
	case T_DATETIME2:
	case T_TIMESTAMP:
	case T_TIMESTAMP2:
	case T_TIME:
	case T_TIME2:
		return true;
	}
	return false;
}

/* Types sent as string<lenenc>. */
static bool my_lenenc_type(uint16_t t)
{
	switch (t & 0xff) {
	case T_DECIMAL:
	case T_NEWDECIMAL:
	case T_VARCHAR:
	case T_VAR_STRING:
	case T_STRING:
	case T_TINY_BLOB:
	case T_MEDIUM_BLOB:
	case T_LONG_BLOB:
	case T_BLOB:
	case T_JSON:
	case T_ENUM:
	case T_SET:
	case T_BIT:
	case T_GEOMETRY:
	case T_VECTOR:
		return true;
	}
	return false;
}

/* The shortest %g form of d that reads back as d (as a float when
 * single). */
static void my_fmt_real(char *buf, size_t sz, double d, bool single)
{
	for (int p = 1; p <= 17; p++) {
		snprintf(buf, sz, "%.*g", p, d);
		if (single ? (float)strtod(buf, NULL) == (float)d : strtod(buf, NULL) == d)
			return;
	}
}

static struct adi_jval *my_fmt_fixed(uint16_t t, const uint8_t *b)
{
	bool u = (t & MY_UNSIGNED) != 0;
	uint64_t v;
	char buf[40];

	switch (t & 0xff) {
	case T_TINY:
		return u ? my_jfmt("%u", b[0]) : my_jfmt("%d", (int8_t)b[0]);
	case T_YEAR:
		return my_jfmt("%u", (unsigned)adi_ld_le16(b));
	case T_SHORT:
		v = adi_ld_le16(b);
		return u ? my_jfmt("%u", (unsigned)v) : my_jfmt("%d", (int16_t)v);
	case T_LONG:
	case T_INT24:
		v = adi_ld_le32(b);
		return u ? my_jfmt("%u", (unsigned)v) : my_jfmt("%d", (int32_t)v);
	case T_LONGLONG:
		v = adi_ld_le64(b);
		return u ? my_jfmt("%llu", (unsigned long long)v) :
			   my_jfmt("%lld", (long long)(int64_t)v);
	case T_FLOAT: {
		uint32_t x = adi_ld_le32(b);
		float f;

		memcpy(&f, &x, 4);
		my_fmt_real(buf, sizeof(buf), f, true);
		return adi_j_str(buf);
	}
	case T_DOUBLE: {
		double d;

		v = adi_ld_le64(b);
		memcpy(&d, &v, 8);
		my_fmt_real(buf, sizeof(buf), d, false);
		return adi_j_str(buf);
	}
	}
	return adi_j_null();
}

static struct adi_jval *my_fmt_temporal(uint16_t t, const uint8_t *b, size_t len)
{
	char us[16] = "";

	t &= 0xff;
	if (t == T_TIME || t == T_TIME2) {
		bool neg = len >= 8 && b[0];
		unsigned long long h = len >= 8 ? (unsigned long long)adi_ld_le32(b + 1) * 24 + b[5] : 0;

		if (len >= 12)
			snprintf(us, sizeof(us), ".%06u", adi_ld_le32(b + 8));
		return my_jfmt("%s%02llu:%02u:%02u%s", neg ? "-" : "", h,
			       len >= 8 ? b[6] : 0, len >= 8 ? b[7] : 0, us);
	}
	unsigned y = len >= 4 ? adi_ld_le16(b) : 0;
	unsigned mo = len >= 4 ? b[2] : 0, d = len >= 4 ? b[3] : 0;

	if (t == T_DATE || t == T_NEWDATE)
		return my_jfmt("%04u-%02u-%02u", y, mo, d);
	if (len >= 11)
		snprintf(us, sizeof(us), ".%06u", adi_ld_le32(b + 7));
	return my_jfmt("%04u-%02u-%02u %02u:%02u:%02u%s", y, mo, d,
		       len >= 7 ? b[4] : 0, len >= 7 ? b[5] : 0, len >= 7 ? b[6] : 0, us);
}

/* ---- state ---- */

enum { EOF_UNKNOWN, EOF_SENT, EOF_DEPRECATED }; /* CLIENT_DEPRECATE_EOF in effect? */
enum { TX_UNKNOWN, TX_IDLE, TX_IN };

/* A command awaiting its reply. */
struct my_pend {
	uint64_t key;
	uint8_t cmd;
	uint32_t stmt;          /* EXECUTE, FETCH, RESET, BULK: statement id */
	char *sql;              /* PREPARE: the text, for the statement map */
	size_t sql_len;
	bool sql_cut;
	char *arg, *arg2;       /* INIT_DB: database; CHANGE_USER: user, database */
};

/* A prepared statement, known from its COM_STMT_PREPARE response. */
struct my_stmt {
	bool used;
	uint32_t id;
	uint64_t tick;          /* last use: the least recently used goes first */
	char *sql;
	size_t sql_len;
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
	struct adi_jval *vals, *names;
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
	bool pk_cut;            /* bytes beyond pk_cap were dropped */
	struct my_walk w;
	bool strict;            /* after resync: only what resync() accepts */
	bool resyncing;         /* resync() was called, parse() not since */
	bool held;              /* parse() left bytes unconsumed: the engine may
				 * drop them (a gap) without telling */
	struct adi_jval *f;     /* the message being built (owned) */
	bool incomplete;        /* bytes of it were lost */
	bool cut;               /* a value of it was cut */
};

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
	char *server_version, *auth_plugin, *user, *database;
	uint32_t conn_id;
	struct adi_jval *attrs; /* connection attributes of the login */
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
	struct adi_jval *rsample;
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

static bool my_grow(void **buf, size_t *alloc, size_t want, size_t unit)
{
	void *nb;
	size_t cap = *alloc ? *alloc : 16;

	if (want <= *alloc)
		return true;
	while (cap < want)
		cap *= 2;
	nb = realloc(*buf, cap * unit);
	if (!nb)
		return false;
	*buf = nb;
	*alloc = cap;
	return true;
}

/* Append to buf[0..*len) what fits of p[0..k) below cap bytes. True when
 * some of it was dropped (beyond cap, or no memory). */
static bool my_keep_capped(uint8_t **buf, size_t *len, size_t *alloc, size_t cap,
			   const uint8_t *p, size_t k)
{
	size_t room = cap > *len ? cap - *len : 0;
	size_t c = k < room ? k : room;

	if (c && my_grow((void **)buf, alloc, *len + c, 1)) {
		memcpy(*buf + *len, p, c);
		*len += c;
	} else if (c) {
		return true;
	}
	return c < k;
}

/* A cursor over the payload bytes a packet kept (H_COPY). An empty
 * packet is read from a byte of its own: the cursor never holds NULL. */
static struct adi_cur my_pk_cur(const struct my_side *sd)
{
	static const uint8_t none[1];

	return adi_cur_make(sd->pk ? sd->pk : none, sd->pk_len);
}

/* ---- prepared statements and long data ---- */

static void my_stmt_clear(struct mysql_state *st, struct my_stmt *s)
{
	st->sql_bytes -= s->sql_len;
	free(s->sql);
	free(s->ptypes);
	free(s->ctypes);
	memset(s, 0, sizeof(*s));
}

/* The statement id (MY_NO_STMT: the one prepared last), or NULL. */
static struct my_stmt *my_stmt_find(struct mysql_state *st, uint32_t id)
{
	if (id == MY_NO_STMT) {
		if (!st->have_last)
			return NULL;
		id = st->last_prepared;
	}
	for (size_t i = 0; st->stmts && i < MY_MAX_STMTS; i++)
		if (st->stmts[i].used && st->stmts[i].id == id) {
			st->stmts[i].tick = ++st->tick;
			return &st->stmts[i];
		}
	return NULL;
}

static struct my_stmt *my_stmt_lru(struct mysql_state *st)
{
	struct my_stmt *old = NULL;

	for (size_t i = 0; i < MY_MAX_STMTS; i++)
		if (st->stmts[i].used && (!old || st->stmts[i].tick < old->tick))
			old = &st->stmts[i];
	return old;
}

/* Remember a statement (its text is copied); the least recently used
 * ones are forgotten beyond MY_MAX_STMTS or MY_STMT_SQL_BUDGET bytes. */
static struct my_stmt *my_stmt_add(struct mysql_state *st, uint32_t id,
				   const char *sql, size_t len, bool cut,
				   uint32_t nparams)
{
	struct my_stmt *s = NULL, *old;

	if (!st->stmts) {
		st->stmts = calloc(MY_MAX_STMTS, sizeof(*st->stmts));
		if (!st->stmts)
			return NULL;
	}
	if ((old = my_stmt_find(st, id)))
		my_stmt_clear(st, old);
	while (st->sql_bytes + len > MY_STMT_SQL_BUDGET && (old = my_stmt_lru(st)))
		my_stmt_clear(st, old);
	for (size_t i = 0; i < MY_MAX_STMTS && !s; i++)
		if (!st->stmts[i].used)
			s = &st->stmts[i];
	if (!s) {
		s = my_stmt_lru(st);
		my_stmt_clear(st, s);
	}
	s->used = true;
	s->id = id;
	s->tick = ++st->tick;
	s->nparams = nparams;
	if (sql) {
		s->sql = my_strdup((const uint8_t *)sql, len);
		s->sql_len = s->sql ? len : 0;
		s->sql_cut = cut;
		st->sql_bytes += s->sql_len;
	}
	st->last_prepared = id;
	st->have_last = true;
	return s;
}

static struct my_long *my_long_find(struct mysql_state *st, uint32_t stmt,
				    uint16_t param)
{
	for (int i = 0; i < MY_MAX_LONG; i++)
		if (st->longs[i].used && st->longs[i].stmt == stmt &&
		    st->longs[i].param == param)
			return &st->longs[i];
	return NULL;
}

static void my_long_clear(struct mysql_state *st, uint32_t stmt, bool all)
{
	for (int i = 0; i < MY_MAX_LONG; i++)
		if (st->longs[i].used && (all || st->longs[i].stmt == stmt)) {
			free(st->longs[i].keep);
			memset(&st->longs[i], 0, sizeof(st->longs[i]));
		}
}

/* Data of a parameter sent ahead of EXECUTE: b[0..n) are the first bytes
 * of a chunk of `total` bytes. Beyond MY_MAX_LONG parameters it is not
 * kept (the EXECUTE then cannot place its values: undecoded). */
static void my_long_add(struct mysql_state *st, uint32_t stmt, uint16_t param,
			const uint8_t *b, size_t n, uint64_t total, size_t cap)
{
	struct my_long *l = my_long_find(st, stmt, param);

	for (int i = 0; !l && i < MY_MAX_LONG; i++)
		if (!st->longs[i].used) {
			l = &st->longs[i];
			l->used = true;
			l->stmt = stmt;
			l->param = param;
		}
	if (!l)
		return;
	l->total += total;
	n = my_min(n, cap > l->len ? cap - l->len : 0);
	if (n) {
		uint8_t *k = realloc(l->keep, l->len + n);

		if (!k)
			return;
		l->keep = k;
		memcpy(l->keep + l->len, b, n);
		l->len += n;
	}
}

/* A parameter of stmt got long data the EXECUTE did not see (more
 * parameters than kept): its values cannot be placed. */
static bool my_long_lost(const struct mysql_state *st, uint32_t stmt)
{
	(void)stmt;
	for (int i = 0; i < MY_MAX_LONG; i++)
		if (!st->longs[i].used)
			return false;
	return true;
}

/* ---- the value walker ---- */

static void w_begin(struct my_walk *w, enum my_wmode mode, uint32_t n, bool keep)
{
	adi_j_free(w->vals);
	adi_j_free(w->names);
	w->vals = w->names = NULL;
	w->mode = (uint8_t)mode;
	w->step = mode == W_TEXT_ROW ? WS_VAL : WS_HEAD;
	w->vstep = VS_START;
	w->qa = w->bound = w->unknown = w->to_names = w->cut = false;
	w->keep = keep;
	w->flags = 0;
	w->stmt = 0;
	w->i = 0;
	w->n = n;
	w->tk_len = w->le_want = 0;
	w->bm_len = w->bm_want = 0;
	w->need = 0;
	w->v_len = 0;
	w->v_cut = false;
	w->raw_total = 0;
	if (keep)
		w->vals = adi_j_arr();
}

/* Gather `want` bytes into the token; true when it holds them (tk_len is
 * then reset for the next token, the bytes stay in tk). */
static bool w_tok(struct my_walk *w, struct adi_cur *in, unsigned want)
{
	size_t t = my_min(adi_cur_left(in), want - w->tk_len);

	if (t)
		memcpy(w->tk + w->tk_len, adi_cur_ptr(in), t);
	w->tk_len = (uint8_t)(w->tk_len + t);
	adi_cur_skip(in, t);
	if (w->tk_len < want)
		return false;
	w->tk_len = 0;
	return true;
}

/* int<lenenc>, incrementally: 1 done (*v, *null for 0xfb), 0 more bytes
 * needed, -1 malformed (0xff). */
static int w_lenenc(struct my_walk *w, struct adi_cur *in, uint64_t *v, bool *null)
{
	*null = false;
	if (!w->le_want) {
		uint8_t c;

		if (!adi_cur_left(in))
			return 0;
		adi_cur_u8(in, &c);
		if (c < 0xfb) {
			*v = c;
			return 1;
		}
		if (c == 0xfb) {
			*null = true;
			*v = 0;
			return 1;
		}
		if (c == 0xff)
			return -1;
		w->le_want = c == 0xfc ? 2 : c == 0xfd ? 3 : 8;
		w->tk_len = 0;
	}
	if (!w_tok(w, in, w->le_want))
		return 0;
	*v = adi_ld_le(w->tk, w->le_want);
	w->le_want = 0;
	return 1;
}

/* The value just read goes to the names or the values (when kept). */
static void w_deliver(struct my_walk *w, struct adi_jval *v)
{
	if (w->to_names) {
		if (!w->names)
			w->names = adi_j_arr();
		adi_j_push(w->names, v);
	} else if (w->keep) {
		adi_j_push(w->vals, v);
	} else {
		adi_j_free(v);
	}
}

/* Read one value of type w->vtype: 1 when complete (delivered), 0 when
 * more bytes are needed, -1 when it cannot be framed. Kept values keep
 * their first `cap` bytes. */
static int w_value(struct my_walk *w, size_t cap, struct adi_cur *in)
{
	bool keep = w->keep || w->to_names;
	uint64_t len;
	bool null;
	int r;

	for (;;) {
		switch (w->vstep) {
		case VS_START:
			w->v_len = 0;
			w->v_cut = false;
			w->tk_len = w->le_want = 0;
			if ((w->vtype & MY_TEXT) || my_lenenc_type(w->vtype))
				w->vstep = VS_LEN;
			else if (my_fixed_size(w->vtype))
				w->vstep = VS_FIX;
			else if (my_temporal(w->vtype))
				w->vstep = VS_TLEN;
			else if ((w->vtype & 0xff) == T_NULL) {
				w_deliver(w, keep ? adi_j_null() : NULL);
				return 1;
			} else {
				return -1; /* a type whose size is unknown */
			}
			break;
		case VS_LEN:
			if ((r = w_lenenc(w, in, &len, &null)) <= 0)
				return r;
			if (null) {
				if (!(w->vtype & MY_TEXT))
					return -1;
				w->vstep = VS_START;
				w_deliver(w, keep ? adi_j_null() : NULL);
				return 1;
			}
			w->need = len;
			w->vstep = VS_DATA;
			break;
		case VS_DATA: {
			size_t t = my_min(adi_cur_left(in), w->need);

			if (keep && my_keep_capped(&w->v, &w->v_len, &w->v_alloc, cap,
						   adi_cur_ptr(in), t))
				w->v_cut = true;
			adi_cur_skip(in, t);
			w->need -= t;
			if (w->need)
				return 0;
			w->vstep = VS_START;
			if (keep) {
				w->cut |= w->v_cut;
				w_deliver(w, my_jbytes(w->v, w->v_len, w->v_cut));
			}
			return 1;
		}
		case VS_FIX:
			if (!w_tok(w, in, my_fixed_size(w->vtype)))
				return 0;
			w->vstep = VS_START;
			w_deliver(w, keep ? my_fmt_fixed(w->vtype, w->tk) : NULL);
			return 1;
		case VS_TLEN: {
			uint8_t tlen;

			if (!adi_cur_left(in))
				return 0;
			adi_cur_u8(in, &tlen);
			w->need = tlen;
			if (w->need > 12)
				return -1;
			w->vstep = VS_TBODY;
			if (!w->need) {
				w->vstep = VS_START;
				w_deliver(w, keep ? my_fmt_temporal(w->vtype, w->tk, 0) : NULL);
				return 1;
			}
			break;
		}
		case VS_TBODY:
			if (!w_tok(w, in, (unsigned)w->need))
				return 0;
			w->vstep = VS_START;
			w_deliver(w, keep ? my_fmt_temporal(w->vtype, w->tk, (size_t)w->need) : NULL);
			return 1;
		}
	}
}

/* The NULL bit of value i (bit offset 2 in binary rows). */
static bool w_is_null(const struct my_walk *w, uint32_t i)
{
	size_t bit = i + (w->mode == W_BIN_ROW ? 2 : 0);

	return bit / 8 < w->bm_len && (w->bm[bit / 8] >> (bit % 8)) & 1;
}

static void w_types_from(struct my_walk *w, const uint16_t *t, uint32_t n)
{
	if (my_grow((void **)&w->types, &w->types_alloc, n ? n : 1, sizeof(*w->types)))
		memcpy(w->types, t, n * sizeof(*t));
	else
		w->step = WS_DEAD;
}

/* EXEC header read: find the statement and what follows. */
static void w_exec_head(struct mysql_state *st, struct my_walk *w)
{
	struct my_stmt *s;

	w->stmt = adi_ld_le32(w->tk + 1);
	w->flags = w->tk[5];
	s = my_stmt_find(st, w->stmt);
	if (st->caps_known)
		w->qa = (st->cli_caps & st->srv_caps & CLIENT_QUERY_ATTRIBUTES) != 0;
	else
		w->qa = (w->flags & 0x08) != 0; /* PARAMETER_COUNT_AVAILABLE */
	if (w->qa && (w->flags & 0x08)) {
		w->step = WS_COUNT;
	} else if (!s) {
		w->unknown = true;
		w->step = WS_RAW;
	} else {
		w->n = s->nparams;
		w->bm_want = (w->n + 7) / 8;
		w->step = w->n ? WS_BITMAP : WS_DONE;
	}
}

/* Values start: parameters bound now, or the types of the last time. */
static void w_values_start(struct mysql_state *st, struct my_walk *w)
{
	struct my_stmt *s;

	w->i = 0;
	w->step = WS_VAL;
	w->vstep = VS_START;
	if (w->mode != W_EXEC || w->bound)
		return;
	s = my_stmt_find(st, w->stmt);
	if (s && s->ptypes && s->nparams == w->n && !my_long_lost(st, w->stmt))
		w_types_from(w, s->ptypes, w->n);
	else {
		w->unknown = true;
		w->step = WS_RAW;
	}
}

/* Feed payload bytes to the walker: it reads from `in` all of them,
 * unless it is DONE (the rest is the caller's). With no bytes left it
 * delivers what needs none (NULLs, long data): the packet's end. */
static void w_feed(struct mysql_state *st, const struct adi_proto_cfg *cfg,
		   struct my_walk *w, struct adi_cur *in)
{
	uint64_t v;
	uint8_t b;
	bool null;
	int r;

	for (;;) {
		switch (w->step) {
		case WS_HEAD:
			if (!w_tok(w, in, w->mode == W_EXEC ? 10 : 1))
				return;
			if (w->mode == W_EXEC) {
				w_exec_head(st, w);
			} else if (w->mode == W_QATTR) {
				w->qa = true;
				w->step = WS_COUNT;
			} else if (w->tk[0] != 0x00) {
				w->step = WS_DEAD;
			} else {
				w->bm_want = (w->n + 9) / 8;
				w->step = WS_BITMAP;
			}
			break;
		case WS_COUNT:
		case WS_SETS:
			if ((r = w_lenenc(w, in, &v, &null)) == 0)
				return;
			if (r < 0 || null || v > MY_MAX_COLS) {
				w->step = WS_DEAD;
				break;
			}
			if (w->step == WS_COUNT)
				w->n = (uint32_t)v;
			if (w->step == WS_COUNT && w->mode == W_QATTR) {
				w->step = WS_SETS;
				break;
			}
			w->bm_want = (w->n + 7) / 8;
			w->step = w->n ? WS_BITMAP : WS_DONE;
			break;
		case WS_BITMAP: {
			size_t t = my_min(adi_cur_left(in), w->bm_want - w->bm_len);

			if (!my_grow((void **)&w->bm, &w->bm_alloc, w->bm_want ? w->bm_want : 1, 1)) {
				w->step = WS_DEAD;
				break;
			}
			if (t)
				memcpy(w->bm + w->bm_len, adi_cur_ptr(in), t);
			w->bm_len += t;
			adi_cur_skip(in, t);
			if (w->bm_len < w->bm_want)
				return;
			if (w->mode == W_BIN_ROW)
				w_values_start(st, w);
			else
				w->step = WS_BOUND;
			break;
		}
		case WS_BOUND:
			if (!adi_cur_left(in))
				return;
			adi_cur_u8(in, &b);
			w->bound = b == 1;
			if (!w->bound) {
				w_values_start(st, w);
			} else if (!my_grow((void **)&w->types, &w->types_alloc, w->n,
					    sizeof(*w->types))) {
				w->step = WS_DEAD;
			} else {
				w->i = 0;
				w->step = WS_TYPE;
			}
			break;
		case WS_TYPE:
			if (!w_tok(w, in, 2))
				return;
			w->types[w->i] = (uint16_t)(w->tk[0] | (w->tk[1] & 0x80 ? MY_UNSIGNED : 0));
			if (w->qa) {
				w->step = WS_NAME;
				w->vtype = T_VAR_STRING;
				w->to_names = true;
				w->vstep = VS_START;
			} else if (++w->i == w->n) {
				w_values_start(st, w);
			}
			break;
		case WS_NAME:
			if ((r = w_value(w, 256, in)) == 0)
				return;
			w->to_names = false;
			if (r < 0) {
				w->step = WS_DEAD;
				break;
			}
			w->step = WS_TYPE;
			if (++w->i == w->n)
				w_values_start(st, w);
			break;
		case WS_VAL:
			if (w->vstep == VS_START) {
				struct my_long *l;

				if (w->i >= w->n) {
					w->step = WS_DONE;
					break;
				}
				if (w->mode != W_TEXT_ROW && w_is_null(w, w->i)) {
					w_deliver(w, w->keep ? adi_j_null() : NULL);
					w->i++;
					break;
				}
				if (w->mode == W_EXEC &&
				    (l = my_long_find(st, w->stmt, (uint16_t)w->i))) {
					if (w->keep) {
						bool cut = l->total > l->len;

						w->cut |= cut;
						w_deliver(w, my_jbytes(l->keep, l->len, cut));
					}
					w->i++;
					break;
				}
				{
					const uint16_t *ta = w->mode == W_BIN_ROW ? w->rt : w->types;

					/* binary values without their types cannot be
					 * delimited: the rest is not decoded */
					if (w->mode != W_TEXT_ROW && !ta) {
						w->step = WS_DEAD;
						break;
					}
					w->vtype = w->mode == W_TEXT_ROW ? MY_TEXT : ta[w->i];
				}
			}
			if ((r = w_value(w, cfg->body_bytes, in)) == 0)
				return;
			if (r < 0) {
				w->step = WS_DEAD;
				break;
			}
			w->i++;
			break;
		case WS_RAW:
			my_keep_capped(&w->v, &w->v_len, &w->v_alloc, cfg->body_bytes,
				       adi_cur_ptr(in), adi_cur_left(in));
			w->raw_total += adi_cur_left(in);
			adi_cur_skip(in, adi_cur_left(in));
			return;
		case WS_DEAD:
			adi_cur_skip(in, adi_cur_left(in));
			return;
		case WS_DONE:
			return;
		}
	}
}

/* The packet being walked ended: deliver what needs no bytes. */
static void w_end(struct mysql_state *st, const struct adi_proto_cfg *cfg,
		  struct my_walk *w)
{
	static const uint8_t none[1];
	struct adi_cur in = adi_cur_make(none, 0);

	w_feed(st, cfg, w, &in);
}

static void w_fini(struct my_walk *w)
{
	adi_j_free(w->vals);
	adi_j_free(w->names);
	free(w->bm);
	free(w->types);
	free(w->v);
	memset(w, 0, sizeof(*w));
}

/* ---- packet decoders ----
 *
 * Packet (PAGE_PROTOCOL "MySQL Packets"):
 *   +----------------+-------------+---------------------------+
 *   | payload_length | sequence_id | payload                   |
 *   |   int<3> LE    |   int<1>    | payload_length bytes      |
 *   +----------------+-------------+---------------------------+
 * A payload of 0xffffff bytes continues in the next packet (sequence id
 * + 1), until one shorter (maybe empty): that is one logical payload.
 * A command starts at sequence id 0; each packet of the exchange, whichever
 * side sends it, takes the next id.
 */

/* What the session's capabilities say of flag `cap`: both sides' flags
 * when the login was seen, else `guess`. */
static bool my_cap(const struct mysql_state *st, uint64_t cap, bool guess)
{
	if (!st->caps_known)
		return guess;
	if (st->greeted)
		return (st->cli_caps & st->srv_caps & cap) != 0;
	return (st->cli_caps & cap) != 0;
}

/* Handshake v10 (page_protocol_connection_phase_packets_protocol_handshake_v10):
 *   int<1> 10 | string<NUL> server version | int<4> connection id |
 *   8 bytes scramble | 0x00 | int<2> capabilities (low) | int<1> charset |
 *   int<2> status | int<2> capabilities (high) | int<1> scramble length |
 *   10 reserved (MariaDB: 6 + int<4> extended capabilities) |
 *   scramble part 2 (SECURE_CONNECTION) | string<NUL> auth plugin (PLUGIN_AUTH)
 * The scramble is never shown. MariaDB 10.x prefixes its version with
 * "5.5.5-" for old clients: the prefix is dropped. */
static struct adi_jval *my_greeting(struct mysql_state *st, struct adi_cur *c)
{
	struct adi_jval *f = adi_j_obj();
	const uint8_t *ver, *pl = NULL;
	size_t vl, pll = 0;
	uint16_t lo;
	uint64_t caps;

	adi_cur_skip(c, 1);
	ver = my_nulstr(c, &vl);
	adi_cur_le32(c, &st->conn_id);
	adi_cur_skip(c, 9);
	adi_cur_le16(c, &lo);
	caps = lo;
	if (adi_cur_left(c) >= 16) {
		const uint8_t *res;
		uint16_t hi;
		uint8_t alen;

		adi_cur_skip(c, 3);
		adi_cur_le16(c, &hi);
		caps |= (uint64_t)hi << 16;
		adi_cur_u8(c, &alen);
		adi_cur_bytes(c, 10, &res);
		if (res && !(caps & CLIENT_LONG_PASSWORD))
			caps |= (uint64_t)adi_ld_le32(res + 6) << 32; /* MariaDB extended */
		if (caps & CLIENT_SECURE_CONNECTION)
			adi_cur_skip(c, alen > 21 ? alen - 8u : 13u);
		if (caps & CLIENT_PLUGIN_AUTH)
			pl = my_nulstr(c, &pll);
	}
	if (vl > 6 && !memcmp(ver, "5.5.5-", 6) && memmem(ver, vl, "MariaDB", 7)) {
		ver += 6;
		vl -= 6;
	}
	st->srv_caps = caps;
	st->greeted = true;
	my_set_str(&st->server_version, ver, vl);
	if (pl)
		my_set_str(&st->auth_plugin, pl, pll);
	adi_j_set(f, "server_version", my_jbytes(ver, vl, false));
	adi_j_set_int(f, "connection_id", st->conn_id);
	return f;
}

/* Capability names, for the connect event. */
static const char *const my_cap_names[] = {
	"CLIENT_LONG_PASSWORD", "CLIENT_FOUND_ROWS", "CLIENT_LONG_FLAG",
	"CLIENT_CONNECT_WITH_DB", "CLIENT_NO_SCHEMA", "CLIENT_COMPRESS",
	"CLIENT_ODBC", "CLIENT_LOCAL_FILES", "CLIENT_IGNORE_SPACE",
	"CLIENT_PROTOCOL_41", "CLIENT_INTERACTIVE", "CLIENT_SSL",
	"CLIENT_IGNORE_SIGPIPE", "CLIENT_TRANSACTIONS", "CLIENT_RESERVED",
	"CLIENT_SECURE_CONNECTION", "CLIENT_MULTI_STATEMENTS",
	"CLIENT_MULTI_RESULTS", "CLIENT_PS_MULTI_RESULTS", "CLIENT_PLUGIN_AUTH",
	"CLIENT_CONNECT_ATTRS", "CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA",
	"CLIENT_CAN_HANDLE_EXPIRED_PASSWORDS", "CLIENT_SESSION_TRACK",
	"CLIENT_DEPRECATE_EOF", "CLIENT_OPTIONAL_RESULTSET_METADATA",
	"CLIENT_ZSTD_COMPRESSION_ALGORITHM", "CLIENT_QUERY_ATTRIBUTES",
	"MULTI_FACTOR_AUTHENTICATION", "CLIENT_CAPABILITY_EXTENSION",
	"CLIENT_SSL_VERIFY_SERVER_CERT", "CLIENT_REMEMBER_OPTIONS",
	"MARIADB_CLIENT_PROGRESS", "MARIADB_CLIENT_COM_MULTI",
	"MARIADB_CLIENT_STMT_BULK_OPERATIONS", "MARIADB_CLIENT_EXTENDED_METADATA",
	"MARIADB_CLIENT_CACHE_METADATA", "MARIADB_CLIENT_BULK_UNIT_RESULTS",
};

static struct adi_jval *my_caps_json(uint64_t caps)
{
	struct adi_jval *a = adi_j_arr();
	size_t nn = sizeof(my_cap_names) / sizeof(my_cap_names[0]);

	for (unsigned i = 0; i < 64; i++) {
		if (!(caps >> i & 1))
			continue;
		if (i < nn)
			adi_j_push(a, adi_j_str(my_cap_names[i]));
		else
			adi_j_push(a, my_jfmt("0x%llx", 1ull << i));
	}
	return a;
}

/* HandshakeResponse41 (page_protocol_connection_phase_packets_protocol_handshake_response):
 *   int<4> capabilities | int<4> max packet | int<1> charset |
 *   23 filler (MariaDB: 19 + int<4> extended capabilities) |
 *   string<NUL> user | auth response (lenenc with PLUGIN_AUTH_LENENC,
 *   int<1> length + bytes with SECURE_CONNECTION, else string<NUL>) |
 *   string<NUL> database (CONNECT_WITH_DB) | string<NUL> plugin (PLUGIN_AUTH) |
 *   int<lenenc> length + (key<lenenc>, value<lenenc>)* (CONNECT_ATTRS)
 * SSLRequest is its first 32 bytes with CLIENT_SSL: TLS follows.
 * HandshakeResponse320 (no PROTOCOL_41): int<2> caps, int<3> max packet,
 * string<NUL> user, ... The auth response is skipped, never shown.
 * Returns true for an SSLRequest. */
static bool my_login(struct mysql_state *st, struct adi_cur *c)
{
	const uint8_t *u, *p;
	size_t ul, pl;
	uint32_t c4;
	uint64_t caps;

	adi_cur_le32(c, &c4);
	caps = c4;
	st->login_seen = true;
	if (!(caps & CLIENT_PROTOCOL_41)) {
		uint16_t c2;

		c->pos = 0;
		adi_cur_le16(c, &c2);
		caps = c2;
		adi_cur_skip(c, 3);
	} else {
		const uint8_t *fill;

		adi_cur_skip(c, 5);
		adi_cur_bytes(c, 23, &fill);
		if (fill && !(caps & CLIENT_LONG_PASSWORD))
			caps |= (uint64_t)adi_ld_le32(fill + 19) << 32;
	}
	st->cli_caps = caps;
	st->caps_known = true;
	if (!adi_cur_left(c) && (caps & CLIENT_SSL))
		return true;
	u = my_nulstr(c, &ul);
	my_set_str(&st->user, u, ul);
	if (caps & CLIENT_PLUGIN_AUTH_LENENC) {
		my_lenstr(c, &p, &pl);
	} else if (caps & CLIENT_SECURE_CONNECTION) {
		uint8_t al;

		adi_cur_u8(c, &al);
		adi_cur_skip(c, al);
	} else if (caps & CLIENT_PROTOCOL_41) {
		my_nulstr(c, &pl);
	} else { /* 3.20: the scramble ends the packet */
		c->pos = c->n;
	}
	if ((caps & CLIENT_CONNECT_WITH_DB) && adi_cur_left(c)) {
		p = my_nulstr(c, &pl);
		my_set_str(&st->database, p, pl);
	}
	if ((caps & CLIENT_PLUGIN_AUTH) && adi_cur_left(c)) {
		p = my_nulstr(c, &pl);
		if (pl)
			my_set_str(&st->auth_plugin, p, pl);
	}
	if ((caps & CLIENT_CONNECT_ATTRS) && adi_cur_left(c)) {
		uint64_t total;
		struct adi_cur a;
		unsigned na = 0;

		my_lenenc(c, &total, NULL);
		a = adi_cur_make(adi_cur_ptr(c), my_min(adi_cur_left(c), total));
		adi_j_free(st->attrs);
		st->attrs = adi_j_obj();
		while (adi_cur_left(&a) && na++ < MY_MAX_ATTRS) {
			const uint8_t *k, *v;
			char *key;

			my_lenstr(&a, &k, &ul);
			my_lenstr(&a, &v, &pl);
			if (a.bad)
				break;
			key = my_strdup(k, ul);
			if (key)
				adi_j_set(st->attrs, key, my_jbytes(v, pl, false));
			free(key);
		}
	}
	return false;
}

/* OK_Packet (page_protocol_basic_ok_packet), header 0x00 (or 0xfe when it
 * ends a result set with CLIENT_DEPRECATE_EOF):
 *   int<1> header | int<lenenc> affected rows | int<lenenc> last insert id |
 *   int<2> status | int<2> warnings |
 *   CLIENT_SESSION_TRACK: string<lenenc> info
 *     [+ string<lenenc> session state changes if SESSION_STATE_CHANGED]
 *   otherwise: string<EOF> info
 * Session state: (int<1> type, string<lenenc> data)*; type 1 (schema)
 * holds string<lenenc> the new default database. */
struct my_ok {
	uint64_t affected, insert_id;
	unsigned status, warnings;
	const uint8_t *info;
	size_t info_len;
};

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
				my_set_str(&st->database, s, sl);
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

static void my_ok_parse(struct mysql_state *st, struct adi_cur *c, struct my_ok *o)
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

static void my_status(struct mysql_state *st, unsigned status)
{
	st->tx = (status & SERVER_STATUS_IN_TRANS) ? TX_IN : TX_IDLE;
}

/* ERR_Packet (page_protocol_basic_err_packet):
 *   0xff | int<2> code | '#' + string[5] SQLSTATE (PROTOCOL_41) | string<EOF> message
 * As the event's error: {"code": "1064", "message": ..., "sqlstate": "42000"}. */
static struct adi_jval *my_err(struct adi_cur *c)
{
	struct adi_jval *e = adi_j_obj();
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
	adi_j_set(e, "code", my_jfmt("%u", (unsigned)code));
	adi_j_set(e, "message", my_jbytes(msg, ml, false));
	if (state)
		adi_j_set(e, "sqlstate", my_jbytes(state, 5, false));
	else
		adi_j_set_null(e, "sqlstate");
	return e;
}

/* Column Definition 41 (page_protocol_com_query_response_text_resultset_column_definition):
 *   catalog, schema, table, org_table, name, org_name: string<lenenc> |
 *   [MariaDB extended metadata string<lenenc>] | int<lenenc> 0x0c |
 *   int<2> charset | int<4> length | int<1> type | int<2> flags | int<1> decimals
 *   [COM_FIELD_LIST: default value]
 * Gives the name, and the type with MY_UNSIGNED for UNSIGNED_FLAG (32). */
static struct adi_jval *my_coldef(struct adi_cur *c, bool field_list, uint16_t *type)
{
	const uint8_t *name = NULL, *s;
	size_t nl = 0, l;
	uint64_t fixed_len;

	*type = T_VAR_STRING;
	for (int i = 0; i < 6; i++) {
		my_lenstr(c, &s, &l);
		if (i == 4) {
			name = s;
			nl = l;
		}
	}
	if (!field_list && adi_cur_left(c) > 13)
		my_lenstr(c, &s, &l);
	my_lenenc(c, &fixed_len, NULL);
	adi_cur_skip(c, 6);
	if (adi_cur_left(c) >= 3) {
		uint8_t t;
		uint16_t flags;

		adi_cur_u8(c, &t);
		adi_cur_le16(c, &flags);
		*type = (uint16_t)(t | (flags & 32 ? MY_UNSIGNED : 0));
	}
	return name ? my_jbytes(name, nl, false) : adi_j_null();
}

/* ---- commands (client to server) ---- */

static const char *const my_com_names[0x20] = {
	"COM_SLEEP", "COM_QUIT", "COM_INIT_DB", "COM_QUERY", "COM_FIELD_LIST",
	"COM_CREATE_DB", "COM_DROP_DB", "COM_REFRESH", "COM_SHUTDOWN",
	"COM_STATISTICS", "COM_PROCESS_INFO", "COM_CONNECT", "COM_PROCESS_KILL",
	"COM_DEBUG", "COM_PING", "COM_TIME", "COM_DELAYED_INSERT",
	"COM_CHANGE_USER", "COM_BINLOG_DUMP", "COM_TABLE_DUMP",
	"COM_CONNECT_OUT", "COM_REGISTER_SLAVE", "COM_STMT_PREPARE",
	"COM_STMT_EXECUTE", "COM_STMT_SEND_LONG_DATA", "COM_STMT_CLOSE",
	"COM_STMT_RESET", "COM_SET_OPTION", "COM_STMT_FETCH", "COM_DAEMON",
	"COM_BINLOG_DUMP_GTID", "COM_RESET_CONNECTION",
};

static struct adi_jval *my_com_json(uint8_t cmd)
{
	if (cmd < 0x20)
		return adi_j_str(my_com_names[cmd]);
	if (cmd == COM_STMT_BULK_EXECUTE)
		return adi_j_str("COM_STMT_BULK_EXECUTE");
	return my_jfmt("COM_0x%02x", cmd);
}

/* Result of a check on bytes that may be cut short. */
enum my_ps { PS_OK, PS_PARTIAL, PS_BAD, PS_DONE };

/* Bytes a statement text may start with / hold: printable ASCII, TAB, CR,
 * LF, or bytes of UTF-8 characters; no NUL, no other control. */
static bool my_texty(uint8_t c)
{
	return (c >= 0x20 && c != 0x7f) || c == '\t' || c == '\r' || c == '\n';
}

/* The first min(len, MY_PEEK) bytes of a text payload p[1..] (after the
 * command byte); vis bytes are visible. until_nul: a NUL ends the text. */
static enum my_ps my_text_ok(const uint8_t *p, size_t vis, uint32_t len, bool until_nul)
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
static enum my_ps my_cmd_plausible(const uint8_t *b, size_t n)
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

static void my_side_msg(struct my_side *sd)
{
	adi_j_free(sd->f);
	sd->f = adi_j_obj();
	sd->incomplete = sd->cut = false;
}

static struct my_pend *my_fifo_head(struct mysql_state *st);

/* A client packet starts at b (header + what is visible of the payload). */
static enum my_ps my_cli_start(struct mysql_state *st, struct my_side *sd,
			       const struct adi_proto_cfg *cfg,
			       const uint8_t *b, size_t n)
{
	uint32_t len = adi_ld_le24(b);
	enum my_ps r;
	bool qa = false;

	if (st->stop || st->tls || (st->compress && st->authed))
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
			w_begin(&sd->w, qa ? W_QATTR : W_EXEC, 0, true);
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

static void my_pend_free(struct my_pend *p)
{
	free(p->sql);
	free(p->arg);
	free(p->arg2);
	memset(p, 0, sizeof(*p));
}

static struct my_pend *my_fifo_head(struct mysql_state *st)
{
	return st->fifo_len ? &st->fifo[st->fifo_head] : NULL;
}

static void my_fifo_pop(struct mysql_state *st)
{
	if (!st->fifo_len)
		return;
	my_pend_free(&st->fifo[st->fifo_head]);
	st->fifo_head = (st->fifo_head + 1) % MY_FIFO_CAP;
	st->fifo_len--;
}

static void my_fifo_push(struct mysql_state *st, struct my_pend *p)
{
	if (st->fifo_len == MY_FIFO_CAP) {
		/* deeper pipelining than followed: the oldest command's reply
		 * will not find it */
		if (st->fifo[st->fifo_head].key > st->lost_upto)
			st->lost_upto = st->fifo[st->fifo_head].key;
		my_fifo_pop(st);
	}
	st->fifo[(st->fifo_head + st->fifo_len) % MY_FIFO_CAP] = *p;
	st->fifo_len++;
}

/* "USE `db`" with backticks doubled, for COM_INIT_DB's sql. */
static struct adi_jval *my_use_sql(const uint8_t *db, size_t n)
{
	uint8_t *s = malloc(2 * n + 8);
	size_t k = 0;
	struct adi_jval *v;

	if (!s)
		return NULL;
	memcpy(s, "USE `", 5);
	k = 5;
	for (size_t i = 0; i < n; i++) {
		if (db[i] == '`')
			s[k++] = '`';
		s[k++] = db[i];
	}
	s[k++] = '`';
	v = my_jbytes(s, k, false);
	free(s);
	return v;
}

/* sql and the statement of a prepared statement into f. */
static void my_stmt_fields(struct mysql_state *st, struct adi_jval *f, uint32_t id,
			   bool *cut)
{
	struct my_stmt *s = my_stmt_find(st, id);

	if (s && s->sql) {
		adi_j_set(f, "sql", my_jbytes((const uint8_t *)s->sql, s->sql_len, s->sql_cut));
		*cut |= s->sql_cut;
	} else {
		adi_j_set_null(f, "sql");
	}
	if (id == MY_NO_STMT && s)
		id = s->id;
	adi_j_set(f, "statement", id == MY_NO_STMT ? adi_j_str("-1") : my_jfmt("%u", id));
}

/* COM_STMT_EXECUTE: what the walker read. */
static void my_exec_fields(struct mysql_state *st, struct my_side *sd,
			   const struct adi_proto_cfg *cfg, struct adi_jval *f, bool *cut)
{
	struct my_walk *w = &sd->w;
	struct my_stmt *s;

	w_end(st, cfg, w);
	if (w->step == WS_HEAD) { /* shorter than its header */
		adi_j_set_null(f, "sql");
		adi_j_set_null(f, "params");
		adi_j_set_null(f, "statement");
		sd->incomplete = true;
		return;
	}
	my_stmt_fields(st, f, w->stmt, cut);
	if (w->unknown) {
		adi_j_set_null(f, "params");
		if (w->raw_total) {
			adi_j_set(f, "params_raw", my_jbase64(w->v, w->v_len));
			*cut |= w->raw_total > w->v_len;
		}
	} else {
		adi_j_set(f, "params", w->vals);
		w->vals = NULL;
		*cut |= w->cut;
		if (w->step != WS_DONE)
			sd->incomplete = true;
	}
	if (w->flags & 0x07)
		adi_j_set_str(f, "cursor", w->flags & 0x04 ? "scrollable" :
			      w->flags & 0x02 ? "for_update" : "read_only");
	if (w->names && adi_j_len(w->names)) {
		adi_j_set(f, "param_names", w->names);
		w->names = NULL;
	}
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

/* COM_QUERY with CLIENT_QUERY_ATTRIBUTES: {"name": value} of the
 * attributes, then the text in pk. */
static void my_qattr_fields(struct mysql_state *st, struct my_side *sd,
			    const struct adi_proto_cfg *cfg, struct adi_jval *f)
{
	struct my_walk *w = &sd->w;

	w_end(st, cfg, w);
	if (w->n && w->step == WS_DONE) {
		struct adi_jval *o = adi_j_obj();

		for (size_t i = 0; i < adi_j_len(w->vals); i++) {
			const char *k = adi_j_as_str(adi_j_at(w->names, i), "");

			adi_j_set(o, k, adi_j_copy(adi_j_at(w->vals, i)));
		}
		adi_j_set(f, "query_attributes", o);
	} else if (w->step != WS_DONE) {
		sd->incomplete = true;
	}
}

/* The command is complete: its message (or SKIP for SEND_LONG_DATA). */
static enum adi_parse my_cmd_end(struct mysql_state *st, struct my_side *sd,
				 const struct adi_proto_cfg *cfg, struct adi_msg *out)
{
	struct adi_cur c = my_pk_cur(sd);
	struct adi_jval *f = sd->f;
	struct my_pend pe = { .cmd = st->ccmd };
	bool reply = true, cut = false;
	const uint8_t *s;
	size_t sl;
	uint32_t id, rows;
	uint16_t param, opt;
	uint8_t al;

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
		adi_j_set(f, "sql", my_jbytes(s, sl, cut));
		if (st->ccmd == COM_STMT_PREPARE) {
			pe.sql = my_strdup(s, sl);
			pe.sql_len = pe.sql ? sl : 0;
			pe.sql_cut = cut;
		}
		break;
	case COM_INIT_DB:
		sl = adi_cur_left(&c);
		adi_cur_bytes(&c, sl, &s);
		adi_j_set(f, "sql", my_use_sql(s, sl));
		pe.arg = my_strdup(s, sl);
		break;
	case COM_FIELD_LIST:
		s = my_nulstr(&c, &sl);
		adi_j_set(f, "table", my_jbytes(s, sl, false));
		sl = adi_cur_left(&c);
		adi_cur_bytes(&c, sl, &s);
		if (sl)
			adi_j_set(f, "wildcard", my_jbytes(s, sl, false));
		break;
	case COM_STMT_EXECUTE:
		my_exec_fields(st, sd, cfg, f, &cut);
		pe.stmt = sd->w.stmt;
		break;
	case COM_STMT_FETCH:
	case COM_STMT_CLOSE:
	case COM_STMT_RESET:
	case COM_STMT_BULK_EXECUTE:
		adi_cur_le32(&c, &id);
		my_stmt_fields(st, f, id, &cut);
		pe.stmt = id;
		if (st->ccmd == COM_STMT_FETCH) {
			adi_cur_le32(&c, &rows);
			adi_j_set_int(f, "fetch_rows", rows);
		}
		if (st->ccmd == COM_STMT_BULK_EXECUTE)
			adi_j_set_null(f, "params"); /* bulk parameters are not decoded */
		if (st->ccmd == COM_STMT_CLOSE) {
			struct my_stmt *ps = my_stmt_find(st, id);

			reply = false;
			my_long_clear(st, id, false);
			if (ps)
				my_stmt_clear(st, ps);
		}
		if (st->ccmd == COM_STMT_RESET)
			my_long_clear(st, id, false);
		break;
	case COM_STMT_SEND_LONG_DATA:
		adi_cur_le32(&c, &id);
		adi_cur_le16(&c, &param);
		if (!c.bad)
			my_long_add(st, id, param, adi_cur_ptr(&c), adi_cur_left(&c),
				    sd->plen - 7, cfg->body_bytes);
		adi_j_free(sd->f);
		sd->f = NULL;
		return ADI_PARSE_SKIP;
	case COM_CHANGE_USER:
		s = my_nulstr(&c, &sl);
		pe.arg = my_strdup(s, sl);
		if (my_cap(st, CLIENT_SECURE_CONNECTION, true)) {
			adi_cur_u8(&c, &al);
			adi_cur_skip(&c, al);
		} else {
			my_nulstr(&c, &sl);
		}
		if (adi_cur_left(&c)) {
			s = my_nulstr(&c, &sl);
			pe.arg2 = my_strdup(s, sl);
		}
		adi_j_set_null(f, "sql");
		break;
	case COM_SET_OPTION:
		adi_cur_le16(&c, &opt);
		adi_j_set_str(f, "option", opt ? "MYSQL_OPTION_MULTI_STATEMENTS_OFF" :
			      "MYSQL_OPTION_MULTI_STATEMENTS_ON");
		break;
	case COM_PROCESS_KILL:
		adi_cur_le32(&c, &id);
		adi_j_set_int(f, "connection_id", id);
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
	adi_j_set(f, "command", my_com_json(st->ccmd));
	adi_j_set_bool(f, "truncated", cut || sd->cut);
	if (st->database)
		adi_j_set_str(f, "database", st->database);
	if (st->user)
		adi_j_set_str(f, "user", st->user);
	if (st->tx != TX_UNKNOWN)
		adi_j_set_str(f, "tx", st->tx == TX_IN ? "in_tx" : "idle");
	if (sd->damaged || sd->incomplete)
		adi_j_set_bool(f, "incomplete", true);
	pe.key = ++st->next_key;
	out->kind = reply ? MYSQL_CMD : MYSQL_CMD_NOREPLY;
	out->key = pe.key;
	out->fields = f;
	out->incomplete = sd->damaged || sd->incomplete;
	sd->f = NULL;
	if (reply)
		my_fifo_push(st, &pe);
	else
		my_pend_free(&pe);
	return ADI_PARSE_FRAME;
}

static enum adi_parse my_cli_end(struct mysql_state *st, struct my_side *sd,
				 const struct adi_proto_cfg *cfg, struct adi_msg *out)
{
	struct adi_cur c = my_pk_cur(sd);

	switch (sd->what) {
	case P_LOGIN:
		if (my_login(st, &c) && sd->plen == 32) {
			struct adi_jval *f = adi_j_obj();

			st->tls = true;
			adi_j_set(f, "capabilities", my_caps_json(st->cli_caps));
			out->kind = MYSQL_SSL;
			out->fields = f;
			return ADI_PARSE_FRAME;
		}
		return ADI_PARSE_SKIP;
	case P_CMD:
		return my_cmd_end(st, sd, cfg, out);
	default:
		return ADI_PARSE_SKIP;
	}
}

/* ---- responses (server to client) ---- */

/* Handshake v10 at b: sequence id 0, protocol 10, a version string of
 * printable ASCII starting with a digit and ending in NUL within 64
 * bytes, a payload of 20..1024 bytes. */
static enum my_ps my_greeting_plausible(const uint8_t *b, size_t n)
{
	uint32_t len;

	if (n >= 4 && b[3] != 0)
		return PS_BAD;
	if (n >= 5 && b[4] != 10)
		return PS_BAD;
	if (n < 6)
		return PS_PARTIAL;
	len = adi_ld_le24(b);
	if (len < 20 || len > 1024 || b[5] < '0' || b[5] > '9')
		return PS_BAD;
	for (size_t i = 6; i < 5 + 58 && i < 4 + len; i++) {
		if (i >= n)
			return PS_PARTIAL;
		if (!b[i])
			return PS_OK;
		if (b[i] < 0x20 || b[i] > 0x7e)
			return PS_BAD;
	}
	return PS_BAD;
}

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
static enum my_ps my_resp_plausible(uint8_t cmd, const uint8_t *b, size_t n)
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
	adi_j_free(st->rsample);
	st->rsample = adi_j_arr();
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
static enum my_pkt my_resp_first(struct mysql_state *st, struct my_side *sd,
				 const struct my_pend *pe, uint8_t c0, uint32_t len)
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
		adi_j_set(sd->f, "columns", adi_j_arr());
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
	*what = my_resp_first(st, sd, pe, c0, len);
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
static enum my_ps my_srv_start(struct mysql_state *st, struct my_side *sd,
			       const struct adi_proto_cfg *cfg,
			       const uint8_t *b, size_t n)
{
	uint32_t len = adi_ld_le24(b);
	enum my_pkt what = P_NONE;
	enum my_ps r;

	if (st->stop || st->tls || (st->compress && st->authed))
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
		w_begin(&sd->w, st->rbin ? W_BIN_ROW : W_TEXT_ROW, (uint32_t)st->ncols,
			st->rows < cfg->rows_sample && (!st->rbin || st->rtypes_ok));
		sd->w.rt = st->rtypes;
		if (st->rbin && !st->rtypes_ok)
			sd->w.step = WS_DEAD; /* types unknown: counted only */
	}
	sd->what = what;
	return PS_OK;
}

/* tx, database and user after the reply, into f. */
static void my_after(struct mysql_state *st, struct adi_jval *f)
{
	if (st->tx != TX_UNKNOWN)
		adi_j_set_str(f, "tx", st->tx == TX_IN ? "in_tx" : "idle");
	else
		adi_j_set_null(f, "tx");
	adi_j_set(f, "database", st->database ? adi_j_str(st->database) : adi_j_null());
	adi_j_set(f, "user", st->user ? adi_j_str(st->user) : adi_j_null());
}

/* The response (or one result of it) is complete: hand it over. more: a
 * further result of the same command follows. */
static enum adi_parse my_resp_frame(struct mysql_state *st, struct my_side *sd,
				    struct adi_msg *out, bool more)
{
	struct adi_jval *f = sd->f;

	my_after(st, f);
	if (sd->cut)
		adi_j_set_bool(f, "truncated", true);
	if (more)
		adi_j_set_bool(f, "_more", true);
	if (sd->incomplete || sd->damaged)
		adi_j_set_bool(f, "incomplete", true);
	out->kind = MYSQL_RESP;
	out->key = st->rkey;
	out->fields = f;
	out->incomplete = sd->incomplete || sd->damaged;
	sd->f = NULL;
	if (!more && st->rkey && my_fifo_head(st) && my_fifo_head(st)->key == st->rkey)
		my_fifo_pop(st);
	st->rph = R_IDLE;
	adi_j_free(st->rsample);
	st->rsample = NULL;
	return ADI_PARSE_FRAME;
}

static const char *my_plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

/* What an OK packet changes, by the command it answers. */
static void my_ok_effects(struct mysql_state *st)
{
	struct my_pend *pe = my_fifo_head(st);

	if (!pe || pe->key != st->rkey)
		return;
	switch (pe->cmd) {
	case COM_INIT_DB:
		free(st->database);
		st->database = pe->arg;
		pe->arg = NULL;
		break;
	case COM_CHANGE_USER:
		free(st->user);
		free(st->database);
		st->user = pe->arg;
		st->database = pe->arg2;
		pe->arg = pe->arg2 = NULL;
		/* the session is reset too */
		/* fall through */
	case COM_RESET_CONNECTION:
		for (size_t i = 0; st->stmts && i < MY_MAX_STMTS; i++)
			if (st->stmts[i].used)
				my_stmt_clear(st, &st->stmts[i]);
		st->have_last = false;
		my_long_clear(st, 0, true);
		break;
	}
}

/* command_tag of an OK: "OK, 1 row affected, last insert id 5, 1 warning"
 * for statements (QUERY, EXECUTE, BULK; the insert id and warnings only
 * when not 0), "OK" for every other command. */
static struct adi_jval *my_ok_tag(const struct mysql_state *st, const struct my_ok *o)
{
	char buf[128];
	int k;

	if (st->rcmd != COM_QUERY && st->rcmd != COM_STMT_EXECUTE &&
	    st->rcmd != COM_STMT_BULK_EXECUTE)
		return adi_j_str("OK");
	k = snprintf(buf, sizeof(buf), "OK, %llu row%s affected",
		     (unsigned long long)o->affected, my_plural(o->affected));
	if (o->insert_id)
		k += snprintf(buf + k, sizeof(buf) - (size_t)k, ", last insert id %llu",
			      (unsigned long long)o->insert_id);
	if (o->warnings)
		snprintf(buf + k, sizeof(buf) - (size_t)k, ", %u warning%s", o->warnings,
			 my_plural(o->warnings));
	return adi_j_str(buf);
}

/* The end of a COM_STMT_PREPARE response. */
static enum adi_parse my_prep_done(struct mysql_state *st, struct my_side *sd,
				   struct adi_msg *out)
{
	adi_j_set(sd->f, "command_tag", my_jfmt("OK, %llu param%s, %llu column%s",
		  (unsigned long long)st->nparams, my_plural(st->nparams),
		  (unsigned long long)st->ncols, my_plural(st->ncols)));
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
	struct adi_jval *f = sd->f;

	my_status(st, status);
	adi_j_set_int(f, "rows", (int64_t)st->rows);
	adi_j_set(f, "rows_sample", st->rsample);
	st->rsample = NULL;
	if (st->rcmd == COM_FIELD_LIST)
		adi_j_set_null(f, "command_tag");
	else
		adi_j_set(f, "command_tag", my_jfmt("SELECT %llu row%s",
			  (unsigned long long)st->rows, my_plural(st->rows)));
	if (warnings)
		adi_j_set_int(f, "warnings", warnings);
	return my_resp_frame(st, sd, out, (status & SERVER_MORE_RESULTS_EXISTS) != 0);
}

/* The end of the connection phase (OK or ERR after the login). */
static enum adi_parse my_auth_done(struct mysql_state *st, struct my_side *sd,
				   struct adi_msg *out, struct adi_jval *err)
{
	struct adi_jval *f = sd->f;

	st->rph = R_IDLE;
	adi_j_set(f, "error", err ? err : adi_j_null());
	adi_j_set(f, "command_tag", err ? adi_j_null() : adi_j_str("OK"));
	my_after(st, f);
	adi_j_set(f, "auth_plugin", st->auth_plugin ? adi_j_str(st->auth_plugin) : adi_j_null());
	if (st->caps_known)
		adi_j_set(f, "capabilities", my_caps_json(st->greeted ?
			  st->cli_caps & st->srv_caps : st->cli_caps));
	if (st->attrs) {
		adi_j_set(f, "connect_attrs", st->attrs);
		st->attrs = NULL;
	}
	if (!err && my_cap(st, CLIENT_COMPRESS, false)) {
		st->compress = true;
		adi_j_set_bool(f, "compressed", true);
	}
	if (sd->incomplete || sd->damaged)
		adi_j_set_bool(f, "incomplete", true);
	out->kind = MYSQL_AUTH;
	out->key = 0;
	out->fields = f;
	out->incomplete = sd->incomplete || sd->damaged;
	sd->f = NULL;
	return ADI_PARSE_FRAME;
}

/* ---- what a complete server packet does: one function a kind ----
 * Each returns what parse() makes of it: FRAME (a message in out: the
 * response, or one result of it, ended), AGAIN (the response goes on),
 * SKIP (a packet of no message). */

/* The payload's first byte (0 when empty). */
static uint8_t my_pk_first(const struct my_side *sd)
{
	return sd->pk_len ? sd->pk[0] : 0;
}

/* AuthSwitchRequest (0xfe + string<NUL> plugin name + data): the name. */
static bool my_switch_plugin(const struct my_side *sd, const uint8_t **p, size_t *pl)
{
	struct adi_cur c = my_pk_cur(sd);

	if (my_pk_first(sd) != 0xfe || sd->pk_len <= 1)
		return false;
	adi_cur_skip(&c, 1);
	*p = my_nulstr(&c, pl);
	return true;
}

static enum adi_parse my_srv_greeting(struct mysql_state *st, struct my_side *sd,
				      struct adi_msg *out)
{
	struct adi_cur c = my_pk_cur(sd);

	adi_j_free(sd->f);
	sd->f = NULL;
	out->kind = MYSQL_GREETING;
	out->fields = my_greeting(st, &c);
	out->incomplete = sd->damaged;
	st->rph = R_AUTH;
	return ADI_PARSE_FRAME;
}

/* Connection phase: OK or ERR end it; AuthMoreData and AuthSwitchRequest
 * continue the exchange. */
static enum adi_parse my_srv_auth(struct mysql_state *st, struct my_side *sd,
				  struct adi_msg *out)
{
	struct adi_cur c = my_pk_cur(sd);
	const uint8_t *p;
	struct my_ok o;
	size_t pl;

	if (!sd->f)
		my_side_msg(sd);
	switch (my_pk_first(sd)) {
	case 0x00:
		my_ok_parse(st, &c, &o);
		my_status(st, o.status);
		st->authed = true;
		if (st->caps_known)
			st->deprecate_eof = my_cap(st, CLIENT_DEPRECATE_EOF, false) ?
					    EOF_DEPRECATED : EOF_SENT;
		return my_auth_done(st, sd, out, NULL);
	case 0xff:
		return my_auth_done(st, sd, out, my_err(&c));
	}
	if (my_switch_plugin(sd, &p, &pl))
		my_set_str(&st->auth_plugin, p, pl);
	return ADI_PARSE_AGAIN;
}

/* COM_CHANGE_USER's auth exchange: the plugin it switches to. */
static enum adi_parse my_srv_authsw(struct my_side *sd)
{
	const uint8_t *p;
	size_t pl;

	if (my_switch_plugin(sd, &p, &pl))
		adi_j_set(sd->f, "auth_plugin", my_jbytes(p, pl, false));
	return ADI_PARSE_AGAIN;
}

static enum adi_parse my_srv_ok(struct mysql_state *st, struct my_side *sd,
				struct adi_msg *out)
{
	struct adi_cur c = my_pk_cur(sd);
	struct adi_jval *f = sd->f;
	struct my_ok o;

	if (my_pk_first(sd) == 0xfe && sd->pk_len < 9) /* an EOF (old SET_OPTION) */
		my_eof_parse(&c, &o);
	else
		my_ok_parse(st, &c, &o);
	my_status(st, o.status);
	my_ok_effects(st);
	adi_j_set_int(f, "rows", (int64_t)o.affected);
	adi_j_set(f, "command_tag", my_ok_tag(st, &o));
	adi_j_set_null(f, "error");
	if (o.insert_id)
		adi_j_set_int(f, "last_insert_id", (int64_t)o.insert_id);
	if (o.warnings)
		adi_j_set_int(f, "warnings", o.warnings);
	if (o.info_len)
		adi_j_set(f, "info", my_jbytes(o.info, o.info_len, sd->pk_cut));
	return my_resp_frame(st, sd, out, (o.status & SERVER_MORE_RESULTS_EXISTS) != 0);
}

static enum adi_parse my_srv_err(struct mysql_state *st, struct my_side *sd,
				 struct adi_msg *out)
{
	struct adi_cur c = my_pk_cur(sd);

	adi_j_set(sd->f, "error", my_err(&c));
	adi_j_set_null(sd->f, "command_tag");
	return my_resp_frame(st, sd, out, false);
}

/* LOCAL INFILE request: 0xfb + the file name; the client sends it. */
static enum adi_parse my_srv_infile(struct mysql_state *st, struct my_side *sd)
{
	struct adi_cur c = my_pk_cur(sd);

	adi_cur_skip(&c, 1);
	adi_j_set(sd->f, "infile", my_jbytes(adi_cur_ptr(&c), adi_cur_left(&c), sd->pk_cut));
	st->rph = R_INFILE;
	return ADI_PARSE_AGAIN;
}

/* COM_STATISTICS' answer: string<EOF>. */
static enum adi_parse my_srv_stats(struct mysql_state *st, struct my_side *sd,
				   struct adi_msg *out)
{
	adi_j_set(sd->f, "info", my_jbytes(sd->pk, sd->pk_len, sd->pk_cut));
	adi_j_set_null(sd->f, "command_tag");
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
		adi_j_set_null(sd->f, "columns");
		if (st->rbin)
			my_types_from_stmt(st);
		st->rph = R_AFTER_DEFS;
	} else {
		adi_j_set(sd->f, "columns", adi_j_arr());
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
	uint16_t type;

	adi_j_push(adi_j_get(sd->f, "columns"), my_coldef(&c, st->rph == R_FIELDS, &type));
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
		adi_j_set_bool(sd->f, "cursor_open", true);
		return my_result_done(st, sd, out, o.status, o.warnings);
	}
	st->rph = R_ROWS;
	return ADI_PARSE_AGAIN;
}

/* A row, walked as it came: counted, kept while the sample has room. */
static enum adi_parse my_srv_row(struct mysql_state *st, struct my_side *sd,
				 const struct adi_proto_cfg *cfg)
{
	w_end(st, cfg, &sd->w);
	if (sd->w.step != WS_DONE && sd->w.keep)
		sd->incomplete = true;
	if (sd->w.keep && st->rsample) {
		adi_j_push(st->rsample, sd->w.vals);
		sd->w.vals = NULL;
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
		if (o.info_len)
			adi_j_set(sd->f, "info", my_jbytes(o.info, o.info_len, sd->pk_cut));
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
	struct adi_jval *f = sd->f;
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
		my_stmt_add(st, id, pe->sql, pe->sql_len, pe->sql_cut, (uint32_t)st->nparams);
	st->rstmt = id;
	adi_j_set(f, "statement", my_jfmt("%u", id));
	adi_j_set_int(f, "num_params", (int64_t)st->nparams);
	adi_j_set(f, "columns", adi_j_arr());
	adi_j_set_null(f, "error");
	if (warnings)
		adi_j_set_int(f, "warnings", warnings);
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
static enum adi_parse my_srv_end(struct mysql_state *st, struct my_side *sd,
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

/* ---- the parser ---- */

static bool my_is_client(const struct mysql_state *st, enum adi_dir dir)
{
	return st->server_side ? dir == ADI_DIR_IN : dir != ADI_DIR_IN;
}

/* H_COPY: keep what fits in pk_cap of the rest of in (all consumed). */
static void my_keep(struct my_side *sd, struct adi_cur *in)
{
	if (my_keep_capped(&sd->pk, &sd->pk_len, &sd->pk_alloc, sd->pk_cap,
			   adi_cur_ptr(in), adi_cur_left(in)))
		sd->pk_cut = true;
	adi_cur_skip(in, adi_cur_left(in));
}

/* Payload bytes of the packet in progress go to its handler. */
static void my_feed(struct mysql_state *st, struct my_side *sd,
		    const struct adi_proto_cfg *cfg, struct adi_cur *in)
{
	switch (sd->h) {
	case H_COPY:
		my_keep(sd, in);
		break;
	case H_WALK:
		w_feed(st, cfg, &sd->w, in);
		if (adi_cur_left(in) && sd->w.mode == W_QATTR)
			my_keep(sd, in); /* the statement text */
		break;
	case H_SKIP:
		break;
	}
}

/* Forget the packet and message in progress of a side. */
static void my_side_reset(struct my_side *sd)
{
	sd->in_pkt = sd->more = sd->damaged = false;
	sd->left = 0;
	sd->hdr_len = 0;
	sd->pk_len = 0;
	sd->pk_cut = false;
	adi_j_free(sd->f);
	sd->f = NULL;
	sd->incomplete = sd->cut = false;
	w_begin(&sd->w, W_TEXT_ROW, 0, false);
}

/* The direction ended inside a message: hand over what there is. */
static enum adi_parse my_cut_short(struct mysql_state *st, struct my_side *sd, bool cli,
				   const struct adi_proto_cfg *cfg, struct adi_msg *out)
{
	enum adi_parse r = ADI_PARSE_AGAIN;

	if (!sd->f)
		return r;
	if (sd->held) {
		/* bytes were held when the direction ended, or dropped by a
		 * gap the decoder was not told of: the message cannot be
		 * placed in time; it is lost */
		my_side_reset(sd);
		return r;
	}
	sd->incomplete = true;
	if (cli) {
		if (sd->in_pkt && sd->what == P_CMD)
			r = my_cmd_end(st, sd, cfg, out);
	} else if (st->rph == R_AUTH) {
		r = my_auth_done(st, sd, out, NULL);
		adi_j_set_null(out->fields, "command_tag");
	} else if (st->rph != R_IDLE || sd->in_pkt) {
		if (adi_j_get(sd->f, "columns")) {
			adi_j_set_int(sd->f, "rows", (int64_t)st->rows);
			adi_j_set(sd->f, "rows_sample", st->rsample);
			st->rsample = NULL;
		}
		r = my_resp_frame(st, sd, out, false);
	}
	my_side_reset(sd);
	return r == ADI_PARSE_FRAME ? r : ADI_PARSE_AGAIN;
}

static void my_lose(struct mysql_state *st, struct my_side *sd, bool cli);

/* parse(): packets are framed here for both directions: a packet's header
 * (and the first payload bytes a decision needs, at most MY_PEEK + 5
 * bytes) is held until whole, its payload is then consumed as it comes,
 * by the packet's handler (kept up to a cap, walked, or skipped), so no
 * packet is ever held whole. A message ends at the packet that completes
 * it (FRAME); the packets of the connection phase that make no message,
 * SEND_LONG_DATA and the client's data packets inside an exchange (auth
 * data, LOCAL INFILE contents) are SKIPped. */
static enum adi_parse mysql_parse(void *vst, const struct adi_proto_cfg *cfg,
				  enum adi_dir dir, const uint8_t *b, size_t n,
				  size_t *used, struct adi_msg *out)
{
	struct mysql_state *st = vst;
	bool cli = my_is_client(st, dir);
	struct my_side *sd = &st->side[cli ? 0 : 1];
	struct adi_cur in;
	enum adi_parse r;

	*used = 0;
	sd->resyncing = false;
	if (b)
		sd->held = false;
	if (!b)
		return my_cut_short(st, sd, cli, cfg, out);
	in = adi_cur_make(b, n);
	for (;;) {
		if (!sd->in_pkt) {
			enum my_ps ps;

			if (adi_cur_left(&in) < 4)
				break;
			ps = cli ? my_cli_start(st, sd, cfg, adi_cur_ptr(&in), adi_cur_left(&in)) :
				   my_srv_start(st, sd, cfg, adi_cur_ptr(&in), adi_cur_left(&in));
			if (ps == PS_PARTIAL)
				break;
			if (ps == PS_DONE || ps == PS_BAD) {
				if (in.pos)
					break;
				if (ps == PS_DONE)
					return ADI_PARSE_DONE;
				my_lose(st, sd, cli);
				return ADI_PARSE_BAD;
			}
			adi_cur_le24(&in, &sd->left);
			adi_cur_u8(&in, &sd->seq);
			sd->in_pkt = true;
			sd->more = sd->left == 0xffffff;
			sd->plen = 0;
			sd->damaged = false;
			sd->pk_len = 0;
			sd->pk_cut = false;
			sd->hdr_len = 0;
			sd->strict = false;
			sd->nomsg = sd->what == P_LOGIN || sd->what == P_CSKIP ||
				    sd->what == P_SSKIP ||
				    (sd->what == P_CMD && st->ccmd == COM_STMT_SEND_LONG_DATA);
			continue;
		}
		if (sd->left) {
			struct adi_cur chunk;
			size_t k = my_min(adi_cur_left(&in), sd->left);

			if (!k)
				break;
			adi_cur_sub(&in, k, &chunk);
			my_feed(st, sd, cfg, &chunk);
			sd->left -= (uint32_t)k;
			sd->plen += k;
			continue;
		}
		if (sd->more) {
			/* the header of the packet that continues the payload */
			while (sd->hdr_len < 4 && adi_cur_left(&in))
				adi_cur_u8(&in, &sd->hdr[sd->hdr_len++]);
			if (sd->hdr_len < 4)
				break;
			sd->hdr_len = 0;
			sd->left = adi_ld_le24(sd->hdr);
			sd->more = sd->left == 0xffffff;
			sd->seq = sd->hdr[3];
			continue;
		}
		sd->in_pkt = false;
		r = cli ? my_cli_end(st, sd, cfg, out) : my_srv_end(st, sd, cfg, out);
		if (r == ADI_PARSE_AGAIN || (r == ADI_PARSE_SKIP && !in.pos)) {
			/* a SKIP of nothing: the packet was completed by a gap */
			if (sd->damaged)
				sd->incomplete = true;
			continue;
		}
		*used = in.pos;
		return r;
	}
	*used = in.pos;
	sd->held = adi_cur_left(&in) > 0;
	/* the bytes of a packet that makes no message are not the start of
	 * the next message: SKIP them as they come */
	return in.pos && sd->in_pkt && sd->nomsg ? ADI_PARSE_SKIP : ADI_PARSE_AGAIN;
}

/* gap(): bytes lost inside a packet's payload of known length are
 * absorbed: the packet is consumed as it was (its length frames the next
 * one), what it kept stops at the hole (a value being walked, the rest of
 * a row or parameter block, is given up) and the message is marked
 * incomplete. A gap reaching past the packet, inside a header or between
 * packets: false (resync). After TLS / compression: nothing is parsed. */
static bool mysql_gap(void *vst, enum adi_dir dir, uint64_t n)
{
	struct mysql_state *st = vst;
	struct my_side *sd = &st->side[my_is_client(st, dir) ? 0 : 1];

	if (st->stop || st->tls || (st->compress && st->authed))
		return true;
	if (sd->in_pkt && sd->left && n <= sd->left) {
		sd->left -= (uint32_t)n;
		sd->plen += n;
		sd->damaged = true;
		if (sd->h == H_WALK && sd->w.step != WS_DONE)
			sd->w.step = WS_DEAD;
		sd->pk_cap = sd->pk_len;
		sd->pk_cut = true;
		return true;
	}
	my_lose(st, sd, my_is_client(st, dir));
	return false;
}

/* The bytes of a direction cannot be followed any more (BAD, a gap that
 * is not absorbed): the packet and message in progress are dropped at
 * once (not handed over at the end of the direction), and when a response
 * had started, the place of every command awaiting a reply (see resync). */
static void my_lose(struct mysql_state *st, struct my_side *sd, bool cli)
{
	bool started = sd->in_pkt || sd->f || st->rph != R_IDLE;

	sd->resyncing = true;
	my_side_reset(sd);
	if (cli || !started)
		return;
	if (st->next_key > st->lost_upto)
		st->lost_upto = st->next_key;
	while (st->fifo_len)
		my_fifo_pop(st);
	st->rph = R_IDLE;
	st->maybe_eof = false;
	adi_j_free(st->rsample);
	st->rsample = NULL;
}

/* resync(): client direction: the first offset where my_cmd_plausible()
 * holds (or may hold: cut short by the end of b). Server direction: when a
 * response had started, it is dropped, and so is the place of every
 * command still awaiting a reply (they become events without reply:
 * MySQL has no ids to pair by, so a reply is only believed for a command
 * sent after the loss); then the first offset where my_resp_plausible()
 * holds for the oldest command awaiting a reply, n while there is none.
 * Either way the direction is strict until a packet is accepted. */
static size_t mysql_resync(void *vst, enum adi_dir dir, const uint8_t *b, size_t n)
{
	struct mysql_state *st = vst;
	bool cli = my_is_client(st, dir);
	struct my_side *sd = &st->side[cli ? 0 : 1];

	if (st->stop || st->tls || (st->compress && st->authed))
		return 0; /* parse() says DONE */
	if (!sd->resyncing)
		my_lose(st, sd, cli);
	sd->strict = true;
	for (size_t i = 0; i < n; i++) {
		struct my_pend *pe = my_fifo_head(st);

		if (cli ? my_cmd_plausible(b + i, n - i) != PS_BAD :
		    pe && my_resp_plausible(pe->cmd, b + i, n - i) != PS_BAD)
			return i;
		if (!cli && !pe)
			return n;
	}
	return n;
}

/* sniff(): thresholds (claim at ADI_SNIFF_CLAIM, 60).
 *  - 95: bytes from the server that are a Handshake v10
 *    (my_greeting_plausible: 3-byte length 20..1024, sequence id 0,
 *    protocol 10, a printable version string starting with a digit and
 *    ending in NUL within 64 bytes).
 *  - a client command (my_cmd_plausible: sequence id 0, a known command
 *    byte, its length rules, text where text is expected) in bytes from
 *    the client: 75 COM_QUERY / COM_STMT_PREPARE (the first 16 bytes of
 *    text checked), 70 COM_STMT_EXECUTE (iteration count 1), 65 INIT_DB /
 *    FIELD_LIST, 40 any other (fixed-size commands such as COM_PING are 5
 *    bytes that other binary protocols could send).
 *  - +20 when either port is 3306 (capped at 95): a hint that lets a lone
 *    COM_PING claim (60), never decisive for bytes that fit nothing.
 *  - -1: fewer bytes than the check needs that may still become one.
 *  - 0 otherwise, and for bytes in the wrong direction (a greeting sent by
 *    the client, a command by the server).
 * Other protocols: HTTP ("GET " = length 0x544547, sequence id ' '),
 * Redis ("*2\r\n": sequence id '\n'), HTTP/2 ("PRI "), TLS (16 03 01 xx:
 * sequence id 01... or a length whose payload is not text), PostgreSQL's
 * StartupMessage / SSLRequest (int32 length < 2^24: first 3 bytes 00 00 00
 * = length 0) and its typed messages (a letter, then 00 00 00: a command
 * byte 00 or a length byte; NUL bytes fail the text check) all fail. */
static int mysql_sniff(const uint8_t *b, size_t n, const struct adi_sniff_ctx *c)
{
	bool from_server = (c->dir == ADI_DIR_IN) != (c->server_side != 0);
	int bonus = c->local_port == 3306 || c->remote_port == 3306 ? 20 : 0;
	int score;
	enum my_ps r;

	if (from_server) {
		r = my_greeting_plausible(b, n);
		return r == PS_OK ? 95 : r == PS_PARTIAL ? -1 : 0;
	}
	r = my_cmd_plausible(b, n);
	if (r != PS_OK)
		return r == PS_PARTIAL ? -1 : 0;
	switch (b[4]) {
	case COM_QUERY:
	case COM_STMT_PREPARE:
		score = 75;
		break;
	case COM_STMT_EXECUTE:
		score = 70;
		break;
	case COM_INIT_DB:
	case COM_FIELD_LIST:
		score = 65;
		break;
	default:
		score = 40;
		break;
	}
	score += bonus;
	return score > 95 ? 95 : score;
}

/* ---- events ---- */

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

static struct adi_msg *my_pop(struct adi_msgq *q)
{
	return adi_msgq_pop(q);
}

/* stitch(): MySQL answers commands in order, one reply each (several
 * results for multi-statements and CALL), so commands and replies pair by
 * order, through the command's ordinal that the response took from the
 * FIFO. The greeting and the OK/ERR ending the connection phase (or the
 * SSLRequest) make the CONNECT event. A command the server does not
 * answer (COM_QUIT, COM_STMT_CLOSE) is an event at once with no reply
 * (ts_end -1); a command whose reply was lost (resync) is emitted alone,
 * incomplete; an unanswered one waits until final. */
static void mysql_stitch(void *vst, struct adi_msgq *out_q, struct adi_msgq *in_q,
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
				x = my_pop(sq);
				y = my_pop(sq);
				my_connect_event(em, x, y, NULL);
			} else if (c && c->kind == MYSQL_SSL) {
				x = my_pop(sq);
				y = my_pop(cq);
				my_connect_event(em, x, NULL, y);
			} else if (nx || c || final) {
				x = my_pop(sq);
				my_connect_event(em, x, NULL, NULL);
			} else {
				return;
			}
		} else if (s && s->kind == MYSQL_AUTH) {
			x = my_pop(sq);
			my_connect_event(em, NULL, x, NULL);
		} else if (c && c->kind == MYSQL_SSL) {
			x = my_pop(cq);
			my_connect_event(em, NULL, NULL, x);
		} else if (c && c->kind == MYSQL_CMD_NOREPLY) {
			x = my_pop(cq);
			my_event(em, x->fields, NULL, x->ts_first, -1, false, 0);
		} else if (c && s && s->key == c->key) {
			bool later = st->res_key == c->key && st->res_n > 0;

			y = my_pop(sq);
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
				x = my_pop(cq);
		} else if (c && s && s->key < c->key) {
			y = my_pop(sq); /* a reply to a command not seen */
			my_event(em, NULL, y->fields, y->ts_first, (int64_t)y->ts_last, false, 0);
		} else if (c && (s || c->key <= st->lost_upto || final)) {
			/* its reply is lost (s answers a later command), or the
			 * connection ended: unless results of it were emitted */
			x = my_pop(cq);
			if (!(st->res_key == c->key && st->res_n > 0))
				my_event(em, x->fields, NULL, x->ts_first, -1,
					 s || x->key <= st->lost_upto, 0);
		} else if (!c && s) {
			y = my_pop(sq);
			my_event(em, NULL, y->fields, y->ts_first, (int64_t)y->ts_last, false, 0);
		} else {
			return;
		}
		adi_msg_free(x);
		adi_msg_free(y);
	}
}

static void mysql_start(void *vst, const struct adi_sniff_ctx *c)
{
	struct mysql_state *st = vst;

	st->server_side = c->server_side != 0;
	/* the server's first bytes are believed only as a greeting or the
	 * start of a reply to a command seen (a capture may begin inside a
	 * packet) */
	st->side[1].strict = true;
}

static void mysql_fini(void *vst)
{
	struct mysql_state *st = vst;

	for (int i = 0; i < 2; i++) {
		my_side_reset(&st->side[i]);
		w_fini(&st->side[i].w);
		free(st->side[i].pk);
	}
	while (st->fifo_len)
		my_fifo_pop(st);
	for (size_t i = 0; st->stmts && i < MY_MAX_STMTS; i++)
		if (st->stmts[i].used)
			my_stmt_clear(st, &st->stmts[i]);
	free(st->stmts);
	my_long_clear(st, 0, true);
	free(st->rtypes);
	adi_j_free(st->rsample);
	adi_j_free(st->attrs);
	free(st->server_version);
	free(st->auth_plugin);
	free(st->user);
	free(st->database);
	memset(st, 0, sizeof(*st));
}

const struct adi_proto adi_proto_mysql = {
	.name = "mysql",
	.state_size = sizeof(struct mysql_state),
	.start = mysql_start,
	.sniff = mysql_sniff,
	.parse = mysql_parse,
	.gap = mysql_gap,
	.resync = mysql_resync,
	.stitch = mysql_stitch,
	.fini = mysql_fini,
};
