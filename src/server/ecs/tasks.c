/* tasks.c - tasks: creating one on a container instance with its resources
 * reserved, the status agents report (SubmitTaskStateChange,
 * SubmitContainerStateChange), StopTask, DescribeTasks, ListTasks, StartTask,
 * and the agent's long-poll for the tasks assigned to it.
 *
 * Placement (choosing instances for RunTask) lives in placement.c and
 * runtask.c; this file only checks that a task fits a given instance. */
#include "server/ecs/tasks.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/ecs/arn.h"
#include "server/ecs/clusters.h"
#include "common/proto.h"
#include "common/cleanup.h"
#include "common/ids.h"
#include "server/http/http_limits.h"
#include "server/ecs/ecs_limits.h"
#include "server/http/service_model.h"
#include "server/ecs/instances.h"
#include "server/ecs/liveness.h"
#include "server/http/paging.h"
#include "server/ecs/resource_refs.h"
#include "server/ecs/ecs_service.h"
#include "server/http/tags.h"
#include "server/ecs/taskdefs.h"

/* Task lastStatus values in lifecycle order. */
static const char *const task_statuses[] = {
    "PROVISIONING", "PENDING", "ACTIVATING", "RUNNING", "DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED",
};
#define RANK_RUNNING 3
#define RANK_STOPPED 7

static int status_rank(const char *s)
{
    for (size_t i = 0; i < ELEMENTSOF(task_statuses); i++)
        if (strcmp(task_statuses[i], s) == 0)
            return (int)i;
    return -1;
}

/* Which instance counter a status counts in: 0 pending, 1 running, -1 none. */
static int status_bucket(const char *s)
{
    int r = status_rank(s);
    if (r >= 0 && r < RANK_RUNNING)
        return 0;
    if (r == RANK_RUNNING)
        return 1;
    return -1;
}

void task_arn(const struct op_ctx *ctx, const char *cluster, const char *uuid, char *buf, size_t cap)
{
    char res[400];
    snprintf(res, sizeof(res), "%s/%s", cluster, uuid);
    if (!arn_format_buf(buf, cap, ctx, "task", res) && cap)
        buf[0] = '\0';
}

int task_resolve(struct op_ctx *ctx, const struct cluster_row *cluster, const char *ref, struct task_row *ret_row,
                 struct error *err)
{
    const char *id = ref ? resource_refs_id(ref) : "";
    int r = resource_refs_is_id32(id) ? store_task_get(ctx->tx, cluster->id, id, ret_row, err) : 0;
    if (r < 0)
        return -1;
    if (r == 0)
        return error_set(err, ERR_INVALID, "The referenced task was not found.");
    return 0;
}

int tasks_arn_exists(struct op_ctx *ctx, const struct arn *arn, struct error *err)
{
    char cluster[256];
    const char *slash = strchr(arn->resource, '/');
    if (!slash || (size_t)(slash - arn->resource) >= sizeof(cluster))
        return error_set(err, ERR_INVALID, "The ARN provided is invalid.");
    memcpy(cluster, arn->resource, (size_t)(slash - arn->resource));
    cluster[slash - arn->resource] = '\0';
    _cleanup_(cluster_row_clear) struct cluster_row c = {0};
    json_t *name = json_string(cluster);
    int r = cluster_resolve(ctx, name, false, &c, err);
    json_decref(name);
    if (r < 0)
        return -1;
    struct task_row row;
    r = resource_refs_is_id32(slash + 1) ? store_task_get(ctx->tx, c.id, slash + 1, &row, err) : 0;
    if (r < 0)
        return -1;
    if (r == 0)
        return error_set(err, API_ERR_RESOURCE_NOT_FOUND, "The specified resource is not found.");
    task_row_clear(&row);
    return 0;
}

json_t *task_json(struct op_ctx *ctx, const struct cluster_row *cluster, const struct task_row *row, bool with_tags,
                  struct error *err)
{
    json_t *j = json_deep_copy(row->doc);
    if (!j) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return NULL;
    }
    json_object_del(j, "berth");
    json_object_set_new(j, "lastStatus", json_string(row->last_status));
    json_object_set_new(j, "desiredStatus", json_string(row->desired_status));
    if (with_tags) {
        char arn[600];
        task_arn(ctx, cluster->name, row->uuid, arn, sizeof(arn));
        json_t *tags = tags_list(ctx, arn, err);
        if (!tags) {
            json_decref(j);
            return NULL;
        }
        json_object_set_new(j, "tags", tags);
    }
    return j;
}

/* "512", or units as a task definition allows ("1 vCPU", "2 GB", "0.5 vcpu"). */
static int parse_size(const char *s, bool is_cpu, int64_t *ret, struct error *err)
{
    char *end = NULL;
    double v = strtod(s, &end);
    if (end == s || v < 0)
        return error_set(err, ERR_INVALID, "Invalid %s value '%.40s'.", is_cpu ? "cpu" : "memory", s);
    while (*end == ' ')
        end++;
    if (*end == '\0') {
        *ret = (int64_t)v;
        return 0;
    }
    if (is_cpu && strcasecmp(end, "vcpu") == 0) {
        *ret = (int64_t)(v * 1024);
        return 0;
    }
    if (!is_cpu && strcasecmp(end, "gb") == 0) {
        *ret = (int64_t)(v * 1024);
        return 0;
    }
    if (!is_cpu && (strcasecmp(end, "mb") == 0 || strcasecmp(end, "mib") == 0)) {
        *ret = (int64_t)v;
        return 0;
    }
    return error_set(err, ERR_INVALID, "Invalid %s value '%.40s'.", is_cpu ? "cpu" : "memory", s);
}

static json_t *container_override(json_t *overrides, const char *name)
{
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(overrides, "containerOverrides"), i, o) {
        const char *n = json_string_value(json_object_get(o, "name"));
        if (n && strcmp(n, name) == 0)
            return o;
    }
    return NULL;
}

