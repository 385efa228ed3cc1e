/* task_secrets.c - a task's `secrets`, logConfiguration.secretOptions and
 * repositoryCredentials (see task_secrets.h), as ECS's agent resolves them:
 * with the task's execution role, not the instance's own identity, so the
 * role's IAM policies decide what a task may read.
 *
 * valueFrom is an SSM parameter name or ARN (AmazonSSM.GetParameters,
 * WithDecryption), or a Secrets Manager ARN
 * "arn:aws:secretsmanager:R:A:secret:NAME[:json-key[:version-stage[:version-id]]]"
 * (secretsmanager.GetSecretValue; json-key picks a key of a JSON
 * SecretString).  Values live in memory only: never in task.json (the
 * credentials are not in the task the server sent either), never in a
 * log line.  The container's OCI config.json holds them as environment
 * variables, as Docker's container config does, in a bundle directory
 * only root can read (runtime.c makes it 0700). */
#include "agent/task/task_secrets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/awsjson.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "agent/agent_limits.h"
#include "agent/task/secret_ref.h"

#define REASON_PREFIX "ResourceInitializationError: unable to pull secrets or registry auth: "
#define SSM_TARGET "AmazonSSM"
#define ASM_TARGET "secretsmanager"

static void wipe(char *s)
{
    if (s)
        explicit_bzero(s, strlen(s));
}

void task_secrets_forget(struct runner_ctr *c)
{
    for (size_t i = 0; i < c->n_secret_env; i++) {
        wipe(c->secret_env[i]);
        free(c->secret_env[i]);
    }
    free(c->secret_env);
    c->secret_env = NULL;
    c->n_secret_env = 0;
    wipe(c->registry_user);
    wipe(c->registry_pass);
    free(c->registry_user);
    free(c->registry_pass);
    c->registry_user = c->registry_pass = NULL;
}

/* repositoryCredentials.credentialsParameter when it is a Secrets Manager
 * ARN (ECS takes nothing else). */
static const char *registry_secret(const struct runner_ctr *c)
{
    const char *p =
        json_string_value(json_object_get(json_object_get(c->def, "repositoryCredentials"), "credentialsParameter"));
    return p && secret_ref_is_asm(p) ? p : NULL;
}

static bool task_has_secrets(const struct task_runner *t)
{
    for (size_t i = 0; i < t->nctrs; i++)
        if (json_array_size(json_object_get(t->ctrs[i].def, "secrets")) > 0 || registry_secret(&t->ctrs[i]) ||
            json_array_size(json_object_get(json_object_get(t->ctrs[i].def, "logConfiguration"), "secretOptions")) > 0)
            return true;
    return false;
}

/* The execution role's credentials, from the server (the instance's own
 * identity asks; only for its own tasks). */
static int role_credentials(struct task_runner *t, struct aws_credentials *ret, char *why, size_t cap)
{
    const struct agent_config *cfg = &t->env->agent->cfg;
    struct error err;
    struct awsjson_client *client = NULL;
    _cleanup_json_ json_t *out = NULL;
    int r = awsjson_client_new(cfg->server, &cfg->creds, cfg->region, &client, &err);
    if (r == 0) {
        json_t *cluster = json_object_get(t->task, "clusterArn");
        json_t *in = json_pack("{s:O?, s:s}", "cluster", cluster, "task", t->arn);
        r = awsjson_call(client, PROTO_AGENT_TARGET, PROTO_GET_TASK_CREDENTIALS, in, &out, &err);
        json_decref(in);
    }
    awsjson_client_free(client);
    if (r < 0) {
        snprintf(why, cap,
                 REASON_PREFIX "execution resource retrieval failed: unable to assume the task's execution role: %s",
                 err.msg);
        return -1;
    }
    json_t *c = json_object_get(out, "credentials");
    const char *id = json_string_value(json_object_get(c, "AccessKeyId"));
    const char *secret = json_string_value(json_object_get(c, "SecretAccessKey"));
    const char *token = json_string_value(json_object_get(c, "SessionToken"));
    if (!id || !secret || !token || strlen(id) >= sizeof(ret->access_key_id) ||
        strlen(secret) >= sizeof(ret->secret_access_key) || strlen(token) >= sizeof(ret->session_token)) {
        snprintf(why, cap, REASON_PREFIX "execution resource retrieval failed: the server sent no usable credentials");
        return -1;
    }
    snprintf(ret->access_key_id, sizeof(ret->access_key_id), "%s", id);
    snprintf(ret->secret_access_key, sizeof(ret->secret_access_key), "%s", secret);
    snprintf(ret->session_token, sizeof(ret->session_token), "%s", token);
    wipe((char *)secret);
    wipe((char *)token);
    return 0;
}

/* An SSM parameter's value (name or ARN, with an optional :version or
 * :label selector, as GetParameters takes it). */
