/* A stand-in for a system library of another architecture: version nodes, one symbol each, and (for the
 * libc stand-in) the banner glibc prints, from which `abigate profile from-rootfs` reads the version.
 * Built with -nostdlib for aarch64; never run. */
#ifdef AG_LIBC_BANNER
const char __abigate_banner[] = "GNU C Library (abigate test) stable release version 2.28.";
#endif
int f0(void) { return 0; }
int f1(void) { return 1; }
int f2(void) { return 2; }
