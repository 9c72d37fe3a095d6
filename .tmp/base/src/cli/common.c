/* common.c - what the verbs share: opening the output sink, engine options
 * from the command line, and the end-of-trace report of lost output. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "../core/engine.h"
#include "../sink/sink.h"

/* A trace file and the stdio buffer it writes through: glibc ignores the
 * size given to setvbuf without a buffer (it uses 4 KiB), and 4 KiB writes
 * at unaligned offsets made ext4 zero a partial block on every write (17 %
 * of a busy trace's CPU). A 1 MiB buffer of our own is written whole, at
 * offsets that are multiples of 1 MiB. */
#define ADI_OUT_BUF (1u << 20)
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

int adi_cli_open_sink(const struct adi_cli *c, struct adi_sink **s, void **fp)
{
	struct adi_cli_out *out = NULL;
	FILE *f = stdout;
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
		return 0;
	}
	if (c->output && strcmp(c->output, "-")) {
		out = malloc(sizeof(*out));
		f = out ? fopen(c->output, "we") : NULL; /* e: not inherited by the command */
		if (!f) {
			fprintf(stderr, "adi-profiler: cannot write %s: %s\n", c->output,
				strerror(errno));
			free(out);
			return 1;
		}
		/* a trace file is written in big pieces (the sinks flush at
		 * the end, and on their own schedule while live) */
		setvbuf(f, out->buf, _IOFBF, sizeof(out->buf));
		out->f = f;
		*fp = out;
	}
	if (fmt == ADI_FMT_AUTO)
		fmt = isatty(fileno(f)) ? ADI_FMT_TEXT : ADI_FMT_JSON;
	so.color = fmt == ADI_FMT_TEXT && isatty(fileno(f)) && !getenv("NO_COLOR");
	so.content_preview = 64;
	*s = fmt == ADI_FMT_JSON ? adi_sink_json_new(f) : adi_sink_text_new(f, &so);
	if (!*s) {
		fprintf(stderr, "adi-profiler: out of memory\n");
		adi_cli_close_output(*fp);
		*fp = NULL;
		return 1;
	}
	return 0;
}

void adi_cli_engine_opts(const struct adi_cli *c, struct adi_engine_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->body_bytes = c->body_bytes;
	o->content_bytes = c->content_bytes;
	o->rows_sample = c->rows_sample;
	o->no_net = c->no_net;
	o->no_fs = c->no_fs;
	o->no_proc = c->no_proc;
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
		/* a batched sink (the store) says how many events it lost */
		fprintf(stderr, "adi-profiler: output was lost: %llu events could not be "
			"stored in %s\n", (unsigned long long)batch_lost, c->output);
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
