/* Several versioned symbols from different glibc releases and two providers, so symbol ->
 * (provider, version node) attribution can be checked on the unstripped and the stripped copy.
 * Built with the host gcc, each call binds the host's default version:
 *   memcpy GLIBC_2.14, getrandom GLIBC_2.25, exp2 GLIBC_2.29 (libm), stat GLIBC_2.33,
 *   pthread_create GLIBC_2.34, arc4random GLIBC_2.36. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

static void *worker(void *arg) { return arg; }

double ag_probe(const char *path, char *dst, const char *src, unsigned n, double x) {
    struct stat st;
    pthread_t t;
    unsigned char b = 0;
    memcpy(dst, src, n);
    (void)getrandom(&b, 1, 0);
    if (pthread_create(&t, NULL, worker, dst) == 0) pthread_join(t, NULL);
    return exp2(x) + (double)b + (double)arc4random() + (stat(path, &st) == 0 ? 1.0 : 0.0);
}
