/* elb_metrics.c - AWS/ApplicationELB metrics (see elb_metrics.h).
 *
 * From each "show stat": the frontends' (l_*) req_tot is the load
 * balancer's RequestCount; a target group's backend (tg_<id>) gives its
 * requests (req_tot), its targets' 5xx answers (hrsp_5xx of the server
 * rows: HAProxy's own 503s are not the targets'), the average response
 * time (rtime, ms, over the last requests) and the servers UP.  Deltas
 * since the previous sample accumulate until the flush writes them:
 *   RequestCount by LoadBalancer; and by LoadBalancer + TargetGroup, with
 *   RequestCountPerTarget (requests / healthy targets, also by TargetGroup
 *   alone), HTTPCode_Target_5XX_Count and TargetResponseTime (seconds),
 * only when there were requests, as ELB publishes (5XX also when a sample
 * has answers whose requests an earlier one counted).  Network load
 * balancers (loadbalancer/net/...) publish nothing. */
#include "server/elbv2/elb_metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/store/store.h"
#include "server/store/store_elb.h"
#include "server/store/store_metrics.h"

#define ELB_NAMESPACE "AWS/ApplicationELB"
#define CSV_FIELDS 128

struct elb_metrics {
    json_t *prev;    /* {lb arn: {counter key: value}} */
    json_t *pending; /* {lb arn: {"req": n, "tg": {tg id: {"req", "5xx", "rtime", "up"}}}} */
};

struct elb_metrics *elb_metrics_new(void)
{
    struct elb_metrics *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->prev = json_object();
    m->pending = json_object();
    if (!m->prev || !m->pending) {
        elb_metrics_free(m);
        return NULL;
    }
    return m;
}

void elb_metrics_free(struct elb_metrics *m)
{
    if (!m)
        return;
    json_decref(m->prev);
    json_decref(m->pending);
    free(m);
}

/* How far counter `key` moved since the last sample, prev (all of it
 * after a reload reset it); its value goes into next, so counters of
 * servers gone since are dropped rather than kept forever. */
static double moved(json_t *prev, json_t *next, const char *key, double now)
{
    json_t *p = json_object_get(prev, key);
    double d = p && json_number_value(p) <= now ? now - json_number_value(p) : now;
    json_object_set_new(next, key, json_real(now));
    return d;
}

static void add(json_t *o, const char *key, double v)
{
    json_object_set_new(o, key, json_real(json_number_value(json_object_get(o, key)) + v));
}

static json_t *child(json_t *o, const char *key)
{
    json_t *c = json_object_get(o, key);
    if (!c && json_object_set_new(o, key, c = json_object()) < 0)
        return NULL; /* jansson freed it; NULL is safe to pass on */
    return c;
}

struct columns {
    int px, sv, status, req, h5xx, rtime;
};

static void header(char *line, struct columns *c)
{
    *c = (struct columns){-1, -1, -1, -1, -1, -1};
    char *save = NULL;
    int col = 0;
    for (char *h = strtok_r(line + 2, ",", &save); h; h = strtok_r(NULL, ",", &save), col++) {
        int *slot = strcmp(h, "pxname") == 0     ? &c->px
                    : strcmp(h, "svname") == 0   ? &c->sv
                    : strcmp(h, "status") == 0   ? &c->status
                    : strcmp(h, "req_tot") == 0  ? &c->req
                    : strcmp(h, "hrsp_5xx") == 0 ? &c->h5xx
                    : strcmp(h, "rtime") == 0    ? &c->rtime
                                                 : NULL;
        if (slot)
            *slot = col;
    }
}

static const char *field(char **f, size_t n, int i) { return i >= 0 && (size_t)i < n ? f[i] : ""; }

