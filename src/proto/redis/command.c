/* command.c - the client direction of the Redis decoder: commands parsed
 * (multibulk arrays of bulk strings, inline lines split as Redis'
 * sdssplitargs does) and understood: the command name with the subcommand
 * of a container folded in ("CONFIG GET"), the arguments that hold
 * secrets, and what stitch must know of it (enum rd_ctl). Owns the argument
 * list and buffer of struct rd_side (freed by fini()).
 */
#include <stdlib.h>
#include <string.h>

#include "rd.h"
#include "../../lib/cursor.h"

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

/* ---- arguments ---- */

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

/* ---- names, subcommands, secrets ---- */

/* A word of a table below, with its length: names are compared length
 * first, as most commands are none of those a table lists. */
struct rd_word {
	const char *s;
	size_t n;
};
#define RD_W(s) { s, sizeof(s) - 1 }

/* name[0..n) is the word w. */
static bool rd_word_is(const char *name, size_t n, struct rd_word w)
{
	return n == w.n && !memcmp(name, w.s, n);
}

/* name[0..n) is the literal s. */
#define RD_NAME_IS(name, n, s) rd_word_is((name), (n), (struct rd_word)RD_W(s))

/* Commands whose first argument is a subcommand, shown as one command
 * ("CONFIG GET"): the container commands of Redis 7 (COMMAND DOCS lists
 * them with subcommands) and SENTINEL. */
static const struct rd_word rd_containers[] = {
	RD_W("ACL"), RD_W("CLIENT"), RD_W("CLUSTER"), RD_W("COMMAND"), RD_W("CONFIG"),
	RD_W("FUNCTION"), RD_W("LATENCY"), RD_W("MEMORY"), RD_W("MODULE"), RD_W("OBJECT"),
	RD_W("PUBSUB"), RD_W("SCRIPT"), RD_W("SENTINEL"), RD_W("SLOWLOG"), RD_W("XGROUP"),
	RD_W("XINFO"),
};
#define RD_N_CONTAINERS (sizeof(rd_containers) / sizeof(rd_containers[0]))

/* Configuration parameters whose values are secrets (CONFIG SET / GET). */
static const char *const rd_secret_params[] = {
	"MASTERAUTH", "REQUIREPASS", "TLS-KEY-FILE-PASS", "TLS-CLIENT-KEY-FILE-PASS",
};
#define RD_N_SECRET_PARAMS (sizeof(rd_secret_params) / sizeof(rd_secret_params[0]))

bool rd_secret_param(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < RD_N_SECRET_PARAMS; i++)
		if (rd_ieq(b, n, rd_secret_params[i]))
			return true;
	return false;
}

/* The command name in name[] (upper case, NUL terminated, *len bytes; ""
 * when the first argument is no word), with its subcommand folded in for
 * a container; returns how many arguments it took (1 or 2). */
