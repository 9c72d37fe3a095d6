/* sink_text.c - the human timeline: one line per event (plus indented
 * continuation lines for payload previews), e.g.
 *   15:10:41.123456 [PID 4213 sh] FS WRITE /tmp/a.txt (3 B) "hi\n"
 * Owns only the formatting; the FILE belongs to the caller. Every field is
 * optional: a missing one prints as "?", never crashes. Kinds it has no
 * layout for print their fields as compact JSON, so nothing is hidden.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* open_memstream */
#endif

#include "sink.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/util.h"

#define ADI_TEXT_PREVIEW_DEFAULT 64
#define ADI_TEXT_INDENT "    "
/* answers a DNS line shows before "+N more" */
#define ADI_TEXT_DNS_ANSWERS 4

/* ANSI SGR codes, used only when the sink was asked for colour. */
#define ADI_C_RESET "\033[0m"
#define ADI_C_DIM "\033[2m"
#define ADI_C_BOLD "\033[1m"
#define ADI_C_RED "\033[31m"
#define ADI_C_ALERT "\033[1;31m"
#define ADI_C_FILE "\033[36m"
#define ADI_C_PROC "\033[35m"
#define ADI_C_NET "\033[34m"
#define ADI_C_PROTO "\033[32m"

struct adi_sink_text {
	struct adi_sink base; /* first: the sink methods cast back to this */
	FILE *f;
	int color;
	size_t preview;
};

/* The line being built: an in-memory stream, written out in one piece. */
struct adi_tx {
	FILE *m;
	int color;
	size_t preview;
};

/* Escaping modes of adi_tx_esc. */
#define ADI_ESC_QUOTE 1 /* inside "...": escape '"' */
#define ADI_ESC_BSLASH 2 /* escape '\' so that escapes are unambiguous */

static void adi_tx_color(struct adi_tx *t, const char *code)
{
	if (t->color)
		fputs(code, t->m);
}

/* Print at most limit bytes of s[0..n) C-escaped: \n \t \r, \\ and \" as
 * asked by mode, \xNN for control bytes and bytes that are not UTF-8.
 * Valid UTF-8 is printed as is, except the C1 controls U+0080..U+009F that
 * some terminals obey. A character is never split at the limit. Returns
 * true when bytes were left out. */
static bool adi_tx_esc(struct adi_tx *t, const char *s, size_t n, size_t limit,
		       int mode)
{
	const uint8_t *b = (const uint8_t *)s;
	size_t i = 0;

	while (i < n) {
		uint8_t c = b[i];
		size_t len = 1;

		if (c >= 0x80)
			len = adi_utf8_seq(b + i, n - i);
		if (i + (len ? len : 1) > limit)
			return true;
		if (len > 1 && !(c == 0xc2 && b[i + 1] < 0xa0)) {
			fwrite(b + i, 1, len, t->m);
			i += len;
			continue;
		}
		if (c == '\n')
			fputs("\\n", t->m);
		else if (c == '\t')
			fputs("\\t", t->m);
		else if (c == '\r')
			fputs("\\r", t->m);
		else if (c == '\\' && (mode & ADI_ESC_BSLASH))
			fputs("\\\\", t->m);
		else if (c == '"' && (mode & ADI_ESC_QUOTE))
			fputs("\\\"", t->m);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(t->m, "\\x%02x", c);
		else
			fputc(c, t->m);
		i++;
	}
	return false;
}

/* Milliseconds from nanoseconds, up to 3 decimals without trailing zeros:
 * 1500000 -> "1.5", 2000000 -> "2". Integer arithmetic: exact, and no
 * locale decimal comma. */
static void adi_tx_ms(struct adi_tx *t, int64_t ns)
{
	int64_t us = ns >= 0 ? (ns + 500) / 1000 : -((-ns + 500) / 1000);
	int64_t whole = us / 1000, frac = us % 1000;
	char fr[8];
	int l;

	if (frac < 0)
		frac = -frac;
	fprintf(t->m, "%s%" PRId64, us < 0 && whole == 0 ? "-" : "", whole);
	if (frac == 0)
		return;
	l = snprintf(fr, sizeof(fr), "%03" PRId64, frac);
	while (l > 0 && fr[l - 1] == '0')
		fr[--l] = '\0';
	fprintf(t->m, ".%s", fr);
}

