/* fp_keys.c - fingerprints built from the parts of a name (fingerprint.h,
 * docs/insight.md): HTTP route templates (path segments that are ids become
 * ":id") and Redis key patterns (parts that are ids become '*'), with the
 * table of which arguments of a Redis command are keys. Owns no state.
 */
#include "fingerprint.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool all_digits(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

static bool is_uuid(const char *s, size_t n)
{
	if (n != 36)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	}
	return true;
}

/* 8 or more hex digits with at least one decimal digit: hashes, Mongo
 * ObjectIds, hex tokens -- not English words made of a to f. */
static bool is_hex_id(const char *s, size_t n)
{
	bool digit = false;

	if (n < 8)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return false;
		digit |= isdigit((unsigned char)s[i]) != 0;
	}
	return digit;
}

bool adi_fp_is_id(const char *s, size_t n)
{
	return all_digits(s, n) || is_uuid(s, n) || is_hex_id(s, n);
}

/* A segment with an extension ("42.json", "a1b2c3d4.png"): the stem is
 * the id, the extension (1..5 letters or digits after the last '.') stays. */
static size_t id_stem(const char *s, size_t n)
{
	const char *dot = memrchr(s, '.', n);
	size_t stem, ext;

	if (adi_fp_is_id(s, n))
		return n;
	if (!dot)
		return 0;
	stem = (size_t)(dot - s);
	ext = n - stem - 1;
	if (!stem || !ext || ext > 5)
		return 0;
	for (size_t i = stem + 1; i < n; i++)
		if (!isalnum((unsigned char)s[i]))
			return 0;
	return adi_fp_is_id(s, stem) ? stem : 0;
}

void adi_fp_route(const char *url, size_t n, struct adi_sb *out)
{
	const char *p = url, *end;
	size_t start = out->len;

	if (!url)
		n = 0;
	/* absolute form (a proxy's request, a client that sends it):
	 * scheme://authority dropped */
	for (size_t i = 0; i + 2 < n && i < 16; i++) {
		if (url[i] == ':' && url[i + 1] == '/' && url[i + 2] == '/') {
			const char *slash = memchr(url + i + 3, '/', n - i - 3);

			p = slash ? slash : url + n;
			break;
		}
		if (!isalpha((unsigned char)url[i]) && url[i] != '+' && url[i] != '-' &&
		    url[i] != '.')
			break;
	}
	end = p;
	while (end < url + n && *end != '?' && *end != '#')
		end++;
	while (p < end) {
		const char *seg, *next;
		size_t sn, stem;

		if (*p == '/') {
			adi_sb_putc(out, '/');
			p++;
			continue;
		}
		seg = p;
		next = memchr(p, '/', (size_t)(end - p));
		next = next ? next : end;
		sn = (size_t)(next - seg);
		stem = id_stem(seg, sn);
		if (stem) {
			adi_sb_puts(out, ":id");
			adi_sb_put(out, seg + stem, sn - stem);
		} else {
			adi_sb_put(out, seg, sn);
		}
		p = next;
	}
	if (out->len == start)
		adi_sb_putc(out, '/');
}

/* A part of a key that is a date or a time in digits (2024-01-31,
 * 20240131T120000): digits with at most '-', ':' or 'T' between them. */
static bool digitish(const char *s, size_t n)
{
	size_t digits = 0;

	for (size_t i = 0; i < n; i++) {
		if (isdigit((unsigned char)s[i]))
			digits++;
		else if (s[i] != '-' && s[i] != 'T')
			return false;
	}
	return digits * 2 > n;
}

static bool key_sep(char c)
{
	return c && strchr(":/.|#=,", c);
}

/* A part between separators: an id whole, else its pieces between '-'
 * and '_' (session_1234 -> session_*). */
