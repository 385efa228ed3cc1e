/* sd_service.c - Cloud Map's model, action table (sorted by name for the
 * dispatcher's binary search) and exception names.  Its other operations
 * (namespace updates, service attributes, DiscoverInstancesRevision)
 * answer that berth does not implement them. */
#include "server/servicediscovery/sd_service.h"

#include <stdlib.h>

#include "common/cleanup.h"
#include "server/http/service_model.h"
#include "server/servicediscovery/sd.h"
#include "server/servicediscovery/sd_authz.h"

/* The embedded model (model.S). */
extern const char berth_model_servicediscovery[], berth_model_servicediscovery_end[];

static const struct api_action sd_actions[] = {
    {"CreateHttpNamespace", sd_create_http_namespace, API_WRITE},
    {"CreatePrivateDnsNamespace", sd_create_private_dns_namespace, API_WRITE},
    {"CreatePublicDnsNamespace", sd_create_public_dns_namespace, API_WRITE},
    {"CreateService", sd_create_service, API_WRITE},
    {"DeleteNamespace", sd_delete_namespace, API_WRITE},
    {"DeleteService", sd_delete_service, API_WRITE},
    {"DeregisterInstance", sd_deregister_instance, API_WRITE},
    {"DiscoverInstances", sd_discover_instances, API_READ},
    {"GetInstance", sd_get_instance, API_READ},
    {"GetInstancesHealthStatus", sd_get_instances_health_status, API_READ},
    {"GetNamespace", sd_get_namespace, API_READ},
    {"GetOperation", sd_get_operation, API_READ},
    {"GetService", sd_get_service, API_READ},
    {"ListInstances", sd_list_instances, API_READ},
    {"ListNamespaces", sd_list_namespaces, API_READ},
    {"ListOperations", sd_list_operations, API_READ},
    {"ListServices", sd_list_services, API_READ},
    {"ListTagsForResource", sd_list_tags_for_resource, API_READ},
    {"RegisterInstance", sd_register_instance, API_WRITE},
    {"TagResource", sd_tag_resource, API_WRITE},
    {"UntagResource", sd_untag_resource, API_WRITE},
    {"UpdateInstanceCustomHealthStatus", sd_update_instance_custom_health_status, API_WRITE},
    {"UpdateService", sd_update_service, API_WRITE},
};

/* Cloud Map's exception names: input errors are InvalidInput, as are the
 * features berth refuses (the model has no other name for them). */
static const struct api_error sd_errors[] = {
    {ERR_INTERNAL, "InternalServiceError", 500},
    {ERR_SYSTEM, "InternalServiceError", 500},
    {ERR_IO, "InternalServiceError", 500},
    {ERR_INVALID, "InvalidInput", 400},
    {ERR_LIMIT, "InvalidInput", 400},
    {ERR_NOT_FOUND, "ResourceNotFoundException", 400},
    {API_ERR_UNSUPPORTED_FEATURE, "InvalidInput", 400},
    {SD_ERR_NAMESPACE_NOT_FOUND, "NamespaceNotFound", 400},
    {SD_ERR_SERVICE_NOT_FOUND, "ServiceNotFound", 400},
    {SD_ERR_INSTANCE_NOT_FOUND, "InstanceNotFound", 400},
    {SD_ERR_OPERATION_NOT_FOUND, "OperationNotFound", 400},
    {SD_ERR_NAMESPACE_ALREADY_EXISTS, "NamespaceAlreadyExists", 400},
    {SD_ERR_SERVICE_ALREADY_EXISTS, "ServiceAlreadyExists", 400},
    {SD_ERR_RESOURCE_IN_USE, "ResourceInUse", 400},
    {SD_ERR_DUPLICATE_REQUEST, "DuplicateRequest", 400},
    {SD_ERR_CUSTOM_HEALTH_NOT_FOUND, "CustomHealthNotFound", 400},
    {SD_ERR_TOO_MANY_TAGS, "TooManyTagsException", 400},
    {SD_ERR_RESOURCE_NOT_FOUND, "ResourceNotFoundException", 400},
};

int sd_service_new(struct sd_service **ret, struct error *err)
{
    struct sd_service *s = calloc(1, sizeof(*s));
    if (!s)
        return error_set(err, ERR_INTERNAL, "out of memory");
    /* The size excludes the NUL model.S appends. */
    size_t len = (size_t)(berth_model_servicediscovery_end - berth_model_servicediscovery) - 1;
    if (service_model_load(berth_model_servicediscovery, len, &s->model, err) < 0) {
        free(s);
        return error_prefix(err, "servicediscovery model");
    }
    *ret = s;
    return 0;
}

void sd_service_free(struct sd_service *s)
{
    if (!s)
        return;
    service_model_free(s->model);
    free(s);
}

struct api_service sd_service_api(struct sd_service *s)
{
    size_t nrules;
    const struct authz_rule *rules = sd_authz_rules(&nrules);
    return (struct api_service){
        .target_prefix = service_model_target_prefix(s->model),
        .model = s->model,
        .actions = sd_actions,
        .nactions = ELEMENTSOF(sd_actions),
        .state = s,
        .authz = rules,
        .nauthz = nrules,
        .errors = sd_errors,
        .nerrors = ELEMENTSOF(sd_errors),
    };
}
