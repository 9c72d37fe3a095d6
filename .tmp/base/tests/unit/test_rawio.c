/* test_rawio.c - unit tests of the --save-raw file (src/core/rawio.c,
 * docs/raw-format.md): events written with adi_raw_write_header and
 * adi_raw_write read back field for field and byte for byte; files that are
 * not ours, truncated at every offset, or whose record lengths disagree are
 * refused; write errors are reported; operation names.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/raw_event.h"

#define MAGIC_LEN 8

/* ---- helpers ---- */

/* A fresh temporary file name (the file exists, empty). */
static char *tmp_path(void)
{
	char *p = strdup("/tmp/adi-test-rawio-XXXXXX");
	int fd;

	assert_non_null(p);
	fd = mkstemp(p);
	assert_true(fd >= 0);
	close(fd);
	return p;
}

static void write_bytes(const char *path, const void *b, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	if (n)
		assert_int_equal(fwrite(b, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* The whole file, malloc'd; *n its size. */
static uint8_t *read_all(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b;
	long sz;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	sz = ftell(f);
	assert_true(sz >= 0);
	rewind(f);
	b = malloc((size_t)sz + 1);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, (size_t)sz, f), (size_t)sz);
	fclose(f);
	*n = (size_t)sz;
	return b;
}

/* An event whose fixed part is a byte pattern (every field, padding
 * included, gets a distinct non-zero value), with the given variable parts. */
static struct adi_raw_event pattern_event(uint8_t seed, const void *data, uint32_t dlen,
					  const char *path, uint32_t plen,
					  const char *path2, uint32_t p2len)
{
	struct adi_raw_event ev;
	uint8_t *p = (uint8_t *)&ev.f;

	for (size_t i = 0; i < sizeof(ev.f); i++)
		p[i] = (uint8_t)(seed + 31 * i + 1);
	ev.f.data_len = dlen;
	ev.f.path_len = plen;
	ev.f.path2_len = p2len;
	ev.data = data;
	ev.path = path;
	ev.path2 = path2;
	return ev;
}

static void expect_same(const struct adi_raw_event *got, const struct adi_raw_event *want)
{
	assert_memory_equal(&got->f, &want->f, sizeof(got->f));
	if (want->f.data_len)
		assert_memory_equal(got->data, want->data, want->f.data_len);
	if (want->f.path_len)
		assert_memory_equal(got->path, want->path, want->f.path_len);
	if (want->f.path2_len)
		assert_memory_equal(got->path2, want->path2, want->f.path2_len);
}

/* Four events of different shapes, written after the header; the last
 * is large enough that its length needs two bytes. */
static const uint8_t payload[] = { 'h', 'i', 0, 0xff, 0x80, '\n', 'x' };
static const char path_a[] = "/home/u/a.txt";
static const char path_b[] = "../b";
static const uint8_t sockaddr_b[] = { 2, 0, 0x1f, 0x90, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0 };

static uint8_t big[3000];

static void make_events(struct adi_raw_event ev[4])
{
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	ev[0] = pattern_event(1, payload, sizeof(payload), NULL, 0, NULL, 0);
	ev[1] = pattern_event(2, NULL, 0, path_a, sizeof(path_a) - 1, path_b, sizeof(path_b) - 1);
	ev[2] = pattern_event(3, "ls\0-l\0", 6, path_a, 5, (const char *)sockaddr_b,
			      sizeof(sockaddr_b));
	ev[3] = pattern_event(4, big, sizeof(big), (const char *)big + 1, 1000, NULL, 0);
}

static size_t rec_len(const struct adi_raw_event *ev)
{
	return 4 + sizeof(ev->f) + ev->f.data_len + ev->f.path_len + ev->f.path2_len;
}

static char *write_file(const struct adi_raw_event *ev, int n)
{
	char *path = tmp_path();
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(adi_raw_write_header(f), 0);
	for (int i = 0; i < n; i++)
		assert_int_equal(adi_raw_write(f, &ev[i]), 0);
	assert_int_equal(fclose(f), 0);
	return path;
}

/* ---- tests ---- */

static void test_roundtrip(void **state)
{
	struct adi_raw_event ev[4], got;
	struct adi_raw_reader *r;
	char *path;
	uint8_t *b;
	size_t n;

	(void)state;
	make_events(ev);
	path = write_file(ev, 4);

	/* the layout of docs/raw-format.md */
	b = read_all(path, &n);
	assert_int_equal(n, MAGIC_LEN + rec_len(&ev[0]) + rec_len(&ev[1]) + rec_len(&ev[2]) +
			    rec_len(&ev[3]));
	assert_memory_equal(b, "ADIRAW1\n", MAGIC_LEN);
	{
		uint32_t len = b[8] | b[9] << 8 | b[10] << 16 | (uint32_t)b[11] << 24;

		assert_int_equal(len, sizeof(ev[0].f) + sizeof(payload));
		assert_memory_equal(b + 12, &ev[0].f, sizeof(ev[0].f));
		assert_memory_equal(b + 12 + sizeof(ev[0].f), payload, sizeof(payload));
	}
	{
		size_t off = n - rec_len(&ev[3]);
		uint32_t len = b[off] | b[off + 1] << 8 | b[off + 2] << 16 |
			       (uint32_t)b[off + 3] << 24;

		assert_int_equal(len, sizeof(ev[3].f) + sizeof(big) + 1000);
		assert_true(len > 0xff);
	}
	free(b);

	r = adi_raw_reader_open(path);
	assert_non_null(r);
	for (int i = 0; i < 4; i++) {
		memset(&got, 0, sizeof(got));
		assert_int_equal(adi_raw_reader_next(r, &got), 1);
		expect_same(&got, &ev[i]);
	}
	assert_int_equal(adi_raw_reader_next(r, &got), 0);
	assert_int_equal(adi_raw_reader_next(r, &got), 0); /* and stays at the end */
	adi_raw_reader_free(r);
	unlink(path);
	free(path);
}

static void test_empty_trace(void **state)
{
	struct adi_raw_reader *r;
	struct adi_raw_event got;
	char *path = write_file(NULL, 0);

	(void)state;
	r = adi_raw_reader_open(path);
	assert_non_null(r);
	assert_int_equal(adi_raw_reader_next(r, &got), 0);
	adi_raw_reader_free(r);
	adi_raw_reader_free(NULL);
	unlink(path);
	free(path);
}

static void test_null_pointers_written_empty(void **state)
{
	/* lengths without bytes behind them are written as 0 */
	struct adi_raw_event ev = pattern_event(9, NULL, 5, NULL, 6, NULL, 7), got, want;
	struct adi_raw_reader *r;
	char *path = write_file(&ev, 1);

	(void)state;
	want = ev;
	want.f.data_len = want.f.path_len = want.f.path2_len = 0;
	r = adi_raw_reader_open(path);
	assert_non_null(r);
	assert_int_equal(adi_raw_reader_next(r, &got), 1);
	expect_same(&got, &want);
	assert_int_equal(adi_raw_reader_next(r, &got), 0);
	adi_raw_reader_free(r);
	unlink(path);
	free(path);
}

static void test_not_ours(void **state)
{
	static const struct {
		const char *bytes;
		size_t n;
	} cases[] = {
		{ "ADIRAW2\n", 8 },
		{ "adiraw1\n\0\0\0\0", 12 },
		{ "ADIRAW1", 7 },   /* short magic */
		{ "ADI", 3 },
		{ "", 0 },          /* empty file */
	};
	char *path = tmp_path();

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_bytes(path, cases[i].bytes, cases[i].n);
		errno = 0;
		assert_null(adi_raw_reader_open(path));
		assert_int_equal(errno, EINVAL);
	}
	unlink(path);
	errno = 0;
	assert_null(adi_raw_reader_open(path)); /* gone */
	assert_int_equal(errno, ENOENT);
	free(path);
}

