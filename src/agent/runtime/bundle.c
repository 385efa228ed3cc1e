/* bundle.c - container spec -> OCI runtime config.json.
 *
 * The defaults are Docker's, because ECS task definitions are written for
 * Docker: its default capability set, its masked and read-only /proc and
 * /sys paths, its /dev, /dev/shm (64 MiB) and cgroup mounts, and its device
 * cgroup allow list, its seccomp profile (seccomp_default.c) and
 * no-new-privileges.  `privileged` lifts all of that.  Whether a spec may
 * ask for privileges at all is decided before (task/host_policy.c).  Not
 * done here: AppArmor/SELinux labels, user namespaces.  Pure apart from
 * bundle_write(), uname() and the stat() of devices the spec names. */
#include "agent/runtime/bundle.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "agent/runtime/seccomp_default.h"
#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/jsondump.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define INIT_DEST "/sbin/berth-init"

static const struct {
    const char *ecs;
    const char *oci;
} rlimit_table[] = {
    {"core", "RLIMIT_CORE"},         {"cpu", "RLIMIT_CPU"},
    {"data", "RLIMIT_DATA"},         {"fsize", "RLIMIT_FSIZE"},
    {"locks", "RLIMIT_LOCKS"},       {"memlock", "RLIMIT_MEMLOCK"},
    {"msgqueue", "RLIMIT_MSGQUEUE"}, {"nice", "RLIMIT_NICE"},
    {"nofile", "RLIMIT_NOFILE"},     {"nproc", "RLIMIT_NPROC"},
    {"rss", "RLIMIT_RSS"},           {"rtprio", "RLIMIT_RTPRIO"},
    {"rttime", "RLIMIT_RTTIME"},     {"sigpending", "RLIMIT_SIGPENDING"},
    {"stack", "RLIMIT_STACK"},
};

const char *bundle_rlimit_type(const char *ecs_name)
{
    for (size_t i = 0; i < ELEMENTSOF(rlimit_table); i++)
        if (strcmp(rlimit_table[i].ecs, ecs_name) == 0)
            return rlimit_table[i].oci;
    return NULL;
}

uint64_t bundle_cpu_shares(int64_t units)
{
    if (units < 2)
        return 2;
    if (units > 262144)
        return 262144;
    return (uint64_t)units;
}

/* Every capability the kernel headers of this era know, in number order. */
static const char *const all_caps[] = {
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
};
#define N_CAPS ELEMENTSOF(all_caps)

/* Docker's default set. */
static const char *const default_caps[] = {
    "CHOWN",  "DAC_OVERRIDE", "FSETID",  "FOWNER",           "MKNOD",      "NET_RAW", "SETGID",
    "SETUID", "SETFCAP",      "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL",    "AUDIT_WRITE",
};

static const char *const masked_paths[] = {
    "/proc/asound",
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
};
static const char *const readonly_paths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

/* Docker's device cgroup allow list: mknod of anything, and the usual nodes. */
static const struct {
    char type;
    int64_t major, minor; /* -1: wildcard */
    const char *access;
} default_devices[] = {
    {'c', -1, -1, "m"}, {'b', -1, -1, "m"}, {'c', 1, 3, "rwm"},    {'c', 1, 5, "rwm"},
    {'c', 1, 7, "rwm"}, {'c', 1, 8, "rwm"}, {'c', 1, 9, "rwm"},    {'c', 5, 0, "rwm"},
    {'c', 5, 1, "rwm"}, {'c', 5, 2, "rwm"}, {'c', 136, -1, "rwm"}, {'c', 10, 200, "rwm"},
};

/* Index of a capability name (with or without CAP_), or -1. */
static int cap_index(const char *name)
{
    if (strncasecmp(name, "CAP_", 4) == 0)
        name += 4;
    for (size_t i = 0; i < N_CAPS; i++)
        if (strcasecmp(all_caps[i], name) == 0)
            return (int)i;
    return -1;
}

bool bundle_cap_is_default(const char *name)
{
    if (strncasecmp(name, "CAP_", 4) == 0)
        name += 4;
    for (size_t i = 0; i < ELEMENTSOF(default_caps); i++)
        if (strcasecmp(default_caps[i], name) == 0)
            return true;
    return false;
}

