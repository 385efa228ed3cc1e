/* logship.c - one container's log driver thread (see logship.h).
 *
 * Reading: ctr.log is read from a byte offset as inotify reports it grew;
 * k8s-file records are parsed (conmon_log.c), partial (P) pieces joined into
 * lines, lines joined into events (logjoin.c) for awslogs or written as
 * Docker JSON lines (jsonlog.c).
 *
 * awslogs events are queued and shipped by logship_aws.c (exactly once,
 * see there).  Blocking mode (the default) reads ahead at most
 * LIMIT_LOGSHIP_QUEUE_BYTES: conmon's file is the buffer, so the container
 * never waits for us.  Non-blocking mode reads on and lets the queue drop
 * the oldest events.
 *
 * It does not decide where ctr.log ends up: the task runner moves or
 * discards it after logship_stop(). */
#include "agent/logs/logship.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "common/awsjson.h"
#include "common/cleanup.h"
#include "common/fsutil.h"
#include "agent/agent_limits.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "agent/agent_sync.h"
#include "common/buf.h"
#include "agent/logs/jsonlog.h"
#include "agent/logs/conmon_log.h"
#include "agent/logs/logjoin.h"
#include "agent/logs/logship_aws.h"

#define READ_CHUNK (256u * 1024)

enum driver { DRIVER_LOCAL, DRIVER_AWSLOGS, DRIVER_JSON_FILE, DRIVER_NONE };

struct logship {
    enum driver driver;
    char log_path[4096];
    char state_dir[4096];
    char state_name[128];
    char shipper_id[LIMIT_LOGS_SHIPPER_ID + 1];
    struct logship_progress progress; /* the progress file's */
    /* awslogs: lines joined into events (here), events shipped (there) */
    struct logjoin join;
    usec_t join_at; /* when the joiner last got a line */
    usec_t read_at; /* when the current read began (a clock read per line cost more than the rest of it) */
    struct logship_aws *aws;
    /* json-file */
    char json_path[4096];
    int64_t max_size;
    int max_file;
    struct jsonlog_writer jw;
    /* thread */
    pthread_t thread;
    int wake_fd;
    pthread_mutex_t lock;
    bool stop, drain;
    pthread_mutex_t save_lock; /* the progress file's writers */
    uint64_t saved_seq;        /* the snapshot the file holds (under save_lock) */
    /* reading */
    int fd;
    char *rbuf;
    size_t rlen;    /* bytes in rbuf */
    uint64_t rbase; /* file offset of rbuf[0] */
    bool eof;
    /* the line being assembled from P records */
    struct buf line;
    bool line_open;
    uint64_t line_start;
    int64_t line_ts_us;
    bool line_stderr;
    char line_time[64];
    size_t line_time_len;
};

static const struct {
    const char *name;
    enum driver driver;
} drivers[] = {
    {"awslogs", DRIVER_AWSLOGS},
    {"json-file", DRIVER_JSON_FILE},
    {"none", DRIVER_NONE},
};

static enum driver driver_of(json_t *def)
{
    const char *name = json_string_value(json_object_get(json_object_get(def, "logConfiguration"), "logDriver"));
    for (size_t i = 0; name && i < ELEMENTSOF(drivers); i++)
        if (strcmp(drivers[i].name, name) == 0)
            return drivers[i].driver;
    return DRIVER_LOCAL;
}

static json_t *options_of(json_t *def) { return json_object_get(json_object_get(def, "logConfiguration"), "options"); }

/* logConfiguration.options[key] of a container definition, or NULL. */
static const char *option(json_t *def, const char *key)
{
    return json_string_value(json_object_get(options_of(def), key));
}

bool logship_keeps_local(json_t *def) { return driver_of(def) != DRIVER_NONE; }

static int join_init(struct logjoin *j, json_t *def, struct error *err)
{
    return logjoin_init(j, option(def, "awslogs-datetime-format"), option(def, "awslogs-multiline-pattern"),
                        LIMIT_LOGS_EVENT_BYTES, err);
}

/* The options each driver honours; any other is refused, not ignored
 * (Docker's own, such as awslogs-endpoint or tag, included). */
static const char *const awslogs_options[] = {"awslogs-group",
                                              "awslogs-region",
                                              "awslogs-stream-prefix",
                                              "awslogs-create-group",
                                              "awslogs-datetime-format",
                                              "awslogs-multiline-pattern",
                                              "mode",
                                              "max-buffer-size",
                                              NULL};
