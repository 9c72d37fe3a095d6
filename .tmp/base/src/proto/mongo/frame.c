/* frame.c - the MongoDB decoder's framing: the 16-byte message header and
 * the fixed part after it checked (strictly when sniffing and resyncing),
 * then whole messages gathered per direction in the decoder's own buffer (up
 * to MG_MAX_KEEP bytes: BSON needs whole documents and the engine holds at
 * most ADI_PROTO_LOOKAHEAD; beyond, only the first MG_PEEK bytes), gaps
 * absorbed inside a known length; a message complete (or cut) is decoded
 * (body.c) into its fields (values.c). Owns struct mongo_state's message
 * buffers; the stream bytes are borrowed per call. Also the decoder's
 * adi_proto table.
 */
#include <stdlib.h>
#include <string.h>

#include "../../lib/cursor.h"
#include "mg.h"

/* The header check's verdict on bytes that may be cut short. */
enum mg_chk { MG_BAD, MG_PARTIAL, MG_OK };

static struct mg_side *mg_side_of(struct mongo_state *st, enum adi_dir dir)
{
	return &st->side[dir == ADI_DIR_OUT ? 0 : 1];
}

/* ---- the message header ----
 *
 *   struct MsgHeader {                        all integers little-endian
 *       int32 messageLength;  total, these 16 bytes included
 *       int32 requestID;      chosen by the sender
 *       int32 responseTo;     a reply: the requestID it answers; else 0
 *       int32 opCode;         1 OP_REPLY, 2004 OP_QUERY, 2012 OP_COMPRESSED,
 *   }                         2013 OP_MSG (2001-2007: legacy, removed in 6.0)
 *
 * What follows the header is checked as far as its fixed part goes:
 *
 *   OP_MSG        uint32 flagBits | uint8 kind (0|1) | ...    >= 21 bytes
 *   OP_QUERY      int32 flags | cstring fullCollectionName | int32 skip |
 *                 int32 return | document query | [document fields]
 *   OP_REPLY      int32 responseFlags | int64 cursorID | int32 startingFrom |
 *                 int32 numberReturned | document*                >= 36
 *   OP_COMPRESSED int32 originalOpcode | int32 uncompressedSize |
 *                 uint8 compressorId (0 noop 1 snappy 2 zlib 3 zstd) | data
 */

/* Bytes of a message the header check wants before it says OK. */
static size_t mg_need(uint32_t op)
{
	switch (op) {
	case OP_MSG:
		return MG_HDR + 9;     /* flags, kind, a kind-0 document's length */
	case OP_REPLY:
		return MG_HDR + 20;
	case OP_COMPRESSED:
		return MG_HDR + 9;
	case OP_QUERY:
		return MG_HDR + 5;     /* flags and a first name byte */
	default:
		return MG_HDR;
	}
}

static bool mg_known_op(uint32_t op, bool strict)
{
	if (op == OP_REPLY || op == OP_QUERY || op == OP_COMPRESSED || op == OP_MSG)
		return true;
	return !strict && op >= OP_UPDATE && op <= OP_KILL_CURSORS && op != 2003;
}

/* Check b[0..n) as the start of a message. req: the bytes come from the
 * client (requests) or not (replies). strict (sniff, resync): only the
 * four current opcodes, responseTo 0 on requests and not 0 on replies, and
 * OP_REPLY only from the server, OP_QUERY only from the client. */
static enum mg_chk mg_head_check(const uint8_t *b, size_t n, bool req, bool strict)
{
	uint32_t len, rto, op, v;
	size_t need;

