/* jsonenc.c - JSON text into a growable buffer (see jsonenc.h).  It writes
 * only; parsing stays jansson's. */
#include "common/jsonenc.h"

#include <stdlib.h>
#include <string.h>

void jsonenc_init(struct jsonenc *e, size_t limit) { buf_init(&e->b, limit); }

void jsonenc_free(struct jsonenc *e) { buf_free(&e->b); }

bool jsonenc_failed(const struct jsonenc *e) { return e->b.failed; }

void jsonenc_raw(struct jsonenc *e, const char *s, size_t n) { buf_append(&e->b, s, n); }

/* The two-byte escape for c, or NULL: other control characters and DEL
 * become \u00xx, everything else stands for itself. */
static const char *short_escape(unsigned char c)
{
    switch (c) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\b': return "\\b";
    case '\f': return "\\f";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    default: return NULL;
    }
}

static size_t escaped_size(unsigned char c)
{
    if (short_escape(c))
        return 2;
    return c < 0x20 || c == 0x7f ? 6 : 1;
}

size_t jsonenc_string_size(const char *s, size_t n)
{
    size_t size = 2;
    for (size_t i = 0; i < n; i++)
        size += escaped_size((unsigned char)s[i]);
    return size;
}

size_t jsonenc_escape(const char *s, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    char *p = out;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = short_escape(c);
        if (esc) {
            *p++ = esc[0];
            *p++ = esc[1];
        } else if (c < 0x20 || c == 0x7f) {
            memcpy(p, "\\u00", 4);
            p[4] = hex[c >> 4];
            p[5] = hex[c & 0xf];
            p += 6;
        } else {
            *p++ = (char)c;
        }
    }
    return (size_t)(p - out);
}

void jsonenc_string(struct jsonenc *e, const char *s, size_t n)
{
    jsonenc_string_sized(e, s, n, jsonenc_string_size(s, n));
}

void jsonenc_string_sized(struct jsonenc *e, const char *s, size_t n, size_t size)
{
    struct buf *b = &e->b;
    if (buf_reserve(b, size) < 0)
        return;
    char *out = b->data + b->len;
    *out++ = '"';
    out += jsonenc_escape(s, n, out);
    *out++ = '"';
    b->len = (size_t)(out - b->data);
    b->data[b->len] = '\0';
}

/* By hand: snprintf was a third of the agent's time per shipped log line
 * (a timestamp per event). */
void jsonenc_int(struct jsonenc *e, int64_t v)
{
    char num[24], *p = num + sizeof(num);
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    jsonenc_raw(e, p, (size_t)(num + sizeof(num) - p));
}
