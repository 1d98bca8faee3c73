/* Several glibc nodes in one file: getrandom (2.25, libc), exp2 (2.29, libm), stat (2.33, libc). */
#include <math.h>
#include <sys/random.h>
#include <sys/stat.h>

double ag_probe(const char *path, double x) {
    struct stat st;
    unsigned char b = 0;
    (void)getrandom(&b, 1, 0);
    return exp2(x) + (double)b + (stat(path, &st) == 0 ? 1.0 : 0.0);
}
