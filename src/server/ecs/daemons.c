/* daemons.c - the Daemon API's requests (see daemons.h).
 *
 * Each request only records: a daemon document, one revision per
 * CreateDaemon/UpdateDaemon (what it is to run: the daemon task definition
 * as it was, the capacity providers, the task options) and one deployment
 * rolling to it.  The scheduler's daemon pass does the running and keeps
 * the counts that DescribeDaemon and DescribeDaemonDeployments show, and
 * fails and rolls back a deployment (circuit breaker, alarms).  What berth
 * cannot honour (ECS managed tags) is refused with a validation error
 * rather than accepted and ignored. */
#include "server/ecs/daemons.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/ids.h"
#include "server/ecs/arn.h"
#include "server/ecs/capacity_providers.h"
#include "server/ecs/clusters.h"
#include "server/ecs/daemon_taskdefs.h"
#include "server/http/paging.h"
#include "server/http/tags.h"
#include "server/store/store_capacity_providers.h"
#include "server/store/store_clusters.h"
#include "server/store/store_docs.h"

#define NAME_MAX_LEN 255
#define KEY_MAX 600
#define LIST_MAX 100
#define DESCRIBE_MAX 100
/* Alarm names one daemon deployment may watch (berth's bound: the model
 * gives none). */
#define DAEMON_ALARMS_MAX 10

static const char *jstr(json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

static bool valid_name(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n >= 1 && n <= NAME_MAX_LEN &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n;
}

/* An ARN of type (daemon, daemon-revision, daemon-deployment) in this
 * region and account: its resource ("cluster/name[/id]") into key. */
static bool arn_key(const struct op_ctx *ctx, const char *s, const char *type, int parts, char *key, size_t cap)
{
    struct arn arn;
    if (!s || !arn_parse(s, &arn) || strcmp(arn.type, type) != 0 || strcmp(arn.region, ctx->region) != 0 ||
        strcmp(arn.account, ctx->account) != 0)
        return false;
    int slashes = 0;
    for (const char *p = arn.resource; *p; p++)
        slashes += *p == '/';
    if (slashes != parts - 1 || strlen(arn.resource) >= cap)
        return false;
    snprintf(key, cap, "%s", arn.resource);
    return true;
}

/* The daemon a daemonArn names: 1 (doc, key filled), else -1 with
 * DaemonNotFoundException (or the store's error). */
static int daemon_get(struct op_ctx *ctx, json_t *in, char *key, size_t cap, json_t **ret_doc, struct error *err)
{
    const char *s = jstr(in, "daemonArn");
    if (!arn_key(ctx, s, "daemon", 2, key, cap))
        return error_set(err, ERR_INVALID, "Invalid daemon ARN: %.300s", s ? s : "");
    char cluster[NAME_MAX_LEN + 1];
    snprintf(cluster, sizeof(cluster), "%.*s", (int)strcspn(key, "/"), key);
    _cleanup_(cluster_row_clear) struct cluster_row crow = {0};
    int r = store_cluster_get(ctx->tx, ctx->region, cluster, &crow, err);
    if (r < 0)
        return -1;
    if (r == 0 || strcmp(crow.status, "ACTIVE") != 0)
        return error_set(err, API_ERR_CLUSTER_NOT_FOUND, "Cluster not found.");
    r = store_doc_get(ctx->tx, DAEMON_KIND, ctx->region, key, ret_doc, err);
    if (r < 0)
        return -1;
    if (r == 0)
        return error_set(err, API_ERR_DAEMON_NOT_FOUND, "Daemon not found: %.600s", s);
    return 1;
}

/* capacityProviderArns: berth providers (names or ARNs) associated with
 * the cluster; ret_names gets the names, ret_arns the ARNs. */
static int check_providers(struct op_ctx *ctx, const struct cluster_row *cluster, json_t *list, json_t *ret_names,
                           json_t *ret_arns, struct error *err)
{
    if (json_array_size(list) == 0)
        return error_set(err, ERR_INVALID, "capacityProviderArns must contain at least one capacity provider.");
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) {
        const char *s = json_string_value(v);
        const char *name = s;
        struct arn arn;
        if (s && strncmp(s, "arn:", 4) == 0) {
            if (!arn_parse(s, &arn) || strcmp(arn.type, "capacity-provider") != 0 ||
                strcmp(arn.region, ctx->region) != 0 || strcmp(arn.account, ctx->account) != 0)
                return error_set(err, ERR_INVALID, "The specified capacity provider ARN is invalid: %.300s", s);
            name = strrchr(s, '/') + 1;
        }
        if (!name || !*name)
            return error_set(err, ERR_INVALID, "The specified capacity provider is invalid.");
        if (capacity_provider_is_fargate(name))
            return error_set(err, ERR_INVALID,
                             "The specified capacity provider %.255s cannot run daemons: a daemon runs on the "
                             "container instances of a capacity provider.",
                             name);
        _cleanup_json_ json_t *doc = NULL;
        int r = store_capacity_provider_get(ctx->tx, ctx->region, name, &doc, err);
        if (r < 0)
            return -1;
        if (r == 0 || strcmp(jstr(doc, "status") ? jstr(doc, "status") : "ACTIVE", "ACTIVE") != 0)
            return error_set(err, ERR_INVALID, "The specified capacity provider %.255s does not exist.", name);
        bool associated = false;
        size_t k;
        json_t *c;
        json_array_foreach(json_object_get(cluster->doc, "capacityProviders"), k, c) {
            const char *cn = json_string_value(c);
            const char *slash = cn ? strrchr(cn, '/') : NULL;
            if (cn && strcmp(slash ? slash + 1 : cn, name) == 0)
                associated = true;
        }
        if (!associated)
            return error_set(err, ERR_INVALID,
                             "The specified capacity provider %.255s is not associated with the cluster %.255s.", name,
                             cluster->name);
        bool dup = false;
        json_array_foreach(ret_names, k, c)
            dup |= strcmp(json_string_value(c), name) == 0;
        if (dup)
            continue;
        _cleanup_free_ char *parn = arn_format(ctx, "capacity-provider", name);
        json_array_append_new(ret_names, json_string(name));
        json_array_append_new(ret_arns, json_string(parn ? parn : name));
    }
    return 0;
}

