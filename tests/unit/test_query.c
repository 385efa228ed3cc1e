/* Unit tests: the ECS cluster query language (parsing, errors, evaluation). */
#include <stdlib.h>
#include <string.h>

#include "common/isodate.h"
#include "server/placement/query.h"
#include "test.h"

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

static const struct query_attr attrs[] = {
    {"ecs.availability-zone", "us-east-1a"},
    {"ecs.instance-type", "t2.micro"},
    {"ecs.os-type", "linux"},
    {"stack", "prod"},
    {"weight", "10"},
    {"ecs.capability.secrets.ssm", NULL},
};

static const struct query_group groups[] = {
    {"service:web", 2},
    {"family:batch", 1},
    {"service:gone", 0},
};

static struct query_subject subject(void)
{
    int64_t lo, hi;
    isodate_parse("2026-01-15T10:00:00Z", &lo, &hi);
    return (struct query_subject){
        .ec2_instance_id = "i-0abc",
        .agent_version = "1.16.2",
        .registered_at_usec = lo,
        .agent_connected = true,
        .running_tasks_count = 3,
        .attrs = attrs,
        .n_attrs = ELEMENTSOF(attrs),
        .groups = groups,
        .n_groups = ELEMENTSOF(groups),
    };
}

/* 1 if text matches the default subject, 0 if not, -1 if it does not parse. */
static int eval_on(const char *text, const struct query_subject *s)
{
    struct query *q = NULL;
    struct error err = {0};
    if (query_parse(text, &q, &err) < 0) {
        fprintf(stderr, "  parse failed: %s\n", err.msg);
        return -1;
    }
    int r = query_match(q, s) ? 1 : 0;
    query_free(q);
    return r;
}

static int eval(const char *text)
{
    struct query_subject s = subject();
    return eval_on(text, &s);
}

/* The error message for text, or "" when it parses. */
static const char *parse_msg(const char *text, struct error *err)
{
    struct query *q = NULL;
    *err = (struct error){0};
    if (query_parse(text, &q, err) == 0) {
        query_free(q);
        return "";
    }
    return err->msg;
}

TEST(query_equality_and_aliases)
{
    CHECK(eval("attribute:ecs.instance-type == t2.micro") == 1);
    CHECK(eval("attribute:ecs.instance-type equals t2.micro") == 1);
    CHECK(eval("attribute:ecs.instance-type == t2.small") == 0);
    CHECK(eval("attribute:ecs.instance-type != t2.small") == 1);
    CHECK(eval("attribute:ecs.instance-type not_equals t2.micro") == 0);
    CHECK(eval("ec2InstanceId == i-0abc") == 1);
    CHECK(eval("ec2InstanceId == 'i-0abc'") == 1);
    CHECK(eval("ec2InstanceId == \"i-0abc\"") == 1);
    CHECK(eval("agentConnected == true") == 1);
    CHECK(eval("agentConnected == FALSE") == 0);
    CHECK(eval("agentConnected != false") == 1);
    /* keywords and subject names are case-insensitive; attribute names are not */
    CHECK(eval("ATTRIBUTE:stack EQUALS prod") == 1);
    CHECK(eval("attribute:STACK == prod") == 0);
}

TEST(query_wildcards)
{
    CHECK(eval("attribute:ecs.instance-type == t2.*") == 1);
    CHECK(eval("attribute:ecs.instance-type == *.micro") == 1);
    CHECK(eval("attribute:ecs.instance-type == t*o") == 1);
    CHECK(eval("attribute:ecs.instance-type == m5.*") == 0);
    CHECK(eval("attribute:ecs.instance-type != m5.*") == 1);
    CHECK(eval("attribute:ecs.instance-type in [m5.*, t2.*]") == 1);
    CHECK(eval("attribute:ecs.instance-type == *") == 1);
    CHECK(eval("attribute:ecs.instance-type == t2.micro*") == 1);
    CHECK(eval("attribute:ecs.instance-type == t2.micro.*") == 0);
}

