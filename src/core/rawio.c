/* rawio.c - the --save-raw file: writing and reading normalized raw events
 * (format in docs/raw-format.md), and the names of the operations. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "raw_event.h"

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

struct adi_raw_reader {
	FILE *f;
	uint8_t *buf;
};

struct adi_raw_reader *adi_raw_reader_open(const char *path)
{
	struct adi_raw_reader *r = calloc(1, sizeof(*r));
	char magic[8];

	if (!r)
		return NULL;
	r->f = fopen(path, "rb");
	if (!r->f)
		goto fail;
	/* big reads: a capture is read front to back, often gigabytes */
	setvbuf(r->f, NULL, _IOFBF, 1u << 20);
	if (fread(magic, 1, 8, r->f) != 8 || memcmp(magic, ADI_RAW_MAGIC, 8)) {
		errno = EINVAL;
		goto fail;
	}
	r->buf = malloc(RAW_REC_MAX);
	if (!r->buf)
		goto fail;
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
	uint8_t le[4];
	uint32_t len;
	size_t n = fread(le, 1, 4, r->f);
	const struct adi_raw_fixed *fx;

	if (n == 0 && feof(r->f))
		return 0;
	if (n != 4)
		return -EINVAL;
	len = le[0] | le[1] << 8 | le[2] << 16 | (uint32_t)le[3] << 24;
	if (len < sizeof(*fx) || len > RAW_REC_MAX)
		return -EINVAL;
	if (fread(r->buf, 1, len, r->f) != len)
		return -EINVAL;
	fx = (const struct adi_raw_fixed *)r->buf;
	if ((uint64_t)sizeof(*fx) + fx->data_len + fx->path_len + fx->path2_len != len)
		return -EINVAL;
	memcpy(&ev->f, fx, sizeof(*fx));
	ev->data = r->buf + sizeof(*fx);
	ev->path = (const char *)ev->data + fx->data_len;
	ev->path2 = ev->path + fx->path_len;
	return 1;
}

void adi_raw_reader_free(struct adi_raw_reader *r)
{
	if (!r)
		return;
	if (r->f)
		fclose(r->f);
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