/* A field value as text: "?" when missing or null, strings escaped
 * ("" when empty), numbers plain, anything else as compact JSON. */
static void adi_tx_val(struct adi_tx *t, const struct adi_jval *v)
{
	switch (adi_j_type(v)) {
	case ADI_J_NULL:
		fputc('?', t->m);
		break;
	case ADI_J_STR:
		if (adi_j_len(v) == 0)
			fputs("\"\"", t->m);
		else
			adi_tx_esc(t, adi_j_as_str(v, ""), adi_j_len(v), SIZE_MAX, 0);
		break;
	case ADI_J_INT:
		fprintf(t->m, "%" PRId64, adi_j_as_int(v, 0));
		break;
	case ADI_J_BOOL:
		fputs(adi_j_as_bool(v, false) ? "true" : "false", t->m);
		break;
	default:
		adi_j_write(v, t->m);
		break;
	}
}

static void adi_tx_field(struct adi_tx *t, const struct adi_jval *obj, const char *key)
{
	adi_tx_val(t, adi_j_get(obj, key));
}

/* An op or kind name in upper case, for the tag that starts the body. */
static void adi_tx_upper(struct adi_tx *t, const char *s)
{
	if (!s || !*s) {
		fputc('?', t->m);
		return;
	}
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 'a' && c <= 'z')
			c = (unsigned char)(c - 'a' + 'A');
		fputc(c >= 0x20 && c < 0x7f ? c : '?', t->m);
	}
}

/* The coloured tag: prefix ("FS ", "NET "...) and the upper-cased name. */
static void adi_tx_tag(struct adi_tx *t, const char *color, const char *prefix,
		       const char *name)
{
	adi_tx_color(t, color);
	fputs(prefix, t->m);
	adi_tx_upper(t, name);
	adi_tx_color(t, ADI_C_RESET);
}

/* A byte count as "2.1 KiB"; non-integers through adi_tx_val. */
static void adi_tx_size(struct adi_tx *t, const struct adi_jval *v)
{
	char buf[32];

	if (adi_j_type(v) == ADI_J_INT && adi_j_as_int(v, 0) >= 0)
		fputs(adi_size_str((uint64_t)adi_j_as_int(v, 0), buf, sizeof(buf)), t->m);
	else
		adi_tx_val(t, v);
}

/* Payload text (content, previews): "<binary N B>" for base64 payload,
 * else at most t->preview bytes escaped, with "..." when cut. Prints
 * nothing for a missing or empty value; returns whether it printed. */
static bool adi_tx_payload(struct adi_tx *t, const char *lead,
			   const struct adi_jval *v, bool quoted)
{
	static const char b64[] = "base64:";
	const char *s = adi_j_as_str(v, NULL);
	size_t n = adi_j_len(v), l, pad = 0;
	bool cut;

	if (adi_j_type(v) != ADI_J_STR || n == 0)
		return false;
	fputs(lead, t->m);
	if (n >= sizeof(b64) - 1 && memcmp(s, b64, sizeof(b64) - 1) == 0) {
		l = n - (sizeof(b64) - 1);
		while (pad < 2 && pad < l && s[n - 1 - pad] == '=')
			pad++;
		fprintf(t->m, "<binary %zu B>", l % 4 ? l * 3 / 4 : l / 4 * 3 - pad);
		return true;
	}
	if (quoted)
		fputc('"', t->m);
	cut = adi_tx_esc(t, s, n, t->preview,
			 ADI_ESC_BSLASH | (quoted ? ADI_ESC_QUOTE : 0));
	if (quoted)
		fputc('"', t->m);
	if (cut)
		fputs("...", t->m);
	return true;
}

static void adi_tx_error(struct adi_tx *t, const struct adi_jval *fields)
{
	const struct adi_jval *e = adi_j_get(fields, "error");

	if (adi_j_is_null(e))
		return;
	fputc(' ', t->m);
	adi_tx_color(t, ADI_C_RED);
	fputs("! ", t->m);
	adi_tx_val(t, e);
	adi_tx_color(t, ADI_C_RESET);
}

