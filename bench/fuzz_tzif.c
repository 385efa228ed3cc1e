/* fuzz_tzif.c - libFuzzer target for the time zone files and cron()
 * schedules of scheduled scaling: bytes beginning "TZif" are read as a
 * zone file whose offsets are then asked at a few instants (and a cron
 * schedule run in it); anything else is a cron() schedule's fields, run
 * in UTC.  Nothing may crash, leak or loop.
 *
 *   make build/fuzz/fuzz_tzif && build/fuzz/fuzz_tzif -max_total_time=60 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/tzinfo.h"
#include "server/autoscaling/as_cron.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned char utc_file[] = "TZif2\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
                                        "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1\0\0\0\4"
                                        "\0\0\0\0\0\0UTC\0"
                                        "TZif2\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
                                        "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1\0\0\0\4"
                                        "\0\0\0\0\0\0UTC\0\nUTC0\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct error err = {0};
    struct tzinfo *z = NULL;
    struct as_cron c;
    if (size >= 4 && memcmp(data, "TZif", 4) == 0) {
        if (tzinfo_parse(data, size, &z, &err) < 0)
            return 0;
        const int64_t at[] = {INT32_MIN, -1, 0, 1700000000, 2200000000LL, 7258118400LL};
        for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++)
            (void)tzinfo_to_utc(z, at[i] + tzinfo_offset(z, at[i]));
        if (as_cron_parse("30 2 ? * 1#2 *", &c, &err) == 0)
            (void)as_cron_next(&c, z, 1700000000);
        tzinfo_free(z);
        return 0;
    }
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    if (tzinfo_parse(utc_file, sizeof(utc_file) - 1, &z, &err) < 0)
        abort(); /* the embedded zone is valid */
    if (as_cron_parse(text, &c, &err) == 0)
        (void)as_cron_next(&c, z, 1700000000);
    else if (!err.msg[0])
        abort(); /* every refusal says why */
    tzinfo_free(z);
    free(text);
    return 0;
}
