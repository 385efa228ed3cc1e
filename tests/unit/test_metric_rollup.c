/* test_metric_rollup.c - CloudWatch downsampling on a real SQLite store:
 * points older than a tier's age become one statistic set per bucket
 * (count and sum added, min and max kept), younger ones stay as they are,
 * a second pass changes nothing, and a coarser tier rolls up what the
 * finer one wrote. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "server/store/store.h"
#include "server/store/store_metric_rollup.h"
#include "server/store/store_metrics.h"
#include "test.h"

#define MIN_MS 60000LL
#define HOUR_MS (60 * MIN_MS)

struct seen {
    int n;
    int64_t at[64];
    double count[64], sum[64], min[64], max[64];
};

static int collect(const struct store_metric_point *p, void *ud, struct error *err)
{
    struct seen *s = ud;
    (void)err;
    if (s->n < 64) {
        s->at[s->n] = p->at_ms;
        s->count[s->n] = p->count;
        s->sum[s->n] = p->sum;
        s->min[s->n] = p->min;
        s->max[s->n] = p->max;
        s->n++;
    }
    return 0;
}

static void add(int *failures_, struct store_tx *tx, int64_t id, int64_t at, double v)
{
    struct error err;
    struct store_metric_point p = {.at_ms = at, .unit = "Count", .count = 1, .sum = v, .min = v, .max = v};
    CHECK(store_metric_point_add(tx, id, &p, &err) == 0);
}

static struct seen points(int *failures_, struct store *st, int64_t id)
{
    struct seen s = {0};
    struct error err;
    struct store_tx *tx = NULL;
    CHECK(store_begin(st, false, &tx, &err) == 0);
    CHECK(store_metric_points(tx, id, 0, INT64_MAX, collect, &s, &err) == 0);
    store_rollback(tx);
    return s;
}

static int64_t rollup(int *failures_, struct store *st, const struct store_rollup_tier *tiers, size_t n, int64_t now)
{
    struct error err;
    struct store_tx *tx = NULL;
    int64_t rows = -1;
    CHECK(store_begin(st, true, &tx, &err) == 0);
    CHECK(store_metrics_rollup(tx, tiers, n, now, 1000 * HOUR_MS, &rows, &err) == 0);
    CHECK(store_commit(tx, &err) == 0);
    return rows;
}

TEST(metric_rollup_tiers)
{
    char dir[] = "/tmp/berth-rollup-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    struct error err;
    struct store *st = NULL;
    CHECK(store_open(dir, &st, &err) == 0);
    if (!st)
        return;
    int64_t now = 1000 * 24 * HOUR_MS, id = 0; /* a whole day: buckets line up */
    struct store_tx *tx = NULL;
    CHECK(store_begin(st, true, &tx, &err) == 0);
    CHECK(store_metric_touch(tx, "us-east-1", "N", "m", "[]", now, &id, &err) == 0);
    /* Five hours ago: three points in one minute, one in the next. */
    int64_t old = now - 5 * HOUR_MS;
    add(failures_, tx, id, old + 1000, 1);
    add(failures_, tx, id, old + 2000, 5);
    add(failures_, tx, id, old + 59000, 3);
    add(failures_, tx, id, old + MIN_MS + 7000, 10);
    /* An hour ago: kept as they are (finer than a minute, younger than 3 h). */
    add(failures_, tx, id, now - HOUR_MS + 1000, 2);
    add(failures_, tx, id, now - HOUR_MS + 2000, 4);
    CHECK(store_commit(tx, &err) == 0);

    const struct store_rollup_tier minute[] = {{1, 3 * HOUR_MS, MIN_MS}};
    CHECK(rollup(failures_, st, minute, 1, now) == 4);
    struct seen s = points(failures_, st, id);
    CHECK(s.n == 4);
    CHECK(s.at[0] == old && s.count[0] == 3 && s.sum[0] == 9 && s.min[0] == 1 && s.max[0] == 5);
    CHECK(s.at[1] == old + MIN_MS && s.count[1] == 1 && s.sum[1] == 10);
    CHECK(s.at[2] == now - HOUR_MS + 1000 && s.at[3] == now - HOUR_MS + 2000);
    /* Again: nothing new has aged. */
    CHECK(rollup(failures_, st, minute, 1, now) == 0);
    CHECK(points(failures_, st, id).n == 4);

    /* A coarser tier (an hour, for points older than 4 h) joins the two minutes. */
    const struct store_rollup_tier hour[] = {{2, 4 * HOUR_MS, HOUR_MS}};
    CHECK(rollup(failures_, st, hour, 1, now) == 2);
    s = points(failures_, st, id);
    CHECK(s.n == 3);
    CHECK(s.at[0] == old && s.count[0] == 4 && s.sum[0] == 19 && s.min[0] == 1 && s.max[0] == 10);

    /* Three hours later the young points have aged into minutes too. */
    CHECK(rollup(failures_, st, minute, 1, now + 3 * HOUR_MS) == 2);
    s = points(failures_, st, id);
    CHECK(s.n == 2 && s.at[1] == now - HOUR_MS && s.count[1] == 2 && s.sum[1] == 6);
    store_close(st);
    static const char *const files[] = {"berth.db", "berth.db-wal", "berth.db-shm"};
    char path[128];
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
}