static bool adi_streq(const char *a, const char *b)
{
	return a && strcmp(a, b) == 0;
}

static void adi_tx_file(struct adi_tx *t, const struct adi_jval *f)
{
	const char *op = adi_j_get_str(f, "op", NULL);
	const struct adi_jval *v;

	adi_tx_tag(t, ADI_C_FILE, "FS ", op);
	/* close is about the descriptor: the path is shown only if known */
	if (!adi_streq(op, "close") || !adi_j_is_null(adi_j_get(f, "path"))) {
		fputc(' ', t->m);
		adi_tx_field(t, f, "path");
	}
	if (adi_streq(op, "open")) {
		if (!adi_j_is_null(adi_j_get(f, "flags"))) {
			fputc(' ', t->m);
			adi_tx_field(t, f, "flags");
		}
		if (!adi_j_is_null(adi_j_get(f, "mode"))) {
			fputs(" mode ", t->m);
			adi_tx_field(t, f, "mode");
		}
		if (!adi_j_is_null(adi_j_get(f, "fd"))) {
			fputs(" = fd ", t->m);
			adi_tx_field(t, f, "fd");
		}
	} else if (adi_streq(op, "read") || adi_streq(op, "write")) {
		fputs(" (", t->m);
		adi_tx_size(t, adi_j_get(f, "bytes"));
		v = adi_j_get(f, "ops");
		if (adi_j_as_int(v, 1) > 1)
			fprintf(t->m, ", %" PRId64 " calls", adi_j_as_int(v, 1));
		fputc(')', t->m);
		adi_tx_payload(t, " ", adi_j_get(f, "content"), true);
	} else if (adi_streq(op, "rename") || adi_streq(op, "link") ||
		   adi_streq(op, "symlink")) {
		fputs(" -> ", t->m);
		adi_tx_field(t, f, "new_path");
	} else if (adi_streq(op, "chmod") ||
		   (adi_streq(op, "mkdir") && !adi_j_is_null(adi_j_get(f, "mode")))) {
		fputs(" mode ", t->m);
		adi_tx_field(t, f, "mode");
	} else if (adi_streq(op, "chown")) {
		fputs(" owner ", t->m);
		adi_tx_field(t, f, "uid");
		fputc(':', t->m);
		adi_tx_field(t, f, "gid");
	} else if (adi_streq(op, "close")) {
		fputs(" (fd ", t->m);
		adi_tx_field(t, f, "fd");
		fputc(')', t->m);
	}
	adi_tx_error(t, f);
}

/* One exec argument, quoted only when it could be misread unquoted. */
static void adi_tx_arg(struct adi_tx *t, const struct adi_jval *a)
{
	const char *s = adi_j_as_str(a, NULL);
	size_t n = adi_j_len(a);
	bool quote = n == 0;

	if (!s) {
		adi_tx_val(t, a);
		return;
	}
	for (size_t i = 0; i < n && !quote; i++) {
		unsigned char c = (unsigned char)s[i];

		quote = c == ' ' || c == '"' || c == '\'' || c == '\\' ||
			c < 0x20 || c == 0x7f;
	}
	if (quote)
		fputc('"', t->m);
	adi_tx_esc(t, s, n, SIZE_MAX, quote ? ADI_ESC_QUOTE | ADI_ESC_BSLASH : 0);
	if (quote)
		fputc('"', t->m);
}

