/* prometheus.c - the /metrics exposition (see prometheus.h). */
#include "server/stats/prometheus.h"

#include <ctype.h>
#include <dirent.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "server/stats/server_stats.h"
#include "server/store/store_clusters.h"
#include "server/store/store_stats.h"

#define TOKEN_FILE "metrics.token"
#define TOKEN_BYTES 32
/* CloudWatch series exported: those put in the last 5 minutes, at most
 * this many per namespace (a scrape stays cheap however many exist). */
#define SERIES_WINDOW_MS (5 * 60 * 1000)
#define SERIES_MAX 5000
/* Bound of one family's lines or one sample's pieces. */
#define PROMETHEUS_LINE_MAX (16u << 20)

struct prometheus {
    struct store *store;
    char token[2 * TOKEN_BYTES + 1]; /* "": no auth */
};

static int load_token(const char *dir, char *out, size_t cap, struct error *err)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/%s", dir, TOKEN_FILE);
    _cleanup_free_ char *data = NULL;
    size_t len = 0;
    if (access(path, F_OK) == 0) {
        if (fs_read_file(path, 1024, &data, &len, err) < 0)
            return error_prefix(err, "metrics token");
        while (len && isspace((unsigned char)data[len - 1]))
            data[--len] = '\0';
        if (len < 16 || len >= cap)
            return error_set(err, ERR_INVALID, "metrics token %s: must be 16 to %zu characters", path, cap - 1);
        memcpy(out, data, len + 1);
        return 0;
    }
    if (ids_random_hex(out, TOKEN_BYTES) < 0)
        return error_set(err, ERR_INTERNAL, "metrics token: no randomness");
    char line[2 * TOKEN_BYTES + 2];
    int n = snprintf(line, sizeof(line), "%s\n", out);
    return fs_write_private(dir, TOKEN_FILE, line, (size_t)n, err);
}

int prometheus_new(struct store *store, const char *token_dir, struct prometheus **ret, struct error *err)
{
    struct prometheus *p = calloc(1, sizeof(*p));
    if (!p)
        return error_set(err, ERR_INTERNAL, "out of memory");
    p->store = store;
    if (token_dir && load_token(token_dir, p->token, sizeof(p->token), err) < 0) {
        free(p);
        return -1;
    }
    *ret = p;
    return 0;
}

void prometheus_free(struct prometheus *p)
{
    if (!p)
        return;
    OPENSSL_cleanse(p->token, sizeof(p->token));
    free(p);
}

bool prometheus_authorized(const struct prometheus *p, const char *authorization)
{
    if (!p->token[0])
        return true;
    if (!authorization || strncasecmp(authorization, "Bearer ", 7) != 0)
        return false;
    const char *given = authorization + 7;
    size_t n = strlen(p->token);
    return strlen(given) == n && CRYPTO_memcmp(given, p->token, n) == 0;
}

/* A label value, escaped as the format wants (\\, \", \n). */
static void put_label(struct buf *out, const char *name, const char *value)
{
    buf_printf(out, "%s=\"", name);
    for (const char *c = value ? value : ""; *c; c++) {
        if (*c == '\\' || *c == '"')
            buf_printf(out, "\\%c", *c);
        else if (*c == '\n')
            buf_append_str(out, "\\n");
        else
            buf_append_char(out, *c);
    }
    buf_append_char(out, '"');
}

/* A metric or label name from anything: [a-zA-Z0-9_], lower case, and
 * CamelCase split with '_' (ClusterName -> cluster_name). */
static void put_name(struct buf *out, const char *s)
{
    for (const char *c = s; *c; c++) {
        unsigned char u = (unsigned char)*c;
        if (isupper(u) && c != s && islower((unsigned char)c[-1]))
            buf_append_char(out, '_');
        buf_append_char(out, isalnum(u) ? (char)tolower(u) : '_');
    }
}

