/* cw_math.h - GetMetricData's metric math, a subset: numbers, query ids,
 * + - * / and parentheses, and SUM, AVG, MIN, MAX of a series (a number)
 * or of an array of series ([m1, m2] or METRICS(), every MetricStat query;
 * one series, the value at each timestamp).  Two series combine where both
 * have a timestamp, as CloudWatch does.  Pure. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* A time series (ascending timestamps) or, when scalar, one number. */
struct cw_ts {
    size_t n;
    int64_t *t;
    double *v;
    bool scalar;
    double s;
};

void cw_ts_free(struct cw_ts *ts);
/* Append a point; 0 or -1 (out of memory). */
int cw_ts_push(struct cw_ts *ts, int64_t t, double v);

/* The queries of one request: ids[i] names results[i]; exprs[i] is NULL
 * for a MetricStat query (its result already filled), else its
 * expression, evaluated into results[i] by cw_math_eval. */
struct cw_math {
    size_t n;
    const char *const *ids;
    const char *const *exprs;
    struct cw_ts *results;
    int *state; /* n entries, zeroed: 0 to do, 1 under evaluation, 2 done */
    int nested; /* expressions under evaluation, each waiting on the next (start 0) */
};

/* Evaluate query i (and what it refers to); ERR_INVALID for a bad
 * expression, an unknown id or a cycle. */
int cw_math_eval(struct cw_math *m, size_t i, struct error *err);
