/* redis.c - the Redis decoder (RESP2, RESP3 and inline commands): one
 * command parser (client direction) and one RESP value parser (server
 * direction) per connection, both streaming (bulks are consumed as they
 * come, never held whole), paired by order into `redis_command` events with
 * the pub/sub, MULTI, MONITOR and CLIENT REPLY rules of redis_stitch.
 * Owns: struct redis_state (parse state of both directions, the kept bytes
 * of the current bulk and command, the value tree being built, the pub/sub
 * accounting). Does not own: the stream bytes (borrowed per call) nor
 * queued messages (engine's). Protocol: RESP, https://redis.io/docs/latest/
 * develop/reference/protocol-spec/ (RESP2 and RESP3).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis.h"

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

static bool rd_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static bool rd_alpha(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static uint8_t rd_upper(uint8_t c)
{
	return c >= 'a' && c <= 'z' ? (uint8_t)(c - 32) : c;
}

static uint8_t rd_lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* A byte of a command name: Redis core ("GEORADIUS_RO") and module
 * ("JSON.SET") names, ACL-style "|" forms. */
static bool rd_word_char(uint8_t c)
{
	return rd_alpha(c) || rd_digit(c) || c == '_' || c == '.' || c == '|' || c == '-';
}

/* Case-insensitive: b[0..n) equals the upper-case s. */
static bool rd_ieq(const uint8_t *b, size_t n, const char *s)
{
	if (n != strlen(s))
		return false;
	for (size_t i = 0; i < n; i++)
		if (rd_upper(b[i]) != (uint8_t)s[i])
			return false;
	return true;
}

static size_t rd_min(size_t a, uint64_t b)
{
	return b < a ? (size_t)b : a;
}

static struct rd_side *rd_side_of(struct redis_state *st, enum adi_dir dir)
{
	return &st->side[dir == ADI_DIR_OUT ? 0 : 1];
}

/* A signed decimal of at most 19 digits: [+-]?[0-9]+ in s[0..n). */
static bool rd_int(const uint8_t *s, size_t n, int64_t *out)
{
	bool neg = false;
	uint64_t v = 0;
	size_t i = 0;

	if (n && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		i++;
	}
	if (i == n || n - i > 19)
		return false;
	for (; i < n; i++) {
		if (!rd_digit(s[i]))
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > (uint64_t)INT64_MAX + neg)
		return false;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

/* ---- lines ----
 *
 * RESP (https://redis.io/docs/latest/develop/reference/protocol-spec/):
 * every value starts with a type byte and a line ending in CRLF:
 *
 *   RESP2                               RESP3 adds
 *   +OK\r\n          simple string      _\r\n            null
 *   -ERR msg\r\n     simple error       #t\r\n           boolean
 *   :42\r\n          integer            ,3.14\r\n        double (inf, nan)
 *   $5\r\nhello\r\n  bulk string        (3492890...\r\n  big number
 *   $-1\r\n          null bulk          !9\r\nERR x y\r\n bulk error
 *   *2\r\n<v><v>     array              =8\r\ntxt:abcd\r\n verbatim string
 *   *-1\r\n          null array         %1\r\n<k><v>     map
 *                                       ~2\r\n<v><v>     set
 *                                       |1\r\n<k><v><value> attribute
 *                                       >2\r\n<v><v>     push
 *
 * A command is an array of bulk strings, or an inline line of words:
 *
 *   *3\r\n $3\r\nSET\r\n $1\r\nk\r\n $1\r\nv\r\n      SET k v\r\n
 *
 * Streamed strings and aggregates ($?, *?) are not decoded (Redis does not
 * send them): they are a parse error, and the direction is resynced.
 */

/* A line at b[0..n) ending in CRLF within max bytes: *len is its length
 * with the CRLF. PARTIAL when no CRLF yet and fewer than max bytes; BAD
 * when longer, or a CR without LF. */
static enum rd_sl rd_line(const uint8_t *b, size_t n, size_t max, size_t *len)
{
	const uint8_t *cr = memchr(b, '\r', rd_min(n, max));
	size_t i;

	if (!cr)
		return n >= max ? RD_SL_BAD : RD_SL_PARTIAL;
	i = (size_t)(cr - b);
	if (i + 1 >= n)
		return RD_SL_PARTIAL;
	if (b[i + 1] != '\n')
		return RD_SL_BAD;
	*len = i + 2;
	return RD_SL_OK;
}

/* Digits at b[*i] up to CRLF: "-1" when allow_null, else [0-9]{1,20} with
 * a value <= max. OK sets *v (-1 for null) and *i past the CRLF. */
static enum rd_sl rd_count_line(const uint8_t *b, size_t n, size_t *i,
				bool allow_null, uint64_t max, int64_t *v)
{
	uint64_t x = 0;
	size_t k = 0;
	bool null = false;

	if (*i < n && b[*i] == '-') {
		if (!allow_null)
			return RD_SL_BAD;
		if (++*i >= n)
			return RD_SL_PARTIAL;
		if (b[*i] != '1')
			return RD_SL_BAD;
		++*i;
		null = true;
	} else {
		while (*i < n && rd_digit(b[*i])) {
			x = x * 10 + (uint64_t)(b[*i] - '0');
			if (++k > 19 || x > max)
				return RD_SL_BAD;
			++*i;
		}
		if (*i >= n)
			return RD_SL_PARTIAL;
		if (!k)
			return RD_SL_BAD;
	}
	if (*i >= n)
		return RD_SL_PARTIAL;
	if (b[*i] != '\r')
		return RD_SL_BAD;
	if (++*i >= n)
		return RD_SL_PARTIAL;
	if (b[*i] != '\n')
		return RD_SL_BAD;
	++*i;
	*v = null ? -1 : (int64_t)x;
	return RD_SL_OK;
}

/* ---- plausible message starts (resync, strict restart, sniff) ---- */

/* A command start: "*" N "\r\n" "$" L "\r\n" name "\r\n" with N in
 * 1..RD_SYNC_ARGC, L in 1..RD_MAX_WORD and the name made of word
 * characters, starting with a letter. *argc gets N. */
static enum rd_sl rd_plausible_cmd(const uint8_t *b, size_t n, int64_t *argc)
{
	int64_t v, l;
	size_t i = 1;
	enum rd_sl r;

	if (!n)
		return RD_SL_PARTIAL;
	if (b[0] != '*')
		return RD_SL_BAD;
	if ((r = rd_count_line(b, n, &i, false, RD_SYNC_ARGC, &v)) != RD_SL_OK)
		return r;
	if (v < 1)
		return RD_SL_BAD;
	*argc = v;
	if (i >= n)
		return RD_SL_PARTIAL;
	if (b[i++] != '$')
		return RD_SL_BAD;
	if ((r = rd_count_line(b, n, &i, false, RD_MAX_WORD, &l)) != RD_SL_OK)
		return r;
	if (l < 1)
		return RD_SL_BAD;
	for (int64_t k = 0; k < l; k++, i++) {
		if (i >= n)
			return RD_SL_PARTIAL;
		if (!rd_word_char(b[i]) || (k == 0 && !rd_alpha(b[i])))
			return RD_SL_BAD;
	}
	if (i >= n)
		return RD_SL_PARTIAL;
	if (b[i] != '\r')
		return RD_SL_BAD;
	if (i + 1 >= n)
		return RD_SL_PARTIAL;
	return b[i + 1] == '\n' ? RD_SL_OK : RD_SL_BAD;
}

static bool rd_type_byte(uint8_t c)
{
	return c && strchr("+-:$*_#,(!=%~|>", c) != NULL;
}

/* Printable text up to CRLF at b[*i], at most max bytes. */
static enum rd_sl rd_text_line(const uint8_t *b, size_t n, size_t *i, size_t max)
{
	size_t s = *i;

	while (*i < n && b[*i] != '\r') {
		if ((b[*i] < 0x20 && b[*i] != '\t') || b[*i] == 0x7f || *i - s >= max)
			return RD_SL_BAD;
		++*i;
	}
	if (*i + 1 >= n)
		return RD_SL_PARTIAL;
	return b[*i + 1] == '\n' ? RD_SL_OK : RD_SL_BAD;
}

/* A reply start by the resync rules: a type byte and a sane line —
 * simple strings and errors printable within RD_SYNC_TEXT bytes, an error
 * starting with an upper-case code, integers and big numbers of digits,
 * bulk lengths <= RD_SYNC_BULK, aggregate counts <= RD_SYNC_AGG followed by
 * a type byte, "_", "#t"/"#f", doubles of number characters. */
static enum rd_sl rd_plausible_reply(const uint8_t *b, size_t n)
{
	size_t i = 1, k;
	int64_t v;
	enum rd_sl r;

	if (!n)
		return RD_SL_PARTIAL;
	switch (b[0]) {
	case '+':
		return rd_text_line(b, n, &i, RD_SYNC_TEXT);
	case '-':
		for (k = 0; i < n && b[i] >= 'A' && b[i] <= 'Z'; i++)
			if (++k > RD_MAX_WORD)
				return RD_SL_BAD;
		if (i >= n)
			return RD_SL_PARTIAL;
		if (!k || (b[i] != ' ' && b[i] != '\r'))
			return RD_SL_BAD;
		return rd_text_line(b, n, &i, RD_SYNC_TEXT);
	case ':':
	case '(':
		if (i < n && (b[i] == '-' || b[i] == '+'))
			i++;
		for (k = 0; i < n && rd_digit(b[i]); i++)
			if (++k > (b[0] == ':' ? 19u : (unsigned)RD_SYNC_TEXT))
				return RD_SL_BAD;
		if (i >= n)
			return RD_SL_PARTIAL;
		if (!k)
			return RD_SL_BAD;
		return rd_text_line(b, n, &i, 0);
	case '$':
	case '!':
	case '=':
		return rd_count_line(b, n, &i, b[0] == '$', RD_SYNC_BULK, &v);
	case '*':
	case '~':
	case '%':
	case '|':
	case '>':
		r = rd_count_line(b, n, &i, b[0] == '*', RD_SYNC_AGG, &v);
		if (r != RD_SL_OK || v <= 0)
			return r;
		if (i >= n)
			return RD_SL_PARTIAL;
		return rd_type_byte(b[i]) ? RD_SL_OK : RD_SL_BAD;
	case '_':
		return rd_text_line(b, n, &i, 0);
	case '#':
		if (i >= n)
			return RD_SL_PARTIAL;
		if (b[i] != 't' && b[i] != 'f')
			return RD_SL_BAD;
		i++;
		return rd_text_line(b, n, &i, 0);
	case ',':
		for (k = 0; i < n && b[i] != '\r'; i++)
			if (!strchr("0123456789.eE+-infa", b[i]) || ++k > RD_NUM_LINE)
				return RD_SL_BAD;
		return rd_text_line(b, n, &i, 0);
	}
	return RD_SL_BAD;
}

/* ---- per-message state ---- */

/* Drop the message in progress (not the kept buffers' memory). */
static void rd_msg_reset(struct rd_side *sd)
{
	while (sd->depth) {
		struct rd_frame *f = &sd->stack[--sd->depth];

		adi_j_free(f->v);
		adi_j_free(f->key);
		memset(f, 0, sizeof(*f));
	}
	adi_j_free(sd->root);
	adi_j_free(sd->attrs);
	sd->root = sd->attrs = NULL;
	sd->phase = RD_HDR;
	sd->started = sd->truncated = sd->gapped = false;
	sd->blen = sd->remaining = 0;
	sd->keep_len = 0;
	sd->bcut = false;
	sd->argc = sd->argn = 0;
	sd->nargs = 0;
	sd->alen = 0;
	sd->top_type = 0;
	sd->head[0] = '\0';
	sd->items = 0;
	if (sd->aalloc > RD_ABUF_SHRINK) {
		free(sd->abuf);
		sd->abuf = NULL;
		sd->aalloc = 0;
	}
}

/* A bulk of len bytes starts; keep its first lim bytes (none when memory
 * runs out: the bulk is then shown cut). */
static void rd_bulk_begin(struct rd_side *sd, uint8_t type, uint64_t len, size_t lim)
{
	size_t want = rd_min(lim, len);

	sd->btype = type;
	sd->blen = sd->remaining = len;
	sd->keep_len = 0;
	sd->keep_lim = want;
	sd->bcut = false;
	if (want > sd->keep_alloc) {
		uint8_t *k = realloc(sd->keep, want);

		if (!k) {
			sd->keep_lim = 0;
		} else {
			sd->keep = k;
			sd->keep_alloc = want;
		}
	}
	sd->phase = len ? RD_DATA : RD_CRLF;
}

static void rd_bulk_feed(struct rd_side *sd, const uint8_t *p, size_t n)
{
	size_t k = sd->bcut ? 0 : rd_min(sd->keep_lim - sd->keep_len, n);

	if (k) {
		memcpy(sd->keep + sd->keep_len, p, k);
		sd->keep_len += k;
	}
	sd->remaining -= n;
}

/* ---- commands (client direction) ---- */

/* Record an argument of len bytes whose first bytes are p[0..k). Beyond
 * RD_MAX_ITEMS arguments are counted only (the command is truncated). */
static void rd_arg_add(struct rd_side *sd, const uint8_t *p, size_t k, uint64_t len)
{
	struct rd_arg *a;

	if (sd->nargs >= RD_MAX_ITEMS) {
		sd->truncated = true;
		return;
	}
	if (sd->nargs == sd->args_alloc) {
		size_t cap = sd->args_alloc ? sd->args_alloc * 2 : 8;
		struct rd_arg *na = realloc(sd->args, cap * sizeof(*na));

		if (!na)
			goto lost;
		sd->args = na;
		sd->args_alloc = cap;
	}
	if (!sd->abuf || sd->alen + k > sd->aalloc) {
		size_t cap = sd->aalloc ? sd->aalloc : 256;
		uint8_t *nb;

		while (cap < sd->alen + k)
			cap *= 2;
		nb = realloc(sd->abuf, cap);
		if (!nb)
			goto lost;
		sd->abuf = nb;
		sd->aalloc = cap;
	}
	a = &sd->args[sd->nargs++];
	a->off = sd->alen;
	a->kept = k;
	a->len = len;
	if (k)
		memcpy(sd->abuf + sd->alen, p, k);
	sd->alen += k;
	return;
lost:
	sd->truncated = true; /* out of memory: the argument is not shown */
}

/* Argument i equals the upper-case s (case-insensitive), wholly kept. */
static bool rd_arg_is(const struct rd_side *sd, size_t i, const char *s)
{
	const struct rd_arg *a;

	if (i >= sd->nargs)
		return false;
	a = &sd->args[i];
	return a->kept == a->len && rd_ieq(sd->abuf + a->off, a->kept, s);
}

/* Commands whose first argument is a subcommand, shown as one command
 * ("CONFIG GET"): the container commands of Redis 7 (COMMAND DOCS lists
 * them with subcommands) and SENTINEL. */
static const char *const rd_containers[] = {
	"ACL", "CLIENT", "CLUSTER", "COMMAND", "CONFIG", "FUNCTION", "LATENCY",
	"MEMORY", "MODULE", "OBJECT", "PUBSUB", "SCRIPT", "SENTINEL", "SLOWLOG",
	"XGROUP", "XINFO",
};
#define RD_N_CONTAINERS (sizeof(rd_containers) / sizeof(rd_containers[0]))

/* Configuration parameters whose values are secrets (CONFIG SET / GET). */
static const char *const rd_secret_params[] = {
	"MASTERAUTH", "REQUIREPASS", "TLS-KEY-FILE-PASS", "TLS-CLIENT-KEY-FILE-PASS",
};
#define RD_N_SECRET_PARAMS (sizeof(rd_secret_params) / sizeof(rd_secret_params[0]))

static bool rd_secret_param(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < RD_N_SECRET_PARAMS; i++)
		if (rd_ieq(b, n, rd_secret_params[i]))
			return true;
	return false;
}

