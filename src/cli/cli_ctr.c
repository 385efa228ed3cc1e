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
#include "cli/cli_util.h"
#include "common/cleanup.h"
#include "common/ids.h"
#include "agent/agent_limits.h"
#include "common/log.h"

#define MAX_ENV 256

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
    struct runtime_create_opts co;
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

/* One flag of `ctr run`; returns 0, or 2 (usage error) after a message. */
static int run_flag(struct run_args *a, int c, char *arg)
{
    struct ctr_spec *s = &a->spec;
    int64_t v = 0;
    if (strchr("mMcxyS", c) && parse_i64(arg, &v) < 0)
        return fprintf(stderr, "berth ctr run: bad number '%s'\n", arg), 2;
    /* Each repeatable flag fills its own array. */
    const struct {
        int flag;
        size_t n, cap;
    } counts[] = {
        {'e', s->n_env, MAX_ENV},
        {'U', s->n_ulimits, MAX_RUN_ITEMS},
        {'V', s->n_binds, MAX_RUN_ITEMS},
        {'T', s->n_tmpfs, MAX_RUN_ITEMS},
        {'L', s->n_labels, MAX_RUN_ITEMS},
        {'A', s->n_cap_add, MAX_RUN_ITEMS},
        {'D', s->n_cap_drop, MAX_RUN_ITEMS},
    };
    for (size_t i = 0; i < ELEMENTSOF(counts); i++)
        if (counts[i].flag == c && counts[i].n == counts[i].cap)
            return fprintf(stderr, "berth ctr run: too many of one flag (at most %zu)\n", counts[i].cap), 2;
    switch (c) {
    case 'R':
        if (a->n_lower == ELEMENTSOF(a->lower))
            return fprintf(stderr, "berth ctr run: too many --rootfs\n"), 2;
        a->lower[a->n_lower++] = arg;
        return 0;
    case 'n':
        if (!runtime_id_valid(arg))
            return fprintf(stderr, "berth ctr run: bad --name '%s'\n", arg), 2;
        snprintf(a->name, sizeof(a->name), "%s", arg);
        return 0;
    case 't':
        if (oci_runtime_kind_parse(arg, &a->co.runtime) < 0)
            return fprintf(stderr, "berth ctr run: --runtime is runc or crun\n"), 2;
        return 0;
    case 'm': s->memory_mib = v; return 0;
    case 'M': s->memory_reservation_mib = v; return 0;
    case 'c': s->cpu_units = v; return 0;
    case 'x': a->task_mem = v; return 0;
    case 'y': a->task_cpu = v; return 0;
    case 'S': s->shm_size_mib = v; return 0;
    case 'u': s->user = arg; return 0;
    case 'w': s->cwd = arg; return 0;
    case 'r': s->readonly_rootfs = true; return 0;
    case 'P': s->privileged = true; return 0;
    case 's': a->co.stop_signal = arg; return 0;
    case 'i': a->init = true; return 0;
    case 'H': a->hostname = arg; return 0;
    case 'd': a->detach = true; return 0;
    case 'X': a->autorm = true; return 0;
    case 'N': s->netns = strcmp(arg, "none") == 0 || strcmp(arg, "bridge") == 0 ? NULL : arg; return 0;
    case 'A': a->cap_add[s->n_cap_add++] = arg; return 0;
    case 'D': a->cap_drop[s->n_cap_drop++] = arg; return 0;
    case 'e':
        if (!strchr(arg, '='))
            return fprintf(stderr, "berth ctr run: --env wants K=V\n"), 2;
        a->env[s->n_env++] = arg;
        return 0;
    case 'U':
        if (parse_ulimit(arg, &a->ulimits[s->n_ulimits]) < 0)
            return fprintf(stderr, "berth ctr run: --ulimit wants NAME=SOFT[:HARD]\n"), 2;
        s->n_ulimits++;
        return 0;
    case 'L': {
        char *eq = strchr(arg, '=');
        if (!eq)
            return fprintf(stderr, "berth ctr run: --label wants K=V\n"), 2;
        *eq = '\0';
        a->labels[s->n_labels++] = (struct ctr_label){arg, eq + 1};
        return 0;
    }
    case 'V': { /* HOST:CTR[:ro] */
        char *c1 = strchr(arg, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c1 || (c2 && strcmp(c2 + 1, "ro") != 0 && strcmp(c2 + 1, "rw") != 0))
            return fprintf(stderr, "berth ctr run: --volume wants HOST:CTR[:ro]\n"), 2;
        *c1 = '\0';
        if (c2)
            *c2 = '\0';
        a->binds[s->n_binds++] = (struct ctr_bind){arg, c1 + 1, c2 && strcmp(c2 + 1, "ro") == 0};
        return 0;
    }
    case 'T': { /* PATH[:SIZE_MIB] */
        char *colon = strchr(arg, ':');
        int64_t size = 0;
        if (colon) {
            *colon = '\0';
            if (parse_i64(colon + 1, &size) < 0)
                return fprintf(stderr, "berth ctr run: --tmpfs wants PATH[:MiB]\n"), 2;
        }
        a->tmpfs[s->n_tmpfs++] = (struct ctr_tmpfs){.destination = arg, .size_mib = size};
        return 0;
    }
    default: usage(stderr); return 2;
    }
}

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

