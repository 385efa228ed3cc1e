/* service_history.c - service deployments and revisions (see
 * service_history.h).  Records live in the service_history table; this
 * module decides what they say.  It does not run deployments: the
 * scheduler does (src/server/sched/reconcile.c). */
#include "server/ecs/service_history.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "common/cleanup.h"
#include "server/ecs/arn.h"
#include "server/ecs/clusters.h"
#include "server/ecs/ecs_errors.h"
#include "server/ecs/services.h"
#include "server/http/paging.h"
#include "server/store/store_svc_history.h"

#define LIST_DEFAULT 20
#define LIST_MAX 100
#define DESCRIBE_MAX 20
#define SUPERSEDED "ECS deployment stopped: a newer deployment of the service started."

static const char *jstr(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static const char *cluster_name(const struct service_row *row)
{
    const char *carn = jstr(row->doc, "clusterArn");
    const char *slash = strrchr(carn, '/');
    return slash ? slash + 1 : carn;
}

/* "arn:...:<type>/<cluster>/<service>/<id>" into buf. */
static void history_arn(const struct op_ctx *ctx, const struct service_row *row, const char *type, const char *id,
                        char *buf, size_t cap)
{
    char resource[600];
    snprintf(resource, sizeof(resource), "%s/%s/%s", cluster_name(row), row->name, id);
    if (!arn_format_buf(buf, cap, ctx, type, resource))
        buf[0] = '\0';
}

/* The revision a deployment introduced is named by its ecs-svc/ digits. */
static void revision_arn(const struct op_ctx *ctx, const struct service_row *row, const char *ecs_id, char *buf,
                         size_t cap)
{
    const char *slash = strrchr(ecs_id, '/');
    history_arn(ctx, row, "service-revision", slash ? slash + 1 : ecs_id, buf, cap);
}

/* A random id of 22 letters and digits, as ECS's deployment ids look. */
static int random_id(char out[23], struct error *err)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char r[22];
    if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
        return error_set(err, ERR_INTERNAL, "no randomness");
    for (size_t i = 0; i < sizeof(r); i++)
        out[i] = alphabet[r[i] % (sizeof(alphabet) - 1)];
    out[22] = '\0';
    return 0;
}

static bool is_final(const char *status)
{
    static const char *const finals[] = {"SUCCESSFUL", "STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED"};
    for (size_t i = 0; i < ELEMENTSOF(finals); i++)
        if (strcmp(status, finals[i]) == 0)
            return true;
    return false;
}

/* The revision arn a deployment of the service document runs. */
static void deployment_revision(struct op_ctx *ctx, const struct service_row *row, const char *ecs_id, char *buf,
                                size_t cap, struct error *err)
{
    _cleanup_(svc_history_row_clear) struct svc_history_row rec = {0};
    if (store_svc_history_by_ecs_id(ctx->tx, row->id, ecs_id, &rec, err) > 0) {
        snprintf(buf, cap, "%s", jstr(json_object_get(rec.doc, "targetServiceRevision"), "arn"));
        return;
    }
    revision_arn(ctx, row, ecs_id, buf, cap);
}

static int put_revision(struct op_ctx *ctx, const struct service_row *row, json_t *d, const char *arn,
                        struct error *err)
{
    json_t *doc = row->doc;
    json_t *rev = json_pack("{s:s, s:s, s:s, s:s, s:O}", "serviceRevisionArn", arn, "serviceArn",
                            jstr(doc, "serviceArn"), "clusterArn", jstr(doc, "clusterArn"), "taskDefinition",
                            jstr(d, "taskDefinition"), "createdAt", json_object_get(d, "createdAt"));
    if (!rev)
        return error_set(err, ERR_INTERNAL, "out of memory");
    /* The deployment's launch type or strategy, and the service's rest. */
    static const char *const copied[] = {"launchType",        "capacityProviderStrategy", "loadBalancers",
                                         "serviceRegistries", "networkConfiguration",     "platformVersion",
                                         "platformFamily"};
    for (size_t i = 0; i < ELEMENTSOF(copied); i++) {
        json_t *v = json_object_get(d, copied[i]) ? json_object_get(d, copied[i]) : json_object_get(doc, copied[i]);
        if (v)
            json_object_set(rev, copied[i], v);
    }
    struct svc_history_row rec = {.service_id = row->id, .created_at = ctx->now, .doc = rev};
    snprintf(rec.arn, sizeof(rec.arn), "%s", arn);
    snprintf(rec.kind, sizeof(rec.kind), "revision");
    int rc = store_svc_history_put(ctx->tx, &rec, err);
    json_decref(rev);
    return rc;
}

