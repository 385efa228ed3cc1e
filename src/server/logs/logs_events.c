/* logs_events.c - PutLogEvents, GetLogEvents, FilterLogEvents, and berth's
 * idempotent PutLogEvents for its agent.
 *
 * PutLogEvents follows CloudWatch's documented batch rules: 1-10,000
 * events, at most 1,048,576 bytes counting 26 bytes per event, in
 * chronological order, spanning at most 24 hours.  Events more than 14 days
 * old, older than the group's retention, or more than 2 hours in the future
 * are not errors: they are skipped and reported in rejectedLogEventsInfo.
 * Sequence tokens are accepted and ignored, as CloudWatch now does.
 *
 * BerthAgent_20261122.PutLogEvents (berth's agent, awslogs driver):
 *   in:  {logGroupName, logStreamName, logEvents: [{timestamp, message}],
 *         shipperId: string (1-256 chars), offset: integer >= 0}
 *   out: as PutLogEvents, plus "duplicate": true when nothing was stored.
 * The pair (shipperId, offset) makes an upload idempotent: the stream
 * remembers the highest offset each shipper has stored, and a batch whose
 * offset is not above it is answered with success and not stored again.  An
 * agent that restarts and resends its last unacknowledged batch therefore
 * stores it exactly once.  The group and stream must exist (the agent
 * creates them with CreateLogGroup / CreateLogStream).
 *
 * GetLogEvents tokens are "f/<cut>" (events after the cut) and "b/<cut>"
 * (events before it), where a cut is a position between events.  When a
 * direction has nothing more, the token passed in comes back unchanged,
 * which is how followers and paginators know to stop. */
#include "server/logs/logs.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/cleanup.h"
#include "server/logs/logs_limits.h"
#include "common/log.h"
#include "common/utf8.h"
#include "server/logs/logs_batch.h"
#include "server/logs/logs_filter.h"
#include "server/http/paging.h"

#define MS_PER_HOUR (3600LL * 1000)
#define MS_PER_DAY (24 * MS_PER_HOUR)
#define TOO_OLD_MS (14 * MS_PER_DAY)
#define TOO_NEW_MS (2 * MS_PER_HOUR)

static void logs_filter_freep(struct logs_filter **f) { logs_filter_free(*f); }

/* ---- PutLogEvents ------------------------------------------------------------ */

static void set_sequence_token(json_t *out, int64_t upload_seq)
{
    char token[64];
    logs_sequence_token(upload_seq, token, sizeof(token));
    json_object_set_new(out, "nextSequenceToken", json_string(token));
}

/* The batch in `events`, or else in ctx->raw (BerthAgent's, unparsed). */
static int read_batch(struct op_ctx *ctx, json_t *events, struct logs_batch *ret, struct error *err)
{
    if (!events && ctx->raw)
        return logs_batch_from_text(ctx->raw, ctx->raw_len, ret, err);
    return logs_batch_from_json(events, ret, err);
}

