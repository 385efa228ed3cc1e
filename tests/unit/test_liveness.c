/* Unit tests: a placement snapshot's reading of its instances' agent
 * connections (liveness_connected_many) is reused only while it still
 * holds: until a connected instance runs out, or one is revived. */
#include <stdlib.h>

#include "server/ecs/liveness.h"
#include "test.h"

TEST(liveness_mark_holds_until_an_answer_can_change)
{
    const usec_t T = 30 * USEC_PER_SEC;
    struct liveness *l = NULL;
    CHECK(liveness_new(T, &l) == 0);
    usec_t now = time_now() + 2 * T; /* past the start-up grace */
    liveness_touch(l, 1, now);
    liveness_touch(l, 2, now - T / 2);
    int64_t ids[3] = {1, 2, 3};
    bool c[3];
    struct liveness_mark m = {0};
    CHECK(!liveness_unchanged(l, &m, now)); /* never read */
    liveness_connected_many(l, ids, 3, c, now, &m);
    CHECK(c[0] && c[1] && !c[2]);
    CHECK(liveness_unchanged(l, &m, now + 1));
    /* A connected instance heard from again changes no answer. */
    liveness_touch(l, 1, now + 2);
    CHECK(liveness_unchanged(l, &m, now + 3));
    /* Instance 2 runs out after now + T/2. */
    CHECK(liveness_unchanged(l, &m, now + T / 2));
    CHECK(!liveness_unchanged(l, &m, now + T / 2 + 1));
    CHECK(!liveness_connected(l, 2, now + T / 2 + 1));
    liveness_connected_many(l, ids, 3, c, now + T / 2 + 1, &m);
    CHECK(c[0] && !c[1] && !c[2]);
    /* Instance 3 heard from for the first time: a revival. */
    liveness_touch(l, 3, now + T / 2 + 2);
    CHECK(!liveness_unchanged(l, &m, now + T / 2 + 2));
    liveness_connected_many(l, ids, 3, c, now + T / 2 + 2, &m);
    CHECK(c[0] && !c[1] && c[2]);
    CHECK(liveness_unchanged(l, &m, now + T));
    /* Instance 2 heard from after its timeout ran out: a revival. */
    liveness_touch(l, 2, now + T);
    CHECK(!liveness_unchanged(l, &m, now + T));
    /* A touch never moves an instance's time backwards. */
    liveness_touch(l, 1, now - T);
    CHECK(liveness_connected(l, 1, now + T));
    liveness_free(l);
}

TEST(liveness_contacts_heard_elsewhere_count_but_are_not_shared_again)
{
    const usec_t T = 30 * USEC_PER_SEC;
    struct liveness *l = NULL;
    CHECK(liveness_new(T, &l) == 0);
    usec_t now = time_now() + 2 * T; /* past the start-up grace */
    liveness_touch(l, 1, now - 10);
    liveness_heard_elsewhere(l, 2, now - 5);
    CHECK(liveness_connected(l, 1, now) && liveness_connected(l, 2, now));
    CHECK(!liveness_connected(l, 2, now + T));
    /* Another server's later contact with 1 moves it on, not what this
     * server heard itself. */
    liveness_heard_elsewhere(l, 1, now);
    struct liveness_contact *own = NULL;
    size_t n = liveness_local_since(l, now - 20, &own);
    CHECK(n == 1 && own[0].id == 1 && own[0].seen == now - 10);
    free(own);
    n = liveness_local_since(l, now - 10, &own);
    CHECK(n == 0);
    free(own);
    liveness_free(l);
}
