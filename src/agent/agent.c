/* agent.c - registration, identity, the long-poll loop and reporting.
 *
 * Each container instance has a poll thread that long-polls the server
 * (BerthAgent.PollTasks) for tasks assigned to it since the last sequence
 * number it saw and hands them to the runner (real containers, or hollow).
 * Reports go through the reporter's queue, so a slow or absent server never
 * blocks the runner.  The instance's ARN is kept in the data dir, so a
 * restarted agent is the same container instance. */
#include "agent.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent_host.h"
#include "common/awsjson.h"
#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "reporter.h"

#define POLL_WAIT_SECONDS 20

void agent_config_defaults(struct agent_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->server, sizeof(cfg->server), "http://127.0.0.1:7480");
    snprintf(cfg->cluster, sizeof(cfg->cluster), "default");
    snprintf(cfg->data_dir, sizeof(cfg->data_dir), "/var/lib/berth/agent");
    snprintf(cfg->availability_zone, sizeof(cfg->availability_zone), "local-1a");
    snprintf(cfg->instance_type, sizeof(cfg->instance_type), "berth.host");
    snprintf(cfg->runtime, sizeof(cfg->runtime), "runc");
    cfg->hollow_cpu = 4096;
    cfg->hollow_memory = 8192;
}

/* Sleep up to `ms`, waking early at shutdown.  Returns false when stopping. */
static bool agent_sleep(struct agent *a, long ms)
{
    usec_t until = time_monotonic() + ms * USEC_PER_MSEC;
    pthread_mutex_lock(&a->lock);
    while (!a->stopping) {
        usec_t now = time_monotonic();
        if (now >= until)
            break;
        struct timespec ts = {.tv_sec = until / USEC_PER_SEC, .tv_nsec = (until % USEC_PER_SEC) * 1000};
        pthread_cond_timedwait(&a->wake, &a->lock, &ts);
    }
    bool go_on = !a->stopping;
    pthread_mutex_unlock(&a->lock);
    return go_on;
}

static void identity_name(const struct agent_instance *inst, char *buf, size_t cap)
{
    if (inst->agent->cfg.hollow)
        snprintf(buf, cap, "hollow-%d.json", inst->index);
    else
        snprintf(buf, cap, "instance.json");
}

static void load_identity(struct agent_instance *inst)
{
    char name[64], path[4200];
    identity_name(inst, name, sizeof(name));
    snprintf(path, sizeof(path), "%s/%s", inst->agent->cfg.data_dir, name);
    char *data = NULL;
    struct error err;
    if (fs_read_file(path, 65536, &data, NULL, &err) < 0)
        return;
    json_t *j = json_loads(data, 0, NULL);
    free(data);
    const char *arn = json_string_value(json_object_get(j, "containerInstanceArn"));
    const char *cluster = json_string_value(json_object_get(j, "cluster"));
    /* An identity from another cluster is not ours to reuse. */
    if (arn && cluster && strcmp(cluster, inst->agent->cfg.cluster) == 0)
        snprintf(inst->arn, sizeof(inst->arn), "%s", arn);
    json_decref(j);
}

static int save_identity(struct agent_instance *inst, struct error *err)
{
    char name[64];
    identity_name(inst, name, sizeof(name));
    json_t *j = json_pack("{s:s, s:s}", "containerInstanceArn", inst->arn, "cluster", inst->agent->cfg.cluster);
    char *text = json_dumps(j, JSON_INDENT(2));
    json_decref(j);
    if (!text)
        return error_set(err, ERR_INTERNAL, "out of memory");
    int r = fs_write_atomic(inst->agent->cfg.data_dir, name, text, strlen(text), err);
    free(text);
    return r;
}

static json_t *registration_body(struct agent_instance *inst)
{
    struct agent *a = inst->agent;
    int64_t cpu, memory;
    if (a->cfg.hollow) {
        cpu = a->cfg.hollow_cpu;
        memory = a->cfg.hollow_memory;
    } else {
        agent_host_resources(&cpu, &memory);
    }
    char iid[64], scope[4200];
    snprintf(scope, sizeof(scope), "%s#%d", a->cfg.data_dir, inst->index);
    agent_host_instance_id(scope, iid, sizeof(iid));
    json_t *idd = json_pack("{s:s, s:s, s:s}", "instanceId", iid, "availabilityZone", a->cfg.availability_zone,
                            "instanceType", a->cfg.instance_type);
    char *idd_text = json_dumps(idd, JSON_COMPACT);
    json_decref(idd);
    json_t *body = json_pack(
        "{s:s, s:[{s:s, s:s, s:I}, {s:s, s:s, s:I}], s:o, s:{s:s, s:s, s:s}, s:s}", "cluster", a->cfg.cluster,
        "totalResources", "name", "CPU", "type", "INTEGER", "integerValue", (json_int_t)cpu, "name", "MEMORY",
        "type", "INTEGER", "integerValue", (json_int_t)memory, "attributes",
        agent_host_attributes(a->cfg.availability_zone, a->cfg.instance_type, a->cfg.attributes), "versionInfo",
        "agentVersion", AGENT_VERSION, "agentHash", "berth", "dockerVersion",
        a->cfg.hollow ? "hollow" : a->cfg.runtime, "instanceIdentityDocument", idd_text ? idd_text : "{}");
    free(idd_text);
    if (inst->arn[0])
        json_object_set_new(body, "containerInstanceArn", json_string(inst->arn));
    return body;
}

/* Register (or re-register as the same instance), retrying until the
 * server answers or the agent stops. */
