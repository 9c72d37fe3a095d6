/* body.c - message bodies into the fields of a FRAMEd message: how each
 * type's body is consumed (kept up to a cap, counted, or read field by
 * field as it streams in: Parse, Bind, a sampled DataRow), and what is
 * taken from it once whole (names, SQL text, raw values, error fields,
 * column descriptions, copy counters). Owns the kept bytes of a side
 * (struct pg_side buf). Does not own the framing (frame.c) nor what the
 * values mean (values.c).
 */
#include <stdlib.h>
#include <string.h>

#include "pg.h"

static uint32_t pg_u32min(uint64_t a, uint64_t b)
{
	return (uint32_t)(a < b ? a : b);
}

/* ---- kept bytes ---- */

/* Room for need bytes in the side's buffer (its size doubles, from 256);
 * false when memory is short. */
static bool pg_reserve(struct pg_side *sd, size_t need)
{
	size_t a = sd->alloc ? sd->alloc : 256;
	uint8_t *nb;

	if (need <= sd->alloc)
		return true;
	while (a < need)
		a *= 2;
	nb = realloc(sd->buf, a);
	if (!nb)
		return false;
	sd->buf = nb;
	sd->alloc = a;
	return true;
}

/* Append b[0..k) to the side's buffer, keeping at most cap bytes in all
 * (the rest is counted as cut). */
static void pg_keep(struct pg_side *sd, const uint8_t *b, size_t k, size_t cap)
{
	size_t room = cap > sd->len ? cap - sd->len : 0;
	size_t take = k < room ? k : room;

	if (take < k)
		sd->cut = true;
	if (!take)
		return;
	if (!pg_reserve(sd, sd->len + take)) {
		sd->cut = true;
		return;
	}
	memcpy(sd->buf + sd->len, b, take);
	sd->len += take;
}

static void pg_keep_reset(struct pg_side *sd)
{
	sd->len = 0;
	sd->cut = false;
}

/* The kept bytes as a (raw, maybe not UTF-8) string; the buffer restarts. */
static struct adi_jval *pg_take_str(struct pg_side *sd)
{
	struct adi_jval *v = adi_j_strn((const char *)sd->buf, sd->len);

	pg_keep_reset(sd);
	return v;
}

/* ---- field-by-field readers (PGB_PROG) ----
 *
 * Each consumes from the cursor and returns true once its field is whole;
 * a field split across calls resumes where it stopped. */

static bool pg_rd_int(struct pg_side *sd, struct adi_cur *c, unsigned w, uint32_t *v)
{
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
		size_t before = sd->len;

		pg_keep(sd, p, take, sd->vcap);
		sd->msg_keep += sd->len - before;
	}
	sd->vleft -= take;
	return sd->vleft == 0;
}

/* The finished value: a string when whole, [prefix, true length] when cut
 * (by a cap or a gap). */
static struct adi_jval *pg_take_value(struct pg_side *sd)
{
	struct adi_jval *v;

	if (sd->len == sd->vtotal && !sd->vgap)
		return pg_take_str(sd);
	v = adi_j_arr();
	adi_j_push(v, pg_take_str(sd));
	adi_j_push(v, adi_j_int(sd->vtotal));
	return v;
}

/* A value's length word: NULL (-1) pushes null, else the value starts. */
static void pg_value_start(struct pg_side *sd, const struct adi_proto_cfg *cfg,
			   uint32_t v, unsigned maxv, enum pg_step data,
			   enum pg_step next)
{
	if (v == 0xffffffffu) {
		if (sd->idx++ < maxv)
			adi_j_push(sd->arr, adi_j_null());
		sd->step = next;
		return;
	}
	if (v > PG_LARGE) { /* no value is that long: the message lies */
		sd->lost = true;
		return;
	}
	sd->vtotal = sd->vleft = v;
	sd->vgap = false;
	sd->vcap = sd->idx < maxv ? pg_vcap(sd, cfg) : 0;
	pg_keep_reset(sd);
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
	uint32_t v;
	unsigned maxv = sd->type == 'D' ? PG_MAX_COLS : PG_MAX_PARAMS;

