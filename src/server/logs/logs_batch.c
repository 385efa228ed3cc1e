/* logs_batch.c - a PutLogEvents batch, checked (see logs_batch.h).
 *
 * The raw reader exists for the agent's uploads: a jansson tree of a
 * 10,000-event batch (an object, two values and a hash table per event,
 * then freed) cost more than storing the events.  Both readers give the
 * same events and the same errors, in the same order. */
#include "server/logs/logs_batch.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/cleanup.h"
#include "common/jsonscan.h"
#include "server/http/api.h"
#include "server/logs/logs_limits.h"

#define MS_PER_DAY (24 * 3600LL * 1000)
#define BATCH_SPAN_MS MS_PER_DAY

static int count_error(struct error *err)
{
    return error_set(err, ERR_INVALID,
                     "1 validation error detected: Value at 'logEvents' failed to satisfy "
                     "constraint: Member must have length between 1 and %d",
                     LIMIT_LOGS_BATCH_EVENTS);
}

static int event_error(size_t i, struct error *err)
{
    return error_set(err, ERR_INVALID,
                     "logEvents[%zu]: timestamp (ms, >= 0) and message (non-empty) "
                     "are required.",
                     i);
}

/* Event i's own rules and its order after event i - 1. */
static int check_event(const struct log_event_in *ev, size_t i, struct error *err)
{
    if (ev[i].len > LIMIT_LOGS_EVENT_BYTES)
        return error_set(err, ERR_INVALID, "Log event too large: %zu bytes exceeds limit of %d", ev[i].len,
                         LIMIT_LOGS_EVENT_BYTES);
    if (i > 0 && ev[i].ts < ev[i - 1].ts)
        return error_set(err, ERR_INVALID,
                         "Log events in a single PutLogEvents request must be in chronological order.");
    return 0;
}

/* The rules of the whole batch of n (>= 1) checked events. */
static int check_whole(const struct log_event_in *ev, size_t n, struct error *err)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += ev[i].len + LIMIT_LOGS_EVENT_OVERHEAD;
    if (total > LIMIT_LOGS_BATCH_BYTES)
        return error_set(err, ERR_INVALID, "Upload too large: %zu bytes exceeds limit of %d", total,
                         LIMIT_LOGS_BATCH_BYTES);
    if (ev[n - 1].ts - ev[0].ts > BATCH_SPAN_MS)
        return error_set(err, ERR_INVALID,
                         "The batch of log events in a single PutLogEvents request cannot span more than 24 hours.");
    return 0;
}

int logs_batch_from_json(json_t *events, struct logs_batch *ret, struct error *err)
{
    size_t n = json_array_size(events);
    if (n < 1 || n > LIMIT_LOGS_BATCH_EVENTS)
        return count_error(err);
    _cleanup_free_ struct log_event_in *ev = calloc(n, sizeof(*ev));
    if (!ev)
        return error_set(err, ERR_INTERNAL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(events, i);
        json_t *ts = json_object_get(e, "timestamp");
        json_t *msg = json_object_get(e, "message");
        if (!json_is_integer(ts) || json_integer_value(ts) < 0 || !json_is_string(msg) || json_string_length(msg) < 1)
            return event_error(i, err);
        ev[i].ts = json_integer_value(ts);
        ev[i].message = json_string_value(msg);
        ev[i].len = json_string_length(msg);
        if (check_event(ev, i, err) < 0)
            return -1;
    }
    if (check_whole(ev, n, err) < 0)
        return -1;
    *ret = (struct logs_batch){.ev = TAKE_PTR(ev), .n = n};
    return 0;
}

/* One event object at s into *e (its message decoded at *at, which moves
 * on); 1 when it breaks the event rules, -1 on malformed text. */