TEST(query_matches_regex)
{
    CHECK(eval("attribute:ecs.instance-type =~ t2.*") == 1);
    CHECK(eval("attribute:ecs.instance-type matches 't2\\.(micro|small)'") == 1);
    CHECK(eval("attribute:ecs.instance-type =~ micro") == 0); /* whole-value match */
    CHECK(eval("attribute:ecs.instance-type =~ .*micro") == 1);
    CHECK(eval("attribute:ecs.instance-type !~ m5.*") == 1);
    CHECK(eval("attribute:ecs.instance-type not_matches t2.*") == 0);
    CHECK(eval("ec2InstanceId =~ i-[0-9a-f]+") == 1);
    CHECK(eval("agentConnected =~ t.*") == 1);
    CHECK(eval("task:group =~ service:.*") == 1);
    CHECK(eval("task:group !~ family:other.*") == 1);
}

TEST(query_exists)
{
    CHECK(eval("attribute:stack exists") == 1);
    CHECK(eval("attribute:ecs.capability.secrets.ssm exists") == 1); /* name-only attribute */
    CHECK(eval("attribute:nope exists") == 0);
    CHECK(eval("attribute:nope !exists") == 1);
    CHECK(eval("attribute:nope not_exists") == 1);
    CHECK(eval("attribute:stack not_exists") == 0);
    /* a value comparison on a name-only attribute is false, its negation true */
    CHECK(eval("attribute:ecs.capability.secrets.ssm == x") == 0);
    CHECK(eval("attribute:ecs.capability.secrets.ssm != x") == 1);
    /* negative operators hold on instances without the attribute */
    CHECK(eval("attribute:nope != prod") == 1);
    CHECK(eval("attribute:nope == prod") == 0);
    CHECK(eval("attribute:nope not_in [a, b]") == 1);
    CHECK(eval("attribute:nope > 1") == 0);
}

TEST(query_in_lists)
{
    CHECK(eval("attribute:ecs.availability-zone in [us-east-1a, us-east-1b]") == 1);
    CHECK(eval("attribute:ecs.availability-zone in [us-east-1b,us-east-1c]") == 0);
    CHECK(eval("attribute:ecs.availability-zone not_in [us-east-1b, us-east-1c]") == 1);
    CHECK(eval("attribute:ecs.availability-zone !in [us-east-1a]") == 0);
    CHECK(eval("ec2InstanceId in ['i-abcd1234', 'i-0abc']") == 1);
    CHECK(eval("attribute:stack in [prod]") == 1);
    CHECK(eval("runningTasksCount == 3") == 1);
    CHECK(eval("agentConnected in [true]") == 1);
    CHECK(eval("task:group in [service:db, service:web]") == 1);
    CHECK(eval("task:group not_in [service:db, family:x]") == 1);
}

TEST(query_numbers)
{
    CHECK(eval("runningTasksCount == 3") == 1);
    CHECK(eval("runningTasksCount > 2") == 1);
    CHECK(eval("runningTasksCount greater_than 3") == 0);
    CHECK(eval("runningTasksCount >= 3") == 1);
    CHECK(eval("runningTasksCount < 3") == 0);
    CHECK(eval("runningTasksCount less_than 10") == 1); /* numeric, not "10" < "3" */
    CHECK(eval("runningTasksCount <= 3") == 1);
    CHECK(eval("runningTasksCount != 0") == 1);
    CHECK(eval("runningTasksCount>2") == 1);
    /* attribute values order numerically when both sides are numbers */
    CHECK(eval("attribute:weight > 9") == 1);
    CHECK(eval("attribute:weight < 100") == 1);
    CHECK(eval("attribute:weight >= 10.0") == 1);
    /* else as strings */
    CHECK(eval("attribute:stack > dev") == 1);
    CHECK(eval("attribute:stack < abc") == 0);
}

