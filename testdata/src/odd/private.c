/* Binds __libc_fatal@GLIBC_PRIVATE, which the host libc.so.6 (2.36) exports: the object loads
 * only with this exact glibc build; GLIBC_PRIVATE symbols change every release. */
extern void __libc_fatal(const char *msg) __attribute__((noreturn));

void ag_die(const char *msg) { __libc_fatal(msg); }
