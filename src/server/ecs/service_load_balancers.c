/* service_load_balancers.c - an ECS service's loadBalancers (see
 * service_load_balancers.h).  A task's endpoint is, in awsvpc mode, its
 * address and containerPort (target type ip); in bridge and host mode,
 * its container instance's ec2InstanceId and the host port bound to
 * containerPort (target type instance), reached on this host.  What a
 * task registered is kept in its document (berth.elbTargets), so that it
 * is deregistered from the same groups even after the service changed
 * its loadBalancers. */
#include "server/ecs/service_load_balancers.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/task_status.h"
#include "server/ecs/tasks.h"
#include "server/ecs/deploy_hooks.h"
#include "server/ecs/ecs_service.h"
#include "server/elbv2/elb_proxy.h"
#include "server/elbv2/elb_registry.h"
#include "server/store/store_elb.h"
#include "server/store/store_instances.h"
#include "server/store/store_services.h"
#include "server/store/store_tasks.h"

#define LB_MAX 5
#define BAKE_MAX_MINUTES 1440
/* How long past its deregistration delay a stopping task waits for its
 * load balancers to load a configuration without it (one HAProxy refuses
 * stays on the last it took). */
#define DRAIN_PROXY_WAIT_SECONDS 30

static const char *str(json_t *o, const char *key) { return json_string_value(json_object_get(o, key)); }

static json_t *container_def(json_t *taskdef, const char *name)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(taskdef, "containerDefinitions"), i, c) {
        if (name && str(c, "name") && strcmp(str(c, "name"), name) == 0)
            return c;
    }
    return NULL;
}

/* That the listener rule `rule` (a member of advancedConfiguration) sends
 * to both groups of the blue/green pair: ECS shifts its weights. */
static int check_rule(struct op_ctx *ctx, const char *member, const char *rule, const char *tg, const char *alt,
                      size_t i, struct error *err)
{
    _cleanup_json_ json_t *groups = elb_registry_rule_groups(ctx, rule, err);
    if (!groups)
        return error_prefix(err, "loadBalancers[%zu].advancedConfiguration.%s", i, member);
    bool has_tg = false, has_alt = false;
    size_t k;
    json_t *g;
    json_array_foreach(groups, k, g) {
        has_tg |= strcmp(json_string_value(g), tg) == 0;
        has_alt |= strcmp(json_string_value(g), alt) == 0;
    }
    if (!has_tg || !has_alt)
        return error_set(err, ERR_INVALID,
                         "loadBalancers[%zu].advancedConfiguration.%s: the listener rule %.300s must forward to both "
                         "the target group %.300s and the alternate target group %.300s.",
                         i, member, rule, tg, alt);
    return 0;
}

/* A blue/green pair: the alternate group exists, is not the primary one
 * and has its target type; the production rule (and the test rule, if
 * any) forward to both groups.  roleArn is recorded: berth's scheduler
 * changes the rules itself. */
static int check_advanced(struct op_ctx *ctx, json_t *adv, json_t *tg, size_t i, struct error *err)
{
    const char *arn = str(tg, "TargetGroupArn"), *alt = str(adv, "alternateTargetGroupArn");
    const char *prod = str(adv, "productionListenerRule"), *test = str(adv, "testListenerRule");
    if (!alt)
        return error_set(err, ERR_INVALID,
                         "loadBalancers[%zu].advancedConfiguration.alternateTargetGroupArn must be specified.", i);
    if (!prod)
        return error_set(err, ERR_INVALID,
                         "loadBalancers[%zu].advancedConfiguration.productionListenerRule must be specified.", i);
    if (strcmp(alt, arn) == 0)
        return error_set(err, ERR_INVALID,
                         "loadBalancers[%zu]: the alternate target group must differ from the target group %.300s.", i,
                         arn);
    _cleanup_json_ json_t *alt_doc = NULL;
    int r = store_elb_get(ctx->tx, STORE_ELB_TG, ctx->region, alt, &alt_doc, err);
    if (r < 0)
        return -1;
    if (r == 0)
        return error_set(err, ERR_INVALID, "Unable to find the target group %.300s.", alt);
    if (strcmp(str(alt_doc, "TargetType"), str(tg, "TargetType")) != 0)
        return error_set(err, ERR_INVALID,
                         "loadBalancers[%zu]: the alternate target group %.300s has target type %s, the target group "
                         "%s.",
                         i, alt, str(alt_doc, "TargetType"), str(tg, "TargetType"));
    if (check_rule(ctx, "productionListenerRule", prod, arn, alt, i, err) < 0)
        return -1;
    if (test && strcmp(test, prod) == 0)
        return error_set(err, ERR_INVALID,
                         "loadBalancers[%zu].advancedConfiguration: testListenerRule must differ from "
                         "productionListenerRule.",
                         i);
    return test ? check_rule(ctx, "testListenerRule", test, arn, alt, i, err) : 0;
}