/* The command name in name[] (upper case, NUL terminated; "" when the
 * first argument is no word), with its subcommand folded in for a
 * container; returns how many arguments it took (1 or 2). */
static size_t rd_cmd_name(const struct rd_side *sd, char *name, size_t cap)
{
	const struct rd_arg *a;
	size_t n = 0;

	name[0] = '\0';
	if (!sd->nargs)
		return 1;
	a = &sd->args[0];
	if (a->kept != a->len || a->len > RD_MAX_WORD)
		return 1;
	for (size_t i = 0; i < a->kept; i++)
		if (!rd_word_char(sd->abuf[a->off + i]))
			return 1;
	for (size_t i = 0; i < a->kept && n + 1 < cap; i++)
		name[n++] = (char)rd_upper(sd->abuf[a->off + i]);
	name[n] = '\0';
	if (sd->nargs < 2)
		return 1;
	for (size_t i = 0; i < RD_N_CONTAINERS; i++) {
		const struct rd_arg *s = &sd->args[1];

		if (strcmp(name, rd_containers[i]))
			continue;
		if (s->kept != s->len || !s->len || s->len > RD_MAX_WORD)
			return 1;
		for (size_t k = 0; k < s->kept; k++) {
			uint8_t c = sd->abuf[s->off + k];

			if (!rd_alpha(c) && c != '-' && c != '_')
				return 1;
		}
		if (n + 1 + s->kept + 1 > cap)
			return 1;
		name[n++] = ' ';
		for (size_t k = 0; k < s->kept; k++)
			name[n++] = (char)rd_upper(sd->abuf[s->off + k]);
		name[n] = '\0';
		return 2;
	}
	return 1;
}

/* Mark in red[] the arguments (indexes into sd->args) that hold secrets:
 *   AUTH [user] pass                 the password
 *   HELLO ... AUTH user pass         the password
 *   MIGRATE ... AUTH pass | AUTH2 user pass   the password
 *   CONFIG SET name value ...        values of rd_secret_params
 *   ACL SETUSER user rule ...        rules that set passwords or hashes
 *                                    (">pass", "<pass", "#hash", "!hash")
 *   SENTINEL SET master auth-pass v  the value */
static void rd_secrets(const struct rd_side *sd, const char *name, size_t words,
		       bool *red)
{
	size_t i;

	if (!strcmp(name, "AUTH")) {
		for (i = words; i < sd->nargs; i++)
			red[i] = !(sd->nargs - words == 2 && i == words); /* user stays */
	} else if (!strcmp(name, "HELLO")) {
		for (i = words; i + 2 < sd->nargs; i++)
			if (rd_arg_is(sd, i, "AUTH"))
				red[i + 2] = true;
	} else if (!strcmp(name, "MIGRATE")) {
		for (i = words; i < sd->nargs; i++) {
			if (rd_arg_is(sd, i, "AUTH") && i + 1 < sd->nargs)
				red[i + 1] = true;
			if (rd_arg_is(sd, i, "AUTH2") && i + 2 < sd->nargs)
				red[i + 2] = true;
		}
	} else if (!strcmp(name, "CONFIG SET")) {
		for (i = words; i + 1 < sd->nargs; i += 2) {
			const struct rd_arg *a = &sd->args[i];

			if (rd_secret_param(sd->abuf + a->off, a->kept))
				red[i + 1] = true;
		}
	} else if (!strcmp(name, "ACL SETUSER")) {
		for (i = words + 1; i < sd->nargs; i++) {
			const struct rd_arg *a = &sd->args[i];

			if (a->kept && strchr("<>#!", sd->abuf[a->off]))
				red[i] = true;
		}
	} else if (!strcmp(name, "SENTINEL SET")) {
		for (i = words + 1; i + 1 < sd->nargs; i += 2)
			if (rd_arg_is(sd, i, "AUTH-PASS"))
				red[i + 1] = true;
	}
}

