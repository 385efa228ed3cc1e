/* http.c - libmicrohttpd glue.  One thread per connection, so a long-poll
 * blocks only its own connection; the threads are bounded (connections in
 * all and per client address) and have small stacks.  Bodies are read into
 * a buffer capped at LIMIT_HTTP_BODY; a larger body is answered with an
 * error as soon as it is known to be too large, without reading the rest.
 * Framing a reader could take two ways (two Content-Lengths, a
 * Content-Length beside a Transfer-Encoding, a coding other than chunked)
 * is refused at once.  A slow client is cut off by http_watch.c.  GET
 * /console/... is the web console's static files (http_console.c). */
#include "server/http/http.h"

#include <microhttpd.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/http/api.h"
#include "server/http/http_limits.h"
#include "common/log.h"
#include "common/buf.h"
#include "common/sigv4.h"
#include "server/http/http_accept.h"
#include "server/http/http_console.h"
#include "server/http/http_watch.h"
#include "server/http/http_ws.h"
#include "server/store/store.h"

struct http_front {
    struct MHD_Daemon *daemon;
    struct dispatch *dispatch;
    struct http_watch *watch;
    struct http_accept *accept;
    struct http_ws *ws;           /* WebSocket upgrades; NULL: none served */
    struct log_ratelimit mhd_log; /* libmicrohttpd's complaints, e.g. accept() at EMFILE */
    struct http_route routes[HTTP_MAX_ROUTES];
    size_t nroutes;
};

struct conn_state {
    struct buf body;         /* up to LIMIT_HTTP_BODY */
    unsigned long long seen; /* body bytes received, kept or not */
    bool too_large;
    bool answered;
    bool framing_refused; /* answered 400 at the headers: nothing more is read */
};

static struct http_watched *watched_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

/* The answer; `owned`: body is malloc'd and handed over (an API answer
 * may be a few hundred KB, not worth copying), else it is copied. */
static enum MHD_Result send_answer(struct MHD_Connection *conn, unsigned status, const char *type, char *body,
                                   size_t len, const char *request_id, bool owned)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, body, owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_MUST_COPY);
    if (!r) {
        if (owned)
            free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", type);
    /* Smithy RPC v2 CBOR replies say so (cbor_protocol.c). */
    if (strcmp(type, "application/cbor") == 0)
        MHD_add_response_header(r, "smithy-protocol", "rpc-v2-cbor");
    if (request_id)
        MHD_add_response_header(r, "x-amzn-RequestId", request_id);
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_text(struct MHD_Connection *conn, unsigned status, const char *type, const char *body,
                                 size_t len, const char *request_id)
{
    return send_answer(conn, status, type, (char *)body, len, request_id, false);
}

static const char *header_of(void *conn, const char *lname)
{
    return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, lname);
}

static enum MHD_Result add_query_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    struct buf *q = cls;
    if (q->len)
        buf_append_char(q, '&');
    sigv4_uri_encode(q, key, strlen(key), false);
    buf_append_char(q, '=');
    if (value)
        sigv4_uri_encode(q, value, strlen(value), false);
    return MHD_YES;
}

static enum MHD_Result serve_api(struct http_front *f, struct MHD_Connection *conn, struct conn_state *st,
                                 const char *method, const char *url)
{
    /* The query as a signer saw it: libmicrohttpd decodes the arguments,
     * so they are encoded again the one way SigV4 does. */
    _cleanup_buf_ struct buf query;
    buf_init(&query, LIMIT_HEADER_VALUE);
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_query_arg, &query);
    struct api_request req = {
        .method = method,
        .path = url,
        .query = query.failed ? NULL : query.data,
        .header = header_of,
        .cookie = conn,
        .target = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Amz-Target"),
        .authorization = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization"),
        .body = st->body.data,
        .body_len = st->body.len,
        .body_too_large = st->too_large,
    };
    struct api_response resp;
    http_watch_set_busy(f->watch, watched_of(conn), true);
    api_handle(f->dispatch, &req, &resp);
    const char *type = resp.content_type ? resp.content_type : "application/x-amz-json-1.1";
    if (!resp.body)
        return send_text(conn, (unsigned)resp.status, type, "", 0, resp.request_id);
    return send_answer(conn, (unsigned)resp.status, type, resp.body, resp.body_len, resp.request_id, true);
}

