/* test_server.c - see test_server.h. */
#include "test_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fsutil.h"
#include "common/log.h"

int test_server_open(struct server *srv, char dir[sizeof(TEST_SERVER_DIR_TEMPLATE)])
{
    log_set_level(LOG_ERROR);
    memcpy(dir, TEST_SERVER_DIR_TEMPLATE, sizeof(TEST_SERVER_DIR_TEMPLATE));
    struct server_config cfg;
    struct error err;
    server_config_defaults(&cfg);
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return -1;
    }
    snprintf(cfg.data_dir, sizeof(cfg.data_dir), "%s", dir);
    if (server_init(srv, &cfg, &err) < 0) {
        fprintf(stderr, "  server_init: %s\n", err.msg);
        return -1;
    }
    return 0;
}

void test_server_close(struct server *srv, const char *dir)
{
    struct error err;
    server_free(srv);
    if (fs_rmtree(dir, &err) < 0)
        fprintf(stderr, "  rm %s: %s\n", dir, err.msg);
}
