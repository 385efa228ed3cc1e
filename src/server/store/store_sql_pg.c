/* store_sql_pg.c - SQLite-dialect SQL rewritten for PostgreSQL (see
 * store_sql_pg.h).  A single left-to-right pass over tokens: quoted text and
 * comments are copied whole, words are matched case-insensitively against
 * the few SQLite-only forms the store uses.  It parses no grammar beyond
 * that: what it cannot rewrite exactly it refuses, by name. */
#include "server/store/store_sql_pg.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/cleanup.h"

/* Statements are source literals; a translation is a little longer. */
#define SQL_PG_MAX (1024 * 1024)

struct tr {
    const char *p;
    struct buf out;
    int max_param;
    bool ignore;           /* this statement said INSERT OR IGNORE */
    size_t returning_at;   /* output offset of its RETURNING, or SIZE_MAX */
    size_t last_token_end; /* output offset after its last token */
    const char *into;      /* its INSERT's table, into_len bytes */
    size_t into_len;
    bool in_set;   /* in its ON CONFLICT DO UPDATE SET list */
    bool set_lhs;  /* the next word there is a column assigned */
    int set_depth; /* parentheses open there */
};

/* Words of an expression that are not column names. */
static const char *const expr_words[] = {"CASE",  "WHEN", "THEN",    "ELSE",     "END",    "AND",    "OR",
                                         "NOT",   "NULL", "IS",      "DISTINCT", "FROM",   "IN",     "TRUE",
                                         "FALSE", "LIKE", "BETWEEN", "AS",       "ESCAPE", "COLLATE"};

const char store_sql_pg_prelude[] =
    /* Case-insensitive, accent-sensitive equality for COLLATE NOCASE: what
     * SQLite's NOCASE does for the ASCII names berth keeps under it. */
    "DO $berth$ BEGIN"
    " IF NOT EXISTS (SELECT 1 FROM pg_collation WHERE collname = 'berth_nocase') THEN"
    "  CREATE COLLATION berth_nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);"
    " END IF; END $berth$";

/* Words refused wherever they appear, and why. */
static const struct {
    const char *word;
    const char *why;
} refused[] = {
    {"GLOB", "GLOB has no PostgreSQL equivalent; use LIKE or per-backend SQL"},
    {"PRAGMA", "PRAGMA is SQLite's"},
    {"ROWID", "rowid is SQLite's; name the INTEGER PRIMARY KEY column"},
    {"STRFTIME", "strftime needs per-backend SQL"},
    {"HEX", "hex() needs per-backend SQL"},
};

static bool is_word_char(char c) { return isalnum((unsigned char)c) || c == '_'; }

static size_t word_len(const char *p)
{
    size_t n = 0;
    while (is_word_char(p[n]))
        n++;
    return n;
}

static bool word_is(const char *w, size_t n, const char *kw) { return strlen(kw) == n && !strncasecmp(w, kw, n); }

static const char *skip_space(const char *p)
{
    while (isspace((unsigned char)*p))
        p++;
    return p;
}

/* If the words after p (past whitespace) are kws[0..n), the end of the
 * last one; else NULL. */
static const char *next_words(const char *p, const char *const *kws, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        p = skip_space(p);
        size_t len = word_len(p);
        if (!word_is(p, len, kws[i]))
            return NULL;
        p += len;
    }
    return p;
}
#define NEXT_WORDS(p, ...)                                                                                             \
    next_words((p), (const char *const[]){__VA_ARGS__}, sizeof((const char *[]){__VA_ARGS__}) / sizeof(char *))

static void emit(struct tr *t, const char *s, size_t n)
{
    buf_append(&t->out, s, n);
    t->last_token_end = t->out.len;
}

static void emit_str(struct tr *t, const char *s) { emit(t, s, strlen(s)); }

/* Copy a quoted literal or identifier starting at t->p (its quote char),
 * doubled quotes included; an unterminated one is refused. */
