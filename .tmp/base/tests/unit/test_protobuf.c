/* test_protobuf.c - unit tests of the schema-less protobuf decoder
 * (src/proto/protobuf.c). Fixtures are wire bytes written by hand from the
 * encoding guide (https://protobuf.dev/programming-guides/encoding/), each
 * with the JSON it must give; also every prefix of a message must decode
 * (partial) without failing, and malformed bytes must not be a message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "proto/protobuf.h"

#define B(s) (const uint8_t *)(s), sizeof(s) - 1

/* b[0..n) written by adi_pb_write: want, or NULL for "not a message"
 * (then nothing may be written). */
static void expect(const uint8_t *b, size_t n, bool partial, const char *want)
{
	struct adi_jw w;
	bool ok;

	adi_jw_init(&w);
	ok = adi_pb_write(&w, b, n, partial);
	if (!want) {
		assert_false(ok);
		assert_int_equal(w.len, 0);
		adi_jw_fini(&w);
		return;
	}
	assert_true(ok);
	assert_int_equal(w.err, 0);
	assert_int_equal(w.depth, 0);
	assert_string_equal(w.buf, want);
	adi_jw_fini(&w);
}

/* The guide's examples: 150 in field 1, "testing" in field 2, a nested
 * message in field 3. */
static void test_scalars(void **state)
{
	(void)state;
	expect(B("\x08\x96\x01"), false, "{\"1\":150}");
	expect(B("\x12\x07testing"), false, "{\"2\":\"testing\"}");
	expect(B("\x1a\x03\x08\x96\x01"), false, "{\"3\":{\"1\":150}}");
	/* fixed32 1, fixed64 2, an empty string */
	expect(B("\x0d\x01\x00\x00\x00\x11\x02\x00\x00\x00\x00\x00\x00\x00\x1a\x00"), false,
	       "{\"1\":1,\"2\":2,\"3\":\"\"}");
	/* int32 -1 travels as a 10-byte varint: shown as -1 */
	expect(B("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"), false, "{\"1\":-1}");
	/* 2^53 + 1 does not fit a JSON number exactly: a string */
	expect(B("\x08\x81\x80\x80\x80\x80\x80\x80\x10"), false, "{\"1\":\"9007199254740993\"}");
	/* the largest field number */
	expect(B("\xf8\xff\xff\xff\x0f\x01"), false, "{\"536870911\":1}");
	expect(B(""), false, "{}");
}

/* Repeated numbers become arrays at the place of their first value;
 * bytes that are neither text nor a message are base64. */
static void test_repeated_and_bytes(void **state)
{
	(void)state;
	expect(B("\x08\x01\x12\x01x\x08\x02\x08\x03"), false,
	       "{\"1\":[1,2,3],\"2\":\"x\"}");
	/* field 4: 0xff 0xfe is not UTF-8 and not a message */
	expect(B("\x22\x02\xff\xfe"), false, "{\"4\":\"base64://4=\"}");
	/* nested twice, a repeated nested message */
	expect(B("\x0a\x04\x0a\x02\x08\x07\x0a\x02\x10\x01"), false,
	       "{\"1\":[{\"1\":{\"1\":7}},{\"2\":1}]}");
	/* printable bytes stay a string even when they would parse */
	expect(B("\x0a\x02Hi"), false, "{\"1\":\"Hi\"}");
}

static void test_not_a_message(void **state)
{
	(void)state;
	expect(B("\x00\x01"), false, NULL);               /* field number 0 */
	expect(B("\x0b\x0c"), false, NULL);               /* groups */
	expect(B("\x0e\x01"), false, NULL);               /* wire type 6 */
	expect(B("\x12\x05" "ab"), false, NULL);             /* length past the end */
	expect(B("\x08\x80\x80"), false, NULL);           /* varint cut */
	expect(B("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"), false, NULL); /* 11 bytes */
	/* cut short, but partial: the fields before the cut */
	expect(B("\x08\x01\x12\x05" "ab"), true, "{\"1\":1,\"2\":\"ab\"}");
	expect(B("\x12\x05" "ab"), true, "{\"2\":\"ab\"}");
	expect(B("\x12\x05" "a\xc3"), true, "{\"2\":\"a\"}");   /* a character cut */
	expect(B("\x08"), true, "{}");
}

/* Depth is bounded: 20 levels of nesting are decoded to
 * ADI_PB_MAX_DEPTH, the rest shown as bytes. */
static void test_depth(void **state)
{
	uint8_t b[64];
	size_t n = 2;
	struct adi_jw w;
	struct adi_jv cur;
	int depth = 0;

	(void)state;
	b[0] = 0x08;
	b[1] = 0x01;
	for (int i = 0; i < 20; i++) {
		memmove(b + 2, b, n);
		b[0] = 0x0a;
		b[1] = (uint8_t)n;
		n += 2;
	}
	adi_jw_init(&w);
	assert_true(adi_pb_write(&w, b, n, false));
	for (cur = adi_jw_text(&w); adi_jv_type(cur) == ADI_J_OBJ; cur = adi_jv_get(cur, "1"))
		depth++;
	assert_int_equal(depth, ADI_PB_MAX_DEPTH);
	assert_int_equal(adi_jv_type(cur), ADI_J_STR);
	adi_jw_fini(&w);
}

/* Every prefix of a message decodes when partial, and its fields are
 * those of the whole message that end within it. */
static void test_prefixes(void **state)
{
	static const uint8_t m[] = "\x08\x96\x01\x12\x07testing\x1a\x03\x08\x96\x01"
				   "\x25\x01\x02\x03\x04";
	size_t n = sizeof(m) - 1;

	(void)state;
	for (size_t k = 0; k <= n; k++) {
		struct adi_jw w;

		adi_jw_init(&w);
		assert_true(adi_pb_write(&w, m, k, true));
		assert_true(adi_jv_count(adi_jw_text(&w)) <= 4);
		adi_jw_fini(&w);
	}
	expect(m, 12, true, "{\"1\":150,\"2\":\"testing\"}");
	expect(m, 8, true, "{\"1\":150,\"2\":\"tes\"}");
	expect(m, n, false, "{\"1\":150,\"2\":\"testing\",\"3\":{\"1\":150},\"4\":67305985}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_repeated_and_bytes),
		cmocka_unit_test(test_not_a_message),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_prefixes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
