/* awsjson.c - AWS JSON 1.1 over libcurl, every request SigV4-signed.
 * Bodies are bounded by LIMIT_CLIENT_RESPONSE.  The signature covers the
 * Host header this client sends itself (from the endpoint, so it is exactly
 * what was signed), Content-Type, X-Amz-Date, X-Amz-Target, the session
 * token if any, and the body.  The secret is never logged or put in an
 * error message; it is wiped when the client is freed. */
#include "common/awsjson.h"

#include <curl/curl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/limits.h"
#include "common/proto.h"
#include "common/sigv4.h"
#include "common/timeutil.h"

#define CONTENT_TYPE "application/x-amz-json-1.1"
#define HEADER_LINE_MAX (LIMIT_AWS_SESSION_TOKEN + 1024)

/* One server the client may send to: where, and the Host header and
 * request path its signature covers. */
struct endpoint {
    char *url;
    char *host;  /* the Host header: host[:port], the port only if not the scheme's default */
    char *path;  /* the request path as libcurl sends it */
    char *query; /* NULL for none */
};

struct awsjson_client {
    CURL *curl;
    struct endpoint endpoints[LIMIT_CLIENT_ENDPOINTS];
    size_t nendpoints;
    size_t cur; /* the one calls go to until it fails */
    struct aws_credentials creds;
    char region[LIMIT_AWS_REGION + 1];
    long timeout;
    const volatile bool *abort_flag;
    char last_type[128];
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

/* Host, path and query of the endpoint, parsed by libcurl's own URL parser
 * so that they are what it will send. */
static int parse_endpoint(struct endpoint *e, const char *endpoint, size_t len, struct error *err)
{
    e->url = strndup(endpoint, len);
    CURLU *u = curl_url();
    if (!u || !e->url) {
        curl_url_cleanup(u);
        return error_set(err, ERR_INTERNAL, "out of memory");
    }
    char *host = NULL, *port = NULL;
    int r = 0;
    if (curl_url_set(u, CURLUPART_URL, e->url, CURLU_GUESS_SCHEME) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PATH, &e->path, 0) != CURLUE_OK)
        r = error_set(err, ERR_INVALID, "endpoint %s is not a URL", e->url);
    if (r == 0 && curl_url_get(u, CURLUPART_PORT, &port, CURLU_NO_DEFAULT_PORT) != CURLUE_OK)
        port = NULL;
    if (r == 0 && curl_url_get(u, CURLUPART_QUERY, &e->query, 0) != CURLUE_OK)
        e->query = NULL;
    if (r == 0 && asprintf(&e->host, "%s%s%s", host, port ? ":" : "", port ? port : "") < 0) {
        e->host = NULL;
        r = error_set(err, ERR_INTERNAL, "out of memory");
    }
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return r;
}

/* endpoint: one URL or several, comma-separated. */
static int parse_endpoints(struct awsjson_client *c, const char *endpoint, struct error *err)
{
    const char *p = endpoint;
    for (;;) {
        size_t len = strcspn(p, ",");
        if (c->nendpoints == LIMIT_CLIENT_ENDPOINTS)
            return error_set(err, ERR_INVALID, "more than %d server URLs", LIMIT_CLIENT_ENDPOINTS);
        if (len == 0)
            return error_set(err, ERR_INVALID, "an empty server URL in '%s'", endpoint);
        if (parse_endpoint(&c->endpoints[c->nendpoints++], p, len, err) < 0)
            return -1;
        if (!p[len])
            return 0;
        p += len + 1;
    }
}

static inline void awsjson_client_freep(struct awsjson_client **c) { awsjson_client_free(*c); }

int awsjson_client_new(const char *endpoint, const struct aws_credentials *creds, const char *region,
                       struct awsjson_client **ret_client, struct error *err)
{
    pthread_once(&curl_once, curl_init_once);
    if (!region || !*region || strlen(region) > LIMIT_AWS_REGION)
        return error_set(err, ERR_INVALID, "region '%s' is empty or longer than %d bytes", region ? region : "",
                         LIMIT_AWS_REGION);
    _cleanup_(awsjson_client_freep) struct awsjson_client *c = calloc(1, sizeof(*c));
    if (!c)
        return error_set(err, ERR_INTERNAL, "out of memory");
    c->curl = curl_easy_init();
    c->timeout = 30;
    c->creds = *creds;
    snprintf(c->region, sizeof(c->region), "%s", region);
    if (!c->curl)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (parse_endpoints(c, endpoint, err) < 0)
        return -1;
    *ret_client = TAKE_PTR(c);
    return 0;
}

