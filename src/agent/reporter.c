/* reporter.c - a queue and one sender thread.  A report that fails with a
 * transport error or a 5xx stays at the head and is retried with
 * exponential backoff (100 ms .. 5 s), so reports arrive in order once the
 * server is back.  A 4xx answer means the server will never take it (the
 * task is gone); it is logged and dropped. */
#include "reporter.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/awsjson.h"
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
    struct awsjson_client *client;
};

static void timed_wait(struct reporter *r, usec_t until)
{
    struct timespec ts;
    ts.tv_sec = until / USEC_PER_SEC;
    ts.tv_nsec = (until % USEC_PER_SEC) * 1000;
    pthread_cond_timedwait(&r->cond, &r->lock, &ts);
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
        struct report *rep = r->head;
        pthread_mutex_unlock(&r->lock);
        struct error err;
        json_t *out = NULL;
        usec_t sent = time_monotonic();
        int rc = awsjson_call(r->client, rep->prefix, rep->action, rep->body, &out, &err);
        json_decref(out);
        usec_t acked = time_monotonic();
        /* bench/task_start_breakdown.py reads this line. */
        log_debug("reporter: %s %s %s: acked=%lld queued_ms=%.2f call_ms=%.2f", rep->action,
                  json_string_value(json_object_get(rep->body, "task")) ?: "-",
                  json_string_value(json_object_get(rep->body, "status")) ?: "-", (long long)acked,
                  (double)(sent - rep->queued) / USEC_PER_MSEC, (double)(acked - sent) / USEC_PER_MSEC);
        pthread_mutex_lock(&r->lock);
        if (rc < 0 && err.kind == ERR_IO) {
            log_warn("reporter: %s (retrying in %lld ms)", err.msg, (long long)(backoff / 1000));
            /* Wait with the monotonic clock the condvar uses. */
            timed_wait(r, time_monotonic() + backoff);
            backoff = backoff * 2 > 5 * USEC_PER_SEC ? 5 * USEC_PER_SEC : backoff * 2;
            continue;
        }
        if (rc < 0)
            log_warn("reporter: dropped: %s", err.msg);
        backoff = 100 * USEC_PER_MSEC;
        r->head = rep->next;
        if (!r->head)
            r->tail = NULL;
        r->count--;
        json_decref(rep->body);
        free(rep);
        pthread_cond_broadcast(&r->cond);
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

int reporter_start(const char *server_url, struct reporter **ret, struct error *err)
{
    struct reporter *r = calloc(1, sizeof(*r));
    if (!r)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (awsjson_client_new(server_url, &r->client, err) < 0) {
        free(r);
        return -1;
    }
    pthread_mutex_init(&r->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->cond, &ca);
    pthread_condattr_destroy(&ca);
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
