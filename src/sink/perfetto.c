/* perfetto.c - the Chrome trace-event JSON format (which Perfetto UI and
 * chrome://tracing open; docs/export.md): a process track per pid, a thread
 * track per tid, a complete slice ("X") per event with a duration, an
 * instant ("i") per event without, the event's fields as the slice's args,
 * and a flow arrow ("s" -> "f") from a parent to each child when events
 * carry id / parent_id. Format:
 * https://docs.google.com/document/d/1CvAClvFfyA5R-PhYUmn5OOQtYMH4h6I0nSsKchNAySU
 *
 * Slices on one track must nest; events of one thread that overlap without
 * nesting (pipelined commands, a merged file read spanning other calls)
 * go to extra lanes: tracks of their own named "comm tid (lane N)".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "export.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/hashmap.h"
#include "../lib/jw.h"
#include "../lib/util.h"
#include "../lib/version.h"

#define LANES_MAX 16
#define VTID_BASE 1000000000u  /* lane tids: above any pid_max */
#define IDS_MAX (1u << 20)

static const char head[] = "{\"traceEvents\":[\n";

struct lanes {
	uint64_t end[LANES_MAX];  /* where each lane's last slice ends (ns) */
	uint32_t vtid[LANES_MAX];
	unsigned n;
	char comm[16];
};

struct flowref {
	uint32_t pid, tid;
};

struct adi_sink_perfetto {
	struct adi_sink base;   /* first: the methods cast back to this */
	FILE *f;
	struct adi_jw w;
	struct adi_map threads; /* pid << 32 | tid -> struct lanes */
	struct adi_map procs;   /* pid -> (void *)1 once named */
	struct adi_map ids;     /* event id -> struct flowref */
	uint64_t t0;            /* first event's ts_ns: ts are relative to it */
	bool started, ended, any;
	uint32_t next_vtid;
	uint64_t flows;
	char *summary;          /* trace_summary's fields, for otherData */
	size_t summary_len;
};

/* ts in microseconds with nanosecond decimals, relative to t0 */
static void put_us(struct adi_jw *w, const char *k, uint64_t ns)
{
	char b[32];
	int n = snprintf(b, sizeof(b), "%llu.%03u", (unsigned long long)(ns / 1000),
			 (unsigned)(ns % 1000));

	adi_jw_key(w, k);
	adi_jw_put(w, b, (size_t)n);
}

static void sep(struct adi_sink_perfetto *p)
{
	if (p->any)
		adi_jw_put(&p->w, ",\n", 2);
	p->any = true;
}

static void meta(struct adi_sink_perfetto *p, const char *what, uint32_t pid, uint32_t tid,
		 const char *name)
{
	sep(p);
	adi_jw_obj(&p->w);
	adi_jw_kstr(&p->w, "name", what);
	adi_jw_kstr(&p->w, "ph", "M");
	adi_jw_kint(&p->w, "pid", pid);
	adi_jw_kint(&p->w, "tid", tid);
	adi_jw_kobj(&p->w, "args");
	adi_jw_kstr(&p->w, "name", name);
	adi_jw_obj_end(&p->w);
	adi_jw_obj_end(&p->w);
}

static struct lanes *thread_of(struct adi_sink_perfetto *p, const struct adi_event *ev)
{
	uint64_t key = (uint64_t)ev->pid << 32 | ev->tid;
	struct lanes *l = adi_map_get(&p->threads, key);
	char name[64];

	if (!adi_map_get(&p->procs, ev->pid)) {
		snprintf(name, sizeof(name), "%s (%u)", ev->comm[0] ? ev->comm : "adi-profiler",
			 ev->pid);
		meta(p, "process_name", ev->pid, 0, name);
		adi_map_put(&p->procs, ev->pid, (void *)1);
	}
	if (!l) {
		l = calloc(1, sizeof(*l));
		if (!l || adi_map_put(&p->threads, key, l)) {
			free(l);
			return NULL;
		}
		l->n = 1;
		l->vtid[0] = ev->tid;
	}
	if (strncmp(l->comm, ev->comm, sizeof(l->comm))) {
		/* named (again) when the thread's name changes (exec) */
		memcpy(l->comm, ev->comm, sizeof(l->comm));
		snprintf(name, sizeof(name), "%s %u", ev->comm, ev->tid);
		meta(p, "thread_name", ev->pid, ev->tid, name);
	}
	return l;
}

/* The track for a slice [t0, t1): the first lane free at t0, else a new
 * one, else (all LANES_MAX busy) the one that frees first. */
