/* services.c - the service actions: CreateService, UpdateService,
 * DeleteService, DescribeServices, ListServices.
 *
 * Handlers only record intent: the service's settings and its deployments
 * (a new PRIMARY deployment whenever the task definition changes or a new
 * deployment is forced).  They never start or stop tasks; the service
 * scheduler (reconcile.c), woken by the commit, does. */
#include "server/ecs/services.h"

#include "server/ecs/service_load_balancers.h"
#include "server/ecs/service_connect.h"
#include "server/ecs/service_registries.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "server/ecs/arn.h"
#include "server/ecs/capacity_providers.h"
#include "server/ecs/clusters.h"
#include "server/ecs/fargate.h"
#include "server/ecs/ecs_service.h"
#include "common/cleanup.h"
#include "common/ids.h"
#include "common/limits.h"
#include "common/task_status.h"
#include "server/ecs/describe.h"
#include "server/ecs/list_arns.h"
#include "server/http/paging.h"
#include "server/placement/placement.h"
#include "server/ecs/resource_refs.h"
#include "server/ecs/service_counts.h"
#include "server/ecs/service_history.h"
#include "server/ecs/runtask.h"
#include "server/http/tags.h"
#include "server/ecs/taskdefs.h"
#include "server/ecs/task_create.h"
#include "server/ecs/task_sets.h"

#define SERVICE_NAME_MAX 255
#define DESCRIBE_MAX 10
#define LIST_DEFAULT 10
#define LIST_MAX 100

void service_arn(const struct op_ctx *ctx, const char *cluster, const char *name, char *buf, size_t cap)
{
    char res[600];
    snprintf(res, sizeof(res), "%s/%s", cluster, name);
    if (!arn_format_buf(buf, cap, ctx, "service", res) && cap)
        buf[0] = '\0';
}

json_t *service_new_deployment(const struct op_ctx *ctx, json_t *doc, const char *taskdef_arn, struct error *err)
{
    uint64_t r = 0;
    if (getrandom(&r, sizeof(r), 0) != sizeof(r)) {
        error_set(err, ERR_INTERNAL, "no randomness");
        return NULL;
    }
    char id[40], reason[120];
    /* 19 digits, never starting with 0, as ECS's ids look. */
    snprintf(id, sizeof(id), "ecs-svc/%019llu",
             (unsigned long long)(r % 9000000000000000000ULL) + 1000000000000000000ULL);
    snprintf(reason, sizeof(reason), "ECS deployment %s in progress.", id);
    double now = time_to_epoch_seconds(ctx->now);
    json_t *d =
        json_pack("{s:s, s:s, s:s, s:O, s:i, s:i, s:i, s:f, s:f, s:s?, s:s, s:s}", "id", id, "status", "PRIMARY",
                  "taskDefinition", taskdef_arn, "desiredCount", json_object_get(doc, "desiredCount"), "pendingCount",
                  0, "runningCount", 0, "failedTasks", 0, "createdAt", now, "updatedAt", now, "launchType",
                  json_string_value(json_object_get(doc, "launchType")), "rolloutState", "IN_PROGRESS",
                  "rolloutStateReason", reason);
    if (!d) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return NULL;
    }
    if (json_object_get(doc, "networkConfiguration"))
        json_object_set(d, "networkConfiguration", json_object_get(doc, "networkConfiguration"));
    service_connect_deployment(doc, d);
    if (json_is_null(json_object_get(d, "launchType"))) {
        json_object_del(d, "launchType");
        json_object_set(d, "capacityProviderStrategy", json_object_get(doc, "capacityProviderStrategy"));
    }
    return d;
}

