/* cli_logs.c - `berth logs TASK`: print a task's container logs from the
 * server's CloudWatch Logs API, for people without the AWS CLI.
 *
 * It finds the task (DescribeTasks), its definition's awslogs settings
 * (DescribeTaskDefinition) and reads each container's stream
 * "<awslogs-stream-prefix>/<container>/<task-id>" with GetLogEvents, the
 * stream name ECS gives awslogs containers.  --follow polls each stream's
 * nextForwardToken every second until interrupted.  It does not read local
 * log files (containers without awslogs get a message). */
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "common/awsjson.h"
#include "common/cleanup.h"
#include "common/limits.h"
#include "common/timeutil.h"

#define ECS_TARGET "AmazonEC2ContainerServiceV20141113"
#define LOGS_TARGET "Logs_20140328"
#define FOLLOW_INTERVAL_MS 1000

static volatile bool interrupted;

static void on_signal(int sig) { interrupted = true; }

/* One container's stream. */
struct source {
    char container[256];
    char group[LIMIT_LOGS_NAME + 1];
    char stream[LIMIT_LOGS_NAME + 1];
    char *token; /* nextForwardToken, malloc'd */
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: berth logs TASK [--container NAME] [--follow] [--since DURATION]\n"
            "                  [--cluster C] [--endpoint URL]\n"
            "\n"
            "Print the logs of TASK (a task ID or ARN) that its containers sent with the\n"
            "awslogs driver.\n"
            "  --container NAME   only this container\n"
            "  -f, --follow       keep printing new lines until interrupted\n"
            "  --since DURATION   only lines newer than this (e.g. 30s, 5m, 2h, 1d)\n"
            "  --cluster C        the task's cluster (default: default)\n"
            "  --endpoint URL     the berth server (default: $BERTH_ENDPOINT or\n"
            "                     http://127.0.0.1:7480)\n");
}

static int parse_duration(const char *s, int64_t *ret_ms)
{
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (end == s || v < 0)
        return -1;
    static const struct {
        const char *unit;
        int64_t ms;
    } units[] = {{"", 1000}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}, {"w", 604800000}};
    for (size_t i = 0; i < ELEMENTSOF(units); i++) {
        if (strcmp(end, units[i].unit) == 0) {
            if (v > INT64_MAX / units[i].ms)
                return -1;
            *ret_ms = v * units[i].ms;
            return 0;
        }
    }
    return -1;
}

static int call(struct awsjson_client *c, const char *prefix, const char *action, json_t *in, json_t **ret_out)
{
    struct error err;
    if (awsjson_call(c, prefix, action, in, ret_out, &err) < 0) {
        if (!interrupted)
            fprintf(stderr, "berth logs: %s: %s\n", action, err.msg);
        return -1;
    }
    return 0;
}

/* The awslogs streams of the task's containers (only `only` when set). */
static int find_sources(struct awsjson_client *c, const char *cluster, const char *task, const char *only,
                        struct source **ret_sources, size_t *ret_n)
{
    _cleanup_json_ json_t *tin = json_pack("{s:s, s:[s]}", "cluster", cluster, "tasks", task);
    _cleanup_json_ json_t *tout = NULL;
    if (!tin || call(c, ECS_TARGET, "DescribeTasks", tin, &tout) < 0)
        return -1;
    json_t *t = json_array_get(json_object_get(tout, "tasks"), 0);
    if (!t) {
        fprintf(stderr, "berth logs: task %s not found in cluster %s\n", task, cluster);
        return -1;
    }
    const char *task_arn = json_string_value(json_object_get(t, "taskArn"));
    const char *td_arn = json_string_value(json_object_get(t, "taskDefinitionArn"));
    const char *slash = task_arn ? strrchr(task_arn, '/') : NULL;
    if (!slash || !td_arn) {
        fprintf(stderr, "berth logs: the server's task description lacks taskArn/taskDefinitionArn\n");
        return -1;
    }
    const char *task_id = slash + 1;
    _cleanup_json_ json_t *din = json_pack("{s:s}", "taskDefinition", td_arn);
    _cleanup_json_ json_t *dout = NULL;
    if (!din || call(c, ECS_TARGET, "DescribeTaskDefinition", din, &dout) < 0)
        return -1;
    json_t *defs = json_object_get(json_object_get(dout, "taskDefinition"), "containerDefinitions");
    size_t ndefs = json_array_size(defs);
    _cleanup_free_ struct source *src = calloc(ndefs ? ndefs : 1, sizeof(*src));
    if (!src)
        return -1;
    size_t n = 0, i;
    bool found = false;
    json_t *cd;
    json_array_foreach(defs, i, cd)
    {
        const char *name = json_string_value(json_object_get(cd, "name"));
        if (!name || (only && strcmp(name, only) != 0))
            continue;
        found = true;
        json_t *lc = json_object_get(cd, "logConfiguration");
        const char *driver = json_string_value(json_object_get(lc, "logDriver"));
        json_t *opts = json_object_get(lc, "options");
        const char *group = json_string_value(json_object_get(opts, "awslogs-group"));
        const char *prefix = json_string_value(json_object_get(opts, "awslogs-stream-prefix"));
        if (!driver || strcmp(driver, "awslogs") != 0) {
            fprintf(stderr, "berth logs: container %s does not use the awslogs log driver (log driver: %s); "
                            "its logs are on its host\n", name, driver ? driver : "none");
            continue;
        }
        if (!group || !prefix) {
            fprintf(stderr, "berth logs: container %s: awslogs without awslogs-group and "
                            "awslogs-stream-prefix has no stream name berth logs can find\n", name);
            continue;
        }
        struct source *s = &src[n];
        if (snprintf(s->container, sizeof(s->container), "%s", name) >= (int)sizeof(s->container) ||
            snprintf(s->group, sizeof(s->group), "%s", group) >= (int)sizeof(s->group) ||
            snprintf(s->stream, sizeof(s->stream), "%s/%s/%s", prefix, name, task_id) >= (int)sizeof(s->stream)) {
            fprintf(stderr, "berth logs: container %s: log stream name too long\n", name);
            continue;
        }
        n++;
    }
    if (only && !found) {
        fprintf(stderr, "berth logs: task %s has no container named %s\n", task, only);
        return -1;
    }
    *ret_sources = TAKE_PTR(src);
    *ret_n = n;
    return 0;
}

