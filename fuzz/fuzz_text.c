/* fuzz_text.c - libFuzzer target for the text timeline (src/sink/
 * sink_text.c), which reads each event's member list back to write its
 * line: `view` hands it what a trace file held. The input's first byte
 * also sets the sink's options (colour, runtime events, preview size). It
 * is cut at '\n' into events; each piece's first byte picks the kind
 * (every kind the sink draws), its second the pid, tid, duration and clock
 * step, the rest is the member list as it comes (any bytes: well-formed or
 * not, it must never read past it). Lines go to /dev/null; the sink is
 * freed after the last (its summary).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/lib/event.h"
#include "../src/sink/sink.h"

static const char *const kinds[] = {
	"file", "connection", "process", "http_request", "grpc_call", "sql_query",
	"db_session", "redis_command", "mongo_command", "dns_query", "tcp_stream",
	"udp_datagram", "message_op", "memcached_command", "trace_summary", "unknown_kind",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct adi_sink_opts o = { 0 };
	FILE *f = fopen("/dev/null", "w");
	struct adi_sink *s;
	size_t at = 0;
	uint64_t ts = 1796677927956958510ull;

	if (!f)
		abort();
	if (size > 1) {
		o.color = data[0] & 1;
		o.show_runtime = (data[0] >> 1) & 1;
		o.content_preview = (data[0] >> 2) & 1 ? 0u : (unsigned)(data[0] >> 3);
	}
	s = adi_sink_text_new(f, &o);
	if (!s)
		abort();
	while (at < size) {
		const uint8_t *nl = memchr(data + at, '\n', size - at);
		size_t n = nl ? (size_t)(nl - (data + at)) : size - at;
		struct adi_event *ev;

		if (n >= 2) {
			ev = adi_event_new(kinds[data[at] % (sizeof(kinds) / sizeof(kinds[0]))], ts,
					   (const char *)data + at + 2, n - 2);
			if (!ev)
				abort();
			ev->pid = data[at + 1] & 3;
			ev->tid = data[at + 1] & 7;
			ev->id = at;
			ev->duration_ns = (data[at + 1] & 8) ? -1 : (int64_t)(data[at + 1] * 1000);
			memcpy(ev->comm, "fz", 3);
			ts += (data[at + 1] & 16) ? 1000000000ull : 1000;
			(void)adi_sink_emit(s, ev);
			adi_event_free(ev);
		}
		at += n + 1;
	}
	(void)adi_sink_flush(s);
	adi_sink_free(s);
	fclose(f);
	return 0;
}
