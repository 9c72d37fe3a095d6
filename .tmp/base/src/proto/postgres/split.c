/* split.c - a simple query holding several statements ("INSERT ...;
 * SELECT ...") answered with one result each: its text cut at the
 * semicolons that end statements, so that each held event gets its own
 * statement's text when the count matches the results. Keeps nothing
 * beyond one call.
 */
#include <stdlib.h>
#include <string.h>

#include "pg.h"

struct pg_span {
	size_t off, len;
};

static bool pg_identc(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c >= 0x80;
}

static bool pg_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Add s[a..b) trimmed of white space. */
static size_t pg_span_add(const uint8_t *s, size_t a, size_t b, struct pg_span *sp,
			  size_t n, size_t max)
{
	while (a < b && pg_space(s[a]))
		a++;
	while (b > a && pg_space(s[b - 1]))
		b--;
	if (n < max) {
		sp[n].off = a;
		sp[n].len = b - a;
	}
	return n + 1;
}

/* The end of the comment at s[i] ("--" to the line end, or a nested block
 * comment), or i when none starts there. */
static size_t pg_skip_comment(const uint8_t *s, size_t n, size_t i)
{
	unsigned depth = 1;

	if (s[i] == '-' && i + 1 < n && s[i + 1] == '-') {
		while (i < n && s[i] != '\n')
			i++;
		return i;
	}
	if (!(s[i] == '/' && i + 1 < n && s[i + 1] == '*'))
		return i;
	for (i += 2; i < n && depth;) {
		if (s[i] == '/' && i + 1 < n && s[i + 1] == '*') {
			depth++;
			i += 2;
		} else if (s[i] == '*' && i + 1 < n && s[i + 1] == '/') {
			depth--;
			i += 2;
		} else {
			i++;
		}
	}
	return i;
}

/* The end of the quoted literal or identifier at s[i] ('...', E'...' with
 * backslash escapes, "...", $tag$...$tag$), or i when none starts there. */
static size_t pg_skip_quoted(const uint8_t *s, size_t n, size_t i)
{
	uint8_t c = s[i];

	if (c == '\'' || c == '"') {
		bool esc = c == '\'' && i > 0 && (s[i - 1] == 'E' || s[i - 1] == 'e') &&
			   (i < 2 || !pg_identc(s[i - 2]));

		for (i++; i < n; i++) {
			if (esc && s[i] == '\\') {
				i++;
			} else if (s[i] == c) {
				if (i + 1 < n && s[i + 1] == c)
					i++;
				else
					break;
			}
		}
		return i + 1;
	}
	if (c == '$' && (i == 0 || !(pg_identc(s[i - 1]) || s[i - 1] == '$'))) {
		size_t j = i + 1;

		while (j < n && pg_identc(s[j]) && !(j == i + 1 && s[j] >= '0' && s[j] <= '9'))
			j++;
		if (j < n && s[j] == '$') {
			size_t tl = j - i + 1;
			const uint8_t *e = j + 1 < n ? memmem(s + j + 1, n - j - 1, s + i, tl) : NULL;

			return e ? (size_t)(e - s) + tl : n;
		}
	}
	return i;
}

/* Split s[0..n) at the semicolons that end statements: not inside
 * '...' (E'...' with backslash escapes), "...", $tag$...$tag$, -- line or
 * nested block comments. Empty statements (white space and comments only)
 * are dropped, as the server does. Returns the statement count (spans
 * beyond max are counted, not stored). A body the server parses as one
 * statement but that holds top-level semicolons (BEGIN ATOMIC ... END)
 * splits wrongly: the count then differs from the results, and the caller
 * falls back to the whole text. */
static size_t pg_split(const uint8_t *s, size_t n, struct pg_span *sp, size_t max)
{
	size_t i = 0, start = 0, cnt = 0, j;
	bool content = false;

	while (i < n) {
		uint8_t c = s[i];

		if ((j = pg_skip_comment(s, n, i)) != i) {
			i = j;
			continue;
		}
		if (c == ';') {
			if (content)
				cnt = pg_span_add(s, start, i, sp, cnt, max);
			start = ++i;
			content = false;
			continue;
		}
		if (pg_space(c)) {
			i++;
			continue;
		}
		content = true;
		j = pg_skip_quoted(s, n, i);
		i = j != i ? j : i + 1;
	}
	if (content)
		cnt = pg_span_add(s, start, n, sp, cnt, max);
	return cnt;
}

/* pg_query_done(): the split matches the results when there are as many
 * statements as results; after an error, at least as many, since later
 * statements do not run; an error first with several statements only
 * when it is not a syntax error, which rejects the whole string before
 * anything runs. Else the events keep the whole text. */
void pg_query_done(struct pg_state *st, const struct pg_op *op)
{
	struct pg_span few[8], *sp = few;
	/* only the spans of results can be used: a held event's index is
	 * below q_nres */
	size_t max = st->q_nres < PG_MAX_SPLIT ? st->q_nres : PG_MAX_SPLIT;
	size_t cnt;
	bool match;

	if (!op->q || !st->q_nres)
		return;
	if (max > sizeof(few) / sizeof(*few) && !(sp = malloc(max * sizeof(*sp))))
		return;
	cnt = pg_split(op->q->s, op->q->len, sp, max);
	if (st->q_err < 0)
		match = cnt == st->q_nres;
	else
		match = (size_t)st->q_err < cnt && (st->q_err > 0 || cnt == 1 || !st->q_syntax);
	match = match && cnt <= PG_MAX_SPLIT && !op->q->cut;
	for (unsigned i = 0; match && i < st->nheld; i++) {
		struct pg_held *h = &st->held[i];

		if (h->q == op->q && h->qi < cnt && h->qi < max) {
			h->split = true; /* written when the event goes out */
			h->off = sp[h->qi].off;
			h->len = sp[h->qi].len;
		}
	}
	if (sp != few)
		free(sp);
}
