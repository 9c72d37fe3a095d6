/* ejson.c - the MongoDB decoder's BSON documents written as JSON in one
 * pass: a bson_iter walk straight into a jw.h writer. The text is the one
 * the decoder has always shown: libbson 1.23's relaxed Extended JSON as
 * json.c read it back (a repeated key keeps its first place and takes its
 * last value) and wrote it compact, doubles the event writer would round
 * in canonical form (their texts: decimal.c), credentials redacted. The walk also measures libbson's
 * own text (its length, whether libbson or json.c would refuse it), which
 * the bound of values.c is defined by. Owns nothing beyond the call.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/util.h"
#include "mg.h"

/* json.c's nesting limit (ADI_JSON_MAX_DEPTH there): the text of a
 * document nested deeper never parsed, so it was never shown. */
#define EJ_PARSE_DEPTH 64

/* Keys of an object kept on the stack for the repeated-key check. */
#define EJ_KEYS 16

/* The length of a literal: libbson's templates are written out below as
 * libbson writes them, so their lengths are counted, not hand-added. */
#define EJ_LIT(s) (sizeof(s) - 1)

/* ---- the writer, and what the walk counts ---- */

/* mg_jw_back(): see mg.h. jw.h has no rewind: a writer's text is
 * buf[0..len) at its depth (the member index is only touched at depth 0,
 * where nothing is dropped), so setting them back drops what came after. */
void mg_jw_back(struct adi_jw *w, size_t len, uint32_t depth)
{
	if (w->err || len > w->len)
		return;
	w->len = len;
	w->depth = depth;
	if (w->buf)
		w->buf[len] = '\0';
}

/* A point of the walk to drop the text back to (what was found out about
 * libbson's text stays: it was read). */
struct ej_mark {
	size_t len;
	uint32_t depth;
	unsigned jdepth;
	ptrdiff_t hidden;
};

static struct ej_mark ej_mark(const struct mg_ej *e)
{
	struct ej_mark m = { e->w->len, e->w->depth, e->jdepth, e->hidden };

	return m;
}

static void ej_drop(struct mg_ej *e, struct ej_mark m)
{
	mg_jw_back(e->w, m.len, m.depth);
	e->jdepth = m.jdepth;
	e->hidden = m.hidden;
}

/* n more bytes of libbson's text. */
static void ej_add(struct mg_ej *e, size_t n)
{
	e->len += n;
}

/* libbson's text is longer than the limit: the walk stops. */
static bool ej_over(struct mg_ej *e)
{
	if (e->len > e->limit)
		e->over = true;
	return e->over;
}

/* A JSON container opens (the parser refused a 65th level) / closes. */
static void ej_open(struct mg_ej *e)
{
	if (e->jdepth >= EJ_PARSE_DEPTH)
		e->unparsable = true;
	e->jdepth++;
}

static void ej_close(struct mg_ej *e)
{
	e->jdepth--;
}

/* 1 when the writer's next value starts with a comma (adi_jw_item). */
static size_t ej_comma(const struct adi_jw *w)
{
	char c;

	if (!w->depth || !w->len)
		return 0;
	c = w->buf[w->len - 1];
	return c != '{' && c != '[' && c != ':';
}

/* ---- strings ---- */

static bool ej_ascii(const char *s, size_t n)
{
	size_t i = 0;

	for (; n - i >= 8; i += 8) {
		uint64_t x;

		memcpy(&x, s + i, 8);
		if (x & 0x8080808080808080ull)
			return false;
	}
	for (; i < n; i++)
		if ((uint8_t)s[i] & 0x80)
			return false;
	return true;
}

/* What libbson and then json.c make of the bytes s[0..n). libbson's walk
 * checks them (bson_utf8_validate; NULs allowed in values, not in keys)
 * and bson_utf8_escape_for_json refuses the two-byte NUL C0 80 that the
 * check lets through: libbson refuses the document (fail). Bytes both
 * take come back from json.c unchanged, unless json.c's stricter reading
 * of UTF-8 refuses them (unparsable). ASCII always comes back as it is. */
