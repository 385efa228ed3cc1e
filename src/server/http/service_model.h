/* service_model.h - validate JSON against a botocore service model.
 *
 * botocore's models describe every request and response member of an AWS
 * JSON API (type, required members, enums, ranges).  berth embeds a trimmed
 * copy (scripts/trim-model.py) and checks every request against it before a
 * handler sees it, so handlers can trust member types. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "common/error.h"

struct service_model;

/* Parse a trimmed model. On success *ret_model owns a reference to the JSON. */
int service_model_load(const char *text, size_t len, struct service_model **ret_model, struct error *err);
void service_model_free(struct service_model *model);

/* The model's X-Amz-Target prefix, e.g. "AmazonEC2ContainerServiceV20141113". */
const char *service_model_target_prefix(const struct service_model *model);
/* Whether the model has this operation, and its input shape name (NULL when
 * the operation takes no input). */
bool service_model_has_operation(const struct service_model *model, const char *op);
const char *service_model_input_shape(const struct service_model *model, const char *op);
/* Every operation, as an object keyed by name (sorted); borrowed. */
json_t *service_model_operations(const struct service_model *model);
/* The operation's output shape (NULL: none) and, for the AWS query
 * protocol, the element its reply wraps the output in (NULL: none). */
const char *service_model_output_shape(const struct service_model *model, const char *op);
const char *service_model_result_wrapper(const struct service_model *model, const char *op);
/* A metadata string ("protocol", "xmlNamespace", "apiVersion"...), or NULL. */
const char *service_model_metadata(const struct service_model *model, const char *key);
/* A shape's definition as the trimmed model holds it, or NULL; borrowed. */
json_t *service_model_shape(const struct service_model *model, const char *shape);
/* The enum values of a string shape, or NULL. */
json_t *service_model_enum(const struct service_model *model, const char *shape);

/* Accept one more value for an enum shape (a documented berth extension to
 * the service's model).  Returns -1 if the shape is not an enum. */
int service_model_extend_enum(struct service_model *model, const char *shape, const char *value);

/* Check value against shape.  Members the model does not know are removed
 * (as AWS services ignore them), and JSON nulls are treated as absent.
 * On a violation returns -1 with err kind ERR_INVALID and a message naming
 * the member path, e.g. "containerDefinitions[0].memory". */
int service_model_validate(const struct service_model *model, const char *shape, json_t *value, struct error *err);