static const char *const json_file_options[] = {"max-size", "max-file", NULL};

static int check_option_names(json_t *def, const char *driver, const char *const *known, struct error *err)
{
    const char *key;
    json_t *v;
    json_object_foreach(options_of(def), key, v) {
        size_t i = 0;
        while (known[i] && strcmp(known[i], key) != 0)
            i++;
        if (!known[i])
            return error_set(err, ERR_INVALID, "%s: berth does not support the option '%.64s'", driver, key);
        if (!json_is_string(v))
            return error_set(err, ERR_INVALID, "%s: the option '%s' must be a string", driver, key);
    }
    return 0;
}

int logship_check(json_t *def, struct error *err)
{
    enum driver d = driver_of(def);
    if (d == DRIVER_AWSLOGS && check_option_names(def, "awslogs", awslogs_options, err) < 0)
        return -1;
    if (d == DRIVER_JSON_FILE && check_option_names(def, "json-file", json_file_options, err) < 0)
        return -1;
    if (d == DRIVER_AWSLOGS) {
        if (logship_aws_check(options_of(def), err) < 0)
            return -1;
        struct logjoin j;
        if (join_init(&j, def, err) < 0)
            return error_prefix(err, "awslogs");
        logjoin_free(&j);
    } else if (d == DRIVER_JSON_FILE) {
        int64_t sz;
        const char *ms = option(def, "max-size");
        if (ms && (jsonlog_parse_size(ms, &sz, err) < 0 || sz <= 0))
            return error_set(err, ERR_INVALID, "json-file: invalid max-size");
        const char *mf = option(def, "max-file");
        if (mf) {
            char *end = NULL;
            long v = strtol(mf, &end, 10);
            if (end == mf || *end || v < 1 || v > 1000)
                return error_set(err, ERR_INVALID, "json-file: max-file must be a positive number");
        }
    }
    return 0;
}

/* ---- progress ---------------------------------------------------------- */

static void state_load(struct logship *s)
{
    char path[4300];
    snprintf(path, sizeof(path), "%s/%s", s->state_dir, s->state_name);
    _cleanup_free_ char *text = NULL;
    struct error err;
    if (fs_read_file(path, LIMIT_LOGSHIP_STATE, &text, NULL, &err) < 0)
        return;
    _cleanup_json_ json_t *j = json_loads(text, 0, NULL);
    json_int_t off = json_integer_value(json_object_get(j, "offset"));
    json_int_t ends[2] = {json_integer_value(json_object_get(j, "inflight")),
                          json_integer_value(json_object_get(j, "inflight2"))};
    struct logship_progress *pr = &s->progress;
    pr->resume = off > 0 ? (uint64_t)off : 0;
    /* Ends a batch may have been stored at: replayed in order. */
    for (size_t i = 0; i < 2; i++) {
        if (ends[i] <= (json_int_t)pr->resume || (uint64_t)ends[i] == pr->replay[0])
            continue;
        if (pr->replay[0] && (uint64_t)ends[i] < pr->replay[0]) {
            pr->replay[1] = pr->replay[0];
            pr->replay[0] = (uint64_t)ends[i];
        } else if (pr->replay[0]) {
            pr->replay[1] = (uint64_t)ends[i];
        } else {
            pr->replay[0] = (uint64_t)ends[i];
        }
    }
    pr->inflight[0] = pr->replay[0];
    pr->inflight[1] = pr->replay[1];
    pr->dropped = (uint64_t)json_integer_value(json_object_get(j, "dropped"));
}

/* Write pr to the progress file, unless a later snapshot is there
 * already.  Both awslogs threads call it (the sender before a call, the
 * log thread while one is out): it uses only the paths, which do not
 * change, and save_lock. */
static int state_save(struct logship *s, const struct logship_progress *pr, struct error *err)
{
    char text[256];
    int n = snprintf(text, sizeof(text),
                     "{\"offset\": %" PRIu64 ", \"inflight\": %" PRIu64 ", \"inflight2\": %" PRIu64
                     ", \"dropped\": %" PRIu64 "}\n",
                     pr->resume, pr->inflight[0], pr->inflight[1], pr->dropped);
    pthread_mutex_lock(&s->save_lock);
    int r = 0;
    if (!pr->seq || pr->seq > s->saved_seq) {
        r = fs_write_atomic(s->state_dir, s->state_name, text, (size_t)n, err);
        if (r == 0 && pr->seq)
            s->saved_seq = pr->seq;
    }
    pthread_mutex_unlock(&s->save_lock);
    return r;
}

