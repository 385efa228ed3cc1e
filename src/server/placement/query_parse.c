/* query_parse.c - compiling ECS cluster query language expressions (the
 * grammar is in query.h) into the tree query.c evaluates.
 *
 * The parser is recursive descent over the raw text, lexing by context: the
 * same characters mean different things as a subject, an operator or an
 * argument ("!" is "not" before a term, part of "!=" after a subject).
 * Everything that can be decided once (numbers, dates, regular expressions,
 * wildcards) is decided here so that query_match() only compares. */
#include "server/placement/query.h"

#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/cleanup.h"
#include "common/isodate.h"
#include "server/placement/query_internal.h"
#include "server/placement/placement_limits.h"

#define OPBIT(o) (1u << (o))
#define OPS_ALL 0xffu
#define OPS_ORDERED (OPBIT(OP_EQ) | OPBIT(OP_GT) | OPBIT(OP_GE) | OPBIT(OP_LT) | OPBIT(OP_LE))
#define OPS_SET (OPBIT(OP_EQ) | OPBIT(OP_IN) | OPBIT(OP_MATCH))

/* Valid operators per subject, as the ECS developer guide lists them. */
static const struct {
    const char *name;
    enum subject_kind kind;
    unsigned ops;
} subjects[] = {
    {"agentConnected", SUBJ_AGENT_CONNECTED, OPS_SET},      {"agentVersion", SUBJ_AGENT_VERSION, OPS_ORDERED},
    {"ec2InstanceId", SUBJ_EC2_INSTANCE_ID, OPS_SET},       {"registeredAt", SUBJ_REGISTERED_AT, OPS_ORDERED},
    {"runningTasksCount", SUBJ_RUNNING_TASKS, OPS_ORDERED}, {"task:group", SUBJ_TASK_GROUP, OPS_SET},
};

static const struct {
    const char *name;
    enum op_kind op;
    bool negate;
} operators[] = {
    {"==", OP_EQ, false},
    {"equals", OP_EQ, false},
    {"!=", OP_EQ, true},
    {"not_equals", OP_EQ, true},
    {">", OP_GT, false},
    {"greater_than", OP_GT, false},
    {">=", OP_GE, false},
    {"greater_than_equal", OP_GE, false},
    {"<", OP_LT, false},
    {"less_than", OP_LT, false},
    {"<=", OP_LE, false},
    {"less_than_equal", OP_LE, false},
    {"exists", OP_EXISTS, false},
    {"!exists", OP_EXISTS, true},
    {"not_exists", OP_EXISTS, true},
    {"in", OP_IN, false},
    {"!in", OP_IN, true},
    {"not_in", OP_IN, true},
    {"=~", OP_MATCH, false},
    {"matches", OP_MATCH, false},
    {"!~", OP_MATCH, true},
    {"not_matches", OP_MATCH, true},
};

struct parser {
    const char *text;
    size_t pos;
    size_t depth;
    unsigned uses;
    struct error *err;
};

/* --- lexing ------------------------------------------------------------ */

/* Positions in messages count characters from 1, as a user would. */
__attribute__((format(printf, 3, 4))) static int parse_error(struct parser *p, size_t at, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return error_set(p->err, ERR_INVALID, "Invalid expression at position %zu: %s", at + 1, msg);
}

static void skip_ws(struct parser *p)
{
    while (isspace((unsigned char)p->text[p->pos]))
        p->pos++;
}

/* Characters of subject names: ECS attribute names are letters, digits,
 * '-', '_', '.', '/', '\' and the subject prefixes add ':'. */
static bool is_subject_char(char c) { return c && (isalnum((unsigned char)c) || strchr("._-/\\:", c) != NULL); }

/* A bare argument runs until whitespace or a character with a meaning of
 * its own in the grammar.  A bare pattern (after =~) may also hold the
 * regex characters [ ] , | & since no list can follow it; patterns with
 * spaces or parentheses must be quoted. */
static bool is_value_char(char c, bool pattern)
{
    if (!c || isspace((unsigned char)c))
        return false;
    return !strchr(pattern ? "()'\"" : "()[],'\"&|", c);
}

