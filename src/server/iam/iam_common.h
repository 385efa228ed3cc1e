/* iam_common.h - what the IAM service's handlers share: the service's
 * state, its error kinds, the three kinds of identity (users, roles,
 * groups) as one table, names, paths, ids, ARNs, paging with Marker and
 * MaxItems, and the shapes its replies carry (iam_common.c). */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "common/timeutil.h"
#include "server/http/api.h"
#include "server/http/paging.h"
#include "server/store/store_iam.h"

struct keyring;
struct service_model;

/* The IAM service's state (ctx->service). */
struct iam_service {
    struct service_model *model;
    struct keyring *keyring;
};

/* IAM's own error kinds (iam_service.c names them). */
enum iam_error_kind {
    IAM_ERR_DELETE_CONFLICT = API_ERR_MAX + 1, /* DeleteConflict 409 */
    IAM_ERR_MALFORMED_POLICY,                  /* MalformedPolicyDocument 400 */
    IAM_ERR_INVALID_INPUT,                     /* InvalidInput 400 */
};

/* A kind of identity: "user" ("User", ids AIDA..., arn ...:user/...). */
struct iam_kind {
    const char *kind;
    const char *title;
    const char *id_prefix;
};
extern const struct iam_kind IAM_USER, IAM_ROLE, IAM_GROUP;

/* Name and path rules IAM documents ([\w+=,.@-]+; "/" or "/.../"), with
 * its "1 validation error detected" message naming member. */
int iam_check_name(const char *member, const char *value, struct error *err);
int iam_check_path(const char *member, const char *value, struct error *err);
/* A unique id: prefix ("AIDA") and 17 upper-case letters and digits. */
int iam_new_id(const char *prefix, char out[22], struct error *err);
/* arn:aws:iam::ACCOUNT:<word><path><name> ("user", "/", "alice"). */
void iam_arn(const struct op_ctx *ctx, const char *word, const char *path, const char *name, char *out, size_t cap);

/* Fetch an identity by name: NoSuchEntity, worded as IAM does, if none. */
int iam_entity_must_get(struct op_ctx *ctx, const struct iam_kind *k, const char *name, struct iam_entity_row *ret,
                        struct error *err);
/* The User/Role/Group shape of a row (roles: their trust policy, encoded). */
json_t *iam_entity_json(const struct iam_kind *k, const struct iam_entity_row *row);

/* A policy document checked as an identity policy: policy_compile()
 * refusing it is MalformedPolicyDocument. */
int iam_check_policy_document(const char *doc, struct error *err);
/* A policy document as IAM returns it: URL-encoded (RFC 3986). */
json_t *iam_encoded_document(const char *doc);
/* A time as the reply's timestamp (epoch seconds; the XML writer spells it). */
json_t *iam_time(usec_t t);

/* MaxItems (1-1000, default 100) and Marker. */
int iam_page_begin(json_t *in, const char *action, struct page *ret_page, struct error *err);
/* IsTruncated, and Marker when more follow last_key. */
void iam_page_end(json_t *out, const char *action, bool more, const char *last_key);
