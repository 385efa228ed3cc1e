/* crunshim.h - how crun runs on a cgroup v1 host with a hybrid cgroup2
 * mount (the reason is in oci_runtime.c).  libc only: it is linked into the
 * small static `berth-runtime-shim` as well as into berth. */
#pragma once

#include <stdbool.h>

/* In a runtime's environment with its binary sealed: skip crun's own copy. */
#define CRUNSHIM_CLONED_NAME "_LIBCONTAINER_CLONED_BINARY"
#define CRUNSHIM_CLONED_ENV CRUNSHIM_CLONED_NAME "=1"

/* Enter a private mount namespace (MS_SLAVE, so later host mounts still
 * show); with mask_cgroup2 bind /dev/null over the cgroup2 mount's
 * cgroup.controllers; with seal_path bind that binary read-only over
 * itself.  Async-signal-safe, for use between fork and exec.  0 or an
 * errno. */
int crunshim_enter(bool mask_cgroup2, const char *seal_path);

/* main() of `berth-runtime-shim [OPTIONS] RUNTIME ARGS...` (and of the
 * fallback `berth runtime-shim`, argv shifted the same way): exec the
 * absolute path RUNTIME with ARGS, after crunshim_enter as the options
 * say (--mask-cgroup2, --seal-binary: RUNTIME itself, with
 * CRUNSHIM_CLONED_ENV set).  --run-detached turns the first ARG "create"
 * (conmon's) into "run --detach".  Returns only on failure (exit status). */
int crunshim_main(int argc, char **argv);
