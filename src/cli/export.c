/* export.c - traces handed to other tools (docs/export.md):
 * `adi-profiler export otlp|perfetto FILE` (a saved trace, JSON Lines or a
 * store, or a raw capture run through the engine) and `export pcapng FILE`
 * (a raw capture: packets need payload and sequence numbers); and for run /
 * attach, --otlp URL (a sink beside -o) and --pcapng FILE (the raw stream
 * the engine saves, parsed back as it is written). The formats live in
 * src/sink/ (export.h); this file only wires them.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* fopencookie */
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "session.h"
#include "../core/engine.h"
#include "../sink/export.h"
#include "../sink/sink.h"
#include "../sink/trace_read.h"

/* ---- OTLP ---- */

static void otlp_opts(const struct adi_cli *c, struct adi_otlp_opts *o, bool sync)
{
	memset(o, 0, sizeof(*o));
	o->url = c->otlp_url;
	o->encoding = c->otlp_encoding ? ADI_OTLP_JSON : ADI_OTLP_PROTOBUF;
	for (unsigned i = 0; i < c->n_otlp_headers && i < ADI_OTLP_MAX_HEADERS; i++)
		o->headers[o->nheaders++] = c->otlp_headers[i];
	o->sync = sync;
	if (sync) {
		/* a saved trace may wait for the receiver: few requests queued,
		 * and time at the end for the retries of the last ones */
		o->queue_max = 8;
		o->drain_ms = 60000;
	}
}

/* After close: one line on stderr when something was not delivered
 * (always with verbose). Returns true when items were lost. */
static bool otlp_report(struct adi_sink *s, const char *url, bool verbose)
{
	struct adi_otlp_stats st;
	uint64_t lost;

	adi_sink_otlp_stats(s, &st);
	lost = st.lost_queue + st.lost_failed;
	if (verbose)
		fprintf(stderr, "adi-profiler: OTLP: %llu spans and %llu log records, %llu "
			"delivered to %s in %llu requests (%llu retries)\n",
			(unsigned long long)st.spans, (unsigned long long)st.logs,
			(unsigned long long)st.sent, url, (unsigned long long)st.requests,
			(unsigned long long)st.retries);
	if (lost)
		fprintf(stderr, "adi-profiler: OTLP output was lost: %llu of %llu spans and log "
			"records were not delivered to %s (%llu: the send queue was full; %llu: "
			"%s)\n", (unsigned long long)lost,
			(unsigned long long)(st.spans + st.logs), url,
			(unsigned long long)st.lost_queue, (unsigned long long)st.lost_failed,
			st.last_error[0] ? st.last_error : "refused or failed");
	return lost != 0;
}

/* ---- live: --otlp and --pcapng on run / attach ---- */

struct adi_session_export {
	struct adi_sink *otlp;      /* borrowed: the session's tee owns it */
	struct adi_pcapng *pcap;
	FILE *pcap_f;
	FILE *save_real;            /* --save-raw's own file, under the tap */
	uint8_t *buf;               /* the raw stream not parsed yet */
	size_t len, cap;
	bool magic_seen, corrupt;
};

/* The raw records in x->buf (raw-format.md) to the pcapng writer. */
static void tap_parse(struct adi_session_export *x)
{
	size_t off = 0, fx = sizeof(struct adi_raw_fixed);

	if (!x->magic_seen) {
		if (x->len < 8)
			return;
		off = 8;
		x->magic_seen = true;
	}
	while (!x->corrupt && x->len - off >= 4) {
		const uint8_t *p = x->buf + off;
		uint32_t rl = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
			      (uint32_t)p[3] << 24;
		struct adi_raw_event ev;

		if (x->len - off - 4 < rl)
			break;
		if (rl < fx) {
			x->corrupt = true;
			break;
		}
		memcpy(&ev.f, p + 4, fx);
		if ((uint64_t)fx + ev.f.data_len + ev.f.path_len + ev.f.path2_len != rl) {
			x->corrupt = true;
			break;
		}
		ev.data = p + 4 + fx;
		ev.path = (const char *)ev.data + ev.f.data_len;
		ev.path2 = ev.path + ev.f.path_len;
		adi_pcapng_feed(x->pcap, &ev);
		off += 4 + rl;
	}
	memmove(x->buf, x->buf + off, x->len - off);
	x->len -= off;
}

