/* cli_status.c - `berth status`: one screen on the state of every cluster,
 * read through the ECS API with the caller's AWS credentials (as the AWS
 * CLI finds them): clusters, each service's desired/running/pending counts
 * and deployments, each container instance's free cpu and memory, and the
 * tasks that failed in the last hour with their reasons; as text, or with
 * --json as one document of the same (collected first, then printed).
 *
 * It only reads (List and Describe calls), so a user allowed ecs:List* and
 * ecs:Describe* may run it; it knows nothing the API does not say. */
#include <getopt.h> /* optind */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/cli_flags.h"
#include "cli/cli_util.h"
#include "common/awsjson.h"
#include "common/cleanup.h"
#include "common/proto.h"

/* Failures older than this are not shown. */
#define STATUS_FAILURE_WINDOW_SEC 3600
/* At most this many failures a cluster (the newest). */
#define STATUS_MAX_FAILURES 20
/* At most this many pages of one listing (100 each): a bound, not a limit
 * anyone reaches with berth's quotas (5,000 services or instances). */
#define STATUS_MAX_PAGES 100

static void usage(FILE *f)
{
    fprintf(f, "usage: berth status [--cluster NAME] [--json] [--endpoint URL] [--region R]\n"
               "\n"
               "Clusters, services (desired, running, pending, deployments), container\n"
               "instances (agent connected, free cpu and memory) and the tasks that failed in\n"
               "the last hour with their reasons, through the ECS API.  Requests are signed with\n"
               "AWS credentials as the AWS CLI finds them (allowed ecs:List* and ecs:Describe*).\n"
               "--json prints the same as one JSON document ({\"clusters\": [...]}) for scripts.\n"
               "--endpoint defaults to $BERTH_ENDPOINT, else http://127.0.0.1:7480.\n");
}

struct status_cli {
    const char *endpoint, *region, *cluster;
    bool json;
};

static const struct cli_flag status_flags[] = {
    {"endpoint", .has_arg = true, .set = cli_flags_set_ptr, CLI_FIELD(struct status_cli, endpoint)},
    {"region", .has_arg = true, .set = cli_flags_set_ptr, CLI_FIELD(struct status_cli, region)},
    {"cluster", .has_arg = true, .set = cli_flags_set_ptr, CLI_FIELD(struct status_cli, cluster)},
    {"json", .set = cli_flags_set_true, CLI_FIELD(struct status_cli, json)},
    {"help", .short_name = 'h'},
};

static inline void clientp(struct awsjson_client **c) { awsjson_client_free(*c); }

/* One ECS call; the answer, or NULL after a message. */
static json_t *ecs_call(struct awsjson_client *c, const char *action, json_t *in)
{
    struct error err;
    json_t *out = NULL;
    int r = awsjson_call(c, PROTO_ECS_TARGET, action, in, &out, &err);
    json_decref(in);
    if (r < 0)
        fprintf(stderr, "berth status: %s: %s\n", action, err.msg);
    return r < 0 ? NULL : out;
}

/* Every ARN a List call gives (following nextToken), as a new array; NULL
 * after a message.  `in` is the request (borrowed; nextToken is set on it). */
static json_t *list_all(struct awsjson_client *c, const char *action, json_t *in, const char *member)
{
    _cleanup_json_ json_t *all = json_array();
    for (int page = 0; page < STATUS_MAX_PAGES; page++) {
        json_t *out = ecs_call(c, action, json_incref(in));
        if (!out)
            return NULL;
        json_array_extend(all, json_object_get(out, member));
        json_t *next = json_object_get(out, "nextToken");
        if (!json_is_string(next)) {
            json_decref(out);
            break;
        }
        json_object_set(in, "nextToken", next);
        json_decref(out);
    }
    return json_incref(all);
}

/* Describe `arns` in batches of `batch` (the API's limit): the documents
 * in `member`, as a new array; NULL after a message. */
