/* as_scheduled.c - PutScheduledAction, DescribeScheduledActions,
 * DeleteScheduledAction, and running the actions that are due (from the
 * evaluation thread's job): a due action sets its target's MinCapacity
 * and MaxCapacity, which moves the desired count into the new range.
 * Schedules: at(yyyy-mm-ddThh:mm:ss), once, rate(N minute|minutes|
 * hour|hours|day|days) and cron(Minutes Hours Day-of-month Month
 * Day-of-week Year) (as_cron.h), from StartTime (or creation) until
 * EndTime.  at() and cron() read the wall clock of Timezone (an IANA name
 * from the system's tz database; UTC by default).  --time-scale divides
 * rate()'s interval only: at() and cron() name wall-clock times. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/ids.h"
#include "common/isodate.h"
#include "common/tzinfo.h"
#include "server/autoscaling/as_cron.h"
#include "server/autoscaling/autoscaling.h"
#include "server/cloudwatch/cloudwatch.h"
#include "server/store/store_docs.h"

#define SCHEDULED_PAGE 50

static inline void tzinfo_freep(struct tzinfo **z) { tzinfo_free(*z); }

/* The zone an action's Timezone names (UTC when none). */
static int zone_of(json_t *doc, struct tzinfo **ret, struct error *err)
{
    const char *tz = json_string_value(json_object_get(doc, "Timezone"));
    if (tzinfo_load(tz ? tz : "UTC", ret, err) < 0)
        return error_set(err, AS_ERR_VALIDATION, "Invalid Timezone %.64s: not a time zone of the tz database.",
                         tz ? tz : "UTC");
    return 0;
}

/* cron(...)'s next firing after after_ms (ms; 0 if none). */
static int cron_next(const char *s, const struct tzinfo *z, int64_t after_ms, int64_t *ret_ms, struct error *err)
{
    size_t n = strlen(s);
    char fields[800];
    struct as_cron c;
    if (n < 6 || n - 6 >= sizeof(fields) || strncmp(s, "cron(", 5) != 0 || s[n - 1] != ')')
        return error_set(err, AS_ERR_VALIDATION, "Invalid schedule %.100s.", s);
    snprintf(fields, sizeof(fields), "%.*s", (int)(n - 6), s + 5);
    if (as_cron_parse(fields, &c, err) < 0)
        return error_set(err, AS_ERR_VALIDATION, "Invalid schedule %.100s: %s", s, err->msg);
    int64_t next = as_cron_next(&c, z, after_ms / 1000);
    *ret_ms = next < 0 ? 0 : next * 1000;
    return 0;
}

/* The first run (ms; 0: never) and, for rate(), the interval (ms; 0 for
 * at() and cron()).  rate() counts from from_ms (StartTime or now); cron()
 * fires from then or now, whichever is later. */
static int parse_schedule(const char *s, json_t *in, int64_t from_ms, int64_t now_ms, int scale, int64_t *ret_first,
                          int64_t *ret_every, struct error *err)
{
    size_t n = strlen(s);
    _cleanup_(tzinfo_freep) struct tzinfo *z = NULL;
    *ret_every = 0;
    if (zone_of(in, &z, err) < 0) /* checked for rate() too, which runs by the interval */
        return -1;
    if (strncmp(s, "cron(", 5) == 0)
        return cron_next(s, z, (from_ms > now_ms ? from_ms : now_ms) - 1, ret_first, err);
    if (n > 4 && strncmp(s, "at(", 3) == 0 && s[n - 1] == ')') {
        char when[64];
        int64_t lo, hi;
        snprintf(when, sizeof(when), "%.*s", (int)(n - 4), s + 3);
        if (n - 4 != 19 || isodate_parse(when, &lo, &hi) < 0)
            return error_set(err, AS_ERR_VALIDATION, "Invalid schedule %.100s: at(yyyy-mm-ddThh:mm:ss).", s);
        *ret_first = tzinfo_to_utc(z, lo / 1000000) * 1000;
        return 0;
    }
    if (n > 6 && strncmp(s, "rate(", 5) == 0 && s[n - 1] == ')') {
        char unit[16] = "";
        long long count = 0;
        int used = 0;
        if (sscanf(s + 5, "%lld %15[a-z])%n", &count, unit, &used) != 2 || (size_t)used != n - 5 || count < 1 ||
            count > 100000)
            return error_set(err, AS_ERR_VALIDATION, "Invalid schedule %.100s: rate(N minutes|hours|days).", s);
        int64_t per = strncmp(unit, "minute", 6) == 0 ? 60000
                      : strncmp(unit, "hour", 4) == 0 ? 3600000
                      : strncmp(unit, "day", 3) == 0  ? 86400000
                                                      : 0;
        size_t ulen = strlen(unit);
        bool plural = unit[ulen - 1] == 's';
        if (!per || (count == 1) == plural)
            return error_set(err, AS_ERR_VALIDATION, "Invalid schedule %.100s: rate(N minutes|hours|days).", s);
        *ret_every = count * per;
        *ret_first = from_ms + *ret_every / scale;
        return 0;
    }
    return error_set(err, AS_ERR_VALIDATION, "Invalid schedule %.100s.", s);
}

