/* service_registries.c - ECS serviceRegistries (see service_registries.h).
 * A task registers with ECS's attributes: AWS_INSTANCE_IPV4 (the task's
 * awsvpc address; for other network modes the container instance's
 * berth.host-ipv4 attribute when the agent reported one), AWS_INSTANCE_PORT
 * (the registry's port, or the host port bound to containerPort in bridge
 * mode, containerPort itself in awsvpc), AVAILABILITY_ZONE,
 * ECS_CLUSTER_NAME, ECS_SERVICE_NAME, ECS_TASK_DEFINITION_FAMILY and
 * REGION. */
#include "server/ecs/service_registries.h"

#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/task_status.h"
#include "common/timeutil.h"
#include "server/ecs/service_connect.h"
#include "server/ecs/taskdefs.h"
#include "server/servicediscovery/sd_registry.h"
#include "server/store/store_instances.h"
#include "server/store/store_services.h"
#include "server/store/store_tasks.h"

static const char *str(json_t *o, const char *key) { return json_string_value(json_object_get(o, key)); }

/* The container definition of taskdef named name, or NULL. */
static json_t *container_def(json_t *taskdef, const char *name)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(taskdef, "containerDefinitions"), i, c) {
        if (name && strcmp(str(c, "name"), name) == 0)
            return c;
    }
    return NULL;
}

int service_registries_check(struct op_ctx *ctx, json_t *registries, json_t *taskdef, struct error *err)
{
    if (json_array_size(registries) > 1)
        return error_set(err, ERR_INVALID, "A service can have at most one service registry.");
    size_t i;
    json_t *r;
    json_array_foreach(registries, i, r) {
        _cleanup_json_ json_t *svc = NULL;
        const char *arn = str(r, "registryArn");
        if (!arn || strncmp(arn, "arn:aws:servicediscovery:", 25) != 0)
            return error_set(err, ERR_INVALID, "serviceRegistries[%zu].registryArn must be a Cloud Map service ARN.",
                             i);
        struct error lookup;
        if (sd_service_find(ctx, arn, &svc, &lookup) < 0)
            return error_set(err, ERR_INVALID, "The service registry %.300s does not exist.", arn);
        const char *cname = str(r, "containerName");
        json_t *cport = json_object_get(r, "containerPort");
        if (!cname != !cport)
            return error_set(err, ERR_INVALID, "containerName and containerPort must be given together.");
        if (cname && json_object_get(r, "port"))
            return error_set(err, ERR_INVALID, "Give either port or containerName and containerPort.");
        if (!cname)
            continue;
        json_t *def = container_def(taskdef, cname);
        if (!def)
            return error_set(err, ERR_INVALID, "The container %.255s is not in the task definition.", cname);
        bool found = false;
        size_t j;
        json_t *pm;
        json_array_foreach(json_object_get(def, "portMappings"), j, pm)
            found |= json_integer_value(json_object_get(pm, "containerPort")) == json_integer_value(cport);
        if (!found)
            return error_set(err, ERR_INVALID, "The container %.255s has no port mapping for containerPort %lld.",
                             cname, (long long)json_integer_value(cport));
    }
    return 0;
}

/* The task's IPv4 address: its awsvpc attachment's, else NULL. */
static const char *task_ipv4(json_t *doc)
{
    size_t i, j;
    json_t *a, *d;
    json_array_foreach(json_object_get(doc, "attachments"), i, a) {
        json_array_foreach(json_object_get(a, "details"), j, d) {
            if (strcmp(str(d, "name"), "privateIPv4Address") == 0)
                return str(d, "value");
        }
    }
    return NULL;
}

/* The port a registry gives: its own, or containerPort (the host port
 * bound to it when the task reported one); 0 for none. */
static json_int_t registry_port(json_t *reg, json_t *doc)
{
    if (json_object_get(reg, "port"))
        return json_integer_value(json_object_get(reg, "port"));
    json_int_t cport = json_integer_value(json_object_get(reg, "containerPort"));
    size_t i, j;
    json_t *c, *b;
    json_array_foreach(json_object_get(doc, "containers"), i, c) {
        if (strcmp(str(c, "name"), str(reg, "containerName") ? str(reg, "containerName") : "") != 0)
            continue;
        json_array_foreach(json_object_get(c, "networkBindings"), j, b) {
            if (json_integer_value(json_object_get(b, "containerPort")) == cport)
                return json_integer_value(json_object_get(b, "hostPort"));
        }
    }
    return cport;
}