/* deploymentConfiguration.alarms (DaemonAlarmConfiguration): the names
 * of the CloudWatch alarms to watch, at least one when enable is true.
 * The model has checked the types; ret_alarms gets the configuration as
 * the deployment echoes it. */
static int check_alarms(json_t *alarms, json_t **ret_alarms, struct error *err)
{
    json_t *names = json_object_get(alarms, "alarmNames");
    bool enable = json_is_true(json_object_get(alarms, "enable"));
    if (json_array_size(names) > DAEMON_ALARMS_MAX)
        return error_set(err, ERR_INVALID, "deploymentConfiguration.alarms.alarmNames can have at most %d alarms.",
                         DAEMON_ALARMS_MAX);
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n) {
        size_t len = strlen(json_string_value(n));
        if (len < 1 || len > NAME_MAX_LEN)
            return error_set(err, ERR_INVALID,
                             "deploymentConfiguration.alarms.alarmNames[%zu] must be between 1 and 255 characters.", i);
    }
    if (enable && json_array_size(names) == 0)
        return error_set(err, ERR_INVALID,
                         "deploymentConfiguration.alarms.alarmNames must name at least one alarm when enable is true.");
    *ret_alarms = json_pack("{s:o, s:b}", "alarmNames", names ? json_incref(names) : json_array(), "enable", enable);
    return *ret_alarms ? 0 : error_set(err, ERR_INTERNAL, "out of memory");
}

/* deploymentConfiguration: drainPercent, bakeTimeInMinutes and alarms
 * (the daemon pass watches them; daemon_round.c).  ret_conf gets the
 * configuration with its defaults. */
static int check_deployment_configuration(json_t *conf, json_t **ret_conf, struct error *err)
{
    json_t *drain = json_object_get(conf, "drainPercent");
    double pct = drain ? json_number_value(drain) : DAEMON_DEFAULT_DRAIN_PERCENT;
    if (pct < 0.0 || pct > 100.0)
        return error_set(err, ERR_INVALID, "drainPercent must be between 0.0 and 100.0.");
    json_t *bake = json_object_get(conf, "bakeTimeInMinutes");
    json_int_t minutes = bake ? json_integer_value(bake) : 0;
    if (minutes < 0 || minutes > 1440)
        return error_set(err, ERR_INVALID, "bakeTimeInMinutes must be between 0 and 1440.");
    _cleanup_json_ json_t *alarms = NULL;
    if (json_object_get(conf, "alarms") && check_alarms(json_object_get(conf, "alarms"), &alarms, err) < 0)
        return -1;
    *ret_conf = json_pack("{s:f, s:I}", "drainPercent", pct, "bakeTimeInMinutes", minutes);
    if (*ret_conf && alarms)
        json_object_set(*ret_conf, "alarms", alarms);
    return *ret_conf ? 0 : error_set(err, ERR_INTERNAL, "out of memory");
}

