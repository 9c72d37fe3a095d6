/* report.c - `adi-profiler report FILE` and `adi-profiler deps FILE`
 * (docs/insight.md): a saved trace (JSON Lines or a store) read once into
 * the insight model (src/insight/) and written as text or JSON. Also what
 * diff.c shares with them: reading a trace into a model, the output file,
 * the options all three take. These verbs parse their own arguments
 * (c->args): their options are theirs alone.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "insight_cli.h"
#include "../lib/jw.h"
#include "../sink/proctree.h"
#include "../sink/trace_read.h"

int adi_ins_load(const char *path, struct adi_insight *in)
{
	return adi_ins_load_tree(path, in, NULL);
}

int adi_ins_load_tree(const char *path, struct adi_insight *in, struct adi_proctree *tree)
{
	struct adi_trace_in *r;
	const struct adi_event *ev;
	unsigned long bad = 0;
	char err[512];
	int got, rc = 0;

	r = adi_trace_in_open(path, err, sizeof(err));
	if (!r) {
		fprintf(stderr, "adi-profiler: %s\n", err);
		return -1;
	}
	while ((got = adi_trace_in_next(r, &ev)) != 0) {
		if (got == -EINVAL) {
			if (bad++ < 10)
				fprintf(stderr, "adi-profiler: %s:%lu: not an event %s, skipped\n",
					path, adi_trace_in_where(r),
					adi_trace_in_is_store(r) ? "row" : "line");
			continue;
		}
		if (got < 0) {
			fprintf(stderr, "adi-profiler: reading %s failed: %s\n", path,
				strerror(-got));
			rc = 1;
			break;
		}
		/* a process past the table's cap is counted with the others;
		 * NULL here is not a failure */
		if (tree)
			(void)adi_proctree_add(tree, ev);
		if (adi_insight_add(in, ev) == -ENOMEM && !rc)
			fprintf(stderr, "adi-profiler: %s: out of memory, the results are "
				"incomplete\n", path);
	}
	if (bad) {
		fprintf(stderr, "adi-profiler: %lu %s of %s were not events\n", bad,
			adi_trace_in_is_store(r) ? "rows" : "lines", path);
		rc = 1;
	}
	adi_trace_in_close(r);
	adi_insight_finish(in);
	return rc;
}

FILE *adi_ins_output(const char *path)
{
	FILE *f;

	if (!path || !strcmp(path, "-"))
		return stdout;
	f = fopen(path, "we");
	if (!f)
		fprintf(stderr, "adi-profiler: cannot write %s: %s\n", path, strerror(errno));
	return f;
}

int adi_ins_close_output(FILE *f, const char *path)
{
	int rc = 0;

	if (!f)
		return 0;
	if (fflush(f) || ferror(f))
		rc = -1;
	if (f != stdout && fclose(f))
		rc = -1;
	if (rc)
		fprintf(stderr, "adi-profiler: writing %s failed: %s\n", path ? path : "-",
			strerror(errno ? errno : EIO));
	return rc;
}

int adi_ins_opt(int opt, const char *arg, struct adi_ins_args *a)
{
	char *end;
	unsigned long v;

	switch (opt) {
	case 'o':
		a->output = arg;
		return -1;
	case ADI_INS_O_FORMAT:
		if (!strcmp(arg, "text"))
			a->json = false;
		else if (!strcmp(arg, "json"))
			a->json = true;
		else
			break;
		return -1;
	case ADI_INS_O_N1:
		errno = 0;
		v = strtoul(arg, &end, 10);
		if (errno || *end || !*arg || v < 2 || v > 1000000)
			break;
		a->o.n1_min = (unsigned)v;
		return -1;
	case ADI_INS_O_TOP:
		errno = 0;
		v = strtoul(arg, &end, 10);
		if (errno || *end || !*arg || v < 1 || v > 10000)
			break;
		a->o.top = (unsigned)v;
		return -1;
	}
	fprintf(stderr, "adi-profiler: bad value for an option: %s (see --help)\n",
		arg ? arg : "");
	return 2;
}

/* The process tree at the end of the report (docs/insight.md): the same
 * lines as the end of the text timeline, or a "process_tree" member. */
static int report_tree_text(void *ctx, FILE *f)
{
	fputc('\n', f);
	return adi_proctree_write_text(ctx, f, 0);
}

