/* http_limits.h - bounds on what the listener and the dispatcher read, and
 * the API-wide ones every service applies (pages, tags).  Each server
 * folder keeps its own bounds beside it; shared ones: common/limits.h. */
#pragma once

#include "common/limits.h"

/* An oversized body up to this size is read and dropped so the client gets
 * the error response; beyond it the connection is answered and closed. */
#define LIMIT_HTTP_DISCARD (32ull * 1024 * 1024)

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

/* Concurrent HTTP connections (berth server --max-connections,
 * --max-connections-per-ip): enough for 2,000 idle clients on one address
 * beside the agents and CLIs.  Each takes a thread and one fd. */
#define LIMIT_HTTP_CONNECTIONS 4096
#define LIMIT_HTTP_CONNECTIONS_PER_IP 2048
/* fds kept back from connections: the store, its WAL, logs, clients the
 * server opens itself. */
#define LIMIT_HTTP_FD_RESERVE 128
/* A connection's thread stack: a request needs tens of KiB (jansson,
 * SQLite, SigV4); 4,096 default 8 MiB stacks would be 32 GiB of address
 * space. */
#define LIMIT_HTTP_THREAD_STACK (512u * 1024)
/* Seconds a whole request may take to arrive (berth server
 * --request-timeout); longer than the agent's long-poll (30 s at most). */
#define LIMIT_HTTP_REQUEST_TIMEOUT 60

/* AWS services one listener serves (ECS, Logs, berth's agent calls, and
 * those to come: IAM, STS, SSM, ...). */
#define LIMIT_API_SERVICES 16

/* A load balancer's generated HAProxy configuration, and what its stats
 * socket may answer to one command (elb_proxy.c). */
#define LIMIT_ELB_CONFIG (8u * 1024 * 1024)
#define LIMIT_ELB_STATS_REPLY (16u * 1024 * 1024)