static int compute_caps(const struct ctr_spec *s, bool set[N_CAPS], struct error *err)
{
    memset(set, 0, N_CAPS * sizeof(bool));
    if (s->privileged) {
        /* All the agent itself may hold, as Docker: a host (or an outer
         * container) without, say, SYS_RESOURCE cannot grant it, and
         * asking for it makes the runtime fail. */
        for (size_t i = 0; i < N_CAPS; i++)
            set[i] = prctl(PR_CAPBSET_READ, (unsigned long)i, 0, 0, 0) == 1;
        return 0;
    }
    for (size_t i = 0; i < ELEMENTSOF(default_caps); i++)
        set[cap_index(default_caps[i])] = true;
    /* Docker applies drops then adds; "ALL" works on both sides. */
    for (size_t i = 0; i < s->n_cap_drop; i++) {
        if (strcasecmp(s->cap_drop[i], "ALL") == 0) {
            memset(set, 0, N_CAPS * sizeof(bool));
            continue;
        }
        int c = cap_index(s->cap_drop[i]);
        if (c < 0)
            return error_set(err, ERR_INVALID, "unknown capability \"%s\" in drop", s->cap_drop[i]);
        set[c] = false;
    }
    for (size_t i = 0; i < s->n_cap_add; i++) {
        if (strcasecmp(s->cap_add[i], "ALL") == 0) {
            for (size_t j = 0; j < N_CAPS; j++)
                set[j] = true;
            continue;
        }
        int c = cap_index(s->cap_add[i]);
        if (c < 0)
            return error_set(err, ERR_INVALID, "unknown capability \"%s\" in add", s->cap_add[i]);
        set[c] = true;
    }
    return 0;
}

