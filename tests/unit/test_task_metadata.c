/* test_task_metadata.c - the task metadata endpoint's blkio_stats from
 * the kernel's cgroup v1 and v2 block I/O files, in Docker's shape. */
#include <jansson.h>

#include "agent/task/task_metadata.h"
#include "test.h"

static json_t *entry(json_t *list, size_t i, const char *member)
{
    return json_object_get(json_array_get(list, i), member);
}

TEST(blkio_v1_throttle_files)
{
    const char *bytes = "254:0 Read 4194304\n254:0 Write 8192\n254:0 Sync 4202496\n254:0 Async 0\n"
                        "254:0 Discard 0\n254:0 Total 4202496\nTotal 4202496\n";
    const char *ios = "254:0 Read 8\n254:0 Write 2\n254:0 Sync 10\n254:0 Async 0\n254:0 Discard 0\n"
                      "254:0 Total 10\nTotal 10\n";
    json_t *b = task_metadata_blkio(bytes, ios, false);
    json_t *sb = json_object_get(b, "io_service_bytes_recursive");
    json_t *sv = json_object_get(b, "io_serviced_recursive");
    CHECK(json_array_size(sb) == 6 && json_array_size(sv) == 6);
    CHECK(json_integer_value(entry(sb, 0, "major")) == 254 && json_integer_value(entry(sb, 0, "minor")) == 0);
    CHECK(strcmp(json_string_value(entry(sb, 0, "op")), "Read") == 0);
    CHECK(json_integer_value(entry(sb, 0, "value")) == 4194304);
    CHECK(strcmp(json_string_value(entry(sv, 1, "op")), "Write") == 0 &&
          json_integer_value(entry(sv, 1, "value")) == 2);
    CHECK(json_array_size(json_object_get(b, "sectors_recursive")) == 0);
    json_decref(b);
    /* Nothing counted yet, or no files at all: empty lists. */
    b = task_metadata_blkio("Total 0\n", NULL, false);
    CHECK(json_array_size(json_object_get(b, "io_service_bytes_recursive")) == 0);
    CHECK(json_array_size(json_object_get(b, "io_serviced_recursive")) == 0);
    json_decref(b);
}

TEST(blkio_v2_io_stat)
{
    const char *stat = "8:16 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0\n"
                       "254:0 rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n";
    json_t *b = task_metadata_blkio(stat, NULL, true);
    json_t *sb = json_object_get(b, "io_service_bytes_recursive");
    json_t *sv = json_object_get(b, "io_serviced_recursive");
    CHECK(json_array_size(sb) == 4 && json_array_size(sv) == 4);
    CHECK(json_integer_value(entry(sb, 0, "major")) == 8 && json_integer_value(entry(sb, 0, "minor")) == 16);
    CHECK(strcmp(json_string_value(entry(sb, 0, "op")), "read") == 0 &&
          json_integer_value(entry(sb, 0, "value")) == 1459200);
    CHECK(strcmp(json_string_value(entry(sb, 1, "op")), "write") == 0 &&
          json_integer_value(entry(sb, 1, "value")) == 314773504);
    CHECK(json_integer_value(entry(sv, 1, "value")) == 353 && json_integer_value(entry(sv, 2, "value")) == 1);
    json_decref(b);
}
