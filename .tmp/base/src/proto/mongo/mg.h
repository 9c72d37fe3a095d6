/* mg.h - private to the MongoDB decoder (src/proto/mongo/): the limits, the
 * opcodes and flag bits, the per-connection state (struct mongo_state: both
 * directions' message buffers, the exhaust streams followed), what one
 * message decodes to (struct mg_dec) and the functions one file of the
 * decoder lends another. Nothing outside src/proto/mongo/ includes it: the
 * decoder's one public header is src/proto/mongo.h.
 *
 *   frame.c   the message header, one message at a time per direction in
 *             the decoder's own buffer; start(), parse(), gap(), resync(),
 *             sniff(), fini() and the adi_proto_mongo table
 *   body.c    message bodies: OP_MSG sections, OP_QUERY, OP_REPLY, the
 *             legacy opcodes, OP_COMPRESSED (snappy, zlib, zstd), the
 *             OP_MSG checksum, the peek at a message over the cap
 *   values.c  BSON documents as bounded JSON (libbson's relaxed Extended
 *             JSON), errors, redaction: a message's fields
 *   stitch.c  pairing by requestID / responseTo, exhaust streams, the
 *             mongo_command event, stitch()
 *
 * Spec: https://www.mongodb.com/docs/manual/reference/mongodb-wire-protocol/
 */
#ifndef ADI_PROTO_MONGO_MG_H
#define ADI_PROTO_MONGO_MG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <bson/bson.h>

#include "../mongo.h"

/* Limits (docs/mongo.md). */
#define MG_HDR 16                      /* the standard message header */
#define MG_MAX_WIRE 48000000u          /* MongoDB's maxMessageSizeBytes */
#define MG_MAX_KEEP (16u * 1024 * 1024) /* larger messages are skipped */
#define MG_PEEK 4096                   /* bytes kept of a skipped message */
#define MG_MAX_DEPTH 100               /* BSON nesting believed */
#define MG_JSON_DEPTH 48               /* deeper is cut (adi_json_parse: 64) */
#define MG_STREAMS 16                  /* exhaust streams followed at once */
#define MG_MAX_PENDING 256             /* unanswered requests held */
#define MG_MIN_SUB 48                  /* budget worth descending into */
#define MG_SHRINK (64 * 1024)          /* a buffer above this is freed */
#define MG_MAX_NS 512                  /* OP_QUERY namespace bytes believed */
#define MG_MAX_ERR 4096                /* bytes of an error message kept */

/* opCode (the header: frame.c) */
enum mg_opcode {
	OP_REPLY = 1,
	OP_UPDATE = 2001,
	OP_INSERT = 2002,
	OP_QUERY = 2004,
	OP_GET_MORE = 2005,
	OP_DELETE = 2006,
	OP_KILL_CURSORS = 2007,
	OP_COMPRESSED = 2012,
	OP_MSG = 2013,
};

/* OP_MSG flagBits */
#define MG_CHECKSUM 0x1u
#define MG_MORE 0x2u
#define MG_EXHAUST 0x10000u
#define MG_REQUIRED_BITS 0xffffu  /* unknown ones here must be refused */

/* OP_REPLY responseFlags */
#define MG_QUERY_FAILURE 0x2u

enum mg_phase {
	MG_IDLE,  /* between messages: the next bytes are a header */
	MG_BODY,  /* a message whose header was checked: `len - got` to come */
	MG_DONE,  /* complete (or ended by a gap): FRAME it next call */
};

/* One direction's message in progress. */
struct mg_side {
	enum mg_phase phase;
	uint32_t len;          /* messageLength */
	int32_t rid, rto, op;  /* requestID, responseTo, opCode */
	uint8_t *buf;          /* the message, header included (`have` bytes) */
	size_t cap, have;
	uint64_t got;          /* bytes of the message passed, gaps included */
	uint64_t lost_at;      /* offset of the first missing byte, or len */
	bool over;             /* over MG_MAX_KEEP: only MG_PEEK bytes kept */
	bool resync_next;      /* a gap ran past the message: resync after it */
	bool strict;           /* after resync: the next header is checked as
				* resync() checks it, so where the bytes are
				* cut cannot change what is found */
};

/* An exhaust stream: a reply with moreToCome is followed by more replies,
 * each naming the previous reply's requestID in its responseTo. */
struct mg_stream {
	bool on;
	uint32_t next_rto;     /* the responseTo the next reply carries */
	int32_t request_id;    /* of the request that started it */
	unsigned seq;          /* replies so far */
	struct adi_jval *req;  /* a copy of the request's fields */
};

struct mongo_state {
	bool server;           /* the traced task is the server: requests IN */
	bool inprog;           /* a request is being received ... */
	uint32_t inprog_rid;   /* ... with this requestID */
	struct mg_side side[2];/* [0] ADI_DIR_OUT, [1] ADI_DIR_IN */
	struct mg_stream streams[MG_STREAMS];
	unsigned next_stream;  /* round robin eviction */
};

/* What one message yields, before it becomes a message's fields. */
struct mg_dec {
	bson_t *doc;            /* the command or reply document (owned), or NULL */
	char *db, *coll, *op;   /* from OP_QUERY's name / a skipped message's
				 * first bytes / a legacy opcode (owned) */
	const char *compressor; /* OP_COMPRESSED's compressor name */
	bool more, exhaust;     /* OP_MSG moreToCome, exhaustAllowed */
	bool checksum_bad;      /* OP_MSG CRC-32C differs */
	bool cut;               /* something was not shown (cap, JSON bound) */
	bool deep;              /* doc nests deeper than MG_JSON_DEPTH */
	bool query;             /* an OP_QUERY ... */
	bool cmd_query;         /* ... on "<db>.$cmd": a command */
	uint32_t rflags;        /* OP_REPLY responseFlags */
	char err[112];          /* decode_error, "" when none */
};

/* ---- body.c ---- */

/* Decode the side's message: the bytes kept (all of it, or a prefix when
 * bytes were lost or it is over the cap) into d (zeroed by the caller;
 * mg_dec_free() frees what it holds). */
void mg_decode(const struct mg_side *sd, struct mg_dec *d);
void mg_dec_free(struct mg_dec *d);

/* ---- values.c ---- */

/* The document can be shown: its nesting is believed (MG_MAX_DEPTH) and
 * bson_validate passes. *deep: nested deeper than MG_JSON_DEPTH. */
bool mg_doc_ok(const bson_t *doc, bool *deep);

/* A request's / a reply's fields (a new JSON object, the caller's) from
 * what its message decoded to: op, database, collection, command (or
 * reply, ok, error), truncated, and the members stitch() reads (_rid,
 * _more, compressor, decode_error, checksum_error, exhaust_allowed). */
struct adi_jval *mg_req_fields(const struct adi_proto_cfg *cfg,
			       const struct mg_side *sd, struct mg_dec *d);
struct adi_jval *mg_reply_fields(const struct adi_proto_cfg *cfg,
				 const struct mg_side *sd, struct mg_dec *d);

/* ---- stitch.c ---- */

/* stitch() of adi_proto_mongo (proto.h). */
void mg_stitch(void *vst, struct adi_msgq *out_q, struct adi_msgq *in_q,
	       struct adi_emit *em, bool final);
/* Forget an exhaust stream (its copy of the request freed). */
void mg_stream_end(struct mg_stream *s);

#endif