static json_t *describe_all(struct awsjson_client *c, const char *action, const char *cluster, const char *arg,
                            json_t *arns, size_t batch, const char *member)
{
    _cleanup_json_ json_t *all = json_array();
    for (size_t i = 0; i < json_array_size(arns); i += batch) {
        json_t *part = json_array();
        for (size_t j = i; j < i + batch && j < json_array_size(arns); j++)
            json_array_append(part, json_array_get(arns, j));
        json_t *out = ecs_call(c, action, json_pack("{s:s, s:o}", "cluster", cluster, arg, part));
        if (!out)
            return NULL;
        json_array_extend(all, json_object_get(out, member));
        json_decref(out);
    }
    return json_incref(all);
}

static const char *str(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "-";
}

static long long num(const json_t *o, const char *k) { return (long long)json_number_value(json_object_get(o, k)); }

/* The last part of an ARN ("web:3" of a task definition, an id). */
static const char *tail(const char *arn)
{
    const char *slash = strrchr(arn, '/');
    return slash ? slash + 1 : arn;
}

/* The cluster's services as status shows them (a new array), or NULL
 * after a message. */
static json_t *collect_services(struct awsjson_client *c, const char *cluster)
{
    _cleanup_json_ json_t *in = json_pack("{s:s, s:i}", "cluster", cluster, "maxResults", 100);
    _cleanup_json_ json_t *arns = list_all(c, "ListServices", in, "serviceArns");
    _cleanup_json_ json_t *svcs =
        arns ? describe_all(c, "DescribeServices", cluster, "services", arns, 10, "services") : NULL;
    if (!svcs)
        return NULL;
    json_t *list = json_array();
    size_t i, j;
    json_t *s, *d;
    json_array_foreach(svcs, i, s) {
        json_t *deps = json_array();
        json_array_foreach(json_object_get(s, "deployments"), j, d) {
            json_array_append_new(deps, json_pack("{s:s, s:s, s:I, s:I, s:I, s:s}", "status", str(d, "status"),
                                                  "taskDefinition", str(d, "taskDefinition"), "desiredCount",
                                                  num(d, "desiredCount"), "runningCount", num(d, "runningCount"),
                                                  "pendingCount", num(d, "pendingCount"), "rolloutState",
                                                  str(d, "rolloutState")));
        }
        json_array_append_new(list,
                              json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:o}", "serviceName", str(s, "serviceName"),
                                        "serviceArn", str(s, "serviceArn"), "status", str(s, "status"), "desiredCount",
                                        num(s, "desiredCount"), "runningCount", num(s, "runningCount"), "pendingCount",
                                        num(s, "pendingCount"), "deployments", deps));
    }
    return list;
}

static void print_services(const json_t *svcs)
{
    if (json_array_size(svcs) == 0) {
        printf("  no services\n");
        return;
    }
    printf("  %-24s %-8s %7s %7s %7s  %s\n", "SERVICE", "STATUS", "DESIRED", "RUNNING", "PENDING", "DEPLOYMENTS");
    size_t i, j;
    json_t *s, *d;
    json_array_foreach(svcs, i, s) {
        printf("  %-24s %-8s %7lld %7lld %7lld ", str(s, "serviceName"), str(s, "status"), num(s, "desiredCount"),
               num(s, "runningCount"), num(s, "pendingCount"));
        json_array_foreach(json_object_get(s, "deployments"), j, d) {
            printf(" %s%s %s %lld/%lld %s", j ? "; " : "", str(d, "status"), tail(str(d, "taskDefinition")),
                   num(d, "runningCount"), num(d, "desiredCount"), str(d, "rolloutState"));
        }
        printf("\n");
    }
}

/* A resource's integer value by name in a Resource list; -1 if absent. */
static long long resource(const json_t *list, const char *name)
{
    size_t i;
    json_t *r;
    json_array_foreach(list, i, r) {
        if (strcmp(str(r, "name"), name) == 0)
            return num(r, "integerValue");
    }
    return -1;
}

/* The cluster's container instances with their free resources (a new
 * array), or NULL after a message. */
