/* engine.c - dispatch of raw events to the tables, the timeline that orders
 * semantic events, and the trace summary. The tables themselves are in
 * tables.c, conn.c and fileops.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine_int.h"
#include "../lib/util.h"
#include "../lib/version.h"

struct adi_engine *adi_engine_new(const struct adi_engine_opts *o,
				  struct adi_sink **sinks, int nsinks)
{
	struct adi_engine *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->o = *o;
	if (!e->o.hold_ns)
		e->o.hold_ns = 2000000000ULL;
	if (!e->o.backend)
		e->o.backend = "ebpf";
	e->sinks = sinks;
	e->nsinks = nsinks;
	for (int i = 0; i < nsinks; i++)
		e->pcfg.member_index |= sinks[i] && sinks[i]->reads_index;
#ifndef NDEBUG
	/* always, where tests and fuzzers run: write_event checks every
	 * event's index against its text, whatever the sinks */
	e->pcfg.member_index = true;
#endif
	e->pcfg.body_bytes = e->o.body_bytes;
	e->pcfg.rows_sample = e->o.rows_sample;
	e->pcfg.show_secrets = e->o.show_secrets;
	e->budget.max = ADI_DECODE_BUDGET;
	e->next_gen = 1;
	e->next_conn_id = 1;
	if (adi_map_init(&e->procs) || adi_map_init(&e->fds) ||
	    adi_map_init(&e->conns) || adi_map_init(&e->cgroups) ||
	    adi_tree_init(&e->tree)) {
		adi_engine_free(e);
		errno = ENOMEM;
		return NULL;
	}
	return e;
}

/* The run's i-th entry from its head (caprun is a power of two). */
static struct adi_heap_ent *run_at(const struct adi_engine *e, size_t i)
{
	return &e->run[(e->run_head + i) & (e->caprun - 1)];
}

void adi_engine_free(struct adi_engine *e)
{
	if (!e)
		return;
	adi_tables_free(e);
	adi_tls_free(e);
	for (size_t i = 0; i < ADI_RT_CACHE; i++)
		free(e->rt_cache[i].path);
	for (size_t i = 0; i < e->nheap; i++)
		adi_event_free(e->heap[i].ev);
	free(e->heap);
	for (size_t i = 0; i < e->nrun; i++)
		adi_event_free(run_at(e, i)->ev);
	free(e->run);
	adi_jw_fini(&e->w);
	adi_tree_fini(&e->tree);
	free(e->backend_name);
	adi_map_fini(&e->procs);
	adi_map_fini(&e->fds);
	adi_map_fini(&e->conns);
	{
		size_t it = 0;
		uint64_t k;
		void *v;

		while (adi_map_next(&e->cgroups, &it, &k, &v))
			free(v);
		adi_map_fini(&e->cgroups);
	}
	adi_msg_pool_fini(&e->msg_pool); /* last: the frees above fill it */
	free(e);
}

void adi_engine_set_resolver(struct adi_engine *e, adi_resolve_fn fn, void *arg)
{
	e->resolve = fn;
	e->resolve_arg = arg;
}

void adi_engine_save_raw(struct adi_engine *e, FILE *f)
{
	e->save = f;
}

void adi_engine_stats(const struct adi_engine *e, struct adi_engine_stats *st)
{
	*st = e->st;
	st->dropped = e->dropped;
}

/* ---- timeline ---- */

struct adi_jw *adi_ev_begin(struct adi_engine *e)
{
	adi_jw_reset(&e->w);
	return &e->w;
}

static int held_push(struct adi_engine *e, struct adi_event *ev);

struct adi_event *adi_ev_commit(struct adi_engine *e, const char *kind, uint64_t ts,
				int64_t duration_ns, uint32_t pid, uint32_t tid,
				const char *comm, uint64_t cgroup_id)
{
	struct adi_event *ev = e->w.err ? NULL
			       : e->pcfg.member_index ? adi_event_new_jw(kind, ts, &e->w)
			       : adi_event_new(kind, ts, e->w.buf, e->w.len);

	if (!ev) { /* out of memory: the event is lost, and counted */
		e->st.sink_errors++;
		return NULL;
	}
	ev->duration_ns = duration_ns;
	ev->pid = ev->io_pid = pid;
	ev->tid = ev->io_tid = tid;
	if (comm) { /* at most 15 bytes and a NUL (snprintf was a hot spot) */
		size_t n = strnlen(comm, sizeof(ev->comm) - 1);

		memcpy(ev->comm, comm, n);
		ev->comm[n] = '\0';
	}
	ev->cgroup_id = cgroup_id;
	ev->seq = e->next_seq++;
	{
		const struct adi_cgroup *g = cgroup_id > 1 ? adi_map_get(&e->cgroups, cgroup_id)
							   : NULL;
		const struct adi_proc *p = !g && pid ? adi_proc_get(e, pid) : NULL;

		if (g)
			memcpy(ev->container, g->container, sizeof(ev->container));
		else if (p)
			memcpy(ev->container, p->container, sizeof(ev->container));
	}
	return held_push(e, ev) ? NULL : ev;
}

