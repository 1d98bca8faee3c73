/* Needs GLIBC_2.38: strlcpy/strlcat were added in 2.38 (newer than the Debian 12 host). */
#include <stddef.h>
#include <string.h>

size_t ag_probe(char *dst, const char *src, size_t n) { return strlcpy(dst, src, n); }
