/* Stand-in for libpython3.X.so.1.0 when the host Python is statically linked: it only has to
 * give the fixture a DT_NEEDED entry with the right name. */
int ag_libpython_stub;
