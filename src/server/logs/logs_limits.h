/* logs_limits.h - bounds on CloudWatch Logs work per call and per pass. */
#pragma once

#include "common/limits.h"

/* FilterLogEvents examines at most this many events per call and then
 * returns a nextToken, as CloudWatch does, so one call stays short. */
#define LIMIT_LOGS_SCAN_EVENTS 200000
/* ... and holds at most about this much of the stored events at once
 * (the slices of streams written at the same time overlap and are read
 * together), then returns a nextToken. */
#define LIMIT_LOGS_SCAN_BYTES (16u << 20)

/* Events a maintenance pass deletes (retention, deleted streams/groups). */
#define LIMIT_LOGS_EXPIRE_PER_PASS 50000
