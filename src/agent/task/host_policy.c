/* host_policy.c - refusing host-escape features a task asks for, unless
 * the agent was started to allow them (see host_policy.h).
 *
 * ECS's agent gates privileged containers (ECS_DISABLE_PRIVILEGED) and
 * Docker keeps an unprivileged container inside its default capability
 * set; berth does both by default and also keeps devices, host namespaces
 * and host paths behind a switch, because whoever may call RunTask would
 * otherwise own the host.  The check runs before anything of the task
 * exists on the host.  Not done here: the confinement itself (seccomp,
 * capabilities, masked paths: runtime/bundle.c). */
#include "agent/task/host_policy.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/runtime/bundle.h"
#include "common/cleanup.h"

#define PRIVILEGED_SWITCH "(start the agent with --allow-privileged)"
#define HOST_PATH_SWITCH "(start the agent with --allow-host-path PREFIX)"

/* Length of prefix without trailing slashes ("/" stays 0: allows all). */
static size_t trimmed_len(const char *prefix)
{
    size_t n = strlen(prefix);
    while (n > 0 && prefix[n - 1] == '/')
        n--;
    return n;
}

static bool has_dotdot(const char *path)
{
    for (const char *p = path; (p = strstr(p, "..")) != NULL; p += 2) {
        bool starts = p == path || p[-1] == '/';
        bool ends = p[2] == '\0' || p[2] == '/';
        if (starts && ends)
            return true;
    }
    return false;
}

static bool under(const char *path, const char *prefix)
{
    size_t n = trimmed_len(prefix);
    return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

bool host_policy_path_allowed(const struct host_policy *p, const char *path)
{
    if (!path || path[0] != '/' || has_dotdot(path))
        return false;
    for (size_t i = 0; i < p->n_host_paths; i++)
        if (p->host_paths[i][0] == '/' && under(path, p->host_paths[i]))
            return true;
    return false;
}

/* path with symlinks resolved in its longest existing ancestor (a volume's
 * missing directories are created later, below that ancestor). */
static bool resolve(const char *path, char out[PATH_MAX])
{
    char probe[PATH_MAX];
    if (snprintf(probe, sizeof(probe), "%s", path) >= (int)sizeof(probe))
        return false;
    size_t len = strlen(probe);
    for (;;) {
        _cleanup_free_ char *real = realpath(probe, NULL);
        if (real) {
            const char *rest = path + len;
            return snprintf(out, PATH_MAX, "%s%s", strcmp(real, "/") == 0 && *rest ? "" : real, rest) < PATH_MAX;
        }
        char *slash = strrchr(probe, '/');
        if (!slash || slash == probe)
            return false;
        *slash = '\0';
        len = (size_t)(slash - probe);
    }
}

/* Allowed as written and, resolved, under a resolved prefix: a symlink
 * inside an allowed directory must not lead out of it. */
static bool path_allowed(const struct host_policy *p, const char *path)
{
    if (!host_policy_path_allowed(p, path))
        return false;
    char real[PATH_MAX];
    if (!resolve(path, real))
        return true; /* nothing of it exists: as written is all there is */
    for (size_t i = 0; i < p->n_host_paths; i++) {
        char real_prefix[PATH_MAX];
        const char *prefix = resolve(p->host_paths[i], real_prefix) ? real_prefix : p->host_paths[i];
        if (under(real, prefix))
            return true;
    }
    return false;
}

static bool is_host(const json_t *v) { return json_string_value(v) && strcmp(json_string_value(v), "host") == 0; }

/* The task-level namespaces: networkMode, pidMode, ipcMode. */
static int check_namespaces(const json_t *taskdef, struct error *err)
{
    static const char *const members[] = {"networkMode", "pidMode", "ipcMode"};
    for (size_t i = 0; i < ELEMENTSOF(members); i++)
        if (is_host(json_object_get(taskdef, members[i])))
            return error_set(err, ERR_INVALID,
                             "%s host shares the host's namespace and is disabled on this instance %s", members[i],
                             PRIVILEGED_SWITCH);
    return 0;
}

static int check_privileges(const json_t *c, const char *name, struct error *err)
{
    if (json_is_true(json_object_get(c, "privileged")))
        return error_set(err, ERR_INVALID, "container %s: privileged containers are disabled on this instance %s", name,
                         PRIVILEGED_SWITCH);
    const json_t *lp = json_object_get(c, "linuxParameters");
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(json_object_get(lp, "capabilities"), "add"), i, v) {
        const char *cap = json_string_value(v);
        if (!cap || !bundle_cap_is_default(cap))
            return error_set(err, ERR_INVALID,
                             "container %s: capability %s is beyond Docker's default set and disabled on this "
                             "instance %s",
                             name, cap ? cap : "(none)", PRIVILEGED_SWITCH);
    }
    json_t *dev = json_array_get(json_object_get(lp, "devices"), 0);
    if (dev) {
        const char *host = json_string_value(json_object_get(dev, "hostPath"));
        return error_set(err, ERR_INVALID, "container %s: host devices (%s) are disabled on this instance %s", name,
                         host ? host : "linuxParameters.devices", PRIVILEGED_SWITCH);
    }
    return 0;
}

static int check_env_files(const struct host_policy *p, const json_t *c, const char *name, struct error *err)
{
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(c, "environmentFiles"), i, f) {
        const char *path = json_string_value(json_object_get(f, "value"));
        /* Not absolute: container_spec.c refuses it with its own reason. */
        if (path && path[0] == '/' && !path_allowed(p, path))
            return error_set(err, ERR_INVALID,
                             "container %s: environmentFiles reads host file %s, outside the host paths this "
                             "instance allows %s",
                             name, path, HOST_PATH_SWITCH);
    }
    return 0;
}

int host_policy_check(const struct host_policy *p, const json_t *taskdef, struct error *err)
{
    if (!p->allow_privileged && check_namespaces(taskdef, err) < 0)
        return -1;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(taskdef, "containerDefinitions"), i, c) {
        const char *name = json_string_value(json_object_get(c, "name"));
        name = name ? name : "(unnamed)";
        if (!p->allow_privileged && check_privileges(c, name, err) < 0)
            return -1;
        if (check_env_files(p, c, name, err) < 0)
            return -1;
    }
    json_t *v;
    json_array_foreach(json_object_get(taskdef, "volumes"), i, v) {
        const char *src = json_string_value(json_object_get(json_object_get(v, "host"), "sourcePath"));
        const char *name = json_string_value(json_object_get(v, "name"));
        if (src && !path_allowed(p, src))
            return error_set(err, ERR_INVALID,
                             "volume %s: host path %s is outside the host paths this instance allows %s",
                             name ? name : "(unnamed)", src, HOST_PATH_SWITCH);
    }
    return 0;
}