static void ej_text(struct mg_ej *e, const char *s, size_t n, bool value)
{
	if (ej_ascii(s, n))
		return;
	if (!bson_utf8_validate(s, n, value) || (value && memchr(s, 0xc0, n)))
		e->fail = true;
	else if (!adi_utf8_valid((const uint8_t *)s, n))
		e->unparsable = true;
}

/* s[0..n) as a JSON string; the length of its escaped body. jw escapes
 * what libbson escapes (\" \\ \b \f \n \r \t, \u00XX below 0x20, nothing
 * else), so it is also the length of libbson's. */
static size_t ej_str(struct mg_ej *e, const char *s, size_t n)
{
	struct adi_jw *w = e->w;
	size_t at = w->len + ej_comma(w);

	adi_jw_strn(w, s, n);
	return w->len >= at + 2 ? w->len - at - 2 : 0;
}

/* A string whose libbson text is at least n more bytes: false (and the
 * walk over) when that passes the limit, before anything is written. */
static bool ej_room(struct mg_ej *e, size_t n)
{
	if (e->len + n > e->limit)
		e->over = true;
	return !e->over;
}

/* `{"<key>":`, as every wrapper of relaxed Extended JSON begins ($oid,
 * $date, $binary...); ej_unwrap ends it. */
static void ej_wrap(struct mg_ej *e, const char *key)
{
	ej_open(e);
	adi_jw_obj(e->w);
	adi_jw_key(e->w, key);
}

static void ej_unwrap(struct mg_ej *e)
{
	adi_jw_obj_end(e->w);
	ej_close(e);
}

/* {"<key>":"<s>"}; the escaped length of s. */
static size_t ej_wrap_str(struct mg_ej *e, const char *key, const char *s, size_t n)
{
	size_t k;

	ej_wrap(e, key);
	k = ej_str(e, s, n);
	ej_unwrap(e);
	return k;
}

/* A string value, or one wrapped {"<key>":"..."} ($code, $symbol): its
 * bytes checked as libbson and json.c take them, nothing written when
 * libbson's text passes the limit with it. */
static void ej_string(struct mg_ej *e, const char *key, const char *s, size_t n)
{
	ej_text(e, s, n, true);
	if (!ej_room(e, n))
		return;
	if (!key)
		ej_add(e, ej_str(e, s, n) + 2);
	else
		ej_add(e, EJ_LIT("{ \"") + strlen(key) + EJ_LIT("\" : \"") +
			  ej_wrap_str(e, key, s, n) + EJ_LIT("\" }"));
}

/* ---- scalars ---- */

/* A double. Non-finite: {"$numberDouble": "NaN" | "Infinity" |
 * "-Infinity"} (libbson's relaxed form). Finite: libbson's "%.20g" read
 * back is d itself; the event writer keeps 3 decimals, so a d that does
 * not survive that is written {"$numberDouble": "<shortest exact>"}
 * instead (an integer always survives). */
static void ej_double(struct mg_ej *e, double d)
{
	struct adi_jw *w = e->w;
	struct ej_mark m;
	size_t at;

	if (!isfinite(d)) {
		const char *t = isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity";

		ej_wrap_str(e, "$numberDouble", t, strlen(t));
		ej_add(e, EJ_LIT("{ \"$numberDouble\" : \"") + strlen(t) + EJ_LIT("\" }"));
		return;
	}
	m = ej_mark(e);
	at = w->len + ej_comma(w);
	adi_jw_double(w, d);
	if (d != trunc(d) && !w->err && !mg_dbl_reads_back(w->buf + at, d)) {
		char s[MG_DBL_TEXT];

		mg_dbl_canonical(d, s);
		/* after json.c's parse: not a level the parser saw */
		mg_jw_back(w, m.len, m.depth);
		adi_jw_obj(w);
		adi_jw_kstr(w, "$numberDouble", s);
		adi_jw_obj_end(w);
	}
	ej_add(e, mg_dbl_g20_len(d));
}

