/* logship_aws.c - the awslogs driver's sending half: the queue of events
 * read from the container's log, batches (up to 10,000 events or 1 MiB, at
 * most FLUSH_USEC after their first event), and exactly-once delivery
 * through BerthAgent_20261122.PutLogEvents.
 *
 * Exactly once: every event knows the log file bytes it came from.  A batch
 * goes with shipperId "<task-id>/<container>" and offset = the end offset of
 * its last event; the server stores a batch only if its offset is above the
 * highest it has stored for that shipper.  Before a batch is sent, the
 * progress file names its end as in flight ("inflight", "inflight2": the
 * file holds two); the resume offset (the start of the oldest event not yet
 * acknowledged) is written lazily, by the next such write or by
 * logship_aws_settle() when the shipper goes idle.  Until then the file
 * names an answered batch as in flight, which a restart resends and the
 * server answers "duplicate": one fsync'd write per batch.  A restarted
 * shipper reads from the resume offset and first rebuilds batches that end
 * exactly at each recorded end (replay[]), cut by size only, so they come
 * out as they were: the server either stores them (they never arrived) or
 * answers "duplicate".  Either way nothing is lost or stored twice.
 *
 * Pipelined: a batch's events leave the queue when its request is built,
 * and the request is kept until it is answered.  While it is out (on the
 * sender thread) the next one is built from the queue and recorded (the
 * file then names both), and goes the moment the answer comes: one batch
 * is unacknowledged at a time.  A call that fails without an answer is
 * resent as the same bytes: its answer may be all that was lost.
 *
 * Non-blocking mode keeps at most max-buffer-size bytes of queued events
 * (26 bytes of overhead each, as CloudWatch counts; a batch built or out is
 * no longer queued, as Docker's driver holds its batch beside its buffer)
 * and drops the oldest when the server cannot keep up.  Reading, waiting
 * and the progress file are logship.c's. */
#include "agent/logs/logship_aws.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/awsjson.h"
#include "common/buf.h"
#include "common/cleanup.h"
#include "common/jsonenc.h"
#include "common/log.h"
#include "common/proto.h"
#include "common/utf8.h"
#include "agent/agent_limits.h"
#include "agent/logs/jsonlog.h"
#include "agent/logs/logship_sender.h"

#define BATCH_EVENTS 10000
#define BACKOFF_MIN_USEC (100 * USEC_PER_MSEC)
#define BACKOFF_MAX_USEC (5 * USEC_PER_SEC)
#define DEFAULT_MAX_BUFFER (1LL << 20) /* Docker's max-buffer-size default */

_Static_assert(LIMIT_LOGS_EVENT_BYTES * 6 + 2 + LIMIT_LOGSHIP_EVENT_ENVELOPE <= LIMIT_LOGSHIP_REQUEST_BYTES,
               "one event of the largest size, all escapes, must fit one request");

struct event {
    char *msg;
    size_t len;
    size_t json_size; /* msg as a JSON string */
    int64_t ts_ms;
    uint64_t start, end; /* the log file bytes it came from */
};

/* A batch's request, kept from when it is built until it is answered. */
struct batch {
    struct jsonenc req;
    size_t n;            /* events; 0: none */
    uint64_t start, end; /* log bytes from its first event's start to its last one's end */
    uint64_t mark;       /* the end the progress file names for it */
    bool saved;          /* the file names it */
};