void awsjson_client_free(struct awsjson_client *c)
{
    if (!c)
        return;
    if (c->curl)
        curl_easy_cleanup(c->curl);
    for (size_t i = 0; i < c->nendpoints; i++) {
        free(c->endpoints[i].url);
        free(c->endpoints[i].host);
        curl_free(c->endpoints[i].path);
        curl_free(c->endpoints[i].query);
    }
    aws_credentials_clear(&c->creds);
    free(c);
}

void awsjson_client_set_timeout(struct awsjson_client *c, long seconds) { c->timeout = seconds; }

const char *awsjson_last_error_type(const struct awsjson_client *c) { return c->last_type; }

void awsjson_client_set_abort_flag(struct awsjson_client *c, const volatile bool *flag) { c->abort_flag = flag; }

static int on_progress(void *clientp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    const struct awsjson_client *c = clientp;
    return c->abort_flag && *c->abort_flag ? 1 : 0;
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct buf *b = userdata;
    size_t n = size * nmemb;
    /* 0 aborts the transfer: past LIMIT_CLIENT_RESPONSE, or out of memory. */
    return buf_append(b, ptr, n) < 0 ? 0 : n;
}

/* The signed headers' values, by lower-case name (sigv4_request.header). */
struct signed_values {
    const char *host, *amz_date, *token, *target;
};

static const char *signed_value(void *cookie, const char *lname)
{
    const struct signed_values *v = cookie;
    const struct {
        const char *name, *value;
    } table[] = {
        {"content-type", CONTENT_TYPE},     {"host", v->host},           {"x-amz-date", v->amz_date},
        {"x-amz-security-token", v->token}, {"x-amz-target", v->target},
    };
    for (size_t i = 0; i < ELEMENTSOF(table); i++)
        if (strcmp(table[i].name, lname) == 0)
            return table[i].value;
    return NULL;
}

/* The signing name of the service a target prefix belongs to. */
static const char *service_of(const char *target_prefix)
{
    static const struct {
        const char *prefix, *service;
    } services[] = {
        {PROTO_LOGS_TARGET, "logs"},
        {"AmazonSSM", "ssm"},
        {"secretsmanager", "secretsmanager"},
    };
    for (size_t i = 0; i < ELEMENTSOF(services); i++)
        if (strcmp(services[i].prefix, target_prefix) == 0)
            return services[i].service;
    return "ecs";
}