static json_t *collect_instances(struct awsjson_client *c, const char *cluster)
{
    _cleanup_json_ json_t *in = json_pack("{s:s, s:i}", "cluster", cluster, "maxResults", 100);
    _cleanup_json_ json_t *arns = list_all(c, "ListContainerInstances", in, "containerInstanceArns");
    _cleanup_json_ json_t *cis = arns ? describe_all(c, "DescribeContainerInstances", cluster, "containerInstances",
                                                     arns, 100, "containerInstances")
                                      : NULL;
    if (!cis)
        return NULL;
    json_t *list = json_array();
    size_t i;
    json_t *ci;
    json_array_foreach(cis, i, ci) {
        json_t *reg = json_object_get(ci, "registeredResources"), *rem = json_object_get(ci, "remainingResources");
        json_array_append_new(list,
                              json_pack("{s:s, s:s, s:b, s:I, s:I, s:{s:I, s:I}, s:{s:I, s:I}}", "containerInstanceArn",
                                        str(ci, "containerInstanceArn"), "status", str(ci, "status"), "agentConnected",
                                        json_is_true(json_object_get(ci, "agentConnected")), "runningTasksCount",
                                        num(ci, "runningTasksCount"), "pendingTasksCount", num(ci, "pendingTasksCount"),
                                        "cpu", "free", resource(rem, "CPU"), "total", resource(reg, "CPU"), "memoryMiB",
                                        "free", resource(rem, "MEMORY"), "total", resource(reg, "MEMORY")));
    }
    return list;
}

static void print_instances(const json_t *cis)
{
    if (json_array_size(cis) == 0) {
        printf("  no container instances\n");
        return;
    }
    printf("  %-32s %-8s %-12s %5s %15s %19s\n", "INSTANCE", "STATUS", "AGENT", "TASKS", "CPU FREE/TOTAL",
           "MEMORY FREE/TOTAL");
    size_t i;
    json_t *ci;
    json_array_foreach(cis, i, ci) {
        json_t *cpu = json_object_get(ci, "cpu"), *mem = json_object_get(ci, "memoryMiB");
        char cpus[40], mems[48];
        snprintf(cpus, sizeof(cpus), "%lld/%lld", num(cpu, "free"), num(cpu, "total"));
        snprintf(mems, sizeof(mems), "%lld/%lld MiB", num(mem, "free"), num(mem, "total"));
        printf("  %-32s %-8s %-12s %5lld %15s %19s\n", tail(str(ci, "containerInstanceArn")), str(ci, "status"),
               json_is_true(json_object_get(ci, "agentConnected")) ? "connected" : "DISCONNECTED",
               num(ci, "runningTasksCount") + num(ci, "pendingTasksCount"), cpus, mems);
    }
}

/* Whether a stopped task failed, rather than being stopped on purpose or
 * finishing well: it never started, a container exited non-zero or was
 * killed for a reason (OOM), or the scheduler replaced it as unhealthy. */
static bool task_failed(const json_t *t)
{
    const char *code = str(t, "stopCode");
    if (strcmp(code, "TaskFailedToStart") == 0)
        return true;
    if (strstr(str(t, "stoppedReason"), "health check"))
        return true;
    if (strcmp(code, "EssentialContainerExited") != 0)
        return false;
    size_t i;
    json_t *ctr;
    json_array_foreach(json_object_get(t, "containers"), i, ctr) {
        json_t *exit = json_object_get(ctr, "exitCode");
        if ((json_is_integer(exit) && json_integer_value(exit) != 0) || json_object_get(ctr, "reason"))
            return true;
    }
    return false;
}

