/* test_mongo.c - unit tests of the MongoDB decoder (src/proto/mongo/).
 * Messages are framed here by hand from the wire protocol reference
 * (https://www.mongodb.com/docs/manual/reference/mongodb-wire-protocol/):
 * header, OP_MSG sections, OP_QUERY / OP_REPLY bodies, OP_COMPRESSED with
 * zlib, zstd and snappy, and the OP_MSG CRC-32C, around BSON documents built
 * with libbson. Each fixture goes through the shared driver
 * (tests/support/pdrive.h: whole, 1-byte pieces, split at every offset, and
 * through the real engine) and must give the events written out below from
 * the spec and docs/events.md. Sniffer tests check MongoDB's first bytes claim
 * and other protocols' do not.
 * With ADI_SEED_DIR=<dir> the fixtures are written there as seeds of
 * fuzz/fuzz_mongo.c ("mongo-<test name>").
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bson/bson.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>
#include <cmocka.h>

#include "pdrive.h"
#include "lib/cursor.h"
#include "lib/json.h"
#include "proto/mongo.h"
#include "proto/proto.h"

#define FIX(segs_, body_, secrets_, server_) \
	{ .name = __func__, .proto = &adi_proto_mongo, .segs = (segs_), \
	  .nsegs = PD_NSEG(segs_), \
	  .cfg = { .body_bytes = (body_), .rows_sample = 5, .show_secrets = (secrets_) }, \
	  .server = (server_) }

/* ---- message builders ---- */

/* A message being framed (bytes owned). */
struct wb {
	uint8_t *b;
	size_t n, cap;
};

static void wb_put(struct wb *w, const void *p, size_t k)
{
	if (w->n + k > w->cap) {
		w->cap = (w->n + k) * 2 + 64;
		w->b = realloc(w->b, w->cap);
		assert_non_null(w->b);
	}
	if (k)
		memcpy(w->b + w->n, p, k);
	w->n += k;
}

/* Store v little-endian at p. */
static void st_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void wb_u32(struct wb *w, uint32_t v)
{
	uint8_t le[4];

	st_le32(le, v);
	wb_put(w, le, 4);
}

static void wb_u8(struct wb *w, uint8_t v)
{
	wb_put(w, &v, 1);
}

static void wb_cstr(struct wb *w, const char *s)
{
	wb_put(w, s, strlen(s) + 1);
}

/* Append a document's bytes and destroy it. */
static void wb_doc(struct wb *w, bson_t *d)
{
	assert_non_null(d);
	wb_put(w, bson_get_data(d), d->len);
	bson_destroy(d);
}

/* MsgHeader with messageLength patched by wb_end. */
static struct wb wb_hdr(int32_t rid, int32_t rto, int32_t op)
{
	struct wb w = { 0 };

	wb_u32(&w, 0);
	wb_u32(&w, (uint32_t)rid);
	wb_u32(&w, (uint32_t)rto);
	wb_u32(&w, (uint32_t)op);
	return w;
}

static struct wb wb_end(struct wb w)
{
	st_le32(w.b, (uint32_t)w.n);
	return w;
}

/* CRC-32C, bit by bit (RFC 3720 B.4; "123456789" -> 0xe3069283). */
static uint32_t crc32c(const uint8_t *b, size_t n)
{
	uint32_t c = 0xffffffffu;

	for (size_t i = 0; i < n; i++) {
		c ^= b[i];
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
	}
	return ~c;
}

/* OP_MSG (2013): flagBits, a kind-0 body, optionally one kind-1 sequence
 * of nseq documents named seq_id, and the CRC-32C when flags has bit 0. */
static struct wb op_msg(int32_t rid, int32_t rto, uint32_t flags, bson_t *body,
			const char *seq_id, bson_t **seq, size_t nseq)
{
	struct wb w = wb_hdr(rid, rto, 2013);

	wb_u32(&w, flags);
	wb_u8(&w, 0);
	wb_doc(&w, body);
	if (seq_id) {
		size_t at;
		uint32_t size;

		wb_u8(&w, 1);
		at = w.n;
		wb_u32(&w, 0);
		wb_cstr(&w, seq_id);
		for (size_t i = 0; i < nseq; i++)
			wb_doc(&w, seq[i]);
		size = (uint32_t)(w.n - at);
		st_le32(w.b + at, size);
	}
	if (flags & 1) {
		w.n += 4; /* the length counts the checksum */
		w = wb_end(w);
		w.n -= 4;
		wb_u32(&w, crc32c(w.b, w.n));
		return w;
	}
	return wb_end(w);
}

/* OP_MSG of one body section, no sequence. */
static struct wb op_cmd(int32_t rid, int32_t rto, uint32_t flags, bson_t *body)
{
	return op_msg(rid, rto, flags, body, NULL, NULL, 0);
}

/* The reply {"ok": 1.0}. */
static struct wb ok_reply(int32_t rid, int32_t rto)
{
	return op_cmd(rid, rto, 0, BCON_NEW("ok", BCON_DOUBLE(1.0)));
}

/* OP_QUERY (2004): flags 0, namespace, skip 0, return -1, the query. */
static struct wb op_query(int32_t rid, const char *ns, bson_t *q)
{
	struct wb w = wb_hdr(rid, 0, 2004);

	wb_u32(&w, 0);
	wb_cstr(&w, ns);
	wb_u32(&w, 0);
	wb_u32(&w, 0xffffffffu);
	wb_doc(&w, q);
	return wb_end(w);
}

/* OP_REPLY (1): responseFlags, cursorID 0, startingFrom 0, one document. */
static struct wb op_reply(int32_t rid, int32_t rto, uint32_t rflags, bson_t *doc)
{
	struct wb w = wb_hdr(rid, rto, 1);

	wb_u32(&w, rflags);
	wb_u32(&w, 0);
	wb_u32(&w, 0);
	wb_u32(&w, 0);
	wb_u32(&w, 1);
	wb_doc(&w, doc);
	return wb_end(w);
}

/* OP_COMPRESSED (2012) of a framed message m (freed): its header's
 * requestID / responseTo, originalOpcode, uncompressedSize (the message
 * without its header), compressorId, the compressed body. */
static struct wb op_compressed(struct wb m, uint8_t id)
{
	const uint8_t *body = m.b + 16;
	size_t blen = m.n - 16, clen;
	uint8_t *c;
	struct wb w = wb_hdr((int32_t)adi_ld_le32(m.b + 4), (int32_t)adi_ld_le32(m.b + 8), 2012);

	wb_put(&w, m.b + 12, 4);
	wb_u32(&w, (uint32_t)blen);
	wb_u8(&w, id);
	if (id == 1) {
		clen = snappy_max_compressed_length(blen);
		c = malloc(clen);
		assert_int_equal(snappy_compress((const char *)body, blen, (char *)c, &clen),
				 SNAPPY_OK);
	} else if (id == 2) {
		uLongf zl = compressBound(blen);

		c = malloc(zl);
		assert_int_equal(compress2(c, &zl, body, blen, 6), Z_OK);
		clen = zl;
	} else if (id == 3) {
		clen = ZSTD_compressBound(blen);
		c = malloc(clen);
		clen = ZSTD_compress(c, clen, body, blen, 3);
		assert_false(ZSTD_isError(clen));
	} else {
		c = malloc(blen);
		memcpy(c, body, blen);
		clen = blen;
	}
	wb_put(&w, c, clen);
	free(c);
	free(m.b);
	return wb_end(w);
}

