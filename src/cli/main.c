/* main.c - `berth`: one binary, subcommands from a table. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/cleanup.h"

#define BERTH_VERSION "0.1.0"

struct command {
    const char *name;
    int (*main)(int argc, char **argv);
    const char *help;
};

static const struct command commands[] = {
    {"up", cli_up_main, "run berth on this machine, in the foreground"},
    {"down", cli_down_main, "stop a detached or crashed berth up and clean up after it"},
    {"server", cli_server_main, "run the control plane (ECS API)"},
    {"agent", cli_agent_main, "run a host's agent (or hollow agents)"},
    {"image", cli_image_main, "pull, list and remove images"},
    {"ctr", cli_ctr_main, "run and inspect single containers (debugging)"},
    {"runtime-shim", cli_runtime_shim_main, "internal: how conmon runs crun"},
    {"logs", cli_logs_main, "print a task's container logs (awslogs)"},
    {"exec", cli_exec_main, "run a command in a task's container (ECS Exec)"},
    {"cluster", cli_cluster_main, "a cluster's registration tokens for agents"},
    {"instance", cli_instance_main, "reclaim a Fargate agent's Spot capacity (FARGATE_SPOT interruption)"},
    {"status", cli_status_main, "clusters, services, instances and recent task failures"},
    {"store", cli_store_main,
     "the store's schema migrations (schema --dialect sqlite|postgres), SQL as PostgreSQL runs it (translate)"},
    {"compat", cli_compat_main, "print what berth does with each ECS operation and field (Markdown)"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: berth COMMAND [OPTIONS]\n\ncommands:\n");
    for (size_t i = 0; i < ELEMENTSOF(commands); i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
    fprintf(f, "  %-10s %s\n", "version", "print the version");
    fprintf(f, "\n`berth COMMAND --help` describes each command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("berth %s\n", BERTH_VERSION);
        return 0;
    }
    for (size_t i = 0; i < ELEMENTSOF(commands); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].main(argc - 1, argv + 1);
    fprintf(stderr, "berth: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
