/* cw_alarm_eval.c - alarm evaluation (see cw_alarm.h).  At each
 * evaluation an alarm looks at its last EvaluationPeriods periods: the
 * current period when it already holds data, else the periods before it
 * (late data is not yet missing data).  A period without data is missing
 * and counts as TreatMissingData says.  DatapointsToAlarm breaching
 * datapoints make ALARM; a datapoint that does not breach makes OK; no
 * datapoint at all makes INSUFFICIENT_DATA (or, with "ignore", keeps the
 * state).  Reasons and reason data are worded as CloudWatch words them. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "server/cloudwatch/cloudwatch.h"
#include "server/cloudwatch/cw_alarm.h"
#include "server/cloudwatch/cw_math.h"
#include "server/store/store_docs.h"

struct eval {
    struct op_ctx ctx;
    int64_t now_ms;
    int scale;
    cw_alarm_action_fn fn;
    void *ud;
};

/* The periods an alarm evaluates, oldest first. */
struct window {
    int64_t period_ms, start_ms; /* start of slot 0 */
    size_t n;                    /* EvaluationPeriods + 1 slots, the last the current period */
    double *v, *count;
    bool *present;
};

static void window_free(struct window *w)
{
    free(w->v);
    free(w->count);
    free(w->present);
}

static void window_set(struct window *w, int64_t t, double v, double count)
{
    if (t < w->start_ms)
        return;
    size_t k = (size_t)((t - w->start_ms) / w->period_ms);
    if (k < w->n) {
        w->v[k] = v;
        w->count[k] = count;
        w->present[k] = true;
    }
}

static int fill_single(struct eval *e, json_t *doc, struct window *w, struct error *err)
{
    struct cw_series s = {.period_ms = w->period_ms};
    int64_t end = w->start_ms + (int64_t)w->n * w->period_ms;
    int r = cw_fetch_series(&e->ctx, doc, json_string_value(json_object_get(doc, "Unit")), w->start_ms, end, &s, err);
    const char *stat = json_string_value(json_object_get(doc, "Statistic"));
    for (size_t k = 0; r == 0 && k < s.n; k++) {
        double v = 0;
        cw_stat_value(&s.b[k], stat, &v);
        window_set(w, s.b[k].start_ms, v, s.b[k].count);
    }
    cw_series_free(&s);
    return r;
}

static int fill_metrics(struct eval *e, json_t *doc, struct window *w, struct error *err)
{
    struct cw_ts ts = {0};
    int64_t end = w->start_ms + (int64_t)w->n * w->period_ms;
    if (cw_metrics_series(&e->ctx, json_object_get(doc, "Metrics"), w->start_ms, end, e->scale, &ts, err) < 0)
        return -1;
    for (size_t k = 0; !ts.scalar && k < ts.n; k++)
        if (isfinite(ts.v[k]))
            window_set(w, ts.t[k], ts.v[k], 1);
    cw_ts_free(&ts);
    return 0;
}

/* The alarm's period in seconds (its own, or its Metrics' first MetricStat's). */
static int64_t alarm_period_s(json_t *doc)
{
    json_t *p = json_object_get(doc, "Period");
    size_t i;
    json_t *q;
    json_array_foreach(json_object_get(doc, "Metrics"), i, q) {
        if (!p)
            p = json_object_get(json_object_get(q, "MetricStat"), "Period");
    }
    return json_integer_value(p) > 0 ? json_integer_value(p) : 60;
}

static int fill_window(struct eval *e, json_t *doc, struct window *w, struct error *err)
{
    int64_t p = alarm_period_s(doc) * 1000 / e->scale;
    w->period_ms = p < 1000 ? 1000 : p;
    w->n = (size_t)json_integer_value(json_object_get(doc, "EvaluationPeriods")) + 1;
    int64_t current = e->now_ms - e->now_ms % w->period_ms;
    w->start_ms = current - (int64_t)(w->n - 1) * w->period_ms;
    w->v = calloc(w->n, sizeof(*w->v));
    w->count = calloc(w->n, sizeof(*w->count));
    w->present = calloc(w->n, sizeof(*w->present));
    if (!w->v || !w->count || !w->present)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (json_object_get(doc, "Metrics"))
        return fill_metrics(e, doc, w, err);
    return fill_single(e, doc, w, err);
}

static bool breaches(const char *op, double v, double threshold)
{
    if (strcmp(op, "GreaterThanOrEqualToThreshold") == 0)
        return v >= threshold;
    if (strcmp(op, "GreaterThanThreshold") == 0)
        return v > threshold;
    if (strcmp(op, "LessThanThreshold") == 0)
        return v < threshold;
    return v <= threshold;
}

