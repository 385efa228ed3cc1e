/* buf.c - growable byte buffers and arrays (see buf.h).  Nothing here knows
 * what the bytes are. */
#include "common/buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b, size_t limit) { *b = (struct buf){.limit = limit}; }

void buf_free(struct buf *b)
{
    if (!b)
        return;
    free(b->data);
    *b = (struct buf){.limit = b->limit};
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    b->failed = false;
    b->too_large = false;
    if (b->data)
        b->data[0] = '\0';
}

int buf_reserve(struct buf *b, size_t n)
{
    if (b->failed)
        return -1;
    if (n > b->limit || b->len > b->limit - n) {
        b->failed = b->too_large = true;
        return -1;
    }
    if (b->len + n + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1)
        cap *= 2;
    char *nd = realloc(b->data, cap);
    if (!nd) {
        b->failed = true;
        return -1;
    }
    if (!b->data)
        nd[0] = '\0';
    b->data = nd;
    b->cap = cap;
    return 0;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
    if (buf_reserve(b, n) < 0)
        return -1;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int buf_append_str(struct buf *b, const char *s) { return buf_append(b, s, strlen(s)); }

int buf_append_char(struct buf *b, char c) { return buf_append(b, &c, 1); }

int buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || buf_reserve(b, (size_t)n) < 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

char *buf_steal(struct buf *b, size_t *ret_len)
{
    if (b->failed || (!b->data && buf_reserve(b, 0) < 0))
        return NULL;
    char *p = b->data;
    if (ret_len)
        *ret_len = b->len;
    *b = (struct buf){.limit = b->limit};
    return p;
}

int array_reserve(void *arrp, size_t *capp, size_t need, size_t elem)
{
    if (need <= *capp)
        return 0;
    size_t cap = *capp ? *capp : 8;
    while (cap < need) {
        if (cap > SIZE_MAX / 2)
            return -1;
        cap *= 2;
    }
    if (elem && cap > SIZE_MAX / elem)
        return -1;
    void **p = arrp;
    void *np = realloc(*p, cap * elem);
    if (!np)
        return -1;
    *p = np;
    *capp = cap;
    return 0;
}
