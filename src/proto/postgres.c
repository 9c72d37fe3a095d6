/* postgres.c - the PostgreSQL frontend/backend protocol 3.0 decoder: each
 * direction is cut into messages by a streaming parser (bodies consumed as
 * they come, only what an event needs kept, big DataRow/CopyData/Bind
 * counted in pieces), and stitch() replays the conversation in order
 * (startup, simple query, extended query with its statement and portal
 * maps, COPY) to build one `sql_query` event per statement. Owns: struct
 * pg_state (both parsers, the connection's statements, portals, pending
 * requests and events held until ReadyForQuery). Does not own: the stream
 * bytes (borrowed per call) nor queued messages (the engine's).
 * Protocol: https://www.postgresql.org/docs/current/protocol-flow.html and
 * protocol-message-formats.html.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/util.h"
#include "postgres.h"

/* Limits. Every table has a cap; what goes beyond it is cut or counted. */
#define PG_MAX_SQL (64 * 1024)  /* statement text kept (then "truncated") */
#define PG_MAX_NAME 256         /* statement / portal name bytes kept */
#define PG_MAX_PARAMS 1024      /* bind values, param OIDs, formats kept */
#define PG_MAX_COLS 1664        /* MaxTupleAttributeNumber: columns kept */
#define PG_MIN_KEEP 1024        /* bytes kept of a value whatever
				 * --body-bytes says, so binary values decode */
#define PG_MSG_KEEP (64 * 1024) /* value bytes kept per Bind / sampled row */
#define PG_KEEP_SMALL 10004     /* small frontend messages (server limit) */
#define PG_KEEP_ERR (64 * 1024) /* ErrorResponse fields */
#define PG_KEEP_DESC (256 * 1024) /* RowDescription / ParameterDescription */
#define PG_KEEP_TAG 1024        /* CommandComplete tag */
#define PG_MAX_STMTS 256        /* prepared statements known per connection (LRU) */
#define PG_MAX_PORTALS 64       /* portals known per connection (LRU) */
#define PG_MAX_OPS 2048         /* requests awaiting their reply */
#define PG_MAX_HELD 1024        /* events awaiting their ReadyForQuery */
#define PG_MAX_SPLIT 1024       /* statements of one simple query split */

/* Length bounds of messages (the length field counts itself). Frontend:
 * the server's own (postgres.c SocketBackend: PQ_LARGE_MESSAGE_LIMIT, 1 GiB,
 * for B F P Q d; PQ_SMALL_MESSAGE_LIMIT, 10000, for the others;
 * PG_MAX_AUTH_TOKEN_LENGTH, 65535, for p; MAX_STARTUP_PACKET_LENGTH, 10000).
 * Backend: libpq's (fe-protocol3.c accepts more than 30000 bytes only for
 * T D d V E N A). */
#define PG_LARGE ((1u << 30) + 4)
#define PG_SMALL (10000 + 4)
#define PG_BE_SMALL 30000
#define PG_STARTUP_MAX 10000

/* Request codes of the untyped startup-phase messages. */
#define PG_CODE_CANCEL 80877102u
#define PG_CODE_SSL 80877103u
#define PG_CODE_GSSENC 80877104u
#define PG_CODE_V3 196608u      /* protocol 3.0 (3.1, 3.2 accepted too) */

struct pg_type {
	char type;
	uint32_t min, max;
};

static const struct pg_type pg_fe_types[] = {
	{ 'B', 12, PG_LARGE }, { 'C', 6, PG_SMALL }, { 'D', 6, PG_SMALL },
	{ 'E', 9, PG_SMALL },  { 'F', 14, PG_LARGE }, { 'H', 4, 4 },
	{ 'P', 8, PG_LARGE },  { 'Q', 5, PG_LARGE }, { 'S', 4, 4 },
	{ 'X', 4, 4 },         { 'c', 4, 4 },        { 'd', 4, PG_LARGE },
	{ 'f', 5, PG_SMALL },  { 'p', 4, 65535 + 4 },
};

static const struct pg_type pg_be_types[] = {
	{ '1', 4, 4 },  { '2', 4, 4 },  { '3', 4, 4 },
	{ 'A', 10, PG_LARGE }, { 'C', 5, PG_BE_SMALL }, { 'D', 6, PG_LARGE },
	{ 'E', 5, PG_LARGE }, { 'G', 7, PG_BE_SMALL }, { 'H', 7, PG_BE_SMALL },
	{ 'I', 4, 4 }, { 'K', 12, 264 }, { 'N', 5, PG_LARGE },
	{ 'R', 8, PG_BE_SMALL }, { 'S', 6, PG_BE_SMALL }, { 'T', 6, PG_LARGE },
	{ 'V', 8, PG_LARGE }, { 'W', 7, PG_BE_SMALL }, { 'Z', 5, 5 },
	{ 'c', 4, 4 }, { 'd', 4, PG_LARGE }, { 'n', 4, 4 }, { 's', 4, 4 },
	{ 't', 6, 4 + 2 + 4 * 65535 }, { 'v', 12, PG_BE_SMALL },
};

/* How a message body is consumed. */
enum pg_how {
	PGB_KEEP,   /* kept up to `cap` bytes, decoded at its end */
	PGB_COUNT,  /* counted, not kept */
	PGB_PROG,   /* read field by field (Parse, Bind, a sampled DataRow) */
};

/* Steps of the field-by-field readers. */
enum pg_step {
	PS_NAME, PS_QUERY, PS_NPAR, PS_OID,                 /* Parse */
	BS_PORTAL, BS_STMT, BS_NFMT, BS_FMT, BS_NPAR, BS_VLEN, BS_VDATA,
	BS_NRES, BS_RES,                                      /* Bind */
	DS_NCOL, DS_VLEN, DS_VDATA,                           /* DataRow */
	ST_END,
};

/* The parser of one direction. */
struct pg_side {
	bool typed;            /* frontend: past the untyped startup phase */
	bool in_body;          /* a header was taken; `left` body bytes to come */
	uint8_t type;          /* message type; 0 for a startup-phase message */
	uint32_t code;         /* startup phase: the request code */
	uint64_t left;
	uint8_t how;           /* enum pg_how */
	uint32_t cap;          /* PGB_KEEP: bytes kept at most */
	bool incomplete;       /* a gap fell inside the message */
	bool lost;             /* ... inside its structure: the rest is skipped */
	bool probe;            /* after resync: the next header must pass pg_probe */
	bool seen;             /* a message was read */
	bool after_loss;       /* bytes were lost since: the next FRAME says so */
	/* field reader (PGB_PROG) */
	uint8_t step;          /* enum pg_step */
	uint8_t tmp[4], tmp_have; /* an integer split across calls */
	uint32_t cnt, idx;     /* items of the current list */
	uint32_t vleft, vtotal;/* the value being read */
	bool vgap;             /* ... lost bytes to a gap */
	uint32_t vcap;         /* ... bytes of it to keep */
	size_t msg_keep;       /* value bytes kept in this message */
	struct adi_jval *fields, *arr;
	/* kept bytes of the current field or message */
	uint8_t *buf;
	size_t len, alloc;
	bool cut;
	/* a message a gap completed: FRAMEd by the next parse() call */
	struct adi_jval *ready;
	int ready_kind;
	/* counters: DataRows since the last result boundary (backend), CopyData
	 * since the last copy response (backend) or CopyDone (frontend) */
	uint64_t rows, copy_bytes, copy_msgs;
};

/* Shared, reference-counted pieces of the connection's state. */
struct pg_text {               /* a statement text */
	unsigned ref;
	size_t len;
	bool cut;              /* longer than PG_MAX_SQL */
	uint8_t s[];
};

struct pg_cols {               /* a RowDescription */
	unsigned ref;
	struct adi_jval *names, *oids, *fmts; /* arrays, same length */
};

/* What a prepared statement and a portal share, as their first member:
 * both live in a small table of named entries (pg_named_*), the least
 * recently used forgotten first, and are referenced by the requests that
 * await replies. */
struct pg_named {
	unsigned ref;
	char *name;            /* "" for the unnamed one */
	uint64_t lru;
};

struct pg_stmt {               /* a prepared statement */
	struct pg_named n;
	struct pg_text *sql;   /* NULL when its Parse was not seen */
	struct adi_jval *oids; /* parameter types (Parse, ParameterDescription) */
	struct pg_cols *cols;  /* Describe (statement): its result columns */
	uint64_t parse_ts;     /* first byte of the Parse */
	uint64_t batch;        /* the Sync batch the Parse came in */
	bool fresh;            /* no Bind has used the Parse's time yet */
	bool incomplete;
};

struct pg_portal {             /* a portal (Bind) */
	struct pg_named n;
	struct pg_stmt *stmt;
	struct adi_jval *vals, *fmts, *rfmts; /* raw values, formats (arrays) */
	struct pg_cols *cols;  /* Describe (portal) */
	bool described;
	bool executed;         /* an Execute took ts_start already */
	bool incomplete;
	uint64_t ts_start;     /* the Parse of this batch, else the Bind */
};

/* A request awaiting its reply. */
enum pg_opk {
	OP_STARTUP, OP_QUERY, OP_PARSE, OP_BIND, OP_DESC_S, OP_DESC_P,
	OP_EXEC, OP_CLOSE, OP_SYNC, OP_FUNC,
};

struct pg_op {
	uint8_t kind;          /* enum pg_opk */
	bool lost;             /* SYNC pushed after ops were dropped (FIFO full) */
	uint64_t ts;           /* first byte of the request */
	struct pg_stmt *stmt;
	struct pg_portal *portal;
	struct pg_text *q;     /* OP_QUERY */
	bool incomplete;
};

/* An event waiting for the ReadyForQuery that gives its `tx`. */
struct pg_held {
	struct adi_jval *ev;
	uint64_t ts_start;
	int64_t ts_end;
	struct pg_text *q;     /* simple query: its text, and the result index */
	unsigned qi;
};

/* The result being received for the request at the head. */
struct pg_res {
	struct pg_cols *cols;  /* simple query: its RowDescription */
	struct adi_jval *sample; /* raw rows */
	bool copy;
	char copy_dir;         /* 'i', 'o', 'b' */
	bool incomplete;
	uint64_t ts_first;     /* of its first message (for orphan results) */
	bool any;
};

struct pg_state {
	bool fe_in;            /* the frontend's direction is IN (server side) */
	bool done;             /* TLS / GSS encryption: nothing more to decode */
	uint8_t neg;           /* SSLRequest / GSSENCRequest awaiting its answer */
	struct pg_side side[2];/* [0] ADI_DIR_OUT, [1] ADI_DIR_IN */
	/* what stitch() knows of the connection */
	char *user, *database;
	struct pg_named *stmts[PG_MAX_STMTS];     /* struct pg_stmt */
	unsigned nstmts;
	struct pg_named *portals[PG_MAX_PORTALS]; /* struct pg_portal */
	unsigned nportals;
	uint64_t tick;         /* LRU clock */
	struct pg_op ops[PG_MAX_OPS];
	unsigned op_head, op_len;
	bool fe_skip;          /* an error: the server ignores requests until Sync */
	bool ops_full;         /* requests dropped until the next Sync */
	uint64_t batch;        /* Sync batches seen */
	struct pg_res res;
	struct pg_held *held;
	unsigned nheld, held_cap;
	unsigned q_nres;       /* results of the simple query at the head */
	int q_err;             /* ... index of its error, or -1 */
	bool q_syntax;         /* ... that error is a syntax error (42601) */
	uint64_t fe_copy_bytes, fe_copy_msgs;
	bool fe_copy_fail;
};

/* ---- small helpers ---- */

