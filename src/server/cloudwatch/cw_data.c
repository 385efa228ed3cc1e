/* cw_data.c - GetMetricData: each MetricStat query's points folded into
 * its period and statistic, then each Expression evaluated over them
 * (cw_math.c); the queries with ReturnData as series of (timestamp,
 * value), newest first unless ScanBy says otherwise, paged by
 * MaxDatapoints across all of them (NextToken: how many points earlier
 * pages gave).  A number an expression yields is given at every timestamp
 * of the request's MetricStat series. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/cloudwatch/cloudwatch.h"
#include "server/cloudwatch/cw_alarm.h"
#include "server/cloudwatch/cw_math.h"

#define TOKEN_PREFIX "cwdata1-"

static int parse_token(json_t *v, int64_t *ret_skip, struct error *err)
{
    const char *t = json_string_value(v);
    *ret_skip = 0;
    if (!t)
        return 0;
    char *end;
    long long n =
        strncmp(t, TOKEN_PREFIX, strlen(TOKEN_PREFIX)) == 0 ? strtoll(t + strlen(TOKEN_PREFIX), &end, 10) : -1;
    if (n < 0 || *end)
        return error_set(err, CW_ERR_INVALID_NEXT_TOKEN, "The NextToken is not valid.");
    *ret_skip = n;
    return 0;
}

/* A MetricStat query's series into ts. */
static int stat_series(struct op_ctx *ctx, json_t *q, int64_t start_ms, int64_t end_ms, int scale, struct cw_ts *ts,
                       struct error *err)
{
    json_t *ms = json_object_get(q, "MetricStat");
    const char *stat = json_string_value(json_object_get(ms, "Stat"));
    if (!cw_stat_known(stat))
        return error_set(err, API_ERR_UNSUPPORTED_FEATURE,
                         "berth computes SampleCount, Average, Sum, Minimum and Maximum, not %.64s.", stat);
    struct cw_series s = {0};
    int r = cw_check_period(json_object_get(ms, "Period"), "MetricStat.Period", &s.period_ms, err);
    if (r == 0 && scale > 1)
        s.period_ms = s.period_ms / scale < 1000 ? 1000 : s.period_ms / scale;
    if (r == 0)
        r = cw_fetch_series(ctx, json_object_get(ms, "Metric"), json_string_value(json_object_get(ms, "Unit")),
                            start_ms, end_ms, &s, err);
    for (size_t k = 0; r == 0 && k < s.n; k++) {
        double v = 0;
        cw_stat_value(&s.b[k], stat, &v);
        if (cw_ts_push(ts, s.b[k].start_ms, v) < 0)
            r = error_set(err, ERR_INTERNAL, "out of memory");
    }
    cw_series_free(&s);
    return r;
}

struct page {
    int64_t skip, max, seen; /* points before this page, its size, points walked */
};

/* The part of a series on this page: {Id, Label, Timestamps, Values, StatusCode}. */
static json_t *result_json(json_t *q, const struct cw_ts *ts, bool ascending, struct page *pg)
{
    const char *label = json_string_value(json_object_get(q, "Label"));
    if (!label)
        label = json_string_value(
            json_object_get(json_object_get(json_object_get(q, "MetricStat"), "Metric"), "MetricName"));
    if (!label)
        label = json_string_value(json_object_get(q, "Id"));
    json_t *times = json_array(), *values = json_array();
    bool partial = false;
    for (size_t k = 0; times && values && k < ts->n; k++) {
        size_t at = ascending ? k : ts->n - 1 - k;
        /* Math can make NaN or infinity (x / 0): CloudWatch leaves such a
         * point out, and JSON could not carry it. */
        if (!isfinite(ts->v[at]))
            continue;
        int64_t nth = pg->seen++;
        if (nth < pg->skip)
            continue;
        if (nth >= pg->skip + pg->max) {
            partial = true;
            continue;
        }
        json_array_append_new(times, cw_time_json(ts->t[at]));
        json_array_append_new(values, json_real(ts->v[at]));
    }
    return json_pack("{s:O, s:s, s:o, s:o, s:s}", "Id", json_object_get(q, "Id"), "Label", label ? label : "",
                     "Timestamps", times, "Values", values, "StatusCode", partial ? "PartialData" : "Complete");
}

int cw_check_queries(json_t *queries, struct error *err)
{
    if (json_array_size(queries) == 0 || json_array_size(queries) > CW_QUERIES_MAX)
        return error_set(err, ERR_INVALID, "The collection MetricDataQueries must have 1 to %d items.", CW_QUERIES_MAX);
    size_t i, j;
    json_t *q, *r;
    json_array_foreach(queries, i, q) {
        const char *id = json_string_value(json_object_get(q, "Id"));
        bool stat = json_object_get(q, "MetricStat"), expr = json_object_get(q, "Expression");
        if (stat == expr)
            return error_set(err, CW_ERR_PARAMETER_COMBINATION,
                             "The query %.255s must have exactly one of MetricStat and Expression.", id);
        json_array_foreach(queries, j, r) {
            if (j < i && json_equal(json_object_get(q, "Id"), json_object_get(r, "Id")))
                return error_set(err, ERR_INVALID, "The value %.255s for field Id is used more than once.", id);
        }
    }
    return 0;
}

