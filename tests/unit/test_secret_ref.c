/* Unit tests: splitting a Secrets Manager valueFrom as ECS reads it. */
#include "agent/task/secret_ref.h"
#include "test.h"

#define ARN "arn:aws:secretsmanager:us-east-1:000000000000:secret:app-creds-AbCdEf"

TEST(secret_ref_splits_arn_and_tail)
{
    struct secret_ref r;
    CHECK(secret_ref_parse(ARN, &r) == 0);
    CHECK_STR(r.arn, ARN);
    CHECK_STR(r.key, "");
    CHECK(secret_ref_parse(ARN ":password::", &r) == 0);
    CHECK_STR(r.arn, ARN);
    CHECK_STR(r.key, "password");
    CHECK_STR(r.stage, "");
    CHECK_STR(r.id, "");
    CHECK(secret_ref_parse(ARN "::AWSPREVIOUS:", &r) == 0);
    CHECK_STR(r.key, "");
    CHECK_STR(r.stage, "AWSPREVIOUS");
    CHECK(secret_ref_parse(ARN ":user:AWSCURRENT:0123456789abcdef0123456789abcdef", &r) == 0);
    CHECK_STR(r.key, "user");
    CHECK_STR(r.stage, "AWSCURRENT");
    CHECK_STR(r.id, "0123456789abcdef0123456789abcdef");
    CHECK(secret_ref_parse(ARN ":k", &r) == 0);
    CHECK_STR(r.key, "k");
    CHECK(secret_ref_parse(ARN ":a:b:c:d", &r) < 0); /* four after the ARN */
}

TEST(secret_ref_tells_secrets_from_parameters)
{
    CHECK(secret_ref_is_asm(ARN));
    CHECK(!secret_ref_is_asm("/app/db"));
    CHECK(!secret_ref_is_asm("arn:aws:ssm:us-east-1:000000000000:parameter/app/db"));
    CHECK(!secret_ref_is_asm("secretsmanager:thing"));
}
