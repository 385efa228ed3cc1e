/* elb_tg.c - target groups: CreateTargetGroup (target types instance and
 * ip; protocols HTTP, HTTPS and TCP; health checks), DescribeTargetGroups,
 * ModifyTargetGroup, DeleteTargetGroup (refused while a listener or rule
 * forwards to it) and the attributes berth honours
 * (deregistration_delay.timeout_seconds, stickiness for application load
 * balancers, load_balancing.algorithm.type, slow_start.duration_seconds).
 * Targets and their health are elb_targets.c's. */
#include "server/elbv2/elb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/store/store_elb.h"

static bool is_http(const char *p) { return p && (strcmp(p, "HTTP") == 0 || strcmp(p, "HTTPS") == 0); }

/* A health check path: '/' then characters the proxy's configuration can
 * carry unquoted. */
static bool path_ok(const char *p)
{
    if (!p || p[0] != '/' || strlen(p) > 1024)
        return false;
    for (; *p; p++)
        if (*p <= ' ' || *p >= 127 || strchr("\"'\\#$`{}<>|^", *p))
            return false;
    return true;
}

/* "200", "200,202", "200-299": codes 200-499. */
static bool matcher_ok(const char *m)
{
    if (!m || !*m || strlen(m) > 128)
        return false;
    const char *p = m;
    while (*p) {
        char *end = NULL;
        long a = strtol(p, &end, 10), b = a;
        if (end == p || a < 200 || a > 499)
            return false;
        p = end;
        if (*p == '-') {
            b = strtol(p + 1, &end, 10);
            if (end == p + 1 || b < a || b > 499)
                return false;
            p = end;
        }
        if (*p == ',')
            p++;
        else if (*p)
            return false;
    }
    return true;
}

static long jint(json_t *o, const char *k, long def)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? (long)json_integer_value(v) : def;
}

/* The health check members of in over doc's (create: doc has the
 * defaults), checked together. */
static int health_apply(json_t *doc, json_t *in, struct error *err)
{
    static const char *const copied[] = {
        "HealthCheckEnabled",    "HealthCheckIntervalSeconds", "HealthCheckTimeoutSeconds",
        "HealthyThresholdCount", "UnhealthyThresholdCount",    "HealthCheckPath",
        "HealthCheckPort",       "HealthCheckProtocol",        "Matcher"};
    for (size_t i = 0; i < ELEMENTSOF(copied); i++)
        if (json_object_get(in, copied[i]))
            json_object_set(doc, copied[i], json_object_get(in, copied[i]));
    const char *proto = elb_str(doc, "Protocol"), *hproto = elb_str(doc, "HealthCheckProtocol");
    if (!hproto || (is_http(proto) && !is_http(hproto)) || (strcmp(hproto, "TCP") != 0 && !is_http(hproto)))
        return error_set(err, ERR_INVALID, "Health check protocol '%.20s' is not valid for a %.10s target group.",
                         hproto ? hproto : "", proto);
    long interval = jint(doc, "HealthCheckIntervalSeconds", 30), timeout = jint(doc, "HealthCheckTimeoutSeconds", 5);
    if (interval < 5 || interval > 300)
        return error_set(err, ERR_INVALID, "Health check interval must be between 5 and 300 seconds.");
    if (timeout < 2 || timeout > 120 || timeout >= interval)
        return error_set(err, ERR_INVALID,
                         "Health check timeout must be between 2 and 120 seconds and less than the interval.");
    if (jint(doc, "HealthyThresholdCount", 5) < 2 || jint(doc, "HealthyThresholdCount", 5) > 10 ||
        jint(doc, "UnhealthyThresholdCount", 2) < 2 || jint(doc, "UnhealthyThresholdCount", 2) > 10)
        return error_set(err, ERR_INVALID, "Health check thresholds must be between 2 and 10.");
    const char *port = elb_str(doc, "HealthCheckPort");
    char *end = NULL;
    long p = port ? strtol(port, &end, 10) : 0;
    if (!port || (strcmp(port, "traffic-port") != 0 && (!*port || *end || p < 1 || p > 65535)))
        return error_set(err, ERR_INVALID, "Health check port must be 'traffic-port' or a port from 1 to 65535.");
    if (is_http(hproto)) {
        if (!elb_str(doc, "HealthCheckPath"))
            json_object_set_new(doc, "HealthCheckPath", json_string("/"));
        if (!json_object_get(doc, "Matcher"))
            json_object_set_new(doc, "Matcher", json_pack("{s:s}", "HttpCode", "200"));
        if (!path_ok(elb_str(doc, "HealthCheckPath")))
            return error_set(err, ERR_INVALID, "Health check path '%.100s' is not valid.",
                             elb_str(doc, "HealthCheckPath"));
        if (json_object_get(json_object_get(doc, "Matcher"), "GrpcCode") ||
            !matcher_ok(elb_str(json_object_get(doc, "Matcher"), "HttpCode")))
            return error_set(err, ERR_INVALID,
                             "Matcher HttpCode must be codes from 200 to 499 ('200', '200,202', '200-299').");
    } else if (json_object_get(in, "HealthCheckPath") || json_object_get(in, "Matcher")) {
        return error_set(err, ERR_INVALID, "A TCP health check takes no path or matcher.");
    } else {
        json_object_del(doc, "HealthCheckPath");
        json_object_del(doc, "Matcher");
    }
    return 0;
}

