/* sink.c - the NULL-tolerant wrappers of sink.h around a sink's methods,
 * and the tee that feeds two sinks.
 * The formats themselves live in sink_json.c and sink_text.c.
 */
#include "sink.h"

#include <errno.h>
#include <stdlib.h>

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

struct adi_sink_tee {
	struct adi_sink base; /* first: the methods cast back to this */
	struct adi_sink *a, *b;
};

static int adi_sink_tee_emit(struct adi_sink *s, const struct adi_event *ev)
{
	struct adi_sink_tee *t = (struct adi_sink_tee *)s;
	int ra = adi_sink_emit(t->a, ev), rb = adi_sink_emit(t->b, ev);

	return ra ? ra : rb;
}

static int adi_sink_tee_flush(struct adi_sink *s)
{
	struct adi_sink_tee *t = (struct adi_sink_tee *)s;
	int ra = adi_sink_flush(t->a), rb = adi_sink_flush(t->b);

	return ra ? ra : rb;
}

static uint64_t adi_sink_tee_lost(struct adi_sink *s)
{
	struct adi_sink_tee *t = (struct adi_sink_tee *)s;

	return adi_sink_lost(t->a) + adi_sink_lost(t->b);
}

static void adi_sink_tee_free(struct adi_sink *s)
{
	struct adi_sink_tee *t = (struct adi_sink_tee *)s;

	if (!t)
		return;
	adi_sink_free(t->a);
	adi_sink_free(t->b);
	free(t);
}

struct adi_sink *adi_sink_tee_new(struct adi_sink *a, struct adi_sink *b)
{
	struct adi_sink_tee *t = calloc(1, sizeof(*t));

	if (!t) {
		errno = ENOMEM;
		return NULL;
	}
	t->base.emit = adi_sink_tee_emit;
	t->base.flush = adi_sink_tee_flush;
	t->base.lost = adi_sink_tee_lost;
	t->base.free = adi_sink_tee_free;
	t->a = a;
	t->b = b;
	return &t->base;
}