static int time_member(json_t *in, const char *name, int64_t *ret_ms, struct error *err)
{
    json_t *v = json_object_get(in, name);
    *ret_ms = 0;
    return v ? cw_time_ms(v, name, ret_ms, err) : 0;
}

API_ACTION(as_put_scheduled_action)
{
    (void)out;
    char cluster[256], service[256], tid[700], sid[1000], uuid[37], arn[1200];
    const char *name = json_string_value(json_object_get(in, "ScheduledActionName"));
    if (as_check_resource(in, cluster, service, err) < 0)
        return -1;
    int64_t start, end, first, every, now_ms = (int64_t)(ctx->now / 1000);
    struct autoscaling_service *svc = ctx->service;
    int scale = svc && svc->time_scale > 1 ? svc->time_scale : 1;
    /* berth stores each call's action whole, so the schedule comes every time. */
    const char *schedule = json_string_value(json_object_get(in, "Schedule"));
    if (!schedule)
        return error_set(err, AS_ERR_VALIDATION,
                         "Schedule is required: berth replaces the whole scheduled action on each "
                         "PutScheduledAction.");
    if (time_member(in, "StartTime", &start, err) < 0 || time_member(in, "EndTime", &end, err) < 0 ||
        parse_schedule(schedule, in, start ? start : now_ms, now_ms, scale, &first, &every, err) < 0)
        return -1;
    if (start && !every && strncmp(schedule, "at(", 3) == 0 && first < start)
        return error_set(err, AS_ERR_VALIDATION, "The at() time of %.100s is before its StartTime: it would never run.",
                         schedule);
    json_t *act = json_object_get(in, "ScalableTargetAction");
    json_t *min = json_object_get(act, "MinCapacity"), *max = json_object_get(act, "MaxCapacity");
    if (!min && !max)
        return error_set(err, AS_ERR_VALIDATION, "ScalableTargetAction needs MinCapacity or MaxCapacity.");
    if (min && max && json_integer_value(min) > json_integer_value(max))
        return error_set(err, AS_ERR_VALIDATION, "Minimum capacity cannot be greater than maximum capacity");
    as_doc_id(in, NULL, tid, sizeof(tid));
    as_doc_id(in, name, sid, sizeof(sid));
    _cleanup_json_ json_t *target = NULL;
    int r = store_doc_get(ctx->tx, AS_TARGET, ctx->region, tid, &target, err);
    if (r <= 0)
        return r < 0 ? -1
                     : error_set(err, AS_ERR_NOT_FOUND,
                                 "No scalable target registered for service namespace: ecs, resource ID: %s, "
                                 "scalable dimension: %s",
                                 json_string_value(json_object_get(in, "ResourceId")), AS_DIMENSION);
    if (ids_uuid(uuid) < 0)
        return error_set(err, ERR_SYSTEM, "no random bytes for an action id");
    snprintf(arn, sizeof(arn), "arn:aws:autoscaling:%s:%s:scheduledAction:%s:resource/ecs/%s:scheduledActionName/%s",
             ctx->region, ctx->account, uuid, json_string_value(json_object_get(in, "ResourceId")), name);
    _cleanup_json_ json_t *doc = json_deep_copy(in);
    if (!doc)
        return error_set(err, ERR_INTERNAL, "out of memory");
    json_object_set_new(doc, "ScheduledActionARN", json_string(arn));
    json_object_set_new(doc, "CreationTime", json_real(time_to_epoch_seconds(ctx->now)));
    if (end && first > end)
        first = 0; /* never within its time */
    json_object_set_new(doc, "berth",
                        json_pack("{s:I, s:I, s:I}", "next_ms", (json_int_t)first, "every_ms", (json_int_t)every,
                                  "end_ms", (json_int_t)end));
    return store_doc_put(ctx->tx, AS_SCHEDULED, ctx->region, sid, doc, err);
}

API_ACTION(as_describe_scheduled_actions)
{
    static const char *const keys[2] = {"ScheduledActionNames", "ScheduledActionName"};
    return as_describe(ctx, in, AS_SCHEDULED, as_match_named, keys, SCHEDULED_PAGE, "ScheduledActions", out, err);
}

API_ACTION(as_delete_scheduled_action)
{
    (void)out;
    char cluster[256], service[256], sid[1000];
    const char *name = json_string_value(json_object_get(in, "ScheduledActionName"));
    if (as_check_resource(in, cluster, service, err) < 0)
        return -1;
    as_doc_id(in, name, sid, sizeof(sid));
    _cleanup_json_ json_t *doc = NULL;
    int r = store_doc_get(ctx->tx, AS_SCHEDULED, ctx->region, sid, &doc, err);
    if (r <= 0)
        return r < 0 ? -1
                     : error_set(err, AS_ERR_NOT_FOUND,
                                 "No scheduled action found for service namespace: ecs, resource ID: %s, scalable "
                                 "dimension: %s, scheduled action name: %s",
                                 json_string_value(json_object_get(in, "ResourceId")), AS_DIMENSION, name);
    return store_doc_delete(ctx->tx, AS_SCHEDULED, ctx->region, sid, err);
}

