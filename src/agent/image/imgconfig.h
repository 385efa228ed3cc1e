/* imgconfig.h - an image's run configuration (the "config" object of an
 * OCI/Docker image config) and its merge with an ECS container definition,
 * following Docker's rules. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "common/timeutil.h"

struct strv {
    char **v;
    size_t n, cap; /* cap: room in v (array_reserve) */
};

struct imgconfig_healthcheck {
    struct strv test; /* ["CMD-SHELL", "..."], ["CMD", ...] or ["NONE"] */
    usec_t interval, timeout, start_period;
    int retries;
};

struct imgconfig {
    struct strv entrypoint;
    struct strv cmd;
    struct strv env;           /* "NAME=value" */
    struct strv exposed_ports; /* "80/tcp" */
    char *working_dir;         /* NULL when unset */
    char *user;
    char *stop_signal;
    bool has_healthcheck;
    struct imgconfig_healthcheck healthcheck;
    json_t *labels; /* object of strings; owned, never NULL */
    char os[32];
    char architecture[32];
};

/* Parse an image config document.  Wrong types are ERR_INVALID naming the
 * field; absent fields stay empty. */
int imgconfig_parse(const char *json, size_t len, struct imgconfig **ret_config, struct error *err);
void imgconfig_free(struct imgconfig *c);
void imgconfig_freep(struct imgconfig **c);

/* Apply an ECS container definition (an object of RegisterTaskDefinition's
 * containerDefinitions) to an image config, as Docker would: entryPoint
 * replaces ENTRYPOINT and drops CMD unless command is given; command
 * replaces CMD; environment overrides Env by name (new names appended);
 * workingDirectory and user replace theirs; healthCheck replaces the
 * image's HEALTHCHECK; dockerLabels add to LABELs.  PATH gets Docker's
 * default when neither sets it.  *ret_config is a new config. */
int imgconfig_merge(const struct imgconfig *image, const json_t *container, struct imgconfig **ret_config,
                    struct error *err);

/* The process to run: ENTRYPOINT followed by CMD.  ERR_INVALID when both
 * are empty. */
int imgconfig_argv(const struct imgconfig *c, struct strv *ret_argv, struct error *err);

void strv_free(struct strv *s);