/* Task options the model offers: enableECSManagedTags is refused;
 * propagateTags DAEMON copies the daemon's tags to its tasks. */
static int check_task_options(json_t *in, struct error *err)
{
    if (json_is_true(json_object_get(in, "enableECSManagedTags")))
        return error_set(err, ERR_INVALID,
                         "enableECSManagedTags is not supported for daemons: berth does not add ECS managed tags "
                         "to daemon tasks.");
    return 0;
}

static void new_id(char out[33])
{
    if (ids_random_hex(out, 16) < 0)
        snprintf(out, 33, "%032x", 0);
}

/* Record a revision of daemon (doc) as the request describes it; its ARN
 * into ret_arn (owned). */
static int put_revision(struct op_ctx *ctx, json_t *daemon, json_t *in, json_t *taskdef, json_t *provider_names,
                        json_t *tags, char **ret_arn, struct error *err)
{
    char id[33], key[KEY_MAX], resource[KEY_MAX];
    new_id(id);
    snprintf(key, sizeof(key), "%s/%s/%s", jstr(daemon, "cluster"), jstr(daemon, "daemonName"), id);
    snprintf(resource, sizeof(resource), "%s", key);
    _cleanup_free_ char *arn = arn_format(ctx, "daemon-revision", resource);
    json_t *images = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(taskdef, "containerDefinitions"), i, c)
        json_array_append_new(images, json_pack("{s:O?, s:O?}", "containerName", json_object_get(c, "name"), "image",
                                                json_object_get(c, "image")));
    const char *propagate = jstr(in, "propagateTags");
    _cleanup_json_ json_t *doc =
        json_pack("{s:s, s:O, s:O, s:O, s:f, s:o, s:s, s:b, s:b, s:{s:s, s:O, s:O, s:O?}}", "daemonRevisionArn",
                  arn ? arn : "", "clusterArn", json_object_get(daemon, "clusterArn"), "daemonArn",
                  json_object_get(daemon, "daemonArn"), "daemonTaskDefinitionArn",
                  json_object_get(taskdef, "daemonTaskDefinitionArn"), "createdAt", time_to_epoch_seconds(ctx->now),
                  "containerImages", images, "propagateTags", propagate ? propagate : "NONE", "enableECSManagedTags",
                  false, "enableExecuteCommand", json_is_true(json_object_get(in, "enableExecuteCommand")), "berth",
                  "id", id, "taskDefinition", taskdef, "capacityProviders", provider_names, "tags", tags);
    if (!arn || !doc)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (store_doc_put(ctx->tx, DAEMON_KIND_REVISION, ctx->region, key, doc, err) < 0)
        return -1;
    *ret_arn = TAKE_PTR(arn);
    return 0;
}

/* A deployment of daemon to revision_arn; its ARN into ret_arn (owned).
 * Its circuit breaker always monitors (the model has no switch for it; the
 * daemon pass sets its threshold from the daemon's instances); its alarms
 * monitor when conf's alarms are enabled. */
static int put_deployment(struct op_ctx *ctx, json_t *daemon, const char *revision_arn, json_t *sources, json_t *conf,
                          char **ret_arn, struct error *err)
{
    char id[33], key[KEY_MAX];
    new_id(id);
    snprintf(key, sizeof(key), "%s/%s/%s", jstr(daemon, "cluster"), jstr(daemon, "daemonName"), id);
    _cleanup_free_ char *arn = arn_format(ctx, "daemon-deployment", key);
    double now = time_to_epoch_seconds(ctx->now);
    json_t *alarms = json_object_get(conf, "alarms");
    bool watch = json_is_true(json_object_get(alarms, "enable"));
    json_t *names = json_object_get(alarms, "alarmNames");
    _cleanup_json_ json_t *doc = json_pack(
        "{s:s, s:O, s:O, s:s, s:{s:s, s:[], s:i, s:i}, s:O, s:{s:s, s:o}, s:{s:s, s:i}, s:O, s:f, s:f}",
        "daemonDeploymentArn", arn ? arn : "", "daemonArn", json_object_get(daemon, "daemonArn"), "clusterArn",
        json_object_get(daemon, "clusterArn"), "status", "IN_PROGRESS", "targetDaemonRevision", "arn", revision_arn,
        "capacityProviders", "totalRunningInstanceCount", 0, "totalDrainingInstanceCount", 0, "sourceDaemonRevisions",
        sources, "alarms", "status", watch ? "MONITORING" : "DISABLED", "alarmNames",
        names ? json_incref(names) : json_array(), "circuitBreaker", "status", "MONITORING", "failureCount", 0,
        "deploymentConfiguration", conf, "createdAt", now, "startedAt", now);
    if (!arn || !doc)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (store_doc_put(ctx->tx, DAEMON_KIND_DEPLOYMENT, ctx->region, key, doc, err) < 0)
        return -1;
    *ret_arn = TAKE_PTR(arn);
    return 0;
}

