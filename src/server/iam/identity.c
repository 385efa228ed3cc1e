/* identity.c - the identity-based policies that apply to a principal (see
 * identity.h): for an IAM user its inline policies, the default version of
 * each managed policy attached to it, and the same for each of its groups;
 * for a role session the role's inline and attached policies; for the
 * account's root nothing (root may do anything).  Read from the store in
 * the caller's transaction.  Compiling them costs far more than evaluating
 * them, so compiled sets are kept in a small direct-mapped cache keyed by
 * principal and the IAM generation read in the same transaction: an entry
 * is used only if no IAM write committed since it was built (the snapshot
 * the request reads is the one the entry was made from). */
#include "server/iam/identity.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
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

struct identity_policy_set {
    int refs; /* the cache's and each request's; under cache_lock */
    size_t n;
    struct policy **policies;
};

#define CACHE_SLOTS 256

static struct cache_slot {
    char principal[256];
    int64_t generation;
    struct identity_policy_set *set;
} cache[CACHE_SLOTS];
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

static void set_free(struct identity_policy_set *set)
{
    for (size_t i = 0; i < set->n; i++)
        policy_free(set->policies[i]);
    free(set->policies);
    free(set);
}

/* Drop one reference; the caller holds cache_lock.  The set to free, if
 * that was the last, so it is freed outside the lock. */
static struct identity_policy_set *unref_locked(struct identity_policy_set *set)
{
    return set && --set->refs == 0 ? set : NULL;
}

static struct cache_slot *slot_of(const char *principal)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const char *c = principal; *c; c++)
        h = (h ^ (unsigned char)*c) * 16777619u;
    return &cache[h % CACHE_SLOTS];
}

static struct identity_policy_set *cache_get(const char *principal, int64_t generation)
{
    struct cache_slot *slot = slot_of(principal);
    struct identity_policy_set *set = NULL;
    pthread_mutex_lock(&cache_lock);
    if (slot->set && slot->generation == generation && strcmp(slot->principal, principal) == 0) {
        set = slot->set;
        set->refs++;
    }
    pthread_mutex_unlock(&cache_lock);
    return set;
}

static void cache_put(const char *principal, int64_t generation, struct identity_policy_set *set)
{
    struct cache_slot *slot = slot_of(principal);
    if (strlen(principal) >= sizeof(slot->principal))
        return;
    pthread_mutex_lock(&cache_lock);
    struct identity_policy_set *old = unref_locked(slot->set);
    snprintf(slot->principal, sizeof(slot->principal), "%s", principal);
    slot->generation = generation;
    slot->set = set;
    set->refs++;
    pthread_mutex_unlock(&cache_lock);
    if (old)
        set_free(old);
}

/* Read and compile the policies of p (one reference, the caller's). */
static int compile_set(struct store_tx *tx, const struct principal *p, const char *principal_arn,
                       struct identity_policy_set **ret, struct error *err)
{
    _cleanup_json_ json_t *docs = json_array();
    if (!docs || documents_of_principal(tx, p, docs, err) < 0)
        return -1;
    size_t n = json_array_size(docs);
    struct identity_policy_set *set = calloc(1, sizeof(*set));
    if (set)
        set->policies = calloc(n ? n : 1, sizeof(struct policy *));
    if (!set || !set->policies) {
        free(set);
        return error_set(err, ERR_INTERNAL, "out of memory");
    }
    set->refs = 1;
    for (size_t i = 0; i < n; i++) {
        const char *text = json_string_value(json_array_get(docs, i));
        /* Every document was compiled before it was stored: a failure now
         * is a fault, and fails closed rather than dropping a Deny. */
        if (policy_compile(text, strlen(text), &set->policies[set->n], err) < 0) {
            set_free(set);
            err->kind = ERR_INTERNAL;
            return error_prefix(err, "stored policy of %s", principal_arn);
        }
        set->n++;
    }
    *ret = set;
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
    int64_t generation;
    if (store_iam_generation(tx, &generation, err) < 0)
        return -1;
    struct identity_policy_set *set = cache_get(principal_arn, generation);
    if (!set) {
        if (compile_set(tx, &p, principal_arn, &set, err) < 0)
            return -1;
        cache_put(principal_arn, generation, set);
    }
    *ret = (struct identity_policies){.policies = set->policies, .n = set->n, .set = set};
    return 0;
}

void identity_policies_release(struct identity_policies *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&cache_lock);
    struct identity_policy_set *last = unref_locked(p->set);
    pthread_mutex_unlock(&cache_lock);
    if (last)
        set_free(last);
    memset(p, 0, sizeof(*p));
}
