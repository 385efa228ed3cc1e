/* ssm_params.c - parameters one by one: PutParameter, GetParameter(s),
 * DeleteParameter(s), and the lookup and JSON forms the other handlers
 * share.  Every value is sealed before it is stored; a value never goes
 * into an error message or a log line. */
#include "server/ssm/ssm.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/timeutil.h"
#include "common/utf8.h"
#include "server/http/tags.h"
#include "server/iam/secret_text.h"
#include "server/logs/logs_regex.h"
#include "server/store/store_ssm.h"
#include "server/store/store_tags.h"

static const char *str(json_t *o, const char *key) { return json_string_value(json_object_get(o, key)); }

/* The stored name sel means (sel->name, or for an ARN maybe sel->alt) and
 * its newest version: 1, 0 when neither exists, -1. */
static int find_name(struct op_ctx *ctx, const struct ssm_selector *sel, const char **ret_name, int64_t *ret_latest,
                     struct error *err)
{
    int r = store_ssm_latest(ctx->tx, ctx->region, sel->name, ret_latest, err);
    if (r > 0 && sel->alt[0]) {
        /* An expired name is gone: the ARN may mean the other one. */
        _cleanup_json_ json_t *newest = NULL;
        if (store_ssm_version_get(ctx->tx, ctx->region, sel->name, *ret_latest, &newest, err) < 0)
            return -1;
        if (ssm_expired(ctx, newest))
            r = 0;
    }
    if (r != 0) {
        *ret_name = sel->name;
        return r;
    }
    if (!sel->alt[0])
        return 0;
    *ret_name = sel->alt;
    return store_ssm_latest(ctx->tx, ctx->region, sel->alt, ret_latest, err);
}

/* The version of name that carries label: 1 with *ret_doc, 0, -1. */
static int find_label(struct op_ctx *ctx, const char *name, const char *label, json_t **ret_doc, struct error *err)
{
    _cleanup_json_ json_t *versions = json_array();
    if (!versions || store_ssm_versions(ctx->tx, ctx->region, name, versions, err) < 0)
        return versions ? -1 : error_set(err, ERR_INTERNAL, "out of memory");
    size_t i, j;
    json_t *doc, *l;
    json_array_foreach(versions, i, doc) {
        json_array_foreach(json_object_get(doc, "Labels"), j, l) {
            if (strcmp(json_string_value(l), label) == 0) {
                *ret_doc = json_incref(doc);
                return 1;
            }
        }
    }
    return 0;
}

int ssm_resolve(struct op_ctx *ctx, const struct ssm_selector *sel, json_t **ret_doc, struct error *err)
{
    const char *name = NULL;
    int64_t latest = 0;
    int r = find_name(ctx, sel, &name, &latest, err);
    if (r < 0)
        return -1;
    if (r == 0) {
        error_set(err, ERR_NOT_FOUND, "Parameter %.2048s not found.", sel->name);
        return 0;
    }
    /* Every version of an expired parameter is gone with it. */
    _cleanup_json_ json_t *newest = NULL;
    if (store_ssm_version_get(ctx->tx, ctx->region, name, latest, &newest, err) < 0)
        return -1;
    if (ssm_expired(ctx, newest)) {
        error_set(err, ERR_NOT_FOUND, "Parameter %.2048s not found.", sel->name);
        return 0;
    }
    if (!sel->label[0] && (!sel->version || sel->version == latest) && newest) {
        *ret_doc = TAKE_PTR(newest);
        return 1;
    }
    if (sel->label[0]) {
        r = find_label(ctx, name, sel->label, ret_doc, err);
        if (r == 0)
            error_set(err, SSM_ERR_VERSION_NOT_FOUND,
                      "Systems Manager could not find label %.100s of %.2048s. Verify the label and try again.",
                      sel->label, sel->name);
        return r;
    }
    int64_t version = sel->version ? sel->version : latest;
    r = store_ssm_version_get(ctx->tx, ctx->region, name, version, ret_doc, err);
    if (r == 0)
        error_set(err, SSM_ERR_VERSION_NOT_FOUND,
                  "Systems Manager could not find version %lld of %.2048s. Verify the version and try again.",
                  (long long)version, sel->name);
    return r;
}

