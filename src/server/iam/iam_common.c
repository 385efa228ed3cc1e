/* iam_common.c - names, ids, ARNs, documents and paging as IAM spells
 * them, for every IAM handler (see iam_common.h). */
#include "server/iam/iam_common.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/cleanup.h"
#include "common/sigv4.h"
#include "server/iam/policy.h"

#define MAX_ITEMS_DEFAULT 100
#define MAX_ITEMS_MAX 1000

const struct iam_kind IAM_USER = {"user", "User", "AIDA"};
const struct iam_kind IAM_ROLE = {"role", "Role", "AROA"};
const struct iam_kind IAM_GROUP = {"group", "Group", "AGPA"};

static int validation_error(struct error *err, const char *member, const char *value, const char *constraint)
{
    return error_set(err, ERR_INVALID,
                     "1 validation error detected: Value '%.200s' at '%s' failed to satisfy constraint: %s", value,
                     member, constraint);
}

int iam_check_name(const char *member, const char *value, struct error *err)
{
    static const char allowed[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+=,.@-";
    if (!*value || strspn(value, allowed) != strlen(value))
        return validation_error(err, member, value, "Member must satisfy regular expression pattern: [\\w+=,.@-]+");
    return 0;
}

int iam_check_path(const char *member, const char *value, struct error *err)
{
    size_t n = strlen(value);
    bool ok = n >= 1 && value[0] == '/' && value[n - 1] == '/';
    for (size_t i = 0; ok && i < n; i++)
        ok = value[i] >= 0x21 && value[i] <= 0x7e;
    if (!ok)
        return validation_error(err, member, value,
                                "Member must satisfy regular expression pattern: "
                                "(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)");
    return 0;
}

int iam_new_id(const char *prefix, char out[22], struct error *err)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    unsigned char raw[17];
    if (strlen(prefix) != 4 || RAND_bytes(raw, sizeof(raw)) != 1)
        return error_set(err, ERR_INTERNAL, "no random bytes for an id");
    memcpy(out, prefix, 4);
    for (size_t i = 0; i < sizeof(raw); i++)
        out[4 + i] = alphabet[raw[i] % 32];
    out[21] = '\0';
    return 0;
}

void iam_arn(const struct op_ctx *ctx, const char *word, const char *path, const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "arn:aws:iam::%s:%s%s%s", ctx->account, word, path, name);
}

int iam_entity_must_get(struct op_ctx *ctx, const struct iam_kind *k, const char *name, struct iam_entity_row *ret,
                        struct error *err)
{
    int r = store_iam_entity_get(ctx->tx, k->kind, name, ret, err);
    if (r < 0)
        return -1;
    if (r == 0)
        return error_set(err, ERR_NOT_FOUND, "The %s with name %.128s cannot be found.", k->kind, name);
    return 0;
}

json_t *iam_time(usec_t t) { return json_real(time_to_epoch_seconds(t)); }

json_t *iam_encoded_document(const char *doc)
{
    _cleanup_buf_ struct buf b;
    buf_init(&b, 3 * strlen(doc) + 1);
    sigv4_uri_encode(&b, doc, strlen(doc), false);
    return b.failed ? NULL : json_string(b.data ? b.data : "");
}

json_t *iam_entity_json(const struct iam_kind *k, const struct iam_entity_row *row)
{
    char name_key[16], id_key[16];
    snprintf(name_key, sizeof(name_key), "%sName", k->title);
    snprintf(id_key, sizeof(id_key), "%sId", k->title);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:o}", "Path", row->path, name_key, row->name, id_key, row->id, "Arn",
                          row->arn, "CreateDate", iam_time(row->created_at));
    if (o && k == &IAM_ROLE) {
        if (row->trust_policy)
            json_object_set_new(o, "AssumeRolePolicyDocument", iam_encoded_document(row->trust_policy));
        if (row->description && *row->description)
            json_object_set_new(o, "Description", json_string(row->description));
        json_object_set_new(o, "MaxSessionDuration", json_integer(row->max_session));
    }
    return o;
}

int iam_check_policy_document(const char *doc, struct error *err)
{
    struct policy *p = NULL;
    if (policy_compile(doc, strlen(doc), &p, err) < 0) {
        err->kind = IAM_ERR_MALFORMED_POLICY;
        return -1;
    }
    policy_free(p);
    return 0;
}

int iam_page_begin(json_t *in, const char *action, struct page *ret_page, struct error *err)
{
    return page_begin_as(in, action, "MaxItems", "Marker", MAX_ITEMS_DEFAULT, MAX_ITEMS_MAX, ret_page, err);
}

void iam_page_end(json_t *out, const char *action, bool more, const char *last_key)
{
    json_object_set_new(out, "IsTruncated", json_boolean(more));
    if (more && last_key)
        page_set_next_as(out, action, "Marker", last_key);
}
