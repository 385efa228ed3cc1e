/* Unit tests: the placement engine (filters, strategies, failures). */
#include <stdlib.h>

#include "server/placement/placement.h"
#include "server/placement/placement_engine.h" /* splitmix64 */
#include "test.h"

#define MAX_FX 64

/* A small cluster: instance k has id "i-<k>" (zero-padded so that ids sort
 * by k), plenty of CPU and memory, a connected agent and status ACTIVE
 * unless a test says otherwise. */
struct fx {
    struct placement_instance inst[MAX_FX];
    char arn[MAX_FX][80];
    char id[MAX_FX][16];
    struct query_attr attrs[MAX_FX][4];
    struct query_group groups[MAX_FX][2];
    size_t n;
};

static size_t fx_add(struct fx *f, const char *az, int64_t cpu, int64_t memory)
{
    size_t k = f->n++;
    snprintf(f->id[k], sizeof(f->id[k]), "i-%03zu", k);
    snprintf(f->arn[k], sizeof(f->arn[k]), "arn:aws:ecs:us-east-1:000000000000:container-instance/c/i-%03zu", k);
    size_t na = 0;
    if (az)
        f->attrs[k][na++] = (struct query_attr){"ecs.availability-zone", az};
    f->attrs[k][na++] = (struct query_attr){"ecs.instance-type", "t2.micro"};
    f->inst[k] = (struct placement_instance){
        .arn = f->arn[k],
        .id = f->id[k],
        .active = true,
        .remaining_cpu = cpu,
        .remaining_memory = memory,
        .q = {.agent_connected = true, .attrs = f->attrs[k], .n_attrs = na},
    };
    return k;
}

/* Give instance k `count` running tasks of `group`. */
static void fx_tasks(struct fx *f, size_t k, const char *group, int count)
{
    struct placement_instance *in = &f->inst[k];
    f->groups[k][in->q.n_groups] = (struct query_group){group, count};
    in->q.groups = f->groups[k];
    in->q.n_groups++;
    in->q.running_tasks_count += count;
}

static void fx_attr(struct fx *f, size_t k, const char *name, const char *value)
{
    struct placement_instance *in = &f->inst[k];
    f->attrs[k][in->q.n_attrs++] = (struct query_attr){name, value};
}

/* Place and return the result; a failing call is a test failure. */
static struct placement_result place(struct fx *f, const struct placement_request *req, int *failures_)
{
    struct placement_result res = {0};
    struct error err = {0};
    int r = placement_place(f->inst, f->n, req, &res, &err);
    if (r < 0)
        fprintf(stderr, "  placement_place: %s\n", err.msg);
    CHECK(r == 0);
    return res;
}

/* How many of the result's tasks landed on instance k. */
static int on(const struct placement_result *res, int count, size_t k)
{
    int c = 0;
    for (int t = 0; t < count; t++)
        c += res->chosen[t] == (int)k;
    return c;
}

static const char *reason_for(const struct placement_result *res, const char *arn)
{
    for (size_t i = 0; i < res->n_failures; i++)
        if (res->failures[i].arn && strcmp(res->failures[i].arn, arn) == 0)
            return res->failures[i].reason;
    return NULL;
}

TEST(placement_binpack_memory_fills_one_instance_first)
{
    struct fx f = {0};
    fx_add(&f, "a", 4096, 4096);
    fx_add(&f, "a", 4096, 2048);
    fx_add(&f, "a", 4096, 3072);
    struct placement_task task = {.cpu = 10, .memory = 512, .group = "family:web"};
    struct placement_strategy s[] = {{PLACEMENT_BINPACK, "memory"}};
    struct placement_request req = {.task = &task, .count = 10, .strategies = s, .n_strategies = 1};
    struct placement_result res = place(&f, &req, failures_);
    /* 2048 takes 4, then 3072 (now the least) takes 6 */
    CHECK(res.n_placed == 10);
    for (int t = 0; t < 4; t++)
        CHECK(res.chosen[t] == 1);
    for (int t = 4; t < 10; t++)
        CHECK(res.chosen[t] == 2);
    CHECK(res.n_failures == 0);
    /* the caller's instances are untouched */
    CHECK(f.inst[1].remaining_memory == 2048);
    placement_result_free(&res);
}

TEST(placement_binpack_cpu)
{
    struct fx f = {0};
    fx_add(&f, "a", 2048, 8192);
    fx_add(&f, "a", 1024, 8192);
    fx_add(&f, "a", 1536, 8192);
    struct placement_task task = {.cpu = 512, .memory = 128};
    struct placement_strategy s[] = {{PLACEMENT_BINPACK, "cpu"}};
    struct placement_request req = {.task = &task, .count = 4, .strategies = s, .n_strategies = 1};
    struct placement_result res = place(&f, &req, failures_);
    CHECK(res.chosen[0] == 1 && res.chosen[1] == 1);
    /* instance 1 is full (0 left); 1536 is next least */
    CHECK(res.chosen[2] == 2 && res.chosen[3] == 2);
    placement_result_free(&res);
}