/* Returns false for an op it has no layout for. */
static bool adi_tx_process(struct adi_tx *t, const struct adi_jval *f)
{
	const char *op = adi_j_get_str(f, "op", NULL);
	const struct adi_jval *argv, *sig;

	if (adi_streq(op, "exec")) {
		adi_tx_tag(t, ADI_C_PROC, "", op);
		argv = adi_j_get(f, "argv");
		if (adi_j_type(argv) != ADI_J_ARR) {
			fputs(" ?", t->m);
			return true;
		}
		for (size_t i = 0; i < adi_j_len(argv); i++) {
			fputc(' ', t->m);
			adi_tx_arg(t, adi_j_at(argv, i));
		}
	} else if (adi_streq(op, "fork")) {
		/* The event belongs to the new child; ppid is who forked it. */
		adi_tx_tag(t, ADI_C_PROC, "", op);
		fputs(" from ", t->m);
		adi_tx_field(t, f, "ppid");
	} else if (adi_streq(op, "exit")) {
		adi_tx_tag(t, ADI_C_PROC, "", op);
		sig = adi_j_get(f, "signal");
		if (!adi_j_is_null(sig)) {
			fputs(" signal ", t->m);
			adi_tx_val(t, sig);
		} else {
			fputc(' ', t->m);
			adi_tx_field(t, f, "exit_code");
		}
	} else {
		return false;
	}
	return true;
}

static void adi_tx_connection(struct adi_tx *t, const struct adi_jval *f)
{
	const struct adi_jval *c = adi_j_get(f, "conn");

	/* accept keeps local -> remote: the arrow is the socket's view,
	 * the role is in the op */
	adi_tx_tag(t, ADI_C_NET, "NET ", adi_j_get_str(f, "op", NULL));
	fputc(' ', t->m);
	adi_tx_field(t, c, "transport");
	fputc(' ', t->m);
	adi_tx_field(t, c, "local");
	fputs(" -> ", t->m);
	adi_tx_field(t, c, "remote");
	adi_tx_error(t, f);
}

static void adi_tx_tcp_stream(struct adi_tx *t, const struct adi_jval *f)
{
	const struct adi_jval *c = adi_j_get(f, "conn");
	const char *proto = adi_j_get_str(f, "protocol", NULL);

	adi_tx_tag(t, ADI_C_NET, "", "tcp");
	fputc(' ', t->m);
	adi_tx_field(t, c, "local");
	fputs(" -> ", t->m);
	adi_tx_field(t, c, "remote");
	fputs(" out ", t->m);
	adi_tx_size(t, adi_j_get(f, "bytes_out"));
	fputs(" in ", t->m);
	adi_tx_size(t, adi_j_get(f, "bytes_in"));
	/* holes in the captured stream make the previews partial */
	if (adi_j_get_int(f, "gaps", 0) > 0) {
		fputs(" gaps ", t->m);
		adi_tx_field(t, f, "gaps");
	}
	/* a classified but unparsed protocol is worth knowing */
	if (proto && *proto && strcmp(proto, "unknown") != 0) {
		fputs(" (", t->m);
		adi_tx_field(t, f, "protocol");
		fputc(')', t->m);
	}
}

/* One datagram no decoder took: "udp out 127.0.0.1:5000 -> 127.0.0.1:9 (12 B)";
 * its preview follows on a continuation line. */
static void adi_tx_udp(struct adi_tx *t, const struct adi_jval *f)
{
	const struct adi_jval *c = adi_j_get(f, "conn");
	bool in = adi_streq(adi_j_get_str(f, "direction", NULL), "in");

	adi_tx_tag(t, ADI_C_NET, "", adi_streq(adi_j_get_str(c, "transport", NULL), "udp")
					 ? "udp" : "dgram");
	fputs(in ? " in " : " out ", t->m);
	adi_tx_field(t, c, "local");
	fputs(in ? " <- " : " -> ", t->m);
	adi_tx_field(t, c, "remote");
	fputs(" (", t->m);
	adi_tx_size(t, adi_j_get(f, "bytes"));
	fputc(')', t->m);
	if (adi_j_as_bool(adi_j_get(f, "truncated"), false))
		fputs(" truncated", t->m);
}

/* One DNS exchange: "DNS A example.test -> 127.0.0.1, ::1 (NOERROR)";
 * "-> no response" when none came, "(TC)" when the answer was cut for
 * UDP, "retries N" when the query was sent again. */
