/* Unit tests: IAM policy evaluation as AWS documents it - explicit deny over
 * allow over implicit deny, wildcards, Not* elements, condition operators
 * and set prefixes - and documents IAM would refuse are refused. */
#include <string.h>

#include "server/iam/policy.h"
#include "test.h"

static struct policy *compile(const char *text)
{
    struct policy *p = NULL;
    struct error err;
    if (policy_compile(text, strlen(text), &p, &err) < 0)
        fprintf(stderr, "  compile: %s\n", err.msg);
    return p;
}

static enum policy_decision eval(const struct policy *p, const char *action, const char *resource,
                                 const struct policy_key *keys, size_t nkeys)
{
    struct policy_request r = {action, resource, keys, nkeys};
    return policy_evaluate(p, &r);
}

#define CLUSTER_A "arn:aws:ecs:us-east-1:000000000000:cluster/a"
#define CLUSTER_B "arn:aws:ecs:us-east-1:000000000000:cluster/b"

TEST(policy_allow_deny_implicit)
{
    struct policy *p = compile("{\"Version\":\"2012-10-17\",\"Statement\":["
                               "{\"Effect\":\"Allow\",\"Action\":\"ecs:*\",\"Resource\":\"*\"},"
                               "{\"Effect\":\"Deny\",\"Action\":[\"ecs:DeleteCluster\"],\"Resource\":\"*\"}]}");
    CHECK(p != NULL);
    CHECK(eval(p, "ecs:ListClusters", "*", NULL, 0) == POLICY_ALLOW);
    CHECK(eval(p, "ECS:listclusters", "*", NULL, 0) == POLICY_ALLOW); /* actions ignore case */
    CHECK(eval(p, "ecs:DeleteCluster", CLUSTER_A, NULL, 0) == POLICY_EXPLICIT_DENY);
    CHECK(eval(p, "logs:GetLogEvents", "*", NULL, 0) == POLICY_IMPLICIT_DENY);
    policy_free(p);
}

TEST(policy_cluster_scoped_user)
{
    /* ecs:* on cluster A only: resources and the ecs:cluster condition. */
    struct policy *p =
        compile("{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"ecs:*\",\"Resource\":\"" CLUSTER_A
                "\"},{\"Effect\":\"Allow\",\"Action\":[\"ecs:RunTask\",\"ecs:ListTasks\"],"
                "\"Resource\":\"*\",\"Condition\":{\"ArnEquals\":{\"ecs:cluster\":\"" CLUSTER_A "\"}}}]}");
    CHECK(p != NULL);
    const char *a[] = {CLUSTER_A}, *b[] = {CLUSTER_B};
    struct policy_key in_a = {"ecs:cluster", a, 1}, in_b = {"ecs:cluster", b, 1};
    CHECK(eval(p, "ecs:UpdateCluster", CLUSTER_A, NULL, 0) == POLICY_ALLOW);
    CHECK(eval(p, "ecs:UpdateCluster", CLUSTER_B, NULL, 0) == POLICY_IMPLICIT_DENY);
    CHECK(eval(p, "ecs:RunTask", "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1", &in_a, 1) == POLICY_ALLOW);
    CHECK(eval(p, "ecs:RunTask", "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1", &in_b, 1) ==
          POLICY_IMPLICIT_DENY);
    CHECK(eval(p, "ecs:ListTasks", "*", NULL, 0) == POLICY_IMPLICIT_DENY); /* no key: ArnEquals is false */
    policy_free(p);
}

TEST(policy_not_action_not_resource_and_globs)
{
    struct policy *p = compile("{\"Statement\":{\"Effect\":\"Allow\",\"NotAction\":\"iam:*\","
                               "\"NotResource\":\"arn:aws:ecs:*:*:cluster/prod-?\"}}");
    CHECK(p != NULL);
    CHECK(eval(p, "ecs:RunTask", CLUSTER_A, NULL, 0) == POLICY_ALLOW);
    CHECK(eval(p, "iam:CreateUser", "*", NULL, 0) == POLICY_IMPLICIT_DENY);
    CHECK(eval(p, "ecs:RunTask", "arn:aws:ecs:us-east-1:000000000000:cluster/prod-1", NULL, 0) == POLICY_IMPLICIT_DENY);
    CHECK(eval(p, "ecs:RunTask", "arn:aws:ecs:us-east-1:000000000000:cluster/prod-12", NULL, 0) == POLICY_ALLOW);
    policy_free(p);
    CHECK(policy_glob("a*b*c", "aXXbYYc", false) && !policy_glob("a*b*c", "aXXbYY", false));
    /* Several stars, no '?': the run-by-run matcher. */
    p = compile("{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"ecs:*Service*\","
                "\"Resource\":\"arn:aws:ecs:*:*:service/*/web\"}}");
    CHECK(p != NULL);
    CHECK(eval(p, "ecs:UpdateService", "arn:aws:ecs:us-east-1:000000000000:service/c1/web", NULL, 0) == POLICY_ALLOW);
    CHECK(eval(p, "ecs:DescribeServices", "arn:aws:ecs:eu-west-1:1:service/x/y/web", NULL, 0) == POLICY_ALLOW);
    CHECK(eval(p, "ecs:UpdateService", "arn:aws:ecs:us-east-1:000000000000:service/c1/web2", NULL, 0) ==
          POLICY_IMPLICIT_DENY);
    CHECK(eval(p, "ecs:RunTask", "arn:aws:ecs:us-east-1:000000000000:service/c1/web", NULL, 0) == POLICY_IMPLICIT_DENY);
    CHECK(eval(p, "ecs:UpdateService", "arn:aws:ecs:us-east-1:000000000000:task/c1/web", NULL, 0) ==
          POLICY_IMPLICIT_DENY);
    policy_free(p);
    CHECK(policy_glob("*", "", false) && policy_glob("ecs:Describe*", "ECS:DESCRIBETASKS", true));
}

