/* frame.c - the framing of the PostgreSQL decoder: which message types each
 * direction sends and how long they may be, the untyped startup phase and
 * the SSL / GSS encryption answers, and the per-direction state machine
 * behind parse(), gap() and resync(): a header taken, a body consumed as it
 * comes. Does not own what a body means (body.c) nor how a message start is
 * recognised after a loss (sniff.c).
 */
#include "pg.h"

/* Length bounds of each message type, by direction ([1] the frontend's)
 * and type byte; max 0: the direction sends no such type. */
struct pg_type {
	uint32_t min, max;
};

static const struct pg_type pg_types[2][128] = {
	[1] = {
		['B'] = { 12, PG_LARGE }, ['C'] = { 6, PG_SMALL }, ['D'] = { 6, PG_SMALL },
		['E'] = { 9, PG_SMALL },  ['F'] = { 14, PG_LARGE }, ['H'] = { 4, 4 },
		['P'] = { 8, PG_LARGE },  ['Q'] = { 5, PG_LARGE }, ['S'] = { 4, 4 },
		['X'] = { 4, 4 },         ['c'] = { 4, 4 },        ['d'] = { 4, PG_LARGE },
		['f'] = { 5, PG_SMALL },  ['p'] = { 4, 65535 + 4 },
	},
	[0] = {
		['1'] = { 4, 4 },  ['2'] = { 4, 4 },  ['3'] = { 4, 4 },
		['A'] = { 10, PG_LARGE }, ['C'] = { 5, PG_BE_SMALL }, ['D'] = { 6, PG_LARGE },
		['E'] = { 5, PG_LARGE }, ['G'] = { 7, PG_BE_SMALL }, ['H'] = { 7, PG_BE_SMALL },
		['I'] = { 4, 4 }, ['K'] = { 12, 264 }, ['N'] = { 5, PG_LARGE },
		['R'] = { 8, PG_BE_SMALL }, ['S'] = { 6, PG_BE_SMALL }, ['T'] = { 6, PG_LARGE },
		['V'] = { 8, PG_LARGE }, ['W'] = { 7, PG_BE_SMALL }, ['Z'] = { 5, 5 },
		['c'] = { 4, 4 }, ['d'] = { 4, PG_LARGE }, ['n'] = { 4, 4 }, ['s'] = { 4, 4 },
		['t'] = { 6, 4 + 2 + 4 * 65535 }, ['v'] = { 12, PG_BE_SMALL },
	},
};

static bool pg_is_fe(const struct pg_state *st, enum adi_dir dir)
{
	return (dir == ADI_DIR_IN) == st->fe_in;
}

static struct pg_side *pg_side_of(struct pg_state *st, enum adi_dir dir)
{
	return &st->side[dir == ADI_DIR_IN ? 1 : 0];
}

static const struct pg_type *pg_type_of(bool fe, uint8_t t)
{
	const struct pg_type *ty = t < 128 ? &pg_types[fe][t] : NULL;

	return ty && ty->max ? ty : NULL;
}

bool pg_type_known(bool fe, uint8_t t)
{
	return pg_type_of(fe, t) != NULL;
}

bool pg_hdr_ok(bool fe, uint8_t t, uint32_t len)
{
	const struct pg_type *ty = pg_type_of(fe, t);

	return ty && len >= ty->min && len <= ty->max;
}

bool pg_startup_ok(uint32_t len, uint32_t code)
{
	if (code == PG_CODE_SSL || code == PG_CODE_GSSENC)
		return len == 8;
	if (code == PG_CODE_CANCEL)
		return len == 16;
	return code >> 16 == 3 && (code & 0xffff) <= 2 && len > 8 &&
	       len <= PG_STARTUP_MAX;
}

