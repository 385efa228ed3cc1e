/* cli_image.c - `berth image pull|ls|rm|gc|inspect`: the agent's image
 * store driven by hand, for operators and tests.  All the work is in
 * src/agent/image.c and imgstore.c; this file parses flags and prints. */
#include <errno.h>
#include <getopt.h> /* optind */
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/image/image.h"
#include "agent/image/imgref.h"
#include "agent/image/imgstore.h"
#include "agent/image/pull_progress.h"
#include "cli/cli.h"
#include "cli/cli_flags.h"
#include "cli/cli_util.h"
#include "common/cleanup.h"
#include "agent/agent_limits.h"
#include "common/log.h"

#define DEFAULT_DATA "/var/lib/berth/agent"
#define MAX_INSECURE 32
#define MAX_KEEP 256
#define MAX_PULLS 16

struct image_cli {
    const char *data;
    const char *insecure[MAX_INSECURE];
    size_t n_insecure;
    const char *keep[MAX_KEEP];
    size_t n_keep;
    struct image_platform platform;
    const char *username, *password;
    usec_t older_than;
    bool tty;
};

static void usage(FILE *f)
{
    fprintf(f, "usage: berth image pull REF...   fetch and unpack images (several at once in threads)\n"
               "       berth image ls            list pulled images\n"
               "       berth image rm REF        forget an image and delete content no other image uses\n"
               "       berth image gc [--older-than DURATION] [--keep REF]...\n"
               "                                 remove images not pulled within DURATION (default 0)\n"
               "       berth image inspect REF   print the record, lower dirs and config as JSON\n"
               "\n"
               "options:\n"
               "  --data DIR                  agent state directory (default " DEFAULT_DATA ")\n"
               "  --insecure-registry HOST:PORT  speak plain HTTP to this registry (repeatable;\n"
               "                              loopback registries always are)\n"
               "  --platform OS/ARCH[/VARIANT]  pick this entry of a multi-platform image\n"
               "  --username U --password P   Basic credentials (or BERTH_REGISTRY_USERNAME and\n"
               "                              BERTH_REGISTRY_PASSWORD)\n"
               "  --log-level debug|info|warn|error\n"
               "\nDURATION is a number with s, m, h or d, e.g. 90s, 12h, 7d.\n");
}

static int parse_duration(const char *s, usec_t *ret)
{
    usec_t total = 0;
    const char *p = s;
    if (!*p)
        return -1;
    while (*p) {
        char *end = NULL;
        errno = 0;
        unsigned long long v = strtoull(p, &end, 10);
        if (errno || end == p || v > 1000000000ULL)
            return -1;
        usec_t unit = USEC_PER_SEC;
        switch (*end) {
        case 's':
            unit = USEC_PER_SEC;
            end++;
            break;
        case 'm':
            unit = 60 * USEC_PER_SEC;
            end++;
            break;
        case 'h':
            unit = 3600 * USEC_PER_SEC;
            end++;
            break;
        case 'd':
            unit = 86400 * USEC_PER_SEC;
            end++;
            break;
        case '\0':
            if (p != s)
                return -1;
            break;
        default: return -1;
        }
        total += (usec_t)v * unit;
        p = end;
    }
    *ret = total;
    return 0;
}

static void human_size(uint64_t n, char *buf, size_t cap) { pull_progress_size(n, buf, cap); }

struct pull_job {
    struct image_cli *cli;
    struct imgstore *store;
    const char *ref;
    pthread_t thread;
    struct pull_progress progress;
    struct pull_job *all; /* every job of this command, for redrawing */
    size_t nall;
    struct image_pulled pulled;
    struct error err;
    int rc;
    bool finished;
};

/* On a terminal: one line per reference, redrawn in place (the cursor
 * goes back up over them).  Callers hold draw_lock. */
static pthread_mutex_t draw_lock = PTHREAD_MUTEX_INITIALIZER;

static void redraw(struct pull_job *all, size_t n, bool first)
{
    if (!first)
        fprintf(stderr, "\033[%zuA", n);
    for (size_t i = 0; i < n; i++) {
        char line[128];
        pull_progress_format(&all[i].progress, line, sizeof(line));
        const char *state = !all[i].finished ? "" : all[i].rc < 0 ? "  failed" : "  done";
        fprintf(stderr, "\r%s: %s%s\033[K\n", all[i].ref, line, state);
    }
    fflush(stderr);
}

