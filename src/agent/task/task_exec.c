/* task_exec.c - ECS Exec sessions on the agent (see task_exec.h).
 *
 * A session's thread dials the server's WebSocket (the agent channel of
 * the session, proving itself with the token the poll answer carried),
 * starts `runc|crun exec` with the container's own process settings (its
 * user, environment, working directory, capabilities: runtime.c's exec
 * files) and the session's command, and pumps bytes: stdin frames to the
 * process, its output to frames, and at the end its exit status.  An
 * interactive session gets a terminal: the agent opens a pty pair, gives
 * the runtime the slave as its stdio and the runtime relays it to the
 * container's own pty, so the command has a controlling terminal inside
 * the container.  A one-shot session gets pipes (stdout and stderr apart).
 *
 * The client going away, or the agent stopping, kills the command (its
 * host pid from the runtime's pid file) and the runtime front. */
#include "agent/task/task_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "agent/agent_limits.h"
#include "agent/runtime/spawn.h"
#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "common/proto.h"
#include "common/ws.h"

struct exec_job {
    struct runner_env *env;
    char session_id[96];
    char token[96];
    char task_id[33];
    char container[256];
    bool interactive;
    json_t *argv; /* owned */
    char url[1200];
};

/* The process's ends as the agent holds them: in (-1 once closed), and
 * one (pty) or two (pipes) outputs. */
struct exec_io {
    int in;
    int out[2];
    int child[3]; /* the runtime's stdio until it is started */
};

static void job_free(struct exec_job *j)
{
    if (!j)
        return;
    json_decref(j->argv);
    explicit_bzero(j->token, sizeof(j->token));
    free(j);
}

static void send_frame(struct ws_conn *c, char type, const void *data, size_t len)
{
    unsigned char buf[1 + 16384];
    struct error err;
    if (len > sizeof(buf) - 1)
        len = sizeof(buf) - 1;
    buf[0] = (unsigned char)type;
    memcpy(buf + 1, data, len);
    ws_send(c, WS_BINARY, buf, len + 1, &err);
}

static void send_failed(struct ws_conn *c, const char *why)
{
    struct error err;
    send_frame(c, PROTO_EXEC_FAILED, why, strlen(why));
    ws_send_close(c, 1000, "command did not start", &err);
}

/* The runtime id of the session's container, if its task runs here. */
static bool find_container(struct exec_job *j, char *id, size_t cap)
{
    bool found = false;
    pthread_mutex_lock(&j->env->lock);
    for (struct task_runner *t = j->env->runners; t && !found; t = t->next) {
        if (strcmp(t->id, j->task_id) != 0)
            continue;
        for (size_t i = 0; i < t->nctrs && !found; i++)
            if (t->ctrs[i].name && strcmp(t->ctrs[i].name, j->container) == 0 && t->ctrs[i].state == CTR_RUNNING) {
                snprintf(id, cap, "%s", t->ctrs[i].id);
                found = true;
            }
    }
    pthread_mutex_unlock(&j->env->lock);
    return found;
}

static void io_close(struct exec_io *io)
{
    for (int i = 0; i < 3; i++)
        if (io->child[i] >= 0 && (i == 0 || io->child[i] != io->child[i - 1]))
            close(io->child[i]);
    io->child[0] = io->child[1] = io->child[2] = -1;
    if (io->in >= 0 && io->in != io->out[0])
        close(io->in);
    for (int i = 0; i < 2; i++)
        if (io->out[i] >= 0)
            close(io->out[i]);
    io->in = io->out[0] = io->out[1] = -1;
}

/* A pty pair: the master is both in and out; the slave, raw, is the
 * runtime's stdio. */
