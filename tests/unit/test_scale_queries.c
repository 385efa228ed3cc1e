/* Scale guard: the API's hot reads (ListTasks, DescribeTasks,
 * DescribeContainerInstances, ListContainerInstances) must cost the same
 * whether the cluster holds a few hundred tasks or several times more:
 * indexed lookups and bounded pages, never a walk over whole tables.
 *
 * Measured with SQLite's own counters (full-scan steps, and VM steps, which
 * grow with every row a query visits, including index range scans), so the
 * check does not depend on timing.  The same requests run at two data sizes;
 * their cost must stay flat. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/proto.h"
#include "common/log.h"
#include "server/http/api.h"
#include "server/server.h"
#include "server/sched/reconcile.h"
#include "server/store/store.h"
#include "server/store/store_services.h"
#include "test.h"
#include "test_server.h"

static json_t *call(struct server *srv, const char *action, json_t *body, int *ret_status)
{
    char target[128];
    snprintf(target, sizeof(target), "AmazonEC2ContainerServiceV20141113.%s", action);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    struct api_request req = {
        .target = target, .body = text, .body_len = strlen(text), .internal_caller = "arn:aws:iam::000000000000:root"};
    struct api_response resp;
    api_handle(srv->dispatch, &req, &resp);
    free(text);
    *ret_status = resp.status;
    json_t *out = json_loads(resp.body, 0, NULL);
    free(resp.body);
    return out;
}

static void grow(struct server *srv, int instances, int run_tasks_calls, const char *family, char *ret_instance,
                 char *ret_task, size_t cap, int *failures_)
{
    int st = 0;
    for (int i = 0; i < instances; i++) {
        json_t *out = call(srv, "RegisterContainerInstance",
                           json_pack("{s:s, s:[{s:s, s:s, s:i}, {s:s, s:s, s:i}], s:[{s:s, s:s}]}", "cluster", "big",
                                     "totalResources", "name", "CPU", "type", "INTEGER", "integerValue", 100000, "name",
                                     "MEMORY", "type", "INTEGER", "integerValue", 100000, "attributes", "name",
                                     "ecs.availability-zone", "value", i % 2 ? "a" : "b"),
                           &st);
        CHECK(st == 200);
        if (i == 0 && ret_instance)
            snprintf(
                ret_instance, cap, "%s",
                json_string_value(json_object_get(json_object_get(out, "containerInstance"), "containerInstanceArn")));
        json_decref(out);
    }
    for (int i = 0; i < run_tasks_calls; i++) {
        /* Spread, so every instance holds a few tasks and a lookup by
         * instance has to find them among all the others. */
        json_t *out = call(srv, "RunTask",
                           json_pack("{s:s, s:s, s:i, s:[{s:s, s:s}]}", "cluster", "big", "taskDefinition", family,
                                     "count", 10, "placementStrategy", "type", "spread", "field", "instanceId"),
                           &st);
        CHECK(st == 200);
        if (i == 0 && ret_task)
            snprintf(ret_task, cap, "%s",
                     json_string_value(json_object_get(json_array_get(json_object_get(out, "tasks"), 0), "taskArn")));
        json_decref(out);
    }
}

