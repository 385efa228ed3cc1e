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
/* Registration with a cluster registration token or an IAM identity; the
 * answer carries the instance's own credentials (server/ecs/agent_register.h). */
#define PROTO_REGISTER "RegisterContainerInstance"
/* Cluster registration tokens (server/ecs/registration_tokens.h). */
#define PROTO_CREATE_REGISTRATION_TOKEN "CreateRegistrationToken"
#define PROTO_LIST_REGISTRATION_TOKENS "ListRegistrationTokens"
#define PROTO_REVOKE_REGISTRATION_TOKEN "RevokeRegistrationToken"

/* The attribute a hollow agent registers its instances with, so that one
 * bulk PollTasks {agentId} answers for all of them. */
#define PROTO_AGENT_ID_ATTRIBUTE "berth.agent-id"
