/* logs_regex.c - filter-pattern regular expressions (see logs_regex.h).
 *
 * Three steps: a recursive-descent parser builds a small tree; code
 * generation turns it into instructions (byte sets, splits, jumps,
 * anchors), copying a repeated part once per count; the matcher runs every
 * alive thread in lock-step over the message, one pass per byte, with at
 * most one thread per instruction.  Work per byte is bounded by the
 * program's size, which compilation bounds, so no expression can take
 * more than linear time.  Only whether it matches is computed: no
 * captures, no leftmost-longest bookkeeping. */
#include "server/logs/logs_regex.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"

/* Groups nest at most this deep (the parser recurses once per level). */
#define REGEX_MAX_DEPTH 64
/* A repetition count is at most this (the instruction bound catches
 * products; this catches "a{99999999999}" before arithmetic does). */
#define REGEX_MAX_COUNT 1000

enum node_kind { N_EMPTY, N_SET, N_BOL, N_EOL, N_CAT, N_ALT, N_REP };

struct node {
    enum node_kind kind;
    int a, b;     /* children: CAT, ALT (a, b); REP (a) */
    int min, max; /* REP; max -1: unbounded */
    uint8_t set[32];
};

enum op { OP_SET, OP_SPLIT, OP_JMP, OP_BOL, OP_EOL, OP_MATCH };

struct insn {
    uint8_t op;
    int x, y; /* SET: node of the set; SPLIT: both targets; JMP: x */
};

struct logs_regex {
    struct node *nodes; /* the sets OP_SET refers to */
    struct insn *prog;
    int nprog;
};

struct parser {
    const char *p, *end;
    struct node *nodes;
    int nnodes, cap;
    int depth;
    struct error *err;
};

static int new_node(struct parser *ps, enum node_kind kind, int a, int b)
{
    if (ps->nnodes == ps->cap)
        return error_set(ps->err, ERR_INVALID, "Invalid regex in filter pattern: too complex.");
    struct node *n = &ps->nodes[ps->nnodes];
    memset(n, 0, sizeof(*n));
    n->kind = kind;
    n->a = a;
    n->b = b;
    return ps->nnodes++;
}

static void set_add(uint8_t *set, unsigned c) { set[c >> 3] |= (uint8_t)(1u << (c & 7)); }

static void set_range(uint8_t *set, unsigned lo, unsigned hi)
{
    for (unsigned c = lo; c <= hi; c++)
        set_add(set, c);
}

/* \d \w \s and their negations into set; false for other letters. */
static bool class_escape(char e, uint8_t *set)
{
    uint8_t tmp[32] = {0};
    char lower = (char)(e | 0x20);
    if (lower == 'd') {
        set_range(tmp, '0', '9');
    } else if (lower == 'w') {
        set_range(tmp, '0', '9');
        set_range(tmp, 'a', 'z');
        set_range(tmp, 'A', 'Z');
        set_add(tmp, '_');
    } else if (lower == 's') {
        static const char space[] = " \t\n\r\f\v";
        for (const char *s = space; *s; s++)
            set_add(tmp, (unsigned char)*s);
    } else {
        return false;
    }
    bool negate = e != lower;
    for (int i = 0; i < 32; i++)
        set[i] |= negate ? (uint8_t)~tmp[i] : tmp[i];
    return true;
}

/* The byte a single-character escape stands for, or -1 when the escape is
 * not one (back-references, \b, letters berth does not know). */
static int escaped_byte(char e)
{
    if (e == 't')
        return '\t';
    if (e == 'n')
        return '\n';
    if (e == 'r')
        return '\r';
    if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '0' && e <= '9'))
        return -1;
    return (unsigned char)e;
}

static int bad_escape(struct parser *ps, char e)
{
    if (e >= '1' && e <= '9')
        return error_set(ps->err, ERR_INVALID, "Invalid regex in filter pattern: back-references are not supported.");
    return error_set(ps->err, ERR_INVALID, "Invalid regex in filter pattern: unknown escape \\%c.", e);
}

/* One class member after '[': a byte, an escape or a range; *ret_lo is -1
 * when an escape class (\d ...) was added to set directly. */
static int class_item(struct parser *ps, uint8_t *set, int *ret_lo)
{
    char c = *ps->p++;
    if (c != '\\') {
        *ret_lo = (unsigned char)c;
        return 0;
    }
    if (ps->p >= ps->end)
        return error_set(ps->err, ERR_INVALID, "Invalid regex in filter pattern: trailing backslash.");
    char e = *ps->p++;
    if (class_escape(e, set)) {
        *ret_lo = -1;
        return 0;
    }
    int b = escaped_byte(e);
    if (b < 0)
        return bad_escape(ps, e);
    *ret_lo = b;
    return 0;
}

