/* Unit tests: the growable buffer keeps its limit, its NUL and its failure,
 * and array_reserve grows arrays without overflow. */
#include <stdint.h>
#include <stdlib.h>

#include "common/buf.h"
#include "test.h"

TEST(buf_appends_and_stays_terminated)
{
    _cleanup_buf_ struct buf b;
    buf_init(&b, 1 << 20);
    CHECK(buf_append_str(&b, "hello") == 0);
    CHECK(buf_append_char(&b, ' ') == 0);
    CHECK(buf_printf(&b, "%d-%s", 42, "x") == 0);
    CHECK_STR(b.data, "hello 42-x");
    CHECK(b.len == 10);
    for (int i = 0; i < 1000; i++)
        CHECK(buf_append(&b, "0123456789", 10) == 0);
    CHECK(b.len == 10010 && b.data[b.len] == '\0');
    buf_reset(&b);
    CHECK(b.len == 0 && b.data[0] == '\0');
}

TEST(buf_limit_is_sticky)
{
    _cleanup_buf_ struct buf b;
    buf_init(&b, 8);
    CHECK(buf_append(&b, "12345678", 8) == 0);
    CHECK(buf_append_char(&b, '9') < 0);
    CHECK(b.failed && b.too_large);
    CHECK(buf_append(&b, "", 0) < 0); /* sticky, even for nothing */
    CHECK_STR(b.data, "12345678");
    CHECK(buf_steal(&b, NULL) == NULL);
}

TEST(buf_steal_hands_over)
{
    struct buf b;
    buf_init(&b, 100);
    size_t n = 99;
    char *empty = buf_steal(&b, &n);
    CHECK(empty && n == 0 && empty[0] == '\0');
    free(empty);
    buf_append_str(&b, "abc");
    char *s = buf_steal(&b, &n);
    CHECK_STR(s, "abc");
    CHECK(n == 3 && b.data == NULL && b.len == 0 && b.limit == 100);
    free(s);
    buf_free(&b);
}

TEST(array_reserve_grows_and_refuses_overflow)
{
    int *a = NULL;
    size_t cap = 0;
    for (size_t i = 0; i < 100; i++) {
        CHECK(array_reserve(&a, &cap, i + 1, sizeof(*a)) == 0);
        a[i] = (int)i;
    }
    CHECK(cap >= 100 && a[99] == 99);
    CHECK(array_reserve(&a, &cap, SIZE_MAX / 2, sizeof(*a)) < 0);
    CHECK(a[99] == 99); /* unchanged on failure */
    free(a);
}
