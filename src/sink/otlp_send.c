/* otlp_send.c - the OTLP sink (export.h, docs/export.md): events become
 * spans and log records (otlp_map.c) on the engine's thread, grouped by
 * resource into batches; a sealed batch is one request body, queued for a
 * sender thread that gzips it and POSTs it with libcurl to /v1/traces or
 * /v1/logs, retrying 429/502/503/504 and failed connections with backoff.
 * The queue is bounded: when it is full a live trace drops the batch and
 * counts it (capture never waits on the network); an export of a saved
 * trace waits instead.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "otlp_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "../lib/util.h"
#include "../lib/version.h"

#ifdef ADI_HAVE_CURL
#include <curl/curl.h>
#endif

#define BATCH_BYTES_MAX (4u << 20)   /* a request body, before gzip */
#define QUEUE_BYTES_MAX (64u << 20)  /* all queued bodies */

/* What one resource (process) has in the open batch. */
struct group {
	uint64_t key;
	struct adi_pb res_pb, spans_pb, logs_pb;
	struct adi_jw res_jw, spans_jw, logs_jw;
	unsigned nspans, nlogs;
};

/* A request body waiting for the sender. */
struct req {
	struct req *next;
	bool logs;             /* /v1/logs, else /v1/traces */
	uint8_t *body;
	size_t len;
	unsigned items;
};

struct adi_sink_otlp {
	struct adi_sink base;  /* first: the methods cast back to this */
	struct adi_otlp_opts o;
	char *url_traces, *url_logs;
	struct otlp_mapper map;
	struct otlp_item item;
	struct adi_pb scratch_pb;
	struct adi_jw scratch_jw;
	/* the open batch (engine thread only) */
	struct group *g;
	unsigned ng, gcap;
	unsigned items;
	size_t bytes;
	uint64_t born_ns;
	/* the queue and the counters (lock) */
	pthread_mutex_t lock;
	pthread_cond_t more, room, idle;
	struct req *head, *tail;
	unsigned queued;
	size_t queued_bytes;
	bool busy, closing, abort, thread_up, closed;
	struct adi_otlp_stats st;
	pthread_t thread;
};

/* ---- the open batch ---- */

static struct group *group_for(struct adi_sink_otlp *s, const struct otlp_item *it)
{
	struct group *g;

	for (unsigned i = 0; i < s->ng; i++)
		if (s->g[i].key == it->res_key)
			return &s->g[i];
	if (s->ng == s->gcap) {
		unsigned nc = s->gcap ? s->gcap * 2 : 16;
		struct group *ng = realloc(s->g, nc * sizeof(*ng));

		if (!ng)
			return NULL;
		s->g = ng;
		s->gcap = nc;
	}
	g = &s->g[s->ng++];
	memset(g, 0, sizeof(*g));
	g->key = it->res_key;
	if (s->o.encoding == ADI_OTLP_JSON)
		otlp_json_resource(&g->res_jw, it);
	else
		otlp_pb_resource(&g->res_pb, it);
	return g;
}

static void group_fini(struct group *g)
{
	adi_pb_fini(&g->res_pb);
	adi_pb_fini(&g->spans_pb);
	adi_pb_fini(&g->logs_pb);
	adi_jw_fini(&g->res_jw);
	adi_jw_fini(&g->spans_jw);
	adi_jw_fini(&g->logs_jw);
}

/* The item into its resource's list; false on ENOMEM. */
static bool batch_add(struct adi_sink_otlp *s, const struct otlp_item *it)
{
	struct group *g = group_for(s, it);
	size_t before;

	if (!g)
		return false;
	if (s->o.encoding == ADI_OTLP_JSON) {
		struct adi_jw *w = it->is_span ? &g->spans_jw : &g->logs_jw;

		before = w->len;
		adi_jw_reset(&s->scratch_jw);
		otlp_json_item(&s->scratch_jw, it);
		if (w->len)
			adi_jw_put(w, ",", 1);
		adi_jw_put(w, s->scratch_jw.buf, s->scratch_jw.len);
		if (w->err || s->scratch_jw.err)
			return false;
		s->bytes += w->len - before;
	} else {
		struct adi_pb *p = it->is_span ? &g->spans_pb : &g->logs_pb;

		before = p->len;
		adi_pb_reset(&s->scratch_pb);
		otlp_pb_item(&s->scratch_pb, it);
		/* ScopeSpans.spans and ScopeLogs.log_records are both field 2 */
		adi_pb_kbytes(p, 2, s->scratch_pb.b, s->scratch_pb.len);
		if (p->err || s->scratch_pb.err)
			return false;
		s->bytes += p->len - before;
	}
	if (it->is_span)
		g->nspans++;
	else
		g->nlogs++;
	if (!s->items++)
		s->born_ns = adi_now_mono();
	return true;
}

