/* cli_ctr.c - `berth ctr`: a debugging front for the container runtime
 * (like containerd's ctr).  Each subcommand is one call into
 * agent/runtime.h against a data directory; the agent's task engine makes
 * the same calls.  Also `berth runtime-shim`, the wrapper conmon runs crun
 * through (see agent/oci_runtime.c). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/runtime/cgroups.h"
#include "agent/runtime/crunshim.h"
#include "agent/runtime/etcfiles.h"
#include "common/fsutil.h"
#include "agent/runtime/runtime.h"
#include "agent/runtime/spawn.h"
#include "cli/cli.h"
#include "cli/cli_flags.h"
#include "cli/cli_util.h"
#include "common/cleanup.h"
#include "common/ids.h"
#include "agent/agent_limits.h"
#include "common/log.h"

#define MAX_ENV 256

/* The options every subcommand takes, wherever they are before "--". */
struct ctr_common {
    const char *data, *cgroup_parent;
    int64_t timeout_s; /* -1: not given */
    bool as_json, raw; /* not for run */
};

static void usage(FILE *f)
{
    fprintf(f, "usage: berth ctr COMMAND --data DIR [OPTIONS]\n"
               "\n"
               "  run   --data DIR --rootfs DIR [--rootfs DIR]... [--name N] [--runtime runc|crun]\n"
               "        [--memory MiB] [--memory-reservation MiB] [--cpu UNITS] [--task-memory MiB]\n"
               "        [--task-cpu UNITS] [--user U] [--readonly] [--env K=V]... [--stop-signal SIG]\n"
               "        [--init] [--hostname H] [--workdir DIR] [--privileged] [--shm-size MiB]\n"
               "        [--net host|none|NETNS-PATH] [--cap-add CAP]... [--cap-drop CAP]...\n"
               "        [--ulimit NAME=SOFT[:HARD]]... [--label K=V]... [--volume HOST:CTR[:ro]]...\n"
               "        [--tmpfs PATH[:MiB]]... [--detach] [--rm] -- CMD...\n"
               "  ps    --data DIR [--json]\n"
               "  inspect --data DIR NAME\n"
               "  exec  --data DIR [--timeout S] NAME -- CMD...\n"
               "  kill  --data DIR NAME [SIGNAL]\n"
               "  stop  --data DIR [--timeout S] NAME\n"
               "  wait  --data DIR NAME\n"
               "  rm    --data DIR NAME\n"
               "  logs  --data DIR [--raw] NAME\n"
               "\nEvery command also takes --cgroup-parent NAME and --log-level debug|info|warn|error.\n"
               "\n"
               "--rootfs layers are given top first.  Each `run` container is its own task:\n"
               "its task cgroup is <cgroup-parent>/NAME (--cgroup-parent, default berth).\n");
}

static int fail(const char *what, const struct error *err)
{
    fprintf(stderr, "berth ctr %s: %s\n", what, err->msg);
    return 1;
}

static int parse_i64(const char *s, int64_t *ret)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < 0)
        return -1;
    *ret = v;
    return 0;
}

static int status_json(struct runtime *r, const char *id, json_t **ret)
{
    struct runtime_status st;
    struct error err;
    if (runtime_status(r, id, &st, &err) < 0)
        return fail("status", &err);
    json_t *j = json_pack("{s:s, s:s, s:s, s:i, s:b, s:s}", "id", id, "state", runtime_state_name(st.state), "runtime",
                          oci_runtime_kind_name(st.runtime), "pid", (int)st.pid, "oomKilled", st.oom_killed,
                          "cgroupsPath", st.cgroups_path);
    if (st.state == RUNTIME_EXITED)
        json_object_set_new(j, "exitCode", json_integer(st.exit_code));
    else
        json_object_set_new(j, "exitCode", json_null());
    *ret = j;
    return 0;
}

