/* store_iam.h - IAM's identities in the store: users, roles and groups
 * (one table, told apart by kind), the inline policies each carries, the
 * managed policies attached to each, and group members (store_iam.c);
 * managed policies and their versions (store_iam_policies.c).
 *
 * Names are compared without regard to case, as IAM does: "Alice" and
 * "alice" are one user.  Policy documents are stored as the caller gave
 * them (IAM returns them as written). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/store/store.h"

/* kind: "user", "role" or "group". */
struct iam_entity_row {
    char kind[8];
    char name[129];
    char id[33];
    char path[513];
    char arn[1100];
    int64_t created_at; /* usec */
    /* Roles only (NULL / 0 otherwise); owned, freed by iam_entity_row_clear. */
    char *description;
    char *trust_policy;
    int64_t max_session; /* seconds */
};
void iam_entity_row_clear(struct iam_entity_row *row);

/* Insert a new entity (the caller checked its name is free). */
int store_iam_entity_insert(struct store_tx *tx, const struct iam_entity_row *row, struct error *err);
/* 1 with *ret_row filled, 0 when there is none. */
int store_iam_entity_get(struct store_tx *tx, const char *kind, const char *name, struct iam_entity_row *ret_row,
                         struct error *err);
/* A role's trust policy; ERR_NOT_FOUND when there is no such role. */
int store_iam_role_set_trust(struct store_tx *tx, const char *name, const char *document, struct error *err);
/* A role's description (NULL: kept) and maximum session (0: kept). */
int store_iam_role_update(struct store_tx *tx, const char *name, const char *description, int64_t max_session,
                          struct error *err);
/* ERR_NOT_FOUND when there is none. */
int store_iam_entity_delete(struct store_tx *tx, const char *kind, const char *name, struct error *err);
/* Entities of kind whose path starts with path_prefix, by name, after
 * `after` (NULL: from the first), at most limit: a new array (free each
 * row with iam_entity_row_clear, then the array). */
int store_iam_entity_list(struct store_tx *tx, const char *kind, const char *path_prefix, const char *after, int limit,
                          struct iam_entity_row **ret_rows, size_t *ret_count, bool *ret_more, struct error *err);
void iam_entity_rows_free(struct iam_entity_row *rows, size_t n);

/* Inline policies: kind and entity name their owner. */
int store_iam_inline_put(struct store_tx *tx, const char *kind, const char *entity, const char *policy,
                         const char *document, struct error *err);
/* 1 with *ret_document (malloc'd) and the stored name's spelling, 0 if none. */
int store_iam_inline_get(struct store_tx *tx, const char *kind, const char *entity, const char *policy,
                         char **ret_document, struct error *err);
int store_iam_inline_delete(struct store_tx *tx, const char *kind, const char *entity, const char *policy,
                            struct error *err);
/* Names after `after`, at most limit, appended to the JSON array names. */
int store_iam_inline_names(struct store_tx *tx, const char *kind, const char *entity, const char *after, int limit,
                           json_t *names, bool *ret_more, struct error *err);
/* Every document, appended to the JSON array docs (strings). */
int store_iam_inline_documents(struct store_tx *tx, const char *kind, const char *entity, json_t *docs,
                               struct error *err);

/* Attached managed policies. attach: 1 if new, 0 if it was attached. */
int store_iam_attach(struct store_tx *tx, const char *kind, const char *entity, const char *policy_arn,
                     struct error *err);
int store_iam_detach(struct store_tx *tx, const char *kind, const char *entity, const char *policy_arn,
                     struct error *err);
/* Policy ARNs after `after`, at most limit (-1: all), appended to arns. */
int store_iam_attached(struct store_tx *tx, const char *kind, const char *entity, const char *after, int limit,
                       json_t *arns, bool *ret_more, struct error *err);
/* The identities a policy is attached to, as ["kind", "name"] pairs. */
int store_iam_policy_entities(struct store_tx *tx, const char *policy_arn, json_t *pairs, struct error *err);
int store_iam_attachment_count(struct store_tx *tx, const char *policy_arn, int64_t *ret_count, struct error *err);

/* Group members. add: 1 if new, 0 if already a member. */
int store_iam_member_add(struct store_tx *tx, const char *group, const char *user, struct error *err);
int store_iam_member_remove(struct store_tx *tx, const char *group, const char *user, struct error *err);
/* Users of a group, or groups of a user, appended to the JSON array names. */
int store_iam_group_users(struct store_tx *tx, const char *group, json_t *names, struct error *err);
int store_iam_user_groups(struct store_tx *tx, const char *user, json_t *names, struct error *err);

/* The IAM generation: a number every IAM write changes (migration 14's
 * triggers), random per database, for caches of what IAM rows imply. */
int store_iam_generation(struct store_tx *tx, int64_t *ret, struct error *err);

/* Managed policies (store_iam_policies.c). */
struct iam_policy_row {
    char arn[1100];
    char name[129];
    char id[33];
    char path[513];
    char description[1001];
    char default_version[16];
    int64_t next_version; /* the number the next CreatePolicyVersion takes */
    int64_t created_at, updated_at;
};
int store_iam_policy_insert(struct store_tx *tx, const struct iam_policy_row *row, struct error *err);
/* 1 with *ret_row, 0 if none. */
int store_iam_policy_get(struct store_tx *tx, const char *arn, struct iam_policy_row *ret_row, struct error *err);
/* 1 if a policy of that name exists (any path). */
int store_iam_policy_name_taken(struct store_tx *tx, const char *name, struct error *err);
int store_iam_policy_update(struct store_tx *tx, const struct iam_policy_row *row, struct error *err);
/* Deletes the policy and all its versions. */
int store_iam_policy_delete(struct store_tx *tx, const char *arn, struct error *err);
/* By name, path prefix, only attached ones when only_attached; as
 * store_iam_entity_list (free the array). */
int store_iam_policy_list(struct store_tx *tx, const char *path_prefix, bool only_attached, const char *after,
                          int limit, struct iam_policy_row **ret_rows, size_t *ret_count, bool *ret_more,
                          struct error *err);

int store_iam_version_insert(struct store_tx *tx, const char *arn, const char *version, const char *document,
                             int64_t created_at, struct error *err);
/* 1 with *ret_document (malloc'd) and *ret_created_at, 0 if none. */
int store_iam_version_get(struct store_tx *tx, const char *arn, const char *version, char **ret_document,
                          int64_t *ret_created_at, struct error *err);
int store_iam_version_delete(struct store_tx *tx, const char *arn, const char *version, struct error *err);
/* Versions newest first as {"VersionId", "CreateDate" (usec)} objects. */
int store_iam_versions(struct store_tx *tx, const char *arn, json_t *ret_list, struct error *err);
