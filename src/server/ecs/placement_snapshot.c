/* placement_snapshot.c - building placement_instance structs from the store
 * (four bulk queries), owning every string they point to, keeping them
 * current as tasks are placed, and reusing them through placement_cache. */
#include "server/ecs/placement_snapshot.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "server/ecs/instances.h"
#include "server/ecs/fargate.h"
#include "server/ecs/liveness.h"
#include "server/ecs/placement_cache.h"
#include "server/ecs/ecs_service.h"
#include "server/store/store_placement.h"

struct snap_instance {
    struct instance_row row; /* without its document */
    char arn[600];
    const char *agent_version;
    uint16_t *tcp, *udp;
    size_t ntcp, nudp, cap_tcp, cap_udp;
    struct query_attr *attrs;
    size_t nattrs, cap_attrs;
    struct query_group *groups;
    size_t ngroups, cap_groups;
};

struct loader {
    struct op_ctx *ctx;
    const struct cluster_row *cluster;
    struct placement_snapshot *snap;
    size_t cap;
    size_t last_hit; /* attributes arrive grouped by target: remember it */
    size_t *by_uuid; /* indexes into snap->items, sorted by uuid */
};

/* Snapshot strings (tens of thousands per load at a few thousand
 * instances) come from a few large chunks: one malloc/free each made
 * allocation the top of the server's profile. */
#define SNAP_CHUNK_SIZE 65536

struct snap_chunk {
    struct snap_chunk *next;
    size_t used, cap;
    char data[];
};

static const char *snap_strdup(struct placement_snapshot *s, const char *str)
{
    size_t len = strlen(str) + 1;
    struct snap_chunk *c = s->strings;
    if (!c || c->cap - c->used < len) {
        size_t cap = len > SNAP_CHUNK_SIZE ? len : SNAP_CHUNK_SIZE;
        c = malloc(sizeof(*c) + cap);
        if (!c)
            return NULL;
        c->next = s->strings;
        c->used = 0;
        c->cap = cap;
        s->strings = c;
    }
    char *p = c->data + c->used;
    memcpy(p, str, len);
    c->used += len;
    return p;
}

static int add_port(struct snap_instance *si, bool udp, int port)
{
    if (port < 0 || port > 65535)
        return 0;
    if (udp) {
        if (array_reserve(&si->udp, &si->cap_udp, si->nudp + 1, sizeof(uint16_t)) < 0)
            return -1;
        si->udp[si->nudp++] = (uint16_t)port;
    } else {
        if (array_reserve(&si->tcp, &si->cap_tcp, si->ntcp + 1, sizeof(uint16_t)) < 0)
            return -1;
        si->tcp[si->ntcp++] = (uint16_t)port;
    }
    return 0;
}

static int on_instance(void *ud, struct instance_row *row, struct error *err)
{
    struct loader *l = ud;
    struct placement_snapshot *s = l->snap;
    if (array_reserve(&s->items, &l->cap, s->n + 1, sizeof(*s->items)) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    struct snap_instance *si = &s->items[s->n];
    memset(si, 0, sizeof(*si));
    si->row = *row;
    memset(row, 0, sizeof(*row)); /* ownership moves to the snapshot */
    instance_arn(l->ctx, l->cluster->name, si->row.uuid, si->arn, sizeof(si->arn));
    /* Ports registered as unavailable beyond ECS's reserved ones. */
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(si->row.doc, "registeredResources"), i, r) {
        const char *name = json_string_value(json_object_get(r, "name"));
        bool tcp = strcmp(name, "PORTS") == 0, udp = strcmp(name, "PORTS_UDP") == 0;
        if (!tcp && !udp)
            continue;
        size_t k;
        json_t *p;
        json_array_foreach(json_object_get(r, "stringSetValue"), k, p) {
            if (add_port(si, udp, (int)strtol(json_string_value(p), NULL, 10)) < 0)
                return error_set(err, ERR_INTERNAL, "out of memory");
        }
    }
    const char *version =
        json_string_value(json_object_get(json_object_get(si->row.doc, "versionInfo"), "agentVersion"));
    if (version && !(si->agent_version = snap_strdup(s, version)))
        return error_set(err, ERR_INTERNAL, "out of memory");
    /* Everything placement reads is out of the document now; a cached
     * snapshot of thousands of instances need not keep it. */
    json_decref(si->row.doc);
    si->row.doc = NULL;
    s->n++;
    return 0;
}