static int rd_ctl_of(const struct rd_side *sd, const char *name, size_t words)
{
	static const struct { const char *name; int ctl; } t[] = {
		{ "SUBSCRIBE", RD_C_SUB }, { "PSUBSCRIBE", RD_C_PSUB },
		{ "SSUBSCRIBE", RD_C_SSUB }, { "UNSUBSCRIBE", RD_C_UNSUB },
		{ "PUNSUBSCRIBE", RD_C_PUNSUB }, { "SUNSUBSCRIBE", RD_C_SUNSUB },
		{ "HELLO", RD_C_HELLO }, { "MONITOR", RD_C_MONITOR },
		{ "RESET", RD_C_RESET }, { "CONFIG GET", RD_C_CONFIG_GET },
	};

	if (!strcmp(name, "CLIENT REPLY") && sd->nargs == words + 1) {
		if (rd_arg_is(sd, words, "ON"))
			return RD_C_REPLY_ON;
		if (rd_arg_is(sd, words, "OFF"))
			return RD_C_REPLY_OFF;
		if (rd_arg_is(sd, words, "SKIP"))
			return RD_C_REPLY_SKIP;
		return RD_C_NONE;
	}
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(name, t[i].name))
			return t[i].ctl;
	return RD_C_NONE;
}

/* The command message's fields: {"command", "args", "truncated", and for
 * stitch "nargs", "ctl", "lost"}. Arguments are cut to --body-bytes,
 * secrets redacted unless show_secrets. */
static struct adi_jval *rd_cmd_fields(struct rd_side *sd, const struct adi_proto_cfg *cfg)
{
	struct adi_jval *f = adi_j_obj(), *args = adi_j_arr();
	bool red[RD_MAX_ITEMS] = { false };
	char name[2 * RD_MAX_WORD + 2];
	size_t words = rd_cmd_name(sd, name, sizeof(name));
	const struct rd_arg *a0 = sd->nargs ? &sd->args[0] : NULL;

	if (!f || !args) {
		adi_j_free(f);
		adi_j_free(args);
		return NULL;
	}
	if (!a0)
		adi_j_set_null(f, "command");
	else if (name[0])
		adi_j_set_str(f, "command", name);
	else /* not a word: shown as sent (cut like any argument) */
		adi_j_set_bytes(f, "command", sd->abuf + a0->off,
				rd_min(a0->kept, RD_NAME_KEEP));
	if (a0 && !name[0] && a0->len > rd_min(a0->kept, RD_NAME_KEEP))
		sd->truncated = true;
	if (words > sd->nargs)
		words = sd->nargs;
	if (!cfg->show_secrets)
		rd_secrets(sd, name, words, red);
	for (size_t i = words; i < sd->nargs; i++) {
		const struct rd_arg *a = &sd->args[i];
		size_t k = rd_min(a->kept, cfg->body_bytes);

		if (red[i]) {
			adi_j_push(args, adi_j_str("<redacted>"));
			continue;
		}
		if (a->len > k)
			sd->truncated = true;
		adi_j_push(args, adi_j_bytes(sd->abuf + a->off, k));
	}
	adi_j_set(f, "args", args);
	adi_j_set_bool(f, "truncated", sd->truncated);
	adi_j_set_int(f, "nargs", (int64_t)(sd->argn > words ? sd->argn - words : 0));
	adi_j_set_int(f, "ctl", rd_ctl_of(sd, name, words));
	adi_j_set_int(f, "lost", sd->lost);
	return f;
}

/* Finish the command in progress into out (FRAME): its arguments so far;
 * cut: bytes of it are missing (a gap, the end of the stream). */
static void rd_cmd_finish(struct rd_side *sd, const struct adi_proto_cfg *cfg,
			  struct adi_msg *out, bool cut)
{
	if (cut) {
		if (sd->phase == RD_DATA || sd->phase == RD_CRLF)
			rd_arg_add(sd, sd->keep, sd->keep_len, sd->blen);
		if (sd->phase != RD_HDR || sd->argn < sd->argc)
			sd->truncated = true;
	}
	out->kind = REDIS_CMD;
	out->fields = rd_cmd_fields(sd, cfg);
	out->incomplete = cut;
	sd->lost = 0;
	rd_msg_reset(sd);
}

/* sdssplitargs() of Redis (inline commands): words separated by blanks;
 * "..." with \n \r \t \b \a \\ \" and \xHH escapes, '...' with \'; a
 * closing quote must be followed by a blank or the end. Arguments go to
 * sd. Returns the count, or -1 when unbalanced. Arguments longer than lim
 * keep their first lim bytes. */
static int rd_split_inline(struct rd_side *sd, const uint8_t *p, size_t n, size_t lim)
{
	uint8_t *w = malloc(n ? n : 1);
	int argc = 0;
	size_t i = 0;

	if (!w)
		return -1;
	for (;;) {
		size_t k = 0;
		int q = 0;

		while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' ||
				 p[i] == '\v' || p[i] == '\f'))
			i++;
		if (i == n)
			break;
		for (;;) {
			if (q == '"') {
				if (i == n)
					goto bad;
				if (p[i] == '\\' && i + 3 < n && p[i + 1] == 'x' &&
				    strchr("0123456789abcdefABCDEF", p[i + 2]) && p[i + 2] &&
				    strchr("0123456789abcdefABCDEF", p[i + 3]) && p[i + 3]) {
					char hx[3] = { (char)p[i + 2], (char)p[i + 3], 0 };

					w[k++] = (uint8_t)strtoul(hx, NULL, 16);
					i += 4;
				} else if (p[i] == '\\' && i + 1 < n) {
					uint8_t c = p[i + 1];

					w[k++] = c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' :
						 c == 'b' ? '\b' : c == 'a' ? '\a' : c;
					i += 2;
				} else if (p[i] == '"') {
					i++;
					if (i < n && p[i] != ' ' && p[i] != '\t')
						goto bad;
					break;
				} else {
					w[k++] = p[i++];
				}
			} else if (q == '\'') {
				if (i == n)
					goto bad;
				if (p[i] == '\\' && i + 1 < n && p[i + 1] == '\'') {
					w[k++] = '\'';
					i += 2;
				} else if (p[i] == '\'') {
					i++;
					if (i < n && p[i] != ' ' && p[i] != '\t')
						goto bad;
					break;
				} else {
					w[k++] = p[i++];
				}
			} else {
				if (i == n || p[i] == ' ' || p[i] == '\t' || p[i] == '\r' ||
				    p[i] == '\v' || p[i] == '\f')
					break;
				if (p[i] == '"' || p[i] == '\'')
					q = p[i++];
				else
					w[k++] = p[i++];
			}
		}
		rd_arg_add(sd, w, rd_min(k, lim), k);
		argc++;
	}
	free(w);
	return argc;
bad:
	free(w);
	return -1;
}

/* The start of an inline command at b[0..n): blanks, then a word of
 * letters (a command name) ending in a blank or the line end, or an empty
 * line. PARTIAL while the bytes end inside that. */
static enum rd_sl rd_inline_start(const uint8_t *b, size_t n)
{
	size_t i = 0, k = 0;

	while (i < n && (b[i] == ' ' || b[i] == '\t'))
		i++;
	if (i < n && (b[i] == '\r' || b[i] == '\n'))
		return RD_SL_OK; /* an empty line */
	for (; i < n; i++, k++) {
		uint8_t c = b[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			return k ? RD_SL_OK : RD_SL_BAD;
		if (k >= RD_MAX_WORD || !rd_word_char(c) || (!k && !rd_alpha(c)))
			return RD_SL_BAD;
	}
	return RD_SL_PARTIAL;
}

/* parse() of the client direction. */
static enum adi_parse rd_parse_cmd(struct rd_side *sd, const struct adi_proto_cfg *cfg,
				   const uint8_t *b, size_t n, size_t *used,
				   struct adi_msg *out)
{
	size_t pos = 0, len, lim = cfg->body_bytes > RD_NAME_KEEP ? cfg->body_bytes : RD_NAME_KEEP;
	int64_t v;
	enum rd_sl s;