static void count_kind(struct adi_engine *e, const char *kind)
{
	/* decoders name their kinds with literals: the same pointer each time */
	for (int i = 0; i < e->nkinds; i++) {
		if (e->kinds[i].kind == kind) {
			e->kinds[i].n++;
			return;
		}
	}
	for (int i = 0; i < e->nkinds; i++) {
		if (!strcmp(e->kinds[i].kind, kind)) {
			e->kinds[i].n++;
			return;
		}
	}
	if (e->nkinds < ADI_MAX_KINDS) {
		e->kinds[e->nkinds].kind = kind;
		e->kinds[e->nkinds++].n = 1;
	}
}

static bool ent_before(const struct adi_heap_ent *a, const struct adi_heap_ent *b)
{
	return a->ts != b->ts ? a->ts < b->ts : a->seq < b->seq;
}

/* Appends ent to the run (its key is not before the run's last); 0 or
 * -ENOMEM. */
static int run_push(struct adi_engine *e, const struct adi_heap_ent *ent)
{
	if (e->nrun == e->caprun) {
		size_t cap = e->caprun ? e->caprun * 2 : 256;
		struct adi_heap_ent *r = malloc(cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		for (size_t i = 0; i < e->nrun; i++) /* unwrapped */
			r[i] = *run_at(e, i);
		free(e->run);
		e->run = r;
		e->caprun = cap;
		e->run_head = 0;
	}
	*run_at(e, e->nrun++) = *ent;
	return 0;
}

/* Holds ev until the timeline writes it: in the run when it comes in
 * order, else in the heap. 0, or -ENOMEM: ev was freed and counted lost. */
static int held_push(struct adi_engine *e, struct adi_event *ev)
{
	struct adi_heap_ent ent;
	size_t i;

	ent.ts = ev->ts_ns;
	ent.seq = ev->seq;
	ent.ev = ev;
	if (!e->nrun || !ent_before(&ent, run_at(e, e->nrun - 1))) {
		if (!run_push(e, &ent))
			return 0;
		adi_event_free(ev);
		e->st.sink_errors++;
		return -ENOMEM;
	}
	if (e->nheap == e->capheap) {
		size_t cap = e->capheap ? e->capheap * 2 : 256;
		struct adi_heap_ent *h = realloc(e->heap, cap * sizeof(*h));

		if (!h) {
			adi_event_free(ev);
			e->st.sink_errors++;
			return -ENOMEM;
		}
		e->heap = h;
		e->capheap = cap;
	}
	i = e->nheap++;
	while (i > 0 && ent_before(&ent, &e->heap[(i - 1) / 2])) {
		e->heap[i] = e->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	e->heap[i] = ent;
	return 0;
}

static struct adi_event *heap_pop(struct adi_engine *e)
{
	struct adi_event *top = e->heap[0].ev;
	struct adi_heap_ent last = e->heap[--e->nheap];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= e->nheap)
			break;
		if (c + 1 < e->nheap && ent_before(&e->heap[c + 1], &e->heap[c]))
			c++;
		if (!ent_before(&e->heap[c], &last))
			break;
		e->heap[i] = e->heap[c];
		i = c;
	}
	if (e->nheap)
		e->heap[i] = last;
	return top;
}

/* The earliest held event's key; NULL when none is held. */
static const struct adi_heap_ent *held_top(const struct adi_engine *e)
{
	const struct adi_heap_ent *r = e->nrun ? run_at(e, 0) : NULL;

	if (!e->nheap)
		return r;
	return r && ent_before(r, &e->heap[0]) ? r : &e->heap[0];
}

/* Takes the earliest held event (one is held). */
static struct adi_event *held_pop(struct adi_engine *e)
{
	struct adi_event *ev;

	if (e->nheap && held_top(e) == &e->heap[0])
		return heap_pop(e);
	ev = run_at(e, 0)->ev;
	e->run_head = (e->run_head + 1) & (e->caprun - 1);
	e->nrun--;
	return ev;
}

static void write_event(struct adi_engine *e, struct adi_event *ev)
{
	/* the output is in start order except where holding had to stop:
	 * counted, so a reader knows the order is not whole (trace_summary) */
	if (ev->ts_ns < e->last_out_ts)
		e->st.out_of_order++;
	else
		e->last_out_ts = ev->ts_ns;
	ev = adi_tree_place(&e->tree, ev); /* its id, and its parent */
#ifndef NDEBUG
	/* every writer keeps its index whole (sinks trust it): a member
	 * written past it is a bug that tests and fuzzers must catch */
	if (!adi_event_index_ok(ev)) {
		fprintf(stderr, "adi: %s event's member index is wrong: %.*s\n", ev->kind,
			(int)ev->fields_len, ev->fields);
		abort();
	}
#endif
	count_kind(e, ev->kind);
	e->st.events_out++;
	for (int i = 0; i < e->nsinks; i++) {
		int rc = adi_sink_emit(e->sinks[i], ev);

		if (rc) {
			if (!e->st.sink_errors)
				e->st.first_sink_error = rc;
			e->st.sink_errors++;
		}
	}
	adi_event_free(ev);
}