TEST(placement_spread_availability_zones)
{
    struct fx f = {0};
    const char *azs[] = {"us-east-1a", "us-east-1b", "us-east-1c"};
    for (int k = 0; k < 9; k++)
        fx_add(&f, azs[k % 3], 4096, 4096);
    struct placement_task task = {.cpu = 128, .memory = 128, .group = "service:web"};
    struct placement_strategy s[] = {{PLACEMENT_SPREAD, "attribute:ecs.availability-zone"}};
    struct placement_request req = {.task = &task, .count = 6, .strategies = s, .n_strategies = 1};
    struct placement_result res = place(&f, &req, failures_);
    int per_az[3] = {0};
    for (int t = 0; t < 6; t++)
        per_az[res.chosen[t] % 3]++;
    CHECK(per_az[0] == 2 && per_az[1] == 2 && per_az[2] == 2);
    placement_result_free(&res);

    /* existing tasks of the group count: 1a already has 2, so the first two
     * go to 1b and 1c; tasks of other groups do not count */
    fx_tasks(&f, 0, "service:web", 2);
    fx_tasks(&f, 1, "service:other", 5);
    req.count = 2;
    res = place(&f, &req, failures_);
    CHECK(res.chosen[0] % 3 != 0 && res.chosen[1] % 3 != 0);
    CHECK(res.chosen[0] % 3 != res.chosen[1] % 3);
    placement_result_free(&res);
}

TEST(placement_spread_instance_id)
{
    struct fx f = {0};
    for (int k = 0; k < 3; k++)
        fx_add(&f, "a", 4096, 4096);
    fx_tasks(&f, 0, "family:other", 5); /* another group: does not count */
    fx_tasks(&f, 2, "family:app", 1);
    struct placement_task task = {.cpu = 1, .memory = 1, .group = "family:app"};
    struct placement_strategy s[] = {{PLACEMENT_SPREAD, "instanceId"}};
    struct placement_request req = {.task = &task, .count = 5, .strategies = s, .n_strategies = 1};
    struct placement_result res = place(&f, &req, failures_);
    /* 0 and 1 first (ties by id), then all three level at 2 */
    CHECK(res.chosen[0] == 0 && res.chosen[1] == 1);
    CHECK(on(&res, 5, 0) == 2 && on(&res, 5, 1) == 2 && on(&res, 5, 2) == 1);
    placement_result_free(&res);

    /* "host" is the same as instanceId */
    s[0].field = "host";
    res = place(&f, &req, failures_);
    CHECK(on(&res, 5, 0) == 2 && on(&res, 5, 1) == 2 && on(&res, 5, 2) == 1);
    placement_result_free(&res);
}

TEST(placement_spread_missing_attribute_is_its_own_bucket)
{
    struct fx f = {0};
    fx_add(&f, "a", 4096, 4096);
    fx_add(&f, "a", 4096, 4096);
    fx_add(&f, NULL, 4096, 4096);
    struct placement_task task = {.cpu = 1, .memory = 1, .group = "g"};
    struct placement_strategy s[] = {{PLACEMENT_SPREAD, "attribute:ecs.availability-zone"},
                                     {PLACEMENT_SPREAD, "instanceId"}};
    struct placement_request req = {.task = &task, .count = 4, .strategies = s, .n_strategies = 2};
    struct placement_result res = place(&f, &req, failures_);
    /* buckets "a" and (none) alternate; within "a" instanceId spreads */
    CHECK(res.chosen[0] == 0 && res.chosen[1] == 2 && res.chosen[2] == 1 && res.chosen[3] == 2);
    placement_result_free(&res);
}

TEST(placement_spread_az_then_binpack_memory)
{
    struct fx f = {0};
    fx_add(&f, "a", 4096, 3000);
    fx_add(&f, "a", 4096, 1000);
    fx_add(&f, "b", 4096, 4000);
    fx_add(&f, "b", 4096, 2000);
    struct placement_task task = {.cpu = 1, .memory = 256, .group = "service:web"};
    struct placement_strategy s[] = {{PLACEMENT_SPREAD, "attribute:ecs.availability-zone"},
                                     {PLACEMENT_BINPACK, "memory"}};
    struct placement_request req = {.task = &task, .count = 4, .strategies = s, .n_strategies = 2};
    struct placement_result res = place(&f, &req, failures_);
    /* AZs tie at 0: least memory overall (a/1000); then b must get one:
     * least memory in b (2000); then a tie again: a/1000 (744 left) */
    CHECK(res.chosen[0] == 1);
    CHECK(res.chosen[1] == 3);
    CHECK(res.chosen[2] == 1);
    CHECK(res.chosen[3] == 3);
    placement_result_free(&res);
}

TEST(placement_random_stays_within_candidates)
{
    struct fx f = {0};
    for (int k = 0; k < 10; k++)
        fx_add(&f, "a", 4096, k % 2 ? 4096 : 100); /* even instances lack memory */
    struct placement_task task = {.cpu = 1, .memory = 512};
    struct placement_strategy s[] = {{PLACEMENT_RANDOM, NULL}};
    struct placement_request req = {.task = &task, .count = 3, .strategies = s, .n_strategies = 1};
    bool seen[10] = {false};
    for (uint64_t seed = 1; seed <= 50; seed++) {
        req.seed = seed;
        struct placement_result res = place(&f, &req, failures_);
        CHECK(res.n_placed == 3);
        for (int t = 0; t < 3; t++) {
            CHECK(res.chosen[t] % 2 == 1);
            seen[res.chosen[t]] = true;
        }
        /* the same seed gives the same answer */
        struct placement_result again = place(&f, &req, failures_);
        CHECK(memcmp(res.chosen, again.chosen, 3 * sizeof(int)) == 0);
        placement_result_free(&again);
        placement_result_free(&res);
    }
    int distinct = 0;
    for (int k = 0; k < 10; k++)
        distinct += seen[k];
    CHECK(distinct == 5); /* every candidate gets picked at some point */
}

