/* logs.c - CloudWatch Logs groups and streams: create, delete, describe,
 * retention policies and tags, and resolving the names every Logs action
 * takes.  Events are logs_events.c's job.
 *
 * Log groups live per region, like every AWS resource; their tags are kept
 * in the shared tags table under the group's ARN (without the ":*"). */
#include "server/logs/logs.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/http/http_limits.h"
#include "server/http/paging.h"
#include "server/store/store_tags.h"
#include "server/http/tags.h"

#define DESCRIBE_LIMIT_DEFAULT 50

int64_t logs_now_ms(const struct op_ctx *ctx) { return ctx->now / USEC_PER_MSEC; }

void logs_sequence_token(int64_t upload_seq, char *buf, size_t cap)
{
    snprintf(buf, cap, "%056" PRId64, upload_seq + 1);
}

static int validation_error(struct error *err, const char *value, const char *member, const char *constraint)
{
    return error_set(err, ERR_INVALID,
                     "1 validation error detected: Value '%.512s' at '%s' failed to satisfy "
                     "constraint: %s",
                     value, member, constraint);
}

int logs_check_group_name(const char *name, const char *member, struct error *err)
{
    size_t n = strlen(name);
    if (n < 1 || n > LOG_NAME_MAX)
        return validation_error(err, name, member, "Member must have length less than or equal to 512");
    if (strspn(name, "._-/#ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") != n)
        return validation_error(err, name, member,
                                "Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+");
    return 0;
}

int logs_check_stream_name(const char *name, const char *member, struct error *err)
{
    size_t n = strlen(name);
    if (n < 1 || n > LOG_NAME_MAX)
        return validation_error(err, name, member, "Member must have length less than or equal to 512");
    if (strpbrk(name, ":*"))
        return validation_error(err, name, member, "Member must satisfy regular expression pattern: [^:*]*");
    return 0;
}

static void group_arn(const struct op_ctx *ctx, const char *name, bool star, char *buf, size_t cap)
{
    snprintf(buf, cap, "arn:aws:logs:%s:%s:log-group:%s%s", ctx->region, ctx->account, name, star ? ":*" : "");
}

/* A store lookup's result r as handlers answer it: 0 when found,
 * ResourceNotFoundException naming `what` when absent. */
static int found(int r, const char *what, struct error *err)
{
    if (r < 0)
        return -1;
    if (r == 0)
        return error_set(err, API_ERR_RESOURCE_NOT_FOUND, "The specified %s does not exist.", what);
    return 0;
}

int logs_group_get(struct op_ctx *ctx, const char *name, struct log_group_row *ret_group, struct error *err)
{
    return found(store_log_group_get(ctx->tx, ctx->region, name, ret_group, err), "log group", err);
}

/* The group name inside a log-group ARN of this region and account. */
static int name_from_arn(const struct op_ctx *ctx, const char *arn, char *buf, size_t cap, struct error *err)
{
    char head[128];
    snprintf(head, sizeof(head), "arn:aws:logs:%s:%s:log-group:", ctx->region, ctx->account);
    size_t hl = strlen(head);
    if (strncmp(arn, head, hl) != 0)
        return error_set(err, API_ERR_RESOURCE_NOT_FOUND, "The specified log group does not exist.");
    const char *name = arn + hl;
    size_t n = strlen(name);
    if (n >= 2 && strcmp(name + n - 2, ":*") == 0)
        n -= 2;
    if (n == 0 || n >= cap)
        return error_set(err, ERR_INVALID, "Invalid log group ARN.");
    memcpy(buf, name, n);
    buf[n] = '\0';
    return 0;
}

