/* agent_update.c - UpdateContainerAgent (see agent_update.h): the
 * instance as it is, its agent's version in versionInfo.  Nothing is
 * downloaded or restarted: the update is a no-op. */
#include "server/ecs/agent_update.h"

#include <string.h>

#include "common/cleanup.h"
#include "server/ecs/clusters.h"
#include "server/ecs/instances.h"

int action_update_container_agent(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    _cleanup_(instance_row_clear) struct instance_row row = {0};
    if (cluster_resolve(ctx, json_object_get(in, "cluster"), false, &cluster, err) < 0 ||
        instance_resolve(ctx, &cluster, json_string_value(json_object_get(in, "containerInstance")), &row, err) < 0)
        return -1;
    if (strcmp(row.status, "ACTIVE") != 0 && strcmp(row.status, "DRAINING") != 0)
        return error_set(err, ERR_INVALID, "The container instance is %s: its agent cannot be updated.", row.status);
    json_t *j = instance_json(ctx, &cluster, &row, false, err);
    if (!j)
        return -1;
    json_object_set_new(out, "containerInstance", j);
    return 0;
}
