/* memcached.c - the memcached decoder as the engine sees it: the
 * adi_proto_memcached table and the callbacks that decide per direction:
 * parse() (text.c or binary.c, chosen by the first byte of the
 * connection), gap(), resync(), sniff() and its thresholds, start(),
 * fini(); and what both framings share: data consumed as it comes (its
 * first bytes kept), a message handed to the engine. Pairing is stitch.c's.
 * Owns struct memcached_state as a whole. docs/memcached.md.
 */
#include <stdlib.h>
#include <string.h>

#include "mc.h"
#include "../../lib/cursor.h"
#include "../../lib/util.h"

/* ---- data and messages ---- */

void mc_data_begin(struct mc_side *sd, uint8_t dfor, uint64_t len, size_t lim)
{
	sd->phase = MC_DATA;
	sd->dfor = dfor;
	sd->dlen = sd->remaining = len;
	sd->keep_len = 0;
	sd->keep_lim = len < lim ? (size_t)len : lim;
}

bool mc_data_take(struct mc_side *sd, const uint8_t *b, size_t n, size_t *pos)
{
	size_t k = n - *pos < sd->remaining ? n - *pos : (size_t)sd->remaining;
	size_t room = sd->keep_lim - sd->keep_len, kk = k < room ? k : room;

	if (!adi_bytes_append(&sd->keep, &sd->keep_len, &sd->keep_cap, b + *pos, kk))
		sd->keep_lim = sd->keep_len; /* out of memory: keep what fits */
	*pos += k;
	sd->remaining -= k;
	return sd->remaining == 0;
}

void mc_data_done(struct mc_side *sd)
{
	struct adi_jw *w = &sd->w;
	const uint8_t *p = sd->keep_len ? sd->keep : (const uint8_t *)"";

	if (sd->dfor != MC_D_SKIP && sd->dfor != MC_D_COUNTER && sd->dlen > sd->keep_len)
		sd->truncated = true;
	switch (sd->dfor) {
	case MC_D_STORE:
		adi_jw_ku64(w, "value_bytes", sd->dlen);
		if (sd->redact)
			adi_jw_kstr(w, "value", "<redacted>");
		else
			adi_jw_kbytes(w, "value", p, sd->keep_len);
		break;
	case MC_D_ITEM:
		adi_jw_kbytes(w, "value", p, sd->keep_len);
		adi_jw_obj_end(w);
		if (sd->block == MC_B_ONE) {
			adi_jw_arr_end(w);
			sd->block = MC_B_NONE;
		}
		break;
	case MC_D_ERROR:
		adi_jw_kbytes(w, "error", p, sd->keep_len);
		break;
	case MC_D_RESULT:
		adi_jw_kbytes(w, "result", p, sd->keep_len);
		break;
	case MC_D_COUNTER:
		if (sd->keep_len == 8)
			adi_jw_ku64(w, "result", adi_ld_be64(sd->keep));
		break;
	}
	sd->dfor = MC_D_SKIP;
	sd->redact = false;
}

void mc_reset(struct mc_side *sd)
{
	sd->phase = MC_LINE;
	sd->dfor = MC_D_SKIP;
	sd->block = MC_B_NONE;
	sd->started = sd->truncated = sd->redact = false;
	sd->kind = 0;
	sd->key = 0;
	sd->items = 0;
	sd->remaining = sd->dlen = 0;
	sd->keep_len = sd->keep_lim = 0;
	adi_jw_reset(&sd->w);
}

void mc_frame(struct mc_side *sd, struct adi_msg *out)
{
	uint32_t lost = sd->lost < MC_LOST_MAX ? sd->lost : MC_LOST_MAX;

	out->kind = sd->kind | (sd->truncated ? MC_F_TRUNC : 0) | (int)(lost << MC_LOST_SHIFT);
	out->key = sd->key;
	if (adi_jw_copy(&out->f, &sd->w))
		out->kind |= MC_F_TRUNC; /* no memory: the event says less */
	sd->lost = 0;
	mc_reset(sd);
}

/* The message in progress, ended where it is (a gap, the end of the
 * stream): what was kept written, containers closed. */
static void mc_cut(struct mc_side *sd, struct adi_msg *out)
{
	if (sd->phase != MC_LINE) {
		sd->truncated = true;
		mc_data_done(sd);
		sd->phase = MC_LINE;
	}
	if (sd->block == MC_B_VALUES || sd->block == MC_B_ONE)
		adi_jw_arr_end(&sd->w);
	else if (sd->block == MC_B_STATS || sd->block == MC_B_BINSTAT)
		adi_jw_obj_end(&sd->w);
	sd->block = MC_B_NONE;
	sd->truncated = true;
	mc_frame(sd, out);
	out->incomplete = true;
}