static void adi_tx_dns(struct adi_tx *t, const struct adi_jval *f)
{
	const struct adi_jval *ans = adi_j_get(f, "answers"), *fl = adi_j_get(f, "flags");
	const char *name = adi_j_get_str(f, "name", NULL);
	const char *rcode = adi_j_get_str(f, "rcode", NULL);
	bool tc = false;

	for (size_t i = 0; i < adi_j_len(fl) && adi_j_type(fl) == ADI_J_ARR; i++)
		tc |= adi_streq(adi_j_as_str(adi_j_at(fl, i), NULL), "TC");
	adi_tx_tag(t, ADI_C_PROTO, "DNS ", adi_j_get_str(f, "qtype", NULL));
	fputc(' ', t->m);
	if (name)
		adi_tx_esc(t, name, strlen(name), t->preview * 2, 0);
	else
		fputc('?', t->m);
	fputs(" -> ", t->m);
	if (!rcode) {
		adi_tx_color(t, ADI_C_RED);
		fputs("no response", t->m);
		adi_tx_color(t, ADI_C_RESET);
	} else {
		size_t na = adi_j_type(ans) == ADI_J_ARR ? adi_j_len(ans) : 0;

		/* a line, not a zone dump: the first few, then how many more */
		for (size_t i = 0; i < na && i < ADI_TEXT_DNS_ANSWERS; i++) {
			const struct adi_jval *a = adi_j_at(ans, i);

			if (i)
				fputs(", ", t->m);
			adi_tx_esc(t, adi_j_as_str(a, ""), adi_j_len(a), t->preview, 0);
		}
		if (na > ADI_TEXT_DNS_ANSWERS)
			fprintf(t->m, " +%zu more", na - ADI_TEXT_DNS_ANSWERS);
		if (adi_j_len(ans))
			fputc(' ', t->m);
		adi_tx_color(t, strcmp(rcode, "NOERROR") ? ADI_C_RED : ADI_C_PROTO);
		fprintf(t->m, "(%s)", rcode);
		adi_tx_color(t, ADI_C_RESET);
	}
	if (tc)
		fputs(" (TC)", t->m);
	if (adi_j_get_int(f, "retries", 0) > 0) {
		fputs(" retries ", t->m);
		adi_tx_field(t, f, "retries");
	}
	if (adi_j_as_bool(adi_j_get(f, "truncated"), false))
		fputs(" truncated", t->m);
}

/* The previews go on continuation lines, after the duration. */
static void adi_tx_tcp_previews(struct adi_tx *t, const struct adi_jval *f)
{
	adi_tx_payload(t, "\n" ADI_TEXT_INDENT "> ", adi_j_get(f, "preview_out"), false);
	adi_tx_payload(t, "\n" ADI_TEXT_INDENT "< ", adi_j_get(f, "preview_in"), false);
}

/* One HTTP exchange: "HTTP GET host/url -> 200 (req 12 B, resp 2.1 KiB)";
 * a served request (the traced task answered) says "HTTP SERVED". */
static void adi_tx_http(struct adi_tx *t, const struct adi_jval *f)
{
	const struct adi_jval *c = adi_j_get(f, "conn");
	const char *host = adi_j_get_str(f, "host", NULL);
	const char *url = adi_j_get_str(f, "url", NULL);
	bool served = adi_streq(adi_j_get_str(c, "role", NULL), "server");

	adi_tx_tag(t, ADI_C_PROTO, served ? "HTTP SERVED " : "HTTP ",
		   adi_j_get_str(f, "method", NULL));
	fputc(' ', t->m);
	if (host && !served)
		adi_tx_esc(t, host, strlen(host), t->preview, 0);
	if (url)
		adi_tx_esc(t, url, strlen(url), t->preview * 2, 0);
	else
		fputc('?', t->m);
	fputs(" -> ", t->m);
	if (adi_j_is_null(adi_j_get(f, "status"))) {
		adi_tx_color(t, ADI_C_RED);
		fputs("no response", t->m);
		adi_tx_color(t, ADI_C_RESET);
	} else {
		int64_t st = adi_j_get_int(f, "status", 0);

		adi_tx_color(t, st >= 400 ? ADI_C_RED : ADI_C_PROTO);
		fprintf(t->m, "%" PRId64, st);
		adi_tx_color(t, ADI_C_RESET);
	}
	fputs(" (req ", t->m);
	adi_tx_size(t, adi_j_get(f, "req_bytes"));
	fputs(", resp ", t->m);
	adi_tx_size(t, adi_j_get(f, "resp_bytes"));
	fputc(')', t->m);
	if (adi_j_as_bool(adi_j_get(f, "truncated"), false))
		fputs(" truncated", t->m);
	if (adi_j_as_bool(adi_j_get(f, "incomplete"), false))
		fputs(" incomplete", t->m);
	if (!adi_j_is_null(adi_j_get(f, "upgrade"))) {
		fputs(" upgrade ", t->m);
		adi_tx_field(t, f, "upgrade");
	}
	if (adi_j_as_bool(adi_j_get(f, "tunnel"), false))
		fputs(" tunnel", t->m);
}

