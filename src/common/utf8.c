/* utf8.c - validating UTF-8 (RFC 3629: no overlongs, no surrogates, at most
 * U+10FFFF). */
#include "common/utf8.h"

#include <stdint.h>

size_t utf8_decode(const char *str, size_t avail, uint32_t *cp)
{
    const unsigned char *s = (const unsigned char *)str;
    unsigned char c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t n;
    uint32_t v;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        v = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        v = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        v = c & 0x07;
    } else {
        return 0;
    }
    if (n > avail)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3f);
    }
    if ((n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 || v > 0x10ffff)) || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return n;
}

static size_t seq_len_n(const unsigned char *s, size_t avail)
{
    uint32_t cp;
    return utf8_decode((const char *)s, avail, &cp);
}

/* A NUL-terminated string: its NUL ends any sequence early. */
static size_t seq_len(const unsigned char *s) { return seq_len_n(s, 4); }

size_t utf8_seq_len(const char *s, size_t avail) { return avail ? seq_len_n((const unsigned char *)s, avail) : 0; }

bool utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t n = seq_len(p);
        if (!n)
            return false;
        p += n;
    }
    return true;
}

void utf8_sanitize(char *s)
{
    unsigned char *p = (unsigned char *)s;
    while (*p) {
        size_t n = seq_len(p);
        if (!n) {
            *p++ = '?';
            continue;
        }
        p += n;
    }
}

size_t utf8_length(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            n++;
    return n;
}
