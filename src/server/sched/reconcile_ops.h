/* reconcile_ops.h - what one service scheduler round works with: the
 * service, its deployments (with their task definitions) and the actions a
 * round takes (start and stop tasks, record events, count failures, settle a
 * deployment).  Shared by the round's policies in reconcile.c; nothing
 * else includes it. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "server/http/api.h"
#include "server/placement/placement.h"
#include "server/store/store_clusters.h"
#include "server/store/store_services.h"

struct dep {
    json_t *json;    /* borrowed from the service document */
    json_t *taskdef; /* owned; NULL if it can no longer be resolved */
    bool has_health_check;
    bool primary;
};

struct round {
    struct op_ctx *ctx;
    struct service_row *row;
    struct cluster_row cluster;
    json_t *priv; /* the document's "berth" member */
    struct dep *deps;
    size_t ndeps;
    struct dep *primary;
    json_t *task_set; /* while launching for an EXTERNAL service: the task set (borrowed) */
    bool changed;
    bool backed_off; /* launches already pushed back this round */
    json_t *started; /* task ids for the "has started" event */
    json_t *stopped; /* task ids for the "has stopped" event */
};

static inline const char *jstr(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static inline json_int_t jint(json_t *o, const char *key) { return json_integer_value(json_object_get(o, key)); }

/* Resolve the task definition of every deployment (r->deps, r->primary). */
int reconcile_ops_load_deployments(struct round *r, struct error *err);
void reconcile_ops_free(struct round *r);
/* The deployment a task's startedBy names, or NULL. */
struct dep *reconcile_ops_dep(struct round *r, const char *started_by);
json_t *reconcile_ops_dep_json(struct round *r, const char *started_by);
/* Record "(service NAME) message". */
int reconcile_ops_event(struct round *r, const char *message, struct error *err);
/* The "has started N tasks" / "has stopped N running tasks" events. */
int reconcile_ops_flush_events(struct round *r, struct error *err);
/* Ask a task to stop (stopCode ServiceSchedulerInitiated). */
int reconcile_ops_stop_task(struct round *r, const struct service_task *t, const char *reason, struct error *err);
/* A failed task of deployment d (counted while it rolls out); backs launches off. */
void reconcile_ops_note_failure(struct round *r, json_t *d);
/* Launch `count` tasks of the primary deployment; `extra` constraints narrow
 * the instances.  With record_unplaced, a shortfall is an event; the
 * placement failures go to *ret_failures when it is not NULL. */
int reconcile_ops_launch(struct round *r, int count, const struct placement_constraint *extra, size_t nextra,
                         bool record_unplaced, json_t **ret_failures, struct error *err);
int reconcile_ops_unplaced_event(struct round *r, json_t *failures, struct error *err);
/* RUNNING and, when its definition has a health check, HEALTHY. */
bool reconcile_ops_is_healthy(const struct service_task *t, const struct dep *d);
/* Stop t if UNHEALTHY past the grace period (*ret_stopped then true). */
int reconcile_ops_check_unhealthy(struct round *r, const struct service_task *t, const struct dep *d, bool *ret_stopped,
                                  struct error *err);
/* Drop drained deployments; when steady, complete the primary and record
 * the steady state once. */
/* A service with loadBalancers: a task healthy by its containers is
 * healthy only once its targets pass their health checks (*healthy
 * lowered, never raised). */
int reconcile_ops_elb_gate(struct round *r, const struct service_task *t, bool *healthy, struct error *err);
int reconcile_ops_check_elb_unhealthy(struct round *r, const struct service_task *t, bool *ret_stopped,
                                      struct error *err);
int reconcile_ops_complete(struct round *r, bool steady, struct error *err);
/* A stopping task whose load balancer drain has ended goes to its agent
 * (r->changed when it did). */
int reconcile_ops_release_drained(struct round *r, const struct service_task *t, struct error *err);
/* Whether the round still counts task t as one of the service's: 1 and its
 * deployment in *ret_dep if so; 0 if it is stopping, asked before or now
 * (*ret_stopped_now: unhealthy past the grace period). */
int reconcile_ops_task_kept(struct round *r, const struct service_task *t, struct dep **ret_dep, bool *ret_stopped_now,
                            struct error *err);
/* The primary may launch now (service ACTIVE, not FAILED, not backing off). */
bool reconcile_ops_may_launch(struct round *r);
