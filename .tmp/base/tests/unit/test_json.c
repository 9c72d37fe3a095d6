/* test_json.c - unit tests of src/lib/json.c: building trees, the compact
 * writer (escaping, number format, payload bytes) and the parser (round
 * trips, limits, every malformed form we know of). Parser input is copied
 * into an exactly sized heap buffer so ASan catches any read past n.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/json.h"

/* Serialise v, compare with want, free both. */
static void expect_json(struct adi_jval *v, const char *want)
{
	char *s;

	assert_non_null(v);
	s = adi_j_to_string(v);
	assert_non_null(s);
	assert_string_equal(s, want);
	free(s);
	adi_j_free(v);
}

/* Parse n bytes from an unterminated heap copy. */
static struct adi_jval *parse_n(const char *s, size_t n)
{
	char *copy = malloc(n ? n : 1);
	struct adi_jval *v;

	assert_non_null(copy);
	memcpy(copy, s, n);
	v = adi_json_parse(copy, n);
	free(copy);
	return v;
}

static struct adi_jval *parse(const char *s)
{
	return parse_n(s, strlen(s));
}

static void expect_roundtrip(const char *in, const char *want)
{
	struct adi_jval *v = parse(in);

	if (!v)
		fail_msg("rejected: %s", in);
	expect_json(v, want);
}

static void expect_reject_n(const char *in, size_t n)
{
	struct adi_jval *v;

	errno = 0;
	v = parse_n(in, n);
	if (v) {
		adi_j_free(v);
		fail_msg("accepted: %.*s", (int)n, in);
	}
	assert_int_equal(errno, EINVAL);
}

static void expect_reject(const char *in)
{
	expect_reject_n(in, strlen(in));
}

static void test_build_and_write(void **state)
{
	struct adi_jval *o = adi_j_obj(), *a = adi_j_arr();

	(void)state;
	assert_int_equal(adi_j_set_int(o, "a", 1), 0);
	assert_int_equal(adi_j_push(a, adi_j_bool(true)), 0);
	assert_int_equal(adi_j_push(a, adi_j_null()), 0);
	assert_int_equal(adi_j_set(o, "b", a), 0);
	assert_int_equal(adi_j_set_str(o, "c", NULL), 0); /* NULL string -> null */
	assert_int_equal(adi_j_set_bool(o, "d", false), 0);
	assert_int_equal(adi_j_set_int(o, "e", INT64_MIN), 0);
	assert_int_equal(adi_j_set(o, "f", adi_j_obj()), 0);
	assert_int_equal(adi_j_set(o, "g", adi_j_arr()), 0);
	expect_json(o, "{\"a\":1,\"b\":[true,null],\"c\":null,\"d\":false,"
		       "\"e\":-9223372036854775808,\"f\":{},\"g\":[]}");
	expect_json(adi_j_str(""), "\"\"");
}

static void test_string_escaping(void **state)
{
	(void)state;
	expect_json(adi_j_str("q\"b\\s/"), "\"q\\\"b\\\\s/\"");
	expect_json(adi_j_str("\n\r\t\b\f"), "\"\\n\\r\\t\\b\\f\"");
	expect_json(adi_j_str("\x01\x1f\x7f"), "\"\\u0001\\u001f\x7f\"");
	/* NUL bytes survive through adi_j_strn */
	expect_json(adi_j_strn("a\0b", 3), "\"a\\u0000b\"");
	/* non-ASCII UTF-8 is written as is */
	expect_json(adi_j_str("caf\xc3\xa9 \xe2\x82\xac"), "\"caf\xc3\xa9 \xe2\x82\xac\"");
	/* bytes that are not UTF-8 become U+FFFD: output stays valid JSON */
	expect_json(adi_j_strn("a\xff" "b\xc3", 4), "\"a\xef\xbf\xbd" "b\xef\xbf\xbd\"");
	/* keys are escaped too */
	{
		struct adi_jval *o = adi_j_obj();

		assert_int_equal(adi_j_set_int(o, "k\"\n", 1), 0);
		expect_json(o, "{\"k\\\"\\n\":1}");
	}
}

