/* text.c - memcached's text protocol (and its meta commands) for the
 * memcached decoder: command lines with the data of storage commands, and
 * replies: status lines, VALUE items until END, STAT lines until END, VA
 * with its data. Writes each message into its side's writer as it comes.
 * Owns nothing: lines are borrowed, data goes through memcached.c.
 * Protocol: https://github.com/memcached/memcached/blob/master/doc/protocol.txt
 *
 *   command:  <name> <word>* [noreply]\r\n  [<data: bytes>\r\n]
 *   reply:    STORED\r\n | VALUE <key> <flags> <bytes> [<cas>]\r\n<data>\r\n ... END\r\n
 *             | STAT <name> <value>\r\n ... END\r\n | VA <bytes> <flag>*\r\n<data>\r\n | ...
 */
#include <string.h>

#include "mc.h"
#include "../../lib/cursor.h"

/* What a command's words mean (memcached's process_command). */
enum mc_cls {
	MC_C_OTHER,   /* stats, flush_all, version, verbosity, unknown...: words are args */
	MC_C_STORE,   /* set add replace append prepend: key flags exptime bytes [noreply] */
	MC_C_CAS,     /* cas: key flags exptime bytes cas [noreply] */
	MC_C_GET,     /* get gets: key+ */
	MC_C_GAT,     /* gat gats: exptime key+ */
	MC_C_KEY,     /* delete incr decr touch: key word* [noreply] */
	MC_C_META,    /* mg md ma me: key flag* */
	MC_C_MS,      /* ms: key datalen flag* (data follows) */
	MC_C_MN,      /* mn */
	MC_C_QUIT,    /* quit: the server closes, no reply */
};

static const struct {
	const char *name;
	uint8_t cls;
} mc_cmds[] = {
	{ "get", MC_C_GET }, { "gets", MC_C_GET }, { "set", MC_C_STORE }, { "add", MC_C_STORE },
	{ "replace", MC_C_STORE }, { "append", MC_C_STORE }, { "prepend", MC_C_STORE },
	{ "cas", MC_C_CAS }, { "delete", MC_C_KEY }, { "incr", MC_C_KEY }, { "decr", MC_C_KEY },
	{ "touch", MC_C_KEY }, { "gat", MC_C_GAT }, { "gats", MC_C_GAT }, { "mg", MC_C_META },
	{ "md", MC_C_META }, { "ma", MC_C_META }, { "me", MC_C_META }, { "ms", MC_C_MS },
	{ "mn", MC_C_MN }, { "stats", MC_C_OTHER }, { "flush_all", MC_C_OTHER },
	{ "version", MC_C_OTHER }, { "verbosity", MC_C_OTHER }, { "quit", MC_C_QUIT },
	{ "shutdown", MC_C_OTHER }, { "cache_memlimit", MC_C_OTHER },
	{ "lru_crawler", MC_C_OTHER }, { "slabs", MC_C_OTHER }, { "watch", MC_C_OTHER },
	{ "lru", MC_C_OTHER }, { "misbehave", MC_C_OTHER },
};
#define MC_NCMDS (sizeof(mc_cmds) / sizeof(mc_cmds[0]))

/* Reply keywords a reply line may start with (besides digits). */
static const char *const mc_replies[] = {
	"STORED", "NOT_STORED", "EXISTS", "NOT_FOUND", "DELETED", "TOUCHED", "END", "OK",
	"ERROR", "CLIENT_ERROR", "SERVER_ERROR", "VERSION", "VALUE", "STAT", "ITEM", "VA",
	"HD", "EN", "NF", "NS", "EX", "MN", "ME", "RESET", "BUSY", "BADCLASS", "NOSPARE",
	"NOTFULL", "UNSAFE", "SAME",
};
#define MC_NREPLIES (sizeof(mc_replies) / sizeof(mc_replies[0]))

/* A word of a line: memcached splits on spaces alone. */
struct mc_word {
	const uint8_t *p;
	size_t n;
};

