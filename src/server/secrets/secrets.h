/* secrets.h - what Secrets Manager's handlers share: the service's state,
 * its error kinds, finding a secret and its versions (secrets_values.c). */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "server/http/api.h"

struct secret_box;
struct service_model;

struct secrets_service {
    struct service_model *model;
    const struct secret_box *box; /* seals every value */
};

enum secrets_error_kind {
    SECRETS_ERR_INVALID_REQUEST = API_ERR_MAX + 1,
    SECRETS_ERR_EXISTS,
    SECRETS_ERR_INVALID_NEXT_TOKEN,
};

#define SECRETS_NAME_MAX 512
#define SECRETS_ARN_MAX 700
#define SECRETS_TAGS_MAX 50
#define SECRETS_VERSIONS_MAX 100 /* labelled ones are never dropped */
#define SECRETS_WINDOW_DEFAULT_DAYS 30
#define SECRETS_WINDOW_MIN_DAYS 7
#define SECRETS_WINDOW_MAX_DAYS 30

/* The secret SecretId names (name, ARN or partial ARN): 1 with a new
 * document; -1 with ResourceNotFoundException when there is none.  Unless
 * deleted_ok, a secret marked for deletion is refused
 * (InvalidRequestException). */
int secrets_find(struct op_ctx *ctx, json_t *in, bool deleted_ok, json_t **ret_doc, struct error *err);
/* Every version doc of the secret, oldest first (new reference). */
json_t *secrets_versions(struct op_ctx *ctx, json_t *secret, struct error *err);
/* Store the secret doc again (its dates, description, deletion). */
int secrets_save(struct op_ctx *ctx, json_t *secret, struct error *err);
/* {VersionId: [stages]} of the versions that have a stage. */
json_t *secrets_version_stages(json_t *versions);

API_ACTION(secrets_create_secret);
API_ACTION(secrets_get_secret_value);
API_ACTION(secrets_put_secret_value);
API_ACTION(secrets_update_secret);
API_ACTION(secrets_describe_secret);
API_ACTION(secrets_list_secrets);
API_ACTION(secrets_delete_secret);
API_ACTION(secrets_restore_secret);
API_ACTION(secrets_tag_resource);
API_ACTION(secrets_untag_resource);