/* One failed task as status reports it. */
static json_t *failure_json(const json_t *t)
{
    char when[32] = "";
    time_t at = (time_t)json_number_value(json_object_get(t, "stoppedAt"));
    struct tm tm;
    if (at > 0 && gmtime_r(&at, &tm))
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_t *ctrs = json_array();
    size_t i;
    json_t *ctr;
    json_array_foreach(json_object_get(t, "containers"), i, ctr) {
        json_t *exit = json_object_get(ctr, "exitCode"), *reason = json_object_get(ctr, "reason");
        if (json_is_integer(exit) || reason)
            json_array_append_new(ctrs, json_pack("{s:s, s:O*, s:O*}", "name", str(ctr, "name"), "exitCode",
                                                  json_is_integer(exit) ? exit : NULL, "reason", reason));
    }
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "taskArn", str(t, "taskArn"), "taskDefinitionArn",
                     str(t, "taskDefinitionArn"), "group", str(t, "group"), "stopCode", str(t, "stopCode"),
                     "stoppedReason", str(t, "stoppedReason"), "stoppedAt", when, "containers", ctrs);
}

/* {count, tasks: the newest STATUS_MAX_FAILURES} of the last hour's
 * failed tasks, or NULL after a message. */
static json_t *collect_failures(struct awsjson_client *c, const char *cluster)
{
    _cleanup_json_ json_t *in =
        json_pack("{s:s, s:s, s:i}", "cluster", cluster, "desiredStatus", "STOPPED", "maxResults", 100);
    _cleanup_json_ json_t *arns = list_all(c, "ListTasks", in, "taskArns");
    _cleanup_json_ json_t *tasks = arns ? describe_all(c, "DescribeTasks", cluster, "tasks", arns, 100, "tasks") : NULL;
    if (!tasks)
        return NULL;
    time_t since = time(NULL) - STATUS_FAILURE_WINDOW_SEC;
    size_t i, failed = 0;
    json_t *t, *list = json_array();
    json_array_foreach(tasks, i, t) {
        if (json_number_value(json_object_get(t, "stoppedAt")) < (double)since || !task_failed(t))
            continue;
        if (failed++ < STATUS_MAX_FAILURES)
            json_array_append_new(list, failure_json(t));
    }
    return json_pack("{s:I, s:o}", "count", (json_int_t)failed, "tasks", list);
}

static void print_failures(const json_t *f)
{
    if (!f)
        return;
    if (num(f, "count") == 0) {
        printf("  no failed tasks in the last hour\n");
        return;
    }
    printf("  FAILED TASKS (last hour: %lld)\n", num(f, "count"));
    size_t i, j;
    json_t *t, *ctr;
    json_array_foreach(json_object_get(f, "tasks"), i, t) {
        const char *at = str(t, "stoppedAt");
        printf("  %s  task %s (%s, %s): %s: %s\n", strlen(at) == 20 ? at + 11 : "-", tail(str(t, "taskArn")),
               tail(str(t, "taskDefinitionArn")), str(t, "group"), str(t, "stopCode"), str(t, "stoppedReason"));
        json_array_foreach(json_object_get(t, "containers"), j, ctr) {
            json_t *exit = json_object_get(ctr, "exitCode");
            printf("            container %s:", str(ctr, "name"));
            if (json_is_integer(exit))
                printf(" exit code %lld", (long long)json_integer_value(exit));
            if (json_object_get(ctr, "reason"))
                printf(" %s", str(ctr, "reason"));
            printf("\n");
        }
    }
}

/* A cluster with its services, instances and failures; a part whose calls
 * failed (after a message) is null and *ret_partial is set. */
static json_t *collect_cluster(struct awsjson_client *c, const json_t *cl, bool *ret_partial)
{
    const char *name = str(cl, "clusterName");
    json_t *svcs = collect_services(c, name), *cis = collect_instances(c, name), *fails = collect_failures(c, name);
    if (!svcs || !cis || !fails)
        *ret_partial = true;
    return json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:o*, s:o*, s:o*}", "clusterName", name, "clusterArn",
                     str(cl, "clusterArn"), "status", str(cl, "status"), "registeredContainerInstancesCount",
                     num(cl, "registeredContainerInstancesCount"), "activeServicesCount",
                     num(cl, "activeServicesCount"), "runningTasksCount", num(cl, "runningTasksCount"),
                     "pendingTasksCount", num(cl, "pendingTasksCount"), "services", svcs, "containerInstances", cis,
                     "failedTasks", fails);
}

