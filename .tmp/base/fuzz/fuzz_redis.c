/* fuzz_redis.c - libFuzzer target for the Redis decoder (src/proto/
 * redis/). The input is a script of both directions of one connection
 * (format: pd_script_parse in tests/support/pdrive.h; the unit test writes
 * its fixtures in it as seeds, fuzz/corpus/fuzz_redis/). pd_fuzz_one drives
 * it whole and cut up (both must emit the same events, every parse()/
 * resync() result must keep the contract of proto.h), through the real
 * engine, and through sniff() and the classifier; a broken promise aborts
 * (pdrive.c's default pd_fail).
 * Build: fuzz/run.sh (adds tests/support/pdrive.c and -Itests/support).
 */
#include <stdint.h>

#include "pdrive.h"
#include "proto/redis.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pd_fuzz_one(&adi_proto_redis, data, size);
	return 0;
}
