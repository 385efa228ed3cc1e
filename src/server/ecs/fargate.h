/* fargate.h - the FARGATE launch type: what a task must be to run on it
 * and where it runs.  berth's Fargate capacity is the agents started with
 * `berth agent --fargate`: they report FARGATE_ATTRIBUTE = "true", take
 * only FARGATE tasks, and those take no other instance. */
#pragma once

#include <jansson.h>

#include "common/error.h"

#define FARGATE_ATTRIBUTE "berth.fargate"
#define FARGATE_PLATFORM_VERSION "1.4.0"

/* Check a task of taskdef may be launched as launch_type with the
 * requested platformVersion (NULL: none): FARGATE needs a definition
 * compatible with it, and LATEST (or nothing) means
 * FARGATE_PLATFORM_VERSION; other launch types take no platformVersion.
 * *ret_version is the concrete version for FARGATE, else NULL. */
int fargate_check_launch(json_t *taskdef, const char *launch_type, const char *platform_version,
                         const char **ret_version, struct error *err);
