/* registry.c - libcurl client of the distribution API for one repository.
 *
 * It fetches manifests (bounded, digest-checked) and streams blobs to a
 * sink; it handles the 401 dance (Bearer token from the realm, or Basic)
 * once per session and caches the Authorization header.  It does not store
 * anything: image.c and imgstore.c decide where bytes go. */
#include "agent/image/registry.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/agent_error.h"
#include "common/buf.h"
#include "common/cleanup.h"
#include "agent/agent_limits.h"
#include "common/log.h"
#include "agent/image/registry_auth.h"

struct registry {
    const struct registry_opts *opts;
    char image[LIMIT_IMAGE_REF + 16];  /* for messages */
    char base[LIMIT_IMAGE_NAME + 512]; /* "https://host/v2/<path>" */
    char path[LIMIT_IMAGE_NAME + 1];
    /* "Authorization: ..." once the challenge is met; blobs of one image
     * are fetched from several threads, hence the lock. */
    pthread_mutex_t auth_lock;
    char *authorization;
};

/* One response: status, a few headers, and where the body goes. */
struct response {
    long status;
    char content_type[128];
    char docker_digest[DIGEST_STR_LEN + 8];
    char challenge[2048];
    /* 2xx bodies go to sink; others (and small 2xx documents) to body,
     * bounded by its limit. */
    const struct registry_sink *sink;
    struct buf body;
    bool restart_checked;
    uint64_t offset;
    struct error sink_err;
    bool sink_failed;
    CURL *curl;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

static const char *host_without_port(const char *host, char *buf, size_t cap)
{
    if (host[0] == '[') {
        const char *close = strchr(host, ']');
        size_t n = close ? (size_t)(close - host - 1) : 0;
        if (n >= cap)
            n = 0;
        memcpy(buf, host + 1, n);
        buf[n] = '\0';
        return buf;
    }
    size_t n = strcspn(host, ":");
    if (n >= cap)
        n = cap - 1;
    memcpy(buf, host, n);
    buf[n] = '\0';
    return buf;
}

bool registry_host_insecure(const char *host, const struct registry_opts *opts)
{
    char h[LIMIT_IMAGE_NAME + 1];
    host_without_port(host, h, sizeof(h));
    if (strcmp(h, "localhost") == 0 || strncmp(h, "127.", 4) == 0 || strcmp(h, "::1") == 0)
        return true;
    for (size_t i = 0; opts && i < opts->n_insecure; i++)
        if (strcmp(opts->insecure[i], host) == 0 || strcmp(opts->insecure[i], h) == 0)
            return true;
    return false;
}

int registry_open(const struct imgref *ref, const struct registry_opts *opts, struct registry **ret_registry,
                  struct error *err)
{
    pthread_once(&curl_once, curl_init_once);
    struct registry *r = calloc(1, sizeof(*r));
    if (!r)
        return error_set(err, ERR_INTERNAL, "out of memory");
    r->opts = opts;
    pthread_mutex_init(&r->auth_lock, NULL);
    imgref_string(ref, r->image, sizeof(r->image));
    const char *host = imgref_api_host(ref);
    snprintf(r->base, sizeof(r->base), "%s://%s/v2/%s", registry_host_insecure(host, opts) ? "http" : "https", host,
             ref->path);
    snprintf(r->path, sizeof(r->path), "%s", ref->path);
    *ret_registry = r;
    return 0;
}

void registry_free(struct registry *r)
{
    if (!r)
        return;
    free(r->authorization);
    pthread_mutex_destroy(&r->auth_lock);
    free(r);
}

void registry_freep(struct registry **r) { registry_free(*r); }

void registry_manifest_clear(struct registry_manifest *m)
{
    free(m->body);
    m->body = NULL;
    m->len = 0;
}

static void copy_header_value(char *dst, size_t cap, const char *v, size_t n)
{
    while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
        n--;
    while (n && *v == ' ') {
        v++;
        n--;
    }
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, v, n);
    dst[n] = '\0';
}