static void scope_pb(struct adi_pb *p)
{
	size_t sc = adi_pb_begin(p, 1); /* InstrumentationScope */

	adi_pb_kbytes(p, 1, "adi-profiler", 12);
	adi_pb_kbytes(p, 2, adi_version(), strlen(adi_version()));
	adi_pb_end(p, sc);
}

/* ExportTraceServiceRequest / ExportLogsServiceRequest of the batch:
 * resource_spans (1) { resource (1), scope_spans (2) { scope (1), spans (2)... } },
 * and the same shape for logs. NULL when there is nothing of that sort. */
static uint8_t *seal_pb(struct adi_sink_otlp *s, bool logs, size_t *len, unsigned *items)
{
	struct adi_pb p = { 0 };

	*items = 0;
	for (unsigned i = 0; i < s->ng; i++) {
		struct group *g = &s->g[i];
		struct adi_pb *list = logs ? &g->logs_pb : &g->spans_pb;
		size_t rs, r, ss;

		if (!(logs ? g->nlogs : g->nspans))
			continue;
		*items += logs ? g->nlogs : g->nspans;
		rs = adi_pb_begin(&p, 1);
		r = adi_pb_begin(&p, 1);
		adi_pb_put(&p, g->res_pb.b, g->res_pb.len);
		adi_pb_end(&p, r);
		ss = adi_pb_begin(&p, 2);
		scope_pb(&p);
		adi_pb_put(&p, list->b, list->len);
		adi_pb_end(&p, ss);
		adi_pb_end(&p, rs);
	}
	if (p.err || !*items) {
		adi_pb_fini(&p);
		return NULL;
	}
	*len = p.len;
	return p.b;
}

static uint8_t *seal_json(struct adi_sink_otlp *s, bool logs, size_t *len, unsigned *items)
{
	struct adi_jw w;
	char *b;

	*items = 0;
	adi_jw_init(&w);
	adi_jw_obj(&w);
	adi_jw_karr(&w, logs ? "resourceLogs" : "resourceSpans");
	for (unsigned i = 0; i < s->ng; i++) {
		struct group *g = &s->g[i];
		struct adi_jw *list = logs ? &g->logs_jw : &g->spans_jw;

		if (!(logs ? g->nlogs : g->nspans))
			continue;
		*items += logs ? g->nlogs : g->nspans;
		adi_jw_obj(&w);
		adi_jw_key(&w, "resource");
		adi_jw_put(&w, g->res_jw.buf, g->res_jw.len);
		adi_jw_karr(&w, logs ? "scopeLogs" : "scopeSpans");
		adi_jw_obj(&w);
		adi_jw_kobj(&w, "scope");
		adi_jw_kstr(&w, "name", "adi-profiler");
		adi_jw_kstr(&w, "version", adi_version());
		adi_jw_obj_end(&w);
		adi_jw_karr(&w, logs ? "logRecords" : "spans");
		adi_jw_put(&w, list->buf, list->len);
		adi_jw_arr_end(&w);
		adi_jw_obj_end(&w);
		adi_jw_arr_end(&w);
		adi_jw_obj_end(&w);
	}
	adi_jw_arr_end(&w);
	adi_jw_obj_end(&w);
	if (w.err || !*items) {
		adi_jw_fini(&w);
		return NULL;
	}
	b = adi_jw_take(&w, len);
	return (uint8_t *)b;
}

/* ---- the queue ---- */

/* Hand a body to the sender; a full queue drops it (live) or waits for
 * room (sync). Takes ownership of body. */
