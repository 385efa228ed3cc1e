/* placement.c - the task placement engine: for each task of a request,
 * filter the cluster's instances, rank the survivors with the strategies,
 * place, and let the next task see what the previous one consumed.
 *
 * It does not read or write the store and never modifies the instances it
 * is given: what placement consumes (CPU, memory, ports, group counts) lives
 * in a per-call working copy.  Expressions, requiresAttributes and spread
 * buckets are computed once per call; the filters run once per instance and
 * again only on the instance that just took a task (nothing else changed),
 * so a task costs what placement_pick.c's pickers take to find the best
 * instances left: a pass over them, or for a lone rank with the ids ranked
 * by the caller, a cursor per spread bucket or a heap.
 *
 * Choices where ECS's documentation leaves room:
 *  - Non-ACTIVE instances are neither candidates nor failures (RunTask does
 *    not report DRAINING instances); with none ACTIVE, the one failure is
 *    PLACEMENT_REASON_NO_INSTANCES, ECS's message for an empty cluster.
 *  - When a task cannot be placed, later tasks of the request cannot either
 *    (they are identical and nothing changed), so placement stops and the
 *    failures list each ACTIVE instance once with the first filter that
 *    rejected it, in a fixed order: AGENT, RESOURCE:CPU, RESOURCE:MEMORY,
 *    RESOURCE:PORTS, ATTRIBUTE, distinctInstance, memberOf.
 *  - "Same task group" counts drive distinctInstance and spread: ECS
 *    spreads service tasks over the tasks of that service and standalone
 *    tasks over their group.  A task without a group counts every task.
 *  - The last tie goes to the smallest instance id so results are
 *    reproducible; callers that want randomness add a random strategy. */
#include "server/placement/placement.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/cleanup.h"
#include "server/placement/placement_engine.h"

/* ECS reserves these TCP host ports on every container instance. */
static const uint16_t reserved_tcp_ports[] = {22, 2375, 2376, 51678, 51679};

static const char *const strategy_names[] = {
    [PLACEMENT_BINPACK] = "binpack",
    [PLACEMENT_SPREAD] = "spread",
    [PLACEMENT_RANDOM] = "random",
};

static const char *const constraint_names[] = {
    [PLACEMENT_DISTINCT_INSTANCE] = "distinctInstance",
    [PLACEMENT_MEMBER_OF] = "memberOf",
};

/* The index of s in names (NULL, or not there: -1). */
static int name_index(const char *const *names, size_t n, const char *s)
{
    for (size_t i = 0; s && i < n; i++)
        if (strcmp(s, names[i]) == 0)
            return (int)i;
    return -1;
}

int placement_strategy_type_from_string(const char *s)
{
    return name_index(strategy_names, ELEMENTSOF(strategy_names), s);
}

const char *placement_strategy_type_to_string(enum placement_strategy_type t)
{
    return (size_t)t < ELEMENTSOF(strategy_names) ? strategy_names[t] : NULL;
}

int placement_constraint_type_from_string(const char *s)
{
    return name_index(constraint_names, ELEMENTSOF(constraint_names), s);
}

const char *placement_constraint_type_to_string(enum placement_constraint_type t)
{
    return (size_t)t < ELEMENTSOF(constraint_names) ? constraint_names[t] : NULL;
}

static void engine_done(struct engine *e)
{
    for (size_t i = 0; i < e->n_member; i++)
        query_free(e->member_of[i]);
    free(e->member_of);
    free(e->reason);
    for (size_t i = 0; i < e->n_ranks; i++) {
        free(e->ranks[i].bucket_of);
        free(e->ranks[i].bucket_count);
    }
    free(e->ranks);
    free(e->work);
    free(e->need_tcp);
    free(e->need_udp);
}

/* --- validation -------------------------------------------------------- */

