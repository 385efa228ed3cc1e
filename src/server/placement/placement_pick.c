/* placement_pick.c - how the placement engine finds each task's
 * candidates among the instances that can still take one (the live list,
 * in the order ties go).  Only the instance that took the last task
 * changes, so:
 *  - in general, one pass over the live list per task, dropping the ones
 *    that no longer can and narrowing by the first rank as it goes;
 *  - for one spread attribute with ranked ids (a service's spread(AZ)), a
 *    cursor per bucket at its first instance left: the bucket with the
 *    fewest tasks wins, its first instance by id;
 *  - for one binpack or spread(instanceId) rank with ranked ids, a heap
 *    by (score, id rank): the instance that took a task is at the top and
 *    only it moves.
 * All three choose exactly what a full pass and narrowing would. */
#include <stdlib.h>

#include "server/placement/placement_engine.h"

/* How many ranks the scan applies (the first, unless it draws: narrow()
 * draws only when there is a choice). */
static size_t scan_ranks(const struct engine *e) { return e->n_ranks && e->ranks[0].key != KEY_RANDOM; }

static size_t scan_next(struct picker *p, struct engine *e, size_t *cand)
{
    const struct rank *r = scan_ranks(e) ? &e->ranks[0] : NULL;
    int64_t best = INT64_MAX;
    size_t kept = 0, ncand = 0;
    for (size_t k = 0; k < p->nlive; k++) {
        size_t i = p->live[k];
        if (e->reason[i])
            continue;
        p->live[kept++] = i;
        if (r) {
            int64_t sc = score(e, r, i);
            if (sc > best)
                continue;
            if (sc < best) {
                best = sc;
                ncand = 0;
            }
        }
        cand[ncand++] = i;
    }
    p->nlive = kept;
    return ncand;
}

static int buckets_init(struct picker *p, const struct rank *r, struct error *err)
{
    size_t nb = 0;
    for (size_t k = 0; k < p->nlive; k++)
        if ((size_t)r->bucket_of[p->live[k]] + 1 > nb)
            nb = (size_t)r->bucket_of[p->live[k]] + 1;
    p->buckets.n = nb;
    p->buckets.list = malloc((p->nlive ? p->nlive : 1) * sizeof(size_t));
    p->buckets.pos = calloc(nb + 1, sizeof(size_t));
    p->buckets.end = calloc(nb + 1, sizeof(size_t));
    if (!p->buckets.list || !p->buckets.pos || !p->buckets.end)
        return error_set(err, ERR_INTERNAL, "out of memory");
    size_t *pos = p->buckets.pos, *end = p->buckets.end;
    for (size_t k = 0; k < p->nlive; k++) /* a counting sort: stable, so id order within */
        end[r->bucket_of[p->live[k]]]++;
    for (size_t q = 0, at = 0; q < nb; q++) {
        pos[q] = at;
        at += end[q];
        end[q] = pos[q];
    }
    for (size_t k = 0; k < p->nlive; k++)
        p->buckets.list[end[r->bucket_of[p->live[k]]]++] = p->live[k];
    return 0;
}

static size_t buckets_next(struct picker *p, const struct engine *e, size_t *cand)
{
    const struct rank *r = &e->ranks[0];
    const uint32_t *id_rank = e->req->id_rank;
    ssize_t best = -1;
    for (size_t q = 0; q < p->buckets.n; q++) {
        size_t *pos = &p->buckets.pos[q];
        while (*pos < p->buckets.end[q] && e->reason[p->buckets.list[*pos]])
            (*pos)++;
        if (*pos == p->buckets.end[q])
            continue;
        size_t i = p->buckets.list[*pos];
        int have = r->bucket_count[q], had = best < 0 ? 0 : r->bucket_count[r->bucket_of[best]];
        if (best < 0 || have < had || (have == had && id_rank[i] < id_rank[best]))
            best = (ssize_t)i;
    }
    if (best < 0)
        return 0;
    cand[0] = (size_t)best;
    return 1;
}

static bool heap_before(const struct engine *e, size_t a, size_t b)
{
    int64_t x = instance_score(e, &e->ranks[0], a), y = instance_score(e, &e->ranks[0], b);
    return x < y || (x == y && e->req->id_rank[a] < e->req->id_rank[b]);
}

static void heap_down(struct picker *p, const struct engine *e, size_t k)
{
    size_t *h = p->live, n = p->nlive;
    for (;;) {
        size_t best = k, l = 2 * k + 1, r = l + 1;
        if (l < n && heap_before(e, h[l], h[best]))
            best = l;
        if (r < n && heap_before(e, h[r], h[best]))
            best = r;
        if (best == k)
            return;
        size_t t = h[k];
        h[k] = h[best];
        h[best] = t;
        k = best;
    }
}

int picker_init(struct picker *p, struct engine *e, size_t *live, size_t nlive, struct error *err)
{
    p->live = live;
    p->nlive = nlive;
    if (!live)
        return error_set(err, ERR_INTERNAL, "out of memory");
    enum rank_key key = e->n_ranks == 1 && e->req->id_rank ? e->ranks[0].key : KEY_RANDOM;
    if (key == KEY_ATTRIBUTE) {
        p->how = PICK_BUCKETS;
        return buckets_init(p, &e->ranks[0], err);
    }
    if (key == KEY_CPU || key == KEY_MEMORY || key == KEY_INSTANCE) {
        p->how = PICK_HEAP;
        for (size_t k = nlive / 2; k-- > 0;)
            heap_down(p, e, k);
    }
    return 0;
}

size_t picker_next(struct picker *p, struct engine *e, size_t *cand, size_t *ret_ranked)
{
    switch (p->how) {
    case PICK_BUCKETS: *ret_ranked = 1; return buckets_next(p, e, cand);
    case PICK_HEAP:
        *ret_ranked = 1;
        if (p->nlive == 0)
            return 0;
        cand[0] = p->live[0];
        return 1;
    case PICK_SCAN: break;
    }
    *ret_ranked = scan_ranks(e);
    return scan_next(p, e, cand);
}

void picker_took(struct picker *p, struct engine *e, size_t i)
{
    if (p->how != PICK_HEAP)
        return; /* the scan and the buckets skip it once it cannot take more */
    if (e->reason[i])
        p->live[0] = p->live[--p->nlive];
    heap_down(p, e, 0); /* its score moved; nothing else's did */
}

void picker_done(struct picker *p)
{
    free(p->live);
    free(p->buckets.list);
    free(p->buckets.pos);
    free(p->buckets.end);
}
