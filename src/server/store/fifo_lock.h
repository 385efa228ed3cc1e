/* fifo_lock.h - a mutual exclusion lock granted in the order it was asked
 * for, nearly.  A glibc mutex lets a thread that arrives as the lock is
 * given back take it before the waiter woken for it, which then sleeps
 * again behind every other waiter: under sixteen clients' writes some
 * requests lost that race turn after turn (RunTask's p99 ~2x its
 * median).  Here waiters keep their place: a thread already running may
 * still take a free lock ahead of the first waiter (no wait for that one
 * to be scheduled), but only FIFO_MAX_BYPASS times while it is first;
 * then the holder hands the lock to it directly. */
#pragma once

#include <pthread.h>
#include <stdbool.h>

struct fifo_waiter;

struct fifo_lock {
    pthread_mutex_t mutex; /* guards the fields below only */
    bool held;
    struct fifo_waiter *head, *tail;
};

void fifo_lock_init(struct fifo_lock *l);
void fifo_lock_destroy(struct fifo_lock *l);
void fifo_lock_take(struct fifo_lock *l);
/* Take it ahead of every waiter (the next turn), for a short job that
 * grows costlier the longer it waits. */
void fifo_lock_take_next(struct fifo_lock *l);
void fifo_lock_give(struct fifo_lock *l);
/* How many threads wait for the lock (for tests). */
int fifo_lock_waiting(struct fifo_lock *l);