static int ssm_value(struct awsjson_client *role, const char *from, char **ret, char *why, size_t cap)
{
    struct error err;
    _cleanup_json_ json_t *out = NULL;
    json_t *in = json_pack("{s:[s], s:b}", "Names", from, "WithDecryption", 1);
    int r = awsjson_call(role, SSM_TARGET, "GetParameters", in, &out, &err);
    json_decref(in);
    if (r < 0) {
        snprintf(why, cap, REASON_PREFIX "execution resource retrieval failed: unable to retrieve secrets from ssm: %s",
                 err.msg);
        return -1;
    }
    if (json_array_size(json_object_get(out, "InvalidParameters")) > 0) {
        snprintf(why, cap,
                 REASON_PREFIX "execution resource retrieval failed: unable to retrieve secrets from ssm: "
                               "invalid parameters: %s",
                 from);
        return -1;
    }
    json_t *p = json_array_get(json_object_get(out, "Parameters"), 0);
    const char *v = json_string_value(json_object_get(p, "Value"));
    if (!v) {
        snprintf(why, cap, REASON_PREFIX "execution resource retrieval failed: ssm returned no value for %s", from);
        return -1;
    }
    *ret = strdup(v);
    wipe((char *)v);
    return *ret ? 0 : -1;
}

/* The JSON SecretString's member `key`, as a string (non-strings are
 * given as their JSON text, as ECS does). */
static int asm_json_key(const char *secret_string, const struct secret_ref *ref, char **ret, char *why, size_t cap)
{
    json_error_t jerr;
    _cleanup_json_ json_t *doc = json_loads(secret_string, 0, &jerr);
    json_t *v = json_object_get(doc, ref->key);
    if (!v) {
        snprintf(why, cap,
                 REASON_PREFIX "execution resource retrieval failed: unable to retrieve secret from asm: "
                               "retrieved secret from Secrets Manager did not contain json key %s",
                 ref->key);
        return -1;
    }
    *ret = json_is_string(v) ? strdup(json_string_value(v)) : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (json_is_string(v))
        wipe((char *)json_string_value(v));
    return *ret ? 0 : -1;
}

static int asm_value(struct awsjson_client *role, const char *from, char **ret, char *why, size_t cap)
{
    struct secret_ref ref;
    if (secret_ref_parse(from, &ref) < 0) {
        snprintf(why, cap, REASON_PREFIX "execution resource retrieval failed: invalid secret ARN %.512s", from);
        return -1;
    }
    struct error err;
    _cleanup_json_ json_t *out = NULL;
    json_t *in = json_pack("{s:s}", "SecretId", ref.arn);
    if (ref.stage[0])
        json_object_set_new(in, "VersionStage", json_string(ref.stage));
    if (ref.id[0])
        json_object_set_new(in, "VersionId", json_string(ref.id));
    int r = awsjson_call(role, ASM_TARGET, "GetSecretValue", in, &out, &err);
    json_decref(in);
    if (r < 0) {
        snprintf(why, cap,
                 REASON_PREFIX "execution resource retrieval failed: unable to retrieve secret from asm: "
                               "failed to fetch secret %.512s from secrets manager: %s",
                 ref.arn, err.msg);
        return -1;
    }
    const char *s = json_string_value(json_object_get(out, "SecretString"));
    if (!s) {
        snprintf(why, cap,
                 REASON_PREFIX "execution resource retrieval failed: unable to retrieve secret from asm: "
                               "secret %.512s has no SecretString (binary secrets cannot be environment "
                               "variables)",
                 ref.arn);
        return -1;
    }
    r = ref.key[0] ? asm_json_key(s, &ref, ret, why, cap) : ((*ret = strdup(s)) ? 0 : -1);
    wipe((char *)s);
    return r;
}

/* The registry credentials of c's repositoryCredentials: a secret whose
 * SecretString is {"username": ..., "password": ...}. */
static int registry_credentials(struct runner_ctr *c, struct awsjson_client *role, char *why, size_t cap)
{
    const char *arn = registry_secret(c);
    if (!arn)
        return 0;
    _cleanup_free_ char *text = NULL;
    if (asm_value(role, arn, &text, why, cap) < 0)
        return -1;
    json_error_t jerr;
    _cleanup_json_ json_t *doc = json_loads(text, 0, &jerr);
    wipe(text);
    const char *user = json_string_value(json_object_get(doc, "username"));
    const char *pass = json_string_value(json_object_get(doc, "password"));
    if (user && pass) {
        c->registry_user = strdup(user);
        c->registry_pass = strdup(pass);
    }
    if (pass)
        wipe((char *)pass);
    if (!c->registry_user || !c->registry_pass) {
        snprintf(why, cap,
                 REASON_PREFIX "execution resource retrieval failed: unable to get registry auth from asm: "
                               "secret %.512s is not a JSON object with username and password",
                 arn);
        return -1;
    }
    return 0;
}

/* valueFrom's value: a Secrets Manager ARN, else an SSM parameter. */
static int secret_value(struct awsjson_client *role, const char *from, char **ret, char *why, size_t cap)
{
    return secret_ref_is_asm(from) ? asm_value(role, from, ret, why, cap) : ssm_value(role, from, ret, why, cap);
}