struct logship_aws {
    char server[512];
    char group[LIMIT_LOGS_NAME + 1];
    char stream[LIMIT_LOGS_NAME + 1];
    char shipper_id[LIMIT_LOGS_SHIPPER_ID + 1];
    bool create_group;
    bool nonblocking;
    int64_t max_buffer;
    struct awsjson_client *client;
    volatile bool abort; /* ends calls in flight */
    bool ready;          /* group and stream exist */
    /* events waiting to be shipped (a ring) */
    struct event *q;
    size_t qhead, qn, qcap, qbytes;
    size_t qjson; /* the queued events' share of a request, envelopes included */
    usec_t q_since;
    int64_t last_ts;
    bool dropping; /* drops since the last successful send (logged once) */
    /* progress, and the owner's way to persist it */
    struct logship_progress *progress;
    uint64_t (*resume)(void *ctx);
    int (*save)(void *ctx, const struct logship_progress *pr, struct error *err);
    void *ctx;
    /* the calls */
    struct logship_sender *sender;
    struct batch out;  /* sent (or to be sent again), not yet answered */
    struct batch next; /* built while `out` is out */
    /* retrying */
    usec_t retry_at;
    usec_t backoff;
    bool refused; /* the server answered that the group or stream is missing */
    bool warned;  /* a failure was logged; the next success is too */
    bool unsaved; /* an answered batch's progress is not yet in the file */
    uint64_t snap_seq;
};

static const char *option(json_t *options, const char *key) { return json_string_value(json_object_get(options, key)); }

/* ---- the event queue ---------------------------------------------------- */

static struct event *qat(const struct logship_aws *a, size_t i) { return &a->q[(a->qhead + i) % a->qcap]; }

static void qpop(struct logship_aws *a)
{
    struct event *e = qat(a, 0);
    a->qbytes -= e->len + LIMIT_LOGS_EVENT_OVERHEAD;
    a->qjson -= e->json_size + LIMIT_LOGSHIP_EVENT_ENVELOPE;
    free(e->msg);
    a->qhead = (a->qhead + 1) % a->qcap;
    a->qn--;
}

/* Room for one more event.  The ring's wrapped part (before qhead) moves
 * after the old end, so the events stay in order from qhead on. */
