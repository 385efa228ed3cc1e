/* test_server.h - a real server's parts (store, services, dispatcher) in a
 * fresh temporary data dir, not listening: for unit tests that call
 * api_handle() directly.  dir receives the data dir's path. */
#pragma once

#include "server/server.h"

#define TEST_SERVER_DIR_TEMPLATE "/tmp/berth-unit-XXXXXX"

/* 0, or -1 (the reason printed) when the server cannot be made. */
int test_server_open(struct server *srv, char dir[sizeof(TEST_SERVER_DIR_TEMPLATE)]);
/* Free the server and remove its data dir. */
void test_server_close(struct server *srv, const char *dir);
