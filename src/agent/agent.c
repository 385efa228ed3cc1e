/* agent.c - registration, identity, the long-poll loop and reporting.
 *
 * Each container instance has a poll thread that long-polls the server
 * (BerthAgent.PollTasks) for tasks assigned to it since the last sequence
 * number it saw and hands them to the runner (real containers, or hollow).
 * A hollow agent runs thousands of instances, so it registers them from a
 * few threads and polls for all of them with one long-poll (PollTasks
 * {agentId}, matching the berth.agent-id attribute it registers them with);
 * its reports spread over a few reporter queues, one per shard of
 * instances, so each task's reports stay in order.
 * Reports go through the reporter's queue, so a slow or absent server never
 * blocks the runner.  Registration and the agent's identity (kept in the
 * data dir, so a restarted agent is the same container instance) are
 * agent_join.c. */
#include "agent/agent.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/agent_host.h"
#include "agent/agent_join.h"
#include "common/proto.h"
#include "common/awsjson.h"
#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "agent/reporter.h"

#define POLL_WAIT_SECONDS 20
/* Hollow agents: threads registering instances, and reporter queues.  The
 * server serializes writes, so more buys nothing but connections. */
#define HOLLOW_REGISTER_THREADS 8
#define HOLLOW_REPORTERS 4

void agent_config_defaults(struct agent_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->server, sizeof(cfg->server), "http://127.0.0.1:7480");
    snprintf(cfg->region, sizeof(cfg->region), "us-east-1");
    snprintf(cfg->cluster, sizeof(cfg->cluster), "default");
    snprintf(cfg->data_dir, sizeof(cfg->data_dir), "/var/lib/berth/agent");
    snprintf(cfg->availability_zone, sizeof(cfg->availability_zone), "local-1a");
    snprintf(cfg->instance_type, sizeof(cfg->instance_type), "berth.host");
    snprintf(cfg->runtime, sizeof(cfg->runtime), "runc");
    /* 172.31.200.0/24: inside 172.16.0.0/12 but above the ranges Docker
     * (172.17-172.30) and default VPCs (172.31.0-172.31.127 in AWS's default
     * subnets) hand out; override with --task-subnet. */
    snprintf(cfg->bridge, sizeof(cfg->bridge), "berth0");
    snprintf(cfg->task_subnet, sizeof(cfg->task_subnet), "172.31.200.0/24");
    cfg->hollow_cpu = 4096;
    cfg->metrics_interval_sec = 20;
    cfg->time_scale = 1;
    cfg->hollow_memory = 8192;
}

bool agent_sleep(struct agent *a, long ms)
{
    usec_t until = time_monotonic() + ms * USEC_PER_MSEC;
    pthread_mutex_lock(&a->lock);
    while (!a->stopping) {
        usec_t now = time_monotonic();
        if (now >= until)
            break;
        time_cond_wait_until(&a->wake, &a->lock, until);
    }
    bool go_on = !a->stopping;
    pthread_mutex_unlock(&a->lock);
    return go_on;
}

long agent_next_backoff(long backoff) { return backoff * 2 > 5000 ? 5000 : backoff * 2; }

/* Hand the tasks of one PollTasks answer to the runner: all to inst, or
 * (hollow, inst NULL) each to the instance it names. */
static void poll_dispatch(struct agent *a, struct agent_instance *inst, json_t *out)
{
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(out, "execSessions"), i, t) {
        if (inst && a->ops->exec_session)
            a->ops->exec_session(inst, t);
    }
    json_array_foreach(json_object_get(out, "tasks"), i, t) {
        if (inst) {
            a->ops->task_changed(inst, t);
            continue;
        }
        const char *iarn = json_string_value(json_object_get(t, "containerInstanceArn"));
        json_t *idx = iarn ? json_object_get(a->by_arn, iarn) : NULL;
        if (idx)
            a->ops->task_changed(&a->instances[json_integer_value(idx)], t);
    }
}

/* Long-poll until the agent stops: for one instance, or (inst NULL, a
 * hollow agent) for every instance registered with its agent id.  *since
 * is the last sequence number seen. */
