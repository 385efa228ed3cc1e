/* timeutil.c - clock reads, conversions at the JSON edge, and monotonic
 * deadlines for condition variables. */
#include "common/timeutil.h"

#include <time.h>

static usec_t clock_usec(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (usec_t)ts.tv_sec * USEC_PER_SEC + ts.tv_nsec / 1000;
}

usec_t time_now(void) { return clock_usec(CLOCK_REALTIME); }
usec_t time_monotonic(void) { return clock_usec(CLOCK_MONOTONIC); }

double time_to_epoch_seconds(usec_t t)
{
    /* AWS clients parse millisecond precision; round there so a value read
     * back compares equal to the one written. */
    return (double)(t / 1000) / 1000.0;
}

usec_t time_from_epoch_seconds(double s) { return (usec_t)(s * 1e6); }

struct timespec time_timespec(usec_t t)
{
    return (struct timespec){.tv_sec = t / USEC_PER_SEC, .tv_nsec = (t % USEC_PER_SEC) * 1000};
}

void time_cond_init_monotonic(pthread_cond_t *cond)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(cond, &ca);
    pthread_condattr_destroy(&ca);
}

int time_cond_wait_until(pthread_cond_t *cond, pthread_mutex_t *lock, usec_t until)
{
    struct timespec ts = time_timespec(until);
    return pthread_cond_timedwait(cond, lock, &ts);
}