static int create_check(json_t *in, struct error *err)
{
    const char *type = elb_str(in, "TargetType") ? elb_str(in, "TargetType") : "instance";
    if (strcmp(type, "instance") != 0 && strcmp(type, "ip") != 0)
        return error_set(err, ERR_INVALID, "berth supports target types instance and ip only.");
    if (json_object_get(in, "TargetControlPort"))
        return error_set(err, ERR_INVALID, "berth does not support TargetControlPort.");
    const char *proto = elb_str(in, "Protocol");
    if (!proto || !json_object_get(in, "Port"))
        return error_set(err, ERR_INVALID, "A target group of type %s needs a protocol and a port.", type);
    if (!is_http(proto) && strcmp(proto, "TCP") != 0)
        return error_set(err, ERR_INVALID, "berth supports target group protocols HTTP, HTTPS and TCP only.");
    long port = jint(in, "Port", 0);
    if (port < 1 || port > 65535)
        return error_set(err, ERR_INVALID, "Port must be between 1 and 65535.");
    const char *ver = elb_str(in, "ProtocolVersion");
    if (ver && (strcmp(ver, "HTTP1") != 0 || !is_http(proto)))
        return error_set(err, ERR_INVALID, "berth supports ProtocolVersion HTTP1 (on HTTP and HTTPS) only.");
    if (elb_str(in, "IpAddressType") && strcmp(elb_str(in, "IpAddressType"), "ipv4") != 0)
        return error_set(err, ERR_INVALID, "berth supports IpAddressType ipv4 only.");
    return 0;
}

API_ACTION(elb_create_target_group)
{
    const char *name = elb_str(in, "Name");
    if (elb_check_name(name, "target group", err) < 0 || create_check(in, err) < 0)
        return -1;
    _cleanup_json_ json_t *old = NULL;
    int r = store_elb_find_name(ctx->tx, STORE_ELB_TG, ctx->region, name, &old, err);
    if (r < 0)
        return -1;
    if (r > 0)
        return error_set(err, ELB_ERR_DUPLICATE_TG_NAME, "A target group with the same name '%s' exists.", name);
    int64_t count = 0;
    if (store_elb_count(ctx->tx, STORE_ELB_TG, ctx->region, NULL, &count, err) < 0)
        return -1;
    if (count >= ELB_TGS_MAX)
        return error_set(err, ELB_ERR_TOO_MANY_TGS, "The account has %d target groups already.", ELB_TGS_MAX);
    char id[17], res[128], arn[ELB_ARN_MAX];
    if (elb_new_id(id, sizeof(id), err) < 0)
        return -1;
    snprintf(res, sizeof(res), "targetgroup/%s/%s", name, id);
    elb_arn(ctx, res, arn, sizeof(arn));
    const char *proto = elb_str(in, "Protocol"), *type = elb_str(in, "TargetType");
    bool http = is_http(proto);
    _cleanup_json_ json_t *doc = json_pack(
        "{s:s, s:s, s:s, s:O, s:s, s:s, s:s, s:b, s:i, s:i, s:i, s:i, s:s, s:s, s:[], s:{s:s, s:s, s:s, s:s, s:s, "
        "s:s}}",
        "TargetGroupArn", arn, "TargetGroupName", name, "Protocol", proto, "Port", json_object_get(in, "Port"), "VpcId",
        elb_str(in, "VpcId") ? elb_str(in, "VpcId") : "vpc-berth", "HealthCheckProtocol", http ? "HTTP" : "TCP",
        "HealthCheckPort", "traffic-port", "HealthCheckEnabled", 1, "HealthCheckIntervalSeconds", 30,
        "HealthCheckTimeoutSeconds", http ? 5 : 10, "HealthyThresholdCount", 5, "UnhealthyThresholdCount", 2,
        "TargetType", type ? type : "instance", "IpAddressType", "ipv4", "berthTargets", "berthAttributes",
        "deregistration_delay.timeout_seconds", "300", "stickiness.enabled", "false", "stickiness.type",
        http ? "lb_cookie" : "source_ip", "stickiness.lb_cookie.duration_seconds", "86400",
        "load_balancing.algorithm.type", "round_robin", "slow_start.duration_seconds", "0");
    if (!doc)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (http)
        json_object_set_new(doc, "ProtocolVersion", json_string("HTTP1"));
    if (!http) {
        json_t *attrs = json_object_get(doc, "berthAttributes");
        json_object_del(attrs, "stickiness.lb_cookie.duration_seconds");
        json_object_del(attrs, "load_balancing.algorithm.type");
        json_object_del(attrs, "slow_start.duration_seconds");
    }
    if (http && elb_str(in, "HealthCheckProtocol") && strcmp(elb_str(in, "HealthCheckProtocol"), "HTTPS") == 0)
        json_object_set_new(doc, "HealthCheckProtocol", json_string("HTTPS"));
    if (health_apply(doc, in, err) < 0)
        return -1;
    if (elb_save(ctx, STORE_ELB_TG, doc, err) < 0 || elb_tags_attach(ctx, arn, json_object_get(in, "Tags"), err) < 0)
        return -1;
    json_object_set_new(out, "TargetGroups", json_pack("[o]", elb_public(doc)));
    return 0;
}

