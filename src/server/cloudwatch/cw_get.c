/* cw_get.c - GetMetricStatistics and GetMetricData: a metric's points in
 * [StartTime, EndTime) folded into periods (cw_stats.c).  Periods start at
 * StartTime rounded down to a multiple of the period.  Percentiles
 * (ExtendedStatistics, p99...) and metric math are refused. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/cloudwatch/cloudwatch.h"
#include "server/store/store_metrics.h"

struct fetch {
    struct cw_series *series;
    const char *unit; /* NULL: any */
};

static int add_point(const struct store_metric_point *p, void *ud, struct error *err)
{
    struct fetch *f = ud;
    if (f->unit && strcmp(f->unit, p->unit) != 0)
        return 0;
    if (cw_series_add(f->series, p->at_ms, p->count, p->sum, p->min, p->max, p->unit) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return 0;
}

/* The metric's points from start_ms to end_ms into s (period_ms set). */
int cw_fetch_series(struct op_ctx *ctx, json_t *metric, const char *unit, int64_t start_ms, int64_t end_ms,
                    struct cw_series *s, struct error *err)
{
    s->start_ms = start_ms - start_ms % s->period_ms;
    _cleanup_free_ char *dims = cw_dims_text(json_object_get(metric, "Dimensions"), err);
    if (!dims)
        return -1;
    int64_t id;
    int r = store_metric_find(ctx->tx, ctx->region, json_string_value(json_object_get(metric, "Namespace")),
                              json_string_value(json_object_get(metric, "MetricName")), dims, &id, err);
    if (r <= 0)
        return r;
    struct fetch f = {s, unit};
    return store_metric_points(ctx->tx, id, start_ms, end_ms, add_point, &f, err);
}

/* Period: 1, 5, 10, 30 or a multiple of 60 seconds. */
int cw_check_period(json_t *v, const char *what, int64_t *ret_ms, struct error *err)
{
    int64_t p = json_integer_value(v);
    if (p <= 0 || (p % 60 != 0 && p != 1 && p != 5 && p != 10 && p != 30))
        return error_set(err, ERR_INVALID, "The parameter %s must be 1, 5, 10, 30 or a multiple of 60.", what);
    *ret_ms = p * 1000;
    return 0;
}

int cw_time_range(json_t *in, int64_t *start_ms, int64_t *end_ms, struct error *err)
{
    if (cw_time_ms(json_object_get(in, "StartTime"), "StartTime", start_ms, err) < 0 ||
        cw_time_ms(json_object_get(in, "EndTime"), "EndTime", end_ms, err) < 0)
        return -1;
    if (*start_ms >= *end_ms)
        return error_set(err, ERR_INVALID, "The parameter StartTime must be less than the parameter EndTime.");
    return 0;
}

json_t *cw_time_json(int64_t ms) { return ms % 1000 == 0 ? json_integer(ms / 1000) : json_real((double)ms / 1000.0); }

static json_t *datapoint(const struct cw_bucket *b, json_t *stats)
{
    json_t *dp = json_pack("{s:o, s:s}", "Timestamp", cw_time_json(b->start_ms), "Unit", b->unit);
    size_t i;
    json_t *st;
    json_array_foreach(stats, i, st) {
        double v;
        if (dp && cw_stat_value(b, json_string_value(st), &v))
            json_object_set_new(dp, json_string_value(st), json_real(v));
    }
    return dp;
}

API_ACTION(cw_get_metric_statistics)
{
    json_t *stats = json_object_get(in, "Statistics");
    if (json_object_get(in, "ExtendedStatistics"))
        return error_set(err, API_ERR_UNSUPPORTED_FEATURE,
                         "berth does not compute percentiles: ExtendedStatistics is not supported.");
    if (json_array_size(stats) == 0)
        return error_set(err, CW_ERR_MISSING_PARAMETER, "Must specify either Statistics or ExtendedStatistics.");
    int64_t start_ms, end_ms, period_ms;
    if (cw_time_range(in, &start_ms, &end_ms, err) < 0 ||
        cw_check_period(json_object_get(in, "Period"), "Period", &period_ms, err) < 0)
        return -1;
    int64_t points = (end_ms - start_ms + period_ms - 1) / period_ms;
    if (points > CW_DATAPOINTS_MAX)
        return error_set(err, CW_ERR_PARAMETER_COMBINATION,
                         "You have requested up to %" PRId64 " datapoints, which exceeds the limit of %d. You may "
                         "reduce the datapoints requested by increasing Period, or decreasing the time range.",
                         points, CW_DATAPOINTS_MAX);
    struct cw_series s = {.period_ms = period_ms};
    if (cw_fetch_series(ctx, in, json_string_value(json_object_get(in, "Unit")), start_ms, end_ms, &s, err) < 0) {
        cw_series_free(&s);
        return -1;
    }
    json_t *list = json_array();
    for (size_t i = 0; list && i < s.n; i++)
        json_array_append_new(list, datapoint(&s.b[i], stats));
    cw_series_free(&s);
    json_object_set_new(out, "Label", json_string(json_string_value(json_object_get(in, "MetricName"))));
    if (!list || json_object_set_new(out, "Datapoints", list) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return 0;
}