static int add_port(uint16_t *ports, size_t *n, int port, struct error *err)
{
    for (size_t i = 0; i < *n; i++)
        if (ports[i] == port)
            return error_set(err, ERR_INVALID, "Host port %d is used more than once in the task.", port);
    if (*n == TASK_MAX_PORTS)
        return error_set(err, ERR_INVALID, "A task can publish at most %d static host ports.", TASK_MAX_PORTS);
    ports[(*n)++] = (uint16_t)port;
    return 0;
}

int task_needs_compute(json_t *taskdef, json_t *overrides, struct task_needs *ret_needs, struct error *err)
{
    struct task_needs n;
    memset(&n, 0, sizeof(n));
    json_t *containers = json_object_get(taskdef, "containerDefinitions");
    /* Every override must name a container of the definition. */
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(overrides, "containerOverrides"), i, o) {
        const char *name = json_string_value(json_object_get(o, "name"));
        bool found = false;
        size_t k;
        json_t *c;
        json_array_foreach(containers, k, c) {
            if (name && strcmp(json_string_value(json_object_get(c, "name")), name) == 0)
                found = true;
        }
        if (!found)
            return error_set(err, ERR_INVALID,
                             "Override for container named %.255s is not a container in the TaskDefinition.",
                             name ? name : "(null)");
    }
    const char *network_mode = json_string_value(json_object_get(taskdef, "networkMode"));
    bool host_like = network_mode && strcmp(network_mode, "host") == 0;
    bool awsvpc = network_mode && strcmp(network_mode, "awsvpc") == 0;
    int64_t cpu = 0, memory = 0;
    json_t *c;
    json_array_foreach(containers, i, c) {
        json_t *ov = container_override(overrides, json_string_value(json_object_get(c, "name")));
        json_t *ccpu = json_object_get(ov, "cpu") ? json_object_get(ov, "cpu") : json_object_get(c, "cpu");
        json_t *mem = json_object_get(ov, "memory") ? json_object_get(ov, "memory") : json_object_get(c, "memory");
        json_t *res = json_object_get(ov, "memoryReservation") ? json_object_get(ov, "memoryReservation")
                                                               : json_object_get(c, "memoryReservation");
        cpu += json_integer_value(ccpu);
        /* ECS reserves the hard limit when set, else the soft limit. */
        memory += mem ? json_integer_value(mem) : json_integer_value(res);
        size_t k;
        json_t *pm;
        json_array_foreach(json_object_get(c, "portMappings"), k, pm) {
            int host = (int)json_integer_value(json_object_get(pm, "hostPort"));
            int cport = (int)json_integer_value(json_object_get(pm, "containerPort"));
            if (host_like && host == 0)
                host = cport;
            if (awsvpc || host <= 0)
                continue; /* dynamic ports are chosen by the agent */
            const char *proto = json_string_value(json_object_get(pm, "protocol"));
            int r = proto && strcmp(proto, "udp") == 0 ? add_port(n.udp, &n.nudp, host, err)
                                                       : add_port(n.tcp, &n.ntcp, host, err);
            if (r < 0)
                return -1;
        }
    }
    const char *tcpu = json_string_value(json_object_get(overrides, "cpu"));
    if (!tcpu)
        tcpu = json_string_value(json_object_get(taskdef, "cpu"));
    const char *tmem = json_string_value(json_object_get(overrides, "memory"));
    if (!tmem)
        tmem = json_string_value(json_object_get(taskdef, "memory"));
    if (tcpu && parse_size(tcpu, true, &cpu, err) < 0)
        return -1;
    if (tmem && parse_size(tmem, false, &memory, err) < 0)
        return -1;
    n.cpu = cpu;
    n.memory = memory;
    *ret_needs = n;
    return 0;
}

const char *task_misfit(struct op_ctx *ctx, const struct instance_row *inst, const struct task_needs *needs,
                        struct error *err, int *ret_error)
{
    *ret_error = 0;
    if (strcmp(inst->status, "ACTIVE") != 0)
        return strcmp(inst->status, "DRAINING") == 0 ? "DRAINING" : "INACTIVE";
    if (!liveness_connected(ecs_of(ctx)->liveness, inst->id, ctx->now))
        return "AGENT";
    if (inst->reg_cpu - inst->used_cpu < needs->cpu)
        return "RESOURCE:CPU";
    if (inst->reg_memory - inst->used_memory < needs->memory)
        return "RESOURCE:MEMORY";
    if (needs->ntcp || needs->nudp) {
        /* Registered (reserved) ports and ports held by tasks. */
        json_t *tcp = json_array(), *udp = json_array();
        size_t i;
        json_t *r;
        json_array_foreach(json_object_get(inst->doc, "registeredResources"), i, r) {
            const char *name = json_string_value(json_object_get(r, "name"));
            if (strcmp(name, "PORTS") == 0)
                json_array_extend(tcp, json_object_get(r, "stringSetValue"));
            else if (strcmp(name, "PORTS_UDP") == 0)
                json_array_extend(udp, json_object_get(r, "stringSetValue"));
        }
        if (store_instance_ports(ctx->tx, inst->id, "tcp", tcp, err) < 0 ||
            store_instance_ports(ctx->tx, inst->id, "udp", udp, err) < 0) {
            json_decref(tcp);
            json_decref(udp);
            *ret_error = -1;
            return NULL;
        }
        const char *why = NULL;
        for (int proto = 0; proto < 2 && !why; proto++) {
            json_t *used = proto ? udp : tcp;
            const uint16_t *want = proto ? needs->udp : needs->tcp;
            size_t nwant = proto ? needs->nudp : needs->ntcp;
            for (size_t k = 0; k < nwant && !why; k++) {
                json_t *u;
                json_array_foreach(used, i, u) {
                    if (strtol(json_string_value(u), NULL, 10) == want[k])
                        why = proto ? "RESOURCE:PORTS_UDP" : "RESOURCE:PORTS";
                }
            }
        }
        json_decref(tcp);
        json_decref(udp);
        return why;
    }
    return NULL;
}

