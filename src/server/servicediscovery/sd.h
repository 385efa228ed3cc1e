/* sd.h - what Cloud Map's handlers share: the service's state, its error
 * kinds, ids and ARNs, the lookups of namespaces and services, operations
 * (sd_operations.c) and paged listings. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "server/http/api.h"

struct service_model;

struct sd_service {
    struct service_model *model;
};

/* Cloud Map's own error kinds (sd_service.c names them). */
enum sd_error_kind {
    SD_ERR_NAMESPACE_NOT_FOUND = API_ERR_MAX + 1,
    SD_ERR_SERVICE_NOT_FOUND,
    SD_ERR_INSTANCE_NOT_FOUND,
    SD_ERR_OPERATION_NOT_FOUND,
    SD_ERR_NAMESPACE_ALREADY_EXISTS,
    SD_ERR_SERVICE_ALREADY_EXISTS,
    SD_ERR_RESOURCE_IN_USE,
    SD_ERR_DUPLICATE_REQUEST,
    SD_ERR_CUSTOM_HEALTH_NOT_FOUND,
    SD_ERR_TOO_MANY_TAGS,
    SD_ERR_RESOURCE_NOT_FOUND,
};

#define SD_ID_MAX 64
#define SD_ARN_MAX 320
#define SD_TAGS_MAX 50
#define SD_ATTRIBUTES_MAX 30

static inline const char *sd_str(json_t *o, const char *key) { return json_string_value(json_object_get(o, key)); }

/* A new id: prefix and 16 characters of [0-9a-f] ("ns-", "srv-"). */
int sd_new_id(const char *prefix, char *out, size_t cap, struct error *err);
/* arn:aws:servicediscovery:REGION:ACCOUNT:<type>/<id>. */
void sd_arn(const struct op_ctx *ctx, const char *type, const char *id, char *out, size_t cap);
/* The id an ARN or id names (the part after the last "/"). */
const char *sd_id_of(const char *id_or_arn);

/* The namespace an id or ARN names: 0 with a new document, or -1 with
 * NamespaceNotFound. */
int sd_namespace_find(struct op_ctx *ctx, const char *id, json_t **ret_doc, struct error *err);
/* Store a service document again (its InstancesRevision moved...). */
int sd_service_save(struct op_ctx *ctx, json_t *svc, struct error *err);

/* ---- sd_operations.c ---- */

/* Record an operation of type on targets ({NAMESPACE: id, ...}, stolen):
 * it completes in the request's transaction, so readers see SUCCESS.
 * Its id into out (at least 48 bytes). */
int sd_operation_record(struct op_ctx *ctx, const char *type, json_t *targets, char *out, size_t cap,
                        struct error *err);

/* ---- sd_list.c ---- */

/* Whether a string passes a ListNamespaces/ListServices/ListOperations
 * filter (EQ, IN, BEGINS_WITH; BETWEEN compares as strings). */
bool sd_filter_match(json_t *filter, const char *value);
/* A page of kind under parent (NULL: any): each document that keep (may
 * be NULL) accepts is turned into a summary by show and appended to
 * out[member]; NextToken when more remain. */
typedef int (*sd_keep_fn)(struct op_ctx *ctx, json_t *doc, json_t *in, struct error *err);
typedef json_t *(*sd_show_fn)(struct op_ctx *ctx, json_t *doc, struct error *err);
int sd_list(struct op_ctx *ctx, json_t *in, json_t *out, const char *kind, const char *parent, const char *member,
            sd_keep_fn keep, sd_show_fn show, struct error *err);

#include "server/servicediscovery/sd_registry.h"

/* ---- handlers ---- */
API_ACTION(sd_create_http_namespace);
API_ACTION(sd_create_private_dns_namespace);
API_ACTION(sd_create_public_dns_namespace);
API_ACTION(sd_get_namespace);
API_ACTION(sd_list_namespaces);
API_ACTION(sd_delete_namespace);
API_ACTION(sd_get_operation);
API_ACTION(sd_list_operations);
API_ACTION(sd_create_service);
API_ACTION(sd_get_service);
API_ACTION(sd_update_service);
API_ACTION(sd_list_services);
API_ACTION(sd_delete_service);
API_ACTION(sd_register_instance);
API_ACTION(sd_deregister_instance);
API_ACTION(sd_get_instance);
API_ACTION(sd_list_instances);
API_ACTION(sd_discover_instances);
API_ACTION(sd_get_instances_health_status);
API_ACTION(sd_update_instance_custom_health_status);
API_ACTION(sd_tag_resource);
API_ACTION(sd_untag_resource);
API_ACTION(sd_list_tags_for_resource);
