/* bench_json.c - JSON written and read: jansson's json_dumps and
 * json_loads (the references) against jsondump and jsonload, the same tree
 * and text, interleaved, on one core.
 * The tree is a DescribeContainerInstances answer for 100 instances
 * shaped as berth's (45 attributes, resources, times as reals), or the
 * JSON document in the file given.  A figure only; it checks that both
 * writers wrote the same bytes and both readers read the same tree.
 *
 *     build/bench_json [FILE.json] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/jsondump.h"
#include "server/store/jsonload.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static json_t *resources(void)
{
    return json_pack("[{s:s,s:s,s:i},{s:s,s:s,s:i},{s:s,s:s,s:[s,s]},{s:s,s:s,s:[]}]", "name", "CPU", "type", "INTEGER",
                     "integerValue", 4096, "name", "MEMORY", "type", "INTEGER", "integerValue", 8192, "name", "PORTS",
                     "type", "STRINGSET", "stringSetValue", "22", "2376", "name", "PORTS_UDP", "type", "STRINGSET",
                     "stringSetValue");
}

static json_t *describe_instances(void)
{
    json_t *list = json_array();
    for (int i = 0; i < 100; i++) {
        char arn[160], id[32];
        snprintf(arn, sizeof(arn), "arn:aws:ecs:us-east-1:000000000000:container-instance/p/%032x", i * 2654435761u);
        snprintf(id, sizeof(id), "i-%017x", i * 40503u);
        json_t *attrs = json_array();
        for (int k = 0; k < 45; k++) {
            char name[96];
            snprintf(name, sizeof(name), "com.amazonaws.ecs.capability.docker-remote-api.1.%d", 17 + k);
            json_array_append_new(attrs, k % 5 ? json_pack("{s:s}", "name", name)
                                               : json_pack("{s:s,s:s}", "name", name, "value", "az-a"));
        }
        json_array_append_new(list,
                              json_pack("{s:s,s:s,s:i,s:o,s:o,s:s,s:b,s:i,s:i,s:o,s:f,s:[],s:{s:s,s:s}}",
                                        "containerInstanceArn", arn, "ec2InstanceId", id, "version", 3,
                                        "remainingResources", resources(), "registeredResources", resources(), "status",
                                        "ACTIVE", "agentConnected", 1, "runningTasksCount", 10, "pendingTasksCount", 0,
                                        "attributes", attrs, "registeredAt", 1765000000.123, "attachments",
                                        "versionInfo", "agentVersion", "1.0.0", "dockerVersion", "berth"));
    }
    return json_pack("{s:o,s:[]}", "containerInstances", list, "failures");
}

int main(int argc, char **argv)
{
    json_error_t jerr;
    json_t *tree = argc > 1 ? json_load_file(argv[1], 0, &jerr) : describe_instances();
    if (!tree) {
        fprintf(stderr, "bench_json: %s: %s\n", argv[1], jerr.text);
        return 1;
    }
    char *a = json_dumps(tree, JSON_COMPACT | JSON_ENSURE_ASCII);
    size_t len = 0;
    char *b = jsondump(tree, &len);
    if (!a || !b || strcmp(a, b) != 0) {
        fprintf(stderr, "bench_json: the two texts differ\n");
        return 1;
    }
    json_t *read_back = jsonload(a, strlen(a), NULL);
    if (!read_back || !json_equal(read_back, tree)) {
        fprintf(stderr, "bench_json: jsonload read another tree\n");
        return 1;
    }
    json_decref(read_back);
    free(b);
    int reps = 200;
    double t_dumps = 0, t_dump = 0, t_loads = 0, t_load = 0;
    for (int r = 0; r < 10; r++) {
        double t0 = now_s();
        for (int i = 0; i < reps / 10; i++)
            free(json_dumps(tree, JSON_COMPACT | JSON_ENSURE_ASCII));
        double t1 = now_s();
        for (int i = 0; i < reps / 10; i++)
            free(jsondump(tree, NULL));
        double t2 = now_s();
        for (int i = 0; i < reps / 10; i++)
            json_decref(json_loads(a, 0, NULL));
        double t3 = now_s();
        for (int i = 0; i < reps / 10; i++)
            json_decref(jsonload(a, len, NULL));
        double t4 = now_s();
        t_dumps += t1 - t0;
        t_dump += t2 - t1;
        t_loads += t3 - t2;
        t_load += t4 - t3;
    }
    printf("{\"bytes\": %zu, \"json_dumps_ms\": %.3f, \"jsondump_ms\": %.3f, \"json_loads_ms\": %.3f, "
           "\"jsonload_ms\": %.3f}\n",
           len, t_dumps * 1e3 / reps, t_dump * 1e3 / reps, t_loads * 1e3 / reps, t_load * 1e3 / reps);
    free(a);
    json_decref(tree);
    return 0;
}
