/* glob.h - shell-style wildcard matching of whole strings: '*' for any run
 * of characters and, with GLOB_QMARK, '?' for any one; GLOB_FOLD ignores
 * ASCII case.  For the ECS query language's wildcards and IAM's action and
 * ARN patterns.  Linear in practice (one backtrack point, as fnmatch). */
#pragma once

#include <stdbool.h>

enum glob_flags {
    GLOB_QMARK = 1 << 0,
    GLOB_FOLD = 1 << 1,
};

bool glob_match(const char *pattern, const char *s, unsigned flags);
