/* logship_aws.c - the awslogs driver's sending half: the queue of events
 * read from the container's log, batches (up to 10,000 events or 1 MiB, at
 * most FLUSH_USEC after their first event), and exactly-once delivery
 * through BerthAgent_20261122.PutLogEvents.
 *
 * Exactly once: every event knows the log file bytes it came from.  A batch
 * goes with shipperId "<task-id>/<container>" and offset = the end offset of
 * its last event; the server stores a batch only if its offset is above the
 * highest it has stored for that shipper.  Before sending, the batch's end
 * is persisted as "inflight"; after the answer, the resume offset (the
 * start of the oldest event not yet acknowledged).  A restarted shipper
 * reads from the resume offset and, if a batch was in flight, first
 * rebuilds batches that end exactly at its end (replay_end): the server
 * either stores them (they never arrived) or answers "duplicate".  Either
 * way nothing is lost or stored twice.
 *
 * Non-blocking mode keeps at most max-buffer-size bytes of events (26 bytes
 * of overhead each, as CloudWatch counts) and drops the oldest when the
 * server cannot keep up.  Reading and waiting are logship.c's. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/proto.h"
#include "common/cleanup.h"
#include "common/jsonenc.h"
#include "common/log.h"
#include "common/utf8.h"
#include "agent/logs/logship_int.h"

_Static_assert(LIMIT_LOGS_EVENT_BYTES * 6 + 2 + LIMIT_LOGSHIP_EVENT_ENVELOPE <= LIMIT_LOGSHIP_REQUEST_BYTES,
               "one event of the largest size, all escapes, must fit one request");

/* ---- the event queue ---------------------------------------------------- */

static struct event *qat(struct logship *s, size_t i) { return &s->q[(s->qhead + i) % s->qcap]; }

static void qpop(struct logship *s)
{
    struct event *e = qat(s, 0);
    s->qbytes -= e->len + LIMIT_LOGS_EVENT_OVERHEAD;
    free(e->msg);
    s->qhead = (s->qhead + 1) % s->qcap;
    s->qn--;
}

int logship_aws_push(struct logship *s, struct logjoin_event *je, struct error *err)
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
    if (s->qn == s->qcap) {
        size_t cap = s->qcap ? s->qcap * 2 : 1024;
        struct event *nq = calloc(cap, sizeof(*nq));
        if (!nq)
            return error_set(err, ERR_INTERNAL, "out of memory");
        for (size_t i = 0; i < s->qn; i++)
            nq[i] = *qat(s, i);
        free(s->q);
        s->q = nq;
        s->qcap = cap;
        s->qhead = 0;
    }
    /* A batch must be in time order; conmon's clock may step back. */
    int64_t ts = je->ts_ms < s->last_ts ? s->last_ts : je->ts_ms;
    s->last_ts = ts;
    if (s->qn == 0)
        s->q_since = time_monotonic();
    size_t json_size = jsonenc_string_size(msg, je->len);
    *qat(s, s->qn) = (struct event){.msg = TAKE_PTR(msg),
                                    .len = je->len,
                                    .json_size = json_size,
                                    .ts_ms = ts,
                                    .start = je->start_off,
                                    .end = je->end_off};
    s->qn++;
    s->qbytes += je->len + LIMIT_LOGS_EVENT_OVERHEAD;
    if (s->nonblocking) {
        while (s->qn > 1 && (int64_t)s->qbytes > s->max_buffer) {
            qpop(s);
            s->dropped++;
            if (!s->dropping)
                log_warn("logs %s: non-blocking mode: buffer full (max-buffer-size %" PRId64 "), dropping the "
                         "oldest events",
                         s->shipper_id, s->max_buffer);
            s->dropping = true;
        }
    }
    return 0;
}

void logship_aws_clear(struct logship *s)
{
    while (s->qn)
        qpop(s);
    free(s->q);
    s->q = NULL;
    s->qcap = s->qhead = 0;
}

/* ---- awslogs ------------------------------------------------------------- */

static bool already_exists(struct awsjson_client *c)
{
    return strcmp(awsjson_last_error_type(c), "ResourceAlreadyExistsException") == 0;
}