int logs_group_resolve(struct op_ctx *ctx, json_t *in, struct log_group_row *ret_group, struct error *err)
{
    const char *name = json_string_value(json_object_get(in, "logGroupName"));
    const char *ident = json_string_value(json_object_get(in, "logGroupIdentifier"));
    if (name && ident)
        return error_set(err, ERR_INVALID, "LogGroup name and LogGroup ARN are mutually exclusive parameters.");
    if (!name && !ident)
        return error_set(err, ERR_INVALID, "Either logGroupName or logGroupIdentifier must be specified.");
    char buf[LOG_NAME_MAX + 1];
    if (ident && strncmp(ident, "arn:", 4) == 0) {
        if (name_from_arn(ctx, ident, buf, sizeof(buf), err) < 0)
            return -1;
        name = buf;
    } else if (ident) {
        name = ident;
    }
    if (logs_check_group_name(name, ident ? "logGroupIdentifier" : "logGroupName", err) < 0)
        return -1;
    return logs_group_get(ctx, name, ret_group, err);
}

int logs_stream_get(struct op_ctx *ctx, const struct log_group_row *group, const char *name,
                    struct log_stream_row *ret_stream, struct error *err)
{
    return found(store_log_stream_get(ctx->tx, group->id, name, ret_stream, err), "log stream", err);
}

int logs_stream_resolve(struct op_ctx *ctx, json_t *in, struct log_group_row *ret_group,
                        struct log_stream_row *ret_stream, struct error *err)
{
    const char *name = json_string_value(json_object_get(in, "logStreamName"));
    if (logs_check_stream_name(name, "logStreamName", err) < 0 || logs_group_resolve(ctx, in, ret_group, err) < 0)
        return -1;
    return logs_stream_get(ctx, ret_group, name, ret_stream, err);
}

/* Logs tags are a map; the shared rules and table speak [{key, value}]. */
static json_t *tag_map_to_list(json_t *map)
{
    json_t *list = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(map, k, v) {
        json_array_append_new(
            list, json_pack("{s:s, s:s}", "key", k, "value", json_string_value(v) ? json_string_value(v) : ""));
    }
    return list;
}

static int put_tags(struct op_ctx *ctx, const char *arn, json_t *map, struct error *err)
{
    _cleanup_json_ json_t *list = tag_map_to_list(map);
    if (!list)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (tags_validate(list, err) < 0 || store_tags_put(ctx->tx, arn, list, err) < 0)
        return -1;
    int n = 0;
    if (store_tags_count(ctx->tx, arn, &n, err) < 0)
        return -1;
    if (n > LIMIT_TAGS)
        return error_set(err, ERR_INVALID, "A log group can have a maximum of %d tags.", LIMIT_TAGS);
    return 0;
}

static int tags_out(struct op_ctx *ctx, const char *arn, json_t *out, struct error *err)
{
    _cleanup_json_ json_t *list = tags_list(ctx, arn, err);
    if (!list)
        return -1;
    json_t *map = json_object();
    size_t i;
    json_t *t;
    json_array_foreach(list, i, t) {
        json_object_set(map, json_string_value(json_object_get(t, "key")), json_object_get(t, "value"));
    }
    json_object_set_new(out, "tags", map);
    return 0;
}

int action_logs_create_log_group(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    const char *name = json_string_value(json_object_get(in, "logGroupName"));
    if (logs_check_group_name(name, "logGroupName", err) < 0)
        return -1;
    struct log_group_row g;
    int r = store_log_group_get(ctx->tx, ctx->region, name, &g, err);
    if (r < 0)
        return -1;
    if (r > 0)
        return error_set(err, API_ERR_RESOURCE_ALREADY_EXISTS, "The specified log group already exists");
    memset(&g, 0, sizeof(g));
    snprintf(g.name, sizeof(g.name), "%s", name);
    g.created_ms = logs_now_ms(ctx);
    const char *cls = json_string_value(json_object_get(in, "logGroupClass"));
    snprintf(g.log_class, sizeof(g.log_class), "%s", cls ? cls : "STANDARD");
    if (store_log_group_insert(ctx->tx, ctx->region, &g, err) < 0)
        return -1;
    json_t *tags = json_object_get(in, "tags");
    if (tags && json_object_size(tags) > 0) {
        char arn[700];
        group_arn(ctx, name, false, arn, sizeof(arn));
        if (put_tags(ctx, arn, tags, err) < 0)
            return -1;
    }
    return 0;
}

