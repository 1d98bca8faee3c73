/* Needs GLIBC_2.36: arc4random was added in 2.36 (the host's own version: loads on Debian 12). */
#include <stdlib.h>

unsigned int ag_probe(void) { return arc4random(); }
