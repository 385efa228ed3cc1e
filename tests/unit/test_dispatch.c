/* Unit tests: every action table the server registers is sorted by name
 * with no name twice (the dispatcher binary-searches them), and the check
 * itself refuses tables that are not. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "server/server.h"
#include "test.h"
#include "test_server.h"

static int noop(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err) { return 0; }

TEST(action_tables_sorted)
{
    char dir[sizeof(TEST_SERVER_DIR_TEMPLATE)];
    struct server srv;
    struct error err;
    CHECK(test_server_open(&srv, dir) == 0);
    struct api_service services[16];
    size_t n = server_services(&srv, services, ELEMENTSOF(services));
    CHECK(n >= 3 && n <= ELEMENTSOF(services));
    for (size_t i = 0; i < n; i++) {
        CHECK(services[i].nactions > 0);
        CHECK(api_check_actions(services[i].actions, services[i].nactions, &err) == 0);
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(services[i].target_prefix, services[j].target_prefix) != 0);
    }
    test_server_close(&srv, dir);
}

TEST(action_table_check_refuses_disorder_and_twins)
{
    struct error err;
    const struct api_action sorted[] = {{"A", noop, API_READ}, {"B", noop, API_READ}};
    const struct api_action reversed[] = {{"B", noop, API_READ}, {"A", noop, API_READ}};
    const struct api_action twins[] = {{"A", noop, API_READ}, {"A", noop, API_WRITE}};
    CHECK(api_check_actions(sorted, 2, &err) == 0);
    CHECK(api_check_actions(reversed, 2, &err) < 0);
    CHECK(strstr(err.msg, "B, A") != NULL);
    CHECK(api_check_actions(twins, 2, &err) < 0);
}
