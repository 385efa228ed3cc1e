/* Unit tests: fifo_lock grants the lock in the order it was asked for
 * (fifo_lock_take_next: first), and a thread that keeps giving it back and taking it again passes the
 * first waiter only a bounded number of times. */
#include <pthread.h>
#include <sched.h>

#include "server/store/fifo_lock.h"
#include "test.h"

struct orderly {
    struct fifo_lock *lock;
    int id;
    int *order;
    int *n;
    bool next; /* fifo_lock_take_next */
};

static void *take_and_note(void *arg)
{
    struct orderly *o = arg;
    if (o->next)
        fifo_lock_take_next(o->lock);
    else
        fifo_lock_take(o->lock);
    o->order[(*o->n)++] = o->id; /* under the lock */
    fifo_lock_give(o->lock);
    return NULL;
}

/* Until `want` threads wait (each started only once the one before is
 * queued, so the queue's order is the start order). */
static void wait_for_waiters(struct fifo_lock *l, int want)
{
    while (fifo_lock_waiting(l) < want)
        sched_yield();
}

TEST(fifo_lock_grants_in_the_order_asked)
{
    struct fifo_lock l;
    fifo_lock_init(&l);
    int order[4] = {0}, n = 0;
    struct orderly o[4];
    pthread_t th[4];
    fifo_lock_take(&l);
    /* 1, 2, 3 in turn, then 4 asks for the next turn. */
    for (int i = 0; i < 4; i++) {
        o[i] = (struct orderly){&l, i + 1, order, &n, i == 3};
        CHECK(pthread_create(&th[i], NULL, take_and_note, &o[i]) == 0);
        wait_for_waiters(&l, i + 1);
    }
    fifo_lock_give(&l);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    CHECK(n == 4);
    CHECK(order[0] == 4 && order[1] == 1 && order[2] == 2 && order[3] == 3);
    CHECK(fifo_lock_waiting(&l) == 0);
    fifo_lock_destroy(&l);
}

TEST(fifo_lock_bounds_how_often_a_waiter_is_passed)
{
    struct fifo_lock l;
    fifo_lock_init(&l);
    int order[1] = {0}, n = 0;
    struct orderly o = {&l, 1, order, &n, false};
    pthread_t th;
    fifo_lock_take(&l);
    CHECK(pthread_create(&th, NULL, take_and_note, &o) == 0);
    wait_for_waiters(&l, 1);
    /* Give and take back at once, as a busy writer would: by the third
     * turn the lock must have gone to the waiter. */
    for (int turn = 0; turn < 3; turn++) {
        fifo_lock_give(&l);
        fifo_lock_take(&l);
    }
    int seen = n; /* read under the lock */
    fifo_lock_give(&l);
    pthread_join(th, NULL);
    CHECK(seen == 1);
    fifo_lock_destroy(&l);
}
