/* event.c - allocation of semantic events (event.h), and the NULL-tolerant
 * wrappers around a sink's methods.
 * Owns the event and its fields object; filling them in is the job of the
 * engine and the protocol decoders.
 */
#include "event.h"

#include <errno.h>
#include <stdlib.h>

/* kind must be a static string: the event keeps the pointer. The engine
 * sets pid, tid, comm, seq... afterwards; duration starts as null (-1). */
struct adi_event *adi_event_new(const char *kind, uint64_t ts_ns)
{
	struct adi_event *ev = calloc(1, sizeof(*ev));

	if (!ev)
		goto nomem;
	ev->kind = kind;
	ev->ts_ns = ts_ns;
	ev->duration_ns = -1;
	ev->fields = adi_j_obj();
	if (!ev->fields)
		goto nomem;
	return ev;
nomem:
	free(ev);
	errno = ENOMEM;
	return NULL;
}

void adi_event_free(struct adi_event *ev)
{
	if (!ev)
		return;
	adi_j_free(ev->fields);
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
