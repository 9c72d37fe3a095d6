/* server.c - the UI's HTTP server and event store (ui.h). One poll loop
 * serves every client: a request head is read (bounded), answered, and the
 * connection closed, except /api/stream, which stays open and is fed from
 * the store as fast as the client reads (so a slow page holds no more than
 * about a megabyte here, however many events arrive). No keep-alive: the
 * page makes few requests, all to localhost.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept4 */
#endif

#include "ui.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "../lib/json.h"

#define ADI_UI_PAGE_DEFAULT 10000  /* events per /api/events answer */
#define ADI_UI_PAGE_MAX 20000
#define ADI_UI_SSE_CHUNK (1u << 20) /* bytes queued per refill of a stream */
#define ADI_UI_SSE_LOW (256u << 10) /* refill when less than this is queued */
#define ADI_UI_HEAD_TIMEOUT_MS 10000 /* to send a whole request head */
#define ADI_UI_PING_MS 15000         /* an idle stream gets a comment */

struct adi_ui_client {
	int fd;                  /* -1: free slot */
	uint64_t since_ms;       /* accepted, or last write on a stream */
	char in[ADI_HTTP_MAX_HEAD];
	size_t in_len;
	bool answered;           /* the request was handled: now writing */
	char *out;               /* bytes to send: out[off..len) */
	size_t out_len, out_off, out_cap;
	bool sse;
	size_t next;             /* stream: the next event to send */
	bool end_sent;
	bool oom;                /* could not queue: close */
};

struct adi_ui_ev {
	char *s;
	size_t n;
};

struct adi_ui {
	int lfd, wfd;            /* listening socket; eventfd that wakes poll */
	uint16_t port;
	bool live;
	char token[33];
	char cookie[32];         /* cookie name: adi_ui_<port> */
	char url[96];
	char *title;
	pthread_t th;
	bool th_started;
	atomic_int stop;
	atomic_int notified;     /* a wake-up is pending on wfd */

	pthread_mutex_t mu;      /* guards the store below */
	struct adi_ui_ev *ev;
	size_t n, cap;
	uint64_t bytes, refused;
	bool ended;

	struct adi_ui_client cl[ADI_UI_MAX_CLIENTS]; /* the serving thread's */
};

static uint64_t adi_ui_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* ---- the store ---- */

static void adi_ui_wake(struct adi_ui *u)
{
	uint64_t one = 1;

	/* one pending wake-up is enough, however many events came */
	if (!atomic_exchange(&u->notified, 1) && write(u->wfd, &one, sizeof(one)) < 0)
		atomic_store(&u->notified, 0);
}

int adi_ui_add(struct adi_ui *u, const char *json, size_t len)
{
	int err = 0;

	pthread_mutex_lock(&u->mu);
	if (u->bytes + len > ADI_UI_MAX_BYTES) {
		u->refused++;
		err = -E2BIG;
		goto out;
	}
	if (u->n == u->cap) {
		size_t cap = u->cap ? u->cap * 2 : 4096;
		struct adi_ui_ev *ev = realloc(u->ev, cap * sizeof(*ev));

		if (!ev) {
			u->refused++;
			err = -ENOMEM;
			goto out;
		}
		u->ev = ev;
		u->cap = cap;
	}
	u->ev[u->n].s = malloc(len ? len : 1);
	if (!u->ev[u->n].s) {
		u->refused++;
		err = -ENOMEM;
		goto out;
	}
	memcpy(u->ev[u->n].s, json, len);
	u->ev[u->n].n = len;
	u->n++;
	u->bytes += len;
out:
	pthread_mutex_unlock(&u->mu);
	adi_ui_wake(u);
	return err;
}

void adi_ui_end(struct adi_ui *u)
{
	pthread_mutex_lock(&u->mu);
	u->ended = true;
	pthread_mutex_unlock(&u->mu);
	adi_ui_wake(u);
}

void adi_ui_counts(struct adi_ui *u, uint64_t *held, uint64_t *refused)
{
	pthread_mutex_lock(&u->mu);
	*held = u->n;
	*refused = u->refused;
	pthread_mutex_unlock(&u->mu);
}

/* ---- a client's output ---- */

