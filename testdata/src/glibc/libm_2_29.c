/* Needs GLIBC_2.29 from libm.so.6: exp2/pow/exp/log got new (errno-free) versions in 2.29. */
#include <math.h>

double ag_probe(double x) { return exp2(x) + pow(x, 1.5); }
