/* http.h - the HTTP/1.1 front (libmicrohttpd): keep-alive connections,
 * bounded bodies, `POST /` to the API dispatcher and `GET /healthz`. */
#pragma once

#include <stdint.h>

#include "common/error.h"

struct dispatch;
struct http_front;

/* Listen on host:port (port 0 picks one) and hand requests to dispatch.  *ret_port is the
 * port actually bound. */
int http_start(struct dispatch *dispatch, const char *host, uint16_t port, struct http_front **ret_front,
               uint16_t *ret_port, struct error *err);
/* Stop accepting, finish in-flight requests, free. Accepts NULL. */
void http_stop(struct http_front *front);