static const char *op_words(const char *op)
{
    if (strcmp(op, "GreaterThanOrEqualToThreshold") == 0)
        return "greater than or equal to";
    if (strcmp(op, "GreaterThanThreshold") == 0)
        return "greater than";
    if (strcmp(op, "LessThanThreshold") == 0)
        return "less than";
    return "less than or equal to";
}

/* A number as CloudWatch's reasons write it (Java's: 75.0, 0.5, 1.0E10). */
static void number_text(double v, char *buf, size_t cap)
{
    snprintf(buf, cap, "%.15g", v);
    if (!strpbrk(buf, ".en"))
        snprintf(buf + strlen(buf), cap - strlen(buf), ".0");
}

static void date_text(int64_t ms, const char *fmt, char *buf, size_t cap)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, cap, fmt, &tm);
}

static void iso_text(int64_t ms, char *buf, size_t cap)
{
    char base[32];
    date_text(ms, "%Y-%m-%dT%H:%M:%S", base, sizeof(base));
    snprintf(buf, cap, "%s.%03d+0000", base, (int)(ms % 1000));
}

/* The outcome of one evaluation. */
struct verdict {
    const char *state;  /* NULL: keep the state */
    size_t first, last; /* the slots evaluated */
    size_t present, breaching, needed, periods;
    double newest;
    bool has_newest;
};

static void judge(json_t *doc, const struct window *w, struct verdict *v)
{
    const char *op = json_string_value(json_object_get(doc, "ComparisonOperator"));
    const char *treat = json_string_value(json_object_get(doc, "TreatMissingData"));
    double threshold = json_number_value(json_object_get(doc, "Threshold"));
    v->periods = w->n - 1;
    v->needed = json_object_get(doc, "DatapointsToAlarm")
                    ? (size_t)json_integer_value(json_object_get(doc, "DatapointsToAlarm"))
                    : v->periods;
    v->first = w->present[w->n - 1] ? 1 : 0;
    v->last = v->first + v->periods - 1;
    for (size_t k = v->first; k <= v->last; k++) {
        if (!w->present[k])
            continue;
        v->present++;
        v->breaching += breaches(op, w->v[k], threshold);
        v->newest = w->v[k];
        v->has_newest = true;
    }
    size_t missing = v->periods - v->present, breach = v->breaching, ok = v->present - v->breaching;
    if (treat && strcmp(treat, "breaching") == 0)
        breach += missing;
    else if (treat && strcmp(treat, "notBreaching") == 0)
        ok += missing;
    if (breach >= v->needed)
        v->state = "ALARM";
    else if (ok > 0)
        v->state = "OK";
    else if (breach == 0 && !(treat && strcmp(treat, "ignore") == 0))
        v->state = "INSUFFICIENT_DATA";
    else
        v->state = NULL;
}

/* "[75.0 (03/12/26 20:30:00), 80.0 (...)]": the datapoints evaluated, newest first. */
static void points_text(const struct window *w, const struct verdict *v, struct buf *b)
{
    buf_append_str(b, "[");
    bool any = false;
    for (size_t k = v->last + 1; k-- > v->first;) {
        if (!w->present[k])
            continue;
        char num[40], date[32];
        number_text(w->v[k], num, sizeof(num));
        date_text(w->start_ms + (int64_t)k * w->period_ms, "%d/%m/%y %H:%M:%S", date, sizeof(date));
        buf_printf(b, "%s%s (%s)", any ? ", " : "", num, date);
        any = true;
    }
    buf_append_str(b, "]");
}

static void reason_text(json_t *doc, const struct window *w, const struct verdict *v, struct buf *b)
{
    const char *op = op_words(json_string_value(json_object_get(doc, "ComparisonOperator")));
    char threshold[40];
    number_text(json_number_value(json_object_get(doc, "Threshold")), threshold, sizeof(threshold));
    if (strcmp(v->state, "INSUFFICIENT_DATA") == 0) {
        size_t missing = v->periods - v->present;
        buf_printf(b, "Insufficient Data: %zu datapoint%s %s unknown.", missing, missing == 1 ? "" : "s",
                   missing == 1 ? "was" : "were");
        return;
    }
    bool alarm = strcmp(v->state, "ALARM") == 0;
    if (v->present == 0) {
        buf_printf(b,
                   "Threshold Crossed: no datapoints were received for %zu period%s and %zu missing datapoint%s %s "
                   "treated as [%s].",
                   v->periods, v->periods == 1 ? "" : "s", v->periods, v->periods == 1 ? "" : "s",
                   v->periods == 1 ? "was" : "were", alarm ? "Breaching" : "NonBreaching");
        return;
    }
    size_t shown = alarm ? v->breaching : v->present;
    if (alarm && v->periods > 1)
        buf_printf(b, "Threshold Crossed: %zu out of the last %zu datapoints ", v->breaching, v->periods);
    else
        buf_printf(b, "Threshold Crossed: %zu datapoint%s ", shown, shown == 1 ? "" : "s");
    points_text(w, v, b);
    buf_printf(b, " %s %s%s the threshold (%s)", shown == 1 && !(alarm && v->periods > 1) ? "was" : "were",
               alarm ? "" : "not ", op, threshold);
    if (alarm && v->periods > 1)
        buf_printf(b, " (minimum %zu datapoint%s for OK -> ALARM transition)", v->needed, v->needed == 1 ? "" : "s");
    buf_append_str(b, ".");
}

