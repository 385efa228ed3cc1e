/* exec_log.c - an ECS Exec session's transcript (see exec_log.h).
 *
 * Written by the server that relays the session, straight into the
 * store's CloudWatch Logs tables: the server already sees every frame the
 * agent sends, so the transcript needs no second channel and no
 * credentials in the container (on ECS the SSM agent inside the container
 * uploads it).  Events wait in memory (at most LIMIT_EXEC_LOG_PENDING
 * bytes and LIMIT_EXEC_LOG_FLUSH_MS) and go in one transaction; the
 * stream is made on the first write.  Terminal output keeps its bytes but
 * for the "\r" before a line's "\n".  Nothing of the transcript goes to
 * the server's own log. */
#include "server/ecs/exec_log.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/log.h"
#include "server/ecs/ecs_limits.h"
#include "server/store/store_logs.h"

struct exec_log_event {
    int64_t ts; /* ms since the epoch */
    size_t off, len;
};

struct exec_log {
    struct store *store;
    char region[64];
    char group[LIMIT_LOGS_NAME + 1];
    char stream[96];
    struct buf line; /* the unfinished last line */
    usec_t line_since;
    struct buf text; /* the waiting events' messages, end to end */
    struct exec_log_event *ev;
    size_t nev, cap;
    usec_t since; /* monotonic: when the oldest waiting event came */
    bool failed;  /* a write failed (logged once); later ones are tried */
};

static void add_event(struct exec_log *l, const char *msg, size_t len)
{
    if (len > 0 && msg[len - 1] == '\r')
        len--;
    if (array_reserve(&l->ev, &l->cap, l->nev + 1, sizeof(*l->ev)) < 0)
        return;
    size_t off = l->text.len;
    /* An empty line is an event of one blank: CloudWatch events are never empty. */
    if (buf_append(&l->text, len ? msg : " ", len ? len : 1) < 0)
        return;
    l->ev[l->nev++] = (struct exec_log_event){(int64_t)(time_now() / USEC_PER_MSEC), off, len ? len : 1};
    if (l->nev == 1)
        l->since = time_monotonic();
}

struct exec_log *exec_log_new(struct store *st, const char *region, const char *group, const char *session_id,
                              json_t *argv)
{
    struct exec_log *l = calloc(1, sizeof(*l));
    if (!l)
        return NULL;
    l->store = st;
    snprintf(l->region, sizeof(l->region), "%s", region);
    snprintf(l->group, sizeof(l->group), "%s", group);
    snprintf(l->stream, sizeof(l->stream), "%s", session_id);
    buf_init(&l->line, LIMIT_EXEC_LOG_LINE);
    buf_init(&l->text, 2 * LIMIT_EXEC_LOG_PENDING + LIMIT_EXEC_COMMAND + LIMIT_EXEC_LOG_LINE);
    struct buf cmd;
    buf_init(&cmd, LIMIT_EXEC_COMMAND * 2 + 16);
    size_t i;
    json_t *w;
    json_array_foreach(argv, i, w) {
        if (i > 0)
            buf_append_char(&cmd, ' ');
        buf_append_str(&cmd, json_string_value(w) ? json_string_value(w) : "");
    }
    if (!cmd.failed)
        add_event(l, cmd.data ? cmd.data : "", cmd.len);
    buf_free(&cmd);
    return l;
}

void exec_log_output(struct exec_log *l, const void *data, size_t len)
{
    const char *p = data, *end = p + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t take = nl ? (size_t)(nl - p) : (size_t)(end - p);
        size_t room = LIMIT_EXEC_LOG_LINE - l->line.len;
        if (take > room)
            take = room;
        if (l->line.len == 0 && take > 0)
            l->line_since = time_monotonic();
        buf_append(&l->line, p, take);
        p += take;
        bool ended = p < end && *p == '\n';
        if (ended)
            p++;
        if (ended || l->line.len >= LIMIT_EXEC_LOG_LINE) {
            add_event(l, l->line.data ? l->line.data : "", l->line.len);
            buf_reset(&l->line);
        }
    }
}

usec_t exec_log_pending_since(const struct exec_log *l)
{
    if (l->nev > 0)
        return l->since;
    return l->line.len > 0 ? l->line_since : 0;
}

bool exec_log_full(const struct exec_log *l) { return l->text.len >= LIMIT_EXEC_LOG_PENDING; }

/* The group's stream named after the session, made when missing; 0 when
 * the group is gone. */
static int open_stream(struct store_tx *tx, struct exec_log *l, struct log_stream_row *ret, struct error *err)
{
    struct log_group_row g;
    int r = store_log_group_get(tx, l->region, l->group, &g, err);
    if (r <= 0)
        return r;
    r = store_log_stream_get(tx, g.id, l->stream, ret, err);
    if (r != 0)
        return r;
    memset(ret, 0, sizeof(*ret));
    ret->group_id = g.id;
    snprintf(ret->name, sizeof(ret->name), "%s", l->stream);
    ret->created_ms = (int64_t)(time_now() / USEC_PER_MSEC);
    return store_log_stream_insert(tx, ret, err) < 0 ? -1 : 1;
}

static int write_events(struct exec_log *l, struct error *err)
{
    struct log_event_in *in = calloc(l->nev, sizeof(*in));
    if (!in)
        return error_set(err, ERR_INTERNAL, "out of memory");
    for (size_t i = 0; i < l->nev; i++)
        in[i] = (struct log_event_in){l->ev[i].ts, l->text.data + l->ev[i].off, l->ev[i].len};
    struct store_tx *tx = NULL;
    struct log_stream_row s;
    if (store_begin(l->store, true, &tx, err) < 0) {
        free(in);
        return -1;
    }
    int r = open_stream(tx, l, &s, err);
    if (r == 0)
        r = error_set(err, ERR_NOT_FOUND, "the log group %s is gone", l->group);
    else if (r > 0)
        r = store_log_events_append(tx, &s, in, l->nev, (int64_t)(time_now() / USEC_PER_MSEC), err);
    free(in);
    if (r < 0) {
        store_rollback(tx);
        return -1;
    }
    return store_commit(tx, err);
}

void exec_log_flush(struct exec_log *l, bool final)
{
    if (final && l->line.len > 0) {
        add_event(l, l->line.data, l->line.len);
        buf_reset(&l->line);
    }
    if (l->nev == 0)
        return;
    struct error err;
    if (write_events(l, &err) < 0 && !l->failed) {
        l->failed = true;
        log_warn("exec: session %s: could not log its output to %s: %s", l->stream, l->group, err.msg);
    }
    l->nev = 0;
    l->since = 0;
    buf_reset(&l->text);
}

void exec_log_close(struct exec_log *l)
{
    if (!l)
        return;
    exec_log_flush(l, true);
    buf_free(&l->line);
    buf_free(&l->text);
    free(l->ev);
    free(l);
}
