/* query_internal.h - the compiled form of a cluster query, shared by the
 * parser (query_parse.c) and the evaluator (query.c).  Nothing outside
 * server/placement includes this; others see only query.h. */
#pragma once

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/cleanup.h"
#include "server/placement/query.h"

enum subject_kind {
    SUBJ_AGENT_CONNECTED,
    SUBJ_AGENT_VERSION,
    SUBJ_ATTRIBUTE,
    SUBJ_EC2_INSTANCE_ID,
    SUBJ_REGISTERED_AT,
    SUBJ_RUNNING_TASKS,
    SUBJ_TASK_GROUP,
};

enum op_kind { OP_EQ, OP_GT, OP_GE, OP_LT, OP_LE, OP_EXISTS, OP_IN, OP_MATCH };

struct qarg {
    char *text;
    bool wildcard; /* contains '*' and is compared as a pattern */
    bool is_num;   /* text is a number (attribute ordering) */
    double num;
    int64_t lo, hi; /* runningTasksCount: lo == hi == the integer;
                        registeredAt: the interval [lo, hi) */
};

enum node_type { NODE_AND, NODE_OR, NODE_NOT, NODE_TERM };

struct qnode {
    enum node_type type;
    struct qnode *left, *right; /* NOT uses left only */
    /* NODE_TERM */
    enum subject_kind subject;
    char *attr_name;
    enum op_kind op;
    bool negate;
    struct qarg *args;
    size_t n_args, cap_args;
    regex_t re;
    bool has_re;
};

struct query {
    struct qnode *root;
    unsigned uses;
};

/* Free a node and its subtrees; accepts NULL. */
void query_node_free(struct qnode *n);
static inline void query_node_freep(struct qnode **n) { query_node_free(*n); }
#define _cleanup_node_ _cleanup_(query_node_freep)

/* Is s, all of it, a number?  *ret is set when it is. */
bool query_number(const char *s, double *ret);
