/* body.c - message bodies into what a FRAMEd message says (struct
 * pg_body): how each type's body is consumed (kept up to a cap, counted,
 * or read field by field as it streams in: Parse, Bind, a sampled
 * DataRow), and what is taken from it once whole (names, SQL text, raw
 * values, the error object, the columns, copy counters). Owns the kept
 * bytes of a side and its ring of bodies, until stitch() takes them. Does
 * not own the framing (frame.c) nor what the values mean (values.c).
 */
#include <stdlib.h>
#include <string.h>

#include "pg.h"

static uint32_t pg_u32min(uint64_t a, uint64_t b)
{
	return (uint32_t)(a < b ? a : b);
}

/* ---- kept bytes ---- */

/* Room for need bytes in bf (its size doubles, from 256); false when
 * memory is short. */
static bool pg_reserve(struct pg_buf *bf, size_t need)
{
	size_t a = bf->alloc ? bf->alloc : 256;
	uint8_t *nb;

	if (need <= bf->alloc)
		return true;
	while (a < need)
		a *= 2;
	nb = realloc(bf->b, a);
	if (!nb)
		return false;
	bf->b = nb;
	bf->alloc = a;
	return true;
}

/* Append b[0..k) to bf, at most room bytes of it; returns the bytes taken
 * (fewer than k: the rest is cut, or memory was short). */
static size_t pg_append(struct pg_buf *bf, const uint8_t *b, size_t k, size_t room)
{
	size_t take = k < room ? k : room;

	if (!take || !pg_reserve(bf, bf->len + take))
		return 0;
	memcpy(bf->b + bf->len, b, take);
	bf->len += take;
	return take;
}

/* Append b[0..k) to the side's kept bytes, keeping at most cap bytes in
 * all (the rest is counted as cut). */
static void pg_keep(struct pg_side *sd, const uint8_t *b, size_t k, size_t cap)
{
	size_t room = cap > sd->kb.len ? cap - sd->kb.len : 0;

	if (pg_append(&sd->kb, b, k, room) < k)
		sd->cut = true;
}

static void pg_keep_reset(struct pg_side *sd)
{
	sd->kb.len = 0;
	sd->cut = false;
}

/* A buffer grown for one huge message is given back. */
static void pg_buf_trim(struct pg_buf *bf)
{
	if (bf->alloc > 2 * PG_KEEP_DESC) {
		free(bf->b);
		bf->b = NULL;
		bf->alloc = 0;
	}
}

/* The kept bytes as a NUL-terminated name (at most PG_MAX_NAME of them,
 * which is all pg_rd_cstr keeps of a name); the buffer restarts. */
static void pg_take_name(struct pg_side *sd, char *to)
{
	size_t n = sd->kb.len < PG_MAX_NAME ? sd->kb.len : PG_MAX_NAME;

	if (n)
		memcpy(to, sd->kb.b, n);
	to[n] = '\0';
	pg_keep_reset(sd);
}

/* ---- the ring of bodies ---- */

/* Free *p and empty it (most bodies own nothing: no call then). */
#define PG_FREE(p) do { if (p) { free(p); (p) = NULL; } } while (0)

void pg_body_clear(struct pg_body *b)
{
	if (b->sql) {
		pg_text_unref(b->sql);
		b->sql = NULL;
	}
	if (b->cols) {
		pg_cols_unref(b->cols);
		b->cols = NULL;
	}
	PG_FREE(b->oids);
	PG_FREE(b->fmts);
	PG_FREE(b->rfmts);
	PG_FREE(b->vals);
	PG_FREE(b->err);
	PG_FREE(b->user);
	PG_FREE(b->database);
	b->err_len = 0;
	b->rows = b->copy_bytes = b->copy_msgs = 0;
	b->pid = 0;
	b->what = b->tx = 0;
	b->syntax = false;
	b->tag_len = 0;
	b->name[0] = b->stmt[0] = b->tag[0] = '\0';
}