static void key_part(const char *s, size_t n, struct adi_sb *out)
{
	size_t i = 0;

	if (adi_fp_is_id(s, n) || (n && digitish(s, n) && isdigit((unsigned char)s[0]))) {
		adi_sb_putc(out, '*');
		return;
	}
	while (i < n) {
		size_t j = i;

		while (j < n && s[j] != '-' && s[j] != '_')
			j++;
		if (j > i && adi_fp_is_id(s + i, j - i))
			adi_sb_putc(out, '*');
		else
			adi_sb_put(out, s + i, j - i);
		if (j < n)
			adi_sb_putc(out, s[j]);
		i = j + 1;
	}
}

void adi_fp_key_pattern(const char *key, size_t n, struct adi_sb *out)
{
	size_t i = 0;

	while (i <= n) {
		size_t j = i;

		while (j < n && !key_sep(key[j]))
			j++;
		key_part(key + i, j - i, out);
		if (j < n)
			adi_sb_putc(out, key[j]);
		i = j + 1;
	}
}

/* Which arguments of a command are keys: from `first` (0-based), every
 * `step`-th, up to `last` counted from the end (0: to the last argument,
 * 1: all but the last...); first < 0: no keys. */
struct key_spec {
	const char *cmd;
	int first, step, last;
};

/* Sorted by name (bsearch); a command not here has its first argument as
 * its key (GET, SET, HGET, LPUSH, EXPIRE, INCR, ZADD and most others). */
static const struct key_spec adi_redis_keys[] = {
	{ "ACL", -1, 0, 0 }, { "AUTH", -1, 0, 0 }, { "BGSAVE", -1, 0, 0 },
	{ "BLMPOP", -1, 0, 0 }, { "BLPOP", 0, 1, 1 }, { "BRPOP", 0, 1, 1 },
	{ "BZPOPMAX", 0, 1, 1 }, { "BZPOPMIN", 0, 1, 1 }, { "CLIENT", -1, 0, 0 },
	{ "CLUSTER", -1, 0, 0 }, { "COMMAND", -1, 0, 0 }, { "CONFIG", -1, 0, 0 },
	{ "DBSIZE", -1, 0, 0 }, { "DEL", 0, 1, 0 }, { "DISCARD", -1, 0, 0 },
	{ "ECHO", -1, 0, 0 }, { "EVAL", -2, 0, 0 }, { "EVAL_RO", -2, 0, 0 },
	{ "EVALSHA", -2, 0, 0 }, { "EVALSHA_RO", -2, 0, 0 }, { "EXEC", -1, 0, 0 },
	{ "EXISTS", 0, 1, 0 }, { "FCALL", -2, 0, 0 }, { "FCALL_RO", -2, 0, 0 },
	{ "FLUSHALL", -1, 0, 0 }, { "FLUSHDB", -1, 0, 0 }, { "FUNCTION", -1, 0, 0 },
	{ "HELLO", -1, 0, 0 }, { "INFO", -1, 0, 0 }, { "KEYS", -1, 0, 0 },
	{ "LASTSAVE", -1, 0, 0 }, { "LATENCY", -1, 0, 0 }, { "MEMORY", -1, 0, 0 },
	{ "MGET", 0, 1, 0 }, { "MONITOR", -1, 0, 0 }, { "MSET", 0, 2, 0 },
	{ "MSETNX", 0, 2, 0 }, { "MULTI", -1, 0, 0 }, { "PFCOUNT", 0, 1, 0 },
	{ "PING", -1, 0, 0 }, { "PSUBSCRIBE", -1, 0, 0 }, { "PUBLISH", -1, 0, 0 },
	{ "PUNSUBSCRIBE", -1, 0, 0 }, { "QUIT", -1, 0, 0 }, { "READONLY", -1, 0, 0 },
	{ "READWRITE", -1, 0, 0 }, { "RESET", -1, 0, 0 }, { "ROLE", -1, 0, 0 },
	{ "SAVE", -1, 0, 0 }, { "SCAN", -1, 0, 0 }, { "SCRIPT", -1, 0, 0 },
	{ "SDIFF", 0, 1, 0 }, { "SELECT", -1, 0, 0 }, { "SINTER", 0, 1, 0 },
	{ "SLOWLOG", -1, 0, 0 }, { "SPUBLISH", -1, 0, 0 }, { "SSUBSCRIBE", -1, 0, 0 },
	{ "SUBSCRIBE", -1, 0, 0 }, { "SUNION", 0, 1, 0 }, { "SWAPDB", -1, 0, 0 },
	{ "TIME", -1, 0, 0 }, { "TOUCH", 0, 1, 0 }, { "UNLINK", 0, 1, 0 },
	{ "UNSUBSCRIBE", -1, 0, 0 }, { "UNWATCH", -1, 0, 0 }, { "WAIT", -1, 0, 0 },
	{ "WATCH", 0, 1, 0 },
};

