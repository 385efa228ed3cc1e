/* store_tasks.h - tasks in the store. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/timeutil.h"
#include "server/store/store.h"

struct task_row {
    int64_t id;
    int64_t cluster_id;
    char uuid[33];
    int64_t instance_id; /* 0: none */
    char family[256];
    char *taskdef_arn;
    char *started_by;
    char *group;
    char *service_name;
    char launch_type[16];
    char desired_status[16];
    char last_status[16];
    usec_t created_at;
    usec_t stopped_at; /* 0 until STOPPED */
    int64_t seq;       /* bumped whenever the agent must look again */
    int64_t res_cpu, res_memory;
    bool holds_resources; /* res_* (and host ports) are reserved on the instance */
    char *client_token;
    json_t *doc; /* the Task shape plus berth's private members; owned */
    /* As read (read_task): an update that changes neither leaves the five
     * indexes that lead with them alone (SQLite rewrites every index with
     * a column in the SET list, changed or not). */
    bool was_read;
    int64_t was_instance_id;
    char was_desired_status[16];
};

void task_row_clear(struct task_row *row);

/* 1 found, 0 absent, -1 error. */
int store_task_get(struct store_tx *tx, int64_t cluster_id, const char *uuid, struct task_row *ret_row,
                   struct error *err);
int store_task_get_by_id(struct store_tx *tx, int64_t id, struct task_row *ret_row, struct error *err);
/* Insert (row->id == 0; sets it) or update. */
int store_task_put(struct store_tx *tx, struct task_row *row, struct error *err);
/* The next value of the agent-visible change sequence. */
int store_task_next_seq(struct store_tx *tx, int64_t *ret_seq, struct error *err);
/* The last value handed out (every change up to it is visible in this tx). */
int store_task_current_seq(struct store_tx *tx, int64_t *ret_seq, struct error *err);

struct task_filter {
    const char *desired_status; /* required */
    int64_t instance_id;        /* 0: any */
    const char *family;
    const char *started_by;
    const char *service_name;
    const char *launch_type;
};
int store_task_list(struct store_tx *tx, int64_t cluster_id, const struct task_filter *f, const char *after, int limit,
                    json_t *ret_uuids, bool *ret_more, struct error *err);
/* Ids of an instance's tasks changed after seq `since`, in seq order. */
int store_task_changed_since(struct store_tx *tx, int64_t instance_id, int64_t since, int limit, json_t *ret_ids,
                             struct error *err);
/* Ids of a cluster's tasks changed after seq `since` whose instance carries
 * the attribute agent_attr = agent_id (the instances one agent registered),
 * in seq order. */
int store_task_changed_since_agent(struct store_tx *tx, int64_t cluster_id, const char *agent_attr,
                                   const char *agent_id, int64_t since, int limit, json_t *ret_ids, struct error *err);
/* Ids of tasks created with this client token in the cluster. */
int store_task_by_token(struct store_tx *tx, int64_t cluster_id, const char *token, json_t *ret_ids, struct error *err);
int store_task_counts(struct store_tx *tx, int64_t cluster_id, int64_t *ret_running, int64_t *ret_pending,
                      struct error *err);
/* Delete tasks STOPPED before `before`; *ret_count gets how many. */
int store_task_expire(struct store_tx *tx, usec_t before, int64_t *ret_count, struct error *err);