/* The slot after the FRAMEd bodies: the message being read. */
static struct pg_body *pg_cur(struct pg_side *sd)
{
	return &sd->ring[(sd->rhead + sd->rlen) % PG_RING];
}

/* A new message: its slot, emptied. A full ring (stitch() was not called
 * after a FRAME) forgets its oldest body. */
static void pg_body_begin(struct pg_side *sd)
{
	if (sd->rlen == PG_RING) {
		sd->rhead = (sd->rhead + 1) % PG_RING;
		sd->rlen--;
	}
	pg_body_clear(pg_cur(sd));
}

struct pg_body *pg_body_of(struct pg_state *st, const struct adi_msg *m)
{
	struct pg_side *sd = &st->side[m->dir == ADI_DIR_IN ? 1 : 0];

	while (sd->rlen) {
		struct pg_body *b = &sd->ring[sd->rhead];

		if (b->seq > m->key)
			break;
		sd->rhead = (sd->rhead + 1) % PG_RING;
		if (!--sd->rlen && !sd->in_body)
			sd->rhead = 0; /* nothing waits nor is read: the next
					* message takes the slot still in cache */
		if (b->seq == m->key)
			return b;
		/* an older body: its message was dropped by the engine */
	}
	pg_body_clear(&st->none);
	return &st->none;
}

struct pg_list *pg_list_new(const uint32_t *v, uint32_t n)
{
	struct pg_list *l = malloc(sizeof(*l) + (size_t)n * sizeof(*v));

	if (!l)
		return NULL;
	l->n = n;
	if (n)
		memcpy(l->v, v, (size_t)n * sizeof(*v));
	return l;
}

/* ---- field-by-field readers (PGB_PROG) ----
 *
 * Each consumes from the cursor and returns true once its field is whole;
 * a field split across calls resumes where it stopped. */

static bool pg_rd_int(struct pg_side *sd, struct adi_cur *c, unsigned w, uint32_t *v)
{
	if (!sd->tmp_have && adi_cur_left(c) >= w) { /* the common case: all there */
		if (w == 2) {
			uint16_t v16;

			adi_cur_be16(c, &v16);
			*v = v16;
			return true;
		}
		return adi_cur_be32(c, v);
	}
	while (sd->tmp_have < w && adi_cur_left(c))
		adi_cur_u8(c, &sd->tmp[sd->tmp_have++]);
	if (sd->tmp_have < w)
		return false;
	*v = w == 2 ? adi_ld_be16(sd->tmp) : adi_ld_be32(sd->tmp);
	sd->tmp_have = 0;
	return true;
}

/* A NUL-terminated string; its first cap bytes kept. */
static bool pg_rd_cstr(struct pg_side *sd, struct adi_cur *c, size_t cap)
{
	const uint8_t *p = adi_cur_ptr(c), *z;
	size_t left = adi_cur_left(c), k;

	if (!left)
		return false;
	z = memchr(p, 0, left);
	k = z ? (size_t)(z - p) : left;
	pg_keep(sd, p, k, cap);
	adi_cur_skip(c, z ? k + 1 : k);
	return z != NULL;
}

/* Bytes kept of each value: --body-bytes, at least PG_MIN_KEEP, within
 * the message's PG_MSG_KEEP. */
static size_t pg_vcap(const struct pg_side *sd, const struct adi_proto_cfg *cfg)
{
	size_t cap = cfg->body_bytes > PG_MIN_KEEP ? cfg->body_bytes : PG_MIN_KEEP;
	size_t room = sd->msg_keep < PG_MSG_KEEP ? PG_MSG_KEEP - sd->msg_keep : 0;

	return cap < room ? cap : room;
}

