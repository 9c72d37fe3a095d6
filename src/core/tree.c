/* tree.c - request trees: every event written gets its id, and the work a
 * process does while it serves a request (a query, a call, a file read)
 * gets that request's id as parent_id, or parent "ambiguous" with the
 * candidates when the trace cannot tell. Runs as the timeline writes
 * events, in start order, so a request is written before the work it
 * caused. Owns the requests still open, per process; the rules and their
 * limits are docs/engine.md "Request trees".
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "engine_int.h"

/* sweep every set for requests that ended this often (events written) */
#define ADI_TREE_SWEEP_EVERY 4096

int adi_tree_init(struct adi_tree *t)
{
	memset(t, 0, sizeof(*t));
	t->next_id = 1;
	adi_jw_init(&t->w);
	if (adi_map_init(&t->procs) || adi_map_init(&t->threads)) {
		adi_tree_fini(t);
		return -ENOMEM;
	}
	return 0;
}

void adi_tree_fini(struct adi_tree *t)
{
	size_t it = 0;
	uint64_t k;
	void *v;

	while (adi_map_next(&t->procs, &it, &k, &v)) {
		free(((struct adi_reqset *)v)->v);
		free(v);
	}
	adi_map_fini(&t->procs);
	adi_map_fini(&t->threads);
	adi_jw_fini(&t->w);
}

static uint64_t ev_end(const struct adi_event *ev)
{
	return ev->ts_ns + (ev->duration_ns > 0 ? (uint64_t)ev->duration_ns : 0);
}

/* Drop the requests of s that ended before ts: no event starting at ts or
 * later can lie inside them. */
static void prune(struct adi_tree *t, struct adi_reqset *s, uint64_t ts)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < s->n; i++)
		if (s->v[i].end >= ts)
			s->v[k++] = s->v[i];
	t->open -= s->n - k;
	s->n = k;
}

/* Every set pruned at the latest start written; sets left empty (and not
 * blind) are freed, so processes that stopped serving cost nothing. */
static void sweep(struct adi_tree *t)
{
	size_t it = 0;
	uint64_t k;
	void *v;

	while (adi_map_next(&t->procs, &it, &k, &v)) {
		struct adi_reqset *s = v;

		prune(t, s, t->latest);
		if (!s->n && s->blind_until < t->latest) {
			adi_map_del(&t->procs, k);
			free(s->v);
			free(s);
		}
	}
	t->since_sweep = 0;
}

static struct adi_reqset *set_of(struct adi_tree *t, uint32_t pid, bool make)
{
	struct adi_reqset *s = adi_map_get(&t->procs, pid);

	if (s || !make)
		return s;
	s = calloc(1, sizeof(*s));
	if (s && adi_map_put(&t->procs, pid, s)) {
		free(s);
		s = NULL;
	}
	return s;
}

/* A request the process serves: held until it ends. One that cannot be
 * held blinds its process until it ends (an event then inside it might be
 * its child: better none than a wrong parent). */
static void open_request(struct adi_tree *t, const struct adi_event *ev)
{
	struct adi_reqset *s = set_of(t, ev->io_pid, true);
	uint64_t end = ev_end(ev);

	if (!s)
		return;
	if (ev->io_tid && !t->threads_full) {
		uint64_t key = (uint64_t)ev->io_pid << 32 | ev->io_tid;

		if (!adi_map_get(&t->threads, key) &&
		    (t->threads.len >= ADI_TREE_THREADS_MAX ||
		     adi_map_put(&t->threads, key, (void *)1)))
			t->threads_full = true;
	}
	if (s->n == s->cap && t->open < ADI_TREE_OPEN_MAX) {
		uint32_t cap = s->cap ? s->cap * 2 : 8;
		struct adi_openreq *v = realloc(s->v, cap * sizeof(*v));

		if (v) {
			s->v = v;
			s->cap = cap;
		}
	}
	if (s->n == s->cap || t->open >= ADI_TREE_OPEN_MAX) {
		if (end > s->blind_until)
			s->blind_until = end;
		return;
	}
	s->v[s->n++] = (struct adi_openreq){ ev->id, ev->ts_ns, end, ev->io_tid };
	t->open++;
}

/* The members that say where ev belongs, written into t->w; false when it
 * belongs to no request. */
static bool parent_members(struct adi_tree *t, const struct adi_event *ev)
{
	struct adi_reqset *s = set_of(t, ev->io_pid, false);
	const struct adi_openreq *in[ADI_TREE_CANDIDATES], *mine[ADI_TREE_CANDIDATES];
	uint32_t nin = 0, nmine = 0;
	uint64_t end = ev_end(ev);
	const struct adi_openreq **pick;
	uint32_t npick;
	const char *by;

	if (!s)
		return false;
	prune(t, s, ev->ts_ns);
	if (ev->ts_ns < s->blind_until)
		return false;
	/* the candidates: requests of this process open over ev's whole span;
	 * among them, those its own thread was serving */
	for (uint32_t i = 0; i < s->n; i++) {
		const struct adi_openreq *r = &s->v[i];

		if (r->start > ev->ts_ns || end > r->end)
			continue;
		if (nin < ADI_TREE_CANDIDATES)
			in[nin] = r;
		nin++;
		if (ev->io_tid && r->tid == ev->io_tid) {
			if (nmine < ADI_TREE_CANDIDATES)
				mine[nmine] = r;
			nmine++;
		}
	}
	if (!nin)
		return false;
	if (nmine) {
		/* thread: the request its thread serves (an event loop serving
		 * several at once cannot say which) */
		pick = mine;
		npick = nmine;
		by = "thread";
	} else {
		/* time: a thread that serves no request (a helper: a thread
		 * pool, or the thread is unknown) belongs to the process's only
		 * open request; a request thread between two requests belongs
		 * to none */
		if (ev->io_tid && (t->threads_full ||
				   adi_map_get(&t->threads,
					       (uint64_t)ev->io_pid << 32 | ev->io_tid)))
			return false;
		pick = in;
		npick = nin;
		by = "time";
	}
	adi_jw_reset(&t->w);
	if (npick == 1) {
		adi_jw_ku64(&t->w, "parent_id", pick[0]->id);
		adi_jw_kstr(&t->w, "parent_by", by);
		return true;
	}
	adi_jw_kstr(&t->w, "parent", "ambiguous");
	adi_jw_karr(&t->w, "parent_candidates");
	for (uint32_t i = 0; i < npick && i < ADI_TREE_CANDIDATES; i++)
		adi_jw_u64(&t->w, pick[i]->id);
	adi_jw_arr_end(&t->w);
	return true;
}

/* ev with t->w's members before its own fields (ev may move); ev itself
 * when memory is short (it is then written without them). */
static struct adi_event *with_members(struct adi_tree *t, struct adi_event *ev)
{
	struct adi_event *n;

	if (t->w.err || !(n = adi_event_prepend_jw(ev, &t->w)))
		return ev;
	return n;
}

struct adi_event *adi_tree_place(struct adi_tree *t, struct adi_event *ev)
{
	ev->id = t->next_id++;
	if (ev->ts_ns > t->latest)
		t->latest = ev->ts_ns;
	if (++t->since_sweep >= ADI_TREE_SWEEP_EVERY)
		sweep(t);
	if (!ev->io_pid || ev->role == ADI_EV_INBOUND)
		return ev;
	if (ev->role == ADI_EV_SERVED) {
		open_request(t, ev);
		return ev;
	}
	return parent_members(t, ev) ? with_members(t, ev) : ev;
}
