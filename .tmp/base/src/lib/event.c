/* event.c - allocation of semantic events (event.h), and the NULL-tolerant
 * wrappers around a sink's methods. An event and its fields text are one
 * allocation; writing the text is the job of the engine and the decoders.
 */
#include "event.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct adi_event *adi_event_new(const char *kind, uint64_t ts_ns, const char *fields,
				size_t n)
{
	struct adi_event *ev;
	char *text;

	if (n > SIZE_MAX - sizeof(*ev) - 1 || !(ev = malloc(sizeof(*ev) + n + 1))) {
		errno = ENOMEM;
		return NULL;
	}
	memset(ev, 0, sizeof(*ev));
	text = (char *)(ev + 1);
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

void adi_event_free(struct adi_event *ev)
{
	free(ev);
}

struct adi_jval *adi_event_fields_tree(const struct adi_event *ev)
{
	size_t n = ev->fields ? ev->fields_len : 0;
	char small[1024], *b = n + 2 <= sizeof(small) ? small : malloc(n + 2);
	struct adi_jval *o;

	if (!b)
		return NULL;
	b[0] = '{';
	if (n)
		memcpy(b + 1, ev->fields, n);
	b[n + 1] = '}';
	o = adi_json_parse(b, n + 2);
	if (b != small)
		free(b);
	return o;
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