static size_t rd_cmd_name(const struct rd_side *sd, char *name, size_t cap, size_t *len)
{
	const struct rd_arg *a;
	size_t n = 0;

	name[0] = '\0';
	*len = 0;
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
	*len = n;
	if (sd->nargs < 2)
		return 1;
	for (size_t i = 0; i < RD_N_CONTAINERS; i++) {
		const struct rd_arg *s = &sd->args[1];

		if (!rd_word_is(name, n, rd_containers[i]))
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
		*len = n;
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
static void rd_secrets(const struct rd_side *sd, const char *name, size_t nlen,
		       size_t words, bool *red)
{
	size_t i;

	if (RD_NAME_IS(name, nlen, "AUTH")) {
		for (i = words; i < sd->nargs; i++)
			red[i] = !(sd->nargs - words == 2 && i == words); /* user stays */
	} else if (RD_NAME_IS(name, nlen, "HELLO")) {
		for (i = words; i + 2 < sd->nargs; i++)
			if (rd_arg_is(sd, i, "AUTH"))
				red[i + 2] = true;
	} else if (RD_NAME_IS(name, nlen, "MIGRATE")) {
		for (i = words; i < sd->nargs; i++) {
			if (rd_arg_is(sd, i, "AUTH") && i + 1 < sd->nargs)
				red[i + 1] = true;
			if (rd_arg_is(sd, i, "AUTH2") && i + 2 < sd->nargs)
				red[i + 2] = true;
		}
	} else if (RD_NAME_IS(name, nlen, "CONFIG SET")) {
		for (i = words; i + 1 < sd->nargs; i += 2) {
			const struct rd_arg *a = &sd->args[i];

			if (rd_secret_param(sd->abuf + a->off, a->kept))
				red[i + 1] = true;
		}
	} else if (RD_NAME_IS(name, nlen, "ACL SETUSER")) {
		for (i = words + 1; i < sd->nargs; i++) {
			const struct rd_arg *a = &sd->args[i];

			if (a->kept && strchr("<>#!", sd->abuf[a->off]))
				red[i] = true;
		}
	} else if (RD_NAME_IS(name, nlen, "SENTINEL SET")) {
		for (i = words + 1; i + 1 < sd->nargs; i += 2)
			if (rd_arg_is(sd, i, "AUTH-PASS"))
				red[i + 1] = true;
	}
}

static int rd_ctl_of(const struct rd_side *sd, const char *name, size_t nlen, size_t words)
{
	static const struct { struct rd_word w; int ctl; } t[] = {
		{ RD_W("SUBSCRIBE"), RD_C_SUB }, { RD_W("PSUBSCRIBE"), RD_C_PSUB },
		{ RD_W("SSUBSCRIBE"), RD_C_SSUB }, { RD_W("UNSUBSCRIBE"), RD_C_UNSUB },
		{ RD_W("PUNSUBSCRIBE"), RD_C_PUNSUB }, { RD_W("SUNSUBSCRIBE"), RD_C_SUNSUB },
		{ RD_W("HELLO"), RD_C_HELLO }, { RD_W("MONITOR"), RD_C_MONITOR },
		{ RD_W("RESET"), RD_C_RESET }, { RD_W("CONFIG GET"), RD_C_CONFIG_GET },
	};

	if (RD_NAME_IS(name, nlen, "CLIENT REPLY") && sd->nargs == words + 1) {
		if (rd_arg_is(sd, words, "ON"))
			return RD_C_REPLY_ON;
		if (rd_arg_is(sd, words, "OFF"))
			return RD_C_REPLY_OFF;
		if (rd_arg_is(sd, words, "SKIP"))
			return RD_C_REPLY_SKIP;
		return RD_C_NONE;
	}
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (rd_word_is(name, nlen, t[i].w))
			return t[i].ctl;
	return RD_C_NONE;
}

/* The command message (enum rd_cmem in its f: "command", "args"; struct
 * rd_meta in its aux). Arguments are cut to --body-bytes, secrets redacted
 * unless show_secrets. */
static void rd_cmd_write(struct rd_side *sd, const struct adi_proto_cfg *cfg,
			 struct adi_msg *out)
{
	struct adi_jw *w = &out->f;
	bool red[RD_MAX_ITEMS];
	char name[2 * RD_MAX_WORD + 2];
	size_t nlen, words = rd_cmd_name(sd, name, sizeof(name), &nlen);
	const struct rd_arg *a0 = sd->nargs ? &sd->args[0] : NULL;
	struct rd_meta meta;

	/* room for it all at once: the kept bytes and a little per argument */
	if (adi_jw_reserve(w, sd->alen + 8 * sd->nargs + 96))
		return;
	memset(red, 0, sd->nargs * sizeof(red[0]));
	adi_jw_key(w, "command");
	if (!a0)
		adi_jw_null(w);
	else if (name[0])
		adi_jw_str(w, name);
	else /* not a word: shown as sent (cut like any argument) */
		adi_jw_bytes(w, sd->abuf + a0->off, rd_min(a0->kept, RD_NAME_KEEP));
	if (a0 && !name[0] && a0->len > rd_min(a0->kept, RD_NAME_KEEP))
		sd->truncated = true;
	if (words > sd->nargs)
		words = sd->nargs;
	if (!cfg->show_secrets)
		rd_secrets(sd, name, nlen, words, red);
	adi_jw_karr(w, "args");
	for (size_t i = words; i < sd->nargs; i++) {
		const struct rd_arg *a = &sd->args[i];
		size_t k = rd_min(a->kept, cfg->body_bytes);

		if (red[i]) {
			adi_jw_str(w, "<redacted>");
			continue;
		}
		if (a->len > k)
			sd->truncated = true;
		adi_jw_bytes(w, sd->abuf + a->off, k);
	}
	adi_jw_arr_end(w);
	meta.truncated = sd->truncated;
	meta.lost = sd->lost;
	meta.ctl = (uint64_t)rd_ctl_of(sd, name, nlen, words);
	meta.num = sd->argn > words ? sd->argn - words : 0;
	rd_meta_put(out, &meta);
}

/* ---- parsing ---- */

/* Finish the command in progress into out (FRAME): its arguments so far;
 * cut: bytes of it are missing (a gap, the end of the stream). */
void rd_cmd_finish(struct rd_side *sd, const struct adi_proto_cfg *cfg,
		   struct adi_msg *out, bool cut)
{
	if (cut) {
		if (sd->phase == RD_DATA || sd->phase == RD_CRLF)
			rd_arg_add(sd, sd->keep, sd->keep_len, sd->blen);
		if (sd->phase != RD_HDR || sd->argn < sd->argc)
			sd->truncated = true;
	}
	out->kind = REDIS_CMD;
	rd_cmd_write(sd, cfg, out);
	out->incomplete = cut;
	sd->lost = 0;
	rd_msg_reset(sd);
}

/* Past the closing quote at p[*i]: true when a blank or the end follows. */
static bool rd_quote_close(const uint8_t *p, size_t n, size_t *i)
{
	++*i;
	return *i == n || p[*i] == ' ' || p[*i] == '\t';
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
				    adi_hexval(p[i + 2]) >= 0 && adi_hexval(p[i + 3]) >= 0) {
					w[k++] = (uint8_t)(adi_hexval(p[i + 2]) << 4 |
							   adi_hexval(p[i + 3]));
					i += 4;
				} else if (p[i] == '\\' && i + 1 < n) {
					uint8_t c = p[i + 1];

					w[k++] = c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' :
						 c == 'b' ? '\b' : c == 'a' ? '\a' : c;
					i += 2;
				} else if (p[i] == '"') {
					if (!rd_quote_close(p, n, &i))
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
					if (!rd_quote_close(p, n, &i))
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
enum adi_parse rd_parse_cmd(struct rd_side *sd, const struct adi_proto_cfg *cfg,
			    const uint8_t *b, size_t n, size_t *used, struct adi_msg *out)
{
	size_t pos = 0, len, lim = cfg->body_bytes > RD_NAME_KEEP ? cfg->body_bytes : RD_NAME_KEEP;
	int64_t v;
	enum rd_sl s;

	for (;;) {
		if (pos == n)
			goto wait;
		switch (sd->phase) {
		case RD_HDR:
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
		case RD_CRLF:
			s = rd_bulk_step(sd, b, n, &pos);
			if (s == RD_SL_PARTIAL)
				goto wait;
			if (s == RD_SL_BAD)
				goto error;
			rd_arg_add(sd, sd->keep, sd->keep_len, sd->blen);
			if (++sd->argn == sd->argc) {
				rd_cmd_finish(sd, cfg, out, false);
				*used = pos;
				return ADI_PARSE_FRAME;
			}
			break;
		}
	}
wait:
	return rd_stop(pos, used, false);
error:
	/* what was good is consumed; the next call starts at the error */
	return rd_stop(pos, used, true);
}

