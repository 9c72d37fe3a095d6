/* paced.c - a fixed-rate HTTP/1.1 keep-alive client for bench/peers.sh: the
 * latency a tracer adds to requests that arrive at a steady rate, which a
 * closed-loop load (wrk) cannot show.
 *
 *   paced [-a ADDR] [-p PORT] [-u PATH] [-r RATE] [-d SECONDS] [-c CONNS]
 *
 * sends GET PATH to ADDR:PORT (default 127.0.0.1:80, /) at RATE requests/s
 * (default 5000) for SECONDS (default 5) over CONNS keep-alive connections
 * (default 8), one request in flight per connection, and prints one
 * machine-readable line:
 *
 *   rate=R duration_s=D conns=C sent=N done=N errors=E non2xx=X max_backlog=B
 *   achieved_rps=A p50_us=.. p90_us=.. p99_us=.. p999_us=.. max_us=..
 *
 * Request i is due at t0 + i / RATE (open loop). A due request goes out on
 * the first idle connection; when every connection is busy it waits, and
 * its latency counts from when it was due, not from when it was sent, so a
 * stalled server shows up in the tail instead of slowing the schedule
 * (wrk2's correction of "coordinated omission"). Latency ends at the last
 * byte of the response (Content-Length bodies only; chunked replies count
 * as errors). One thread, epoll and a periodic timerfd (at most every
 * 100 us; several requests go out per tick above 10,000/s). Exit status 0
 * when every request got a response, 1 otherwise or on a setup error. */
#define _GNU_SOURCE /* memmem, strcasestr */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define PACED_BUF 65536
#define PACED_TICK_MIN_NS 100000ULL
#define PACED_DRAIN_NS 5000000000ULL /* wait this long for late replies */

struct paced_conn {
	int fd;
	int64_t req;          /* request in flight, or -1 when idle */
	size_t used;          /* header bytes buffered */
	int64_t body_left;    /* body bytes still to come, or -1 in the header */
	int status;
	char buf[PACED_BUF];
};

struct paced {
	struct sockaddr_in addr;
	char req[1024];
	size_t req_len;
	double rate;
	double secs;
	int nconns;
	uint64_t total;       /* requests in the schedule */
	uint64_t t0;
	uint64_t next;        /* first request not yet sent */
	uint64_t done, errors, non2xx, max_backlog;
	uint64_t *lat_ns;     /* per request, from due time to reply */
	uint64_t last_reply;
	struct paced_conn *c;
	int ep;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t due_at(const struct paced *p, uint64_t i)
{
	return p->t0 + (uint64_t)((double)i * 1e9 / p->rate);
}

/* Open connection k (blocking connect, then non-blocking, no Nagle) and
 * register it with epoll. Returns 0, or -1 with a message. */
static int conn_open(struct paced *p, int k)
{
	struct paced_conn *c = &p->c[k];
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)k };
	int one = 1;

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&p->addr, sizeof(p->addr))) {
		perror("paced: connect");
		return -1;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
	c->req = -1;
	c->used = 0;
	c->body_left = -1;
	if (epoll_ctl(p->ep, EPOLL_CTL_ADD, c->fd, &ev)) {
		perror("paced: epoll_ctl");
		return -1;
	}
	return 0;
}

/* The request in flight on k failed (closed, reset, unparsable): count it
 * and start over on a fresh connection. */
static int conn_fail(struct paced *p, int k)
{
	close(p->c[k].fd);
	if (p->c[k].req >= 0)
		p->errors++;
	return conn_open(p, k);
}