static void row(const struct columns *c, char **f, size_t n, json_t *prev, json_t *next, json_t *lb)
{
    const char *px = field(f, n, c->px), *sv = field(f, n, c->sv);
    char key[600];
    if (strncmp(px, "l_", 2) == 0 && strcmp(sv, "FRONTEND") == 0) {
        snprintf(key, sizeof(key), "%s/req", px);
        add(lb, "req", moved(prev, next, key, strtod(field(f, n, c->req), NULL)));
        return;
    }
    if (strncmp(px, "tg_", 3) != 0 || !px[3])
        return;
    json_t *tg = child(child(lb, "tg"), px + 3);
    if (strcmp(sv, "BACKEND") == 0) {
        snprintf(key, sizeof(key), "%s/req", px);
        add(tg, "req", moved(prev, next, key, strtod(field(f, n, c->req), NULL)));
        json_object_set_new(tg, "rtime", json_real(strtod(field(f, n, c->rtime), NULL)));
        return;
    }
    snprintf(key, sizeof(key), "%s/%s/5xx", px, sv);
    add(tg, "5xx", moved(prev, next, key, strtod(field(f, n, c->h5xx), NULL)));
    if (strncmp(field(f, n, c->status), "UP", 2) == 0)
        add(tg, "up_now", 1);
}

void elb_metrics_sample(struct elb_metrics *m, const char *lb_arn, const char *csv)
{
    if (!m || !lb_arn || strstr(lb_arn, ":loadbalancer/net/"))
        return;
    _cleanup_free_ char *text = strdup(csv);
    if (!text)
        return;
    char *save = NULL, *line = strtok_r(text, "\n", &save);
    if (!line || strncmp(line, "# ", 2) != 0)
        return;
    struct columns c;
    header(line, &c);
    json_t *prev = json_object_get(m->prev, lb_arn), *lb = child(m->pending, lb_arn);
    json_t *next = json_object();
    json_object_set_new(next, "seen", json_true());
    json_t *tgs = child(lb, "tg");
    const char *k;
    json_t *v;
    json_object_foreach(tgs, k, v) {
        json_object_del(v, "up_now");
    }
    while ((line = strtok_r(NULL, "\n", &save))) {
        char *f[CSV_FIELDS];
        size_t n = 0;
        for (char *p = line; n < CSV_FIELDS;) {
            f[n++] = p;
            char *comma = strchr(p, ',');
            if (!comma)
                break;
            *comma = '\0';
            p = comma + 1;
        }
        row(&c, f, n, prev, next, lb);
    }
    json_object_set_new(m->prev, lb_arn, next);
    json_object_foreach(tgs, k, v) {
        json_object_set_new(v, "up", json_real(json_number_value(json_object_get(v, "up_now"))));
    }
}

/* "app/name/id" from an ARN's "...:loadbalancer/app/name/id", or
 * "targetgroup/name/id" from "...:targetgroup/name/id". */
static const char *dim_of(const char *arn, const char *marker)
{
    const char *p = arn ? strstr(arn, marker) : NULL;
    return p ? p + (strcmp(marker, ":loadbalancer/") == 0 ? strlen(marker) : 1) : NULL;
}

struct writer {
    struct store_tx *tx;
    char region[64];
    int64_t at_ms, now_ms;
};

