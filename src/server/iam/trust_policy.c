/* trust_policy.c - checking and evaluating role trust policies (see
 * trust_policy.h).  Documents are small and read only on AssumeRole, so
 * they are parsed each time rather than compiled. */
#include "server/iam/trust_policy.h"

#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/iam/policy.h"

#define MAX_TRUST_TEXT 131072

/* A string or a list of strings, as policy grammar allows either. */
static bool strings_ok(json_t *v)
{
    if (json_is_string(v))
        return true;
    if (!json_is_array(v) || json_array_size(v) == 0)
        return false;
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
        if (!json_is_string(e))
            return false;
    }
    return true;
}

static int check_statement(json_t *s, size_t i, struct error *err)
{
    const char *effect = json_string_value(json_object_get(s, "Effect"));
    json_t *principal = json_object_get(s, "Principal");
    if (!json_is_object(s))
        return error_set(err, ERR_INVALID, "Statement %zu is not an object", i);
    if (!effect || (strcmp(effect, "Allow") != 0 && strcmp(effect, "Deny") != 0))
        return error_set(err, ERR_INVALID, "Statement %zu: Effect must be Allow or Deny", i);
    if (json_object_get(s, "NotPrincipal") || json_object_get(s, "NotAction"))
        return error_set(err, ERR_INVALID,
                         "Statement %zu: berth does not support NotPrincipal or NotAction in trust "
                         "policies",
                         i);
    if (!principal ||
        !(json_is_object(principal) || (json_is_string(principal) && strcmp(json_string_value(principal), "*") == 0)))
        return error_set(err, ERR_INVALID, "Statement %zu: a trust policy statement needs a Principal", i);
    const char *kind;
    json_t *who;
    json_object_foreach(principal, kind, who) {
        if (!strings_ok(who))
            return error_set(err, ERR_INVALID, "Statement %zu: Principal.%s must be a string or a list of strings", i,
                             kind);
    }
    if (!strings_ok(json_object_get(s, "Action")))
        return error_set(err, ERR_INVALID, "Statement %zu: Action must be a string or a list of strings", i);
    json_t *cond = json_object_get(s, "Condition");
    bool holds;
    if (cond && policy_conditions_hold(cond, NULL, 0, &holds, err) < 0)
        return error_prefix(err, "Statement %zu", i);
    return 0;
}

/* The document's statements as an array (one statement may stand alone). */
static json_t *statements_of(json_t *doc)
{
    json_t *st = json_object_get(doc, "Statement");
    if (json_is_object(st)) {
        json_t *one = json_array();
        json_array_append(one, st);
        return one;
    }
    return json_is_array(st) ? json_incref(st) : NULL;
}

int trust_policy_check(const char *doc, struct error *err)
{
    if (!doc || strlen(doc) > MAX_TRUST_TEXT)
        return error_set(err, ERR_INVALID, "The trust policy is missing or longer than %d characters", MAX_TRUST_TEXT);
    json_error_t jerr;
    _cleanup_json_ json_t *root = json_loads(doc, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(root))
        return error_set(err, ERR_INVALID, "This policy contains invalid Json");
    const char *version = json_string_value(json_object_get(root, "Version"));
    if (version && strcmp(version, "2012-10-17") != 0 && strcmp(version, "2008-10-17") != 0)
        return error_set(err, ERR_INVALID, "Policy Version %.32s is not supported", version);
    _cleanup_json_ json_t *statements = statements_of(root);
    if (!statements || json_array_size(statements) == 0)
        return error_set(err, ERR_INVALID, "Syntax errors in policy: a Statement is required");
    size_t i;
    json_t *s;
    json_array_foreach(statements, i, s) {
        if (check_statement(s, i, err) < 0)
            return -1;
    }
    return 0;
}

static bool any_string(json_t *v, bool (*match)(const char *entry, const void *ud), const void *ud)
{
    if (json_is_string(v))
        return match(json_string_value(v), ud);
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
        if (json_is_string(e) && match(json_string_value(e), ud))
            return true;
    }
    return false;
}

