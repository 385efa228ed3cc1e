/* identity.c - which policies apply to whom (see identity.h).  This first
 * version knows the root only; IAM users and roles bring their own. */
#include "server/iam/identity.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/iam/policy.h"

int identity_policies_load(struct store_tx *tx, const char *account, const char *principal_arn,
                           struct identity_policies *ret, struct error *err)
{
    (void)tx;
    (void)err;
    char root[64];
    snprintf(root, sizeof(root), "arn:aws:iam::%s:root", account);
    *ret = (struct identity_policies){.root = strcmp(principal_arn, root) == 0};
    return 0;
}

void identity_policies_release(struct identity_policies *p)
{
    for (size_t i = 0; i < p->n; i++)
        policy_free(p->policies[i]);
    free(p->policies);
    *p = (struct identity_policies){0};
}
