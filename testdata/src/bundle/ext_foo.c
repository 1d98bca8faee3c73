/* Extension that binds foo_new@FOO_2.0, so it needs the FOO_2.0 node of the bundled library. */
extern int foo_new(int x);

int ag_ext(int x) { return foo_new(x); }
