/* taskdef_validate.h - ECS's rules for a task definition, as pure functions.
 *
 * The dispatcher has already checked the request against botocore's model
 * (member types, enums, required members); what is left here is what ECS
 * checks beyond the model: names, cross references between containers and
 * volumes, memory rules, network-mode rules, health check ranges.  The unit
 * parsing of task-level cpu and memory is in taskdef_units.h.  Nothing here
 * touches the store. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "common/error.h"

/* True if s is 1-255 letters, digits, hyphens and underscores (the pattern
 * of families, container names and volume names). */
bool taskdef_name_ok(const char *s);

/* Check a RegisterTaskDefinition request (already shape-validated) against
 * ECS's rules and build the normalised TaskDefinition body: every member
 * the request set, ECS's defaults filled in (essential, cpu, port protocol,
 * the empty lists ECS always returns), cpu/memory converted to integer
 * strings, `compatibilities` and `requiresAttributes` computed.  The result
 * has no ARN, revision, status or timestamps; the caller adds those.
 * *ret_doc is a new reference.  Errors are API_ERR_CLIENT (ClientException)
 * with ECS's message where known. */
int taskdef_validate(json_t *req, json_t **ret_doc, struct error *err);