static uint32_t pg_be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static uint16_t pg_be16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static bool pg_is_fe(const struct pg_state *st, enum adi_dir dir)
{
	return (dir == ADI_DIR_IN) == st->fe_in;
}

static struct pg_side *pg_side_of(struct pg_state *st, enum adi_dir dir)
{
	return &st->side[dir == ADI_DIR_IN ? 1 : 0];
}

static const struct pg_type *pg_type_of(bool fe, uint8_t t)
{
	const struct pg_type *tab = fe ? pg_fe_types : pg_be_types;
	size_t n = fe ? sizeof(pg_fe_types) / sizeof(*pg_fe_types) :
			sizeof(pg_be_types) / sizeof(*pg_be_types);

	for (size_t i = 0; i < n; i++)
		if ((uint8_t)tab[i].type == t)
			return &tab[i];
	return NULL;
}

/* A typed header: a known type of the direction with a length in bounds. */
static bool pg_hdr_ok(bool fe, uint8_t t, uint32_t len)
{
	const struct pg_type *ty = pg_type_of(fe, t);

	return ty && len >= ty->min && len <= ty->max;
}

/* An untyped startup-phase header: length and request code agree. */
static bool pg_startup_ok(uint32_t len, uint32_t code)
{
	if (code == PG_CODE_SSL || code == PG_CODE_GSSENC)
		return len == 8;
	if (code == PG_CODE_CANCEL)
		return len == 16;
	return code >> 16 == 3 && (code & 0xffff) <= 2 && len > 8 &&
	       len <= PG_STARTUP_MAX;
}

static uint32_t pg_u32min(uint64_t a, uint64_t b)
{
	return (uint32_t)(a < b ? a : b);
}

/* ---- kept bytes ---- */

/* Append b[0..k) to the side's buffer, keeping at most cap bytes in all
 * (the rest is counted as cut). */
static void pg_keep(struct pg_side *sd, const uint8_t *b, size_t k, size_t cap)
{
	size_t room = cap > sd->len ? cap - sd->len : 0;
	size_t take = k < room ? k : room;

	if (take < k)
		sd->cut = true;
	if (!take)
		return;
	if (sd->len + take > sd->alloc) {
		size_t a = sd->alloc ? sd->alloc : 256;
		uint8_t *nb;

		while (a < sd->len + take)
			a *= 2;
		nb = realloc(sd->buf, a);
		if (!nb) {
			sd->cut = true;
			return;
		}
		sd->buf = nb;
		sd->alloc = a;
	}
	memcpy(sd->buf + sd->len, b, take);
	sd->len += take;
}

static void pg_keep_reset(struct pg_side *sd)
{
	sd->len = 0;
	sd->cut = false;
}

/* The kept bytes as a (raw, maybe not UTF-8) string; the buffer restarts. */
static struct adi_jval *pg_take_str(struct pg_side *sd)
{
	struct adi_jval *v = adi_j_strn((const char *)sd->buf, sd->len);

	pg_keep_reset(sd);
	return v;
}

/* ---- field-by-field readers (PGB_PROG) ----
 *
 * Each consumes from b[*i..k) and returns true once its field is whole; a
 * field split across calls resumes where it stopped. */

static bool pg_rd_int(struct pg_side *sd, const uint8_t *b, size_t k, size_t *i,
		      unsigned w, uint32_t *v)
{
	while (sd->tmp_have < w && *i < k)
		sd->tmp[sd->tmp_have++] = b[(*i)++];
	if (sd->tmp_have < w)
		return false;
	*v = w == 2 ? pg_be16(sd->tmp) : pg_be32(sd->tmp);
	sd->tmp_have = 0;
	return true;
}

/* A NUL-terminated string; its first cap bytes kept. */
static bool pg_rd_cstr(struct pg_side *sd, const uint8_t *b, size_t k, size_t *i,
		       size_t cap)
{
	const uint8_t *z;
	size_t end;

	if (*i >= k)
		return false;
	z = memchr(b + *i, 0, k - *i);
	end = z ? (size_t)(z - b) : k;

	pg_keep(sd, b + *i, end - *i, cap);
	*i = z ? end + 1 : k;
	return z != NULL;
}

/* Bytes kept of each value: --body-bytes, at least PG_MIN_KEEP, within
 * the message's PG_MSG_KEEP. */
static size_t pg_vcap(const struct pg_side *sd, const struct adi_proto_cfg *cfg)
{
	size_t cap = cfg->body_bytes > PG_MIN_KEEP ? cfg->body_bytes : PG_MIN_KEEP;
	size_t room = sd->msg_keep < PG_MSG_KEEP ? PG_MSG_KEEP - sd->msg_keep : 0;

	return cap < room ? cap : room;
}

/* The value in progress (vleft bytes to come). */
static bool pg_rd_value(struct pg_side *sd, const uint8_t *b, size_t k, size_t *i)
{
	uint32_t take = pg_u32min(k - *i, sd->vleft);

	if (!sd->vgap) {
		size_t before = sd->len;

		pg_keep(sd, b + *i, take, sd->vcap);
		sd->msg_keep += sd->len - before;
	}
	*i += take;
	sd->vleft -= take;
	return sd->vleft == 0;
}

/* The finished value: a string when whole, [prefix, true length] when cut
 * (by a cap or a gap). */
static struct adi_jval *pg_take_value(struct pg_side *sd)
{
	struct adi_jval *v;

	if (sd->len == sd->vtotal && !sd->vgap)
		return pg_take_str(sd);
	v = adi_j_arr();
	adi_j_push(v, pg_take_str(sd));
	adi_j_push(v, adi_j_int(sd->vtotal));
	return v;
}

/* A value's length word: NULL (-1) pushes null, else the value starts. */
static void pg_value_start(struct pg_side *sd, const struct adi_proto_cfg *cfg,
			   uint32_t v, unsigned maxv, enum pg_step data,
			   enum pg_step next)
{
	if (v == 0xffffffffu) {
		if (sd->idx++ < maxv)
			adi_j_push(sd->arr, adi_j_null());
		sd->step = next;
		return;
	}
	if (v > PG_LARGE) { /* no value is that long: the message lies */
		sd->lost = true;
		return;
	}
	sd->vtotal = sd->vleft = v;
	sd->vgap = false;
	sd->vcap = sd->idx < maxv ? pg_vcap(sd, cfg) : 0;
	pg_keep_reset(sd);
	sd->step = data;
}

/* Run the reader of a Parse, Bind or DataRow over b[0..k). */
static void pg_prog(struct pg_side *sd, const struct adi_proto_cfg *cfg,
		    const uint8_t *b, size_t k)
{
	size_t i = 0;
	uint32_t v;
	unsigned maxv = sd->type == 'D' ? PG_MAX_COLS : PG_MAX_PARAMS;

	while (sd->step != ST_END && !sd->lost) {
		switch (sd->step) {
		case PS_NAME:
		case BS_PORTAL:
		case BS_STMT:
			if (!pg_rd_cstr(sd, b, k, &i, PG_MAX_NAME))
				return;
			adi_j_set(sd->fields, sd->step == BS_STMT ? "stmt" :
				  sd->step == BS_PORTAL ? "portal" : "name",
				  pg_take_str(sd));
			sd->step = sd->step == PS_NAME ? PS_QUERY :
				   sd->step == BS_PORTAL ? BS_STMT : BS_NFMT;
			break;
		case PS_QUERY:
			if (!pg_rd_cstr(sd, b, k, &i, PG_MAX_SQL))
				return;
			if (sd->cut)
				adi_j_set_bool(sd->fields, "cut", true);
			adi_j_set(sd->fields, "sql", pg_take_str(sd));
			sd->step = PS_NPAR;
			break;
		case PS_NPAR:
		case BS_NFMT:
		case BS_NPAR:
		case BS_NRES:
		case DS_NCOL:
			if (!pg_rd_int(sd, b, k, &i, 2, &v))
				return;
			sd->cnt = v;
			sd->idx = 0;
			sd->arr = adi_j_arr();
			sd->step = sd->step == PS_NPAR ? PS_OID :
				   sd->step == BS_NFMT ? BS_FMT :
				   sd->step == BS_NPAR ? BS_VLEN :
				   sd->step == BS_NRES ? BS_RES : DS_VLEN;
			break;
		case PS_OID:
		case BS_FMT:
		case BS_RES:
			if (sd->idx == sd->cnt) {
				adi_j_set(sd->fields, sd->step == PS_OID ? "oids" :
					  sd->step == BS_FMT ? "f" : "r", sd->arr);
				sd->arr = NULL;
				sd->step = sd->step == PS_OID ? ST_END :
					   sd->step == BS_FMT ? BS_NPAR : ST_END;
				break;
			}
			if (!pg_rd_int(sd, b, k, &i, sd->step == PS_OID ? 4 : 2, &v))
				return;
			if (sd->idx++ < (sd->step == BS_RES ? PG_MAX_COLS : PG_MAX_PARAMS))
				adi_j_push(sd->arr, adi_j_int(sd->step == PS_OID ? (int64_t)v :
							       (int16_t)v));
			break;
		case BS_VLEN:
		case DS_VLEN:
			if (sd->idx == sd->cnt) {
				adi_j_set(sd->fields, "v", sd->arr);
				sd->arr = NULL;
				sd->step = sd->step == BS_VLEN ? BS_NRES : ST_END;
				break;
			}
			if (!pg_rd_int(sd, b, k, &i, 4, &v))
				return;
			if (sd->step == BS_VLEN)
				pg_value_start(sd, cfg, v, maxv, BS_VDATA, BS_VLEN);
			else
				pg_value_start(sd, cfg, v, maxv, DS_VDATA, DS_VLEN);
			break;
		case BS_VDATA:
		case DS_VDATA:
			if (!pg_rd_value(sd, b, k, &i))
				return;
			if (sd->idx++ < maxv)
				adi_j_push(sd->arr, pg_take_value(sd));
			else
				pg_keep_reset(sd);
			sd->step = sd->step == BS_VDATA ? BS_VLEN : DS_VLEN;
			break;
		default:
			sd->step = ST_END;
			break;
		}
	}
}

/* ---- messages ----
 *
 * Startup phase (frontend only, no type byte):
 *   +-----------+-----------+---------------------------------------+
 *   | Int32 len | Int32 code| StartupMessage: (key\0 value\0)* \0    |
 *   +-----------+-----------+ SSLRequest 80877103, GSSENCRequest     |
 *                             80877104: nothing; CancelRequest       |
 *                             80877102: Int32 pid, key (4 bytes 3.0)  |
 * then every message, both directions:
 *   +--------+-----------+--------------------------+
 *   | Byte1  | Int32 len | body: len - 4 bytes      |   len counts itself
 *   +--------+-----------+--------------------------+
 * SSLRequest / GSSENCRequest are answered by one untyped byte: 'S' / 'G'
 * (encryption follows: not decodable) or 'N' (go on in clear).
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 */