/* The engine's --save-raw stream goes through here: to the real file
 * (when --save-raw was given) and into the pcapng writer. */
static ssize_t tap_write(void *cookie, const char *b, size_t n)
{
	struct adi_session_export *x = cookie;

	if (x->save_real && fwrite(b, 1, n, x->save_real) != n)
		return -1;
	if (x->len + n > x->cap) {
		size_t nc = x->cap ? x->cap : 1 << 16;
		uint8_t *nb;

		while (nc < x->len + n)
			nc *= 2;
		nb = realloc(x->buf, nc);
		if (!nb) {
			errno = ENOMEM;
			return -1;
		}
		x->buf = nb;
		x->cap = nc;
	}
	memcpy(x->buf + x->len, b, n);
	x->len += n;
	tap_parse(x);
	return (ssize_t)n;
}

static int tap_close(void *cookie)
{
	struct adi_session_export *x = cookie;
	int rc = x->save_real ? fclose(x->save_real) : 0;

	x->save_real = NULL;
	return rc;
}

int adi_session_export_open(struct adi_session *s)
{
	struct adi_cli *c = s->c;
	struct adi_session_export *x;
	char err[256];

	if (!c->otlp_url && !c->pcapng)
		return 0;
	x = calloc(1, sizeof(*x));
	if (!x) {
		fprintf(stderr, "adi-profiler: out of memory\n");
		return 1;
	}
	s->ex = x;
	if (c->otlp_url) {
		struct adi_otlp_opts o;
		struct adi_sink *tee;

		otlp_opts(c, &o, false);
		x->otlp = adi_sink_otlp_new(&o, err, sizeof(err));
		if (!x->otlp) {
			fprintf(stderr, "adi-profiler: %s\n", err);
			return 1;
		}
		tee = adi_sink_tee_new(s->sink, x->otlp);
		if (!tee) {
			adi_sink_free(x->otlp);
			x->otlp = NULL;
			fprintf(stderr, "adi-profiler: out of memory\n");
			return 1;
		}
		s->sink = tee;
	}
	if (c->pcapng) {
		static const cookie_io_functions_t io = { .write = tap_write, .close = tap_close };
		FILE *tap;

		x->pcap_f = fopen(c->pcapng, "we");
		x->pcap = x->pcap_f ? adi_pcapng_new(x->pcap_f) : NULL;
		if (!x->pcap) {
			fprintf(stderr, "adi-profiler: cannot write %s: %s\n", c->pcapng,
				strerror(errno));
			return 1;
		}
		/* the engine saves what it is fed (--save-raw) to one FILE:
		 * a stream of ours in its place tees it to the real file and
		 * into the pcapng writer */
		tap = fopencookie(x, "w", io);
		if (tap && s->save) {
			/* --save-raw's file already has its header */
			x->save_real = s->save;
			x->magic_seen = true;
		} else if (tap && adi_raw_write_header(tap)) {
			fclose(tap);
			tap = NULL;
		}
		if (!tap) {
			fprintf(stderr, "adi-profiler: out of memory\n");
			return 1;
		}
		s->save = tap;
	}
	return 0;
}

bool adi_session_export_finish(struct adi_session *s)
{
	struct adi_session_export *x = s->ex;
	struct adi_pcapng_stats st;
	bool lost = false;

	if (!x)
		return false;
	if (x->otlp) {
		adi_sink_otlp_close(x->otlp);
		lost |= otlp_report(x->otlp, s->c->otlp_url, false);
	}
	if (x->pcap) {
		fflush(s->save); /* what stdio holds reaches the parser */
		adi_pcapng_stats(x->pcap, &st);
		if (x->corrupt || st.err)
			fprintf(stderr, "adi-profiler: %s is incomplete: %s\n", s->c->pcapng,
				x->corrupt ? "the raw stream could not be parsed" : strerror(-st.err));
		if (st.unix_skipped)
			fprintf(stderr, "adi-profiler: %s: %llu unix-socket transfers left out "
				"(pcapng holds TCP and UDP)\n", s->c->pcapng,
				(unsigned long long)st.unix_skipped);
		lost |= x->corrupt || st.err;
	}
	return lost;
}

