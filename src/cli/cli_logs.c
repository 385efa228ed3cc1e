/* cli_logs.c - `berth logs TASK`: print a task's container logs.
 *
 * It finds the task (DescribeTasks) and its definition (DescribeTaskDefinition).
 * Containers with the awslogs driver are read from the server's CloudWatch
 * Logs API: stream "<awslogs-stream-prefix>/<container>/<task-id>", or the
 * runtime id "<task-id>-<index>" without a prefix (what the agent names it).
 * Other containers are read from the agent's local files under --data
 * (this must run on the task's host): the running container's conmon log
 * DATA/containers/<task-id>-<index>/ctr.log, which becomes
 * DATA/logs/<task-id>/<container>.log once the task is cleaned up.
 *
 * --follow polls awslogs streams every second and waits on inotify for the
 * local files (the open file follows its move into DATA/logs); with local
 * files only it ends, as docker logs -f does, once the task is over (its
 * files were moved into DATA/logs). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h> /* optind */
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_flags.h"
#include "cli/cli_util.h"
#include "common/proto.h"
#include "common/awsjson.h"
#include "common/cleanup.h"
#include "agent/agent_limits.h"
#include "common/timeutil.h"
#include "agent/logs/conmon_log.h"

#define FOLLOW_INTERVAL_MS 1000
#define DEFAULT_DATA_DIR "/var/lib/berth/agent"

static volatile bool interrupted;

static void on_signal(int sig) { interrupted = true; }

/* One container's stream, or its local file. */
struct source {
    char container[256];
    char group[LIMIT_LOGS_NAME + 1];
    char stream[LIMIT_LOGS_NAME + 1];
    char *token; /* nextForwardToken, malloc'd */
    /* local files (not awslogs) */
    bool local;
    char run_path[4096];  /* the running container's ctr.log */
    char done_path[4096]; /* where it is kept after the task */
    int fd;
    int wd;    /* inotify watch, -1 none */
    char *buf; /* an incomplete record */
    size_t len;
    bool moved;     /* the file was moved into DATA/logs: the task is over */
    bool mid_line;  /* the last record printed was a P piece */
    bool skip_line; /* the line in progress is older than --since */
};

struct opts {
    const char *data_dir;
    bool timestamps;
    bool follow;
};