/* Cut after the first record at every offset of the second: the first is
 * still read, then -EINVAL (and never a partial record). */
static void test_truncated_every_offset(void **state)
{
	struct adi_raw_event ev[4], got;
	char *path, *cut = tmp_path();
	uint8_t *b;
	size_t n, first_end, second_end;

	(void)state;
	make_events(ev);
	path = write_file(ev, 4);
	b = read_all(path, &n);
	first_end = MAGIC_LEN + rec_len(&ev[0]);
	second_end = first_end + rec_len(&ev[1]);
	for (size_t len = first_end; len <= second_end; len++) {
		struct adi_raw_reader *r;

		write_bytes(cut, b, len);
		r = adi_raw_reader_open(cut);
		assert_non_null(r);
		assert_int_equal(adi_raw_reader_next(r, &got), 1);
		expect_same(&got, &ev[0]);
		if (len == first_end) {
			assert_int_equal(adi_raw_reader_next(r, &got), 0); /* clean end */
		} else if (len == second_end) {
			assert_int_equal(adi_raw_reader_next(r, &got), 1);
			expect_same(&got, &ev[1]);
			assert_int_equal(adi_raw_reader_next(r, &got), 0);
		} else {
			assert_int_equal(adi_raw_reader_next(r, &got), -EINVAL);
		}
		adi_raw_reader_free(r);
	}
	free(b);
	unlink(cut);
	unlink(path);
	free(cut);
	free(path);
}