/* An integer's decimal length. */
static size_t ej_dec_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

static void ej_hex(char *out, const uint8_t *b, size_t n)
{
	static const char x[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = x[b[i] >> 4];
		out[2 * i + 1] = x[b[i] & 15];
	}
	out[2 * n] = '\0';
}

/* {"$oid":"<24 hex>"} */
static void ej_oid(struct mg_ej *e, const bson_oid_t *oid)
{
	char hex[25];

	ej_hex(hex, oid->bytes, 12);
	ej_wrap_str(e, "$oid", hex, 24);
}

/* libbson's date text: strftime("%Y-%m-%dT%H:%M:%S") of gmtime, then
 * ".mmm" when there are milliseconds, then "Z" (ms >= 0). The civil date
 * by hand (days to year/month/day, H. Hinnant's algorithm): every hello
 * reply carries one. */
static size_t ej_iso(int64_t ms, char *out)
{
	int64_t secs = ms / 1000, frac = ms % 1000, z = secs / 86400 + 719468;
	int64_t sod = secs % 86400, era = z / 146097, doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	int64_t day = doy - (153 * mp + 2) / 5 + 1, mon = mp < 10 ? mp + 3 : mp - 9;
	int64_t year = yoe + era * 400 + (mon <= 2);
	unsigned v[5] = { (unsigned)mon, (unsigned)day, (unsigned)(sod / 3600),
			  (unsigned)(sod / 60 % 60), (unsigned)(sod % 60) };
	static const char sep[5] = { '-', '-', 'T', ':', ':' };
	char *p = adi_u64_dec(out, (uint64_t)year);

	for (int i = 0; i < 5; i++) {
		*p++ = sep[i];
		*p++ = (char)('0' + v[i] / 10);
		*p++ = (char)('0' + v[i] % 10);
	}
	if (frac) {
		*p++ = '.';
		*p++ = (char)('0' + frac / 100);
		*p++ = (char)('0' + frac / 10 % 10);
		*p++ = (char)('0' + frac % 10);
	}
	*p++ = 'Z';
	*p = '\0';
	return (size_t)(p - out);
}

/* {"$date":"<ISO-8601>"} from 1970 on, {"$date":{"$numberLong":"<ms>"}}
 * before. */
static void ej_date(struct mg_ej *e, int64_t ms)
{
	char t[48], num[24], *p = num;

	if (ms >= 0) {
		size_t n = ej_iso(ms, t);

		ej_wrap_str(e, "$date", t, n);
		ej_add(e, EJ_LIT("{ \"$date\" : \"") + n + EJ_LIT("\" }"));
		return;
	}
	*p++ = '-';
	p = adi_u64_dec(p, 0 - (uint64_t)ms);
	ej_wrap(e, "$date");
	ej_wrap_str(e, "$numberLong", num, (size_t)(p - num));
	ej_unwrap(e);
	ej_add(e, EJ_LIT("{ \"$date\" : { \"$numberLong\" : \"") + (size_t)(p - num) +
		  EJ_LIT("\" } }"));
}

/* {"$binary":{"base64":"...","subType":"<2 hex>"}} (subtype 2's inner
 * length is not data: bson_iter_binary skips it, as libbson's walk does) */
static void ej_binary(struct mg_ej *e, const bson_iter_t *it)
{
	struct adi_jw *w = e->w;
	bson_subtype_t sub;
	const uint8_t *b = NULL;
	uint32_t n = 0;
	size_t k;
	char st[3];
	uint8_t sb;

	bson_iter_binary(it, &sub, &n, &b);
	k = adi_base64_len(n);
	if (!ej_room(e, k))
		return;
	sb = (uint8_t)sub;
	ej_hex(st, &sb, 1);
	ej_wrap(e, "$binary");
	ej_wrap(e, "base64");
	/* base64 needs no escaping: encoded in place */
	adi_jw_put(w, "\"", 1);
	if (!adi_jw_reserve(w, k + 1)) {
		w->len += adi_base64_encode(b ? b : (const uint8_t *)"", n, w->buf + w->len);
		adi_jw_put(w, "\"", 1);
	}
	adi_jw_kstr(w, "subType", st);
	ej_unwrap(e);
	ej_unwrap(e);
	ej_add(e, EJ_LIT("{ \"$binary\" : { \"base64\" : \"") + k +
		  EJ_LIT("\", \"subType\" : \"") + 2 + EJ_LIT("\" } }"));
}