static int parse_class(struct parser *ps, int node)
{
    uint8_t *set = ps->nodes[node].set;
    bool negate = ps->p < ps->end && *ps->p == '^';
    if (negate)
        ps->p++;
    bool first = true;
    for (;;) {
        if (ps->p >= ps->end)
            return error_set(ps->err, ERR_INVALID, "Invalid regex in filter pattern: unterminated [.");
        if (*ps->p == ']' && !first)
            break;
        first = false;
        int lo = 0;
        if (class_item(ps, set, &lo) < 0)
            return -1;
        if (lo < 0)
            continue;
        if (ps->p + 1 < ps->end && ps->p[0] == '-' && ps->p[1] != ']') {
            ps->p++;
            int hi = 0;
            if (class_item(ps, set, &hi) < 0)
                return -1;
            if (hi < lo)
                return error_set(ps->err, ERR_INVALID, "Invalid regex in filter pattern: bad range in [].");
            set_range(set, (unsigned)lo, (unsigned)hi);
        } else {
            set_add(set, (unsigned)lo);
        }
    }
    ps->p++; /* ']' */
    if (negate)
        for (int i = 0; i < 32; i++)
            set[i] = (uint8_t)~set[i];
    return 0;
}

static int parse_alt(struct parser *ps);

static int parse_atom(struct parser *ps)
{
    char c = *ps->p++;
    if (c == '(') {
        if (++ps->depth > REGEX_MAX_DEPTH)
            return error_set(ps->err, ERR_INVALID, "Invalid regex in filter pattern: groups nest too deep.");
        int inner = parse_alt(ps);
        if (inner < 0)
            return -1;
        if (ps->p >= ps->end || *ps->p != ')')
            return error_set(ps->err, ERR_INVALID, "Invalid regex in filter pattern: unbalanced (.");
        ps->p++;
        ps->depth--;
        return inner;
    }
    if (c == '^' || c == '$')
        return new_node(ps, c == '^' ? N_BOL : N_EOL, 0, 0);
    if (c == '*' || c == '+' || c == '?')
        return error_set(ps->err, ERR_INVALID, "Invalid regex in filter pattern: %c repeats nothing.", c);
    int n = new_node(ps, N_SET, 0, 0);
    if (n < 0)
        return -1;
    uint8_t *set = ps->nodes[n].set;
    if (c == '.') {
        memset(set, 0xff, 32);
    } else if (c == '[') {
        if (parse_class(ps, n) < 0)
            return -1;
    } else if (c == '\\') {
        if (ps->p >= ps->end)
            return error_set(ps->err, ERR_INVALID, "Invalid regex in filter pattern: trailing backslash.");
        char e = *ps->p++;
        if (!class_escape(e, set)) {
            int b = escaped_byte(e);
            if (b < 0)
                return bad_escape(ps, e);
            set_add(set, (unsigned)b);
        }
    } else {
        set_add(set, (unsigned char)c);
    }
    return n;
}

static bool read_count(struct parser *ps, int *ret)
{
    long v = 0;
    const char *start = ps->p;
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
        v = v * 10 + (*ps->p++ - '0');
        if (v > REGEX_MAX_COUNT)
            v = REGEX_MAX_COUNT + 1;
    }
    *ret = (int)v;
    return ps->p > start;
}

/* After '{': "m}", "m,}", "m,n}" or ",n}" into *ret_min and *ret_max; false (and p
 * unmoved) when it is not a count, and '{' is then a literal. */
static bool parse_count(struct parser *ps, int *ret_min, int *ret_max)
{
    const char *save = ps->p;
    int lo = 0, hi = 0;
    /* "{,n}" is "{0,n}", as glibc reads it. */
    bool has_lo = read_count(ps, &lo);
    if (!has_lo && (ps->p >= ps->end || *ps->p != ','))
        goto literal;
    hi = lo;
    if (ps->p < ps->end && *ps->p == ',') {
        ps->p++;
        if (!read_count(ps, &hi))
            hi = -1;
    }
    if (ps->p >= ps->end || *ps->p != '}')
        goto literal;
    ps->p++;
    *ret_min = lo;
    *ret_max = hi;
    return true;
literal:
    ps->p = save;
    return false;
}

