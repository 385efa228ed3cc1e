/* bench_store.c - the SQLite store's cost per cached statement: read
 * transactions of 10 primary-key lookups (store_doc_get) over 1,000
 * documents, ns per lookup.  It measures the db_* call path (the backend
 * dispatch of store_db.h) on a warm cache; asserts nothing.
 *
 *   make build/libberth.a
 *   cc -O2 -D_GNU_SOURCE -Isrc bench/bench_store.c build/libberth.a \
 *      $(pkg-config --libs sqlite3 jansson libpq libcrypto) -lpthread -lm \
 *      -o build/bench_store && build/bench_store */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "server/store/store.h"
#include "server/store/store_docs.h"

enum { DOCS = 1000, TX = 20000, PER_TX = 10 };

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void)
{
    char dir[] = "/tmp/berth-bench-store-XXXXXX";
    struct store *st = NULL;
    struct store_tx *tx = NULL;
    struct error err = {0};
    if (!mkdtemp(dir) || store_open(dir, &st, &err) < 0 || store_begin(st, true, &tx, &err) < 0)
        return fprintf(stderr, "open: %s\n", err.msg), 1;
    for (int i = 0; i < DOCS; i++) {
        char id[16];
        snprintf(id, sizeof(id), "d%04d", i);
        json_t *doc = json_pack("{s:s, s:i}", "id", id, "n", i);
        if (store_doc_put(tx, "bench", "r", id, doc, &err) < 0)
            return fprintf(stderr, "put: %s\n", err.msg), 1;
        json_decref(doc);
    }
    if (store_commit(tx, &err) < 0)
        return 1;
    double t0 = now();
    for (int t = 0; t < TX; t++) {
        if (store_begin(st, false, &tx, &err) < 0)
            return 1;
        for (int k = 0; k < PER_TX; k++) {
            char id[16];
            snprintf(id, sizeof(id), "d%04d", (t * PER_TX + k) % DOCS);
            json_t *doc = NULL;
            if (store_doc_get(tx, "bench", "r", id, &doc, &err) < 0)
                return fprintf(stderr, "get: %s\n", err.msg), 1;
            json_decref(doc);
        }
        store_rollback(tx);
    }
    double dt = now() - t0;
    printf("store_doc_get: %.0f ns per lookup (%d read transactions of %d)\n", dt * 1e9 / (TX * PER_TX), TX, PER_TX);
    store_close(st);
    return 0;
}
