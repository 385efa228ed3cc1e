/* imgconfig.c - parsing an image's config and merging a container
 * definition into it.  Pure: JSON in, structs out, no I/O. */
#include "agent/image/imgconfig.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/cleanup.h"
#include "agent/agent_limits.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

void strv_free(struct strv *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = 0;
    s->cap = 0;
}

static int strv_push(struct strv *s, const char *value, struct error *err)
{
    if (s->n >= LIMIT_IMAGE_CONFIG_STRINGS)
        return error_set(err, ERR_LIMIT, "more than %d strings", LIMIT_IMAGE_CONFIG_STRINGS);
    if (array_reserve(&s->v, &s->cap, s->n + 1, sizeof(*s->v)) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    s->v[s->n] = strdup(value);
    if (!s->v[s->n])
        return error_set(err, ERR_INTERNAL, "out of memory");
    s->n++;
    return 0;
}

static int strv_copy(struct strv *dst, const struct strv *src, struct error *err)
{
    for (size_t i = 0; i < src->n; i++)
        if (strv_push(dst, src->v[i], err) < 0)
            return -1;
    return 0;
}

/* A JSON array of strings (or null / absent: empty) into s. */
static int strv_from_json(struct strv *s, const json_t *arr, const char *field, struct error *err)
{
    if (!arr || json_is_null(arr))
        return 0;
    if (!json_is_array(arr))
        return error_set(err, ERR_INVALID, "%s must be a list of strings", field);
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        if (!json_is_string(v))
            return error_set(err, ERR_INVALID, "%s[%zu] must be a string", field, i);
        if (strv_push(s, json_string_value(v), err) < 0)
            return -1;
    }
    return 0;
}

static int string_field(char **dst, const json_t *obj, const char *field, struct error *err)
{
    const json_t *v = json_object_get(obj, field);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return error_set(err, ERR_INVALID, "%s must be a string", field);
    if (json_string_length(v) == 0)
        return 0;
    char *copy = strdup(json_string_value(v));
    if (!copy)
        return error_set(err, ERR_INTERNAL, "out of memory");
    free(*dst);
    *dst = copy;
    return 0;
}

/* Docker stores health check durations in nanoseconds. */
static usec_t ns_field(const json_t *obj, const char *field)
{
    json_int_t ns = json_integer_value(json_object_get(obj, field));
    return ns > 0 ? (usec_t)(ns / 1000) : 0;
}

void imgconfig_free(struct imgconfig *c)
{
    if (!c)
        return;
    strv_free(&c->entrypoint);
    strv_free(&c->cmd);
    strv_free(&c->env);
    strv_free(&c->exposed_ports);
    strv_free(&c->healthcheck.test);
    free(c->working_dir);
    free(c->user);
    free(c->stop_signal);
    json_decref(c->labels);
    free(c);
}

void imgconfig_freep(struct imgconfig **c) { imgconfig_free(*c); }

static void copy_small(char *dst, size_t cap, const json_t *v)
{
    const char *s = json_string_value(v);
    if (s && strlen(s) < cap)
        memcpy(dst, s, strlen(s) + 1);
}