static json_t *revision_summary(const char *arn, json_t *d)
{
    return json_pack("{s:s, s:I, s:I, s:I}", "arn", arn, "requestedTaskCount",
                     json_integer_value(json_object_get(d, "desiredCount")), "runningTaskCount",
                     json_integer_value(json_object_get(d, "runningCount")), "pendingTaskCount",
                     json_integer_value(json_object_get(d, "pendingCount")));
}

/* A record for the new deployment d (and the revision it deploys). */
static int start_record(struct op_ctx *ctx, const struct service_row *row, json_t *d, struct error *err)
{
    char id[23], arn[600], rev[600];
    if (random_id(id, err) < 0)
        return -1;
    history_arn(ctx, row, "service-deployment", id, arn, sizeof(arn));
    revision_arn(ctx, row, jstr(d, "id"), rev, sizeof(rev));
    if (put_revision(ctx, row, d, rev, err) < 0)
        return -1;
    json_t *doc = row->doc;
    json_t *sources = json_array();
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(doc, "deployments"), i, o) {
        if (o == d)
            continue;
        char src[600];
        deployment_revision(ctx, row, jstr(o, "id"), src, sizeof(src), err);
        json_array_append_new(sources, revision_summary(src, o));
    }
    json_t *config = json_object_get(doc, "deploymentConfiguration");
    json_t *breaker = json_object_get(config, "deploymentCircuitBreaker");
    int64_t desired = json_integer_value(json_object_get(doc, "desiredCount"));
    int64_t threshold = desired / 2 + (desired % 2);
    threshold = threshold < 3 ? 3 : threshold > 200 ? 200 : threshold;
    json_t *rec_doc =
        json_pack("{s:s, s:s, s:s, s:O, s:O, s:O, s:o, s:o, s:s, s:{s:s, s:i, s:I}}", "serviceDeploymentArn", arn,
                  "serviceArn", jstr(doc, "serviceArn"), "clusterArn", jstr(doc, "clusterArn"), "createdAt",
                  json_object_get(d, "createdAt"), "startedAt", json_object_get(d, "createdAt"), "updatedAt",
                  json_object_get(d, "updatedAt"), "sourceServiceRevisions", sources, "targetServiceRevision",
                  revision_summary(rev, d), "status", "IN_PROGRESS", "deploymentCircuitBreaker", "status",
                  json_is_true(json_object_get(breaker, "enable")) ? "MONITORING" : "DISABLED", "failureCount", 0,
                  "threshold", (json_int_t)threshold);
    if (!rec_doc)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (config)
        json_object_set(rec_doc, "deploymentConfiguration", config);
    struct svc_history_row rec = {.service_id = row->id, .created_at = ctx->now, .doc = rec_doc};
    snprintf(rec.arn, sizeof(rec.arn), "%s", arn);
    snprintf(rec.kind, sizeof(rec.kind), "deployment");
    snprintf(rec.ecs_id, sizeof(rec.ecs_id), "%s", jstr(d, "id"));
    snprintf(rec.status, sizeof(rec.status), "IN_PROGRESS");
    int rc = store_svc_history_put(ctx->tx, &rec, err);
    json_decref(rec_doc);
    return rc;
}

static void set_status(struct op_ctx *ctx, struct svc_history_row *rec, const char *status, const char *reason)
{
    json_t *now = json_real(time_to_epoch_seconds(ctx->now));
    snprintf(rec->status, sizeof(rec->status), "%s", status);
    json_object_set_new(rec->doc, "status", json_string(status));
    if (reason)
        json_object_set_new(rec->doc, "statusReason", json_string(reason));
    json_object_set(rec->doc, "updatedAt", now);
    if (is_final(status)) {
        json_object_set(rec->doc, "finishedAt", now);
        if (strcmp(status, "STOPPED") == 0)
            json_object_set(rec->doc, "stoppedAt", now);
        json_t *cb = json_object_get(rec->doc, "deploymentCircuitBreaker");
        if (strcmp(jstr(cb, "status"), "MONITORING") == 0)
            json_object_set_new(cb, "status", json_string("MONITORING_COMPLETE"));
    }
    json_decref(now);
}

