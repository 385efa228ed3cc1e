/* runtask.c - RunTask: resolve the definition, load the cluster's instances,
 * let the placement engine choose, create the tasks on the chosen
 * instances.  All in the request's write transaction, so concurrent RunTask
 * calls can never overcommit an instance. */
#include "server/ecs/runtask.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "server/ecs/arn.h"
#include "server/ecs/capacity_providers.h"
#include "server/ecs/clusters.h"
#include "server/ecs/fargate.h"
#include "common/cleanup.h"
#include "server/stats/server_stats.h"
#include "server/ecs/placement_snapshot.h"
#include "server/http/tags.h"
#include "server/ecs/taskdefs.h"
#include "server/ecs/tasks.h"

#define MAX_STRATEGIES 5
#define MAX_CONSTRAINTS 10

int runtask_parse_placement(json_t *strategies, json_t *constraints, json_t *taskdef,
                            struct placement_strategy *ret_strategies, size_t *ret_nstrategies,
                            struct placement_constraint *ret_constraints, size_t *ret_nconstraints, struct error *err)
{
    if (json_array_size(strategies) > MAX_STRATEGIES)
        return error_set(err, ERR_INVALID, "Placement strategies can have a maximum of %d items.", MAX_STRATEGIES);
    size_t i, n = 0;
    json_t *v;
    json_array_foreach(strategies, i, v) {
        int t = placement_strategy_type_from_string(json_string_value(json_object_get(v, "type")));
        if (t < 0)
            return error_set(err, ERR_INVALID, "Invalid placement strategy type.");
        ret_strategies[n].type = (enum placement_strategy_type)t;
        ret_strategies[n].field = json_string_value(json_object_get(v, "field"));
        n++;
    }
    *ret_nstrategies = n;
    json_t *td_constraints = json_object_get(taskdef, "placementConstraints");
    if (json_array_size(constraints) + json_array_size(td_constraints) > MAX_CONSTRAINTS)
        return error_set(err, ERR_INVALID, "Placement constraints can have a maximum of %d items.", MAX_CONSTRAINTS);
    n = 0;
    json_t *lists[2] = {constraints, td_constraints};
    for (int l = 0; l < 2; l++) {
        json_array_foreach(lists[l], i, v) {
            int t = placement_constraint_type_from_string(json_string_value(json_object_get(v, "type")));
            if (t < 0)
                return error_set(err, ERR_INVALID, "Invalid placement constraint type.");
            ret_constraints[n].type = (enum placement_constraint_type)t;
            ret_constraints[n].expression = json_string_value(json_object_get(v, "expression"));
            n++;
        }
    }
    *ret_nconstraints = n;
    return 0;
}

/* ECS's reason, and for a missing attribute which one: "ATTRIBUTE" alone
 * leaves the caller guessing among a dozen (ECS's category stays first,
 * for callers that match on it). */
static json_t *placement_failure_json(const struct placement_failure *f)
{
    if (!f->attribute)
        return json_pack("{s:s}", "reason", f->reason);
    char reason[512];
    snprintf(reason, sizeof(reason), "%s: missing %s", f->reason, f->attribute);
    return json_pack("{s:s, s:s+++}", "reason", reason, "detail", "The container instance lacks attribute ",
                     f->attribute, ", which the task definition requires (requiresAttributes",
                     "); an agent reports capabilities it was started with.");
}

/* requiresAttributes of the definition, as the engine's attribute list. */
static struct query_attr *required_attributes(json_t *taskdef, size_t *ret_n)
{
    json_t *req = json_object_get(taskdef, "requiresAttributes");
    size_t n = json_array_size(req);
    struct query_attr *attrs = calloc(n ? n : 1, sizeof(*attrs));
    if (!attrs)
        return NULL;
    size_t i;
    json_t *a;
    json_array_foreach(req, i, a) {
        attrs[i].name = json_string_value(json_object_get(a, "name"));
        attrs[i].value = json_string_value(json_object_get(a, "value"));
    }
    *ret_n = n;
    return attrs;
}

