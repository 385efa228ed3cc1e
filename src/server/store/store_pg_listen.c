/* store_pg_listen.c - other servers' commits, heard through PostgreSQL's
 * LISTEN/NOTIFY (see store_watch_start in store.h).
 *
 * Every write transaction on a PostgreSQL store sends NOTIFY on
 * PG_CHANGES_CHANNEL with its COMMIT (store.c); PostgreSQL delivers it
 * once the transaction has committed, to every session listening, ours
 * included.  This file keeps one such session on a thread of its own and
 * calls back for each batch of notifications.  It knows nothing of what
 * the callback wakes. */
#include "server/store/store_pg_listen.h"

#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/timeutil.h"
#include "server/store/store_pg.h"

/* How long the thread waits on the socket before it checks whether it is
 * to stop, and between attempts to reconnect. */
#define LISTEN_POLL_MS 200
#define LISTEN_RECONNECT (1 * USEC_PER_SEC)

struct pg_listener {
    char *url; /* never logged: it may carry a password */
    void (*fn)(void *ud);
    void *ud;
    pthread_t thread;
    volatile bool stop;
};

static PGconn *listen_open(struct pg_listener *l)
{
    const char *keys[PG_CONNECT_PARAMS], *values[PG_CONNECT_PARAMS];
    pg_connect_params(l->url, keys, values);
    PGconn *c = PQconnectdbParams(keys, values, 1);
    if (!c || PQstatus(c) != CONNECTION_OK) {
        PQfinish(c);
        return NULL;
    }
    PGresult *res = PQexec(c, PG_SESSION_KEEPALIVES "; LISTEN " PG_CHANGES_CHANNEL);
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    if (!ok) {
        PQfinish(c);
        return NULL;
    }
    return c;
}

/* Wait for notifications on c until it fails or the listener stops;
 * false when c failed. */
static bool listen_on(struct pg_listener *l, PGconn *c)
{
    while (!l->stop) {
        struct pollfd p = {.fd = PQsocket(c), .events = POLLIN};
        if (p.fd < 0)
            return false;
        int n = poll(&p, 1, LISTEN_POLL_MS);
        if (n == 0)
            continue;
        if (n < 0 || !PQconsumeInput(c))
            return n < 0;
        bool any = false;
        PGnotify *note;
        while ((note = PQnotifies(c)) != NULL) {
            any = true;
            PQfreemem(note);
        }
        if (any)
            l->fn(l->ud);
    }
    return true;
}

static void *listen_loop(void *arg)
{
    struct pg_listener *l = arg;
    bool was_down = false;
    while (!l->stop) {
        PGconn *c = listen_open(l);
        if (!c) {
            if (!was_down)
                log_warn("store: cannot listen for other servers' changes; retrying");
            was_down = true;
            usec_t until = time_monotonic() + LISTEN_RECONNECT;
            while (!l->stop && time_monotonic() < until)
                poll(NULL, 0, LISTEN_POLL_MS);
            continue;
        }
        if (was_down)
            log_info("store: listening for other servers' changes again");
        was_down = false;
        /* What was committed while no session listened is heard of now. */
        l->fn(l->ud);
        if (!listen_on(l, c) && !l->stop)
            log_warn("store: the session listening for other servers' changes ended; reconnecting");
        PQfinish(c);
    }
    return NULL;
}

int pg_listener_start(const char *url, void (*fn)(void *ud), void *ud, struct pg_listener **ret, struct error *err)
{
    struct pg_listener *l = calloc(1, sizeof(*l));
    if (!l || !(l->url = strdup(url))) {
        free(l);
        return error_set(err, ERR_INTERNAL, "out of memory");
    }
    l->fn = fn;
    l->ud = ud;
    if (pthread_create(&l->thread, NULL, listen_loop, l) != 0) {
        free(l->url);
        free(l);
        return error_set(err, ERR_SYSTEM, "cannot start the store's listening thread");
    }
    *ret = l;
    return 0;
}

void pg_listener_stop(struct pg_listener *l)
{
    if (!l)
        return;
    l->stop = true;
    pthread_join(l->thread, NULL);
    explicit_bzero(l->url, strlen(l->url));
    free(l->url);
    free(l);
}