/* What the record of deployment d says now that d has moved on. */
static int follow(struct op_ctx *ctx, struct svc_history_row *rec, json_t *d, struct error *err)
{
    if (is_final(rec->status))
        return 0;
    bool rollback = strncmp(rec->status, "ROLLBACK_", 9) == 0;
    const char *state = jstr(d, "rolloutState");
    json_t *target = json_object_get(rec->doc, "targetServiceRevision");
    if (!rollback) {
        json_object_set(target, "requestedTaskCount", json_object_get(d, "desiredCount"));
        json_object_set_new(json_object_get(rec->doc, "deploymentCircuitBreaker"), "failureCount",
                            json_integer(json_integer_value(json_object_get(d, "failedTasks"))));
    }
    if (strcmp(state, "COMPLETED") == 0)
        set_status(ctx, rec, rollback ? "ROLLBACK_SUCCESSFUL" : "SUCCESSFUL", NULL);
    else if (strcmp(state, "FAILED") == 0) {
        json_object_set_new(json_object_get(rec->doc, "deploymentCircuitBreaker"), "status", json_string("TRIGGERED"));
        set_status(ctx, rec, rollback ? "ROLLBACK_FAILED" : "STOPPED", jstr(d, "rolloutStateReason"));
    } else if (strcmp(jstr(d, "status"), "PRIMARY") != 0)
        set_status(ctx, rec, "STOPPED", SUPERSEDED);
    else
        return 0;
    return store_svc_history_put(ctx->tx, rec, err);
}

static json_t *find_deployment(json_t *doc, const char *ecs_id)
{
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(doc, "deployments"), i, d) {
        if (strcmp(jstr(d, "id"), ecs_id) == 0)
            return d;
    }
    return NULL;
}

int service_history_sync(struct op_ctx *ctx, const struct service_row *row, struct error *err)
{
    /* Records whose deployment left the document (the service was
     * deleted, or a superseded deployment's tasks are gone) end here. */
    _cleanup_json_ json_t *live = json_pack("[s, s]", "IN_PROGRESS", "ROLLBACK_IN_PROGRESS");
    struct svc_history_row *open = NULL;
    size_t n = 0;
    bool more = false;
    if (store_svc_history_list(ctx->tx, row->id, NULL, live, 0, 0, LIST_MAX, &open, &n, &more, err) < 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (rc == 0 && !find_deployment(row->doc, open[i].ecs_id)) {
            set_status(ctx, &open[i], "STOPPED",
                       strcmp(row->status, "ACTIVE") == 0 ? SUPERSEDED
                                                          : "ECS deployment stopped: the service was deleted.");
            rc = store_svc_history_put(ctx->tx, &open[i], err);
        }
        svc_history_row_clear(&open[i]);
    }
    free(open);
    if (rc < 0)
        return -1;
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(row->doc, "deployments"), i, d) {
        _cleanup_(svc_history_row_clear) struct svc_history_row rec = {0};
        int r = store_svc_history_by_ecs_id(ctx->tx, row->id, jstr(d, "id"), &rec, err);
        if (r < 0)
            return -1;
        /* Only a PRIMARY deployment is new: one left behind by a rollback
         * is the record that the rollback now drives. */
        if (r == 0 && strcmp(jstr(d, "status"), "PRIMARY") != 0)
            continue;
        if ((r == 0 ? start_record(ctx, row, d, err) : follow(ctx, &rec, d, err)) < 0)
            return -1;
    }
    return 0;
}

