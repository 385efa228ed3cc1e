/* runtime.c - the container lifecycle over bundle, overlay, cgroups, conmon
 * and oci_runtime.
 *
 * Everything a container needs to be found again lives in its directory
 * (runtime.h has the layout), so there is no in-memory registry: a new
 * process handed the same data directory sees the same containers.  A
 * container is "exited" once conmon has written its exit file; before that
 * it is alive while conmon is (conmon outlives the container by the moment
 * it takes to write that file).  Waiting for an exit is an inotify watch on
 * the container directory, never a sleep loop. */
#include "agent/runtime/runtime.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/cleanup.h"
#include "common/ids.h"
#include "common/jsondump.h"
#include "common/log.h"
#include "agent/runtime/conmon.h"
#include "common/fsutil.h"
#include "agent/runtime/overlay.h"
#include "agent/runtime/seccomp_cache.h"
#include "agent/runtime/spawn.h"
#include "agent/runtime/userdb.h"

#define STATE_FILE "berth.json"

static const char *const state_names[] = {
    [RUNTIME_CREATED] = "created",
    [RUNTIME_RUNNING] = "running",
    [RUNTIME_EXITED] = "exited",
    [RUNTIME_LOST] = "lost",
};

const char *runtime_state_name(enum runtime_state s) { return state_names[s]; }

bool runtime_id_valid(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    return n > 0 && n <= LIMIT_CTR_ID && id[0] != '.' && id[0] != '-' &&
           strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

static const struct {
    const char *name;
    int sig;
} signal_table[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"KILL", SIGKILL}, {"USR1", SIGUSR1},
    {"USR2", SIGUSR2}, {"TERM", SIGTERM}, {"STOP", SIGSTOP}, {"CONT", SIGCONT}, {"WINCH", SIGWINCH},
    {"PWR", SIGPWR},   {"ABRT", SIGABRT}, {"ALRM", SIGALRM},
};

int runtime_parse_signal(const char *s)
{
    if (!s || !*s)
        return -1;
    if (s[0] >= '0' && s[0] <= '9') {
        char *end = NULL;
        long v = strtol(s, &end, 10);
        return *end || v <= 0 || v >= NSIG ? -1 : (int)v;
    }
    if (strncasecmp(s, "SIG", 3) == 0)
        s += 3;
    for (size_t i = 0; i < ELEMENTSOF(signal_table); i++)
        if (strcasecmp(s, signal_table[i].name) == 0)
            return signal_table[i].sig;
    return -1;
}

int runtime_path(const struct runtime *r, const char *id, const char *name, char *buf, size_t cap, struct error *err)
{
    if (!runtime_id_valid(id))
        return error_set(err, ERR_INVALID, "bad container id \"%s\"", id ? id : "");
    int n = snprintf(buf, cap, "%s/containers/%s%s%s", r->data_dir, id, name ? "/" : "", name ? name : "");
    if (n < 0 || (size_t)n >= cap)
        return error_set(err, ERR_LIMIT, "state path too long");
    return 0;
}

int runtime_open(struct runtime *r, const char *data_dir, const char *cgroup_parent, struct error *err)
{
    memset(r, 0, sizeof(*r));
    seccomp_cache_init(&r->seccomp);
    if (data_dir[0] != '/')
        return error_set(err, ERR_INVALID, "the data directory must be an absolute path");
    if ((size_t)snprintf(r->data_dir, sizeof(r->data_dir), "%s", data_dir) >= sizeof(r->data_dir) - 200)
        return error_set(err, ERR_LIMIT, "data directory path too long");
    char p[PATH_MAX];
    snprintf(p, sizeof(p), "%s/containers", data_dir);
    if (fs_mkdir_p(p, 0700, err) < 0)
        return -1;
    snprintf(p, sizeof(p), "%s/sock", data_dir);
    if (fs_mkdir_p(p, 0700, err) < 0)
        return -1;
    if (spawn_find_program("conmon", r->conmon, sizeof(r->conmon), err) < 0)
        return -1;
    struct error e2;
    for (int k = OCI_RUNTIME_RUNC; k <= OCI_RUNTIME_CRUN; k++) {
        snprintf(p, sizeof(p), "%s/runtime/%s", data_dir, oci_runtime_kind_name((enum oci_runtime_kind)k));
        r->have[k] = oci_runtime_open(&r->rt[k], (enum oci_runtime_kind)k, p, &e2) == 0;
    }
    if (r->have[OCI_RUNTIME_CRUN])
        seccomp_cache_set_runtime(&r->seccomp, r->rt[OCI_RUNTIME_CRUN].path);
    if (!r->have[OCI_RUNTIME_RUNC] && !r->have[OCI_RUNTIME_CRUN])
        return error_set(err, ERR_NOT_FOUND, "neither runc nor crun is installed");
    if (cgroups_open(&r->cg, NULL, cgroup_parent, err) < 0)
        return -1;
    if (cgroups_count_io(&r->cg, data_dir, &e2) < 0)
        log_debug("block I/O of containers may go uncounted: %s", e2.msg);
    return 0;
}

