/* decimal.c - the MongoDB decoder's decimal texts of doubles, as printf
 * writes them but computed in 128-bit integers from the double's exact
 * value: the length of libbson's "%.20g" (what the bound counts), whether
 * the event writer's 3-decimal text reads back as the double, and the
 * shortest of "%.15g" .. "%.17g" that does (the canonical form shown for
 * a double the writer would round). printf and strtod remain for what the
 * integers cannot hold. Each checked against printf and strtod on tens of
 * millions of random doubles. Owns nothing.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mg.h"

/* 5^0 .. 5^27 (5^27 < 2^63). */
static const uint64_t dc_pow5[28] = {
	1ull, 5ull, 25ull, 125ull, 625ull, 3125ull, 15625ull, 78125ull, 390625ull,
	1953125ull, 9765625ull, 48828125ull, 244140625ull, 1220703125ull,
	6103515625ull, 30517578125ull, 152587890625ull, 762939453125ull,
	3814697265625ull, 19073486328125ull, 95367431640625ull, 476837158203125ull,
	2384185791015625ull, 11920928955078125ull, 59604644775390625ull,
	298023223876953125ull, 1490116119384765625ull, 7450580596923828125ull,
};

/* |d| (finite, not 0) rounded to 20 significant digits, as printf does:
 * *hi * 10^10 + *lo in [10^19, 10^20) and the decimal exponent *x of its
 * first digit. Exact integer arithmetic: |d| = m * 2^q, times 10^k =
 * m * 5^k * 2^(q+k), rounded at the binary point. False where that does
 * not fit 128 bits (|d| below about 1e-8 or from 1e20) and on an exact tie
 * (printf has its own rule for those): the caller asks printf. */
static bool dc_d20(double d, uint64_t *hi, uint64_t *lo, int *x)
{
	const unsigned __int128 e19 = (unsigned __int128)10000000000000000000ull;
	int b, q, xx;
	uint64_t m = (uint64_t)ldexp(frexp(fabs(d), &b), 53);

	q = b - 53;
	/* 2^(b-1) <= |d| < 2^b: x is this or one more */
	xx = (int)floor((b - 1) * 0.30102999566398119521);
	for (int tries = 0; tries < 3; tries++) {
		int k = 19 - xx, s = q + k;
		unsigned __int128 p, n;

		if (k < 0 || k > 27)
			return false;
		p = (unsigned __int128)m * dc_pow5[k];
		if (s >= 0) {
			if (s > 8)
				return false;
			n = p << s;
		} else {
			unsigned __int128 rem, half;

			s = -s;
			if (s > 120)
				return false;
			n = p >> s;
			rem = p - (n << s);
			half = (unsigned __int128)1 << (s - 1);
			if (rem == half)
				return false;
			if (rem > half)
				n++;
		}
		if (n >= e19 * 10) {
			xx++;
			continue;
		}
		if (n < e19) {
			xx--;
			continue;
		}
		*hi = (uint64_t)(n / 10000000000ull);
		*lo = (uint64_t)(n % 10000000000ull);
		*x = xx;
		return true;
	}
	return false;
}

/* Trailing zeros of v (not 0) in decimal. */
static int dc_tz(uint64_t v)
{
	int n = 0;

	while (v % 10 == 0) {
		v /= 10;
		n++;
	}
	return n;
}

/* The length of printf's "%.20g" of a finite d, plus the ".0" libbson
 * adds when that has no '.' or exponent. By hand (dc_d20, then %g's
 * layout: fixed for exponents -4..19, trailing zeros dropped), else
 * printf itself. */
size_t mg_dbl_g20_len(double d)
{
	char b[48];
	uint64_t hi, lo;
	size_t neg = signbit(d) ? 1 : 0;
	int k, x, sd;

	if (d == 0)
		return neg + 3; /* "0.0" */
	if (dc_d20(d, &hi, &lo, &x)) {
		sd = 20 - (lo ? dc_tz(lo) : 10 + dc_tz(hi)); /* significant digits */
		if (x < -4 || x >= 20) /* d[.ddd]e-0X */
			return neg + 1 + (sd > 1 ? (size_t)sd : 0) + 4;
		if (x < 0) /* 0.000ddd */
			return neg + 2 + (size_t)(-x - 1) + (size_t)sd;
		/* ddd[.ddd], or ddd and libbson's ".0" */
		return neg + (size_t)x + 1 + (sd > x + 1 ? 1 + (size_t)(sd - x - 1) : 2);
	}
	k = snprintf(b, sizeof(b), "%.20g", d);
	if (k < 0)
		return 0;
	return (size_t)k + (strspn(b, "0123456789-") == (size_t)k ? 2 : 0);
}

/* Whether the event writer's text t of a finite, non-integer d reads back
 * as d (strtod(t) == d). Its usual form "[-]ddd.d[d[d]]" is the decimal
 * m/1000: while m fits 53 bits, m / 1000.0 rounds it as strtod does (both
 * correctly), without the strtod; any other text goes through strtod. */
bool mg_dbl_reads_back(const char *t, double d)
{
	const char *p = t + (*t == '-');
	uint64_t m = 0;
	int nd = 0, fd = 0;

	for (; *p >= '0' && *p <= '9'; p++, nd++) {
		if (nd == 15)
			return strtod(t, NULL) == d;
		m = m * 10 + (uint64_t)(*p - '0');
	}
	if (!nd || *p++ != '.')
		return strtod(t, NULL) == d;
	for (; *p >= '0' && *p <= '9'; p++, fd++) {
		if (fd == 3)
			return strtod(t, NULL) == d;
		m = m * 10 + (uint64_t)(*p - '0');
	}
	if (*p || !fd)
		return strtod(t, NULL) == d;
	for (; fd < 3; fd++)
		m *= 10;
	if (m > (1ull << 53))
		return strtod(t, NULL) == d;
	return (*t == '-' ? -(double)m : (double)m) / 1000.0 == d;
}

