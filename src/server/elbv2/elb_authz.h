/* elb_authz.h - what each ELB action asks of IAM (elb_authz.c). */
#pragma once

#include <stddef.h>

#include "server/http/authz.h"

/* The rules, sorted by action name as elb_service.c's table. */
const struct authz_rule *elb_authz_rules(size_t *ret_n);
