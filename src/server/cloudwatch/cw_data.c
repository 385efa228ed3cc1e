/* cw_data.c - GetMetricData: each query's MetricStat as a series of
 * (timestamp, value), newest first unless ScanBy says otherwise, paged by
 * MaxDatapoints across all returned series (NextToken: how many points
 * earlier pages gave).  Metric math expressions are refused. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/cloudwatch/cloudwatch.h"

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

/* One query's series into s. */
static int query_series(struct op_ctx *ctx, json_t *q, int64_t start_ms, int64_t end_ms, struct cw_series *s,
                        const char **ret_stat, struct error *err)
{
    json_t *ms = json_object_get(q, "MetricStat");
    const char *id = json_string_value(json_object_get(q, "Id"));
    if (json_object_get(q, "Expression"))
        return error_set(err, API_ERR_UNSUPPORTED_FEATURE,
                         "berth does not evaluate metric math: the query %.255s has an Expression.", id);
    if (!ms)
        return error_set(err, CW_ERR_MISSING_PARAMETER, "The query %.255s must have a MetricStat or an Expression.",
                         id);
    const char *stat = json_string_value(json_object_get(ms, "Stat"));
    if (!cw_stat_known(stat))
        return error_set(err, API_ERR_UNSUPPORTED_FEATURE,
                         "berth computes SampleCount, Average, Sum, Minimum and Maximum, not %.64s.", stat);
    *ret_stat = stat;
    if (cw_check_period(json_object_get(ms, "Period"), "MetricStat.Period", &s->period_ms, err) < 0)
        return -1;
    return cw_fetch_series(ctx, json_object_get(ms, "Metric"), json_string_value(json_object_get(ms, "Unit")), start_ms,
                           end_ms, s, err);
}

struct page {
    int64_t skip, max, seen; /* points before this page, its size, points walked */
};

/* The part of a series on this page: {Id, Label, Timestamps, Values, StatusCode}. */
static json_t *result_json(json_t *q, const struct cw_series *s, const char *stat, bool ascending, struct page *pg)
{
    json_t *ms = json_object_get(q, "MetricStat");
    const char *label = json_string_value(json_object_get(q, "Label"));
    if (!label)
        label = json_string_value(json_object_get(json_object_get(ms, "Metric"), "MetricName"));
    json_t *times = json_array(), *values = json_array();
    bool partial = false;
    for (size_t k = 0; times && values && k < s->n; k++) {
        const struct cw_bucket *b = &s->b[ascending ? k : s->n - 1 - k];
        int64_t at = pg->seen++;
        if (at < pg->skip)
            continue;
        if (at >= pg->skip + pg->max) {
            partial = true;
            continue;
        }
        double v = 0;
        cw_stat_value(b, stat, &v);
        json_array_append_new(times, cw_time_json(b->start_ms));
        json_array_append_new(values, json_real(v));
    }
    return json_pack("{s:O, s:s, s:o, s:o, s:s}", "Id", json_object_get(q, "Id"), "Label", label ? label : "",
                     "Timestamps", times, "Values", values, "StatusCode", partial ? "PartialData" : "Complete");
}

static int check_queries(json_t *queries, struct error *err)
{
    if (json_array_size(queries) == 0 || json_array_size(queries) > CW_QUERIES_MAX)
        return error_set(err, ERR_INVALID, "The collection MetricDataQueries must have 1 to %d items.", CW_QUERIES_MAX);
    size_t i, j;
    json_t *q, *r;
    json_array_foreach(queries, i, q) {
        json_array_foreach(queries, j, r) {
            if (j < i && json_equal(json_object_get(q, "Id"), json_object_get(r, "Id")))
                return error_set(err, ERR_INVALID, "The value %.255s for field Id is used more than once.",
                                 json_string_value(json_object_get(q, "Id")));
        }
    }
    return 0;
}

API_ACTION(cw_get_metric_data)
{
    json_t *queries = json_object_get(in, "MetricDataQueries");
    int64_t start_ms, end_ms;
    struct page pg = {.max = CW_MAX_DATAPOINTS};
    if (check_queries(queries, err) < 0 || cw_time_range(in, &start_ms, &end_ms, err) < 0 ||
        parse_token(json_object_get(in, "NextToken"), &pg.skip, err) < 0)
        return -1;
    if (json_object_get(in, "MaxDatapoints"))
        pg.max = json_integer_value(json_object_get(in, "MaxDatapoints"));
    const char *scan = json_string_value(json_object_get(in, "ScanBy"));
    bool ascending = scan && strcmp(scan, "TimestampAscending") == 0;
    json_t *results = json_array();
    if (!results || json_object_set_new(out, "MetricDataResults", results) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    size_t i;
    json_t *q;
    json_array_foreach(queries, i, q) {
        struct cw_series s = {0};
        const char *stat = NULL;
        int r = query_series(ctx, q, start_ms, end_ms, &s, &stat, err);
        if (r >= 0 && !json_is_false(json_object_get(q, "ReturnData")) &&
            json_array_append_new(results, result_json(q, &s, stat, ascending, &pg)) < 0)
            r = error_set(err, ERR_INTERNAL, "out of memory");
        cw_series_free(&s);
        if (r < 0)
            return -1;
    }
    json_object_set_new(out, "Messages", json_array());
    if (pg.seen > pg.skip + pg.max) {
        char token[48];
        snprintf(token, sizeof(token), TOKEN_PREFIX "%" PRId64, pg.skip + pg.max);
        json_object_set_new(out, "NextToken", json_string(token));
    }
    return 0;
}
