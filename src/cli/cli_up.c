/* cli_up.c - `berth up`: everything a newcomer needs on one machine, in the
 * foreground until Ctrl-C.  Today that is the control plane with its state
 * under one data directory; the local agent and registry join it as they
 * land. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cli_util.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "server/server.h"

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
    fprintf(f, "usage: berth up [--listen HOST:PORT] [--data DIR] [--region R]\n"
               "\n"
               "Runs berth on this machine: the ECS API on HOST:PORT (default 127.0.0.1:7480)\n"
               "with state under DIR (default /var/lib/berth as root, else ~/.local/share/berth).\n"
               "Ctrl-C stops it.\n");
}

int cli_up_main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"listen", required_argument, NULL, 'l'}, {"data", required_argument, NULL, 'd'},
        {"region", required_argument, NULL, 'r'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct server_config cfg;
    server_config_defaults(&cfg);
    char data[3800];
    default_data_dir(data, sizeof(data));
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'l':
            if (cli_parse_hostport(optarg, cfg.listen_host, sizeof(cfg.listen_host), &cfg.listen_port) < 0) {
                fprintf(stderr, "berth up: --listen wants HOST:PORT, got '%s'\n", optarg);
                return 2;
            }
            break;
        case 'd':
            if (cli_copy_arg(data, sizeof(data), optarg, "--data") < 0)
                return 2;
            break;
        case 'r':
            if (cli_copy_arg(cfg.region, sizeof(cfg.region), optarg, "--region") < 0)
                return 2;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    struct error err;
    if (fs_mkdir_p(data, 0755, &err) < 0) {
        fprintf(stderr, "berth up: %s\n", err.msg);
        return 1;
    }
    snprintf(cfg.data_dir, sizeof(cfg.data_dir), "%s/server", data);

    sigset_t mask;
    cli_block_stop_signals(&mask);
    struct server srv;
    if (server_init(&srv, &cfg, &err) < 0 || server_start(&srv, &err) < 0) {
        log_error("up: %s", err.msg);
        server_free(&srv);
        return 1;
    }
    char endpoint[300];
    snprintf(endpoint, sizeof(endpoint), "http://%s:%u", cfg.listen_host, srv.bound_port);
    char line[320];
    snprintf(line, sizeof(line), "%s\n", endpoint);
    if (cli_write_file_atomic(cfg.data_dir, "endpoint", line, &err) < 0)
        log_warn("up: %s", err.msg);
    printf("\nberth is up.  ECS API: %s  (region %s, data %s)\n\n"
           "Use it from another terminal:\n"
           "  export AWS_ACCESS_KEY_ID=berth AWS_SECRET_ACCESS_KEY=berth AWS_DEFAULT_REGION=%s\n"
           "  export AWS_ENDPOINT_URL_ECS=%s\n"
           "  aws ecs create-cluster --cluster-name demo\n"
           "  aws ecs list-clusters --endpoint-url %s\n\n"
           "Ctrl-C stops berth.\n\n",
           endpoint, cfg.region, data, cfg.region, endpoint, endpoint);
    fflush(stdout);
    cli_wait_stop_signal(&mask);
    log_info("up: stopping");
    server_free(&srv);
    return 0;
}
