/* placement.h - choose container instances for tasks the way ECS does:
 * filter by resources, then by constraints, then rank by strategies.
 *
 * Pure: no storage, no I/O, no JSON.  The caller loads the cluster's
 * instances into struct placement_instance, calls placement_place() and
 * records the result.
 *
 * Semantics (see placement.c for the reasoning):
 *  - Only ACTIVE instances are considered; others are skipped silently, as
 *    ECS RunTask does for DRAINING instances.
 *  - Filters, in this order; the first that rejects an instance gives its
 *    failure reason: agent disconnected (AGENT), CPU (RESOURCE:CPU), memory
 *    (RESOURCE:MEMORY), static host ports (RESOURCE:PORTS), required
 *    attributes (ATTRIBUTE), distinctInstance, memberOf.
 *  - distinctInstance: an instance already running or pending a task of the
 *    same task group (including tasks placed earlier in this call) is
 *    rejected; for a task without a group, any task counts.
 *  - spread(field) balances the number of tasks of the same task group
 *    (all tasks when the task has no group): per instance for instanceId and
 *    host, per attribute value for attribute:<name>, where instances lacking
 *    the attribute form one bucket of their own.  Counts cover every ACTIVE
 *    instance given, candidate or not.
 *  - binpack(cpu|memory) prefers the least remaining amount.
 *  - random picks uniformly (seeded).
 *  - Strategies apply in order, each keeping only its best candidates; the
 *    remaining tie goes to the smallest instance id.
 *  - Tasks are placed one by one; each placement consumes the instance's
 *    CPU, memory and ports and counts towards spread, distinctInstance,
 *    runningTasksCount and task:group for the next task. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "server/placement/query.h"

/* Failure reasons, as ECS reports them in RunTask/StartTask failures. */
#define PLACEMENT_REASON_AGENT "AGENT"
#define PLACEMENT_REASON_CPU "RESOURCE:CPU"
#define PLACEMENT_REASON_MEMORY "RESOURCE:MEMORY"
#define PLACEMENT_REASON_PORTS "RESOURCE:PORTS"
#define PLACEMENT_REASON_ATTRIBUTE "ATTRIBUTE"
#define PLACEMENT_REASON_DISTINCT "DistinctInstance placement constraint unsatisfied."
#define PLACEMENT_REASON_MEMBER_OF "MemberOf placement constraint unsatisfied."
#define PLACEMENT_REASON_NO_INSTANCES "No Container Instances were found in your cluster."

struct placement_instance {
    const char *arn;          /* container instance ARN, echoed in failures */
    const char *id;           /* its id (last ARN component): the final tie-break */
    bool active;              /* status ACTIVE */
    int64_t remaining_cpu;    /* CPU units */
    int64_t remaining_memory; /* MiB */
    /* Host ports in use; ECS's reserved TCP ports (22, 2375, 2376, 51678,
     * 51679) are always treated as used and need not be listed. */
    const uint16_t *used_tcp_ports;
    size_t n_used_tcp;
    const uint16_t *used_udp_ports;
    size_t n_used_udp;
    /* What queries see: agent connection (also a filter), version, dates,
     * runningTasksCount (running + pending), attributes (including
     * ecs.availability-zone, ecs.instance-type, ...) and the task groups
     * with their counts (for spread, distinctInstance and task:group). */
    struct query_subject q;
    /* A Fargate pool instance (`berth agent --fargate`): it takes FARGATE
     * tasks only, and they go nowhere else.  Kept as a flag, not as a
     * memberOf expression on its attribute, because that expression ran
     * for every instance on every call (12% of the server at 5,000). */
    bool fargate;
};

/* One task's needs; every task of a request shares them. */
struct placement_task {
    int64_t cpu;               /* units */
    int64_t memory;            /* MiB */
    const uint16_t *tcp_ports; /* static host ports (hostPort != 0) */
    size_t n_tcp;
    const uint16_t *udp_ports;
    size_t n_udp;
    const char *group; /* "family:web", "service:web"; NULL: none */
    /* requiresAttributes: each must be present on the instance and, when
     * value is non-NULL, have that value. */
    const struct query_attr *required_attrs;
    size_t n_required_attrs;
};

