/* store_logs_expire.c - removing log events in bounded steps: those past
 * their group's retention, and those of streams and groups deleted since
 * (queued in log_purge by store_logs.c, so that DeleteLogGroup of millions
 * of events is quick).  It keeps the streams' and groups' byte counts in
 * step; it never removes a stream or a group itself. */
#include "server/store/store_logs.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/cleanup.h"
#include "server/store/store_internal.h"
#include "server/store/store_row.h"

struct stream_bytes {
    int64_t stream_id;
    int64_t bytes;
};

/* The bytes one deletion pass freed, per stream. */
struct freed {
    struct stream_bytes *streams;
    size_t n, cap;
};

static void freed_done(struct freed *f) { free(f->streams); }

static int freed_add(struct freed *f, int64_t stream_id, int64_t bytes)
{
    size_t k = 0;
    while (k < f->n && f->streams[k].stream_id != stream_id)
        k++;
    if (k == f->n) {
        if (array_reserve(&f->streams, &f->cap, f->n + 1, sizeof(*f->streams)) < 0)
            return -1;
        f->streams[f->n++] = (struct stream_bytes){stream_id, 0};
    }
    f->streams[k].bytes += bytes;
    return 0;
}

/* Collect up to budget event ids (and per-stream bytes, into *freed) from a
 * select whose columns are (id, stream_id, message), then delete them. */
static int delete_collected(struct store_tx *tx, db_stmt *sel, int64_t budget, struct freed *freed,
                            int64_t *ret_deleted, struct error *err)
{
    _cleanup_free_ int64_t *ids = NULL;
    size_t n = 0, cap = 0;
    while ((int64_t)n < budget) {
        int rc = db_step(sel);
        if (rc == DB_DONE)
            break;
        if (rc != DB_ROW) {
            db_reset(sel);
            return store_fail(tx, "collect log events", err);
        }
        if (array_reserve(&ids, &cap, n + 1, sizeof(*ids)) < 0 ||
            freed_add(freed, db_col_int64(sel, 1), db_col_bytes(sel, 2)) < 0) {
            db_reset(sel);
            return error_set(err, ERR_INTERNAL, "out of memory");
        }
        ids[n++] = db_col_int64(sel, 0);
    }
    db_reset(sel);
    for (size_t i = 0; i < n; i++)
        if (store_row_exec(tx, "DELETE FROM log_events WHERE id = ?1", STORE_ARGS(ARG_INT(ids[i])), err) < 0)
            return -1;
    *ret_deleted = (int64_t)n;
    return 0;
}

/* A group with a retention period, and the time before which its events
 * have expired. */
struct group_cut {
    int64_t id;
    int64_t cutoff;
};

static int expire_retention(struct store_tx *tx, int64_t now_ms, int64_t *budget, int64_t *deleted, struct error *err)
{
    db_stmt *g =
        store_stmt(tx, "SELECT id, retention_days FROM log_groups WHERE retention_days IS NOT NULL ORDER BY id", err);
    if (!g)
        return -1;
    _cleanup_free_ struct group_cut *groups = NULL;
    size_t ng = 0, gcap = 0;
    int rc;
    while ((rc = db_step(g)) == DB_ROW) {
        if (array_reserve(&groups, &gcap, ng + 1, sizeof(*groups)) < 0) {
            db_reset(g);
            return error_set(err, ERR_INTERNAL, "out of memory");
        }
        groups[ng].id = db_col_int64(g, 0);
        groups[ng].cutoff = now_ms - db_col_int64(g, 1) * 86400000LL;
        ng++;
    }
    db_reset(g);
    if (rc != DB_DONE)
        return store_fail(tx, "list retention groups", err);
    for (size_t i = 0; i<ng && * budget> 0; i++) {
        db_stmt *s =
            store_row_stmt(tx,
                           "SELECT id, stream_id, message FROM log_events "
                           "WHERE group_id = ?1 AND ts < ?2 ORDER BY ts LIMIT ?3",
                           STORE_ARGS(ARG_INT(groups[i].id), ARG_INT(groups[i].cutoff), ARG_INT(*budget)), err);
        if (!s)
            return -1;
        _cleanup_(freed_done) struct freed freed = {0};
        int64_t n = 0;
        if (delete_collected(tx, s, *budget, &freed, &n, err) < 0)
            return -1;
        int64_t total = 0;
        for (size_t k = 0; k < freed.n; k++) {
            if (store_row_exec(tx,
                               "UPDATE log_streams SET stored_bytes = max(0, stored_bytes - ?2), "
                               "first_ts = coalesce((SELECT min(ts) FROM log_events "
                               "WHERE stream_id = ?1), 0) WHERE id = ?1",
                               STORE_ARGS(ARG_INT(freed.streams[k].stream_id), ARG_INT(freed.streams[k].bytes)),
                               err) < 0)
                return -1;
            total += freed.streams[k].bytes;
        }
        if (total && store_log_group_add_bytes(tx, groups[i].id, -total, err) < 0)
            return -1;
        *budget -= n;
        *deleted += n;
    }
    return 0;
}

/* A deleted stream or group whose events are still to be removed. */
struct purge {
    bool group;
    int64_t target;
};

static int read_purge(db_stmt *s, void *ret_purge, struct error *err)
{
    struct purge *p = ret_purge;
    p->group = strcmp(store_col_text(s, 0), "group") == 0;
    p->target = db_col_int64(s, 1);
    return 0;
}

static int purge_deleted(struct store_tx *tx, int64_t *budget, int64_t *deleted, struct error *err)
{
    while (*budget > 0) {
        struct purge p;
        int r = store_row_get(tx, store_stmt(tx, "SELECT kind, target_id FROM log_purge LIMIT 1", err), read_purge, &p,
                              "list log purge", err);
        if (r <= 0)
            return r;
        db_stmt *s = store_row_stmt(tx,
                                    p.group ? "SELECT id, stream_id, '' FROM log_events WHERE group_id = ?1 "
                                              "LIMIT ?2"
                                            : "SELECT id, stream_id, '' FROM log_events WHERE stream_id = ?1 "
                                              "LIMIT ?2",
                                    STORE_ARGS(ARG_INT(p.target), ARG_INT(*budget)), err);
        if (!s)
            return -1;
        _cleanup_(freed_done) struct freed freed = {0};
        int64_t n = 0;
        int64_t want = *budget;
        if (delete_collected(tx, s, want, &freed, &n, err) < 0)
            return -1;
        *budget -= n;
        *deleted += n;
        if (n < want) {
            if (store_row_exec(tx, "DELETE FROM log_purge WHERE kind = ?1 AND target_id = ?2",
                               STORE_ARGS(ARG_TEXT(p.group ? "group" : "stream"), ARG_INT(p.target)), err) < 0)
                return -1;
        }
    }
    return 0;
}

int store_logs_expire(struct store_tx *tx, int64_t now_ms, int64_t budget, int64_t *ret_deleted, struct error *err)
{
    int64_t deleted = 0;
    if (expire_retention(tx, now_ms, &budget, &deleted, err) < 0 || purge_deleted(tx, &budget, &deleted, err) < 0)
        return -1;
    *ret_deleted = deleted;
    return 0;
}
