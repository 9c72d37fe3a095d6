/* test_jw.c - unit tests of src/lib/jw.c: the exact text the one-pass
 * writer produces (commas, nesting, escaping, payload as UTF-8 or base64,
 * doubles), member lookup through the index and past it, and the tree-less
 * readers (types, ints at the int64 limits, strings with escapes,
 * iteration, nested lookups). Expected texts are written by hand from
 * RFC 8259 and docs/events.md.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/jw.h"

static void expect_text(const struct adi_jw *w, const char *want)
{
	assert_int_equal(w->err, 0);
	assert_int_equal(w->len, strlen(want));
	assert_string_equal(w->buf, want);
}

/* adi_jw_plain_run against a byte-by-byte rule: every length to 40, a
 * byte that needs escaping (or is not ASCII) at every position, the
 * lengths 8-16 that two overlapping words check included */
static void test_plain_run(void **state)
{
	static const uint8_t bad[] = { '"', '\\', '\n', 0x00, 0x1f, 0x80, 0xff };
	uint8_t b[48];

	(void)state;
	for (size_t n = 0; n <= 40; n++) {
		memset(b, 'a', sizeof(b));
		assert_int_equal(adi_jw_plain_run(b, n), n);
		for (size_t at = 0; at < n; at++)
			for (size_t k = 0; k < sizeof(bad); k++) {
				memset(b, 'a', sizeof(b));
				b[at] = bad[k];
				assert_int_equal(adi_jw_plain_run(b, n), at);
				/* bytes past n are not looked at */
				memset(b, 'a', sizeof(b));
				b[n] = bad[k];
				assert_int_equal(adi_jw_plain_run(b, n), n);
			}
	}
}

static void test_member_list(void **state)
{
	struct adi_jw w;

	(void)state;
	adi_jw_init(&w);
	adi_jw_kstr(&w, "op", "open");
	adi_jw_kint(&w, "fd", -3);
	adi_jw_knull(&w, "error");
	adi_jw_kbool(&w, "ok", true);
	adi_jw_ku64(&w, "big", UINT64_MAX);
	adi_jw_kdouble(&w, "ms", 1.25);
	adi_jw_kstr(&w, "none", NULL);
	expect_text(&w, "\"op\":\"open\",\"fd\":-3,\"error\":null,\"ok\":true,"
		    "\"big\":18446744073709551615,\"ms\":1.25,\"none\":null");
	assert_int_equal(w.nmem, 7);
	adi_jw_reset(&w);
	expect_text(&w, "");
	adi_jw_kint(&w, "a", 1);
	expect_text(&w, "\"a\":1");
	adi_jw_fini(&w);
	assert_null(w.buf);
}

static void test_nesting(void **state)
{
	struct adi_jw w;

	(void)state;
	adi_jw_init(&w);
	adi_jw_kobj(&w, "conn");
	adi_jw_kstr(&w, "transport", "tcp");
	adi_jw_kint(&w, "id", 7);
	adi_jw_obj_end(&w);
	adi_jw_karr(&w, "argv");
	adi_jw_str(&w, "sh");
	adi_jw_str(&w, "-c");
	adi_jw_arr(&w);
	adi_jw_arr_end(&w);
	adi_jw_obj(&w);
	adi_jw_obj_end(&w);
	adi_jw_arr(&w);
	adi_jw_int(&w, 1);
	adi_jw_null(&w);
	adi_jw_arr_end(&w);
	adi_jw_arr_end(&w);
	adi_jw_karr(&w, "empty");
	adi_jw_arr_end(&w);
	expect_text(&w, "\"conn\":{\"transport\":\"tcp\",\"id\":7},"
		    "\"argv\":[\"sh\",\"-c\",[],{},[1,null]],\"empty\":[]");
	assert_int_equal(w.depth, 0);
	assert_int_equal(w.nmem, 3); /* only the top-level members */
	adi_jw_fini(&w);
}