int logship_aws_ensure_stream(struct logship *s, struct error *err)
{
    if (s->create_group) {
        _cleanup_json_ json_t *in = json_pack("{s:s}", "logGroupName", s->group);
        _cleanup_json_ json_t *out = NULL;
        if (awsjson_call(s->client, PROTO_LOGS_TARGET, "CreateLogGroup", in, &out, err) < 0 &&
            !already_exists(s->client))
            return error_prefix(err, "CreateLogGroup %s", s->group);
    }
    _cleanup_json_ json_t *in = json_pack("{s:s, s:s}", "logGroupName", s->group, "logStreamName", s->stream);
    _cleanup_json_ json_t *out = NULL;
    if (awsjson_call(s->client, PROTO_LOGS_TARGET, "CreateLogStream", in, &out, err) < 0 && !already_exists(s->client))
        return error_prefix(err, "CreateLogStream %s/%s", s->group, s->stream);
    s->ready = true;
    return 0;
}

/* How many events the next batch takes (0 when the queue holds nothing
 * that may go yet): CloudWatch's count and bytes, and a request the
 * server's body limit takes once escaped. */
static size_t batch_size(struct logship *s)
{
    size_t n = 0, bytes = 0, json = 0;
    while (n < s->qn && n < BATCH_EVENTS) {
        struct event *e = qat(s, n);
        if (bytes + e->len + LIMIT_LOGS_EVENT_OVERHEAD > LIMIT_LOGS_BATCH_BYTES)
            break;
        if (json + e->json_size + LIMIT_LOGSHIP_EVENT_ENVELOPE > LIMIT_LOGSHIP_REQUEST_BYTES)
            break;
        if (s->replay_end && e->end > s->replay_end)
            break;
        bytes += e->len + LIMIT_LOGS_EVENT_OVERHEAD;
        json += e->json_size + LIMIT_LOGSHIP_EVENT_ENVELOPE;
        n++;
    }
    return n;
}

/* BerthAgent's PutLogEvents request for the first n events, written
 * directly: as jansson objects and a dump it cost more than the server's
 * work of storing them. */
static int batch_request(struct logship *s, size_t n, uint64_t end, struct jsonenc *req, struct error *err)
{
    jsonenc_init(req, LIMIT_HTTP_BODY);
    jsonenc_literal(req, "{\"logGroupName\":");
    jsonenc_string(req, s->group, strlen(s->group));
    jsonenc_literal(req, ",\"logStreamName\":");
    jsonenc_string(req, s->stream, strlen(s->stream));
    jsonenc_literal(req, ",\"shipperId\":");
    jsonenc_string(req, s->shipper_id, strlen(s->shipper_id));
    jsonenc_literal(req, ",\"offset\":");
    jsonenc_int(req, (int64_t)end);
    jsonenc_literal(req, ",\"logEvents\":[");
    for (size_t i = 0; i < n; i++) {
        struct event *e = qat(s, i);
        if (i)
            jsonenc_literal(req, ",");
        jsonenc_literal(req, "{\"timestamp\":");
        jsonenc_int(req, e->ts_ms);
        jsonenc_literal(req, ",\"message\":");
        jsonenc_string(req, e->msg, e->len);
        jsonenc_literal(req, "}");
    }
    jsonenc_literal(req, "]}");
    if (jsonenc_failed(req))
        return error_set(err, ERR_INTERNAL, "logs %s: a batch of %zu events does not fit one request", s->shipper_id,
                         n);
    return 0;
}

bool logship_aws_due(struct logship *s, bool draining)
{
    if (!s->qn)
        return false;
    if (s->replay_end && qat(s, s->qn - 1)->end >= s->replay_end)
        return true;
    if (s->qn >= BATCH_EVENTS || s->qbytes >= LIMIT_LOGS_BATCH_BYTES)
        return true;
    return draining || time_monotonic() - s->q_since >= FLUSH_USEC;
}

/* Send one batch.  Returns 0 when the queue moved (sent, or rejected for
 * good), -1 when it should be retried later (err says why). */