/* Is keyword kw (lower case) at the cursor, as a whole word? */
static bool keyword_at(const struct parser *p, const char *kw)
{
    size_t n = strlen(kw);
    return strncasecmp(p->text + p->pos, kw, n) == 0 && !is_subject_char(p->text[p->pos + n]);
}

/* A short quote of the token at `at`, for messages. */
static void token_at(const struct parser *p, size_t at, char *buf, size_t cap)
{
    size_t n = 0;
    const char *s = p->text + at;
    while (s[n] && !isspace((unsigned char)s[n]) && n < 32)
        n++;
    if (n == 0)
        n = 1;
    snprintf(buf, cap, "%.*s", (int)n, s);
}

/* --- arguments ------------------------------------------------------------ */

/* 0 and *ret_text on a value, 1 if there is none at the cursor, -1 on error. */
static int parse_value(struct parser *p, bool pattern, char **ret_text)
{
    skip_ws(p);
    size_t start = p->pos;
    char c = p->text[start];
    if (c == '\'' || c == '"') {
        const char *end = strchr(p->text + start + 1, c);
        if (!end)
            return parse_error(p, start, "unterminated quoted string");
        size_t len = (size_t)(end - (p->text + start + 1));
        char *s = strndup(p->text + start + 1, len);
        if (!s)
            return error_set(p->err, ERR_INTERNAL, "out of memory");
        p->pos = start + len + 2;
        *ret_text = s;
        return 0;
    }
    while (is_value_char(p->text[p->pos], pattern))
        p->pos++;
    if (p->pos == start)
        return 1; /* the caller words the error: it knows what was expected */
    char *s = strndup(p->text + start, p->pos - start);
    if (!s)
        return error_set(p->err, ERR_INTERNAL, "out of memory");
    *ret_text = s;
    return 0;
}

static int add_arg(struct qnode *n, char *text, struct error *err)
{
    if (array_reserve(&n->args, &n->cap_args, n->n_args + 1, sizeof(*n->args)) < 0) {
        free(text);
        return error_set(err, ERR_INTERNAL, "out of memory");
    }
    n->args[n->n_args++] = (struct qarg){.text = text};
    return 0;
}

static int parse_arguments(struct parser *p, struct qnode *n, const char *opname)
{
    skip_ws(p);
    size_t at = p->pos;
    if (n->op != OP_IN) {
        char *v = NULL;
        int r = parse_value(p, n->op == OP_MATCH, &v);
        if (r < 0)
            return -1;
        if (r > 0)
            return parse_error(p, at, "expected an argument after '%s'", opname);
        return add_arg(n, v, p->err);
    }
    if (p->text[p->pos] != '[')
        return parse_error(p, at, "expected a list like [a, b] after '%s'", opname);
    p->pos++;
    for (;;) {
        skip_ws(p);
        at = p->pos;
        char *v = NULL;
        int r = parse_value(p, false, &v);
        if (r < 0)
            return -1;
        if (r > 0)
            return parse_error(p, at, "expected a value in the list after '%s'", opname);
        if (add_arg(n, v, p->err) < 0)
            return -1;
        skip_ws(p);
        if (p->text[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->text[p->pos] == ']') {
            p->pos++;
            return 0;
        }
        return parse_error(p, p->pos, "expected ',' or ']' in the list after '%s'", opname);
    }
}

static bool parse_int64(const char *s, int64_t *ret)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end)
        return false;
    *ret = v;
    return true;
}

/* glibc's regcomp() copies a subexpression once per repetition, so stacked
 * quantifiers ("a++++", "(a{50}){50}") cost memory exponential in the
 * pattern's length: an expression from a request could exhaust the server.
 * Refuse long patterns, stacked quantifiers and large repetition products;
 * ECS patterns are short ("t2.*", "i-0[0-9a-f]+"). */