static int copy_quoted(struct tr *t, struct error *err)
{
    char q = *t->p;
    const char *e = t->p + 1;
    for (;;) {
        if (!*e)
            return error_set(err, ERR_INVALID, "unterminated %s in SQL", q == '\'' ? "string" : "identifier");
        if (*e == q && e[1] == q) {
            e += 2;
            continue;
        }
        if (*e == q)
            break;
        e++;
    }
    emit(t, t->p, (size_t)(e + 1 - t->p));
    t->p = e + 1;
    return 0;
}

/* Copy a comment (-- to end of line, or slash-star to star-slash). */
static void copy_comment(struct tr *t)
{
    const char *e;
    if (t->p[0] == '-') {
        e = strchr(t->p, '\n');
        e = e ? e : t->p + strlen(t->p);
    } else {
        e = strstr(t->p + 2, "*/");
        e = e ? e + 2 : t->p + strlen(t->p);
    }
    buf_append(&t->out, t->p, (size_t)(e - t->p));
    t->p = e;
}

static int param(struct tr *t, struct error *err)
{
    const char *p = t->p + 1;
    long n;
    if (isdigit((unsigned char)*p)) {
        char *end;
        n = strtol(p, &end, 10);
        if (n < 1 || n > 32766)
            return error_set(err, ERR_INVALID, "SQL parameter ?%ld out of range", n);
        p = end;
    } else {
        n = t->max_param + 1;
    }
    if (n > t->max_param)
        t->max_param = (int)n;
    char num[16];
    snprintf(num, sizeof(num), "$%ld", n);
    emit_str(t, num);
    t->p = p;
    return 0;
}

/* Whether the call whose '(' is at p has two or more arguments. */
static bool several_args(const char *p)
{
    int depth = 0;
    for (; *p; p++) {
        if (*p == '\'' || *p == '"') {
            char q = *p;
            for (p++; *p && *p != q; p++)
                ;
            if (!*p)
                return false;
        } else if (*p == '(') {
            depth++;
        } else if (*p == ')') {
            if (--depth == 0)
                return false;
        } else if (*p == ',' && depth == 1) {
            return true;
        }
    }
    return false;
}

static int insert_at(struct tr *t, size_t at, const char *s)
{
    size_t n = strlen(s);
    if (buf_reserve(&t->out, n) < 0)
        return -1;
    memmove(t->out.data + at + n, t->out.data + at, t->out.len - at + 1);
    memcpy(t->out.data + at, s, n);
    t->out.len += n;
    return 0;
}

/* The statement ends (at ';' or the end): place what INSERT OR IGNORE
 * deferred, then start afresh. */
static void end_statement(struct tr *t)
{
    if (t->ignore) {
        if (t->returning_at != SIZE_MAX)
            insert_at(t, t->returning_at, "ON CONFLICT DO NOTHING ");
        else
            insert_at(t, t->last_token_end, " ON CONFLICT DO NOTHING");
    }
    t->ignore = false;
    t->returning_at = SIZE_MAX;
    t->into = NULL;
    t->in_set = false;
}

/* The word after p (past whitespace) is one of kws. */
static bool next_word_in(const char *p, const char *const *kws, size_t n)
{
    p = skip_space(p);
    size_t len = word_len(p);
    for (size_t i = 0; i < n; i++)
        if (word_is(p, len, kws[i]))
            return true;
    return false;
}

/* Past a quoted run starting at p (its quote char), or NULL if unterminated. */
static const char *skip_quoted(const char *p)
{
    char q = *p;
    for (p++; *p; p++) {
        if (*p == q && p[1] == q)
            p++;
        else if (*p == q)
            return p + 1;
    }
    return NULL;
}

/* The first top-level word kw at or after p (CASE ... END pairs skipped
 * when `cases`), or NULL. */
static const char *find_word(const char *p, const char *kw, bool cases)
{
    int depth = 0;
    while (p && *p) {
        if (*p == '\'' || *p == '"') {
            p = skip_quoted(p);
            continue;
        }
        size_t n = word_len(p);
        if (!n) {
            p++;
            continue;
        }
        if (cases && word_is(p, n, "CASE"))
            depth++;
        else if (cases && depth > 0 && word_is(p, n, "END"))
            depth--;
        else if (depth == 0 && word_is(p, n, kw))
            return p;
        p += n;
    }
    return NULL;
}

