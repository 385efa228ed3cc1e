/* Unit tests: what each action asks of IAM (action, resource ARNs,
 * condition keys, iam:PassRole), the decisions and AWS's messages, and the
 * dispatcher refusing before any handler runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/http/api.h"
#include "server/iam/authorize.h"
#include "server/iam/iam_authz.h"
#include "server/iam/policy.h"
#include "server/server.h"
#include "server/store/store.h"
#include "test.h"
#include "test_server.h"

#define ECS "AmazonEC2ContainerServiceV20141113"
#define ARN "arn:aws:ecs:us-east-1:000000000000:"
#define ROOT "arn:aws:iam::000000000000:root"
#define ALICE "arn:aws:iam::000000000000:user/alice"
#define ROLE "arn:aws:iam::000000000000:role/app"
#define INSTANCE ARN "container-instance/A/0123456789abcdef0123456789abcdef"

/* One request as `caller`; the response body parsed, *ret_status set. */
static json_t *call_as(struct server *srv, const char *caller, const char *target, json_t *body, int *ret_status)
{
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    struct api_request req = {.target = target, .body = text, .body_len = strlen(text), .internal_caller = caller};
    struct api_response resp;
    api_handle(srv->dispatch, &req, &resp);
    free(text);
    *ret_status = resp.status;
    json_t *out = json_loads(resp.body, 0, NULL);
    free(resp.body);
    return out;
}

static void as_root(struct server *srv, const char *action, json_t *body, int *failures_)
{
    char target[128];
    int status;
    snprintf(target, sizeof(target), ECS ".%s", action);
    json_t *out = call_as(srv, ROOT, target, body, &status);
    CHECK(status == 200);
    json_decref(out);
}

/* The checks a request (target prefix, action, body) asks of alice. */
static json_t *describe(struct server *srv, const char *prefix, const char *action, json_t *body)
{
    struct api_service services[16];
    size_t n = server_services(srv, services, ELEMENTSOF(services));
    json_t *checks = NULL;
    for (size_t i = 0; i < n && !checks; i++) {
        if (strcmp(services[i].target_prefix, prefix) != 0)
            continue;
        for (size_t j = 0; j < services[i].nactions; j++) {
            if (strcmp(services[i].actions[j].name, action) != 0)
                continue;
            struct store_tx *tx = NULL;
            struct error err;
            if (store_begin(srv->store, false, &tx, &err) < 0)
                break;
            struct op_ctx ctx = {.tx = tx,
                                 .service = services[i].state,
                                 .action = action,
                                 .region = "us-east-1",
                                 .account = "000000000000",
                                 .caller = ALICE};
            checks = authz_describe(&services[i], &services[i].actions[j], &ctx, body, &err);
            if (!checks)
                fprintf(stderr, "  describe %s: %s\n", action, err.msg);
            store_rollback(tx);
        }
    }
    json_decref(body);
    return checks;
}

static const char *field(json_t *checks, size_t i, const char *name)
{
    return json_string_value(json_object_get(json_array_get(checks, i), name));
}

/* Whether check i has key `name` with `value` among its values. */
static bool has_key(json_t *checks, size_t i, const char *name, const char *value)
{
    json_t *values = json_object_get(json_object_get(json_array_get(checks, i), "keys"), name);
    size_t k;
    json_t *v;
    json_array_foreach(values, k, v) {
        if (strcmp(json_string_value(v), value) == 0)
            return true;
    }
    return false;
}

static struct policy *compile(const char *text)
{
    struct policy *p = NULL;
    struct error err;
    if (policy_compile(text, strlen(text), &p, &err) < 0)
        fprintf(stderr, "  compile: %s\n", err.msg);
    return p;
}

#define OPEN_SERVER()                                                                                                  \
    char dir[sizeof(TEST_SERVER_DIR_TEMPLATE)];                                                                        \
    struct server srv;                                                                                                 \
    CHECK(test_server_open(&srv, dir) == 0)