int service_event(struct op_ctx *ctx, const struct service_row *row, const char *message, struct error *err)
{
    char uuid[37];
    if (ids_uuid(uuid) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness");
    _cleanup_free_ char *msg = NULL;
    if (asprintf(&msg, "(service %s) %s", row->name, message) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return store_service_event_add(ctx->tx, row->id, uuid, ctx->now, msg, SERVICE_EVENTS_KEPT, err);
}

/* "web", or an ARN ".../service/CLUSTER/web" or ".../service/web". */
static const char *service_ref_name(const char *ref)
{
    if (ref && strncmp(ref, "arn:", 4) == 0) {
        const char *slash = strrchr(ref, '/');
        return slash ? slash + 1 : "";
    }
    return ref ? ref : "";
}

int services_arn_exists(struct op_ctx *ctx, const struct arn *arn, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row c = {0};
    const char *name = NULL;
    if (cluster_resolve_arn_prefix(ctx, arn->resource, &c, &name, err) < 0)
        return -1;
    _cleanup_(service_row_clear) struct service_row row = {0};
    int r = store_service_get(ctx->tx, c.id, name, &row, err);
    if (r < 0)
        return -1;
    if (r == 0 || strcmp(row.status, "INACTIVE") == 0)
        return error_set(err, API_ERR_RESOURCE_NOT_FOUND, "The specified resource is not found.");
    return 0;
}

static json_t *service_json(struct op_ctx *ctx, const struct cluster_row *cluster, const struct service_row *row,
                            bool with_tags, struct error *err)
{
    _cleanup_(json_decrefp) json_t *j = json_deep_copy(row->doc);
    _cleanup_(json_decrefp) json_t *counts = json_object();
    if (!j || !counts) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return NULL;
    }
    json_object_del(j, "berth");
    json_object_set_new(j, "status", json_string(row->status));
    if (service_counts_live(ctx, row, counts, err) < 0)
        return NULL;
    json_int_t running = 0, pending = 0;
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(j, "deployments"), i, d) {
        char started_by[64];
        snprintf(started_by, sizeof(started_by), "%s", json_string_value(json_object_get(d, "id")));
        json_t *c = json_object_get(counts, started_by);
        json_int_t r = json_integer_value(json_object_get(c, "running"));
        json_int_t p = json_integer_value(json_object_get(c, "pending"));
        json_object_set_new(d, "runningCount", json_integer(r));
        json_object_set_new(d, "pendingCount", json_integer(p));
        /* A deployment being replaced wants what it still has. */
        if (strcmp(json_string_value(json_object_get(d, "status")), "PRIMARY") != 0)
            json_object_set_new(d, "desiredCount", json_integer(r + p));
        running += r;
        pending += p;
    }
    if (task_sets_view(ctx, row, j, &running, &pending, err) < 0)
        return NULL;
    json_object_set_new(j, "runningCount", json_integer(running));
    json_object_set_new(j, "pendingCount", json_integer(pending));
    json_t *events = json_array();
    json_object_set_new(j, "events", events);
    if (store_service_events(ctx->tx, row->id, SERVICE_EVENTS_KEPT, events, err) < 0)
        return NULL;
    if (with_tags) {
        json_t *tags = tags_list(ctx, json_string_value(json_object_get(j, "serviceArn")), err);
        if (!tags)
            return NULL;
        resource_refs_set_tags(j, tags);
    }
    (void)cluster;
    return TAKE_PTR(j);
}

static json_t *copy_or_empty(json_t *v) { return v ? json_deep_copy(v) : json_array(); }

static int validate_name(const char *name, struct error *err)
{
    if (!resource_refs_name_ok(name, SERVICE_NAME_MAX, "-_"))
        return error_set(err, ERR_INVALID,
                         "Service name can have up to 255 characters: letters (uppercase and lowercase), numbers, "
                         "underscores, and hyphens.");
    return 0;
}

/* deploymentConfiguration with ECS's defaults filled in: maximumPercent 200
 * and minimumHealthyPercent 100 for REPLICA, 100 and 0 for DAEMON. */
static int deployment_config(json_t *given, json_t *previous, bool daemon, json_t **ret_config, struct error *err)
{
    _cleanup_(json_decrefp) json_t *c =
        previous ? json_deep_copy(previous)
                 : json_pack("{s:i, s:i, s:{s:b, s:b}}", "maximumPercent", daemon ? 100 : 200, "minimumHealthyPercent",
                             daemon ? 0 : 100, "deploymentCircuitBreaker", "enable", 0, "rollback", 0);
    if (!c)
        return error_set(err, ERR_INTERNAL, "out of memory");
    static const char *const members[] = {
        "maximumPercent",     "minimumHealthyPercent", "deploymentCircuitBreaker", "alarms",
        "strategy",           "bakeTimeInMinutes",     "lifecycleHooks",           "linearConfiguration",
        "canaryConfiguration"};
    for (size_t i = 0; i < ELEMENTSOF(members); i++) {
        json_t *v = json_object_get(given, members[i]);
        if (v)
            json_object_set(c, members[i], v);
    }
    /* Another strategy: each member (of its strategy; NULL: all but ROLLING) goes. */
    static const char *const owned[] = {"bakeTimeInMinutes",   NULL,     "lifecycleHooks",      NULL,
                                        "linearConfiguration", "LINEAR", "canaryConfiguration", "CANARY"};
    const char *strategy = json_string_value(json_object_get(given, "strategy"));
    for (size_t i = 0; strategy && i < ELEMENTSOF(owned); i += 2) {
        bool kept = owned[i + 1] ? strcmp(strategy, owned[i + 1]) == 0 : strcmp(strategy, "ROLLING") != 0;
        if (!kept && !json_object_get(given, owned[i]))
            json_object_del(c, owned[i]);
    }
    if (service_deployment_strategy_check(given, err) < 0)
        return -1;
    json_int_t max = json_integer_value(json_object_get(c, "maximumPercent"));
    json_int_t min = json_integer_value(json_object_get(c, "minimumHealthyPercent"));
    if (min < 0 || min > 100)
        return error_set(err, ERR_INVALID, "minimumHealthyPercent must be between 0 and 100.");
    if (max < 0 || max > 100000)
        return error_set(err, ERR_INVALID, "maximumPercent must be a positive number.");
    if (daemon && max != 100)
        return error_set(err, ERR_INVALID,
                         "The daemon scheduling strategy does not support a maximumPercent other than 100.");
    if (!daemon && max <= min && max < 100)
        return error_set(err, ERR_INVALID, "maximumPercent must be greater than minimumHealthyPercent.");
    *ret_config = TAKE_PTR(c);
    return 0;
}