	for (;;) {
		if (sd->gapped) {
			rd_cmd_finish(sd, cfg, out, true);
			*used = pos;
			return ADI_PARSE_FRAME;
		}
		if (pos == n)
			goto wait;
		switch (sd->phase) {
		case RD_HDR:
			if (!sd->started && sd->strict) {
				s = rd_plausible_cmd(b + pos, n - pos, &v);
				if (s == RD_SL_PARTIAL)
					goto wait;
				if (s == RD_SL_BAD)
					goto error;
				sd->strict = false;
			}
			if (!sd->started && b[pos] != '*') {
				const uint8_t *nl;
				int argc;

				/* an inline command: one line, LF or CRLF */
				s = rd_inline_start(b + pos, n - pos);
				if (s == RD_SL_BAD)
					goto error;
				nl = memchr(b + pos, '\n', rd_min(n - pos, RD_MAX_LINE));
				if (s == RD_SL_PARTIAL || !nl) {
					if (n - pos >= RD_MAX_LINE)
						goto error;
					goto wait;
				}
				len = (size_t)(nl - (b + pos));
				/* without the CR of CRLF, as Redis splits it */
				argc = rd_split_inline(sd, b + pos,
						       len && b[pos + len - 1] == '\r' ? len - 1 : len,
						       lim);
				if (argc < 0) {
					rd_msg_reset(sd);
					goto error;
				}
				if (argc == 0) { /* an empty line: Redis ignores it */
					*used = len + 1;
					return ADI_PARSE_SKIP;
				}
				sd->argc = sd->argn = (uint64_t)argc;
				pos += len + 1;
				rd_cmd_finish(sd, cfg, out, false);
				*used = pos;
				return ADI_PARSE_FRAME;
			}
			s = rd_line(b + pos, n - pos, RD_NUM_LINE, &len);
			if (s == RD_SL_PARTIAL)
				goto wait;
			if (s == RD_SL_BAD)
				goto error;
			if (!sd->started) {
				/* *<count>: Redis ignores counts <= 0 */
				if (!rd_int(b + pos + 1, len - 3, &v) || v > (int64_t)RD_MAX_ARGC)
					goto error;
				if (v <= 0) {
					*used = len;
					return ADI_PARSE_SKIP;
				}
				sd->started = true;
				sd->argc = (uint64_t)v;
				sd->argn = 0;
				pos += len;
				break;
			}
			/* $<length> of the next argument */
			if (b[pos] != '$' || !rd_int(b + pos + 1, len - 3, &v) ||
			    v < 0 || (uint64_t)v > RD_MAX_LEN)
				goto error;
			pos += len;
			rd_bulk_begin(sd, '$', (uint64_t)v, lim);
			break;
		case RD_DATA:
			len = rd_min(n - pos, sd->remaining);
			rd_bulk_feed(sd, b + pos, len);
			pos += len;
			if (sd->remaining)
				goto wait;
			sd->phase = RD_CRLF;
			break;
		case RD_CRLF:
			if (n - pos < 2)
				goto wait;
			if (b[pos] != '\r' || b[pos + 1] != '\n')
				goto error;
			pos += 2;
			rd_arg_add(sd, sd->keep, sd->keep_len, sd->blen);
			sd->phase = RD_HDR;
			if (++sd->argn == sd->argc) {
				rd_cmd_finish(sd, cfg, out, false);
				*used = pos;
				return ADI_PARSE_FRAME;
			}
			break;
		}
	}
wait:
	*used = pos;
	return ADI_PARSE_AGAIN;
error:
	if (pos > 0) {
		/* consume what was good; the next call starts at the error */
		*used = pos;
		return ADI_PARSE_AGAIN;
	}
	return ADI_PARSE_BAD;
}

/* ---- replies (server direction) ---- */

/* A map key as an object member name: a string as it is, anything else
 * as its JSON text (an integer key 1 becomes "1"). */
static void rd_map_set(struct adi_jval *obj, const struct adi_jval *key, struct adi_jval *v)
{
	char *txt;

	if (adi_j_type(key) == ADI_J_STR) {
		adi_j_set(obj, adi_j_as_str(key, ""), v);
		return;
	}
	txt = adi_j_to_string(key);
	if (!txt) {
		adi_j_free(v);
		return;
	}
	adi_j_set(obj, txt, v);
	free(txt);
}

/* Attach a complete value v (NULL: not kept) to frame f. */
static void rd_attach(struct rd_frame *f, struct adi_jval *v)
{
	if (f->type == '%' || f->type == '|') {
		if (!f->has_key) {
			f->key = v;
			f->has_key = true;
			return;
		}
		if (f->v && f->key && v)
			rd_map_set(f->v, f->key, v);
		else
			adi_j_free(v);
		adi_j_free(f->key);
		f->key = NULL;
		f->has_key = false;
		return;
	}
	if (f->v && v)
		adi_j_push(f->v, v);
	else
		adi_j_free(v);
}

/* The members of an attribute map join the message's attributes. */
static void rd_attrs_merge(struct rd_side *sd, struct adi_jval *a)
{
	if (!a)
		return;
	if (!sd->attrs) {
		sd->attrs = a;
		return;
	}
	while (adi_j_len(a)) {
		const char *k = adi_j_key_at(a, 0);
		char *kc = strdup(k ? k : "");
		struct adi_jval *v = kc ? adi_j_take(a, kc) : NULL;

		if (!v) {
			free(kc);
			break;
		}
		adi_j_set(sd->attrs, kc, v);
		free(kc);
	}
	adi_j_free(a);
}

/* A value is complete: attach it where it belongs, completing the frames
 * it fills. Returns true when the top-level value is complete. An
 * attribute is no element of its parent: it joins sd->attrs and the value
 * it announces comes next. */
static bool rd_put(struct rd_side *sd, struct adi_jval *v)
{
	for (;;) {
		struct rd_frame *f;
		uint8_t type;

		if (!sd->depth) {
			adi_j_free(sd->root);
			sd->root = v ? v : adi_j_null();
			return true;
		}
		f = &sd->stack[sd->depth - 1];
		rd_attach(f, v);
		f->first = false;
		if (--f->left)
			return false;
		v = f->v;
		type = f->type;
		f->v = NULL;
		sd->depth--;
		if (type == '|') {
			rd_attrs_merge(sd, v);
			return false;
		}
	}
}

/* Is a new value kept (its parent is, and the item cap is not reached)? */
static bool rd_keep_new(struct rd_side *sd)
{
	bool parent = !sd->depth || sd->stack[sd->depth - 1].v;

	if (!parent)
		return false;
	if (sd->items >= RD_MAX_ITEMS) {
		sd->truncated = true;
		return false;
	}
	sd->items++;
	return true;
}

/* The first element of a top-level aggregate, when a string: kept (lower
 * case, RD_HEAD_KEEP bytes) for stitch to tell pushes and confirmations. */
static void rd_note_head(struct rd_side *sd, const uint8_t *p, size_t n)
{
	size_t k = n < RD_HEAD_KEEP ? n : RD_HEAD_KEEP;

	if (sd->depth != 1 || !sd->stack[0].first)
		return;
	for (size_t i = 0; i < k; i++)
		sd->head[i] = (char)(p[i] ? rd_lower(p[i]) : '?');
	sd->head[k] = '\0';
}

/* Is the element being read a map key (kept longer)? */
static bool rd_is_key(const struct rd_side *sd)
{
	const struct rd_frame *f = sd->depth ? &sd->stack[sd->depth - 1] : NULL;

	return f && (f->type == '%' || f->type == '|') && !f->has_key;
}

/* The bytes of a bulk kept for it: --body-bytes, at least RD_NAME_KEEP
 * for map keys and bulk errors, RD_HEAD_KEEP for anything (a push's kind),
 * 4 more for a verbatim string's "txt:". */
static size_t rd_bulk_lim(const struct rd_side *sd, const struct adi_proto_cfg *cfg,
			  uint8_t type)
{
	size_t lim = cfg->body_bytes;

	if (type == '!' || rd_is_key(sd))
		lim = lim > RD_NAME_KEEP ? lim : RD_NAME_KEEP;
	if (type == '=')
		lim += 4;
	return lim > RD_HEAD_KEEP ? lim : RD_HEAD_KEEP;
}

/* The value of the bulk just received (or cut). */
static struct adi_jval *rd_bulk_value(struct rd_side *sd, const struct adi_proto_cfg *cfg)
{
	size_t show = sd->keep_len, off = 0;
	struct adi_jval *v, *o;

	rd_note_head(sd, sd->keep, sd->keep_len);
	if (!rd_keep_new(sd))
		return NULL;
	if (sd->btype == '=' && sd->blen >= 4 && sd->keep_len >= 4 && sd->keep[3] == ':')
		off = 4; /* "txt:" / "mkd:": the format, not the text */
	if (sd->btype == '$' && !rd_is_key(sd))
		show = rd_min(show, cfg->body_bytes);
	if (sd->btype == '=')
		show = off + rd_min(show - off, cfg->body_bytes);
	if (sd->bcut || sd->blen > show)
		sd->truncated = true;
	v = adi_j_bytes(sd->keep ? sd->keep + off : (const uint8_t *)"", show - off);
	if (sd->btype != '!')
		return v;
	o = adi_j_obj();
	if (o)
		adi_j_set(o, "error", v);
	else
		adi_j_free(v);
	return o;
}

/* A double (RESP3 ','): a JSON number, or "inf" / "-inf" / "nan" as a
 * string (JSON has none). NULL when malformed. */
static struct adi_jval *rd_double(const uint8_t *p, size_t n)
{
	char buf[RD_NUM_LINE + 1], *end;
	double d;

	if (!n || n > RD_NUM_LINE)
		return NULL;
	memcpy(buf, p, n);
	buf[n] = '\0';
	if (!strcmp(buf, "inf") || !strcmp(buf, "+inf") || !strcmp(buf, "-inf") ||
	    !strcmp(buf, "nan") || !strcmp(buf, "-nan"))
		return adi_j_str(buf[0] == '+' ? buf + 1 : buf);
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789.eE+-", buf[i]))
			return NULL;
	d = strtod(buf, &end);
	if (*end || d != d || d - d != 0)
		return NULL; /* overflowed to inf */
	return adi_j_double(d);
}

/* A leaf value from a header line of type t with content p[0..n): the
 * value (NULL when not kept) in *v, or false when malformed. */
static bool rd_line_value(struct rd_side *sd, uint8_t t, const uint8_t *p, size_t n,
			  struct adi_jval **v)
{
	struct adi_jval *o;
	int64_t x;
	bool keep;

