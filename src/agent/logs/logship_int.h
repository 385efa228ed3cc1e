/* logship_int.h - what the log driver's two halves share: logship.c (the
 * thread, reading conmon's log, lines, json-file, the progress file) and
 * logship_aws.c (awslogs: the event queue, batches, exactly-once sending).
 * Internal to them; everyone else uses logship.h. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/awsjson.h"
#include "agent/agent_limits.h"
#include "common/timeutil.h"
#include "agent/logs/jsonlog.h"
#include "agent/logs/logjoin.h"
#include "agent/logs/logship.h"

#define BATCH_EVENTS 10000
#define FLUSH_USEC (1 * USEC_PER_SEC) /* a batch waits at most this long */
#define BACKOFF_MIN_USEC (100 * USEC_PER_MSEC)
#define BACKOFF_MAX_USEC (5 * USEC_PER_SEC)
#define READ_CHUNK (256u * 1024)
#define DEFAULT_MAX_BUFFER (1LL << 20) /* Docker's max-buffer-size default */

enum driver { DRIVER_LOCAL, DRIVER_AWSLOGS, DRIVER_JSON_FILE, DRIVER_NONE };

struct event {
    char *msg;
    size_t len;
    size_t json_size; /* msg as a JSON string */
    int64_t ts_ms;
    uint64_t start, end;
};

struct logship {
    enum driver driver;
    char log_path[4096];
    char state_dir[4096];
    char state_name[128];
    char shipper_id[LIMIT_LOGS_SHIPPER_ID + 1];
    char ctr_id[LIMIT_CTR_ID + 1];
    /* awslogs */
    char server[512];
    char group[LIMIT_LOGS_NAME + 1];
    char stream[LIMIT_LOGS_NAME + 1];
    bool create_group;
    bool nonblocking;
    int64_t max_buffer;
    struct logjoin join;
    usec_t join_at; /* when the joiner last got a line */
    struct awsjson_client *client;
    bool ready; /* group and stream exist */
    /* json-file */
    char json_path[4096];
    int64_t max_size;
    int max_file;
    struct jsonlog_writer jw;
    /* thread */
    pthread_t thread;
    int wake_fd;
    pthread_mutex_t lock;
    bool stop, drain;
    volatile bool abort; /* ends calls in flight */
    /* reading */
    int fd;
    char *rbuf;
    size_t rlen;    /* bytes in rbuf */
    uint64_t rbase; /* file offset of rbuf[0] */
    bool eof;
    /* the line being assembled from P records */
    char *line;
    size_t line_len, line_cap;
    bool line_open;
    uint64_t line_start;
    int64_t line_ts_us;
    bool line_stderr;
    char line_time[64];
    size_t line_time_len;
    /* events waiting to be shipped (a ring) */
    struct event *q;
    size_t qhead, qn, qcap, qbytes;
    usec_t q_since;
    int64_t last_ts;
    uint64_t dropped;
    bool dropping; /* drops since the last successful send (logged once) */
    /* progress */
    uint64_t resume;     /* persisted: everything before is shipped */
    uint64_t inflight;   /* persisted: end of a batch sent but not acknowledged; 0 none */
    uint64_t replay_end; /* the inflight a restarted shipper found: batches end there first */
    usec_t retry_at;
    usec_t backoff;
    bool refused; /* the server answered that the group or stream is missing */
};

/* logship.c */
/* logConfiguration.options[key] of a container definition, or NULL. */
const char *logship_option(json_t *def, const char *key);
/* Write the progress file (resume, inflight, dropped) atomically. */
int logship_state_save(struct logship *s, struct error *err);
/* The oldest log file offset not yet shipped (consumed: what was read). */
uint64_t logship_resume_offset(struct logship *s, uint64_t consumed);

/* logship_aws.c */
/* Read the awslogs options of p->def into s; a client for p->server. */
int logship_aws_setup(struct logship *s, const struct logship_params *p, struct error *err);
/* Queue one event (takes je->msg); non-blocking mode drops the oldest. */
int logship_aws_push(struct logship *s, struct logjoin_event *je, struct error *err);
/* Create the group (awslogs-create-group) and the stream if missing. */
int logship_aws_ensure_stream(struct logship *s, struct error *err);
/* Whether a batch should go now (draining: the container is gone). */
bool logship_aws_due(struct logship *s, bool draining);
/* Send the next batch and record the progress.  -1: retry later. */
int logship_aws_send(struct logship *s, uint64_t consumed, struct error *err);
/* Free the events still queued. */
void logship_aws_clear(struct logship *s);
