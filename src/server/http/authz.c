/* authz.c - describing a request as IAM checks and having them decided
 * (see authz.h).  A description is JSON while it is built: small, freed
 * with the request, and what tests compare. */
#include "server/http/authz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/http/api.h"
#include "server/http/http_limits.h"
#include "server/http/tags.h"
#include "server/store/store_tags.h"

struct authz_req {
    const char *action; /* the rule's IAM action */
    json_t *checks;     /* [{action, resource, keys}] of the rule's action */
    json_t *also;       /* further checks (iam:PassRole) */
    json_t *common;     /* keys of the request: {name: [values]} */
    json_t *last;       /* the last check of the rule's action (borrowed) */
    bool oom;
};

static json_t *new_check(const char *action, const char *resource)
{
    return json_pack("{s:s, s:s, s:{}}", "action", action, "resource", resource ? resource : "*", "keys");
}

/* Append value to keys[name] (created empty); value NULL adds only the name. */
static void add_value(struct authz_req *req, json_t *keys, const char *name, const char *value)
{
    if (!keys || !name) {
        req->oom = true;
        return;
    }
    json_t *values = json_object_get(keys, name);
    if (!values) {
        values = json_array();
        if (json_object_set_new(keys, name, values) < 0) {
            req->oom = true;
            return;
        }
    }
    if (value && json_array_append_new(values, json_string(value)) < 0)
        req->oom = true;
}

void authz_resource(struct authz_req *req, const char *arn)
{
    json_t *c = new_check(req->action, arn);
    if (!c || json_array_append_new(req->checks, c) < 0) {
        req->oom = true;
        return;
    }
    req->last = c;
}

void authz_resource_key(struct authz_req *req, const char *name, const char *value)
{
    if (!req->last) /* no resource yet: the request's own */
        add_value(req, req->common, name, value);
    else
        add_value(req, json_object_get(req->last, "keys"), name, value);
}

void authz_key(struct authz_req *req, const char *name, const char *value) { add_value(req, req->common, name, value); }

void authz_key_empty(struct authz_req *req, const char *name) { add_value(req, req->common, name, NULL); }

void authz_also(struct authz_req *req, const char *action, const char *resource, const char *key, const char *value)
{
    json_t *c = new_check(action, resource);
    if (!c || json_array_append_new(req->also, c) < 0) {
        req->oom = true;
        return;
    }
    if (key)
        add_value(req, json_object_get(c, "keys"), key, value);
}

void authz_resource_tags(struct authz_req *req, json_t *tags, const char *prefix)
{
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t) {
        const char *k = json_string_value(json_object_get(t, "key"));
        const char *v = json_string_value(json_object_get(t, "value"));
        if (!k)
            continue;
        char name[LIMIT_TAG_KEY + 64];
        snprintf(name, sizeof(name), "aws:ResourceTag/%s", k);
        authz_resource_key(req, name, v ? v : "");
        if (prefix) {
            snprintf(name, sizeof(name), "%s:ResourceTag/%s", prefix, k);
            authz_resource_key(req, name, v ? v : "");
        }
    }
}

void authz_request_tags(struct authz_req *req, json_t *tags)
{
    if (!json_is_array(tags))
        return;
    authz_key_empty(req, "aws:TagKeys");
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t) {
        const char *k = json_string_value(json_object_get(t, "key"));
        const char *v = json_string_value(json_object_get(t, "value"));
        if (!k)
            continue;
        char name[LIMIT_TAG_KEY + 64];
        snprintf(name, sizeof(name), "aws:RequestTag/%s", k);
        authz_key(req, name, v ? v : "");
        authz_key(req, "aws:TagKeys", k);
    }
}

void authz_tag_keys(struct authz_req *req, json_t *keys)
{
    if (!json_is_array(keys))
        return;
    authz_key_empty(req, "aws:TagKeys");
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k) {
        if (json_is_string(k))
            authz_key(req, "aws:TagKeys", json_string_value(k));
    }
}

int authz_keys_keyed_tags(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    (void)ctx;
    json_t *given = json_object_get(in, "Tags");
    if (!given)
        return 0;
    _cleanup_json_ json_t *tags = tags_from_keyed(given);
    if (!tags)
        return error_set(err, ERR_INTERNAL, "out of memory");
    authz_request_tags(req, tags);
    return 0;
}

int authz_keys_tag_keys(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    (void)ctx, (void)err;
    authz_tag_keys(req, json_object_get(in, "TagKeys"));
    return 0;
}

static int rule_cmp(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const struct authz_rule *)elem)->name);
}

int authz_check_rules(const struct authz_rule *rules, size_t nrules, const struct api_action *actions, size_t nactions,
                      struct error *err)
{
    for (size_t i = 0; i < nrules; i++) {
        if (!rules[i].name)
            return error_set(err, ERR_INTERNAL, "authorisation rule %zu has no name", i);
        if (i > 0 && strcmp(rules[i - 1].name, rules[i].name) >= 0)
            return error_set(err, ERR_INTERNAL, "authorisation rules out of order or twice: %s, %s", rules[i - 1].name,
                             rules[i].name);
    }
    for (size_t i = 0; i < nactions; i++)
        if (!bsearch(actions[i].name, rules, nrules, sizeof(*rules), rule_cmp))
            return error_set(err, ERR_INTERNAL, "action %s has no authorisation rule", actions[i].name);
    return 0;
}

