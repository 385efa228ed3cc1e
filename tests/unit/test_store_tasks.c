/* Unit tests: the tasks table keeps its indexes true when an update leaves
 * the placement and the desired status out of its SET list (an agent's
 * report), including a row put twice without being read again. */
#include <string.h>

#include "server/store/store_clusters.h"
#include "server/store/store_tasks.h"
#include "store_tmp.h"
#include "test.h"

/* How many of the cluster's tasks ListTasks finds with this desired status. */
static size_t listed(struct store_tx *tx, int64_t cluster_id, const char *desired)
{
    struct error err;
    struct task_filter f = {.desired_status = desired};
    json_t *uuids = json_array();
    bool more = false;
    size_t n = store_task_list(tx, cluster_id, &f, "", 100, uuids, &more, &err) < 0 ? 999 : json_array_size(uuids);
    json_decref(uuids);
    return n;
}

/* An ACTIVE cluster of this name in region r1, into *c. */
static int put_cluster(struct store_tx *tx, const char *name, struct cluster_row *c)
{
    struct error err;
    *c = (struct cluster_row){.created_at = 1};
    snprintf(c->name, sizeof(c->name), "%s", name);
    snprintf(c->status, sizeof(c->status), "ACTIVE");
    c->doc = json_object();
    return store_cluster_put(tx, "r1", c, &err);
}

TEST(store_task_updates_keep_the_status_indexes_true)
{
    struct tmp_store t;
    struct store_tx *tx = NULL;
    CHECK(tmp_store_open_writing(&t, &tx) == 0);
    if (!tx)
        return;
    struct error err;
    struct cluster_row c;
    CHECK(put_cluster(tx, "c1", &c) == 0);

    struct task_row row = {.cluster_id = c.id, .created_at = 1, .seq = 1};
    snprintf(row.uuid, sizeof(row.uuid), "0123456789abcdef0123456789abcdef");
    snprintf(row.family, sizeof(row.family), "web");
    row.taskdef_arn = strdup("arn:aws:ecs:r1:1:task-definition/web:1");
    snprintf(row.launch_type, sizeof(row.launch_type), "EC2");
    snprintf(row.desired_status, sizeof(row.desired_status), "RUNNING");
    snprintf(row.last_status, sizeof(row.last_status), "PENDING");
    row.doc = json_object();
    CHECK(store_task_put(tx, &row, &err) == 0);
    task_row_clear(&row);

    /* A report: read, last status moves, the rest stays. */
    CHECK(store_task_get(tx, c.id, "0123456789abcdef0123456789abcdef", &row, &err) == 1);
    snprintf(row.last_status, sizeof(row.last_status), "RUNNING");
    row.seq = 2;
    CHECK(store_task_put(tx, &row, &err) == 0);
    CHECK(listed(tx, c.id, "RUNNING") == 1);
    /* StopTask on the same row, then back, without reading it again. */
    snprintf(row.desired_status, sizeof(row.desired_status), "STOPPED");
    CHECK(store_task_put(tx, &row, &err) == 0);
    CHECK(listed(tx, c.id, "RUNNING") == 0 && listed(tx, c.id, "STOPPED") == 1);
    snprintf(row.desired_status, sizeof(row.desired_status), "RUNNING");
    CHECK(store_task_put(tx, &row, &err) == 0);
    CHECK(listed(tx, c.id, "RUNNING") == 1 && listed(tx, c.id, "STOPPED") == 0);
    task_row_clear(&row);

    CHECK(store_task_get(tx, c.id, "0123456789abcdef0123456789abcdef", &row, &err) == 1);
    CHECK_STR(row.desired_status, "RUNNING");
    CHECK_STR(row.last_status, "RUNNING");
    CHECK(row.seq == 2);
    task_row_clear(&row);
    cluster_row_clear(&c);
    store_rollback(tx);
    tmp_store_close(&t);
}

static int put_task(struct store_tx *tx, int64_t cluster_id, const char *uuid, int64_t instance_id, const char *family,
                    const char *desired)
{
    struct error err;
    struct task_row row = {.cluster_id = cluster_id, .instance_id = instance_id, .created_at = 1, .seq = 1};
    snprintf(row.uuid, sizeof(row.uuid), "%s", uuid);
    snprintf(row.family, sizeof(row.family), "%s", family);
    row.taskdef_arn = strdup("arn:aws:ecs:r1:1:task-definition/web:1");
    snprintf(row.launch_type, sizeof(row.launch_type), "EC2");
    snprintf(row.desired_status, sizeof(row.desired_status), "%s", desired);
    snprintf(row.last_status, sizeof(row.last_status), "PENDING");
    row.doc = json_object();
    int r = store_task_put(tx, &row, &err);
    task_row_clear(&row);
    return r;
}

/* One page of ListTasks by containerInstance, as "uuid,uuid,...". */
static void list_page(struct store_tx *tx, int64_t cluster_id, const struct task_filter *f, const char *after,
                      char *out, size_t cap, bool *more)
{
    struct error err;
    json_t *uuids = json_array();
    snprintf(out, cap, "%s", store_task_list(tx, cluster_id, f, after, 2, uuids, more, &err) < 0 ? "error" : "");
    size_t i;
    json_t *v;
    json_array_foreach(uuids, i, v) {
        size_t len = strlen(out);
        snprintf(out + len, cap - len, "%s%s", len ? "," : "", json_string_value(v));
    }
    json_decref(uuids);
}

TEST(store_task_list_by_instance_pages_in_uuid_order)
{
    struct tmp_store t;
    struct store_tx *tx = NULL;
    CHECK(tmp_store_open_writing(&t, &tx) == 0);
    if (!tx)
        return;
    struct cluster_row c, other;
    CHECK(put_cluster(tx, "c1", &c) == 0 && put_cluster(tx, "c2", &other) == 0);
    /* Inserted out of uuid order, beside tasks another filter must drop. */
    CHECK(put_task(tx, c.id, "d4", 7, "web", "RUNNING") == 0);
    CHECK(put_task(tx, c.id, "a1", 7, "web", "RUNNING") == 0);
    CHECK(put_task(tx, c.id, "b2", 8, "web", "RUNNING") == 0);
    CHECK(put_task(tx, c.id, "c3", 7, "db", "RUNNING") == 0);
    CHECK(put_task(tx, c.id, "e5", 7, "web", "STOPPED") == 0);
    CHECK(put_task(tx, other.id, "b0", 7, "web", "RUNNING") == 0);
    CHECK(put_task(tx, c.id, "f6", 7, "web", "RUNNING") == 0);

    char page[200];
    bool more = false;
    struct task_filter f = {.desired_status = "RUNNING", .instance_id = 7};
    list_page(tx, c.id, &f, "", page, sizeof(page), &more);
    CHECK_STR(page, "a1,c3");
    CHECK(more);
    list_page(tx, c.id, &f, "c3", page, sizeof(page), &more);
    CHECK_STR(page, "d4,f6");
    CHECK(!more);
    f.family = "web";
    list_page(tx, c.id, &f, "", page, sizeof(page), &more);
    CHECK_STR(page, "a1,d4");
    CHECK(more);
    f = (struct task_filter){.desired_status = "STOPPED", .instance_id = 7};
    list_page(tx, c.id, &f, "", page, sizeof(page), &more);
    CHECK_STR(page, "e5");
    CHECK(!more);
    cluster_row_clear(&c);
    cluster_row_clear(&other);
    store_rollback(tx);
    tmp_store_close(&t);
}