/* ---- running what is due ---- */

static int collect(const char *region, json_t *doc, void *ud, struct error *err)
{
    if (json_array_append_new(ud, json_pack("[sO]", region, doc)) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return 0;
}

/* The run after the one due at next (ms; 0: none): rate()'s next step,
 * cron()'s next firing after now. */
static int64_t following(json_t *doc, int64_t next, int64_t every, int64_t now_ms)
{
    const char *sched = json_string_value(json_object_get(doc, "Schedule"));
    int64_t after = every > 0 ? next + every : 0;
    if (sched && strncmp(sched, "cron(", 5) == 0) {
        _cleanup_(tzinfo_freep) struct tzinfo *z = NULL;
        struct error err;
        if (zone_of(doc, &z, &err) < 0 || cron_next(sched, z, now_ms, &after, &err) < 0)
            after = 0; /* the zone left the tz database: the action ends */
    }
    int64_t end = json_integer_value(json_object_get(json_object_get(doc, "berth"), "end_ms"));
    return end && after > end ? 0 : after;
}

static int run_one(struct op_ctx *ctx, json_t *doc, int scale, bool *scaled, struct error *err)
{
    json_t *b = json_object_get(doc, "berth");
    int64_t now_ms = (int64_t)(ctx->now / 1000), next = json_integer_value(json_object_get(b, "next_ms"));
    int64_t every = json_integer_value(json_object_get(b, "every_ms")) / scale;
    if (next <= 0 || next > now_ms)
        return 0;
    char tid[700], sid[1000], cluster[256], service[256], why[400];
    const char *name = json_string_value(json_object_get(doc, "ScheduledActionName"));
    as_doc_id(doc, NULL, tid, sizeof(tid));
    as_doc_id(doc, name, sid, sizeof(sid));
    json_object_set_new(b, "next_ms", json_integer(following(doc, next, every, now_ms)));
    if (store_doc_put(ctx->tx, AS_SCHEDULED, ctx->region, sid, doc, err) < 0)
        return -1;
    _cleanup_json_ json_t *target = NULL;
    int r = store_doc_get(ctx->tx, AS_TARGET, ctx->region, tid, &target, err);
    if (r <= 0 || as_check_resource(doc, cluster, service, err) < 0 ||
        json_is_true(json_object_get(json_object_get(target, "SuspendedState"), "ScheduledScalingSuspended")))
        return r < 0 ? -1 : 0;
    json_t *act = json_object_get(doc, "ScalableTargetAction");
    static const char *const keys[] = {"MinCapacity", "MaxCapacity"};
    for (size_t i = 0; i < 2; i++)
        if (json_object_get(act, keys[i]))
            json_object_set(target, keys[i], json_object_get(act, keys[i]));
    if (store_doc_put(ctx->tx, AS_TARGET, ctx->region, tid, target, err) < 0)
        return -1;
    snprintf(why, sizeof(why), "scheduled action name %s was triggered", name);
    *scaled = true;
    return as_clamp_desired(ctx, target, cluster, service, why, err);
}

int as_scheduled_run(struct op_ctx *ctx, int scale, bool *scaled, struct error *err)
{
    _cleanup_json_ json_t *all = json_array();
    if (!all)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (store_doc_each(ctx->tx, AS_SCHEDULED, NULL, NULL, NULL, collect, all, err) < 0)
        return -1;
    size_t i;
    json_t *a;
    json_array_foreach(all, i, a) {
        struct op_ctx one = *ctx;
        one.region = json_string_value(json_array_get(a, 0));
        if (run_one(&one, json_array_get(a, 1), scale < 1 ? 1 : scale, scaled, err) < 0)
            return -1;
    }
    return 0;
}

int as_scheduled_delete_all(struct op_ctx *ctx, json_t *in, struct error *err)
{
    char prefix[700];
    as_doc_id(in, NULL, prefix, sizeof(prefix));
    snprintf(prefix + strlen(prefix), sizeof(prefix) - strlen(prefix), "|");
    _cleanup_json_ json_t *all = json_array();
    if (!all)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (store_doc_each(ctx->tx, AS_SCHEDULED, ctx->region, NULL, prefix, collect, all, err) < 0)
        return -1;
    size_t i;
    json_t *a;
    json_array_foreach(all, i, a) {
        json_t *doc = json_array_get(a, 1);
        char sid[1000];
        as_doc_id(doc, json_string_value(json_object_get(doc, "ScheduledActionName")), sid, sizeof(sid));
        if (store_doc_delete(ctx->tx, AS_SCHEDULED, ctx->region, sid, err) < 0)
            return -1;
    }
    return 0;
}
