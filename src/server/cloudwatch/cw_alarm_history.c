/* cw_alarm_history.c - DescribeAlarmHistory: the entries the alarm
 * actions and the evaluation recorded (store_docs.h, kind
 * CW_ALARM_HISTORY, under the alarm's name), newest first unless ScanBy
 * says otherwise, filtered by type and dates, paged by MaxRecords. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/cloudwatch/cloudwatch.h"
#include "server/cloudwatch/cw_alarm.h"
#include "server/store/store_docs.h"

#define HISTORY_TOKEN_PREFIX "cwhist1-"
#define HISTORY_PAGE_DEFAULT 100

struct history {
    json_t *items;
    const char *type;
    double from_s, to_s; /* 0: no bound */
    int64_t skip, seen, limit;
    bool more;
};

static int add_item(int64_t seq, json_t *doc, void *ud, struct error *err)
{
    (void)seq;
    struct history *h = ud;
    double at = json_number_value(json_object_get(doc, "Timestamp"));
    if (h->type && strcmp(h->type, json_string_value(json_object_get(doc, "HistoryItemType"))) != 0)
        return 0;
    if ((h->from_s && at < h->from_s) || (h->to_s && at > h->to_s))
        return 0;
    if (json_array_append(h->items, doc) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return 0;
}

static int parse_token(json_t *v, int64_t *ret_skip, struct error *err)
{
    const char *t = json_string_value(v);
    *ret_skip = 0;
    if (!t)
        return 0;
    char *end;
    long long n = strncmp(t, HISTORY_TOKEN_PREFIX, strlen(HISTORY_TOKEN_PREFIX)) == 0
                      ? strtoll(t + strlen(HISTORY_TOKEN_PREFIX), &end, 10)
                      : -1;
    if (n < 0 || *end)
        return error_set(err, CW_ERR_INVALID_NEXT_TOKEN, "The NextToken is not valid.");
    *ret_skip = n;
    return 0;
}

/* A StartDate or EndDate member in epoch seconds (0 when absent). */
static int date_member(json_t *in, const char *name, double *ret, struct error *err)
{
    int64_t ms;
    json_t *v = json_object_get(in, name);
    *ret = 0;
    if (!v)
        return 0;
    if (cw_time_ms(v, name, &ms, err) < 0)
        return -1;
    *ret = (double)ms / 1000.0;
    return 0;
}

API_ACTION(cw_describe_alarm_history)
{
    if (json_object_get(in, "AlarmContributorId"))
        return error_set(err, API_ERR_UNSUPPORTED_FEATURE, "berth does not implement alarm contributors.");
    json_t *types = json_object_get(in, "AlarmTypes");
    size_t i;
    json_t *t;
    bool metric = !types;
    json_array_foreach(types, i, t) {
        metric = metric || strcmp(json_string_value(t), "MetricAlarm") == 0;
    }
    _cleanup_json_ json_t *all = json_array();
    struct history h = {
        .items = all, .type = json_string_value(json_object_get(in, "HistoryItemType")), .limit = HISTORY_PAGE_DEFAULT};
    if (!all)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (json_object_get(in, "MaxRecords"))
        h.limit = json_integer_value(json_object_get(in, "MaxRecords"));
    if (parse_token(json_object_get(in, "NextToken"), &h.skip, err) < 0 ||
        date_member(in, "StartDate", &h.from_s, err) < 0 || date_member(in, "EndDate", &h.to_s, err) < 0)
        return -1;
    if (metric && store_doc_events(ctx->tx, CW_ALARM_HISTORY, ctx->region,
                                   json_string_value(json_object_get(in, "AlarmName")), 0, add_item, &h, err) < 0)
        return -1;
    const char *scan = json_string_value(json_object_get(in, "ScanBy"));
    bool ascending = scan && strcmp(scan, "TimestampAscending") == 0;
    json_t *page = json_array();
    if (!page || json_object_set_new(out, "AlarmHistoryItems", page) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    size_t n = json_array_size(all);
    for (size_t k = (size_t)h.skip; k < n && (int64_t)json_array_size(page) < h.limit; k++)
        json_array_append(page, json_array_get(all, ascending ? n - 1 - k : k));
    if ((int64_t)n > h.skip + h.limit) {
        char token[48];
        snprintf(token, sizeof(token), HISTORY_TOKEN_PREFIX "%" PRId64, h.skip + h.limit);
        json_object_set_new(out, "NextToken", json_string(token));
    }
    return 0;
}
