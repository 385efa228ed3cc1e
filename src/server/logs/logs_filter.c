/* logs_filter.c - parsing and matching CloudWatch Logs filter patterns.
 *
 * A pattern becomes a flat list of terms, each required, excluded or
 * optional (?); matching is substring search.  Structured patterns (JSON,
 * space-delimited) are recognised only to refuse them clearly. */
#include "server/logs/logs_filter.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/cleanup.h"
#include "common/regex_guard.h"

enum term_kind { TERM_REQUIRED, TERM_EXCLUDED, TERM_ANY };

struct term {
    enum term_kind kind;
    char *text;
    size_t len;
};

struct logs_filter {
    struct term *terms;
    size_t nterms, cap;
    size_t nany;
    bool has_regex;
    regex_t regex;
};

void logs_filter_free(struct logs_filter *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->nterms; i++)
        free(f->terms[i].text);
    free(f->terms);
    if (f->has_regex)
        regfree(&f->regex);
    free(f);
}

static void logs_filter_freep(struct logs_filter **f) { logs_filter_free(*f); }

static int add_term(struct logs_filter *f, enum term_kind kind, const char *s, size_t n, struct error *err)
{
    if (n == 0)
        return error_set(err, ERR_INVALID, "Invalid filter pattern: empty term.");
    if (array_reserve(&f->terms, &f->cap, f->nterms + 1, sizeof(*f->terms)) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    char *text = strndup(s, n);
    if (!text)
        return error_set(err, ERR_INTERNAL, "out of memory");
    f->terms[f->nterms++] = (struct term){.kind = kind, .text = text, .len = n};
    if (kind == TERM_ANY)
        f->nany++;
    return 0;
}

static int parse_regex(struct logs_filter *f, const char *p, size_t n, struct error *err)
{
    /* "%re%": the whole pattern is one expression. */
    _cleanup_free_ char *re = strndup(p + 1, n - 2);
    if (!re)
        return error_set(err, ERR_INTERNAL, "out of memory");
    /* CloudWatch's syntax has no back-references either. */
    if (regex_too_costly(re))
        return error_set(err, ERR_INVALID,
                         "Invalid regex in filter pattern: back-references and repetition "
                         "counts multiplying past %d are not supported.",
                         REGEX_REPEAT_PRODUCT_MAX);
    if (regcomp(&f->regex, re, REG_EXTENDED | REG_NOSUB) != 0)
        return error_set(err, ERR_INVALID, "Invalid regex in filter pattern.");
    f->has_regex = true;
    return 0;
}

int logs_filter_parse(const char *pattern, struct logs_filter **ret_filter, struct error *err)
{
    _cleanup_(logs_filter_freep) struct logs_filter *f = calloc(1, sizeof(*f));
    if (!f)
        return error_set(err, ERR_INTERNAL, "out of memory");
    const char *p = pattern ? pattern : "";
    while (*p == ' ' || *p == '\t')
        p++;
    size_t n = strlen(p);
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    if (n && (p[0] == '{' || p[0] == '['))
        return error_set(err, ERR_INVALID,
                         "JSON and space-delimited filter patterns are unsupported by berth; "
                         "use terms, \"quoted phrases\", -exclusions, ?alternatives or %%regex%%.");
    if (n >= 2 && p[0] == '%' && p[n - 1] == '%') {
        if (parse_regex(f, p, n, err) < 0)
            return -1;
        *ret_filter = TAKE_PTR(f);
        return 0;
    }
    const char *end = p + n;
    while (p < end) {
        if (*p == ' ' || *p == '\t') {
            p++;
            continue;
        }
        enum term_kind kind = TERM_REQUIRED;
        if (*p == '-' || *p == '?') {
            kind = *p == '-' ? TERM_EXCLUDED : TERM_ANY;
            p++;
        }
        const char *start = p;
        size_t len;
        if (p < end && *p == '"') {
            start = ++p;
            while (p < end && *p != '"')
                p++;
            if (p >= end)
                return error_set(err, ERR_INVALID, "Invalid filter pattern: unterminated quote.");
            len = (size_t)(p - start);
            p++;
        } else {
            while (p < end && *p != ' ' && *p != '\t')
                p++;
            len = (size_t)(p - start);
        }
        if (add_term(f, kind, start, len, err) < 0)
            return -1;
    }
    *ret_filter = TAKE_PTR(f);
    return 0;
}

bool logs_filter_match(const struct logs_filter *f, const char *msg, size_t len)
{
    if (!f)
        return true;
    if (f->has_regex) {
        /* regexec wants a C string; messages rarely hold NULs, and the part
         * before one is what a reader would see anyway. */
        _cleanup_free_ char *s = strndup(msg, len);
        return s && regexec(&f->regex, s, 0, NULL, 0) == 0;
    }
    bool any = f->nany == 0;
    for (size_t i = 0; i < f->nterms; i++) {
        const struct term *t = &f->terms[i];
        bool found = memmem(msg, len, t->text, t->len) != NULL;
        if (t->kind == TERM_REQUIRED && !found)
            return false;
        if (t->kind == TERM_EXCLUDED && found)
            return false;
        if (t->kind == TERM_ANY && found)
            any = true;
    }
    return any;
}