TEST(authz_every_action_has_a_rule)
{
    OPEN_SERVER();
    struct api_service services[16];
    struct error err;
    size_t n = server_services(&srv, services, ELEMENTSOF(services));
    for (size_t i = 0; i < n && i < ELEMENTSOF(services); i++) {
        CHECK(services[i].authz != NULL);
        CHECK(authz_check_rules(services[i].authz, services[i].nauthz, services[i].actions, services[i].nactions,
                                &err) == 0);
    }
    /* A table missing an action is refused. */
    CHECK(authz_check_rules(services[0].authz, 1, services[0].actions, services[0].nactions, &err) < 0);
    CHECK(strstr(err.msg, "has no authorisation rule") != NULL);
    test_server_close(&srv, dir);
}

TEST(authz_run_task_on_its_task_definition_with_cluster_tags_and_roles)
{
    OPEN_SERVER();
    as_root(&srv, "RegisterTaskDefinition",
            json_pack("{s:s, s:s, s:[{s:s, s:s, s:i}]}", "family", "web", "taskRoleArn", ROLE, "containerDefinitions",
                      "name", "c", "image", "busybox", "memory", 64),
            failures_);
    json_t *c = describe(&srv, ECS, "RunTask",
                         json_pack("{s:s, s:s, s:[{s:s, s:s}], s:b}", "cluster", "A", "taskDefinition", "web", "tags",
                                   "key", "team", "value", "x", "enableExecuteCommand", 0));
    CHECK(json_array_size(c) == 2);
    CHECK_STR(field(c, 0, "action"), "ecs:RunTask");
    CHECK_STR(field(c, 0, "resource"), ARN "task-definition/web:1");
    CHECK(has_key(c, 0, "ecs:cluster", ARN "cluster/A"));
    CHECK(has_key(c, 0, "aws:RequestTag/team", "x"));
    CHECK(has_key(c, 0, "aws:TagKeys", "team"));
    CHECK(has_key(c, 0, "ecs:enable-execute-command", "false"));
    /* The task definition's role is passed to the task. */
    CHECK_STR(field(c, 1, "action"), "iam:PassRole");
    CHECK_STR(field(c, 1, "resource"), ROLE);
    CHECK(has_key(c, 1, "iam:PassedToService", "ecs-tasks.amazonaws.com"));
    /* Global keys, on every check. */
    for (size_t i = 0; i < 2; i++) {
        CHECK(has_key(c, i, "aws:PrincipalArn", ALICE));
        CHECK(has_key(c, i, "aws:username", "alice"));
        CHECK(has_key(c, i, "aws:PrincipalType", "User"));
        CHECK(has_key(c, i, "aws:RequestedRegion", "us-east-1"));
    }
    CHECK(!has_key(c, 1, "ecs:cluster", ARN "cluster/A")); /* the request's keys are the action's */
    json_decref(c);
    /* An override's role instead; a cluster given by ARN stays as given. */
    c = describe(&srv, ECS, "StartTask",
                 json_pack("{s:s, s:s, s:{s:s}, s:[s]}", "cluster", ARN "cluster/B", "taskDefinition", "web:1",
                           "overrides", "taskRoleArn", "arn:aws:iam::000000000000:role/other", "containerInstances",
                           "0123456789abcdef0123456789abcdef"));
    CHECK_STR(field(c, 0, "action"), "ecs:StartTask");
    CHECK(has_key(c, 0, "ecs:cluster", ARN "cluster/B"));
    CHECK(has_key(c, 0, "ecs:container-instances", ARN "container-instance/B/0123456789abcdef0123456789abcdef"));
    CHECK_STR(field(c, 1, "resource"), "arn:aws:iam::000000000000:role/other");
    json_decref(c);
    test_server_close(&srv, dir);
}