static int parse_repeat(struct parser *ps)
{
    int n = parse_atom(ps);
    while (n >= 0 && ps->p < ps->end) {
        char c = *ps->p;
        int lo, hi;
        if (c == '*' || c == '+' || c == '?') {
            ps->p++;
            lo = c == '+' ? 1 : 0;
            hi = c == '?' ? 1 : -1;
        } else if (c == '{') {
            ps->p++;
            if (!parse_count(ps, &lo, &hi)) {
                ps->p--;
                break;
            }
            if (lo > REGEX_MAX_COUNT || hi > REGEX_MAX_COUNT || (hi >= 0 && hi < lo))
                return error_set(ps->err, ERR_INVALID, "Invalid regex in filter pattern: bad count {%d,%d}.", lo, hi);
        } else {
            break;
        }
        int rep = new_node(ps, N_REP, n, 0);
        if (rep < 0)
            return -1;
        ps->nodes[rep].min = lo;
        ps->nodes[rep].max = hi;
        n = rep;
    }
    return n;
}

static int parse_cat(struct parser *ps)
{
    int n = new_node(ps, N_EMPTY, 0, 0);
    while (n >= 0 && ps->p < ps->end && *ps->p != '|' && *ps->p != ')') {
        int next = parse_repeat(ps);
        if (next < 0)
            return -1;
        n = new_node(ps, N_CAT, n, next);
    }
    return n;
}

static int parse_alt(struct parser *ps)
{
    int n = parse_cat(ps);
    while (n >= 0 && ps->p < ps->end && *ps->p == '|') {
        ps->p++;
        int next = parse_cat(ps);
        if (next < 0)
            return -1;
        n = new_node(ps, N_ALT, n, next);
    }
    return n;
}

struct codegen {
    const struct node *nodes;
    struct insn *prog;
    int n;
    struct error *err;
};

static int emit(struct codegen *cg, enum op op, int x, int y)
{
    if (cg->n >= LOGS_REGEX_MAX_INSNS)
        return error_set(cg->err, ERR_INVALID,
                         "Invalid regex in filter pattern: it expands past %d steps (repetition counts multiply).",
                         LOGS_REGEX_MAX_INSNS);
    cg->prog[cg->n] = (struct insn){.op = (uint8_t)op, .x = x, .y = y};
    return cg->n++;
}

static int gen(struct codegen *cg, int node);

static int gen_repeat(struct codegen *cg, const struct node *n)
{
    for (int i = 0; i < n->min; i++)
        if (gen(cg, n->a) < 0)
            return -1;
    if (n->max < 0) {
        /* L: split body, out; body; jmp L; out: */
        int split = emit(cg, OP_SPLIT, 0, 0);
        if (split < 0 || gen(cg, n->a) < 0 || emit(cg, OP_JMP, split, 0) < 0)
            return -1;
        cg->prog[split].x = split + 1;
        cg->prog[split].y = cg->n;
        return 0;
    }
    /* Each optional copy: split body, out; every "out" is the end. */
    _cleanup_free_ int *splits = calloc((size_t)(n->max - n->min) + 1, sizeof(*splits));
    if (!splits)
        return error_set(cg->err, ERR_INTERNAL, "out of memory");
    int nsplits = 0;
    for (int i = n->min; i < n->max; i++) {
        int split = emit(cg, OP_SPLIT, 0, 0);
        if (split < 0 || gen(cg, n->a) < 0)
            return -1;
        cg->prog[split].x = split + 1;
        splits[nsplits++] = split;
    }
    for (int i = 0; i < nsplits; i++)
        cg->prog[splits[i]].y = cg->n;
    return 0;
}

static int gen(struct codegen *cg, int node)
{
    const struct node *n = &cg->nodes[node];
    switch (n->kind) {
    case N_EMPTY: return 0;
    case N_SET: return emit(cg, OP_SET, node, 0) < 0 ? -1 : 0;
    case N_BOL:
    case N_EOL: return emit(cg, n->kind == N_BOL ? OP_BOL : OP_EOL, 0, 0) < 0 ? -1 : 0;
    case N_CAT: return gen(cg, n->a) < 0 || gen(cg, n->b) < 0 ? -1 : 0;
    case N_ALT: {
        int split = emit(cg, OP_SPLIT, 0, 0);
        if (split < 0 || gen(cg, n->a) < 0)
            return -1;
        int jmp = emit(cg, OP_JMP, 0, 0);
        if (jmp < 0 || gen(cg, n->b) < 0)
            return -1;
        cg->prog[split].x = split + 1;
        cg->prog[split].y = jmp + 1;
        cg->prog[jmp].x = cg->n;
        return 0;
    }
    case N_REP: return gen_repeat(cg, n);
    }
    return -1;
}

