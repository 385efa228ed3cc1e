/* bench_auth.c - what authentication costs the dispatcher: ECS ListClusters
 * handled in-process (api_handle, no HTTP) as an unauthenticated internal
 * caller ("auth off"), and signed with the root key and verified ("auth
 * on"), in the same run on one thread.  The requests are signed once,
 * before the clock starts: the figure is the server's cost only.  Reports
 * JSON on stdout; asserts nothing.
 *
 *   make build/bench_auth && build/bench_auth [seconds [on|off]]
 * (one phase only: for a profiler) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/fsutil.h"
#include "common/log.h"
#include "common/sigv4.h"
#include "server/http/api.h"
#include "server/server.h"

#define BODY "{}"
#define TARGET "AmazonEC2ContainerServiceV20141113.ListClusters"

struct signed_headers {
    char amz_date[17];
    char host[32];
    char content_sha256[65];
};

static const char *header(void *cookie, const char *lname)
{
    struct signed_headers *h = cookie;
    if (strcmp(lname, "x-amz-date") == 0)
        return h->amz_date;
    if (strcmp(lname, "host") == 0)
        return h->host;
    if (strcmp(lname, "x-amz-target") == 0)
        return TARGET;
    if (strcmp(lname, "content-type") == 0)
        return "application/x-amz-json-1.1";
    return NULL;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Requests per second of req through the dispatcher for `seconds`. */
static double rate(struct dispatch *d, const struct api_request *req, double seconds)
{
    long n = 0;
    double start = now(), end = start + seconds;
    while (now() < end) {
        for (int i = 0; i < 100; i++, n++) {
            struct api_response resp;
            api_handle(d, req, &resp);
            if (resp.status != 200) {
                fprintf(stderr, "bench_auth: status %d: %.*s\n", resp.status, (int)resp.body_len, resp.body);
                exit(1);
            }
            free(resp.body);
        }
    }
    return (double)n / (now() - start);
}

static int sign(struct server *srv, struct signed_headers *h, char *authorization, size_t cap)
{
    char key[129], secret[129], sig[65];
    struct error err;
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(h->amz_date, sizeof(h->amz_date), "%Y%m%dT%H%M%SZ", &tm);
    snprintf(h->host, sizeof(h->host), "127.0.0.1:7480");
    sigv4_sha256_hex(BODY, strlen(BODY), h->content_sha256);
    char date[9];
    snprintf(date, sizeof(date), "%.8s", h->amz_date);
    const char *signed_list = "content-type;host;x-amz-date;x-amz-target";
    struct sigv4_request r = {"POST", "/", NULL, header, h, h->content_sha256};
    if (server_root_key(srv, key, sizeof(key), secret, sizeof(secret)) < 0 ||
        sigv4_signature(&r, signed_list, false, secret, h->amz_date, date, "us-east-1", "ecs", sig, &err) < 0)
        return -1;
    snprintf(authorization, cap,
             "AWS4-HMAC-SHA256 Credential=%s/%s/us-east-1/ecs/aws4_request, SignedHeaders=%s, "
             "Signature=%s",
             key, date, signed_list, sig);
    return 0;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? strtod(argv[1], NULL) : 3.0;
    char dir[] = "/tmp/berth-bench-auth-XXXXXX";
    struct server srv;
    struct server_config cfg;
    struct error err;
    log_set_level(LOG_ERROR);
    server_config_defaults(&cfg);
    if (!mkdtemp(dir))
        return 1;
    snprintf(cfg.data_dir, sizeof(cfg.data_dir), "%s", dir);
    if (server_init(&srv, &cfg, &err) < 0) {
        fprintf(stderr, "bench_auth: %s\n", err.msg);
        return 1;
    }
    struct signed_headers h;
    char authorization[512];
    if (sign(&srv, &h, authorization, sizeof(authorization)) < 0)
        return 1;
    struct api_request off = {.method = "POST",
                              .path = "/",
                              .target = TARGET,
                              .body = BODY,
                              .body_len = 2,
                              .internal_caller = "arn:aws:iam::000000000000:root"};
    struct api_request on = off;
    on.internal_caller = NULL;
    on.header = header;
    on.cookie = &h;
    on.authorization = authorization;
    const char *only = argc > 2 ? argv[2] : "";
    double r_off = strcmp(only, "on") != 0 ? rate(srv.dispatch, &off, seconds) : 1;
    double r_on = strcmp(only, "off") != 0 ? rate(srv.dispatch, &on, seconds) : 1;
    printf("{\"list_clusters_per_s_auth_off\": %.0f, \"list_clusters_per_s_auth_on\": %.0f, \"ratio\": %.3f}\n", r_off,
           r_on, r_on / r_off);
    server_free(&srv);
    return fs_rmtree(dir, &err) < 0;
}