json_t *ssm_value(struct op_ctx *ctx, json_t *doc, bool decrypt, struct error *err)
{
    const struct ssm_service *svc = ctx->service;
    const char *sealed = str(doc, "Sealed");
    if (!sealed) {
        error_set(err, ERR_INTERNAL, "parameter version without a value");
        return NULL;
    }
    if (!decrypt && strcmp(str(doc, "Type"), "SecureString") == 0)
        return json_string(sealed);
    _cleanup_buf_ struct buf plain;
    buf_init(&plain, SSM_ADVANCED_VALUE_MAX * 4);
    if (secret_text_open(svc->box, sealed, &plain, err) < 0)
        return NULL;
    json_t *v = json_stringn(plain.data ? plain.data : "", plain.len);
    if (plain.data)
        OPENSSL_cleanse(plain.data, plain.len);
    if (!v)
        error_set(err, ERR_INTERNAL, "out of memory");
    return v;
}

json_t *ssm_date(json_t *doc)
{
    return json_real(time_to_epoch_seconds((usec_t)json_integer_value(json_object_get(doc, "LastModifiedDate"))));
}

json_t *ssm_parameter_json(struct op_ctx *ctx, json_t *doc, bool decrypt, const char *selector, struct error *err)
{
    json_t *value = ssm_value(ctx, doc, decrypt, err);
    if (!value)
        return NULL;
    char arn[SSM_NAME_MAX + 128];
    ssm_arn(ctx->region, ctx->account, str(doc, "Name"), arn, sizeof(arn));
    json_t *p = json_pack("{s:O, s:O, s:o, s:O, s:o, s:s, s:O}", "Name", json_object_get(doc, "Name"), "Type",
                          json_object_get(doc, "Type"), "Value", value, "Version", json_object_get(doc, "Version"),
                          "LastModifiedDate", ssm_date(doc), "ARN", arn, "DataType", json_object_get(doc, "DataType"));
    if (p && selector)
        json_object_set_new(p, "Selector", json_string(selector));
    if (!p)
        error_set(err, ERR_INTERNAL, "out of memory");
    return p;
}

static int delete_one(struct op_ctx *ctx, const char *given, struct error *err);

/* ---- PutParameter ---- */

/* Value against the parameter's AllowedPattern.  The pattern comes from a
 * request: it is matched by logs_regex.c's linear-time matcher (no
 * backtracking, bounded size), never by a backtracking engine. */
static int check_pattern(const char *pattern, const char *value, struct error *err)
{
    struct logs_regex *re = NULL;
    struct error why;
    if (logs_regex_compile(pattern, strlen(pattern), &re, &why) < 0)
        return error_set(err, SSM_ERR_INVALID_ALLOWED_PATTERN, "The allowed pattern is not valid: %s", why.msg);
    bool ok = logs_regex_match(re, value, strlen(value));
    logs_regex_free(re);
    if (!ok)
        return error_set(err, SSM_ERR_PATTERN_MISMATCH,
                         "Parameter value, cannot be validated against allowedPattern: %.1024s", pattern);
    return 0;
}

/* The request's rules beyond the model: tier size, key id, tags. */
static int check_put(json_t *in, const char *type, json_t *prev, struct error *err)
{
    /* Without a Tier, an overwrite keeps the parameter's (Advanced is
     * never reverted to Standard). */
    const char *tier = str(in, "Tier") ? str(in, "Tier") : str(prev, "Tier") ? str(prev, "Tier") : "Standard";
    size_t len = strlen(str(in, "Value"));
    if (strcmp(tier, "Standard") == 0 && len > SSM_STANDARD_VALUE_MAX)
        return error_set(err, ERR_INVALID,
                         "Standard tier parameters support a maximum parameter value of %d characters.",
                         SSM_STANDARD_VALUE_MAX);
    if (len > SSM_ADVANCED_VALUE_MAX)
        return error_set(err, ERR_INVALID,
                         "Advanced tier parameters support a maximum parameter value of %d characters.",
                         SSM_ADVANCED_VALUE_MAX);
    if (str(in, "KeyId") && strcmp(type, "SecureString") != 0)
        return error_set(err, ERR_INVALID, "KeyId is required for SecureString type parameter only.");
    if (json_object_get(in, "Tags") && json_is_true(json_object_get(in, "Overwrite")))
        return error_set(err, ERR_INVALID,
                         "Invalid request: tags and overwrite can't be used together. To create a parameter with "
                         "tags, please remove overwrite flag. To update tags for an existing parameter, please use "
                         "AddTagsToResource or RemoveTagsFromResource.");
    if (json_array_size(json_object_get(in, "Tags")) > SSM_TAGS_MAX)
        return error_set(err, SSM_ERR_TOO_MANY_TAGS, "A parameter can have at most %d tags.", SSM_TAGS_MAX);
    return 0;
}