	while (sd->step != ST_END && !sd->lost) {
		switch (sd->step) {
		case PS_NAME:
		case BS_PORTAL:
		case BS_STMT:
			if (!pg_rd_cstr(sd, c, PG_MAX_NAME))
				return;
			adi_j_set(sd->fields, sd->step == BS_STMT ? "stmt" :
				  sd->step == BS_PORTAL ? "portal" : "name",
				  pg_take_str(sd));
			sd->step = sd->step == PS_NAME ? PS_QUERY :
				   sd->step == BS_PORTAL ? BS_STMT : BS_NFMT;
			break;
		case PS_QUERY:
			if (!pg_rd_cstr(sd, c, PG_MAX_SQL))
				return;
			if (sd->cut)
				adi_j_set_bool(sd->fields, "cut", true);
			adi_j_set(sd->fields, "sql", pg_take_str(sd));
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
			sd->arr = adi_j_arr();
			sd->step = sd->step == PS_NPAR ? PS_OID :
				   sd->step == BS_NFMT ? BS_FMT :
				   sd->step == BS_NPAR ? BS_VLEN :
				   sd->step == BS_NRES ? BS_RES : DS_VLEN;
			break;
		case PS_OID:
		case BS_FMT:
		case BS_RES:
			if (sd->idx == sd->cnt) {
				adi_j_set(sd->fields, sd->step == PS_OID ? "oids" :
					  sd->step == BS_FMT ? "f" : "r", sd->arr);
				sd->arr = NULL;
				sd->step = sd->step == PS_OID ? ST_END :
					   sd->step == BS_FMT ? BS_NPAR : ST_END;
				break;
			}
			if (!pg_rd_int(sd, c, sd->step == PS_OID ? 4 : 2, &v))
				return;
			if (sd->idx++ < (sd->step == BS_RES ? PG_MAX_COLS : PG_MAX_PARAMS))
				adi_j_push(sd->arr, adi_j_int(sd->step == PS_OID ? (int64_t)v :
							       (int16_t)v));
			break;
		case BS_VLEN:
		case DS_VLEN:
			if (sd->idx == sd->cnt) {
				adi_j_set(sd->fields, "v", sd->arr);
				sd->arr = NULL;
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
				adi_j_push(sd->arr, pg_take_value(sd));
			else
				pg_keep_reset(sd);
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
	pg_keep_reset(sd);
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
	if (sd->how == PGB_PROG)
		sd->fields = adi_j_obj();
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
	if (fe)
		return t && strchr("QPBCDESFcf", t) != NULL;
	if (t == 'D')
		return sampled;
	return t && strchr("123CEGHITWZnst", t) != NULL;
}

static bool pg_frames(const struct pg_side *sd, bool fe)
{
	if (!sd->type)
		return sd->code == PG_CODE_CANCEL || sd->code >> 16 == 3;
	return pg_frames_type(fe, sd->type, sd->how == PGB_PROG);
}

/* ---- what is taken from a whole body ---- */

/*   StartupMessage body after the code: ( key \0 value \0 )* \0
 * user, database (the server defaults it to the user) and
 * application_name; other parameters are not kept. */
static void pg_startup_fields(struct adi_cur c, struct adi_jval *f)
{
	size_t kl, vl;
	const uint8_t *k, *v;

	while (adi_cur_cstr(&c, &k, &kl) && kl && adi_cur_cstr(&c, &v, &vl)) {
		if (kl == 4 && !memcmp(k, "user", 4))
			adi_j_set(f, "user", adi_j_bytes(v, vl));
		else if (kl == 8 && !memcmp(k, "database", 8))
			adi_j_set(f, "database", adi_j_bytes(v, vl));
		else if (kl == 16 && !memcmp(k, "application_name", 16))
			adi_j_set(f, "application_name", adi_j_bytes(v, vl));
	}
	if (!adi_j_get(f, "database") && adi_j_get(f, "user"))
		adi_j_set_str(f, "database", adi_j_get_str(f, "user", ""));
}

/*   ErrorResponse / NoticeResponse: ( Byte1 code, String value )* \0
 * Kept: C (SQLSTATE), M (message), V (severity, not localised; S when
 * absent), D (detail), H (hint). */
static void pg_error_fields(struct adi_cur c, struct adi_jval *f)
{
	size_t vl;
	const uint8_t *v;
	const char *key;
	uint8_t code;

	while (adi_cur_u8(&c, &code) && code) {
		if (!adi_cur_cstr(&c, &v, &vl))
			break;
		switch (code) {
		case 'C': key = "code"; break;
		case 'M': key = "message"; break;
		case 'V': key = "severity"; break;
		case 'S': key = adi_j_get(f, "severity") ? NULL : "severity"; break;
		case 'D': key = "detail"; break;
		case 'H': key = "hint"; break;
		default: key = NULL; break;
		}
		if (key)
			adi_j_set(f, key, adi_j_bytes(v, vl));
	}
}

/*   RowDescription: Int16 n, n x ( String name, Int32 table oid, Int16
 *   column, Int32 type oid, Int16 typlen, Int32 typmod, Int16 format ) */
static void pg_rowdesc_fields(struct adi_cur c, struct adi_jval *f)
{
	struct adi_jval *names = adi_j_arr(), *oids = adi_j_arr(), *fmts = adi_j_arr();
	struct adi_cur col;
	size_t nl;
	const uint8_t *name;
	uint16_t cnt, fmt;
	uint32_t oid;

	adi_cur_be16(&c, &cnt);
	for (unsigned i = 0; i < cnt && i < PG_MAX_COLS; i++) {
		if (!adi_cur_cstr(&c, &name, &nl) || !adi_cur_sub(&c, 18, &col))
			break;
		adi_cur_skip(&col, 4 + 2);      /* table oid, column */
		adi_cur_be32(&col, &oid);
		adi_cur_skip(&col, 2 + 4);      /* typlen, typmod */
		adi_cur_be16(&col, &fmt);
		adi_j_push(names, adi_j_strn((const char *)name, nl));
		adi_j_push(oids, adi_j_int(oid));
		adi_j_push(fmts, adi_j_int((int16_t)fmt));
	}
	adi_j_set(f, "names", names);
	adi_j_set(f, "oids", oids);
	adi_j_set(f, "fmts", fmts);
}

/*   ParameterDescription: Int16 n, n x Int32 type oid */
static void pg_paramdesc_fields(struct adi_cur c, struct adi_jval *f)
{
	struct adi_jval *oids = adi_j_arr();
	uint16_t cnt;
	uint32_t oid;

	adi_cur_be16(&c, &cnt);
	for (unsigned i = 0; i < cnt && i < PG_MAX_PARAMS && adi_cur_be32(&c, &oid); i++)
		adi_j_push(oids, adi_j_int(oid));
	adi_j_set(f, "oids", oids);
}

/*   Describe / Close: Byte1 'S' | 'P', String name
 *   Execute: String portal, Int32 max rows */
static void pg_named_fields(struct adi_cur c, bool exec, struct adi_jval *f)
{
	struct adi_cur at;
	size_t nl;
	const uint8_t *name;
	uint8_t what;
	uint32_t max;

	if (!exec && adi_cur_u8(&c, &what))
		adi_j_set(f, "what", adi_j_strn((const char *)&what, 1));
	at = c;
	if (adi_cur_cstr(&c, &name, &nl))
		adi_j_set(f, exec ? "portal" : "name",
			  adi_j_strn((const char *)name, nl < PG_MAX_NAME ? nl : PG_MAX_NAME));
	else
		c = at; /* no terminated name: nothing of it is taken */
	if (exec && adi_cur_be32(&c, &max))
		adi_j_set_int(f, "max", max);
}

/* Copy counters into a message (when any), then reset them. */
static void pg_copy_fields(struct pg_side *sd, struct adi_jval *f)
{
	if (sd->copy_msgs || sd->copy_bytes) {
		adi_j_set_int(f, "cb", (int64_t)sd->copy_bytes);
		adi_j_set_int(f, "cm", (int64_t)sd->copy_msgs);
	}
	sd->copy_bytes = sd->copy_msgs = 0;
}

/* The fields a field-by-field read gathered (a value cut by the end of the
 * message or a gap ends there). */
static struct adi_jval *pg_prog_fields(struct pg_side *sd)
{
	struct adi_jval *f;

	if ((sd->step == BS_VDATA || sd->step == DS_VDATA) && sd->arr) {
		sd->vgap = true;
		adi_j_push(sd->arr, pg_take_value(sd));
	}
	if (sd->arr)
		adi_j_set(sd->fields, sd->type == 'P' ? "oids" :
			  sd->step <= BS_FMT ? "f" : sd->step <= BS_VDATA ? "v" :
			  sd->step <= BS_RES ? "r" : "v", sd->arr);
	sd->arr = NULL;
	f = sd->fields;
	sd->fields = NULL;
	return f;
}

/* A startup-phase packet kept whole (b[0..n)); f is NULL for SSLRequest
 * and GSSENCRequest. */
static void pg_finish_startup(struct pg_state *st, struct pg_side *sd, struct adi_jval *f,
			      const uint8_t *b, size_t n)
{
	struct adi_cur c = adi_cur_make(b, n);
	uint32_t pid;

	if (sd->code == PG_CODE_SSL || sd->code == PG_CODE_GSSENC)
		st->neg = (uint8_t)(sd->code == PG_CODE_SSL ? 'S' : 'G');
	else if (sd->code == PG_CODE_CANCEL && adi_cur_be32(&c, &pid))
		adi_j_set_int(f, "pid", pid); /* the key: never */
	else if (f)
		pg_startup_fields(adi_cur_make(b, n), f);
	if (sd->code >> 16 == 3)
		sd->typed = true;
}

/* A FRAMEd frontend message kept whole (b[0..n)). */
static void pg_finish_fe(struct pg_side *sd, struct adi_jval *f, const uint8_t *b, size_t n)
{
	switch (sd->type) {
	case 'Q':
		if (sd->cut || !n || b[n - 1]) {
			/* cut at PG_MAX_SQL (or by a gap / a missing NUL) */
			if (n > PG_MAX_SQL)
				n = PG_MAX_SQL;
			adi_j_set_bool(f, "cut", true);
		} else {
			n--;
		}
		adi_j_set(f, "sql", adi_j_strn((const char *)b, n));
		break;
	case 'D':
	case 'C':
		pg_named_fields(adi_cur_make(b, n), false, f);
		break;
	case 'E':
		pg_named_fields(adi_cur_make(b, n), true, f);
		break;
	case 'c':
	case 'f':
		pg_copy_fields(sd, f);
		break;
	}
}

/* A FRAMEd backend message kept whole (b[0..n)); the row counter restarts
 * at a result boundary (anything but a DataRow). */
static void pg_finish_be(struct pg_side *sd, struct adi_jval *f, const uint8_t *b, size_t n)
{
	switch (sd->type) {
	case 'C':
		if (n && !b[n - 1])
			n--;
		adi_j_set(f, "tag", adi_j_strn((const char *)b, n));
		break;
	case 'E':
		pg_error_fields(adi_cur_make(b, n), f);
		break;
	case 'T':
		pg_rowdesc_fields(adi_cur_make(b, n), f);
		break;
	case 't':
		pg_paramdesc_fields(adi_cur_make(b, n), f);
		break;
	case 'Z':
		if (n)
			adi_j_set(f, "tx", adi_j_strn((const char *)b, 1));
		break;
	}
	if (sd->type == 'C' || sd->type == 'E' || sd->type == 'I' || sd->type == 's')
		adi_j_set_int(f, "rows", (int64_t)sd->rows);
	if (sd->type == 'C' || sd->type == 'E')
		pg_copy_fields(sd, f);
	if (sd->type != 'D')
		sd->rows = 0;
}

struct adi_jval *pg_finish(struct pg_state *st, struct pg_side *sd, bool fe, int *kind)
{
	struct adi_jval *f = NULL;
	/* the kept bytes ("" when none were: never a NULL pointer to read) */
	const uint8_t *b = sd->buf ? sd->buf : (const uint8_t *)"";
	size_t n = sd->len;

	sd->in_body = false;
	*kind = sd->type ? sd->type : sd->code == PG_CODE_CANCEL ? PG_K_CANCEL :
								   PG_K_STARTUP;
	if (sd->how == PGB_PROG)
		f = pg_prog_fields(sd);
	else if (pg_frames(sd, fe))
		f = adi_j_obj();
	if (!sd->type)
		pg_finish_startup(st, sd, f, b, n);
	else if (fe && f)
		pg_finish_fe(sd, f, b, n);
	else if (f)
		pg_finish_be(sd, f, b, n);
	sd->seen = true;
	if (f && (sd->incomplete || sd->after_loss)) {
		adi_j_set_bool(f, "incomplete", true);
		sd->after_loss = false;
	}
	pg_keep_reset(sd);
	if (sd->alloc > 2 * PG_KEEP_DESC) { /* one huge message: give it back */
		free(sd->buf);
		sd->buf = NULL;
		sd->alloc = 0;
	}
	return f;
}

void pg_side_reset(struct pg_side *sd)
{
	adi_j_free(sd->fields);
	adi_j_free(sd->arr);
	adi_j_free(sd->ready);
	sd->fields = sd->arr = sd->ready = NULL;
	sd->in_body = false;
	sd->tmp_have = 0;
	pg_keep_reset(sd);
}
