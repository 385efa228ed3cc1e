/* sts_actions.c - STS's handlers: who the caller is (GetCallerIdentity),
 * temporary credentials for a role (AssumeRole: the role's trust policy
 * must name the caller and, unless the caller is root, the caller's own
 * policies must allow sts:AssumeRole on the role) and for the caller
 * itself (GetSessionToken).  Temporary keys ("ASIA...") go through the
 * keyring with their session token and expiry in the request's
 * transaction; the token and secret are returned once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/iam/identity.h"
#include "server/iam/policy.h"
#include "server/iam/principal.h"
#include "server/iam/role_session.h"
#include "server/iam/trust_policy.h"
#include "server/store/store_iam.h"
#include "server/sts/sts_service.h"

#define ROLE_SESSION_DEFAULT 3600
#define ROLE_SESSION_MIN 900
#define ROLE_CHAINED_MAX 3600
#define SESSION_TOKEN_DEFAULT 43200
#define SESSION_TOKEN_MAX 129600
#define SESSION_TOKEN_ROOT_MAX 3600

/* The caller's unique id as GetCallerIdentity spells it: the account for
 * root, AIDA... for a user, AROA...:session for a role session. */
static int caller_user_id(struct op_ctx *ctx, const struct principal *p, char *out, size_t cap, struct error *err)
{
    snprintf(out, cap, "%s", p->kind == PRINCIPAL_ROOT ? ctx->account : ctx->caller);
    if (p->kind != PRINCIPAL_USER && p->kind != PRINCIPAL_ASSUMED_ROLE)
        return 0;
    struct iam_entity_row row = {0};
    int r = store_iam_entity_get(ctx->tx, p->kind == PRINCIPAL_USER ? "user" : "role", p->name, &row, err);
    if (r < 0)
        return -1;
    if (r > 0 && p->kind == PRINCIPAL_USER)
        snprintf(out, cap, "%s", row.id);
    else if (r > 0)
        snprintf(out, cap, "%s:%s", row.id, p->session);
    iam_entity_row_clear(&row);
    return 0;
}

API_ACTION(sts_get_caller_identity)
{
    struct principal p;
    principal_parse(ctx->account, ctx->caller, &p);
    char id[256];
    if (caller_user_id(ctx, &p, id, sizeof(id), err) < 0)
        return -1;
    json_object_set_new(out, "UserId", json_string(id));
    json_object_set_new(out, "Account", json_string(ctx->account));
    json_object_set_new(out, "Arn", json_string(ctx->caller));
    return 0;
}

/* New temporary credentials for principal_arn, valid `seconds`, stored
 * and written to out.Credentials. */
static int issue(struct op_ctx *ctx, const char *principal_arn, int64_t seconds, json_t *out, struct error *err)
{
    struct sts_service *svc = ctx->service;
    json_t *creds = NULL;
    if (role_session_issue(svc->keyring, ctx->tx, principal_arn, ctx->now, seconds, &creds, err) < 0)
        return -1;
    json_object_set_new(out, "Credentials", creds);
    return 0;
}

/* Members berth does not honour yet: refused, never silently dropped. */
static int refuse_unsupported(json_t *in, const char *const *names, size_t n, struct error *err)
{
    for (size_t i = 0; i < n; i++)
        if (json_object_get(in, names[i]))
            return error_set(err, API_ERR_UNSUPPORTED_FEATURE, "berth's STS does not support %s yet.", names[i]);
    return 0;
}

static int not_authorized(struct op_ctx *ctx, const char *role_arn, struct error *err)
{
    return error_set(err, API_ERR_ACCESS_DENIED,
                     "User: %s is not authorized to perform: sts:AssumeRole on resource: %.200s", ctx->caller,
                     role_arn);
}

/* Whether the caller's own policies allow sts:AssumeRole on role_arn. */
static int identity_allows(struct op_ctx *ctx, const char *role_arn, struct error *err)
{
    struct identity_policies ids = {0};
    if (identity_policies_load(ctx->tx, ctx->account, ctx->caller, &ids, err) < 0)
        return -1;
    struct policy_request req = {.action = "sts:AssumeRole", .resource = role_arn};
    bool allowed =
        ids.root || policy_evaluate_all((const struct policy *const *)ids.policies, ids.n, &req) == POLICY_ALLOW;
    identity_policies_release(&ids);
    return allowed ? 0 : not_authorized(ctx, role_arn, err);
}

/* The keys a trust policy's Conditions see on AssumeRole: who asks (a
 * role session as its role, as AWS gives aws:PrincipalArn), the session
 * name and, when given, the ExternalId. */
struct assume_keys {
    char principal_arn[256];
    const char *values[4];
    struct policy_key keys[4];
    size_t n;
};

