/* fuzz_json.c - libFuzzer target for the JSON parser and writer.
 * Feeds arbitrary bytes to adi_json_parse; whatever parses is written back
 * and must parse again to the same text (the writer only emits what the
 * parser accepts, and writing is idempotent). The raw bytes also go
 * through adi_j_bytes, whose output must always be valid JSON.
 * Build: clang -g -fsanitize=fuzzer,address,undefined -Isrc fuzz/fuzz_json.c \
 *        src/lib/json.c src/lib/util.c
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/lib/json.h"

/* Parse text (n bytes) that this library wrote: must succeed. Returns the
 * re-serialisation (caller frees). */
static char *adi_fuzz_reparse(const char *text)
{
	struct adi_jval *v = adi_json_parse(text, strlen(text));
	char *out;

	if (!v)
		abort(); /* the writer produced something the parser rejects */
	out = adi_j_to_string(v);
	adi_j_free(v);
	if (!out)
		abort();
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct adi_jval *v;
	char *once, *twice;

	v = adi_json_parse((const char *)data, size);
	if (v) {
		once = adi_j_to_string(v);
		adi_j_free(v);
		if (!once)
			abort();
		twice = adi_fuzz_reparse(once);
		if (strcmp(once, twice) != 0)
			abort(); /* write(parse(write(x))) must equal write(x) */
		free(once);
		free(twice);
	}

	v = adi_j_bytes(data, size);
	if (!v)
		abort();
	once = adi_j_to_string(v);
	adi_j_free(v);
	if (!once)
		abort();
	free(adi_fuzz_reparse(once));
	free(once);
	return 0;
}
