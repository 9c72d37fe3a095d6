/* proto.h - the seam between the engine and protocol decoders.
 *
 * The engine owns connections and their per-direction byte streams; once the
 * first bytes of a stream are known it asks the registry (registry.c, the ONE
 * list of protocols) which decoder claims them. A connection nobody claims is
 * reported as a generic `tcp_stream` with protocol "unknown". Decoders plug in
 * here (issue 3 adds the incremental parse / stitch half of the contract).
 */
#ifndef ADI_PROTO_H
#define ADI_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include "../core/raw_event.h"

/* What a sniffer is told about the connection besides the bytes. */
struct adi_sniff_ctx {
	enum adi_dir dir;       /* direction of the bytes, seen from the traced task */
	int server_side;        /* the traced task accepted this connection */
	uint16_t local_port, remote_port; /* hints only, never decisive alone */
};

struct adi_proto {
	const char *name;       /* stable key used in output ("http", "postgres") */
	/* Confidence 0..100 that b[0..n) starts this protocol. Must not read
	 * past n; may ask for more by returning -1 when n is too short to say. */
	int (*sniff)(const uint8_t *b, size_t n, const struct adi_sniff_ctx *c);
};

/* Threshold a sniffer's score must reach to claim a connection. Below it the
 * stream stays generic: a wrong decoder would print wrong facts. */
#define ADI_SNIFF_CLAIM 60

/* The registry's answer for these first bytes: the best decoder at or above
 * ADI_SNIFF_CLAIM, or NULL (generic stream). *need_more is set when some
 * sniffer wants more bytes before deciding. */
const struct adi_proto *adi_proto_classify(const uint8_t *b, size_t n,
					   const struct adi_sniff_ctx *c,
					   int *need_more);
size_t adi_proto_count(void);
const struct adi_proto *adi_proto_at(size_t i);

#endif