TEST(policy_conditions)
{
    struct policy *p =
        compile("{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"ecs:*\",\"Resource\":\"*\",\"Condition\":{"
                "\"StringEquals\":{\"aws:ResourceTag/env\":[\"dev\",\"test\"]},"
                "\"StringLike\":{\"aws:PrincipalArn\":\"arn:aws:iam::*:user/ci-*\"},"
                "\"BoolIfExists\":{\"aws:SecureTransport\":true}}},"
                "{\"Effect\":\"Deny\",\"Action\":\"ecs:*\",\"Resource\":\"*\",\"Condition\":{"
                "\"ForAnyValue:StringEquals\":{\"aws:TagKeys\":[\"owner\"]}}}]}");
    CHECK(p != NULL);
    const char *dev[] = {"dev"}, *prod[] = {"prod"}, *ci[] = {"arn:aws:iam::000000000000:user/ci-deploy"};
    const char *f[] = {"false"}, *keys_ok[] = {"team", "cost"}, *keys_bad[] = {"team", "owner"};
    struct policy_key ok[] = {{"aws:ResourceTag/env", dev, 1}, {"aws:principalarn", ci, 1}};
    struct policy_key wrong_env[] = {{"aws:ResourceTag/env", prod, 1}, {"aws:PrincipalArn", ci, 1}};
    struct policy_key insecure[] = {
        {"aws:ResourceTag/env", dev, 1}, {"aws:PrincipalArn", ci, 1}, {"aws:SecureTransport", f, 1}};
    struct policy_key tags_ok[] = {
        {"aws:ResourceTag/env", dev, 1}, {"aws:PrincipalArn", ci, 1}, {"aws:TagKeys", keys_ok, 2}};
    struct policy_key tags_bad[] = {
        {"aws:ResourceTag/env", dev, 1}, {"aws:PrincipalArn", ci, 1}, {"aws:TagKeys", keys_bad, 2}};
    CHECK(eval(p, "ecs:RunTask", "*", ok, 2) == POLICY_ALLOW); /* key names ignore case; IfExists */
    CHECK(eval(p, "ecs:RunTask", "*", wrong_env, 2) == POLICY_IMPLICIT_DENY);
    CHECK(eval(p, "ecs:RunTask", "*", insecure, 3) == POLICY_IMPLICIT_DENY);
    CHECK(eval(p, "ecs:RunTask", "*", tags_ok, 3) == POLICY_ALLOW);
    CHECK(eval(p, "ecs:RunTask", "*", tags_bad, 3) == POLICY_EXPLICIT_DENY);
    policy_free(p);
}

TEST(policy_negated_sets_and_null)
{
    struct policy *p = compile(
        "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"ecs:TagResource\",\"Resource\":\"*\",\"Condition\":{"
        "\"ForAllValues:StringEquals\":{\"aws:TagKeys\":[\"env\",\"team\"]},"
        "\"StringNotEquals\":{\"aws:RequestTag/env\":\"prod\"},"
        "\"Null\":{\"aws:RequestTag/team\":\"false\"}}}]}");
    CHECK(p != NULL);
    const char *k1[] = {"env", "team"}, *k2[] = {"env", "owner"}, *dev[] = {"dev"}, *prod[] = {"prod"}, *t[] = {"x"};
    struct policy_key good[] = {{"aws:TagKeys", k1, 2}, {"aws:RequestTag/env", dev, 1}, {"aws:RequestTag/team", t, 1}};
    struct policy_key extra_key[] = {
        {"aws:TagKeys", k2, 2}, {"aws:RequestTag/env", dev, 1}, {"aws:RequestTag/team", t, 1}};
    struct policy_key to_prod[] = {
        {"aws:TagKeys", k1, 2}, {"aws:RequestTag/env", prod, 1}, {"aws:RequestTag/team", t, 1}};
    struct policy_key no_team[] = {{"aws:TagKeys", k1, 2}, {"aws:RequestTag/env", dev, 1}};
    CHECK(eval(p, "ecs:TagResource", "*", good, 3) == POLICY_ALLOW);
    CHECK(eval(p, "ecs:TagResource", "*", extra_key, 3) == POLICY_IMPLICIT_DENY);
    CHECK(eval(p, "ecs:TagResource", "*", to_prod, 3) == POLICY_IMPLICIT_DENY);
    CHECK(eval(p, "ecs:TagResource", "*", no_team, 2) == POLICY_IMPLICIT_DENY);
    policy_free(p);
}

TEST(policy_refuses_malformed_documents)
{
    struct policy *p = NULL;
    struct error err;
    const char *bad[] = {
        "not json",
        "{\"Statement\":[]}",
        "{\"Statement\":[{\"Effect\":\"Maybe\",\"Action\":\"*\",\"Resource\":\"*\"}]}",
        "{\"Statement\":[{\"Effect\":\"Allow\",\"Resource\":\"*\"}]}",
        "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"NotAction\":\"x\",\"Resource\":\"*\"}]}",
        "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\","
        "\"Condition\":{\"NumericLessThan\":{\"k\":\"1\"}}}]}",
        "{\"Version\":\"2099-01-01\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}",
        "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[1],\"Resource\":\"*\"}]}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK(policy_compile(bad[i], strlen(bad[i]), &p, &err) < 0);
    CHECK(strstr(err.msg, "Action") != NULL);
}
