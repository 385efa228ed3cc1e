/* task_create.c - from a request to a task on a container instance: the
 * task_spec RunTask and StartTask share, what a task reserves (cpu, memory,
 * static host ports), whether it fits a given instance, and creating it there
 * with those resources reserved.
 *
 * Choosing the instances (placement) is runtask.c's job; this file only
 * checks one given instance. */
#include "server/ecs/task_create.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/cleanup.h"
#include "common/ids.h"
#include "common/task_status.h"
#include "server/ecs/arn.h"
#include "server/ecs/clusters.h"
#include "server/ecs/ecs_limits.h"
#include "server/ecs/ecs_service.h"
#include "server/ecs/instances.h"
#include "server/ecs/liveness.h"
#include "server/ecs/tasks.h"
#include "server/ecs/fargate.h"
#include "server/http/tags.h"

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
                          json_object_get(def, "name"), "image", json_object_get(def, "image"), "lastStatus",
                          task_status_name(TASK_STATUS_PENDING), "networkInterfaces", "healthStatus", "UNKNOWN");
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
    /* One point lookup: reading all the instance's attributes as JSON to
     * find this one was ~2% of the server under RunTask load. */
    struct error err;
    if (store_attr_value(ctx->tx, inst->cluster_id, "container-instance", inst->uuid, "ecs.availability-zone", buf, cap,
                         &err) < 0)
        buf[0] = '\0';
    return buf[0] ? buf : NULL;
}

/* The containers of a new task, one per container definition. */
static json_t *task_containers_json(const struct op_ctx *ctx, const char *cluster, const char *task_uuid,
                                    const char *task_arn_s, const struct task_spec *spec)
{
    _cleanup_json_ json_t *containers = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(spec->taskdef, "containerDefinitions"), i, c) {
        json_t *cj = container_json(ctx, cluster, task_uuid, task_arn_s, c,
                                    container_override(spec->overrides, json_string_value(json_object_get(c, "name"))));
        if (!cj)
            return NULL;
        json_array_append_new(containers, cj);
    }
    return TAKE_PTR(containers);
}

/* The Task document of a new task (PROVISIONING, desired RUNNING), with
 * what only the agent sees under "berth". */
static json_t *task_doc_new(struct op_ctx *ctx, const struct cluster_row *cluster, const struct task_host *host,
                            const struct task_spec *spec, const char *uuid, const char *arn)
{
    const struct instance_row *inst = host->inst;
    char carn[512], iarn[600], az_buf[128];
    cluster_arn(ctx, cluster->name, carn, sizeof(carn));
    instance_arn(ctx, cluster->name, inst->uuid, iarn, sizeof(iarn));
    json_t *td = spec->taskdef;
    json_t *containers = task_containers_json(ctx, cluster->name, uuid, arn, spec);
    if (!containers)
        return NULL;
    json_t *doc = json_pack("{s:[], s:[{s:s, s:s}], s:s, s:s, s:o, s:f, s:s, s:b, s:s, s:s, s:s, s:s, s:o, s:s, "
                            "s:s, s:[], s:s, s:I}",
                            "attachments", "attributes", "name", "ecs.cpu-architecture", "value", "x86_64",
                            "clusterArn", carn, "containerInstanceArn", iarn, "containers", containers, "createdAt",
                            time_to_epoch_seconds(ctx->now), "desiredStatus", task_status_name(TASK_STATUS_RUNNING),
                            "enableExecuteCommand", spec->enable_execute_command, "group", spec->group, "healthStatus",
                            "UNKNOWN", "lastStatus", task_status_name(TASK_STATUS_PROVISIONING), "launchType",
                            spec->launch_type, "overrides", overrides_echo(td, spec->overrides), "taskArn", arn,
                            "taskDefinitionArn", json_string_value(json_object_get(td, "taskDefinitionArn")), "tags",
                            "ecsTaskId", uuid, "version", (json_int_t)1);
    if (!doc)
        return NULL;
    json_object_del(doc, "ecsTaskId"); /* only the ARN carries the id */
    if (spec->capacity_provider)
        json_object_set_new(doc, "capacityProviderName", json_string(spec->capacity_provider));
    if (spec->platform_version) {
        /* A Fargate task, as ECS shows one. */
        json_t *eph = json_object_get(td, "ephemeralStorage");
        json_object_set_new(doc, "platformVersion", json_string(spec->platform_version));
        json_object_set_new(doc, "platformFamily", json_string("Linux"));
        json_object_set_new(doc, "ephemeralStorage", eph ? json_deep_copy(eph) : json_pack("{s:i}", "sizeInGiB", 20));
    }
    const char *az = host->az ? host->az : instance_az(ctx, inst, az_buf, sizeof(az_buf));
    if (az)
        json_object_set_new(doc, "availabilityZone", json_string(az));
    if (spec->started_by)
        json_object_set_new(doc, "startedBy", json_string(spec->started_by));
    const char *tcpu = json_string_value(json_object_get(spec->overrides, "cpu"));
    const char *tmem = json_string_value(json_object_get(spec->overrides, "memory"));
    if (tcpu || json_object_get(td, "cpu"))
        json_object_set_new(doc, "cpu", json_string(tcpu ? tcpu : json_string_value(json_object_get(td, "cpu"))));
    if (tmem || json_object_get(td, "memory"))
        json_object_set_new(doc, "memory", json_string(tmem ? tmem : json_string_value(json_object_get(td, "memory"))));
    if (json_object_get(td, "ephemeralStorage"))
        json_object_set(doc, "ephemeralStorage", json_object_get(td, "ephemeralStorage"));
    /* What the agent needs and clients never see. */
    json_object_set_new(
        doc, "berth",
        json_pack("{s:O, s:O*}", "taskDefinition", td, "networkConfiguration", spec->network_configuration));
    return doc;
}

