/* Unit tests: the agent_contacts table servers on one PostgreSQL share
 * (here on a real SQLite store: the statements are the same). */
#include <stdbool.h>

#include "server/store/store_agent_contacts.h"
#include "store_tmp.h"
#include "test.h"

/* The rows a walk gave (at most 4: a test puts fewer). */
struct seen_rows {
    int64_t id[4];
    usec_t seen[4];
    size_t n;
};

static int collect(void *ud, int64_t instance_id, usec_t seen, struct error *err)
{
    struct seen_rows *r = ud;
    if (r->n == 4)
        return error_set(err, ERR_LIMIT, "more rows than put");
    r->id[r->n] = instance_id;
    r->seen[r->n++] = seen;
    return 0;
}

static bool has(const struct seen_rows *r, int64_t id, usec_t seen)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->id[i] == id)
            return r->seen[i] == seen;
    return false;
}

TEST(store_agent_contacts_move_forward_only_and_are_pruned)
{
    struct tmp_store t;
    struct store_tx *tx = NULL;
    CHECK(tmp_store_open_writing(&t, &tx) == 0);
    if (!tx)
        return;
    struct error err;
    CHECK(store_agent_contact_put(tx, 1, 100, &err) == 0);
    CHECK(store_agent_contact_put(tx, 1, 90, &err) == 0); /* an older contact changes nothing */
    CHECK(store_agent_contact_put(tx, 2, 50, &err) == 0);
    CHECK(store_agent_contact_put(tx, 3, 10, &err) == 0);
    struct seen_rows rows = {0};
    CHECK(store_agent_contacts_since(tx, 40, collect, &rows, &err) == 0);
    CHECK(rows.n == 2 && has(&rows, 1, 100) && has(&rows, 2, 50));
    CHECK(store_agent_contacts_prune(tx, 60, &err) == 0);
    rows = (struct seen_rows){0};
    CHECK(store_agent_contacts_since(tx, 0, collect, &rows, &err) == 0);
    CHECK(rows.n == 1 && has(&rows, 1, 100));
    CHECK(store_commit(tx, &err) == 0);
    tmp_store_close(&t);
}