TEST(authz_services_and_batches_per_resource)
{
    OPEN_SERVER();
    json_t *c = describe(&srv, ECS, "CreateService",
                         json_pack("{s:s, s:s, s:s, s:s, s:[{s:s, s:s}]}", "cluster", "A", "serviceName", "api",
                                   "taskDefinition", "web:3", "role", ROLE, "tags", "key", "env", "value", "dev"));
    CHECK_STR(field(c, 0, "resource"), ARN "service/A/api");
    CHECK(has_key(c, 0, "ecs:cluster", ARN "cluster/A"));
    CHECK(has_key(c, 0, "ecs:task-definition", ARN "task-definition/web:3"));
    CHECK(has_key(c, 0, "aws:RequestTag/env", "dev"));
    CHECK_STR(field(c, 1, "action"), "iam:PassRole");
    CHECK(has_key(c, 1, "iam:PassedToService", "ecs.amazonaws.com"));
    json_decref(c);
    c = describe(&srv, ECS, "DescribeServices",
                 json_pack("{s:s, s:[s, s]}", "cluster", "A", "services", "one", ARN "service/A/two"));
    CHECK(json_array_size(c) == 2);
    CHECK_STR(field(c, 0, "resource"), ARN "service/A/one");
    CHECK_STR(field(c, 1, "resource"), ARN "service/A/two");
    CHECK(has_key(c, 1, "ecs:cluster", ARN "cluster/A"));
    json_decref(c);
    c = describe(&srv, ECS, "StopTask", json_pack("{s:s, s:s}", "cluster", "B", "task", "abc"));
    CHECK_STR(field(c, 0, "resource"), ARN "task/B/abc");
    json_decref(c);
    c = describe(&srv, ECS, "ListServices", json_pack("{s:s}", "cluster", "B"));
    CHECK_STR(field(c, 0, "resource"), "*");
    CHECK(has_key(c, 0, "ecs:cluster", ARN "cluster/B"));
    json_decref(c);
    c = describe(&srv, ECS, "ListTasks", json_pack("{}"));
    CHECK_STR(field(c, 0, "resource"), ARN "cluster/default");
    json_decref(c);
    c = describe(&srv, ECS, "ListClusters", json_pack("{}"));
    CHECK(json_array_size(c) == 1);
    CHECK_STR(field(c, 0, "resource"), "*");
    json_decref(c);
    test_server_close(&srv, dir);
}

TEST(authz_resource_tags_from_the_store)
{
    OPEN_SERVER();
    as_root(&srv, "CreateCluster",
            json_pack("{s:s, s:[{s:s, s:s}]}", "clusterName", "prod", "tags", "key", "env", "value", "prod"),
            failures_);
    json_t *c = describe(&srv, ECS, "DescribeClusters", json_pack("{s:[s, s]}", "clusters", "prod", "other"));
    CHECK(json_array_size(c) == 2);
    CHECK(has_key(c, 0, "aws:ResourceTag/env", "prod"));
    CHECK(has_key(c, 0, "ecs:ResourceTag/env", "prod"));
    CHECK(!has_key(c, 1, "aws:ResourceTag/env", "prod"));
    json_decref(c);
    c = describe(&srv, ECS, "UntagResource",
                 json_pack("{s:s, s:[s]}", "resourceArn", ARN "cluster/prod", "tagKeys", "env"));
    CHECK_STR(field(c, 0, "action"), "ecs:UntagResource");
    CHECK(has_key(c, 0, "aws:ResourceTag/env", "prod"));
    CHECK(has_key(c, 0, "aws:TagKeys", "env"));
    json_decref(c);
    test_server_close(&srv, dir);
}

