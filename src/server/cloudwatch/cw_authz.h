/* cw_authz.h - the authorisation rules of CloudWatch's metric actions
 * (server/http/authz.h). */
#pragma once

#include <stddef.h>

#include "server/http/api.h"

const struct authz_rule *cw_authz_rules(size_t *ret_n);
