/* fuzz_postgres.c - libFuzzer target for the PostgreSQL decoder (src/proto/
 * postgres/): the input is a pdrive script (tests/support/pdrive.h), seeded
 * with the unit test's fixtures (fuzz/corpus/fuzz_postgres/). */
#include "pdrive.h"
#include "proto/postgres.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pd_fuzz_one(&adi_proto_postgres, data, size);
	return 0;
}
