/* placement_cache.c - a small table of placement snapshots by cluster. */
#include "server/ecs/placement_cache.h"

#include <pthread.h>
#include <stdlib.h>

#include "server/ecs/placement_snapshot.h"

/* Clusters whose snapshot is kept; the least recently used goes first.
 * A snapshot of 5,000 instances is a few MB. */
#define PLACEMENT_CACHE_CLUSTERS 8

struct cache_entry {
    int64_t cluster_id;
    int64_t gen;
    uint64_t used; /* tick of the last put, for eviction */
    struct placement_snapshot *snap;
};

struct placement_cache {
    pthread_mutex_t lock;
    uint64_t tick;
    struct cache_entry e[PLACEMENT_CACHE_CLUSTERS];
};

struct placement_cache *placement_cache_new(void)
{
    struct placement_cache *c = calloc(1, sizeof(*c));
    if (c)
        pthread_mutex_init(&c->lock, NULL);
    return c;
}

static struct cache_entry *find(struct placement_cache *c, int64_t cluster_id)
{
    for (size_t i = 0; i < PLACEMENT_CACHE_CLUSTERS; i++)
        if (c->e[i].snap && c->e[i].cluster_id == cluster_id)
            return &c->e[i];
    return NULL;
}

struct placement_snapshot *placement_cache_take(struct placement_cache *c, int64_t cluster_id, int64_t gen)
{
    pthread_mutex_lock(&c->lock);
    struct cache_entry *e = find(c, cluster_id);
    struct placement_snapshot *snap = e ? e->snap : NULL;
    bool current = e && e->gen == gen;
    if (e)
        e->snap = NULL;
    pthread_mutex_unlock(&c->lock);
    if (current)
        return snap;
    snapshot_free(snap);
    return NULL;
}

void placement_cache_put(struct placement_cache *c, int64_t cluster_id, int64_t gen, struct placement_snapshot *snap)
{
    struct placement_snapshot *drop = snap;
    pthread_mutex_lock(&c->lock);
    struct cache_entry *e = find(c, cluster_id);
    if (!e) {
        /* A free slot, else the least recently used. */
        for (size_t i = 0; i < PLACEMENT_CACHE_CLUSTERS; i++) {
            struct cache_entry *x = &c->e[i];
            if (!e || !x->snap || (e->snap && x->used < e->used))
                e = x;
            if (!x->snap)
                break;
        }
    }
    if (!e->snap || e->cluster_id != cluster_id || gen >= e->gen) {
        drop = e->snap;
        *e = (struct cache_entry){.cluster_id = cluster_id, .gen = gen, .used = ++c->tick, .snap = snap};
    }
    pthread_mutex_unlock(&c->lock);
    snapshot_free(drop);
}

void placement_cache_free(struct placement_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < PLACEMENT_CACHE_CLUSTERS; i++)
        snapshot_free(c->e[i].snap);
    pthread_mutex_destroy(&c->lock);
    free(c);
}
