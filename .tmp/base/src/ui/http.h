/* http.h - the little HTTP/1.1 the UI server speaks: parse one request
 * head (GET only, bounded), read its query and cookies. Pure functions over
 * the caller's buffer: no sockets, no allocation; results point into it.
 */
#ifndef ADI_UI_HTTP_H
#define ADI_UI_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define ADI_HTTP_MAX_HEAD 8192 /* a longer request head gets 431 */

struct adi_http_str {
	const char *s;  /* into the request buffer; NULL when absent */
	size_t n;
};

struct adi_http_req {
	struct adi_http_str path;          /* "/api/events", without the query */
	struct adi_http_str query;         /* after '?', may be empty */
	struct adi_http_str cookie;        /* the Cookie header's value */
	struct adi_http_str last_event_id; /* the Last-Event-ID header (SSE resume) */
};

/* Length of the head in buf[0..n) including its blank line, or 0 when the
 * blank line has not arrived yet. */
size_t adi_http_head_len(const char *buf, size_t n);

/* Parse the head buf[0..n) (as measured by adi_http_head_len). Returns 0,
 * or the status to answer with: 400 (malformed), 405 (not GET or HEAD), 505
 * (not HTTP/1.x). *head_only is set for HEAD. */
int adi_http_parse(const char *buf, size_t n, struct adi_http_req *r, bool *head_only);

/* The value of name in a query "a=1&b=2" (not percent-decoded: the UI's
 * values are hex and digits). */
bool adi_http_query_get(struct adi_http_str q, const char *name, struct adi_http_str *v);

/* The value of cookie name in a Cookie header "a=1; b=2". */
bool adi_http_cookie_get(struct adi_http_str c, const char *name, struct adi_http_str *v);

/* A decimal value to unsigned long; false when it is not one. */
bool adi_http_ulong(struct adi_http_str v, unsigned long *out);

/* a equals the NUL terminated b, in time that does not depend on where
 * they differ (the token check). */
bool adi_http_const_eq(struct adi_http_str a, const char *b);

#endif
