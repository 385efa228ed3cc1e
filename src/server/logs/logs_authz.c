/* logs_authz.c - what each CloudWatch Logs action asks of IAM (see
 * logs_authz.h): the IAM action and the log group or log stream it acts
 * on, as the Service Authorization Reference lists them, with the group's
 * tags (aws:ResourceTag/KEY) and the request's (aws:RequestTag/KEY,
 * aws:TagKeys).  Logs tags are a map in requests; ARNs are
 * arn:aws:logs:REGION:ACCOUNT:log-group:NAME[:log-stream:STREAM]. */
#include "server/logs/logs_authz.h"

#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/store/store_logs.h"

#define LOGS_ARN_MAX 1400

/* The group name `in` gives (logGroupName, or logGroupIdentifier as a
 * name or an ARN), into buf; "*" when it gives none. */
static void group_name(const struct op_ctx *ctx, json_t *in, char *buf, size_t cap)
{
    const char *name = json_string_value(json_object_get(in, "logGroupName"));
    const char *ident = json_string_value(json_object_get(in, "logGroupIdentifier"));
    const char *marker = ":log-group:";
    const char *at = ident ? strstr(ident, marker) : NULL;
    if (!name && at)
        name = at + strlen(marker);
    else if (!name)
        name = ident ? ident : "*";
    size_t n = strlen(name);
    if (n >= 2 && strcmp(name + n - 2, ":*") == 0)
        n -= 2;
    snprintf(buf, cap, "%.*s", (int)n, name);
}

static void group_arn(const struct op_ctx *ctx, const char *name, char *buf, size_t cap)
{
    snprintf(buf, cap, "arn:aws:logs:%s:%s:log-group:%s", ctx->region, ctx->account, name);
}

/* The action acts on the group arn, with its tags. */
static int tagged(struct op_ctx *ctx, struct authz_req *req, const char *arn, struct error *err)
{
    return authz_tagged_resource(ctx, req, arn, NULL, err);
}

static int res_group(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    char name[LOG_NAME_MAX + 1], arn[LOGS_ARN_MAX];
    group_name(ctx, in, name, sizeof(name));
    group_arn(ctx, name, arn, sizeof(arn));
    return tagged(ctx, req, arn, err);
}

static int res_all_groups(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    char arn[LOGS_ARN_MAX];
    group_arn(ctx, "*", arn, sizeof(arn));
    authz_resource(req, arn);
    return 0;
}

int logs_authz_stream(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    char name[LOG_NAME_MAX + 1], arn[LOGS_ARN_MAX];
    const char *stream = json_string_value(json_object_get(in, "logStreamName"));
    group_name(ctx, in, name, sizeof(name));
    snprintf(arn, sizeof(arn), "arn:aws:logs:%s:%s:log-group:%s:log-stream:%s", ctx->region, ctx->account, name,
             stream ? stream : "*");
    authz_resource(req, arn);
    return 0;
}

/* TagResource and friends: the resourceArn given, without ":*". */
static int res_arn(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    const char *given = json_string_value(json_object_get(in, "resourceArn"));
    char arn[LOGS_ARN_MAX];
    size_t n = given ? strlen(given) : 0;
    if (n >= 2 && strcmp(given + n - 2, ":*") == 0)
        n -= 2;
    snprintf(arn, sizeof(arn), "%.*s", (int)n, given ? given : "*");
    return tagged(ctx, req, arn, err);
}

/* Tags in a request: a map, {key: value}. */
static int key_tag_map(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    json_t *map = json_object_get(in, "tags");
    if (!json_is_object(map))
        return 0;
    _cleanup_json_ json_t *list = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(map, k, v)
        json_array_append_new(list, json_pack("{s:s, s:O}", "key", k, "value", v));
    authz_request_tags(req, list);
    return 0;
}

static int key_untag_log_group(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    authz_tag_keys(req, json_object_get(in, "tags"));
    return 0;
}

static int key_untag_resource(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    authz_tag_keys(req, json_object_get(in, "tagKeys"));
    return 0;
}

/* Sorted by name as logs_service.c's table. */
static const struct authz_rule logs_rules[] = {
    {"CreateLogGroup", "logs:CreateLogGroup", res_group, key_tag_map, false},
    {"CreateLogStream", "logs:CreateLogStream", res_group, NULL, false},
    {"DeleteLogGroup", "logs:DeleteLogGroup", res_group, NULL, false},
    {"DeleteLogStream", "logs:DeleteLogStream", logs_authz_stream, NULL, false},
    {"DeleteRetentionPolicy", "logs:DeleteRetentionPolicy", res_group, NULL, false},
    {"DescribeLogGroups", "logs:DescribeLogGroups", res_all_groups, NULL, false},
    {"DescribeLogStreams", "logs:DescribeLogStreams", res_group, NULL, false},
    {"FilterLogEvents", "logs:FilterLogEvents", res_group, NULL, false},
    {"GetLogEvents", "logs:GetLogEvents", logs_authz_stream, NULL, false},
    {"ListTagsForResource", "logs:ListTagsForResource", res_arn, NULL, false},
    {"ListTagsLogGroup", "logs:ListTagsLogGroup", res_group, NULL, false},
    {"PutLogEvents", "logs:PutLogEvents", logs_authz_stream, NULL, false},
    {"PutRetentionPolicy", "logs:PutRetentionPolicy", res_group, NULL, false},
    {"TagLogGroup", "logs:TagLogGroup", res_group, key_tag_map, false},
    {"TagResource", "logs:TagResource", res_arn, key_tag_map, false},
    {"UntagLogGroup", "logs:UntagLogGroup", res_group, key_untag_log_group, false},
    {"UntagResource", "logs:UntagResource", res_arn, key_untag_resource, false},
};

const struct authz_rule *logs_authz_rules(size_t *ret_n)
{
    *ret_n = ELEMENTSOF(logs_rules);
    return logs_rules;
}
