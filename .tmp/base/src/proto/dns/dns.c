/* dns.c - the DNS decoder as the engine sees it: the adi_proto_dns table
 * and its callbacks: sniff() (the header's shape, ports only as a bonus),
 * start() (UDP or TCP, mDNS/LLMNR by port), parse() (a datagram is one
 * message; over TCP each message follows its 2-byte length, RFC 1035
 * 4.2.2 / RFC 7766), gap(), resync(), fini(). Decoding a message is
 * wire.c's, pairing stitch.c's. Owns struct dns_state as a whole.
 * Protocol: RFC 1035, https://www.rfc-editor.org/rfc/rfc1035; docs/dns.md.
 */
#include <string.h>

#include "dns_priv.h"

/* Sniff scores (docs/dns.md): a message that decodes to its last byte
 * with a question or an answer; a TCP stream whose first message is
 * longer than the bytes seen, with a readable header and question; a port
 * DNS uses (53, mDNS 5353, LLMNR 5355) adds a bonus, never decides. */
#define DNS_SNIFF_WHOLE 75
#define DNS_SNIFF_HEAD 62
#define DNS_SNIFF_PORT 15

static bool dns_port(uint16_t p)
{
	return p == 53 || p == 5353 || p == 5355;
}

static int dns_score(int base, const struct adi_sniff_ctx *c)
{
	return base + (dns_port(c->local_port) || dns_port(c->remote_port) ? DNS_SNIFF_PORT : 0);
}

/* A whole message, as a sniffer sees it: it decodes to its last byte and
 * asks or answers something. */
static bool dns_whole(const uint8_t *m, size_t n)
{
	struct dns_info in;

	return dns_decode(m, n, DNS_PLAIN, false, NULL, &in) == DNS_WHOLE &&
	       (in.h.qd || in.h.an);
}

static int dns_sniff(const uint8_t *b, size_t n, const struct adi_sniff_ctx *c)
{
	struct dns_info in;
	size_t len;

	if (c->datagram)
		return dns_whole(b, n) ? dns_score(DNS_SNIFF_WHOLE, c) : 0;
	/* TCP: the 2-byte length, then the message */
	if (n < 2)
		return -1;
	len = adi_ld_be16(b);
	if (len < DNS_HDR)
		return 0;
	if (n - 2 >= len)
		return dns_whole(b + 2, len) ? dns_score(DNS_SNIFF_WHOLE, c) : 0;
	if (n < 2 + DNS_HDR)
		return -1;
	if (!dns_header_ok(b + 2, DNS_HDR, len, &in.h))
		return 0;
	if (dns_decode(b + 2, n - 2, DNS_PLAIN, true, NULL, &in) == DNS_BAD)
		return n < 64 ? -1 : 0; /* the question may not be here yet */
	return dns_score(DNS_SNIFF_HEAD, c);
}

static void dns_start(void *vst, const struct adi_sniff_ctx *c)
{
	struct dns_state *st = vst;

	st->datagram = c->datagram;
	if (c->local_port == 5353 || c->remote_port == 5353)
		st->variant = DNS_MDNS;
	else if (c->local_port == 5355 || c->remote_port == 5355)
		st->variant = DNS_LLMNR;
	adi_jw_init(&st->w);
}

/* One message m[0..n) into out (kind, key, fields). cut: bytes of it are
 * known to be missing. */
static enum adi_parse dns_message(struct dns_state *st, const uint8_t *m, size_t n,
				  bool cut, struct adi_msg *out)
{
	struct dns_info in;
	enum dns_result r;

	adi_jw_reset(&st->w);
	r = dns_decode(m, n, st->variant, cut, &st->w, &in);
	if (r == DNS_BAD || st->w.err || adi_jw_copy(&out->f, &st->w))
		return ADI_PARSE_BAD;
	out->kind = in.h.flags & DNS_F_QR ? DNS_RESPONSE : DNS_QUERY;
	out->key = in.key;
	if (cut)
		out->incomplete = true;
	return ADI_PARSE_FRAME;
}

