/* shim_main.c - `berth-runtime-shim`: the wrapper conmon execs crun
 * through on hybrid cgroup hosts (agent/crunshim.c).  A separate static
 * binary with no library but libc, so the extra exec costs well under a
 * millisecond; the agent uses it when it sits next to the berth binary. */
#include "agent/runtime/crunshim.h"

int main(int argc, char **argv) { return crunshim_main(argc, argv); }
