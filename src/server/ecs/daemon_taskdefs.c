/* daemon_taskdefs.c - daemon task definitions (see daemon_taskdefs.h).
 *
 * Each revision is a store document of kind KIND_REVISION keyed
 * "family revision" (the revision zero-padded, the space sorting before
 * every family character), so that the store's id order is ECS's listing
 * order: by family, then revision.  A family's document counts its
 * revisions so that numbers are never reused; one more counts them all
 * against DAEMON_TASKDEFS_MAX.
 *
 * Deleting one marks it DELETE_IN_PROGRESS, as ECS answers; a maintenance
 * pass makes it DELETED once DAEMON_TASKDEF_DELETE_DELAY has passed (ECS
 * keeps it DELETE_IN_PROGRESS while daemons still use it; berth's daemons
 * keep a copy of what they run in their revisions, so the delay is only so
 * that a client sees the state ECS shows first, and
 * ListDaemonTaskDefinitions' DELETE_IN_PROGRESS filter finds it). */
#include "server/ecs/daemon_taskdefs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/ecs/arn.h"
#include "server/ecs/taskdef_units.h"
#include "server/http/paging.h"
#include "server/http/tags.h"
#include "server/store/store_docs.h"

#define KIND_REVISION "ecs-daemon-taskdef"
#define KIND_FAMILY "ecs-daemon-taskdef-family"
#define KIND_TOTAL "ecs-daemon-taskdef-total"
#define NAME_MAX_LEN 255
#define LIST_DEFAULT 100
#define LIST_MAX 100
#define NOT_FOUND "Unable to describe daemon task definition."

static bool valid_name(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 1 || n > NAME_MAX_LEN)
        return false;
    return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n;
}

static void revision_id(const char *family, long revision, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s %010ld", family, revision);
}

/* "family", "family:revision" or a daemon-task-definition ARN: 1 parsed
 * (*ret_revision 0 when none was given), 0 when it cannot name one. */
static int parse_ref(const struct op_ctx *ctx, const char *s, char *family, size_t cap, long *ret_revision)
{
    struct arn arn;
    if (s && strncmp(s, "arn:", 4) == 0) {
        if (!arn_parse(s, &arn) || strcmp(arn.type, "daemon-task-definition") != 0 ||
            strcmp(arn.region, ctx->region) != 0 || strcmp(arn.account, ctx->account) != 0)
            return 0;
        s = arn.resource;
    }
    const char *colon = s ? strrchr(s, ':') : NULL;
    size_t n = colon ? (size_t)(colon - s) : s ? strlen(s) : 0;
    if (n == 0 || n >= cap)
        return 0;
    memcpy(family, s, n);
    family[n] = '\0';
    *ret_revision = 0;
    if (colon) {
        char *end;
        long r = strtol(colon + 1, &end, 10);
        if (*end || end == colon + 1 || r < 1)
            return 0;
        *ret_revision = r;
    }
    return valid_name(family);
}

struct latest {
    const char *status; /* NULL: any */
    json_t *doc;        /* the last match; owned */
};

static int keep_latest(const char *region, json_t *doc, void *ud, struct error *err)
{
    struct latest *l = ud;
    const char *status = json_string_value(json_object_get(doc, "status"));
    if (!l->status || (status && strcmp(status, l->status) == 0)) {
        json_decref(l->doc);
        l->doc = json_incref(doc);
    }
    return 0;
}

/* The revision a reference names (a family alone: its latest ACTIVE): 1
 * with a new reference, 0 none, -1. */
static int lookup(struct op_ctx *ctx, const char *ref, json_t **ret_doc, struct error *err)
{
    char family[NAME_MAX_LEN + 1], id[NAME_MAX_LEN + 16];
    long revision;
    if (!parse_ref(ctx, ref, family, sizeof(family), &revision))
        return 0;
    if (revision) {
        revision_id(family, revision, id, sizeof(id));
        return store_doc_get(ctx->tx, KIND_REVISION, ctx->region, id, ret_doc, err);
    }
    struct latest l = {"ACTIVE", NULL};
    snprintf(id, sizeof(id), "%s ", family);
    if (store_doc_each(ctx->tx, KIND_REVISION, ctx->region, NULL, id, keep_latest, &l, err) < 0) {
        json_decref(l.doc);
        return -1;
    }
    *ret_doc = l.doc;
    return l.doc ? 1 : 0;
}

