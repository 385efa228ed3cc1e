/* reporter.c - a queue and one sender thread.  Reports waiting together
 * go as one BerthAgent.SubmitReports call (one round trip, one commit on
 * the server).  A report that fails with a transport error or a 5xx stays
 * at the head and is retried with exponential backoff (100 ms .. 5 s), so
 * reports arrive in order once the server is back.  A 4xx answer means the
 * server will never take it (the task is gone); it is logged and dropped.
 * A batch is all or nothing, so a refused batch is sent again one report at
 * a time, which finds the report to drop. */
#include "agent/reporter.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/proto.h"
#include "common/awsjson.h"
#include "agent/agent_limits.h"
#include "common/log.h"
#include "common/timeutil.h"

struct report {
    struct report *next;
    char prefix[64];
    char action[64];
    json_t *body;
    usec_t queued; /* monotonic */
};

struct reporter {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct report *head, *tail;
    size_t count;
    bool stopping;
    usec_t stop_deadline;
    size_t send_singly; /* reports at the head to send one by one (their batch was refused) */
    struct awsjson_client *client;
};

static void timed_wait(struct reporter *r, usec_t until) { time_cond_wait_until(&r->cond, &r->lock, until); }

/* The SubmitReports body for the first n queued reports. */
static json_t *batch_body(const struct report *rep, size_t n)
{
    json_t *reports = json_array();
    /* Never read the n-th report's `next`: reporter_send may be setting it. */
    for (size_t i = 0; i < n && reports; i++, rep = i < n ? rep->next : NULL) {
        char target[sizeof(rep->prefix) + sizeof(rep->action) + 1];
        snprintf(target, sizeof(target), "%s.%s", rep->prefix, rep->action);
        if (json_array_append_new(reports, json_pack("{s:s, s:O}", "target", target, "body", rep->body)) < 0) {
            json_decref(reports);
            return NULL;
        }
    }
    return reports ? json_pack("{s:o}", "reports", reports) : NULL;
}

static void pop(struct reporter *r, size_t n)
{
    for (size_t i = 0; i < n && r->head; i++) {
        struct report *rep = r->head;
        r->head = rep->next;
        r->count--;
        json_decref(rep->body);
        free(rep);
    }
    if (!r->head)
        r->tail = NULL;
}

static void *sender(void *arg)
{
    struct reporter *r = arg;
    usec_t backoff = 100 * USEC_PER_MSEC;
    pthread_mutex_lock(&r->lock);
    for (;;) {
        while (!r->head && !r->stopping)
            pthread_cond_wait(&r->cond, &r->lock);
        if (!r->head || (r->stopping && time_monotonic() > r->stop_deadline))
            break;
        /* Reports queued meanwhile only join the list's end, so the first n
         * stay as they are while the lock is dropped. */
        size_t n = r->send_singly ? 1 : (r->count < LIMIT_BATCH_REPORTS ? r->count : LIMIT_BATCH_REPORTS);
        struct report *rep = r->head;
        pthread_mutex_unlock(&r->lock);
        struct error err;
        json_t *out = NULL, *batch = n > 1 ? batch_body(rep, n) : NULL;
        usec_t sent = time_monotonic();
        int rc;
        if (n > 1 && !batch)
            rc = error_set(&err, ERR_INTERNAL, "out of memory");
        else if (batch)
            rc = awsjson_call(r->client, PROTO_AGENT_TARGET, PROTO_SUBMIT_REPORTS, batch, &out, &err);
        else
            rc = awsjson_call(r->client, rep->prefix, rep->action, rep->body, &out, &err);
        json_decref(out);
        json_decref(batch);
        usec_t acked = time_monotonic();
        /* bench/task_start_breakdown.py reads these lines.  The first n
         * reports are ours alone until popped: reading them unlocked is safe. */
        const struct report *each = rep;
        for (size_t i = 0; i < n && each; i++, each = i < n ? each->next : NULL)
            log_debug("reporter: %s %s %s: acked=%lld queued_ms=%.2f call_ms=%.2f", each->action,
                      json_string_value(json_object_get(each->body, "task")) ?: "-",
                      json_string_value(json_object_get(each->body, "status")) ?: "-", (long long)acked,
                      (double)(sent - each->queued) / USEC_PER_MSEC, (double)(acked - sent) / USEC_PER_MSEC);
        pthread_mutex_lock(&r->lock);
        if (rc < 0 && err.kind == ERR_IO) {
            log_warn("reporter: %s (retrying in %lld ms)", err.msg, (long long)(backoff / 1000));
            /* Wait with the monotonic clock the condvar uses. */
            timed_wait(r, time_monotonic() + backoff);
            backoff = backoff * 2 > 5 * USEC_PER_SEC ? 5 * USEC_PER_SEC : backoff * 2;
            continue;
        }
        backoff = 100 * USEC_PER_MSEC;
        if (rc < 0 && n > 1) {
            log_info("reporter: batch of %zu refused (%s); sending them singly", n, err.msg);
            r->send_singly = n;
            continue;
        }
        if (rc < 0)
            log_warn("reporter: dropped: %s", err.msg);
        if (r->send_singly)
            r->send_singly--;
        pop(r, n);
        pthread_cond_broadcast(&r->cond);
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

int reporter_start(const char *server_url, const struct aws_credentials *creds, const char *region,
                   struct reporter **ret, struct error *err)
{
    struct reporter *r = calloc(1, sizeof(*r));
    if (!r)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (awsjson_client_new(server_url, creds, region, &r->client, err) < 0) {
        free(r);
        return -1;
    }
    pthread_mutex_init(&r->lock, NULL);
    time_cond_init_monotonic(&r->cond);
    if (pthread_create(&r->thread, NULL, sender, r) != 0) {
        awsjson_client_free(r->client);
        free(r);
        return error_set(err, ERR_SYSTEM, "cannot start the reporter thread");
    }
    *ret = r;
    return 0;
}

void reporter_stop_begin(struct reporter *r, int timeout_ms)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->lock);
    if (!r->stopping) {
        r->stopping = true;
        r->stop_deadline = time_monotonic() + (usec_t)timeout_ms * USEC_PER_MSEC;
    }
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->lock);
}

void reporter_stop(struct reporter *r, int timeout_ms)
{
    if (!r)
        return;
    reporter_stop_begin(r, timeout_ms);
    pthread_join(r->thread, NULL);
    while (r->head) {
        struct report *next = r->head->next;
        json_decref(r->head->body);
        free(r->head);
        r->head = next;
    }
    awsjson_client_free(r->client);
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->cond);
    free(r);
}

void reporter_send(struct reporter *r, const char *target_prefix, const char *action, json_t *body)
{
    struct report *rep = calloc(1, sizeof(*rep));
    if (!rep) {
        json_decref(body);
        return;
    }
    snprintf(rep->prefix, sizeof(rep->prefix), "%s", target_prefix);
    snprintf(rep->action, sizeof(rep->action), "%s", action);
    rep->body = body;
    rep->queued = time_monotonic();
    pthread_mutex_lock(&r->lock);
    if (r->tail)
        r->tail->next = rep;
    else
        r->head = rep;
    r->tail = rep;
    r->count++;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->lock);
}

size_t reporter_pending(struct reporter *r)
{
    pthread_mutex_lock(&r->lock);
    size_t n = r->count;
    pthread_mutex_unlock(&r->lock);
    return n;
}