/* The words of s[0..n) (at most max); how many. */
static size_t mc_split(const uint8_t *s, size_t n, struct mc_word *w, size_t max)
{
	size_t k = 0, i = 0;

	while (i < n && k < max) {
		while (i < n && s[i] == ' ')
			i++;
		if (i == n)
			break;
		size_t start = i;

		while (i < n && s[i] != ' ')
			i++;
		w[k].p = s + start;
		w[k].n = i - start;
		k++;
	}
	return k;
}

static bool mc_is(const struct mc_word *w, const char *s)
{
	size_t l = strlen(s);

	return w->n == l && !memcmp(w->p, s, l);
}

/* An unsigned decimal of at most 20 digits that fits 64 bits. */
static bool mc_num(const struct mc_word *w, uint64_t *v)
{
	uint64_t x = 0;

	if (!w->n || w->n > 20)
		return false;
	for (size_t i = 0; i < w->n; i++) {
		if (!mc_digit(w->p[i]) || x > (UINT64_MAX - (w->p[i] - '0')) / 10)
			return false;
		x = x * 10 + (uint64_t)(w->p[i] - '0');
	}
	*v = x;
	return true;
}

/* A signed decimal (exptime may be negative: expired at once). */
static bool mc_snum(const struct mc_word *w, int64_t *v)
{
	struct mc_word u = *w;
	uint64_t x;
	bool neg = u.n && u.p[0] == '-';

	if (neg) {
		u.p++;
		u.n--;
	}
	if (!mc_num(&u, &x) || x > INT64_MAX)
		return false;
	*v = neg ? -(int64_t)x : (int64_t)x;
	return true;
}

/* A key: 1..250 bytes, no control character (memcached's rule). */
static bool mc_key_ok(const struct mc_word *w)
{
	if (!w->n || w->n > MC_MAX_KEY)
		return false;
	for (size_t i = 0; i < w->n; i++)
		if (w->p[i] < 0x21 || w->p[i] == 0x7f)
			return false;
	return true;
}

static int mc_cmd_class(const struct mc_word *w)
{
	for (size_t i = 0; i < MC_NCMDS; i++)
		if (mc_is(w, mc_cmds[i].name))
			return (int)mc_cmds[i].cls;
	return -1;
}

static void mc_words(struct adi_jw *w, const char *k, const struct mc_word *x, size_t n)
{
	adi_jw_karr(w, k);
	for (size_t i = 0; i < n; i++)
		adi_jw_bytes(w, x[i].p, x[i].n);
	adi_jw_arr_end(w);
}

/* The numbers of a storage command: words 2.. flags exptime bytes [cas]. */
struct mc_store {
	uint64_t flags, bytes, cas;
	int64_t exptime;
};

static bool mc_store_args(const struct mc_word *wd, size_t nw, bool cas, struct mc_store *s)
{
	size_t need = cas ? 6 : 5;

	if (nw < need || nw > need + 1 || !mc_key_ok(&wd[1]) || !mc_num(&wd[2], &s->flags) ||
	    !mc_snum(&wd[3], &s->exptime) || !mc_num(&wd[4], &s->bytes) || s->bytes > MC_MAX_DATA)
		return false;
	if (cas && !mc_num(&wd[5], &s->cas))
		return false;
	return nw == need || mc_is(&wd[need], "noreply");
}

int mc_text_cmd_start(const uint8_t *b, size_t n)
{
	struct mc_word wd[MC_MAX_WORDS];
	struct mc_store s;
	size_t len, eol, nw, i;
	int cls;

	for (i = 0; i < n && i < 16 && ((b[i] >= 'a' && b[i] <= 'z') || b[i] == '_'); i++)
		;
	if (!i || (i < n && b[i] != ' ' && b[i] != '\r' && b[i] != '\n'))
		return 0;
	if (!adi_line(b, n < MC_MAX_LINE ? n : MC_MAX_LINE, &len, &eol)) {
		/* no line end yet: a known command word, or while the word
		 * goes on a prefix of one */
		for (size_t k = 0; k < MC_NCMDS; k++) {
			size_t l = strlen(mc_cmds[k].name);

			if (i == n ? l >= i && !memcmp(mc_cmds[k].name, b, i)
				   : l == i && !memcmp(mc_cmds[k].name, b, i))
				return n < MC_MAX_LINE ? 1 : 0;
		}
		return 0;
	}
	for (i = 0; i < len; i++)
		if (b[i] < 0x20 || b[i] == 0x7f)
			return 0;
	nw = mc_split(b, len, wd, MC_MAX_WORDS);
	if (!nw || (cls = mc_cmd_class(&wd[0])) < 0)
		return 0;
	switch (cls) {
	case MC_C_STORE:
	case MC_C_CAS:
		return mc_store_args(wd, nw, cls == MC_C_CAS, &s) ? 2 : 0;
	case MC_C_GET:
	case MC_C_KEY:
	case MC_C_META:
	case MC_C_MS:
		return nw >= 2 && mc_key_ok(&wd[1]) ? 2 : 0;
	case MC_C_GAT:
		return nw >= 3 && mc_key_ok(&wd[2]) ? 2 : 0;
	default:
		return 2;
	}
}

