/* daemon_monitor.c - the rules that end a daemon deployment early and pace
 * the relaunch of a failing daemon task (see daemon_monitor.h).  It only
 * decides; daemon_round.c counts the failures, reads the alarms and acts. */
#include "server/sched/daemon_monitor.h"

#include "server/sched/deploy_math.h"

int daemon_monitor_failures(int failures, usec_t ran)
{
    if (ran >= DAEMON_BACKOFF_RESET_AFTER || failures < 0)
        return 1;
    return failures + 1;
}

usec_t daemon_monitor_backoff(int failures) { return deploy_backoff(failures); }

int daemon_monitor_threshold(int instances) { return deploy_breaker_threshold(instances); }

enum daemon_verdict daemon_monitor_verdict(const struct daemon_watch *w)
{
    bool tripped = w->threshold > 0 && w->failures >= w->threshold;
    if (w->rolling_back)
        return tripped ? DAEMON_ROLLBACK_FAILED : DAEMON_CARRY_ON;
    if (!tripped && !w->alarm)
        return DAEMON_CARRY_ON;
    return w->has_rollback_to ? DAEMON_ROLL_BACK : DAEMON_STOP;
}
