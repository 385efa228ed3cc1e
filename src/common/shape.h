/* shape.h - validate JSON against a botocore service model.
 *
 * botocore's models describe every request and response member of an AWS
 * JSON API (type, required members, enums, ranges).  berth embeds a trimmed
 * copy (scripts/trim-model.py) and checks every request against it before a
 * handler sees it, so handlers can trust member types. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "error.h"

struct shape_model;

/* Parse a trimmed model. On success *ret_model owns a reference to the JSON. */
int shape_model_load(const char *text, size_t len, struct shape_model **ret_model, struct error *err);
void shape_model_free(struct shape_model *model);

/* The model's X-Amz-Target prefix, e.g. "AmazonEC2ContainerServiceV20141113". */
const char *shape_model_target_prefix(const struct shape_model *model);
/* Whether the model has this operation, and its input shape name (NULL when
 * the operation takes no input). */
bool shape_model_has_operation(const struct shape_model *model, const char *op);
const char *shape_model_input_shape(const struct shape_model *model, const char *op);
/* The enum values of a string shape, or NULL. */
json_t *shape_model_enum(const struct shape_model *model, const char *shape);

/* Accept one more value for an enum shape (a documented berth extension to
 * the service's model).  Returns -1 if the shape is not an enum. */
int shape_model_extend_enum(struct shape_model *model, const char *shape, const char *value);

/* Check value against shape.  Members the model does not know are removed
 * (as AWS services ignore them), and JSON nulls are treated as absent.
 * On a violation returns -1 with err kind ERR_INVALID and a message naming
 * the member path, e.g. "containerDefinitions[0].memory". */
int shape_validate(const struct shape_model *model, const char *shape, json_t *value, struct error *err);