static int parse_strategy(const struct placement_strategy *s, struct rank *ret, struct error *err)
{
    static const char attr_prefix[] = "attribute:";
    const char *f = s->field ? s->field : "";
    struct rank r = {0};
    switch (s->type) {
    case PLACEMENT_BINPACK:
        if (strcasecmp(f, "cpu") == 0)
            r.key = KEY_CPU;
        else if (strcasecmp(f, "memory") == 0)
            r.key = KEY_MEMORY;
        else
            return error_set(err, ERR_INVALID,
                             "Invalid placement strategy field '%s' for binpack: expected cpu or "
                             "memory",
                             f);
        break;
    case PLACEMENT_SPREAD:
        if (strcasecmp(f, "instanceId") == 0 || strcasecmp(f, "host") == 0) {
            r.key = KEY_INSTANCE;
        } else if (strncmp(f, attr_prefix, sizeof(attr_prefix) - 1) == 0 && f[sizeof(attr_prefix) - 1]) {
            r.key = KEY_ATTRIBUTE;
            r.attr = f + sizeof(attr_prefix) - 1;
        } else {
            return error_set(err, ERR_INVALID,
                             "Invalid placement strategy field '%s' for spread: expected "
                             "instanceId, host or attribute:<name>",
                             f);
        }
        break;
    case PLACEMENT_RANDOM: r.key = KEY_RANDOM; break;
    default: return error_set(err, ERR_INVALID, "Invalid placement strategy type %d", (int)s->type);
    }
    *ret = r;
    return 0;
}

/* Compile the memberOf expressions into e->member_of and note
 * distinctInstance. */
static int compile_constraints(struct engine *e, const struct placement_request *req, struct error *err)
{
    if (req->n_constraints == 0)
        return 0;
    e->member_of = calloc(req->n_constraints, sizeof(*e->member_of));
    if (!e->member_of)
        return error_set(err, ERR_INTERNAL, "out of memory");
    for (size_t i = 0; i < req->n_constraints; i++) {
        const struct placement_constraint *c = &req->constraints[i];
        bool has_expr = c->expression && *c->expression;
        switch (c->type) {
        case PLACEMENT_DISTINCT_INSTANCE:
            if (has_expr)
                return error_set(err, ERR_INVALID,
                                 "A distinctInstance placement constraint can't have an "
                                 "expression");
            e->distinct = true;
            break;
        case PLACEMENT_MEMBER_OF:
            if (!has_expr)
                return error_set(err, ERR_INVALID, "A memberOf placement constraint requires an expression");
            if (query_parse(c->expression, &e->member_of[e->n_member], err) < 0)
                return error_prefix(err, "memberOf placement constraint");
            e->n_member++;
            break;
        default: return error_set(err, ERR_INVALID, "Invalid placement constraint type %d", (int)c->type);
        }
    }
    return 0;
}

static int compile_request(struct engine *e, const struct placement_request *req, struct error *err)
{
    if (!req || !req->task)
        return error_set(err, ERR_INVALID, "placement request without a task");
    if (req->count < 0)
        return error_set(err, ERR_INVALID, "Invalid task count %d", req->count);
    if (req->task->cpu < 0 || req->task->memory < 0)
        return error_set(err, ERR_INVALID, "Invalid task reservation: cpu %lld, memory %lld", (long long)req->task->cpu,
                         (long long)req->task->memory);
    if (req->n_strategies && !req->strategies)
        return error_set(err, ERR_INVALID, "placement strategies missing");
    if (req->n_constraints && !req->constraints)
        return error_set(err, ERR_INVALID, "placement constraints missing");
    if (req->n_strategies) {
        e->ranks = calloc(req->n_strategies, sizeof(*e->ranks));
        if (!e->ranks)
            return error_set(err, ERR_INTERNAL, "out of memory");
        for (size_t i = 0; i < req->n_strategies; i++) {
            if (parse_strategy(&req->strategies[i], &e->ranks[i], err) < 0)
                return -1;
            e->n_ranks++;
        }
    }
    return compile_constraints(e, req, err);
}

int placement_validate(const struct placement_request *req, struct error *err)
{
    struct engine e = {0};
    int r = compile_request(&e, req, err);
    engine_done(&e);
    return r;
}

/* --- setup ----------------------------------------------------------------- */

static int64_t group_tasks(const struct placement_instance *in, const char *group)
{
    if (!group)
        return in->q.running_tasks_count;
    int64_t count = 0;
    for (size_t i = 0; i < in->q.n_groups; i++)
        if (in->q.groups[i].count > 0 && in->q.groups[i].name && strcmp(in->q.groups[i].name, group) == 0)
            count += in->q.groups[i].count;
    return count;
}

/* The first required attribute the instance lacks (or has with another
 * value), or NULL when it has them all. */
static const char *missing_attribute(const struct placement_instance *in, const struct placement_task *t)
{
    for (size_t i = 0; i < t->n_required_attrs; i++) {
        const struct query_attr *want = &t->required_attrs[i];
        const struct query_attr *have = query_subject_attr(&in->q, want->name);
        if (!have)
            return want->name;
        if (want->value && (!have->value || strcmp(want->value, have->value) != 0))
            return want->name;
    }
    return NULL;
}