static void usage(FILE *f)
{
    fprintf(f, "usage: berth logs TASK [--container NAME] [--follow] [--since DURATION]\n"
               "                  [--timestamps] [--data DIR] [--cluster C] [--endpoint URL]\n"
               "                  [--region R]\n"
               "\n"
               "Print the logs of TASK (a task ID or ARN): from the server for containers with\n"
               "the awslogs driver, from the agent's files on this host for the others.\n"
               "  --container NAME   only this container\n"
               "  -f, --follow       keep printing new lines until interrupted\n"
               "  --since DURATION   only lines newer than this (e.g. 30s, 5m, 2h, 1d)\n"
               "  --timestamps       print each line's time (local logs; awslogs lines have none)\n"
               "  --data DIR         the agent's data directory, for containers without\n"
               "                     awslogs (default: " DEFAULT_DATA_DIR ")\n"
               "  --cluster C        the task's cluster (default: default)\n"
               "  --endpoint URL     the berth server (default: $BERTH_ENDPOINT or\n"
               "                     http://127.0.0.1:7480)\n"
               "  --region R         the region requests are signed for (default: $AWS_REGION,\n"
               "                     else $AWS_DEFAULT_REGION, else us-east-1)\n"
               "Requests are signed (SigV4) with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY,\n"
               "else profile $AWS_PROFILE (default default) of $AWS_SHARED_CREDENTIALS_FILE\n"
               "(default ~/.aws/credentials).\n");
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
                        const struct opts *o, struct source **ret_sources, size_t *ret_n)
{
    _cleanup_json_ json_t *tin = json_pack("{s:s, s:[s]}", "cluster", cluster, "tasks", task);
    _cleanup_json_ json_t *tout = NULL;
    if (!tin || call(c, PROTO_ECS_TARGET, "DescribeTasks", tin, &tout) < 0)
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
    if (!din || call(c, PROTO_ECS_TARGET, "DescribeTaskDefinition", din, &dout) < 0)
        return -1;
    json_t *defs = json_object_get(json_object_get(dout, "taskDefinition"), "containerDefinitions");
    size_t ndefs = json_array_size(defs);
    _cleanup_free_ struct source *src = calloc(ndefs ? ndefs : 1, sizeof(*src));
    if (!src)
        return -1;
    size_t n = 0, i;
    bool found = false;
    json_t *cd;
    json_array_foreach(defs, i, cd) {
        const char *name = json_string_value(json_object_get(cd, "name"));
        if (!name || (only && strcmp(name, only) != 0))
            continue;
        found = true;
        json_t *lc = json_object_get(cd, "logConfiguration");
        const char *driver = json_string_value(json_object_get(lc, "logDriver"));
        json_t *opts = json_object_get(lc, "options");
        const char *group = json_string_value(json_object_get(opts, "awslogs-group"));
        const char *prefix = json_string_value(json_object_get(opts, "awslogs-stream-prefix"));
        struct source *s = &src[n];
        s->fd = s->wd = -1;
        if (snprintf(s->container, sizeof(s->container), "%s", name) >= (int)sizeof(s->container)) {
            fprintf(stderr, "berth logs: container name too long\n");
            continue;
        }
        if (!driver || strcmp(driver, "awslogs") != 0) {
            s->local = true;
            if (snprintf(s->run_path, sizeof(s->run_path), "%s/containers/%s-%zu/ctr.log", o->data_dir, task_id, i) >=
                    (int)sizeof(s->run_path) ||
                snprintf(s->done_path, sizeof(s->done_path), "%s/logs/%s/%s.log", o->data_dir, task_id, name) >=
                    (int)sizeof(s->done_path)) {
                fprintf(stderr, "berth logs: container %s: path too long\n", name);
                continue;
            }
            n++;
            continue;
        }
        if (!group) {
            fprintf(stderr, "berth logs: container %s: awslogs without awslogs-group\n", name);
            continue;
        }
        int sl = prefix && *prefix ? snprintf(s->stream, sizeof(s->stream), "%s/%s/%s", prefix, name, task_id)
                                   : snprintf(s->stream, sizeof(s->stream), "%s-%zu", task_id, i);
        if (snprintf(s->group, sizeof(s->group), "%s", group) >= (int)sizeof(s->group) ||
            sl >= (int)sizeof(s->stream)) {
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
static int read_page(struct awsjson_client *c, struct source *src, int64_t since_ms, bool prefix_names, bool *ret_more)
{
    _cleanup_json_ json_t *in =
        json_pack("{s:s, s:s, s:b}", "logGroupName", src->group, "logStreamName", src->stream, "startFromHead", 1);
    if (!in)
        return -1;
    if (since_ms > 0)
        json_object_set_new(in, "startTime", json_integer(since_ms));
    if (src->token)
        json_object_set_new(in, "nextToken", json_string(src->token));
    _cleanup_json_ json_t *out = NULL;
    struct error err;
    *ret_more = false;
    if (awsjson_call(c, PROTO_LOGS_TARGET, "GetLogEvents", in, &out, &err) < 0) {
        if (strcmp(awsjson_last_error_type(c), "ResourceNotFoundException") == 0)
            return 0;
        if (!interrupted)
            fprintf(stderr, "berth logs: GetLogEvents: %s\n", err.msg);
        return -1;
    }
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(out, "events"), i, e) {
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

/* ---- local files ------------------------------------------------------- */

/* Open the container's log: the running container's first, then the copy
 * kept after the task (the same file, moved).  0 when neither is there. */
static int local_open(struct source *s, int ino)
{
    if (s->fd >= 0)
        return 1;
    const char *paths[] = {s->run_path, s->done_path};
    for (size_t i = 0; i < ELEMENTSOF(paths); i++) {
        s->fd = open(paths[i], O_RDONLY | O_CLOEXEC);
        if (s->fd >= 0) {
            /* A watch is on the inode: it follows the file's move. */
            s->moved = i == 1;
            if (ino >= 0) {
                s->wd = inotify_add_watch(ino, paths[i], IN_MODIFY | IN_MOVE_SELF);
                if (s->wd < 0 && i == 0) /* moved between open and watch */
                    s->moved = true;
            }
            return 1;
        }
    }
    return 0;
}

static void print_record(struct source *s, const struct conmon_log_rec *r, int64_t since_ms, bool names,
                         const struct opts *o)
{
    if (!s->mid_line) {
        s->skip_line = since_ms > 0 && r->ts_us / 1000 < since_ms;
        if (!s->skip_line) {
            if (names)
                printf("%s | ", s->container);
            if (o->timestamps)
                printf("%.*s ", (int)r->time_len, r->time);
        }
    }
    if (!s->skip_line) {
        fwrite(r->text, 1, r->text_len, stdout);
        if (!r->partial)
            putchar('\n');
    }
    s->mid_line = r->partial;
}

/* Print what the file holds beyond what was printed. */
static int local_read(struct source *s, int64_t since_ms, bool names, const struct opts *o)
{
    if (!s->buf) {
        s->buf = malloc(LIMIT_LOGSHIP_RECORD);
        if (!s->buf)
            return -1;
    }
    for (;;) {
        ssize_t n = read(s->fd, s->buf + s->len, LIMIT_LOGSHIP_RECORD - s->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "berth logs: reading %s's log: %s\n", s->container, strerror(errno));
            return -1;
        }
        if (n == 0)
            break;
        s->len += (size_t)n;
        size_t pos = 0;
        for (;;) {
            char *nl = pos < s->len ? memchr(s->buf + pos, '\n', s->len - pos) : NULL;
            if (!nl)
                break;
            size_t l = (size_t)(nl - (s->buf + pos));
            struct conmon_log_rec r;
            if (conmon_log_parse(s->buf + pos, l, &r) == 0)
                print_record(s, &r, since_ms, names, o);
            pos += l + 1;
        }
        if (pos == 0 && s->len == LIMIT_LOGSHIP_RECORD)
            pos = s->len; /* no record is this long: skip it */
        memmove(s->buf, s->buf + pos, s->len - pos);
        s->len -= pos;
    }
    fflush(stdout);
    return 0;
}

/* Drain the inotify queue, marking the sources whose file was moved. */
static void note_moves(int ino, struct source *src, size_t n)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        ssize_t len = read(ino, buf, sizeof(buf));
        if (len <= 0)
            return;
        for (char *p = buf; p < buf + len;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            for (size_t i = 0; i < n; i++)
                if ((ev->mask & IN_MOVE_SELF) && src[i].wd == ev->wd)
                    src[i].moved = true;
            p += sizeof(*ev) + ev->len;
        }
    }
}

/* Print everything new from every source once. */
static int read_all(struct awsjson_client *client, struct source *src, size_t n, int64_t since_ms, bool names,
                    const struct opts *o, int ino)
{
    for (size_t i = 0; i < n && !interrupted; i++) {
        if (src[i].local) {
            if (!local_open(&src[i], ino))
                continue; /* not there yet (following) */
            if (local_read(&src[i], since_ms, names, o) < 0)
                return -1;
            continue;
        }
        bool more = true;
        while (more && !interrupted) {
            if (read_page(client, &src[i], since_ms, names, &more) < 0)
                return -1;
        }
    }
    return 0;
}

/* Without --follow, a container with no local file has nothing to print:
 * say so and leave it out (it does not count for the names).  The number
 * of sources kept. */
static size_t drop_missing_local(struct source *src, size_t n, const struct opts *o)
{
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (src[i].local && !local_open(&src[i], -1)) {
            fprintf(stderr,
                    "berth logs: container %s does not use awslogs and has no log under %s (not "
                    "started yet, or this is not its agent's host: see --data)\n",
                    src[i].container, o->data_dir);
            continue;
        }
        src[kept++] = src[i];
    }
    return kept;
}