TEST(placement_distinct_instance)
{
    struct fx f = {0};
    for (int k = 0; k < 3; k++)
        fx_add(&f, "a", 4096, 4096);
    struct placement_task task = {.cpu = 1, .memory = 1, .group = "family:db"};
    struct placement_constraint c[] = {{PLACEMENT_DISTINCT_INSTANCE, NULL}};
    struct placement_strategy s[] = {{PLACEMENT_BINPACK, "memory"}};
    struct placement_request req = {
        .task = &task, .count = 5, .constraints = c, .n_constraints = 1, .strategies = s, .n_strategies = 1};
    struct placement_result res = place(&f, &req, failures_);
    /* binpack would stack them; distinctInstance forbids it */
    CHECK(res.n_placed == 3);
    CHECK(on(&res, 5, 0) == 1 && on(&res, 5, 1) == 1 && on(&res, 5, 2) == 1);
    CHECK(res.chosen[3] == -1 && res.chosen[4] == -1);
    CHECK(res.n_failures == 3);
    for (size_t k = 0; k < 3; k++)
        CHECK_STR(reason_for(&res, f.arn[k]), PLACEMENT_REASON_DISTINCT);
    placement_result_free(&res);

    /* a task of the group already on instance 1 rules it out; other groups
     * do not */
    fx_tasks(&f, 1, "family:db", 1);
    fx_tasks(&f, 2, "family:web", 3);
    req.count = 3;
    res = place(&f, &req, failures_);
    CHECK(res.n_placed == 2);
    CHECK(on(&res, 3, 1) == 0 && on(&res, 3, 0) == 1 && on(&res, 3, 2) == 1);
    placement_result_free(&res);
}

TEST(placement_member_of_custom_attribute)
{
    struct fx f = {0};
    for (int k = 0; k < 4; k++)
        fx_add(&f, "a", 1024, 4096);
    fx_attr(&f, 0, "stack", "dev");
    fx_attr(&f, 1, "stack", "prod");
    fx_attr(&f, 3, "stack", "prod");
    struct placement_task task = {.cpu = 512, .memory = 1, .group = "family:api"};
    struct placement_constraint c[] = {{PLACEMENT_MEMBER_OF, "attribute:stack == prod"}};
    struct placement_request req = {.task = &task, .count = 5, .constraints = c, .n_constraints = 1};
    struct placement_result res = place(&f, &req, failures_);
    CHECK(res.n_placed == 4);
    CHECK(on(&res, 5, 1) == 2 && on(&res, 5, 3) == 2);
    /* once prod is full, prod instances fail on CPU, the others on memberOf */
    CHECK(res.n_failures == 4);
    CHECK_STR(reason_for(&res, f.arn[0]), PLACEMENT_REASON_MEMBER_OF);
    CHECK_STR(reason_for(&res, f.arn[1]), PLACEMENT_REASON_CPU);
    CHECK_STR(reason_for(&res, f.arn[2]), PLACEMENT_REASON_MEMBER_OF);
    CHECK_STR(reason_for(&res, f.arn[3]), PLACEMENT_REASON_CPU);
    placement_result_free(&res);

    /* several constraints all apply */
    struct placement_constraint c2[] = {
        {PLACEMENT_MEMBER_OF, "attribute:stack in [prod, dev]"},
        {PLACEMENT_MEMBER_OF, "attribute:ecs.instance-type =~ t2.*"},
        {PLACEMENT_MEMBER_OF, "not(attribute:stack exists) or attribute:stack != prod"},
    };
    req.constraints = c2;
    req.n_constraints = 3;
    req.count = 1;
    res = place(&f, &req, failures_);
    CHECK(res.n_placed == 1 && res.chosen[0] == 0);
    placement_result_free(&res);
}

TEST(placement_member_of_sees_tasks_placed_in_the_call)
{
    struct fx f = {0};
    for (int k = 0; k < 3; k++)
        fx_add(&f, "a", 4096, 4096);
    fx_tasks(&f, 2, "family:cache", 1);
    struct placement_task task = {.cpu = 1, .memory = 1, .group = "family:cache"};
    /* anti-affinity spelled as a query, and a running-tasks cap */
    struct placement_constraint c[] = {{PLACEMENT_MEMBER_OF, "not(task:group == family:cache)"}};
    struct placement_request req = {.task = &task, .count = 3, .constraints = c, .n_constraints = 1};
    struct placement_result res = place(&f, &req, failures_);
    CHECK(res.n_placed == 2);
    CHECK(res.chosen[0] == 0 && res.chosen[1] == 1 && res.chosen[2] == -1);
    CHECK(res.n_failures == 3);
    placement_result_free(&res);

    struct placement_constraint cap[] = {{PLACEMENT_MEMBER_OF, "runningTasksCount < 2"}};
    req.constraints = cap;
    req.count = 10;
    res = place(&f, &req, failures_);
    /* 0 and 1 take two each; 2 already runs one and takes one more */
    CHECK(res.n_placed == 5);
    CHECK(on(&res, 10, 0) == 2 && on(&res, 10, 1) == 2 && on(&res, 10, 2) == 1);
    placement_result_free(&res);
}

