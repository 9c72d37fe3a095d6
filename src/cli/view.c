/* view.c - `adi-profiler view FILE`: a saved JSON Lines trace printed as the
 * text timeline. Lines that are not events are reported with their number
 * and skipped; the exit status then says the file was damaged. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "../core/event.h"
#include "../core/json.h"
#include "../out/sink.h"

static const char *const common_keys[] = {
	"v", "kind", "timestamp", "ts_ns", "duration_ms", "pid", "tid", "comm",
	"cgroup_id", "container",
};

static bool is_common(const char *k)
{
	for (size_t i = 0; i < sizeof(common_keys) / sizeof(common_keys[0]); i++)
		if (!strcmp(k, common_keys[i]))
			return true;
	return false;
}

/* One parsed line -> an event for the text sink; NULL if it is not one. */
static struct adi_event *to_event(struct adi_jval *o, char **kind_out)
{
	struct adi_jval *dur;
	struct adi_event *ev;
	const char *kind = adi_j_get_str(o, "kind", NULL);

	if (adi_j_type(o) != ADI_J_OBJ || !kind)
		return NULL;
	*kind_out = strdup(kind);
	ev = adi_event_new(*kind_out, (uint64_t)adi_j_get_int(o, "ts_ns", 0));
	if (!ev || !*kind_out) {
		adi_event_free(ev);
		return NULL;
	}
	dur = adi_j_get(o, "duration_ms");
	ev->duration_ns = adi_j_is_null(dur) ? -1 : (int64_t)(adi_j_as_double(dur, 0) * 1e6 + 0.5);
	ev->pid = adi_j_get_int(o, "pid", 0);
	ev->tid = adi_j_get_int(o, "tid", 0);
	snprintf(ev->comm, sizeof(ev->comm), "%s", adi_j_get_str(o, "comm", ""));
	ev->cgroup_id = adi_j_get_int(o, "cgroup_id", 0);
	snprintf(ev->container, sizeof(ev->container), "%s",
		 adi_j_get_str(o, "container", ""));
	for (size_t i = 0; i < adi_j_len(o); i++) {
		const char *k = adi_j_key_at(o, i);
		char *txt;
		struct adi_jval *copy;

		if (is_common(k))
			continue;
		/* deep copy through text: the tree API has no clone */
		txt = adi_j_to_string(adi_j_at(o, i));
		copy = txt ? adi_json_parse(txt, strlen(txt)) : NULL;
		free(txt);
		adi_j_set(ev->fields, k, copy);
	}
	return ev;
}

int adi_verb_view(struct adi_cli *c)
{
	FILE *in = strcmp(c->file, "-") ? fopen(c->file, "r") : stdin;
	struct adi_sink *sink = NULL;
	void *outf = NULL;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned long lineno = 0, bad = 0;
	int rc = 0;
	struct adi_cli tc = *c;

	if (!in) {
		fprintf(stderr, "adi-profiler: cannot read %s: %s\n", c->file, strerror(errno));
		return 1;
	}
	if (tc.format == ADI_FMT_AUTO)
		tc.format = ADI_FMT_TEXT;
	if (adi_cli_open_sink(&tc, &sink, &outf)) {
		if (in != stdin)
			fclose(in);
		return 1;
	}
	while ((n = getline(&line, &cap, in)) >= 0) {
		struct adi_jval *o;
		struct adi_event *ev = NULL;
		char *kind = NULL;

		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = 0;
		if (n == 0)
			continue;
		o = adi_json_parse(line, n);
		if (o)
			ev = to_event(o, &kind);
		if (!ev) {
			if (bad++ < 10)
				fprintf(stderr, "adi-profiler: %s:%lu: not an event line, skipped\n",
					c->file, lineno);
		} else if (adi_sink_emit(sink, ev)) {
			rc = 1;
		}
		adi_event_free(ev);
		free(kind);
		adi_j_free(o);
	}
	if (bad) {
		fprintf(stderr, "adi-profiler: %lu lines of %s were not events\n", bad, c->file);
		rc = 1;
	}
	if (adi_sink_flush(sink))
		rc = 1;
	free(line);
	adi_sink_free(sink);
	if (in != stdin)
		fclose(in);
	if (outf && fclose(outf))
		rc = 1;
	return rc;
}
