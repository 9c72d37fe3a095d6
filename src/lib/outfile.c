/* outfile.c - output files written uncached past their first bytes
 * (outfile.h). A trace writes hundreds of megabytes a second under load;
 * through the page cache every batch took fresh pages (on the issue-15 VM,
 * 2.5 ns a byte of the tracer's sys time, against 0.2 uncached, whose pages
 * are freed once written back and taken again by the next batch), and a
 * long trace pushed the traced program's own files out of memory. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* fopencookie, pwritev2 */
#endif

#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef RWF_DONTCACHE
#define RWF_DONTCACHE 0x00000080 /* linux/fs.h since 6.14; older headers */
#endif

void adi_out_state_init(struct adi_out_state *st, int fd, uint64_t cached)
{
	struct stat sb;

	st->written = 0;
	st->cached = cached;
	st->try_uncached = fd >= 0 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode);
}

ssize_t adi_out_write(int fd, const void *b, size_t n, struct adi_out_state *st)
{
	ssize_t k;

	if (st->try_uncached && st->written >= st->cached) {
		struct iovec io = { (void *)b, n };

		k = pwritev2(fd, &io, 1, -1, RWF_DONTCACHE); /* -1: at the offset */
		/* EOPNOTSUPP: a kernel (before 6.14) or a file system without
		 * it; ENOSYS, EPERM: no pwritev2 at all, or a seccomp filter
		 * (a container's) that refuses it; EINVAL, to be safe. write(2)
		 * then says whether the file itself is at fault. */
		if (k >= 0 || (errno != EOPNOTSUPP && errno != ENOSYS && errno != EPERM &&
			       errno != EINVAL))
			goto out;
		st->try_uncached = false;
	}
	k = write(fd, b, n);
out:
	if (k > 0)
		st->written += (uint64_t)k;
	return k;
}

/* The stream's cookie: the descriptor it owns, and whether its writes
 * still go uncached. */
struct adi_outfile {
	int fd;
	struct adi_out_state st;
};

/* stdio's write: all of it, or -1 (stdio then sets the stream's error). */
static ssize_t outfile_write(void *c, const char *b, size_t n)
{
	struct adi_outfile *o = c;
	size_t off = 0;

	while (off < n) {
		ssize_t k = adi_out_write(o->fd, b + off, n - off, &o->st);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			if (!k)
				errno = EIO;
			return off ? (ssize_t)off : -1;
		}
		off += (size_t)k;
	}
	return (ssize_t)n;
}

static int outfile_close(void *c)
{
	struct adi_outfile *o = c;
	int rc = close(o->fd);

	free(o);
	return rc;
}

FILE *adi_fopen_out(const char *path, char *buf, size_t n, uint64_t cached)
{
	static const cookie_io_functions_t io = { .write = outfile_write, .close = outfile_close };
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	struct adi_outfile *o;
	FILE *f;
	int e;

	if (fd < 0)
		return NULL;
	if (!(o = malloc(sizeof(*o)))) {
		f = NULL;
	} else {
		o->fd = fd;
		adi_out_state_init(&o->st, fd, cached);
		if (!o->st.try_uncached) { /* not a regular file: nothing to help */
			free(o);
			f = fdopen(fd, "w");
		} else if (!(f = fopencookie(o, "w", io))) {
			free(o);
		}
	}
	if (!f) {
		e = errno ? errno : ENOMEM;
		close(fd);
		errno = e;
		return NULL;
	}
	if (buf && n)
		setvbuf(f, buf, _IOFBF, n);
	return f;
}
