/* cw_metric.c - a metric's identity as the store keys it (dimensions in
 * canonical order) and timestamps as either protocol spells them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/isodate.h"
#include "server/cloudwatch/cloudwatch.h"

int cw_time_ms(json_t *v, const char *what, int64_t *ret_ms, struct error *err)
{
    if (json_is_number(v)) {
        double secs = json_number_value(v);
        if (!isfinite(secs) || secs < 0 || secs > 32503680000.0)
            return error_set(err, ERR_INVALID, "The parameter %s must be a valid timestamp.", what);
        *ret_ms = (int64_t)llround(secs * 1000);
        return 0;
    }
    const char *s = json_string_value(v);
    int64_t lo, hi, ms = -1;
    if (s && isodate_parse(s, &lo, &hi) == 0)
        ms = lo / 1000;
    if (ms < 0) {
        /* The query protocol may send epoch seconds as text too. */
        char *end;
        double secs = s ? strtod(s, &end) : -1;
        if (!s || end == s || *end || !isfinite(secs) || secs < 0)
            return error_set(err, ERR_INVALID, "The parameter %s must be a valid timestamp.", what);
        ms = (int64_t)llround(secs * 1000);
    }
    *ret_ms = ms;
    return 0;
}

static int dim_cmp(const void *a, const void *b)
{
    const char *x = json_string_value(json_object_get(*(json_t *const *)a, "Name"));
    const char *y = json_string_value(json_object_get(*(json_t *const *)b, "Name"));
    return strcmp(x ? x : "", y ? y : "");
}

char *cw_dims_text(json_t *dims, struct error *err)
{
    size_t n = json_array_size(dims);
    if (n > CW_DIMENSIONS_MAX) {
        error_set(err, ERR_INVALID, "The collection Dimensions must not have a size greater than %d.",
                  CW_DIMENSIONS_MAX);
        return NULL;
    }
    json_t *sorted[CW_DIMENSIONS_MAX];
    for (size_t i = 0; i < n; i++)
        sorted[i] = json_array_get(dims, i);
    qsort(sorted, n, sizeof(sorted[0]), dim_cmp);
    _cleanup_json_ json_t *canon = json_array();
    for (size_t i = 0; canon && i < n; i++) {
        const char *name = json_string_value(json_object_get(sorted[i], "Name"));
        const char *value = json_string_value(json_object_get(sorted[i], "Value"));
        if (!name || !value) {
            error_set(err, CW_ERR_MISSING_PARAMETER, "A dimension must have both a Name and a Value.");
            return NULL;
        }
        if (i > 0 && dim_cmp(&sorted[i - 1], &sorted[i]) == 0) {
            error_set(err, ERR_INVALID, "No dimension name may appear twice: %.255s.", name);
            return NULL;
        }
        json_array_append_new(canon, json_pack("[ss]", name, value));
    }
    char *text = canon ? json_dumps(canon, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    if (!text)
        error_set(err, ERR_INTERNAL, "out of memory");
    return text;
}