/* Why the tasks not placed were not, as RunTask's failures. */
static void append_failures(const struct placement_result *result, json_t *failures_out)
{
    for (size_t i = 0; i < result->n_failures; i++) {
        const struct placement_failure *f = &result->failures[i];
        json_t *fj = placement_failure_json(f);
        if (f->arn)
            json_object_set_new(fj, "arn", json_string(f->arn));
        json_array_append_new(failures_out, fj);
    }
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Add the placed tasks' cpu, memory and pending count to their instances'
 * rows: one UPDATE per instance, not one per task (a service round
 * placing 50,000 tasks on 1,000 instances updated each row 50 times). */
static int adjust_instances(struct op_ctx *ctx, const struct placement_snapshot *snap,
                            const struct placement_result *result, int count, const struct task_needs *needs,
                            struct error *err)
{
    _cleanup_free_ int *idx = malloc(sizeof(int) * (size_t)(count > 0 ? count : 1));
    if (!idx)
        return error_set(err, ERR_INTERNAL, "out of memory");
    size_t n = 0;
    for (int i = 0; i < count; i++)
        if (result->chosen[i] >= 0)
            idx[n++] = result->chosen[i];
    qsort(idx, n, sizeof(int), cmp_int);
    for (size_t i = 0, k; i < n; i = k) {
        for (k = i; k < n && idx[k] == idx[i]; k++)
            ;
        int64_t many = (int64_t)(k - i);
        if (store_instance_adjust(ctx->tx, snapshot_row(snap, (size_t)idx[i])->id, many * needs->cpu,
                                  many * needs->memory, 0, (int)many, err) < 0)
            return -1;
    }
    return 0;
}

static int place_tasks(struct op_ctx *ctx, const struct cluster_row *cluster, const struct task_spec *spec, int count,
                       const struct placement_strategy *strategies, size_t nstrategies,
                       const struct placement_constraint *constraints, size_t nconstraints, bool ids_only,
                       json_t *tasks_out, json_t *failures_out, struct error *err)
{
    struct task_needs needs;
    if (task_needs_compute(spec->taskdef, spec->overrides, &needs, err) < 0)
        return -1;
    size_t nreq = 0;
    _cleanup_free_ struct query_attr *required = required_attributes(spec->taskdef, &nreq);
    if (!required)
        return error_set(err, ERR_INTERNAL, "out of memory");
    struct placement_task pt = {
        .cpu = needs.cpu,
        .memory = needs.memory,
        .tcp_ports = needs.tcp,
        .n_tcp = needs.ntcp,
        .udp_ports = needs.udp,
        .n_udp = needs.nudp,
        .group = spec->group,
        .required_attrs = required,
        .n_required_attrs = nreq,
    };
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
        seed = (uint64_t)ctx->now;
    if (nconstraints > MAX_CONSTRAINTS + 2)
        return error_set(err, ERR_INVALID, "Placement constraints can have a maximum of %d items.", MAX_CONSTRAINTS);
    struct placement_request req = {
        .task = &pt,
        .count = count,
        .constraints = constraints,
        .n_constraints = nconstraints,
        .strategies = strategies,
        .n_strategies = nstrategies,
        .seed = seed,
        /* Fargate tasks on --fargate agents only, the others never there. */
        .fargate = spec->launch_type && strcmp(spec->launch_type, "FARGATE") == 0,
    };
    if (placement_validate(&req, err) < 0)
        return -1;
    struct placement_snapshot *snap;
    if (snapshot_acquire(ctx, cluster, &snap, err) < 0)
        return -1;
    req.id_rank = snap->id_rank;
    struct placement_result result;
    if (placement_place(snap->instances, snap->n, &req, &result, err) < 0) {
        snapshot_free(snap);
        return -1;
    }
    server_stats_add(STAT_TASKS_PLACED, result.n_placed);
    server_stats_add(STAT_PLACEMENT_MISSES, (uint64_t)count - result.n_placed);
    int r = 0;
    for (int i = 0; i < count && r == 0; i++) {
        int idx = result.chosen[i];
        if (idx < 0)
            continue;
        _cleanup_(task_row_clear) struct task_row row = {0};
        const struct query_attr *az = query_subject_attr(&snap->instances[idx].q, "ecs.availability-zone");
        struct task_host host = {snapshot_row(snap, (size_t)idx), az ? az->value : NULL, true};
        r = task_create(ctx, cluster, &host, spec, &needs, &row, err);
        if (r == 0)
            r = snapshot_placed(snap, (size_t)idx, &pt, err);
        if (r == 0) {
            json_t *j = ids_only ? json_string(row.uuid) : task_json(ctx, cluster, &row, true, err);
            if (!j)
                r = ids_only ? error_set(err, ERR_INTERNAL, "out of memory") : -1;
            else
                json_array_append_new(tasks_out, j);
        }
    }
    if (r == 0)
        r = adjust_instances(ctx, snap, &result, count, &needs, err);
    if (r == 0)
        append_failures(&result, failures_out);
    placement_result_free(&result);
    if (r == 0)
        snapshot_release(ctx, cluster, snap);
    else
        snapshot_free(snap);
    return r;
}

int runtask_place(struct op_ctx *ctx, const struct cluster_row *cluster, const struct task_spec *spec, int count,
                  const struct placement_strategy *strategies, size_t nstrategies,
                  const struct placement_constraint *constraints, size_t nconstraints, json_t *tasks_out,
                  json_t *failures_out, struct error *err)
{
    return place_tasks(ctx, cluster, spec, count, strategies, nstrategies, constraints, nconstraints, false, tasks_out,
                       failures_out, err);
}

int runtask_place_ids(struct op_ctx *ctx, const struct cluster_row *cluster, const struct task_spec *spec, int count,
                      const struct placement_strategy *strategies, size_t nstrategies,
                      const struct placement_constraint *constraints, size_t nconstraints, json_t *ids_out,
                      json_t *failures_out, struct error *err)
{
    return place_tasks(ctx, cluster, spec, count, strategies, nstrategies, constraints, nconstraints, true, ids_out,
                       failures_out, err);
}

/* Tags the new tasks get: the request's, the definition's when
 * propagateTags is TASK_DEFINITION, and aws:ecs:clusterName when
 * enableECSManagedTags is set. */
static json_t *task_tags(struct op_ctx *ctx, json_t *in, json_t *taskdef, const struct cluster_row *cluster,
                         struct error *err)
{
    json_t *tags = json_deep_copy(json_object_get(in, "tags"));
    if (!tags)
        tags = json_array();
    const char *propagate = json_string_value(json_object_get(in, "propagateTags"));
    if (propagate && strcmp(propagate, "TASK_DEFINITION") == 0) {
        json_t *td_tags = tags_list(ctx, json_string_value(json_object_get(taskdef, "taskDefinitionArn")), err);
        if (!td_tags) {
            json_decref(tags);
            return NULL;
        }
        json_array_extend(tags, td_tags);
        json_decref(td_tags);
    } else if (propagate && strcmp(propagate, "SERVICE") == 0) {
        json_decref(tags);
        error_set(err, ERR_INVALID, "propagateTags SERVICE is only valid for tasks started by a service.");
        return NULL;
    }
    if (json_is_true(json_object_get(in, "enableECSManagedTags")))
        json_array_append_new(tags, json_pack("{s:s, s:s}", "key", "aws:ecs:clusterName", "value", cluster->name));
    return tags;
}

static int existing_by_token(struct op_ctx *ctx, const struct cluster_row *cluster, const char *token, json_t *out,
                             bool *ret_found, struct error *err)
{
    json_t *ids = json_array();
    *ret_found = false;
    if (store_task_by_token(ctx->tx, cluster->id, token, ids, err) < 0) {
        json_decref(ids);
        return -1;
    }
    if (json_array_size(ids) == 0) {
        json_decref(ids);
        return 0;
    }
    json_t *tasks = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v) {
        _cleanup_(task_row_clear) struct task_row row = {0};
        if (store_task_get_by_id(ctx->tx, json_integer_value(v), &row, err) <= 0)
            continue;
        json_t *j = task_json(ctx, cluster, &row, true, err);
        if (j)
            json_array_append_new(tasks, j);
    }
    json_decref(ids);
    json_object_set_new(out, "tasks", tasks);
    json_object_set_new(out, "failures", json_array());
    *ret_found = true;
    return 0;
}

