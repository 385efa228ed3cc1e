/* cw_alarms.c - CloudWatch's metric alarm actions: PutMetricAlarm (a
 * metric and statistic, or metric math Metrics), DescribeAlarms,
 * DescribeAlarmsForMetric, DeleteAlarms, SetAlarmState,
 * Enable/DisableAlarmActions.  Alarms are documents in the store
 * (cw_alarm.h); cw_alarm_eval.c moves their state, cw_alarm_history.c
 * answers DescribeAlarmHistory.  Composite alarms, anomaly detection
 * thresholds, percentiles, alarm tags and actions other than Application
 * Auto Scaling policies are refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/cloudwatch/cloudwatch.h"
#include "server/cloudwatch/cw_alarm.h"
#include "server/store/store_docs.h"

#define ALARM_TOKEN_PREFIX "cwalarm1-"
#define ALARM_PAGE_DEFAULT 50
#define ALARM_WINDOW_MAX_S 86400 /* EvaluationPeriods * Period */

void cw_alarm_arn(struct op_ctx *ctx, const char *name, char *buf, size_t cap)
{
    snprintf(buf, cap, "arn:aws:cloudwatch:%s:%s:alarm:%s", ctx->region, ctx->account, name);
}

/* Members berth does not implement: refused, never ignored. */
static int check_unsupported(json_t *in, struct error *err)
{
    static const char *const refused[] = {"ExtendedStatistic",  "EvaluateLowSampleCountPercentile",
                                          "ThresholdMetricId",  "EvaluationCriteria",
                                          "EvaluationInterval", "Tags"};
    for (size_t i = 0; i < ELEMENTSOF(refused); i++)
        if (json_object_get(in, refused[i]))
            return error_set(err, API_ERR_UNSUPPORTED_FEATURE, "berth does not support %s on alarms.", refused[i]);
    const char *op = json_string_value(json_object_get(in, "ComparisonOperator"));
    if (op && strstr(op, "Lower") == NULL && strstr(op, "Upper") == NULL)
        return 0;
    if (!op)
        return error_set(err, CW_ERR_MISSING_PARAMETER, "The parameter ComparisonOperator is required.");
    return error_set(err, API_ERR_UNSUPPORTED_FEATURE,
                     "berth does not support anomaly detection thresholds (ComparisonOperator %s).", op);
}

/* Alarm actions berth performs: Application Auto Scaling policies of
 * this region and account. */
static int check_actions(struct op_ctx *ctx, json_t *in, struct error *err)
{
    static const char *const lists[] = {"OKActions", "AlarmActions", "InsufficientDataActions"};
    char prefix[128];
    snprintf(prefix, sizeof(prefix), "arn:aws:autoscaling:%s:%s:scalingPolicy:", ctx->region, ctx->account);
    for (size_t l = 0; l < ELEMENTSOF(lists); l++) {
        size_t i;
        json_t *a;
        json_array_foreach(json_object_get(in, lists[l]), i, a) {
            const char *arn = json_string_value(a);
            if (strncmp(arn, prefix, strlen(prefix)) != 0)
                return error_set(err, ERR_INVALID,
                                 "Invalid value %.255s for parameter %s.member.%zu: berth performs only Application "
                                 "Auto Scaling policy actions (%s...).",
                                 arn, lists[l], i + 1, prefix);
        }
    }
    return 0;
}

static int check_period(json_t *v, const char *what, struct error *err)
{
    json_int_t p = json_integer_value(v);
    if (p != 10 && p != 20 && p != 30 && (p <= 0 || p % 60 != 0))
        return error_set(err, ERR_INVALID, "The parameter %s must be 10, 20, 30 or a multiple of 60.", what);
    return 0;
}

/* Metrics: queries as GetMetricData's, exactly one returning data, each
 * MetricStat with an alarm's period. */
