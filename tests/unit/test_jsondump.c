/* Unit tests: jsondump writes exactly what jansson's
 * json_dumps(JSON_COMPACT | JSON_ENSURE_ASCII) writes, and jsondump_utf8
 * what json_dumps(JSON_COMPACT) writes, for trees of every kind of value
 * (random ones, seeded), and both fail where jansson fails. */
#include <float.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsondump.h"
#include "json_random.h"
#include "test.h"

static bool same_as(const json_t *j, size_t flags, char *(*ours)(const json_t *, size_t *))
{
    char *want = json_dumps(j, flags);
    size_t len = 0;
    char *got = ours(j, &len);
    bool same = (!want && !got) || (want && got && strcmp(want, got) == 0 && len == strlen(want));
    if (!same)
        fprintf(stderr, "  jansson: %s\n  ours: %s\n", want ? want : "(null)", got ? got : "(null)");
    free(want);
    free(got);
    return same;
}

static bool same_as_jansson(const json_t *j)
{
    return same_as(j, JSON_COMPACT | JSON_ENSURE_ASCII, jsondump) && same_as(j, JSON_COMPACT, jsondump_utf8);
}

TEST(jsondump_matches_jansson_on_random_trees)
{
    for (int i = 0; i < 3000; i++) {
        json_t *root = random_tree();
        CHECK(same_as_jansson(root));
        json_decref(root);
    }
}

TEST(jsondump_every_byte_and_the_edges)
{
    /* every code point below 0x800, NUL included (json_stringn) */
    char s[0x800 * 2];
    size_t n = 0;
    for (unsigned cp = 0; cp < 0x800; cp++) {
        if (cp < 0x80) {
            s[n++] = (char)cp;
        } else {
            s[n++] = (char)(0xc0 | (cp >> 6));
            s[n++] = (char)(0x80 | (cp & 0x3f));
        }
    }
    json_t *j = json_pack("{s:o, s:{}, s:[], s:[[]], s:s}", "all", json_stringn(s, n), "empty", "none", "nested",
                          "\xf0\x9f\x9a\x80", "\xe2\x82\xac/\x7f");
    CHECK(same_as_jansson(j));
    json_decref(j);
    /* not UTF-8: both refuse */
    j = json_pack("{s:o}", "bad", json_stringn_nocheck("a\xff", 2));
    CHECK(same_as_jansson(j) && jsondump(j, NULL) == NULL && jsondump_utf8(j, NULL) == NULL);
    json_decref(j);
    /* a lone value is not a document */
    j = json_string("x");
    CHECK(jsondump(j, NULL) == NULL);
    json_decref(j);
    CHECK(jsondump(NULL, NULL) == NULL);
}

TEST(jsondump_refuses_nesting_past_its_depth)
{
    json_t *root = json_array(), *at = root;
    for (int i = 0; i < JSONDUMP_MAX_DEPTH + 5; i++) {
        json_t *inner = json_array();
        json_array_append_new(at, inner);
        at = inner;
    }
    CHECK(jsondump(root, NULL) == NULL && jsondump_utf8(root, NULL) == NULL);
    json_decref(root);
}
