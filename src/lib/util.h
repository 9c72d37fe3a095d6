/* util.h - small pure helpers shared by the engine and the sinks: names of
 * errno values and flags, time formatting, byte classification. No state. */
#ifndef ADI_UTIL_H
#define ADI_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "ENOENT" for 2; a static string. Unknown values give "E<number>" in buf
 * (at least 16 bytes), which is returned. err may be given negative. */
const char *adi_errno_name(int err, char *buf, size_t bufsz);

/* Open flags as text: "O_RDONLY", "O_WRONLY|O_CREAT|O_TRUNC",
 * "O_RDWR|O_APPEND|O_CLOEXEC"... The access mode comes first, then the other
 * bits in a fixed order (O_CREAT, O_EXCL, O_NOCTTY, O_TRUNC, O_APPEND,
 * O_NONBLOCK, O_DSYNC, O_ASYNC, O_DIRECT, O_LARGEFILE, O_DIRECTORY,
 * O_NOFOLLOW, O_NOATIME, O_CLOEXEC, O_SYNC (O_SYNC includes O_DSYNC: print
 * only O_SYNC), O_PATH, O_TMPFILE (includes O_DIRECTORY: print only
 * O_TMPFILE)); unknown bits as "0x..." at the end. Writes into buf, returns buf. */
char *adi_open_flags_str(uint32_t flags, char *buf, size_t bufsz);

/* Permission bits as a 4 digit octal string: 0644 -> "0644", 04755 -> "4755".
 * Only the low 12 bits are used. buf at least 8 bytes; returns buf. */
char *adi_mode_str(uint32_t mode, char *buf, size_t bufsz);

/* The decimal digits of v written at p (at most 20, no NUL); returns the
 * end. By hand: the writers put several numbers on every line, and
 * snprintf was a large share of a busy trace. */
char *adi_u64_dec(char *p, uint64_t v);

/* RFC 3339 UTC with nanoseconds: "2026-11-27T17:31:45.123456789Z".
 * buf at least 32 bytes; returns buf. */
char *adi_rfc3339(uint64_t ts_ns, char *buf, size_t bufsz);
/* The same through a memo of the last second written (its first 19
 * characters): a writer of a million events a second formats the date
 * once per second. memo zeroed to start (owned by the writer); NULL: none. */
struct adi_rfc3339_memo {
	bool set;
	uint64_t sec;
	char head[20];
	uint64_t dec_sec;  /* adi_ts_dec_memo: the second whose digits are in dec */
	uint8_t dec_len;
	char dec[20];
};
char *adi_rfc3339_memo(struct adi_rfc3339_memo *memo, uint64_t ts_ns, char *buf, size_t bufsz);

/* ts_ns in decimal at p (as adi_u64_dec: no NUL, returns the end), the
 * seconds' digits kept in memo (every event of a second shares them);
 * memo may be NULL. ns9, when not NULL, is ts_ns's nanoseconds as nine
 * digits already written (a timestamp's fraction: written once a line). */
char *adi_ts_dec_memo(struct adi_rfc3339_memo *memo, char *p, uint64_t ts_ns, const char *ns9);

/* The digits of the last number written through it: every line of a
 * trace writes a pid, a tid, a cgroup id that repeat, and an id that is
 * the last one plus one. Zeroed to start (owned by the writer). */
struct adi_dec_memo {
	bool set;
	uint8_t n;
	uint64_t v;
	char s[20];
};
/* v in decimal at p (as adi_u64_dec: no NUL, returns the end; p has room
 * for 20 bytes, all of which may be written): the memo's digits when v is
 * its value, incremented in place when v is one more, else written (and
 * kept). memo may be NULL. */
char *adi_u64_dec_memo(struct adi_dec_memo *memo, char *p, uint64_t v);

/* Local-time "HH:MM:SS.uuuuuu" for the text timeline. buf >= 16. */
char *adi_clock_str(uint64_t ts_ns, char *buf, size_t bufsz);

/* Length of the valid UTF-8 sequence starting at b (n bytes available):
 * 1 for ASCII, 2..4 for a valid multi-byte character, 0 when b does not
 * start a valid sequence within n bytes. */
size_t adi_utf8_seq(const uint8_t *b, size_t n);

/* True when b[0..n) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
bool adi_utf8_valid(const uint8_t *b, size_t n);

/* Standard base64 with padding. out needs adi_base64_len(n) + 1 bytes;
 * writes a NUL terminated string and returns its length. */
/* Appends b[0..n) to a growing byte buffer (*buf holding *len bytes in
 * *cap allocated; the capacity doubles from 256). false, with nothing
 * appended, when memory runs out. How the decoders keep the first
 * --body-bytes of a payload that arrives in pieces. */
bool adi_bytes_append(uint8_t **buf, size_t *len, size_t *cap, const uint8_t *b, size_t n);

/* Now, in ns: CLOCK_MONOTONIC (intervals, deadlines) and CLOCK_REALTIME
 * (the wall clock events are stamped with). */
uint64_t adi_now_mono(void);
uint64_t adi_now_wall(void);

size_t adi_base64_len(size_t n);
size_t adi_base64_encode(const uint8_t *b, size_t n, char *out);

/* Human size: 3 -> "3 B", 2150 -> "2.1 KiB", 5242880 -> "5.0 MiB". */
char *adi_size_str(uint64_t bytes, char *buf, size_t bufsz);

/* The container id in a cgroup path: the last path component holding a run
 * of exactly 64 hex digits (docker-<id>.scope, /docker/<id>,
 * cri-containerd-<id>.scope, crio-<id>.scope, libpod-<id>.scope, a
 * kubepods pod's <id>; podman's conmon scope is not the container).
 * Writes the 64 digits and a NUL into out; false when there is none. */
bool adi_container_id(const char *cgpath, char out[65]);

/* Lexically normalise an absolute path: collapse "//", drop "." and resolve
 * ".." (never above "/"), no trailing "/" except for "/" itself. If rel is
 * relative it is first joined to base (an absolute directory). Writes into
 * out (bufsz bytes); returns 0, or -ENAMETOOLONG when it does not fit. */
int adi_path_join(const char *base, const char *rel, char *out, size_t bufsz);

#endif
