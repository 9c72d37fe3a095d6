/* test_outfile.c - unit tests of src/lib/outfile.c: a stream opened with
 * adi_fopen_out writes every byte, in order, in /tmp (a disk file system
 * on these VMs: uncached writes), on tmpfs (/dev/shm: the kernel refuses
 * them once and the rest goes through write(2)) and to a device (a plain
 * stream); the cached start and the fallback of adi_out_write; an
 * unwritable path's error. The expected bytes are the test's own pattern.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/outfile.h"

#define PATTERN_BYTES (3u << 20) /* three buffers of 1 MiB and a part */

static uint8_t pattern_byte(size_t i)
{
	return (uint8_t)(i * 131 + (i >> 12));
}

/* PATTERN_BYTES of the pattern through a stream on path (uncached past
 * `cached` bytes), in pieces of odd sizes, then read back whole. */
static void write_and_read_back(const char *path, uint64_t cached)
{
	static char buf[1 << 20];
	static uint8_t chunk[70001], back[PATTERN_BYTES + 1];
	size_t off = 0, piece = 1;
	FILE *f = adi_fopen_out(path, buf, sizeof(buf), cached);
	int fd;

	assert_non_null(f);
	assert_int_equal(fileno(f), -1); /* a regular file: the cookie stream */
	while (off < PATTERN_BYTES) {
		size_t n = piece < PATTERN_BYTES - off ? piece : PATTERN_BYTES - off;

		for (size_t i = 0; i < n; i++)
			chunk[i] = pattern_byte(off + i);
		assert_int_equal(fwrite(chunk, 1, n, f), n);
		off += n;
		piece = piece * 7 % sizeof(chunk) + 1;
	}
	assert_int_equal(fclose(f), 0);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	off = 0;
	for (ssize_t k; (k = read(fd, back + off, sizeof(back) - off)) > 0;)
		off += (size_t)k;
	close(fd);
	assert_int_equal(off, PATTERN_BYTES);
	for (size_t i = 0; i < PATTERN_BYTES; i++)
		if (back[i] != pattern_byte(i))
			fail_msg("%s: byte %zu is %u, not %u", path, i, back[i], pattern_byte(i));
	unlink(path);
}

/* write_and_read_back on a new file of its own in dir. */
static void in_dir(const char *dir, uint64_t cached)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "%s/adi-test-outfile-XXXXXX", dir);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	write_and_read_back(path, cached);
}

static void test_tmp(void **state)
{
	(void)state;
	in_dir("/tmp", 0);       /* uncached from the start */
	in_dir("/tmp", 1u << 20); /* after a cached MiB */
}

static void test_tmpfs(void **state)
{
	(void)state;
	in_dir("/dev/shm", 0);
}

/* The first `cached` bytes go through write(2) without asking; past them
 * an uncached write is tried, and tmpfs's refusal ends the trying: the
 * bytes are written all the same. */
static void test_cached_then_refused(void **state)
{
	char path[] = "/dev/shm/adi-test-outfile-XXXXXX";
	int fd = mkstemp(path);
	struct adi_out_state st;
	char back[12];

	(void)state;
	assert_true(fd >= 0);
	adi_out_state_init(&st, fd, 8);
	assert_true(st.try_uncached); /* a regular file */
	assert_int_equal(adi_out_write(fd, "abcd", 4, &st), 4);
	assert_int_equal(adi_out_write(fd, "efgh", 4, &st), 4);
	assert_true(st.try_uncached); /* not tried yet: 8 bytes cached */
	assert_int_equal(adi_out_write(fd, "ijkl", 4, &st), 4);
	assert_false(st.try_uncached); /* tried, refused, written */
	assert_int_equal(st.written, 12);
	assert_int_equal(pread(fd, back, sizeof(back), 0), 12);
	assert_memory_equal(back, "abcdefghijkl", 12);
	close(fd);
	unlink(path);
}

/* Not a regular file: a plain stream over its descriptor. A path that
 * cannot be created: NULL and its errno. */
static void test_device_and_error(void **state)
{
	static char buf[4096];
	FILE *f = adi_fopen_out("/dev/null", buf, sizeof(buf), 0);
	int fd = open("/dev/null", O_WRONLY);
	struct adi_out_state st;

	(void)state;
	assert_non_null(f);
	assert_true(fileno(f) >= 0);
	assert_int_equal(fwrite("x", 1, 1, f), 1);
	assert_int_equal(fclose(f), 0);
	assert_true(fd >= 0);
	adi_out_state_init(&st, fd, 0);
	assert_false(st.try_uncached);
	close(fd);
	errno = 0;
	assert_null(adi_fopen_out("/nonexistent-dir/adi/out", buf, sizeof(buf), 0));
	assert_int_equal(errno, ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tmp),
		cmocka_unit_test(test_tmpfs),
		cmocka_unit_test(test_cached_then_refused),
		cmocka_unit_test(test_device_and_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
