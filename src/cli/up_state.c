/* up_state.c - the small files `berth up` keeps beside its state (see
 * up_state.h) and a read-only look at the server's store for the line
 * berth up prints when it resumes.  It never changes the store. */
#include "cli/up_state.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fsutil.h"

static long long count(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    long long n = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

bool up_state_summary(const char *data_dir, char *buf, size_t cap)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/server/berth.db", data_dir);
    if (access(path, R_OK) != 0)
        return false;
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return false;
    }
    sqlite3_busy_timeout(db, 2000);
    long long clusters = count(db, "SELECT count(*) FROM clusters WHERE status = 'ACTIVE'");
    long long services = count(db, "SELECT count(*) FROM services WHERE status = 'ACTIVE'");
    long long tasks = count(db, "SELECT count(*) FROM tasks WHERE last_status != 'STOPPED'");
    long long instances = count(db, "SELECT count(*) FROM container_instances WHERE status != 'DEREGISTERED'");
    sqlite3_close(db);
    if (clusters < 0)
        return false;
    snprintf(buf, cap, "%lld cluster%s, %lld service%s, %lld task%s not stopped, %lld container instance%s", clusters,
             clusters == 1 ? "" : "s", services, services == 1 ? "" : "s", tasks, tasks == 1 ? "" : "s", instances,
             instances == 1 ? "" : "s");
    return true;
}

int up_state_write_pid(const char *data_dir, struct error *err)
{
    char line[32];
    snprintf(line, sizeof(line), "%ld\n", (long)getpid());
    return fs_write_atomic(data_dir, "up.pid", line, strlen(line), err);
}

void up_state_remove_pid(const char *data_dir)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/up.pid", data_dir);
    unlink(path);
}

/* Whether pid is a berth up (not a reused pid of something else). */
static bool is_berth_up(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
    _cleanup_free_ char *cmd = NULL;
    size_t len = 0;
    struct error err;
    if (fs_read_file(path, 4096, &cmd, &len, &err) < 0 || len == 0)
        return false;
    /* argv is NUL-separated: argv[1] must be "up" */
    size_t first = strnlen(cmd, len);
    return first + 1 < len && strcmp(cmd + first + 1, "up") == 0;
}

pid_t up_state_running_pid(const char *data_dir)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/up.pid", data_dir);
    _cleanup_free_ char *data = NULL;
    size_t len = 0;
    struct error err;
    if (fs_read_file(path, 64, &data, &len, &err) < 0)
        return 0;
    char *end = NULL;
    long pid = strtol(data, &end, 10);
    if (end == data || pid <= 1 || pid == (long)getpid())
        return 0;
    if (kill((pid_t)pid, 0) < 0 || !is_berth_up((pid_t)pid))
        return 0;
    return (pid_t)pid;
}

int up_state_save(const char *data_dir, const char *name, const char *value, struct error *err)
{
    char file[64], line[300];
    snprintf(file, sizeof(file), "up.%s", name);
    snprintf(line, sizeof(line), "%s\n", value);
    return fs_write_atomic(data_dir, file, line, strlen(line), err);
}

void up_state_load(const char *data_dir, const char *name, char *buf, size_t cap)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/up.%s", data_dir, name);
    _cleanup_free_ char *data = NULL;
    size_t len = 0;
    struct error err;
    if (fs_read_file(path, 300, &data, &len, &err) < 0)
        return;
    data[strcspn(data, "\n")] = '\0';
    if (*data)
        snprintf(buf, cap, "%s", data);
}

void up_state_stop_registry(const char *data_dir)
{
    char pid_text[32] = "";
    up_state_load(data_dir, "registry-pid", pid_text, sizeof(pid_text));
    char *end = NULL;
    long pid = strtol(pid_text, &end, 10);
    if (end == pid_text || pid <= 1)
        return;
    char path[64];
    snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
    _cleanup_free_ char *cmd = NULL;
    size_t len = 0;
    struct error err;
    if (fs_read_file(path, 8192, &cmd, &len, &err) < 0)
        return;
    for (size_t i = 0; i + 1 < len; i++) /* NUL-separated argv -> one string */
        if (cmd[i] == '\0')
            cmd[i] = ' ';
    /* only the registry serving this data dir, not a reused pid */
    if (strstr(cmd, "docker-registry") && strstr(cmd, data_dir))
        kill((pid_t)pid, SIGTERM);
}

bool up_state_has_mounts(const char *dir, char *ret_where, size_t cap)
{
    FILE *f = fopen("/proc/self/mounts", "re");
    if (!f)
        return false;
    size_t n = strlen(dir);
    char line[8192];
    bool found = false;
    while (!found && fgets(line, sizeof(line), f)) {
        char *target = strchr(line, ' ');
        if (!target)
            continue;
        target++;
        target[strcspn(target, " ")] = '\0';
        /* /proc/mounts escapes spaces as \040; data dirs with spaces are
         * compared escaped, which is good enough to refuse */
        if (strncmp(target, dir, n) == 0 && (target[n] == '\0' || target[n] == '/')) {
            snprintf(ret_where, cap, "%s", target);
            found = true;
        }
    }
    fclose(f);
    return found;
}
