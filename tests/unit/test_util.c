/* test_util.c - unit tests of src/lib/util.c: errno and flag names, mode,
 * time formatting, UTF-8 validation, base64 (RFC 4648 vectors), sizes and
 * lexical path joining. Expected values are worked out by hand.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* O_TMPFILE, O_PATH, setenv */
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "lib/util.h"

/* A value and the text a formatter must make of it. */
struct fmt_case {
	uint64_t v;
	const char *want;
};

/* fmt(c.v, buf, bufsz) is c.want for each case c of the array cases; the
 * buffer has the size the test chose (a tight one shows nothing needs more). */
#define EXPECT_FMT(fmt, cases, bufsz)                                            \
	do {                                                                     \
		char buf_[bufsz];                                                \
		for (size_t i_ = 0; i_ < sizeof(cases) / sizeof(cases[0]); i_++)  \
			assert_string_equal(fmt(cases[i_].v, buf_, sizeof(buf_)), \
					    cases[i_].want);                       \
	} while (0)

static void test_errno_names(void **state)
{
	static const struct { int e; const char *want; } names[] = {
		{ 2, "ENOENT" }, { -2, "ENOENT" }, { 1, "EPERM" }, { 11, "EAGAIN" },
		{ 7, "E2BIG" }, { 28, "ENOSPC" }, { 35, "EDEADLK" }, { 95, "EOPNOTSUPP" },
		{ 111, "ECONNREFUSED" }, { -111, "ECONNREFUSED" }, { 115, "EINPROGRESS" },
		{ 133, "EHWPOISON" },
		/* kernel-internal codes a sys_exit tracepoint can see */
		{ -512, "ERESTARTSYS" }, { 517, "EPROBE_DEFER" },
		/* unknown values come back as E<number> in buf */
		{ 9999, "E9999" }, { -9999, "E9999" }, { 0, "E0" }, { 520, "E520" },
		{ INT_MIN, "E2147483648" },
	};
	char buf[32];

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_string_equal(adi_errno_name(names[i].e, buf, sizeof(buf)), names[i].want);
	assert_ptr_equal(adi_errno_name(9999, buf, sizeof(buf)), buf);
}

/* Every value from EPERM to EHWPOISON has a name, except the two numbers
 * Linux leaves unused on x86 (41, 58 - where EWOULDBLOCK and EDEADLOCK
 * would have gone). */
static void test_errno_table_complete(void **state)
{
	char buf[32], num[32];

	(void)state;
	for (int e = 1; e <= 133; e++) {
		const char *n = adi_errno_name(e, buf, sizeof(buf));

		snprintf(num, sizeof(num), "E%d", e);
#if defined(__x86_64__) || defined(__i386__)
		if (e == 41 || e == 58) {
			assert_string_equal(n, num);
			continue;
		}
#endif
		assert_string_not_equal(n, num);
		assert_true(n[0] == 'E');
	}
}

static void test_open_flags(void **state)
{
	static const struct fmt_case flags[] = {
		{ O_RDONLY, "O_RDONLY" },
		{ O_WRONLY | O_CREAT | O_TRUNC, "O_WRONLY|O_CREAT|O_TRUNC" },
		{ O_RDONLY | O_CLOEXEC, "O_RDONLY|O_CLOEXEC" },
		{ O_RDWR | O_APPEND | O_CLOEXEC, "O_RDWR|O_APPEND|O_CLOEXEC" },
		/* the order is fixed, whatever order the caller thinks of */
		{ O_CLOEXEC | O_EXCL | O_CREAT | O_WRONLY, "O_WRONLY|O_CREAT|O_EXCL|O_CLOEXEC" },
		/* O_TMPFILE includes O_DIRECTORY, O_SYNC includes O_DSYNC */
		{ O_TMPFILE | O_RDWR, "O_RDWR|O_TMPFILE" },
		{ O_DIRECTORY, "O_RDONLY|O_DIRECTORY" },
		{ O_SYNC | O_WRONLY, "O_WRONLY|O_SYNC" },
		{ O_DSYNC | O_WRONLY, "O_WRONLY|O_DSYNC" },
		{ O_PATH | O_NOFOLLOW | O_DIRECTORY, "O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_PATH" },
		{ O_NONBLOCK | O_NOCTTY | O_RDWR, "O_RDWR|O_NOCTTY|O_NONBLOCK" },
		/* unknown bits last, in hex */
		{ O_WRONLY | 0x80000000u, "O_WRONLY|0x80000000" },
		/* the access mode value 3 */
		{ 3, "O_ACCMODE" },
	};
	char buf[256];

	(void)state;
	EXPECT_FMT(adi_open_flags_str, flags, 256);
	/* a short buffer truncates but stays terminated */
	assert_string_equal(adi_open_flags_str(O_WRONLY | O_CREAT, buf, 10), "O_WRONLY|");
}

