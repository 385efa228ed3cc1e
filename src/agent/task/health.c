/* health.c - container health checks (see health.h): a thread per checked
 * container runs the command inside it with runtime_exec at each interval.
 * `retries` consecutive failures make it UNHEALTHY; failures during
 * startPeriod do not count, a success does.  As in ECS, an image's
 * HEALTHCHECK is not used unless the definition asks.  Reporting the
 * change, and the task's health, is the owner's. */
#include "agent/task/health.h"

#include <string.h>

#include "common/timeutil.h"

const char *health_name(enum health_status s)
{
    return s == HEALTH_HEALTHY ? "HEALTHY" : s == HEALTH_UNHEALTHY ? "UNHEALTHY" : "UNKNOWN";
}

/* Sleep until `until` (monotonic) unless the owner says to stop. */
static bool nap(struct health *h, usec_t until)
{
    pthread_mutex_lock(h->lock);
    while (h->alive(h->ctx)) {
        if (time_monotonic() >= until)
            break;
        time_cond_wait_until(h->cond, h->lock, until);
    }
    bool go_on = h->alive(h->ctx);
    pthread_mutex_unlock(h->lock);
    return go_on;
}

/* The command as an argv; 0 when there is none to run (NONE, or bad). */
static size_t check_argv(json_t *cmd, const char **argv, size_t cap)
{
    const char *kind = json_string_value(json_array_get(cmd, 0));
    if (!kind || strcmp(kind, "NONE") == 0)
        return 0;
    size_t argc = 0;
    if (strcmp(kind, "CMD-SHELL") == 0) {
        argv[argc++] = "/bin/sh";
        argv[argc++] = "-c";
        argv[argc++] = json_string_value(json_array_get(cmd, 1));
    } else {
        for (size_t i = 1; i < json_array_size(cmd) && argc < cap - 1; i++)
            argv[argc++] = json_string_value(json_array_get(cmd, i));
    }
    /* A non-string element anywhere would cut argv short or crash exec. */
    for (size_t i = 0; i < argc; i++)
        if (!argv[i])
            return 0;
    return argc;
}

static void *health_loop(void *arg)
{
    struct health *h = arg;
    json_t *hc = h->check;
    usec_t interval = (json_integer_value(json_object_get(hc, "interval")) ?: 30) * USEC_PER_SEC;
    usec_t timeout = (json_integer_value(json_object_get(hc, "timeout")) ?: 5) * USEC_PER_SEC;
    int retries = (int)(json_integer_value(json_object_get(hc, "retries")) ?: 3);
    usec_t start_period = json_integer_value(json_object_get(hc, "startPeriod")) * USEC_PER_SEC;
    const char *argv[64];
    size_t argc = check_argv(json_object_get(hc, "command"), argv, 64);
    if (argc == 0)
        return NULL;
    usec_t started = time_monotonic();
    int failures = 0;
    /* Docker runs the first check one interval after start. */
    usec_t next = started + (interval < 5 * USEC_PER_SEC ? interval : 5 * USEC_PER_SEC);
    while (nap(h, next)) {
        usec_t now = time_monotonic();
        next = now + interval;
        int exit_code = -1;
        bool timed_out = false;
        struct error err;
        int r = runtime_exec(h->rt, h->ctr_id, argv, argc, timeout, -1, -1, &exit_code, &timed_out, &err);
        bool ok = r == 0 && exit_code == 0;
        enum health_status before = h->status, after = before;
        if (ok) {
            failures = 0;
            after = HEALTH_HEALTHY;
        } else if (now - started >= start_period && ++failures >= retries) {
            after = HEALTH_UNHEALTHY;
        }
        if (after != before) {
            pthread_mutex_lock(h->lock);
            h->status = after;
            pthread_mutex_unlock(h->lock);
            h->changed(h->ctx);
        }
    }
    return NULL;
}

void health_start(struct health *h)
{
    if (!h->check || h->started)
        return;
    if (pthread_create(&h->thread, NULL, health_loop, h) == 0)
        h->started = true;
}

void health_stop(struct health *h)
{
    if (!h->started)
        return;
    pthread_mutex_lock(h->lock);
    pthread_cond_broadcast(h->cond);
    pthread_mutex_unlock(h->lock);
    pthread_join(h->thread, NULL);
    h->started = false;
}
