/* Middle of the transitive chain ext -> liba -> libb: liba has no RPATH/RUNPATH of its own. */
extern int libb_value(int x);

int liba_value(int x) { return libb_value(x) + 1; }