struct keyed {
    const char *value;
    size_t index;
};

static int keyed_cmp(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;
    if (!x->value || !y->value)
        return (x->value != NULL) - (y->value != NULL);
    return strcmp(x->value, y->value);
}

static uint64_t value_hash(const char *v)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
    for (; *v; v++)
        h = (h ^ (unsigned char)*v) * 0x100000001b3ull;
    return h;
}

/* Number the distinct values of the spread attribute among ACTIVE instances
 * in their sorted order (a missing attribute is one more value, first) and
 * count the group's tasks per value.  The values are found with a hash
 * table and only the distinct ones sorted: sorting every instance by its
 * value was 14% of a spread(AZ) RunTask's server CPU at 5,000 instances,
 * for three zones. */
static int setup_buckets(struct engine *e, struct rank *r, struct error *err)
{
    size_t n = e->n ? e->n : 1, cap = 16;
    while (cap < 2 * n)
        cap <<= 1;
    _cleanup_free_ int *slot = malloc(cap * sizeof(*slot));
    _cleanup_free_ struct keyed *distinct = malloc(n * sizeof(*distinct));
    _cleanup_free_ int *sorted_id = malloc(n * sizeof(*sorted_id));
    r->bucket_of = malloc(n * sizeof(*r->bucket_of));
    r->bucket_count = calloc(n, sizeof(*r->bucket_count));
    if (!slot || !distinct || !sorted_id || !r->bucket_of || !r->bucket_count)
        return error_set(err, ERR_INTERNAL, "out of memory");
    memset(slot, -1, cap * sizeof(*slot));
    size_t nd = 0, hint = 0;
    int missing = -1;
    for (size_t i = 0; i < e->n; i++) {
        r->bucket_of[i] = -1;
        if (!e->inst[i].active)
            continue;
        const struct query_attr *a = query_subject_attr_hinted(&e->inst[i].q, r->attr, &hint);
        const char *value = a ? a->value : NULL;
        int id = -1;
        if (!value) {
            if (missing < 0) {
                distinct[nd] = (struct keyed){.value = NULL, .index = nd};
                missing = (int)nd++;
            }
            id = missing;
        }
        for (size_t k = value_hash(value ? value : "") & (cap - 1); id < 0; k = (k + 1) & (cap - 1)) {
            if (slot[k] < 0) {
                distinct[nd] = (struct keyed){.value = value, .index = nd};
                slot[k] = id = (int)nd++;
            } else if (strcmp(distinct[slot[k]].value, value) == 0) {
                id = slot[k];
            }
        }
        r->bucket_of[i] = id;
    }
    qsort(distinct, nd, sizeof(*distinct), keyed_cmp);
    for (size_t k = 0; k < nd; k++)
        sorted_id[distinct[k].index] = (int)k;
    for (size_t i = 0; i < e->n; i++)
        if (r->bucket_of[i] >= 0) {
            r->bucket_of[i] = sorted_id[r->bucket_of[i]];
            r->bucket_count[r->bucket_of[i]] += (int)e->work[i].group_count;
        }
    return 0;
}

static void set_bit(uint64_t *set, uint16_t port) { set[port >> 6] |= 1ull << (port & 63); }
static bool has_bit(const uint64_t *set, uint16_t port) { return set[port >> 6] >> (port & 63) & 1; }

