/* values.c - what the MongoDB decoder shows of a message: its BSON
 * document checked, and bounded to --body-bytes at the BSON level (then
 * written by ejson.c as relaxed Extended JSON, lossy doubles kept exact);
 * the error of a reply; which credentials are redacted; the request's and
 * the reply's fields that stitch.c turns into a mongo_command event. Owns
 * nothing beyond the call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mg.h"

/* ---- BSON documents as JSON ----
 *
 * Every document is checked before it is shown: nesting at most
 * MG_MAX_DEPTH levels, and what bson_validate (UTF-8, NULs allowed in
 * strings) accepts, in one walk with libbson's iterator (mg_check).
 * ejson.c writes it as the relaxed Extended JSON libbson gives, as json.c
 * read it back and wrote it compact.
 *
 * Bound: a document is shown whole when libbson's text of it is under
 * 2 * body_bytes + 64 bytes (its spaced form is under twice the compact
 * one) and the compact JSON is at most body_bytes. Else it is cut at the
 * BSON level before it is written: members are kept in order while they
 * fit (their size measured as libbson's text, which over-estimates the
 * compact one); an object or array that does not fit is cut the same way
 * inside what is left; a scalar that does not fit becomes the string
 * "<truncated N bytes>" (N: the value's size in BSON); once nothing is
 * left, the rest is summarised by one last member, "$truncated": "<K more
 * fields, N bytes>" (in an array, one last item "<K more items, N bytes>").
 * The result is valid JSON of about body_bytes plus these short markers,
 * and the event says "truncated": true. Nesting deeper than MG_JSON_DEPTH
 * is cut the same way (a marker in place of the deeper container).
 *
 * Doubles: the event writer keeps 3 decimals; a double that would not
 * survive that is written as {"$numberDouble": "<shortest exact text>"},
 * the canonical Extended JSON form, so no value is silently rounded. */

/* s[0..n) is UTF-8 as bson_utf8_validate reads it (nul: NULs allowed;
 * keys, checked without, hold none). ASCII without a call. */
static bool mg_utf8_ok(const char *s, size_t n, bool nul)
{
	for (size_t i = 0; i < n; i++)
		if ((uint8_t)s[i] & 0x80)
			return bson_utf8_validate(s, n, nul);
	return true;
}

/* The deepest nesting of doc (0: no sub-document), or -1 when deeper than
 * MG_MAX_DEPTH, malformed, or refused by libbson 1.23's bson_validate
 * (UTF-8, NULs allowed), which is done along the same walk: check says
 * it reads this document. It reads the members in turn and refuses the
 * document at corrupt bytes or a key that is not UTF-8; a string (code,
 * symbol, regex, DBPointer collection) that is not UTF-8, or code with
 * scope once its scope is checked, ends its reading of that document
 * without a word: the members after are not checked (libbson's visitor
 * stops there). */
static int mg_check(const bson_t *doc, int depth, bool check)
{
	bson_iter_t it;
	int deepest = depth;

	if (depth > MG_MAX_DEPTH || !bson_iter_init(&it, doc))
		return -1;
	while (bson_iter_next(&it)) {
		const uint8_t *data = NULL;
		uint32_t len = 0, n = 0;
		const char *str = NULL;
		const bson_oid_t *oid;
		bool sub_check = check, scope = false;
		bson_t sub;
		int d;

		if (check && *bson_iter_key(&it) &&
		    !mg_utf8_ok(bson_iter_key(&it), it.d1 - it.key - 1, false))
			return -1;
		switch (bson_iter_type(&it)) {
		case BSON_TYPE_DOCUMENT:
			bson_iter_document(&it, &len, &data);
			break;
		case BSON_TYPE_ARRAY:
			bson_iter_array(&it, &len, &data);
			break;
		case BSON_TYPE_CODEWSCOPE:
			str = bson_iter_codewscope(&it, &n, &len, &data);
			scope = check = check && mg_utf8_ok(str, n, true);
			sub_check = check; /* the scope, whole, if the code passed */
			break;
		case BSON_TYPE_UTF8:
			str = bson_iter_utf8(&it, &n);
			break;
		case BSON_TYPE_CODE:
			str = bson_iter_code(&it, &n);
			break;
		case BSON_TYPE_SYMBOL:
			str = bson_iter_symbol(&it, &n);
			break;
		case BSON_TYPE_REGEX:
			str = bson_iter_regex(&it, NULL);
			n = (uint32_t)strlen(str);
			break;
		case BSON_TYPE_DBPOINTER:
			bson_iter_dbpointer(&it, &n, &str, &oid);
			break;
		default:
			break;
		}
		if (!data) {
			if (check && str && !mg_utf8_ok(str, n, true))
				check = false;
			continue;
		}
		if (!bson_init_static(&sub, data, len))
			return -1;
		d = mg_check(&sub, depth + 1, sub_check);
		if (d < 0)
			return -1;
		if (d > deepest)
			deepest = d;
		if (scope)
			check = false;
	}
	if (check && it.err_off)
		return -1; /* corrupt where bson_validate reads */
	return deepest;
}