static int validate_placement(json_t *strategies, json_t *constraints, struct error *err)
{
    struct placement_strategy s[5];
    struct placement_constraint c[10];
    size_t ns = 0, nc = 0;
    if (runtask_parse_placement(strategies, constraints, NULL, s, &ns, c, &nc, err) < 0)
        return -1;
    struct placement_task task = {0};
    struct placement_request req = {
        .task = &task, .count = 1, .constraints = c, .n_constraints = nc, .strategies = s, .n_strategies = ns};
    return placement_validate(&req, err);
}

int service_resolve(struct op_ctx *ctx, json_t *in, const char *member, struct cluster_row *ret_cluster,
                    struct service_row *ret_row, struct error *err)
{
    if (cluster_resolve(ctx, json_object_get(in, "cluster"), false, ret_cluster, err) < 0)
        return -1;
    const char *name = service_ref_name(json_string_value(json_object_get(in, member)));
    int r = store_service_get(ctx->tx, ret_cluster->id, name, ret_row, err);
    if (r < 0)
        return -1;
    if (r == 0)
        return error_set(err, API_ERR_SERVICE_NOT_FOUND, "Service not found.");
    return 0;
}

/* Answer with the service as DescribeServices shows it. */
static int set_service(struct op_ctx *ctx, const struct cluster_row *cluster, const struct service_row *row,
                       json_t *out, struct error *err)
{
    json_t *j = service_json(ctx, cluster, row, true, err);
    if (!j)
        return -1;
    json_object_set_new(out, "service", j);
    return 0;
}

/* CreateService repeated with the same clientToken answers with the service
 * it made (*ret_done); a live service of that name and another token is an
 * error. */
static int create_again(struct op_ctx *ctx, const struct cluster_row *cluster, const char *name, const char *token,
                        json_t *out, bool *ret_done, struct error *err)
{
    _cleanup_(service_row_clear) struct service_row row = {0};
    *ret_done = false;
    int r = store_service_get(ctx->tx, cluster->id, name, &row, err);
    if (r < 0)
        return -1;
    if (r == 0 || strcmp(row.status, "INACTIVE") == 0)
        return 0;
    const char *had = json_string_value(json_object_get(json_object_get(row.doc, "berth"), "clientToken"));
    if (!token || !had || strcmp(token, had) != 0)
        return error_set(err, ERR_INVALID, "Creation of service was not idempotent.");
    *ret_done = true;
    return set_service(ctx, cluster, &row, out, err);
}

/* The kind of service CreateService asks for. */
struct service_kind {
    const char *strategy;    /* REPLICA or DAEMON */
    const char *launch_type; /* EC2 or EXTERNAL */
    json_t *providers;       /* the capacity provider strategy, or NULL (owned) */
    const char *controller;  /* ECS or EXTERNAL */
    bool daemon;
    json_int_t desired;
};

/* desiredCount within 0 and the tasks-per-service quota, so that one
 * request cannot ask the scheduler for billions of tasks. */
static int check_desired(const struct op_ctx *ctx, json_int_t desired, struct error *err)
{
    int quota = ecs_of(ctx)->max_service_tasks;
    if (desired < 0)
        return error_set(err, ERR_INVALID, "desiredCount must be 0 or more.");
    if (desired > quota)
        return error_set(err, ERR_INVALID,
                         "desiredCount %lld exceeds the limit of %d tasks per service (berth server "
                         "--max-service-tasks).",
                         (long long)desired, quota);
    return 0;
}

/* The services-per-cluster quota: counted among those not INACTIVE, as
 * ECS counts them (a deleted service's DRAINING time included). */
