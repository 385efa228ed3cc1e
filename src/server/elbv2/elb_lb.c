/* elb_lb.c - load balancers: CreateLoadBalancer (application and network;
 * subnets and security groups kept as opaque ids), DescribeLoadBalancers
 * (by ARN, by name, or pages), DeleteLoadBalancer (with its listeners and
 * rules; idempotent as ELB's), and the attributes berth honours
 * (deletion_protection.enabled, idle_timeout.timeout_seconds).
 *
 * Each load balancer gets its own loopback address (127.100-199.x.y),
 * on which its proxy (elb_proxy.c) listens; DescribeLoadBalancers shows it
 * as AvailabilityZones[].LoadBalancerAddresses[].IpAddress. */
#include "server/elbv2/elb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/ids.h"
#include "server/store/store_elb.h"

struct addr_scan {
    const char *want;
    bool taken;
};

static int addr_row(json_t *doc, void *ud, struct error *err)
{
    (void)err;
    struct addr_scan *s = ud;
    const char *a = elb_str(doc, "berthAddress");
    if (a && strcmp(a, s->want) == 0) {
        s->taken = true;
        return 1;
    }
    return 0;
}

/* A loopback address no other load balancer (of any region) has. */
static int new_address(struct op_ctx *ctx, char *out, size_t cap, struct error *err)
{
    for (int attempt = 0; attempt < 32; attempt++) {
        char hex[9];
        if (ids_random_hex(hex, 4) < 0)
            return error_set(err, ERR_INTERNAL, "no randomness for an address");
        unsigned long r = strtoul(hex, NULL, 16);
        snprintf(out, cap, "127.%lu.%lu.%lu", 100 + r % 100, (r >> 8) & 0xff, 1 + ((r >> 16) & 0xff) % 254);
        struct addr_scan s = {out, false};
        if (store_elb_each(ctx->tx, STORE_ELB_LB, NULL, NULL, NULL, addr_row, &s, err) < 0)
            return -1;
        if (!s.taken)
            return 0;
    }
    return error_set(err, ERR_INTERNAL, "no free loopback address for the load balancer");
}

/* AvailabilityZones: one per subnet given (one with no subnet if none),
 * each with the load balancer's address. */
static json_t *zones(struct op_ctx *ctx, json_t *in, const char *addr)
{
    json_t *subnets = json_object_get(in, "Subnets");
    _cleanup_json_ json_t *mapped = json_array();
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(in, "SubnetMappings"), i, m)
        json_array_append(mapped, json_object_get(m, "SubnetId"));
    if (json_array_size(mapped) > 0)
        subnets = mapped;
    json_t *list = json_array();
    char zone[64];
    snprintf(zone, sizeof(zone), "%sa", ctx->region);
    json_t *s;
    json_array_foreach(subnets, i, s) {
        json_array_append_new(list, json_pack("{s:s, s:O, s:[{s:s}]}", "ZoneName", zone, "SubnetId", s,
                                              "LoadBalancerAddresses", "IpAddress", addr));
    }
    if (json_array_size(list) == 0)
        json_array_append_new(
            list, json_pack("{s:s, s:[{s:s}]}", "ZoneName", zone, "LoadBalancerAddresses", "IpAddress", addr));
    return list;
}

static int create_check(json_t *in, const char **ret_type, struct error *err)
{
    const char *type = elb_str(in, "Type") ? elb_str(in, "Type") : "application";
    if (strcmp(type, "application") != 0 && strcmp(type, "network") != 0)
        return error_set(err, ERR_INVALID, "berth serves load balancers of type application and network only.");
    if (elb_str(in, "IpAddressType") && strcmp(elb_str(in, "IpAddressType"), "ipv4") != 0)
        return error_set(err, ERR_INVALID, "berth serves IpAddressType ipv4 only.");
    if (json_object_get(in, "CustomerOwnedIpv4Pool"))
        return error_set(err, ERR_INVALID, "berth does not support CustomerOwnedIpv4Pool.");
    if (json_object_get(in, "IpamPools"))
        return error_set(err, ERR_INVALID, "berth does not support IpamPools: load balancers take host addresses.");
    const char *nat6 = elb_str(in, "EnablePrefixForIpv6SourceNat");
    if (nat6 && strcmp(nat6, "off") != 0)
        return error_set(err, ERR_INVALID, "berth serves IPv4 only: EnablePrefixForIpv6SourceNat can only be off.");
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(in, "SubnetMappings"), i, m) {
        if (json_object_size(m) != 1 || !elb_str(m, "SubnetId"))
            return error_set(err, ERR_INVALID,
                             "berth takes SubnetMappings with a SubnetId only (no addresses or allocations).");
    }
    if (json_object_get(in, "Subnets") && json_object_get(in, "SubnetMappings"))
        return error_set(err, ERR_INVALID, "Give either Subnets or SubnetMappings, not both.");
    if (strcmp(type, "network") == 0 && json_object_get(in, "SecurityGroups"))
        return error_set(err, ERR_INVALID, "berth does not support security groups on network load balancers.");
    *ret_type = type;
    return 0;
}

