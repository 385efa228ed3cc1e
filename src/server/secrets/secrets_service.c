/* secrets_service.c - Secrets Manager's model, action table (sorted by
 * name for the dispatcher's binary search) and exception names.  Rotation,
 * replication, resource policies, version listing and random passwords
 * answer that berth does not implement them. */
#include "server/secrets/secrets_service.h"

#include <stdlib.h>

#include "common/cleanup.h"
#include "server/http/service_model.h"
#include "server/secrets/secrets_authz.h"
#include "server/secrets/secrets.h"

/* The embedded model (model.S). */
extern const char berth_model_secrets[], berth_model_secrets_end[];

static const struct api_action secrets_actions[] = {
    {"CreateSecret", secrets_create_secret, API_WRITE},    {"DeleteSecret", secrets_delete_secret, API_WRITE},
    {"DescribeSecret", secrets_describe_secret, API_READ}, {"GetSecretValue", secrets_get_secret_value, API_READ},
    {"ListSecrets", secrets_list_secrets, API_READ},       {"PutSecretValue", secrets_put_secret_value, API_WRITE},
    {"RestoreSecret", secrets_restore_secret, API_WRITE},  {"TagResource", secrets_tag_resource, API_WRITE},
    {"UntagResource", secrets_untag_resource, API_WRITE},  {"UpdateSecret", secrets_update_secret, API_WRITE},
};

/* Secrets Manager's exception names for its kinds and the generic ones it
 * names its own way. */
static const struct api_error secrets_errors[] = {
    {ERR_INTERNAL, "InternalServiceError", 500},
    {ERR_SYSTEM, "InternalServiceError", 500},
    {ERR_IO, "InternalServiceError", 500},
    {ERR_CONFLICT, "InvalidRequestException", 400},
    {API_ERR_UNSUPPORTED_FEATURE, "InvalidRequestException", 400},
    {SECRETS_ERR_INVALID_REQUEST, "InvalidRequestException", 400},
    {SECRETS_ERR_EXISTS, "ResourceExistsException", 400},
    {SECRETS_ERR_INVALID_NEXT_TOKEN, "InvalidNextTokenException", 400},
};

int secrets_service_new(const struct secret_box *box, struct secrets_service **ret, struct error *err)
{
    struct secrets_service *s = calloc(1, sizeof(*s));
    if (!s)
        return error_set(err, ERR_INTERNAL, "out of memory");
    /* The size excludes the NUL model.S appends. */
    if (service_model_load(berth_model_secrets, (size_t)(berth_model_secrets_end - berth_model_secrets) - 1, &s->model,
                           err) < 0) {
        free(s);
        return error_prefix(err, "secretsmanager model");
    }
    s->box = box;
    *ret = s;
    return 0;
}

void secrets_service_free(struct secrets_service *s)
{
    if (!s)
        return;
    service_model_free(s->model);
    free(s);
}

struct api_service secrets_service_api(struct secrets_service *s)
{
    size_t nrules;
    const struct authz_rule *rules = secrets_authz_rules(&nrules);
    return (struct api_service){
        .target_prefix = service_model_target_prefix(s->model),
        .model = s->model,
        .actions = secrets_actions,
        .nactions = ELEMENTSOF(secrets_actions),
        .state = s,
        .authz = rules,
        .nauthz = nrules,
        .errors = secrets_errors,
        .nerrors = ELEMENTSOF(secrets_errors),
    };
}