/* Set up the body of the message whose header was just taken. */
static void pg_setup(struct pg_side *sd, const struct adi_proto_cfg *cfg, bool fe)
{
	sd->how = PGB_KEEP;
	sd->cap = 0;
	sd->step = ST_END;
	sd->incomplete = sd->lost = false;
	sd->tmp_have = 0;
	sd->msg_keep = 0;
	pg_keep_reset(sd);
	if (!sd->type) {
		sd->cap = sd->code == PG_CODE_CANCEL ? 8 : PG_STARTUP_MAX;
		return;
	}
	if (fe) {
		switch (sd->type) {
		case 'Q':
			sd->cap = PG_MAX_SQL + 1; /* with its NUL */
			break;
		case 'P':
			sd->how = PGB_PROG;
			sd->step = PS_NAME;
			break;
		case 'B':
			sd->how = PGB_PROG;
			sd->step = BS_PORTAL;
			break;
		case 'C':
		case 'D':
		case 'E':
		case 'f':
			sd->cap = PG_KEEP_SMALL;
			break;
		case 'd':
			sd->copy_msgs++;
			sd->copy_bytes += sd->left;
			sd->how = PGB_COUNT;
			break;
		case 'p': /* passwords, SASL: never kept */
		case 'F':
			sd->how = PGB_COUNT;
			break;
		}
	} else {
		switch (sd->type) {
		case 'D':
			if (sd->rows++ < cfg->rows_sample) {
				sd->how = PGB_PROG;
				sd->step = DS_NCOL;
			} else {
				sd->how = PGB_COUNT;
			}
			break;
		case 'd':
			sd->copy_msgs++;
			sd->copy_bytes += sd->left;
			sd->how = PGB_COUNT;
			break;
		case 'G':
		case 'H':
		case 'W':
			sd->copy_msgs = sd->copy_bytes = 0;
			break;
		case 'C':
			sd->cap = PG_KEEP_TAG;
			break;
		case 'E':
			sd->cap = PG_KEEP_ERR;
			break;
		case 'T':
		case 't':
			sd->cap = PG_KEEP_DESC;
			break;
		case 'Z':
			sd->cap = 1;
			break;
		case '1': case '2': case '3': case 'n': case 'I': case 's':
			break;
		default: /* R S K N A v V c: async or not needed; R carries
			  * SASL data, never kept */
			sd->how = PGB_COUNT;
			break;
		}
	}
	if (sd->how == PGB_PROG)
		sd->fields = adi_j_obj();
}

/* Does a typed message become a FRAME (else SKIP)? sampled: a DataRow
 * that is kept. */
static bool pg_frames_type(bool fe, uint8_t t, bool sampled)
{
	if (fe)
		return t && strchr("QPBCDESFcf", t) != NULL;
	if (t == 'D')
		return sampled;
	return t && strchr("123CEGHITWZnst", t) != NULL;
}

static bool pg_frames(const struct pg_side *sd, bool fe)
{
	if (!sd->type)
		return sd->code == PG_CODE_CANCEL || sd->code >> 16 == 3;
	return pg_frames_type(fe, sd->type, sd->how == PGB_PROG);
}

/* A small message that makes no FRAME (ParameterStatus, a notice, an
 * authentication exchange...) is taken whole, in one call, once all its
 * bytes are there: only FRAMEd messages need to be consumed in pieces.
 * Unsampled DataRows and CopyData are the exception: they stream, so that
 * a gap inside them is absorbed (counted) instead of resynced. */
#define PG_SKIP_WHOLE (16 * 1024)

static bool pg_wait_whole(const struct pg_state *st, const struct pg_side *sd,
			  const struct adi_proto_cfg *cfg, bool fe,
			  const uint8_t *b, size_t n)
{
	uint32_t len;

	/* not for what pg_header() treats apart: startup-phase packets, the
	 * answer to SSLRequest / GSSENCRequest, a TLS ClientHello */
	if (n < 5 || (fe && !sd->typed && (!b[0] || (st->neg && b[0] == 0x16))) ||
	    (!fe && st->neg && (b[0] == 'S' || b[0] == 'G' || b[0] == 'N')) ||
	    b[0] == 'd' ||
	    (!fe && b[0] == 'D'))
		return false;
	len = pg_be32(b + 1);
	if (!pg_hdr_ok(fe, b[0], len) || len > PG_SKIP_WHOLE || n > len)
		return false;
	return !pg_frames_type(fe, b[0], sd->rows < cfg->rows_sample);
}

/* A NUL-terminated string at *i of b[0..n) (the terminator required). */
static bool pg_cstr_at(const uint8_t *b, size_t n, size_t *i, const uint8_t **s,
		       size_t *len)
{
	const uint8_t *z;

	if (*i >= n || !(z = memchr(b + *i, 0, n - *i)))
		return false;
	*s = b + *i;
	*len = (size_t)(z - *s);
	*i += *len + 1;
	return true;
}

/*   StartupMessage body after the code: ( key \0 value \0 )* \0
 * user, database (the server defaults it to the user) and
 * application_name; other parameters are not kept. */
static void pg_startup_fields(const uint8_t *b, size_t n, struct adi_jval *f)
{
	size_t i = 0, kl, vl;
	const uint8_t *k, *v;

	while (pg_cstr_at(b, n, &i, &k, &kl) && kl && pg_cstr_at(b, n, &i, &v, &vl)) {
		if (kl == 4 && !memcmp(k, "user", 4))
			adi_j_set(f, "user", adi_j_bytes(v, vl));
		else if (kl == 8 && !memcmp(k, "database", 8))
			adi_j_set(f, "database", adi_j_bytes(v, vl));
		else if (kl == 16 && !memcmp(k, "application_name", 16))
			adi_j_set(f, "application_name", adi_j_bytes(v, vl));
	}
	if (!adi_j_get(f, "database") && adi_j_get(f, "user"))
		adi_j_set_str(f, "database", adi_j_get_str(f, "user", ""));
}

/*   ErrorResponse / NoticeResponse: ( Byte1 code, String value )* \0
 * Kept: C (SQLSTATE), M (message), V (severity, not localised; S when
 * absent), D (detail), H (hint). */
static void pg_error_fields(const uint8_t *b, size_t n, struct adi_jval *f)
{
	size_t i = 0, vl;
	const uint8_t *v;
	const char *key;

	while (i < n && b[i]) {
		uint8_t code = b[i++];

		if (!pg_cstr_at(b, n, &i, &v, &vl))
			break;
		switch (code) {
		case 'C': key = "code"; break;
		case 'M': key = "message"; break;
		case 'V': key = "severity"; break;
		case 'S': key = adi_j_get(f, "severity") ? NULL : "severity"; break;
		case 'D': key = "detail"; break;
		case 'H': key = "hint"; break;
		default: key = NULL; break;
		}
		if (key)
			adi_j_set(f, key, adi_j_bytes(v, vl));
	}
}

/*   RowDescription: Int16 n, n x ( String name, Int32 table oid, Int16
 *   column, Int32 type oid, Int16 typlen, Int32 typmod, Int16 format ) */
static void pg_rowdesc_fields(const uint8_t *b, size_t n, struct adi_jval *f)
{
	struct adi_jval *names = adi_j_arr(), *oids = adi_j_arr(), *fmts = adi_j_arr();
	size_t i = 2, nl;
	const uint8_t *name;
	unsigned cnt = n >= 2 ? pg_be16(b) : 0;

	for (unsigned c = 0; c < cnt && c < PG_MAX_COLS; c++) {
		if (!pg_cstr_at(b, n, &i, &name, &nl) || n - i < 18)
			break;
		adi_j_push(names, adi_j_strn((const char *)name, nl));
		adi_j_push(oids, adi_j_int(pg_be32(b + i + 6)));
		adi_j_push(fmts, adi_j_int((int16_t)pg_be16(b + i + 16)));
		i += 18;
	}
	adi_j_set(f, "names", names);
	adi_j_set(f, "oids", oids);
	adi_j_set(f, "fmts", fmts);
}

/*   ParameterDescription: Int16 n, n x Int32 type oid */
static void pg_paramdesc_fields(const uint8_t *b, size_t n, struct adi_jval *f)
{
	struct adi_jval *oids = adi_j_arr();
	unsigned cnt = n >= 2 ? pg_be16(b) : 0;

	for (unsigned c = 0; c < cnt && c < PG_MAX_PARAMS && 2 + 4 * (size_t)c + 4 <= n; c++)
		adi_j_push(oids, adi_j_int(pg_be32(b + 2 + 4 * c)));
	adi_j_set(f, "oids", oids);
}

/*   Describe / Close: Byte1 'S' | 'P', String name
 *   Execute: String portal, Int32 max rows */
static void pg_named_fields(const uint8_t *b, size_t n, bool exec, struct adi_jval *f)
{
	size_t i = exec ? 0 : 1, nl;
	const uint8_t *name;

	if (!exec && n)
		adi_j_set(f, "what", adi_j_strn((const char *)b, 1));
	if (pg_cstr_at(b, n, &i, &name, &nl))
		adi_j_set(f, exec ? "portal" : "name",
			  adi_j_strn((const char *)name, nl < PG_MAX_NAME ? nl : PG_MAX_NAME));
	if (exec && n - i >= 4)
		adi_j_set_int(f, "max", pg_be32(b + i));
}

/* Copy counters into a message (when any), then reset them. */
static void pg_copy_fields(struct pg_side *sd, struct adi_jval *f)
{
	if (sd->copy_msgs || sd->copy_bytes) {
		adi_j_set_int(f, "cb", (int64_t)sd->copy_bytes);
		adi_j_set_int(f, "cm", (int64_t)sd->copy_msgs);
	}
	sd->copy_bytes = sd->copy_msgs = 0;
}

/* The message is whole (or ended by a gap / the end of the stream): its
 * fields for a FRAME, or NULL (SKIP). The side is ready for a header. */
static struct adi_jval *pg_finish(struct pg_state *st, struct pg_side *sd, bool fe,
				  int *kind)
{
	struct adi_jval *f = NULL;
	const uint8_t *b = sd->buf;
	size_t n = sd->len;

	sd->in_body = false;
	*kind = sd->type ? sd->type : sd->code == PG_CODE_CANCEL ? PG_K_CANCEL :
								   PG_K_STARTUP;
	if (sd->how == PGB_PROG) {
		/* a value cut by the end of the message or a gap */
		if ((sd->step == BS_VDATA || sd->step == DS_VDATA) && sd->arr) {
			sd->vgap = true;
			adi_j_push(sd->arr, pg_take_value(sd));
		}
		if (sd->arr)
			adi_j_set(sd->fields, sd->type == 'P' ? "oids" :
				  sd->step <= BS_FMT ? "f" : sd->step <= BS_VDATA ? "v" :
				  sd->step <= BS_RES ? "r" : "v", sd->arr);
		sd->arr = NULL;
		f = sd->fields;
		sd->fields = NULL;
	} else if (pg_frames(sd, fe)) {
		f = adi_j_obj();
	}
	if (!sd->type) {
		if (sd->code == PG_CODE_SSL || sd->code == PG_CODE_GSSENC)
			st->neg = (uint8_t)(sd->code == PG_CODE_SSL ? 'S' : 'G');
		else if (sd->code == PG_CODE_CANCEL && n >= 4)
			adi_j_set_int(f, "pid", pg_be32(b)); /* the key: never */
		else if (f)
			pg_startup_fields(b, n, f);
		if (sd->code >> 16 == 3)
			sd->typed = true;
	} else if (fe && f) {
		switch (sd->type) {
		case 'Q':
			if (sd->cut || !n || b[n - 1]) {
				/* cut at PG_MAX_SQL (or by a gap / a missing NUL) */
				if (n > PG_MAX_SQL)
					n = PG_MAX_SQL;
				adi_j_set_bool(f, "cut", true);
			} else {
				n--;
			}
			adi_j_set(f, "sql", adi_j_strn((const char *)b, n));
			break;
		case 'D':
		case 'C':
			pg_named_fields(b, n, false, f);
			break;
		case 'E':
			pg_named_fields(b, n, true, f);
			break;
		case 'c':
		case 'f':
			pg_copy_fields(sd, f);
			break;
		}
	} else if (f) {
		switch (sd->type) {
		case 'C':
			if (n && !b[n - 1])
				n--;
			adi_j_set(f, "tag", adi_j_strn((const char *)b, n));
			break;
		case 'E':
			pg_error_fields(b, n, f);
			break;
		case 'T':
			pg_rowdesc_fields(b, n, f);
			break;
		case 't':
			pg_paramdesc_fields(b, n, f);
			break;
		case 'Z':
			if (n)
				adi_j_set(f, "tx", adi_j_strn((const char *)b, 1));
			break;
		}
		if (sd->type == 'C' || sd->type == 'E' || sd->type == 'I' ||
		    sd->type == 's')
			adi_j_set_int(f, "rows", (int64_t)sd->rows);
		if (sd->type == 'C' || sd->type == 'E')
			pg_copy_fields(sd, f);
		if (sd->type != 'D')
			sd->rows = 0; /* a result boundary */
	}
	sd->seen = true;
	if (f && (sd->incomplete || sd->after_loss)) {
		adi_j_set_bool(f, "incomplete", true);
		sd->after_loss = false;
	}
	pg_keep_reset(sd);
	if (sd->alloc > 2 * PG_KEEP_DESC) { /* one huge message: give it back */
		free(sd->buf);
		sd->buf = NULL;
		sd->alloc = 0;
	}
	return f;
}

