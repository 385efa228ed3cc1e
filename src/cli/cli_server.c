/* cli_server.c - `berth server`: parse flags, run the control plane until
 * SIGINT/SIGTERM, shut down cleanly. */
#include <errno.h>
#include <getopt.h> /* optind */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_flags.h"
#include "cli/cli_util.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "server/server.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: berth server [--listen HOST:PORT] [--data DIR | --store URL] [--region R] [--account-id ID]\n"
               "                    [--agent-timeout SECONDS] [--max-service-tasks N]\n"
               "                    [--max-cluster-services N] [--max-cluster-instances N]\n"
               "                    [--max-connections N] [--max-connections-per-ip N]\n"
               "                    [--request-timeout SECONDS] [--metrics-auth token|none]\n"
               "                    [--time-scale N] [--dns-listen HOST:PORT]\n"
               "                    [--log-level debug|info|warn|error] [--log-format text|json]\n"
               "\n"
               "  --listen HOST:PORT  address to serve the ECS API on (default 127.0.0.1:7480;\n"
               "                      port 0 picks a free port)\n"
               "  --data DIR          state directory (default /var/lib/berth/server)\n"
               "  --store URL         where state is kept (also $BERTH_STORE): sqlite:DIR is\n"
               "                      --data DIR; postgres://USER@HOST/DB is a PostgreSQL\n"
               "                      database (--data DIR still holds the master key)\n"
               "  --region R          region of in-process callers; a request's own is its\n"
               "                      SigV4 credential scope's (default us-east-1)\n"
               "  --account-id ID     12-digit account id used in ARNs (default 000000000000)\n"
               "  --agent-timeout S   an agent silent this long is disconnected (default 30)\n"
               "  --max-service-tasks N  a service's desiredCount quota (default 5000, as ECS's\n"
               "                      tasks-per-service quota; at most 1000000)\n"
               "  --max-cluster-services N  services per cluster (default 5000, as ECS)\n"
               "  --max-cluster-instances N  container instances per cluster (default 5000,\n"
               "                      as ECS)\n"
               "  --max-connections N  HTTP connections open at once (default 4096; fewer\n"
               "                      if the open-files limit does not cover them)\n"
               "  --max-connections-per-ip N  from one client address (default 2048)\n"
               "  --request-timeout S  a whole request must arrive within S seconds of the\n"
               "                      connection's being ready for it, and a connection\n"
               "                      silent that long is closed (default 60; answers,\n"
               "                      long-polls included, are not timed)\n"
               "  --metrics-auth A    GET /metrics (Prometheus) wants `Authorization: Bearer\n"
               "                      TOKEN` with the token in DIR/metrics.token (token,\n"
               "                      the default), or nothing (none)\n"
               "  --time-scale N      divide alarm periods and evaluation windows and\n"
               "                      scaling cooldowns by N (1-3600; default 1): for\n"
               "                      tests, never for production\n"
               "  --dns-listen HOST:PORT  answer DNS (UDP and TCP) for Cloud Map's DNS\n"
               "                      namespaces there, forwarding other names to the\n"
               "                      resolvers of /etc/resolv.conf; agents started with\n"
               "                      --dns-server HOST:PORT relay their tasks' queries to it\n"
               "                      (default: no DNS)\n"
               "\nThe bound endpoint is written to DIR/endpoint once the server listens.\n");
}

static int set_listen(void *opts, const struct cli_flag *f, char *arg)
{
    struct server_config *cfg = opts;
    return cli_set_listen("berth server", arg, cfg->listen_host, sizeof(cfg->listen_host), &cfg->listen_port);
}

static int set_dns_listen(void *opts, const struct cli_flag *f, char *arg)
{
    struct server_config *cfg = opts;
    return cli_set_listen("berth server", arg, cfg->dns_listen_host, sizeof(cfg->dns_listen_host),
                          &cfg->dns_listen_port);
}