static bool adi_ui_put(struct adi_ui_client *c, const void *b, size_t n)
{
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	if (c->out_len + n > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		char *o;

		while (cap < c->out_len + n)
			cap *= 2;
		o = realloc(c->out, cap);
		if (!o) {
			c->oom = true;
			return false;
		}
		c->out = o;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, b, n);
	c->out_len += n;
	return true;
}

static bool adi_ui_puts(struct adi_ui_client *c, const char *s)
{
	return adi_ui_put(c, s, strlen(s));
}

static const char *adi_ui_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 431: return "Request Header Fields Too Large";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Error";
	}
}

/* The page needs nothing from elsewhere: forbid it all (and keep the
 * token out of any Referer). */
#define ADI_UI_HEADERS \
	"Cache-Control: no-store\r\n" \
	"X-Content-Type-Options: nosniff\r\n" \
	"Referrer-Policy: no-referrer\r\n" \
	"Content-Security-Policy: default-src 'none'; script-src 'self'; " \
	"style-src 'self'; img-src 'self' data:; connect-src 'self'; " \
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'\r\n"

/* Queue a whole answer; the connection closes once it is sent. */
static void adi_ui_reply(struct adi_ui_client *c, int status, const char *type,
			 const char *extra, const void *body, size_t len, bool head_only)
{
	char h[512];
	int n = snprintf(h, sizeof(h), "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n" ADI_UI_HEADERS "%s\r\n",
			 status, adi_ui_reason(status), type, len, extra ? extra : "");

	c->answered = true;
	if (n > 0 && (size_t)n < sizeof(h) && adi_ui_put(c, h, (size_t)n) && !head_only)
		adi_ui_put(c, body, len);
}

static void adi_ui_error(struct adi_ui_client *c, int status, const char *msg)
{
	char b[160];
	int n = snprintf(b, sizeof(b), "%d %s: %s\n", status, adi_ui_reason(status), msg);

	adi_ui_reply(c, status, "text/plain; charset=utf-8", NULL, b, (size_t)n, false);
}

/* ---- routes ---- */

static void adi_ui_info(struct adi_ui *u, struct adi_ui_client *c, bool head_only)
{
	char *b = NULL, num[200];
	size_t len = 0, cap = 0;
	int err, n;

	pthread_mutex_lock(&u->mu);
	n = snprintf(num, sizeof(num), "{\"version\":1,\"live\":%s,\"ended\":%s,"
		     "\"total\":%zu,\"refused\":%" PRIu64 ",\"title\":",
		     u->live ? "true" : "false", u->ended ? "true" : "false", u->n,
		     u->refused);
	pthread_mutex_unlock(&u->mu);
	err = adi_j_append_raw(num, (size_t)n, &b, &len, &cap);
	err |= adi_j_append_str(u->title, strlen(u->title), &b, &len, &cap);
	err |= adi_j_append_raw("}", 1, &b, &len, &cap);
	if (err)
		adi_ui_error(c, 503, "out of memory");
	else
		adi_ui_reply(c, 200, "application/json", NULL, b, len, head_only);
	free(b);
}

/* /api/events?from=N&limit=M: {"total":T,"from":N,"ended":..,"events":[...]} */
static void adi_ui_events(struct adi_ui *u, struct adi_ui_client *c,
			  const struct adi_http_req *r, bool head_only)
{
	struct adi_http_str v;
	unsigned long from = 0, limit = ADI_UI_PAGE_DEFAULT;
	char *b = NULL, num[160];
	size_t len = 0, cap = 0, end;
	int err, n;

	if (adi_http_query_get(r->query, "from", &v) && !adi_http_ulong(v, &from)) {
		adi_ui_error(c, 400, "from takes an event index");
		return;
	}
	if (adi_http_query_get(r->query, "limit", &v) && !adi_http_ulong(v, &limit)) {
		adi_ui_error(c, 400, "limit takes a count");
		return;
	}
	if (limit > ADI_UI_PAGE_MAX)
		limit = ADI_UI_PAGE_MAX;
	pthread_mutex_lock(&u->mu);
	if (from > u->n)
		from = u->n;
	end = from + limit < u->n ? from + limit : u->n;
	n = snprintf(num, sizeof(num), "{\"total\":%zu,\"from\":%lu,\"ended\":%s,\"live\":%s,"
		     "\"events\":[", u->n, from, u->ended ? "true" : "false",
		     u->live ? "true" : "false");
	err = adi_j_append_raw(num, (size_t)n, &b, &len, &cap);
	for (size_t i = from; i < end && !err; i++) {
		if (i > from)
			err |= adi_j_append_raw(",", 1, &b, &len, &cap);
		err |= adi_j_append_raw(u->ev[i].s, u->ev[i].n, &b, &len, &cap);
	}
	pthread_mutex_unlock(&u->mu);
	err |= adi_j_append_raw("]}", 2, &b, &len, &cap);
	if (err)
		adi_ui_error(c, 503, "out of memory");
	else
		adi_ui_reply(c, 200, "application/json", NULL, b, len, head_only);
	free(b);
}