/* Bump a counter document's "count" (starting at 0): its new value. */
static int bump(struct op_ctx *ctx, const char *kind, const char *id, long *ret_value, struct error *err)
{
    _cleanup_json_ json_t *doc = NULL;
    int r = store_doc_get(ctx->tx, kind, ctx->region, id, &doc, err);
    if (r < 0)
        return -1;
    long value = (r ? (long)json_integer_value(json_object_get(doc, "count")) : 0) + 1;
    _cleanup_json_ json_t *next = json_pack("{s:I}", "count", (json_int_t)value);
    if (!next || store_doc_put(ctx->tx, kind, ctx->region, id, next, err) < 0)
        return next ? -1 : error_set(err, ERR_INTERNAL, "out of memory");
    *ret_value = value;
    return 0;
}

static int check_containers(json_t *defs, struct error *err)
{
    size_t n = json_array_size(defs);
    if (n < 1 || n > DAEMON_TASKDEF_CONTAINERS_MAX)
        return error_set(err, API_ERR_CLIENT, "A daemon task definition must have between 1 and %d containers.",
                         DAEMON_TASKDEF_CONTAINERS_MAX);
    for (size_t i = 0; i < n; i++) {
        const char *name = json_string_value(json_object_get(json_array_get(defs, i), "name"));
        if (!valid_name(name))
            return error_set(err, API_ERR_CLIENT,
                             "Container name should be up to 255 letters (uppercase and lowercase), numbers, "
                             "hyphens, and underscores.");
        for (size_t k = 0; k < i; k++)
            if (strcmp(name, json_string_value(json_object_get(json_array_get(defs, k), "name"))) == 0)
                return error_set(err, API_ERR_CLIENT, "Duplicate container name %s.", name);
        /* As RegisterTaskDefinition's (taskdef_validate.c). */
        const char *image = json_string_value(json_object_get(json_array_get(defs, i), "image"));
        if (!image || !*image)
            return error_set(err, API_ERR_CLIENT, "Container.image should not be null or empty.");
    }
    return 0;
}

static int check_request(json_t *in, struct error *err)
{
    if (!valid_name(json_string_value(json_object_get(in, "family"))))
        return error_set(err, API_ERR_CLIENT,
                         "Family contains invalid characters: up to 255 letters (uppercase and lowercase), numbers, "
                         "hyphens, and underscores are allowed.");
    if (check_containers(json_object_get(in, "containerDefinitions"), err) < 0)
        return -1;
    long units;
    const char *cpu = json_string_value(json_object_get(in, "cpu"));
    const char *memory = json_string_value(json_object_get(in, "memory"));
    if ((cpu && taskdef_parse_cpu(cpu, &units, err) < 0) || (memory && taskdef_parse_memory(memory, &units, err) < 0))
        return -1;
    json_t *tags = json_object_get(in, "tags");
    return tags ? tags_validate(tags, err) : 0;
}

static const char *const COPIED[] = {"taskRoleArn", "executionRoleArn", "containerDefinitions", "volumes", "cpu",
                                     "memory"};

int action_register_daemon_task_definition(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    if (check_request(in, err) < 0)
        return -1;
    const char *family = json_string_value(json_object_get(in, "family"));
    long total, revision;
    if (bump(ctx, KIND_TOTAL, "all", &total, err) < 0)
        return -1;
    if (total > DAEMON_TASKDEFS_MAX)
        return error_set(err, API_ERR_LIMIT_EXCEEDED, "You have reached the limit of %d daemon task definitions.",
                         DAEMON_TASKDEFS_MAX);
    if (bump(ctx, KIND_FAMILY, family, &revision, err) < 0)
        return -1;
    char resource[NAME_MAX_LEN + 16], id[NAME_MAX_LEN + 16];
    snprintf(resource, sizeof(resource), "%s:%ld", family, revision);
    _cleanup_free_ char *arn = arn_format(ctx, "daemon-task-definition", resource);
    _cleanup_json_ json_t *doc = json_object();
    if (!arn || !doc)
        return error_set(err, ERR_INTERNAL, "out of memory");
    json_object_set_new(doc, "daemonTaskDefinitionArn", json_string(arn));
    json_object_set_new(doc, "family", json_string(family));
    json_object_set_new(doc, "revision", json_integer(revision));
    for (size_t i = 0; i < ELEMENTSOF(COPIED); i++)
        if (json_object_get(in, COPIED[i]))
            json_object_set(doc, COPIED[i], json_object_get(in, COPIED[i]));
    json_object_set_new(doc, "status", json_string("ACTIVE"));
    json_object_set_new(doc, "registeredAt", json_real(time_to_epoch_seconds(ctx->now)));
    json_object_set_new(doc, "registeredBy", json_string(ctx->caller));
    revision_id(family, revision, id, sizeof(id));
    if (store_doc_put(ctx->tx, KIND_REVISION, ctx->region, id, doc, err) < 0)
        return -1;
    json_t *tags = json_object_get(in, "tags");
    if (json_array_size(tags) > 0 && tags_attach(ctx, arn, tags, err) < 0)
        return -1;
    json_object_set_new(out, "daemonTaskDefinitionArn", json_string(arn));
    return 0;
}

