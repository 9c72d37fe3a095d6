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
#include "../../lib/jw.h"

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

/* An aggregate being received. Its text is written into rd_side.vw as
 * its elements come (resp.c): the bracket when its header is read, each
 * element when complete. Offsets are into vw's text. */
struct rd_frame {
	size_t start;         /* where its text begins (at the comma before it,
			       * if any: cutting there removes it whole) */
	size_t key;           /* map / attribute: where the member of the key
			       * awaiting its value begins (at its comma) */
	uint64_t left;        /* elements still to come (2 per map pair) */
	size_t mk0;           /* map / attribute: its first rd_side.mk record */
	uint8_t type;         /* '*', '~', '>', '%' or '|' */
	bool keep;            /* its text is written (its parent's is, and the
			       * item cap allowed it) */
	bool has_key;
	bool key_kept;        /* the key awaiting its value was written */
	bool first;           /* no element yet */
};

/* A member already in a map being written (rd_side.vw), so that a key met
 * again replaces its value in place, as an object's member would. */
struct rd_mkey {
	size_t off;           /* its key's opening quote in vw */
	size_t klen;          /* the key's string token, quotes included */
	uint32_t hash;        /* of that token */
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
	struct adi_jw vw;     /* the value as JSON text, written as it comes */
	struct adi_jw aw;     /* its attributes, a member list (no braces) */
	struct rd_mkey *mk;   /* members of the maps open in vw */
	size_t nmk, mk_alloc;
	uint8_t top_type;     /* type byte of the top-level value */
	char head[RD_HEAD_KEEP + 1]; /* its first element, lower case, when a string */
	unsigned items;       /* values kept */
};

/* The part of an event a reply (or several subscribe confirmations) gives:
 * views into the reply message's f, or into rd_sub.w, valid while that
 * lives. */
struct rd_rep {
	bool have;
	struct adi_jv value;  /* absent: null */
	struct adi_jv error;  /* absent: null */
	struct adi_jv attrs;  /* absent: none */
	bool redact;          /* CONFIG GET: secret values written "<redacted>" */
	uint64_t ts_first, ts_last, bytes;
	bool truncated, incomplete;
};

/* A (P|S)(UN)SUBSCRIBE at the head of the command queue collecting its
 * confirmations (one per channel argument). */
struct rd_sub {
	bool on;
	int ctl;
	uint64_t want;        /* confirmations expected; 0: until none is left */
	uint64_t got;         /* confirmations collected */
	struct adi_jw w;      /* their values: an array, open while on */
	struct rd_rep rep;    /* value: w's text, once closed */
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
	uint32_t lost_taken[2]; /* of the "lost" count of the head of the
				 * command [0] / reply [1] queue, how much stitch
				 * has matched (a message's f is written once) */
	struct rd_side side[2]; /* [0] ADI_DIR_OUT, [1] ADI_DIR_IN */
};

/* What a message carries in adi_msg.f (parse() writes it at FRAME):
 * members stitch.c finds by their place in the writer's index (no key
 * looked up on its path) and copies into events as they are; the numbers
 * stitch decides by (struct rd_meta) are in adi_msg.aux. A command
 * (rd_cmd_finish): */
enum rd_cmem {
	RD_CM_COMMAND,        /* "command": the name, what was sent, or null */
	RD_CM_ARGS,           /* "args": the arguments after the command words */
};
/* A reply or push (rd_reply_finish); then "error" (the top-level error's
 * text) when it is an error, "attributes" (an object) when it has some. */
enum rd_rmem {
	RD_RM_VALUE,          /* "value": the RESP value as JSON */
};

/* A message's numbers, in its aux[0..3] as [truncated, lost, ctl, num]. */
struct rd_meta {
	bool truncated;       /* a value or argument was cut or not kept */
	uint64_t lost;        /* messages of its direction lost to a resync
			       * since the one before it */
	uint64_t ctl;         /* a command: enum rd_ctl; a reply: rd_head_kind()
			       * of its first element */
	uint64_t num;         /* a command: arguments after the command words;
			       * a reply: its top-level type byte */
};

/* Puts m into msg's aux (resp.c); rd_meta_get reads it back. */
void rd_meta_put(struct adi_msg *msg, const struct rd_meta *m);
struct rd_meta rd_meta_get(const struct adi_msg *msg);

/* rd_head_kind() of a message's first element that is no confirmation:
 * "message", "pmessage" or "smessage". */
#define RD_H_MESSAGE 16

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

/* What the first element of a server message (lower case, RD_HEAD_KEEP
 * bytes; "" when it is none) says: the rd_ctl of the (un)subscribe it
 * confirms (RD_C_SUB .. RD_C_SUNSUB), RD_H_MESSAGE, or RD_C_NONE. */
int rd_head_kind(const char *h);

void redis_stitch(void *vst, struct adi_msgq *out_q, struct adi_msgq *in_q,
		  struct adi_emit *em, bool final);

/* Free what the pairing state holds (fini). */
void rd_stitch_fini(struct redis_state *st);

#endif