/* {"$regularExpression":{"pattern":"...","options":"..."}}: the options
 * libbson knows, in its order "ilmsux" (others dropped). */
static void ej_regex(struct mg_ej *e, const bson_iter_t *it)
{
	const char *opts = NULL, *re = bson_iter_regex(it, &opts);
	size_t n = strlen(re), k = 0, esc;
	char sorted[8];

	ej_text(e, re, n, true);
	if (!ej_room(e, n))
		return;
	for (const char *c = "ilmsux"; *c; c++)
		if (opts && strchr(opts, *c))
			sorted[k++] = *c;
	sorted[k] = '\0';
	ej_wrap(e, "$regularExpression");
	ej_wrap(e, "pattern");
	esc = ej_str(e, re, n);
	adi_jw_kstr(e->w, "options", sorted);
	ej_unwrap(e);
	ej_unwrap(e);
	ej_add(e, EJ_LIT("{ \"$regularExpression\" : { \"pattern\" : \"") + esc +
		  EJ_LIT("\", \"options\" : \"") + k + EJ_LIT("\" } }"));
}

/* {"$dbPointer":{"$ref":"<collection>","$id":{"$oid":"..."}}}: the
 * collection is checked whole but written up to its first NUL (libbson
 * escapes it as a C string). */
static void ej_dbpointer(struct mg_ej *e, const bson_iter_t *it)
{
	uint32_t n = 0;
	const char *coll = "";
	const bson_oid_t *oid = NULL;
	size_t cut, esc;
	char hex[25];

	bson_iter_dbpointer(it, &n, &coll, &oid);
	cut = strnlen(coll, n);
	if (!bson_utf8_validate(coll, n, true))
		e->fail = true;
	else
		ej_text(e, coll, cut, true);
	if (!ej_room(e, cut))
		return;
	ej_hex(hex, oid->bytes, 12);
	ej_wrap(e, "$dbPointer");
	ej_wrap(e, "$ref");
	esc = ej_str(e, coll, cut);
	adi_jw_key(e->w, "$id");
	ej_wrap_str(e, "$oid", hex, 24);
	ej_unwrap(e);
	ej_unwrap(e);
	ej_add(e, EJ_LIT("{ \"$dbPointer\" : { \"$ref\" : \"") + esc + EJ_LIT("\"") +
		  EJ_LIT(", \"$id\" : { \"$oid\" : \"") + 24 + EJ_LIT("\" }") + EJ_LIT(" } }"));
}

/* {"$timestamp":{"t":<t>,"i":<i>}} */
static void ej_timestamp(struct mg_ej *e, const bson_iter_t *it)
{
	uint32_t t = 0, i = 0;

	bson_iter_timestamp(it, &t, &i);
	ej_wrap(e, "$timestamp");
	ej_wrap(e, "t");
	adi_jw_u64(e->w, t);
	adi_jw_ku64(e->w, "i", i);
	ej_unwrap(e);
	ej_unwrap(e);
	ej_add(e, EJ_LIT("{ \"$timestamp\" : { \"t\" : ") + ej_dec_len(t) +
		  EJ_LIT(", \"i\" : ") + ej_dec_len(i) + EJ_LIT(" } }"));
}

/* {"$minKey":1}, {"$maxKey":1}, {"$undefined":true} */
static void ej_marker(struct mg_ej *e, const char *key, bool one)
{
	ej_wrap(e, key);
	if (one)
		adi_jw_int(e->w, 1);
	else
		adi_jw_bool(e->w, true);
	ej_unwrap(e);
	/* "{ \"" key "\" : " value " }" */
	ej_add(e, EJ_LIT("{ \"") + strlen(key) + EJ_LIT("\" : ") + (one ? 1 : 4) + EJ_LIT(" }"));
}