/* The earliest start among pending things (open merged runs, open
 * connections) that may still produce an event, ignoring those older than
 * the hold window so a long-lived connection cannot stall the timeline. */
static uint64_t watermark(struct adi_engine *e)
{
	uint64_t wm = e->now > ADI_SKEW_NS ? e->now - ADI_SKEW_NS + 1 : 1;
	uint64_t floor = e->now > e->o.hold_ns ? e->now - e->o.hold_ns : 0;

	for (struct adi_fd *f = e->aggs; f; f = f->anext)
		if (f->agg.ts >= floor && f->agg.ts < wm)
			wm = f->agg.ts;
	for (struct adi_conn *c = e->open_conns; c; c = c->next) {
		uint64_t t = c->start_ts;

		/* a datagram socket's events are its datagrams: only a
		 * decoded exchange in flight (a query awaiting its answer)
		 * may still become an event of an earlier start */
		if (c->dgram && c->decoding && !e->o.no_net) {
			t = adi_pconn_pending_ts(&c->pc);
			if (t && t >= floor && t < wm)
				wm = t;
			continue;
		}
		/* only what may still become an event of its start time
		 * holds: not without network capture (no tcp_stream then) */
		if (!c->stream || c->state == CONN_FAILED || e->o.no_net)
			continue;
		/* a decoded connection holds back only what is in flight (a
		 * long keep-alive connection is no reason to wait); one with
		 * nothing decoded yet may still become a tcp_stream */
		if (c->decoding && c->pc.messages)
			t = adi_pconn_pending_ts(&c->pc);
		if (c->tls) /* its plaintext decides (tls.c), not the handshake */
			t = adi_tls_pending_ts(e, c);
		if (t && t >= floor && t < wm)
			wm = t;
	}
	if (e->tls) { /* plaintext waiting for its socket (memory BIOs) */
		uint64_t t = adi_tls_pending_ts(e, NULL);

		if (t && t >= floor && t < wm)
			wm = t;
	}
	return wm;
}

/* Called from adi_engine_feed at points that depend only on the event
 * stream (every ADI_RELEASE_EVERY events, and at each tick), so a replay
 * releases, and therefore orders, exactly as the live run did. */
static void release_ready(struct adi_engine *e)
{
	uint64_t run = e->o.hold_ns < ADI_RUN_MAX_NS ? e->o.hold_ns : ADI_RUN_MAX_NS, wm;

	/* a merged run older than its window is written now, so it is not
	 * held back (nor holds others back) long */
	for (struct adi_fd *f = e->aggs, *n; f; f = n) {
		n = f->anext;
		/* by its start: a run that keeps going is cut into pieces no
		 * longer than the window, so it never escapes the ordering */
		if (e->now > run && f->agg.ts < e->now - run)
			adi_file_agg_flush(e, f);
	}
	wm = watermark(e);
	for (const struct adi_heap_ent *t; (t = held_top(e)) != NULL &&
	     (t->ts < wm || e->nheap + e->nrun > ADI_HELD_MAX);)
		write_event(e, held_pop(e));
	e->since_release = 0;
}

static void flush_sinks(struct adi_engine *e)
{
	for (int i = 0; i < e->nsinks; i++) {
		int rc = adi_sink_flush(e->sinks[i]);

		if (rc) { /* buffered lines were lost: as bad as a failed emit */
			if (!e->st.sink_errors)
				e->st.first_sink_error = rc;
			e->st.sink_errors++;
		}
	}
}

void adi_engine_release(struct adi_engine *e)
{
	flush_sinks(e);
}

/* ---- feeding ---- */

static void save_event(struct adi_engine *e, const struct adi_raw_event *ev)
{
	int rc;

	if (!e->save)
		return;
	rc = adi_raw_write(e->save, ev);
	if (rc) {
		e->st.save_errors++;
		e->st.save_errno = rc;
		e->save = NULL; /* a truncated raw file is worse than a short one */
	}
}

/* The entry of cgroup id (> 1), made on first sight; NULL without memory. */
static struct adi_cgroup *cgroup_entry(struct adi_engine *e, uint64_t id)
{
	struct adi_cgroup *g = adi_map_get(&e->cgroups, id);

