/* store_logs_expire.c - removing log events in bounded steps: those past
 * their group's retention, and those of streams and groups deleted since
 * (queued in log_purge by store_logs.c, so that DeleteLogGroup of millions
 * of events is quick).  Events go a chunk at a time (store_log_chunks.h);
 * a chunk that straddles a retention cutoff is rewritten without its
 * expired front.  It keeps the streams' and groups' byte counts in step;
 * it never removes a stream or a group itself. */
#include "server/store/store_logs.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/cleanup.h"
#include "server/store/store_internal.h"
#include "server/store/store_log_chunks.h"
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

/* A chunk to delete whole, or to trim. */
struct doomed {
    int64_t id, stream_id, n, bytes;
    bool whole;
};

/* Collect chunks from a select of (id, stream_id, n, bytes, last_ts) until
 * they hold budget events: those that end before cutoff go whole (all of
 * them with INT64_MAX), the others are to be trimmed.  *ret_drained says
 * the select ran out first. */
static int collect_chunks(struct store_tx *tx, db_stmt *sel, int64_t budget, int64_t cutoff, struct doomed **ret,
                          size_t *ret_n, bool *ret_drained, struct error *err)
{
    size_t n = 0, cap = 0;
    int64_t events = 0;
    *ret_drained = false;
    while (events < budget) {
        int rc = db_step(sel);
        if (rc == DB_DONE) {
            *ret_drained = true;
            break;
        }
        if (rc != DB_ROW) {
            db_reset(sel);
            return store_fail(tx, "collect log chunks", err);
        }
        if (array_reserve(ret, &cap, n + 1, sizeof(**ret)) < 0) {
            db_reset(sel);
            return error_set(err, ERR_INTERNAL, "out of memory");
        }
        struct doomed *d = &(*ret)[n++];
        *d = (struct doomed){db_col_int64(sel, 0), db_col_int64(sel, 1), db_col_int64(sel, 2), db_col_int64(sel, 3),
                             db_col_int64(sel, 4) < cutoff};
        events += d->n;
    }
    db_reset(sel);
    *ret_n = n;
    return 0;
}

/* Rewrite chunk d without its events before cutoff (it has later ones);
 * d->n and d->bytes become what was removed. */
