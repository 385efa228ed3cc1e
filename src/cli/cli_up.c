/* cli_up.c - `berth up`: everything a newcomer needs on one machine, in the
 * foreground until Ctrl-C: the control plane, one local agent running real
 * containers, and (when Debian's docker-registry is installed) a local
 * registry on loopback, optionally seeded with test images.  State lives
 * under one data directory: server/, agent/, registry/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent.h"
#include "cli/cli.h"
#include "cli/cli_flags.h"
#include "cli/cli_util.h"
#include "common/aws_credentials.h"
#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "server/server.h"
#include "cli/up_registry.h"
#include "cli/up_state.h"

static void default_data_dir(char *buf, size_t cap)
{
    const char *home = getenv("HOME");
    if (geteuid() == 0 || !home)
        snprintf(buf, cap, "/var/lib/berth");
    else
        snprintf(buf, cap, "%s/.local/share/berth", home);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: berth up [--listen HOST:PORT] [--data DIR] [--store postgres://USER@HOST/DB]\n"
               "                [--region R] [--runtime runc|crun]\n"
               "                [--registry HOST:PORT|off] [--seed-images PROGRAM] [--keep-tasks]\n"
               "                [--log-level debug|info|warn|error] [--log-format text|json]\n"
               "                [--allow-privileged] [--allow-host-path PREFIX]... [--time-scale N]\n"
               "\n"
               "Runs berth on this machine: the ECS API on HOST:PORT (default 127.0.0.1:7480),\n"
               "a local agent that runs the tasks, and a local image registry (default\n"
               "127.0.0.1:5000) when docker-registry is installed.  PROGRAM, if given, is run as\n"
               "`PROGRAM REGISTRY_HOSTPORT` once the registry is up (make up passes\n"
               "scripts/make-test-images.sh, which pushes busybox test images).  State lives\n"
               "under DIR (default /var/lib/berth as root, else ~/.local/share/berth); with\n"
               "--store, the server's is in that PostgreSQL database (berth server --store).\n"
               "Ctrl-C (or SIGTERM) stops it cleanly: the tasks it runs are stopped and every\n"
               "network namespace, mount, cgroup, the bridge and the nftables tables it made\n"
               "are removed.  --keep-tasks leaves the tasks running instead, as an ECS agent\n"
               "restart does; the next berth up on DIR adopts them.  `berth down` does the\n"
               "clean stop for a berth up that was detached or killed.\n"
               "The log (stderr) says at info what starts and stops, placements, pulls and every\n"
               "failure with its reason; debug adds one line per API request.\n"
               "--allow-privileged and --allow-host-path are the agent's (see berth agent --help):\n"
               "without them, privileged tasks and host paths are refused.\n"
               "--time-scale N (for demos and tests) is berth server's: metric periods, alarm\n"
               "evaluation, rate() schedules and scaling cooldowns run N times faster, and the\n"
               "agent samples its tasks every 20/N seconds (at least 1).\n");
}

struct up_opts {
    struct server_config server;
    char data[3700];
    char runtime[8];
    char registry_host[64];
    uint16_t registry_port;
    bool registry_off;
    const char *seed;
    bool allow_privileged;
    const char *host_paths[16];
    size_t n_host_paths;
    bool keep_tasks;
    bool quiet; /* berth down: no welcome, no waiting for a signal */
};

static int set_listen(void *opts, const struct cli_flag *f, char *arg)
{
    struct up_opts *o = opts;
    return cli_set_listen("berth up", arg, o->server.listen_host, sizeof(o->server.listen_host),
                          &o->server.listen_port);
}

static int set_runtime(void *opts, const struct cli_flag *f, char *arg)
{
    struct up_opts *o = opts;
    return cli_set_runtime_name("berth up", arg, o->runtime, sizeof(o->runtime));
}

static int set_registry(void *opts, const struct cli_flag *f, char *arg)
{
    struct up_opts *o = opts;
    if (strcmp(arg, "off") == 0) {
        o->registry_off = true;
    } else if (cli_parse_hostport(arg, o->registry_host, sizeof(o->registry_host), &o->registry_port) < 0) {
        fprintf(stderr, "berth up: --registry wants HOST:PORT or off\n");
        return -1;
    }
    return 0;
}

static int set_host_path(void *opts, const struct cli_flag *f, char *arg)
{
    struct up_opts *o = opts;
    return cli_add_host_path("berth up", arg, o->host_paths, &o->n_host_paths, ELEMENTSOF(o->host_paths));
}

