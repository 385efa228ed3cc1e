/* api_load.c - an HTTP load generator for the AWS JSON protocol, cheap
 * enough per request that the server, not the client, is what a run
 * measures: one keep-alive connection per client thread, each request
 * SigV4-signed once before the clock starts (bench_auth does the same), the
 * answer read by its Content-Length and thrown away.  Python clients spend
 * ~0.3 ms of CPU per request on this 2-core machine, as much as the server.
 *
 *   api_load HOST PORT SECONDS CLIENTS SERVICE TARGET BODY [TARGET BODY ...]
 *
 * Each client goes round the TARGET/BODY pairs in order; "{client}" in a
 * BODY becomes the client's number.  The first pair is also sent once by
 * every client before the clock starts, so reads find what it creates.
 * Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, the
 * region from AWS_DEFAULT_REGION (us-east-1).  Prints JSON on stdout:
 * requests, seconds, errors (answers other than 200), the first error, and
 * every request's latency in microseconds by target.  Asserts nothing. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/sigv4.h"

enum { MAX_PAIRS = 16, RESP_CAP = 1 << 16 };

struct pair {
    const char *target;
    const char *body; /* with {client} */
};

struct request {
    char *bytes; /* the whole HTTP request, signed */
    size_t len;
};

struct client {
    pthread_t thread;
    int id;
    int fd;
    struct request req[MAX_PAIRS];
    uint32_t *lat[MAX_PAIRS]; /* microseconds */
    size_t n_lat[MAX_PAIRS], cap_lat[MAX_PAIRS];
    long errors;
    char first_error[512];
    char *resp; /* RESP_CAP bytes */
};

static const char *host;
static int port;
static double seconds;
static int n_pairs;
static struct pair pairs[MAX_PAIRS];
static pthread_barrier_t start_line;
static double end_time;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct sign_headers {
    const char *target, *amz_date, *host;
};

static const char *sign_header(void *cookie, const char *lname)
{
    const struct sign_headers *h = cookie;
    if (strcmp(lname, "x-amz-target") == 0)
        return h->target;
    if (strcmp(lname, "x-amz-date") == 0)
        return h->amz_date;
    if (strcmp(lname, "host") == 0)
        return h->host;
    if (strcmp(lname, "content-type") == 0)
        return "application/x-amz-json-1.1";
    return NULL;
}