/* Print a k8s-file log: raw, or each stream to our stdout/stderr. */
static int print_logs(struct runtime *r, const char *id, bool raw)
{
    char p[PATH_MAX];
    struct error err;
    if (runtime_path(r, id, "ctr.log", p, sizeof(p), &err) < 0)
        return fail("logs", &err);
    _cleanup_fclose_ FILE *f = fopen(p, "re");
    if (!f) {
        fprintf(stderr, "berth ctr logs: %s: %s\n", p, strerror(errno));
        return 1;
    }
    _cleanup_free_ char *line = NULL;
    size_t cap = 0;
    for (;;) {
        ssize_t n = getline(&line, &cap, f);
        if (n <= 0)
            break;
        if (raw) {
            fwrite(line, 1, (size_t)n, stdout);
            continue;
        }
        /* "<time> <stream> <F|P> <text>" */
        char *s1 = strchr(line, ' ');
        char *s2 = s1 ? strchr(s1 + 1, ' ') : NULL;
        char *s3 = s2 ? strchr(s2 + 1, ' ') : NULL;
        if (!s3)
            continue;
        bool is_err = strncmp(s1 + 1, "stderr", 6) == 0;
        bool partial = s2[1] == 'P';
        char *text = s3 + 1;
        size_t len = strlen(text);
        if (partial && len > 0 && text[len - 1] == '\n')
            text[--len] = '\0';
        fputs(text, is_err ? stderr : stdout);
    }
    fflush(stdout);
    return 0;
}

#define MAX_RUN_ITEMS 64

/* Everything `ctr run` collects from its flags; the spec points into it and
 * into argv. */
struct run_args {
    struct ctr_spec spec;
    struct runtime_run_opts co;
    const char *lower[LIMIT_OVERLAY_LAYERS];
    size_t n_lower;
    const char *env[MAX_ENV];
    struct ctr_ulimit ulimits[MAX_RUN_ITEMS];
    struct ctr_bind binds[MAX_RUN_ITEMS];
    struct ctr_tmpfs tmpfs[MAX_RUN_ITEMS];
    struct ctr_label labels[MAX_RUN_ITEMS];
    const char *cap_add[MAX_RUN_ITEMS];
    const char *cap_drop[MAX_RUN_ITEMS];
    char name[LIMIT_CTR_ID + 1];
    int64_t task_mem, task_cpu;
    bool detach, autorm, init;
    const char *hostname;
    char init_path[PATH_MAX];
    struct etcfiles_opts etc;
};

/* "NAME=SOFT[:HARD]" */
static int parse_ulimit(char *arg, struct ctr_ulimit *u)
{
    char *eq = strchr(arg, '=');
    if (!eq)
        return -1;
    *eq = '\0';
    char *colon = strchr(eq + 1, ':');
    if (colon)
        *colon = '\0';
    u->name = arg;
    if (parse_i64(eq + 1, &u->soft) < 0)
        return -1;
    u->hard = u->soft;
    if (colon && parse_i64(colon + 1, &u->hard) < 0)
        return -1;
    return 0;
}

/* A repeatable flag's array is full: say so. */
static bool full(size_t n, size_t cap)
{
    if (n < cap)
        return false;
    fprintf(stderr, "berth ctr run: too many of one flag (at most %zu)\n", cap);
    return true;
}

static int set_rootfs(void *opts, const struct cli_flag *f, char *arg)
{
    struct run_args *a = opts;
    if (a->n_lower == ELEMENTSOF(a->lower))
        return fprintf(stderr, "berth ctr run: too many --rootfs\n"), -1;
    a->lower[a->n_lower++] = arg;
    return 0;
}

static int set_name(void *opts, const struct cli_flag *f, char *arg)
{
    struct run_args *a = opts;
    if (!runtime_id_valid(arg))
        return fprintf(stderr, "berth ctr run: bad --name '%s'\n", arg), -1;
    snprintf(a->name, sizeof(a->name), "%s", arg);
    return 0;
}

static int set_runtime(void *opts, const struct cli_flag *f, char *arg)
{
    struct run_args *a = opts;
    if (oci_runtime_kind_parse(arg, &a->co.runtime) < 0)
        return fprintf(stderr, "berth ctr run: --runtime is runc or crun\n"), -1;
    return 0;
}