static int check_one(struct op_ctx *ctx, json_t *lb, json_t *taskdef, size_t i, struct error *err)
{
    if (json_object_get(lb, "loadBalancerName"))
        return error_set(err, ERR_INVALID,
                         "loadBalancers[%zu]: berth serves no Classic Load Balancers; give a "
                         "targetGroupArn.",
                         i);
    const char *arn = str(lb, "targetGroupArn"), *cname = str(lb, "containerName");
    json_t *cport = json_object_get(lb, "containerPort");
    if (!arn || !cname || !cport)
        return error_set(err, ERR_INVALID,
                         "loadBalancers[%zu] needs a targetGroupArn, a containerName and a containerPort.", i);
    _cleanup_json_ json_t *tg = NULL;
    int r = store_elb_get(ctx->tx, STORE_ELB_TG, ctx->region, arn, &tg, err);
    if (r < 0)
        return -1;
    if (r == 0)
        return error_set(err, ERR_INVALID, "Unable to find the target group %.300s.", arn);
    struct error ignored;
    if (!elb_target_group_has_lb(ctx, arn, &ignored))
        return error_set(err, ERR_INVALID,
                         "The target group with targetGroupArn %.300s does not have an associated load balancer.", arn);
    const char *mode = str(taskdef, "networkMode") ? str(taskdef, "networkMode") : "bridge";
    bool ip = strcmp(str(tg, "TargetType"), "ip") == 0, awsvpc = strcmp(mode, "awsvpc") == 0;
    if (ip != awsvpc)
        return error_set(err, ERR_INVALID,
                         "The provided target group %.300s has target type %s, which is incompatible with the %s "
                         "network mode specified in the task definition.",
                         arn, str(tg, "TargetType"), mode);
    json_t *adv = json_object_get(lb, "advancedConfiguration");
    if (adv && check_advanced(ctx, adv, tg, i, err) < 0)
        return -1;
    json_t *def = container_def(taskdef, cname);
    if (!def)
        return error_set(err, ERR_INVALID, "The container %.255s does not exist in the task definition.", cname);
    size_t j;
    json_t *pm;
    json_array_foreach(json_object_get(def, "portMappings"), j, pm) {
        if (json_integer_value(json_object_get(pm, "containerPort")) == json_integer_value(cport))
            return 0;
    }
    return error_set(err, ERR_INVALID, "The container %.255s did not have a container port %lld defined.", cname,
                     (long long)json_integer_value(cport));
}

int service_load_balancers_check(struct op_ctx *ctx, json_t *lbs, json_t *taskdef, struct error *err)
{
    if (json_array_size(lbs) > LB_MAX)
        return error_set(err, ERR_INVALID, "A service can have at most %d load balancer target groups.", LB_MAX);
    size_t i;
    json_t *lb;
    json_array_foreach(lbs, i, lb) {
        if (check_one(ctx, lb, taskdef, i, err) < 0)
            return -1;
    }
    return 0;
}