int logship_aws_send(struct logship *s, uint64_t consumed, struct error *err)
{
    if (!s->ready && logship_aws_ensure_stream(s, err) < 0)
        return -1;
    size_t n = batch_size(s);
    if (n == 0) {
        /* The replayed batch cannot be rebuilt exactly (non-blocking drops):
         * what is left is new. */
        s->replay_end = 0;
        n = batch_size(s);
        if (n == 0)
            return 0;
    }
    uint64_t end = qat(s, n - 1)->end;
    _cleanup_jsonenc_ struct jsonenc req = {0};
    if (batch_request(s, n, end, &req, err) < 0)
        return -1;
    /* While replaying, the recorded end stays the one found at start. */
    uint64_t inflight = end > s->replay_end ? end : s->replay_end;
    if (s->inflight != inflight) {
        s->inflight = inflight;
        s->resume = qat(s, 0)->start;
        if (logship_state_save(s, err) < 0)
            return -1;
    }
    _cleanup_json_ json_t *out = NULL;
    if (awsjson_call_body(s->client, PROTO_AGENT_TARGET, PROTO_PUT_LOG_EVENTS, req.b.data, req.b.len, &out, err) < 0) {
        const char *type = awsjson_last_error_type(s->client);
        if (strcmp(type, "ResourceNotFoundException") == 0) {
            s->ready = false; /* deleted under us: create again */
            return -1;
        }
        if (err->kind == ERR_IO)
            return -1;
        /* The server will never take this batch: drop it rather than wedge. */
        log_warn("logs %s: batch of %zu events rejected, dropped: %s", s->shipper_id, n, err->msg);
        s->dropped += n;
    } else if (json_is_true(json_object_get(out, "duplicate"))) {
        log_info("logs %s: the batch ending at byte %" PRIu64 " was stored before (resent after a restart)",
                 s->shipper_id, end);
    }
    for (size_t i = 0; i < n; i++)
        qpop(s);
    if (s->dropping)
        log_warn("logs %s: shipping again; %" PRIu64 " events dropped in all", s->shipper_id, s->dropped);
    s->dropping = false;
    if (end >= s->replay_end)
        s->replay_end = 0;
    s->inflight = s->replay_end;
    s->resume = logship_resume_offset(s, consumed);
    if (logship_state_save(s, err) < 0)
        log_warn("logs %s: %s", s->shipper_id, err->msg);
    return 0;
}

int logship_aws_setup(struct logship *s, const struct logship_params *p, struct error *err)
{
    const char *group = logship_option(p->def, "awslogs-group");
    const char *prefix = logship_option(p->def, "awslogs-stream-prefix");
    const char *create = logship_option(p->def, "awslogs-create-group");
    const char *mode = logship_option(p->def, "mode");
    const char *mbs = logship_option(p->def, "max-buffer-size");
    if (!group)
        return error_set(err, ERR_INVALID, "awslogs: the awslogs-group option is required");
    /* ECS: "<prefix>/<container-name>/<task-id>"; without a prefix the
     * stream is named after the container's runtime id, as Docker names it
     * after the container id. */
    int n = prefix && *prefix ? snprintf(s->stream, sizeof(s->stream), "%s/%s/%s", prefix, p->ctr_name, p->task_id)
                              : snprintf(s->stream, sizeof(s->stream), "%s", p->ctr_id);
    if (n >= (int)sizeof(s->stream) || snprintf(s->group, sizeof(s->group), "%s", group) >= (int)sizeof(s->group) ||
        snprintf(s->server, sizeof(s->server), "%s", p->server) >= (int)sizeof(s->server))
        return error_set(err, ERR_LIMIT, "awslogs: group or stream name too long");
    s->create_group = create && strcmp(create, "true") == 0;
    s->nonblocking = mode && strcmp(mode, "non-blocking") == 0;
    s->max_buffer = DEFAULT_MAX_BUFFER;
    if (mbs && jsonlog_parse_size(mbs, &s->max_buffer, err) < 0)
        return -1;
    if (logjoin_init(&s->join, logship_option(p->def, "awslogs-datetime-format"),
                     logship_option(p->def, "awslogs-multiline-pattern"), LIMIT_LOGS_EVENT_BYTES, err) < 0)
        return -1;
    if (awsjson_client_new(s->server, &s->client, err) < 0)
        return -1;
    awsjson_client_set_abort_flag(s->client, &s->abort);
    return 0;
}
