/* elb_metrics.h - AWS/ApplicationELB metrics from each load balancer's
 * HAProxy counters ("show stat"): RequestCount, RequestCountPerTarget,
 * TargetResponseTime and HTTPCode_Target_5XX_Count. */
#pragma once

#include <stdint.h>

#include "common/error.h"

struct store;
struct elb_metrics;

/* NULL when out of memory (then nothing is published). */
struct elb_metrics *elb_metrics_new(void);
void elb_metrics_free(struct elb_metrics *m);

/* One "show stat" CSV reply of the load balancer lb_arn (read, not
 * modified): what its counters moved since the last one is kept for the
 * next flush.  A reload (counters back to 0) counts from 0. */
void elb_metrics_sample(struct elb_metrics *m, const char *lb_arn, const char *csv);

/* Forget the counters of load balancers not sampled since the last flush
 * and write what was kept as points at now_ms. */
int elb_metrics_flush(struct elb_metrics *m, struct store *store, int64_t now_ms, struct error *err);
