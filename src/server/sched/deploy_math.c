/* deploy_math.c - rolling-deployment arithmetic (see deploy_math.h).  The
 * service scheduler counts tasks and acts; this file only decides numbers,
 * so every bound can be unit tested. */
#include "server/sched/deploy_math.h"

#include <limits.h>

#define BREAKER_MIN 3
#define BREAKER_MAX 200
#define BACKOFF_BASE USEC_PER_SEC
#define BACKOFF_CAP (60 * USEC_PER_SEC)

int deploy_min_healthy(int desired, int percent)
{
    if (desired <= 0 || percent <= 0)
        return 0;
    long long v = (long long)desired * percent;
    return (int)((v + 99) / 100);
}

int deploy_max_tasks(int desired, int percent)
{
    if (desired <= 0 || percent <= 0)
        return 0;
    long long v = (long long)desired * percent / 100;
    /* ECS never lets a maximum of 100% or more block the desired count. */
    if (percent >= 100 && v < desired)
        v = desired;
    /* desired * percent / 100 can pass INT_MAX (maximumPercent goes far
     * above 100): the most tasks there can be, not a wrapped negative. */
    return v > INT_MAX ? INT_MAX : (int)v;
}

int deploy_breaker_threshold(int desired)
{
    int half = desired > 0 ? (int)(((long long)desired + 1) / 2) : 0;
    if (half < BREAKER_MIN)
        return BREAKER_MIN;
    if (half > BREAKER_MAX)
        return BREAKER_MAX;
    return half;
}

usec_t deploy_backoff(int rounds)
{
    if (rounds <= 0)
        return 0;
    usec_t d = BACKOFF_BASE;
    for (int i = 1; i < rounds && d < BACKOFF_CAP; i++)
        d *= 2;
    return d < BACKOFF_CAP ? d : BACKOFF_CAP;
}

static int clamp0(int v) { return v < 0 ? 0 : v; }

void deploy_plan_round(const struct deploy_counts *c, struct deploy_plan *ret_plan)
{
    struct deploy_plan p = {0, 0, 0};
    int floor_healthy = deploy_min_healthy(c->desired, c->min_healthy_percent);
    int ceiling = deploy_max_tasks(c->desired, c->max_percent);
    int total = c->primary_live + c->old_live + c->stopping;

    p.stop_primary = clamp0(c->primary_live - c->desired);
    if (c->can_start) {
        int need = clamp0(c->desired - c->primary_live);
        int room = clamp0(ceiling - total);
        p.start = need < room ? need : room;
    }
    /* Old tasks go as long as the healthy ones left stay at or above the
     * floor; tasks that are not healthy never count towards it, so they can
     * always go.  A primary that cannot launch keeps the old tasks. */
    if (c->can_start || c->primary_healthy >= c->desired) {
        int surplus = clamp0(c->primary_healthy + c->old_healthy - floor_healthy);
        int unhealthy_old = clamp0(c->old_live - c->old_healthy);
        int healthy_old_stop = surplus < c->old_healthy ? surplus : c->old_healthy;
        p.stop_old = unhealthy_old + healthy_old_stop;
        if (p.stop_old > c->old_live)
            p.stop_old = c->old_live;
    }
    *ret_plan = p;
}

bool deploy_is_steady(const struct deploy_counts *c)
{
    return c->primary_live == c->desired && c->primary_healthy == c->desired && c->old_live == 0 && c->stopping == 0;
}