int service_history_rollback(struct op_ctx *ctx, const struct service_row *row, const char *failed_id,
                             const char *new_id, const char *good_id, const char *reason, struct error *err)
{
    _cleanup_(svc_history_row_clear) struct svc_history_row rec = {0};
    int r = store_svc_history_by_ecs_id(ctx->tx, row->id, failed_id, &rec, err);
    if (r <= 0)
        return r;
    char rev[600];
    deployment_revision(ctx, row, good_id, rev, sizeof(rev), err);
    json_t *cb = json_object_get(rec.doc, "deploymentCircuitBreaker");
    json_t *failed = find_deployment(row->doc, failed_id);
    if (failed && strcmp(jstr(failed, "rolloutState"), "FAILED") == 0)
        json_object_set_new(cb, "status", json_string("TRIGGERED"));
    if (failed)
        json_object_set_new(cb, "failureCount",
                            json_integer(json_integer_value(json_object_get(failed, "failedTasks"))));
    json_object_set_new(rec.doc, "rollback",
                        json_pack("{s:s, s:f, s:s}", "reason", reason, "startedAt", time_to_epoch_seconds(ctx->now),
                                  "serviceRevisionArn", rev));
    snprintf(rec.ecs_id, sizeof(rec.ecs_id), "%s", new_id);
    set_status(ctx, &rec, "ROLLBACK_IN_PROGRESS", reason);
    return store_svc_history_put(ctx->tx, &rec, err);
}

/* ---- the API ---- */

static json_t *brief(json_t *doc)
{
    static const char *const members[] = {"serviceDeploymentArn", "serviceArn", "clusterArn",  "startedAt", "createdAt",
                                          "finishedAt",           "status",     "statusReason"};
    json_t *b = json_object();
    for (size_t i = 0; i < ELEMENTSOF(members); i++)
        if (json_object_get(doc, members[i]))
            json_object_set(b, members[i], json_object_get(doc, members[i]));
    json_object_set(b, "targetServiceRevisionArn",
                    json_object_get(json_object_get(doc, "targetServiceRevision"), "arn"));
    return b;
}

static usec_t created_bound(json_t *in, const char *which)
{
    json_t *v = json_object_get(json_object_get(in, "createdAt"), which);
    return v ? time_from_epoch_seconds(json_number_value(v)) : 0;
}

int action_list_service_deployments(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    _cleanup_(service_row_clear) struct service_row row = {0};
    if (service_resolve(ctx, in, "service", &cluster, &row, err) < 0)
        return -1;
    _cleanup_(page_free) struct page page = {0};
    if (page_begin(in, "ListServiceDeployments", LIST_DEFAULT, LIST_MAX, &page, err) < 0)
        return -1;
    struct svc_history_row *rows = NULL;
    size_t n = 0;
    bool more = false;
    if (store_svc_history_list(ctx->tx, row.id, page.after, json_object_get(in, "status"), created_bound(in, "after"),
                               created_bound(in, "before"), page.limit, &rows, &n, &more, err) < 0)
        return -1;
    json_t *list = json_array();
    json_object_set_new(out, "serviceDeployments", list);
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(list, brief(rows[i].doc));
        if (more && i + 1 == n)
            page_set_next(out, "ListServiceDeployments", rows[i].arn);
        svc_history_row_clear(&rows[i]);
    }
    free(rows);
    return 0;
}

/* DescribeServiceDeployments and DescribeServiceRevisions: each ARN
 * found into out[member], each missing one a failure. */
static int describe(struct op_ctx *ctx, json_t *refs, const char *kind, const char *member, const char *noun,
                    json_t *out, struct error *err)
{
    if (json_array_size(refs) == 0)
        return error_set(err, ERR_INVALID, "%s cannot be empty.", noun);
    if (json_array_size(refs) > DESCRIBE_MAX)
        return error_set(err, ERR_INVALID, "A maximum of %d %s can be described at a time.", DESCRIBE_MAX, noun);
    json_t *list = json_array(), *failures = json_array();
    json_object_set_new(out, member, list);
    json_object_set_new(out, "failures", failures);
    size_t i;
    json_t *v;
    json_array_foreach(refs, i, v) {
        const char *arn = json_string_value(v);
        _cleanup_(svc_history_row_clear) struct svc_history_row rec = {0};
        int r = store_svc_history_get(ctx->tx, arn, &rec, err);
        if (r < 0)
            return -1;
        if (r == 0 || strcmp(rec.kind, kind) != 0)
            json_array_append_new(failures, json_pack("{s:s, s:s}", "arn", arn, "reason", "MISSING"));
        else
            json_array_append(list, rec.doc);
    }
    return 0;
}