void adi_session_export_free(struct adi_session *s)
{
	struct adi_session_export *x = s->ex;

	if (!x)
		return;
	adi_pcapng_free(x->pcap);
	if (x->pcap_f && fclose(x->pcap_f))
		fprintf(stderr, "adi-profiler: %s: %s\n", s->c->pcapng, strerror(errno));
	if (x->save_real)
		fclose(x->save_real);
	free(x->buf);
	free(x);
	s->ex = NULL;
}

/* ---- export FORMAT FILE ---- */

static bool is_raw_capture(const char *path)
{
	char m[8];
	FILE *f = fopen(path, "re");
	bool raw = f && fread(m, 1, 8, f) == 8 && !memcmp(m, ADI_RAW_MAGIC, 8);

	if (f)
		fclose(f);
	return raw;
}

/* -o FILE, or standard output (never a terminal for binary output) */
static FILE *open_out(const struct adi_cli *c, bool binary)
{
	FILE *f;

	if (!c->output || !strcmp(c->output, "-")) {
		if (binary && isatty(STDOUT_FILENO)) {
			fprintf(stderr, "adi-profiler: export pcapng writes binary: give -o FILE\n");
			return NULL;
		}
		return stdout;
	}
	f = fopen(c->output, "we");
	if (!f)
		fprintf(stderr, "adi-profiler: cannot write %s: %s\n", c->output, strerror(errno));
	return f;
}

static int close_out(const struct adi_cli *c, FILE *f)
{
	int rc = f == stdout ? fflush(f) : fclose(f);

	if (rc)
		fprintf(stderr, "adi-profiler: %s: %s\n", c->output ? c->output : "standard output",
			strerror(errno));
	return rc ? 1 : 0;
}

/* A raw capture's events, made by the engine as replay makes them. */
static int events_from_raw(const struct adi_cli *c, struct adi_sink *sink)
{
	struct adi_engine_opts eo;
	struct adi_raw_reader *r = adi_raw_reader_open(c->file);
	struct adi_raw_event ev;
	struct adi_engine *eng;
	int got, rc = 0;

	if (!r) {
		fprintf(stderr, "adi-profiler: cannot read %s: %s\n", c->file, strerror(errno));
		return 1;
	}
	adi_cli_engine_opts(c, &eo);
	eo.backend = "replay";
	eng = adi_engine_new(&eo, &sink, 1);
	if (!eng) {
		adi_raw_reader_free(r);
		fprintf(stderr, "adi-profiler: out of memory\n");
		return 1;
	}
	while ((got = adi_raw_reader_next(r, &ev)) == 1)
		adi_engine_feed(eng, &ev);
	if (got < 0) {
		fprintf(stderr, "adi-profiler: %s is truncated or corrupt; the events before "
			"it are exported\n", c->file);
		rc = 1;
	}
	adi_engine_finish(eng);
	adi_engine_free(eng);
	adi_raw_reader_free(r);
	return rc;
}

/* A saved trace's events (JSON Lines or store), as view reads them. */
static int events_from_trace(const struct adi_cli *c, struct adi_sink *sink)
{
	char err[512];
	struct adi_trace_in *in = adi_trace_in_open(c->file, err, sizeof(err));
	const struct adi_event *ev;
	unsigned long bad = 0;
	int got, rc = 0;

	if (!in) {
		fprintf(stderr, "adi-profiler: %s\n", err);
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
			fprintf(stderr, "adi-profiler: reading %s failed: %s\n", c->file,
				strerror(-got));
			rc = 1;
			break;
		}
		if (adi_sink_emit(sink, ev))
			rc = 1;
	}
	if (bad)
		rc = 1;
	adi_trace_in_close(in);
	return rc;
}