static int set_time_scale(void *opts, const struct cli_flag *f, char *arg)
{
    struct up_opts *o = opts;
    char *end = NULL;
    long v = strtol(arg, &end, 10);
    if (end == arg || *end || v < 1 || v > 3600) {
        fprintf(stderr, "berth up: --time-scale wants a divisor (1-3600)\n");
        return -1;
    }
    o->server.time_scale = (int)v;
    return 0;
}

static int set_log_level(void *opts, const struct cli_flag *f, char *arg) { return cli_set_log_level("berth up", arg); }

static int set_log_format(void *opts, const struct cli_flag *f, char *arg)
{
    return cli_set_log_format("berth up", arg);
}

/* --store postgres://...: the server's state in PostgreSQL (berth server's
 * --store); the URL is never echoed and its argument is blanked. */
static int set_store(void *opts, const struct cli_flag *f, char *arg)
{
    struct up_opts *o = opts;
    if (strncmp(arg, "postgres://", 11) != 0 && strncmp(arg, "postgresql://", 13) != 0) {
        fprintf(stderr, "berth up: --store wants postgres://USER@HOST/DB (--data keeps SQLite's)\n");
        return -1;
    }
    if (strlen(arg) >= sizeof(o->server.store_url)) {
        fprintf(stderr, "berth up: --store: longer than %zu bytes\n", sizeof(o->server.store_url) - 1);
        return -1;
    }
    snprintf(o->server.store_url, sizeof(o->server.store_url), "%s", arg);
    memset(arg, 'x', strlen(arg));
    return 0;
}

static const struct cli_flag up_flags[] = {
    {"store", .has_arg = true, .set = set_store},
    {"listen", .has_arg = true, .set = set_listen},
    {"data", .has_arg = true, .set = cli_flags_set_string, CLI_FIELD(struct up_opts, data)},
    {"region", .has_arg = true, .set = cli_flags_set_string, CLI_FIELD(struct up_opts, server.region)},
    {"runtime", .has_arg = true, .set = set_runtime},
    {"registry", .has_arg = true, .set = set_registry},
    {"seed-images", .has_arg = true, .set = cli_flags_set_ptr, CLI_FIELD(struct up_opts, seed)},
    {"allow-privileged", .set = cli_flags_set_true, CLI_FIELD(struct up_opts, allow_privileged)},
    {"allow-host-path", .has_arg = true, .set = set_host_path},
    {"keep-tasks", .set = cli_flags_set_true, CLI_FIELD(struct up_opts, keep_tasks)},
    {"log-level", .has_arg = true, .set = set_log_level},
    {"log-format", .has_arg = true, .set = set_log_format},
    {"time-scale", .has_arg = true, .set = set_time_scale},
    {"help", .short_name = 'h'},
};

/* The local registry under DATA/registry, seeded if asked; false (after a
 * warning) when there is none. */
static bool start_registry(const struct up_opts *o, struct up_registry *reg)
{
    struct error err;
    error_clear(&err);
    char dir[3800];
    snprintf(dir, sizeof(dir), "%s/registry", o->data);
    if (up_registry_start(dir, o->registry_host, o->registry_port, reg, &err) < 0) {
        log_warn("up: no local registry: %s", err.msg);
        return false;
    }
    char pid[32];
    snprintf(pid, sizeof(pid), "%ld", (long)reg->pid);
    if (up_state_save(o->data, "registry-pid", pid, &err) < 0) /* for berth down after a kill */
        log_warn("up: %s", err.msg);
    if (o->seed && up_registry_seed(reg, o->seed, &err) < 0)
        log_warn("up: seeding the registry: %s", err.msg);
    return true;
}

/* The local agent registers with the account's root key, handed over in
 * the process (nothing to configure), and from then on signs with the key
 * the server issues to its instance, kept in DATA/agent/instance.json: a
 * restarted berth up is the same instance. */