/* mg_doc_ok(): see mg.h. */
bool mg_doc_ok(const bson_t *doc, bool *deep)
{
	int d = mg_check(doc, 0, true);

	if (d < 0)
		return false;
	*deep = d >= MG_JSON_DEPTH;
	return true;
}

/* The size of the current member as libbson writes it (`"key" : value, `),
 * or more than `limit` when larger or refused. Measured on a copy, as
 * libbson measured it (a copy can differ: code is copied as a C string). */
static size_t mg_member_size(struct adi_jw *tmp, const bson_iter_t *it, size_t limit)
{
	bson_t one = BSON_INITIALIZER;
	size_t len;

	if (!bson_append_iter(&one, bson_iter_key(it), -1, it)) {
		bson_destroy(&one);
		return limit + 1;
	}
	/* "{ " + member + " }" for ", " + member */
	len = mg_ej_len(tmp, &one, limit + 2);
	bson_destroy(&one);
	return len == SIZE_MAX ? limit + 1 : len - 2;
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
 * descended into rather than copied whole. tmp: the measures' scratch. */
static void mg_trim(struct adi_jw *tmp, const bson_t *src, size_t budget, int depth,
		    bool arr, bool deep, bson_t *dst)
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
			sz = mg_member_size(tmp, &it, left);
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
			size_t used;

			if (sub_arr)
				bson_iter_array(&it, &len, &data);
			else
				bson_iter_document(&it, &len, &data);
			if (bson_init_static(&sub, data, len))
				mg_trim(tmp, &sub, left - klen - 8, depth + 1, sub_arr, deep, &part);
			if (sub_arr)
				bson_append_array(dst, key, (int)klen, &part);
			else
				bson_append_document(dst, key, (int)klen, &part);
			/* libbson's text of the part as a document (0 if refused) */
			used = mg_ej_len(tmp, &part, SIZE_MAX - 1);
			if (used == SIZE_MAX)
				used = 0;
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

/* The document written into w as the value of the member begun there,
 * within `budget` bytes (*cut set when it had to be cut), redacted as rd
 * says. doc must have passed mg_doc_ok (deep: its answer). */
static void mg_doc_show(struct adi_jw *w, struct adi_jw *tmp, const bson_t *doc,
			size_t budget, bool deep, const struct mg_redact *rd, bool *cut)
{
	size_t start = w->len, max = 2 * budget + 64;
	uint32_t depth = w->depth;
	struct mg_ej e;
	bson_t small;

	if (!deep) {
		/* libbson's spaced text is under twice the compact one */
		mg_ej_start(&e, w, max - 1, rd);
		mg_ej_doc(&e, doc);
		if (!e.over && !e.fail && !e.unparsable &&
		    (ptrdiff_t)(w->len - start) + e.hidden <= (ptrdiff_t)budget)
			return;
		mg_jw_back(w, start, depth);
	}
	*cut = true;
	bson_init(&small);
	mg_trim(tmp, doc, budget, 0, false, deep, &small);
	mg_ej_start(&e, w, SIZE_MAX - 1, rd);
	mg_ej_doc(&e, &small);
	bson_destroy(&small);
	if (e.fail || e.unparsable) {
		char m[64];

		mg_jw_back(w, start, depth);
		snprintf(m, sizeof(m), "<undecodable %u bytes>", doc->len);
		adi_jw_str(w, m);
	}
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

/* The error of a reply document, written into w: "code: errmsg" when ok
 * is 0 (or the legacy QueryFailure flag / $err), else the first write
 * error ("code: errmsg (+N more write errors)"), else a write concern error
 * ("writeConcernError code: errmsg"); null when none. */
static void mg_error_of(struct adi_jw *w, const bson_t *doc, bool failed)
{
	bson_iter_t it, sub;
	const bson_t *src = doc;
	bson_t one;
	const char *msg = NULL, *prefix = "";
	uint32_t mlen = 0, nerr = 0;
	int64_t code = 0;
	bool has_code = false;
	char *text;
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
		if (!src) {
			adi_jw_null(w);
			return;
		}
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
	if (!text) {
		adi_jw_null(w);
		return;
	}
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
	adi_jw_str(w, text);
	free(text);
}

/* Credentials in a command: SASL payloads (saslStart, saslContinue,
 * copydbsaslstart, and a hello's speculativeAuthenticate), the MONGODB-CR
 * key (authenticate, copydb), passwords of createUser / updateUser. */
static void mg_redact_cmd(struct mg_redact *rd, const char *op)
{
	memset(rd, 0, sizeof(*rd));
	if (op && (!strcmp(op, "saslStart") || !strcmp(op, "saslContinue") ||
		   !strcasecmp(op, "copydbsaslstart")))
		rd->top[0] = "payload";
	else if (op && (!strcmp(op, "authenticate") || !strcasecmp(op, "copydb")))
		rd->top[0] = "key";
	else if (op && (!strcmp(op, "createUser") || !strcmp(op, "updateUser")))
		rd->top[0] = "pwd";
	rd->sa[0] = "payload";
	rd->sa[1] = "key";
}

/* ... and in a reply: the server's SASL payload, also inside a hello
 * reply's speculativeAuthenticate. */
static const struct mg_redact mg_redact_reply = {
	.top = { "payload", NULL },
	.sa = { "payload", NULL, NULL },
};

/* The string value of key in doc, or NULL (borrowed from doc). */
static const char *mg_get_utf8(const bson_t *doc, const char *key)
{
	bson_iter_t it;

	if (doc && bson_iter_init_find(&it, doc, key) && BSON_ITER_HOLDS_UTF8(&it))
		return bson_iter_utf8(&it, NULL);
	return NULL;
}

/* The member k: the message's document as shown (bounded, redacted as rd
 * says unless secrets are shown), or null; *cut when cut. */
static void mg_shown(struct adi_jw *w, struct adi_jw *tmp, const char *k,
		     const struct mg_dec *d, const struct adi_proto_cfg *cfg,
		     const struct mg_redact *rd, bool *cut)
{
	adi_jw_key(w, k);
	if (!d->doc)
		adi_jw_null(w);
	else
		mg_doc_show(w, tmp, d->doc, cfg->body_bytes, d->deep,
			    cfg->show_secrets ? NULL : rd, cut);
}

/* The fields every message carries besides its own: the sender's
 * requestID (`_rid`) and moreToCome (`_more`), which stitch() uses and
 * does not show, and what went wrong. */
static void mg_common(struct adi_jw *w, const struct mg_side *sd, const struct mg_dec *d)
{
	if (d->compressor)
		adi_jw_kstr(w, "compressor", d->compressor);
	if (d->err[0])
		adi_jw_kstr(w, "decode_error", d->err);
	if (d->checksum_bad)
		adi_jw_kbool(w, "checksum_error", true);
	adi_jw_kint(w, "_rid", sd->rid);
	adi_jw_kbool(w, "_more", d->more);
}

/* mg_req_fields(), mg_reply_fields(): see mg.h. */
void mg_req_fields(const struct adi_proto_cfg *cfg, const struct mg_side *sd,
		   const struct mg_dec *d, struct adi_jw *w, struct adi_jw *tmp)
{
	const char *op = d->op, *db = d->db, *coll = d->coll;
	struct mg_redact rd;
	bson_iter_t it;
	bool cut = d->cut;

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
	adi_jw_kstr(w, "op", op);
	adi_jw_kstr(w, "database", db);
	adi_jw_kstr(w, "collection", coll);
	mg_redact_cmd(&rd, op);
	mg_shown(w, tmp, "command", d, cfg, &rd, &cut);
	adi_jw_kbool(w, "truncated", cut);
	if (d->exhaust)
		adi_jw_kbool(w, "exhaust_allowed", true);
	mg_common(w, sd, d);
}

void mg_reply_fields(const struct adi_proto_cfg *cfg, const struct mg_side *sd,
		     const struct mg_dec *d, struct adi_jw *w, struct adi_jw *tmp)
{
	bool cut = d->cut, failed = d->rflags & MG_QUERY_FAILURE;
	bson_iter_t it;

	mg_shown(w, tmp, "reply", d, cfg, &mg_redact_reply, &cut);
	adi_jw_key(w, "ok");
	if (d->doc && bson_iter_init_find(&it, d->doc, "ok")) {
		failed |= !bson_iter_as_bool(&it);
		adi_jw_bool(w, !failed);
	} else if (d->doc || failed) {
		/* no ok member (a legacy query's results): ok unless failed */
		adi_jw_bool(w, !failed && !(d->doc && mg_get_utf8(d->doc, "$err")));
	} else {
		adi_jw_null(w);
	}
	adi_jw_key(w, "error");
	if (d->doc)
		mg_error_of(w, d->doc, failed);
	else
		adi_jw_null(w);
	adi_jw_kbool(w, "truncated", cut);
	mg_common(w, sd, d);
}