TEST(query_agent_version_order)
{
    CHECK(eval("agentVersion == 1.16.2") == 1);
    CHECK(eval("agentVersion > 1.9.0") == 1); /* numeric parts, not strings */
    CHECK(eval("agentVersion < 1.16.10") == 1);
    CHECK(eval("agentVersion >= 1.16.2") == 1);
    CHECK(eval("agentVersion greater_than_equal 1.17") == 0);
    CHECK(eval("agentVersion != 1.16.0") == 1);
    CHECK(eval("agentVersion <= 1.16.2") == 1);
    CHECK(eval("agentVersion less_than_equal 1.16.1") == 0);
}

TEST(query_dates)
{
    /* registered 2026-01-15T10:00:00Z */
    CHECK(eval("registeredAt > 2026-01-01") == 1);
    CHECK(eval("registeredAt < 2026-01-01") == 0);
    CHECK(eval("registeredAt == 2026-01-15") == 1); /* a date is its whole day */
    CHECK(eval("registeredAt > 2026-01-15") == 0);
    CHECK(eval("registeredAt >= 2026-01-15") == 1);
    CHECK(eval("registeredAt <= 2026-01-15") == 1);
    CHECK(eval("registeredAt < 2026-01-16") == 1);
    CHECK(eval("registeredAt == 2026-01-15T10:00:00Z") == 1);
    CHECK(eval("registeredAt == 2026-01-15T10:00:00") == 1);
    CHECK(eval("registeredAt == 2026-01-15T12:00:00+02:00") == 1);
    CHECK(eval("registeredAt == 2026-01-15T05:00:00-05:00") == 1);
    CHECK(eval("registeredAt < 2026-01-15T10:00:01Z") == 1);
    CHECK(eval("registeredAt greater_than 2026-01-15T09:59:59Z") == 1);
    CHECK(eval("registeredAt != 2026-01-14") == 1);
}

TEST(query_task_group)
{
    CHECK(eval("task:group == service:web") == 1);
    CHECK(eval("task:group == family:batch") == 1);
    CHECK(eval("task:group == service:gone") == 0); /* count 0: no such task */
    CHECK(eval("task:group != service:db") == 1);
    CHECK(eval("task:group != service:web") == 0); /* != is "no task of that group" */
    CHECK(eval("task:group == service:*") == 1);
    CHECK(eval("not(task:group == database)") == 1);

    /* the extra group counts as a group present on the instance */
    struct query_subject s = subject();
    s.extra_group = "service:new";
    s.extra_count = 1;
    CHECK(eval_on("task:group == service:new", &s) == 1);
    s.extra_count = 0;
    CHECK(eval_on("task:group == service:new", &s) == 0);
    s.n_groups = 0;
    CHECK(eval_on("task:group == service:web", &s) == 0);
    CHECK(eval_on("task:group != service:web", &s) == 1);
}

TEST(query_boolean_precedence)
{
    CHECK(eval("attribute:stack == prod and runningTasksCount > 2") == 1);
    CHECK(eval("attribute:stack == prod && runningTasksCount > 5") == 0);
    CHECK(eval("attribute:stack == dev or runningTasksCount > 2") == 1);
    CHECK(eval("attribute:stack == dev || runningTasksCount > 5") == 0);
    CHECK(eval("not attribute:stack == dev") == 1);
    CHECK(eval("!attribute:stack == prod") == 0);
    CHECK(eval("!(attribute:stack == prod)") == 0);
    /* and binds tighter than or: true or (false and false) */
    CHECK(eval("attribute:stack == prod or attribute:stack == dev and runningTasksCount > 5") == 1);
    /* parentheses override: (true or false) and false */
    CHECK(eval("(attribute:stack == prod or attribute:stack == dev) and runningTasksCount > 5") == 0);
    /* not binds tighter than and */
    CHECK(eval("not attribute:stack == dev and runningTasksCount > 5") == 0);
    CHECK(eval("not (attribute:stack == dev and runningTasksCount > 5)") == 1);
    CHECK(eval("not not attribute:stack == prod") == 1);
    CHECK(eval("((attribute:stack == prod))") == 1);
    CHECK(eval("(task:group == service:web) && !(attribute:ecs.instance-type =~ m5.*)") == 1);
    CHECK(eval("attribute:ecs.availability-zone in [us-east-1a] and attribute:ecs.os-type == linux "
               "and not(task:group == service:db)") == 1);
    struct error err;
    CHECK(strstr(parse_msg("a:b == c", &err), "unknown subject 'a:b'") != NULL);
}

