/* policy.c - compiling and evaluating IAM policy documents (see policy.h).
 * Compiled once into arrays of strings, so an evaluation is string
 * comparisons and glob matches only: no JSON, no allocation. */
#include "server/iam/policy.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/cleanup.h"
#include "common/glob.h"

#define MAX_POLICY_TEXT 10240
#define MAX_STATEMENTS 200
#define MAX_VALUES 200

enum cond_op {
    OP_STRING_EQUALS,
    OP_STRING_EQUALS_IGNORE_CASE,
    OP_STRING_LIKE,
    OP_ARN_EQUALS,
    OP_ARN_LIKE,
    OP_BOOL,
    OP_NULL,
};

static const struct {
    const char *name;
    enum cond_op op;
    bool negated;
} operators[] = {
    {"StringEquals", OP_STRING_EQUALS, false},
    {"StringNotEquals", OP_STRING_EQUALS, true},
    {"StringEqualsIgnoreCase", OP_STRING_EQUALS_IGNORE_CASE, false},
    {"StringNotEqualsIgnoreCase", OP_STRING_EQUALS_IGNORE_CASE, true},
    {"StringLike", OP_STRING_LIKE, false},
    {"StringNotLike", OP_STRING_LIKE, true},
    {"ArnEquals", OP_ARN_EQUALS, false},
    {"ArnNotEquals", OP_ARN_EQUALS, true},
    {"ArnLike", OP_ARN_LIKE, false},
    {"ArnNotLike", OP_ARN_LIKE, true},
    {"Bool", OP_BOOL, false},
    {"Null", OP_NULL, false},
};

enum value_set { SET_SINGLE, SET_ANY, SET_ALL };

struct strings {
    char **v;
    size_t *literal; /* per pattern: bytes before its first * or ? */
    bool *qmark;     /* per pattern: has a '?' (the general glob then) */
    size_t n, cap, lcap, qcap;
};

struct condition {
    enum cond_op op;
    bool negated, if_exists;
    enum value_set set;
    char *key;
    struct strings values;
};

struct statement {
    bool deny;
    bool not_action, not_resource;
    struct strings actions, resources;
    struct condition *conds;
    size_t nconds, cap;
};

struct policy {
    struct statement *st;
    size_t n, cap;
};

bool policy_glob(const char *pattern, const char *s, bool fold)
{
    return glob_match(pattern, s, GLOB_QMARK | (fold ? GLOB_FOLD : 0));
}

static void strings_free(struct strings *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    free(s->literal);
    free(s->qmark);
    *s = (struct strings){0};
}

static int strings_add(struct strings *s, const char *v, struct error *err)
{
    if (s->n == MAX_VALUES || array_reserve(&s->v, &s->cap, s->n + 1, sizeof(*s->v)) < 0 ||
        array_reserve(&s->literal, &s->lcap, s->n + 1, sizeof(*s->literal)) < 0 ||
        array_reserve(&s->qmark, &s->qcap, s->n + 1, sizeof(*s->qmark)) < 0)
        return error_set(err, ERR_INVALID, "too many values in one element (at most %d)", MAX_VALUES);
    if (!(s->v[s->n] = strdup(v)))
        return error_set(err, ERR_INTERNAL, "out of memory");
    s->literal[s->n] = strcspn(v, "*?");
    s->qmark[s->n] = strchr(v, '?') != NULL;
    s->n++;
    return 0;
}

/* A string or a list of strings (Action, Resource, a condition's values;
 * condition values may also be booleans and numbers, kept as text). */
static int read_strings(json_t *j, bool scalars, struct strings *out, const char *what, struct error *err)
{
    json_t *one = json_is_array(j) ? NULL : j;
    size_t n = one ? 1 : json_array_size(j);
    if (!one && n == 0)
        return error_set(err, ERR_INVALID, "%s must not be empty", what);
    for (size_t i = 0; i < n; i++) {
        json_t *v = one ? one : json_array_get(j, i);
        char num[32];
        const char *s = json_string_value(v);
        if (!s && scalars && json_is_boolean(v))
            s = json_is_true(v) ? "true" : "false";
        if (!s && scalars && json_is_integer(v)) {
            snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
            s = num;
        }
        if (!s)
            return error_set(err, ERR_INVALID, "%s must be a string or a list of strings", what);
        if (strings_add(out, s, err) < 0)
            return -1;
    }
    return 0;
}

