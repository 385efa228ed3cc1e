/* jsonload.c - JSON text into a jansson tree (see jsonload.h). */
#include "server/store/jsonload.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsonscan.h"

struct loader {
    struct jsonscan s;
    /* Decoded strings, NUL-terminated, one after another: a string's
     * decoded length plus its NUL never exceeds its quoted length in the
     * text, so a buffer of the text's length always has room, and a key
     * stays put while its value is read. */
    char *strings;
    size_t used, cap;
};

static json_t *load_value(struct loader *l, int depth);

/* The next string into the buffer; NULL if malformed or it holds a NUL
 * (jansson refuses \u0000 in keys always, in values without
 * JSON_ALLOW_NUL). */
static const char *load_text(struct loader *l, size_t *ret_len)
{
    char *dst = l->strings + l->used;
    size_t len;
    if (jsonscan_string(&l->s, dst, l->cap - l->used, &len) < 0 || len >= l->cap - l->used || memchr(dst, '\0', len))
        return NULL;
    dst[len] = '\0';
    l->used += len + 1;
    *ret_len = len;
    return dst;
}

static json_t *load_object(struct loader *l, int depth)
{
    json_t *obj = json_object();
    if (!obj || jsonscan_take(&l->s, '}'))
        return obj;
    do {
        size_t len;
        const char *key = load_text(l, &len);
        json_t *v = key && jsonscan_take(&l->s, ':') ? load_value(l, depth) : NULL;
        if (!v || json_object_set_new_nocheck(obj, key, v) < 0)
            goto fail;
    } while (jsonscan_take(&l->s, ','));
    if (jsonscan_take(&l->s, '}'))
        return obj;
fail:
    json_decref(obj);
    return NULL;
}

static json_t *load_array(struct loader *l, int depth)
{
    json_t *arr = json_array();
    if (!arr || jsonscan_take(&l->s, ']'))
        return arr;
    do {
        json_t *v = load_value(l, depth);
        if (!v || json_array_append_new(arr, v) < 0)
            goto fail;
    } while (jsonscan_take(&l->s, ','));
    if (jsonscan_take(&l->s, ']'))
        return arr;
fail:
    json_decref(arr);
    return NULL;
}

/* A real as jansson reads it: strtod, refused when it overflows. */
static json_t *load_real(const char *start, const char *end)
{
    char small[64], *copy = small;
    size_t n = (size_t)(end - start);
    if (n >= sizeof(small) && !(copy = malloc(n + 1)))
        return NULL;
    memcpy(copy, start, n);
    copy[n] = '\0';
    errno = 0;
    double v = strtod(copy, NULL);
    bool overflow = errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL);
    if (copy != small)
        free(copy);
    return overflow ? NULL : json_real(v);
}

static json_t *load_literal(struct loader *l, const char *word, json_t *value)
{
    size_t n = strlen(word);
    if ((size_t)(l->s.end - l->s.p) < n || memcmp(l->s.p, word, n) != 0)
        return NULL;
    l->s.p += n;
    return value;
}

static json_t *load_value(struct loader *l, int depth)
{
    char c = jsonscan_peek(&l->s);
    switch (c) {
    case '{':
    case '[':
        if (depth + 1 > JSONLOAD_MAX_DEPTH)
            return NULL;
        l->s.p++;
        return c == '{' ? load_object(l, depth + 1) : load_array(l, depth + 1);
    case '"': {
        size_t len;
        const char *text = load_text(l, &len);
        return text ? json_stringn_nocheck(text, len) : NULL;
    }
    case 't': return load_literal(l, "true", json_true());
    case 'f': return load_literal(l, "false", json_false());
    case 'n': return load_literal(l, "null", json_null());
    default: {
        const char *start = l->s.p;
        bool integer;
        int64_t v;
        if (jsonscan_number(&l->s, &integer, &v) < 0)
            return NULL;
        return integer ? json_integer((json_int_t)v) : load_real(start, l->s.p);
    }
    }
}

json_t *jsonload(const char *text, size_t len, size_t *ret_error_pos)
{
    struct loader l = {.cap = len + 1};
    jsonscan_init(&l.s, text, len);
    json_t *root = NULL;
    char first = jsonscan_peek(&l.s);
    if ((first == '{' || first == '[') && (l.strings = malloc(l.cap))) {
        root = load_value(&l, 0);
        if (root && !jsonscan_at_end(&l.s)) {
            json_decref(root);
            root = NULL;
        }
    }
    free(l.strings);
    if (!root && ret_error_pos)
        *ret_error_pos = jsonscan_pos(&l.s);
    return root;
}
