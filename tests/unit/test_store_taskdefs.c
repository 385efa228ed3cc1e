/* Unit tests: the task definition tables, against a real SQLite store in a
 * temporary directory, including the reaper that DeleteTaskDefinitions
 * relies on. */
#include <stdlib.h>
#include <unistd.h>

#include "server/store/store.h"
#include "server/store/store_tags.h"
#include "server/store/store_taskdefs.h"
#include "server/ecs/taskdefs.h"
#include "store_tmp.h"
#include "test.h"

/* Register family:next with the given status; returns the revision. */
static int add(struct store_tx *tx, const char *family, const char *status)
{
    struct error err;
    struct taskdef_row row = {.registered_at = 1000000};
    snprintf(row.family, sizeof(row.family), "%s", family);
    snprintf(row.status, sizeof(row.status), "%s", status);
    if (store_taskdef_next_revision(tx, "r1", family, &row.revision, &err) < 0)
        return -1;
    snprintf(row.arn, sizeof(row.arn), "arn:aws:ecs:r1:1:task-definition/%s:%d", family, row.revision);
    row.doc = json_pack("{s:s}", "family", family);
    int r = store_taskdef_insert(tx, "r1", &row, &err);
    int rev = row.revision;
    taskdef_row_clear(&row);
    return r < 0 ? -1 : rev;
}

TEST(store_taskdef_revisions_reap_and_listing)
{
    struct tmp_store t;
    struct store_tx *tx = NULL;
    CHECK(tmp_store_open_writing(&t, &tx) == 0);
    if (!tx)
        return;
    struct error err;
    CHECK(add(tx, "web", "ACTIVE") == 1);
    CHECK(add(tx, "web", "INACTIVE") == 2);
    CHECK(add(tx, "web", "DELETE_IN_PROGRESS") == 3);
    CHECK(add(tx, "db", "DELETE_IN_PROGRESS") == 1);
    json_t *tags = json_pack("[{s:s, s:s}]", "key", "k", "value", "v");
    CHECK(store_tags_put(tx, "arn:aws:ecs:r1:1:task-definition/web:3", tags, &err) == 0);
    CHECK(store_tags_put(tx, "arn:aws:ecs:r1:1:task-definition/web:1", tags, &err) == 0);
    json_decref(tags);

    /* Family listing counts DELETE_IN_PROGRESS revisions until reaped. */
    json_t *names = json_array();
    bool more = true;
    CHECK(store_taskdef_families(tx, "r1", NULL, "INACTIVE", NULL, 10, names, &more, &err) == 0);
    CHECK(json_array_size(names) == 1 && !more);
    CHECK_STR(json_string_value(json_array_get(names, 0)), "db");
    json_decref(names);

    CHECK(taskdefs_reap(tx, 0, &err) == 0);
    struct taskdef_row row;
    CHECK(store_taskdef_get(tx, "r1", "web", 3, &row, &err) == 0);
    CHECK(store_taskdef_get(tx, "r1", "db", 1, &row, &err) == 0);
    CHECK(store_taskdef_get(tx, "r1", "web", 2, &row, &err) == 1);
    CHECK_STR(row.status, "INACTIVE");
    taskdef_row_clear(&row);
    /* Revision 0 means the latest ACTIVE one. */
    CHECK(store_taskdef_get(tx, "r1", "web", 0, &row, &err) == 1);
    CHECK(row.revision == 1);
    taskdef_row_clear(&row);
    int n = -1;
    CHECK(store_tags_count(tx, "arn:aws:ecs:r1:1:task-definition/web:3", &n, &err) == 0 && n == 0);
    CHECK(store_tags_count(tx, "arn:aws:ecs:r1:1:task-definition/web:1", &n, &err) == 0 && n == 1);
    /* Numbers are not reused after the reaper ran. */
    CHECK(add(tx, "web", "ACTIVE") == 4);
    CHECK(add(tx, "db", "ACTIVE") == 2);
    /* A fully reaped family is no longer listed; db has a new revision. */
    names = json_array();
    CHECK(store_taskdef_families(tx, "r1", NULL, "ALL", NULL, 10, names, &more, &err) == 0);
    CHECK(json_array_size(names) == 2);
    json_decref(names);

    /* Listing resumes after the cursor, in either order. */
    json_t *arns = json_array();
    struct taskdef_cursor cur = {.set = false};
    CHECK(store_taskdef_list(tx, "r1", NULL, "ACTIVE", false, &cur, 2, arns, &more, &err) == 0);
    CHECK(json_array_size(arns) == 2 && more);
    CHECK_STR(json_string_value(json_array_get(arns, 0)), "arn:aws:ecs:r1:1:task-definition/db:2");
    CHECK_STR(json_string_value(json_array_get(arns, 1)), "arn:aws:ecs:r1:1:task-definition/web:1");
    json_array_clear(arns);
    CHECK(store_taskdef_list(tx, "r1", NULL, "ACTIVE", false, &cur, 2, arns, &more, &err) == 0);
    CHECK(json_array_size(arns) == 1 && !more);
    CHECK_STR(json_string_value(json_array_get(arns, 0)), "arn:aws:ecs:r1:1:task-definition/web:4");
    json_array_clear(arns);
    struct taskdef_cursor back = {.set = false};
    CHECK(store_taskdef_list(tx, "r1", NULL, "ACTIVE", true, &back, 10, arns, &more, &err) == 0);
    CHECK(json_array_size(arns) == 3);
    CHECK_STR(json_string_value(json_array_get(arns, 0)), "arn:aws:ecs:r1:1:task-definition/web:4");
    json_decref(arns);

    /* What RunTask and CreateService will use. */
    struct op_ctx ctx = {.tx = tx, .region = "r1", .account = "1", .now = 2000000};
    json_t *td = NULL;
    CHECK(taskdef_resolve(&ctx, "web", true, &td, &err) == 0);
    CHECK(json_integer_value(json_object_get(td, "revision")) == 4);
    CHECK_STR(json_string_value(json_object_get(td, "taskDefinitionArn")), "arn:aws:ecs:r1:1:task-definition/web:4");
    json_decref(td);
    td = NULL;
    CHECK(taskdef_resolve(&ctx, "arn:aws:ecs:r1:1:task-definition/web:2", false, &td, &err) == 0);
    CHECK_STR(json_string_value(json_object_get(td, "status")), "INACTIVE");
    json_decref(td);
    CHECK(taskdef_resolve(&ctx, "web:2", true, &td, &err) == -1);
    CHECK(err.kind == API_ERR_CLIENT && strcmp(err.msg, "TaskDefinition is inactive") == 0);
    CHECK(taskdef_resolve(&ctx, "web:3", false, &td, &err) == -1);
    CHECK_STR(err.msg, "TaskDefinition not found.");
    CHECK(taskdef_resolve(&ctx, "arn:aws:ecs:r2:1:task-definition/web:4", false, &td, &err) == -1);
    CHECK(taskdef_resolve(&ctx, "web:x", false, &td, &err) == -1);
    CHECK_STR(err.msg, "Invalid revision number. Number: x");
    CHECK(store_commit(tx, &err) == 0);
    tmp_store_close(&t);
}
