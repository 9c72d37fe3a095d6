/* rawio.c - the --save-raw file: writing and reading normalized raw events
 * (format in docs/raw-format.md), and the names of the operations. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "../lib/raw_event.h"

/* A record longer than this is corrupt: the largest real one is the fixed
 * part, a capture cap of payload and two paths. */
#define RAW_REC_MAX (sizeof(struct adi_raw_fixed) + ADI_CAP_MAX + 2 * ADI_PATH_MAX + 4096)

int adi_raw_write_header(FILE *f)
{
	if (fwrite(ADI_RAW_MAGIC, 1, 8, f) != 8)
		return -(errno ? errno : EIO);
	return 0;
}

int adi_raw_write(FILE *f, const struct adi_raw_event *ev)
{
	struct adi_raw_fixed fx = ev->f;
	uint32_t len;
	uint8_t le[4];

	if (!ev->data)
		fx.data_len = 0;
	if (!ev->path)
		fx.path_len = 0;
	if (!ev->path2)
		fx.path2_len = 0;
	len = sizeof(fx) + fx.data_len + fx.path_len + fx.path2_len;
	le[0] = len;
	le[1] = len >> 8;
	le[2] = len >> 16;
	le[3] = len >> 24;
	errno = 0;
	if (fwrite(le, 1, 4, f) != 4 || fwrite(&fx, sizeof(fx), 1, f) != 1 ||
	    (fx.data_len && fwrite(ev->data, fx.data_len, 1, f) != 1) ||
	    (fx.path_len && fwrite(ev->path, fx.path_len, 1, f) != 1) ||
	    (fx.path2_len && fwrite(ev->path2, fx.path2_len, 1, f) != 1))
		return -(errno ? errno : EIO);
	return 0;
}

/* The reader reads the file in pieces of a few hundred KiB into its own
 * buffer and hands out records in place: no stdio buffer in between (that
 * was a second copy of every byte), and a piece small enough to stay in
 * cache until the engine has looked at it. */
#define RAW_READ_CHUNK (256u << 10)

struct adi_raw_reader {
	int fd;
	uint8_t *buf;      /* owned; cap bytes, records start at pos */
	size_t cap, pos, end;
	bool eof;
	bool mapped;       /* buf is the whole file, mapped read-only */
};

/* Make n bytes available at buf + pos; false at the end of the file (or a
 * read error) with fewer. */
static bool raw_fill(struct adi_raw_reader *r, size_t n)
{
	if (r->end - r->pos >= n || r->mapped)
		return r->end - r->pos >= n;
	if (r->pos + n > r->cap) { /* slide the rest of the buffer to the front */
		memmove(r->buf, r->buf + r->pos, r->end - r->pos);
		r->end -= r->pos;
		r->pos = 0;
	}
	while (!r->eof && r->end - r->pos < n) {
		size_t want = r->cap - r->end;
		ssize_t got;

		if (want > RAW_READ_CHUNK && r->end - r->pos + RAW_READ_CHUNK >= n)
			want = RAW_READ_CHUNK;
		got = read(r->fd, r->buf + r->end, want);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			r->eof = true;
		else
			r->end += (size_t)got;
	}
	return r->end - r->pos >= n;
}

struct adi_raw_reader *adi_raw_reader_open(const char *path)
{
	struct adi_raw_reader *r = calloc(1, sizeof(*r));
	struct stat st;

	if (!r)
		return NULL;
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0)
		goto fail;
	/* a regular file is mapped: records are then read where the page
	 * cache holds them, without copying (a third of a replay's time was
	 * the copy out of the page cache) */
	if (fstat(r->fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (uint64_t)st.st_size <= SIZE_MAX) {
		void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, r->fd, 0);

		if (m != MAP_FAILED) {
			madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
			r->buf = m;
			r->cap = r->end = (size_t)st.st_size;
			r->eof = r->mapped = true;
		}
	}
	if (!r->mapped) {
		r->cap = RAW_REC_MAX + RAW_READ_CHUNK + 4;
		r->buf = malloc(r->cap);
		if (!r->buf)
			goto fail;
	}
	if (!raw_fill(r, 8) || memcmp(r->buf, ADI_RAW_MAGIC, 8)) {
		errno = EINVAL;
		goto fail;
	}
	r->pos = 8;
	return r;
fail:
	{
		int e = errno;

		adi_raw_reader_free(r);
		errno = e;
	}
	return NULL;
}