TEST(placement_failure_reason_per_instance)
{
    struct fx f = {0};
    size_t cpu = fx_add(&f, "a", 100, 4096);
    size_t mem = fx_add(&f, "a", 4096, 100);
    size_t ports = fx_add(&f, "a", 4096, 4096);
    size_t agent = fx_add(&f, "a", 4096, 4096);
    size_t draining = fx_add(&f, "a", 4096, 4096);
    size_t attr = fx_add(&f, "a", 4096, 4096);
    static const uint16_t used[] = {443, 8080};
    f.inst[ports].used_tcp_ports = used;
    f.inst[ports].n_used_tcp = 2;
    f.inst[agent].q.agent_connected = false;
    f.inst[draining].active = false;
    /* every instance but `attr` has the required attribute */
    for (size_t k = 0; k < f.n; k++)
        if (k != attr)
            fx_attr(&f, k, "ecs.capability.secrets.ssm", NULL);

    static const uint16_t need[] = {8080};
    static const struct query_attr req_attrs[] = {{"ecs.capability.secrets.ssm", NULL}};
    struct placement_task task = {
        .cpu = 256, .memory = 256, .tcp_ports = need, .n_tcp = 1, .required_attrs = req_attrs, .n_required_attrs = 1};
    struct placement_request req = {.task = &task, .count = 2};
    struct placement_result res = place(&f, &req, failures_);
    CHECK(res.n_placed == 0);
    CHECK(res.chosen[0] == -1 && res.chosen[1] == -1);
    CHECK(res.n_failures == 5); /* the draining instance is not listed */
    CHECK_STR(reason_for(&res, f.arn[cpu]), "RESOURCE:CPU");
    CHECK_STR(reason_for(&res, f.arn[mem]), "RESOURCE:MEMORY");
    CHECK_STR(reason_for(&res, f.arn[ports]), "RESOURCE:PORTS");
    CHECK_STR(reason_for(&res, f.arn[agent]), "AGENT");
    CHECK_STR(reason_for(&res, f.arn[attr]), "ATTRIBUTE");
    CHECK(reason_for(&res, f.arn[draining]) == NULL);
    /* failures come in input order; only ATTRIBUTE names an attribute */
    CHECK(res.failures[0].arn == f.inst[cpu].arn);
    for (size_t k = 0; k < res.n_failures; k++) {
        bool is_attr = res.failures[k].arn == f.inst[attr].arn;
        CHECK(is_attr
                  ? res.failures[k].attribute && strcmp(res.failures[k].attribute, "ecs.capability.secrets.ssm") == 0
                  : res.failures[k].attribute == NULL);
    }
    placement_result_free(&res);

    /* requiresAttributes with a value */
    static const struct query_attr want_type[] = {{"ecs.instance-type", "m5.large"}};
    task = (struct placement_task){.cpu = 1, .memory = 1, .required_attrs = want_type, .n_required_attrs = 1};
    res = place(&f, &req, failures_);
    CHECK(res.n_placed == 0);
    CHECK_STR(reason_for(&res, f.arn[cpu]), "ATTRIBUTE");
    placement_result_free(&res);
}

TEST(placement_ports)
{
    struct fx f = {0};
    fx_add(&f, "a", 4096, 4096);
    fx_add(&f, "a", 4096, 4096);
    static const uint16_t udp_used[] = {80};
    f.inst[0].used_udp_ports = udp_used; /* UDP 80 does not block TCP 80 */
    f.inst[0].n_used_udp = 1;
    static const uint16_t need[] = {80};
    struct placement_task task = {.cpu = 1, .memory = 1, .tcp_ports = need, .n_tcp = 1};
    struct placement_strategy s[] = {{PLACEMENT_BINPACK, "memory"}};
    struct placement_request req = {.task = &task, .count = 3, .strategies = s, .n_strategies = 1};
    struct placement_result res = place(&f, &req, failures_);
    /* binpack would stack both; the shared host port forces two instances */
    CHECK(res.n_placed == 2);
    CHECK(res.chosen[0] != res.chosen[1] && res.chosen[0] >= 0 && res.chosen[1] >= 0);
    CHECK(res.chosen[2] == -1);
    CHECK_STR(reason_for(&res, f.arn[0]), "RESOURCE:PORTS");
    CHECK_STR(reason_for(&res, f.arn[1]), "RESOURCE:PORTS");
    placement_result_free(&res);

    /* UDP conflicts are checked against UDP */
    task = (struct placement_task){.cpu = 1, .memory = 1, .udp_ports = need, .n_udp = 1};
    req.count = 1;
    res = place(&f, &req, failures_);
    CHECK(res.n_placed == 1 && res.chosen[0] == 1);
    placement_result_free(&res);

    /* tasks without static ports stack freely */
    task = (struct placement_task){.cpu = 1, .memory = 1};
    req.count = 4;
    res = place(&f, &req, failures_);
    CHECK(res.n_placed == 4);
    placement_result_free(&res);
}

TEST(placement_reserved_ports)
{
    static const uint16_t reserved[] = {22, 2375, 2376, 51678, 51679};
    struct fx f = {0};
    fx_add(&f, "a", 4096, 4096);
    for (size_t i = 0; i < 5; i++) {
        uint16_t need[] = {8000, reserved[i]};
        struct placement_task task = {.cpu = 1, .memory = 1, .tcp_ports = need, .n_tcp = 2};
        struct placement_request req = {.task = &task, .count = 1};
        struct placement_result res = place(&f, &req, failures_);
        CHECK(res.n_placed == 0);
        CHECK_STR(reason_for(&res, f.arn[0]), "RESOURCE:PORTS");
        placement_result_free(&res);
    }
    /* reserved only for TCP */
    uint16_t udp22[] = {22};
    struct placement_task task = {.cpu = 1, .memory = 1, .udp_ports = udp22, .n_udp = 1};
    struct placement_request req = {.task = &task, .count = 1};
    struct placement_result res = place(&f, &req, failures_);
    CHECK(res.n_placed == 1);
    placement_result_free(&res);
}

