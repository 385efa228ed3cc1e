/* elb_authz.c - what each ELB action asks of IAM (see elb_authz.h):
 * elasticloadbalancing:<Action> on the load balancer, target group,
 * listener or rule it acts on (with that resource's tags), on the parent
 * a create acts under (a listener's load balancer, a rule's listener), or
 * on "*" for the other creates and the Describe* listings.  Tags given on
 * create and AddTags ask with aws:RequestTag/KEY and aws:TagKeys. */
#include "server/elbv2/elb_authz.h"

#include "common/cleanup.h"
#include "server/elbv2/elb.h"

static int member_resource(struct op_ctx *ctx, json_t *in, const char *member, struct authz_req *req, struct error *err)
{
    const char *arn = elb_str(in, member);
    return authz_tagged_resource(ctx, req, arn ? arn : "*", NULL, err);
}

static int list_resources(struct op_ctx *ctx, json_t *list, const char *member, struct authz_req *req,
                          struct error *err)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) {
        const char *arn = member ? elb_str(v, member) : json_string_value(v);
        if (authz_tagged_resource(ctx, req, arn ? arn : "*", NULL, err) < 0)
            return -1;
    }
    if (json_array_size(list) == 0)
        authz_resource(req, "*");
    return 0;
}

static int res_lb(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    return member_resource(ctx, in, "LoadBalancerArn", req, err);
}

static int res_tg(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    return member_resource(ctx, in, "TargetGroupArn", req, err);
}

static int res_listener(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    return member_resource(ctx, in, "ListenerArn", req, err);
}

static int res_rule(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    return member_resource(ctx, in, "RuleArn", req, err);
}

static int res_priorities(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    return list_resources(ctx, json_object_get(in, "RulePriorities"), "RuleArn", req, err);
}

static int res_arns(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    return list_resources(ctx, json_object_get(in, "ResourceArns"), NULL, req, err);
}

#define ELB "elasticloadbalancing:"

/* Sorted by name as elb_service.c's table. */
static const struct authz_rule elb_rules[] = {
    {"AddListenerCertificates", ELB "AddListenerCertificates", res_listener, NULL, false},
    {"AddTags", ELB "AddTags", res_arns, authz_keys_keyed_tags, false},
    {"CreateListener", ELB "CreateListener", res_lb, authz_keys_keyed_tags, false},
    {"CreateLoadBalancer", ELB "CreateLoadBalancer", NULL, authz_keys_keyed_tags, false},
    {"CreateRule", ELB "CreateRule", res_listener, authz_keys_keyed_tags, false},
    {"CreateTargetGroup", ELB "CreateTargetGroup", NULL, authz_keys_keyed_tags, false},
    {"DeleteListener", ELB "DeleteListener", res_listener, NULL, false},
    {"DeleteLoadBalancer", ELB "DeleteLoadBalancer", res_lb, NULL, false},
    {"DeleteRule", ELB "DeleteRule", res_rule, NULL, false},
    {"DeleteTargetGroup", ELB "DeleteTargetGroup", res_tg, NULL, false},
    {"DeregisterTargets", ELB "DeregisterTargets", res_tg, NULL, false},
    {"DescribeAccountLimits", ELB "DescribeAccountLimits", NULL, NULL, false},
    {"DescribeListenerCertificates", ELB "DescribeListenerCertificates", NULL, NULL, false},
    {"DescribeListeners", ELB "DescribeListeners", NULL, NULL, false},
    {"DescribeLoadBalancerAttributes", ELB "DescribeLoadBalancerAttributes", NULL, NULL, false},
    {"DescribeLoadBalancers", ELB "DescribeLoadBalancers", NULL, NULL, false},
    {"DescribeRules", ELB "DescribeRules", NULL, NULL, false},
    {"DescribeSSLPolicies", ELB "DescribeSSLPolicies", NULL, NULL, false},
    {"DescribeTags", ELB "DescribeTags", NULL, NULL, false},
    {"DescribeTargetGroupAttributes", ELB "DescribeTargetGroupAttributes", NULL, NULL, false},
    {"DescribeTargetGroups", ELB "DescribeTargetGroups", NULL, NULL, false},
    {"DescribeTargetHealth", ELB "DescribeTargetHealth", NULL, NULL, false},
    {"ModifyListener", ELB "ModifyListener", res_listener, NULL, false},
    {"ModifyLoadBalancerAttributes", ELB "ModifyLoadBalancerAttributes", res_lb, NULL, false},
    {"ModifyRule", ELB "ModifyRule", res_rule, NULL, false},
    {"ModifyTargetGroup", ELB "ModifyTargetGroup", res_tg, NULL, false},
    {"ModifyTargetGroupAttributes", ELB "ModifyTargetGroupAttributes", res_tg, NULL, false},
    {"RegisterTargets", ELB "RegisterTargets", res_tg, NULL, false},
    {"RemoveListenerCertificates", ELB "RemoveListenerCertificates", res_listener, NULL, false},
    {"RemoveTags", ELB "RemoveTags", res_arns, authz_keys_tag_keys, false},
    {"SetRulePriorities", ELB "SetRulePriorities", res_priorities, NULL, false},
};

const struct authz_rule *elb_authz_rules(size_t *ret_n)
{
    *ret_n = ELEMENTSOF(elb_rules);
    return elb_rules;
}
