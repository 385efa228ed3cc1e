/* http_ws.c - WebSocket upgrades (see http_ws.h).
 *
 * The handshake is checked here (RFC 6455 section 4.2.1: GET, Upgrade:
 * websocket, Connection: upgrade, version 13, a key); what the connection
 * carries is the handler's.  Upgraded sockets are tracked so that stopping
 * the server shuts them down and waits for their threads rather than
 * leaving libmicrohttpd with connections it cannot close. */
#include "server/http/http_ws.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "common/limits.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "common/ws.h"

#define WS_THREAD_STACK (512u * 1024)
#define WS_LINGER_MSEC 2000

struct ws_active {
    struct ws_active *prev, *next;
    struct http_ws *ws;
    int fd;
    char path[512];
    struct MHD_UpgradeResponseHandle *urh;
    unsigned char extra[1024];
    size_t nextra;
};

struct http_ws {
    http_ws_fn handler;
    void *cls;
    pthread_mutex_t lock;
    pthread_cond_t idle;
    struct ws_active *head;
    bool stopping;
};

int http_ws_new(http_ws_fn handler, void *cls, struct http_ws **ret, struct error *err)
{
    struct http_ws *ws = calloc(1, sizeof(*ws));
    if (!ws)
        return error_set(err, ERR_INTERNAL, "out of memory");
    ws->handler = handler;
    ws->cls = cls;
    pthread_mutex_init(&ws->lock, NULL);
    pthread_cond_init(&ws->idle, NULL);
    *ret = ws;
    return 0;
}

void http_ws_free(struct http_ws *ws)
{
    if (!ws)
        return;
    pthread_mutex_lock(&ws->lock);
    ws->stopping = true;
    for (struct ws_active *a = ws->head; a; a = a->next)
        shutdown(a->fd, SHUT_RDWR);
    while (ws->head)
        pthread_cond_wait(&ws->idle, &ws->lock);
    pthread_mutex_unlock(&ws->lock);
    pthread_cond_destroy(&ws->idle);
    pthread_mutex_destroy(&ws->lock);
    free(ws);
}

bool http_ws_path(const char *method, const char *url)
{
    return strcmp(method, "GET") == 0 && strncmp(url, "/v1/", 4) == 0;
}

/* Close gracefully: closing a socket with unread input sends a reset,
 * which throws away what is still queued to the peer (the exit status an
 * exec session writes last: CI saw "Connection reset by peer" instead of
 * it).  So send FIN after the queued bytes, and read and drop what the
 * peer still sends until it closes too, for at most WS_LINGER_MSEC. */
static void linger_close(int fd)
{
    if (shutdown(fd, SHUT_WR) < 0)
        return;
    usec_t deadline = time_monotonic() + WS_LINGER_MSEC * USEC_PER_MSEC;
    char buf[4096];
    for (;;) {
        usec_t now = time_monotonic();
        if (now >= deadline)
            return;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, (int)((deadline - now + USEC_PER_MSEC - 1) / USEC_PER_MSEC)) <= 0)
            return;
        if (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0)
            return;
    }
}

