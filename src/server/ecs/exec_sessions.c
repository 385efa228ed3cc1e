/* exec_sessions.c - ECS Exec sessions and their relay (see
 * exec_sessions.h).
 *
 * A fixed table under one lock.  Each WebSocket end runs in its own
 * thread (http_ws.c): the first end to prove itself waits; the second
 * relays frames both ways until either end closes, then wakes the first,
 * whose connection it used.  The frames are between berth exec and the
 * agent (agent/task/task_exec.c); the relay passes whole frames on, so
 * neither end can make the server buffer more than one frame.  A client
 * whose first frame is Session Manager's OpenDataChannelInput (the AWS
 * CLI's session-manager-plugin) gets that protocol instead, translated
 * frame by frame (exec_ssm.c).  The relay copies the agent's output
 * frames into the session's transcript when the cluster logs sessions
 * (exec_log.c).  Tokens are compared in constant
 * time and used once; nothing of the command or its output goes to the
 * server's own log. */
#include "server/ecs/exec_sessions.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/cleanup.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/proto.h"
#include "common/timeutil.h"
#include "common/ws.h"
#include "server/ecs/ecs_limits.h"
#include "server/ecs/exec_log.h"
#include "server/ecs/exec_ssm.h"

enum exec_end { END_CLIENT, END_AGENT };

struct session {
    bool used;
    char id[80];
    char token[2][72]; /* "" once used */
    int64_t instance_id;
    char task_arn[700];
    char container[256];
    json_t *argv;
    bool interactive;
    char log_group[LIMIT_LOGS_NAME + 1]; /* "": not logged */
    char log_region[64];
    usec_t expires;  /* monotonic: the tokens' end */
    bool ssm_client; /* the client speaks Session Manager's protocol (exec_ssm.c) */
    struct ws_conn *conn[2];
    bool relaying, done;
};

struct exec_sessions {
    struct store *store; /* transcripts (exec_log.c); not owned */
    pthread_mutex_t lock;
    pthread_cond_t cond; /* CLOCK_MONOTONIC: a session's state changed */
    bool stopping;       /* the server stops (exec_sessions_stop) */
    struct session slots[LIMIT_EXEC_SESSIONS];
};

int exec_sessions_new(struct exec_sessions **ret, struct error *err)
{
    struct exec_sessions *s = calloc(1, sizeof(*s));
    if (!s)
        return error_set(err, ERR_INTERNAL, "out of memory");
    pthread_mutex_init(&s->lock, NULL);
    time_cond_init_monotonic(&s->cond);
    *ret = s;
    return 0;
}

void exec_sessions_set_store(struct exec_sessions *s, struct store *st) { s->store = st; }

