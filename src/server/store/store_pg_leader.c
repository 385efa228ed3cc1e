/* store_pg_leader.c - one leader among the servers on a PostgreSQL
 * database (see store_pg_leader.h): a session of its own holds the
 * leader lock, and the epoch it took the lock with fences leader work.
 * The SQL of the lock and the fence is store_pg_schema.c's; transactions
 * are store.c's. */
#include "server/store/store_pg_leader.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

struct pg_leader {
    char *url; /* never logged: it may carry a password */
    pthread_mutex_t lock;
    struct pg_conn *session; /* the one that holds (or tries) the lock */
    bool is_leader;
    int64_t epoch; /* the leader epoch this server leads in, while is_leader */
};

struct pg_leader *pg_leader_new(const char *url)
{
    struct pg_leader *l = calloc(1, sizeof(*l));
    if (!l || !(l->url = strdup(url))) {
        free(l);
        return NULL;
    }
    pthread_mutex_init(&l->lock, NULL);
    return l;
}

void pg_leader_free(struct pg_leader *l)
{
    if (!l)
        return;
    pg_conn_free(l->session);
    pthread_mutex_destroy(&l->lock);
    explicit_bzero(l->url, strlen(l->url));
    free(l->url);
    free(l);
}

/* Drop the leader session (its lock goes with it); under l->lock. */
static void drop(struct pg_leader *l)
{
    pg_conn_free(l->session);
    l->session = NULL;
    if (l->is_leader)
        log_info("store: this server is now the follower");
    l->is_leader = false;
    l->epoch = 0;
}

bool pg_leader_is(struct pg_leader *l)
{
    pthread_mutex_lock(&l->lock);
    if (!l->session && pg_conn_open(l->url, &l->session, NULL) < 0) {
        pg_conn_free(l->session);
        l->session = NULL;
    }
    int64_t epoch = l->session ? pg_leader_check(l->session, l->is_leader ? l->epoch : 0) : 0;
    if (l->session && !pg_conn_ok(l->session))
        epoch = 0; /* the lock went with the session */
    if (!epoch && (l->is_leader || (l->session && !pg_conn_ok(l->session))))
        drop(l);
    if (epoch && !l->is_leader)
        log_info("store: this server is now the leader (epoch %lld)", (long long)epoch);
    l->is_leader = epoch != 0;
    l->epoch = epoch;
    pthread_mutex_unlock(&l->lock);
    return epoch != 0;
}

int pg_leader_fence_tx(struct pg_leader *l, struct pg_conn *c, struct error *err)
{
    pthread_mutex_lock(&l->lock);
    int64_t epoch = l->is_leader ? l->epoch : 0;
    pthread_mutex_unlock(&l->lock);
    if (pg_leader_fence(c, epoch, err) == 0)
        return 0;
    if (err->kind == ERR_CONFLICT) {
        /* Another server leads now, or took the lock and lost it: give the
         * lock up, to lead again only with a new epoch. */
        pthread_mutex_lock(&l->lock);
        if (l->epoch == epoch)
            drop(l);
        pthread_mutex_unlock(&l->lock);
    }
    return -1;
}
