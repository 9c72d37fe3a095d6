/* test_cursor.c - unit tests of src/lib/cursor.h: every read at the exact
 * end of its bytes and one byte short (from an exact-size heap copy, so
 * ASan sees a read past the end), the sticky bad flag, varints of 1..10
 * bytes and an 11-byte one, NUL and length-prefixed strings, sub-cursors,
 * adi_cur_need and the hex digit helper. Expected values are worked out by
 * hand from the byte strings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/cursor.h"

/* An exact-size heap copy of the bytes (freed by the caller). */
static uint8_t *dup(const char *s, size_t n)
{
	uint8_t *b = malloc(n ? n : 1);

	assert_non_null(b);
	memcpy(b, s, n);
	return b;
}

static void test_loads(void **state)
{
	static const uint8_t b[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08 };

	(void)state;
	assert_int_equal(adi_ld_be16(b), 0x0102);
	assert_int_equal(adi_ld_be24(b), 0x010203);
	assert_int_equal(adi_ld_be32(b), 0x01020304);
	assert_true(adi_ld_be64(b) == 0x0102030405060708ull);
	assert_int_equal(adi_ld_le16(b), 0x0201);
	assert_int_equal(adi_ld_le24(b), 0x030201);
	assert_int_equal(adi_ld_le32(b), 0x04030201);
	assert_true(adi_ld_le64(b) == 0x0807060504030201ull);
	assert_true(adi_ld_le(b, 3) == 0x030201);
	assert_true(adi_ld_le(b, 0) == 0);
}

/* Each fixed-width read succeeds with exactly its bytes and fails (value
 * 0, position at the end, bad set) with one byte fewer. */
static void test_ints_exact_and_short(void **state)
{
	static const char all[] = "\x80\x01\x02\x03\x04\x05\x06\x07";

	(void)state;
	for (unsigned k = 1; k <= 8; k++) {
		for (unsigned shortby = 0; shortby <= 1; shortby++) {
			size_t n = k - shortby;
			uint8_t *b = dup(all, n);
			struct adi_cur c = adi_cur_make(b, n);
			uint64_t v = 99;
			bool ok = false;

			switch (k) {
			case 1: { uint8_t x; ok = adi_cur_u8(&c, &x); v = x; break; }
			case 2: { uint16_t x; ok = adi_cur_be16(&c, &x); v = x; break; }
			case 3: { uint32_t x; ok = adi_cur_le24(&c, &x); v = x; break; }
			case 4: { uint32_t x; ok = adi_cur_le32(&c, &x); v = x; break; }
			case 8: { uint64_t x; ok = adi_cur_be64(&c, &x); v = x; break; }
			default: ok = adi_cur_le(&c, k, &v); break;
			}
			if (shortby) {
				assert_false(ok);
				assert_true(c.bad);
				assert_true(v == 0);
				assert_int_equal(c.pos, n);
			} else {
				assert_true(ok);
				assert_false(c.bad);
				assert_int_equal(c.pos, k);
				assert_int_equal(adi_cur_left(&c), 0);
			}
			free(b);
		}
	}
}

static void test_values(void **state)
{
	static const char s[] = "\x12\x34\x56\x78\x9a\xbc\xde\xf0";
	uint8_t *b = dup(s, 8);
	struct adi_cur c = adi_cur_make(b, 8);
	uint16_t a;
	uint32_t d;
	uint8_t e;

	(void)state;
	assert_true(adi_cur_be16(&c, &a));
	assert_int_equal(a, 0x1234);
	assert_true(adi_cur_le32(&c, &d));
	assert_int_equal(d, 0xbc9a7856);
	assert_true(adi_cur_u8(&c, &e));
	assert_int_equal(e, 0xde);
	/* one byte left: a 2-byte read fails and stays failed */
	assert_int_equal(adi_cur_need(&c, 2), 1);
	assert_false(adi_cur_le16(&c, &a));
	assert_true(c.bad);
	assert_false(adi_cur_u8(&c, &e));
	assert_int_equal(adi_cur_left(&c), 0);
	free(b);
}