/* Reserve a stored task's static host ports and (unless the caller does)
 * cpu/memory on the host. */
static int task_reserve(struct op_ctx *ctx, const struct task_host *host, const struct task_row *row,
                        const struct task_needs *needs, struct error *err)
{
    const struct instance_row *inst = host->inst;
    for (size_t k = 0; k < needs->ntcp + needs->nudp; k++) {
        bool udp = k >= needs->ntcp;
        int port = udp ? needs->udp[k - needs->ntcp] : needs->tcp[k];
        int r = store_port_reserve(ctx->tx, inst->id, udp ? "udp" : "tcp", port, row->id, err);
        if (r < 0)
            return -1;
        if (r > 0)
            return error_set(err, API_ERR_CLIENT, "Host port %d is already in use on the instance.", port);
    }
    if (host->caller_adjusts)
        return 0;
    return store_instance_adjust(ctx->tx, inst->id, needs->cpu, needs->memory, 0, 1, err);
}

int task_create(struct op_ctx *ctx, const struct cluster_row *cluster, const struct task_host *host,
                const struct task_spec *spec, const struct task_needs *needs, struct task_row *ret_row,
                struct error *err)
{
    const struct instance_row *inst = host->inst;
    _cleanup_(task_row_clear) struct task_row row = {0};
    if (ids_time_hex(row.uuid) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness");
    char arn[600];
    task_arn(ctx, cluster->name, row.uuid, arn, sizeof(arn));
    json_t *td = spec->taskdef;
    const char *family = json_string_value(json_object_get(td, "family"));
    row.doc = task_doc_new(ctx, cluster, host, spec, row.uuid, arn);
    if (!row.doc)
        return error_set(err, ERR_INTERNAL, "out of memory");
    row.cluster_id = cluster->id;
    row.instance_id = inst->id;
    snprintf(row.family, sizeof(row.family), "%s", family ? family : "");
    row.taskdef_arn = strdup(json_string_value(json_object_get(td, "taskDefinitionArn")));
    row.started_by = spec->started_by ? strdup(spec->started_by) : NULL;
    row.group = spec->group ? strdup(spec->group) : NULL;
    row.service_name = spec->service_name ? strdup(spec->service_name) : NULL;
    row.client_token = spec->client_token ? strdup(spec->client_token) : NULL;
    snprintf(row.launch_type, sizeof(row.launch_type), "%s", spec->launch_type);
    snprintf(row.desired_status, sizeof(row.desired_status), "%s", task_status_name(TASK_STATUS_RUNNING));
    snprintf(row.last_status, sizeof(row.last_status), "%s", task_status_name(TASK_STATUS_PROVISIONING));
    row.created_at = ctx->now;
    row.res_cpu = needs->cpu;
    row.res_memory = needs->memory;
    row.holds_resources = true;
    if (store_task_next_seq(ctx->tx, &row.seq, err) < 0 || store_task_put(ctx->tx, &row, err) < 0 ||
        task_reserve(ctx, host, &row, needs, err) < 0 || tags_attach(ctx, arn, spec->tags, err) < 0)
        return -1;
    *ret_row = row;
    memset(&row, 0, sizeof(row));
    return 0;
}

int task_check_network_configuration(json_t *taskdef, json_t *nc, struct error *err)
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

int task_spec_from_request(struct op_ctx *ctx, json_t *in, json_t *taskdef, struct task_spec *ret_spec, char *group_buf,
                           size_t group_cap, struct error *err)
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
    json_t *co = json_object_get(spec.overrides, "containerOverrides");
    if (co && json_dumpb(co, NULL, 0, JSON_COMPACT) > LIMIT_CONTAINER_OVERRIDES_BYTES)
        return error_set(err, ERR_INVALID, "Container Overrides length must be at most %d",
                         LIMIT_CONTAINER_OVERRIDES_BYTES);
    if (!spec.group) {
        snprintf(group_buf, group_cap, "family:%s", json_string_value(json_object_get(taskdef, "family")));
        spec.group = group_buf;
    }
    if (!spec.launch_type)
        spec.launch_type = "EC2";
    if (fargate_check_launch(taskdef, spec.launch_type, json_string_value(json_object_get(in, "platformVersion")),
                             &spec.platform_version, err) < 0)
        return -1;
    if (tags_validate(spec.tags, err) < 0 ||
        task_check_network_configuration(taskdef, spec.network_configuration, err) < 0)
        return -1;
    *ret_spec = spec;
    return 0;
}
