/* elb_actions.c - the actions of listeners and rules (forward, weighted
 * forward, fixed-response, redirect) and the conditions of rules
 * (path-pattern, host-header, http-header, http-request-method,
 * source-ip, query-string), checked so that what is stored is what the proxy's
 * configuration can say without quoting (elb_haproxy.c relies on it).
 * authenticate-oidc and authenticate-cognito are refused. */
#include "server/elbv2/elb.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/store/store_elb.h"

/* Every character of s is alphanumeric or in extra; length 1..max. */
static bool chars_ok(const char *s, const char *extra, size_t max)
{
    if (!s || !*s || strlen(s) > max)
        return false;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr(extra, c)))
            return false;
    }
    return true;
}

static int check_tg(struct op_ctx *ctx, json_t *lb, const char *protocol, const char *arn, struct error *err)
{
    _cleanup_json_ json_t *tg = NULL, *lbs = NULL;
    if (elb_find(ctx, STORE_ELB_TG, arn, &tg, err) < 0)
        return -1;
    const char *tp = elb_str(tg, "Protocol");
    bool tcp = strcmp(protocol, "TCP") == 0;
    if (tcp != (strcmp(tp, "TCP") == 0))
        return error_set(err, ELB_ERR_INCOMPATIBLE_PROTOCOLS,
                         "Listener protocol '%s' is not compatible with target group protocol '%s'", protocol, tp);
    lbs = elb_target_group_lbs(ctx, arn, err);
    if (!lbs)
        return -1;
    size_t i;
    json_t *v;
    json_array_foreach(lbs, i, v) {
        if (strcmp(json_string_value(v), elb_str(lb, "LoadBalancerArn")) != 0)
            return error_set(err, ELB_ERR_TG_ASSOCIATION_LIMIT,
                             "The target group '%.300s' is already used by another load balancer", arn);
    }
    return 0;
}

/* A forward action: TargetGroupArn and/or ForwardConfig, as both. */
static int check_forward(struct op_ctx *ctx, json_t *lb, const char *protocol, json_t *a, struct error *err)
{
    json_t *fc = json_object_get(a, "ForwardConfig");
    json_t *groups = json_object_get(fc, "TargetGroups");
    const char *single = elb_str(a, "TargetGroupArn");
    if (json_is_true(json_object_get(json_object_get(fc, "TargetGroupStickinessConfig"), "Enabled")))
        return error_set(err, ELB_ERR_INVALID_CONFIG, "berth does not support target group stickiness on a forward.");
    if (!single && json_array_size(groups) == 0)
        return error_set(err, ERR_INVALID, "A forward action needs a TargetGroupArn or ForwardConfig.TargetGroups.");
    if (json_array_size(groups) > 5)
        return error_set(err, ELB_ERR_INVALID_CONFIG, "A forward action can have at most 5 target groups.");
    if (single && json_array_size(groups) > 0 &&
        (json_array_size(groups) != 1 || !elb_str(json_array_get(groups, 0), "TargetGroupArn") ||
         strcmp(elb_str(json_array_get(groups, 0), "TargetGroupArn"), single) != 0))
        return error_set(err, ELB_ERR_INVALID_CONFIG,
                         "TargetGroupArn and ForwardConfig.TargetGroups must name the same single target group.");
    _cleanup_json_ json_t *norm = json_array();
    long total = 0;
    size_t i;
    json_t *g;
    if (!groups || json_array_size(groups) == 0) {
        json_array_append_new(norm, json_pack("{s:s, s:i}", "TargetGroupArn", single, "Weight", 1));
    } else {
        json_array_foreach(groups, i, g) {
            const char *arn = elb_str(g, "TargetGroupArn");
            json_t *w = json_object_get(g, "Weight");
            long weight = w ? (long)json_integer_value(w) : 1;
            if (!arn || weight < 0 || weight > 999)
                return error_set(err, ERR_INVALID, "Each target group needs a TargetGroupArn and a Weight 0-999.");
            for (size_t j = 0; j < i; j++)
                if (strcmp(elb_str(json_array_get(groups, j), "TargetGroupArn"), arn) == 0)
                    return error_set(err, ELB_ERR_INVALID_CONFIG, "Target group '%.300s' is given twice.", arn);
            json_array_append_new(norm, json_pack("{s:s, s:i}", "TargetGroupArn", arn, "Weight", (int)weight));
            total += weight;
        }
        if (total == 0)
            return error_set(err, ELB_ERR_INVALID_CONFIG, "The weights of a forward action cannot all be 0.");
    }
    if (strcmp(protocol, "TCP") == 0 && json_array_size(norm) != 1)
        return error_set(err, ELB_ERR_INVALID_CONFIG, "A TCP listener forwards to one target group.");
    json_array_foreach(norm, i, g) {
        if (check_tg(ctx, lb, protocol, elb_str(g, "TargetGroupArn"), err) < 0)
            return -1;
    }
    if (json_array_size(norm) == 1)
        json_object_set_new(a, "TargetGroupArn", json_string(elb_str(json_array_get(norm, 0), "TargetGroupArn")));
    else
        json_object_del(a, "TargetGroupArn");
    json_object_set_new(a, "ForwardConfig",
                        json_pack("{s:O, s:{s:b}}", "TargetGroups", norm, "TargetGroupStickinessConfig", "Enabled", 0));
    return 0;
}

