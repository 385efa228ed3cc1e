/* sts_service.c - STS's model and action table (see sts_service.h).
 * Operations of the model not in the table (federation, SAML, web
 * identity...) are refused by the dispatcher as not implemented. */
#include "server/sts/sts_service.h"

#include <stdlib.h>

#include "common/cleanup.h"
#include "server/http/service_model.h"
#include "server/iam/iam_authz.h"

/* The embedded model (model.S). */
extern const char berth_model_sts[], berth_model_sts_end[];

static const struct api_action sts_actions[] = {
    {"AssumeRole", sts_assume_role, API_WRITE},
    {"GetCallerIdentity", sts_get_caller_identity, API_READ},
    {"GetSessionToken", sts_get_session_token, API_WRITE},
};

static const struct api_error sts_errors[] = {
    {ERR_INTERNAL, "InternalFailure", 500},
};

int sts_service_new(struct sts_service **ret, struct error *err)
{
    struct sts_service *s = calloc(1, sizeof(*s));
    if (!s)
        return error_set(err, ERR_INTERNAL, "out of memory");
    /* The size excludes the NUL model.S appends. */
    if (service_model_load(berth_model_sts, (size_t)(berth_model_sts_end - berth_model_sts) - 1, &s->model, err) < 0) {
        free(s);
        return error_prefix(err, "sts model");
    }
    *ret = s;
    return 0;
}

void sts_service_free(struct sts_service *s)
{
    if (!s)
        return;
    service_model_free(s->model);
    free(s);
}

struct api_service sts_service_api(struct sts_service *s)
{
    size_t nauthz = 0;
    const struct authz_rule *authz = sts_authz_rules(&nauthz);
    return (struct api_service){
        .target_prefix = "AWSSecurityTokenServiceV20110615",
        .model = s->model,
        .actions = sts_actions,
        .nactions = ELEMENTSOF(sts_actions),
        .state = s,
        .protocol = API_PROTOCOL_QUERY,
        .signing_name = "sts",
        .errors = sts_errors,
        .nerrors = ELEMENTSOF(sts_errors),
        .authz = authz,
        .nauthz = nauthz,
    };
}
