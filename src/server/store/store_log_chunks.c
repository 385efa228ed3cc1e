/* store_log_chunks.c - log chunks written and read (see store_log_chunks.h),
 * and the merge of chunk rows back into events in key order. */
#include "server/store/store_log_chunks.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "server/store/store_internal.h"

/* ---- writing --------------------------------------------------------------- */

size_t log_chunk_take(const struct log_event_in *ev, size_t n)
{
    size_t k = 0, bytes = 0;
    while (k < n && k < LOG_CHUNK_EVENTS_MAX && ev[k].ts - ev[0].ts <= LOG_CHUNK_SPAN_MS &&
           (k == 0 || bytes + ev[k].len <= LOG_CHUNK_BYTES_MAX))
        bytes += ev[k++].len;
    return k;
}

/* v in decimal at p (room for 20 digits); the number of digits. */
static size_t put_u64(char *p, uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        p[i] = tmp[n - 1 - i];
    return n;
}

/* The meta (nothing for one event) and body of a chunk of ev[0..n). */
static int log_chunk_encode(const struct log_event_in *ev, size_t n, struct buf *meta, struct buf *body)
{
    /* Room for all of it first: a reserve per event was a fifth of the
     * server's time per stored event. */
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += ev[i].len;
    if (buf_reserve(body, total) < 0 || (n > 1 && buf_reserve(meta, 42 * n) < 0))
        return -1;
    char *b = body->data + body->len;
    char *p = n > 1 ? meta->data + meta->len : NULL;
    for (size_t i = 0; i < n; i++) {
        if (p) {
            if (i > 0)
                *p++ = ' ';
            p += put_u64(p, (uint64_t)(ev[i].ts - ev[0].ts));
            *p++ = ' ';
            p += put_u64(p, ev[i].len);
        }
        memcpy(b, ev[i].message, ev[i].len);
        b += ev[i].len;
    }
    body->len += total;
    body->data[body->len] = '\0';
    if (p) {
        meta->len = (size_t)(p - meta->data);
        meta->data[meta->len] = '\0';
    }
    return 0;
}

int log_chunk_bind(db_stmt *s, int idx, const struct log_event_in *ev, size_t n, struct buf *meta, struct buf *body)
{
    buf_init(meta, SIZE_MAX / 2);
    buf_init(body, SIZE_MAX / 2);
    if (log_chunk_encode(ev, n, meta, body) < 0)
        return -1;
    if (n > 1)
        db_bind_text_static(s, idx, meta->data, meta->len);
    else
        db_bind_null(s, idx);
    db_bind_text_static(s, idx + 1, body->data ? body->data : "", body->len);
    return 0;
}

/* ---- reading --------------------------------------------------------------- */

static struct log_chunk *damaged(int64_t id, const char *why, struct error *err)
{
    error_set(err, ERR_INTERNAL, "log chunk %" PRId64 " is damaged: %s", id, why);
    return NULL;
}

/* The decimal number at *p, moving *p past it; false if there is none. */
static bool get_u64(const char **p, const char *end, uint64_t *ret)
{
    const char *q = *p;
    uint64_t v = 0;
    while (q < end && *q >= '0' && *q <= '9' && q - *p < 19)
        v = v * 10 + (uint64_t)(*q++ - '0');
    if (q == *p)
        return false;
    *p = q;
    *ret = v;
    return true;
}

static bool parse_meta(struct log_chunk *c, int64_t first_ts, const char *meta, size_t meta_len, size_t body_len)
{
    const char *p = meta, *end = meta + meta_len;
    uint64_t pos = 0;
    for (size_t i = 0; i < c->n; i++) {
        uint64_t delta, len;
        if ((i > 0 && (p >= end || *p++ != ' ')) || !get_u64(&p, end, &delta) || p >= end || *p++ != ' ' ||
            !get_u64(&p, end, &len) || len > body_len - pos || delta > (uint64_t)LOG_CHUNK_SPAN_MS)
            return false;
        c->ts[i] = first_ts + (int64_t)delta;
        c->off[i] = (uint32_t)pos;
        c->len[i] = (uint32_t)len;
        pos += len;
        if (i > 0 && c->ts[i] < c->ts[i - 1])
            return false;
    }
    return p == end && pos == body_len;
}

