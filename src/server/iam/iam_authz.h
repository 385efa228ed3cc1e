/* iam_authz.h - the authorisation rules (server/http/authz.h) of IAM's
 * and STS's actions, for their services' struct api_service (.authz,
 * .nauthz).  Each table covers more actions than berth may serve: a rule
 * for an action a service lacks is unused; an action without a rule stops
 * the server at startup (dispatch_register). */
#pragma once

#include <stddef.h>

#include "server/http/authz.h"

const struct authz_rule *iam_authz_rules(size_t *ret_n);
const struct authz_rule *sts_authz_rules(size_t *ret_n);