TEST(placement_no_active_instances)
{
    struct fx f = {0};
    fx_add(&f, "a", 4096, 4096);
    f.inst[0].active = false; /* DRAINING */
    struct placement_task task = {.cpu = 1, .memory = 1};
    struct placement_request req = {.task = &task, .count = 2};
    struct placement_result res = place(&f, &req, failures_);
    CHECK(res.n_placed == 0);
    CHECK(res.n_failures == 1);
    CHECK(res.failures[0].arn == NULL);
    CHECK_STR(res.failures[0].reason, PLACEMENT_REASON_NO_INSTANCES);
    placement_result_free(&res);

    /* an empty cluster */
    struct error err = {0};
    CHECK(placement_place(NULL, 0, &req, &res, &err) == 0);
    CHECK(res.n_failures == 1 && res.chosen[0] == -1);
    placement_result_free(&res);

    /* only disconnected agents: each is reported */
    f.inst[0].active = true;
    f.inst[0].q.agent_connected = false;
    fx_add(&f, "a", 4096, 4096);
    f.inst[1].q.agent_connected = false;
    res = place(&f, &req, failures_);
    CHECK(res.n_failures == 2);
    CHECK_STR(res.failures[0].reason, "AGENT");
    CHECK_STR(res.failures[1].reason, "AGENT");
    placement_result_free(&res);

    /* count 0 places nothing and fails nothing */
    req.count = 0;
    res = place(&f, &req, failures_);
    CHECK(res.n_placed == 0 && res.n_failures == 0);
    placement_result_free(&res);
    placement_result_free(NULL);
}

TEST(placement_count_ten_consumes_resources)
{
    struct fx f = {0};
    fx_add(&f, "a", 1024, 2048);
    fx_add(&f, "a", 1024, 4096);
    struct placement_task task = {.cpu = 256, .memory = 512, .group = "family:job"};
    struct placement_strategy s[] = {{PLACEMENT_BINPACK, "memory"}};
    struct placement_request req = {.task = &task, .count = 10, .strategies = s, .n_strategies = 1};
    struct placement_result res = place(&f, &req, failures_);
    /* 4 fit on each by CPU; the 9th and 10th do not */
    CHECK(res.n_placed == 8);
    CHECK(on(&res, 10, 0) == 4 && on(&res, 10, 1) == 4);
    for (int t = 0; t < 4; t++)
        CHECK(res.chosen[t] == 0);
    CHECK(res.chosen[8] == -1 && res.chosen[9] == -1);
    CHECK(res.n_failures == 2);
    CHECK_STR(reason_for(&res, f.arn[0]), "RESOURCE:CPU");
    CHECK_STR(reason_for(&res, f.arn[1]), "RESOURCE:CPU");
    placement_result_free(&res);

    /* memory runs out first on instance 0 when CPU is plentiful */
    f.inst[0].remaining_cpu = f.inst[1].remaining_cpu = 100000;
    res = place(&f, &req, failures_);
    CHECK(on(&res, 10, 0) == 4 && on(&res, 10, 1) == 6);
    CHECK(res.n_placed == 10);
    placement_result_free(&res);
    req.count = 13;
    res = place(&f, &req, failures_);
    CHECK(res.n_placed == 12);
    CHECK_STR(reason_for(&res, f.arn[0]), "RESOURCE:MEMORY");
    placement_result_free(&res);
}

TEST(placement_ties_go_to_smallest_id)
{
    struct fx f = {0};
    fx_add(&f, "a", 4096, 4096);
    fx_add(&f, "a", 4096, 4096);
    fx_add(&f, "a", 4096, 4096);
    f.inst[0].id = "c";
    f.inst[1].id = "a";
    f.inst[2].id = "b";
    struct placement_task task = {.cpu = 1, .memory = 1};
    struct placement_request req = {.task = &task, .count = 2};
    struct placement_result res = place(&f, &req, failures_);
    /* no strategy: every candidate ties, the smallest id wins each time */
    CHECK(res.chosen[0] == 1 && res.chosen[1] == 1);
    placement_result_free(&res);
}

TEST(placement_ties_follow_the_callers_id_ranks)
{
    struct fx f = {0};
    for (int k = 0; k < 6; k++)
        fx_add(&f, k % 2 ? "a" : "b", 4096, 4096);
    static const char *const ids[] = {"f", "d", "b", "e", "c", "a"};
    for (int k = 0; k < 6; k++)
        f.inst[k].id = ids[k];
    struct placement_task task = {.cpu = 1, .memory = 1};
    struct placement_strategy spread[] = {{PLACEMENT_SPREAD, "attribute:ecs.availability-zone"}};
    struct placement_request req = {.task = &task, .count = 5, .strategies = spread, .n_strategies = 1};
    struct placement_result by_id = place(&f, &req, failures_);
    /* the ranks the snapshot gives: each id's place in sorted order */
    static const uint32_t ranks[] = {5, 3, 1, 4, 2, 0};
    req.id_rank = ranks;
    struct placement_result by_rank = place(&f, &req, failures_);
    /* zones alternate, smallest id first in each: a (5), b (2), a, b, a */
    CHECK(by_id.chosen[0] == 5 && by_id.chosen[1] == 2);
    for (int t = 0; t < 5; t++)
        CHECK(by_id.chosen[t] == by_rank.chosen[t]);
    placement_result_free(&by_id);
    placement_result_free(&by_rank);
}
/* One spread attribute with ranked ids goes bucket by bucket (no pass
 * over the instances per task): instances that fill up drop out, a zone
 * with none left is passed over, an instance without the attribute is a
 * bucket of its own, and what cannot be placed says why per instance. */
