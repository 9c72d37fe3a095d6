/* event.c - allocation of semantic events (event.h), and the NULL-tolerant
 * wrappers around a sink's methods. An event and its fields text are one
 * allocation; writing the text is the job of the engine and the decoders.
 */
#include "event.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Room kept before a new event's fields for the members a request tree
 * puts first ("parent_id":123456,"parent_by":"thread" is 40-odd bytes):
 * prepending them then moves nothing and allocates nothing. */
#define ADI_EVENT_PRE_ROOM 64

struct adi_event *adi_event_new(const char *kind, uint64_t ts_ns, const char *fields,
				size_t n)
{
	struct adi_event *ev;
	char *text;

	if (n > SIZE_MAX - sizeof(*ev) - ADI_EVENT_PRE_ROOM - 1 ||
	    !(ev = malloc(sizeof(*ev) + ADI_EVENT_PRE_ROOM + n + 1))) {
		errno = ENOMEM;
		return NULL;
	}
	memset(ev, 0, offsetof(struct adi_event, idx)); /* nidx 0: no index */
	text = (char *)(ev + 1) + ADI_EVENT_PRE_ROOM;
	if (n)
		memcpy(text, fields, n);
	text[n] = '\0';
	ev->kind = kind;
	ev->ts_ns = ts_ns;
	ev->duration_ns = -1;
	ev->fields = text;
	ev->fields_len = n;
	return ev;
}

struct adi_event *adi_event_new_jw(const char *kind, uint64_t ts_ns, const struct adi_jw *w)
{
	struct adi_event *ev = adi_event_new(kind, ts_ns, w->buf, w->err ? 0 : w->len);

	if (ev && adi_jw_index_whole(w)) {
		memcpy(ev->idx, w->mem, w->nmem * sizeof(ev->idx[0]));
		ev->nidx = w->nmem;
	}
	return ev;
}

struct adi_event *adi_event_prepend_jw(struct adi_event *ev, const struct adi_jw *w)
{
	uint32_t k = ev->nidx, add = w->nmem, shift;
	bool keep = k && add && adi_jw_index_whole(w) && k + add <= ADI_EVENT_INDEX;
	struct adi_event *m;

	if (w->err) {
		errno = ENOMEM;
		return NULL;
	}
	m = adi_event_prepend(ev, w->buf, w->len); /* drops the index */
	if (!m || !keep)
		return m;
	/* the event's members moved past the new ones and their comma */
	shift = (uint32_t)w->len + 1;
	memmove(m->idx + add, m->idx, k * sizeof(m->idx[0]));
	for (uint32_t i = add; i < add + k; i++)
		m->idx[i].off += shift;
	memcpy(m->idx, w->mem, add * sizeof(m->idx[0]));
	m->nidx = add + k;
	return m;
}

struct adi_event *adi_event_prepend(struct adi_event *ev, const char *pre, size_t n)
{
	size_t old = ev->fields_len, sep = old ? 1 : 0, gap;
	uintptr_t f = (uintptr_t)ev->fields, base = (uintptr_t)(ev + 1);
	struct adi_event *m;
	char *text;

	/* its own fields: somewhere in the room adi_event_new kept */
	if (f < base || f - base > ADI_EVENT_PRE_ROOM) {
		errno = EINVAL;
		return NULL;
	}
	gap = (size_t)(f - base);
	if (n + sep <= gap) {
		m = ev;
		text = (char *)(ev + 1) + gap - n - sep;
	} else {
		if (n > SIZE_MAX - sizeof(*ev) - old - 2) {
			errno = ENOMEM;
			return NULL;
		}
		/* more than the room: the fields move up (the allocation holds
		 * them at gap < n + sep, inside the new size even when it
		 * shrinks) */
		if (!(m = realloc(ev, sizeof(*m) + n + sep + old + 1)))
			return NULL;
		text = (char *)(m + 1);
		memmove(text + n + sep, text + gap, old + 1);
	}
	memcpy(text, pre, n);
	if (sep)
		text[n] = ',';
	m->fields = text;
	m->fields_len = n + sep + old;
	m->nidx = 0; /* its offsets moved (adi_event_prepend_jw keeps up) */
	return m;
}

bool adi_event_index_ok(const struct adi_event *ev)
{
	struct adi_jv_it it = adi_jv_iter_list(adi_event_fields(ev));
	struct adi_jv key, val;
	uint32_t i = 0;

	if (!ev->nidx)
		return true;
	for (; adi_jv_next(&it, &key, &val); i++) {
		const struct adi_evmem *m;
		size_t vend;

		if (i >= ev->nidx)
			return false; /* a member the index lacks */
		m = &ev->idx[i];
		vend = i + 1 < ev->nidx ? ev->idx[i + 1].off - 1 : ev->fields_len;
		if (key.p != ev->fields + m->off || key.n != m->klen + 2 ||
		    val.p != key.p + key.n + 1 || val.p + val.n != ev->fields + vend)
			return false;
	}
	return i == ev->nidx;
}

void adi_event_free(struct adi_event *ev)
{
	free(ev);
}

/* -EINVAL when there is no sink or no event, else what the sink returns. */
int adi_sink_emit(struct adi_sink *s, const struct adi_event *ev)
{
	if (!s || !s->emit || !ev)
		return -EINVAL;
	return s->emit(s, ev);
}

/* A sink without a flush method has nothing buffered: 0. */
int adi_sink_flush(struct adi_sink *s)
{
	if (!s)
		return -EINVAL;
	return s->flush ? s->flush(s) : 0;
}

/* Accepts NULL. A sink without a free method owns no memory of its own
 * (it is embedded by its creator), so nothing is freed then. */
void adi_sink_free(struct adi_sink *s)
{
	if (s && s->free)
		s->free(s);
}

uint64_t adi_sink_lost(struct adi_sink *s)
{
	return s && s->lost ? s->lost(s) : 0;
}
