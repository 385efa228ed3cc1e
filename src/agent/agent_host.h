/* agent_host.h - facts about this host the agent registers with. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

/* CPU units (1024 per online core) and memory in MiB. */
void agent_host_resources(int64_t *ret_cpu, int64_t *ret_memory);
/* The attributes ECS agents report, plus the configured ones.
 * com.amazonaws.ecs.capability.privileged-container only when privileged
 * containers are allowed (ECS's agent leaves it out with
 * ECS_DISABLE_PRIVILEGED), so that placement keeps them off this host. */
json_t *agent_host_attributes(const char *az, const char *instance_type, bool privileged, json_t *extra);
/* A stable EC2-style instance id for this host and data dir ("i-" + 17 hex). */
void agent_host_instance_id(const char *data_dir, char *buf, size_t cap);
/* The attribute that names this host's IPv4 address (berth.host-ipv4),
 * as configured or else the source address of the default route; the
 * server gives it to Cloud Map as AWS_INSTANCE_IPV4 of bridge and host
 * tasks.  NULL when there is none to give. */
#define AGENT_HOST_IPV4_ATTRIBUTE "berth.host-ipv4"
json_t *agent_host_ipv4_attribute(const char *configured);
