/* pdrive.h - drives one protocol decoder (a struct adi_proto) over a
 * scripted connection, the way core/stream.c does, and serialises the events
 * it emits. Shared by every decoder's unit test (tests/unit/test_<proto>.c)
 * and fuzzer (fuzz/fuzz_<proto>.c) so the driving logic exists once.
 *
 * A script is a list of segments: data of one direction with a timestamp,
 * a gap of n lost bytes, or the end of a direction. The driver keeps a held
 * buffer per direction (an exact-size copy is passed to parse() so ASan sees
 * any read past n), parses until AGAIN with nothing consumed, on BAD drops
 * one byte then calls resync(), calls gap() only when nothing is held,
 * stitches after each message, ends both directions and stitches with
 * final = true, then fini(). Messages get dir, ts_first/ts_last, wire_bytes
 * and incomplete (a gap absorbed inside) as the engine sets them. Every result is checked against the contract
 * in src/proto/proto.h; a broken promise calls the pd_fail hook.
 *
 * Output text: one line per event, "ts_start ts_end kind json\n", then, when
 * bytes were skipped or a direction was DONE, one line
 * "# skipped out=N in=N done out=0|1 in=0|1\n".
 *
 * Buffers: every char * returned is the caller's (free()). Segments and their
 * bytes are borrowed.
 */
#ifndef ADI_PDRIVE_H
#define ADI_PDRIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "proto/proto.h"

enum pd_op { PD_DATA, PD_GAP, PD_EOF };

struct pd_seg {
	int op;               /* enum pd_op */
	enum adi_dir dir;
	const uint8_t *b;     /* PD_DATA: the bytes */
	size_t n;             /* PD_DATA: byte count; PD_GAP: bytes lost */
	uint64_t ts;          /* PD_DATA: time of the syscall */
};

#define PD_OUT(t, s) { PD_DATA, ADI_DIR_OUT, (const uint8_t *)(s), sizeof(s) - 1, (t) }
#define PD_IN(t, s) { PD_DATA, ADI_DIR_IN, (const uint8_t *)(s), sizeof(s) - 1, (t) }
#define PD_OUTB(t, p, k) { PD_DATA, ADI_DIR_OUT, (const uint8_t *)(p), (k), (t) }
#define PD_INB(t, p, k) { PD_DATA, ADI_DIR_IN, (const uint8_t *)(p), (k), (t) }
#define PD_GAP_(d, k) { PD_GAP, (d), NULL, (k), 0 }
#define PD_END(d) { PD_EOF, (d), NULL, 0, 0 }
#define PD_NSEG(a) (sizeof(a) / sizeof((a)[0]))

struct pd_case {
	const char *name;               /* fixture name (seed file name) */
	const struct adi_proto *proto;
	const struct pd_seg *segs;
	size_t nsegs;
	struct adi_proto_cfg cfg;
	bool server;                    /* the traced task accepted the conn */
	bool driver_only;               /* skip the run through core/stream.c
					 * (a gap completes a message: the
					 * engine times it differently) */
	bool datagram;                  /* a datagram socket: each data
					 * segment is one whole datagram
					 * (proto.h, adi_proto.datagrams);
					 * gaps do not exist */
	const uint16_t *peers;          /* datagram cases: per segment, its
					 * datagram's peer, a port on
					 * 127.0.0.1 (0, or no array: none
					 * named, a connected socket) */
};

/* How data segments are cut before they are fed. */
enum pd_mode {
	PD_WHOLE,   /* as scripted */
	PD_BYTES,   /* 1-byte pieces */
	PD_SPLIT,   /* the whole script cut once at byte offset `arg` */
	PD_RANDOM,  /* pseudo-random pieces of 1..17 bytes, seeded by `arg` */
	PD_THREES,  /* 3-byte pieces */
	PD_HALVES,  /* each segment in two halves */
	PD_TRUNC,   /* datagram cases: the datagram holding byte offset `arg`
		     * of the script is cut there (its true size kept, the
		     * message marked incomplete before parse(), as the
		     * engine does for a capture cut) */
};