/* New lines from all sources as they come: local files when inotify says
 * they grew, streams every second.  The exit status. */
static int follow(struct awsjson_client *client, struct source *src, size_t n, int64_t since_ms, bool names,
                  const struct opts *o, int ino)
{
    bool remote = false;
    for (size_t i = 0; i < n; i++)
        remote |= !src[i].local;
    while (!interrupted) {
        bool unopened = false;
        for (size_t i = 0; i < n; i++)
            unopened |= src[i].local && src[i].fd < 0;
        /* Streams are polled, and a file not there yet is looked for
         * again; otherwise only inotify (or a signal) wakes us. */
        struct pollfd pfd = {.fd = ino, .events = POLLIN};
        poll(&pfd, 1, remote || unopened ? FOLLOW_INTERVAL_MS : -1);
        note_moves(ino, src, n);
        if (read_all(client, src, n, since_ms, names, o, ino) < 0)
            return interrupted ? 0 : 1;
        /* Like docker logs -f, stop when there is nothing more to come:
         * every container's file was moved away when its task ended. */
        bool over = !remote;
        for (size_t i = 0; i < n; i++)
            over &= src[i].moved;
        if (over)
            break;
    }
    return 0;
}

static void free_sources(struct source *src, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(src[i].token);
        free(src[i].buf);
        if (src[i].fd >= 0)
            close(src[i].fd);
    }
    free(src);
}

