/* oci_runtime.c - runc and crun as child processes.
 *
 * The crun trick.  This host mounts cgroup v1 controllers under a tmpfs at
 * /sys/fs/cgroup plus a cgroup2 at /sys/fs/cgroup/unified ("hybrid").  runc
 * just uses the v1 trees; crun 1.8 refuses hybrid setups whose cgroup2
 * lists controllers in cgroup.controllers.  Every crun invocation therefore
 * runs in a private mount namespace (MS_SLAVE, so it still sees the host's
 * later mounts) where /dev/null is bind-mounted over that file: crun then
 * treats the host as plain v1.  The namespace lives only as long as the crun
 * process: crun's container init pivots into its own root and drops the
 * copied mounts, so nothing long-lived holds copies of other containers'
 * mounts (which running conmon itself in such a namespace would do).
 *   - start/kill/delete/state/exec: we fork crun ourselves and set up the
 *     namespace in the child before exec (spawn's child_setup): no extra exec.
 *   - create: conmon execs the runtime, so conmon is told to run
 *     `berth-runtime-shim /usr/bin/crun --root R ...` (crunshim.c), which
 *     does the same setup and execs crun: one extra exec per create, of a
 *     small static binary (<1 ms) when it sits next to berth, else of berth
 *     itself as `berth runtime-shim` (~8 ms, loading its libraries).
 * crun also copies (or bind-mounts) its own binary and execs itself again
 * before it trusts it near a container (CVE-2019-5736): ~4 ms of a second
 * exec and library load per call.  In the same private namespace its
 * binary is bound read-only over itself instead (crunshim_enter) and
 * crun, told so by _LIBCONTAINER_CLONED_BINARY, runs once: the protection
 * runc's and crun's own read-only bind gives, without the re-exec.
 * Creating and starting at once, the shim also turns conmon's `create`
 * into `run --detach` (for runc too, without the namespace): one runtime
 * process instead of a `create` and a `start`, which saves ~5 ms with crun
 * and ~13 ms with runc per container here.
 * The mask is applied only when /sys/fs/cgroup/unified is a cgroup2 mount;
 * the namespace and seal are crun's on every host.
 *
 * Both runtimes keep their state under our --root (never /run/runc), so one
 * data directory sees exactly its own containers. */
#include "agent/runtime/oci_runtime.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "agent/agent_limits.h"
#include "common/fsutil.h"
#include "agent/runtime/crunshim.h"
#include "agent/runtime/spawn.h"

#define SHIM_NAME "berth-runtime-shim"

static const char *const kind_names[] = {[OCI_RUNTIME_RUNC] = "runc", [OCI_RUNTIME_CRUN] = "crun"};

int oci_runtime_kind_parse(const char *name, enum oci_runtime_kind *ret)
{
    for (size_t i = 0; i < ELEMENTSOF(kind_names); i++)
        if (strcmp(name, kind_names[i]) == 0) {
            *ret = (enum oci_runtime_kind)i;
            return 0;
        }
    return -1;
}

const char *oci_runtime_kind_name(enum oci_runtime_kind kind) { return kind_names[kind]; }

int oci_runtime_open(struct oci_runtime *rt, enum oci_runtime_kind kind, const char *root, struct error *err)
{
    memset(rt, 0, sizeof(*rt));
    rt->kind = kind;
    if (spawn_find_program(kind_names[kind], rt->path, sizeof(rt->path), err) < 0)
        return -1;
    if ((size_t)snprintf(rt->root, sizeof(rt->root), "%s", root) >= sizeof(rt->root))
        return error_set(err, ERR_LIMIT, "runtime root path too long");
    if (fs_mkdir_p(root, 0700, err) < 0)
        return -1;
    if (kind == OCI_RUNTIME_CRUN) {
        struct statfs sf;
        rt->mask_cgroup2 =
            statfs("/sys/fs/cgroup/unified", &sf) == 0 && (unsigned long)sf.f_type == CGROUP2_SUPER_MAGIC;
        rt->seal = true;
    }
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n < 0)
        return error_sys(err, "readlink /proc/self/exe");
    self[n] = '\0';
    snprintf(rt->shim, sizeof(rt->shim), "%s/" SHIM_NAME, dirname(strdupa(self)));
    rt->shim_is_berth = access(rt->shim, X_OK) != 0;
    if (rt->shim_is_berth)
        snprintf(rt->shim, sizeof(rt->shim), "%s", self);
    return 0;
}