int mc_text_reply_start(const uint8_t *b, size_t n)
{
	size_t i, len, eol;

	for (i = 0; i < n && i < 16 && ((b[i] >= 'A' && b[i] <= 'Z') || b[i] == '_'); i++)
		;
	if (!i) {
		/* incr / decr's value */
		for (i = 0; i < n && i < 21 && mc_digit(b[i]); i++)
			;
		if (!i || i == 21)
			return 0;
		if (i == n || (b[i] == '\r' && i + 1 == n))
			return 1;
		return (b[i] == '\r' && b[i + 1] == '\n') || b[i] == '\n' ? 2 : 0;
	}
	if (i < n && b[i] != ' ' && b[i] != '\r' && b[i] != '\n')
		return 0;
	for (size_t k = 0; k < MC_NREPLIES; k++) {
		size_t l = strlen(mc_replies[k]);

		if (i == n ? l >= i && !memcmp(mc_replies[k], b, i)
			   : l == i && !memcmp(mc_replies[k], b, i)) {
			if (!adi_line(b, n < 1024 ? n : 1024, &len, &eol))
				return n < 1024 ? 1 : 0;
			for (size_t j = 0; j < len; j++)
				if (b[j] < 0x20 || b[j] == 0x7f)
					return 0;
			return 2;
		}
	}
	return 0;
}

/* The command line at b[0..len) becomes the start of a message; data may
 * follow (then the phase is MC_DATA). false: not a command line. */