struct log_chunk *log_chunk_read(db_stmt *s, struct error *err)
{
    int64_t id = db_col_int64(s, 0), first_ts = db_col_int64(s, 1), n = db_col_int64(s, 5);
    const char *meta = db_col_is_null(s, 6) ? NULL : db_col_text(s, 6);
    size_t meta_len = meta ? db_col_bytes(s, 6) : 0;
    const char *body = db_col_text(s, 7);
    size_t body_len = body ? db_col_bytes(s, 7) : 0;
    const char *name = store_col_text(s, 9);
    size_t name_len = name ? strlen(name) : 0;
    if (n < 1 || n > LOG_CHUNK_EVENTS_MAX || (!meta && n != 1))
        return damaged(id, "event count", err);
    /* Times an event's offset cannot overflow (a damaged row, not ours). */
    if (first_ts < 0 || first_ts > INT64_MAX - LOG_CHUNK_SPAN_MS)
        return damaged(id, "first time", err);
    if (body_len > UINT32_MAX)
        return damaged(id, "body size", err);
    size_t un = (size_t)n;
    size_t size =
        sizeof(struct log_chunk) + un * (sizeof(int64_t) + 2 * sizeof(uint32_t)) + body_len + 1 + name_len + 1;
    struct log_chunk *c = malloc(size);
    if (!c) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return NULL;
    }
    *c = (struct log_chunk){.id = id,
                            .first_index = db_col_int64(s, 4),
                            .ingest_ms = db_col_int64(s, 3),
                            .stream_id = db_col_int64(s, 8),
                            .n = un,
                            .size = size};
    c->ts = (int64_t *)(c + 1);
    c->off = (uint32_t *)(c->ts + un);
    c->len = c->off + un;
    c->body = (char *)(c->len + un);
    if (body_len)
        memcpy(c->body, body, body_len);
    c->body[body_len] = '\0';
    char *nm = c->body + body_len + 1;
    if (name_len)
        memcpy(nm, name, name_len);
    nm[name_len] = '\0';
    c->stream_name = nm;
    if (!meta) {
        c->ts[0] = first_ts;
        c->off[0] = 0;
        c->len[0] = (uint32_t)body_len;
    } else if (!parse_meta(c, first_ts, meta, meta_len, body_len)) {
        free(c);
        return damaged(id, "event table", err);
    }
    return c;
}

/* ---- the merge ---------------------------------------------------------------- */

struct merge_source {
    db_stmt *stmt;
    bool owned, live;
    /* While live: no event of this source's unread chunks comes before
     * this key in the merge's order. */
    struct log_cut bound;
};

struct log_merge {
    struct store_tx *tx;
    bool forward;
    int64_t lo, hi;
    struct log_cut cut;
    struct merge_source *src;
    size_t nsrc, src_cap;
    struct log_chunk **heap; /* open chunks, the one with the next event on top */
    size_t nheap, heap_cap;
    bool advance; /* the top chunk handed out its event: move it on first */
    size_t open_bytes, max_open_bytes;
    bool handed_out; /* an event since log_merge_new */
};

static bool key_less(struct log_cut a, struct log_cut b) { return a.ts < b.ts || (a.ts == b.ts && a.id < b.id); }

/* Whether key a comes before key b in the merge's order. */
static bool before(const struct log_merge *m, struct log_cut a, struct log_cut b)
{
    return m->forward ? key_less(a, b) : key_less(b, a);
}

static int64_t id_base(const struct log_chunk *c) { return (c->id << LOG_CHUNK_ID_SHIFT) + c->first_index; }

static struct log_cut chunk_key(const struct log_chunk *c)
{
    return (struct log_cut){c->ts[c->at], id_base(c) + (int64_t)c->at};
}

struct log_merge *log_merge_new(struct store_tx *tx, bool forward, int64_t lo, int64_t hi, struct log_cut cut)
{
    struct log_merge *m = calloc(1, sizeof(*m));
    if (m)
        *m = (struct log_merge){.tx = tx, .forward = forward, .lo = lo, .hi = hi, .cut = cut};
    return m;
}

static int source_step(struct log_merge *m, struct merge_source *s, struct error *err)
{
    int rc = db_step(s->stmt);
    s->live = rc == DB_ROW;
    if (rc != DB_ROW && rc != DB_DONE)
        return store_fail(m->tx, "read log chunks", err);
    if (s->live) {
        int64_t base = (db_col_int64(s->stmt, 0) << LOG_CHUNK_ID_SHIFT) + db_col_int64(s->stmt, 4);
        s->bound = m->forward ? (struct log_cut){db_col_int64(s->stmt, 1), base}
                              : (struct log_cut){db_col_int64(s->stmt, 2), base + db_col_int64(s->stmt, 5) - 1};
    }
    return 0;
}

int log_merge_add(struct log_merge *m, db_stmt *s, bool owned, struct error *err)
{
    if (array_reserve(&m->src, &m->src_cap, m->nsrc + 1, sizeof(*m->src)) < 0) {
        if (owned)
            db_finalize(s);
        return error_set(err, ERR_INTERNAL, "out of memory");
    }
    struct merge_source *src = &m->src[m->nsrc++];
    *src = (struct merge_source){.stmt = s, .owned = owned};
    return source_step(m, src, err);
}

