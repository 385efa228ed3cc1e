/* identity.h - the identity-based policies that apply to a principal,
 * compiled, for the dispatcher's authorisation step: the account's root is
 * allowed everything; an IAM user has its inline, attached and group
 * policies; an assumed role's session has the role's. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

struct store_tx;
struct policy;

struct identity_policy_set;

struct identity_policies {
    bool root;                      /* the account's root: no policy applies, everything is allowed */
    struct policy *const *policies; /* read-only: may be shared with other requests */
    size_t n;
    struct identity_policy_set *set; /* what release lets go of */
};

/* Fill *ret for principal_arn (as the signature check proved it), read in
 * the request's transaction; -1 only if the store failed.  Compiled sets
 * are cached per principal under the store's IAM generation (see
 * store_iam_generation), so a request after an IAM commit sees its effect
 * and others cost one read. */
int identity_policies_load(struct store_tx *tx, const char *account, const char *principal_arn,
                           struct identity_policies *ret, struct error *err);
void identity_policies_release(struct identity_policies *p);