static int start_agent(const struct up_opts *o, const struct server *srv, const char *endpoint, struct agent *agent)
{
    struct error err;
    error_clear(&err);
    struct agent_config acfg;
    agent_config_defaults(&acfg);
    snprintf(acfg.server, sizeof(acfg.server), "%s", endpoint);
    if (server_root_key(srv, acfg.creds.access_key_id, sizeof(acfg.creds.access_key_id), acfg.creds.secret_access_key,
                        sizeof(acfg.creds.secret_access_key)) < 0) {
        log_error("up: the server has no root key");
        return -1;
    }
    snprintf(acfg.region, sizeof(acfg.region), "%s", o->server.region);
    snprintf(acfg.data_dir, sizeof(acfg.data_dir), "%s/agent", o->data);
    snprintf(acfg.runtime, sizeof(acfg.runtime), "%s", o->runtime);
    acfg.allow_privileged = o->allow_privileged;
    acfg.allow_host_paths = o->host_paths;
    acfg.n_allow_host_paths = o->n_host_paths;
    acfg.stop_tasks_at_exit = !o->keep_tasks;
    acfg.time_scale = o->server.time_scale; /* restartPolicy's attempt period too */
    if (o->server.time_scale > 1)           /* samples at least once a scaled metric period */
        acfg.metrics_interval_sec =
            acfg.metrics_interval_sec / o->server.time_scale > 1 ? acfg.metrics_interval_sec / o->server.time_scale : 1;
    if (server_dns_port(srv))
        snprintf(acfg.dns_server, sizeof(acfg.dns_server), "%s:%u", o->server.dns_listen_host, server_dns_port(srv));
    int r = agent_start(agent, &acfg, &err);
    aws_credentials_clear(&acfg.creds);
    if (r < 0) {
        log_error("up: agent: %s", err.msg);
        agent_stop(agent);
        return -1;
    }
    return 0;
}

/* How another terminal gets the root key: the credentials file the server
 * wrote, or the BERTH_ROOT_* variables it was started with (never echoed). */
static void print_credentials(const struct up_opts *o)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/credentials", o->server.data_dir);
    if (access(path, R_OK) == 0)
        printf("  export AWS_SHARED_CREDENTIALS_FILE=%s AWS_PROFILE=berth AWS_DEFAULT_REGION=%s\n", path,
               o->server.region);
    else
        printf("  export AWS_ACCESS_KEY_ID=\"$BERTH_ROOT_ACCESS_KEY_ID\" "
               "AWS_SECRET_ACCESS_KEY=\"$BERTH_ROOT_SECRET_ACCESS_KEY\" AWS_DEFAULT_REGION=%s\n",
               o->server.region);
}

static void print_welcome(const struct up_opts *o, const char *endpoint, const char *registry)
{
    printf("\nberth is up.\n"
           "  ECS API:   %s  (region %s)\n"
           "  console:   %s/console/  (sign in with the root key named below)\n"
           "  agent:     1 container instance in cluster \"default\" (%s)\n",
           endpoint, o->server.region, endpoint, o->runtime);
    if (registry)
        printf("  registry:  %s  (e.g. image %s/busybox:1)\n", registry, registry);
    printf("  data:      %s\n\n"
           "Use it from another terminal:\n",
           o->data);
    print_credentials(o);
    printf("  aws ecs register-task-definition --endpoint-url %s --family hello \\\n"
           "      --container-definitions '[{\"name\":\"app\",\"image\":\"%s/busybox:1\",\"memory\":64,"
           "\"command\":[\"echo\",\"hello\"]}]'\n"
           "  aws ecs run-task --endpoint-url %s --task-definition hello\n"
           "  aws ecs list-tasks --endpoint-url %s --desired-status STOPPED\n\n"
           "Ctrl-C stops berth.\n\n",
           endpoint, registry ? registry : "REGISTRY", endpoint, endpoint);
    fflush(stdout);
}

/* Say what an existing data directory holds before resuming it, and keep
 * what berth down needs to act as this berth up did. */
static void note_state(const struct up_opts *o)
{
    char summary[256];
    if (up_state_summary(o->data, summary, sizeof(summary)))
        log_info("up: resuming the state in %s: %s", o->data, summary);
    struct error err;
    error_clear(&err);
    if (up_state_write_pid(o->data, &err) < 0 || up_state_save(o->data, "runtime", o->runtime, &err) < 0 ||
        up_state_save(o->data, "region", o->server.region, &err) < 0)
        log_warn("up: %s", err.msg);
    /* berth down finds the store again (0600: the URL may hold a password,
     * as master.key beside it is a secret too). */
    if (o->server.store_url[0] &&
        fs_write_private(o->data, "up.store", o->server.store_url, strlen(o->server.store_url), &err) < 0)
        log_warn("up: %s", err.msg);
    if (!o->server.store_url[0]) {
        char path[sizeof(o->data) + 16];
        snprintf(path, sizeof(path), "%s/up.store", o->data);
        unlink(path);
    }
}

/* The server, the registry (unless off) and the agent on o->data; then
 * (berth up) wait for Ctrl-C or SIGTERM, or (berth down, o->quiet) stop at
 * once.  Stopping the agent stops its tasks unless o->keep_tasks. */