/* The new version's document, its value sealed. */
static json_t *new_version(struct op_ctx *ctx, json_t *in, const char *type, json_t *prev, int64_t version,
                           struct error *err)
{
    const struct ssm_service *svc = ctx->service;
    const char *value = str(in, "Value");
    _cleanup_free_ char *sealed = NULL;
    if (secret_text_seal(svc->box, value, strlen(value), &sealed, err) < 0)
        return NULL;
    json_t *doc = json_pack("{s:s, s:I, s:s, s:s, s:[], s:I, s:s, s:s, s:s}", "Name", str(in, "Name"), "Version",
                            (json_int_t)version, "Type", type, "Sealed", sealed, "Labels", "LastModifiedDate",
                            (json_int_t)ctx->now, "LastModifiedUser", ctx->caller[0] ? ctx->caller : "unknown", "Tier",
                            str(in, "Tier")     ? str(in, "Tier")
                            : str(prev, "Tier") ? str(prev, "Tier")
                                                : "Standard",
                            "DataType", str(in, "DataType") ? str(in, "DataType") : "text");
    if (!doc) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return NULL;
    }
    /* Description, key id and pattern carry over from the previous version
     * unless the request sets them. */
    static const char *const kept[] = {"Description", "AllowedPattern"};
    for (size_t i = 0; i < ELEMENTSOF(kept); i++) {
        json_t *v = json_object_get(in, kept[i]) ? json_object_get(in, kept[i]) : json_object_get(prev, kept[i]);
        if (v)
            json_object_set(doc, kept[i], v);
    }
    /* Policies carry over until a request sets new ones ("[]": none). */
    if (!str(in, "Policies")) {
        if (json_object_get(prev, "Policies"))
            json_object_set(doc, "Policies", json_object_get(prev, "Policies"));
        if (json_object_get(prev, "ExpiresAt"))
            json_object_set(doc, "ExpiresAt", json_object_get(prev, "ExpiresAt"));
    } else {
        json_t *policies = NULL;
        int64_t expires = 0;
        if (ssm_policies_parse(str(in, "Policies"), ctx->now, &policies, &expires, err) < 0) {
            json_decref(doc);
            return NULL;
        }
        json_object_set_new(doc, "Policies", policies);
        if (expires)
            json_object_set_new(doc, "ExpiresAt", json_integer(expires));
    }
    /* Intelligent-Tiering is Advanced when the parameter needs it (a value
     * over 4 KB, policies), else Standard: the tier it gets is stored. */
    if (strcmp(str(doc, "Tier"), "Intelligent-Tiering") == 0)
        json_object_set_new(
            doc, "Tier",
            json_string(strlen(value) > SSM_STANDARD_VALUE_MAX || json_array_size(json_object_get(doc, "Policies")) > 0
                            ? "Advanced"
                            : "Standard"));
    if (json_array_size(json_object_get(doc, "Policies")) > 0 && strcmp(str(doc, "Tier"), "Advanced") != 0) {
        json_decref(doc);
        error_set(err, ERR_INVALID, "Parameter policies are supported only for Advanced tier parameters.");
        return NULL;
    }
    if (strcmp(type, "SecureString") == 0) {
        const char *key = str(in, "KeyId");
        if (!key && prev && strcmp(str(prev, "Type"), "SecureString") == 0)
            key = str(prev, "KeyId");
        json_object_set_new(doc, "KeyId", json_string(key ? key : "alias/aws/ssm"));
    }
    return doc;
}

API_ACTION(ssm_put_parameter)
{
    const char *name = str(in, "Name");
    if (ssm_name_check(name, err) < 0)
        return -1;
    int64_t latest = 0;
    int found = store_ssm_latest(ctx->tx, ctx->region, name, &latest, err);
    if (found < 0)
        return -1;
    _cleanup_json_ json_t *prev = NULL;
    if (found && store_ssm_version_get(ctx->tx, ctx->region, name, latest, &prev, err) < 0)
        return -1;
    if (found && ssm_expired(ctx, prev)) {
        /* Parameter Store deleted it when it expired: a new one, version 1. */
        if (delete_one(ctx, name, err) < 0)
            return -1;
        json_decref(TAKE_PTR(prev));
        found = 0;
        latest = 0;
    }
    if (found && !json_is_true(json_object_get(in, "Overwrite")))
        return error_set(err, SSM_ERR_ALREADY_EXISTS,
                         "The parameter already exists. To overwrite this value, set the overwrite option in the "
                         "request to true.");
    const char *type = str(in, "Type") ? str(in, "Type") : (prev ? str(prev, "Type") : NULL);
    if (!type)
        return error_set(err, ERR_INVALID, "A parameter type is required when you create a parameter.");
    if (check_put(in, type, prev, err) < 0 || tags_check_keyed(json_object_get(in, "Tags"), err) < 0)
        return -1;
    const char *pattern = str(in, "AllowedPattern") ? str(in, "AllowedPattern") : str(prev, "AllowedPattern");
    if (pattern && check_pattern(pattern, str(in, "Value"), err) < 0)
        return -1;
    int64_t version = latest + 1;
    _cleanup_json_ json_t *doc = new_version(ctx, in, type, prev, version, err);
    if (!doc ||
        store_ssm_version_put(ctx->tx, ctx->region, name, version, doc, version - SSM_VERSIONS_KEPT + 1, err) < 0)
        return -1;
    if (!found && json_object_get(in, "Tags")) {
        char arn[SSM_NAME_MAX + 128];
        ssm_arn(ctx->region, ctx->account, name, arn, sizeof(arn));
        _cleanup_json_ json_t *tags = tags_from_keyed(json_object_get(in, "Tags"));
        if (!tags || store_tags_put(ctx->tx, arn, tags, err) < 0)
            return tags ? -1 : error_set(err, ERR_INTERNAL, "out of memory");
    }
    json_object_set_new(out, "Version", json_integer(version));
    json_object_set_new(out, "Tier", json_string(str(doc, "Tier")));
    return 0;
}