static json_t *container_json(const struct op_ctx *ctx, const char *cluster, const char *task_uuid,
                              const char *task_arn_s, json_t *def, json_t *ov)
{
    char uuid[37], res[512], arn[700];
    if (ids_uuid(uuid) < 0)
        return NULL;
    snprintf(res, sizeof(res), "%s/%s/%s", cluster, task_uuid, uuid);
    arn_format_buf(arn, sizeof(arn), ctx, "container", res);
    json_t *c = json_pack("{s:s, s:s, s:O, s:O, s:s, s:[], s:s}", "containerArn", arn, "taskArn", task_arn_s, "name",
                          json_object_get(def, "name"), "image", json_object_get(def, "image"), "lastStatus", "PENDING",
                          "networkInterfaces", "healthStatus", "UNKNOWN");
    char buf[32];
    json_t *cpu = json_object_get(ov, "cpu") ? json_object_get(ov, "cpu") : json_object_get(def, "cpu");
    snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(cpu));
    json_object_set_new(c, "cpu", json_string(buf));
    json_t *mem = json_object_get(ov, "memory") ? json_object_get(ov, "memory") : json_object_get(def, "memory");
    if (mem) {
        snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(mem));
        json_object_set_new(c, "memory", json_string(buf));
    }
    json_t *res_mem = json_object_get(ov, "memoryReservation") ? json_object_get(ov, "memoryReservation")
                                                               : json_object_get(def, "memoryReservation");
    if (res_mem) {
        snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(res_mem));
        json_object_set_new(c, "memoryReservation", json_string(buf));
    }
    return c;
}

/* The TaskOverride as ECS echoes it: one containerOverrides entry per
 * container (just its name when nothing is overridden). */
static json_t *overrides_echo(json_t *taskdef, json_t *overrides)
{
    json_t *o = overrides ? json_deep_copy(overrides) : json_object();
    json_t *list = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(taskdef, "containerDefinitions"), i, c) {
        const char *name = json_string_value(json_object_get(c, "name"));
        json_t *ov = container_override(overrides, name);
        json_array_append_new(list, ov ? json_deep_copy(ov) : json_pack("{s:s}", "name", name));
    }
    json_object_set_new(o, "containerOverrides", list);
    if (!json_object_get(o, "inferenceAcceleratorOverrides"))
        json_object_set_new(o, "inferenceAcceleratorOverrides", json_array());
    return o;
}

static const char *instance_az(struct op_ctx *ctx, const struct instance_row *inst, char *buf, size_t cap)
{
    json_t *attrs = json_array();
    struct error err;
    buf[0] = '\0';
    if (store_attrs_get(ctx->tx, inst->cluster_id, "container-instance", inst->uuid, attrs, &err) == 0) {
        size_t i;
        json_t *a;
        json_array_foreach(attrs, i, a) {
            if (strcmp(json_string_value(json_object_get(a, "name")), "ecs.availability-zone") == 0 &&
                json_string_value(json_object_get(a, "value")))
                snprintf(buf, cap, "%s", json_string_value(json_object_get(a, "value")));
        }
    }
    json_decref(attrs);
    return buf[0] ? buf : NULL;
}

int task_create(struct op_ctx *ctx, const struct cluster_row *cluster, const struct instance_row *inst,
                const struct task_spec *spec, const struct task_needs *needs, struct task_row *ret_row,
                struct error *err)
{
    _cleanup_(task_row_clear) struct task_row row = {0};
    if (ids_random_hex(row.uuid, 16) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness");
    char arn[600], carn[512], iarn[600], az[128];
    task_arn(ctx, cluster->name, row.uuid, arn, sizeof(arn));
    cluster_arn(ctx, cluster->name, carn, sizeof(carn));
    instance_arn(ctx, cluster->name, inst->uuid, iarn, sizeof(iarn));
    json_t *td = spec->taskdef;
    const char *family = json_string_value(json_object_get(td, "family"));

    json_t *containers = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(td, "containerDefinitions"), i, c) {
        json_t *cj = container_json(ctx, cluster->name, row.uuid, arn, c,
                                    container_override(spec->overrides, json_string_value(json_object_get(c, "name"))));
        if (!cj) {
            json_decref(containers);
            return error_set(err, ERR_INTERNAL, "out of memory");
        }
        json_array_append_new(containers, cj);
    }
    row.doc =
        json_pack("{s:[], s:[{s:s, s:s}], s:s, s:s, s:o, s:f, s:s, s:b, s:s, s:s, s:s, s:s, s:o, s:s, "
                  "s:s, s:[], s:s, s:I}",
                  "attachments", "attributes", "name", "ecs.cpu-architecture", "value", "x86_64", "clusterArn", carn,
                  "containerInstanceArn", iarn, "containers", containers, "createdAt", time_to_epoch_seconds(ctx->now),
                  "desiredStatus", "RUNNING", "enableExecuteCommand", spec->enable_execute_command, "group",
                  spec->group, "healthStatus", "UNKNOWN", "lastStatus", "PROVISIONING", "launchType", spec->launch_type,
                  "overrides", overrides_echo(td, spec->overrides), "taskArn", arn, "taskDefinitionArn",
                  json_string_value(json_object_get(td, "taskDefinitionArn")), "tags", "ecsTaskId", row.uuid, "version",
                  (json_int_t)1);
    if (!row.doc)
        return error_set(err, ERR_INTERNAL, "out of memory");
    json_object_del(row.doc, "ecsTaskId"); /* only the ARN carries the id */
    if (instance_az(ctx, inst, az, sizeof(az)))
        json_object_set_new(row.doc, "availabilityZone", json_string(az));
    if (spec->started_by)
        json_object_set_new(row.doc, "startedBy", json_string(spec->started_by));
    const char *tcpu = json_string_value(json_object_get(spec->overrides, "cpu"));
    const char *tmem = json_string_value(json_object_get(spec->overrides, "memory"));
    if (tcpu || json_object_get(td, "cpu"))
        json_object_set_new(row.doc, "cpu", json_string(tcpu ? tcpu : json_string_value(json_object_get(td, "cpu"))));
    if (tmem || json_object_get(td, "memory"))
        json_object_set_new(row.doc, "memory",
                            json_string(tmem ? tmem : json_string_value(json_object_get(td, "memory"))));
    if (json_object_get(td, "ephemeralStorage"))
        json_object_set(row.doc, "ephemeralStorage", json_object_get(td, "ephemeralStorage"));
    /* What the agent needs and clients never see. */
    json_object_set_new(
        row.doc, "berth",
        json_pack("{s:O, s:O*}", "taskDefinition", td, "networkConfiguration", spec->network_configuration));

