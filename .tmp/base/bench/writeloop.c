/* writeloop.c - the syscall-heavy workload of bench/run.sh.
 *
 *   writeloop N SIZE [PATH [RATE [OTHER]]]
 *
 * does N write(2) calls of SIZE bytes each to PATH (default /dev/null) and
 * prints one machine-readable line on standard output:
 *
 *   ns_per_call=123.4 calls=N size=SIZE total_ns=T calls_per_s=R rewinds=K
 *
 * For a regular file the offset goes back to 0 (lseek) each time the next
 * write would pass REWIND_AT bytes, so the file stays small, its pages are
 * allocated once, and the loop measures write(2) rather than the page
 * allocator: one extra syscall per 65,536 writes of 64 B (per 1,024 of
 * 4 KiB). The count is printed as rewinds=.
 *
 * Only the loop is timed (CLOCK_MONOTONIC around it), so a tracer's start-up
 * and tear-down, and this program's own exec and open, do not count. The
 * buffer is touched before the loop so no page fault lands inside it.
 * A short write or an error stops the program with status 1.
 *
 * RATE (calls per second, optional, 0 = as fast as possible) paces the loop:
 * every 16 calls it spins on the clock until the schedule allows the next
 * batch. The clock is read through the vDSO, so pacing adds no syscalls
 * (nothing a syscall tracer would see). Used by bench/run.sh to find the
 * event rate at which a small ring buffer starts dropping.
 *
 * OTHER (optional, default 0) adds that many getppid(2) calls after each
 * write: syscalls no tracer of ours decodes, as most of a real program's
 * are (bench/ptrace.sh: where ptrace's seccomp filter pays). ns_per_call is
 * then per iteration (one write and its OTHER calls). */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* syscall(2) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#define REWIND_AT (4LL << 20)

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int parse(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = "/dev/null";
	long long n, size, rate = 0, other = 0, t0, t1, off = 0, rewinds = 0;
	struct stat st;
	int regular;
	char *buf;
	int fd;

	if (argc < 3 || argc > 6 || parse(argv[1], 1, 1000000000000LL, &n) ||
	    parse(argv[2], 0, 1 << 26, &size) ||
	    (argc >= 5 && parse(argv[4], 0, 1000000000LL, &rate)) ||
	    (argc == 6 && parse(argv[5], 0, 1000000, &other))) {
		fprintf(stderr, "usage: writeloop N SIZE [PATH [RATE [OTHER]]]\n");
		return 2;
	}
	if (argc >= 4)
		path = argv[3];
	buf = malloc(size ? size : 1);
	if (!buf) {
		fprintf(stderr, "writeloop: out of memory\n");
		return 1;
	}
	memset(buf, 'x', size ? size : 1);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "writeloop: %s: %s\n", path, strerror(errno));
		return 1;
	}
	regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && size <= REWIND_AT;
	t0 = now_ns();
	for (long long i = 0; i < n; i++) {
		ssize_t w = write(fd, buf, size);

		if (w != size) {
			fprintf(stderr, "writeloop: write %lld of %lld: %s\n", i, n,
				w < 0 ? strerror(errno) : "short write");
			return 1;
		}
		for (long long k = 0; k < other; k++)
			syscall(SYS_getppid); /* not cached by libc: a real syscall */
		if (regular && (off += size) + size > REWIND_AT) {
			if (lseek(fd, 0, SEEK_SET) != 0) {
				fprintf(stderr, "writeloop: lseek: %s\n", strerror(errno));
				return 1;
			}
			off = 0;
			rewinds++;
		}
		if (rate && (i & 15) == 15) {
			/* call i+1 is due at t0 + (i+1) / rate seconds */
			long long due = t0 + (long long)((i + 1) * (1e9 / rate));

			while (now_ns() < due)
				;
		}
	}
	t1 = now_ns();
	close(fd);
	free(buf);
	printf("ns_per_call=%.1f calls=%lld size=%lld total_ns=%lld calls_per_s=%.0f "
	       "rewinds=%lld\n",
	       (double)(t1 - t0) / n, n, size, t1 - t0,
	       t1 > t0 ? n * 1e9 / (double)(t1 - t0) : 0.0, rewinds);
	return 0;
}