static void family(struct buf *out, const char *name, const char *type, const char *help)
{
    buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void render_requests(struct buf *out)
{
    struct server_stats_row *rows = NULL;
    size_t n = 0;
    if (server_stats_requests(&rows, &n) < 0)
        return;
    family(out, "berth_api_requests_total", "counter", "API requests answered, by service, action and status class.");
    for (size_t i = 0; i < n; i++) {
        buf_append_str(out, "berth_api_requests_total{");
        put_label(out, "service", rows[i].service);
        buf_append_char(out, ',');
        put_label(out, "action", rows[i].action);
        buf_printf(out, ",code=\"%dxx\"} %llu\n", rows[i].status_class, (unsigned long long)rows[i].count);
    }
    family(out, "berth_api_request_duration_seconds", "histogram",
           "Time from a request's arrival to its answer, commit included.");
    for (size_t i = 0; i < n; i++) {
        struct buf labels;
        buf_init(&labels, PROMETHEUS_LINE_MAX);
        put_label(&labels, "service", rows[i].service);
        buf_append_char(&labels, ',');
        put_label(&labels, "action", rows[i].action);
        buf_printf(&labels, ",code=\"%dxx\"", rows[i].status_class);
        const char *l = labels.data ? labels.data : "";
        for (size_t b = 0; b < SERVER_STATS_NBUCKETS; b++) {
            if (b == SERVER_STATS_NBUCKETS - 1)
                buf_printf(out, "berth_api_request_duration_seconds_bucket{%s,le=\"+Inf\"} %llu\n", l,
                           (unsigned long long)rows[i].buckets[b]);
            else
                buf_printf(out, "berth_api_request_duration_seconds_bucket{%s,le=\"%g\"} %llu\n", l,
                           server_stats_buckets[b], (unsigned long long)rows[i].buckets[b]);
        }
        buf_printf(out, "berth_api_request_duration_seconds_sum{%s} %.6f\n", l, rows[i].seconds_sum);
        buf_printf(out, "berth_api_request_duration_seconds_count{%s} %llu\n", l, (unsigned long long)rows[i].count);
        buf_free(&labels);
    }
    free(rows);
}

static void render_counters(struct buf *out)
{
    static const struct {
        enum server_stat which;
        const char *name, *help;
    } counters[] = {
        {STAT_SCHEDULER_PASSES, "berth_scheduler_passes_total", "Service scheduler passes over every live service."},
        {STAT_TASKS_PLACED, "berth_tasks_placed_total", "Tasks the placement engine put on a container instance."},
        {STAT_PLACEMENT_MISSES, "berth_placement_misses_total", "Tasks the placement engine could not place."},
        {STAT_COMMITS, "berth_api_commits_total", "Write transactions the API committed (each durable)."},
        {STAT_TX_RETRIES, "berth_api_tx_retries_total",
         "API transactions run again after another server's made them fail a serialization check (PostgreSQL)."},
    };
    for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
        family(out, counters[i].name, "counter", counters[i].help);
        buf_printf(out, "%s %llu\n", counters[i].name, (unsigned long long)server_stats_get(counters[i].which));
    }
}

/* ---- clusters, from the store ------------------------------------------ */

struct cluster_gauges {
    struct store_tx *tx;
    struct buf lines[4]; /* one per family, so each family's samples stay together */
};

static const char *const cluster_families[4][2] = {
    {"berth_cluster_container_instances", "Registered container instances (DescribeClusters)."},
    {"berth_cluster_running_tasks", "Tasks RUNNING (DescribeClusters runningTasksCount)."},
    {"berth_cluster_pending_tasks", "Tasks PENDING (DescribeClusters pendingTasksCount)."},
    {"berth_cluster_active_services", "ACTIVE services (DescribeClusters activeServicesCount)."},
};

static int one_cluster(const char *region, const char *name, int64_t id, void *ud, struct error *err)
{
    struct cluster_gauges *g = ud;
    struct cluster_counts c;
    if (store_cluster_counts(g->tx, id, &c, err) < 0)
        return -1;
    const int64_t values[4] = {c.registered_instances, c.running_tasks, c.pending_tasks, c.active_services};
    for (size_t i = 0; i < 4; i++) {
        buf_printf(&g->lines[i], "%s{", cluster_families[i][0]);
        put_label(&g->lines[i], "region", region);
        buf_append_char(&g->lines[i], ',');
        put_label(&g->lines[i], "cluster", name);
        buf_printf(&g->lines[i], "} %lld\n", (long long)values[i]);
    }
    return 0;
}

static int render_clusters(struct store_tx *tx, struct buf *out, struct error *err)
{
    struct cluster_gauges g = {.tx = tx};
    for (size_t i = 0; i < 4; i++)
        buf_init(&g.lines[i], PROMETHEUS_LINE_MAX);
    int r = store_stats_clusters_each(tx, one_cluster, &g, err);
    for (size_t i = 0; i < 4; i++) {
        if (r == 0) {
            family(out, cluster_families[i][0], "gauge", cluster_families[i][1]);
            if (g.lines[i].len)
                buf_append(out, g.lines[i].data, g.lines[i].len);
        }
        buf_free(&g.lines[i]);
    }
    return r;
}

/* ---- CloudWatch series -------------------------------------------------- */

/* Family name -> string of its sample lines, so that samples of one family
 * come together whatever order the store gives them in. */
struct series {
    json_t *families;
};

