/* server_limits.h - every bound on input the control plane reads from the
 * network or disk, in one place (shared ones: common/limits.h). */
#pragma once

#include "common/limits.h"

/* An oversized body up to this size is read and dropped so the client gets
 * the error response; beyond it the connection is answered and closed. */
#define LIMIT_HTTP_DISCARD (32ull * 1024 * 1024)

/* ECS's documented limit for a task definition's JSON. */
#define LIMIT_TASKDEF_BYTES (64u * 1024)

/* JSON nesting deeper than this is refused (no ECS shape nests past ~10). */
#define LIMIT_JSON_DEPTH 64

/* Longest HTTP header value we look at (Authorization, X-Amz-Target). */
#define LIMIT_HEADER_VALUE 8192

/* Pagination */
#define LIMIT_PAGE_DEFAULT 100
#define LIMIT_PAGE_MAX 100
#define LIMIT_NEXT_TOKEN 2048

/* ECS tag limits */
#define LIMIT_TAGS 50
#define LIMIT_TAG_KEY 128
#define LIMIT_TAG_VALUE 256

/* Concurrent HTTP connections the server accepts. */
#define LIMIT_HTTP_CONNECTIONS 1024

/* ECS cluster query language: ECS caps a constraint expression at 2000
 * characters; the nesting bound keeps the recursive parser's stack small. */
#define LIMIT_QUERY_EXPRESSION 2000
#define LIMIT_QUERY_DEPTH 64

/* Regular expressions in queries (=~): length, and the largest repetition
 * count ({n,m} bounds, multiplied across the pattern) glibc may expand. */
#define LIMIT_QUERY_PATTERN 256
#define LIMIT_QUERY_REPEAT 100

/* FilterLogEvents examines at most this many events per call and then
 * returns a nextToken, as CloudWatch does, so one call stays short. */
#define LIMIT_LOGS_SCAN_EVENTS 200000

/* FilterLogEvents with at most this many selected streams merges their
 * per-stream walks; with more it walks the group and skips the others. */
#define LIMIT_LOGS_MERGE_STREAMS 32

/* Events a maintenance pass deletes (retention, deleted streams/groups). */
#define LIMIT_LOGS_EXPIRE_PER_PASS 50000

/* Tasks one bulk PollTasks (agentId: all of a hollow agent's instances)
 * returns; the agent asks again from the last seq for the rest. */
#define POLL_BULK_MAX_TASKS 1000
