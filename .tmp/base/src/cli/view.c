/* view.c - `adi-profiler view FILE`: a saved trace (JSON Lines or an SQLite
 * store) printed as the text timeline. Lines or rows that are not events
 * are reported with their number and skipped; the exit status then says
 * the file was damaged. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "../sink/sink.h"
#include "../sink/trace_read.h"

int adi_verb_view(struct adi_cli *c)
{
	struct adi_trace_in *in;
	struct adi_sink *sink = NULL;
	const struct adi_event *ev;
	void *outf = NULL;
	unsigned long bad = 0;
	char err[512];
	int rc = 0, got;
	struct adi_cli tc = *c;

	in = adi_trace_in_open(c->file, err, sizeof(err));
	if (!in) {
		fprintf(stderr, "adi-profiler: %s\n", err);
		return 1;
	}
	if (tc.format == ADI_FMT_AUTO)
		tc.format = ADI_FMT_TEXT;
	if (adi_cli_open_sink(&tc, &sink, &outf)) {
		adi_trace_in_close(in);
		return 1;
	}
	while ((got = adi_trace_in_next(in, &ev)) != 0) {
		if (got == -EINVAL) {
			if (bad++ < 10)
				fprintf(stderr, "adi-profiler: %s:%lu: not an event %s, skipped\n",
					c->file, adi_trace_in_where(in),
					adi_trace_in_is_store(in) ? "row" : "line");
			continue;
		}
		if (got < 0) {
			fprintf(stderr, "adi-profiler: reading %s failed: %s\n", c->file,
				strerror(-got));
			rc = 1;
			break;
		}
		if (adi_sink_emit(sink, ev))
			rc = 1;
	}
	if (bad) {
		fprintf(stderr, "adi-profiler: %lu %s of %s were not events\n", bad,
			adi_trace_in_is_store(in) ? "rows" : "lines", c->file);
		rc = 1;
	}
	if (adi_sink_flush(sink))
		rc = 1;
	adi_sink_free(sink);
	adi_trace_in_close(in);
	if (adi_cli_close_output(outf))
		rc = 1;
	return rc;
}