/* Stop the daemon's deployment in progress (UpdateDaemon, DeleteDaemon). */
static int stop_deployment(struct op_ctx *ctx, json_t *daemon, const char *reason, struct error *err)
{
    const char *arn = jstr(daemon, "deploymentArn");
    char key[KEY_MAX];
    if (!arn_key(ctx, arn, "daemon-deployment", 3, key, sizeof(key)))
        return 0;
    _cleanup_json_ json_t *doc = NULL;
    int r = store_doc_get(ctx->tx, DAEMON_KIND_DEPLOYMENT, ctx->region, key, &doc, err);
    if (r <= 0)
        return r;
    const char *status = jstr(doc, "status");
    if (strcmp(status, "IN_PROGRESS") != 0 && strcmp(status, "PENDING") != 0 &&
        strcmp(status, "ROLLBACK_IN_PROGRESS") != 0)
        return 0;
    json_object_set_new(doc, "status", json_string("STOPPED"));
    json_object_set_new(doc, "statusReason", json_string(reason));
    json_object_set_new(doc, "stoppedAt", json_real(time_to_epoch_seconds(ctx->now)));
    daemons_monitors_done(doc);
    return store_doc_put(ctx->tx, DAEMON_KIND_DEPLOYMENT, ctx->region, key, doc, err);
}

void daemons_monitors_done(json_t *deployment)
{
    static const char *const monitors[] = {"alarms", "circuitBreaker"};
    for (size_t i = 0; i < ELEMENTSOF(monitors); i++) {
        json_t *m = json_object_get(deployment, monitors[i]);
        if (jstr(m, "status") && strcmp(jstr(m, "status"), "MONITORING") == 0)
            json_object_set_new(m, "status", json_string("MONITORING_COMPLETE"));
    }
}

int daemons_arn_exists(struct op_ctx *ctx, const struct arn *arn, struct error *err)
{
    _cleanup_json_ json_t *doc = NULL;
    int r = store_doc_get(ctx->tx, DAEMON_KIND, arn->region, arn->resource, &doc, err);
    if (r < 0)
        return -1;
    return r ? 0 : error_set(err, API_ERR_DAEMON_NOT_FOUND, "Daemon not found.");
}

static void reply(json_t *out, json_t *daemon, bool updated)
{
    static const char *const keys[] = {"daemonArn", "status", "createdAt", "deploymentArn"};
    for (size_t i = 0; i < ELEMENTSOF(keys); i++)
        json_object_set(out, keys[i], json_object_get(daemon, keys[i]));
    if (updated)
        json_object_set(out, "updatedAt", json_object_get(daemon, "updatedAt"));
}