/* Without a terminal: one plain line per step, for logs. */
static void plain_line(const struct pull_job *job, const struct image_progress *p)
{
    char total[32];
    const char *short_id = p->digest ? p->digest + 7 : "";
    human_size(p->total, total, sizeof(total));
    switch (p->event) {
    case IMAGE_EV_RESOLVED:
        fprintf(stderr, "%s: resolved %s (%" PRIu64 " layers)\n", job->ref, p->digest, p->total);
        break;
    case IMAGE_EV_BLOB_PROGRESS: break;
    case IMAGE_EV_BLOB_DONE: fprintf(stderr, "%s: %.12s: downloaded %s\n", job->ref, short_id, total); break;
    case IMAGE_EV_BLOB_CACHED: fprintf(stderr, "%s: %.12s: already present (%s)\n", job->ref, short_id, total); break;
    case IMAGE_EV_LAYER_DONE: fprintf(stderr, "%s: %.12s: unpacked\n", job->ref, short_id); break;
    case IMAGE_EV_LAYER_CACHED: fprintf(stderr, "%s: %.12s: already unpacked\n", job->ref, short_id); break;
    }
}

static void on_progress(void *ud, const struct image_progress *p)
{
    struct pull_job *job = ud;
    pull_progress_update(&job->progress, p);
    pthread_mutex_lock(&draw_lock);
    if (!job->cli->tty)
        plain_line(job, p);
    else if (p->event != IMAGE_EV_BLOB_PROGRESS ||
             pull_progress_due(&job->progress, time_monotonic(), 100 * USEC_PER_MSEC))
        redraw(job->all, job->nall, false);
    pthread_mutex_unlock(&draw_lock);
}

static void *pull_thread(void *arg)
{
    struct pull_job *job = arg;
    struct image_cli *cli = job->cli;
    struct image_pull_opts o = {
        .registry = {.insecure = cli->insecure,
                     .n_insecure = cli->n_insecure,
                     .username = cli->username,
                     .password = cli->password},
        .platform = cli->platform,
        .progress = on_progress,
        .progress_ud = job,
    };
    job->rc = image_pull(job->store, job->ref, &o, &job->pulled, &job->err);
    pthread_mutex_lock(&draw_lock);
    job->finished = true;
    if (cli->tty)
        redraw(job->all, job->nall, false);
    pthread_mutex_unlock(&draw_lock);
    return NULL;
}

/* Several references are pulled at once, one thread each, as the agent
 * does for a task's containers; shared blobs are still fetched once. */
static int cmd_pull(struct image_cli *cli, struct imgstore *s, char **refs, size_t n)
{
    struct pull_job jobs[MAX_PULLS];
    if (n > MAX_PULLS) {
        fprintf(stderr, "berth image pull: at most %d references at once\n", MAX_PULLS);
        return 2;
    }
    for (size_t i = 0; i < n; i++) {
        jobs[i] = (struct pull_job){.cli = cli, .store = s, .ref = refs[i], .rc = -1, .all = jobs, .nall = n};
        pull_progress_init(&jobs[i].progress);
    }
    if (cli->tty)
        redraw(jobs, n, true);
    for (size_t i = 0; i < n; i++) {
        if (n == 1 || pthread_create(&jobs[i].thread, NULL, pull_thread, &jobs[i]) != 0) {
            pull_thread(&jobs[i]);
            jobs[i].thread = 0;
        }
    }
    int status = 0;
    for (size_t i = 0; i < n; i++) {
        if (jobs[i].thread)
            pthread_join(jobs[i].thread, NULL);
    }
    for (size_t i = 0; i < n; i++) {
        pull_progress_free(&jobs[i].progress);
        if (jobs[i].rc < 0) {
            fprintf(stderr, "berth image pull: %s\n", jobs[i].err.msg);
            status = 1;
            continue;
        }
        printf("Digest: %s\n%s\n", jobs[i].pulled.digest, jobs[i].pulled.reference);
    }
    return status;
}

static int cmd_ls(struct image_cli *cli, struct imgstore *s, char **args, size_t n)
{
    _cleanup_json_ json_t *records = NULL;
    struct error err = {0};
    if (imgstore_ref_list(s, &records, &err) < 0) {
        fprintf(stderr, "berth image ls: %s\n", err.msg);
        return 1;
    }
    printf("%-50s %-20s %-13s %-10s %s\n", "REFERENCE", "DIGEST", "IMAGE ID", "SIZE", "PLATFORM");
    size_t i;
    json_t *rec;
    json_array_foreach(records, i, rec) {
        char size[32];
        const char *digest = json_string_value(json_object_get(rec, "digest"));
        const char *config = json_string_value(json_object_get(rec, "config"));
        const char *platform = json_string_value(json_object_get(rec, "platform"));
        human_size((uint64_t)json_integer_value(json_object_get(rec, "size")), size, sizeof(size));
        printf("%-50s %-20.19s %-13.12s %-10s %s\n", json_string_value(json_object_get(rec, "reference")),
               digest ? digest : "-", config ? config + 7 : "-", size, platform ? platform : "-");
    }
    return 0;
}

