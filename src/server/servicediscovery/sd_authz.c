/* sd_authz.c - what each Cloud Map action asks of IAM (see sd_authz.h):
 * servicediscovery:<Action> on the namespace or service it acts on
 * (arn:aws:servicediscovery:REGION:ACCOUNT:namespace/ID, .../service/ID)
 * with its tags, or on "*" for creating namespaces, listings, operations
 * and DiscoverInstances.  Tagging on create asks for the request's tags
 * (aws:RequestTag/KEY, aws:TagKeys). */
#include "server/servicediscovery/sd_authz.h"

#include <string.h>

#include "common/cleanup.h"
#include "server/http/authz.h"
#include "server/servicediscovery/sd.h"

/* One resource of type: the ARN of the id or ARN given, with its tags. */
static int add_resource(struct op_ctx *ctx, struct authz_req *req, const char *type, const char *given,
                        struct error *err)
{
    char arn[SD_ARN_MAX];
    sd_arn(ctx, type, given ? sd_id_of(given) : "*", arn, sizeof(arn));
    return authz_tagged_resource(ctx, req, arn, NULL, err);
}

static int res_namespace_id(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    return add_resource(ctx, req, "namespace", sd_str(in, "Id"), err);
}

/* CreateService acts on its namespace. */
static int res_create_service(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    const char *ns = sd_str(in, "NamespaceId");
    return add_resource(ctx, req, "namespace", ns ? ns : sd_str(json_object_get(in, "DnsConfig"), "NamespaceId"), err);
}

static int res_service_id(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    return add_resource(ctx, req, "service", sd_str(in, "Id"), err);
}

static int res_service_of_instance(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    return add_resource(ctx, req, "service", sd_str(in, "ServiceId"), err);
}

static int res_arn(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    return authz_tagged_resource(ctx, req, sd_str(in, "ResourceARN"), NULL, err);
}

#define SD "servicediscovery:"

/* Sorted by name as sd_service.c's table. */
static const struct authz_rule sd_rules[] = {
    {"CreateHttpNamespace", SD "CreateHttpNamespace", NULL, authz_keys_keyed_tags, false},
    {"CreatePrivateDnsNamespace", SD "CreatePrivateDnsNamespace", NULL, authz_keys_keyed_tags, false},
    {"CreatePublicDnsNamespace", SD "CreatePublicDnsNamespace", NULL, authz_keys_keyed_tags, false},
    {"CreateService", SD "CreateService", res_create_service, authz_keys_keyed_tags, false},
    {"DeleteNamespace", SD "DeleteNamespace", res_namespace_id, NULL, false},
    {"DeleteService", SD "DeleteService", res_service_id, NULL, false},
    {"DeregisterInstance", SD "DeregisterInstance", res_service_of_instance, NULL, false},
    {"DiscoverInstances", SD "DiscoverInstances", NULL, NULL, false},
    {"GetInstance", SD "GetInstance", res_service_of_instance, NULL, false},
    {"GetInstancesHealthStatus", SD "GetInstancesHealthStatus", res_service_of_instance, NULL, false},
    {"GetNamespace", SD "GetNamespace", res_namespace_id, NULL, false},
    {"GetOperation", SD "GetOperation", NULL, NULL, false},
    {"GetService", SD "GetService", res_service_id, NULL, false},
    {"ListInstances", SD "ListInstances", res_service_of_instance, NULL, false},
    {"ListNamespaces", SD "ListNamespaces", NULL, NULL, false},
    {"ListOperations", SD "ListOperations", NULL, NULL, false},
    {"ListServices", SD "ListServices", NULL, NULL, false},
    {"ListTagsForResource", SD "ListTagsForResource", res_arn, NULL, false},
    {"RegisterInstance", SD "RegisterInstance", res_service_of_instance, NULL, false},
    {"TagResource", SD "TagResource", res_arn, authz_keys_keyed_tags, false},
    {"UntagResource", SD "UntagResource", res_arn, authz_keys_tag_keys, false},
    {"UpdateInstanceCustomHealthStatus", SD "UpdateInstanceCustomHealthStatus", res_service_of_instance, NULL, false},
    {"UpdateService", SD "UpdateService", res_service_id, NULL, false},
};

const struct authz_rule *sd_authz_rules(size_t *ret_n)
{
    *ret_n = ELEMENTSOF(sd_rules);
    return sd_rules;
}
