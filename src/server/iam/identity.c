/* identity.c - the identity-based policies that apply to a principal (see
 * identity.h): for an IAM user its inline policies, the default version of
 * each managed policy attached to it, and the same for each of its groups;
 * for a role session the role's inline and attached policies; for the
 * account's root nothing (root may do anything).  Read from the store in
 * the caller's transaction and compiled on each call: correctness first
 * (a policy changed by the last commit applies to the next request). */
#include "server/iam/identity.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/cleanup.h"
#include "server/iam/policy.h"
#include "server/iam/principal.h"
#include "server/store/store_iam.h"

/* The documents of one identity: inline, then each attached policy's
 * default version. */
static int documents_of(struct store_tx *tx, const char *kind, const char *name, json_t *docs, struct error *err)
{
    if (store_iam_inline_documents(tx, kind, name, docs, err) < 0)
        return -1;
    _cleanup_json_ json_t *arns = json_array();
    if (store_iam_attached(tx, kind, name, NULL, -1, arns, NULL, err) < 0)
        return -1;
    size_t i;
    json_t *arn;
    json_array_foreach(arns, i, arn) {
        struct iam_policy_row p;
        int r = store_iam_policy_get(tx, json_string_value(arn), &p, err);
        _cleanup_free_ char *doc = NULL;
        if (r > 0)
            r = store_iam_version_get(tx, p.arn, p.default_version, &doc, NULL, err);
        if (r < 0)
            return -1;
        if (r > 0)
            json_array_append_new(docs, json_string(doc));
    }
    return 0;
}

static int documents_of_principal(struct store_tx *tx, const struct principal *p, json_t *docs, struct error *err)
{
    if (p->kind == PRINCIPAL_ASSUMED_ROLE)
        return documents_of(tx, "role", p->name, docs, err);
    if (p->kind != PRINCIPAL_USER)
        return 0;
    if (documents_of(tx, "user", p->name, docs, err) < 0)
        return -1;
    _cleanup_json_ json_t *groups = json_array();
    if (store_iam_user_groups(tx, p->name, groups, err) < 0)
        return -1;
    size_t i;
    json_t *g;
    json_array_foreach(groups, i, g) {
        if (documents_of(tx, "group", json_string_value(g), docs, err) < 0)
            return -1;
    }
    return 0;
}

int identity_policies_load(struct store_tx *tx, const char *account, const char *principal_arn,
                           struct identity_policies *ret, struct error *err)
{
    struct principal p;
    principal_parse(account, principal_arn, &p);
    memset(ret, 0, sizeof(*ret));
    if (p.kind == PRINCIPAL_ROOT) {
        ret->root = true;
        return 0;
    }
    _cleanup_json_ json_t *docs = json_array();
    if (!docs || documents_of_principal(tx, &p, docs, err) < 0)
        return -1;
    size_t n = json_array_size(docs);
    struct identity_policies out = {.policies = calloc(n ? n : 1, sizeof(struct policy *))};
    if (!out.policies)
        return error_set(err, ERR_INTERNAL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const char *text = json_string_value(json_array_get(docs, i));
        /* Every document was compiled before it was stored: a failure now
         * is a fault, and fails closed rather than dropping a Deny. */
        if (policy_compile(text, strlen(text), &out.policies[out.n], err) < 0) {
            identity_policies_release(&out);
            err->kind = ERR_INTERNAL;
            return error_prefix(err, "stored policy of %s", principal_arn);
        }
        out.n++;
    }
    *ret = out;
    return 0;
}

void identity_policies_release(struct identity_policies *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        policy_free(p->policies[i]);
    free(p->policies);
    memset(p, 0, sizeof(*p));
}