/* Bodies on continuation lines, like tcp previews. */
static void adi_tx_http_bodies(struct adi_tx *t, const struct adi_jval *f)
{
	adi_tx_payload(t, "\n" ADI_TEXT_INDENT "> ", adi_j_get(f, "req_body"), false);
	adi_tx_payload(t, "\n" ADI_TEXT_INDENT "< ", adi_j_get(f, "resp_body"), false);
}

/* One SQL round trip: "SQL POSTGRES select ... -> SELECT 3 (3 rows) in_tx";
 * an error in red instead of the tag. Parameters follow on a continuation
 * line (after the duration), like HTTP bodies. */
static void adi_tx_sql(struct adi_tx *t, const struct adi_jval *f)
{
	const struct adi_jval *sql = adi_j_get(f, "sql");
	const struct adi_jval *err = adi_j_get(f, "error");
	const char *tag = adi_j_get_str(f, "command_tag", NULL);
	const char *tx = adi_j_get_str(f, "tx", NULL);
	const char *cmd = adi_j_get_str(f, "command", NULL);

	adi_tx_tag(t, ADI_C_PROTO, "SQL ", adi_j_get_str(f, "db", NULL));
	fputc(' ', t->m);
	if (adi_j_type(sql) == ADI_J_STR)
		adi_tx_esc(t, adi_j_as_str(sql, ""), adi_j_len(sql), t->preview * 2, 0);
	else if (cmd)
		fputs(cmd, t->m);
	else if (!adi_j_is_null(adi_j_get(f, "statement"))) {
		fputs("EXECUTE ", t->m);
		adi_tx_field(t, f, "statement");
	} else
		fputc('?', t->m);
	fputs(" -> ", t->m);
	if (!adi_j_is_null(err)) {
		adi_tx_color(t, ADI_C_RED);
		fputs("error ", t->m);
		adi_tx_field(t, err, "code");
		fputc(' ', t->m);
		adi_tx_field(t, err, "message");
		adi_tx_color(t, ADI_C_RESET);
	} else if (tag) {
		adi_tx_esc(t, tag, strlen(tag), t->preview, 0);
	} else if (adi_j_is_null(adi_j_get(f, "tx"))) {
		adi_tx_color(t, ADI_C_RED);
		fputs("no reply", t->m);
		adi_tx_color(t, ADI_C_RESET);
	} else
		fputs("ok", t->m);
	if (adi_j_type(adi_j_get(f, "columns")) == ADI_J_ARR) {
		fputs(" (", t->m);
		adi_tx_field(t, f, "rows");
		fputs(" rows)", t->m);
	}
	if (tx && strcmp(tx, "idle") != 0)
		fprintf(t->m, " %s", tx);
	if (adi_j_as_bool(adi_j_get(f, "truncated"), false))
		fputs(" truncated", t->m);
	if (adi_j_as_bool(adi_j_get(f, "incomplete"), false))
		fputs(" incomplete", t->m);
}

static void adi_tx_sql_params(struct adi_tx *t, const struct adi_jval *f)
{
	const struct adi_jval *p = adi_j_get(f, "params");

	if (adi_j_type(p) != ADI_J_ARR || adi_j_len(p) == 0)
		return;
	fputs("\n" ADI_TEXT_INDENT "params ", t->m);
	adi_j_write(p, t->m);
}