TEST(authz_register_task_definition_host_keys)
{
    OPEN_SERVER();
    json_t *c =
        describe(&srv, ECS, "RegisterTaskDefinition",
                 json_pack("{s:s, s:s, s:s, s:[s], s:[{s:s, s:{s:s}}], s:[{s:s, s:s, s:b, s:{s:{s:[s]}, s:[{s:s}]}}]}",
                           "family", "esc", "executionRoleArn", ROLE, "pidMode", "host", "requiresCompatibilities",
                           "EC2", "volumes", "name", "etc", "host", "sourcePath", "/etc", "containerDefinitions",
                           "name", "c", "image", "busybox", "privileged", 1, "linuxParameters", "capabilities", "add",
                           "SYS_ADMIN", "devices", "hostPath", "/dev/kvm"));
    CHECK_STR(field(c, 0, "resource"), ARN "task-definition/esc:1"); /* the revision it will create */
    CHECK(has_key(c, 0, "ecs:privileged", "true"));
    CHECK(has_key(c, 0, "ecs:compute-compatibility", "EC2"));
    CHECK(has_key(c, 0, "berth:host-path-volumes", "/etc"));
    CHECK(has_key(c, 0, "berth:added-capabilities", "SYS_ADMIN"));
    CHECK(has_key(c, 0, "berth:devices", "/dev/kvm"));
    CHECK(has_key(c, 0, "berth:host-namespaces", "pid"));
    CHECK_STR(field(c, 1, "action"), "iam:PassRole");
    json_decref(c);
    c = describe(
        &srv, ECS, "RegisterTaskDefinition",
        json_pack("{s:s, s:[{s:s, s:s}]}", "family", "plain", "containerDefinitions", "name", "c", "image", "busybox"));
    CHECK(has_key(c, 0, "ecs:privileged", "false"));
    CHECK(json_object_get(json_object_get(json_array_get(c, 0), "keys"), "berth:devices") == NULL);
    CHECK(json_array_size(c) == 1);
    json_decref(c);
    test_server_close(&srv, dir);
}

TEST(authz_logs_and_agent_calls)
{
    OPEN_SERVER();
    json_t *c = describe(&srv, "Logs_20140328", "PutLogEvents",
                         json_pack("{s:s, s:s, s:[]}", "logGroupName", "g", "logStreamName", "s", "logEvents"));
    CHECK_STR(field(c, 0, "action"), "logs:PutLogEvents");
    CHECK_STR(field(c, 0, "resource"), "arn:aws:logs:us-east-1:000000000000:log-group:g:log-stream:s");
    json_decref(c);
    c = describe(&srv, "Logs_20140328", "CreateLogGroup",
                 json_pack("{s:s, s:{s:s}}", "logGroupName", "g", "tags", "team", "a"));
    CHECK_STR(field(c, 0, "resource"), "arn:aws:logs:us-east-1:000000000000:log-group:g");
    CHECK(has_key(c, 0, "aws:RequestTag/team", "a"));
    json_decref(c);
    c = describe(&srv, "Logs_20140328", "DescribeLogGroups", json_pack("{}"));
    CHECK_STR(field(c, 0, "resource"), "arn:aws:logs:us-east-1:000000000000:log-group:*");
    json_decref(c);
    c = describe(&srv, "BerthAgent_20261122", "PollTasks",
                 json_pack("{s:s, s:s}", "cluster", "A", "containerInstance", "0123456789abcdef0123456789abcdef"));
    CHECK_STR(field(c, 0, "action"), "ecs:Poll");
    CHECK_STR(field(c, 0, "resource"), INSTANCE);
    json_decref(c);
    c = describe(&srv, "BerthAgent_20261122", "SubmitReports", json_pack("{s:[]}", "reports"));
    CHECK(json_array_size(c) == 0); /* its reports are checked one by one */
    json_decref(c);
    test_server_close(&srv, dir);
}

