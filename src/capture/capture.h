/* capture.h - what every capture backend offers the verbs (run, attach,
 * replay): start tracing, deliver normalized raw events to the engine, and
 * account for what was lost. Backends: ebpf (Linux), replay (a saved file);
 * ptrace and dtrace later. */
#ifndef ADI_CAPTURE_H
#define ADI_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>
#include "../core/engine.h"

struct adi_capture_opts {
	uint32_t capture_bytes;   /* payload kept per syscall (0: sizes only) */
	uint32_t ringbuf_bytes;   /* kernel->user ring size, power of two */
	uint32_t wakeup_bytes;    /* queued bytes that wake the consumer; 0: auto */
	int poll_ms;              /* consumer poll period */
	bool no_fs, no_net;       /* do not produce those families' records */
};

struct adi_capture_stats {
	uint64_t produced, dropped, truncated, wakeups, delivered;
};

#endif