/* "ForAnyValue:StringLike" / "StringEqualsIfExists" -> its parts. */
static int parse_operator(const char *name, struct condition *c, struct error *err)
{
    const char *op = name;
    if (strncmp(op, "ForAnyValue:", 12) == 0) {
        c->set = SET_ANY;
        op += 12;
    } else if (strncmp(op, "ForAllValues:", 13) == 0) {
        c->set = SET_ALL;
        op += 13;
    }
    size_t n = strlen(op);
    if (n > 8 && strcmp(op + n - 8, "IfExists") == 0) {
        c->if_exists = true;
        n -= 8;
    }
    for (size_t i = 0; i < ELEMENTSOF(operators); i++) {
        if (strlen(operators[i].name) == n && strncmp(operators[i].name, op, n) == 0) {
            c->op = operators[i].op;
            c->negated = operators[i].negated;
            return 0;
        }
    }
    return error_set(err, ERR_INVALID, "Condition operator %.64s is not supported", name);
}

static int add_conditions(struct statement *st, json_t *cond, struct error *err)
{
    if (!json_is_object(cond))
        return error_set(err, ERR_INVALID, "Condition must be an object");
    const char *opname, *key;
    json_t *keys, *values;
    json_object_foreach(cond, opname, keys) {
        if (!json_is_object(keys))
            return error_set(err, ERR_INVALID, "Condition %.64s must map keys to values", opname);
        json_object_foreach(keys, key, values) {
            if (array_reserve(&st->conds, &st->cap, st->nconds + 1, sizeof(*st->conds)) < 0)
                return error_set(err, ERR_INTERNAL, "out of memory");
            struct condition *c = &st->conds[st->nconds];
            *c = (struct condition){0};
            if (parse_operator(opname, c, err) < 0)
                return -1;
            if (!(c->key = strdup(key)))
                return error_set(err, ERR_INTERNAL, "out of memory");
            st->nconds++;
            if (read_strings(values, true, &c->values, "Condition values", err) < 0)
                return -1;
        }
    }
    return 0;
}

/* One of Action/NotAction (or Resource/NotResource), required. */
static int read_either(json_t *s, const char *yes, const char *no, bool *ret_not, struct strings *out,
                       struct error *err)
{
    json_t *a = json_object_get(s, yes), *b = json_object_get(s, no);
    if ((a != NULL) == (b != NULL))
        return error_set(err, ERR_INVALID, "A statement needs exactly one of %s and %s", yes, no);
    *ret_not = b != NULL;
    return read_strings(a ? a : b, false, out, a ? yes : no, err);
}

/* Actions match without regard to case: keep them in lower case, and
 * lower the request's once per evaluation. */
static void lower_all(struct strings *s)
{
    for (size_t i = 0; i < s->n; i++)
        for (char *c = s->v[i]; *c; c++)
            *c = (char)tolower((unsigned char)*c);
}

static int compile_statement(json_t *s, struct statement *st, struct error *err)
{
    const char *effect = json_string_value(json_object_get(s, "Effect"));
    if (!json_is_object(s) || !effect || (strcmp(effect, "Allow") != 0 && strcmp(effect, "Deny") != 0))
        return error_set(err, ERR_INVALID, "A statement needs an Effect of Allow or Deny");
    if (json_object_get(s, "Principal") || json_object_get(s, "NotPrincipal"))
        return error_set(err, ERR_INVALID, "Principal is not allowed in an identity-based policy");
    st->deny = strcmp(effect, "Deny") == 0;
    if (read_either(s, "Action", "NotAction", &st->not_action, &st->actions, err) < 0 ||
        read_either(s, "Resource", "NotResource", &st->not_resource, &st->resources, err) < 0)
        return -1;
    lower_all(&st->actions);
    json_t *cond = json_object_get(s, "Condition");
    return cond ? add_conditions(st, cond, err) : 0;
}