    row.cluster_id = cluster->id;
    row.instance_id = inst->id;
    snprintf(row.family, sizeof(row.family), "%s", family ? family : "");
    row.taskdef_arn = strdup(json_string_value(json_object_get(td, "taskDefinitionArn")));
    row.started_by = spec->started_by ? strdup(spec->started_by) : NULL;
    row.group = spec->group ? strdup(spec->group) : NULL;
    row.service_name = spec->service_name ? strdup(spec->service_name) : NULL;
    row.client_token = spec->client_token ? strdup(spec->client_token) : NULL;
    snprintf(row.launch_type, sizeof(row.launch_type), "%s", spec->launch_type);
    snprintf(row.desired_status, sizeof(row.desired_status), "RUNNING");
    snprintf(row.last_status, sizeof(row.last_status), "PROVISIONING");
    row.created_at = ctx->now;
    row.res_cpu = needs->cpu;
    row.res_memory = needs->memory;
    row.holds_resources = true;
    if (store_task_next_seq(ctx->tx, &row.seq, err) < 0 || store_task_put(ctx->tx, &row, err) < 0)
        return -1;
    for (size_t k = 0; k < needs->ntcp + needs->nudp; k++) {
        bool udp = k >= needs->ntcp;
        int port = udp ? needs->udp[k - needs->ntcp] : needs->tcp[k];
        int r = store_port_reserve(ctx->tx, inst->id, udp ? "udp" : "tcp", port, row.id, err);
        if (r < 0)
            return -1;
        if (r > 0)
            return error_set(err, API_ERR_CLIENT, "Host port %d is already in use on the instance.", port);
    }
    if (store_instance_adjust(ctx->tx, inst->id, needs->cpu, needs->memory, 0, 1, err) < 0)
        return -1;
    if (tags_attach(ctx, arn, spec->tags, err) < 0)
        return -1;
    *ret_row = row;
    memset(&row, 0, sizeof(row));
    return 0;
}

/* Persist row after a change the agent must see (bump seq and version). */
static int task_save(struct op_ctx *ctx, struct task_row *row, bool agent_visible, struct error *err)
{
    if (agent_visible && store_task_next_seq(ctx->tx, &row->seq, err) < 0)
        return -1;
    json_int_t v = json_integer_value(json_object_get(row->doc, "version"));
    json_object_set_new(row->doc, "version", json_integer(v + 1));
    return store_task_put(ctx->tx, row, err);
}

static void set_time_once(json_t *doc, const char *key, double when)
{
    if (!json_object_get(doc, key))
        json_object_set_new(doc, key, json_real(when));
}

int task_request_stop(struct op_ctx *ctx, struct task_row *row, const char *stop_code, const char *reason,
                      struct error *err)
{
    if (strcmp(row->desired_status, "STOPPED") == 0)
        return 0;
    snprintf(row->desired_status, sizeof(row->desired_status), "STOPPED");
    json_object_set_new(row->doc, "stopCode", json_string(stop_code));
    json_object_set_new(row->doc, "stoppedReason", json_string(reason));
    set_time_once(row->doc, "stoppingAt", time_to_epoch_seconds(ctx->now));
    return task_save(ctx, row, true, err);
}

/* Move a task's lastStatus forward (reports may arrive late or twice: a
 * status at or before the current one is ignored), keeping the instance's
 * counters and reservations exact. */
static int task_advance(struct op_ctx *ctx, struct task_row *row, const char *status, const char *reason,
                        struct error *err)
{
    int from = status_rank(row->last_status), to = status_rank(status);
    if (to < 0)
        return error_set(err, ERR_INVALID, "Invalid task status '%.40s'.", status);
    if (to <= from)
        return 0;
    int b_from = status_bucket(row->last_status), b_to = status_bucket(status);
    double now = time_to_epoch_seconds(ctx->now);
    snprintf(row->last_status, sizeof(row->last_status), "%s", status);
    if (to >= RANK_RUNNING && to < RANK_STOPPED)
        set_time_once(row->doc, "startedAt", now);
    if (to >= RANK_RUNNING)
        set_time_once(row->doc, "connectivityAt", now);
    if (to > RANK_RUNNING)
        set_time_once(row->doc, "stoppingAt", now);
    int d_running = (b_to == 1) - (b_from == 1), d_pending = (b_to == 0) - (b_from == 0);
    int64_t d_cpu = 0, d_mem = 0;
    if (to == RANK_STOPPED) {
        row->stopped_at = ctx->now;
        json_object_set_new(row->doc, "stoppedAt", json_real(now));
        /* The agent removed the task's interface with the task. */
        size_t ai;
        json_t *att;
        json_array_foreach(json_object_get(row->doc, "attachments"), ai, att)
            json_object_set_new(att, "status", json_string("DELETED"));
        set_time_once(row->doc, "executionStoppedAt", now);
        if (strcmp(row->desired_status, "STOPPED") != 0) {
            /* The task stopped on its own: say why, as ECS does. */
            bool failed_start =
                reason && (strstr(reason, "CannotPullContainerError") || strstr(reason, "CannotStartContainerError") ||
                           strstr(reason, "CannotCreateContainerError") || from < RANK_RUNNING);
            json_object_set_new(row->doc, "stopCode",
                                json_string(failed_start ? "TaskFailedToStart" : "EssentialContainerExited"));
            json_object_set_new(row->doc, "stoppedReason",
                                json_string(reason ? reason : "Essential container in task exited"));
            snprintf(row->desired_status, sizeof(row->desired_status), "STOPPED");
        }
        if (row->holds_resources) {
            d_cpu = -row->res_cpu;
            d_mem = -row->res_memory;
            row->holds_resources = false;
            if (store_ports_release_task(ctx->tx, row->id, err) < 0)
                return -1;
        }
    }
    if (row->instance_id && (d_running || d_pending || d_cpu || d_mem) &&
        store_instance_adjust(ctx->tx, row->instance_id, d_cpu, d_mem, d_running, d_pending, err) < 0)
        return -1;
    return 0;
}

