/* elb_rules.c - a listener's rules: CreateRule, DescribeRules (by
 * priority, the default rule last), ModifyRule, DeleteRule and
 * SetRulePriorities.  A listener's default rule is not stored: it is the
 * listener's DefaultActions under the ARN the listener keeps
 * (berthDefaultRuleArn); modifying its actions modifies the listener's.
 * ECS's blue/green deployments read and shift a rule's forward weights
 * through elb_registry_rule_groups() and elb_registry_shift(). */
#include "server/elbv2/elb.h"
#include "server/elbv2/elb_registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/http/paging.h"
#include "server/store/store_elb.h"

/* The listener ARN a rule ARN belongs to, into out ("" if not a rule ARN). */
static void listener_of_rule(const char *rule, char *out, size_t cap)
{
    out[0] = '\0';
    const char *p = rule ? strstr(rule, ":listener-rule/") : NULL;
    const char *slash = rule ? strrchr(rule, '/') : NULL;
    if (!p || !slash || slash < p)
        return;
    snprintf(out, cap, "%.*s:listener/%.*s", (int)(p - rule), rule, (int)(slash - (p + 15)), p + 15);
}

/* The default rule of listener as DescribeRules shows it. */
static json_t *default_rule(json_t *listener)
{
    return json_pack("{s:s, s:s, s:[], s:O, s:b}", "RuleArn", elb_str(listener, "berthDefaultRuleArn"), "Priority",
                     "default", "Conditions", "Actions", json_object_get(listener, "DefaultActions"), "IsDefault", 1);
}

/* The rule arn names: 0 with *ret_rule (a stored rule) or *ret_listener
 * with *ret_default (the listener's default rule); -1 RuleNotFound. */
static int rule_find(struct op_ctx *ctx, const char *arn, json_t **ret_rule, json_t **ret_listener, bool *ret_default,
                     struct error *err)
{
    *ret_default = false;
    int r = arn ? store_elb_get(ctx->tx, STORE_ELB_RULE, ctx->region, arn, ret_rule, err) : 0;
    if (r != 0)
        return r < 0 ? -1 : 0;
    char larn[ELB_ARN_MAX];
    listener_of_rule(arn, larn, sizeof(larn));
    r = larn[0] ? store_elb_get(ctx->tx, STORE_ELB_LISTENER, ctx->region, larn, ret_listener, err) : 0;
    if (r < 0)
        return -1;
    if (r > 0 && strcmp(elb_str(*ret_listener, "berthDefaultRuleArn"), arn) == 0) {
        *ret_default = true;
        return 0;
    }
    json_decref(*ret_listener);
    *ret_listener = NULL;
    return error_set(err, ELB_ERR_RULE_NOT_FOUND, "One or more rules not found");
}

static int parse_priority(json_t *v, long *ret, struct error *err)
{
    long p = json_is_integer(v) ? (long)json_integer_value(v) : 0;
    if (p < 1 || p > 50000)
        return error_set(err, ERR_INVALID, "Priority must be between 1 and 50000.");
    *ret = p;
    return 0;
}

struct prio_walk {
    long priority;
    const char *except;
    bool taken;
    json_t *all;
};

static int prio_row(json_t *doc, void *ud, struct error *err)
{
    (void)err;
    struct prio_walk *w = ud;
    if (w->all)
        json_array_append(w->all, doc);
    if (strtol(elb_str(doc, "Priority"), NULL, 10) == w->priority &&
        (!w->except || strcmp(elb_str(doc, "RuleArn"), w->except) != 0))
        w->taken = true;
    return 0;
}

/* The listener's load balancer, and that its protocol has rules. */
static int rule_context(struct op_ctx *ctx, json_t *listener, json_t **ret_lb, struct error *err)
{
    if (elb_find(ctx, STORE_ELB_LB, elb_str(listener, "LoadBalancerArn"), ret_lb, err) < 0)
        return -1;
    if (strcmp(elb_str(listener, "Protocol"), "TCP") == 0)
        return error_set(err, ELB_ERR_OPERATION_NOT_PERMITTED, "A TCP listener has no rules but its default one.");
    return 0;
}

