/* task_reports.h - the actions by which agents report their tasks' state:
 * SubmitTaskStateChange, SubmitContainerStateChange, and berth's
 * ReportHealth and ReportAttachments. */
#pragma once

#include <jansson.h>

#include "server/http/api.h"

int action_submit_task_state_change(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err);
int action_submit_container_state_change(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err);
int action_berth_report_health(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err);
int action_berth_report_attachments(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err);