static int qgrow(struct logship_aws *a, struct error *err)
{
    if (a->qn < a->qcap)
        return 0;
    size_t old = a->qcap;
    if (array_reserve(&a->q, &a->qcap, a->qn + 1, sizeof(*a->q)) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    memcpy(a->q + old, a->q, a->qhead * sizeof(*a->q));
    return 0;
}

/* Non-blocking mode: drop the oldest events past max-buffer-size. */
static void qtrim(struct logship_aws *a)
{
    while (a->qn > 1 && (int64_t)a->qbytes > a->max_buffer) {
        qpop(a);
        a->progress->dropped++;
        if (!a->dropping)
            log_warn("logs %s: non-blocking mode: buffer full (max-buffer-size %" PRId64 "), dropping the "
                     "oldest events",
                     a->shipper_id, a->max_buffer);
        a->dropping = true;
    }
}

int logship_aws_push(struct logship_aws *a, struct logjoin_event *je, struct error *err)
{
    _cleanup_free_ char *msg = je->msg;
    if (je->len == 0)
        return 0; /* CloudWatch takes no empty events (Docker's awslogs skips them too) */
    /* JSON wants valid UTF-8 without NULs. */
    for (size_t i = 0; i < je->len; i++)
        if (msg[i] == '\0')
            msg[i] = '?';
    if (!utf8_valid(msg))
        utf8_sanitize(msg);
    if (qgrow(a, err) < 0)
        return -1;
    /* A batch must be in time order; conmon's clock may step back. */
    int64_t ts = je->ts_ms < a->last_ts ? a->last_ts : je->ts_ms;
    a->last_ts = ts;
    if (a->qn == 0)
        a->q_since = time_monotonic();
    size_t json_size = jsonenc_string_size(msg, je->len);
    *qat(a, a->qn) = (struct event){.msg = TAKE_PTR(msg),
                                    .len = je->len,
                                    .json_size = json_size,
                                    .ts_ms = ts,
                                    .start = je->start_off,
                                    .end = je->end_off};
    a->qn++;
    a->qbytes += je->len + LIMIT_LOGS_EVENT_OVERHEAD;
    a->qjson += json_size + LIMIT_LOGSHIP_EVENT_ENVELOPE;
    if (a->nonblocking)
        qtrim(a);
    return 0;
}

size_t logship_aws_queued(const struct logship_aws *a) { return a->qn + a->out.n + a->next.n; }

bool logship_aws_oldest(const struct logship_aws *a, uint64_t *ret_start)
{
    if (a->out.n)
        *ret_start = a->out.start;
    else if (a->next.n)
        *ret_start = a->next.start;
    else if (a->qn)
        *ret_start = qat(a, 0)->start;
    else
        return false;
    return true;
}

bool logship_aws_full(const struct logship_aws *a) { return !a->nonblocking && a->qbytes >= LIMIT_LOGSHIP_QUEUE_BYTES; }

bool logship_aws_refused(const struct logship_aws *a) { return a->refused; }

bool logship_aws_waiting(const struct logship_aws *a) { return logship_sender_busy(a->sender); }

usec_t logship_aws_flush_at(const struct logship_aws *a)
{
    if (logship_aws_waiting(a) || a->out.n)
        return 0; /* the answer, or the retry, comes first */
    return a->qn ? a->q_since + LOGSHIP_FLUSH_USEC : 0;
}

usec_t logship_aws_retry_at(const struct logship_aws *a)
{
    return !logship_aws_waiting(a) && (a->out.n || a->next.n || a->qn) ? a->retry_at : 0;
}

/* ---- awslogs ------------------------------------------------------------- */

static bool already_exists(struct awsjson_client *c)
{
    return strcmp(awsjson_last_error_type(c), "ResourceAlreadyExistsException") == 0;
}

int logship_aws_ensure_stream(struct logship_aws *a, struct error *err)
{
    if (a->create_group) {
        _cleanup_json_ json_t *in = json_pack("{s:s}", "logGroupName", a->group);
        _cleanup_json_ json_t *out = NULL;
        if (awsjson_call(a->client, PROTO_LOGS_TARGET, "CreateLogGroup", in, &out, err) < 0 &&
            !already_exists(a->client))
            return error_prefix(err, "CreateLogGroup %s", a->group);
    }
    _cleanup_json_ json_t *in = json_pack("{s:s, s:s}", "logGroupName", a->group, "logStreamName", a->stream);
    _cleanup_json_ json_t *out = NULL;
    if (awsjson_call(a->client, PROTO_LOGS_TARGET, "CreateLogStream", in, &out, err) < 0 && !already_exists(a->client))
        return error_prefix(err, "CreateLogStream %s/%s", a->group, a->stream);
    a->ready = true;
    return 0;
}

/* The replay's next end is passed. */
static void replay_shift(struct logship_progress *pr)
{
    pr->replay[0] = pr->replay[1];
    pr->replay[1] = 0;
}

/* Add `end` to the ascending, distinct ends in ends[*n] (at most 2);
 * false if there is no room. */
static bool add_end(uint64_t ends[2], size_t *n, uint64_t end)
{
    if (!end || (*n > 0 && ends[0] == end) || (*n > 1 && ends[1] == end))
        return true;
    if (*n == 2)
        return false;
    ends[(*n)++] = end;
    if (*n == 2 && ends[0] > ends[1]) {
        uint64_t t = ends[0];
        ends[0] = ends[1];
        ends[1] = t;
    }
    return true;
}

/* What the file should say now: where to resume, and every end a batch
 * out, built or still to be replayed may be stored at.  False if that
 * would take more than the file's two (never outside a replay). */
static bool snapshot(struct logship_aws *a, struct logship_progress *ret)
{
    const struct logship_progress *pr = a->progress;
    uint64_t ends[2] = {0, 0};
    size_t n = 0;
    if ((a->out.n && !add_end(ends, &n, a->out.mark)) || (a->next.n && !add_end(ends, &n, a->next.mark)) ||
        !add_end(ends, &n, pr->replay[0]) || !add_end(ends, &n, pr->replay[1]))
        return false;
    *ret = *pr;
    ret->resume = a->resume(a->ctx);
    ret->inflight[0] = ends[0];
    ret->inflight[1] = ends[1];
    ret->seq = ++a->snap_seq;
    return true;
}

/* How many events the next batch takes (0 when the queue holds nothing
 * that may go yet): CloudWatch's count and bytes, and a request the
 * server's body limit takes once escaped (*ret_json: their share of it). */
static size_t batch_size(struct logship_aws *a, size_t *ret_json)
{
    uint64_t replay_end = a->progress->replay[0];
    size_t n = 0, bytes = 0, json = 0;
    while (n < a->qn && n < BATCH_EVENTS) {
        struct event *e = qat(a, n);
        if (bytes + e->len + LIMIT_LOGS_EVENT_OVERHEAD > LIMIT_LOGS_BATCH_BYTES)
            break;
        if (json + e->json_size + LIMIT_LOGSHIP_EVENT_ENVELOPE > LIMIT_LOGSHIP_REQUEST_BYTES)
            break;
        if (replay_end && e->end > replay_end)
            break;
        bytes += e->len + LIMIT_LOGS_EVENT_OVERHEAD;
        json += e->json_size + LIMIT_LOGSHIP_EVENT_ENVELOPE;
        n++;
    }
    *ret_json = json;
    return n;
}

/* BerthAgent's PutLogEvents request for the first n events (json bytes of
 * them), written directly: as jansson objects and a dump it cost more than
 * the server's work of storing them.  Events of the same millisecond (most
 * of a busy log) share their envelope's head. */
static int batch_request(struct logship_aws *a, size_t n, size_t json, uint64_t end, struct jsonenc *req,
                         struct error *err)
{
    jsonenc_init(req, LIMIT_HTTP_BODY);
    buf_reserve(&req->b, json + 3 * LIMIT_LOGS_NAME + LIMIT_LOGS_SHIPPER_ID + 256); /* no growing on the way */
    jsonenc_literal(req, "{\"logGroupName\":");
    jsonenc_string(req, a->group, strlen(a->group));
    jsonenc_literal(req, ",\"logStreamName\":");
    jsonenc_string(req, a->stream, strlen(a->stream));
    jsonenc_literal(req, ",\"shipperId\":");
    jsonenc_string(req, a->shipper_id, strlen(a->shipper_id));
    jsonenc_literal(req, ",\"offset\":");
    jsonenc_int(req, (int64_t)end);
    jsonenc_literal(req, ",\"logEvents\":[");
    char head[64];
    size_t head_len = 0;
    int64_t head_ts = 0;
    for (size_t i = 0; i < n; i++) {
        struct event *e = qat(a, i);
        if (!head_len || e->ts_ms != head_ts) {
            head_ts = e->ts_ms;
            static const char ts_key[] = "{\"timestamp\":", msg_key[] = ",\"message\":";
            memcpy(head, ts_key, sizeof(ts_key) - 1);
            head_len = sizeof(ts_key) - 1;
            head_len += jsonenc_format_int(head + head_len, head_ts);
            memcpy(head + head_len, msg_key, sizeof(msg_key) - 1);
            head_len += sizeof(msg_key) - 1;
        }
        if (i)
            jsonenc_literal(req, "},");
        jsonenc_raw(req, head, head_len);
        jsonenc_string_sized(req, e->msg, e->len, e->json_size);
    }
    if (n)
        jsonenc_literal(req, "}");
    jsonenc_literal(req, "]}");
    if (jsonenc_failed(req))
        return error_set(err, ERR_INTERNAL, "logs %s: a batch of %zu events does not fit one request", a->shipper_id,
                         n);
    return 0;
}

/* Whether the next batch should be built now: the replay's end is queued,
 * the queue holds a full batch, or (unless a call is out: its answer comes
 * first) the oldest event has waited long enough.  Draining: the container
 * is gone, everything goes. */
static bool batch_due(struct logship_aws *a, bool draining, bool call_out)
{
    if (!a->qn)
        return false;
    if (draining)
        return true;
    uint64_t replay_end = a->progress->replay[0];
    if (replay_end && qat(a, a->qn - 1)->end >= replay_end)
        return true;
    if (a->qn >= BATCH_EVENTS || a->qbytes >= LIMIT_LOGS_BATCH_BYTES)
        return true;
    /* A replay's batches are cut by size and its ends only, never by the
     * clock, so that another restart rebuilds them the same. */
    if (call_out || replay_end)
        return a->qjson >= LIMIT_LOGSHIP_REQUEST_BYTES; /* a request's size is the limit */
    return time_monotonic() - a->q_since >= LOGSHIP_FLUSH_USEC;
}

/* Take the next batch off the queue into b with its request (b->n stays 0
 * when nothing may go yet). */
static int batch_build(struct logship_aws *a, struct batch *b, struct error *err)
{
    struct logship_progress *pr = a->progress;
    size_t json;
    size_t n = batch_size(a, &json);
    while (n == 0 && pr->replay[0]) {
        /* The replayed batch cannot be rebuilt exactly (non-blocking drops):
         * what is left, up to the next end, is new. */
        replay_shift(pr);
        n = batch_size(a, &json);
    }
    if (n == 0)
        return 0;
    uint64_t end = qat(a, n - 1)->end;
    if (batch_request(a, n, json, end, &b->req, err) < 0) {
        jsonenc_free(&b->req);
        return -1;
    }
    b->n = n;
    b->start = qat(a, 0)->start;
    b->end = end;
    /* While replaying, the recorded end stays the one found at start. */
    b->mark = end > pr->replay[0] ? end : pr->replay[0];
    b->saved = false;
    if (end >= pr->replay[0])
        replay_shift(pr);
    for (size_t i = 0; i < n; i++)
        qpop(a);
    return 0;
}

static void batch_free(struct batch *b)
{
    jsonenc_free(&b->req);
    *b = (struct batch){0};
}

/* The server's answer to batch b: 0 when it is done with (stored, stored
 * before, or rejected for good), -1 to send it again later. */
static int batch_answered(struct logship_aws *a, int rc, json_t *out, const struct batch *b, struct error *err)
{
    if (rc < 0) {
        const char *type = awsjson_last_error_type(a->client);
        if (strcmp(type, "ResourceNotFoundException") == 0) {
            a->ready = false; /* deleted under us: create again */
            return -1;
        }
        if (err->kind == ERR_IO)
            return -1;
        /* The server will never take this batch: drop it rather than wedge. */
        log_warn("logs %s: batch of %zu events rejected, dropped: %s", a->shipper_id, b->n, err->msg);
        a->progress->dropped += b->n;
    } else if (json_is_true(json_object_get(out, "duplicate"))) {
        log_info("logs %s: the batch ending at byte %" PRIu64 " was stored before (resent after a restart or a "
                 "lost answer)",
                 a->shipper_id, b->end);
    }
    return 0;
}

/* Hand `out` to the sender, with the progress to write first when the
 * file does not name it yet (it usually does: see presave). */
static int send_out(struct logship_aws *a, struct error *err)
{
    if (!a->ready && logship_aws_ensure_stream(a, err) < 0)
        return -1;
    struct logship_sender_job job = {.body = a->out.req.b.data, .len = a->out.req.b.len};
    if (!a->out.saved) {
        if (!snapshot(a, &job.progress))
            return error_set(err, ERR_INTERNAL, "logs %s: more batches to record than the progress file holds",
                             a->shipper_id);
        job.save = true;
        a->out.saved = true; /* or the call is not made (not_sent) */
        a->unsaved = false;
    }
    logship_sender_submit(a->sender, &job);
    return 0;
}

/* `next` was built while `out` is out: record both now, on this thread
 * while the server works, so that `next` goes the moment `out` is
 * answered instead of after a write of the file (two fsyncs) of its own. */
static void presave(struct logship_aws *a)
{
    struct logship_progress snap;
    struct error err;
    if (a->progress->replay[0] || !snapshot(a, &snap))
        return; /* replaying: its ends and the batches' may be more than two */
    if (a->save(a->ctx, &snap, &err) < 0) {
        log_warn("logs %s: %s", a->shipper_id, err.msg); /* the send writes it again */
        return;
    }
    a->next.saved = true;
    a->unsaved = false;
}

/* A batch could not go or was not answered: back off; it goes again. */
static void send_failed(struct logship_aws *a, const struct error *err)
{
    a->refused = err->kind != ERR_IO && !a->ready;
    a->backoff = a->backoff ? a->backoff * 2 : BACKOFF_MIN_USEC;
    if (a->backoff > BACKOFF_MAX_USEC)
        a->backoff = BACKOFF_MAX_USEC;
    a->retry_at = time_monotonic() + a->backoff;
    if (!a->warned)
        log_warn("logs %s: %s (retrying)", a->shipper_id, err->msg);
    a->warned = true;
}

/* The answer of the call that ended, if one did. */
static void take_answer(struct logship_aws *a)
{
    struct logship_sender_result r;
    if (!logship_sender_take(a->sender, &r))
        return;
    _cleanup_json_ json_t *out = r.out;
    if (r.not_sent) {
        a->out.saved = false;
        a->unsaved = true;
        send_failed(a, &r.err);
        return;
    }
    if (batch_answered(a, r.rc, out, &a->out, &r.err) < 0) {
        /* The server may have stored it and only the answer be lost: the
         * same bytes go again (and are answered "duplicate"), never a
         * longer batch whose higher offset would store them twice. */
        send_failed(a, &r.err);
        return;
    }
    batch_free(&a->out);
    struct logship_progress *pr = a->progress;
    if (a->dropping)
        log_warn("logs %s: shipping again; %" PRIu64 " events dropped in all", a->shipper_id, pr->dropped);
    a->dropping = false;
    a->unsaved = true;
    if (a->warned)
        log_info("logs %s: shipping again", a->shipper_id);
    a->warned = false;
    a->refused = false;
    a->backoff = 0;
    a->retry_at = 0;
}

void logship_aws_settle(struct logship_aws *a)
{
    struct error err;
    struct logship_progress snap;
    if (!a->unsaved || logship_aws_waiting(a) || !snapshot(a, &snap))
        return;
    if (a->save(a->ctx, &snap, &err) < 0) {
        log_warn("logs %s: %s", a->shipper_id, err.msg);
        return;
    }
    a->unsaved = false;
}

void logship_aws_ship(struct logship_aws *a, bool draining, usec_t now)
{
    struct error err;
    take_answer(a);
    if (!logship_aws_waiting(a) && now >= a->retry_at) {
        if (!a->out.n && a->next.n) {
            a->out = a->next;
            a->next = (struct batch){0};
        }
        if (!a->out.n && batch_due(a, draining, false) && batch_build(a, &a->out, &err) < 0) {
            send_failed(a, &err);
            return;
        }
        if (a->out.n && send_out(a, &err) < 0) {
            send_failed(a, &err);
            return;
        }
    }
    /* A failure here is met again when the batch is built as `out`. */
    if (logship_aws_waiting(a) && !a->next.n && batch_due(a, draining, true) && batch_build(a, &a->next, &err) == 0 &&
        a->next.n)
        presave(a);
}

/* ---- setting up ----------------------------------------------------------- */

/* A boolean option as Docker reads it (Go's strconv.ParseBool). */
static int parse_bool(const char *v, bool *ret)
{
    static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
    for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
        if (strcmp(v, yes[i]) == 0)
            return *ret = true, 0;
        if (strcmp(v, no[i]) == 0)
            return *ret = false, 0;
    }
    return -1;
}