int service_deployment_permille(json_t *percent) { return (int)lround(json_number_value(percent) * 10); }

/* A percentage that must be a multiple of 0.1 from min_permille / 10 to 100. */
static int check_percent(json_t *c, const char *shape, const char *member, int min_permille, struct error *err)
{
    json_t *v = json_object_get(c, member);
    if (!v)
        return 0;
    double tenths = json_number_value(v) * 10;
    if (!json_is_number(v) || fabs(tenths - round(tenths)) > 1e-6 || round(tenths) < min_permille ||
        round(tenths) > 1000)
        return error_set(err, ERR_INVALID,
                         "deploymentConfiguration.%s.%s must be a multiple of 0.1 from %d.%d to 100.0.", shape, member,
                         min_permille / 10, min_permille % 10);
    return 0;
}

static int check_minutes(json_t *c, const char *shape, const char *member, struct error *err)
{
    json_t *v = json_object_get(c, member);
    if (v && (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > BAKE_MAX_MINUTES))
        return error_set(err, ERR_INVALID, "deploymentConfiguration.%s.%s must be between 0 and %d.", shape, member,
                         BAKE_MAX_MINUTES);
    return 0;
}

int service_deployment_strategy_check(json_t *config, struct error *err)
{
    const char *strategy = str(config, "strategy");
    static const char *const known[] = {"ROLLING", "BLUE_GREEN", "LINEAR", "CANARY"};
    bool valid = !strategy;
    for (size_t i = 0; strategy && i < sizeof(known) / sizeof(known[0]); i++)
        valid |= strcmp(strategy, known[i]) == 0;
    if (!valid)
        return error_set(err, ERR_INVALID,
                         "Invalid deployment strategy %.20s: use ROLLING, BLUE_GREEN, LINEAR or CANARY.", strategy);
    json_t *linear = json_object_get(config, "linearConfiguration");
    json_t *canary = json_object_get(config, "canaryConfiguration");
    if (check_percent(linear, "linearConfiguration", "stepPercent", 30, err) < 0 ||
        check_minutes(linear, "linearConfiguration", "stepBakeTimeInMinutes", err) < 0 ||
        check_percent(canary, "canaryConfiguration", "canaryPercent", 1, err) < 0 ||
        check_minutes(canary, "canaryConfiguration", "canaryBakeTimeInMinutes", err) < 0)
        return -1;
    if (deploy_hooks_check(json_object_get(config, "lifecycleHooks"), err) < 0)
        return -1;
    json_t *bake = json_object_get(config, "bakeTimeInMinutes");
    if (bake && (!json_is_integer(bake) || json_integer_value(bake) < 0 || json_integer_value(bake) > BAKE_MAX_MINUTES))
        return error_set(err, ERR_INVALID, "bakeTimeInMinutes must be between 0 and %d.", BAKE_MAX_MINUTES);
    return 0;
}

