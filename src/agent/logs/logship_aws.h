/* logship_aws.h - the awslogs driver's sending half: a queue of events,
 * batches, and exactly-once delivery to the server's CloudWatch Logs API.
 * logship.c feeds it events (and owns the thread, the reading and the
 * progress file); this side never reads the log.  One thread uses it,
 * but for logship_aws_abort; the calls themselves run on a sender thread
 * (logship_sender.c), which wakes the log thread when one ends. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "common/timeutil.h"
#include "agent/logs/logjoin.h"

/* A batch, or a multi-line event, waits at most this long. */
#define LOGSHIP_FLUSH_USEC (1 * USEC_PER_SEC)

/* The shipper's progress as its progress file keeps it; logship.c owns
 * it and writes the file, logship_aws.c builds the snapshots it writes. */
struct logship_progress {
    uint64_t resume;      /* everything before this log offset is shipped */
    uint64_t inflight[2]; /* ends of batches that may be stored, not known to be (ascending; 0: none) */
    uint64_t replay[2];   /* the inflight a restarted shipper found: batches end exactly there first */
    uint64_t dropped;     /* events dropped (non-blocking mode, or rejected) */
    uint64_t seq;         /* snapshots' order: a save never replaces a later one (0: unordered) */
};

struct logship_aws;
struct aws_credentials;

struct logship_aws_params {
    const char *server;                  /* berth server URL */
    const struct aws_credentials *creds; /* what requests are signed with (copied) */
    const char *region;
    const char *shipper_id; /* "<task-id>/<container>" */
    const char *task_id;
    const char *ctr_id; /* runtime id */
    const char *ctr_name;
    json_t *options;                   /* logConfiguration.options; borrowed for the call */
    struct logship_progress *progress; /* the owner's; outlives the shipper */
    /* Where a restart must read from now (on the log thread). */
    uint64_t (*resume)(void *ctx);
    /* Write a progress snapshot to the file (on either thread, never both
     * at once). */
    int (*save)(void *ctx, const struct logship_progress *pr, struct error *err);
    void *ctx;
    int wake_fd; /* an eventfd the log thread polls: a call ended */
};

/* Check the awslogs options (awslogs-group, mode, max-buffer-size). */
int logship_aws_check(json_t *options, struct error *err);

/* Read the options, make a client for the server.  *ret is freed with
 * logship_aws_free (NULL is fine). */
int logship_aws_new(const struct logship_aws_params *p, struct logship_aws **ret, struct error *err);
void logship_aws_free(struct logship_aws *a);

/* End the call in flight, if any, and any later one (from any thread). */
void logship_aws_abort(struct logship_aws *a);

/* Queue one event (takes je->msg); non-blocking mode drops the oldest. */
int logship_aws_push(struct logship_aws *a, struct logjoin_event *je, struct error *err);

/* Create the group (awslogs-create-group) and the stream if missing. */
int logship_aws_ensure_stream(struct logship_aws *a, struct error *err);

/* Take the answer of a call that ended, send the next batch that is due
 * (all that is queued when draining: the container is gone), and build
 * the one after while it is out, from `now` (monotonic).  A failure backs
 * off: the same batch goes again at logship_aws_retry_at. */
void logship_aws_ship(struct logship_aws *a, bool draining, usec_t now);
/* A call is out: its end wakes the log thread, no timer needed. */
bool logship_aws_waiting(const struct logship_aws *a);

/* Write the progress of the batches answered since the last save (the
 * next batch's save would carry it).  Called before the shipper sleeps or
 * ends; not while a call is out (that call's save carries it).  A failed
 * write is logged, and the file then still names the last answered batch
 * as in flight, which a restart resends as a duplicate. */
void logship_aws_settle(struct logship_aws *a);

/* Events not yet acknowledged (queued, or in a batch built or out). */
size_t logship_aws_queued(const struct logship_aws *a);
/* The log offset the oldest event not yet acknowledged starts at; false
 * if none. */
bool logship_aws_oldest(const struct logship_aws *a, uint64_t *ret_start);
/* Blocking mode with LIMIT_LOGSHIP_QUEUE_BYTES queued: stop reading. */
bool logship_aws_full(const struct logship_aws *a);
/* The server said the group or stream is missing and creating it failed. */
bool logship_aws_refused(const struct logship_aws *a);
/* When the queued events are due (0: nothing queued). */
usec_t logship_aws_flush_at(const struct logship_aws *a);
/* When a failed send is retried (0: none pending, or nothing queued). */
usec_t logship_aws_retry_at(const struct logship_aws *a);