/* The declared Content-Length, or 0 when absent (chunked). */
static unsigned long long content_length(struct MHD_Connection *conn)
{
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    if (!cl)
        return 0;
    char *end = NULL;
    unsigned long long n = strtoull(cl, &end, 10);
    return end == cl || *end != '\0' ? ~0ULL : n;
}

struct framing {
    unsigned content_lengths, transfer_encodings;
    const char *transfer_encoding;
};

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    struct framing *fr = cls;
    if (strcasecmp(key, "Content-Length") == 0)
        fr->content_lengths++;
    else if (strcasecmp(key, "Transfer-Encoding") == 0) {
        fr->transfer_encodings++;
        fr->transfer_encoding = value;
    }
    return MHD_YES;
}

/* Why the request's body has no one reading (libmicrohttpd would take the
 * first Content-Length, or chunked over Content-Length, or read a coding
 * it does not know until the client hangs up), or NULL. */
static const char *framing_problem(struct MHD_Connection *conn)
{
    struct framing fr = {0};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, count_framing, &fr);
    if (fr.content_lengths > 1)
        return "more than one Content-Length header";
    if (fr.transfer_encodings > 1)
        return "more than one Transfer-Encoding header";
    if (fr.transfer_encodings && fr.content_lengths)
        return "both Content-Length and Transfer-Encoding";
    if (fr.transfer_encodings && strcasecmp(fr.transfer_encoding, "chunked") != 0)
        return "a Transfer-Encoding other than chunked";
    return NULL;
}

/* 400 and close: the rest of the stream cannot be told apart from the
 * body, so nothing more is read from it. */
static enum MHD_Result refuse_framing(struct MHD_Connection *conn, const char *why, void **con_cls)
{
    struct conn_state *st = calloc(1, sizeof(*st));
    if (!st)
        return MHD_NO;
    buf_init(&st->body, 0);
    st->too_large = st->answered = st->framing_refused = true;
    *con_cls = st;
    char msg[256];
    int n = snprintf(msg, sizeof(msg),
                     "{\"__type\":\"SerializationException\",\"message\":\"Ambiguous request framing: %s\"}", why);
    struct MHD_Response *r = MHD_create_response_from_buffer((size_t)n, msg, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "application/x-amz-json-1.1");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_BAD_REQUEST, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result serve_route(struct MHD_Connection *conn, const struct http_route *route)
{
    unsigned status = 500;
    const char *type = "text/plain";
    struct buf out;
    buf_init(&out, HTTP_ROUTE_BODY_MAX);
    route->fn(route->ud, header_of(conn, "authorization"), &status, &type, &out);
    enum MHD_Result r = out.failed ? send_text(conn, 500, "text/plain", "out of memory\n", 14, NULL)
                                   : send_text(conn, status, type, out.data ? out.data : "", out.len, NULL);
    buf_free(&out);
    return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct http_front *f = cls;
    struct conn_state *st = *con_cls;