/* The shared body of both PutLogEvents; shipper NULL for the AWS one. */
static int put_events(struct op_ctx *ctx, const char *group_name, const char *stream_name, json_t *events,
                      const char *shipper, int64_t offset, json_t *out, struct error *err)
{
    struct log_group_row g;
    struct log_stream_row s;
    if (logs_check_group_name(group_name, "logGroupName", err) < 0 ||
        logs_check_stream_name(stream_name, "logStreamName", err) < 0)
        return -1;
    _cleanup_(logs_batch_free) struct logs_batch batch = {0};
    if (logs_group_get(ctx, group_name, &g, err) < 0 || logs_stream_get(ctx, &g, stream_name, &s, err) < 0 ||
        read_batch(ctx, events, &batch, err) < 0)
        return -1;
    const struct log_event_in *ev = batch.ev;
    size_t n = batch.n;
    if (shipper) {
        int64_t seen = 0;
        int r = store_log_shipper_get(ctx->tx, s.id, shipper, &seen, err);
        if (r < 0)
            return -1;
        if (r > 0 && seen >= offset) {
            set_sequence_token(out, s.upload_seq);
            json_object_set_new(out, "duplicate", json_true());
            return 0;
        }
    }
    int64_t now = logs_now_ms(ctx);
    int64_t too_old = now - TOO_OLD_MS, too_new = now + TOO_NEW_MS;
    int64_t expired = g.retention_days > 0 ? now - g.retention_days * MS_PER_DAY : INT64_MIN;
    /* The batch is sorted, so rejects are a prefix (old) and a suffix (new). */
    size_t lo = 0, hi = n;
    ssize_t old_end = -1, expired_end = -1;
    while (lo < n && (ev[lo].ts < too_old || ev[lo].ts < expired)) {
        if (ev[lo].ts < too_old)
            old_end = (ssize_t)lo;
        if (ev[lo].ts < expired)
            expired_end = (ssize_t)lo;
        lo++;
    }
    while (hi > lo && ev[hi - 1].ts > too_new)
        hi--;
    if (old_end >= 0 || expired_end >= 0 || hi < n) {
        json_t *info = json_object();
        if (old_end >= 0)
            json_object_set_new(info, "tooOldLogEventEndIndex", json_integer(old_end));
        if (expired_end >= 0)
            json_object_set_new(info, "expiredLogEventEndIndex", json_integer(expired_end));
        if (hi < n)
            json_object_set_new(info, "tooNewLogEventStartIndex", json_integer((json_int_t)hi));
        json_object_set_new(out, "rejectedLogEventsInfo", info);
    }
    if (store_log_events_append(ctx->tx, &s, ev + lo, hi - lo, now, err) < 0)
        return -1;
    if (shipper && store_log_shipper_put(ctx->tx, s.id, shipper, offset, err) < 0)
        return -1;
    set_sequence_token(out, s.upload_seq);
    return 0;
}

int action_logs_put_log_events(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    return put_events(ctx, json_string_value(json_object_get(in, "logGroupName")),
                      json_string_value(json_object_get(in, "logStreamName")), json_object_get(in, "logEvents"), NULL,
                      0, out, err);
}

int action_berth_put_log_events(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    const char *group = json_string_value(json_object_get(in, "logGroupName"));
    const char *stream = json_string_value(json_object_get(in, "logStreamName"));
    const char *shipper = json_string_value(json_object_get(in, "shipperId"));
    json_t *offset = json_object_get(in, "offset");
    json_t *events = json_object_get(in, "logEvents");
    /* The agent's events come unparsed (ctx->raw): an array's text. */
    bool raw_array = !events && ctx->raw && ctx->raw_len > 0 && ctx->raw[0] == '[';
    if (!group || !stream || !(json_is_array(events) || raw_array))
        return error_set(err, ERR_INVALID, "logGroupName, logStreamName and logEvents are required.");
    if (!shipper || strlen(shipper) < 1 || strlen(shipper) > LIMIT_LOGS_SHIPPER_ID || !utf8_valid(shipper))
        return error_set(err, ERR_INVALID, "shipperId must be 1-%d characters.", LIMIT_LOGS_SHIPPER_ID);
    if (!json_is_integer(offset) || json_integer_value(offset) < 0)
        return error_set(err, ERR_INVALID, "offset must be an integer >= 0.");
    return put_events(ctx, group, stream, events, shipper, json_integer_value(offset), out, err);
}

/* ---- GetLogEvents ----------------------------------------------------------- */

#define CUT_START ((struct log_cut){0, 0})
#define CUT_END ((struct log_cut){INT64_MAX, INT64_MAX})

static void cut_token(char dir, struct log_cut c, char *buf, size_t cap)
{
    snprintf(buf, cap, "%c/%019" PRId64 "%019" PRId64, dir, c.ts, c.id);
}

