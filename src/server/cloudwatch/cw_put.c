/* cw_put.c - PutMetricData: each datum (a Value, Values with Counts, or a
 * StatisticValues set) becomes one statistic set in the store, at its
 * timestamp truncated to its storage resolution (1 s or 60 s). */
#include <math.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/cloudwatch/cloudwatch.h"
#include "server/store/store_metrics.h"

/* CloudWatch takes timestamps two weeks back to two hours ahead. */
#define CW_PAST_MS (14LL * 24 * 3600 * 1000)
#define CW_FUTURE_MS (2LL * 3600 * 1000)

/* CloudWatch refuses values beyond 2^360 or nearer zero than 2^-260. */
static int check_value(double v, const char *what, size_t i, struct error *err)
{
    double a = fabs(v);
    if (!isfinite(v) || a > ldexp(1, 360) || (a != 0 && a < ldexp(1, -260)))
        return error_set(err, ERR_INVALID, "The value %g for parameter MetricData.member.%zu.%s is invalid.", v, i + 1,
                         what);
    return 0;
}

static int from_values(json_t *datum, size_t i, struct store_metric_point *p, struct error *err)
{
    json_t *values = json_object_get(datum, "Values"), *counts = json_object_get(datum, "Counts");
    size_t n = json_array_size(values);
    if (n > CW_VALUES_MAX)
        return error_set(err, ERR_INVALID,
                         "The collection MetricData.member.%zu.Values must not have more than %d items.", i + 1,
                         CW_VALUES_MAX);
    if (counts && json_array_size(counts) != n)
        return error_set(err, ERR_INVALID,
                         "The parameters MetricData.member.%zu.Values and MetricData.member.%zu.Counts must be of the "
                         "same size.",
                         i + 1, i + 1);
    for (size_t k = 0; k < n; k++) {
        double v = json_number_value(json_array_get(values, k));
        double c = counts ? json_number_value(json_array_get(counts, k)) : 1;
        if (check_value(v, "Values", i, err) < 0)
            return -1;
        if (c < 0 || !isfinite(c))
            return error_set(err, ERR_INVALID, "The parameter MetricData.member.%zu.Counts must not be negative.",
                             i + 1);
        if (p->count == 0 || v < p->min)
            p->min = v;
        if (p->count == 0 || v > p->max)
            p->max = v;
        p->count += c;
        p->sum += v * c;
    }
    return 0;
}

static int from_set(json_t *set, size_t i, struct store_metric_point *p, struct error *err)
{
    p->count = json_number_value(json_object_get(set, "SampleCount"));
    p->sum = json_number_value(json_object_get(set, "Sum"));
    p->min = json_number_value(json_object_get(set, "Minimum"));
    p->max = json_number_value(json_object_get(set, "Maximum"));
    if (check_value(p->sum, "StatisticValues.Sum", i, err) < 0 ||
        check_value(p->min, "StatisticValues.Minimum", i, err) < 0 ||
        check_value(p->max, "StatisticValues.Maximum", i, err) < 0)
        return -1;
    if (p->count <= 0 || p->min > p->max)
        return error_set(err, ERR_INVALID,
                         "The parameter MetricData.member.%zu.StatisticValues must have a positive SampleCount and "
                         "Minimum <= Maximum.",
                         i + 1);
    return 0;
}

/* A datum's statistic set. */
static int datum_point(json_t *d, size_t i, struct store_metric_point *p, struct error *err)
{
    json_t *value = json_object_get(d, "Value"), *values = json_object_get(d, "Values");
    json_t *set = json_object_get(d, "StatisticValues");
    int given = !!value + !!values + !!set;
    if (given > 1)
        return error_set(
            err, CW_ERR_PARAMETER_COMBINATION,
            "The parameters MetricData.member.%zu.Value, MetricData.member.%zu.Values and "
            "MetricData.member.%zu.StatisticValues are mutually exclusive and you specified more than one.",
            i + 1, i + 1, i + 1);
    if (json_object_get(d, "Counts") && !values)
        return error_set(err, CW_ERR_PARAMETER_COMBINATION,
                         "The parameter MetricData.member.%zu.Counts needs MetricData.member.%zu.Values.", i + 1,
                         i + 1);
    if (given == 0)
        return error_set(err, CW_ERR_MISSING_PARAMETER,
                         "The parameter MetricData.member.%zu.Value, Values or StatisticValues is required.", i + 1);
    if (values)
        return from_values(d, i, p, err);
    if (set)
        return from_set(set, i, p, err);
    double v = json_number_value(value);
    if (check_value(v, "Value", i, err) < 0)
        return -1;
    *p = (struct store_metric_point){.count = 1, .sum = v, .min = v, .max = v};
    return 0;
}

static int put_datum(struct op_ctx *ctx, const char *ns, json_t *d, size_t i, struct error *err)
{
    struct store_metric_point p = {0};
    if (datum_point(d, i, &p, err) < 0)
        return -1;
    int64_t now_ms = (int64_t)(ctx->now / 1000), at = now_ms;
    json_t *ts = json_object_get(d, "Timestamp");
    if (ts && cw_time_ms(ts, "Timestamp", &at, err) < 0)
        return -1;
    if (at < now_ms - CW_PAST_MS || at > now_ms + CW_FUTURE_MS)
        return error_set(err, ERR_INVALID,
                         "The parameter MetricData.member.%zu.Timestamp must be within the last two weeks and at most "
                         "two hours ahead.",
                         i + 1);
    json_t *res = json_object_get(d, "StorageResolution");
    int64_t resolution = res ? json_integer_value(res) : 60;
    if (resolution != 1 && resolution != 60)
        return error_set(err, ERR_INVALID,
                         "The value %lld for parameter MetricData.member.%zu.StorageResolution is invalid: 1 or 60.",
                         (long long)resolution, i + 1);
    p.at_ms = at - at % (resolution * 1000);
    p.unit = json_string_value(json_object_get(d, "Unit")) ?: "None";
    _cleanup_free_ char *dims = cw_dims_text(json_object_get(d, "Dimensions"), err);
    if (!dims)
        return -1;
    int64_t id;
    const char *name = json_string_value(json_object_get(d, "MetricName"));
    if (store_metric_touch(ctx->tx, ctx->region, ns, name, dims, now_ms, &id, err) < 0)
        return -1;
    return store_metric_point_add(ctx->tx, id, &p, err);
}

API_ACTION(cw_put_metric_data)
{
    (void)out;
    const char *ns = json_string_value(json_object_get(in, "Namespace"));
    if (strncmp(ns, "AWS/", 4) == 0)
        return error_set(err, ERR_INVALID, "The value %.255s for parameter Namespace is invalid.", ns);
    if (json_object_get(in, "EntityMetricData"))
        return error_set(err, API_ERR_UNSUPPORTED_FEATURE, "berth does not support EntityMetricData.");
    json_t *data = json_object_get(in, "MetricData");
    if (!data)
        return error_set(err, CW_ERR_MISSING_PARAMETER, "The parameter MetricData is required.");
    if (json_array_size(data) > CW_DATA_MAX)
        return error_set(err, ERR_INVALID, "The collection MetricData must not have more than %d items.", CW_DATA_MAX);
    size_t i;
    json_t *d;
    json_array_foreach(data, i, d) {
        if (put_datum(ctx, ns, d, i, err) < 0)
            return -1;
    }
    return 0;
}