/* The value in progress (vleft bytes to come). */
static bool pg_rd_value(struct pg_side *sd, struct adi_cur *c)
{
	uint32_t take = pg_u32min(adi_cur_left(c), sd->vleft);
	const uint8_t *p;

	adi_cur_bytes(c, take, &p);
	if (!sd->vgap) {
		size_t have = sd->vb.len - sd->vstart;

		sd->msg_keep += pg_append(&sd->vb, p, take, sd->vcap > have ? sd->vcap - have : 0);
	}
	sd->vleft -= take;
	return sd->vleft == 0;
}

/* Room for one more item in the list or the values being read; false when
 * memory is short (the item is not kept). */
static bool pg_grow(void **v, uint32_t *cap, uint32_t n, size_t size)
{
	uint32_t nc;
	void *p;

	if (n < *cap)
		return true;
	nc = *cap ? *cap * 2 : 16;
	p = realloc(*v, (size_t)nc * size);
	if (!p)
		return false;
	*v = p;
	*cap = nc;
	return true;
}

static void pg_push_num(struct pg_side *sd, uint32_t v)
{
	if (pg_grow((void **)&sd->lst, &sd->lst_cap, sd->nlst, sizeof(*sd->lst)))
		sd->lst[sd->nlst++] = v;
}

static void pg_push_val(struct pg_side *sd, uint8_t vst, size_t off, size_t len)
{
	if (pg_grow((void **)&sd->vv, &sd->vv_cap, sd->nvv, sizeof(*sd->vv))) {
		sd->vv[sd->nvv].off = (uint32_t)off;
		sd->vv[sd->nvv].len = (uint32_t)len;
		sd->vv[sd->nvv].st = vst;
		sd->nvv++;
	}
}

/* The finished value: whole, or a prefix when cut (by a cap or a gap). */
static void pg_take_value(struct pg_side *sd)
{
	size_t len = sd->vb.len - sd->vstart;

	pg_push_val(sd, len == sd->vtotal && !sd->vgap ? PGV_WHOLE : PGV_CUT, sd->vstart, len);
}

/* The values read into one block. */
static struct pg_vals *pg_vals_take(struct pg_side *sd)
{
	size_t vsz = (size_t)sd->nvv * sizeof(struct pg_val);
	struct pg_vals *vs = malloc(sizeof(*vs) + vsz + sd->vb.len);
	struct pg_val *v;
	uint8_t *b;

	if (!vs)
		return NULL;
	v = (struct pg_val *)(vs + 1);
	b = (uint8_t *)v + vsz;
	if (vsz)
		memcpy(v, sd->vv, vsz);
	if (sd->vb.len)
		memcpy(b, sd->vb.b, sd->vb.len);
	vs->n = sd->nvv;
	vs->v = v;
	vs->b = b;
	return vs;
}

/* The list or the values being read go into the body, by the step that
 * reads them (a message that ends inside one keeps what was read). */
static void pg_arr_end(struct pg_side *sd, struct pg_body *bd)
{
	switch (sd->step) {
	case PS_OID:
		bd->oids = pg_list_new(sd->lst, sd->nlst);
		break;
	case BS_FMT:
		bd->fmts = pg_list_new(sd->lst, sd->nlst);
		break;
	case BS_RES:
		bd->rfmts = pg_list_new(sd->lst, sd->nlst);
		break;
	default: /* BS_VLEN, BS_VDATA, DS_VLEN, DS_VDATA */
		bd->vals = pg_vals_take(sd);
		break;
	}
	sd->arr_on = false;
}

/* A value's length word: NULL (-1) pushes null, else the value starts. */
static void pg_value_start(struct pg_side *sd, const struct adi_proto_cfg *cfg,
			   uint32_t v, unsigned maxv, enum pg_step data,
			   enum pg_step next)
{
	if (v == 0xffffffffu) {
		if (sd->idx++ < maxv)
			pg_push_val(sd, PGV_NULL, 0, 0);
		sd->step = next;
		return;
	}
	if (v > PG_LARGE) { /* no value is that long: the message lies */
		sd->lost = true;
		return;
	}
	sd->vtotal = sd->vleft = v;
	sd->vgap = false;
	sd->vcap = sd->idx < maxv ? (uint32_t)pg_vcap(sd, cfg) : 0;
	sd->vstart = sd->vb.len;
	sd->step = data;
}

