/* A library an auditwheel-style repair would graft into <pkg>.libs/ under a hashed name. */
#include <string.h>

int bundled_value(const char *s) { return (int)strlen(s) + 7; }
