/* jsonenc.c - JSON text into a growable buffer (see jsonenc.h).  It writes
 * only; parsing stays jansson's. */
#include "common/jsonenc.h"

#include <pthread.h>
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

/* escaped_size of every byte, built once: a log line's bytes are counted
 * one by one on the shipper's hot path. */
static unsigned char escaped_sizes[256];
static pthread_once_t escaped_sizes_once = PTHREAD_ONCE_INIT;

static void escaped_sizes_init(void)
{
    for (int c = 0; c < 256; c++)
        escaped_sizes[c] = (unsigned char)escaped_size((unsigned char)c);
}

size_t jsonenc_string_size(const char *s, size_t n)
{
    pthread_once(&escaped_sizes_once, escaped_sizes_init);
    size_t size = 2;
    for (size_t i = 0; i < n; i++)
        size += escaped_sizes[(unsigned char)s[i]];
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
    if (size == n + 2) { /* nothing to escape (most text) */
        memcpy(out, s, n);
        out += n;
    } else {
        out += jsonenc_escape(s, n, out);
    }
    *out++ = '"';
    b->len = (size_t)(out - b->data);
    b->data[b->len] = '\0';
}

/* By hand: snprintf was a third of the agent's time per shipped log line
 * (a timestamp per event). */
size_t jsonenc_format_int(char out[JSONENC_INT_MAX], int64_t v)
{
    char num[JSONENC_INT_MAX], *p = num + sizeof(num);
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    size_t n = (size_t)(num + sizeof(num) - p);
    memcpy(out, p, n);
    return n;
}

void jsonenc_int(struct jsonenc *e, int64_t v)
{
    char num[JSONENC_INT_MAX];
    jsonenc_raw(e, num, jsonenc_format_int(num, v));
}