static int spec_cmp(const void *k, const void *e)
{
	return strcasecmp(k, ((const struct key_spec *)e)->cmd);
}

/* The distinct patterns written so far: (offset, length) in out. */
struct pats {
	size_t off[3], len[3];
	size_t n;
	bool more;
};

static void add_key(struct adi_sb *out, struct pats *ps, const struct adi_slice *k)
{
	size_t at = out->len;

	if (ps->n == 3) {
		ps->more = true;
		return;
	}
	adi_sb_putc(out, ' ');
	adi_fp_key_pattern(k->s, k->n, out);
	if (out->err)
		return;
	for (size_t i = 0; i < ps->n; i++) {
		if (ps->len[i] == out->len - at &&
		    !memcmp(out->p + ps->off[i], out->p + at, ps->len[i])) {
			out->len = at; /* seen: take it back */
			out->p[at] = '\0';
			return;
		}
	}
	ps->off[ps->n] = at;
	ps->len[ps->n++] = out->len - at;
}

void adi_fp_redis(const char *cmd, const struct adi_slice *args, size_t nargs,
		  struct adi_sb *out, uint64_t *params)
{
	const struct key_spec *ks;
	struct key_spec def = { NULL, 0, 0, -1 };
	struct pats ps = { { 0 }, { 0 }, 0, false };
	char word[32];
	size_t wn;
	uint64_t h = ADI_HASH0;

	for (size_t i = 0; i < nargs; i++)
		h = adi_hash(adi_hash(h, args[i].s, args[i].n), "", 1);
	if (params)
		*params = h;
	adi_sb_puts(out, cmd ? cmd : "?");
	if (!cmd)
		return;
	/* "CLIENT SETNAME": the table knows the first word */
	wn = strcspn(cmd, " ");
	if (wn >= sizeof(word))
		wn = sizeof(word) - 1;
	memcpy(word, cmd, wn);
	word[wn] = '\0';
	ks = bsearch(word, adi_redis_keys, sizeof(adi_redis_keys) / sizeof(adi_redis_keys[0]),
		     sizeof(adi_redis_keys[0]), spec_cmp);
	if (!ks)
		ks = &def;
	if (ks->first == -1)
		return;
	if (ks->first == -2) {
		/* EVAL script|sha numkeys key... arg...: the script is the
		 * operation; its keys follow numkeys */
		size_t nk = 0;

		if (nargs >= 1) {
			adi_sb_putc(out, ' ');
			adi_sb_put(out, args[0].s, args[0].n < 64 ? args[0].n : 64);
		}
		for (size_t i = 0; nargs >= 2 && i < args[1].n && isdigit((unsigned char)args[1].s[i]); i++)
			nk = nk * 10 + (size_t)(args[1].s[i] - '0');
		for (size_t i = 2; i < nargs && i < 2 + nk; i++)
			add_key(out, &ps, &args[i]);
	} else if (ks->last < 0) {
		if (nargs)
			add_key(out, &ps, &args[0]);
	} else {
		for (size_t i = (size_t)ks->first; i + (size_t)ks->last < nargs; i += (size_t)ks->step)
			add_key(out, &ps, &args[i]);
	}
	if (ps.more)
		adi_sb_puts(out, " ...");
}
