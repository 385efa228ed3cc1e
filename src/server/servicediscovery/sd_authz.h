/* sd_authz.h - the authorisation rules of Cloud Map's actions
 * (server/http/authz.h). */
#pragma once

#include <stddef.h>

#include "server/http/api.h"

const struct authz_rule *sd_authz_rules(size_t *ret_n);
