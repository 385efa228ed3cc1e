/* cli_agent.c - `berth agent`: parse flags, run until SIGINT/SIGTERM. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/agent_memory.h"
#include "cli/cli.h"
#include "cli/cli_flags.h"
#include "cli/cli_util.h"
#include "common/cleanup.h"
#include "common/log.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: berth agent --server URL[,URL...] --cluster NAME --data DIR [--token TOKEN] [--region R]\n"
               "                   [--attribute K=V]... [--capacity-provider NAME] [--fargate]\n"
               "                   [--availability-zone AZ] [--instance-type T] [--runtime runc|crun]\n"
               "                   [--insecure-registry HOST:PORT]...\n"
               "                   [--allow-privileged] [--allow-host-path PREFIX]...\n"
               "                   [--bridge NAME] [--task-subnet CIDR] [--metrics-interval S]\n"
               "                   [--time-scale N]\n"
               "                   [--dns-server HOST:PORT] [--host-ipv4 ADDR]\n"
               "                   [--hollow N [--hollow-cpu UNITS] [--hollow-memory MIB]\n"
               "                    [--hollow-fail-family FAMILY[:REVISION]]]\n"
               "\n"
               "Registers this host with the berth server as a container instance of cluster NAME\n"
               "and runs the tasks placed on it.  DIR keeps its identity, so a restarted agent is\n"
               "the same instance.  Several --server URLs (servers on one PostgreSQL store) are\n"
               "tried in turn: when one is down, the agent goes on with the next.  --hollow N\n"
               "registers N instances that acknowledge tasks without running containers (for\n"
               "scale tests and benchmarks).\n"
               "Bridge and awsvpc tasks get addresses from --task-subnet (default 172.31.200.0/24)\n"
               "on bridge --bridge (default berth0); give each agent on one host its own pair.\n"
               "With --dns-server (the server's --dns-listen), their /etc/resolv.conf names a DNS\n"
               "relay on the bridge's gateway that asks the server: Cloud Map's DNS namespaces\n"
               "resolve in tasks, other names go to the server host's resolvers.  --host-ipv4\n"
               "is this host's address as tasks and other hosts reach it (Cloud Map's\n"
               "AWS_INSTANCE_IPV4 of bridge and host tasks; default: the default route's source).\n"
               "Running tasks' cgroups are sampled every --metrics-interval seconds (default 20;\n"
               "0: never) for the AWS/ECS CPUUtilization and MemoryUtilization metrics.\n"
               "--time-scale N (1-3600, default 1) divides a container restartPolicy's\n"
               "restartAttemptPeriod by N: for tests, never for production.\n"
               "Tasks are kept off the host by default: privileged containers, capabilities\n"
               "beyond Docker's default set, linuxParameters.devices and networkMode/pidMode/\n"
               "ipcMode host need --allow-privileged; a volume's host.sourcePath and an\n"
               "environmentFiles path must lie under an --allow-host-path PREFIX (none by\n"
               "default).  Refused tasks stop with a stoppedReason naming the flag.\n"
               "The agent joins with a cluster registration token (--token, from `berth cluster\n"
               "token create NAME`; also $BERTH_REGISTRATION_TOKEN), or else with AWS credentials\n"
               "allowed ecs:RegisterContainerInstance: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\n"
               "(and AWS_SESSION_TOKEN), else profile $AWS_PROFILE (default default) of\n"
               "$AWS_SHARED_CREDENTIALS_FILE (default ~/.aws/credentials), for region R (default\n"
               "$AWS_REGION, else $AWS_DEFAULT_REGION, else us-east-1).  It then signs everything\n"
               "with the key the server issued to its instance, kept (0600) in DIR/instance.json:\n"
               "restarted, it needs neither again.  Hollow agents sign with the AWS credentials.\n");
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

struct agent_opts {
    struct agent_config cfg;
    json_t *attrs;
    bool fargate; /* --fargate */
    const char *insecure[16];
    size_t n_insecure;
    const char *host_paths[16];
    size_t n_host_paths;
    const char *region; /* --region; NULL: the environment's */
};

static int set_runtime(void *opts, const struct cli_flag *f, char *arg)
{
    struct agent_opts *o = opts;
    return cli_set_runtime_name("berth agent", arg, o->cfg.runtime, sizeof(o->cfg.runtime));
}

/* NAME=VALUE, or NAME= for an attribute without a value. */
static int set_attribute(void *opts, const struct cli_flag *f, char *arg)
{
    struct agent_opts *o = opts;
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg) {
        fprintf(stderr, "berth agent: --attribute wants NAME=VALUE\n");
        return -1;
    }
    json_t *a = json_pack("{s:s%}", "name", arg, (size_t)(eq - arg));
    if (eq[1])
        json_object_set_new(a, "value", json_string(eq + 1));
    json_array_append_new(o->attrs, a);
    return 0;
}