static void test_doubles(void **state)
{
	(void)state;
	expect_json(adi_j_double(1.0), "1.0");
	expect_json(adi_j_double(1.5), "1.5");
	expect_json(adi_j_double(0.0), "0.0");
	expect_json(adi_j_double(0.1), "0.1");
	expect_json(adi_j_double(100.25), "100.25");
	expect_json(adi_j_double(-2.5), "-2.5");
	expect_json(adi_j_double(1234567.125), "1234567.125");
	expect_json(adi_j_double(1.2346), "1.235");     /* 3 decimals, rounded */
	expect_json(adi_j_double(0.0004), "0.0");
	expect_json(adi_j_double(-0.0004), "0.0");      /* no negative zero */
	expect_json(adi_j_double(-0.0), "0.0");
	expect_json(adi_j_double(1e15), "1000000000000000.0");
	/* no JSON form: null */
	expect_json(adi_j_double(NAN), "null");
	expect_json(adi_j_double(INFINITY), "null");
	expect_json(adi_j_double(-INFINITY), "null");
}

/* "%.3f" trimmed as json.h says, computed here from printf alone. */
static void printf_double(double d, char *out, size_t n)
{
	char t[64];
	size_t len = (size_t)snprintf(t, sizeof(t), "%.3f", d);

	while (len > 0 && t[len - 1] == '0' && t[len - 2] != '.')
		len--;
	t[len] = 0;
	snprintf(out, n, "%s", strcmp(t, "-0.0") ? t : "0.0");
}

/* The writer formats most doubles without printf; it must agree with
 * printf's exact rounding everywhere, ties included (durations are
 * nanoseconds / 1e6, so x.yyy5 ms values are common). */
static void test_doubles_match_printf(void **state)
{
	uint64_t x = 88172645463325252ull;
	char want[64];

	(void)state;
	for (int i = 0; i < 200000; i++) {
		double d;

		x ^= x << 13; /* xorshift: a fixed, repeatable sequence */
		x ^= x >> 7;
		x ^= x << 17;
		switch (i % 4) {
		case 0: d = (double)(x % 100000000000ull) / 1e6; break; /* ns as ms */
		case 1: d = (double)(x % 20000001) / 2000.0 - 5000.0;  break; /* halves */
		case 2: d = (double)(int64_t)(x % 2000000) / 1e3 - 1000.0; break;
		default: d = (double)(x % 1000000007ull) * 1e-7 * ((x & 1) ? -1 : 1); break;
		}
		printf_double(d, want, sizeof(want));
		{
			struct adi_jval *v = adi_j_double(d);
			char *got = adi_j_to_string(v);

			if (strcmp(got, want))
				fail_msg("%.17g: wrote %s, printf gives %s", d, got, want);
			free(got);
			adi_j_free(v);
		}
	}
}

/* null/true/false are shared nodes: freeing them (also from a container,
 * also twice) must be harmless, and they stay what they are. */
static void test_shared_scalars(void **state)
{
	struct adi_jval *o = adi_j_obj(), *n = adi_j_null(), *t = adi_j_bool(true);

	(void)state;
	adi_j_free(n);
	adi_j_free(t);
	assert_int_equal(adi_j_set(o, "a", adi_j_null()), 0);
	assert_int_equal(adi_j_set(o, "a", adi_j_bool(false)), 0); /* replaces null */
	assert_int_equal(adi_j_set_bool(o, "b", true), 0);
	expect_json(o, "{\"a\":false,\"b\":true}");
	expect_json(adi_j_null(), "null");
	expect_json(adi_j_bool(true), "true");
	assert_true(adi_j_as_bool(adi_j_bool(false), true) == false);
}

