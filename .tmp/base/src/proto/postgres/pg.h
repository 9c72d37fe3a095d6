/* pg.h - what the files of the PostgreSQL decoder share, and nothing
 * outside src/proto/postgres/ may include: the limits, the per-connection
 * state (struct pg_state: both parsers, the statements, portals, pending
 * requests and held events), and the functions one file of the folder
 * calls in another. The public face is ../postgres.h (adi_proto_postgres).
 *
 * The folder, by concern:
 *   frame.c  framing: message headers, parse() / gap() / resync()
 *   body.c   message bodies into typed bodies (struct pg_body), and their ring
 *   sniff.c  recognising a message start: sniff() and the resync probe
 *   values.c parameter and row values written as text (binary by type OID)
 *   named.c  statement texts, columns, the statement and portal tables
 *   event.c  sql_query events: writing, holding until ReadyForQuery
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

/* ---- what a message says ----
 *
 * A FRAMEd message carries no fields: parse() reduces its body to a typed
 * struct pg_body, kept in the direction's ring (struct pg_side) under a
 * sequence number that the message carries as adi_msg.key; stitch() finds
 * it there by that key (pg_body_of) and takes what it keeps (texts, lists,
 * values, columns) by moving the pointers. Values stay raw bytes until an
 * event is written, since their text depends on types and formats that
 * other messages give. */

/* A list of numbers (type OIDs; format codes, stored as the Int16 they
 * are, so 1 means binary); absent (NULL) is not the same as empty for the
 * result formats of a Bind. */
struct pg_list {
	uint32_t n;
	uint32_t v[];
};

/* Raw values of a Bind or a sampled DataRow, in one block. */
enum pg_vst {
	PGV_NULL,   /* NULL (-1) */
	PGV_WHOLE,  /* every byte kept */
	PGV_CUT,    /* a prefix: cut by a cap, a gap or the end of the message */
};

struct pg_val {
	uint32_t off, len;     /* kept bytes: b[off..off + len) of the block */
	uint8_t st;            /* enum pg_vst */
};

struct pg_vals {
	uint32_t n;
	const struct pg_val *v;
	const uint8_t *b;
};

/* A growing byte buffer (its size doubles, from 256). */
struct pg_buf {
	uint8_t *b;
	size_t len, alloc;
};

/* What stitch() needs of a message; which members are set depends on the
 * type (below). Pointers are owned until stitch() moves them out. */
struct pg_body {
	uint64_t seq;          /* adi_msg.key of its message */
	struct pg_text *sql;   /* Q, P: the text (P: NULL when cut before it) */
	struct pg_list *oids;  /* P: parameter types; t: the described ones */
	struct pg_list *fmts;  /* B: parameter formats */
	struct pg_list *rfmts; /* B: result formats (NULL: not reached) */
	struct pg_vals *vals;  /* B: the values; D: the row (NULL: not reached) */
	struct pg_cols *cols;  /* T */
	char *err;             /* E (backend): the error object as JSON text */
	size_t err_len;
	char *user, *database; /* StartupMessage: raw values (NULL: absent) */
	uint64_t rows;         /* C, E, I, s: DataRows since the last result */
	uint64_t copy_bytes, copy_msgs; /* C, E (backend), c, f (frontend) */
	uint32_t pid;          /* CancelRequest */
	uint8_t what;          /* D, C (frontend): 'S' or 'P' (0: none) */
	uint8_t tx;            /* Z: the status byte (0: none) */
	bool syntax;           /* E: SQLSTATE 42601 */
	uint16_t tag_len;
	char name[PG_MAX_NAME + 1]; /* P: statement; B, E: portal; D, C (frontend):
				     * the one named ("" when absent) */
	char stmt[PG_MAX_NAME + 1]; /* B: the statement */
	char tag[PG_KEEP_TAG + 1];  /* C (backend): the command tag (NUL added) */
};

/* Bodies FRAMEd and not yet taken by stitch() (which the engine calls
 * after every FRAME: one or two wait at most), plus the one being read. */
