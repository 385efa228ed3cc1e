/* host_policy.h - what a task may take from its host: the agent refuses
 * host-escape features (privileged containers, capabilities beyond
 * Docker's default set, devices, host network/pid/ipc namespaces, host
 * paths outside an allow-list) unless it was started to allow them. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

struct host_policy {
    /* --allow-privileged: privileged, any capability, devices, host namespaces */
    bool allow_privileged;
    /* --allow-host-path: prefixes a volume's host.sourcePath or an
     * environmentFiles path may lie under; none: no host path at all */
    const char *const *host_paths;
    size_t n_host_paths;
};

/* 0 if the task definition (as the server sends it: containerDefinitions,
 * volumes, networkMode, pidMode, ipcMode) asks nothing of the host beyond
 * what p allows.  Else -1 with ERR_INVALID and a message that names the
 * feature refused and the agent flag that allows it, ready to follow
 * "CannotStartContainerError: " in a stoppedReason.  Host paths are
 * checked as written and, where they exist, with symlinks resolved. */
int host_policy_check(const struct host_policy *p, const json_t *taskdef, struct error *err);

/* Whether path lies under one of p's prefixes, as written: absolute, no
 * ".." component, and a prefix of whole components ("/srv" allows
 * "/srv/a", not "/srvx").  Pure. */
bool host_policy_path_allowed(const struct host_policy *p, const char *path);
