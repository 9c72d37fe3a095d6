/* redis.c - the Redis decoder (RESP2, RESP3 and inline commands) as the
 * engine sees it: the adi_proto_redis table and the callbacks that decide
 * per direction: parse() (commands, command.c; replies, resp.c), gap(),
 * resync(), sniff() and its thresholds, start(), fini(). Pairing is
 * stitch.c's. Owns struct redis_state as a whole: fini() frees what each
 * part allocated in it. Protocol: RESP, https://redis.io/docs/latest/
 * develop/reference/protocol-spec/ (RESP2 and RESP3); docs/redis.md.
 */
#include <stdlib.h>
#include <string.h>

#include "rd.h"

/* ---- the adi_proto callbacks ---- */

static void redis_start(void *vst, const struct adi_sniff_ctx *c)
{
	struct redis_state *st = vst;

	/* a traced server reads commands; a client writes them */
	st->cmd_dir = c->server_side ? ADI_DIR_IN : ADI_DIR_OUT;
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
	int64_t argc;
	enum rd_sl s;

	*used = 0;
	if (sd->gapped || (!b && sd->started)) {
		/* a gap ended the message in progress, or the end of the
		 * direction does: it ends cut */
		if (cmd)
			rd_cmd_finish(sd, cfg, out, true);
		else
			rd_reply_finish(sd, cfg, out, true);
		return ADI_PARSE_FRAME;
	}
	if (!b)
		return ADI_PARSE_AGAIN;
	if (!sd->started && sd->strict) {
		/* the first message after a gap starts as resync() would
		 * accept, so the outcome does not depend on the cuts */
		s = cmd ? rd_plausible_cmd(b, n, &argc) : rd_plausible_reply(b, n);
		if (s != RD_SL_OK)
			return s == RD_SL_PARTIAL ? ADI_PARSE_AGAIN : ADI_PARSE_BAD;
		sd->strict = false;
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

/* fini(): the pairing state, both directions' message in progress and
 * buffers. */
static void redis_fini(void *vst)
{
	struct redis_state *st = vst;

	rd_stitch_fini(st);
	for (int i = 0; i < 2; i++) {
		struct rd_side *sd = &st->side[i];

		rd_msg_reset(sd);
		free(sd->keep);
		free(sd->args);
		free(sd->abuf);
		free(sd->mk);
		adi_jw_fini(&sd->vw);
		adi_jw_fini(&sd->aw);
		sd->keep = sd->abuf = NULL;
		sd->args = NULL;
		sd->mk = NULL;
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
	.stitch = redis_stitch,         /* stitch.c */
	.fini = redis_fini,
};