int action_create_daemon(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    const char *name = jstr(in, "daemonName");
    if (!valid_name(name))
        return error_set(err, ERR_INVALID,
                         "Daemon name should be up to 255 letters (uppercase and lowercase), numbers, hyphens, "
                         "and underscores.");
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    if (cluster_resolve(ctx, json_object_get(in, "clusterArn"), false, &cluster, err) < 0)
        return -1;
    _cleanup_json_ json_t *names = json_array(), *arns = json_array(), *conf = NULL, *taskdef = NULL;
    if (check_providers(ctx, &cluster, json_object_get(in, "capacityProviderArns"), names, arns, err) < 0 ||
        check_deployment_configuration(json_object_get(in, "deploymentConfiguration"), &conf, err) < 0 ||
        check_task_options(in, err) < 0)
        return -1;
    json_t *tags = json_object_get(in, "tags");
    if (tags && tags_validate(tags, err) < 0)
        return -1;
    int r = daemon_taskdefs_get_active(ctx, jstr(in, "daemonTaskDefinitionArn"), &taskdef, err);
    if (r < 0)
        return -1;
    if (r == 0)
        return error_set(err, ERR_INVALID, "The daemon task definition %.600s does not exist or is not ACTIVE.",
                         jstr(in, "daemonTaskDefinitionArn") ? jstr(in, "daemonTaskDefinitionArn") : "");
    char key[KEY_MAX];
    snprintf(key, sizeof(key), "%s/%s", cluster.name, name);
    _cleanup_json_ json_t *old = NULL;
    r = store_doc_get(ctx->tx, DAEMON_KIND, ctx->region, key, &old, err);
    if (r < 0)
        return -1;
    const char *token = jstr(in, "clientToken");
    if (r > 0) {
        if (token && jstr(old, "clientToken") && strcmp(token, jstr(old, "clientToken")) == 0) {
            reply(out, old, false);
            return 0;
        }
        return error_set(err, ERR_INVALID, "A daemon named %s already exists in the cluster %s.", name, cluster.name);
    }
    _cleanup_free_ char *darn = arn_format(ctx, "daemon", key);
    _cleanup_free_ char *carn = arn_format(ctx, "cluster", cluster.name);
    double now = time_to_epoch_seconds(ctx->now);
    _cleanup_json_ json_t *daemon =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:f, s:f, s:O, s:O, s:[]}", "daemonArn", darn ? darn : "", "clusterArn",
                  carn ? carn : "", "cluster", cluster.name, "daemonName", name, "status", "ACTIVE", "createdAt", now,
                  "updatedAt", now, "capacityProviders", names, "capacityProviderArns", arns, "revisions");
    if (!darn || !carn || !daemon)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (token)
        json_object_set_new(daemon, "clientToken", json_string(token));
    _cleanup_free_ char *rev = NULL, *dep = NULL;
    _cleanup_json_ json_t *sources = json_array();
    if (put_revision(ctx, daemon, in, taskdef, names, tags, &rev, err) < 0 ||
        put_deployment(ctx, daemon, rev, sources, conf, &dep, err) < 0)
        return -1;
    json_array_append_new(json_object_get(daemon, "revisions"), json_string(rev));
    json_object_set_new(daemon, "revisionArn", json_string(rev));
    json_object_set_new(daemon, "deploymentArn", json_string(dep));
    if (store_doc_put(ctx->tx, DAEMON_KIND, ctx->region, key, daemon, err) < 0)
        return -1;
    if (json_array_size(tags) > 0 && tags_attach(ctx, darn, tags, err) < 0)
        return -1;
    reply(out, daemon, false);
    return 0;
}