/* /api/stream?from=N: Server-Sent Events, one `id: i` + `data: {event}`
 * per event from N (or after Last-Event-ID when the browser reconnects),
 * then `event: end` once the trace is complete. */
static void adi_ui_stream(struct adi_ui_client *c, const struct adi_http_req *r)
{
	struct adi_http_str v;
	unsigned long from = 0;

	if (adi_http_ulong(r->last_event_id, &from))
		from++;
	else if (adi_http_query_get(r->query, "from", &v) && !adi_http_ulong(v, &from)) {
		adi_ui_error(c, 400, "from takes an event index");
		return;
	}
	c->answered = true;
	c->sse = true;
	c->next = from;
	adi_ui_puts(c, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
		    "Connection: close\r\n" ADI_UI_HEADERS "\r\n"
		    "retry: 1000\n\n");
}

/* Queue more of the store on a stream whose queue runs low. */
static void adi_ui_stream_fill(struct adi_ui *u, struct adi_ui_client *c)
{
	size_t queued = c->out_len - c->out_off, added = 0;
	char id[40];

	if (!c->sse || c->end_sent || queued >= ADI_UI_SSE_LOW)
		return;
	pthread_mutex_lock(&u->mu);
	while (c->next < u->n && added < ADI_UI_SSE_CHUNK && !c->oom) {
		int n = snprintf(id, sizeof(id), "id: %zu\ndata: ", c->next);

		adi_ui_put(c, id, (size_t)n);
		adi_ui_put(c, u->ev[c->next].s, u->ev[c->next].n);
		adi_ui_put(c, "\n\n", 2);
		added += (size_t)n + u->ev[c->next].n + 2;
		c->next++;
	}
	if (u->ended && c->next >= u->n && !c->oom) {
		adi_ui_puts(c, "event: end\ndata: {}\n\n");
		c->end_sent = true;
	}
	pthread_mutex_unlock(&u->mu);
}

static const struct adi_ui_asset *adi_ui_asset_find(struct adi_http_str p)
{
	if (p.n == 1)
		p = (struct adi_http_str){ "/index.html", 11 };
	for (const struct adi_ui_asset *a = adi_ui_assets; a->path; a++)
		if (strlen(a->path) == p.n && !memcmp(a->path, p.s, p.n))
			return a;
	return NULL;
}

static bool adi_ui_path_is(struct adi_http_str p, const char *s)
{
	return p.n == strlen(s) && !memcmp(p.s, s, p.n);
}

