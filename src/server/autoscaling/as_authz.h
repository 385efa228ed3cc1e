/* as_authz.h - the authorisation rules of Application Auto Scaling's
 * actions (server/http/authz.h). */
#pragma once

#include <stddef.h>

#include "server/http/api.h"

const struct authz_rule *as_authz_rules(size_t *ret_n);
