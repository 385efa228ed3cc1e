/* ssm_service.c - SSM's model, action table (sorted by name for the
 * dispatcher's binary search) and exception names.  SSM's other
 * operations (documents, commands, automation, inventory...) answer that
 * berth does not implement them. */
#include "server/ssm/ssm_service.h"

#include <stdlib.h>

#include "common/cleanup.h"
#include "server/http/service_model.h"
#include "server/ssm/ssm_authz.h"
#include "server/ssm/ssm.h"

/* The embedded model (model.S). */
extern const char berth_model_ssm[], berth_model_ssm_end[];

static const struct api_action ssm_actions[] = {
    {"AddTagsToResource", ssm_add_tags_to_resource, API_WRITE},
    {"DeleteParameter", ssm_delete_parameter, API_WRITE},
    {"DeleteParameters", ssm_delete_parameters, API_WRITE},
    {"DescribeParameters", ssm_describe_parameters, API_READ},
    {"GetParameter", ssm_get_parameter, API_READ},
    {"GetParameterHistory", ssm_get_parameter_history, API_READ},
    {"GetParameters", ssm_get_parameters, API_READ},
    {"GetParametersByPath", ssm_get_parameters_by_path, API_READ},
    {"LabelParameterVersion", ssm_label_parameter_version, API_WRITE},
    {"ListTagsForResource", ssm_list_tags_for_resource, API_READ},
    {"PutParameter", ssm_put_parameter, API_WRITE},
    {"RemoveTagsFromResource", ssm_remove_tags_from_resource, API_WRITE},
    {"UnlabelParameterVersion", ssm_unlabel_parameter_version, API_WRITE},
};

/* SSM's exception names, for its kinds and the generic ones it names its
 * own way (input errors are ValidationException, faults
 * InternalServerError). */
static const struct api_error ssm_errors[] = {
    {ERR_INTERNAL, "InternalServerError", 500},
    {ERR_SYSTEM, "InternalServerError", 500},
    {ERR_IO, "InternalServerError", 500},
    {ERR_INVALID, "ValidationException", 400},
    {ERR_LIMIT, "ValidationException", 400},
    {ERR_NOT_FOUND, "ParameterNotFound", 400},
    {API_ERR_UNSUPPORTED_FEATURE, "UnsupportedOperationException", 400},
    {SSM_ERR_ALREADY_EXISTS, "ParameterAlreadyExists", 400},
    {SSM_ERR_VERSION_NOT_FOUND, "ParameterVersionNotFound", 400},
    {SSM_ERR_INVALID_RESOURCE_ID, "InvalidResourceId", 400},
    {SSM_ERR_INVALID_RESOURCE_TYPE, "InvalidResourceType", 400},
    {SSM_ERR_LABEL_LIMIT, "ParameterVersionLabelLimitExceeded", 400},
    {SSM_ERR_INVALID_FILTER_KEY, "InvalidFilterKey", 400},
    {SSM_ERR_INVALID_FILTER_OPTION, "InvalidFilterOption", 400},
    {SSM_ERR_INVALID_FILTER_VALUE, "InvalidFilterValue", 400},
    {SSM_ERR_TOO_MANY_TAGS, "TooManyTagsError", 400},
    {SSM_ERR_PATTERN_MISMATCH, "ParameterPatternMismatchException", 400},
    {SSM_ERR_INVALID_ALLOWED_PATTERN, "InvalidAllowedPatternException", 400},
    {SSM_ERR_INVALID_NEXT_TOKEN, "InvalidNextToken", 400},
    {SSM_ERR_INVALID_POLICY_TYPE, "InvalidPolicyTypeException", 400},
    {SSM_ERR_INVALID_POLICY_ATTRIBUTE, "InvalidPolicyAttributeException", 400},
    {SSM_ERR_POLICIES_LIMIT, "PoliciesLimitExceededException", 400},
    {SSM_ERR_INCOMPATIBLE_POLICY, "IncompatiblePolicyException", 400},
};

int ssm_service_new(const struct secret_box *box, struct ssm_service **ret, struct error *err)
{
    struct ssm_service *s = calloc(1, sizeof(*s));
    if (!s)
        return error_set(err, ERR_INTERNAL, "out of memory");
    /* The size excludes the NUL model.S appends. */
    if (service_model_load(berth_model_ssm, (size_t)(berth_model_ssm_end - berth_model_ssm) - 1, &s->model, err) < 0) {
        free(s);
        return error_prefix(err, "ssm model");
    }
    s->box = box;
    *ret = s;
    return 0;
}

void ssm_service_free(struct ssm_service *s)
{
    if (!s)
        return;
    service_model_free(s->model);
    free(s);
}

struct api_service ssm_service_api(struct ssm_service *s)
{
    size_t nrules;
    const struct authz_rule *rules = ssm_authz_rules(&nrules);
    return (struct api_service){
        .target_prefix = service_model_target_prefix(s->model),
        .model = s->model,
        .actions = ssm_actions,
        .nactions = ELEMENTSOF(ssm_actions),
        .state = s,
        .authz = rules,
        .nauthz = nrules,
        .errors = ssm_errors,
        .nerrors = ELEMENTSOF(ssm_errors),
    };
}