static size_t on_header(char *data, size_t size, size_t nitems, void *ud)
{
    struct response *resp = ud;
    size_t n = size * nitems;
    /* With redirects, each response's headers arrive in turn: keep the last. */
    if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        resp->content_type[0] = resp->docker_digest[0] = resp->challenge[0] = '\0';
        return n;
    }
    static const struct {
        const char *name;
        size_t offset, size;
    } wanted[] = {
        {"content-type:", offsetof(struct response, content_type), sizeof(((struct response *)0)->content_type)},
        {"docker-content-digest:", offsetof(struct response, docker_digest),
         sizeof(((struct response *)0)->docker_digest)},
        {"www-authenticate:", offsetof(struct response, challenge), sizeof(((struct response *)0)->challenge)},
    };
    for (size_t i = 0; i < ELEMENTSOF(wanted); i++) {
        size_t k = strlen(wanted[i].name);
        if (n > k && strncasecmp(data, wanted[i].name, k) == 0)
            copy_header_value((char *)resp + wanted[i].offset, wanted[i].size, data + k, n - k);
    }
    return n;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
    struct response *resp = ud;
    size_t n = size * nmemb;
    long status = 0;
    curl_easy_getinfo(resp->curl, CURLINFO_RESPONSE_CODE, &status);
    if (resp->sink && (status == 200 || status == 206)) {
        if (!resp->restart_checked) {
            resp->restart_checked = true;
            /* The registry ignored our Range: start the sink over. */
            if (status == 200 && resp->offset > 0 && resp->sink->restart &&
                resp->sink->restart(resp->sink->ud, &resp->sink_err) < 0) {
                resp->sink_failed = true;
                return 0;
            }
        }
        if (resp->sink->write(resp->sink->ud, data, n, &resp->sink_err) < 0) {
            resp->sink_failed = true;
            return 0;
        }
        return n;
    }
    if (buf_append(&resp->body, data, n) < 0) {
        /* An error body is only for the message; a document must fit. */
        return resp->sink || status >= 300 ? n : 0;
    }
    return n;
}

/* The registry's own explanation, from {"errors":[{"code","message"}]}. */
static void registry_message(const struct response *resp, char *out, size_t cap)
{
    out[0] = '\0';
    if (!resp->body.data || resp->body.len == 0)
        return;
    _cleanup_json_ json_t *doc = json_loadb(resp->body.data, resp->body.len, 0, NULL);
    json_t *first = json_array_get(json_object_get(doc, "errors"), 0);
    const char *msg = json_string_value(json_object_get(first, "message"));
    const char *code = json_string_value(json_object_get(first, "code"));
    if (msg || code)
        snprintf(out, cap, "%s%s%s", code ? code : "", code && msg ? ": " : "", msg ? msg : "");
}

static int perform(struct registry *r, const char *url, const char *accept, const char *authorization,
                   struct response *resp, struct error *err)
{
    CURL *c = curl_easy_init();
    if (!c)
        return error_set(err, ERR_INTERNAL, "curl init failed");
    struct curl_slist *headers = NULL;
    char range[64];
    if (accept)
        headers = curl_slist_append(headers, accept);
    if (authorization)
        headers = curl_slist_append(headers, authorization);
    if (resp->offset > 0) {
        snprintf(range, sizeof(range), "Range: bytes=%" PRIu64 "-", resp->offset);
        headers = curl_slist_append(headers, range);
    }
    headers = curl_slist_append(headers, "User-Agent: berth-agent/0.1");
    resp->curl = c;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    /* Authorization goes to the registry only, never to a redirect's CDN. */
    curl_easy_setopt(c, CURLOPT_UNRESTRICTED_AUTH, 0L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    /* A stalled transfer (under 1 byte/s for a minute) is a network error. */
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, resp);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
    curl_easy_cleanup(c);
    curl_slist_free_all(headers);
    resp->curl = NULL;
    log_debug("registry: GET %s -> %ld", url, resp->status);
    if (resp->sink_failed) {
        *err = resp->sink_err;
        return -1;
    }
    if (resp->body.too_large && resp->status / 100 == 2)
        return error_set(err, ERR_LIMIT, "%s: response from %s exceeds %zu bytes", r->image, url, resp->body.limit);
    if (rc != CURLE_OK)
        return error_set(err, ERR_IO, "%s: network error: %s", r->image, curl_easy_strerror(rc));
    return 0;
}

/* Takes ownership of header. */
static void set_authorization(struct registry *r, char *header)
{
    pthread_mutex_lock(&r->auth_lock);
    free(r->authorization);
    r->authorization = header;
    pthread_mutex_unlock(&r->auth_lock);
}

static char *get_authorization(struct registry *r)
{
    pthread_mutex_lock(&r->auth_lock);
    char *copy = r->authorization ? strdup(r->authorization) : NULL;
    pthread_mutex_unlock(&r->auth_lock);
    return copy;
}

