/* session_ui.c - `run --ui` / `attach --ui`: the trace shown live in the
 * web UI (docs/ui.md). The page's server runs on a thread of its own; the
 * engine's sink becomes a tee to the normal output and to the UI, so -o
 * is written exactly as without --ui. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include "session.h"
#include "../sink/sink.h"
#include "../ui/ui.h"

int adi_session_ui_open(struct adi_session *s)
{
	struct adi_sink *us, *tee;
	char err[256], title[128];

	if (s->c->cmd)
		snprintf(title, sizeof(title), "run %s", s->c->cmd[0]);
	else if (s->c->pid > 0)
		snprintf(title, sizeof(title), "attach --pid %ld", s->c->pid);
	else
		snprintf(title, sizeof(title), "attach --container %s",
			 s->c->container ? s->c->container : "?");
	s->ui = adi_ui_new(true, title, err, sizeof(err));
	if (!s->ui) {
		fprintf(stderr, "adi-profiler: %s\n", err);
		return 1;
	}
	us = adi_ui_sink_new(s->ui);
	tee = us ? adi_sink_tee_new(s->sink, us) : NULL;
	if (!tee) {
		adi_sink_free(us);
		fprintf(stderr, "adi-profiler: out of memory\n");
		return 1;
	}
	s->sink = tee;
	if (adi_ui_start(s->ui)) {
		fprintf(stderr, "adi-profiler: cannot start the UI: %s\n", strerror(errno));
		return 1;
	}
	fprintf(stderr, "adi-profiler: UI at %s\n", adi_ui_url(s->ui));
	return 0;
}

void adi_session_ui_linger(struct adi_session *s)
{
	uint64_t held, refused;
	int ints0, terms0, ints, terms;

	adi_ui_counts(s->ui, &held, &refused);
	if (refused)
		fprintf(stderr, "adi-profiler: the UI kept %llu events and left out %llu "
			"(its memory bound); the -o output has them all\n",
			(unsigned long long)held, (unsigned long long)refused);
	adi_session_signals(&ints0, &terms0);
	if (terms0)
		return;
	fprintf(stderr, "adi-profiler: trace complete; the UI stays at %s until Ctrl-C\n",
		adi_ui_url(s->ui));
	do {
		poll(NULL, 0, 200);
		adi_session_signals(&ints, &terms);
	} while (ints == ints0 && !terms);
}
