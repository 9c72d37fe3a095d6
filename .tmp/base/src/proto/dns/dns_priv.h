/* dns_priv.h - what the DNS decoder's files share: the header and record
 * layout (RFC 1035 4.1), the limits, the per-connection state, the message
 * decoder (wire.c) and the pairing (stitch.c). Not a public API: the
 * decoder is used through adi_proto_dns (dns.h).
 */
#ifndef ADI_DNS_PRIV_H
#define ADI_DNS_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../dns.h"
#include "../../lib/cursor.h"

/* The 12-byte header (RFC 1035 4.1.1):
 *
 *   0  1  2  3  4  5  6  7  8  9 10 11 12 13 14 15
 * +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 * |                      ID                       |
 * |QR|  Opcode   |AA|TC|RD|RA| Z|AD|CD|   RCODE   |
 * |                    QDCOUNT                    |
 * |                    ANCOUNT                    |
 * |                    NSCOUNT                    |
 * |                    ARCOUNT                    |
 * +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 * (AD and CD: RFC 4035 3.2; Z must be 0.)
 */
#define DNS_HDR 12
#define DNS_F_QR 0x8000u
#define DNS_F_AA 0x0400u
#define DNS_F_TC 0x0200u
#define DNS_F_RD 0x0100u
#define DNS_F_RA 0x0080u
#define DNS_F_Z  0x0040u
#define DNS_F_AD 0x0020u
#define DNS_F_CD 0x0010u

struct dns_hdr {
	uint16_t id, flags, qd, an, ns, ar;
};

static inline unsigned dns_opcode(uint16_t flags)
{
	return flags >> 11 & 15;
}

/* Limits (docs/dns.md). */
#define DNS_NAME_TEXT 1100   /* a name as text: 255 wire bytes, \DDD escapes */
#define DNS_PTR_HOPS 64      /* compression pointers followed in one name */
#define DNS_MAX_QD 16        /* questions decoded (mDNS may ask several) */
#define DNS_MAX_RRS 512      /* records decoded per message; the rest counted */
#define DNS_RDATA_TEXT 4096  /* one record's data as text; longer is cut "..." */
#define DNS_PENDING_MAX 256  /* queries awaiting an answer per connection */
/* a query unanswered this long (by the times of later messages) is written
 * as unanswered: longer than any resolver waits (glibc 5 s x 2 tries, dig
 * 5 s x 3) */
#define DNS_TIMEOUT_NS (30ull * 1000000000ull)
/* TCP messages are decoded whole up to what the engine may hold; a longer
 * one (a zone transfer) gets its header and question from its first bytes,
 * and the rest is skipped */
#define DNS_TCP_HEAD 512

enum dns_variant { DNS_PLAIN = 0, DNS_MDNS, DNS_LLMNR };

/* Per-connection state (zeroed by the engine). */
struct dns_state {
	bool datagram;          /* UDP: each parse() is one whole message */
	uint8_t variant;        /* enum dns_variant, from the ports */
	uint64_t skip;          /* TCP: bytes of an oversized message to skip */
	struct adi_jw w;        /* a message's fields, written here, copied out */
};

/* How far decoding a message went. */
enum dns_result {
	DNS_BAD,     /* no header, an impossible one, or no readable question */
	DNS_PARTIAL, /* header and questions; records stop early (error set) */
	DNS_WHOLE,   /* every section, and nothing left over */
};

struct dns_info {
	struct dns_hdr h;
	uint64_t key;           /* the pairing key (dns.h) */
	const char *error;      /* DNS_PARTIAL: where it stopped */
};

/* Decode the message m[0..n). With w, its fields are written there as a
 * member list (docs/dns.md); cut: the message is known to be cut short (no
 * decode_error then). variant: mDNS classes carry a flag bit. Never reads
 * past n. */
enum dns_result dns_decode(const uint8_t *m, size_t n, uint8_t variant, bool cut,
			   struct adi_jw *w, struct dns_info *info);

/* The header at m[0..n) (n >= 12) when it is one a DNS peer would send:
 * Z clear, a known opcode, no more questions than DNS_MAX_QD, a query
 * without an error code that asks something, and (size > 0: the message's
 * whole size) questions and records that could fit in it. */
bool dns_header_ok(const uint8_t *m, size_t n, size_t size, struct dns_hdr *h);

/* stitch.c: adi_proto.stitch. */
void dns_stitch(void *st, struct adi_msgq *out_q, struct adi_msgq *in_q,
		struct adi_emit *em, bool final);

#endif
