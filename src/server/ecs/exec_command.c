/* exec_command.c - ExecuteCommand: checks the task (execute command
 * enabled, running, the container running) and opens a session for the
 * task's agent (exec_sessions.c); the answer's streamUrl and tokenValue
 * open it on this server's WebSocket listener.  The session is logged
 * where the cluster's executeCommandConfiguration says (exec_config.c).
 *
 * Authorisation (ecs:ExecuteCommand on the task, with the cluster and
 * container as condition keys) is ecs_authz.c's. */
#include "server/ecs/exec_command.h"

#include <string.h>

#include "common/cleanup.h"
#include "common/proto.h"
#include "common/task_status.h"
#include "server/ecs/clusters.h"
#include "server/ecs/ecs_limits.h"
#include "server/ecs/ecs_service.h"
#include "server/ecs/exec_config.h"
#include "server/ecs/exec_sessions.h"
#include "server/ecs/tasks.h"
#include "server/store/store_exec.h"

/* ECS's words when the task cannot take the command. */
#define NOT_ENABLED                                                                                                    \
    "The execute command failed because execute command was not enabled when the task was run or the execute "         \
    "command agent isn't running. Wait and try again or run a new task with execute command enabled and try again."

int exec_command_split(const char *cmd, json_t *argv, struct error *err)
{
    size_t n = strlen(cmd);
    if (n > LIMIT_EXEC_COMMAND)
        return error_set(err, ERR_INVALID, "command is longer than %d characters.", LIMIT_EXEC_COMMAND);
    _cleanup_free_ char *word = malloc(n + 1);
    if (!word)
        return error_set(err, ERR_INTERNAL, "out of memory");
    size_t w = 0;
    bool in_word = false;
    char quote = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = cmd[i];
        if (quote == '\'') {
            if (ch == '\'')
                quote = 0;
            else
                word[w++] = ch;
            continue;
        }
        if (quote == '"') {
            if (ch == '"')
                quote = 0;
            else if (ch == '\\' && (cmd[i + 1] == '"' || cmd[i + 1] == '\\'))
                word[w++] = cmd[++i];
            else
                word[w++] = ch;
            continue;
        }
        if (ch == ' ' || ch == '\t' || ch == '\n') {
            if (in_word) {
                if (json_array_size(argv) >= LIMIT_EXEC_ARGS)
                    return error_set(err, ERR_INVALID, "command has more than %d words.", LIMIT_EXEC_ARGS);
                json_array_append_new(argv, json_stringn(word, w));
                w = 0;
                in_word = false;
            }
            continue;
        }
        in_word = true;
        if (ch == '\'' || ch == '"')
            quote = ch;
        else if (ch == '\\' && i + 1 < n)
            word[w++] = cmd[++i];
        else
            word[w++] = ch;
    }
    if (quote)
        return error_set(err, ERR_INVALID, "command has an unterminated %s quote.", quote == '"' ? "double" : "single");
    if (in_word) {
        if (json_array_size(argv) >= LIMIT_EXEC_ARGS)
            return error_set(err, ERR_INVALID, "command has more than %d words.", LIMIT_EXEC_ARGS);
        json_array_append_new(argv, json_stringn(word, w));
    }
    if (json_array_size(argv) == 0)
        return error_set(err, ERR_INVALID, "command must name a program to run.");
    return 0;
}

/* The task's container the request names (or its only one). */
static json_t *pick_container(json_t *doc, const char *name, struct error *err)
{
    json_t *ctrs = json_object_get(doc, "containers");
    if (!name) {
        if (json_array_size(ctrs) != 1) {
            error_set(err, ERR_INVALID, "The task has more than one container: specify the container name.");
            return NULL;
        }
        return json_array_get(ctrs, 0);
    }
    size_t i;
    json_t *c;
    json_array_foreach(ctrs, i, c) {
        const char *n = json_string_value(json_object_get(c, "name"));
        if (n && strcmp(n, name) == 0)
            return c;
    }
    error_set(err, ERR_INVALID, "The container %.255s was not found in the task.", name);
    return NULL;
}