int action_logs_delete_log_group(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    struct log_group_row g;
    if (logs_group_resolve(ctx, in, &g, err) < 0)
        return -1;
    char arn[700];
    group_arn(ctx, g.name, false, arn, sizeof(arn));
    _cleanup_json_ json_t *tags = tags_list(ctx, arn, err);
    if (!tags)
        return -1;
    _cleanup_json_ json_t *keys = json_array();
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t) {
        json_array_append(keys, json_object_get(t, "key"));
    }
    if (store_tags_remove(ctx->tx, arn, keys, err) < 0)
        return -1;
    return store_log_group_delete(ctx->tx, &g, err);
}

static json_t *group_json(const struct op_ctx *ctx, const struct log_group_row *g)
{
    char arn[700], garn[700];
    group_arn(ctx, g->name, true, arn, sizeof(arn));
    group_arn(ctx, g->name, false, garn, sizeof(garn));
    json_t *j =
        json_pack("{s:s, s:I, s:i, s:s, s:s, s:I, s:s, s:b}", "logGroupName", g->name, "creationTime",
                  (json_int_t)g->created_ms, "metricFilterCount", 0, "arn", arn, "logGroupArn", garn, "storedBytes",
                  (json_int_t)g->stored_bytes, "logGroupClass", g->log_class, "deletionProtectionEnabled", 0);
    if (j && g->retention_days > 0)
        json_object_set_new(j, "retentionInDays", json_integer(g->retention_days));
    return j;
}