TEST(query_spacing_and_quoting)
{
    /* operators need no spaces around them */
    CHECK(eval("attribute:stack==prod") == 1);
    CHECK(eval("attribute:stack!=prod") == 0);
    CHECK(eval("runningTasksCount<=3&&attribute:stack==prod") == 1);
    CHECK(eval("(attribute:stack==dev)||(runningTasksCount>=3)") == 1);
    CHECK(eval("attribute:ecs.availability-zone in[us-east-1a,us-east-1b]") == 1);
    CHECK(eval("  attribute:stack   ==   prod  ") == 1);
    CHECK(eval("attribute:stack\t==\nprod") == 1);
    /* quoted values keep spaces and grammar characters */
    struct query_attr spaced[] = {{"note", "a b, (c)"}};
    struct query_subject s = {.attrs = spaced, .n_attrs = 1};
    CHECK(eval_on("attribute:note == 'a b, (c)'", &s) == 1);
    CHECK(eval_on("attribute:note in [\"x\", 'a b, (c)']", &s) == 1);
    CHECK(eval_on("attribute:note =~ 'a b.*'", &s) == 1);
    CHECK(eval_on("attribute:note == ''", &s) == 0);
    /* a bare pattern may use brackets and alternation; parentheses end it
     * (they group expressions), so such patterns must be quoted */
    CHECK(eval("attribute:ecs.instance-type =~ t[0-9].micro|x") == 1);
    struct error err;
    CHECK(strstr(parse_msg("attribute:ecs.instance-type =~ t2.(micro|small)", &err),
                 "position 35: unexpected '(micro|small)'") != NULL);
    CHECK(eval("attribute:ecs.instance-type =~ 't2.(micro|small)'") == 1);
}

TEST(query_uses_flags)
{
    struct query *q = NULL;
    struct error err = {0};
    CHECK(query_parse("attribute:a == b", &q, &err) == 0);
    CHECK(query_uses(q) == 0);
    query_free(q);
    CHECK(query_parse("attribute:a == b or task:group == x", &q, &err) == 0);
    CHECK(query_uses(q) == QUERY_USES_TASK_GROUP);
    query_free(q);
    CHECK(query_parse("runningTasksCount < 2 and not task:group == x", &q, &err) == 0);
    CHECK(query_uses(q) == (QUERY_USES_TASK_GROUP | QUERY_USES_RUNNING_TASKS));
    query_free(q);
    query_free(NULL);
}