void runtime_close(struct runtime *r) { seccomp_cache_free(&r->seccomp); }

/* Our record of a container. */
struct record {
    enum oci_runtime_kind runtime;
    char uuid[40];
    char cgroups_path[256];
    int stop_signal;
    bool started;
};

static int record_write(struct runtime *r, const char *id, const struct record *rec, struct error *err)
{
    char p[PATH_MAX];
    if (runtime_path(r, id, STATE_FILE, p, sizeof(p), err) < 0)
        return -1;
    _cleanup_json_ json_t *j =
        json_pack("{s:s, s:s, s:s, s:s, s:i, s:b}", "id", id, "runtime", oci_runtime_kind_name(rec->runtime), "uuid",
                  rec->uuid, "cgroupsPath", rec->cgroups_path, "stopSignal", rec->stop_signal, "started", rec->started);
    _cleanup_free_ char *text = jsondump_utf8(j, NULL);
    if (!text)
        return error_set(err, ERR_INTERNAL, "cannot serialise state");
    return fs_replace_file(p, text, strlen(text), err);
}

static int record_read(struct runtime *r, const char *id, struct record *ret, struct error *err)
{
    char p[PATH_MAX];
    if (runtime_path(r, id, STATE_FILE, p, sizeof(p), err) < 0)
        return -1;
    _cleanup_free_ char *text = NULL;
    if (fs_read_file(p, LIMIT_STATE_FILE, &text, NULL, err) < 0) {
        if (err && err->kind == ERR_NOT_FOUND)
            error_set(err, ERR_NOT_FOUND, "no such container: %s", id);
        return -1;
    }
    json_error_t jerr;
    _cleanup_json_ json_t *j = json_loads(text, 0, &jerr);
    const char *rt = NULL, *uuid = NULL, *cgp = NULL;
    int sig = SIGTERM, started = 0;
    if (!j || json_unpack(j, "{s:s, s:s, s:s, s:i, s:b}", "runtime", &rt, "uuid", &uuid, "cgroupsPath", &cgp,
                          "stopSignal", &sig, "started", &started) < 0)
        return error_set(err, ERR_INTERNAL, "%s is damaged", p);
    struct record rec = {.stop_signal = sig, .started = started};
    if (oci_runtime_kind_parse(rt, &rec.runtime) < 0)
        return error_set(err, ERR_INTERNAL, "%s names an unknown runtime", p);
    snprintf(rec.uuid, sizeof(rec.uuid), "%s", uuid);
    snprintf(rec.cgroups_path, sizeof(rec.cgroups_path), "%s", cgp);
    *ret = rec;
    return 0;
}

static const struct oci_runtime *runtime_of(struct runtime *r, enum oci_runtime_kind k, struct error *err)
{
    if (!r->have[k]) {
        error_set(err, ERR_NOT_FOUND, "%s is not installed", oci_runtime_kind_name(k));
        return NULL;
    }
    return &r->rt[k];
}

/* Read a small integer file; -1 with ERR_NOT_FOUND when missing. */
static int read_int_file(const char *path, long *ret, struct error *err)
{
    _cleanup_free_ char *text = NULL;
    if (fs_read_file(path, 64, &text, NULL, err) < 0)
        return -1;
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text)
        return error_set(err, ERR_IO, "%s does not hold a number", path);
    *ret = v;
    return 0;
}

