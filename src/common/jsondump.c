/* jsondump.c - a jansson tree as compact JSON (see jsondump.h).
 * One growing buffer; strings are copied in runs of bytes that need no
 * escape (jansson decodes and writes each code point on its own). */
#include "common/jsondump.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/utf8.h"

/* Bytes that stand for themselves: printable ASCII but '"' and '\\'. */
static bool plain(unsigned char c) { return c >= 0x20 && c < 0x80 && c != '"' && c != '\\'; }

static void hex4(struct buf *b, unsigned v)
{
    static const char hex[] = "0123456789ABCDEF"; /* jansson writes upper case */
    char u[6] = {'\\', 'u', hex[(v >> 12) & 0xf], hex[(v >> 8) & 0xf], hex[(v >> 4) & 0xf], hex[v & 0xf]};
    buf_append(b, u, sizeof(u));
}

static int dump_string(struct buf *b, const char *str, size_t n, bool ascii)
{
    const unsigned char *s = (const unsigned char *)str;
    buf_append_char(b, '"');
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        while (run < n && plain(s[run]))
            run++;
        buf_append(b, s + i, run - i);
        if (run == n)
            break;
        i = run;
        unsigned char c = s[i];
        const char *esc = NULL;
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default: break;
        }
        if (esc) {
            buf_append(b, esc, 2);
            i++;
        } else if (c < 0x80) {
            hex4(b, c);
            i++;
        } else {
            uint32_t cp;
            size_t len = utf8_decode(str + i, n - i, &cp);
            if (!len)
                return -1;
            if (!ascii) {
                buf_append(b, s + i, len);
            } else if (cp < 0x10000) {
                hex4(b, cp);
            } else {
                cp -= 0x10000;
                hex4(b, 0xd800 | (cp >> 10));
                hex4(b, 0xdc00 | (cp & 0x3ff));
            }
            i += len;
        }
    }
    buf_append_char(b, '"');
    return 0;
}

/* A real as jansson writes it: "%.17g", ".0" added when that reads as an
 * integer, the exponent without '+' or leading zeros.  (berth never sets
 * a locale, so the decimal point is '.'.) */
static int dump_real(struct buf *b, double v)
{
    char num[40];
    int n = snprintf(num, sizeof(num), "%.17g", v);
    if (n < 0 || (size_t)n >= sizeof(num) - 3)
        return -1;
    if (!strchr(num, '.') && !strchr(num, 'e')) {
        memcpy(num + n, ".0", 3);
        n += 2;
    }
    char *e = strchr(num, 'e');
    if (e) {
        char *start = e + 1, *end = e + 2;
        if (*start == '-')
            start++;
        while (*end == '0')
            end++;
        if (end != start) {
            memmove(start, end, (size_t)(num + n - end) + 1);
            n -= (int)(end - start);
        }
    }
    buf_append(b, num, (size_t)n);
    return 0;
}

static int dump(struct buf *b, const json_t *j, int depth, bool ascii)
{
    if (depth > JSONDUMP_MAX_DEPTH)
        return -1;
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *v;
        bool first = true;
        buf_append_char(b, '{');
        /* jansson's iteration order is the members' insertion order, as
         * its dump's */
        json_object_foreach((json_t *)j, key, v) {
            if (!first)
                buf_append_char(b, ',');
            first = false;
            if (dump_string(b, key, strlen(key), ascii) < 0)
                return -1;
            buf_append_char(b, ':');
            if (dump(b, v, depth + 1, ascii) < 0)
                return -1;
        }
        buf_append_char(b, '}');
        return 0;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *v;
        buf_append_char(b, '[');
        json_array_foreach((json_t *)j, i, v) {
            if (i)
                buf_append_char(b, ',');
            if (dump(b, v, depth + 1, ascii) < 0)
                return -1;
        }
        buf_append_char(b, ']');
        return 0;
    }
    case JSON_STRING: return dump_string(b, json_string_value(j), json_string_length(j), ascii);
    case JSON_INTEGER: {
        char num[24];
        int n = snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(j));
        buf_append(b, num, (size_t)n);
        return 0;
    }
    case JSON_REAL: return dump_real(b, json_real_value(j));
    case JSON_TRUE: buf_append(b, "true", 4); return 0;
    case JSON_FALSE: buf_append(b, "false", 5); return 0;
    case JSON_NULL: buf_append(b, "null", 4); return 0;
    }
    return -1;
}

static char *dump_doc(const json_t *j, size_t *ret_len, bool ascii)
{
    if (!j || (!json_is_object(j) && !json_is_array(j)))
        return NULL;
    _cleanup_buf_ struct buf b;
    buf_init(&b, SIZE_MAX / 2);
    if (dump(&b, j, 0, ascii) < 0 || b.failed)
        return NULL;
    return buf_steal(&b, ret_len);
}

char *jsondump(const json_t *j, size_t *ret_len) { return dump_doc(j, ret_len, true); }

char *jsondump_utf8(const json_t *j, size_t *ret_len) { return dump_doc(j, ret_len, false); }