static void *ws_thread(void *arg)
{
    struct ws_active *a = arg;
    struct http_ws *ws = a->ws;
    /* The handler reads and writes blocking, bounded by these timeouts
     * (it polls before reading what may not come). */
    int fl = fcntl(a->fd, F_GETFL);
    if (fl >= 0)
        fcntl(a->fd, F_SETFL, fl & ~O_NONBLOCK);
    struct timeval tv = {.tv_sec = LIMIT_WS_IO_TIMEOUT_SEC};
    setsockopt(a->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(a->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    struct ws_conn c;
    ws_conn_init(&c, a->fd, false);
    struct error err;
    if (ws_conn_prefill(&c, a->extra, a->nextra, &err) == 0)
        ws->handler(ws->cls, a->path, &c);
    linger_close(a->fd);
    MHD_upgrade_action(a->urh, MHD_UPGRADE_ACTION_CLOSE);
    pthread_mutex_lock(&ws->lock);
    if (a->prev)
        a->prev->next = a->next;
    else
        ws->head = a->next;
    if (a->next)
        a->next->prev = a->prev;
    pthread_cond_broadcast(&ws->idle);
    pthread_mutex_unlock(&ws->lock);
    free(a);
    return NULL;
}

static void on_upgrade(void *cls, struct MHD_Connection *connection, void *req_cls, const char *extra_in,
                       size_t extra_in_size, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
    struct ws_active *a = cls;
    struct http_ws *ws = a->ws;
    a->fd = sock;
    a->urh = urh;
    if (extra_in_size > sizeof(a->extra)) {
        MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
        free(a);
        return;
    }
    memcpy(a->extra, extra_in, extra_in_size);
    a->nextra = extra_in_size;
    pthread_mutex_lock(&ws->lock);
    if (ws->stopping) {
        pthread_mutex_unlock(&ws->lock);
        MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
        free(a);
        return;
    }
    a->next = ws->head;
    if (ws->head)
        ws->head->prev = a;
    ws->head = a;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, WS_THREAD_STACK);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t t;
    int r = pthread_create(&t, &attr, ws_thread, a);
    pthread_attr_destroy(&attr);
    if (r != 0) {
        ws->head = a->next;
        if (a->next)
            a->next->prev = NULL;
        pthread_mutex_unlock(&ws->lock);
        log_warn("http: cannot start a websocket thread");
        MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
        free(a);
        return;
    }
    pthread_mutex_unlock(&ws->lock);
}

static bool has_token(const char *value, const char *token)
{
    /* A comma-separated list ("keep-alive, Upgrade"). */
    size_t tl = strlen(token);
    for (const char *p = value; p && *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t n = strcspn(p, ", ");
        if (n == tl && strncasecmp(p, token, tl) == 0)
            return true;
        p += n;
    }
    return false;
}

static enum MHD_Result refuse(struct MHD_Connection *conn, unsigned status, const char *msg)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(msg), (void *)msg, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "text/plain");
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

enum MHD_Result http_ws_upgrade(struct http_ws *ws, struct MHD_Connection *conn, const char *url, bool *ret_upgrading)
{
    *ret_upgrading = false;
    if (!ws)
        return refuse(conn, MHD_HTTP_NOT_FOUND, "no WebSocket endpoints here\n");
    const char *upgrade = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Upgrade");
    const char *connection = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Connection");
    const char *version = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Sec-WebSocket-Version");
    const char *key = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Sec-WebSocket-Key");
    if (!upgrade || !has_token(upgrade, "websocket") || !connection || !has_token(connection, "upgrade") || !version ||
        strcmp(version, "13") != 0 || !key || strlen(key) < 16 || strlen(key) > 64)
        return refuse(conn, MHD_HTTP_BAD_REQUEST, "expected a WebSocket handshake (RFC 6455, version 13)\n");
    if (strlen(url) >= sizeof(((struct ws_active *)0)->path))
        return refuse(conn, MHD_HTTP_NOT_FOUND, "no such WebSocket endpoint\n");
    char accept[64];
    struct error err;
    if (ws_accept_key(key, accept, &err) < 0)
        return refuse(conn, MHD_HTTP_BAD_REQUEST, "bad Sec-WebSocket-Key\n");
    struct ws_active *a = calloc(1, sizeof(*a));
    if (!a)
        return MHD_NO;
    a->ws = ws;
    a->fd = -1;
    snprintf(a->path, sizeof(a->path), "%s", url);
    struct MHD_Response *r = MHD_create_response_for_upgrade(on_upgrade, a);
    if (!r) {
        free(a);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Upgrade", "websocket");
    MHD_add_response_header(r, "Sec-WebSocket-Accept", accept);
    enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_SWITCHING_PROTOCOLS, r);
    MHD_destroy_response(r);
    if (ret != MHD_YES)
        free(a);
    *ret_upgrading = ret == MHD_YES;
    return ret;
}
