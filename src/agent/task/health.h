/* health.h - one container's health check (healthCheck in its definition):
 * a thread runs the command inside the container at each interval and
 * keeps the container's health status.  It knows nothing of tasks: the
 * owner says when to stop checking (alive) and hears of each change
 * (changed); what the task's health is, and telling the server, is the
 * owner's (task_health.c). */
#pragma once

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>

#include "agent/runtime/runtime.h"

enum health_status { HEALTH_UNKNOWN, HEALTH_HEALTHY, HEALTH_UNHEALTHY };

struct health {
    /* Set by the owner before health_start. */
    struct runtime *rt;
    const char *ctr_id;         /* runtime id of the container checked */
    json_t *check;              /* the definition's healthCheck, NULL if none; borrowed */
    pthread_mutex_t *lock;      /* the owner's: guards status and what alive() reads */
    pthread_cond_t *cond;       /* the owner's (CLOCK_MONOTONIC): broadcast when alive() may change */
    bool (*alive)(void *ctx);   /* called with *lock held: keep checking? */
    void (*changed)(void *ctx); /* status changed; called without *lock, from the check thread */
    void *ctx;
    /* health.c's own. */
    enum health_status status; /* written under *lock */
    pthread_t thread;
    bool started;
};

/* "HEALTHY", "UNHEALTHY" or "UNKNOWN". */
const char *health_name(enum health_status s);

/* Start checking (nothing when there is no check, or it already runs).
 * `retries` consecutive failures make it UNHEALTHY; failures during
 * startPeriod do not count, a success does. */
void health_start(struct health *h);

/* Wake the check thread and join it.  It ends once alive() is false: the
 * owner makes it so before calling. */
void health_stop(struct health *h);