int action_update_daemon(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    char key[KEY_MAX];
    _cleanup_json_ json_t *daemon = NULL;
    if (daemon_get(ctx, in, key, sizeof(key), &daemon, err) < 0)
        return -1;
    if (strcmp(jstr(daemon, "status"), "ACTIVE") != 0)
        return error_set(err, API_ERR_DAEMON_NOT_ACTIVE, "Daemon is not ACTIVE.");
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    if (cluster_resolve(ctx, json_object_get(daemon, "clusterArn"), false, &cluster, err) < 0)
        return -1;
    _cleanup_json_ json_t *names = json_array(), *arns = json_array(), *conf = NULL, *taskdef = NULL;
    if (check_providers(ctx, &cluster, json_object_get(in, "capacityProviderArns"), names, arns, err) < 0 ||
        check_deployment_configuration(json_object_get(in, "deploymentConfiguration"), &conf, err) < 0 ||
        check_task_options(in, err) < 0)
        return -1;
    int r = daemon_taskdefs_get_active(ctx, jstr(in, "daemonTaskDefinitionArn"), &taskdef, err);
    if (r < 0)
        return -1;
    if (r == 0)
        return error_set(err, ERR_INVALID, "The daemon task definition %.600s does not exist or is not ACTIVE.",
                         jstr(in, "daemonTaskDefinitionArn") ? jstr(in, "daemonTaskDefinitionArn") : "");
    /* The daemon's tags, for propagateTags DAEMON. */
    _cleanup_json_ json_t *tags = NULL;
    char rkey[KEY_MAX];
    if (arn_key(ctx, jstr(daemon, "revisionArn"), "daemon-revision", 3, rkey, sizeof(rkey))) {
        _cleanup_json_ json_t *prev = NULL;
        if (store_doc_get(ctx->tx, DAEMON_KIND_REVISION, ctx->region, rkey, &prev, err) < 0)
            return -1;
        tags = json_incref(json_object_get(json_object_get(prev, "berth"), "tags"));
    }
    if (stop_deployment(ctx, daemon, "Stopped by a newer deployment (UpdateDaemon).", err) < 0)
        return -1;
    json_object_set(daemon, "capacityProviders", names);
    json_object_set(daemon, "capacityProviderArns", arns);
    json_object_set_new(daemon, "updatedAt", json_real(time_to_epoch_seconds(ctx->now)));
    _cleanup_json_ json_t *sources = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(daemon, "revisions"), i, v)
        json_array_append_new(sources, json_pack("{s:O, s:[], s:i, s:i}", "arn", v, "capacityProviders",
                                                 "totalRunningInstanceCount", 0, "totalDrainingInstanceCount", 0));
    _cleanup_free_ char *rev = NULL, *dep = NULL;
    if (put_revision(ctx, daemon, in, taskdef, names, tags, &rev, err) < 0 ||
        put_deployment(ctx, daemon, rev, sources, conf, &dep, err) < 0)
        return -1;
    json_array_append_new(json_object_get(daemon, "revisions"), json_string(rev));
    json_object_set_new(daemon, "revisionArn", json_string(rev));
    json_object_set_new(daemon, "deploymentArn", json_string(dep));
    if (store_doc_put(ctx->tx, DAEMON_KIND, ctx->region, key, daemon, err) < 0)
        return -1;
    reply(out, daemon, true);
    return 0;
}

int action_delete_daemon(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    char key[KEY_MAX];
    _cleanup_json_ json_t *daemon = NULL;
    if (daemon_get(ctx, in, key, sizeof(key), &daemon, err) < 0)
        return -1;
    if (strcmp(jstr(daemon, "status"), "ACTIVE") != 0)
        return error_set(err, API_ERR_DAEMON_NOT_ACTIVE, "Daemon is not ACTIVE.");
    if (stop_deployment(ctx, daemon, "Stopped because the daemon was deleted.", err) < 0)
        return -1;
    json_object_set_new(daemon, "status", json_string("DELETE_IN_PROGRESS"));
    json_object_set_new(daemon, "updatedAt", json_real(time_to_epoch_seconds(ctx->now)));
    if (store_doc_put(ctx->tx, DAEMON_KIND, ctx->region, key, daemon, err) < 0)
        return -1;
    reply(out, daemon, true);
    return 0;
}

/* DaemonDetail.currentRevisions from the counts the scheduler keeps
 * ("running": {revision ARN: {provider name: count}}). */
static json_t *current_revisions(const struct op_ctx *ctx, json_t *daemon)
{
    json_t *list = json_array();
    json_t *running = json_object_get(json_object_get(daemon, "berth"), "running");
    size_t i;
    json_t *rev;
    json_array_foreach(json_object_get(daemon, "revisions"), i, rev) {
        json_t *counts = json_object_get(running, json_string_value(rev));
        bool target = strcmp(json_string_value(rev), jstr(daemon, "revisionArn")) == 0;
        if (!target && !counts)
            continue;
        json_t *providers = json_array();
        json_int_t total = 0;
        const char *name;
        json_t *n;
        json_object_foreach(counts, name, n) {
            char *parn = arn_format(ctx, "capacity-provider", name);
            json_array_append_new(
                providers, json_pack("{s:s, s:I}", "arn", parn ? parn : name, "runningCount", json_integer_value(n)));
            free(parn);
            total += json_integer_value(n);
        }
        json_array_append_new(
            list, json_pack("{s:O, s:o, s:I}", "arn", rev, "capacityProviders", providers, "totalRunningCount", total));
    }
    return list;
}

int action_describe_daemon(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    char key[KEY_MAX];
    _cleanup_json_ json_t *daemon = NULL;
    if (daemon_get(ctx, in, key, sizeof(key), &daemon, err) < 0)
        return -1;
    json_t *d = json_object();
    static const char *const keys[] = {"daemonArn", "clusterArn", "status", "deploymentArn", "createdAt", "updatedAt"};
    for (size_t i = 0; i < ELEMENTSOF(keys); i++)
        json_object_set(d, keys[i], json_object_get(daemon, keys[i]));
    json_object_set_new(d, "currentRevisions", current_revisions(ctx, daemon));
    json_object_set_new(out, "daemon", d);
    return 0;
}