static void enqueue(struct adi_sink_otlp *s, bool logs, uint8_t *body, size_t len,
		    unsigned items)
{
	struct req *r = malloc(sizeof(*r));

	pthread_mutex_lock(&s->lock);
	if (s->o.sync)
		while (s->thread_up && !s->abort &&
		       (s->queued >= s->o.queue_max || s->queued_bytes + len > QUEUE_BYTES_MAX))
			pthread_cond_wait(&s->room, &s->lock);
	if (s->abort || !r) {
		/* given up (an export whose receiver stayed away), or ENOMEM */
		s->st.lost_failed += items;
		pthread_mutex_unlock(&s->lock);
		free(r);
		free(body);
		return;
	}
	if (!s->thread_up || s->queued >= s->o.queue_max ||
	    s->queued_bytes + len > QUEUE_BYTES_MAX) {
		s->st.lost_queue += items;
		pthread_mutex_unlock(&s->lock);
		free(r);
		free(body);
		return;
	}
	*r = (struct req){ NULL, logs, body, len, items };
	if (s->tail)
		s->tail->next = r;
	else
		s->head = r;
	s->tail = r;
	s->queued++;
	s->queued_bytes += len;
	pthread_cond_signal(&s->more);
	pthread_mutex_unlock(&s->lock);
}

/* The open batch becomes (up to) two requests, and a new batch begins. */
static void seal(struct adi_sink_otlp *s)
{
	for (int logs = 0; logs < 2 && s->items; logs++) {
		size_t len = 0;
		unsigned items = 0;
		uint8_t *b = s->o.encoding == ADI_OTLP_JSON ? seal_json(s, logs, &len, &items)
							    : seal_pb(s, logs, &len, &items);

		if (b)
			enqueue(s, logs, b, len, items);
		else if (items) {
			pthread_mutex_lock(&s->lock);
			s->st.lost_failed += items; /* ENOMEM */
			pthread_mutex_unlock(&s->lock);
		}
	}
	for (unsigned i = 0; i < s->ng; i++)
		group_fini(&s->g[i]);
	s->ng = 0;
	s->items = 0;
	s->bytes = 0;
}

/* ---- sending (the thread) ---- */

#ifdef ADI_HAVE_CURL

static size_t discard(char *p, size_t sz, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return sz * n;
}

static int progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	struct adi_sink_otlp *s = arg;
	bool stop;

	(void)a, (void)b, (void)c, (void)d;
	pthread_mutex_lock(&s->lock);
	stop = s->abort;
	pthread_mutex_unlock(&s->lock);
	return stop; /* non-zero aborts the transfer */
}

/* gzip (RFC 1952) of b, for Content-Encoding: gzip; NULL on failure.
 * Level 1: level 6 (zlib's default) made the sender spend 5 ms per 512
 * spans, three quarters of an export's time (bench/export.sh); the bodies
 * are a little larger, and the receiver is usually near. */
static uint8_t *gzip(const uint8_t *b, size_t n, size_t *out)
{
	z_stream z = { 0 };
	uLong cap = compressBound((uLong)n) + 32;
	uint8_t *o = malloc(cap);

	if (!o || deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		free(o);
		return NULL;
	}
	z.next_in = (Bytef *)b;
	z.avail_in = (uInt)n;
	z.next_out = o;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&z);
		free(o);
		return NULL;
	}
	*out = z.total_out;
	deflateEnd(&z);
	return o;
}

/* Wait ms (woken early by an abort); false when aborted. */
static bool backoff_wait(struct adi_sink_otlp *s, unsigned ms)
{
	struct timespec t;
	bool ok;

	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->lock);
	while (!s->abort && pthread_cond_timedwait(&s->more, &s->lock, &t) != ETIMEDOUT)
		;
	ok = !s->abort;
	pthread_mutex_unlock(&s->lock);
	return ok;
}

static void fail(struct adi_sink_otlp *s, const struct req *r, int http, const char *why)
{
	pthread_mutex_lock(&s->lock);
	s->st.lost_failed += r->items;
	if (http)
		s->st.last_http = http;
	snprintf(s->st.last_error, sizeof(s->st.last_error), "%s", why);
	pthread_mutex_unlock(&s->lock);
}

