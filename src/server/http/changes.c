/* changes.c - the commit generation and its condition variable (see
 * changes.h).  Deadlines are monotonic, so the condvar uses that clock. */
#include "server/http/changes.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

struct changes {
    pthread_mutex_t lock;
    pthread_cond_t cond;      /* every commit: changes_wait's */
    pthread_cond_t stop_cond; /* the stop only: changes_sleep's, which a commit must not wake */
    uint64_t generation;
    bool stopping;
};

struct changes *changes_new(void)
{
    struct changes *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    pthread_mutex_init(&c->lock, NULL);
    time_cond_init_monotonic(&c->cond);
    time_cond_init_monotonic(&c->stop_cond);
    return c;
}

void changes_free(struct changes *c)
{
    if (!c)
        return;
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->cond);
    pthread_cond_destroy(&c->stop_cond);
    free(c);
}

/* Move the generation or stop, and wake every waiter. */
static void announce(struct changes *c, bool stop)
{
    pthread_mutex_lock(&c->lock);
    if (stop) {
        c->stopping = true;
        pthread_cond_broadcast(&c->stop_cond);
    } else {
        c->generation++;
    }
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
}

void changes_notify(struct changes *c) { announce(c, false); }
void changes_stop(struct changes *c) { announce(c, true); }

/* Wait until the deadline or a stop, and (on_change) until the generation
 * moves past seen; returns the generation then. */
static uint64_t wait_for(struct changes *c, uint64_t seen, usec_t deadline, bool on_change)
{
    pthread_mutex_lock(&c->lock);
    pthread_cond_t *cond = on_change ? &c->cond : &c->stop_cond;
    while (!c->stopping && !(on_change && c->generation != seen))
        if (time_cond_wait_until(cond, &c->lock, deadline) != 0)
            break; /* the deadline */
    uint64_t g = c->generation;
    pthread_mutex_unlock(&c->lock);
    return g;
}

uint64_t changes_wait(struct changes *c, uint64_t seen, usec_t deadline) { return wait_for(c, seen, deadline, true); }
void changes_sleep(struct changes *c, usec_t deadline) { wait_for(c, 0, deadline, false); }

uint64_t changes_generation(struct changes *c)
{
    pthread_mutex_lock(&c->lock);
    uint64_t g = c->generation;
    pthread_mutex_unlock(&c->lock);
    return g;
}

bool changes_stopping(struct changes *c)
{
    pthread_mutex_lock(&c->lock);
    bool s = c->stopping;
    pthread_mutex_unlock(&c->lock);
    return s;
}