/* ---- documents ---- */

static void ej_value(struct mg_ej *e, const bson_iter_t *it, const char *const *rk);
static void ej_object(struct mg_ej *e, const bson_t *doc, bool top, const char *const *rk,
		      const char *const *sak);

/* Code, its scope written as a document of its own (libbson's top-level
 * form): {"$code":"...","$scope":{...}}. */
static void ej_codewscope(struct mg_ej *e, const bson_iter_t *it)
{
	uint32_t n = 0, slen = 0;
	const uint8_t *sdata = NULL;
	const char *code = bson_iter_codewscope(it, &n, &slen, &sdata);
	size_t esc;
	bson_t scope;

	ej_text(e, code, n, true);
	if (!ej_room(e, n))
		return;
	if (!sdata || !bson_init_static(&scope, sdata, slen)) {
		e->unparsable = true; /* libbson writes no value at all */
		return;
	}
	ej_wrap(e, "$code");
	esc = ej_str(e, code, n);
	adi_jw_key(e->w, "$scope");
	ej_add(e, EJ_LIT("{ \"$code\" : \"") + esc + EJ_LIT("\", \"$scope\" : ") + EJ_LIT(" }"));
	ej_object(e, &scope, true, NULL, NULL);
	ej_unwrap(e);
}

static void ej_array(struct mg_ej *e, const bson_t *arr)
{
	bson_iter_t it;
	size_t n = 0;

	if (!bson_iter_init(&it, arr)) {
		e->unparsable = true;
		return;
	}
	ej_open(e);
	adi_jw_arr(e->w);
	while (!ej_over(e) && bson_iter_next(&it)) {
		const char *k = bson_iter_key(&it);

		/* the items' keys are not shown, but checked like any key */
		if (*k)
			ej_text(e, k, it.d1 - it.key - 1, false);
		ej_add(e, n++ ? 2 : 0);
		ej_value(e, &it, NULL);
	}
	if (it.err_off)
		e->fail = true;
	adi_jw_arr_end(e->w);
	ej_close(e);
	ej_add(e, 4); /* "[ " and " ]", also around nothing */
}

/* A sub-document or array at it: what bson_iter_visit_all hands its
 * visitor (nothing at all when it does not frame). */
static void ej_box(struct mg_ej *e, const bson_iter_t *it, const char *const *rk)
{
	const uint8_t *data = NULL;
	uint32_t len = 0;
	bson_t sub;

	if (BSON_ITER_HOLDS_ARRAY(it))
		bson_iter_array(it, &len, &data);
	else
		bson_iter_document(it, &len, &data);
	if (!data || !bson_init_static(&sub, data, len)) {
		e->unparsable = true;
		return;
	}
	if (BSON_ITER_HOLDS_ARRAY(it))
		ej_array(e, &sub);
	else
		ej_object(e, &sub, false, rk, NULL);
}

/* One value (rk: for a document, its members to redact). libbson's
 * nesting cap (200 levels) is never reached: mg_doc_ok believes 100. */