	if (g || e->cgroups.len >= 65536)
		return g;
	g = calloc(1, sizeof(*g));
	if (g && adi_map_put(&e->cgroups, id, g)) {
		free(g);
		g = NULL;
	}
	return g;
}

static void apply_meta(struct adi_engine *e, const struct adi_raw_event *ev)
{
	const struct adi_raw_fixed *f = &ev->f;
	char path[ADI_PATH_BUF];
	size_t n = f->path_len < sizeof(path) - 1 ? f->path_len : sizeof(path) - 1;

	memcpy(path, ev->path ? ev->path : "", n);
	path[n] = 0;
	switch (f->op) {
	case ADI_META_START: {
		size_t bl = f->path2_len < 31 ? f->path2_len : 31;

		e->start_ts = f->ts_ns;
		free(e->backend_name);
		e->backend_name = strndup(ev->path2 ? ev->path2 : "", bl);
		if (f->pid) {
			struct adi_proc *p = adi_proc_ensure(e, f);

			if (p && n) {
				free(p->cwd);
				p->cwd = strdup(path);
			}
		}
		break;
	}
	case ADI_META_CWD: {
		struct adi_proc *p = adi_proc_ensure(e, f);

		if (p) {
			free(p->cwd);
			p->cwd = strdup(path);
		}
		break;
	}
	case ADI_META_FD: {
		struct adi_proc *p = adi_proc_ensure(e, f);
		struct adi_fd *fd;

		if (!p)
			break;
		fd = adi_fd_get(e, f->pid, f->fd);
		if (!fd)
			fd = adi_fd_install(e, p, f->fd, f->fd_kind, path, f->ts_ns);
		else if (!fd->path)
			fd->path = strdup(path);
		break;
	}
	case ADI_META_TICK:
		break; /* its timestamp advanced e->now in adi_engine_feed */
	case ADI_META_CGROUP: {
		struct adi_proc *p = f->pid ? adi_proc_ensure(e, f) : NULL;
		struct adi_cgroup *g = f->cgroup_id > 1 ? cgroup_entry(e, f->cgroup_id) : NULL;

		if (p) {
			adi_container_id(path, p->container);
			p->cg_known = true;
		}
		if (g) {
			adi_container_id(path, g->container);
			g->known = true;
		}
		break;
	}
	case ADI_META_LISTEN:
		e->listen_ports[f->local.port / 8] |= (uint8_t)(1u << (f->local.port % 8));
		break;
	case ADI_META_TLS_LIB:
	case ADI_META_TLS_STATE:
		adi_tls_meta(e, ev);
		break;
	case ADI_META_END:
		e->have_end = true;
		e->end_ts = f->ts_ns;
		e->dropped = f->size;
		e->truncated = f->length;
		e->produced = f->ino;
		e->delivered = f->ret > 0 ? (uint64_t)f->ret : 0;
		break;
	}
}

/* Feed a META event produced here (from the resolver): saved, then applied. */
static void meta_from_resolver(struct adi_engine *e, const struct adi_raw_fixed *src,
			       enum adi_meta_op what, int fd, uint8_t kind)
{
	struct adi_raw_event m = { 0 };
	char buf[ADI_PATH_BUF];

	if (!e->resolve || e->resolve(e->resolve_arg, what, src->pid, fd, src->cgroup_id,
				      buf, sizeof(buf)))
		return;
	m.f.family = ADI_RAW_META;
	m.f.op = what;
	m.f.ts_ns = src->ts_ns;
	m.f.pid = src->pid;
	m.f.tid = src->tid;
	memcpy(m.f.comm, src->comm, sizeof(m.f.comm));
	m.f.cgroup_id = src->cgroup_id;
	m.f.fd = fd;
	m.f.fd_kind = kind;
	m.path = buf;
	m.f.path_len = strlen(buf);
	save_event(e, &m);
	apply_meta(e, &m);
}

static bool fileish(uint8_t kind)
{
	return kind == ADI_FD_REG || kind == ADI_FD_DIR || kind == ADI_FD_BLK ||
	       kind == ADI_FD_CHR || kind == ADI_FD_FIFO || kind == ADI_FD_UNKNOWN;
}

/* Before an event is saved and applied, learn from the live system what the
 * tables lack for it (a process's cwd, the path of an fd opened before the
 * trace), so the saved stream holds it ahead of the event. */