static int up_session(struct up_opts *o)
{
    struct error err;
    error_clear(&err);
    if (fs_mkdir_p(o->data, 0755, &err) < 0) {
        fprintf(stderr, "berth up: %s\n", err.msg);
        return 1;
    }
    snprintf(o->server.data_dir, sizeof(o->server.data_dir), "%s/server", o->data);
    sigset_t mask;
    cli_block_stop_signals(&mask);
    if (!o->quiet)
        note_state(o);
    int rc = 1;
    struct server srv;
    struct agent agent;
    bool agent_started = false;
    struct up_registry reg = {.pid = -1, .pidfd = -1};
    bool have_registry = false;
    if (server_init(&srv, &o->server, &err) < 0 || server_start(&srv, &err) < 0) {
        log_error("up: %s", err.msg);
        goto out;
    }
    char endpoint[300];
    snprintf(endpoint, sizeof(endpoint), "http://%s:%u", o->server.listen_host, srv.bound_port);
    char line[320];
    snprintf(line, sizeof(line), "%s\n", endpoint);
    if (!o->quiet && fs_write_atomic(o->server.data_dir, "endpoint", line, strlen(line), &err) < 0)
        log_warn("up: %s", err.msg);
    have_registry = !o->registry_off && start_registry(o, &reg);
    if (start_agent(o, &srv, endpoint, &agent) < 0)
        goto out;
    agent_started = true;
    if (!o->quiet) {
        print_welcome(o, endpoint, have_registry ? reg.hostport : NULL);
        cli_wait_stop_signal(&mask);
        log_info(o->keep_tasks ? "up: stopping (tasks keep running)" : "up: stopping, with every task");
    }
    rc = 0;
out:
    if (agent_started)
        agent_stop(&agent);
    if (have_registry)
        up_registry_stop(&reg);
    server_free(&srv);
    if (!o->quiet)
        up_state_remove_pid(o->data);
    return rc;
}

static void up_defaults(struct up_opts *o)
{
    memset(o, 0, sizeof(*o));
    server_config_defaults(&o->server);
    default_data_dir(o->data, sizeof(o->data));
    snprintf(o->runtime, sizeof(o->runtime), "runc");
    snprintf(o->registry_host, sizeof(o->registry_host), "127.0.0.1");
    o->registry_port = 5000;
    /* Tasks resolve Cloud Map's DNS namespaces through the agent's relay to
     * this responder, on loopback where only this host reaches it. */
    snprintf(o->server.dns_listen_host, sizeof(o->server.dns_listen_host), "127.0.0.1");
}

/* The PostgreSQL URL the last berth up on data_dir kept its state in, or
 * "" (SQLite). */
static void load_store(const char *data_dir, char *buf, size_t cap)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/up.store", data_dir);
    _cleanup_free_ char *data = NULL;
    size_t len = 0;
    struct error err;
    buf[0] = '\0';
    if (fs_read_file(path, cap - 1, &data, &len, &err) == 0)
        snprintf(buf, cap, "%.*s", (int)len, data);
}

void cli_up_default_data_dir(char *buf, size_t cap) { default_data_dir(buf, cap); }

int cli_up_stop_leftovers(const char *data_dir)
{
    struct up_opts o;
    up_defaults(&o);
    snprintf(o.data, sizeof(o.data), "%s", data_dir);
    up_state_load(data_dir, "runtime", o.runtime, sizeof(o.runtime));
    up_state_load(data_dir, "region", o.server.region, sizeof(o.server.region));
    load_store(data_dir, o.server.store_url, sizeof(o.server.store_url));
    snprintf(o.server.listen_host, sizeof(o.server.listen_host), "127.0.0.1");
    o.server.listen_port = 0;
    o.server.dns_listen_host[0] = '\0';
    o.registry_off = true;
    o.quiet = true;
    up_state_stop_registry(data_dir);
    int rc = up_session(&o);
    up_state_remove_pid(data_dir);
    return rc;
}

int cli_up_main(int argc, char **argv)
{
    static const struct cli_flags flags = {up_flags, ELEMENTSOF(up_flags), false, usage};
    struct up_opts o;
    up_defaults(&o);
    int pr = cli_flags_parse(&flags, argc, argv, &o);
    if (pr != CLI_FLAGS_OK)
        return pr == CLI_FLAGS_HELP ? 0 : 2;
    pid_t other = up_state_running_pid(o.data);
    if (other > 0) {
        fprintf(stderr, "berth up: berth up (pid %ld) is already running on %s\n", (long)other, o.data);
        return 1;
    }
    return up_session(&o);
}