/* Place count tasks: over the capacity provider strategy (the request's,
 * else the cluster's default when no launchType is given), each provider's
 * share on its pool's instances, as ECS splits them; else as asked. */
static int run_split(struct op_ctx *ctx, json_t *in, const struct cluster_row *cluster, struct task_spec *spec,
                     int count, const struct placement_strategy *strategies, size_t ns,
                     struct placement_constraint *constraints, size_t nc, json_t *tasks, json_t *failures,
                     struct error *err)
{
    json_t *strategy = json_object_get(in, "capacityProviderStrategy");
    bool launch_type = json_object_get(in, "launchType") != NULL;
    if (json_array_size(strategy) > 0 && launch_type)
        return error_set(err, ERR_INVALID,
                         "Specifying both a launch type and capacity provider strategy is not "
                         "supported.");
    if (json_array_size(strategy) == 0 && !launch_type)
        strategy = json_object_get(cluster->doc, "defaultCapacityProviderStrategy");
    if (json_array_size(strategy) == 0)
        return runtask_place(ctx, cluster, spec, count, strategies, ns, constraints, nc, tasks, failures, err);
    const char *names[CAPACITY_STRATEGY_MAX];
    int counts[CAPACITY_STRATEGY_MAX];
    size_t n;
    if (capacity_strategy_split(cluster, strategy, count, names, counts, &n, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (counts[i] == 0)
            continue;
        char expr[400];
        snprintf(expr, sizeof(expr), "attribute:%s == %s", CAPACITY_PROVIDER_ATTRIBUTE, names[i]);
        constraints[nc] = (struct placement_constraint){.type = PLACEMENT_MEMBER_OF, .expression = expr};
        spec->capacity_provider = names[i];
        /* FARGATE's and FARGATE_SPOT's pool is the --fargate agents: the launch type says so. */
        size_t pool = capacity_provider_is_fargate(names[i]) ? 0 : 1;
        if (runtask_place(ctx, cluster, spec, counts[i], strategies, ns, constraints, nc + pool, tasks, failures, err) <
            0)
            return -1;
    }
    return 0;
}

int action_run_task(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    _cleanup_(json_decrefp) json_t *taskdef = NULL;
    _cleanup_(json_decrefp) json_t *tags = NULL;
    if (cluster_resolve(ctx, json_object_get(in, "cluster"), true, &cluster, err) < 0)
        return -1;
    json_t *count_j = json_object_get(in, "count");
    json_int_t count = count_j ? json_integer_value(count_j) : 1;
    if (count < 1 || count > 10)
        return error_set(err, ERR_INVALID, "count must be between 1 and 10.");
    const char *token = json_string_value(json_object_get(in, "clientToken"));
    if (token) {
        if (strlen(token) > 64)
            return error_set(err, ERR_INVALID, "clientToken can be up to 64 characters.");
        bool found = false;
        if (existing_by_token(ctx, &cluster, token, out, &found, err) < 0)
            return -1;
        if (found)
            return 0; /* the same request again: the same answer */
    }
    if (taskdef_resolve(ctx, json_string_value(json_object_get(in, "taskDefinition")), true, &taskdef, err) < 0)
        return -1;
    struct task_spec spec;
    char group[300];
    /* A strategy on the FARGATE provider launches FARGATE tasks. */
    json_t *strategy = json_object_get(in, "capacityProviderStrategy");
    if (json_array_size(strategy) == 0 && !json_object_get(in, "launchType"))
        strategy = json_object_get(cluster.doc, "defaultCapacityProviderStrategy");
    _cleanup_json_ json_t *spec_in = json_copy(in);
    if (!spec_in)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (!json_object_get(in, "launchType") && capacity_strategy_is_fargate(strategy))
        json_object_set_new(spec_in, "launchType", json_string("FARGATE"));
    if (task_spec_from_request(ctx, spec_in, taskdef, &spec, group, sizeof(group), err) < 0)
        return -1;
    tags = task_tags(ctx, in, taskdef, &cluster, err);
    if (!tags)
        return -1;
    if (json_array_size(tags) > 50)
        return error_set(err, ERR_INVALID, "Tags can have a maximum of 50 items.");
    spec.tags = tags;
    struct placement_strategy strategies[MAX_STRATEGIES];
    struct placement_constraint constraints[MAX_CONSTRAINTS + 1];
    size_t ns = 0, nc = 0;
    if (runtask_parse_placement(json_object_get(in, "placementStrategy"), json_object_get(in, "placementConstraints"),
                                taskdef, strategies, &ns, constraints, &nc, err) < 0)
        return -1;
    json_t *tasks = json_array(), *failures = json_array();
    json_object_set_new(out, "tasks", tasks);
    json_object_set_new(out, "failures", failures);
    if (run_split(ctx, in, &cluster, &spec, (int)count, strategies, ns, constraints, nc, tasks, failures, err) < 0)
        return -1;
    /* ECS answers a cluster without usable instances with an exception. */
    size_t i;
    json_t *f;
    json_array_foreach(failures, i, f) {
        if (strcmp(json_string_value(json_object_get(f, "reason")), PLACEMENT_REASON_NO_INSTANCES) == 0 &&
            json_array_size(tasks) == 0)
            return error_set(err, ERR_INVALID, "No Container Instances were found in your cluster.");
    }
    return 0;
}