static void prefetch(struct adi_engine *e, const struct adi_raw_event *ev)
{
	const struct adi_raw_fixed *f = &ev->f;
	struct adi_proc *p;

	if (!e->resolve || f->family == ADI_RAW_META)
		return;
	/* the container: by the task's cgroup v2 id (the kernel tells it with
	 * every record, so a process gone before its events are read is still
	 * placed); on a hybrid host's root cgroup, by the /proc entry below */
	if (f->cgroup_id > 1 && !adi_map_get(&e->cgroups, f->cgroup_id) &&
	    cgroup_entry(e, f->cgroup_id))
		meta_from_resolver(e, f, ADI_META_CGROUP, -1, 0);
	if (f->family == ADI_RAW_PROC)
		return;
	p = adi_proc_get(e, f->pid);
	/* once per process: a process that is gone answers nothing, and
	 * asking again on each of its events would cost a /proc read each */
	if (!p || (!p->cwd && !p->cwd_tried)) {
		meta_from_resolver(e, f, ADI_META_CWD, -1, 0);
		if ((p = adi_proc_get(e, f->pid)))
			p->cwd_tried = true;
	}
	if (f->cgroup_id <= 1 && p && !p->cg_known && !p->cg_tried) {
		p->cg_tried = true;
		meta_from_resolver(e, f, ADI_META_CGROUP, -1, 0);
	}
	switch (f->family) {
	case ADI_RAW_IO:
	case ADI_RAW_FD:
		if (f->op == ADI_OP_PIPE || f->op == ADI_OP_PIPE2 ||
		    f->op == ADI_OP_CLOSE_RANGE)
			break;
		if (f->fd >= 0 && fileish(f->fd_kind) && !adi_fd_get(e, f->pid, f->fd))
			meta_from_resolver(e, f, ADI_META_FD, f->fd, f->fd_kind);
		break;
	case ADI_RAW_PATH:
		if (f->dfd >= 0 && !adi_fd_get(e, f->pid, f->dfd))
			meta_from_resolver(e, f, ADI_META_FD, f->dfd, ADI_FD_DIR);
		if (f->dfd2 >= 0 && !adi_fd_get(e, f->pid, f->dfd2))
			meta_from_resolver(e, f, ADI_META_FD, f->dfd2, ADI_FD_DIR);
		if ((f->op == ADI_OP_FTRUNCATE || f->op == ADI_OP_FCHMOD ||
		     f->op == ADI_OP_FCHOWN || f->op == ADI_OP_FCHDIR) &&
		    f->fd >= 0 && !adi_fd_get(e, f->pid, f->fd))
			meta_from_resolver(e, f, ADI_META_FD, f->fd, f->fd_kind);
		break;
	}
}

struct adi_conn *adi_sock_conn(struct adi_engine *e, struct adi_proc *p,
			       const struct adi_raw_fixed *f)
{
	struct adi_fd *fd = adi_fd_get(e, f->pid, f->fd);
	struct adi_conn *c;

	if (fd && fd->ino != f->ino && f->ino) {
		/* the fd we knew was closed unseen and reused */
		adi_fd_close(e, fd, f->ts_ns, false, f);
		fd = NULL;
	}
	if (!fd)
		fd = adi_fd_install(e, p, f->fd, ADI_FD_SOCK, NULL, f->ts_ns);
	if (!fd)
		return NULL;
	fd->ino = f->ino;
	c = fd->conn ? fd->conn : adi_conn_for(e, f);
	if (c && !fd->conn)
		adi_fd_set_conn(e, fd, c);
	return c;
}

static void on_io(struct adi_engine *e, const struct adi_raw_event *ev)
{
	const struct adi_raw_fixed *f = &ev->f;
	struct adi_proc *p = adi_proc_ensure(e, f);
	struct adi_fd *fd;

	if (!p)
		return;
	if (f->ret == -EAGAIN || f->ret == -EINTR)
		return; /* nothing happened: non-blocking retry noise */
	if (f->fd_kind == ADI_FD_SOCK) {
		struct adi_conn *c;

		if (e->o.no_net)
			return;
		c = adi_sock_conn(e, p, f);
		if (!c)
			return;
		p->act_ts = f->ts_ns; /* ends the process's merged file runs */
		p->act_gen = 0;
		adi_conn_io(e, c, ev);
		return;
	}
	fd = adi_fd_get(e, f->pid, f->fd);
	if (e->o.no_fs)
		return;
	if (f->fd_kind != ADI_FD_REG && f->fd_kind != ADI_FD_BLK)
		return; /* terminals, pipes, eventfds: not files on disk */
	if (!fd)
		fd = adi_fd_install(e, p, f->fd, f->fd_kind, NULL, f->ts_ns);
	if (fd) {
		fd->ino = f->ino;
		adi_file_io(e, fd, ev);
	}
}

