/* container_spec.h - from an ECS container definition (overrides applied) and its
 * image config (already merged with it) to the runtime's struct ctr_spec:
 * args, env, user, limits, linuxParameters, labels, mount points, volumes.
 *
 * Pure: reads JSON, writes nothing.  The result owns every string and array
 * the ctr_spec points to. */
#pragma once

#include <jansson.h>

#include "agent/runtime/bundle.h"
#include "common/error.h"
#include "agent/image/imgconfig.h"

/* A task volume as the agent prepared it: name -> host directory. */
struct container_spec_volume {
    const char *name;
    const char *host_path;
};

struct container_spec_input {
    const json_t *container;        /* ContainerDefinition with overrides applied */
    const struct imgconfig *merged; /* the image config merged with it */
    const json_t *all_containers;   /* the task's definitions, for volumesFrom */
    const struct container_spec_volume *volumes;
    size_t n_volumes;
    const char *network_mode;     /* "host", "none", "bridge", "awsvpc"; NULL: bridge */
    const char *netns;            /* a namespace path to join, or NULL for a new one */
    const char *init_path;        /* catatonit/tini on the host, for initProcessEnabled */
    const char *default_hostname; /* when the definition sets none (not used for host) */
    const char *const *extra_env; /* "K=V" the agent adds (ECS metadata), may be NULL */
    size_t n_extra_env;
};

struct container_spec {
    struct ctr_spec spec;
    /* everything spec points to */
    struct strv argv;
    char **strings;
    size_t nstrings, cap_strings;
    const char **ptrs; /* arrays of borrowed/owned char pointers, grouped */
    size_t nptrs, cap_ptrs;
    struct ctr_bind *binds;
    struct ctr_tmpfs *tmpfs;
    struct ctr_device *devices;
    struct ctr_ulimit *ulimits;
    struct ctr_label *labels;
};

int container_spec_build(const struct container_spec_input *in, struct container_spec *ret, struct error *err);
void container_spec_free(struct container_spec *c);

/* Fold environmentFiles into the definition's environment: each file of
 * KEY=VALUE lines ('#' comments, blank lines skipped) named by an absolute
 * host path (berth reads local files; S3 ARNs are refused).  Explicit
 * `environment` entries win, as in ECS.  Changes def in place. */
int container_spec_load_env_files(json_t *def, struct error *err);

/* A copy of a container definition with containerOverrides applied
 * (command, environment by name, cpu, memory, memoryReservation). */
json_t *container_spec_apply_override(const json_t *container, const json_t *override);
