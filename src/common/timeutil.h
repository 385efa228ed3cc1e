/* timeutil.h - berth's one time type: microseconds since the Unix epoch
 * (wall clock) or since boot (monotonic), as int64_t. */
#pragma once

#include <pthread.h>
#include <stdint.h>
#include <time.h>

typedef int64_t usec_t;

#define USEC_PER_SEC 1000000LL
#define USEC_PER_MSEC 1000LL

usec_t time_now(void);       /* CLOCK_REALTIME */
usec_t time_monotonic(void); /* CLOCK_MONOTONIC */
/* Seconds as a double, the form AWS JSON protocols use for timestamps. */
double time_to_epoch_seconds(usec_t t);
usec_t time_from_epoch_seconds(double s);

/* A struct timespec for t (for pthread_cond_timedwait and friends). */
struct timespec time_timespec(usec_t t);
/* A condition variable whose timed waits take CLOCK_MONOTONIC deadlines
 * (time_monotonic()), so a wall-clock step never stretches or cuts a wait. */
void time_cond_init_monotonic(pthread_cond_t *cond);
/* pthread_cond_timedwait on such a variable until `until` (monotonic); the
 * caller holds *lock and re-checks its condition, as with any wait.  Returns
 * pthread_cond_timedwait's result (ETIMEDOUT once `until` has passed). */
int time_cond_wait_until(pthread_cond_t *cond, pthread_mutex_t *lock, usec_t until);