#define MSG(t, w) PD_OUTB((t), (w).b, (w).n)
#define RPL(t, w) PD_INB((t), (w).b, (w).n)

static void wb_free(struct wb *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(w[i].b);
}

/* The fixture `name` of requests m[0], m[2], ... each followed by its
 * reply m[1], m[3], ..., one message every 1000 ns from 1000; the traced
 * task writes the requests (reads them when it is the server). It must
 * give expect (pd_check_fixture). The messages are freed. */
static void check_exchanges_cfg(const char *name, struct wb *m, size_t n,
				struct adi_proto_cfg cfg, bool server, const char *expect)
{
	struct pd_seg s[8];
	struct pd_case fx = { .name = name, .proto = &adi_proto_mongo, .segs = s, .nsegs = n,
			      .cfg = cfg, .server = server };

	assert_true(n <= PD_NSEG(s));
	for (size_t i = 0; i < n; i++) {
		bool req = i % 2 == 0;

		s[i] = (struct pd_seg){ PD_DATA, req != server ? ADI_DIR_OUT : ADI_DIR_IN,
					m[i].b, m[i].n, 1000 * (uint64_t)(i + 1) };
	}
	pd_check_fixture(&fx, expect);
	wb_free(m, n);
}

/* ... with 4096 body bytes, secrets redacted, from the client. */
static void check_exchanges(const char *name, struct wb *m, size_t n, const char *expect)
{
	struct adi_proto_cfg cfg = { .body_bytes = 4096, .rows_sample = 5 };

	check_exchanges_cfg(name, m, n, cfg, false, expect);
}

/* ---- fixtures and their events ---- */

/* find, then the getMore of its cursor: op is the command's first key,
 * database its $db, collection the first key's string (getMore: its
 * "collection"); the reply is shown whole, ok from its ok. */
static void test_find_getmore(void **state)
{
	struct wb m[4] = {
		op_cmd(1, 0, 0, BCON_NEW("find", BCON_UTF8("users"),
					 "filter", "{", "age", "{", "$gt", BCON_INT32(30), "}", "}",
					 "batchSize", BCON_INT32(1), "$db", BCON_UTF8("test"))),
		op_cmd(100, 1, 0, BCON_NEW("cursor", "{",
					   "firstBatch", "[", "{", "_id", BCON_INT32(1),
					   "name", BCON_UTF8("ann"), "}", "]",
					   "id", BCON_INT64(77), "ns", BCON_UTF8("test.users"), "}",
					   "ok", BCON_DOUBLE(1.0))),
		op_cmd(2, 0, 0, BCON_NEW("getMore", BCON_INT64(77),
					 "collection", BCON_UTF8("users"),
					 "batchSize", BCON_INT32(1), "$db", BCON_UTF8("test"))),
		op_cmd(101, 2, 0, BCON_NEW("cursor", "{", "nextBatch", "[", "]",
					   "id", BCON_INT64(0), "ns", BCON_UTF8("test.users"), "}",
					   "ok", BCON_DOUBLE(1.0))),
	};

	(void)state;
	check_exchanges(__func__, m, 4,
		"1000 2000 mongo_command {\"op\":\"find\",\"database\":\"test\",\"collection\":\"users\","
		"\"command\":{\"find\":\"users\",\"filter\":{\"age\":{\"$gt\":30}},\"batchSize\":1,"
		"\"$db\":\"test\"},"
		"\"reply\":{\"cursor\":{\"firstBatch\":[{\"_id\":1,\"name\":\"ann\"}],\"id\":77,"
		"\"ns\":\"test.users\"},\"ok\":1.0},\"ok\":true,\"error\":null,\"request_id\":1,"
		"\"truncated\":false}\n"
		"3000 4000 mongo_command {\"op\":\"getMore\",\"database\":\"test\",\"collection\":\"users\","
		"\"command\":{\"getMore\":77,\"collection\":\"users\",\"batchSize\":1,\"$db\":\"test\"},"
		"\"reply\":{\"cursor\":{\"nextBatch\":[],\"id\":0,\"ns\":\"test.users\"},\"ok\":1.0},"
		"\"ok\":true,\"error\":null,\"request_id\":2,\"truncated\":false}\n");
}

/* insert with its documents in a kind-1 section: merged into the command
 * as the array "documents". */
static void test_insert_sequence(void **state)
{
	bson_t *docs[2] = {
		BCON_NEW("_id", BCON_INT32(1), "a", BCON_UTF8("x")),
		BCON_NEW("_id", BCON_INT32(2), "a", BCON_BOOL(true)),
	};
	struct wb m[2] = {
		op_msg(7, 0, 0, BCON_NEW("insert", BCON_UTF8("c"), "ordered", BCON_BOOL(true),
					 "$db", BCON_UTF8("d")),
		       "documents", docs, 2),
		op_cmd(8, 7, 0, BCON_NEW("n", BCON_INT32(2), "ok", BCON_DOUBLE(1.0))),
	};

	(void)state;
	check_exchanges(__func__, m, 2,
		"1000 2000 mongo_command {\"op\":\"insert\",\"database\":\"d\",\"collection\":\"c\","
		"\"command\":{\"insert\":\"c\",\"ordered\":true,\"$db\":\"d\","
		"\"documents\":[{\"_id\":1,\"a\":\"x\"},{\"_id\":2,\"a\":true}]},"
		"\"reply\":{\"n\":2,\"ok\":1.0},\"ok\":true,\"error\":null,\"request_id\":7,"
		"\"truncated\":false}\n");
}

/* checksumPresent: the 4 bytes after the sections are not a section; a
 * good CRC says nothing, a wrong one sets checksum_error. */
static void test_checksum(void **state)
{
	struct wb m[4] = {
		op_cmd(1, 0, 1, BCON_NEW("ping", BCON_INT32(1), "$db", BCON_UTF8("admin"))),
		op_cmd(2, 1, 1, BCON_NEW("ok", BCON_DOUBLE(1.0))),
		op_cmd(3, 0, 1, BCON_NEW("ping", BCON_INT32(1), "$db", BCON_UTF8("admin"))),
		ok_reply(4, 3),
	};
	uint8_t chk[] = "123456789";

	(void)state;
	assert_int_equal(crc32c(chk, 9), 0xe3069283u);
	m[2].b[m[2].n - 1] ^= 0x55; /* spoil the third message's CRC */
	check_exchanges(__func__, m, 4,
		"1000 2000 mongo_command {\"op\":\"ping\",\"database\":\"admin\",\"collection\":null,"
		"\"command\":{\"ping\":1,\"$db\":\"admin\"},\"reply\":{\"ok\":1.0},\"ok\":true,"
		"\"error\":null,\"request_id\":1,\"truncated\":false}\n"
		"3000 4000 mongo_command {\"op\":\"ping\",\"database\":\"admin\",\"collection\":null,"
		"\"command\":{\"ping\":1,\"$db\":\"admin\"},\"reply\":{\"ok\":1.0},\"ok\":true,"
		"\"error\":null,\"request_id\":3,\"truncated\":false,\"checksum_error\":true}\n");
}

