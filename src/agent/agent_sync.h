/* agent_sync.h - the few ways the agent's threads wait: a condition
 * variable on the monotonic clock, a wait on one until a monotonic
 * deadline, and a poll on a wake-up eventfd beside an inotify fd.  It knows
 * nothing of what they wait for. */
#pragma once

#include <pthread.h>

#include "common/timeutil.h"

/* Initialise *cond to time its waits with CLOCK_MONOTONIC. */
void agent_sync_cond_init(pthread_cond_t *cond);

/* pthread_cond_timedwait until `until` (CLOCK_MONOTONIC, usec); the caller
 * holds *lock and re-checks its condition, as with any condvar wait. */
void agent_sync_wait_until(pthread_cond_t *cond, pthread_mutex_t *lock, usec_t until);

/* Block until wake_fd (an eventfd) or inotify_fd (-1: none) is readable, or
 * timeout_ms passes (-1: no timeout); then empty whichever was readable, so
 * the next call waits for new events. */
void agent_sync_poll(int wake_fd, int inotify_fd, int timeout_ms);
