/* common.c - what the verbs share: opening the output sink, engine options
 * from the command line, and the end-of-trace report of lost output. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "../core/engine.h"
#include "../lib/outfile.h"
#include "../sink/sink.h"
#include "../ui/ui.h"

/* A trace file and the stdio buffer it writes through (outfile.h). */
struct adi_cli_out {
	FILE *f;
	char buf[ADI_OUT_BUF];
};

int adi_cli_close_output(void *fp)
{
	struct adi_cli_out *o = fp;
	int rc;

	if (!o)
		return 0;
	rc = fclose(o->f); /* flushes from o->buf: free it after */
	free(o);
	return rc;
}

/* A name that says JSON Lines: .jsonl, .ndjson, .json. */
static bool json_name(const char *path)
{
	static const char *const ext[] = { ".jsonl", ".ndjson", ".json" };
	size_t n = path ? strlen(path) : 0;

	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		size_t l = strlen(ext[i]);

		if (n > l && !strcmp(path + n - l, ext[i]))
			return true;
	}
	return false;
}

/* --color: auto is a terminal, without $NO_COLOR, whose TERM is not
 * "dumb" (a dumb terminal shows escape codes as they are). */
static int want_color(const struct adi_cli *c, FILE *f)
{
	const char *term = getenv("TERM");

	if (c->color != ADI_COLOR_AUTO)
		return c->color == ADI_COLOR_ALWAYS;
	return isatty(fileno(f)) && !getenv("NO_COLOR") && !(term && !strcmp(term, "dumb"));
}

/* The sink wrapped in the filters, when any were given (the wrapper owns
 * it). 0, or 1 with a message (the sink is then freed). */
static int wrap_filters(const struct adi_cli *c, struct adi_sink **s)
{
	struct adi_sink *w;

	if (!c->filter.active)
		return 0;
	w = adi_filter_sink_new(*s, &c->filter);
	if (!w) {
		fprintf(stderr, "adi-profiler: out of memory\n");
		adi_sink_free(*s);
		*s = NULL;
		return 1;
	}
	*s = w;
	return 0;
}

int adi_cli_open_sink(const struct adi_cli *c, struct adi_sink **s, void **fp)
{
	struct adi_cli_out *out = NULL;
	/* the command of run and attach owns standard output: the timeline
	 * goes to standard error, as strace's does */
	FILE *f = c->live && !c->output ? stderr : stdout;
	enum adi_format fmt = c->format;
	struct adi_sink_opts so = { 0 };

	*fp = NULL;
	if (adi_sink_is_store_path(c->output)) {
		char err[512];

		/* an SQLite store (docs/store.md): --format does not apply */
		*s = adi_sink_sqlite_new(c->output, NULL, err, sizeof(err));
		if (!*s) {
			fprintf(stderr, "adi-profiler: %s\n", err);
			return 1;
		}
		return wrap_filters(c, s);
	}
	/* the format never depends on where the output goes, only on what
	 * was asked: --format, else the file's name */
	if (fmt == ADI_FMT_AUTO)
		fmt = json_name(c->output) ? ADI_FMT_JSON : ADI_FMT_TEXT;
	if (c->output && strcmp(c->output, "-")) {
		out = malloc(sizeof(*out));
		/* a trace file is written in big pieces (the sinks flush at the
		 * end, and on their own schedule while live), uncached past its
		 * first ADI_OUT_CACHED bytes (outfile.h): the JSON sink batches
		 * into the descriptor itself, the text goes through a stream
		 * that writes its buffer so */
		if (!out)
			f = NULL;
		else if (fmt != ADI_FMT_JSON)
			f = adi_fopen_out(c->output, out->buf, sizeof(out->buf), ADI_OUT_CACHED);
		else if ((f = fopen(c->output, "we"))) /* e: not inherited by the command */
			setvbuf(f, out->buf, _IOFBF, sizeof(out->buf));
		if (!f) {
			fprintf(stderr, "adi-profiler: cannot write %s: %s\n", c->output,
				strerror(errno));
			free(out);
			return 1;
		}
		out->f = f;
		*fp = out;
	}
	so.color = fmt == ADI_FMT_TEXT && want_color(c, f);
	so.content_preview = c->content_bytes_set ? (c->content_bytes ? c->content_bytes : 1) : 0;
	so.show_runtime = c->all;
	so.time = c->time;
	adi_cli_focus(c, &so);
	*s = fmt == ADI_FMT_JSON ? adi_sink_json_new(f) : adi_sink_text_new(f, &so);
	if (!*s) {
		fprintf(stderr, "adi-profiler: out of memory\n");
		adi_cli_close_output(*fp);
		*fp = NULL;
		return 1;
	}
	if (wrap_filters(c, s)) {
		adi_cli_close_output(*fp);
		*fp = NULL;
		return 1;
	}
	return 0;
}