TEST(placement_spread_by_bucket_follows_counts_fills_and_ranks)
{
    struct fx f = {0};
    fx_add(&f, "a", 4096, 200);  /* 0: room for 2 */
    fx_add(&f, "a", 4096, 100);  /* 1: room for 1 */
    fx_add(&f, "b", 4096, 100);  /* 2: room for 1, 3 tasks of the group already */
    fx_add(&f, NULL, 4096, 100); /* 3: no zone */
    fx_tasks(&f, 2, "service:s", 3);
    static const uint32_t ranks[] = {1, 0, 2, 3}; /* instance 1's id sorts first */
    struct placement_task task = {.cpu = 1, .memory = 100, .group = "service:s"};
    struct placement_strategy spread[] = {{PLACEMENT_SPREAD, "attribute:ecs.availability-zone"}};
    struct placement_request req = {
        .task = &task, .count = 6, .strategies = spread, .n_strategies = 1, .id_rank = ranks};
    struct placement_result res = place(&f, &req, failures_);
    /* a:0 and none:0 tie, a's first id (1) first; then no zone (3); then
     * a:1 vs none:1 vs b:3: a's instance 0 (1 is full); then a:2, none:1
     * is full too, only b is left: instance 2; then nothing. */
    CHECK(res.chosen[0] == 1 && res.chosen[1] == 3 && res.chosen[2] == 0);
    CHECK(res.chosen[3] == 0 && res.chosen[4] == 2 && res.chosen[5] == -1);
    CHECK(res.n_placed == 5 && res.n_failures == 4);
    for (size_t k = 0; k < 4; k++)
        CHECK(strcmp(reason_for(&res, f.arn[k]), PLACEMENT_REASON_MEMORY) == 0);
    placement_result_free(&res);
}

/* The per-bucket and heap pickers (a lone rank, ranked ids) choose what a
 * pass over every instance with the ids compared chooses: random clusters
 * and requests, placed both ways. */
TEST(placement_pickers_match_the_full_pass)
{
    static const char *const zones[] = {"a", "b", "c", NULL};
    static const struct placement_strategy lone[] = {{PLACEMENT_SPREAD, "attribute:ecs.availability-zone"},
                                                     {PLACEMENT_BINPACK, "memory"},
                                                     {PLACEMENT_BINPACK, "cpu"},
                                                     {PLACEMENT_SPREAD, "instanceId"}};
    uint64_t seed = 42;
    for (int round = 0; round < 3000; round++) {
        struct fx f = {0};
        size_t n = 1 + splitmix64(&seed) % 40;
        uint32_t ranks[MAX_FX];
        for (size_t k = 0; k < n; k++) {
            fx_add(&f, zones[splitmix64(&seed) % 4], (int64_t)(splitmix64(&seed) % 2048),
                   (int64_t)(splitmix64(&seed) % 2048));
            fx_tasks(&f, k, "service:s", (int)(splitmix64(&seed) % 3));
            f.inst[k].q.agent_connected = splitmix64(&seed) % 8 != 0;
            f.inst[k].active = splitmix64(&seed) % 16 != 0;
            ranks[k] = (uint32_t)k; /* fx ids sort by k */
        }
        struct placement_task task = {.cpu = (int64_t)(splitmix64(&seed) % 200),
                                      .memory = (int64_t)(splitmix64(&seed) % 200),
                                      .group = "service:s"};
        struct placement_constraint distinct[] = {{PLACEMENT_DISTINCT_INSTANCE, NULL}};
        struct placement_request req = {.task = &task,
                                        .count = (int)(splitmix64(&seed) % 30),
                                        .strategies = &lone[splitmix64(&seed) % 4],
                                        .n_strategies = 1,
                                        .constraints = distinct,
                                        .n_constraints = splitmix64(&seed) % 4 == 0};
        struct placement_result full = place(&f, &req, failures_);
        req.id_rank = ranks;
        struct placement_result picked = place(&f, &req, failures_);
        CHECK(full.n_placed == picked.n_placed && full.n_failures == picked.n_failures);
        for (int t = 0; t < req.count; t++)
            CHECK(full.chosen[t] == picked.chosen[t]);
        for (size_t k = 0; k < full.n_failures; k++)
            CHECK(full.failures[k].arn == picked.failures[k].arn &&
                  full.failures[k].reason == picked.failures[k].reason);
        placement_result_free(&full);
        placement_result_free(&picked);
    }
}

TEST(placement_validation)
{
    struct placement_task task = {.cpu = 1, .memory = 1};
    struct placement_request req = {.task = &task, .count = 1};
    struct error err = {0};
    CHECK(placement_validate(&req, &err) == 0);

    struct placement_strategy bad_binpack[] = {{PLACEMENT_BINPACK, "disk"}};
    req.strategies = bad_binpack;
    req.n_strategies = 1;
    CHECK(placement_validate(&req, &err) < 0);
    CHECK(err.kind == ERR_INVALID);
    CHECK(strstr(err.msg, "'disk' for binpack") != NULL);

    struct placement_strategy bad_spread[] = {{PLACEMENT_SPREAD, "attribute:"}};
    req.strategies = bad_spread;
    CHECK(placement_validate(&req, &err) < 0);
    struct placement_strategy no_field[] = {{PLACEMENT_SPREAD, NULL}};
    req.strategies = no_field;
    CHECK(placement_validate(&req, &err) < 0);
    struct placement_strategy ok[] = {
        {PLACEMENT_SPREAD, "attribute:x"}, {PLACEMENT_BINPACK, "MEMORY"}, {PLACEMENT_RANDOM, NULL}};
    req.strategies = ok;
    req.n_strategies = 3;
    CHECK(placement_validate(&req, &err) == 0);

    struct placement_constraint member_no_expr[] = {{PLACEMENT_MEMBER_OF, NULL}};
    req.constraints = member_no_expr;
    req.n_constraints = 1;
    CHECK(placement_validate(&req, &err) < 0);
    struct placement_constraint distinct_expr[] = {{PLACEMENT_DISTINCT_INSTANCE, "a == b"}};
    req.constraints = distinct_expr;
    CHECK(placement_validate(&req, &err) < 0);
    struct placement_constraint bad_expr[] = {{PLACEMENT_MEMBER_OF, "attribute:x =="}};
    req.constraints = bad_expr;
    CHECK(placement_validate(&req, &err) < 0);
    CHECK_STR(err.msg, "memberOf placement constraint: Invalid expression at position 15: "
                       "expected an argument after '=='");
    /* placement_place refuses the same request */
    struct placement_result res = {0};
    CHECK(placement_place(NULL, 0, &req, &res, &err) < 0);
    CHECK(res.chosen == NULL);

    req.constraints = NULL;
    req.n_constraints = 0;
    req.count = -1;
    CHECK(placement_validate(&req, &err) < 0);
    CHECK(placement_validate(NULL, &err) < 0);
    req.count = 1;
    task.memory = -1;
    CHECK(placement_validate(&req, &err) < 0);

    CHECK(placement_strategy_type_from_string("spread") == PLACEMENT_SPREAD);
    CHECK(placement_strategy_type_from_string("pack") == -1);
    CHECK_STR(placement_strategy_type_to_string(PLACEMENT_BINPACK), "binpack");
    CHECK(placement_constraint_type_from_string("memberOf") == PLACEMENT_MEMBER_OF);
    CHECK(placement_constraint_type_from_string(NULL) == -1);
    CHECK_STR(placement_constraint_type_to_string(PLACEMENT_DISTINCT_INSTANCE), "distinctInstance");
}

