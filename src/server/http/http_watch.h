/* http_watch.h - the request deadline: a connection must deliver a whole
 * request (line, headers and body) within a time of being ready for one,
 * however slowly it drips bytes.  libmicrohttpd's own timeout counts only
 * silence, so a client sending a byte a second would hold its connection
 * and thread for ever; this closes it. */
#pragma once

#include <stdbool.h>

#include "common/error.h"
#include "common/timeutil.h"

struct http_watch;
struct http_watched;

/* Start the watcher thread: a connection that has not delivered a whole
 * request `timeout` after it was accepted (or after its last response) is
 * shut down.  ERR_SYSTEM if the thread cannot start. */
int http_watch_new(usec_t timeout, struct http_watch **ret_watch, struct error *err);
/* Stop the thread and free; every connection must have been removed.
 * Accepts NULL. */
void http_watch_free(struct http_watch *w);

/* A new connection on fd, ready for a request from now; NULL when out of
 * memory (the connection is then not watched). */
struct http_watched *http_watch_add(struct http_watch *w, int fd);
/* The connection is closing: forget it before its fd is closed.  Accepts
 * NULL. */
void http_watch_remove(struct http_watch *w, struct http_watched *c);
/* busy: its request is whole and being answered (a long-poll may take its
 * time); !busy: the answer is sent, the next request's time starts now.
 * Accepts NULL. */
void http_watch_set_busy(struct http_watch *w, struct http_watched *c, bool busy);
/* The connection became a WebSocket (http.c): never cut by the deadline. */
void http_watch_set_upgraded(struct http_watch *w, struct http_watched *c);
