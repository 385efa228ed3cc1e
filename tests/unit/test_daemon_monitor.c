/* test_daemon_monitor.c - the daemon deployment's circuit breaker, alarm
 * and rollback verdicts, and the per-instance relaunch back-off. */
#include "server/sched/daemon_monitor.h"
#include "test.h"

TEST(daemon_monitor_failures_count_and_reset)
{
    CHECK(daemon_monitor_failures(0, 0) == 1);
    CHECK(daemon_monitor_failures(1, USEC_PER_SEC) == 2);
    CHECK(daemon_monitor_failures(7, DAEMON_BACKOFF_RESET_AFTER - 1) == 8);
    /* A task that ran long enough worked: the count starts over. */
    CHECK(daemon_monitor_failures(7, DAEMON_BACKOFF_RESET_AFTER) == 1);
    CHECK(daemon_monitor_failures(-3, 0) == 1);
}

TEST(daemon_monitor_backoff_doubles_to_a_minute)
{
    CHECK(daemon_monitor_backoff(0) == 0);
    CHECK(daemon_monitor_backoff(1) == USEC_PER_SEC);
    CHECK(daemon_monitor_backoff(2) == 2 * USEC_PER_SEC);
    CHECK(daemon_monitor_backoff(3) == 4 * USEC_PER_SEC);
    CHECK(daemon_monitor_backoff(50) == 60 * USEC_PER_SEC);
}

TEST(daemon_monitor_threshold_as_services)
{
    CHECK(daemon_monitor_threshold(0) == 3);
    CHECK(daemon_monitor_threshold(2) == 3);
    CHECK(daemon_monitor_threshold(9) == 5);
    CHECK(daemon_monitor_threshold(5000) == 200);
}

TEST(daemon_monitor_verdicts)
{
    struct daemon_watch w = {.failures = 2, .threshold = 3, .has_rollback_to = true};
    CHECK(daemon_monitor_verdict(&w) == DAEMON_CARRY_ON);
    w.failures = 3;
    CHECK(daemon_monitor_verdict(&w) == DAEMON_ROLL_BACK);
    w.has_rollback_to = false;
    CHECK(daemon_monitor_verdict(&w) == DAEMON_STOP);
    w.failures = 0;
    w.alarm = true;
    CHECK(daemon_monitor_verdict(&w) == DAEMON_STOP);
    w.has_rollback_to = true;
    CHECK(daemon_monitor_verdict(&w) == DAEMON_ROLL_BACK);
    /* A rollback is not failed by alarms, only by its own failing tasks. */
    w.rolling_back = true;
    CHECK(daemon_monitor_verdict(&w) == DAEMON_CARRY_ON);
    w.failures = 3;
    CHECK(daemon_monitor_verdict(&w) == DAEMON_ROLLBACK_FAILED);
    w.threshold = 0;
    CHECK(daemon_monitor_verdict(&w) == DAEMON_CARRY_ON);
}
