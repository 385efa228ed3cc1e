/* up_registry.c - a docker-registry child for `berth up`. */
#include "cli/up_registry.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "agent/runtime/spawn.h"
#include "common/cleanup.h"
#include "common/fsutil.h"

static bool accepts(const char *host, uint16_t port)
{
    _cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    if (fd < 0 || inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        return false;
    return connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
}

int up_registry_start(const char *dir, const char *host, uint16_t port, struct up_registry *ret, struct error *err)
{
    char prog[4096];
    if (spawn_find_program("docker-registry", prog, sizeof(prog), err) < 0)
        return error_set(err, ERR_NOT_FOUND, "docker-registry is not installed");
    if (accepts(host, port))
        return error_set(err, ERR_CONFLICT, "%s:%u is already in use", host, port);
    char storage[4200], config[8600];
    snprintf(storage, sizeof(storage), "%s/storage", dir);
    if (fs_mkdir_p(storage, 0755, err) < 0)
        return -1;
    int n = snprintf(config, sizeof(config),
                     "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\n"
                     "  delete:\n    enabled: true\nhttp:\n  addr: %s:%u\n",
                     storage, host, port);
    if (fs_write_atomic(dir, "config.yml", config, (size_t)n, err) < 0)
        return -1;
    char cfg_path[4300], log_path[4300];
    snprintf(cfg_path, sizeof(cfg_path), "%s/config.yml", dir);
    snprintf(log_path, sizeof(log_path), "%s/registry.log", dir);
    _cleanup_close_ int log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    const char *argv[] = {prog, "serve", cfg_path, NULL};
    struct spawn_opts o = {.argv = argv, .stdin_fd = -1, .stdout_fd = log_fd, .stderr_fd = log_fd};
    struct up_registry r = {.pid = -1, .pidfd = -1};
    if (spawn_start(&o, &r.pid, &r.pidfd, err) < 0)
        return -1;
    snprintf(r.hostport, sizeof(r.hostport), "%s:%u", host, port);
    /* A child's readiness has no event to wait on; try for up to 10 s. */
    for (int i = 0; i < 200; i++) {
        if (accepts(host, port)) {
            *ret = r;
            return 0;
        }
        int status;
        if (spawn_wait(r.pid, r.pidfd, time_monotonic() + 50 * USEC_PER_MSEC, &status, err) == 0) {
            close(r.pidfd);
            return error_set(err, ERR_IO, "docker-registry exited at start; see %s", log_path);
        }
    }
    spawn_kill_reap(r.pid, r.pidfd);
    close(r.pidfd);
    return error_set(err, ERR_IO, "docker-registry did not start listening; see %s", log_path);
}

int up_registry_seed(const struct up_registry *r, const char *program, struct error *err)
{
    const char *argv[] = {program, r->hostport, NULL};
    struct spawn_opts o = {.argv = argv, .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1};
    char out[4096];
    struct spawn_result res;
    if (spawn_run(&o, 120 * USEC_PER_SEC, out, sizeof(out), NULL, NULL, &res, err) < 0)
        return -1;
    if (spawn_exit_code(res.status) != 0)
        return error_set(err, ERR_IO, "%s exited %d: %.500s", program, spawn_exit_code(res.status), out);
    return 0;
}

void up_registry_stop(struct up_registry *r)
{
    if (!r || r->pid <= 0)
        return;
    kill(r->pid, SIGTERM);
    int status;
    struct error err;
    if (spawn_wait(r->pid, r->pidfd, time_monotonic() + 5 * USEC_PER_SEC, &status, &err) != 0)
        spawn_kill_reap(r->pid, r->pidfd);
    close(r->pidfd);
    r->pid = -1;
}
