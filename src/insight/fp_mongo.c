/* fp_mongo.c - MongoDB command fingerprints (fingerprint.h,
 * docs/insight.md): the operation, its namespace and the shape of its
 * filter -- field names and operators kept, values written ?, in the
 * spirit of MongoDB's own query shapes ($queryStats). Reads the command
 * document as the event wrote it (compact JSON, lib/jw.h views). Owns no
 * state.
 */
#include "fingerprint.h"

#include <string.h>

#include "../lib/jw.h"

/* deeper than this a filter is written {...} */
#define ADI_FP_MONGO_DEPTH 8

/* Extended JSON type wrappers: one value, not a document to describe. */
static const char *const adi_ext_json[] = {
	"\"$binary\"", "\"$code\"", "\"$date\"", "\"$dbPointer\"", "\"$maxKey\"",
	"\"$minKey\"", "\"$numberDecimal\"", "\"$numberDouble\"", "\"$numberInt\"",
	"\"$numberLong\"", "\"$oid\"", "\"$regex\"", "\"$regularExpression\"",
	"\"$symbol\"", "\"$timestamp\"", "\"$undefined\"", "\"$uuid\"",
};

static bool token_is(struct adi_jv k, const char *quoted)
{
	size_t n = strlen(quoted);

	return k.n == n && !memcmp(k.p, quoted, n);
}

static bool ext_wrapper(struct adi_jv obj)
{
	struct adi_jv_it it = adi_jv_iter(obj);
	struct adi_jv k, v;

	if (!adi_jv_next(&it, &k, &v))
		return false;
	for (size_t i = 0; i < sizeof(adi_ext_json) / sizeof(adi_ext_json[0]); i++)
		if (token_is(k, adi_ext_json[i]))
			return true;
	return false;
}

/* A value: hashed as written, shown as ?. */
static void value(struct adi_jv v, struct adi_sb *out, uint64_t *h)
{
	*h = adi_hash(adi_hash(*h, v.p, v.n), "", 1);
	adi_sb_putc(out, '?');
}

static void shape(struct adi_jv v, struct adi_sb *out, uint64_t *h, int depth);

/* An object's members: name: shape, in their order. */
static void shape_obj(struct adi_jv v, struct adi_sb *out, uint64_t *h, int depth)
{
	struct adi_jv_it it = adi_jv_iter(v);
	struct adi_jv k, m;
	bool first = true;

	adi_sb_putc(out, '{');
	while (adi_jv_next(&it, &k, &m)) {
		if (!first)
			adi_sb_puts(out, ", ");
		first = false;
		/* the key's text without its quotes (escapes left as written:
		 * they only have to be the same from event to event) */
		adi_sb_put(out, k.p + 1, k.n >= 2 ? k.n - 2 : 0);
		adi_sb_puts(out, ": ");
		if (adi_jv_type(m) == ADI_J_ARR &&
		    (token_is(k, "\"$in\"") || token_is(k, "\"$nin\"") || token_is(k, "\"$all\""))) {
			/* a list of values: any length is one shape */
			*h = adi_hash(adi_hash(*h, m.p, m.n), "", 1);
			adi_sb_puts(out, "[...]");
		} else if (adi_jv_type(m) == ADI_J_ARR &&
			   (token_is(k, "\"$and\"") || token_is(k, "\"$or\"") ||
			    token_is(k, "\"$nor\""))) {
			struct adi_jv_it ai = adi_jv_iter(m);
			struct adi_jv ak, av;
			bool f = true;

			adi_sb_putc(out, '[');
			while (adi_jv_next(&ai, &ak, &av)) {
				if (!f)
					adi_sb_puts(out, ", ");
				f = false;
				shape(av, out, h, depth + 1);
			}
			adi_sb_putc(out, ']');
		} else {
			shape(m, out, h, depth + 1);
		}
	}
	adi_sb_putc(out, '}');
}

