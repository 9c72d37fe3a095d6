/* unit_test.c - the test binary: reads its numbers from argv[1], checks
 * the library, writes what it found to argv[2]. Its file work is what the
 * focused timeline must show in full. */
#include <stdio.h>
#include "calc.h"

int main(int argc, char **argv)
{
	char buf[256];
	long v[16];
	size_t n;
	int k;
	FILE *in, *out;

	if (argc != 3 || !(in = fopen(argv[1], "r")))
		return 2;
	n = fread(buf, 1, sizeof(buf) - 1, in);
	buf[n] = '\0';
	fclose(in);
	k = calc_parse(buf, v, 16);
	if (k != 4 || calc_sum(v, k) != 100 || calc_max(v, k) != 40)
		return 1;
	if (!(out = fopen(argv[2], "w")))
		return 3;
	fprintf(out, "sum %ld max %ld\n", calc_sum(v, k), calc_max(v, k));
	return fclose(out) ? 4 : 0;
}
