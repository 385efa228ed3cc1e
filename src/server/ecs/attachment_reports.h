/* attachment_reports.h - SubmitAttachmentStateChanges: an agent (or an
 * operator acting for one) reports the status of its tasks' attachments. */
#pragma once

#include <jansson.h>

#include "server/http/api.h"

API_ACTION(action_submit_attachment_state_changes);
