/* cw_math.c - metric math by recursive descent over the expression text,
 * evaluating as it parses (see cw_math.h).  Each step leaves its result
 * in *out, or on failure an empty *out that needs no freeing. */
#include "server/cloudwatch/cw_math.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MATH_DEPTH_MAX 32
#define MATH_CHAIN_MAX 10

void cw_ts_free(struct cw_ts *ts)
{
    free(ts->t);
    free(ts->v);
    memset(ts, 0, sizeof(*ts));
}

int cw_ts_push(struct cw_ts *ts, int64_t t, double v)
{
    int64_t *nt = realloc(ts->t, (ts->n + 1) * sizeof(*nt));
    if (!nt)
        return -1;
    ts->t = nt;
    double *nv = realloc(ts->v, (ts->n + 1) * sizeof(*nv));
    if (!nv)
        return -1;
    ts->v = nv;
    ts->t[ts->n] = t;
    ts->v[ts->n++] = v;
    return 0;
}

struct parser {
    struct cw_math *m;
    const char *p;
    const char *expr;
    int depth;
    struct error *err;
};

static int fail(struct parser *ps, const char *what)
{
    return error_set(ps->err, ERR_INVALID, "Error in expression \"%.200s\": %s at position %d.", ps->expr, what,
                     (int)(ps->p - ps->expr) + 1);
}

static void skip(struct parser *ps)
{
    while (isspace((unsigned char)*ps->p))
        ps->p++;
}

static bool eat(struct parser *ps, char c)
{
    skip(ps);
    if (*ps->p != c)
        return false;
    ps->p++;
    return true;
}

static double apply(char op, double a, double b)
{
    switch (op) {
    case '+': return a + b;
    case '-': return a - b;
    case '*': return a * b;
    default: return a / b;
    }
}

/* a op b into *out (a and b freed). */
static int combine(struct parser *ps, char op, struct cw_ts *a, struct cw_ts *b, struct cw_ts *out)
{
    int r = 0;
    memset(out, 0, sizeof(*out));
    if (a->scalar && b->scalar) {
        out->scalar = true;
        out->s = apply(op, a->s, b->s);
    } else if (a->scalar || b->scalar) {
        const struct cw_ts *series = a->scalar ? b : a;
        for (size_t i = 0; r == 0 && i < series->n; i++)
            r = cw_ts_push(out, series->t[i],
                           a->scalar ? apply(op, a->s, series->v[i]) : apply(op, series->v[i], b->s));
    } else {
        for (size_t i = 0, j = 0; r == 0 && i < a->n && j < b->n;) {
            if (a->t[i] < b->t[j])
                i++;
            else if (a->t[i] > b->t[j])
                j++;
            else {
                r = cw_ts_push(out, a->t[i], apply(op, a->v[i], b->v[j]));
                i++, j++;
            }
        }
    }
    cw_ts_free(a);
    cw_ts_free(b);
    if (r < 0)
        cw_ts_free(out);
    return r < 0 ? error_set(ps->err, ERR_INTERNAL, "out of memory") : 0;
}

static int copy_ts(struct parser *ps, const struct cw_ts *from, struct cw_ts *out)
{
    memset(out, 0, sizeof(*out));
    out->scalar = from->scalar;
    out->s = from->s;
    for (size_t i = 0; i < from->n; i++)
        if (cw_ts_push(out, from->t[i], from->v[i]) < 0) {
            cw_ts_free(out);
            return error_set(ps->err, ERR_INTERNAL, "out of memory");
        }
    return 0;
}

/* The result of query `id` (evaluated first if need be). */
static int ref(struct parser *ps, const char *id, size_t len, struct cw_ts *out)
{
    for (size_t i = 0; i < ps->m->n; i++) {
        if (strlen(ps->m->ids[i]) != len || strncmp(ps->m->ids[i], id, len) != 0)
            continue;
        if (cw_math_eval(ps->m, i, ps->err) < 0)
            return -1;
        return copy_ts(ps, &ps->m->results[i], out);
    }
    return fail(ps, "unknown metric id");
}

static int expr(struct parser *ps, struct cw_ts *out);