static int check_metrics(json_t *metrics, json_int_t *ret_period, struct error *err)
{
    if (cw_check_queries(metrics, err) < 0)
        return -1;
    size_t i, returning = 0;
    json_t *q;
    *ret_period = 0;
    json_array_foreach(metrics, i, q) {
        json_t *ms = json_object_get(q, "MetricStat");
        if (!json_is_false(json_object_get(q, "ReturnData")))
            returning++;
        if (ms && check_period(json_object_get(ms, "Period"), "Metrics.member.N.MetricStat.Period", err) < 0)
            return -1;
        if (ms && !cw_stat_known(json_string_value(json_object_get(ms, "Stat"))))
            return error_set(err, API_ERR_UNSUPPORTED_FEATURE,
                             "berth computes SampleCount, Average, Sum, Minimum and Maximum, not %.64s.",
                             json_string_value(json_object_get(ms, "Stat")));
        if (ms && !*ret_period)
            *ret_period = json_integer_value(json_object_get(ms, "Period"));
    }
    if (returning != 1)
        return error_set(err, ERR_INVALID, "Exactly one element of the metrics list should return data.");
    if (!*ret_period)
        return error_set(err, ERR_INVALID, "The parameter Metrics must hold a MetricStat.");
    return 0;
}

/* The metric (or Metrics), its statistic and period, and the window. */
static int check_metric(json_t *in, struct error *err)
{
    json_t *metrics = json_object_get(in, "Metrics");
    static const char *const single[] = {"MetricName", "Namespace", "Statistic", "Dimensions", "Period", "Unit"};
    json_int_t period = json_integer_value(json_object_get(in, "Period"));
    if (metrics) {
        for (size_t i = 0; i < ELEMENTSOF(single); i++)
            if (json_object_get(in, single[i]))
                return error_set(err, CW_ERR_PARAMETER_COMBINATION,
                                 "The parameters Metrics and %s are mutually exclusive.", single[i]);
        if (check_metrics(metrics, &period, err) < 0)
            return -1;
    } else {
        for (size_t i = 0; i < 3; i++)
            if (!json_object_get(in, single[i]))
                return error_set(err, CW_ERR_MISSING_PARAMETER, "The parameter %s is required.", single[i]);
        if (!json_object_get(in, "Period"))
            return error_set(err, CW_ERR_MISSING_PARAMETER, "The parameter Period is required.");
        if (check_period(json_object_get(in, "Period"), "Period", err) < 0)
            return -1;
        _cleanup_free_ char *dims = cw_dims_text(json_object_get(in, "Dimensions"), err);
        if (!dims)
            return -1;
    }
    json_t *n = json_object_get(in, "EvaluationPeriods"), *m = json_object_get(in, "DatapointsToAlarm");
    if (!n)
        return error_set(err, CW_ERR_MISSING_PARAMETER, "The parameter EvaluationPeriods is required.");
    if (json_integer_value(n) * period > ALARM_WINDOW_MAX_S)
        return error_set(err, ERR_INVALID, "The evaluation period * period must be <= %d (one day).",
                         ALARM_WINDOW_MAX_S);
    if (m && json_integer_value(m) > json_integer_value(n))
        return error_set(err, ERR_INVALID, "DatapointsToAlarm must be less than or equal to EvaluationPeriods.");
    if (!json_object_get(in, "Threshold"))
        return error_set(err, CW_ERR_MISSING_PARAMETER, "The parameter Threshold is required.");
    const char *treat = json_string_value(json_object_get(in, "TreatMissingData"));
    if (treat && strcmp(treat, "breaching") != 0 && strcmp(treat, "notBreaching") != 0 &&
        strcmp(treat, "ignore") != 0 && strcmp(treat, "missing") != 0)
        return error_set(err, ERR_INVALID,
                         "The value %.100s for parameter TreatMissingData is invalid: breaching, notBreaching, "
                         "ignore or missing.",
                         treat);
    return 0;
}

