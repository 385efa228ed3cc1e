/* elb.h - what Elastic Load Balancing v2's handlers share: the service's
 * state, its error kinds, ARNs, the lookups every handler starts from,
 * and the handlers themselves (by the file that has them). */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "server/http/api.h"

struct service_model;
struct elb_proxy;

struct elb_service {
    struct service_model *model;
    struct elb_proxy *proxy; /* the data plane: health of targets (may be NULL) */
};

/* ELB's own error kinds (elb_service.c names them). */
enum elb_error_kind {
    ELB_ERR_LB_NOT_FOUND = API_ERR_MAX + 1,
    ELB_ERR_TG_NOT_FOUND,
    ELB_ERR_LISTENER_NOT_FOUND,
    ELB_ERR_RULE_NOT_FOUND,
    ELB_ERR_DUPLICATE_LB_NAME,
    ELB_ERR_DUPLICATE_TG_NAME,
    ELB_ERR_DUPLICATE_LISTENER,
    ELB_ERR_DUPLICATE_TAG_KEYS,
    ELB_ERR_PRIORITY_IN_USE,
    ELB_ERR_RESOURCE_IN_USE,
    ELB_ERR_INVALID_CONFIG,
    ELB_ERR_INVALID_TARGET,
    ELB_ERR_INVALID_ACTION,
    ELB_ERR_INCOMPATIBLE_PROTOCOLS,
    ELB_ERR_UNSUPPORTED_PROTOCOL,
    ELB_ERR_OPERATION_NOT_PERMITTED,
    ELB_ERR_TOO_MANY_LBS,
    ELB_ERR_TOO_MANY_TGS,
    ELB_ERR_TOO_MANY_LISTENERS,
    ELB_ERR_TOO_MANY_RULES,
    ELB_ERR_TOO_MANY_TARGETS,
    ELB_ERR_TOO_MANY_TAGS,
    ELB_ERR_TOO_MANY_ACTIONS,
    ELB_ERR_TG_ASSOCIATION_LIMIT,
    ELB_ERR_INVALID_SCHEME,
    ELB_ERR_CERT_NOT_FOUND,
    ELB_ERR_SSL_POLICY_NOT_FOUND,
    ELB_ERR_TOO_MANY_CERTS,
};

#define ELB_ARN_MAX 512
#define ELB_NAME_MAX 32
#define ELB_TAGS_MAX 50
#define ELB_LBS_MAX 50
#define ELB_TGS_MAX 3000
#define ELB_LISTENERS_MAX 50
#define ELB_RULES_MAX 100
#define ELB_TARGETS_MAX 1000
#define ELB_CONDITION_VALUES_MAX 5
#define ELB_PAGE_MAX 400
#define ELB_CERTS_MAX 25 /* a listener's certificates besides its default */

static inline const char *elb_str(json_t *o, const char *key) { return json_string_value(json_object_get(o, key)); }

/* ---- elb_common.c ---- */

/* 16 random hex characters into out (at least 17 bytes). */
int elb_new_id(char *out, size_t cap, struct error *err);
/* arn:aws:elasticloadbalancing:REGION:ACCOUNT:<resource>. */
void elb_arn(const struct op_ctx *ctx, const char *resource, char *out, size_t cap);
/* A load balancer or target group name: 1-32 letters, digits and hyphens,
 * not beginning or ending with a hyphen; what names it ("load balancer"). */
int elb_check_name(const char *name, const char *what, struct error *err);
/* The object of kind (STORE_ELB_*) with arn: 0 with a new document, or -1
 * with the kind's NotFound error. */
int elb_find(struct op_ctx *ctx, const char *kind, const char *arn, json_t **ret_doc, struct error *err);
/* Store an object again. */
int elb_save(struct op_ctx *ctx, const char *kind, json_t *doc, struct error *err);
/* The tags given on a create ([{Key, Value}], may be NULL): checked and
 * stored for arn. */
int elb_tags_attach(struct op_ctx *ctx, const char *arn, json_t *tags, struct error *err);
/* A copy of doc for the reply: the members whose names start with
 * "berth" dropped (new reference, NULL when out of memory). */
json_t *elb_public(json_t *doc);