API_ACTION(elb_create_rule)
{
    _cleanup_json_ json_t *listener = NULL, *lb = NULL;
    long prio = 0;
    const char *larn = elb_str(in, "ListenerArn");
    if (elb_find(ctx, STORE_ELB_LISTENER, larn, &listener, err) < 0 || rule_context(ctx, listener, &lb, err) < 0 ||
        parse_priority(json_object_get(in, "Priority"), &prio, err) < 0)
        return -1;
    struct prio_walk w = {prio, NULL, false, NULL};
    if (store_elb_each(ctx->tx, STORE_ELB_RULE, ctx->region, larn, NULL, prio_row, &w, err) < 0)
        return -1;
    if (w.taken)
        return error_set(err, ELB_ERR_PRIORITY_IN_USE, "Priority '%ld' is currently in use", prio);
    int64_t count = 0;
    if (store_elb_count(ctx->tx, STORE_ELB_RULE, ctx->region, larn, &count, err) < 0)
        return -1;
    if (count >= ELB_RULES_MAX)
        return error_set(err, ELB_ERR_TOO_MANY_RULES, "A listener can have at most %d rules.", ELB_RULES_MAX);
    json_t *conditions = json_object_get(in, "Conditions"), *actions = json_object_get(in, "Actions");
    if (elb_transforms_refuse(in, err) < 0 || elb_conditions_check(conditions, err) < 0 ||
        elb_actions_check(ctx, lb, elb_str(listener, "Protocol"), actions, err) < 0)
        return -1;
    char id[17], res[320], arn[ELB_ARN_MAX], pstr[16];
    if (elb_new_id(id, sizeof(id), err) < 0)
        return -1;
    const char *lid = strrchr(larn, '/') + 1;
    snprintf(res, sizeof(res), "listener-rule/%s/%s/%s", elb_lb_path(elb_str(lb, "LoadBalancerArn")), lid, id);
    elb_arn(ctx, res, arn, sizeof(arn));
    snprintf(pstr, sizeof(pstr), "%ld", prio);
    _cleanup_json_ json_t *doc = json_pack(
        "{s:s, s:s, s:O, s:O, s:b, s:s, s:s}", "RuleArn", arn, "Priority", pstr, "Conditions", conditions, "Actions",
        actions, "IsDefault", 0, "berthListenerArn", larn, "berthLoadBalancerArn", elb_str(lb, "LoadBalancerArn"));
    if (!doc)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (elb_save(ctx, STORE_ELB_RULE, doc, err) < 0 || elb_tags_attach(ctx, arn, json_object_get(in, "Tags"), err) < 0)
        return -1;
    json_object_set_new(out, "Rules", json_pack("[o]", elb_public(doc)));
    return 0;
}

static int by_priority(const void *a, const void *b)
{
    long pa = strtol(elb_str(*(json_t *const *)a, "Priority"), NULL, 10);
    long pb = strtol(elb_str(*(json_t *const *)b, "Priority"), NULL, 10);
    return (pa > pb) - (pa < pb);
}

/* A listener's rules in priority order, its default rule last. */
static int listener_rules(struct op_ctx *ctx, json_t *listener, json_t *ret, struct error *err)
{
    _cleanup_json_ json_t *all = json_array();
    struct prio_walk w = {0, NULL, false, all};
    if (store_elb_each(ctx->tx, STORE_ELB_RULE, ctx->region, elb_str(listener, "ListenerArn"), NULL, prio_row, &w,
                       err) < 0)
        return -1;
    size_t n = json_array_size(all);
    _cleanup_free_ json_t **v = calloc(n ? n : 1, sizeof(*v));
    if (!v)
        return error_set(err, ERR_INTERNAL, "out of memory");
    for (size_t i = 0; i < n; i++)
        v[i] = json_array_get(all, i);
    qsort(v, n, sizeof(*v), by_priority);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(ret, elb_public(v[i]));
    json_array_append_new(ret, default_rule(listener));
    return 0;
}