/* body with every "{client}" replaced by id (malloc'd). */
static char *client_body(const char *body, int id)
{
    size_t cap = strlen(body) * 2 + 64, o = 0;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    for (const char *p = body; *p;) {
        if (strncmp(p, "{client}", 8) == 0) {
            o += (size_t)snprintf(out + o, cap - o, "%d", id);
            p += 8;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = 0;
    return out;
}

static int build_request(struct request *r, const struct pair *pr, int id, const char *service)
{
    const char *key = getenv("AWS_ACCESS_KEY_ID"), *secret = getenv("AWS_SECRET_ACCESS_KEY");
    const char *region = getenv("AWS_DEFAULT_REGION") ? getenv("AWS_DEFAULT_REGION") : "us-east-1";
    char *body = client_body(pr->body, id);
    if (!body)
        return -1;
    char hosthdr[300], amz_date[17], date[9], hash[65], sig[65] = "", auth[600] = "";
    snprintf(hosthdr, sizeof(hosthdr), "%s:%d", host, port);
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(amz_date, sizeof(amz_date), "%Y%m%dT%H%M%SZ", &tm);
    snprintf(date, sizeof(date), "%.8s", amz_date);
    sigv4_sha256_hex(body, strlen(body), hash);
    if (key && secret) {
        const char *signed_list = "content-type;host;x-amz-date;x-amz-target";
        struct sign_headers h = {pr->target, amz_date, hosthdr};
        struct sigv4_request sr = {"POST", "/", NULL, sign_header, &h, hash};
        struct error err;
        if (sigv4_signature(&sr, signed_list, false, secret, amz_date, date, region, service, sig, &err) < 0) {
            fprintf(stderr, "api_load: signing: %s\n", err.msg);
            free(body);
            return -1;
        }
        snprintf(auth, sizeof(auth),
                 "Authorization: AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, SignedHeaders=%s, "
                 "Signature=%s\r\n",
                 key, date, region, service, signed_list, sig);
    }
    size_t blen = strlen(body);
    size_t cap = blen + 1200;
    r->bytes = malloc(cap);
    if (!r->bytes) {
        free(body);
        return -1;
    }
    int n = snprintf(r->bytes, cap,
                     "POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-amz-json-1.1\r\n"
                     "X-Amz-Target: %s\r\nX-Amz-Date: %s\r\n%sContent-Length: %zu\r\n\r\n%s",
                     hosthdr, pr->target, amz_date, auth, blen, body);
    free(body);
    if (n < 0 || (size_t)n >= cap)
        return -1;
    r->len = (size_t)n;
    return 0;
}

static int connect_server(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* One answer read off fd: its status, whether the server will close, and
 * the start of its body (for an error message).  -1 on a broken
 * connection.  Bodies longer than the buffer are read through it. */
static int read_answer(struct client *c, int *status, int *closing, size_t *body_start)
{
    size_t have = 0;
    char *end = NULL;
    while (!end) {
        if (have == RESP_CAP - 1)
            return -1;
        ssize_t r = recv(c->fd, c->resp + have, RESP_CAP - 1 - have, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        have += (size_t)r;
        c->resp[have] = 0;
        end = strstr(c->resp, "\r\n\r\n");
    }
    size_t head = (size_t)(end - c->resp) + 4;
    *status = (int)strtol(c->resp + 9, NULL, 10);
    *closing = 0;
    long long clen = -1;
    for (char *line = strstr(c->resp, "\r\n") + 2; line < end;) {
        char *eol = strstr(line, "\r\n");
        *eol = 0;
        if (strncasecmp(line, "content-length:", 15) == 0)
            clen = strtoll(line + 15, NULL, 10);
        else if (strncasecmp(line, "connection:", 11) == 0 && strcasestr(line, "close"))
            *closing = 1;
        *eol = '\r';
        line = eol + 2;
    }
    *body_start = head;
    if (clen < 0) { /* no length: the body ends with the connection */
        *closing = 1;
        for (;;) {
            ssize_t r = recv(c->fd, c->resp, RESP_CAP - 1, 0);
            if (r <= 0)
                return 0;
        }
    }
    long long left = clen - (long long)(have - head);
    while (left > 0) {
        size_t room = have < RESP_CAP - 1 ? RESP_CAP - 1 - have : 0;
        if (!room) { /* keep the head for the error message, reuse the rest */
            have = head + (RESP_CAP - 1 - head) / 2;
            room = RESP_CAP - 1 - have;
        }
        ssize_t r = recv(c->fd, c->resp + have, (size_t)left < room ? (size_t)left : room, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        have += (size_t)r;
        left -= r;
    }
    c->resp[have] = 0;
    return 0;
}

/* Send request k and read its answer, reconnecting once if the kept-alive
 * connection was closed under us. */
static int round_trip(struct client *c, int k)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        if (c->fd < 0 && (c->fd = connect_server()) < 0)
            return -1;
        int status, closing;
        size_t body;
        if (write_all(c->fd, c->req[k].bytes, c->req[k].len) == 0 && read_answer(c, &status, &closing, &body) == 0) {
            if (closing) {
                close(c->fd);
                c->fd = -1;
            }
            if (status != 200) {
                if (!c->errors++)
                    snprintf(c->first_error, sizeof(c->first_error), "%s: HTTP %d %.300s", pairs[k].target, status,
                             c->resp + body);
            }
            return 0;
        }
        close(c->fd);
        c->fd = -1;
    }
    return -1;
}

static void *client_main(void *arg)
{
    struct client *c = arg;
    c->fd = -1;
    if (round_trip(c, 0) < 0)
        fprintf(stderr, "api_load: client %d: setup request failed\n", c->id);
    c->errors = 0;
    c->first_error[0] = 0;
    pthread_barrier_wait(&start_line);
    for (int k = 0;; k = (k + 1) % n_pairs) {
        double t0 = now();
        if (t0 >= end_time)
            break;
        if (round_trip(c, k) < 0) {
            if (!c->errors++)
                snprintf(c->first_error, sizeof(c->first_error), "%s: connection failed", pairs[k].target);
            usleep(1000);
            continue;
        }
        double t1 = now();
        if (t1 > end_time)
            break;
        if (c->n_lat[k] == c->cap_lat[k]) {
            size_t cap = c->cap_lat[k] ? c->cap_lat[k] * 2 : 4096;
            uint32_t *p = realloc(c->lat[k], cap * sizeof(*p));
            if (!p)
                break;
            c->lat[k] = p;
            c->cap_lat[k] = cap;
        }
        c->lat[k][c->n_lat[k]++] = (uint32_t)((t1 - t0) * 1e6);
    }
    if (c->fd >= 0)
        close(c->fd);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 8 || (argc - 6) % 2) {
        fprintf(stderr, "usage: api_load HOST PORT SECONDS CLIENTS SERVICE TARGET BODY [TARGET BODY ...]\n");
        return 2;
    }
    host = argv[1];
    port = (int)strtol(argv[2], NULL, 10);
    seconds = strtod(argv[3], NULL);
    int n_clients = (int)strtol(argv[4], NULL, 10);
    const char *service = argv[5];
    for (int a = 6; a + 1 < argc && n_pairs < MAX_PAIRS; a += 2)
        pairs[n_pairs++] = (struct pair){argv[a], argv[a + 1]};
    if (n_clients < 1 || n_clients > 256 || !(seconds > 0) || port < 1 || port > 65535) {
        fprintf(stderr, "api_load: a port, seconds > 0, 1..256 clients\n");
        return 2;
    }
    struct client *cs = calloc((size_t)n_clients, sizeof(*cs));
    if (!cs)
        return 1;
    for (int i = 0; i < n_clients; i++) {
        cs[i].id = i;
        cs[i].resp = malloc(RESP_CAP);
        if (!cs[i].resp)
            return 1;
        for (int k = 0; k < n_pairs; k++)
            if (build_request(&cs[i].req[k], &pairs[k], i, service) < 0)
                return 1;
    }
    pthread_barrier_init(&start_line, NULL, (unsigned)n_clients + 1);
    end_time = 1e18;
    for (int i = 0; i < n_clients; i++)
        pthread_create(&cs[i].thread, NULL, client_main, &cs[i]);
    end_time = now() + seconds; /* set before the barrier releases the clients */
    pthread_barrier_wait(&start_line);
    for (int i = 0; i < n_clients; i++)
        pthread_join(cs[i].thread, NULL);
    long total = 0, errors = 0;
    const char *first_error = "";
    for (int i = 0; i < n_clients; i++) {
        for (int k = 0; k < n_pairs; k++)
            total += (long)cs[i].n_lat[k];
        errors += cs[i].errors;
        if (!*first_error && cs[i].first_error[0])
            first_error = cs[i].first_error;
    }
    printf("{\"seconds\": %.3f, \"clients\": %d, \"requests\": %ld, \"errors\": %ld, \"first_error\": \"", seconds,
           n_clients, total, errors);
    for (const char *p = first_error; *p; p++)
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if ((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f)
            putchar(*p);
    printf("\", \"latency_us\": {");
    for (int k = 0; k < n_pairs; k++) {
        const char *dot = strrchr(pairs[k].target, '.');
        printf("%s\"%s\": [", k ? ", " : "", dot ? dot + 1 : pairs[k].target);
        int first = 1;
        for (int i = 0; i < n_clients; i++)
            for (size_t j = 0; j < cs[i].n_lat[k]; j++, first = 0)
                printf("%s%u", first ? "" : ",", cs[i].lat[k][j]);
        printf("]");
    }
    printf("}}\n");
    return 0;
}
