/* taskset_round.c - the scheduler round of an EXTERNAL service (see
 * taskset_round.h).  Each task set is scaled on its own, as ECS does:
 * missing tasks are launched with the task set's definition, launch type
 * and network configuration (reconcile_ops launches for the "primary" the
 * round points at, so the round points it at each task set in turn), extra
 * ones stop newest first.  There is no rolling deployment, circuit breaker
 * or rollback: moving traffic and tasks between task sets is the external
 * controller's job.  The handlers (ecs/task_sets.c) record the intent. */
#include "server/sched/taskset_round.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/task_status.h"
#include "server/ecs/task_sets.h"

/* What one task set has now. */
struct set_state {
    int live;     /* tasks meant to run */
    int healthy;  /* of those, RUNNING (and HEALTHY with a health check) */
    int stopping; /* tasks on their way out */
};

/* Stop `count` of the set's live tasks (idx[] into tasks), newest first. */
static int stop_newest(struct round *r, const struct service_task *tasks, int *idx, size_t m, int count,
                       const char *reason, struct error *err)
{
    for (; count > 0; count--) {
        ssize_t best = -1;
        for (size_t k = 0; k < m; k++)
            if (idx[k] >= 0 && (best < 0 || tasks[idx[k]].created_at >= tasks[idx[best]].created_at))
                best = (ssize_t)k;
        if (best < 0)
            break;
        if (reconcile_ops_stop_task(r, &tasks[idx[best]], reason, err) < 0)
            return -1;
        idx[best] = -1;
    }
    return 0;
}

/* Count the set's tasks (stopping those UNHEALTHY past the grace period);
 * idx[] gets the live ones. */
static int count_set(struct round *r, struct dep *d, const struct service_task *tasks, size_t n, int *idx,
                     struct set_state *st, struct error *err)
{
    const char *id = jstr(d->json, "id");
    for (size_t i = 0; i < n; i++) {
        const struct service_task *t = &tasks[i];
        if (strcmp(t->started_by, id) != 0)
            continue;
        bool stopped_now = false;
        if (!task_status_is(t->desired_status, TASK_STATUS_RUNNING)) {
            st->stopping++;
            continue;
        }
        if (reconcile_ops_check_unhealthy(r, t, d, &stopped_now, err) < 0)
            return -1;
        if (stopped_now) {
            st->stopping++;
            continue;
        }
        idx[st->live++] = (int)i;
        st->healthy += reconcile_ops_is_healthy(t, d);
    }
    return 0;
}

static void set_stability(struct round *r, json_t *set, bool steady)
{
    const char *now = steady ? "STEADY_STATE" : "STABILIZING";
    if (strcmp(jstr(set, "stabilityStatus"), now) == 0)
        return;
    json_object_set_new(set, "stabilityStatus", json_string(now));
    json_object_set_new(set, "stabilityStatusAt", json_real(time_to_epoch_seconds(r->ctx->now)));
}

/* One task set: scale it to its count; *ret_gone once a DRAINING one is empty. */
static int one_set(struct round *r, struct dep *d, const struct service_task *tasks, size_t n, bool *ret_steady,
                   bool *ret_gone, struct error *err)
{
    json_t *set = d->json;
    bool draining = strcmp(jstr(set, "status"), "DRAINING") == 0;
    json_int_t want =
        draining ? 0 : task_sets_computed_count(jint(r->row->doc, "desiredCount"), json_object_get(set, "scale"));
    if (jint(set, "computedDesiredCount") != want)
        json_object_set_new(set, "computedDesiredCount", json_integer(want));
    _cleanup_free_ int *idx = calloc(n + 1, sizeof(int));
    if (!idx)
        return error_set(err, ERR_INTERNAL, "out of memory");
    struct set_state st = {0};
    if (count_set(r, d, tasks, n, idx, &st, err) < 0)
        return -1;
    char reason[120];
    snprintf(reason, sizeof(reason), "Scaling activity initiated by (task-set %s)", jstr(set, "id"));
    bool acted = false;
    if (st.live > want) {
        if (stop_newest(r, tasks, idx, (size_t)st.live, st.live - (int)want, reason, err) < 0)
            return -1;
        acted = true;
    } else if (st.live < want && d->taskdef) {
        r->primary = d;
        r->task_set = set;
        bool may = reconcile_ops_may_launch(r);
        int rc = may ? reconcile_ops_launch(r, (int)want - st.live, NULL, 0, true, NULL, err) : 0;
        r->primary = NULL;
        r->task_set = NULL;
        if (rc < 0)
            return -1;
        acted = true;
    }
    bool steady = !acted && st.stopping == 0 && st.live == want && st.healthy == want;
    set_stability(r, set, steady);
    *ret_steady = steady;
    *ret_gone = draining && st.live == 0 && st.stopping == 0;
    return 0;
}

/* Tasks whose startedBy names no task set of the service stop. */
static int stop_strays(struct round *r, const struct service_task *tasks, size_t n, bool *acted, struct error *err)
{
    for (size_t i = 0; i < n; i++) {
        const struct service_task *t = &tasks[i];
        if (!task_status_is(t->desired_status, TASK_STATUS_RUNNING) || reconcile_ops_dep(r, t->started_by))
            continue;
        if (reconcile_ops_stop_task(r, t, "Task set deleted", err) < 0)
            return -1;
        *acted = true;
    }
    return 0;
}

int taskset_round(struct round *r, struct service_task *tasks, size_t n, struct error *err)
{
    json_t *sets = json_object_get(r->row->doc, "taskSets");
    bool acted = false;
    if (stop_strays(r, tasks, n, &acted, err) < 0)
        return -1;
    bool steady = !acted;
    _cleanup_free_ bool *gone = calloc(r->ndeps + 1, sizeof(bool));
    if (!gone)
        return error_set(err, ERR_INTERNAL, "out of memory");
    for (size_t i = 0; i < r->ndeps; i++) {
        bool set_steady = false;
        if (one_set(r, &r->deps[i], tasks, n, &set_steady, &gone[i], err) < 0)
            return -1;
        steady &= set_steady;
    }
    /* r->deps point into the array: remove from the end, after the loop. */
    for (size_t i = json_array_size(sets); i-- > 0;) {
        for (size_t k = 0; k < r->ndeps; k++)
            if (gone[k] && r->deps[k].json == json_array_get(sets, i)) {
                json_array_remove(sets, i);
                break;
            }
    }
    r->primary = NULL;
    return reconcile_ops_complete(r, steady, err);
}