#if defined(__x86_64__)
/* The raw x86_64 kernel values, as the eBPF side sees them. */
static void test_open_flags_x86_64_values(void **state)
{
	static const struct fmt_case flags[] = {
		{ 01101, "O_WRONLY|O_CREAT|O_TRUNC" },
		{ 02000000, "O_RDONLY|O_CLOEXEC" },
		{ 020200002, "O_RDWR|O_TMPFILE" },
		/* glibc's O_LARGEFILE is 0 on LP64; 32-bit tasks send 0100000 */
		{ 0100000, "O_RDONLY|O_LARGEFILE" },
		/* __O_TMPFILE without O_DIRECTORY is not O_TMPFILE */
		{ 020000000, "O_RDONLY|0x400000" },
	};

	(void)state;
	EXPECT_FMT(adi_open_flags_str, flags, 256);
}
#endif

static void test_mode(void **state)
{
	static const struct fmt_case modes[] = {
		{ 0644, "0644" }, { 04755, "4755" }, { 0, "0000" },
		{ 0100600, "0600" }, /* S_IFREG */
		{ 07777, "7777" },
	};

	(void)state;
	EXPECT_FMT(adi_mode_str, modes, 8);
}

static void test_u64_dec(void **state)
{
	char buf[24];

	(void)state;
	*adi_u64_dec(buf, 0) = 0;
	assert_string_equal(buf, "0");
	*adi_u64_dec(buf, 1000) = 0;
	assert_string_equal(buf, "1000");
	*adi_u64_dec(buf, UINT64_MAX) = 0;
	assert_string_equal(buf, "18446744073709551615");
	/* every length, against printf */
	for (uint64_t v = 1, k = 0; k < 20; k++, v *= 10)
		for (uint64_t d = 0; d < 3; d++) {
			char want[32];
			uint64_t x = v - 1 + d * (v / 3 + 1);

			snprintf(want, sizeof(want), "%llu", (unsigned long long)x);
			*adi_u64_dec(buf, x) = 0;
			assert_string_equal(buf, want);
		}
}

/* ts_ns through the per-second memo: the digits printf writes, for times
 * in one second, the next, at second 0, and without a memo */
static void test_ts_dec_memo(void **state)
{
	static const uint64_t ts[] = {
		1796652371583997712ull, 1796652371000000000ull, 1796652371000000009ull,
		1796652372999999999ull, 1796652371583997713ull, 0, 7, 999999999ull,
		1000000000ull, 1000000001ull, 12345678901ull, UINT64_MAX,
	};
	struct adi_rfc3339_memo memo = { 0 };
	char want[32], got[32], ns9[16];

	(void)state;
	for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
		snprintf(want, sizeof(want), "%llu", (unsigned long long)ts[i]);
		*adi_ts_dec_memo(&memo, got, ts[i], NULL) = 0;
		assert_string_equal(got, want);
		*adi_ts_dec_memo(NULL, got, ts[i], NULL) = 0;
		assert_string_equal(got, want);
		/* the nine digits handed in (a timestamp's fraction) */
		snprintf(ns9, sizeof(ns9), "%09llu", (unsigned long long)(ts[i] % 1000000000u));
		*adi_ts_dec_memo(&memo, got, ts[i], ns9) = 0;
		assert_string_equal(got, want);
	}
}

/* adi_u64_dec_memo against printf, through runs that repeat a value, go up
 * by one across every carry (9, 99, 199, 999, UINT64_MAX - 1), jump, and
 * go down */