static uint32_t lane_for(struct adi_sink_perfetto *p, struct lanes *l, const struct adi_event *ev,
			 uint64_t t0, uint64_t t1)
{
	unsigned best = 0;
	char name[64];

	for (unsigned i = 0; i < l->n; i++) {
		if (l->end[i] <= t0) {
			l->end[i] = t1;
			return l->vtid[i];
		}
		if (l->end[i] < l->end[best])
			best = i;
	}
	if (l->n < LANES_MAX) {
		best = l->n++;
		l->vtid[best] = p->next_vtid++;
		snprintf(name, sizeof(name), "%s %u (lane %u)", ev->comm, ev->tid, best + 1);
		meta(p, "thread_name", ev->pid, l->vtid[best], name);
	}
	l->end[best] = t1;
	return l->vtid[best];
}

/* The slice's name: what the event is, in a few words. */
static void slice_name(struct adi_jw *w, const struct adi_event *ev)
{
	struct adi_jv f = adi_event_fields(ev);
	static const char *const keys[][3] = {
		{ "http_request", "method", "url" },
		{ "grpc_call", "method", NULL },
		{ "sql_query", "sql", "command" },
		{ "db_session", "op", "database" },
		{ "redis_command", "command", NULL },
		{ "mongo_command", "op", "collection" },
		{ "dns_query", "qtype", "name" },
		{ "file", "op", "path" },
		{ "process", "op", "filename" },
		{ "connection", "op", NULL },
		{ "tcp_stream", "protocol", NULL },
		{ "udp_datagram", "direction", NULL },
	};
	char b[160];
	size_t n = 0;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(keys[i][0], ev->kind))
			continue;
		for (int j = 1; j < 3 && keys[i][j]; j++) {
			size_t sn;
			char *s = adi_jv_strdup(adi_jv_member(f, keys[i][j]), &sn);

			if (!s)
				continue;
			sn = strnlen(s, sn);
			/* a statement or a path is cut to keep tracks readable */
			if (sn > 80)
				sn = 80;
			if (n && n < sizeof(b))
				b[n++] = ' ';
			if (sn > sizeof(b) - n)
				sn = sizeof(b) - n;
			memcpy(b + n, s, sn);
			n += sn;
			free(s);
			if (!strcmp(keys[i][j], "sql"))
				break;
		}
		break;
	}
	adi_jw_key(w, "name");
	if (n)
		adi_jw_strn(w, b, n);
	else
		adi_jw_str(w, ev->kind);
}

static uint64_t id_of(struct adi_jv v)
{
	if (adi_jv_type(v) == ADI_J_INT)
		return (uint64_t)adi_jv_int(v, 0) + 1;
	return 0;
}

/* parent_id -> the child: an arrow from the parent's track to the child's */
static void flow(struct adi_sink_perfetto *p, const struct adi_event *ev, uint32_t pid,
		 uint32_t tid, uint64_t ts)
{
	struct adi_jv f = adi_event_fields(ev);
	uint64_t id = ev->id ? ev->id + 1 : 0; /* id_of's numbering: n is n + 1 */
	uint64_t par = id_of(adi_jv_member(f, "parent_id"));
	struct flowref *ref = par ? adi_map_get(&p->ids, par) : NULL;

	if (ref) {
		p->flows++;
		for (int end = 0; end < 2; end++) {
			sep(p);
			adi_jw_obj(&p->w);
			adi_jw_kstr(&p->w, "name", "child");
			adi_jw_kstr(&p->w, "cat", "flow");
			adi_jw_kstr(&p->w, "ph", end ? "f" : "s");
			if (end)
				adi_jw_kstr(&p->w, "bp", "e");
			adi_jw_ku64(&p->w, "id", p->flows);
			adi_jw_kint(&p->w, "pid", end ? pid : ref->pid);
			adi_jw_kint(&p->w, "tid", end ? tid : ref->tid);
			put_us(&p->w, "ts", ts);
			adi_jw_obj_end(&p->w);
		}
	}
	if (id && p->ids.len < IDS_MAX && (ref = malloc(sizeof(*ref)))) {
		ref->pid = pid;
		ref->tid = tid;
		free(adi_map_get(&p->ids, id));
		if (adi_map_put(&p->ids, id, ref))
			free(ref);
	}
}

static int write_out(struct adi_sink_perfetto *p)
{
	int err = 0;

	if (p->w.err)
		err = p->w.err;
	else if (p->w.len && fwrite(p->w.buf, 1, p->w.len, p->f) != p->w.len)
		err = -EIO;
	adi_jw_reset(&p->w);
	if (err)
		clearerr(p->f);
	return err;
}