int adi_raw_reader_next(struct adi_raw_reader *r, struct adi_raw_event *ev)
{
	const struct adi_raw_fixed *fx;
	const uint8_t *le, *rec;
	uint32_t len;

	if (!raw_fill(r, 4))
		return r->end == r->pos ? 0 : -EINVAL;
	le = r->buf + r->pos;
	len = le[0] | le[1] << 8 | le[2] << 16 | (uint32_t)le[3] << 24;
	if (len < sizeof(*fx) || len > RAW_REC_MAX)
		return -EINVAL;
	if (!raw_fill(r, 4 + (size_t)len))
		return -EINVAL;
	rec = r->buf + r->pos + 4;
	r->pos += 4 + (size_t)len;
	memcpy(&ev->f, rec, sizeof(ev->f)); /* rec may be unaligned */
	if ((uint64_t)sizeof(*fx) + ev->f.data_len + ev->f.path_len + ev->f.path2_len != len)
		return -EINVAL;
	ev->data = rec + sizeof(*fx);
	ev->path = (const char *)ev->data + ev->f.data_len;
	ev->path2 = ev->path + ev->f.path_len;
	return 1;
}

void adi_raw_reader_free(struct adi_raw_reader *r)
{
	if (!r)
		return;
	if (r->fd >= 0) /* set by open() right after calloc: -1 or an fd */
		close(r->fd);
	if (r->mapped)
		munmap(r->buf, r->cap);
	else
		free(r->buf);
	free(r);
}

static const char *const op_names[ADI_OP__COUNT] = {
	[ADI_OP_NONE] = "none",
	[ADI_OP_READ] = "read", [ADI_OP_WRITE] = "write",
	[ADI_OP_PREAD64] = "pread64", [ADI_OP_PWRITE64] = "pwrite64",
	[ADI_OP_READV] = "readv", [ADI_OP_WRITEV] = "writev",
	[ADI_OP_PREADV] = "preadv", [ADI_OP_PWRITEV] = "pwritev",
	[ADI_OP_PREADV2] = "preadv2", [ADI_OP_PWRITEV2] = "pwritev2",
	[ADI_OP_SENDTO] = "sendto", [ADI_OP_RECVFROM] = "recvfrom",
	[ADI_OP_SENDMSG] = "sendmsg", [ADI_OP_RECVMSG] = "recvmsg",
	[ADI_OP_SENDMMSG] = "sendmmsg", [ADI_OP_RECVMMSG] = "recvmmsg",
	[ADI_OP_SENDFILE] = "sendfile", [ADI_OP_COPY_FILE_RANGE] = "copy_file_range",
	[ADI_OP_SPLICE] = "splice",
	[ADI_OP_OPEN] = "open", [ADI_OP_OPENAT] = "openat",
	[ADI_OP_OPENAT2] = "openat2", [ADI_OP_CREAT] = "creat",
	[ADI_OP_UNLINK] = "unlink", [ADI_OP_UNLINKAT] = "unlinkat",
	[ADI_OP_RENAME] = "rename", [ADI_OP_RENAMEAT] = "renameat",
	[ADI_OP_RENAMEAT2] = "renameat2", [ADI_OP_MKDIR] = "mkdir",
	[ADI_OP_MKDIRAT] = "mkdirat", [ADI_OP_RMDIR] = "rmdir",
	[ADI_OP_TRUNCATE] = "truncate", [ADI_OP_FTRUNCATE] = "ftruncate",
	[ADI_OP_CHMOD] = "chmod", [ADI_OP_FCHMOD] = "fchmod",
	[ADI_OP_FCHMODAT] = "fchmodat", [ADI_OP_CHOWN] = "chown",
	[ADI_OP_FCHOWN] = "fchown", [ADI_OP_LCHOWN] = "lchown",
	[ADI_OP_FCHOWNAT] = "fchownat", [ADI_OP_LINK] = "link",
	[ADI_OP_LINKAT] = "linkat", [ADI_OP_SYMLINK] = "symlink",
	[ADI_OP_SYMLINKAT] = "symlinkat", [ADI_OP_CHDIR] = "chdir",
	[ADI_OP_FCHDIR] = "fchdir",
	[ADI_OP_SOCKET] = "socket", [ADI_OP_CONNECT] = "connect",
	[ADI_OP_ACCEPT] = "accept", [ADI_OP_ACCEPT4] = "accept4",
	[ADI_OP_SHUTDOWN] = "shutdown", [ADI_OP_SO_ERROR] = "so_error",
	[ADI_OP_CLOSE] = "close", [ADI_OP_DUP] = "dup", [ADI_OP_DUP2] = "dup2",
	[ADI_OP_DUP3] = "dup3", [ADI_OP_FCNTL] = "fcntl",
	[ADI_OP_CLOSE_RANGE] = "close_range", [ADI_OP_PIPE] = "pipe",
	[ADI_OP_PIPE2] = "pipe2",
	[ADI_OP_FORK] = "fork", [ADI_OP_EXEC] = "exec", [ADI_OP_EXIT] = "exit",
};

const char *adi_op_name(unsigned op)
{
	return op < ADI_OP__COUNT && op_names[op] ? op_names[op] : "?";
}
