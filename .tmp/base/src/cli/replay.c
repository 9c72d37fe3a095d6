/* replay.c - `adi-profiler replay FILE`: the engine over a saved raw
 * capture, producing the events the live run produced. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "../core/engine.h"
#include "../sink/sink.h"

/* --dump: one line per raw event, for looking at what a capture holds */
static void dump_event(const struct adi_raw_event *ev)
{
	const struct adi_raw_fixed *f = &ev->f;

	printf("%llu pid=%u tid=%u fam=%u op=%s fd=%d fd2=%d ret=%lld size=%llu "
	       "kind=%u dir=%u seq=%u flags=%#x ino=%llu data=%u path=%.*s path2_len=%u\n",
	       (unsigned long long)f->ts_ns, f->pid, f->tid, f->family,
	       f->family == ADI_RAW_META ? "meta" : adi_op_name(f->op), f->fd, f->fd2,
	       (long long)f->ret, (unsigned long long)f->size, f->fd_kind, f->dir,
	       f->seq, f->flags, (unsigned long long)f->ino, f->data_len,
	       (int)f->path_len, ev->path ? ev->path : "", f->path2_len);
}

int adi_verb_replay(struct adi_cli *c)
{
	struct adi_engine_opts eo;
	struct adi_sink *sink = NULL;
	struct adi_engine *eng = NULL;
	struct adi_raw_reader *r;
	struct adi_raw_event ev;
	void *outf = NULL;
	uint64_t n = 0;
	int rc = 0, got;

	r = adi_raw_reader_open(c->file);
	if (!r) {
		fprintf(stderr, "adi-profiler: cannot replay %s: %s\n", c->file,
			errno == EINVAL ? "not an adi-profiler raw capture" : strerror(errno));
		return 1;
	}
	if (c->dump) {
		while ((got = adi_raw_reader_next(r, &ev)) == 1)
			dump_event(&ev);
		adi_raw_reader_free(r);
		return got < 0;
	}
	if (adi_cli_open_sink(c, &sink, &outf)) {
		adi_raw_reader_free(r);
		return 1;
	}
	adi_cli_engine_opts(c, &eo);
	eo.backend = "replay";
	eng = adi_engine_new(&eo, &sink, 1);
	if (!eng) {
		fprintf(stderr, "adi-profiler: out of memory\n");
		rc = 1;
		goto out;
	}
	while ((got = adi_raw_reader_next(r, &ev)) == 1) {
		adi_engine_feed(eng, &ev);
		/* now and then, for a reader of standard output; the file
		 * itself is written in whole stdio buffers */
		if (++n % 65536 == 0)
			adi_engine_release(eng);
	}
	if (got < 0) {
		/* what was read is still reported, then the damage */
		fprintf(stderr, "adi-profiler: %s is truncated or corrupt after %llu "
			"records; the events before it are shown\n", c->file,
			(unsigned long long)n);
		rc = 1;
	}
	adi_engine_finish(eng);
	if (adi_cli_report(c, eng, sink))
		rc = 1;
out:
	adi_engine_free(eng);
	adi_sink_free(sink);
	adi_raw_reader_free(r);
	if (adi_cli_close_output(outf)) {
		fprintf(stderr, "adi-profiler: %s: %s\n", c->output, strerror(errno));
		rc = 1;
	}
	return rc;
}