static json_t *history_item(const char *name, usec_t now, const char *type, const char *summary, json_t *data)
{
    _cleanup_free_ char *text = data ? json_dumps(data, JSON_COMPACT) : NULL;
    return json_pack("{s:s, s:s, s:f, s:s, s:s, s:s}", "AlarmName", name, "AlarmType", "MetricAlarm", "Timestamp",
                     time_to_epoch_seconds(now), "HistoryItemType", type, "HistorySummary", summary, "HistoryData",
                     text ? text : "{}");
}

/* The alarm document a checked PutMetricAlarm input describes; old (NULL:
 * none) gives the state to keep. */
static json_t *alarm_doc(struct op_ctx *ctx, json_t *in, json_t *old)
{
    const char *name = json_string_value(json_object_get(in, "AlarmName"));
    char arn[512];
    cw_alarm_arn(ctx, name, arn, sizeof(arn));
    json_t *doc = json_deep_copy(in);
    if (!doc)
        return NULL;
    double now_s = time_to_epoch_seconds(ctx->now);
    json_object_set_new(doc, "AlarmArn", json_string(arn));
    json_object_set_new(doc, "AlarmConfigurationUpdatedTimestamp", json_real(now_s));
    if (!json_object_get(doc, "ActionsEnabled"))
        json_object_set_new(doc, "ActionsEnabled", json_true());
    static const char *const lists[] = {"OKActions", "AlarmActions", "InsufficientDataActions"};
    for (size_t i = 0; i < ELEMENTSOF(lists); i++)
        if (!json_object_get(doc, lists[i]))
            json_object_set_new(doc, lists[i], json_array());
    if (!json_object_get(doc, "Metrics") && !json_object_get(doc, "Dimensions"))
        json_object_set_new(doc, "Dimensions", json_array());
    if (!json_object_get(doc, "TreatMissingData"))
        json_object_set_new(doc, "TreatMissingData", json_string("missing"));
    static const char *const kept[] = {
        "StateValue", "StateReason", "StateReasonData", "StateUpdatedTimestamp", "StateTransitionedTimestamp", "berth"};
    for (size_t i = 0; old && i < ELEMENTSOF(kept); i++)
        if (json_object_get(old, kept[i]))
            json_object_set(doc, kept[i], json_object_get(old, kept[i]));
    if (!old) {
        json_object_set_new(doc, "StateValue", json_string("INSUFFICIENT_DATA"));
        json_object_set_new(doc, "StateReason", json_string("Unchecked: Initial alarm creation"));
        json_object_set_new(doc, "StateUpdatedTimestamp", json_real(now_s));
        json_object_set_new(doc, "StateTransitionedTimestamp", json_real(now_s));
        json_object_set_new(doc, "berth", json_object());
    }
    return doc;
}

int cw_alarm_put(struct op_ctx *ctx, json_t *in, struct error *err)
{
    if (check_unsupported(in, err) < 0 || check_metric(in, err) < 0 || check_actions(ctx, in, err) < 0)
        return -1;
    const char *name = json_string_value(json_object_get(in, "AlarmName"));
    _cleanup_json_ json_t *old = NULL;
    if (store_doc_get(ctx->tx, CW_ALARM_KIND, ctx->region, name, &old, err) < 0)
        return -1;
    _cleanup_json_ json_t *doc = alarm_doc(ctx, in, old);
    if (!doc)
        return error_set(err, ERR_INTERNAL, "out of memory");
    char summary[400];
    snprintf(summary, sizeof(summary), "Alarm \"%s\" %s", name, old ? "updated" : "created");
    _cleanup_json_ json_t *shown = json_deep_copy(doc);
    if (shown)
        json_object_del(shown, "berth");
    _cleanup_json_ json_t *data = json_pack("{s:s, s:s, s:O*}", "version", "1.0", "type", old ? "Update" : "Create",
                                            old ? "updatedAlarm" : "createdAlarm", shown);
    _cleanup_json_ json_t *item = history_item(name, ctx->now, "ConfigurationUpdate", summary, data);
    if (!item)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (store_doc_put(ctx->tx, CW_ALARM_KIND, ctx->region, name, doc, err) < 0)
        return -1;
    return store_doc_event_add(ctx->tx, CW_ALARM_HISTORY, ctx->region, name, (int64_t)(ctx->now / 1000), item,
                               CW_ALARM_HISTORY_KEEP, err);
}