static void add_header(struct curl_slist **list, bool *failed, const char *fmt, ...)
{
    char line[HEADER_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    struct curl_slist *l = n >= 0 && n < (int)sizeof(line) && !*failed ? curl_slist_append(*list, line) : NULL;
    if (l)
        *list = l;
    else
        *failed = true;
}

/* The request's headers, the Authorization header among them. */
static int request_headers(struct awsjson_client *c, const char *target_prefix, const char *action, const char *body,
                           size_t len, struct curl_slist **ret, struct error *err)
{
    char target[256], amz_date[32], date[9], hash[65], sig[65];
    snprintf(target, sizeof(target), "%s.%s", target_prefix, action);
    time_t now = (time_t)(time_now() / USEC_PER_SEC);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(amz_date, sizeof(amz_date), "%Y%m%dT%H%M%SZ", &tm);
    snprintf(date, sizeof(date), "%.8s", amz_date);
    const char *token = c->creds.session_token[0] ? c->creds.session_token : NULL;
    const struct endpoint *e = &c->endpoints[c->cur];
    struct signed_values v = {e->host, amz_date, token, target};
    sigv4_sha256_hex(body, len, hash);
    struct sigv4_request r = {"POST", e->path, e->query, signed_value, &v, hash};
    const char *names = token ? "content-type;host;x-amz-date;x-amz-security-token;x-amz-target"
                              : "content-type;host;x-amz-date;x-amz-target";
    const char *service = service_of(target_prefix);
    bool anonymous = !c->creds.access_key_id[0]; /* a registration token speaks for it */
    if (!anonymous &&
        sigv4_signature(&r, names, false, c->creds.secret_access_key, amz_date, date, c->region, service, sig, err) < 0)
        return error_prefix(err, "%s: signing", action);
    struct curl_slist *l = NULL;
    bool failed = false;
    add_header(&l, &failed, "Content-Type: %s", CONTENT_TYPE);
    add_header(&l, &failed, "Host: %s", e->host);
    add_header(&l, &failed, "X-Amz-Target: %s", target);
    add_header(&l, &failed, "X-Amz-Date: %s", amz_date);
    if (token)
        add_header(&l, &failed, "X-Amz-Security-Token: %s", token);
    if (!anonymous)
        add_header(
            &l, &failed,
            "Authorization: AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, SignedHeaders=%s, Signature=%s",
            c->creds.access_key_id, date, c->region, service, names, sig);
    add_header(&l, &failed, "Expect:");
    if (failed) {
        curl_slist_free_all(l);
        return error_set(err, ERR_INTERNAL, "%s: out of memory for the request headers", action);
    }
    *ret = l;
    return 0;
}

int awsjson_call(struct awsjson_client *c, const char *target_prefix, const char *action, json_t *in, json_t **ret_out,
                 struct error *err)
{
    char *payload = json_dumps(in, JSON_COMPACT);
    if (!payload)
        return error_set(err, ERR_INTERNAL, "out of memory");
    int r = awsjson_call_body(c, target_prefix, action, payload, strlen(payload), ret_out, err);
    free(payload);
    return r;
}

/* One attempt at the current endpoint: *ret_sent says whether the request
 * may have reached the server (anything but a refused or failed connect). */
static int call_once(struct awsjson_client *c, const char *target_prefix, const char *action, const char *body,
                     size_t len, json_t **ret_out, bool *ret_sent, struct error *err)
{
    c->last_type[0] = '\0';
    *ret_sent = true;
    struct curl_slist *headers = NULL;
    if (request_headers(c, target_prefix, action, body, len, &headers, err) < 0)
        return -1;
    _cleanup_buf_ struct buf b;
    buf_init(&b, LIMIT_CLIENT_RESPONSE);
    CURL *h = c->curl;
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, c->endpoints[c->cur].url);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)len);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, c->timeout);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    if (c->abort_flag) {
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, c);
    }
    CURLcode rc = curl_easy_perform(h);
    curl_slist_free_all(headers);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK) {
        if (b.too_large)
            return error_set(err, ERR_LIMIT, "%s: response larger than %u bytes", action, LIMIT_CLIENT_RESPONSE);
        *ret_sent = rc != CURLE_COULDNT_CONNECT && rc != CURLE_COULDNT_RESOLVE_HOST;
        return error_set(err, ERR_IO, "%s: %s", action, curl_easy_strerror(rc));
    }
    json_error_t jerr;
    json_t *out = b.data ? json_loadb(b.data, b.len, 0, &jerr) : json_object();
    if (status != 200) {
        const char *type = json_string_value(json_object_get(out, "__type"));
        const char *msg = json_string_value(json_object_get(out, "message"));
        if (!msg)
            msg = json_string_value(json_object_get(out, "Message"));
        if (type) {
            const char *hash = strrchr(type, '#');
            snprintf(c->last_type, sizeof(c->last_type), "%s", hash ? hash + 1 : type);
        }
        int r = error_set(err, status >= 500 ? ERR_IO : ERR_INVALID, "%s: %s: %s", action,
                          c->last_type[0] ? c->last_type : "HTTP error", msg ? msg : "(no message)");
        json_decref(out);
        return r;
    }
    if (!out)
        return error_set(err, ERR_IO, "%s: malformed JSON response: %s", action, jerr.text);
    *ret_out = out;
    return 0;
}

/* With several servers: a server that refuses the connection is skipped
 * at once (nothing was sent), each of the others tried in turn; one that
 * fails once the request may have reached it (a reset, a timeout, a 5xx)
 * fails this call, which the caller may retry, and the next call goes to
 * the next server. */
int awsjson_call_body(struct awsjson_client *c, const char *target_prefix, const char *action, const char *body,
                      size_t len, json_t **ret_out, struct error *err)
{
    for (size_t tried = 0;; tried++) {
        bool sent = false;
        struct error e = {0};
        int r = call_once(c, target_prefix, action, body, len, ret_out, &sent, &e);
        if (r < 0 && err)
            *err = e;
        if (r == 0 || c->nendpoints == 1 || e.kind != ERR_IO)
            return r;
        c->cur = (c->cur + 1) % c->nendpoints;
        if (sent || tried + 1 >= c->nendpoints)
            return r;
    }
}