int action_logs_describe_log_groups(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    const char *prefix = json_string_value(json_object_get(in, "logGroupNamePrefix"));
    const char *pattern = json_string_value(json_object_get(in, "logGroupNamePattern"));
    if (prefix && pattern)
        return error_set(err, ERR_INVALID,
                         "LogGroup name prefix and LogGroup name pattern are mutually "
                         "exclusive parameters.");
    json_t *lim = json_object_get(in, "limit");
    int limit = lim ? (int)json_integer_value(lim) : DESCRIBE_LIMIT_DEFAULT;
    _cleanup_(page_free) struct page page = {0};
    if (page_begin(in, "DescribeLogGroups", limit, DESCRIBE_LIMIT_DEFAULT, &page, err) < 0)
        return -1;
    json_t *groups = json_array();
    json_object_set_new(out, "logGroups", groups);
    const char *after = page.after;
    _cleanup_free_ char *last = NULL;
    /* A pattern is a case-insensitive substring: filter rows page by page. */
    for (;;) {
        _cleanup_free_ struct log_group_row *rows = NULL;
        size_t n = 0;
        bool more = false;
        int want = limit - (int)json_array_size(groups);
        if (store_log_group_list(ctx->tx, ctx->region, prefix, after, want, &rows, &n, &more, err) < 0)
            return -1;
        for (size_t i = 0; i < n; i++) {
            free(last);
            last = strdup(rows[i].name);
            if (!last)
                return error_set(err, ERR_INTERNAL, "out of memory");
            if (pattern && *pattern && !strcasestr(rows[i].name, pattern))
                continue;
            json_array_append_new(groups, group_json(ctx, &rows[i]));
        }
        after = last;
        if (!more)
            return 0;
        if ((int)json_array_size(groups) >= limit)
            break;
    }
    if (page_set_next(out, "DescribeLogGroups", last) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return 0;
}

int action_logs_create_log_stream(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    struct log_group_row g;
    const char *name = json_string_value(json_object_get(in, "logStreamName"));
    if (logs_check_stream_name(name, "logStreamName", err) < 0 || logs_group_resolve(ctx, in, &g, err) < 0)
        return -1;
    struct log_stream_row s;
    int r = store_log_stream_get(ctx->tx, g.id, name, &s, err);
    if (r < 0)
        return -1;
    if (r > 0)
        return error_set(err, API_ERR_RESOURCE_ALREADY_EXISTS, "The specified log stream already exists");
    memset(&s, 0, sizeof(s));
    s.group_id = g.id;
    snprintf(s.name, sizeof(s.name), "%s", name);
    s.created_ms = logs_now_ms(ctx);
    return store_log_stream_insert(ctx->tx, &s, err);
}

int action_logs_delete_log_stream(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    struct log_group_row g;
    struct log_stream_row s;
    if (logs_stream_resolve(ctx, in, &g, &s, err) < 0)
        return -1;
    return store_log_stream_delete(ctx->tx, &s, err);
}

static json_t *stream_json(const struct op_ctx *ctx, const struct log_group_row *g, const struct log_stream_row *s)
{
    char arn[1300];
    snprintf(arn, sizeof(arn), "arn:aws:logs:%s:%s:log-group:%s:log-stream:%s", ctx->region, ctx->account, g->name,
             s->name);
    char token[64];
    logs_sequence_token(s->upload_seq, token, sizeof(token));
    /* CloudWatch stopped counting per-stream bytes: storedBytes is 0. */
    json_t *j = json_pack("{s:s, s:I, s:s, s:s, s:i}", "logStreamName", s->name, "creationTime",
                          (json_int_t)s->created_ms, "arn", arn, "uploadSequenceToken", token, "storedBytes", 0);
    if (j && s->last_ingest_ms) {
        if (s->first_ts)
            json_object_set_new(j, "firstEventTimestamp", json_integer(s->first_ts));
        json_object_set_new(j, "lastEventTimestamp", json_integer(s->last_ts));
        json_object_set_new(j, "lastIngestionTime", json_integer(s->last_ingest_ms));
    }
    return j;
}

int action_logs_describe_log_streams(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    struct log_group_row g;
    if (logs_group_resolve(ctx, in, &g, err) < 0)
        return -1;
    const char *prefix = json_string_value(json_object_get(in, "logStreamNamePrefix"));
    const char *order_s = json_string_value(json_object_get(in, "orderBy"));
    bool by_time = order_s && strcmp(order_s, "LastEventTime") == 0;
    if (by_time && prefix)
        return error_set(err, ERR_INVALID, "Cannot order by LastEventTime with a logStreamNamePrefix.");
    json_t *lim = json_object_get(in, "limit");
    const char *action = by_time ? "DescribeLogStreams/LastEventTime" : "DescribeLogStreams/LogStreamName";
    _cleanup_(page_free) struct page page = {0};
    if (page_begin(in, action, 0, 0, &page, err) < 0)
        return -1;
    struct log_stream_query q = {
        .group_id = g.id,
        .prefix = prefix,
        .order = by_time ? LOG_ORDER_LAST_EVENT : LOG_ORDER_NAME,
        .descending = json_is_true(json_object_get(in, "descending")),
        .limit = lim ? (int)json_integer_value(lim) : DESCRIBE_LIMIT_DEFAULT,
    };
    if (page.after && by_time) {
        /* "<last_ts>:<name>": stream names cannot hold ':'. */
        char *end = NULL;
        long long ts = strtoll(page.after, &end, 10);
        if (!end || *end != ':')
            return error_set(err, ERR_INVALID, "Invalid nextToken.");
        q.has_after = true;
        q.after_last_ts = ts;
        q.after_name = end + 1;
    } else if (page.after) {
        q.has_after = true;
        q.after_name = page.after;
    }
    _cleanup_free_ struct log_stream_row *rows = NULL;
    size_t n = 0;
    bool more = false;
    if (store_log_stream_list(ctx->tx, &q, &rows, &n, &more, err) < 0)
        return -1;
    json_t *list = json_array();
    json_object_set_new(out, "logStreams", list);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, stream_json(ctx, &g, &rows[i]));
    if (more && n > 0) {
        char key[LOG_NAME_MAX + 32];
        if (by_time)
            snprintf(key, sizeof(key), "%lld:%s", (long long)rows[n - 1].last_ts, rows[n - 1].name);
        else
            snprintf(key, sizeof(key), "%s", rows[n - 1].name);
        if (page_set_next(out, action, key) < 0)
            return error_set(err, ERR_INTERNAL, "out of memory");
    }
    return 0;
}