static int setup(struct engine *e, struct error *err)
{
    const struct placement_task *t = e->task;
    e->work = calloc(e->n ? e->n : 1, sizeof(*e->work));
    if (!e->work)
        return error_set(err, ERR_INTERNAL, "out of memory");
    for (size_t i = 0; i < e->n; i++) {
        const struct placement_instance *in = &e->inst[i];
        e->work[i] = (struct work){
            .cpu = in->remaining_cpu,
            .memory = in->remaining_memory,
            .group_count = group_tasks(in, t->group),
            .missing_attr = missing_attribute(in, t),
        };
        e->work[i].attrs_ok = e->work[i].missing_attr == NULL;
    }
    e->reason = calloc(e->n ? e->n : 1, sizeof(*e->reason));
    if (!e->reason)
        return error_set(err, ERR_INTERNAL, "out of memory");
    for (size_t i = 0; i < e->n_ranks; i++)
        if (e->ranks[i].key == KEY_ATTRIBUTE && setup_buckets(e, &e->ranks[i], err) < 0)
            return -1;

    e->task_has_ports = t->n_tcp > 0 || t->n_udp > 0;
    if (e->task_has_ports) {
        e->need_tcp = calloc(65536 / 64, sizeof(uint64_t));
        e->need_udp = calloc(65536 / 64, sizeof(uint64_t));
        if (!e->need_tcp || !e->need_udp)
            return error_set(err, ERR_INTERNAL, "out of memory");
        for (size_t i = 0; i < t->n_tcp; i++)
            set_bit(e->need_tcp, t->tcp_ports[i]);
        for (size_t i = 0; i < t->n_udp; i++)
            set_bit(e->need_udp, t->udp_ports[i]);
        for (size_t i = 0; i < ELEMENTSOF(reserved_tcp_ports); i++)
            if (has_bit(e->need_tcp, reserved_tcp_ports[i]))
                e->task_needs_reserved = true;
    }
    e->rng = e->req->seed ^ 0x6a09e667f3bcc908ull;
    return 0;
}

/* --- filtering ---------------------------------------------------------- */

static bool ports_free(const struct engine *e, size_t i)
{
    if (!e->task_has_ports)
        return true;
    /* A task needs the same static ports every time, so one placed here
     * already holds them. */
    if (e->task_needs_reserved || e->work[i].placed > 0)
        return false;
    const struct placement_instance *in = &e->inst[i];
    for (size_t k = 0; k < in->n_used_tcp; k++)
        if (has_bit(e->need_tcp, in->used_tcp_ports[k]))
            return false;
    for (size_t k = 0; k < in->n_used_udp; k++)
        if (has_bit(e->need_udp, in->used_udp_ports[k]))
            return false;
    return true;
}

/* Queries see the tasks placed in this call as running tasks of the
 * request's group. */
static bool member_of_ok(const struct engine *e, size_t i)
{
    struct query_subject s = e->inst[i].q;
    s.running_tasks_count += e->work[i].placed;
    s.extra_group = e->task->group;
    s.extra_count = e->work[i].placed;
    for (size_t c = 0; c < e->n_member; c++)
        if (!query_match(e->member_of[c], &s))
            return false;
    return true;
}

/* NULL if instance i can take the next task, else the reason it cannot. */
static const char *reject_reason(const struct engine *e, size_t i)
{
    const struct placement_instance *in = &e->inst[i];
    const struct work *w = &e->work[i];
    if (!in->q.agent_connected)
        return PLACEMENT_REASON_AGENT;
    if (e->task->cpu > w->cpu)
        return PLACEMENT_REASON_CPU;
    if (e->task->memory > w->memory)
        return PLACEMENT_REASON_MEMORY;
    if (!ports_free(e, i))
        return PLACEMENT_REASON_PORTS;
    if (!w->attrs_ok)
        return PLACEMENT_REASON_ATTRIBUTE;
    if (e->distinct && w->group_count > 0)
        return PLACEMENT_REASON_DISTINCT;
    if (in->fargate != e->req->fargate)
        return PLACEMENT_REASON_MEMBER_OF;
    if (e->n_member && !member_of_ok(e, i))
        return PLACEMENT_REASON_MEMBER_OF;
    return NULL;
}

/* --- ranking ------------------------------------------------------------- */

/* Keep only the candidates with the best score; cand is rewritten. */
static size_t narrow(struct engine *e, const struct rank *r, size_t *cand, int64_t *scores, size_t ncand)
{
    int64_t best = INT64_MAX;
    for (size_t k = 0; k < ncand; k++) {
        scores[k] = score(e, r, cand[k]);
        if (scores[k] < best)
            best = scores[k];
    }
    size_t kept = 0;
    for (size_t k = 0; k < ncand; k++)
        if (scores[k] == best)
            cand[kept++] = cand[k];
    return kept;
}

static bool id_before(const struct engine *e, size_t a, size_t b)
{
    const char *x = e->inst[a].id, *y = e->inst[b].id;
    if (x && y) {
        int c = strcmp(x, y);
        if (c != 0)
            return c < 0;
    } else if (x || y) {
        return x != NULL;
    }
    return a < b;
}

