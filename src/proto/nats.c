/* nats.c - the NATS client protocol decoder: control lines and payloads of
 * both directions, each operation a message_op event (system "nats"):
 * PING with its PONG, in verbose mode a client operation with its +OK or
 * -ERR, everything else on its own. Owns the per-connection state (per
 * direction: the operation being decoded, written as JSON text as it
 * comes, and the first bytes of its headers and payload); queued messages
 * are the engine's. Protocol: https://docs.nats.io/reference/reference-
 * protocols/nats-protocol; docs/nats.md.
 *
 *   control line:  OP[ arg]*\r\n          (op case-insensitive, args split by blanks)
 *   PUB  <subject> [reply-to] <#bytes>\r\n<payload>\r\n
 *   HPUB <subject> [reply-to] <#header bytes> <#total bytes>\r\n<NATS/1.0 headers><payload>\r\n
 *   MSG  <subject> <sid> [reply-to] <#bytes>\r\n<payload>\r\n      (HMSG as HPUB)
 *   SUB  <subject> [queue group] <sid>\r\n   UNSUB <sid> [max_msgs]\r\n
 *   CONNECT {json}\r\n   INFO {json}\r\n   PING\r\n   PONG\r\n   +OK\r\n   -ERR '<text>'\r\n
 */
#include <stdlib.h>
#include <string.h>

#include "nats.h"
#include "../lib/json.h"
#include "../lib/util.h"
#include "../lib/cursor.h"

#define NT_MAX_LINE ADI_PROTO_LOOKAHEAD /* a control line (INFO may be long) */
#define NT_HDR_KEEP (16 * 1024)   /* header block bytes kept to decode */
#define NT_MAX_HDRS 64            /* header fields decoded */
#define NT_MAX_PAYLOAD (1ULL << 32) /* a payload length believed (server max 64 MiB) */
#define NT_WAIT_MAX 256           /* messages queued behind an unanswered PING
				   * (or verbose op) before it is written alone */
#define NT_PORT 4222

/* The parser of one direction. */
struct nt_side {
	bool started;         /* the control line of an operation with a payload was taken */
	bool strict;          /* after a resync: the next line must be a plausible one */
	bool mid_line;        /* resync: the next byte is no line start */
	bool truncated;
	bool hdr_lost;        /* a gap fell inside the header block: not decoded */
	uint32_t lost;        /* operations lost to resync since the last FRAME */
	uint8_t op;           /* enum nats_op in progress */
	uint64_t hlen;        /* header bytes of the payload */
	uint64_t plen;        /* total payload bytes */
	uint64_t got;         /* payload bytes consumed */
	uint8_t *hdr, *pay;   /* what is kept of the header block and the payload */
	size_t hdr_len, hdr_cap, pay_len, pay_cap, pay_lim;
	struct adi_jw w;      /* the operation's members */
};

struct nats_state {
	enum adi_dir cmd_dir; /* the client's direction */
	bool verbose;         /* CONNECT asked for +OK after every operation */
	struct nt_side side[2];
};

/* adi_msg.kind: the enum nats_op, and the operations lost just before it. */
#define NT_LOST_SHIFT 8
#define NT_TRUNC 0x80
#define NT_OP(k) ((k) & 0x7f)

static struct nt_side *nt_side_of(struct nats_state *st, enum adi_dir d)
{
	return &st->side[d == ADI_DIR_OUT ? 0 : 1];
}

static enum adi_dir nt_cmd_dir(const struct nats_state *st)
{
	return st->cmd_dir == ADI_DIR_IN ? ADI_DIR_IN : ADI_DIR_OUT;
}

/* ---- control lines ---- */

static const struct {
	const char *name;
	uint8_t op;
	bool client;          /* sent by clients (else by servers) */
} nt_ops[] = {
	{ "CONNECT", NATS_CONNECT, true }, { "INFO", NATS_INFO, false },
	{ "PUB", NATS_PUB, true }, { "HPUB", NATS_HPUB, true }, { "SUB", NATS_SUB, true },
	{ "UNSUB", NATS_UNSUB, true }, { "MSG", NATS_MSG, false }, { "HMSG", NATS_HMSG, false },
	{ "PING", NATS_PING, true }, { "PONG", NATS_PONG, true }, { "PING", NATS_PING, false },
	{ "PONG", NATS_PONG, false }, { "+OK", NATS_OK, false }, { "-ERR", NATS_ERR, false },
};
#define NT_NOPS (sizeof(nt_ops) / sizeof(nt_ops[0]))