static void test_bytes(void **state)
{
	static const uint8_t bin[] = { 0xff, 0xfe, 0x00 };
	struct adi_jval *v;

	(void)state;
	expect_json(adi_j_bytes((const uint8_t *)"hi\n", 3), "\"hi\\n\"");
	expect_json(adi_j_bytes(bin, 3), "\"base64://4A\"");
	expect_json(adi_j_bytes(NULL, 0), "\"\"");
	/* a NUL byte is valid UTF-8: kept as a string */
	expect_json(adi_j_bytes((const uint8_t *)"a\0", 2), "\"a\\u0000\"");
	/* a truncated UTF-8 sequence is not: "foo\xc3" -> base64 of 4 bytes */
	expect_json(adi_j_bytes((const uint8_t *)"foo\xc3", 4), "\"base64:Zm9vww==\"");
	v = adi_j_bytes((const uint8_t *)"x\0y", 3);
	assert_int_equal(adi_j_type(v), ADI_J_STR);
	assert_int_equal(adi_j_len(v), 3);
	adi_j_free(v);
}

static void test_order_and_replace(void **state)
{
	struct adi_jval *o = adi_j_obj();

	(void)state;
	assert_int_equal(adi_j_set_str(o, "z", "1"), 0);
	assert_int_equal(adi_j_set_str(o, "a", "2"), 0);
	assert_int_equal(adi_j_set_str(o, "m", "3"), 0);
	/* replacing keeps the key where it was */
	assert_int_equal(adi_j_set_int(o, "a", 42), 0);
	assert_int_equal(adi_j_len(o), 3);
	assert_string_equal(adi_j_key_at(o, 0), "z");
	assert_string_equal(adi_j_key_at(o, 1), "a");
	assert_string_equal(adi_j_key_at(o, 2), "m");
	assert_null(adi_j_key_at(o, 3));
	assert_int_equal(adi_j_as_int(adi_j_at(o, 1), 0), 42);
	assert_int_equal(adi_j_get_int(o, "a", 0), 42);
	expect_json(o, "{\"z\":\"1\",\"a\":42,\"m\":\"3\"}");
}

static void test_access(void **state)
{
	struct adi_jval *o = adi_j_obj(), *a = adi_j_arr();

	(void)state;
	adi_j_set_str(o, "s", "text");
	adi_j_set_int(o, "i", 7);
	adi_j_set_double(o, "d", 2.5);
	adi_j_set_bool(o, "b", true);
	adi_j_set_null(o, "n");
	adi_j_push(a, adi_j_int(1));
	adi_j_set(o, "a", a);

	assert_int_equal(adi_j_type(adi_j_get(o, "s")), ADI_J_STR);
	assert_int_equal(adi_j_type(NULL), ADI_J_NULL);
	assert_string_equal(adi_j_get_str(o, "s", "fb"), "text");
	assert_string_equal(adi_j_get_str(o, "i", "fb"), "fb");      /* wrong type */
	assert_string_equal(adi_j_get_str(o, "missing", "fb"), "fb");
	assert_int_equal(adi_j_get_int(o, "i", -1), 7);
	assert_int_equal(adi_j_get_int(o, "s", -1), -1);
	assert_int_equal(adi_j_get_int(o, "d", -1), -1);              /* no silent truncation */
	assert_true(adi_j_as_double(adi_j_get(o, "d"), 0) == 2.5);
	assert_true(adi_j_as_double(adi_j_get(o, "i"), 0) == 7.0);    /* ints are numbers */
	assert_true(adi_j_as_double(adi_j_get(o, "s"), -1) == -1.0);
	assert_true(adi_j_as_bool(adi_j_get(o, "b"), false));
	assert_true(adi_j_as_bool(adi_j_get(o, "i"), true));
	assert_true(adi_j_is_null(adi_j_get(o, "n")));
	assert_true(adi_j_is_null(adi_j_get(o, "missing")));
	assert_false(adi_j_is_null(adi_j_get(o, "i")));
	assert_int_equal(adi_j_len(adi_j_get(o, "a")), 1);
	assert_int_equal(adi_j_len(adi_j_get(o, "s")), 4);           /* string: bytes */
	assert_int_equal(adi_j_len(adi_j_get(o, "i")), 0);
	assert_null(adi_j_at(adi_j_get(o, "a"), 1));
	assert_null(adi_j_get(a, "x"));                                /* not an object */
	assert_null(adi_j_get(NULL, "x"));
	adi_j_free(o);
}