static void ej_value(struct mg_ej *e, const bson_iter_t *it, const char *const *rk)
{
	struct adi_jw *w = e->w;
	const char *s;
	uint32_t n = 0;
	size_t at;

	switch (bson_iter_type(it)) {
	case BSON_TYPE_DOUBLE:
		ej_double(e, bson_iter_double(it));
		break;
	case BSON_TYPE_UTF8:
		s = bson_iter_utf8(it, &n);
		ej_string(e, NULL, s, n);
		break;
	case BSON_TYPE_DOCUMENT:
	case BSON_TYPE_ARRAY:
		ej_box(e, it, rk);
		break;
	case BSON_TYPE_BINARY:
		ej_binary(e, it);
		break;
	case BSON_TYPE_UNDEFINED:
		ej_marker(e, "$undefined", false);
		break;
	case BSON_TYPE_OID:
		ej_oid(e, bson_iter_oid(it));
		ej_add(e, EJ_LIT("{ \"$oid\" : \"") + 24 + EJ_LIT("\" }"));
		break;
	case BSON_TYPE_BOOL:
		adi_jw_bool(w, bson_iter_bool(it));
		ej_add(e, bson_iter_bool(it) ? 4 : 5);
		break;
	case BSON_TYPE_DATE_TIME:
		ej_date(e, bson_iter_date_time(it));
		break;
	case BSON_TYPE_NULL:
		adi_jw_null(w);
		ej_add(e, 4);
		break;
	case BSON_TYPE_REGEX:
		ej_regex(e, it);
		break;
	case BSON_TYPE_DBPOINTER:
		ej_dbpointer(e, it);
		break;
	case BSON_TYPE_CODE:
		s = bson_iter_code(it, &n);
		ej_string(e, "$code", s, n);
		break;
	case BSON_TYPE_SYMBOL:
		s = bson_iter_symbol(it, &n);
		ej_string(e, "$symbol", s, n);
		break;
	case BSON_TYPE_CODEWSCOPE:
		ej_codewscope(e, it);
		break;
	case BSON_TYPE_INT32:
	case BSON_TYPE_INT64:
		at = w->len + ej_comma(w);
		adi_jw_int(w, BSON_ITER_HOLDS_INT32(it) ? bson_iter_int32(it) : bson_iter_int64(it));
		ej_add(e, w->len - at);
		break;
	case BSON_TYPE_TIMESTAMP:
		ej_timestamp(e, it);
		break;
	case BSON_TYPE_DECIMAL128: {
		bson_decimal128_t dec;
		char t[BSON_DECIMAL128_STRING];

		bson_iter_decimal128(it, &dec);
		bson_decimal128_to_string(&dec, t);
		ej_wrap_str(e, "$numberDecimal", t, strlen(t));
		ej_add(e, EJ_LIT("{ \"$numberDecimal\" : \"") + strlen(t) + EJ_LIT("\" }"));
		break;
	}
	case BSON_TYPE_MAXKEY:
		ej_marker(e, "$maxKey", true);
		break;
	case BSON_TYPE_MINKEY:
		ej_marker(e, "$minKey", true);
		break;
	default:
		e->fail = true; /* bson_iter_next yields no other type */
		break;
	}
}

/* A member's key (the comma before it when due): libbson's `"key" : `
 * and its ", " after an earlier member. */
static void ej_key(struct mg_ej *e, const char *k, size_t klen, size_t idx)
{
	struct adi_jw *w = e->w;
	size_t at;

	if (*k)
		ej_text(e, k, klen, false);
	at = w->len + (idx ? 1 : 0);
	adi_jw_keyn(w, k, klen);
	/* written: `"` esc `":`; libbson's: `"` esc `" : ` */
	ej_add(e, (w->len >= at + 3 ? w->len - at - 3 : 0) + 5 + (idx ? 2 : 0));
}

static bool ej_in(const char *const *set, const char *k, size_t klen)
{
	for (; set && *set; set++)
		if (strlen(*set) == klen && !memcmp(*set, k, klen))
			return true;
	return false;
}

/* The value of a member shown under key k: it, or (a repeated key) the
 * last member of that name. Redacted when k is in rk: the value is
 * walked (what libbson and json.c make of it still counts), then
 * replaced by "<redacted>"; the compact bytes that took away are kept in
 * e->hidden (the bound is on the document before redaction). The
 * speculativeAuthenticate document of the top level redacts sak. */
static void ej_shown(struct mg_ej *e, const bson_iter_t *it, const char *k, size_t klen,
		     const char *const *rk, const char *const *sak)
{
	static const char sa[] = "speculativeAuthenticate";
	struct ej_mark m = ej_mark(e);
	ptrdiff_t inner;
	size_t c;

	ej_value(e, it, sak && klen == EJ_LIT(sa) && !memcmp(k, sa, klen) ? sak : NULL);
	if (!ej_in(rk, k, klen))
		return;
	inner = e->hidden - m.hidden;
	c = e->w->len - m.len;
	ej_drop(e, m);
	adi_jw_str(e->w, "<redacted>");
	e->hidden += (ptrdiff_t)c + inner - (ptrdiff_t)EJ_LIT("\"<redacted>\"");
}