API_ACTION(elb_create_load_balancer)
{
    const char *name = elb_str(in, "Name"), *type = NULL;
    if (elb_check_name(name, "load balancer", err) < 0 || create_check(in, &type, err) < 0)
        return -1;
    if (strncmp(name, "internal-", 9) == 0)
        return error_set(err, ERR_INVALID, "A load balancer name cannot begin with 'internal-'.");
    _cleanup_json_ json_t *old = NULL;
    int r = store_elb_find_name(ctx->tx, STORE_ELB_LB, ctx->region, name, &old, err);
    if (r < 0)
        return -1;
    if (r > 0)
        return error_set(err, ELB_ERR_DUPLICATE_LB_NAME, "A load balancer with the name '%s' already exists.", name);
    int64_t count = 0;
    if (store_elb_count(ctx->tx, STORE_ELB_LB, ctx->region, NULL, &count, err) < 0)
        return -1;
    if (count >= ELB_LBS_MAX)
        return error_set(err, ELB_ERR_TOO_MANY_LBS, "The account has %d load balancers already.", ELB_LBS_MAX);
    char id[17], res[160], arn[ELB_ARN_MAX], addr[32], dns[256];
    if (elb_new_id(id, sizeof(id), err) < 0 || new_address(ctx, addr, sizeof(addr), err) < 0)
        return -1;
    bool app = strcmp(type, "application") == 0;
    snprintf(res, sizeof(res), "loadbalancer/%s/%s/%s", app ? "app" : "net", name, id);
    elb_arn(ctx, res, arn, sizeof(arn));
    const char *scheme = elb_str(in, "Scheme") ? elb_str(in, "Scheme") : "internet-facing";
    snprintf(dns, sizeof(dns), "%s%s-%.10s.elb.%s.berth.internal", strcmp(scheme, "internal") == 0 ? "internal-" : "",
             name, id, ctx->region);
    _cleanup_json_ json_t *doc = json_pack(
        "{s:s, s:s, s:s, s:f, s:s, s:s, s:s, s:{s:s}, s:s, s:o, s:s, s:s, s:{s:s, s:s}}", "LoadBalancerArn", arn,
        "DNSName", dns, "CanonicalHostedZoneId", app ? "Z35SXDOTRQ7X7K" : "Z26RNL4JYFTOTI", "CreatedTime",
        time_to_epoch_seconds(ctx->now), "LoadBalancerName", name, "Scheme", scheme, "VpcId", "vpc-berth", "State",
        "Code", "active", "Type", type, "AvailabilityZones", zones(ctx, in, addr), "IpAddressType", "ipv4",
        "berthAddress", addr, "berthAttributes", "deletion_protection.enabled", "false",
        app ? "idle_timeout.timeout_seconds" : "load_balancing.cross_zone.enabled", app ? "60" : "false");
    if (!doc)
        return error_set(err, ERR_INTERNAL, "out of memory");
    json_t *groups = json_object_get(in, "SecurityGroups");
    if (app)
        json_object_set_new(doc, "SecurityGroups", groups ? json_incref(groups) : json_pack("[s]", "sg-berth"));
    if (elb_save(ctx, STORE_ELB_LB, doc, err) < 0 || elb_tags_attach(ctx, arn, json_object_get(in, "Tags"), err) < 0)
        return -1;
    json_t *shown = elb_public(doc);
    json_object_set_new(out, "LoadBalancers", json_pack("[o]", shown));
    return 0;
}

/* Each ARN or name asked for, in the order asked. */
static int describe_given(struct op_ctx *ctx, json_t *given, bool by_name, json_t *out, struct error *err)
{
    json_t *list = json_array();
    json_object_set_new(out, "LoadBalancers", list);
    size_t i;
    json_t *v;
    json_array_foreach(given, i, v) {
        _cleanup_json_ json_t *doc = NULL;
        const char *s = json_string_value(v);
        int r = by_name ? store_elb_find_name(ctx->tx, STORE_ELB_LB, ctx->region, s, &doc, err)
                        : store_elb_get(ctx->tx, STORE_ELB_LB, ctx->region, s, &doc, err);
        if (r < 0)
            return -1;
        if (r == 0)
            return error_set(err, ELB_ERR_LB_NOT_FOUND, "Load balancer '%.300s' not found", s ? s : "");
        json_array_append_new(list, elb_public(doc));
    }
    return 0;
}

API_ACTION(elb_describe_load_balancers)
{
    json_t *arns = json_object_get(in, "LoadBalancerArns"), *names = json_object_get(in, "Names");
    if (arns && names)
        return error_set(err, ERR_INVALID, "Give LoadBalancerArns or Names, not both.");
    if (arns || names)
        return describe_given(ctx, arns ? arns : names, names != NULL, out, err);
    return elb_page(ctx, in, out, STORE_ELB_LB, NULL, "LoadBalancers", NULL, NULL, NULL, err);
}

