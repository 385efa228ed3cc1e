/* seccomp_default.c - Docker's default seccomp profile as data.
 *
 * Derived from the profile Docker documents (moby's
 * profiles/seccomp/default.json): everything not listed fails with EPERM;
 * a long list is always allowed; some calls are allowed only with the
 * capability they need (mount, unshare, setns with SYS_ADMIN; module
 * loading with SYS_MODULE; ...); clone may not create namespaces without
 * SYS_ADMIN and clone3 answers ENOSYS so that libc falls back to clone.
 * Only the x86 family is written out (berth's agents are x86_64), so the
 * rules for other architectures are left out.  Not done here: deciding
 * whether a container gets a profile (bundle.c: privileged ones do not). */
#include "agent/runtime/seccomp_default.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "common/cleanup.h"

/* Always allowed.  Names a kernel or libseccomp does not know are skipped
 * by the runtime, so 32-bit variants can sit beside 64-bit ones. */
static const char *const allowed[] = {
    "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "capget", "capset", "chdir", "chmod", "chown",
    "chown32", "clock_adjtime", "clock_adjtime64", "clock_getres", "clock_getres_time64", "clock_gettime",
    "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64", "close", "close_range", "connect",
    "copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old",
    "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "execve", "execveat", "exit",
    "exit_group", "faccessat", "faccessat2", "fadvise64", "fadvise64_64", "fallocate", "fanotify_mark", "fchdir",
    "fchmod", "fchmodat", "fchown", "fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync", "fgetxattr", "flistxattr",
    "flock", "fork", "fremovexattr", "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync",
    "ftruncate", "ftruncate64", "futex", "futex_time64", "futex_waitv", "futimesat", "getcpu", "getcwd", "getdents",
    "getdents64", "getegid", "getegid32", "geteuid", "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32",
    "getitimer", "getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority", "getrandom", "getresgid",
    "getresgid32", "getresuid", "getresuid32", "getrlimit", "get_robust_list", "getrusage", "getsid", "getsockname",
    "getsockopt", "get_thread_area", "gettid", "gettimeofday", "getuid", "getuid32", "getxattr", "inotify_add_watch",
    "inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel", "ioctl", "io_destroy", "io_getevents",
    "io_pgetevents", "io_pgetevents_time64", "ioprio_get", "ioprio_set", "io_setup", "io_submit", "io_uring_enter",
    "io_uring_register", "io_uring_setup", "ipc", "kill", "landlock_add_rule", "landlock_create_ruleset",
    "landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link", "linkat", "listen", "listxattr", "llistxattr",
    "_llseek", "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64", "madvise", "membarrier", "memfd_create",
    "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall", "mmap", "mmap2",
    "mprotect", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend",
    "mq_timedsend_time64", "mq_unlink", "mremap", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock",
    "munlockall", "munmap", "name_to_handle_at", "nanosleep", "newfstatat", "_newselect", "open", "openat", "openat2",
    "pause", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll",
    "ppoll", "ppoll_time64", "prctl", "pread64", "preadv", "preadv2", "prlimit64", "process_mrelease", "pselect6",
    "pselect6_time64", "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink", "readlinkat", "readv",
    "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg", "remap_file_pages", "removexattr", "rename",
    "renameat", "renameat2", "restart_syscall", "rmdir", "rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask",
    "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64",
    "rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr", "sched_getparam", "sched_get_priority_max",
    "sched_get_priority_min", "sched_getscheduler", "sched_rr_get_interval", "sched_rr_get_interval_time64",
    "sched_setaffinity", "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select",
    "semctl", "semget", "semop", "semtimedop", "semtimedop_time64", "send", "sendfile", "sendfile64", "sendmmsg",
    "sendmsg", "sendto", "setfsgid", "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups",
    "setgroups32", "setitimer", "setpgid", "setpriority", "setregid", "setregid32", "setresgid", "setresgid32",
    "setresuid", "setresuid32", "setreuid", "setreuid32", "setrlimit", "set_robust_list", "setsid", "setsockopt",
    "set_thread_area", "set_tid_address", "setuid", "setuid32", "setxattr", "shmat", "shmctl", "shmdt", "shmget",
    "shutdown", "sigaltstack", "signalfd", "signalfd4", "sigprocmask", "sigreturn", "socketcall", "socketpair",
    "splice", "stat", "stat64", "statfs", "statfs64", "statx", "symlink", "symlinkat", "sync", "sync_file_range",
    "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime",
    "timer_gettime64", "timer_settime", "timer_settime64", "timerfd_create", "timerfd_gettime", "timerfd_gettime64",
    "timerfd_settime", "timerfd_settime64", "times", "tkill", "truncate", "truncate64", "ugetrlimit", "umask", "uname",
    "unlink", "unlinkat", "utime", "utimensat", "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid",
    "waitpid", "write", "writev",
    /* x86 only: arch_prctl on amd64/x32, modify_ldt on all three */
    "arch_prctl", "modify_ldt", NULL};

#define NAMES(...) ((const char *const[]){__VA_ARGS__, NULL})

/* CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET: the namespace
 * flags clone may not carry without SYS_ADMIN. */
#define CLONE_NAMESPACE_FLAGS 0x7E020000u
#define AF_VSOCK_FAMILY 40
#define ENOSYS_ERRNO 38

enum when {
    ALWAYS,
    WITH_CAP,     /* the container has cap */
    WITHOUT_CAP,  /* the container lacks cap */
    PTRACE_KERNEL /* ptrace is safe: kernel 4.8 or newer */
};

/* Allowed when the container has capability cap. */
#define ALLOW_WITH(cap_, ...)                                                                                          \
    {                                                                                                                  \
        .names = NAMES(__VA_ARGS__), .when = WITH_CAP, .cap = cap_                                                     \
    }