/* A capture that is not a regular file (a pipe: `replay /dev/stdin`) is
 * read in pieces instead of mapped: records cross piece boundaries, and a
 * cut at the end is still reported. A child writes n bytes of b into the
 * pipe while the reader reads it through /proc/self/fd. */
static void read_through_pipe(const uint8_t *b, size_t n, int want_records, int want_end)
{
	struct adi_raw_event ev[4], got;
	struct adi_raw_reader *r;
	char path[64];
	int fds[2], i = 0, rc, status;
	pid_t pid;

	make_events(ev);
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		for (size_t off = 0; off < n;) {
			ssize_t w = write(fds[1], b + off, n - off);

			if (w <= 0)
				_exit(1);
			off += (size_t)w;
		}
		_exit(0);
	}
	close(fds[1]);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[0]);
	r = adi_raw_reader_open(path);
	assert_non_null(r);
	while ((rc = adi_raw_reader_next(r, &got)) == 1) {
		expect_same(&got, &ev[i % 4]);
		i++;
	}
	assert_int_equal(i, want_records);
	assert_int_equal(rc, want_end);
	adi_raw_reader_free(r);
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
}

static void test_pipe(void **state)
{
	struct adi_raw_event ev[4];
	enum { REPS = 300 }; /* ~1.3 MB: several read pieces */
	char *path = tmp_path();
	FILE *f = fopen(path, "wb");
	uint8_t *b;
	size_t n;

	(void)state;
	make_events(ev);
	assert_non_null(f);
	assert_int_equal(adi_raw_write_header(f), 0);
	for (int k = 0; k < REPS; k++)
		for (int i = 0; i < 4; i++)
			assert_int_equal(adi_raw_write(f, &ev[i]), 0);
	assert_int_equal(fclose(f), 0);
	b = read_all(path, &n);
	assert_true(n > 1000000);
	read_through_pipe(b, n, 4 * REPS, 0);
	/* cut inside the last record: all before it, then the damage */
	read_through_pipe(b, n - 10, 4 * REPS - 1, -EINVAL);
	free(b);
	unlink(path);
	free(path);
}

/* Rewrite a 4-byte little-endian value at off in a copy of the file. */
static void patch_u32(uint8_t *b, size_t off, uint32_t v)
{
	b[off] = (uint8_t)v;
	b[off + 1] = (uint8_t)(v >> 8);
	b[off + 2] = (uint8_t)(v >> 16);
	b[off + 3] = (uint8_t)(v >> 24);
}

static void expect_corrupt(const char *path, const uint8_t *b, size_t n, int intact)
{
	struct adi_raw_event got;
	struct adi_raw_reader *r;

	write_bytes(path, b, n);
	r = adi_raw_reader_open(path);
	assert_non_null(r);
	for (int i = 0; i < intact; i++)
		assert_int_equal(adi_raw_reader_next(r, &got), 1);
	assert_int_equal(adi_raw_reader_next(r, &got), -EINVAL);
	adi_raw_reader_free(r);
}