/* A number an expression gave, at every timestamp of the MetricStat series. */
static int spread_scalar(const struct cw_math *m, struct cw_ts *ts, struct error *err)
{
    double s = ts->s;
    struct cw_ts all = {0};
    for (size_t i = 0; i < m->n; i++) {
        if (m->exprs[i])
            continue;
        for (size_t k = 0; k < m->results[i].n; k++) {
            int64_t t = m->results[i].t[k];
            size_t at = 0;
            while (at < all.n && all.t[at] < t)
                at++;
            if (at < all.n && all.t[at] == t)
                continue;
            if (cw_ts_push(&all, 0, 0) < 0) {
                cw_ts_free(&all);
                return error_set(err, ERR_INTERNAL, "out of memory");
            }
            memmove(&all.t[at + 1], &all.t[at], (all.n - 1 - at) * sizeof(*all.t));
            all.t[at] = t;
        }
    }
    for (size_t k = 0; k < all.n; k++)
        all.v[k] = s;
    cw_ts_free(ts);
    *ts = all;
    return 0;
}

struct request {
    json_t *queries;
    const char **ids, **exprs;
    struct cw_ts *results;
    int *state;
};

static void request_free(struct request *rq, size_t n)
{
    for (size_t i = 0; rq->results && i < n; i++)
        cw_ts_free(&rq->results[i]);
    free(rq->results);
    free(rq->ids);
    free(rq->exprs);
    free(rq->state);
}

/* Every query's series: MetricStat ones from the store, then expressions. */
static int evaluate(struct op_ctx *ctx, struct request *rq, size_t n, int64_t start_ms, int64_t end_ms, int scale,
                    struct error *err)
{
    struct cw_math m = {n, rq->ids, rq->exprs, rq->results, rq->state, 0};
    for (size_t i = 0; i < n; i++) {
        json_t *q = json_array_get(rq->queries, i);
        rq->ids[i] = json_string_value(json_object_get(q, "Id"));
        rq->exprs[i] = json_string_value(json_object_get(q, "Expression"));
        if (!rq->exprs[i] && stat_series(ctx, q, start_ms, end_ms, scale, &rq->results[i], err) < 0)
            return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (cw_math_eval(&m, i, err) < 0)
            return -1;
        if (rq->results[i].scalar && spread_scalar(&m, &rq->results[i], err) < 0)
            return -1;
    }
    return 0;
}

API_ACTION(cw_get_metric_data)
{
    struct request rq = {.queries = json_object_get(in, "MetricDataQueries")};
    int64_t start_ms, end_ms;
    struct page pg = {.max = CW_MAX_DATAPOINTS};
    if (cw_check_queries(rq.queries, err) < 0 || cw_time_range(in, &start_ms, &end_ms, err) < 0 ||
        parse_token(json_object_get(in, "NextToken"), &pg.skip, err) < 0)
        return -1;
    if (json_object_get(in, "MaxDatapoints"))
        pg.max = json_integer_value(json_object_get(in, "MaxDatapoints"));
    const char *scan = json_string_value(json_object_get(in, "ScanBy"));
    bool ascending = scan && strcmp(scan, "TimestampAscending") == 0;
    size_t n = json_array_size(rq.queries);
    rq.ids = calloc(n, sizeof(*rq.ids));
    rq.exprs = calloc(n, sizeof(*rq.exprs));
    rq.results = calloc(n, sizeof(*rq.results));
    rq.state = calloc(n, sizeof(*rq.state));
    json_t *results = json_array();
    int r = rq.ids && rq.exprs && rq.results && rq.state && results &&
                    json_object_set_new(out, "MetricDataResults", results) == 0
                ? evaluate(ctx, &rq, n, start_ms, end_ms, 1, err)
                : error_set(err, ERR_INTERNAL, "out of memory");
    for (size_t i = 0; r == 0 && i < n; i++) {
        json_t *q = json_array_get(rq.queries, i);
        if (!json_is_false(json_object_get(q, "ReturnData")) &&
            json_array_append_new(results, result_json(q, &rq.results[i], ascending, &pg)) < 0)
            r = error_set(err, ERR_INTERNAL, "out of memory");
    }
    request_free(&rq, n);
    if (r < 0)
        return -1;
    json_object_set_new(out, "Messages", json_array());
    if (pg.seen > pg.skip + pg.max) {
        char token[48];
        snprintf(token, sizeof(token), TOKEN_PREFIX "%" PRId64, pg.skip + pg.max);
        json_object_set_new(out, "NextToken", json_string(token));
    }
    return 0;
}

int cw_metrics_series(struct op_ctx *ctx, json_t *queries, int64_t start_ms, int64_t end_ms, int scale,
                      struct cw_ts *ret, struct error *err)
{
    struct request rq = {.queries = queries};
    size_t n = json_array_size(queries), pick = n ? n - 1 : 0;
    if (n == 0)
        return error_set(err, ERR_INVALID, "The parameter Metrics must not be empty.");
    rq.ids = calloc(n, sizeof(*rq.ids));
    rq.exprs = calloc(n, sizeof(*rq.exprs));
    rq.results = calloc(n, sizeof(*rq.results));
    rq.state = calloc(n, sizeof(*rq.state));
    int r = rq.ids && rq.exprs && rq.results && rq.state ? evaluate(ctx, &rq, n, start_ms, end_ms, scale, err)
                                                         : error_set(err, ERR_INTERNAL, "out of memory");
    for (size_t i = 0; i < n; i++)
        if (!json_is_false(json_object_get(json_array_get(queries, i), "ReturnData")))
            pick = i;
    if (r == 0) {
        *ret = rq.results[pick];
        memset(&rq.results[pick], 0, sizeof(rq.results[pick]));
    }
    request_free(&rq, n);
    return r;
}