static int cmd_run(struct runtime *r, int argc, char **argv)
{
    static const struct option opts[] = {
        {"rootfs", required_argument, NULL, 'R'},
        {"name", required_argument, NULL, 'n'},
        {"runtime", required_argument, NULL, 't'},
        {"memory", required_argument, NULL, 'm'},
        {"memory-reservation", required_argument, NULL, 'M'},
        {"cpu", required_argument, NULL, 'c'},
        {"task-memory", required_argument, NULL, 'x'},
        {"task-cpu", required_argument, NULL, 'y'},
        {"user", required_argument, NULL, 'u'},
        {"readonly", no_argument, NULL, 'r'},
        {"env", required_argument, NULL, 'e'},
        {"stop-signal", required_argument, NULL, 's'},
        {"init", no_argument, NULL, 'i'},
        {"hostname", required_argument, NULL, 'H'},
        {"detach", no_argument, NULL, 'd'},
        {"rm", no_argument, NULL, 'X'},
        {"workdir", required_argument, NULL, 'w'},
        {"privileged", no_argument, NULL, 'P'},
        {"shm-size", required_argument, NULL, 'S'},
        {"net", required_argument, NULL, 'N'},
        {"cap-add", required_argument, NULL, 'A'},
        {"cap-drop", required_argument, NULL, 'D'},
        {"ulimit", required_argument, NULL, 'U'},
        {"label", required_argument, NULL, 'L'},
        {"volume", required_argument, NULL, 'V'},
        {"tmpfs", required_argument, NULL, 'T'},
        {NULL, 0, NULL, 0},
    };
    _cleanup_free_ struct run_args *a = calloc(1, sizeof(*a));
    if (!a)
        return 1;
    a->co.runtime = OCI_RUNTIME_RUNC;
    a->spec.env = a->env;
    a->spec.ulimits = a->ulimits;
    a->spec.binds = a->binds;
    a->spec.tmpfs = a->tmpfs;
    a->spec.labels = a->labels;
    a->spec.cap_add = a->cap_add;
    a->spec.cap_drop = a->cap_drop;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        int rc = run_flag(a, c, optarg);
        if (rc != 0)
            return rc;
    }
    struct ctr_spec spec = a->spec;
    struct runtime_create_opts co = a->co;
    const char **lower = a->lower;
    size_t n_lower = a->n_lower;
    char *name = a->name;
    int64_t task_mem = a->task_mem, task_cpu = a->task_cpu;
    bool detach = a->detach, autorm = a->autorm, init = a->init;
    const char *hostname = a->hostname;
    if (n_lower == 0 || optind >= argc) {
        fprintf(stderr, "berth ctr run: --rootfs and a command are required\n");
        return 2;
    }
    if (!name[0] && ids_random_hex(name, 6) < 0)
        return 1;
    char init_path[PATH_MAX];
    struct error err;
    if (init) {
        if (spawn_find_program("catatonit", init_path, sizeof(init_path), &err) < 0 &&
            spawn_find_program("tini-static", init_path, sizeof(init_path), &err) < 0)
            return fail("run", &err);
        spec.init_path = init_path;
    }
    spec.args = (const char *const *)argv + optind;
    spec.n_args = (size_t)(argc - optind);
    spec.hostname = hostname ? hostname : name;
    struct etcfiles_opts etc = {.hostname = spec.hostname};
    co.lower = lower;
    co.n_lower = n_lower;
    co.task_id = name;
    co.etc = &etc;

    /* The name must be free before we touch its task cgroup. */
    char dir[PATH_MAX];
    if (runtime_path(r, name, NULL, dir, sizeof(dir), &err) < 0)
        return fail("run", &err);
    if (access(dir, F_OK) == 0) {
        fprintf(stderr, "berth ctr run: container %s already exists\n", name);
        return 1;
    }
    if (cgroups_task_create(&r->cg, name, task_mem, task_cpu, &err) < 0)
        return fail("run", &err);
    if (runtime_create(r, name, &spec, &co, NULL, &err) < 0 || runtime_start(r, name, &err) < 0) {
        struct error e2;
        if (err.kind != ERR_CONFLICT) {
            runtime_delete(r, name, &e2);
            cgroups_task_remove(&r->cg, name, &e2);
        }
        return fail("run", &err);
    }
    if (detach) {
        printf("%s\n", name);
        return 0;
    }
    /* In the foreground, SIGINT/SIGTERM/SIGHUP are passed on to the
     * container (as `docker run` does) and we keep waiting for its exit. */
    struct sig_proxy proxy = {.r = r, .name = name};
    cli_block_stop_signals(&proxy.mask);
    pthread_t th;
    if (pthread_create(&th, NULL, sig_proxy_main, &proxy) == 0)
        pthread_detach(th);
    struct runtime_status st;
    if (runtime_wait(r, name, 0, &st, &err) != 0)
        return fail("run", &err);
    print_logs(r, name, false);
    if (autorm) {
        if (runtime_delete(r, name, &err) < 0 || cgroups_task_remove(&r->cg, name, &err) < 0)
            return fail("rm", &err);
    }
    return st.exit_code >= 0 ? st.exit_code : 255;
}