bool oci_runtime_conmon_runtime(const struct oci_runtime *rt, bool want_run, const char **ret_path,
                                const char *args[OCI_RUNTIME_MAX_PREFIX], size_t *ret_n)
{
    /* Through berth itself the exec costs more than a seal or run saves. */
    bool cheap = !rt->shim_is_berth;
    bool run = want_run && (rt->mask_cgroup2 || cheap);
    bool seal = rt->seal && (rt->mask_cgroup2 || cheap);
    size_t n = 0;
    if (rt->mask_cgroup2 || run || seal) {
        *ret_path = rt->shim;
        if (rt->shim_is_berth)
            args[n++] = "runtime-shim";
        if (rt->mask_cgroup2)
            args[n++] = "--mask-cgroup2";
        if (seal)
            args[n++] = "--seal-binary";
        if (run)
            args[n++] = "--run-detached";
        args[n++] = rt->path;
    } else {
        *ret_path = rt->path;
    }
    args[n++] = "--root";
    args[n++] = rt->root;
    *ret_n = n;
    return run;
}

/* spawn's child_setup for crun: its private mount namespace. */
static int enter_runtime_ns(const void *arg)
{
    const struct oci_runtime *rt = arg;
    return crunshim_enter(rt->mask_cgroup2, rt->seal ? rt->path : NULL);
}

/* Our environment for a runtime child: with the seal, crun is told of it. */
static const char **runtime_envp(const struct oci_runtime *rt)
{
    if (!rt->seal)
        return NULL;
    size_t n = 0;
    while (environ[n])
        n++;
    const char **envp = calloc(n + 2, sizeof(*envp));
    if (!envp)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], CRUNSHIM_CLONED_NAME "=", strlen(CRUNSHIM_CLONED_NAME) + 1) != 0)
            envp[k++] = environ[i];
    envp[k++] = CRUNSHIM_CLONED_ENV;
    return envp;
}

static void runtime_spawn_opts(const struct oci_runtime *rt, struct spawn_opts *so)
{
    bool private_ns = rt->mask_cgroup2 || rt->seal;
    so->child_setup = private_ns ? enter_runtime_ns : NULL;
    so->child_arg = rt;
}

/* Run argv (the runtime and its arguments) to its end, capturing its
 * output into out, within LIMIT_RUNTIME_CMD_TIMEOUT_SEC. */
static int spawn_runtime(const struct oci_runtime *rt, const char **argv, char *out, size_t out_cap,
                         struct spawn_result *ret, struct error *err)
{
    _cleanup_free_ const char **envp = runtime_envp(rt);
    struct spawn_opts so = {.argv = argv, .envp = envp, .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1};
    runtime_spawn_opts(rt, &so);
    return spawn_run(&so, LIMIT_RUNTIME_CMD_TIMEOUT_SEC * USEC_PER_SEC, out, out_cap, NULL, NULL, ret, err);
}

/* Run `runtime --root R <args...>`; on a non-zero exit the error carries
 * the runtime's own message. */
static int run(const struct oci_runtime *rt, const char *const *args, size_t nargs, char *out, size_t out_cap,
               int *ret_exit, struct error *err)
{
    const char *argv[16];
    size_t n = 0;
    if (nargs + 4 > ELEMENTSOF(argv))
        return error_set(err, ERR_INTERNAL, "too many runtime arguments");
    argv[n++] = rt->path;
    argv[n++] = "--root";
    argv[n++] = rt->root;
    for (size_t i = 0; i < nargs; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    struct spawn_result res;
    if (spawn_runtime(rt, argv, out, out_cap, &res, err) < 0)
        return error_prefix(err, "%s %s", kind_names[rt->kind], args[0]);
    int code = spawn_exit_code(res.status);
    if (ret_exit) {
        *ret_exit = code;
        return 0;
    }
    if (code != 0) {
        /* Keep the last line: runc logs a JSON line, crun a plain one. */
        size_t len = strlen(out);
        while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == ' '))
            out[--len] = '\0';
        return error_set(err, ERR_IO, "%s %s %s: exit %d: %.600s", kind_names[rt->kind], args[0],
                         nargs > 1 ? args[nargs - 1] : "", code, out);
    }
    return 0;
}

int oci_runtime_start(const struct oci_runtime *rt, const char *id, struct error *err)
{
    char out[4096];
    return run(rt, (const char *const[]){"start", id}, 2, out, sizeof(out), NULL, err);
}

int oci_runtime_kill(const struct oci_runtime *rt, const char *id, int sig, struct error *err)
{
    char out[4096], s[16];
    snprintf(s, sizeof(s), "%d", sig);
    return run(rt, (const char *const[]){"kill", id, s}, 3, out, sizeof(out), NULL, err);
}

static bool not_found_msg(const char *out)
{
    return strstr(out, "does not exist") || strstr(out, "not exist") || strstr(out, "No such file");
}