/* Feed b[0..k) (within the body) to the message being read. */
static void pg_body(struct pg_side *sd, const struct adi_proto_cfg *cfg,
		    const uint8_t *b, size_t k)
{
	if (sd->how == PGB_KEEP && !sd->lost)
		pg_keep(sd, b, k, sd->cap);
	else if (sd->how == PGB_PROG)
		pg_prog(sd, cfg, b, k);
}

enum pg_hr { PG_H_OK, PG_H_AGAIN, PG_H_BAD, PG_H_DONE, PG_H_SKIP };

/* Take the header at b[0..n): *pos gets its size. */
static enum pg_hr pg_header(struct pg_state *st, struct pg_side *sd,
			    const struct adi_proto_cfg *cfg, bool fe,
			    const uint8_t *b, size_t n, size_t *pos)
{
	uint32_t len;

	if (!fe && st->neg) {
		/* the one-byte answer to SSLRequest / GSSENCRequest */
		if (b[0] == 'S' || b[0] == 'G') {
			st->done = true;
			*pos = 1;
			return PG_H_DONE;
		}
		st->neg = 0;
		if (b[0] == 'N') {
			*pos = 1;
			return PG_H_SKIP;
		}
	}
	if (fe && !sd->typed) {
		if (st->neg && b[0] == 0x16) { /* a TLS ClientHello */
			st->done = true;
			return PG_H_DONE;
		}
		if (b[0]) {
			sd->typed = true; /* typed messages: met mid-session */
		} else {
			if (n < 8)
				return PG_H_AGAIN;
			len = pg_be32(b);
			if (!pg_startup_ok(len, pg_be32(b + 4)))
				return PG_H_BAD;
			sd->type = 0;
			sd->code = pg_be32(b + 4);
			sd->left = len - 8;
			*pos = 8;
			pg_setup(sd, cfg, fe);
			sd->in_body = true;
			return PG_H_OK;
		}
	}
	if (n < 5)
		return PG_H_AGAIN;
	len = pg_be32(b + 1);
	if (!pg_hdr_ok(fe, b[0], len))
		return PG_H_BAD;
	sd->type = b[0];
	sd->code = 0;
	sd->left = len - 4;
	*pos = 5;
	pg_setup(sd, cfg, fe);
	sd->in_body = true;
	return PG_H_OK;
}

/* Forget the message in progress. */
static void pg_side_reset(struct pg_side *sd)
{
	adi_j_free(sd->fields);
	adi_j_free(sd->arr);
	adi_j_free(sd->ready);
	sd->fields = sd->arr = sd->ready = NULL;
	sd->in_body = false;
	sd->tmp_have = 0;
	pg_keep_reset(sd);
}

static enum adi_parse pg_frame(struct adi_msg *out, struct adi_jval *f, int kind,
			       size_t pos, size_t *used)
{
	out->kind = kind;
	out->key = 0;
	out->fields = f;
	out->incomplete = adi_j_as_bool(adi_j_get(f, "incomplete"), false);
	*used = pos;
	return ADI_PARSE_FRAME;
}

static int pg_probe(bool fe, const uint8_t *b, size_t n);

/* parse(): see proto.h. One message per call: its header must be in b (5
 * bytes, 8 in the startup phase: AGAIN with *used 0 until then); its body
 * is consumed as it comes (AGAIN with *used > 0), so no message needs more
 * than 8 bytes of lookahead whatever its size. A message a gap completed is
 * FRAMEd with *used 0 on the next call. */
static enum adi_parse pg_parse(void *vst, const struct adi_proto_cfg *cfg,
			       enum adi_dir dir, const uint8_t *b, size_t n,
			       size_t *used, struct adi_msg *out)
{
	struct pg_state *st = vst;
	struct pg_side *sd = pg_side_of(st, dir);
	bool fe = pg_is_fe(st, dir);
	struct adi_jval *f;
	size_t pos = 0, k;
	int kind;

	*used = 0;
	if (sd->ready) {
		f = sd->ready;
		sd->ready = NULL;
		return pg_frame(out, f, sd->ready_kind, 0, used);
	}
	if (st->done)
		return ADI_PARSE_DONE;
	if (!b) {
		/* the direction ended inside a message: what was read goes out */
		if (!sd->in_body)
			return ADI_PARSE_AGAIN;
		sd->incomplete = true;
		f = pg_finish(st, sd, fe, &kind);
		if (!f)
			return ADI_PARSE_AGAIN;
		return pg_frame(out, f, kind, 0, used);
	}
	if (!sd->in_body) {
		if (sd->probe) { /* the first message after a resync */
			int r = pg_probe(fe, b, n);

			if (r < 0)
				return ADI_PARSE_AGAIN;
			if (!r)
				return ADI_PARSE_BAD;
			sd->probe = false;
		}
		if (pg_wait_whole(st, sd, cfg, fe, b, n))
			return ADI_PARSE_AGAIN;
		switch (pg_header(st, sd, cfg, fe, b, n, &pos)) {
		case PG_H_OK:
			break;
		case PG_H_AGAIN:
			return ADI_PARSE_AGAIN;
		case PG_H_BAD:
			return ADI_PARSE_BAD;
		case PG_H_DONE:
			*used = pos;
			return ADI_PARSE_DONE;
		case PG_H_SKIP:
			*used = pos;
			return ADI_PARSE_SKIP;
		}
	}
	k = n - pos < sd->left ? n - pos : (size_t)sd->left;
	pg_body(sd, cfg, b + pos, k);
	pos += k;
	sd->left -= k;
	*used = pos;
	if (sd->left)
		return ADI_PARSE_AGAIN;
	f = pg_finish(st, sd, fe, &kind);
	if (f)
		return pg_frame(out, f, kind, pos, used);
	if (pos)
		return ADI_PARSE_SKIP;
	return ADI_PARSE_AGAIN;
}

/* gap(): lost bytes inside a message body of known length are absorbed:
 * the message is marked incomplete; inside a value (Bind parameter,
 * DataRow column) the value is kept cut and the reading goes on, elsewhere
 * the rest of the body is skipped (CopyData and unsampled rows are only
 * counted anyway). A gap between messages, inside a header or past the end
 * of the body loses the framing: false (resync). */
static bool pg_gap(void *vst, enum adi_dir dir, uint64_t n)
{
	struct pg_state *st = vst;
	struct pg_side *sd = pg_side_of(st, dir);

	if (st->done)
		return true;
	if (!sd->in_body || n > sd->left || sd->ready)
		return false;
	sd->left -= n;
	sd->incomplete = true;
	if (sd->how == PGB_PROG && (sd->step == BS_VDATA || sd->step == DS_VDATA) &&
	    n <= sd->vleft) {
		sd->vleft -= (uint32_t)n;
		sd->vgap = true;
	} else if (sd->how != PGB_COUNT) {
		sd->lost = true;
	}
	if (!sd->left) {
		int kind;
		struct adi_jval *f;

		static const uint8_t none;

		if (sd->how == PGB_PROG && !sd->lost)
			pg_prog(sd, NULL, &none, 0); /* the value ended with the gap */
		f = pg_finish(st, sd, pg_is_fe(st, dir), &kind);
		if (f) {
			sd->ready = f;
			sd->ready_kind = kind;
		}
	}
	return true;
}

/* ---- recognising message starts (resync, sniff) ---- */

/* Text of a statement: printable, tabs and line ends, UTF-8 bytes. */
static bool pg_textc(uint8_t c)
{
	return c >= 0x20 ? c != 0x7f : c == '\t' || c == '\n' || c == '\r';
}

/* b[0..n) are text bytes up to a NUL (or to n): the length before it, or
 * -1 when a non-text byte comes first. */
static long pg_text_run(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!b[i])
			return (long)i;
		if (!pg_textc(b[i]))
			return -1;
	}
	return (long)n;
}

static bool pg_auth_ok(uint32_t code, uint32_t len)
{
	switch (code) {
	case 0: case 2: case 3: case 7: case 9:
		return len == 8;            /* Ok, Kerberos, cleartext, GSS, SSPI */
	case 5:
		return len == 12;           /* MD5 with its salt */
	case 8: case 10: case 11: case 12:
		return len > 8;             /* GSS/SASL data, mechanism list */
	}
	return false;
}

/* What the first bytes of a typed message (b[0..n), n >= 5) of direction
 * fe say: 0 = impossible, 1 = a plausible header (nothing of the body
 * contradicts it), 2 = its body checks out too (names, counts, text). */
static int pg_content(bool fe, const uint8_t *b, size_t n)
{
	uint32_t len = pg_be32(b + 1);
	size_t body = n - 5 < len - 4 ? n - 5 : len - 4; /* body bytes here */
	const uint8_t *p = b + 5;
	bool whole = n - 5 >= len - 4;
	long t;

	if (!pg_hdr_ok(fe, b[0], len))
		return 0;
	if (fe) {
		switch (b[0]) {
		case 'Q':
			t = pg_text_run(p, body);
			if (t < 0 || (whole && (size_t)t != body - 1) ||
			    (!whole && (size_t)t < body))
				return 0;
			return whole || t >= 8 ? 2 : 1;
		case 'P':
		case 'B':
		case 'E':
			t = pg_text_run(p, body);
			if (t < 0 || t > PG_MAX_NAME)
				return 0;
			if (b[0] == 'P' && (size_t)t < body) {
				long q = pg_text_run(p + t + 1, body - (size_t)t - 1);

				if (q < 0)
					return 0;
				return q >= 8 || whole ? 2 : 1;
			}
			return 1;
		case 'D':
		case 'C':
			return !body || p[0] == 'S' || p[0] == 'P' ? 1 : 0;
		}
		return 1;
	}
	switch (b[0]) {
	case 'Z':
		return !body || (p[0] == 'I' || p[0] == 'T' || p[0] == 'E') ? 2 : 0;
	case 'C':
		if (body && !(p[0] >= 'A' && p[0] <= 'Z'))
			return 0;
		t = pg_text_run(p, body);
		return t < 0 ? 0 : 2;
	case 'E':
	case 'N':
		if (body && !strchr("SVCMDHPpqWstcdnFLR", p[0]))
			return 0;
		return body && p[0] == 'S' ? 2 : 1;
	case 'T':
	case 'D':
	case 't':
		return body < 2 || pg_be16(p) <= (b[0] == 't' ? 65535 : PG_MAX_COLS) ? 1 : 0;
	case 'R':
		return body < 4 || pg_auth_ok(pg_be32(p), len) ? 2 : 0;
	case 'S':
		return !body || (p[0] >= 'a' && p[0] <= 'z') ? 2 : 0;
	}
	return 1;
}