static bool pattern_is_tame(const char *pat, char *why, size_t cap)
{
    if (strlen(pat) > LIMIT_QUERY_PATTERN) {
        snprintf(why, cap, "longer than %d characters", LIMIT_QUERY_PATTERN);
        return false;
    }
    bool after_quantifier = false;
    unsigned long product = 1;
    for (const char *c = pat; *c; c++) {
        if (*c == '\\' && c[1]) {
            c++;
            after_quantifier = false;
            continue;
        }
        if (*c == '[') { /* a bracket expression holds no quantifiers */
            const char *end = c + 1;
            if (*end == '^')
                end++;
            if (*end == ']')
                end++;
            end = strchr(end, ']');
            if (!end)
                return true; /* regcomp reports the unbalanced bracket */
            c = end;
            after_quantifier = false;
            continue;
        }
        bool quantifier = *c == '*' || *c == '+' || *c == '?' || *c == '{';
        if (quantifier && after_quantifier) {
            snprintf(why, cap, "repeated quantifier at '%.8s'", c);
            return false;
        }
        if (*c == '{') {
            char *end = NULL;
            unsigned long lo = strtoul(c + 1, &end, 10), hi = lo;
            if (end && *end == ',')
                hi = isdigit((unsigned char)end[1]) ? strtoul(end + 1, &end, 10) : LIMIT_QUERY_REPEAT;
            if (lo > LIMIT_QUERY_REPEAT || hi > LIMIT_QUERY_REPEAT) {
                snprintf(why, cap, "repetition bound over %d", LIMIT_QUERY_REPEAT);
                return false;
            }
            product *= hi ? hi : 1;
            if (product > LIMIT_QUERY_REPEAT) {
                snprintf(why, cap, "repetitions multiply past %d", LIMIT_QUERY_REPEAT);
                return false;
            }
            const char *close = strchr(c, '}');
            if (close)
                c = close;
        }
        after_quantifier = quantifier;
    }
    return true;
}

/* Decide once what each argument means for this subject and operator. */
static int compile_term(struct parser *p, struct qnode *n, size_t at)
{
    for (size_t i = 0; i < n->n_args; i++) {
        struct qarg *a = &n->args[i];
        switch (n->subject) {
        case SUBJ_RUNNING_TASKS:
            if (!parse_int64(a->text, &a->lo))
                return parse_error(p, at, "'%s' is not a number (runningTasksCount)", a->text);
            a->hi = a->lo;
            continue;
        case SUBJ_REGISTERED_AT:
            if (isodate_parse(a->text, &a->lo, &a->hi) < 0)
                return parse_error(p, at,
                                   "'%s' is not a date (use 2018-06-18, 2018-06-18T22:28:28, "
                                   "2018-06-18T22:28:28Z or 2018-06-18T22:28:28+00:00)",
                                   a->text);
            continue;
        case SUBJ_AGENT_CONNECTED:
            if (n->op == OP_MATCH)
                break;
            if (strcasecmp(a->text, "true") != 0 && strcasecmp(a->text, "false") != 0)
                return parse_error(p, at, "agentConnected compares with true or false, not '%s'", a->text);
            for (char *c = a->text; *c; c++)
                *c = (char)tolower((unsigned char)*c);
            continue;
        default: break;
        }
        if (n->op == OP_EQ || n->op == OP_IN)
            a->wildcard = strchr(a->text, '*') != NULL;
        a->is_num = query_number(a->text, &a->num);
    }
    if (n->op == OP_MATCH) {
        char why[128];
        if (!pattern_is_tame(n->args[0].text, why, sizeof(why)))
            return parse_error(p, at, "invalid regular expression '%s': %s", n->args[0].text, why);
        /* Anchor: ECS documents Java's Pattern.matches(), a whole-value match. */
        size_t len = strlen(n->args[0].text) + 5;
        _cleanup_free_ char *anchored = malloc(len);
        if (!anchored)
            return error_set(p->err, ERR_INTERNAL, "out of memory");
        snprintf(anchored, len, "^(%s)$", n->args[0].text);
        int rc = regcomp(&n->re, anchored, REG_EXTENDED | REG_NOSUB);
        if (rc != 0) {
            regerror(rc, &n->re, why, sizeof(why));
            return parse_error(p, at, "invalid regular expression '%s': %s", n->args[0].text, why);
        }
        n->has_re = true;
    }
    return 0;
}

/* --- grammar ------------------------------------------------------------- */

static int parse_or(struct parser *p, struct qnode **ret);

