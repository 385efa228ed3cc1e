/* http_watch.c - the request deadline (see http_watch.h).  One thread
 * scans the open connections once a second and shuts down the socket of
 * any that is still short of a whole request at its deadline; the
 * connection's own thread then sees the end of its input and closes it.
 *
 * The fd is libmicrohttpd's: it is touched only under the lock, and a
 * connection leaves the list (libmicrohttpd's "closed" notice) before its
 * fd is closed, so a shutdown never reaches a recycled fd. */
#include "server/http/http_watch.h"

#include <stdlib.h>
#include <sys/socket.h>

#include "common/log.h"

struct http_watched {
    struct http_watched *prev, *next;
    int fd;
    bool busy;
    bool cut;
    bool upgraded;      /* a WebSocket now: its own code bounds its reads */
    usec_t ready_since; /* monotonic */
};

struct http_watch {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
    bool stopping;
    usec_t timeout;
    struct http_watched *head;
};

/* Shut down the expired connections; returns how many. */
static unsigned cut_expired(struct http_watch *w, usec_t now)
{
    unsigned n = 0;
    for (struct http_watched *c = w->head; c; c = c->next) {
        if (c->busy || c->cut || now - c->ready_since < w->timeout)
            continue;
        shutdown(c->fd, SHUT_RDWR);
        c->cut = true;
        n++;
    }
    return n;
}

static void *watch_main(void *arg)
{
    struct http_watch *w = arg;
    pthread_mutex_lock(&w->lock);
    while (!w->stopping) {
        time_cond_wait_until(&w->wake, &w->lock, time_monotonic() + USEC_PER_SEC);
        if (w->stopping)
            break;
        unsigned n = cut_expired(w, time_monotonic());
        if (!n)
            continue;
        /* At most one line a second, by construction; written without the
         * lock, so a slow stderr never holds up connections. */
        pthread_mutex_unlock(&w->lock);
        log_info("http: closed %u connection(s) that sent no whole request within %llds", n,
                 (long long)(w->timeout / USEC_PER_SEC));
        pthread_mutex_lock(&w->lock);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

int http_watch_new(usec_t timeout, struct http_watch **ret_watch, struct error *err)
{
    struct http_watch *w = calloc(1, sizeof(*w));
    if (!w)
        return error_set(err, ERR_INTERNAL, "out of memory");
    w->timeout = timeout;
    pthread_mutex_init(&w->lock, NULL);
    time_cond_init_monotonic(&w->wake);
    if (pthread_create(&w->thread, NULL, watch_main, w) != 0) {
        pthread_cond_destroy(&w->wake);
        pthread_mutex_destroy(&w->lock);
        free(w);
        return error_set(err, ERR_SYSTEM, "cannot start the request deadline thread");
    }
    *ret_watch = w;
    return 0;
}

void http_watch_free(struct http_watch *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->stopping = true;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->lock);
    free(w);
}

struct http_watched *http_watch_add(struct http_watch *w, int fd)
{
    struct http_watched *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->fd = fd;
    c->ready_since = time_monotonic();
    pthread_mutex_lock(&w->lock);
    c->next = w->head;
    if (w->head)
        w->head->prev = c;
    w->head = c;
    pthread_mutex_unlock(&w->lock);
    return c;
}

void http_watch_remove(struct http_watch *w, struct http_watched *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&w->lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        w->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    pthread_mutex_unlock(&w->lock);
    free(c);
}

void http_watch_set_busy(struct http_watch *w, struct http_watched *c, bool busy)
{
    if (!c)
        return;
    pthread_mutex_lock(&w->lock);
    c->busy = busy || c->upgraded;
    if (!busy)
        c->ready_since = time_monotonic();
    pthread_mutex_unlock(&w->lock);
}

void http_watch_set_upgraded(struct http_watch *w, struct http_watched *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&w->lock);
    c->upgraded = c->busy = true;
    pthread_mutex_unlock(&w->lock);
}
