/* timeutil.c - clock reads and conversions at the JSON edge. */
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