API_ACTION(action_execute_command)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    _cleanup_(task_row_clear) struct task_row task = {0};
    if (task_resolve_request(ctx, in, &cluster, &task, err) < 0)
        return -1;
    const char *cname = json_string_value(json_object_get(in, "container"));
    json_t *ctr = pick_container(task.doc, cname, err);
    if (!ctr)
        return -1;
    _cleanup_json_ json_t *argv = json_array();
    if (!argv)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (exec_command_split(json_string_value(json_object_get(in, "command")), argv, err) < 0)
        return -1;
    const char *ctr_status = json_string_value(json_object_get(ctr, "lastStatus"));
    if (!json_is_true(json_object_get(task.doc, "enableExecuteCommand")) ||
        !task_status_is(task.last_status, TASK_STATUS_RUNNING) ||
        !task_status_is(task.desired_status, TASK_STATUS_RUNNING) || !ctr_status ||
        !task_status_is(ctr_status, TASK_STATUS_RUNNING) || task.instance_id == 0)
        return error_set(err, ERR_INVALID, NOT_ENABLED);
    const char *task_arn = json_string_value(json_object_get(task.doc, "taskArn"));
    const char *name = json_string_value(json_object_get(ctr, "name"));
    bool interactive = json_is_true(json_object_get(in, "interactive"));
    struct exec_log_target target;
    if (exec_config_log_target(ctx, cluster.doc, task.doc, name, &target, err) < 0)
        return -1;
    struct exec_request req = {
        .instance_id = task.instance_id,
        .task_arn = task_arn,
        .container = name,
        .argv = argv,
        .interactive = interactive,
        .log_group = target.group[0] ? target.group : NULL,
        .log_region = target.region,
    };
    struct ecs_service *e = ecs_of(ctx);
    char id[80], token[80], agent_token[80];
    if (exec_sessions_create(e->exec, &req, id, token, agent_token, err) < 0)
        return -1;
    /* "http://host:port/" -> "ws://host:port/v1/data-channel/<id>" */
    const char *hostport = strncmp(e->endpoint, "http://", 7) == 0 ? e->endpoint + 7 : e->endpoint;
    /* The agent's half goes through the store, to be handed out by
     * whichever server the agent polls; it names this server, where the
     * session (and the client's connection) lives, so the agent dials it
     * directly: no server relays to another, and a server's failure ends
     * only the sessions it held, as a client connected to it would lose
     * them anyway. */
    char agent_url[512];
    snprintf(agent_url, sizeof(agent_url), "ws://%.*s%s%s", (int)strcspn(hostport, "/"), hostport,
             PROTO_EXEC_AGENT_PATH, id);
    _cleanup_json_ json_t *dispatch =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:O, s:b}", "sessionId", id, "agentToken", agent_token, "agentUrl",
                  agent_url, "taskArn", task_arn, "containerName", name, "command", argv, "interactive", interactive);
    explicit_bzero(agent_token, sizeof(agent_token));
    if (!dispatch)
        return error_set(err, ERR_INTERNAL, "out of memory");
    int r = store_exec_put(ctx->tx, task.instance_id, ctx->now + LIMIT_EXEC_CONNECT_SEC * USEC_PER_SEC, ctx->now,
                           dispatch, err);
    json_t *tokv = json_object_get(dispatch, "agentToken");
    explicit_bzero((char *)json_string_value(tokv), json_string_length(tokv));
    if (r < 0)
        return -1;
    char url[512];
    snprintf(url, sizeof(url), "ws://%.*sv1/data-channel/%s?role=publish_subscribe", (int)strlen(hostport), hostport,
             id);
    char carn[512];
    cluster_arn(ctx, cluster.name, carn, sizeof(carn));
    json_object_set_new(out, "clusterArn", json_string(carn));
    json_object_set(out, "containerArn", json_object_get(ctr, "containerArn"));
    json_object_set_new(out, "containerName", json_string(name));
    json_object_set_new(out, "interactive", json_boolean(interactive));
    json_object_set_new(out, "session",
                        json_pack("{s:s, s:s, s:s}", "sessionId", id, "streamUrl", url, "tokenValue", token));
    json_object_set_new(out, "taskArn", json_string(task_arn));
    explicit_bzero(token, sizeof(token));
    return 0;
}