static int check_cluster_services(const struct op_ctx *ctx, const struct cluster_row *cluster, struct error *err)
{
    int64_t active = 0, draining = 0;
    if (store_service_counts(ctx->tx, cluster->id, &active, &draining, err) < 0)
        return -1;
    int quota = ecs_of(ctx)->max_cluster_services;
    if (active + draining >= quota)
        return error_set(err, API_ERR_CLIENT,
                         "Cluster %.255s has reached the limit of %d services per cluster (berth server "
                         "--max-cluster-services).",
                         cluster->name, quota);
    return 0;
}

static void service_kind_clear(struct service_kind *k) { json_decref(k->providers); }

static int create_kind(json_t *in, struct service_kind *ret_kind, struct error *err)
{
    struct service_kind k = {
        .strategy = json_string_value(json_object_get(in, "schedulingStrategy")),
        .launch_type = json_string_value(json_object_get(in, "launchType")),
    };
    if (!k.strategy)
        k.strategy = "REPLICA";
    k.daemon = strcmp(k.strategy, "DAEMON") == 0;
    if (!k.launch_type)
        k.launch_type = "EC2";
    json_t *controller = json_object_get(in, "deploymentController");
    const char *ctype = json_string_value(json_object_get(controller, "type"));
    k.controller = ctype ? ctype : "ECS";
    if (strcmp(k.controller, "CODE_DEPLOY") == 0)
        return error_set(err, ERR_INVALID,
                         "The CODE_DEPLOY deployment controller is not supported by berth: it has no CodeDeploy API "
                         "(use EXTERNAL with task sets).");
    if (strcmp(k.controller, "EXTERNAL") == 0 && task_sets_check_create_service(in, err) < 0)
        return -1;
    json_t *desired_j = json_object_get(in, "desiredCount");
    if (k.daemon && desired_j)
        return error_set(err, ERR_INVALID,
                         "The daemon scheduling strategy does not support a desired count for services.");
    if (!k.daemon && !desired_j)
        return error_set(err, ERR_INVALID, "desiredCount is required when schedulingStrategy is REPLICA.");
    k.desired = json_integer_value(desired_j);
    if (k.daemon && json_array_size(json_object_get(in, "placementStrategy")) > 0)
        return error_set(err, ERR_INVALID, "The daemon scheduling strategy does not support placement strategies.");
    *ret_kind = k;
    return 0;
}

/* The Service document of a new service (new reference), with its first
 * PRIMARY deployment and what only berth sees under "berth". */
static json_t *service_doc_new(struct op_ctx *ctx, json_t *in, const struct cluster_row *cluster,
                               const struct service_kind *kind, const char *name, const char *arn, json_t *taskdef,
                               json_t *config, struct error *err)
{
    char carn[512], creator[128];
    const char *td_arn = json_string_value(json_object_get(taskdef, "taskDefinitionArn"));
    cluster_arn(ctx, cluster->name, carn, sizeof(carn));
    snprintf(creator, sizeof(creator), "arn:aws:iam::%s:root", ctx->account);
    const char *propagate = json_string_value(json_object_get(in, "propagateTags"));
    _cleanup_(json_decrefp) json_t *doc = json_pack(
        "{s:s, s:s, s:s, s:[], s:[], s:I, s:s, s:s*, s:O, s:[], s:f, s:o, s:o, s:s, "
        "s:{s:s}, s:s, s:b, s:s, s:b}",
        "serviceArn", arn, "serviceName", name, "clusterArn", carn, "loadBalancers", "serviceRegistries",
        "desiredCount", (json_int_t)(kind->daemon ? 0 : kind->desired), "launchType", kind->launch_type,
        "taskDefinition", td_arn, "deploymentConfiguration", config, "deployments", "createdAt",
        time_to_epoch_seconds(ctx->now), "placementConstraints",
        copy_or_empty(json_object_get(in, "placementConstraints")), "placementStrategy",
        copy_or_empty(json_object_get(in, "placementStrategy")), "schedulingStrategy", kind->strategy,
        "deploymentController", "type", kind->controller, "createdBy", creator, "enableECSManagedTags",
        json_is_true(json_object_get(in, "enableECSManagedTags")), "propagateTags", propagate ? propagate : "NONE",
        "enableExecuteCommand", json_is_true(json_object_get(in, "enableExecuteCommand")));
    if (!doc) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return NULL;
    }
    /* A Fargate service runs the LATEST platform unless told otherwise. */
    if (strcmp(kind->launch_type, "FARGATE") == 0 || capacity_strategy_is_fargate(kind->providers)) {
        json_object_set_new(doc, "platformVersion", json_string("LATEST"));
        json_object_set_new(doc, "platformFamily", json_string("Linux"));
    }
    /* ECS shows a launch type or a capacity provider strategy, not both. */
    if (kind->providers) {
        json_object_del(doc, "launchType");
        json_object_set(doc, "capacityProviderStrategy", kind->providers);
    }
    static const char *const copied[] = {
        "networkConfiguration", "healthCheckGracePeriodSeconds", "role", "loadBalancers", "serviceRegistries",
        "platformVersion"};
    for (size_t i = 0; i < ELEMENTSOF(copied); i++) {
        json_t *v = json_object_get(in, copied[i]);
        if (v)
            json_object_set(doc, strcmp(copied[i], "role") == 0 ? "roleArn" : copied[i], v);
    }
    const char *token = json_string_value(json_object_get(in, "clientToken"));
    json_object_set_new(doc, "berth",
                        json_pack("{s:s*, s:I}", "clientToken", token, "scannedUntil", (json_int_t)ctx->now));
    if (!td_arn) /* EXTERNAL: its task sets are its deployments */
        return json_object_set_new(doc, "taskSets", json_array()) < 0 ? NULL : TAKE_PTR(doc);
    json_t *dep = service_new_deployment(ctx, doc, td_arn, err);
    if (!dep)
        return NULL;
    json_array_append_new(json_object_get(doc, "deployments"), dep);
    return TAKE_PTR(doc);
}

