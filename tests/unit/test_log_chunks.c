/* test_log_chunks.c - log events stored a batch slice to a row, on a real
 * SQLite store: batches whose times overlap read back in key order
 * (timestamp, then arrival) both ways, page by page through cuts and in
 * time windows, against the same events sorted by brute force; a group
 * scan across streams; and retention that trims a chunk's front keeps the
 * ids of the events left. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "server/store/store.h"
#include "server/store/store_log_chunks.h"
#include "server/store/store_logs.h"
#include "test.h"

#define MAX_SEEN 4096

struct ev {
    int64_t ts, id, stream_id;
    char msg[24];
};

struct seen {
    size_t n;
    struct ev ev[MAX_SEEN];
};

static int collect(const struct log_event_view *v, void *arg, struct error *err)
{
    struct seen *s = arg;
    (void)err;
    if (s->n < MAX_SEEN) {
        struct ev *e = &s->ev[s->n++];
        e->ts = v->ts;
        e->id = v->id;
        e->stream_id = v->stream_id;
        snprintf(e->msg, sizeof(e->msg), "%.*s", (int)v->len, v->message);
    }
    return 0;
}

static int ev_cmp(const void *a, const void *b)
{
    const struct ev *x = a, *y = b;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

struct fixture {
    char dir[64];
    struct store *st;
    struct log_group_row g;
    struct log_stream_row s[2];
};

static void setup(int *failures_, struct fixture *f)
{
    struct error err;
    snprintf(f->dir, sizeof(f->dir), "/tmp/berth-logchunks-XXXXXX");
    CHECK(mkdtemp(f->dir) != NULL);
    f->st = NULL;
    CHECK(store_open(f->dir, &f->st, &err) == 0);
    if (!f->st)
        return;
    struct store_tx *tx = NULL;
    CHECK(store_begin(f->st, true, &tx, &err) == 0);
    f->g = (struct log_group_row){.created_ms = 1, .log_class = "STANDARD"};
    snprintf(f->g.name, sizeof(f->g.name), "g");
    CHECK(store_log_group_insert(tx, "us-east-1", &f->g, &err) == 0);
    for (int i = 0; i < 2; i++) {
        f->s[i] = (struct log_stream_row){.group_id = f->g.id, .created_ms = 1};
        snprintf(f->s[i].name, sizeof(f->s[i].name), "s%d", i);
        CHECK(store_log_stream_insert(tx, &f->s[i], &err) == 0);
    }
    CHECK(store_commit(tx, &err) == 0);
}

static void teardown(struct fixture *f)
{
    if (f->st)
        store_close(f->st);
    struct error err;
    if (fs_rmtree(f->dir, &err) < 0)
        fprintf(stderr, "cannot remove %s: %s\n", f->dir, err.msg);
}

/* Append a batch of n events with timestamps ts[] (sorted) to stream k. */
static void put(int *failures_, struct fixture *f, int k, const int64_t *ts, size_t n, const char *tag)
{
    struct error err;
    struct log_event_in in[64];
    char msg[64][24];
    for (size_t i = 0; i < n; i++) {
        snprintf(msg[i], sizeof(msg[i]), "%s%zu", tag, i);
        in[i] = (struct log_event_in){ts[i], msg[i], strlen(msg[i])};
    }
    struct store_tx *tx = NULL;
    CHECK(store_begin(f->st, true, &tx, &err) == 0);
    CHECK(store_log_events_append(tx, &f->s[k], in, n, 1000, &err) == 0);
    CHECK(store_commit(tx, &err) == 0);
}

static struct seen *read_events(int *failures_, struct fixture *f, int k, struct log_cut cut, bool forward,
                                int64_t start, int64_t end, int limit)
{
    struct error err;
    struct seen *s = calloc(1, sizeof(*s));
    struct store_tx *tx = NULL;
    CHECK(store_begin(f->st, false, &tx, &err) == 0);
    CHECK(store_log_events_read(tx, f->s[k].id, cut, forward, start, end, limit, collect, s, &err) == 0);
    store_rollback(tx);
    return s;
}

static void check_order(int *failures_, const struct seen *s, const char *const *want, size_t n)
{
    CHECK(s->n == n);
    for (size_t i = 0; i < n && i < s->n; i++)
        CHECK_STR(s->ev[i].msg, want[i]);
}

