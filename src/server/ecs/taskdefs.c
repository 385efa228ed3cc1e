/* taskdefs.c - RegisterTaskDefinition, DescribeTaskDefinition,
 * DeregisterTaskDefinition, DeleteTaskDefinitions, ListTaskDefinitions and
 * ListTaskDefinitionFamilies, plus resolving a task definition reference for
 * other resources and reaping deleted revisions.
 *
 * ECS's validation rules live in taskdef_validate.c and the SQL in
 * store_taskdefs.c; this file holds the life cycle (ACTIVE -> INACTIVE ->
 * DELETE_IN_PROGRESS -> gone) and the response shapes. */
#include "server/ecs/taskdefs.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "server/ecs/arn.h"
#include "common/cleanup.h"
#include "server/http/http_limits.h"
#include "server/http/paging.h"
#include "server/ecs/resource_refs.h"
#include "server/store/store_taskdefs.h"
#include "server/http/tags.h"
#include "server/ecs/taskdef_validate.h"

#define MAX_DELETE 10

static void row_clearp(struct taskdef_row *row) { taskdef_row_clear(row); }
#define _cleanup_row_ _cleanup_(row_clearp)

/* A parsed reference: family, and revision (0 when none was given). */
struct taskdef_ref {
    char family[256];
    int revision;
};

enum ref_parse {
    REF_OK = 0,
    REF_NONE = 1, /* well formed, but cannot name one of ours (other region, bad family) */
};

/* Parse "family", "family:revision" or a task-definition ARN.  Returns
 * REF_OK, REF_NONE, or -1 with a ClientException for a bad revision. */
static int parse_ref(const struct op_ctx *ctx, const char *s, struct taskdef_ref *ret_ref, struct error *err)
{
    struct arn arn;
    if (strncmp(s, "arn:", 4) == 0) {
        if (!arn_parse(s, &arn) || strcmp(arn.type, "task-definition") != 0 || strcmp(arn.region, ctx->region) != 0 ||
            strcmp(arn.account, ctx->account) != 0)
            return REF_NONE;
        s = arn.resource;
    }
    const char *colon = strrchr(s, ':');
    size_t n = colon ? (size_t)(colon - s) : strlen(s);
    struct taskdef_ref ref = {.revision = 0};
    if (n >= sizeof(ref.family))
        return REF_NONE;
    memcpy(ref.family, s, n);
    ref.family[n] = '\0';
    if (colon) {
        const char *num = colon + 1;
        char *end = NULL;
        long v = strtol(num, &end, 10);
        if (!isdigit((unsigned char)*num) || *end || v < 1 || v > INT_MAX)
            return error_set(err, API_ERR_CLIENT, "Invalid revision number. Number: %.64s", num);
        ref.revision = (int)v;
    }
    if (!taskdef_name_ok(ref.family))
        return REF_NONE;
    *ret_ref = ref;
    return REF_OK;
}

/* Look a reference up: 1 found, 0 absent, -1 error.  A bare family means its
 * latest ACTIVE revision. */
static int lookup(struct op_ctx *ctx, const char *s, bool need_revision, struct taskdef_row *ret_row, struct error *err)
{
    struct taskdef_ref ref;
    int r = parse_ref(ctx, s, &ref, err);
    if (r < 0)
        return -1;
    if (r == REF_NONE)
        return 0;
    if (need_revision && ref.revision == 0)
        return error_set(err, API_ERR_CLIENT, "Revision is missing."); /* ECS's words */
    return store_taskdef_get(ctx->tx, ctx->region, ref.family, ref.revision, ret_row, err);
}

/* The TaskDefinition shape as ECS returns it. */
static json_t *taskdef_json(const struct taskdef_row *row, struct error *err)
{
    json_t *td = json_pack("{s:s}", "taskDefinitionArn", row->arn);
    if (!td) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return NULL;
    }
    const char *key;
    json_t *v;
    json_object_foreach(row->doc, key, v) {
        json_object_set(td, key, v);
    }
    json_object_set_new(td, "revision", json_integer(row->revision));
    json_object_set_new(td, "status", json_string(row->status));
    json_object_set_new(td, "registeredAt", json_real(time_to_epoch_seconds(row->registered_at)));
    if (row->deregistered_at)
        json_object_set_new(td, "deregisteredAt", json_real(time_to_epoch_seconds(row->deregistered_at)));
    if (row->delete_requested_at)
        json_object_set_new(td, "deleteRequestedAt", json_real(time_to_epoch_seconds(row->delete_requested_at)));
    return td;
}

static int set_taskdef(json_t *out, const char *member, const struct taskdef_row *row, struct error *err)
{
    json_t *td = taskdef_json(row, err);
    if (!td)
        return -1;
    json_object_set_new(out, member, td);
    return 0;
}