static int check_fixed(json_t *a, struct error *err)
{
    json_t *c = json_object_get(a, "FixedResponseConfig");
    const char *code = elb_str(c, "StatusCode"), *type = elb_str(c, "ContentType"), *body = elb_str(c, "MessageBody");
    if (!code || strlen(code) != 3 || !strchr("245", code[0]) || !chars_ok(code, "", 3))
        return error_set(err, ERR_INVALID, "A fixed response needs a StatusCode 2XX, 4XX or 5XX.");
    static const char *const types[] = {"text/plain", "text/css", "text/html", "application/javascript",
                                        "application/json"};
    bool ok = !type;
    for (size_t i = 0; type && i < ELEMENTSOF(types); i++)
        ok |= strcmp(type, types[i]) == 0;
    if (!ok)
        return error_set(err, ERR_INVALID, "ContentType '%.64s' is not one a fixed response can have.", type);
    if (body && strlen(body) > 1024)
        return error_set(err, ERR_INVALID, "A fixed response's MessageBody can have at most 1024 characters.");
    return 0;
}

static const char REDIRECT_EXTRA[] = "-._~/#{}=&+:@!,;";

/* '#' and braces only in the placeholders a redirect may reuse. */
static bool placeholders_ok(const char *s)
{
    static const char *const known[] = {"#{protocol}", "#{host}", "#{port}", "#{path}", "#{query}"};
    while (*s) {
        size_t n = 0;
        for (size_t i = 0; *s == '#' && i < ELEMENTSOF(known); i++)
            if (strncmp(s, known[i], strlen(known[i])) == 0)
                n = strlen(known[i]);
        if (n == 0 && (*s == '#' || *s == '{' || *s == '}'))
            return false;
        s += n ? n : 1;
    }
    return true;
}

static int check_redirect(json_t *a, struct error *err)
{
    json_t *c = json_object_get(a, "RedirectConfig");
    const char *code = elb_str(c, "StatusCode"), *proto = elb_str(c, "Protocol"), *port = elb_str(c, "Port");
    if (!code || (strcmp(code, "HTTP_301") != 0 && strcmp(code, "HTTP_302") != 0))
        return error_set(err, ERR_INVALID, "A redirect needs a StatusCode HTTP_301 or HTTP_302.");
    if (proto && strcmp(proto, "HTTP") != 0 && strcmp(proto, "HTTPS") != 0 && strcmp(proto, "#{protocol}") != 0)
        return error_set(err, ERR_INVALID, "A redirect's Protocol is HTTP, HTTPS or #{protocol}.");
    char *end = NULL;
    long p = port ? strtol(port, &end, 10) : 1;
    if (port && strcmp(port, "#{port}") != 0 && (!*port || *end || p < 1 || p > 65535))
        return error_set(err, ERR_INVALID, "A redirect's Port is 1-65535 or #{port}.");
    static const char *const parts[] = {"Host", "Path", "Query"};
    for (size_t i = 0; i < ELEMENTSOF(parts); i++) {
        const char *v = elb_str(c, parts[i]);
        if (v && *v && (!chars_ok(v, REDIRECT_EXTRA, 128) || !placeholders_ok(v)))
            return error_set(err, ERR_INVALID, "A redirect's %s '%.128s' has characters berth does not accept.",
                             parts[i], v);
    }
    const char *path = elb_str(c, "Path");
    if (path && path[0] != '/')
        return error_set(err, ERR_INVALID, "A redirect's Path must begin with '/'.");
    return 0;
}

int elb_transforms_refuse(json_t *in, struct error *err)
{
    if (json_array_size(json_object_get(in, "Transforms")) > 0)
        return error_set(err, ERR_INVALID,
                         "berth does not support rule Transforms (host-header-rewrite, url-rewrite).");
    return 0;
}