TEST(log_chunks_overlapping_batches_read_in_key_order)
{
    struct fixture f;
    setup(failures_, &f);
    if (!f.st)
        return;
    put(failures_, &f, 0, (int64_t[]){10, 20, 30, 40}, 4, "a");
    put(failures_, &f, 0, (int64_t[]){15, 25, 35}, 3, "b");
    put(failures_, &f, 0, (int64_t[]){20}, 1, "c");
    put(failures_, &f, 0, (int64_t[]){20, 20}, 2, "d");
    const char *fwd[] = {"a0", "b0", "a1", "c0", "d0", "d1", "b1", "a2", "b2", "a3"};
    struct seen *s = read_events(failures_, &f, 0, (struct log_cut){0, 0}, true, 0, INT64_MAX, 100);
    check_order(failures_, s, fwd, 10);
    free(s);
    const char *bwd[] = {"a3", "b2", "a2", "b1", "d1", "d0", "c0", "a1", "b0", "a0"};
    s = read_events(failures_, &f, 0, (struct log_cut){INT64_MAX, INT64_MAX}, false, 0, INT64_MAX, 100);
    check_order(failures_, s, bwd, 10);
    free(s);
    /* A window: 20 <= ts < 31. */
    const char *win[] = {"a1", "c0", "d0", "d1", "b1", "a2"};
    s = read_events(failures_, &f, 0, (struct log_cut){0, 0}, true, 20, 31, 100);
    check_order(failures_, s, win, 6);
    free(s);
    /* The other stream's reads see none of them. */
    s = read_events(failures_, &f, 1, (struct log_cut){0, 0}, true, 0, INT64_MAX, 100);
    CHECK(s->n == 0);
    free(s);
    teardown(&f);
}

/* Brute force against the merge: random overlapping batches in two
 * streams, read both ways in pages through cuts and windows. */
TEST(log_chunks_random_reads_match_a_sort)
{
    struct fixture f;
    setup(failures_, &f);
    if (!f.st)
        return;
    srand(7);
    static struct ev all[2][MAX_SEEN];
    size_t nall[2] = {0, 0};
    int64_t chunk = 0;
    for (int b = 0; b < 120; b++) {
        int k = rand() % 2;
        size_t n = 1 + (size_t)(rand() % 12);
        int64_t ts[64], t = rand() % 200;
        for (size_t i = 0; i < n; i++) {
            t += rand() % 3 == 0 ? 0 : rand() % 15;
            ts[i] = t;
        }
        char tag[8];
        snprintf(tag, sizeof(tag), "%d.", b);
        put(failures_, &f, k, ts, n, tag);
        chunk++; /* a fresh store numbers chunks 1, 2, ... */
        for (size_t i = 0; i < n; i++) {
            struct ev *e = &all[k][nall[k]++];
            e->ts = ts[i];
            e->id = (chunk << LOG_CHUNK_ID_SHIFT) + (int64_t)i;
            snprintf(e->msg, sizeof(e->msg), "%s%zu", tag, i);
        }
    }
    for (int k = 0; k < 2; k++)
        qsort(all[k], nall[k], sizeof(all[k][0]), ev_cmp);
    for (int q = 0; q < 200; q++) {
        int k = rand() % 2;
        bool forward = rand() % 2;
        int64_t start = rand() % 4 ? rand() % 300 : 0, end = rand() % 4 ? start + rand() % 200 : INT64_MAX;
        int limit = 1 + rand() % 17;
        /* Page through the whole window. */
        struct log_cut cut = forward ? (struct log_cut){0, 0} : (struct log_cut){INT64_MAX, INT64_MAX};
        struct ev got[MAX_SEEN];
        size_t ngot = 0;
        for (int page = 0; page < 1000; page++) {
            struct seen *s = read_events(failures_, &f, k, cut, forward, start, end, limit);
            for (size_t i = 0; i < s->n && ngot < MAX_SEEN; i++)
                got[ngot++] = s->ev[i];
            size_t n = s->n;
            if (n)
                cut = forward ? (struct log_cut){s->ev[n - 1].ts, s->ev[n - 1].id}
                              : (struct log_cut){s->ev[n - 1].ts, s->ev[n - 1].id - 1};
            free(s);
            if (n < (size_t)limit)
                break;
        }
        size_t want = 0;
        for (size_t j = 0; j < nall[k]; j++) {
            size_t i = forward ? j : nall[k] - 1 - j;
            if (all[k][i].ts < start || all[k][i].ts >= end)
                continue;
            CHECK(want < ngot && got[want].id == all[k][i].id && strcmp(got[want].msg, all[k][i].msg) == 0);
            want++;
        }
        CHECK(ngot == want);
    }
    /* A group scan merges both streams, with or without naming them. */
    struct ev both[2 * MAX_SEEN];
    size_t nboth = 0;
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < nall[k]; i++)
            both[nboth++] = all[k][i];
    qsort(both, nboth, sizeof(both[0]), ev_cmp);
    int64_t ids[2] = {f.s[0].id, f.s[1].id};
    for (int named = 0; named < 2; named++) {
        struct error err;
        struct store_tx *tx = NULL;
        struct seen *s = calloc(1, sizeof(*s));
        struct log_cut last;
        bool exhausted = false;
        CHECK(store_begin(f.st, false, &tx, &err) == 0);
        CHECK(store_log_events_scan(tx, f.g.id, named ? ids : NULL, named ? 2 : 0, (struct log_cut){0, 0}, 0, INT64_MAX,
                                    1000000, 0, collect, s, &last, &exhausted, &err) == 0);
        store_rollback(tx);
        CHECK(exhausted);
        CHECK(s->n == nboth);
        for (size_t i = 0; i < s->n && i < nboth; i++)
            CHECK(s->ev[i].id == both[i].id);
        free(s);
    }
    /* With a budget of one byte of open chunks, a scan stops each time it
     * would open another after handing something out: paged through its
     * cuts it still sees every event once, in order. */
    struct seen *all_pages = calloc(1, sizeof(*all_pages));
    struct log_cut cut = {0, 0};
    int calls = 0;
    for (bool exhausted = false; !exhausted && calls < 10000; calls++) {
        struct error err;
        struct store_tx *tx = NULL;
        size_t before = all_pages->n;
        CHECK(store_begin(f.st, false, &tx, &err) == 0);
        CHECK(store_log_events_scan(tx, f.g.id, NULL, 0, cut, 0, INT64_MAX, 1000000, 1, collect, all_pages, &cut,
                                    &exhausted, &err) == 0);
        store_rollback(tx);
        CHECK(exhausted || all_pages->n > before);
    }
    CHECK(calls > 1);
    CHECK(all_pages->n == nboth);
    for (size_t i = 0; i < all_pages->n && i < nboth; i++)
        CHECK(all_pages->ev[i].id == both[i].id);
    free(all_pages);
    teardown(&f);
}