struct daemon_listing {
    const char *cluster; /* NULL: any */
    json_t *providers;   /* names to match (any of), or empty */
    json_t *items;       /* [[key, summary]] */
};

static int collect_daemon(const char *region, json_t *doc, void *ud, struct error *err)
{
    struct daemon_listing *l = ud;
    if (l->cluster && strcmp(jstr(doc, "cluster"), l->cluster) != 0)
        return 0;
    if (json_array_size(l->providers) > 0) {
        bool any = false;
        size_t i, k;
        json_t *a, *b;
        json_array_foreach(l->providers, i, a)
            json_array_foreach(json_object_get(doc, "capacityProviders"), k, b)
                any |= json_equal(a, b);
        if (!any)
            return 0;
    }
    char key[KEY_MAX];
    snprintf(key, sizeof(key), "%s/%s", jstr(doc, "cluster"), jstr(doc, "daemonName"));
    json_t *summary = json_pack("{s:O, s:O, s:O, s:O}", "daemonArn", json_object_get(doc, "daemonArn"), "status",
                                json_object_get(doc, "status"), "createdAt", json_object_get(doc, "createdAt"),
                                "updatedAt", json_object_get(doc, "updatedAt"));
    if (!summary || json_array_append_new(l->items, json_pack("[s, o]", key, summary)) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return 0;
}

int action_list_daemons(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    bool by_cluster = json_object_get(in, "clusterArn") != NULL;
    if (by_cluster && cluster_resolve(ctx, json_object_get(in, "clusterArn"), false, &cluster, err) < 0)
        return -1;
    _cleanup_json_ json_t *providers = json_array(), *items = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(in, "capacityProviderArns"), i, v) {
        const char *s = json_string_value(v);
        const char *slash = s ? strrchr(s, '/') : NULL;
        json_array_append_new(providers, json_string(slash ? slash + 1 : s ? s : ""));
    }
    struct page page;
    if (page_begin(in, "ListDaemons", LIST_MAX, LIST_MAX, &page, err) < 0)
        return -1;
    struct daemon_listing l = {by_cluster ? cluster.name : NULL, providers, items};
    char prefix[NAME_MAX_LEN + 2];
    snprintf(prefix, sizeof(prefix), "%s/", cluster.name);
    if (store_doc_each(ctx->tx, DAEMON_KIND, ctx->region, page.after, by_cluster ? prefix : NULL, collect_daemon, &l,
                       err) < 0) {
        page_free(&page);
        return -1;
    }
    json_t *list = json_array();
    json_object_set_new(out, "daemonSummariesList", list);
    json_t *item;
    json_array_foreach(items, i, item) {
        if ((int)i == page.limit) {
            page_set_next(out, "ListDaemons", json_string_value(json_array_get(json_array_get(items, i - 1), 0)));
            break;
        }
        json_array_append(list, json_array_get(item, 1));
    }
    page_free(&page);
    return 0;
}

/* Describe* by ARN: each found document (without berth's private part)
 * into list, each other ARN as a failure. */
static int describe_docs(struct op_ctx *ctx, json_t *arns, const char *type, const char *kind, json_t *list,
                         json_t *failures, struct error *err)
{
    size_t n = json_array_size(arns);
    if (n == 0 || n > DESCRIBE_MAX)
        return error_set(err, ERR_INVALID, "Between 1 and %d ARNs must be given.", DESCRIBE_MAX);
    size_t i;
    json_t *v;
    json_array_foreach(arns, i, v) {
        const char *s = json_string_value(v);
        char key[KEY_MAX];
        json_t *doc = NULL;
        int r =
            arn_key(ctx, s, type, 3, key, sizeof(key)) ? store_doc_get(ctx->tx, kind, ctx->region, key, &doc, err) : 0;
        if (r < 0)
            return -1;
        if (r == 0) {
            json_array_append_new(failures, json_pack("{s:s, s:s}", "arn", s ? s : "", "reason", "MISSING"));
            continue;
        }
        json_object_del(doc, "berth");
        json_array_append_new(list, doc);
    }
    return 0;
}