int service_blue_green_check(json_t *svc, json_t *config, struct error *err)
{
    const char *strategy = str(config, "strategy");
    bool bg = strategy && (strcmp(strategy, "BLUE_GREEN") == 0 || strcmp(strategy, "LINEAR") == 0 ||
                           strcmp(strategy, "CANARY") == 0);
    static const char *const own[][2] = {{"linearConfiguration", "LINEAR"}, {"canaryConfiguration", "CANARY"}};
    for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
        if (json_object_get(config, own[i][0]) && (!strategy || strcmp(strategy, own[i][1]) != 0))
            return error_set(err, ERR_INVALID, "%s is supported only with the %s deployment strategy.", own[i][0],
                             own[i][1]);
    json_t *lbs = json_object_get(svc, "loadBalancers");
    size_t i, advanced = 0;
    json_t *lb;
    json_array_foreach(lbs, i, lb)
        advanced += json_object_get(lb, "advancedConfiguration") != NULL;
    if (!bg) {
        if (advanced > 0)
            return error_set(err, ERR_INVALID,
                             "advancedConfiguration in loadBalancers is supported only with the BLUE_GREEN, LINEAR "
                             "and CANARY deployment strategies.");
        if (json_object_get(config, "bakeTimeInMinutes"))
            return error_set(err, ERR_INVALID,
                             "bakeTimeInMinutes is supported only with the BLUE_GREEN, LINEAR and CANARY deployment "
                             "strategies.");
        if (json_array_size(json_object_get(config, "lifecycleHooks")) > 0)
            return error_set(err, ERR_INVALID,
                             "lifecycleHooks are supported only with the BLUE_GREEN, LINEAR and CANARY deployment "
                             "strategies.");
        return 0;
    }
    if (strcmp(strategy, "BLUE_GREEN") == 0 && !json_object_get(config, "bakeTimeInMinutes"))
        return error_set(err, ERR_INVALID,
                         "bakeTimeInMinutes must be specified with the BLUE_GREEN deployment strategy.");
    const char *sched = str(svc, "schedulingStrategy"),
               *ctl = str(json_object_get(svc, "deploymentController"), "type");
    if (sched && strcmp(sched, "DAEMON") == 0)
        return error_set(err, ERR_INVALID, "The DAEMON scheduling strategy does not support %s deployments.", strategy);
    if (ctl && strcmp(ctl, "ECS") != 0)
        return error_set(err, ERR_INVALID, "%s deployments need the ECS deployment controller.", strategy);
    if (json_is_true(json_object_get(json_object_get(svc, "serviceConnectConfiguration"), "enabled")))
        return error_set(err, API_ERR_UNSUPPORTED_FEATURE,
                         "berth does not run %s deployments for Service Connect services.", strategy);
    if (json_array_size(lbs) == 0 || advanced != json_array_size(lbs))
        return error_set(err, API_ERR_UNSUPPORTED_FEATURE,
                         "berth runs %s deployments for services behind a load balancer: every loadBalancers "
                         "entry needs an advancedConfiguration.",
                         strategy);
    return 0;
}

/* The task's awsvpc address, else NULL. */
static const char *task_ipv4(json_t *doc)
{
    size_t i, j;
    json_t *a, *d;
    json_array_foreach(json_object_get(doc, "attachments"), i, a) {
        json_array_foreach(json_object_get(a, "details"), j, d) {
            if (str(d, "name") && strcmp(str(d, "name"), "privateIPv4Address") == 0)
                return str(d, "value");
        }
    }
    return NULL;
}

/* The host port bound to the container's port (0: none reported). */
static long host_port(json_t *doc, const char *cname, json_int_t cport)
{
    size_t i, j;
    json_t *c, *b;
    json_array_foreach(json_object_get(doc, "containers"), i, c) {
        if (!str(c, "name") || strcmp(str(c, "name"), cname) != 0)
            continue;
        json_array_foreach(json_object_get(c, "networkBindings"), j, b) {
            if (json_integer_value(json_object_get(b, "containerPort")) == cport)
                return (long)json_integer_value(json_object_get(b, "hostPort"));
        }
    }
    return 0;
}

/* The task's endpoint for one loadBalancers entry ({tg, id, port,
 * address}), or NULL while the task has not reported it. */
static json_t *endpoint(struct op_ctx *ctx, struct task_row *task, json_t *lb, const char *tg, struct error *err)
{
    json_int_t cport = json_integer_value(json_object_get(lb, "containerPort"));
    const char *ip = task_ipv4(task->doc);
    if (ip)
        return json_pack("{s:s, s:s, s:I, s:s}", "tg", tg, "id", ip, "port", cport, "address", ip);
    long port = host_port(task->doc, str(lb, "containerName"), cport);
    if (port <= 0 || task->instance_id == 0)
        return NULL;
    _cleanup_(instance_row_clear) struct instance_row inst = {0};
    if (store_instance_get_by_id(ctx->tx, task->instance_id, &inst, err) <= 0)
        return NULL;
    const char *addr = str(task->doc, "berthHostIpv4");
    return json_pack("{s:s, s:s, s:i, s:s}", "tg", tg, "id", inst.ec2_instance_id, "port", (int)port, "address",
                     addr ? addr : "127.0.0.1");
}

