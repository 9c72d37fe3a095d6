/* sink.c - the tee that feeds two sinks.
 * The formats themselves live in sink_json.c and sink_text.c.
 */
#include "sink.h"

#include <errno.h>
#include <stdlib.h>

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
