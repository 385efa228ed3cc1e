/* crunshim.h - how crun runs on a cgroup v1 host with a hybrid cgroup2
 * mount (the reason is in oci_runtime.c).  libc only: it is linked into the
 * small static `berth-runtime-shim` as well as into berth. */
#pragma once

/* Enter a private mount namespace (MS_SLAVE, so later host mounts still
 * show) and bind /dev/null over the cgroup2 mount's cgroup.controllers.
 * Async-signal-safe, for use between fork and exec.  0 or an errno. */
int crunshim_mask_cgroup2(void);

/* main() of `berth-runtime-shim [OPTIONS] RUNTIME ARGS...` (and of the
 * fallback `berth runtime-shim`, argv shifted the same way): mask, then
 * exec the absolute path RUNTIME with ARGS.  --no-cgroup2-mask skips the
 * mask (runc); --run-detached turns the first ARG "create" (conmon's) into
 * "run --detach".  Returns only on failure (exit status). */
int crunshim_main(int argc, char **argv);
