/* authz.h - what a request asks to do, in IAM's terms, and the dispatcher
 * step that has it decided before any handler runs.
 *
 * Each service keeps a table of rules, one per API action, sorted by name:
 * the IAM action ("ecs:RunTask"), a function that names the resources it
 * acts on and one that adds the request's condition keys.  From them the
 * dispatcher builds a list of checks - (IAM action, resource ARN, context
 * keys) - and an authorizer (server/iam/authorize.c) decides each one
 * against the caller's policies.  Every check must be allowed.
 *
 * This module knows no policy and no resource; the services know their
 * resources, the authorizer knows policies. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "common/error.h"

struct op_ctx;
struct store_tx;
struct api_service;
struct api_action;
struct authz_req;

/* Names resources or adds condition keys for one request.  The request
 * has been validated against the service's model but nothing has been
 * resolved: a builder names what the request names, even when it does not
 * exist (the handler reports that, once the caller may ask). */
typedef int (*authz_build_fn)(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err);

struct authz_rule {
    const char *name;         /* the API action, as in the service's action table */
    const char *iam_action;   /* "ecs:RunTask"; NULL: authorised by its parts (a batch of other actions) */
    authz_build_fn resources; /* NULL: the action takes no resource ("*") */
    authz_build_fn keys;      /* NULL: no condition keys of its own */
    /* The action may come unsigned (caller ""): its handler authenticates
     * the caller from the body (an agent's registration token).  Signed
     * requests to it are authorised as any other. */
    bool unsigned_ok;
};

/* The decision, as server.c plugs it in: 0 when every check in `checks`
 * ([{action, resource, keys: {name: [values]}}]) is allowed for principal,
 * else -1 with API_ERR_ACCESS_DENIED and AWS's message. */
struct api_authorizer {
    int (*decide)(void *cookie, struct store_tx *tx, const char *account, const char *principal, json_t *checks,
                  struct error *err);
    void *cookie;
};

/* ---- for rule builders ---- */

/* The action acts on arn: one more check of the rule's IAM action.  Keys
 * added with authz_resource_key() go to this check only. */
void authz_resource(struct authz_req *req, const char *arn);
/* A key of the last resource named (its tags, say). */
void authz_resource_key(struct authz_req *req, const char *name, const char *value);
/* A key of the request, given to every resource of the rule's action;
 * adding a name twice makes it multi-valued. */
void authz_key(struct authz_req *req, const char *name, const char *value);
/* The key `name` with no value: present for ForAllValues, absent for Null. */
void authz_key_empty(struct authz_req *req, const char *name);
/* A check of another action the request also needs (iam:PassRole on a
 * role, with iam:PassedToService). key may be NULL. */
void authz_also(struct authz_req *req, const char *action, const char *resource, const char *key, const char *value);
/* The last resource's tags ([{key, value}]): aws:ResourceTag/KEY and
 * <prefix>:ResourceTag/KEY when prefix is non-NULL. */
void authz_resource_tags(struct authz_req *req, json_t *tags, const char *prefix);
/* authz_resource(arn) with the tags the store holds for arn, as
 * authz_resource_tags gives them; -1 only if the store failed. */
int authz_tagged_resource(struct op_ctx *ctx, struct authz_req *req, const char *arn, const char *prefix,
                          struct error *err);
/* Tags in the request ([{key, value}]): aws:RequestTag/KEY, aws:TagKeys. */
void authz_request_tags(struct authz_req *req, json_t *tags);
/* Tag keys in the request ([strings]): aws:TagKeys. */
void authz_tag_keys(struct authz_req *req, json_t *keys);
/* Rule keys (struct authz_rule's keys) for the AWS services that tag with
 * `Tags: [{Key, Value}]` and untag with `TagKeys: [strings]`. */
int authz_keys_keyed_tags(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err);
int authz_keys_tag_keys(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err);

/* ---- for the dispatcher and tests ---- */

/* Check that a rule table is sorted by name with no name twice and that
 * every action of the table has a rule; -1 with ERR_INTERNAL naming the
 * first offender. */
int authz_check_rules(const struct authz_rule *rules, size_t nrules, const struct api_action *actions, size_t nactions,
                      struct error *err);
/* The checks a request to svc's action a asks for (new reference):
 * [{action, resource, keys}], or NULL with err. */
json_t *authz_describe(const struct api_service *svc, const struct api_action *a, struct op_ctx *ctx, json_t *in,
                       struct error *err);
/* The dispatcher's step, in the request's transaction before the handler:
 * 0 when the caller (ctx->caller) may do what the request asks, else -1
 * with AccessDeniedException.  The account's root may do anything; a
 * service without rules, or no authorizer, allows nothing else; an
 * unsigned request passes only to an action whose rule is unsigned_ok. */
int authz_authorize(const struct api_authorizer *z, const struct api_service *svc, const struct api_action *a,
                    struct op_ctx *ctx, json_t *in, struct error *err);
/* Whether principal is account's root user. */
bool authz_is_root(const char *principal, const char *account);
