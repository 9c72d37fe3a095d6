/* body.c - the MongoDB decoder's message bodies (after the 16-byte header):
 * OP_MSG sections (a body document, document sequences merged into it, the
 * CRC-32C checked), OP_QUERY (a command on "<db>.$cmd", else a legacy
 * find), OP_REPLY, the names of the legacy opcodes, OP_COMPRESSED
 * decompressed (snappy, zlib, zstd) and decoded as its original opcode, and
 * the first bytes of a message over the cap. Everything is read through
 * lib/cursor.h; the result is a struct mg_dec whose document values.c
 * shows. Owns nothing beyond the call (mg_dec's members are the caller's).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include "../../lib/cursor.h"
#include "mg.h"

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

/* mg_dec_free(): see mg.h. */
void mg_dec_free(struct mg_dec *d)
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

/* mg_decode(): see mg.h. */
void mg_decode(const struct mg_side *sd, struct mg_dec *d)
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