static void test_u64_dec_memo(void **state)
{
	static const uint64_t v[] = {
		0, 0, 1, 2, 9, 10, 11, 98, 99, 100, 101, 199, 200, 7593, 7593, 7594,
		998, 999, 1000, 1000, 5, 4, 99999999, 100000000, 18446744073709551613ull,
		18446744073709551614ull, 18446744073709551615ull, 0, 1,
	};
	struct adi_dec_memo memo = { 0 };
	char want[32], got[32];

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(want, sizeof(want), "%llu", (unsigned long long)v[i]);
		memset(got, 'x', sizeof(got));
		*adi_u64_dec_memo(&memo, got, v[i]) = 0;
		assert_string_equal(got, want);
		*adi_u64_dec_memo(NULL, got, v[i]) = 0;
		assert_string_equal(got, want);
	}
}

static void test_rfc3339(void **state)
{
	static const struct fmt_case times[] = {
		{ 0, "1970-01-01T00:00:00.000000000Z" },
		{ 1, "1970-01-01T00:00:00.000000001Z" },
		/* date -u -d @1795800705 -> 2026-11-27T17:31:45 */
		{ 1795800705123456789ull, "2026-11-27T17:31:45.123456789Z" },
		/* 2000-02-29 00:00:00 is 951782400; one ns before is the 28th */
		{ 951782400000000000ull, "2000-02-29T00:00:00.000000000Z" },
		{ 951782399999999999ull, "2000-02-28T23:59:59.999999999Z" },
	};

	(void)state;
	EXPECT_FMT(adi_rfc3339, times, 40);
	/* the calendar by arithmetic against the C library's, over the whole
	 * range of uint64 ns (1970 to 2554), a prime step apart */
	for (uint64_t sec = 0; sec < UINT64_MAX / 1000000000u; sec += 3999971) {
		time_t t = (time_t)sec;
		struct tm tm;
		char want[64], got[40];

		assert_non_null(gmtime_r(&t, &tm));
		snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.000000007Z",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec);
		assert_string_equal(adi_rfc3339(sec * 1000000000u + 7, got, sizeof(got)), want);
	}
}

/* The memo gives what the plain formatter gives, within a second, across
 * seconds, and back in time. */
static void test_rfc3339_memo(void **state)
{
	static const uint64_t ts[] = {
		1795800705123456789ull, 1795800705000000001ull, 1795800705999999999ull,
		1795800706000000000ull, 1795800705500000000ull, 0, 7, 951782399999999999ull,
		951782400000000000ull, 951782400000000000ull,
	};
	struct adi_rfc3339_memo memo = { 0 };
	char a[40], b[40];

	(void)state;
	for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++)
		assert_string_equal(adi_rfc3339_memo(&memo, ts[i], a, sizeof(a)),
				    adi_rfc3339(ts[i], b, sizeof(b)));
	assert_string_equal(adi_rfc3339_memo(NULL, ts[0], a, sizeof(a)),
			    "2026-11-27T17:31:45.123456789Z");
}

static void test_clock_str(void **state)
{
	char buf[32];
	/* 15:10:41 UTC on day 0 is 54641 s */
	uint64_t ts = 54641123456789ull;

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	assert_string_equal(adi_clock_str(ts, buf, sizeof(buf)), "15:10:41.123456");
	/* microseconds are truncated, never rounded up into the next second */
	assert_string_equal(adi_clock_str(59999999999ull, buf, sizeof(buf)), "00:00:59.999999");
	/* a POSIX TZ string needs no tzdata: EST5 is UTC-5 */
	setenv("TZ", "EST5", 1);
	tzset();
	assert_string_equal(adi_clock_str(ts, buf, sizeof(buf)), "10:10:41.123456");
	setenv("TZ", "UTC", 1);
	tzset();
}

static bool utf8(const char *s, size_t n)
{
	return adi_utf8_valid((const uint8_t *)s, n);
}

