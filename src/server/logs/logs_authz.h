/* logs_authz.h - the authorisation rules of CloudWatch Logs' actions
 * (server/http/authz.h), and the log stream resource berth's agent
 * protocol shares for its own PutLogEvents. */
#pragma once

#include <stddef.h>

#include "server/http/api.h"

const struct authz_rule *logs_authz_rules(size_t *ret_n);
/* The stream `in` names (logGroupName or logGroupIdentifier, and
 * logStreamName): arn:aws:logs:REGION:ACCOUNT:log-group:G:log-stream:S. */
int logs_authz_stream(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err);