/* The hot reads; returns (full-scan steps, VM steps) they took. */
static void hot_reads(struct server *srv, const char *instance, const char *task, long long *ret_scan,
                      long long *ret_vm, int *failures_)
{
    int st = 0;
    store_fullscan_steps(srv->store, true);
    store_vm_steps(srv->store, true);
    json_decref(call(srv, "ListTasks", json_pack("{s:s, s:i}", "cluster", "big", "maxResults", 50), &st));
    CHECK(st == 200);
    json_decref(
        call(srv, "ListTasks", json_pack("{s:s, s:s, s:i}", "cluster", "big", "family", "f", "maxResults", 20), &st));
    CHECK(st == 200);
    json_decref(call(srv, "ListTasks",
                     json_pack("{s:s, s:s, s:i}", "cluster", "big", "containerInstance", instance, "maxResults", 2),
                     &st));
    CHECK(st == 200);
    json_decref(call(srv, "DescribeTasks", json_pack("{s:s, s:[s]}", "cluster", "big", "tasks", task), &st));
    CHECK(st == 200);
    json_decref(call(srv, "DescribeContainerInstances",
                     json_pack("{s:s, s:[s]}", "cluster", "big", "containerInstances", instance), &st));
    CHECK(st == 200);
    json_decref(call(srv, "ListContainerInstances", json_pack("{s:s, s:i}", "cluster", "big", "maxResults", 50), &st));
    CHECK(st == 200);
    *ret_scan = store_fullscan_steps(srv->store, false);
    *ret_vm = store_vm_steps(srv->store, false);
}

TEST(scale_hot_queries_stay_flat)
{
    char dir[sizeof(TEST_SERVER_DIR_TEMPLATE)];
    struct server srv;
    CHECK(test_server_open(&srv, dir) == 0);
    int st = 0;
    json_decref(call(&srv, "CreateCluster", json_pack("{s:s}", "clusterName", "big"), &st));
    for (int k = 0; k < 2; k++) {
        json_decref(call(&srv, "RegisterTaskDefinition",
                         json_pack("{s:s, s:[{s:s, s:s, s:i, s:i}]}", "family", k ? "g" : "f", "containerDefinitions",
                                   "name", "app", "image", "busybox", "cpu", 1, "memory", 8),
                         &st));
        CHECK(st == 200);
    }
    char instance[700] = "", task[700] = "";
    grow(&srv, 100, 30, "f", instance, task, sizeof(instance), failures_); /* 100 instances, 300 tasks */
    long long scan1, vm1, scan2, vm2;
    hot_reads(&srv, instance, task, &scan1, &vm1, failures_);
    /* 4x the instances, 5x the tasks, most of another family */
    grow(&srv, 300, 120, "g", NULL, NULL, 0, failures_);
    hot_reads(&srv, instance, task, &scan2, &vm2, failures_);
    if (scan1 || scan2 || vm2 > vm1 + vm1 / 4 || getenv("BERTH_SCALE_VERBOSE"))
        fprintf(stderr, "  hot reads: full-scan steps %lld -> %lld, VM steps %lld -> %lld\n", scan1, scan2, vm1, vm2);
    CHECK(scan1 == 0 && scan2 == 0);
    CHECK(vm2 <= vm1 + vm1 / 4); /* flat, give or take B-tree depth */
    test_server_close(&srv, dir);
}

static json_t *call_agent(struct server *srv, const char *action, json_t *body, int *ret_status)
{
    char target[128];
    snprintf(target, sizeof(target), "%s.%s", PROTO_AGENT_TARGET, action);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    struct api_request req = {
        .target = target, .body = text, .body_len = strlen(text), .internal_caller = "arn:aws:iam::000000000000:root"};
    struct api_response resp;
    api_handle(srv->dispatch, &req, &resp);
    free(text);
    *ret_status = resp.status;
    json_t *out = json_loads(resp.body, 0, NULL);
    free(resp.body);
    return out;
}

/* Register `n` instances carrying berth.agent-id = agent. */
static void register_agent_instances(struct server *srv, const char *agent, int n, int *failures_)
{
    int st = 0;
    for (int i = 0; i < n; i++) {
        json_decref(call(srv, "RegisterContainerInstance",
                         json_pack("{s:s, s:[{s:s, s:s, s:i}, {s:s, s:s, s:i}], s:[{s:s, s:s}]}", "cluster", "big",
                                   "totalResources", "name", "CPU", "type", "INTEGER", "integerValue", 100000, "name",
                                   "MEMORY", "type", "INTEGER", "integerValue", 100000, "attributes", "name",
                                   "berth.agent-id", "value", agent),
                         &st));
        CHECK(st == 200);
    }
}

