/* placement_engine.h - the placement engine's per-call state, shared by
 * placement.c (filters, ranks, failures) and placement_pick.c (how the
 * next task's candidates are found). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "server/placement/placement.h"

/* What a strategy ranks by, decided once from its field. */
enum rank_key { KEY_CPU, KEY_MEMORY, KEY_INSTANCE, KEY_ATTRIBUTE, KEY_RANDOM };

struct rank {
    enum rank_key key;
    const char *attr;  /* KEY_ATTRIBUTE: the attribute name */
    int *bucket_of;    /* KEY_ATTRIBUTE: bucket per instance (-1: not ACTIVE) */
    int *bucket_count; /* KEY_ATTRIBUTE: group tasks per bucket */
};

/* Per-instance state that placement changes. */
struct work {
    int64_t cpu, memory;
    int64_t group_count;      /* tasks of the request's group, placed ones included */
    int placed;               /* tasks placed here by this call */
    bool attrs_ok;            /* requiresAttributes satisfied */
    const char *missing_attr; /* else the first one the instance lacks */
};

struct engine {
    const struct placement_instance *inst;
    size_t n;
    const struct placement_request *req;
    const struct placement_task *task;
    struct work *work;
    struct query **member_of; /* n_member compiled memberOf expressions */
    size_t n_member;
    /* Why each instance cannot take the next task (NULL: it can).  Every
     * input to the filters is per instance and only placing a task on an
     * instance changes it, so after the first pass only the instance just
     * chosen is checked again. */
    const char **reason;
    bool distinct;
    struct rank *ranks;
    size_t n_ranks;
    bool task_has_ports;
    bool task_needs_reserved;
    uint64_t *need_tcp, *need_udp; /* 65536-bit sets of the task's ports */
    uint64_t rng;
};

static inline uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* An instance's own score for a rank that is not random (lower is better). */
static inline int64_t instance_score(const struct engine *e, const struct rank *r, size_t i)
{
    switch (r->key) {
    case KEY_CPU: return e->work[i].cpu;
    case KEY_MEMORY: return e->work[i].memory;
    case KEY_INSTANCE: return e->work[i].group_count;
    case KEY_ATTRIBUTE: return r->bucket_count[r->bucket_of[i]];
    case KEY_RANDOM: break; /* a draw, not the instance's: score() */
    }
    return 0;
}

/* Lower is better; a random rank draws from the engine's generator. */
static inline int64_t score(struct engine *e, const struct rank *r, size_t i)
{
    return r->key == KEY_RANDOM ? (int64_t)(splitmix64(&e->rng) >> 1) : instance_score(e, r, i);
}

/* Finds each task's candidates: a pass over the instances left, or for a
 * lone rank with ranked ids, a cursor per spread bucket or a heap. */
struct picker {
    enum { PICK_SCAN, PICK_BUCKETS, PICK_HEAP } how;
    size_t *live; /* the instances that can take a task (see live_init) */
    size_t nlive;
    struct {
        size_t *list, *pos, *end; /* by bucket, id order within; cursors; ends */
        size_t n;
    } buckets;
};

/* Takes live (nlive of them, in the order ties go); picker_done frees it. */
int picker_init(struct picker *p, struct engine *e, size_t *live, size_t nlive, struct error *err);
/* The next task's candidates into cand, best first by the first
 * *ret_ranked ranks (the caller narrows by the rest); 0: none left. */
size_t picker_next(struct picker *p, struct engine *e, size_t *cand, size_t *ret_ranked);
/* Instance i, the one picked, took the task (e->reason[i] is current). */
void picker_took(struct picker *p, struct engine *e, size_t i);
void picker_done(struct picker *p);