static void poll_run(struct agent *a, struct agent_instance *inst, int64_t *since)
{
    struct error err;
    struct awsjson_client *client = NULL;
    if (awsjson_client_new(a->cfg.server, &a->cfg.creds, a->cfg.region, &client, &err) < 0) {
        log_error("agent: %s", err.msg);
        return;
    }
    awsjson_client_set_timeout(client, POLL_WAIT_SECONDS + 15);
    awsjson_client_set_abort_flag(client, &a->stopping);
    long backoff = 200;
    while (!a->stopping) {
        json_t *in =
            json_pack("{s:s, s:s, s:I, s:i}", "cluster", a->cfg.cluster, inst ? "containerInstance" : "agentId",
                      inst ? inst->arn : a->agent_id, "since", (json_int_t)*since, "waitSeconds", POLL_WAIT_SECONDS);
        json_t *out = NULL;
        int r = awsjson_call(client, PROTO_AGENT_TARGET, PROTO_POLL_TASKS, in, &out, &err);
        json_decref(in);
        if (r < 0) {
            if (a->stopping)
                break;
            log_warn("agent: poll: %s", err.msg);
            if (!agent_sleep(a, backoff))
                break;
            backoff = agent_next_backoff(backoff);
            continue;
        }
        backoff = 200;
        poll_dispatch(a, inst, out);
        json_int_t next = json_integer_value(json_object_get(out, "since"));
        if (next > *since)
            *since = next;
        json_decref(out);
    }
    awsjson_client_free(client);
}

static void *poll_loop(void *arg)
{
    struct agent_instance *inst = arg;
    poll_run(inst->agent, inst, &inst->since);
    return NULL;
}

/* Hollow: one long-poll for every instance this agent registered. */
static void *bulk_poll_loop(void *arg)
{
    int64_t since = 0;
    poll_run(arg, NULL, &since);
    return NULL;
}

void agent_report_task(struct agent_instance *inst, const char *task_arn, enum task_status status, const char *reason,
                       json_t *containers, json_t *extra)
{
    json_t *body = json_pack("{s:s, s:s, s:s}", "cluster", inst->agent->cfg.cluster, "task", task_arn, "status",
                             task_status_name(status));
    if (reason)
        json_object_set_new(body, "reason", json_string(reason));
    if (containers)
        json_object_set_new(body, "containers", containers);
    if (extra) {
        json_object_update(body, extra);
        json_decref(extra);
    }
    struct agent *a = inst->agent;
    reporter_send(a->reporters[inst->index % a->nreporters], PROTO_ECS_TARGET, "SubmitTaskStateChange", body);
}

struct register_shard {
    struct agent *a;
    int first, step;
    int rc;
    struct error err;
};

/* Register instances first, first+step, ... over one connection. */
static void *register_shard(void *arg)
{
    struct register_shard *sh = arg;
    struct agent *a = sh->a;
    struct awsjson_client *client = NULL;
    if (!a->cfg.hollow) {
        sh->rc = agent_join(&a->instances[0], &sh->err);
        if (sh->rc < 0)
            error_prefix(&sh->err, "register");
        return NULL;
    }
    sh->rc = awsjson_client_new(a->cfg.server, &a->cfg.creds, a->cfg.region, &client, &sh->err);
    if (sh->rc < 0)
        return NULL;
    awsjson_client_set_abort_flag(client, &a->stopping);
    for (int i = sh->first; i < a->ninstances; i += sh->step) {
        struct agent_instance *inst = &a->instances[i];
        if (agent_join_hollow(inst, client, &sh->err) < 0) {
            error_prefix(&sh->err, "register");
            sh->rc = -1;
            break;
        }
    }
    awsjson_client_free(client);
    return NULL;
}

static int register_all(struct agent *a, struct error *err)
{
    int nthreads = a->cfg.hollow ? HOLLOW_REGISTER_THREADS : 1;
    if (nthreads > a->ninstances)
        nthreads = a->ninstances;
    struct register_shard shards[HOLLOW_REGISTER_THREADS];
    pthread_t threads[HOLLOW_REGISTER_THREADS];
    int started = 0;
    for (int k = 0; k < nthreads; k++) {
        shards[k] = (struct register_shard){.a = a, .first = k, .step = nthreads};
        if (pthread_create(&threads[k], NULL, register_shard, &shards[k]) != 0) {
            shards[k].rc = error_set(&shards[k].err, ERR_SYSTEM, "cannot start a registration thread");
            break;
        }
        started++;
    }
    int rc = started == nthreads ? 0 : -1;
    if (rc < 0)
        *err = shards[started].err;
    for (int k = 0; k < started; k++) {
        pthread_join(threads[k], NULL);
        if (shards[k].rc < 0 && rc == 0) {
            *err = shards[k].err;
            rc = -1;
        }
    }
    if (rc == 0 && a->cfg.hollow)
        log_info("agent: registered %d hollow instances", a->ninstances);
    return rc;
}