static json_t *str_array(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

static json_t *mount_new(const char *dest, const char *type, const char *source, const char *const *opts, size_t n)
{
    json_t *m = json_pack("{s:s, s:s, s:s}", "destination", dest, "type", type, "source", source);
    json_object_set_new(m, "options", str_array(opts, n));
    return m;
}

static bool env_has(const struct ctr_spec *s, const char *key)
{
    size_t kl = strlen(key);
    for (size_t i = 0; i < s->n_env; i++)
        if (strncmp(s->env[i], key, kl) == 0 && s->env[i][kl] == '=')
            return true;
    return false;
}

static json_t *build_process(const struct ctr_spec *s, const struct userdb_user *u, const bool caps[N_CAPS],
                             struct error *err)
{
    if (s->n_args == 0) {
        error_set(err, ERR_INVALID, "the container has no command (entryPoint and command are empty)");
        return NULL;
    }
    json_t *args = json_array();
    if (s->init_path) {
        json_array_append_new(args, json_string(INIT_DEST));
        json_array_append_new(args, json_string("--"));
    }
    for (size_t i = 0; i < s->n_args; i++)
        json_array_append_new(args, json_string(s->args[i]));

    json_t *env = json_array();
    if (!env_has(s, "PATH"))
        json_array_append_new(env, json_string(DEFAULT_PATH));
    if (s->hostname && !env_has(s, "HOSTNAME")) {
        char buf[320];
        snprintf(buf, sizeof(buf), "HOSTNAME=%s", s->hostname);
        json_array_append_new(env, json_string(buf));
    }
    if (!env_has(s, "HOME")) {
        char buf[320];
        snprintf(buf, sizeof(buf), "HOME=%s", u->home);
        json_array_append_new(env, json_string(buf));
    }
    for (size_t i = 0; i < s->n_env; i++)
        json_array_append_new(env, json_string(s->env[i]));

    json_t *user = json_pack("{s:I, s:I}", "uid", (json_int_t)u->uid, "gid", (json_int_t)u->gid);
    if (u->n_groups) {
        json_t *g = json_array();
        for (size_t i = 0; i < u->n_groups; i++)
            json_array_append_new(g, json_integer(u->groups[i]));
        json_object_set_new(user, "additionalGids", g);
    }

    json_t *capset = json_array();
    for (size_t i = 0; i < N_CAPS; i++)
        if (caps[i]) {
            char name[64];
            snprintf(name, sizeof(name), "CAP_%s", all_caps[i]);
            json_array_append_new(capset, json_string(name));
        }
    /* Docker gives a non-root user no effective/permitted caps beyond the
     * bounding set; the runtime drops them on setuid anyway, so set
     * bounding, effective and permitted alike.  Inheritable and ambient
     * stay empty, as in Docker since CVE-2022-24769: an exec'd file with
     * inheritable file caps must not gain them. */
    json_t *capabilities = json_pack("{s:O, s:O, s:O, s:[], s:[]}", "bounding", capset, "effective", capset,
                                     "permitted", capset, "inheritable", "ambient");
    json_decref(capset);

    json_t *rlimits = json_array();
    for (size_t i = 0; i < s->n_ulimits; i++) {
        const char *type = bundle_rlimit_type(s->ulimits[i].name);
        if (!type) {
            error_set(err, ERR_INVALID, "unknown ulimit \"%s\"", s->ulimits[i].name);
            json_decref(args);
            json_decref(env);
            json_decref(user);
            json_decref(capabilities);
            json_decref(rlimits);
            return NULL;
        }
        json_array_append_new(rlimits,
                              json_pack("{s:s, s:I, s:I}", "type", type, "soft", (json_int_t)s->ulimits[i].soft, "hard",
                                        (json_int_t)s->ulimits[i].hard));
    }
    return json_pack("{s:b, s:o, s:o, s:o, s:s, s:o, s:o, s:b}", "terminal", 0, "user", user, "args", args, "env", env,
                     "cwd", s->cwd && *s->cwd ? s->cwd : "/", "capabilities", capabilities, "rlimits", rlimits,
                     "noNewPrivileges", !s->privileged);
}

static int add_mounts(const struct ctr_spec *s, json_t *mounts, struct error *err)
{
    static const char *const dev_opts[] = {"nosuid", "strictatime", "mode=755", "size=65536k"};
    static const char *const pts_opts[] = {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"};
    static const char *const mq_opts[] = {"nosuid", "noexec", "nodev"};
    static const char *const sys_opts_ro[] = {"nosuid", "noexec", "nodev", "ro"};
    static const char *const cg_opts_ro[] = {"nosuid", "noexec", "nodev", "relatime", "ro"};
    static const char *const cg_opts_rw[] = {"nosuid", "noexec", "nodev", "relatime", "rw"};

    json_array_append_new(mounts,
                          mount_new("/proc", "proc", "proc", (const char *const[]){"nosuid", "noexec", "nodev"}, 3));
    json_array_append_new(mounts, mount_new("/dev", "tmpfs", "tmpfs", dev_opts, ELEMENTSOF(dev_opts)));
    json_array_append_new(mounts, mount_new("/dev/pts", "devpts", "devpts", pts_opts, ELEMENTSOF(pts_opts)));
    char shm_size[64];
    snprintf(shm_size, sizeof(shm_size), "size=%lldk", (long long)(s->shm_size_mib > 0 ? s->shm_size_mib : 64) * 1024);
    const char *shm_opts[] = {"nosuid", "noexec", "nodev", "mode=1777", shm_size};
    json_array_append_new(mounts, mount_new("/dev/shm", "tmpfs", "shm", shm_opts, ELEMENTSOF(shm_opts)));
    json_array_append_new(mounts, mount_new("/dev/mqueue", "mqueue", "mqueue", mq_opts, ELEMENTSOF(mq_opts)));
    if (s->netns && strcmp(s->netns, "host") == 0) {
        /* A new sysfs needs a new netns; the host's is bound instead. */
        json_array_append_new(
            mounts,
            mount_new("/sys", "bind", "/sys",
                      (const char *const[]){"rbind", "nosuid", "noexec", "nodev", s->privileged ? "rw" : "ro"}, 5));
    } else {
        /* privileged: the first three options only, i.e. read-write */
        json_array_append_new(
            mounts, mount_new("/sys", "sysfs", "sysfs", sys_opts_ro, s->privileged ? 3 : ELEMENTSOF(sys_opts_ro)));
    }
    json_array_append_new(mounts, mount_new("/sys/fs/cgroup", "cgroup", "cgroup",
                                            s->privileged ? cg_opts_rw : cg_opts_ro, ELEMENTSOF(cg_opts_ro)));

    const struct {
        const char *src, *dst;
    } etc[] = {
        {s->hosts_file, "/etc/hosts"}, {s->resolv_file, "/etc/resolv.conf"}, {s->hostname_file, "/etc/hostname"}};
    for (size_t i = 0; i < ELEMENTSOF(etc); i++)
        if (etc[i].src)
            json_array_append_new(
                mounts, mount_new(etc[i].dst, "bind", etc[i].src, (const char *const[]){"rbind", "rprivate"}, 2));
    if (s->init_path)
        json_array_append_new(mounts, mount_new(INIT_DEST, "bind", s->init_path,
                                                (const char *const[]){"bind", "ro", "nosuid", "nodev"}, 4));

    for (size_t i = 0; i < s->n_tmpfs; i++) {
        const struct ctr_tmpfs *t = &s->tmpfs[i];
        if (!t->destination || t->destination[0] != '/')
            return error_set(err, ERR_INVALID, "tmpfs containerPath must be absolute");
        json_t *opts = json_array();
        json_array_append_new(opts, json_string("nosuid"));
        json_array_append_new(opts, json_string("nodev"));
        for (size_t j = 0; j < t->n_options; j++)
            json_array_append_new(opts, json_string(t->options[j]));
        if (t->size_mib > 0) {
            char sz[64];
            snprintf(sz, sizeof(sz), "size=%lldm", (long long)t->size_mib);
            json_array_append_new(opts, json_string(sz));
        }
        json_t *m = json_pack("{s:s, s:s, s:s, s:o}", "destination", t->destination, "type", "tmpfs", "source", "tmpfs",
                              "options", opts);
        json_array_append_new(mounts, m);
    }
    for (size_t i = 0; i < s->n_binds; i++) {
        const struct ctr_bind *b = &s->binds[i];
        if (!b->source || !b->destination || b->destination[0] != '/' || b->source[0] != '/')
            return error_set(err, ERR_INVALID, "bind mount paths must be absolute");
        json_array_append_new(mounts,
                              mount_new(b->destination, "bind", b->source,
                                        (const char *const[]){"rbind", "rprivate", b->readonly ? "ro" : "rw"}, 3));
    }
    return 0;
}

static int add_devices(const struct ctr_spec *s, json_t *linux_, json_t *resources, struct error *err)
{
    json_t *dev_allow = json_array();
    json_object_set_new(resources, "devices", dev_allow);
    if (s->privileged) {
        json_array_append_new(dev_allow, json_pack("{s:b, s:s}", "allow", 1, "access", "rwm"));
    } else {
        json_array_append_new(dev_allow, json_pack("{s:b, s:s}", "allow", 0, "access", "rwm"));
        for (size_t i = 0; i < ELEMENTSOF(default_devices); i++) {
            char t[2] = {default_devices[i].type, 0};
            json_t *d = json_pack("{s:b, s:s, s:s}", "allow", 1, "type", t, "access", default_devices[i].access);
            if (default_devices[i].major >= 0)
                json_object_set_new(d, "major", json_integer(default_devices[i].major));
            if (default_devices[i].minor >= 0)
                json_object_set_new(d, "minor", json_integer(default_devices[i].minor));
            json_array_append_new(dev_allow, d);
        }
    }
    if (s->n_devices == 0)
        return 0;
    json_t *devs = json_array();
    json_object_set_new(linux_, "devices", devs);
    for (size_t i = 0; i < s->n_devices; i++) {
        const struct ctr_device *d = &s->devices[i];
        struct stat st;
        if (!d->host_path || stat(d->host_path, &st) < 0)
            return error_sys(err, "device %s", d->host_path ? d->host_path : "(null)");
        if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
            return error_set(err, ERR_INVALID, "%s is not a device node", d->host_path);
        const char *perm = d->permissions && *d->permissions ? d->permissions : "rwm";
        if (strspn(perm, "rwm") != strlen(perm))
            return error_set(err, ERR_INVALID, "device permissions \"%s\" are not a subset of rwm", perm);
        const char *type = S_ISCHR(st.st_mode) ? "c" : "b";
        json_int_t maj = major(st.st_rdev), min = minor(st.st_rdev);
        json_array_append_new(devs, json_pack("{s:s, s:s, s:I, s:I, s:I, s:i, s:i}", "path",
                                              d->container_path ? d->container_path : d->host_path, "type", type,
                                              "major", maj, "minor", min, "fileMode", (json_int_t)(st.st_mode & 07777),
                                              "uid", 0, "gid", 0));
        json_array_append_new(dev_allow, json_pack("{s:b, s:s, s:I, s:I, s:s}", "allow", 1, "type", type, "major", maj,
                                                   "minor", min, "access", perm));
    }
    return 0;
}

/* Namespaces: one entry each, omitted for "host". */
static void add_ns(json_t *nss, const char *type, const char *how)
{
    if (how && strcmp(how, "host") == 0)
        return;
    json_t *ns = json_pack("{s:s}", "type", type);
    if (how && *how)
        json_object_set_new(ns, "path", json_string(how));
    json_array_append_new(nss, ns);
}

/* Docker's confinement of an unprivileged container: masked and read-only
 * paths, and the seccomp profile for its capability set. */
static void add_confinement(const struct ctr_spec *s, const bool caps[N_CAPS], json_t *linux_)
{
    if (s->privileged)
        return;
    json_object_set_new(linux_, "maskedPaths", str_array(masked_paths, ELEMENTSOF(masked_paths)));
    json_object_set_new(linux_, "readonlyPaths", str_array(readonly_paths, ELEMENTSOF(readonly_paths)));
    const char *granted[N_CAPS];
    size_t n = 0;
    for (size_t i = 0; i < N_CAPS; i++)
        if (caps[i])
            granted[n++] = all_caps[i];
    json_object_set_new(linux_, "seccomp", seccomp_default_profile(granted, n, seccomp_kernel_at_least(4, 8)));
}

/* Annotation namespaces the runtimes act on (crun: run.oci.* loads seccomp
 * plugins and BPF, sends fds to host sockets, writes hook output to host
 * paths; module.wasm.image/ and, in later crun, krun.* pick a handler;
 * org.systemd.property.* sets unit properties; org.opencontainers.* is the
 * spec's own).  A docker label is the task's metadata, never an
 * instruction to the runtime: such labels stay in the task definition but
 * not in the bundle. */
static bool runtime_reserved_label(const char *key)
{
    static const char *const reserved[] = {"run.oci.",  "module.wasm.image/", "org.systemd.",   "org.opencontainers.",
                                           "org.criu.", "io.kubernetes.",     "io.containers.", "krun."};
    for (size_t i = 0; i < ELEMENTSOF(reserved); i++)
        if (strncasecmp(key, reserved[i], strlen(reserved[i])) == 0)
            return true;
    return false;
}

int bundle_config(const struct ctr_spec *s, const struct userdb_user *user, json_t **ret, struct error *err)
{
    bool caps[N_CAPS];
    if (compute_caps(s, caps, err) < 0)
        return -1;
    json_t *process = build_process(s, user, caps, err);
    if (!process)
        return -1;
    _cleanup_json_ json_t *cfg = json_pack("{s:s, s:o, s:{s:s, s:b}}", "ociVersion", "1.0.2", "process", process,
                                           "root", "path", "rootfs", "readonly", s->readonly_rootfs);
    bool host_net = s->netns && strcmp(s->netns, "host") == 0;
    if (s->hostname && *s->hostname && !host_net)
        json_object_set_new(cfg, "hostname", json_string(s->hostname));

    json_t *mounts = json_array();
    json_object_set_new(cfg, "mounts", mounts);
    if (add_mounts(s, mounts, err) < 0)
        return -1;

    json_t *ann = json_object();
    for (size_t i = 0; i < s->n_labels; i++)
        if (!runtime_reserved_label(s->labels[i].key))
            json_object_set_new(ann, s->labels[i].key, json_string(s->labels[i].value ? s->labels[i].value : ""));
    if (json_object_size(ann))
        json_object_set_new(cfg, "annotations", ann);
    else
        json_decref(ann);

    json_t *linux_ = json_object();
    json_object_set_new(cfg, "linux", linux_);
    json_t *resources = json_object();
    json_object_set_new(linux_, "resources", resources);
    if (s->memory_mib > 0 || s->memory_reservation_mib > 0) {
        json_t *mem = json_object();
        if (s->memory_mib > 0)
            json_object_set_new(mem, "limit", json_integer((json_int_t)s->memory_mib * 1024 * 1024));
        if (s->memory_reservation_mib > 0)
            json_object_set_new(mem, "reservation", json_integer((json_int_t)s->memory_reservation_mib * 1024 * 1024));
        json_object_set_new(resources, "memory", mem);
    }
    json_object_set_new(resources, "cpu", json_pack("{s:I}", "shares", (json_int_t)bundle_cpu_shares(s->cpu_units)));
    if (add_devices(s, linux_, resources, err) < 0)
        return -1;
    if (s->cgroups_path)
        json_object_set_new(linux_, "cgroupsPath", json_string(s->cgroups_path));

    json_t *nss = json_array();
    json_object_set_new(linux_, "namespaces", nss);
    add_ns(nss, "pid", s->pidns);
    add_ns(nss, "network", s->netns);
    add_ns(nss, "ipc", s->ipcns);
    if (!host_net)
        add_ns(nss, "uts", NULL);
    add_ns(nss, "mount", NULL);

    add_confinement(s, caps, linux_);
    *ret = TAKE_PTR(cfg);
    return 0;
}

int bundle_write(const char *dir, const json_t *cfg, struct error *err)
{
    char path[PATH_MAX];
    if ((size_t)snprintf(path, sizeof(path), "%s/config.json", dir) >= sizeof(path))
        return error_set(err, ERR_LIMIT, "bundle path too long");
    _cleanup_free_ char *text = jsondump_utf8(cfg, NULL);
    if (!text)
        return error_set(err, ERR_INTERNAL, "cannot serialise config.json");
    return fs_replace_file(path, text, strlen(text), err);
}
