/* pg.h - what the files of the PostgreSQL decoder share, and nothing
 * outside src/proto/postgres/ may include: the limits, the per-connection
 * state (struct pg_state: both parsers, the statements, portals, pending
 * requests and held events), and the functions one file of the folder
 * calls in another. The public face is ../postgres.h (adi_proto_postgres).
 *
 * The folder, by concern:
 *   frame.c  framing: message headers, parse() / gap() / resync()
 *   body.c   message bodies into fields (kept bytes, field-by-field reads)
 *   sniff.c  recognising a message start: sniff() and the resync probe
 *   values.c parameter and row values as text (binary by type OID)
 *   named.c  statement texts, columns, the statement and portal tables
 *   event.c  sql_query events: building, holding until ReadyForQuery
 *   split.c  a simple query cut into its statements
 *   stitch.c replaying the conversation: requests matched with replies
 *   table.c  start(), fini() and the adi_proto_postgres table
 */
#ifndef ADI_PROTO_POSTGRES_PG_H
#define ADI_PROTO_POSTGRES_PG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../lib/cursor.h"
#include "../postgres.h"

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

/* ---- the parser of one direction ---- */

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

/* ---- what stitch() knows of the connection ---- */

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
 * both live in a small table of named entries (named.c), the least
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

/* ---- frame.c ---- */

/* The typed header at c: type byte and length (which counts itself, not
 * the type). false (both 0) when fewer than 5 bytes are left. */
static inline bool pg_cur_hdr(struct adi_cur *c, uint8_t *type, uint32_t *len)
{
	*len = 0;
	return adi_cur_u8(c, type) && adi_cur_be32(c, len);
}

/* A typed header: a known type of the direction (fe: the frontend's) with
 * a length in the type's bounds. */
bool pg_hdr_ok(bool fe, uint8_t t, uint32_t len);
/* A message type byte the direction may send. */
bool pg_type_known(bool fe, uint8_t t);
/* An untyped startup-phase header: length and request code agree. */
bool pg_startup_ok(uint32_t len, uint32_t code);
enum adi_parse pg_parse(void *st, const struct adi_proto_cfg *cfg, enum adi_dir dir,
			const uint8_t *b, size_t n, size_t *used, struct adi_msg *out);
bool pg_gap(void *st, enum adi_dir dir, uint64_t n);
size_t pg_resync(void *st, enum adi_dir dir, const uint8_t *b, size_t n);

/* ---- body.c ---- */

/* Set up the reading of the body of the message whose header sd holds. */
void pg_setup(struct pg_side *sd, const struct adi_proto_cfg *cfg, bool fe);
/* Feed b[0..k) (within the body) to the message being read. */
void pg_body(struct pg_side *sd, const struct adi_proto_cfg *cfg, const uint8_t *b,
	     size_t k);
/* Does a typed message become a FRAME (else SKIP)? sampled: a DataRow
 * that is kept. */
bool pg_frames_type(bool fe, uint8_t t, bool sampled);
/* The message is whole (or ended by a gap / the end of the stream): its
 * fields for a FRAME, or NULL (SKIP); *kind its adi_msg.kind. The side is
 * ready for a header. */
struct adi_jval *pg_finish(struct pg_state *st, struct pg_side *sd, bool fe, int *kind);
/* Forget the message in progress (what it holds is freed). */
void pg_side_reset(struct pg_side *sd);

/* ---- sniff.c ---- */

/* Is b[0..n) a plausible message start of direction fe? 1 yes, 0 no, -1
 * not known until min(message, PG_PROBE) bytes are there. */
int pg_probe(bool fe, const uint8_t *b, size_t n);
int pg_sniff(const uint8_t *b, size_t n, const struct adi_sniff_ctx *c);

/* ---- values.c ---- */

/* Text bytes, cut to max on a UTF-8 boundary (then *trunc); not UTF-8:
 * "base64:...". */
struct adi_jval *pg_out_text(const uint8_t *b, size_t n, size_t max, bool *trunc);
/* A raw value (what the parser kept: null, a string, or [prefix, true
 * length] when cut) as event text. fmt: 0 text, 1 binary, -1 unknown. */
