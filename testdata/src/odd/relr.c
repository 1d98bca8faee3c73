/* A table of pointers gives the linker many R_X86_64_RELATIVE relocations; with
 * -z pack-relative-relocs they become a DT_RELR table plus a GLIBC_ABI_DT_RELR version need. */
#include <stdlib.h>

static const char *const names[] = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"};
const char *const *ag_table = names;

const char *ag_probe(unsigned i) { return getenv(names[i % 8]) ? names[i % 8] : NULL; }