/* One bulk poll (no waiting); returns its VM steps and the seq it reached. */
static long long bulk_poll(struct server *srv, const char *agent, json_int_t *since, size_t *ret_tasks, int *failures_)
{
    int st = 0;
    store_fullscan_steps(srv->store, true);
    store_vm_steps(srv->store, true);
    json_t *out = call_agent(
        srv, "PollTasks",
        json_pack("{s:s, s:s, s:I, s:i}", "cluster", "big", "agentId", agent, "since", *since, "waitSeconds", 0), &st);
    long long vm = store_vm_steps(srv->store, false);
    CHECK(st == 200);
    CHECK(store_fullscan_steps(srv->store, false) == 0);
    *ret_tasks = json_array_size(json_object_get(out, "tasks"));
    *since = json_integer_value(json_object_get(out, "since"));
    json_decref(out);
    return vm;
}

/* DescribeClusters' task counts (runningTasksCount, pendingTasksCount)
 * come from per-status counters, not a walk over the cluster's tasks. */
TEST(scale_cluster_counts_stay_flat)
{
    char dir[sizeof(TEST_SERVER_DIR_TEMPLATE)];
    struct server srv;
    CHECK(test_server_open(&srv, dir) == 0);
    int st = 0;
    json_decref(call(&srv, "CreateCluster", json_pack("{s:s}", "clusterName", "big"), &st));
    json_decref(call(&srv, "RegisterTaskDefinition",
                     json_pack("{s:s, s:[{s:s, s:s, s:i, s:i}]}", "family", "f", "containerDefinitions", "name", "app",
                               "image", "busybox", "cpu", 1, "memory", 8),
                     &st));
    long long vm[2];
    for (int k = 0; k < 2; k++) {
        /* The instances grow 5x, the tasks 5x. */
        grow(&srv, k ? 80 : 20, k ? 120 : 30, "f", NULL, NULL, 0, failures_);
        store_vm_steps(srv.store, true);
        json_t *out = call(&srv, "DescribeClusters", json_pack("{s:[s]}", "clusters", "big"), &st);
        vm[k] = store_vm_steps(srv.store, false);
        CHECK(st == 200);
        json_t *c = json_array_get(json_object_get(out, "clusters"), 0);
        CHECK(json_integer_value(json_object_get(c, "pendingTasksCount")) == (k ? 1500 : 300));
        CHECK(json_integer_value(json_object_get(c, "registeredContainerInstancesCount")) == (k ? 100 : 20));
        json_decref(out);
    }
    if (vm[1] > vm[0] + vm[0] / 4 || getenv("BERTH_SCALE_VERBOSE"))
        fprintf(stderr, "  DescribeClusters: VM steps %lld -> %lld\n", vm[0], vm[1]);
    CHECK(vm[1] <= vm[0] + vm[0] / 4);
    test_server_close(&srv, dir);
}

/* The hollow agent's bulk long-poll: with nothing new for it, its cost is
 * its own instances, not the cluster's other instances and tasks. */
TEST(scale_bulk_poll_stays_flat)
{
    char dir[sizeof(TEST_SERVER_DIR_TEMPLATE)];
    struct server srv;
    CHECK(test_server_open(&srv, dir) == 0);
    int st = 0;
    json_decref(call(&srv, "CreateCluster", json_pack("{s:s}", "clusterName", "big"), &st));
    json_decref(call(&srv, "RegisterTaskDefinition",
                     json_pack("{s:s, s:[{s:s, s:s, s:i, s:i}]}", "family", "f", "containerDefinitions", "name", "app",
                               "image", "busybox", "cpu", 1, "memory", 8),
                     &st));
    register_agent_instances(&srv, "mine", 20, failures_);
    grow(&srv, 50, 20, "f", NULL, NULL, 0, failures_); /* tasks land on mine and the others */
    json_int_t since = 0;
    size_t n = 0, total = 0;
    do {
        bulk_poll(&srv, "mine", &since, &n, failures_);
        total += n;
    } while (n > 0);
    CHECK(total > 0 && total < 200); /* only the tasks on its own instances */
    long long vm1 = bulk_poll(&srv, "mine", &since, &n, failures_);
    CHECK(n == 0);
    grow(&srv, 200, 100, "f", NULL, NULL, 0, failures_);
    /* Catch up on what landed on its instances, then poll with nothing new. */
    do {
        bulk_poll(&srv, "mine", &since, &n, failures_);
    } while (n > 0);
    long long vm2 = bulk_poll(&srv, "mine", &since, &n, failures_);
    if (vm2 > vm1 + vm1 / 4 || getenv("BERTH_SCALE_VERBOSE"))
        fprintf(stderr, "  bulk poll: VM steps %lld -> %lld\n", vm1, vm2);
    CHECK(vm2 <= vm1 + vm1 / 4);
    test_server_close(&srv, dir);
}

