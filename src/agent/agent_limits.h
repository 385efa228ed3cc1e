/* agent_limits.h - every bound on input the agent reads from a registry, a
 * child process, a container or disk, in one place (shared ones:
 * common/limits.h). */
#pragma once

#include "common/limits.h"

/* Images (src/agent): a manifest or index (Docker's own cap is 4 MiB), an
 * image config, a token-service response, the entries of an index and the
 * layers of one image. */
#define LIMIT_IMAGE_MANIFEST (4u * 1024 * 1024)
#define LIMIT_IMAGE_CONFIG (8u * 1024 * 1024)
#define LIMIT_REGISTRY_TOKEN (64u * 1024)
#define LIMIT_REGISTRY_ERROR_BODY (64u * 1024)
#define LIMIT_IMAGE_INDEX_ENTRIES 256
#define LIMIT_IMAGE_LAYERS 128

/* Image reference pieces, as Docker's reference grammar bounds them. */
#define LIMIT_IMAGE_REF 512
#define LIMIT_IMAGE_NAME 255
#define LIMIT_IMAGE_TAG 128

/* Strings in an image config or container definition (Env, Cmd, ...). */
#define LIMIT_IMAGE_CONFIG_STRINGS 4096

/* Path of one archive entry inside a layer. */
#define LIMIT_LAYER_PATH 4096

/* --- agent runtime (bundle, conmon, runc/crun, cgroups) --- */
/* A container id: the runtime's id, a cgroup and a directory name. */
#define LIMIT_CTR_ID 64

/* An image's /etc/passwd or /etc/group, read to resolve `user`. */
#define LIMIT_PASSWD_BYTES (1u * 1024 * 1024)

/* Supplementary groups we give a container's process. */
#define LIMIT_SUPP_GROUPS 64

/* Output of a runtime/conmon child that we keep (error messages, `state`). */
#define LIMIT_CHILD_OUTPUT (64u * 1024)

/* What conmon writes on its sync pipe ({"data": PID}). */
#define LIMIT_CONMON_SYNC 4096

/* Our per-container state file and a cgroup file we parse. */
#define LIMIT_STATE_FILE (256u * 1024)
#define LIMIT_CGROUP_FILE (64u * 1024)

/* Containers one data directory lists (adoption after a restart). */
#define LIMIT_CTR_LIST 4096

/* Overlay lower layers (overlayfs itself stops at 500). */
#define LIMIT_OVERLAY_LAYERS 500

/* How long conmon may take to report the container pid after `create`. */
#define LIMIT_CREATE_TIMEOUT_SEC 60

/* Runtime subcommands other than exec (start, kill, delete, state). */
#define LIMIT_RUNTIME_CMD_TIMEOUT_SEC 30

/* Task networking: the widest task subnet an agent manages (a bitmap of
 * 2^(32-prefix) bits per pool), port mappings per task, the netlink
 * answer buffer and how long one `nft -f -` batch may take. */
#define LIMIT_NET_MIN_PREFIX 16
#define LIMIT_NET_PORT_MAPPINGS 256
#define LIMIT_NET_NFT_RULESET (1024u * 1024)
#define LIMIT_NET_NFT_TIMEOUT_SEC 10
/* The DNS relay (net/dnsrelay.c): a datagram's size, queries awaiting an
 * answer at once, and how long one may wait. */
#define LIMIT_DNS_RELAY_DATAGRAM 4096
#define LIMIT_DNS_RELAY_PENDING 1024
#define LIMIT_DNS_RELAY_TIMEOUT_MS 3000

/* Agent log drivers (src/agent/logship.c).  A k8s-file record conmon
 * writes (its buffer is 8 KiB; anything longer than this is skipped), the
 * events an awslogs shipper holds in memory in blocking mode before it
 * lets the file be its buffer, and how long a stopping container's last
 * lines may take to reach the server. */
#define LIMIT_LOGSHIP_RECORD (64u * 1024)
#define LIMIT_LOGSHIP_QUEUE_BYTES (4u * 1024 * 1024)
#define LIMIT_LOGSHIP_DRAIN_SEC 60

/* One batch's request as JSON, which the server's body limit must take:
 * control characters are six bytes escaped, so a batch of 1 MiB of
 * messages can be 6 MiB of JSON.  16 KiB are left for the names around
 * the events; one event of the largest size always fits. */
#define LIMIT_LOGSHIP_REQUEST_BYTES (LIMIT_HTTP_BODY - 16u * 1024)
#define LIMIT_LOGSHIP_EVENT_ENVELOPE 48 /* {"timestamp":<int64>,"message":<string>}, */

/* The shipper's progress file. */
#define LIMIT_LOGSHIP_STATE 4096

/* --- task secrets (task/task_secrets.c) --- */
/* `secrets` of one container, and the size of one resolved value (Secrets
 * Manager's own cap is 64 KiB; an SSM advanced parameter's 8 KiB). */
#define LIMIT_CTR_SECRETS 64
#define LIMIT_SECRET_VALUE (64u * 1024)

/* ECS Exec (task/task_exec.c): sessions running at once on one agent, and
 * the words of one command. */
#define LIMIT_EXEC_RUNNING 16
#define LIMIT_EXEC_ARGV 256

/* Containers of one task whose I/O the metrics sampler reports (ECS allows
 * ten per task definition; the rest of a larger task are left out). */
#define LIMIT_METRICS_CONTAINERS 16
/* Files and directories of one container's writable layer the sampler
 * walks to measure its ephemeral storage; a larger layer goes unmeasured
 * (no figure) rather than taking a long walk every interval. */
#define LIMIT_METRICS_EPHEMERAL_ENTRIES 200000