static int perfetto_emit(struct adi_sink *s, const struct adi_event *ev)
{
	struct adi_sink_perfetto *p = (struct adi_sink_perfetto *)s;
	struct lanes *l;
	uint64_t ts, dur;
	uint32_t tid;

	if (p->ended)
		return 0;
	if (!p->started) {
		p->started = true;
		p->t0 = ev->ts_ns;
		adi_jw_put(&p->w, head, sizeof(head) - 1);
	}
	if (!strcmp(ev->kind, "trace_summary")) {
		/* not a slice: kept for otherData, and the end of the trace */
		p->summary = malloc(ev->fields_len + 1);
		if (p->summary) {
			memcpy(p->summary, ev->fields, ev->fields_len);
			p->summary_len = ev->fields_len;
		}
		return adi_sink_perfetto_end(s);
	}
	l = thread_of(p, ev);
	ts = ev->ts_ns >= p->t0 ? ev->ts_ns - p->t0 : 0;
	dur = ev->duration_ns > 0 ? (uint64_t)ev->duration_ns : 0;
	tid = !l ? ev->tid : ev->duration_ns >= 0 ? lane_for(p, l, ev, ts, ts + dur) : l->vtid[0];
	flow(p, ev, ev->pid, tid, ts);
	sep(p);
	adi_jw_obj(&p->w);
	slice_name(&p->w, ev);
	adi_jw_kstr(&p->w, "cat", ev->kind);
	adi_jw_kstr(&p->w, "ph", ev->duration_ns >= 0 ? "X" : "i");
	put_us(&p->w, "ts", ts);
	if (ev->duration_ns >= 0)
		put_us(&p->w, "dur", dur);
	else
		adi_jw_kstr(&p->w, "s", "t");
	adi_jw_kint(&p->w, "pid", ev->pid);
	adi_jw_kint(&p->w, "tid", tid);
	adi_jw_key(&p->w, "args");
	adi_jw_put(&p->w, "{", 1);
	adi_jw_put(&p->w, ev->fields ? ev->fields : "", ev->fields ? ev->fields_len : 0);
	adi_jw_put(&p->w, "}", 1);
	adi_jw_obj_end(&p->w);
	/* written in pieces of at least 64 KiB */
	return p->w.len >= 65536 ? write_out(p) : 0;
}

int adi_sink_perfetto_end(struct adi_sink *s)
{
	static const char tail[] = "\n],\"displayTimeUnit\":\"ms\",\"otherData\":{";
	struct adi_sink_perfetto *p = (struct adi_sink_perfetto *)s;
	char ts[40];
	int err;

	if (p->ended)
		return 0;
	p->ended = true;
	if (!p->started)
		adi_jw_put(&p->w, head, sizeof(head) - 1);
	adi_jw_put(&p->w, tail, sizeof(tail) - 1);
	adi_jw_kstr(&p->w, "producer", "adi-profiler");
	adi_jw_kstr(&p->w, "version", adi_version());
	adi_jw_kstr(&p->w, "start", adi_rfc3339(p->t0, ts, sizeof(ts)));
	adi_jw_ku64(&p->w, "start_ns", p->t0);
	if (p->summary) {
		adi_jw_key(&p->w, "trace_summary");
		adi_jw_put(&p->w, "{", 1);
		adi_jw_put(&p->w, p->summary, p->summary_len);
		adi_jw_put(&p->w, "}", 1);
	}
	adi_jw_put(&p->w, "}}\n", 3);
	err = write_out(p);
	if (fflush(p->f) && !err)
		err = -errno;
	return err;
}

static int perfetto_flush(struct adi_sink *s)
{
	struct adi_sink_perfetto *p = (struct adi_sink_perfetto *)s;
	int err = write_out(p);

	if (fflush(p->f) && !err)
		err = errno ? -errno : -EIO;
	return err;
}

static void free_vals(struct adi_map *m, bool owned)
{
	size_t i = 0;
	uint64_t k;
	void *v;

	while (owned && adi_map_next(m, &i, &k, &v))
		free(v);
	adi_map_fini(m);
}

static void perfetto_free(struct adi_sink *s)
{
	struct adi_sink_perfetto *p = (struct adi_sink_perfetto *)s;

	adi_sink_perfetto_end(s);
	free_vals(&p->threads, true);
	free_vals(&p->procs, false);
	free_vals(&p->ids, true);
	adi_jw_fini(&p->w);
	free(p->summary);
	free(p);
}

struct adi_sink *adi_sink_perfetto_new(FILE *f)
{
	struct adi_sink_perfetto *p = calloc(1, sizeof(*p));

	if (!p || adi_map_init(&p->threads) || adi_map_init(&p->procs) ||
	    adi_map_init(&p->ids)) {
		if (p) {
			adi_map_fini(&p->threads);
			adi_map_fini(&p->procs);
			free(p);
		}
		errno = ENOMEM;
		return NULL;
	}
	p->f = f;
	p->next_vtid = VTID_BASE;
	adi_jw_init(&p->w);
	p->base.emit = perfetto_emit;
	p->base.flush = perfetto_flush;
	p->base.free = perfetto_free;
	return &p->base;
}
