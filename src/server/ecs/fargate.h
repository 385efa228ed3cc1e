/* fargate.h - the FARGATE launch type: what a task must be to run on it
 * and where it runs.  berth's Fargate capacity is the agents started with
 * `berth agent --fargate`: they report FARGATE_ATTRIBUTE = "true", take
 * only FARGATE tasks, and those take no other instance. */
#pragma once

#include <jansson.h>

#include "common/error.h"
#include "server/http/api.h"

#define FARGATE_ATTRIBUTE "berth.fargate"
#define FARGATE_PLATFORM_VERSION "1.4.0"

/* Check a task of taskdef may be launched as launch_type with the
 * requested platformVersion (NULL: none): FARGATE needs a definition
 * compatible with it, and LATEST (or nothing) means
 * FARGATE_PLATFORM_VERSION; other launch types take no platformVersion.
 * *ret_version is the concrete version for FARGATE, else NULL. */
int fargate_check_launch(json_t *taskdef, const char *launch_type, const char *platform_version,
                         const char **ret_version, struct error *err);
/* UpdateService's Fargate checks on the service document doc, after its
 * new capacity provider strategy (if any) is in place: the new definition
 * taskdef (NULL: none given), or the current one (td_arn) when the
 * strategy changed, must suit the launch type the service now has (a
 * FARGATE or FARGATE_SPOT strategy is FARGATE's); a FARGATE service shows
 * platformVersion LATEST unless given, and a given one sets *redeploy. */
int fargate_update_service(struct op_ctx *ctx, json_t *in, json_t *doc, json_t *taskdef, const char *td_arn,
                           bool *redeploy, struct error *err);