/* Is pid alive (not a zombie waiting for its reaper) and running the
 * program comm?  Guards against pid reuse after a reboot or a long absence. */
static bool pid_is(pid_t pid, const char *comm)
{
    if (pid <= 1)
        return false;
    char p[64], buf[512];
    snprintf(p, sizeof(p), "/proc/%d/stat", (int)pid);
    _cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    /* "PID (COMM) STATE ..."; COMM may itself hold ") ", so take the last. */
    char *open_paren = strchr(buf, '(');
    char *close_paren = strrchr(buf, ')');
    if (!open_paren || !close_paren || close_paren < open_paren || close_paren[1] != ' ')
        return false;
    char state = close_paren[2];
    if (state == 'Z' || state == 'X' || state == 'x')
        return false;
    *close_paren = '\0';
    return !comm || strcmp(open_paren + 1, comm) == 0;
}

static void cleanup_failed_create(struct runtime *r, const char *id, const struct oci_runtime *oc, const char *cgpath,
                                  const char *uuid)
{
    struct error e;
    char p[PATH_MAX];
    if (oc)
        oci_runtime_delete(oc, id, true, &e);
    if (uuid && *uuid) {
        snprintf(p, sizeof(p), "%s/sock/%s", r->data_dir, uuid);
        unlink(p);
    }
    if (cgpath && *cgpath)
        cgroups_remove_path(&r->cg, cgpath, &e);
    if (runtime_path(r, id, "rootfs", p, sizeof(p), &e) == 0)
        overlay_unmount(p, &e);
    if (runtime_path(r, id, NULL, p, sizeof(p), &e) == 0)
        fs_rmtree(p, &e);
}

/* dir/rootfs: the layers under a fresh upper dir, mounted. */
static int mount_root(const char *dir, const struct runtime_run_opts *o, char *rootfs, size_t cap, struct error *err)
{
    char upper[PATH_MAX], work[PATH_MAX];
    snprintf(rootfs, cap, "%s/rootfs", dir);
    snprintf(upper, sizeof(upper), "%s/upper", dir);
    snprintf(work, sizeof(work), "%s/work", dir);
    if (mkdir(rootfs, 0755) < 0 || mkdir(upper, 0755) < 0 || mkdir(work, 0700) < 0)
        return error_sys(err, "mkdir in %s", dir);
    return overlay_mount(o->lower, o->n_lower, upper, work, rootfs, err);
}

/* Everything in dir before conmon runs: the root, the /etc files, the
 * bundle and our record (cgroups path and uuid filled into *rec).  For
 * crun, seccomp_key is the profile's key in r->seccomp ("" without one)
 * and *ret_seccomp_cached whether the bundle carries its BPF. */