enum placement_strategy_type { PLACEMENT_BINPACK, PLACEMENT_SPREAD, PLACEMENT_RANDOM };

struct placement_strategy {
    enum placement_strategy_type type;
    /* binpack: "cpu" | "memory"; spread: "instanceId" | "host" |
     * "attribute:<name>"; random: ignored */
    const char *field;
};

enum placement_constraint_type { PLACEMENT_DISTINCT_INSTANCE, PLACEMENT_MEMBER_OF };

struct placement_constraint {
    enum placement_constraint_type type;
    const char *expression; /* memberOf: required; distinctInstance: must be unset */
};

struct placement_request {
    const struct placement_task *task;
    int count; /* tasks to place, >= 0 */
    /* request and task definition constraints, combined by the caller */
    const struct placement_constraint *constraints;
    size_t n_constraints;
    const struct placement_strategy *strategies; /* applied in order */
    size_t n_strategies;
    uint64_t seed; /* for random */
    bool fargate;  /* FARGATE tasks: only instances with .fargate, else only without */
    /* Optional: each instance's place in the order of their ids (a
     * permutation of 0..n-1), for the last tie-break, which otherwise
     * compares the ids (a spread over 3 zones of 5,000 instances leaves
     * 1,700 to compare per task). */
    const uint32_t *id_rank;
};

/* One rejected instance, as in ECS's `failures` list. */
struct placement_failure {
    const char *arn;    /* borrowed from the instance; NULL for PLACEMENT_REASON_NO_INSTANCES */
    const char *reason; /* a static PLACEMENT_REASON_* string */
    /* PLACEMENT_REASON_ATTRIBUTE: the required attribute the instance
     * lacks, borrowed from the task; else NULL. */
    const char *attribute;
};

struct placement_result {
    int *chosen;     /* count entries: an index into instances, or -1 */
    size_t n_placed; /* entries that are not -1; placed tasks come first */
    /* When a task could not be placed: why each ACTIVE instance rejected it
     * (one entry per instance, in input order), or a single
     * PLACEMENT_REASON_NO_INSTANCES entry when there was no ACTIVE
     * instance.  Empty when every task was placed. */
    struct placement_failure *failures;
    size_t n_failures;
};

/* Check strategies and constraints (fields, expressions) without placing:
 * the API layer calls this to reject a request early.  ERR_INVALID with an
 * ECS-style message. */
int placement_validate(const struct placement_request *req, struct error *err);

/* Place req->count tasks on the n instances.  The instances are not
 * modified (the engine works on its own copy of what placement consumes).
 * On success fills *ret_result, which the caller releases with
 * placement_result_free(); failing to place a task is a success with
 * failures listed, not an error.  Errors: ERR_INVALID for a bad request
 * (see placement_validate), ERR_INTERNAL when out of memory. */
int placement_place(const struct placement_instance *instances, size_t n, const struct placement_request *req,
                    struct placement_result *ret_result, struct error *err);
void placement_result_free(struct placement_result *r);

/* Whether a failure reason as RunTask writes it ("RESOURCE:CPU", or
 * "ATTRIBUTE: missing <name>") is of category reason (a
 * PLACEMENT_REASON_* string): equal to it, or it followed by ": ". */
bool placement_reason_is(const char *reason, const char *category);

/* "binpack" | "spread" | "random" <-> enum; -1 / NULL when unknown. */
int placement_strategy_type_from_string(const char *s);
const char *placement_strategy_type_to_string(enum placement_strategy_type t);
/* "distinctInstance" | "memberOf" <-> enum; -1 / NULL when unknown. */
int placement_constraint_type_from_string(const char *s);
const char *placement_constraint_type_to_string(enum placement_constraint_type t);