	*v = NULL;
	switch (t) {
	case '+':
	case '-':
	case '(':
		if (t == '(') {
			size_t i = n && (p[0] == '-' || p[0] == '+');

			if (i == n)
				return false;
			for (; i < n; i++)
				if (!rd_digit(p[i]))
					return false;
		}
		if (t == '+')
			rd_note_head(sd, p, n);
		if (!rd_keep_new(sd))
			return true;
		*v = adi_j_bytes(p, n);
		if (t != '-')
			return true;
		o = adi_j_obj();
		if (o)
			adi_j_set(o, "error", *v);
		else
			adi_j_free(*v);
		*v = o;
		return true;
	case ':':
		if (!rd_int(p, n, &x))
			return false;
		if (rd_keep_new(sd))
			*v = adi_j_int(x);
		return true;
	case '_':
		if (n)
			return false;
		if (rd_keep_new(sd))
			*v = adi_j_null();
		return true;
	case '#':
		if (n != 1 || (p[0] != 't' && p[0] != 'f'))
			return false;
		if (rd_keep_new(sd))
			*v = adi_j_bool(p[0] == 't');
		return true;
	case ',':
		o = rd_double(p, n);
		if (!o)
			return false;
		keep = rd_keep_new(sd);
		if (keep)
			*v = o;
		else
			adi_j_free(o);
		return true;
	}
	return false;
}

/* The reply message's fields: {"value", "error" (top-level error text or
 * null), "truncated", and for stitch "t" (type byte), "h" (first element
 * of an aggregate, lower case), "lost", "attributes" when there were
 * some}. */
static void rd_reply_finish(struct rd_side *sd, const struct adi_proto_cfg *cfg,
			    struct adi_msg *out, bool cut)
{
	struct adi_jval *f = adi_j_obj(), *err;

	if (cut) {
		/* what was received: the bulk in progress, the open frames */
		if (sd->phase == RD_DATA || sd->phase == RD_CRLF) {
			sd->bcut = true;
			rd_put(sd, rd_bulk_value(sd, cfg));
		}
		while (sd->depth) {
			struct rd_frame *fr = &sd->stack[--sd->depth];
			struct adi_jval *v = fr->v;

			fr->v = NULL;
			adi_j_free(fr->key);
			fr->key = NULL;
			fr->has_key = false;
			if (fr->type == '|') {
				adi_j_free(v);
				continue;
			}
			if (!sd->depth) {
				adi_j_free(sd->root);
				sd->root = v;
			} else {
				rd_attach(&sd->stack[sd->depth - 1], v);
			}
		}
		sd->truncated = true;
	}
	out->kind = sd->top_type == '>' ? REDIS_PUSH : REDIS_REPLY;
	out->incomplete = cut;
	if (f) {
		err = adi_j_get(sd->root, "error");
		adi_j_set(f, "value", sd->root ? sd->root : adi_j_null());
		sd->root = NULL;
		if ((sd->top_type == '-' || sd->top_type == '!') && err)
			adi_j_set(f, "error", adi_j_copy(err));
		else
			adi_j_set_null(f, "error");
		adi_j_set_bool(f, "truncated", sd->truncated);
		adi_j_set_int(f, "t", sd->top_type);
		if (sd->head[0])
			adi_j_set_str(f, "h", sd->head);
		adi_j_set_int(f, "lost", sd->lost);
		if (sd->attrs) {
			adi_j_set(f, "attributes", sd->attrs);
			sd->attrs = NULL;
		}
	}
	out->fields = f;
	sd->lost = 0;
	rd_msg_reset(sd);
}

/* parse() of the server direction. */
static enum adi_parse rd_parse_reply(struct rd_side *sd, const struct adi_proto_cfg *cfg,
				     const uint8_t *b, size_t n, size_t *used,
				     struct adi_msg *out)
{
	size_t pos = 0, len;
	struct adi_jval *v;
	int64_t x;
	uint8_t t;
	enum rd_sl s;

