/* proto.h - the agent protocol: the names both the server and the agent
 * (and the CLI) use on the wire, defined once.
 *
 * Agents speak ECS's own calls (RegisterContainerInstance,
 * SubmitTaskStateChange, ...) under the ECS target, CloudWatch Logs calls
 * under the Logs target, and berth's own calls under PROTO_AGENT_TARGET,
 * validated by their handlers since no botocore model describes them. */
#pragma once

/* X-Amz-Target prefixes: "<prefix>.<Action>". */
#define PROTO_ECS_TARGET "AmazonEC2ContainerServiceV20141113"
#define PROTO_LOGS_TARGET "Logs_20140328"
#define PROTO_AGENT_TARGET "BerthAgent_20261122"

/* berth's own calls (PROTO_AGENT_TARGET). */
#define PROTO_POLL_TASKS "PollTasks"                 /* long-poll for an instance's (or agent's) tasks */
#define PROTO_REPORT_HEALTH "ReportHealth"           /* container health status */
#define PROTO_REPORT_ATTACHMENTS "ReportAttachments" /* a task's network interfaces */
#define PROTO_REPORT_METRICS "ReportMetrics"         /* a task's cpu and memory use (cgroup samples) */
#define PROTO_PUT_LOG_EVENTS "PutLogEvents"          /* idempotent log shipping */
#define PROTO_SUBMIT_REPORTS "SubmitReports"         /* queued reports in one call */

/* A task's execution role credentials, for the agent that runs it. */
#define PROTO_GET_TASK_CREDENTIALS "GetTaskCredentials"
/* A task's scale-in protection, read or set for the task endpoint's
 * $ECS_AGENT_URI/task-protection/v1/state (server/ecs/task_protection.h). */
#define PROTO_TASK_PROTECTION "TaskProtection"
/* Registration with a cluster registration token or an IAM identity; the
 * answer carries the instance's own credentials (server/ecs/agent_register.h). */
#define PROTO_REGISTER "RegisterContainerInstance"
/* Cluster registration tokens (server/ecs/registration_tokens.h). */
#define PROTO_CREATE_REGISTRATION_TOKEN "CreateRegistrationToken"
#define PROTO_LIST_REGISTRATION_TOKENS "ListRegistrationTokens"
#define PROTO_REVOKE_REGISTRATION_TOKEN "RevokeRegistrationToken"
/* An operator takes a Fargate agent's Spot capacity back (berth instance reclaim). */
#define PROTO_RECLAIM_INSTANCE "ReclaimInstance"
/* A task's stop deadline in seconds (a Spot interruption's warning): the
 * agent kills its containers by then whatever their stopTimeout. */
#define PROTO_STOP_DEADLINE "stopDeadlineSeconds"

/* The attribute a hollow agent registers its instances with, so that one
 * bulk PollTasks {agentId} answers for all of them. */
#define PROTO_AGENT_ID_ATTRIBUTE "berth.agent-id"

/* ECS Exec: the WebSocket paths of a session on the server's listener (the
 * client's and the agent's), and the frames berth exec and the agent
 * exchange through the server's relay (binary; the first byte says what
 * follows):
 *   client -> agent: 'i' stdin bytes, 'E' end of stdin
 *   agent -> client: 'o' stdout bytes, 'e' stderr bytes, 'x' the exit
 *                    status in decimal (the last frame), 'f' why the
 *                    command could not start (then the close).
 * Each end's first frame is text: {"TokenValue": "<its token>"}.  A
 * client that opens with Session Manager's OpenDataChannelInput gets that
 * protocol instead; the server translates (server/ecs/exec_ssm.c). */
#define PROTO_EXEC_CLIENT_PATH "/v1/data-channel/"
#define PROTO_EXEC_AGENT_PATH "/v1/agent-channel/"
#define PROTO_EXEC_STDIN 'i'
#define PROTO_EXEC_STDIN_EOF 'E'
#define PROTO_EXEC_STDOUT 'o'
#define PROTO_EXEC_STDERR 'e'
#define PROTO_EXEC_EXIT 'x'
#define PROTO_EXEC_FAILED 'f'