TEST(query_syntax_errors_have_positions)
{
    struct error err;
    CHECK_STR(parse_msg("attribute:x", &err),
              "Invalid expression at position 12: expected an operator after 'attribute:x'");
    CHECK(err.kind == ERR_INVALID);
    CHECK_STR(parse_msg("", &err), "Invalid expression at position 1: the expression is empty");
    CHECK_STR(parse_msg("   ", &err), "Invalid expression at position 4: the expression is empty");
    CHECK_STR(parse_msg("attribute:x ==", &err), "Invalid expression at position 15: expected an argument after '=='");
    CHECK_STR(parse_msg("attribute:x === y", &err),
              "Invalid expression at position 13: unknown operator '===' after 'attribute:x'");
    CHECK_STR(parse_msg("attribute:x like y", &err),
              "Invalid expression at position 13: unknown operator 'like' after 'attribute:x'");
    CHECK_STR(parse_msg("attribute: == y", &err),
              "Invalid expression at position 1: expected an attribute name after 'attribute:'");
    CHECK(strstr(parse_msg("instanceType == t2", &err), "position 1: unknown subject 'instanceType'") != NULL);
    CHECK_STR(parse_msg("attribute:x in a, b", &err),
              "Invalid expression at position 16: expected a list like [a, b] after 'in'");
    CHECK_STR(parse_msg("attribute:x in [a b]", &err),
              "Invalid expression at position 19: expected ',' or ']' in the list after 'in'");
    CHECK_STR(parse_msg("attribute:x in [a,]", &err),
              "Invalid expression at position 19: expected a value in the list after 'in'");
    CHECK_STR(parse_msg("attribute:x in []", &err),
              "Invalid expression at position 17: expected a value in the list after 'in'");
    CHECK_STR(parse_msg("attribute:x == 'abc", &err), "Invalid expression at position 16: unterminated quoted string");
    CHECK_STR(parse_msg("(attribute:x == y", &err),
              "Invalid expression at position 18: expected ')' to close the '(' at position 1");
    CHECK_STR(parse_msg("attribute:x == y)", &err),
              "Invalid expression at position 17: unexpected ')' after a complete expression");
    CHECK_STR(parse_msg("attribute:x == y attribute:z == w", &err),
              "Invalid expression at position 18: unexpected 'attribute:z' after a complete "
              "expression");
    CHECK_STR(parse_msg("attribute:x == y and", &err),
              "Invalid expression at position 21: unexpected end of expression, expected a "
              "subject");
    CHECK_STR(parse_msg("attribute:x == y or )", &err),
              "Invalid expression at position 21: expected a subject, found ')'");
    CHECK_STR(parse_msg("attribute:x exists y", &err),
              "Invalid expression at position 20: unexpected 'y' after a complete expression");
}

TEST(query_type_errors)
{
    struct error err;
    CHECK_STR(parse_msg("runningTasksCount > many", &err),
              "Invalid expression at position 21: 'many' is not a number (runningTasksCount)");
    CHECK(strstr(parse_msg("registeredAt < yesterday", &err), "position 16: 'yesterday' is not a date") != NULL);
    CHECK_STR(parse_msg("agentConnected == maybe", &err),
              "Invalid expression at position 19: agentConnected compares with true or false, "
              "not 'maybe'");
    CHECK(strstr(parse_msg("attribute:x =~ 'a(b'", &err), "position 16: invalid regular expression 'a(b'") != NULL);
    /* patterns that would make regcomp() blow up are refused */
    CHECK(strstr(parse_msg("attribute:x =~ g++++", &err), "repeated quantifier") != NULL);
    CHECK(strstr(parse_msg("attribute:x =~ g*?", &err), "repeated quantifier") != NULL);
    CHECK(strstr(parse_msg("attribute:x =~ 'a{5}{5}'", &err), "repeated quantifier") != NULL);
    CHECK(strstr(parse_msg("attribute:x =~ 'a{1000}'", &err), "repetition bound") != NULL);
    CHECK(strstr(parse_msg("attribute:x =~ '(a{20}b){20}'", &err), "multiply") != NULL);
    CHECK_STR(parse_msg("attribute:x =~ 'a{2,}'", &err), "");
    CHECK_STR(parse_msg("attribute:x =~ '[+*]+x{2,3}\\++'", &err), "");
    CHECK_STR(parse_msg("attribute:x =~ '(ab)+(c|d)*e?'", &err), "");
    /* operators ECS does not list for a subject */
    CHECK_STR(parse_msg("runningTasksCount =~ 1", &err),
              "Invalid expression at position 19: operator '=~' is not valid for subject "
              "'runningTasksCount'");
    CHECK_STR(parse_msg("ec2InstanceId > i-1", &err),
              "Invalid expression at position 15: operator '>' is not valid for subject "
              "'ec2InstanceId'");
    CHECK(strstr(parse_msg("task:group exists", &err), "not valid for subject 'task:group'"));
    CHECK(strstr(parse_msg("registeredAt in [2026-01-01]", &err), "not valid"));
    CHECK(strstr(parse_msg("agentVersion matches 1.*", &err), "not valid"));
}

