/* diff.c - `adi-profiler diff A B` (docs/insight.md): two saved traces of
 * one program (before, after) read into insight models and compared; the
 * exit status says whether a change of a kind --fail-on names was found,
 * so a CI job fails on "this change added 40 queries per request". */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "insight_cli.h"

enum { O_FAIL_ON = 300, O_COUNT_PCT, O_TIME_PCT, O_MIN_MS };

static const char diff_help[] =
	"usage: adi-profiler diff A B [-o OUT] [--format text|json] [--fail-on LIST]\n"
	"                             [--count-threshold PCT] [--time-threshold PCT]\n"
	"                             [--min-ms MS] [--n1-min N]\n"
	"Compare two traces of one program (A before, B after a change): operations by\n"
	"fingerprint added, removed, run more often (in all, or per request of an endpoint),\n"
	"slower at p95; new errors, new N+1 findings, new services, tables and programs.\n"
	"  -o, --output OUT         where it goes (- is standard output)\n"
	"  --format text|json       for people, or one JSON object (docs/insight.md) (text)\n"
	"  --fail-on LIST           the changes that make the exit status 1: any of added,\n"
	"                           removed, count, slower, errors, n+1, deps; all; none\n"
	"                           (added,count,errors,n+1,deps)\n"
	"  --count-threshold PCT    a count change beyond this is one (10)\n"
	"  --time-threshold PCT     a p95 change beyond this is one (50) ...\n"
	"  --min-ms MS              ... and beyond this many milliseconds (1)\n"
	"  --n1-min N               executions under one request for an N+1 finding (5)\n"
	"exit status: 0 nothing --fail-on names changed, 1 something did, 2 a usage error\n"
	"or a trace that could not be read whole\n";

static int pct(const char *arg, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || *end || !*arg || !(v >= 0) || v > max) {
		fprintf(stderr, "adi-profiler: bad number: %s\n", arg);
		return 2;
	}
	*out = v;
	return -1;
}

int adi_verb_diff(struct adi_cli *c)
{
	static const struct option lo[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, ADI_INS_O_FORMAT },
		{ "n1-min", required_argument, NULL, ADI_INS_O_N1 },
		{ "fail-on", required_argument, NULL, O_FAIL_ON },
		{ "count-threshold", required_argument, NULL, O_COUNT_PCT },
		{ "time-threshold", required_argument, NULL, O_TIME_PCT },
		{ "min-ms", required_argument, NULL, O_MIN_MS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct adi_diff_opts d = {
		.fail_on = ADI_DIFF_DEFAULT_FAIL, .count_pct = 10, .time_pct = 50, .min_ms = 1,
	};
	struct adi_ins_args a = { 0 };
	struct adi_insight *ma = NULL, *mb = NULL;
	const char *bad;
	size_t badlen;
	int argc = 0, opt, rc;
	FILE *f;

	while (c->args[argc])
		argc++;
	optind = 1;
	while ((opt = getopt_long(argc, c->args, "o:h", lo, NULL)) != -1) {
		rc = -1;
		switch (opt) {
		case 'h':
			fputs(diff_help, stdout);
			return 0;
		case '?':
			fputs("run 'adi-profiler diff --help' for usage\n", stderr);
			return 2;
		case O_FAIL_ON:
			if (adi_diff_parse_fail_on(optarg, &d.fail_on, &bad, &badlen)) {
				fprintf(stderr, "adi-profiler: --fail-on does not know \"%.*s\" "
					"(added, removed, count, slower, errors, n+1, deps, all, "
					"none)\n", (int)badlen, bad);
				return 2;
			}
			break;
		case O_COUNT_PCT:
			rc = pct(optarg, 1e6, &d.count_pct);
			break;
		case O_TIME_PCT:
			rc = pct(optarg, 1e6, &d.time_pct);
			break;
		case O_MIN_MS:
			rc = pct(optarg, 1e9, &d.min_ms);
			break;
		default:
			rc = adi_ins_opt(opt, optarg, &a);
			break;
		}
		if (rc >= 0)
			return rc;
	}
	if (argc - optind != 2) {
		fputs("adi-profiler: diff needs two traces, A (before) and B (after)\n", stderr);
		return 2;
	}
	ma = adi_insight_new(&a.o);
	mb = adi_insight_new(&a.o);
	if (!ma || !mb) {
		fprintf(stderr, "adi-profiler: out of memory\n");
		rc = 2;
		goto out;
	}
	/* an unreadable trace must not pass for "no change" */
	if (adi_ins_load(c->args[optind], ma) || adi_ins_load(c->args[optind + 1], mb)) {
		rc = 2;
		goto out;
	}
	f = adi_ins_output(a.output);
	if (!f) {
		rc = 2;
		goto out;
	}
	rc = adi_insight_diff(ma, mb, c->args[optind], c->args[optind + 1], &d, f, a.json);
	if (rc < 0)
		rc = 2;
	if (adi_ins_close_output(f, a.output))
		rc = 2;
out:
	adi_insight_free(ma);
	adi_insight_free(mb);
	return rc;
}