int action_describe_daemon_task_definition(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    json_t *doc = NULL;
    int r = lookup(ctx, json_string_value(json_object_get(in, "daemonTaskDefinition")), &doc, err);
    if (r < 0)
        return -1;
    if (r == 0)
        return error_set(err, API_ERR_CLIENT, NOT_FOUND);
    json_object_set_new(out, "daemonTaskDefinition", doc);
    return 0;
}

int action_delete_daemon_task_definition(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    const char *ref = json_string_value(json_object_get(in, "daemonTaskDefinition"));
    char family[NAME_MAX_LEN + 1], id[NAME_MAX_LEN + 16];
    long revision = 0;
    if (!parse_ref(ctx, ref, family, sizeof(family), &revision) || revision == 0)
        return error_set(err, API_ERR_CLIENT,
                         "The specified daemon task definition is invalid: give family:revision or its full ARN.");
    _cleanup_json_ json_t *doc = NULL;
    revision_id(family, revision, id, sizeof(id));
    int r = store_doc_get(ctx->tx, KIND_REVISION, ctx->region, id, &doc, err);
    if (r < 0)
        return -1;
    if (r == 0)
        return error_set(err, API_ERR_CLIENT, NOT_FOUND);
    if (strcmp(json_string_value(json_object_get(doc, "status")), "ACTIVE") != 0)
        return error_set(err, API_ERR_CLIENT,
                         "The specified daemon task definition is not ACTIVE: only an ACTIVE daemon task definition "
                         "can be deleted.");
    json_object_set_new(doc, "status", json_string("DELETE_IN_PROGRESS"));
    json_object_set_new(doc, "deleteRequestedAt", json_real(time_to_epoch_seconds(ctx->now)));
    if (store_doc_put(ctx->tx, KIND_REVISION, ctx->region, id, doc, err) < 0)
        return -1;
    json_object_set(out, "daemonTaskDefinitionArn", json_object_get(doc, "daemonTaskDefinitionArn"));
    return 0;
}

int daemon_taskdefs_arn_exists(struct op_ctx *ctx, const struct arn *arn, struct error *err)
{
    char full[1200];
    snprintf(full, sizeof(full), "arn:aws:ecs:%s:%s:daemon-task-definition/%s", arn->region, arn->account,
             arn->resource);
    _cleanup_json_ json_t *doc = NULL;
    int r = lookup(ctx, full, &doc, err);
    if (r < 0)
        return -1;
    return r ? 0 : error_set(err, API_ERR_CLIENT, NOT_FOUND);
}

int daemon_taskdefs_get_active(struct op_ctx *ctx, const char *ref, json_t **ret_doc, struct error *err)
{
    json_t *doc = NULL;
    int r = lookup(ctx, ref, &doc, err);
    if (r <= 0)
        return r;
    if (strcmp(json_string_value(json_object_get(doc, "status")), "ACTIVE") != 0) {
        json_decref(doc);
        return 0;
    }
    *ret_doc = doc;
    return 1;
}

struct listing {
    const char *status; /* ACTIVE, DELETE_IN_PROGRESS or NULL for ALL */
    bool last_only;     /* revision LAST_REGISTERED */
    json_t *items;      /* [[id, summary]] in id order */
};

static int collect(const char *region, json_t *doc, void *ud, struct error *err)
{
    struct listing *l = ud;
    const char *status = json_string_value(json_object_get(doc, "status"));
    if (l->status && (!status || strcmp(status, l->status) != 0))
        return 0;
    const char *family = json_string_value(json_object_get(doc, "family"));
    char id[NAME_MAX_LEN + 16];
    revision_id(family ? family : "", (long)json_integer_value(json_object_get(doc, "revision")), id, sizeof(id));
    json_t *summary = json_object();
    json_object_set(summary, "arn", json_object_get(doc, "daemonTaskDefinitionArn"));
    static const char *const keys[] = {"registeredAt", "registeredBy", "deleteRequestedAt", "status"};
    for (size_t i = 0; i < ELEMENTSOF(keys); i++)
        if (json_object_get(doc, keys[i]))
            json_object_set(summary, keys[i], json_object_get(doc, keys[i]));
    size_t n = json_array_size(l->items);
    json_t *prev = n ? json_array_get(l->items, n - 1) : NULL;
    const char *prev_id = prev ? json_string_value(json_array_get(prev, 0)) : NULL;
    /* The same family as the previous item: its id starts "family ". */
    bool same = prev_id && family && strncmp(prev_id, id, strlen(family) + 1) == 0;
    if (l->last_only && same)
        json_array_remove(l->items, n - 1);
    json_array_append_new(l->items, json_pack("[s, o]", id, summary));
    return 0;
}