/* store_sql_pg() of the n bytes at s, appended to t's output. */
static int emit_translated(struct tr *t, const char *s, size_t n, struct error *err)
{
    _cleanup_free_ char *part = strndup(s, n);
    _cleanup_free_ char *pg = NULL;
    if (!part)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (store_sql_pg(part, &pg, err) < 0)
        return -1;
    emit_str(t, pg);
    return 0;
}

/* A trigger's WHEN condition: translated, and where SQLite takes a row's
 * integer column as a truth value (NEW.c or OLD.c alone between WHEN, (,
 * AND, OR, NOT and AND, OR, ), the end), PostgreSQL is told (NEW.c <> 0). */
static int emit_when(struct tr *t, const char *s, size_t n, struct error *err)
{
    _cleanup_free_ char *part = strndup(s, n);
    _cleanup_free_ char *pg = NULL;
    if (!part)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (store_sql_pg(part, &pg, err) < 0)
        return -1;
    bool truth_ctx = true; /* the previous token starts a truth value */
    for (const char *p = pg; *p;) {
        if (isspace((unsigned char)*p)) {
            buf_append_char(&t->out, *p++);
            continue;
        }
        size_t len = 1;
        if (*p == '\'' || *p == '"') {
            const char *e = skip_quoted(p);
            len = e ? (size_t)(e - p) : strlen(p);
        } else if (is_word_char(*p)) {
            for (len = 0; is_word_char(p[len]) || p[len] == '.'; len++)
                ;
        }
        bool row_col = len > 4 && (!strncasecmp(p, "NEW.", 4) || !strncasecmp(p, "OLD.", 4));
        const char *q = skip_space(p + len);
        size_t qlen = word_len(q);
        bool truth_end = !*q || *q == ')' || word_is(q, qlen, "AND") || word_is(q, qlen, "OR");
        if (row_col && truth_ctx && truth_end)
            buf_printf(&t->out, "(%.*s <> 0)", (int)len, p);
        else
            buf_append(&t->out, p, len);
        truth_ctx = *p == '(' || word_is(p, len, "AND") || word_is(p, len, "OR") || word_is(p, len, "NOT");
        p += len;
    }
    return 0;
}

/* CREATE TRIGGER name AFTER <event> ON <table> [WHEN <cond>] BEGIN <body>
 * END becomes a plpgsql function holding the body and a row trigger that
 * runs it.  p is just past TRIGGER. */
static int trigger(struct tr *t, const char *p, struct error *err)
{
    const char *name = skip_space(p);
    size_t nlen = word_len(name);
    const char *timing = skip_space(name + nlen);
    if (!nlen || word_is(name, nlen, "IF") || !word_is(timing, word_len(timing), "AFTER"))
        return error_set(err, ERR_INVALID, "SQL for PostgreSQL: only CREATE TRIGGER <name> AFTER ... is translated");
    const char *begin = find_word(timing, "BEGIN", false);
    const char *end = begin ? find_word(begin + 5, "END", true) : NULL;
    if (!end)
        return error_set(err, ERR_INVALID, "SQL for PostgreSQL: trigger %.*s has no BEGIN ... END", (int)nlen, name);
    const char *when = find_word(timing, "WHEN", false);
    if (when && when > begin)
        when = NULL;
    const char *head_end = when ? when : begin;
    buf_printf(&t->out, "CREATE OR REPLACE FUNCTION %.*s_fn() RETURNS trigger LANGUAGE plpgsql AS $berth$ BEGIN",
               (int)nlen, name);
    if (emit_translated(t, begin + 5, (size_t)(end - begin - 5), err) < 0)
        return -1;
    buf_printf(&t->out, " RETURN NULL; END $berth$; CREATE TRIGGER %.*s ", (int)nlen, name);
    if (emit_translated(t, timing, (size_t)(head_end - timing), err) < 0)
        return -1;
    emit_str(t, " FOR EACH ROW");
    if (when) {
        emit_str(t, " WHEN (");
        if (emit_when(t, when + 4, (size_t)(begin - when - 4), err) < 0)
            return -1;
        emit_str(t, ")");
    }
    buf_printf(&t->out, " EXECUTE FUNCTION %.*s_fn()", (int)nlen, name);
    t->last_token_end = t->out.len;
    t->p = end + 3;
    return 0;
}