/* Whether the task is to be found through its registries now. */
static int task_discoverable(struct op_ctx *ctx, struct task_row *task, bool *ret, struct error *err)
{
    *ret = false;
    if (!task_status_is(task->last_status, TASK_STATUS_RUNNING) ||
        task_status_is(task->desired_status, TASK_STATUS_STOPPED))
        return 0;
    const char *health = str(task->doc, "healthStatus");
    if (health && strcmp(health, "HEALTHY") == 0) {
        *ret = true;
        return 0;
    }
    if (health && strcmp(health, "UNHEALTHY") == 0)
        return 0;
    /* UNKNOWN: healthy enough unless a health check has yet to pass. */
    _cleanup_json_ json_t *td = NULL;
    if (taskdef_resolve(ctx, task->taskdef_arn, false, &td, err) < 0)
        return -1;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(td, "containerDefinitions"), i, c) {
        if (json_object_get(c, "healthCheck"))
            return 0;
    }
    *ret = true;
    return 0;
}

/* The berth.host-ipv4 attribute of the task's container instance (the
 * agent reports the host's address there), or "" . */
static void instance_ipv4(struct op_ctx *ctx, struct task_row *task, char *buf, size_t cap)
{
    buf[0] = '\0';
    _cleanup_(instance_row_clear) struct instance_row inst = {0};
    struct error err;
    _cleanup_json_ json_t *attrs = json_array();
    if (!task->instance_id || !attrs || store_instance_get_by_id(ctx->tx, task->instance_id, &inst, &err) <= 0 ||
        store_attrs_get(ctx->tx, task->cluster_id, "container-instance", inst.uuid, attrs, &err) < 0)
        return;
    size_t i;
    json_t *a;
    json_array_foreach(attrs, i, a) {
        if (str(a, "name") && strcmp(str(a, "name"), "berth.host-ipv4") == 0 && str(a, "value"))
            snprintf(buf, cap, "%s", str(a, "value"));
    }
}

static json_t *task_attributes(struct op_ctx *ctx, struct task_row *task, json_t *reg)
{
    const char *carn = str(task->doc, "clusterArn"), *slash = carn ? strrchr(carn, '/') : NULL;
    json_t *attrs = json_pack("{s:s, s:s, s:s, s:s}", "ECS_CLUSTER_NAME", slash ? slash + 1 : "", "ECS_SERVICE_NAME",
                              task->service_name, "ECS_TASK_DEFINITION_FAMILY", task->family, "REGION", ctx->region);
    if (!attrs)
        return NULL;
    const char *ip = task_ipv4(task->doc);
    char host_ip[64];
    if (!ip) {
        instance_ipv4(ctx, task, host_ip, sizeof(host_ip));
        ip = host_ip[0] ? host_ip : NULL;
    }
    if (ip)
        json_object_set_new(attrs, "AWS_INSTANCE_IPV4", json_string(ip));
    if (str(task->doc, "availabilityZone"))
        json_object_set(attrs, "AVAILABILITY_ZONE", json_object_get(task->doc, "availabilityZone"));
    json_int_t port = registry_port(reg, task->doc);
    if (port > 0) {
        char buf[16];
        snprintf(buf, sizeof(buf), "%lld", (long long)port);
        json_object_set_new(attrs, "AWS_INSTANCE_PORT", json_string(buf));
    }
    return attrs;
}

/* One registry: register or deregister the task; 1 when it has just
 * been deregistered. */
static int sync_one(struct op_ctx *ctx, struct task_row *task, json_t *reg, bool want, struct error *err)
{
    _cleanup_json_ json_t *svc = NULL;
    struct error lookup;
    if (sd_service_find(ctx, str(reg, "registryArn"), &svc, &lookup) < 0)
        return 0; /* the registry was deleted */
    if (!want)
        return sd_instance_remove(ctx, svc, task->uuid, NULL, 0, err);
    _cleanup_json_ json_t *attrs = task_attributes(ctx, task, reg), *had = NULL;
    if (!attrs)
        return error_set(err, ERR_INTERNAL, "out of memory");
    /* Registered already; again when the agent reported its address late. */
    int r = sd_instance_attributes(ctx, svc, task->uuid, &had, err);
    if (r < 0 || (r > 0 && json_equal(had, attrs)))
        return r < 0 ? -1 : 0;
    struct error refused;
    /* Refused before anything is written: the task's report still stands. */
    if (sd_instance_put(ctx, svc, task->uuid, NULL, attrs, NULL, 0, &refused) < 0 && refused.kind == ERR_INTERNAL)
        return error_set(err, ERR_INTERNAL, "%s", refused.msg);
    return 0;
}