/* Everything there is now, source by source; then, when following, what
 * comes.  The exit status. */
static int print_sources(struct awsjson_client *client, struct source *src, size_t *n, int64_t since,
                         const struct opts *o)
{
    _cleanup_close_ int ino = -1;
    if (o->follow) {
        ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (ino < 0) {
            fprintf(stderr, "berth logs: inotify: %s\n", strerror(errno));
            return 1;
        }
    } else {
        *n = drop_missing_local(src, *n, o);
    }
    int64_t since_ms = since > 0 ? time_now() / USEC_PER_MSEC - since : 0;
    bool names = *n > 1;
    if (read_all(client, src, *n, since_ms, names, o, ino) < 0)
        return interrupted ? 0 : 1; /* an interrupt aborts the call in flight */
    if (!o->follow)
        return 0;
    return follow(client, src, *n, since_ms, names, o, ino);
}

struct logs_cli {
    const char *container, *cluster, *endpoint, *region;
    int64_t since;
    struct opts o;
};

static int set_since(void *opts, const struct cli_flag *f, char *arg)
{
    struct logs_cli *l = opts;
    if (cli_parse_duration_ms(arg, &l->since) < 0) {
        fprintf(stderr, "berth logs: --since wants a duration like 30s, 5m, 2h or 1d\n");
        return -1;
    }
    return 0;
}

static const struct cli_flag logs_flags[] = {
    {"container", .has_arg = true, .set = cli_flags_set_ptr, CLI_FIELD(struct logs_cli, container)},
    {"follow", .short_name = 'f', .set = cli_flags_set_true, CLI_FIELD(struct logs_cli, o.follow)},
    {"since", .has_arg = true, .set = set_since},
    {"cluster", .has_arg = true, .set = cli_flags_set_ptr, CLI_FIELD(struct logs_cli, cluster)},
    {"endpoint", .has_arg = true, .set = cli_flags_set_ptr, CLI_FIELD(struct logs_cli, endpoint)},
    {"region", .has_arg = true, .set = cli_flags_set_ptr, CLI_FIELD(struct logs_cli, region)},
    {"help", .short_name = 'h'},
    {"data", .has_arg = true, .set = cli_flags_set_ptr, CLI_FIELD(struct logs_cli, o.data_dir)},
    {"timestamps", .short_name = 't', .set = cli_flags_set_true, CLI_FIELD(struct logs_cli, o.timestamps)},
};

int cli_logs_main(int argc, char **argv)
{
    static const struct cli_flags flags = {logs_flags, ELEMENTSOF(logs_flags), false, usage};
    struct logs_cli l = {.cluster = "default", .endpoint = getenv("BERTH_ENDPOINT"), .o.data_dir = DEFAULT_DATA_DIR};
    int pr = cli_flags_parse(&flags, argc, argv, &l);
    if (pr != CLI_FLAGS_OK)
        return pr == CLI_FLAGS_HELP ? 0 : 2;
    if (optind + 1 != argc) {
        usage(stderr);
        return 2;
    }
    const char *task = argv[optind];
    if (!l.endpoint || !*l.endpoint)
        l.endpoint = "http://127.0.0.1:7480";

    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct error err;
    struct aws_credentials creds;
    char region[LIMIT_AWS_REGION + 1];
    if (cli_signing_setup("berth logs", l.region, &creds, region, sizeof(region)) < 0)
        return 1;
    struct awsjson_client *client = NULL;
    int cr = awsjson_client_new(l.endpoint, &creds, region, &client, &err);
    aws_credentials_clear(&creds);
    if (cr < 0) {
        fprintf(stderr, "berth logs: %s\n", err.msg);
        return 1;
    }
    awsjson_client_set_abort_flag(client, &interrupted);
    struct source *src = NULL;
    size_t n = 0;
    int rc = 1;
    if (find_sources(client, l.cluster, task, l.container, &l.o, &src, &n) == 0)
        rc = n == 0 ? 0 : print_sources(client, src, &n, l.since, &l.o);
    free_sources(src, n);
    awsjson_client_free(client);
    return rc;
}