static void test_utf8(void **state)
{
	(void)state;
	assert_true(utf8("", 0));
	assert_true(utf8("abc", 3));
	assert_true(utf8("a\0b", 3));                 /* NUL is a valid character */
	assert_true(utf8("\xc3\xa9", 2));              /* U+00E9 */
	assert_true(utf8("\xe2\x82\xac", 3));          /* U+20AC */
	assert_true(utf8("\xf0\x9d\x84\x9e", 4));      /* U+1D11E */
	assert_true(utf8("\xed\x9f\xbf", 3));          /* U+D7FF, below surrogates */
	assert_true(utf8("\xee\x80\x80", 3));          /* U+E000, above surrogates */
	assert_true(utf8("\xf4\x8f\xbf\xbf", 4));      /* U+10FFFF */
	assert_true(utf8("\xc2\x80", 2));              /* U+0080, smallest 2-byte */
	assert_true(utf8("\xe0\xa0\x80", 3));          /* U+0800, smallest 3-byte */
	assert_true(utf8("\xf0\x90\x80\x80", 4));      /* U+10000, smallest 4-byte */
	/* overlong forms */
	assert_false(utf8("\xc0\xaf", 2));
	assert_false(utf8("\xc1\xbf", 2));
	assert_false(utf8("\xe0\x80\xaf", 3));
	assert_false(utf8("\xe0\x9f\xbf", 3));
	assert_false(utf8("\xf0\x80\x80\xaf", 4));
	assert_false(utf8("\xf0\x8f\xbf\xbf", 4));
	/* surrogates */
	assert_false(utf8("\xed\xa0\x80", 3));         /* U+D800 */
	assert_false(utf8("\xed\xbf\xbf", 3));         /* U+DFFF */
	/* above U+10FFFF */
	assert_false(utf8("\xf4\x90\x80\x80", 4));
	assert_false(utf8("\xf5\x80\x80\x80", 4));
	/* truncated sequences, also at the very end of the input */
	assert_false(utf8("\xe2\x82", 2));
	assert_false(utf8("ab\xe2\x82\xac", 4));
	assert_false(utf8("\xf0\x9d\x84", 3));
	assert_false(utf8("\xc3", 1));
	assert_false(utf8("\xc3x", 2));
	/* stray bytes */
	assert_false(utf8("\x80", 1));
	assert_false(utf8("a\xbf", 2));
	assert_false(utf8("\xfe", 1));
	assert_false(utf8("\xff", 1));
}

static void b64(const char *in, const char *want)
{
	char out[64];
	size_t n = strlen(in);

	assert_int_equal(adi_base64_len(n), strlen(want));
	assert_int_equal(adi_base64_encode((const uint8_t *)in, n, out), strlen(want));
	assert_string_equal(out, want);
}

static void test_base64(void **state)
{
	static const uint8_t bin[] = { 0xff, 0xfe, 0x00 };
	char out[16];

	(void)state;
	/* RFC 4648 section 10 */
	b64("", "");
	b64("f", "Zg==");
	b64("fo", "Zm8=");
	b64("foo", "Zm9v");
	b64("foob", "Zm9vYg==");
	b64("fooba", "Zm9vYmE=");
	b64("foobar", "Zm9vYmFy");
	/* 11111111 11111110 00000000 -> 63 63 56 0 -> "//4A" */
	assert_int_equal(adi_base64_encode(bin, 3, out), 4);
	assert_string_equal(out, "//4A");
	/* 0xfb 0xff -> 111110 111111 1111(00) -> "+/8=" */
	assert_int_equal(adi_base64_encode((const uint8_t *)"\xfb\xff", 2, out), 4);
	assert_string_equal(out, "+/8=");
}

static void test_size_str(void **state)
{
	static const struct fmt_case sizes[] = {
		{ 0, "0 B" }, { 3, "3 B" }, { 1023, "1023 B" }, { 1024, "1.0 KiB" },
		{ 2150, "2.1 KiB" }, /* 2.0996 */
		{ 5242880, "5.0 MiB" },
		/* 1048575 B is 1023.999 KiB: shown as 1.0 MiB, not "1024.0 KiB" */
		{ 1048575, "1.0 MiB" },
		{ 1073741824, "1.0 GiB" },
		{ UINT64_MAX, "16.0 EiB" },
	};

	(void)state;
	EXPECT_FMT(adi_size_str, sizes, 32);
}

static void join_ok(const char *base, const char *rel, const char *want)
{
	char out[256];

	assert_int_equal(adi_path_join(base, rel, out, sizeof(out)), 0);
	assert_string_equal(out, want);
}