static int set_account_id(void *opts, const struct cli_flag *f, char *arg)
{
    struct server_config *cfg = opts;
    if (strlen(arg) != 12 || strspn(arg, "0123456789") != 12) {
        fprintf(stderr, "berth server: --account-id wants 12 digits\n");
        return -1;
    }
    snprintf(cfg->account_id, sizeof(cfg->account_id), "%s", arg);
    return 0;
}

static int set_log_level(void *opts, const struct cli_flag *f, char *arg)
{
    return cli_set_log_level("berth server", arg);
}

static int set_log_format(void *opts, const struct cli_flag *f, char *arg)
{
    return cli_set_log_format("berth server", arg);
}

/* A whole number from lo to hi into *ret; else the complaint, and -1. */
static int bounded_int(const char *arg, long lo, long hi, const char *complaint, int *ret)
{
    char *end = NULL;
    long v = strtol(arg, &end, 10);
    if (end == arg || *end || v < lo || v > hi) {
        fprintf(stderr, "berth server: %s\n", complaint);
        return -1;
    }
    *ret = (int)v;
    return 0;
}

static int set_agent_timeout(void *opts, const struct cli_flag *f, char *arg)
{
    struct server_config *cfg = opts;
    return bounded_int(arg, 1, 86400, "--agent-timeout wants seconds (1-86400)", &cfg->agent_timeout_sec);
}

static int set_max_service_tasks(void *opts, const struct cli_flag *f, char *arg)
{
    struct server_config *cfg = opts;
    return bounded_int(arg, 1, 1000000, "--max-service-tasks wants a number of tasks (1-1000000)",
                       &cfg->max_service_tasks);
}

static int set_max_cluster_services(void *opts, const struct cli_flag *f, char *arg)
{
    struct server_config *cfg = opts;
    return bounded_int(arg, 1, 1000000, "--max-cluster-services wants a number of services (1-1000000)",
                       &cfg->max_cluster_services);
}

static int set_max_cluster_instances(void *opts, const struct cli_flag *f, char *arg)
{
    struct server_config *cfg = opts;
    return bounded_int(arg, 1, 1000000, "--max-cluster-instances wants a number of instances (1-1000000)",
                       &cfg->max_cluster_instances);
}

static int set_max_connections(void *opts, const struct cli_flag *f, char *arg)
{
    struct server_config *cfg = opts;
    return bounded_int(arg, 1, 1000000, "--max-connections wants a number (1-1000000)", &cfg->max_connections);
}

static int set_max_connections_per_ip(void *opts, const struct cli_flag *f, char *arg)
{
    struct server_config *cfg = opts;
    return bounded_int(arg, 1, 1000000, "--max-connections-per-ip wants a number (1-1000000)",
                       &cfg->max_connections_per_ip);
}

static int set_request_timeout(void *opts, const struct cli_flag *f, char *arg)
{
    struct server_config *cfg = opts;
    return bounded_int(arg, 1, 3600, "--request-timeout wants seconds (1-3600)", &cfg->request_timeout_sec);
}

static int set_metrics_auth(void *opts, const struct cli_flag *f, char *arg)
{
    struct server_config *cfg = opts;
    if (strcmp(arg, "token") != 0 && strcmp(arg, "none") != 0) {
        fprintf(stderr, "berth server: --metrics-auth wants token or none\n");
        return -1;
    }
    cfg->metrics_open = strcmp(arg, "none") == 0;
    return 0;
}

static int set_time_scale(void *opts, const struct cli_flag *f, char *arg)
{
    struct server_config *cfg = opts;
    return bounded_int(arg, 1, 3600, "--time-scale wants a divisor (1-3600)", &cfg->time_scale);
}

/* --store URL (also BERTH_STORE): sqlite:DIR is --data DIR; postgres://
 * (or postgresql://) is a PostgreSQL database, libpq's URI.  The URL is
 * never echoed: it may carry a password. */
