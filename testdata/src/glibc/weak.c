/* A weak reference to a newer glibc symbol (strlcpy, 2.38) next to a strong old one (getenv).
 * The linker still records GLIBC_2.38 as an ordinary (non-weak) Vernaux, so glibc refuses the
 * object although the symbol itself is optional (loader.md section 6). */
#include <stddef.h>
#include <stdlib.h>

extern size_t strlcpy(char *, const char *, size_t) __attribute__((weak));

size_t ag_probe(char *dst, const char *src, size_t n) {
    if (strlcpy) return strlcpy(dst, src, n);
    return getenv(src) != NULL;
}
