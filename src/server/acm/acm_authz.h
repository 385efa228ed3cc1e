/* acm_authz.h - the authorisation rules of Certificate Manager's actions
 * (server/http/authz.h). */
#pragma once

#include <stddef.h>

#include "server/http/api.h"

const struct authz_rule *acm_authz_rules(size_t *ret_n);