TEST(placement_five_thousand_instances)
{
    enum { N = 5000 };
    static const char *azs[] = {"us-east-1a", "us-east-1b", "us-east-1c"};
    static const char *types[] = {"t2.micro", "m5.large", "t2.small", "c5.xlarge"};
    struct placement_instance *inst = calloc(N, sizeof(*inst));
    struct query_attr(*attrs)[3] = calloc(N, sizeof(*attrs));
    char(*ids)[16] = calloc(N, sizeof(*ids));
    struct query_group *groups = calloc(N, sizeof(*groups));
    static const uint16_t used[] = {80, 443, 8080};
    for (size_t k = 0; k < N; k++) {
        snprintf(ids[k], sizeof(ids[k]), "i-%05zu", k);
        attrs[k][0] = (struct query_attr){"ecs.availability-zone", azs[k % 3]};
        attrs[k][1] = (struct query_attr){"ecs.instance-type", types[k % 4]};
        attrs[k][2] = (struct query_attr){"ecs.os-type", "linux"};
        groups[k] = (struct query_group){"service:web", (int)(k % 5)};
        inst[k] = (struct placement_instance){
            .arn = ids[k],
            .id = ids[k],
            .active = k % 50 != 0,
            .remaining_cpu = 512 + (int64_t)(k * 7919 % 4096),
            .remaining_memory = 1024 + (int64_t)(k * 104729 % 8192),
            .used_tcp_ports = used,
            .n_used_tcp = k % 2 ? 3 : 0,
            .q = {.agent_connected = k % 97 != 0,
                  .running_tasks_count = (int64_t)(k % 5),
                  .attrs = attrs[k],
                  .n_attrs = 3,
                  .groups = &groups[k],
                  .n_groups = 1},
        };
    }
    static const uint16_t need[] = {8080};
    struct placement_task task = {.cpu = 256, .memory = 512, .tcp_ports = need, .n_tcp = 1, .group = "service:web"};
    struct placement_strategy s[] = {{PLACEMENT_SPREAD, "attribute:ecs.availability-zone"},
                                     {PLACEMENT_SPREAD, "instanceId"},
                                     {PLACEMENT_BINPACK, "memory"}};
    struct placement_constraint c[] = {
        {PLACEMENT_MEMBER_OF, "attribute:ecs.instance-type =~ t2.* and attribute:ecs.os-type == linux"},
        {PLACEMENT_DISTINCT_INSTANCE, NULL},
    };
    struct placement_request req = {
        .task = &task, .count = 10, .constraints = c, .n_constraints = 2, .strategies = s, .n_strategies = 3};
    struct placement_result res = {0};
    struct error err = {0};
    for (int round = 0; round < 3; round++) {
        CHECK(placement_place(inst, N, &req, &res, &err) == 0);
        CHECK(res.n_placed == 10);
        for (int t = 0; t < 10; t++) {
            int k = res.chosen[t];
            CHECK(k >= 0 && k % 2 == 0 && inst[k].active && inst[k].q.agent_connected);
            CHECK(strncmp(types[k % 4], "t2.", 3) == 0);
            CHECK(groups[k].count == 0); /* spread + distinct: empty instances first */
        }
        placement_result_free(&res);
    }
    free(inst);
    free(attrs);
    free(ids);
    free(groups);
}

