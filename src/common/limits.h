/* limits.h - bounds both sides of the agent protocol agree on: request
 * bodies, report batches, CloudWatch Logs batch rules.  Bounds only one side
 * reads are in server/server_limits.h and agent/agent_limits.h. */
#pragma once

/* HTTP request body for the JSON APIs.  RegisterTaskDefinition is capped at
 * 64 KiB by ECS; PutLogEvents batches may be up to 1 MiB; we leave headroom
 * for JSON escaping. */
#define LIMIT_HTTP_BODY (2u * 1024 * 1024)

/* Reports one BerthAgent.SubmitReports call carries (the agent's batch). */
#define LIMIT_BATCH_REPORTS 64

/* Response bodies the HTTP client (agent, CLI) accepts from the server. */
#define LIMIT_CLIENT_RESPONSE (64u * 1024 * 1024)
/* Server URLs one client (an agent's --server URL,URL,...) fails over between. */
#define LIMIT_CLIENT_ENDPOINTS 8

/* CloudWatch Logs (the service's documented quotas, and berth's bounds). */
#define LIMIT_LOGS_BATCH_BYTES 1048576 /* PutLogEvents: sum of (message bytes + 26) */
#define LIMIT_LOGS_EVENT_OVERHEAD 26
#define LIMIT_LOGS_BATCH_EVENTS 10000
#define LIMIT_LOGS_EVENT_BYTES (262144 - 26) /* one event's message */
#define LIMIT_LOGS_RESPONSE_BYTES 1048576    /* GetLogEvents / FilterLogEvents answer */

/* berth extension: a shipper id's length. */
#define LIMIT_LOGS_SHIPPER_ID 256

/* CloudWatch Logs group and stream names. */
#define LIMIT_LOGS_NAME 512

/* FilterLogEvents with at most this many selected streams merges their
 * per-stream walks; with more it walks the group and skips the others. */
#define LIMIT_LOGS_MERGE_STREAMS 32

/* AWS credentials (common/aws_credentials.c): the shared credentials file
 * read, and each value taken from it or the environment.  Session tokens
 * from STS are typically under 2 KiB. */
#define LIMIT_AWS_CREDENTIALS_FILE (256u * 1024)
#define LIMIT_AWS_ACCESS_KEY_ID 128
#define LIMIT_AWS_SECRET_KEY 128
#define LIMIT_AWS_SESSION_TOKEN 4096
#define LIMIT_AWS_PROFILE 128
#define LIMIT_AWS_REGION 32

/* WebSocket (common/ws.c, ECS Exec): one frame's payload, the handshake's
 * header block, and how long a started frame or handshake may take. */
#define LIMIT_WS_FRAME (64u * 1024)
#define LIMIT_WS_HANDSHAKE 8192
#define LIMIT_WS_IO_TIMEOUT_SEC 30