/* Run the reader of a Parse, Bind or DataRow over the cursor's bytes:
 *   Parse:   String name, String query, Int16 n, n x Int32 type oid
 *   Bind:    String portal, String statement, Int16 n, n x Int16 format,
 *            Int16 n, n x (Int32 len (-1: NULL), len bytes),
 *            Int16 n, n x Int16 result format
 *   DataRow: Int16 n, n x (Int32 len (-1: NULL), len bytes) */
static void pg_prog(struct pg_side *sd, const struct adi_proto_cfg *cfg, struct adi_cur *c)
{
	struct pg_body *bd = pg_cur(sd);
	uint32_t v;
	unsigned maxv = sd->type == 'D' ? PG_MAX_COLS : PG_MAX_PARAMS;

	while (sd->step != ST_END && !sd->lost) {
		switch (sd->step) {
		case PS_NAME:
		case BS_PORTAL:
		case BS_STMT:
			if (!pg_rd_cstr(sd, c, PG_MAX_NAME))
				return;
			pg_take_name(sd, sd->step == BS_STMT ? bd->stmt : bd->name);
			sd->step = sd->step == PS_NAME ? PS_QUERY :
				   sd->step == BS_PORTAL ? BS_STMT : BS_NFMT;
			break;
		case PS_QUERY:
			if (!pg_rd_cstr(sd, c, PG_MAX_SQL))
				return;
			bd->sql = pg_text_new(sd->kb.b, sd->kb.len, sd->cut);
			pg_keep_reset(sd);
			sd->step = PS_NPAR;
			break;
		case PS_NPAR:
		case BS_NFMT:
		case BS_NPAR:
		case BS_NRES:
		case DS_NCOL:
			if (!pg_rd_int(sd, c, 2, &v))
				return;
			sd->cnt = v;
			sd->idx = 0;
			sd->arr_on = true;
			sd->nlst = sd->nvv = 0;
			sd->vb.len = 0;
			sd->step = sd->step == PS_NPAR ? PS_OID :
				   sd->step == BS_NFMT ? BS_FMT :
				   sd->step == BS_NPAR ? BS_VLEN :
				   sd->step == BS_NRES ? BS_RES : DS_VLEN;
			break;
		case PS_OID:
		case BS_FMT:
		case BS_RES:
			if (sd->idx == sd->cnt) {
				pg_arr_end(sd, bd);
				sd->step = sd->step == BS_FMT ? BS_NPAR : ST_END;
				break;
			}
			if (!pg_rd_int(sd, c, sd->step == PS_OID ? 4 : 2, &v))
				return;
			if (sd->idx++ < (sd->step == BS_RES ? PG_MAX_COLS : PG_MAX_PARAMS))
				/* a format is an Int16: -1 stays -1 */
				pg_push_num(sd, sd->step == PS_OID ? v : (uint32_t)(int16_t)v);
			break;
		case BS_VLEN:
		case DS_VLEN:
			if (sd->idx == sd->cnt) {
				pg_arr_end(sd, bd);
				sd->step = sd->step == BS_VLEN ? BS_NRES : ST_END;
				break;
			}
			if (!pg_rd_int(sd, c, 4, &v))
				return;
			if (sd->step == BS_VLEN)
				pg_value_start(sd, cfg, v, maxv, BS_VDATA, BS_VLEN);
			else
				pg_value_start(sd, cfg, v, maxv, DS_VDATA, DS_VLEN);
			break;
		case BS_VDATA:
		case DS_VDATA:
			if (!pg_rd_value(sd, c))
				return;
			if (sd->idx++ < maxv)
				pg_take_value(sd);
			else
				sd->vb.len = sd->vstart;
			sd->step = sd->step == BS_VDATA ? BS_VLEN : DS_VLEN;
			break;
		default:
			sd->step = ST_END;
			break;
		}
	}
}