static void shape(struct adi_jv v, struct adi_sb *out, uint64_t *h, int depth)
{
	switch (adi_jv_type(v)) {
	case ADI_J_OBJ:
		if (ext_wrapper(v))
			value(v, out, h);
		else if (depth >= ADI_FP_MONGO_DEPTH)
			adi_sb_puts(out, "{...}");
		else
			shape_obj(v, out, h, depth);
		return;
	case ADI_J_ARR:
		*h = adi_hash(adi_hash(*h, v.p, v.n), "", 1);
		adi_sb_puts(out, "[...]");
		return;
	default:
		value(v, out, h);
		return;
	}
}

/* The first element of an array member (deletes[0], updates[0]). */
static struct adi_jv first_item(struct adi_jv arr)
{
	struct adi_jv_it it = adi_jv_iter(arr);
	struct adi_jv k, v = { NULL, 0 };

	if (adi_jv_type(arr) != ADI_J_ARR || !adi_jv_next(&it, &k, &v))
		v.n = 0;
	return v;
}

/* aggregate: the stages' names, a $match's filter shaped. */
static void pipeline(struct adi_jv p, struct adi_sb *out, uint64_t *h)
{
	struct adi_jv_it it = adi_jv_iter(p);
	struct adi_jv k, st;
	bool first = true;

	adi_sb_putc(out, '[');
	while (adi_jv_next(&it, &k, &st)) {
		struct adi_jv_it si = adi_jv_iter(st);
		struct adi_jv sk, sv;

		if (!adi_jv_next(&si, &sk, &sv))
			continue;
		if (!first)
			adi_sb_puts(out, ", ");
		first = false;
		adi_sb_put(out, sk.p + 1, sk.n >= 2 ? sk.n - 2 : 0);
		if (token_is(sk, "\"$match\"")) {
			adi_sb_putc(out, ' ');
			shape(sv, out, h, 1);
		} else {
			*h = adi_hash(adi_hash(*h, sv.p, sv.n), "", 1);
		}
	}
	adi_sb_putc(out, ']');
}

void adi_fp_mongo(const char *op, const char *db, const char *coll, const char *cmd,
		  size_t cmdn, struct adi_sb *out, uint64_t *params)
{
	struct adi_jv c = { cmd, cmd ? cmdn : 0 }, f = { NULL, 0 };
	uint64_t h = ADI_HASH0;

	adi_sb_puts(out, op ? op : "?");
	if (db || coll) {
		adi_sb_putc(out, ' ');
		adi_sb_puts(out, db ? db : "?");
		if (coll) {
			adi_sb_putc(out, '.');
			adi_sb_puts(out, coll);
		}
	}
	if (!op || adi_jv_type(c) != ADI_J_OBJ)
		goto done;
	if (!strcmp(op, "find")) {
		f = adi_jv_get(c, "filter");
	} else if (!strcmp(op, "count") || !strcmp(op, "findAndModify") ||
		   !strcmp(op, "findandmodify")) {
		f = adi_jv_get(c, "query");
	} else if (!strcmp(op, "distinct")) {
		struct adi_jv key = adi_jv_get(c, "key");
		size_t kn;
		const char *ks = adi_jv_plain(key, &kn);

		if (ks) {
			adi_sb_puts(out, " key=");
			adi_sb_put(out, ks, kn);
		}
		f = adi_jv_get(c, "query");
	} else if (!strcmp(op, "delete")) {
		f = adi_jv_get(first_item(adi_jv_get(c, "deletes")), "q");
	} else if (!strcmp(op, "update")) {
		f = adi_jv_get(first_item(adi_jv_get(c, "updates")), "q");
	} else if (!strcmp(op, "aggregate")) {
		struct adi_jv p = adi_jv_get(c, "pipeline");

		if (adi_jv_type(p) == ADI_J_ARR) {
			adi_sb_putc(out, ' ');
			pipeline(p, out, &h);
		}
		goto done;
	} else if (!strcmp(op, "query")) {
		/* a legacy OP_QUERY: the document is the filter, or wraps it */
		f = adi_jv_get(c, "$query");
		if (adi_jv_absent(f))
			f = adi_jv_get(c, "query");
		if (adi_jv_absent(f))
			f = c;
	}
	if (adi_jv_type(f) == ADI_J_OBJ) {
		adi_sb_putc(out, ' ');
		shape(f, out, &h, 0);
	}
done:
	if (params)
		*params = h;
}