int action_describe_daemon_deployments(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    json_t *list = json_array(), *failures = json_array();
    json_object_set_new(out, "daemonDeployments", list);
    json_object_set_new(out, "failures", failures);
    if (describe_docs(ctx, json_object_get(in, "daemonDeploymentArns"), "daemon-deployment", DAEMON_KIND_DEPLOYMENT,
                      list, failures, err) < 0)
        return -1;
    size_t i;
    json_t *d;
    json_array_foreach(list, i, d)
        json_object_del(d, "daemonArn");
    return 0;
}

int action_describe_daemon_revisions(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    json_t *list = json_array(), *failures = json_array();
    json_object_set_new(out, "daemonRevisions", list);
    json_object_set_new(out, "failures", failures);
    return describe_docs(ctx, json_object_get(in, "daemonRevisionArns"), "daemon-revision", DAEMON_KIND_REVISION, list,
                         failures, err);
}

struct deployment_listing {
    json_t *statuses; /* filter, or empty */
    double after, before;
    json_t *items; /* summaries */
};

static int collect_deployment(const char *region, json_t *doc, void *ud, struct error *err)
{
    struct deployment_listing *l = ud;
    if (json_array_size(l->statuses) > 0) {
        bool any = false;
        size_t i;
        json_t *s;
        json_array_foreach(l->statuses, i, s)
            any |= json_equal(s, json_object_get(doc, "status"));
        if (!any)
            return 0;
    }
    double created = json_number_value(json_object_get(doc, "createdAt"));
    if ((l->after && created <= l->after) || (l->before && created >= l->before))
        return 0;
    json_t *summary = json_object();
    static const char *const keys[] = {"daemonDeploymentArn", "daemonArn", "clusterArn", "status",    "statusReason",
                                       "createdAt",           "startedAt", "stoppedAt",  "finishedAt"};
    for (size_t i = 0; i < ELEMENTSOF(keys); i++)
        if (json_object_get(doc, keys[i]))
            json_object_set(summary, keys[i], json_object_get(doc, keys[i]));
    json_object_set(summary, "targetDaemonRevisionArn",
                    json_object_get(json_object_get(doc, "targetDaemonRevision"), "arn"));
    if (json_array_append_new(l->items, summary) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return 0;
}

static int newest_first(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    double cx = json_number_value(json_object_get(x, "createdAt")),
           cy = json_number_value(json_object_get(y, "createdAt"));
    if (cx != cy)
        return cx < cy ? 1 : -1;
    return strcmp(jstr(x, "daemonDeploymentArn"), jstr(y, "daemonDeploymentArn"));
}

int action_list_daemon_deployments(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    char key[KEY_MAX];
    _cleanup_json_ json_t *daemon = NULL;
    if (daemon_get(ctx, in, key, sizeof(key), &daemon, err) < 0)
        return -1;
    json_t *created = json_object_get(in, "createdAt");
    _cleanup_json_ json_t *items = json_array();
    struct deployment_listing l = {json_object_get(in, "status"), json_number_value(json_object_get(created, "after")),
                                   json_number_value(json_object_get(created, "before")), items};
    char prefix[KEY_MAX + 1];
    snprintf(prefix, sizeof(prefix), "%s/", key);
    if (store_doc_each(ctx->tx, DAEMON_KIND_DEPLOYMENT, ctx->region, NULL, prefix, collect_deployment, &l, err) < 0)
        return -1;
    size_t n = json_array_size(items);
    _cleanup_free_ json_t **sorted = calloc(n ? n : 1, sizeof(*sorted));
    if (!sorted)
        return error_set(err, ERR_INTERNAL, "out of memory");
    for (size_t i = 0; i < n; i++)
        sorted[i] = json_array_get(items, i);
    qsort(sorted, n, sizeof(*sorted), newest_first);
    struct page page;
    if (page_begin(in, "ListDaemonDeployments", LIST_MAX, LIST_MAX, &page, err) < 0)
        return -1;
    json_t *list = json_array();
    json_object_set_new(out, "daemonDeployments", list);
    bool skipping = page.after != NULL;
    for (size_t i = 0; i < n; i++) {
        const char *arn = jstr(sorted[i], "daemonDeploymentArn");
        if (skipping) {
            skipping = strcmp(arn, page.after) != 0;
            continue;
        }
        if ((int)json_array_size(list) == page.limit) {
            page_set_next(out, "ListDaemonDeployments", jstr(sorted[i - 1], "daemonDeploymentArn"));
            break;
        }
        json_array_append(list, sorted[i]);
    }
    page_free(&page);
    return 0;
}