#define PG_RING 4

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
	uint64_t blen;         /* the body's length */
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
	size_t vstart;         /* ... where its bytes start in vb */
	size_t msg_keep;       /* value bytes kept in this message */
	bool arr_on;           /* a list or the values are being read */
	uint32_t *lst;         /* the list being read */
	uint32_t nlst, lst_cap;
	struct pg_val *vv;     /* the values being read, their bytes in vb */
	uint32_t nvv, vv_cap;
	struct pg_buf vb;
	/* kept bytes of the current field or message */
	struct pg_buf kb;
	bool cut;
	/* a message a gap completed: FRAMEd by the next parse() call (its
	 * body is the last of the ring) */
	bool ready;
	int ready_kind;
	bool ready_incomplete;
	/* counters: DataRows since the last result boundary (backend), CopyData
	 * since the last copy response (backend) or CopyDone (frontend) */
	uint64_t rows, copy_bytes, copy_msgs;
	/* what messages say: ring[(rhead + i) % PG_RING], i < rlen, FRAMEd;
	 * the slot after them holds the message being read (last: the
	 * fields above are read for every message) */
	unsigned rhead, rlen;
	uint64_t seq;          /* the last sequence number given */
	struct pg_body ring[PG_RING];
};

/* ---- what stitch() knows of the connection ---- */

/* Shared, reference-counted pieces of the connection's state. */
struct pg_text {               /* a statement text */
	unsigned ref;
	size_t len;
	bool cut;              /* longer than PG_MAX_SQL */
	uint8_t s[];
};

struct pg_cols {               /* a RowDescription, in one block */
	unsigned ref;
	uint32_t n;
	const uint32_t *oids;  /* n type OIDs */
	const int16_t *fmts;   /* n format codes */
	const char *json;      /* the names as the `columns` array, written */
	size_t json_len;
};

/* What a prepared statement and a portal share, as their first member:
 * both live in a small table of named entries (named.c), the least
 * recently used forgotten first, and are referenced by the requests that
 * await replies. */
struct pg_named {
	unsigned ref;
	char *name;            /* "" for the unnamed one (in the entry's block) */
	uint64_t lru;
};

struct pg_stmt {               /* a prepared statement */
	struct pg_named n;
	struct pg_text *sql;   /* NULL when its Parse was not seen */
	struct pg_list *oids;  /* parameter types (Parse, ParameterDescription) */
	struct pg_cols *cols;  /* Describe (statement): its result columns */
	uint64_t parse_ts;     /* first byte of the Parse */
	uint64_t batch;        /* the Sync batch the Parse came in */
	bool fresh;            /* no Bind has used the Parse's time yet */
	bool incomplete;
};

