/* dtrace.h - the macOS DTrace backend, in three parts:
 *   dt_gen.c     the D program (syscall and proc providers) that prints
 *                one record per syscall in the format of docs/dtrace.md
 *   dt_reader.c  that format -> normalized raw events (streaming, any
 *                split of the input; malformed and truncated records are
 *                counted, never trusted)
 *   dtrace.c     runs dtrace(1) (-c for run, -p for attach) and feeds the
 *                reader; compiled on macOS only
 * The generator and the reader are pure and build everywhere: they are
 * unit-tested on Linux (tests/unit/test_dtrace.c). Nothing here has run on
 * a Mac (README.md says so). */
#ifndef ADI_DTRACE_H
#define ADI_DTRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "../capture.h"

/* ---- the D program ---- */

struct adi_dt_gen_opts {
	uint32_t capture_bytes;  /* payload copied per syscall (copyin cap) */
	bool no_fs, no_net;
};

/* Write the D program into buf (NUL terminated). Returns its length, or
 * -ENOSPC when bufsz is too small (about 24 KiB is enough). The program
 * traces $target and its descendants (progenyof), so the same text serves
 * `dtrace -c CMD` and `dtrace -p PID`. Pure. */
int adi_dt_gen(const struct adi_dt_gen_opts *o, char *buf, size_t bufsz);

/* ---- the reader ---- */

struct adi_dt_stats {
	uint64_t records;    /* records turned into raw events */
	uint64_t bad;        /* malformed records or lines (skipped) */
	uint64_t truncated;  /* a record cut off by the end of the input */
	uint64_t dtrace_msgs;/* dtrace's own lines ("dtrace: ...") */
	uint64_t sip;        /* of those, System Integrity Protection refusals */
	uint64_t begun;      /* the program's BEGIN line: probes are enabled */
};

/* Called once per record; ev's pointers are valid during the call. */
typedef void (*adi_dt_emit_fn)(void *arg, const struct adi_raw_event *ev);

struct adi_dt_reader;
struct adi_dt_reader *adi_dt_reader_new(adi_dt_emit_fn emit, void *arg);
void adi_dt_reader_free(struct adi_dt_reader *r); /* accepts NULL */
/* Feed the next n bytes of dtrace's output, split anywhere. */
void adi_dt_reader_feed(struct adi_dt_reader *r, const char *buf, size_t n);
/* End of input: a record still incomplete is counted truncated. */
void adi_dt_reader_finish(struct adi_dt_reader *r);
void adi_dt_reader_stats(const struct adi_dt_reader *r, struct adi_dt_stats *st);

/* True when a line dtrace printed means System Integrity Protection
 * refused a probe or a process (Apple-signed binaries cannot be traced
 * while SIP is on). Pure. */
bool adi_dt_sip_error(const char *line);
/* The one line that explains it to the user. */
#define ADI_DT_SIP_HELP "System Integrity Protection blocks DTrace for Apple-signed " \
	"programs (/bin, /usr/bin...): tracing continues for the others; trace a copy " \
	"of the program, or one you built, to see it"

#if defined(__APPLE__) || defined(ADI_DT_CHECK)
extern const struct adi_backend_ops adi_backend_dtrace;
#endif

#endif