static void test_escaping(void **state)
{
	struct adi_jw w;
	static const uint8_t bin[] = { 0xff, 0x00, 'a' };

	(void)state;
	adi_jw_init(&w);
	adi_jw_kstrn(&w, "s", "a\"b\\c\n\t\x01\xc3\xa9", 10);
	adi_jw_kstrn(&w, "bad", "x\xffy", 3);
	adi_jw_kbytes(&w, "body", bin, sizeof(bin));
	adi_jw_kbytes(&w, "text", (const uint8_t *)"hi\n", 3);
	adi_jw_kbytes(&w, "empty", NULL, 0);
	adi_jw_kstrn(&w, "nul", "a\0b", 3);
	adi_jw_keyn(&w, "we\"ird", 6); /* a key from data: escaped */
	adi_jw_int(&w, 1);
	expect_text(&w, "\"s\":\"a\\\"b\\\\c\\n\\t\\u0001\xc3\xa9\","
		    "\"bad\":\"x\xef\xbf\xbdy\",\"body\":\"base64:/wBh\","
		    "\"text\":\"hi\\n\",\"empty\":\"\",\"nul\":\"a\\u0000b\","
		    "\"we\\\"ird\":1");
	adi_jw_fini(&w);
}

/* A reference escaper, byte by byte from RFC 8259 and RFC 3629 (what the
 * writer's 16- and 8-byte fast paths must agree with). */
