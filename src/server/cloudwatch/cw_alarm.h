/* cw_alarm.h - CloudWatch metric alarms: what the alarm actions
 * (cw_alarms.c), their evaluation (cw_alarm_eval.c) and Application Auto
 * Scaling (which owns the alarms of its target tracking policies and is
 * the one kind of action berth performs) share.
 *
 * An alarm is a document in the store (store_docs.h, kind CW_ALARM_KIND,
 * id its name): the MetricAlarm shape with timestamps as epoch seconds,
 * plus a "berth" member the replies leave out (times in ms). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "server/http/api.h"

struct cw_ts;
struct store_tx;

#define CW_ALARM_KIND "cw-alarm"
#define CW_ALARM_HISTORY "cw-alarm-history"
#define CW_ALARM_HISTORY_KEEP 100 /* entries kept per alarm */

/* Create or replace the alarm a PutMetricAlarm input (checked against the
 * model) describes, in ctx's region.  A replaced alarm keeps its state. */
int cw_alarm_put(struct op_ctx *ctx, json_t *in, struct error *err);
/* Delete an alarm and its history; 0 also when there is none. */
int cw_alarm_delete(struct op_ctx *ctx, const char *name, struct error *err);
/* The alarm's ARN into buf. */
void cw_alarm_arn(struct op_ctx *ctx, const char *name, char *buf, size_t cap);

/* An alarm action berth performs: arn, because alarm `alarm` (in region)
 * is in `state`.  value is the newest datapoint evaluated (has_value false
 * when none was), threshold the alarm's. */
struct cw_alarm_action {
    const char *region, *alarm, *arn, *state;
    double value, threshold;
    bool has_value;
};
typedef int (*cw_alarm_action_fn)(struct store_tx *tx, const struct cw_alarm_action *a, void *ud, struct error *err);

/* Evaluate every alarm of every region at now_ms with periods divided by
 * scale (berth server --time-scale; 1 normally): state changes and their
 * history, then each action of an alarm whose actions are enabled, once
 * per period while the alarm stays in the state the action is for (as
 * CloudWatch invokes Auto Scaling actions).  Errors of one alarm are
 * logged and do not stop the others. */
int cw_alarms_evaluate(struct store_tx *tx, const char *account, int64_t now_ms, int scale, cw_alarm_action_fn fn,
                       void *ud, struct error *err);

/* ---- cw_data.c ---- */
/* The queries of a GetMetricData request or an alarm's Metrics: ids used
 * once, each MetricStat or Expression. */
int cw_check_queries(json_t *queries, struct error *err);
/* The series an alarm's Metrics yield (the query with ReturnData, else
 * the last) from start_ms to end_ms, each MetricStat's period divided by
 * scale; *ret owned by the caller (cw_ts_free). */
int cw_metrics_series(struct op_ctx *ctx, json_t *queries, int64_t start_ms, int64_t end_ms, int scale,
                      struct cw_ts *ret, struct error *err);