/* GET the realm for a token, with Basic credentials when we have them. */
static int fetch_token(struct registry *r, const struct registry_challenge *ch, struct error *err)
{
    CURL *c = curl_easy_init();
    if (!c)
        return error_set(err, ERR_INTERNAL, "curl init failed");
    char scope[1200];
    if (ch->scope[0])
        snprintf(scope, sizeof(scope), "%s", ch->scope);
    else
        snprintf(scope, sizeof(scope), "repository:%s:pull", r->path);
    char *esc_service = curl_easy_escape(c, ch->service, 0);
    char *esc_scope = curl_easy_escape(c, scope, 0);
    _cleanup_free_ char *url = NULL;
    int n = asprintf(&url, "%s%sservice=%s&scope=%s", ch->realm, strchr(ch->realm, '?') ? "&" : "?",
                     esc_service ? esc_service : "", esc_scope ? esc_scope : "");
    curl_free(esc_service);
    curl_free(esc_scope);
    curl_easy_cleanup(c);
    if (n < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");

    struct response resp = {.body.limit = LIMIT_REGISTRY_TOKEN};
    struct curl_slist *headers = NULL;
    c = curl_easy_init();
    if (!c)
        return error_set(err, ERR_INTERNAL, "curl init failed");
    resp.curl = c;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
    if (r->opts && r->opts->username && r->opts->password) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERNAME, r->opts->username);
        curl_easy_setopt(c, CURLOPT_PASSWORD, r->opts->password);
    }
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
    curl_easy_cleanup(c);
    curl_slist_free_all(headers);
    _cleanup_buf_ struct buf body = resp.body;
    if (rc != CURLE_OK)
        return error_set(err, ERR_IO, "%s: token service %s: network error: %s", r->image, ch->realm,
                         curl_easy_strerror(rc));
    if (resp.status == 401 || resp.status == 403)
        return error_set(err, ERR_UNAUTHORIZED, "%s: unauthorized: token service refused the credentials", r->image);
    if (resp.status != 200)
        return error_set(err, ERR_IO, "%s: token service returned HTTP %ld", r->image, resp.status);
    _cleanup_json_ json_t *doc = body.data ? json_loadb(body.data, body.len, 0, NULL) : NULL;
    const char *token = json_string_value(json_object_get(doc, "token"));
    if (!token)
        token = json_string_value(json_object_get(doc, "access_token"));
    if (!token || !*token || strpbrk(token, "\r\n"))
        return error_set(err, ERR_IO, "%s: token service sent no usable token", r->image);
    char *header = NULL;
    if (asprintf(&header, "Authorization: Bearer %s", token) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    set_authorization(r, header);
    return 0;
}

static int basic_authorization(struct registry *r, struct error *err)
{
    if (!r->opts || !r->opts->username || !r->opts->password)
        return error_set(err, ERR_UNAUTHORIZED, "%s: unauthorized: authentication required", r->image);
    _cleanup_free_ char *plain = NULL;
    if (asprintf(&plain, "%s:%s", r->opts->username, r->opts->password) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    size_t n = strlen(plain);
    _cleanup_free_ char *b64 = malloc(4 * ((n + 2) / 3) + 1);
    if (!b64)
        return error_set(err, ERR_INTERNAL, "out of memory");
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned char)plain[i] << 16;
        if (i + 1 < n)
            v |= (unsigned char)plain[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)plain[i + 2];
        b64[o++] = tbl[(v >> 18) & 63];
        b64[o++] = tbl[(v >> 12) & 63];
        b64[o++] = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
        b64[o++] = i + 2 < n ? tbl[v & 63] : '=';
    }
    b64[o] = '\0';
    explicit_bzero(plain, n);
    char *header = NULL;
    if (asprintf(&header, "Authorization: Basic %s", b64) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    set_authorization(r, header);
    return 0;
}