/* One page of objects of kind (under parent, NULL: any) that keep
 * accepts (keep may be NULL), each shown by show (NULL: elb_public) into
 * out[member], with NextMarker when more remain. */
typedef int (*elb_keep_fn)(struct op_ctx *ctx, json_t *doc, void *ud, bool *ret_keep, struct error *err);
typedef json_t *(*elb_show_fn)(struct op_ctx *ctx, json_t *doc, struct error *err);
int elb_page(struct op_ctx *ctx, json_t *in, json_t *out, const char *kind, const char *parent, const char *member,
             elb_keep_fn keep, void *ud, elb_show_fn show, struct error *err);
/* Whether list (JSON strings) has s. */
bool elb_list_has(json_t *list, const char *s);

/* ---- elb_listeners.c ---- */

/* "app/NAME/ID" of a load balancer ARN ("" if it is not one). */
const char *elb_lb_path(const char *lb_arn);

/* ---- elb_lb.c ---- */

/* Delete a listener's rules (its own deletion is the caller's). */
int elb_listener_delete_rules(struct op_ctx *ctx, const char *listener_arn, struct error *err);
/* berthAttributes {key: value} as [{Key, Value}] (new reference). */
json_t *elb_attributes_list(json_t *attrs);

/* ---- elb_actions.c: listener and rule actions ---- */

/* Check a listener's or rule's actions against the load balancer lb and
 * the protocol of the listener, and resolve their target groups: each
 * group must exist, speak a protocol the listener can forward to and be
 * used by no other load balancer.  Forward actions are normalised to
 * carry both TargetGroupArn (a single group) and ForwardConfig. */
int elb_actions_check(struct op_ctx *ctx, json_t *lb, const char *protocol, json_t *actions, struct error *err);
/* The ARNs of the target groups actions forward to (new array). */
json_t *elb_actions_target_groups(json_t *actions);
/* Check a rule's conditions (path-pattern, host-header, http-header,
 * http-request-method, source-ip), normalised to carry their *Config. */
int elb_conditions_check(json_t *conditions, struct error *err);
/* Refuse a rule's Transforms (CreateRule, ModifyRule): berth rewrites nothing. */
int elb_transforms_refuse(json_t *in, struct error *err);
/* The load balancers that forward to the target group tg_arn (new array). */
json_t *elb_target_group_lbs(struct op_ctx *ctx, const char *tg_arn, struct error *err);

/* ---- elb_certs.c ---- */

/* Check an HTTPS listener's Certificates and SslPolicy (in; old: the
 * listener being modified, or NULL), into ret's Certificates and SslPolicy;
 * of any other protocol, that in gives neither. */
int elb_listener_tls(struct op_ctx *ctx, const char *proto, json_t *in, json_t *old, json_t *ret, struct error *err);

/* ---- handlers ---- */
API_ACTION(elb_create_load_balancer);
API_ACTION(elb_describe_load_balancers);
API_ACTION(elb_delete_load_balancer);
API_ACTION(elb_describe_load_balancer_attributes);
API_ACTION(elb_modify_load_balancer_attributes);
API_ACTION(elb_create_target_group);
API_ACTION(elb_describe_target_groups);
API_ACTION(elb_modify_target_group);
API_ACTION(elb_delete_target_group);
API_ACTION(elb_describe_target_group_attributes);
API_ACTION(elb_modify_target_group_attributes);
API_ACTION(elb_register_targets);
API_ACTION(elb_deregister_targets);
API_ACTION(elb_describe_target_health);
API_ACTION(elb_create_listener);
API_ACTION(elb_describe_listeners);
API_ACTION(elb_modify_listener);
API_ACTION(elb_delete_listener);
API_ACTION(elb_create_rule);
API_ACTION(elb_describe_rules);
API_ACTION(elb_modify_rule);
API_ACTION(elb_delete_rule);
API_ACTION(elb_set_rule_priorities);
API_ACTION(elb_add_tags);
API_ACTION(elb_remove_tags);
API_ACTION(elb_describe_tags);
API_ACTION(elb_describe_account_limits);
API_ACTION(elb_add_listener_certificates);
API_ACTION(elb_remove_listener_certificates);
API_ACTION(elb_describe_listener_certificates);
API_ACTION(elb_describe_ssl_policies);