static json_t *find_container(json_t *doc, const char *name)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(doc, "containers"), i, c) {
        if (name && strcmp(json_string_value(json_object_get(c, "name")), name) == 0)
            return c;
    }
    return NULL;
}

/* Apply one ContainerStateChange (or the members of a
 * SubmitContainerStateChange) to the task document. */
static int container_update(json_t *doc, json_t *change, const char *name_key, struct error *err)
{
    const char *name = json_string_value(json_object_get(change, name_key));
    json_t *c = find_container(doc, name);
    if (!c)
        return error_set(err, ERR_INVALID, "Unknown container '%.255s' in task.", name ? name : "(null)");
    static const char *const status_order[] = {"PENDING", "RUNNING", "STOPPED"};
    const char *status = json_string_value(json_object_get(change, "status"));
    if (status) {
        int cur = -1, next = -1;
        for (int i = 0; i < 3; i++) {
            if (strcmp(status_order[i], json_string_value(json_object_get(c, "lastStatus"))) == 0)
                cur = i;
            if (strcmp(status_order[i], status) == 0)
                next = i;
        }
        if (next < 0)
            return error_set(err, ERR_INVALID, "Invalid container status '%.40s'.", status);
        if (next > cur)
            json_object_set_new(c, "lastStatus", json_string(status));
    }
    static const char *const copied[] = {"exitCode", "reason", "runtimeId", "imageDigest", "networkBindings"};
    for (size_t i = 0; i < ELEMENTSOF(copied); i++) {
        json_t *v = json_object_get(change, copied[i]);
        if (v)
            json_object_set(c, copied[i], v);
    }
    return 0;
}

/* Host ports the agent chose (dynamic bridge ports) become reservations of
 * the task on its instance, in the same transaction as the report, so that
 * placement and remainingResources see them; task_advance releases them
 * with the task's other resources. */
static int reserve_bindings(struct op_ctx *ctx, struct task_row *task, json_t *change, struct error *err)
{
    if (!task->holds_resources || !task->instance_id)
        return 0;
    size_t i;
    json_t *b;
    json_array_foreach(json_object_get(change, "networkBindings"), i, b) {
        json_int_t port = json_integer_value(json_object_get(b, "hostPort"));
        const char *proto = json_string_value(json_object_get(b, "protocol"));
        if (port < 1 || port > 65535)
            continue;
        if (store_port_reserve(ctx->tx, task->instance_id, proto && strcmp(proto, "udp") == 0 ? "udp" : "tcp",
                               (int)port, task->id, err) < 0)
            return -1;
    }
    return 0;
}

/* The cluster and task a state change names. */
static int resolve_report(struct op_ctx *ctx, json_t *in, struct cluster_row *ret_cluster, struct task_row *ret_task,
                          struct error *err)
{
    if (cluster_resolve(ctx, json_object_get(in, "cluster"), false, ret_cluster, err) < 0)
        return -1;
    return task_resolve(ctx, ret_cluster, json_string_value(json_object_get(in, "task")), ret_task, err);
}

int action_submit_task_state_change(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    _cleanup_(task_row_clear) struct task_row task = {0};
    if (resolve_report(ctx, in, &cluster, &task, err) < 0)
        return -1;
    size_t i;
    json_t *ch;
    json_array_foreach(json_object_get(in, "containers"), i, ch) {
        if (container_update(task.doc, ch, "containerName", err) < 0 || reserve_bindings(ctx, &task, ch, err) < 0)
            return -1;
    }
    static const char *const times[] = {"pullStartedAt", "pullStoppedAt", "executionStoppedAt"};
    for (size_t k = 0; k < ELEMENTSOF(times); k++) {
        json_t *v = json_object_get(in, times[k]);
        if (json_is_number(v))
            json_object_set(task.doc, times[k], v);
    }
    const char *status = json_string_value(json_object_get(in, "status"));
    if (status && task_advance(ctx, &task, status, json_string_value(json_object_get(in, "reason")), err) < 0)
        return -1;
    if (task_save(ctx, &task, false, err) < 0)
        return -1;
    if (task.instance_id)
        liveness_touch(ecs_of(ctx)->liveness, task.instance_id, ctx->now);
    json_object_set_new(out, "acknowledgment", json_string("ACK"));
    return 0;
}

int action_submit_container_state_change(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    _cleanup_(task_row_clear) struct task_row task = {0};
    if (resolve_report(ctx, in, &cluster, &task, err) < 0)
        return -1;
    if (container_update(task.doc, in, "containerName", err) < 0 || reserve_bindings(ctx, &task, in, err) < 0 ||
        task_save(ctx, &task, false, err) < 0)
        return -1;
    json_object_set_new(out, "acknowledgment", json_string("ACK"));
    return 0;
}

static bool health_status_valid(const char *h)
{
    static const char *const valid[] = {"HEALTHY", "UNHEALTHY", "UNKNOWN"};
    for (size_t k = 0; k < ELEMENTSOF(valid) && h; k++)
        if (strcmp(valid[k], h) == 0)
            return true;
    return false;
}

