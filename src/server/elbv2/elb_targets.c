/* elb_targets.c - a target group's targets: RegisterTargets,
 * DeregisterTargets (a target drains for the group's
 * deregistration_delay.timeout_seconds: the proxy sends it no new
 * requests, and DescribeTargetHealth says draining until the delay ends),
 * DescribeTargetHealth (the proxy's health checks: initial, healthy,
 * unhealthy with the reason its last check gave, draining, unused when no
 * load balancer forwards to the group, unavailable when checks are off),
 * and the registrations ECS services make (elb_registry.h).
 *
 * Targets live in the group's document as berthTargets [{Id, Port,
 * AvailabilityZone, berthAddress, berthDrainUntil}]; a drained target is
 * pruned when the group is next written. */
#include "server/elbv2/elb.h"
#include "server/elbv2/elb_proxy.h"
#include "server/elbv2/elb_registry.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/store/store_elb.h"
#include "server/store/store_row.h"

/* The loopback address instance targets are reached at: berth's agent
 * on this host publishes container ports on every local address. */
#define ELB_INSTANCE_ADDRESS "127.0.0.1"

static double drain_until(json_t *t)
{
    json_t *v = json_object_get(t, "berthDrainUntil");
    return json_is_number(v) ? json_number_value(v) : 0;
}

/* Drop the targets whose drain has ended. */
static void prune(struct op_ctx *ctx, json_t *tg)
{
    json_t *targets = json_object_get(tg, "berthTargets");
    double now = time_to_epoch_seconds(ctx->now);
    for (size_t i = json_array_size(targets); i-- > 0;) {
        double until = drain_until(json_array_get(targets, i));
        if (until > 0 && until <= now)
            json_array_remove(targets, i);
    }
}

static long target_port(json_t *tg, json_t *t)
{
    json_t *p = json_object_get(t, "Port");
    return json_is_integer(p) ? (long)json_integer_value(p) : (long)json_integer_value(json_object_get(tg, "Port"));
}

/* The index of target (Id, port) in tg, or -1. */
static long target_index(json_t *tg, const char *id, long port)
{
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(tg, "berthTargets"), i, t) {
        if (strcmp(elb_str(t, "Id"), id) == 0 && target_port(tg, t) == port)
            return (long)i;
    }
    return -1;
}

static bool ipv4_ok(const char *s)
{
    struct in_addr a;
    return s && inet_pton(AF_INET, s, &a) == 1;
}

/* The instance Id names a container instance berth knows. */
static int instance_known(struct op_ctx *ctx, const char *id, bool *ret, struct error *err)
{
    db_stmt *s = store_row_stmt(ctx->tx, "SELECT count(*) FROM container_instances WHERE ec2_instance_id = ?1",
                                STORE_ARGS(ARG_TEXT(id)), err);
    int64_t n = 0;
    if (store_row_int64s(ctx->tx, s, &n, 1, "find container instance", err) < 0)
        return -1;
    *ret = n > 0;
    return 0;
}

/* Add or re-add one target (address: where the proxy reaches it). */
static int add_target(struct op_ctx *ctx, json_t *tg, const char *id, long port, const char *addr, json_t *az,
                      struct error *err)
{
    if (port < 1 || port > 65535)
        return error_set(err, ELB_ERR_INVALID_TARGET, "The target port %ld is not valid.", port);
    long at = target_index(tg, id, port);
    if (at >= 0) {
        json_t *t = json_array_get(json_object_get(tg, "berthTargets"), (size_t)at);
        json_object_del(t, "berthDrainUntil");
        json_object_set_new(t, "berthAddress", json_string(addr));
        return 0;
    }
    if (json_array_size(json_object_get(tg, "berthTargets")) >= ELB_TARGETS_MAX)
        return error_set(err, ELB_ERR_TOO_MANY_TARGETS, "A target group can have at most %d targets.", ELB_TARGETS_MAX);
    json_t *t = json_pack("{s:s, s:i, s:s}", "Id", id, "Port", (int)port, "berthAddress", addr);
    if (!t)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (az)
        json_object_set(t, "AvailabilityZone", az);
    json_array_append_new(json_object_get(tg, "berthTargets"), t);
    return 0;
}

/* Start one target's drain (or remove it at once with no delay, or when
 * no load balancer forwards to the group). */
static void drain_target(struct op_ctx *ctx, json_t *tg, long at, bool used)
{
    json_t *targets = json_object_get(tg, "berthTargets");
    long delay =
        strtol(elb_str(json_object_get(tg, "berthAttributes"), "deregistration_delay.timeout_seconds"), NULL, 10);
    json_t *t = json_array_get(targets, (size_t)at);
    if (delay <= 0 || !used) {
        json_array_remove(targets, (size_t)at);
        return;
    }
    if (drain_until(t) == 0)
        json_object_set_new(t, "berthDrainUntil", json_real(time_to_epoch_seconds(ctx->now) + (double)delay));
}

