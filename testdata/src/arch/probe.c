/* Minimal cross-architecture probe: one libc call so the object has a libc DT_NEEDED and a
 * version need.  With AG_FCNTL64 it also calls fcntl64 (GLIBC_2.28 on every glibc arch). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>

int ag_probe(const char *name) {
    int r = getenv(name) != NULL;
#ifdef AG_FCNTL64
    r += fcntl64(0, F_GETFD);
#endif
    return r;
}