struct caller {
    const char *account;
    const char *arn;
    const char *service;           /* a service principal ("ecs-tasks.amazonaws.com"), or NULL for arn */
    const struct policy_key *keys; /* the request's context, for Conditions */
    size_t nkeys;
};

/* A Service principal entry naming the service that asks. */
static bool names_service(const char *entry, const void *ud)
{
    const struct caller *c = ud;
    return strcmp(entry, c->service) == 0;
}

/* An AWS principal entry naming the caller: "*", the caller's ARN, its
 * account (as the root ARN or the bare id), or, for an assumed-role
 * session, its role's ARN. */
static bool names_caller(const char *entry, const void *ud)
{
    const struct caller *c = ud;
    char root[64], role_prefix[64], session_prefix[64];
    snprintf(root, sizeof(root), "arn:aws:iam::%s:root", c->account);
    if (strcmp(entry, "*") == 0 || strcmp(entry, c->arn) == 0 || strcmp(entry, root) == 0 ||
        strcmp(entry, c->account) == 0)
        return true;
    snprintf(session_prefix, sizeof(session_prefix), "arn:aws:sts::%s:assumed-role/", c->account);
    snprintf(role_prefix, sizeof(role_prefix), "arn:aws:iam::%s:role/", c->account);
    size_t sp = strlen(session_prefix), rp = strlen(role_prefix);
    if (strncmp(c->arn, session_prefix, sp) != 0 || strncmp(entry, role_prefix, rp) != 0)
        return false;
    const char *role = c->arn + sp;
    const char *slash = strchr(role, '/');
    const char *entry_name = strrchr(entry, '/') + 1;
    return slash && strlen(entry_name) == (size_t)(slash - role) &&
           strncmp(entry_name, role, (size_t)(slash - role)) == 0;
}

static bool action_matches(const char *pattern, const void *action) { return policy_glob(pattern, action, true); }

static bool statement_applies(json_t *s, const struct caller *c, const char *action)
{
    json_t *principal = json_object_get(s, "Principal");
    bool who;
    if (c->service) /* only a Service entry names a service: "*" stands for AWS accounts' callers */
        who = any_string(json_object_get(principal, "Service"), names_service, c);
    else
        who = json_is_string(principal) ? true : any_string(json_object_get(principal, "AWS"), names_caller, c);
    return who && any_string(json_object_get(s, "Action"), action_matches, action);
}

/* A statement's Condition against the request's keys; a malformed one
 * (only in a document stored before berth checked conditions) holds for a
 * Deny and not for an Allow: the safe side. */
static bool conditions_hold(json_t *s, const struct caller *c, bool deny)
{
    json_t *cond = json_object_get(s, "Condition");
    struct error err;
    bool holds = true;
    if (cond && policy_conditions_hold(cond, c->keys, c->nkeys, &holds, &err) < 0)
        return deny;
    return holds;
}

static bool allows(const char *doc, const struct caller *c, const char *action)
{
    json_error_t jerr;
    _cleanup_json_ json_t *root = doc ? json_loads(doc, 0, &jerr) : NULL;
    _cleanup_json_ json_t *statements = root ? statements_of(root) : NULL;
    bool allowed = false;
    size_t i;
    json_t *s;
    json_array_foreach(statements, i, s) {
        bool deny = strcmp(json_string_value(json_object_get(s, "Effect")) ?: "", "Deny") == 0;
        if (!statement_applies(s, c, action) || !conditions_hold(s, c, deny))
            continue;
        if (deny)
            return false;
        allowed = true;
    }
    return allowed;
}

bool trust_policy_allows(const char *doc, const char *account, const char *principal_arn, const char *action,
                         const struct policy_key *keys, size_t nkeys)
{
    struct caller c = {account, principal_arn, NULL, keys, nkeys};
    return allows(doc, &c, action);
}

bool trust_policy_allows_service(const char *doc, const char *service, const char *action,
                                 const struct policy_key *keys, size_t nkeys)
{
    struct caller c = {"", "", service, keys, nkeys};
    return allows(doc, &c, action);
}
