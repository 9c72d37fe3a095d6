#include <stdlib.h>
#include "calc.h"

int calc_parse(const char *s, long *v, int max)
{
	int n = 0;
	char *end;

	while (n < max) {
		long x = strtol(s, &end, 10);

		if (end == s)
			break;
		v[n++] = x;
		s = end;
	}
	return n;
}
