/* http_accept.h - the listening socket and berth's own accept loop, which
 * hands each connection to libmicrohttpd.  Ours so that running out of
 * file descriptors refuses clients at once and costs neither a spinning
 * core nor a flood of log lines (libmicrohttpd 0.9.75's thread-per-
 * connection mode retries a failing accept() without pause). */
#pragma once

#include <stdint.h>
#include <sys/socket.h>

#include "common/error.h"

struct MHD_Daemon;
struct http_accept;

/* Bind and listen on addr (close-on-exec, address reuse).  *ret_port is
 * the port bound.  ERR_SYSTEM when the address is taken or not local. */
int http_accept_listen(const struct sockaddr *addr, socklen_t addrlen, int *ret_fd, uint16_t *ret_port,
                       struct error *err);
/* Accept on listen_fd (now owned) in a thread of its own and give each
 * connection to daemon, which applies its connection limits. */
int http_accept_start(int listen_fd, struct MHD_Daemon *daemon, struct http_accept **ret_accept, struct error *err);
/* Stop accepting, close the listening socket, free.  Accepts NULL. */
void http_accept_stop(struct http_accept *a);