/* The legacy handshake: OP_QUERY on admin.$cmd and its OP_REPLY; then a
 * command wrapped in $query (unwrapped), and a legacy find on a
 * collection (op "query"). */
static void test_op_query(void **state)
{
	struct wb m[6] = {
		op_query(1, "admin.$cmd",
			 BCON_NEW("isMaster", BCON_INT32(1), "helloOk", BCON_BOOL(true),
				  "compression", "[", BCON_UTF8("zlib"), "]")),
		op_reply(50, 1, 8, BCON_NEW("ismaster", BCON_BOOL(true),
					    "maxWireVersion", BCON_INT32(17),
					    "compression", "[", BCON_UTF8("zlib"), "]",
					    "ok", BCON_DOUBLE(1.0))),
		op_query(2, "admin.$cmd",
			 BCON_NEW("$query", "{", "hello", BCON_INT32(1), "}",
				  "$readPreference", "{", "mode", BCON_UTF8("primaryPreferred"), "}")),
		op_reply(51, 2, 0, BCON_NEW("isWritablePrimary", BCON_BOOL(true),
					    "ok", BCON_DOUBLE(1.0))),
		op_query(3, "shop.items", BCON_NEW("sku", BCON_UTF8("a1"))),
		op_reply(52, 3, 2, BCON_NEW("$err", BCON_UTF8("no legacy"), "code", BCON_INT32(5739101))),
	};

	(void)state;
	check_exchanges(__func__, m, 6,
		"1000 2000 mongo_command {\"op\":\"isMaster\",\"database\":\"admin\",\"collection\":null,"
		"\"command\":{\"isMaster\":1,\"helloOk\":true,\"compression\":[\"zlib\"]},"
		"\"reply\":{\"ismaster\":true,\"maxWireVersion\":17,\"compression\":[\"zlib\"],"
		"\"ok\":1.0},\"ok\":true,\"error\":null,\"request_id\":1,\"truncated\":false}\n"
		"3000 4000 mongo_command {\"op\":\"hello\",\"database\":\"admin\",\"collection\":null,"
		"\"command\":{\"hello\":1},\"reply\":{\"isWritablePrimary\":true,\"ok\":1.0},"
		"\"ok\":true,\"error\":null,\"request_id\":2,\"truncated\":false}\n"
		"5000 6000 mongo_command {\"op\":\"query\",\"database\":\"shop\",\"collection\":\"items\","
		"\"command\":{\"sku\":\"a1\"},\"reply\":{\"$err\":\"no legacy\",\"code\":5739101},"
		"\"ok\":false,\"error\":\"5739101: no legacy\",\"request_id\":3,\"truncated\":false}\n");
}

/* OP_COMPRESSED with each compressor (and noop); the decompressed message
 * is decoded as its original opcode. */
static void test_compressed(void **state)
{
	struct wb m[8];
	const uint8_t ids[4] = { 2, 3, 1, 0 };

	(void)state;
	for (int i = 0; i < 4; i++) {
		m[2 * i] = op_compressed(
			op_cmd(10 + i, 0, 0, BCON_NEW("count", BCON_UTF8("c"),
						      "query", "{", "k", BCON_UTF8("vvvvvvvvvvvvvvvvvvvv"), "}",
						      "$db", BCON_UTF8("d"))), ids[i]);
		m[2 * i + 1] = op_cmd(20 + i, 10 + i, 0,
				      BCON_NEW("n", BCON_INT32(i), "ok", BCON_DOUBLE(1.0)));
		if (i == 1) /* a compressed reply too */
			m[3] = op_compressed(m[3], 3);
	}

#define CMD(rid, n, req, rep) \
	"\"op\":\"count\",\"database\":\"d\",\"collection\":\"c\"," \
	"\"command\":{\"count\":\"c\",\"query\":{\"k\":\"vvvvvvvvvvvvvvvvvvvv\"},\"$db\":\"d\"}," \
	"\"reply\":{\"n\":" n ",\"ok\":1.0},\"ok\":true,\"error\":null,\"request_id\":" rid "," \
	"\"truncated\":false,\"compressed\":{\"request\":" req ",\"reply\":" rep "}}\n"
	check_exchanges(__func__, m, 8,
		"1000 2000 mongo_command {" CMD("10", "0", "\"zlib\"", "null")
		"3000 4000 mongo_command {" CMD("11", "1", "\"zstd\"", "\"zstd\"")
		"5000 6000 mongo_command {" CMD("12", "2", "\"snappy\"", "null")
		"7000 8000 mongo_command {" CMD("13", "3", "\"noop\"", "null"));
#undef CMD
}

/* An exhaust getMore: the first reply answers the request, each further
 * one names the previous reply's requestID; one event per reply. Then an
 * unacknowledged insert (moreToCome from the client): no reply expected. */
static void test_exhaust_and_unacknowledged(void **state)
{
	bson_t *doc[1] = { BCON_NEW("_id", BCON_INT32(9)) };
	struct wb m[5] = {
		op_cmd(5, 0, 1u << 16, BCON_NEW("getMore", BCON_INT64(42), "collection", BCON_UTF8("c"),
						"$db", BCON_UTF8("d"))),
		op_cmd(300, 5, 2, BCON_NEW("cursor", "{", "nextBatch", "[", BCON_INT32(1), "]",
					   "id", BCON_INT64(42), "}", "ok", BCON_DOUBLE(1.0))),
		op_cmd(301, 300, 2, BCON_NEW("cursor", "{", "nextBatch", "[", BCON_INT32(2), "]",
					     "id", BCON_INT64(42), "}", "ok", BCON_DOUBLE(1.0))),
		op_cmd(302, 301, 0, BCON_NEW("cursor", "{", "nextBatch", "[", "]",
					     "id", BCON_INT64(0), "}", "ok", BCON_DOUBLE(1.0))),
		op_msg(6, 0, 2, BCON_NEW("insert", BCON_UTF8("c"), "writeConcern", "{",
					 "w", BCON_INT32(0), "}", "$db", BCON_UTF8("d")),
		       "documents", doc, 1),
	};
	struct pd_seg s[] = { MSG(1000, m[0]), RPL(2000, m[1]), RPL(3000, m[2]), RPL(4000, m[3]),
			      MSG(5000, m[4]) };
	struct pd_case fx = FIX(s, 4096, false, false);

#define GM "\"op\":\"getMore\",\"database\":\"d\",\"collection\":\"c\"," \
	"\"command\":{\"getMore\":42,\"collection\":\"c\",\"$db\":\"d\"},"
	(void)state;
	pd_check_fixture(&fx,
		"1000 2000 mongo_command {" GM
		"\"reply\":{\"cursor\":{\"nextBatch\":[1],\"id\":42},\"ok\":1.0},\"ok\":true,"
		"\"error\":null,\"request_id\":5,\"truncated\":false,\"exhaust_allowed\":true,"
		"\"more_to_come\":true}\n"
		"3000 3000 mongo_command {" GM
		"\"reply\":{\"cursor\":{\"nextBatch\":[2],\"id\":42},\"ok\":1.0},\"ok\":true,"
		"\"error\":null,\"request_id\":5,\"truncated\":false,\"exhaust_allowed\":true,"
		"\"more_to_come\":true,\"reply_index\":1}\n"
		"4000 4000 mongo_command {" GM
		"\"reply\":{\"cursor\":{\"nextBatch\":[],\"id\":0},\"ok\":1.0},\"ok\":true,"
		"\"error\":null,\"request_id\":5,\"truncated\":false,\"exhaust_allowed\":true,"
		"\"reply_index\":2}\n"
		"5000 -1 mongo_command {\"op\":\"insert\",\"database\":\"d\",\"collection\":\"c\","
		"\"command\":{\"insert\":\"c\",\"writeConcern\":{\"w\":0},\"$db\":\"d\","
		"\"documents\":[{\"_id\":9}]},\"reply\":null,\"ok\":null,\"error\":null,"
		"\"request_id\":6,\"truncated\":false,\"unacknowledged\":true}\n");
#undef GM
	wb_free(m, 5);
}