/* The sign of a * 2^ea - b * 2^eb: both brought to the smaller exponent;
 * a side that would not fit 128 bits then is the larger. */
static int dc_cmp(unsigned __int128 a, int ea, unsigned __int128 b, int eb)
{
	const unsigned __int128 max = ~(unsigned __int128)0;

	if (ea > eb) {
		int s = ea - eb;

		if (a && (s >= 128 || a > max >> s))
			return 1;
		a <<= s;
	} else if (eb > ea) {
		int s = eb - ea;

		if (b && (s >= 128 || b > max >> s))
			return -1;
		b <<= s;
	}
	return a > b ? 1 : a < b ? -1 : 0;
}

/* The decimal q * 10^j reads back (round to nearest, ties to even) as
 * the normal double d: it lies between the midpoints to d's neighbours.
 * Both sides times 10^-j when j < 0, so all stays integer (|j| <= 27:
 * dc_pow5; below 2^117 before the shifts). */
static bool dc_nearest(double d, uint64_t q, int j)
{
	int b, k = j < 0 ? -j : 0, t;
	uint64_t m = (uint64_t)ldexp(frexp(fabs(d), &b), 53);
	unsigned __int128 da = q, p5 = dc_pow5[k], up = 2 * (unsigned __int128)m + 1, lo;
	int de = 0, lo_t, c;

	if (j > 0) {
		da *= dc_pow5[j];
		de = j;
	}
	t = b - 53 - 1 + k;         /* the midpoints' power of 2 */
	if (m == 1ull << 52) {      /* a binade's first: the neighbour below is nearer */
		lo = 4 * (unsigned __int128)m - 1;
		lo_t = t - 1;
	} else {
		lo = 2 * (unsigned __int128)m - 1;
		lo_t = t;
	}
	c = dc_cmp(da, de, up * p5, t);
	if (c > 0 || (c == 0 && (m & 1)))
		return false;
	c = dc_cmp(da, de, lo * p5, lo_t);
	return c > 0 || (c == 0 && !(m & 1));
}

/* printf's "%.<p>g" of d for the first p of 15, 16, 17 whose text reads
 * back as d (the canonical form of a double the writer would round), by
 * hand: each p-digit rounding from the exact 20-digit one (exact unless
 * its dropped digits are exactly a half), read back by dc_nearest, laid
 * out as %g does (fixed for exponents -4..p-1, trailing zeros dropped).
 * False (printf decides) where dc_d20 cannot help, or on that half. */
static bool dc_shortest(double d, char *out)
{
	static const uint64_t p10[] = { 1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull };
	uint64_t hi, lo;
	int x;

	/* normal doubles only; dc_d20's exponents (-8..19) keep each try's
	 * power of ten within dc_nearest's */
	if (fabs(d) < 0x1p-1022 || !dc_d20(d, &hi, &lo, &x) || x < -8)
		return false;
	for (int p = 15; p <= 17; p++) {
		unsigned __int128 n = (unsigned __int128)hi * 10000000000ull + lo;
		uint64_t div = p10[20 - p], q = (uint64_t)(n / div), r = (uint64_t)(n % div);
		uint64_t top = 1;
		int xp = x, sd;
		char dig[24], *o = out;

		if (r == div / 2)
			return false;
		if (r > div / 2)
			q++;
		for (int i = 0; i < p; i++)
			top *= 10;
		if (q == top) { /* 9.99... rounded up to 10.0 */
			q /= 10;
			xp++;
		}
		if (!dc_nearest(d, q, xp - (p - 1)))
			continue;
		for (int i = p - 1; i >= 0; i--, q /= 10)
			dig[i] = (char)('0' + q % 10);
		for (sd = p; dig[sd - 1] == '0'; sd--)
			;
		if (signbit(d))
			*o++ = '-';
		if (xp < -4 || xp >= p) {
			*o++ = dig[0];
			if (sd > 1) {
				*o++ = '.';
				memcpy(o, dig + 1, (size_t)sd - 1);
				o += sd - 1;
			}
			o += sprintf(o, "e%c%02d", xp < 0 ? '-' : '+', xp < 0 ? -xp : xp);
		} else if (xp >= 0) {
			memcpy(o, dig, (size_t)xp + 1);
			o += xp + 1;
			if (sd > xp + 1) {
				*o++ = '.';
				memcpy(o, dig + xp + 1, (size_t)(sd - xp - 1));
				o += sd - xp - 1;
			}
		} else {
			*o++ = '0';
			*o++ = '.';
			for (int i = 0; i < -xp - 1; i++)
				*o++ = '0';
			memcpy(o, dig, (size_t)sd);
			o += sd;
		}
		*o = '\0';
		return true;
	}
	return false;
}

/* mg_dbl_canonical(): see mg.h. */
void mg_dbl_canonical(double d, char *out)
{
	if (dc_shortest(d, out))
		return;
	for (int p = 15; p <= 17; p++) {
		snprintf(out, MG_DBL_TEXT, "%.*g", p, d);
		if (strtod(out, NULL) == d)
			break;
	}
}
