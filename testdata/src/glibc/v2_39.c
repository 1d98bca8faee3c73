/* Needs GLIBC_2.39: pidfd_getpid was added in 2.39. */
#define _GNU_SOURCE
#include <sys/pidfd.h>

int ag_probe(int fd) { return (int)pidfd_getpid(fd); }
