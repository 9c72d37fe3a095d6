/* calc.h - the library the test builds: three files, so that make -j2
 * runs several compilers. */
#ifndef CALC_H
#define CALC_H

long calc_sum(const long *v, int n);
long calc_max(const long *v, int n);
int calc_parse(const char *s, long *v, int max);

#endif