/* One request, with its retries. */
static void send_req(struct adi_sink_otlp *s, CURL *h, struct curl_slist *hdrs,
		     const struct req *r)
{
	size_t zlen = 0;
	uint8_t *z = gzip(r->body, r->len, &zlen);
	unsigned delay = 500;
	char why[160];

	if (!z) {
		fail(s, r, 0, "gzip failed");
		return;
	}
	curl_easy_setopt(h, CURLOPT_URL, r->logs ? s->url_logs : s->url_traces);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, z);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)zlen);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	for (unsigned attempt = 0;; attempt++) {
		long code = 0;
		CURLcode rc = curl_easy_perform(h);
		bool retry;
		struct curl_header *ra = NULL;
		unsigned wait = delay;

		if (rc == CURLE_OK)
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
		pthread_mutex_lock(&s->lock);
		s->st.requests++;
		if (code)
			s->st.last_http = (int)code;
		pthread_mutex_unlock(&s->lock);
		if (rc == CURLE_OK && code >= 200 && code < 300) {
			pthread_mutex_lock(&s->lock);
			s->st.sent += r->items;
			pthread_mutex_unlock(&s->lock);
			break;
		}
		if (rc == CURLE_ABORTED_BY_CALLBACK) {
			fail(s, r, 0, "not delivered before the end (the receiver did not answer in time)");
			break;
		}
		/* OTLP/HTTP: 429, 502, 503, 504 are retryable; so is a
		 * connection that failed or a receiver that did not answer */
		retry = rc == CURLE_OK ? code == 429 || code == 502 || code == 503 || code == 504
				       : rc == CURLE_COULDNT_CONNECT || rc == CURLE_OPERATION_TIMEDOUT ||
					 rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR ||
					 rc == CURLE_GOT_NOTHING;
		if (rc == CURLE_OK)
			snprintf(why, sizeof(why), "HTTP %ld from %s", code,
				 r->logs ? s->url_logs : s->url_traces);
		else
			snprintf(why, sizeof(why), "%s: %s", r->logs ? s->url_logs : s->url_traces,
				 curl_easy_strerror(rc));
		if (!retry || attempt >= s->o.retry_max) {
			fail(s, r, (int)code, why);
			/* an export of a saved trace waits for the receiver: when
			 * it stays away through all the retries, the rest is
			 * given up at once rather than retried request by request */
			if (retry && s->o.sync) {
				pthread_mutex_lock(&s->lock);
				s->abort = true;
				pthread_cond_broadcast(&s->room);
				pthread_mutex_unlock(&s->lock);
			}
			break;
		}
		/* Retry-After in seconds, when the receiver gives one (capped) */
		if (rc == CURLE_OK &&
		    curl_easy_header(h, "Retry-After", 0, CURLH_HEADER, -1, &ra) == CURLHE_OK) {
			long sec = strtol(ra->value, NULL, 10);

			if (sec > 0 && sec <= 30)
				wait = (unsigned)sec * 1000;
		}
		pthread_mutex_lock(&s->lock);
		s->st.retries++;
		pthread_mutex_unlock(&s->lock);
		if (!backoff_wait(s, wait)) {
			fail(s, r, (int)code, why);
			break;
		}
		delay = delay * 2 > 8000 ? 8000 : delay * 2;
	}
	free(z);
}