/* Fargate capacity: the instance takes only FARGATE tasks
 * (src/server/ecs/fargate.h), which never get host access. */
static int set_fargate(void *opts, const struct cli_flag *f, char *arg)
{
    struct agent_opts *o = opts;
    o->fargate = true;
    json_array_append_new(o->attrs, json_pack("{s:s, s:s}", "name", "berth.fargate", "value", "true"));
    return 0;
}

/* The capacity provider whose pool the instance joins: an attribute
 * placement filters on (src/server/ecs/capacity_providers.h). */
static int set_capacity_provider(void *opts, const struct cli_flag *f, char *arg)
{
    struct agent_opts *o = opts;
    if (!*arg || strlen(arg) > 255) {
        fprintf(stderr, "berth agent: --capacity-provider wants a name\n");
        return -1;
    }
    json_array_append_new(o->attrs, json_pack("{s:s, s:s}", "name", "berth.capacity-provider", "value", arg));
    return 0;
}

static int set_insecure(void *opts, const struct cli_flag *f, char *arg)
{
    struct agent_opts *o = opts;
    if (o->n_insecure == ELEMENTSOF(o->insecure)) {
        fprintf(stderr, "berth agent: at most %zu --insecure-registry\n", ELEMENTSOF(o->insecure));
        return -1;
    }
    o->insecure[o->n_insecure++] = arg;
    return 0;
}

static int set_host_path(void *opts, const struct cli_flag *f, char *arg)
{
    struct agent_opts *o = opts;
    return cli_add_host_path("berth agent", arg, o->host_paths, &o->n_host_paths, ELEMENTSOF(o->host_paths));
}

static int set_hollow(void *opts, const struct cli_flag *f, char *arg)
{
    struct agent_opts *o = opts;
    int64_t n;
    if (parse_i64(arg, &n) < 0 || n < 1 || n > 10000) {
        fprintf(stderr, "berth agent: --hollow wants 1-10000\n");
        return -1;
    }
    o->cfg.hollow = (int)n;
    return 0;
}

/* --time-scale N: 1 to 3600. */
static int set_time_scale(void *opts, const struct cli_flag *f, char *arg)
{
    struct agent_opts *o = opts;
    int64_t v;
    if (parse_i64(arg, &v) < 0 || v < 1 || v > 3600) {
        fprintf(stderr, "berth agent: --time-scale wants a divisor (1-3600)\n");
        return -1;
    }
    o->cfg.time_scale = (int)v;
    return 0;
}

/* An int64_t field; a bad number is refused without a message. */
static int set_i64(void *opts, const struct cli_flag *f, char *arg)
{
    return parse_i64(arg, (int64_t *)((char *)opts + f->off));
}

static int set_log_level(void *opts, const struct cli_flag *f, char *arg)
{
    return cli_set_log_level("berth agent", arg);
}

static int set_log_format(void *opts, const struct cli_flag *f, char *arg)
{
    return cli_set_log_format("berth agent", arg);
}

/* A char array of the agent's config, copied from the value. */
#define CFG_STRING(name, member)                                                                                       \
    {                                                                                                                  \
        name, .has_arg = true, .set = cli_flags_set_string, CLI_FIELD(struct agent_opts, cfg.member)                   \
    }

static const struct cli_flag agent_flags[] = {
    CFG_STRING("server", server),
    {"region", .has_arg = true, .set = cli_flags_set_ptr, CLI_FIELD(struct agent_opts, region)},
    CFG_STRING("cluster", cluster),
    CFG_STRING("token", token),
    CFG_STRING("data", data_dir),
    {"attribute", .has_arg = true, .set = set_attribute},
    {"capacity-provider", .has_arg = true, .set = set_capacity_provider},
    {"fargate", .set = set_fargate},
    CFG_STRING("availability-zone", availability_zone),
    CFG_STRING("instance-type", instance_type),
    {"runtime", .has_arg = true, .set = set_runtime},
    {"hollow", .has_arg = true, .set = set_hollow},
    {"insecure-registry", .has_arg = true, .set = set_insecure},
    {"allow-privileged", .set = cli_flags_set_true, CLI_FIELD(struct agent_opts, cfg.allow_privileged)},
    {"allow-host-path", .has_arg = true, .set = set_host_path},
    {"metrics-interval", .has_arg = true, .set = set_i64, CLI_FIELD(struct agent_opts, cfg.metrics_interval_sec)},
    {"time-scale", .has_arg = true, .set = set_time_scale},
    {"hollow-cpu", .has_arg = true, .set = set_i64, CLI_FIELD(struct agent_opts, cfg.hollow_cpu)},
    {"hollow-memory", .has_arg = true, .set = set_i64, CLI_FIELD(struct agent_opts, cfg.hollow_memory)},
    CFG_STRING("hollow-fail-family", hollow_fail_family),
    {"log-level", .has_arg = true, .set = set_log_level},
    {"log-format", .has_arg = true, .set = set_log_format},
    CFG_STRING("bridge", bridge),
    CFG_STRING("task-subnet", task_subnet),
    CFG_STRING("dns-server", dns_server),
    CFG_STRING("host-ipv4", host_ipv4),
    {"help", .short_name = 'h'},
};