/* SQLite accepts CROSS JOIN t [alias] ON ... (a join-order hint); past
 * the JOIN when after is such a join, else NULL. */
static const char *cross_join_on(const char *after)
{
    const char *e = NEXT_WORDS(after, "JOIN");
    if (!e)
        return NULL;
    const char *p = skip_space(e);
    p = skip_space(p + word_len(p));
    if (!NEXT_WORDS(p, "ON")) {
        size_t alias = word_len(p);
        if (!alias || word_is(p, alias, "WHERE") || !NEXT_WORDS(p + alias, "ON"))
            return NULL;
    }
    return e;
}

/* SQLite's IS and IS NOT compare any values, NULL-safely: PostgreSQL's
 * IS [NOT] DISTINCT FROM, except before NULL, TRUE, FALSE or DISTINCT. */
static const char *const is_keeps[] = {"NULL", "TRUE", "FALSE", "DISTINCT", "NOT"};
static bool is_operator(struct tr *t, const char *after, const char **ret_after)
{
    if (next_word_in(after, is_keeps, 4))
        return false;
    const char *e = NEXT_WORDS(after, "NOT");
    if (e) {
        if (next_word_in(e, is_keeps, 4))
            return false;
        emit_str(t, "IS DISTINCT FROM");
        *ret_after = e;
        return true;
    }
    emit_str(t, "IS NOT DISTINCT FROM");
    *ret_after = after;
    return true;
}

/* In ON CONFLICT DO UPDATE SET, SQLite reads a bare column as the
 * existing row's; PostgreSQL finds it ambiguous beside EXCLUDED, so it is
 * qualified with the INSERT's table.  The assigned columns (which must stay
 * bare), calls, qualified names and keywords are left alone.  True when it
 * emitted the word. */
static bool set_column(struct tr *t, const char *w, size_t n)
{
    if (word_is(w, n, "WHERE") || word_is(w, n, "RETURNING")) {
        t->in_set = false;
        return false;
    }
    if (t->set_lhs) {
        t->set_lhs = false;
        return false;
    }
    const char *next = skip_space(w + n);
    if (!t->into || *next == '(' || *next == '.' || (t->out.len && t->out.data[t->out.len - 1] == '.'))
        return false;
    for (size_t i = 0; i < sizeof(expr_words) / sizeof(expr_words[0]); i++)
        if (word_is(w, n, expr_words[i]))
            return false;
    buf_printf(&t->out, "%.*s.%.*s", (int)t->into_len, t->into, (int)n, w);
    t->last_token_end = t->out.len;
    return true;
}

/* The arguments of the call whose '(' is at p: up to max top-level
 * arguments (start and length each, untrimmed) and the end past ')'.
 * False when unbalanced or with more than max arguments. */
static bool call_args(const char *p, const char **args, size_t *lens, size_t max, size_t *ret_n, const char **ret_end)
{
    int depth = 0;
    size_t n = 0;
    const char *start = p + 1;
    for (; *p; p++) {
        if (*p == '\'' || *p == '"') {
            p = skip_quoted(p);
            if (!p)
                return false;
            p--;
        } else if (*p == '(') {
            depth++;
        } else if ((*p == ')' && depth == 1) || (*p == ',' && depth == 1)) {
            if (n == max)
                return false;
            args[n] = start;
            lens[n++] = (size_t)(p - start);
            start = p + 1;
            if (*p == ')') {
                *ret_n = n;
                *ret_end = p + 1;
                return true;
            }
        } else if (*p == ')') {
            depth--;
        }
    }
    return false;
}

/* A JSON path argument '$.key' or '$.key.key...' (keys: letters, digits,
 * _): the keys with their dots, else NULL. */