static int list_filters(json_t *in, struct listing *l, const char **ret_prefix, char *prefix_buf, size_t cap,
                        struct error *err)
{
    const char *family = json_string_value(json_object_get(in, "family"));
    const char *prefix = json_string_value(json_object_get(in, "familyPrefix"));
    if (family && prefix)
        return error_set(err, ERR_INVALID, "family and familyPrefix cannot both be specified.");
    const char *status = json_string_value(json_object_get(in, "status"));
    l->status = !status ? "ACTIVE" : strcmp(status, "ALL") == 0 ? NULL : status;
    l->last_only = json_object_get(in, "revision") != NULL;
    *ret_prefix = prefix;
    if (family) {
        snprintf(prefix_buf, cap, "%s ", family);
        *ret_prefix = prefix_buf;
    }
    return 0;
}

int action_list_daemon_task_definitions(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    struct listing l = {0};
    const char *prefix = NULL;
    char prefix_buf[NAME_MAX_LEN + 2];
    if (list_filters(in, &l, &prefix, prefix_buf, sizeof(prefix_buf), err) < 0)
        return -1;
    struct page page;
    if (page_begin(in, "ListDaemonTaskDefinitions", LIST_DEFAULT, LIST_MAX, &page, err) < 0)
        return -1;
    _cleanup_json_ json_t *items = l.items = json_array();
    int r = store_doc_each(ctx->tx, KIND_REVISION, ctx->region, NULL, prefix, collect, &l, err);
    if (r < 0) {
        page_free(&page);
        return -1;
    }
    const char *sort = json_string_value(json_object_get(in, "sort"));
    bool desc = sort && strcmp(sort, "DESC") == 0;
    json_t *list = json_array();
    json_object_set_new(out, "daemonTaskDefinitions", list);
    size_t n = json_array_size(items);
    const char *last = NULL;
    for (size_t k = 0; k < n; k++) {
        json_t *item = json_array_get(items, desc ? n - 1 - k : k);
        const char *id = json_string_value(json_array_get(item, 0));
        if (page.after && (desc ? strcmp(id, page.after) >= 0 : strcmp(id, page.after) <= 0))
            continue;
        if ((int)json_array_size(list) == page.limit) {
            page_set_next(out, "ListDaemonTaskDefinitions", last);
            break;
        }
        json_array_append(list, json_array_get(item, 1));
        last = id;
    }
    page_free(&page);
    return 0;
}

struct reaping {
    json_t *ids;   /* [[region, id]] */
    double before; /* reap what was asked to be deleted before (epoch seconds) */
};

static int collect_deleting(const char *region, json_t *doc, void *ud, struct error *err)
{
    struct reaping *r = ud;
    const char *status = json_string_value(json_object_get(doc, "status"));
    if (!status || strcmp(status, "DELETE_IN_PROGRESS") != 0 ||
        json_number_value(json_object_get(doc, "deleteRequestedAt")) > r->before)
        return 0;
    const char *family = json_string_value(json_object_get(doc, "family"));
    char id[NAME_MAX_LEN + 16];
    revision_id(family ? family : "", (long)json_integer_value(json_object_get(doc, "revision")), id, sizeof(id));
    if (json_array_append_new(r->ids, json_pack("[s, s]", region, id)) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return 0;
}

int daemon_taskdefs_reap(struct store_tx *tx, usec_t now, struct error *err)
{
    _cleanup_json_ json_t *ids = json_array();
    struct reaping r = {ids, time_to_epoch_seconds(now - DAEMON_TASKDEF_DELETE_DELAY)};
    if (!ids || store_doc_each(tx, KIND_REVISION, NULL, NULL, NULL, collect_deleting, &r, err) < 0)
        return ids ? -1 : error_set(err, ERR_INTERNAL, "out of memory");
    size_t i;
    json_t *e;
    json_array_foreach(ids, i, e) {
        const char *region = json_string_value(json_array_get(e, 0)), *id = json_string_value(json_array_get(e, 1));
        _cleanup_json_ json_t *doc = NULL;
        if (store_doc_get(tx, KIND_REVISION, region, id, &doc, err) < 0)
            return -1;
        if (!doc)
            continue;
        json_object_set_new(doc, "status", json_string("DELETED"));
        if (store_doc_put(tx, KIND_REVISION, region, id, doc, err) < 0)
            return -1;
    }
    return 0;
}
