/* account_settings.c - ECS account settings (see account_settings.h).  A
 * setting of the account's root is the account's default; a principal's
 * own overrides it. */
#include "server/ecs/account_settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/store/store_account_settings.h"

#define LIST_MAX 10

/* The settings berth honours, with ECS's default and what it accepts. */
static const struct known_setting {
    const char *name;
    const char *def;
    const char *const values[4];
} known[] = {
    {"containerInsights", "disabled", {"enabled", "disabled", "enhanced", NULL}},
    {"containerInstanceLongArnFormat", "enabled", {"enabled", NULL}},
    {"serviceLongArnFormat", "enabled", {"enabled", NULL}},
    {"taskLongArnFormat", "enabled", {"enabled", NULL}},
};

static const struct known_setting *find(const char *name)
{
    for (size_t i = 0; i < ELEMENTSOF(known); i++)
        if (name && strcmp(known[i].name, name) == 0)
            return &known[i];
    return NULL;
}

static const struct known_setting *setting_or_error(const char *name, struct error *err)
{
    const struct known_setting *k = find(name);
    if (!k)
        error_set(err, API_ERR_UNSUPPORTED_FEATURE,
                  "berth does not implement the account setting %.64s: it takes containerInsights and the long ARN "
                  "formats only.",
                  name ? name : "(null)");
    return k;
}

static int check_value(const struct known_setting *k, const char *value, struct error *err)
{
    for (size_t i = 0; k->values[i]; i++)
        if (strcmp(k->values[i], value) == 0)
            return 0;
    if (!k->values[1])
        return error_set(err, ERR_INVALID, "berth always uses the long ARN format: %s can only be 'enabled'.", k->name);
    return error_set(err, ERR_INVALID, "The value for the %s setting must be 'enabled', 'disabled' or 'enhanced'.",
                     k->name);
}

static void root_arn(const struct op_ctx *ctx, char *buf, size_t cap)
{
    snprintf(buf, cap, "arn:aws:iam::%s:root", ctx->account);
}

/* The principal a request names (principalArn, else the caller): an IAM
 * ARN of this account. */
static int principal_of(const struct op_ctx *ctx, json_t *in, char *buf, size_t cap, struct error *err)
{
    const char *given = json_string_value(json_object_get(in, "principalArn"));
    const char *p = given ? given : ctx->caller;
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "arn:aws:iam::%s:", ctx->account);
    bool sts = strncmp(p, "arn:aws:sts::", 13) == 0 && strstr(p, ctx->account) == p + 13;
    if ((strncmp(p, prefix, strlen(prefix)) != 0 && !sts) || strlen(p) >= cap)
        return error_set(err, ERR_INVALID, "principalArn must be the ARN of an IAM user, role or root of account %s.",
                         ctx->account);
    snprintf(buf, cap, "%s", p);
    return 0;
}

static json_t *setting_json(const char *name, const char *value, const char *principal, const char *type)
{
    return json_pack("{s:s, s:s, s:s, s:s}", "name", name, "value", value, "principalArn", principal, "type", type);
}

/* The effective value of k for principal: into value, and whose it is. */
static int effective(struct op_ctx *ctx, const struct known_setting *k, const char *principal, char *value, size_t cap,
                     char *owner, size_t owner_cap, bool *ret_builtin, struct error *err)
{
    char root[128];
    root_arn(ctx, root, sizeof(root));
    const char *who[] = {principal, root};
    for (size_t i = 0; i < 2; i++) {
        int r = store_account_setting_get(ctx->tx, ctx->region, who[i], k->name, value, cap, err);
        if (r < 0)
            return -1;
        if (r > 0) {
            snprintf(owner, owner_cap, "%s", who[i]);
            *ret_builtin = false;
            return 0;
        }
    }
    snprintf(value, cap, "%s", k->def);
    snprintf(owner, owner_cap, "%s", principal);
    *ret_builtin = true;
    return 0;
}

