/* ui.c - `adi-profiler ui TRACE`: a saved trace (JSON Lines or an SQLite
 * store), through the filters, served to the web page (docs/ui.md) until
 * Ctrl-C or SIGTERM. The URL, with its token, is the one line on standard
 * output. A trace that cannot be read (empty, not a trace, damaged) is
 * refused, not served. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "session.h"
#include "../sink/sink.h"
#include "../sink/trace_read.h"
#include "../ui/ui.h"

static bool ui_go(void *arg)
{
	int ints, terms;

	(void)arg;
	adi_session_signals(&ints, &terms);
	return !ints && !terms;
}

int adi_verb_ui(struct adi_cli *c)
{
	struct adi_trace_in *in;
	struct adi_ui *u;
	const struct adi_event *ev;
	const char *base = strrchr(c->file, '/');
	unsigned long bad = 0, read = 0;
	uint64_t held, refused;
	char *line = NULL, err[512];
	size_t len = 0, cap = 0;
	int got, rc = 0, failed = 0;

	in = adi_trace_in_open(c->file, err, sizeof(err));
	if (!in) {
		fprintf(stderr, "adi-profiler: %s\n", err);
		return 1;
	}
	u = adi_ui_new(false, base ? base + 1 : c->file, err, sizeof(err));
	if (!u) {
		fprintf(stderr, "adi-profiler: %s\n", err);
		adi_trace_in_close(in);
		return 1;
	}
	if (adi_cli_ui_focus(c, u)) {
		adi_ui_free(u);
		adi_trace_in_close(in);
		return 1;
	}
	while ((got = adi_trace_in_next(in, &ev)) != 0) {
		if (got == -EINVAL) {
			if (bad++ < 10)
				fprintf(stderr, "adi-profiler: %s:%lu: not an event, skipped\n",
					c->file, adi_trace_in_where(in));
			continue;
		}
		if (got < 0) {
			failed = got;
			break;
		}
		read++;
		if (!adi_filter_match(&c->filter, ev))
			continue;
		if (adi_event_json_line(ev, NULL, &line, &len, &cap)) {
			fprintf(stderr, "adi-profiler: out of memory\n");
			rc = 1;
			break;
		}
		adi_ui_add(u, line, len - 1);
		adi_ui_note(u, ev);
	}
	free(line);
	adi_trace_in_close(in);
	adi_ui_end(u);
	adi_ui_counts(u, &held, &refused);
	if (bad) {
		fprintf(stderr, "adi-profiler: %lu entries of %s were not events\n", bad, c->file);
		rc = 1;
	}
	/* what cannot be read is not served: a page of a trace that stops
	 * short without saying so would mislead */
	if (failed || !read) {
		if (failed == -EBADMSG)
			fprintf(stderr, "adi-profiler: %s is damaged after %lu events; not "
				"serving it (view shows what can be read)\n", c->file, read);
		else if (failed)
			fprintf(stderr, "adi-profiler: reading %s failed: %s; not serving it\n",
				c->file, strerror(-failed));
		else
			fprintf(stderr, "adi-profiler: %s holds no event: not a trace\n", c->file);
		adi_ui_free(u);
		return 1;
	}
	if (refused)
		fprintf(stderr, "adi-profiler: %llu events left out (over the UI's memory "
			"bound of %llu MiB)\n", (unsigned long long)refused,
			ADI_UI_MAX_BYTES >> 20);
	fprintf(stderr, "adi-profiler: serving %llu events of %s; Ctrl-C to stop\n",
		(unsigned long long)held, c->file);
	printf("%s\n", adi_ui_url(u));
	fflush(stdout);
	adi_session_catch_signals();
	got = adi_ui_serve(u, ui_go, NULL);
	if (got) {
		fprintf(stderr, "adi-profiler: the UI server failed: %s\n", strerror(-got));
		rc = 1;
	}
	adi_ui_free(u);
	return rc;
}