API_ACTION(elb_describe_rules)
{
    json_t *arns = json_object_get(in, "RuleArns");
    const char *larn = elb_str(in, "ListenerArn");
    if (!arns == !larn)
        return error_set(err, ERR_INVALID, "Give either ListenerArn or RuleArns.");
    _cleanup_json_ json_t *all = json_array();
    if (larn) {
        _cleanup_json_ json_t *listener = NULL;
        if (elb_find(ctx, STORE_ELB_LISTENER, larn, &listener, err) < 0 || listener_rules(ctx, listener, all, err) < 0)
            return -1;
    }
    size_t i;
    json_t *v;
    json_array_foreach(arns, i, v) {
        _cleanup_json_ json_t *rule = NULL, *listener = NULL;
        bool dflt = false;
        if (rule_find(ctx, json_string_value(v), &rule, &listener, &dflt, err) < 0)
            return -1;
        json_array_append_new(all, dflt ? default_rule(listener) : elb_public(rule));
    }
    /* Pages over the ordered list: the marker is the last rule's ARN. */
    _cleanup_(page_free) struct page page = {0};
    if (page_begin_as(in, ctx->action, "PageSize", "Marker", ELB_PAGE_MAX, ELB_PAGE_MAX, &page, err) < 0)
        return -1;
    size_t from = 0;
    json_array_foreach(all, i, v) {
        if (page.after && strcmp(elb_str(v, "RuleArn"), page.after) == 0)
            from = i + 1;
    }
    json_t *list = json_array();
    json_object_set_new(out, "Rules", list);
    for (i = from; i < json_array_size(all) && (int)(i - from) < page.limit; i++)
        json_array_append(list, json_array_get(all, i));
    if (i < json_array_size(all) && i > 0 &&
        page_set_next_as(out, ctx->action, "NextMarker", elb_str(json_array_get(all, i - 1), "RuleArn")) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return 0;
}

API_ACTION(elb_modify_rule)
{
    _cleanup_json_ json_t *rule = NULL, *listener = NULL, *lb = NULL;
    bool dflt = false;
    if (rule_find(ctx, elb_str(in, "RuleArn"), &rule, &listener, &dflt, err) < 0)
        return -1;
    json_t *conditions = json_object_get(in, "Conditions"), *given = json_object_get(in, "Actions");
    /* ResetTransforms needs nothing: berth's rules never have transforms. */
    if (elb_transforms_refuse(in, err) < 0)
        return -1;
    if (dflt) {
        if (conditions)
            return error_set(err, ELB_ERR_OPERATION_NOT_PERMITTED, "The default rule has no conditions.");
        if (!given) {
            json_object_set_new(out, "Rules", json_pack("[o]", default_rule(listener)));
            return 0;
        }
        _cleanup_json_ json_t *actions = json_incref(given);
        json_object_set_new(listener, "DefaultActions", json_array());
        if (elb_find(ctx, STORE_ELB_LB, elb_str(listener, "LoadBalancerArn"), &lb, err) < 0 ||
            elb_save(ctx, STORE_ELB_LISTENER, listener, err) < 0 ||
            elb_actions_check(ctx, lb, elb_str(listener, "Protocol"), actions, err) < 0)
            return -1;
        json_object_set(listener, "DefaultActions", actions);
        if (elb_save(ctx, STORE_ELB_LISTENER, listener, err) < 0)
            return -1;
        json_object_set_new(out, "Rules", json_pack("[o]", default_rule(listener)));
        return 0;
    }
    if (elb_find(ctx, STORE_ELB_LB, elb_str(rule, "berthLoadBalancerArn"), &lb, err) < 0)
        return -1;
    _cleanup_json_ json_t *listener_doc = NULL;
    if (elb_find(ctx, STORE_ELB_LISTENER, elb_str(rule, "berthListenerArn"), &listener_doc, err) < 0)
        return -1;
    if (conditions) {
        if (elb_conditions_check(conditions, err) < 0)
            return -1;
        json_object_set(rule, "Conditions", conditions);
    }
    if (given) {
        _cleanup_json_ json_t *actions = json_incref(given);
        json_object_set_new(rule, "Actions", json_array());
        if (elb_save(ctx, STORE_ELB_RULE, rule, err) < 0 ||
            elb_actions_check(ctx, lb, elb_str(listener_doc, "Protocol"), actions, err) < 0)
            return -1;
        json_object_set(rule, "Actions", actions);
    }
    if (elb_save(ctx, STORE_ELB_RULE, rule, err) < 0)
        return -1;
    json_object_set_new(out, "Rules", json_pack("[o]", elb_public(rule)));
    return 0;
}

API_ACTION(elb_delete_rule)
{
    (void)out;
    _cleanup_json_ json_t *rule = NULL, *listener = NULL;
    bool dflt = false;
    if (rule_find(ctx, elb_str(in, "RuleArn"), &rule, &listener, &dflt, err) < 0)
        return -1;
    if (dflt)
        return error_set(err, ELB_ERR_OPERATION_NOT_PERMITTED, "A listener's default rule cannot be deleted.");
    return store_elb_delete(ctx->tx, STORE_ELB_RULE, ctx->region, elb_str(rule, "RuleArn"), err);
}

API_ACTION(elb_set_rule_priorities)
{
    json_t *pairs = json_object_get(in, "RulePriorities");
    _cleanup_json_ json_t *changed = json_array();
    size_t i;
    json_t *p;
    json_array_foreach(pairs, i, p) {
        json_t *rule = NULL, *listener = NULL;
        bool dflt = false;
        long prio = 0;
        if (rule_find(ctx, elb_str(p, "RuleArn"), &rule, &listener, &dflt, err) < 0)
            return -1;
        json_decref(listener);
        json_array_append_new(changed, rule);
        if (dflt)
            return error_set(err, ELB_ERR_OPERATION_NOT_PERMITTED, "The default rule's priority cannot be set.");
        if (parse_priority(json_object_get(p, "Priority"), &prio, err) < 0)
            return -1;
        char pstr[16];
        snprintf(pstr, sizeof(pstr), "%ld", prio);
        json_object_set_new(rule, "Priority", json_string(pstr));
        if (elb_save(ctx, STORE_ELB_RULE, rule, err) < 0)
            return -1;
    }
    /* Only now, with every move made: no two rules of a listener share one. */
    json_t *list = json_array();
    json_object_set_new(out, "Rules", list);
    json_array_foreach(changed, i, p) {
        struct prio_walk w = {strtol(elb_str(p, "Priority"), NULL, 10), elb_str(p, "RuleArn"), false, NULL};
        if (store_elb_each(ctx->tx, STORE_ELB_RULE, ctx->region, elb_str(p, "berthListenerArn"), NULL, prio_row, &w,
                           err) < 0)
            return -1;
        if (w.taken)
            return error_set(err, ELB_ERR_PRIORITY_IN_USE, "Priority '%s' is currently in use", elb_str(p, "Priority"));
        json_array_append_new(list, elb_public(p));
    }
    return 0;
}

/* The forward action of the rule arn names (the listener's default rule
 * too), its owner in *ret_rule or *ret_listener; NULL when there is none. */
static json_t *forward_of(struct op_ctx *ctx, const char *arn, json_t **ret_rule, json_t **ret_listener,
                          struct error *err)
{
    bool dflt = false;
    struct error ignored;
    if (rule_find(ctx, arn, ret_rule, ret_listener, &dflt, &ignored) < 0) {
        error_set(err, ERR_INVALID, "Unable to find the listener rule %.300s.", arn ? arn : "");
        return NULL;
    }
    json_t *actions = json_object_get(dflt ? *ret_listener : *ret_rule, dflt ? "DefaultActions" : "Actions");
    size_t i;
    json_t *a;
    json_array_foreach(actions, i, a) {
        if (elb_str(a, "Type") && strcmp(elb_str(a, "Type"), "forward") == 0)
            return a;
    }
    error_set(err, ERR_INVALID, "The listener rule %.300s does not forward to a target group.", arn);
    return NULL;
}

json_t *elb_registry_rule_groups(struct op_ctx *ctx, const char *rule_arn, struct error *err)
{
    _cleanup_json_ json_t *rule = NULL, *listener = NULL;
    json_t *fwd = forward_of(ctx, rule_arn, &rule, &listener, err);
    if (!fwd)
        return NULL;
    json_t *actions = json_pack("[O]", fwd);
    json_t *groups = elb_actions_target_groups(actions);
    json_decref(actions);
    if (!groups)
        error_set(err, ERR_INTERNAL, "out of memory");
    return groups;
}

static long gcd(long a, long b)
{
    while (b) {
        long t = a % b;
        a = b;
        b = t;
    }
    return a;
}

int elb_registry_split(struct op_ctx *ctx, const char *rule_arn, const char *from_tg, const char *to_tg, int permille,
                       struct error *err)
{
    _cleanup_json_ json_t *rule = NULL, *listener = NULL;
    json_t *fwd = forward_of(ctx, rule_arn, &rule, &listener, err);
    if (!fwd)
        return -1;
    /* The smallest weights in that ratio (1 and 0 for all or nothing). */
    long g = gcd(permille, 1000 - permille);
    json_int_t to_w = permille / g, from_w = (1000 - permille) / g;
    json_t *groups = json_object_get(json_object_get(fwd, "ForwardConfig"), "TargetGroups");
    bool named = false, changed = false;
    size_t i;
    json_t *grp;
    json_array_foreach(groups, i, grp) {
        bool to = strcmp(elb_str(grp, "TargetGroupArn"), to_tg) == 0;
        bool from = from_tg && strcmp(elb_str(grp, "TargetGroupArn"), from_tg) == 0;
        json_int_t w = to ? to_w : from ? from_w : 0;
        named |= to;
        if (json_integer_value(json_object_get(grp, "Weight")) != w || !json_object_get(grp, "Weight")) {
            json_object_set_new(grp, "Weight", json_integer(w));
            changed = true;
        }
    }
    if (!named)
        return error_set(err, ERR_INVALID, "The listener rule %.300s does not forward to the target group %.300s.",
                         rule_arn, to_tg);
    if (!changed)
        return 0;
    /* A single group keeps TargetGroupArn (elb_actions_check's form). */
    if (json_array_size(groups) == 1)
        json_object_set_new(fwd, "TargetGroupArn", json_string(to_tg));
    if (rule)
        return elb_save(ctx, STORE_ELB_RULE, rule, err) < 0 ? -1 : 1;
    return elb_save(ctx, STORE_ELB_LISTENER, listener, err) < 0 ? -1 : 1;
}

int elb_registry_shift(struct op_ctx *ctx, const char *rule_arn, const char *tg_arn, struct error *err)
{
    return elb_registry_split(ctx, rule_arn, NULL, tg_arn, 1000, err);
}