static int register_instance(struct agent_instance *inst, struct awsjson_client *client, struct error *err)
{
    struct agent *a = inst->agent;
    long backoff = 200;
    load_identity(inst);
    for (;;) {
        json_t *body = registration_body(inst);
        json_t *out = NULL;
        int r = awsjson_call(client, ECS_PREFIX, "RegisterContainerInstance", body, &out, err);
        json_decref(body);
        if (r == 0) {
            const char *arn =
                json_string_value(json_object_get(json_object_get(out, "containerInstance"), "containerInstanceArn"));
            snprintf(inst->arn, sizeof(inst->arn), "%s", arn ? arn : "");
            json_decref(out);
            if (!inst->arn[0])
                return error_set(err, ERR_IO, "RegisterContainerInstance returned no ARN");
            return save_identity(inst, err);
        }
        if (err->kind != ERR_IO && inst->arn[0]) {
            /* The server does not know us (its data was reset): start afresh. */
            log_warn("agent: %s; registering as a new instance", err->msg);
            inst->arn[0] = '\0';
            continue;
        }
        if (err->kind != ERR_IO)
            return -1;
        log_warn("agent: cannot register yet: %s", err->msg);
        if (!agent_sleep(a, backoff))
            return error_set(err, ERR_IO, "stopped before registering");
        backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
    }
}

static void *poll_loop(void *arg)
{
    struct agent_instance *inst = arg;
    struct agent *a = inst->agent;
    struct error err;
    struct awsjson_client *client = NULL;
    if (awsjson_client_new(a->cfg.server, &client, &err) < 0) {
        log_error("agent: %s", err.msg);
        return NULL;
    }
    awsjson_client_set_timeout(client, POLL_WAIT_SECONDS + 15);
    awsjson_client_set_abort_flag(client, &a->stopping);
    long backoff = 200;
    while (!a->stopping) {
        json_t *in = json_pack("{s:s, s:s, s:I, s:i}", "cluster", a->cfg.cluster, "containerInstance", inst->arn,
                               "since", (json_int_t)inst->since, "waitSeconds", POLL_WAIT_SECONDS);
        json_t *out = NULL;
        int r = awsjson_call(client, BERTH_AGENT_PREFIX, "PollTasks", in, &out, &err);
        json_decref(in);
        if (r < 0) {
            if (a->stopping)
                break;
            log_warn("agent: poll: %s", err.msg);
            if (!agent_sleep(a, backoff))
                break;
            backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
            continue;
        }
        backoff = 200;
        size_t i;
        json_t *t;
        json_array_foreach(json_object_get(out, "tasks"), i, t)
        {
            a->ops->task_changed(inst, t);
        }
        json_int_t since = json_integer_value(json_object_get(out, "since"));
        if (since > inst->since)
            inst->since = since;
        json_decref(out);
    }
    awsjson_client_free(client);
    return NULL;
}

void agent_report_task(struct agent_instance *inst, const char *task_arn, const char *status, const char *reason,
                       json_t *containers, json_t *extra)
{
    json_t *body = json_pack("{s:s, s:s, s:s}", "cluster", inst->agent->cfg.cluster, "task", task_arn, "status",
                             status);
    if (reason)
        json_object_set_new(body, "reason", json_string(reason));
    if (containers)
        json_object_set_new(body, "containers", containers);
    if (extra) {
        json_object_update(body, extra);
        json_decref(extra);
    }
    reporter_send(inst->agent->reporter, ECS_PREFIX, "SubmitTaskStateChange", body);
}

int agent_start(struct agent *a, const struct agent_config *cfg, struct error *err)
{
    memset(a, 0, sizeof(*a));
    a->cfg = *cfg;
    a->cfg.attributes = cfg->attributes ? json_incref(cfg->attributes) : json_array();
    pthread_mutex_init(&a->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&a->wake, &ca);
    pthread_condattr_destroy(&ca);
    if (fs_mkdir_p(cfg->data_dir, 0700, err) < 0)
        return -1;
    a->ops = cfg->hollow ? &hollow_runner : &real_runner;
    if (reporter_start(cfg->server, &a->reporter, err) < 0)
        return -1;
    a->ninstances = cfg->hollow ? cfg->hollow : 1;
    a->instances = calloc((size_t)a->ninstances, sizeof(*a->instances));
    if (!a->instances)
        return error_set(err, ERR_INTERNAL, "out of memory");
    struct awsjson_client *client = NULL;
    if (awsjson_client_new(cfg->server, &client, err) < 0)
        return -1;
    awsjson_client_set_abort_flag(client, &a->stopping);
    for (int i = 0; i < a->ninstances; i++) {
        struct agent_instance *inst = &a->instances[i];
        inst->agent = a;
        inst->index = i;
        inst->tasks = json_object();
        if (register_instance(inst, client, err) < 0) {
            awsjson_client_free(client);
            return error_prefix(err, "register");
        }
        log_info("agent: registered %s", inst->arn);
    }
    awsjson_client_free(client);
    if (a->ops->init && a->ops->init(a, err) < 0)
        return error_prefix(err, "%s runner", a->ops->name);
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
    if (a->ops && a->ops->shutdown)
        a->ops->shutdown(a);
    /* Give queued reports a moment to reach the server. */
    reporter_stop(a->reporter, 3000);
    for (int i = 0; a->instances && i < a->ninstances; i++)
        json_decref(a->instances[i].tasks);
    free(a->instances);
    json_decref(a->cfg.attributes);
    pthread_mutex_destroy(&a->lock);
    pthread_cond_destroy(&a->wake);
}