int action_berth_report_health(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    _cleanup_(task_row_clear) struct task_row task = {0};
    if (!json_is_object(in) || resolve_report(ctx, in, &cluster, &task, err) < 0)
        return -1;
    size_t i;
    json_t *ch;
    json_array_foreach(json_object_get(in, "containers"), i, ch) {
        json_t *c = find_container(task.doc, json_string_value(json_object_get(ch, "containerName")));
        const char *h = json_string_value(json_object_get(ch, "healthStatus"));
        if (!c || !health_status_valid(h))
            return error_set(err, ERR_INVALID, "Invalid container health report.");
        json_object_set_new(c, "healthStatus", json_string(h));
    }
    /* The task's own status is stored and shown to clients too: the same
     * three values as a container's, not whatever string came in. */
    json_t *th = json_object_get(in, "healthStatus");
    if (th) {
        const char *h = json_string_value(th);
        if (!health_status_valid(h))
            return error_set(err, ERR_INVALID, "Invalid task health report.");
        json_object_set_new(task.doc, "healthStatus", json_string(h));
    }
    if (task_save(ctx, &task, false, err) < 0)
        return -1;
    json_object_set_new(out, "acknowledgment", json_string("ACK"));
    return 0;
}

/* BerthAgent.ReportAttachments {cluster, task, attachments, containers:
 * [{containerName, networkInterfaces}]}: what the agent set up for an
 * awsvpc task (the ENI attachment and each container's interface).
 * SubmitTaskStateChange's model carries only attachment ARN and status. */
int action_berth_report_attachments(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    _cleanup_(task_row_clear) struct task_row task = {0};
    if (!json_is_object(in) || resolve_report(ctx, in, &cluster, &task, err) < 0)
        return -1;
    json_t *att = json_object_get(in, "attachments");
    if (!json_is_array(att) || json_array_size(att) > 10)
        return error_set(err, ERR_INVALID, "attachments must be a list of at most 10.");
    /* What is stored here is echoed by DescribeTasks: it must have ECS's
     * shapes, or clients that parse by the model would fail on it. */
    if (service_model_validate(ecs_of(ctx)->model, "Attachments", att, err) < 0)
        return error_prefix(err, "attachments");
    size_t i;
    json_t *a;
    json_array_foreach(att, i, a) {
        if (!json_is_string(json_object_get(a, "id")) || !json_is_string(json_object_get(a, "type")) ||
            !json_is_array(json_object_get(a, "details")))
            return error_set(err, ERR_INVALID, "An attachment needs id, type and details.");
    }
    json_t *ch;
    json_array_foreach(json_object_get(in, "containers"), i, ch) {
        json_t *c = find_container(task.doc, json_string_value(json_object_get(ch, "containerName")));
        json_t *ni = json_object_get(ch, "networkInterfaces");
        if (!c || !json_is_array(ni))
            return error_set(err, ERR_INVALID, "Invalid container network report.");
        if (service_model_validate(ecs_of(ctx)->model, "NetworkInterfaces", ni, err) < 0)
            return error_prefix(err, "containers[%zu].networkInterfaces", i);
        json_object_set(c, "networkInterfaces", ni);
    }
    json_object_set(task.doc, "attachments", att);
    if (task_save(ctx, &task, false, err) < 0)
        return -1;
    json_object_set_new(out, "acknowledgment", json_string("ACK"));
    return 0;
}

int action_stop_task(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    _cleanup_(task_row_clear) struct task_row task = {0};
    if (resolve_report(ctx, in, &cluster, &task, err) < 0)
        return -1;
    const char *reason = json_string_value(json_object_get(in, "reason"));
    if (task_request_stop(ctx, &task, "UserInitiated", reason ? reason : "Task stopped by user", err) < 0)
        return -1;
    json_t *j = task_json(ctx, &cluster, &task, false, err);
    if (!j)
        return -1;
    json_object_set_new(out, "task", j);
    return 0;
}

int action_describe_tasks(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    if (cluster_resolve(ctx, json_object_get(in, "cluster"), false, &cluster, err) < 0)
        return -1;
    json_t *refs = json_object_get(in, "tasks");
    if (json_array_size(refs) > 100)
        return error_set(err, ERR_INVALID, "A maximum of 100 tasks can be described at a time.");
    bool with_tags = resource_refs_include(in, "TAGS");
    json_t *list = json_array(), *failures = json_array();
    json_object_set_new(out, "tasks", list);
    json_object_set_new(out, "failures", failures);
    size_t i;
    json_t *v;
    json_array_foreach(refs, i, v) {
        const char *ref = json_string_value(v);
        const char *id = resource_refs_id(ref);
        struct task_row row;
        int r = resource_refs_is_id32(id) ? store_task_get(ctx->tx, cluster.id, id, &row, err) : 0;
        if (r < 0)
            return -1;
        if (r == 0) {
            char arn[700];
            task_arn(ctx, cluster.name, ref, arn, sizeof(arn));
            resource_refs_add_missing(failures, ref, arn);
            continue;
        }
        json_t *j = task_json(ctx, &cluster, &row, with_tags, err);
        task_row_clear(&row);
        if (!j)
            return -1;
        json_array_append_new(list, j);
    }
    return 0;
}

int action_list_tasks(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    if (cluster_resolve(ctx, json_object_get(in, "cluster"), false, &cluster, err) < 0)
        return -1;
    struct task_filter f = {
        .desired_status = json_string_value(json_object_get(in, "desiredStatus")),
        .family = json_string_value(json_object_get(in, "family")),
        .started_by = json_string_value(json_object_get(in, "startedBy")),
        .service_name = json_string_value(json_object_get(in, "serviceName")),
        .launch_type = json_string_value(json_object_get(in, "launchType")),
    };
    if (!f.desired_status)
        f.desired_status = "RUNNING";
    if (strcmp(f.desired_status, "PENDING") == 0)
        f.desired_status = "RUNNING"; /* ECS: PENDING tasks have desired status RUNNING */
    const char *ci = json_string_value(json_object_get(in, "containerInstance"));
    if (ci) {
        _cleanup_(instance_row_clear) struct instance_row inst = {0};
        if (instance_resolve(ctx, &cluster, ci, &inst, err) < 0)
            return -1;
        f.instance_id = inst.id;
    }
    if (f.service_name && strncmp(f.service_name, "arn:", 4) == 0) {
        const char *slash = strrchr(f.service_name, '/');
        f.service_name = slash ? slash + 1 : f.service_name;
    }
    struct page page;
    if (page_begin(in, "ListTasks", LIMIT_PAGE_DEFAULT, LIMIT_PAGE_MAX, &page, err) < 0)
        return -1;
    json_t *uuids = json_array();
    bool more = false;
    int r = store_task_list(ctx->tx, cluster.id, &f, page.after, page.limit, uuids, &more, err);
    page_free(&page);
    if (r < 0) {
        json_decref(uuids);
        return -1;
    }
    json_t *arns = json_array();
    json_object_set_new(out, "taskArns", arns);
    size_t i;
    json_t *v;
    char arn[700];
    json_array_foreach(uuids, i, v) {
        task_arn(ctx, cluster.name, json_string_value(v), arn, sizeof(arn));
        json_array_append_new(arns, json_string(arn));
    }
    if (more && json_array_size(uuids))
        page_set_next(out, "ListTasks", json_string_value(json_array_get(uuids, json_array_size(uuids) - 1)));
    json_decref(uuids);
    return 0;
}

