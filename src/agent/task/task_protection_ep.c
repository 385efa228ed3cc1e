/* task_protection_ep.c - $ECS_AGENT_URI/task-protection/v1/state (see
 * task_protection_ep.h).
 *
 * ECS's agent calls ECS's UpdateTaskProtection / GetTaskProtection with the
 * task role's credentials; berth's agent asks the server with its own
 * (BerthAgent.TaskProtection), which the server allows for the tasks on
 * the agent's instances only, so a task needs no role to protect itself.
 * The answer's shapes and error codes are those of ECS's agent: Go's
 * encoding of the SDK's ProtectedTask and Failure (capitalised members,
 * ExpirationDate an RFC 3339 time or null). */
#include "agent/task/task_protection_ep.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "agent/agent.h"
#include "common/awsjson.h"
#include "common/cleanup.h"
#include "common/proto.h"
#include "common/timeutil.h"

#define CALL_TIMEOUT_SEC 10
#define DECODE_FAILED "UpdateTaskProtection: failed to decode request"

static json_t *error_body(const char *arn, const char *code, const char *msg)
{
    json_t *e = json_pack("{s:s, s:s}", "Code", code, "Message", msg);
    if (e && arn)
        json_object_set_new(e, "Arn", json_string(arn));
    return json_pack("{s:o?}", "error", e);
}

void task_protection_ep_parse(const char *task_arn, const char *body, size_t len, json_t **ret_in, json_t **ret_error,
                              unsigned *ret_status)
{
    *ret_in = NULL;
    *ret_error = NULL;
    *ret_status = 400;
    json_error_t jerr;
    _cleanup_json_ json_t *doc = json_loadb(body, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
    if (!doc || !(json_is_object(doc) || json_is_null(doc))) {
        *ret_error = error_body(NULL, "InvalidParameterException", DECODE_FAILED);
        return;
    }
    const char *key;
    json_t *v;
    json_object_foreach(doc, key, v) {
        bool known = (strcmp(key, "ProtectionEnabled") == 0 && (json_is_boolean(v) || json_is_null(v))) ||
                     (strcmp(key, "ExpiresInMinutes") == 0 && (json_is_integer(v) || json_is_null(v)));
        if (!known) {
            *ret_error = error_body(NULL, "InvalidParameterException", DECODE_FAILED);
            return;
        }
    }
    json_t *on = json_object_get(doc, "ProtectionEnabled");
    if (!json_is_boolean(on)) {
        *ret_error = error_body(task_arn, "InvalidParameterException",
                                "Invalid request: does not contain 'ProtectionEnabled' field");
        return;
    }
    json_t *in = json_pack("{s:O}", "protectionEnabled", on);
    json_t *minutes = json_object_get(doc, "ExpiresInMinutes");
    if (in && json_is_integer(minutes))
        json_object_set(in, "expiresInMinutes", minutes);
    *ret_in = in;
    *ret_status = 200;
}

/* The server's ProtectedTask -> ECS agent's "protection". */
static json_t *protection_body(json_t *p)
{
    json_t *exp = json_object_get(p, "expirationDate");
    json_t *date = json_null();
    if (json_is_number(exp)) {
        time_t secs = (time_t)json_number_value(exp);
        struct tm tm;
        char iso[32];
        if (gmtime_r(&secs, &tm) && strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm) > 0)
            date = json_string(iso);
    }
    return json_pack("{s:{s:o, s:O, s:O}}", "protection", "ExpirationDate", date, "ProtectionEnabled",
                     json_object_get(p, "protectionEnabled"), "TaskArn", json_object_get(p, "taskArn"));
}

static json_t *failure_body(json_t *f)
{
    json_t *detail = json_object_get(f, "detail");
    return json_pack("{s:{s:O, s:O, s:O}}", "failure", "Arn", json_object_get(f, "arn"), "Detail",
                     detail ? detail : json_null(), "Reason", json_object_get(f, "reason"));
}

static json_t *call_server(struct task_runner *t, json_t *in, unsigned *ret_status)
{
    const struct agent_config *cfg = &t->env->agent->cfg;
    struct awsjson_client *client = NULL;
    struct error err;
    _cleanup_json_ json_t *out = NULL;
    json_object_set(in, "cluster", json_object_get(t->task, "clusterArn"));
    json_object_set_new(in, "task", json_string(t->arn));
    int r = awsjson_client_new(cfg->server, &cfg->creds, cfg->region, &client, &err);
    if (r == 0) {
        awsjson_client_set_timeout(client, CALL_TIMEOUT_SEC);
        r = awsjson_call(client, PROTO_AGENT_TARGET, PROTO_TASK_PROTECTION, in, &out, &err);
    }
    if (r < 0) {
        const char *type = client ? awsjson_last_error_type(client) : "";
        bool refused = err.kind == ERR_INVALID && type[0];
        /* "<ExceptionName>: <message>" from a 4xx: ECS's agent passes it on. */
        const char *msg = refused && strncmp(err.msg, type, strlen(type)) == 0 ? err.msg + strlen(type) : err.msg;
        while (*msg == ':' || *msg == ' ')
            msg++;
        json_t *body = error_body(t->arn, refused ? type : "ServerException", msg);
        awsjson_client_free(client);
        *ret_status = refused ? 400 : 500;
        return body;
    }
    awsjson_client_free(client);
    *ret_status = 200;
    json_t *p = json_array_get(json_object_get(out, "protectedTasks"), 0);
    if (p)
        return protection_body(p);
    json_t *f = json_array_get(json_object_get(out, "failures"), 0);
    if (f)
        return failure_body(f);
    *ret_status = 500;
    return error_body(t->arn, "ServerException", "The server answered with no protection.");
}

json_t *task_protection_ep_serve(struct task_runner *t, bool put, const char *body, size_t len, unsigned *ret_status)
{
    _cleanup_json_ json_t *in = NULL;
    if (put) {
        json_t *refused = NULL;
        task_protection_ep_parse(t->arn, body, len, &in, &refused, ret_status);
        if (!in)
            return refused;
    } else {
        in = json_object();
    }
    return call_server(t, in, ret_status);
}
