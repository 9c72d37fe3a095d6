/* mongo.c - the MongoDB wire protocol decoder: whole messages are gathered
 * per direction in the decoder's own buffer (up to MG_MAX_KEEP bytes; BSON
 * needs whole documents and the engine holds at most ADI_PROTO_LOOKAHEAD),
 * decompressed when OP_COMPRESSED, framed (message header, OP_MSG sections,
 * OP_QUERY / OP_REPLY bodies) and their BSON documents checked and turned
 * into Extended JSON (relaxed) by libbson; requests and replies are paired by
 * requestID / responseTo into `mongo_command` events, exhaust streams
 * (moreToCome) included. Owns: struct mongo_state (both directions' message
 * buffers, the exhaust streams followed). Does not own: the stream bytes
 * (borrowed per call) nor queued messages (the engine's). BSON itself is
 * never decoded here, only the framing around it.
 *
 * Spec: https://www.mongodb.com/docs/manual/reference/mongodb-wire-protocol/
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bson/bson.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include "../lib/cursor.h"
#include "mongo.h"

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

/* The header check's verdict on bytes that may be cut short. */
enum mg_chk { MG_BAD, MG_PARTIAL, MG_OK };

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

static struct mg_side *mg_side_of(struct mongo_state *st, enum adi_dir dir)
{
	return &st->side[dir == ADI_DIR_OUT ? 0 : 1];
}

/* ---- BSON framing on top of the cursor ---- */

/* A BSON document's framing at c: an int32 length (>= 5, within the bytes
 * left) of bytes ending in NUL. *doc borrows them; the content is checked
 * later. False (and c bad) when it is not one. */