int action_create_service(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    _cleanup_(service_row_clear) struct service_row row = {0};
    _cleanup_(json_decrefp) json_t *taskdef = NULL;
    _cleanup_(json_decrefp) json_t *config = NULL;
    const char *name = json_string_value(json_object_get(in, "serviceName"));
    if (validate_name(name, err) < 0)
        return -1;
    if (cluster_resolve(ctx, json_object_get(in, "cluster"), true, &cluster, err) < 0)
        return -1;
    const char *token = json_string_value(json_object_get(in, "clientToken"));
    if (token && strlen(token) > 36)
        return error_set(err, ERR_INVALID, "clientToken can be up to 36 characters.");
    bool done = false;
    if (create_again(ctx, &cluster, name, token, out, &done, err) < 0)
        return -1;
    if (done)
        return 0; /* the same request again: the same service */
    _cleanup_(service_kind_clear) struct service_kind kind = {0};
    if (create_kind(in, &kind, err) < 0 || check_desired(ctx, kind.desired, err) < 0 ||
        check_cluster_services(ctx, &cluster, err) < 0 ||
        capacity_service_strategy(&cluster, in, kind.daemon, &kind.providers, err) < 0)
        return -1;
    const char *td_ref = json_string_value(json_object_get(in, "taskDefinition"));
    bool external = strcmp(kind.controller, "EXTERNAL") == 0;
    if (!td_ref && !external)
        return error_set(err, ERR_INVALID, "TaskDefinition must be specified when the deployment controller is ECS.");
    const char *platform = NULL;
    json_t *sc = json_object_get(in, "serviceConnectConfiguration");
    if (external && json_is_true(json_object_get(sc, "enabled")))
        return error_set(err, ERR_INVALID, "Service Connect is supported only with the ECS deployment controller.");
    if (!external &&
        (taskdef_resolve(ctx, td_ref, true, &taskdef, err) < 0 ||
         fargate_check_launch(taskdef,
                              kind.providers ? (capacity_strategy_is_fargate(kind.providers) ? "FARGATE" : "EC2")
                                             : kind.launch_type,
                              json_string_value(json_object_get(in, "platformVersion")), &platform, err) < 0 ||
         task_check_network_configuration(taskdef, json_object_get(in, "networkConfiguration"), err) < 0 ||
         service_registries_check(ctx, json_object_get(in, "serviceRegistries"), taskdef, err) < 0 ||
         service_load_balancers_check(ctx, json_object_get(in, "loadBalancers"), taskdef, err) < 0))
        return -1;
    if (deployment_config(json_object_get(in, "deploymentConfiguration"), NULL, kind.daemon, &config, err) < 0 ||
        service_blue_green_check(in, config, err) < 0)
        return -1;
    if (validate_placement(json_object_get(in, "placementStrategy"), json_object_get(in, "placementConstraints"), err) <
        0)
        return -1;
    json_t *tags = json_object_get(in, "tags");
    if (tags_validate(tags, err) < 0)
        return -1;
    json_t *grace = json_object_get(in, "healthCheckGracePeriodSeconds");
    if (grace && json_integer_value(grace) < 0)
        return error_set(err, ERR_INVALID, "healthCheckGracePeriodSeconds must be 0 or more.");

    char arn[800];
    service_arn(ctx, cluster.name, name, arn, sizeof(arn));
    row.doc = service_doc_new(ctx, in, &cluster, &kind, name, arn, taskdef, config, err);
    if (!row.doc || service_connect_create(ctx, &cluster, in, row.doc, taskdef, err) < 0)
        return -1;
    row.cluster_id = cluster.id;
    snprintf(row.region, sizeof(row.region), "%s", ctx->region);
    snprintf(row.name, sizeof(row.name), "%s", name);
    snprintf(row.status, sizeof(row.status), "ACTIVE");
    snprintf(row.launch_type, sizeof(row.launch_type), "%s", kind.launch_type);
    snprintf(row.scheduling_strategy, sizeof(row.scheduling_strategy), "%s", kind.strategy);
    row.created_at = ctx->now;
    if (store_service_put(ctx->tx, &row, err) < 0 || tags_attach(ctx, arn, tags, err) < 0 ||
        service_history_sync(ctx, &row, err) < 0)
        return -1;
    return set_service(ctx, &cluster, &row, out, err);
}
/* Make a new PRIMARY deployment; the old PRIMARY becomes ACTIVE. */
static int start_deployment(struct op_ctx *ctx, struct service_row *row, const char *taskdef_arn, struct error *err)
{
    json_t *deps = json_object_get(row->doc, "deployments");
    size_t i;
    json_t *d;
    double now = time_to_epoch_seconds(ctx->now);
    json_array_foreach(deps, i, d) {
        if (strcmp(json_string_value(json_object_get(d, "status")), "PRIMARY") == 0) {
            json_object_set_new(d, "status", json_string("ACTIVE"));
            json_object_set_new(d, "updatedAt", json_real(now));
        }
    }
    json_t *dep = service_new_deployment(ctx, row->doc, taskdef_arn, err);
    if (!dep)
        return -1;
    json_array_insert_new(deps, 0, dep);
    json_object_set_new(row->doc, "taskDefinition", json_string(taskdef_arn));
    /* A new deployment is watched afresh: no backoff carried over. */
    json_t *priv = json_object_get(row->doc, "berth");
    json_object_set_new(priv, "failureRounds", json_integer(0));
    json_object_set_new(priv, "nextLaunchAt", json_integer(0));
    json_object_set_new(priv, "steady", json_false());
    return 0;
}

