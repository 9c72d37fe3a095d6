/* frame.c - MySQL packet framing for both directions of a connection:
 * parse() (a packet header is held until whole, its payload consumed as it
 * comes by the packet's handler: kept up to a cap, walked value by value,
 * or counted), gap(), resync(), sniff() and start(). What a packet is and
 * what it does is asked of command.c (client) and response.c / handshake.c
 * (server). Does not own the bytes: they are borrowed per call.
 */
#include <string.h>

#include "mysql_priv.h"

/* Packet (PAGE_PROTOCOL "MySQL Packets"):
 *   +----------------+-------------+---------------------------+
 *   | payload_length | sequence_id | payload                   |
 *   |   int<3> LE    |   int<1>    | payload_length bytes      |
 *   +----------------+-------------+---------------------------+
 * A payload of 0xffffff bytes continues in the next packet (sequence id
 * + 1), until one shorter (maybe empty): that is one logical payload.
 * A command starts at sequence id 0; each packet of the exchange, whichever
 * side sends it, takes the next id.
 */

/* Are bytes of direction dir the client's? */
static bool my_is_client(const struct mysql_state *st, enum adi_dir dir)
{
	return st->server_side ? dir == ADI_DIR_IN : dir != ADI_DIR_IN;
}

/* A cursor over the payload bytes a packet kept (H_COPY). An empty
 * packet is read from a byte of its own: the cursor never holds NULL. */
struct adi_cur my_pk_cur(const struct my_side *sd)
{
	static const uint8_t none[1];

	return adi_cur_make(sd->pkb ? sd->pkb : none, sd->pk_len);
}

/* The first payload byte of the packet (0 when it is empty). */
uint8_t my_pk_first(const struct my_side *sd)
{
	return sd->pk_len ? sd->pkb[0] : 0;
}

/* A new message starts on the side: no fields written yet. */
void my_side_msg(struct my_side *sd)
{
	adi_jw_reset(&sd->mw);
	sd->msg = true;
	sd->incomplete = sd->cut = false;
}

/* H_COPY: keep what fits in pk_cap of the rest of in (all consumed).
 * last: in ends the payload. When it also holds all of what is kept (the
 * usual packet, whole in one read), the bytes are read where they are
 * rather than copied. */
static void my_keep(struct my_side *sd, struct adi_cur *in, bool last)
{
	size_t k = adi_cur_left(in);

	if (last && !sd->pk_len && !sd->pk_cut && k <= sd->pk_cap) {
		sd->pkb = adi_cur_ptr(in);
		sd->pk_len = k;
	} else {
		if (my_keep_capped(&sd->pk, &sd->pk_len, &sd->pk_alloc, sd->pk_cap,
				   adi_cur_ptr(in), k))
			sd->pk_cut = true;
		sd->pkb = sd->pk;
	}
	adi_cur_skip(in, k);
}

/* Payload bytes of the packet in progress go to its handler (last: they
 * end its payload). */
static void my_feed(struct mysql_state *st, struct my_side *sd,
		    const struct adi_proto_cfg *cfg, struct adi_cur *in, bool last)
{
	switch (sd->h) {
	case H_COPY:
		my_keep(sd, in, last);
		break;
	case H_WALK:
		my_walk_feed(st, cfg, &sd->w, in);
		if (adi_cur_left(in) && sd->w.mode == W_QATTR)
			my_keep(sd, in, last); /* the statement text */
		break;
	case H_SKIP:
		break;
	}
}

/* Forget the packet and message in progress of a side. */
void my_side_reset(struct my_side *sd)
{
	sd->in_pkt = sd->more = sd->damaged = false;
	sd->left = 0;
	sd->hdr_len = 0;
	sd->pk_len = 0;
	sd->pkb = NULL;
	sd->pk_cut = false;
	adi_jw_reset(&sd->mw);
	sd->msg = false;
	sd->incomplete = sd->cut = false;
	my_walk_begin(&sd->w, W_TEXT_ROW, 0, false);
}

