/* arn.h - ECS ARNs in the long format:
 *   arn:aws:ecs:REGION:ACCOUNT:cluster/NAME
 *   arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY:REVISION
 *   arn:aws:ecs:REGION:ACCOUNT:task/CLUSTER/ID            (and service/,
 *   container-instance/ likewise) */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct op_ctx;

struct arn {
    char region[33];
    char account[13];
    char type[32];       /* "cluster", "task-definition", "task", ... */
    char resource[1024]; /* everything after "type/" */
};

/* Parse an ECS ARN; false if s is not one. */
bool arn_parse(const char *s, struct arn *ret_arn);
/* Format "arn:aws:ecs:<region>:<account>:<type>/<resource>" into a malloc'd
 * string (NULL on OOM). */
char *arn_format(const struct op_ctx *ctx, const char *type, const char *resource);
/* Same into a caller buffer; false if it does not fit. */
bool arn_format_buf(char *buf, size_t cap, const struct op_ctx *ctx, const char *type, const char *resource);