static json_t *primary_deployment(json_t *doc)
{
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(doc, "deployments"), i, d) {
        if (strcmp(json_string_value(json_object_get(d, "status")), "PRIMARY") == 0)
            return d;
    }
    return NULL;
}

/* New placement rules, checked together with the ones they leave in place;
 * ECS starts a new deployment for them (*redeploy). */
static int update_placement(json_t *in, json_t *doc, bool daemon, bool *redeploy, struct error *err)
{
    json_t *strategies = json_object_get(in, "placementStrategy");
    json_t *constraints = json_object_get(in, "placementConstraints");
    if (!strategies && !constraints)
        return 0;
    if (daemon && json_array_size(strategies) > 0)
        return error_set(err, ERR_INVALID, "The daemon scheduling strategy does not support placement strategies.");
    if (validate_placement(strategies ? strategies : json_object_get(doc, "placementStrategy"),
                           constraints ? constraints : json_object_get(doc, "placementConstraints"), err) < 0)
        return -1;
    if (strategies)
        json_object_set(doc, "placementStrategy", strategies);
    if (constraints)
        json_object_set(doc, "placementConstraints", constraints);
    *redeploy = true;
    return 0;
}

/* The definition and network configuration the service runs from now on
 * must fit together, as CreateService checks.  taskdef is the new
 * definition, or NULL to check the current one (td_arn), if it still
 * exists. */
static int update_check_network(struct op_ctx *ctx, json_t *doc, json_t *taskdef, const char *td_arn, struct error *err)
{
    _cleanup_(json_decrefp) json_t *current = NULL;
    struct error ignored;
    if (!taskdef && taskdef_resolve(ctx, td_arn, false, &current, &ignored) < 0)
        current = NULL; /* the definition is gone: nothing to check against */
    json_t *td = taskdef ? taskdef : current;
    if (td && task_check_network_configuration(td, json_object_get(doc, "networkConfiguration"), err) < 0)
        return -1;
    return 0;
}

/* A new capacity provider strategy: the service's tasks move to it in a
 * new deployment (an empty one goes back to the EC2 launch type). */
static int update_providers(const struct cluster_row *cluster, json_t *in, json_t *doc, bool daemon, bool *redeploy,
                            struct error *err)
{
    json_t *given = json_object_get(in, "capacityProviderStrategy");
    if (!given)
        return 0;
    json_t *strategy = NULL;
    if (json_array_size(given) > 0 && capacity_service_strategy(cluster, in, daemon, &strategy, err) < 0)
        return -1;
    if (strategy) {
        json_object_set_new(doc, "capacityProviderStrategy", strategy);
        json_object_del(doc, "launchType");
    } else {
        json_object_del(doc, "capacityProviderStrategy");
        json_object_set_new(doc, "launchType", json_string("EC2"));
    }
    *redeploy = true;
    return 0;
}

