/* logs.h - the CloudWatch Logs API: log groups and streams (logs.c), events
 * (logs_events.c), and what the maintenance loop calls.
 *
 * Handlers follow api.h: the dispatcher has validated the request against
 * botocore's Logs model, except for BerthAgent_20261122.PutLogEvents
 * (action_berth_put_log_events), which validates its own input. */
#pragma once

#include <jansson.h>

#include "server/http/api.h"
#include "server/store/store_logs.h"

/* ---- logs.c ---- */
API_ACTION(action_logs_create_log_group);
API_ACTION(action_logs_delete_log_group);
API_ACTION(action_logs_describe_log_groups);
API_ACTION(action_logs_create_log_stream);
API_ACTION(action_logs_delete_log_stream);
API_ACTION(action_logs_describe_log_streams);
API_ACTION(action_logs_put_retention_policy);
API_ACTION(action_logs_delete_retention_policy);
API_ACTION(action_logs_tag_log_group);
API_ACTION(action_logs_untag_log_group);
API_ACTION(action_logs_list_tags_log_group);
API_ACTION(action_logs_tag_resource);
API_ACTION(action_logs_untag_resource);
API_ACTION(action_logs_list_tags_for_resource);

/* The group named by `logGroupName` or `logGroupIdentifier` (a name or a
 * log-group ARN) in `in`; ResourceNotFoundException when absent. */
int logs_group_resolve(struct op_ctx *ctx, json_t *in, struct log_group_row *ret_group, struct error *err);
/* The group and stream named by a group name and stream name. */
int logs_group_get(struct op_ctx *ctx, const char *name, struct log_group_row *ret_group, struct error *err);
int logs_stream_get(struct op_ctx *ctx, const struct log_group_row *group, const char *name,
                    struct log_stream_row *ret_stream, struct error *err);
/* logs_group_resolve, then the group's stream named by `logStreamName`. */
int logs_stream_resolve(struct op_ctx *ctx, json_t *in, struct log_group_row *ret_group,
                        struct log_stream_row *ret_stream, struct error *err);
/* Name rules (CloudWatch Logs): InvalidParameterException when broken. */
int logs_check_group_name(const char *name, const char *member, struct error *err);
int logs_check_stream_name(const char *name, const char *member, struct error *err);
/* ctx->now in milliseconds. */
int64_t logs_now_ms(const struct op_ctx *ctx);
/* The sequence token CloudWatch shows after upload upload_seq (56 digits). */
void logs_sequence_token(int64_t upload_seq, char *buf, size_t cap);

/* ---- logs_events.c ---- */
API_ACTION(action_logs_put_log_events);
API_ACTION(action_logs_get_log_events);
API_ACTION(action_logs_filter_log_events);
/* BerthAgent_20261122.PutLogEvents: see logs_events.c. */
API_ACTION(action_berth_put_log_events);

/* Maintenance: delete events past their group's retention and those of
 * deleted streams and groups, a bounded number per call (one write tx). */
int logs_apply_retention(struct store_tx *tx, usec_t now, struct error *err);
