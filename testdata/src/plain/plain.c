/* The plainest possible shared object: one exported function calling one old libc function.
 * Used with different link flags (exec stack, ISA level, nodlopen) so only that flag differs. */
#include <stdlib.h>

int ag_probe(const char *name) { return getenv(name) != NULL; }
