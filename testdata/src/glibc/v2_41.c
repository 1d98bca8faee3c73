/* Needs GLIBC_2.41: sched_getattr/sched_setattr wrappers were added in 2.41. */
#define _GNU_SOURCE
#include <sched.h>

int ag_probe(void) {
    struct sched_attr attr;
    return sched_getattr(0, &attr, sizeof attr, 0);
}