static void state_remove(struct logship *s)
{
    char path[4300];
    snprintf(path, sizeof(path), "%s/%s", s->state_dir, s->state_name);
    unlink(path);
    /* An agent killed while saving left its temporary file behind. */
    fs_remove_stale_temps(s->state_dir, s->state_name);
}

/* Where a restart must read from: the oldest bytes not yet shipped. */
static uint64_t resume_offset(struct logship *s)
{
    uint64_t oldest;
    if (s->aws && logship_aws_oldest(s->aws, &oldest))
        return oldest;
    if (s->join.pending)
        return s->join.start_off;
    if (s->line_open)
        return s->line_start;
    return s->rbase;
}

/* logship_aws.c's ways to learn where a restart must read from and to
 * persist its progress. */
static uint64_t aws_resume(void *ctx) { return resume_offset(ctx); }

static int aws_save(void *ctx, const struct logship_progress *pr, struct error *err)
{
    return state_save(ctx, pr, err);
}

static size_t queued(struct logship *s) { return s->aws ? logship_aws_queued(s->aws) : 0; }

/* ---- lines ---------------------------------------------------------------- */

/* The line (text, len) ending at log offset `end` is complete, or (piece)
 * is as much of a longer line as one event holds. */
static int line_done(struct logship *s, const char *text, size_t len, uint64_t end, bool piece, struct error *err)
{
    s->line_open = false;
    if (s->driver == DRIVER_JSON_FILE) {
        size_t cap = len * 6 + 256;
        _cleanup_free_ char *buf = malloc(cap);
        if (!buf)
            return error_set(err, ERR_INTERNAL, "out of memory");
        /* A piece is written as Docker writes a partial message: without
         * the newline the line has not reached yet. */
        ssize_t n = jsonlog_encode(text, len, !piece, s->line_stderr, s->line_time, s->line_time_len, buf, cap);
        if (n < 0)
            return error_set(err, ERR_INTERNAL, "json-file: encoding overflow");
        return jsonlog_write(&s->jw, buf, (size_t)n, err);
    }
    /* A batch being replayed after a restart must end exactly where the
     * one in flight did: an event never spans its end. */
    const uint64_t *replay = s->progress.replay;
    bool force = (replay[0] && s->line_start == replay[0]) || (replay[1] && s->line_start == replay[1]);
    struct logjoin_event je;
    int r = logjoin_feed(&s->join, text, len, s->line_ts_us / 1000, s->line_start, end, force, &je, err);
    if (r < 0)
        return -1;
    s->join_at = s->read_at;
    if (r > 0 && logship_aws_push(s->aws, &je, err) < 0)
        return -1;
    return 0;
}