int imgconfig_parse(const char *json, size_t len, struct imgconfig **ret_config, struct error *err)
{
    json_error_t jerr;
    _cleanup_json_ json_t *doc = json_loadb(json, len, 0, &jerr);
    if (!json_is_object(doc))
        return error_set(err, ERR_INVALID, "image config is not a JSON object: %s", jerr.text);
    _cleanup_(imgconfig_freep) struct imgconfig *c = calloc(1, sizeof(*c));
    if (!c)
        return error_set(err, ERR_INTERNAL, "out of memory");
    c->labels = json_object();
    copy_small(c->os, sizeof(c->os), json_object_get(doc, "os"));
    copy_small(c->architecture, sizeof(c->architecture), json_object_get(doc, "architecture"));
    json_t *cfg = json_object_get(doc, "config");
    if (!cfg || json_is_null(cfg)) {
        *ret_config = TAKE_PTR(c);
        return 0;
    }
    if (!json_is_object(cfg))
        return error_set(err, ERR_INVALID, "image config: config must be an object");
    if (strv_from_json(&c->entrypoint, json_object_get(cfg, "Entrypoint"), "Entrypoint", err) < 0 ||
        strv_from_json(&c->cmd, json_object_get(cfg, "Cmd"), "Cmd", err) < 0 ||
        strv_from_json(&c->env, json_object_get(cfg, "Env"), "Env", err) < 0 ||
        string_field(&c->working_dir, cfg, "WorkingDir", err) < 0 || string_field(&c->user, cfg, "User", err) < 0 ||
        string_field(&c->stop_signal, cfg, "StopSignal", err) < 0)
        return error_prefix(err, "image config");
    json_t *ports = json_object_get(cfg, "ExposedPorts");
    if (json_is_object(ports)) {
        const char *key;
        json_t *v;
        json_object_foreach(ports, key, v)
            if (strv_push(&c->exposed_ports, key, err) < 0)
                return -1;
    }
    json_t *labels = json_object_get(cfg, "Labels");
    if (json_is_object(labels)) {
        const char *key;
        json_t *v;
        json_object_foreach(labels, key, v)
            if (json_is_string(v))
                json_object_set(c->labels, key, v);
    }
    json_t *hc = json_object_get(cfg, "Healthcheck");
    if (json_is_object(hc)) {
        if (strv_from_json(&c->healthcheck.test, json_object_get(hc, "Test"), "Healthcheck.Test", err) < 0)
            return error_prefix(err, "image config");
        c->has_healthcheck = c->healthcheck.test.n > 0;
        c->healthcheck.interval = ns_field(hc, "Interval");
        c->healthcheck.timeout = ns_field(hc, "Timeout");
        c->healthcheck.start_period = ns_field(hc, "StartPeriod");
        c->healthcheck.retries = (int)json_integer_value(json_object_get(hc, "Retries"));
    }
    *ret_config = TAKE_PTR(c);
    return 0;
}

static usec_t seconds_field(const json_t *obj, const char *field, int dflt)
{
    const json_t *v = json_object_get(obj, field);
    return (usec_t)(json_is_integer(v) ? json_integer_value(v) : dflt) * USEC_PER_SEC;
}

static int dup_string(char **dst, const char *src, struct error *err)
{
    if (!src)
        return 0;
    *dst = strdup(src);
    return *dst ? 0 : error_set(err, ERR_INTERNAL, "out of memory");
}

static int env_set(struct strv *env, const char *name, const char *value, struct error *err)
{
    size_t n = strlen(name);
    _cleanup_free_ char *entry = malloc(n + strlen(value) + 2);
    if (!entry)
        return error_set(err, ERR_INTERNAL, "out of memory");
    memcpy(entry, name, n);
    entry[n] = '=';
    memcpy(entry + n + 1, value, strlen(value) + 1);
    for (size_t i = 0; i < env->n; i++) {
        if (strncmp(env->v[i], name, n) == 0 && (env->v[i][n] == '=' || env->v[i][n] == '\0')) {
            free(env->v[i]);
            env->v[i] = TAKE_PTR(entry);
            return 0;
        }
    }
    return strv_push(env, entry, err);
}

/* The container's environment over the image's (already in c->env), and
 * a default PATH when neither has one. */
static int merge_env(struct imgconfig *c, const json_t *container, struct error *err)
{
    const json_t *environment = json_object_get(container, "environment");
    if (environment && !json_is_null(environment)) {
        if (!json_is_array(environment))
            return error_set(err, ERR_INVALID, "environment must be a list");
        size_t i;
        json_t *kv;
        json_array_foreach(environment, i, kv) {
            const char *name = json_string_value(json_object_get(kv, "name"));
            const char *value = json_string_value(json_object_get(kv, "value"));
            if (!name || !*name || strchr(name, '='))
                return error_set(err, ERR_INVALID, "environment[%zu].name must be a non-empty name", i);
            if (env_set(&c->env, name, value ? value : "", err) < 0)
                return -1;
        }
    }
    bool has_path = false;
    for (size_t i = 0; i < c->env.n; i++)
        if (strncmp(c->env.v[i], "PATH=", 5) == 0)
            has_path = true;
    if (!has_path && strv_push(&c->env, DEFAULT_PATH, err) < 0)
        return -1;
    return 0;
}

/* ENTRYPOINT and CMD as Docker combines them: the container's entryPoint
 * also drops the image's CMD. */