    if (!st) {
        const char *bad = framing_problem(conn);
        if (bad)
            return refuse_framing(conn, bad, con_cls);
    } else if (st->framing_refused) {
        *upload_data_size = 0; /* whatever still comes is dropped */
        return MHD_YES;
    }
    if (strcmp(method, "GET") == 0 && strcmp(url, "/healthz") == 0) {
        /* "ok" and this server's role: the leader runs the once-only work. */
        bool leader = !f->dispatch || store_is_leader(dispatch_store(f->dispatch));
        return leader ? send_text(conn, MHD_HTTP_OK, "text/plain", "ok leader\n", 10, NULL)
                      : send_text(conn, MHD_HTTP_OK, "text/plain", "ok follower\n", 12, NULL);
    }
    for (size_t i = 0; strcmp(method, "GET") == 0 && i < f->nroutes; i++)
        if (strcmp(url, f->routes[i].path) == 0)
            return serve_route(conn, &f->routes[i]);
    if (!st && http_ws_path(method, url)) {
        bool upgrading = false;
        enum MHD_Result r = http_ws_upgrade(f->ws, conn, url, &upgrading);
        if (upgrading)
            http_watch_set_upgraded(f->watch, watched_of(conn));
        return r;
    }
    if (http_console_path(url))
        return http_console_serve(conn, method, url);
    /* POST / (JSON, query), or POST /service/S/operation/O (RPC v2 CBOR). */
    if (strcmp(method, "POST") != 0 || (strcmp(url, "/") != 0 && strncmp(url, "/service/", 9) != 0)) {
        static const char msg[] = "{\"__type\":\"UnknownOperationException\",\"message\":\"Only POST / is served\"}";
        return send_text(conn, strcmp(method, "POST") == 0 ? 404 : 405, "application/x-amz-json-1.1", msg,
                         sizeof(msg) - 1, NULL);
    }

    if (!st) {
        st = calloc(1, sizeof(*st));
        if (!st)
            return MHD_NO;
        *con_cls = st;
        buf_init(&st->body, LIMIT_HTTP_BODY);
        unsigned long long declared = content_length(conn);
        if (declared > LIMIT_HTTP_BODY) {
            st->too_large = true;
            /* Far too large: answer now and let MHD close the connection.
             * Moderately too large: read and drop the rest, then answer, so
             * the client sees the error rather than a broken pipe. */
            if (declared > LIMIT_HTTP_DISCARD) {
                st->answered = true;
                return serve_api(f, conn, st, method, url);
            }
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        st->seen += n;
        if (!st->too_large) {
            if (buf_append(&st->body, upload_data, n) == 0)
                return MHD_YES;
            if (!st->body.too_large)
                return MHD_NO; /* out of memory */
            st->too_large = true;
            buf_free(&st->body);
        }
        if (st->seen > LIMIT_HTTP_DISCARD && !st->answered) {
            st->answered = true;
            return serve_api(f, conn, st, method, url);
        }
        return MHD_YES;
    }
    if (st->answered)
        return MHD_YES;
    st->answered = true;
    return serve_api(f, conn, st, method, url);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    struct http_front *f = cls;
    http_watch_set_busy(f->watch, watched_of(conn), false);
    struct conn_state *st = *con_cls;
    if (st) {
        buf_free(&st->body);
        free(st);
        *con_cls = NULL;
    }
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct http_front *f = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        *socket_context = ci ? http_watch_add(f->watch, ci->connect_fd) : NULL;
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        /* Before libmicrohttpd closes the fd. */
        http_watch_remove(f->watch, *socket_context);
        *socket_context = NULL;
    }
}

/* libmicrohttpd logs each connection it cannot take (over a limit, or
 * accept() failing when the fds run out): one line a second at most, with
 * the count of those held back. */
static void on_mhd_error(void *cls, const char *fmt, va_list ap)
{
    struct http_front *f = cls;
    unsigned long held_back = 0;
    if (!log_ratelimit_pass(&f->mhd_log, USEC_PER_SEC, &held_back))
        return;
    char buf[512];
    vsnprintf(buf, sizeof(buf), fmt, ap);
    size_t n = strlen(buf);
    if (n && buf[n - 1] == '\n')
        buf[n - 1] = '\0';
    if (held_back)
        log_warn("http: %s (%lu more held back)", buf, held_back);
    else
        log_warn("http: %s", buf);
}

/* The connection cap the process's fds allow: the soft limit raised to the
 * hard one, less a reserve for the store and the rest. */
static unsigned fit_fd_limit(unsigned wanted)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return wanted;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
            getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= (rlim_t)wanted + LIMIT_HTTP_FD_RESERVE)
        return wanted;
    unsigned fit = rl.rlim_cur > 2 * LIMIT_HTTP_FD_RESERVE ? (unsigned)(rl.rlim_cur - LIMIT_HTTP_FD_RESERVE)
                                                           : (unsigned)(rl.rlim_cur / 2);
    log_warn("http: open files limited to %llu; taking at most %u connections, not %u", (unsigned long long)rl.rlim_cur,
             fit, wanted);
    return fit ? fit : 1;
}