int policy_compile(const char *text, size_t len, struct policy **ret, struct error *err)
{
    if (len > MAX_POLICY_TEXT)
        return error_set(err, ERR_INVALID, "A policy document must be at most %d characters", MAX_POLICY_TEXT);
    json_error_t jerr;
    _cleanup_json_ json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(doc))
        return error_set(err, ERR_INVALID, "The policy is not valid JSON: %s", doc ? "not an object" : jerr.text);
    const char *version = json_string_value(json_object_get(doc, "Version"));
    if (version && strcmp(version, "2012-10-17") != 0 && strcmp(version, "2008-10-17") != 0)
        return error_set(err, ERR_INVALID, "Policy Version %.32s is not supported", version);
    json_t *stmts = json_object_get(doc, "Statement");
    json_t *one = json_is_object(stmts) ? stmts : NULL;
    size_t n = one ? 1 : json_array_size(stmts);
    if (n == 0 || n > MAX_STATEMENTS)
        return error_set(err, ERR_INVALID, "A policy needs 1 to %d statements", MAX_STATEMENTS);
    struct policy *p = calloc(1, sizeof(*p));
    if (!p || array_reserve(&p->st, &p->cap, n, sizeof(*p->st)) < 0) {
        policy_free(p);
        return error_set(err, ERR_INTERNAL, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        p->st[p->n++] = (struct statement){0};
        if (compile_statement(one ? one : json_array_get(stmts, i), &p->st[i], err) < 0) {
            policy_free(p);
            return error_prefix(err, "Statement %zu", i);
        }
    }
    *ret = p;
    return 0;
}

void policy_free(struct policy *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++) {
        struct statement *st = &p->st[i];
        strings_free(&st->actions);
        strings_free(&st->resources);
        for (size_t j = 0; j < st->nconds; j++) {
            free(st->conds[j].key);
            strings_free(&st->conds[j].values);
        }
        free(st->conds);
    }
    free(p->st);
    free(p);
}

static bool value_matches(enum cond_op op, const char *pattern, const char *value)
{
    switch (op) {
    case OP_STRING_EQUALS:
    case OP_ARN_EQUALS: return strcmp(pattern, value) == 0;
    case OP_STRING_EQUALS_IGNORE_CASE:
    case OP_BOOL: return strcasecmp(pattern, value) == 0;
    case OP_STRING_LIKE:
    case OP_ARN_LIKE: return policy_glob(pattern, value, false);
    case OP_NULL: return false;
    }
    return false;
}

/* Whether one request value matches any of the condition's values. */
static bool any_value(const struct condition *c, const char *value)
{
    for (size_t i = 0; i < c->values.n; i++)
        if (value_matches(c->op, c->values.v[i], value))
            return true;
    return false;
}

static const struct policy_key *find_key(const struct policy_request *req, const char *name)
{
    for (size_t i = 0; i < req->nkeys; i++)
        if (strcasecmp(req->keys[i].name, name) == 0)
            return &req->keys[i];
    return NULL;
}

static bool condition_holds(const struct condition *c, const struct policy_request *req)
{
    const struct policy_key *k = find_key(req, c->key);
    bool present = k && k->nvalues > 0;
    if (c->op == OP_NULL) /* "true": the key must be absent */
        return (strcasecmp(c->values.v[0], "true") == 0) == !present;
    if (!present)
        return c->if_exists || c->set == SET_ALL || (c->negated && c->set == SET_SINGLE);
    if (c->set == SET_ALL) {
        for (size_t i = 0; i < k->nvalues; i++)
            if (any_value(c, k->values[i]) == c->negated)
                return false;
        return true;
    }
    for (size_t i = 0; i < k->nvalues; i++)
        if (any_value(c, k->values[i]) != c->negated)
            return true;
    return false;
}

/* The part of a pattern from its first '*' on (no '?' in it), against the
 * rest of a value, len bytes: the literal runs between stars are found
 * left to right and the last must end the value - linear,
 * where the general glob backtracks. */
/* The first place the n bytes at p stand in the len bytes at s: memchr
 * for the first byte, then memcmp (short needles, where glibc's memmem
 * spends more on setting up than on looking). */
static const char *find_run(const char *s, size_t len, const char *p, size_t n)
{
    if (n > len)
        return NULL;
    const char *last = s + len - n;
    for (const char *c = s; c <= last; c++) {
        c = memchr(c, p[0], (size_t)(last - c) + 1);
        if (!c || memcmp(c, p, n) == 0)
            return c;
    }
    return NULL;
}