TEST(authz_decisions_and_messages)
{
    OPEN_SERVER();
    struct policy *p =
        compile("{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"ecs:*\",\"Resource\":\"*\",\"Condition\":"
                "{\"StringEquals\":{\"ecs:cluster\":\"" ARN "cluster/A\"}}},"
                "{\"Effect\":\"Deny\",\"Action\":\"ecs:RunTask\",\"Resource\":\"*\",\"Condition\":"
                "{\"StringEquals\":{\"aws:RequestTag/team\":\"red\"}}}]}");
    const struct policy *ps[] = {p};
    struct error err;
    json_t *in_a = json_pack("{s:s, s:s}", "cluster", "A", "taskDefinition", "web:1");
    json_t *c = describe(&srv, ECS, "RunTask", json_incref(in_a));
    CHECK(authorize_checks(ps, 1, ALICE, c, &err) == 0);
    json_decref(c);
    c = describe(&srv, ECS, "RunTask", json_pack("{s:s, s:s}", "cluster", "B", "taskDefinition", "web:1"));
    CHECK(authorize_checks(ps, 1, ALICE, c, &err) < 0);
    CHECK(err.kind == API_ERR_ACCESS_DENIED);
    CHECK_STR(err.msg, "User: " ALICE " is not authorized to perform: ecs:RunTask on resource: " ARN
                       "task-definition/web:1 because no identity-based policy allows the ecs:RunTask action");
    json_decref(c);
    c = describe(&srv, ECS, "RunTask",
                 json_pack("{s:s, s:s, s:[{s:s, s:s}]}", "cluster", "A", "taskDefinition", "web:1", "tags", "key",
                           "team", "value", "red"));
    CHECK(authorize_checks(ps, 1, ALICE, c, &err) < 0);
    CHECK_STR(err.msg, "User: " ALICE " is not authorized to perform: ecs:RunTask on resource: " ARN
                       "task-definition/web:1 with an explicit deny in an identity-based policy");
    json_decref(c);
    /* ecs:* does not pass a role. */
    json_object_set_new(in_a, "overrides", json_pack("{s:s}", "taskRoleArn", ROLE));
    c = describe(&srv, ECS, "RunTask", in_a);
    CHECK(authorize_checks(ps, 1, ALICE, c, &err) < 0);
    CHECK_STR(err.msg, "User: " ALICE " is not authorized to perform: iam:PassRole on resource: " ROLE
                       " because no identity-based policy allows the iam:PassRole action");
    json_decref(c);
    policy_free(p);
    test_server_close(&srv, dir);
}

TEST(authz_dispatcher_refuses_before_the_handler)
{
    OPEN_SERVER();
    int status;
    json_t *out = call_as(&srv, ALICE, ECS ".CreateCluster", json_pack("{s:s}", "clusterName", "x"), &status);
    CHECK(status == 400);
    CHECK_STR(json_string_value(json_object_get(out, "__type")), "AccessDeniedException");
    CHECK_STR(json_string_value(json_object_get(out, "message")),
              "User: " ALICE " is not authorized to perform: ecs:CreateCluster on resource: " ARN
              "cluster/x because no identity-based policy allows the ecs:CreateCluster action");
    json_decref(out);
    out = call_as(&srv, ROOT, ECS ".ListClusters", json_pack("{}"), &status);
    CHECK(status == 200);
    CHECK(json_array_size(json_object_get(out, "clusterArns")) == 0); /* alice's cluster was never made */
    json_decref(out);
    /* A container instance may make the agent's calls, and no others. */
    out = call_as(&srv, INSTANCE, ECS ".DiscoverPollEndpoint", json_pack("{}"), &status);
    CHECK(status == 200);
    json_decref(out);
    out = call_as(&srv, INSTANCE, ECS ".CreateCluster", json_pack("{s:s}", "clusterName", "x"), &status);
    CHECK(status == 400);
    CHECK_STR(json_string_value(json_object_get(out, "__type")), "AccessDeniedException");
    json_decref(out);
    /* Each report of a batch is authorised as if it came alone. */
    out = call_as(&srv, ALICE, "BerthAgent_20261122.SubmitReports",
                  json_pack("{s:[{s:s, s:{s:s, s:s, s:s}}]}", "reports", "target", ECS ".SubmitTaskStateChange", "body",
                            "cluster", "A", "task", "abc", "status", "RUNNING"),
                  &status);
    CHECK(status == 400);
    CHECK_STR(json_string_value(json_object_get(out, "__type")), "AccessDeniedException");
    CHECK(strstr(json_string_value(json_object_get(out, "message")), "ecs:SubmitTaskStateChange") != NULL);
    json_decref(out);
    test_server_close(&srv, dir);
}

