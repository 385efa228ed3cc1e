/* Unit tests: the agent_contacts table servers on one PostgreSQL share
 * (here on a real SQLite store: the statements are the same). */
#include "server/store/store_agent_contacts.h"
#include "store_tmp.h"
#include "test.h"

static int sum_seen(void *ud, int64_t instance_id, usec_t seen, struct error *err)
{
    int64_t *sum = ud;
    *sum += instance_id * 1000 + seen;
    return 0;
}

TEST(store_agent_contacts_move_forward_only_and_are_pruned)
{
    struct tmp_store t;
    CHECK(tmp_store_open(&t) == 0);
    if (!t.st)
        return;
    struct error err;
    struct store_tx *tx = NULL;
    CHECK(store_begin(t.st, true, &tx, &err) == 0);
    CHECK(store_agent_contact_put(tx, 1, 100, &err) == 0);
    CHECK(store_agent_contact_put(tx, 1, 90, &err) == 0); /* an older contact changes nothing */
    CHECK(store_agent_contact_put(tx, 2, 50, &err) == 0);
    CHECK(store_agent_contact_put(tx, 3, 10, &err) == 0);
    int64_t sum = 0;
    CHECK(store_agent_contacts_since(tx, 40, sum_seen, &sum, &err) == 0);
    CHECK(sum == 1000 + 100 + 2000 + 50);
    CHECK(store_agent_contacts_prune(tx, 60, &err) == 0);
    sum = 0;
    CHECK(store_agent_contacts_since(tx, 0, sum_seen, &sum, &err) == 0);
    CHECK(sum == 1000 + 100);
    CHECK(store_commit(tx, &err) == 0);
    tmp_store_close(&t);
}
