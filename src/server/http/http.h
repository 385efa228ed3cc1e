/* http.h - the HTTP/1.1 front (libmicrohttpd): keep-alive connections,
 * bounded bodies, `POST /` to the API dispatcher, `GET /healthz` and the
 * web console's files under `GET /console/` (http_console.c). */
#pragma once

#include <stdint.h>

#include "common/error.h"

struct dispatch;
struct http_front;
struct ws_conn;

/* What runs one upgraded WebSocket connection (GET /v1/<path>), in a
 * thread of its own; the connection is closed when it returns. */
typedef void (*http_ws_fn)(void *cls, const char *path, struct ws_conn *c);

struct buf;

/* A GET path served beside the API (e.g. /metrics): fn fills *ret_status,
 * *ret_type (a static string) and out from the Authorization header
 * (NULL when absent).  Runs on the connection's thread. */
typedef void (*http_get_fn)(void *ud, const char *authorization, unsigned *ret_status, const char **ret_type,
                            struct buf *out);
struct http_route {
    const char *path;
    http_get_fn fn;
    void *ud;
};
#define HTTP_MAX_ROUTES 8
/* A route's answer beyond this is a 500. */
#define HTTP_ROUTE_BODY_MAX (64u << 20)

/* How many clients, and for how long (berth server's flags). */
struct http_options {
    unsigned max_connections;        /* open at once, all clients */
    unsigned max_connections_per_ip; /* open at once from one address */
    /* A whole request must arrive within this of the connection's being
     * ready for it (accepted, or its last response sent), and no
     * connection stays silent longer.  Requests being answered (long-polls
     * included) are not timed. */
    unsigned request_timeout_sec;
    /* GET routes besides /healthz, at most HTTP_MAX_ROUTES. */
    struct http_route routes[HTTP_MAX_ROUTES];
    size_t nroutes;
    /* WebSocket upgrades (ECS Exec); NULL: none are served. */
    http_ws_fn ws_handler;
    void *ws_cls;
};

/* Listen on host:port (port 0 picks one) and hand requests to dispatch.
 * *ret_port is the port actually bound.  Raises this process's open-file
 * soft limit to its hard limit, and lowers opts->max_connections (with a
 * warning) when the fds would not cover it. */
int http_start(struct dispatch *dispatch, const char *host, uint16_t port, const struct http_options *opts,
               struct http_front **ret_front, uint16_t *ret_port, struct error *err);
/* Stop accepting, finish in-flight requests, free. Accepts NULL. */
void http_stop(struct http_front *front);
