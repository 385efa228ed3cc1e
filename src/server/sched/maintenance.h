/* maintenance.h - the server's periodic housekeeping: expire tasks stopped
 * over an hour ago, remove task definitions left DELETE_IN_PROGRESS, delete
 * log events past their group's retention and those of deleted log streams
 * and groups, and CloudWatch metric points older than 15 days. */
#pragma once

#include "common/timeutil.h"

#define MAINTENANCE_INTERVAL (5 * USEC_PER_SEC)

/* One pass; arg is the struct store. */
void maintenance_pass(void *arg);