	for (;;) {
		if (sd->gapped) {
			rd_reply_finish(sd, cfg, out, true);
			*used = pos;
			return ADI_PARSE_FRAME;
		}
		if (pos == n)
			goto wait;
		switch (sd->phase) {
		case RD_HDR:
			if (!sd->started && sd->strict) {
				s = rd_plausible_reply(b + pos, n - pos);
				if (s == RD_SL_PARTIAL)
					goto wait;
				if (s == RD_SL_BAD)
					goto error;
				sd->strict = false;
			}
			t = b[pos];
			if (!rd_type_byte(t))
				goto error;
			s = rd_line(b + pos, n - pos,
				    strchr("+-(", t) ? RD_MAX_LINE : RD_NUM_LINE, &len);
			if (s == RD_SL_PARTIAL)
				goto wait;
			if (s == RD_SL_BAD)
				goto error;
			if (!sd->depth && t != '|')
				sd->top_type = t;
			if (strchr("$!=*~%|>", t)) {
				bool is_null;

				if (!rd_int(b + pos + 1, len - 3, &x) || x < -1 ||
				    (x == -1 && t != '$' && t != '*') || x > (int64_t)RD_MAX_LEN)
					goto error;
				is_null = x == -1;
				if (!is_null && strchr("*~%|>", t) && sd->depth >= RD_MAX_DEPTH)
					goto error; /* nested too deep: not believed */
				sd->started = true;
				pos += len;
				if (is_null) {
					if (rd_put(sd, rd_keep_new(sd) ? adi_j_null() : NULL))
						goto frame;
					break;
				}
				if (strchr("$!=", t)) {
					rd_bulk_begin(sd, t, (uint64_t)x, rd_bulk_lim(sd, cfg, t));
					break;
				}
				/* an aggregate */
				if (!x) {
					v = rd_keep_new(sd) ? (t == '%' ? adi_j_obj() : adi_j_arr()) : NULL;
					if (t == '|') {
						adi_j_free(v);
						break; /* an empty attribute: nothing to attach */
					}
					if (rd_put(sd, v))
						goto frame;
					break;
				}
				{
					struct rd_frame *f = &sd->stack[sd->depth];
					bool keep = rd_keep_new(sd);

					memset(f, 0, sizeof(*f));
					f->type = t;
					f->left = (uint64_t)x * (t == '%' || t == '|' ? 2 : 1);
					f->first = true;
					if (keep)
						f->v = t == '%' || t == '|' ? adi_j_obj() : adi_j_arr();
					sd->depth++;
				}
				break;
			}
			if (!rd_line_value(sd, t, b + pos + 1, len - 3, &v))
				goto error;
			sd->started = true;
			pos += len;
			if (rd_put(sd, v))
				goto frame;
			break;
		case RD_DATA:
			len = rd_min(n - pos, sd->remaining);
			rd_bulk_feed(sd, b + pos, len);
			pos += len;
			if (sd->remaining)
				goto wait;
			sd->phase = RD_CRLF;
			break;
		case RD_CRLF:
			if (n - pos < 2)
				goto wait;
			if (b[pos] != '\r' || b[pos + 1] != '\n')
				goto error;
			pos += 2;
			sd->phase = RD_HDR;
			if (rd_put(sd, rd_bulk_value(sd, cfg)))
				goto frame;
			break;
		}
	}
frame:
	rd_reply_finish(sd, cfg, out, false);
	*used = pos;
	return ADI_PARSE_FRAME;
wait:
	*used = pos;
	return ADI_PARSE_AGAIN;
error:
	if (pos > 0) {
		*used = pos;
		return ADI_PARSE_AGAIN;
	}
	return ADI_PARSE_BAD;
}

/* ---- the adi_proto callbacks ---- */

static void redis_start(void *vst, const struct adi_sniff_ctx *c)
{
	struct redis_state *st = vst;

	/* a traced server reads commands; a client writes them */
	st->cmd_dir = c->server_side ? ADI_DIR_IN : ADI_DIR_OUT;
}

/* The client direction when start() was not called: OUT. */
static enum adi_dir rd_cmd_dir(const struct redis_state *st)
{
	return st->cmd_dir == ADI_DIR_IN ? ADI_DIR_IN : ADI_DIR_OUT;
}

/* parse(): see proto.h. Lines are taken whole (AGAIN with *used 0 until
 * the CRLF is in b; BAD past RD_MAX_LINE, or RD_NUM_LINE for a length,
 * count or number); bulks are consumed as they come (AGAIN with *used > 0),
 * their first bytes kept; each element of an aggregate is consumed when it
 * is complete, so nothing is held beyond one line. A message a gap ended
 * (gap() returned true outside a bulk) is returned as FRAME with *used 0 on
 * the next call, like one the end of the stream cuts. */
static enum adi_parse redis_parse(void *vst, const struct adi_proto_cfg *cfg,
				  enum adi_dir dir, const uint8_t *b, size_t n,
				  size_t *used, struct adi_msg *out)
{
	struct redis_state *st = vst;
	struct rd_side *sd = rd_side_of(st, dir);
	bool cmd = dir == rd_cmd_dir(st);

	*used = 0;
	if (!b) {
		/* the end of the direction: a message in progress ends cut */
		if (!sd->started && !sd->gapped)
			return ADI_PARSE_AGAIN;
		if (cmd)
			rd_cmd_finish(sd, cfg, out, true);
		else
			rd_reply_finish(sd, cfg, out, true);
		return ADI_PARSE_FRAME;
	}
	if (cmd)
		return rd_parse_cmd(sd, cfg, b, n, used, out);
	return rd_parse_reply(sd, cfg, b, n, used, out);
}

/* gap(): inside a bulk of known length the lost bytes are absorbed (the
 * bulk keeps what came before them; the message is marked incomplete). A
 * gap anywhere else inside a message ends that message there, incomplete:
 * it is FRAMEd on the next parse() call, and the next message must start
 * as resync() would accept (else BAD, then resync). Between messages:
 * false, the engine resyncs. */
static bool redis_gap(void *vst, enum adi_dir dir, uint64_t n)
{
	struct redis_state *st = vst;
	struct rd_side *sd = rd_side_of(st, dir);

	if (sd->gapped)
		return true;
	if (!sd->started)
		return false;
	sd->truncated = true;
	if (sd->phase == RD_DATA && n <= sd->remaining) {
		sd->remaining -= n;
		sd->bcut = true;
		if (!sd->remaining)
			sd->phase = RD_CRLF;
		return true;
	}
	sd->gapped = true;
	sd->strict = true;
	/* the rest of this reply (elements of an array, say) will look like
	 * replies of their own */
	if (dir != rd_cmd_dir(st))
		st->rep_desync = true;
	return true;
}

/* resync(): the first offset in b where a message of the direction
 * plausibly starts (rd_plausible_cmd for commands — inline commands are
 * not resynced to —, rd_plausible_reply for replies), complete or cut by
 * the end of b; n when none. Resets the direction: a message in progress
 * is dropped and counted as lost, so that stitch() keeps the pairing order
 * around it. */
static size_t redis_resync(void *vst, enum adi_dir dir, const uint8_t *b, size_t n)
{
	struct redis_state *st = vst;
	struct rd_side *sd = rd_side_of(st, dir);
	bool cmd = dir == rd_cmd_dir(st);
	int64_t argc;

	if (sd->started || sd->gapped)
		sd->lost++;
	if (!cmd)
		st->rep_desync = true;
	rd_msg_reset(sd);
	/* parse() judges the first message by the same rule, so that a start
	 * cut by the end of b here fares as it would whole */
	sd->strict = true;
	for (size_t i = 0; i < n; i++) {
		size_t lim = rd_min(n - i, RD_MAX_LINE);

		if (cmd ? b[i] != '*' : !rd_type_byte(b[i]))
			continue;
		if (cmd ? rd_plausible_cmd(b + i, lim, &argc) != RD_SL_BAD
			: rd_plausible_reply(b + i, lim) != RD_SL_BAD)
			return i;
	}
	return n;
}

/* Upper-case inline commands sniff() recognises (a person typing into
 * nc / telnet, or a health check). Lower case is not believed: memcached's
 * text protocol is "get k\r\n", and plain text starts with "hello". */
static const char *const rd_inline_words[] = {
	"PING", "AUTH", "HELLO", "SELECT", "INFO", "GET", "SET", "DEL", "EXISTS",
	"KEYS", "INCR", "DECR", "MGET", "MSET", "ECHO", "DBSIZE", "FLUSHALL",
	"FLUSHDB", "CLIENT", "CONFIG", "MONITOR", "SUBSCRIBE", "PSUBSCRIBE",
	"PUBLISH", "LPUSH", "RPUSH", "LRANGE", "HGET", "HSET", "HGETALL",
	"EXPIRE", "TTL", "TYPE", "SCAN", "COMMAND", "MULTI", "EXEC",
};
#define RD_N_INLINE (sizeof(rd_inline_words) / sizeof(rd_inline_words[0]))

/* Does the line b[0..n) (without its end) end in a protocol version such
 * as " HTTP/1.1", " RTSP/1.0", " SIP/2.0"? Those are not Redis. */
static bool rd_versioned(const uint8_t *b, size_t n)
{
	size_t i = n;

	if (n < 6 || !rd_digit(b[n - 1]) || b[n - 2] != '.' || !rd_digit(b[n - 3]) ||
	    b[n - 4] != '/')
		return false;
	for (i = n - 4; i > 0 && b[i - 1] >= 'A' && b[i - 1] <= 'Z'; i--)
		;
	return i < n - 4 && i > 0 && b[i - 1] == ' ';
}

/* Score of an inline command at b[0..n): 70 for a known upper-case word
 * then a blank or the line end, printable text and a line end (65 when no
 * line end within 64 bytes), -1 while too short to say, else 0. */
static int rd_sniff_inline(const uint8_t *b, size_t n)
{
	size_t w = 0, i;
	bool known = false;

	while (w < n && b[w] >= 'A' && b[w] <= 'Z')
		w++;
	if (!w)
		return 0;
	for (size_t k = 0; k < RD_N_INLINE; k++) {
		size_t l = strlen(rd_inline_words[k]);

		if (w == n ? l >= w && !memcmp(rd_inline_words[k], b, w)
			   : l == w && !memcmp(rd_inline_words[k], b, w))
			known = true;
	}
	if (!known)
		return 0;
	if (w == n)
		return n < 64 ? -1 : 0;
	if (b[w] != ' ' && b[w] != '\r' && b[w] != '\n')
		return 0;
	for (i = w; i < n && b[i] != '\r' && b[i] != '\n'; i++)
		if ((b[i] < 0x20 && b[i] != '\t') || b[i] == 0x7f)
			return 0;
	if (i == n)
		return n < 64 ? -1 : 40;
	if (b[i] == '\r' && i + 1 >= n)
		return n < 64 ? -1 : 0;
	if (b[i] == '\r' && b[i + 1] != '\n')
		return 0;
	return rd_versioned(b, i) ? 0 : 45;
}

/* Score of a reply at b[0..n): 50 for a well-known one ("+OK", "+PONG",
 * "+QUEUED", an error with an ERR / WRONGTYPE / NOAUTH / NOPERM / NOPROTO
 * code, an integer, a bulk whose data and CRLF follow, an aggregate whose
 * first element starts plausibly), 35 for any other plausible start, -1
 * while too short, 0 otherwise. */
static int rd_sniff_reply(const uint8_t *b, size_t n)
{
	static const char *const known[] = {
		"+OK\r\n", "+PONG\r\n", "+QUEUED\r\n", "-ERR ", "-WRONGTYPE ",
		"-NOAUTH ", "-NOPERM ", "-NOPROTO ",
	};
	enum rd_sl s = rd_plausible_reply(b, n);
	size_t i = 1;
	int64_t v;

	if (s == RD_SL_BAD)
		return 0;
	if (s == RD_SL_PARTIAL)
		return n < 64 ? -1 : 0;
	for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++) {
		size_t l = strlen(known[k]);

		if (n >= l && !memcmp(b, known[k], l))
			return 50;
	}
	if (b[0] == ':')
		return 50;
	if (b[0] == '$' && rd_count_line(b, n, &i, true, RD_SYNC_BULK, &v) == RD_SL_OK) {
		if (v < 0)
			return 50;
		if (n - i < (uint64_t)v + 2)
			return n < 64 ? -1 : 35;
		return b[i + (size_t)v] == '\r' && b[i + (size_t)v + 1] == '\n' ? 50 : 0;
	}
	if (strchr("*%~>", b[0]) &&
	    rd_count_line(b, n, &i, b[0] == '*', RD_SYNC_AGG, &v) == RD_SL_OK) {
		if (v <= 0)
			return 35;
		s = rd_plausible_reply(b + i, n - i);
		if (s == RD_SL_PARTIAL)
			return n < 64 ? -1 : 35;
		return s == RD_SL_OK ? 50 : 0;
	}
	return 35;
}

/* sniff(): thresholds (the claim is ADI_SNIFF_CLAIM, 60).
 *  - 90: a multibulk command start, "*N\r\n$L\r\nNAME\r\n" with N in
 *    1..RD_SNIFF_ARGC (1024), L in 1..32, NAME word characters starting
 *    with a letter (rd_plausible_cmd), or cut after its first letter (a
 *    short --body-bytes preview); 75 when N is larger (up to 1 Mi).
 *    Binary protocols cannot match: PostgreSQL and DNS start with 0x00,
 *    MongoDB and MySQL with a little-endian length whose next byte is no
 *    digit even when the first is '*', TLS with 0x16.
 *  - 45: an inline command: a known upper-case word (rd_inline_words) and
 *    a blank or CRLF, printable text, a line end, and no " TOKEN/d.d"
 *    version at its end (HTTP/1.x, RTSP, SIP request lines; "PRI * HTTP/2.0"
 *    too, and PRI is no Redis command); 40 without a line end in 64 bytes.
 *    Below the claim alone: text lines such as "PING :server" (IRC) or a
 *    test's own "PING\r\n"/"PONG\r\n" echo are not Redis; with the port
 *    hint (+15 here) and the direction agreeing (+5) a human's telnet
 *    session to Redis is claimed.
 *  - 50: a well-known reply (rd_sniff_reply), 35 another plausible reply
 *    start ("+OK POP3 ready" of POP3 scores 35): below the claim alone;
 *    only with the port hint and the direction both agreeing does a reply
 *    claim a connection (joined mid-stream, the server's bytes first).
 *  - +5 when the direction agrees with the role (commands from the client,
 *    replies from the server); +15 for a reply, +5 for a command, when the
 *    server port is 6379 or 6380: hints, never decisive alone.
 *  - -1: fewer than 64 bytes that are still a prefix of one of the above.
 *  - 0 otherwise. */