/* Send every due request that has an idle connection to go on. */
static void send_due(struct paced *p, uint64_t now)
{
	uint64_t due = 0, backlog;

	while (p->next + due < p->total && due_at(p, p->next + due) <= now)
		due++;
	backlog = due;
	for (int k = 0; k < p->nconns && due > 0; k++) {
		struct paced_conn *c = &p->c[k];

		if (c->req >= 0)
			continue;
		if (send(c->fd, p->req, p->req_len, MSG_NOSIGNAL) != (ssize_t)p->req_len) {
			/* a request this small always fits an idle socket's buffer;
			 * anything else is a broken connection */
			c->req = (int64_t)p->next++;
			due--;
			if (conn_fail(p, k))
				exit(1);
			continue;
		}
		c->req = (int64_t)p->next++;
		c->used = 0;
		c->body_left = -1;
		due--;
	}
	if (backlog > p->max_backlog)
		p->max_backlog = backlog;
}

/* Parse the header block of c->buf[0..hdr_len): status and Content-Length.
 * Returns the body length, or -1 when it has none we can follow. */
static int64_t head_parse(struct paced_conn *c, size_t hdr_len)
{
	char *h = c->buf, *cl;

	h[hdr_len - 1] = 0; /* the last '\n' of "\r\n\r\n" */
	if (strncmp(h, "HTTP/1.", 7) || hdr_len < 13)
		return -1;
	c->status = atoi(h + 9);
	cl = strcasestr(h, "\ncontent-length:");
	if (!cl || strcasestr(h, "\ntransfer-encoding:"))
		return -1;
	return strtoll(cl + 16, NULL, 10);
}

/* One response completed on k. */
static void reply_done(struct paced *p, struct paced_conn *c, uint64_t now)
{
	p->lat_ns[p->done++] = now - due_at(p, (uint64_t)c->req);
	if (c->status < 200 || c->status > 299)
		p->non2xx++;
	c->req = -1;
	c->used = 0;
	c->body_left = -1;
	p->last_reply = now;
}

