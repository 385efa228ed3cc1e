/* logship.h - a running container's log driver: one thread per container
 * reads conmon's k8s-file log (ctr.log) as it grows (inotify) and, by the
 * container definition's logConfiguration.logDriver:
 *   awslogs    ships events to the berth server's CloudWatch Logs API,
 *              exactly once across agent restarts and server outages;
 *   json-file  writes Docker's json-file format under DATA/logs/<task-id>/
 *              <container>-json.log, rotated by max-size / max-file; one
 *              record per line (conmon's partial pieces joined); after a
 *              crash the lines of the last read (<= 256 KiB) may repeat;
 *   none       nothing (no thread; cleanup discards ctr.log).
 * Without logConfiguration (or with another driver) no thread runs: the
 * task runner keeps ctr.log as DATA/logs/<task-id>/<container>.log.
 *
 * Progress is persisted in DATA/logship/<runtime-id>.json so a shipper
 * started again for an adopted container resumes where the last one ended. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "common/error.h"

struct aws_credentials;

struct logship;

struct logship_params {
    const char *server;                  /* berth server URL (awslogs) */
    const struct aws_credentials *creds; /* awslogs: what requests are signed with */
    const char *region;                  /* awslogs: the region signed for */
    const char *data_dir;                /* the agent's data directory */
    const char *task_id;
    const char *ctr_id; /* runtime id, <task-id>-<index> */
    const char *ctr_name;
    json_t *def;          /* the container definition (borrowed for the call) */
    const char *log_path; /* conmon's ctr.log */
};

/* Whether the container's local output (ctr.log) should be kept after it
 * is gone: false only for the "none" driver. */
bool logship_keeps_local(json_t *def);

/* Check a container's logConfiguration before it starts (unknown option
 * values, bad patterns).  Other drivers than ours are accepted and ignored. */
int logship_check(json_t *def, struct error *err);

/* Start the container's shipper.  *ret is NULL when its driver needs none.
 * The caller owns *ret and ends it with logship_stop. */
int logship_start(const struct logship_params *p, struct logship **ret, struct error *err);

/* Stop and free s (NULL is fine).  drain: ship what the log still holds
 * first (the container has exited), for at most LIMIT_LOGSHIP_DRAIN_SEC;
 * without drain (agent shutdown) stop at once, leaving the rest to the next
 * agent. */
void logship_stop(struct logship *s, bool drain);