/* A target group as clients see it: with the load balancers forwarding
 * to it. */
static json_t *tg_show(struct op_ctx *ctx, json_t *doc, struct error *err)
{
    json_t *lbs = elb_target_group_lbs(ctx, elb_str(doc, "TargetGroupArn"), err);
    if (!lbs)
        return NULL;
    json_t *shown = elb_public(doc);
    if (!shown) {
        json_decref(lbs);
        error_set(err, ERR_INTERNAL, "out of memory");
        return NULL;
    }
    json_object_set_new(shown, "LoadBalancerArns", lbs);
    return shown;
}

static int keep_of_lb(struct op_ctx *ctx, json_t *doc, void *ud, bool *ret_keep, struct error *err)
{
    _cleanup_json_ json_t *lbs = elb_target_group_lbs(ctx, elb_str(doc, "TargetGroupArn"), err);
    if (!lbs)
        return -1;
    *ret_keep = elb_list_has(lbs, ud);
    return 0;
}

API_ACTION(elb_describe_target_groups)
{
    json_t *arns = json_object_get(in, "TargetGroupArns"), *names = json_object_get(in, "Names");
    const char *lb = elb_str(in, "LoadBalancerArn");
    if ((arns != NULL) + (names != NULL) + (lb != NULL) > 1)
        return error_set(err, ERR_INVALID, "Give at most one of TargetGroupArns, Names and LoadBalancerArn.");
    if (lb) {
        _cleanup_json_ json_t *doc = NULL;
        if (elb_find(ctx, STORE_ELB_LB, lb, &doc, err) < 0)
            return -1;
        return elb_page(ctx, in, out, STORE_ELB_TG, NULL, "TargetGroups", keep_of_lb, (void *)lb, tg_show, err);
    }
    if (!arns && !names)
        return elb_page(ctx, in, out, STORE_ELB_TG, NULL, "TargetGroups", NULL, NULL, tg_show, err);
    json_t *list = json_array();
    json_object_set_new(out, "TargetGroups", list);
    size_t i;
    json_t *v;
    json_array_foreach(arns ? arns : names, i, v) {
        _cleanup_json_ json_t *doc = NULL;
        const char *s = json_string_value(v);
        int r = names ? store_elb_find_name(ctx->tx, STORE_ELB_TG, ctx->region, s, &doc, err)
                      : store_elb_get(ctx->tx, STORE_ELB_TG, ctx->region, s, &doc, err);
        if (r < 0)
            return -1;
        if (r == 0)
            return error_set(err, ELB_ERR_TG_NOT_FOUND, "One or more target groups not found");
        json_t *shown = tg_show(ctx, doc, err);
        if (!shown)
            return -1;
        json_array_append_new(list, shown);
    }
    return 0;
}