/* Read what connection k has; 0 when fine, -1 when it had to be replaced. */
static int conn_read(struct paced *p, int k)
{
	struct paced_conn *c = &p->c[k];
	char sink[PACED_BUF];

	for (;;) {
		ssize_t n;

		if (c->body_left < 0)
			n = read(c->fd, c->buf + c->used, sizeof(c->buf) - 1 - c->used);
		else
			n = read(c->fd, sink, sizeof(sink));
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n <= 0 || c->req < 0) /* closed, error, or bytes nobody asked for */
			return conn_fail(p, k) ? -2 : -1;
		if (c->body_left < 0) {
			char *end;
			size_t hdr_len, extra;

			c->used += (size_t)n;
			end = memmem(c->buf, c->used, "\r\n\r\n", 4);
			if (!end) {
				if (c->used == sizeof(c->buf) - 1)
					return conn_fail(p, k) ? -2 : -1;
				continue;
			}
			hdr_len = (size_t)(end - c->buf) + 4;
			extra = c->used - hdr_len;
			c->body_left = head_parse(c, hdr_len);
			if (c->body_left < 0 || (int64_t)extra > c->body_left)
				return conn_fail(p, k) ? -2 : -1;
			c->body_left -= (int64_t)extra;
		} else {
			if (n > c->body_left)
				return conn_fail(p, k) ? -2 : -1;
			c->body_left -= n;
		}
		if (c->body_left == 0)
			reply_done(p, c, now_ns());
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of the sorted latencies, in microseconds. */
static double pct_us(const struct paced *p, double q)
{
	uint64_t i;

	if (!p->done)
		return 0;
	i = (uint64_t)(q * (double)p->done + 0.999999);
	i = i ? i - 1 : 0;
	if (i >= p->done)
		i = p->done - 1;
	return (double)p->lat_ns[i] / 1000.0;
}

static int usage(void)
{
	fprintf(stderr, "usage: paced [-a ADDR] [-p PORT] [-u PATH] [-r RATE] [-d SECONDS] [-c CONNS]\n");
	return 1;
}

int main(int argc, char **argv)
{
	struct paced p = { .rate = 5000, .secs = 5, .nconns = 8 };
	const char *addr = "127.0.0.1", *path = "/";
	struct epoll_event evs[64];
	struct itimerspec its = { 0 };
	uint64_t tick, end, inflight;
	int port = 80, opt, tfd;

	while ((opt = getopt(argc, argv, "a:p:u:r:d:c:")) != -1) {
		switch (opt) {
		case 'a': addr = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'u': path = optarg; break;
		case 'r': p.rate = atof(optarg); break;
		case 'd': p.secs = atof(optarg); break;
		case 'c': p.nconns = atoi(optarg); break;
		default: return usage();
		}
	}
	if (optind != argc || p.rate <= 0 || p.secs <= 0 || p.nconns < 1 || p.nconns > 4096
	    || port < 1 || port > 65535)
		return usage();
	p.addr.sin_family = AF_INET;
	p.addr.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &p.addr.sin_addr) != 1)
		return usage();
	p.req_len = (size_t)snprintf(p.req, sizeof(p.req), "GET %s HTTP/1.1\r\nHost: %s:%d\r\n"
				     "User-Agent: adi-paced\r\n\r\n", path, addr, port);
	if (p.req_len >= sizeof(p.req))
		return usage();
	p.total = (uint64_t)(p.rate * p.secs);
	p.lat_ns = calloc(p.total ? p.total : 1, sizeof(*p.lat_ns));
	p.c = calloc((size_t)p.nconns, sizeof(*p.c));
	p.ep = epoll_create1(EPOLL_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (!p.lat_ns || !p.c || p.ep < 0 || tfd < 0) {
		perror("paced: setup");
		return 1;
	}
	for (int k = 0; k < p.nconns; k++)
		if (conn_open(&p, k))
			return 1;
	tick = (uint64_t)(1e9 / p.rate);
	if (tick < PACED_TICK_MIN_NS)
		tick = PACED_TICK_MIN_NS;
	its.it_interval.tv_sec = (time_t)(tick / 1000000000ULL);
	its.it_interval.tv_nsec = (long)(tick % 1000000000ULL);
	its.it_value.tv_nsec = 1000; /* first tick at once */
	{
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = UINT32_MAX };

		if (epoll_ctl(p.ep, EPOLL_CTL_ADD, tfd, &ev) || timerfd_settime(tfd, 0, &its, NULL)) {
			perror("paced: timer");
			return 1;
		}
	}
	p.t0 = now_ns();
	end = p.t0 + (uint64_t)(p.secs * 1e9) + PACED_DRAIN_NS;
	while (p.done + p.errors < p.total && now_ns() < end) {
		int n = epoll_wait(p.ep, evs, 64, 100);

		if (n < 0 && errno != EINTR) {
			perror("paced: epoll_wait");
			return 1;
		}
		for (int i = 0; i < n; i++) {
			uint64_t expirations;

			if (evs[i].data.u32 == UINT32_MAX) {
				if (read(tfd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
					return 1;
				continue;
			}
			if (conn_read(&p, (int)evs[i].data.u32) == -2)
				return 1;
		}
		send_due(&p, now_ns());
	}
	inflight = p.total - p.done - p.errors;
	p.errors += inflight;
	qsort(p.lat_ns, p.done, sizeof(*p.lat_ns), cmp_u64);
	printf("rate=%.0f duration_s=%.3g conns=%d sent=%llu done=%llu errors=%llu non2xx=%llu "
	       "max_backlog=%llu achieved_rps=%.0f p50_us=%.1f p90_us=%.1f p99_us=%.1f "
	       "p999_us=%.1f max_us=%.1f\n",
	       p.rate, p.secs, p.nconns, (unsigned long long)p.next, (unsigned long long)p.done,
	       (unsigned long long)p.errors, (unsigned long long)p.non2xx,
	       (unsigned long long)p.max_backlog,
	       p.last_reply > p.t0 ? (double)p.done * 1e9 / (double)(p.last_reply - p.t0) : 0.0,
	       pct_us(&p, 0.50), pct_us(&p, 0.90), pct_us(&p, 0.99), pct_us(&p, 0.999),
	       p.done ? (double)p.lat_ns[p.done - 1] / 1000.0 : 0.0);
	return p.errors ? 1 : 0;
}