int cw_alarm_delete(struct op_ctx *ctx, const char *name, struct error *err)
{
    if (store_doc_delete(ctx->tx, CW_ALARM_KIND, ctx->region, name, err) < 0)
        return -1;
    return store_doc_events_delete(ctx->tx, CW_ALARM_HISTORY, ctx->region, name, err);
}

API_ACTION(cw_put_metric_alarm)
{
    (void)out;
    return cw_alarm_put(ctx, in, err);
}

/* ---- DescribeAlarms, DescribeAlarmsForMetric ---- */

struct describe {
    json_t *in, *alarms;
    const char *dims; /* DescribeAlarmsForMetric's canonical dimensions */
    int limit;
    bool more;
    char last[256];
};

static bool has_action_prefix(json_t *doc, const char *prefix)
{
    static const char *const lists[] = {"OKActions", "AlarmActions", "InsufficientDataActions"};
    for (size_t l = 0; l < ELEMENTSOF(lists); l++) {
        size_t i;
        json_t *a;
        json_array_foreach(json_object_get(doc, lists[l]), i, a) {
            if (strncmp(json_string_value(a), prefix, strlen(prefix)) == 0)
                return true;
        }
    }
    return false;
}

static bool in_names(json_t *names, const char *name)
{
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n) {
        if (strcmp(json_string_value(n), name) == 0)
            return true;
    }
    return false;
}