int oci_runtime_delete(const struct oci_runtime *rt, const char *id, bool force, struct error *err)
{
    char out[4096];
    int code = 0;
    if (force) {
        if (run(rt, (const char *const[]){"delete", "--force", id}, 3, out, sizeof(out), &code, err) < 0)
            return -1;
    } else if (run(rt, (const char *const[]){"delete", id}, 2, out, sizeof(out), &code, err) < 0) {
        return -1;
    }
    if (code != 0 && !not_found_msg(out))
        return error_set(err, ERR_IO, "%s delete %s: exit %d: %.600s", kind_names[rt->kind], id, code, out);
    return 0;
}

int oci_runtime_state(const struct oci_runtime *rt, const char *id, char *status, size_t cap, pid_t *ret_pid,
                      struct error *err)
{
    _cleanup_free_ char *out = malloc(LIMIT_CHILD_OUTPUT);
    if (!out)
        return error_set(err, ERR_INTERNAL, "out of memory");
    const char *argv[16] = {rt->path, "--root", rt->root, "state", id, NULL};
    /* stderr apart from stdout: the JSON must parse alone. */
    struct spawn_result res;
    if (spawn_runtime(rt, argv, out, LIMIT_CHILD_OUTPUT, &res, err) < 0)
        return -1;
    if (spawn_exit_code(res.status) != 0)
        return error_set(err, ERR_NOT_FOUND, "%s does not know container %s", kind_names[rt->kind], id);
    const char *brace = strchr(out, '{');
    json_error_t jerr;
    _cleanup_json_ json_t *st = brace ? json_loads(brace, JSON_DISABLE_EOF_CHECK, &jerr) : NULL;
    const char *s = NULL;
    json_int_t pid = 0;
    if (!st || json_unpack(st, "{s:s, s?I}", "status", &s, "pid", &pid) < 0)
        return error_set(err, ERR_IO, "%s state %s: unexpected output", kind_names[rt->kind], id);
    snprintf(status, cap, "%s", s);
    *ret_pid = (pid_t)pid;
    return 0;
}

struct exec_timeout {
    const char *pidfile;
};

/* On timeout, kill the process inside the container: killing only the
 * runtime's `exec` front would leave it running there. */
static void exec_on_timeout(void *ud)
{
    struct exec_timeout *t = ud;
    _cleanup_free_ char *text = NULL;
    struct error e;
    if (fs_read_file(t->pidfile, 64, &text, NULL, &e) < 0)
        return;
    long pid = strtol(text, NULL, 10);
    if (pid > 1)
        kill((pid_t)pid, SIGKILL);
}

int oci_runtime_exec(const struct oci_runtime *rt, const char *id, const char *process_path, usec_t timeout,
                     int stdout_fd, int stderr_fd, const char *pidfile, int *ret_exit, bool *ret_timed_out,
                     struct error *err)
{
    const char *argv[] = {rt->path,     "--root",     rt->root, "exec", "--process",
                          process_path, "--pid-file", pidfile,  id,     NULL};
    unlink(pidfile);
    _cleanup_free_ const char **envp = runtime_envp(rt);
    struct spawn_opts so = {.argv = argv, .envp = envp, .stdin_fd = -1, .stdout_fd = stdout_fd, .stderr_fd = stderr_fd};
    runtime_spawn_opts(rt, &so);
    struct exec_timeout t = {.pidfile = pidfile};
    struct spawn_result res = {0};
    char out[1024];
    int r = spawn_run(&so, timeout, out, sizeof(out), exec_on_timeout, &t, &res, err);
    unlink(pidfile);
    *ret_timed_out = res.timed_out;
    if (r < 0)
        return -1;
    *ret_exit = spawn_exit_code(res.status);
    return 0;
}

int oci_runtime_exec_start(const struct oci_runtime *rt, const char *id, const char *process_path, const char *pidfile,
                           int stdin_fd, int stdout_fd, int stderr_fd, pid_t *ret_pid, int *ret_pidfd,
                           struct error *err)
{
    const char *argv[] = {rt->path,     "--root",     rt->root, "exec", "--process",
                          process_path, "--pid-file", pidfile,  id,     NULL};
    unlink(pidfile);
    _cleanup_free_ const char **envp = runtime_envp(rt);
    struct spawn_opts so = {
        .argv = argv, .envp = envp, .stdin_fd = stdin_fd, .stdout_fd = stdout_fd, .stderr_fd = stderr_fd};
    runtime_spawn_opts(rt, &so);
    return spawn_start(&so, ret_pid, ret_pidfd, err);
}