static int merge_command(struct imgconfig *c, const struct imgconfig *image, const json_t *container, struct error *err)
{
    const json_t *entry_point = json_object_get(container, "entryPoint");
    const json_t *command = json_object_get(container, "command");
    bool has_ep = entry_point && !json_is_null(entry_point);
    bool has_cmd = command && !json_is_null(command);
    if (has_ep) {
        if (strv_from_json(&c->entrypoint, entry_point, "entryPoint", err) < 0)
            return -1;
    } else if (strv_copy(&c->entrypoint, &image->entrypoint, err) < 0) {
        return -1;
    }
    if (has_cmd) {
        if (strv_from_json(&c->cmd, command, "command", err) < 0)
            return -1;
    } else if (!has_ep && strv_copy(&c->cmd, &image->cmd, err) < 0) {
        return -1;
    }
    return 0;
}

static int merge_healthcheck(struct imgconfig *c, const struct imgconfig *image, const json_t *container,
                             struct error *err)
{
    const json_t *hc = json_object_get(container, "healthCheck");
    if (json_is_object(hc)) {
        /* The task definition's health check replaces the image's, with
         * ECS's defaults (seconds: interval 30, timeout 5; 3 retries). */
        if (strv_from_json(&c->healthcheck.test, json_object_get(hc, "command"), "healthCheck.command", err) < 0)
            return -1;
        c->has_healthcheck = c->healthcheck.test.n > 0;
        c->healthcheck.interval = seconds_field(hc, "interval", 30);
        c->healthcheck.timeout = seconds_field(hc, "timeout", 5);
        c->healthcheck.start_period = seconds_field(hc, "startPeriod", 0);
        json_t *retries = json_object_get(hc, "retries");
        c->healthcheck.retries = json_is_integer(retries) ? (int)json_integer_value(retries) : 3;
        return 0;
    }
    c->has_healthcheck = image->has_healthcheck;
    c->healthcheck = image->healthcheck;
    c->healthcheck.test = (struct strv){0};
    return strv_copy(&c->healthcheck.test, &image->healthcheck.test, err);
}

int imgconfig_merge(const struct imgconfig *image, const json_t *container, struct imgconfig **ret_config,
                    struct error *err)
{
    _cleanup_(imgconfig_freep) struct imgconfig *c = calloc(1, sizeof(*c));
    if (!c)
        return error_set(err, ERR_INTERNAL, "out of memory");
    c->labels = json_deep_copy(image->labels);
    memcpy(c->os, image->os, sizeof(c->os));
    memcpy(c->architecture, image->architecture, sizeof(c->architecture));
    if (merge_command(c, image, container, err) < 0)
        return -1;
    if (strv_copy(&c->env, &image->env, err) < 0 || strv_copy(&c->exposed_ports, &image->exposed_ports, err) < 0)
        return -1;
    if (merge_env(c, container, err) < 0)
        return -1;
    if (dup_string(&c->working_dir, image->working_dir, err) < 0 || dup_string(&c->user, image->user, err) < 0 ||
        dup_string(&c->stop_signal, image->stop_signal, err) < 0)
        return -1;
    if (string_field(&c->working_dir, container, "workingDirectory", err) < 0 ||
        string_field(&c->user, container, "user", err) < 0)
        return -1;
    if (merge_healthcheck(c, image, container, err) < 0)
        return -1;
    /* dockerLabels add to and override the image's labels. */
    const json_t *labels = json_object_get(container, "dockerLabels");
    if (json_is_object(labels)) {
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)labels, key, v)
            if (json_is_string(v))
                json_object_set(c->labels, key, v);
    }
    *ret_config = TAKE_PTR(c);
    return 0;
}

int imgconfig_argv(const struct imgconfig *c, struct strv *ret_argv, struct error *err)
{
    struct strv argv = {0};
    if (strv_copy(&argv, &c->entrypoint, err) < 0 || strv_copy(&argv, &c->cmd, err) < 0) {
        strv_free(&argv);
        return -1;
    }
    if (argv.n == 0)
        return error_set(err, ERR_INVALID, "no command specified: the image has no ENTRYPOINT or CMD");
    *ret_argv = argv;
    return 0;
}