/* ---- GetParameter(s) ---- */

API_ACTION(ssm_get_parameter)
{
    struct ssm_selector sel;
    if (ssm_selector_parse(str(in, "Name"), &sel, err) < 0)
        return -1;
    _cleanup_json_ json_t *doc = NULL;
    int r = ssm_resolve(ctx, &sel, &doc, err);
    if (r <= 0)
        return -1;
    json_t *p = ssm_parameter_json(ctx, doc, json_is_true(json_object_get(in, "WithDecryption")), sel.selector, err);
    if (!p)
        return -1;
    json_object_set_new(out, "Parameter", p);
    return 0;
}

API_ACTION(ssm_get_parameters)
{
    bool decrypt = json_is_true(json_object_get(in, "WithDecryption"));
    json_t *found = json_array(), *invalid = json_array();
    json_object_set_new(out, "Parameters", found);
    json_object_set_new(out, "InvalidParameters", invalid);
    size_t i;
    json_t *n;
    json_array_foreach(json_object_get(in, "Names"), i, n) {
        struct ssm_selector sel;
        _cleanup_json_ json_t *doc = NULL;
        struct error miss;
        int r = ssm_selector_parse(json_string_value(n), &sel, &miss) < 0 ? 0 : ssm_resolve(ctx, &sel, &doc, &miss);
        if (r < 0)
            return error_set(err, miss.kind, "%s", miss.msg);
        if (r == 0) {
            json_array_append(invalid, n);
            continue;
        }
        json_t *p = ssm_parameter_json(ctx, doc, decrypt, sel.selector, err);
        if (!p)
            return -1;
        json_array_append_new(found, p);
    }
    return 0;
}

/* ---- DeleteParameter(s) ---- */

/* 1 if given named a parameter that is now gone, 0 if it named none. */
static int delete_one(struct op_ctx *ctx, const char *given, struct error *err)
{
    char arn[SSM_NAME_MAX + 128];
    ssm_arn(ctx->region, ctx->account, given, arn, sizeof(arn));
    int64_t latest = 0;
    _cleanup_json_ json_t *newest = NULL;
    int r = store_ssm_latest(ctx->tx, ctx->region, given, &latest, err);
    if (r > 0 && store_ssm_version_get(ctx->tx, ctx->region, given, latest, &newest, err) < 0)
        return -1;
    /* An expired parameter was gone already: its rows go, but it is not
     * found. */
    bool expired = r > 0 && ssm_expired(ctx, newest);
    r = r < 0 ? -1 : store_ssm_delete(ctx->tx, ctx->region, given, arn, err);
    return r > 0 && expired ? 0 : r;
}

API_ACTION(ssm_delete_parameter)
{
    const char *name = str(in, "Name");
    int r = delete_one(ctx, name, err);
    if (r == 0)
        return error_set(err, ERR_NOT_FOUND, "Parameter %.2048s not found.", name);
    return r < 0 ? -1 : 0;
}

API_ACTION(ssm_delete_parameters)
{
    json_t *deleted = json_array(), *invalid = json_array();
    json_object_set_new(out, "DeletedParameters", deleted);
    json_object_set_new(out, "InvalidParameters", invalid);
    size_t i;
    json_t *n;
    json_array_foreach(json_object_get(in, "Names"), i, n) {
        int r = delete_one(ctx, json_string_value(n), err);
        if (r < 0)
            return -1;
        json_array_append(r ? deleted : invalid, n);
    }
    return 0;
}