/* CloudWatch Logs' accepted retention periods, in days. */
static const int retention_days[] = {1,   3,   5,   7,   14,   30,   60,   90,   120,  150,  180,
                                     365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653};

int action_logs_put_retention_policy(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    json_int_t days = json_integer_value(json_object_get(in, "retentionInDays"));
    bool ok = false;
    for (size_t i = 0; i < ELEMENTSOF(retention_days); i++)
        ok |= retention_days[i] == days;
    if (!ok)
        return error_set(err, ERR_INVALID,
                         "1 validation error detected: Value '%lld' at 'retentionInDays' failed to satisfy "
                         "constraint: Member must satisfy enum value set: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, "
                         "180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]",
                         (long long)days);
    struct log_group_row g;
    if (logs_group_resolve(ctx, in, &g, err) < 0)
        return -1;
    return store_log_group_set_retention(ctx->tx, g.id, (int)days, err);
}

int action_logs_delete_retention_policy(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    struct log_group_row g;
    if (logs_group_resolve(ctx, in, &g, err) < 0)
        return -1;
    return store_log_group_set_retention(ctx->tx, g.id, 0, err);
}

/* The ARN the tags of the group `in` names are kept under.  TagLogGroup and
 * friends name the group as every Logs action does; TagResource and
 * friends (by_arn) give its resourceArn, log groups being the only taggable
 * resources berth has. */
static int tagged_group(struct op_ctx *ctx, json_t *in, bool by_arn, char *arn, size_t cap, struct error *err)
{
    struct log_group_row g;
    if (by_arn) {
        const char *given = json_string_value(json_object_get(in, "resourceArn"));
        char name[LOG_NAME_MAX + 1];
        if (name_from_arn(ctx, given, name, sizeof(name), err) < 0 || logs_group_get(ctx, name, &g, err) < 0)
            return -1;
    } else if (logs_group_resolve(ctx, in, &g, err) < 0) {
        return -1;
    }
    group_arn(ctx, g.name, false, arn, cap);
    return 0;
}

enum tags_op { TAGS_ADD, TAGS_REMOVE, TAGS_LIST };

/* The six tagging actions: find the group, then add or remove the tags (or
 * keys) in member, or list them. */
static int tags_action(struct op_ctx *ctx, json_t *in, json_t *out, bool by_arn, enum tags_op op, const char *member,
                       struct error *err)
{
    char arn[700];
    if (tagged_group(ctx, in, by_arn, arn, sizeof(arn), err) < 0)
        return -1;
    switch (op) {
    case TAGS_ADD: return put_tags(ctx, arn, json_object_get(in, member), err);
    case TAGS_REMOVE: return store_tags_remove(ctx->tx, arn, json_object_get(in, member), err);
    case TAGS_LIST: break;
    }
    return tags_out(ctx, arn, out, err);
}

/* The six tagging actions differ only in how they name the group (by name
 * or ARN), what they do and which member holds the tags. */
#define TAGS_ACTION(name, by_arn, op, member)                                                                          \
    API_ACTION(name) { return tags_action(ctx, in, out, by_arn, op, member, err); }

TAGS_ACTION(action_logs_tag_log_group, false, TAGS_ADD, "tags")
TAGS_ACTION(action_logs_untag_log_group, false, TAGS_REMOVE, "tags")
TAGS_ACTION(action_logs_list_tags_log_group, false, TAGS_LIST, NULL)
TAGS_ACTION(action_logs_tag_resource, true, TAGS_ADD, "tags")
TAGS_ACTION(action_logs_untag_resource, true, TAGS_REMOVE, "tagKeys")
TAGS_ACTION(action_logs_list_tags_for_resource, true, TAGS_LIST, NULL)