static int set_store(void *opts, const struct cli_flag *f, char *arg)
{
    struct server_config *cfg = opts;
    if (!strncmp(arg, "sqlite:", 7)) {
        cfg->store_url[0] = 0;
        return cli_copy_arg(cfg->data_dir, sizeof(cfg->data_dir), arg + 7, "--store sqlite:");
    }
    if (strncmp(arg, "postgres://", 11) != 0 && strncmp(arg, "postgresql://", 13) != 0) {
        fprintf(stderr, "berth server: --store wants sqlite:DIR or postgres://USER@HOST/DB\n");
        return -1;
    }
    if (strlen(arg) >= sizeof(cfg->store_url)) {
        fprintf(stderr, "berth server: --store postgres://...: longer than %zu bytes\n", sizeof(cfg->store_url) - 1);
        return -1;
    }
    snprintf(cfg->store_url, sizeof(cfg->store_url), "%s", arg);
    /* From the command line (not BERTH_STORE): blank the argument, so a
     * password in it does not stay readable in /proc/PID/cmdline. */
    if (f)
        memset(arg, 'x', strlen(arg));
    return 0;
}

static const struct cli_flag server_flags[] = {
    {"listen", .has_arg = true, .set = set_listen},
    {"data", .has_arg = true, .set = cli_flags_set_string, CLI_FIELD(struct server_config, data_dir)},
    {"store", .has_arg = true, .set = set_store},
    {"region", .has_arg = true, .set = cli_flags_set_string, CLI_FIELD(struct server_config, region)},
    {"account-id", .has_arg = true, .set = set_account_id},
    {"log-level", .has_arg = true, .set = set_log_level},
    {"log-format", .has_arg = true, .set = set_log_format},
    {"help", .short_name = 'h'},
    {"agent-timeout", .has_arg = true, .set = set_agent_timeout},
    {"max-service-tasks", .has_arg = true, .set = set_max_service_tasks},
    {"max-cluster-services", .has_arg = true, .set = set_max_cluster_services},
    {"max-cluster-instances", .has_arg = true, .set = set_max_cluster_instances},
    {"max-connections", .has_arg = true, .set = set_max_connections},
    {"max-connections-per-ip", .has_arg = true, .set = set_max_connections_per_ip},
    {"request-timeout", .has_arg = true, .set = set_request_timeout},
    {"metrics-auth", .has_arg = true, .set = set_metrics_auth},
    {"time-scale", .has_arg = true, .set = set_time_scale},
    {"dns-listen", .has_arg = true, .set = set_dns_listen},
};

int cli_server_main(int argc, char **argv)
{
    static const struct cli_flags flags = {server_flags, ELEMENTSOF(server_flags), false, usage};
    struct server_config cfg;
    server_config_defaults(&cfg);
    const char *store = getenv("BERTH_STORE");
    if (store && *store && set_store(&cfg, NULL, (char *)store) < 0)
        return 2;
    int pr = cli_flags_parse(&flags, argc, argv, &cfg);
    if (pr != CLI_FLAGS_OK)
        return pr == CLI_FLAGS_HELP ? 0 : 2;
    if (optind < argc) {
        fprintf(stderr, "berth server: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }

    sigset_t mask;
    cli_block_stop_signals(&mask);
    struct server srv;
    struct error err;
    error_clear(&err);
    if (server_init(&srv, &cfg, &err) < 0 || server_start(&srv, &err) < 0) {
        log_error("server: %s", err.msg);
        server_free(&srv);
        return 1;
    }
    char endpoint[300];
    snprintf(endpoint, sizeof(endpoint), "http://%s:%u\n", cfg.listen_host, srv.bound_port);
    if (cli_write_file_atomic(cfg.data_dir, "endpoint", endpoint, &err) < 0)
        log_warn("server: %s", err.msg);
    int sig = cli_wait_stop_signal(&mask);
    log_info("server: signal %d, shutting down", sig);
    server_free(&srv);
    return 0;
}
