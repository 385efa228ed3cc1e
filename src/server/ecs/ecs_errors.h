/* ecs_errors.h - ECS's own exceptions beyond the common ones
 * (server/http/api.h); ecs_service.c's table names them. */
#pragma once

#include "server/http/api.h"

enum ecs_error_kind {
    ECS_ERR_CONFLICT = API_ERR_MAX + 1,   /* ConflictException */
    ECS_ERR_SERVICE_DEPLOYMENT_NOT_FOUND, /* ServiceDeploymentNotFoundException */
    ECS_ERR_NAMESPACE_NOT_FOUND,          /* NamespaceNotFoundException */
    ECS_ERR_TASK_SET_NOT_FOUND,           /* TaskSetNotFoundException */
};