/* GET url; on a 401 meet the challenge once and try again. */
static int get(struct registry *r, const char *url, const char *accept, const char *what, struct response *resp,
               struct error *err)
{
    struct response initial = *resp;
    for (int attempt = 0;; attempt++) {
        _cleanup_free_ char *authorization = get_authorization(r);
        if (perform(r, url, accept, authorization, resp, err) < 0)
            return -1;
        if (resp->status != 401 || attempt == 1)
            break;
        struct registry_challenge ch;
        if (!resp->challenge[0])
            return error_set(err, ERR_UNAUTHORIZED, "%s: unauthorized (no challenge from registry)", r->image);
        if (registry_auth_parse(resp->challenge, &ch, err) < 0)
            return error_prefix(err, "%s", r->image);
        if (strcmp(ch.scheme, "bearer") == 0) {
            if (fetch_token(r, &ch, err) < 0)
                return -1;
        } else if (strcmp(ch.scheme, "basic") == 0) {
            if (basic_authorization(r, err) < 0)
                return -1;
        } else {
            return error_set(err, ERR_UNAUTHORIZED, "%s: unauthorized: unsupported auth scheme '%s'", r->image,
                             ch.scheme);
        }
        buf_free(&resp->body);
        *resp = initial;
    }
    if (resp->status == 200 || resp->status == 206)
        return 0;
    char msg[512];
    registry_message(resp, msg, sizeof(msg));
    long status = resp->status;
    switch (status) {
    case 401:
    case 403:
        return error_set(err, ERR_UNAUTHORIZED, "%s: unauthorized: %s", r->image,
                         msg[0] ? msg : "authentication required");
    case 404:
        return error_set(err, ERR_NOT_FOUND, "%s: not found: %s %s%s%s", r->image, what, msg[0] ? "(" : "", msg,
                         msg[0] ? ")" : "");
    default:
        return error_set(err, ERR_IO, "%s: %s: registry returned HTTP %ld%s%s", r->image, what, status,
                         msg[0] ? ": " : "", msg);
    }
}

int registry_get_manifest(struct registry *r, const char *reference, struct registry_manifest *ret_manifest,
                          struct error *err)
{
    _cleanup_free_ char *url = NULL;
    if (asprintf(&url, "%s/manifests/%s", r->base, reference) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    struct response resp = {.body.limit = LIMIT_IMAGE_MANIFEST};
    char what[LIMIT_IMAGE_TAG + 32];
    snprintf(what, sizeof(what), "manifest %s", reference);
    static const char accept[] =
        "Accept: " MEDIA_OCI_INDEX ", " MEDIA_OCI_MANIFEST ", " MEDIA_DOCKER_LIST ", " MEDIA_DOCKER_MANIFEST;
    int rc = get(r, url, accept, what, &resp, err);
    _cleanup_free_ char *body = resp.body.data;
    if (rc < 0)
        return -1;
    if (!body)
        return error_set(err, ERR_IO, "%s: registry sent an empty manifest", r->image);
    struct registry_manifest m = {0};
    if (digest_buffer(body, resp.body.len, m.digest, err) < 0)
        return -1;
    if (digest_valid(reference) && strcmp(reference, m.digest) != 0)
        return error_set(err, ERR_DIGEST, "%s: manifest digest mismatch: expected %s, got %s", r->image, reference,
                         m.digest);
    if (resp.docker_digest[0] && digest_valid(resp.docker_digest) && strcmp(resp.docker_digest, m.digest) != 0)
        return error_set(err, ERR_DIGEST, "%s: manifest digest mismatch: registry says %s, content is %s", r->image,
                         resp.docker_digest, m.digest);
    /* Content-Type may carry parameters; the media type is what precedes them. */
    size_t n = strcspn(resp.content_type, "; ");
    if (n >= sizeof(m.media_type))
        n = 0;
    memcpy(m.media_type, resp.content_type, n);
    m.media_type[n] = '\0';
    m.len = resp.body.len;
    m.body = TAKE_PTR(body);
    *ret_manifest = m;
    return 0;
}

int registry_get_blob(struct registry *r, const char *digest, uint64_t offset, const struct registry_sink *sink,
                      struct error *err)
{
    if (!digest_valid(digest))
        return error_set(err, ERR_INVALID, "%s: invalid blob digest", r->image);
    _cleanup_free_ char *url = NULL;
    if (asprintf(&url, "%s/blobs/%s", r->base, digest) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    struct response resp = {.body.limit = LIMIT_REGISTRY_ERROR_BODY, .sink = sink, .offset = offset};
    log_debug("registry: fetching blob %s from offset %" PRIu64, digest, offset);
    char what[DIGEST_STR_LEN + 8];
    snprintf(what, sizeof(what), "blob %s", digest);
    int rc = get(r, url, NULL, what, &resp, err);
    buf_free(&resp.body);
    if (rc < 0)
        return -1;
    /* A 206 after a Range without a restart is a resume; an empty 200 body
     * still has to be reported as a restart. */
    if (resp.status == 200 && offset > 0 && !resp.restart_checked && sink->restart && sink->restart(sink->ud, err) < 0)
        return -1;
    return 0;
}
