/* store_insights.c - the clusters Container Insights walks (see
 * store_insights.h).  The counts themselves come from the clusters',
 * services' and tasks' own tables. */
#include "server/store/store_insights.h"

#include "common/cleanup.h"
#include "server/store/store_internal.h"
#include "server/store/store_row.h"

struct walk {
    store_insights_cluster_fn fn;
    void *ud;
};

static int each_cluster(db_stmt *s, void *ud, struct error *err)
{
    const struct walk *w = ud;
    _cleanup_json_ json_t *doc = store_row_doc(s, 3, err);
    if (!doc)
        return -1;
    return w->fn(db_col_int64(s, 0), store_col_text(s, 1), store_col_text(s, 2), doc, w->ud, err);
}

int store_insights_clusters(struct store_tx *tx, store_insights_cluster_fn fn, void *ud, struct error *err)
{
    struct walk w = {fn, ud};
    db_stmt *s = store_stmt(tx, "SELECT id, region, name, doc FROM clusters WHERE status = 'ACTIVE' ORDER BY id", err);
    return store_row_each(tx, s, -1, each_cluster, &w, NULL, "clusters for Container Insights", err);
}