static bool same(json_t *a, json_t *b)
{
    return strcmp(str(a, "tg"), str(b, "tg")) == 0 && strcmp(str(a, "id"), str(b, "id")) == 0 &&
           json_integer_value(json_object_get(a, "port")) == json_integer_value(json_object_get(b, "port"));
}

static bool listed(json_t *list, json_t *e)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) {
        if (same(v, e))
            return true;
    }
    return false;
}

/* The name of a registration's server in HAProxy's configuration. */
static void target_server(json_t *e, char *out, size_t cap)
{
    snprintf(out, cap, "%s:%lld", str(e, "id"), (long long)json_integer_value(json_object_get(e, "port")));
}

static int set(struct op_ctx *ctx, json_t *e, bool want, double *ret_until, struct error *err)
{
    return elb_registry_set(ctx, str(e, "tg"), str(e, "id"), (long)json_integer_value(json_object_get(e, "port")),
                            str(e, "address"), want, ret_until, err);
}

/* Whether tg is one of the blue/green pair of lb. */
static bool of_pair(json_t *lb, const char *tg)
{
    const char *alt = str(json_object_get(lb, "advancedConfiguration"), "alternateTargetGroupArn");
    return tg && (strcmp(tg, str(lb, "targetGroupArn")) == 0 || (alt && strcmp(tg, alt) == 0));
}

const char *service_load_balancers_group(json_t *svc_doc, const char *deployment_id, size_t i)
{
    json_t *lb = json_array_get(json_object_get(svc_doc, "loadBalancers"), i);
    if (!json_object_get(lb, "advancedConfiguration"))
        return str(lb, "targetGroupArn");
    json_t *priv = json_object_get(svc_doc, "berth");
    json_t *own = json_object_get(json_object_get(priv, "bgTargets"), deployment_id ? deployment_id : "");
    const char *tg = json_string_value(json_array_get(own, i));
    if (!of_pair(lb, tg))
        tg = json_string_value(json_array_get(json_object_get(priv, "bgLive"), i));
    return of_pair(lb, tg) ? tg : str(lb, "targetGroupArn");
}

int service_load_balancers_sync(struct op_ctx *ctx, struct task_row *task, struct error *err)
{
    if (!task->service_name || !task->doc)
        return 0;
    json_t *berth = json_object_get(task->doc, "berth");
    json_t *had = json_object_get(berth, "elbTargets");
    bool want = task_status_is(task->last_status, TASK_STATUS_RUNNING) &&
                !task_status_is(task->desired_status, TASK_STATUS_STOPPED);
    _cleanup_json_ json_t *now_list = json_array();
    if (want) {
        _cleanup_(service_row_clear) struct service_row svc = {0};
        int r = store_service_get(ctx->tx, task->cluster_id, task->service_name, &svc, err);
        if (r < 0)
            return -1;
        size_t i;
        json_t *lb;
        json_array_foreach(r > 0 ? json_object_get(svc.doc, "loadBalancers") : NULL, i, lb) {
            json_t *e = endpoint(ctx, task, lb, service_load_balancers_group(svc.doc, task->started_by, i), err);
            if (e)
                json_array_append_new(now_list, e);
        }
    }
    if (!had && json_array_size(now_list) == 0)
        return 0;
    double until = 0;
    size_t i;
    json_t *e;
    json_array_foreach(now_list, i, e) {
        double ignored;
        if (set(ctx, e, true, &ignored, err) < 0)
            return -1;
    }
    _cleanup_json_ json_t *from = json_array(), *servers = json_array();
    json_array_foreach(had, i, e) {
        double u = 0;
        if (!listed(now_list, e) && set(ctx, e, false, &u, err) < 0)
            return -1;
        if (u > until)
            until = u;
        if (u > 0) {
            char server[160];
            target_server(e, server, sizeof(server));
            json_array_append_new(from, json_string(str(e, "tg")));
            json_array_append_new(servers, json_pack("[s, s]", str(e, "tg"), server));
        }
    }
    if (json_array_size(now_list) > 0)
        json_object_set(berth, "elbTargets", now_list);
    else
        json_object_del(berth, "elbTargets");
    /* Asked to stop while registered: the agent hears of it once the
     * targets have drained (agent_poll.c, and the scheduler's release). */
    if (until > time_to_epoch_seconds(ctx->now) && task_status_is(task->desired_status, TASK_STATUS_STOPPED) &&
        task_status_is(task->last_status, TASK_STATUS_RUNNING) &&
        until > json_number_value(json_object_get(berth, "stopAfter"))) {
        json_object_set_new(berth, "stopAfter", json_real(until));
        json_object_set(berth, "drainFrom", from);
        json_object_set(berth, "drainServers", servers);
        json_object_set_new(berth, "drainProxyUntil", json_real(until + DRAIN_PROXY_WAIT_SECONDS));
    }
    return 0;
}

