/* Unit tests: a pull's progress summed over its layers. */
#include <stdint.h>

#include "agent/image/pull_progress.h"
#include "test.h"

static void ev(struct pull_progress *pp, enum image_event e, size_t index, uint64_t done, uint64_t total)
{
    struct image_progress p = {.event = e, .digest = "sha256:00", .index = index, .done = done, .total = total};
    pull_progress_update(pp, &p);
}

TEST(pull_progress_sums_layers)
{
    struct pull_progress pp;
    char line[128];
    pull_progress_init(&pp);
    pull_progress_format(&pp, line, sizeof(line));
    CHECK_STR(line, "resolving");
    ev(&pp, IMAGE_EV_RESOLVED, 0, 0, 3);
    ev(&pp, IMAGE_EV_BLOB_PROGRESS, SIZE_MAX, 10, 20); /* the config blob: not a layer */
    ev(&pp, IMAGE_EV_BLOB_CACHED, 0, 2000000, 2000000);
    ev(&pp, IMAGE_EV_LAYER_CACHED, 0, 0, 0);
    ev(&pp, IMAGE_EV_BLOB_PROGRESS, 2, 500000, 3000000);
    ev(&pp, IMAGE_EV_BLOB_PROGRESS, 7, 1, 1); /* out of range: ignored */
    pull_progress_format(&pp, line, sizeof(line));
    CHECK_STR(line, "1/3 layers, 2.5MB / 5.0MB");
    ev(&pp, IMAGE_EV_BLOB_DONE, 2, 3000000, 3000000);
    ev(&pp, IMAGE_EV_LAYER_DONE, 2, 0, 0);
    ev(&pp, IMAGE_EV_BLOB_DONE, 1, 999, 999);
    ev(&pp, IMAGE_EV_LAYER_DONE, 1, 0, 0);
    pull_progress_format(&pp, line, sizeof(line));
    CHECK_STR(line, "3/3 layers, 5.0MB / 5.0MB");
    CHECK(pull_progress_due(&pp, 1000, 500));
    CHECK(!pull_progress_due(&pp, 1400, 500));
    CHECK(pull_progress_due(&pp, 1500, 500));
    pull_progress_free(&pp);
    pull_progress_size(999, line, sizeof(line));
    CHECK_STR(line, "999B");
}
