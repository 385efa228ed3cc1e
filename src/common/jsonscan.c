/* jsonscan.c - reading JSON text in place (see jsonscan.h). */
#include "common/jsonscan.h"

#include <string.h>

#include "common/utf8.h"

void jsonscan_init(struct jsonscan *s, const char *text, size_t len)
{
    s->base = s->p = text;
    s->end = text + len;
}

static void skip_ws(struct jsonscan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
        s->p++;
}

char jsonscan_peek(struct jsonscan *s)
{
    skip_ws(s);
    return s->p < s->end ? *s->p : 0;
}

bool jsonscan_take(struct jsonscan *s, char c)
{
    if (jsonscan_peek(s) != c || s->p == s->end)
        return false;
    s->p++;
    return true;
}

bool jsonscan_at_end(struct jsonscan *s)
{
    skip_ws(s);
    return s->p == s->end;
}

size_t jsonscan_pos(const struct jsonscan *s) { return (size_t)(s->p - s->base); }

static int hex4(const char *p, unsigned *ret)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *ret = v;
    return 0;
}

/* A \u escape at s->p (after the backslash and 'u'), a surrogate pair
 * included, as UTF-8 into out; its length, or 0 if malformed. */
static size_t unicode_escape(struct jsonscan *s, char out[4])
{
    unsigned cp, lo;
    if (s->end - s->p < 4 || hex4(s->p, &cp) < 0)
        return 0;
    s->p += 4;
    if (cp >= 0xdc00 && cp <= 0xdfff)
        return 0;
    if (cp >= 0xd800 && cp <= 0xdbff) {
        if (s->end - s->p < 6 || s->p[0] != '\\' || s->p[1] != 'u' || hex4(s->p + 2, &lo) < 0 || lo < 0xdc00 ||
            lo > 0xdfff)
            return 0;
        s->p += 6;
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
    }
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* One escape after its backslash, into out; its length, or 0 if malformed. */
static size_t escape(struct jsonscan *s, char out[4])
{
    if (s->p == s->end)
        return 0;
    char c = *s->p++;
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *k = c ? memchr(from, c, sizeof(from) - 1) : NULL;
    if (k) {
        out[0] = to[k - from];
        return 1;
    }
    return c == 'u' ? unicode_escape(s, out) : 0;
}

static void put(char *dst, size_t cap, size_t *len, const char *src, size_t n)
{
    if (dst && *len < cap)
        memcpy(dst + *len, src, n <= cap - *len ? n : cap - *len);
    *len += n;
}

/* The bytes a string holds as they are: printable ASCII but '"' (0x22)
 * and '\\' (0x5c).  One load a byte instead of four compares: a log
 * batch's messages are most of what the server reads. */
static const bool plain[256] = {[0x20 ... 0x21] = true, [0x23 ... 0x5b] = true, [0x5d ... 0x7f] = true};

int jsonscan_string(struct jsonscan *s, char *dst, size_t cap, size_t *ret_len)
{
    if (!jsonscan_take(s, '"'))
        return -1;
    size_t len = 0;
    for (;;) {
        /* A run of plain ASCII is copied at once. */
        const char *run = s->p;
        while (s->p < s->end && plain[(unsigned char)*s->p])
            s->p++;
        put(dst, cap, &len, run, (size_t)(s->p - run));
        if (s->p == s->end)
            return -1;
        unsigned char c = (unsigned char)*s->p;
        if (c == '"') {
            s->p++;
            *ret_len = len;
            return 0;
        }
        if (c < 0x20)
            return -1;
        char tmp[4];
        size_t n;
        if (c == '\\') {
            s->p++;
            n = escape(s, tmp);
            if (!n)
                return -1;
            put(dst, cap, &len, tmp, n);
            continue;
        }
        n = utf8_seq_len(s->p, (size_t)(s->end - s->p));
        if (!n)
            return -1;
        put(dst, cap, &len, s->p, n);
        s->p += n;
    }
}

static bool digit(const struct jsonscan *s) { return s->p < s->end && *s->p >= '0' && *s->p <= '9'; }

int jsonscan_number(struct jsonscan *s, bool *ret_integer, int64_t *ret_value)
{
    skip_ws(s);
    bool neg = s->p < s->end && *s->p == '-';
    if (neg)
        s->p++;
    if (!digit(s))
        return -1;
    if (*s->p == '0' && s->end - s->p > 1 && s->p[1] >= '0' && s->p[1] <= '9')
        return -1; /* a leading zero */
    /* Accumulated negative, so INT64_MIN fits.  18 digits cannot
     * overflow, so those go without the check (a millisecond timestamp
     * has 13). */
    int64_t v = 0;
    const char *unchecked = s->end - s->p > 18 ? s->p + 18 : s->end;
    while (s->p < unchecked && *s->p >= '0' && *s->p <= '9')
        v = v * 10 - (*s->p++ - '0');
    bool overflow = false;
    for (; digit(s); s->p++) {
        int d = *s->p - '0';
        if (v < (INT64_MIN + d) / 10)
            overflow = true;
        else
            v = v * 10 - d;
    }
    bool integer = true;
    if (s->p < s->end && *s->p == '.') {
        s->p++;
        if (!digit(s))
            return -1;
        while (digit(s))
            s->p++;
        integer = false;
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        s->p++;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
            s->p++;
        if (!digit(s))
            return -1;
        while (digit(s))
            s->p++;
        integer = false;
    }
    if (integer && (overflow || (!neg && v == INT64_MIN)))
        return -1; /* jansson: "too big integer" */
    *ret_integer = integer;
    *ret_value = integer ? (neg ? v : -v) : 0;
    return 0;
}

static int literal(struct jsonscan *s, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
        return -1;
    s->p += n;
    return 0;
}

static int skip_depth(struct jsonscan *s, int depth);

/* The members or elements of an object or array after its opening byte. */
static int skip_container(struct jsonscan *s, bool object, int depth)
{
    char close = object ? '}' : ']';
    if (jsonscan_take(s, close))
        return 0;
    do {
        size_t len;
        if (object && (jsonscan_string(s, NULL, 0, &len) < 0 || !jsonscan_take(s, ':')))
            return -1;
        if (skip_depth(s, depth + 1) < 0)
            return -1;
    } while (jsonscan_take(s, ','));
    return jsonscan_take(s, close) ? 0 : -1;
}

static int skip_depth(struct jsonscan *s, int depth)
{
    size_t len;
    bool integer;
    int64_t v;
    switch (jsonscan_peek(s)) {
    case '"': return jsonscan_string(s, NULL, 0, &len);
    case '{':
    case '[':
        if (depth >= JSONSCAN_MAX_DEPTH)
            return -1;
        return skip_container(s, *s->p++ == '{', depth);
    case 't': return literal(s, "true");
    case 'f': return literal(s, "false");
    case 'n': return literal(s, "null");
    default: return jsonscan_number(s, &integer, &v);
    }
}

int jsonscan_skip(struct jsonscan *s) { return skip_depth(s, 0); }

/* Past the closing quote of the string whose opening quote is at s->p. */
static int skip_string_shape(struct jsonscan *s)
{
    const char *p = s->p + 1;
    while (p < s->end) {
        char c = *p++;
        if (c == '"') {
            s->p = p;
            return 0;
        }
        if (c == '\\' && p < s->end)
            p++;
    }
    return -1;
}

/* What jsonscan_skip_shape stops at: a string, a bracket, a delimiter. */
enum { SHAPE_OTHER, SHAPE_QUOTE, SHAPE_OPEN, SHAPE_CLOSE, SHAPE_DELIM };
static const unsigned char shape_of[256] = {
    ['"'] = SHAPE_QUOTE, ['['] = SHAPE_OPEN,  ['{'] = SHAPE_OPEN,   [']'] = SHAPE_CLOSE,  ['}'] = SHAPE_CLOSE,
    [','] = SHAPE_DELIM, [' '] = SHAPE_DELIM, ['\n'] = SHAPE_DELIM, ['\r'] = SHAPE_DELIM, ['\t'] = SHAPE_DELIM};

int jsonscan_skip_shape(struct jsonscan *s)
{
    skip_ws(s);
    const char *start = s->p;
    int depth = 0;
    while (s->p < s->end) {
        switch (shape_of[(unsigned char)*s->p]) {
        case SHAPE_OTHER: s->p++; continue;
        case SHAPE_QUOTE:
            if (skip_string_shape(s) < 0)
                return -1;
            if (!depth)
                return 0;
            continue;
        case SHAPE_OPEN:
            if (++depth > JSONSCAN_MAX_DEPTH)
                return -1;
            s->p++;
            continue;
        case SHAPE_CLOSE:
            if (depth == 0)
                return s->p == start ? -1 : 0;
            s->p++;
            if (--depth == 0)
                return 0;
            continue;
        default:
            if (!depth)
                return s->p == start ? -1 : 0;
            s->p++;
        }
    }
    return depth || s->p == start ? -1 : 0;
}