static int cmp_id(const void *key, const void *elem)
{
    int64_t id = *(const int64_t *)key;
    int64_t other = ((const struct snap_instance *)elem)->row.id;
    return id < other ? -1 : id > other;
}

static struct snap_instance *by_id(struct placement_snapshot *s, int64_t id)
{
    return bsearch(&id, s->items, s->n, sizeof(*s->items), cmp_id);
}

static int cmp_uuid_index(const void *a, const void *b, void *items)
{
    const struct snap_instance *it = items;
    return strcmp(it[*(const size_t *)a].row.uuid, it[*(const size_t *)b].row.uuid);
}

/* Attributes come keyed by uuid; a linear search per instance made each
 * snapshot O(instances^2) (40% of the server's CPU at 1,000 instances). */
static int index_by_uuid(struct loader *l)
{
    struct placement_snapshot *s = l->snap;
    l->by_uuid = calloc(s->n ? s->n : 1, sizeof(*l->by_uuid));
    if (!l->by_uuid)
        return -1;
    for (size_t i = 0; i < s->n; i++)
        l->by_uuid[i] = i;
    qsort_r(l->by_uuid, s->n, sizeof(*l->by_uuid), cmp_uuid_index, s->items);
    return 0;
}

static struct snap_instance *by_uuid(struct loader *l, const char *uuid)
{
    struct placement_snapshot *s = l->snap;
    if (l->last_hit < s->n && strcmp(s->items[l->last_hit].row.uuid, uuid) == 0)
        return &s->items[l->last_hit];
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(s->items[l->by_uuid[mid]].row.uuid, uuid);
        if (c == 0) {
            l->last_hit = l->by_uuid[mid];
            return &s->items[l->last_hit];
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static int on_attr(void *ud, const char *uuid, const char *name, const char *value, struct error *err)
{
    struct loader *l = ud;
    struct snap_instance *si = by_uuid(l, uuid);
    if (!si)
        return 0; /* not ACTIVE */
    if (array_reserve(&si->attrs, &si->cap_attrs, si->nattrs + 1, sizeof(*si->attrs)) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    struct query_attr *a = &si->attrs[si->nattrs];
    a->name = snap_strdup(l->snap, name);
    a->value = value ? snap_strdup(l->snap, value) : NULL;
    if (!a->name || (value && !a->value))
        return error_set(err, ERR_INTERNAL, "out of memory");
    si->nattrs++;
    return 0;
}

static int on_port(void *ud, int64_t instance_id, const char *protocol, int port, struct error *err)
{
    struct loader *l = ud;
    struct snap_instance *si = by_id(l->snap, instance_id);
    if (si && add_port(si, strcmp(protocol, "udp") == 0, port) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return 0;
}

static int on_group(void *ud, int64_t instance_id, const char *group, int count, struct error *err)
{
    struct loader *l = ud;
    struct snap_instance *si = by_id(l->snap, instance_id);
    if (!si)
        return 0;
    if (array_reserve(&si->groups, &si->cap_groups, si->ngroups + 1, sizeof(*si->groups)) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    si->groups[si->ngroups].name = snap_strdup(l->snap, group);
    if (!si->groups[si->ngroups].name)
        return error_set(err, ERR_INTERNAL, "out of memory");
    si->groups[si->ngroups].count = count;
    si->ngroups++;
    return 0;
}

static int cmp_attr_name(const void *a, const void *b)
{
    return strcmp(((const struct query_attr *)a)->name, ((const struct query_attr *)b)->name);
}

static void point_engine_at(struct placement_snapshot *s, size_t i)
{
    struct snap_instance *si = &s->items[i];
    struct placement_instance *pi = &s->instances[i];
    pi->used_tcp_ports = si->tcp;
    pi->n_used_tcp = si->ntcp;
    pi->used_udp_ports = si->udp;
    pi->n_used_udp = si->nudp;
    pi->q.attrs = si->attrs;
    pi->q.n_attrs = si->nattrs;
    pi->q.groups = si->groups;
    pi->q.n_groups = si->ngroups;
}

static struct placement_snapshot *snapshot_load(struct op_ctx *ctx, const struct cluster_row *cluster,
                                                struct error *err)
{
    struct placement_snapshot *ret = calloc(1, sizeof(*ret));
    if (!ret) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return NULL;
    }
    struct loader l = {.ctx = ctx, .cluster = cluster, .snap = ret};
    if (store_placement_instances(ctx->tx, cluster->id, on_instance, &l, err) < 0)
        goto fail;
    if (index_by_uuid(&l) < 0) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto fail;
    }
    ret->id_rank = malloc((ret->n ? ret->n : 1) * sizeof(*ret->id_rank));
    if (!ret->id_rank) {
        free(l.by_uuid);
        error_set(err, ERR_INTERNAL, "out of memory");
        goto fail;
    }
    for (size_t k = 0; k < ret->n; k++)
        ret->id_rank[l.by_uuid[k]] = (uint32_t)k;
    int r = 0;
    if (store_placement_attrs(ctx->tx, cluster->id, on_attr, &l, err) < 0 ||
        store_placement_ports(ctx->tx, cluster->id, on_port, &l, err) < 0 ||
        store_placement_groups(ctx->tx, cluster->id, on_group, &l, err) < 0)
        r = -1;
    free(l.by_uuid);
    if (r < 0)
        goto fail;
    for (size_t i = 0; i < ret->n; i++)
        if (ret->items[i].nattrs > 1) /* an instance without attributes has no array: qsort(NULL) is undefined */
            qsort(ret->items[i].attrs, ret->items[i].nattrs, sizeof(struct query_attr), cmp_attr_name);
    ret->instances = calloc(ret->n ? ret->n : 1, sizeof(*ret->instances));
    if (!ret->instances) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < ret->n; i++) {
        struct snap_instance *si = &ret->items[i];
        struct placement_instance *pi = &ret->instances[i];
        pi->arn = si->arn;
        pi->id = si->row.uuid;
        pi->active = strcmp(si->row.status, "ACTIVE") == 0;
        pi->remaining_cpu = si->row.reg_cpu - si->row.used_cpu;
        pi->remaining_memory = si->row.reg_memory - si->row.used_memory;
        pi->q.ec2_instance_id = si->row.ec2_instance_id;
        pi->q.agent_version = si->agent_version;
        pi->q.registered_at_usec = si->row.registered_at;
        pi->q.running_tasks_count = si->row.running_count + si->row.pending_count;
        pi->q.attrs_sorted = true;
        point_engine_at(ret, i);
        const struct query_attr *fa = query_subject_attr(&pi->q, FARGATE_ATTRIBUTE);
        pi->fargate = fa && fa->value && strcmp(fa->value, "true") == 0;
    }
    return ret;
fail:
    snapshot_free(ret);
    return NULL;
}

/* Agent connections change without a write; they are read afresh when
 * the answers last read may have changed (liveness_unchanged), all under
 * one lock of the liveness table: reading every instance's on every
 * RunTask was ~3% of the server at 5,000 instances. */
static int refresh_liveness(struct op_ctx *ctx, struct placement_snapshot *s, struct error *err)
{
    if (liveness_unchanged(ecs_of(ctx)->liveness, &s->live, ctx->now))
        return 0;
    _cleanup_free_ int64_t *ids = malloc((s->n ? s->n : 1) * sizeof(*ids));
    _cleanup_free_ bool *connected = malloc((s->n ? s->n : 1) * sizeof(*connected));
    if (!ids || !connected)
        return error_set(err, ERR_INTERNAL, "out of memory");
    for (size_t i = 0; i < s->n; i++)
        ids[i] = s->items[i].row.id;
    liveness_connected_many(ecs_of(ctx)->liveness, ids, s->n, connected, ctx->now, &s->live);
    for (size_t i = 0; i < s->n; i++)
        s->instances[i].q.agent_connected = connected[i];
    return 0;
}

static bool same_str(const char *a, const char *b) { return a == b || (a && b && strcmp(a, b) == 0); }

static bool same_ports(const uint16_t *a, size_t na, const uint16_t *b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++) {
        size_t in_a = 0, in_b = 0;
        for (size_t k = 0; k < na; k++) {
            in_a += a[k] == a[i];
            in_b += b[k] == a[i];
        }
        if (in_a != in_b)
            return false;
    }
    return true;
}

static bool same_attrs(const struct query_attr *a, size_t na, const struct query_attr *b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++) {
        size_t k = 0;
        while (k < nb && !(same_str(a[i].name, b[k].name) && same_str(a[i].value, b[k].value)))
            k++;
        if (k == nb)
            return false;
    }
    return true;
}

