/* liveness.c - an open-addressing hash of instance id -> last contact,
 * and when each bulk-polling agent last vouched for all its instances. */
#include "server/ecs/liveness.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Agents remembered by liveness_bulk_due; beyond that every poll is due. */
#define LIVENESS_BULK_AGENTS 256

struct bulk_agent {
    int64_t cluster_id;
    char agent_id[129];
    usec_t touched;
};

struct slot {
    int64_t id; /* 0: empty */
    usec_t seen;
    usec_t local; /* the last contact this server had itself (0: none) */
};

struct liveness {
    pthread_mutex_t lock;
    usec_t timeout;
    usec_t started; /* grace for instances not heard from since start */
    struct slot *slots;
    size_t cap, used;
    struct bulk_agent bulk[LIVENESS_BULK_AGENTS];
    size_t nbulk;
    /* Touches that made a disconnected (or unknown) instance connected:
     * liveness_unchanged's test that no answer went from false to true. */
    uint64_t revivals;
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

static void touch_locked(struct liveness *l, int64_t id, usec_t now, bool local)
{
    if ((l->used + 1) * 2 > l->cap)
        grow(l);
    size_t i = slot_of(l, id);
    if (l->slots[i].id == 0) {
        if ((l->used + 1) * 4 > l->cap * 3)
            return; /* full even after growing: out of memory */
        l->slots[i].id = id;
        l->slots[i].seen = now;
        l->used++;
        l->revivals++;
    } else if (now > l->slots[i].seen) {
        /* Never backwards (threads' clocks race): a later answer that
         * says connected must not turn false sooner than read. */
        if (now - l->slots[i].seen > l->timeout)
            l->revivals++;
        l->slots[i].seen = now;
    }
    if (local && now > l->slots[i].local)
        l->slots[i].local = now;
}

void liveness_touch(struct liveness *l, int64_t id, usec_t now)
{
    pthread_mutex_lock(&l->lock);
    touch_locked(l, id, now, true);
    pthread_mutex_unlock(&l->lock);
}

void liveness_heard_elsewhere(struct liveness *l, int64_t id, usec_t seen)
{
    pthread_mutex_lock(&l->lock);
    touch_locked(l, id, seen, false);
    pthread_mutex_unlock(&l->lock);
}

size_t liveness_local_since(struct liveness *l, usec_t after, struct liveness_contact **ret)
{
    pthread_mutex_lock(&l->lock);
    size_t n = 0;
    for (size_t i = 0; i < l->cap; i++)
        n += l->slots[i].id && l->slots[i].local > after;
    struct liveness_contact *c = malloc((n ? n : 1) * sizeof(*c));
    size_t k = 0;
    for (size_t i = 0; c && i < l->cap; i++)
        if (l->slots[i].id && l->slots[i].local > after)
            c[k++] = (struct liveness_contact){l->slots[i].id, l->slots[i].local};
    pthread_mutex_unlock(&l->lock);
    *ret = c;
    return c ? k : 0;
}

static usec_t seen_locked(const struct liveness *l, int64_t id)
{
    size_t i = slot_of(l, id);
    return l->slots[i].id == id ? l->slots[i].seen : l->started;
}

static bool connected_locked(const struct liveness *l, int64_t id, usec_t now)
{
    return now - seen_locked(l, id) <= l->timeout;
}

bool liveness_connected(struct liveness *l, int64_t id, usec_t now)
{
    pthread_mutex_lock(&l->lock);
    bool r = connected_locked(l, id, now);
    pthread_mutex_unlock(&l->lock);
    return r;
}

void liveness_connected_many(struct liveness *l, const int64_t *ids, size_t n, bool *ret_connected, usec_t now,
                             struct liveness_mark *ret_mark)
{
    usec_t until = INT64_MAX;
    pthread_mutex_lock(&l->lock);
    for (size_t k = 0; k < n; k++) {
        usec_t seen = seen_locked(l, ids[k]);
        ret_connected[k] = now - seen <= l->timeout;
        if (ret_connected[k] && seen + l->timeout < until)
            until = seen + l->timeout;
    }
    *ret_mark = (struct liveness_mark){.valid = true, .revivals = l->revivals, .until = until};
    pthread_mutex_unlock(&l->lock);
}

bool liveness_unchanged(struct liveness *l, const struct liveness_mark *mark, usec_t now)
{
    if (!mark->valid)
        return false;
    pthread_mutex_lock(&l->lock);
    bool same = mark->revivals == l->revivals && now <= mark->until;
    pthread_mutex_unlock(&l->lock);
    return same;
}

bool liveness_bulk_due(struct liveness *l, int64_t cluster_id, const char *agent_id, usec_t now, usec_t hold)
{
    if (strlen(agent_id) >= sizeof(l->bulk[0].agent_id))
        return true;
    pthread_mutex_lock(&l->lock);
    struct bulk_agent *b = NULL;
    for (size_t i = 0; i < l->nbulk && !b; i++)
        if (l->bulk[i].cluster_id == cluster_id && strcmp(l->bulk[i].agent_id, agent_id) == 0)
            b = &l->bulk[i];
    if (!b && l->nbulk < LIVENESS_BULK_AGENTS) {
        b = &l->bulk[l->nbulk++];
        b->cluster_id = cluster_id;
        memcpy(b->agent_id, agent_id, strlen(agent_id) + 1);
        b->touched = 0;
    }
    /* Nothing touches the instances while a long poll that was not due
     * holds the agent: the touch must outlast it. */
    bool due = !b || now - b->touched >= l->timeout / 4 || now + hold - b->touched > l->timeout - l->timeout / 4;
    if (b && due)
        b->touched = now;
    pthread_mutex_unlock(&l->lock);
    return due;
}
