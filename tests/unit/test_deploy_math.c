/* test_deploy_math.c - rolling-deployment bounds, breaker threshold, backoff
 * and the per-round plan. */
#include "server/sched/deploy_math.h"
#include "test.h"

TEST(deploy_min_healthy_rounds_up)
{
    CHECK(deploy_min_healthy(3, 100) == 3);
    CHECK(deploy_min_healthy(3, 50) == 2); /* 1.5 -> 2 */
    CHECK(deploy_min_healthy(4, 50) == 2);
    CHECK(deploy_min_healthy(3, 0) == 0);
    CHECK(deploy_min_healthy(0, 100) == 0);
    CHECK(deploy_min_healthy(1, 1) == 1);
}

TEST(deploy_max_tasks_rounds_down)
{
    CHECK(deploy_max_tasks(3, 200) == 6);
    CHECK(deploy_max_tasks(3, 150) == 4); /* 4.5 -> 4 */
    CHECK(deploy_max_tasks(3, 100) == 3);
    CHECK(deploy_max_tasks(5, 120) == 6);
    CHECK(deploy_max_tasks(0, 200) == 0);
    /* Past INT_MAX the ceiling is INT_MAX, not a wrapped negative number. */
    CHECK(deploy_max_tasks(2147483647, 200) == 2147483647);
    CHECK(deploy_max_tasks(1500000000, 150) == 2147483647);
    CHECK(deploy_max_tasks(30000000, 100000) == 2147483647);
}

TEST(deploy_breaker_threshold_bounds)
{
    CHECK(deploy_breaker_threshold(1) == 3);
    CHECK(deploy_breaker_threshold(3) == 3);
    CHECK(deploy_breaker_threshold(10) == 5);
    CHECK(deploy_breaker_threshold(11) == 6);
    CHECK(deploy_breaker_threshold(1000) == 200);
    CHECK(deploy_breaker_threshold(2147483647) == 200);
}

TEST(deploy_backoff_doubles_to_cap)
{
    CHECK(deploy_backoff(0) == 0);
    CHECK(deploy_backoff(1) == USEC_PER_SEC);
    CHECK(deploy_backoff(2) == 2 * USEC_PER_SEC);
    CHECK(deploy_backoff(4) == 8 * USEC_PER_SEC);
    CHECK(deploy_backoff(7) == 60 * USEC_PER_SEC);
    CHECK(deploy_backoff(1000) == 60 * USEC_PER_SEC);
}

TEST(deploy_plan_fresh_service_starts_all)
{
    struct deploy_counts c = {.desired = 3, .min_healthy_percent = 100, .max_percent = 200, .can_start = true};
    struct deploy_plan p;
    deploy_plan_round(&c, &p);
    CHECK(p.start == 3 && p.stop_old == 0 && p.stop_primary == 0);
}

TEST(deploy_plan_rolling_100_200)
{
    /* 3 old healthy: start 3 new (ceiling 6), stop none (floor 3). */
    struct deploy_counts c = {.desired = 3,
                              .min_healthy_percent = 100,
                              .max_percent = 200,
                              .old_live = 3,
                              .old_healthy = 3,
                              .can_start = true};
    struct deploy_plan p;
    deploy_plan_round(&c, &p);
    CHECK(p.start == 3 && p.stop_old == 0);
    /* New ones pending: nothing more. */
    c.primary_live = 3;
    deploy_plan_round(&c, &p);
    CHECK(p.start == 0 && p.stop_old == 0);
    /* Two new healthy: two old may go. */
    c.primary_healthy = 2;
    deploy_plan_round(&c, &p);
    CHECK(p.stop_old == 2);
    c.primary_healthy = 3;
    deploy_plan_round(&c, &p);
    CHECK(p.stop_old == 3);
}

TEST(deploy_plan_rolling_50_100)
{
    /* max 100%: no room to start until old ones go; floor 2 lets one go. */
    struct deploy_counts c = {.desired = 3,
                              .min_healthy_percent = 50,
                              .max_percent = 100,
                              .old_live = 3,
                              .old_healthy = 3,
                              .can_start = true};
    struct deploy_plan p;
    deploy_plan_round(&c, &p);
    CHECK(p.start == 0 && p.stop_old == 1);
    c.old_live = 2;
    c.old_healthy = 2;
    deploy_plan_round(&c, &p);
    CHECK(p.start == 1 && p.stop_old == 0);
}

TEST(deploy_plan_unhealthy_old_always_go)
{
    struct deploy_counts c = {.desired = 2,
                              .min_healthy_percent = 100,
                              .max_percent = 200,
                              .primary_live = 2,
                              .old_live = 2,
                              .old_healthy = 0,
                              .can_start = true};
    struct deploy_plan p;
    deploy_plan_round(&c, &p);
    CHECK(p.stop_old == 2 && p.start == 0);
}

TEST(deploy_plan_failed_primary_keeps_old)
{
    struct deploy_counts c = {.desired = 3,
                              .min_healthy_percent = 100,
                              .max_percent = 200,
                              .old_live = 3,
                              .old_healthy = 3,
                              .can_start = false};
    struct deploy_plan p;
    deploy_plan_round(&c, &p);
    CHECK(p.start == 0 && p.stop_old == 0);
}

TEST(deploy_plan_scale_in_and_steady)
{
    struct deploy_counts c = {.desired = 1,
                              .min_healthy_percent = 100,
                              .max_percent = 200,
                              .primary_live = 3,
                              .primary_healthy = 3,
                              .can_start = true};
    struct deploy_plan p;
    deploy_plan_round(&c, &p);
    CHECK(p.stop_primary == 2 && p.start == 0);
    CHECK(!deploy_is_steady(&c));
    c.primary_live = c.primary_healthy = 1;
    CHECK(deploy_is_steady(&c));
    c.stopping = 1;
    CHECK(!deploy_is_steady(&c));
}

TEST(deploy_plan_stopping_tasks_use_capacity)
{
    struct deploy_counts c = {.desired = 2,
                              .min_healthy_percent = 100,
                              .max_percent = 150,
                              .old_live = 2,
                              .old_healthy = 2,
                              .stopping = 1,
                              .can_start = true};
    struct deploy_plan p;
    deploy_plan_round(&c, &p);
    CHECK(p.start == 0); /* ceiling 3 = 2 old + 1 stopping */
}