void exec_sessions_stop(struct exec_sessions *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    s->stopping = true;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

static void session_clear(struct session *x)
{
    json_decref(x->argv);
    explicit_bzero(x, sizeof(*x));
}

void exec_sessions_free(struct exec_sessions *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < LIMIT_EXEC_SESSIONS; i++)
        session_clear(&s->slots[i]);
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* A slot no end holds any more and none can still join. */
static bool reclaimable(const struct session *x, usec_t now)
{
    if (!x->used)
        return true;
    if (x->conn[0] || x->conn[1] || x->relaying)
        return false;
    return x->done || now >= x->expires;
}

int exec_sessions_create(struct exec_sessions *s, const struct exec_request *req, char *ret_id, char *ret_token,
                         char *ret_agent_token, struct error *err)
{
    char rnd[33], ctok[65], atok[65];
    if (ids_random_hex(rnd, 16) < 0 || ids_random_hex(ctok, 32) < 0 || ids_random_hex(atok, 32) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness");
    usec_t now = time_monotonic();
    pthread_mutex_lock(&s->lock);
    struct session *x = NULL;
    for (size_t i = 0; i < LIMIT_EXEC_SESSIONS && !x; i++)
        if (reclaimable(&s->slots[i], now))
            x = &s->slots[i];
    if (!x) {
        pthread_mutex_unlock(&s->lock);
        return error_set(err, ERR_LIMIT, "Too many execute command sessions are open (at most %d).",
                         LIMIT_EXEC_SESSIONS);
    }
    session_clear(x);
    x->used = true;
    snprintf(x->id, sizeof(x->id), "ecs-execute-command-%s", rnd);
    snprintf(x->token[END_CLIENT], sizeof(x->token[0]), "%s", ctok);
    snprintf(x->token[END_AGENT], sizeof(x->token[0]), "%s", atok);
    x->instance_id = req->instance_id;
    snprintf(x->task_arn, sizeof(x->task_arn), "%s", req->task_arn);
    snprintf(x->container, sizeof(x->container), "%s", req->container);
    x->argv = json_deep_copy(req->argv);
    x->interactive = req->interactive;
    snprintf(x->log_group, sizeof(x->log_group), "%s", req->log_group ? req->log_group : "");
    snprintf(x->log_region, sizeof(x->log_region), "%s", req->log_region ? req->log_region : "");
    x->expires = now + LIMIT_EXEC_CONNECT_SEC * USEC_PER_SEC;
    snprintf(ret_id, 80, "%s", x->id);
    snprintf(ret_token, 80, "%s", ctok);
    snprintf(ret_agent_token, 80, "%s", atok);
    pthread_mutex_unlock(&s->lock);
    explicit_bzero(ctok, sizeof(ctok));
    explicit_bzero(atok, sizeof(atok));
    return 0;
}

/* Output the agent sends (PROTO_EXEC_STDOUT/STDERR frames) into the
 * session's transcript; the relay passes every frame on unchanged. */
static void log_frame(struct exec_log *log, int from, enum ws_opcode op, const unsigned char *buf, size_t len)
{
    if (log && from == END_AGENT && op == WS_BINARY && len > 1 &&
        (buf[0] == PROTO_EXEC_STDOUT || buf[0] == PROTO_EXEC_STDERR))
        exec_log_output(log, buf + 1, len - 1);
    if (log && exec_log_full(log))
        exec_log_flush(log, false);
}

/* How long poll may wait: until the transcript's oldest waiting output is
 * due (-1: nothing waits); flushes what is due. */
static int poll_timeout(struct exec_log *log)
{
    usec_t since = log ? exec_log_pending_since(log) : 0;
    if (!since)
        return -1;
    usec_t due = since + LIMIT_EXEC_LOG_FLUSH_MS * USEC_PER_MSEC, now = time_monotonic();
    if (now >= due) {
        exec_log_flush(log, false);
        return exec_log_pending_since(log) ? LIMIT_EXEC_LOG_FLUSH_MS : -1;
    }
    return (int)((due - now) / USEC_PER_MSEC) + 1;
}

/* Pass frames both ways until an end closes or fails; closes both.  With
 * ssm (a client in Session Manager's protocol, exec_ssm.c) the client's
 * messages and the agent's frames are translated rather than passed on,
 * and the agent's output waits until the client is ready for it. */
static void relay(struct ws_conn *client, struct ws_conn *agent, struct exec_log *log, struct exec_ssm *ssm)
{
    struct ws_conn *ends[2] = {client, agent};
    _cleanup_free_ unsigned char *buf = malloc(LIMIT_WS_FRAME);
    struct error err;
    const char *why = "relay ended";
    uint16_t code = 1000;
    while (buf) {
        bool agent_open = !ssm || exec_ssm_ready(ssm);
        struct pollfd p[2] = {{.fd = client->fd, .events = POLLIN},
                              {.fd = agent->fd, .events = agent_open ? POLLIN : 0}};
        int wait = poll_timeout(log), resend = -1;
        if (ssm && exec_ssm_resend(ssm, &resend, &err) < 0) {
            why = "the client went away";
            code = 1011;
            break;
        }
        if (resend >= 0 && (wait < 0 || resend < wait))
            wait = resend;
        if (!ws_conn_buffered(client) && !(agent_open && ws_conn_buffered(agent)) && poll(p, 2, wait) <= 0)
            continue;
        int from = ws_conn_buffered(client) || (p[0].revents != 0) ? 0 : 1;
        enum ws_opcode op;
        size_t len;
        if (ws_recv(ends[from], &op, buf, LIMIT_WS_FRAME, &len, &err) < 0) {
            why = from == END_CLIENT ? "the client went away" : "the agent went away";
            code = 1011;
            break;
        }
        if (op == WS_CLOSE) {
            /* Pass the close (its code and reason) on, and answer it. */
            if (ssm)
                exec_ssm_end(ssm, from == END_AGENT ? "" : "the client closed the session");
            ws_send(ends[1 - from], WS_CLOSE, buf, len, &err);
            ws_send(ends[from], WS_CLOSE, buf, len < 2 ? len : 2, &err);
            return;
        }
        if (from == END_AGENT)
            log_frame(log, from, op, buf, len);
        if (ssm && from == END_CLIENT) {
            if (exec_ssm_from_client(ssm, op, buf, len, agent, &err) < 0) {
                why = err.kind == ERR_INVALID ? "the client broke Session Manager's protocol" : "the agent went away";
                code = err.kind == ERR_INVALID ? 1002 : 1011;
                log_info("exec: %s: %s", why, err.msg);
                break;
            }
            continue;
        }
        int r = ssm ? exec_ssm_from_agent(ssm, buf, len, &err) : ws_send(ends[1 - from], op, buf, len, &err);
        if (r < 0) {
            why = from == END_CLIENT ? "the agent went away" : "the client went away";
            code = 1011;
            break;
        }
    }
    if (ssm)
        exec_ssm_end(ssm, why);
    ws_send_close(client, code, why, &err);
    ws_send_close(agent, code, why, &err);
}

/* Relay one session's ends: berth's frames as they are, or (session_id
 * set) the client's in Session Manager's protocol. */
static void relay_session(struct ws_conn *client, struct ws_conn *agent, struct exec_log *log, const char *session_id,
                          bool interactive)
{
    struct exec_ssm ssm;
    struct error err;
    if (!session_id) {
        relay(client, agent, log, NULL);
    } else if (exec_ssm_begin(&ssm, client, session_id, interactive, &err) == 0) {
        relay(client, agent, log, &ssm);
        exec_ssm_finish(&ssm);
    } else {
        exec_ssm_end(&ssm, "The session could not start.");
        ws_send_close(client, 1011, "relay ended", &err);
        ws_send_close(agent, 1011, "relay ended", &err);
        exec_ssm_finish(&ssm);
    }
}

/* The end's first frame: {"TokenValue": "..."}; the token into tok.
 * *ret_ssm: the frame is Session Manager's OpenDataChannelInput (it has
 * a MessageSchemaVersion), so the end speaks that protocol. */
static int read_token(struct ws_conn *c, char *tok, size_t cap, bool *ret_ssm)
{
    _cleanup_free_ char *buf = malloc(LIMIT_WS_FRAME + 1);
    enum ws_opcode op;
    size_t len;
    struct error err;
    if (!buf || ws_recv(c, &op, buf, LIMIT_WS_FRAME, &len, &err) < 0 || op != WS_TEXT)
        return -1;
    buf[len] = '\0';
    json_error_t jerr;
    _cleanup_json_ json_t *j = json_loadb(buf, len, 0, &jerr);
    explicit_bzero(buf, len);
    const char *t = json_string_value(json_object_get(j, "TokenValue"));
    if (!t || strlen(t) >= cap)
        return -1;
    snprintf(tok, cap, "%s", t);
    *ret_ssm = json_is_string(json_object_get(j, "MessageSchemaVersion"));
    return 0;
}

/* Whether c's peer hung up (or its socket was shut down). */
static bool peer_gone(struct ws_conn *c)
{
    char b;
    ssize_t r = recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    return r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

static struct session *find(struct exec_sessions *s, const char *id)
{
    for (size_t i = 0; i < LIMIT_EXEC_SESSIONS; i++)
        if (s->slots[i].used && strcmp(s->slots[i].id, id) == 0)
            return &s->slots[i];
    return NULL;
}

void exec_sessions_ws(void *cls, const char *path, struct ws_conn *c)
{
    struct exec_sessions *s = cls;
    struct error err;
    enum exec_end end;
    const char *id;
    if (strncmp(path, PROTO_EXEC_CLIENT_PATH, strlen(PROTO_EXEC_CLIENT_PATH)) == 0) {
        end = END_CLIENT;
        id = path + strlen(PROTO_EXEC_CLIENT_PATH);
    } else if (strncmp(path, PROTO_EXEC_AGENT_PATH, strlen(PROTO_EXEC_AGENT_PATH)) == 0) {
        end = END_AGENT;
        id = path + strlen(PROTO_EXEC_AGENT_PATH);
    } else {
        ws_send_close(c, 1008, "No such endpoint.", &err);
        return;
    }
    char tok[80] = "";
    bool ssm_hello = false;
    bool have = read_token(c, tok, sizeof(tok), &ssm_hello) == 0;
    pthread_mutex_lock(&s->lock);
    struct session *x = have ? find(s, id) : NULL;
    usec_t now = time_monotonic();
    bool ok = x && !x->done && now < x->expires && x->token[end][0] && !x->conn[end] &&
              strlen(tok) == strlen(x->token[end]) && CRYPTO_memcmp(tok, x->token[end], strlen(tok)) == 0;
    explicit_bzero(tok, sizeof(tok));
    if (!ok) {
        pthread_mutex_unlock(&s->lock);
        log_info("exec: refused a %s connection with a bad or expired token", end == END_CLIENT ? "client" : "agent");
        ws_send_close(c, 1008, "The session token is invalid or has expired.", &err);
        return;
    }
    explicit_bzero(x->token[end], sizeof(x->token[end]));
    x->conn[end] = c;
    if (end == END_CLIENT)
        x->ssm_client = ssm_hello;
    if (x->conn[1 - end]) {
        x->relaying = true;
        struct ws_conn *client = x->conn[END_CLIENT], *agent = x->conn[END_AGENT];
        log_info("exec: session %s on %s (container %s) started", x->id, x->task_arn, x->container);
        struct exec_log *log =
            x->log_group[0] && s->store ? exec_log_new(s->store, x->log_region, x->log_group, x->id, x->argv) : NULL;
        bool ssm_client = x->ssm_client, interactive = x->interactive;
        char sid[sizeof(x->id)];
        snprintf(sid, sizeof(sid), "%s", x->id);
        pthread_mutex_unlock(&s->lock);
        relay_session(client, agent, log, ssm_client ? sid : NULL, interactive);
        exec_log_close(log);
        pthread_mutex_lock(&s->lock);
        log_info("exec: session %s ended", x->id);
        x->relaying = false;
        x->done = true;
        x->conn[end] = NULL; /* the other end's is cleared by its own thread */
        pthread_cond_broadcast(&s->cond);
        pthread_mutex_unlock(&s->lock);
        return;
    }
    /* First here: wait for the other end (until the tokens expire), then
     * for the relay, which uses this connection, to end. */
    while (!x->done && (x->relaying || time_monotonic() < x->expires)) {
        usec_t next = time_monotonic() + USEC_PER_SEC;
        time_cond_wait_until(&s->cond, &s->lock, x->relaying || next < x->expires ? next : x->expires);
        /* Alone and gone (the client left, the server stops): give up. */
        if (!x->relaying && !x->done && (s->stopping || peer_gone(c)))
            break;
    }
    /* Until conn[end] is cleared the slot cannot be reused. */
    bool relayed = x->done;
    x->conn[end] = NULL;
    x->done = true;
    pthread_mutex_unlock(&s->lock);
    if (!relayed)
        ws_send_close(c, 1011,
                      end == END_CLIENT ? "The container's agent did not open the session in time."
                                        : "The client did not connect in time.",
                      &err);
}