/* Run the scheduler's round for every live service (the controller thread
 * is not running in unit tests). */
static void schedule_services(struct server *srv, int *failures_)
{
    struct error err;
    struct store_tx *tx = NULL;
    json_t *ids = json_array();
    CHECK(store_begin(srv->store, false, &tx, &err) == 0);
    CHECK(store_service_live_ids(tx, ids, &err) == 0);
    store_rollback(tx);
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v) {
        bool changed = false;
        struct reconcile_env env = {.store = srv->store, .ecs = srv->ecs, .account = srv->cfg.account_id};
        CHECK(reconcile_service(&env, json_integer_value(v), &changed, &err) == 0);
    }
    json_decref(ids);
}

/* DescribeServices' running and pending counts: the same cost for a
 * service of 20 tasks and of 200. */
TEST(scale_service_counts_stay_flat)
{
    char dir[sizeof(TEST_SERVER_DIR_TEMPLATE)];
    struct server srv;
    CHECK(test_server_open(&srv, dir) == 0);
    int st = 0;
    json_decref(call(&srv, "CreateCluster", json_pack("{s:s}", "clusterName", "big"), &st));
    json_decref(call(&srv, "RegisterTaskDefinition",
                     json_pack("{s:s, s:[{s:s, s:s, s:i, s:i}]}", "family", "f", "containerDefinitions", "name", "app",
                               "image", "busybox", "cpu", 1, "memory", 8),
                     &st));
    grow(&srv, 20, 0, "f", NULL, NULL, 0, failures_);
    json_decref(call(&srv, "CreateService",
                     json_pack("{s:s, s:s, s:s, s:i}", "cluster", "big", "serviceName", "web", "taskDefinition", "f",
                               "desiredCount", 20),
                     &st));
    CHECK(st == 200);
    long long vm[2];
    for (int k = 0; k < 2; k++) {
        if (k) {
            json_decref(call(&srv, "UpdateService",
                             json_pack("{s:s, s:s, s:i}", "cluster", "big", "service", "web", "desiredCount", 200),
                             &st));
            CHECK(st == 200);
        }
        schedule_services(&srv, failures_);
        store_vm_steps(srv.store, true);
        json_t *out =
            call(&srv, "DescribeServices", json_pack("{s:s, s:[s]}", "cluster", "big", "services", "web"), &st);
        vm[k] = store_vm_steps(srv.store, false);
        CHECK(st == 200);
        json_t *svc = json_array_get(json_object_get(out, "services"), 0);
        CHECK(json_integer_value(json_object_get(svc, "pendingCount")) == (k ? 200 : 20));
        CHECK(json_integer_value(json_object_get(svc, "runningCount")) == 0);
        json_decref(out);
    }
    if (vm[1] > vm[0] + vm[0] / 4 || getenv("BERTH_SCALE_VERBOSE"))
        fprintf(stderr, "  DescribeServices: VM steps %lld -> %lld\n", vm[0], vm[1]);
    CHECK(vm[1] <= vm[0] + vm[0] / 4);
    test_server_close(&srv, dir);
}
