/* background.c - one job's thread on the change feed (see background.h). */
#include "server/sched/background.h"

#include <pthread.h>
#include <stdlib.h>

#include "server/http/changes.h"
#include "server/store/store.h"

struct background {
    struct changes *changes;
    struct background_job job;
    pthread_t thread;
};

static void *loop(void *arg)
{
    struct background *b = arg;
    uint64_t seen = 0;
    for (;;) {
        usec_t deadline = time_monotonic() + b->job.interval;
        if (b->job.on_change)
            seen = changes_wait(b->changes, seen, deadline);
        else
            changes_sleep(b->changes, deadline);
        if (changes_stopping(b->changes))
            break;
        if (b->job.leader_of && !store_is_leader(b->job.leader_of))
            continue;
        usec_t began = time_monotonic();
        b->job.run(b->job.arg);
        /* Changes made during the run (our own commits among them) get
         * another run, but not before as long again has passed: a job that
         * takes tens of ms, back to back under a stream of writes, would
         * take a core from the API. */
        if (b->job.rest) {
            usec_t took = time_monotonic() - began;
            changes_sleep(b->changes, time_monotonic() + (took > b->job.min_rest ? took : b->job.min_rest));
        }
    }
    return NULL;
}

int background_start(struct changes *changes, const struct background_job *job, struct background **ret,
                     struct error *err)
{
    struct background *b = calloc(1, sizeof(*b));
    if (!b)
        return error_set(err, ERR_INTERNAL, "out of memory");
    b->changes = changes;
    b->job = *job;
    if (pthread_create(&b->thread, NULL, loop, b) != 0) {
        free(b);
        return error_set(err, ERR_SYSTEM, "cannot start the %s thread", job->name);
    }
    *ret = b;
    return 0;
}

void background_stop(struct background *b)
{
    if (!b)
        return;
    pthread_join(b->thread, NULL);
    free(b);
}