int elb_actions_check(struct op_ctx *ctx, json_t *lb, const char *protocol, json_t *actions, struct error *err)
{
    if (json_array_size(actions) == 0)
        return error_set(err, ERR_INVALID, "At least one action is required.");
    if (json_array_size(actions) > 1)
        return error_set(err, ELB_ERR_TOO_MANY_ACTIONS,
                         "berth takes one action per listener or rule (authenticate actions are not supported).");
    json_t *a = json_array_get(actions, 0);
    const char *type = elb_str(a, "Type");
    bool app = strcmp(elb_str(lb, "Type"), "application") == 0;
    if (strcmp(type, "forward") == 0)
        return check_forward(ctx, lb, protocol, a, err);
    if (!app && (strcmp(type, "fixed-response") == 0 || strcmp(type, "redirect") == 0))
        return error_set(err, ELB_ERR_INVALID_ACTION, "A network load balancer's listeners can only forward.");
    if (strcmp(type, "fixed-response") == 0)
        return check_fixed(a, err);
    if (strcmp(type, "redirect") == 0)
        return check_redirect(a, err);
    return error_set(err, ELB_ERR_INVALID_ACTION, "berth does not support action type '%.40s'.", type);
}

json_t *elb_actions_target_groups(json_t *actions)
{
    json_t *list = json_array();
    size_t i, j;
    json_t *a, *g;
    json_array_foreach(actions, i, a) {
        json_array_foreach(json_object_get(json_object_get(a, "ForwardConfig"), "TargetGroups"), j, g) {
            if (!elb_list_has(list, elb_str(g, "TargetGroupArn")))
                json_array_append(list, json_object_get(g, "TargetGroupArn"));
        }
    }
    return list;
}

/* ---- conditions ---- */

static bool cidr_ok(const char *s)
{
    char ip[32];
    const char *slash = s ? strchr(s, '/') : NULL;
    if (!slash || (size_t)(slash - s) >= sizeof(ip))
        return false;
    memcpy(ip, s, (size_t)(slash - s));
    ip[slash - s] = '\0';
    struct in_addr a;
    char *end = NULL;
    long bits = strtol(slash + 1, &end, 10);
    return inet_pton(AF_INET, ip, &a) == 1 && slash[1] && !*end && bits >= 0 && bits <= 32;
}

struct field {
    const char *name;
    const char *config; /* the *Config member */
    const char *extra;  /* characters allowed besides alphanumerics */
    size_t max;
    bool once;
};

static const struct field fields[] = {
    {"path-pattern", "PathPatternConfig", "_-.$/~@:+&*?=%", 128, true},
    {"host-header", "HostHeaderConfig", "-.*?", 128, true},
    {"http-header", "HttpHeaderConfig", "_-.$/~@:+&*?=%,;", 128, false},
    {"http-request-method", "HttpRequestMethodConfig", "_-", 40, true},
    {"source-ip", "SourceIpConfig", "./", 18, true},
    {"query-string", "QueryStringConfig", "_-.~*?%+/:@", 128, false},
};

/* A query-string condition's values: [{Key (optional), Value}]. */
static int check_query_values(json_t *values, struct error *err)
{
    size_t i;
    json_t *v;
    json_array_foreach(values, i, v) {
        const char *key = elb_str(v, "Key"), *val = elb_str(v, "Value");
        if (!json_is_object(v) || !chars_ok(val, "_-.~*?%+/:@", 128) ||
            (json_object_get(v, "Key") && !chars_ok(key, "_-.~*?%+/:@", 128)))
            return error_set(err, ERR_INVALID,
                             "The key/value pair '%.128s=%.128s' of a 'query-string' condition is "
                             "not valid (letters, digits and _-.~*?%%+/:@ only).",
                             key ? key : "", val ? val : "");
    }
    return 0;
}

