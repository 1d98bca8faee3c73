/* Extension at the top of the transitive chain: needs liba only. */
extern int liba_value(int x);

int ag_ext(int x) { return liba_value(x) + 2; }
