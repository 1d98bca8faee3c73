/* Tiny Mach-O probe: one exported function calling one libSystem function. */
#include <string.h>

int ag_probe(const char *s) { return (int)strlen(s) + 1; }
