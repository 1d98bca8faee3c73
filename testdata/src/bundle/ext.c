/* The extension side of the bundling fixtures: it only calls into the bundled library, so the
 * only thing that decides whether it loads is how DT_NEEDED is resolved (RPATH vs RUNPATH). */
extern int bundled_value(const char *s);

int ag_ext(const char *s) { return bundled_value(s) * 2; }