/* An int64_t field of run_args. */
static int set_number(void *opts, const struct cli_flag *f, char *arg)
{
    if (parse_i64(arg, (int64_t *)((char *)opts + f->off)) < 0)
        return fprintf(stderr, "berth ctr run: bad number '%s'\n", arg), -1;
    return 0;
}

static int set_net(void *opts, const struct cli_flag *f, char *arg)
{
    struct run_args *a = opts;
    a->spec.netns = strcmp(arg, "none") == 0 || strcmp(arg, "bridge") == 0 ? NULL : arg;
    return 0;
}

/* Append arg to a list of at most cap strings. */
static int push(const char **list, size_t *n, size_t cap, char *arg)
{
    if (full(*n, cap))
        return -1;
    list[(*n)++] = arg;
    return 0;
}

static int set_cap_add(void *opts, const struct cli_flag *f, char *arg)
{
    struct run_args *a = opts;
    return push(a->cap_add, &a->spec.n_cap_add, MAX_RUN_ITEMS, arg);
}

static int set_cap_drop(void *opts, const struct cli_flag *f, char *arg)
{
    struct run_args *a = opts;
    return push(a->cap_drop, &a->spec.n_cap_drop, MAX_RUN_ITEMS, arg);
}

static int set_env(void *opts, const struct cli_flag *f, char *arg)
{
    struct run_args *a = opts;
    if (full(a->spec.n_env, MAX_ENV))
        return -1;
    if (!strchr(arg, '='))
        return fprintf(stderr, "berth ctr run: --env wants K=V\n"), -1;
    a->env[a->spec.n_env++] = arg;
    return 0;
}

static int set_ulimit(void *opts, const struct cli_flag *f, char *arg)
{
    struct run_args *a = opts;
    if (full(a->spec.n_ulimits, MAX_RUN_ITEMS))
        return -1;
    if (parse_ulimit(arg, &a->ulimits[a->spec.n_ulimits]) < 0)
        return fprintf(stderr, "berth ctr run: --ulimit wants NAME=SOFT[:HARD]\n"), -1;
    a->spec.n_ulimits++;
    return 0;
}

static int set_label(void *opts, const struct cli_flag *f, char *arg)
{
    struct run_args *a = opts;
    if (full(a->spec.n_labels, MAX_RUN_ITEMS))
        return -1;
    char *eq = strchr(arg, '=');
    if (!eq)
        return fprintf(stderr, "berth ctr run: --label wants K=V\n"), -1;
    *eq = '\0';
    a->labels[a->spec.n_labels++] = (struct ctr_label){arg, eq + 1};
    return 0;
}

/* HOST:CTR[:ro] */
static int set_volume(void *opts, const struct cli_flag *f, char *arg)
{
    struct run_args *a = opts;
    if (full(a->spec.n_binds, MAX_RUN_ITEMS))
        return -1;
    char *c1 = strchr(arg, ':');
    char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c1 || (c2 && strcmp(c2 + 1, "ro") != 0 && strcmp(c2 + 1, "rw") != 0))
        return fprintf(stderr, "berth ctr run: --volume wants HOST:CTR[:ro]\n"), -1;
    *c1 = '\0';
    if (c2)
        *c2 = '\0';
    a->binds[a->spec.n_binds++] = (struct ctr_bind){arg, c1 + 1, c2 && strcmp(c2 + 1, "ro") == 0};
    return 0;
}

/* PATH[:SIZE_MIB] */
static int set_tmpfs(void *opts, const struct cli_flag *f, char *arg)
{
    struct run_args *a = opts;
    if (full(a->spec.n_tmpfs, MAX_RUN_ITEMS))
        return -1;
    char *colon = strchr(arg, ':');
    int64_t size = 0;
    if (colon) {
        *colon = '\0';
        if (parse_i64(colon + 1, &size) < 0)
            return fprintf(stderr, "berth ctr run: --tmpfs wants PATH[:MiB]\n"), -1;
    }
    a->tmpfs[a->spec.n_tmpfs++] = (struct ctr_tmpfs){.destination = arg, .size_mib = size};
    return 0;
}

#define RUN_FIELD(member) CLI_FIELD(struct run_args, member)

