/* Needs GLIBC_2.17 on x86_64: clock_gettime and secure_getenv moved into libc.so.6 in 2.17. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <time.h>

long ag_probe(const char *name) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (secure_getenv(name) != NULL) + (long)(ts.tv_nsec & 1);
}