/* A small message that makes no FRAME (ParameterStatus, a notice, an
 * authentication exchange...) is taken whole, in one call, once all its
 * bytes are there: only FRAMEd messages need to be consumed in pieces.
 * Unsampled DataRows and CopyData are the exception: they stream, so that
 * a gap inside them is absorbed (counted) instead of resynced. */
#define PG_SKIP_WHOLE (16 * 1024)

static bool pg_wait_whole(const struct pg_state *st, const struct pg_side *sd,
			  const struct adi_proto_cfg *cfg, bool fe,
			  const uint8_t *b, size_t n)
{
	struct adi_cur c = adi_cur_make(b, n);
	uint8_t t;
	uint32_t len;

	/* not for what pg_header() treats apart: startup-phase packets, the
	 * answer to SSLRequest / GSSENCRequest, a TLS ClientHello */
	if (n < 5 || (fe && !sd->typed && (!b[0] || (st->neg && b[0] == 0x16))) ||
	    (!fe && st->neg && (b[0] == 'S' || b[0] == 'G' || b[0] == 'N')) ||
	    b[0] == 'd' ||
	    (!fe && b[0] == 'D'))
		return false;
	pg_cur_hdr(&c, &t, &len);
	if (!pg_hdr_ok(fe, t, len) || len > PG_SKIP_WHOLE || n > len)
		return false;
	return !pg_frames_type(fe, t, sd->rows < cfg->rows_sample);
}

/* ---- messages ----
 *
 * Startup phase (frontend only, no type byte):
 *   +-----------+-----------+---------------------------------------+
 *   | Int32 len | Int32 code| StartupMessage: (key\0 value\0)* \0    |
 *   +-----------+-----------+ SSLRequest 80877103, GSSENCRequest     |
 *                             80877104: nothing; CancelRequest       |
 *                             80877102: Int32 pid, key (4 bytes 3.0)  |
 * then every message, both directions:
 *   +--------+-----------+--------------------------+
 *   | Byte1  | Int32 len | body: len - 4 bytes      |   len counts itself
 *   +--------+-----------+--------------------------+
 * SSLRequest / GSSENCRequest are answered by one untyped byte: 'S' / 'G'
 * (encryption follows: not decodable) or 'N' (go on in clear).
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 */

enum pg_hr { PG_H_OK, PG_H_AGAIN, PG_H_BAD, PG_H_DONE, PG_H_SKIP };

/* The header of a startup-phase packet at c (8 bytes). */
static enum pg_hr pg_startup_header(struct pg_side *sd, const struct adi_proto_cfg *cfg,
				    struct adi_cur *c)
{
	uint32_t len, code;

	if (adi_cur_need(c, 8))
		return PG_H_AGAIN;
	adi_cur_be32(c, &len);
	adi_cur_be32(c, &code);
	if (!pg_startup_ok(len, code))
		return PG_H_BAD;
	sd->type = 0;
	sd->code = code;
	sd->left = len - 8;
	pg_setup(sd, cfg, true);
	sd->in_body = true;
	return PG_H_OK;
}

/* Take the header at b[0..n): *pos gets its size. */
static enum pg_hr pg_header(struct pg_state *st, struct pg_side *sd,
			    const struct adi_proto_cfg *cfg, bool fe,
			    const uint8_t *b, size_t n, size_t *pos)
{
	struct adi_cur c = adi_cur_make(b, n);
	enum pg_hr r;
	uint8_t t;
	uint32_t len;

	if (!fe && st->neg) {
		/* the one-byte answer to SSLRequest / GSSENCRequest */
		if (b[0] == 'S' || b[0] == 'G') {
			st->done = true;
			*pos = 1;
			return PG_H_DONE;
		}
		st->neg = 0;
		if (b[0] == 'N') {
			*pos = 1;
			return PG_H_SKIP;
		}
	}
	if (fe && !sd->typed) {
		if (st->neg && b[0] == 0x16) { /* a TLS ClientHello */
			st->done = true;
			return PG_H_DONE;
		}
		if (!b[0]) {
			r = pg_startup_header(sd, cfg, &c);
			*pos = c.pos;
			return r;
		}
		sd->typed = true; /* typed messages: met mid-session */
	}
	if (adi_cur_need(&c, 5))
		return PG_H_AGAIN;
	pg_cur_hdr(&c, &t, &len);
	if (!pg_hdr_ok(fe, t, len))
		return PG_H_BAD;
	sd->type = t;
	sd->code = 0;
	sd->left = len - 4;
	*pos = c.pos;
	pg_setup(sd, cfg, fe);
	sd->in_body = true;
	return PG_H_OK;
}