/* ---- the adi_proto callbacks ---- */

static void memcached_start(void *vst, const struct adi_sniff_ctx *c)
{
	struct memcached_state *st = vst;

	st->cmd_dir = c->server_side ? ADI_DIR_IN : ADI_DIR_OUT;
	st->binary = -1;
}

/* How plausible a message start of the direction at b[0..n) is (2 yes,
 * 1 a prefix of one, 0 no): resync()'s rule. */
static int mc_plausible(const struct memcached_state *st, bool cmd, const uint8_t *b, size_t n)
{
	if (st->binary > 0)
		return mc_bin_start(b, n, cmd);
	return cmd ? mc_text_cmd_start(b, n) : mc_text_reply_start(b, n);
}

/* parse() says BAD at b: the engine drops b[0], then resyncs, which must
 * know whether the byte after it starts a line. */
static enum adi_parse mc_bad(struct mc_side *sd, const uint8_t *b)
{
	sd->mid_line = b[0] != '\n';
	return ADI_PARSE_BAD;
}

/* parse(): see proto.h. The first byte of the connection (either
 * direction) picks the framing: 0x80 / 0x81 binary, else text. Lines and
 * binary headers with their extras and key are taken whole (AGAIN with
 * *used 0 until they are in); data is consumed as it comes; a reply's
 * VALUE items and STAT lines each when complete, so nothing is held but
 * one line. */
static enum adi_parse memcached_parse(void *vst, const struct adi_proto_cfg *cfg,
				      enum adi_dir dir, const uint8_t *b, size_t n,
				      size_t *used, struct adi_msg *out)
{
	struct memcached_state *st = vst;
	struct mc_side *sd = mc_side_of(st, dir);
	bool cmd = dir == mc_cmd_dir(st);
	enum adi_parse r;

	*used = 0;
	if (!b) {
		if (!sd->started)
			return ADI_PARSE_AGAIN;
		mc_cut(sd, out);
		return ADI_PARSE_FRAME;
	}
	if (!n)
		return ADI_PARSE_AGAIN;
	if (st->binary < 0)
		st->binary = (b[0] & 0xfe) == 0x80;
	if (sd->strict && !sd->started) {
		/* the first message after a resync is judged by resync()'s
		 * rule, so the outcome does not depend on how bytes arrive */
		int s = mc_plausible(st, cmd, b, n);

		if (s != 2)
			return s ? ADI_PARSE_AGAIN : mc_bad(sd, b);
		sd->strict = false;
	}
	if (st->binary)
		r = mc_bin_parse(sd, cfg, cmd, b, n, used, out);
	else if (cmd)
		r = mc_text_cmd(sd, cfg, b, n, used, out);
	else
		r = mc_text_reply(sd, cfg, b, n, used, out);
	return r == ADI_PARSE_BAD ? mc_bad(sd, b) : r;
}

/* gap(): inside data of known length the lost bytes are absorbed (what
 * came before them is kept, nothing after; the message is marked
 * incomplete by the engine). Anywhere else: false, the engine resyncs. */
static bool memcached_gap(void *vst, enum adi_dir dir, uint64_t n)
{
	struct memcached_state *st = vst;
	struct mc_side *sd = mc_side_of(st, dir);

	if (sd->phase != MC_DATA || n > sd->remaining) {
		sd->mid_line = true; /* whatever follows the hole is no known line start */
		return false;
	}
	sd->remaining -= n;
	sd->keep_lim = sd->keep_len;
	sd->truncated = true;
	if (!sd->remaining && !st->binary)
		sd->phase = MC_DATA_END;
	return true;
}

/* resync(): the first offset of b where a message of the direction
 * plausibly starts: a binary header (mc_bin_start), or a line start (at
 * b's start or after a LF) with a known command word and sane arguments
 * (mc_text_cmd_start) or a reply keyword (mc_text_reply_start); complete
 * or cut by the end of b. n when none. A message in progress is dropped
 * and counted as lost, so stitch keeps the pairing order around it. */