static uint64_t prng(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Random clusters and requests: whatever the engine chooses must respect
 * every filter, cumulatively, and unplaced tasks must come with failures. */
TEST(placement_random_requests_respect_every_filter)
{
    static const char *azs[] = {"a", "b", "c", NULL};
    static const uint16_t used_a[] = {80}, used_b[] = {443, 8080};
    static const uint16_t need_80[] = {80}, need_9000[] = {9000};
    uint64_t rs = 0x1234567;
    size_t total_placed = 0, total_failed = 0;
    for (int iter = 0; iter < 300; iter++) {
        struct fx f = {0};
        size_t n = prng(&rs) % 12;
        for (size_t k = 0; k < n; k++) {
            fx_add(&f, azs[prng(&rs) % 4], (int64_t)(prng(&rs) % 2048), (int64_t)(prng(&rs) % 4096));
            f.inst[k].active = prng(&rs) % 8 != 0;
            f.inst[k].q.agent_connected = prng(&rs) % 8 != 0;
            if (prng(&rs) % 3 == 0) {
                f.inst[k].used_tcp_ports = prng(&rs) % 2 ? used_a : used_b;
                f.inst[k].n_used_tcp = f.inst[k].used_tcp_ports == used_a ? 1 : 2;
            }
            if (prng(&rs) % 3 == 0)
                fx_tasks(&f, k, "g", (int)(prng(&rs) % 3) + 1);
            if (prng(&rs) % 2)
                fx_attr(&f, k, "stack", "prod");
        }
        struct placement_task task = {
            .cpu = (int64_t)(prng(&rs) % 512), .memory = (int64_t)(prng(&rs) % 1024), .group = "g"};
        if (prng(&rs) % 3 == 0) {
            task.tcp_ports = prng(&rs) % 2 ? need_80 : need_9000;
            task.n_tcp = 1;
        }
        struct placement_strategy all_s[] = {{PLACEMENT_SPREAD, "attribute:ecs.availability-zone"},
                                             {PLACEMENT_BINPACK, "memory"},
                                             {PLACEMENT_SPREAD, "instanceId"},
                                             {PLACEMENT_RANDOM, NULL},
                                             {PLACEMENT_BINPACK, "cpu"}};
        struct placement_constraint all_c[] = {{PLACEMENT_MEMBER_OF, "attribute:stack == prod"},
                                               {PLACEMENT_DISTINCT_INSTANCE, NULL}};
        size_t first_s = prng(&rs) % 5;
        struct placement_request req = {
            .task = &task,
            .count = (int)(prng(&rs) % 11),
            .strategies = all_s + first_s,
            .n_strategies = prng(&rs) % (6 - first_s),
            .constraints = all_c,
            .n_constraints = prng(&rs) % 3,
            .seed = prng(&rs),
        };
        bool distinct = req.n_constraints == 2, member = req.n_constraints >= 1;
        struct placement_result res = place(&f, &req, failures_);

        size_t placed = 0;
        for (int t = 0; t < req.count; t++) {
            if (res.chosen[t] < 0)
                continue;
            CHECK((int)placed == t); /* placed tasks come first */
            placed++;
        }
        CHECK(placed == res.n_placed);
        CHECK((res.n_failures == 0) == (placed == (size_t)req.count));
        total_placed += placed;
        total_failed += res.n_failures > 0;
        for (size_t k = 0; k < n; k++) {
            const struct placement_instance *in = &f.inst[k];
            int64_t c = on(&res, req.count, k);
            if (c == 0)
                continue;
            CHECK(in->active && in->q.agent_connected);
            CHECK(c * task.cpu <= in->remaining_cpu);
            CHECK(c * task.memory <= in->remaining_memory);
            if (task.n_tcp) {
                CHECK(c == 1);
                for (size_t u = 0; u < in->n_used_tcp; u++)
                    CHECK(in->used_tcp_ports[u] != task.tcp_ports[0]);
            }
            if (distinct)
                CHECK(c == 1 && in->q.running_tasks_count == 0);
            if (member)
                CHECK(query_subject_attr(&in->q, "stack") != NULL);
        }
        size_t active = 0;
        for (size_t k = 0; k < n; k++)
            active += f.inst[k].active;
        if (res.n_failures) {
            if (active == 0) {
                CHECK(res.n_failures == 1 && res.failures[0].arn == NULL);
            } else {
                CHECK(res.n_failures == active);
                for (size_t i = 0; i < res.n_failures; i++)
                    CHECK(res.failures[i].arn && res.failures[i].reason);
            }
        }
        placement_result_free(&res);
    }
    /* the generator exercises both outcomes */
    CHECK(total_placed > 300);
    CHECK(total_failed > 30);
}

/* spread(instanceId) from an empty cluster levels the counts to within one. */
TEST(placement_spread_levels_counts)
{
    struct fx f = {0};
    for (int k = 0; k < 7; k++)
        fx_add(&f, "a", 100000, 100000);
    struct placement_task task = {.cpu = 1, .memory = 1, .group = "g"};
    struct placement_strategy s[] = {{PLACEMENT_SPREAD, "instanceId"}, {PLACEMENT_RANDOM, NULL}};
    for (int count = 1; count <= 30; count++) {
        struct placement_request req = {
            .task = &task, .count = count, .strategies = s, .n_strategies = 2, .seed = (uint64_t)count};
        struct placement_result res = place(&f, &req, failures_);
        int lo = count, hi = 0;
        for (size_t k = 0; k < f.n; k++) {
            int c = on(&res, count, k);
            lo = c < lo ? c : lo;
            hi = c > hi ? c : hi;
        }
        CHECK(hi - lo <= 1);
        placement_result_free(&res);
    }
}

TEST(placement_reason_categories)
{
    CHECK(placement_reason_is("ATTRIBUTE", PLACEMENT_REASON_ATTRIBUTE));
    CHECK(placement_reason_is("ATTRIBUTE: missing ecs.capability.efs", PLACEMENT_REASON_ATTRIBUTE));
    CHECK(!placement_reason_is("ATTRIBUTEX", PLACEMENT_REASON_ATTRIBUTE));
    CHECK(placement_reason_is("RESOURCE:CPU", PLACEMENT_REASON_CPU));
    CHECK(!placement_reason_is("RESOURCE:CPU", PLACEMENT_REASON_MEMORY));
    CHECK(!placement_reason_is(NULL, PLACEMENT_REASON_AGENT));
}