/* A whole request head has arrived: check the token, route, answer. */
static void adi_ui_handle(struct adi_ui *u, struct adi_ui_client *c, size_t head)
{
	struct adi_http_req r;
	struct adi_http_str tok;
	const struct adi_ui_asset *a;
	bool head_only, by_query;
	char cookie[128];
	int st = adi_http_parse(c->in, head, &r, &head_only);

	if (st) {
		adi_ui_error(c, st, st == 405 ? "only GET" : "malformed request");
		return;
	}
	by_query = adi_http_query_get(r.query, "token", &tok) && adi_http_const_eq(tok, u->token);
	if (!by_query && !(adi_http_cookie_get(r.cookie, u->cookie, &tok) &&
			   adi_http_const_eq(tok, u->token))) {
		adi_ui_error(c, 403, "this URL needs the token adi-profiler printed");
		return;
	}
	if (adi_ui_path_is(r.path, "/api/events")) {
		adi_ui_events(u, c, &r, head_only);
		return;
	}
	if (adi_ui_path_is(r.path, "/api/info")) {
		adi_ui_info(u, c, head_only);
		return;
	}
	if (adi_ui_path_is(r.path, "/api/stream")) {
		if (head_only)
			adi_ui_reply(c, 200, "text/event-stream", NULL, "", 0, true);
		else
			adi_ui_stream(c, &r);
		return;
	}
	a = adi_ui_asset_find(r.path);
	if (!a) {
		adi_ui_error(c, 404, "no such page");
		return;
	}
	/* the page's own requests (scripts, styles) carry the token as a
	 * cookie, set when the page itself is asked for with it */
	snprintf(cookie, sizeof(cookie), "Set-Cookie: %s=%s; Path=/; HttpOnly; SameSite=Strict\r\n",
		 u->cookie, u->token);
	adi_ui_reply(c, 200, a->type, by_query ? cookie : NULL, a->data, a->len, head_only);
}

/* ---- the loop ---- */

static void adi_ui_drop(struct adi_ui_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static void adi_ui_accept(struct adi_ui *u)
{
	for (;;) {
		int fd = accept4(u->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), i;

		if (fd < 0)
			return;
		for (i = 0; i < ADI_UI_MAX_CLIENTS && u->cl[i].fd >= 0; i++)
			;
		if (i == ADI_UI_MAX_CLIENTS) {
			static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
				"Content-Length: 0\r\nConnection: close\r\n\r\n";

			/* best effort on a fresh socket: its buffer is empty */
			if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
				(void)0;
			close(fd);
			continue;
		}
		u->cl[i].fd = fd;
		u->cl[i].since_ms = adi_ui_now_ms();
	}
}

/* Bytes of a request head; an answer when it is complete or too long.
 * Returns false when the client is gone. */
static bool adi_ui_read(struct adi_ui *u, struct adi_ui_client *c)
{
	char sink[512];
	ssize_t n;
	size_t head;

	if (c->answered) {
		/* a stream's peer sends nothing more: data is ignored, EOF ends it */
		n = recv(c->fd, sink, sizeof(sink), MSG_DONTWAIT);
		return n != 0 && !(n < 0 && errno != EAGAIN && errno != EINTR);
	}
	n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		return false;
	if (n < 0)
		return true;
	c->in_len += (size_t)n;
	head = adi_http_head_len(c->in, c->in_len);
	if (head)
		adi_ui_handle(u, c, head);
	else if (c->in_len == sizeof(c->in))
		adi_ui_error(c, 431, "request head over 8 KiB");
	return true;
}

/* Send what is queued; false when the client is done or gone. */
static bool adi_ui_write(struct adi_ui_client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		c->out_off += (size_t)n;
		c->since_ms = adi_ui_now_ms();
	}
	/* a plain answer is complete; a stream ends after its end event */
	return c->sse && !c->end_sent;
}

