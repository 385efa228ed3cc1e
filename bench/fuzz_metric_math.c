/* fuzz_metric_math.c - libFuzzer target for GetMetricData's metric math:
 * any expression must either fail with a message or evaluate, over two
 * small series and itself, without crashing or leaking.
 *
 *   make build/fuzz/fuzz_metric_math && build/fuzz/fuzz_metric_math -max_total_time=60 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/cloudwatch/cw_math.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    struct cw_ts res[3] = {0};
    cw_ts_push(&res[0], 60000, 1);
    cw_ts_push(&res[0], 120000, -2.5);
    cw_ts_push(&res[1], 120000, 0);
    cw_ts_push(&res[1], 180000, 1e300);
    const char *ids[] = {"m1", "m2", "e1"}, *exprs[] = {NULL, NULL, text};
    int state[3] = {0};
    struct cw_math m = {3, ids, exprs, res, state};
    struct error err = {0};
    if (cw_math_eval(&m, 2, &err) < 0 && !err.msg[0])
        abort(); /* every failure must say why */
    for (size_t i = 0; i < 3; i++)
        cw_ts_free(&res[i]);
    free(text);
    return 0;
}