static int add_alarm(struct describe *d, json_t *doc, struct error *err)
{
    if ((int)json_array_size(d->alarms) == d->limit) {
        d->more = true;
        return 1;
    }
    json_t *copy = json_deep_copy(doc);
    if (!copy || json_array_append_new(d->alarms, copy) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    json_object_del(copy, "berth");
    snprintf(d->last, sizeof(d->last), "%s", json_string_value(json_object_get(doc, "AlarmName")));
    return 0;
}

static int describe_one(const char *region, json_t *doc, void *ud, struct error *err)
{
    (void)region;
    struct describe *d = ud;
    json_t *names = json_object_get(d->in, "AlarmNames");
    const char *state = json_string_value(json_object_get(d->in, "StateValue"));
    const char *prefix = json_string_value(json_object_get(d->in, "ActionPrefix"));
    if (names && !in_names(names, json_string_value(json_object_get(doc, "AlarmName"))))
        return 0;
    if (state && strcmp(state, json_string_value(json_object_get(doc, "StateValue"))) != 0)
        return 0;
    if (prefix && !has_action_prefix(doc, prefix))
        return 0;
    return add_alarm(d, doc, err);
}

static int parse_token(json_t *v, const char **ret_after, struct error *err)
{
    const char *t = json_string_value(v);
    *ret_after = NULL;
    if (!t)
        return 0;
    if (strncmp(t, ALARM_TOKEN_PREFIX, strlen(ALARM_TOKEN_PREFIX)) != 0)
        return error_set(err, CW_ERR_INVALID_NEXT_TOKEN, "The NextToken is not valid.");
    *ret_after = t + strlen(ALARM_TOKEN_PREFIX);
    return 0;
}

API_ACTION(cw_describe_alarms)
{
    if (json_object_get(in, "ChildrenOfAlarmName") || json_object_get(in, "ParentsOfAlarmName"))
        return error_set(err, API_ERR_UNSUPPORTED_FEATURE, "berth does not implement composite alarms.");
    if (json_object_get(in, "AlarmNames") && json_object_get(in, "AlarmNamePrefix"))
        return error_set(err, CW_ERR_PARAMETER_COMBINATION,
                         "The parameters AlarmNames and AlarmNamePrefix are mutually exclusive.");
    json_t *types = json_object_get(in, "AlarmTypes");
    bool metric = !types || in_names(types, "MetricAlarm"), composite = types && in_names(types, "CompositeAlarm");
    const char *after;
    if (parse_token(json_object_get(in, "NextToken"), &after, err) < 0)
        return -1;
    struct describe d = {.in = in, .alarms = json_array(), .limit = ALARM_PAGE_DEFAULT};
    if (json_object_get(in, "MaxRecords"))
        d.limit = (int)json_integer_value(json_object_get(in, "MaxRecords"));
    if (!d.alarms || json_object_set_new(out, "MetricAlarms", d.alarms) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (composite)
        json_object_set_new(out, "CompositeAlarms", json_array());
    if (metric && store_doc_each(ctx->tx, CW_ALARM_KIND, ctx->region, after,
                                 json_string_value(json_object_get(in, "AlarmNamePrefix")), describe_one, &d, err) < 0)
        return -1;
    if (d.more) {
        char token[300];
        snprintf(token, sizeof(token), ALARM_TOKEN_PREFIX "%s", d.last);
        json_object_set_new(out, "NextToken", json_string(token));
    }
    return 0;
}

static int for_metric(const char *region, json_t *doc, void *ud, struct error *err)
{
    (void)region;
    struct describe *d = ud;
    static const char *const same[] = {"MetricName", "Namespace", "Statistic", "Period", "Unit"};
    for (size_t i = 0; i < ELEMENTSOF(same); i++) {
        json_t *want = json_object_get(d->in, same[i]);
        if (want && !json_equal(want, json_object_get(doc, same[i])))
            return 0;
    }
    if (json_object_get(d->in, "Dimensions")) {
        _cleanup_free_ char *dims = cw_dims_text(json_object_get(doc, "Dimensions"), err);
        if (!dims)
            return -1;
        if (strcmp(dims, d->dims) != 0)
            return 0;
    }
    return add_alarm(d, doc, err);
}

API_ACTION(cw_describe_alarms_for_metric)
{
    if (json_object_get(in, "ExtendedStatistic"))
        return error_set(err, API_ERR_UNSUPPORTED_FEATURE, "berth does not support ExtendedStatistic on alarms.");
    _cleanup_free_ char *dims = cw_dims_text(json_object_get(in, "Dimensions"), err);
    if (!dims)
        return -1;
    struct describe d = {.in = in, .alarms = json_array(), .dims = dims, .limit = -1};
    if (!d.alarms || json_object_set_new(out, "MetricAlarms", d.alarms) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return store_doc_each(ctx->tx, CW_ALARM_KIND, ctx->region, NULL, NULL, for_metric, &d, err);
}

/* ---- DeleteAlarms, SetAlarmState, Enable/DisableAlarmActions ---- */

API_ACTION(cw_delete_alarms)
{
    (void)out;
    json_t *names = json_object_get(in, "AlarmNames");
    size_t i;
    json_t *n;
    /* All or nothing, as CloudWatch: an unknown name deletes none. */
    json_array_foreach(names, i, n) {
        _cleanup_json_ json_t *doc = NULL;
        int r = store_doc_get(ctx->tx, CW_ALARM_KIND, ctx->region, json_string_value(n), &doc, err);
        if (r < 0)
            return -1;
        if (r == 0)
            return error_set(err, CW_ERR_RESOURCE_NOT_FOUND, "Alarm %.255s does not exist.", json_string_value(n));
    }
    json_array_foreach(names, i, n) {
        if (cw_alarm_delete(ctx, json_string_value(n), err) < 0)
            return -1;
    }
    return 0;
}

API_ACTION(cw_set_alarm_state)
{
    (void)out;
    const char *name = json_string_value(json_object_get(in, "AlarmName"));
    const char *state = json_string_value(json_object_get(in, "StateValue"));
    const char *data = json_string_value(json_object_get(in, "StateReasonData"));
    if (data && *data) {
        _cleanup_json_ json_t *parsed = json_loads(data, JSON_DECODE_ANY, NULL);
        if (!parsed)
            return error_set(err, CW_ERR_INVALID_FORMAT, "StateReasonData is not valid JSON.");
    }
    _cleanup_json_ json_t *doc = NULL;
    int r = store_doc_get(ctx->tx, CW_ALARM_KIND, ctx->region, name, &doc, err);
    if (r <= 0)
        return r < 0 ? -1 : error_set(err, CW_ERR_RESOURCE_NOT_FOUND, "Alarm %.255s not found", name);
    const char *old = json_string_value(json_object_get(doc, "StateValue"));
    if (strcmp(old, state) == 0)
        return 0;
    char summary[300];
    snprintf(summary, sizeof(summary), "Alarm updated from %s to %s", old, state);
    _cleanup_json_ json_t *hist =
        json_pack("{s:s, s:{s:s, s:s}, s:{s:s, s:s}}", "version", "1.0", "oldState", "stateValue", old, "stateReason",
                  json_string_value(json_object_get(doc, "StateReason")), "newState", "stateValue", state,
                  "stateReason", json_string_value(json_object_get(in, "StateReason")));
    _cleanup_json_ json_t *item = history_item(name, ctx->now, "StateUpdate", summary, hist);
    if (!item)
        return error_set(err, ERR_INTERNAL, "out of memory");
    double now_s = time_to_epoch_seconds(ctx->now);
    json_object_set(doc, "StateValue", json_object_get(in, "StateValue"));
    json_object_set(doc, "StateReason", json_object_get(in, "StateReason"));
    if (data)
        json_object_set(doc, "StateReasonData", json_object_get(in, "StateReasonData"));
    else
        json_object_del(doc, "StateReasonData");
    json_object_set_new(doc, "StateUpdatedTimestamp", json_real(now_s));
    json_object_set_new(doc, "StateTransitionedTimestamp", json_real(now_s));
    /* The actions of the new state run at the next evaluation. */
    json_object_del(json_object_get(doc, "berth"), "action_ms");
    if (store_doc_put(ctx->tx, CW_ALARM_KIND, ctx->region, name, doc, err) < 0)
        return -1;
    return store_doc_event_add(ctx->tx, CW_ALARM_HISTORY, ctx->region, name, (int64_t)(ctx->now / 1000), item,
                               CW_ALARM_HISTORY_KEEP, err);
}

static int set_actions_enabled(struct op_ctx *ctx, json_t *in, bool enabled, struct error *err)
{
    size_t i;
    json_t *n;
    json_array_foreach(json_object_get(in, "AlarmNames"), i, n) {
        _cleanup_json_ json_t *doc = NULL;
        int r = store_doc_get(ctx->tx, CW_ALARM_KIND, ctx->region, json_string_value(n), &doc, err);
        if (r < 0)
            return -1;
        if (r == 0 || json_is_true(json_object_get(doc, "ActionsEnabled")) == enabled)
            continue;
        json_object_set_new(doc, "ActionsEnabled", json_boolean(enabled));
        json_object_set_new(doc, "AlarmConfigurationUpdatedTimestamp", json_real(time_to_epoch_seconds(ctx->now)));
        if (store_doc_put(ctx->tx, CW_ALARM_KIND, ctx->region, json_string_value(n), doc, err) < 0)
            return -1;
    }
    return 0;
}

API_ACTION(cw_enable_alarm_actions)
{
    (void)out;
    return set_actions_enabled(ctx, in, true, err);
}

API_ACTION(cw_disable_alarm_actions)
{
    (void)out;
    return set_actions_enabled(ctx, in, false, err);
}