static int line_add(struct logship *s, const char *text, size_t len, struct error *err)
{
    /* Only a single record longer than one event (never conmon's, which
     * writes at most 8 KiB a record) is cut; longer lines go in pieces
     * (process()). */
    if (s->line.len + len > LIMIT_LOGS_EVENT_BYTES)
        len = s->line.len < LIMIT_LOGS_EVENT_BYTES ? LIMIT_LOGS_EVENT_BYTES - s->line.len : 0;
    if (buf_append(&s->line, text, len) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return 0;
}

static void line_open(struct logship *s, const struct conmon_log_rec *rec, uint64_t start)
{
    s->line_open = true;
    buf_reset(&s->line);
    s->line_start = start;
    s->line_ts_us = rec->ts_us;
    s->line_stderr = rec->is_stderr;
    s->line_time_len = rec->time_len < sizeof(s->line_time) ? rec->time_len : sizeof(s->line_time) - 1;
    memcpy(s->line_time, rec->time, s->line_time_len);
}

/* Handle the complete records in rbuf; keep an incomplete one. */
static int process(struct logship *s, struct error *err)
{
    size_t pos = 0;
    while (pos < s->rlen) {
        char *nl = memchr(s->rbuf + pos, '\n', s->rlen - pos);
        if (!nl)
            break;
        size_t len = (size_t)(nl - (s->rbuf + pos));
        uint64_t start = s->rbase + pos, end = start + len + 1;
        struct conmon_log_rec rec;
        if (conmon_log_parse(s->rbuf + pos, len, &rec) == 0) {
            bool whole = !s->line_open && !rec.partial; /* the usual case: no joining, no copy */
            /* A line longer than one event goes as several, as Docker's
             * awslogs sends it (rather than dropping the rest), cut where
             * conmon's records meet: each piece is a real range of the
             * file, so a restart resumes at one as at a line. */
            if (s->line_open && s->line.len > 0 && s->line.len + rec.text_len > LIMIT_LOGS_EVENT_BYTES &&
                line_done(s, s->line.data, s->line.len, start, true, err) < 0)
                return -1;
            if (!s->line_open)
                line_open(s, &rec, start);
            if (whole) {
                size_t n = rec.text_len < LIMIT_LOGS_EVENT_BYTES ? rec.text_len : LIMIT_LOGS_EVENT_BYTES;
                if (line_done(s, rec.text, n, end, false, err) < 0)
                    return -1;
            } else {
                if (line_add(s, rec.text, rec.text_len, err) < 0)
                    return -1;
                if (!rec.partial && line_done(s, s->line.data, s->line.len, end, false, err) < 0)
                    return -1;
            }
        }
        pos += len + 1;
    }
    if (pos == 0 && s->rlen == LIMIT_LOGSHIP_RECORD) {
        /* Not conmon's: no record is this long.  Skip it. */
        pos = s->rlen;
    }
    memmove(s->rbuf, s->rbuf + pos, s->rlen - pos);
    s->rlen -= pos;
    s->rbase += pos;
    return 0;
}

/* Read what the file has now (bounded per call so a fast writer cannot
 * starve shipping).  Sets s->eof when it is all read. */
static int read_more(struct logship *s, struct error *err)
{
    size_t budget = READ_CHUNK;
    s->read_at = time_monotonic();
    while (budget > 0) {
        size_t room = LIMIT_LOGSHIP_RECORD - s->rlen;
        if (room > budget)
            room = budget;
        ssize_t n = pread(s->fd, s->rbuf + s->rlen, room, (off_t)(s->rbase + s->rlen));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return error_sys(err, "read %s", s->log_path);
        if (n == 0) {
            s->eof = true;
            return 0;
        }
        s->eof = false;
        s->rlen += (size_t)n;
        budget -= (size_t)n;
        if (process(s, err) < 0)
            return -1;
    }
    return 0;
}

/* ---- the thread ------------------------------------------------------------ */

static void json_progress(struct logship *s)
{
    /* json-file lines are written as read; a crash between a write and
     * this save may repeat the lines of one read (at most READ_CHUNK). */
    uint64_t r = resume_offset(s);
    if (r != s->progress.resume) {
        s->progress.resume = r;
        struct error err;
        if (state_save(s, &s->progress, &err) < 0)
            log_warn("logs %s: %s", s->shipper_id, err.msg);
    }
}

static int ms_until(usec_t when, usec_t now)
{
    if (when <= now)
        return 0;
    usec_t ms = (when - now + 999) / 1000;
    return ms > 60000 ? 60000 : (int)ms;
}

/* One round of the thread's loop. */
struct round {
    bool stop;       /* asked to stop (with drain: once the log is shipped) */
    usec_t now;      /* when the round began */
    usec_t deadline; /* stopping: when draining gives up; 0 until then */
    bool throttled;  /* blocking awslogs with a full queue: not reading */
    bool done;       /* stopping and the whole log is read */
};

/* Whether the thread should end before reading (asked without drain, or
 * draining cannot finish). */
static bool ends_now(struct logship *s, struct round *r)
{
    pthread_mutex_lock(&s->lock);
    bool stop = s->stop, drain = s->drain;
    pthread_mutex_unlock(&s->lock);
    r->stop = stop;
    r->now = time_monotonic();
    if (stop && !drain)
        return true;
    if (stop && !r->deadline)
        r->deadline = r->now + LIMIT_LOGSHIP_DRAIN_SEC * USEC_PER_SEC;
    if (stop && s->aws && logship_aws_refused(s->aws)) {
        /* Not a passing outage: do not hold the task's stop for it. */
        log_warn("logs %s: the log group or stream cannot be created; %zu events not shipped", s->shipper_id,
                 queued(s));
        return true;
    }
    if (stop && r->now >= r->deadline) {
        log_warn("logs %s: gave up draining after %ds (%zu events not shipped)", s->shipper_id, LIMIT_LOGSHIP_DRAIN_SEC,
                 queued(s));
        if (s->aws)
            logship_aws_abort(s->aws);
        return true;
    }
    return false;
}

/* awslogs: end a multi-line event once its lines stop coming, ship what is
 * due.  -1 on an error that ends the thread. */
static int ship(struct logship *s, struct round *r, struct error *err)
{
    if (s->join.pending && (r->done || r->now - s->join_at >= LOGSHIP_FLUSH_USEC)) {
        struct logjoin_event je;
        if (logjoin_flush(&s->join, &je) > 0 && logship_aws_push(s->aws, &je, err) < 0)
            return -1;
    }
    logship_aws_ship(s->aws, r->done, r->now);
    return 0;
}

/* How long to sleep: until the file grows, a stop, the next flush or
 * retry (-1: until an event). */
static int sleep_ms(struct logship *s, struct round *r)
{
    usec_t now = time_monotonic();
    if (!s->eof && !r->throttled)
        return 0;
    usec_t next = logship_aws_flush_at(s->aws);
    if (s->join.pending && (!next || s->join_at + LOGSHIP_FLUSH_USEC < next))
        next = s->join_at + LOGSHIP_FLUSH_USEC;
    usec_t retry = logship_aws_retry_at(s->aws);
    if (retry && retry > next)
        next = retry;
    if (r->stop && (!next || r->deadline < next))
        next = r->deadline;
    int timeout = next ? ms_until(next, now) : -1;
    if (r->stop && queued(s) && timeout < 0 && !logship_aws_waiting(s->aws))
        timeout = 0;
    return timeout;
}

static void run(struct logship *s)
{
    _cleanup_close_ int ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (ino >= 0 && inotify_add_watch(ino, s->log_path, IN_MODIFY) < 0)
        log_warn("logs %s: cannot watch %s: %s", s->shipper_id, s->log_path, strerror(errno));
    struct round r = {0};
    struct error err;
    /* ECS creates the stream when the container starts, before any line;
     * if the server is away now, the first batch tries again. */
    if (s->aws && logship_aws_ensure_stream(s->aws, &err) < 0)
        log_info("logs %s: %s (will retry)", s->shipper_id, err.msg);
    while (!ends_now(s, &r)) {
        r.throttled = s->aws && logship_aws_full(s->aws);
        if (!r.throttled && read_more(s, &err) < 0) {
            log_warn("logs %s: %s", s->shipper_id, err.msg);
            return;
        }
        r.done = r.stop && s->eof;
        if (r.done && s->line_open && line_done(s, s->line.data, s->line.len, s->rbase, false, &err) < 0) {
            /* the container's last piece had no newline: it is a line too */
            log_warn("logs %s: %s", s->shipper_id, err.msg);
            return;
        }
        if (s->driver == DRIVER_JSON_FILE) {
            json_progress(s);
            if (r.done)
                return;
            agent_sync_poll(s->wake_fd, ino, s->eof ? -1 : 0);
            continue;
        }
        if (ship(s, &r, &err) < 0) {
            log_warn("logs %s: %s", s->shipper_id, err.msg);
            return;
        }
        if (r.done && !queued(s) && !s->join.pending) {
            logship_aws_settle(s->aws);
            return;
        }
        int timeout = sleep_ms(s, &r);
        if (timeout != 0) {
            logship_aws_settle(s->aws);
            /* Throttled, the file's growth is no reason to wake (conmon's
             * every write would be one): the answer that empties the queue is. */
            agent_sync_poll(s->wake_fd, r.throttled ? -1 : ino, timeout);
        }
    }
    if (s->aws)
        logship_aws_settle(s->aws); /* stopped without draining: the next agent resumes from the file */
}

static void *ship_main(void *arg)
{
    struct logship *s = arg;
    run(s);
    return NULL;
}

/* ---- start and stop ------------------------------------------------------- */

static void ship_free(struct logship *s)
{
    if (!s)
        return;
    logship_aws_free(s->aws); /* first: its sender thread writes to wake_fd */
    if (s->fd >= 0)
        close(s->fd);
    if (s->wake_fd >= 0)
        close(s->wake_fd);
    free(s->rbuf);
    buf_free(&s->line);
    logjoin_free(&s->join);
    jsonlog_close(&s->jw);
    pthread_mutex_destroy(&s->lock);
    pthread_mutex_destroy(&s->save_lock);
    free(s);
}

static int setup_json_file(struct logship *s, const struct logship_params *p, struct error *err)
{
    char dir[4200];
    snprintf(dir, sizeof(dir), "%s/logs/%s", p->data_dir, p->task_id);
    if (fs_mkdir_p(dir, 0755, err) < 0)
        return -1;
    if (snprintf(s->json_path, sizeof(s->json_path), "%s/%s-json.log", dir, p->ctr_name) >= (int)sizeof(s->json_path))
        return error_set(err, ERR_LIMIT, "json-file: path too long");
    const char *ms = option(p->def, "max-size"), *mf = option(p->def, "max-file");
    s->max_size = 0;
    s->max_file = 1;
    if (ms && jsonlog_parse_size(ms, &s->max_size, err) < 0)
        return -1;
    if (mf)
        s->max_file = (int)strtol(mf, NULL, 10);
    return jsonlog_open(&s->jw, s->json_path, s->max_size, s->max_file, err);
}

static int setup_awslogs(struct logship *s, const struct logship_params *p, struct error *err)
{
    struct logship_aws_params ap = {
        .server = p->server,
        .creds = p->creds,
        .region = p->region,
        .shipper_id = s->shipper_id,
        .task_id = p->task_id,
        .ctr_id = p->ctr_id,
        .ctr_name = p->ctr_name,
        .options = options_of(p->def),
        .progress = &s->progress,
        .resume = aws_resume,
        .save = aws_save,
        .ctx = s,
        .wake_fd = s->wake_fd,
    };
    if (logship_aws_new(&ap, &s->aws, err) < 0)
        return -1;
    return join_init(&s->join, p->def, err);
}

/* Names and paths of the shipper, bounded. */
static int setup_names(struct logship *s, const struct logship_params *p, struct error *err)
{
    if (snprintf(s->log_path, sizeof(s->log_path), "%s", p->log_path) >= (int)sizeof(s->log_path) ||
        snprintf(s->state_dir, sizeof(s->state_dir), "%s/logship", p->data_dir) >= (int)sizeof(s->state_dir) ||
        snprintf(s->state_name, sizeof(s->state_name), "%s.json", p->ctr_id) >= (int)sizeof(s->state_name) ||
        snprintf(s->shipper_id, sizeof(s->shipper_id), "%s/%s", p->task_id, p->ctr_name) >=
            (int)sizeof(s->shipper_id) ||
        strlen(p->ctr_id) > LIMIT_CTR_ID)
        return error_set(err, ERR_LIMIT, "log paths too long");
    return fs_mkdir_p(s->state_dir, 0700, err);
}

int logship_start(const struct logship_params *p, struct logship **ret, struct error *err)
{
    enum driver d = driver_of(p->def);
    if (d == DRIVER_LOCAL || d == DRIVER_NONE) {
        *ret = NULL;
        return 0;
    }
    struct logship *s = calloc(1, sizeof(*s));
    if (!s)
        return error_set(err, ERR_INTERNAL, "out of memory");
    s->fd = s->wake_fd = -1;
    s->jw.fd = -1;
    s->driver = d;
    buf_init(&s->line, LIMIT_LOGS_EVENT_BYTES);
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_init(&s->save_lock, NULL);
    if (setup_names(s, p, err) < 0)
        goto fail;
    state_load(s);
    s->rbuf = malloc(LIMIT_LOGSHIP_RECORD);
    s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (!s->rbuf || s->wake_fd < 0) {
        error_set(err, ERR_INTERNAL, "out of memory or file descriptors");
        goto fail;
    }
    if ((d == DRIVER_AWSLOGS ? setup_awslogs(s, p, err) : setup_json_file(s, p, err)) < 0)
        goto fail;
    s->fd = open(s->log_path, O_RDONLY | O_CLOEXEC);
    if (s->fd < 0) {
        error_sys(err, "open %s", s->log_path);
        goto fail;
    }
    s->rbase = s->progress.resume;
    if (pthread_create(&s->thread, NULL, ship_main, s) != 0) {
        error_set(err, ERR_INTERNAL, "cannot start the log thread");
        goto fail;
    }
    *ret = s;
    return 0;
fail:
    ship_free(s);
    return -1;
}

void logship_stop(struct logship *s, bool drain)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    s->stop = true;
    s->drain = drain;
    pthread_mutex_unlock(&s->lock);
    if (!drain && s->aws)
        logship_aws_abort(s->aws);
    uint64_t one = 1;
    ssize_t w = write(s->wake_fd, &one, sizeof(one));
    (void)w;
    pthread_join(s->thread, NULL);
    /* A call still out ends (and its sender stops writing progress) here. */
    logship_aws_free(s->aws);
    s->aws = NULL;
    /* Drained (or given up on: the log is about to be moved away and no
     * shipper will read it again): the progress file has done its job. */
    if (drain)
        state_remove(s);
    ship_free(s);
}
