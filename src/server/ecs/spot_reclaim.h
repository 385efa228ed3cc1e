/* spot_reclaim.h - FARGATE_SPOT interruptions: `berth instance reclaim`
 * (berth's ReclaimInstance call) takes a Fargate agent's Spot capacity
 * back.  Its FARGATE_SPOT tasks are asked to stop with stop code
 * SpotInterruption and ECS's reason; their containers get SIGTERM at once
 * (the two-minute warning) and SIGKILL when their stopTimeout or the
 * warning runs out, whichever comes first.  Services replace them. */
#pragma once

#include "common/proto.h"
#include "server/http/api.h"

/* The Spot warning ECS gives, in seconds; warningSeconds may shorten it. */
#define SPOT_WARNING_SECONDS 120
#define SPOT_STOP_CODE "SpotInterruption"
#define SPOT_STOPPED_REASON "Your Spot Task was interrupted."
/* Where the task's private document keeps the warning for the agent. */
#define SPOT_DEADLINE_KEY PROTO_STOP_DEADLINE

API_ACTION(action_berth_reclaim_instance);
