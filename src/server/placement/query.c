/* query.c - evaluating compiled ECS cluster query language expressions
 * (memberOf constraints, ListContainerInstances filters) against one
 * container instance, and freeing them.
 *
 * Parsing is query_parse.c's: everything that can be decided once
 * (numbers, dates, regular expressions, wildcards) is decided there, so
 * that query_match() only compares.  This module knows nothing of storage
 * or placement; it sees an instance only through struct query_subject. */
#include "server/placement/query.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/glob.h"
#include "common/isodate.h"
#include "server/placement/query_internal.h"

void query_node_free(struct qnode *n)
{
    if (!n)
        return;
    query_node_free(n->left);
    query_node_free(n->right);
    for (size_t i = 0; i < n->n_args; i++)
        free(n->args[i].text);
    free(n->args);
    free(n->attr_name);
    if (n->has_re)
        regfree(&n->re);
    free(n);
}

void query_free(struct query *q)
{
    if (!q)
        return;
    query_node_free(q->root);
    free(q);
}

unsigned query_uses(const struct query *q) { return q ? q->uses : 0; }

bool query_number(const char *s, double *ret)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || isspace((unsigned char)*s))
        return false;
    *ret = v;
    return true;
}

/* --- evaluation ------------------------------------------------------------ */

const struct query_attr *query_subject_attr_hinted(const struct query_subject *s, const char *name, size_t *hint)
{
    if (*hint < s->n_attrs && s->attrs[*hint].name && strcmp(s->attrs[*hint].name, name) == 0)
        return &s->attrs[*hint];
    const struct query_attr *a = query_subject_attr(s, name);
    if (a)
        *hint = (size_t)(a - s->attrs);
    return a;
}

const struct query_attr *query_subject_attr(const struct query_subject *s, const char *name)
{
    if (s->attrs_sorted) {
        size_t lo = 0, hi = s->n_attrs;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            int c = strcmp(s->attrs[mid].name, name);
            if (c == 0)
                return &s->attrs[mid];
            if (c < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        return NULL;
    }
    for (size_t i = 0; i < s->n_attrs; i++)
        if (s->attrs[i].name && strcmp(s->attrs[i].name, name) == 0)
            return &s->attrs[i];
    return NULL;
}

/* Dotted versions compare part by part, numbers as numbers ("1.10" >
 * "1.9"); a leading 'v' is ignored. */
static int version_cmp(const char *a, const char *b)
{
    if (*a == 'v' || *a == 'V')
        a++;
    if (*b == 'v' || *b == 'V')
        b++;
    while (*a || *b) {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            char *ea, *eb;
            unsigned long long na = strtoull(a, &ea, 10), nb = strtoull(b, &eb, 10);
            if (na != nb)
                return na < nb ? -1 : 1;
            a = ea;
            b = eb;
            continue;
        }
        if (*a != *b)
            return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
        a++;
        b++;
    }
    return 0;
}

static bool arg_equals(const struct qarg *a, const char *v)
{
    return a->wildcard ? glob_match(a->text, v, 0) : strcmp(a->text, v) == 0;
}

static bool ordered(enum op_kind op, int cmp)
{
    switch (op) {
    case OP_GT: return cmp > 0;
    case OP_GE: return cmp >= 0;
    case OP_LT: return cmp < 0;
    case OP_LE: return cmp <= 0;
    default: return cmp == 0;
    }
}

/* The positive form of a term's operator on one string value. */
static bool string_test(const struct qnode *n, const char *v)
{
    switch (n->op) {
    case OP_EQ: return arg_equals(&n->args[0], v);
    case OP_IN:
        for (size_t i = 0; i < n->n_args; i++)
            if (arg_equals(&n->args[i], v))
                return true;
        return false;
    case OP_MATCH: return regexec(&n->re, v, 0, NULL, 0) == 0;
    case OP_EXISTS: return true;
    default: break;
    }
    const struct qarg *a = &n->args[0];
    int cmp;
    double num;
    if (n->subject == SUBJ_AGENT_VERSION)
        cmp = version_cmp(v, a->text);
    else if (a->is_num && query_number(v, &num))
        cmp = num < a->num ? -1 : num > a->num ? 1 : 0;
    else
        cmp = strcmp(v, a->text);
    return ordered(n->op, cmp);
}

static bool time_test(const struct qnode *n, int64_t t)
{
    switch (n->op) {
    case OP_EQ: return t >= n->args[0].lo && t < n->args[0].hi;
    case OP_IN:
        for (size_t i = 0; i < n->n_args; i++)
            if (t >= n->args[i].lo && t < n->args[i].hi)
                return true;
        return false;
    case OP_GT: return t >= n->args[0].hi;
    case OP_GE: return t >= n->args[0].lo;
    case OP_LT: return t < n->args[0].lo;
    case OP_LE: return t < n->args[0].hi;
    default: return false;
    }
}

static bool int_test(const struct qnode *n, int64_t v)
{
    if (n->op == OP_IN) {
        for (size_t i = 0; i < n->n_args; i++)
            if (v == n->args[i].lo)
                return true;
        return false;
    }
    int64_t a = n->args[0].lo;
    return ordered(n->op, v < a ? -1 : v > a ? 1 : 0);
}

static bool group_test(const struct qnode *n, const struct query_subject *s)
{
    for (size_t i = 0; i < s->n_groups; i++)
        if (s->groups[i].count > 0 && s->groups[i].name && string_test(n, s->groups[i].name))
            return true;
    return s->extra_count > 0 && s->extra_group && string_test(n, s->extra_group);
}

/* The positive form of a term (negation is applied by the caller). */
static bool term_test(const struct qnode *n, const struct query_subject *s)
{
    const char *v = NULL;
    switch (n->subject) {
    case SUBJ_REGISTERED_AT: return time_test(n, s->registered_at_usec);
    case SUBJ_RUNNING_TASKS: return int_test(n, s->running_tasks_count);
    case SUBJ_TASK_GROUP: return group_test(n, s);
    case SUBJ_AGENT_CONNECTED: v = s->agent_connected ? "true" : "false"; break;
    case SUBJ_AGENT_VERSION: v = s->agent_version; break;
    case SUBJ_EC2_INSTANCE_ID: v = s->ec2_instance_id; break;
    case SUBJ_ATTRIBUTE: {
        const struct query_attr *a = query_subject_attr(s, n->attr_name);
        if (!a)
            return false;
        if (n->op == OP_EXISTS)
            return true;
        v = a->value;
        break;
    }
    }
    if (!v)
        return false;
    return string_test(n, v);
}

static bool node_match(const struct qnode *n, const struct query_subject *s)
{
    switch (n->type) {
    case NODE_AND: return node_match(n->left, s) && node_match(n->right, s);
    case NODE_OR: return node_match(n->left, s) || node_match(n->right, s);
    case NODE_NOT: return !node_match(n->left, s);
    case NODE_TERM: return term_test(n, s) != n->negate;
    }
    return false;
}

bool query_match(const struct query *q, const struct query_subject *s) { return q && s && node_match(q->root, s); }