static void test_path_join(void **state)
{
	char out[16];

	(void)state;
	join_ok("/home/u", "a.txt", "/home/u/a.txt");
	join_ok("/home/u/", "a.txt", "/home/u/a.txt");
	join_ok("/home/u", "../x", "/home/x");
	join_ok("/home/u", "../../../../x", "/x");   /* never above "/" */
	join_ok("/", "..", "/");
	join_ok("/a", "..", "/");
	join_ok("/a/b", "./c/./d", "/a/b/c/d");
	join_ok("/a/b", "c/", "/a/b/c");             /* no trailing "/" */
	join_ok("/a//b", "c//d", "/a/b/c/d");
	join_ok("/a", "//b///c//", "/b/c");          /* rel absolute: base unused */
	join_ok("/a/b", "/etc/../etc/./passwd", "/etc/passwd");
	join_ok("/a/b/", "", "/a/b");
	join_ok("/", "", "/");
	join_ok("/", ".", "/");
	join_ok("/", "...", "/...");                 /* not a special name */
	join_ok("/a", "..b/.c", "/a/..b/.c");
	join_ok("/x/./y/../z", "w", "/x/z/w");       /* the base is normalised too */

	/* "/abcdefgh" is 9 bytes + NUL: fits 10, not 9 */
	assert_int_equal(adi_path_join("/", "abcdefgh", out, 10), 0);
	assert_string_equal(out, "/abcdefgh");
	assert_int_equal(adi_path_join("/", "abcdefgh", out, 9), -ENAMETOOLONG);
	assert_int_equal(adi_path_join("/tmp", "x", out, 6), -ENAMETOOLONG);
	/* only the result has to fit, not the way there */
	assert_int_equal(adi_path_join("/", "aaaaaaaaaaaaaaaaaaaa/../b", out, 4), 0);
	assert_string_equal(out, "/b");
	assert_int_equal(adi_path_join("/", "aaaaaaaaaaaaaaaaaaaa/x/../../b", out, 4), 0);
	assert_string_equal(out, "/b");
	assert_int_equal(adi_path_join("/", "aaaaaaaaaaaaaaaaaaaa/x/../b", out, 4),
			 -ENAMETOOLONG);
	assert_int_equal(adi_path_join("/", "", out, 1), -ENAMETOOLONG);
	assert_int_equal(adi_path_join("/", NULL, out, sizeof(out)), -EINVAL);
}

/* Container ids in the cgroup paths of the common runtimes. */
static void test_container_id(void **state)
{
	static const char *const yes[][2] = {
		{ "/system.slice/docker-H.scope", "H" },
		{ "/docker/H", "H" },
		{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1f2e3d4c_5b6a_"
		  "7988_a1b2_c3d4e5f60718.slice/cri-containerd-H.scope", "H" },
		{ "/kubepods/besteffort/pod1f2e3d4c-5b6a-7988-a1b2-c3d4e5f60718/H", "H" },
		{ "/machine.slice/libpod-H.scope/container", "H" },
		{ "/system.slice/crio-H.scope", "H" },
		{ "/adi-test/docker-H.scope/init", "H" },
	};
	static const char *const no[] = {
		"/", "", "/user.slice/user-0.slice/session-3.scope",
		"/machine.slice/libpod-conmon-H.scope",
		/* 63 and 65 hex digits are not an id */
		"/docker/4f1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f",
		"/docker/4f1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90",
	};
	char id[65], path[512];

	(void)state;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		const char *h = strchr(yes[i][0], 'H');

		snprintf(path, sizeof(path), "%.*s%s%s", (int)(h - yes[i][0]), yes[i][0],
			 "4f1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9", h + 1);
		assert_true(adi_container_id(path, id));
		assert_string_equal(id, "4f1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9");
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		const char *h = strchr(no[i], 'H');

		if (h)
			snprintf(path, sizeof(path), "%.*s%s%s", (int)(h - no[i]), no[i], "4f1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9", h + 1);
		else
			snprintf(path, sizeof(path), "%s", no[i]);
		assert_false(adi_container_id(path, id));
		assert_string_equal(id, "");
	}
	assert_false(adi_container_id(NULL, id));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_container_id),
		cmocka_unit_test(test_errno_names),
		cmocka_unit_test(test_errno_table_complete),
		cmocka_unit_test(test_open_flags),
#if defined(__x86_64__)
		cmocka_unit_test(test_open_flags_x86_64_values),
#endif
		cmocka_unit_test(test_mode),
		cmocka_unit_test(test_u64_dec),
		cmocka_unit_test(test_ts_dec_memo),
		cmocka_unit_test(test_u64_dec_memo),
		cmocka_unit_test(test_rfc3339),
		cmocka_unit_test(test_rfc3339_memo),
		cmocka_unit_test(test_clock_str),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_size_str),
		cmocka_unit_test(test_path_join),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
