/* cloudwatch.h - what CloudWatch's metric handlers share: the service's
 * state, its error kinds, metric identity (namespace, name, canonical
 * dimensions: cw_metric.c) and the aggregation of points into periods
 * (cw_stats.c, pure). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "server/http/api.h"

struct service_model;

struct cloudwatch_service {
    struct service_model *model;
};

/* CloudWatch's own error kinds (cw_service.c names them). */
enum cw_error_kind {
    CW_ERR_MISSING_PARAMETER = API_ERR_MAX + 1,
    CW_ERR_PARAMETER_COMBINATION,
    CW_ERR_INVALID_NEXT_TOKEN,
    CW_ERR_RESOURCE_NOT_FOUND,
    CW_ERR_INVALID_FORMAT,
};

/* CloudWatch's limits. */
#define CW_DIMENSIONS_MAX 30
#define CW_DATA_MAX 1000         /* MetricData per PutMetricData */
#define CW_VALUES_MAX 150        /* Values per datum */
#define CW_LIST_PAGE 500         /* ListMetrics */
#define CW_DATAPOINTS_MAX 1440   /* GetMetricStatistics */
#define CW_RETENTION_DAYS 15     /* berth keeps raw points this long */
#define CW_QUERIES_MAX 500       /* GetMetricData */
#define CW_MAX_DATAPOINTS 100800 /* GetMetricData's default MaxDatapoints */

/* ---- cw_metric.c ---- */

/* A timestamp member as either protocol gives it (epoch seconds, or ISO
 * 8601 text from the query protocol) in ms; -1 with ERR_INVALID. */
int cw_time_ms(json_t *v, const char *what, int64_t *ret_ms, struct error *err);
/* Dimensions [{Name, Value}] as canonical text (sorted by name, no name
 * twice): a new string, or NULL with err. */
char *cw_dims_text(json_t *dims, struct error *err);

/* ---- cw_stats.c: pure ---- */

/* One period's statistic set. */
struct cw_bucket {
    int64_t start_ms;
    double count, sum, min, max;
    char unit[32];
};

/* Points folded into buckets of period_ms from start_ms. */
struct cw_series {
    int64_t start_ms, period_ms;
    struct cw_bucket *b; /* sorted by start_ms */
    size_t n, cap;
};

/* Add a statistic set at at_ms; 0, or -1 (out of memory). */
int cw_series_add(struct cw_series *s, int64_t at_ms, double count, double sum, double min, double max,
                  const char *unit);
void cw_series_free(struct cw_series *s);
/* A named statistic of a bucket ("SampleCount", "Average", "Sum",
 * "Minimum", "Maximum"); false when the name is none of these. */
bool cw_stat_value(const struct cw_bucket *b, const char *stat, double *ret);
/* Whether a stat name is one berth computes (the five above). */
bool cw_stat_known(const char *stat);

/* ---- cw_get.c: what both Get actions share ---- */

/* The points of metric ({Namespace, MetricName, Dimensions}) with unit
 * (NULL: any) from start_ms to end_ms into s, whose period_ms is set; its
 * periods start at start_ms rounded down to one. */
int cw_fetch_series(struct op_ctx *ctx, json_t *metric, const char *unit, int64_t start_ms, int64_t end_ms,
                    struct cw_series *s, struct error *err);
/* A Period member: 1, 5, 10, 30 or a multiple of 60 seconds, in ms. */
int cw_check_period(json_t *v, const char *what, int64_t *ret_ms, struct error *err);
/* StartTime and EndTime of in, StartTime first. */
int cw_time_range(json_t *in, int64_t *start_ms, int64_t *end_ms, struct error *err);
/* A timestamp for the reply (epoch seconds; the query codec writes ISO). */
json_t *cw_time_json(int64_t ms);

/* ---- handlers ---- */
API_ACTION(cw_put_metric_data);
API_ACTION(cw_get_metric_statistics);
API_ACTION(cw_get_metric_data);
API_ACTION(cw_list_metrics);
API_ACTION(cw_put_metric_alarm);
API_ACTION(cw_describe_alarms);
API_ACTION(cw_describe_alarms_for_metric);
API_ACTION(cw_delete_alarms);
API_ACTION(cw_set_alarm_state);
API_ACTION(cw_enable_alarm_actions);
API_ACTION(cw_disable_alarm_actions);
API_ACTION(cw_describe_alarm_history);