struct adi_jval *pg_value(const struct adi_jval *raw, uint32_t oid, int fmt, size_t max,
			  bool *trunc);
/* Format code i of a list (none: text; one: for all; else each). */
int pg_fmt_at(const struct adi_jval *fmts, size_t i);

/* ---- named.c ---- */

/* A statement text from a message's "sql" (and "cut") fields. */
struct pg_text *pg_text_of(const struct adi_jval *f);
void pg_text_unref(struct pg_text *t);
/* A RowDescription message's columns (moved out of its fields). */
struct pg_cols *pg_cols_from(struct adi_jval *f);
void pg_cols_unref(struct pg_cols *c);
void pg_stmt_unref(struct pg_stmt *s);
void pg_portal_unref(struct pg_portal *p);
/* A name from a message (NULL gives ""), as a C string (NULL: no memory). */
char *pg_name(const struct adi_jval *f, const char *key);
/* Forget the statement / portal called name (only if it is `only`, when
 * given). */
void pg_stmt_drop(struct pg_state *st, const char *name, const struct pg_stmt *only);
void pg_portal_drop(struct pg_state *st, const char *name, const struct pg_portal *only);
/* Remember s / p under its name (a reference is taken; the least recently
 * used entry is forgotten when the table is full). */
void pg_stmt_put(struct pg_state *st, struct pg_stmt *s);
void pg_portal_put(struct pg_state *st, struct pg_portal *p);
/* The statement called name, or a ghost of it known by name only (a new
 * reference; NULL: no memory). */
struct pg_stmt *pg_stmt_get(struct pg_state *st, const char *name);
/* The portal called name, or one known by name only starting at ts (a new
 * reference; NULL: no memory). */
struct pg_portal *pg_portal_get(struct pg_state *st, const char *name, uint64_t ts);
/* Forget every statement and portal. */
void pg_named_clear(struct pg_state *st);

/* ---- event.c ---- */

/* Hand an event to the engine (ts_end -1: no end). */
void pg_emit(struct adi_emit *em, struct adi_jval *ev, uint64_t ts_start, int64_t ts_end);
/* A new event with the fields of docs/events.md in their order. */
struct adi_jval *pg_ev_new(const struct pg_state *st);
/* The error object of an ErrorResponse's fields. */
struct adi_jval *pg_error_obj(const struct adi_jval *f);
/* One event for the op at the head (NULL: a reply whose request was not
 * seen) from its ending message m (NULL: none came). */
struct adi_jval *pg_op_event(struct pg_state *st, const struct adi_proto_cfg *cfg,
			     const struct pg_op *op, const struct adi_msg *m);
/* The start of an op's statement, or the reply's. */
uint64_t pg_op_ts(const struct pg_state *st, const struct pg_op *op,
		  const struct adi_msg *m);
/* Keep an event until the ReadyForQuery of its batch (q, qi: the simple
 * query it is result qi of). */
void pg_hold(struct pg_state *st, struct adi_emit *em, struct adi_jval *ev,
	     uint64_t ts_start, int64_t ts_end, struct pg_text *q, unsigned qi);
/* Emit every held event with tx (NULL: unknown); ts_end >= 0 ends the last. */
void pg_release(struct pg_state *st, struct adi_emit *em, const char *tx, int64_t ts_end);
/* Free the held events without emitting them. */
void pg_held_clear(struct pg_state *st);

/* ---- split.c ---- */

/* The simple query op at the head is answered: its held events get their
 * own statement's text when the split matches the results. */
void pg_query_done(struct pg_state *st, const struct pg_op *op);

/* ---- stitch.c ---- */

void pg_stitch(void *st, struct adi_msgq *out_q, struct adi_msgq *in_q,
	       struct adi_emit *em, bool final);
/* Drop the request at the head (its references). */
void pg_op_pop(struct pg_state *st);
/* The result in progress is done with. */
void pg_res_reset(struct pg_res *r);

#endif