/* StateReasonData: {version, queryDate, startDate, statistic, period,
 * recentDatapoints, threshold, evaluatedDatapoints}. */
static char *reason_data(struct eval *e, json_t *doc, const struct window *w, const struct verdict *v)
{
    char query[40], start[40];
    iso_text(e->now_ms, query, sizeof(query));
    iso_text(w->start_ms + (int64_t)v->first * w->period_ms, start, sizeof(start));
    _cleanup_json_ json_t *recent = json_array(), *evaluated = json_array();
    for (size_t k = v->last + 1; recent && evaluated && k-- > v->first;) {
        char at[40];
        iso_text(w->start_ms + (int64_t)k * w->period_ms, at, sizeof(at));
        if (w->present[k]) {
            json_array_insert_new(recent, 0, json_real(w->v[k]));
            json_array_append_new(
                evaluated, json_pack("{s:s, s:f, s:f}", "timestamp", at, "sampleCount", w->count[k], "value", w->v[k]));
        } else {
            json_array_append_new(evaluated, json_pack("{s:s}", "timestamp", at));
        }
    }
    _cleanup_json_ json_t *data = json_pack(
        "{s:s, s:s, s:s, s:s?, s:I, s:O, s:O, s:O}", "version", "1.0", "queryDate", query, "startDate", start,
        "statistic", json_string_value(json_object_get(doc, "Statistic")), "period", (json_int_t)alarm_period_s(doc),
        "recentDatapoints", recent, "threshold", json_object_get(doc, "Threshold"), "evaluatedDatapoints", evaluated);
    return data ? json_dumps(data, JSON_COMPACT) : NULL;
}

static int record(struct eval *e, const char *name, const char *type, const char *summary, json_t *data,
                  struct error *err)
{
    _cleanup_free_ char *text = data ? json_dumps(data, JSON_COMPACT) : NULL;
    _cleanup_json_ json_t *item = json_pack("{s:s, s:s, s:f, s:s, s:s, s:s}", "AlarmName", name, "AlarmType",
                                            "MetricAlarm", "Timestamp", (double)e->now_ms / 1000.0, "HistoryItemType",
                                            type, "HistorySummary", summary, "HistoryData", text ? text : "{}");
    if (!item)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return store_doc_event_add(e->ctx.tx, CW_ALARM_HISTORY, e->ctx.region, name, e->now_ms, item, CW_ALARM_HISTORY_KEEP,
                               err);
}

/* Move the alarm to v->state: its reason, reason data and history. */
static int transition(struct eval *e, json_t *doc, const struct window *w, const struct verdict *v, struct error *err)
{
    const char *name = json_string_value(json_object_get(doc, "AlarmName"));
    _cleanup_buf_ struct buf reason;
    buf_init(&reason, 4096);
    reason_text(doc, w, v, &reason);
    _cleanup_free_ char *data = reason_data(e, doc, w, v);
    if (reason.failed || !data)
        return error_set(err, ERR_INTERNAL, "out of memory");
    const char *old = json_string_value(json_object_get(doc, "StateValue"));
    char summary[300];
    snprintf(summary, sizeof(summary), "Alarm updated from %s to %s", old, v->state);
    _cleanup_json_ json_t *hist =
        json_pack("{s:s, s:{s:s, s:s}, s:{s:s, s:s, s:s}}", "version", "1.0", "oldState", "stateValue", old,
                  "stateReason", json_string_value(json_object_get(doc, "StateReason")), "newState", "stateValue",
                  v->state, "stateReason", reason.data, "stateReasonData", data);
    if (record(e, name, "StateUpdate", summary, hist, err) < 0)
        return -1;
    double now_s = (double)e->now_ms / 1000.0;
    json_object_set_new(doc, "StateValue", json_string(v->state));
    json_object_set_new(doc, "StateReason", json_string(reason.data));
    json_object_set_new(doc, "StateReasonData", json_string(data));
    json_object_set_new(doc, "StateUpdatedTimestamp", json_real(now_s));
    json_object_set_new(doc, "StateTransitionedTimestamp", json_real(now_s));
    json_object_del(json_object_get(doc, "berth"), "action_ms");
    return 0;
}

