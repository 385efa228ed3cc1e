/* deploy_hooks.c - PAUSE lifecycle hooks: their configuration and
 * ContinueServiceDeployment (see deploy_hooks.h).
 *
 * The scheduler keeps the hook a deployment waits at in the service's
 * private document (berth.bg.hook: hookId, stage, status, expiry) and
 * shows it in the deployment's record (lifecycleHookDetails).  This module
 * only moves a hook out of AWAITING_ACTION: CONTINUE marks it SUCCEEDED
 * and the next scheduler round goes on; ROLLBACK marks it FAILED and rolls
 * the deployment back as StopServiceDeployment does.  It does not pause
 * deployments, nor time hooks out (sched/blue_green.c does both). */
#include "server/ecs/deploy_hooks.h"

#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/ecs/ecs_errors.h"
#include "server/ecs/service_history.h"
#include "server/ecs/services.h"
#include "server/store/store_services.h"
#include "server/store/store_svc_history.h"

static const char *str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

int deploy_hooks_check(json_t *hooks, struct error *err)
{
    _cleanup_json_ json_t *paused = json_object();
    size_t i, j;
    json_t *h, *stage;
    json_array_foreach(hooks, i, h) {
        const char *type = json_string_value(json_object_get(h, "targetType"));
        if (!type || strcmp(type, "PAUSE") != 0)
            return error_set(err, ERR_INVALID,
                             "deploymentConfiguration.lifecycleHooks[%zu]: targetType %s is not supported: berth has "
                             "no AWS Lambda to invoke; use PAUSE hooks (targetType PAUSE) and "
                             "ContinueServiceDeployment.",
                             i, type ? type : "AWS_LAMBDA (the default)");
        if (json_object_get(h, "hookTargetArn"))
            return error_set(err, ERR_INVALID,
                             "deploymentConfiguration.lifecycleHooks[%zu]: a PAUSE hook has no hookTargetArn.", i);
        json_t *stages = json_object_get(h, "lifecycleStages");
        if (json_array_size(stages) == 0)
            return error_set(err, ERR_INVALID,
                             "deploymentConfiguration.lifecycleHooks[%zu]: lifecycleStages must name at least one "
                             "stage.",
                             i);
        json_array_foreach(stages, j, stage) {
            const char *name = json_string_value(stage);
            if (json_object_get(paused, name))
                return error_set(err, ERR_INVALID,
                                 "deploymentConfiguration.lifecycleHooks: more than one PAUSE hook at the stage %s.",
                                 name);
            json_object_set_new(paused, name, json_true());
        }
    }
    return 0;
}

/* The detail of hook_id in the deployment's record, or NULL. */
static json_t *detail_of(json_t *rec_doc, const char *hook_id)
{
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(rec_doc, "lifecycleHookDetails"), i, d) {
        if (strcmp(str(d, "hookId"), hook_id) == 0)
            return d;
    }
    return NULL;
}

int action_continue_service_deployment(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    const char *arn = str(in, "serviceDeploymentArn");
    const char *hook_id = str(in, "hookId");
    const char *action = json_string_value(json_object_get(in, "action"));
    bool rollback = action && strcmp(action, "ROLLBACK") == 0;
    _cleanup_(svc_history_row_clear) struct svc_history_row rec = {0};
    int r = store_svc_history_get(ctx->tx, arn, &rec, err);
    if (r < 0)
        return -1;
    if (r == 0 || strcmp(rec.kind, "deployment") != 0)
        return error_set(err, ECS_ERR_SERVICE_DEPLOYMENT_NOT_FOUND, "The service deployment %.600s does not exist.",
                         arn);
    json_t *detail = detail_of(rec.doc, hook_id);
    if (!detail)
        return error_set(err, ERR_INVALID, "The service deployment has no lifecycle hook with the ID %.200s.", hook_id);
    if (strcmp(rec.status, "IN_PROGRESS") != 0)
        return error_set(err, API_ERR_CLIENT,
                         "The service deployment is %s: only a deployment IN_PROGRESS can be continued.", rec.status);
    if (strcmp(str(detail, "status"), "AWAITING_ACTION") != 0)
        return error_set(err, API_ERR_CLIENT, "The lifecycle hook %.200s is not awaiting action: its status is %s.",
                         hook_id, str(detail, "status"));
    _cleanup_(service_row_clear) struct service_row row = {0};
    r = store_service_get_by_id(ctx->tx, rec.service_id, &row, err);
    if (r < 0)
        return -1;
    if (r == 0 || strcmp(row.status, "ACTIVE") != 0)
        return error_set(err, API_ERR_CLIENT, "The service of the deployment is not ACTIVE.");
    json_t *bg = json_object_get(json_object_get(row.doc, "berth"), "bg");
    json_t *hook = json_object_get(bg, "hook");
    if (strcmp(str(bg, "deployment"), rec.ecs_id) != 0 || strcmp(str(hook, "hookId"), hook_id) != 0 ||
        strcmp(str(hook, "status"), "AWAITING_ACTION") != 0)
        return error_set(err, API_ERR_CLIENT, "The lifecycle hook %.200s is not awaiting action.", hook_id);
    const char *status = rollback ? "FAILED" : "SUCCEEDED";
    json_object_set_new(hook, "status", json_string(status));
    json_object_set_new(detail, "status", json_string(status));
    json_object_set_new(rec.doc, "updatedAt", json_real(time_to_epoch_seconds(ctx->now)));
    if (store_svc_history_put(ctx->tx, &rec, err) < 0)
        return -1;
    char msg[400];
    snprintf(msg, sizeof(msg), "deployment %s: the PAUSE lifecycle hook at %s was answered %s.", rec.ecs_id,
             str(hook, "stage"), rollback ? "ROLLBACK" : "CONTINUE");
    if (service_event(ctx, &row, msg, err) < 0)
        return -1;
    if (rollback) {
        if (service_history_roll_back(ctx, &row, rec.ecs_id, "ContinueServiceDeployment", err) < 0)
            return -1;
    } else if (store_service_put(ctx->tx, &row, err) < 0) {
        return -1;
    }
    json_object_set_new(out, "serviceDeploymentArn", json_string(arn));
    return 0;
}