/* UpdateService's loadBalancers (checked against the definition the
 * service will run): a new deployment registers the new tasks. */
static int update_load_balancers(struct op_ctx *ctx, json_t *in, json_t *doc, json_t *taskdef, const char *td_arn,
                                 bool *redeploy, struct error *err)
{
    json_t *lbs = json_object_get(in, "loadBalancers");
    if (!lbs)
        return 0;
    _cleanup_(json_decrefp) json_t *current = NULL;
    if (!taskdef && taskdef_resolve(ctx, td_arn, false, &current, err) < 0)
        return -1;
    if (service_load_balancers_check(ctx, lbs, taskdef ? taskdef : current, err) < 0)
        return -1;
    if (!json_equal(lbs, json_object_get(doc, "loadBalancers")))
        *redeploy = true;
    json_object_set(doc, "loadBalancers", lbs);
    return 0;
}

/* A new desiredCount for a REPLICA service and its PRIMARY deployment. */
static void update_desired(struct op_ctx *ctx, json_t *doc, json_t *desired)
{
    json_object_set(doc, "desiredCount", desired);
    json_t *p = primary_deployment(doc);
    if (p) {
        json_object_set(p, "desiredCount", desired);
        json_object_set_new(p, "updatedAt", json_real(time_to_epoch_seconds(ctx->now)));
    }
    json_object_set_new(json_object_get(doc, "berth"), "steady", json_false());
}

/* serviceRegistries, checked against the task definition the service
 * will run; a change starts a deployment, as on ECS. */
static int update_registries(struct op_ctx *ctx, json_t *in, json_t *doc, json_t **taskdef, const char *td_arn,
                             bool *redeploy, struct error *err)
{
    json_t *given = json_object_get(in, "serviceRegistries");
    if (!given)
        return 0;
    if (!*taskdef && taskdef_resolve(ctx, td_arn, false, taskdef, err) < 0)
        return -1;
    int r = service_registries_update(ctx, doc, given, *taskdef, err);
    if (r > 0)
        *redeploy = true;
    return r < 0 ? -1 : 0;
}