static bool parse_cut(const char *s, struct log_cut *ret)
{
    if (strlen(s) != 38 || strspn(s, "0123456789") != 38)
        return false;
    char a[20], b[20];
    memcpy(a, s, 19);
    a[19] = '\0';
    memcpy(b, s + 19, 19);
    b[19] = '\0';
    ret->ts = strtoll(a, NULL, 10);
    ret->id = strtoll(b, NULL, 10);
    return ret->ts >= 0 && ret->id >= 0;
}

struct collect {
    json_t *events;
    size_t bytes;
    int limit;
    struct logs_filter *filter; /* FilterLogEvents only */
};

static int collect_get(const struct log_event_view *ev, void *arg, struct error *err)
{
    struct collect *c = arg;
    size_t sz = ev->len + LIMIT_LOGS_EVENT_OVERHEAD;
    if (json_array_size(c->events) > 0 && c->bytes + sz > LIMIT_LOGS_RESPONSE_BYTES)
        return 1;
    json_t *e = json_pack("{s:I, s:s%, s:I}", "timestamp", (json_int_t)ev->ts, "message", ev->message, ev->len,
                          "ingestionTime", (json_int_t)ev->ingest_ms);
    if (!e || json_array_append_new(c->events, e) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    c->bytes += sz;
    return 0;
}

/* Reverse a JSON array in place (backward reads arrive newest first). */
static void reverse(json_t *a)
{
    size_t n = json_array_size(a);
    for (size_t i = 0; i < n / 2; i++) {
        json_t *x = json_incref(json_array_get(a, i));
        json_array_set(a, i, json_array_get(a, n - 1 - i));
        json_array_set_new(a, n - 1 - i, x);
    }
}

static struct log_cut event_key(json_t *events, size_t i, const int64_t *ids)
{
    return (struct log_cut){json_integer_value(json_object_get(json_array_get(events, i), "timestamp")), ids[i]};
}

/* Event ids are not in GetLogEvents' answer; keep them alongside. */
struct get_collect {
    struct collect c;
    int64_t *ids;
    size_t nids, cap;
};

static int collect_get_ids(const struct log_event_view *ev, void *arg, struct error *err)
{
    struct get_collect *g = arg;
    if (array_reserve(&g->ids, &g->cap, g->nids + 1, sizeof(*g->ids)) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    int r = collect_get(ev, &g->c, err);
    if (r == 0)
        g->ids[g->nids++] = ev->id;
    return r;
}

int action_logs_get_log_events(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    struct log_group_row g;
    struct log_stream_row s;
    if (logs_stream_resolve(ctx, in, &g, &s, err) < 0)
        return -1;
    json_t *st = json_object_get(in, "startTime"), *et = json_object_get(in, "endTime");
    int64_t start = st ? json_integer_value(st) : 0;
    int64_t end = et ? json_integer_value(et) : INT64_MAX;
    json_t *lim = json_object_get(in, "limit");
    const char *token = json_string_value(json_object_get(in, "nextToken"));
    bool forward;
    struct log_cut cut;
    if (token) {
        if ((token[0] != 'f' && token[0] != 'b') || token[1] != '/' || !parse_cut(token + 2, &cut))
            return error_set(err, ERR_INVALID, "The specified nextToken is invalid.");
        forward = token[0] == 'f';
    } else {
        /* Without a token the direction is startFromHead's (default: the
         * newest events); with one, the token's. */
        forward = json_is_true(json_object_get(in, "startFromHead"));
        cut = forward ? CUT_START : CUT_END;
    }
    struct get_collect gc = {.c = {.events = json_array(), .limit = lim ? (int)json_integer_value(lim) : 10000}};
    json_object_set_new(out, "events", gc.c.events);
    int r = store_log_events_read(ctx->tx, s.id, cut, forward, start, end, gc.c.limit, collect_get_ids, &gc, err);
    if (r < 0) {
        free(gc.ids);
        return -1;
    }
    if (!forward) {
        reverse(gc.c.events);
        for (size_t i = 0; i < gc.nids / 2; i++) {
            int64_t t = gc.ids[i];
            gc.ids[i] = gc.ids[gc.nids - 1 - i];
            gc.ids[gc.nids - 1 - i] = t;
        }
    }
    char ftok[48], btok[48];
    if (gc.nids > 0) {
        struct log_cut first = event_key(gc.c.events, 0, gc.ids);
        struct log_cut last = event_key(gc.c.events, gc.nids - 1, gc.ids);
        first.id--; /* the cut just before the first event */
        cut_token('f', last, ftok, sizeof(ftok));
        cut_token('b', first, btok, sizeof(btok));
    } else if (token) {
        /* Nothing more this way: the same token back; the other direction
         * turns around at the same place. */
        cut_token('f', cut, ftok, sizeof(ftok));
        cut_token('b', cut, btok, sizeof(btok));
    } else {
        cut_token('f', CUT_START, ftok, sizeof(ftok));
        cut_token('b', CUT_START, btok, sizeof(btok));
    }
    free(gc.ids);
    json_object_set_new(out, "nextForwardToken", json_string(ftok));
    json_object_set_new(out, "nextBackwardToken", json_string(btok));
    return 0;
}

/* ---- FilterLogEvents -------------------------------------------------------- */

static int collect_filtered(const struct log_event_view *ev, void *arg, struct error *err)
{
    struct collect *c = arg;
    if (!logs_filter_match(c->filter, ev->message, ev->len))
        return 0;
    size_t sz = ev->len + LIMIT_LOGS_EVENT_OVERHEAD;
    if ((int)json_array_size(c->events) >= c->limit ||
        (json_array_size(c->events) > 0 && c->bytes + sz > LIMIT_LOGS_RESPONSE_BYTES))
        return 1;
    char id[24];
    snprintf(id, sizeof(id), "%020" PRId64, ev->id);
    json_t *e = json_pack("{s:s, s:I, s:s%, s:I, s:s}", "logStreamName", ev->stream_name ? ev->stream_name : "",
                          "timestamp", (json_int_t)ev->ts, "message", ev->message, ev->len, "ingestionTime",
                          (json_int_t)ev->ingest_ms, "eventId", id);
    if (!e || json_array_append_new(c->events, e) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    c->bytes += sz;
    return 0;
}

static int id_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* The streams a FilterLogEvents call selects: *ret_ids NULL means all. */
static int select_streams(struct op_ctx *ctx, const struct log_group_row *g, json_t *in, int64_t **ret_ids,
                          size_t *ret_n, json_t *searched, struct error *err)
{
    json_t *names = json_object_get(in, "logStreamNames");
    const char *prefix = json_string_value(json_object_get(in, "logStreamNamePrefix"));
    *ret_ids = NULL;
    *ret_n = 0;
    if (names && prefix)
        return error_set(err, ERR_INVALID, "Cannot specify both logStreamNames and logStreamNamePrefix.");
    if (!names && !prefix)
        return 0;
    _cleanup_free_ int64_t *ids = NULL;
    size_t n = 0, cap = 0;
    if (names) {
        size_t i;
        json_t *v;
        if (array_reserve(&ids, &cap, json_array_size(names), sizeof(*ids)) < 0)
            return error_set(err, ERR_INTERNAL, "out of memory");
        json_array_foreach(names, i, v) {
            struct log_stream_row s;
            if (logs_check_stream_name(json_string_value(v), "logStreamNames", err) < 0)
                return -1;
            int r = store_log_stream_get(ctx->tx, g->id, json_string_value(v), &s, err);
            if (r < 0)
                return -1;
            if (r == 0)
                continue;
            ids[n++] = s.id;
            json_array_append_new(searched, json_pack("{s:s, s:b}", "logStreamName", s.name, "searchedCompletely", 1));
        }
    } else {
        struct log_stream_query q = {.group_id = g->id, .prefix = prefix, .order = LOG_ORDER_NAME, .limit = 1000};
        char after[LOG_NAME_MAX + 1];
        for (;;) {
            _cleanup_free_ struct log_stream_row *rows = NULL;
            size_t k = 0;
            bool more = false;
            if (store_log_stream_list(ctx->tx, &q, &rows, &k, &more, err) < 0)
                return -1;
            if (array_reserve(&ids, &cap, n + k, sizeof(*ids)) < 0)
                return error_set(err, ERR_INTERNAL, "out of memory");
            for (size_t i = 0; i < k; i++) {
                ids[n++] = rows[i].id;
                if (json_array_size(searched) < 100)
                    json_array_append_new(
                        searched, json_pack("{s:s, s:b}", "logStreamName", rows[i].name, "searchedCompletely", 1));
            }
            if (!more || k == 0)
                break;
            /* Resume after the last name; rows is freed at the loop's end. */
            snprintf(after, sizeof(after), "%s", rows[k - 1].name);
            q.has_after = true;
            q.after_name = after;
        }
    }
    if (n == 0) {
        /* Streams named but none exist: an empty, finished search. */
        *ret_ids = TAKE_PTR(ids);
        *ret_n = 0;
        return 1;
    }
    qsort(ids, n, sizeof(*ids), id_cmp);
    *ret_ids = TAKE_PTR(ids);
    *ret_n = n;
    return 0;
}

int action_logs_filter_log_events(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    struct log_group_row g;
    if (logs_group_resolve(ctx, in, &g, err) < 0)
        return -1;
    _cleanup_(logs_filter_freep) struct logs_filter *filter = NULL;
    if (logs_filter_parse(json_string_value(json_object_get(in, "filterPattern")), &filter, err) < 0)
        return -1;
    _cleanup_(page_free) struct page page = {0};
    if (page_begin(in, "FilterLogEvents", 0, 0, &page, err) < 0)
        return -1;
    struct log_cut cut = CUT_START;
    if (page.after && !parse_cut(page.after, &cut))
        return error_set(err, ERR_INVALID, "Invalid nextToken.");
    json_t *searched = json_array();
    json_t *events = json_array();
    json_object_set_new(out, "events", events);
    json_object_set_new(out, "searchedLogStreams", searched);
    _cleanup_free_ int64_t *ids = NULL;
    size_t nids = 0;
    int sel = select_streams(ctx, &g, in, &ids, &nids, searched, err);
    if (sel < 0)
        return -1;
    if (sel > 0)
        return 0;
    json_t *st = json_object_get(in, "startTime"), *et = json_object_get(in, "endTime");
    json_t *lim = json_object_get(in, "limit");
    struct collect c = {
        .events = events,
        .limit = lim ? (int)json_integer_value(lim) : 10000,
        .filter = filter,
    };
    struct log_cut last;
    bool exhausted = false;
    if (store_log_events_scan(ctx->tx, g.id, ids, nids, cut, st ? json_integer_value(st) : 0,
                              et ? json_integer_value(et) : INT64_MAX, LIMIT_LOGS_SCAN_EVENTS, LIMIT_LOGS_SCAN_BYTES,
                              collect_filtered, &c, &last, &exhausted, err) < 0)
        return -1;
    if (!exhausted) {
        char key[48];
        snprintf(key, sizeof(key), "%019" PRId64 "%019" PRId64, last.ts, last.id);
        if (page_set_next(out, "FilterLogEvents", key) < 0)
            return error_set(err, ERR_INTERNAL, "out of memory");
    }
    return 0;
}

/* ---- maintenance ------------------------------------------------------------ */

int logs_apply_retention(struct store_tx *tx, usec_t now, struct error *err)
{
    int64_t deleted = 0;
    if (store_logs_expire(tx, now / USEC_PER_MSEC, LIMIT_LOGS_EXPIRE_PER_PASS, &deleted, err) < 0)
        return error_prefix(err, "logs retention");
    if (deleted)
        log_info("logs: removed %lld expired or deleted events", (long long)deleted);
    return 0;
}