	if (n < 4)
		return MG_PARTIAL; /* not even the length yet */
	len = adi_ld_le32(b);
	if (len < MG_HDR || len > MG_MAX_WIRE)
		return MG_BAD;
	if (n < MG_HDR) {
		if (strict && n >= 12 && (adi_ld_le32(b + 8) == 0) != req)
			return MG_BAD;
		return MG_PARTIAL;
	}
	rto = adi_ld_le32(b + 8);
	op = adi_ld_le32(b + 12);
	if (!mg_known_op(op, strict))
		return MG_BAD;
	if (strict && ((rto == 0) != req || (op == OP_REPLY && req) ||
		       (op == OP_QUERY && !req)))
		return MG_BAD;
	need = mg_need(op);
	if (len < need)
		return MG_BAD;
	/* the fixed part, each field as soon as it is there */
	switch (op) {
	case OP_MSG:
		if (n >= 20 && (adi_ld_le32(b + 16) & MG_REQUIRED_BITS & ~(MG_CHECKSUM | MG_MORE)))
			return MG_BAD;
		if (n >= 21 && b[20] > 1)
			return MG_BAD; /* kind 2 is internal to the server */
		/* a kind-0 document's length or a kind-1 section's size */
		if (n >= 25 && (adi_ld_le32(b + 21) < 5 || adi_ld_le32(b + 21) > len - 21))
			return MG_BAD;
		break;
	case OP_REPLY:
		if (n >= 20 && (adi_ld_le32(b + 16) & ~0xfu))
			return MG_BAD;
		if (n >= 36 && adi_ld_le32(b + 32) > (len - 36) / 5) /* numberReturned */
			return MG_BAD;
		break;
	case OP_COMPRESSED:
		v = n >= 20 ? adi_ld_le32(b + 16) : OP_MSG;
		if (v == OP_COMPRESSED || !mg_known_op(v, strict))
			return MG_BAD;
		if ((n >= 24 && adi_ld_le32(b + 20) > MG_MAX_WIRE) || (n >= 25 && b[24] > 3))
			return MG_BAD;
		break;
	case OP_QUERY:
		/* flags: bit 0 reserved, bits 8-31 unused; a name follows */
		if (len < MG_HDR + 4 + 2 + 8 + 5)
			return MG_BAD;
		if (n >= 20 && (adi_ld_le32(b + 16) & ~0xfeu))
			return MG_BAD;
		for (size_t i = 20; i < n && i < len; i++) {
			if (b[i] == 0)
				return i > 20 ? MG_OK : MG_BAD;
			if (b[i] < 0x20 || b[i] == 0x7f || i >= 20 + MG_MAX_NS)
				return MG_BAD;
		}
		return n >= len ? MG_BAD : MG_PARTIAL;
	default:
		break;
	}
	return n < need ? MG_PARTIAL : MG_OK;
}

/* ---- one message at a time ---- */

static bool mg_is_req(const struct mongo_state *st, enum adi_dir dir)
{
	return st->server ? dir == ADI_DIR_IN : dir == ADI_DIR_OUT;
}

/* Forget the message in progress; a big buffer is freed. */
static void mg_side_reset(struct mg_side *sd)
{
	if (sd->cap > MG_SHRINK) {
		free(sd->buf);
		sd->buf = NULL;
		sd->cap = 0;
	}
	sd->phase = MG_IDLE;
	sd->have = 0;
	sd->got = 0;
	sd->lost_at = UINT64_MAX;
	sd->over = false;
}

/* A checked header at b: the message starts. */
static void mg_begin(struct mongo_state *st, struct mg_side *sd, const uint8_t *b, bool req)
{
	mg_side_reset(sd);
	sd->phase = MG_BODY;
	sd->len = adi_ld_le32(b);
	sd->rid = (int32_t)adi_ld_le32(b + 4);
	sd->rto = (int32_t)adi_ld_le32(b + 8);
	sd->op = (int32_t)adi_ld_le32(b + 12);
	sd->over = sd->len > MG_MAX_KEEP;
	if (req) {
		st->inprog = true;
		st->inprog_rid = (uint32_t)sd->rid;
	}
}

/* Keep k more bytes of the message (all of it up to the cap, the first
 * MG_PEEK bytes beyond; nothing after a gap, which decoding stops at). */
static void mg_keep(struct mg_side *sd, const uint8_t *b, size_t k)
{
	size_t limit = sd->over ? MG_PEEK : sd->len;

	if (sd->lost_at != UINT64_MAX || sd->have >= limit)
		return;
	if (k > limit - sd->have)
		k = limit - sd->have;
	if (sd->have + k > sd->cap) {
		size_t cap = sd->cap ? sd->cap * 2 : 4096;
		uint8_t *nb;

		if (cap < sd->have + k)
			cap = sd->have + k;
		if (cap > limit)
			cap = limit;
		nb = realloc(sd->buf, cap);
		if (!nb) { /* out of memory: as if the rest were lost */
			sd->lost_at = sd->have;
			return;
		}
		sd->buf = nb;
		sd->cap = cap;
	}
	memcpy(sd->buf + sd->have, b, k);
	sd->have += k;
}