static int io_pty(struct exec_io *io, struct error *err)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0)
        return error_sys(err, "posix_openpt");
    char name[128];
    if (grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, name, sizeof(name)) != 0) {
        close(m);
        return error_sys(err, "pty");
    }
    int s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (s < 0) {
        close(m);
        return error_sys(err, "open %s", name);
    }
    struct termios tio;
    if (tcgetattr(s, &tio) == 0) {
        cfmakeraw(&tio);
        tcsetattr(s, TCSANOW, &tio);
    }
    /* Non-blocking: the output is drained at the command's exit without
     * waiting on a slave someone else might hold. */
    fcntl(m, F_SETFL, O_NONBLOCK);
    struct winsize ws = {.ws_row = 24, .ws_col = 80};
    ioctl(m, TIOCSWINSZ, &ws);
    io->in = io->out[0] = m;
    io->child[0] = io->child[1] = io->child[2] = s;
    return 0;
}

static int io_pipes(struct exec_io *io, struct error *err)
{
    int p[3][2];
    for (int i = 0; i < 3; i++)
        if (pipe2(p[i], O_CLOEXEC) < 0) {
            for (int k = 0; k < i; k++) {
                close(p[k][0]);
                close(p[k][1]);
            }
            return error_sys(err, "pipe");
        }
    io->in = p[0][1];
    io->child[0] = p[0][0];
    io->out[0] = p[1][0];
    io->child[1] = p[1][1];
    io->out[1] = p[2][0];
    io->child[2] = p[2][1];
    return 0;
}

static void kill_command(const char *pidfile)
{
    _cleanup_free_ char *text = NULL;
    struct error e;
    if (fs_read_file(pidfile, 64, &text, NULL, &e) < 0)
        return;
    long pid = strtol(text, NULL, 10);
    if (pid > 1)
        kill((pid_t)pid, SIGKILL);
}

/* A frame from the client: stdin bytes, or its end.  -1: the client is
 * gone or spoke out of turn. */
static int from_client(struct ws_conn *c, struct exec_io *io, unsigned char *buf)
{
    enum ws_opcode op;
    size_t len;
    struct error err;
    if (ws_recv(c, &op, buf, LIMIT_WS_FRAME, &len, &err) < 0 || op == WS_CLOSE)
        return -1;
    if (op != WS_BINARY || len == 0)
        return -1;
    if (buf[0] == PROTO_EXEC_STDIN_EOF) {
        if (io->in >= 0 && io->in == io->out[0]) {
            static const char eot = 4; /* ^D: end of input on a terminal */
            if (write(io->in, &eot, 1) < 0)
                return 0;
        } else if (io->in >= 0) {
            close(io->in);
            io->in = -1;
        }
        return 0;
    }
    if (buf[0] != PROTO_EXEC_STDIN)
        return -1;
    for (size_t off = 1; io->in >= 0 && off < len;) {
        ssize_t w = write(io->in, buf + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN) { /* a full terminal: give it a moment */
            struct pollfd p = {.fd = io->in, .events = POLLOUT};
            if (poll(&p, 1, 1000) > 0)
                continue;
        }
        if (w <= 0)
            break; /* the command stopped reading: drop the rest */
        off += (size_t)w;
    }
    return 0;
}

/* Pump until the command exits and its output is drained (0, *ret_status)
 * or the client leaves (-1). */
