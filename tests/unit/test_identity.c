/* Unit tests: the policies that apply to a principal - a user's inline and
 * attached policies (the default version) and its groups', a role
 * session's role's, root's none - read from a real store. */
#include <string.h>

#include "server/iam/identity.h"
#include "server/iam/policy.h"
#include "server/store/store_iam.h"
#include "test.h"
#include "test_server.h"

#define ACCT "000000000000"
#define ALLOW(action) "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"" action "\",\"Resource\":\"*\"}]}"
#define DENY(action) "{\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"" action "\",\"Resource\":\"*\"}]}"

static int entity(struct store_tx *tx, const char *kind, const char *name, const char *id)
{
    struct iam_entity_row row = {.created_at = 1};
    struct error err;
    snprintf(row.kind, sizeof(row.kind), "%s", kind);
    snprintf(row.name, sizeof(row.name), "%s", name);
    snprintf(row.id, sizeof(row.id), "%s", id);
    snprintf(row.path, sizeof(row.path), "/");
    snprintf(row.arn, sizeof(row.arn), "arn:aws:iam::" ACCT ":%s/%s", kind, name);
    return store_iam_entity_insert(tx, &row, &err);
}

static int seed(struct store *store)
{
    struct store_tx *tx = NULL;
    struct error err;
    const char *arn = "arn:aws:iam::" ACCT ":policy/p";
    struct iam_policy_row p = {.next_version = 3};
    snprintf(p.arn, sizeof(p.arn), "%s", arn);
    snprintf(p.name, sizeof(p.name), "p");
    snprintf(p.id, sizeof(p.id), "ANPA1");
    snprintf(p.path, sizeof(p.path), "/");
    snprintf(p.default_version, sizeof(p.default_version), "v2");
    int rc = store_begin(store, true, &tx, &err);
    rc = rc ?: entity(tx, "user", "alice", "AIDA1");
    rc = rc ?: entity(tx, "group", "devs", "AGPA1");
    rc = rc ?: entity(tx, "role", "builder", "AROA1");
    rc = rc ?: store_iam_inline_put(tx, "user", "alice", "own", ALLOW("ecs:ListClusters"), &err);
    rc = rc ?: store_iam_policy_insert(tx, &p, &err);
    rc = rc ?: store_iam_version_insert(tx, arn, "v1", ALLOW("ecs:*"), 1, &err);
    rc = rc ?: store_iam_version_insert(tx, arn, "v2", ALLOW("logs:*"), 2, &err);
    rc = rc ?: (store_iam_attach(tx, "group", "devs", arn, &err) < 0 ? -1 : 0);
    rc = rc ?: (store_iam_member_add(tx, "devs", "alice", &err) < 0 ? -1 : 0);
    rc = rc ?: store_iam_inline_put(tx, "group", "devs", "no-delete", DENY("ecs:DeleteCluster"), &err);
    rc = rc ?: store_iam_inline_put(tx, "role", "builder", "run", ALLOW("ecs:RunTask"), &err);
    if (rc < 0) {
        fprintf(stderr, "  seed: %s\n", err.msg);
        store_rollback(tx);
        return -1;
    }
    return store_commit(tx, &err);
}

static enum policy_decision decide(struct store *store, const char *principal, const char *action)
{
    struct store_tx *tx = NULL;
    struct error err;
    struct identity_policies ids;
    if (store_begin(store, false, &tx, &err) < 0 || identity_policies_load(tx, ACCT, principal, &ids, &err) < 0) {
        fprintf(stderr, "  load: %s\n", err.msg);
        store_rollback(tx);
        return -1;
    }
    store_rollback(tx);
    struct policy_request req = {.action = action, .resource = "*"};
    enum policy_decision d =
        ids.root ? POLICY_ALLOW : policy_evaluate_all((const struct policy *const *)ids.policies, ids.n, &req);
    identity_policies_release(&ids);
    return d;
}

TEST(identity_policies_of_users_groups_roles_and_root)
{
    char dir[sizeof(TEST_SERVER_DIR_TEMPLATE)];
    struct server srv;
    CHECK(test_server_open(&srv, dir) == 0);
    CHECK(seed(srv.store) == 0);
    const char *alice = "arn:aws:iam::" ACCT ":user/alice";
    CHECK(decide(srv.store, alice, "ecs:ListClusters") == POLICY_ALLOW);          /* inline */
    CHECK(decide(srv.store, alice, "logs:GetLogEvents") == POLICY_ALLOW);         /* group's attached, default v2 */
    CHECK(decide(srv.store, alice, "ecs:RunTask") == POLICY_IMPLICIT_DENY);       /* v1 is not the default */
    CHECK(decide(srv.store, alice, "ecs:DeleteCluster") == POLICY_EXPLICIT_DENY); /* group's inline deny */
    const char *session = "arn:aws:sts::" ACCT ":assumed-role/builder/s1";
    CHECK(decide(srv.store, session, "ecs:RunTask") == POLICY_ALLOW);
    CHECK(decide(srv.store, session, "ecs:ListClusters") == POLICY_IMPLICIT_DENY);
    CHECK(decide(srv.store, "arn:aws:iam::" ACCT ":root", "anything:AtAll") == POLICY_ALLOW);
    CHECK(decide(srv.store, "arn:aws:iam::" ACCT ":user/nobody", "ecs:ListClusters") == POLICY_IMPLICIT_DENY);
    test_server_close(&srv, dir);
}

/* Compiled sets are cached; an IAM commit must still take effect on the
 * next request, whichever table it touched. */
TEST(identity_policies_follow_iam_commits)
{
    char dir[sizeof(TEST_SERVER_DIR_TEMPLATE)];
    struct server srv;
    struct error err;
    struct store_tx *tx = NULL;
    CHECK(test_server_open(&srv, dir) == 0);
    CHECK(seed(srv.store) == 0);
    const char *alice = "arn:aws:iam::" ACCT ":user/alice";
    CHECK(decide(srv.store, alice, "ecs:ListClusters") == POLICY_ALLOW);
    CHECK(decide(srv.store, alice, "ecs:ListClusters") == POLICY_ALLOW); /* from the cache */
    CHECK(store_begin(srv.store, true, &tx, &err) == 0);
    CHECK(store_iam_inline_delete(tx, "user", "alice", "own", &err) >= 0);
    CHECK(store_commit(tx, &err) == 0);
    CHECK(decide(srv.store, alice, "ecs:ListClusters") == POLICY_IMPLICIT_DENY);
    CHECK(decide(srv.store, alice, "logs:GetLogEvents") == POLICY_ALLOW);
    CHECK(store_begin(srv.store, true, &tx, &err) == 0);
    CHECK(store_iam_member_remove(tx, "devs", "alice", &err) >= 0);
    CHECK(store_commit(tx, &err) == 0);
    CHECK(decide(srv.store, alice, "logs:GetLogEvents") == POLICY_IMPLICIT_DENY);
    /* A rolled-back write changes nothing. */
    CHECK(store_begin(srv.store, true, &tx, &err) == 0);
    CHECK(store_iam_inline_put(tx, "user", "alice", "later", ALLOW("ecs:*"), &err) == 0);
    CHECK(decide(srv.store, alice, "ecs:ListClusters") == POLICY_IMPLICIT_DENY);
    store_rollback(tx);
    CHECK(decide(srv.store, alice, "ecs:ListClusters") == POLICY_IMPLICIT_DENY);
    test_server_close(&srv, dir);
}