static void *sender(void *arg)
{
	struct adi_sink_otlp *s = arg;
	CURL *h = curl_easy_init();
	struct curl_slist *hdrs = NULL;
	char line[1024];

	hdrs = curl_slist_append(hdrs, s->o.encoding == ADI_OTLP_JSON
				 ? "Content-Type: application/json"
				 : "Content-Type: application/x-protobuf");
	hdrs = curl_slist_append(hdrs, "Content-Encoding: gzip");
	hdrs = curl_slist_append(hdrs, "Expect:"); /* no 100-continue round trip */
	for (unsigned i = 0; i < s->o.nheaders; i++) {
		const char *eq = strchr(s->o.headers[i], '=');

		if (!eq)
			continue;
		snprintf(line, sizeof(line), "%.*s: %s", (int)(eq - s->o.headers[i]),
			 s->o.headers[i], eq + 1);
		hdrs = curl_slist_append(hdrs, line);
	}
	if (h) {
		curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(h, CURLOPT_USERAGENT, "adi-profiler");
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)s->o.timeout_ms);
		curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)s->o.timeout_ms);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, progress);
		curl_easy_setopt(h, CURLOPT_XFERINFODATA, s);
	}
	for (;;) {
		struct req *r;

		pthread_mutex_lock(&s->lock);
		while (!s->head && !s->closing)
			pthread_cond_wait(&s->more, &s->lock);
		r = s->head;
		if (!r) {
			pthread_mutex_unlock(&s->lock);
			break;
		}
		if (s->abort) {
			/* left at the end: lost, counted by close */
			pthread_mutex_unlock(&s->lock);
			break;
		}
		s->head = r->next;
		if (!s->head)
			s->tail = NULL;
		s->queued--;
		s->queued_bytes -= r->len;
		s->busy = true;
		pthread_cond_signal(&s->room);
		pthread_mutex_unlock(&s->lock);
		if (h)
			send_req(s, h, hdrs, r);
		else
			fail(s, r, 0, "curl_easy_init failed");
		free(r->body);
		free(r);
		pthread_mutex_lock(&s->lock);
		s->busy = false;
		pthread_cond_broadcast(&s->idle);
		pthread_mutex_unlock(&s->lock);
	}
	curl_slist_free_all(hdrs);
	if (h)
		curl_easy_cleanup(h);
	pthread_mutex_lock(&s->lock);
	pthread_cond_broadcast(&s->idle);
	pthread_cond_broadcast(&s->room);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static void curl_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

#else /* a build without libcurl: a sender that delivers nothing */

static void *sender(void *arg)
{
	(void)arg;
	return NULL;
}

static void curl_once(void)
{
}

#endif /* ADI_HAVE_CURL */

/* ---- the sink ---- */

static int otlp_emit(struct adi_sink *base, const struct adi_event *ev)
{
	struct adi_sink_otlp *s = (struct adi_sink_otlp *)base;
	bool ok;

	if (otlp_map_event(&s->map, ev, &s->item))
		return -ENOMEM;
	ok = batch_add(s, &s->item);
	pthread_mutex_lock(&s->lock);
	if (s->item.is_span)
		s->st.spans++;
	else
		s->st.logs++;
	if (!ok)
		s->st.lost_failed++;
	pthread_mutex_unlock(&s->lock);
	otlp_item_clear(&s->item);
	if (s->items >= s->o.batch_max || s->bytes >= BATCH_BYTES_MAX ||
	    !strcmp(ev->kind, "trace_summary"))
		seal(s);
	return ok ? 0 : -ENOMEM;
}

/* The live loop flushes at least every 100 ms: a batch older than
 * batch_ms goes then. */
static int otlp_flush(struct adi_sink *base)
{
	struct adi_sink_otlp *s = (struct adi_sink_otlp *)base;

	if (s->items && adi_now_mono() - s->born_ns >= (uint64_t)s->o.batch_ms * 1000000ULL)
		seal(s);
	return 0;
}