static bool mg_rd_doc(struct adi_cur *c, bson_t *doc)
{
	uint32_t len;

	if (adi_cur_need(c, 4))
		return adi_cur_fail(c);
	len = adi_ld_le32(adi_cur_ptr(c));
	if (len < 5 || len > adi_cur_left(c) || !bson_init_static(doc, adi_cur_ptr(c), len))
		return adi_cur_fail(c);
	return adi_cur_skip(c, len);
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

/* ---- BSON documents as JSON ----
 *
 * Every document is checked before it is shown: nesting at most
 * MG_MAX_DEPTH levels (walked here with libbson's iterator, so libbson's own
 * recursion stays bounded), then bson_validate (UTF-8, NULs allowed in
 * strings). libbson writes it as relaxed Extended JSON, which becomes a JSON
 * tree (adi_json_parse).
 *
 * Bound: a document whose compact JSON is longer than body_bytes is cut at
 * the BSON level before it is written: members are kept in order while they
 * fit (their size measured by libbson, whose spaced output over-estimates
 * the compact one); an object or array that does not fit is cut the same way
 * inside what is left; a scalar that does not fit becomes the string
 * "<truncated N bytes>" (N: the value's size in BSON); once nothing is left,
 * the rest is summarised by one last member, "$truncated": "<K more fields,
 * N bytes>" (in an array, one last item "<K more items, N bytes>"). The
 * result is valid JSON of about body_bytes plus these short markers, and
 * the event says "truncated": true. Nesting deeper than MG_JSON_DEPTH is
 * cut the same way (a marker in place of the deeper container).
 *
 * Doubles: the event writer keeps 3 decimals; a double that would not
 * survive that is written as {"$numberDouble": "<shortest exact text>"},
 * the canonical Extended JSON form, so no value is silently rounded. */

/* The deepest nesting of doc (0: no sub-document), or -1 when deeper than
 * MG_MAX_DEPTH or malformed. */
static int mg_depth(const bson_t *doc, int depth)
{
	bson_iter_t it;
	int deepest = depth;

	if (depth > MG_MAX_DEPTH || !bson_iter_init(&it, doc))
		return -1;
	while (bson_iter_next(&it)) {
		const uint8_t *data = NULL;
		uint32_t len = 0, code_len;
		const char *code;
		bson_t sub;
		int d;

		if (BSON_ITER_HOLDS_DOCUMENT(&it))
			bson_iter_document(&it, &len, &data);
		else if (BSON_ITER_HOLDS_ARRAY(&it))
			bson_iter_array(&it, &len, &data);
		else if (BSON_ITER_HOLDS_CODEWSCOPE(&it))
			code = bson_iter_codewscope(&it, &code_len, &len, &data);
		else
			continue;
		(void)code;
		if (!data || !bson_init_static(&sub, data, len))
			return -1;
		d = mg_depth(&sub, depth + 1);
		if (d < 0)
			return -1;
		if (d > deepest)
			deepest = d;
	}
	return deepest;
}

/* The document can be shown: its nesting is believed and bson_validate
 * passes. *deep: nested deeper than MG_JSON_DEPTH. */
static bool mg_doc_ok(const bson_t *doc, bool *deep)
{
	size_t off;
	int d = mg_depth(doc, 0);

	if (d < 0)
		return false;
	*deep = d >= MG_JSON_DEPTH;
	return bson_validate(doc, BSON_VALIDATE_UTF8 | BSON_VALIDATE_UTF8_ALLOW_NULL, &off);
}

/* libbson's relaxed Extended JSON of doc, at most max_len bytes (then cut:
 * not valid JSON any more). Caller bson_free()s. */
static char *mg_as_json(const bson_t *doc, size_t max_len, size_t *len)
{
	bson_json_opts_t *o;
	char *s;

	if (max_len > INT32_MAX - 1)
		max_len = INT32_MAX - 1;
	o = bson_json_opts_new(BSON_JSON_MODE_RELAXED, (int32_t)max_len);
	if (!o)
		return NULL;
	s = bson_as_json_with_opts(doc, len, o);
	bson_json_opts_destroy(o);
	return s;
}

/* The size of the current member as libbson writes it (`"key" : value, `),
 * or more than `limit` when larger (counted no further). */
static size_t mg_member_size(const bson_iter_t *it, size_t limit)
{
	bson_t one = BSON_INITIALIZER;
	size_t len = 0;
	char *s;

	if (!bson_append_iter(&one, bson_iter_key(it), -1, it)) {
		bson_destroy(&one);
		return limit + 1;
	}
	s = mg_as_json(&one, limit + 8, &len);
	bson_destroy(&one);
	bson_free(s);
	if (!s)
		return limit + 1;
	/* "{ " + member + " }" for ", " + member */
	return len >= 4 ? len - 2 : len;
}

/* The value's size in BSON bytes (what a marker reports). bson_iter_t's
 * offsets are public members: d1 is where the value starts. */
static size_t mg_value_size(const bson_iter_t *it)
{
	return it->next_off > it->d1 ? it->next_off - it->d1 : 0;
}

static void mg_marker(bson_t *dst, const char *key, int klen, const char *text)
{
	bson_append_utf8(dst, key, klen, text, -1);
}

/* Copy src into dst (begun, not yet ended by the caller) keeping about
 * `budget` bytes of JSON, as the comment above says. arr: src is an array
 * (items keep their indexes; the summary is one more item). deep: the
 * document nests deeper than MG_JSON_DEPTH, so containers are always
 * descended into rather than copied whole. */
static void mg_trim(const bson_t *src, size_t budget, int depth, bool arr,
		    bool deep, bson_t *dst)
{
	bson_iter_t it;
	size_t left = budget, rest_k = 0, rest_n = 0;
	uint32_t idx = 0;

	if (!bson_iter_init(&it, src))
		return;
	while (bson_iter_next(&it)) {
		const char *key = bson_iter_key(&it);
		size_t klen = strlen(key), vsize = mg_value_size(&it), sz;
		bool box = BSON_ITER_HOLDS_DOCUMENT(&it) || BSON_ITER_HOLDS_ARRAY(&it);

		if (rest_k) {
			rest_k++;
			rest_n += vsize;
			continue;
		}
		if (box && depth + 1 >= MG_JSON_DEPTH) {
			sz = left + 1; /* too deep: a marker, whatever its size */
		} else if (vsize > 2 * left + 64 || (box && deep)) {
			sz = left + 1; /* JSON is never under half the BSON size */
		} else {
			sz = mg_member_size(&it, left);
		}
		if (sz <= left) {
			bson_append_iter(dst, key, (int)klen, &it);
			left -= sz;
			idx++;
			continue;
		}
		if (box && depth + 1 < MG_JSON_DEPTH && left >= MG_MIN_SUB + klen) {
			/* cut it into what is left, then count what it took */
			const uint8_t *data;
			uint32_t len;
			bson_t sub, part = BSON_INITIALIZER;
			bool sub_arr = BSON_ITER_HOLDS_ARRAY(&it);
			size_t used = 0;
			char *js;

			if (sub_arr)
				bson_iter_array(&it, &len, &data);
			else
				bson_iter_document(&it, &len, &data);
			if (bson_init_static(&sub, data, len))
				mg_trim(&sub, left - klen - 8, depth + 1, sub_arr, deep, &part);
			if (sub_arr)
				bson_append_array(dst, key, (int)klen, &part);
			else
				bson_append_document(dst, key, (int)klen, &part);
			js = mg_as_json(&part, (size_t)INT32_MAX - 1, &used);
			bson_free(js);
			bson_destroy(&part);
			used += klen + 6;
			left = used < left ? left - used : 0;
			idx++;
			continue;
		}
		if (left >= 32 + klen) {
			char m[64];

			snprintf(m, sizeof(m), "<truncated %zu bytes>", vsize);
			mg_marker(dst, key, (int)klen, m);
			left -= 32 + klen;
			idx++;
			continue;
		}
		rest_k = 1;
		rest_n = vsize;
	}
	if (rest_k) {
		char ik[16], m[96];
		const char *k = ik;
		size_t kl;

		snprintf(m, sizeof(m), arr ? "<%zu more items, %zu bytes>" :
			 "<%zu more fields, %zu bytes>", rest_k, rest_n);
		if (arr) {
			kl = bson_uint32_to_string(idx, &k, ik, sizeof(ik));
			mg_marker(dst, k, (int)kl, m);
		} else {
			mg_marker(dst, "$truncated", -1, m);
		}
	}
}

/* A double the event writer (3 decimals) would change. */
static bool mg_lossy(double d)
{
	char *s = NULL;
	size_t len = 0, cap = 0;
	bool lossy = true;

	if (adi_j_append_double(d, &s, &len, &cap) == 0 && s)
		lossy = strtod(s, NULL) != d;
	free(s);
	return lossy;
}

static bool mg_has_lossy(const struct adi_jval *v)
{
	switch (adi_j_type(v)) {
	case ADI_J_DOUBLE:
		return mg_lossy(adi_j_as_double(v, 0));
	case ADI_J_ARR:
	case ADI_J_OBJ:
		for (size_t i = 0; i < adi_j_len(v); i++)
			if (mg_has_lossy(adi_j_at(v, i)))
				return true;
		return false;
	default:
		return false;
	}
}

/* A deep copy of v (adi_j_copy) in which lossy doubles become
 * {"$numberDouble": s}, s the shortest text that reads back exactly. */
static struct adi_jval *mg_jcopy_fixed(const struct adi_jval *v)
{
	struct adi_jval *c;
	double d;

	switch (adi_j_type(v)) {
	case ADI_J_DOUBLE:
		d = adi_j_as_double(v, 0);
		if (mg_lossy(d)) {
			char s[40];

			for (int p = 15; p <= 17; p++) {
				snprintf(s, sizeof(s), "%.*g", p, d);
				if (strtod(s, NULL) == d)
					break;
			}
			c = adi_j_obj();
			adi_j_set_str(c, "$numberDouble", s);
			return c;
		}
		break;
	case ADI_J_ARR:
		c = adi_j_arr();
		for (size_t i = 0; c && i < adi_j_len(v); i++)
			adi_j_push(c, mg_jcopy_fixed(adi_j_at(v, i)));
		return c;
	case ADI_J_OBJ:
		c = adi_j_obj();
		for (size_t i = 0; c && i < adi_j_len(v); i++)
			adi_j_set(c, adi_j_key_at(v, i), mg_jcopy_fixed(adi_j_at(v, i)));
		return c;
	default:
		break;
	}
	return adi_j_copy(v);
}

/* JSON text -> tree, doubles fixed. NULL when it does not parse. */
static struct adi_jval *mg_parse_json(const char *s, size_t len)
{
	struct adi_jval *t = s ? adi_json_parse(s, len) : NULL, *f;

	if (t && mg_has_lossy(t)) {
		f = mg_jcopy_fixed(t);
		adi_j_free(t);
		t = f;
	}
	return t;
}

/* Compact JSON size of a tree. */
static size_t mg_jsize(const struct adi_jval *v)
{
	char *s = NULL;
	size_t len = 0, cap = 0;

	adi_j_append(v, &s, &len, &cap);
	free(s);
	return len;
}

/* The document as a JSON tree within `budget` bytes (*cut set when it had
 * to be cut). doc must have passed mg_doc_ok (deep: its answer). */
static struct adi_jval *mg_doc_json(const bson_t *doc, size_t budget, bool deep,
				    bool *cut)
{
	struct adi_jval *t = NULL;
	size_t len = 0;
	char *s;
	bson_t small;

	if (!deep) {
		/* libbson's spaced text is under twice the compact one */
		s = mg_as_json(doc, 2 * budget + 64, &len);
		if (s && len < 2 * budget + 64) {
			t = mg_parse_json(s, len);
			if (t && mg_jsize(t) > budget) {
				adi_j_free(t);
				t = NULL;
			}
		}
		bson_free(s);
		if (t)
			return t;
	}
	*cut = true;
	bson_init(&small);
	mg_trim(doc, budget, 0, false, deep, &small);
	s = mg_as_json(&small, (size_t)INT32_MAX - 1, &len);
	bson_destroy(&small);
	t = mg_parse_json(s, len);
	bson_free(s);
	if (!t) {
		char m[64];

		snprintf(m, sizeof(m), "<undecodable %u bytes>", doc->len);
		t = adi_j_str(m);
	}
	return t;
}

/* ---- message bodies ---- */

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

static void mg_dec_free(struct mg_dec *d)
{
	if (d->doc)
		bson_destroy(d->doc);
	free(d->db);
	free(d->coll);
	free(d->op);
}

static void mg_err(struct mg_dec *d, const char *what)
{
	if (!d->err[0])
		snprintf(d->err, sizeof(d->err), "%s", what);
}

/* s[0..n) as an owned C string, or NULL when it is not UTF-8. */
static char *mg_strdup_utf8(const char *s, size_t n)
{
	char *c;

	if (!bson_utf8_validate(s, n, false) || !(c = malloc(n + 1)))
		return NULL;
	memcpy(c, s, n);
	c[n] = '\0';
	return c;
}

/* Database and collection of a namespace "db.coll" (no dot: all db). */
static void mg_namespace(struct mg_dec *d, const uint8_t *wire, size_t n)
{
	const char *ns = (const char *)wire, *dot = memchr(ns, '.', n);

	free(d->db);
	free(d->coll);
	d->db = mg_strdup_utf8(ns, dot ? (size_t)(dot - ns) : n);
	d->coll = dot ? mg_strdup_utf8(dot + 1, n - (size_t)(dot + 1 - ns)) : NULL;
}

/* Set the message document, after checking it; an invalid one is counted
 * in decode_error and not shown. */
static void mg_set_doc(struct mg_dec *d, bson_t *doc)
{
	bool deep;

	if (!doc)
		return;
	if (!mg_doc_ok(doc, &deep)) {
		mg_err(d, "invalid BSON");
		bson_destroy(doc);
		return;
	}
	d->doc = doc;
	d->deep = deep;
}

/* OP_MSG (after the header):
 *
 *   uint32 flagBits       bit 0 checksumPresent, bit 1 moreToCome,
 *                         bit 16 exhaustAllowed; other bits 0-15 must be 0
 *   Sections[]            until the end (or the checksum):
 *     uint8 kind 0        document body                (exactly one)
 *     uint8 kind 1        int32 size (itself included) | cstring identifier |
 *                         document* (e.g. insert's "documents")
 *   [uint32 checksum]     CRC-32C of all bytes before it, header included
 *
 * The body becomes the document; each kind-1 sequence is merged into it as
 * an array member named by its identifier. full: all bytes are there (else
 * the sections wholly present are used). */
static void mg_dec_msg(struct mg_dec *d, const uint8_t *b, size_t n, bool full)
{
	struct adi_cur all = adi_cur_make(b, n), c;
	bson_t body, *doc;
	bool has_body = false, crc;
	uint32_t flags;
	struct {
		const uint8_t *id;     /* the identifier (borrowed) */
		size_t idlen;
		struct adi_cur docs;   /* its documents */
	} seq[8];
	unsigned nseq = 0;

	if (!adi_cur_le32(&all, &flags)) {
		mg_err(d, "OP_MSG cut short");
		return;
	}
	d->more = flags & MG_MORE;
	d->exhaust = flags & MG_EXHAUST;
	crc = (flags & MG_CHECKSUM) && full;
	if (crc && n < 4 + 4) {
		mg_err(d, "OP_MSG cut short");
		return;
	}
	/* the sections: all that is left but the checksum */
	adi_cur_sub(&all, adi_cur_left(&all) - (crc ? 4 : 0), &c);
	while (adi_cur_left(&c)) {
		uint8_t kind;
		uint32_t size;
		const uint8_t *id;
		size_t idlen;
		struct adi_cur s;

		adi_cur_u8(&c, &kind);
		if (kind == 0) {
			if (has_body) {
				mg_err(d, "OP_MSG with two body sections");
				break;
			}
			if (!mg_rd_doc(&c, &body)) {
				if (full)
					mg_err(d, "OP_MSG body section malformed");
				break;
			}
			has_body = true;
		} else if (kind == 1) {
			/* the size counts itself */
			if (!adi_cur_le32(&c, &size) || size < 5 || !adi_cur_sub(&c, size - 4, &s)) {
				if (full)
					mg_err(d, "OP_MSG document sequence malformed");
				break;
			}
			if (!adi_cur_cstr(&s, &id, &idlen) || nseq == 8) {
				mg_err(d, nseq == 8 ? "OP_MSG with over 8 document sequences" :
				       "OP_MSG document sequence malformed");
				break;
			}
			seq[nseq].id = id;
			seq[nseq].idlen = idlen;
			seq[nseq++].docs = s;
		} else {
			mg_err(d, "OP_MSG section of unknown kind");
			break;
		}
	}
	if (!has_body) {
		if (full)
			mg_err(d, "OP_MSG without a body section");
		return;
	}
	doc = bson_new();
	bson_concat(doc, &body);
	for (unsigned i = 0; i < nseq; i++) {
		const char *id = (const char *)seq[i].id;
		struct adi_cur s = seq[i].docs;
		bson_t arr, one;
		uint32_t k = 0;

		if (!bson_utf8_validate(id, seq[i].idlen, false)) {
			mg_err(d, "OP_MSG sequence identifier not UTF-8");
			continue;
		}
		bson_append_array_begin(doc, id, (int)seq[i].idlen, &arr);
		while (adi_cur_left(&s)) {
			char ik[16];
			const char *key = ik;
			size_t kl;

			if (!mg_rd_doc(&s, &one)) {
				mg_err(d, "OP_MSG document sequence malformed");
				break;
			}
			kl = bson_uint32_to_string(k++, &key, ik, sizeof(ik));
			bson_append_document(&arr, key, (int)kl, &one);
		}
		bson_append_array_end(doc, &arr);
	}
	mg_set_doc(d, doc);
}

/* OP_QUERY (after the header): int32 flags | cstring fullCollectionName |
 * int32 numberToSkip | int32 numberToReturn | document query |
 * [document returnFieldsSelector]. On "<db>.$cmd" the query is a command
 * (wrapped as {"$query": {...}, "$readPreference": ...} by some drivers:
 * unwrapped). */
static void mg_dec_query(struct mg_dec *d, const uint8_t *b, size_t n, bool full)
{
	struct adi_cur c = adi_cur_make(b, n);
	const uint8_t *ns;
	size_t nslen;
	bson_t q, inner;
	const bson_t *cmd = &q;
	bson_iter_t it;

	if (!adi_cur_skip(&c, 4) || !adi_cur_cstr(&c, &ns, &nslen)) {
		mg_err(d, "OP_QUERY cut short");
		return;
	}
	mg_namespace(d, ns, nslen);
	d->query = true;
	d->cmd_query = d->coll && !strcmp(d->coll, "$cmd");
	if (!adi_cur_skip(&c, 8) || !mg_rd_doc(&c, &q)) {
		if (full)
			mg_err(d, "OP_QUERY query malformed");
		return;
	}
	if (d->cmd_query && bson_iter_init(&it, &q) && bson_iter_next(&it) &&
	    BSON_ITER_HOLDS_DOCUMENT(&it) &&
	    (!strcmp(bson_iter_key(&it), "$query") || !strcmp(bson_iter_key(&it), "query"))) {
		const uint8_t *data;
		uint32_t len;

		bson_iter_document(&it, &len, &data);
		if (bson_init_static(&inner, data, len))
			cmd = &inner;
	}
	mg_set_doc(d, bson_copy(cmd));
}

/* OP_REPLY (after the header): int32 responseFlags (bit 1 QueryFailure) |
 * int64 cursorID | int32 startingFrom | int32 numberReturned | document*.
 * One document (a command's reply) is the reply; any other number is shown
 * as {"documents": [...]}. */
static void mg_dec_reply(struct mg_dec *d, const uint8_t *b, size_t n, bool full)
{
	struct adi_cur c = adi_cur_make(b, n);
	uint32_t count;
	bson_t one, arr, *doc;

	if (!adi_cur_le32(&c, &d->rflags) || !adi_cur_skip(&c, 12) || !adi_cur_le32(&c, &count)) {
		mg_err(d, "OP_REPLY cut short");
		return;
	}
	if (count == 1) {
		if (mg_rd_doc(&c, &one))
			mg_set_doc(d, bson_copy(&one));
		else if (full)
			mg_err(d, "OP_REPLY document malformed");
		return;
	}
	doc = bson_new();
	bson_append_array_begin(doc, "documents", -1, &arr);
	for (uint32_t k = 0; k < count; k++) {
		char ik[16];
		const char *key = ik;
		size_t kl;

		if (!mg_rd_doc(&c, &one)) {
			if (full)
				mg_err(d, "OP_REPLY document malformed");
			break;
		}
		kl = bson_uint32_to_string(k, &key, ik, sizeof(ik));
		bson_append_document(&arr, key, (int)kl, &one);
	}
	bson_append_array_end(doc, &arr);
	mg_set_doc(d, doc);
}

/* The legacy opcodes MongoDB 6.0 removed: only their name and namespace
 * (OP_UPDATE, OP_GET_MORE, OP_DELETE: int32 ZERO | cstring; OP_INSERT:
 * int32 flags | cstring; OP_KILL_CURSORS has none). */
static void mg_dec_legacy(struct mg_dec *d, uint32_t op, const uint8_t *b, size_t n)
{
	static const char *const names[] = {
		"OP_UPDATE", "OP_INSERT", NULL, NULL, "OP_GET_MORE", "OP_DELETE",
		"OP_KILL_CURSORS",
	};
	struct adi_cur c = adi_cur_make(b, n);
	const uint8_t *ns;
	size_t nslen;

	free(d->op);
	d->op = strdup(names[op - OP_UPDATE]);
	if (op != OP_KILL_CURSORS && adi_cur_skip(&c, 4) && adi_cur_cstr(&c, &ns, &nslen))
		mg_namespace(d, ns, nslen);
}

/* The first member of the document at c: its key (the command name) and,
 * when it is a string, its value. For messages not kept whole. */
static void mg_peek_first(struct mg_dec *d, struct adi_cur *c)
{
	uint8_t type;
	uint32_t slen;
	const uint8_t *key, *str;
	size_t klen;

	if (!adi_cur_skip(c, 4) || !adi_cur_u8(c, &type) || !type ||
	    !adi_cur_cstr(c, &key, &klen))
		return;
	d->op = mg_strdup_utf8((const char *)key, klen);
	/* a string: int32 length (its NUL included), the bytes, NUL */
	if (type == BSON_TYPE_UTF8 && adi_cur_le32(c, &slen) && slen >= 1 &&
	    adi_cur_bytes(c, slen, &str)) {
		free(d->coll);
		d->coll = mg_strdup_utf8((const char *)str, slen - 1);
	}
}

/* What the first bytes of a skipped (over the cap) message tell. */
static void mg_peek(struct mg_dec *d, uint32_t op, const uint8_t *b, size_t n)
{
	struct adi_cur c = adi_cur_make(b, n);
	uint8_t kind;
	uint32_t size;
	const uint8_t *ns;
	size_t nslen;

	if (op == OP_MSG) {
		if (!adi_cur_skip(&c, 4))
			return;
		while (adi_cur_u8(&c, &kind)) {
			if (kind == 0) {
				mg_peek_first(d, &c);
				return;
			}
			if (kind != 1 || !adi_cur_le32(&c, &size) || size < 4 ||
			    !adi_cur_skip(&c, size - 4))
				return;
		}
	} else if (op == OP_QUERY) {
		if (!adi_cur_skip(&c, 4) || !adi_cur_cstr(&c, &ns, &nslen))
			return;
		mg_namespace(d, ns, nslen);
		d->query = true;
		d->cmd_query = d->coll && !strcmp(d->coll, "$cmd");
		if (adi_cur_skip(&c, 8) && d->cmd_query) {
			free(d->coll);
			d->coll = NULL;
			mg_peek_first(d, &c);
		}
	}
}

/* CRC-32C (Castagnoli, reflected 0x82f63b78), as OP_MSG's checksum. */
static uint32_t mg_crc32c(const uint8_t *b, size_t n)
{
	uint32_t t[256], c = 0xffffffffu;

	for (uint32_t i = 0; i < 256; i++) {
		uint32_t v = i;

		for (int k = 0; k < 8; k++)
			v = v >> 1 ^ (0x82f63b78u & (0u - (v & 1)));
		t[i] = v;
	}
	for (size_t i = 0; i < n; i++)
		c = t[(c ^ b[i]) & 0xff] ^ c >> 8;
	return ~c;
}

static const char *const mg_compressors[4] = { "noop", "snappy", "zlib", "zstd" };

/* OP_COMPRESSED's data, decompressed into a new buffer of exactly usize
 * bytes (the original message without its header), or NULL with
 * decode_error set. usize over MG_MAX_KEEP is refused. */
static uint8_t *mg_decompress(struct mg_dec *d, uint8_t id, const uint8_t *src,
			      size_t n, uint32_t usize)
{
	uint8_t *out;
	bool ok = false;

	if (usize > MG_MAX_KEEP) {
		snprintf(d->err, sizeof(d->err),
			 "uncompressed size %u over the %u-byte cap", usize, MG_MAX_KEEP);
		d->cut = true;
		return NULL;
	}
	out = malloc(usize ? usize : 1);
	if (!out) {
		mg_err(d, "out of memory");
		return NULL;
	}
	switch (id) {
	case 0:
		ok = n == usize;
		if (ok && n)
			memcpy(out, src, n);
		break;
	case 1: {
		size_t ul = 0, ol = usize;

		ok = snappy_uncompressed_length((const char *)src, n, &ul) == SNAPPY_OK &&
		     ul == usize &&
		     snappy_uncompress((const char *)src, n, (char *)out, &ol) == SNAPPY_OK &&
		     ol == usize;
		break;
	}
	case 2: {
		uLongf ol = usize;

		ok = uncompress(out, &ol, src, (uLong)n) == Z_OK && ol == usize;
		break;
	}
	case 3: {
		size_t r = ZSTD_decompress(out, usize, src, n);

		ok = !ZSTD_isError(r) && r == usize;
		break;
	}
	default:
		break;
	}
	if (!ok) {
		snprintf(d->err, sizeof(d->err), "%s: cannot decompress",
			 id < 4 ? mg_compressors[id] : "compressor");
		free(out);
		return NULL;
	}
	return out;
}

/* Decode the body b[0..n) of a message of opcode op (full: all of it). */
static void mg_dec_body(struct mg_dec *d, uint32_t op, const uint8_t *b, size_t n,
			bool full)
{
	switch (op) {
	case OP_MSG:
		mg_dec_msg(d, b, n, full);
		break;
	case OP_QUERY:
		mg_dec_query(d, b, n, full);
		break;
	case OP_REPLY:
		mg_dec_reply(d, b, n, full);
		break;
	case OP_COMPRESSED:
		mg_err(d, "OP_COMPRESSED inside OP_COMPRESSED");
		break;
	default:
		if (op >= OP_UPDATE && op <= OP_KILL_CURSORS && op != 2003)
			mg_dec_legacy(d, op, b, n);
		else
			mg_err(d, "unknown opcode");
		break;
	}
}

/* Decode the side's message: the bytes kept (all of it, or a prefix when
 * bytes were lost or it is over the cap). */
static void mg_decode(struct mg_side *sd, struct mg_dec *d)
{
	size_t avail = sd->have < sd->lost_at ? sd->have : (size_t)sd->lost_at;
	bool full = !sd->over && avail == sd->len;
	const uint8_t *body = sd->buf + MG_HDR;
	size_t blen = avail > MG_HDR ? avail - MG_HDR : 0;

	if (sd->over) {
		snprintf(d->err, sizeof(d->err), "message of %u bytes over the %u-byte cap",
			 sd->len, MG_MAX_KEEP);
		d->cut = true;
	}
	if (sd->op == OP_COMPRESSED) {
		struct adi_cur c = adi_cur_make(body, blen);
		uint32_t orig, usize;
		uint8_t id;
		uint8_t *plain;

		if (!adi_cur_le32(&c, &orig) || !adi_cur_le32(&c, &usize) || !adi_cur_u8(&c, &id)) {
			mg_err(d, "OP_COMPRESSED cut short");
			return;
		}
		d->compressor = id < 4 ? mg_compressors[id] : NULL;
		if (!full) {
			mg_err(d, "compressed message incomplete");
			return;
		}
		plain = mg_decompress(d, id, adi_cur_ptr(&c), adi_cur_left(&c), usize);
		if (plain)
			mg_dec_body(d, orig, plain, usize, true);
		free(plain);
		return;
	}
	if (sd->over) {
		mg_peek(d, (uint32_t)sd->op, body, blen);
		return;
	}
	mg_dec_body(d, (uint32_t)sd->op, body, blen, full);
	if (full && sd->op == OP_MSG && (adi_ld_le32(body) & MG_CHECKSUM) && sd->len >= MG_HDR + 8)
		d->checksum_bad = mg_crc32c(sd->buf, sd->len - 4) != adi_ld_le32(sd->buf + sd->len - 4);
}

/* ---- a message's fields ---- */

/* n cut to at most max bytes, not inside a UTF-8 sequence. */
static size_t mg_utf8_cut(const char *s, size_t n, size_t max)
{
	if (n <= max)
		return n;
	while (max > 0 && ((uint8_t)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

/* The error of a reply document: "code: errmsg" when ok is 0 (or the
 * legacy QueryFailure flag / $err), else the first write error ("code:
 * errmsg (+N more write errors)"), else a write concern error
 * ("writeConcernError code: errmsg"); NULL when none. */
static struct adi_jval *mg_error_of(const bson_t *doc, bool failed)
{
	bson_iter_t it, sub;
	const bson_t *src = doc;
	bson_t one;
	const char *msg = NULL, *prefix = "";
	uint32_t mlen = 0, nerr = 0;
	int64_t code = 0;
	bool has_code = false;
	char *text;
	struct adi_jval *v;
	size_t k;

	if (!failed && bson_iter_init_find(&it, doc, "$err"))
		failed = true;
	if (!failed) {
		const uint8_t *data;
		uint32_t len;

		src = NULL;
		if (bson_iter_init_find(&it, doc, "writeErrors") && BSON_ITER_HOLDS_ARRAY(&it) &&
		    bson_iter_recurse(&it, &sub)) {
			while (bson_iter_next(&sub)) {
				if (!nerr++ && BSON_ITER_HOLDS_DOCUMENT(&sub)) {
					bson_iter_document(&sub, &len, &data);
					if (bson_init_static(&one, data, len))
						src = &one;
				}
			}
		}
		if (!src && bson_iter_init_find(&it, doc, "writeConcernError") &&
		    BSON_ITER_HOLDS_DOCUMENT(&it)) {
			bson_iter_document(&it, &len, &data);
			if (bson_init_static(&one, data, len))
				src = &one;
			prefix = "writeConcernError ";
		}
		if (!src)
			return NULL;
	}
	if (bson_iter_init_find(&it, src, "code") && BSON_ITER_HOLDS_NUMBER(&it)) {
		code = bson_iter_as_int64(&it);
		has_code = true;
	}
	if ((bson_iter_init_find(&it, src, "errmsg") || bson_iter_init_find(&it, src, "$err")) &&
	    BSON_ITER_HOLDS_UTF8(&it))
		msg = bson_iter_utf8(&it, &mlen);
	k = msg ? mg_utf8_cut(msg, mlen, MG_MAX_ERR) : 0;
	text = malloc(k + 96);
	if (!text)
		return NULL;
	if (has_code && msg)
		snprintf(text, k + 96, "%s%lld: %.*s", prefix, (long long)code, (int)k, msg);
	else if (msg)
		snprintf(text, k + 96, "%s%.*s", prefix, (int)k, msg);
	else if (has_code)
		snprintf(text, k + 96, "%s%lld", prefix, (long long)code);
	else
		snprintf(text, k + 96, "%scommand failed", prefix);
	if (nerr > 1)
		snprintf(text + strlen(text), 48, " (+%u more write errors)", nerr - 1);
	v = adi_j_str(text);
	free(text);
	return v;
}

static void mg_redact(struct adi_jval *o, const char *key)
{
	if (adi_j_get(o, key))
		adi_j_set_str(o, key, "<redacted>");
}

/* Credentials in a command: SASL payloads (saslStart, saslContinue,
 * copydbsaslstart, and a hello's speculativeAuthenticate), the MONGODB-CR
 * key (authenticate, copydb), passwords of createUser / updateUser. */
static void mg_redact_cmd(struct adi_jval *cmd, const char *op)
{
	struct adi_jval *sa = adi_j_get(cmd, "speculativeAuthenticate");

	if (adi_j_type(cmd) != ADI_J_OBJ)
		return;
	if (op && (!strcmp(op, "saslStart") || !strcmp(op, "saslContinue") ||
		   !strcasecmp(op, "copydbsaslstart")))
		mg_redact(cmd, "payload");
	if (op && (!strcmp(op, "authenticate") || !strcasecmp(op, "copydb")))
		mg_redact(cmd, "key");
	if (op && (!strcmp(op, "createUser") || !strcmp(op, "updateUser")))
		mg_redact(cmd, "pwd");
	if (adi_j_type(sa) == ADI_J_OBJ) {
		mg_redact(sa, "payload");
		mg_redact(sa, "key");
	}
}

/* ... and in a reply: the server's SASL payload, also inside a hello
 * reply's speculativeAuthenticate. */
static void mg_redact_reply(struct adi_jval *r)
{
	struct adi_jval *sa = adi_j_get(r, "speculativeAuthenticate");

	if (adi_j_type(r) != ADI_J_OBJ)
		return;
	mg_redact(r, "payload");
	if (adi_j_type(sa) == ADI_J_OBJ)
		mg_redact(sa, "payload");
}

/* The string value of key in doc, or NULL (borrowed from doc). */
static const char *mg_get_utf8(const bson_t *doc, const char *key)
{
	bson_iter_t it;

	if (doc && bson_iter_init_find(&it, doc, key) && BSON_ITER_HOLDS_UTF8(&it))
		return bson_iter_utf8(&it, NULL);
	return NULL;
}

/* The message's document as shown (bounded); *cut when cut. */
static struct adi_jval *mg_shown(const struct mg_dec *d, const struct adi_proto_cfg *cfg,
				 bool *cut)
{
	if (!d->doc)
		return adi_j_null();
	return mg_doc_json(d->doc, cfg->body_bytes, d->deep, cut);
}

/* The fields every message carries besides its own: the sender's
 * requestID (`_rid`) and moreToCome (`_more`), which stitch() uses and
 * does not show, and what went wrong. */
static void mg_common(struct adi_jval *f, const struct mg_side *sd, const struct mg_dec *d)
{
	if (d->compressor)
		adi_j_set_str(f, "compressor", d->compressor);
	if (d->err[0])
		adi_j_set_str(f, "decode_error", d->err);
	if (d->checksum_bad)
		adi_j_set_bool(f, "checksum_error", true);
	adi_j_set_int(f, "_rid", sd->rid);
	adi_j_set_bool(f, "_more", d->more);
}

static struct adi_jval *mg_req_fields(const struct adi_proto_cfg *cfg,
				      const struct mg_side *sd, struct mg_dec *d)
{
	struct adi_jval *f = adi_j_obj(), *cmd;
	const char *op = d->op, *db = d->db, *coll = d->coll;
	bson_iter_t it;
	bool cut = d->cut;

	if (!f)
		return NULL;
	if (d->query && !d->cmd_query) {
		op = "query"; /* a legacy find on db.coll */
	} else if (d->doc && bson_iter_init(&it, d->doc) && bson_iter_next(&it)) {
		op = bson_iter_key(&it);
		coll = BSON_ITER_HOLDS_UTF8(&it) ? bson_iter_utf8(&it, NULL) : NULL;
		if (!strcmp(op, "getMore"))
			coll = mg_get_utf8(d->doc, "collection");
		if (mg_get_utf8(d->doc, "$db"))
			db = mg_get_utf8(d->doc, "$db");
	}
	adi_j_set_str(f, "op", op);
	adi_j_set_str(f, "database", db);
	adi_j_set_str(f, "collection", coll);
	cmd = mg_shown(d, cfg, &cut);
	if (!cfg->show_secrets)
		mg_redact_cmd(cmd, op);
	adi_j_set(f, "command", cmd);
	adi_j_set_bool(f, "truncated", cut);
	if (d->exhaust)
		adi_j_set_bool(f, "exhaust_allowed", true);
	mg_common(f, sd, d);
	return f;
}

static struct adi_jval *mg_reply_fields(const struct adi_proto_cfg *cfg,
					const struct mg_side *sd, struct mg_dec *d)
{
	struct adi_jval *f = adi_j_obj(), *r, *err = NULL;
	bool cut = d->cut, failed = d->rflags & MG_QUERY_FAILURE;
	bson_iter_t it;

	if (!f)
		return NULL;
	r = mg_shown(d, cfg, &cut);
	if (!cfg->show_secrets)
		mg_redact_reply(r);
	adi_j_set(f, "reply", r);
	if (d->doc && bson_iter_init_find(&it, d->doc, "ok")) {
		failed |= !bson_iter_as_bool(&it);
		adi_j_set_bool(f, "ok", !failed);
	} else if (d->doc || failed) {
		/* no ok member (a legacy query's results): ok unless failed */
		adi_j_set_bool(f, "ok", !failed && !(d->doc && mg_get_utf8(d->doc, "$err")));
	} else {
		adi_j_set_null(f, "ok");
	}
	if (d->doc)
		err = mg_error_of(d->doc, failed);
	adi_j_set(f, "error", err ? err : adi_j_null());
	adi_j_set_bool(f, "truncated", cut);
	mg_common(f, sd, d);
	return f;
}

/* ---- framing: one message at a time ---- */

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

/* ---- pairing ---- */

static const char *mg_jstr(const struct adi_jval *o, const char *k)
{
	return adi_j_get_str(o, k, NULL);
}

static bool mg_jtrue(const struct adi_jval *o, const char *k)
{
	return adi_j_as_bool(adi_j_get(o, k), false);
}

/* Move member k out of o (null when absent). */
static struct adi_jval *mg_take(struct adi_jval *o, const char *k)
{
	struct adi_jval *v = adi_j_take(o, k);

	return v ? v : adi_j_null();
}

/* One mongo_command event: the request's fields rq (borrowed, or NULL when
 * it was not seen) and the reply rs (or NULL: none, or not seen). idx > 0:
 * the idx-th further reply of an exhaust stream. */
static void mg_emit(struct adi_emit *em, const struct adi_jval *rq, bool rq_incomplete,
		    struct adi_msg *rs, uint64_t ts0, int64_t ts1, int64_t request_id,
		    unsigned idx)
{
	struct adi_jval *f = rs ? rs->fields : NULL, *ev = adi_j_obj(), *cz;
	const char *rc = mg_jstr(rq, "compressor"), *sc = mg_jstr(f, "compressor");
	const char *err = mg_jstr(rq, "decode_error");

	if (!ev)
		return;
	adi_j_set(ev, "op", adi_j_copy(adi_j_get(rq, "op")));
	adi_j_set(ev, "database", adi_j_copy(adi_j_get(rq, "database")));
	adi_j_set(ev, "collection", adi_j_copy(adi_j_get(rq, "collection")));
	adi_j_set(ev, "command", adi_j_copy(adi_j_get(rq, "command")));
	adi_j_set(ev, "reply", mg_take(f, "reply"));
	adi_j_set(ev, "ok", mg_take(f, "ok"));
	adi_j_set(ev, "error", mg_take(f, "error"));
	adi_j_set_int(ev, "request_id", request_id);
	adi_j_set_bool(ev, "truncated", mg_jtrue(rq, "truncated") || mg_jtrue(f, "truncated"));
	if (rq_incomplete || (rs && rs->incomplete))
		adi_j_set_bool(ev, "incomplete", true);
	if (rc || sc) {
		cz = adi_j_obj();
		adi_j_set_str(cz, "request", rc);
		adi_j_set_str(cz, "reply", sc);
		adi_j_set(ev, "compressed", cz);
	}
	if (mg_jtrue(rq, "_more"))
		adi_j_set_bool(ev, "unacknowledged", true);
	if (mg_jtrue(rq, "exhaust_allowed"))
		adi_j_set_bool(ev, "exhaust_allowed", true);
	if (mg_jtrue(f, "_more"))
		adi_j_set_bool(ev, "more_to_come", true);
	if (idx)
		adi_j_set_int(ev, "reply_index", idx);
	if (!err)
		err = mg_jstr(f, "decode_error");
	if (err)
		adi_j_set_str(ev, "decode_error", err);
	if (mg_jtrue(rq, "checksum_error") || mg_jtrue(f, "checksum_error"))
		adi_j_set_bool(ev, "checksum_error", true);
	em->event(em, "mongo_command", ts0, ts1, ev);
}

/* Pop the head request and emit it with no reply. */
static void mg_emit_request(struct adi_emit *em, struct adi_msgq *q)
{
	struct adi_msg *m = adi_msgq_pop(q);

	mg_emit(em, m->fields, m->incomplete, NULL, m->ts_first, -1,
		adi_j_get_int(m->fields, "_rid", 0), 0);
	adi_msg_free(m);
}

static void mg_stream_end(struct mg_stream *s)
{
	adi_j_free(s->req);
	memset(s, 0, sizeof(*s));
}

/* The reply rs (moreToCome set) starts an exhaust stream of request rq. */
static void mg_stream_start(struct mongo_state *st, const struct adi_msg *rq,
			    const struct adi_msg *rs)
{
	struct mg_stream *s = NULL;

	for (unsigned i = 0; i < MG_STREAMS && !s; i++)
		if (!st->streams[i].on)
			s = &st->streams[i];
	if (!s) { /* all taken: the oldest slot in turn */
		s = &st->streams[st->next_stream++ % MG_STREAMS];
		mg_stream_end(s);
	}
	s->on = true;
	s->next_rto = (uint32_t)adi_j_get_int(rs->fields, "_rid", 0);
	s->request_id = (int32_t)adi_j_get_int(rq->fields, "_rid", 0);
	s->seq = 0;
	s->req = adi_j_copy(rq->fields);
}

static struct mg_stream *mg_stream_find(struct mongo_state *st, uint64_t key)
{
	for (unsigned i = 0; i < MG_STREAMS; i++)
		if (st->streams[i].on && st->streams[i].next_rto == key)
			return &st->streams[i];
	return NULL;
}

/* stitch(): a reply pairs with the queued request whose requestID its
 * responseTo names (not by order). The server answers one request at a
 * time, so requests queued before that one lost their reply: they are
 * emitted alone. A reply with moreToCome starts an exhaust stream: each
 * further reply names the previous reply's requestID and becomes an event
 * of its own with the same request fields and request_id, "reply_index"
 * 1, 2, ... and "more_to_come" while more follow. A request with
 * moreToCome expects no reply and is emitted at once ("unacknowledged").
 * A reply nobody asked for (attached mid-stream) is emitted alone, unless
 * its request is still arriving. Unanswered requests wait for final (at
 * most MG_MAX_PENDING of them). */
static void mongo_stitch(void *vst, struct adi_msgq *out_q, struct adi_msgq *in_q,
			 struct adi_emit *em, bool final)
{
	struct mongo_state *st = vst;
	struct adi_msgq *rq_q = st->server ? in_q : out_q;
	struct adi_msgq *rs_q = st->server ? out_q : in_q;

	for (;;) {
		struct adi_msg *rs = rs_q->head, *rq;
		struct mg_stream *s;

		if (rq_q->head && mg_jtrue(rq_q->head->fields, "_more")) {
			mg_emit_request(em, rq_q);
			continue;
		}
		if (!rs) {
			if (!rq_q->head || (!final && rq_q->len <= MG_MAX_PENDING))
				return;
			mg_emit_request(em, rq_q);
			continue;
		}
		/* (a request that started after the reply ended is another
		 * one that reuses the id: the reply's was lost) */
		for (rq = rq_q->head; rq; rq = rq->next)
			if (rq->key == rs->key && rq->ts_first <= rs->ts_last)
				break;
		if (rq) {
			while (rq_q->head != rq)
				mg_emit_request(em, rq_q);
			rq = adi_msgq_pop(rq_q);
			rs = adi_msgq_pop(rs_q);
			if (mg_jtrue(rs->fields, "_more"))
				mg_stream_start(st, rq, rs);
			mg_emit(em, rq->fields, rq->incomplete, rs, rq->ts_first,
				(int64_t)rs->ts_last, adi_j_get_int(rq->fields, "_rid", 0), 0);
			adi_msg_free(rq);
			adi_msg_free(rs);
			continue;
		}
		if ((s = mg_stream_find(st, rs->key))) {
			rs = adi_msgq_pop(rs_q);
			mg_emit(em, s->req, false, rs, rs->ts_first, (int64_t)rs->ts_last,
				s->request_id, ++s->seq);
			if (mg_jtrue(rs->fields, "_more"))
				s->next_rto = (uint32_t)adi_j_get_int(rs->fields, "_rid", 0);
			else
				mg_stream_end(s);
			adi_msg_free(rs);
			continue;
		}
		if (!final && st->inprog && st->inprog_rid == rs->key)
			return; /* its request is still arriving */
		rs = adi_msgq_pop(rs_q);
		mg_emit(em, NULL, false, rs, rs->ts_first, (int64_t)rs->ts_last,
			(int32_t)(uint32_t)rs->key, 0);
		adi_msg_free(rs);
	}
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
	.stitch = mongo_stitch,
	.fini = mongo_fini,
};
