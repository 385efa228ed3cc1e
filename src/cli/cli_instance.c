/* cli_instance.c - `berth instance reclaim`: an operator takes a Fargate
 * agent's Spot capacity back, through the server's API (BerthAgent_20261122
 * ReclaimInstance) signed with the caller's AWS credentials.  The
 * instance's FARGATE_SPOT tasks stop as ECS stops them on a Spot
 * interruption (stop code SpotInterruption, SIGTERM, then SIGKILL when the
 * two-minute warning or their stopTimeout runs out); services replace them. */
#include <getopt.h> /* optind */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_flags.h"
#include "cli/cli_util.h"
#include "common/awsjson.h"
#include "common/cleanup.h"
#include "common/proto.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: berth instance reclaim INSTANCE [--cluster CLUSTER] [--warning DURATION] [--json]\n"
               "  common flags: [--endpoint URL] [--region R]\n"
               "\n"
               "Reclaim a Fargate agent's Spot capacity (berth agent --fargate), as AWS does when it\n"
               "needs Fargate Spot capacity back: the FARGATE_SPOT tasks on INSTANCE (a container\n"
               "instance id or ARN) get SIGTERM now and SIGKILL when their stopTimeout or the\n"
               "two-minute warning runs out, whichever is first; they stop with stop code\n"
               "SpotInterruption and services replace them.  FARGATE tasks there are left alone.\n"
               "--warning shortens the warning (1s to 2m; for tests).  --cluster defaults to\n"
               "\"default\".  Requests are signed with AWS credentials (as the AWS CLI finds them)\n"
               "allowed berth:ReclaimInstance on the cluster.  --endpoint defaults to\n"
               "$BERTH_ENDPOINT, else http://127.0.0.1:7480.\n");
}

struct instance_cli {
    const char *endpoint, *region, *cluster;
    int64_t warning_ms;
    bool json;
};

static int set_warning(void *opts, const struct cli_flag *f, char *arg)
{
    struct instance_cli *c = opts;
    if (cli_parse_duration_ms(arg, &c->warning_ms) < 0 || c->warning_ms < 1000 || c->warning_ms > 120000) {
        fprintf(stderr, "berth instance: --warning wants a duration from 1s to 2m\n");
        return -1;
    }
    return 0;
}

static const struct cli_flag instance_flags[] = {
    {"endpoint", .has_arg = true, .set = cli_flags_set_ptr, CLI_FIELD(struct instance_cli, endpoint)},
    {"region", .has_arg = true, .set = cli_flags_set_ptr, CLI_FIELD(struct instance_cli, region)},
    {"cluster", .has_arg = true, .set = cli_flags_set_ptr, CLI_FIELD(struct instance_cli, cluster)},
    {"warning", .has_arg = true, .set = set_warning},
    {"json", .set = cli_flags_set_true, CLI_FIELD(struct instance_cli, json)},
    {"help", .short_name = 'h'},
};

/* Call action with in (consumed); the answer, or NULL after a message. */
static json_t *call(const struct instance_cli *c, const char *action, json_t *in)
{
    return cli_call_once("berth instance", c->endpoint, c->region, PROTO_AGENT_TARGET, action, in);
}

static int reclaim(const struct instance_cli *c, const char *instance)
{
    json_t *in = json_pack("{s:s, s:s}", "cluster", c->cluster, "containerInstance", instance);
    if (c->warning_ms)
        json_object_set_new(in, "warningSeconds", json_integer(c->warning_ms / 1000));
    _cleanup_json_ json_t *out = call(c, PROTO_RECLAIM_INSTANCE, in);
    if (!out)
        return 1;
    if (c->json) {
        char *text = json_dumps(out, JSON_INDENT(4));
        if (text)
            puts(text);
        free(text);
        return text ? 0 : 1;
    }
    json_t *tasks = json_object_get(out, "tasks");
    printf("reclaimed %s: %zu FARGATE_SPOT task(s) interrupted, %lld s warning\n",
           json_string_value(json_object_get(out, "containerInstanceArn")), json_array_size(tasks),
           (long long)json_integer_value(json_object_get(out, "warningSeconds")));
    size_t i;
    json_t *t;
    json_array_foreach(tasks, i, t)
        printf("  %s\n", json_string_value(json_object_get(t, "taskArn")));
    return 0;
}

int cli_instance_main(int argc, char **argv)
{
    static const struct cli_flags flags = {instance_flags, ELEMENTSOF(instance_flags), false, usage};
    struct instance_cli c = {.endpoint = getenv("BERTH_ENDPOINT"), .cluster = "default"};
    int pr = cli_flags_parse(&flags, argc, argv, &c);
    if (pr != CLI_FLAGS_OK)
        return pr == CLI_FLAGS_HELP ? 0 : 2;
    if (!c.endpoint || !*c.endpoint)
        c.endpoint = "http://127.0.0.1:7480";
    int nargs = argc - optind;
    char **args = argv + optind;
    if (nargs == 2 && strcmp(args[0], "reclaim") == 0)
        return reclaim(&c, args[1]);
    usage(stderr);
    return 2;
}
