/* cw_stats.c - points folded into periods (see cloudwatch.h): each period
 * keeps a statistic set, from which SampleCount, Average, Sum, Minimum and
 * Maximum follow exactly as CloudWatch computes them from statistic sets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/cloudwatch/cloudwatch.h"

static struct cw_bucket *bucket_at(struct cw_series *s, int64_t start_ms)
{
    /* Points mostly come in time order: look from the end. */
    size_t i = s->n;
    while (i > 0 && s->b[i - 1].start_ms > start_ms)
        i--;
    if (i > 0 && s->b[i - 1].start_ms == start_ms)
        return &s->b[i - 1];
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        struct cw_bucket *b = realloc(s->b, cap * sizeof(*b));
        if (!b)
            return NULL;
        s->b = b;
        s->cap = cap;
    }
    memmove(&s->b[i + 1], &s->b[i], (s->n - i) * sizeof(*s->b));
    s->n++;
    struct cw_bucket *b = &s->b[i];
    memset(b, 0, sizeof(*b));
    b->start_ms = start_ms;
    return b;
}

int cw_series_add(struct cw_series *s, int64_t at_ms, double count, double sum, double min, double max,
                  const char *unit)
{
    int64_t off = at_ms - s->start_ms;
    int64_t k = off >= 0 ? off / s->period_ms : -((-off + s->period_ms - 1) / s->period_ms);
    struct cw_bucket *b = bucket_at(s, s->start_ms + k * s->period_ms);
    if (!b)
        return -1;
    if (b->count == 0 || min < b->min)
        b->min = min;
    if (b->count == 0 || max > b->max)
        b->max = max;
    b->count += count;
    b->sum += sum;
    snprintf(b->unit, sizeof(b->unit), "%s", unit ? unit : "None");
    return 0;
}

void cw_series_free(struct cw_series *s)
{
    free(s->b);
    s->b = NULL;
    s->n = s->cap = 0;
}

bool cw_stat_value(const struct cw_bucket *b, const char *stat, double *ret)
{
    if (strcmp(stat, "SampleCount") == 0)
        *ret = b->count;
    else if (strcmp(stat, "Sum") == 0)
        *ret = b->sum;
    else if (strcmp(stat, "Minimum") == 0)
        *ret = b->min;
    else if (strcmp(stat, "Maximum") == 0)
        *ret = b->max;
    else if (strcmp(stat, "Average") == 0)
        *ret = b->count > 0 ? b->sum / b->count : 0;
    else
        return false;
    return true;
}

bool cw_stat_known(const char *stat)
{
    double ignored;
    struct cw_bucket b = {0};
    return stat && cw_stat_value(&b, stat, &ignored);
}