static const struct cli_flag run_flags[] = {
    {"rootfs", .has_arg = true, .set = set_rootfs},
    {"name", .has_arg = true, .set = set_name},
    {"runtime", .has_arg = true, .set = set_runtime},
    {"memory", .has_arg = true, .set = set_number, RUN_FIELD(spec.memory_mib)},
    {"memory-reservation", .has_arg = true, .set = set_number, RUN_FIELD(spec.memory_reservation_mib)},
    {"cpu", .has_arg = true, .set = set_number, RUN_FIELD(spec.cpu_units)},
    {"task-memory", .has_arg = true, .set = set_number, RUN_FIELD(task_mem)},
    {"task-cpu", .has_arg = true, .set = set_number, RUN_FIELD(task_cpu)},
    {"user", .has_arg = true, .set = cli_flags_set_ptr, RUN_FIELD(spec.user)},
    {"readonly", .set = cli_flags_set_true, RUN_FIELD(spec.readonly_rootfs)},
    {"env", .has_arg = true, .set = set_env},
    {"stop-signal", .has_arg = true, .set = cli_flags_set_ptr, RUN_FIELD(co.stop_signal)},
    {"init", .set = cli_flags_set_true, RUN_FIELD(init)},
    {"hostname", .has_arg = true, .set = cli_flags_set_ptr, RUN_FIELD(hostname)},
    {"detach", .set = cli_flags_set_true, RUN_FIELD(detach)},
    {"rm", .set = cli_flags_set_true, RUN_FIELD(autorm)},
    {"workdir", .has_arg = true, .set = cli_flags_set_ptr, RUN_FIELD(spec.cwd)},
    {"privileged", .set = cli_flags_set_true, RUN_FIELD(spec.privileged)},
    {"shm-size", .has_arg = true, .set = set_number, RUN_FIELD(spec.shm_size_mib)},
    {"net", .has_arg = true, .set = set_net},
    {"cap-add", .has_arg = true, .set = set_cap_add},
    {"cap-drop", .has_arg = true, .set = set_cap_drop},
    {"ulimit", .has_arg = true, .set = set_ulimit},
    {"label", .has_arg = true, .set = set_label},
    {"volume", .has_arg = true, .set = set_volume},
    {"tmpfs", .has_arg = true, .set = set_tmpfs},
};

struct sig_proxy {
    struct runtime *r;
    const char *name;
    sigset_t mask;
};

/* Runs until the process exits: forwards each stop signal we get. */
static void *sig_proxy_main(void *arg)
{
    struct sig_proxy *p = arg;
    for (;;) {
        int sig = cli_wait_stop_signal(&p->mask);
        struct error err;
        if (runtime_kill(p->r, p->name, sig, &err) < 0)
            fprintf(stderr, "berth ctr run: forwarding signal %d: %s\n", sig, err.msg);
    }
    return NULL;
}

static struct run_args *run_args_new(void)
{
    struct run_args *a = calloc(1, sizeof(*a));
    if (!a)
        return NULL;
    a->co.runtime = OCI_RUNTIME_RUNC;
    a->spec.env = a->env;
    a->spec.ulimits = a->ulimits;
    a->spec.binds = a->binds;
    a->spec.tmpfs = a->tmpfs;
    a->spec.labels = a->labels;
    a->spec.cap_add = a->cap_add;
    a->spec.cap_drop = a->cap_drop;
    return a;
}

/* Fill in what the flags leave to us: a name, the init, the command
 * (argv from optind) and the runtime options pointing into a. */
static int run_complete(struct run_args *a, int argc, char **argv)
{
    if (!a->name[0] && ids_random_hex(a->name, 6) < 0)
        return 1;
    struct error err;
    if (a->init) {
        if (spawn_find_program("catatonit", a->init_path, sizeof(a->init_path), &err) < 0 &&
            spawn_find_program("tini-static", a->init_path, sizeof(a->init_path), &err) < 0)
            return fail("run", &err);
        a->spec.init_path = a->init_path;
    }
    a->spec.args = (const char *const *)argv + optind;
    a->spec.n_args = (size_t)(argc - optind);
    a->spec.hostname = a->hostname ? a->hostname : a->name;
    a->etc = (struct etcfiles_opts){.hostname = a->spec.hostname};
    a->co.lower = a->lower;
    a->co.n_lower = a->n_lower;
    a->co.task_id = a->name;
    a->co.etc = &a->etc;
    return 0;
}

