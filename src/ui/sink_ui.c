/* sink_ui.c - the sink that hands every event to the UI server (ui.h):
 * its JSON Lines text, kept for the page and pushed to open streams. The
 * trace_summary, the last event, marks the trace complete. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ui.h"
#include "../sink/sink.h"
#include "../lib/util.h"

struct adi_sink_ui {
	struct adi_sink base; /* first: the sink methods cast back to this */
	struct adi_ui *u;
	char *buf;            /* the line being built, reused */
	size_t len, cap;
	struct adi_json_memo memo;
};

/* The memory bound is the UI's own business (it counts and shows what it
 * did not keep): only a failure to build the line is an output error. */
static int adi_sink_ui_emit(struct adi_sink *s, const struct adi_event *ev)
{
	struct adi_sink_ui *us = (struct adi_sink_ui *)s;
	int err = adi_event_json_line(ev, &us->memo, &us->buf, &us->len, &us->cap);

	if (err)
		return err;
	adi_ui_add(us->u, us->buf, us->len - 1); /* without the '\n' */
	adi_ui_note(us->u, ev);
	if (ev->kind && !strcmp(ev->kind, "trace_summary"))
		adi_ui_end(us->u);
	return 0;
}

static void adi_sink_ui_free(struct adi_sink *s)
{
	if (s)
		free(((struct adi_sink_ui *)s)->buf);
	free(s);
}

struct adi_sink *adi_ui_sink_new(struct adi_ui *u)
{
	struct adi_sink_ui *us = calloc(1, sizeof(*us));

	if (!us) {
		errno = ENOMEM;
		return NULL;
	}
	us->base.emit = adi_sink_ui_emit;
	us->base.free = adi_sink_ui_free;
	us->u = u;
	return &us->base;
}