TEST(authz_principal_kinds)
{
    CHECK(authz_is_root(ROOT, "000000000000"));
    CHECK(!authz_is_root(ROOT, "111111111111"));
    CHECK(!authz_is_root(ALICE, "000000000000"));
    CHECK(!authz_is_root("arn:aws:iam::000000000000:rootx", "000000000000"));
    CHECK(authorize_is_instance(INSTANCE, "000000000000"));
    CHECK(!authorize_is_instance(INSTANCE, "111111111111"));
    CHECK(!authorize_is_instance(ARN "cluster/A", "000000000000"));
}

static int noop(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err) { return 0; }

TEST(authz_unsigned_requests_reach_only_actions_that_authenticate_their_callers)
{
    const struct api_action actions[] = {{"Open", noop, API_WRITE}, {"Shut", noop, API_WRITE}};
    const struct authz_rule rules[] = {{"Open", "x:Open", NULL, NULL, true}, {"Shut", "x:Shut", NULL, NULL, false}};
    struct api_service svc = {.target_prefix = "X", .actions = actions, .nactions = 2, .authz = rules, .nauthz = 2};
    struct op_ctx ctx = {.account = "000000000000", .caller = ""};
    struct error err;
    CHECK(authz_authorize(NULL, &svc, &actions[0], &ctx, NULL, &err) == 0);
    CHECK(authz_authorize(NULL, &svc, &actions[1], &ctx, NULL, &err) < 0);
    CHECK(err.kind == API_ERR_ACCESS_DENIED);
    /* Without rules a service serves root only. */
    svc.authz = NULL;
    CHECK(authz_authorize(NULL, &svc, &actions[0], &ctx, NULL, &err) < 0);
    ctx.caller = ROOT;
    CHECK(authz_authorize(NULL, &svc, &actions[0], &ctx, NULL, &err) == 0);
}

/* The checks a request to an IAM or STS action (rules from iam_authz.c)
 * asks of alice. */
static json_t *describe_iam(const struct authz_rule *rules, size_t n, const char *action, json_t *body)
{
    const struct api_action a = {action, noop, API_WRITE};
    struct api_service svc = {.target_prefix = "IAM", .actions = &a, .nactions = 1, .authz = rules, .nauthz = n};
    struct op_ctx ctx = {.account = "000000000000", .region = "us-east-1", .caller = ALICE};
    struct error err;
    json_t *c = authz_describe(&svc, &a, &ctx, body, &err);
    json_decref(body);
    return c;
}

TEST(authz_iam_and_sts_rules)
{
    size_t n, m;
    const struct authz_rule *iam = iam_authz_rules(&n), *sts = sts_authz_rules(&m);
    struct error err;
    CHECK(authz_check_rules(iam, n, NULL, 0, &err) == 0);
    CHECK(authz_check_rules(sts, m, NULL, 0, &err) == 0);
    json_t *c = describe_iam(iam, n, "CreateUser",
                             json_pack("{s:s, s:s, s:[{s:s, s:s}]}", "UserName", "bob", "Path", "/eng/", "Tags", "Key",
                                       "team", "Value", "a"));
    CHECK_STR(field(c, 0, "action"), "iam:CreateUser");
    CHECK_STR(field(c, 0, "resource"), "arn:aws:iam::000000000000:user/eng/bob");
    CHECK(has_key(c, 0, "aws:RequestTag/team", "a"));
    json_decref(c);
    c = describe_iam(iam, n, "CreateAccessKey", json_pack("{}")); /* no UserName: the caller's own */
    CHECK_STR(field(c, 0, "resource"), ALICE);
    json_decref(c);
    c = describe_iam(iam, n, "AttachRolePolicy",
                     json_pack("{s:s, s:s}", "RoleName", "app", "PolicyArn", "arn:aws:iam::aws:policy/ReadOnlyAccess"));
    CHECK_STR(field(c, 0, "resource"), ROLE);
    CHECK(has_key(c, 0, "iam:PolicyARN", "arn:aws:iam::aws:policy/ReadOnlyAccess"));
    json_decref(c);
    c = describe_iam(sts, m, "AssumeRole", json_pack("{s:s, s:s}", "RoleArn", ROLE, "RoleSessionName", "s1"));
    CHECK_STR(field(c, 0, "action"), "sts:AssumeRole");
    CHECK_STR(field(c, 0, "resource"), ROLE);
    CHECK(has_key(c, 0, "sts:RoleSessionName", "s1"));
    json_decref(c);
    c = describe_iam(sts, m, "GetCallerIdentity", json_pack("{}"));
    CHECK(json_array_size(c) == 0); /* no permission needed */
    json_decref(c);
}

