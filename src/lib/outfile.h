/* outfile.h - writing a trace's output files without filling the page
 * cache: past its first ADI_OUT_CACHED bytes a regular file is written
 * uncached (RWF_DONTCACHE, Linux 6.14+) where the kernel and the file
 * system take it, with plain write(2) elsewhere. */
#ifndef ADI_LIB_OUTFILE_H
#define ADI_LIB_OUTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* The stdio buffer a trace file (and a raw capture) writes through:
 * glibc ignores the size given to setvbuf without a buffer (it uses 4
 * KiB), and 4 KiB writes at unaligned offsets made ext4 zero a partial
 * block on every write (17 % of a busy trace's CPU). A 1 MiB buffer of the
 * caller's own is written whole, at offsets that are multiples of 1 MiB. */
#define ADI_OUT_BUF (1u << 20)

/* Bytes of a trace file written through the page cache before the rest
 * goes uncached. A short trace stays cached (read back at once, and an
 * uncached write starts its write-back inside the run: on the issue-15
 * VM a 0.6 KB-a-request text trace cost the machine 1.3 us a request more
 * uncached); a long one would take the page cache from the traced
 * program's files, and fresh pages were most of what writing it cost the
 * tracer there (2.5 ns a byte, against 0.2 uncached). */
#define ADI_OUT_CACHED ((uint64_t)256 << 20)

/* How a file's writes go: cached for its first `cached` bytes, uncached
 * after unless the kernel refused (then for good). */
struct adi_out_state {
	uint64_t written;  /* bytes written so far */
	uint64_t cached;   /* ADI_OUT_CACHED, or what the caller chose */
	bool try_uncached; /* a regular file, and no refusal yet */
};

/* The state of a new file on fd: uncached past `cached` bytes when fd is
 * a regular file (the only kind it helps). */
void adi_out_state_init(struct adi_out_state *st, int fd, uint64_t cached);

/* One write(2) of b[0..n) to fd at its offset, uncached when st says so; a
 * refusal (a kernel or a file system without it, a seccomp filter) turns
 * that off for good and the write is made with write(2). As write(2): the
 * bytes written, or -1 with errno. */
ssize_t adi_out_write(int fd, const void *b, size_t n, struct adi_out_state *st);

/* path opened to be written (created, truncated, close-on-exec) as a
 * stream buffered through buf[0..n) (the caller's, alive until fclose):
 * a regular file's stream writes each buffer with adi_out_write (a stdio
 * cookie: fileno() is then -1), anything else (a FIFO, a device) is a
 * plain stream. NULL with errno. */
FILE *adi_fopen_out(const char *path, char *buf, size_t n, uint64_t cached);

#endif