static void adi_tx_summary(struct adi_tx *t, const struct adi_jval *f, int64_t dur_ns)
{
	const struct adi_jval *ev = adi_j_get(f, "events"), *d;
	int64_t total = 0;

	for (size_t i = 0; i < adi_j_len(ev) && adi_j_type(ev) == ADI_J_OBJ; i++)
		total += adi_j_as_int(adi_j_at(ev, i), 0);
	adi_tx_tag(t, ADI_C_BOLD, "", "summary");
	fprintf(t->m, " %" PRId64 " events", total);
	if (adi_j_type(ev) == ADI_J_OBJ && adi_j_len(ev) > 0) {
		fputs(" (", t->m);
		for (size_t i = 0; i < adi_j_len(ev); i++) {
			if (i)
				fputc(' ', t->m);
			adi_tx_esc(t, adi_j_key_at(ev, i), strlen(adi_j_key_at(ev, i)),
				   SIZE_MAX, 0);
			fputc('=', t->m);
			adi_tx_val(t, adi_j_at(ev, i));
		}
		fputc(')', t->m);
	}
	d = adi_j_get(f, "dropped");
	fputs(", ", t->m);
	if (adi_j_as_int(d, 0) > 0) {
		/* lost events make the whole trace suspect: say it loudly */
		adi_tx_color(t, ADI_C_ALERT);
		fprintf(t->m, "DROPPED %" PRId64 " EVENTS", adi_j_as_int(d, 0));
		adi_tx_color(t, ADI_C_RESET);
	} else {
		fputs("dropped ", t->m);
		adi_tx_val(t, d);
	}
	fputs(", truncated ", t->m);
	adi_tx_field(t, f, "truncated");
	fputs(", ", t->m);
	/* the trace's length is the event's own duration (docs/events.md); a
	 * duration_ms field is honoured for traces written by others */
	d = adi_j_get(f, "duration_ms");
	if (dur_ns >= 0) {
		adi_tx_ms(t, dur_ns);
	} else if (adi_j_type(d) == ADI_J_INT || adi_j_type(d) == ADI_J_DOUBLE) {
		double ms = adi_j_as_double(d, 0);

		/* in range for int64 ns; rounded by hand so no libm is needed */
		if (isfinite(ms) && ms < 9e12 && ms > -9e12)
			adi_tx_ms(t, (int64_t)(ms * 1e6 + (ms < 0 ? -0.5 : 0.5)));
		else
			adi_tx_val(t, d);
	} else {
		adi_tx_val(t, d);
	}
	fputs(" ms, backend ", t->m);
	adi_tx_field(t, f, "backend");
}

/* Any other kind: its name and all its fields as JSON. */
static void adi_tx_generic(struct adi_tx *t, const struct adi_event *ev)
{
	adi_tx_tag(t, ADI_C_PROTO, "", ev->kind);
	fputs(" {", t->m);
	if (ev->fields_len)
		fwrite(ev->fields, 1, ev->fields_len, t->m);
	fputc('}', t->m);
}

