/* rd.h - private to the Redis decoder (src/proto/redis/): the limits, the
 * parse state of a direction, the per-connection state (struct redis_state)
 * and the functions one file of the decoder lends another. Nothing outside
 * src/proto/redis/ includes it: the decoder's one public header is
 * src/proto/redis.h.
 *
 *   resp.c     RESP on the wire: lines, counts, plausible message starts,
 *              bulks, and the server direction's values (RESP2 and RESP3)
 *   command.c  the client direction: commands parsed (multibulk, inline)
 *              and understood (names, subcommands, secrets, what stitch
 *              must know)
 *   stitch.c   pairing by order: pipelines, MULTI, pub/sub, MONITOR,
 *              CLIENT REPLY, lost messages; the redis_command events
 *   redis.c    parse(), gap(), resync(), sniff(), start(), fini() and the
 *              adi_proto_redis table
 */
#ifndef ADI_PROTO_REDIS_RD_H
#define ADI_PROTO_REDIS_RD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../redis.h"

#define RD_MAX_LINE ADI_PROTO_LOOKAHEAD /* simple string, error, big number, inline */
#define RD_NUM_LINE 64          /* a length / count / number / double line */
#define RD_MAX_DEPTH 32         /* nesting of aggregates believed */
#define RD_MAX_ITEMS 1024       /* values (or arguments) kept per message */
#define RD_NAME_KEEP 256        /* bytes always kept of command words, map
				 * keys and bulk errors, whatever --body-bytes */
#define RD_HEAD_KEEP 16         /* bytes of a push's first element looked at */
#define RD_MAX_LEN (1ULL << 40) /* largest bulk length / aggregate count */
#define RD_MAX_ARGC 0x7fffffffULL /* largest multibulk count (Redis: INT_MAX) */
#define RD_MAX_WORD 32          /* command name / subcommand length believed */
#define RD_ABUF_SHRINK (64 * 1024) /* argument buffer freed above this */

/* Resync and sniff thresholds (see redis_resync, redis_sniff). */
#define RD_SYNC_ARGC (1024 * 1024) /* multibulk count of a command start */
#define RD_SNIFF_ARGC 1024         /* ... that sniff() scores high */
#define RD_SYNC_BULK (1ULL << 32)  /* bulk length of a reply start */
#define RD_SYNC_AGG (1ULL << 24)   /* aggregate count of a reply start */
#define RD_SYNC_TEXT 1024          /* simple string / error line of a reply start */

/* Status of a check on bytes that may be cut short. */
enum rd_sl {
	RD_SL_BAD,     /* cannot be one, whatever follows */
	RD_SL_PARTIAL, /* a valid prefix: need more bytes */
	RD_SL_OK,      /* complete and valid */
};

enum rd_phase {
	RD_HDR,    /* a header line (type byte ... CRLF) comes next */
	RD_DATA,   /* bulk data: `remaining` bytes to come */
	RD_CRLF,   /* the CRLF that ends bulk data */
};

/* What stitch() must know of a command beyond its name (the "ctl" member
 * of a command message). */
enum rd_ctl {
	RD_C_NONE,
	RD_C_SUB, RD_C_PSUB, RD_C_SSUB,       /* (P|S)SUBSCRIBE */
	RD_C_UNSUB, RD_C_PUNSUB, RD_C_SUNSUB, /* (P|S)UNSUBSCRIBE */
	RD_C_HELLO,
	RD_C_MONITOR,
	RD_C_RESET,
	RD_C_REPLY_ON, RD_C_REPLY_OFF, RD_C_REPLY_SKIP, /* CLIENT REPLY ... */
	RD_C_CONFIG_GET,
};

/* An aggregate being received. */
struct rd_frame {
	struct adi_jval *v;   /* array or object being filled; NULL: not kept */
	struct adi_jval *key; /* map / attribute: the key awaiting its value */
	uint64_t left;        /* elements still to come (2 per map pair) */
	uint8_t type;         /* '*', '~', '>', '%' or '|' */
	bool has_key;
	bool first;           /* no element yet */
};

