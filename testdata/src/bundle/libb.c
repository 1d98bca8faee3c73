/* End of the transitive chain: only reachable through the extension's $ORIGIN search path. */
int libb_value(int x) { return x * 3; }
