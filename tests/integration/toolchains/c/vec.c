#include "calc.h"

long calc_max(const long *v, int n)
{
	long m = n ? v[0] : 0;

	for (int i = 1; i < n; i++)
		if (v[i] > m)
			m = v[i];
	return m;
}
