/* cli_down.c - `berth down`: the clean stop of `berth up` for one that is
 * detached (signalled, and waited for) or was killed (its server and agent
 * are brought back briefly on the data dir to adopt and stop every task it
 * left, then the bridge and nftables tables go with them), and --purge to
 * delete the data dir after that. */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_flags.h"
#include "cli/up_state.h"
#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/log.h"

/* How long a running berth up gets to stop its tasks (each has up to its
 * stopTimeout, 120 s at most in ECS). */
#define DOWN_WAIT_MS (5 * 60 * 1000)

struct down_opts {
    char data[3700];
    bool purge;
    bool yes;
};

static void usage(FILE *f)
{
    fprintf(f, "usage: berth down [--data DIR] [--purge [--yes]]\n"
               "\n"
               "Stops the berth up running on DIR (default as berth up's), as Ctrl-C would, and\n"
               "waits for it; if none runs (it was killed), stops every task it left and removes\n"
               "the network namespaces, mounts, cgroups, bridge and nftables tables they held.\n"
               "--purge then deletes DIR, after asking (--yes: without asking; without a terminal\n"
               "and without --yes, --purge is refused).\n");
}

static const struct cli_flag down_flags[] = {
    {"data", .has_arg = true, .set = cli_flags_set_string, CLI_FIELD(struct down_opts, data)},
    {"purge", .set = cli_flags_set_true, CLI_FIELD(struct down_opts, purge)},
    {"yes", .short_name = 'y', .set = cli_flags_set_true, CLI_FIELD(struct down_opts, yes)},
    {"help", .short_name = 'h'},
};

/* SIGTERM to a running berth up, then wait for it to exit. */
static int stop_running(pid_t pid)
{
    int fd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (fd < 0)
        return errno == ESRCH ? 0 : (fprintf(stderr, "berth down: pidfd_open: %s\n", strerror(errno)), 1);
    printf("berth down: stopping berth up (pid %ld)...\n", (long)pid);
    fflush(stdout);
    if (kill(pid, SIGTERM) < 0 && errno != ESRCH) {
        fprintf(stderr, "berth down: kill %ld: %s\n", (long)pid, strerror(errno));
        close(fd);
        return 1;
    }
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r;
    do
        r = poll(&p, 1, DOWN_WAIT_MS);
    while (r < 0 && errno == EINTR);
    close(fd);
    if (r == 0) {
        fprintf(stderr, "berth down: berth up (pid %ld) did not stop within %d s\n", (long)pid, DOWN_WAIT_MS / 1000);
        return 1;
    }
    return 0;
}

/* Whether the agent under data_dir still holds tasks (DATA/agent/tasks/<id>). */
static bool tasks_left(const char *data_dir)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/agent/tasks", data_dir);
    DIR *d = opendir(path);
    if (!d)
        return false;
    bool any = false;
    for (struct dirent *e = readdir(d); e && !any; e = readdir(d))
        any = e->d_name[0] != '.';
    closedir(d);
    return any;
}

static bool confirm_purge(const struct down_opts *o)
{
    if (o->yes)
        return true;
    if (!isatty(STDIN_FILENO)) {
        fprintf(stderr, "berth down: --purge deletes %s: confirm on a terminal or pass --yes\n", o->data);
        return false;
    }
    printf("Delete %s and everything in it (tasks' state, logs, images, keys)? [y/N] ", o->data);
    fflush(stdout);
    char answer[16] = "";
    if (!fgets(answer, sizeof(answer), stdin))
        return false;
    return answer[0] == 'y' || answer[0] == 'Y';
}

static int purge(const struct down_opts *o)
{
    char where[4200];
    if (up_state_has_mounts(o->data, where, sizeof(where))) {
        fprintf(stderr, "berth down: %s is still mounted: not deleting %s\n", where, o->data);
        return 1;
    }
    struct error err;
    error_clear(&err);
    if (fs_rmtree(o->data, &err) < 0) {
        fprintf(stderr, "berth down: %s\n", err.msg);
        return 1;
    }
    printf("berth down: deleted %s\n", o->data);
    return 0;
}

int cli_down_main(int argc, char **argv)
{
    static const struct cli_flags flags = {down_flags, ELEMENTSOF(down_flags), false, usage};
    struct down_opts o;
    memset(&o, 0, sizeof(o));
    cli_up_default_data_dir(o.data, sizeof(o.data));
    int pr = cli_flags_parse(&flags, argc, argv, &o);
    if (pr != CLI_FLAGS_OK)
        return pr == CLI_FLAGS_HELP ? 0 : 2;
    if (access(o.data, F_OK) != 0) {
        printf("berth down: nothing at %s\n", o.data);
        return 0;
    }
    if (o.purge && !o.yes && !isatty(STDIN_FILENO)) { /* refuse before stopping anything */
        confirm_purge(&o);
        return 2;
    }
    pid_t pid = up_state_running_pid(o.data);
    /* A pid file without its process: berth up was killed, and may have
     * left a bridge and tables even without tasks. */
    char pid_path[4200];
    snprintf(pid_path, sizeof(pid_path), "%s/up.pid", o.data);
    bool crashed = pid <= 0 && access(pid_path, F_OK) == 0;
    int rc = pid > 0 ? stop_running(pid) : 0;
    /* After a crash, or a berth up --keep-tasks: stop what is left. */
    if (rc == 0 && (crashed || tasks_left(o.data)))
        rc = cli_up_stop_leftovers(o.data);
    if (rc != 0)
        return rc;
    printf("berth down: %s is stopped and cleaned up\n", o.data);
    if (!o.purge)
        return 0;
    if (!confirm_purge(&o)) {
        printf("berth down: %s kept\n", o.data);
        return 0;
    }
    return purge(&o);
}
