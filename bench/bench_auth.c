/* bench_auth.c - what identity costs the dispatcher: ECS ListClusters
 * handled in-process (api_handle, no HTTP) as an unauthenticated internal
 * caller ("auth off"), signed with the root key and verified ("auth on",
 * root needs no policy), and signed by an IAM user whose five inline
 * policies of ten statements each are read, compiled and evaluated ("auth
 * on, user"), in the same run on one thread.  The requests are signed once,
 * before the clock starts: the figure is the server's cost only.  Reports
 * JSON on stdout; asserts nothing.
 *
 *   make build/bench_auth && build/bench_auth [seconds [off|on|user]]
 * (one phase only: for a profiler) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/fsutil.h"
#include "common/log.h"
#include "common/sigv4.h"
#include "common/buf.h"
#include "common/cleanup.h"
#include "server/http/api.h"
#include "server/iam/keyring.h"
#include "server/server.h"
#include "server/store/store.h"
#include "server/store/store_iam.h"

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

static int sign(const char *key, const char *secret, struct signed_headers *h, char *authorization, size_t cap)
{
    char sig[65];
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
    if (sigv4_signature(&r, signed_list, false, secret, h->amz_date, date, "us-east-1", "ecs", sig, &err) < 0)
        return -1;
    snprintf(authorization, cap,
             "AWS4-HMAC-SHA256 Credential=%s/%s/us-east-1/ecs/aws4_request, SignedHeaders=%s, "
             "Signature=%s",
             key, date, signed_list, sig);
    return 0;
}

/* User "bench" with bench_policy's shape of identity: 5 inline policies of
 * 10 statements (allows on team clusters, denies at the end of each), one
 * of which allows ecs:List*; and an access key for it. */
static int seed_user(struct server *srv, char key[21], char secret[41])
{
    struct iam_entity_row row = {.created_at = 1};
    struct error err;
    struct store_tx *tx = NULL;
    snprintf(row.kind, sizeof(row.kind), "user");
    snprintf(row.name, sizeof(row.name), "bench");
    snprintf(row.id, sizeof(row.id), "AIDABENCHBENCHBENCH1");
    snprintf(row.path, sizeof(row.path), "/");
    snprintf(row.arn, sizeof(row.arn), "arn:aws:iam::000000000000:user/bench");
    if (keyring_new_key_id("AKIA", key) < 0 || keyring_new_secret(secret) < 0 ||
        store_begin(srv->store, true, &tx, &err) < 0)
        return -1;
    int rc = store_iam_entity_insert(tx, &row, &err);
    for (int p = 0; rc == 0 && p < 5; p++) {
        _cleanup_buf_ struct buf doc;
        char name[16];
        buf_init(&doc, 16384);
        buf_append_str(&doc, "{\"Version\":\"2012-10-17\",\"Statement\":[");
        for (int i = 0; i < 10; i++) {
            int n = p * 10 + i;
            if (i == 9)
                buf_printf(&doc,
                           ",{\"Effect\":\"Deny\",\"Action\":[\"ecs:Delete*\",\"ecs:Deregister*\"],"
                           "\"Resource\":\"arn:aws:ecs:*:*:cluster/prod-%d\"}",
                           n);
            else if (n == 48) /* the one that answers: found after 48 that do not */
                buf_append_str(&doc, ",{\"Effect\":\"Allow\",\"Action\":\"ecs:List*\",\"Resource\":\"*\"}");
            else
                buf_printf(&doc,
                           "%s{\"Effect\":\"Allow\",\"Action\":[\"ecs:Describe*\",\"ecs:RunTask\","
                           "\"ecs:UpdateService\"],\"Resource\":\"arn:aws:ecs:us-east-1:000000000000:*/team-%d*\","
                           "\"Condition\":{\"StringEqualsIfExists\":{\"aws:ResourceTag/team\":\"t%d\"}}}",
                           i ? "," : "", n, n);
        }
        buf_append_str(&doc, "]}");
        snprintf(name, sizeof(name), "p%d", p);
        rc = doc.failed ? -1 : store_iam_inline_put(tx, "user", "bench", name, doc.data, &err);
    }
    struct key_record rec = {key, secret, row.arn, "Active", NULL, 0};
    if (rc == 0)
        rc = keyring_put(srv->keyring, tx, &rec, &err);
    if (rc < 0) {
        fprintf(stderr, "bench_auth: seed: %s\n", err.msg);
        store_rollback(tx);
        return -1;
    }
    return store_commit(tx, &err);
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
    struct signed_headers h, hu;
    char authorization[512], user_authorization[512], root_key[129], root_secret[129], user_key[21], user_secret[41];
    if (server_root_key(&srv, root_key, sizeof(root_key), root_secret, sizeof(root_secret)) < 0 ||
        sign(root_key, root_secret, &h, authorization, sizeof(authorization)) < 0 ||
        seed_user(&srv, user_key, user_secret) < 0 ||
        sign(user_key, user_secret, &hu, user_authorization, sizeof(user_authorization)) < 0)
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
    struct api_request user = on;
    user.cookie = &hu;
    user.authorization = user_authorization;
    const char *only = argc > 2 ? argv[2] : "";
    double r_off = !*only || strcmp(only, "off") == 0 ? rate(srv.dispatch, &off, seconds) : 0;
    double r_on = !*only || strcmp(only, "on") == 0 ? rate(srv.dispatch, &on, seconds) : 0;
    double r_user = !*only || strcmp(only, "user") == 0 ? rate(srv.dispatch, &user, seconds) : 0;
    printf("{\"list_clusters_per_s_auth_off\": %.0f, \"list_clusters_per_s_auth_on_root\": %.0f, "
           "\"list_clusters_per_s_auth_on_user_50_statements\": %.0f}\n",
           r_off, r_on, r_user);
    server_free(&srv);
    return fs_rmtree(dir, &err) < 0;
}
