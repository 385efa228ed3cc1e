/* task_sets.c - the task set actions (see task_sets.h) and the checks that
 * keep an EXTERNAL service's deployment settings on its task sets.
 *
 * Handlers only record intent in the service document: a task set's
 * status (PRIMARY, ACTIVE, DRAINING once deleted) and scale.  They never
 * start or stop tasks; the service scheduler does, and sets each task
 * set's computedDesiredCount and stabilityStatus.  Running and pending
 * counts are read from the tasks when a task set is shown. */
#include "server/ecs/task_sets.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "common/cleanup.h"
#include "server/ecs/arn.h"
#include "server/ecs/resource_refs.h"
#include "server/ecs/service_counts.h"
#include "server/ecs/services.h"
#include "server/ecs/task_create.h"
#include "server/ecs/taskdefs.h"
#include "server/http/tags.h"
#include "server/store/store_clusters.h"

static const char *str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

bool task_sets_external(json_t *doc)
{
    return strcmp(str(json_object_get(doc, "deploymentController"), "type"), "EXTERNAL") == 0;
}

json_int_t task_sets_computed_count(json_int_t desired, json_t *scale)
{
    double pct = scale ? json_number_value(json_object_get(scale, "value")) : 100.0;
    /* ECS rounds up: 3 tasks at 50% is 2.  The epsilon keeps 100% of 3 at 3. */
    return (json_int_t)ceil((double)desired * pct / 100.0 - 1e-9);
}

/* Members an EXTERNAL service takes from its task sets. */
static const char *const on_task_set[] = {"taskDefinition",       "loadBalancers",   "serviceRegistries",
                                          "networkConfiguration", "platformVersion", "capacityProviderStrategy"};

static bool is_set(json_t *v)
{
    return v && !json_is_null(v) && !(json_is_array(v) && json_array_size(v) == 0) &&
           !(json_is_object(v) && json_object_size(v) == 0);
}

int task_sets_check_create_service(json_t *in, struct error *err)
{
    if (strcmp(str(in, "schedulingStrategy"), "DAEMON") == 0)
        return error_set(err, ERR_INVALID,
                         "The daemon scheduling strategy does not support the EXTERNAL deployment controller.");
    for (size_t i = 0; i < ELEMENTSOF(on_task_set); i++)
        if (is_set(json_object_get(in, on_task_set[i])))
            return error_set(err, ERR_INVALID,
                             "%s cannot be specified for a service with the EXTERNAL deployment controller: it is "
                             "set on each task set (CreateTaskSet).",
                             on_task_set[i]);
    return 0;
}

int task_sets_check_update_service(json_t *doc, json_t *in, struct error *err)
{
    json_t *controller = json_object_get(in, "deploymentController");
    const char *now = str(json_object_get(doc, "deploymentController"), "type");
    if (controller && strcmp(str(controller, "type"), now) != 0)
        return error_set(err, ERR_INVALID,
                         "berth cannot change a service's deployment controller (%s): create a new service.", now);
    if (!task_sets_external(doc))
        return 0;
    for (size_t i = 0; i < ELEMENTSOF(on_task_set); i++)
        if (is_set(json_object_get(in, on_task_set[i])))
            return error_set(err, ERR_INVALID,
                             "Unable to update %s on services with a EXTERNAL deployment controller. Use "
                             "UpdateTaskSet or CreateTaskSet.",
                             on_task_set[i]);
    if (json_is_true(json_object_get(in, "forceNewDeployment")))
        return error_set(err, ERR_INVALID,
                         "forceNewDeployment is not supported for services with a EXTERNAL deployment controller: "
                         "create a new task set.");
    return 0;
}

/* A task set as ECS shows it: live counts from the tasks, no private members. */
static void show(json_t *set, json_t *counts, json_int_t *running, json_int_t *pending)
{
    json_t *c = json_object_get(counts, str(set, "id"));
    json_int_t r = json_integer_value(json_object_get(c, "running"));
    json_int_t p = json_integer_value(json_object_get(c, "pending"));
    json_object_set_new(set, "runningCount", json_integer(r));
    json_object_set_new(set, "pendingCount", json_integer(p));
    json_object_del(set, "clientToken");
    *running += r;
    *pending += p;
}