static int pump(struct exec_job *j, struct ws_conn *c, struct exec_io *io, pid_t pid, int pidfd, int *ret_status)
{
    _cleanup_free_ unsigned char *buf = malloc(LIMIT_WS_FRAME);
    bool exited = false;
    int status = 0;
    while (buf) {
        if (j->env->agent->stopping)
            return -1;
        if (exited && io->out[0] < 0 && io->out[1] < 0) {
            *ret_status = status;
            return 0;
        }
        struct pollfd p[4] = {{.fd = c->fd, .events = POLLIN},
                              {.fd = io->out[0], .events = POLLIN},
                              {.fd = io->out[1], .events = POLLIN},
                              {.fd = exited ? -1 : pidfd, .events = POLLIN}};
        int n = ws_conn_buffered(c) ? 1 : poll(p, 4, 500);
        if (n < 0 && errno != EINTR)
            return -1;
        if (n <= 0)
            continue;
        if ((ws_conn_buffered(c) || p[0].revents) && from_client(c, io, buf) < 0)
            return -1;
        for (int i = 0; i < 2; i++) {
            if (io->out[i] < 0 || !p[i + 1].revents)
                continue;
            ssize_t r = read(io->out[i], buf, 16384);
            if (r < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (r <= 0) { /* EOF, or EIO: the pty's last slave closed */
                if (io->in == io->out[i])
                    io->in = -1;
                close(io->out[i]);
                io->out[i] = -1;
                continue;
            }
            send_frame(c, i == 0 ? PROTO_EXEC_STDOUT : PROTO_EXEC_STDERR, buf, (size_t)r);
        }
        if (!exited && p[3].revents) {
            struct error err;
            if (spawn_wait(pid, pidfd, 0, &status, &err) == 0)
                exited = true;
            /* A pty's master reads EIO only once no slave is open; a
             * command's background child may keep one: stop at its exit. */
            if (exited && io->out[0] >= 0 && io->out[0] == io->in) {
                int k = 0;
                ssize_t r;
                while (k++ < 64 && (r = read(io->out[0], buf, 16384)) > 0)
                    send_frame(c, PROTO_EXEC_STDOUT, buf, (size_t)r);
                io->in = -1;
                close(io->out[0]);
                io->out[0] = -1;
            }
        }
    }
    return -1;
}

static void job_run(struct exec_job *j)
{
    struct ws_conn c;
    struct error err;
    if (ws_client_connect(j->url, &c, &err) < 0) {
        log_warn("exec %s: %s", j->session_id, err.msg);
        return;
    }
    _cleanup_close_ int fd = c.fd;
    json_t *hello = json_pack("{s:s}", "TokenValue", j->token);
    char *text = hello ? json_dumps(hello, JSON_COMPACT) : NULL;
    json_decref(hello);
    int sent = text ? ws_send(&c, WS_TEXT, text, strlen(text), &err) : -1;
    if (text) {
        explicit_bzero(text, strlen(text));
        free(text);
    }
    if (sent < 0)
        return;
    char id[72];
    if (!find_container(j, id, sizeof(id))) {
        send_failed(&c, "The container is not running on this container instance.");
        return;
    }
    const char *args[LIMIT_EXEC_ARGV];
    size_t argc = json_array_size(j->argv);
    for (size_t i = 0; i < argc; i++)
        args[i] = json_string_value(json_array_get(j->argv, i));
    struct runtime_exec_files files = {0};
    if (runtime_exec_prepare(&j->env->rt, id, args, argc, j->interactive, &files, &err) < 0) {
        send_failed(&c, err.msg);
        return;
    }
    struct exec_io io = {.in = -1, .out = {-1, -1}, .child = {-1, -1, -1}};
    pid_t pid = -1;
    int pidfd = -1;
    if ((j->interactive ? io_pty(&io, &err) : io_pipes(&io, &err)) < 0 ||
        oci_runtime_exec_start(files.oc, id, files.procfile, files.pidfile, io.child[0], io.child[1], io.child[2], &pid,
                               &pidfd, &err) < 0) {
        io_close(&io);
        runtime_exec_cleanup(&files);
        send_failed(&c, err.msg);
        return;
    }
    /* Only the runtime holds the child ends now, so their EOF is its. */
    for (int i = 0; i < 3; i++)
        if (io.child[i] >= 0 && (i == 0 || io.child[i] != io.child[i - 1]))
            close(io.child[i]);
    io.child[0] = io.child[1] = io.child[2] = -1;
    log_info("exec %s: started in container %s", j->session_id, id);
    int status = 0;
    if (pump(j, &c, &io, pid, pidfd, &status) == 0) {
        char code[16];
        int n = snprintf(code, sizeof(code), "%d", spawn_exit_code(status));
        send_frame(&c, PROTO_EXEC_EXIT, code, (size_t)n);
        ws_send_close(&c, 1000, "command exited", &err);
        log_info("exec %s: exited with %s", j->session_id, code);
        close(pidfd);
    } else {
        log_info("exec %s: the client left or the agent stops: killing the command", j->session_id);
        kill_command(files.pidfile);
        spawn_kill_reap(pid, pidfd);
    }
    io_close(&io);
    runtime_exec_cleanup(&files);
}

static void *job_main(void *arg)
{
    struct exec_job *j = arg;
    struct runner_env *env = j->env;
    job_run(j);
    job_free(j);
    pthread_mutex_lock(&env->lock);
    env->exec_running--;
    pthread_cond_broadcast(&env->exec_idle);
    pthread_mutex_unlock(&env->lock);
    return NULL;
}

/* Session ids go into a URL path: ECS's form only. */
static bool id_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 80)
        return false;
    return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

