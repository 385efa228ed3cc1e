/* store_services.h - services, their events, and the view of a service's
 * tasks that the scheduler and DescribeServices need. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/timeutil.h"
#include "server/store/store.h"

struct service_row {
    int64_t id;
    int64_t cluster_id;
    char region[33];
    char name[256];
    char status[16];              /* ACTIVE, DRAINING, INACTIVE */
    char launch_type[16];         /* EC2, EXTERNAL */
    char scheduling_strategy[16]; /* REPLICA, DAEMON */
    usec_t created_at;
    json_t *doc; /* the Service shape (no counts, no events) plus "berth"; owned */
};

void service_row_clear(struct service_row *row);

/* The service holding `name` in the cluster: the live (not INACTIVE) one,
 * else the newest INACTIVE one.  1 found, 0 absent, -1 error. */
int store_service_get(struct store_tx *tx, int64_t cluster_id, const char *name, struct service_row *ret_row,
                      struct error *err);
int store_service_get_by_id(struct store_tx *tx, int64_t id, struct service_row *ret_row, struct error *err);
/* Insert (row->id == 0; sets it) or update status and doc. */
int store_service_put(struct store_tx *tx, struct service_row *row, struct error *err);
/* Names of a cluster's ACTIVE and DRAINING services after `after`, sorted;
 * launch_type and strategy filter when non-NULL. */
int store_service_list(struct store_tx *tx, int64_t cluster_id, const char *launch_type, const char *strategy,
                       const char *after, int limit, json_t *ret_names, bool *ret_more, struct error *err);
/* Ids of every service that is not INACTIVE, in any cluster. */
int store_service_live_ids(struct store_tx *tx, json_t *ret_ids, struct error *err);
int store_service_counts(struct store_tx *tx, int64_t cluster_id, int64_t *ret_active, int64_t *ret_draining,
                         struct error *err);

/* Append an event and drop all but the newest `keep`. */
int store_service_event_add(struct store_tx *tx, int64_t service_id, const char *uuid, usec_t at, const char *message,
                            int keep, struct error *err);
/* The newest `limit` events, newest first, as {id, createdAt, message}
 * (createdAt in epoch seconds). */
int store_service_events(struct store_tx *tx, int64_t service_id, int limit, json_t *ret_list, struct error *err);

/* One task of a service, as the scheduler weighs it. */
struct service_task {
    int64_t id;
    char uuid[33];
    char started_by[64];
    char desired_status[16];
    char last_status[16];
    char health[16];          /* task healthStatus */
    char stop_code[32];       /* for stopped tasks */
    char instance_status[16]; /* of the instance it is on; "" if none */
    char az[64];              /* availabilityZone; "" if unknown */
    int64_t instance_id;
    usec_t created_at;
    usec_t started_at; /* 0 until RUNNING */
    usec_t stopped_at;
    /* Scale-in protection's end, epoch milliseconds (0: none): the task
     * document's berth.protectedUntilMs (ecs/task_protection.c). */
    int64_t protected_until_ms;
};

/* The service's task counts: fn(ud, started_by ("" for none), last_status,
 * n) for each pair with n > 0, read from trigger-kept counters. */
typedef int (*store_status_count_fn)(void *ud, const char *started_by, const char *last_status, int64_t n,
                                     struct error *err);
int store_service_status_counts(struct store_tx *tx, int64_t cluster_id, const char *service, store_status_count_fn fn,
                                void *ud, struct error *err);
/* The service's tasks that are not STOPPED (stopped == false), or those
 * that became STOPPED after `stopped_after` (stopped == true).  *ret_tasks
 * is malloc'd (free it); *ret_n entries. */
int store_service_tasks(struct store_tx *tx, int64_t cluster_id, const char *service, bool stopped,
                        usec_t stopped_after, struct service_task **ret_tasks, size_t *ret_n, struct error *err);
