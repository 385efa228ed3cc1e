/* elb_listeners.c - listeners: CreateListener (HTTP and HTTPS on
 * application load balancers, TCP on network ones; TLS is refused),
 * DescribeListeners, ModifyListener, DeleteListener (with its rules).
 * Rules are elb_rules.c's, certificates and policies elb_certs.c's. */
#include "server/elbv2/elb.h"

#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/store/store_elb.h"

/* "app/NAME/ID" of a load balancer ARN ("" if it is not one). */
const char *elb_lb_path(const char *lb_arn)
{
    const char *p = lb_arn ? strstr(lb_arn, ":loadbalancer/") : NULL;
    return p ? p + 14 : "";
}

struct port_walk {
    long port;
    const char *except;
    bool taken;
};

static int port_row(json_t *doc, void *ud, struct error *err)
{
    (void)err;
    struct port_walk *w = ud;
    if (json_integer_value(json_object_get(doc, "Port")) == w->port &&
        (!w->except || strcmp(elb_str(doc, "ListenerArn"), w->except) != 0))
        w->taken = true;
    return 0;
}

/* Protocol and port of a listener (old: the listener being modified, or
 * NULL) on lb: checked, and no other listener of lb on that port. */
static int check_listener(struct op_ctx *ctx, json_t *lb, json_t *in, json_t *old, const char **ret_protocol,
                          json_t *ret_tls, struct error *err)
{
    bool app = strcmp(elb_str(lb, "Type"), "application") == 0;
    const char *proto = elb_str(in, "Protocol");
    if (!proto)
        proto = old ? elb_str(old, "Protocol") : app ? "HTTP" : "TCP";
    if (strcmp(proto, "TLS") == 0)
        return error_set(err, ELB_ERR_UNSUPPORTED_PROTOCOL, "berth does not support TLS listeners yet.");
    if (app ? strcmp(proto, "HTTP") != 0 && strcmp(proto, "HTTPS") != 0 : strcmp(proto, "TCP") != 0)
        return error_set(err, ELB_ERR_UNSUPPORTED_PROTOCOL, "Protocol '%s' is not supported on %s load balancers.",
                         proto, elb_str(lb, "Type"));
    if (elb_listener_tls(ctx, proto, in, old, ret_tls, err) < 0)
        return -1;
    json_t *port = json_object_get(in, "Port");
    if (!port && !old)
        return error_set(err, ERR_INVALID, "A listener needs a port.");
    long p = (long)json_integer_value(port ? port : json_object_get(old, "Port"));
    if (p < 1 || p > 65535)
        return error_set(err, ERR_INVALID, "Port must be between 1 and 65535.");
    struct port_walk w = {p, old ? elb_str(old, "ListenerArn") : NULL, false};
    if (store_elb_each(ctx->tx, STORE_ELB_LISTENER, ctx->region, elb_str(lb, "LoadBalancerArn"), NULL, port_row, &w,
                       err) < 0)
        return -1;
    if (w.taken)
        return error_set(err, ELB_ERR_DUPLICATE_LISTENER, "A listener already exists on port %ld.", p);
    *ret_protocol = proto;
    return 0;
}

API_ACTION(elb_create_listener)
{
    _cleanup_json_ json_t *lb = NULL, *tls = json_object();
    const char *proto = NULL;
    if (elb_find(ctx, STORE_ELB_LB, elb_str(in, "LoadBalancerArn"), &lb, err) < 0 ||
        check_listener(ctx, lb, in, NULL, &proto, tls, err) < 0)
        return -1;
    int64_t count = 0;
    if (store_elb_count(ctx->tx, STORE_ELB_LISTENER, ctx->region, elb_str(lb, "LoadBalancerArn"), &count, err) < 0)
        return -1;
    if (count >= ELB_LISTENERS_MAX)
        return error_set(err, ELB_ERR_TOO_MANY_LISTENERS, "A load balancer can have at most %d listeners.",
                         ELB_LISTENERS_MAX);
    json_t *actions = json_object_get(in, "DefaultActions");
    if (elb_actions_check(ctx, lb, proto, actions, err) < 0)
        return -1;
    char id[17], rid[17], res[256], arn[ELB_ARN_MAX], rule[ELB_ARN_MAX];
    if (elb_new_id(id, sizeof(id), err) < 0 || elb_new_id(rid, sizeof(rid), err) < 0)
        return -1;
    const char *path = elb_lb_path(elb_str(lb, "LoadBalancerArn"));
    snprintf(res, sizeof(res), "listener/%s/%s", path, id);
    elb_arn(ctx, res, arn, sizeof(arn));
    snprintf(res, sizeof(res), "listener-rule/%s/%s/%s", path, id, rid);
    elb_arn(ctx, res, rule, sizeof(rule));
    _cleanup_json_ json_t *doc = json_pack("{s:s, s:s, s:O, s:s, s:O, s:s}", "ListenerArn", arn, "LoadBalancerArn",
                                           elb_str(lb, "LoadBalancerArn"), "Port", json_object_get(in, "Port"),
                                           "Protocol", proto, "DefaultActions", actions, "berthDefaultRuleArn", rule);
    if (!doc)
        return error_set(err, ERR_INTERNAL, "out of memory");
    json_object_update(doc, tls);
    if (elb_save(ctx, STORE_ELB_LISTENER, doc, err) < 0 ||
        elb_tags_attach(ctx, arn, json_object_get(in, "Tags"), err) < 0)
        return -1;
    json_object_set_new(out, "Listeners", json_pack("[o]", elb_public(doc)));
    return 0;
}

