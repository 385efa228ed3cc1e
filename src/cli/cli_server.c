/* cli_server.c - `berth server`: parse flags, run the control plane until
 * SIGINT/SIGTERM, shut down cleanly. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_util.h"
#include "common/log.h"
#include "server/server.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: berth server [--listen HOST:PORT] [--data DIR] [--region R] [--account-id ID]\n"
               "                    [--agent-timeout SECONDS] [--log-level debug|info|warn|error]\n"
               "\n"
               "  --listen HOST:PORT  address to serve the ECS API on (default 127.0.0.1:7480;\n"
               "                      port 0 picks a free port)\n"
               "  --data DIR          state directory (default /var/lib/berth/server)\n"
               "  --region R          region when a request is not SigV4-signed (default us-east-1)\n"
               "  --account-id ID     12-digit account id used in ARNs (default 000000000000)\n"
               "  --agent-timeout S   an agent silent this long is disconnected (default 30)\n"
               "\nThe bound endpoint is written to DIR/endpoint once the server listens.\n");
}

int cli_server_main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"listen", required_argument, NULL, 'l'},        {"data", required_argument, NULL, 'd'},
        {"region", required_argument, NULL, 'r'},        {"account-id", required_argument, NULL, 'a'},
        {"log-level", required_argument, NULL, 'L'},     {"help", no_argument, NULL, 'h'},
        {"agent-timeout", required_argument, NULL, 'T'}, {NULL, 0, NULL, 0},
    };
    struct server_config cfg;
    server_config_defaults(&cfg);
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'l':
            if (cli_parse_hostport(optarg, cfg.listen_host, sizeof(cfg.listen_host), &cfg.listen_port) < 0) {
                fprintf(stderr, "berth server: --listen wants HOST:PORT, got '%s'\n", optarg);
                return 2;
            }
            break;
        case 'd':
            if (cli_copy_arg(cfg.data_dir, sizeof(cfg.data_dir), optarg, "--data") < 0)
                return 2;
            break;
        case 'r':
            if (cli_copy_arg(cfg.region, sizeof(cfg.region), optarg, "--region") < 0)
                return 2;
            break;
        case 'a':
            if (strlen(optarg) != 12 || strspn(optarg, "0123456789") != 12) {
                fprintf(stderr, "berth server: --account-id wants 12 digits\n");
                return 2;
            }
            snprintf(cfg.account_id, sizeof(cfg.account_id), "%s", optarg);
            break;
        case 'L': {
            enum log_level lvl;
            if (log_parse_level(optarg, &lvl) < 0) {
                fprintf(stderr, "berth server: unknown log level '%s'\n", optarg);
                return 2;
            }
            log_set_level(lvl);
            break;
        }
        case 'T': {
            char *end = NULL;
            long v = strtol(optarg, &end, 10);
            if (end == optarg || *end || v < 1 || v > 86400) {
                fprintf(stderr, "berth server: --agent-timeout wants seconds (1-86400)\n");
                return 2;
            }
            cfg.agent_timeout_sec = (int)v;
            break;
        }
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
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