int task_sets_view(struct op_ctx *ctx, const struct service_row *row, json_t *j, json_int_t *running,
                   json_int_t *pending, struct error *err)
{
    json_t *sets = json_object_get(j, "taskSets");
    if (!sets)
        return 0;
    _cleanup_(json_decrefp) json_t *counts = json_object();
    if (!counts)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (service_counts_live(ctx, row, counts, err) < 0)
        return -1;
    size_t i;
    json_t *s;
    json_array_foreach(sets, i, s)
        show(s, counts, running, pending);
    return 0;
}

/* The ACTIVE EXTERNAL service the request names (member "service"). */
static int resolve(struct op_ctx *ctx, json_t *in, struct cluster_row *ret_cluster, struct service_row *ret_row,
                   struct error *err)
{
    if (service_resolve(ctx, in, "service", ret_cluster, ret_row, err) < 0)
        return -1;
    if (strcmp(ret_row->status, "ACTIVE") != 0)
        return error_set(err, API_ERR_SERVICE_NOT_ACTIVE, "Service was not ACTIVE.");
    if (!task_sets_external(ret_row->doc))
        return error_set(err, ERR_INVALID,
                         "Amazon ECS only supports task set management on services configured to use external "
                         "deployment controllers.");
    return 0;
}

/* The task set of the service named by its id or ARN, or NULL. */
static json_t *find(json_t *doc, const char *ref)
{
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(doc, "taskSets"), i, s) {
        if (ref && (strcmp(str(s, "id"), ref) == 0 || strcmp(str(s, "taskSetArn"), ref) == 0))
            return s;
    }
    return NULL;
}

static int find_live(json_t *doc, const char *ref, json_t **ret_set, struct error *err)
{
    json_t *s = find(doc, ref);
    if (!s || strcmp(str(s, "status"), "DRAINING") == 0)
        return error_set(err, ECS_ERR_TASK_SET_NOT_FOUND, "The specified task set does not exist.");
    *ret_set = s;
    return 0;
}

static int check_scale(json_t *scale, struct error *err)
{
    double v = json_number_value(json_object_get(scale, "value"));
    if (scale && (v < 0 || v > 100 || !json_is_number(json_object_get(scale, "value"))))
        return error_set(err, ERR_INVALID, "The scale value must be a number between 0 and 100.");
    const char *unit = str(scale, "unit");
    if (scale && *unit && strcmp(unit, "PERCENT") != 0)
        return error_set(err, ERR_INVALID, "The scale unit must be PERCENT.");
    return 0;
}

static json_t *scale_of(json_t *given)
{
    double v = given ? json_number_value(json_object_get(given, "value")) : 100.0;
    return json_pack("{s:f, s:s}", "value", v, "unit", "PERCENT");
}

