/* values.c - what the MongoDB decoder shows of a message: its BSON
 * document checked and written as relaxed Extended JSON by libbson, cut to
 * --body-bytes at the BSON level, lossy doubles kept exact; the error of a
 * reply; credentials redacted; the request's and the reply's fields that
 * stitch.c turns into a mongo_command event. Owns nothing beyond the call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mg.h"

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

/* mg_doc_ok(): see mg.h. */
bool mg_doc_ok(const bson_t *doc, bool *deep)
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

/* mg_req_fields(), mg_reply_fields(): see mg.h. */
struct adi_jval *mg_req_fields(const struct adi_proto_cfg *cfg,
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

struct adi_jval *mg_reply_fields(const struct adi_proto_cfg *cfg,
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
