/* json_random.h - random jansson trees for the unit tests that compare
 * berth's JSON writer and reader with jansson's (seeded: the same trees on
 * every run).  Values of every kind: strings of every kind of UTF-8 and
 * escape, integers at the edges, reals large, small and fractional,
 * nested objects and arrays. */
#pragma once

#include <float.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static inline uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* A random valid UTF-8 string: ASCII of every kind, escapes, 2-, 3- and
 * 4-byte sequences. */
static inline size_t random_text(char *s, size_t cap)
{
    size_t n = 0, want = next() % 24;
    for (size_t k = 0; k < want && n + 4 < cap; k++) {
        unsigned cp;
        switch (next() % 5) {
        case 0: cp = (unsigned)(next() % 0x80); break;
        case 1: cp = 0x20 + (unsigned)(next() % 0x5f); break;
        case 2: cp = 0x80 + (unsigned)(next() % 0x780); break;
        case 3:
            cp = 0x800 + (unsigned)(next() % 0xf800);
            if (cp >= 0xd800 && cp <= 0xdfff)
                cp = 0xe9;
            break;
        default: cp = 0x10000 + (unsigned)(next() % 0x100000); break;
        }
        if (cp == 0)
            cp = 0x7f; /* json_string() takes no NUL; json_stringn does, below */
        if (cp < 0x80) {
            s[n++] = (char)cp;
        } else if (cp < 0x800) {
            s[n++] = (char)(0xc0 | (cp >> 6));
            s[n++] = (char)(0x80 | (cp & 0x3f));
        } else if (cp < 0x10000) {
            s[n++] = (char)(0xe0 | (cp >> 12));
            s[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
            s[n++] = (char)(0x80 | (cp & 0x3f));
        } else {
            s[n++] = (char)(0xf0 | (cp >> 18));
            s[n++] = (char)(0x80 | ((cp >> 12) & 0x3f));
            s[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
            s[n++] = (char)(0x80 | (cp & 0x3f));
        }
    }
    s[n] = '\0';
    return n;
}

static inline json_t *random_value(int depth)
{
    char text[128];
    switch (next() % (depth > 4 ? 6 : 8)) {
    case 0: return json_stringn(text, random_text(text, sizeof(text)));
    case 1: {
        static const json_int_t ints[] = {0, -1, 1, INT64_MAX, INT64_MIN, 1765000000123};
        return json_integer(next() % 2 ? ints[next() % 6] : (json_int_t)next());
    }
    case 2: {
        static const double reals[] = {0.0, -0.0, 1.5, 1765000000.123, 1e300, -2.5e-300, DBL_MIN, 100.0, 1e17};
        return json_real(next() % 2 ? reals[next() % 9] : (double)(int64_t)next() / 1e6);
    }
    case 3: return json_true();
    case 4: return json_false();
    case 5: return json_null();
    case 6: {
        json_t *o = json_object();
        for (size_t k = next() % 6; k > 0; k--) {
            random_text(text, sizeof(text));
            json_object_set_new(o, text, random_value(depth + 1));
        }
        return o;
    }
    default: {
        json_t *a = json_array();
        for (size_t k = next() % 6; k > 0; k--)
            json_array_append_new(a, random_value(depth + 1));
        return a;
    }
    }
}

/* A random object or array of up to 8 random values. */
static inline json_t *random_tree(void)
{
    json_t *root = next() % 2 ? json_object() : json_array();
    for (size_t k = 1 + next() % 8; k > 0; k--) {
        json_t *v = random_value(1);
        if (json_is_object(root)) {
            char key[32];
            snprintf(key, sizeof(key), "k%zu", k);
            json_object_set_new(root, key, v);
        } else {
            json_array_append_new(root, v);
        }
    }
    return root;
}