static int trim_chunk(struct store_tx *tx, struct doomed *d, int64_t cutoff, struct error *err)
{
    db_stmt *s = store_row_stmt(tx,
                                "SELECT " LOG_CHUNK_COLUMNS " FROM log_chunks c "
                                "JOIN log_streams s ON s.id = c.stream_id WHERE c.id = ?1",
                                STORE_ARGS(ARG_INT(d->id)), err);
    if (!s)
        return -1;
    int rc = db_step(s);
    _cleanup_free_ struct log_chunk *c = rc == DB_ROW ? log_chunk_read(s, err) : NULL;
    db_reset(s);
    if (rc != DB_ROW && rc != DB_DONE)
        return store_fail(tx, "read log chunk", err);
    if (rc == DB_ROW && !c)
        return -1;
    size_t k = 0;
    while (c && k < c->n && c->ts[k] < cutoff)
        k++;
    d->n = d->bytes = 0;
    if (k == 0 || k == c->n)
        return 0; /* gone, or nothing before the cutoff */
    size_t left = c->n - k;
    _cleanup_free_ struct log_event_in *rest = calloc(left, sizeof(*rest));
    if (!rest)
        return error_set(err, ERR_INTERNAL, "out of memory");
    for (size_t i = 0; i < left; i++)
        rest[i] = (struct log_event_in){c->ts[k + i], c->body + c->off[k + i], c->len[k + i]};
    _cleanup_buf_ struct buf meta = {0};
    _cleanup_buf_ struct buf body = {0};
    db_stmt *u = store_stmt(tx,
                            "UPDATE log_chunks SET first_ts = ?2, first_index = first_index + ?3, n = ?4, "
                            "bytes = ?5, meta = ?6, body = ?7 WHERE id = ?1",
                            err);
    if (!u)
        return -1;
    if (log_chunk_bind(u, 6, rest, left, &meta, &body) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    db_bind_int64(u, 1, d->id);
    db_bind_int64(u, 2, rest[0].ts);
    db_bind_int64(u, 3, (int64_t)k);
    db_bind_int64(u, 4, (int64_t)left);
    db_bind_int64(u, 5, (int64_t)body.len);
    rc = db_step(u);
    db_reset(u); /* it points into meta and body */
    if (rc != DB_DONE)
        return store_fail(tx, "trim log chunk", err);
    d->n = (int64_t)k;
    d->bytes = (int64_t)c->off[k];
    return 0;
}

/* Delete or trim the collected chunks, adding the bytes freed per stream
 * to *freed; *ret_deleted counts the events removed. */
static int remove_chunks(struct store_tx *tx, struct doomed *d, size_t n, int64_t cutoff, struct freed *freed,
                         int64_t *ret_deleted, struct error *err)
{
    int64_t events = 0;
    for (size_t i = 0; i < n; i++) {
        if (d[i].whole) {
            if (store_row_exec(tx, "DELETE FROM log_chunks WHERE id = ?1", STORE_ARGS(ARG_INT(d[i].id)), err) < 0)
                return -1;
        } else if (trim_chunk(tx, &d[i], cutoff, err) < 0) {
            return -1;
        }
        if (freed_add(freed, d[i].stream_id, d[i].bytes) < 0)
            return error_set(err, ERR_INTERNAL, "out of memory");
        events += d[i].n;
    }
    *ret_deleted = events;
    return 0;
}

/* Delete or trim what select s (as collect_chunks wants it) yields, about
 * budget events' worth; the bytes freed go to *freed. */
static int remove_selected(struct store_tx *tx, db_stmt *s, int64_t budget, int64_t cutoff, struct freed *freed,
                           int64_t *ret_deleted, bool *ret_drained, struct error *err)
{
    _cleanup_free_ struct doomed *doomed = NULL;
    size_t nd = 0;
    if (!s || collect_chunks(tx, s, budget, cutoff, &doomed, &nd, ret_drained, err) < 0)
        return -1;
    return remove_chunks(tx, doomed, nd, cutoff, freed, ret_deleted, err);
}

/* A group with a retention period, and the time before which its events
 * have expired. */
struct group_cut {
    int64_t id;
    int64_t cutoff;
};

static int expire_group(struct store_tx *tx, const struct group_cut *gc, int64_t *budget, int64_t *deleted,
                        struct error *err)
{
    db_stmt *s = store_row_stmt(tx,
                                "SELECT id, stream_id, n, bytes, last_ts FROM log_chunks "
                                "WHERE group_id = ?1 AND first_ts < ?2 ORDER BY first_ts, id",
                                STORE_ARGS(ARG_INT(gc->id), ARG_INT(gc->cutoff)), err);
    _cleanup_(freed_done) struct freed freed = {0};
    int64_t n = 0;
    bool drained = false;
    if (remove_selected(tx, s, *budget, gc->cutoff, &freed, &n, &drained, err) < 0)
        return -1;
    int64_t total = 0;
    for (size_t k = 0; k < freed.n; k++) {
        if (store_row_exec(tx,
                           "UPDATE log_streams SET stored_bytes = max(0, stored_bytes - ?2), "
                           "first_ts = coalesce((SELECT min(first_ts) FROM log_chunks "
                           "WHERE stream_id = ?1), 0) WHERE id = ?1",
                           STORE_ARGS(ARG_INT(freed.streams[k].stream_id), ARG_INT(freed.streams[k].bytes)), err) < 0)
            return -1;
        total += freed.streams[k].bytes;
    }
    if (total && store_log_group_add_bytes(tx, gc->id, -total, err) < 0)
        return -1;
    *budget -= n;
    *deleted += n;
    return 0;
}

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
    for (size_t i = 0; i < ng; i++) {
        if (*budget <= 0)
            break;
        if (expire_group(tx, &groups[i], budget, deleted, err) < 0)
            return -1;
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
                                    p.group ? "SELECT id, stream_id, n, bytes, 0 FROM log_chunks WHERE group_id = ?1"
                                            : "SELECT id, stream_id, n, bytes, 0 FROM log_chunks WHERE stream_id = ?1",
                                    STORE_ARGS(ARG_INT(p.target)), err);
        _cleanup_(freed_done) struct freed freed = {0};
        int64_t n = 0;
        bool drained = false;
        if (remove_selected(tx, s, *budget, INT64_MAX, &freed, &n, &drained, err) < 0)
            return -1;
        *budget -= n;
        *deleted += n;
        if (drained && store_row_exec(tx, "DELETE FROM log_purge WHERE kind = ?1 AND target_id = ?2",
                                      STORE_ARGS(ARG_TEXT(p.group ? "group" : "stream"), ARG_INT(p.target)), err) < 0)
            return -1;
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