int agent_start(struct agent *a, const struct agent_config *cfg, struct error *err)
{
    memset(a, 0, sizeof(*a));
    a->cfg = *cfg;
    a->cfg.attributes = cfg->attributes ? json_deep_copy(cfg->attributes) : json_array();
    pthread_mutex_init(&a->lock, NULL);
    time_cond_init_monotonic(&a->wake);
    if (fs_mkdir_p(cfg->data_dir, 0700, err) < 0)
        return -1;
    a->ops = cfg->hollow ? &hollow_runner : &real_runner;
    a->ninstances = cfg->hollow ? cfg->hollow : 1;
    a->nreporters = cfg->hollow ? HOLLOW_REPORTERS : 1;
    if (a->nreporters > a->ninstances)
        a->nreporters = a->ninstances;
    a->reporters = calloc((size_t)a->nreporters, sizeof(*a->reporters));
    a->instances = calloc((size_t)a->ninstances, sizeof(*a->instances));
    a->by_arn = json_object();
    if (!a->reporters || !a->instances || !a->by_arn || !a->cfg.attributes)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (cfg->hollow) {
        /* Stable across restarts (machine id + data dir), like the instances. */
        char scope[4200];
        snprintf(scope, sizeof(scope), "%s#agent", cfg->data_dir);
        agent_host_instance_id(scope, a->agent_id, sizeof(a->agent_id));
        json_array_append_new(a->cfg.attributes,
                              json_pack("{s:s, s:s}", "name", PROTO_AGENT_ID_ATTRIBUTE, "value", a->agent_id));
    }
    for (int i = 0; i < a->ninstances; i++) {
        struct agent_instance *inst = &a->instances[i];
        inst->agent = a;
        inst->index = i;
        inst->tasks = json_object();
    }
    /* The key id (never the secret): what an auth failure is about. */
    if (cfg->creds.access_key_id[0])
        log_info("agent: signing requests to %s as %s for region %s", cfg->server, cfg->creds.access_key_id,
                 cfg->region);
    if (register_all(a, err) < 0)
        return -1;
    /* Registration settled what the agent signs with (a real agent: its
     * instance's own key): everything after it signs so. */
    for (int k = 0; k < a->nreporters; k++)
        if (reporter_start(a->cfg.server, &a->cfg.creds, a->cfg.region, &a->reporters[k], err) < 0)
            return -1;
    a->reporter = a->reporters[0];
    if (a->ops->init && a->ops->init(a, err) < 0)
        return error_prefix(err, "%s runner", a->ops->name);
    if (cfg->hollow) {
        for (int i = 0; i < a->ninstances; i++)
            json_object_set_new(a->by_arn, a->instances[i].arn, json_integer(i));
        if (pthread_create(&a->bulk_poll_thread, NULL, bulk_poll_loop, a) != 0)
            return error_set(err, ERR_SYSTEM, "cannot start the poll thread");
        a->bulk_poll_started = true;
        return 0;
    }
    for (int i = 0; i < a->ninstances; i++) {
        struct agent_instance *inst = &a->instances[i];
        if (pthread_create(&inst->poll_thread, NULL, poll_loop, inst) != 0)
            return error_set(err, ERR_SYSTEM, "cannot start a poll thread");
        inst->poll_started = true;
    }
    return 0;
}

void agent_stop(struct agent *a)
{
    pthread_mutex_lock(&a->lock);
    a->stopping = true;
    pthread_cond_broadcast(&a->wake);
    pthread_mutex_unlock(&a->lock);
    for (int i = 0; a->instances && i < a->ninstances; i++)
        if (a->instances[i].poll_started)
            pthread_join(a->instances[i].poll_thread, NULL);
    if (a->bulk_poll_started)
        pthread_join(a->bulk_poll_thread, NULL);
    if (a->ops && a->ops->shutdown)
        a->ops->shutdown(a);
    /* Give queued reports a moment to reach the server (the queues drain
     * in parallel, so each gets the whole moment). */
    for (int k = 0; a->reporters && k < a->nreporters; k++)
        reporter_stop_begin(a->reporters[k], 3000);
    for (int k = 0; a->reporters && k < a->nreporters; k++)
        reporter_stop(a->reporters[k], 3000);
    free(a->reporters);
    json_decref(a->by_arn);
    for (int i = 0; a->instances && i < a->ninstances; i++)
        json_decref(a->instances[i].tasks);
    free(a->instances);
    json_decref(a->cfg.attributes);
    aws_credentials_clear(&a->cfg.creds);
    explicit_bzero(a->cfg.token, sizeof(a->cfg.token));
    pthread_mutex_destroy(&a->lock);
    pthread_cond_destroy(&a->wake);
}
