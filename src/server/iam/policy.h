/* policy.h - IAM policy evaluation as AWS documents it: an explicit Deny
 * wins over any Allow, an Allow wins over the implicit deny.  A document is
 * compiled once (Statement, Effect, Action/NotAction, Resource/NotResource
 * with * and ? wildcards, Condition) and then evaluated against requests:
 * an action ("ecs:RunTask"), a resource ARN and the request's context keys
 * ("ecs:cluster", "aws:ResourceTag/env", ...).
 *
 * Condition operators: StringEquals, StringNotEquals, StringEqualsIgnoreCase,
 * StringNotEqualsIgnoreCase, StringLike, StringNotLike, ArnEquals, ArnLike,
 * ArnNotEquals, ArnNotLike, Bool, Null; the ForAnyValue:/ForAllValues:
 * prefixes and the IfExists suffix.  Anything else is refused at compile
 * time, never ignored. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

enum policy_decision {
    POLICY_IMPLICIT_DENY = 0, /* no statement allows it */
    POLICY_ALLOW,
    POLICY_EXPLICIT_DENY,
};

/* One context key and its values, as the request supplies them. */
struct policy_key {
    const char *name; /* "aws:ResourceTag/env" */
    const char *const *values;
    size_t nvalues;
};

struct policy_request {
    const char *action;   /* "ecs:RunTask" */
    const char *resource; /* the resource ARN, or "*" */
    const struct policy_key *keys;
    size_t nkeys;
};

struct policy;

/* Compile a policy document (JSON text of at most 10,240 characters, as
 * IAM's managed policies); -1 with ERR_INVALID naming what is wrong (IAM's
 * MalformedPolicyDocument). */
int policy_compile(const char *text, size_t len, struct policy **ret, struct error *err);
void policy_free(struct policy *p);

/* The decision of one policy. */
enum policy_decision policy_evaluate(const struct policy *p, const struct policy_request *req);
/* The decision of several (an identity's policies together): any explicit
 * deny, else any allow, else the implicit deny. */
enum policy_decision policy_evaluate_all(const struct policy *const *ps, size_t n, const struct policy_request *req);

/* Whether every condition of a statement's Condition block holds for
 * the given keys, with the operators policy_compile takes; -1 with
 * ERR_INVALID if the block is malformed.  For trust policies, whose
 * statements name a Principal and are not compiled whole. */
int policy_conditions_hold(json_t *condition, const struct policy_key *keys, size_t nkeys, bool *ret,
                           struct error *err);

/* Glob match with * and ? (case-insensitive when fold); for actions and ARNs. */
bool policy_glob(const char *pattern, const char *s, bool fold);
