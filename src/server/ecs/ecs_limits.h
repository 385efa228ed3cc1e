/* ecs_limits.h - bounds particular to ECS requests and the agent protocol. */
#pragma once

#include "common/limits.h"

/* ECS's quotas (Amazon ECS service quotas): defaults of berth server's
 * --max-cluster-services and --max-cluster-instances, like
 * --max-service-tasks for a service's desiredCount. */
#define LIMIT_CLUSTER_SERVICES 5000
#define LIMIT_CLUSTER_INSTANCES 5000

/* A deleted cluster stays INACTIVE in ListClusters this long (ECS:
 * "might remain discoverable in your account for a period of time"). */
#define ECS_INACTIVE_CLUSTER_LISTED_SEC 3600

/* RunTask/StartTask: containerOverrides as compact JSON (ECS: "A total of
 * 8192 characters are allowed for overrides"). */
#define LIMIT_CONTAINER_OVERRIDES_BYTES 8192

/* ECS's documented limit for a task definition's JSON. */
#define LIMIT_TASKDEF_BYTES (64u * 1024)

/* Tasks one bulk PollTasks (agentId: all of a hollow agent's instances)
 * returns; the agent asks again from the last seq for the rest. */
#define POLL_BULK_MAX_TASKS 1000

/* ECS Exec (exec_sessions.c): sessions open at once on one server, the
 * time a session's tokens stay good for connecting, ExecuteCommand's
 * command string and the words it splits into. */
#define LIMIT_EXEC_SESSIONS 64
#define LIMIT_EXEC_CONNECT_SEC 60
#define LIMIT_EXEC_COMMAND 4096
#define LIMIT_EXEC_ARGS 256
/* A Session Manager client (exec_ssm.c) is read for this long after the
 * session ends, until it hangs up: closing with its acknowledgements
 * unread would reset the connection, and it could lose the end. */
#define LIMIT_EXEC_SSM_LINGER_MS 3000
/* Output messages a Session Manager client has not acknowledged yet,
 * kept for resending (the plugin drops output that comes before its
 * session handler is in place, unacknowledged); while this many wait the
 * agent's output waits too.  Resent after LIMIT_EXEC_SSM_RESEND_MS. */
#define LIMIT_EXEC_SSM_UNACKED 16
#define LIMIT_EXEC_SSM_RESEND_MS 300

/* ECS Exec transcripts (exec_log.c): a line longer than this is cut into
 * events of this size; the relay writes what waits once this many bytes
 * wait, or after LIMIT_EXEC_LOG_FLUSH_MS. */
#define LIMIT_EXEC_LOG_LINE 16384
#define LIMIT_EXEC_LOG_PENDING (256 * 1024)
#define LIMIT_EXEC_LOG_FLUSH_MS 1000
