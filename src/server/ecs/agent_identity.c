/* agent_identity.c - the "only itself" rule for instance principals (see
 * agent_identity.h).  A refusal is logged once here, with the caller and
 * the target escaped (both may carry whatever a request sent), because an
 * agent asking for another instance's work is worth an operator's look.
 *
 * Which actions an instance principal may call at all is not decided here
 * (the dispatcher's policy check); issuing its credentials is
 * agent_register.c. */
#include "server/ecs/agent_identity.h"

#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/jsonenc.h"
#include "common/log.h"
#include "server/ecs/clusters.h"
#include "server/ecs/instances.h"
#include "server/ecs/resource_refs.h"
#include "server/ecs/tasks.h"
#include "server/iam/principal.h"

/* How much of a caller or target a log line shows. */
#define LOGGED_MAX 300

bool agent_identity_is_instance(const char *principal)
{
    return principal && strncmp(principal, "arn:", 4) == 0 && strstr(principal, ":container-instance/") != NULL;
}

/* s escaped as a JSON string's body, cut at LOGGED_MAX bytes. */
static void escaped(const char *s, char *out, size_t cap)
{
    if (!s) {
        snprintf(out, cap, "(none)");
        return;
    }
    size_t n = strlen(s) > LOGGED_MAX ? LOGGED_MAX : strlen(s);
    if (jsonenc_string_size(s, n) - 2 >= cap) {
        snprintf(out, cap, "(too long)");
        return;
    }
    out[jsonenc_escape(s, n, out)] = '\0';
}

static int deny(struct op_ctx *ctx, const char *target, const char *what, struct error *err)
{
    char who[LOGGED_MAX * 6 + 1], whom[LOGGED_MAX * 6 + 1];
    escaped(ctx->caller, who, sizeof(who));
    escaped(target, whom, sizeof(whom));
    log_warn("agent identity: %s denied %s for %s \"%s\" (not its own)", who, ctx->action, what, whom);
    return error_set(err, API_ERR_ACCESS_DENIED,
                     "User: %.300s is not authorized to perform %s for another container instance or its tasks.",
                     ctx->caller, ctx->action);
}

/* Whether the caller is the instance uuid of cluster. */
static bool is_self(struct op_ctx *ctx, const struct cluster_row *cluster, const char *uuid)
{
    char arn[600];
    instance_arn(ctx, cluster->name, uuid, arn, sizeof(arn));
    return arn[0] && strcmp(arn, ctx->caller) == 0;
}

int agent_identity_allow_instance(struct op_ctx *ctx, const struct cluster_row *cluster, const char *ref,
                                  struct error *err)
{
    if (!agent_identity_is_instance(ctx->caller))
        return 0;
    const char *id = ref ? resource_refs_id(ref) : "";
    /* A full ARN must name this region and cluster too, not just the id. */
    char arn[600];
    instance_arn(ctx, cluster->name, id, arn, sizeof(arn));
    bool same_ref = !ref || strchr(ref, ':') == NULL || strcmp(ref, arn) == 0;
    if (resource_refs_is_id32(id) && same_ref && is_self(ctx, cluster, id))
        return 0;
    return deny(ctx, ref, "container instance", err);
}

int agent_identity_allow_task(struct op_ctx *ctx, const struct cluster_row *cluster, const struct task_row *task,
                              struct error *err)
{
    if (!agent_identity_is_instance(ctx->caller))
        return 0;
    _cleanup_(instance_row_clear) struct instance_row inst = {0};
    int r = task->instance_id ? store_instance_get_by_id(ctx->tx, task->instance_id, &inst, err) : 0;
    if (r < 0)
        return -1;
    if (r > 0 && inst.cluster_id == cluster->id && is_self(ctx, cluster, inst.uuid))
        return 0;
    return deny(ctx, task->uuid, "task", err);
}

int agent_identity_allow_register(struct op_ctx *ctx, const struct cluster_row *cluster, json_t *in, struct error *err)
{
    if (!agent_identity_is_instance(ctx->caller))
        return 0;
    const char *ref = json_string_value(json_object_get(in, "containerInstanceArn"));
    if (!ref)
        return deny(ctx, "(a new instance)", "container instance", err);
    return agent_identity_allow_instance(ctx, cluster, ref, err);
}

/* The task id a log stream of berth's agent is named after:
 * "<prefix>/<container>/<task-id>" or "<task-id>-<index>" (logship_aws.c). */
static bool stream_task_id(const char *stream, char ret_id[33])
{
    const char *slash = strrchr(stream, '/');
    const char *id = slash ? slash + 1 : stream;
    size_t n = slash ? strlen(id) : strcspn(id, "-");
    if (n != 32 || (!slash && id[n] != '-'))
        return false;
    memcpy(ret_id, id, 32);
    ret_id[32] = '\0';
    return resource_refs_is_id32(ret_id);
}

int agent_identity_allow_log_stream(struct op_ctx *ctx, const char *stream, struct error *err)
{
    if (!agent_identity_is_instance(ctx->caller))
        return 0;
    const char *res = strstr(ctx->caller, ":container-instance/");
    char id[33];
    if (!stream || !stream_task_id(stream, id))
        return deny(ctx, stream, "log stream", err);
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    _cleanup_(task_row_clear) struct task_row task = {0};
    const char *rest = NULL;
    struct error ignored;
    if (cluster_resolve_arn_prefix(ctx, res + strlen(":container-instance/"), &cluster, &rest, &ignored) < 0 ||
        task_resolve(ctx, &cluster, id, &task, &ignored) < 0)
        return deny(ctx, stream, "log stream", err);
    return agent_identity_allow_task(ctx, &cluster, &task, err) < 0 ? -1 : 0;
}

int agent_identity_resolve_own_task(struct op_ctx *ctx, json_t *in, const char *what, struct cluster_row *ret_cluster,
                                    struct task_row *ret_task, struct error *err)
{
    if (!json_is_object(in) || !json_is_string(json_object_get(in, "task")))
        return error_set(err, ERR_INVALID, "task is required.");
    struct principal caller;
    principal_parse(ctx->account, ctx->caller, &caller);
    if (!agent_identity_is_instance(ctx->caller) && caller.kind != PRINCIPAL_ROOT)
        return error_set(err, API_ERR_ACCESS_DENIED,
                         "User: %s is not authorized to perform: ecs:Poll (%s are for container instances)",
                         ctx->caller, what);
    if (task_resolve_request(ctx, in, ret_cluster, ret_task, err) < 0)
        return -1;
    return agent_identity_allow_task(ctx, ret_cluster, ret_task, err);
}