/* ---- how a body is consumed ---- */

static void pg_setup_fe(struct pg_side *sd)
{
	switch (sd->type) {
	case 'Q':
		sd->cap = PG_MAX_SQL + 1; /* with its NUL */
		break;
	case 'P':
		sd->how = PGB_PROG;
		sd->step = PS_NAME;
		break;
	case 'B':
		sd->how = PGB_PROG;
		sd->step = BS_PORTAL;
		break;
	case 'C':
	case 'D':
	case 'E':
	case 'f':
		sd->cap = PG_KEEP_SMALL;
		break;
	case 'p': /* passwords, SASL: never kept */
	case 'F':
		sd->how = PGB_COUNT;
		break;
	}
}

static void pg_setup_be(struct pg_side *sd, const struct adi_proto_cfg *cfg)
{
	switch (sd->type) {
	case 'D':
		if (sd->rows++ < cfg->rows_sample) {
			sd->how = PGB_PROG;
			sd->step = DS_NCOL;
		} else {
			sd->how = PGB_COUNT;
		}
		break;
	case 'G':
	case 'H':
	case 'W':
		sd->copy_msgs = sd->copy_bytes = 0;
		break;
	case 'C':
		sd->cap = PG_KEEP_TAG;
		break;
	case 'E':
		sd->cap = PG_KEEP_ERR;
		break;
	case 'T':
	case 't':
		sd->cap = PG_KEEP_DESC;
		break;
	case 'Z':
		sd->cap = 1;
		break;
	case '1': case '2': case '3': case 'n': case 'I': case 's':
		break;
	default: /* R S K N A v V c: async or not needed; R carries
		  * SASL data, never kept */
		sd->how = PGB_COUNT;
		break;
	}
}

void pg_setup(struct pg_side *sd, const struct adi_proto_cfg *cfg, bool fe)
{
	sd->how = PGB_KEEP;
	sd->cap = 0;
	sd->step = ST_END;
	sd->incomplete = sd->lost = false;
	sd->tmp_have = 0;
	sd->msg_keep = 0;
	sd->arr_on = false;
	sd->blen = sd->left;
	pg_keep_reset(sd);
	pg_body_begin(sd);
	if (!sd->type) {
		sd->cap = sd->code == PG_CODE_CANCEL ? 8 : PG_STARTUP_MAX;
		return;
	}
	if (sd->type == 'd') { /* CopyData, either way: counted */
		sd->copy_msgs++;
		sd->copy_bytes += sd->left;
		sd->how = PGB_COUNT;
	} else if (fe) {
		pg_setup_fe(sd);
	} else {
		pg_setup_be(sd, cfg);
	}
}

void pg_body(struct pg_side *sd, const struct adi_proto_cfg *cfg, const uint8_t *b,
	     size_t k)
{
	struct adi_cur c;

	if (sd->how == PGB_KEEP && !sd->lost) {
		pg_keep(sd, b, k, sd->cap);
	} else if (sd->how == PGB_PROG) {
		c = adi_cur_make(b, k);
		pg_prog(sd, cfg, &c);
	}
}

bool pg_frames_type(bool fe, uint8_t t, bool sampled)
{
	if (fe) {
		switch (t) {
		case 'Q': case 'P': case 'B': case 'C': case 'D': case 'E': case 'S':
		case 'F': case 'c': case 'f':
			return true;
		}
		return false;
	}
	switch (t) {
	case 'D':
		return sampled;
	case '1': case '2': case '3': case 'C': case 'E': case 'G': case 'H': case 'I':
	case 'T': case 'W': case 'Z': case 'n': case 's': case 't':
		return true;
	}
	return false;
}

static bool pg_frames(const struct pg_side *sd, bool fe)
{
	if (!sd->type)
		return sd->code == PG_CODE_CANCEL || sd->code >> 16 == 3;
	return pg_frames_type(fe, sd->type, sd->how == PGB_PROG);
}

