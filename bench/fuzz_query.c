/* fuzz_query.c - libFuzzer target for the cluster query language: any input
 * must either fail to parse with a message or parse and evaluate without
 * crashing.
 *
 *   clang -g -O1 -D_GNU_SOURCE -Isrc -fsanitize=fuzzer,address,undefined \
 *       bench/fuzz_query.c src/server/placement/query.c src/common/isodate.c src/common/error.c \
 *       -o build/fuzz_query && build/fuzz_query -max_total_time=60 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/placement/query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    static const struct query_attr attrs[] = {
        {"ecs.instance-type", "t2.micro"}, {"stack", "prod"}, {"n", "10"}, {"flag", NULL}};
    static const struct query_group groups[] = {{"service:web", 1}};
    struct query_subject s = {.ec2_instance_id = "i-1",
                              .agent_version = "1.2.3",
                              .registered_at_usec = 1700000000000000LL,
                              .agent_connected = true,
                              .running_tasks_count = 2,
                              .attrs = attrs,
                              .n_attrs = 4,
                              .groups = groups,
                              .n_groups = 1,
                              .extra_group = "g",
                              .extra_count = 1};
    struct query *q = NULL;
    struct error err = {0};
    if (query_parse(text, &q, &err) == 0) {
        (void)query_match(q, &s);
        query_free(q);
    } else if (!err.msg[0]) {
        abort(); /* every failure must say why */
    }
    free(text);
    return 0;
}