static bool match_rest(const char *p, const char *s, size_t len)
{
    while (*p == '*') {
        while (*p == '*')
            p++;
        size_t n = strcspn(p, "*");
        if (n == 0)
            return true;  /* the pattern ends with a star */
        if (p[n] == '\0') /* the last run: a suffix of what is left */
            return len >= n && memcmp(s + len - n, p, n) == 0;
        const char *hit = find_run(s, len, p, n);
        if (!hit)
            return false;
        len -= (size_t)(hit - s) + n;
        s = hit + n;
        p += n;
    }
    return len == 0;
}

/* Whether any pattern matches value (len bytes): the literal prefix first,
 * its last byte before all of it, which settles most mismatches at once. */
static bool any_glob(const struct strings *s, const char *value, size_t len)
{
    for (size_t i = 0; i < s->n; i++) {
        const char *pat = s->v[i];
        size_t lit = s->literal[i];
        if (lit > len || (lit && pat[lit - 1] != value[lit - 1]) || memcmp(pat, value, lit) != 0)
            continue;
        if (s->qmark[i] ? policy_glob(pat + lit, value + lit, false)
                        : (pat[lit] == '\0' ? len == lit : match_rest(pat + lit, value + lit, len - lit)))
            return true;
    }
    return false;
}

/* The request's action, lower case (as the compiled actions are). */
struct lowered {
    char action[128];
    size_t action_len, resource_len;
};

static bool statement_applies(const struct statement *st, const struct policy_request *req, const struct lowered *l)
{
    if (any_glob(&st->actions, l->action, l->action_len) == st->not_action)
        return false;
    if (any_glob(&st->resources, req->resource, l->resource_len) == st->not_resource)
        return false;
    for (size_t i = 0; i < st->nconds; i++)
        if (!condition_holds(&st->conds[i], req))
            return false;
    return true;
}

/* What every statement looks at, worked out once per request. */
static void lower_request(const struct policy_request *req, struct lowered *out)
{
    size_t i = 0;
    for (; req->action[i] && i + 1 < sizeof(out->action); i++)
        out->action[i] = (char)tolower((unsigned char)req->action[i]);
    out->action[i] = '\0';
    out->action_len = i;
    out->resource_len = strlen(req->resource);
}

static enum policy_decision evaluate_lowered(const struct policy *p, const struct policy_request *req,
                                             const struct lowered *l)
{
    enum policy_decision d = POLICY_IMPLICIT_DENY;
    for (size_t i = 0; i < p->n; i++) {
        if (!statement_applies(&p->st[i], req, l))
            continue;
        if (p->st[i].deny)
            return POLICY_EXPLICIT_DENY;
        d = POLICY_ALLOW;
    }
    return d;
}

enum policy_decision policy_evaluate(const struct policy *p, const struct policy_request *req)
{
    struct lowered l;
    lower_request(req, &l);
    return evaluate_lowered(p, req, &l);
}

enum policy_decision policy_evaluate_all(const struct policy *const *ps, size_t n, const struct policy_request *req)
{
    struct lowered l;
    lower_request(req, &l);
    enum policy_decision d = POLICY_IMPLICIT_DENY;
    for (size_t i = 0; i < n; i++) {
        enum policy_decision one = evaluate_lowered(ps[i], req, &l);
        if (one == POLICY_EXPLICIT_DENY)
            return one;
        if (one == POLICY_ALLOW)
            d = POLICY_ALLOW;
    }
    return d;
}

/* The Condition block alone, compiled into a statement of its own for
 * this one evaluation (trust policies are read once per AssumeRole). */
int policy_conditions_hold(json_t *condition, const struct policy_key *keys, size_t nkeys, bool *ret, struct error *err)
{
    struct statement st = {0};
    int rc = add_conditions(&st, condition, err);
    struct policy_request req = {.action = "", .resource = "*", .keys = keys, .nkeys = nkeys};
    bool holds = rc == 0;
    for (size_t i = 0; i < st.nconds; i++) {
        holds = holds && condition_holds(&st.conds[i], &req);
        free(st.conds[i].key);
        strings_free(&st.conds[i].values);
    }
    free(st.conds);
    if (rc == 0)
        *ret = holds;
    return rc;
}
