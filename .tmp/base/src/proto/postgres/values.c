/* values.c - parameter and row values as the text an event shows, written
 * straight into the event's writer: text format values as they are (cut
 * on a UTF-8 boundary; not UTF-8: base64), binary ones decoded by their
 * type OID the way the server's output functions write them (integers,
 * floats, numeric, dates and times, uuid, bytea as hex, text types,
 * jsonb), anything else as base64. Keeps nothing.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/util.h"
#include "pg.h"

/* The largest m <= max (and <= n) that does not cut a UTF-8 character. */
static size_t pg_utf8_cut(const uint8_t *b, size_t n, size_t max)
{
	size_t k;

	if (n <= max)
		return n;
	k = max;
	while (k > 0 && max - k < 3 && (b[k - 1] & 0xc0) == 0x80)
		k--;
	if (k > 0 && b[k - 1] >= 0xc0) {
		size_t seq = adi_utf8_seq(b + k - 1, n - (k - 1));

		if (seq && k - 1 + seq > max)
			return k - 1;
	}
	return max;
}

void pg_w_text(struct adi_jw *w, const uint8_t *b, size_t n, size_t max, bool *trunc)
{
	size_t m = pg_utf8_cut(b, n, max);

	if (m < n)
		*trunc = true;
	adi_jw_bytes(w, b, m);
}

/* Base64 and hex are written through a small buffer, a piece at a time:
 * a value may be as long as --body-bytes. */
#define PG_PIECE 3072 /* input bytes per piece: a multiple of 3 */

/* "base64:<data>" of the first max bytes. */
static void pg_w_base64(struct adi_jw *w, const uint8_t *b, size_t n, size_t max, bool *trunc)
{
	char out[PG_PIECE / 3 * 4 + 4];

	if (n > max) {
		n = max;
		*trunc = true;
	}
	adi_jw_raw(w, "\"base64:", 8);
	for (size_t i = 0; i < n; i += PG_PIECE) {
		size_t k = n - i < PG_PIECE ? n - i : PG_PIECE;

		adi_jw_put(w, out, adi_base64_encode(b + i, k, out));
	}
	adi_jw_put(w, "\"", 1);
}

/* bytea as the server writes it: "\x" and two hex digits per byte, the
 * whole text cut to max characters (a JSON string: the backslash is
 * escaped). */
static void pg_w_hex(struct adi_jw *w, const uint8_t *b, size_t n, size_t max, bool *trunc)
{
	static const char hx[] = "0123456789abcdef";
	char out[2 * PG_PIECE];
	size_t len = 2 + 2 * n, hexn;

	if (len > max) {
		len = max;
		*trunc = true;
	}
	adi_jw_raw(w, "\"", 1);
	if (len >= 1)
		adi_jw_put(w, "\\\\", 2);
	if (len >= 2)
		adi_jw_put(w, "x", 1);
	hexn = len > 2 ? len - 2 : 0; /* hex digits written */
	for (size_t i = 0; i < hexn;) {
		size_t k = 0;

		for (; k < sizeof(out) && i < hexn; k++, i++)
			out[k] = i % 2 ? hx[b[i / 2] & 15] : hx[b[i / 2] >> 4];
		adi_jw_put(w, out, k);
	}
	adi_jw_put(w, "\"", 1);
}

/* ---- binary values by type OID ----
 *
 * Binary formats (the server's *_send functions), all big-endian:
 *   bool 16: 1 byte            int2 21 / int4 23 / int8 20, oid 26
 *   float4 700 / float8 701: IEEE 754
 *   numeric 1700: Int16 ndigits, Int16 weight, Int16 sign, Int16 dscale,
 *                 ndigits x Int16 base-10000 digits
 *   text 25, varchar 1043, bpchar 1042, name 19, unknown 705, char 18,
 *   json 114: the bytes; jsonb 3802: version byte 1, then the text
 *   bytea 17: the bytes (written "\x<hex>" as the server does)
 *   uuid 2950: 16 bytes      date 1082: Int32 days since 2000-01-01
 *   time 1083, timestamp 1114, timestamptz 1184: Int64 microseconds (since
 *   2000-01-01 00:00:00 UTC for the timestamps)
 */

/* A float as the server writes it (extra_float_digits 1, the default since
 * PostgreSQL 12): the shortest text that reads back exactly, in fixed
 * notation when the decimal exponent is in [-4, 15) ([-4, 6) for float4),
 * else d.ddde+XX. */