struct pg_portal {             /* a portal (Bind) */
	struct pg_named n;
	struct pg_stmt *stmt;
	bool bound;            /* its Bind was seen (else known by name only) */
	struct pg_vals *vals;  /* raw values (NULL: none) */
	struct pg_list *fmts, *rfmts; /* formats (rfmts NULL: not sent) */
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

/* An event waiting for the ReadyForQuery that gives its `tx`: written
 * whole, tx null; the offsets of the values of sql and tx let the release
 * put in tx and a split statement's own text. */
struct pg_held {
	struct adi_jw w;       /* the fields (the buffer stays with the slot) */
	size_t sql_at, sql_end, tx_at, tx_end;
	uint64_t ts_start;
	int64_t ts_end;
	struct pg_text *q;     /* simple query: its text, and the result index */
	unsigned qi;
	bool split;            /* sql is q->s[off..off + len) instead */
	size_t off, len;
};

/* The result being received for the request at the head. */
struct pg_res {
	struct pg_cols *cols;  /* simple query: its RowDescription */
	struct pg_vals **rows; /* sampled raw rows (the array stays allocated) */
	unsigned nrows, rows_cap;
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
	struct adi_jw scratch; /* parse(): columns and errors written */
	struct pg_body none;   /* a message whose body is gone (stitch) */
	/* what stitch() knows of the connection */
	char *user, *database; /* raw, from the StartupMessage */
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
	struct pg_held *held;  /* held_cap slots, the first nheld waiting */
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

/* Set up the reading of the body of the message whose header sd holds
 * (into the ring's free slot). */
void pg_setup(struct pg_side *sd, const struct adi_proto_cfg *cfg, bool fe);
/* Feed b[0..k) (within the body) to the message being read. */
void pg_body(struct pg_side *sd, const struct adi_proto_cfg *cfg, const uint8_t *b,
	     size_t k);
/* Does a typed message become a FRAME (else SKIP)? sampled: a DataRow
 * that is kept. */
bool pg_frames_type(bool fe, uint8_t t, bool sampled);
/* The message is whole (or ended by a gap / the end of the stream). true:
 * it is a FRAME, its body is in the ring under sd->seq, *kind is its
 * adi_msg.kind and *incomplete says bytes were lost; false: SKIP. The side
 * is ready for a header. whole: a body to keep that came in one piece,
 * wn bytes, read in place (pg_body was not given it); else NULL. */
bool pg_finish(struct pg_state *st, struct pg_side *sd, bool fe, const uint8_t *whole,
	       size_t wn, int *kind, bool *incomplete);
/* Forget the message in progress, and one a gap completed that was not
 * FRAMEd yet. */
void pg_side_reset(struct pg_side *sd);
/* Free everything the side holds. */
void pg_side_fini(struct pg_side *sd);
/* stitch(): the body of message m, taken out of its ring (valid until the
 * next parse() of that direction; what stitch keeps it moves out, the rest
 * is freed when the slot is used again). A message whose body is gone (the
 * engine dropped messages) gets an empty one. */
struct pg_body *pg_body_of(struct pg_state *st, const struct adi_msg *m);
/* Free what a body owns; it is empty again. */
void pg_body_clear(struct pg_body *b);
/* A list of n numbers copied from v (NULL: no memory). */
struct pg_list *pg_list_new(const uint32_t *v, uint32_t n);

/* ---- sniff.c ---- */

/* Is b[0..n) a plausible message start of direction fe? 1 yes, 0 no, -1
 * not known until min(message, PG_PROBE) bytes are there. */
int pg_probe(bool fe, const uint8_t *b, size_t n);
int pg_sniff(const uint8_t *b, size_t n, const struct adi_sniff_ctx *c);

/* ---- values.c ---- */

/* Text bytes as a JSON string, cut to max on a UTF-8 boundary (then
 * *trunc); not UTF-8: "base64:...". */
void pg_w_text(struct adi_jw *w, const uint8_t *b, size_t n, size_t max, bool *trunc);
/* Value i of vs (NULL, or a value past the end: null) as the JSON text of
 * an event. fmt: 0 text, 1 binary, -1 unknown. */
void pg_w_value(struct adi_jw *w, const struct pg_vals *vs, size_t i, uint32_t oid, int fmt,
		size_t max, bool *trunc);
/* Format code i of a list (none: text; one: for all; else each). */
int pg_fmt_at(const struct pg_list *fmts, size_t i);
/* Number i of a list, 0 past its end (or without a list). */
static inline uint32_t pg_list_at(const struct pg_list *l, size_t i)
{
	return l && i < l->n ? l->v[i] : 0;
}

/* ---- named.c ---- */

/* A statement text of n bytes (cut: it was longer); NULL: no memory. */
struct pg_text *pg_text_new(const uint8_t *s, size_t n, bool cut);
void pg_text_unref(struct pg_text *t);
/* A RowDescription's columns: n of them, pairs[2i] the type OID and
 * pairs[2i + 1] the format of column i, and the columns array already
 * written (json_len bytes); one reference; NULL: no memory. */
struct pg_cols *pg_cols_new(uint32_t n, const uint32_t *pairs, const char *json,
			    size_t json_len);
void pg_cols_unref(struct pg_cols *c);
/* A statement / portal (starting at ts) called name, with one reference
 * and nothing else known; NULL: no memory. */
struct pg_stmt *pg_stmt_new(const char *name);
struct pg_portal *pg_portal_new(const char *name, uint64_t ts);
void pg_stmt_unref(struct pg_stmt *s);
void pg_portal_unref(struct pg_portal *p);
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

/* The fields every event has, in the order of docs/events.md, as a new
 * event's defaults (what is not known: null, [], 0); err: the body of an
 * ErrorResponse whose error object goes in, or NULL. */
void pg_w_base(struct adi_jw *w, const struct pg_state *st, const struct pg_body *err);
/* Hand the event written in em->w to the engine (ts_end -1: no end). */
void pg_emit(struct adi_emit *em, uint64_t ts_start, int64_t ts_end);
/* The event of an op that got no reply (the connection ended: ts_end -1),
 * written into em's writer and emitted at once. */
void pg_op_emit(struct pg_state *st, struct adi_emit *em, const struct pg_op *op,
		uint64_t ts_start, int64_t ts_end);
/* The start of an op's statement, or the reply's. */
uint64_t pg_op_ts(const struct pg_state *st, const struct pg_op *op,
		  const struct adi_msg *m);
/* The event of the op at the head (NULL: a reply whose request was not
 * seen) from its ending message m and m's body mb (NULL: none came),
 * written and kept until the ReadyForQuery of its batch (q, qi: the simple
 * query it is result qi of); too many waiting, the oldest goes out first,
 * with tx null. */
void pg_op_hold(struct pg_state *st, struct adi_emit *em, const struct pg_op *op,
		const struct adi_msg *m, const struct pg_body *mb, uint64_t ts_start,
		int64_t ts_end, struct pg_text *q, unsigned qi);
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
