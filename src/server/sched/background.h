/* background.h - a thread that runs one job on the change feed's cadence:
 * at least every `interval`, also whenever a write commits if asked, and
 * never again before it has rested as long as its last run took if asked.
 * It ends when the feed stops.  What the job does is the job's business
 * (scheduler.c's rounds, maintenance.c's passes). */
#pragma once

#include <stdbool.h>

#include "common/error.h"
#include "common/timeutil.h"

struct changes;
struct background;

struct background_job {
    const char *name; /* for the error if the thread cannot start */
    usec_t interval;
    bool on_change; /* run when a write commits, too */
    bool rest;      /* after a run, wait as long as it took */
    void (*run)(void *arg);
    void *arg;
    /* Work that must run once among several servers: run only while this
     * server is store's leader (store_is_leader); NULL: always. */
    struct store *leader_of;
    /* With rest: rest at least this long too.  A job that most commits do
     * not concern need not run after each of thousands a second. */
    usec_t min_rest;
};

/* Start the thread (job is copied). */
int background_start(struct changes *changes, const struct background_job *job, struct background **ret,
                     struct error *err);
/* Join the thread (after changes_stop); accepts NULL. */
void background_stop(struct background *b);