/* The direction ended inside a message: hand over what there is. */
static enum adi_parse my_cut_short(struct mysql_state *st, struct my_side *sd, bool cli,
				   const struct adi_proto_cfg *cfg, struct adi_msg *out)
{
	enum adi_parse r = ADI_PARSE_AGAIN;

	if (!sd->msg)
		return r;
	if (sd->held) {
		/* bytes were held when the direction ended, or dropped by a
		 * gap the decoder was not told of: the message cannot be
		 * placed in time; it is lost */
		my_side_reset(sd);
		return r;
	}
	sd->incomplete = true;
	if (cli) {
		if (sd->in_pkt && sd->what == P_CMD)
			r = my_cmd_end(st, sd, cfg, out);
	} else if (st->rph == R_AUTH) {
		r = my_auth_done(st, sd, out, NULL, true);
	} else if (st->rph != R_IDLE || sd->in_pkt) {
		if (st->cols_are != MY_COLS_NONE)
			my_rows(st, &sd->mw); /* the rows read so far */
		r = my_resp_frame(st, sd, out, false);
	}
	my_side_reset(sd);
	return r == ADI_PARSE_FRAME ? r : ADI_PARSE_AGAIN;
}

static void my_lose(struct mysql_state *st, struct my_side *sd, bool cli);

/* A packet whose kind my_cli_start / my_srv_start just accepted begins:
 * its header is read from in, its framing starts afresh. */
static void my_pkt_begin(struct mysql_state *st, struct my_side *sd, struct adi_cur *in)
{
	adi_cur_le24(in, &sd->left);
	adi_cur_u8(in, &sd->seq);
	sd->in_pkt = true;
	sd->more = sd->left == 0xffffff;
	sd->plen = 0;
	sd->damaged = false;
	sd->pk_len = 0;
	sd->pkb = NULL;
	sd->pk_cut = false;
	sd->hdr_len = 0;
	sd->strict = false;
	sd->nomsg = sd->what == P_LOGIN || sd->what == P_CSKIP || sd->what == P_SSKIP ||
		    (sd->what == P_CMD && st->ccmd == COM_STMT_SEND_LONG_DATA);
}

/* parse(): packets are framed here for both directions: a packet's header
 * (and the first payload bytes a decision needs, at most MY_PEEK + 5
 * bytes) is held until whole, its payload is then consumed as it comes,
 * by the packet's handler (kept up to a cap, walked, or skipped), so no
 * packet is ever held whole. A message ends at the packet that completes
 * it (FRAME); the packets of the connection phase that make no message,
 * SEND_LONG_DATA and the client's data packets inside an exchange (auth
 * data, LOCAL INFILE contents) are SKIPped. */