static void test_length_disagrees(void **state)
{
	struct adi_raw_event ev[4];
	char *path, *bad = tmp_path();
	uint8_t *b, *c;
	size_t n, rec1 = MAGIC_LEN, rec2;
	size_t fixed = sizeof(struct adi_raw_fixed);
	size_t dlen_off = offsetof(struct adi_raw_fixed, data_len);
	size_t plen_off = offsetof(struct adi_raw_fixed, path_len);

	(void)state;
	make_events(ev);
	path = write_file(ev, 4);
	b = read_all(path, &n);
	rec2 = rec1 + rec_len(&ev[0]);
	c = malloc(n + 16);
	assert_non_null(c);

	/* the record length says one byte more than its parts */
	memcpy(c, b, n);
	patch_u32(c, rec2, (uint32_t)(rec_len(&ev[1]) - 4 + 1));
	expect_corrupt(bad, c, n, 1);
	/* ... or one byte less */
	memcpy(c, b, n);
	patch_u32(c, rec2, (uint32_t)(rec_len(&ev[1]) - 4 - 1));
	expect_corrupt(bad, c, n, 1);
	/* a part length grows, the record length does not */
	memcpy(c, b, n);
	patch_u32(c, rec2 + 4 + plen_off, ev[1].f.path_len + 1);
	expect_corrupt(bad, c, n, 1);
	memcpy(c, b, n);
	patch_u32(c, rec1 + 4 + dlen_off, ev[0].f.data_len - 1);
	expect_corrupt(bad, c, n, 0);
	/* part lengths that wrap a 32-bit sum back to the record length */
	memcpy(c, b, n);
	patch_u32(c, rec1 + 4 + dlen_off, ev[0].f.data_len + 0x80000000u);
	patch_u32(c, rec1 + 4 + plen_off, 0x80000000u);
	expect_corrupt(bad, c, n, 0);
	/* shorter than the fixed part, and absurdly long */
	memcpy(c, b, n);
	patch_u32(c, rec1, (uint32_t)fixed - 1);
	expect_corrupt(bad, c, n, 0);
	memcpy(c, b, n);
	patch_u32(c, rec1, UINT32_MAX);
	expect_corrupt(bad, c, n, 0);
	/* a stray byte after the last record: a truncated length prefix */
	memcpy(c, b, n);
	c[n] = 0;
	expect_corrupt(bad, c, n + 1, 4);

	free(c);
	free(b);
	unlink(bad);
	unlink(path);
	free(bad);
	free(path);
}

static void test_write_errors(void **state)
{
	struct adi_raw_event ev[4];
	FILE *f = fopen("/dev/full", "wb");

	(void)state;
	if (!f)
		skip();
	make_events(ev);
	setvbuf(f, NULL, _IONBF, 0);
	assert_int_equal(adi_raw_write_header(f), -ENOSPC);
	clearerr(f);
	assert_int_equal(adi_raw_write(f, &ev[0]), -ENOSPC);
	fclose(f);
}

static void test_op_names(void **state)
{
	(void)state;
	assert_string_equal(adi_op_name(ADI_OP_NONE), "none");
	assert_string_equal(adi_op_name(ADI_OP_READ), "read");
	assert_string_equal(adi_op_name(ADI_OP_OPENAT), "openat");
	assert_string_equal(adi_op_name(ADI_OP_SO_ERROR), "so_error");
	assert_string_equal(adi_op_name(ADI_OP_CLOSE_RANGE), "close_range");
	assert_string_equal(adi_op_name(ADI_OP_EXIT), "exit");
	assert_string_equal(adi_op_name(ADI_OP__COUNT), "?");
	assert_string_equal(adi_op_name(UINT32_MAX), "?");
	for (unsigned op = 0; op < ADI_OP__COUNT; op++)
		assert_string_not_equal(adi_op_name(op), "?"); /* every op is named */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_empty_trace),
		cmocka_unit_test(test_null_pointers_written_empty),
		cmocka_unit_test(test_not_ours),
		cmocka_unit_test(test_truncated_every_offset),
		cmocka_unit_test(test_pipe),
		cmocka_unit_test(test_length_disagrees),
		cmocka_unit_test(test_write_errors),
		cmocka_unit_test(test_op_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
