/* fuzz_dns.c - libFuzzer target for the DNS decoder (src/proto/dns/). The
 * input is a script of both directions of one connection (format:
 * pd_script_parse in tests/support/pdrive.h; the unit test writes its
 * fixtures in it as seeds, and fuzz/corpus/fuzz_dns/ holds messages
 * captured from dnsmasq). It is run twice: as a TCP stream (pd_fuzz_one:
 * whole and cut up, both must give the same events, through the engine and
 * the sniffers) and as datagrams, each record one (pd_fuzz_dgram: whole,
 * cut, through the engine, each datagram through sniff()); a broken
 * promise of proto.h aborts (pdrive.c's default pd_fail).
 * Build: fuzz/run.sh (adds tests/support/pdrive.c and -Itests/support).
 */
#include <stdint.h>

#include "pdrive.h"
#include "proto/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pd_fuzz_one(&adi_proto_dns, data, size);
	pd_fuzz_dgram(&adi_proto_dns, data, size);
	return 0;
}