static int cmd_ps(struct runtime *r, bool as_json)
{
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

int cli_ctr_main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *sub = argv[1];
    /* Common options come before the subcommand's own: pull --data,
     * --cgroup-parent, --timeout, --json, --raw out of argv wherever they
     * appear before "--". */
    const char *data = NULL, *cgroup_parent = NULL;
    int64_t timeout_s = -1;
    bool as_json = false, raw = false;
    int nargc = 0;
    _cleanup_free_ char **nargv = calloc((size_t)argc + 1, sizeof(char *));
    if (!nargv)
        return 1;
    nargv[nargc++] = argv[1];
    bool after_dashes = false;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!after_dashes && strcmp(a, "--") == 0)
            after_dashes = true;
        if (!after_dashes && (strcmp(a, "--data") == 0 || strcmp(a, "--cgroup-parent") == 0 ||
                              strcmp(a, "--timeout") == 0 || strcmp(a, "--log-level") == 0)) {
            if (i + 1 >= argc) {
                fprintf(stderr, "berth ctr: %s needs a value\n", a);
                return 2;
            }
            if (strcmp(a, "--data") == 0)
                data = argv[++i];
            else if (strcmp(a, "--cgroup-parent") == 0)
                cgroup_parent = argv[++i];
            else if (strcmp(a, "--log-level") == 0) {
                enum log_level lvl;
                if (log_parse_level(argv[++i], &lvl) < 0) {
                    fprintf(stderr, "berth ctr: unknown log level '%s'\n", argv[i]);
                    return 2;
                }
                log_set_level(lvl);
            } else if (parse_i64(argv[++i], &timeout_s) < 0) {
                fprintf(stderr, "berth ctr: bad --timeout\n");
                return 2;
            }
            continue;
        }
        if (!after_dashes && strcmp(sub, "run") != 0 && strcmp(a, "--json") == 0) {
            as_json = true;
            continue;
        }
        if (!after_dashes && strcmp(sub, "run") != 0 && strcmp(a, "--raw") == 0) {
            raw = true;
            continue;
        }
        nargv[nargc++] = argv[i];
    }
    if (!data) {
        fprintf(stderr, "berth ctr %s: --data DIR is required\n", sub);
        return 2;
    }
    char absdata[PATH_MAX];
    if (!realpath(data, absdata)) {
        struct error e;
        if (fs_mkdir_p(data, 0700, &e) < 0 || !realpath(data, absdata)) {
            fprintf(stderr, "berth ctr: --data %s: %s\n", data, strerror(errno));
            return 1;
        }
    }
    struct runtime r;
    struct error err;
    if (runtime_open(&r, absdata, cgroup_parent, &err) < 0)
        return fail(sub, &err);

    if (strcmp(sub, "run") == 0)
        return cmd_run(&r, nargc, nargv);
    if (strcmp(sub, "ps") == 0)
        return cmd_ps(&r, as_json);

    /* The rest name one container. */
    if (nargc < 2) {
        fprintf(stderr, "berth ctr %s: NAME is required\n", sub);
        return 2;
    }
    const char *name = nargv[1];
    if (strcmp(sub, "inspect") == 0) {
        _cleanup_json_ json_t *j = NULL;
        if (status_json(&r, name, &j) != 0)
            return 1;
        _cleanup_free_ char *text = json_dumps(j, JSON_INDENT(1));
        printf("%s\n", text);
        return 0;
    }
    if (strcmp(sub, "exec") == 0) {
        int first = 2;
        if (first < nargc && strcmp(nargv[first], "--") == 0)
            first++;
        if (first >= nargc) {
            fprintf(stderr, "berth ctr exec: a command is required\n");
            return 2;
        }
        fflush(stdout);
        int code = 0;
        bool timed_out = false;
        usec_t t = timeout_s > 0 ? timeout_s * USEC_PER_SEC : 0;
        if (runtime_exec(&r, name, (const char *const *)nargv + first, (size_t)(nargc - first), t, 1, 2, &code,
                         &timed_out, &err) < 0) {
            fail("exec", &err);
            return timed_out ? 124 : 125;
        }
        return code;
    }
    if (strcmp(sub, "kill") == 0) {
        int sig = nargc > 2 ? runtime_parse_signal(nargv[2]) : SIGKILL;
        if (sig < 0) {
            fprintf(stderr, "berth ctr kill: unknown signal\n");
            return 2;
        }
        return runtime_kill(&r, name, sig, &err) < 0 ? fail("kill", &err) : 0;
    }
    if (strcmp(sub, "stop") == 0) {
        struct runtime_status st;
        usec_t t = (timeout_s >= 0 ? timeout_s : 30) * USEC_PER_SEC;
        if (runtime_stop(&r, name, t, &st, &err) < 0)
            return fail("stop", &err);
        printf("%d\n", st.exit_code);
        return 0;
    }
    if (strcmp(sub, "wait") == 0) {
        struct runtime_status st;
        if (runtime_wait(&r, name, 0, &st, &err) != 0)
            return fail("wait", &err);
        printf("%d\n", st.exit_code);
        return 0;
    }
    if (strcmp(sub, "rm") == 0) {
        if (runtime_delete(&r, name, &err) < 0)
            return fail("rm", &err);
        if (cgroups_task_remove(&r.cg, name, &err) < 0)
            return fail("rm", &err);
        return 0;
    }
    if (strcmp(sub, "logs") == 0)
        return print_logs(&r, name, raw);
    fprintf(stderr, "berth ctr: unknown command '%s'\n", sub);
    usage(stderr);
    return 2;
}

int cli_runtime_shim_main(int argc, char **argv) { return crunshim_main(argc, argv); }