static const char *nt_op_name(uint8_t op)
{
	for (size_t i = 0; i < NT_NOPS; i++)
		if (nt_ops[i].op == op)
			return nt_ops[i].name;
	return "?";
}

struct nt_word {
	const uint8_t *p;
	size_t n;
};

static bool nt_blank(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* The words of s[0..n) split by blanks, at most max; how many (max + 1
 * when there are more). */
static size_t nt_split(const uint8_t *s, size_t n, struct nt_word *w, size_t max)
{
	size_t k = 0, i = 0;

	while (i < n) {
		size_t start;

		while (i < n && nt_blank(s[i]))
			i++;
		if (i == n)
			break;
		if (k == max)
			return max + 1;
		start = i;
		while (i < n && !nt_blank(s[i]))
			i++;
		w[k].p = s + start;
		w[k].n = i - start;
		k++;
	}
	return k;
}

static bool nt_num(const struct nt_word *w, uint64_t *v)
{
	uint64_t x = 0;

	if (!w->n || w->n > 19)
		return false;
	for (size_t i = 0; i < w->n; i++) {
		if (w->p[i] < '0' || w->p[i] > '9')
			return false;
		x = x * 10 + (uint64_t)(w->p[i] - '0');
	}
	*v = x;
	return true;
}

/* A subject, reply subject, queue group or sid: printable, no blanks. */
static bool nt_token(const struct nt_word *w)
{
	if (!w->n || w->n > 1024)
		return false;
	for (size_t i = 0; i < w->n; i++)
		if (w->p[i] < 0x21 || w->p[i] == 0x7f)
			return false;
	return true;
}

/* The operation a line starts with (case-insensitive) that the sender
 * (client or not) may send: its enum nats_op, and *w0 the length of its
 * name; 0 when none. */
static uint8_t nt_op_of(const uint8_t *b, size_t n, bool client, size_t *w0)
{
	size_t w = 0;

	while (w < n && !nt_blank(b[w]) && b[w] != '\r' && b[w] != '\n' && w < 8)
		w++;
	for (size_t i = 0; i < NT_NOPS; i++) {
		size_t l = strlen(nt_ops[i].name);

		if (nt_ops[i].client != client || l != w || strncasecmp((const char *)b, nt_ops[i].name, l))
			continue;
		*w0 = w;
		return nt_ops[i].op;
	}
	return 0;
}

/* The parsed arguments of a control line. */
struct nt_args {
	struct nt_word subject, reply, queue, sid, json, err;
	uint64_t max_msgs, hlen, plen;
	bool has_max, has_payload;
};

/* The arguments of line b[0..len) of operation op (its name w0 bytes):
 * false when they do not have the operation's shape. */
static bool nt_args_of(uint8_t op, const uint8_t *b, size_t len, size_t w0, struct nt_args *a)
{
	struct nt_word w[6];
	size_t nw = nt_split(b + w0, len - w0, w, 5);

	memset(a, 0, sizeof(*a));
	if (w0 < len && !nt_blank(b[w0]))
		return false;
	/* nats-server ends INFO's line with a blank before the CRLF */
	while (len > w0 && nt_blank(b[len - 1]))
		len--;
	switch (op) {
	case NATS_PUB:
		if (nw < 2 || nw > 3 || !nt_token(&w[0]) || !nt_num(&w[nw - 1], &a->plen))
			return false;
		a->subject = w[0];
		if (nw == 3) {
			if (!nt_token(&w[1]))
				return false;
			a->reply = w[1];
		}
		a->has_payload = true;
		return a->plen <= NT_MAX_PAYLOAD;
	case NATS_HPUB:
		if (nw < 3 || nw > 4 || !nt_token(&w[0]) || !nt_num(&w[nw - 2], &a->hlen) ||
		    !nt_num(&w[nw - 1], &a->plen) || a->hlen > a->plen)
			return false;
		a->subject = w[0];
		if (nw == 4) {
			if (!nt_token(&w[1]))
				return false;
			a->reply = w[1];
		}
		a->has_payload = true;
		return a->plen <= NT_MAX_PAYLOAD;
	case NATS_MSG:
		if (nw < 3 || nw > 4 || !nt_token(&w[0]) || !nt_token(&w[1]) ||
		    !nt_num(&w[nw - 1], &a->plen))
			return false;
		a->subject = w[0];
		a->sid = w[1];
		if (nw == 4) {
			if (!nt_token(&w[2]))
				return false;
			a->reply = w[2];
		}
		a->has_payload = true;
		return a->plen <= NT_MAX_PAYLOAD;
	case NATS_HMSG:
		if (nw < 4 || nw > 5 || !nt_token(&w[0]) || !nt_token(&w[1]) ||
		    !nt_num(&w[nw - 2], &a->hlen) || !nt_num(&w[nw - 1], &a->plen) || a->hlen > a->plen)
			return false;
		a->subject = w[0];
		a->sid = w[1];
		if (nw == 5) {
			if (!nt_token(&w[2]))
				return false;
			a->reply = w[2];
		}
		a->has_payload = true;
		return a->plen <= NT_MAX_PAYLOAD;
	case NATS_SUB:
		if (nw < 2 || nw > 3 || !nt_token(&w[0]) || !nt_token(&w[nw - 1]))
			return false;
		a->subject = w[0];
		a->sid = w[nw - 1];
		if (nw == 3) {
			if (!nt_token(&w[1]))
				return false;
			a->queue = w[1];
		}
		return true;
	case NATS_UNSUB:
		if (nw < 1 || nw > 2 || !nt_token(&w[0]))
			return false;
		a->sid = w[0];
		if (nw == 2) {
			if (!nt_num(&w[1], &a->max_msgs))
				return false;
			a->has_max = true;
		}
		return true;
	case NATS_CONNECT:
	case NATS_INFO: {
		size_t i = w0;

		while (i < len && nt_blank(b[i]))
			i++;
		if (i == len || b[i] != '{' || b[len - 1] != '}')
			return false;
		a->json.p = b + i;
		a->json.n = len - i;
		return true;
	}
	case NATS_ERR: {
		size_t i = w0;

		while (i < len && nt_blank(b[i]))
			i++;
		a->err.p = b + i;
		a->err.n = len - i;
		/* the text is quoted: 'Unknown Protocol Operation' */
		if (a->err.n >= 2 && a->err.p[0] == '\'' && a->err.p[a->err.n - 1] == '\'') {
			a->err.p++;
			a->err.n -= 2;
		}
		return true;
	}
	default:
		return nw == 0; /* PING, PONG, +OK */
	}
}

/* How plausible an operation of the sender at b[0..n) is: 2 a whole
 * valid control line, 1 a prefix of one (no line end yet), 0 not one. */
static int nt_plausible(const uint8_t *b, size_t n, bool client, uint8_t *opp)
{
	size_t len, eol, w0 = 0, w = 0;
	struct nt_args a;
	uint8_t op;

	*opp = 0;
	while (w < n && !nt_blank(b[w]) && b[w] != '\r' && b[w] != '\n' && w < 8)
		w++;
	if (w == n) {
		/* the name goes on: a prefix of one of the sender's */
		for (size_t i = 0; i < NT_NOPS; i++)
			if (nt_ops[i].client == client && strlen(nt_ops[i].name) >= n &&
			    !strncasecmp((const char *)b, nt_ops[i].name, n))
				return n < 64 ? 1 : 0;
		return 0;
	}
	op = nt_op_of(b, n, client, &w0);
	if (!op)
		return 0;
	if (!adi_line(b, n < NT_MAX_LINE ? n : NT_MAX_LINE, &len, &eol))
		return n < NT_MAX_LINE ? 1 : 0;
	for (size_t i = 0; i < len; i++)
		if (b[i] < 0x20 && b[i] != '\t')
			return 0;
	if (!nt_args_of(op, b, len, w0, &a))
		return 0;
	*opp = op;
	return 2;
}

/* ---- headers (HPUB, HMSG) ---- */

/* "NATS/1.0[ code[ text]]\r\n" then "Name: value\r\n"..., "\r\n": the
 * status (only when a code is there) and the headers as an object,
 * repeated names joined with ", ". */
static void nt_headers(struct adi_jw *w, const uint8_t *h, size_t n)
{
	struct nt_word name[NT_MAX_HDRS], val[NT_MAX_HDRS];
	size_t k = 0, i = 0, len, eol;
	bool done[NT_MAX_HDRS];

	if (!adi_line(h, n, &len, &eol) || len < 8 || memcmp(h, "NATS/1.0", 8))
		return;
	if (len > 9 && h[8] == ' ' && h[9] >= '0' && h[9] <= '9') {
		int64_t code = 0;

		for (size_t j = 9; j < len && j < 12 && h[j] >= '0' && h[j] <= '9'; j++)
			code = code * 10 + (h[j] - '0');
		adi_jw_kint(w, "status", code);
	}
	i = eol;
	while (i < n && k < NT_MAX_HDRS && adi_line(h + i, n - i, &len, &eol) && len) {
		const uint8_t *l = h + i, *colon = memchr(l, ':', len);

		i += eol;
		if (!colon)
			continue;
		name[k].p = l;
		name[k].n = (size_t)(colon - l);
		val[k].p = colon + 1;
		val[k].n = len - name[k].n - 1;
		while (val[k].n && nt_blank(val[k].p[0])) {
			val[k].p++;
			val[k].n--;
		}
		done[k] = false;
		k++;
	}
	adi_jw_kobj(w, "headers");
	for (size_t a = 0; a < k; a++) {
		char joined[NT_HDR_KEEP];
		size_t jl = 0;

		if (done[a])
			continue;
		for (size_t b = a; b < k; b++) {
			if (name[b].n != name[a].n || memcmp(name[b].p, name[a].p, name[a].n))
				continue;
			done[b] = true;
			if (jl && jl + 2 <= sizeof(joined)) {
				memcpy(joined + jl, ", ", 2);
				jl += 2;
			}
			if (jl + val[b].n <= sizeof(joined)) {
				memcpy(joined + jl, val[b].p, val[b].n);
				jl += val[b].n;
			}
		}
		adi_jw_keyn(w, (const char *)name[a].p, name[a].n);
		adi_jw_bytes(w, (const uint8_t *)joined, jl);
	}
	adi_jw_obj_end(w);
}

/* ---- the JSON of CONNECT and INFO ---- */

/* The object, secrets redacted in CONNECT (pass, auth_token, sig, jwt)
 * unless show_secrets. Parsed into a json.h tree: once per connection,
 * and the text may have white space the view readers do not take. When
 * it is no JSON object, the text as a string. */
static void nt_json(struct adi_jw *w, const char *k, const struct nt_word *j, bool connect,
		    const struct adi_proto_cfg *cfg, bool *verbose)
{
	static const char *const secret[] = { "pass", "auth_token", "sig", "jwt" };
	struct adi_jval *v = adi_json_parse((const char *)j->p, j->n);

	adi_jw_key(w, k);
	if (!v || adi_j_type(v) != ADI_J_OBJ) {
		adi_j_free(v);
		adi_jw_bytes(w, j->p, j->n);
		return;
	}
	if (connect) {
		*verbose = adi_j_as_bool(adi_j_get(v, "verbose"), false);
		for (size_t i = 0; i < sizeof(secret) / sizeof(secret[0]) && !cfg->show_secrets; i++)
			if (adi_j_get(v, secret[i]))
				adi_j_set_str(v, secret[i], "<redacted>");
	}
	adi_jw_tree(w, v);
	adi_j_free(v);
}

/* ---- parse ---- */

static void nt_reset(struct nt_side *sd)
{
	sd->started = sd->truncated = sd->hdr_lost = false;
	sd->op = 0;
	sd->hlen = sd->plen = sd->got = 0;
	sd->hdr_len = sd->pay_len = 0;
	adi_jw_reset(&sd->w);
}

/* Appends b[0..n) to a kept buffer of at most lim bytes. */
static void nt_keep(uint8_t **buf, size_t *len, size_t *cap, size_t lim, const uint8_t *b,
		    size_t n, bool *cut)
{
	size_t k = *len < lim ? lim - *len : 0;

	if (n > k) {
		*cut = true;
		n = k;
	}
	if (!adi_bytes_append(buf, len, cap, b, n))
		*cut = true;
}

/* The operation is complete: its last members, then the message. */
static void nt_frame(struct nats_state *st, struct nt_side *sd, struct adi_msg *out)
{
	struct adi_jw *w = &sd->w;
	uint32_t lost = sd->lost < 0xffff ? sd->lost : 0xffff;

	(void)st;
	if ((sd->op == NATS_HPUB || sd->op == NATS_HMSG) && !sd->hdr_lost)
		nt_headers(w, sd->hdr, sd->hdr_len);
	if (sd->op == NATS_PUB || sd->op == NATS_HPUB || sd->op == NATS_MSG || sd->op == NATS_HMSG) {
		adi_jw_ku64(w, "payload_bytes", sd->plen - sd->hlen);
		adi_jw_kbytes(w, "payload", sd->pay_len ? sd->pay : (const uint8_t *)"", sd->pay_len);
	} else if (sd->op != NATS_OK && sd->op != NATS_ERR) {
		adi_jw_knull(w, "payload_bytes");
		adi_jw_knull(w, "payload");
	}
	out->kind = sd->op | (sd->truncated ? NT_TRUNC : 0) | (int)(lost << NT_LOST_SHIFT);
	if (adi_jw_copy(&out->f, w))
		out->kind |= NT_TRUNC;
	sd->lost = 0;
	nt_reset(sd);
}

/* The members of the control line of op (a: its arguments). */
static void nt_line_members(struct nats_state *st, struct nt_side *sd, uint8_t op,
			    const struct nt_args *a, const struct adi_proto_cfg *cfg)
{
	struct adi_jw *w = &sd->w;

	if (op == NATS_OK)
		return;
	if (op == NATS_ERR) {
		adi_jw_kbytes(w, "error", a->err.p, a->err.n);
		return;
	}
	adi_jw_kstr(w, "system", "nats");
	adi_jw_kstr(w, "op", nt_op_name(op));
	adi_jw_key(w, "destination");
	if (a->subject.n)
		adi_jw_bytes(w, a->subject.p, a->subject.n);
	else
		adi_jw_null(w);
	if (a->reply.n)
		adi_jw_kbytes(w, "reply_to", a->reply.p, a->reply.n);
	if (a->queue.n)
		adi_jw_kbytes(w, "queue_group", a->queue.p, a->queue.n);
	if (a->sid.n)
		adi_jw_kbytes(w, "sid", a->sid.p, a->sid.n);
	if (a->has_max)
		adi_jw_ku64(w, "max_msgs", a->max_msgs);
	if (op == NATS_CONNECT)
		nt_json(w, "connect", &a->json, true, cfg, &st->verbose);
	else if (op == NATS_INFO)
		nt_json(w, "info", &a->json, false, cfg, NULL);
}

/* parse(): see proto.h. A control line is taken whole (AGAIN with *used
 * 0 until its line end); a payload is consumed as it comes, the first
 * NT_HDR_KEEP bytes of its headers and --body-bytes of the rest kept. */
static enum adi_parse nats_parse(void *vst, const struct adi_proto_cfg *cfg, enum adi_dir dir,
				 const uint8_t *b, size_t n, size_t *used, struct adi_msg *out)
{
	struct nats_state *st = vst;
	struct nt_side *sd = nt_side_of(st, dir);
	bool client = dir == nt_cmd_dir(st);
	size_t pos = 0;

	*used = 0;
	if (!b) {
		if (!sd->started)
			return ADI_PARSE_AGAIN;
		sd->truncated = true;
		nt_frame(st, sd, out);
		out->incomplete = true;
		return ADI_PARSE_FRAME;
	}
	if (!sd->started) {
		size_t len, eol, w0 = 0;
		struct nt_args a;
		uint8_t op;

		if (sd->strict) {
			int s = nt_plausible(b, n, client, &op);

			if (s != 2) {
				if (s)
					return ADI_PARSE_AGAIN;
				sd->mid_line = b[0] != '\n';
				return ADI_PARSE_BAD;
			}
			sd->strict = false;
		}
		if (!adi_line(b, n, &len, &eol))
			return n >= NT_MAX_LINE ? ADI_PARSE_BAD : ADI_PARSE_AGAIN;
		op = nt_op_of(b, len, client, &w0);
		if (!op || !nt_args_of(op, b, len, w0, &a)) {
			sd->mid_line = b[0] != '\n';
			return ADI_PARSE_BAD;
		}
		sd->op = op;
		nt_line_members(st, sd, op, &a, cfg);
		pos = eol;
		if (!a.has_payload) {
			*used = pos;
			nt_frame(st, sd, out);
			return ADI_PARSE_FRAME;
		}
		sd->started = true;
		sd->hlen = a.hlen;
		sd->plen = a.plen;
		sd->got = 0;
		sd->pay_lim = cfg->body_bytes;
	}
	/* the payload, then its CRLF */
	if (sd->got < sd->plen) {
		size_t k = n - pos < sd->plen - sd->got ? n - pos : (size_t)(sd->plen - sd->got);
		size_t hk = sd->got < sd->hlen ? (size_t)(sd->hlen - sd->got < k ? sd->hlen - sd->got : k) : 0;
		bool hcut = false;

		if (!sd->hdr_lost)
			nt_keep(&sd->hdr, &sd->hdr_len, &sd->hdr_cap, NT_HDR_KEEP, b + pos, hk, &hcut);
		nt_keep(&sd->pay, &sd->pay_len, &sd->pay_cap, sd->pay_lim, b + pos + hk, k - hk,
			&sd->truncated);
		sd->truncated |= hcut;
		sd->got += k;
		pos += k;
		if (sd->got < sd->plen) {
			*used = pos;
			return ADI_PARSE_AGAIN;
		}
	}
	if ((n - pos >= 1 && b[pos] != '\r') || (n - pos >= 2 && b[pos + 1] != '\n')) {
		/* no CRLF after the payload: an error, met at its first byte */
		*used = pos;
		if (pos)
			return ADI_PARSE_AGAIN;
		sd->mid_line = b[0] != '\n';
		return ADI_PARSE_BAD;
	}
	if (n - pos < 2) {
		*used = pos;
		return ADI_PARSE_AGAIN;
	}
	*used = pos + 2;
	nt_frame(st, sd, out);
	return ADI_PARSE_FRAME;
}

/* gap(): inside a payload of known length the lost bytes are absorbed
 * (nothing after them kept; the engine marks the message incomplete);
 * elsewhere false: the engine resyncs. */
static bool nats_gap(void *vst, enum adi_dir dir, uint64_t n)
{
	struct nats_state *st = vst;
	struct nt_side *sd = nt_side_of(st, dir);

	if (!sd->started || sd->got >= sd->plen || n > sd->plen - sd->got) {
		sd->mid_line = true;
		return false;
	}
	if (sd->got < sd->hlen)
		sd->hdr_lost = true;
	sd->got += n;
	sd->truncated = true;
	sd->pay_lim = sd->pay_len;
	return true;
}

/* resync(): the first line start in b (at b's start only when the byte
 * before it was a LF, as far as the bytes dropped before say) where an
 * operation the direction may send plausibly starts (nt_plausible: a
 * whole valid control line, or a prefix cut by the end of b); n when none.
 * The operation in progress is dropped and counted. */
static size_t nats_resync(void *vst, enum adi_dir dir, const uint8_t *b, size_t n)
{
	struct nats_state *st = vst;
	struct nt_side *sd = nt_side_of(st, dir);
	bool client = dir == nt_cmd_dir(st);
	uint8_t op;

	if (sd->started)
		sd->lost++;
	nt_reset(sd);
	sd->strict = true;
	for (size_t i = 0; i < n; i++) {
		if (i ? b[i - 1] != '\n' : sd->mid_line)
			continue;
		if (nt_plausible(b + i, n - i, client, &op)) {
			sd->mid_line = false;
			return i;
		}
	}
	if (n)
		sd->mid_line = b[n - 1] != '\n';
	return n;
}

/* ---- stitch ---- */

/* One message_op event: m, and its answer r (PONG, +OK, -ERR) or NULL. */
static void nt_emit(struct adi_emit *em, const struct adi_msg *m, const struct adi_msg *r)
{
	struct adi_jw *w = adi_emit_begin(em);
	int op = NT_OP(m->kind);
	int64_t ts_end = -1;
	bool trunc = (m->kind & NT_TRUNC) != 0, incomplete = m->incomplete || (r && r->incomplete);

	if (op == NATS_OK || op == NATS_ERR) {
		adi_jw_kstr(w, "system", "nats");
		adi_jw_kstr(w, "op", nt_op_name((uint8_t)op));
		adi_jw_knull(w, "destination");
		adi_jw_knull(w, "payload_bytes");
		adi_jw_knull(w, "payload");
		adi_jw_kraw(w, "error", adi_jw_get(&m->f, "error"));
	} else {
		adi_jw_splice(w, &m->f);
		adi_jw_kraw(w, "error", r ? adi_jw_get(&r->f, "error") : (struct adi_jv){ NULL, 0 });
	}
	adi_jw_ku64(w, "req_bytes", m->wire_bytes);
	adi_jw_ku64(w, "resp_bytes", r ? r->wire_bytes : 0);
	adi_jw_kbool(w, "truncated", trunc);
	if (incomplete)
		adi_jw_kbool(w, "incomplete", true);
	if (r)
		ts_end = r->ts_last < m->ts_first ? (int64_t)m->ts_first : (int64_t)r->ts_last;
	em->emit(em, "message_op", m->ts_first, ts_end);
}

/* The first message of q whose operation is a or b (and *prev, the one
 * before it), or NULL. */
static struct adi_msg *nt_find(struct adi_msgq *q, int a, int b, struct adi_msg **prev)
{
	*prev = NULL;
	for (struct adi_msg *m = q->head; m; *prev = m, m = m->next)
		if (NT_OP(m->kind) == a || NT_OP(m->kind) == b)
			return m;
	return NULL;
}

/* stitch(): the operations of both directions in the order they started.
 * A PING is written with the next PONG of the other direction; in verbose
 * mode (CONNECT's "verbose": true) a client's CONNECT, PUB, HPUB, SUB and
 * UNSUB with the next +OK or -ERR of the server; while that answer has not
 * come (and fewer than NT_WAIT_MAX messages wait behind), nothing later is
 * written, so events keep their start order. Every other operation is an
 * event of its own. An answer with its partner lost to a resync, or with
 * none, is written alone (incomplete when its partner was lost). */
static void nats_stitch(void *vst, struct adi_msgq *out_q, struct adi_msgq *in_q,
			struct adi_emit *em, bool final)
{
	struct nats_state *st = vst;
	struct adi_msgq *cq = nt_cmd_dir(st) == ADI_DIR_OUT ? out_q : in_q;
	struct adi_msgq *sq = cq == out_q ? in_q : out_q;

	for (;;) {
		struct adi_msg *c = cq->head, *s = sq->head, *m, *r, *prev;
		struct adi_msgq *mq, *oq;
		int op;

		if (!c && !s)
			return;
		if (c && (!s || c->ts_first <= s->ts_first)) {
			m = c, mq = cq, oq = sq;
		} else {
			m = s, mq = sq, oq = cq;
		}
		op = NT_OP(m->kind);
		r = NULL;
		if (op == NATS_PING) {
			r = nt_find(oq, NATS_PONG, NATS_PONG, &prev);
		} else if (mq == cq && st->verbose &&
			   (op == NATS_CONNECT || op == NATS_PUB || op == NATS_HPUB ||
			    op == NATS_SUB || op == NATS_UNSUB)) {
			r = nt_find(oq, NATS_OK, NATS_ERR, &prev);
		} else {
			adi_msgq_pop(mq);
			nt_emit(em, m, NULL);
			adi_msg_free(m);
			continue;
		}
		if (!r && !final && oq->len < NT_WAIT_MAX)
			return; /* its answer may be coming */
		adi_msgq_pop(mq);
		if (r)
			adi_msgq_unlink(oq, prev, r);
		nt_emit(em, m, r);
		adi_msg_free(m);
		adi_msg_free(r);
	}
}

/* ---- sniff, start, fini ---- */

/* sniff(): thresholds (the claim is ADI_SNIFF_CLAIM, 60).
 *  - 100: "INFO {" or "CONNECT {" and printable text (no line end needed:
 *    the JSON is often longer than a preview) — the openings of every NATS
 *    connection (the server speaks first;
 *    HTTP/1's sniffer takes "CONNECT " for its method at 90-95, so NATS'
 *    CONNECT, whose target is a JSON object, must outscore it);
 *  - 70: PUB, HPUB, SUB, UNSUB, MSG, HMSG with arguments of their shape;
 *  - 40: PING, PONG, +OK, -ERR: any text protocol may say them (Redis'
 *    PING scores 45): they claim only on port 4222 (+15) with the direction
 *    agreeing (+5);
 *  - -1: fewer than 64 bytes that are a prefix of one of these;
 *  - 0 otherwise. */
static int nats_sniff(const uint8_t *b, size_t n, const struct adi_sniff_ctx *c)
{
	enum adi_dir cmd_dir = c->server_side ? ADI_DIR_IN : ADI_DIR_OUT;
	uint16_t port = c->server_side ? c->local_port : c->remote_port;
	bool client = c->dir == cmd_dir;
	int s, score;
	uint8_t op;

	if (!n)
		return -1;
	/* the openings, whose JSON is often longer than a short preview */
	for (int k = 0; k < 2; k++) {
		const char *o = k ? "CONNECT {" : "INFO {";
		size_t l = strlen(o), i;

		if (strncasecmp((const char *)b, o, n < l ? n : l))
			continue;
		if (n < l)
			return -1;
		for (i = l; i < n && b[i] != '\r' && b[i] != '\n'; i++)
			if (b[i] < 0x20 && b[i] != '\t')
				return 0;
		return 100;
	}
	s = nt_plausible(b, n, client, &op);
	if (!s) {
		/* the other direction's operations: the roles may be unknown */
		s = nt_plausible(b, n, !client, &op);
		client = !client;
	}
	if (s == 1)
		return n < 64 ? -1 : 0;
	if (!s)
		return 0;
	switch (op) {
	case NATS_INFO:
	case NATS_CONNECT:
		return 100;
	case NATS_PUB: case NATS_HPUB: case NATS_SUB: case NATS_UNSUB:
	case NATS_MSG: case NATS_HMSG:
		score = 70;
		break;
	default:
		score = 40;
	}
	score += (client == (c->dir == cmd_dir) ? 5 : 0) + (port == NT_PORT ? 15 : 0);
	return score < 100 ? score : 100;
}

static void nats_start(void *vst, const struct adi_sniff_ctx *c)
{
	struct nats_state *st = vst;

	st->cmd_dir = c->server_side ? ADI_DIR_IN : ADI_DIR_OUT;
}

static void nats_fini(void *vst)
{
	struct nats_state *st = vst;

	for (int i = 0; i < 2; i++) {
		free(st->side[i].hdr);
		free(st->side[i].pay);
		st->side[i].hdr = st->side[i].pay = NULL;
		adi_jw_fini(&st->side[i].w);
	}
}

const struct adi_proto adi_proto_nats = {
	.name = "nats",
	.state_size = sizeof(struct nats_state),
	.start = nats_start,
	.sniff = nats_sniff,
	.parse = nats_parse,
	.gap = nats_gap,
	.resync = nats_resync,
	.stitch = nats_stitch,
	.fini = nats_fini,
};