/* Set c's range to the events the merge hands out; false if there are none. */
static bool chunk_range(const struct log_merge *m, struct log_chunk *c)
{
    int64_t base = id_base(c);
    size_t b = 0, e = 0;
    if (m->forward) {
        while (b < c->n && (c->ts[b] < m->lo || !key_less(m->cut, (struct log_cut){c->ts[b], base + (int64_t)b})))
            b++;
        e = b;
        while (e < c->n && c->ts[e] <= m->hi)
            e++;
    } else {
        while (b < c->n && c->ts[b] < m->lo)
            b++;
        e = b;
        while (e < c->n && c->ts[e] <= m->hi && !key_less(m->cut, (struct log_cut){c->ts[e], base + (int64_t)e}))
            e++;
    }
    c->begin = b;
    c->end = e;
    c->at = m->forward ? b : e - 1;
    return b < e;
}

static void sift_up(struct log_merge *m, size_t i)
{
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(m, chunk_key(m->heap[i]), chunk_key(m->heap[parent])))
            break;
        struct log_chunk *t = m->heap[i];
        m->heap[i] = m->heap[parent];
        m->heap[parent] = t;
        i = parent;
    }
}

static void sift_down(struct log_merge *m, size_t i)
{
    for (;;) {
        size_t best = i, l = 2 * i + 1, r = l + 1;
        if (l < m->nheap && before(m, chunk_key(m->heap[l]), chunk_key(m->heap[best])))
            best = l;
        if (r < m->nheap && before(m, chunk_key(m->heap[r]), chunk_key(m->heap[best])))
            best = r;
        if (best == i)
            return;
        struct log_chunk *t = m->heap[i];
        m->heap[i] = m->heap[best];
        m->heap[best] = t;
        i = best;
    }
}

void log_merge_limit(struct log_merge *m, size_t max_open_bytes) { m->max_open_bytes = max_open_bytes; }

/* Read the source's current chunk into the heap and step the source. */
static int open_chunk(struct log_merge *m, struct merge_source *s, struct error *err)
{
    struct log_chunk *c = log_chunk_read(s->stmt, err);
    if (!c)
        return -1;
    if (!chunk_range(m, c)) {
        free(c);
    } else if (array_reserve(&m->heap, &m->heap_cap, m->nheap + 1, sizeof(*m->heap)) < 0) {
        free(c);
        return error_set(err, ERR_INTERNAL, "out of memory");
    } else {
        m->heap[m->nheap++] = c;
        m->open_bytes += c->size;
        sift_up(m, m->nheap - 1);
    }
    return source_step(m, s, err);
}

/* Move the top chunk past the event it handed out. */
static void advance_top(struct log_merge *m)
{
    struct log_chunk *c = m->heap[0];
    bool more = m->forward ? ++c->at < c->end : c->at-- > c->begin;
    if (!more) {
        m->open_bytes -= c->size;
        free(c);
        m->heap[0] = m->heap[--m->nheap];
    }
    if (m->nheap)
        sift_down(m, 0);
}

int log_merge_next(struct log_merge *m, struct log_event_view *ret, struct error *err)
{
    if (m->advance) {
        m->advance = false;
        advance_top(m);
    }
    for (;;) {
        struct merge_source *next = NULL;
        for (size_t i = 0; i < m->nsrc; i++)
            if (m->src[i].live && (!next || before(m, m->src[i].bound, next->bound)))
                next = &m->src[i];
        struct log_chunk *top = m->nheap ? m->heap[0] : NULL;
        /* The top's event goes first unless an unread chunk may hold an
         * earlier one. */
        if (next && (!top || before(m, next->bound, chunk_key(top)))) {
            /* Past the budget, stop where the caller can resume (once
             * something was handed out, so that every call moves on). */
            if (m->max_open_bytes && m->handed_out && m->open_bytes >= m->max_open_bytes)
                return 2;
            if (open_chunk(m, next, err) < 0)
                return -1;
            continue;
        }
        if (!top)
            return 0;
        size_t i = top->at;
        *ret = (struct log_event_view){.id = id_base(top) + (int64_t)i,
                                       .ts = top->ts[i],
                                       .ingest_ms = top->ingest_ms,
                                       .message = top->body + top->off[i],
                                       .len = top->len[i],
                                       .stream_name = top->stream_name,
                                       .stream_id = top->stream_id};
        m->advance = true;
        m->handed_out = true;
        return 1;
    }
}

void log_merge_free(struct log_merge *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nsrc; i++) {
        if (m->src[i].owned)
            db_finalize(m->src[i].stmt);
        else
            db_reset(m->src[i].stmt);
    }
    for (size_t i = 0; i < m->nheap; i++)
        free(m->heap[i]);
    free(m->src);
    free(m->heap);
    free(m);
}
