/* export.h - traces handed to other tools (docs/export.md): OpenTelemetry
 * (OTLP/HTTP, protobuf or JSON, a sink that sends from a thread of its own),
 * the Chrome trace-event JSON that Perfetto opens (a sink writing a file),
 * and pcapng for Wireshark, written from raw events (payload bytes and TCP
 * sequence numbers, which semantic events do not keep).
 */
#ifndef ADI_EXPORT_H
#define ADI_EXPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "../lib/event.h"
#include "../lib/raw_event.h"

/* ---- OTLP ---- */

#define ADI_OTLP_MAX_HEADERS 16

enum adi_otlp_encoding { ADI_OTLP_PROTOBUF, ADI_OTLP_JSON };

struct adi_otlp_opts {
	const char *url;          /* base URL: "http://host:4318"; /v1/traces and
				   * /v1/logs are appended (a URL that already
				   * ends in /v1/traces keeps it for spans) */
	enum adi_otlp_encoding encoding;
	const char *headers[ADI_OTLP_MAX_HEADERS]; /* "K=V", borrowed */
	unsigned nheaders;
	unsigned batch_max;       /* items per request (0: 512) */
	unsigned batch_ms;        /* a batch is sent when this old (0: 1000) */
	unsigned queue_max;       /* requests waiting to be sent (0: 64) */
	unsigned timeout_ms;      /* one request (0: 10000) */
	unsigned retry_max;       /* attempts after the first on 429/502/503/504
				   * or a failed connection (0: 5) */
	unsigned drain_ms;        /* at close, how long to wait for the queue
				   * to empty (0: 5000); the rest is lost */
	bool sync;                /* no thread: each request is sent from
				   * flush/close (export of a saved trace, which
				   * may wait; never a live trace) */
	const char *host_name;    /* resource host.name (NULL: gethostname) */
};

/* What became of the spans and log records (items) the sink was given. */
struct adi_otlp_stats {
	uint64_t spans, logs;     /* items made from events */
	uint64_t sent;            /* items in requests the receiver accepted */
	uint64_t lost_queue;      /* dropped: the send queue was full */
	uint64_t lost_failed;     /* dropped: rejected (4xx), retries used up,
				   * no answer in time, or left at close */
	uint64_t requests, retries;
	int last_http;            /* the last HTTP status (0: none) */
	char last_error[160];     /* the last failure, for the report */
};

/* A sink that maps events to OTLP spans and log records and sends them.
 * NULL with errno set and a message in err (ENOTSUP: built without
 * libcurl). The options' strings must outlive the sink. */
struct adi_sink *adi_sink_otlp_new(const struct adi_otlp_opts *o, char *err, size_t errsz);
/* Send what is batched and wait (at most drain_ms) until the queue is
 * empty; what is left then is counted as lost. Called before the sink is
 * freed (free does it too, without a report). */
void adi_sink_otlp_close(struct adi_sink *s);
void adi_sink_otlp_stats(struct adi_sink *s, struct adi_otlp_stats *st);

/* ---- Perfetto / Chrome trace-event JSON ---- */

/* A sink writing {"traceEvents":[...]} to f (not closed): a track per
 * process and thread, a slice per event, flows from parent_id to child.
 * The closing bracket is written by flush after trace_summary, or by
 * adi_sink_perfetto_end. */
struct adi_sink *adi_sink_perfetto_new(FILE *f);
int adi_sink_perfetto_end(struct adi_sink *s); /* 0 or -errno */

/* ---- pcapng ---- */

struct adi_pcapng;
struct adi_pcapng_stats {
	uint64_t packets, bytes;  /* packets written, payload bytes in them */
	uint64_t dup_bytes;       /* bytes already written from the other end */
	uint64_t unix_skipped;    /* unix-socket records left out */
	uint64_t other_skipped;   /* no address (unconnected UDP), other families */
	int err;                  /* first write error (-errno), or 0 */
};
/* A writer to f (not closed): the section header and one interface per
 * address family are written at once. NULL on ENOMEM. */
struct adi_pcapng *adi_pcapng_new(FILE *f);
/* Learn from a first pass over the capture (a saved file can be read
 * twice): each direction's first sequence number, so the SYN / SYN-ACK of
 * a connection seen opening can be written with the right numbers. */
void adi_pcapng_learn(struct adi_pcapng *p, const struct adi_raw_event *ev);
/* One raw event: socket payload becomes packets, connect/accept a
 * handshake (when learned), close or end of stream a FIN. 0 or -errno. */
int adi_pcapng_feed(struct adi_pcapng *p, const struct adi_raw_event *ev);
void adi_pcapng_stats(const struct adi_pcapng *p, struct adi_pcapng_stats *st);
void adi_pcapng_free(struct adi_pcapng *p);

#endif
