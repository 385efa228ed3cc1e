/* store_agent_contacts.c - the agent_contacts table (see store_agent_contacts.h). */
#include "server/store/store_agent_contacts.h"

#include "server/store/store_internal.h"
#include "server/store/store_row.h"

int store_agent_contact_put(struct store_tx *tx, int64_t instance_id, usec_t seen, struct error *err)
{
    return store_row_exec(tx,
                          "INSERT INTO agent_contacts (instance_id, seen) VALUES (?1, ?2)"
                          " ON CONFLICT (instance_id) DO UPDATE SET seen = MAX(seen, excluded.seen)",
                          STORE_ARGS(ARG_INT(instance_id), ARG_INT(seen)), err);
}

int store_agent_contacts_prune(struct store_tx *tx, usec_t before, struct error *err)
{
    return store_row_exec(tx, "DELETE FROM agent_contacts WHERE seen < ?1", STORE_ARGS(ARG_INT(before)), err);
}

struct walk {
    store_contact_fn fn;
    void *ud;
};

static int contact_row(db_stmt *s, void *ud, struct error *err)
{
    struct walk *w = ud;
    return w->fn(w->ud, db_col_int64(s, 0), db_col_int64(s, 1), err) < 0 ? -1 : 0;
}

int store_agent_contacts_since(struct store_tx *tx, usec_t after, store_contact_fn fn, void *ud, struct error *err)
{
    struct walk w = {fn, ud};
    db_stmt *s = store_row_stmt(tx, "SELECT instance_id, seen FROM agent_contacts WHERE seen > ?1",
                                STORE_ARGS(ARG_INT(after)), err);
    return store_row_each(tx, s, -1, contact_row, &w, NULL, "agent contacts", err);
}