static int normalise(const char *ref, char *out, size_t cap, const char *cmd)
{
    struct imgref r;
    struct error err = {0};
    if (imgref_parse(ref, &r, &err) < 0) {
        fprintf(stderr, "berth image %s: %s\n", cmd, err.msg);
        return -1;
    }
    imgref_string(&r, out, cap);
    return 0;
}

static int cmd_rm(struct image_cli *cli, struct imgstore *s, char **args, size_t n)
{
    const char *ref = args[0];
    char name[LIMIT_IMAGE_REF + 96];
    struct error err = {0};
    if (normalise(ref, name, sizeof(name), "rm") < 0)
        return 1;
    if (imgstore_ref_remove(s, name, &err) < 0) {
        fprintf(stderr, "berth image rm: %s\n", err.msg);
        return 1;
    }
    printf("Untagged: %s\n", name);
    return 0;
}

static int cmd_gc(struct image_cli *cli, struct imgstore *s, char **args, size_t n)
{
    char names[MAX_KEEP][LIMIT_IMAGE_REF + 96];
    const char *keep[MAX_KEEP];
    for (size_t i = 0; i < cli->n_keep; i++) {
        /* Digests are matched as they are; references are normalised. */
        if (digest_valid(cli->keep[i]))
            snprintf(names[i], sizeof(names[i]), "%s", cli->keep[i]);
        else if (normalise(cli->keep[i], names[i], sizeof(names[i]), "gc") < 0)
            return 1;
        keep[i] = names[i];
    }
    struct imgstore_gc_result res;
    struct error err = {0};
    if (imgstore_gc(s, keep, cli->n_keep, cli->older_than, &res, &err) < 0) {
        fprintf(stderr, "berth image gc: %s\n", err.msg);
        return 1;
    }
    char freed[32];
    human_size(res.bytes_freed, freed, sizeof(freed));
    printf("removed %zu images, %zu blobs (%s), %zu layers\n", res.resource_refs_removed, res.blobs_removed, freed,
           res.layers_removed);
    return 0;
}

static json_t *strv_json(const struct strv *v)
{
    json_t *a = json_array();
    for (size_t i = 0; i < v->n; i++)
        json_array_append_new(a, json_string(v->v[i]));
    return a;
}

static int cmd_inspect(struct image_cli *cli, struct imgstore *s, char **args, size_t nargs)
{
    const char *ref = args[0];
    struct error err = {0};
    _cleanup_json_ json_t *rec = NULL;
    char **dirs = NULL;
    size_t n = 0;
    _cleanup_(imgconfig_freep) struct imgconfig *cfg = NULL;
    if (image_record(s, ref, &rec, &err) < 0 || image_lower_dirs(s, ref, &dirs, &n, &err) < 0 ||
        image_config(s, ref, NULL, &cfg, &err) < 0) {
        fprintf(stderr, "berth image inspect: %s\n", err.msg);
        return 1;
    }
    json_t *lower = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(lower, json_string(dirs[i]));
    image_dirs_free(dirs, n);
    json_t *c = json_pack("{s:o,s:o,s:o,s:o,s:s?,s:s?,s:s?,s:O}", "Entrypoint", strv_json(&cfg->entrypoint), "Cmd",
                          strv_json(&cfg->cmd), "Env", strv_json(&cfg->env), "ExposedPorts",
                          strv_json(&cfg->exposed_ports), "WorkingDir", cfg->working_dir, "User", cfg->user,
                          "StopSignal", cfg->stop_signal, "Labels", cfg->labels);
    if (cfg->has_healthcheck)
        json_object_set_new(c, "Healthcheck",
                            /* Docker's units: nanoseconds. */
                            json_pack("{s:o,s:I,s:I,s:I,s:i}", "Test", strv_json(&cfg->healthcheck.test), "Interval",
                                      (json_int_t)cfg->healthcheck.interval * 1000, "Timeout",
                                      (json_int_t)cfg->healthcheck.timeout * 1000, "StartPeriod",
                                      (json_int_t)cfg->healthcheck.start_period * 1000, "Retries",
                                      cfg->healthcheck.retries));
    _cleanup_json_ json_t *out = json_pack("{s:O,s:o,s:o}", "record", rec, "lower_dirs", lower, "config", c);
    _cleanup_free_ char *text = json_dumps(out, JSON_INDENT(2) | JSON_SORT_KEYS);
    printf("%s\n", text ? text : "{}");
    return 0;
}

/* Append arg to a repeatable flag's list of at most max. */
static int push(const char **list, size_t *n, size_t max, const char *arg, const struct cli_flag *f)
{
    if (*n == max) {
        fprintf(stderr, "berth image: too many --%s\n", f->name);
        return -1;
    }
    list[(*n)++] = arg;
    return 0;
}