/* Errors: ok 0 gives "code: errmsg"; write errors with ok 1 give the first
 * and how many more; a write concern error is named. */
static void test_errors(void **state)
{
	struct wb m[6] = {
		op_cmd(1, 0, 0, BCON_NEW("drop", BCON_UTF8("gone"), "$db", BCON_UTF8("d"))),
		op_cmd(2, 1, 0, BCON_NEW("ok", BCON_DOUBLE(0.0), "errmsg", BCON_UTF8("ns not found"),
					 "code", BCON_INT32(26), "codeName", BCON_UTF8("NamespaceNotFound"))),
		op_cmd(3, 0, 0, BCON_NEW("insert", BCON_UTF8("c"), "$db", BCON_UTF8("d"))),
		op_cmd(4, 3, 0, BCON_NEW("n", BCON_INT32(0), "writeErrors", "[",
					 "{", "index", BCON_INT32(0), "code", BCON_INT32(11000),
					 "errmsg", BCON_UTF8("E11000 dup"), "}",
					 "{", "index", BCON_INT32(1), "code", BCON_INT32(11000),
					 "errmsg", BCON_UTF8("E11000 dup"), "}", "]",
					 "ok", BCON_DOUBLE(1.0))),
		op_cmd(5, 0, 0, BCON_NEW("delete", BCON_UTF8("c"), "$db", BCON_UTF8("d"))),
		op_cmd(6, 5, 0, BCON_NEW("n", BCON_INT32(1), "writeConcernError", "{",
					 "code", BCON_INT32(64), "errmsg", BCON_UTF8("timed out"), "}",
					 "ok", BCON_INT32(1))),
	};

	(void)state;
	check_exchanges(__func__, m, 6,
		"1000 2000 mongo_command {\"op\":\"drop\",\"database\":\"d\",\"collection\":\"gone\","
		"\"command\":{\"drop\":\"gone\",\"$db\":\"d\"},\"reply\":{\"ok\":0.0,"
		"\"errmsg\":\"ns not found\",\"code\":26,\"codeName\":\"NamespaceNotFound\"},"
		"\"ok\":false,\"error\":\"26: ns not found\",\"request_id\":1,\"truncated\":false}\n"
		"3000 4000 mongo_command {\"op\":\"insert\",\"database\":\"d\",\"collection\":\"c\","
		"\"command\":{\"insert\":\"c\",\"$db\":\"d\"},\"reply\":{\"n\":0,\"writeErrors\":["
		"{\"index\":0,\"code\":11000,\"errmsg\":\"E11000 dup\"},"
		"{\"index\":1,\"code\":11000,\"errmsg\":\"E11000 dup\"}],\"ok\":1.0},"
		"\"ok\":true,\"error\":\"11000: E11000 dup (+1 more write errors)\",\"request_id\":3,"
		"\"truncated\":false}\n"
		"5000 6000 mongo_command {\"op\":\"delete\",\"database\":\"d\",\"collection\":\"c\","
		"\"command\":{\"delete\":\"c\",\"$db\":\"d\"},\"reply\":{\"n\":1,"
		"\"writeConcernError\":{\"code\":64,\"errmsg\":\"timed out\"},\"ok\":1},"
		"\"ok\":true,\"error\":\"writeConcernError 64: timed out\",\"request_id\":5,"
		"\"truncated\":false}\n");
}

/* SASL: the payloads of saslStart / saslContinue and of their replies,
 * a hello's speculativeAuthenticate payload, createUser's pwd are
 * "<redacted>" unless show_secrets. */
static void sasl_case(bool secrets, const char *name, const char *expect)
{
	static const uint8_t p1[] = "n,,n=u,r=abc", p2[] = "r=abcdef,s=c2FsdA==,i=4096";
	struct wb m[6] = {
		op_cmd(1, 0, 0, BCON_NEW("saslStart", BCON_INT32(1),
					 "mechanism", BCON_UTF8("SCRAM-SHA-256"),
					 "payload", BCON_BIN(BSON_SUBTYPE_BINARY, p1, sizeof(p1) - 1),
					 "$db", BCON_UTF8("admin"))),
		op_cmd(2, 1, 0, BCON_NEW("conversationId", BCON_INT32(1), "done", BCON_BOOL(false),
					 "payload", BCON_BIN(BSON_SUBTYPE_BINARY, p2, sizeof(p2) - 1),
					 "ok", BCON_DOUBLE(1.0))),
		op_cmd(3, 0, 0, BCON_NEW("hello", BCON_INT32(1), "speculativeAuthenticate", "{",
					 "saslStart", BCON_INT32(1),
					 "payload", BCON_BIN(BSON_SUBTYPE_BINARY, p1, 3), "}",
					 "$db", BCON_UTF8("admin"))),
		ok_reply(4, 3),
		op_cmd(5, 0, 0, BCON_NEW("createUser", BCON_UTF8("bob"), "pwd", BCON_UTF8("hunter2"),
					 "roles", "[", "]", "$db", BCON_UTF8("admin"))),
		ok_reply(6, 5),
	};
	struct adi_proto_cfg cfg = { .body_bytes = 4096, .rows_sample = 5,
				     .show_secrets = secrets };

	check_exchanges_cfg(name, m, 6, cfg, false, expect);
}