static void pg_float(double v, bool f4, char *o, size_t sz)
{
	char buf[48], dg[24];
	int nd = 0, ex, p, w = 0;
	const char *q;

	if (isnan(v)) {
		snprintf(o, sz, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(o, sz, v > 0 ? "Infinity" : "-Infinity");
		return;
	}
	if (v == 0) {
		snprintf(o, sz, signbit(v) ? "-0" : "0");
		return;
	}
	for (p = 1; p < 17; p++) {
		snprintf(buf, sizeof(buf), "%.*e", p - 1, v);
		if (f4 ? strtof(buf, NULL) == (float)v : strtod(buf, NULL) == v)
			break;
	}
	snprintf(buf, sizeof(buf), "%.*e", p - 1, v);
	for (q = buf; *q && *q != 'e'; q++)
		if (*q >= '0' && *q <= '9' && nd < (int)sizeof(dg))
			dg[nd++] = *q;
	ex = *q ? atoi(q + 1) : 0;
	while (nd > 1 && dg[nd - 1] == '0')
		nd--;
	if (v < 0)
		w += snprintf(o + w, sz - (size_t)w, "-");
	if (ex < -4 || ex >= (f4 ? 6 : 15)) {
		w += snprintf(o + w, sz - (size_t)w, "%c", dg[0]);
		if (nd > 1)
			w += snprintf(o + w, sz - (size_t)w, ".%.*s", nd - 1, dg + 1);
		snprintf(o + w, sz - (size_t)w, "e%c%02d", ex < 0 ? '-' : '+', ex < 0 ? -ex : ex);
	} else if (ex >= 0) {
		for (int i = 0; i <= ex; i++)
			w += snprintf(o + w, sz - (size_t)w, "%c", i < nd ? dg[i] : '0');
		if (nd > ex + 1)
			snprintf(o + w, sz - (size_t)w, ".%.*s", nd - ex - 1, dg + ex + 1);
	} else {
		w += snprintf(o + w, sz - (size_t)w, "0.");
		for (int i = -1; i > ex; i--)
			w += snprintf(o + w, sz - (size_t)w, "0");
		snprintf(o + w, sz - (size_t)w, "%.*s", nd, dg);
	}
}

/* Base-10000 digit i of a numeric (its digits at dg, nd of them, 2 bytes
 * each, already checked); 0 outside them. */
static unsigned pg_digit(const struct adi_cur *dg, unsigned nd, int i)
{
	return i >= 0 && i < (int)nd ? adi_ld_be16(adi_cur_ptr(dg) + 2 * (size_t)i) : 0;
}

/* numeric as the server writes it (get_str_from_var); NULL if malformed. */
static char *pg_numeric(const uint8_t *b, size_t n)
{
	struct adi_cur c = adi_cur_make(b, n);
	uint16_t nd, w16, sign, dscale;
	int weight;
	size_t cap, w = 0;
	char *o;

	if (!adi_cur_be16(&c, &nd) || !adi_cur_be16(&c, &w16) || !adi_cur_be16(&c, &sign) ||
	    !adi_cur_be16(&c, &dscale))
		return NULL;
	weight = (int16_t)w16;
	if (adi_cur_left(&c) != 2 * (size_t)nd)
		return NULL;
	if (sign == 0xc000)
		return strdup("NaN");
	if (sign == 0xd000)
		return strdup("Infinity");
	if (sign == 0xf000)
		return strdup("-Infinity");
	if ((sign != 0 && sign != 0x4000) || dscale > 0x3fff)
		return NULL;
	for (unsigned i = 0; i < nd; i++)
		if (pg_digit(&c, nd, (int)i) > 9999)
			return NULL;
	cap = (weight >= 0 ? 4 * ((size_t)weight + 1) : 1) + dscale + 8;
	if (!(o = malloc(cap)))
		return NULL;
	if (sign == 0x4000)
		o[w++] = '-';
	if (weight < 0) {
		o[w++] = '0';
	} else {
		for (int i = 0; i <= weight; i++)
			w += (size_t)snprintf(o + w, cap - w, i ? "%04u" : "%u", pg_digit(&c, nd, i));
	}
	if (dscale) {
		unsigned done = 0;

		o[w++] = '.';
		for (int i = weight + 1; done < dscale; i++) {
			char four[8];

			snprintf(four, sizeof(four), "%04u", pg_digit(&c, nd, i));
			for (int j = 0; j < 4 && done < dscale; j++, done++)
				o[w++] = four[j];
		}
	}
	o[w] = '\0';
	return o;
}

/* Julian day to the Gregorian calendar (the server's j2date). */
static void pg_j2date(int64_t jd, int *year, int *month, int *day)
{
	uint64_t julian = (uint64_t)jd + 32044, quad, extra;
	int64_t y;

	quad = julian / 146097;
	extra = (julian - quad * 146097) * 4 + 3;
	julian += 60 + quad * 3 + extra / 146097;
	quad = julian / 1461;
	julian -= quad * 1461;
	y = (int64_t)(julian * 4 / 1461);
	julian = (y != 0 ? (julian + 305) % 365 : (julian + 306) % 366) + 123;
	y += (int64_t)quad * 4;
	*year = (int)(y - 4800);
	quad = julian * 2141 / 65536;
	*day = (int)(julian - 7834 * quad / 256);
	*month = (int)((quad + 10) % 12 + 1);
}

#define PG_EPOCH_JDATE 2451545 /* 2000-01-01 */
#define PG_USEC_DAY 86400000000LL

/* "YYYY-MM-DD" of days since 2000-01-01 into o; false out of range.
 * *bc: a year before 1 (written as the server does: year 1 - y, " BC"). */
static bool pg_ymd(int64_t days, char *o, size_t sz, bool *bc)
{
	int64_t jd = days + PG_EPOCH_JDATE;
	int y, m, d;

	if (jd < 0 || jd > 2147483647LL - 100000)
		return false;
	pg_j2date(jd, &y, &m, &d);
	*bc = y <= 0;
	snprintf(o, sz, "%04d-%02d-%02d", *bc ? 1 - y : y, m, d);
	return true;
}

/* "HH:MM:SS[.ffffff]" (trailing zeros of the fraction dropped). */
static void pg_hms(int64_t us, char *o, size_t sz)
{
	int64_t s = us / 1000000, f = us % 1000000;
	int w = snprintf(o, sz, "%02d:%02d:%02d", (int)(s / 3600), (int)(s / 60 % 60),
			 (int)(s % 60));

	if (f) {
		int digits = 6;

		while (f % 10 == 0) {
			f /= 10;
			digits--;
		}
		snprintf(o + w, sz - (size_t)w, ".%0*d", digits, (int)f);
	}
}

/* The fixed-size binary types: each writes the text of b (its exact size,
 * checked) into t[0..sz); false when the value is out of the type's
 * range. */
static bool pg_bin_bool(uint32_t oid, const uint8_t *b, char *t, size_t sz)
{
	(void)oid;
	snprintf(t, sz, "%s", b[0] ? "t" : "f");
	return true;
}

/* int2 21, int4 23, oid 26, int8 20 */
static bool pg_bin_int(uint32_t oid, const uint8_t *b, char *t, size_t sz)
{
	if (oid == 21)
		snprintf(t, sz, "%d", (int16_t)adi_ld_be16(b));
	else if (oid == 23)
		snprintf(t, sz, "%d", (int32_t)adi_ld_be32(b));
	else if (oid == 26)
		snprintf(t, sz, "%u", adi_ld_be32(b));
	else
		snprintf(t, sz, "%lld", (long long)(int64_t)adi_ld_be64(b));
	return true;
}

/* float4 700, float8 701 */
static bool pg_bin_float(uint32_t oid, const uint8_t *b, char *t, size_t sz)
{
	uint32_t u4;
	uint64_t u8;
	float f;
	double d;

	if (oid == 700) {
		u4 = adi_ld_be32(b);
		memcpy(&f, &u4, 4);
		pg_float(f, true, t, sz);
	} else {
		u8 = adi_ld_be64(b);
		memcpy(&d, &u8, 8);
		pg_float(d, false, t, sz);
	}
	return true;
}

static bool pg_bin_uuid(uint32_t oid, const uint8_t *b, char *t, size_t sz)
{
	(void)oid;
	for (int i = 0, w = 0; i < 16; i++)
		w += snprintf(t + w, sz - (size_t)w, "%s%02x",
			      i == 4 || i == 6 || i == 8 || i == 10 ? "-" : "", b[i]);
	return true;
}

static bool pg_bin_date(uint32_t oid, const uint8_t *b, char *t, size_t sz)
{
	int64_t x = (int32_t)adi_ld_be32(b);
	bool bc = false;

	(void)oid;
	if (x == INT32_MIN || x == INT32_MAX)
		snprintf(t, sz, "%s", x < 0 ? "-infinity" : "infinity");
	else if (!pg_ymd(x, t, sz, &bc))
		return false;
	if (bc)
		strcat(t, " BC");
	return true;
}

static bool pg_bin_time(uint32_t oid, const uint8_t *b, char *t, size_t sz)
{
	int64_t x = (int64_t)adi_ld_be64(b);

	(void)oid;
	if (x < 0 || x > PG_USEC_DAY)
		return false;
	pg_hms(x, t, sz);
	return true;
}

/* timestamp and timestamptz (this one in UTC: "+00"). */
static bool pg_bin_timestamp(uint32_t oid, const uint8_t *b, char *t, size_t sz)
{
	int64_t x = (int64_t)adi_ld_be64(b), days, rem;
	char hms[32];
	bool bc = false;

	if (x == INT64_MIN || x == INT64_MAX) {
		snprintf(t, sz, "%s", x < 0 ? "-infinity" : "infinity");
		return true;
	}
	days = x / PG_USEC_DAY;
	rem = x % PG_USEC_DAY;
	if (rem < 0) {
		rem += PG_USEC_DAY;
		days--;
	}
	if (!pg_ymd(days, t, sz, &bc))
		return false;
	pg_hms(rem, hms, sizeof(hms));
	snprintf(t + strlen(t), sz - strlen(t), " %s%s%s", hms, oid == 1184 ? "+00" : "",
		 bc ? " BC" : "");
	return true;
}

static const struct pg_bin_type {
	uint32_t oid;
	size_t size;        /* a value of another size is not of this type */
	bool (*text)(uint32_t oid, const uint8_t *b, char *t, size_t sz);
} pg_bin_types[] = {
	{ 16, 1, pg_bin_bool },       { 21, 2, pg_bin_int },
	{ 23, 4, pg_bin_int },        { 26, 4, pg_bin_int },
	{ 20, 8, pg_bin_int },        { 700, 4, pg_bin_float },
	{ 701, 8, pg_bin_float },     { 2950, 16, pg_bin_uuid },
	{ 1082, 4, pg_bin_date },     { 1083, 8, pg_bin_time },
	{ 1114, 8, pg_bin_timestamp }, { 1184, 8, pg_bin_timestamp },
};

/* A binary value of type oid as text; false (nothing written) when the
 * type is not decoded or the bytes do not fit it. */
static bool pg_w_bin(struct adi_jw *w, uint32_t oid, const uint8_t *b, size_t n, size_t max,
		     bool *trunc)
{
	char t[128];
	char *big;

	switch (oid) {
	case 1700:
		if (!(big = pg_numeric(b, n)))
			return false;
		pg_w_text(w, (const uint8_t *)big, strlen(big), max, trunc);
		free(big);
		return true;
	case 25: case 1043: case 1042: case 19: case 705: case 18: case 114:
		pg_w_text(w, b, n, max, trunc);
		return true;
	case 3802:
		if (n < 1 || b[0] != 1)
			return false;
		pg_w_text(w, b + 1, n - 1, max, trunc);
		return true;
	case 17:
		pg_w_hex(w, b, n, max, trunc);
		return true;
	}
	for (size_t i = 0; i < sizeof(pg_bin_types) / sizeof(*pg_bin_types); i++) {
		const struct pg_bin_type *ty = &pg_bin_types[i];

		if (ty->oid != oid)
			continue;
		t[0] = '\0';
		if (n != ty->size || !ty->text(oid, b, t, sizeof(t)))
			return false;
		pg_w_text(w, (const uint8_t *)t, strlen(t), max, trunc);
		return true;
	}
	return false;
}

/* pg_w_value(): fmt -1 (no Bind seen): the bytes as text when UTF-8, else
 * base64. */
void pg_w_value(struct adi_jw *w, const struct pg_vals *vs, size_t i, uint32_t oid, int fmt,
		size_t max, bool *trunc)
{
	const struct pg_val *v;
	const uint8_t *b;
	size_t n;
	bool whole;

	if (!vs || i >= vs->n || vs->v[i].st == PGV_NULL) {
		adi_jw_null(w);
		return;
	}
	v = &vs->v[i];
	b = vs->b + v->off;
	n = v->len;
	whole = v->st == PGV_WHOLE;
	if (!whole)
		*trunc = true;
	if (fmt != 1) {
		pg_w_text(w, b, n, max, trunc);
		return;
	}
	if (whole && pg_w_bin(w, oid, b, n, max, trunc))
		return;
	if (!whole) { /* cut: text types show their start, bytea its hex */
		if (oid == 17) {
			pg_w_hex(w, b, n, max, trunc);
			return;
		}
		if (oid == 3802 && n && b[0] == 1) {
			pg_w_text(w, b + 1, n - 1, max, trunc);
			return;
		}
		if (oid == 25 || oid == 1043 || oid == 1042 || oid == 19 || oid == 705 ||
		    oid == 114) {
			pg_w_text(w, b, n, max, trunc);
			return;
		}
	}
	pg_w_base64(w, b, n, max, trunc);
}

int pg_fmt_at(const struct pg_list *fmts, size_t i)
{
	size_t n = fmts ? fmts->n : 0;

	if (n != 1 && i >= n)
		return 0;
	return (int32_t)fmts->v[n == 1 ? 0 : i] == 1 ? 1 : 0;
}
