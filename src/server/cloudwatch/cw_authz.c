/* cw_authz.c - what each CloudWatch metric action asks of IAM, as the
 * Service Authorization Reference lists them: cloudwatch:<Action> on "*"
 * (metrics have no ARN), PutMetricData with cloudwatch:namespace, and the
 * alarm actions on each alarm they name. */
#include "server/cloudwatch/cw_authz.h"

#include "common/cleanup.h"
#include "server/cloudwatch/cw_alarm.h"
#include "server/http/authz.h"

static int key_namespace(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    (void)ctx;
    (void)err;
    authz_key(req, "cloudwatch:namespace", json_string_value(json_object_get(in, "Namespace")));
    return 0;
}

static void alarm_arn(struct op_ctx *ctx, struct authz_req *req, const char *name)
{
    char arn[512];
    cw_alarm_arn(ctx, name ? name : "", arn, sizeof(arn));
    authz_resource(req, arn);
}

static int res_alarm(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    (void)err;
    alarm_arn(ctx, req, json_string_value(json_object_get(in, "AlarmName")));
    return 0;
}

static int res_alarms(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    (void)err;
    size_t i;
    json_t *n;
    json_array_foreach(json_object_get(in, "AlarmNames"), i, n)
        alarm_arn(ctx, req, json_string_value(n));
    return 0;
}

/* DescribeAlarmHistory names one alarm, or all of them. */
static int res_history(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    const char *name = json_string_value(json_object_get(in, "AlarmName"));
    if (name)
        return res_alarm(ctx, in, req, err);
    authz_resource(req, "*");
    return 0;
}

/* Sorted by name as cw_service.c's table. */
static const struct authz_rule cw_rules[] = {
    {"DeleteAlarms", "cloudwatch:DeleteAlarms", res_alarms, NULL, false},
    {"DescribeAlarmHistory", "cloudwatch:DescribeAlarmHistory", res_history, NULL, false},
    {"DescribeAlarms", "cloudwatch:DescribeAlarms", NULL, NULL, false},
    {"DescribeAlarmsForMetric", "cloudwatch:DescribeAlarmsForMetric", NULL, NULL, false},
    {"DisableAlarmActions", "cloudwatch:DisableAlarmActions", res_alarms, NULL, false},
    {"EnableAlarmActions", "cloudwatch:EnableAlarmActions", res_alarms, NULL, false},
    {"GetMetricData", "cloudwatch:GetMetricData", NULL, NULL, false},
    {"GetMetricStatistics", "cloudwatch:GetMetricStatistics", NULL, NULL, false},
    {"ListMetrics", "cloudwatch:ListMetrics", NULL, NULL, false},
    {"PutMetricAlarm", "cloudwatch:PutMetricAlarm", res_alarm, NULL, false},
    {"PutMetricData", "cloudwatch:PutMetricData", NULL, key_namespace, false},
    {"SetAlarmState", "cloudwatch:SetAlarmState", res_alarm, NULL, false},
};

const struct authz_rule *cw_authz_rules(size_t *ret_n)
{
    *ret_n = ELEMENTSOF(cw_rules);
    return cw_rules;
}
