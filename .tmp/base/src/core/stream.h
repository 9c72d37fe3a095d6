/* stream.h - the decoding half of a connection: per-direction parse streams
 * that hand contiguous bytes to the connection's decoder (proto.h), keep the
 * bytes it is not ready for (bounded), map byte positions to syscall times,
 * turn gaps into gap()/resync() calls, queue the messages and call stitch().
 * Owned by the connection (conn.c); knows nothing of sockets or events. */
#ifndef ADI_STREAM_H
#define ADI_STREAM_H

#include <stdbool.h>
#include <stdint.h>
#include "../proto/proto.h"

struct adi_tmark {
	uint64_t pos;            /* stream position where a chunk starts */
	uint64_t ts;             /* its syscall's time */
};

struct adi_pstream {
	uint8_t *buf;            /* owned; unconsumed bytes at buf + off */
	size_t off, len, cap;
	const uint8_t *ext;      /* instead of buf + off while a chunk is
				  * parsed where it lies (borrowed) */
	uint64_t pos;            /* stream position of the first unconsumed byte */
	struct adi_tmark *marks; /* chunk starts at or before buf[0] onwards */
	size_t nmarks, capmarks;
	bool in_msg;             /* the decoder consumed part of a message */
	uint64_t msg_pos;        /* where that message started */
	uint64_t msg_ts;
	bool msg_gap;            /* a gap was absorbed inside it */
	bool resync;             /* after an unrecovered gap: resync first */
	bool done;               /* DONE, or ended: the rest is not parsed */
	uint64_t last_ts;        /* time of the latest chunk fed */
	uint64_t gap_ts;         /* ... as it was when the latest gap came */
	struct adi_msgq q;       /* complete messages awaiting stitch */
};

/* Memory all parse streams may hold together (buffer capacity), shared by
 * the connections of one engine. A buffer that would grow past it is not
 * grown: the bytes become a gap, counted in `refused`. */
struct adi_budget {
	uint64_t used, max, refused;
};

/* Per-connection decoding: the decoder, its state and both directions. */
struct adi_pconn {
	struct adi_budget *budget; /* may be NULL: no total bound */
	const struct adi_proto *proto;
	void *st;
	struct adi_pstream d[2]; /* [0] out, [1] in (as adi_stream) */
	struct adi_sniff_ctx sc; /* what start() was told (for a next()) */
	uint64_t messages;       /* FRAMEs produced */
	uint64_t skipped;        /* bytes dropped by resync / overflow */
	uint64_t errors;         /* BAD results */
};

/* Start decoding with proto (told what sc knows of the connection through
 * proto->start; sc may be NULL: a client-side connection); 0 or -ENOMEM. */
int adi_pconn_init(struct adi_pconn *pc, const struct adi_proto *proto,
		   const struct adi_sniff_ctx *sc);

/* Bytes of direction d (0 out, 1 in) at stream position pos, from a
 * syscall at ts. Positions before the expected one are trimmed (already
 * seen); after it, the missing bytes are a gap. Stitches through em. */
void adi_pconn_feed(struct adi_pconn *pc, const struct adi_proto_cfg *cfg, int d,
		    uint64_t pos, const uint8_t *b, size_t n, uint64_t ts,
		    struct adi_emit *em);

/* One whole datagram of direction d from peer: n bytes captured of its size
 * (cut: the capture or the receiver's buffer cut it), at ts. parse() sees it
 * alone, once: datagrams are messages, so there is no reassembly, no byte
 * position and no gap. Returns true when the decoder made a message of it
 * (queued, then stitched through em); false when it could not (BAD, or no
 * message): counted as an error, its bytes as skipped. */
bool adi_pconn_datagram(struct adi_pconn *pc, const struct adi_proto_cfg *cfg, int d,
			const uint8_t *b, size_t n, uint64_t size, bool cut, uint64_t ts,
			const struct adi_endpoint *peer, struct adi_emit *em);

/* n bytes of direction d are missing at the current end (a payload cut to
 * the capture cap, a dropped record). */
void adi_pconn_gap(struct adi_pconn *pc, int d, uint64_t n);

/* The connection ended: end-of-direction calls, final stitch (skipped
 * when em is NULL), free. What it counted over its life goes to *out
 * (may be NULL); pc is zeroed. */
struct adi_pconn_stats {
	uint64_t messages, skipped, errors;
};
void adi_pconn_finish(struct adi_pconn *pc, const struct adi_proto_cfg *cfg,
		      uint64_t ts, struct adi_emit *em, struct adi_pconn_stats *out);

/* The start time of the earliest message still in progress, waiting to
 * be stitched, or held by the decoder after stitch() (proto.h pending()):
 * what may still become an event; 0 if none. */
uint64_t adi_pconn_pending_ts(const struct adi_pconn *pc);

/* The expected position of the next byte of direction d. */
uint64_t adi_pconn_next_pos(const struct adi_pconn *pc, int d);

#endif