static bool mc_cmd_line(struct mc_side *sd, const struct adi_proto_cfg *cfg,
			const uint8_t *b, size_t len)
{
	struct mc_word wd[MC_MAX_WORDS];
	struct adi_jw *w = &sd->w;
	struct mc_store s = { 0 };
	size_t nw = mc_split(b, len, wd, MC_MAX_WORDS), k0 = 1, nk = 0, a0, na;
	bool noreply = false;
	int cls;

	if (!nw)
		return false;
	cls = mc_cmd_class(&wd[0]);
	if (cls < 0) {
		/* a word of a command's shape the server does not know (it
		 * says ERROR): still a command; anything else is not */
		for (size_t i = 0; i < wd[0].n; i++)
			if (!((wd[0].p[i] >= 'a' && wd[0].p[i] <= 'z') || wd[0].p[i] == '_' ||
			      mc_digit(wd[0].p[i])) || i >= 32)
				return false;
		cls = MC_C_OTHER;
	}
	if ((cls == MC_C_STORE || cls == MC_C_CAS) && !mc_store_args(wd, nw, cls == MC_C_CAS, &s))
		return false;
	if (cls == MC_C_MS && (nw < 3 || !mc_num(&wd[2], &s.bytes) || s.bytes > MC_MAX_DATA))
		return false;
	sd->kind = MEMCACHED_CMD;
	adi_jw_key(w, "command");
	adi_jw_bytes(w, wd[0].p, wd[0].n);
	adi_jw_kstr(w, "protocol", "text");
	switch (cls) {
	case MC_C_STORE:
	case MC_C_CAS:
	case MC_C_KEY:
	case MC_C_META:
	case MC_C_MS:
		nk = 1;
		break;
	case MC_C_GET:
		nk = nw - 1;
		sd->kind |= MC_F_GET;
		break;
	case MC_C_GAT:
		k0 = 2;
		nk = nw > 2 ? nw - 2 : 0;
		sd->kind |= MC_F_GET;
		break;
	case MC_C_MN:
		sd->kind |= MC_F_FLUSH;
		nk = 0;
		break;
	default:
		nk = 0;
	}
	if (nk > nw - k0)
		nk = nw - k0;
	if (nk > MC_MAX_ITEMS) {
		nk = MC_MAX_ITEMS;
		sd->truncated = true;
	}
	mc_words(w, "keys", wd + k0, nk);
	/* the words after the keys, the numbers written on their own below
	 * and a final noreply left out */
	a0 = k0 + nk;
	if (cls == MC_C_GET || cls == MC_C_GAT)
		a0 = nw;
	else if (cls == MC_C_STORE || cls == MC_C_CAS || cls == MC_C_MS)
		a0 = cls == MC_C_STORE ? 5 : cls == MC_C_CAS ? 6 : 3;
	if (a0 > nw)
		a0 = nw;
	na = nw - a0;
	if (na && mc_is(&wd[nw - 1], "noreply") && cls != MC_C_META && cls != MC_C_MS) {
		noreply = true;
		na--;
	}
	if (cls == MC_C_META || cls == MC_C_MS) {
		/* meta flags: q asks for quiet mode */
		for (size_t i = a0; i < nw; i++)
			if (mc_is(&wd[i], "q"))
				sd->kind |= MC_F_QUIET;
	}
	mc_words(w, "args", wd + a0, na);
	if (cls == MC_C_STORE || cls == MC_C_CAS) {
		adi_jw_ku64(w, "flags", s.flags);
		adi_jw_kint(w, "exptime", s.exptime);
	} else if (cls == MC_C_GAT && nw > 1) {
		int64_t e;

		if (mc_snum(&wd[1], &e))
			adi_jw_kint(w, "exptime", e);
	}
	if (cls == MC_C_CAS)
		adi_jw_ku64(w, "cas", s.cas);
	if (noreply || cls == MC_C_QUIT) {
		sd->kind |= MC_F_NOREPLY;
		if (noreply)
			adi_jw_kbool(w, "noreply", true);
	}
	if (cls == MC_C_STORE || cls == MC_C_CAS || cls == MC_C_MS)
		mc_data_begin(sd, MC_D_STORE, s.bytes, cfg->body_bytes);
	return true;
}

/* Takes data and its CRLF from b[*pos..n): true when both are in. A
 * missing CRLF is an error (*bad). */
static bool mc_text_data(struct mc_side *sd, const uint8_t *b, size_t n, size_t *pos, bool *bad)
{
	*bad = false;
	if (sd->phase == MC_DATA && mc_data_take(sd, b, n, pos))
		sd->phase = MC_DATA_END;
	if (sd->phase != MC_DATA_END)
		return false;
	if (n - *pos < 2) {
		if (n - *pos == 1 && b[*pos] != '\r')
			*bad = true;
		return false;
	}
	if (b[*pos] != '\r' || b[*pos + 1] != '\n') {
		*bad = true;
		return false;
	}
	*pos += 2;
	mc_data_done(sd);
	sd->phase = MC_LINE;
	return true;
}

/* How a loop that stopped at pos ends: AGAIN with what was consumed, or
 * BAD when an error came before any byte was (an error later is met again
 * at its first byte by the next call). */
static enum adi_parse mc_stop(size_t pos, size_t *used, bool error)
{
	*used = pos;
	if (error && !pos)
		return ADI_PARSE_BAD;
	return ADI_PARSE_AGAIN;
}