static int one_series(const struct store_stats_latest *m, void *ud, struct error *err)
{
    struct series *s = ud;
    struct buf name, line;
    buf_init(&name, PROMETHEUS_LINE_MAX);
    buf_init(&line, PROMETHEUS_LINE_MAX);
    put_name(&name, m->ns);
    buf_append_char(&name, '_');
    put_name(&name, m->name);
    buf_append_str(&name, "_average");
    buf_printf(&line, "%s{", name.data ? name.data : "");
    put_label(&line, "region", m->region);
    json_error_t jerr;
    _cleanup_json_ json_t *dims = json_loads(m->dims ? m->dims : "[]", 0, &jerr);
    size_t i;
    json_t *d;
    json_array_foreach(dims, i, d) {
        struct buf label;
        buf_init(&label, PROMETHEUS_LINE_MAX);
        /* Canonical dimensions are [name, value] pairs (cw_metric.c). */
        put_name(&label, json_string_value(json_array_get(d, 0)) ?: "dimension");
        buf_append_char(&line, ',');
        put_label(&line, label.data ? label.data : "dimension", json_string_value(json_array_get(d, 1)));
        buf_free(&label);
    }
    double value = m->count > 0 ? m->sum / m->count : 0;
    buf_printf(&line, "} %.17g %lld\n", value, (long long)m->at_ms);
    int r = 0;
    if (!name.data || !line.data) {
        r = error_set(err, ERR_INTERNAL, "out of memory");
    } else {
        const char *had = json_string_value(json_object_get(s->families, name.data));
        struct buf joined;
        buf_init(&joined, PROMETHEUS_LINE_MAX);
        buf_printf(&joined, "%s%s", had ? had : "", line.data);
        if (!joined.data || json_object_set_new(s->families, name.data, json_string(joined.data)) < 0)
            r = error_set(err, ERR_INTERNAL, "out of memory");
        buf_free(&joined);
    }
    buf_free(&name);
    buf_free(&line);
    return r;
}

static int render_series(struct store_tx *tx, struct buf *out, struct error *err)
{
    static const char *const namespaces[] = {"AWS/ECS", "ECS/ContainerInsights"};
    struct series s = {json_object()};
    if (!s.families)
        return error_set(err, ERR_INTERNAL, "out of memory");
    int64_t since = time_now() / 1000 - SERIES_WINDOW_MS;
    int r = 0;
    for (size_t i = 0; r == 0 && i < sizeof(namespaces) / sizeof(namespaces[0]); i++)
        r = store_stats_latest_each(tx, namespaces[i], since, SERIES_MAX, one_series, &s, err);
    const char *name;
    json_t *lines;
    json_object_foreach(s.families, name, lines) {
        family(out, name, "gauge", "The latest 1-minute average CloudWatch holds for this series.");
        buf_append_str(out, json_string_value(lines));
    }
    json_decref(s.families);
    return r;
}

/* ---- the process -------------------------------------------------------- */

static void render_process(struct buf *out)
{
    long ticks = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
    _cleanup_free_ char *stat = NULL;
    size_t len = 0;
    struct error err;
    if (fs_read_file("/proc/self/stat", 4096, &stat, &len, &err) == 0 && ticks > 0) {
        /* Fields after the command (which may hold spaces): from the last ')'. */
        const char *p = strrchr(stat, ')');
        unsigned long long utime = 0, stime = 0, start = 0;
        long long rss = 0;
        if (p &&
            sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %llu %*u %lld",
                   &utime, &stime, &start, &rss) == 4) {
            family(out, "process_cpu_seconds_total", "counter", "User and system CPU time spent, in seconds.");
            buf_printf(out, "process_cpu_seconds_total %.2f\n", (double)(utime + stime) / (double)ticks);
            family(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
            buf_printf(out, "process_resident_memory_bytes %lld\n", rss * page);
        }
    }
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        long n = 0;
        for (struct dirent *e; (e = readdir(d));)
            n += e->d_name[0] != '.';
        closedir(d);
        family(out, "process_open_fds", "gauge", "Open file descriptors.");
        buf_printf(out, "process_open_fds %ld\n", n - 1); /* not the one reading the directory */
    }
}

int prometheus_render(struct prometheus *p, struct buf *out, struct error *err)
{
    render_requests(out);
    render_counters(out);
    struct store_tx *tx = NULL;
    if (store_begin(p->store, false, &tx, err) < 0)
        return -1;
    int r = render_clusters(tx, out, err);
    if (r == 0)
        r = render_series(tx, out, err);
    store_rollback(tx);
    render_process(out);
    if (r == 0 && !out->data)
        r = error_set(err, ERR_INTERNAL, "out of memory");
    return r;
}

void prometheus_serve(void *ud, const char *authorization, unsigned *ret_status, const char **ret_type, struct buf *out)
{
    struct prometheus *p = ud;
    *ret_type = "text/plain; charset=utf-8";
    if (!prometheus_authorized(p, authorization)) {
        *ret_status = 401;
        buf_append_str(out, "401 Unauthorized: send Authorization: Bearer with the token in DATA/metrics.token\n");
        return;
    }
    struct error err;
    error_clear(&err);
    if (prometheus_render(p, out, &err) < 0) {
        log_warn("metrics: %s", err.msg);
        buf_reset(out);
        *ret_status = 500;
        buf_printf(out, "500 metrics unavailable: %s\n", err.msg);
        return;
    }
    *ret_status = 200;
    *ret_type = "text/plain; version=0.0.4; charset=utf-8";
}
