/* sd_registry.h - what other services (ECS's serviceRegistries) call to
 * put instances into a Cloud Map service, in their own transaction: the
 * same records and operations RegisterInstance and DeregisterInstance
 * make. */
#pragma once

#include <jansson.h>

#include "server/http/api.h"

/* The Cloud Map service an id or ARN names (in ctx's region): 0 with a
 * new document, or -1 with ServiceNotFound. */
int sd_service_find(struct op_ctx *ctx, const char *id, json_t **ret_doc, struct error *err);
/* The attributes instance id of svc is registered with: 1 with a new
 * reference in *ret_attrs, 0 when it is not registered, -1. */
int sd_instance_attributes(struct op_ctx *ctx, json_t *svc, const char *id, json_t **ret_attrs, struct error *err);
/* Register (or replace) instance id of svc with attrs (borrowed),
 * recording a REGISTER_INSTANCE operation whose id goes to ret_op (may be
 * NULL).  -1 with InvalidInput when attrs lack what svc's records need. */
int sd_instance_put(struct op_ctx *ctx, json_t *svc, const char *id, const char *creator, json_t *attrs, char *ret_op,
                    size_t cap, struct error *err);
/* Deregister it: 1 done, 0 it was not registered, -1. */
int sd_instance_remove(struct op_ctx *ctx, json_t *svc, const char *id, char *ret_op, size_t cap, struct error *err);
/* The namespace an id, ARN or name names (in ctx's region): 0 with a new
 * document, or -1 with NamespaceNotFound. */
int sd_namespace_resolve(struct op_ctx *ctx, const char *ref, json_t **ret_doc, struct error *err);
/* The service named name in namespace ns (a document), created as ECS's
 * Service Connect creates it (Type HTTP: found through the API, not DNS)
 * when there is none: 0 with a new document, -1. */
int sd_service_ensure(struct op_ctx *ctx, json_t *ns, const char *name, json_t **ret_doc, struct error *err);