int action_update_service(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    _cleanup_(service_row_clear) struct service_row row = {0};
    _cleanup_(json_decrefp) json_t *taskdef = NULL;
    if (service_resolve(ctx, in, "service", &cluster, &row, err) < 0)
        return -1;
    if (strcmp(row.status, "ACTIVE") != 0)
        return error_set(err, API_ERR_SERVICE_NOT_ACTIVE, "Service was not ACTIVE.");
    bool daemon = strcmp(row.scheduling_strategy, "DAEMON") == 0;
    json_t *doc = row.doc;
    if (task_sets_check_update_service(doc, in, err) < 0)
        return -1;
    json_t *desired = json_object_get(in, "desiredCount");
    if (desired && daemon)
        return error_set(err, ERR_INVALID,
                         "The daemon scheduling strategy does not support a desired count for services.");
    if (desired && check_desired(ctx, json_integer_value(desired), err) < 0)
        return -1;
    bool redeploy = json_is_true(json_object_get(in, "forceNewDeployment"));
    if (update_providers(&cluster, in, doc, daemon, &redeploy, err) < 0)
        return -1;
    const char *td_arn = json_string_value(json_object_get(doc, "taskDefinition"));
    json_t *td_ref = json_object_get(in, "taskDefinition");
    if (td_ref) {
        if (taskdef_resolve(ctx, json_string_value(td_ref), true, &taskdef, err) < 0)
            return -1;
        const char *new_arn = json_string_value(json_object_get(taskdef, "taskDefinitionArn"));
        if (strcmp(new_arn, td_arn) != 0)
            redeploy = true;
        td_arn = new_arn;
    }
    if (fargate_update_service(ctx, in, doc, taskdef, td_arn, &redeploy, err) < 0)
        return -1;
    json_t *given = json_object_get(in, "deploymentConfiguration");
    if (given) {
        json_t *config = NULL;
        if (deployment_config(given, json_object_get(doc, "deploymentConfiguration"), daemon, &config, err) < 0)
            return -1;
        json_object_set_new(doc, "deploymentConfiguration", config);
    }
    if (update_placement(in, doc, daemon, &redeploy, err) < 0)
        return -1;
    json_t *grace = json_object_get(in, "healthCheckGracePeriodSeconds");
    if (grace) {
        if (json_integer_value(grace) < 0)
            return error_set(err, ERR_INVALID, "healthCheckGracePeriodSeconds must be 0 or more.");
        json_object_set(doc, "healthCheckGracePeriodSeconds", grace);
    }
    static const char *const copied[] = {"propagateTags", "enableECSManagedTags", "enableExecuteCommand",
                                         "networkConfiguration"};
    for (size_t i = 0; i < ELEMENTSOF(copied); i++) {
        json_t *v = json_object_get(in, copied[i]);
        if (!v)
            continue;
        json_object_set(doc, copied[i], v);
        if (strcmp(copied[i], "networkConfiguration") == 0)
            redeploy = true;
    }
    if ((td_ref || json_object_get(in, "networkConfiguration")) &&
        update_check_network(ctx, doc, taskdef, td_arn, err) < 0)
        return -1;
    if (update_load_balancers(ctx, in, doc, taskdef, td_arn, &redeploy, err) < 0)
        return -1;
    if (service_connect_update(ctx, &cluster, in, doc, taskdef, &redeploy, err) < 0 ||
        update_registries(ctx, in, doc, &taskdef, td_arn, &redeploy, err) < 0)
        return -1;
    if (service_blue_green_check(doc, json_object_get(doc, "deploymentConfiguration"), err) < 0)
        return -1;
    if (desired && !daemon)
        update_desired(ctx, doc, desired);
    if (redeploy && !task_sets_external(doc) && start_deployment(ctx, &row, td_arn, err) < 0)
        return -1;
    if (store_service_put(ctx->tx, &row, err) < 0 || service_history_sync(ctx, &row, err) < 0)
        return -1;
    return set_service(ctx, &cluster, &row, out, err);
}
int action_delete_service(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    _cleanup_(service_row_clear) struct service_row row = {0};
    if (service_resolve(ctx, in, "service", &cluster, &row, err) < 0)
        return -1;
    if (strcmp(row.status, "ACTIVE") != 0)
        return error_set(err, API_ERR_SERVICE_NOT_ACTIVE, "Service was not ACTIVE.");
    bool daemon = strcmp(row.scheduling_strategy, "DAEMON") == 0;
    if (!daemon && !json_is_true(json_object_get(in, "force")) &&
        json_integer_value(json_object_get(row.doc, "desiredCount")) > 0)
        return error_set(err, ERR_INVALID, "The service cannot be stopped while it is scaled above 0.");
    snprintf(row.status, sizeof(row.status), "DRAINING");
    json_object_set_new(row.doc, "desiredCount", json_integer(0));
    json_t *p = primary_deployment(row.doc);
    if (p)
        json_object_set_new(p, "desiredCount", json_integer(0));
    if (store_service_put(ctx->tx, &row, err) < 0 || service_history_sync(ctx, &row, err) < 0)
        return -1;
    return set_service(ctx, &cluster, &row, out, err);
}

static int describe_find(const struct describe *d, const char *ref, json_t **ret_json, struct error *err)
{
    _cleanup_(service_row_clear) struct service_row row = {0};
    int r = store_service_get(d->ctx->tx, d->cluster->id, service_ref_name(ref), &row, err);
    if (r <= 0)
        return r;
    *ret_json = service_json(d->ctx, d->cluster, &row, d->with_tags, err);
    return *ret_json ? 1 : -1;
}

static void describe_missing(const struct describe *d, const char *ref, json_t *failures)
{
    /* ECS names a missing bare name without its cluster. */
    char arn[800];
    if (!arn_format_buf(arn, sizeof(arn), d->ctx, "service", ref))
        snprintf(arn, sizeof(arn), "%s", ref);
    resource_refs_add_missing(failures, ref, arn);
}

static const struct describe_kind describe_kind = {
    "services", "services", DESCRIBE_MAX, describe_find, describe_missing, "Services cannot be empty.", ERR_INVALID,
};

int action_describe_services(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    return describe_in_cluster(ctx, in, &describe_kind, out, err);
}

int action_list_services(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    if (cluster_resolve(ctx, json_object_get(in, "cluster"), false, &cluster, err) < 0)
        return -1;
    struct page page;
    if (page_begin(in, "ListServices", LIST_DEFAULT, LIST_MAX, &page, err) < 0)
        return -1;
    _cleanup_(json_decrefp) json_t *names = json_array();
    bool more = false;
    int r = store_service_list(ctx->tx, cluster.id, json_string_value(json_object_get(in, "launchType")),
                               json_string_value(json_object_get(in, "schedulingStrategy")), page.after, page.limit,
                               names, &more, err);
    page_free(&page);
    if (r < 0)
        return -1;
    list_arns_answer(ctx, cluster.name, names, more, service_arn, "serviceArns", "ListServices", out);
    return 0;
}