static int set_insecure(void *opts, const struct cli_flag *f, char *arg)
{
    struct image_cli *cli = opts;
    return push(cli->insecure, &cli->n_insecure, MAX_INSECURE, arg, f);
}

static int set_platform(void *opts, const struct cli_flag *f, char *arg)
{
    struct image_cli *cli = opts;
    struct error err = {0};
    if (image_platform_parse(arg, &cli->platform, &err) < 0) {
        fprintf(stderr, "berth image: --platform: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int set_older_than(void *opts, const struct cli_flag *f, char *arg)
{
    struct image_cli *cli = opts;
    if (parse_duration(arg, &cli->older_than) < 0) {
        fprintf(stderr, "berth image: --older-than wants a duration like 30m or 7d, got '%s'\n", arg);
        return -1;
    }
    return 0;
}

static int set_keep(void *opts, const struct cli_flag *f, char *arg)
{
    struct image_cli *cli = opts;
    return push(cli->keep, &cli->n_keep, MAX_KEEP, arg, f);
}

static int set_log_level(void *opts, const struct cli_flag *f, char *arg)
{
    return cli_set_log_level("berth image", arg);
}

static const struct cli_flag image_flags[] = {
    {"data", .has_arg = true, .set = cli_flags_set_ptr, CLI_FIELD(struct image_cli, data)},
    {"insecure-registry", .has_arg = true, .set = set_insecure},
    {"platform", .has_arg = true, .set = set_platform},
    {"username", .has_arg = true, .set = cli_flags_set_ptr, CLI_FIELD(struct image_cli, username)},
    {"password", .has_arg = true, .set = cli_flags_set_ptr, CLI_FIELD(struct image_cli, password)},
    {"older-than", .has_arg = true, .set = set_older_than},
    {"keep", .has_arg = true, .set = set_keep},
    {"log-level", .has_arg = true, .set = set_log_level},
    {"help", .short_name = 'h'},
};

/* How many operands a subcommand takes after its name. */
enum operands { OPERANDS_NONE, OPERANDS_ONE, OPERANDS_SOME };

static const struct image_command {
    const char *name;
    enum operands operands;
    int (*run)(struct image_cli *cli, struct imgstore *s, char **args, size_t n);
} image_commands[] = {
    {"pull", OPERANDS_SOME, cmd_pull}, {"ls", OPERANDS_NONE, cmd_ls},          {"rm", OPERANDS_ONE, cmd_rm},
    {"gc", OPERANDS_NONE, cmd_gc},     {"inspect", OPERANDS_ONE, cmd_inspect},
};

static const struct image_command *find_command(const char *name)
{
    for (size_t i = 0; i < ELEMENTSOF(image_commands); i++)
        if (strcmp(image_commands[i].name, name) == 0)
            return &image_commands[i];
    return NULL;
}

int cli_image_main(int argc, char **argv)
{
    static const struct cli_flags flags = {image_flags, ELEMENTSOF(image_flags), false, usage};
    struct image_cli cli = {.data = DEFAULT_DATA, .tty = isatty(STDERR_FILENO) == 1};
    image_platform_default(&cli.platform);
    cli.username = getenv("BERTH_REGISTRY_USERNAME");
    cli.password = getenv("BERTH_REGISTRY_PASSWORD");
    int pr = cli_flags_parse(&flags, argc, argv, &cli);
    if (pr != CLI_FLAGS_OK)
        return pr == CLI_FLAGS_HELP ? 0 : 2;
    if (optind >= argc) {
        usage(stderr);
        return 2;
    }
    const char *sub = argv[optind];
    char **args = argv + optind + 1;
    size_t nargs = (size_t)(argc - optind - 1);
    const struct image_command *cmd = find_command(sub);
    enum operands want = cmd ? cmd->operands : OPERANDS_NONE;
    if ((want == OPERANDS_NONE && nargs != 0) || (want == OPERANDS_ONE && nargs != 1) ||
        (want == OPERANDS_SOME && nargs == 0)) {
        usage(stderr);
        return 2;
    }
    if ((cli.username == NULL) != (cli.password == NULL)) {
        fprintf(stderr, "berth image: --username and --password go together\n");
        return 2;
    }
    struct error err = {0};
    _cleanup_(imgstore_freep) struct imgstore *s = NULL;
    if (imgstore_open(cli.data, &s, &err) < 0) {
        fprintf(stderr, "berth image: %s\n", err.msg);
        return 1;
    }
    if (cmd)
        return cmd->run(&cli, s, args, nargs);
    fprintf(stderr, "berth image: unknown subcommand '%s'\n", sub);
    usage(stderr);
    return 2;
}