void adi_sink_otlp_close(struct adi_sink *base)
{
	struct adi_sink_otlp *s = (struct adi_sink_otlp *)base;
	struct timespec t;
	struct req *r;

	if (!s || s->closed)
		return;
	s->closed = true;
	seal(s);
	pthread_mutex_lock(&s->lock);
	s->closing = true;
	pthread_cond_broadcast(&s->more);
	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += s->o.drain_ms / 1000;
	t.tv_nsec += (long)(s->o.drain_ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	while (s->thread_up && !s->abort && (s->head || s->busy))
		if (pthread_cond_timedwait(&s->idle, &s->lock, &t) == ETIMEDOUT)
			break;
	/* what is still queued or in flight now is given up */
	s->abort = true;
	pthread_cond_broadcast(&s->more);
	pthread_cond_broadcast(&s->room);
	pthread_mutex_unlock(&s->lock);
	if (s->thread_up)
		pthread_join(s->thread, NULL);
	s->thread_up = false;
	while ((r = s->head)) {
		s->head = r->next;
		s->st.lost_failed += r->items;
		if (!s->st.last_error[0])
			snprintf(s->st.last_error, sizeof(s->st.last_error),
				 "not delivered before the end");
		free(r->body);
		free(r);
	}
	s->tail = NULL;
	s->queued = 0;
}

void adi_sink_otlp_stats(struct adi_sink *base, struct adi_otlp_stats *st)
{
	struct adi_sink_otlp *s = (struct adi_sink_otlp *)base;

	pthread_mutex_lock(&s->lock);
	*st = s->st;
	pthread_mutex_unlock(&s->lock);
}

static void otlp_free(struct adi_sink *base)
{
	struct adi_sink_otlp *s = (struct adi_sink_otlp *)base;

	adi_sink_otlp_close(base);
	for (unsigned i = 0; i < s->ng; i++)
		group_fini(&s->g[i]);
	free(s->g);
	otlp_item_clear(&s->item);
	otlp_mapper_fini(&s->map);
	adi_pb_fini(&s->scratch_pb);
	adi_jw_fini(&s->scratch_jw);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->more);
	pthread_cond_destroy(&s->room);
	pthread_cond_destroy(&s->idle);
	free(s->url_traces);
	free(s->url_logs);
	free(s);
}

/* base + path, or (base ending in /v1/traces) base itself for spans and
 * its /v1/logs sibling for logs. */
static char *endpoint(const char *base, const char *path)
{
	size_t n = strlen(base);
	char *u;

	while (n && base[n - 1] == '/')
		n--;
	if (n >= 10 && !strncmp(base + n - 10, "/v1/traces", 10))
		n -= 10;
	u = malloc(n + strlen(path) + 1);
	if (u) {
		memcpy(u, base, n);
		strcpy(u + n, path);
	}
	return u;
}

struct adi_sink *adi_sink_otlp_new(const struct adi_otlp_opts *o, char *err, size_t errsz)
{
	struct adi_sink_otlp *s;

	static pthread_once_t once = PTHREAD_ONCE_INIT;

#ifndef ADI_HAVE_CURL
	snprintf(err, errsz, "OTLP needs libcurl, which this build of adi-profiler lacks");
	errno = ENOTSUP;
	return NULL;
#endif

	if (!o->url || (strncmp(o->url, "http://", 7) && strncmp(o->url, "https://", 8))) {
		snprintf(err, errsz, "--otlp takes an http:// or https:// URL, not %s",
			 o->url ? o->url : "nothing");
		errno = EINVAL;
		return NULL;
	}
	/* curl_global_init is not thread-safe: once, before any thread */
	pthread_once(&once, curl_once);
	s = calloc(1, sizeof(*s));
	if (!s)
		goto nomem;
	s->o = *o;
	if (!s->o.batch_max)
		s->o.batch_max = 512;
	if (!s->o.batch_ms)
		s->o.batch_ms = 1000;
	if (!s->o.queue_max)
		s->o.queue_max = 64;
	if (!s->o.timeout_ms)
		s->o.timeout_ms = 10000;
	if (!s->o.retry_max)
		s->o.retry_max = 5;
	if (!s->o.drain_ms)
		s->o.drain_ms = 5000;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->more, NULL);
	pthread_cond_init(&s->room, NULL);
	pthread_cond_init(&s->idle, NULL);
	s->url_traces = endpoint(o->url, "/v1/traces");
	s->url_logs = endpoint(o->url, "/v1/logs");
	if (!s->url_traces || !s->url_logs || otlp_mapper_init(&s->map, o->host_name))
		goto nomem_free;
	s->base.emit = otlp_emit;
	s->base.flush = otlp_flush;
	s->base.free = otlp_free;
	if (pthread_create(&s->thread, NULL, sender, s)) {
		snprintf(err, errsz, "cannot start the OTLP sender thread: %s", strerror(errno));
		otlp_free(&s->base);
		return NULL;
	}
	s->thread_up = true;
	return &s->base;
nomem_free:
	otlp_free(&s->base);
nomem:
	snprintf(err, errsz, "out of memory");
	errno = ENOMEM;
	return NULL;
}