void logs_regex_free(struct logs_regex *re)
{
    if (!re)
        return;
    free(re->nodes);
    free(re->prog);
    free(re);
}

static void logs_regex_freep(struct logs_regex **re) { logs_regex_free(*re); }

int logs_regex_compile(const char *re, size_t len, struct logs_regex **ret_regex, struct error *err)
{
    _cleanup_(logs_regex_freep) struct logs_regex *r = calloc(1, sizeof(*r));
    if (!r)
        return error_set(err, ERR_INTERNAL, "out of memory");
    /* Each pattern byte makes at most two nodes (an atom and its CAT or
     * REP), plus the EMPTY each alternative starts with. */
    struct parser ps = {.p = re, .end = re + len, .cap = (int)(3 * len + 4), .err = err};
    r->nodes = calloc((size_t)ps.cap, sizeof(*r->nodes));
    r->prog = calloc(LOGS_REGEX_MAX_INSNS, sizeof(*r->prog));
    if (!r->nodes || !r->prog)
        return error_set(err, ERR_INTERNAL, "out of memory");
    ps.nodes = r->nodes;
    int root = parse_alt(&ps);
    if (root < 0)
        return -1;
    if (ps.p != ps.end)
        return error_set(err, ERR_INVALID, "Invalid regex in filter pattern: unbalanced ).");
    struct codegen cg = {.nodes = r->nodes, .prog = r->prog, .err = err};
    if (gen(&cg, root) < 0 || emit(&cg, OP_MATCH, 0, 0) < 0)
        return -1;
    r->nprog = cg.n;
    *ret_regex = TAKE_PTR(r);
    return 0;
}

/* The threads alive at one position: a sparse set of instructions, so
 * adding is O(1) and each instruction runs at most once per byte. */
struct threads {
    int *dense, *sparse;
    int n;
};

static bool has_thread(const struct threads *t, int pc)
{
    int i = t->sparse[pc];
    return i < t->n && t->dense[i] == pc;
}

/* Add pc and everything reachable from it without reading a byte, at
 * position pos of len; true when that reaches MATCH. */
static bool add_thread(const struct logs_regex *re, struct threads *t, int *stack, int pc, size_t pos, size_t len)
{
    int top = 0;
    stack[top++] = pc;
    while (top > 0) {
        pc = stack[--top];
        if (has_thread(t, pc))
            continue;
        t->sparse[pc] = t->n;
        t->dense[t->n++] = pc;
        const struct insn *in = &re->prog[pc];
        switch (in->op) {
        case OP_MATCH: return true;
        case OP_JMP: stack[top++] = in->x; break;
        case OP_SPLIT:
            stack[top++] = in->y;
            stack[top++] = in->x;
            break;
        case OP_BOL:
            if (pos == 0)
                stack[top++] = pc + 1;
            break;
        case OP_EOL:
            if (pos == len)
                stack[top++] = pc + 1;
            break;
        default: /* OP_SET: waits for the next byte */ break;
        }
    }
    return false;
}

bool logs_regex_match(const struct logs_regex *re, const char *msg, size_t len)
{
    size_t n = (size_t)re->nprog;
    /* Two thread lists (dense + sparse each) and the closure stack: every
     * instruction is pushed at most twice per closure (by a SPLIT). */
    _cleanup_free_ int *mem = calloc(6 * n + 2, sizeof(int));
    if (!mem)
        return false;
    struct threads a = {mem, mem + n, 0}, b = {mem + 2 * n, mem + 3 * n, 0};
    int *stack = mem + 4 * n;
    struct threads *cur = &a, *next = &b;
    for (size_t pos = 0;; pos++) {
        /* Unanchored: a new thread starts at every position. */
        if (add_thread(re, cur, stack, 0, pos, len))
            return true;
        if (pos == len)
            return false;
        unsigned char c = (unsigned char)msg[pos];
        next->n = 0;
        for (int i = 0; i < cur->n; i++) {
            const struct insn *in = &re->prog[cur->dense[i]];
            if (in->op != OP_SET || !(re->nodes[in->x].set[c >> 3] & (1u << (c & 7))))
                continue;
            if (add_thread(re, next, stack, cur->dense[i] + 1, pos + 1, len))
                return true;
        }
        struct threads *tmp = cur;
        cur = next;
        next = tmp;
    }
}