static bool same_groups(const struct query_group *a, size_t na, const struct query_group *b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++) {
        size_t k = 0;
        while (k < nb && !(same_str(a[i].name, b[k].name) && a[i].count == b[k].count))
            k++;
        if (k == nb)
            return false;
    }
    return true;
}

/* The first difference between two snapshots, or NULL: what the cache
 * check reports. */
static const char *snapshot_difference(const struct placement_snapshot *a, const struct placement_snapshot *b,
                                       size_t *ret_i)
{
    *ret_i = 0;
    if (a->n != b->n)
        return "number of instances";
    for (size_t i = 0; i < a->n; i++) {
        const struct placement_instance *x = &a->instances[i], *y = &b->instances[i];
        *ret_i = i;
        if (!same_str(x->id, y->id) || !same_str(x->arn, y->arn) || x->active != y->active || x->fargate != y->fargate)
            return "instance";
        if (x->remaining_cpu != y->remaining_cpu || x->remaining_memory != y->remaining_memory)
            return "remaining resources";
        if (!same_ports(x->used_tcp_ports, x->n_used_tcp, y->used_tcp_ports, y->n_used_tcp) ||
            !same_ports(x->used_udp_ports, x->n_used_udp, y->used_udp_ports, y->n_used_udp))
            return "ports";
        if (!same_str(x->q.ec2_instance_id, y->q.ec2_instance_id) ||
            !same_str(x->q.agent_version, y->q.agent_version) || x->q.registered_at_usec != y->q.registered_at_usec ||
            x->q.running_tasks_count != y->q.running_tasks_count)
            return "query fields";
        if (!same_attrs(x->q.attrs, x->q.n_attrs, y->q.attrs, y->q.n_attrs))
            return "attributes";
        if (!same_groups(x->q.groups, x->q.n_groups, y->q.groups, y->q.n_groups))
            return "task groups";
    }
    return NULL;
}

