/* liveness.c - an open-addressing hash of instance id -> last contact. */
#include "liveness.h"

#include <pthread.h>
#include <stdlib.h>

struct slot {
    int64_t id; /* 0: empty */
    usec_t seen;
};

struct liveness {
    pthread_mutex_t lock;
    usec_t timeout;
    usec_t started; /* grace for instances not heard from since start */
    struct slot *slots;
    size_t cap, used;
};

int liveness_new(usec_t timeout, struct liveness **ret)
{
    struct liveness *l = calloc(1, sizeof(*l));
    if (!l)
        return -1;
    l->cap = 1024;
    l->slots = calloc(l->cap, sizeof(*l->slots));
    if (!l->slots) {
        free(l);
        return -1;
    }
    pthread_mutex_init(&l->lock, NULL);
    l->timeout = timeout;
    l->started = time_now();
    *ret = l;
    return 0;
}

void liveness_free(struct liveness *l)
{
    if (!l)
        return;
    pthread_mutex_destroy(&l->lock);
    free(l->slots);
    free(l);
}

static size_t slot_of(const struct liveness *l, int64_t id)
{
    uint64_t h = (uint64_t)id * 0x9e3779b97f4a7c15ULL;
    size_t i = (size_t)(h >> 20) & (l->cap - 1);
    while (l->slots[i].id != 0 && l->slots[i].id != id)
        i = (i + 1) & (l->cap - 1);
    return i;
}

static void grow(struct liveness *l)
{
    struct slot *old = l->slots;
    size_t oldcap = l->cap;
    struct slot *bigger = calloc(oldcap * 2, sizeof(*bigger));
    if (!bigger)
        return; /* stay at this size; the table still works, just fuller */
    l->slots = bigger;
    l->cap = oldcap * 2;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].id)
            l->slots[slot_of(l, old[i].id)] = old[i];
    free(old);
}

void liveness_touch(struct liveness *l, int64_t id, usec_t now)
{
    pthread_mutex_lock(&l->lock);
    if ((l->used + 1) * 2 > l->cap)
        grow(l);
    size_t i = slot_of(l, id);
    if (l->slots[i].id == 0) {
        if ((l->used + 1) * 4 > l->cap * 3) {
            pthread_mutex_unlock(&l->lock);
            return; /* full even after growing: out of memory */
        }
        l->slots[i].id = id;
        l->used++;
    }
    l->slots[i].seen = now;
    pthread_mutex_unlock(&l->lock);
}

bool liveness_connected(struct liveness *l, int64_t id, usec_t now)
{
    pthread_mutex_lock(&l->lock);
    size_t i = slot_of(l, id);
    usec_t seen = l->slots[i].id == id ? l->slots[i].seen : l->started;
    pthread_mutex_unlock(&l->lock);
    return now - seen <= l->timeout;
}
