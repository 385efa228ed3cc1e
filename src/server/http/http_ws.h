/* http_ws.h - WebSocket upgrades on the listener (GET /v1/... with
 * Upgrade: websocket): libmicrohttpd's upgrade support hands over the
 * socket, and each upgraded connection gets a thread of its own that runs
 * the handler the server registered (ECS Exec's relay).  Internal to
 * http/. */
#pragma once

#include <microhttpd.h>
#include <stdbool.h>

#include "server/http/http.h"

struct http_ws;

int http_ws_new(http_ws_fn handler, void *cls, struct http_ws **ret, struct error *err);
/* Close every upgraded connection (their handlers see end of stream),
 * wait for their threads, free.  Accepts NULL. */
void http_ws_free(struct http_ws *ws);
/* Whether url names the WebSocket space (GET /v1/...). */
bool http_ws_path(const char *method, const char *url);
/* Answer the upgrade request: 101 and the handler's thread
 * (*ret_upgrading true), or 400/404 when it is not a usable WebSocket
 * handshake. */
enum MHD_Result http_ws_upgrade(struct http_ws *ws, struct MHD_Connection *conn, const char *url, bool *ret_upgrading);