#define SASL_EV(pay1, pay2, pay3, pwd) \
	"1000 2000 mongo_command {\"op\":\"saslStart\",\"database\":\"admin\",\"collection\":null," \
	"\"command\":{\"saslStart\":1,\"mechanism\":\"SCRAM-SHA-256\",\"payload\":" pay1 "," \
	"\"$db\":\"admin\"},\"reply\":{\"conversationId\":1,\"done\":false,\"payload\":" pay2 "," \
	"\"ok\":1.0},\"ok\":true,\"error\":null,\"request_id\":1,\"truncated\":false}\n" \
	"3000 4000 mongo_command {\"op\":\"hello\",\"database\":\"admin\",\"collection\":null," \
	"\"command\":{\"hello\":1,\"speculativeAuthenticate\":{\"saslStart\":1,\"payload\":" pay3 "}," \
	"\"$db\":\"admin\"},\"reply\":{\"ok\":1.0},\"ok\":true,\"error\":null,\"request_id\":3," \
	"\"truncated\":false}\n" \
	"5000 6000 mongo_command {\"op\":\"createUser\",\"database\":\"admin\",\"collection\":\"bob\"," \
	"\"command\":{\"createUser\":\"bob\",\"pwd\":" pwd ",\"roles\":[],\"$db\":\"admin\"}," \
	"\"reply\":{\"ok\":1.0},\"ok\":true,\"error\":null,\"request_id\":5,\"truncated\":false}\n"

static void test_sasl_redacted(void **state)
{
	(void)state;
	sasl_case(false, "test_sasl_redacted",
		  SASL_EV("\"<redacted>\"", "\"<redacted>\"", "\"<redacted>\"", "\"<redacted>\""));
}

static void test_sasl_show_secrets(void **state)
{
	(void)state;
	/* base64 of "n,,n=u,r=abc", "r=abcdef,s=c2FsdA==,i=4096", "n,," */
	sasl_case(true, "test_sasl_show_secrets",
		  SASL_EV("{\"$binary\":{\"base64\":\"biwsbj11LHI9YWJj\",\"subType\":\"00\"}}",
			  "{\"$binary\":{\"base64\":\"cj1hYmNkZWYscz1jMkZzZEE9PSxpPTQwOTY=\","
			  "\"subType\":\"00\"}}",
			  "{\"$binary\":{\"base64\":\"biws\",\"subType\":\"00\"}}",
			  "\"hunter2\""));
}

/* Pairing is by requestID, not by order: the first request's reply never
 * comes (the server answers in order, so it was lost): emitted alone once
 * the second is answered. A reply nobody asked for (attached mid-stream)
 * is emitted alone with its responseTo; a request unanswered at the end
 * has no end time. */
static void test_pairing(void **state)
{
	struct wb m[5] = {
		op_cmd(99, 1234, 0, BCON_NEW("ok", BCON_INT32(1))),
		op_cmd(1, 0, 0, BCON_NEW("ping", BCON_INT32(1), "$db", BCON_UTF8("a"))),
		op_cmd(2, 0, 0, BCON_NEW("ping", BCON_INT32(2), "$db", BCON_UTF8("a"))),
		op_cmd(100, 2, 0, BCON_NEW("ok", BCON_INT32(1))),
		op_cmd(-7, 0, 0, BCON_NEW("ping", BCON_INT32(3), "$db", BCON_UTF8("a"))),
	};
	struct pd_seg s[] = { RPL(500, m[0]), MSG(1000, m[1]), MSG(2000, m[2]), RPL(3000, m[3]),
			      MSG(4000, m[4]) };
	struct pd_case fx = FIX(s, 4096, false, false);

#define PING(n, rest) "\"op\":\"ping\",\"database\":\"a\",\"collection\":null," \
	"\"command\":{\"ping\":" n ",\"$db\":\"a\"}," rest
	(void)state;
	pd_check_fixture(&fx,
		"500 500 mongo_command {\"op\":null,\"database\":null,\"collection\":null,"
		"\"command\":null,\"reply\":{\"ok\":1},\"ok\":true,\"error\":null,"
		"\"request_id\":1234,\"truncated\":false}\n"
		"1000 -1 mongo_command {" PING("1", "\"reply\":null,\"ok\":null,\"error\":null,"
					     "\"request_id\":1,\"truncated\":false}\n")
		"2000 3000 mongo_command {" PING("2", "\"reply\":{\"ok\":1},\"ok\":true,"
					       "\"error\":null,\"request_id\":2,\"truncated\":false}\n")
		"4000 -1 mongo_command {" PING("3", "\"reply\":null,\"ok\":null,\"error\":null,"
					     "\"request_id\":-7,\"truncated\":false}\n"));
#undef PING
	wb_free(m, 5);
}

/* The traced task is the server: requests come IN, replies go OUT. */
static void test_server_side(void **state)
{
	struct wb m[2] = {
		op_cmd(11, 0, 0, BCON_NEW("find", BCON_UTF8("t"), "$db", BCON_UTF8("x"))),
		ok_reply(12, 11),
	};
	struct adi_proto_cfg cfg = { .body_bytes = 4096, .rows_sample = 5 };

	(void)state;
	check_exchanges_cfg(__func__, m, 2, cfg, true,
		"1000 2000 mongo_command {\"op\":\"find\",\"database\":\"x\",\"collection\":\"t\","
		"\"command\":{\"find\":\"t\",\"$db\":\"x\"},\"reply\":{\"ok\":1.0},\"ok\":true,"
		"\"error\":null,\"request_id\":11,\"truncated\":false}\n");
}

/* Bytes that are no message, then a message: BAD, resync to the header
 * (27 bytes skipped), and the exchange decodes. */
static void test_garbage_resync(void **state)
{
	static const char junk[] = "\x01\x02\x03garbage that is not mongo";
	struct wb m[2] = {
		op_cmd(1, 0, 0, BCON_NEW("ping", BCON_INT32(1), "$db", BCON_UTF8("a"))),
		ok_reply(2, 1),
	};
	struct pd_seg s[] = { PD_OUTB(500, junk, sizeof(junk) - 1), MSG(1000, m[0]), RPL(2000, m[1]) };
	struct pd_case fx = FIX(s, 4096, false, false);

	(void)state;
	assert_int_equal(sizeof(junk) - 1, 28);
	pd_check_fixture(&fx,
		"1000 2000 mongo_command {\"op\":\"ping\",\"database\":\"a\",\"collection\":null,"
		"\"command\":{\"ping\":1,\"$db\":\"a\"},\"reply\":{\"ok\":1.0},\"ok\":true,"
		"\"error\":null,\"request_id\":1,\"truncated\":false}\n"
		"# skipped out=28 in=0 done out=0 in=0\n");
	wb_free(m, 2);
}

/* A gap inside the document sequence of an insert: the message is
 * incomplete; its body (before the gap) is decoded, the sequence is not.
 * A gap that runs past the end of a reply ends it (incomplete, its
 * document undecodable) and what follows is resynced. */