/* A FRAME: the message's body waits in the side's ring under sd->seq,
 * which the message carries as its key (stitch() finds it by that). */
static enum adi_parse pg_frame(const struct pg_side *sd, struct adi_msg *out, int kind,
			       bool incomplete, size_t pos, size_t *used)
{
	out->kind = kind;
	out->key = sd->seq;
	out->incomplete = incomplete;
	*used = pos;
	return ADI_PARSE_FRAME;
}

/* No message is being read: the header at b[0..n) (the first after a
 * resync must pass pg_probe). ADI_PARSE_FRAME means "go on with the
 * body" (*pos bytes of header taken); anything else is parse()'s answer. */
static enum adi_parse pg_start_msg(struct pg_state *st, struct pg_side *sd,
				   const struct adi_proto_cfg *cfg, bool fe,
				   const uint8_t *b, size_t n, size_t *pos)
{
	if (sd->probe) {
		int r = pg_probe(fe, b, n);

		if (r < 0)
			return ADI_PARSE_AGAIN;
		if (!r)
			return ADI_PARSE_BAD;
		sd->probe = false;
	}
	if (pg_wait_whole(st, sd, cfg, fe, b, n))
		return ADI_PARSE_AGAIN;
	switch (pg_header(st, sd, cfg, fe, b, n, pos)) {
	case PG_H_OK:
		return ADI_PARSE_FRAME;
	case PG_H_AGAIN:
		break;
	case PG_H_BAD:
		return ADI_PARSE_BAD;
	case PG_H_DONE:
		return ADI_PARSE_DONE;
	case PG_H_SKIP:
		return ADI_PARSE_SKIP;
	}
	return ADI_PARSE_AGAIN;
}

/* parse(): see proto.h. One message per call: its header must be in b (5
 * bytes, 8 in the startup phase: AGAIN with *used 0 until then); its body
 * is consumed as it comes (AGAIN with *used > 0), so no message needs more
 * than 8 bytes of lookahead whatever its size. A message a gap completed is
 * FRAMEd with *used 0 on the next call. */
enum adi_parse pg_parse(void *vst, const struct adi_proto_cfg *cfg, enum adi_dir dir,
			const uint8_t *b, size_t n, size_t *used, struct adi_msg *out)
{
	struct pg_state *st = vst;
	struct pg_side *sd = pg_side_of(st, dir);
	bool fe = pg_is_fe(st, dir);
	struct adi_cur c;
	const uint8_t *p;
	size_t pos = 0, k;
	bool incomplete, whole;
	int kind;

	*used = 0;
	if (sd->ready) {
		sd->ready = false;
		return pg_frame(sd, out, sd->ready_kind, sd->ready_incomplete, 0, used);
	}
	if (st->done)
		return ADI_PARSE_DONE;
	if (!b) {
		/* the direction ended inside a message: what was read goes out */
		if (!sd->in_body)
			return ADI_PARSE_AGAIN;
		sd->incomplete = true;
		if (!pg_finish(st, sd, fe, NULL, 0, &kind, &incomplete))
			return ADI_PARSE_AGAIN;
		return pg_frame(sd, out, kind, incomplete, 0, used);
	}
	if (!sd->in_body) {
		enum adi_parse r = pg_start_msg(st, sd, cfg, fe, b, n, &pos);

		if (r != ADI_PARSE_FRAME) {
			if (r == ADI_PARSE_DONE || r == ADI_PARSE_SKIP)
				*used = pos;
			return r;
		}
	}
	c = adi_cur_make(b, n);
	adi_cur_skip(&c, pos);
	k = adi_cur_left(&c) < sd->left ? adi_cur_left(&c) : (size_t)sd->left;
	adi_cur_bytes(&c, k, &p);
	/* a body to keep that is here whole is read in place, not copied */
	whole = sd->how == PGB_KEEP && k == sd->blen;
	if (!whole)
		pg_body(sd, cfg, p, k);
	pos = c.pos;
	sd->left -= k;
	*used = pos;
	if (sd->left)
		return ADI_PARSE_AGAIN;
	if (pg_finish(st, sd, fe, whole ? p : NULL, k, &kind, &incomplete))
		return pg_frame(sd, out, kind, incomplete, pos, used);
	if (pos)
		return ADI_PARSE_SKIP;
	return ADI_PARSE_AGAIN;
}

