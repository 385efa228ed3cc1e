/* agent_error.h - error kinds of the agent, numbered after the generic ones
 * in common/error.h.  The task engine maps them to ECS stop reasons, e.g.
 * "CannotPullContainerError: ...". */
#pragma once

#include "common/error.h"

enum agent_error_kind {
    ERR_UNAUTHORIZED = ERR_GENERIC_MAX + 1, /* the registry refused our credentials */
    ERR_DIGEST,                             /* content does not match its digest */
    ERR_UNSUPPORTED,                        /* a media type or platform we cannot use */
};
