/* bench_placement.c - how long placement_place() takes for 10 tasks over
 * 5,000 instances with realistic attributes (40 per instance), two memberOf
 * constraints (one regex, one reading runningTasksCount and task:group) and
 * three chained strategies.  Reports a figure; asserts nothing.
 *
 *   make build/libberth.a
 *   cc -O2 -D_GNU_SOURCE -Isrc bench/bench_placement.c build/libberth.a \
 *      -o build/bench_placement && build/bench_placement */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "server/placement/placement.h"

enum { N = 5000, N_ATTRS = 40, ROUNDS = 100 };

int main(void)
{
    static const char *azs[] = {"us-east-1a", "us-east-1b", "us-east-1c"};
    static const char *types[] = {"t2.micro", "m5.large", "t2.small", "c5.xlarge"};
    static const uint16_t used[] = {80, 443, 8080, 9000, 9001, 9002};
    struct placement_instance *inst = calloc(N, sizeof(*inst));
    struct query_attr(*attrs)[N_ATTRS] = calloc(N, sizeof(*attrs));
    char(*ids)[16] = calloc(N, sizeof(*ids));
    char(*names)[N_ATTRS][48] = calloc(N, sizeof(*names));
    struct query_group *groups = calloc(N, sizeof(*groups));
    if (!inst || !attrs || !ids || !names || !groups)
        return 1;
    for (size_t k = 0; k < N; k++) {
        snprintf(ids[k], sizeof(ids[k]), "i-%05zu", k);
        attrs[k][0] = (struct query_attr){"ecs.availability-zone", azs[k % 3]};
        attrs[k][1] = (struct query_attr){"ecs.instance-type", types[k % 4]};
        attrs[k][2] = (struct query_attr){"ecs.os-type", "linux"};
        for (int a = 3; a < N_ATTRS; a++) {
            snprintf(names[k][a], sizeof(names[k][a]), "ecs.capability.feature-%d", a);
            attrs[k][a] = (struct query_attr){names[k][a], NULL};
        }
        groups[k] = (struct query_group){"service:web", (int)(k % 5)};
        inst[k] = (struct placement_instance){
            .arn = ids[k],
            .id = ids[k],
            .active = true,
            .remaining_cpu = 100000,
            .remaining_memory = 100000,
            .used_tcp_ports = used,
            .n_used_tcp = sizeof(used) / sizeof(used[0]),
            .q = {.agent_connected = true,
                  .running_tasks_count = (int64_t)(k % 5),
                  .attrs = attrs[k],
                  .n_attrs = N_ATTRS,
                  .groups = &groups[k],
                  .n_groups = 1},
        };
    }
    static const uint16_t need[] = {8081};
    struct placement_task task = {.cpu = 256, .memory = 512, .tcp_ports = need, .n_tcp = 1, .group = "service:web"};
    struct placement_strategy s[] = {{PLACEMENT_SPREAD, "attribute:ecs.availability-zone"},
                                     {PLACEMENT_SPREAD, "instanceId"},
                                     {PLACEMENT_BINPACK, "memory"}};
    struct placement_constraint c[] = {
        {PLACEMENT_MEMBER_OF, "attribute:ecs.instance-type =~ t2.* and attribute:ecs.os-type == linux"},
        {PLACEMENT_MEMBER_OF, "runningTasksCount < 100 and not(task:group == service:db)"},
    };
    struct placement_request req = {
        .task = &task, .count = 10, .constraints = c, .n_constraints = 2, .strategies = s, .n_strategies = 3};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int r = 0; r < ROUNDS; r++) {
        struct placement_result res;
        struct error err = {0};
        if (placement_place(inst, N, &req, &res, &err) < 0) {
            fprintf(stderr, "placement failed: %s\n", err.msg);
            return 1;
        }
        placement_result_free(&res);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double us = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / 1e3 / ROUNDS;
    printf("placement: 10 tasks over %d instances: %.0f us per call, %.1f us per task\n", N, us, us / 10);
    free(inst);
    free(attrs);
    free(ids);
    free(names);
    free(groups);
    return 0;
}