/* Bytes of a message judged after a resync: the whole message when
 * shorter. The verdict depends on these bytes only, never on how many
 * happen to be buffered, so it is the same however the stream is cut. */
#define PG_PROBE 256

/* Is b[0..n) a plausible message start of direction fe? 1 yes, 0 no, -1
 * not known until min(message, PG_PROBE) bytes are there. */
static int pg_probe(bool fe, const uint8_t *b, size_t n)
{
	uint32_t len;
	size_t need;

	if (!pg_type_of(fe, b[0]))
		return 0;
	if (n < 5)
		return -1;
	len = pg_be32(b + 1);
	if (!pg_hdr_ok(fe, b[0], len))
		return 0;
	need = 1 + (size_t)len < PG_PROBE ? 1 + (size_t)len : PG_PROBE;
	if (n < need)
		return -1;
	return pg_content(fe, b, need) ? 1 : 0;
}

/* resync(): the first offset where a plausible message of the direction
 * starts: a known type byte, a length within the type's bounds (see
 * pg_fe_types / pg_be_types: exact for fixed-size messages, 10000 for
 * small frontend ones, 30000 for the backend's, 1 GiB for DataRow,
 * CopyData, Bind, Query...) and a body that fits (pg_content: text, names,
 * counts, codes) over its first PG_PROBE bytes; a start whose bytes are
 * not all there yet is returned too, and parse() judges it the same way
 * once they are (BAD if it fails: the search goes on after it). n when
 * there is none. Resets the direction: the message in progress is
 * dropped; a frontend is taken to be past its startup phase. */
static size_t pg_resync(void *vst, enum adi_dir dir, const uint8_t *b, size_t n)
{
	struct pg_state *st = vst;
	struct pg_side *sd = pg_side_of(st, dir);
	bool fe = pg_is_fe(st, dir);

	if (st->done)
		return 0;
	pg_side_reset(sd);
	if (sd->seen)
		sd->after_loss = true; /* what follows misses what came before */
	if (fe)
		sd->typed = true;
	else
		st->neg = 0;
	sd->probe = true;
	for (size_t i = 0; i < n; i++)
		if (pg_probe(fe, b + i, n - i))
			return i;
	return n;
}

/* The score of typed bytes read as direction fe (n >= 5). */
static int pg_sniff_typed(bool fe, const uint8_t *b, size_t n)
{
	int c = pg_content(fe, b, n);
	uint32_t len = pg_be32(b + 1);
	uint64_t end = 1 + (uint64_t)len;
	int s;

	if (!c)
		return 0;
	if (fe) {
		if (strchr("QPB", b[0]) && len > (1u << 20))
			return 0; /* a first message that big: not believed */
		switch (b[0]) {
		case 'Q': s = c == 2 ? (end <= n ? 75 : 65) : 30; break;
		case 'P': s = c == 2 ? (end <= n ? 70 : 62) : 30; break;
		case 'B': s = end <= n ? 50 : 30; break;
		default: s = 25; break;
		}
	} else {
		switch (b[0]) {
		case 'R': s = n >= 9 ? 85 : 40; break;
		case 'E': s = c == 2 && len <= PG_BE_SMALL ? 70 : 30; break;
		case 'N': s = c == 2 && len <= PG_BE_SMALL ? 62 : 30; break;
		case 'v': s = 60; break;
		case 'Z': case 'S': case 'K': s = 55; break;
		case 'T': case 'C': s = 50; break;
		default: s = 30; break;
		}
	}
	/* a second message right after the first, as plausible */
	if (end + 5 <= n && pg_content(fe, b + end, n - end))
		s += 10;
	return s;
}

/* sniff(): thresholds (ADI_SNIFF_CLAIM is 60).
 *  - frontend startup-phase packets (Int32 length, Int32 code: they start
 *    with a 0 byte, no typed message does): StartupMessage 3.x (length
 *    9..10000, keys and values text) 95, SSLRequest / GSSENCRequest
 *    (length 8) 95, CancelRequest (length 16) 90. -1 while fewer than 8
 *    bytes could still be one.
 *  - backend first words: Authentication 'R' with a known code whose
 *    length matches 85; ErrorResponse 'E' starting with its severity field
 *    70 (a refused startup); NoticeResponse 62; NegotiateProtocolVersion 60.
 *  - mid-session (typed) frontend: Query 'Q' + length (<= 1 MiB) + text
 *    ending in its NUL 75 (65 while cut short, after 8 bytes of text);
 *    Parse 'P' with a text name and >= 8 bytes of query text 70 / 62;
 *    Bind 50; others 25. Mid-session backend: Z/S/K 55, T/C 50, others 30.
 *    +10 when a second plausible message follows the first.
 *  - a single 'S' or 'N' byte (an answer to SSLRequest) 30: ambiguous.
 *  - -25 when the bytes read as the other direction than the traced task's
 *    role gives them; +5 for port 5432 on either end (a hint, never alone).
 * Other protocols' first bytes give 0: HTTP methods and "HTTP/1." read as
 * a type byte and a length far beyond the type's bound; the HTTP/2 preface
 * "PRI *" too; TLS (0x16 0x03) and Redis ('*', '+', '$') start with no type
 * byte; a MySQL greeting (3-byte length, sequence 0, protocol 10) reads as
 * a type byte with length 10, which no type whose letter its length can be
 * accepts (the version string fails the content checks). */
static int pg_sniff(const uint8_t *b, size_t n, const struct adi_sniff_ctx *c)
{
	bool fe_dir = (c->dir == ADI_DIR_IN) == (c->server_side != 0);
	int s;

	if (n == 0)
		return -1;
	if (b[0] == 0) {
		uint32_t len, code;

		if (n < 8)
			return n < 2 || b[1] == 0 ? -1 : 0; /* length < 65536 */
		len = pg_be32(b);
		code = pg_be32(b + 4);
		if (!pg_startup_ok(len, code))
			return 0;
		if (code == PG_CODE_CANCEL)
			s = 90;
		else if (code == PG_CODE_SSL || code == PG_CODE_GSSENC)
			s = 95;
		else {
			size_t m = n < len ? n : len;

			for (size_t i = 8; i < m; i++)
				if (b[i] && !pg_textc(b[i]))
					return 0;
			s = 95;
		}
		if (!fe_dir)
			s -= 25;
	} else if (n == 1 && (b[0] == 'S' || b[0] == 'N')) {
		s = 30;
	} else if (n < 5) {
		return pg_type_of(true, b[0]) || pg_type_of(false, b[0]) ? -1 : 0;
	} else {
		int mine = pg_sniff_typed(fe_dir, b, n);
		int other = pg_sniff_typed(!fe_dir, b, n) - 25;

		s = mine > other ? mine : other;
	}
	if (s > 0 && (c->local_port == 5432 || c->remote_port == 5432))
		s += 5;
	if (s < 0)
		s = 0;
	return s > 100 ? 100 : s;
}

/* ---- values: text, and binary by type OID ----
 *
 * Binary formats (the server's *_send functions), all big-endian:
 *   bool 16: 1 byte            int2 21 / int4 23 / int8 20, oid 26
 *   float4 700 / float8 701: IEEE 754
 *   numeric 1700: Int16 ndigits, Int16 weight, Int16 sign, Int16 dscale,
 *                 ndigits x Int16 base-10000 digits
 *   text 25, varchar 1043, bpchar 1042, name 19, unknown 705, char 18,
 *   json 114: the bytes; jsonb 3802: version byte 1, then the text
 *   bytea 17: the bytes (written "\x<hex>" as the server does)
 *   uuid 2950: 16 bytes      date 1082: Int32 days since 2000-01-01
 *   time 1083, timestamp 1114, timestamptz 1184: Int64 microseconds (since
 *   2000-01-01 00:00:00 UTC for the timestamps)
 */

/* The largest m <= max (and <= n) that does not cut a UTF-8 character. */
static size_t pg_utf8_cut(const uint8_t *b, size_t n, size_t max)
{
	size_t k;

	if (n <= max)
		return n;
	k = max;
	while (k > 0 && max - k < 3 && (b[k - 1] & 0xc0) == 0x80)
		k--;
	if (k > 0 && b[k - 1] >= 0xc0) {
		size_t seq = adi_utf8_seq(b + k - 1, n - (k - 1));

		if (seq && k - 1 + seq > max)
			return k - 1;
	}
	return max;
}

/* Text bytes, cut to max (then *trunc); not UTF-8: "base64:..." */
static struct adi_jval *pg_out_text(const uint8_t *b, size_t n, size_t max, bool *trunc)
{
	size_t m = pg_utf8_cut(b, n, max);

	if (m < n)
		*trunc = true;
	return adi_j_bytes(b, m);
}

/* "base64:<data>" of the first max bytes. */
static struct adi_jval *pg_out_base64(const uint8_t *b, size_t n, size_t max, bool *trunc)
{
	char *s;
	struct adi_jval *v;

	if (n > max) {
		n = max;
		*trunc = true;
	}
	s = malloc(7 + adi_base64_len(n) + 1);
	if (!s)
		return NULL;
	memcpy(s, "base64:", 7);
	adi_base64_encode(b, n, s + 7);
	v = adi_j_str(s);
	free(s);
	return v;
}

/* bytea as the server writes it: "\x" and two hex digits per byte. */
static struct adi_jval *pg_out_hex(const uint8_t *b, size_t n, size_t max, bool *trunc)
{
	static const char hx[] = "0123456789abcdef";
	size_t len = 2 + 2 * n;
	char *s = malloc(len + 1);
	struct adi_jval *v;

	if (!s)
		return NULL;
	s[0] = '\\';
	s[1] = 'x';
	for (size_t i = 0; i < n; i++) {
		s[2 + 2 * i] = hx[b[i] >> 4];
		s[3 + 2 * i] = hx[b[i] & 15];
	}
	if (len > max) {
		len = max;
		*trunc = true;
	}
	v = adi_j_strn(s, len);
	free(s);
	return v;
}

/* A float as the server writes it (extra_float_digits 1, the default since
 * PostgreSQL 12): the shortest text that reads back exactly, in fixed
 * notation when the decimal exponent is in [-4, 15) ([-4, 6) for float4),
 * else d.ddde+XX. */
