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
#include "agent/logs/jsonlog.h"
#include "agent/logs/conmon_log.h"
#include "agent/logs/logjoin.h"
#include "agent/logs/logship_int.h"

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

const char *logship_option(json_t *def, const char *key)
{
    json_t *opts = json_object_get(json_object_get(def, "logConfiguration"), "options");
    return json_string_value(json_object_get(opts, key));
}

bool logship_keeps_local(json_t *def) { return driver_of(def) != DRIVER_NONE; }

int logship_check(json_t *def, struct error *err)
{
    enum driver d = driver_of(def);
    if (d == DRIVER_AWSLOGS) {
        if (!logship_option(def, "awslogs-group"))
            return error_set(err, ERR_INVALID, "awslogs: the awslogs-group option is required");
        const char *mode = logship_option(def, "mode");
        if (mode && strcmp(mode, "blocking") != 0 && strcmp(mode, "non-blocking") != 0)
            return error_set(err, ERR_INVALID, "awslogs: mode must be blocking or non-blocking");
        int64_t sz;
        const char *mbs = logship_option(def, "max-buffer-size");
        if (mbs && jsonlog_parse_size(mbs, &sz, err) < 0)
            return error_prefix(err, "awslogs: max-buffer-size");
        struct logjoin j;
        if (logjoin_init(&j, logship_option(def, "awslogs-datetime-format"),
                         logship_option(def, "awslogs-multiline-pattern"), LIMIT_LOGS_EVENT_BYTES, err) < 0)
            return error_prefix(err, "awslogs");
        logjoin_free(&j);
    } else if (d == DRIVER_JSON_FILE) {
        int64_t sz;
        const char *ms = logship_option(def, "max-size");
        if (ms && (jsonlog_parse_size(ms, &sz, err) < 0 || sz <= 0))
            return error_set(err, ERR_INVALID, "json-file: invalid max-size '%s'", ms);
        const char *mf = logship_option(def, "max-file");
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
    json_int_t inflight = json_integer_value(json_object_get(j, "inflight"));
    s->resume = off > 0 ? (uint64_t)off : 0;
    s->inflight = inflight > (json_int_t)s->resume ? (uint64_t)inflight : 0;
    s->replay_end = s->inflight;
    s->dropped = (uint64_t)json_integer_value(json_object_get(j, "dropped"));
}

int logship_state_save(struct logship *s, struct error *err)
{
    char text[256];
    int n =
        snprintf(text, sizeof(text), "{\"offset\": %" PRIu64 ", \"inflight\": %" PRIu64 ", \"dropped\": %" PRIu64 "}\n",
                 s->resume, s->inflight, s->dropped);
    return fs_write_atomic(s->state_dir, s->state_name, text, (size_t)n, err);
}

static void state_remove(struct logship *s)
{
    char path[4300];
    snprintf(path, sizeof(path), "%s/%s", s->state_dir, s->state_name);
    unlink(path);
}

/* Where a restart must read from: the oldest bytes not yet shipped. */
uint64_t logship_resume_offset(struct logship *s, uint64_t consumed)
{
    if (s->qn)
        return s->q[s->qhead].start;
    if (s->join.pending)
        return s->join.start_off;
    if (s->line_open)
        return s->line_start;
    return consumed;
}

/* ---- lines ---------------------------------------------------------------- */

static int line_done(struct logship *s, uint64_t end, struct error *err)
{
    s->line_open = false;
    if (s->driver == DRIVER_JSON_FILE) {
        size_t cap = s->line_len * 6 + 256;
        _cleanup_free_ char *buf = malloc(cap);
        if (!buf)
            return error_set(err, ERR_INTERNAL, "out of memory");
        ssize_t n =
            jsonlog_encode(s->line, s->line_len, true, s->line_stderr, s->line_time, s->line_time_len, buf, cap);
        if (n < 0)
            return error_set(err, ERR_INTERNAL, "json-file: encoding overflow");
        return jsonlog_write(&s->jw, buf, (size_t)n, err);
    }
    /* A batch being replayed after a restart must end exactly where the
     * one in flight did: an event never spans its end. */
    bool force = s->replay_end && s->line_start == s->replay_end;
    struct logjoin_event je;
    int r = logjoin_feed(&s->join, s->line, s->line_len, s->line_ts_us / 1000, s->line_start, end, force, &je, err);
    if (r < 0)
        return -1;
    s->join_at = time_monotonic();
    if (r > 0 && logship_aws_push(s, &je, err) < 0)
        return -1;
    return 0;
}

static int line_add(struct logship *s, const char *text, size_t len, struct error *err)
{
    /* Longer lines are cut at what one event may hold. */
    if (s->line_len + len > LIMIT_LOGS_EVENT_BYTES)
        len = s->line_len < LIMIT_LOGS_EVENT_BYTES ? LIMIT_LOGS_EVENT_BYTES - s->line_len : 0;
    if (s->line_len + len + 1 > s->line_cap) {
        size_t cap = s->line_cap ? s->line_cap : 1024;
        while (cap < s->line_len + len + 1)
            cap *= 2;
        char *nl = realloc(s->line, cap);
        if (!nl)
            return error_set(err, ERR_INTERNAL, "out of memory");
        s->line = nl;
        s->line_cap = cap;
    }
    memcpy(s->line + s->line_len, text, len);
    s->line_len += len;
    s->line[s->line_len] = '\0';
    return 0;
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
            if (!s->line_open) {
                s->line_open = true;
                s->line_len = 0;
                s->line_start = start;
                s->line_ts_us = rec.ts_us;
                s->line_stderr = rec.is_stderr;
                s->line_time_len = rec.time_len < sizeof(s->line_time) ? rec.time_len : sizeof(s->line_time) - 1;
                memcpy(s->line_time, rec.time, s->line_time_len);
            }
            if (line_add(s, rec.text, rec.text_len, err) < 0)
                return -1;
            if (!rec.partial && line_done(s, end, err) < 0)
                return -1;
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
    uint64_t r = logship_resume_offset(s, s->rbase);
    if (r != s->resume) {
        s->resume = r;
        struct error err;
        if (logship_state_save(s, &err) < 0)
            log_warn("logs %s: %s", s->shipper_id, err.msg);
    }
}

static void wait_for(struct logship *s, int ino, int timeout_ms)
{
    struct pollfd fds[2] = {{.fd = s->wake_fd, .events = POLLIN}, {.fd = ino, .events = POLLIN}};
    if (poll(fds, ino >= 0 ? 2 : 1, timeout_ms) <= 0)
        return;
    char buf[4096];
    if (fds[0].revents & POLLIN) {
        uint64_t v;
        ssize_t r = read(s->wake_fd, &v, sizeof(v));
        (void)r;
    }
    if (ino >= 0 && (fds[1].revents & POLLIN))
        while (read(ino, buf, sizeof(buf)) > 0)
            ;
}

static int ms_until(usec_t when, usec_t now)
{
    if (when <= now)
        return 0;
    usec_t ms = (when - now + 999) / 1000;
    return ms > 60000 ? 60000 : (int)ms;
}

static void run(struct logship *s)
{
    _cleanup_close_ int ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (ino >= 0 && inotify_add_watch(ino, s->log_path, IN_MODIFY) < 0)
        log_warn("logs %s: cannot watch %s: %s", s->shipper_id, s->log_path, strerror(errno));
    usec_t deadline = 0;
    bool warned = false;
    struct error first;
    /* ECS creates the stream when the container starts, before any line;
     * if the server is away now, the first batch tries again. */
    if (s->driver == DRIVER_AWSLOGS && logship_aws_ensure_stream(s, &first) < 0)
        log_info("logs %s: %s (will retry)", s->shipper_id, first.msg);
    for (;;) {
        pthread_mutex_lock(&s->lock);
        bool stop = s->stop, drain = s->drain;
        pthread_mutex_unlock(&s->lock);
        usec_t now = time_monotonic();
        if (stop && !drain)
            return;
        if (stop && !deadline)
            deadline = now + LIMIT_LOGSHIP_DRAIN_SEC * USEC_PER_SEC;
        if (stop && s->refused) {
            /* Not a passing outage: do not hold the task's stop for it. */
            log_warn("logs %s: the log group or stream cannot be created; %zu events not shipped", s->shipper_id,
                     s->qn);
            return;
        }
        if (stop && now >= deadline) {
            log_warn("logs %s: gave up draining after %ds (%zu events not shipped)", s->shipper_id,
                     LIMIT_LOGSHIP_DRAIN_SEC, s->qn);
            s->abort = true;
            return;
        }
        struct error err;
        bool throttled = s->driver == DRIVER_AWSLOGS && !s->nonblocking && s->qbytes >= LIMIT_LOGSHIP_QUEUE_BYTES;
        if (!throttled && read_more(s, &err) < 0) {
            log_warn("logs %s: %s", s->shipper_id, err.msg);
            return;
        }
        bool done_reading = stop && s->eof;
        if (done_reading && s->line_open && line_done(s, s->rbase, &err) < 0) {
            /* the container's last piece had no newline: it is a line too */
            log_warn("logs %s: %s", s->shipper_id, err.msg);
            return;
        }
        if (s->driver == DRIVER_JSON_FILE) {
            json_progress(s);
            if (done_reading)
                return;
            wait_for(s, ino, s->eof ? -1 : 0);
            continue;
        }
        /* awslogs: end a multi-line event once its lines stop coming. */
        if (s->join.pending && (done_reading || now - s->join_at >= FLUSH_USEC)) {
            struct logjoin_event je;
            if (logjoin_flush(&s->join, &je) > 0 && logship_aws_push(s, &je, &err) < 0) {
                log_warn("logs %s: %s", s->shipper_id, err.msg);
                return;
            }
        }
        while (now >= s->retry_at && logship_aws_due(s, done_reading)) {
            if (logship_aws_send(s, s->rbase, &err) < 0) {
                s->refused = err.kind != ERR_IO && !s->ready;
                s->backoff = s->backoff ? s->backoff * 2 : BACKOFF_MIN_USEC;
                if (s->backoff > BACKOFF_MAX_USEC)
                    s->backoff = BACKOFF_MAX_USEC;
                s->retry_at = time_monotonic() + s->backoff;
                if (!warned)
                    log_warn("logs %s: %s (retrying)", s->shipper_id, err.msg);
                warned = true;
                break;
            }
            if (warned)
                log_info("logs %s: shipping again", s->shipper_id);
            warned = false;
            s->refused = false;
            s->backoff = 0;
            s->retry_at = 0;
            now = time_monotonic();
        }
        if (done_reading && !s->qn && !s->join.pending)
            return;
        /* Sleep until the file grows, a stop, the next flush or retry. */
        int timeout = -1;
        now = time_monotonic();
        if (!s->eof && !throttled)
            timeout = 0;
        else {
            usec_t next = 0;
            if (s->qn)
                next = s->q_since + FLUSH_USEC;
            if (s->join.pending && (!next || s->join_at + FLUSH_USEC < next))
                next = s->join_at + FLUSH_USEC;
            if (s->retry_at && s->qn && s->retry_at > next)
                next = s->retry_at;
            if (stop && (!next || deadline < next))
                next = deadline;
            if (next)
                timeout = ms_until(next, now);
            if (stop && s->qn && timeout < 0)
                timeout = 0;
        }
        if (timeout != 0)
            wait_for(s, ino, timeout);
    }
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
    if (s->fd >= 0)
        close(s->fd);
    if (s->wake_fd >= 0)
        close(s->wake_fd);
    logship_aws_clear(s);
    free(s->rbuf);
    free(s->line);
    logjoin_free(&s->join);
    jsonlog_close(&s->jw);
    awsjson_client_free(s->client);
    pthread_mutex_destroy(&s->lock);
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
    const char *ms = logship_option(p->def, "max-size"), *mf = logship_option(p->def, "max-file");
    s->max_size = 0;
    s->max_file = 1;
    if (ms && jsonlog_parse_size(ms, &s->max_size, err) < 0)
        return -1;
    if (mf)
        s->max_file = (int)strtol(mf, NULL, 10);
    return jsonlog_open(&s->jw, s->json_path, s->max_size, s->max_file, err);
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
    pthread_mutex_init(&s->lock, NULL);
    int r = -1;
    if (snprintf(s->log_path, sizeof(s->log_path), "%s", p->log_path) >= (int)sizeof(s->log_path) ||
        snprintf(s->state_dir, sizeof(s->state_dir), "%s/logship", p->data_dir) >= (int)sizeof(s->state_dir) ||
        snprintf(s->state_name, sizeof(s->state_name), "%s.json", p->ctr_id) >= (int)sizeof(s->state_name) ||
        snprintf(s->shipper_id, sizeof(s->shipper_id), "%s/%s", p->task_id, p->ctr_name) >=
            (int)sizeof(s->shipper_id) ||
        snprintf(s->ctr_id, sizeof(s->ctr_id), "%s", p->ctr_id) >= (int)sizeof(s->ctr_id)) {
        error_set(err, ERR_LIMIT, "log paths too long");
        goto fail;
    }
    if (fs_mkdir_p(s->state_dir, 0700, err) < 0)
        goto fail;
    r = d == DRIVER_AWSLOGS ? logship_aws_setup(s, p, err) : setup_json_file(s, p, err);
    if (r < 0)
        goto fail;
    r = -1;
    s->rbuf = malloc(LIMIT_LOGSHIP_RECORD);
    s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (!s->rbuf || s->wake_fd < 0) {
        error_set(err, ERR_INTERNAL, "out of memory or file descriptors");
        goto fail;
    }
    s->fd = open(s->log_path, O_RDONLY | O_CLOEXEC);
    if (s->fd < 0) {
        error_sys(err, "open %s", s->log_path);
        goto fail;
    }
    state_load(s);
    s->rbase = s->resume;
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
    if (!drain)
        s->abort = true;
    uint64_t one = 1;
    ssize_t w = write(s->wake_fd, &one, sizeof(one));
    (void)w;
    pthread_join(s->thread, NULL);
    /* Drained (or given up on: the log is about to be moved away and no
     * shipper will read it again): the progress file has done its job. */
    if (drain)
        state_remove(s);
    ship_free(s);
}