/* Save the service and answer with one of its task sets, as shown. */
static int answer(struct op_ctx *ctx, struct service_row *row, json_t *set, json_t *out, struct error *err)
{
    json_object_set_new(set, "updatedAt", json_real(time_to_epoch_seconds(ctx->now)));
    json_object_set_new(json_object_get(row->doc, "berth"), "steady", json_false());
    if (store_service_put(ctx->tx, row, err) < 0)
        return -1;
    _cleanup_(json_decrefp) json_t *counts = json_object();
    json_t *copy = json_deep_copy(set);
    if (!counts || !copy || json_object_set_new(out, "taskSet", copy) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (service_counts_live(ctx, row, counts, err) < 0)
        return -1;
    json_int_t r = 0, p = 0;
    show(copy, counts, &r, &p);
    return 0;
}

/* A new task set's document: ACTIVE, STABILIZING until the scheduler says. */
static json_t *new_set(struct op_ctx *ctx, const struct cluster_row *cluster, struct service_row *row, json_t *in,
                       json_t *taskdef, const char *launch_type, struct error *err)
{
    uint64_t rnd = 0;
    if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd)) {
        error_set(err, ERR_INTERNAL, "no randomness");
        return NULL;
    }
    char id[40], res[700], arn[900];
    snprintf(id, sizeof(id), "ecs-svc/%019llu",
             (unsigned long long)(rnd % 9000000000000000000ULL) + 1000000000000000000ULL);
    snprintf(res, sizeof(res), "%s/%s/%s", cluster->name, row->name, id);
    if (!arn_format_buf(arn, sizeof(arn), ctx, "task-set", res)) {
        error_set(err, ERR_INTERNAL, "task set ARN too long");
        return NULL;
    }
    double now = time_to_epoch_seconds(ctx->now);
    json_t *doc = row->doc;
    json_t *nc = json_object_get(in, "networkConfiguration");
    json_t *set =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:f, s:f, s:s, s:o, s:[], s:[], s:o, s:s, s:f}", "id",
                  id, "taskSetArn", arn, "serviceArn", str(doc, "serviceArn"), "clusterArn", str(doc, "clusterArn"),
                  "status", "ACTIVE", "taskDefinition", str(taskdef, "taskDefinitionArn"), "computedDesiredCount",
                  task_sets_computed_count(json_integer_value(json_object_get(doc, "desiredCount")),
                                           json_object_get(in, "scale")),
                  "pendingCount", (json_int_t)0, "runningCount", (json_int_t)0, "createdAt", now, "updatedAt", now,
                  "launchType", launch_type, "networkConfiguration", nc ? json_deep_copy(nc) : json_object(),
                  "loadBalancers", "serviceRegistries", "scale", scale_of(json_object_get(in, "scale")),
                  "stabilityStatus", "STABILIZING", "stabilityStatusAt", now);
    if (!set) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return NULL;
    }
    if (!nc)
        json_object_del(set, "networkConfiguration");
    static const char *const copied[] = {"externalId", "clientToken"};
    for (size_t i = 0; i < ELEMENTSOF(copied); i++)
        if (json_object_get(in, copied[i]))
            json_object_set(set, copied[i], json_object_get(in, copied[i]));
    return set;
}

/* CreateTaskSet repeated with the same clientToken: the task set it made. */
static json_t *made_before(json_t *doc, const char *token)
{
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(doc, "taskSets"), i, s) {
        if (token && strcmp(str(s, "clientToken"), token) == 0)
            return s;
    }
    return NULL;
}

int action_create_task_set(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    _cleanup_(service_row_clear) struct service_row row = {0};
    _cleanup_(json_decrefp) json_t *taskdef = NULL;
    if (resolve(ctx, in, &cluster, &row, err) < 0)
        return -1;
    json_t *again = made_before(row.doc, json_string_value(json_object_get(in, "clientToken")));
    if (again)
        return answer(ctx, &row, again, out, err);
    json_t *sets = json_object_get(row.doc, "taskSets");
    if (json_array_size(sets) >= TASK_SETS_MAX)
        return error_set(err, API_ERR_LIMIT_EXCEEDED, "A service can have at most %d task sets in berth.",
                         TASK_SETS_MAX);
    const char *launch_type = json_string_value(json_object_get(in, "launchType"));
    if (!launch_type)
        launch_type = row.launch_type;
    if (strcmp(launch_type, "EC2") != 0 && strcmp(launch_type, "EXTERNAL") != 0)
        return error_set(err, ERR_INVALID, "berth runs task sets with the EC2 and EXTERNAL launch types only (got %s).",
                         launch_type);
    json_t *tags = json_object_get(in, "tags");
    if (check_scale(json_object_get(in, "scale"), err) < 0 || tags_validate(tags, err) < 0 ||
        taskdef_resolve(ctx, str(in, "taskDefinition"), true, &taskdef, err) < 0 ||
        task_check_network_configuration(taskdef, json_object_get(in, "networkConfiguration"), err) < 0)
        return -1;
    json_t *set = new_set(ctx, &cluster, &row, in, taskdef, launch_type, err);
    if (!set)
        return -1;
    json_array_append_new(sets, set);
    if (tags_attach(ctx, str(set, "taskSetArn"), tags, err) < 0)
        return -1;
    return answer(ctx, &row, set, out, err);
}