static void pg_float(double v, bool f4, char *o, size_t sz)
{
	char buf[48], dg[24];
	int nd = 0, ex, p, w = 0;
	const char *q;

	if (isnan(v)) {
		snprintf(o, sz, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(o, sz, v > 0 ? "Infinity" : "-Infinity");
		return;
	}
	if (v == 0) {
		snprintf(o, sz, signbit(v) ? "-0" : "0");
		return;
	}
	for (p = 1; p < 17; p++) {
		snprintf(buf, sizeof(buf), "%.*e", p - 1, v);
		if (f4 ? strtof(buf, NULL) == (float)v : strtod(buf, NULL) == v)
			break;
	}
	snprintf(buf, sizeof(buf), "%.*e", p - 1, v);
	for (q = buf; *q && *q != 'e'; q++)
		if (*q >= '0' && *q <= '9' && nd < (int)sizeof(dg))
			dg[nd++] = *q;
	ex = *q ? atoi(q + 1) : 0;
	while (nd > 1 && dg[nd - 1] == '0')
		nd--;
	if (v < 0)
		w += snprintf(o + w, sz - (size_t)w, "-");
	if (ex < -4 || ex >= (f4 ? 6 : 15)) {
		w += snprintf(o + w, sz - (size_t)w, "%c", dg[0]);
		if (nd > 1)
			w += snprintf(o + w, sz - (size_t)w, ".%.*s", nd - 1, dg + 1);
		snprintf(o + w, sz - (size_t)w, "e%c%02d", ex < 0 ? '-' : '+', ex < 0 ? -ex : ex);
	} else if (ex >= 0) {
		for (int i = 0; i <= ex; i++)
			w += snprintf(o + w, sz - (size_t)w, "%c", i < nd ? dg[i] : '0');
		if (nd > ex + 1)
			snprintf(o + w, sz - (size_t)w, ".%.*s", nd - ex - 1, dg + ex + 1);
	} else {
		w += snprintf(o + w, sz - (size_t)w, "0.");
		for (int i = -1; i > ex; i--)
			w += snprintf(o + w, sz - (size_t)w, "0");
		snprintf(o + w, sz - (size_t)w, "%.*s", nd, dg);
	}
}

/* numeric as the server writes it (get_str_from_var); NULL if malformed. */
static char *pg_numeric(const uint8_t *b, size_t n)
{
	unsigned nd, sign, dscale;
	int weight;
	size_t cap, w = 0;
	char *o;

	if (n < 8)
		return NULL;
	nd = pg_be16(b);
	weight = (int16_t)pg_be16(b + 2);
	sign = pg_be16(b + 4);
	dscale = pg_be16(b + 6);
	if (n != 8 + 2 * (size_t)nd)
		return NULL;
	if (sign == 0xc000)
		return strdup("NaN");
	if (sign == 0xd000)
		return strdup("Infinity");
	if (sign == 0xf000)
		return strdup("-Infinity");
	if ((sign != 0 && sign != 0x4000) || dscale > 0x3fff)
		return NULL;
	for (unsigned i = 0; i < nd; i++)
		if (pg_be16(b + 8 + 2 * i) > 9999)
			return NULL;
	cap = (weight >= 0 ? 4 * ((size_t)weight + 1) : 1) + dscale + 8;
	if (!(o = malloc(cap)))
		return NULL;
	if (sign == 0x4000)
		o[w++] = '-';
	if (weight < 0) {
		o[w++] = '0';
	} else {
		for (int i = 0; i <= weight; i++) {
			unsigned d = i < (int)nd ? pg_be16(b + 8 + 2 * i) : 0;

			w += (size_t)snprintf(o + w, cap - w, i ? "%04u" : "%u", d);
		}
	}
	if (dscale) {
		unsigned done = 0;

		o[w++] = '.';
		for (int i = weight + 1; done < dscale; i++) {
			unsigned d = i >= 0 && i < (int)nd ? pg_be16(b + 8 + 2 * i) : 0;
			char four[8];

			snprintf(four, sizeof(four), "%04u", d);
			for (int j = 0; j < 4 && done < dscale; j++, done++)
				o[w++] = four[j];
		}
	}
	o[w] = '\0';
	return o;
}

/* Julian day to the Gregorian calendar (the server's j2date). */
static void pg_j2date(int64_t jd, int *year, int *month, int *day)
{
	uint64_t julian = (uint64_t)jd + 32044, quad, extra;
	int64_t y;

	quad = julian / 146097;
	extra = (julian - quad * 146097) * 4 + 3;
	julian += 60 + quad * 3 + extra / 146097;
	quad = julian / 1461;
	julian -= quad * 1461;
	y = (int64_t)(julian * 4 / 1461);
	julian = (y != 0 ? (julian + 305) % 365 : (julian + 306) % 366) + 123;
	y += (int64_t)quad * 4;
	*year = (int)(y - 4800);
	quad = julian * 2141 / 65536;
	*day = (int)(julian - 7834 * quad / 256);
	*month = (int)((quad + 10) % 12 + 1);
}

#define PG_EPOCH_JDATE 2451545 /* 2000-01-01 */
#define PG_USEC_DAY 86400000000LL

/* "YYYY-MM-DD" of days since 2000-01-01 into o; false out of range.
 * *bc: a year before 1 (written as the server does: year 1 - y, " BC"). */
static bool pg_ymd(int64_t days, char *o, size_t sz, bool *bc)
{
	int64_t jd = days + PG_EPOCH_JDATE;
	int y, m, d;

	if (jd < 0 || jd > 2147483647LL - 100000)
		return false;
	pg_j2date(jd, &y, &m, &d);
	*bc = y <= 0;
	snprintf(o, sz, "%04d-%02d-%02d", *bc ? 1 - y : y, m, d);
	return true;
}

/* "HH:MM:SS[.ffffff]" (trailing zeros of the fraction dropped). */
static void pg_hms(int64_t us, char *o, size_t sz)
{
	int64_t s = us / 1000000, f = us % 1000000;
	int w = snprintf(o, sz, "%02d:%02d:%02d", (int)(s / 3600), (int)(s / 60 % 60),
			 (int)(s % 60));

	if (f) {
		int digits = 6;

		while (f % 10 == 0) {
			f /= 10;
			digits--;
		}
		snprintf(o + w, sz - (size_t)w, ".%0*d", digits, (int)f);
	}
}

/* A binary value of type oid as text; NULL when the type is not decoded
 * or the bytes do not fit it. */
static struct adi_jval *pg_bin_value(uint32_t oid, const uint8_t *b, size_t n,
				     size_t max, bool *trunc)
{
	char t[128], hms[32];
	char *big;
	struct adi_jval *v;
	bool bc = false;
	int64_t x;

	t[0] = '\0';
	switch (oid) {
	case 16:
		if (n != 1)
			return NULL;
		snprintf(t, sizeof(t), "%s", b[0] ? "t" : "f");
		break;
	case 21:
		if (n != 2)
			return NULL;
		snprintf(t, sizeof(t), "%d", (int16_t)pg_be16(b));
		break;
	case 23:
		if (n != 4)
			return NULL;
		snprintf(t, sizeof(t), "%d", (int32_t)pg_be32(b));
		break;
	case 26:
		if (n != 4)
			return NULL;
		snprintf(t, sizeof(t), "%u", pg_be32(b));
		break;
	case 20:
		if (n != 8)
			return NULL;
		snprintf(t, sizeof(t), "%lld",
			 (long long)(int64_t)((uint64_t)pg_be32(b) << 32 | pg_be32(b + 4)));
		break;
	case 700: {
		uint32_t u;
		float f;

		if (n != 4)
			return NULL;
		u = pg_be32(b);
		memcpy(&f, &u, 4);
		pg_float(f, true, t, sizeof(t));
		break;
	}
	case 701: {
		uint64_t u;
		double d;

		if (n != 8)
			return NULL;
		u = (uint64_t)pg_be32(b) << 32 | pg_be32(b + 4);
		memcpy(&d, &u, 8);
		pg_float(d, false, t, sizeof(t));
		break;
	}
	case 1700:
		if (!(big = pg_numeric(b, n)))
			return NULL;
		v = pg_out_text((const uint8_t *)big, strlen(big), max, trunc);
		free(big);
		return v;
	case 25: case 1043: case 1042: case 19: case 705: case 18: case 114:
		return pg_out_text(b, n, max, trunc);
	case 3802:
		if (n < 1 || b[0] != 1)
			return NULL;
		return pg_out_text(b + 1, n - 1, max, trunc);
	case 17:
		return pg_out_hex(b, n, max, trunc);
	case 2950:
		if (n != 16)
			return NULL;
		for (int i = 0, w = 0; i < 16; i++)
			w += snprintf(t + w, sizeof(t) - (size_t)w, "%s%02x",
				      i == 4 || i == 6 || i == 8 || i == 10 ? "-" : "", b[i]);
		break;
	case 1082:
		if (n != 4)
			return NULL;
		x = (int32_t)pg_be32(b);
		if (x == INT32_MIN || x == INT32_MAX)
			snprintf(t, sizeof(t), "%s", x < 0 ? "-infinity" : "infinity");
		else if (!pg_ymd(x, t, sizeof(t), &bc))
			return NULL;
		if (bc)
			strcat(t, " BC");
		break;
	case 1083:
		if (n != 8)
			return NULL;
		x = (int64_t)((uint64_t)pg_be32(b) << 32 | pg_be32(b + 4));
		if (x < 0 || x > PG_USEC_DAY)
			return NULL;
		pg_hms(x, t, sizeof(t));
		break;
	case 1114:
	case 1184: {
		int64_t days, rem;

		if (n != 8)
			return NULL;
		x = (int64_t)((uint64_t)pg_be32(b) << 32 | pg_be32(b + 4));
		if (x == INT64_MIN || x == INT64_MAX) {
			snprintf(t, sizeof(t), "%s", x < 0 ? "-infinity" : "infinity");
			break;
		}
		days = x / PG_USEC_DAY;
		rem = x % PG_USEC_DAY;
		if (rem < 0) {
			rem += PG_USEC_DAY;
			days--;
		}
		if (!pg_ymd(days, t, sizeof(t), &bc))
			return NULL;
		pg_hms(rem, hms, sizeof(hms));
		snprintf(t + strlen(t), sizeof(t) - strlen(t), " %s%s%s", hms,
			 oid == 1184 ? "+00" : "", bc ? " BC" : "");
		break;
	}
	default:
		return NULL;
	}
	return pg_out_text((const uint8_t *)t, strlen(t), max, trunc);
}

/* A raw value (what the parser kept: null, a string, or [prefix, true
 * length] when cut) as event text. fmt: 0 text, 1 binary, -1 unknown (no
 * Bind seen: the bytes as text when UTF-8, else base64). */
static struct adi_jval *pg_value(const struct adi_jval *raw, uint32_t oid, int fmt,
				 size_t max, bool *trunc)
{
	const struct adi_jval *sv = raw;
	const uint8_t *b;
	size_t n;
	bool whole = true;
	struct adi_jval *v;

	if (adi_j_type(raw) == ADI_J_ARR) {
		sv = adi_j_at(raw, 0);
		whole = false;
		*trunc = true;
	}
	if (adi_j_type(sv) != ADI_J_STR)
		return adi_j_null();
	b = (const uint8_t *)adi_j_as_str(sv, "");
	n = adi_j_len(sv);
	if (fmt != 1)
		return pg_out_text(b, n, max, trunc);
	if (whole && (v = pg_bin_value(oid, b, n, max, trunc)))
		return v;
	if (!whole) { /* cut: text types show their start, bytea its hex */
		if (oid == 17)
			return pg_out_hex(b, n, max, trunc);
		if (oid == 3802 && n && b[0] == 1)
			return pg_out_text(b + 1, n - 1, max, trunc);
		if (oid == 25 || oid == 1043 || oid == 1042 || oid == 19 || oid == 705 ||
		    oid == 114)
			return pg_out_text(b, n, max, trunc);
	}
	return pg_out_base64(b, n, max, trunc);
}

/* Format code i of a list (none: text; one: for all; else each). */
static int pg_fmt_at(const struct adi_jval *fmts, size_t i)
{
	size_t n = adi_j_len(fmts);

	if (!n)
		return 0;
	return (int)adi_j_as_int(adi_j_at(fmts, n == 1 ? 0 : i), 0) == 1 ? 1 : 0;
}

/* ---- the connection's statements and portals ---- */

static struct pg_text *pg_text_new(const uint8_t *s, size_t n, bool cut)
{
	struct pg_text *t = malloc(sizeof(*t) + n + 1);

	if (!t)
		return NULL;
	t->ref = 1;
	t->len = n;
	t->cut = cut;
	if (n)
		memcpy(t->s, s, n);
	t->s[n] = '\0';
	return t;
}

static void pg_text_unref(struct pg_text *t)
{
	if (t && !--t->ref)
		free(t);
}

static void pg_cols_unref(struct pg_cols *c)
{
	if (!c || --c->ref)
		return;
	adi_j_free(c->names);
	adi_j_free(c->oids);
	adi_j_free(c->fmts);
	free(c);
}

static void pg_stmt_unref(struct pg_stmt *s)
{
	if (!s || --s->n.ref)
		return;
	free(s->n.name);
	pg_text_unref(s->sql);
	adi_j_free(s->oids);
	pg_cols_unref(s->cols);
	free(s);
}

static void pg_portal_unref(struct pg_portal *p)
{
	if (!p || --p->n.ref)
		return;
	free(p->n.name);
	pg_stmt_unref(p->stmt);
	adi_j_free(p->vals);
	adi_j_free(p->fmts);
	adi_j_free(p->rfmts);
	pg_cols_unref(p->cols);
	free(p);
}

/* A name from a message (NULL gives ""), as a C string. */
static char *pg_name(const struct adi_jval *f, const char *key)
{
	const struct adi_jval *v = adi_j_get(f, key);

	return strndup(adi_j_as_str(v, ""), adi_j_len(v));
}

static void pg_stmt_unref_named(struct pg_named *e)
{
	pg_stmt_unref((struct pg_stmt *)e);
}

static void pg_portal_unref_named(struct pg_named *e)
{
	pg_portal_unref((struct pg_portal *)e);
}

/* The entry of v[0..n) called name, or NULL (a hit counts as a use). */
static struct pg_named *pg_named_find(struct pg_state *st, struct pg_named **v, unsigned n,
				      const char *name)
{
	for (unsigned i = 0; i < n; i++)
		if (!strcmp(v[i]->name, name)) {
			v[i]->lru = ++st->tick;
			return v[i];
		}
	return NULL;
}

/* Forget the entry called name (only if it is `only`, when given). */
static void pg_named_drop(struct pg_named **v, unsigned *n, const char *name,
			  const struct pg_named *only, void (*unref)(struct pg_named *))
{
	for (unsigned i = 0; i < *n; i++)
		if (!strcmp(v[i]->name, name) && (!only || v[i] == only)) {
			unref(v[i]);
			v[i] = v[--*n];
			return;
		}
}

/* Remember e under its name (a reference is taken); when the table is full
 * the least recently used entry is forgotten: a later Bind to a forgotten
 * statement gets sql null, never another text. */
static void pg_named_put(struct pg_state *st, struct pg_named **v, unsigned *n, unsigned max,
			 struct pg_named *e, void (*unref)(struct pg_named *))
{
	unsigned old = 0;

	pg_named_drop(v, n, e->name, NULL, unref);
	if (*n == max) {
		for (unsigned i = 1; i < *n; i++)
			if (v[i]->lru < v[old]->lru)
				old = i;
		unref(v[old]);
		v[old] = v[--*n];
	}
	e->ref++;
	e->lru = ++st->tick;
	v[(*n)++] = e;
}

static struct pg_stmt *pg_stmt_find(struct pg_state *st, const char *name)
{
	return (struct pg_stmt *)pg_named_find(st, st->stmts, st->nstmts, name);
}

static void pg_stmt_drop(struct pg_state *st, const char *name, const struct pg_stmt *only)
{
	pg_named_drop(st->stmts, &st->nstmts, name, only ? &only->n : NULL,
		      pg_stmt_unref_named);
}

static void pg_stmt_put(struct pg_state *st, struct pg_stmt *s)
{
	pg_named_put(st, st->stmts, &st->nstmts, PG_MAX_STMTS, &s->n, pg_stmt_unref_named);
}

static struct pg_portal *pg_portal_find(struct pg_state *st, const char *name)
{
	return (struct pg_portal *)pg_named_find(st, st->portals, st->nportals, name);
}

static void pg_portal_drop(struct pg_state *st, const char *name, const struct pg_portal *only)
{
	pg_named_drop(st->portals, &st->nportals, name, only ? &only->n : NULL,
		      pg_portal_unref_named);
}

static void pg_portal_put(struct pg_state *st, struct pg_portal *p)
{
	pg_named_put(st, st->portals, &st->nportals, PG_MAX_PORTALS, &p->n,
		     pg_portal_unref_named);
}

/* A statement known by name only (its Parse was not seen). */
static struct pg_stmt *pg_stmt_ghost(const char *name)
{
	struct pg_stmt *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->n.ref = 1;
	s->n.name = strdup(name);
	if (!s->n.name) {
		free(s);
		return NULL;
	}
	return s;
}

/* The statement called name, or a ghost of it (a new reference). */
static struct pg_stmt *pg_stmt_get(struct pg_state *st, const char *name)
{
	struct pg_stmt *s = pg_stmt_find(st, name);

	if (s) {
		s->n.ref++;
		return s;
	}
	return pg_stmt_ghost(name);
}

/* The portal called name, or one known by name only (a new reference). */
static struct pg_portal *pg_portal_get(struct pg_state *st, const char *name, uint64_t ts)
{
	struct pg_portal *p = pg_portal_find(st, name);

	if (p) {
		p->n.ref++;
		return p;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->n.ref = 1;
	p->ts_start = ts;
	p->n.name = strdup(name);
	if (!p->n.name) {
		free(p);
		return NULL;
	}
	return p;
}

/* A RowDescription message's columns (moved out of its fields). */
static struct pg_cols *pg_cols_from(struct adi_jval *f)
{
	struct pg_cols *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->ref = 1;
	c->names = adi_j_take(f, "names");
	c->oids = adi_j_take(f, "oids");
	c->fmts = adi_j_take(f, "fmts");
	return c;
}

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

static void pg_op_pop(struct pg_state *st)
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

/* The result in progress is done with. */
static void pg_res_reset(struct pg_res *r)
{
	pg_cols_unref(r->cols);
	adi_j_free(r->sample);
	memset(r, 0, sizeof(*r));
}

/* ---- events ---- */

static void pg_emit(struct adi_emit *em, struct adi_jval *ev, uint64_t ts_start,
		    int64_t ts_end)
{
	if (ts_end >= 0 && (uint64_t)ts_end < ts_start)
		ts_end = (int64_t)ts_start; /* replies matched across a loss */
	em->event(em, "sql_query", ts_start, ts_end, ev);
}

/* A new event with the fields of docs/events.md in their order. */
static struct adi_jval *pg_ev_new(const struct pg_state *st)
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
static void pg_set_sql(struct adi_jval *ev, const uint8_t *s, size_t n, bool cut)
{
	bool trunc = cut;

	adi_j_set(ev, "sql", pg_out_text(s, n, PG_MAX_SQL, &trunc));
	if (trunc)
		adi_j_set_bool(ev, "truncated", true);
}

static void pg_set_trunc(struct adi_jval *ev, bool trunc, bool incomplete)
{
	if (trunc)
		adi_j_set_bool(ev, "truncated", true);
	if (incomplete)
		adi_j_set_bool(ev, "incomplete", true);
}

/* Keep an event until the ReadyForQuery that closes its batch gives its
 * tx (too many waiting: the oldest goes out now, with tx null). */
static void pg_hold(struct pg_state *st, struct adi_emit *em, struct adi_jval *ev,
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

/* Emit every held event; tx: the ReadyForQuery's status (NULL: unknown),
 * ts_end >= 0: the ReadyForQuery's last byte, which ends the last one. */
static void pg_release(struct pg_state *st, struct adi_emit *em, const char *tx,
		       int64_t ts_end)
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

/* The error object: code and message, then severity, detail, hint. */
static struct adi_jval *pg_error_obj(const struct adi_jval *f)
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

/* One event for the op at the head (NULL: a reply whose request was not
 * seen) from its ending message m (CommandComplete, EmptyQueryResponse,
 * PortalSuspended, ErrorResponse; NULL: none came). */
static struct adi_jval *pg_op_event(struct pg_state *st, const struct adi_proto_cfg *cfg,
				    const struct pg_op *op, const struct adi_msg *m)
{
	struct adi_jval *ev = pg_ev_new(st), *f = m ? m->fields : NULL, *arr;
	struct pg_ctx c = pg_ctx_of(st, op);
	size_t max = cfg->body_bytes;
	bool trunc = false, incomplete = !m || m->incomplete || st->res.incomplete ||
					 (op && op->incomplete);
	const char *tag = NULL;
	int64_t rows = adi_j_get_int(f, "rows", 0);

	if (!ev)
		return NULL;
	if (op && op->q)
		pg_set_sql(ev, op->q->s, op->q->len, op->q->cut);
	else if (c.stmt && c.stmt->sql)
		pg_set_sql(ev, c.stmt->sql->s, c.stmt->sql->len, c.stmt->sql->cut);
	if (c.portal && c.portal->vals)
		adi_j_set(ev, "params", pg_params(c.portal, c.stmt, max, &trunc));
	if (c.stmt && c.stmt->n.name[0])
		adi_j_set(ev, "statement", adi_j_bytes((const uint8_t *)c.stmt->n.name,
						       strlen(c.stmt->n.name)));
	if (c.cols) {
		arr = adi_j_arr();
		for (size_t i = 0; i < adi_j_len(c.cols->names); i++) {
			const struct adi_jval *nv = adi_j_at(c.cols->names, i);

			adi_j_push(arr, adi_j_bytes((const uint8_t *)adi_j_as_str(nv, ""),
						    adi_j_len(nv)));
		}
		adi_j_set(ev, "columns", arr);
	}
	if (m && m->kind == 'C') {
		tag = adi_j_get_str(f, "tag", "");
		pg_tag_rows(tag, &rows);
	}
	adi_j_set_int(ev, "rows", rows);
	arr = adi_j_arr();
	for (size_t r = 0; r < adi_j_len(st->res.sample); r++) {
		const struct adi_jval *row = adi_j_at(st->res.sample, r);
		struct adi_jval *out = adi_j_arr();

		for (size_t i = 0; i < adi_j_len(row); i++) {
			uint32_t oid = (uint32_t)adi_j_as_int(adi_j_at(c.cols ? c.cols->oids : NULL, i), 0);
			int fmt = !c.fmt_known ? -1 :
				  c.rfmts ? pg_fmt_at(c.rfmts, i) :
				  c.cols ? (int)adi_j_as_int(adi_j_at(c.cols->fmts, i), 0) : 0;

			adi_j_push(out, pg_value(adi_j_at(row, i), oid, fmt, max, &trunc));
		}
		adi_j_push(arr, out);
	}
	adi_j_set(ev, "rows_sample", arr);
	if (tag)
		adi_j_set(ev, "command_tag", pg_out_text((const uint8_t *)tag,
							 adi_j_len(adi_j_get(f, "tag")),
							 PG_KEEP_TAG, &trunc));
	if (m && m->kind == 'E')
		adi_j_set(ev, "error", pg_error_obj(f));
	if (m && m->kind == 's')
		adi_j_set_bool(ev, "suspended", true);
	if (st->res.copy) {
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
		adi_j_set(ev, "copy", cp);
	}
	if (c.portal && c.portal->incomplete)
		incomplete = true;
	pg_set_trunc(ev, trunc, incomplete);
	return ev;
}

/* The start of an op's statement (see pg_fe_msg), or the reply's. */
static uint64_t pg_op_ts(const struct pg_state *st, const struct pg_op *op,
			 const struct adi_msg *m)
{
	if (op)
		return op->ts;
	return st->res.any && st->res.ts_first ? st->res.ts_first : m->ts_first;
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

/* ---- splitting a simple query into its statements ---- */

struct pg_span {
	size_t off, len;
};

static bool pg_identc(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c >= 0x80;
}

static bool pg_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Add s[a..b) trimmed of white space. */
static size_t pg_span_add(const uint8_t *s, size_t a, size_t b, struct pg_span *sp,
			  size_t n, size_t max)
{
	while (a < b && pg_space(s[a]))
		a++;
	while (b > a && pg_space(s[b - 1]))
		b--;
	if (n < max) {
		sp[n].off = a;
		sp[n].len = b - a;
	}
	return n + 1;
}

/* Split s[0..n) at the semicolons that end statements: not inside
 * '...' (E'...' with backslash escapes), "...", $tag$...$tag$, -- line or
 * nested block comments. Empty statements (white space and comments only)
 * are dropped, as the server does. Returns the statement count (spans
 * beyond max are counted, not stored). A body the server parses as one
 * statement but that holds top-level semicolons (BEGIN ATOMIC ... END)
 * splits wrongly: the count then differs from the results, and the caller
 * falls back to the whole text. */
static size_t pg_split(const uint8_t *s, size_t n, struct pg_span *sp, size_t max)
{
	size_t i = 0, start = 0, cnt = 0;
	bool content = false;

	while (i < n) {
		uint8_t c = s[i];

		if (c == '-' && i + 1 < n && s[i + 1] == '-') {
			while (i < n && s[i] != '\n')
				i++;
			continue;
		}
		if (c == '/' && i + 1 < n && s[i + 1] == '*') {
			unsigned depth = 1;

			for (i += 2; i < n && depth;) {
				if (s[i] == '/' && i + 1 < n && s[i + 1] == '*') {
					depth++;
					i += 2;
				} else if (s[i] == '*' && i + 1 < n && s[i + 1] == '/') {
					depth--;
					i += 2;
				} else {
					i++;
				}
			}
			continue;
		}
		if (c == ';') {
			if (content)
				cnt = pg_span_add(s, start, i, sp, cnt, max);
			start = ++i;
			content = false;
			continue;
		}
		if (pg_space(c)) {
			i++;
			continue;
		}
		content = true;
		if (c == '\'') {
			bool esc = i > 0 && (s[i - 1] == 'E' || s[i - 1] == 'e') &&
				   (i < 2 || !pg_identc(s[i - 2]));

			for (i++; i < n; i++) {
				if (esc && s[i] == '\\') {
					i++;
				} else if (s[i] == '\'') {
					if (i + 1 < n && s[i + 1] == '\'')
						i++;
					else
						break;
				}
			}
			i++;
			continue;
		}
		if (c == '"') {
			for (i++; i < n; i++) {
				if (s[i] == '"') {
					if (i + 1 < n && s[i + 1] == '"')
						i++;
					else
						break;
				}
			}
			i++;
			continue;
		}
		if (c == '$' && (i == 0 || !(pg_identc(s[i - 1]) || s[i - 1] == '$'))) {
			size_t j = i + 1;

			while (j < n && pg_identc(s[j]) && !(j == i + 1 && s[j] >= '0' && s[j] <= '9'))
				j++;
			if (j < n && s[j] == '$') {
				size_t tl = j - i + 1;
				const uint8_t *e = j + 1 < n ? memmem(s + j + 1, n - j - 1, s + i, tl) : NULL;

				i = e ? (size_t)(e - s) + tl : n;
				continue;
			}
		}
		i++;
	}
	if (content)
		cnt = pg_span_add(s, start, n, sp, cnt, max);
	return cnt;
}

/* The simple query at the head is answered: its events get their own
 * statement's text when the split matches the results (as many statements
 * as results; after an error, at least as many, since later statements do
 * not run; an error first with several statements only when it is not a
 * syntax error, which rejects the whole string before anything runs),
 * else they keep the whole text. */
static void pg_query_done(struct pg_state *st, const struct pg_op *op)
{
	struct pg_span *sp;
	size_t cnt;
	bool match;

	if (!op->q || !st->q_nres)
		return;
	sp = malloc(PG_MAX_SPLIT * sizeof(*sp));
	if (!sp)
		return;
	cnt = pg_split(op->q->s, op->q->len, sp, PG_MAX_SPLIT);
	if (st->q_err < 0)
		match = cnt == st->q_nres;
	else
		match = (size_t)st->q_err < cnt && (st->q_err > 0 || cnt == 1 || !st->q_syntax);
	match = match && cnt <= PG_MAX_SPLIT && !op->q->cut;
	for (unsigned i = 0; match && i < st->nheld; i++) {
		struct pg_held *h = &st->held[i];

		if (h->q == op->q && h->qi < cnt) {
			bool trunc = false;

			adi_j_set(h->ev, "sql", pg_out_text(op->q->s + sp[h->qi].off,
							    sp[h->qi].len, PG_MAX_SQL, &trunc));
		}
	}
	free(sp);
}

/* ---- replaying the conversation ---- */

/* A request of the frontend: the statement and portal maps change as the
 * server changes them (in order), and what awaits a reply is queued. */
static void pg_fe_msg(struct pg_state *st, struct adi_emit *em, struct adi_msg *m)
{
	struct adi_jval *f = m->fields;
	struct pg_op op = { .ts = m->ts_first, .incomplete = m->incomplete };
	const char *what;
	char *name;

	if (st->fe_skip && strchr("QPBDECF", m->kind))
		return; /* the server ignores these until Sync after an error */
	switch (m->kind) {
	case PG_K_STARTUP:
		free(st->user);
		free(st->database);
		st->user = adi_j_get(f, "user") ? strdup(adi_j_get_str(f, "user", "")) : NULL;
		st->database = adi_j_get(f, "database") ?
			       strdup(adi_j_get_str(f, "database", "")) : NULL;
		op.kind = OP_STARTUP;
		pg_op_push(st, &op);
		break;
	case PG_K_CANCEL: {
		/* sent on a connection of its own, never answered */
		struct adi_jval *ev = pg_ev_new(st);

		adi_j_set_str(ev, "op", "cancel");
		adi_j_set_int(ev, "backend_pid", adi_j_get_int(f, "pid", 0));
		pg_emit(em, ev, m->ts_first, -1);
		break;
	}
	case 'Q':
		pg_stmt_drop(st, "", NULL); /* a simple query drops the unnamed one */
		pg_portal_drop(st, "", NULL);
		op.kind = OP_QUERY;
		op.q = pg_text_new((const uint8_t *)adi_j_get_str(f, "sql", ""),
				   adi_j_len(adi_j_get(f, "sql")),
				   adi_j_as_bool(adi_j_get(f, "cut"), false));
		pg_op_push(st, &op);
		st->batch++;
		break;
	case 'P': {
		struct pg_stmt *s = calloc(1, sizeof(*s));

		if (!s || !(s->n.name = pg_name(f, "name"))) {
			free(s);
			break;
		}
		s->n.ref = 1;
		s->sql = pg_text_new((const uint8_t *)adi_j_get_str(f, "sql", ""),
				     adi_j_len(adi_j_get(f, "sql")),
				     adi_j_as_bool(adi_j_get(f, "cut"), false));
		s->oids = adi_j_take(f, "oids");
		s->parse_ts = m->ts_first;
		s->batch = st->batch;
		s->fresh = true;
		s->incomplete = m->incomplete;
		pg_stmt_put(st, s);
		op.kind = OP_PARSE;
		op.stmt = s;
		pg_op_push(st, &op);
		break;
	}
	case 'B': {
		struct pg_portal *p = calloc(1, sizeof(*p));

		if (!p || !(p->n.name = pg_name(f, "portal"))) {
			free(p);
			break;
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
		op.kind = OP_BIND;
		op.ts = p->ts_start;
		op.portal = p;
		pg_op_push(st, &op);
		break;
	}
	case 'D':
	case 'C':
		what = adi_j_get_str(f, "what", "");
		name = pg_name(f, "name");
		if (!name)
			break;
		if (m->kind == 'C') {
			if (*what == 'S')
				pg_stmt_drop(st, name, NULL);
			else
				pg_portal_drop(st, name, NULL);
			op.kind = OP_CLOSE;
		} else if (*what == 'S') {
			op.kind = OP_DESC_S;
			op.stmt = pg_stmt_get(st, name);
		} else {
			op.kind = OP_DESC_P;
			op.portal = pg_portal_get(st, name, m->ts_first);
		}
		free(name);
		pg_op_push(st, &op);
		break;
	case 'E':
		name = pg_name(f, "portal");
		op.portal = name ? pg_portal_get(st, name, m->ts_first) : NULL;
		free(name);
		if (op.portal) {
			/* a later Execute of the same portal starts here */
			op.ts = op.portal->executed ? m->ts_first : op.portal->ts_start;
			op.portal->executed = true;
		}
		op.kind = OP_EXEC;
		pg_op_push(st, &op);
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
		st->fe_copy_bytes += (uint64_t)adi_j_get_int(f, "cb", 0);
		st->fe_copy_msgs += (uint64_t)adi_j_get_int(f, "cm", 0);
		break;
	}
}

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
		if (k == OP_PARSE)
			pg_op_pop(st);
		break;
	case '2':
		if (k == OP_BIND)
			pg_op_pop(st);
		break;
	case '3':
		if (k == OP_CLOSE)
			pg_op_pop(st);
		break;
	case 't':
		if (k == OP_DESC_S && o->stmt) {
			/* types the Parse left open (0) or did not give */
			struct adi_jval *oids = adi_j_get(m->fields, "oids");
			struct adi_jval *have = o->stmt->oids, *n = adi_j_arr();

			for (size_t i = 0; i < adi_j_len(oids); i++) {
				int64_t v = adi_j_as_int(adi_j_at(have, i), 0);

				adi_j_push(n, adi_j_int(v ? v : adi_j_as_int(adi_j_at(oids, i), 0)));
			}
			adi_j_free(o->stmt->oids);
			o->stmt->oids = n;
		}
		break;
	case 'T':
	case 'n':
		if (k == OP_DESC_S || k == OP_DESC_P) {
			struct pg_cols *c = m->kind == 'T' ? pg_cols_from(m->fields) : NULL;

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
		if (k == OP_STARTUP) {
			/* the server refused the connection (authentication...) */
			struct adi_jval *ev = pg_ev_new(st);

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
		break;
	}
}

/* stitch(): every queued message is taken at once: the frontend's first
 * (requests are queued in st, with their statements and portals), then
 * the backend's, replayed against the requests in order. Events wait for
 * the ReadyForQuery of their batch (for tx); final: the held ones go out
 * with tx null, then every request still unanswered (an Execute, a simple
 * query) as an event without an end. */
static void pg_stitch(void *vst, struct adi_msgq *out_q, struct adi_msgq *in_q,
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

/* start(): the frontend is the peer that connected: OUT when the traced
 * task is the client, IN when it accepted the connection. */
static void pg_start(void *vst, const struct adi_sniff_ctx *c)
{
	struct pg_state *st = vst;

	st->fe_in = c->server_side != 0;
	st->q_err = -1;
}

static void pg_fini(void *vst)
{
	struct pg_state *st = vst;

	for (int d = 0; d < 2; d++) {
		pg_side_reset(&st->side[d]);
		free(st->side[d].buf);
		st->side[d].buf = NULL;
	}
	while (st->op_len)
		pg_op_pop(st);
	for (unsigned i = 0; i < st->nheld; i++) {
		adi_j_free(st->held[i].ev);
		pg_text_unref(st->held[i].q);
	}
	free(st->held);
	for (unsigned i = 0; i < st->nstmts; i++)
		pg_stmt_unref_named(st->stmts[i]);
	for (unsigned i = 0; i < st->nportals; i++)
		pg_portal_unref_named(st->portals[i]);
	pg_res_reset(&st->res);
	free(st->user);
	free(st->database);
	memset(st, 0, sizeof(*st));
}

const struct adi_proto adi_proto_postgres = {
	.name = "postgres",
	.state_size = sizeof(struct pg_state),
	.start = pg_start,
	.sniff = pg_sniff,
	.parse = pg_parse,
	.gap = pg_gap,
	.resync = pg_resync,
	.stitch = pg_stitch,
	.fini = pg_fini,
};
