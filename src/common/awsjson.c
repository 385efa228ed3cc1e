/* awsjson.c - AWS JSON 1.1 over libcurl.  Bodies are bounded by
 * LIMIT_CLIENT_RESPONSE; requests carry no signature (berth's server does
 * not verify them yet). */
#include "common/awsjson.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/limits.h"

struct awsjson_client {
    CURL *curl;
    char *endpoint;
    long timeout;
    const volatile bool *abort_flag;
    char last_type[128];
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

int awsjson_client_new(const char *endpoint, struct awsjson_client **ret_client, struct error *err)
{
    pthread_once(&curl_once, curl_init_once);
    struct awsjson_client *c = calloc(1, sizeof(*c));
    if (!c)
        return error_set(err, ERR_INTERNAL, "out of memory");
    c->curl = curl_easy_init();
    c->endpoint = strdup(endpoint);
    c->timeout = 30;
    if (!c->curl || !c->endpoint) {
        awsjson_client_free(c);
        return error_set(err, ERR_INTERNAL, "out of memory");
    }
    *ret_client = c;
    return 0;
}

void awsjson_client_free(struct awsjson_client *c)
{
    if (!c)
        return;
    if (c->curl)
        curl_easy_cleanup(c->curl);
    free(c->endpoint);
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

int awsjson_call_body(struct awsjson_client *c, const char *target_prefix, const char *action, const char *body,
                      size_t len, json_t **ret_out, struct error *err)
{
    c->last_type[0] = '\0';
    char target[256];
    snprintf(target, sizeof(target), "X-Amz-Target: %s.%s", target_prefix, action);
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/x-amz-json-1.1");
    headers = curl_slist_append(headers, target);
    headers = curl_slist_append(headers, "Expect:");
    _cleanup_buf_ struct buf b;
    buf_init(&b, LIMIT_CLIENT_RESPONSE);
    CURL *h = c->curl;
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, c->endpoint);
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
