/* secrets_authz.h - the authorisation rules of Secrets Manager's actions
 * (server/http/authz.h). */
#pragma once

#include <stddef.h>

#include "server/http/api.h"

const struct authz_rule *secrets_authz_rules(size_t *ret_n);
