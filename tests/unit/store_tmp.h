/* store_tmp.h - a real SQLite store in a temporary directory, for the
 * store's unit tests. */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "server/store/store.h"

struct tmp_store {
    char dir[64];
    struct store *st;
};

static inline int tmp_store_open(struct tmp_store *t)
{
    snprintf(t->dir, sizeof(t->dir), "/tmp/berth-unit-XXXXXX");
    if (!mkdtemp(t->dir))
        return -1;
    struct error err;
    return store_open(t->dir, &t->st, &err);
}

static inline void tmp_store_close(struct tmp_store *t);

/* tmp_store_open and a write transaction begun on it, into *ret_tx (NULL,
 * and nothing left open, when either fails). */
static inline int tmp_store_open_writing(struct tmp_store *t, struct store_tx **ret_tx)
{
    *ret_tx = NULL;
    if (tmp_store_open(t) < 0)
        return -1;
    struct error err;
    if (store_begin(t->st, true, ret_tx, &err) < 0) {
        tmp_store_close(t);
        return -1;
    }
    return 0;
}

static inline void tmp_store_close(struct tmp_store *t)
{
    store_close(t->st);
    static const char *const files[] = {"berth.db", "berth.db-wal", "berth.db-shm"};
    char path[128];
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", t->dir, files[i]);
        unlink(path);
    }
    rmdir(t->dir);
}