/* Read one page of src's stream and print it; *ret_more when the forward
 * token moved (there may be more right away).  A missing stream (the
 * container has not logged yet) is not an error. */
static int read_page(struct awsjson_client *c, struct source *src, int64_t since_ms, bool prefix_names,
                     bool *ret_more)
{
    _cleanup_json_ json_t *in = json_pack("{s:s, s:s, s:b}", "logGroupName", src->group, "logStreamName",
                                          src->stream, "startFromHead", 1);
    if (!in)
        return -1;
    if (since_ms > 0)
        json_object_set_new(in, "startTime", json_integer(since_ms));
    if (src->token)
        json_object_set_new(in, "nextToken", json_string(src->token));
    _cleanup_json_ json_t *out = NULL;
    struct error err;
    *ret_more = false;
    if (awsjson_call(c, LOGS_TARGET, "GetLogEvents", in, &out, &err) < 0) {
        if (strcmp(awsjson_last_error_type(c), "ResourceNotFoundException") == 0)
            return 0;
        if (!interrupted)
            fprintf(stderr, "berth logs: GetLogEvents: %s\n", err.msg);
        return -1;
    }
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(out, "events"), i, e)
    {
        json_t *m = json_object_get(e, "message");
        if (prefix_names)
            printf("%s | ", src->container);
        fwrite(json_string_value(m), 1, json_string_length(m), stdout);
        putchar('\n');
    }
    fflush(stdout);
    const char *next = json_string_value(json_object_get(out, "nextForwardToken"));
    if (next && (!src->token || strcmp(next, src->token) != 0)) {
        char *copy = strdup(next);
        if (!copy)
            return -1;
        free(src->token);
        src->token = copy;
        *ret_more = true;
    }
    return 0;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL); /* a signal ends it early, which is what we want */
}

int cli_logs_main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"container", required_argument, NULL, 'c'}, {"follow", no_argument, NULL, 'f'},
        {"since", required_argument, NULL, 's'},     {"cluster", required_argument, NULL, 'C'},
        {"endpoint", required_argument, NULL, 'e'},  {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *container = NULL, *cluster = "default";
    const char *endpoint = getenv("BERTH_ENDPOINT");
    bool follow = false;
    int64_t since = 0;
    int c;
    while ((c = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            container = optarg;
            break;
        case 'f':
            follow = true;
            break;
        case 's':
            if (parse_duration(optarg, &since) < 0) {
                fprintf(stderr, "berth logs: --since wants a duration like 30s, 5m, 2h or 1d\n");
                return 2;
            }
            break;
        case 'C':
            cluster = optarg;
            break;
        case 'e':
            endpoint = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind + 1 != argc) {
        usage(stderr);
        return 2;
    }
    const char *task = argv[optind];
    if (!endpoint || !*endpoint)
        endpoint = "http://127.0.0.1:7480";

    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct error err;
    struct awsjson_client *client = NULL;
    if (awsjson_client_new(endpoint, &client, &err) < 0) {
        fprintf(stderr, "berth logs: %s\n", err.msg);
        return 1;
    }
    awsjson_client_set_abort_flag(client, &interrupted);
    struct source *src = NULL;
    size_t n = 0;
    int rc = 1;
    if (find_sources(client, cluster, task, container, &src, &n) < 0)
        goto out;
    rc = 0;
    if (n == 0)
        goto out;
    int64_t since_ms = since > 0 ? time_now() / USEC_PER_MSEC - since : 0;
    bool names = n > 1;
    /* Everything there is now, stream by stream; then, when following, new
     * lines from all of them as they come. */
    for (size_t i = 0; i < n && !interrupted; i++) {
        bool more = true;
        while (more && !interrupted) {
            if (read_page(client, &src[i], since_ms, names, &more) < 0) {
                rc = interrupted ? 0 : 1; /* an interrupt aborts the call in flight */
                goto out;
            }
        }
    }
    while (follow && !interrupted) {
        sleep_ms(FOLLOW_INTERVAL_MS);
        for (size_t i = 0; i < n && !interrupted; i++) {
            bool more = true;
            while (more && !interrupted) {
                if (read_page(client, &src[i], since_ms, names, &more) < 0) {
                    rc = interrupted ? 0 : 1;
                    goto out;
                }
            }
        }
    }
out:
    for (size_t i = 0; i < n; i++)
        free(src[i].token);
    free(src);
    awsjson_client_free(client);
    return rc;
}
