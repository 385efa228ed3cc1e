/* http.c - libmicrohttpd glue.  One thread per connection, so a long-poll
 * blocks only its own connection.  Bodies are read into a buffer capped at
 * LIMIT_HTTP_BODY; a larger body is answered with an error as soon as it is
 * known to be too large, without reading the rest. */
#include "server/http/http.h"

#include <microhttpd.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "server/http/api.h"
#include "server/http/http_limits.h"
#include "common/log.h"
#include "common/buf.h"
#include "common/sigv4.h"

struct http_front {
    struct MHD_Daemon *daemon;
    struct dispatch *dispatch;
};

struct conn_state {
    struct buf body;         /* up to LIMIT_HTTP_BODY */
    unsigned long long seen; /* body bytes received, kept or not */
    bool too_large;
    bool answered;
};

static enum MHD_Result send_text(struct MHD_Connection *conn, unsigned status, const char *type, const char *body,
                                 size_t len, const char *request_id)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    if (request_id)
        MHD_add_response_header(r, "x-amzn-RequestId", request_id);
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
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
    api_handle(f->dispatch, &req, &resp);
    enum MHD_Result ret =
        send_text(conn, (unsigned)resp.status, resp.content_type ? resp.content_type : "application/x-amz-json-1.1",
                  resp.body ? resp.body : "", resp.body_len, resp.request_id);
    free(resp.body);
    return ret;
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

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct http_front *f = cls;
    struct conn_state *st = *con_cls;

    if (strcmp(method, "GET") == 0 && strcmp(url, "/healthz") == 0)
        return send_text(conn, MHD_HTTP_OK, "text/plain", "ok\n", 3, NULL);
    if (strcmp(method, "POST") != 0 || strcmp(url, "/") != 0) {
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
    struct conn_state *st = *con_cls;
    if (st) {
        buf_free(&st->body);
        free(st);
        *con_cls = NULL;
    }
}

static void on_mhd_error(void *cls, const char *fmt, va_list ap)
{
    char buf[512];
    vsnprintf(buf, sizeof(buf), fmt, ap);
    size_t n = strlen(buf);
    if (n && buf[n - 1] == '\n')
        buf[n - 1] = '\0';
    log_warn("http: %s", buf);
}

int http_start(struct dispatch *dispatch, const char *host, uint16_t port, struct http_front **ret_front,
               uint16_t *ret_port, struct error *err)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    char portstr[8];
    snprintf(portstr, sizeof(portstr), "%u", port);
    int gai = getaddrinfo(host, portstr, &hints, &ai);
    if (gai != 0)
        return error_set(err, ERR_INVALID, "cannot resolve listen address %s: %s", host, gai_strerror(gai));

    struct http_front *f = calloc(1, sizeof(*f));
    if (!f) {
        freeaddrinfo(ai);
        return error_set(err, ERR_INTERNAL, "out of memory");
    }
    f->dispatch = dispatch;
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_USE_POLL;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    f->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, f, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_error, f,
                                 MHD_OPTION_SOCK_ADDR, ai->ai_addr, MHD_OPTION_CONNECTION_LIMIT,
                                 (unsigned)LIMIT_HTTP_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)300,
                                 MHD_OPTION_NOTIFY_COMPLETED, on_completed, f, MHD_OPTION_LISTENING_ADDRESS_REUSE,
                                 (unsigned)1, MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!f->daemon) {
        free(f);
        return error_set(err, ERR_SYSTEM, "cannot listen on %s:%u (in use, or not a local address?)", host, port);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(f->daemon, MHD_DAEMON_INFO_BIND_PORT);
    *ret_port = info ? info->port : port;
    *ret_front = f;
    return 0;
}

void http_stop(struct http_front *front)
{
    if (!front)
        return;
    MHD_stop_daemon(front->daemon);
    free(front);
}
