/* mc.h - private to the memcached decoder (src/proto/memcached/): limits,
 * the parse state of a direction, the per-connection state and what one
 * file of the decoder lends another. Nothing outside this folder includes
 * it; the decoder's one public header is src/proto/memcached.h.
 *
 *   text.c       the text protocol (and meta commands): command lines and
 *                their data, reply lines, VALUE / STAT blocks
 *   binary.c     the binary protocol: 24-byte headers, extras, keys, values
 *   stitch.c     pairing (text by order, binary by opaque; noreply and
 *                quiet commands); the memcached_command events
 *   memcached.c  parse() / gap() / resync() per direction, sniff(), the
 *                adi_proto_memcached table
 */
#ifndef ADI_PROTO_MEMCACHED_MC_H
#define ADI_PROTO_MEMCACHED_MC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../memcached.h"
#include "../../lib/jw.h"

#define MC_MAX_LINE ADI_PROTO_LOOKAHEAD /* a command or reply line */
#define MC_MAX_ITEMS 1024       /* keys, values or stats kept per message */
#define MC_MAX_WORDS 64         /* words of a command line looked at */
#define MC_MAX_KEY 250          /* memcached's KEY_MAX_LENGTH */
#define MC_MAX_DATA (1ULL << 30) /* a value length believed (memcached: -I up to 1 GiB) */
#define MC_BIN_HDR 24           /* the binary protocol's header */

/* adi_msg.kind: the enum memcached_kind in the low byte, and: */
#define MC_F_NOREPLY 0x100      /* no reply comes (text noreply, quit) */
#define MC_F_QUIET 0x200        /* a reply comes only on a hit or a failure
				 * (binary *Q opcodes, meta q flag) */
#define MC_F_GET 0x400          /* a retrieval: hits and misses counted */
#define MC_F_BIN 0x800          /* binary protocol */
#define MC_F_FLUSH 0x1000       /* noop / mn: its reply ends the quiet
				 * commands sent before it */
#define MC_F_TRUNC 0x2000       /* a value was cut or not kept */
#define MC_LOST_SHIFT 16        /* messages of its direction lost to a
				 * resync just before it (at most 0x7fff) */
#define MC_LOST_MAX 0x7fff

static inline int mc_lost(int kind)
{
	return (kind >> MC_LOST_SHIFT) & MC_LOST_MAX;
}

enum mc_phase {
	MC_LINE,      /* a line, or a binary header, comes next */
	MC_DATA,      /* data: `remaining` bytes to come */
	MC_DATA_END,  /* the CRLF after text data */
};

/* What data being received is for: how it is written when complete. */
enum mc_dfor {
	MC_D_STORE,   /* a command's value: "value_bytes", "value" */
	MC_D_ITEM,    /* a hit: the "value" of the open values item */
	MC_D_ERROR,   /* a binary error's text: "error" */
	MC_D_RESULT,  /* a binary version / SASL reply: "result" text */
	MC_D_COUNTER, /* a binary incr / decr reply: "result", 8 bytes */
	MC_D_SKIP,    /* nothing kept */
};

/* Blocks of a reply that spans several lines (or binary responses). */
enum mc_block {
	MC_B_NONE,
	MC_B_VALUES,  /* VALUE items until END: "values":[ open */
	MC_B_STATS,   /* STAT / ITEM lines until END: "result":{ open */
	MC_B_BINSTAT, /* binary stat responses until the one without a key */
	MC_B_ONE,     /* "values":[ open for one item (VA, a binary hit):
		       * closed with the item's data */
};

/* The parser of one direction. The message being decoded is written into
 * w as it comes; at FRAME it is copied into adi_msg.f. */
struct mc_side {
	uint8_t phase;        /* enum mc_phase */
	uint8_t dfor;         /* enum mc_dfor */
	uint8_t block;        /* enum mc_block */
	bool started;         /* bytes of the current message were consumed */
	bool truncated;       /* something of it was cut or not kept */
	bool redact;          /* the data is a secret (SASL) */
	bool strict;          /* after a resync: the next message must start
			       * as resync() would accept */
	bool mid_line;        /* resync: the byte before the next one was no
			       * LF (so it is no line start), as far as the
			       * bytes resync() and the engine dropped say */
	uint32_t lost;        /* messages lost to resync since the last FRAME */
	int kind;             /* adi_msg.kind of the message in progress */
	uint64_t key;         /* binary: its opaque */
	unsigned items;       /* values / stats written */
	uint64_t remaining;   /* data still to come */
	uint64_t dlen;        /* the data's length */
	uint8_t *keep;        /* its first bytes */
	size_t keep_len, keep_lim, keep_cap;
	struct adi_jw w;
};

struct memcached_state {
	enum adi_dir cmd_dir; /* the client's direction (start()) */
	int8_t binary;        /* -1 not known yet, 0 text, 1 binary: the first
			       * byte of the first message says */
	struct mc_side side[2]; /* [0] ADI_DIR_OUT, [1] ADI_DIR_IN */
};

static inline struct mc_side *mc_side_of(struct memcached_state *st, enum adi_dir dir)
{
	return &st->side[dir == ADI_DIR_OUT ? 0 : 1];
}

static inline enum adi_dir mc_cmd_dir(const struct memcached_state *st)
{
	return st->cmd_dir == ADI_DIR_IN ? ADI_DIR_IN : ADI_DIR_OUT;
}

static inline bool mc_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* ---- memcached.c: shared by the two framings ---- */

/* Data of len bytes starts (what it is for: dfor); its first lim bytes are
 * kept. mc_data_take consumes what b[*pos..n) holds of it; true when it is
 * complete. */
void mc_data_begin(struct mc_side *sd, uint8_t dfor, uint64_t len, size_t lim);
bool mc_data_take(struct mc_side *sd, const uint8_t *b, size_t n, size_t *pos);

/* Writes what the data was for into sd->w (enum mc_dfor). */
void mc_data_done(struct mc_side *sd);

/* The message in progress becomes *out (its text copied into out->f), and
 * the side is ready for the next. */
void mc_frame(struct mc_side *sd, struct adi_msg *out);

/* Drops the message in progress (not the buffers' memory). */
void mc_reset(struct mc_side *sd);

/* ---- text.c ---- */

/* parse() of each text direction. */
enum adi_parse mc_text_cmd(struct mc_side *sd, const struct adi_proto_cfg *cfg,
			   const uint8_t *b, size_t n, size_t *used, struct adi_msg *out);
enum adi_parse mc_text_reply(struct mc_side *sd, const struct adi_proto_cfg *cfg,
			     const uint8_t *b, size_t n, size_t *used, struct adi_msg *out);

/* How plausible a text command / reply line starting at b[0..n) is: 2 a
 * known command word (or reply keyword) with sane arguments and a line
 * end, 1 a valid prefix (no line end yet), 0 not one. */
int mc_text_cmd_start(const uint8_t *b, size_t n);
int mc_text_reply_start(const uint8_t *b, size_t n);

/* ---- binary.c ---- */

enum adi_parse mc_bin_parse(struct mc_side *sd, const struct adi_proto_cfg *cfg, bool request,
			    const uint8_t *b, size_t n, size_t *used, struct adi_msg *out);

/* 2 a plausible binary header at b (magic 0x80 request / 0x81 response, a
 * known opcode, lengths that agree), 1 a valid prefix, 0 not one. */
int mc_bin_start(const uint8_t *b, size_t n, bool request);

/* ---- stitch.c ---- */

void memcached_stitch(void *vst, struct adi_msgq *out_q, struct adi_msgq *in_q,
		      struct adi_emit *em, bool final);

#endif