static void assume_role_keys(struct op_ctx *ctx, json_t *in, struct assume_keys *k)
{
    struct principal caller;
    principal_parse(ctx->account, ctx->caller, &caller);
    if (caller.kind == PRINCIPAL_ASSUMED_ROLE)
        snprintf(k->principal_arn, sizeof(k->principal_arn), "arn:aws:iam::%s:role/%s", ctx->account, caller.name);
    else
        snprintf(k->principal_arn, sizeof(k->principal_arn), "%s", ctx->caller);
    static const char *const names[] = {"aws:PrincipalArn", "aws:PrincipalAccount", "sts:RoleSessionName",
                                        "sts:ExternalId"};
    const char *given[] = {k->principal_arn, ctx->account, json_string_value(json_object_get(in, "RoleSessionName")),
                           json_string_value(json_object_get(in, "ExternalId"))};
    k->n = 0;
    for (size_t i = 0; i < ELEMENTSOF(names); i++) {
        if (!given[i])
            continue;
        k->values[k->n] = given[i];
        k->keys[k->n] = (struct policy_key){names[i], &k->values[k->n], 1};
        k->n++;
    }
}

/* The role RoleArn names, in this account, that the caller may assume. */
static int assumable_role(struct op_ctx *ctx, json_t *in, const char *role_arn, struct iam_entity_row *role,
                          struct error *err)
{
    struct assume_keys keys;
    assume_role_keys(ctx, in, &keys);
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "arn:aws:iam::%s:role/", ctx->account);
    const char *name = strrchr(role_arn, '/');
    if (strncmp(role_arn, prefix, strlen(prefix)) != 0 || !name)
        return not_authorized(ctx, role_arn, err);
    int r = store_iam_entity_get(ctx->tx, "role", name + 1, role, err);
    if (r < 0)
        return -1;
    if (r == 0 || strcmp(role->arn, role_arn) != 0 ||
        !trust_policy_allows(role->trust_policy, ctx->account, ctx->caller, "sts:AssumeRole", keys.keys, keys.n)) {
        if (r > 0)
            iam_entity_row_clear(role);
        return not_authorized(ctx, role_arn, err);
    }
    if (identity_allows(ctx, role_arn, err) < 0) {
        iam_entity_row_clear(role);
        return -1;
    }
    return 0;
}

API_ACTION(sts_assume_role)
{
    static const char *const unsupported[] = {"Policy",       "PolicyArns", "Tags",           "TransitiveTagKeys",
                                              "SerialNumber", "TokenCode",  "SourceIdentity", "ProvidedContexts"};
    const char *role_arn = json_string_value(json_object_get(in, "RoleArn"));
    const char *session = json_string_value(json_object_get(in, "RoleSessionName"));
    json_t *d = json_object_get(in, "DurationSeconds");
    int64_t seconds = d ? json_integer_value(d) : ROLE_SESSION_DEFAULT;
    if (refuse_unsupported(in, unsupported, ELEMENTSOF(unsupported), err) < 0)
        return -1;
    if (strspn(session, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+=,.@-") != strlen(session))
        return error_set(err, ERR_INVALID,
                         "1 validation error detected: Value '%.64s' at 'roleSessionName' failed to "
                         "satisfy constraint: Member must satisfy regular expression pattern: "
                         "[\\w+=,.@-]*",
                         session);
    struct principal caller;
    principal_parse(ctx->account, ctx->caller, &caller);
    struct iam_entity_row role = {0};
    if (assumable_role(ctx, in, role_arn, &role, err) < 0)
        return -1;
    int rc = 0;
    int64_t max = caller.kind == PRINCIPAL_ASSUMED_ROLE ? ROLE_CHAINED_MAX : role.max_session;
    if (seconds < ROLE_SESSION_MIN || seconds > max)
        rc = error_set(err, ERR_INVALID,
                       "The requested DurationSeconds exceeds the %s set for this role (%lld seconds).",
                       caller.kind == PRINCIPAL_ASSUMED_ROLE ? "1 hour session limit for roles assumed by role chaining"
                                                             : "MaxSessionDuration",
                       (long long)max);
    char arn[512], assumed_id[128];
    snprintf(arn, sizeof(arn), "arn:aws:sts::%s:assumed-role/%s/%s", ctx->account, role.name, session);
    snprintf(assumed_id, sizeof(assumed_id), "%s:%s", role.id, session);
    if (rc == 0)
        rc = issue(ctx, arn, seconds, out, err);
    if (rc == 0)
        json_object_set_new(out, "AssumedRoleUser", json_pack("{s:s, s:s}", "AssumedRoleId", assumed_id, "Arn", arn));
    iam_entity_row_clear(&role);
    return rc;
}

API_ACTION(sts_get_session_token)
{
    static const char *const unsupported[] = {"SerialNumber", "TokenCode"};
    if (refuse_unsupported(in, unsupported, ELEMENTSOF(unsupported), err) < 0)
        return -1;
    struct principal caller;
    principal_parse(ctx->account, ctx->caller, &caller);
    if ((caller.kind != PRINCIPAL_ROOT && caller.kind != PRINCIPAL_USER) || ctx->caller_temporary)
        return error_set(err, API_ERR_ACCESS_DENIED, "Cannot call GetSessionToken with session credentials");
    json_t *d = json_object_get(in, "DurationSeconds");
    int64_t max = caller.kind == PRINCIPAL_ROOT ? SESSION_TOKEN_ROOT_MAX : SESSION_TOKEN_MAX;
    int64_t seconds = d ? json_integer_value(d) : SESSION_TOKEN_DEFAULT;
    if (seconds > max)
        seconds = max; /* as STS: root sessions are cut to an hour */
    return issue(ctx, ctx->caller, seconds, out, err);
}
