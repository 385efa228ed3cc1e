/* deploy_alarms.c - reads the state of the CloudWatch alarms a deployment
 * watches (ECS's deploymentConfiguration.alarms) from the alarm documents
 * CloudWatch keeps in the store.  It does not evaluate alarms (the
 * CloudWatch evaluator does) nor act on them (reconcile.c fails and rolls
 * back the deployment). */
#include "server/sched/deploy_alarms.h"

#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/cloudwatch/cw_alarm.h"
#include "server/store/store_docs.h"

int deploy_alarms_firing(struct op_ctx *ctx, json_t *config, char *ret_name, size_t cap, struct error *err)
{
    if (!json_is_true(json_object_get(config, "enable")))
        return 0;
    size_t i;
    json_t *n;
    json_array_foreach(json_object_get(config, "alarmNames"), i, n) {
        if (!json_is_string(n))
            continue;
        _cleanup_(json_decrefp) json_t *doc = NULL;
        int r = store_doc_get(ctx->tx, CW_ALARM_KIND, ctx->region, json_string_value(n), &doc, err);
        if (r < 0)
            return -1;
        const char *state = json_string_value(json_object_get(doc, "StateValue"));
        if (r > 0 && state && strcmp(state, "ALARM") == 0) {
            snprintf(ret_name, cap, "%s", json_string_value(n));
            return 1;
        }
    }
    return 0;
}