static const char *json_key(const char *arg, size_t len, size_t *ret_len)
{
    const char *p = skip_space(arg);
    if (strncmp(p, "'$.", 3) != 0)
        return NULL;
    size_t n = 0, w;
    while ((w = word_len(p + 3 + n)) > 0) {
        n += w;
        if (p[3 + n] != '.')
            break;
        n++;
    }
    const char *e = skip_space(p + 4 + n);
    if (!n || p[3 + n] != '\'' || p[2 + n] == '.' || e != arg + len)
        return NULL;
    *ret_len = n;
    return p + 3;
}

/* The path operator and operand for keys (from json_key): -> 'key' or,
 * nested, #> '{key,key}' (as_text: ->> and #>>). */
static void emit_json_path(struct tr *t, const char *key, size_t klen, bool as_text)
{
    if (!memchr(key, '.', klen)) {
        buf_printf(&t->out, " %s '%.*s'", as_text ? "->>" : "->", (int)klen, key);
        return;
    }
    buf_printf(&t->out, " %s '{", as_text ? "#>>" : "#>");
    for (size_t i = 0; i < klen; i++)
        buf_printf(&t->out, "%c", key[i] == '.' ? ',' : key[i]);
    emit_str(t, "}'");
}

/* json_extract(E, '$.key') -> ((E)::json ->> 'key') ('$.a.b': #>> '{a,b}'): the same text or
 * number for a scalar member (PostgreSQL's text result reads as either). */
static int json_extract(struct tr *t, const char *paren, const char **ret_after, struct error *err)
{
    const char *args[2], *end, *key;
    size_t lens[2], n, klen;
    if (!call_args(paren, args, lens, 2, &n, &end) || n != 2 || !(key = json_key(args[1], lens[1], &klen)))
        return error_set(err, ERR_INVALID, "SQL for PostgreSQL: only json_extract(x, '$.key[.key...]') is translated");
    emit_str(t, "((");
    if (emit_translated(t, args[0], lens[0], err) < 0)
        return -1;
    emit_str(t, ")::json");
    emit_json_path(t, key, klen, true);
    emit_str(t, ")");
    t->last_token_end = t->out.len;
    *ret_after = end;
    return 0;
}

/* Words that end a FROM item, so are no table alias. */
static const char *const not_alias[] = {"WHERE", "ON",    "JOIN",  "LEFT",  "INNER",     "CROSS", "ORDER",
                                        "GROUP", "LIMIT", "UNION", "USING", "RETURNING", "AS"};

/* json_each(E [, '$.key']) [AS] [alias] -> json_array_elements_text((E)::json
 * [-> 'key']) AS alias(value): the elements of an array of strings or
 * numbers, as text, in a column named value (the only one of json_each's
 * columns PostgreSQL's function has). */
static int json_each(struct tr *t, const char *paren, const char **ret_after, struct error *err)
{
    const char *args[2], *end, *key = NULL;
    size_t lens[2], n, klen = 0;
    if (!call_args(paren, args, lens, 2, &n, &end) || (n == 2 && !(key = json_key(args[1], lens[1], &klen))))
        return error_set(err, ERR_INVALID, "SQL for PostgreSQL: only json_each(x [, '$.key']) is translated");
    emit_str(t, "json_array_elements_text((");
    if (emit_translated(t, args[0], lens[0], err) < 0)
        return -1;
    emit_str(t, ")::json");
    if (key)
        emit_json_path(t, key, klen, false);
    const char *alias = skip_space(end), *as = NEXT_WORDS(end, "AS");
    if (as)
        alias = skip_space(as);
    size_t alen = word_len(alias);
    bool named = alen && !next_word_in(alias, not_alias, sizeof(not_alias) / sizeof(*not_alias));
    if (named)
        buf_printf(&t->out, ") AS %.*s(value)", (int)alen, alias);
    else
        emit_str(t, ") AS json_each(value)");
    t->last_token_end = t->out.len;
    *ret_after = named ? alias + alen : end;
    return 0;
}

/* LIMIT ?N, with p at the '?': SQLite reads a negative LIMIT as none (the
 * store binds -1 for "all rows"); PostgreSQL refuses one (2201W) and reads
 * NULL as none. */
static int limit_param(struct tr *t, const char *p, struct error *err)
{
    emit_str(t, "LIMIT NULLIF(GREATEST(");
    t->p = p;
    if (param(t, err) < 0)
        return -1;
    emit_str(t, ", -1), -1)");
    return 0;
}

