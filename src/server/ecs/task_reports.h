/* task_reports.h - the actions by which agents report their tasks' state:
 * SubmitTaskStateChange, SubmitContainerStateChange, and berth's
 * ReportHealth and ReportAttachments. */
#pragma once

#include <jansson.h>

#include "server/http/api.h"

API_ACTION(action_submit_task_state_change);
API_ACTION(action_submit_container_state_change);
API_ACTION(action_berth_report_health);
API_ACTION(action_berth_report_attachments);
/* BerthAgent.PutLogEvents, checked to be the caller's own task's stream. */
API_ACTION(action_berth_ship_logs);