enum adi_parse mc_text_cmd(struct mc_side *sd, const struct adi_proto_cfg *cfg,
			   const uint8_t *b, size_t n, size_t *used, struct adi_msg *out)
{
	size_t pos = 0, len, eol;
	bool bad;

	if (sd->phase == MC_LINE) {
		if (!adi_line(b, n, &len, &eol))
			return n >= MC_MAX_LINE ? ADI_PARSE_BAD : mc_stop(0, used, false);
		if (!len) {
			*used = eol; /* an empty line: memcached answers ERROR */
			return ADI_PARSE_SKIP;
		}
		for (size_t i = 0; i < len; i++)
			if (b[i] == 0 || b[i] == 0x7f)
				return ADI_PARSE_BAD;
		if (!mc_cmd_line(sd, cfg, b, len)) {
			mc_reset(sd);
			return ADI_PARSE_BAD;
		}
		sd->started = true;
		pos = eol;
		if (sd->phase == MC_LINE) {
			*used = pos;
			mc_frame(sd, out);
			return ADI_PARSE_FRAME;
		}
	}
	if (!mc_text_data(sd, b, n, &pos, &bad))
		return mc_stop(pos, used, bad);
	*used = pos;
	mc_frame(sd, out);
	return ADI_PARSE_FRAME;
}

/* The rest of a line after its first word (and the spaces after it). */
static struct mc_word mc_rest(const uint8_t *b, size_t len, size_t w0)
{
	struct mc_word r;
	size_t i = w0;

	while (i < len && b[i] == ' ')
		i++;
	r.p = b + i;
	r.n = len - i;
	return r;
}

/* A VALUE line (key flags bytes [cas]) opens its item in the values
 * array and its data. false: not a valid one. */
static bool mc_value_line(struct mc_side *sd, const struct adi_proto_cfg *cfg,
			  const struct mc_word *wd, size_t nw)
{
	struct adi_jw *w = &sd->w;
	uint64_t flags, bytes, cas = 0;
	size_t lim = cfg->body_bytes;

	if (nw < 4 || nw > 5 || !mc_num(&wd[2], &flags) || !mc_num(&wd[3], &bytes) ||
	    bytes > MC_MAX_DATA || (nw == 5 && !mc_num(&wd[4], &cas)))
		return false;
	if (sd->block == MC_B_STATS)
		return false; /* a stats reply ends with END: no item inside it */
	if (sd->block != MC_B_VALUES) {
		sd->block = MC_B_VALUES;
		adi_jw_karr(w, "values");
	}
	if (sd->items >= MC_MAX_ITEMS) {
		sd->truncated = true;
		mc_data_begin(sd, MC_D_SKIP, bytes, 0);
		return true;
	}
	sd->items++;
	adi_jw_obj(w);
	adi_jw_key(w, "key");
	adi_jw_bytes(w, wd[1].p, wd[1].n);
	adi_jw_ku64(w, "flags", flags);
	adi_jw_ku64(w, "bytes", bytes);
	if (nw == 5)
		adi_jw_ku64(w, "cas", cas);
	mc_data_begin(sd, MC_D_ITEM, bytes, lim);
	return true;
}

/* A STAT / ITEM line: a member of the result object. */
static void mc_stat_line(struct mc_side *sd, const uint8_t *b, size_t len,
			 const struct mc_word *wd, size_t nw)
{
	struct adi_jw *w = &sd->w;
	struct mc_word v;

	if (sd->block != MC_B_STATS) {
		sd->block = MC_B_STATS;
		adi_jw_kobj(w, "result");
	}
	if (nw < 2)
		return;
	if (sd->items >= MC_MAX_ITEMS) {
		sd->truncated = true;
		return;
	}
	sd->items++;
	v = mc_rest(b, len, (size_t)(wd[1].p - b) + wd[1].n);
	/* a name from the wire: escaped when it needs it (UTF-8 or not) */
	{
		char name[MC_MAX_KEY + 1];
		size_t k = 0;

		for (size_t i = 0; i < wd[1].n && k < MC_MAX_KEY; i++)
			name[k++] = wd[1].p[i] >= 0x20 && wd[1].p[i] < 0x7f ? (char)wd[1].p[i] : '?';
		adi_jw_keyn(w, name, k);
	}
	adi_jw_bytes(w, v.p, v.n);
}

/* Closes the block in progress (its array or object). */
static void mc_block_end(struct mc_side *sd)
{
	if (sd->block == MC_B_VALUES)
		adi_jw_arr_end(&sd->w);
	else if (sd->block == MC_B_STATS)
		adi_jw_obj_end(&sd->w);
	sd->block = MC_B_NONE;
}