static void test_ownership_errors(void **state)
{
	struct adi_jval *o = adi_j_obj(), *a = adi_j_arr();

	(void)state;
	/* a failed constructor is reported, not crashed on */
	assert_int_equal(adi_j_set(o, "x", NULL), -ENOMEM);
	assert_int_equal(adi_j_push(a, NULL), -ENOMEM);
	/* wrong container: v is freed (ASan would report a leak otherwise) */
	assert_int_equal(adi_j_push(o, adi_j_str("leak?")), -EINVAL);
	assert_int_equal(adi_j_set(a, "k", adi_j_str("leak?")), -EINVAL);
	assert_int_equal(adi_j_set(o, NULL, adi_j_int(1)), -EINVAL);
	assert_int_equal(adi_j_len(o), 0);
	assert_int_equal(adi_j_len(a), 0);
	adi_j_free(o);
	adi_j_free(a);
	adi_j_free(NULL);
}

static void test_write_file(void **state)
{
	struct adi_jval *o = adi_j_obj();
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(f);
	adi_j_set_int(o, "a", 1);
	assert_int_equal(adi_j_write(o, f), 0);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(buf, "{\"a\":1}");
	free(buf);
	adi_j_free(o);
}

static void test_write_error(void **state)
{
	struct adi_jval *v;
	FILE *f = fopen("/dev/full", "w");
	char *big = malloc(100000);

	(void)state;
	if (!f)
		skip();
	assert_non_null(big);
	memset(big, 'x', 100000);
	v = adi_j_strn(big, 100000);
	/* unbuffered: the write itself fails */
	setvbuf(f, NULL, _IONBF, 0);
	assert_int_equal(adi_j_write(v, f), -ENOSPC);
	fclose(f);
	adi_j_free(v);
	free(big);
}

static void test_parse_roundtrip(void **state)
{
	(void)state;
	expect_roundtrip("{\"a\":1,\"b\":[true,false,null],\"c\":\"x\",\"d\":-2.5,\"e\":{}}",
			 "{\"a\":1,\"b\":[true,false,null],\"c\":\"x\",\"d\":-2.5,\"e\":{}}");
	expect_roundtrip(" \t\r\n{ \"a\" : 1 ,\n\"b\" : [ ] , \"c\":[ 1 , 2 ] } \n ",
			 "{\"a\":1,\"b\":[],\"c\":[1,2]}");
	expect_roundtrip("[]", "[]");
	expect_roundtrip("{}", "{}");
	expect_roundtrip("\"\"", "\"\"");
	expect_roundtrip("null", "null");
	expect_roundtrip("true", "true");
	expect_roundtrip(" 7 ", "7");
	/* keys keep the order of the text */
	expect_roundtrip("{\"z\":1,\"a\":2,\"m\":3}", "{\"z\":1,\"a\":2,\"m\":3}");
	/* a repeated key: the last value, at the first position */
	expect_roundtrip("{\"a\":1,\"b\":2,\"a\":3}", "{\"a\":3,\"b\":2}");
}

/* text parses to an integer node of value want */
static void expect_int(const char *text, int64_t want)
{
	struct adi_jval *v = parse(text);

	assert_int_equal(adi_j_type(v), ADI_J_INT);
	assert_true(adi_j_as_int(v, want ? 0 : 1) == want); /* the fallback is not want */
	adi_j_free(v);
}

/* text parses to a double node of value want */
static void expect_double(const char *text, double want)
{
	struct adi_jval *v = parse(text);

	assert_int_equal(adi_j_type(v), ADI_J_DOUBLE);
	assert_true(adi_j_as_double(v, 0) == want);
	adi_j_free(v);
}

