/* dns.h - the DNS decoder (RFC 1035 and its updates; mDNS and LLMNR with
 * the same code): queries and responses over UDP (one datagram, one
 * message) and over TCP (each message after a 2-byte length), paired by
 * transaction id, question and peer into `dns_query` events (docs/events.md,
 * docs/dns.md). Used only through adi_proto_dns (proto.h); the message
 * kinds below are what its messages carry in adi_msg.kind.
 */
#ifndef ADI_PROTO_DNS_H
#define ADI_PROTO_DNS_H

#include "proto.h"

/* adi_msg.kind of the decoder's messages (the header's QR bit). adi_msg.key
 * is the pairing key: the transaction id in bits 0-15, the question's type
 * in bits 16-31 and a hash of its name (ASCII case folded) in bits 32-63
 * (a response without a question: its first answer's). */
enum dns_kind {
	DNS_QUERY = 1,
	DNS_RESPONSE = 2,
};

extern const struct adi_proto adi_proto_dns;

#endif
