/* logship_sender.h - the awslogs driver's calls on a thread of their own,
 * so that the log thread reads, parses and encodes the next batch while the
 * server stores this one (one after the other, the two took turns and left
 * a core idle).
 *
 * One call at a time, in the order given: the server stores a shipper's
 * batch only above the highest offset it has stored, so a later batch must
 * never overtake an earlier one.  Before the call the sender writes the
 * progress it was handed (the file must name a batch in flight before the
 * batch leaves); the fsync then also overlaps the log thread's work. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "agent/logs/logship_aws.h"

struct awsjson_client;
struct logship_sender;

/* Persist a progress snapshot; called on the sender's thread, so it may
 * use only what does not change while the shipper runs (its paths). */
typedef int (*logship_save_fn)(void *ctx, const struct logship_progress *pr, struct error *err);

struct logship_sender_job {
    const char *body; /* the request; the caller keeps it until the result is taken */
    size_t len;
    bool save; /* write `progress` first */
    struct logship_progress progress;
};

struct logship_sender_result {
    int rc;        /* the call's: 0, or -1 with err */
    bool not_sent; /* the progress could not be written, so the call was not made */
    json_t *out;   /* the answer (owned by the taker) */
    struct error err;
};

/* A sender for calls through `client`, which it uses only between a
 * submit and the taking of its result (the caller may use it otherwise).
 * A finished call writes to wake_fd (an eventfd the log thread polls). */
int logship_sender_new(struct awsjson_client *client, int wake_fd, logship_save_fn save, void *ctx,
                       struct logship_sender **ret, struct error *err);
/* Wait for the call in flight (abort it first to be quick) and free. */
void logship_sender_free(struct logship_sender *s);

/* Start a call; the sender must be idle. */
void logship_sender_submit(struct logship_sender *s, const struct logship_sender_job *job);
/* A call was submitted and its result not taken yet. */
bool logship_sender_busy(const struct logship_sender *s);
/* The finished call's result (true; the sender is idle again), or false
 * while it is still running or nothing was submitted. */
bool logship_sender_take(struct logship_sender *s, struct logship_sender_result *ret);