void adi_cli_focus(const struct adi_cli *c, struct adi_sink_opts *so)
{
	so->focus_globs = c->focus;
	so->n_focus_globs = c->n_focus;
	so->live = c->live;
	if (c->all)
		so->focus = ADI_TEXT_FOCUS_OFF;
	else if (c->n_focus || c->focus_net || c->focus_above == 0)
		so->focus = ADI_TEXT_FOCUS_ON;
	else
		so->focus = ADI_TEXT_FOCUS_AUTO;
	so->focus_above = c->focus_above > 0 ? (uint64_t)c->focus_above : 0;
}

int adi_cli_ui_focus(const struct adi_cli *c, struct adi_ui *u)
{
	static const char *const modes[] = {
		[ADI_TEXT_FOCUS_AUTO] = "auto", [ADI_TEXT_FOCUS_ON] = "on",
		[ADI_TEXT_FOCUS_OFF] = "off",
	};
	struct adi_sink_opts so = { 0 };

	adi_cli_focus(c, &so);
	if (adi_ui_set_focus(u, modes[so.focus],
			     so.focus_above ? so.focus_above : ADI_TEXT_FOCUS_ABOVE,
			     so.focus_globs, so.n_focus_globs)) {
		fprintf(stderr, "adi-profiler: out of memory\n");
		return 1;
	}
	return 0;
}

void adi_cli_families(const struct adi_cli *c, bool *no_fs, bool *no_net, bool *no_proc)
{
	*no_fs = c->no_fs;
	*no_net = c->no_net;
	*no_proc = c->no_proc;
	adi_filter_kernel(&c->filter, no_fs, no_net, no_proc);
}

void adi_cli_engine_opts(const struct adi_cli *c, struct adi_engine_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->body_bytes = c->body_bytes;
	o->content_bytes = c->content_bytes;
	o->rows_sample = c->rows_sample;
	adi_cli_families(c, &o->no_fs, &o->no_net, &o->no_proc);
	o->show_secrets = c->show_secrets;
	o->hold_ns = (uint64_t)c->hold_ms * 1000000ULL;
}

bool adi_cli_report(const struct adi_cli *c, struct adi_engine *e, struct adi_sink *sink)
{
	struct adi_engine_stats st;
	uint64_t batch_lost = adi_sink_lost(sink);
	bool lost = false;

	adi_engine_stats(e, &st);
	if (batch_lost) {
		/* a batched sink (the store, JSON Lines into a file) says how
		 * many events it lost */
		fprintf(stderr, "adi-profiler: output was lost: %llu events could not be "
			"%s %s\n", (unsigned long long)batch_lost,
			adi_sink_is_store_path(c->output) ? "stored in" : "written to",
			c->output && strcmp(c->output, "-") ? c->output : "standard output");
		lost = true;
	}
	if (st.sink_errors) {
		fprintf(stderr, "adi-profiler: output was lost: %llu writes of events could not be written to %s: %s\n",
			(unsigned long long)st.sink_errors,
			c->output && strcmp(c->output, "-") ? c->output : "standard output",
			strerror(-st.first_sink_error));
		lost = true;
	}
	if (st.save_errors) {
		fprintf(stderr, "adi-profiler: the raw capture %s is incomplete (%s); "
			"saving stopped there\n", c->save_raw, strerror(-st.save_errno));
		lost = true;
	}
	if (st.dropped)
		fprintf(stderr, "adi-profiler: warning: %llu records were lost between "
			"the kernel and adi-profiler (see trace_summary.dropped); a larger "
			"--ringbuf-bytes may help\n", (unsigned long long)st.dropped);
	return lost;
}