/* A command argument in rd_side.abuf. */
struct rd_arg {
	size_t off, kept;     /* its first bytes: abuf[off .. off + kept) */
	uint64_t len;         /* its true length */
};

/* The parser of one direction. */
struct rd_side {
	uint8_t phase;        /* enum rd_phase */
	bool started;         /* bytes of the current message are consumed */
	bool gapped;          /* a gap ended the message: FRAME it next call */
	bool strict;          /* a gap ended the last message: the next must
			       * start as resync() would accept */
	bool truncated;       /* a value of the message was cut */
	uint32_t lost;        /* messages lost to resync since the last FRAME */
	/* the bulk being received */
	uint8_t btype;        /* '$', '!' or '=' */
	uint64_t blen, remaining;
	bool bcut;            /* no more of it is kept (limit or gap) */
	uint8_t *keep;
	size_t keep_len, keep_lim, keep_alloc;
	/* client direction: the command */
	uint64_t argc, argn;  /* announced, received */
	struct rd_arg *args;
	size_t nargs, args_alloc;
	uint8_t *abuf;
	size_t alen, aalloc;
	/* server direction: the value */
	struct rd_frame stack[RD_MAX_DEPTH];
	unsigned depth;
	struct adi_jval *root;
	struct adi_jval *attrs;
	uint8_t top_type;     /* type byte of the top-level value */
	char head[RD_HEAD_KEEP + 1]; /* its first element, lower case, when a string */
	unsigned items;       /* values kept */
};

/* The part of an event a reply (or several subscribe confirmations) gives. */
struct rd_rep {
	bool have;
	struct adi_jval *value, *error, *attrs;
	uint64_t ts_first, ts_last, bytes;
	bool truncated, incomplete;
};

/* A (P|S)(UN)SUBSCRIBE at the head of the command queue collecting its
 * confirmations (one per channel argument). */
struct rd_sub {
	bool on;
	int ctl;
	uint64_t want;        /* confirmations expected; 0: until none is left */
	struct rd_rep rep;    /* value: the array of confirmations */
};

struct redis_state {
	enum adi_dir cmd_dir; /* the client's direction (start()) */
	bool resp3;           /* HELLO 3 answered with a map */
	bool monitor;         /* MONITOR answered: the server streams lines */
	bool reply_off;       /* CLIENT REPLY OFF */
	bool skip_next;       /* CLIENT REPLY SKIP: the next command has no reply */
	int64_t chan, pat, shard; /* subscriptions, from the confirmations */
	bool rep_desync;      /* the reply stream was resynced: until a reply
			       * pairs with a command sent before it, values
			       * with no command are fragments of the lost
			       * message (e.g. elements of a big array), not
			       * replies, and are dropped */
	struct rd_sub sub;
	struct rd_side side[2]; /* [0] ADI_DIR_OUT, [1] ADI_DIR_IN */
};

/* ---- small byte helpers ---- */