static struct MHD_Daemon *start_daemon(struct http_front *f, bool ipv6, const struct http_options *opts)
{
    unsigned max_conns = fit_fd_limit(opts->max_connections);
    /* berth accepts (http_accept.c); MHD_USE_ITC wakes the daemon for each
     * connection it is given. */
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
                     MHD_USE_POLL | MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ITC | MHD_ALLOW_UPGRADE;
    if (ipv6)
        flags |= MHD_USE_IPv6;
    return MHD_start_daemon(flags, 0, NULL, NULL, on_request, f, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_error, f,
                            MHD_OPTION_CONNECTION_LIMIT, max_conns, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                            opts->max_connections_per_ip, MHD_OPTION_CONNECTION_TIMEOUT, opts->request_timeout_sec,
                            MHD_OPTION_THREAD_STACK_SIZE, (size_t)LIMIT_HTTP_THREAD_STACK, MHD_OPTION_NOTIFY_COMPLETED,
                            on_completed, f, MHD_OPTION_NOTIFY_CONNECTION, on_connection, f, MHD_OPTION_END);
}

int http_start(struct dispatch *dispatch, const char *host, uint16_t port, const struct http_options *opts,
               struct http_front **ret_front, uint16_t *ret_port, struct error *err)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    char portstr[8];
    snprintf(portstr, sizeof(portstr), "%u", port);
    int gai = getaddrinfo(host, portstr, &hints, &ai);
    if (gai != 0)
        return error_set(err, ERR_INVALID, "cannot resolve listen address %s: %s", host, gai_strerror(gai));
    int listen_fd = -1;
    uint16_t bound = 0;
    bool ipv6 = ai->ai_family == AF_INET6;
    int r = http_accept_listen(ai->ai_addr, ai->ai_addrlen, &listen_fd, &bound, err);
    freeaddrinfo(ai);
    if (r < 0)
        return error_prefix(err, "cannot listen on %s:%u (in use, or not a local address?)", host, port);

    struct http_front *f = calloc(1, sizeof(*f));
    if (!f) {
        close(listen_fd);
        return error_set(err, ERR_INTERNAL, "out of memory");
    }
    f->dispatch = dispatch;
    f->nroutes = opts->nroutes < HTTP_MAX_ROUTES ? opts->nroutes : HTTP_MAX_ROUTES;
    memcpy(f->routes, opts->routes, f->nroutes * sizeof(f->routes[0]));
    f->mhd_log = (struct log_ratelimit)LOG_RATELIMIT_INIT;
    if (http_watch_new((usec_t)opts->request_timeout_sec * USEC_PER_SEC, &f->watch, err) < 0) {
        close(listen_fd);
        free(f);
        return -1;
    }
    if (opts->ws_handler && http_ws_new(opts->ws_handler, opts->ws_cls, &f->ws, err) < 0) {
        close(listen_fd);
        http_watch_free(f->watch);
        free(f);
        return -1;
    }
    f->daemon = start_daemon(f, ipv6, opts);
    if (!f->daemon) {
        close(listen_fd);
        http_ws_free(f->ws);
        http_watch_free(f->watch);
        free(f);
        return error_set(err, ERR_SYSTEM, "cannot start the HTTP server on %s:%u", host, port);
    }
    if (http_accept_start(listen_fd, f->daemon, &f->accept, err) < 0) {
        http_stop(f);
        return -1;
    }
    *ret_port = bound;
    *ret_front = f;
    return 0;
}

void http_stop(struct http_front *front)
{
    if (!front)
        return;
    http_accept_stop(front->accept);
    http_ws_free(front->ws);
    MHD_stop_daemon(front->daemon);
    http_watch_free(front->watch);
    free(front);
}