static struct exec_job *job_new(struct runner_env *env, json_t *session)
{
    const char *sid = json_string_value(json_object_get(session, "sessionId"));
    const char *token = json_string_value(json_object_get(session, "agentToken"));
    const char *arn = json_string_value(json_object_get(session, "taskArn"));
    const char *ctr = json_string_value(json_object_get(session, "containerName"));
    json_t *argv = json_object_get(session, "command");
    const char *slash = arn ? strrchr(arn, '/') : NULL;
    if (!id_ok(sid) || !token || strlen(token) >= 96 || !slash || strlen(slash + 1) != 32 || !ctr ||
        strlen(ctr) >= 256 || !json_is_array(argv) || json_array_size(argv) == 0 ||
        json_array_size(argv) > LIMIT_EXEC_ARGV)
        return NULL;
    size_t i;
    json_t *a;
    json_array_foreach(argv, i, a) {
        if (!json_is_string(a))
            return NULL;
    }
    const char *server = env->agent->cfg.server;
    if (strncmp(server, "http://", 7) != 0)
        return NULL; /* https: a TLS WebSocket is not built */
    struct exec_job *j = calloc(1, sizeof(*j));
    if (!j)
        return NULL;
    j->env = env;
    snprintf(j->session_id, sizeof(j->session_id), "%s", sid);
    snprintf(j->token, sizeof(j->token), "%s", token);
    snprintf(j->task_id, sizeof(j->task_id), "%s", slash + 1);
    snprintf(j->container, sizeof(j->container), "%s", ctr);
    j->interactive = json_is_true(json_object_get(session, "interactive"));
    j->argv = json_deep_copy(argv);
    /* The server holding the session names itself (agentUrl): with several
     * servers it need not be the one this agent polls.  Without it (an
     * older server), the first of our servers. */
    const char *named = json_string_value(json_object_get(session, "agentUrl"));
    if (named && strncmp(named, "ws://", 5) == 0 && strlen(named) < sizeof(j->url)) {
        snprintf(j->url, sizeof(j->url), "%s", named);
        return j;
    }
    size_t hl = strcspn(server + 7, ","); /* the first of several servers' */
    while (hl && server[7 + hl - 1] == '/')
        hl--;
    snprintf(j->url, sizeof(j->url), "ws://%.*s%s%s", (int)hl, server + 7, PROTO_EXEC_AGENT_PATH, sid);
    return j;
}

void task_exec_start(struct runner_env *env, json_t *session)
{
    struct exec_job *j = job_new(env, session);
    if (!j) {
        log_warn("exec: ignoring a malformed session from the server");
        return;
    }
    pthread_mutex_lock(&env->lock);
    if (env->exec_running >= LIMIT_EXEC_RUNNING) {
        pthread_mutex_unlock(&env->lock);
        log_warn("exec %s: %d sessions already run here; refused", j->session_id, LIMIT_EXEC_RUNNING);
        job_free(j);
        return;
    }
    env->exec_running++;
    pthread_mutex_unlock(&env->lock);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t t;
    int r = pthread_create(&t, &attr, job_main, j);
    pthread_attr_destroy(&attr);
    if (r != 0) {
        log_warn("exec %s: cannot start a thread", j->session_id);
        job_free(j);
        pthread_mutex_lock(&env->lock);
        env->exec_running--;
        pthread_mutex_unlock(&env->lock);
    }
}

void task_exec_stop_all(struct runner_env *env)
{
    /* agent->stopping is set: each session notices within its poll. */
    pthread_mutex_lock(&env->lock);
    while (env->exec_running > 0)
        pthread_cond_wait(&env->exec_idle, &env->lock);
    pthread_mutex_unlock(&env->lock);
}
