/* test_elb_metrics.c - AWS/ApplicationELB points from HAProxy "show stat"
 * samples, written to a real SQLite store: deltas between samples, a
 * reload's reset counted from 0, per-target requests over the servers UP,
 * the targets' 5xx (not HAProxy's), nothing for a network load balancer. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "server/elbv2/elb_metrics.h"
#include "server/store/store.h"
#include "server/store/store_elb.h"
#include "server/store/store_internal.h"
#include "server/store/store_metrics.h"
#include "test.h"

#define LB "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/web/50dc6c495c0c9188"
#define NLB "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/net/tcp/60dc6c495c0c9188"
#define TG "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/pool/73e2d6bc24d8a067"
#define HEAD "# pxname,svname,status,req_tot,hrsp_5xx,rtime,\n"

static double sum_of(int *failures_, struct store *st, const char *name, const char *dims)
{
    struct error err;
    struct store_tx *tx = NULL;
    int64_t id = 0;
    double sum = -1;
    CHECK(store_begin(st, false, &tx, &err) == 0);
    if (store_metric_find(tx, "us-east-1", "AWS/ApplicationELB", name, dims, &id, &err) == 1) {
        db_stmt *s = store_stmt(tx, "SELECT sum(sum) FROM metric_points WHERE metric_id = ?1", &err);
        db_bind_int64(s, 1, id);
        if (s && db_step(s) == DB_ROW)
            sum = db_col_double(s, 0);
        db_reset(s);
    }
    store_rollback(tx);
    return sum;
}

TEST(elb_metrics_from_stats)
{
    char dir[] = "/tmp/berth-elbm-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    struct error err;
    struct store *st = NULL;
    CHECK(store_open(dir, &st, &err) == 0);
    struct elb_metrics *m = elb_metrics_new();
    CHECK(st && m);
    if (!st || !m)
        return;
    struct store_tx *tx = NULL;
    CHECK(store_begin(st, true, &tx, &err) == 0);
    json_t *doc = json_pack("{s:s}", "TargetGroupArn", TG);
    CHECK(store_elb_put(tx, STORE_ELB_TG, "us-east-1", TG, "", "pool", doc, &err) == 0);
    json_decref(doc);
    CHECK(store_commit(tx, &err) == 0);

    elb_metrics_sample(m, LB,
                       HEAD "l_1,FRONTEND,OPEN,10,,,\ntg_73e2d6bc24d8a067,t1,UP,,1,,\n"
                            "tg_73e2d6bc24d8a067,t2,DOWN,,0,,\ntg_73e2d6bc24d8a067,BACKEND,UP,10,3,12,\n");
    elb_metrics_sample(m, NLB, HEAD "l_2,FRONTEND,OPEN,99,,,\n");
    CHECK(elb_metrics_flush(m, st, 1000000, &err) == 0);
    /* Later: 15 more requests, 2 more target 5xx; then a reload from 0. */
    elb_metrics_sample(m, LB,
                       HEAD "l_1,FRONTEND,OPEN,25,,,\ntg_73e2d6bc24d8a067,t1,UP,,3,,\n"
                            "tg_73e2d6bc24d8a067,t2,UP,,0,,\ntg_73e2d6bc24d8a067,BACKEND,UP,25,4,20,\n");
    CHECK(elb_metrics_flush(m, st, 1001000, &err) == 0);
    elb_metrics_sample(m, LB, HEAD "l_1,FRONTEND,OPEN,4,,,\ntg_73e2d6bc24d8a067,BACKEND,UP,4,0,8,\n");
    CHECK(elb_metrics_flush(m, st, 1002000, &err) == 0);

    const char *by_lb = "[[\"LoadBalancer\",\"app/web/50dc6c495c0c9188\"]]";
    const char *by_tg = "[[\"TargetGroup\",\"targetgroup/pool/73e2d6bc24d8a067\"]]";
    const char *both = "[[\"LoadBalancer\",\"app/web/50dc6c495c0c9188\"],"
                       "[\"TargetGroup\",\"targetgroup/pool/73e2d6bc24d8a067\"]]";
    CHECK(sum_of(failures_, st, "RequestCount", by_lb) == 29);
    CHECK(sum_of(failures_, st, "RequestCount", both) == 29);
    /* 10 over 1 target UP, 15 over 2, 4 over none (counted as 1). */
    CHECK(sum_of(failures_, st, "RequestCountPerTarget", by_tg) == 10 + 7.5 + 4);
    CHECK(sum_of(failures_, st, "HTTPCode_Target_5XX_Count", both) == 3);
    CHECK(fabs(sum_of(failures_, st, "TargetResponseTime", both) - 0.040) < 1e-9);
    CHECK(sum_of(failures_, st, "RequestCount", "[[\"LoadBalancer\",\"net/tcp/60dc6c495c0c9188\"]]") == -1);
    elb_metrics_free(m);
    store_close(st);
    static const char *const files[] = {"berth.db", "berth.db-wal", "berth.db-shm"};
    char path[128];
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
}