static void on_fd(struct adi_engine *e, const struct adi_raw_event *ev)
{
	const struct adi_raw_fixed *f = &ev->f;
	struct adi_proc *p = adi_proc_ensure(e, f);
	struct adi_fd *old, *nf;
	int newfd;

	if (!p)
		return;
	switch (f->op) {
	case ADI_OP_CLOSE:
		old = adi_fd_get(e, f->pid, f->fd);
		if (!old && f->fd_kind == ADI_FD_SOCK && f->ino &&
		    adi_map_get(&e->conns, f->ino)) {
			/* a socket known by inode through another fd/process */
			old = adi_fd_install(e, p, f->fd, ADI_FD_SOCK, NULL, f->ts_ns);
			if (old) {
				old->ino = f->ino;
				adi_fd_set_conn(e, old, adi_map_get(&e->conns, f->ino));
			}
		}
		if (old)
			adi_fd_close(e, old, f->ts_ns, true, f);
		return;
	case ADI_OP_DUP: case ADI_OP_DUP2: case ADI_OP_DUP3: case ADI_OP_FCNTL:
		if (f->ret < 0)
			return;
		if (f->op == ADI_OP_FCNTL && f->arg == 2 /* F_SETFD */) {
			old = adi_fd_get(e, f->pid, f->fd);
			if (old)
				old->cloexec = f->oflags & 1;
			return;
		}
		newfd = (int)f->ret;
		if (newfd == f->fd)
			return; /* dup2(fd, fd) */
		old = adi_fd_get(e, f->pid, f->fd);
		nf = adi_fd_install(e, p, newfd, old ? old->kind : ADI_FD_UNKNOWN,
				    old ? old->path : NULL, f->ts_ns);
		if (!nf)
			return;
		nf->stdio = newfd <= 2 || (old && adi_fd_is_stdio(old));
		if (old) {
			nf->ino = old->ino;
			nf->from_open = old->from_open;
			if (old->conn)
				adi_fd_set_conn(e, nf, old->conn);
		}
		nf->cloexec = (f->op == ADI_OP_DUP3 && (f->oflags & 02000000)) ||
			      (f->op == ADI_OP_FCNTL && f->arg == 1030);
		return;
	case ADI_OP_CLOSE_RANGE:
		if (f->ret < 0)
			return;
		for (struct adi_fd *x = p->fds, *n; x; x = n) {
			n = x->pnext;
			if ((uint32_t)x->fd < (uint32_t)f->fd || (uint32_t)x->fd > (uint32_t)f->fd2)
				continue;
			if (f->oflags & 4 /* CLOSE_RANGE_CLOEXEC */)
				x->cloexec = true;
			else
				adi_fd_close(e, x, f->ts_ns, true, f);
		}
		return;
	case ADI_OP_PIPE: case ADI_OP_PIPE2:
		if (f->ret < 0)
			return;
		for (int i = 0; i < 2; i++) {
			nf = adi_fd_install(e, p, i ? f->fd2 : f->fd, ADI_FD_FIFO,
					    NULL, f->ts_ns);
			if (nf)
				nf->cloexec = f->oflags & 02000000;
		}
		return;
	}
}

static const char *signal_name(int sig)
{
	static const char *const names[] = {
		"0", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT",
		"SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2",
		"SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT",
		"SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU",
		"SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR",
		"SIGSYS",
	};
	return sig > 0 && sig < 32 ? names[sig] : NULL;
}

/* How many of argv's first words (a[0..n), NUL-separated) the kernel put
 * before a script's path when it ran the script's interpreter: 1 or 2
 * (the "#!" line's path and its one argument) when argv[1] or argv[2] is
 * the file executed and argv[0] is an absolute path other than it; else 0.
 * *skip: where the script's path starts in a. The caller's argv[0] is not
 * kept by the kernel for a script: the file executed stands in its place
 * (docs/events.md). */
static size_t interp_words(const uint8_t *a, size_t n, const char *file, size_t fl,
			   size_t *skip)
{
	size_t off[3], len[3], w = 0, i = 0;

	while (i < n && w < 3) {
		size_t l = strnlen((const char *)a + i, n - i);

		off[w] = i;
		len[w++] = l;
		i += l + 1;
	}
	if (!fl || w < 2 || len[0] == 0 || a[0] != '/' ||
	    (len[0] == fl && !memcmp(a, file, fl)))
		return 0;
	for (size_t k = 1; k < w && k <= 2; k++)
		if (len[k] == fl && !memcmp(a + off[k], file, fl)) {
			*skip = off[k];
			return k;
		}
	return 0;
}

/* A process event's fields up to argv (op, ppid); the caller writes
 * argv, exit_code and signal, in that order, and commits. */
static struct adi_jw *proc_begin(struct adi_engine *e, const char *op, uint32_t ppid)
{
	struct adi_jw *w = adi_ev_begin(e);

	adi_jw_kstr(w, "op", op);
	adi_jw_kint(w, "ppid", ppid);
	return w;
}

static struct adi_event *proc_commit(struct adi_engine *e, const struct adi_raw_fixed *f)
{
	return adi_ev_commit(e, "process", f->ts_ns, -1, f->pid, f->tid, f->comm, f->cgroup_id);
}