/* The side's message is over (complete, cut by a gap or by the end):
 * decode it into out. */
static void mg_finish(struct mongo_state *st, struct mg_side *sd,
		      const struct adi_proto_cfg *cfg, bool req, struct adi_msg *out)
{
	struct mg_dec d;

	memset(&d, 0, sizeof(d));
	if (sd->got < sd->len && sd->lost_at > sd->got)
		sd->lost_at = sd->got; /* the end came first */
	mg_decode(sd, &d);
	out->kind = req ? MONGO_REQ : MONGO_REPLY;
	out->key = (uint32_t)(req ? sd->rid : sd->rto);
	out->fields = req ? mg_req_fields(cfg, sd, &d) : mg_reply_fields(cfg, sd, &d);
	out->incomplete = sd->lost_at != UINT64_MAX;
	mg_dec_free(&d);
	if (req)
		st->inprog = false;
	mg_side_reset(sd);
}

/* ---- the adi_proto callbacks ---- */

static void mongo_start(void *vst, const struct adi_sniff_ctx *c)
{
	struct mongo_state *st = vst;

	st->server = c->server_side != 0;
	for (int i = 0; i < 2; i++)
		st->side[i].lost_at = UINT64_MAX;
}

/* parse(): see proto.h. A header is taken when its fixed part checks out
 * (AGAIN with *used 0 until the 16..36 bytes it needs are there, BAD when
 * it cannot be one); from then on the message's bytes are consumed as they
 * come (AGAIN with *used > 0) into the side's buffer, and the call that
 * brings its last byte returns FRAME. A message a gap finished (gap()
 * returned true at or past its end) is returned as FRAME with *used 0 on
 * the next call; when the gap ran past its end, the call after that says
 * BAD, so the engine resyncs. */
static enum adi_parse mongo_parse(void *vst, const struct adi_proto_cfg *cfg,
				  enum adi_dir dir, const uint8_t *b, size_t n,
				  size_t *used, struct adi_msg *out)
{
	struct mongo_state *st = vst;
	struct mg_side *sd = mg_side_of(st, dir);
	bool req = mg_is_req(st, dir);
	uint64_t left;
	size_t take;

	*used = 0;
	if (!b) {
		if (sd->phase == MG_IDLE)
			return ADI_PARSE_AGAIN;
		mg_finish(st, sd, cfg, req, out);
		return ADI_PARSE_FRAME;
	}
	if (sd->phase == MG_DONE) {
		mg_finish(st, sd, cfg, req, out);
		return ADI_PARSE_FRAME;
	}
	if (sd->resync_next) {
		sd->resync_next = false;
		return ADI_PARSE_BAD;
	}
	if (sd->phase == MG_IDLE) {
		switch (mg_head_check(b, n, req, sd->strict)) {
		case MG_BAD:
			return ADI_PARSE_BAD;
		case MG_PARTIAL:
			return ADI_PARSE_AGAIN;
		case MG_OK:
			break;
		}
		mg_begin(st, sd, b, req);
		sd->strict = false;
	}
	left = sd->len - sd->got;
	take = n < left ? n : (size_t)left;
	mg_keep(sd, b, take);
	sd->got += take;
	*used = take;
	if (sd->got < sd->len)
		return ADI_PARSE_AGAIN;
	mg_finish(st, sd, cfg, req, out);
	return ADI_PARSE_FRAME;
}

/* gap(): inside a message (its length is known) the bytes are absorbed:
 * the message is incomplete, decoded up to the first lost byte. A gap that
 * reaches past its end ends it there (FRAMEd on the next call) and what
 * follows is resynced. Between messages (or inside a header the engine
 * holds): false, the engine resyncs. */
