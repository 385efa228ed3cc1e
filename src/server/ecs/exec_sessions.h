/* exec_sessions.h - ECS Exec sessions on this server: made by
 * ExecuteCommand, handed to the task's agent by its PollTasks, and joined
 * on the WebSocket listener (GET /v1/data-channel/<id> for the client,
 * GET /v1/agent-channel/<id> for the agent), where the server relays
 * frames between the two.
 *
 * In memory: a session lives for one connection and is gone at a server
 * restart.  Several servers on one PostgreSQL: the session lives on the
 * server that answered ExecuteCommand, whose address is in both the
 * client's streamUrl and the agent's (agentUrl); the store only carries
 * the agent's half to whichever server the agent polls (store_exec.h).  Each end proves itself
 * with its own token in its first text frame: {"TokenValue": "..."}, as
 * Session Manager's OpenDataChannel does; a token is good for
 * LIMIT_EXEC_CONNECT_SEC and one connection.  A client whose first frame
 * is the plugin's OpenDataChannelInput speaks Session Manager's protocol
 * (exec_ssm.h); berth exec speaks berth's frames (common/proto.h). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

struct exec_sessions;
struct ws_conn;

int exec_sessions_new(struct exec_sessions **ret, struct error *err);
void exec_sessions_free(struct exec_sessions *s);
/* The store sessions' transcripts are written to (not owned). */
struct store;
void exec_sessions_set_store(struct exec_sessions *s, struct store *st);

/* What ExecuteCommand asks for. */
struct exec_request {
    int64_t instance_id; /* the task's container instance */
    const char *task_arn;
    const char *container; /* its name */
    json_t *argv;          /* the command's words (borrowed) */
    bool interactive;
    const char *log_group;  /* where the transcript goes (exec_log.h); NULL: not logged */
    const char *log_region; /* the group's region */
};

/* A new session; ret_id, ret_token (the client's) and ret_agent_token
 * are filled (each at least 80 bytes).  The caller hands the session to
 * the agent through the store (store_exec.h).  ERR_LIMIT when
 * LIMIT_EXEC_SESSIONS are open. */
int exec_sessions_create(struct exec_sessions *s, const struct exec_request *req, char *ret_id, char *ret_token,
                         char *ret_agent_token, struct error *err);

/* The server stops: an end waiting for the other gives up now rather
 * than at its token's expiry (its socket may hold unread frames, so it
 * cannot tell that the listener shut it down). */
void exec_sessions_stop(struct exec_sessions *s);

/* The WebSocket handler (http_ws_fn) for /v1/data-channel/ and
 * /v1/agent-channel/; cls is the struct exec_sessions. */
void exec_sessions_ws(void *cls, const char *path, struct ws_conn *c);
