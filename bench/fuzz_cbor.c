/* fuzz_cbor.c - libFuzzer target for the RPC v2 CBOR decoder: any body
 * must either be refused with a message or decode to a value that
 * encodes again and decodes to the same value.
 *
 *   make build/fuzz/fuzz_cbor && build/fuzz/fuzz_cbor -max_total_time=60 */
#include <stdint.h>
#include <stdlib.h>

#include "common/cleanup.h"
#include "server/http/cbor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *v = NULL;
    struct error err = {0};
    if (cbor_decode(data, size, &v, &err) < 0) {
        if (!err.msg[0])
            abort(); /* every failure must say why */
        return 0;
    }
    _cleanup_buf_ struct buf b;
    buf_init(&b, size * 8 + 64);
    if (cbor_encode(&b, NULL, NULL, v, &err) < 0)
        abort(); /* what decoded within the depth limit encodes within it */
    json_t *again = NULL;
    if (b.failed || cbor_decode((const uint8_t *)b.data, b.len, &again, &err) < 0 || !json_equal(v, again))
        abort();
    json_decref(again);
    json_decref(v);
    return 0;
}
