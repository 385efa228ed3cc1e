/* fargate.c - the FARGATE launch type (see fargate.h).  The definition's
 * Fargate rules (awsvpc, the cpu/memory table, no privileged containers,
 * host paths or host namespaces) are checked when it is registered
 * (taskdef_validate.c), which is what puts FARGATE in its
 * compatibilities. */
#include "server/ecs/fargate.h"

#include <string.h>

#include "server/http/api.h"

static bool has(json_t *list, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) {
        if (strcmp(json_string_value(v), s) == 0)
            return true;
    }
    return false;
}

int fargate_check_launch(json_t *taskdef, const char *launch_type, const char *platform_version,
                         const char **ret_version, struct error *err)
{
    *ret_version = NULL;
    if (strcmp(launch_type, "FARGATE") != 0) {
        if (platform_version)
            return error_set(err, ERR_INVALID, "The platform version must be null when specifying an %s launch type.",
                             launch_type);
        return 0;
    }
    if (!has(json_object_get(taskdef, "compatibilities"), "FARGATE"))
        return error_set(err, ERR_INVALID, "Task definition does not support launch_type FARGATE.");
    if (platform_version && strcmp(platform_version, "LATEST") != 0 &&
        strcmp(platform_version, FARGATE_PLATFORM_VERSION) != 0)
        return error_set(err, API_ERR_PLATFORM_UNKNOWN,
                         "The specified platform version %.32s does not exist: berth's Fargate runs %s (LATEST).",
                         platform_version, FARGATE_PLATFORM_VERSION);
    *ret_version = FARGATE_PLATFORM_VERSION;
    return 0;
}