/* Whether a target group the task drains from still exists: one deleted
 * meanwhile has no connections left to finish (as on AWS, its targets go
 * with it). */
static int drain_group_left(struct op_ctx *ctx, json_t *berth, bool *ret, struct error *err)
{
    json_t *from = json_object_get(berth, "drainFrom");
    *ret = !json_is_array(from); /* drained before berth kept the groups: wait */
    size_t i;
    json_t *tg;
    json_array_foreach(from, i, tg) {
        _cleanup_json_ json_t *doc = NULL;
        int r = store_elb_get(ctx->tx, STORE_ELB_TG, ctx->region, json_string_value(tg), &doc, err);
        if (r < 0)
            return -1;
        if (r > 0) {
            *ret = true;
            return 0;
        }
    }
    return 0;
}

/* Whether a load balancer's running HAProxy still lists one of the
 * servers the task drains from: its worker has not loaded the
 * configuration without them yet (a reload comes with the next pass of
 * elb_proxy.c, which a busy server can hold up past a short
 * deregistration delay).  The task must not stop before: that worker
 * still sends new connections to it, and one sent to a task whose
 * network is gone waits out the connect timeout. */
static bool drain_proxy_lists(struct op_ctx *ctx, json_t *berth)
{
    struct elb_proxy *proxy = ecs_of(ctx) ? ecs_of(ctx)->elb_proxy : NULL;
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(berth, "drainServers"), i, s) {
        struct elb_target_health h;
        if (proxy && elb_proxy_health(proxy, json_string_value(json_array_get(s, 0)),
                                      json_string_value(json_array_get(s, 1)), &h) > 0)
            return true;
    }
    return false;
}

bool service_load_balancers_draining(const struct task_row *task, usec_t now)
{
    json_t *v = json_object_get(json_object_get(task->doc, "berth"), "stopAfter");
    return json_is_number(v) && json_number_value(v) > time_to_epoch_seconds(now);
}

int service_load_balancers_release(struct op_ctx *ctx, int64_t task_id, struct error *err)
{
    _cleanup_(task_row_clear) struct task_row row = {0};
    int r = store_task_get_by_id(ctx->tx, task_id, &row, err);
    if (r <= 0)
        return r;
    json_t *berth = json_object_get(row.doc, "berth");
    if (!json_object_get(berth, "stopAfter"))
        return 0;
    bool left = false;
    if (service_load_balancers_draining(&row, ctx->now) && (drain_group_left(ctx, berth, &left, err) < 0 || left))
        return left ? 0 : -1;
    double now = time_to_epoch_seconds(ctx->now);
    if (now < json_number_value(json_object_get(berth, "drainProxyUntil")) && drain_proxy_lists(ctx, berth)) {
        /* Still draining (for the agent too, which reads stopAfter):
         * looked at again in the next round. */
        json_object_set_new(berth, "stopAfter", json_real(now + 1));
        return task_save(ctx, &row, true, err) < 0 ? -1 : 1;
    }
    json_object_del(berth, "stopAfter");
    json_object_del(berth, "drainFrom");
    json_object_del(berth, "drainServers");
    json_object_del(berth, "drainProxyUntil");
    return task_save(ctx, &row, true, err) < 0 ? -1 : 1;
}