static void on_proc(struct adi_engine *e, const struct adi_raw_event *ev)
{
	const struct adi_raw_fixed *f = &ev->f;
	struct adi_proc *p, *parent;
	struct adi_event *out;
	struct adi_jw *w;

	switch (f->op) {
	case ADI_OP_FORK:
		parent = adi_proc_get(e, f->ppid);
		p = adi_proc_ensure(e, f);
		if (!p)
			return;
		p->ppid = f->ppid;
		if (parent && parent != p) {
			/* starting a process is something else: a shell that
			 * reads its script a line at a time between commands
			 * gets one read event per pause, not one spanning all */
			parent->act_ts = f->ts_ns;
			parent->act_gen = 0;
			/* the child starts with a copy of the parent's cwd and fds */
			if (parent->cwd && !p->cwd)
				p->cwd = strdup(parent->cwd);
			/* same cgroup as the parent until it moves (its own
			 * /proc entry, read on its first event, may say so) */
			if (parent->cg_known && !p->cg_known)
				memcpy(p->container, parent->container, sizeof(p->container));
			for (struct adi_fd *x = parent->fds; x; x = x->pnext) {
				struct adi_fd *c;

				if (adi_fd_get(e, p->pid, x->fd))
					continue;
				c = adi_fd_install(e, p, x->fd, x->kind, x->path, f->ts_ns);
				if (!c)
					continue;
				c->ino = x->ino;
				c->cloexec = x->cloexec;
				c->stdio = adi_fd_is_stdio(x);
				c->inherited = true;
				/* the child did not open it: its exit is no news */
				c->from_open = false;
				if (x->conn)
					adi_fd_set_conn(e, c, x->conn);
			}
		}
		if (!e->o.no_proc) {
			w = proc_begin(e, "fork", f->ppid);
			adi_jw_knull(w, "argv");
			adi_jw_knull(w, "exit_code");
			adi_jw_knull(w, "signal");
			out = proc_commit(e, f);
			if (out) { /* the parent forked (which thread is not said) */
				out->io_pid = f->ppid;
				out->io_tid = 0;
			}
		}
		return;
	case ADI_OP_EXEC: {
		size_t i = 0, ninterp;

		p = adi_proc_ensure(e, f);
		if (!p)
			return;
		memcpy(p->comm, f->comm, sizeof(p->comm));
		p->ppid = f->ppid;
		/* the kernel closed the close-on-exec fds without a syscall */
		for (struct adi_fd *x = p->fds, *n; x; x = n) {
			n = x->pnext;
			if (x->cloexec)
				adi_fd_close(e, x, f->ts_ns, true, NULL);
		}
		if (e->o.no_proc)
			return;
		w = proc_begin(e, "exec", f->ppid);
		/* a script: argv from the script's path on, the interpreter
		 * the kernel put before it apart */
		ninterp = interp_words(ev->data, f->data_len, ev->path2, f->path2_len, &i);
		adi_jw_karr(w, "argv");
		for (size_t j = i; j < f->data_len;) {
			const uint8_t *s = ev->data + j;
			size_t l = strnlen((const char *)s, f->data_len - j);

			adi_jw_bytes(w, s, l);
			j += l + 1;
		}
		adi_jw_arr_end(w);
		adi_jw_knull(w, "exit_code");
		adi_jw_knull(w, "signal");
		if (f->flags & ADI_RAW_TRUNC)
			adi_jw_kbool(w, "argv_truncated", true);
		adi_jw_key(w, "filename");
		if (f->path2_len)
			adi_jw_bytes(w, (const uint8_t *)ev->path2, f->path2_len);
		else
			adi_jw_null(w);
		if (ninterp) {
			adi_jw_karr(w, "interpreter");
			for (size_t j = 0, k = 0; k < ninterp; k++) {
				size_t l = strnlen((const char *)ev->data + j, f->data_len - j);

				adi_jw_bytes(w, ev->data + j, l);
				j += l + 1;
			}
			adi_jw_arr_end(w);
		}
		proc_commit(e, f);
		return;
	}
	case ADI_OP_EXIT:
		/* the kernel closes its fds first: their events come before */
		p = adi_proc_get(e, f->pid);
		if (p)
			adi_proc_remove(e, p, f->ts_ns);
		if (!e->o.no_proc) {
			int st = f->arg;

			w = proc_begin(e, "exit", f->ppid);
			adi_jw_knull(w, "argv");
			if ((st & 0x7f) == 0) {
				adi_jw_kint(w, "exit_code", (st >> 8) & 0xff);
				adi_jw_knull(w, "signal");
			} else {
				const char *sn = signal_name(st & 0x7f);

				adi_jw_knull(w, "exit_code");
				if (sn)
					adi_jw_kstr(w, "signal", sn);
				else
					adi_jw_kint(w, "signal", st & 0x7f);
				if (st & 0x80)
					adi_jw_kbool(w, "core_dumped", true);
			}
			proc_commit(e, f);
		}
		return;
	}
}

