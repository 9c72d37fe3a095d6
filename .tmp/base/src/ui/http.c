/* http.c - request-head parsing for the UI server (http.h). Everything is
 * bounded by the caller's length; nothing is written to the buffer. */
#include "http.h"

#include <string.h>
#include <strings.h>

size_t adi_http_head_len(const char *buf, size_t n)
{
	for (size_t i = 3; i < n; i++)
		if (buf[i] == '\n' && buf[i - 1] == '\r' && buf[i - 2] == '\n' &&
		    buf[i - 3] == '\r')
			return i + 1;
	return 0;
}

/* The line starting at *at (ending in CRLF, before end); advances *at. */
static bool adi_http_line(const char *buf, size_t end, size_t *at, struct adi_http_str *l)
{
	for (size_t i = *at; i + 1 < end; i++) {
		if (buf[i] == '\r' && buf[i + 1] == '\n') {
			l->s = buf + *at;
			l->n = i - *at;
			*at = i + 2;
			return true;
		}
	}
	return false;
}

static bool adi_http_is_name(struct adi_http_str h, const char *name, struct adi_http_str *v)
{
	size_t nl = strlen(name);

	if (h.n <= nl || h.s[nl] != ':' || strncasecmp(h.s, name, nl))
		return false;
	v->s = h.s + nl + 1;
	v->n = h.n - nl - 1;
	while (v->n && (*v->s == ' ' || *v->s == '\t')) {
		v->s++;
		v->n--;
	}
	while (v->n && (v->s[v->n - 1] == ' ' || v->s[v->n - 1] == '\t'))
		v->n--;
	return true;
}

/*   GET /path?query HTTP/1.1\r\n
 *   Name: value\r\n ... \r\n          (RFC 9112 section 3) */
int adi_http_parse(const char *buf, size_t n, struct adi_http_req *r, bool *head_only)
{
	struct adi_http_str l, v;
	size_t at = 0, sp1, sp2;
	const char *q;

	memset(r, 0, sizeof(*r));
	*head_only = false;
	if (!adi_http_line(buf, n, &at, &l) || l.n == 0)
		return 400;
	q = memchr(l.s, ' ', l.n);
	if (!q)
		return 400;
	sp1 = (size_t)(q - l.s);
	q = memchr(l.s + sp1 + 1, ' ', l.n - sp1 - 1);
	if (!q)
		return 400;
	sp2 = (size_t)(q - l.s);
	if (l.n - sp2 - 1 != 8 || memcmp(l.s + sp2 + 1, "HTTP/1.", 7))
		return 505;
	if (sp1 == 4 && !memcmp(l.s, "HEAD", 4))
		*head_only = true;
	else if (sp1 != 3 || memcmp(l.s, "GET", 3))
		return 405;
	r->path.s = l.s + sp1 + 1;
	r->path.n = sp2 - sp1 - 1;
	if (r->path.n == 0 || r->path.s[0] != '/')
		return 400;
	q = memchr(r->path.s, '?', r->path.n);
	if (q) {
		r->query.s = q + 1;
		r->query.n = r->path.n - (size_t)(q - r->path.s) - 1;
		r->path.n = (size_t)(q - r->path.s);
	} else {
		r->query.s = r->path.s + r->path.n;
	}
	while (adi_http_line(buf, n, &at, &l) && l.n) {
		if (adi_http_is_name(l, "cookie", &v))
			r->cookie = v;
		else if (adi_http_is_name(l, "last-event-id", &v))
			r->last_event_id = v;
		else if (!memchr(l.s, ':', l.n))
			return 400;
	}
	return 0;
}

/* The value of name among the "key=value" pieces of s split at sep. */
static bool adi_http_pairs(struct adi_http_str s, char sep, const char *name,
			   struct adi_http_str *v)
{
	size_t nl = strlen(name), i = 0;

	while (i < s.n) {
		size_t j = i;

		while (j < s.n && s.s[j] != sep)
			j++;
		while (i < j && s.s[i] == ' ')
			i++;
		if (j - i > nl && s.s[i + nl] == '=' && !memcmp(s.s + i, name, nl)) {
			v->s = s.s + i + nl + 1;
			v->n = j - i - nl - 1;
			return true;
		}
		i = j + 1;
	}
	return false;
}

bool adi_http_query_get(struct adi_http_str q, const char *name, struct adi_http_str *v)
{
	return q.s && adi_http_pairs(q, '&', name, v);
}

bool adi_http_cookie_get(struct adi_http_str c, const char *name, struct adi_http_str *v)
{
	return c.s && adi_http_pairs(c, ';', name, v);
}

bool adi_http_ulong(struct adi_http_str v, unsigned long *out)
{
	unsigned long x = 0;

	if (!v.s || v.n == 0 || v.n > 15)
		return false;
	for (size_t i = 0; i < v.n; i++) {
		if (v.s[i] < '0' || v.s[i] > '9')
			return false;
		x = x * 10 + (unsigned long)(v.s[i] - '0');
	}
	*out = x;
	return true;
}

bool adi_http_const_eq(struct adi_http_str a, const char *b)
{
	size_t bn = strlen(b);
	unsigned char d = 0;

	if (!a.s || a.n != bn)
		return false;
	for (size_t i = 0; i < bn; i++)
		d |= (unsigned char)(a.s[i] ^ b[i]);
	return d == 0;
}
