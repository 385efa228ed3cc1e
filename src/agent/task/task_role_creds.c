/* task_role_creds.c - the task role's credentials (see task_role_creds.h).
 *
 * ECS's agent fetches them when the task starts and refreshes them before
 * they expire; here the first request fetches them and a request finding
 * less than REFRESH_BEFORE_SEC left fetches new ones, so a task that never
 * asks costs the server nothing.  The SDKs refresh at most 15 minutes
 * before Expiration, so what the endpoint serves always has longer left
 * than that.  Fetches are serialised per task (creds_lock): concurrent
 * first requests share one session.  The credentials live in this process's
 * memory only, never on disk or in a log line. */
#include "agent/task/task_role_creds.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/awsjson.h"
#include "common/cleanup.h"
#include "common/proto.h"
#include "common/timeutil.h"

#define REFRESH_BEFORE_SEC (30 * 60)
#define FETCH_TIMEOUT_SEC 10

static void wipe_string(json_t *s)
{
    const char *v = json_string_value(s);
    if (v)
        explicit_bzero((char *)v, strlen(v));
}

static void wipe_creds(json_t *c)
{
    wipe_string(json_object_get(c, "SecretAccessKey"));
    wipe_string(json_object_get(c, "Token"));
}

void task_role_creds_forget(struct task_runner *t)
{
    pthread_mutex_lock(&t->creds_lock);
    wipe_creds(t->role_creds);
    json_decref(t->role_creds);
    t->role_creds = NULL;
    pthread_mutex_unlock(&t->creds_lock);
}

/* Server's {AccessKeyId, SecretAccessKey, SessionToken, Expiration (epoch
 * seconds), RoleArn} -> the endpoint's body and its expiry. */
static int to_body(json_t *c, json_t **ret, usec_t *ret_expires, struct error *err)
{
    const char *id = json_string_value(json_object_get(c, "AccessKeyId"));
    const char *secret = json_string_value(json_object_get(c, "SecretAccessKey"));
    const char *token = json_string_value(json_object_get(c, "SessionToken"));
    const char *role = json_string_value(json_object_get(c, "RoleArn"));
    json_t *exp = json_object_get(c, "Expiration");
    if (!id || !secret || !token || !role || !json_is_number(exp))
        return error_set(err, ERR_IO, "the server sent no usable credentials");
    usec_t expires = time_from_epoch_seconds(json_number_value(exp));
    time_t secs = (time_t)(expires / USEC_PER_SEC);
    struct tm tm;
    char iso[32];
    if (!gmtime_r(&secs, &tm) || strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return error_set(err, ERR_IO, "the server sent an unusable expiry");
    json_t *body = json_pack("{s:s, s:s, s:s, s:s, s:s}", "RoleArn", role, "AccessKeyId", id, "SecretAccessKey", secret,
                             "Token", token, "Expiration", iso);
    if (!body)
        return error_set(err, ERR_INTERNAL, "out of memory");
    *ret = body;
    *ret_expires = expires;
    return 0;
}

static int fetch(struct task_runner *t, json_t **ret, usec_t *ret_expires, struct error *err)
{
    const struct agent_config *cfg = &t->env->agent->cfg;
    struct awsjson_client *client = NULL;
    _cleanup_json_ json_t *out = NULL;
    if (awsjson_client_new(cfg->server, &cfg->creds, cfg->region, &client, err) < 0)
        return -1;
    awsjson_client_set_timeout(client, FETCH_TIMEOUT_SEC);
    json_t *in = json_pack("{s:O?, s:s, s:s}", "cluster", json_object_get(t->task, "clusterArn"), "task", t->arn,
                           "roleType", "TASK");
    int r = awsjson_call(client, PROTO_AGENT_TARGET, PROTO_GET_TASK_CREDENTIALS, in, &out, err);
    json_decref(in);
    awsjson_client_free(client);
    if (r < 0)
        return -1;
    json_t *c = json_object_get(out, "credentials");
    r = to_body(c, ret, ret_expires, err);
    wipe_creds(c);
    wipe_string(json_object_get(c, "SessionToken"));
    return r;
}

int task_role_creds_get(struct task_runner *t, json_t **ret_body, struct error *err)
{
    pthread_mutex_lock(&t->creds_lock);
    json_t *cached = t->role_creds;
    usec_t now = time_now();
    if (!cached || t->role_creds_expire - now < (usec_t)REFRESH_BEFORE_SEC * USEC_PER_SEC) {
        json_t *fresh = NULL;
        usec_t expires = 0;
        if (fetch(t, &fresh, &expires, err) < 0) {
            pthread_mutex_unlock(&t->creds_lock);
            return -1;
        }
        wipe_creds(t->role_creds);
        json_decref(t->role_creds);
        t->role_creds = cached = fresh;
        t->role_creds_expire = expires;
    }
    json_t *body = json_deep_copy(cached);
    pthread_mutex_unlock(&t->creds_lock);
    if (!body)
        return error_set(err, ERR_INTERNAL, "out of memory");
    *ret_body = body;
    return 0;
}