int action_describe_service_deployments(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    return describe(ctx, json_object_get(in, "serviceDeploymentArns"), "deployment", "serviceDeployments",
                    "serviceDeploymentArns", out, err);
}

int action_describe_service_revisions(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    return describe(ctx, json_object_get(in, "serviceRevisionArns"), "revision", "serviceRevisions",
                    "serviceRevisionArns", out, err);
}

int service_history_roll_back(struct op_ctx *ctx, struct service_row *row, const char *failed_id, const char *who,
                              struct error *err)
{
    json_t *doc = row->doc;
    json_t *priv = json_object_get(doc, "berth");
    const char *good_td = jstr(priv, "lastCompletedTaskDefinition");
    const char *good_id = jstr(priv, "lastCompletedDeployment");
    if (!*good_td || strcmp(good_id, failed_id) == 0)
        return error_set(err, ECS_ERR_CONFLICT,
                         "The service deployment cannot be rolled back: the service has no earlier deployment that "
                         "completed.");
    json_t *p = find_deployment(doc, failed_id);
    json_t *dep = service_new_deployment(ctx, doc, good_td, err);
    if (!p || !dep) {
        json_decref(dep);
        return p ? -1 : error_set(err, ECS_ERR_CONFLICT, "The service deployment is no longer running.");
    }
    char reason[200];
    snprintf(reason, sizeof(reason),
             "Service deployment rolled back because of a user request (%s) to deploymentId %s.", who, good_id);
    json_object_set_new(dep, "rolloutStateReason", json_string(reason));
    json_object_set_new(p, "status", json_string("ACTIVE"));
    json_object_set_new(p, "updatedAt", json_real(time_to_epoch_seconds(ctx->now)));
    json_object_set(priv, "rollbackDeployment", json_object_get(dep, "id"));
    json_object_set_new(priv, "failureRounds", json_integer(0));
    json_object_set_new(priv, "nextLaunchAt", json_integer(0));
    json_object_set_new(priv, "steady", json_false());
    json_object_set_new(doc, "taskDefinition", json_string(good_td));
    char new_id[64];
    snprintf(new_id, sizeof(new_id), "%s", jstr(dep, "id"));
    json_array_insert_new(json_object_get(doc, "deployments"), 0, dep);
    if (service_history_rollback(ctx, row, failed_id, new_id, good_id, reason, err) < 0 ||
        store_service_put(ctx->tx, row, err) < 0 || service_event(ctx, row, reason, err) < 0)
        return -1;
    return service_history_sync(ctx, row, err);
}

int action_stop_service_deployment(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    const char *arn = json_string_value(json_object_get(in, "serviceDeploymentArn"));
    const char *type = json_string_value(json_object_get(in, "stopType"));
    _cleanup_(svc_history_row_clear) struct svc_history_row rec = {0};
    int r = store_svc_history_get(ctx->tx, arn, &rec, err);
    if (r < 0)
        return -1;
    if (r == 0 || strcmp(rec.kind, "deployment") != 0)
        return error_set(err, ECS_ERR_SERVICE_DEPLOYMENT_NOT_FOUND, "The service deployment %.600s does not exist.",
                         arn);
    if (type && strcmp(type, "ROLLBACK") != 0)
        return error_set(err, API_ERR_UNSUPPORTED_FEATURE,
                         "berth does not implement stopType %.20s: a deployment can be stopped with ROLLBACK only.",
                         type);
    if (strcmp(rec.status, "IN_PROGRESS") != 0 && strcmp(rec.status, "PENDING") != 0)
        return error_set(err, ECS_ERR_CONFLICT, "The service deployment is %s: only one in progress can be stopped.",
                         rec.status);
    _cleanup_(service_row_clear) struct service_row row = {0};
    r = store_service_get_by_id(ctx->tx, rec.service_id, &row, err);
    if (r < 0)
        return -1;
    if (r == 0 || strcmp(row.status, "ACTIVE") != 0)
        return error_set(err, ECS_ERR_CONFLICT, "The service of the deployment is not ACTIVE.");
    if (service_history_roll_back(ctx, &row, rec.ecs_id, "StopServiceDeployment", err) < 0)
        return -1;
    json_object_set_new(out, "serviceDeploymentArn", json_string(arn));
    return 0;
}