/* Merge the keys `from` into those of check c. */
static void merge_keys(struct authz_req *req, json_t *c, json_t *from)
{
    const char *name;
    json_t *values;
    json_t *keys = json_object_get(c, "keys");
    json_object_foreach(from, name, values) {
        json_t *mine = json_object_get(keys, name);
        /* A copy: an array shared by two checks would grow in both. */
        if (mine ? json_array_extend(mine, values) < 0 : json_object_set_new(keys, name, json_copy(values)) < 0)
            req->oom = true;
    }
}

/* The global keys every check carries: who asks, from which region, and
 * how (berth's listener is plain HTTP). */
static json_t *global_keys(const struct op_ctx *ctx)
{
    const char *p = ctx->caller;
    const char *type = strstr(p, ":assumed-role/") ? "AssumedRole"
                       : strstr(p, ":user/")       ? "User"
                       : strstr(p, ":root")        ? "Account"
                                                   : "Instance";
    json_t *g =
        json_pack("{s:[s], s:[s], s:[s], s:[s], s:[s]}", "aws:PrincipalArn", p, "aws:PrincipalAccount", ctx->account,
                  "aws:PrincipalType", type, "aws:RequestedRegion", ctx->region, "aws:SecureTransport", "false");
    const char *user = strstr(p, ":user/");
    if (g && user) {
        const char *name = strrchr(user, '/') + 1;
        json_object_set_new(g, "aws:username", json_pack("[s]", name));
    }
    return g;
}

/* Every check of the rule's action gets the request's keys; without a
 * resource the action is checked on "*"; every check, the global keys. */
static json_t *finish(const struct op_ctx *ctx, struct authz_req *req, struct error *err)
{
    if (json_array_size(req->checks) == 0)
        authz_resource(req, "*");
    size_t i;
    json_t *c;
    json_array_foreach(req->checks, i, c)
        merge_keys(req, c, req->common);
    _cleanup_json_ json_t *global = global_keys(ctx);
    if (!global || json_array_extend(req->checks, req->also) < 0)
        req->oom = true;
    json_array_foreach(req->checks, i, c)
        merge_keys(req, c, global);
    if (req->oom) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return NULL;
    }
    return json_incref(req->checks);
}

static const struct authz_rule *find_rule(const struct api_service *svc, const struct api_action *a)
{
    return svc->authz ? bsearch(a->name, svc->authz, svc->nauthz, sizeof(*svc->authz), rule_cmp) : NULL;
}

json_t *authz_describe(const struct api_service *svc, const struct api_action *a, struct op_ctx *ctx, json_t *in,
                       struct error *err)
{
    const struct authz_rule *rule = find_rule(svc, a);
    if (!rule)
        return error_set(err, ERR_INTERNAL, "%s has no authorisation rule", a->name), NULL;
    if (!rule->iam_action)
        return json_array(); /* a batch: its parts are checked one by one */
    _cleanup_json_ json_t *checks = json_array(), *also = json_array(), *common = json_object();
    struct authz_req req = {.action = rule->iam_action, .checks = checks, .also = also, .common = common};
    if (!checks || !also || !common)
        return error_set(err, ERR_INTERNAL, "out of memory"), NULL;
    if (rule->resources && rule->resources(ctx, in, &req, err) < 0)
        return NULL;
    req.last = NULL; /* keys from here on are the request's */
    if (rule->keys && rule->keys(ctx, in, &req, err) < 0)
        return NULL;
    return finish(ctx, &req, err);
}

bool authz_is_root(const char *principal, const char *account)
{
    static const char head[] = "arn:aws:iam::";
    size_t n = strlen(account);
    return principal && strncmp(principal, head, sizeof(head) - 1) == 0 &&
           strncmp(principal + sizeof(head) - 1, account, n) == 0 &&
           strcmp(principal + sizeof(head) - 1 + n, ":root") == 0;
}

int authz_authorize(const struct api_authorizer *z, const struct api_service *svc, const struct api_action *a,
                    struct op_ctx *ctx, json_t *in, struct error *err)
{
    /* Without describing: most requests come from root. */
    if (authz_is_root(ctx->caller, ctx->account))
        return 0;
    const struct authz_rule *rule = find_rule(svc, a);
    if (!*ctx->caller && rule && rule->unsigned_ok)
        return 0; /* no identity to authorise: the handler authenticates */
    /* Nothing a policy could grant. */
    if (!rule || !*ctx->caller || !z || !z->decide)
        return error_set(err, API_ERR_ACCESS_DENIED, "User: %s is not authorized to perform: %s", ctx->caller, a->name);
    _cleanup_json_ json_t *checks = authz_describe(svc, a, ctx, in, err);
    if (!checks)
        return -1;
    if (json_array_size(checks) == 0)
        return 0;
    return z->decide(z->cookie, ctx->tx, ctx->account, ctx->caller, checks, err);
}

int authz_tagged_resource(struct op_ctx *ctx, struct authz_req *req, const char *arn, const char *prefix,
                          struct error *err)
{
    authz_resource(req, arn);
    _cleanup_json_ json_t *tags = json_array();
    if (!tags)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (store_tags_get(ctx->tx, arn, tags, err) < 0)
        return -1;
    authz_resource_tags(req, tags, prefix);
    return 0;
}
