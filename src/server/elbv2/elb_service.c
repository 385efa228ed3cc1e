/* elb_service.c - ELB's model, action table (sorted by name for the
 * dispatcher's binary search) and error names.  The model's other
 * operations (SetSubnets, SetSecurityGroups, SetIpAddressType) answer
 * that berth does not implement them. */
#include "server/elbv2/elb_service.h"

#include <stdlib.h>

#include "common/cleanup.h"
#include "server/elbv2/elb.h"
#include "server/elbv2/elb_authz.h"
#include "server/http/service_model.h"

/* The embedded model (model.S). */
extern const char berth_model_elbv2[], berth_model_elbv2_end[];

static const struct api_action elb_actions[] = {
    {"AddListenerCertificates", elb_add_listener_certificates, API_WRITE},
    {"AddTags", elb_add_tags, API_WRITE},
    {"CreateListener", elb_create_listener, API_WRITE},
    {"CreateLoadBalancer", elb_create_load_balancer, API_WRITE},
    {"CreateRule", elb_create_rule, API_WRITE},
    {"CreateTargetGroup", elb_create_target_group, API_WRITE},
    {"DeleteListener", elb_delete_listener, API_WRITE},
    {"DeleteLoadBalancer", elb_delete_load_balancer, API_WRITE},
    {"DeleteRule", elb_delete_rule, API_WRITE},
    {"DeleteTargetGroup", elb_delete_target_group, API_WRITE},
    {"DeregisterTargets", elb_deregister_targets, API_WRITE},
    {"DescribeAccountLimits", elb_describe_account_limits, API_READ},
    {"DescribeListenerCertificates", elb_describe_listener_certificates, API_READ},
    {"DescribeListeners", elb_describe_listeners, API_READ},
    {"DescribeLoadBalancerAttributes", elb_describe_load_balancer_attributes, API_READ},
    {"DescribeLoadBalancers", elb_describe_load_balancers, API_READ},
    {"DescribeRules", elb_describe_rules, API_READ},
    {"DescribeSSLPolicies", elb_describe_ssl_policies, API_READ},
    {"DescribeTags", elb_describe_tags, API_READ},
    {"DescribeTargetGroupAttributes", elb_describe_target_group_attributes, API_READ},
    {"DescribeTargetGroups", elb_describe_target_groups, API_READ},
    {"DescribeTargetHealth", elb_describe_target_health, API_READ},
    {"ModifyListener", elb_modify_listener, API_WRITE},
    {"ModifyLoadBalancerAttributes", elb_modify_load_balancer_attributes, API_WRITE},
    {"ModifyRule", elb_modify_rule, API_WRITE},
    {"ModifyTargetGroup", elb_modify_target_group, API_WRITE},
    {"ModifyTargetGroupAttributes", elb_modify_target_group_attributes, API_WRITE},
    {"RegisterTargets", elb_register_targets, API_WRITE},
    {"RemoveListenerCertificates", elb_remove_listener_certificates, API_WRITE},
    {"RemoveTags", elb_remove_tags, API_WRITE},
    {"SetRulePriorities", elb_set_rule_priorities, API_WRITE},
};

/* ELB's error codes (the model's "error" codes, HTTP 400 but for
 * HealthUnavailable); the query protocol names the generic kinds. */
static const struct api_error elb_errors[] = {
    {ERR_INVALID, "ValidationError", 400},
    {ERR_INTERNAL, "InternalFailure", 500},
    {API_ERR_UNSUPPORTED_FEATURE, "ValidationError", 400},
    {ELB_ERR_LB_NOT_FOUND, "LoadBalancerNotFound", 400},
    {ELB_ERR_TG_NOT_FOUND, "TargetGroupNotFound", 400},
    {ELB_ERR_LISTENER_NOT_FOUND, "ListenerNotFound", 400},
    {ELB_ERR_RULE_NOT_FOUND, "RuleNotFound", 400},
    {ELB_ERR_DUPLICATE_LB_NAME, "DuplicateLoadBalancerName", 400},
    {ELB_ERR_DUPLICATE_TG_NAME, "DuplicateTargetGroupName", 400},
    {ELB_ERR_DUPLICATE_LISTENER, "DuplicateListener", 400},
    {ELB_ERR_DUPLICATE_TAG_KEYS, "DuplicateTagKeys", 400},
    {ELB_ERR_PRIORITY_IN_USE, "PriorityInUse", 400},
    {ELB_ERR_RESOURCE_IN_USE, "ResourceInUse", 400},
    {ELB_ERR_INVALID_CONFIG, "InvalidConfigurationRequest", 400},
    {ELB_ERR_INVALID_TARGET, "InvalidTarget", 400},
    {ELB_ERR_INVALID_ACTION, "InvalidLoadBalancerAction", 400},
    {ELB_ERR_INCOMPATIBLE_PROTOCOLS, "IncompatibleProtocols", 400},
    {ELB_ERR_UNSUPPORTED_PROTOCOL, "UnsupportedProtocol", 400},
    {ELB_ERR_OPERATION_NOT_PERMITTED, "OperationNotPermitted", 400},
    {ELB_ERR_TOO_MANY_LBS, "TooManyLoadBalancers", 400},
    {ELB_ERR_TOO_MANY_TGS, "TooManyTargetGroups", 400},
    {ELB_ERR_TOO_MANY_LISTENERS, "TooManyListeners", 400},
    {ELB_ERR_TOO_MANY_RULES, "TooManyRules", 400},
    {ELB_ERR_TOO_MANY_TARGETS, "TooManyTargets", 400},
    {ELB_ERR_TOO_MANY_TAGS, "TooManyTags", 400},
    {ELB_ERR_TOO_MANY_ACTIONS, "TooManyActions", 400},
    {ELB_ERR_TG_ASSOCIATION_LIMIT, "TargetGroupAssociationLimit", 400},
    {ELB_ERR_INVALID_SCHEME, "InvalidScheme", 400},
    {ELB_ERR_CERT_NOT_FOUND, "CertificateNotFound", 400},
    {ELB_ERR_SSL_POLICY_NOT_FOUND, "SSLPolicyNotFound", 400},
    {ELB_ERR_TOO_MANY_CERTS, "TooManyCertificates", 400},
};

int elb_service_new(struct elb_service **ret, struct error *err)
{
    struct elb_service *s = calloc(1, sizeof(*s));
    if (!s)
        return error_set(err, ERR_INTERNAL, "out of memory");
    /* The size excludes the NUL model.S appends. */
    size_t len = (size_t)(berth_model_elbv2_end - berth_model_elbv2) - 1;
    if (service_model_load(berth_model_elbv2, len, &s->model, err) < 0) {
        free(s);
        return error_prefix(err, "elbv2 model");
    }
    *ret = s;
    return 0;
}

void elb_service_free(struct elb_service *s)
{
    if (!s)
        return;
    service_model_free(s->model);
    free(s);
}

void elb_service_set_proxy(struct elb_service *s, struct elb_proxy *proxy) { s->proxy = proxy; }

struct api_service elb_service_api(struct elb_service *s)
{
    size_t nrules;
    const struct authz_rule *rules = elb_authz_rules(&nrules);
    return (struct api_service){
        .target_prefix = "ElasticLoadBalancingV20151201",
        .model = s->model,
        .actions = elb_actions,
        .nactions = ELEMENTSOF(elb_actions),
        .state = s,
        .protocol = API_PROTOCOL_QUERY,
        .signing_name = "elasticloadbalancing",
        .authz = rules,
        .nauthz = nrules,
        .errors = elb_errors,
        .nerrors = ELEMENTSOF(elb_errors),
    };
}
