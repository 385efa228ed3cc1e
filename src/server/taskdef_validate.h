/* taskdef_validate.h - ECS's rules for a task definition, as pure functions.
 *
 * The dispatcher has already checked the request against botocore's model
 * (member types, enums, required members); what is left here is what ECS
 * checks beyond the model: names, cross references between containers and
 * volumes, memory rules, network-mode rules, health check ranges, and the
 * unit parsing of task-level cpu and memory.  Nothing here touches the store. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "common/error.h"

/* Parse a task-level `cpu` value: CPU units ("1024") or vCPUs ("1 vCPU",
 * "0.5 vcpu", "2vcpu").  *ret_units is the value in CPU units.  Fails with a
 * ClientException-kind error "Invalid 'cpu' setting for task." otherwise. */
int taskdef_parse_cpu(const char *s, long *ret_units, struct error *err);

/* Parse a task-level `memory` value: MiB ("512") or with a unit ("2 GB",
 * "1GB", "0.5 GiB", "512 MiB", "512 MB").  GB and GiB both mean 1024 MiB, as
 * in ECS.  *ret_mib is the value in MiB. */
int taskdef_parse_memory(const char *s, long *ret_mib, struct error *err);

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