static size_t ref_utf8(const uint8_t *b, size_t n)
{
	size_t len;
	uint32_t cp;

	if (b[0] < 0x80)
		return 1;
	if (b[0] >= 0xc2 && b[0] <= 0xdf) { len = 2; cp = b[0] & 0x1f; }
	else if (b[0] >= 0xe0 && b[0] <= 0xef) { len = 3; cp = b[0] & 0x0f; }
	else if (b[0] >= 0xf0 && b[0] <= 0xf4) { len = 4; cp = b[0] & 0x07; }
	else return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((b[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (b[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static bool ref_valid(const uint8_t *b, size_t n)
{
	for (size_t i = 0, l; i < n; i += l)
		if (!(l = ref_utf8(b + i, n - i)))
			return false;
	return true;
}

static void ref_escape(const uint8_t *b, size_t n, char *out)
{
	char *o = out;

	*o++ = '"';
	for (size_t i = 0; i < n;) {
		uint8_t c = b[i];
		size_t l;

		if (c == '"' || c == '\\') { *o++ = '\\'; *o++ = (char)c; i++; }
		else if (c == '\n') { memcpy(o, "\\n", 2); o += 2; i++; }
		else if (c == '\r') { memcpy(o, "\\r", 2); o += 2; i++; }
		else if (c == '\t') { memcpy(o, "\\t", 2); o += 2; i++; }
		else if (c == '\b') { memcpy(o, "\\b", 2); o += 2; i++; }
		else if (c == '\f') { memcpy(o, "\\f", 2); o += 2; i++; }
		else if (c < 0x20) { o += sprintf(o, "\\u%04x", c); i++; }
		else if ((l = ref_utf8(b + i, n - i))) { memcpy(o, b + i, l); o += l; i += l; }
		else { memcpy(o, "\xef\xbf\xbd", 3); o += 3; i++; }
	}
	*o++ = '"';
	*o = '\0';
}

/* b[0..n) through adi_jw_strn after pre bytes already in the writer (so
 * its buffer is as full as that when the string comes), against the byte
 * rule. */
static void strn_after(size_t pre, const uint8_t *b, size_t n)
{
	char want[80 * 6 + 8], exp[sizeof(want) + 320];
	struct adi_jw w;

	assert_true(n <= 80 && pre <= 300);
	ref_escape(b, n, want);
	memset(exp, 'p', pre);
	strcpy(exp + pre, want);
	adi_jw_init(&w);
	for (size_t i = 0; i < pre; i++)
		adi_jw_put(&w, "p", 1);
	adi_jw_strn(&w, (const char *)b, n);
	expect_text(&w, exp);
	adi_jw_fini(&w);
}

/* adi_jw_strn copies while it scans, 16 bytes at a time, and asks for
 * room as it goes: against the byte rule for every length to 70, one or
 * two bytes that need a look at every position, after every length of
 * text already in the writer (so its buffer grows at every point). */
static void test_strn_copying_scan(void **state)
{
	static const uint8_t bad[] = { '"', '\\', '\n', 0x00, 0x01, 0x1f, 0x7f, 0x80, 0xff, 0xc3 };
	uint8_t b[80];

	(void)state;
	for (size_t n = 0; n <= 70; n++)
		for (size_t at = 0; at <= n; at++)
			for (size_t k = 0; k < sizeof(bad); k++)
				for (size_t pre = 0; pre < 300; pre += (n == 33 ? 1 : 61)) {
					memset(b, 'a', sizeof(b));
					if (at < n)
						b[at] = bad[k];
					if (at + 1 < n && bad[k] == 0xc3)
						b[at + 1] = 0xa9; /* "é": valid, kept */
					if (at + 5 < n)
						b[at + 5] = '\t';
					b[n] = '"'; /* past n: never looked at */
					strn_after(pre, b, n);
				}
}

/* A string of nothing but two-character escapes writes twice its length:
 * after every fill of the buffer, so a write past the room it asked for
 * runs off the allocation (ASan) or the expected text. */
static void test_strn_all_escapes(void **state)
{
	uint8_t b[80];

	(void)state;
	for (size_t n = 0; n <= 70; n++)
		for (size_t pre = 0; pre < 300; pre++) {
			for (size_t i = 0; i < n; i++)
				b[i] = i % 3 ? '\n' : '"';
			strn_after(pre, b, n);
		}
}

/* Random strings over an alphabet heavy in what needs a look, at every
 * length and alignment the fast paths cut at. */
static void test_escape_random(void **state)
{
	static const uint8_t alpha[] = { 'a', 'b', ' ', '"', '\\', '\n', 0x01, 0x1f, 0x7f,
					 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98,
					 0x80, 0xff, 0xc0, 0xed, 0xa0 };
	uint32_t x = 12345;
	struct adi_jw w;

	(void)state;
	adi_jw_init(&w);
	for (int t = 0; t < 20000; t++) {
		uint8_t b[80];
		char want[80 * 6 + 3];
		size_t n = (size_t)(t % 80);

		for (size_t i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			/* mostly plain text, so long runs reach the fast paths */
			b[i] = (x >> 16) % 4 ? (uint8_t)('a' + (x >> 20) % 26)
					     : alpha[(x >> 20) % sizeof(alpha)];
		}
		ref_escape(b, n, want);
		adi_jw_reset(&w);
		adi_jw_strn(&w, (const char *)b, n);
		assert_string_equal(w.buf, want);
		/* bytes: the same text when it is all valid UTF-8 */
		adi_jw_reset(&w);
		adi_jw_bytes(&w, b, n);
		if (ref_valid(b, n))
			assert_string_equal(w.buf, want);
		else
			assert_memory_equal(w.buf, "\"base64:", 8);
	}
	adi_jw_fini(&w);
}

static void test_doubles(void **state)
{
	struct adi_jw w;

	(void)state;
	adi_jw_init(&w);
	adi_jw_arr(&w);
	adi_jw_double(&w, 1.0);
	adi_jw_double(&w, 0.0005);  /* rounds half away: 0.001 */
	adi_jw_double(&w, -0.0001); /* never -0.0 */
	adi_jw_double(&w, 2.5);
	adi_jw_double(&w, 1.0 / 0.0);
	adi_jw_double(&w, 123.4567);
	adi_jw_arr_end(&w);
	expect_text(&w, "[1.0,0.001,0.0,2.5,null,123.457]");
	adi_jw_fini(&w);
}

/* adi_jw_ms(ns) against printf's "%.3f" of ns / 1e6, trailing zeros
 * dropped but one: every remainder below a microsecond around small and
 * large values, the halves, and a spread of random ones. */
static void expect_ms(int64_t ns)
{
	struct adi_jw w;
	char want[64];
	int n;

	n = snprintf(want, sizeof(want), "%.3f", (double)ns / 1e6);
	while (n > 0 && want[n - 1] == '0' && want[n - 2] != '.')
		want[--n] = '\0';
	adi_jw_init(&w);
	adi_jw_ms(&w, ns);
	if (w.len != (size_t)n || memcmp(w.buf, want, (size_t)n))
		fail_msg("ns %lld: \"%s\", printf \"%s\"", (long long)ns, w.buf, want);
	adi_jw_fini(&w);
}

static void test_ms(void **state)
{
	static const int64_t base[] = { 0, 1000, 999000, 1000000, 123456000, 86399999000,
					99999999999000, 100000000000000, 1234567890123000 };
	uint64_t x = 88172645463325252ull;

	(void)state;
	for (size_t b = 0; b < sizeof(base) / sizeof(base[0]); b++)
		for (int64_t r = 0; r < 2000; r++)
			expect_ms(base[b] + r);
	for (int i = 0; i < 200000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		expect_ms((int64_t)(x % (1ull << (i % 50 + 1))));
	}
}

static void test_raw_and_get(void **state)
{
	struct adi_jw m, e;
	struct adi_jv v, none = { NULL, 0 };

	(void)state;
	adi_jw_init(&m);
	adi_jw_init(&e);
	adi_jw_kstr(&m, "method", "GET");
	adi_jw_kobj(&m, "headers");
	adi_jw_kstr(&m, "host", "h:1");
	adi_jw_obj_end(&m);
	adi_jw_kint(&m, "bytes", 12);
	adi_jw_kint(&m, "bytes", 13); /* a later write wins on read */

	v = adi_jw_get(&m, "method");
	assert_int_equal(v.n, 5);
	assert_memory_equal(v.p, "\"GET\"", 5);
	assert_true(adi_jv_streq(v, "GET"));
	assert_int_equal(adi_jv_int(adi_jw_get(&m, "bytes"), -1), 13);
	assert_true(adi_jv_absent(adi_jw_get(&m, "nope")));
	assert_true(adi_jv_absent(adi_jw_get(&m, "byte")));
	assert_true(adi_jv_streq(adi_jv_get(adi_jw_get(&m, "headers"), "host"), "h:1"));

	{	/* an exact-size copy reads back the same */
		struct adi_jw c;

		adi_jw_init(&c);
		assert_int_equal(adi_jw_copy(&c, &m), 0);
		assert_int_equal(c.cap, m.len + 1);
		assert_int_equal(adi_jv_int(adi_jw_get(&c, "bytes"), -1), 13);
		assert_true(adi_jv_streq(adi_jv_get(adi_jw_get(&c, "headers"), "host"), "h:1"));
		adi_jw_fini(&c);
	}
	adi_jw_kraw(&e, "method", adi_jw_get(&m, "method"));
	adi_jw_kraw(&e, "req_headers", adi_jw_get(&m, "headers"));
	adi_jw_kraw(&e, "status", none);
	expect_text(&e, "\"method\":\"GET\",\"req_headers\":{\"host\":\"h:1\"},\"status\":null");
	adi_jw_fini(&m);
	adi_jw_fini(&e);
}

/* More members than the index holds: found by scanning. */
static void test_many_members(void **state)
{
	struct adi_jw w;
	char k[16];

	(void)state;
	adi_jw_init(&w);
	for (int i = 0; i < ADI_JW_INDEX + 10; i++) {
		snprintf(k, sizeof(k), "k%d", i);
		adi_jw_kint(&w, k, i * 10);
	}
	assert_int_equal(w.nmem, ADI_JW_INDEX + 10);
	for (int i = 0; i < ADI_JW_INDEX + 10; i++) {
		snprintf(k, sizeof(k), "k%d", i);
		assert_int_equal(adi_jv_int(adi_jw_get(&w, k), -1), i * 10);
	}
	assert_int_equal(adi_jv_count((struct adi_jv){ "{\"a\":1,\"b\":[1,2]}", 17 }), 2);
	adi_jw_fini(&w);
}

static struct adi_jv V(const char *s)
{
	struct adi_jv v = { s, strlen(s) };

	return v;
}

static void test_readers(void **state)
{
	size_t n;
	char *d;
	struct adi_jv_it it;
	struct adi_jv k, x;
	int i = 0;

	(void)state;
	assert_int_equal(adi_jv_type(V("null")), ADI_J_NULL);
	assert_int_equal(adi_jv_type((struct adi_jv){ NULL, 0 }), ADI_J_NULL);
	assert_int_equal(adi_jv_type(V("true")), ADI_J_BOOL);
	assert_int_equal(adi_jv_type(V("-12")), ADI_J_INT);
	assert_int_equal(adi_jv_type(V("1.5")), ADI_J_DOUBLE);
	assert_int_equal(adi_jv_type(V("1e3")), ADI_J_DOUBLE);
	assert_int_equal(adi_jv_type(V("\"x\"")), ADI_J_STR);
	assert_int_equal(adi_jv_type(V("[]")), ADI_J_ARR);
	assert_int_equal(adi_jv_type(V("{}")), ADI_J_OBJ);

	assert_true(adi_jv_int(V("9223372036854775807"), 0) == INT64_MAX);
	assert_true(adi_jv_int(V("-9223372036854775808"), 0) == INT64_MIN);
	assert_int_equal(adi_jv_int(V("9223372036854775808"), -7), -7);
	assert_int_equal(adi_jv_int(V("1.5"), -7), -7);
	assert_int_equal(adi_jv_int(V("\"1\""), -7), -7);
	assert_true(adi_jv_double(V("2"), 0) == 2.0);
	assert_true(adi_jv_double(V("0"), 1) == 0.0);
	assert_true(adi_jv_double(V("1.25"), 0) == 1.25);
	assert_true(adi_jv_double(V("null"), 3.0) == 3.0);
	assert_true(adi_jv_bool(V("false"), true) == false);
	assert_true(adi_jv_bool(V("1"), true) == true);

	d = adi_jv_strdup(V("\"a\\nb\\u00e9\\u0000c\""), &n);
	assert_non_null(d);
	assert_int_equal(n, 7);
	assert_memory_equal(d, "a\nb\xc3\xa9\0c", 8);
	free(d);
	d = adi_jv_strdup(V("\"plain\""), &n);
	assert_string_equal(d, "plain");
	free(d);
	assert_null(adi_jv_strdup(V("12"), &n));
	assert_null(adi_jv_plain(V("\"a\\\"b\""), &n));
	assert_true(adi_jv_streq(V("\"a\\\"b\""), "a\"b"));
	assert_false(adi_jv_streq(V("\"ab\""), "abc"));

	/* iteration, with strings holding brackets, commas and quotes */
	it = adi_jv_iter(V("{\"a\":\"x,}]\\\"\",\"b\":{\"c\":[1,{\"d\":2}]},\"e\":-1}"));
	while (adi_jv_next(&it, &k, &x)) {
		static const char *const keys[] = { "\"a\"", "\"b\"", "\"e\"" };
		static const char *const vals[] = { "\"x,}]\\\"\"", "{\"c\":[1,{\"d\":2}]}", "-1" };

		assert_true(i < 3);
		assert_int_equal(k.n, strlen(keys[i]));
		assert_memory_equal(k.p, keys[i], k.n);
		assert_int_equal(x.n, strlen(vals[i]));
		assert_memory_equal(x.p, vals[i], x.n);
		i++;
	}
	assert_int_equal(i, 3);
	assert_int_equal(adi_jv_count(V("[1,\"]\",[2,3],{}]")), 4);
	assert_int_equal(adi_jv_count(V("[]")), 0);
	assert_int_equal(adi_jv_int(adi_jv_get(V("{\"a\":{\"b\":5},\"b\":6}"), "b"), 0), 6);
	assert_int_equal(adi_jv_int(adi_jv_member(V("\"a\":1,\"b\":2"), "b"), 0), 2);
	/* not our compact JSON: read as nothing, never past the view */
	assert_int_equal(adi_jv_count(V("{\"a\" : 1}")), 0);
	assert_true(adi_jv_absent(adi_jv_get(V("{\"a\":\"unterminated}"), "a")));
	assert_true(adi_jv_absent(adi_jv_get(V("[1]"), "a")));
}

static void test_take_and_tree(void **state)
{
	struct adi_jw w;
	struct adi_jval *t = adi_j_obj();
	char *b;
	size_t n;

	(void)state;
	adi_j_set_str(t, "k", "v");
	adi_j_set(t, "a", adi_j_arr());
	adi_j_push(adi_j_get(t, "a"), adi_j_int(1));
	adi_jw_init(&w);
	adi_jw_key(&w, "tree");
	adi_jw_tree(&w, t);
	adi_jw_kint(&w, "n", 2);
	expect_text(&w, "\"tree\":{\"k\":\"v\",\"a\":[1]},\"n\":2");
	b = adi_jw_take(&w, &n);
	assert_int_equal(n, strlen("\"tree\":{\"k\":\"v\",\"a\":[1]},\"n\":2"));
	assert_null(w.buf);
	assert_int_equal(w.len, 0);
	free(b);
	b = adi_jw_take(&w, &n);
	assert_null(b);
	assert_int_equal(n, 0);
	adi_j_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_run),
		cmocka_unit_test(test_strn_copying_scan),
		cmocka_unit_test(test_strn_all_escapes),
		cmocka_unit_test(test_member_list),
		cmocka_unit_test(test_nesting),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_doubles),
		cmocka_unit_test(test_ms),
		cmocka_unit_test(test_escape_random),
		cmocka_unit_test(test_raw_and_get),
		cmocka_unit_test(test_many_members),
		cmocka_unit_test(test_readers),
		cmocka_unit_test(test_take_and_tree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
