/* fuzz_protobuf.c - libFuzzer target for the schema-less protobuf decoder
 * (src/proto/protobuf.c): any bytes, as a whole message and as a cut one
 * (partial), must decode to NULL or to a JSON object that serialises to
 * valid JSON, without reading past the input (ASan) or undefined behaviour
 * (UBSan); partial never fails on what a whole decode accepts.
 * Build: fuzz/run.sh.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"
#include "proto/protobuf.h"

static void check(const struct adi_jval *v)
{
	char *s;
	struct adi_jval *back;

	if (!v)
		return;
	s = adi_j_to_string(v);
	if (!s)
		abort();
	/* nesting: 16 message levels, each maybe in an array, stay within
	 * the parser's 64 */
	back = adi_json_parse(s, strlen(s));
	if (!back)
		abort();
	adi_j_free(back);
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size copy: ASan sees any read past size */
	uint8_t *b = malloc(size ? size : 1);
	struct adi_jval *whole, *part;

	if (!b)
		return 0;
	if (size)
		memcpy(b, data, size);
	whole = adi_pb_decode(b, size, false);
	part = adi_pb_decode(b, size, true);
	if (whole && !part)
		abort(); /* partial accepts all a whole decode accepts */
	check(whole);
	check(part);
	adi_j_free(whole);
	adi_j_free(part);
	free(b);
	return 0;
}
