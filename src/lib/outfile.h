/* outfile.h - writing a trace's output files without filling the page
 * cache: uncached writes (RWF_DONTCACHE, Linux 6.14+) where the kernel and
 * the file system take them, plain write(2) elsewhere. */
#ifndef ADI_LIB_OUTFILE_H
#define ADI_LIB_OUTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* One write(2) of b[0..n) to fd at its offset: uncached while *uncached
 * (the caller's, true to try), which the first refusal (a kernel or a file
 * system without it, a seccomp filter) turns false for good, that write
 * then made with write(2). As write(2): the bytes written or -1 with
 * errno. */
ssize_t adi_write_uncached(int fd, const void *b, size_t n, bool *uncached);

/* True when fd is a regular file: the only kind an uncached write helps. */
bool adi_fd_is_regular(int fd);

/* path opened to be written (created, truncated, close-on-exec) as a
 * stream buffered through buf[0..n) (the caller's, alive until fclose):
 * a regular file's stream writes each buffer uncached (a stdio cookie
 * around adi_write_uncached; fileno() is then -1), anything else (a
 * FIFO, a device) is a plain stream. NULL with errno. */
FILE *adi_fopen_uncached(const char *path, char *buf, size_t n);

#endif
