/* query.h - the ECS cluster query language: compile an expression once, then
 * test it against many container instances.
 *
 * Grammar (case-insensitive keywords, operators and subject names):
 *
 *   expr    := and_expr { ("or" | "||") and_expr }
 *   and_expr:= unary { ("and" | "&&") unary }
 *   unary   := ("not" | "!") unary | "(" expr ")" | term
 *   term    := subject operator [argument]
 *   subject := agentConnected | agentVersion | attribute:<name> | ec2InstanceId
 *            | registeredAt | runningTasksCount | task:group
 *   argument:= value | "[" value { "," value } "]"        (lists for in/not_in)
 *   value   := bare token | 'single quoted' | "double quoted"
 *
 * A bare token runs to the next space or one of ( ) [ ] , ' " & | (after =~
 * only space, parentheses and quotes end it, so "t[0-9].*" needs no
 * quotes); quote anything else.  Quoted strings have no escapes.
 *
 * Operators: == equals, != not_equals, > greater_than, >= greater_than_equal,
 * < less_than, <= less_than_equal, exists, !exists not_exists, in,
 * !in not_in, =~ matches, !~ not_matches.  Each subject accepts the
 * operators ECS documents for it (attribute:* accepts all).
 *
 * Semantics:
 *  - every negative operator is exactly the negation of its positive one, so
 *    `attribute:x != a` holds on an instance without attribute x;
 *  - `*` in an ==, != or in/not_in argument is a wildcard for any run of
 *    characters (`== t2.*`);
 *  - =~ takes a POSIX extended regular expression that must match the
 *    whole value (ECS documents Java's Pattern.matches(), also a full match);
 *    patterns regcomp() would expand explosively (stacked quantifiers, big
 *    repetition counts, over LIMIT_QUERY_PATTERN characters) are refused;
 *  - runningTasksCount compares integers; registeredAt compares dates given
 *    as 2018-06-18, 2018-06-18T22:28:28, ...Z or ...+00:00 (UTC when no
 *    offset).  A date stands for the interval it names (a whole day, a
 *    whole second): == is "within it", < "before it", > "after it";
 *  - agentVersion orders dotted versions numerically (1.10.0 > 1.9.2);
 *    attribute values order numerically when both sides are numbers, else
 *    as strings;
 *  - task:group looks at every task group present on the instance: == holds
 *    if any group matches, != if none does. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* A container instance attribute; value may be NULL (ECS attributes such as
 * capabilities have a name only). */
struct query_attr {
    const char *name;
    const char *value;
};

/* How many tasks (running or pending) of one task group an instance has. */
struct query_group {
    const char *name;
    int count;
};

/* What a container instance exposes to queries.  All pointers are borrowed;
 * strings may be NULL when unknown. */
struct query_subject {
    const char *ec2_instance_id;
    const char *agent_version;
    int64_t registered_at_usec;
    bool agent_connected;
    int64_t running_tasks_count; /* running + pending */
    const struct query_attr *attrs;
    size_t n_attrs;
    /* attrs sorted by name (strcmp), names unique: looked up by binary
     * search, which placement's snapshot of thousands of instances with
     * dozens of attributes each needs; otherwise a linear search. */
    bool attrs_sorted;
    const struct query_group *groups; /* entries with count <= 0 are absent */
    size_t n_groups;
    /* One more group count on top of `groups`: the placement engine uses it
     * for tasks it has just placed without copying the group list. */
    const char *extra_group;
    int extra_count;
};

/* Which subjects an expression reads, so callers can cache results that
 * cannot change while tasks are placed. */
enum {
    QUERY_USES_RUNNING_TASKS = 1u << 0,
    QUERY_USES_TASK_GROUP = 1u << 1,
};

struct query;

/* Compile `text`.  On success *ret_query owns the compiled form (free with
 * query_free).  Syntax and type errors fail with ERR_INVALID and a message
 * "Invalid expression at position N: ..." (N counts characters from 1);
 * over-long or over-deep input fails with ERR_LIMIT. */
int query_parse(const char *text, struct query **ret_query, struct error *err);
void query_free(struct query *q);
/* QUERY_USES_* flags for q. */
unsigned query_uses(const struct query *q);
/* Does the instance described by s satisfy q? */
bool query_match(const struct query *q, const struct query_subject *s);

/* Find attribute `name` in s; NULL if absent. */
const struct query_attr *query_subject_attr(const struct query_subject *s, const char *name);
/* The same, trying the position in *hint first and leaving the one found
 * there: instances mostly carry the same attributes, so a walk over them
 * finds a name with one comparison instead of a search. */
const struct query_attr *query_subject_attr_hinted(const struct query_subject *s, const char *name, size_t *hint);

static inline void query_freep(struct query **q) { query_free(*q); }
#define _cleanup_query_ __attribute__((cleanup(query_freep)))
