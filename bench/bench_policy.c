/* bench_policy.c - IAM policy evaluations per second: an identity's 50
 * statements in 5 policies of 10 (IAM caps a policy's size) (wildcard actions, ARN globs, conditions on ecs:cluster
 * and resource tags), evaluated against a rotating set of requests where
 * most statements must be tried before the answer is known.  Reports a
 * figure as JSON on stdout; asserts nothing.
 *
 *   make build/bench_policy && build/bench_policy [seconds] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "server/iam/policy.h"

enum { STATEMENTS = 50, PER_POLICY = 10, POLICIES = STATEMENTS / PER_POLICY, REQUESTS = 64 };

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 50 statements: allows on per-team clusters with conditions, and a few
 * denies at the end, so most requests walk all of them. */
static void policy_text(struct buf *b, int first)
{
    buf_append_str(b, "{\"Version\":\"2012-10-17\",\"Statement\":[");
    for (int i = first; i < first + PER_POLICY; i++) {
        if (i % 10 == 9)
            buf_printf(b,
                       "%s{\"Effect\":\"Deny\",\"Action\":[\"ecs:Delete*\",\"ecs:Deregister*\"],"
                       "\"Resource\":\"arn:aws:ecs:*:*:cluster/prod-%d\"}",
                       i > first ? "," : "", i);
        else
            buf_printf(b,
                       "%s{\"Effect\":\"Allow\",\"Action\":[\"ecs:Describe*\",\"ecs:List*\",\"ecs:RunTask\","
                       "\"ecs:UpdateService\"],\"Resource\":[\"arn:aws:ecs:us-east-1:000000000000:*/team-%d*\","
                       "\"arn:aws:ecs:us-east-1:000000000000:task-definition/app-%d:*\"],"
                       "\"Condition\":{\"ArnLike\":{\"ecs:cluster\":\"arn:aws:ecs:*:*:cluster/team-%d*\"},"
                       "\"StringEqualsIfExists\":{\"aws:ResourceTag/env\":[\"dev\",\"test\"]}}}",
                       i > first ? "," : "", i, i, i);
    }
    buf_append_str(b, "]}");
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? strtod(argv[1], NULL) : 2.0;
    struct policy *ps[POLICIES];
    struct error err;
    for (int k = 0; k < POLICIES; k++) {
        struct buf text;
        buf_init(&text, 1 << 20);
        policy_text(&text, k * PER_POLICY);
        int rc = policy_compile(text.data, text.len, &ps[k], &err);
        buf_free(&text);
        if (rc < 0) {
            fprintf(stderr, "bench_policy: %s\n", err.msg);
            return 1;
        }
    }
    char actions[REQUESTS][64], resources[REQUESTS][128], clusters[REQUESTS][128];
    const char *cv[REQUESTS][1];
    struct policy_key keys[REQUESTS][1];
    static const char *verbs[] = {"ecs:RunTask", "ecs:DescribeServices", "ecs:DeleteService", "ecs:StopTask"};
    for (int i = 0; i < REQUESTS; i++) {
        int team = (i * 7) % (STATEMENTS + 10);
        snprintf(actions[i], sizeof(actions[i]), "%s", verbs[i % 4]);
        snprintf(resources[i], sizeof(resources[i]), "arn:aws:ecs:us-east-1:000000000000:service/team-%d/web", team);
        snprintf(clusters[i], sizeof(clusters[i]), "arn:aws:ecs:us-east-1:000000000000:cluster/team-%d", team);
        cv[i][0] = clusters[i];
        keys[i][0] = (struct policy_key){"ecs:cluster", cv[i], 1};
    }
    long evals = 0, allowed = 0;
    double start = now(), end = start + seconds;
    while (now() < end) {
        for (int k = 0; k < 10000; k++) {
            int i = k % REQUESTS;
            struct policy_request r = {actions[i], resources[i], keys[i], 1};
            allowed += policy_evaluate_all((const struct policy *const *)ps, POLICIES, &r) == POLICY_ALLOW;
            evals++;
        }
    }
    double took = now() - start;
    printf("{\"statements\": %d, \"evaluations\": %ld, \"seconds\": %.3f, \"per_second\": %.0f, \"allowed\": %ld}\n",
           STATEMENTS, evals, took, (double)evals / took, allowed);
    for (int k = 0; k < POLICIES; k++)
        policy_free(ps[k]);
    return 0;
}