static bool mongo_gap(void *vst, enum adi_dir dir, uint64_t n)
{
	struct mongo_state *st = vst;
	struct mg_side *sd = mg_side_of(st, dir);
	uint64_t left;

	switch (sd->phase) {
	case MG_IDLE:
		return false;
	case MG_DONE:
		sd->resync_next = true; /* lost bytes after a finished message */
		return true;
	case MG_BODY:
		break;
	}
	left = sd->len - sd->got;
	if (sd->lost_at == UINT64_MAX)
		sd->lost_at = sd->got;
	sd->got += n < left ? n : left;
	if (n > left)
		sd->resync_next = true;
	if (sd->got == sd->len)
		sd->phase = MG_DONE;
	return true;
}

/* resync(): the first offset where a message header is plausible under the
 * strict check (mg_head_check: length 16..48,000,000, opCode 1, 2004, 2012
 * or 2013, responseTo 0 on a request and not 0 on a reply, the fixed part
 * after the header sane), or where the bytes end in a prefix of one; n when
 * none. Drops the message in progress of the direction. */
static size_t mongo_resync(void *vst, enum adi_dir dir, const uint8_t *b, size_t n)
{
	struct mongo_state *st = vst;
	struct mg_side *sd = mg_side_of(st, dir);
	bool req = mg_is_req(st, dir);

	mg_side_reset(sd);
	sd->resync_next = false;
	sd->strict = true;
	if (req)
		st->inprog = false;
	for (size_t i = 0; i < n; i++) {
		size_t lim = n - i < 64 + MG_MAX_NS ? n - i : 64 + MG_MAX_NS;

		if (mg_head_check(b + i, lim, req, true) != MG_BAD)
			return i;
	}
	return n;
}

/* sniff(): thresholds.
 *  - 80: a header that passes the strict check of resync() (a 4-byte
 *    length of 16..48,000,000, one of the four current opcodes, responseTo
 *    0 from the client and not 0 from the server, OP_REPLY only from the
 *    server and OP_QUERY only from the client) and the fixed part after it
 *    (OP_MSG: no unknown required flag bit, section kind 0 or 1 with a sane
 *    size; OP_QUERY: flags and a printable namespace; OP_REPLY: flags and a
 *    document count that fits; OP_COMPRESSED: a known original opcode and
 *    compressor). +5 when either port is 27017: a hint, never decisive.
 *  - 75: all of that holds as far as the bytes go, and there are at least
 *    21 (the header, OP_MSG's flags and first section kind, OP_QUERY's
 *    flags and a first namespace byte).
 *  - -1: fewer than 21 bytes that are still a plausible prefix.
 *  - 0 otherwise. Other protocols fail early: a big-endian length
 *    (PostgreSQL's startup 00 00 00 29 00 03 00 00) reads as over 48 MB
 *    little-endian, as do text protocols (HTTP, Redis "*3\r\n", "PRI *")
 *    whose first 4 bytes are printable; a MySQL greeting's 3-byte length
 *    passes but its opcode bytes are version text; a TLS record
 *    (16 03 ...) is refused by its first two bytes. */
static int mongo_sniff(const uint8_t *b, size_t n, const struct adi_sniff_ctx *c)
{
	bool req = (c->dir == ADI_DIR_OUT) != (c->server_side != 0);
	int hint = c->local_port == 27017 || c->remote_port == 27017 ? 5 : 0;

	if (n >= 2 && b[0] == 0x16 && b[1] == 0x03)
		return 0;
	switch (mg_head_check(b, n, req, true)) {
	case MG_BAD:
		return 0;
	case MG_PARTIAL:
		return n < MG_HDR + 5 ? -1 : 75 + hint;
	case MG_OK:
		break;
	}
	return 80 + hint;
}

static void mongo_fini(void *vst)
{
	struct mongo_state *st = vst;

	for (int i = 0; i < 2; i++) {
		free(st->side[i].buf);
		st->side[i].buf = NULL;
		st->side[i].cap = 0;
	}
	for (unsigned i = 0; i < MG_STREAMS; i++)
		mg_stream_end(&st->streams[i]);
}

const struct adi_proto adi_proto_mongo = {
	.name = "mongo",
	.state_size = sizeof(struct mongo_state),
	.start = mongo_start,
	.sniff = mongo_sniff,
	.parse = mongo_parse,
	.gap = mongo_gap,
	.resync = mongo_resync,
	.stitch = mg_stitch,
	.fini = mongo_fini,
};
