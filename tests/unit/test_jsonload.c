/* Unit tests: jsonload reads what jansson's json_loads(text, 0) reads into
 * the same tree (members in the same order), and refuses what it refuses:
 * random trees written three ways, then the same texts cut short and with
 * bytes changed, and a list of known bad texts. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "server/store/jsonload.h"
#include "json_random.h"
#include "test.h"

/* Both readers on text: both refuse it, or both read the same tree. */
static bool reads_as_jansson(const char *text, size_t len)
{
    char *copy = strndup(text, len); /* json_loads reads up to a NUL */
    json_error_t jerr;
    json_t *want = json_loads(copy, 0, &jerr);
    json_t *got = jsonload(copy, strlen(copy), NULL);
    bool same = !want && !got;
    if (want && got) {
        char *a = json_dumps(want, JSON_COMPACT | JSON_ENSURE_ASCII);
        char *b = json_dumps(got, JSON_COMPACT | JSON_ENSURE_ASCII);
        same = a && b && strcmp(a, b) == 0 && json_equal(want, got);
        free(a);
        free(b);
    }
    if (!same)
        fprintf(stderr, "  text: %s\n  jansson: %s, jsonload: %s\n", copy, want ? "read" : jerr.text,
                got ? "read" : "refused");
    json_decref(want);
    json_decref(got);
    free(copy);
    return same;
}

TEST(jsonload_reads_random_trees_as_jansson)
{
    static const size_t flags[] = {JSON_COMPACT | JSON_ENSURE_ASCII, JSON_COMPACT, JSON_INDENT(2)};
    for (int i = 0; i < 2000; i++) {
        json_t *root = random_tree();
        char *text = json_dumps(root, flags[i % 3]);
        CHECK(text && reads_as_jansson(text, strlen(text)));
        json_decref(root);
        free(text);
    }
}

TEST(jsonload_refuses_broken_text_as_jansson)
{
    for (int i = 0; i < 4000; i++) {
        json_t *root = random_tree();
        char *text = json_dumps(root, i % 2 ? JSON_COMPACT : JSON_COMPACT | JSON_ENSURE_ASCII);
        json_decref(root);
        size_t len = strlen(text);
        if (len > 2) {
            if (i % 3 == 0)
                len = 1 + next() % (len - 1); /* cut short */
            else
                for (int k = 0; k < 1 + i % 3; k++) /* a byte or two changed */
                    text[next() % len] = (char)(1 + next() % 255);
        }
        CHECK(reads_as_jansson(text, len));
        free(text);
    }
    static const char *bad[] = {
        "",
        " ",
        "1",
        "\"x\"",
        "[1,]",
        "{\"a\":1,}",
        "[01]",
        "[1.]",
        "[.5]",
        "[1e]",
        "[-]",
        "[\"\\u0000\"]",
        "{\"\\u0000\":1}",
        "[\"\\ud800\"]",
        "[\"\\udc00x\"]",
        "[\"\x01\"]",
        "[\"\xc0\x80\"]",
        "[\"\xed\xa0\x80\"]",
        "[\"\xf4\x90\x80\x80\"]",
        "[tru]",
        "[nul]",
        "[1] [2]",
        "[1e400]",
        "[-1e400]",
        "[9223372036854775808]",
        "[-9223372036854775809]",
        "{\"a\" 1}",
        "{1:2}",
        "[\"a\\x\"]",
        "[1e-400]",
        "[-0]",
        "[\x7f]",
        "[\"\x7f\"]",
        "{\"a\":1,\"a\":2}",
        " [ 1 , { \"b\" : [ ] } ] ",
        "[9223372036854775807]",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        CHECK(reads_as_jansson(bad[i], strlen(bad[i])));
}

TEST(jsonload_nesting_up_to_janssons_depth)
{
    for (int depth = JSONLOAD_MAX_DEPTH - 1; depth <= JSONLOAD_MAX_DEPTH + 1; depth++) {
        char *text = malloc((size_t)depth * 2 + 1);
        memset(text, '[', (size_t)depth);
        memset(text + depth, ']', (size_t)depth);
        text[depth * 2] = '\0';
        CHECK(reads_as_jansson(text, strlen(text)));
        json_t *j = jsonload(text, strlen(text), NULL);
        CHECK((j != NULL) == (depth <= JSONLOAD_MAX_DEPTH));
        json_decref(j);
        free(text);
    }
}