/* Whether list holds a registry with reg's registryArn. */
static bool registry_in(json_t *list, json_t *reg)
{
    size_t i;
    json_t *r;
    json_array_foreach(list, i, r) {
        if (str(r, "registryArn") && str(reg, "registryArn") &&
            strcmp(str(r, "registryArn"), str(reg, "registryArn")) == 0)
            return true;
    }
    return false;
}

#define RETIRED_REGISTRIES_MAX 8

int service_registries_update(struct op_ctx *ctx, json_t *doc, json_t *given, json_t *taskdef, struct error *err)
{
    if (!given)
        return 0;
    if (service_registries_check(ctx, given, taskdef, err) < 0)
        return -1;
    json_t *old = json_object_get(doc, "serviceRegistries");
    if (old && json_equal(old, given))
        return 0;
    json_t *berth = json_object_get(doc, "berth");
    json_t *retired = json_object_get(berth, "retiredRegistries");
    if (berth && !retired) {
        retired = json_array();
        json_object_set_new(berth, "retiredRegistries", retired);
    }
    size_t i;
    json_t *r;
    json_array_foreach(old, i, r) {
        if (retired && !registry_in(given, r) && !registry_in(retired, r))
            json_array_append(retired, r);
    }
    /* A registry in use again is no longer retired; the oldest go first. */
    for (i = json_array_size(retired); i-- > 0;)
        if (registry_in(given, json_array_get(retired, i)))
            json_array_remove(retired, i);
    while (json_array_size(retired) > RETIRED_REGISTRIES_MAX)
        json_array_remove(retired, 0);
    json_object_set(doc, "serviceRegistries", given);
    return 1;
}

/* Service Connect: a RUNNING task asked to stop has just left its Cloud
 * Map services.  Its agent hears of the stop SC_DRAIN_SECONDS later (the
 * load balancers' stopAfter, service_load_balancers.h), once the proxy
 * sends it no new connection and those it holds have finished. */
static void sc_drain(struct op_ctx *ctx, struct task_row *task)
{
    if (!task_status_is(task->last_status, TASK_STATUS_RUNNING) ||
        !task_status_is(task->desired_status, TASK_STATUS_STOPPED))
        return;
    json_t *berth = json_object_get(task->doc, "berth");
    if (!berth) {
        berth = json_object();
        json_object_set_new(task->doc, "berth", berth);
    }
    double until = time_to_epoch_seconds(ctx->now) + SC_DRAIN_SECONDS;
    if (until > json_number_value(json_object_get(berth, "stopAfter")))
        json_object_set_new(berth, "stopAfter", json_real(until));
}

int service_registries_sync(struct op_ctx *ctx, struct task_row *task, struct error *err)
{
    if (!task->service_name || !task->id)
        return 0;
    _cleanup_(service_row_clear) struct service_row svc = {0};
    int r = store_service_get(ctx->tx, task->cluster_id, task->service_name, &svc, err);
    if (r <= 0)
        return r;
    json_t *regs = json_object_get(svc.doc, "serviceRegistries");
    json_t *retired = json_object_get(json_object_get(svc.doc, "berth"), "retiredRegistries");
    /* Service Connect's Cloud Map services (service_connect.c) too. */
    json_t *sc = json_object_get(json_object_get(svc.doc, "berth"), "scRegistries");
    if (json_array_size(regs) == 0 && json_array_size(retired) == 0 && json_array_size(sc) == 0)
        return 0;
    bool want = false;
    if (task_discoverable(ctx, task, &want, err) < 0)
        return -1;
    size_t i;
    json_t *reg;
    json_array_foreach(regs, i, reg) {
        if (sync_one(ctx, task, reg, want, err) < 0)
            return -1;
    }
    bool left = false;
    json_array_foreach(sc, i, reg) {
        int done = sync_one(ctx, task, reg, want, err);
        if (done < 0)
            return -1;
        left |= done > 0;
    }
    if (left)
        sc_drain(ctx, task);
    /* Registries UpdateService replaced: a task leaves them as it stops. */
    json_array_foreach(retired, i, reg) {
        if (!want && !registry_in(regs, reg) && !registry_in(sc, reg) && sync_one(ctx, task, reg, false, err) < 0)
            return -1;
    }
    return 0;
}
