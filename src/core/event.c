/* event.c - allocation of semantic events (event.h).
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