static const char *state_actions(const char *state)
{
    return strcmp(state, "ALARM") == 0 ? "AlarmActions"
           : strcmp(state, "OK") == 0  ? "OKActions"
                                       : "InsufficientDataActions";
}

/* The actions of the alarm's state, once per period; true when run. */
static int run_actions(struct eval *e, json_t *doc, const struct window *w, const struct verdict *v, bool changed,
                       struct error *err)
{
    json_t *berth = json_object_get(doc, "berth");
    const char *state = json_string_value(json_object_get(doc, "StateValue"));
    json_t *actions = json_object_get(doc, state_actions(state));
    json_t *last = json_object_get(berth, "action_ms");
    if (!json_is_true(json_object_get(doc, "ActionsEnabled")) || json_array_size(actions) == 0 ||
        (last && json_integer_value(last) + w->period_ms > e->now_ms))
        return 0;
    struct cw_alarm_action a = {
        .region = e->ctx.region,
        .alarm = json_string_value(json_object_get(doc, "AlarmName")),
        .state = state,
        .value = v->newest,
        .threshold = json_number_value(json_object_get(doc, "Threshold")),
        .has_value = v->has_newest,
    };
    size_t i;
    json_t *arn;
    json_array_foreach(actions, i, arn) {
        a.arn = json_string_value(arn);
        struct error aerr = {0};
        int r = e->fn ? e->fn(e->ctx.tx, &a, e->ud, &aerr) : 0;
        if (!changed && r == 0)
            continue;
        char summary[700];
        snprintf(summary, sizeof(summary), r == 0 ? "Successfully executed action %s" : "Failed to execute action %s",
                 a.arn);
        _cleanup_json_ json_t *data = json_pack("{s:s, s:s, s:s}", "actionState", r == 0 ? "Succeeded" : "Failed",
                                                "notificationResource", a.arn, "error", r == 0 ? "" : aerr.msg);
        if (record(e, a.alarm, "Action", summary, data, err) < 0)
            return -1;
    }
    if (!berth) {
        berth = json_object();
        json_object_set_new(doc, "berth", berth);
    }
    json_object_set_new(berth, "action_ms", json_integer(e->now_ms));
    return 1;
}

static int evaluate_one(struct eval *e, json_t *doc, struct error *err)
{
    struct window w = {0};
    struct verdict v = {0};
    int r = fill_window(e, doc, &w, err);
    if (r == 0)
        judge(doc, &w, &v);
    bool changed = r == 0 && v.state && strcmp(v.state, json_string_value(json_object_get(doc, "StateValue"))) != 0;
    if (changed)
        r = transition(e, doc, &w, &v, err);
    int ran = r == 0 ? run_actions(e, doc, &w, &v, changed, err) : -1;
    window_free(&w);
    if (ran < 0)
        return -1;
    if (!changed && !ran)
        return 0;
    return store_doc_put(e->ctx.tx, CW_ALARM_KIND, e->ctx.region, json_string_value(json_object_get(doc, "AlarmName")),
                         doc, err);
}

struct collect {
    json_t *alarms; /* [[region, doc]] */
};

static int collect_one(const char *region, json_t *doc, void *ud, struct error *err)
{
    struct collect *c = ud;
    if (json_array_append_new(c->alarms, json_pack("[sO]", region, doc)) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return 0;
}

int cw_alarms_evaluate(struct store_tx *tx, const char *account, int64_t now_ms, int scale, cw_alarm_action_fn fn,
                       void *ud, struct error *err)
{
    _cleanup_json_ json_t *alarms = json_array();
    struct collect c = {alarms};
    if (!alarms)
        return error_set(err, ERR_INTERNAL, "out of memory");
    /* Collected first: evaluating writes the table being read. */
    if (store_doc_each(tx, CW_ALARM_KIND, NULL, NULL, NULL, collect_one, &c, err) < 0)
        return -1;
    size_t i;
    json_t *a;
    json_array_foreach(alarms, i, a) {
        struct eval e = {
            .ctx = {.tx = tx,
                    .region = json_string_value(json_array_get(a, 0)),
                    .account = account,
                    .now = (usec_t)now_ms * 1000,
                    .action = "AlarmEvaluation"},
            .now_ms = now_ms,
            .scale = scale < 1 ? 1 : scale,
            .fn = fn,
            .ud = ud,
        };
        json_t *doc = json_array_get(a, 1);
        struct error one = {0};
        if (evaluate_one(&e, doc, &one) < 0)
            log_warn("alarm %s: %s", json_string_value(json_object_get(doc, "AlarmName")), one.msg);
    }
    return 0;
}