TEST(query_limits)
{
    struct error err = {0};
    struct query *q = NULL;
    char *long_text = malloc(3000);
    memset(long_text, 'a', 2999);
    long_text[2999] = '\0';
    CHECK(query_parse(long_text, &q, &err) < 0);
    CHECK(err.kind == ERR_LIMIT);
    free(long_text);

    char deep[101];
    memset(deep, '(', 100);
    deep[100] = '\0';
    CHECK(query_parse(deep, &q, &err) < 0);
    CHECK(err.kind == ERR_LIMIT);

    /* 30 levels are fine */
    char ok[200];
    snprintf(ok, sizeof(ok), "%.30s%s%.30s", deep, "attribute:a exists", "))))))))))))))))))))))))))))))))))))))))");
    CHECK(query_parse(ok, &q, &err) == 0);
    query_free(q);
    CHECK(query_parse(NULL, &q, &err) < 0);
    CHECK(query_parse("attribute:a exists", &q, NULL) == 0);
    query_free(q);
    CHECK(query_parse("attribute:a", &q, NULL) < 0);
}

/* A subject whose attributes are marked sorted is searched by bisection:
 * it must find exactly what the linear search finds. */
TEST(query_sorted_attributes_lookup)
{
    struct query_attr sorted[ELEMENTSOF(attrs)];
    memcpy(sorted, attrs, sizeof(attrs));
    for (size_t i = 1; i < ELEMENTSOF(sorted); i++)
        for (size_t k = i; k > 0 && strcmp(sorted[k - 1].name, sorted[k].name) > 0; k--) {
            struct query_attr t = sorted[k];
            sorted[k] = sorted[k - 1];
            sorted[k - 1] = t;
        }
    struct query_subject lin = subject(), bis = subject();
    bis.attrs = sorted;
    bis.attrs_sorted = true;
    const char *names[] = {"ecs.availability-zone",
                           "ecs.capability.secrets.ssm",
                           "ecs.instance-type",
                           "ecs.os-type",
                           "stack",
                           "weight",
                           "absent",
                           "a",
                           "zzz",
                           "ecs."};
    for (size_t i = 0; i < ELEMENTSOF(names); i++) {
        const struct query_attr *a = query_subject_attr(&lin, names[i]), *b = query_subject_attr(&bis, names[i]);
        CHECK((a == NULL) == (b == NULL));
        if (a && b)
            CHECK(strcmp(a->name, b->name) == 0 && a->value == b->value);
    }
    CHECK(eval_on("attribute:stack == prod and attribute:ecs.os-type == linux", &bis) == 1);
    CHECK(eval_on("attribute:ecs.capability.secrets.ssm exists", &bis) == 1);
    CHECK(eval_on("attribute:nothing exists", &bis) == 0);
    /* The hinted lookup finds what the plain one finds, whatever the hint
     * says, and leaves the position of what it found. */
    size_t hints[] = {0, 3, ELEMENTSOF(sorted) - 1, ELEMENTSOF(sorted), 1000};
    for (size_t i = 0; i < ELEMENTSOF(names); i++)
        for (size_t h = 0; h < ELEMENTSOF(hints); h++) {
            size_t hint = hints[h];
            const struct query_attr *a = query_subject_attr(&bis, names[i]);
            const struct query_attr *b = query_subject_attr_hinted(&bis, names[i], &hint);
            CHECK(a == b);
            CHECK(!b || hint == (size_t)(b - sorted));
            CHECK(b || hint == hints[h]);
        }
}
