/* Needs GLIBC_2.34: libpthread and libdl merged into libc.so.6, pthread_create/dlopen got GLIBC_2.34. */
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>

static void *worker(void *arg) { return arg; }

int ag_probe(const char *lib) {
    pthread_t t;
    void *h = dlopen(lib, RTLD_LAZY);
    if (pthread_create(&t, NULL, worker, h) != 0) return -1;
    return pthread_join(t, NULL);
}