enum adi_parse mysql_parse(void *vst, const struct adi_proto_cfg *cfg,
			   enum adi_dir dir, const uint8_t *b, size_t n,
			   size_t *used, struct adi_msg *out)
{
	struct mysql_state *st = vst;
	bool cli = my_is_client(st, dir);
	struct my_side *sd = &st->side[cli ? 0 : 1];
	struct adi_cur in;
	enum adi_parse r;

	*used = 0;
	sd->resyncing = false;
	if (b)
		sd->held = false;
	if (!b)
		return my_cut_short(st, sd, cli, cfg, out);
	in = adi_cur_make(b, n);
	for (;;) {
		if (!sd->in_pkt) {
			enum my_ps ps;

			if (adi_cur_left(&in) < 4)
				break;
			ps = cli ? my_cli_start(st, sd, cfg, adi_cur_ptr(&in), adi_cur_left(&in)) :
				   my_srv_start(st, sd, cfg, adi_cur_ptr(&in), adi_cur_left(&in));
			if (ps == PS_PARTIAL)
				break;
			if (ps == PS_DONE || ps == PS_BAD) {
				if (in.pos)
					break;
				if (ps == PS_DONE)
					return ADI_PARSE_DONE;
				my_lose(st, sd, cli);
				return ADI_PARSE_BAD;
			}
			my_pkt_begin(st, sd, &in);
			continue;
		}
		if (sd->left) {
			struct adi_cur chunk;
			size_t k = my_min(adi_cur_left(&in), sd->left);

			if (!k)
				break;
			adi_cur_sub(&in, k, &chunk);
			my_feed(st, sd, cfg, &chunk, k == sd->left && !sd->more);
			sd->left -= (uint32_t)k;
			sd->plen += k;
			continue;
		}
		if (sd->more) {
			/* the header of the packet that continues the payload */
			while (sd->hdr_len < 4 && adi_cur_left(&in))
				adi_cur_u8(&in, &sd->hdr[sd->hdr_len++]);
			if (sd->hdr_len < 4)
				break;
			sd->hdr_len = 0;
			sd->left = adi_ld_le24(sd->hdr);
			sd->more = sd->left == 0xffffff;
			sd->seq = sd->hdr[3];
			continue;
		}
		sd->in_pkt = false;
		r = cli ? my_cli_end(st, sd, cfg, out) : my_srv_end(st, sd, cfg, out);
		if (r == ADI_PARSE_AGAIN || (r == ADI_PARSE_SKIP && !in.pos)) {
			/* a SKIP of nothing: the packet was completed by a gap */
			if (sd->damaged)
				sd->incomplete = true;
			continue;
		}
		*used = in.pos;
		return r;
	}
	*used = in.pos;
	sd->held = adi_cur_left(&in) > 0;
	/* the bytes of a packet that makes no message are not the start of
	 * the next message: SKIP them as they come */
	return in.pos && sd->in_pkt && sd->nomsg ? ADI_PARSE_SKIP : ADI_PARSE_AGAIN;
}

/* gap(): bytes lost inside a packet's payload of known length are
 * absorbed: the packet is consumed as it was (its length frames the next
 * one), what it kept stops at the hole (a value being walked, the rest of
 * a row or parameter block, is given up) and the message is marked
 * incomplete. A gap reaching past the packet, inside a header or between
 * packets: false (resync). After TLS / compression: nothing is parsed. */
bool mysql_gap(void *vst, enum adi_dir dir, uint64_t n)
{
	struct mysql_state *st = vst;
	struct my_side *sd = &st->side[my_is_client(st, dir) ? 0 : 1];

	if (my_stopped(st))
		return true;
	if (sd->in_pkt && sd->left && n <= sd->left) {
		sd->left -= (uint32_t)n;
		sd->plen += n;
		sd->damaged = true;
		if (sd->h == H_WALK && sd->w.step != WS_DONE)
			sd->w.step = WS_DEAD;
		sd->pk_cap = sd->pk_len;
		sd->pk_cut = true;
		return true;
	}
	my_lose(st, sd, my_is_client(st, dir));
	return false;
}

/* The bytes of a direction cannot be followed any more (BAD, a gap that
 * is not absorbed): the packet and message in progress are dropped at
 * once (not handed over at the end of the direction), and when a response
 * had started, the place of every command awaiting a reply (see resync). */
static void my_lose(struct mysql_state *st, struct my_side *sd, bool cli)
{
	bool started = sd->in_pkt || sd->msg || st->rph != R_IDLE;

	sd->resyncing = true;
	my_side_reset(sd);
	if (cli || !started)
		return;
	if (st->next_key > st->lost_upto)
		st->lost_upto = st->next_key;
	while (st->fifo_len)
		my_fifo_pop(st);
	st->rph = R_IDLE;
	st->maybe_eof = false;
	st->sampling = false;
}

/* resync(): client direction: the first offset where my_cmd_plausible()
 * holds (or may hold: cut short by the end of b). Server direction: when a
 * response had started, it is dropped, and so is the place of every
 * command still awaiting a reply (they become events without reply:
 * MySQL has no ids to pair by, so a reply is only believed for a command
 * sent after the loss); then the first offset where my_resp_plausible()
 * holds for the oldest command awaiting a reply, n while there is none.
 * Either way the direction is strict until a packet is accepted. */