int taskdefs_arn_exists(struct op_ctx *ctx, const struct arn *arn, struct error *err)
{
    char full[1200];
    snprintf(full, sizeof(full), "arn:aws:ecs:%s:%s:task-definition/%s", arn->region, arn->account, arn->resource);
    _cleanup_row_ struct taskdef_row row = {0};
    int r = lookup(ctx, full, true, &row, err);
    if (r < 0)
        return -1;
    if (r == 0)
        return error_set(err, API_ERR_CLIENT, "Unable to describe task definition.");
    return 0;
}

int taskdef_resolve(struct op_ctx *ctx, const char *ref, bool active_only, json_t **ret_taskdef, struct error *err)
{
    _cleanup_row_ struct taskdef_row row = {0};
    int r = lookup(ctx, ref, false, &row, err);
    if (r < 0)
        return -1;
    if (r == 0)
        return error_set(err, API_ERR_CLIENT, "TaskDefinition not found.");
    if (active_only && strcmp(row.status, "ACTIVE") != 0)
        return error_set(err, API_ERR_CLIENT, "TaskDefinition is inactive");
    json_t *td = taskdef_json(&row, err);
    if (!td)
        return -1;
    *ret_taskdef = td;
    return 0;
}

int taskdefs_reap(struct store_tx *tx, usec_t now, struct error *err)
{
    (void)now;
    int n = 0;
    return store_taskdef_reap(tx, &n, err);
}

int action_register_task_definition(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    json_t *tags = json_object_get(in, "tags");
    if (tags_validate(tags, err) < 0)
        return -1;
    _cleanup_json_ json_t *doc = NULL;
    if (taskdef_validate(in, &doc, err) < 0)
        return -1;
    _cleanup_row_ struct taskdef_row row = {.registered_at = ctx->now};
    snprintf(row.family, sizeof(row.family), "%s", json_string_value(json_object_get(in, "family")));
    snprintf(row.status, sizeof(row.status), "ACTIVE");
    if (store_taskdef_next_revision(ctx->tx, ctx->region, row.family, &row.revision, err) < 0)
        return -1;
    char resource[300];
    snprintf(resource, sizeof(resource), "%s:%d", row.family, row.revision);
    if (!arn_format_buf(row.arn, sizeof(row.arn), ctx, "task-definition", resource))
        return error_set(err, ERR_INTERNAL, "task definition ARN too long");
    char by[64];
    snprintf(by, sizeof(by), "arn:aws:iam::%s:root", ctx->account);
    json_object_set_new(doc, "registeredBy", json_string(by));
    row.doc = TAKE_PTR(doc);
    if (store_taskdef_insert(ctx->tx, ctx->region, &row, err) < 0 || tags_attach(ctx, row.arn, tags, err) < 0)
        return -1;
    json_t *list = tags_list(ctx, row.arn, err);
    if (!list)
        return -1;
    resource_refs_set_tags(out, list);
    return set_taskdef(out, "taskDefinition", &row, err);
}

/* The definition the request's taskDefinition names; ClientException
 * `missing` when there is none. */
static int lookup_request(struct op_ctx *ctx, json_t *in, bool need_revision, const char *missing,
                          struct taskdef_row *ret_row, struct error *err)
{
    int r = lookup(ctx, json_string_value(json_object_get(in, "taskDefinition")), need_revision, ret_row, err);
    if (r < 0)
        return -1;
    if (r == 0)
        return error_set(err, API_ERR_CLIENT, "%s", missing);
    return 0;
}

int action_describe_task_definition(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_row_ struct taskdef_row row = {0};
    if (lookup_request(ctx, in, false, "Unable to describe task definition.", &row, err) < 0)
        return -1;
    if (resource_refs_include(in, "TAGS")) {
        json_t *tags = tags_list(ctx, row.arn, err);
        if (!tags)
            return -1;
        resource_refs_set_tags(out, tags);
    }
    return set_taskdef(out, "taskDefinition", &row, err);
}

int action_deregister_task_definition(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_row_ struct taskdef_row row = {0};
    if (lookup_request(ctx, in, true, "The specified task definition does not exist.", &row, err) < 0)
        return -1;
    if (strcmp(row.status, "DELETE_IN_PROGRESS") == 0)
        return error_set(err, API_ERR_CLIENT, "The specified task definition is being deleted.");
    /* Deregistering an INACTIVE revision again changes nothing. */
    if (strcmp(row.status, "ACTIVE") == 0) {
        snprintf(row.status, sizeof(row.status), "INACTIVE");
        row.deregistered_at = ctx->now;
        if (store_taskdef_update_status(ctx->tx, &row, err) < 0)
            return -1;
    }
    return set_taskdef(out, "taskDefinition", &row, err);
}

/* ECS's failure for one reference: the reference as given and its
 * sentence as the reason. */
static int add_failure(json_t *failures, const char *given, const char *reason)
{
    return json_array_append_new(failures, json_pack("{s:s, s:s}", "arn", given, "reason", reason));
}

#define DELETE_MISSING                                                                                                 \
    "The specified task definition does not exist. Specify a valid account, family, revision and try again."