int tasks_check_network_configuration(json_t *taskdef, json_t *nc, struct error *err)
{
    const char *mode = json_string_value(json_object_get(taskdef, "networkMode"));
    bool awsvpc = mode && strcmp(mode, "awsvpc") == 0;
    json_t *vpc = json_object_get(nc, "awsvpcConfiguration");
    if (!awsvpc) {
        if (vpc)
            return error_set(err, ERR_INVALID,
                             "Network Configuration is not valid for the given networkMode of this task definition.");
        return 0;
    }
    if (!vpc)
        return error_set(err, ERR_INVALID,
                         "Network Configuration must be provided when networkMode 'awsvpc' is specified.");
    size_t nsub = json_array_size(json_object_get(vpc, "subnets"));
    if (nsub < 1)
        return error_set(err, ERR_INVALID, "subnets can not be empty.");
    if (nsub > 16)
        return error_set(err, ERR_INVALID, "At most 16 subnets can be specified.");
    if (json_array_size(json_object_get(vpc, "securityGroups")) > 5)
        return error_set(err, ERR_INVALID, "At most 5 security groups can be specified.");
    return 0;
}

int tasks_spec_from_request(struct op_ctx *ctx, json_t *in, json_t *taskdef, struct task_spec *ret_spec,
                            char *group_buf, size_t group_cap, struct error *err)
{
    struct task_spec spec = {
        .taskdef = taskdef,
        .overrides = json_object_get(in, "overrides"),
        .started_by = json_string_value(json_object_get(in, "startedBy")),
        .group = json_string_value(json_object_get(in, "group")),
        .launch_type = json_string_value(json_object_get(in, "launchType")),
        .client_token = json_string_value(json_object_get(in, "clientToken")),
        .tags = json_object_get(in, "tags"),
        .network_configuration = json_object_get(in, "networkConfiguration"),
        .enable_execute_command = json_is_true(json_object_get(in, "enableExecuteCommand")),
    };
    if (spec.started_by && strlen(spec.started_by) > 128)
        return error_set(err, ERR_INVALID, "startedBy can be up to 128 characters.");
    if (!spec.group) {
        snprintf(group_buf, group_cap, "family:%s", json_string_value(json_object_get(taskdef, "family")));
        spec.group = group_buf;
    }
    if (!spec.launch_type)
        spec.launch_type = "EC2";
    if (strcmp(spec.launch_type, "FARGATE") == 0)
        return error_set(err, ERR_INVALID, "berth runs the EC2 and EXTERNAL launch types; FARGATE is not available.");
    if (tags_validate(spec.tags, err) < 0 ||
        tasks_check_network_configuration(taskdef, spec.network_configuration, err) < 0)
        return -1;
    *ret_spec = spec;
    return 0;
}

int action_start_task(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    _cleanup_(json_decrefp) json_t *taskdef = NULL;
    if (cluster_resolve(ctx, json_object_get(in, "cluster"), true, &cluster, err) < 0)
        return -1;
    json_t *refs = json_object_get(in, "containerInstances");
    if (json_array_size(refs) < 1 || json_array_size(refs) > 10)
        return error_set(err, ERR_INVALID, "containerInstances must name between 1 and 10 instances.");
    if (taskdef_resolve(ctx, json_string_value(json_object_get(in, "taskDefinition")), true, &taskdef, err) < 0)
        return -1;
    struct task_spec spec;
    char group[300];
    struct task_needs needs;
    if (tasks_spec_from_request(ctx, in, taskdef, &spec, group, sizeof(group), err) < 0 ||
        task_needs_compute(taskdef, spec.overrides, &needs, err) < 0)
        return -1;
    json_t *tasks = json_array(), *failures = json_array();
    json_object_set_new(out, "tasks", tasks);
    json_object_set_new(out, "failures", failures);
    size_t i;
    json_t *v;
    json_array_foreach(refs, i, v) {
        _cleanup_(instance_row_clear) struct instance_row inst = {0};
        const char *ref = json_string_value(v);
        if (instance_resolve(ctx, &cluster, ref, &inst, err) < 0) {
            json_array_append_new(failures, json_pack("{s:s, s:s}", "arn", ref, "reason", "MISSING"));
            continue;
        }
        int e = 0;
        const char *why = task_misfit(ctx, &inst, &needs, err, &e);
        if (e < 0)
            return -1;
        char iarn[600];
        instance_arn(ctx, cluster.name, inst.uuid, iarn, sizeof(iarn));
        if (why) {
            json_array_append_new(failures, json_pack("{s:s, s:s}", "arn", iarn, "reason", why));
            continue;
        }
        _cleanup_(task_row_clear) struct task_row row = {0};
        if (task_create(ctx, &cluster, &inst, &spec, &needs, &row, err) < 0)
            return -1;
        json_t *j = task_json(ctx, &cluster, &row, false, err);
        if (!j)
            return -1;
        json_array_append_new(tasks, j);
    }
    return 0;
}

/* The tasks with these ids as the agent wants them (with the task
 * definition and berth's seq); *max_seq is raised to the highest seq. */
