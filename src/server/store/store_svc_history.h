/* store_svc_history.h - the service_history table: a service's
 * deployments (ListServiceDeployments) and revisions
 * (DescribeServiceRevisions), each a JSON document in ECS's shape, kept
 * after the scheduler has moved past them. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/timeutil.h"
#include "server/store/store.h"

struct svc_history_row {
    char arn[512];      /* serviceDeploymentArn or serviceRevisionArn */
    int64_t service_id; /* services.id */
    char kind[16];      /* "deployment" or "revision" */
    char ecs_id[64];    /* the ecs-svc/ deployment driving it now ("" for revisions) */
    char status[32];    /* ServiceDeploymentStatus ("" for revisions) */
    usec_t created_at;
    json_t *doc; /* owned */
};

void svc_history_row_clear(struct svc_history_row *row);

/* Insert or replace the row under its ARN. */
int store_svc_history_put(struct store_tx *tx, const struct svc_history_row *row, struct error *err);
/* 1 found, 0 absent, -1 error. */
int store_svc_history_get(struct store_tx *tx, const char *arn, struct svc_history_row *ret_row, struct error *err);
/* The deployment of service_id that ecs_id drives: 1, 0, -1. */
int store_svc_history_by_ecs_id(struct store_tx *tx, int64_t service_id, const char *ecs_id,
                                struct svc_history_row *ret_row, struct error *err);
/* The service's deployments, newest first, after the ARN `after` (NULL:
 * from the start), created within [created_after, created_before] (0: no
 * bound) and with a status in `statuses` (a JSON array; NULL or empty:
 * any).  *ret_rows is malloc'd (free each row, then it). */
int store_svc_history_list(struct store_tx *tx, int64_t service_id, const char *after, json_t *statuses,
                           usec_t created_after, usec_t created_before, int limit, struct svc_history_row **ret_rows,
                           size_t *ret_count, bool *ret_more, struct error *err);