size_t mysql_resync(void *vst, enum adi_dir dir, const uint8_t *b, size_t n)
{
	struct mysql_state *st = vst;
	bool cli = my_is_client(st, dir);
	struct my_side *sd = &st->side[cli ? 0 : 1];

	if (my_stopped(st))
		return 0; /* parse() says DONE */
	if (!sd->resyncing)
		my_lose(st, sd, cli);
	sd->strict = true;
	for (size_t i = 0; i < n; i++) {
		struct my_pend *pe = my_fifo_head(st);

		if (cli ? my_cmd_plausible(b + i, n - i) != PS_BAD :
		    pe && my_resp_plausible(pe->cmd, b + i, n - i) != PS_BAD)
			return i;
		if (!cli && !pe)
			return n;
	}
	return n;
}

/* sniff(): thresholds (claim at ADI_SNIFF_CLAIM, 60).
 *  - 95: bytes from the server that are a Handshake v10
 *    (my_greeting_plausible: 3-byte length 20..1024, sequence id 0,
 *    protocol 10, a printable version string starting with a digit and
 *    ending in NUL within 64 bytes).
 *  - a client command (my_cmd_plausible: sequence id 0, a known command
 *    byte, its length rules, text where text is expected) in bytes from
 *    the client: 75 COM_QUERY / COM_STMT_PREPARE (the first 16 bytes of
 *    text checked), 70 COM_STMT_EXECUTE (iteration count 1), 65 INIT_DB /
 *    FIELD_LIST, 40 any other (fixed-size commands such as COM_PING are 5
 *    bytes that other binary protocols could send).
 *  - +20 when either port is 3306 (capped at 95): a hint that lets a lone
 *    COM_PING claim (60), never decisive for bytes that fit nothing.
 *  - -1: fewer bytes than the check needs that may still become one.
 *  - 0 otherwise, and for bytes in the wrong direction (a greeting sent by
 *    the client, a command by the server).
 * Other protocols: HTTP ("GET " = length 0x544547, sequence id ' '),
 * Redis ("*2\r\n": sequence id '\n'), HTTP/2 ("PRI "), TLS (16 03 01 xx:
 * sequence id 01... or a length whose payload is not text), PostgreSQL's
 * StartupMessage / SSLRequest (int32 length < 2^24: first 3 bytes 00 00 00
 * = length 0) and its typed messages (a letter, then 00 00 00: a command
 * byte 00 or a length byte; NUL bytes fail the text check) all fail. */
int mysql_sniff(const uint8_t *b, size_t n, const struct adi_sniff_ctx *c)
{
	bool from_server = (c->dir == ADI_DIR_IN) != (c->server_side != 0);
	int bonus = c->local_port == 3306 || c->remote_port == 3306 ? 20 : 0;
	int score;
	enum my_ps r;

	if (from_server) {
		r = my_greeting_plausible(b, n);
		return r == PS_OK ? 95 : r == PS_PARTIAL ? -1 : 0;
	}
	r = my_cmd_plausible(b, n);
	if (r != PS_OK)
		return r == PS_PARTIAL ? -1 : 0;
	switch (b[4]) {
	case COM_QUERY:
	case COM_STMT_PREPARE:
		score = 75;
		break;
	case COM_STMT_EXECUTE:
		score = 70;
		break;
	case COM_INIT_DB:
	case COM_FIELD_LIST:
		score = 65;
		break;
	default:
		score = 40;
		break;
	}
	score += bonus;
	return score > 95 ? 95 : score;
}

/* start(): which direction is the client's comes from the context. */
void mysql_start(void *vst, const struct adi_sniff_ctx *c)
{
	struct mysql_state *st = vst;

	st->server_side = c->server_side != 0;
	/* the server's first bytes are believed only as a greeting or the
	 * start of a reply to a command seen (a capture may begin inside a
	 * packet) */
	st->side[1].strict = true;
}