TEST(authz_ssm_and_secrets_manager)
{
    OPEN_SERVER();
    int status;
    json_decref(call_as(&srv, ROOT, "AmazonSSM.PutParameter",
                        json_pack("{s:s, s:s, s:s, s:[{s:s, s:s}]}", "Name", "/app/p", "Value", "v", "Type", "String",
                                  "Tags", "Key", "team", "Value", "core"),
                        &status));
    CHECK(status == 200);
    json_t *c = describe(&srv, "AmazonSSM", "GetParameters", json_pack("{s:[s, s]}", "Names", "/app/p:1", "other"));
    CHECK(json_array_size(c) == 2);
    CHECK_STR(field(c, 0, "action"), "ssm:GetParameters");
    CHECK_STR(field(c, 0, "resource"), "arn:aws:ssm:us-east-1:000000000000:parameter/app/p");
    CHECK(has_key(c, 0, "aws:ResourceTag/team", "core"));
    CHECK_STR(field(c, 1, "resource"), "arn:aws:ssm:us-east-1:000000000000:parameter/other");
    json_decref(c);
    c = describe(&srv, "AmazonSSM", "PutParameter",
                 json_pack("{s:s, s:s, s:s, s:[{s:s, s:s}]}", "Name", "/new", "Value", "v", "Type", "String", "Tags",
                           "Key", "k", "Value", "x"));
    CHECK(has_key(c, 0, "ssm:Overwrite", "false"));
    CHECK(has_key(c, 0, "aws:RequestTag/k", "x"));
    CHECK_STR(field(c, 1, "action"), "ssm:AddTagsToResource");
    json_decref(c);
    c = describe(&srv, "AmazonSSM", "DescribeParameters", json_pack("{}"));
    CHECK_STR(field(c, 0, "resource"), "*");
    json_decref(c);

    json_t *out = call_as(&srv, ROOT, "secretsmanager.CreateSecret",
                          json_pack("{s:s, s:s}", "Name", "db", "SecretString", "s3cr3t"), &status);
    CHECK(status == 200);
    char arn[256];
    snprintf(arn, sizeof(arn), "%s", json_string_value(json_object_get(out, "ARN")));
    json_decref(out);
    c = describe(&srv, "secretsmanager", "GetSecretValue",
                 json_pack("{s:s, s:s}", "SecretId", "db", "VersionStage", "AWSPREVIOUS"));
    CHECK_STR(field(c, 0, "action"), "secretsmanager:GetSecretValue");
    CHECK_STR(field(c, 0, "resource"), arn); /* the full ARN, named by its name */
    CHECK(has_key(c, 0, "secretsmanager:VersionStage", "AWSPREVIOUS"));
    CHECK(has_key(c, 0, "secretsmanager:SecretId", "db"));
    json_decref(c);
    c = describe(&srv, "secretsmanager", "CreateSecret", json_pack("{s:s}", "Name", "fresh"));
    CHECK_STR(field(c, 0, "resource"), "arn:aws:secretsmanager:us-east-1:000000000000:secret:fresh-??????");
    CHECK(has_key(c, 0, "secretsmanager:Name", "fresh"));
    json_decref(c);
    test_server_close(&srv, dir);
}