/* f: the event's fields as a tree (the timeline picks what it shows). */
static void adi_tx_event(struct adi_tx *t, const struct adi_event *ev,
			 const struct adi_jval *f)
{
	const char *kind = ev->kind;
	size_t cl = strnlen(ev->comm, sizeof(ev->comm));
	char clock[32];

	adi_tx_color(t, ADI_C_DIM);
	fputs(adi_clock_str(ev->ts_ns, clock, sizeof(clock)), t->m);
	adi_tx_color(t, ADI_C_RESET);
	fprintf(t->m, " [PID %" PRIu32, ev->pid);
	/* tid 0 means unknown, not a thread */
	if (ev->tid != ev->pid && ev->tid != 0)
		fprintf(t->m, "/%" PRIu32, ev->tid);
	if (cl) {
		fputc(' ', t->m);
		adi_tx_esc(t, ev->comm, cl, SIZE_MAX, 0);
	}
	fputs("] ", t->m);

	if (adi_streq(kind, "file"))
		adi_tx_file(t, f);
	else if (adi_streq(kind, "process") && adi_tx_process(t, f))
		;
	else if (adi_streq(kind, "connection"))
		adi_tx_connection(t, f);
	else if (adi_streq(kind, "tcp_stream"))
		adi_tx_tcp_stream(t, f);
	else if (adi_streq(kind, "trace_summary"))
		adi_tx_summary(t, f, ev->duration_ns);
	else if (adi_streq(kind, "http_request"))
		adi_tx_http(t, f);
	else if (adi_streq(kind, "sql_query"))
		adi_tx_sql(t, f);
	else if (adi_streq(kind, "dns_query"))
		adi_tx_dns(t, f);
	else if (adi_streq(kind, "udp_datagram"))
		adi_tx_udp(t, f);
	else
		adi_tx_generic(t, ev);

	if (ev->duration_ns >= 0 && !adi_streq(kind, "trace_summary")) {
		fputs(" [", t->m);
		adi_tx_ms(t, ev->duration_ns);
		fputs(" ms]", t->m);
	}
	if (adi_streq(kind, "tcp_stream"))
		adi_tx_tcp_previews(t, f);
	else if (adi_streq(kind, "http_request"))
		adi_tx_http_bodies(t, f);
	else if (adi_streq(kind, "sql_query"))
		adi_tx_sql_params(t, f);
	else if (adi_streq(kind, "udp_datagram"))
		adi_tx_payload(t, "\n" ADI_TEXT_INDENT "| ", adi_j_get(f, "preview"), false);
	fputc('\n', t->m);
}

/* Write the whole line; 0 or -errno. The stream's error flag is cleared
 * once reported, so the engine can count the loss and keep going. */
static int adi_text_put_line(FILE *f, const char *line, size_t len)
{
	int err = 0;

	errno = 0;
	if (fwrite(line, 1, len, f) != len || ferror(f))
		err = errno ? -errno : -EIO;
	if (err)
		clearerr(f);
	return err;
}

static int adi_sink_text_emit(struct adi_sink *s, const struct adi_event *ev)
{
	struct adi_sink_text *ts = (struct adi_sink_text *)s;
	struct adi_tx t = { .color = ts->color, .preview = ts->preview };
	struct adi_jval *f = adi_event_fields_tree(ev);
	char *line = NULL;
	size_t len = 0;
	int err;

	t.m = open_memstream(&line, &len);
	if (!t.m) {
		adi_j_free(f);
		return -ENOMEM;
	}
	adi_tx_event(&t, ev, f);
	adi_j_free(f);
	err = ferror(t.m) ? -ENOMEM : 0;
	if (fclose(t.m) != 0)
		err = -ENOMEM;
	if (!err)
		err = adi_text_put_line(ts->f, line, len);
	free(line);
	return err;
}

static int adi_sink_text_flush(struct adi_sink *s)
{
	struct adi_sink_text *ts = (struct adi_sink_text *)s;
	int err = 0;

	errno = 0;
	if (fflush(ts->f) != 0 || ferror(ts->f))
		err = errno ? -errno : -EIO;
	if (err)
		clearerr(ts->f);
	return err;
}

static void adi_sink_text_free(struct adi_sink *s)
{
	free(s);
}

/* A new text timeline sink writing to f (borrowed, never closed). o may be
 * NULL; content_preview 0 means the default of 64 bytes. NULL with errno
 * set (EINVAL for no f, ENOMEM). Free it with adi_sink_free. */
struct adi_sink *adi_sink_text_new(FILE *f, const struct adi_sink_opts *o)
{
	struct adi_sink_text *ts;

	if (!f) {
		errno = EINVAL;
		return NULL;
	}
	ts = calloc(1, sizeof(*ts));
	if (!ts) {
		errno = ENOMEM;
		return NULL;
	}
	ts->base.emit = adi_sink_text_emit;
	ts->base.flush = adi_sink_text_flush;
	ts->base.free = adi_sink_text_free;
	ts->f = f;
	ts->color = o ? o->color : 0;
	ts->preview = o && o->content_preview ? o->content_preview :
						 ADI_TEXT_PREVIEW_DEFAULT;
	return &ts->base;
}
