/* bundle.h - the container spec (what one ECS container definition, merged
 * with its image config, asks for) and its translation into an OCI runtime
 * config.json (runtime-spec 1.0.2).
 *
 * A struct ctr_spec borrows every string and array it points to: the caller
 * keeps them alive for the duration of the call (typically they point into
 * the task definition's json_t). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "agent/runtime/userdb.h"

struct ctr_bind {
    const char *source;      /* host path */
    const char *destination; /* container path */
    bool readonly;
};

struct ctr_tmpfs {
    const char *destination;
    int64_t size_mib;           /* 0: kernel default */
    const char *const *options; /* ECS mountOptions, e.g. "noexec" */
    size_t n_options;
};

struct ctr_device {
    const char *host_path;
    const char *container_path; /* NULL: same as host_path */
    const char *permissions;    /* subset of "rwm"; NULL: "rwm" */
};

struct ctr_ulimit {
    const char *name; /* ECS name: "nofile", "core", ... */
    int64_t soft;
    int64_t hard;
};

struct ctr_label {
    const char *key;
    const char *value;
};

/* A namespace a container joins: NULL or "" = a new one, "host" = the
 * host's (no namespace entry), anything else = a path to join
 * (/proc/PID/ns/net, a bind-mounted netns file). */
struct ctr_spec {
    const char *const *args; /* entryPoint + command, merged */
    size_t n_args;
    const char *const *env; /* "KEY=VALUE" */
    size_t n_env;
    const char *cwd;  /* NULL: "/" */
    const char *user; /* resolved by the caller into a userdb_user */
    const char *hostname;
    const struct ctr_ulimit *ulimits;
    size_t n_ulimits;
    bool readonly_rootfs;
    bool privileged;
    const char *const *cap_add; /* "NET_ADMIN" or "CAP_NET_ADMIN", "ALL" */
    size_t n_cap_add;
    const char *const *cap_drop;
    size_t n_cap_drop;
    const char *init_path; /* host path of catatonit/tini: run it as pid 1 (initProcessEnabled) */
    int64_t shm_size_mib;  /* 0: 64 MiB */
    const struct ctr_tmpfs *tmpfs;
    size_t n_tmpfs;
    const struct ctr_device *devices;
    size_t n_devices;
    const struct ctr_label *labels; /* dockerLabels -> annotations */
    size_t n_labels;
    const struct ctr_bind *binds; /* volumes, extra bind mounts */
    size_t n_binds;
    const char *netns;
    const char *pidns;
    const char *ipcns;
    /* Files the caller wrote (etcfiles_write) to bind at /etc/...; NULL: none. */
    const char *hosts_file;
    const char *resolv_file;
    const char *hostname_file;
    int64_t memory_mib;             /* hard limit; 0: none */
    int64_t memory_reservation_mib; /* soft limit; 0: none */
    int64_t cpu_units;              /* ECS cpu units -> shares */
    const char *cgroups_path;       /* "/berth/<task>/<ctr>"; NULL: runtime default */
};

/* Build config.json for spec run as user.  The root is "rootfs" relative to
 * the bundle.  On success *ret is a new reference. */
int bundle_config(const struct ctr_spec *spec, const struct userdb_user *user, json_t **ret, struct error *err);

/* A bundle_config, written to dir/config.json. */
int bundle_write(const char *dir, const json_t *cfg, struct error *err);

/* Whether a capability ("NET_RAW" or "CAP_NET_RAW", any case) is in
 * Docker's default set, the one every unprivileged container gets. */
bool bundle_cap_is_default(const char *name);

/* ECS ulimit name ("nofile") -> OCI rlimit type ("RLIMIT_NOFILE"); NULL if unknown. */
const char *bundle_rlimit_type(const char *ecs_name);

/* ECS container cpu units -> CPU shares, as the ECS agent passes them:
 * 0 and 1 (and unset) become 2, the kernel's minimum; above 262144 is capped. */
uint64_t bundle_cpu_shares(int64_t units);
