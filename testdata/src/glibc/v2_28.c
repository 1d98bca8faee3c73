/* Needs GLIBC_2.28: fcntl64 was added in 2.28 (LFS entry point that replaces fcntl). */
#define _GNU_SOURCE
#include <fcntl.h>

int ag_probe(int fd) { return fcntl64(fd, F_GETFD); }