static void print_cluster(const json_t *cl)
{
    printf("cluster %s  %s  instances %lld  services %lld  tasks running %lld, pending %lld\n", str(cl, "clusterName"),
           str(cl, "status"), num(cl, "registeredContainerInstancesCount"), num(cl, "activeServicesCount"),
           num(cl, "runningTasksCount"), num(cl, "pendingTasksCount"));
    print_services(json_object_get(cl, "services"));
    print_instances(json_object_get(cl, "containerInstances"));
    print_failures(json_object_get(cl, "failedTasks"));
}

/* DescribeClusters of `only` or of every cluster: a new array, or NULL
 * after a message. */
static json_t *describe_clusters(struct awsjson_client *c, const char *only)
{
    _cleanup_json_ json_t *arns = NULL;
    if (only) {
        arns = json_pack("[s]", only);
    } else {
        _cleanup_json_ json_t *in = json_pack("{s:i}", "maxResults", 100);
        arns = list_all(c, "ListClusters", in, "clusterArns");
    }
    if (!arns)
        return NULL;
    _cleanup_json_ json_t *clusters = json_array();
    for (size_t i = 0; i < json_array_size(arns); i += 100) {
        json_t *part = json_array();
        for (size_t j = i; j < i + 100 && j < json_array_size(arns); j++)
            json_array_append(part, json_array_get(arns, j));
        _cleanup_json_ json_t *out = ecs_call(c, "DescribeClusters", json_pack("{s:o}", "clusters", part));
        if (!out)
            return NULL;
        json_array_extend(clusters, json_object_get(out, "clusters"));
        if (only && json_array_size(json_object_get(out, "failures")) > 0) {
            fprintf(stderr, "berth status: cluster %s: %s\n", only,
                    str(json_array_get(json_object_get(out, "failures"), 0), "reason"));
            return NULL;
        }
    }
    return json_incref(clusters);
}

/* Exit status: 0, or 1 when a call failed (the rest is still shown). */
static int status_run(struct awsjson_client *c, const char *only, bool as_json)
{
    _cleanup_json_ json_t *clusters = describe_clusters(c, only);
    if (!clusters)
        return 1;
    bool partial = false;
    _cleanup_json_ json_t *all = json_array();
    size_t i;
    json_t *cl;
    json_array_foreach(clusters, i, cl)
        json_array_append_new(all, collect_cluster(c, cl, &partial));
    if (as_json) {
        _cleanup_json_ json_t *doc = json_pack("{s:O}", "clusters", all);
        json_dumpf(doc, stdout, JSON_INDENT(2));
        printf("\n");
        return partial ? 1 : 0;
    }
    if (json_array_size(all) == 0)
        printf("no clusters\n");
    json_array_foreach(all, i, cl) {
        if (i)
            printf("\n");
        print_cluster(cl);
    }
    return partial ? 1 : 0;
}

int cli_status_main(int argc, char **argv)
{
    static const struct cli_flags flags = {status_flags, ELEMENTSOF(status_flags), false, usage};
    struct status_cli s = {.endpoint = getenv("BERTH_ENDPOINT")};
    int pr = cli_flags_parse(&flags, argc, argv, &s);
    if (pr != CLI_FLAGS_OK)
        return pr == CLI_FLAGS_HELP ? 0 : 2;
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    if (!s.endpoint || !*s.endpoint)
        s.endpoint = "http://127.0.0.1:7480";
    struct aws_credentials creds;
    char region[LIMIT_AWS_REGION + 1];
    if (cli_signing_setup("berth status", s.region, &creds, region, sizeof(region)) < 0)
        return 1;
    struct error err;
    _cleanup_(clientp) struct awsjson_client *client = NULL;
    int r = awsjson_client_new(s.endpoint, &creds, region, &client, &err);
    aws_credentials_clear(&creds);
    if (r < 0) {
        fprintf(stderr, "berth status: %s\n", err.msg);
        return 1;
    }
    return status_run(client, s.cluster, s.json);
}