static int redis_sniff(const uint8_t *b, size_t n, const struct adi_sniff_ctx *c)
{
	enum adi_dir cmd_dir = c->server_side ? ADI_DIR_IN : ADI_DIR_OUT;
	uint16_t port = c->server_side ? c->local_port : c->remote_port;
	bool hint = port == 6379 || port == 6380;
	bool agrees;
	int64_t argc;
	int s;

	if (!n)
		return -1;
	if (b[0] == '*') {
		enum rd_sl r = rd_plausible_cmd(b, n, &argc);
		const uint8_t *lf = memchr(b, '\n', n);

		/* cut inside the name (a short --body-bytes preview): both
		 * header lines and a first name letter are enough */
		lf = lf ? memchr(lf + 1, '\n', n - (size_t)(lf + 1 - b)) : NULL;
		if (r == RD_SL_PARTIAL && lf && (size_t)(lf - b) + 1 < n)
			r = RD_SL_OK;
		if (r == RD_SL_PARTIAL)
			return n < 64 ? -1 : 0;
		if (r == RD_SL_OK) {
			agrees = c->dir == cmd_dir;
			return (argc <= RD_SNIFF_ARGC ? 90 : 75) + (agrees ? 5 : 0) +
			       (hint ? 5 : 0);
		}
	}
	if (b[0] >= 'A' && b[0] <= 'Z') {
		s = rd_sniff_inline(b, n);
		if (s <= 0)
			return s;
		return s + (c->dir == cmd_dir ? 5 : 0) + (hint ? 15 : 0);
	}
	if (!rd_type_byte(b[0]))
		return 0;
	s = rd_sniff_reply(b, n);
	if (s <= 0)
		return s;
	return s + (c->dir != cmd_dir ? 5 : 0) + (hint ? 15 : 0);
}

/* ---- pairing ---- */

/* Move the member k out of obj; NULL when absent. */
static struct adi_jval *rd_take(struct adi_jval *obj, const char *k)
{
	return obj ? adi_j_take(obj, k) : NULL;
}

/* The reply part of an event from one message (fields moved out). */
static void rd_rep_of(struct rd_rep *r, struct adi_msg *m)
{
	memset(r, 0, sizeof(*r));
	r->have = true;
	r->value = rd_take(m->fields, "value");
	r->error = rd_take(m->fields, "error");
	r->attrs = rd_take(m->fields, "attributes");
	r->ts_first = m->ts_first;
	r->ts_last = m->ts_last;
	r->bytes = m->wire_bytes;
	r->truncated = adi_j_as_bool(adi_j_get(m->fields, "truncated"), false);
	r->incomplete = m->incomplete;
}

static void rd_rep_free(struct rd_rep *r)
{
	adi_j_free(r->value);
	adi_j_free(r->error);
	adi_j_free(r->attrs);
	memset(r, 0, sizeof(*r));
}

static int64_t rd_field_int(const struct adi_msg *m, const char *k)
{
	return m ? adi_j_get_int(m->fields, k, 0) : 0;
}

/* Replace the values of secret parameters in a CONFIG GET reply: a flat
 * [name, value, ...] array (RESP2) or a map (RESP3). */
static void rd_redact_config(struct adi_jval **value)
{
	struct adi_jval *v = *value, *c;
	size_t n = adi_j_len(v);

	if (adi_j_type(v) == ADI_J_OBJ) {
		for (size_t i = 0; i < n; i++) {
			const char *k = adi_j_key_at(v, i);

			if (k && rd_secret_param((const uint8_t *)k, strlen(k)))
				adi_j_set(v, k, adi_j_str("<redacted>"));
		}
		return;
	}
	if (adi_j_type(v) != ADI_J_ARR)
		return;
	c = adi_j_arr();
	if (!c)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct adi_jval *k = i ? adi_j_at(v, i - 1) : NULL;
		const char *ks = adi_j_as_str(k, NULL);

		if (i % 2 && ks && rd_secret_param((const uint8_t *)ks, adi_j_len(k)))
			adi_j_push(c, adi_j_str("<redacted>"));
		else
			adi_j_push(c, adi_j_copy(adi_j_at(v, i)));
	}
	adi_j_free(v);
	*value = c;
}

/* One redis_command event. cmd (may be NULL: its command was lost or
 * never seen) and r (have false: no reply) are taken; lost: a partner is
 * known to be lost; push: a message the server pushed. */
static void rd_emit(struct adi_emit *em, struct adi_msg *cmd, struct rd_rep *r,
		    bool lost, bool push)
{
	struct adi_jval *ev = adi_j_obj(), *v;
	bool trunc = r->truncated, incomplete = lost || r->incomplete;
	uint64_t ts_start = cmd ? cmd->ts_first : r->ts_first;
	int64_t ts_end = -1;

	if (cmd) {
		trunc |= adi_j_as_bool(adi_j_get(cmd->fields, "truncated"), false);
		incomplete |= cmd->incomplete;
	}
	if (!ev) {
		rd_rep_free(r);
		return;
	}
	v = rd_take(cmd ? cmd->fields : NULL, "command");
	adi_j_set(ev, "command", v ? v : adi_j_null());
	v = rd_take(cmd ? cmd->fields : NULL, "args");
	adi_j_set(ev, "args", v ? v : adi_j_arr());
	adi_j_set(ev, "reply", r->value ? r->value : adi_j_null());
	adi_j_set(ev, "error", r->error ? r->error : adi_j_null());
	adi_j_set_int(ev, "req_bytes", cmd ? (int64_t)cmd->wire_bytes : 0);
	adi_j_set_int(ev, "resp_bytes", (int64_t)r->bytes);
	adi_j_set_bool(ev, "truncated", trunc);
	if (push)
		adi_j_set_bool(ev, "push", true);
	if (incomplete)
		adi_j_set_bool(ev, "incomplete", true);
	if (r->attrs)
		adi_j_set(ev, "attributes", r->attrs);
	if (r->have)
		ts_end = r->ts_last < ts_start ? (int64_t)ts_start : (int64_t)r->ts_last;
	r->value = r->error = r->attrs = NULL;
	em->event(em, "redis_command", ts_start, ts_end, ev);
}

/* Pop the head of q and emit it alone (a command without reply, or a
 * reply / push without command). */
static void rd_emit_alone(struct adi_emit *em, struct adi_msgq *q, bool lost, bool push)
{
	struct adi_msg *m = adi_msgq_pop(q);
	struct rd_rep r = { 0 };

	if (m->kind == REDIS_CMD) {
		rd_emit(em, m, &r, lost, false);
	} else {
		rd_rep_of(&r, m);
		rd_emit(em, NULL, &r, lost, push);
	}
	adi_msg_free(m);
}

/* The pub/sub confirmation kind a push / array head names, or RD_C_NONE. */
static int rd_conf_kind(const char *h)
{
	static const char *const k[] = {
		"subscribe", "psubscribe", "ssubscribe",
		"unsubscribe", "punsubscribe", "sunsubscribe",
	};

	for (int i = 0; h && i < 6; i++)
		if (!strcmp(h, k[i]))
			return RD_C_SUB + i;
	return RD_C_NONE;
}

static bool rd_is_message(const char *h)
{
	return h && (!strcmp(h, "message") || !strcmp(h, "pmessage") ||
		     !strcmp(h, "smessage"));
}

static bool rd_subscribed(const struct redis_state *st)
{
	return st->chan + st->pat + st->shard > 0;
}

/* Subscription counts after a confirmation of kind k whose third element
 * is the count Redis reports: channels + patterns for (P)(UN)SUBSCRIBE,
 * shard channels for S(UN)SUBSCRIBE. */
static void rd_track(struct redis_state *st, int k, const struct adi_msg *m)
{
	const struct adi_jval *v = adi_j_get(m->fields, "value");
	int64_t cnt = adi_j_as_int(adi_j_at(v, 2), 0);

	if (adi_j_type(v) != ADI_J_ARR || adi_j_len(v) < 3 || cnt < 0)
		return;
	if (k == RD_C_SUB || k == RD_C_UNSUB)
		st->chan = cnt > st->pat ? cnt - st->pat : 0;
	else if (k == RD_C_PSUB || k == RD_C_PUNSUB)
		st->pat = cnt > st->chan ? cnt - st->chan : 0;
	else if (k == RD_C_SSUB || k == RD_C_SUNSUB)
		st->shard = cnt;
}

enum rd_class { RD_CL_REPLY, RD_CL_PUSH, RD_CL_CONF };

/* What a server message r is, with the command c at the head (or NULL):
 *  - RESP3 push ('>'): a confirmation of c when its kind matches c
 *    ("subscribe" for SUBSCRIBE...), else a push;
 *  - after MONITOR: a simple string starting with a digit is a pushed
 *    monitor line;
 *  - RESP2 array: a confirmation of c when its first element matches c; a
 *    push when it is "message" / "pmessage" / "smessage" while subscribed
 *    (or with no command waiting), or a confirmation no command asked for
 *    while subscribed;
 *  - anything else is the reply of c. */
static enum rd_class rd_classify(const struct redis_state *st, const struct adi_msg *r,
				 const struct adi_msg *c)
{
	const char *h = adi_j_get_str(r->fields, "h", NULL);
	int conf = rd_conf_kind(h);
	int64_t t = rd_field_int(r, "t");
	bool mine = conf && c && rd_field_int(c, "ctl") == conf;

	if (r->kind == REDIS_PUSH)
		return mine ? RD_CL_CONF : RD_CL_PUSH;
	if (st->monitor && t == '+') {
		const char *s = adi_j_as_str(adi_j_get(r->fields, "value"), "");

		if (rd_digit((uint8_t)s[0]))
			return RD_CL_PUSH;
	}
	if (!st->resp3 && t == '*' && h) {
		if (mine)
			return RD_CL_CONF;
		if (rd_is_message(h) && (rd_subscribed(st) || !c))
			return RD_CL_PUSH;
		if (conf && rd_subscribed(st))
			return RD_CL_PUSH;
	}
	return RD_CL_REPLY;
}