/* it's value walked for libbson's text only (a repeated key's value that
 * json.c replaced): nothing of it stays written. */
static void ej_unshown(struct mg_ej *e, const bson_iter_t *it)
{
	struct ej_mark m = ej_mark(e);

	ej_value(e, it, NULL);
	ej_drop(e, m);
}

static bool ej_same_key(const bson_iter_t *a, const char *k, size_t klen)
{
	return (size_t)(a->d1 - a->key - 1) == klen && !memcmp(bson_iter_key(a), k, klen);
}

/* An earlier member of doc than it has the key k. */
static bool ej_earlier(const bson_t *doc, const bson_iter_t *it, const char *k, size_t klen)
{
	bson_iter_t j;

	if (!bson_iter_init(&j, doc))
		return false;
	while (bson_iter_next(&j) && j.off < it->off)
		if (ej_same_key(&j, k, klen))
			return true;
	return false;
}

/* The member at it of an object with a repeated key, as json.c built
 * it: each key at its first place with its last value. Every member still
 * counts in libbson's text (it writes them all). idx: the member's rank. */
static void ej_member_dup(struct mg_ej *e, const bson_t *doc, const bson_iter_t *it,
			  size_t idx, const char *const *rk, const char *const *sak)
{
	const char *k = bson_iter_key(it);
	size_t klen = it->d1 - it->key - 1, len;
	bson_iter_t last = *it, j = *it;
	struct ej_mark m = ej_mark(e);

	if (ej_earlier(doc, it, k, klen)) { /* shown at its first place */
		ej_key(e, k, klen, idx);
		ej_unshown(e, it);
		ej_drop(e, m);
		return;
	}
	while (bson_iter_next(&j))
		if (ej_same_key(&j, k, klen))
			last = j;
	ej_key(e, k, klen, idx);
	if (last.off == it->off) {
		ej_shown(e, it, k, klen, rk, sak);
		return;
	}
	/* this one counts here; the last one is shown here but counts at its
	 * own place */
	ej_unshown(e, it);
	len = e->len;
	ej_shown(e, &last, k, klen, rk, sak);
	e->len = len;
}

/* FNV-1a of a key. */
static uint32_t ej_hash(const char *k, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)k[i]) * 16777619u;
	return h;
}

struct ej_key {
	const char *k;
	uint32_t klen, h;
};

/* The keys of an object so far, for the repeated-key check: a 256-bit
 * filter of their hashes, the first EJ_KEYS on the stack, the others on
 * the heap (a wide object is checked in linear time, not quadratic). */
struct ej_keys {
	uint64_t seen[4];
	struct ej_key in[EJ_KEYS];
	struct ej_key *more;
	size_t n, cap;  /* keys noted; room in more */
	bool lost;      /* out of memory: later keys are looked for in the BSON */
};

static struct ej_key *ej_key_at(struct ej_keys *ks, size_t i)
{
	return i < EJ_KEYS ? &ks->in[i] : &ks->more[i - EJ_KEYS];
}

/* The key of the member at it was seen before in doc; else it is noted. */
static bool ej_repeats(struct ej_keys *ks, const bson_t *doc, const bson_iter_t *it)
{
	struct ej_key key = { bson_iter_key(it), it->d1 - it->key - 1, 0 };
	unsigned b;

	key.h = ej_hash(key.k, key.klen);
	b = key.h & 255;
	if (ks->seen[b >> 6] >> (b & 63) & 1) {
		if (ks->lost && ej_earlier(doc, it, key.k, key.klen))
			return true;
		for (size_t i = 0; i < ks->n; i++) {
			const struct ej_key *o = ej_key_at(ks, i);

			if (o->h == key.h && o->klen == key.klen && !memcmp(o->k, key.k, key.klen))
				return true;
		}
	}
	ks->seen[b >> 6] |= 1ull << (b & 63);
	if (ks->lost)
		return false;
	if (ks->n >= EJ_KEYS && ks->n - EJ_KEYS == ks->cap) {
		size_t cap = ks->cap ? ks->cap * 2 : 64;
		struct ej_key *more = realloc(ks->more, cap * sizeof(*more));

		if (!more) {
			ks->lost = true;
			return false;
		}
		ks->more = more;
		ks->cap = cap;
	}
	*ej_key_at(ks, ks->n++) = key;
	return false;
}