API_ACTION(elb_modify_target_group)
{
    _cleanup_json_ json_t *doc = NULL;
    if (elb_find(ctx, STORE_ELB_TG, elb_str(in, "TargetGroupArn"), &doc, err) < 0)
        return -1;
    const char *hp = elb_str(in, "HealthCheckProtocol");
    if (hp && is_http(hp) && !is_http(elb_str(doc, "HealthCheckProtocol")) && !json_object_get(in, "Matcher"))
        json_object_set_new(doc, "Matcher", json_pack("{s:s}", "HttpCode", "200"));
    if (health_apply(doc, in, err) < 0 || elb_save(ctx, STORE_ELB_TG, doc, err) < 0)
        return -1;
    json_t *shown = tg_show(ctx, doc, err);
    if (!shown)
        return -1;
    json_object_set_new(out, "TargetGroups", json_pack("[o]", shown));
    return 0;
}

API_ACTION(elb_delete_target_group)
{
    (void)out;
    const char *arn = elb_str(in, "TargetGroupArn");
    _cleanup_json_ json_t *doc = NULL;
    int r = store_elb_get(ctx->tx, STORE_ELB_TG, ctx->region, arn, &doc, err);
    if (r <= 0)
        return r; /* gone already: a success, as ELB's */
    _cleanup_json_ json_t *lbs = elb_target_group_lbs(ctx, arn, err);
    if (!lbs)
        return -1;
    if (json_array_size(lbs) > 0)
        return error_set(err, ELB_ERR_RESOURCE_IN_USE,
                         "Target group '%.300s' is currently in use by a listener or a rule", arn);
    return store_elb_delete(ctx->tx, STORE_ELB_TG, ctx->region, arn, err);
}

API_ACTION(elb_describe_target_group_attributes)
{
    _cleanup_json_ json_t *doc = NULL;
    if (elb_find(ctx, STORE_ELB_TG, elb_str(in, "TargetGroupArn"), &doc, err) < 0)
        return -1;
    json_object_set_new(out, "Attributes", elb_attributes_list(json_object_get(doc, "berthAttributes")));
    return 0;
}

static bool num_in(const char *v, long lo, long hi)
{
    char *end = NULL;
    long n = strtol(v, &end, 10);
    return *v && !*end && n >= lo && n <= hi;
}

/* Whether berth honours value for key on a target group of protocol. */
static bool attribute_ok(const char *proto, const char *k, const char *v)
{
    if (strcmp(k, "deregistration_delay.timeout_seconds") == 0)
        return num_in(v, 0, 3600);
    if (strcmp(k, "stickiness.enabled") == 0)
        return strcmp(v, "false") == 0 || (strcmp(v, "true") == 0 && is_http(proto));
    if (strcmp(k, "stickiness.type") == 0)
        return strcmp(v, is_http(proto) ? "lb_cookie" : "source_ip") == 0;
    if (strcmp(k, "stickiness.lb_cookie.duration_seconds") == 0)
        return num_in(v, 1, 604800);
    if (strcmp(k, "load_balancing.algorithm.type") == 0)
        return strcmp(v, "round_robin") == 0 || strcmp(v, "least_outstanding_requests") == 0;
    if (strcmp(k, "slow_start.duration_seconds") == 0)
        return strcmp(v, "0") == 0 || num_in(v, 30, 900);
    return false;
}

API_ACTION(elb_modify_target_group_attributes)
{
    _cleanup_json_ json_t *doc = NULL;
    if (elb_find(ctx, STORE_ELB_TG, elb_str(in, "TargetGroupArn"), &doc, err) < 0)
        return -1;
    json_t *attrs = json_object_get(doc, "berthAttributes");
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(in, "Attributes"), i, a) {
        const char *k = elb_str(a, "Key"), *v = elb_str(a, "Value");
        if (!k || !v)
            return error_set(err, ERR_INVALID, "Each attribute needs a Key and a Value.");
        if (!json_object_get(attrs, k) || !attribute_ok(elb_str(doc, "Protocol"), k, v))
            return error_set(err, ERR_INVALID,
                             "Attribute '%.100s' with value '%.100s' is not supported by berth on this target group.",
                             k, v);
        json_object_set_new(attrs, k, json_string(v));
    }
    if (elb_save(ctx, STORE_ELB_TG, doc, err) < 0)
        return -1;
    json_object_set_new(out, "Attributes", elb_attributes_list(attrs));
    return 0;
}