static int lookup_subject(struct parser *p, size_t at, const char *tok, struct qnode *n)
{
    static const char attr_prefix[] = "attribute:";
    if (strncasecmp(tok, attr_prefix, sizeof(attr_prefix) - 1) == 0) {
        const char *name = tok + sizeof(attr_prefix) - 1;
        if (!*name)
            return parse_error(p, at, "expected an attribute name after 'attribute:'");
        n->subject = SUBJ_ATTRIBUTE;
        n->attr_name = strdup(name);
        if (!n->attr_name)
            return error_set(p->err, ERR_INTERNAL, "out of memory");
        return OPS_ALL;
    }
    for (size_t i = 0; i < ELEMENTSOF(subjects); i++) {
        if (strcasecmp(tok, subjects[i].name) == 0) {
            n->subject = subjects[i].kind;
            return (int)subjects[i].ops;
        }
    }
    return parse_error(p, at,
                       "unknown subject '%s' (expected agentConnected, agentVersion, "
                       "attribute:<name>, ec2InstanceId, registeredAt, runningTasksCount or "
                       "task:group)",
                       tok);
}

static int parse_term(struct parser *p, struct qnode **ret)
{
    skip_ws(p);
    size_t at = p->pos;
    while (is_subject_char(p->text[p->pos]))
        p->pos++;
    if (p->pos == at) {
        if (!p->text[at])
            return parse_error(p, at, "unexpected end of expression, expected a subject");
        char tok[40];
        token_at(p, at, tok, sizeof(tok));
        return parse_error(p, at, "expected a subject, found '%s'", tok);
    }
    char subject[160];
    snprintf(subject, sizeof(subject), "%.*s", (int)(p->pos - at), p->text + at);

    _cleanup_node_ struct qnode *n = calloc(1, sizeof(*n));
    if (!n)
        return error_set(p->err, ERR_INTERNAL, "out of memory");
    n->type = NODE_TERM;
    int ops = lookup_subject(p, at, subject, n);
    if (ops < 0)
        return -1;
    if (n->subject == SUBJ_RUNNING_TASKS)
        p->uses |= QUERY_USES_RUNNING_TASKS;
    if (n->subject == SUBJ_TASK_GROUP)
        p->uses |= QUERY_USES_TASK_GROUP;

    skip_ws(p);
    size_t op_at = p->pos;
    const char *s = p->text + op_at;
    size_t len = 0;
    if (*s && strchr("=!<>~", *s)) {
        while (s[len] && strchr("=!<>~", s[len]))
            len++;
        if (len == 1 && s[0] == '!')
            while (isalpha((unsigned char)s[len]) || s[len] == '_')
                len++;
    } else {
        while (isalpha((unsigned char)s[len]) || s[len] == '_')
            len++;
    }
    if (len == 0)
        return parse_error(p, op_at, "expected an operator after '%s'", subject);
    char opname[40];
    snprintf(opname, sizeof(opname), "%.*s", (int)(len < 32 ? len : 32), s);
    size_t i;
    for (i = 0; i < ELEMENTSOF(operators); i++)
        if (strlen(operators[i].name) == len && strncasecmp(operators[i].name, s, len) == 0)
            break;
    if (i == ELEMENTSOF(operators))
        return parse_error(p, op_at, "unknown operator '%s' after '%s'", opname, subject);
    n->op = operators[i].op;
    n->negate = operators[i].negate;
    if (!((unsigned)ops & OPBIT(n->op)))
        return parse_error(p, op_at, "operator '%s' is not valid for subject '%s'", opname, subject);
    p->pos = op_at + len;

    if (n->op != OP_EXISTS) {
        size_t arg_at = p->pos;
        if (parse_arguments(p, n, opname) < 0)
            return -1;
        while (isspace((unsigned char)p->text[arg_at]))
            arg_at++;
        if (compile_term(p, n, arg_at) < 0)
            return -1;
    }
    *ret = TAKE_PTR(n);
    return 0;
}

static int make_node(struct parser *p, enum node_type type, struct qnode *left, struct qnode *right, struct qnode **ret)
{
    struct qnode *n = calloc(1, sizeof(*n));
    if (!n) {
        query_node_free(left);
        query_node_free(right);
        return error_set(p->err, ERR_INTERNAL, "out of memory");
    }
    n->type = type;
    n->left = left;
    n->right = right;
    *ret = n;
    return 0;
}