int action_update_task_set(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    _cleanup_(service_row_clear) struct service_row row = {0};
    json_t *set = NULL;
    if (resolve(ctx, in, &cluster, &row, err) < 0 || find_live(row.doc, str(in, "taskSet"), &set, err) < 0 ||
        check_scale(json_object_get(in, "scale"), err) < 0)
        return -1;
    json_object_set_new(set, "scale", scale_of(json_object_get(in, "scale")));
    json_object_set_new(
        set, "computedDesiredCount",
        json_integer(task_sets_computed_count(json_integer_value(json_object_get(row.doc, "desiredCount")),
                                              json_object_get(set, "scale"))));
    return answer(ctx, &row, set, out, err);
}

int action_update_service_primary_task_set(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    _cleanup_(service_row_clear) struct service_row row = {0};
    json_t *set = NULL;
    if (resolve(ctx, in, &cluster, &row, err) < 0 || find_live(row.doc, str(in, "primaryTaskSet"), &set, err) < 0)
        return -1;
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(row.doc, "taskSets"), i, s) {
        if (s != set && strcmp(str(s, "status"), "PRIMARY") == 0)
            json_object_set_new(s, "status", json_string("ACTIVE"));
    }
    json_object_set_new(set, "status", json_string("PRIMARY"));
    /* The service shows what its primary task set runs. */
    json_object_set(row.doc, "taskDefinition", json_object_get(set, "taskDefinition"));
    return answer(ctx, &row, set, out, err);
}

int action_delete_task_set(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    _cleanup_(service_row_clear) struct service_row row = {0};
    json_t *set = NULL;
    if (resolve(ctx, in, &cluster, &row, err) < 0 || find_live(row.doc, str(in, "taskSet"), &set, err) < 0)
        return -1;
    if (!json_is_true(json_object_get(in, "force")) &&
        json_integer_value(json_object_get(set, "computedDesiredCount")) > 0)
        return error_set(err, ERR_INVALID,
                         "The task set cannot be deleted while it is scaled above 0: scale it to 0 with "
                         "UpdateTaskSet, or use force.");
    json_object_set_new(set, "status", json_string("DRAINING"));
    json_object_set_new(set, "computedDesiredCount", json_integer(0));
    json_object_set_new(set, "stabilityStatus", json_string("STABILIZING"));
    return answer(ctx, &row, set, out, err);
}

int action_describe_task_sets(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    _cleanup_(service_row_clear) struct service_row row = {0};
    if (resolve(ctx, in, &cluster, &row, err) < 0)
        return -1;
    bool with_tags = false;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(in, "include"), i, v)
        with_tags |= strcmp(json_string_value(v), "TAGS") == 0;
    _cleanup_(json_decrefp) json_t *counts = json_object();
    json_t *sets = json_array(), *failures = json_array();
    json_object_set_new(out, "taskSets", sets);
    json_object_set_new(out, "failures", failures);
    if (!counts || !sets || !failures)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (service_counts_live(ctx, &row, counts, err) < 0)
        return -1;
    json_t *asked = json_object_get(in, "taskSets");
    json_t *all = json_object_get(row.doc, "taskSets");
    size_t n = asked ? json_array_size(asked) : json_array_size(all);
    for (i = 0; i < n; i++) {
        const char *ref = asked ? json_string_value(json_array_get(asked, i)) : NULL;
        json_t *s = asked ? find(row.doc, ref) : json_array_get(all, i);
        if (!s) {
            json_array_append_new(failures, json_pack("{s:s, s:s}", "arn", ref ? ref : "", "reason", "MISSING"));
            continue;
        }
        json_t *copy = json_deep_copy(s);
        json_int_t r = 0, p = 0;
        show(copy, counts, &r, &p);
        json_array_append_new(sets, copy);
        if (with_tags) {
            json_t *tags = tags_list(ctx, str(copy, "taskSetArn"), err);
            if (!tags)
                return -1;
            resource_refs_set_tags(copy, tags);
        }
    }
    return 0;
}