/* BERTH_CHECK_PLACEMENT_CACHE=1 (the integration tests set it): compare
 * every reused snapshot with a fresh load and stop the server at the first
 * difference, so a write path the generation triggers miss cannot hide. */
static void check_against_store(struct op_ctx *ctx, const struct cluster_row *cluster,
                                const struct placement_snapshot *cached)
{
    const char *check = getenv("BERTH_CHECK_PLACEMENT_CACHE");
    if (!check || strcmp(check, "1") != 0)
        return;
    struct error err;
    struct placement_snapshot *fresh = snapshot_load(ctx, cluster, &err);
    if (!fresh)
        return;
    size_t i;
    const char *what = snapshot_difference(cached, fresh, &i);
    if (what) {
        log_error("placement cache: cluster %s, instance %zu: cached %s differ from the store", cluster->name, i, what);
        abort();
    }
    snapshot_free(fresh);
}

int snapshot_acquire(struct op_ctx *ctx, const struct cluster_row *cluster, struct placement_snapshot **ret,
                     struct error *err)
{
    int64_t gen;
    if (store_placement_gen(ctx->tx, cluster->id, &gen, err) < 0)
        return -1;
    struct placement_snapshot *s = placement_cache_take(ecs_of(ctx)->placement_cache, cluster->id, gen);
    if (s)
        check_against_store(ctx, cluster, s);
    else if (!(s = snapshot_load(ctx, cluster, err)))
        return -1;
    if (refresh_liveness(ctx, s, err) < 0) {
        snapshot_free(s);
        return -1;
    }
    *ret = s;
    return 0;
}

