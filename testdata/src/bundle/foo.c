/* A bundled library with symbol versions; which nodes exist is decided by the version script. */
int foo_old(int x) { return x + 1; }
int foo_new(int x) { return x + 2; }
