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

static int noop(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err) { return 0; }

TEST(action_tables_sorted)
{
    log_set_level(LOG_ERROR);
    char dir[] = "/tmp/berth-dispatch-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    struct server srv;
    struct server_config cfg;
    struct error err;
    server_config_defaults(&cfg);
    snprintf(cfg.data_dir, sizeof(cfg.data_dir), "%s", dir);
    CHECK(server_init(&srv, &cfg, &err) == 0);
    struct api_service services[16];
    size_t n = server_services(&srv, services, ELEMENTSOF(services));
    CHECK(n >= 3 && n <= ELEMENTSOF(services));
    for (size_t i = 0; i < n; i++) {
        CHECK(services[i].nactions > 0);
        CHECK(api_check_actions(services[i].actions, services[i].nactions, &err) == 0);
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(services[i].target_prefix, services[j].target_prefix) != 0);
    }
    server_free(&srv);
    CHECK(fs_rmtree(dir, &err) == 0);
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
