/* Unit tests: role trust policies (who may assume a role) and telling
 * principal ARNs apart. */
#include <string.h>

#include "server/iam/principal.h"
#include "server/iam/trust_policy.h"
#include "test.h"

#define ACCT "123456789012"

TEST(trust_policy_check_refuses_what_it_cannot_evaluate)
{
    struct error err;
    CHECK(trust_policy_check("{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":"
                             "\"" ACCT "\"},\"Action\":\"sts:AssumeRole\"}}",
                             &err) == 0);
    CHECK(trust_policy_check("{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":[\"ecs-tasks."
                             "amazonaws.com\"]},\"Action\":[\"sts:AssumeRole\"]}]}",
                             &err) == 0);
    CHECK(trust_policy_check("not json", &err) < 0);
    CHECK(trust_policy_check("{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"*\","
                             "\"Condition\":{\"NumericLessThan\":{\"aws:MultiFactorAuthAge\":\"3600\"}}}]}",
                             &err) < 0);
    CHECK(strstr(err.msg, "NumericLessThan") != NULL);
    CHECK(trust_policy_check("{\"Statement\":[]}", &err) < 0);
    CHECK(trust_policy_check("{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\"}]}", &err) < 0);
    CHECK(strstr(err.msg, "Principal") != NULL);
    CHECK(trust_policy_check("{\"Statement\":[{\"Effect\":\"Maybe\",\"Principal\":\"*\",\"Action\":\"*\"}]}", &err) <
          0);
    CHECK(trust_policy_check("{\"Statement\":[{\"Effect\":\"Allow\",\"NotPrincipal\":{\"AWS\":\"*\"},\"Principal\":"
                             "\"*\",\"Action\":\"*\"}]}",
                             &err) < 0);
    CHECK(trust_policy_check("{\"Version\":\"2099-01-01\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\","
                             "\"Action\":\"*\"}]}",
                             &err) < 0);
}

TEST(trust_policy_names_callers)
{
    const char *user = "arn:aws:iam::" ACCT ":user/ops/alice";
    const char *session = "arn:aws:sts::" ACCT ":assumed-role/builder/ci";
    const char *by_account = "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::" ACCT
                             ":root\"},\"Action\":\"sts:AssumeRole\"}}";
    CHECK(trust_policy_allows(by_account, ACCT, user, "sts:AssumeRole", NULL, 0));
    CHECK(trust_policy_allows(by_account, ACCT, session, "sts:AssumeRole", NULL, 0));
    CHECK(!trust_policy_allows(by_account, "999999999999", "arn:aws:iam::999999999999:user/alice", "sts:AssumeRole",
                               NULL, 0));
    CHECK(!trust_policy_allows(by_account, ACCT, user, "sts:TagSession", NULL, 0));
    const char *by_user = "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":[\"arn:aws:iam::" ACCT
                          ":user/ops/alice\"]},\"Action\":\"sts:*\"}]}";
    CHECK(trust_policy_allows(by_user, ACCT, user, "sts:AssumeRole", NULL, 0));
    CHECK(!trust_policy_allows(by_user, ACCT, "arn:aws:iam::" ACCT ":user/bob", "sts:AssumeRole", NULL, 0));
    const char *by_role = "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::" ACCT
                          ":role/builder\"},\"Action\":\"sts:AssumeRole\"}]}";
    CHECK(trust_policy_allows(by_role, ACCT, session, "sts:AssumeRole", NULL, 0));
    CHECK(!trust_policy_allows(by_role, ACCT, "arn:aws:sts::" ACCT ":assumed-role/builder2/ci", "sts:AssumeRole", NULL,
                               0));
    const char *service = "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"ecs-tasks.amazonaws."
                          "com\"},\"Action\":\"sts:AssumeRole\"}]}";
    CHECK(!trust_policy_allows(service, ACCT, user, "sts:AssumeRole", NULL, 0));
    const char *denied = "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"sts:AssumeRole\"},"
                         "{\"Effect\":\"Deny\",\"Principal\":{\"AWS\":\"" ACCT "\"},\"Action\":\"*\"}]}";
    CHECK(!trust_policy_allows(denied, ACCT, user, "sts:AssumeRole", NULL, 0));
    const char *conditional = "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"sts:AssumeRole\","
                              "\"Condition\":{\"StringEquals\":{\"sts:ExternalId\":\"x\"}}}]}";
    CHECK(!trust_policy_allows(conditional, ACCT, user, "sts:AssumeRole", NULL, 0));
    const char *x = "x", *y = "y";
    const struct policy_key ext_x = {"sts:ExternalId", &x, 1}, ext_y = {"sts:ExternalId", &y, 1};
    CHECK(trust_policy_allows(conditional, ACCT, user, "sts:AssumeRole", &ext_x, 1));
    CHECK(!trust_policy_allows(conditional, ACCT, user, "sts:AssumeRole", &ext_y, 1));
    /* a conditional Deny denies only when its condition holds */
    const char *deny_if = "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"sts:AssumeRole\"},"
                          "{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"*\",\"Condition\":{"
                          "\"StringEquals\":{\"sts:ExternalId\":\"y\"}}}]}";
    CHECK(trust_policy_allows(deny_if, ACCT, user, "sts:AssumeRole", &ext_x, 1));
    CHECK(!trust_policy_allows(deny_if, ACCT, user, "sts:AssumeRole", &ext_y, 1));
    CHECK(!trust_policy_allows(NULL, ACCT, user, "sts:AssumeRole", NULL, 0));
}

/* What the server assumes for ecs-tasks.amazonaws.com (a task's execution
 * role): only a Service entry naming it counts, never "*" or an account. */
TEST(trust_policy_names_service_principals)
{
    const char *svc = "ecs-tasks.amazonaws.com";
    const char *one = "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"ecs-tasks.amazonaws."
                      "com\"},\"Action\":\"sts:AssumeRole\"}}";
    const char *list = "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":[\"ec2.amazonaws.com\","
                       "\"ecs-tasks.amazonaws.com\"]},\"Action\":[\"sts:AssumeRole\"]}]}";
    const char *other = "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"ec2.amazonaws.com\"},"
                        "\"Action\":\"sts:AssumeRole\"}}";
    const char *star = "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"sts:AssumeRole\"}}";
    const char *account = "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"" ACCT "\"},"
                          "\"Action\":\"sts:AssumeRole\"}}";
    const char *denied = "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"ecs-tasks.amazonaws."
                         "com\"},\"Action\":\"sts:AssumeRole\"},{\"Effect\":\"Deny\",\"Principal\":{\"Service\":"
                         "\"ecs-tasks.amazonaws.com\"},\"Action\":\"sts:*\"}]}";
    CHECK(trust_policy_allows_service(one, svc, "sts:AssumeRole", NULL, 0));
    CHECK(trust_policy_allows_service(list, svc, "sts:AssumeRole", NULL, 0));
    CHECK(!trust_policy_allows_service(one, svc, "sts:TagSession", NULL, 0));
    CHECK(!trust_policy_allows_service(other, svc, "sts:AssumeRole", NULL, 0));
    CHECK(!trust_policy_allows_service(star, svc, "sts:AssumeRole", NULL, 0));
    CHECK(!trust_policy_allows_service(account, svc, "sts:AssumeRole", NULL, 0));
    CHECK(!trust_policy_allows_service(denied, svc, "sts:AssumeRole", NULL, 0));
    /* ECS's documented guard against the confused deputy */
    const char *guarded =
        "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"ecs-tasks.amazonaws."
        "com\"},\"Action\":\"sts:AssumeRole\",\"Condition\":{\"ArnLike\":{\"aws:SourceArn\":"
        "\"arn:aws:ecs:us-east-1:" ACCT ":*\"},\"StringEquals\":{\"aws:SourceAccount\":\"" ACCT "\"}}}}";
    const char *acct = ACCT, *other_acct = "999999999999", *task = "arn:aws:ecs:us-east-1:" ACCT ":task/c/1";
    const struct policy_key ok[] = {{"aws:SourceAccount", &acct, 1}, {"aws:SourceArn", &task, 1}};
    const struct policy_key wrong[] = {{"aws:SourceAccount", &other_acct, 1}, {"aws:SourceArn", &task, 1}};
    CHECK(trust_policy_allows_service(guarded, svc, "sts:AssumeRole", ok, 2));
    CHECK(!trust_policy_allows_service(guarded, svc, "sts:AssumeRole", wrong, 2));
    CHECK(!trust_policy_allows_service(guarded, svc, "sts:AssumeRole", ok, 1));
    /* and a caller never matches a Service entry */
    CHECK(!trust_policy_allows(one, ACCT, "arn:aws:iam::" ACCT ":root", "sts:AssumeRole", NULL, 0));
}

TEST(principal_parse_tells_arns_apart)
{
    struct principal p;
    principal_parse(ACCT, "arn:aws:iam::" ACCT ":root", &p);
    CHECK(p.kind == PRINCIPAL_ROOT);
    principal_parse(ACCT, "arn:aws:iam::" ACCT ":user/a/b/carol", &p);
    CHECK(p.kind == PRINCIPAL_USER);
    CHECK_STR(p.name, "carol");
    principal_parse(ACCT, "arn:aws:sts::" ACCT ":assumed-role/builder/ci-1", &p);
    CHECK(p.kind == PRINCIPAL_ASSUMED_ROLE);
    CHECK_STR(p.name, "builder");
    CHECK_STR(p.session, "ci-1");
    principal_parse(ACCT, "arn:aws:iam::999999999999:root", &p);
    CHECK(p.kind == PRINCIPAL_OTHER);
    principal_parse(ACCT, "arn:aws:sts::" ACCT ":assumed-role/builder", &p);
    CHECK(p.kind == PRINCIPAL_OTHER);
    principal_parse(ACCT, "arn:aws:ecs:us-east-1:" ACCT ":container-instance/c/abc", &p);
    CHECK(p.kind == PRINCIPAL_OTHER);
}
