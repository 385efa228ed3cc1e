/* cw_service.c - CloudWatch's model, action table (sorted by name for the
 * dispatcher's binary search) and exception names.  Both protocols share
 * them: the names are the query protocol's error codes, which boto3 also
 * reports for the JSON protocol.  Metric alarms are here (cw_alarms.c);
 * composite alarms, dashboards, insight rules, anomaly detectors and
 * metric streams answer that berth does not implement them. */
#include "server/cloudwatch/cw_service.h"

#include <stdlib.h>

#include "common/cleanup.h"
#include "server/cloudwatch/cloudwatch.h"
#include "server/cloudwatch/cw_authz.h"
#include "server/http/service_model.h"

/* The embedded model (model.S). */
extern const char berth_model_cloudwatch[], berth_model_cloudwatch_end[];

static const struct api_action cw_actions[] = {
    {"DeleteAlarms", cw_delete_alarms, API_WRITE},
    {"DescribeAlarmHistory", cw_describe_alarm_history, API_READ},
    {"DescribeAlarms", cw_describe_alarms, API_READ},
    {"DescribeAlarmsForMetric", cw_describe_alarms_for_metric, API_READ},
    {"DisableAlarmActions", cw_disable_alarm_actions, API_WRITE},
    {"EnableAlarmActions", cw_enable_alarm_actions, API_WRITE},
    {"GetMetricData", cw_get_metric_data, API_READ},
    {"GetMetricStatistics", cw_get_metric_statistics, API_READ},
    {"ListMetrics", cw_list_metrics, API_READ},
    {"PutMetricAlarm", cw_put_metric_alarm, API_WRITE},
    {"PutMetricData", cw_put_metric_data, API_WRITE | API_QUIET},
    {"SetAlarmState", cw_set_alarm_state, API_WRITE},
};

static const struct api_error cw_errors[] = {
    {ERR_INTERNAL, "InternalServiceError", 500},
    {ERR_SYSTEM, "InternalServiceError", 500},
    {ERR_IO, "InternalServiceError", 500},
    {ERR_INVALID, "InvalidParameterValue", 400},
    {ERR_LIMIT, "LimitExceeded", 400},
    {API_ERR_UNSUPPORTED_FEATURE, "InvalidAction", 400},
    {CW_ERR_MISSING_PARAMETER, "MissingParameter", 400},
    {CW_ERR_PARAMETER_COMBINATION, "InvalidParameterCombination", 400},
    {CW_ERR_INVALID_NEXT_TOKEN, "InvalidNextToken", 400},
    {CW_ERR_RESOURCE_NOT_FOUND, "ResourceNotFound", 404},
    {CW_ERR_INVALID_FORMAT, "InvalidFormat", 400},
};

int cloudwatch_service_new(struct cloudwatch_service **ret, struct error *err)
{
    struct cloudwatch_service *s = calloc(1, sizeof(*s));
    if (!s)
        return error_set(err, ERR_INTERNAL, "out of memory");
    /* The size excludes the NUL model.S appends. */
    if (service_model_load(berth_model_cloudwatch, (size_t)(berth_model_cloudwatch_end - berth_model_cloudwatch) - 1,
                           &s->model, err) < 0) {
        free(s);
        return error_prefix(err, "cloudwatch model");
    }
    *ret = s;
    return 0;
}

void cloudwatch_service_free(struct cloudwatch_service *s)
{
    if (!s)
        return;
    service_model_free(s->model);
    free(s);
}

struct api_service cloudwatch_service_api(struct cloudwatch_service *s)
{
    size_t nrules;
    const struct authz_rule *rules = cw_authz_rules(&nrules);
    return (struct api_service){
        .target_prefix = service_model_target_prefix(s->model),
        .model = s->model,
        .actions = cw_actions,
        .nactions = ELEMENTSOF(cw_actions),
        .state = s,
        .authz = rules,
        .nauthz = nrules,
        .errors = cw_errors,
        .nerrors = ELEMENTSOF(cw_errors),
    };
}

struct api_service cloudwatch_service_query_api(struct cloudwatch_service *s)
{
    struct api_service q = cloudwatch_service_api(s);
    /* Only names it: query requests are routed by signing_name. */
    q.target_prefix = "monitoring";
    q.protocol = API_PROTOCOL_QUERY;
    q.signing_name = "monitoring";
    return q;
}
