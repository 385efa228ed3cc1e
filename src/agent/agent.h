/* agent.h - the berth agent: one container instance (or, hollow, many)
 * that registers with the server, long-polls for its tasks and reports
 * their state. */
#pragma once

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/aws_credentials.h"
#include "common/proto.h"
#include "common/error.h"
#include "common/task_status.h"

#define AGENT_VERSION "0.1.0"

struct agent_config {
    char server[512];
    /* What every request to the server is signed with: the caller fills
     * both (berth agent from the environment; berth up for its own agent). */
    struct aws_credentials creds;
    /* A cluster registration token for the first registration ("": none);
     * the instance's own credentials replace creds once registered. */
    char token[128];
    char region[LIMIT_AWS_REGION + 1];
    char cluster[256];
    char data_dir[3800];
    char availability_zone[64];
    char instance_type[64];
    char runtime[8];    /* "runc" or "crun" */
    json_t *attributes; /* extra [{name, value}], owned */
    int hollow;         /* 0: run containers; N: N hollow instances */
    int64_t hollow_cpu, hollow_memory;
    /* Hollow tasks of this family (or "family:revision") report STOPPED
     * with exit code 1 instead of RUNNING: a crashing revision for tests. */
    char hollow_fail_family[300];
    const char **insecure; /* registries spoken to over plain HTTP (loopback always is) */
    size_t n_insecure;
    /* Host protection (task/host_policy.c): privileged containers, extra
     * capabilities, devices and host namespaces need allow_privileged
     * (which also advertises com.amazonaws.ecs.capability.privileged-container);
     * host paths of volumes and environmentFiles must lie under one of
     * allow_host_paths (borrowed, like insecure). */
    bool allow_privileged;
    const char *const *allow_host_paths;
    size_t n_allow_host_paths;
    /* At agent_stop: stop every task and remove what it made (berth up's
     * clean stop); false leaves containers running for the next agent to
     * adopt, as an ECS agent restart does. */
    bool stop_tasks_at_exit;
    /* Seconds between cgroup samples of running tasks, reported as
     * BerthAgent.ReportMetrics (0: none). */
    int64_t metrics_interval_sec;
    /* --time-scale: restartPolicy's restartAttemptPeriod is divided by it
     * (1 normally; for tests, as berth server --time-scale). */
    int time_scale;
    char bridge[16];      /* host bridge for bridge and awsvpc tasks */
    char task_subnet[32]; /* CIDR of the bridge and the task addresses */
    /* The server's DNS responder ("HOST:PORT", "" for none): bridge and
     * awsvpc tasks resolve through a relay to it on the bridge gateway. */
    char dns_server[300];
    /* This host's address for other hosts and tasks (the instance
     * attribute berth.host-ipv4: Cloud Map's AWS_INSTANCE_IPV4 of bridge and
     * host tasks); "" finds the address of the default route. */
    char host_ipv4[64];
};

struct reporter;
struct runner_ops;
struct agent_instance;

/* The instance attribute naming the agent that registered it (the server's
 * tasks.h has the same name); a hollow agent polls for all its instances
 * at once with PollTasks {agentId}. */

struct agent {
    struct agent_config cfg;
    struct reporter *reporter;   /* reporters[0] */
    struct reporter **reporters; /* an instance reports through reporters[index % nreporters] */
    int nreporters;
    char agent_id[64];          /* hollow: the value of PROTO_AGENT_ID_ATTRIBUTE on its instances */
    pthread_t bulk_poll_thread; /* hollow: one long-poll for every instance */
    bool bulk_poll_started;
    json_t *by_arn; /* hollow: instance ARN -> index */
    const struct runner_ops *ops;
    void *runner_state; /* the runner's own, set by ops->init */
    struct agent_instance *instances;
    int ninstances;
    pthread_mutex_t lock;
    pthread_cond_t wake; /* CLOCK_MONOTONIC; broadcast at shutdown */
    volatile bool stopping;
};

/* One registered container instance and its tasks. */
struct agent_instance {
    struct agent *agent;
    int index;
    char arn[600];
    pthread_t poll_thread;
    bool poll_started;
    int64_t since;
    json_t *tasks; /* task uuid -> runner state object (owned by the runner ops) */
};

/* What runs tasks: real containers, or hollow acknowledgements.  Called
 * from the instance's poll thread (hollow: from the agent's one poll thread). */
struct runner_ops {
    const char *name;
    /* After registration, before polling: set up, adopt what survived. */
    int (*init)(struct agent *a, struct error *err);
    /* The server sent a task (new, or with a changed desired status). */
    void (*task_changed)(struct agent_instance *inst, json_t *task);
    /* The server handed over an ECS Exec session (one member of PollTasks'
     * execSessions) for a task on inst; NULL: not served (hollow). */
    void (*exec_session)(struct agent_instance *inst, json_t *session);
    /* The agent is stopping: release what the runner holds (containers keep
     * running unless cfg.stop_tasks_at_exit). */
    void (*shutdown)(struct agent *a);
};

void agent_config_defaults(struct agent_config *cfg);
/* Register every instance and start polling; returns once running. */
int agent_start(struct agent *a, const struct agent_config *cfg, struct error *err);
void agent_stop(struct agent *a);
/* Sleep up to `ms`, waking early at shutdown.  Returns false when stopping. */
bool agent_sleep(struct agent *a, long ms);
/* The next retry delay: doubling from 200 ms, at most 5 s. */
long agent_next_backoff(long backoff);

/* Report a task's status (and optionally its containers' states). */
void agent_report_task(struct agent_instance *inst, const char *task_arn, enum task_status status, const char *reason,
                       json_t *containers, json_t *extra);

extern const struct runner_ops hollow_runner;
extern const struct runner_ops real_runner;