/* A line that ends a reply (a status line, alone or after a block). */
static void mc_status_line(struct mc_side *sd, const uint8_t *b, size_t len,
			   const struct mc_word *wd, size_t nw)
{
	struct adi_jw *w = &sd->w;
	struct mc_word rest = { b, 0 };
	uint64_t v;

	mc_block_end(sd);
	if (nw)
		rest = mc_rest(b, len, wd[0].n + (size_t)(wd[0].p - b));
	if (nw && mc_num(&wd[0], &v)) {
		/* incr / decr: the new value */
		adi_jw_knull(w, "status");
		adi_jw_ku64(w, "result", v);
		return;
	}
	adi_jw_key(w, "status");
	if (!nw) {
		adi_jw_str(w, "");
		return;
	}
	adi_jw_bytes(w, wd[0].p, wd[0].n);
	if (mc_is(&wd[0], "MN"))
		sd->kind |= MC_F_FLUSH;
	if (mc_is(&wd[0], "ERROR") || mc_is(&wd[0], "CLIENT_ERROR") ||
	    mc_is(&wd[0], "SERVER_ERROR")) {
		adi_jw_key(w, "error");
		if (rest.n)
			adi_jw_bytes(w, rest.p, rest.n);
		else
			adi_jw_bytes(w, wd[0].p, wd[0].n);
	} else if (rest.n) {
		/* VERSION's text, a meta status's flags */
		adi_jw_kbytes(w, "result", rest.p, rest.n);
	}
}

enum adi_parse mc_text_reply(struct mc_side *sd, const struct adi_proto_cfg *cfg,
			     const uint8_t *b, size_t n, size_t *used, struct adi_msg *out)
{
	struct mc_word wd[6];
	size_t pos = 0, len, eol, nw;
	bool bad;

	sd->kind = (sd->kind & ~0xff) | MEMCACHED_REPLY;
	for (;;) {
		if (sd->phase != MC_LINE) {
			if (!mc_text_data(sd, b, n, &pos, &bad))
				return mc_stop(pos, used, bad);
			sd->phase = MC_LINE;
			if (sd->block == MC_B_NONE) {
				/* VA: its one item was closed with its data */
				*used = pos;
				mc_frame(sd, out);
				return ADI_PARSE_FRAME;
			}
			continue;
		}
		if (!adi_line(b + pos, n - pos, &len, &eol))
			return n - pos >= MC_MAX_LINE ? mc_stop(pos, used, true)
						      : mc_stop(pos, used, false);
		for (size_t i = 0; i < len; i++)
			if (b[pos + i] == 0 || b[pos + i] == 0x7f)
				return mc_stop(pos, used, true);
		nw = mc_split(b + pos, len, wd, 6);
		if (nw && mc_is(&wd[0], "VALUE")) {
			if (!mc_value_line(sd, cfg, wd, nw))
				return mc_stop(pos, used, true);
			sd->started = true;
			pos += eol;
			continue;
		}
		if (nw && (mc_is(&wd[0], "STAT") || mc_is(&wd[0], "ITEM")) &&
		    sd->block != MC_B_VALUES) {
			mc_stat_line(sd, b + pos, len, wd, nw);
			sd->started = true;
			pos += eol;
			continue;
		}
		if (nw && mc_is(&wd[0], "VA") && sd->block == MC_B_NONE) {
			uint64_t bytes;

			if (nw < 2 || !mc_num(&wd[1], &bytes) || bytes > MC_MAX_DATA)
				return mc_stop(pos, used, true);
			adi_jw_kstr(&sd->w, "status", "VA");
			adi_jw_karr(&sd->w, "values");
			adi_jw_obj(&sd->w);
			adi_jw_ku64(&sd->w, "bytes", bytes);
			sd->items++;
			sd->block = MC_B_ONE;
			mc_data_begin(sd, MC_D_ITEM, bytes, cfg->body_bytes);
			sd->started = true;
			pos += eol;
			continue;
		}
		mc_status_line(sd, b + pos, len, wd, nw);
		sd->started = true;
		*used = pos + eol;
		mc_frame(sd, out);
		return ADI_PARSE_FRAME;
	}
}