int adi_engine_feed(struct adi_engine *e, const struct adi_raw_event *in)
{
	struct adi_raw_event safe = *in;
	const struct adi_raw_event *ev = &safe;
	const struct adi_raw_fixed *f = &safe.f;

	/* a length without its bytes (a backend bug) means no bytes */
	if (!safe.data)
		safe.f.data_len = 0;
	if (!safe.path)
		safe.f.path_len = 0;
	if (!safe.path2)
		safe.f.path2_len = 0;

	e->st.raw_in++;
	prefetch(e, ev);
	save_event(e, ev);
	if (f->ts_ns > e->now)
		e->now = f->ts_ns;
	if (!e->start_ts)
		e->start_ts = f->ts_ns;
	switch (f->family) {
	case ADI_RAW_META:
		apply_meta(e, ev);
		break;
	case ADI_RAW_IO:
		on_io(e, ev);
		break;
	case ADI_RAW_PATH:
		adi_proc_ensure(e, f);
		adi_file_path_event(e, ev);
		break;
	case ADI_RAW_SOCK:
		adi_proc_ensure(e, f);
		adi_conn_sock_event(e, ev);
		break;
	case ADI_RAW_FD:
		on_fd(e, ev);
		break;
	case ADI_RAW_PROC:
		on_proc(e, ev);
		break;
	case ADI_RAW_TLS:
		adi_tls_io(e, ev);
		break;
	}
	/* facts (META) do not count towards a release: the live run makes
	 * some of them on the side (the resolver's answers, saved but never
	 * fed) which a replay feeds, and both must release at the same
	 * records to merge and order alike */
	if (f->family == ADI_RAW_META ? f->op == ADI_META_TICK
				      : ++e->since_release >= ADI_RELEASE_EVERY)
		release_ready(e);
	return 0;
}

void adi_engine_finish(struct adi_engine *e)
{
	uint64_t end = e->have_end ? e->end_ts : e->now;
	uint64_t total = 0;
	struct adi_jw *w;

	/* the raw capture is whole once the trace ends: what its stream still
	 * buffers (a MiB of records) goes out now, and a failure is reported
	 * as one while saving would have been */
	if (e->save && fflush(e->save) != 0) {
		e->st.save_errors++;
		e->st.save_errno = errno ? -errno : -EIO;
		e->save = NULL;
	}
	/* everything pending ends with the trace */
	while (e->aggs)
		adi_file_agg_flush(e, e->aggs);
	adi_tls_finish(e);
	adi_conn_end_all(e);
	while (e->nheap || e->nrun)
		write_event(e, held_pop(e));

	w = adi_ev_begin(e);
	adi_jw_kobj(w, "events");
	for (int i = 0; i < e->nkinds; i++) {
		adi_jw_ku64(w, e->kinds[i].kind, e->kinds[i].n);
		total += e->kinds[i].n;
	}
	adi_jw_obj_end(w);
	adi_jw_ku64(w, "dropped", e->dropped);
	adi_jw_ku64(w, "truncated", e->truncated);
	adi_jw_kstr(w, "backend", e->o.backend);
	adi_jw_kstr(w, "capture_backend",
		    e->backend_name && *e->backend_name ? e->backend_name : e->o.backend);
	adi_jw_kstr(w, "version", adi_version()); /* of the program writing this */
	adi_jw_ku64(w, "total", total);
	/* the kernel->user accounting: produced = delivered + dropped,
	 * exactly (a failed output is counted) */
	adi_jw_kobj(w, "records");
	adi_jw_ku64(w, "produced", e->produced);
	adi_jw_ku64(w, "delivered", e->delivered);
	adi_jw_ku64(w, "dropped", e->dropped);
	adi_jw_obj_end(w);
	adi_jw_ku64(w, "stream_gaps", e->st.stream_gaps);
	adi_jw_ku64(w, "decoded", e->st.decoded);
	adi_jw_ku64(w, "parse_skipped_bytes", e->st.parse_skipped);
	adi_jw_ku64(w, "parse_errors", e->st.parse_errors);
	if (e->budget.refused) /* only when it happened: a rare event */
		adi_jw_ku64(w, "decode_bytes_refused", e->budget.refused);
	adi_jw_ku64(w, "evicted", e->st.evicted);
	if (e->st.out_of_order) /* only when it happened, like the above */
		adi_jw_ku64(w, "out_of_order", e->st.out_of_order);
	adi_tls_summary(e, w);
	{
		struct adi_event *sum = w->err ? NULL
					       : adi_event_new("trace_summary", end, w->buf, w->len);

		if (sum) {
			sum->duration_ns = end > e->start_ts ? end - e->start_ts : 0;
			sum->seq = e->next_seq++;
			write_event(e, sum);
		} else {
			e->st.sink_errors++;
		}
	}
	flush_sinks(e);
}