static void test_gaps(void **state)
{
	bson_t *docs[1] = { BCON_NEW("_id", BCON_INT32(1), "pad", BCON_UTF8("0123456789")) };
	struct wb m[4] = {
		op_msg(1, 0, 0, BCON_NEW("insert", BCON_UTF8("c"), "$db", BCON_UTF8("d")),
		       "documents", docs, 1),
		op_cmd(2, 1, 0, BCON_NEW("n", BCON_INT32(1), "ok", BCON_DOUBLE(1.0))),
		op_cmd(3, 0, 0, BCON_NEW("ping", BCON_INT32(1), "$db", BCON_UTF8("d"))),
		ok_reply(4, 3),
	};
	size_t k = m[0].n - 10, r = 30; /* r: past the 25 bytes a header check takes */
	/* the reply of ping loses its last 5 bytes and the next reply's
	 * first 3: what follows them is found again by resync */
	struct wb m4b = op_cmd(5, 3, 0, BCON_NEW("ok", BCON_INT32(2)));
	struct pd_seg s[] = {
		PD_OUTB(1000, m[0].b, k), PD_GAP_(ADI_DIR_OUT, 6),
		PD_OUTB(1500, m[0].b + k + 6, m[0].n - k - 6),
		RPL(2000, m[1]), MSG(3000, m[2]),
		PD_INB(4000, m[3].b, r), PD_GAP_(ADI_DIR_IN, m[3].n - r + 3),
		PD_INB(5000, m4b.b + 3, m4b.n - 3),
	};
	struct pd_case fx = FIX(s, 4096, false, false);
	char want[2048];

	(void)state;
	fx.driver_only = true; /* a gap completes a message: stream.c times it otherwise */
	/* in: the next reply's bytes after the gap, one refused then resynced */
	snprintf(want, sizeof(want),
		"1000 2000 mongo_command {\"op\":\"insert\",\"database\":\"d\",\"collection\":\"c\","
		"\"command\":{\"insert\":\"c\",\"$db\":\"d\"},\"reply\":{\"n\":1,\"ok\":1.0},"
		"\"ok\":true,\"error\":null,\"request_id\":1,\"truncated\":false,\"incomplete\":true}\n"
		"3000 4000 mongo_command {\"op\":\"ping\",\"database\":\"d\",\"collection\":null,"
		"\"command\":{\"ping\":1,\"$db\":\"d\"},\"reply\":null,\"ok\":null,\"error\":null,"
		"\"request_id\":3,\"truncated\":false,\"incomplete\":true}\n"
		"# skipped out=0 in=%zu done out=0 in=0\n", m4b.n - 3);
	pd_check_fixture(&fx, want);
	wb_free(m, 4);
	free(m4b.b);
}

/* body_bytes bounds what is shown: members are kept while they fit, the
 * documents array is cut after its first item with a summary, a long
 * string becomes "<truncated N bytes>" (N: its BSON size, 4 + 200 + 1),
 * and the event says truncated. Numbers worked out from the spaced text
 * libbson measures with, in src/proto/mongo/values.c's comment. */
static void test_truncation(void **state)
{
	char pad[201];
	bson_t *docs[5];
	struct wb m[4];
	struct adi_proto_cfg cfg = { .body_bytes = 120, .rows_sample = 5 };

	(void)state;
	memset(pad, 'a', 200);
	pad[200] = '\0';
	for (int i = 0; i < 5; i++)
		docs[i] = BCON_NEW("_id", BCON_INT32(i), "s", BCON_UTF8("xxxxxxxxxx"));
	m[0] = op_msg(1, 0, 0, BCON_NEW("insert", BCON_UTF8("c"), "ordered", BCON_BOOL(true),
					"$db", BCON_UTF8("d")),
		      "documents", docs, 5);
	m[1] = op_cmd(2, 1, 0, BCON_NEW("n", BCON_INT32(5), "ok", BCON_DOUBLE(1.0)));
	m[2] = op_cmd(3, 0, 0, BCON_NEW("find", BCON_UTF8("c"), "filter", "{",
					"name", BCON_UTF8(pad), "}", "$db", BCON_UTF8("d")));
	m[3] = ok_reply(4, 3);
	check_exchanges_cfg(__func__, m, 2, cfg, false,
		"1000 2000 mongo_command {\"op\":\"insert\",\"database\":\"d\",\"collection\":\"c\","
		"\"command\":{\"insert\":\"c\",\"ordered\":true,\"$db\":\"d\","
		"\"documents\":[{\"_id\":0,\"s\":\"xxxxxxxxxx\"},\"<4 more items, 128 bytes>\"]},"
		"\"reply\":{\"n\":5,\"ok\":1.0},\"ok\":true,\"error\":null,\"request_id\":1,"
		"\"truncated\":true}\n");
	cfg.body_bytes = 80;
	check_exchanges_cfg("test_truncation_string", m + 2, 2, cfg, false,
		"1000 2000 mongo_command {\"op\":\"find\",\"database\":\"d\",\"collection\":\"c\","
		"\"command\":{\"find\":\"c\",\"filter\":{\"name\":\"<truncated 205 bytes>\"},"
		"\"$db\":\"d\"},\"reply\":{\"ok\":1.0},\"ok\":true,\"error\":null,"
		"\"request_id\":3,\"truncated\":true}\n");
}

/* Doubles the writer's 3 decimals would change are written in canonical
 * form; others stay numbers. */
static void test_doubles(void **state)
{
	struct wb m[2] = {
		op_cmd(1, 0, 0, BCON_NEW("find", BCON_UTF8("c"), "filter", "{",
					 "x", BCON_DOUBLE(0.1234567), "y", BCON_DOUBLE(2.5),
					 "z", BCON_DOUBLE(1e-7), "}", "$db", BCON_UTF8("d"))),
		ok_reply(2, 1),
	};

	(void)state;
	check_exchanges(__func__, m, 2,
		"1000 2000 mongo_command {\"op\":\"find\",\"database\":\"d\",\"collection\":\"c\","
		"\"command\":{\"find\":\"c\",\"filter\":{\"x\":{\"$numberDouble\":\"0.1234567\"},"
		"\"y\":2.5,\"z\":{\"$numberDouble\":\"1e-07\"}},\"$db\":\"d\"},"
		"\"reply\":{\"ok\":1.0},\"ok\":true,\"error\":null,\"request_id\":1,"
		"\"truncated\":false}\n");
}

/* The start of an OP_MSG of 16 MiB + 1000 bytes (over the 16 MiB the
 * decoder keeps): its first bytes name the command and collection; the
 * middle of it is lost here (a gap absorbed inside the known length), so
 * it is incomplete too. An OP_COMPRESSED whose uncompressedSize is over
 * the cap is refused (counted in decode_error). The connection then ends
 * inside a request: incomplete, unanswered. */