/* The members of doc as an object. dups false: in one go, and false
 * (nothing written, nothing counted) at the first key that repeats;
 * dups true: as json.c built it (ej_member_dup). */
static bool ej_members(struct mg_ej *e, const bson_t *doc, bool top, const char *const *rk,
		       const char *const *sak, bool dups)
{
	struct ej_mark m0 = ej_mark(e);
	size_t len0 = e->len, n = 0;
	struct ej_keys ks;
	bson_iter_t it;

	if (!bson_iter_init(&it, doc)) {
		e->unparsable = true;
		return true;
	}
	memset(ks.seen, 0, sizeof(ks.seen));
	ks.more = NULL;
	ks.n = ks.cap = 0;
	ks.lost = false;
	ej_open(e);
	adi_jw_obj(e->w);
	while (!ej_over(e) && bson_iter_next(&it)) {
		const char *k = bson_iter_key(&it);
		size_t klen = it.d1 - it.key - 1;

		if (dups) {
			ej_member_dup(e, doc, &it, n++, rk, sak);
			continue;
		}
		if (ej_repeats(&ks, doc, &it)) {
			free(ks.more);
			ej_drop(e, m0);
			e->len = len0;
			return false;
		}
		ej_key(e, k, klen, n++);
		ej_shown(e, &it, k, klen, rk, sak);
	}
	free(ks.more);
	if (it.err_off)
		e->fail = true;
	adi_jw_obj_end(e->w);
	ej_close(e);
	ej_add(e, n || !top ? 4 : 3); /* "{ " and " }"; the ", " came with the keys */
	return true;
}

/* A document as an object: libbson's "{ a, b }" ("{ }" for an empty
 * top-level one, "{  }" nested), written in one go while no key repeats,
 * else again as json.c built it. top: libbson's top-level form; rk:
 * members to redact; sak: those of its speculativeAuthenticate document. */
static void ej_object(struct mg_ej *e, const bson_t *doc, bool top, const char *const *rk,
		      const char *const *sak)
{
	if (top && bson_empty(doc)) {
		/* "{ }" at once: libbson reads no further than a first type
		 * byte of 0 (bson_empty), whatever the length says */
		ej_open(e);
		adi_jw_obj(e->w);
		adi_jw_obj_end(e->w);
		ej_close(e);
		ej_add(e, 3);
		return;
	}
	if (!ej_members(e, doc, top, rk, sak, false))
		ej_members(e, doc, top, rk, sak, true);
}

/* ---- the calls ---- */

/* mg_ej_start(), mg_ej_doc(), mg_ej_len(): see mg.h. */
void mg_ej_start(struct mg_ej *e, struct adi_jw *w, size_t limit, const struct mg_redact *rd)
{
	memset(e, 0, sizeof(*e));
	e->w = w;
	e->limit = limit;
	e->rd = rd;
}

void mg_ej_doc(struct mg_ej *e, const bson_t *doc)
{
	ej_object(e, doc, true, e->rd ? e->rd->top : NULL, e->rd ? e->rd->sa : NULL);
	ej_over(e);
}

size_t mg_ej_len(struct adi_jw *tmp, const bson_t *doc, size_t limit)
{
	struct mg_ej e;

	adi_jw_reset(tmp);
	mg_ej_start(&e, tmp, limit, NULL);
	mg_ej_doc(&e, doc);
	return e.over || e.fail ? SIZE_MAX : e.len;
}