static int put(struct writer *w, const char *name, const char *lb, const char *tg, const char *unit, double v,
               struct error *err)
{
    _cleanup_json_ json_t *dims = lb && tg ? json_pack("[[ss][ss]]", "LoadBalancer", lb, "TargetGroup", tg)
                                  : lb     ? json_pack("[[ss]]", "LoadBalancer", lb)
                                           : json_pack("[[ss]]", "TargetGroup", tg);
    _cleanup_free_ char *text = dims ? json_dumps(dims, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    if (!text)
        return error_set(err, ERR_INTERNAL, "out of memory");
    int64_t id;
    struct store_metric_point p = {.at_ms = w->at_ms, .unit = unit, .count = 1, .sum = v, .min = v, .max = v};
    if (store_metric_touch(w->tx, w->region, ELB_NAMESPACE, name, text, w->now_ms, &id, err) < 0)
        return -1;
    return store_metric_point_add(w->tx, id, &p, err);
}

/* The target group whose ARN ends in /id (ud: {"id", "arn"}). */
static int find_tg(json_t *doc, void *ud, struct error *err)
{
    (void)err;
    const char *arn = json_string_value(json_object_get(doc, "TargetGroupArn"));
    const char *id = json_string_value(json_object_get(ud, "id"));
    const char *slash = arn ? strrchr(arn, '/') : NULL;
    if (slash && id && strcmp(slash + 1, id) == 0) {
        json_object_set_new(ud, "arn", json_string(arn));
        return 1;
    }
    return 0;
}

static int write_tg(struct writer *w, const char *lb, const char *tg_id, json_t *t, struct error *err)
{
    double req = json_number_value(json_object_get(t, "req"));
    double up = json_number_value(json_object_get(t, "up"));
    double x5 = json_number_value(json_object_get(t, "5xx"));
    if (req <= 0 && x5 <= 0)
        return 0;
    _cleanup_json_ json_t *q = json_pack("{s:s}", "id", tg_id);
    if (!q || store_elb_each(w->tx, STORE_ELB_TG, w->region, NULL, NULL, find_tg, q, err) < 0)
        return q ? -1 : error_set(err, ERR_INTERNAL, "out of memory");
    const char *tg = dim_of(json_string_value(json_object_get(q, "arn")), ":targetgroup/");
    if (!tg)
        return 0; /* deleted meanwhile */
    if (put(w, "HTTPCode_Target_5XX_Count", lb, tg, "Count", x5, err) < 0)
        return -1;
    if (req <= 0)
        return 0; /* answers counted here, their requests by an earlier sample */
    double per = req / (up > 0 ? up : 1);
    if (put(w, "RequestCount", lb, tg, "Count", req, err) < 0 ||
        put(w, "RequestCountPerTarget", lb, tg, "Count", per, err) < 0 ||
        put(w, "RequestCountPerTarget", NULL, tg, "Count", per, err) < 0 ||
        put(w, "TargetResponseTime", lb, tg, "Seconds", json_number_value(json_object_get(t, "rtime")) / 1000.0, err) <
            0)
        return -1;
    return 0;
}

static int write_lb(struct writer *w, const char *arn, json_t *lb, struct error *err)
{
    const char *name = dim_of(arn, ":loadbalancer/");
    const char *p = arn;
    for (int i = 0; p && i < 3; i++) /* arn:aws:elasticloadbalancing:REGION: */
        p = strchr(p, ':') ? strchr(p, ':') + 1 : NULL;
    const char *end = p ? strchr(p, ':') : NULL;
    if (!name || !end || (size_t)(end - p) >= sizeof(w->region))
        return 0;
    snprintf(w->region, sizeof(w->region), "%.*s", (int)(end - p), p);
    double req = json_number_value(json_object_get(lb, "req")), all5xx = 0;
    const char *k;
    json_t *t;
    json_object_foreach(json_object_get(lb, "tg"), k, t) {
        if (write_tg(w, name, k, t, err) < 0)
            return -1;
        all5xx += json_number_value(json_object_get(t, "5xx"));
    }
    /* The frontend counts a request when it arrives, the target's 5xx when
     * its answer does: a sample between the two has the answer alone. */
    if (req > 0 && put(w, "RequestCount", name, NULL, "Count", req, err) < 0)
        return -1;
    if ((req > 0 || all5xx > 0) && put(w, "HTTPCode_Target_5XX_Count", name, NULL, "Count", all5xx, err) < 0)
        return -1;
    return 0;
}

int elb_metrics_flush(struct elb_metrics *m, struct store *store, int64_t now_ms, struct error *err)
{
    if (!m)
        return 0;
    const char *k;
    json_t *v, *tmp;
    json_object_foreach_safe(m->prev, tmp, k, v) {
        if (!json_object_get(v, "seen"))
            json_object_del(m->prev, k); /* gone: its counters with it */
        else
            json_object_del(v, "seen");
    }
    if (json_object_size(m->pending) == 0)
        return 0;
    struct writer w = {.at_ms = now_ms - now_ms % 1000, .now_ms = now_ms};
    int r = store_begin(store, true, &w.tx, err);
    json_object_foreach(m->pending, k, v) {
        if (r == 0)
            r = write_lb(&w, k, v, err);
    }
    json_object_clear(m->pending);
    if (r < 0) {
        if (w.tx)
            store_rollback(w.tx);
        return -1;
    }
    return store_commit(w.tx, err);
}