struct delete_walk {
    struct op_ctx *ctx;
    json_t *arns;
};

static int collect_arn(json_t *doc, void *ud, struct error *err)
{
    (void)err;
    struct delete_walk *w = ud;
    const char *arn = elb_str(doc, "ListenerArn");
    if (!arn)
        arn = elb_str(doc, "RuleArn");
    json_array_append_new(w->arns, json_string(arn ? arn : ""));
    return 0;
}

/* Delete the objects of kind under parent (and, for listeners, their rules). */
static int delete_children(struct op_ctx *ctx, const char *kind, const char *parent, struct error *err)
{
    _cleanup_json_ json_t *arns = json_array();
    struct delete_walk w = {ctx, arns};
    if (!arns)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (store_elb_each(ctx->tx, kind, ctx->region, parent, NULL, collect_arn, &w, err) < 0)
        return -1;
    size_t i;
    json_t *v;
    json_array_foreach(arns, i, v) {
        if (strcmp(kind, STORE_ELB_LISTENER) == 0 &&
            delete_children(ctx, STORE_ELB_RULE, json_string_value(v), err) < 0)
            return -1;
        if (store_elb_delete(ctx->tx, kind, ctx->region, json_string_value(v), err) < 0)
            return -1;
    }
    return 0;
}

int elb_listener_delete_rules(struct op_ctx *ctx, const char *listener_arn, struct error *err)
{
    return delete_children(ctx, STORE_ELB_RULE, listener_arn, err);
}

API_ACTION(elb_delete_load_balancer)
{
    (void)out;
    const char *arn = elb_str(in, "LoadBalancerArn");
    _cleanup_json_ json_t *doc = NULL;
    int r = store_elb_get(ctx->tx, STORE_ELB_LB, ctx->region, arn, &doc, err);
    if (r <= 0)
        return r; /* gone already: as ELB, a success */
    const char *prot = elb_str(json_object_get(doc, "berthAttributes"), "deletion_protection.enabled");
    if (prot && strcmp(prot, "true") == 0)
        return error_set(err, ELB_ERR_OPERATION_NOT_PERMITTED,
                         "Load balancer '%.300s' cannot be deleted because deletion protection is enabled", arn);
    if (delete_children(ctx, STORE_ELB_LISTENER, arn, err) < 0)
        return -1;
    return store_elb_delete(ctx->tx, STORE_ELB_LB, ctx->region, arn, err);
}

json_t *elb_attributes_list(json_t *attrs)
{
    json_t *list = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(attrs, k, v)
        json_array_append_new(list, json_pack("{s:s, s:O}", "Key", k, "Value", v));
    return list;
}

API_ACTION(elb_describe_load_balancer_attributes)
{
    _cleanup_json_ json_t *doc = NULL;
    if (elb_find(ctx, STORE_ELB_LB, elb_str(in, "LoadBalancerArn"), &doc, err) < 0)
        return -1;
    json_object_set_new(out, "Attributes", elb_attributes_list(json_object_get(doc, "berthAttributes")));
    return 0;
}

static bool is_bool(const char *v) { return strcmp(v, "true") == 0 || strcmp(v, "false") == 0; }

static bool is_seconds(const char *v, long lo, long hi)
{
    char *end = NULL;
    long n = strtol(v, &end, 10);
    return *v && !*end && n >= lo && n <= hi;
}

API_ACTION(elb_modify_load_balancer_attributes)
{
    _cleanup_json_ json_t *doc = NULL;
    if (elb_find(ctx, STORE_ELB_LB, elb_str(in, "LoadBalancerArn"), &doc, err) < 0)
        return -1;
    json_t *attrs = json_object_get(doc, "berthAttributes");
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(in, "Attributes"), i, a) {
        const char *k = elb_str(a, "Key"), *v = elb_str(a, "Value");
        if (!k || !v)
            return error_set(err, ERR_INVALID, "Each attribute needs a Key and a Value.");
        bool ok = json_object_get(attrs, k) != NULL;
        if (ok && strcmp(k, "idle_timeout.timeout_seconds") == 0)
            ok = is_seconds(v, 1, 4000);
        else if (ok && strcmp(k, "load_balancing.cross_zone.enabled") == 0)
            ok = strcmp(v, "false") == 0; /* one host: there is no other zone */
        else if (ok)
            ok = is_bool(v);
        if (!ok)
            return error_set(err, ERR_INVALID,
                             "Attribute '%.100s' with value '%.100s' is not supported by berth (see "
                             "DescribeLoadBalancerAttributes for the keys it honours).",
                             k, v);
        json_object_set_new(attrs, k, json_string(v));
    }
    if (elb_save(ctx, STORE_ELB_LB, doc, err) < 0)
        return -1;
    json_object_set_new(out, "Attributes", elb_attributes_list(attrs));
    return 0;
}
