/* cli_agent.c - `berth agent`: parse flags, run until SIGINT/SIGTERM. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"
#include "cli/cli.h"
#include "cli/cli_util.h"
#include "common/cleanup.h"
#include "common/log.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: berth agent --server URL --cluster NAME --data DIR [--attribute K=V]...\n"
               "                   [--availability-zone AZ] [--instance-type T] [--runtime runc|crun]\n"
               "                   [--insecure-registry HOST:PORT]...\n"
               "                   [--bridge NAME] [--task-subnet CIDR]\n"
               "                   [--hollow N [--hollow-cpu UNITS] [--hollow-memory MIB]\n"
               "                    [--hollow-fail-family FAMILY[:REVISION]]]\n"
               "\n"
               "Registers this host with the berth server as a container instance of cluster NAME\n"
               "and runs the tasks placed on it.  DIR keeps its identity, so a restarted agent is\n"
               "the same instance.  --hollow N registers N instances that acknowledge tasks\n"
               "without running containers (for scale tests and benchmarks).\n"
               "Bridge and awsvpc tasks get addresses from --task-subnet (default 172.31.200.0/24)\n"
               "on bridge --bridge (default berth0); give each agent on one host its own pair.\n");
}

static int parse_i64(const char *s, int64_t *ret)
{
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || v < 0)
        return -1;
    *ret = v;
    return 0;
}

int cli_agent_main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"server", required_argument, NULL, 's'},
        {"cluster", required_argument, NULL, 'c'},
        {"data", required_argument, NULL, 'd'},
        {"attribute", required_argument, NULL, 'a'},
        {"availability-zone", required_argument, NULL, 'z'},
        {"instance-type", required_argument, NULL, 't'},
        {"runtime", required_argument, NULL, 'r'},
        {"hollow", required_argument, NULL, 'H'},
        {"insecure-registry", required_argument, NULL, 'I'},
        {"hollow-cpu", required_argument, NULL, 'C'},
        {"hollow-memory", required_argument, NULL, 'M'},
        {"hollow-fail-family", required_argument, NULL, 'F'},
        {"log-level", required_argument, NULL, 'L'},
        {"bridge", required_argument, NULL, 'B'},
        {"task-subnet", required_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct agent_config cfg;
    agent_config_defaults(&cfg);
    json_t *attrs = json_array();
    const char *insecure[16];
    size_t n_insecure = 0;
    int c, rc = 2;
    int64_t n;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (cli_copy_arg(cfg.server, sizeof(cfg.server), optarg, "--server") < 0)
                goto out;
            break;
        case 'c':
            if (cli_copy_arg(cfg.cluster, sizeof(cfg.cluster), optarg, "--cluster") < 0)
                goto out;
            break;
        case 'd':
            if (cli_copy_arg(cfg.data_dir, sizeof(cfg.data_dir), optarg, "--data") < 0)
                goto out;
            break;
        case 'B':
            if (cli_copy_arg(cfg.bridge, sizeof(cfg.bridge), optarg, "--bridge") < 0)
                goto out;
            break;
        case 'S':
            if (cli_copy_arg(cfg.task_subnet, sizeof(cfg.task_subnet), optarg, "--task-subnet") < 0)
                goto out;
            break;
        case 'z':
            if (cli_copy_arg(cfg.availability_zone, sizeof(cfg.availability_zone), optarg, "--availability-zone") < 0)
                goto out;
            break;
        case 't':
            if (cli_copy_arg(cfg.instance_type, sizeof(cfg.instance_type), optarg, "--instance-type") < 0)
                goto out;
            break;
        case 'r':
            if (strcmp(optarg, "runc") != 0 && strcmp(optarg, "crun") != 0) {
                fprintf(stderr, "berth agent: --runtime is runc or crun\n");
                goto out;
            }
            snprintf(cfg.runtime, sizeof(cfg.runtime), "%s", optarg);
            break;
        case 'a': {
            const char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg) {
                fprintf(stderr, "berth agent: --attribute wants NAME=VALUE\n");
                goto out;
            }
            json_t *a = json_pack("{s:s%}", "name", optarg, (size_t)(eq - optarg));
            if (eq[1])
                json_object_set_new(a, "value", json_string(eq + 1));
            json_array_append_new(attrs, a);
            break;
        }
        case 'I':
            if (n_insecure == ELEMENTSOF(insecure)) {
                fprintf(stderr, "berth agent: at most %zu --insecure-registry\n", ELEMENTSOF(insecure));
                goto out;
            }
            insecure[n_insecure++] = optarg;
            break;
        case 'H':
            if (parse_i64(optarg, &n) < 0 || n < 1 || n > 10000) {
                fprintf(stderr, "berth agent: --hollow wants 1-10000\n");
                goto out;
            }
            cfg.hollow = (int)n;
            break;
        case 'C':
            if (parse_i64(optarg, &cfg.hollow_cpu) < 0)
                goto out;
            break;
        case 'M':
            if (parse_i64(optarg, &cfg.hollow_memory) < 0)
                goto out;
            break;
        case 'F':
            if (cli_copy_arg(cfg.hollow_fail_family, sizeof(cfg.hollow_fail_family), optarg, "--hollow-fail-family") <
                0)
                goto out;
            break;
        case 'L': {
            enum log_level lvl;
            if (log_parse_level(optarg, &lvl) < 0)
                goto out;
            log_set_level(lvl);
            break;
        }
        case 'h':
            usage(stdout);
            rc = 0;
            goto out;
        default: usage(stderr); goto out;
        }
    }
    cfg.attributes = attrs;
    cfg.insecure = insecure;
    cfg.n_insecure = n_insecure;
    sigset_t mask;
    cli_block_stop_signals(&mask);
    struct agent agent;
    struct error err;
    error_clear(&err);
    if (agent_start(&agent, &cfg, &err) < 0) {
        log_error("agent: %s", err.msg);
        agent_stop(&agent);
        rc = 1;
        goto out;
    }
    int sig = cli_wait_stop_signal(&mask);
    log_info("agent: signal %d, stopping (containers keep running)", sig);
    agent_stop(&agent);
    rc = 0;
out:
    json_decref(attrs);
    return rc;
}