static inline bool rd_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static inline bool rd_alpha(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static inline uint8_t rd_upper(uint8_t c)
{
	return c >= 'a' && c <= 'z' ? (uint8_t)(c - 32) : c;
}

static inline uint8_t rd_lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* A byte of a command name: Redis core ("GEORADIUS_RO") and module
 * ("JSON.SET") names, ACL-style "|" forms. */
static inline bool rd_word_char(uint8_t c)
{
	return rd_alpha(c) || rd_digit(c) || c == '_' || c == '.' || c == '|' || c == '-';
}

static inline size_t rd_min(size_t a, uint64_t b)
{
	return b < a ? (size_t)b : a;
}

static inline struct rd_side *rd_side_of(struct redis_state *st, enum adi_dir dir)
{
	return &st->side[dir == ADI_DIR_OUT ? 0 : 1];
}

/* The client direction: OUT unless start() said IN. */
static inline enum adi_dir rd_cmd_dir(const struct redis_state *st)
{
	return st->cmd_dir == ADI_DIR_IN ? ADI_DIR_IN : ADI_DIR_OUT;
}

/* ---- resp.c ---- */

/* A signed decimal of at most 19 digits: [+-]?[0-9]+ in s[0..n). */
bool rd_int(const uint8_t *s, size_t n, int64_t *out);

/* A line at b[0..n) ending in CRLF within max bytes: *len is its length
 * with the CRLF. PARTIAL when no CRLF yet and fewer than max bytes; BAD
 * when longer, or a CR without LF. */
enum rd_sl rd_line(const uint8_t *b, size_t n, size_t max, size_t *len);

/* Digits at b[*i] up to CRLF: "-1" when allow_null, else [0-9]{1,20} with
 * a value <= max. OK sets *v (-1 for null) and *i past the CRLF. */
enum rd_sl rd_count_line(const uint8_t *b, size_t n, size_t *i, bool allow_null,
			 uint64_t max, int64_t *v);

/* Plausible message starts (resync, the first message after a gap,
 * sniff): a command "*N\r\n$L\r\nNAME\r\n" (*argc gets N), a reply
 * (a type byte and a sane line). A type byte of RESP2 or RESP3. */
enum rd_sl rd_plausible_cmd(const uint8_t *b, size_t n, int64_t *argc);
enum rd_sl rd_plausible_reply(const uint8_t *b, size_t n);
bool rd_type_byte(uint8_t c);

/* Drop the message in progress of sd (not its buffers' memory). */
void rd_msg_reset(struct rd_side *sd);

/* A bulk of len bytes of type '$', '!' or '=' starts; its first lim bytes
 * are kept in sd->keep. rd_bulk_step takes its data and CRLF from b[*pos]
 * (moving *pos): OK when the bulk is complete (the phase is back at
 * RD_HDR), PARTIAL when more bytes are needed, BAD when no CRLF ends it. */
void rd_bulk_begin(struct rd_side *sd, uint8_t type, uint64_t len, size_t lim);
enum rd_sl rd_bulk_step(struct rd_side *sd, const uint8_t *b, size_t n, size_t *pos);

/* How a parse loop that stopped at pos ends (wait: needs more bytes, else
 * an error): AGAIN with *used = pos, or BAD when an error came before any
 * byte was consumed (an error after a good part is met again, at its first
 * byte, by the next call). */
enum adi_parse rd_stop(size_t pos, size_t *used, bool error);

/* parse() of the server direction, and the reply message it FRAMEs (cut:
 * bytes of it are missing: a gap, the end of the stream). */
enum adi_parse rd_parse_reply(struct rd_side *sd, const struct adi_proto_cfg *cfg,
			      const uint8_t *b, size_t n, size_t *used, struct adi_msg *out);
void rd_reply_finish(struct rd_side *sd, const struct adi_proto_cfg *cfg,
		     struct adi_msg *out, bool cut);

/* ---- command.c ---- */

/* parse() of the client direction, and the command message it FRAMEs. */
enum adi_parse rd_parse_cmd(struct rd_side *sd, const struct adi_proto_cfg *cfg,
			    const uint8_t *b, size_t n, size_t *used, struct adi_msg *out);
void rd_cmd_finish(struct rd_side *sd, const struct adi_proto_cfg *cfg,
		   struct adi_msg *out, bool cut);

/* A configuration parameter whose value is a secret (CONFIG SET / GET),
 * case-insensitive. */
bool rd_secret_param(const uint8_t *b, size_t n);

/* ---- stitch.c ---- */

void redis_stitch(void *vst, struct adi_msgq *out_q, struct adi_msgq *in_q,
		  struct adi_emit *em, bool final);

/* Free what the pairing state holds (fini). */
void rd_stitch_fini(struct redis_state *st);

#endif