static void test_parse_numbers(void **state)
{
	(void)state;
	expect_int("0", 0);
	expect_int("-0", 0);
	expect_int("9223372036854775807", INT64_MAX);
	expect_int("-9223372036854775808", INT64_MIN);
	/* one past the int64 range: a double (-2^63 - 1 rounds to -2^63) */
	expect_double("9223372036854775808", 9223372036854775808.0);
	expect_double("-9223372036854775809", -9223372036854775808.0);
	expect_double("123456789012345678901234567890", 123456789012345678901234567890.0);
	expect_double("1.5", 1.5);
	expect_double("1e2", 100.0);
	expect_double("-1.25E-2", -0.0125);
	expect_double("2E+3", 2000.0);
	expect_roundtrip("[1.0,0.5,-3,100]", "[1.0,0.5,-3,100]");

	expect_reject("01");
	expect_reject("-01");
	expect_reject("1.");
	expect_reject(".5");
	expect_reject("-");
	expect_reject("+1");
	expect_reject("1e");
	expect_reject("1e+");
	expect_reject("1.e3");
	expect_reject("0x10");
	expect_reject("--1");
	expect_reject("Infinity");
	expect_reject("NaN");
	expect_reject("1 2");
}

static void test_parse_strings(void **state)
{
	struct adi_jval *v;

	(void)state;
	expect_roundtrip("\"\\u00e9\"", "\"\xc3\xa9\"");
	expect_roundtrip("\"\\u20AC\"", "\"\xe2\x82\xac\"");
	/* a surrogate pair: U+1D11E */
	expect_roundtrip("\"\\ud834\\udd1e\"", "\"\xf0\x9d\x84\x9e\"");
	expect_roundtrip("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\\"\\\\/\\b\\f\\n\\r\\t\"");
	expect_roundtrip("\"caf\xc3\xa9\"", "\"caf\xc3\xa9\"");
	v = parse("\"a\\u0000b\"");
	assert_int_equal(adi_j_len(v), 3);
	assert_memory_equal(adi_j_as_str(v, NULL), "a\0b", 3);
	expect_json(v, "\"a\\u0000b\"");
	/* a key with a NUL byte survives the round trip */
	expect_roundtrip("{\"a\\u0000b\":1}", "{\"a\\u0000b\":1}");

	expect_reject("\"\\ud834\"");          /* lone high surrogate */
	expect_reject("\"\\ud834x\"");
	expect_reject("\"\\ud834\\u0041\"");   /* high then not low */
	expect_reject("\"\\ud834\\ud834\"");
	expect_reject("\"\\udd1e\"");          /* lone low surrogate */
	expect_reject("\"\\x41\"");            /* bad escapes */
	expect_reject("\"\\a\"");
	expect_reject("\"\\U0041\"");
	expect_reject("\"\\u12g4\"");
	expect_reject("\"\\u12\"");
	expect_reject("\"a\nb\"");             /* raw control character */
	expect_reject("\"a\tb\"");
	expect_reject_n("\"a\0b\"", 5);
	expect_reject("\"\xff\"");             /* not UTF-8 */
	expect_reject("\"\xc0\xaf\"");         /* overlong */
	expect_reject("\"\xed\xa0\x80\"");     /* raw surrogate */
	expect_reject("\"\xe2\x82\"");         /* truncated sequence */
	expect_reject("\"abc");                /* unterminated */
	expect_reject("\"abc\\");
	expect_reject("\"abc\\\"");
	expect_reject("'abc'");
}

