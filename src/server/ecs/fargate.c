/* fargate.c - the FARGATE launch type (see fargate.h).  The definition's
 * Fargate rules (awsvpc, the cpu/memory table, no privileged containers,
 * host paths or host namespaces) are checked when it is registered
 * (taskdef_validate.c), which is what puts FARGATE in its
 * compatibilities. */
#include "server/ecs/fargate.h"

#include <string.h>

#include "common/cleanup.h"
#include "server/ecs/capacity_providers.h"
#include "server/ecs/taskdefs.h"
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

/* A new definition, or the current one under a new strategy, must suit
 * the launch type the service now has (a FARGATE or FARGATE_SPOT strategy
 * is FARGATE's), and a new platformVersion (Fargate's only) is a new
 * deployment. */
int fargate_update_service(struct op_ctx *ctx, json_t *in, json_t *doc, json_t *taskdef, const char *td_arn,
                           bool *redeploy, struct error *err)
{
    json_t *strategy = json_object_get(doc, "capacityProviderStrategy");
    const char *launch_type = json_string_value(json_object_get(doc, "launchType"));
    if (strategy)
        launch_type = capacity_strategy_is_fargate(strategy) ? "FARGATE" : "EC2";
    _cleanup_json_ json_t *current = NULL;
    if (!taskdef && json_object_get(in, "capacityProviderStrategy") &&
        taskdef_resolve(ctx, td_arn, false, &current, err) < 0)
        return -1;
    const char *given = json_string_value(json_object_get(in, "platformVersion"));
    const char *version = NULL;
    json_t *fargate_ok = json_pack("{s:[s]}", "compatibilities", "FARGATE");
    int r = fargate_check_launch(taskdef   ? taskdef
                                 : current ? current
                                           : fargate_ok,
                                 launch_type ? launch_type : "EC2", given, &version, err);
    json_decref(fargate_ok);
    if (r < 0)
        return -1;
    if (strcmp(launch_type ? launch_type : "", "FARGATE") == 0 && !json_object_get(doc, "platformVersion")) {
        json_object_set_new(doc, "platformVersion", json_string("LATEST"));
        json_object_set_new(doc, "platformFamily", json_string("Linux"));
    }
    if (given) {
        json_object_set_new(doc, "platformVersion", json_string(given));
        *redeploy = true;
    }
    return 0;
}
