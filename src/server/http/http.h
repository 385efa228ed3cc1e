/* http.h - the HTTP/1.1 front (libmicrohttpd): keep-alive connections,
 * bounded bodies, `POST /` to the API dispatcher, `GET /healthz` and the
 * web console's files under `GET /console/` (http_console.c). */
#pragma once

#include <stdint.h>

#include "common/error.h"

struct dispatch;
struct http_front;

/* How many clients, and for how long (berth server's flags). */
struct http_options {
    unsigned max_connections;        /* open at once, all clients */
    unsigned max_connections_per_ip; /* open at once from one address */
    /* A whole request must arrive within this of the connection's being
     * ready for it (accepted, or its last response sent), and no
     * connection stays silent longer.  Requests being answered (long-polls
     * included) are not timed. */
    unsigned request_timeout_sec;
};

/* Listen on host:port (port 0 picks one) and hand requests to dispatch.
 * *ret_port is the port actually bound.  Raises this process's open-file
 * soft limit to its hard limit, and lowers opts->max_connections (with a
 * warning) when the fds would not cover it. */
int http_start(struct dispatch *dispatch, const char *host, uint16_t port, const struct http_options *opts,
               struct http_front **ret_front, uint16_t *ret_port, struct error *err);
/* Stop accepting, finish in-flight requests, free. Accepts NULL. */
void http_stop(struct http_front *front);
