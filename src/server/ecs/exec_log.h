/* exec_log.h - an ECS Exec session's transcript in CloudWatch Logs: the
 * command, then what it prints (stdout and stderr as the client sees
 * them), one event per line, in a stream named after the session id in
 * the group the cluster's executeCommandConfiguration picked
 * (exec_config.h).  The relay (exec_sessions.c) feeds it and flushes it. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/timeutil.h"

struct exec_log;
struct store;

/* A transcript for session_id into group (region); the first event is the
 * command (argv's words).  NULL when out of memory. */
struct exec_log *exec_log_new(struct store *st, const char *region, const char *group, const char *session_id,
                              json_t *argv);
/* Take len bytes of output.  Complete lines become events; a line longer
 * than LIMIT_EXEC_LOG_LINE is cut into events of that size. */
void exec_log_output(struct exec_log *l, const void *data, size_t len);
/* When events wait: the monotonic time the oldest arrived; 0 when none. */
usec_t exec_log_pending_since(const struct exec_log *l);
/* Whether enough waits that the caller should flush now. */
bool exec_log_full(const struct exec_log *l);
/* Write the waiting events (and, with final, the unfinished last line)
 * in one store transaction; a failure is logged and the events dropped. */
void exec_log_flush(struct exec_log *l, bool final);
/* exec_log_flush(l, true), then free l (NULL is fine). */
void exec_log_close(struct exec_log *l);