/* logConfiguration.secretOptions into the log driver's options, in the
 * container's definition as this runner holds it (memory only: task.json
 * keeps the task as the server sent it). */
static int log_secret_options(struct runner_ctr *c, struct awsjson_client *role, char *why, size_t cap)
{
    json_t *conf = json_object_get(c->def, "logConfiguration");
    json_t *list = json_object_get(conf, "secretOptions");
    if (json_array_size(list) == 0)
        return 0;
    json_t *options = json_object_get(conf, "options");
    if (!json_is_object(options)) {
        options = json_object();
        json_object_set_new(conf, "options", options);
    }
    size_t i;
    json_t *s;
    json_array_foreach(list, i, s) {
        const char *name = json_string_value(json_object_get(s, "name"));
        const char *from = json_string_value(json_object_get(s, "valueFrom"));
        if (!name || !from) {
            snprintf(why, cap, REASON_PREFIX "container %s: a secret option needs name and valueFrom", c->name);
            return -1;
        }
        _cleanup_free_ char *value = NULL;
        if (secret_value(role, from, &value, why, cap) < 0)
            return -1;
        json_object_set_new(options, name, json_string(value));
        wipe(value);
    }
    return 0;
}

/* One container's secrets into c->secret_env. */
static int container_secrets(struct runner_ctr *c, struct awsjson_client *role, char *why, size_t cap)
{
    json_t *list = json_object_get(c->def, "secrets");
    size_t n = json_array_size(list);
    if (n == 0)
        return 0;
    if (n > LIMIT_CTR_SECRETS) {
        snprintf(why, cap, REASON_PREFIX "container %s has %zu secrets; berth takes at most %d", c->name, n,
                 LIMIT_CTR_SECRETS);
        return -1;
    }
    c->secret_env = calloc(n, sizeof(char *));
    if (!c->secret_env)
        return -1;
    size_t i;
    json_t *s;
    json_array_foreach(list, i, s) {
        const char *name = json_string_value(json_object_get(s, "name"));
        const char *from = json_string_value(json_object_get(s, "valueFrom"));
        if (!name || !from) {
            snprintf(why, cap, REASON_PREFIX "container %s: a secret needs name and valueFrom", c->name);
            return -1;
        }
        _cleanup_free_ char *value = NULL;
        if (secret_value(role, from, &value, why, cap) < 0)
            return -1;
        size_t len = strlen(name) + 1 + strlen(value) + 1;
        char *env = strlen(value) <= LIMIT_SECRET_VALUE ? malloc(len) : NULL;
        if (env)
            snprintf(env, len, "%s=%s", name, value);
        wipe(value);
        if (!env) {
            snprintf(why, cap, REASON_PREFIX "secret %s of container %s is larger than %u bytes", name, c->name,
                     LIMIT_SECRET_VALUE);
            return -1;
        }
        c->secret_env[c->n_secret_env++] = env;
    }
    return 0;
}

/* Resolve with the execution role's credentials: every container's
 * secrets, log secret options and registry credentials (only NULL), or
 * only's `secrets` alone (a restart: its image is pulled, its log options
 * were filled at the first start). */
static int resolve(struct task_runner *t, struct runner_ctr *only, char *why, size_t cap)
{
    snprintf(why, cap, REASON_PREFIX "out of memory"); /* the failures that say nothing else */
    const struct agent_config *cfg = &t->env->agent->cfg;
    struct aws_credentials creds = {0};
    if (role_credentials(t, &creds, why, cap) < 0)
        return -1;
    struct error err;
    struct awsjson_client *role = NULL;
    int r = awsjson_client_new(cfg->server, &creds, cfg->region, &role, &err);
    aws_credentials_clear(&creds);
    if (r < 0) {
        snprintf(why, cap, REASON_PREFIX "%s", err.msg);
        return -1;
    }
    if (only)
        r = container_secrets(only, role, why, cap);
    for (size_t i = 0; i < t->nctrs && r == 0 && !only; i++) {
        r = registry_credentials(&t->ctrs[i], role, why, cap);
        if (r == 0)
            r = container_secrets(&t->ctrs[i], role, why, cap);
        if (r == 0)
            r = log_secret_options(&t->ctrs[i], role, why, cap);
    }
    awsjson_client_free(role);
    if (r < 0) {
        for (size_t i = 0; i < t->nctrs; i++)
            task_secrets_forget(&t->ctrs[i]);
        log_warn("task %s: %s", t->id, why);
        return -1;
    }
    log_info("task %s: secrets resolved with its execution role", t->id);
    return 0;
}

int task_secrets_resolve(struct task_runner *t, char *why, size_t cap)
{
    if (!task_has_secrets(t))
        return 0;
    return resolve(t, NULL, why, cap);
}

int task_secrets_resolve_env(struct task_runner *t, struct runner_ctr *c, char *why, size_t cap)
{
    if (json_array_size(json_object_get(c->def, "secrets")) == 0)
        return 0;
    return resolve(t, c, why, cap);
}