static void consume(struct engine *e, size_t i)
{
    struct work *w = &e->work[i];
    w->cpu -= e->task->cpu;
    w->memory -= e->task->memory;
    w->group_count++;
    w->placed++;
    for (size_t r = 0; r < e->n_ranks; r++)
        if (e->ranks[r].key == KEY_ATTRIBUTE)
            e->ranks[r].bucket_count[e->ranks[r].bucket_of[i]]++;
    e->reason[i] = reject_reason(e, i);
}

/* Each active instance's reason, and the list of those that can take a
 * task: in id order when the caller ranked the ids (narrowing keeps the
 * order, so the first one left wins a tie), else in index order. */
static size_t live_init(struct engine *e, size_t *live)
{
    const uint32_t *rank = e->req->id_rank;
    for (size_t i = 0; rank && i < e->n; i++)
        live[rank[i]] = i;
    size_t nlive = 0;
    for (size_t k = 0; k < e->n; k++) {
        size_t i = rank ? live[k] : k; /* nlive <= k: read before written */
        if (e->inst[i].active && !(e->reason[i] = reject_reason(e, i)))
            live[nlive++] = i;
    }
    return nlive;
}

static int list_failures(struct engine *e, struct placement_result *res, struct error *err)
{
    size_t cap = 1;
    for (size_t i = 0; i < e->n; i++)
        cap += e->inst[i].active;
    res->failures = calloc(cap, sizeof(*res->failures));
    if (!res->failures)
        return error_set(err, ERR_INTERNAL, "out of memory");
    for (size_t i = 0; i < e->n; i++)
        if (e->inst[i].active && e->reason[i])
            res->failures[res->n_failures++] = (struct placement_failure){
                .arn = e->inst[i].arn,
                .reason = e->reason[i],
                .attribute = strcmp(e->reason[i], PLACEMENT_REASON_ATTRIBUTE) == 0 ? e->work[i].missing_attr : NULL};
    if (res->n_failures == 0)
        res->failures[res->n_failures++] = (struct placement_failure){.reason = PLACEMENT_REASON_NO_INSTANCES};
    return 0;
}

int placement_place(const struct placement_instance *instances, size_t n, const struct placement_request *req,
                    struct placement_result *ret_result, struct error *err)
{
    if (n && !instances)
        return error_set(err, ERR_INVALID, "placement without instances");
    _cleanup_(engine_done) struct engine e = {.inst = instances, .n = n, .req = req};
    _cleanup_(placement_result_free) struct placement_result res = {0};
    if (compile_request(&e, req, err) < 0)
        return -1;
    e.task = req->task;
    if (setup(&e, err) < 0)
        return -1;
    _cleanup_free_ size_t *cand = malloc((n ? n : 1) * sizeof(*cand));
    _cleanup_free_ int64_t *scores = malloc((n ? n : 1) * sizeof(*scores));
    res.chosen = malloc((req->count ? (size_t)req->count : 1) * sizeof(*res.chosen));
    if (!cand || !scores || !res.chosen)
        return error_set(err, ERR_INTERNAL, "out of memory");
    for (int t = 0; t < req->count; t++)
        res.chosen[t] = -1;
    size_t *live = malloc((n ? n : 1) * sizeof(*live));
    _cleanup_(picker_done) struct picker p = {0};
    if (picker_init(&p, &e, live, live && req->count > 0 ? live_init(&e, live) : 0, err) < 0)
        return -1;
    for (int t = 0; t < req->count; t++) {
        size_t ranked = 0, ncand = picker_next(&p, &e, cand, &ranked);
        if (ncand == 0) {
            if (list_failures(&e, &res, err) < 0)
                return -1;
            break;
        }
        for (size_t s = ranked; s < e.n_ranks && ncand > 1; s++)
            ncand = narrow(&e, &e.ranks[s], cand, scores, ncand);
        size_t pick = cand[0];
        for (size_t k = 1; !req->id_rank && k < ncand; k++)
            if (id_before(&e, cand[k], pick))
                pick = cand[k];
        consume(&e, pick);
        picker_took(&p, &e, pick);
        res.chosen[t] = (int)pick;
        res.n_placed++;
    }
    *ret_result = res;
    res = (struct placement_result){0};
    return 0;
}

void placement_result_free(struct placement_result *r)
{
    if (!r)
        return;
    free(r->chosen);
    free(r->failures);
    *r = (struct placement_result){0};
}

bool placement_reason_is(const char *reason, const char *category)
{
    size_t n = strlen(category);
    return reason && strncmp(reason, category, n) == 0 &&
           (reason[n] == '\0' || (reason[n] == ':' && reason[n + 1] == ' '));
}