/* Create and start the container in its own task cgroup. */
static int run_start(struct runtime *r, struct run_args *a)
{
    const char *name = a->name;
    struct error err;
    /* The name must be free before we touch its task cgroup. */
    char dir[PATH_MAX];
    if (runtime_path(r, name, NULL, dir, sizeof(dir), &err) < 0)
        return fail("run", &err);
    if (access(dir, F_OK) == 0) {
        fprintf(stderr, "berth ctr run: container %s already exists\n", name);
        return 1;
    }
    if (cgroups_task_create(&r->cg, name, a->task_mem, a->task_cpu, &err) < 0)
        return fail("run", &err);
    if (runtime_run(r, name, &a->spec, &a->co, NULL, &err) < 0) {
        struct error e2;
        if (err.kind != ERR_CONFLICT) {
            runtime_delete(r, name, &e2);
            cgroups_task_remove(&r->cg, name, &e2);
        }
        return fail("run", &err);
    }
    return 0;
}

/* In the foreground, SIGINT/SIGTERM/SIGHUP are passed on to the container
 * (as `docker run` does) and we keep waiting for its exit; then its logs
 * are printed and its exit code is ours. */
static int run_foreground(struct runtime *r, const char *name, bool autorm)
{
    struct sig_proxy proxy = {.r = r, .name = name};
    cli_block_stop_signals(&proxy.mask);
    pthread_t th;
    if (pthread_create(&th, NULL, sig_proxy_main, &proxy) == 0)
        pthread_detach(th);
    struct runtime_status st;
    struct error err;
    if (runtime_wait(r, name, 0, &st, &err) != 0)
        return fail("run", &err);
    print_logs(r, name, false);
    if (autorm) {
        if (runtime_delete(r, name, &err) < 0 || cgroups_task_remove(&r->cg, name, &err) < 0)
            return fail("rm", &err);
    }
    return st.exit_code >= 0 ? st.exit_code : 255;
}

static int cmd_run(struct runtime *r, const struct ctr_common *common, int argc, char **argv)
{
    static const struct cli_flags flags = {run_flags, ELEMENTSOF(run_flags), true, usage};
    _cleanup_free_ struct run_args *a = run_args_new();
    if (!a)
        return 1;
    optind = 1;
    int rc = cli_flags_parse(&flags, argc, argv, a);
    if (rc != CLI_FLAGS_OK)
        return rc;
    if (a->n_lower == 0 || optind >= argc) {
        fprintf(stderr, "berth ctr run: --rootfs and a command are required\n");
        return 2;
    }
    rc = run_complete(a, argc, argv);
    if (rc == 0)
        rc = run_start(r, a);
    if (rc != 0)
        return rc;
    if (a->detach) {
        printf("%s\n", a->name);
        return 0;
    }
    return run_foreground(r, a->name, a->autorm);
}

static int cmd_ps(struct runtime *r, const struct ctr_common *common, int argc, char **argv)
{
    bool as_json = common->as_json;
    char **ids = NULL;
    size_t n = 0;
    struct error err;
    if (runtime_list(r, &ids, &n, &err) < 0)
        return fail("ps", &err);
    _cleanup_json_ json_t *all = json_array();
    if (!as_json)
        printf("%-24s %-6s %-8s %-8s %-5s %s\n", "ID", "RUNTIME", "STATE", "PID", "EXIT", "OOM");
    for (size_t i = 0; i < n; i++) {
        json_t *j = NULL;
        if (status_json(r, ids[i], &j) != 0)
            continue;
        if (as_json) {
            json_array_append_new(all, j);
            continue;
        }
        json_t *ec = json_object_get(j, "exitCode");
        char exit_s[16] = "-";
        if (json_is_integer(ec))
            snprintf(exit_s, sizeof(exit_s), "%lld", (long long)json_integer_value(ec));
        printf("%-24s %-6s %-8s %-8lld %-5s %s\n", ids[i], json_string_value(json_object_get(j, "runtime")),
               json_string_value(json_object_get(j, "state")), (long long)json_integer_value(json_object_get(j, "pid")),
               exit_s, json_is_true(json_object_get(j, "oomKilled")) ? "yes" : "no");
        json_decref(j);
    }
    runtime_list_free(ids, n);
    if (as_json) {
        _cleanup_free_ char *text = json_dumps(all, JSON_INDENT(1));
        printf("%s\n", text ? text : "[]");
    }
    return 0;
}

