/* sink.c - the NULL-tolerant wrappers of sink.h around a sink's methods.
 * The formats themselves live in sink_json.c and sink_text.c.
 */
#include "sink.h"

#include <errno.h>

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