/* Whether a load balancer forwards to tg. */
static int tg_used(struct op_ctx *ctx, json_t *tg, bool *ret, struct error *err)
{
    _cleanup_json_ json_t *lbs = elb_target_group_lbs(ctx, elb_str(tg, "TargetGroupArn"), err);
    if (!lbs)
        return -1;
    *ret = json_array_size(lbs) > 0;
    return 0;
}

static int save(struct op_ctx *ctx, json_t *tg, struct error *err) { return elb_save(ctx, STORE_ELB_TG, tg, err); }

API_ACTION(elb_register_targets)
{
    (void)out;
    _cleanup_json_ json_t *tg = NULL;
    if (elb_find(ctx, STORE_ELB_TG, elb_str(in, "TargetGroupArn"), &tg, err) < 0)
        return -1;
    prune(ctx, tg);
    bool ip = strcmp(elb_str(tg, "TargetType"), "ip") == 0;
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(in, "Targets"), i, t) {
        const char *id = elb_str(t, "Id");
        bool known = false;
        if (json_object_get(t, "QuicServerId"))
            return error_set(err, ERR_INVALID, "berth does not support QUIC targets (QuicServerId).");
        if (ip && !ipv4_ok(id))
            return error_set(err, ELB_ERR_INVALID_TARGET, "The IP address '%.64s' is not a valid IPv4 address.",
                             id ? id : "");
        if (!ip && instance_known(ctx, id ? id : "", &known, err) < 0)
            return -1;
        if (!ip && !known)
            return error_set(err, ELB_ERR_INVALID_TARGET,
                             "The following targets are not valid instances: '%.64s' (berth knows the instance ids of "
                             "its container instances)",
                             id ? id : "");
        if (add_target(ctx, tg, id, target_port(tg, t), ip ? id : ELB_INSTANCE_ADDRESS,
                       json_object_get(t, "AvailabilityZone"), err) < 0)
            return -1;
    }
    return save(ctx, tg, err);
}

API_ACTION(elb_deregister_targets)
{
    (void)out;
    _cleanup_json_ json_t *tg = NULL;
    bool used = false;
    if (elb_find(ctx, STORE_ELB_TG, elb_str(in, "TargetGroupArn"), &tg, err) < 0 || tg_used(ctx, tg, &used, err) < 0)
        return -1;
    prune(ctx, tg);
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(in, "Targets"), i, t) {
        long at = target_index(tg, elb_str(t, "Id") ? elb_str(t, "Id") : "", target_port(tg, t));
        if (at < 0)
            return error_set(err, ELB_ERR_INVALID_TARGET,
                             "The following targets are not registered in target group: '%.64s'", elb_str(t, "Id"));
        drain_target(ctx, tg, at, used);
    }
    return save(ctx, tg, err);
}

/* One target's health description. */
static json_t *health_of(struct op_ctx *ctx, json_t *tg, json_t *t, bool used)
{
    long port = target_port(tg, t);
    const char *hport = elb_str(tg, "HealthCheckPort");
    char hp[16];
    snprintf(hp, sizeof(hp), "%ld", port);
    json_t *target = json_pack("{s:s, s:i}", "Id", elb_str(t, "Id"), "Port", (int)port);
    if (json_object_get(t, "AvailabilityZone"))
        json_object_set(target, "AvailabilityZone", json_object_get(t, "AvailabilityZone"));
    struct elb_target_health h = {"initial", "Elb.RegistrationInProgress", "Target registration is in progress"};
    struct elb_service *svc = ctx->service;
    char server[160];
    snprintf(server, sizeof(server), "%s:%ld", elb_str(t, "Id"), port);
    if (!json_object_get(t, "Id")) {
        snprintf(h.state, sizeof(h.state), "unused");
        snprintf(h.reason, sizeof(h.reason), "Target.NotRegistered");
        snprintf(h.description, sizeof(h.description), "Target is not registered to the target group");
    } else if (drain_until(t) > 0) {
        snprintf(h.state, sizeof(h.state), "draining");
        snprintf(h.reason, sizeof(h.reason), "Target.DeregistrationInProgress");
        snprintf(h.description, sizeof(h.description), "Target deregistration is in progress");
    } else if (!used) {
        snprintf(h.state, sizeof(h.state), "unused");
        snprintf(h.reason, sizeof(h.reason), "Target.NotInUse");
        snprintf(h.description, sizeof(h.description),
                 "Target group is not configured to receive traffic from the load balancer");
    } else if (json_is_false(json_object_get(tg, "HealthCheckEnabled"))) {
        snprintf(h.state, sizeof(h.state), "unavailable");
        snprintf(h.reason, sizeof(h.reason), "Target.HealthCheckDisabled");
        snprintf(h.description, sizeof(h.description), "Health checks are disabled");
    } else if (svc && svc->proxy) {
        elb_proxy_health(svc->proxy, elb_str(tg, "TargetGroupArn"), server, &h);
    }
    json_t *th = json_pack("{s:s}", "State", h.state);
    if (strcmp(h.state, "healthy") != 0) {
        json_object_set_new(th, "Reason", json_string(h.reason));
        json_object_set_new(th, "Description", json_string(h.description));
    }
    return json_pack("{s:o, s:s, s:o}", "Target", target, "HealthCheckPort",
                     strcmp(hport, "traffic-port") == 0 ? hp : hport, "TargetHealth", th);
}