static int cmd_inspect(struct runtime *r, const struct ctr_common *common, int argc, char **argv)
{
    _cleanup_json_ json_t *j = NULL;
    if (status_json(r, argv[1], &j) != 0)
        return 1;
    _cleanup_free_ char *text = json_dumps(j, JSON_INDENT(1));
    printf("%s\n", text);
    return 0;
}

static int cmd_exec(struct runtime *r, const struct ctr_common *common, int argc, char **argv)
{
    int first = 2;
    if (first < argc && strcmp(argv[first], "--") == 0)
        first++;
    if (first >= argc) {
        fprintf(stderr, "berth ctr exec: a command is required\n");
        return 2;
    }
    fflush(stdout);
    int code = 0;
    bool timed_out = false;
    usec_t t = common->timeout_s > 0 ? common->timeout_s * USEC_PER_SEC : 0;
    struct error err;
    if (runtime_exec(r, argv[1], (const char *const *)argv + first, (size_t)(argc - first), t, 1, 2, &code, &timed_out,
                     &err) < 0) {
        fail("exec", &err);
        return timed_out ? 124 : 125;
    }
    return code;
}

static int cmd_kill(struct runtime *r, const struct ctr_common *common, int argc, char **argv)
{
    int sig = argc > 2 ? runtime_parse_signal(argv[2]) : SIGKILL;
    if (sig < 0) {
        fprintf(stderr, "berth ctr kill: unknown signal\n");
        return 2;
    }
    struct error err;
    return runtime_kill(r, argv[1], sig, &err) < 0 ? fail("kill", &err) : 0;
}

static int cmd_stop(struct runtime *r, const struct ctr_common *common, int argc, char **argv)
{
    struct runtime_status st;
    struct error err;
    usec_t t = (common->timeout_s >= 0 ? common->timeout_s : 30) * USEC_PER_SEC;
    if (runtime_stop(r, argv[1], t, &st, &err) < 0)
        return fail("stop", &err);
    printf("%d\n", st.exit_code);
    return 0;
}

static int cmd_wait(struct runtime *r, const struct ctr_common *common, int argc, char **argv)
{
    struct runtime_status st;
    struct error err;
    if (runtime_wait(r, argv[1], 0, &st, &err) != 0)
        return fail("wait", &err);
    printf("%d\n", st.exit_code);
    return 0;
}

static int cmd_rm(struct runtime *r, const struct ctr_common *common, int argc, char **argv)
{
    struct error err;
    if (runtime_delete(r, argv[1], &err) < 0)
        return fail("rm", &err);
    if (cgroups_task_remove(&r->cg, argv[1], &err) < 0)
        return fail("rm", &err);
    return 0;
}

static int cmd_logs(struct runtime *r, const struct ctr_common *common, int argc, char **argv)
{
    return print_logs(r, argv[1], common->raw);
}

/* argv[0] is the subcommand; argv[1] the container's name where one is needed. */
static const struct ctr_command {
    const char *name;
    bool needs_name;
    int (*run)(struct runtime *r, const struct ctr_common *common, int argc, char **argv);
} ctr_commands[] = {
    {"run", false, cmd_run},  {"ps", false, cmd_ps},    {"inspect", true, cmd_inspect},
    {"exec", true, cmd_exec}, {"kill", true, cmd_kill}, {"stop", true, cmd_stop},
    {"wait", true, cmd_wait}, {"rm", true, cmd_rm},     {"logs", true, cmd_logs},
};

static int common_data(struct ctr_common *c, const char *v)
{
    c->data = v;
    return 0;
}

static int common_cgroup_parent(struct ctr_common *c, const char *v)
{
    c->cgroup_parent = v;
    return 0;
}