/* Fold one series into the function's running value at each timestamp. */
static int fold(struct parser *ps, const char *fn, struct cw_ts *acc, struct cw_ts *counts, const struct cw_ts *s)
{
    struct cw_ts merged = {0}, merged_counts = {0};
    size_t i = 0, j = 0;
    int r = 0;
    while (r == 0 && (i < acc->n || j < s->n)) {
        bool take_a = j >= s->n || (i < acc->n && acc->t[i] < s->t[j]);
        bool take_b = i >= acc->n || (j < s->n && s->t[j] < acc->t[i]);
        if (take_a) {
            r = cw_ts_push(&merged, acc->t[i], acc->v[i]) | cw_ts_push(&merged_counts, acc->t[i], counts->v[i]);
            i++;
        } else if (take_b) {
            r = cw_ts_push(&merged, s->t[j], s->v[j]) | cw_ts_push(&merged_counts, s->t[j], 1);
            j++;
        } else {
            double a = acc->v[i], b = s->v[j];
            double v = strcmp(fn, "MIN") == 0 ? fmin(a, b) : strcmp(fn, "MAX") == 0 ? fmax(a, b) : a + b;
            r = cw_ts_push(&merged, s->t[j], v) | cw_ts_push(&merged_counts, s->t[j], counts->v[i] + 1);
            i++, j++;
        }
    }
    cw_ts_free(acc);
    cw_ts_free(counts);
    *acc = merged;
    *counts = merged_counts;
    return r < 0 ? error_set(ps->err, ERR_INTERNAL, "out of memory") : 0;
}

/* FN applied to one series: a number. */
static int reduce(const char *fn, struct cw_ts *s, struct cw_ts *out)
{
    double v = s->scalar ? s->s : 0;
    for (size_t i = 0; !s->scalar && i < s->n; i++) {
        double x = s->v[i];
        v = i == 0 ? x : strcmp(fn, "MIN") == 0 ? fmin(v, x) : strcmp(fn, "MAX") == 0 ? fmax(v, x) : v + x;
    }
    if (!s->scalar && strcmp(fn, "AVG") == 0 && s->n)
        v /= (double)s->n;
    bool any = s->scalar || s->n;
    cw_ts_free(s);
    memset(out, 0, sizeof(*out));
    out->scalar = true;
    out->s = any ? v : NAN;
    return 0;
}

/* The series an array argument names: METRICS() or [a, b, ...]. */
static int array_arg(struct parser *ps, const char *fn, struct cw_ts *out)
{
    struct cw_ts acc = {0}, counts = {0};
    int r = 0;
    if (strncmp(ps->p, "METRICS", 7) == 0) {
        ps->p += 7;
        if (!eat(ps, '(') || !eat(ps, ')'))
            return fail(ps, "METRICS() takes no argument here");
        for (size_t i = 0; r == 0 && i < ps->m->n; i++)
            if (!ps->m->exprs[i])
                r = fold(ps, fn, &acc, &counts, &ps->m->results[i]);
    } else {
        ps->p++; /* '[' */
        do {
            struct cw_ts s = {0};
            r = expr(ps, &s);
            if (r == 0 && s.scalar)
                r = fail(ps, "an array holds series, not numbers");
            if (r == 0)
                r = fold(ps, fn, &acc, &counts, &s);
            cw_ts_free(&s);
        } while (r == 0 && eat(ps, ','));
        if (r == 0 && !eat(ps, ']'))
            r = fail(ps, "expected ]");
    }
    for (size_t i = 0; r == 0 && strcmp(fn, "AVG") == 0 && i < acc.n; i++)
        acc.v[i] /= counts.v[i];
    cw_ts_free(&counts);
    if (r < 0)
        cw_ts_free(&acc);
    else
        *out = acc;
    return r;
}

static int function(struct parser *ps, const char *fn, struct cw_ts *out)
{
    if (!eat(ps, '('))
        return fail(ps, "expected (");
    skip(ps);
    int r;
    if (*ps->p == '[' || strncmp(ps->p, "METRICS", 7) == 0)
        r = array_arg(ps, fn, out);
    else {
        struct cw_ts s;
        r = expr(ps, &s);
        if (r == 0)
            r = reduce(fn, &s, out);
    }
    if (r == 0 && !eat(ps, ')')) {
        cw_ts_free(out);
        return fail(ps, "expected )");
    }
    return r;
}