static void test_varint(void **state)
{
	struct { const char *b; size_t n; bool ok; uint64_t v; } t[] = {
		{ "\x00", 1, true, 0 },
		{ "\x7f", 1, true, 127 },
		{ "\x80\x01", 2, true, 128 },
		{ "\xac\x02", 2, true, 300 },
		{ "\xff\xff\xff\xff\x0f", 5, true, 0xffffffffull },
		{ "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10, true, UINT64_MAX },
		{ "\x80", 1, false, 0 },                          /* cut */
		{ "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11, false, 0 }, /* too long */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint8_t *b = dup(t[i].b, t[i].n);
		struct adi_cur c = adi_cur_make(b, t[i].n);
		uint64_t v = 7;

		assert_int_equal(adi_cur_varint(&c, &v), t[i].ok);
		assert_true(v == t[i].v);
		assert_int_equal(c.bad, !t[i].ok);
		if (t[i].ok)
			assert_int_equal(c.pos, t[i].n);
		free(b);
	}
}

static void test_strings(void **state)
{
	static const char s[] = "ab\0\x03xyz\x00\x02hi\x05qq";
	uint8_t *b = dup(s, sizeof(s) - 1);
	struct adi_cur c = adi_cur_make(b, sizeof(s) - 1);
	const uint8_t *p;
	size_t len;

	(void)state;
	assert_true(adi_cur_cstr(&c, &p, &len));
	assert_int_equal(len, 2);
	assert_memory_equal(p, "ab", 2);
	assert_true(adi_cur_lpstr(&c, 1, true, &p, &len));
	assert_int_equal(len, 3);
	assert_memory_equal(p, "xyz", 3);
	assert_true(adi_cur_lpstr(&c, 2, true, &p, &len));
	assert_int_equal(len, 2);
	assert_memory_equal(p, "hi", 2);
	/* length 5 with 2 bytes left */
	assert_false(adi_cur_lpstr(&c, 1, false, &p, &len));
	assert_null(p);
	assert_int_equal(len, 0);
	assert_true(c.bad);
	free(b);

	/* no NUL before the end */
	b = dup("abc", 3);
	c = adi_cur_make(b, 3);
	assert_false(adi_cur_cstr(&c, &p, &len));
	assert_true(c.bad);
	free(b);

	/* a little-endian 4-byte prefix, and an unsupported width */
	b = dup("\x01\x00\x00\x00z", 5);
	c = adi_cur_make(b, 5);
	assert_true(adi_cur_lpstr(&c, 4, false, &p, &len));
	assert_int_equal(len, 1);
	assert_int_equal(p[0], 'z');
	c = adi_cur_make(b, 5);
	assert_false(adi_cur_lpstr(&c, 3, false, &p, &len));
	free(b);
}

static void test_sub_skip_bytes(void **state)
{
	static const char s[] = "0123456789";
	uint8_t *b = dup(s, 10);
	struct adi_cur c = adi_cur_make(b, 10), sub;
	const uint8_t *p;
	uint8_t x;

	(void)state;
	assert_true(adi_cur_skip(&c, 2));
	assert_true(adi_cur_sub(&c, 3, &sub));
	assert_int_equal(adi_cur_left(&sub), 3);
	assert_true(adi_cur_u8(&sub, &x));
	assert_int_equal(x, '2');
	assert_ptr_equal(adi_cur_ptr(&c), b + 5);
	assert_true(adi_cur_bytes(&c, 5, &p));
	assert_memory_equal(p, "56789", 5);
	assert_false(adi_cur_sub(&c, 1, &sub));
	assert_true(sub.bad);
	assert_int_equal(adi_cur_left(&sub), 0);
	c = adi_cur_make(b, 10);
	assert_false(adi_cur_skip(&c, 11));
	assert_true(c.bad);
	free(b);

	/* an empty cursor over NULL reads nothing (no NULL + 0 for UBSan) */
	c = adi_cur_make(NULL, 0);
	assert_int_equal(adi_cur_need(&c, 4), 4);
	assert_false(adi_cur_u8(&c, &x));
	{
		const uint8_t *s;
		size_t n;

		c = adi_cur_make(NULL, 0);
		assert_false(adi_cur_cstr(&c, &s, &n));
		assert_null(s);
	}
}

static void test_hexval(void **state)
{
	(void)state;
	assert_int_equal(adi_hexval('0'), 0);
	assert_int_equal(adi_hexval('9'), 9);
	assert_int_equal(adi_hexval('a'), 10);
	assert_int_equal(adi_hexval('F'), 15);
	assert_int_equal(adi_hexval('g'), -1);
	assert_int_equal(adi_hexval('G'), -1);
	assert_int_equal(adi_hexval('/'), -1);
	assert_int_equal(adi_hexval(':'), -1);
	assert_int_equal(adi_hexval('@'), -1);
	assert_int_equal(adi_hexval('`'), -1);
	assert_int_equal(adi_hexval(0), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loads),
		cmocka_unit_test(test_ints_exact_and_short),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_varint),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_sub_skip_bytes),
		cmocka_unit_test(test_hexval),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
