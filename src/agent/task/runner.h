/* runner.h - the state a task's runner and its helpers share: one thread
 * per task drives it from pull to cleanup (task_runner.c), the files beside
 * it each do one step; common state (runtime, image store) lives in struct
 * runner_env.  runner.c has the few accessors every step uses.
 *
 * A task's files: DATA/tasks/<task-id>/task.json (the task as the server
 * sent it: kept so a restarted agent can re-adopt), volumes/ (task-scoped
 * volumes).  Container logs end in DATA/logs/<task-id>/<container>.log;
 * log drivers (task_logs.c, logship.h) keep their progress in
 * DATA/logship/. */
#pragma once

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>

#include "agent/agent.h"
#include "agent/net/network.h"
#include "agent/image/imgstore.h"
#include "agent/image/registry.h"
#include "agent/runtime/runtime.h"
#include "agent/task/health.h"

struct runner_env {
    struct agent *agent;
    struct runtime rt;
    struct imgstore *images;
    enum oci_runtime_kind kind;
    char init_path[4096];  /* catatonit/tini, "" if none */
    const char **insecure; /* registries spoken to over HTTP */
    size_t n_insecure;
    pthread_mutex_t lock;
    struct task_runner *runners; /* list */
    struct net_env *net;
    /* The metrics sampler (task_metrics.c). */
    pthread_t metrics_thread;
    bool metrics_started;
    volatile bool metrics_stop;
    /* The credentials and metadata endpoint at 169.254.170.2 (task_endpoint.c). */
    struct task_endpoint *endpoint;
    /* ECS Exec sessions running (task_exec.c), under lock. */
    int exec_running;
    pthread_cond_t exec_idle;
};

struct logship;
struct task_endpoint;

enum ctr_state { CTR_PENDING, CTR_RUNNING, CTR_EXITED, CTR_NOT_STARTED };

struct runner_ctr {
    struct task_runner *task;
    json_t *def; /* container definition with overrides applied; owned */
    const char *name;
    char id[72]; /* runtime id: <task-id>-<index> */
    bool essential;
    enum ctr_state state;
    int exit_code;
    bool oom;
    char reason[512];
    char image_digest[128];
    char stop_signal[32];
    /* health check (task_health.c, health.c) */
    struct health health;
    /* log driver (task_logs.c) */
    struct logship *ship;
    /* `secrets` as "NAME=value" strings (task_secrets.c): in memory only,
     * from their resolution until the container starts; NULL if none */
    char **secret_env;
    size_t n_secret_env;
    /* repositoryCredentials read from Secrets Manager, for the pull; NULL if none */
    char *registry_user, *registry_pass;
    /* The endpoint (task_endpoint.c): the random id in the container's
     * metadata URIs, and its address on the bridge ("" for host and none
     * networks), set under the task's lock once its network exists. */
    char meta_id[37];
    char addr[16];
    char veth[16];     /* the host side of its veth ("" if none), for network stats */
    usec_t started_at; /* wall clock, 0 until it runs; its last start when restarted */
    /* restartPolicy (task_restart.c): restarts so far (kept in task.json,
     * under the task's lock), and an exit that is to be restarted (the
     * container stays RUNNING to the rest of the runner meanwhile). */
    int restart_count;
    bool restart_due;
    /* The previous stats request's CPU sample (total, user, system, host)
     * and when it was read (task_metadata.c, under the task's lock). */
    uint64_t pre_cpu[4];
    usec_t pre_read;
    /* The last sample's veth counters, as the container sees them
     * (task_metrics.c's thread alone uses them); net_marked: they are set. */
    uint64_t sampled_rx, sampled_tx;
    bool net_marked;
    /* The last sample's CPU time of its own cgroup; cpu_marked: it is set. */
    uint64_t sampled_cpu_ns;
    bool cpu_marked;
};

/* Monotonic marks of a task's way to RUNNING, logged as one line when it
 * gets there (bench/task_start_breakdown.py reads it).  Each step's cost is
 * its mark minus the previous one. */
enum start_mark {
    MARK_RECEIVED,  /* the long-poll handed the task over */
    MARK_THREAD,    /* the runner's thread runs (and has started the image pull beside it) */
    MARK_PERSISTED, /* task.json written, for re-adoption */
    MARK_CGROUP,    /* task cgroup and volumes */
    MARK_NETWORK,   /* network set up */
    MARK_IMAGES,    /* images pulled or found current */
    MARK_BUNDLE,    /* overlay mounted, bundle and /etc files written (last container) */
    MARK_CREATED,   /* conmon ran `runtime create` (or `run --detach`, which also starts) */
    MARK_STARTED,   /* `runtime start` returned (after `run`, at once) */
    MARK_REPORTED,  /* RUNNING queued for the server */
    MARK_COUNT
};

struct task_runner {
    struct task_runner *next;
    struct runner_env *env;
    struct agent_instance *inst;
    char id[33];
    char arn[700];
    json_t *task; /* as the server sent it; owned */
    struct runner_ctr *ctrs;
    size_t nctrs;
    pthread_t thread;
    bool joinable;       /* the thread started and is not joined yet */
    int pins;            /* env->lock: the endpoint uses it outside the lock; not freed meanwhile */
    bool server_stopped; /* env->lock: a poll showed the server has it STOPPED */
    pthread_mutex_t lock;
    pthread_cond_t cond;  /* CLOCK_MONOTONIC */
    int wake_fd;          /* eventfd: desired status changed, health changed, shutdown */
    bool want_stop;       /* the server wants it STOPPED */
    usec_t stop_deadline; /* 0: none; else the longest a stop may take (a Spot warning) */
    bool shutdown;        /* the agent is stopping: leave containers running */
    bool adopt;           /* found on disk after a restart */
    bool finished;
    enum health_status health; /* the task's, as last reported (task_health.c) */
    struct net_task *net;      /* NULL until its network is set up */
    usec_t start_marks[MARK_COUNT];
    usec_t pull_took; /* the image pull, which overlaps the marks before MARK_IMAGES */
    /* The endpoint (task_endpoint.c, task_role_creds.c): the random id of
     * the task role's credentials URI ("": no taskRoleArn), the cached
     * credentials (creds_lock), the network mode (t->lock). */
    char creds_id[37];
    pthread_mutex_t creds_lock;
    json_t *role_creds;
    usec_t role_creds_expire; /* wall clock */
    char net_mode[8];
    /* The last cgroup sample (task_metrics.c's thread alone uses them). */
    uint64_t sampled_cpu_ns;
    usec_t sampled_at; /* monotonic; 0: none yet */
};

/* Wake the runner's loop (its eventfd and condvar). */
void runner_wake(struct task_runner *t);
/* Record that the task reached step m of its start. */
void runner_mark(struct task_runner *t, enum start_mark m);
/* DATA/tasks/<task-id>. */
void runner_dir(const struct task_runner *t, char *buf, size_t cap);
/* The task definition's member `key` (networkMode, volumes, ...). */
json_t *runner_taskdef(const struct task_runner *t, const char *key);
