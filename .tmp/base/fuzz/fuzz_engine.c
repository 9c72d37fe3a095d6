/* fuzz_engine.c - libFuzzer target for the kernel-record normalizer and the
 * engine behind it. The input is one option byte, then chunks, each a
 * little-endian u16 length and that many bytes (the last one may be short).
 * Every chunk is copied into a buffer of exactly its size (so ASan sees any
 * read past it), read as a ring-buffer record by adi_normalize_record, and
 * what normalizes is fed to an engine writing JSON Lines to /dev/null;
 * then the trace is finished and everything freed (LeakSanitizer checks).
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE
 * -Isrc -I. with this file, every .c of src/core, src/out and src/proto, and
 * src/capture/normalize.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/normalize.h"
#include "core/engine.h"
#include "lib/raw_event.h"
#include "sink/sink.h"

/* The option byte: small capture limits, a tiny reorder window so the
 * timeline releases often, and sometimes whole families switched off. */
static void adi_fuzz_opts(uint8_t b, struct adi_engine_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->body_bytes = (b & 3u) * 8;
	o->content_bytes = ((b >> 2) & 3u) * 8;
	o->hold_ns = (b & 0x10) ? 1000 : 0; /* 0: the default 2 s */
	o->no_net = (b & 0xe0) == 0x20;
	o->no_fs = (b & 0xe0) == 0x40;
	o->no_proc = (b & 0xe0) == 0x60;
	o->backend = "ebpf";
}

static void adi_fuzz_meta(struct adi_engine *e, uint16_t op, uint64_t ts)
{
	struct adi_raw_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.f.family = ADI_RAW_META;
	ev.f.op = op;
	ev.f.ts_ns = ts;
	ev.f.fd = ev.f.fd2 = -1;
	if (op == ADI_META_START) {
		ev.f.pid = 1;
		ev.path = "/w";
		ev.f.path_len = 2;
		ev.path2 = "ebpf";
		ev.f.path2_len = 4;
	}
	adi_engine_feed(e, &ev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct adi_engine_opts o;
	struct adi_sink *sink;
	struct adi_engine *e;
	uint64_t last_ts = 0;

	if (!devnull && !(devnull = fopen("/dev/null", "w")))
		abort();
	if (size < 1)
		return 0;
	adi_fuzz_opts(data[0], &o);
	data++;
	size--;
	sink = adi_sink_json_new(devnull);
	if (!sink)
		abort();
	e = adi_engine_new(&o, &sink, 1);
	if (!e)
		abort();
	adi_fuzz_meta(e, ADI_META_START, 0);
	while (size >= 2) {
		size_t n = (size_t)data[0] | (size_t)data[1] << 8;
		struct adi_raw_event ev;
		uint8_t *rec;

		data += 2;
		size -= 2;
		if (n > size)
			n = size;
		rec = malloc(n ? n : 1);
		if (!rec)
			abort();
		memcpy(rec, data, n);
		if (adi_normalize_record(rec, n, 0, &ev) == 0) {
			adi_engine_feed(e, &ev);
			if (ev.f.ts_ns > last_ts)
				last_ts = ev.f.ts_ns;
		}
		free(rec);
		data += n;
		size -= n;
	}
	adi_fuzz_meta(e, ADI_META_END, last_ts);
	adi_engine_finish(e);
	adi_engine_free(e);
	adi_sink_free(sink);
	return 0;
}