API_ACTION(elb_describe_target_health)
{
    _cleanup_json_ json_t *tg = NULL, *lbs = NULL;
    if (json_array_size(json_object_get(in, "Include")) > 0)
        return error_set(err, ERR_INVALID, "berth does not support Include: it detects no anomalies.");
    if (elb_find(ctx, STORE_ELB_TG, elb_str(in, "TargetGroupArn"), &tg, err) < 0)
        return -1;
    lbs = elb_target_group_lbs(ctx, elb_str(tg, "TargetGroupArn"), err);
    if (!lbs)
        return -1;
    prune(ctx, tg);
    bool used = json_array_size(lbs) > 0;
    json_t *list = json_array();
    json_object_set_new(out, "TargetHealthDescriptions", list);
    json_t *asked = json_object_get(in, "Targets");
    size_t i;
    json_t *t;
    if (!asked) {
        json_array_foreach(json_object_get(tg, "berthTargets"), i, t)
            json_array_append_new(list, health_of(ctx, tg, t, used));
        return 0;
    }
    json_array_foreach(asked, i, t) {
        const char *id = elb_str(t, "Id") ? elb_str(t, "Id") : "";
        long at = target_index(tg, id, target_port(tg, t));
        if (at >= 0) {
            json_array_append_new(
                list, health_of(ctx, tg, json_array_get(json_object_get(tg, "berthTargets"), (size_t)at), used));
            continue;
        }
        if (!json_object_get(t, "Port") && !json_object_get(tg, "Port"))
            return error_set(err, ELB_ERR_INVALID_TARGET, "Target '%.64s' needs a port.", id);
        _cleanup_json_ json_t *missing = json_pack("{s:i}", "Port", (int)target_port(tg, t));
        json_t *h = health_of(ctx, tg, missing, used);
        json_object_set_new(json_object_get(h, "Target"), "Id", json_string(id));
        json_array_append_new(list, h);
    }
    return 0;
}

int elb_registry_set(struct op_ctx *ctx, const char *tg_arn, const char *id, long port, const char *address, bool want,
                     double *ret_drain_until, struct error *err)
{
    _cleanup_json_ json_t *tg = NULL;
    *ret_drain_until = 0;
    int r = store_elb_get(ctx->tx, STORE_ELB_TG, ctx->region, tg_arn, &tg, err);
    if (r <= 0)
        return r; /* the group was deleted: nothing to keep in line */
    prune(ctx, tg);
    long at = target_index(tg, id, port);
    if (want) {
        json_t *t = at >= 0 ? json_array_get(json_object_get(tg, "berthTargets"), (size_t)at) : NULL;
        if (t && drain_until(t) == 0 && strcmp(elb_str(t, "berthAddress"), address) == 0)
            return 0;
        if (add_target(ctx, tg, id, port, address, NULL, err) < 0)
            return -1;
        return save(ctx, tg, err);
    }
    if (at < 0)
        return 0;
    bool used = false;
    if (tg_used(ctx, tg, &used, err) < 0)
        return -1;
    drain_target(ctx, tg, at, used);
    at = target_index(tg, id, port);
    if (at >= 0)
        *ret_drain_until = drain_until(json_array_get(json_object_get(tg, "berthTargets"), (size_t)at));
    return save(ctx, tg, err);
}

bool elb_target_group_has_lb(struct op_ctx *ctx, const char *tg_arn, struct error *err)
{
    _cleanup_json_ json_t *lbs = elb_target_group_lbs(ctx, tg_arn, err);
    return lbs && json_array_size(lbs) > 0;
}