API_ACTION(elb_describe_listeners)
{
    json_t *arns = json_object_get(in, "ListenerArns");
    const char *lb = elb_str(in, "LoadBalancerArn");
    if (!arns == !lb)
        return error_set(err, ERR_INVALID, "Give either LoadBalancerArn or ListenerArns.");
    if (lb) {
        _cleanup_json_ json_t *doc = NULL;
        if (elb_find(ctx, STORE_ELB_LB, lb, &doc, err) < 0)
            return -1;
        return elb_page(ctx, in, out, STORE_ELB_LISTENER, lb, "Listeners", NULL, NULL, NULL, err);
    }
    json_t *list = json_array();
    json_object_set_new(out, "Listeners", list);
    size_t i;
    json_t *v;
    json_array_foreach(arns, i, v) {
        _cleanup_json_ json_t *doc = NULL;
        if (elb_find(ctx, STORE_ELB_LISTENER, json_string_value(v), &doc, err) < 0)
            return -1;
        json_array_append_new(list, elb_public(doc));
    }
    return 0;
}

API_ACTION(elb_modify_listener)
{
    _cleanup_json_ json_t *doc = NULL, *lb = NULL, *tls = json_object();
    const char *proto = NULL;
    if (elb_find(ctx, STORE_ELB_LISTENER, elb_str(in, "ListenerArn"), &doc, err) < 0 ||
        elb_find(ctx, STORE_ELB_LB, elb_str(doc, "LoadBalancerArn"), &lb, err) < 0 ||
        check_listener(ctx, lb, in, doc, &proto, tls, err) < 0)
        return -1;
    json_t *given = json_object_get(in, "DefaultActions");
    _cleanup_json_ json_t *actions = json_incref(given ? given : json_object_get(doc, "DefaultActions"));
    /* A group only this listener used is free again: checked afresh. */
    json_object_set_new(doc, "DefaultActions", json_array());
    if (elb_save(ctx, STORE_ELB_LISTENER, doc, err) < 0 || elb_actions_check(ctx, lb, proto, actions, err) < 0)
        return -1;
    json_object_set(doc, "DefaultActions", actions);
    if (strcmp(proto, "HTTPS") != 0) {
        json_object_del(doc, "Certificates");
        json_object_del(doc, "SslPolicy");
        json_object_del(doc, "berthCertificates");
    }
    json_object_update(doc, tls);
    json_object_set_new(doc, "Protocol", json_string(proto));
    if (json_object_get(in, "Port"))
        json_object_set(doc, "Port", json_object_get(in, "Port"));
    if (elb_save(ctx, STORE_ELB_LISTENER, doc, err) < 0)
        return -1;
    json_object_set_new(out, "Listeners", json_pack("[o]", elb_public(doc)));
    return 0;
}

API_ACTION(elb_delete_listener)
{
    (void)out;
    _cleanup_json_ json_t *doc = NULL;
    const char *arn = elb_str(in, "ListenerArn");
    if (elb_find(ctx, STORE_ELB_LISTENER, arn, &doc, err) < 0 || elb_listener_delete_rules(ctx, arn, err) < 0)
        return -1;
    return store_elb_delete(ctx->tx, STORE_ELB_LISTENER, ctx->region, arn, err);
}