static void test_parse_malformed(void **state)
{
	static const char *const bad[] = {
		"", " ", "\n", "[", "{", "]", "}", "[1,]", "[,1]", "[1 2]", "[1,,2]",
		"{\"a\"}", "{\"a\":}", "{\"a\" 1}", "{a:1}", "{\"a\":1,}", "{,}",
		"{\"a\":1 \"b\":2}", "{1:2}", "tru", "nul", "fals", "True", "nulll",
		"true false", "{} x", "[1]]", "\"a\" \"b\"", "[1]\n,", "\f1",
		"{\"a\":1}}", "[\"a\":1]",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_reject(bad[i]);
	/* a NUL after a valid text is trailing garbage */
	expect_reject_n("1\0", 2);
	/* only the n bytes given are read: the rest of the buffer is ignored */
	{
		struct adi_jval *v = parse_n("[1] garbage", 3);

		expect_json(v, "[1]");
	}
	errno = 0;
	assert_null(adi_json_parse(NULL, 0));
	assert_int_equal(errno, EINVAL);
}

/* No proper prefix of this text is valid JSON: each must be rejected. */
static void test_parse_truncated(void **state)
{
	static const char doc[] =
		"{\"a\":[1,-2.5e3,{\"b\":\"c\\u00e9\\ud834\\udd1e\"}],\"d\":true,\"e\":null}";
	struct adi_jval *v;

	(void)state;
	for (size_t n = 0; n < sizeof(doc) - 1; n++)
		expect_reject_n(doc, n);
	v = parse(doc);
	expect_json(v, "{\"a\":[1,-2500.0,{\"b\":\"c\xc3\xa9\xf0\x9d\x84\x9e\"}],"
		       "\"d\":true,\"e\":null}");
}

static char *nested(const char *open, const char *close, int depth)
{
	size_t lo = strlen(open), lc = strlen(close);
	char *s = malloc((size_t)depth * (lo + lc) + 1), *p = s;

	assert_non_null(s);
	for (int i = 0; i < depth; i++, p += lo)
		memcpy(p, open, lo);
	for (int i = 0; i < depth; i++, p += lc)
		memcpy(p, close, lc);
	*p = '\0';
	return s;
}

static void test_parse_depth(void **state)
{
	char *s;
	struct adi_jval *v;

	(void)state;
	s = nested("[", "]", 64);
	v = parse(s);
	assert_non_null(v);
	adi_j_free(v);
	free(s);
	s = nested("[", "]", 65);
	expect_reject(s);
	free(s);
	s = nested("{\"k\":[", "]}", 32); /* 64 levels, objects and arrays */
	v = parse(s);
	assert_non_null(v);
	adi_j_free(v);
	free(s);
	s = nested("{\"k\":[", "]}", 33); /* 66 levels */
	expect_reject(s);
	free(s);
	/* far too deep must fail cleanly, not blow the stack */
	s = nested("[", "]", 100000);
	expect_reject(s);
	free(s);
}

/* adi_j_copy: an equal tree that owns its own nodes. */
static void test_copy(void **state)
{
	struct adi_jval *o = adi_j_obj(), *a = adi_j_arr(), *c;
	char *s1, *s2;

	(void)state;
	adi_j_push(a, adi_j_int(-7));
	adi_j_push(a, adi_j_strn("a\0b", 3));
	adi_j_push(a, adi_j_null());
	adi_j_set(o, "list", a);
	adi_j_set(o, "ok", adi_j_bool(true));
	adi_j_set(o, "x", adi_j_double(1.5));
	adi_j_set(o, "nested", adi_j_obj());
	c = adi_j_copy(o);
	s1 = adi_j_to_string(o);
	s2 = adi_j_to_string(c);
	assert_string_equal(s1, s2);
	assert_ptr_not_equal(adi_j_get(o, "list"), adi_j_get(c, "list"));
	adi_j_free(o); /* the copy must not share anything with it */
	free(s2);
	s2 = adi_j_to_string(c);
	assert_string_equal(s1, s2);
	assert_int_equal(adi_j_len(adi_j_at(adi_j_get(c, "list"), 1)), 3);
	free(s1);
	free(s2);
	adi_j_free(c);
	c = adi_j_copy(NULL);
	assert_int_equal(adi_j_type(c), ADI_J_NULL);
	adi_j_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_build_and_write),
		cmocka_unit_test(test_string_escaping),
		cmocka_unit_test(test_doubles),
		cmocka_unit_test(test_doubles_match_printf),
		cmocka_unit_test(test_shared_scalars),
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_order_and_replace),
		cmocka_unit_test(test_access),
		cmocka_unit_test(test_ownership_errors),
		cmocka_unit_test(test_write_file),
		cmocka_unit_test(test_write_error),
		cmocka_unit_test(test_parse_roundtrip),
		cmocka_unit_test(test_parse_numbers),
		cmocka_unit_test(test_parse_strings),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_parse_truncated),
		cmocka_unit_test(test_parse_depth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
