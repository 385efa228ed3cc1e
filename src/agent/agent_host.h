/* agent_host.h - facts about this host the agent registers with. */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "common/error.h"

/* CPU units (1024 per online core) and memory in MiB. */
void agent_host_resources(int64_t *ret_cpu, int64_t *ret_memory);
/* The attributes ECS agents report, plus the configured ones. */
json_t *agent_host_attributes(const char *az, const char *instance_type, json_t *extra);
/* A stable EC2-style instance id for this host and data dir ("i-" + 17 hex). */
void agent_host_instance_id(const char *data_dir, char *buf, size_t cap);