/* CAST(E AS BLOB) -> convert_to(E, 'UTF8'): a text's bytes, as SQLite's
 * cast gives them (PostgreSQL's cast of text to bytea would read its
 * backslashes as escapes).  0 when the cast is to something else. */
static int cast_to_blob(struct tr *t, const char *paren, const char **ret_after, struct error *err)
{
    const char *args[1], *end;
    size_t lens[1], n;
    if (!call_args(paren, args, lens, 1, &n, &end) || n != 1)
        return 0;
    const char *a = args[0];
    size_t k = lens[0];
    while (k && isspace((unsigned char)a[k - 1]))
        k--;
    if (k < 4 || strncasecmp(a + k - 4, "BLOB", 4) != 0 || (k > 4 && is_word_char(a[k - 5])))
        return 0;
    k -= 4;
    while (k && isspace((unsigned char)a[k - 1]))
        k--;
    if (k < 2 || strncasecmp(a + k - 2, "AS", 2) != 0 || (k > 2 && is_word_char(a[k - 3])))
        return 0;
    k -= 2;
    while (k && isspace((unsigned char)a[k - 1]))
        k--;
    emit_str(t, "convert_to(");
    if (emit_translated(t, a, k, err) < 0)
        return -1;
    emit_str(t, ", 'UTF8')");
    t->last_token_end = t->out.len;
    *ret_after = end;
    return 1;
}

/* A word at t->p of length n: rewrite, refuse, or copy it. */
static int word(struct tr *t, size_t n, struct error *err)
{
    const char *w = t->p, *after = w + n, *e;
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
        if (word_is(w, n, refused[i].word) && (!word_is(w, n, "HEX") || *skip_space(after) == '('))
            return error_set(err, ERR_INVALID, "SQL for PostgreSQL: %s", refused[i].why);
    if (word_is(w, n, "CREATE") && (e = NEXT_WORDS(after, "TRIGGER")))
        return trigger(t, e, err);
    if (word_is(w, n, "LIMIT") && *skip_space(after) == '?')
        return limit_param(t, skip_space(after), err);
    int cast = word_is(w, n, "CAST") && *skip_space(after) == '(' ? cast_to_blob(t, skip_space(after), &t->p, err) : 0;
    if (cast != 0)
        return cast < 0 ? -1 : 0;
    if (word_is(w, n, "JSON_EXTRACT") || word_is(w, n, "JSON_EACH")) {
        if (*skip_space(after) != '(')
            return error_set(err, ERR_INVALID, "SQL for PostgreSQL: %.*s without arguments", (int)n, w);
        int r = word_is(w, n, "JSON_EXTRACT") ? json_extract(t, skip_space(after), &after, err)
                                              : json_each(t, skip_space(after), &after, err);
        if (r < 0)
            return -1;
    } else if (t->in_set && set_column(t, w, n)) {
        ;
    } else if (word_is(w, n, "INTO") && !t->into) {
        emit(t, w, n);
        t->into = skip_space(after);
        t->into_len = word_len(t->into);
    } else if (word_is(w, n, "DO") && (e = NEXT_WORDS(after, "UPDATE", "SET"))) {
        emit(t, w, (size_t)(e - w));
        t->in_set = t->set_lhs = true;
        t->set_depth = 0;
        after = e;
    } else if (word_is(w, n, "IS") && is_operator(t, after, &after)) {
        ;
    } else if (word_is(w, n, "INSERT") && (e = NEXT_WORDS(after, "OR", "IGNORE"))) {
        t->ignore = true;
        emit(t, w, n);
        after = e;
    } else if (word_is(w, n, "INSERT") && NEXT_WORDS(after, "OR")) {
        return error_set(err, ERR_INVALID,
                         "SQL for PostgreSQL: INSERT OR <conflict> other than IGNORE needs "
                         "an explicit ON CONFLICT clause");
    } else if (word_is(w, n, "REPLACE") && NEXT_WORDS(after, "INTO")) {
        return error_set(err, ERR_INVALID, "SQL for PostgreSQL: REPLACE INTO needs an explicit ON CONFLICT clause");
    } else if (word_is(w, n, "RETURNING")) {
        t->returning_at = t->out.len;
        emit(t, w, n);
    } else if (word_is(w, n, "IFNULL") && *skip_space(after) == '(') {
        emit_str(t, "COALESCE");
    } else if ((word_is(w, n, "MAX") || word_is(w, n, "MIN")) && *skip_space(after) == '(' &&
               several_args(skip_space(after))) {
        emit_str(t, word_is(w, n, "MAX") ? "GREATEST" : "LEAST");
    } else if (word_is(w, n, "INTEGER") && (e = NEXT_WORDS(after, "PRIMARY", "KEY"))) {
        emit_str(t, "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY");
        const char *ai = NEXT_WORDS(e, "AUTOINCREMENT");
        after = ai ? ai : e;
    } else if (word_is(w, n, "INTEGER")) {
        emit_str(t, "BIGINT");
    } else if (word_is(w, n, "REAL")) {
        emit_str(t, "DOUBLE PRECISION");
    } else if (word_is(w, n, "BLOB")) {
        emit_str(t, "BYTEA");
    } else if (word_is(w, n, "CROSS") && (e = cross_join_on(after))) {
        emit_str(t, "JOIN");
        after = e;
    } else if (word_is(w, n, "INDEXED") && (e = NEXT_WORDS(after, "BY"))) {
        after = skip_space(e) + word_len(skip_space(e)); /* a planner hint */
    } else if (word_is(w, n, "CHAR") && *skip_space(after) == '(') {
        if (several_args(skip_space(after)))
            return error_set(err, ERR_INVALID, "SQL for PostgreSQL: char() of several codes needs per-backend SQL");
        emit_str(t, "chr");
    } else if (word_is(w, n, "COLLATE") && (e = NEXT_WORDS(after, "NOCASE"))) {
        emit_str(t, "COLLATE berth_nocase");
        after = e;
    } else if (word_is(w, n, "WITHOUT") && (e = NEXT_WORDS(after, "ROWID"))) {
        after = e;
    } else if (!word_is(w, n, "AUTOINCREMENT")) {
        emit(t, w, n);
    }
    t->p = after;
    return 0;
}