/* One entry of DeleteTaskDefinitions: into deleted or failures. */
static int delete_one(struct op_ctx *ctx, const char *given, json_t *deleted, json_t *failures, struct error *err)
{
    struct taskdef_ref ref;
    int r = parse_ref(ctx, given, &ref, err);
    if (r < 0 || (r == REF_OK && ref.revision == 0)) {
        error_clear(err);
        return add_failure(failures, given,
                           "The specified task definition identifier is invalid. Specify a valid name or ARN and "
                           "try again.");
    }
    char arn[600];
    char resource[300];
    snprintf(resource, sizeof(resource), "%s:%d", ref.family, ref.revision);
    if (r == REF_NONE || !arn_format_buf(arn, sizeof(arn), ctx, "task-definition", resource))
        return add_failure(failures, given, DELETE_MISSING);
    _cleanup_row_ struct taskdef_row row = {0};
    r = store_taskdef_get(ctx->tx, ctx->region, ref.family, ref.revision, &row, err);
    if (r < 0)
        return -1;
    if (r == 0)
        return add_failure(failures, given, DELETE_MISSING);
    if (strcmp(row.status, "ACTIVE") == 0)
        return add_failure(failures, given,
                           "The specified task definition is still in ACTIVE status. Please deregister the "
                           "target and try again.");
    if (strcmp(row.status, "INACTIVE") == 0) {
        snprintf(row.status, sizeof(row.status), "DELETE_IN_PROGRESS");
        row.delete_requested_at = ctx->now;
        if (store_taskdef_update_status(ctx->tx, &row, err) < 0)
            return -1;
    }
    json_t *td = taskdef_json(&row, err);
    if (!td)
        return -1;
    return json_array_append_new(deleted, td);
}

int action_delete_task_definitions(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    json_t *list = json_object_get(in, "taskDefinitions");
    if (json_array_size(list) == 0)
        return error_set(err, ERR_INVALID, "size of TaskDefinition references list must be greater than 0");
    if (json_array_size(list) > MAX_DELETE)
        return error_set(err, ERR_INVALID, "Size of TaskDefinition references list cannot exceed %d", MAX_DELETE);
    json_t *deleted = json_array();
    json_t *failures = json_array();
    json_object_set_new(out, "taskDefinitions", deleted);
    json_object_set_new(out, "failures", failures);
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) {
        if (delete_one(ctx, json_string_value(v), deleted, failures, err) < 0)
            return -1;
    }
    return 0;
}

static const char *string_or(json_t *in, const char *member, const char *def)
{
    const char *s = json_string_value(json_object_get(in, member));
    return s ? s : def;
}

int action_list_task_definitions(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    const char *status = string_or(in, "status", "ACTIVE");
    const char *sort = string_or(in, "sort", "ASC");
    bool desc = strcmp(sort, "DESC") == 0;
    /* The token is tied to the listing's order and status filter. */
    char key[64];
    snprintf(key, sizeof(key), "ListTaskDefinitions %s %s", sort, status);
    struct page page;
    if (page_begin(in, key, LIMIT_PAGE_DEFAULT, LIMIT_PAGE_MAX, &page, err) < 0)
        return -1;
    struct taskdef_cursor cursor = {.set = false};
    if (page.after) {
        struct taskdef_ref ref;
        int r = parse_ref(ctx, page.after, &ref, err);
        page_free(&page);
        if (r != REF_OK || ref.revision == 0)
            return error_set(err, ERR_INVALID, "Invalid nextToken.");
        cursor.set = true;
        memcpy(cursor.family, ref.family, sizeof(cursor.family));
        cursor.revision = ref.revision;
    }
    /* ECS's familyPrefix here is the full family name, not a prefix. */
    const char *family = json_string_value(json_object_get(in, "familyPrefix"));
    json_t *arns = json_array();
    json_object_set_new(out, "taskDefinitionArns", arns);
    bool more = false;
    if (store_taskdef_list(ctx->tx, ctx->region, family, status, desc, &cursor, page.limit, arns, &more, err) < 0)
        return -1;
    if (more && cursor.set) {
        char last[300];
        snprintf(last, sizeof(last), "%s:%d", cursor.family, cursor.revision);
        page_set_next(out, key, last);
    }
    return 0;
}

int action_list_task_definition_families(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    const char *status = string_or(in, "status", "ALL");
    char key[64];
    snprintf(key, sizeof(key), "ListTaskDefinitionFamilies %s", status);
    struct page page;
    if (page_begin(in, key, LIMIT_PAGE_DEFAULT, LIMIT_PAGE_MAX, &page, err) < 0)
        return -1;
    json_t *names = json_array();
    json_object_set_new(out, "families", names);
    bool more = false;
    int r = store_taskdef_families(ctx->tx, ctx->region, json_string_value(json_object_get(in, "familyPrefix")), status,
                                   page.after, page.limit, names, &more, err);
    page_free(&page);
    if (r < 0)
        return -1;
    if (more && json_array_size(names) > 0)
        page_set_next(out, key, json_string_value(json_array_get(names, json_array_size(names) - 1)));
    return 0;
}