static int poll_tasks_json(struct op_ctx *ctx, const struct cluster_row *cluster, json_t *ids, json_t *tasks,
                           json_int_t *max_seq, struct error *err)
{
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v) {
        _cleanup_(task_row_clear) struct task_row row = {0};
        int r = store_task_get_by_id(ctx->tx, json_integer_value(v), &row, err);
        if (r < 0)
            return -1;
        if (r == 0)
            continue;
        json_t *j = task_json(ctx, cluster, &row, false, err);
        if (!j)
            return -1;
        json_t *berth = json_object_get(row.doc, "berth");
        json_object_set(j, "taskDefinition", json_object_get(berth, "taskDefinition"));
        if (json_object_get(berth, "networkConfiguration"))
            json_object_set(j, "networkConfiguration", json_object_get(berth, "networkConfiguration"));
        json_object_set_new(j, "seq", json_integer(row.seq));
        json_array_append_new(tasks, j);
        if (row.seq > *max_seq)
            *max_seq = row.seq;
    }
    return 0;
}

/* The bulk form: every instance of the cluster carrying the attribute
 * berth.agent-id = agentId (what `berth agent --hollow N` registers) is
 * heard from, and the changes on any of them come back in one answer, so
 * one agent needs one long-poll however many instances it runs. */
static int poll_tasks_agent(struct op_ctx *ctx, const struct cluster_row *cluster, const char *agent_id,
                            json_int_t since, json_int_t wait, json_t *out, json_int_t *max_seq, struct error *err)
{
    /* Heard from all of them: a few times per agent timeout, not at every
     * poll nor at each wake-up (every commit) while it waits, which at
     * thousands of instances cost more than the rest of the poll. */
    _cleanup_json_ json_t *inst_ids = json_array();
    if (!ctx->rerun &&
        liveness_bulk_due(ecs_of(ctx)->liveness, cluster->id, agent_id, ctx->now, (usec_t)wait * USEC_PER_SEC)) {
        if (store_instance_ids_by_attr(ctx->tx, cluster->id, PROTO_AGENT_ID_ATTRIBUTE, agent_id, inst_ids, err) < 0)
            return -1;
        size_t i;
        json_t *v;
        json_array_foreach(inst_ids, i, v) {
            liveness_touch(ecs_of(ctx)->liveness, json_integer_value(v), ctx->now);
        }
    }
    _cleanup_json_ json_t *ids = json_array();
    if (store_task_changed_since_agent(ctx->tx, cluster->id, PROTO_AGENT_ID_ATTRIBUTE, agent_id, since,
                                       POLL_BULK_MAX_TASKS, ids, err) < 0)
        return -1;
    json_t *tasks = json_array();
    json_object_set_new(out, "tasks", tasks);
    if (poll_tasks_json(ctx, cluster, ids, tasks, max_seq, err) < 0)
        return -1;
    if (json_array_size(ids) < POLL_BULK_MAX_TASKS) {
        /* Nothing more for this agent up to the current seq: move past the
         * other agents' changes too, or every later poll would walk them
         * again. */
        int64_t cur = 0;
        if (store_task_current_seq(ctx->tx, &cur, err) < 0)
            return -1;
        if (cur > *max_seq)
            *max_seq = cur;
    }
    return 0;
}

/* BerthAgent.PollTasks {cluster, containerInstance | agentId, since,
 * waitSeconds}: the tasks on this instance (or on any instance of this
 * agent) that changed after `since`, with what the agent needs to run
 * them.  Waits up to waitSeconds (max 30) for a change. */
int action_berth_poll_tasks(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    _cleanup_(instance_row_clear) struct instance_row inst = {0};
    if (!json_is_object(in))
        return error_set(err, ERR_INVALID, "Request body must be an object.");
    json_t *since_j = json_object_get(in, "since");
    json_t *wait_j = json_object_get(in, "waitSeconds");
    json_t *agent_j = json_object_get(in, "agentId");
    if ((since_j && !json_is_integer(since_j)) || (wait_j && !json_is_integer(wait_j)))
        return error_set(err, ERR_INVALID, "since and waitSeconds must be integers.");
    if (agent_j && (!json_is_string(agent_j) || json_string_length(agent_j) == 0 || json_string_length(agent_j) > 128))
        return error_set(err, ERR_INVALID, "agentId must be a string of 1-128 characters.");
    if (!agent_j && !json_is_string(json_object_get(in, "containerInstance")))
        return error_set(err, ERR_INVALID, "containerInstance or agentId is required.");
    if (cluster_resolve(ctx, json_object_get(in, "cluster"), false, &cluster, err) < 0)
        return -1;
    json_int_t since = json_integer_value(since_j);
    json_int_t wait = json_integer_value(wait_j);
    if (wait < 0)
        wait = 0;
    if (wait > 30)
        wait = 30;
    json_int_t max_seq = since;
    if (agent_j) {
        if (poll_tasks_agent(ctx, &cluster, json_string_value(agent_j), since, wait, out, &max_seq, err) < 0)
            return -1;
    } else {
        if (instance_resolve(ctx, &cluster, json_string_value(json_object_get(in, "containerInstance")), &inst, err) <
            0)
            return -1;
        if (strcmp(inst.status, "INACTIVE") == 0)
            return error_set(err, API_ERR_CLIENT, "Container instance %s is INACTIVE (deregistered).", inst.uuid);
        liveness_touch(ecs_of(ctx)->liveness, inst.id, ctx->now);
        _cleanup_json_ json_t *ids = json_array();
        if (store_task_changed_since(ctx->tx, inst.id, since, 100, ids, err) < 0)
            return -1;
        json_t *tasks = json_array();
        json_object_set_new(out, "tasks", tasks);
        json_object_set_new(out, "instanceStatus", json_string(inst.status));
        if (poll_tasks_json(ctx, &cluster, ids, tasks, &max_seq, err) < 0)
            return -1;
    }
    json_object_set_new(out, "since", json_integer(max_seq));
    if (json_array_size(json_object_get(out, "tasks")) == 0 && wait > 0) {
        ctx->wait_until = time_monotonic() + wait * USEC_PER_SEC;
        return API_WAIT;
    }
    return 0;
}
