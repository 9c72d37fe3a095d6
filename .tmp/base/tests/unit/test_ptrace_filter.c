/* test_ptrace_filter.c - the ptrace backend's seccomp filter and syscall
 * table (src/capture/ptrace/pt_table.c), run through a small interpreter
 * of the instructions it uses: the decoded calls stop the tracee
 * (SECCOMP_RET_TRACE), everything else, other ABIs included, runs. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <cmocka.h>
#include "capture/ptrace/ptrace.h"

static struct sock_filter f[256];
static int n;

static uint32_t run(uint32_t arch, int nr, uint64_t a1, uint64_t a2)
{
	uint64_t args[6] = { 3, a1, a2, 0, 0, 0 };

	return adi_pt_filter_run(f, n, arch, nr, args);
}

static void test_decoded_calls_stop(void **st)
{
	static const int traced[] = { SYS_read, SYS_write, SYS_openat, SYS_close,
		SYS_connect, SYS_accept4, SYS_sendmsg, SYS_recvmmsg, SYS_execve,
		SYS_rename, SYS_unlinkat, SYS_pipe2, SYS_close_range, SYS_dup3, 452 };
	static const int free_[] = { SYS_getpid, SYS_mmap, SYS_futex, SYS_clock_gettime,
		SYS_brk, SYS_rt_sigaction, SYS_epoll_wait, SYS_nanosleep, SYS_exit_group };

	(void)st;
	for (size_t i = 0; i < sizeof(traced) / sizeof(traced[0]); i++) {
		assert_int_equal(run(AUDIT_ARCH_X86_64, traced[i], 0, 0), SECCOMP_RET_TRACE);
		assert_int_not_equal(adi_pt_when(traced[i]), ADI_PT_NONE);
	}
	for (size_t i = 0; i < sizeof(free_) / sizeof(free_[0]); i++) {
		assert_int_equal(run(AUDIT_ARCH_X86_64, free_[i], 0, 0), SECCOMP_RET_ALLOW);
		assert_int_equal(adi_pt_when(free_[i]), ADI_PT_NONE);
	}
	assert_int_equal(adi_pt_when(SYS_close), ADI_PT_ENTRY);
	assert_int_equal(adi_pt_when(SYS_execve), ADI_PT_EXEC);
	assert_int_equal(adi_pt_when(SYS_read), ADI_PT_EXIT);
}

static void test_argument_filters(void **st)
{
	(void)st;
	/* fcntl only for F_DUPFD, F_SETFD, F_DUPFD_CLOEXEC */
	assert_int_equal(run(AUDIT_ARCH_X86_64, SYS_fcntl, 0, 0), SECCOMP_RET_TRACE);
	assert_int_equal(run(AUDIT_ARCH_X86_64, SYS_fcntl, 2, 0), SECCOMP_RET_TRACE);
	assert_int_equal(run(AUDIT_ARCH_X86_64, SYS_fcntl, 1030, 0), SECCOMP_RET_TRACE);
	assert_int_equal(run(AUDIT_ARCH_X86_64, SYS_fcntl, 3, 0), SECCOMP_RET_ALLOW);
	assert_int_equal(run(AUDIT_ARCH_X86_64, SYS_fcntl, 4, 0), SECCOMP_RET_ALLOW);
	/* getsockopt only for SOL_SOCKET / SO_ERROR */
	assert_int_equal(run(AUDIT_ARCH_X86_64, SYS_getsockopt, 1, 4), SECCOMP_RET_TRACE);
	assert_int_equal(run(AUDIT_ARCH_X86_64, SYS_getsockopt, 1, 3), SECCOMP_RET_ALLOW);
	assert_int_equal(run(AUDIT_ARCH_X86_64, SYS_getsockopt, 6, 4), SECCOMP_RET_ALLOW);
}

static void test_other_abis_run(void **st)
{
	(void)st;
	assert_int_equal(run(AUDIT_ARCH_I386, 3 /* i386 read */, 0, 0), SECCOMP_RET_ALLOW);
	assert_int_equal(run(AUDIT_ARCH_X86_64, 0x40000000 | SYS_read, 0, 0), SECCOMP_RET_ALLOW);
}

static void test_too_small(void **st)
{
	struct sock_filter small[8];

	(void)st;
	assert_int_equal(adi_pt_filter(small, 8), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decoded_calls_stop),
		cmocka_unit_test(test_argument_filters),
		cmocka_unit_test(test_other_abis_run),
		cmocka_unit_test(test_too_small),
	};

	n = adi_pt_filter(f, 256);
	if (n <= 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