int account_setting_effective(struct op_ctx *ctx, const char *name, char *buf, size_t cap, struct error *err)
{
    const struct known_setting *k = find(name);
    if (!k)
        return error_set(err, ERR_INTERNAL, "unknown account setting %s", name);
    char owner[512];
    bool builtin;
    const char *caller = ctx->caller && *ctx->caller ? ctx->caller : "";
    return effective(ctx, k, caller, buf, cap, owner, sizeof(owner), &builtin, err);
}

static int put(struct op_ctx *ctx, json_t *in, const char *principal, json_t *out, struct error *err)
{
    const char *name = json_string_value(json_object_get(in, "name"));
    const char *value = json_string_value(json_object_get(in, "value"));
    const struct known_setting *k = setting_or_error(name, err);
    if (!k || check_value(k, value, err) < 0 ||
        store_account_setting_put(ctx->tx, ctx->region, principal, name, value, err) < 0)
        return -1;
    json_object_set_new(out, "setting", setting_json(name, value, principal, "user"));
    return 0;
}

int action_put_account_setting(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    char principal[512];
    if (principal_of(ctx, in, principal, sizeof(principal), err) < 0)
        return -1;
    return put(ctx, in, principal, out, err);
}

int action_put_account_setting_default(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    char root[128];
    root_arn(ctx, root, sizeof(root));
    return put(ctx, in, root, out, err);
}

int action_delete_account_setting(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    char principal[512], value[64];
    const char *name = json_string_value(json_object_get(in, "name"));
    const struct known_setting *k = setting_or_error(name, err);
    if (!k || principal_of(ctx, in, principal, sizeof(principal), err) < 0)
        return -1;
    int r = store_account_setting_get(ctx->tx, ctx->region, principal, name, value, sizeof(value), err);
    if (r < 0)
        return -1;
    if (r == 0)
        return error_set(err, ERR_INVALID, "The account setting %s is not set for %.400s.", name, principal);
    if (store_account_setting_delete(ctx->tx, ctx->region, principal, name, err) < 0)
        return -1;
    json_object_set_new(out, "setting", setting_json(name, value, principal, "user"));
    return 0;
}

int action_list_account_settings(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    char principal[512];
    if (principal_of(ctx, in, principal, sizeof(principal), err) < 0)
        return -1;
    const char *name = json_string_value(json_object_get(in, "name"));
    const char *want = json_string_value(json_object_get(in, "value"));
    bool eff = json_is_true(json_object_get(in, "effectiveSettings"));
    json_t *max = json_object_get(in, "maxResults");
    json_int_t limit = max ? json_integer_value(max) : LIST_MAX;
    if (limit < 1 || limit > LIST_MAX)
        return error_set(err, ERR_INVALID, "maxResults must be between 1 and %d.", LIST_MAX);
    /* The token is the index of the next known setting. */
    const char *token = json_string_value(json_object_get(in, "nextToken"));
    size_t from = 0;
    if (token) {
        char *end = NULL;
        unsigned long v = strtoul(token, &end, 10);
        if (!*token || *end || v >= ELEMENTSOF(known))
            return error_set(err, ERR_INVALID, "Invalid nextToken.");
        from = v;
    }
    json_t *list = json_array();
    json_object_set_new(out, "settings", list);
    for (size_t i = from; i < ELEMENTSOF(known); i++) {
        const struct known_setting *k = &known[i];
        if (name && strcmp(name, k->name) != 0)
            continue;
        if ((json_int_t)json_array_size(list) == limit) {
            char next[16];
            snprintf(next, sizeof(next), "%zu", i);
            json_object_set_new(out, "nextToken", json_string(next));
            break;
        }
        char value[64], owner[512];
        bool builtin = false;
        int r;
        if (eff)
            r = effective(ctx, k, principal, value, sizeof(value), owner, sizeof(owner), &builtin, err);
        else
            r = store_account_setting_get(ctx->tx, ctx->region, principal, k->name, value, sizeof(value), err);
        if (r < 0)
            return -1;
        if ((!eff && r == 0) || (want && strcmp(want, value) != 0))
            continue;
        json_array_append_new(list,
                              setting_json(k->name, value, eff ? owner : principal, builtin ? "aws_managed" : "user"));
    }
    return 0;
}
