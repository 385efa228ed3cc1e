/* Unit tests: task ids are 32 lowercase hex characters, the later one
 * sorts after the earlier (they lead with the time in ms), and two made at
 * once still differ (80 random bits). */
#include <stdbool.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/ids.h"
#include "test.h"

static bool all_hex(const char *s)
{
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return false;
    return true;
}

TEST(ids_time_hex_sorts_by_time_and_differs)
{
    char a[33], b[33], c[33];
    CHECK(ids_time_hex(a) == 0);
    CHECK(ids_time_hex(b) == 0);
    usleep(2000);
    CHECK(ids_time_hex(c) == 0);
    CHECK(strlen(a) == 32 && all_hex(a));
    CHECK(strlen(c) == 32 && all_hex(c));
    CHECK(strcmp(a, b) != 0);
    CHECK(strcmp(a, c) < 0);
    CHECK(strcmp(b, c) < 0);
    /* The random tail is not the time: it differs between a and b. */
    CHECK(strcmp(a + 12, b + 12) != 0);
}

TEST(ids_derived_hex_is_sha256_prefix_of_whole_id)
{
    char h[18], g[18];
    /* sha256("abc") = ba7816bf8f01cfea414140de5dae2223... */
    ids_derived_hex("abcdef", 3, h, 17);
    CHECK(strcmp(h, "ba7816bf8f01cfea4") == 0);
    /* Two ids with the same first characters get different names. */
    ids_derived_hex("0193a8b2c4d1aaaa", 16, h, 10);
    ids_derived_hex("0193a8b2c4d1bbbb", 16, g, 10);
    CHECK(strlen(h) == 10 && all_hex(h));
    CHECK(strcmp(h, g) != 0);
}

/* Request ids come from a per-thread pool of random bytes: the format is
 * RFC 4122 version 4, no id repeats across pool refills, and a forked
 * child does not draw its parent's next bytes. */
TEST(ids_uuid_is_v4_unique_and_not_shared_with_a_child)
{
    char seen[200][37];
    for (int i = 0; i < 200; i++) {
        CHECK(ids_uuid(seen[i]) == 0);
        const char *u = seen[i];
        CHECK(strlen(u) == 36 && u[8] == '-' && u[13] == '-' && u[18] == '-' && u[23] == '-');
        CHECK(u[14] == '4' && strchr("89ab", u[19]) != NULL);
        for (int j = 0; j < i; j++)
            CHECK(strcmp(seen[j], u) != 0);
    }
    int fds[2];
    CHECK(pipe(fds) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        char c[37] = {0};
        ids_uuid(c);
        _exit(write(fds[1], c, 37) == 37 ? 0 : 1);
    }
    char child[37] = {0}, parent[37];
    CHECK(read(fds[0], child, 37) == 37);
    CHECK(ids_uuid(parent) == 0);
    CHECK(strcmp(child, parent) != 0);
    close(fds[0]);
    close(fds[1]);
    int status = 0;
    waitpid(pid, &status, 0);
}