int snapshot_placed(struct placement_snapshot *s, size_t i, const struct placement_task *t, struct error *err)
{
    struct snap_instance *si = &s->items[i];
    struct placement_instance *pi = &s->instances[i];
    si->row.used_cpu += t->cpu;
    si->row.used_memory += t->memory;
    si->row.pending_count++;
    pi->remaining_cpu -= t->cpu;
    pi->remaining_memory -= t->memory;
    pi->q.running_tasks_count++;
    for (size_t k = 0; k < t->n_tcp + t->n_udp; k++) {
        bool udp = k >= t->n_tcp;
        if (add_port(si, udp, udp ? t->udp_ports[k - t->n_tcp] : t->tcp_ports[k]) < 0)
            goto oom;
    }
    if (t->group) {
        size_t g = 0;
        while (g < si->ngroups && strcmp(si->groups[g].name, t->group) != 0)
            g++;
        if (g == si->ngroups) {
            if (array_reserve(&si->groups, &si->cap_groups, si->ngroups + 1, sizeof(*si->groups)) < 0 ||
                !(si->groups[g].name = snap_strdup(s, t->group)))
                goto oom;
            si->groups[g].count = 0;
            si->ngroups++;
        }
        si->groups[g].count++;
    }
    point_engine_at(s, i);
    return 0;
oom:
    point_engine_at(s, i);
    return error_set(err, ERR_INTERNAL, "out of memory");
}

struct keep_after_commit {
    struct placement_cache *cache;
    int64_t cluster_id, gen;
    struct placement_snapshot *snap;
};

static void keep_if_committed(void *ud, bool committed)
{
    struct keep_after_commit *k = ud;
    if (committed)
        placement_cache_put(k->cache, k->cluster_id, k->gen, k->snap);
    else
        snapshot_free(k->snap);
    free(k);
}

void snapshot_release(struct op_ctx *ctx, const struct cluster_row *cluster, struct placement_snapshot *s)
{
    struct error err;
    struct keep_after_commit *k = malloc(sizeof(*k));
    if (!k || store_placement_gen(ctx->tx, cluster->id, &k->gen, &err) < 0) {
        free(k);
        snapshot_free(s);
        return;
    }
    k->cache = ecs_of(ctx)->placement_cache;
    k->cluster_id = cluster->id;
    k->snap = s;
    if (store_tx_on_end(ctx->tx, keep_if_committed, k, &err) < 0) {
        free(k);
        snapshot_free(s);
    }
}

const struct instance_row *snapshot_row(const struct placement_snapshot *s, size_t i) { return &s->items[i].row; }

void snapshot_free(struct placement_snapshot *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        struct snap_instance *si = &s->items[i];
        instance_row_clear(&si->row);
        free(si->tcp);
        free(si->udp);
        free(si->attrs);
        free(si->groups);
    }
    free(s->items);
    free(s->instances);
    free(s->id_rank);
    while (s->strings) {
        struct snap_chunk *next = s->strings->next;
        free(s->strings);
        s->strings = next;
    }
    free(s);
}