static void test_over_cap(void **state)
{
	const uint32_t len = 16u * 1024 * 1024 + 1000;
	struct wb head = wb_hdr(1, 0, 2013), tail = { 0 }, comp = wb_hdr(3, 0, 2012);
	struct wb m[3];
	char want[2048];

	(void)state;
	wb_u32(&head, 0);             /* flagBits */
	wb_u8(&head, 0);              /* kind 0 */
	wb_u32(&head, len - 21);      /* the body's length: the rest */
	wb_u8(&head, 2);              /* string */
	wb_cstr(&head, "insert");
	wb_u32(&head, 4);
	wb_cstr(&head, "big");
	wb_u8(&head, 4);              /* array "documents" ... */
	wb_cstr(&head, "documents");
	head.b[0] = (uint8_t)len;
	head.b[1] = (uint8_t)(len >> 8);
	head.b[2] = (uint8_t)(len >> 16);
	head.b[3] = (uint8_t)(len >> 24);
	wb_put(&tail, "\0\0\0\0\0\0\0\0\0\0", 10);
	m[0] = ok_reply(2, 1);
	wb_put(&comp, "\xdd\x07\x00\x00", 4); /* originalOpcode OP_MSG */
	wb_u32(&comp, 20000000);              /* uncompressedSize */
	wb_u8(&comp, 2);                      /* zlib */
	wb_put(&comp, "\x78\x9c\x03\x00\x00\x00\x00\x01", 8);
	comp = wb_end(comp);
	m[1] = ok_reply(4, 3);
	m[2] = op_cmd(5, 0, 0, BCON_NEW("ping", BCON_INT32(1), "$db", BCON_UTF8("a")));
	struct pd_seg s[] = {
		PD_OUTB(1000, head.b, head.n), PD_GAP_(ADI_DIR_OUT, len - head.n - tail.n),
		PD_OUTB(1500, tail.b, tail.n), RPL(2000, m[0]),
		PD_OUTB(3000, comp.b, comp.n), RPL(4000, m[1]),
		PD_OUTB(5000, m[2].b, m[2].n - 3), PD_END(ADI_DIR_OUT),
	};
	struct pd_case fx = FIX(s, 4096, false, false);

	snprintf(want, sizeof(want),
		"1000 2000 mongo_command {\"op\":\"insert\",\"database\":null,\"collection\":\"big\","
		"\"command\":null,\"reply\":{\"ok\":1.0},\"ok\":true,\"error\":null,\"request_id\":1,"
		"\"truncated\":true,\"incomplete\":true,"
		"\"decode_error\":\"message of %u bytes over the 16777216-byte cap\"}\n"
		"3000 4000 mongo_command {\"op\":null,\"database\":null,\"collection\":null,"
		"\"command\":null,\"reply\":{\"ok\":1.0},\"ok\":true,\"error\":null,\"request_id\":3,"
		"\"truncated\":true,\"compressed\":{\"request\":\"zlib\",\"reply\":null},"
		"\"decode_error\":\"uncompressed size 20000000 over the 16777216-byte cap\"}\n"
		"5000 -1 mongo_command {\"op\":null,\"database\":null,\"collection\":null,"
		"\"command\":null,\"reply\":null,\"ok\":null,\"error\":null,\"request_id\":5,"
		"\"truncated\":false,\"incomplete\":true}\n", len);
	pd_check_fixture(&fx, want);
	free(head.b);
	free(tail.b);
	free(comp.b);
	wb_free(m, 3);
}

/* A real 17 MiB insert (one document of a 17 MiB binary), whole and
 * through the engine: skipped past the cap, named from its first bytes. */
static void test_over_cap_whole(void **state)
{
	size_t big = 17u * 1024 * 1024;
	uint8_t *blob = calloc(1, big);
	bson_t *doc[1];
	struct wb m[2];
	char *got;
	const char *want;

	(void)state;
	assert_non_null(blob);
	doc[0] = BCON_NEW("blob", BCON_BIN(BSON_SUBTYPE_BINARY, blob, (uint32_t)big));
	m[0] = op_msg(1, 0, 0, BCON_NEW("insert", BCON_UTF8("big"), "$db", BCON_UTF8("d")),
		      "documents", doc, 1);
	m[1] = op_cmd(2, 1, 0, BCON_NEW("n", BCON_INT32(1), "ok", BCON_DOUBLE(1.0)));
	free(blob);
	struct pd_seg s[] = { MSG(1000, m[0]), RPL(2000, m[1]) };
	struct pd_case fx = FIX(s, 4096, false, false);
	char err[128];

	snprintf(err, sizeof(err), "message of %zu bytes over the 16777216-byte cap", m[0].n);
	want = "1000 2000 mongo_command {\"op\":\"insert\",\"database\":null,\"collection\":\"big\","
	       "\"command\":null,\"reply\":{\"n\":1,\"ok\":1.0},\"ok\":true,\"error\":null,"
	       "\"request_id\":1,\"truncated\":true,\"decode_error\":\"";
	got = pd_run(&fx, PD_WHOLE, 0);
	assert_memory_equal(got, want, strlen(want));
	assert_memory_equal(got + strlen(want), err, strlen(err));
	assert_string_equal(got + strlen(want) + strlen(err), "\"}\n");
	free(got);
	got = pd_run_engine(&fx, false);
	assert_memory_equal(got, want, strlen(want));
	free(got);
	got = pd_run(&fx, PD_RANDOM, 3);
	assert_memory_equal(got, want, strlen(want));
	free(got);
	wb_free(m, 2);
}

/* A command nested 60 deep is cut at 48 levels (adi_json_parse takes 64);
 * one nested 120 deep is refused as invalid (libbson's own recursion stays
 * bounded). */
static void test_deep(void **state)
{
	bson_t *levels[121];
	struct wb m[2];
	char *got;
	struct adi_jval *ev;

	(void)state;
	for (int depth = 60; depth <= 120; depth += 60) {
		levels[depth] = BCON_NEW("x", BCON_INT32(1));
		for (int i = depth - 1; i >= 0; i--) {
			levels[i] = bson_new();
			BSON_APPEND_DOCUMENT(levels[i], "a", levels[i + 1]);
			bson_destroy(levels[i + 1]);
		}
		BSON_APPEND_UTF8(levels[0], "$db", "d");
		m[0] = op_cmd(1, 0, 0, levels[0]);
		m[1] = ok_reply(2, 1);
		struct pd_seg s[] = { MSG(1000, m[0]), RPL(2000, m[1]) };
		struct pd_case fx = FIX(s, 4096, false, false);

		got = pd_run(&fx, PD_WHOLE, 0);
		assert_true(strlen(got) > 20);
		ev = adi_json_parse(strchr(got, '{'), strlen(strchr(got, '{')));
		assert_non_null(ev);
		if (depth == 60) {
			assert_true(adi_j_as_bool(adi_j_get(ev, "truncated"), false));
			assert_non_null(strstr(got, "{\"a\":\"<truncated"));
			assert_string_equal(adi_j_get_str(ev, "op", ""), "a");
		} else {
			assert_string_equal(adi_j_get_str(ev, "decode_error", ""), "invalid BSON");
			assert_true(adi_j_is_null(adi_j_get(ev, "command")));
		}
		adi_j_free(ev);
		free(got);
		wb_free(m, 2);
	}
}

struct sniff_case {
	const char *what;
	const char *b;
	size_t n;
	int dir, server;
	uint16_t port;
	int expect;
};

#define SN(w, s, d, srv, port, e) { (w), (s), sizeof(s) - 1, (d), (srv), (port), (e) }

/* An OP_MSG request's header (61 bytes, requestID 1, responseTo 0) and
 * the start of its body (flagBits 0, a kind-0 section of 40 bytes). */