TEST(log_chunks_retention_trims_and_keeps_ids)
{
    struct fixture f;
    setup(failures_, &f);
    if (!f.st)
        return;
    put(failures_, &f, 0, (int64_t[]){10, 20, 30, 40}, 4, "a");
    put(failures_, &f, 0, (int64_t[]){15}, 1, "b");
    put(failures_, &f, 1, (int64_t[]){12, 13}, 2, "c");
    struct seen *before = read_events(failures_, &f, 0, (struct log_cut){0, 0}, true, 0, INT64_MAX, 100);
    struct error err;
    struct store_tx *tx = NULL;
    CHECK(store_begin(f.st, true, &tx, &err) == 0);
    CHECK(store_log_group_set_retention(tx, f.g.id, 1, &err) == 0);
    int64_t deleted = 0;
    /* Cutoff 25: a0, a1, b0 and both c's go. */
    CHECK(store_logs_expire(tx, 25 + 86400000LL, 1000, &deleted, &err) == 0);
    CHECK(store_commit(tx, &err) == 0);
    CHECK(deleted == 5);
    struct seen *after = read_events(failures_, &f, 0, (struct log_cut){0, 0}, true, 0, INT64_MAX, 100);
    const char *left[] = {"a2", "a3"};
    check_order(failures_, after, left, 2);
    CHECK(before->n == 5 && after->n == 2 && after->ev[0].id == before->ev[3].id &&
          after->ev[1].id == before->ev[4].id);
    free(before);
    free(after);
    struct seen *other = read_events(failures_, &f, 1, (struct log_cut){0, 0}, true, 0, INT64_MAX, 100);
    CHECK(other->n == 0);
    free(other);
    CHECK(store_begin(f.st, false, &tx, &err) == 0);
    struct log_group_row g;
    struct log_stream_row s;
    CHECK(store_log_group_get(tx, "us-east-1", "g", &g, &err) == 1);
    CHECK(g.stored_bytes == 4); /* "a2" and "a3" */
    CHECK(store_log_stream_get(tx, f.g.id, "s0", &s, &err) == 1);
    CHECK(s.first_ts == 30 && s.stored_bytes == 4);
    store_rollback(tx);
    teardown(&f);
}
