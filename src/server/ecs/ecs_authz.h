/* ecs_authz.h - the authorisation rules of ECS's actions and of berth's
 * agent calls (server/http/authz.h), for ecs_service.c to register. */
#pragma once

#include <stddef.h>

#include "server/http/authz.h"

const struct authz_rule *ecs_authz_rules(size_t *ret_n);
const struct authz_rule *ecs_authz_agent_rules(size_t *ret_n);