static int export_events(const struct adi_cli *c, struct adi_sink *sink)
{
	int rc = is_raw_capture(c->file) ? events_from_raw(c, sink)
					 : events_from_trace(c, sink);

	if (adi_sink_flush(sink))
		rc = 1;
	return rc;
}

static int export_pcapng(const struct adi_cli *c)
{
	struct adi_raw_reader *r;
	struct adi_raw_event ev;
	struct adi_pcapng *p;
	struct adi_pcapng_stats st;
	FILE *out;
	int got, rc = 0;

	if (!is_raw_capture(c->file)) {
		fprintf(stderr, "adi-profiler: export pcapng needs a raw capture (run or attach "
			"with --save-raw FILE): %s is not one\n", c->file);
		return 1;
	}
	out = open_out(c, true);
	if (!out)
		return 1;
	p = adi_pcapng_new(out);
	if (!p) {
		close_out(c, out);
		fprintf(stderr, "adi-profiler: out of memory\n");
		return 1;
	}
	/* twice: first the initial sequence numbers (for the handshakes),
	 * then the packets */
	for (int pass = 0; pass < 2 && !rc; pass++) {
		r = adi_raw_reader_open(c->file);
		if (!r) {
			fprintf(stderr, "adi-profiler: cannot read %s: %s\n", c->file,
				strerror(errno));
			rc = 1;
			break;
		}
		while ((got = adi_raw_reader_next(r, &ev)) == 1) {
			if (pass == 0)
				adi_pcapng_learn(p, &ev);
			else if (adi_pcapng_feed(p, &ev))
				break;
		}
		if (got < 0 && pass == 1) {
			fprintf(stderr, "adi-profiler: %s is truncated or corrupt; the packets "
				"before it are exported\n", c->file);
			rc = 1;
		}
		adi_raw_reader_free(r);
	}
	adi_pcapng_stats(p, &st);
	adi_pcapng_free(p);
	if (st.err) {
		fprintf(stderr, "adi-profiler: writing %s failed: %s\n",
			c->output ? c->output : "standard output", strerror(-st.err));
		rc = 1;
	}
	fprintf(stderr, "adi-profiler: %llu packets, %llu payload bytes%s", (unsigned long long)st.packets,
		(unsigned long long)st.bytes, st.unix_skipped || st.other_skipped ? "" : "\n");
	if (st.unix_skipped || st.other_skipped)
		fprintf(stderr, "; left out: %llu unix-socket transfers, %llu without addresses\n",
			(unsigned long long)st.unix_skipped, (unsigned long long)st.other_skipped);
	if (close_out(c, out))
		rc = 1;
	return rc;
}

int adi_verb_export(struct adi_cli *c)
{
	struct adi_sink *sink;
	char err[256];
	int rc;

	if (!strcmp(c->export_format, "pcapng"))
		return export_pcapng(c);
	if (!strcmp(c->export_format, "perfetto")) {
		FILE *out = open_out(c, false);

		if (!out)
			return 1;
		sink = adi_sink_perfetto_new(out);
		if (!sink) {
			close_out(c, out);
			fprintf(stderr, "adi-profiler: out of memory\n");
			return 1;
		}
		rc = export_events(c, sink);
		if (adi_sink_perfetto_end(sink))
			rc = 1;
		adi_sink_free(sink);
		return close_out(c, out) ? 1 : rc;
	}
	/* otlp */
	{
		struct adi_otlp_opts o;

		otlp_opts(c, &o, true);
		sink = adi_sink_otlp_new(&o, err, sizeof(err));
		if (!sink) {
			fprintf(stderr, "adi-profiler: %s\n", err);
			return 1;
		}
		rc = export_events(c, sink);
		adi_sink_otlp_close(sink);
		if (otlp_report(sink, c->otlp_url, true))
			rc = 1;
		adi_sink_free(sink);
		return rc;
	}
}
