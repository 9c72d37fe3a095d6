/* fuzz_protobuf.c - libFuzzer target for the schema-less protobuf decoder
 * (src/proto/protobuf.c): any bytes, as a whole message and as a cut one
 * (partial), must be "not a message" (nothing written) or be written as
 * one valid JSON object, without reading past the input (ASan) or
 * undefined behaviour (UBSan); partial never fails on what a whole decode
 * accepts.
 * Build: fuzz/run.sh.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"
#include "proto/protobuf.h"

/* What adi_pb_write wrote (ok) or did not (!ok). */
static void check(const struct adi_jw *w, bool ok)
{
	struct adi_jval *back;

	if (!ok) {
		if (w->len)
			abort();
		return;
	}
	if (w->err || w->depth || !w->len || w->buf[0] != '{')
		abort();
	/* nesting: 16 message levels, each maybe in an array, stay within
	 * the parser's 64 */
	back = adi_json_parse(w->buf, w->len);
	if (!back)
		abort();
	adi_j_free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size copy: ASan sees any read past size */
	uint8_t *b = malloc(size ? size : 1);
	struct adi_jw whole, part;
	bool wok, pok;

	if (!b)
		return 0;
	if (size)
		memcpy(b, data, size);
	adi_jw_init(&whole);
	adi_jw_init(&part);
	wok = adi_pb_write(&whole, b, size, false);
	pok = adi_pb_write(&part, b, size, true);
	if (wok && !pok)
		abort(); /* partial accepts all a whole decode accepts */
	check(&whole, wok);
	check(&part, pok);
	adi_jw_fini(&whole);
	adi_jw_fini(&part);
	free(b);
	return 0;
}