static int check_condition(json_t *c, size_t *nvalues, unsigned *seen, struct error *err)
{
    const char *name = elb_str(c, "Field");
    const struct field *f = NULL;
    for (size_t i = 0; name && i < ELEMENTSOF(fields); i++)
        if (strcmp(fields[i].name, name) == 0)
            f = &fields[i];
    if (!f)
        return error_set(err, ERR_INVALID, "berth does not support condition field '%.40s'.", name ? name : "");
    unsigned bit = 1u << (f - fields);
    if (f->once && (*seen & bit))
        return error_set(err, ERR_INVALID, "A rule can have at most one '%s' condition.", f->name);
    *seen |= bit;
    json_t *cfg = json_object_get(c, f->config), *legacy = json_object_get(c, "Values");
    if (json_object_get(c, "RegexValues") || json_object_get(cfg, "RegexValues"))
        return error_set(err, ERR_INVALID, "berth does not support RegexValues in rule conditions (use Values).");
    json_t *values = json_object_get(cfg, "Values");
    if (legacy && cfg && !json_equal(legacy, values))
        return error_set(err, ERR_INVALID, "Give a condition's values in Values or in %s, not both.", f->config);
    if (legacy && strcmp(f->name, "path-pattern") != 0 && strcmp(f->name, "host-header") != 0)
        return error_set(err, ERR_INVALID, "A '%s' condition takes its values in %s.", f->name, f->config);
    if (!values)
        values = legacy;
    if (json_array_size(values) == 0)
        return error_set(err, ERR_INVALID, "A '%s' condition needs at least one value.", f->name);
    const char *hname = elb_str(cfg, "HttpHeaderName");
    if (strcmp(f->name, "http-header") == 0 && !chars_ok(hname, "-_", 40))
        return error_set(err, ERR_INVALID, "HttpHeaderName '%.40s' is not valid.", hname ? hname : "");
    size_t i;
    json_t *v;
    bool query = strcmp(f->name, "query-string") == 0;
    if (query && check_query_values(values, err) < 0)
        return -1;
    json_array_foreach(values, i, v) {
        if (query)
            break;
        const char *s = json_string_value(v);
        bool ok = strcmp(f->name, "source-ip") == 0 ? cidr_ok(s) : chars_ok(s, f->extra, f->max);
        if (ok && strcmp(f->name, "path-pattern") == 0)
            ok = s[0] == '/' || s[0] == '*';
        if (!ok)
            return error_set(err, ERR_INVALID, "The value '%.128s' of a '%s' condition is not valid.", s ? s : "",
                             f->name);
    }
    *nvalues += json_array_size(values);
    json_t *norm = hname ? json_pack("{s:s, s:O}", "HttpHeaderName", hname, "Values", values)
                         : json_pack("{s:O}", "Values", values);
    if (strcmp(f->name, "path-pattern") == 0 || strcmp(f->name, "host-header") == 0)
        json_object_set(c, "Values", values);
    json_object_set_new(c, f->config, norm);
    return 0;
}

int elb_conditions_check(json_t *conditions, struct error *err)
{
    if (json_array_size(conditions) == 0)
        return error_set(err, ERR_INVALID, "A rule needs at least one condition.");
    size_t nvalues = 0, i;
    unsigned seen = 0;
    json_t *c;
    json_array_foreach(conditions, i, c) {
        if (check_condition(c, &nvalues, &seen, err) < 0)
            return -1;
    }
    if (nvalues > ELB_CONDITION_VALUES_MAX)
        return error_set(err, ERR_INVALID, "A rule can have at most %d condition values.", ELB_CONDITION_VALUES_MAX);
    return 0;
}

/* ---- which load balancers use a target group ---- */

struct lbs_walk {
    const char *tg;
    json_t *lbs;
    const char *actions; /* "DefaultActions" or "Actions" */
    const char *lb_member;
};

static int lbs_row(json_t *doc, void *ud, struct error *err)
{
    (void)err;
    struct lbs_walk *w = ud;
    _cleanup_json_ json_t *tgs = elb_actions_target_groups(json_object_get(doc, w->actions));
    const char *lb = elb_str(doc, w->lb_member);
    if (lb && elb_list_has(tgs, w->tg) && !elb_list_has(w->lbs, lb))
        json_array_append_new(w->lbs, json_string(lb));
    return 0;
}

json_t *elb_target_group_lbs(struct op_ctx *ctx, const char *tg_arn, struct error *err)
{
    _cleanup_json_ json_t *lbs = json_array();
    if (!lbs) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return NULL;
    }
    struct lbs_walk w = {tg_arn ? tg_arn : "", lbs, "DefaultActions", "LoadBalancerArn"};
    if (store_elb_each(ctx->tx, STORE_ELB_LISTENER, ctx->region, NULL, NULL, lbs_row, &w, err) < 0)
        return NULL;
    w.actions = "Actions";
    w.lb_member = "berthLoadBalancerArn";
    if (store_elb_each(ctx->tx, STORE_ELB_RULE, ctx->region, NULL, NULL, lbs_row, &w, err) < 0)
        return NULL;
    return TAKE_PTR(lbs);
}