static int prepare_bundle(struct runtime *r, const char *id, const char *dir, const struct ctr_spec *spec,
                          const struct runtime_run_opts *o, struct record *rec, char seccomp_key[65],
                          bool *ret_seccomp_cached, struct error *err)
{
    char rootfs[PATH_MAX];
    if (mount_root(dir, o, rootfs, sizeof(rootfs), err) < 0)
        return -1;
    struct userdb_user user;
    if (userdb_resolve_in_root(spec->user, rootfs, &user, err) < 0)
        return -1;

    struct ctr_spec s = *spec;
    char hosts[PATH_MAX], resolv[PATH_MAX], hostname[PATH_MAX];
    if (o->etc) {
        if (etcfiles_write(dir, o->etc, err) < 0)
            return -1;
        snprintf(hosts, sizeof(hosts), "%s/hosts", dir);
        snprintf(resolv, sizeof(resolv), "%s/resolv.conf", dir);
        snprintf(hostname, sizeof(hostname), "%s/hostname", dir);
        s.hosts_file = hosts;
        s.resolv_file = resolv;
        s.hostname_file = hostname;
    }
    /* Without a task the container still gets a cgroup of its own under
     * ours, so that removal and OOM detection work the same way. */
    if (cgroups_container_path(&r->cg, o->task_id ? o->task_id : id, id, rec->cgroups_path, sizeof(rec->cgroups_path),
                               err) < 0)
        return -1;
    s.cgroups_path = rec->cgroups_path;
    _cleanup_json_ json_t *cfg = NULL;
    if (bundle_config(&s, &user, &cfg, err) < 0)
        return -1;
    if (o->runtime == OCI_RUNTIME_CRUN)
        *ret_seccomp_cached = seccomp_cache_annotate(&r->seccomp, cfg, seccomp_key);
    if (bundle_write(dir, cfg, err) < 0)
        return -1;
    if (ids_random_hex(rec->uuid, 16) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness for a uuid");
    return record_write(r, id, rec, err);
}

/* What conmon runs as the runtime: its path and leading arguments. */
struct conmon_runtime {
    const char *path;
    const char *args[OCI_RUNTIME_MAX_PREFIX];
    size_t n_args;
};

/* Have conmon run `create` (or, through the shim, `run --detach`) for the
 * bundle in dir. */
static int create_with_conmon(struct runtime *r, const char *id, const char *dir, const struct conmon_runtime *cr,
                              const struct record *rec, int64_t log_size_max, pid_t *ret_pid, struct error *err)
{
    char pidfile[PATH_MAX], cpidfile[PATH_MAX], logp[PATH_MAX], errp[PATH_MAX], sockdir[PATH_MAX];
    snprintf(pidfile, sizeof(pidfile), "%s/pid", dir);
    snprintf(cpidfile, sizeof(cpidfile), "%s/conmon.pid", dir);
    snprintf(logp, sizeof(logp), "%s/ctr.log", dir);
    snprintf(errp, sizeof(errp), "%s/conmon.err", dir);
    snprintf(sockdir, sizeof(sockdir), "%s/sock", r->data_dir);
    struct conmon_opts co = {
        .conmon_path = r->conmon,
        .id = id,
        .uuid = rec->uuid,
        .bundle = dir,
        .pidfile = pidfile,
        .conmon_pidfile = cpidfile,
        .log_path = logp,
        .log_size_max = log_size_max,
        .persist_dir = dir,
        .socket_dir = sockdir,
        .stderr_path = errp,
        .runtime_path = cr->path,
        .runtime_args = cr->args,
        .n_runtime_args = cr->n_args,
    };
    return conmon_create(&co, LIMIT_CREATE_TIMEOUT_SEC * USEC_PER_SEC, ret_pid, err);
}

/* The runtime's `start` of a created container, and our record of it. */
static int start_created(struct runtime *r, const char *id, struct error *err)
{
    struct record rec;
    if (record_read(r, id, &rec, err) < 0)
        return -1;
    const struct oci_runtime *oc = runtime_of(r, rec.runtime, err);
    if (!oc)
        return -1;
    usec_t t0 = time_monotonic();
    if (oci_runtime_start(oc, id, err) < 0)
        return -1;
    log_debug("container %s: %s start %.1f ms", id, oci_runtime_kind_name(rec.runtime),
              (double)(time_monotonic() - t0) / USEC_PER_MSEC);
    rec.started = true;
    return record_write(r, id, &rec, err);
}

/* Bundle, conmon and the runtime's create, or its `run --detach` where
 * the shim makes that cheap (*ret_started then true). */
static int create_container(struct runtime *r, const char *id, const struct ctr_spec *spec,
                            const struct runtime_run_opts *o, bool *ret_started, pid_t *ret_pid, struct error *err)
{
    const struct oci_runtime *oc = runtime_of(r, o->runtime, err);
    if (!oc)
        return -1;
    struct conmon_runtime cr;
    /* A run-mode container is recorded as started from the first: it
     * exists only once the runtime has started it. */
    struct record rec = {.runtime = o->runtime, .stop_signal = SIGTERM};
    rec.started = oci_runtime_conmon_runtime(oc, true, &cr.path, cr.args, &cr.n_args);
    if (o->stop_signal) {
        rec.stop_signal = runtime_parse_signal(o->stop_signal);
        if (rec.stop_signal < 0)
            return error_set(err, ERR_INVALID, "unknown stop signal \"%s\"", o->stop_signal);
    }
    char dir[PATH_MAX];
    if (runtime_path(r, id, NULL, dir, sizeof(dir), err) < 0)
        return -1;
    usec_t t0 = time_monotonic();
    if (mkdir(dir, 0700) < 0) {
        if (errno == EEXIST)
            return error_set(err, ERR_CONFLICT, "container %s already exists", id);
        return error_sys(err, "mkdir %s", dir);
    }
    char seccomp_key[65] = "";
    bool seccomp_cached = false;
    if (prepare_bundle(r, id, dir, spec, o, &rec, seccomp_key, &seccomp_cached, err) < 0) {
        cleanup_failed_create(r, id, NULL, rec.cgroups_path, rec.uuid);
        return error_prefix(err, "container %s", id);
    }
    pid_t pid;
    usec_t t1 = time_monotonic();
    if (o->ret_bundle_ready)
        *o->ret_bundle_ready = t1;
    if (create_with_conmon(r, id, dir, &cr, &rec, o->log_size_max, &pid, err) < 0) {
        error_prefix(err, "container %s", id);
        cleanup_failed_create(r, id, oc, rec.cgroups_path, rec.uuid);
        if (seccomp_cached)
            seccomp_cache_forget(&r->seccomp, seccomp_key);
        return -1;
    }
    if (seccomp_key[0] && !seccomp_cached) {
        char bpf[PATH_MAX];
        snprintf(bpf, sizeof(bpf), "%s/%s/seccomp.bpf", oc->root, id);
        seccomp_cache_learn(&r->seccomp, seccomp_key, bpf);
    }
    log_debug("container %s: root+bundle %.1f ms, conmon+%s %s %.1f ms", id, (double)(t1 - t0) / USEC_PER_MSEC,
              oci_runtime_kind_name(o->runtime), rec.started ? "run" : "create",
              (double)(time_monotonic() - t1) / USEC_PER_MSEC);
    if (ret_pid)
        *ret_pid = pid;
    *ret_started = rec.started;
    return 0;
}

int runtime_run(struct runtime *r, const char *id, const struct ctr_spec *spec, const struct runtime_run_opts *o,
                pid_t *ret_pid, struct error *err)
{
    bool started;
    if (create_container(r, id, spec, o, &started, ret_pid, err) < 0)
        return -1;
    if (o->ret_created)
        *o->ret_created = time_monotonic();
    if (!started && start_created(r, id, err) < 0) {
        struct error e2;
        runtime_delete(r, id, &e2);
        return -1;
    }
    return 0;
}

int runtime_status(struct runtime *r, const char *id, struct runtime_status *ret, struct error *err)
{
    struct record rec;
    if (record_read(r, id, &rec, err) < 0)
        return -1;
    struct runtime_status st = {.runtime = rec.runtime, .exit_code = -1};
    snprintf(st.cgroups_path, sizeof(st.cgroups_path), "%s", rec.cgroups_path);
    char p[PATH_MAX];
    struct error e2;
    long v;
    if (runtime_path(r, id, "exit", p, sizeof(p), err) < 0)
        return -1;
    if (read_int_file(p, &v, &e2) == 0) {
        st.state = RUNTIME_EXITED;
        st.exit_code = (int)v;
        struct stat sb;
        if (stat(p, &sb) == 0)
            st.exited_at = (usec_t)sb.st_mtim.tv_sec * USEC_PER_SEC + sb.st_mtim.tv_nsec / 1000;
    } else {
        long cpid = 0;
        runtime_path(r, id, "conmon.pid", p, sizeof(p), NULL);
        bool conmon_alive = read_int_file(p, &cpid, &e2) == 0 && pid_is((pid_t)cpid, "conmon");
        if (!conmon_alive) {
            /* conmon may have written the exit file between our two looks. */
            runtime_path(r, id, "exit", p, sizeof(p), NULL);
            if (read_int_file(p, &v, &e2) == 0) {
                st.state = RUNTIME_EXITED;
                st.exit_code = (int)v;
            } else {
                st.state = RUNTIME_LOST;
            }
        } else {
            runtime_path(r, id, "pid", p, sizeof(p), NULL);
            if (read_int_file(p, &v, &e2) == 0)
                st.pid = (pid_t)v;
            /* A container run in one call is recorded as started before
             * the runtime has made it: running once it has a pid. */
            st.state = rec.started && st.pid > 0 ? RUNTIME_RUNNING : RUNTIME_CREATED;
        }
    }
    uint64_t kills = 0;
    if (cgroups_oom_kills(&r->cg, rec.cgroups_path, &kills, &e2) == 0 && kills > 0)
        st.oom_killed = true;
    /* conmon's own record, should the cgroup be gone already */
    runtime_path(r, id, "oom", p, sizeof(p), NULL);
    if (access(p, F_OK) == 0)
        st.oom_killed = true;
    *ret = st;
    return 0;
}

int runtime_wait(struct runtime *r, const char *id, usec_t deadline, struct runtime_status *ret, struct error *err)
{
    char dir[PATH_MAX];
    if (runtime_path(r, id, NULL, dir, sizeof(dir), err) < 0)
        return -1;
    _cleanup_close_ int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (in < 0)
        return error_sys(err, "inotify_init1");
    if (inotify_add_watch(in, dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE_SELF) < 0)
        return error_sys(err, "inotify watch %s", dir);
    /* conmon pidfd: if conmon dies without an exit file we must not wait
     * forever (state "lost"). */
    _cleanup_close_ int cfd = -1;
    for (;;) {
        struct runtime_status st;
        if (runtime_status(r, id, &st, err) < 0)
            return -1;
        if (st.state == RUNTIME_EXITED || st.state == RUNTIME_LOST) {
            *ret = st;
            return 0;
        }
        if (cfd < 0) {
            char p[PATH_MAX];
            long cpid;
            struct error e2;
            runtime_path(r, id, "conmon.pid", p, sizeof(p), NULL);
            if (read_int_file(p, &cpid, &e2) == 0)
                cfd = (int)syscall(SYS_pidfd_open, (pid_t)cpid, 0);
        }
        int timeout_ms = -1;
        if (deadline > 0) {
            usec_t left = deadline - time_monotonic();
            if (left <= 0)
                return 1;
            timeout_ms = (int)((left + 999) / 1000);
        }
        struct pollfd pf[2] = {{.fd = in, .events = POLLIN}, {.fd = cfd, .events = POLLIN}};
        int n = poll(pf, 2, timeout_ms);
        if (n < 0 && errno != EINTR)
            return error_sys(err, "poll");
        if (pf[0].revents & POLLIN) {
            char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
            while (read(in, buf, sizeof(buf)) > 0)
                ;
        }
        if (pf[1].revents & POLLIN) {
            /* conmon exited: the exit file is final now; status decides. */
            close(cfd);
            cfd = -2; /* do not reopen */
            if (runtime_status(r, id, &st, err) < 0)
                return -1;
            if (st.state == RUNTIME_RUNNING || st.state == RUNTIME_CREATED)
                st.state = RUNTIME_LOST;
            *ret = st;
            return 0;
        }
    }
}

int runtime_kill(struct runtime *r, const char *id, int sig, struct error *err)
{
    struct runtime_status st;
    if (runtime_status(r, id, &st, err) < 0)
        return -1;
    if (st.state == RUNTIME_EXITED || st.state == RUNTIME_LOST)
        return 0;
    const struct oci_runtime *oc = runtime_of(r, st.runtime, err);
    if (!oc)
        return -1;
    if (oci_runtime_kill(oc, id, sig, err) < 0) {
        /* It may have exited while we looked. */
        struct error e2;
        if (runtime_status(r, id, &st, &e2) == 0 && st.state != RUNTIME_RUNNING && st.state != RUNTIME_CREATED)
            return 0;
        return -1;
    }
    return 0;
}

int runtime_stop(struct runtime *r, const char *id, usec_t timeout, struct runtime_status *ret, struct error *err)
{
    struct record rec;
    if (record_read(r, id, &rec, err) < 0)
        return -1;
    struct runtime_status st;
    if (runtime_kill(r, id, rec.stop_signal, err) < 0)
        return -1;
    int w = runtime_wait(r, id, time_monotonic() + timeout, &st, err);
    if (w < 0)
        return -1;
    if (w == 1) {
        if (runtime_kill(r, id, SIGKILL, err) < 0)
            return -1;
        w = runtime_wait(r, id, time_monotonic() + LIMIT_RUNTIME_CMD_TIMEOUT_SEC * USEC_PER_SEC, &st, err);
        if (w < 0)
            return -1;
        if (w == 1)
            return error_set(err, ERR_IO, "container %s did not exit after SIGKILL", id);
    }
    if (ret)
        *ret = st;
    return 0;
}

int runtime_exec_prepare(struct runtime *r, const char *id, const char *const *argv, size_t argc, bool terminal,
                         struct runtime_exec_files *ret, struct error *err)
{
    struct runtime_status st;
    if (runtime_status(r, id, &st, err) < 0)
        return -1;
    if (st.state != RUNTIME_RUNNING)
        return error_set(err, ERR_CONFLICT, "container %s is %s, not running", id, runtime_state_name(st.state));
    const struct oci_runtime *oc = runtime_of(r, st.runtime, err);
    if (!oc)
        return -1;
    if (argc == 0)
        return error_set(err, ERR_INVALID, "exec needs a command");
    /* The container's own process settings with our args: runc would
     * inherit them, crun would not, so both get them explicitly. */
    char p[PATH_MAX];
    if (runtime_path(r, id, "config.json", p, sizeof(p), err) < 0)
        return -1;
    _cleanup_free_ char *text = NULL;
    if (fs_read_file(p, LIMIT_STATE_FILE, &text, NULL, err) < 0)
        return -1;
    json_error_t jerr;
    _cleanup_json_ json_t *cfg = json_loads(text, 0, &jerr);
    json_t *proc = cfg ? json_object_get(cfg, "process") : NULL;
    if (!json_is_object(proc))
        return error_set(err, ERR_INTERNAL, "%s has no process", p);
    json_t *args = json_array();
    for (size_t i = 0; i < argc; i++)
        json_array_append_new(args, json_string(argv[i]));
    json_object_set_new(proc, "args", args);
    json_object_set_new(proc, "terminal", json_boolean(terminal));
    json_object_del(proc, "consoleSize");
    _cleanup_free_ char *ptext = jsondump_utf8(proc, NULL);
    if (!ptext)
        return error_set(err, ERR_INTERNAL, "cannot serialise the exec process");

    /* Files per exec: health checks and a user's exec may overlap. */
    char rnd[17], name[64];
    if (ids_random_hex(rnd, 8) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness");
    snprintf(name, sizeof(name), "exec-%s.pid", rnd);
    if (runtime_path(r, id, name, ret->pidfile, sizeof(ret->pidfile), err) < 0)
        return -1;
    snprintf(name, sizeof(name), "exec-%s.json", rnd);
    if (runtime_path(r, id, name, ret->procfile, sizeof(ret->procfile), err) < 0)
        return -1;
    if (fs_replace_file(ret->procfile, ptext, strlen(ptext), err) < 0)
        return -1;
    ret->oc = oc;
    return 0;
}

void runtime_exec_cleanup(struct runtime_exec_files *f)
{
    if (f->procfile[0])
        unlink(f->procfile);
    if (f->pidfile[0])
        unlink(f->pidfile);
}

int runtime_exec(struct runtime *r, const char *id, const char *const *argv, size_t argc, usec_t timeout, int stdout_fd,
                 int stderr_fd, int *ret_exit, bool *ret_timed_out, struct error *err)
{
    struct runtime_exec_files f = {0};
    if (runtime_exec_prepare(r, id, argv, argc, false, &f, err) < 0)
        return -1;
    bool timed_out = false;
    int rc =
        oci_runtime_exec(f.oc, id, f.procfile, timeout, stdout_fd, stderr_fd, f.pidfile, ret_exit, &timed_out, err);
    runtime_exec_cleanup(&f);
    if (ret_timed_out)
        *ret_timed_out = timed_out;
    return rc;
}

/* Wait (bounded) for conmon to exit after the container did, so it is not
 * writing into the directory we are about to remove. */
static void wait_conmon_gone(struct runtime *r, const char *id)
{
    char p[PATH_MAX];
    long cpid;
    struct error e;
    if (runtime_path(r, id, "conmon.pid", p, sizeof(p), &e) < 0 || read_int_file(p, &cpid, &e) < 0)
        return;
    if (!pid_is((pid_t)cpid, "conmon"))
        return;
    _cleanup_close_ int fd = (int)syscall(SYS_pidfd_open, (pid_t)cpid, 0);
    if (fd < 0)
        return;
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    while (poll(&pf, 1, LIMIT_RUNTIME_CMD_TIMEOUT_SEC * 1000) < 0 && errno == EINTR)
        ;
}

/* A directory without a record: a create that died half way (our process
 * was killed between mkdir and writing berth.json).  Nothing was started,
 * so unmounting and removing is all there is to do. */
static int delete_partial(struct runtime *r, const char *id, struct error *err)
{
    char p[PATH_MAX];
    struct stat sb;
    if (runtime_path(r, id, NULL, p, sizeof(p), err) < 0)
        return -1;
    if (stat(p, &sb) < 0)
        return error_set(err, ERR_NOT_FOUND, "no such container: %s", id);
    if (runtime_path(r, id, "rootfs", p, sizeof(p), err) < 0 || overlay_unmount(p, err) < 0)
        return -1;
    if (runtime_path(r, id, NULL, p, sizeof(p), err) < 0)
        return -1;
    return fs_rmtree(p, err);
}

int runtime_delete(struct runtime *r, const char *id, struct error *err)
{
    struct record rec;
    if (record_read(r, id, &rec, err) < 0)
        return err && err->kind == ERR_NOT_FOUND ? delete_partial(r, id, err) : -1;
    const struct oci_runtime *oc = runtime_of(r, rec.runtime, err);
    if (!oc)
        return -1;
    struct runtime_status st;
    if (runtime_status(r, id, &st, err) < 0)
        return -1;
    if (st.state == RUNTIME_RUNNING || st.state == RUNTIME_CREATED) {
        if (runtime_kill(r, id, SIGKILL, err) < 0)
            return -1;
        int w = runtime_wait(r, id, time_monotonic() + LIMIT_RUNTIME_CMD_TIMEOUT_SEC * USEC_PER_SEC, &st, err);
        if (w != 0)
            return w < 0 ? -1 : error_set(err, ERR_IO, "container %s did not exit after SIGKILL", id);
    }
    wait_conmon_gone(r, id);
    if (oci_runtime_delete(oc, id, true, err) < 0)
        return -1;
    /* The runtime removes the container cgroup; this catches what it left
     * (a create that never started, a runtime killed mid-delete). */
    if (cgroups_remove_path(&r->cg, rec.cgroups_path, err) < 0)
        return -1;
    char p[PATH_MAX];
    if (runtime_path(r, id, "rootfs", p, sizeof(p), err) < 0 || overlay_unmount(p, err) < 0)
        return -1;
    char link[PATH_MAX];
    snprintf(link, sizeof(link), "%s/sock/%s", r->data_dir, rec.uuid);
    if (unlink(link) < 0 && errno != ENOENT)
        return error_sys(err, "unlink %s", link);
    if (runtime_path(r, id, NULL, p, sizeof(p), err) < 0)
        return -1;
    return fs_rmtree(p, err);
}

void runtime_list_free(char **ids, size_t n)
{
    if (!ids)
        return;
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int runtime_list(struct runtime *r, char ***ret, size_t *ret_n, struct error *err)
{
    char p[PATH_MAX];
    snprintf(p, sizeof(p), "%s/containers", r->data_dir);
    DIR *d = opendir(p);
    if (!d)
        return error_sys(err, "open %s", p);
    char **ids = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *de;
    for (;;) {
        de = readdir(d);
        if (!de)
            break;
        if (!runtime_id_valid(de->d_name))
            continue;
        if (n == LIMIT_CTR_LIST) {
            rc = error_set(err, ERR_LIMIT, "more than %d containers in %s", LIMIT_CTR_LIST, p);
            break;
        }
        if (array_reserve(&ids, &cap, n + 1, sizeof(*ids)) < 0) {
            rc = error_set(err, ERR_INTERNAL, "out of memory");
            break;
        }
        ids[n] = strdup(de->d_name);
        if (!ids[n]) {
            rc = error_set(err, ERR_INTERNAL, "out of memory");
            break;
        }
        n++;
    }
    closedir(d);
    if (rc < 0) {
        runtime_list_free(ids, n);
        return -1;
    }
    if (n > 1)
        qsort(ids, n, sizeof(*ids), cmp_str);
    *ret = ids;
    *ret_n = n;
    return 0;
}