/* gap(): lost bytes inside a message body of known length are absorbed:
 * the message is marked incomplete; inside a value (Bind parameter,
 * DataRow column) the value is kept cut and the reading goes on, elsewhere
 * the rest of the body is skipped (CopyData and unsampled rows are only
 * counted anyway). A gap between messages, inside a header or past the end
 * of the body loses the framing: false (resync). */
bool pg_gap(void *vst, enum adi_dir dir, uint64_t n)
{
	static const uint8_t none;
	struct pg_state *st = vst;
	struct pg_side *sd = pg_side_of(st, dir);

	if (st->done)
		return true;
	if (!sd->in_body || n > sd->left || sd->ready)
		return false;
	sd->left -= n;
	sd->incomplete = true;
	if (sd->how == PGB_PROG && (sd->step == BS_VDATA || sd->step == DS_VDATA) &&
	    n <= sd->vleft) {
		sd->vleft -= (uint32_t)n;
		sd->vgap = true;
	} else if (sd->how != PGB_COUNT) {
		sd->lost = true;
	}
	if (sd->left)
		return true;
	if (sd->how == PGB_PROG && !sd->lost)
		pg_body(sd, NULL, &none, 0); /* the value ended with the gap */
	sd->ready = pg_finish(st, sd, pg_is_fe(st, dir), NULL, 0, &sd->ready_kind,
			      &sd->ready_incomplete);
	return true;
}

/* resync(): the first offset where a plausible message of the direction
 * starts: a known type byte, a length within the type's bounds (see
 * pg_fe_types / pg_be_types: exact for fixed-size messages, 10000 for
 * small frontend ones, 30000 for the backend's, 1 GiB for DataRow,
 * CopyData, Bind, Query...) and a body that fits (pg_content: text, names,
 * counts, codes) over its first PG_PROBE bytes; a start whose bytes are
 * not all there yet is returned too, and parse() judges it the same way
 * once they are (BAD if it fails: the search goes on after it). n when
 * there is none. Resets the direction: the message in progress is
 * dropped; a frontend is taken to be past its startup phase. */
size_t pg_resync(void *vst, enum adi_dir dir, const uint8_t *b, size_t n)
{
	struct pg_state *st = vst;
	struct pg_side *sd = pg_side_of(st, dir);
	bool fe = pg_is_fe(st, dir);

	if (st->done)
		return 0;
	pg_side_reset(sd);
	if (sd->seen)
		sd->after_loss = true; /* what follows misses what came before */
	if (fe)
		sd->typed = true;
	else
		st->neg = 0;
	sd->probe = true;
	for (struct adi_cur c = adi_cur_make(b, n); adi_cur_left(&c); adi_cur_skip(&c, 1))
		if (pg_probe(fe, adi_cur_ptr(&c), adi_cur_left(&c)))
			return c.pos;
	return n;
}
