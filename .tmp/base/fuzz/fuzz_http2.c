/* fuzz_http2.c - libFuzzer target for the HTTP/2 and gRPC decoder (src/
 * proto/http2/). The input is a script of both directions of one
 * connection (format: pd_script_parse in tests/support/pdrive.h; the unit
 * test writes its fixtures in it as seeds, fuzz/corpus/fuzz_http2/).
 * pd_fuzz_one drives it whole and cut up (both must emit the same events,
 * every parse()/resync() result must keep the contract of proto.h), through
 * the real engine, and through sniff() and the classifier; a broken promise
 * aborts (pdrive.c's default pd_fail). The h2c hand-over is reached from
 * fuzz_http1 (its corpus holds the h2c fixtures).
 * Build: fuzz/run.sh (adds tests/support/pdrive.c and -Itests/support).
 */
#include <stdint.h>

#include "pdrive.h"
#include "proto/http2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pd_fuzz_one(&adi_proto_http2, data, size);
	return 0;
}
