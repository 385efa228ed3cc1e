/* placement_limits.h - bounds on the cluster query language. */
#pragma once

#include "common/limits.h"

/* ECS cluster query language: ECS caps a constraint expression at 2000
 * characters; the nesting bound keeps the recursive parser's stack small. */
#define LIMIT_QUERY_EXPRESSION 2000
#define LIMIT_QUERY_DEPTH 64

/* Regular expressions in queries (=~): length, and the largest repetition
 * count ({n,m} bounds, multiplied across the pattern) glibc may expand. */
#define LIMIT_QUERY_PATTERN 256
#define LIMIT_QUERY_REPEAT 100