/* The failure hook, called with why a promise was broken. pdrive.c has a
 * weak default (print to stderr, abort(): what a fuzzer wants); the unit
 * tests link pdrive_cmocka.c's (vprint_error, fail(), then abort(), as
 * cmocka 1.1 does not declare fail() noreturn). Must not return. */
void pd_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Run the script through the driver; returns the event text. */
char *pd_run(const struct pd_case *c, enum pd_mode mode, size_t arg);

/* Run it through the real engine (adi_pconn_* of core/stream.c), whole
 * segments or 1-byte pieces (datagram cases: adi_pconn_datagram, whole);
 * returns the event lines only (no "#" line).
 * Event lines of datagram cases name the peer the decoder gave the event
 * (adi_emit.peer): "ts_start ts_end kind peer=PORT json". */
char *pd_run_engine(const struct pd_case *c, bool bytes);

/* Data bytes in the script (the offsets PD_SPLIT can cut at are 1..n-1). */
size_t pd_case_bytes(const struct pd_case *c);

/* The full check a unit test does on one fixture: `expect` (event lines,
 * optionally followed by the "#" line: the first line starting "# ") must
 * come out whole, in 1-byte pieces, split at every offset, and, unless
 * driver_only, through the real engine whole and in 1-byte pieces (events
 * only). Datagram cases: whole, through the engine, and every datagram cut
 * at every length (PD_TRUNC; only the contract is checked then, the events
 * differ). Returns NULL when all agree, else a description of the first
 * difference, with both texts (caller frees).
 * With $ADI_SEED_DIR set, also writes the case there as a fuzzer seed named
 * "<proto name>-<case name>". */
char *pd_check(const struct pd_case *c, const char *expect);

/* Unit tests (tests/support/pdrive_cmocka.c, cmocka): pd_check, printing
 * the difference and failing the test when there is one. */
void pd_check_fixture(const struct pd_case *c, const char *expect);

/* Fuzzer input <-> script. Format: byte 0 = options (bits 0-1: how the
 * differential run cuts data: 1-byte, 3-byte, halves, random; bits 2-3:
 * body_bytes 64, 0, 7, 4096; bit 4 show_secrets; bit 5 server; bits 6-7:
 * rows_sample 5, 0, 1, 100), then records [op][len: 16-bit BE][data]; op bits
 * 0-1: 0 (and 3) data, 1 a gap of len bytes, 2 the end of the direction;
 * bit 2: direction IN. Timestamps: 1000 per record.
 * pd_script_parse fills *c (its segs are malloc'd: pd_script_free) and
 * returns the cut mode for the differential run. */
enum pd_mode pd_script_parse(const uint8_t *data, size_t size,
			     const struct adi_proto *p, struct pd_case *c);
void pd_script_free(struct pd_case *c);
/* Writes c as such a file (options from c->cfg, c->server; a body_bytes or
 * rows_sample not among the four above is written as the first; data and
 * gaps over 0xffff bytes become several records). 0 or -1. */
int pd_script_write(const struct pd_case *c, const char *path);

/* Sniffers may answer -1 ("too short to say") only below this many bytes:
 * the engine classifies from a preview that may be no longer (--body-bytes
 * 64), so a sniffer that wants more would leave the connection generic. */
#define PD_SNIFF_SHORT 64

/* The whole fuzzer body for decoder p: runs the script whole and cut (both
 * must give the same events), through the real engine (no crash, no leak),
 * and each data record's prefixes of 0..15 bytes and the whole record, as
 * exact-size copies, through p->sniff (0..100, or -1 only below
 * PD_SNIFF_SHORT bytes) and through adi_proto_classify (NULL or a
 * registered decoder). Calls pd_fail on a broken promise. */
void pd_fuzz_one(const struct adi_proto *p, const uint8_t *data, size_t size);

/* The same for a decoder of datagrams (adi_proto.datagrams): each data
 * record of the script is one datagram (peer 53 for odd records, 5353 for
 * even ones), run whole, cut (PD_TRUNC at a place the input picks) and
 * through the engine, and each record through sniff() as a datagram. */
void pd_fuzz_dgram(const struct adi_proto *p, const uint8_t *data, size_t size);

#endif