static void report_tree_json(void *ctx, struct adi_jw *w)
{
	adi_jw_key(w, "process_tree");
	adi_proctree_write_json(ctx, w);
}

enum { REPORT_O_FOCUS = 300 };
#define REPORT_FOCUS_MAX 32

static const char report_help[] =
	"usage: adi-profiler report FILE [-o OUT] [--format text|json] [--n1-min N] [--top N]\n"
	"                           [--focus GLOB]...\n"
	"       adi-profiler deps FILE [-o OUT] [--format text|json]\n"
	"report: endpoints (route templates), queries (fingerprints), N+1 and repeated work,\n"
	"errors, the slowest operations, the time per process and the process tree of a\n"
	"saved trace.\n"
	"deps: the services, databases, tables, files and programs it needed.\n"
	"  -o, --output OUT     where it goes (- is standard output)\n"
	"  --format text|json   for people, or one JSON object (docs/insight.md) (text)\n"
	"  --n1-min N           report: executions of one operation under one request\n"
	"                       that make an N+1 or repeat finding (5)\n"
	"  --top N              report: slowest operations listed (10)\n"
	"  --focus GLOB         report: processes whose command matches (and their\n"
	"                       children) are marked focus in the process tree; repeatable\n"
	"exit status: 0, 1 when the trace could not be read whole, 2 for a usage error\n";

static int report_or_deps(struct adi_cli *c, bool deps)
{
	static const struct option lo[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, ADI_INS_O_FORMAT },
		{ "n1-min", required_argument, NULL, ADI_INS_O_N1 },
		{ "top", required_argument, NULL, ADI_INS_O_TOP },
		{ "focus", required_argument, NULL, REPORT_O_FOCUS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct adi_ins_args a = { 0 };
	const char *globs[REPORT_FOCUS_MAX];
	unsigned nglobs = 0;
	struct adi_proctree *tree = NULL;
	struct adi_insight *in;
	int argc = 0, opt, rc;
	FILE *f;

	while (c->args[argc])
		argc++;
	optind = 1;
	while ((opt = getopt_long(argc, c->args, "o:h", lo, NULL)) != -1) {
		if (opt == 'h') {
			fputs(report_help, stdout);
			return 0;
		}
		if (opt == '?')
			return fputs("run 'adi-profiler report --help' for usage\n", stderr), 2;
		if (opt == REPORT_O_FOCUS) {
			if (deps) {
				fputs("adi-profiler: --focus is report's, not deps'\n", stderr);
				return 2;
			}
			if (!*optarg || nglobs == REPORT_FOCUS_MAX) {
				fprintf(stderr, "adi-profiler: --focus needs a GLOB (at most %d)\n",
					REPORT_FOCUS_MAX);
				return 2;
			}
			globs[nglobs++] = optarg;
			continue;
		}
		if ((rc = adi_ins_opt(opt, optarg, &a)) >= 0)
			return rc;
	}
	if (argc - optind != 1) {
		fprintf(stderr, "adi-profiler: %s needs one FILE (a trace: JSON Lines or a store)\n",
			deps ? "deps" : "report");
		return 2;
	}
	if (!deps) {
		tree = adi_proctree_new(globs, nglobs);
		a.o.more_text = report_tree_text;
		a.o.more_json = report_tree_json;
		a.o.more_ctx = tree;
	}
	in = adi_insight_new(&a.o);
	if (!in || (!deps && !tree)) {
		fprintf(stderr, "adi-profiler: out of memory\n");
		adi_insight_free(in);
		adi_proctree_free(tree);
		return 1;
	}
	rc = adi_ins_load_tree(c->args[optind], in, tree);
	f = rc < 0 ? NULL : adi_ins_output(a.output); /* nothing read: no report */
	if (!f) {
		adi_insight_free(in);
		adi_proctree_free(tree);
		return 1;
	}
	if (deps ? adi_insight_deps(in, f, a.json) : adi_insight_report(in, f, a.json))
		rc = 1;
	if (adi_ins_close_output(f, a.output))
		rc = 1;
	adi_insight_free(in);
	adi_proctree_free(tree);
	return rc;
}

int adi_verb_report(struct adi_cli *c)
{
	return report_or_deps(c, false);
}

int adi_verb_deps(struct adi_cli *c)
{
	return report_or_deps(c, true);
}