int adi_ui_serve(struct adi_ui *u, bool (*go)(void *arg), void *arg)
{
	struct pollfd pf[2 + ADI_UI_MAX_CLIENTS];
	int who[2 + ADI_UI_MAX_CLIENTS];

	while (!atomic_load(&u->stop) && (!go || go(arg))) {
		uint64_t now, junk;
		int np = 2, rc;

		pf[0] = (struct pollfd){ .fd = u->lfd, .events = POLLIN };
		pf[1] = (struct pollfd){ .fd = u->wfd, .events = POLLIN };
		for (int i = 0; i < ADI_UI_MAX_CLIENTS; i++) {
			struct adi_ui_client *c = &u->cl[i];

			if (c->fd < 0)
				continue;
			adi_ui_stream_fill(u, c);
			pf[np] = (struct pollfd){ .fd = c->fd, .events = POLLIN };
			if (c->out_off < c->out_len)
				pf[np].events |= POLLOUT;
			who[np++] = i;
		}
		rc = poll(pf, (nfds_t)np, 200);
		if (rc < 0 && errno != EINTR)
			return -errno;
		if (rc <= 0)
			goto timeouts;
		if (pf[1].revents & POLLIN) {
			atomic_store(&u->notified, 0);
			if (read(u->wfd, &junk, sizeof(junk)) < 0)
				(void)0; /* nothing pending: fine */
		}
		if (pf[0].revents & POLLIN)
			adi_ui_accept(u);
		for (int k = 2; k < np; k++) {
			struct adi_ui_client *c = &u->cl[who[k]];
			bool keep = true;

			if (pf[k].revents & (POLLIN | POLLHUP | POLLERR))
				keep = adi_ui_read(u, c);
			if (keep && c->answered) {
				adi_ui_stream_fill(u, c);
				keep = adi_ui_write(c) && !c->oom;
			}
			if (!keep)
				adi_ui_drop(c);
		}
timeouts:
		now = adi_ui_now_ms();
		for (int i = 0; i < ADI_UI_MAX_CLIENTS; i++) {
			struct adi_ui_client *c = &u->cl[i];

			if (c->fd < 0)
				continue;
			if (!c->answered && now - c->since_ms > ADI_UI_HEAD_TIMEOUT_MS)
				adi_ui_drop(c);
			else if (c->sse && c->out_off == c->out_len &&
				 now - c->since_ms > ADI_UI_PING_MS)
				adi_ui_puts(c, ": ping\n\n");
		}
	}
	return 0;
}

static void *adi_ui_thread(void *arg)
{
	adi_ui_serve(arg, NULL, NULL);
	return NULL;
}

int adi_ui_start(struct adi_ui *u)
{
	int rc = pthread_create(&u->th, NULL, adi_ui_thread, u);

	if (rc)
		return -rc;
	u->th_started = true;
	return 0;
}

/* ---- life ---- */

struct adi_ui *adi_ui_new(bool live, const char *title, char *err, size_t errsz)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	unsigned char rnd[16];
	struct adi_ui *u = calloc(1, sizeof(*u));
	int e;

	if (!u) {
		snprintf(err, errsz, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	u->lfd = u->wfd = -1;
	for (int i = 0; i < ADI_UI_MAX_CLIENTS; i++)
		u->cl[i].fd = -1;
	pthread_mutex_init(&u->mu, NULL);
	u->live = live;
	u->title = strdup(title ? title : "");
	if (!u->title) {
		e = ENOMEM;
		snprintf(err, errsz, "out of memory");
		goto fail;
	}
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		e = errno ? errno : EIO;
		snprintf(err, errsz, "no random token for the UI: getrandom: %s", strerror(e));
		goto fail;
	}
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(u->token + 2 * i, 3, "%02x", rnd[i]);
	u->wfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	u->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (u->wfd < 0 || u->lfd < 0 || bind(u->lfd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(u->lfd, 64) || getsockname(u->lfd, (struct sockaddr *)&a, &al)) {
		e = errno;
		snprintf(err, errsz, "cannot listen on 127.0.0.1 for the UI: %s", strerror(e));
		goto fail;
	}
	u->port = ntohs(a.sin_port);
	snprintf(u->cookie, sizeof(u->cookie), "adi_ui_%u", u->port);
	snprintf(u->url, sizeof(u->url), "http://127.0.0.1:%u/?token=%s", u->port, u->token);
	return u;
fail:
	adi_ui_free(u);
	errno = e;
	return NULL;
}

const char *adi_ui_url(const struct adi_ui *u)
{
	return u->url;
}

void adi_ui_free(struct adi_ui *u)
{
	if (!u)
		return;
	if (u->th_started) {
		atomic_store(&u->stop, 1);
		atomic_store(&u->notified, 0);
		adi_ui_wake(u);
		pthread_join(u->th, NULL);
	}
	for (int i = 0; i < ADI_UI_MAX_CLIENTS; i++)
		if (u->cl[i].fd >= 0 || u->cl[i].out)
			adi_ui_drop(&u->cl[i]);
	if (u->lfd >= 0)
		close(u->lfd);
	if (u->wfd >= 0)
		close(u->wfd);
	for (size_t i = 0; i < u->n; i++)
		free(u->ev[i].s);
	free(u->ev);
	free(u->title);
	pthread_mutex_destroy(&u->mu);
	free(u);
}