int logship_aws_check(json_t *options, struct error *err)
{
    if (!option(options, "awslogs-group"))
        return error_set(err, ERR_INVALID, "awslogs: the awslogs-group option is required");
    const char *create = option(options, "awslogs-create-group");
    bool b;
    if (create && parse_bool(create, &b) < 0)
        return error_set(err, ERR_INVALID, "awslogs: awslogs-create-group must be true or false");
    const char *mode = option(options, "mode");
    if (mode && strcmp(mode, "blocking") != 0 && strcmp(mode, "non-blocking") != 0)
        return error_set(err, ERR_INVALID, "awslogs: mode must be blocking or non-blocking");
    int64_t sz;
    const char *mbs = option(options, "max-buffer-size");
    if (mbs && jsonlog_parse_size(mbs, &sz, err) < 0)
        return error_prefix(err, "awslogs: max-buffer-size");
    return 0;
}

static int setup(struct logship_aws *a, const struct logship_aws_params *p, struct error *err)
{
    const char *group = option(p->options, "awslogs-group");
    const char *prefix = option(p->options, "awslogs-stream-prefix");
    const char *create = option(p->options, "awslogs-create-group");
    const char *mode = option(p->options, "mode");
    const char *mbs = option(p->options, "max-buffer-size");
    if (!group)
        return error_set(err, ERR_INVALID, "awslogs: the awslogs-group option is required");
    /* ECS: "<prefix>/<container-name>/<task-id>"; without a prefix the
     * stream is named after the container's runtime id, as Docker names it
     * after the container id. */
    int n = prefix && *prefix ? snprintf(a->stream, sizeof(a->stream), "%s/%s/%s", prefix, p->ctr_name, p->task_id)
                              : snprintf(a->stream, sizeof(a->stream), "%s", p->ctr_id);
    if (n >= (int)sizeof(a->stream) || snprintf(a->group, sizeof(a->group), "%s", group) >= (int)sizeof(a->group) ||
        snprintf(a->server, sizeof(a->server), "%s", p->server) >= (int)sizeof(a->server) ||
        snprintf(a->shipper_id, sizeof(a->shipper_id), "%s", p->shipper_id) >= (int)sizeof(a->shipper_id))
        return error_set(err, ERR_LIMIT, "awslogs: group or stream name too long");
    a->create_group = false;
    if (create && parse_bool(create, &a->create_group) < 0)
        return error_set(err, ERR_INVALID, "awslogs: awslogs-create-group must be true or false");
    a->nonblocking = mode && strcmp(mode, "non-blocking") == 0;
    a->max_buffer = DEFAULT_MAX_BUFFER;
    if (mbs && jsonlog_parse_size(mbs, &a->max_buffer, err) < 0)
        return -1;
    if (awsjson_client_new(a->server, p->creds, p->region, &a->client, err) < 0)
        return -1;
    awsjson_client_set_abort_flag(a->client, &a->abort);
    return 0;
}

int logship_aws_new(const struct logship_aws_params *p, struct logship_aws **ret, struct error *err)
{
    struct logship_aws *a = calloc(1, sizeof(*a));
    if (!a)
        return error_set(err, ERR_INTERNAL, "out of memory");
    a->progress = p->progress;
    a->resume = p->resume;
    a->save = p->save;
    a->ctx = p->ctx;
    if (setup(a, p, err) < 0 || logship_sender_new(a->client, p->wake_fd, p->save, p->ctx, &a->sender, err) < 0) {
        logship_aws_free(a);
        return -1;
    }
    *ret = a;
    return 0;
}

void logship_aws_abort(struct logship_aws *a) { a->abort = true; }

void logship_aws_free(struct logship_aws *a)
{
    if (!a)
        return;
    a->abort = true; /* a call still out ends now */
    logship_sender_free(a->sender);
    batch_free(&a->out);
    batch_free(&a->next);
    while (a->qn)
        qpop(a);
    free(a->q);
    awsjson_client_free(a->client);
    free(a);
}