/* The pending (un)subscribe is done: every channel argument confirmed, or
 * (no arguments) none of its kind is left. */
static bool rd_sub_done(const struct redis_state *st)
{
	if (st->sub.want)
		return adi_j_len(st->sub.rep.value) >= st->sub.want;
	switch (st->sub.ctl) {
	case RD_C_UNSUB:
		return st->chan == 0;
	case RD_C_PUNSUB:
		return st->pat == 0;
	case RD_C_SUNSUB:
		return st->shard == 0;
	}
	return true;
}

/* A confirmation r of the command c at the head joins its reply. */
static void rd_sub_add(struct redis_state *st, const struct adi_msg *c, struct adi_msg *r)
{
	struct rd_rep one;

	if (!st->sub.on) {
		memset(&st->sub, 0, sizeof(st->sub));
		st->sub.on = true;
		st->sub.ctl = (int)rd_field_int(c, "ctl");
		st->sub.want = (uint64_t)rd_field_int(c, "nargs");
		st->sub.rep.have = true;
		st->sub.rep.value = adi_j_arr();
		st->sub.rep.ts_first = r->ts_first;
	}
	rd_track(st, st->sub.ctl, r);
	rd_rep_of(&one, r);
	adi_j_push(st->sub.rep.value, one.value ? one.value : adi_j_null());
	one.value = NULL;
	st->sub.rep.ts_last = one.ts_last;
	st->sub.rep.bytes += one.bytes;
	st->sub.rep.truncated |= one.truncated;
	st->sub.rep.incomplete |= one.incomplete;
	rd_rep_free(&one);
}

/* Emit the command at the head of cq with the confirmations collected. */
static void rd_sub_emit(struct redis_state *st, struct adi_emit *em, struct adi_msgq *cq)
{
	struct adi_msg *c = adi_msgq_pop(cq);

	rd_emit(em, c, &st->sub.rep, false, false);
	adi_msg_free(c);
	rd_rep_free(&st->sub.rep);
	memset(&st->sub, 0, sizeof(st->sub));
}

/* Does the command c get no reply (CLIENT REPLY OFF / SKIP)? Applies the
 * reply mode it sets. */
static bool rd_no_reply(struct redis_state *st, const struct adi_msg *c)
{
	int64_t ctl = rd_field_int(c, "ctl");

	if (ctl == RD_C_REPLY_OFF) {
		st->reply_off = true;
		return true;
	}
	if (ctl == RD_C_REPLY_SKIP) {
		st->skip_next = !st->reply_off;
		return true;
	}
	if (st->reply_off)
		return ctl != RD_C_REPLY_ON;
	if (st->skip_next) {
		st->skip_next = false;
		return true;
	}
	return false;
}

/* What a command and its reply change on the connection. */
static void rd_after(struct redis_state *st, const struct adi_msg *c, struct rd_rep *r,
		     const struct adi_emit *em)
{
	int64_t ctl = rd_field_int(c, "ctl");
	int t = r->value ? (int)adi_j_type(r->value) : -1;
	bool ok = adi_j_is_null(r->error);

	if (ctl == RD_C_HELLO && ok)
		st->resp3 = t == ADI_J_OBJ; /* HELLO 3 answers a map, HELLO 2 an array */
	else if (ctl == RD_C_MONITOR && ok)
		st->monitor = true;
	else if (ctl == RD_C_RESET && ok) {
		st->resp3 = st->monitor = st->reply_off = st->skip_next = false;
		st->chan = st->pat = st->shard = 0;
	} else if (ctl == RD_C_REPLY_ON) {
		st->reply_off = false;
	} else if (ctl == RD_C_CONFIG_GET && (!em->cfg || !em->cfg->show_secrets)) {
		rd_redact_config(&r->value);
	}
}

/* Decrement a message's "lost" count. */
static void rd_dec_lost(struct adi_msg *m)
{
	adi_j_set_int(m->fields, "lost", rd_field_int(m, "lost") - 1);
}

/* stitch(): commands and replies pair by order — pipelining and MULTI
 * (each queued command gets its +QUEUED, EXEC the array of results) need
 * nothing more. On top of the order:
 *  - pushes (RESP3 '>', RESP2 "message" arrays while subscribed, MONITOR
 *    lines) are events of their own: command null, "push": true;
 *  - a (P|S)(UN)SUBSCRIBE gets its confirmations (RESP2 arrays or RESP3
 *    pushes), one per channel argument, as one array reply;
 *  - CLIENT REPLY OFF / SKIP: commands that get no reply are emitted at
 *    once, with reply null;
 *  - a message lost to a resync inside it ("lost" on the next message of
 *    its direction) leaves its partner alone, marked incomplete;
 *  - a reply with no command waiting is emitted alone (incomplete), unless
 *    a command is being received (it may be its reply);
 *  - final: unanswered commands are emitted with no reply (ts_end -1). */
static void redis_stitch(void *vst, struct adi_msgq *out_q, struct adi_msgq *in_q,
			 struct adi_emit *em, bool final)
{
	struct redis_state *st = vst;
	bool out_is_cmd = rd_cmd_dir(st) == ADI_DIR_OUT;
	struct adi_msgq *cq = out_is_cmd ? out_q : in_q, *rq = out_is_cmd ? in_q : out_q;
	const struct rd_side *cs = rd_side_of(st, rd_cmd_dir(st));
	const struct rd_side *rs = rd_side_of(st, out_is_cmd ? ADI_DIR_IN : ADI_DIR_OUT);

	for (;;) {
		struct adi_msg *c = cq->head, *r = rq->head;
		struct rd_rep rep;
		enum rd_class cl;

		if (c && !st->sub.on && rd_no_reply(st, c)) {
			rd_emit_alone(em, cq, false, false);
			continue;
		}
		if (!r) {
			if (!c || !final)
				return;
			if (st->sub.on)
				rd_sub_emit(st, em, cq);
			else
				rd_emit_alone(em, cq, false, false);
			continue;
		}
		cl = rd_classify(st, r, c);
		if (cl == RD_CL_PUSH) {
			int k = rd_conf_kind(adi_j_get_str(r->fields, "h", NULL));

			if (k)
				rd_track(st, k, r);
			rd_emit_alone(em, rq, false, true);
			continue;
		}
		if (cl == RD_CL_CONF) {
			r = adi_msgq_pop(rq);
			rd_sub_add(st, c, r);
			adi_msg_free(r);
			if (rd_sub_done(st))
				rd_sub_emit(st, em, cq);
			continue;
		}
		if (!c) {
			if (!final && cs->started)
				return; /* its command may be arriving */
			if (st->rep_desync) {
				adi_msg_free(adi_msgq_pop(rq)); /* a fragment */
				continue;
			}
			rd_emit_alone(em, rq, true, false);
			continue;
		}
		if (st->sub.on) {
			/* something else ends the confirmations: the command
			 * had what it had; r is the next command's */
			rd_sub_emit(st, em, cq);
			continue;
		}
		if (rd_field_int(r, "lost") > 0 && rd_field_int(c, "lost") > 0) {
			rd_dec_lost(r); /* the lost ones were partners */
			rd_dec_lost(c);
			continue;
		}
		if (rd_field_int(r, "lost") > 0) {
			rd_dec_lost(r);
			rd_emit_alone(em, cq, true, false); /* its reply was lost */
			continue;
		}
		if (rd_field_int(c, "lost") > 0) {
			rd_dec_lost(c);
			rd_emit_alone(em, rq, true, false); /* its command was lost */
			continue;
		}
		/* a reply cannot begin before its command was sent */
		if (r->ts_first < c->ts_last) {
			if (st->rep_desync)
				adi_msg_free(adi_msgq_pop(rq)); /* a fragment */
			else
				rd_emit_alone(em, rq, true, false);
			continue;
		}
		/* a whole reply paired with its command: back in step (the
		 * reply cut by the hole itself does not count) */
		if (!r->incomplete && !adi_j_as_bool(adi_j_get(r->fields, "incomplete"), false) &&
		    !rs->gapped)
			st->rep_desync = false;
		c = adi_msgq_pop(cq);
		r = adi_msgq_pop(rq);
		rd_rep_of(&rep, r);
		rd_after(st, c, &rep, em);
		rd_emit(em, c, &rep, false, false);
		adi_msg_free(c);
		adi_msg_free(r);
	}
}

static void redis_fini(void *vst)
{
	struct redis_state *st = vst;

	rd_rep_free(&st->sub.rep);
	for (int i = 0; i < 2; i++) {
		struct rd_side *sd = &st->side[i];

		rd_msg_reset(sd);
		free(sd->keep);
		free(sd->args);
		free(sd->abuf);
		sd->keep = sd->abuf = NULL;
		sd->args = NULL;
	}
}

const struct adi_proto adi_proto_redis = {
	.name = "redis",
	.state_size = sizeof(struct redis_state),
	.start = redis_start,
	.sniff = redis_sniff,
	.parse = redis_parse,
	.gap = redis_gap,
	.resync = redis_resync,
	.stitch = redis_stitch,
	.fini = redis_fini,
};