static int raw_event(struct jsonscan *s, struct log_event_in *e, char **at)
{
    bool has_ts = false, has_msg = false, bad = false;
    if (!jsonscan_take(s, '{'))
        return jsonscan_skip(s) < 0 ? -1 : 1;
    if (jsonscan_take(s, '}'))
        return 1;
    do {
        char key[16];
        size_t klen;
        if (jsonscan_string(s, key, sizeof(key), &klen) < 0 || !jsonscan_take(s, ':'))
            return -1;
        bool is_ts = klen == 9 && memcmp(key, "timestamp", 9) == 0;
        bool is_msg = klen == 7 && memcmp(key, "message", 7) == 0;
        if ((is_ts && has_ts) || (is_msg && has_msg))
            return -1; /* a duplicate key: jansson refuses the body */
        bool integer = false;
        char c = jsonscan_peek(s);
        if (is_ts && c && strchr("-0123456789", c)) {
            if (jsonscan_number(s, &integer, &e->ts) < 0)
                return -1;
            bad |= !integer || e->ts < 0;
            has_ts = true;
        } else if (is_msg && jsonscan_peek(s) == '"') {
            /* Decoded text is never longer than the text it came from. */
            if (jsonscan_string(s, *at, SIZE_MAX, &e->len) < 0)
                return -1;
            e->message = *at;
            *at += e->len;
            *(*at)++ = '\0';
            has_msg = true;
            bad |= e->len < 1;
        } else {
            if (jsonscan_skip(s) < 0)
                return -1;
            bad |= is_ts || is_msg;
            has_ts |= is_ts;
            has_msg |= is_msg;
        }
    } while (jsonscan_take(s, ','));
    if (!jsonscan_take(s, '}'))
        return -1;
    return bad || !has_ts || !has_msg ? 1 : 0;
}

/* The events of the array at s; the first rule broken goes to *broken
 * (reading goes on, so that the count is known).  -1 on malformed text. */
static int raw_events(struct jsonscan *s, struct logs_batch *b, struct error *broken, bool *is_broken)
{
    size_t cap = 0;
    char *at = b->text;
    if (jsonscan_take(s, ']'))
        return 0;
    do {
        if (array_reserve(&b->ev, &cap, b->n + 1, sizeof(*b->ev)) < 0)
            return -1;
        struct log_event_in *e = &b->ev[b->n];
        *e = (struct log_event_in){0};
        int r = raw_event(s, e, &at);
        if (r < 0)
            return -1;
        if (!*is_broken && b->n < LIMIT_LOGS_BATCH_EVENTS &&
            ((r > 0 && event_error(b->n, broken) < 0) || (r == 0 && check_event(b->ev, b->n, broken) < 0)))
            *is_broken = true;
        b->n++;
    } while (jsonscan_take(s, ','));
    return jsonscan_take(s, ']') ? 0 : -1;
}

int logs_batch_from_text(const char *text, size_t len, struct logs_batch *ret, struct error *err)
{
    struct logs_batch b = {.text = malloc(len + 1)};
    if (!b.text)
        return error_set(err, ERR_INTERNAL, "out of memory");
    struct jsonscan s;
    jsonscan_init(&s, text, len);
    struct error broken;
    bool is_broken = false;
    if (!jsonscan_take(&s, '[')) {
        logs_batch_free(&b);
        return error_set(err, ERR_INVALID, "logGroupName, logStreamName and logEvents are required.");
    }
    if (raw_events(&s, &b, &broken, &is_broken) < 0 || !jsonscan_at_end(&s)) {
        logs_batch_free(&b);
        return error_set(err, API_ERR_SERIALIZATION, "Malformed JSON in logEvents (position %zu)", jsonscan_pos(&s));
    }
    if (b.n < 1 || b.n > LIMIT_LOGS_BATCH_EVENTS) {
        logs_batch_free(&b);
        return count_error(err);
    }
    if (is_broken || check_whole(b.ev, b.n, err) < 0) {
        if (is_broken)
            *err = broken;
        logs_batch_free(&b);
        return -1;
    }
    *ret = b;
    return 0;
}

void logs_batch_free(struct logs_batch *b)
{
    free(b->ev);
    free(b->text);
    *b = (struct logs_batch){0};
}
