/* cli_cluster.c - `berth cluster token create|list|revoke`: a cluster's
 * registration tokens, through the server's API (BerthAgent_20261122
 * CreateRegistrationToken, ListRegistrationTokens, RevokeRegistrationToken)
 * signed with the caller's AWS credentials, like the AWS CLI.
 *
 * `create` prints the token alone on stdout (it is shown this once, and
 * scripts capture it) and what it is on stderr. */
#include <getopt.h> /* optind */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/cli_flags.h"
#include "cli/cli_util.h"
#include "common/awsjson.h"
#include "common/cleanup.h"
#include "common/proto.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: berth cluster token create CLUSTER [--expires-in DURATION] [--json]\n"
               "       berth cluster token list CLUSTER [--json]\n"
               "       berth cluster token revoke CLUSTER TOKEN_ID\n"
               "  common flags: [--endpoint URL] [--region R]\n"
               "\n"
               "Registration tokens let a new host's agent join CLUSTER (berth agent --token TOKEN)\n"
               "without AWS credentials of its own; the agent then signs with a key issued to its\n"
               "container instance.  A token is shown once, when it is created; the server keeps\n"
               "only its hash.  --expires-in: 90s, 30m, 24h (the default), 7d... (1 second to 365\n"
               "days).  Revoking a token stops further registrations; instances that joined with\n"
               "it keep their own keys (deregister an instance to cut it off).\n"
               "Requests are signed with AWS credentials (as the AWS CLI finds them) allowed\n"
               "ecs:CreateRegistrationToken, ecs:ListRegistrationTokens or\n"
               "ecs:RevokeRegistrationToken on the cluster.  --endpoint defaults to\n"
               "$BERTH_ENDPOINT, else http://127.0.0.1:7480.\n");
}

struct cluster_cli {
    const char *endpoint, *region;
    int64_t expires_ms;
    bool json;
};

static int set_expires(void *opts, const struct cli_flag *f, char *arg)
{
    struct cluster_cli *c = opts;
    if (cli_parse_duration_ms(arg, &c->expires_ms) < 0 || c->expires_ms < 1000) {
        fprintf(stderr, "berth cluster: --expires-in wants a duration like 30m, 24h or 7d\n");
        return -1;
    }
    return 0;
}

static const struct cli_flag cluster_flags[] = {
    {"endpoint", .has_arg = true, .set = cli_flags_set_ptr, CLI_FIELD(struct cluster_cli, endpoint)},
    {"region", .has_arg = true, .set = cli_flags_set_ptr, CLI_FIELD(struct cluster_cli, region)},
    {"expires-in", .has_arg = true, .set = set_expires},
    {"json", .set = cli_flags_set_true, CLI_FIELD(struct cluster_cli, json)},
    {"help", .short_name = 'h'},
};

/* Call action with in (consumed); the answer, or NULL after a message. */
static json_t *call(const struct cluster_cli *c, const char *action, json_t *in)
{
    return cli_call_once("berth cluster", c->endpoint, c->region, PROTO_AGENT_TARGET, action, in);
}

static void print_time(FILE *f, json_t *epoch)
{
    if (!json_is_number(epoch)) {
        fprintf(f, "  %-20s", "-");
        return;
    }
    time_t t = (time_t)json_number_value(epoch);
    struct tm tm;
    char buf[32];
    gmtime_r(&t, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(f, "  %-20s", buf);
}

static void print_token_line(FILE *f, json_t *t)
{
    fprintf(f, "%-16s  %-7s", json_string_value(json_object_get(t, "tokenId")),
            json_string_value(json_object_get(t, "status")));
    print_time(f, json_object_get(t, "createdAt"));
    print_time(f, json_object_get(t, "expiresAt"));
    print_time(f, json_object_get(t, "lastUsedAt"));
    fputc('\n', f);
}

static int print_json(json_t *j)
{
    char *text = json_dumps(j, JSON_INDENT(4));
    if (text)
        puts(text);
    free(text);
    return text ? 0 : 1;
}

static int token_create(const struct cluster_cli *c, const char *cluster)
{
    json_t *in = json_pack("{s:s}", "cluster", cluster);
    if (c->expires_ms)
        json_object_set_new(in, "expiresInSeconds", json_integer(c->expires_ms / 1000));
    _cleanup_json_ json_t *out = call(c, PROTO_CREATE_REGISTRATION_TOKEN, in);
    if (!out)
        return 1;
    if (c->json)
        return print_json(out);
    json_t *t = json_object_get(out, "registrationToken");
    puts(json_string_value(json_object_get(out, "token")));
    fprintf(stderr, "registration token %s for cluster %s, expires", json_string_value(json_object_get(t, "tokenId")),
            cluster);
    print_time(stderr, json_object_get(t, "expiresAt"));
    fprintf(stderr, "\n(shown once: start an agent with berth agent --cluster %s --token TOKEN)\n", cluster);
    return 0;
}

static int token_list(const struct cluster_cli *c, const char *cluster)
{
    _cleanup_json_ json_t *all = json_array();
    json_t *next = NULL;
    do {
        json_t *in = json_pack("{s:s}", "cluster", cluster);
        if (next)
            json_object_set(in, "nextToken", next);
        json_decref(next);
        next = NULL;
        _cleanup_json_ json_t *out = call(c, PROTO_LIST_REGISTRATION_TOKENS, in);
        if (!out)
            return 1;
        json_array_extend(all, json_object_get(out, "registrationTokens"));
        next = json_incref(json_object_get(out, "nextToken"));
    } while (next);
    if (c->json) {
        _cleanup_json_ json_t *doc = json_pack("{s:O}", "registrationTokens", all);
        return print_json(doc);
    }
    printf("%-16s  %-7s  %-20s  %-20s  %-20s\n", "TOKEN ID", "STATUS", "CREATED", "EXPIRES", "LAST USED");
    size_t i;
    json_t *t;
    json_array_foreach(all, i, t)
        print_token_line(stdout, t);
    return 0;
}

static int token_revoke(const struct cluster_cli *c, const char *cluster, const char *id)
{
    _cleanup_json_ json_t *out =
        call(c, PROTO_REVOKE_REGISTRATION_TOKEN, json_pack("{s:s, s:s}", "cluster", cluster, "tokenId", id));
    if (!out)
        return 1;
    if (c->json)
        return print_json(out);
    printf("revoked registration token %s of cluster %s\n", id, cluster);
    return 0;
}

int cli_cluster_main(int argc, char **argv)
{
    static const struct cli_flags flags = {cluster_flags, ELEMENTSOF(cluster_flags), false, usage};
    struct cluster_cli c = {.endpoint = getenv("BERTH_ENDPOINT")};
    int pr = cli_flags_parse(&flags, argc, argv, &c);
    if (pr != CLI_FLAGS_OK)
        return pr == CLI_FLAGS_HELP ? 0 : 2;
    if (!c.endpoint || !*c.endpoint)
        c.endpoint = "http://127.0.0.1:7480";
    int nargs = argc - optind;
    char **args = argv + optind;
    if (nargs >= 3 && strcmp(args[0], "token") == 0) {
        if (strcmp(args[1], "create") == 0 && nargs == 3)
            return token_create(&c, args[2]);
        if (strcmp(args[1], "list") == 0 && nargs == 3)
            return token_list(&c, args[2]);
        if (strcmp(args[1], "revoke") == 0 && nargs == 4)
            return token_revoke(&c, args[2], args[3]);
    }
    usage(stderr);
    return 2;
}