static int step(struct tr *t, struct error *err)
{
    char c = *t->p;
    if (c == '\'' || c == '"')
        return copy_quoted(t, err);
    if ((c == '-' && t->p[1] == '-') || (c == '/' && t->p[1] == '*')) {
        copy_comment(t);
        return 0;
    }
    if (c == '?')
        return param(t, err);
    if (isalpha((unsigned char)c) || c == '_')
        return word(t, word_len(t->p), err);
    if (isdigit((unsigned char)c)) {
        size_t n = word_len(t->p);
        emit(t, t->p, n);
        t->p += n;
        return 0;
    }
    if (c == ';')
        end_statement(t);
    if (t->in_set && c == '(')
        t->set_depth++;
    if (t->in_set && c == ')')
        t->set_depth--;
    if (t->in_set && c == ',' && t->set_depth == 0)
        t->set_lhs = true;
    if (isspace((unsigned char)c))
        buf_append_char(&t->out, c);
    else
        emit(t, t->p, 1);
    t->p++;
    return 0;
}

int store_sql_pg(const char *sql, char **ret_sql, struct error *err)
{
    struct tr t = {.p = sql, .returning_at = SIZE_MAX};
    buf_init(&t.out, SQL_PG_MAX);
    while (*t.p) {
        if (step(&t, err) < 0) {
            buf_free(&t.out);
            return -1;
        }
    }
    end_statement(&t);
    if (t.out.failed) {
        buf_free(&t.out);
        return error_set(err, ERR_INTERNAL, "SQL for PostgreSQL: out of memory or longer than %d bytes", SQL_PG_MAX);
    }
    if (!t.out.data)
        buf_append_str(&t.out, "");
    *ret_sql = buf_steal(&t.out, NULL);
    return *ret_sql ? 0 : error_set(err, ERR_INTERNAL, "out of memory");
}