static int common_log_level(struct ctr_common *c, const char *v) { return cli_set_log_level("berth ctr", v); }

static int common_timeout(struct ctr_common *c, const char *v)
{
    if (parse_i64(v, &c->timeout_s) < 0) {
        fprintf(stderr, "berth ctr: bad --timeout\n");
        return -1;
    }
    return 0;
}

/* The common options that take a value. */
static const struct {
    const char *name;
    int (*set)(struct ctr_common *c, const char *value);
} common_values[] = {
    {"--data", common_data},
    {"--cgroup-parent", common_cgroup_parent},
    {"--timeout", common_timeout},
    {"--log-level", common_log_level},
};

/* Pull the common options out of argv[2..] wherever they appear before
 * "--"; what is left, after the subcommand, goes to nargv.  0, or 2 after a
 * message. */
static int split_common(int argc, char **argv, struct ctr_common *c, char **nargv, int *ret_nargc)
{
    bool is_run = strcmp(argv[1], "run") == 0;
    bool after_dashes = false;
    int nargc = 0;
    nargv[nargc++] = argv[1];
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!after_dashes && strcmp(a, "--") == 0)
            after_dashes = true;
        size_t k = ELEMENTSOF(common_values);
        for (size_t j = 0; j < ELEMENTSOF(common_values) && !after_dashes; j++)
            if (strcmp(a, common_values[j].name) == 0)
                k = j;
        if (k < ELEMENTSOF(common_values)) {
            if (i + 1 >= argc) {
                fprintf(stderr, "berth ctr: %s needs a value\n", a);
                return 2;
            }
            if (common_values[k].set(c, argv[++i]) < 0)
                return 2;
        } else if (!after_dashes && !is_run && strcmp(a, "--json") == 0) {
            c->as_json = true;
        } else if (!after_dashes && !is_run && strcmp(a, "--raw") == 0) {
            c->raw = true;
        } else {
            nargv[nargc++] = argv[i];
        }
    }
    *ret_nargc = nargc;
    return 0;
}

/* Open the runtime state under --data, creating the directory if need be. */
static int open_runtime(const char *sub, const struct ctr_common *c, struct runtime *r)
{
    if (!c->data) {
        fprintf(stderr, "berth ctr %s: --data DIR is required\n", sub);
        return 2;
    }
    char absdata[PATH_MAX];
    if (!realpath(c->data, absdata)) {
        struct error e;
        if (fs_mkdir_p(c->data, 0700, &e) < 0 || !realpath(c->data, absdata)) {
            fprintf(stderr, "berth ctr: --data %s: %s\n", c->data, strerror(errno));
            return 1;
        }
    }
    struct error err;
    if (runtime_open(r, absdata, c->cgroup_parent, &err) < 0)
        return fail(sub, &err);
    return 0;
}

int cli_ctr_main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *sub = argv[1];
    struct ctr_common common = {.timeout_s = -1};
    int nargc = 0;
    _cleanup_free_ char **nargv = calloc((size_t)argc + 1, sizeof(char *));
    if (!nargv)
        return 1;
    int rc = split_common(argc, argv, &common, nargv, &nargc);
    if (rc != 0)
        return rc;
    struct runtime r;
    rc = open_runtime(sub, &common, &r);
    if (rc != 0)
        return rc;
    const struct ctr_command *cmd = NULL;
    for (size_t i = 0; i < ELEMENTSOF(ctr_commands) && !cmd; i++)
        if (strcmp(sub, ctr_commands[i].name) == 0)
            cmd = &ctr_commands[i];
    if ((!cmd || cmd->needs_name) && nargc < 2) {
        fprintf(stderr, "berth ctr %s: NAME is required\n", sub);
        rc = 2;
    } else if (cmd) {
        rc = cmd->run(&r, &common, nargc, nargv);
    } else {
        fprintf(stderr, "berth ctr: unknown command '%s'\n", sub);
        usage(stderr);
        rc = 2;
    }
    runtime_close(&r);
    return rc;
}

int cli_runtime_shim_main(int argc, char **argv) { return crunshim_main(argc, argv); }