/* Allowed when the first argument passes the test. */
#define ALLOW_IF_ARG0(name, op_, v)                                                                                    \
    {                                                                                                                  \
        .names = NAMES(name), .when = ALWAYS, .op = op_, .index = 0, .value = v                                        \
    }

/* One rule of the profile: names, the condition, and what it does. */
static const struct seccomp_rule {
    const char *const *names;
    enum when when;
    const char *cap;
    const char *action; /* NULL: SCMP_ACT_ALLOW */
    int errno_ret;
    /* Optional argument test (op NULL: none). */
    const char *op;
    unsigned index;
    uint64_t value;
} rules[] = {
    {.names = NAMES("process_vm_readv", "process_vm_writev", "ptrace"), .when = PTRACE_KERNEL},
    ALLOW_IF_ARG0("socket", "SCMP_CMP_NE", AF_VSOCK_FAMILY),
    /* personality: only the harmless personas (Linux, 32-bit, and queries) */
    ALLOW_IF_ARG0("personality", "SCMP_CMP_EQ", 0x0),
    ALLOW_IF_ARG0("personality", "SCMP_CMP_EQ", 0x8),
    ALLOW_IF_ARG0("personality", "SCMP_CMP_EQ", 0x20000),
    ALLOW_IF_ARG0("personality", "SCMP_CMP_EQ", 0x20008),
    ALLOW_IF_ARG0("personality", "SCMP_CMP_EQ", 0xffffffff),
    ALLOW_WITH("DAC_READ_SEARCH", "open_by_handle_at"),
    ALLOW_WITH("SYS_ADMIN", "bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick",
               "lookup_dcookie", "mount", "mount_setattr", "move_mount", "open_tree", "perf_event_open", "quotactl",
               "quotactl_fd", "setdomainname", "sethostname", "setns", "syslog", "umount", "umount2", "unshare"),
    {.names = NAMES("clone"),
     .when = WITHOUT_CAP,
     .cap = "SYS_ADMIN",
     .op = "SCMP_CMP_MASKED_EQ",
     .index = 0,
     .value = CLONE_NAMESPACE_FLAGS},
    {.names = NAMES("clone3"),
     .when = WITHOUT_CAP,
     .cap = "SYS_ADMIN",
     .action = "SCMP_ACT_ERRNO",
     .errno_ret = ENOSYS_ERRNO},
    ALLOW_WITH("SYS_BOOT", "reboot"),
    ALLOW_WITH("SYS_CHROOT", "chroot"),
    ALLOW_WITH("SYS_MODULE", "delete_module", "init_module", "finit_module"),
    ALLOW_WITH("SYS_PACCT", "acct"),
    ALLOW_WITH("SYS_PTRACE", "kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev",
               "ptrace"),
    ALLOW_WITH("SYS_RAWIO", "iopl", "ioperm"),
    ALLOW_WITH("SYS_TIME", "settimeofday", "stime", "clock_settime", "clock_settime64"),
    ALLOW_WITH("SYS_TTY_CONFIG", "vhangup"),
    ALLOW_WITH("SYS_NICE", "get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"),
    ALLOW_WITH("SYSLOG", "syslog"),
    ALLOW_WITH("BPF", "bpf"),
    ALLOW_WITH("PERFMON", "perf_event_open"),
};

static bool has_cap(const char *const *caps, size_t n, const char *cap)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(caps[i], cap) == 0)
            return true;
    return false;
}

static bool rule_applies(const struct seccomp_rule *r, const char *const *caps, size_t n_caps, bool ptrace_always)
{
    switch (r->when) {
    case ALWAYS: return true;
    case WITH_CAP: return has_cap(caps, n_caps, r->cap);
    case WITHOUT_CAP: return !has_cap(caps, n_caps, r->cap);
    case PTRACE_KERNEL: return ptrace_always;
    }
    return false;
}

static json_t *names_array(const char *const *names)
{
    json_t *a = json_array();
    for (size_t i = 0; names[i]; i++)
        json_array_append_new(a, json_string(names[i]));
    return a;
}

static json_t *rule_json(const struct seccomp_rule *r)
{
    json_t *j =
        json_pack("{s:o, s:s}", "names", names_array(r->names), "action", r->action ? r->action : "SCMP_ACT_ALLOW");
    if (r->errno_ret)
        json_object_set_new(j, "errnoRet", json_integer(r->errno_ret));
    if (r->op)
        json_object_set_new(j, "args",
                            json_pack("[{s:I, s:I, s:I, s:s}]", "index", (json_int_t)r->index, "value",
                                      (json_int_t)r->value, "valueTwo", (json_int_t)0, "op", r->op));
    return j;
}

json_t *seccomp_default_profile(const char *const *caps, size_t n_caps, bool ptrace_always)
{
    json_t *syscalls = json_array();
    json_array_append_new(syscalls, json_pack("{s:o, s:s}", "names", names_array(allowed), "action", "SCMP_ACT_ALLOW"));
    for (size_t i = 0; i < ELEMENTSOF(rules); i++)
        if (rule_applies(&rules[i], caps, n_caps, ptrace_always))
            json_array_append_new(syscalls, rule_json(&rules[i]));
    return json_pack("{s:s, s:i, s:[s, s, s], s:o}", "defaultAction", "SCMP_ACT_ERRNO", "defaultErrnoRet", 1,
                     "architectures", "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "syscalls", syscalls);
}

bool seccomp_kernel_at_least(int major, int minor)
{
    struct utsname u;
    int ma = 0, mi = 0;
    if (uname(&u) < 0 || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
        return false;
    return ma > major || (ma == major && mi >= minor);
}