#define MSG_REQ "\x3d\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\xdd\x07\x00\x00"
#define MSG_BODY0 "\x00\x00\x00\x00\x00\x28\x00\x00\x00"
/* An OP_QUERY's header (64 bytes, requestID 1) and flags 0, before the
 * namespace. */
#define QUERY_REQ "\x40\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00" \
	"\xd4\x07\x00\x00\x00\x00\x00\x00"
/* An OP_REPLY (48 bytes, requestID 2, responseTo 1) up to its documents:
 * responseFlags 8 (AwaitCapable), cursorID 0, startingFrom 0, one document. */
#define REPLY_HEAD "\x30\x00\x00\x00\x02\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00" \
	"\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00"
/* An OP_COMPRESSED's header (64 bytes, requestID 3), originalOpcode
 * OP_MSG, uncompressedSize 80, before the compressorId. */
#define COMPRESSED_MSG "\x40\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00" \
	"\xdc\x07\x00\x00\xdd\x07\x00\x00\x50\x00\x00\x00"

static void test_sniff(void **state)
{
	/* headers: length, requestID, responseTo, opCode (little-endian) */
	static const struct sniff_case cases[] = {
		SN("OP_MSG request", MSG_REQ MSG_BODY0, ADI_DIR_OUT, 0, 1234, 80),
		SN("OP_MSG request, port 27017", MSG_REQ MSG_BODY0, ADI_DIR_OUT, 0, 27017, 85),
		SN("OP_MSG request read by a server", MSG_REQ MSG_BODY0, ADI_DIR_IN, 1, 1234, 80),
		SN("OP_MSG with responseTo 0 from the server", MSG_REQ MSG_BODY0,
		   ADI_DIR_IN, 0, 27017, 0),
		SN("OP_MSG reply", "\x26\x00\x00\x00\x09\x00\x00\x00\x01\x00\x00\x00\xdd\x07\x00\x00"
		   "\x00\x00\x00\x00\x00\x11\x00\x00\x00", ADI_DIR_IN, 0, 1234, 80),
		SN("OP_MSG unknown required flag", MSG_REQ "\x04\x00\x00\x00\x00\x28\x00\x00\x00",
		   ADI_DIR_OUT, 0, 27017, 0),
		SN("OP_MSG section kind 2", MSG_REQ "\x00\x00\x00\x00\x02\x28\x00\x00\x00",
		   ADI_DIR_OUT, 0, 27017, 0),
		SN("OP_QUERY admin.$cmd", QUERY_REQ "admin.$cmd\x00", ADI_DIR_OUT, 0, 1234, 80),
		SN("OP_QUERY cut in its name", QUERY_REQ "adm", ADI_DIR_OUT, 0, 1234, 75),
		SN("OP_REPLY", REPLY_HEAD, ADI_DIR_IN, 0, 1234, 80),
		SN("OP_REPLY from the client", REPLY_HEAD, ADI_DIR_OUT, 0, 1234, 0),
		SN("OP_COMPRESSED zstd", COMPRESSED_MSG "\x03", ADI_DIR_OUT, 0, 1234, 80),
		SN("OP_COMPRESSED unknown compressor", COMPRESSED_MSG "\x04", ADI_DIR_OUT, 0, 1234, 0),
		SN("legacy OP_INSERT", "\x40\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00"
		   "\xd2\x07\x00\x00\x00\x00\x00\x00" "db.c\x00", ADI_DIR_OUT, 0, 27017, 0),
		SN("length 15", "\x0f\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\xdd\x07\x00\x00",
		   ADI_DIR_OUT, 0, 27017, 0),
		SN("length over 48 MB", "\x01\x6c\xdc\x02\x01\x00\x00\x00\x00\x00\x00\x00"
		   "\xdd\x07\x00\x00\x00\x00\x00\x00\x00\x28\x00\x00\x00", ADI_DIR_OUT, 0, 27017, 0),
		SN("3 bytes", "\x3d\x00\x00", ADI_DIR_OUT, 0, 1234, -1),
		SN("10 bytes", "\x3d\x00\x00\x00\x01\x00\x00\x00\x00\x00", ADI_DIR_OUT, 0, 1234, -1),
		SN("zeros", "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
		   ADI_DIR_OUT, 0, 27017, 0),
		SN("HTTP request", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", ADI_DIR_OUT, 0, 27017, 0),
		SN("HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", ADI_DIR_OUT, 0, 27017, 0),
		SN("Postgres startup",
		   "\x00\x00\x00\x29\x00\x03\x00\x00user\x00postgres\x00"
		   "database\x00postgres\x00\x00", ADI_DIR_OUT, 0, 27017, 0),
		SN("Postgres SSLRequest", "\x00\x00\x00\x08\x04\xd2\x16\x2f", ADI_DIR_OUT, 0, 27017, 0),
		SN("MySQL greeting",
		   "\x4a\x00\x00\x00\x0a" "8.0.36\x00\x08\x00\x00\x00" "abcdefgh\x00\xff\xf7",
		   ADI_DIR_IN, 0, 27017, 0),
		SN("Redis command", "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n", ADI_DIR_OUT, 0, 27017, 0),
		SN("TLS ClientHello", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
		   ADI_DIR_OUT, 0, 27017, 0),
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct sniff_case *c = &cases[i];
		struct adi_sniff_ctx ctx = { .dir = (enum adi_dir)c->dir, .server_side = c->server,
					     .local_port = 40000, .remote_port = c->port };
		uint8_t *b = malloc(c->n);
		int got;

		assert_non_null(b);
		memcpy(b, c->b, c->n);
		got = adi_proto_mongo.sniff(b, c->n, &ctx);
		free(b);
		if (got != c->expect)
			print_error("sniff: %s: %d, expected %d\n", c->what, got, c->expect);
		assert_int_equal(got, c->expect);
	}
}

/* The registry knows the decoder and the classifier picks it. */
static void test_registry(void **state)
{
	static const uint8_t msg[] = MSG_REQ MSG_BODY0;
	struct adi_sniff_ctx ctx = { .dir = ADI_DIR_OUT };
	int more = 0;

	(void)state;
	assert_ptr_equal(adi_proto_find("mongo"), &adi_proto_mongo);
	assert_ptr_equal(adi_proto_classify(msg, sizeof(msg) - 1, &ctx, &more), &adi_proto_mongo);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_getmore),
		cmocka_unit_test(test_insert_sequence),
		cmocka_unit_test(test_checksum),
		cmocka_unit_test(test_op_query),
		cmocka_unit_test(test_compressed),
		cmocka_unit_test(test_exhaust_and_unacknowledged),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_sasl_redacted),
		cmocka_unit_test(test_sasl_show_secrets),
		cmocka_unit_test(test_pairing),
		cmocka_unit_test(test_server_side),
		cmocka_unit_test(test_garbage_resync),
		cmocka_unit_test(test_gaps),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_doubles),
		cmocka_unit_test(test_over_cap),
		cmocka_unit_test(test_over_cap_whole),
		cmocka_unit_test(test_deep),
		cmocka_unit_test(test_sniff),
		cmocka_unit_test(test_registry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