/* What the agent signs with before it has its instance's key: AWS
 * credentials, required unless a token or a stored identity can stand in. */
static int agent_credentials(struct agent_opts *o)
{
    const char *env_token = getenv("BERTH_REGISTRATION_TOKEN");
    if (!o->cfg.token[0] && env_token &&
        cli_copy_arg(o->cfg.token, sizeof(o->cfg.token), env_token, "BERTH_REGISTRATION_TOKEN") < 0)
        return -1;
    if (o->cfg.token[0] && o->cfg.hollow) {
        fprintf(stderr, "berth agent: hollow instances register with AWS credentials, not a --token\n");
        return -1;
    }
    char path[4200];
    snprintf(path, sizeof(path), "%s/instance.json", o->cfg.data_dir);
    bool stored = !o->cfg.hollow && access(path, R_OK) == 0;
    if (o->cfg.token[0] || stored)
        return cli_signing_setup_optional("berth agent", o->region, &o->cfg.creds, o->cfg.region,
                                          sizeof(o->cfg.region));
    return cli_signing_setup("berth agent", o->region, &o->cfg.creds, o->cfg.region, sizeof(o->cfg.region));
}

/* Start the agent and run until a stop signal; the exit status. */
static int run_agent(struct agent_config *cfg)
{
    sigset_t mask;
    cli_block_stop_signals(&mask);
    struct agent agent;
    struct error err;
    error_clear(&err);
    /* A real agent's process only: not berth up's, which is the server's
     * too (its HTTP threads want their own arenas), nor a hollow agent's,
     * whose instances' threads all poll the server at once. */
    if (!cfg->hollow)
        agent_memory_init();
    if (agent_start(&agent, cfg, &err) < 0) {
        log_error("agent: %s", err.msg);
        agent_stop(&agent);
        return 1;
    }
    int sig = cli_wait_stop_signal(&mask);
    log_info("agent: signal %d, stopping (containers keep running)", sig);
    agent_stop(&agent);
    return 0;
}

int cli_agent_main(int argc, char **argv)
{
    static const struct cli_flags flags = {agent_flags, ELEMENTSOF(agent_flags), false, usage};
    struct agent_opts o = {.n_insecure = 0};
    agent_config_defaults(&o.cfg);
    o.attrs = json_array();
    int rc = cli_flags_parse(&flags, argc, argv, &o);
    if (rc == CLI_FLAGS_OK && o.fargate && (o.cfg.allow_privileged || o.n_host_paths > 0)) {
        fprintf(stderr, "berth agent: --fargate runs tasks without host access: no --allow-privileged or "
                        "--allow-host-path\n");
        rc = CLI_FLAGS_BAD;
    }
    if (rc == CLI_FLAGS_OK) {
        o.cfg.attributes = o.attrs;
        o.cfg.insecure = o.insecure;
        o.cfg.n_insecure = o.n_insecure;
        o.cfg.allow_host_paths = o.host_paths;
        o.cfg.n_allow_host_paths = o.n_host_paths;
        struct in_addr ip;
        if (o.cfg.host_ipv4[0] && inet_pton(AF_INET, o.cfg.host_ipv4, &ip) != 1) {
            fprintf(stderr, "berth agent: --host-ipv4 wants an IPv4 address, got '%s'\n", o.cfg.host_ipv4);
            rc = 2;
        } else {
            rc = agent_credentials(&o) < 0 ? 1 : run_agent(&o.cfg);
        }
    } else if (rc == CLI_FLAGS_HELP) {
        rc = 0;
    }
    json_decref(o.attrs);
    aws_credentials_clear(&o.cfg.creds);
    explicit_bzero(o.cfg.token, sizeof(o.cfg.token));
    return rc;
}
