/* pdrive_cmocka.c - the driver's failure hook and fixture check for the
 * cmocka unit tests (pdrive.h); the fuzzers keep pdrive.c's weak default
 * (abort). Linked into every tests/unit program. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "pdrive.h"

void pd_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint_error(fmt, ap);
	va_end(ap);
	print_error("\n");
	fail();
	abort(); /* not reached: fail() leaves the test */
}

void pd_check_fixture(const struct pd_case *c, const char *expect)
{
	char *diff = pd_check(c, expect);

	if (diff) {
		/* not print_error: cmocka cuts its messages at 1 KiB */
		fprintf(stderr, "%s\n", diff);
		free(diff);
		fail();
	}
}