static size_t memcached_resync(void *vst, enum adi_dir dir, const uint8_t *b, size_t n)
{
	struct memcached_state *st = vst;
	struct mc_side *sd = mc_side_of(st, dir);
	bool cmd = dir == mc_cmd_dir(st);

	if (sd->started)
		sd->lost++;
	mc_reset(sd);
	sd->strict = true;
	for (size_t i = 0; i < n; i++) {
		if (st->binary <= 0 && (i ? b[i - 1] != '\n' : sd->mid_line))
			continue;
		if (mc_plausible(st, cmd, b + i, n - i)) {
			sd->mid_line = false;
			return i;
		}
	}
	if (n)
		sd->mid_line = b[n - 1] != '\n';
	return n;
}

/* sniff(): thresholds (the claim is ADI_SNIFF_CLAIM, 60).
 *  - binary: a whole plausible header (magic 0x80 from the client / 0x81
 *    from the server, a known opcode, data type 0, extras that fit the
 *    opcode, lengths that agree): 85 for a request, 75 for a response.
 *    No other decoded protocol starts with 0x80 / 0x81 (SSLv2's hello
 *    does, with a length byte that is no opcode).
 *  - text command: a lower-case command word of memcached's and sane
 *    arguments up to the line end: 85 for a storage command (its numbers
 *    checked), 70 for a key command (get, delete, incr, mg...), 50 for
 *    the others (stats, version, quit...: any text protocol could say
 *    them). Redis' inline commands that sniff() believes are upper case.
 *  - text reply: a reply keyword (STORED, VALUE, END, STAT, VERSION...)
 *    or incr's number and a line end: 45.
 *  - +5 when the direction agrees with the role (commands from the
 *    client); +15 when the server port is 11211: a reply or an admin
 *    command claims a connection only with both.
 *  - -1: fewer than 64 bytes that are still a prefix of one of these.
 *  - 0 otherwise. */
static int memcached_sniff(const uint8_t *b, size_t n, const struct adi_sniff_ctx *c)
{
	enum adi_dir cmd_dir = c->server_side ? ADI_DIR_IN : ADI_DIR_OUT;
	uint16_t port = c->server_side ? c->local_port : c->remote_port;
	int hint = port == 11211 ? 15 : 0, s;
	bool from_client = c->dir == cmd_dir;

	if (!n)
		return -1;
	if (b[0] == 0x80 || b[0] == 0x81) {
		bool req = b[0] == 0x80;

		s = mc_bin_start(b, n, req);
		if (s == 1)
			return n < 64 ? -1 : 0;
		if (!s)
			return 0;
		s = (req ? 85 : 75) + (from_client == req ? 5 : 0) + hint;
		return s < 100 ? s : 100;
	}
	if (b[0] >= 'a' && b[0] <= 'z') {
		size_t w = 0;

		s = mc_text_cmd_start(b, n);
		if (s == 1)
			return n < 64 ? -1 : 0;
		if (!s)
			return 0;
		while (w < n && b[w] != ' ' && b[w] != '\r' && b[w] != '\n')
			w++;
		if ((w == 3 && (!memcmp(b, "set", 3) || !memcmp(b, "add", 3) || !memcmp(b, "cas", 3))) ||
		    (w == 7 && (!memcmp(b, "replace", 7) || !memcmp(b, "prepend", 7))) ||
		    (w == 6 && !memcmp(b, "append", 6)) || (w == 2 && !memcmp(b, "ms", 2)))
			s = 85;
		else if (w < n && b[w] == ' ')
			s = 70; /* a key follows (mc_text_cmd_start checked it) */
		else
			s = 50;
		if ((w == 5 && !memcmp(b, "stats", 5)) || (w == 9 && !memcmp(b, "flush_all", 9)) ||
		    (w == 9 && !memcmp(b, "verbosity", 9)))
			s = 50;
		s += (from_client ? 5 : 0) + hint;
		return s < 100 ? s : 100;
	}
	s = mc_text_reply_start(b, n);
	if (s == 1)
		return n < 64 ? -1 : 0;
	if (!s)
		return 0;
	return 45 + (from_client ? 0 : 5) + hint;
}

static void memcached_fini(void *vst)
{
	struct memcached_state *st = vst;

	for (int i = 0; i < 2; i++) {
		free(st->side[i].keep);
		st->side[i].keep = NULL;
		adi_jw_fini(&st->side[i].w);
	}
}

const struct adi_proto adi_proto_memcached = {
	.name = "memcached",
	.state_size = sizeof(struct memcached_state),
	.start = memcached_start,
	.sniff = memcached_sniff,
	.parse = memcached_parse,
	.gap = memcached_gap,
	.resync = memcached_resync,
	.stitch = memcached_stitch,     /* stitch.c */
	.fini = memcached_fini,
};
