/* Unit tests: CloudWatch's aggregation of statistic sets into periods,
 * canonical dimensions and timestamps as either protocol sends them. */
#include <stdlib.h>
#include <string.h>

#include "server/cloudwatch/cloudwatch.h"
#include "server/cloudwatch/cw_math.h"
#include "test.h"

TEST(cw_series_periods)
{
    struct cw_series s = {.start_ms = 60000, .period_ms = 60000};
    /* Out of order, two periods, a statistic set among single values. */
    CHECK(cw_series_add(&s, 125000, 1, 7, 7, 7, "Count") == 0);
    CHECK(cw_series_add(&s, 60000, 1, 2, 2, 2, "Count") == 0);
    CHECK(cw_series_add(&s, 119999, 3, 12, 1, 9, "Count") == 0);
    CHECK(s.n == 2);
    CHECK(s.b[0].start_ms == 60000 && s.b[1].start_ms == 120000);
    double v;
    CHECK(cw_stat_value(&s.b[0], "SampleCount", &v) && v == 4);
    CHECK(cw_stat_value(&s.b[0], "Sum", &v) && v == 14);
    CHECK(cw_stat_value(&s.b[0], "Average", &v) && v == 3.5);
    CHECK(cw_stat_value(&s.b[0], "Minimum", &v) && v == 1);
    CHECK(cw_stat_value(&s.b[0], "Maximum", &v) && v == 9);
    CHECK(cw_stat_value(&s.b[1], "Maximum", &v) && v == 7);
    CHECK_STR(s.b[1].unit, "Count");
    CHECK(!cw_stat_value(&s.b[0], "p99", &v));
    CHECK(cw_stat_known("Average") && !cw_stat_known("p50") && !cw_stat_known(NULL));
    /* Negative values keep their minimum and maximum. */
    CHECK(cw_series_add(&s, 130000, 1, -5, -5, -5, NULL) == 0);
    CHECK(cw_stat_value(&s.b[1], "Minimum", &v) && v == -5);
    CHECK(cw_stat_value(&s.b[1], "Sum", &v) && v == 2);
    cw_series_free(&s);
    CHECK(s.n == 0 && s.b == NULL);
}

TEST(cw_dims_canonical)
{
    struct error err;
    json_t *a = json_loads("[{\"Name\":\"b\",\"Value\":\"2\"},{\"Name\":\"a\",\"Value\":\"1\"}]", 0, NULL);
    char *t = cw_dims_text(a, &err);
    CHECK_STR(t, "[[\"a\",\"1\"],[\"b\",\"2\"]]");
    free(t);
    json_decref(a);
    a = json_loads("[{\"Name\":\"a\",\"Value\":\"1\"},{\"Name\":\"a\",\"Value\":\"2\"}]", 0, NULL);
    CHECK(cw_dims_text(a, &err) == NULL && err.kind == ERR_INVALID);
    json_decref(a);
    t = cw_dims_text(NULL, &err);
    CHECK_STR(t, "[]");
    free(t);
}

TEST(cw_timestamps)
{
    struct error err;
    int64_t ms;
    json_t *v = json_real(1700000000.5);
    CHECK(cw_time_ms(v, "T", &ms, &err) == 0 && ms == 1700000000500LL);
    json_decref(v);
    v = json_string("2023-11-14T22:13:20Z");
    CHECK(cw_time_ms(v, "T", &ms, &err) == 0 && ms == 1700000000000LL);
    json_decref(v);
    v = json_string("2023-11-14T23:13:20.250+01:00");
    CHECK(cw_time_ms(v, "T", &ms, &err) == 0 && ms == 1700000000250LL);
    json_decref(v);
    v = json_string("yesterday");
    CHECK(cw_time_ms(v, "T", &ms, &err) < 0 && err.kind == ERR_INVALID);
    json_decref(v);
}

/* Evaluate expr over a = [1@60s, 2@120s] and b = [10@120s, 20@180s]. */
static int eval(const char *expr, struct cw_ts *ret)
{
    struct cw_ts res[3] = {0};
    cw_ts_push(&res[0], 60000, 1);
    cw_ts_push(&res[0], 120000, 2);
    cw_ts_push(&res[1], 120000, 10);
    cw_ts_push(&res[1], 180000, 20);
    const char *ids[] = {"a", "b", "e"}, *exprs[] = {NULL, NULL, expr};
    int state[3] = {0};
    struct cw_math m = {3, ids, exprs, res, state, 0};
    struct error err;
    int r = cw_math_eval(&m, 2, &err);
    *ret = res[2];
    cw_ts_free(&res[0]);
    cw_ts_free(&res[1]);
    return r;
}

TEST(cw_math_expressions)
{
    struct cw_ts t;
    CHECK(eval("a + b", &t) == 0 && t.n == 1 && t.t[0] == 120000 && t.v[0] == 12);
    cw_ts_free(&t);
    CHECK(eval("SUM(METRICS())", &t) == 0 && t.n == 3 && t.v[0] == 1 && t.v[1] == 12 && t.v[2] == 20);
    cw_ts_free(&t);
    CHECK(eval("AVG([a, b])", &t) == 0 && t.n == 3 && t.v[1] == 6);
    cw_ts_free(&t);
    CHECK(eval("MIN([a, b])", &t) == 0 && t.v[1] == 2 && t.v[2] == 20);
    cw_ts_free(&t);
    CHECK(eval("MAX(b)", &t) == 0 && t.scalar && t.s == 20);
    cw_ts_free(&t);
    CHECK(eval("AVG(a) * 2 - 1", &t) == 0 && t.scalar && t.s == 2);
    cw_ts_free(&t);
    CHECK(eval("-(a - 3) / 2", &t) == 0 && t.n == 2 && t.v[0] == 1 && t.v[1] == 0.5);
    cw_ts_free(&t);
    CHECK(eval("a + ", &t) < 0);
    CHECK(eval("e + 1", &t) < 0); /* itself */
    CHECK(eval("c", &t) < 0);
    CHECK(eval("FOO(a)", &t) < 0);
    CHECK(eval("SUM([a, 1])", &t) < 0);
    CHECK(eval("((((((((((((((((((((((((((((((((((a))))))))))))))))))))))))))))))))))", &t) < 0);
}
