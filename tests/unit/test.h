/* test.h - a minimal unit test harness.  TEST(name) defines and registers a
 * test; CHECK(cond) records a failure and goes on; the runner prints one
 * line per failure and "N passed, N failed" at the end. */
#pragma once

#include <stdio.h>
#include <string.h>

typedef void (*test_fn)(int *failures);
void test_register(const char *name, test_fn fn);

#define TEST(name)                                                                                                     \
    static void test_##name(int *failures_);                                                                           \
    __attribute__((constructor)) static void register_##name(void) { test_register(#name, test_##name); }              \
    static void test_##name(int *failures_)

#define CHECK(cond)                                                                                                    \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            fprintf(stderr, "  %s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);                                 \
            (*failures_)++;                                                                                            \
        }                                                                                                              \
    } while (0)

#define CHECK_STR(a, b)                                                                                                \
    do {                                                                                                               \
        const char *a_ = (a), *b_ = (b);                                                                               \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                                                       \
            fprintf(stderr, "  %s:%d: CHECK_STR failed: \"%s\" != \"%s\"\n", __FILE__, __LINE__, a_ ? a_ : "(null)",   \
                    b_ ? b_ : "(null)");                                                                               \
            (*failures_)++;                                                                                            \
        }                                                                                                              \
    } while (0)