/* parse(): see proto.h. UDP: b is one whole datagram (out->incomplete set
 * when it was cut), FRAME of all of it or BAD. TCP (RFC 1035 4.2.2):
 *
 *   +--------+--------+-----------------------------+
 *   | length (16, BE) | message (length bytes)      |
 *   +--------+--------+-----------------------------+
 *
 * AGAIN with nothing consumed until the whole message is held; one longer
 * than the engine holds (ADI_PROTO_LOOKAHEAD) is decoded from its first
 * DNS_TCP_HEAD bytes (header and question) and the rest skipped (SKIP). */
static enum adi_parse dns_parse(void *vst, const struct adi_proto_cfg *cfg,
				enum adi_dir dir, const uint8_t *b, size_t n,
				size_t *used, struct adi_msg *out)
{
	struct dns_state *st = vst;
	struct dns_hdr h;
	size_t len, total;
	enum adi_parse r;

	(void)cfg;
	(void)dir;
	*used = 0;
	if (!b)
		return ADI_PARSE_AGAIN; /* nothing ends with the stream */
	if (st->datagram) {
		r = dns_message(st, b, n, out->incomplete, out);
		if (r == ADI_PARSE_FRAME)
			*used = n;
		return r;
	}
	if (st->skip) {
		*used = n < st->skip ? n : (size_t)st->skip;
		st->skip -= *used;
		return ADI_PARSE_SKIP;
	}
	if (n < 2)
		return ADI_PARSE_AGAIN;
	len = adi_ld_be16(b);
	total = 2 + len;
	/* the same test as resync()'s, as soon as its bytes are here: where
	 * a message is taken to start must not depend on how bytes arrive */
	if (len < DNS_HDR || (n >= 2 + DNS_HDR && !dns_header_ok(b + 2, DNS_HDR, len, &h)))
		return ADI_PARSE_BAD;
	if (total <= ADI_PROTO_LOOKAHEAD) {
		if (n < total)
			return ADI_PARSE_AGAIN;
		r = dns_message(st, b + 2, len, false, out);
		if (r == ADI_PARSE_FRAME)
			*used = total;
		return r;
	}
	if (n < 2 + DNS_TCP_HEAD)
		return ADI_PARSE_AGAIN;
	r = dns_message(st, b + 2, DNS_TCP_HEAD, true, out);
	if (r != ADI_PARSE_FRAME)
		return r;
	*used = 2 + DNS_TCP_HEAD;
	st->skip = total - *used;
	return ADI_PARSE_FRAME;
}

/* gap(): only the skipped tail of an oversized TCP message absorbs lost
 * bytes; anywhere else the engine resyncs (a length prefix lost is the
 * framing lost). */
static bool dns_gap(void *vst, enum adi_dir dir, uint64_t n)
{
	struct dns_state *st = vst;

	(void)dir;
	if (!st->skip || n > st->skip)
		return false;
	st->skip -= n;
	return true;
}

/* resync(): the first offset whose bytes read as a length of at least a
 * header and a plausible header (parse() applies the same test), or that
 * cannot be ruled out yet (fewer bytes than that left), else n. */
static size_t dns_resync(void *vst, enum adi_dir dir, const uint8_t *b, size_t n)
{
	struct dns_state *st = vst;
	struct dns_hdr h;

	(void)dir;
	st->skip = 0;
	for (size_t i = 0; i < n; i++) {
		if (n - i < 2)
			return i;
		if (adi_ld_be16(b + i) < DNS_HDR)
			continue;
		if (n - i < 2 + DNS_HDR ||
		    dns_header_ok(b + i + 2, DNS_HDR, adi_ld_be16(b + i), &h))
			return i;
	}
	return n;
}

static void dns_fini(void *vst)
{
	struct dns_state *st = vst;

	adi_jw_fini(&st->w);
}

const struct adi_proto adi_proto_dns = {
	.name = "dns",
	.state_size = sizeof(struct dns_state),
	.start = dns_start,
	.sniff = dns_sniff,
	.parse = dns_parse,
	.gap = dns_gap,
	.resync = dns_resync,
	.stitch = dns_stitch,
	.fini = dns_fini,
	.datagrams = true,
};
