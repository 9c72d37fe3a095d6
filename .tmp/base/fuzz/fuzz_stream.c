/* fuzz_stream.c - the stream engine (core/stream.c) with every registered
 * decoder: random chunking of both directions, gaps, overlaps and
 * repeats, then the end of the connection. Input:
 *   byte 0      decoder index (mod count) and body_bytes / show_secrets
 *   then ops:   u8 kind, u8 len, payload
 *     kind&3==0 bytes of direction (kind>>2)&1 at the current position
 *     kind&3==1 a gap of len bytes (then the next bytes jump ahead)
 *     kind&3==2 the same bytes again from len bytes back (overlap/dup)
 *     kind&3==3 an end-of-stream marker for one direction (ignored by
 *               the engine until finish: exercises repeated finishes) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/stream.h"

/* An event's fields must be whole JSON (every container closed). */
static void ev(struct adi_emit *em, const char *kind, uint64_t a, int64_t b)
{
	(void)kind;
	(void)a;
	(void)b;
	if (em->w->err == 0 && em->w->depth != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct adi_proto_cfg cfg = { .body_bytes = 64, .rows_sample = 2 };
	struct adi_jw w;
	struct adi_emit em = { .w = &w, .emit = ev, .event = adi_emit_tree, .cfg = &cfg };
	struct adi_pconn pc;
	uint64_t pos[2] = { 0, 0 }, ts = 1;
	size_t i = 1;

	if (size < 1 || adi_proto_count() == 0)
		return 0;
	adi_jw_init(&w);
	cfg.body_bytes = (data[0] & 0x30) ? 16u << ((data[0] >> 4) & 3) : 4096;
	cfg.show_secrets = data[0] & 0x40;
	em.server_side = data[0] & 0x80;
	if (adi_pconn_init(&pc, adi_proto_at(data[0] % adi_proto_count()), NULL))
		goto out;
	while (i + 2 <= size) {
		uint8_t kind = data[i], len = data[i + 1];
		int d = (kind >> 2) & 1;
		size_t n;

		i += 2;
		switch (kind & 3) {
		case 0:
			n = len <= size - i ? len : size - i;
			adi_pconn_feed(&pc, &cfg, d, pos[d], data + i, n, ts++, &em);
			pos[d] += n;
			i += n;
			break;
		case 1:
			pos[d] += len; /* the next feed finds the hole */
			break;
		case 2:
			n = len <= size - i ? len : size - i;
			adi_pconn_feed(&pc, &cfg, d, pos[d] >= n ? pos[d] - n : 0,
				       data + i, n, ts++, &em);
			i += n;
			break;
		case 3:
			adi_pconn_gap(&pc, d, len);
			pos[d] += len;
			break;
		}
	}
	adi_pconn_finish(&pc, &cfg, ts, &em, NULL);
out:
	adi_jw_fini(&w);
	return 0;
}