static int parse_unary(struct parser *p, struct qnode **ret)
{
    skip_ws(p);
    size_t at = p->pos;
    char c = p->text[at];
    bool is_not = false;
    if (c == '!' && p->text[at + 1] != '=' && p->text[at + 1] != '~') {
        p->pos++;
        is_not = true;
    } else if (keyword_at(p, "not")) {
        p->pos += 3;
        is_not = true;
    }
    if (is_not || c == '(') {
        if (++p->depth > LIMIT_QUERY_DEPTH)
            return error_set(p->err, ERR_LIMIT, "Invalid expression: nested deeper than %d levels", LIMIT_QUERY_DEPTH);
    }
    if (is_not) {
        struct qnode *inner = NULL;
        if (parse_unary(p, &inner) < 0)
            return -1;
        p->depth--;
        return make_node(p, NODE_NOT, inner, NULL, ret);
    }
    if (c == '(') {
        p->pos++;
        _cleanup_node_ struct qnode *inner = NULL;
        if (parse_or(p, &inner) < 0)
            return -1;
        skip_ws(p);
        if (p->text[p->pos] != ')') {
            if (!p->text[p->pos])
                return parse_error(p, p->pos, "expected ')' to close the '(' at position %zu", at + 1);
            char tok[40];
            token_at(p, p->pos, tok, sizeof(tok));
            return parse_error(p, p->pos, "expected ')' to close the '(' at position %zu, found '%s'", at + 1, tok);
        }
        p->pos++;
        p->depth--;
        *ret = TAKE_PTR(inner);
        return 0;
    }
    return parse_term(p, ret);
}

/* The binary operators, loosest first: an operand of levels[i] is a chain
 * of levels[i + 1], and the last level's operands are unary. */
static const struct {
    const char *symbol;
    const char *keyword;
    enum node_type type;
} levels[] = {
    {"||", "or", NODE_OR},
    {"&&", "and", NODE_AND},
};

static int parse_level(struct parser *p, size_t level, struct qnode **ret);

static int parse_operand(struct parser *p, size_t level, struct qnode **ret)
{
    if (level + 1 < ELEMENTSOF(levels))
        return parse_level(p, level + 1, ret);
    return parse_unary(p, ret);
}

static int parse_level(struct parser *p, size_t level, struct qnode **ret)
{
    _cleanup_node_ struct qnode *left = NULL;
    if (parse_operand(p, level, &left) < 0)
        return -1;
    for (;;) {
        skip_ws(p);
        if (strncmp(p->text + p->pos, levels[level].symbol, 2) == 0)
            p->pos += 2;
        else if (keyword_at(p, levels[level].keyword))
            p->pos += strlen(levels[level].keyword);
        else
            break;
        struct qnode *right = NULL;
        if (parse_operand(p, level, &right) < 0)
            return -1;
        struct qnode *joined = NULL;
        if (make_node(p, levels[level].type, TAKE_PTR(left), right, &joined) < 0)
            return -1;
        left = joined;
    }
    *ret = TAKE_PTR(left);
    return 0;
}

static int parse_or(struct parser *p, struct qnode **ret) { return parse_level(p, 0, ret); }

int query_parse(const char *text, struct query **ret_query, struct error *err)
{
    if (!text)
        text = "";
    size_t len = strlen(text);
    if (len > LIMIT_QUERY_EXPRESSION)
        return error_set(err, ERR_LIMIT, "Invalid expression: longer than %d characters", LIMIT_QUERY_EXPRESSION);
    struct parser p = {.text = text, .err = err};
    skip_ws(&p);
    if (!text[p.pos])
        return parse_error(&p, p.pos, "the expression is empty");

    _cleanup_node_ struct qnode *root = NULL;
    if (parse_or(&p, &root) < 0)
        return -1;
    skip_ws(&p);
    if (text[p.pos]) {
        char tok[40];
        token_at(&p, p.pos, tok, sizeof(tok));
        return parse_error(&p, p.pos, "unexpected '%s' after a complete expression", tok);
    }
    struct query *q = calloc(1, sizeof(*q));
    if (!q)
        return error_set(err, ERR_INTERNAL, "out of memory");
    q->root = TAKE_PTR(root);
    q->uses = p.uses;
    *ret_query = q;
    return 0;
}