static int factor(struct parser *ps, struct cw_ts *out)
{
    skip(ps);
    memset(out, 0, sizeof(*out));
    if (++ps->depth > MATH_DEPTH_MAX)
        return fail(ps, "too deeply nested");
    int r;
    const char *start = ps->p;
    if (eat(ps, '(')) {
        r = expr(ps, out);
        if (r == 0 && !eat(ps, ')')) {
            cw_ts_free(out);
            r = fail(ps, "expected )");
        }
    } else if (eat(ps, '-')) {
        struct cw_ts minus_one = {.scalar = true, .s = -1}, v;
        r = factor(ps, &v);
        if (r == 0)
            r = combine(ps, '*', &minus_one, &v, out);
    } else if (isdigit((unsigned char)*ps->p) || *ps->p == '.') {
        char *end;
        out->scalar = true;
        out->s = strtod(ps->p, &end);
        ps->p = end;
        r = 0;
    } else if (isalpha((unsigned char)*ps->p)) {
        while (isalnum((unsigned char)*ps->p) || *ps->p == '_')
            ps->p++;
        size_t len = (size_t)(ps->p - start);
        char fn[8] = "";
        if (len < sizeof(fn))
            memcpy(fn, start, len), fn[len] = '\0';
        skip(ps);
        bool known =
            strcmp(fn, "SUM") == 0 || strcmp(fn, "AVG") == 0 || strcmp(fn, "MIN") == 0 || strcmp(fn, "MAX") == 0;
        if (*ps->p == '(')
            r = known ? function(ps, fn, out) : fail(ps, "unsupported function (berth has SUM, AVG, MIN, MAX)");
        else
            r = ref(ps, start, len, out);
    } else
        r = fail(ps, "unexpected character");
    ps->depth--;
    return r;
}

static int binary(struct parser *ps, struct cw_ts *out, const char *ops,
                  int (*operand)(struct parser *, struct cw_ts *))
{
    if (operand(ps, out) < 0)
        return -1;
    for (;;) {
        skip(ps);
        char op = *ps->p;
        if (!op || !strchr(ops, op))
            return 0;
        ps->p++;
        struct cw_ts rhs, lhs = *out;
        memset(out, 0, sizeof(*out));
        if (operand(ps, &rhs) < 0) {
            cw_ts_free(&lhs);
            return -1;
        }
        if (combine(ps, op, &lhs, &rhs, out) < 0)
            return -1;
    }
}

static int term(struct parser *ps, struct cw_ts *out) { return binary(ps, out, "*/", factor); }

static int expr(struct parser *ps, struct cw_ts *out) { return binary(ps, out, "+-", term); }

int cw_math_eval(struct cw_math *m, size_t i, struct error *err)
{
    if (m->state[i] == 2 || !m->exprs[i]) {
        m->state[i] = 2;
        return 0;
    }
    if (m->state[i] == 1)
        return error_set(err, ERR_INVALID, "The expression of %.255s refers to itself.", m->ids[i]);
    /* Each reference to another expression recurses: bound the chain as
     * the parentheses within one are bounded, or a request could exhaust a
     * connection thread's stack. */
    if (m->nested >= MATH_CHAIN_MAX)
        return error_set(err, ERR_INVALID, "Expressions may refer to one another at most %d deep.", MATH_CHAIN_MAX);
    m->state[i] = 1;
    struct parser ps = {.m = m, .p = m->exprs[i], .expr = m->exprs[i], .err = err};
    struct cw_ts out;
    m->nested++;
    int r = expr(&ps, &out);
    m->nested--;
    if (r < 0)
        return -1;
    skip(&ps);
    if (*ps.p) {
        cw_ts_free(&out);
        return fail(&ps, "unexpected text");
    }
    m->results[i] = out;
    m->state[i] = 2;
    return 0;
}
