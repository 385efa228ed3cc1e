/* acm_service.c - Certificate Manager's model, action table (sorted by
 * name for the dispatcher's binary search) and exception names.  Export,
 * renewal, revocation, account configuration, SearchCertificates and
 * UpdateCertificateOptions answer that berth does not implement them;
 * RequestCertificate explains why it cannot (acm_certs.c). */
#include "server/acm/acm_service.h"

#include <stdlib.h>

#include "common/cleanup.h"
#include "server/acm/acm.h"
#include "server/acm/acm_authz.h"
#include "server/http/service_model.h"

/* The embedded model (model.S). */
extern const char berth_model_acm[], berth_model_acm_end[];

static const struct api_action acm_actions[] = {
    {"AddTagsToCertificate", acm_add_tags, API_WRITE},
    {"DeleteCertificate", acm_delete_certificate, API_WRITE},
    {"DescribeCertificate", acm_describe_certificate, API_READ},
    {"GetCertificate", acm_get_certificate, API_READ},
    {"ImportCertificate", acm_import_certificate, API_WRITE},
    {"ListCertificates", acm_list_certificates, API_READ},
    {"ListTagsForCertificate", acm_list_tags, API_READ},
    {"RemoveTagsFromCertificate", acm_remove_tags, API_WRITE},
    {"RequestCertificate", acm_request_certificate, API_READ},
};

/* ACM's exception names for its kinds and the generic ones. */
static const struct api_error acm_errors[] = {
    {ERR_INVALID, "ValidationException", 400},
    {ERR_LIMIT, "ValidationException", 400},
    {ERR_INTERNAL, "InternalFailure", 500},
    {ERR_SYSTEM, "InternalFailure", 500},
    {ERR_IO, "InternalFailure", 500},
    {API_ERR_UNSUPPORTED_FEATURE, "ValidationException", 400},
    {ACM_ERR_INVALID_ARN, "InvalidArnException", 400},
    {ACM_ERR_VALIDATION, "ValidationException", 400},
    {ACM_ERR_IN_USE, "ResourceInUseException", 400},
    {ACM_ERR_TOO_MANY_TAGS, "TooManyTagsException", 400},
    {ACM_ERR_INVALID_TAG, "InvalidTagException", 400},
    {ACM_ERR_NOT_IMPLEMENTED, "ValidationException", 400},
};

int acm_service_new(const struct secret_box *box, struct acm_service **ret, struct error *err)
{
    struct acm_service *s = calloc(1, sizeof(*s));
    if (!s)
        return error_set(err, ERR_INTERNAL, "out of memory");
    /* The size excludes the NUL model.S appends. */
    if (service_model_load(berth_model_acm, (size_t)(berth_model_acm_end - berth_model_acm) - 1, &s->model, err) < 0) {
        free(s);
        return error_prefix(err, "acm model");
    }
    s->box = box;
    *ret = s;
    return 0;
}

void acm_service_free(struct acm_service *s)
{
    if (!s)
        return;
    service_model_free(s->model);
    free(s);
}

struct api_service acm_service_api(struct acm_service *s)
{
    size_t nrules;
    const struct authz_rule *rules = acm_authz_rules(&nrules);
    return (struct api_service){
        .target_prefix = service_model_target_prefix(s->model),
        .model = s->model,
        .actions = acm_actions,
        .nactions = ELEMENTSOF(acm_actions),
        .state = s,
        .authz = rules,
        .nauthz = nrules,
        .errors = acm_errors,
        .nerrors = ELEMENTSOF(acm_errors),
    };
}
