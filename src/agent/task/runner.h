/* runner.h - running real tasks: one thread per task drives it from pull to
 * cleanup; shared state (runtime, image store) lives in struct runner_env.
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
};

struct logship;

enum ctr_state { CTR_PENDING, CTR_RUNNING, CTR_EXITED, CTR_NOT_STARTED };
enum ctr_health { HEALTH_UNKNOWN, HEALTH_HEALTHY, HEALTH_UNHEALTHY };

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
    /* health checks (health.c) */
    enum ctr_health health;
    bool health_thread_started;
    pthread_t health_thread;
    /* log driver (task_logs.c) */
    struct logship *ship;
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
    MARK_CREATED,   /* conmon ran `runtime create` */
    MARK_STARTED,   /* `runtime start` returned */
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
    pthread_mutex_t lock;
    pthread_cond_t cond; /* CLOCK_MONOTONIC */
    int wake_fd;         /* eventfd: desired status changed, health changed, shutdown */
    bool want_stop;      /* the server wants it STOPPED */
    bool shutdown;       /* the agent is stopping: leave containers running */
    bool adopt;          /* found on disk after a restart */
    bool finished;
    char task_health[16];
    struct net_task *net; /* NULL until its network is set up */
    usec_t start_marks[MARK_COUNT];
    usec_t pull_took; /* the image pull, which overlaps the marks before MARK_IMAGES */
};

/* Wake the runner's loop. */
void runner_wake(struct task_runner *t);
/* Start health checking a running container (if its definition has one). */
void health_start(struct runner_ctr *c);
/* Stop and join a container's health check thread. */
void health_stop(struct runner_ctr *c);

/* Check the container's logConfiguration options before it starts. */
int task_logs_check(struct runner_ctr *c, struct error *err);
/* Start the container's log driver (after it started, or was adopted). */
void task_logs_start(struct task_runner *t, struct runner_ctr *c);
/* Stop it without draining (agent shutdown: the next agent resumes). */
void task_logs_detach(struct runner_ctr *c);
/* Ship what its log still holds, then stop it (the container has exited). */
void task_logs_drain(struct runner_ctr *c);
/* Drain and stop it (if not done yet), then move conmon's log into logs_dir (or discard it
 * for the "none" driver).  Before the container is deleted. */
void task_logs_finish(struct task_runner *t, struct runner_ctr *c, const char *logs_dir);

extern const struct runner_ops real_runner;