int service_load_balancers_unhealthy(struct op_ctx *ctx, int64_t task_id, char *ret_tg, size_t cap, bool *ret,
                                     struct error *err)
{
    *ret = false;
    struct elb_proxy *proxy = ecs_of(ctx) ? ecs_of(ctx)->elb_proxy : NULL;
    if (!proxy)
        return 0;
    _cleanup_(task_row_clear) struct task_row row = {0};
    int r = store_task_get_by_id(ctx->tx, task_id, &row, err);
    if (r <= 0)
        return r;
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(json_object_get(row.doc, "berth"), "elbTargets"), i, e) {
        char server[160];
        struct elb_target_health h = {"", "", ""};
        target_server(e, server, sizeof(server));
        if (elb_proxy_health(proxy, str(e, "tg"), server, &h) > 0 && strcmp(h.state, "unhealthy") == 0) {
            snprintf(ret_tg, cap, "%s", str(e, "tg"));
            *ret = true;
            return 0;
        }
    }
    return 0;
}

int service_load_balancers_healthy(struct op_ctx *ctx, int64_t task_id, bool *ret, struct error *err)
{
    *ret = false;
    struct elb_proxy *proxy = ecs_of(ctx) ? ecs_of(ctx)->elb_proxy : NULL;
    if (!proxy) {
        *ret = true;
        return 0;
    }
    _cleanup_(task_row_clear) struct task_row row = {0};
    int r = store_task_get_by_id(ctx->tx, task_id, &row, err);
    if (r <= 0)
        return r;
    json_t *targets = json_object_get(json_object_get(row.doc, "berth"), "elbTargets");
    if (json_array_size(targets) == 0)
        return 0; /* not registered yet */
    size_t i;
    json_t *e;
    json_array_foreach(targets, i, e) {
        char server[160];
        struct elb_target_health h = {"", "", ""};
        target_server(e, server, sizeof(server));
        int found = elb_proxy_health(proxy, str(e, "tg"), server, &h);
        /* A group no proxy serves (its listener was deleted) gates nothing. */
        if (found == 0 && !elb_proxy_serves(proxy, str(e, "tg")))
            continue;
        if (found == 0 || (strcmp(h.state, "healthy") != 0 && strcmp(h.state, "unavailable") != 0))
            return 0;
    }
    *ret = true;
    return 0;
}

int service_load_balancers_serving(struct op_ctx *ctx, int64_t task_id, bool *ret, struct error *err)
{
    *ret = false;
    struct elb_proxy *proxy = ecs_of(ctx) ? ecs_of(ctx)->elb_proxy : NULL;
    if (!proxy)
        return 0; /* no data plane: nothing can pass */
    _cleanup_(task_row_clear) struct task_row row = {0};
    int r = store_task_get_by_id(ctx->tx, task_id, &row, err);
    if (r <= 0)
        return r;
    json_t *targets = json_object_get(json_object_get(row.doc, "berth"), "elbTargets");
    if (json_array_size(targets) == 0)
        return 0;
    size_t i;
    json_t *e;
    json_array_foreach(targets, i, e) {
        char server[160];
        struct elb_target_health h = {"", "", ""};
        target_server(e, server, sizeof(server));
        /* Not reported yet (the proxy has not loaded it: "initial") or not
         * passing: the target cannot take the traffic. */
        if (elb_proxy_health(proxy, str(e, "tg"), server, &h) <= 0 ||
            (strcmp(h.state, "healthy") != 0 && strcmp(h.state, "unavailable") != 0))
            return 0;
    }
    *ret = true;
    return 0;
}