/* ---- what is taken from a whole body ---- */

/* A wire string (NUL-free) as a new C string; NULL: no memory. */
static char *pg_strndup(const uint8_t *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

/*   StartupMessage body after the code: ( key \0 value \0 )* \0
 * user, database (the server defaults it to the user) and
 * application_name (read, not kept); other parameters are not kept. */
static void pg_startup_fields(struct adi_cur c, struct pg_body *bd)
{
	size_t kl, vl;
	const uint8_t *k, *v;

	while (adi_cur_cstr(&c, &k, &kl) && kl && adi_cur_cstr(&c, &v, &vl)) {
		if (kl == 4 && !memcmp(k, "user", 4)) {
			free(bd->user);
			bd->user = pg_strndup(v, vl);
		} else if (kl == 8 && !memcmp(k, "database", 8)) {
			free(bd->database);
			bd->database = pg_strndup(v, vl);
		}
	}
	if (!bd->database && bd->user)
		bd->database = strdup(bd->user);
}

/*   ErrorResponse / NoticeResponse: ( Byte1 code, String value )* \0
 * Kept: C (SQLSTATE), M (message), V (severity, not localised; S when
 * absent), D (detail), H (hint): the last of each, but the first S. The
 * error object is written here, once: {"code", "message", then
 * "severity", "detail", "hint" when sent}. */
static void pg_error_fields(struct adi_jw *w, struct adi_cur c, struct pg_body *bd)
{
	static const char *const keys[] = { "code", "message", "severity", "detail", "hint" };
	struct { const uint8_t *p; size_t n; bool on; } f[5] = { { 0 } };
	size_t vl;
	const uint8_t *v;
	uint8_t code;
	int i;

	while (adi_cur_u8(&c, &code) && code) {
		if (!adi_cur_cstr(&c, &v, &vl))
			break;
		switch (code) {
		case 'C': i = 0; break;
		case 'M': i = 1; break;
		case 'V': i = 2; break;
		case 'S': i = f[2].on ? -1 : 2; break;
		case 'D': i = 3; break;
		case 'H': i = 4; break;
		default: i = -1; break;
		}
		if (i >= 0) {
			f[i].p = v;
			f[i].n = vl;
			f[i].on = true;
		}
	}
	bd->syntax = f[0].on && f[0].n == 5 && !memcmp(f[0].p, "42601", 5);
	adi_jw_reset(w);
	adi_jw_obj(w);
	for (i = 0; i < 5; i++) {
		if (!f[i].on && i < 2) {
			adi_jw_knull(w, keys[i]);
		} else if (f[i].on) {
			adi_jw_key(w, keys[i]);
			adi_jw_bytes(w, f[i].p, f[i].n);
		}
	}
	adi_jw_obj_end(w);
	if (!w->err && (bd->err = malloc(w->len)) != NULL) {
		memcpy(bd->err, w->buf, w->len);
		bd->err_len = w->len;
	}
}

/*   RowDescription: Int16 n, n x ( String name, Int32 table oid, Int16
 *   column, Int32 type oid, Int16 typlen, Int32 typmod, Int16 format )
 * The names are written once, as the `columns` array of every event of
 * the result. */
static void pg_rowdesc_fields(struct pg_side *sd, struct adi_jw *w, struct adi_cur c,
			      struct pg_body *bd)
{
	struct adi_cur col;
	size_t nl;
	const uint8_t *name;
	uint16_t cnt, fmt;
	uint32_t oid, n = 0;

	adi_cur_be16(&c, &cnt);
	adi_jw_reset(w);
	adi_jw_arr(w);
	sd->nlst = 0;
	for (unsigned i = 0; i < cnt && i < PG_MAX_COLS; i++) {
		if (!adi_cur_cstr(&c, &name, &nl) || !adi_cur_sub(&c, 18, &col))
			break;
		adi_cur_skip(&col, 4 + 2);      /* table oid, column */
		adi_cur_be32(&col, &oid);
		adi_cur_skip(&col, 2 + 4);      /* typlen, typmod */
		adi_cur_be16(&col, &fmt);
		adi_jw_bytes(w, name, nl);
		/* OID and format side by side in the list builder */
		pg_push_num(sd, oid);
		pg_push_num(sd, (uint32_t)(int16_t)fmt);
		n++;
	}
	adi_jw_arr_end(w);
	if (!w->err && sd->nlst == 2 * n)
		bd->cols = pg_cols_new(n, sd->lst, w->buf, w->len);
}

/*   ParameterDescription: Int16 n, n x Int32 type oid */
static void pg_paramdesc_fields(struct pg_side *sd, struct adi_cur c, struct pg_body *bd)
{
	uint16_t cnt;
	uint32_t oid;

	adi_cur_be16(&c, &cnt);
	sd->nlst = 0;
	for (unsigned i = 0; i < cnt && i < PG_MAX_PARAMS && adi_cur_be32(&c, &oid); i++)
		pg_push_num(sd, oid);
	bd->oids = pg_list_new(sd->lst, sd->nlst);
}

/*   Describe / Close: Byte1 'S' | 'P', String name
 *   Execute: String portal, Int32 max rows (not kept) */
static void pg_named_fields(struct adi_cur c, bool exec, struct pg_body *bd)
{
	size_t nl;
	const uint8_t *name;
	uint8_t what;

	if (!exec && adi_cur_u8(&c, &what))
		bd->what = what;
	if (adi_cur_cstr(&c, &name, &nl)) {
		nl = nl < PG_MAX_NAME ? nl : PG_MAX_NAME;
		memcpy(bd->name, name, nl);
		bd->name[nl] = '\0';
	}
}

/* Copy counters into a message, then reset them. */
static void pg_copy_fields(struct pg_side *sd, struct pg_body *bd)
{
	bd->copy_bytes = sd->copy_bytes;
	bd->copy_msgs = sd->copy_msgs;
	sd->copy_bytes = sd->copy_msgs = 0;
}

/* What a field-by-field read gathered (a value cut by the end of the
 * message or a gap ends there, kept even past the values' cap). */
static void pg_prog_fields(struct pg_side *sd, struct pg_body *bd)
{
	if ((sd->step == BS_VDATA || sd->step == DS_VDATA) && sd->arr_on) {
		sd->vgap = true;
		pg_take_value(sd);
	}
	if (sd->arr_on)
		pg_arr_end(sd, bd);
}

/* A startup-phase packet kept whole (b[0..n)). */
static void pg_finish_startup(struct pg_state *st, struct pg_side *sd, struct pg_body *bd,
			      bool frames, const uint8_t *b, size_t n)
{
	struct adi_cur c = adi_cur_make(b, n);
	uint32_t pid;

	if (sd->code == PG_CODE_SSL || sd->code == PG_CODE_GSSENC)
		st->neg = (uint8_t)(sd->code == PG_CODE_SSL ? 'S' : 'G');
	else if (sd->code == PG_CODE_CANCEL && adi_cur_be32(&c, &pid))
		bd->pid = pid; /* the key: never */
	else if (frames)
		pg_startup_fields(adi_cur_make(b, n), bd);
	if (sd->code >> 16 == 3)
		sd->typed = true;
}

/* A FRAMEd frontend message kept whole (b[0..n)). */
static void pg_finish_fe(struct pg_side *sd, struct pg_body *bd, const uint8_t *b, size_t n)
{
	bool cut = false;

	switch (sd->type) {
	case 'Q':
		if (sd->cut || !n || b[n - 1]) {
			/* cut at PG_MAX_SQL (or by a gap / a missing NUL) */
			if (n > PG_MAX_SQL)
				n = PG_MAX_SQL;
			cut = true;
		} else {
			n--;
		}
		bd->sql = pg_text_new(b, n, cut);
		break;
	case 'D':
	case 'C':
		pg_named_fields(adi_cur_make(b, n), false, bd);
		break;
	case 'E':
		pg_named_fields(adi_cur_make(b, n), true, bd);
		break;
	case 'c':
	case 'f':
		pg_copy_fields(sd, bd);
		break;
	}
}

/* A FRAMEd backend message kept whole (b[0..n)); the row counter restarts
 * at a result boundary (anything but a DataRow). */
static void pg_finish_be(struct pg_state *st, struct pg_side *sd, struct pg_body *bd,
			 const uint8_t *b, size_t n)
{
	switch (sd->type) {
	case 'C':
		if (n && !b[n - 1])
			n--;
		n = n < PG_KEEP_TAG ? n : PG_KEEP_TAG;
		if (n)
			memcpy(bd->tag, b, n);
		bd->tag[n] = '\0';
		bd->tag_len = (uint16_t)n;
		break;
	case 'E':
		pg_error_fields(&st->scratch, adi_cur_make(b, n), bd);
		break;
	case 'T':
		pg_rowdesc_fields(sd, &st->scratch, adi_cur_make(b, n), bd);
		break;
	case 't':
		pg_paramdesc_fields(sd, adi_cur_make(b, n), bd);
		break;
	case 'Z':
		if (n)
			bd->tx = b[0];
		break;
	}
	if (sd->type == 'C' || sd->type == 'E' || sd->type == 'I' || sd->type == 's')
		bd->rows = sd->rows;
	if (sd->type == 'C' || sd->type == 'E')
		pg_copy_fields(sd, bd);
	if (sd->type != 'D')
		sd->rows = 0;
}

bool pg_finish(struct pg_state *st, struct pg_side *sd, bool fe, const uint8_t *whole,
	       size_t wn, int *kind, bool *incomplete)
{
	struct pg_body *bd = pg_cur(sd);
	/* the kept bytes ("" when none were: never a NULL pointer to read) */
	const uint8_t *b = sd->kb.b ? sd->kb.b : (const uint8_t *)"";
	size_t n = sd->kb.len;
	bool frames = pg_frames(sd, fe);

	if (whole) { /* what pg_keep would have kept of it */
		b = whole;
		n = wn < sd->cap ? wn : sd->cap;
		sd->cut = wn > sd->cap;
	}

	sd->in_body = false;
	*kind = sd->type ? sd->type : sd->code == PG_CODE_CANCEL ? PG_K_CANCEL :
								   PG_K_STARTUP;
	*incomplete = false;
	if (sd->how == PGB_PROG)
		pg_prog_fields(sd, bd);
	if (!sd->type)
		pg_finish_startup(st, sd, bd, frames, b, n);
	else if (fe && frames)
		pg_finish_fe(sd, bd, b, n);
	else if (frames)
		pg_finish_be(st, sd, bd, b, n);
	if (frames) {
		if (sd->incomplete || sd->after_loss) {
			*incomplete = true;
			sd->after_loss = false;
		}
		bd->seq = ++sd->seq;
		sd->rlen++;
	}
	sd->seen = true;
	pg_keep_reset(sd);
	pg_buf_trim(&sd->kb);
	pg_buf_trim(&sd->vb);
	return frames;
}

void pg_side_reset(struct pg_side *sd)
{
	if (sd->ready) {
		/* its body, the last FRAMEd, goes with it */
		sd->rlen--;
		sd->ready = false;
	}
	sd->arr_on = false;
	sd->in_body = false;
	sd->tmp_have = 0;
	pg_keep_reset(sd);
}

void pg_side_fini(struct pg_side *sd)
{
	for (unsigned i = 0; i < PG_RING; i++)
		pg_body_clear(&sd->ring[i]);
	free(sd->kb.b);
	free(sd->vb.b);
	free(sd->lst);
	free(sd->vv);
	memset(sd, 0, sizeof(*sd));
}
