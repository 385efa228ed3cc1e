/* exec_ssm.c - Session Manager's data channel protocol for the client end
 * of an ECS Exec session (see exec_ssm.h): the message codec, the
 * handshake, acknowledgements and sequence numbers, and the translation
 * to and from the agent's frames (common/proto.h).
 *
 * Written from the protocol's description (the header layout, the
 * handshake's JSON, the acknowledgement's fields), not from the plugin's
 * code.  The connection is TCP, so nothing is lost or reordered on the
 * way, but the plugin drops (and does not acknowledge) output that comes
 * before its session handler is in place, just after the handshake: so
 * the server keeps each output message until acknowledged and resends it
 * after LIMIT_EXEC_SSM_RESEND_MS, and takes no more of the agent's output
 * while LIMIT_EXEC_SSM_UNACKED wait.  It acknowledges every client
 * message (the plugin resends too); a client message ahead of the
 * expected one is a protocol error, one behind is a resend and is
 * acknowledged again only.  Not here: the relay loop (exec_sessions.c). */
#include "server/ecs/exec_ssm.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/cleanup.h"
#include "common/limits.h"
#include "common/proto.h"
#include "common/timeutil.h"
#include "server/ecs/ecs_limits.h"

enum {
    SSM_STATE_HANDSHAKE, /* the handshake request sent; its response awaited */
    SSM_STATE_READY,     /* handshake complete sent */
};

/* Output longer than this goes in several messages, so that one message
 * with its header fits one WebSocket frame. */
#define SSM_CHUNK (LIMIT_WS_FRAME - SSM_PAYLOAD_OFFSET)

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get64(const unsigned char *p) { return (uint64_t)get32(p) << 32 | get32(p + 4); }

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static void put64(unsigned char *p, uint64_t v)
{
    put32(p, (uint32_t)(v >> 32));
    put32(p + 4, (uint32_t)v);
}

static void sha256(const unsigned char *data, size_t len, unsigned char out[32])
{
    unsigned int n = 32;
    EVP_Digest(data, len, out, &n, EVP_sha256(), NULL);
}

int ssm_decode(const unsigned char *buf, size_t len, struct ssm_msg *ret, struct error *err)
{
    if (len < SSM_PAYLOAD_OFFSET)
        return error_set(err, ERR_INVALID, "message of %zu bytes is shorter than its header", len);
    uint32_t hl = get32(buf);
    if (hl < SSM_HEADER_LENGTH || (size_t)hl + 4 > len)
        return error_set(err, ERR_INVALID, "bad header length %u", hl);
    struct ssm_msg m = {0};
    /* The type: NUL- or space-padded. */
    size_t tl = 32;
    while (tl > 0 && (buf[4 + tl - 1] == ' ' || buf[4 + tl - 1] == '\0'))
        tl--;
    memcpy(m.type, buf + 4, tl);
    m.type[tl] = '\0';
    m.schema_version = get32(buf + 36);
    m.created_ms = get64(buf + 40);
    m.seq = (int64_t)get64(buf + 48);
    m.flags = get64(buf + 56);
    memcpy(m.id, buf + 72, 8); /* the high half comes second */
    memcpy(m.id + 8, buf + 64, 8);
    m.payload_type = get32(buf + 112);
    uint32_t plen = get32(buf + 116);
    m.payload = buf + hl + 4;
    m.payload_len = len - hl - 4;
    if (plen != m.payload_len)
        return error_set(err, ERR_INVALID, "payload length %u, but %zu bytes follow the header", plen, m.payload_len);
    if (m.payload_len > 0) {
        unsigned char d[32];
        sha256(m.payload, m.payload_len, d);
        if (memcmp(d, buf + 80, 32) != 0)
            return error_set(err, ERR_INVALID, "payload digest does not match the payload");
    }
    *ret = m;
    return 0;
}

ssize_t ssm_encode(const struct ssm_msg *m, unsigned char *out, size_t cap)
{
    size_t tl = strlen(m->type);
    if (cap < SSM_PAYLOAD_OFFSET + m->payload_len || tl > 32 || m->payload_len > UINT32_MAX)
        return -1;
    put32(out, SSM_HEADER_LENGTH);
    memset(out + 4, ' ', 32);
    memcpy(out + 4, m->type, tl);
    put32(out + 36, m->schema_version);
    put64(out + 40, m->created_ms);
    put64(out + 48, (uint64_t)m->seq);
    put64(out + 56, m->flags);
    memcpy(out + 64, m->id + 8, 8);
    memcpy(out + 72, m->id, 8);
    sha256(m->payload_len ? m->payload : (const unsigned char *)"", m->payload_len, out + 80);
    put32(out + 112, m->payload_type);
    put32(out + 116, (uint32_t)m->payload_len);
    if (m->payload_len)
        memcpy(out + SSM_PAYLOAD_OFFSET, m->payload, m->payload_len);
    return (ssize_t)(SSM_PAYLOAD_OFFSET + m->payload_len);
}

void ssm_uuid_string(const unsigned char id[16], char out[37])
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[id[i] >> 4];
        out[o++] = hex[id[i] & 15];
    }
    out[o] = '\0';
}

static void new_id(unsigned char id[16])
{
    if (RAND_bytes(id, 16) != 1)
        memset(id, 0, 16);
    id[6] = (unsigned char)((id[6] & 0x0f) | 0x40); /* version 4 */
    id[8] = (unsigned char)((id[8] & 0x3f) | 0x80);
}

/* Send one message to the client. */
static int send_msg(struct exec_ssm *s, const char *type, int64_t seq, uint64_t flags, uint32_t ptype,
                    const void *payload, size_t plen, struct error *err)
{
    struct ssm_msg m = {
        .schema_version = 1,
        .created_ms = (uint64_t)(time_now() / USEC_PER_MSEC),
        .seq = seq,
        .flags = flags,
        .payload_type = ptype,
        .payload = payload,
        .payload_len = plen,
    };
    snprintf(m.type, sizeof(m.type), "%s", type);
    new_id(m.id);
    ssize_t n = ssm_encode(&m, s->buf, LIMIT_WS_FRAME);
    if (n < 0)
        return error_set(err, ERR_LIMIT, "message of %zu bytes is too long", plen);
    return ws_send(s->client, WS_BINARY, s->buf, (size_t)n, err);
}

/* The next output_stream_data message, kept until acknowledged. */
static int send_output(struct exec_ssm *s, uint32_t ptype, const void *payload, size_t plen, struct error *err)
{
    if (s->n_unacked == LIMIT_EXEC_SSM_UNACKED)
        return error_set(err, ERR_LIMIT, "the client acknowledges nothing");
    if (send_msg(s, SSM_OUTPUT_STREAM, s->out_seq, 0, ptype, payload, plen, err) < 0)
        return -1;
    size_t len = SSM_PAYLOAD_OFFSET + plen;
    struct exec_ssm_sent *u = &s->unacked[s->n_unacked];
    u->data = malloc(len);
    if (!u->data)
        return error_set(err, ERR_INTERNAL, "out of memory");
    memcpy(u->data, s->buf, len);
    u->len = len;
    u->seq = s->out_seq++;
    u->sent_us = time_monotonic();
    u->acked = false;
    s->n_unacked++;
    return 0;
}

/* The client acknowledged one of ours: forget it (and all before it
 * already acknowledged). */
static void acknowledged(struct exec_ssm *s, const struct ssm_msg *m)
{
    json_error_t jerr;
    _cleanup_json_ json_t *j = json_loadb((const char *)m->payload, m->payload_len, 0, &jerr);
    json_t *seq = json_object_get(j, "AcknowledgedMessageSequenceNumber");
    if (!json_is_integer(seq))
        return;
    for (size_t i = 0; i < s->n_unacked; i++)
        if (s->unacked[i].seq == json_integer_value(seq))
            s->unacked[i].acked = true;
    size_t done = 0;
    while (done < s->n_unacked && s->unacked[done].acked)
        free(s->unacked[done++].data);
    memmove(s->unacked, s->unacked + done, (s->n_unacked - done) * sizeof(s->unacked[0]));
    s->n_unacked -= done;
}

int exec_ssm_resend(struct exec_ssm *s, int *ret_ms, struct error *err)
{
    uint64_t now = time_monotonic(), wait = UINT64_MAX, rto = LIMIT_EXEC_SSM_RESEND_MS * USEC_PER_MSEC;
    for (size_t i = 0; i < s->n_unacked; i++) {
        struct exec_ssm_sent *u = &s->unacked[i];
        if (u->acked)
            continue;
        if (now >= u->sent_us + rto) {
            if (ws_send(s->client, WS_BINARY, u->data, u->len, err) < 0)
                return -1;
            u->sent_us = now;
        }
        if (u->sent_us + rto - now < wait)
            wait = u->sent_us + rto - now;
    }
    *ret_ms = wait == UINT64_MAX ? -1 : (int)(wait / USEC_PER_MSEC) + 1;
    return 0;
}

static int send_json_output(struct exec_ssm *s, uint32_t ptype, json_t *j, struct error *err)
{
    _cleanup_free_ char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!text)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return send_output(s, ptype, text, strlen(text), err);
}

int exec_ssm_begin(struct exec_ssm *s, struct ws_conn *client, const char *session_id, bool interactive,
                   struct error *err)
{
    memset(s, 0, sizeof(*s));
    s->client = client;
    snprintf(s->session_id, sizeof(s->session_id), "%s", session_id);
    s->interactive = interactive;
    s->state = SSM_STATE_HANDSHAKE;
    s->started_us = time_monotonic();
    s->buf = malloc(LIMIT_WS_FRAME);
    if (!s->buf)
        return error_set(err, ERR_INTERNAL, "out of memory");
    /* Session Manager's session types for commands: both are a shell
     * session to the plugin (output shown, keyboard input sent). */
    json_t *req = json_pack("{s:s, s:[{s:s, s:{s:s, s:n}}]}", "AgentVersion", "berth", "RequestedClientActions",
                            "ActionType", "SessionType", "ActionParameters", "SessionType",
                            interactive ? "InteractiveCommands" : "NonInteractiveCommands", "Properties");
    return send_json_output(s, SSM_PAYLOAD_HANDSHAKE_REQUEST, req, err);
}

bool exec_ssm_ready(const struct exec_ssm *s)
{
    /* Room for the largest agent frame: two messages. */
    return s->state == SSM_STATE_READY && s->n_unacked + 2 <= LIMIT_EXEC_SSM_UNACKED;
}

static int send_ack(struct exec_ssm *s, const struct ssm_msg *m, struct error *err)
{
    char id[37];
    ssm_uuid_string(m->id, id);
    json_t *ack = json_pack("{s:s, s:s, s:I, s:b}", "AcknowledgedMessageType", m->type, "AcknowledgedMessageId", id,
                            "AcknowledgedMessageSequenceNumber", (json_int_t)m->seq, "IsSequentialMessage", 1);
    _cleanup_free_ char *text = ack ? json_dumps(ack, JSON_COMPACT) : NULL;
    json_decref(ack);
    if (!text)
        return error_set(err, ERR_INTERNAL, "out of memory");
    return send_msg(s, SSM_ACKNOWLEDGE, 0, 3, 0, text, strlen(text), err);
}

/* The client's handshake response: it took the session type. */
static int handshake_response(struct exec_ssm *s, const struct ssm_msg *m, struct ws_conn *agent, struct error *err)
{
    json_error_t jerr;
    _cleanup_json_ json_t *j = json_loadb((const char *)m->payload, m->payload_len, 0, &jerr);
    json_t *actions = json_object_get(j, "ProcessedClientActions");
    bool ok = false;
    size_t i;
    json_t *a;
    json_array_foreach(actions, i, a) {
        const char *type = json_string_value(json_object_get(a, "ActionType"));
        if (type && strcmp(type, "SessionType") == 0 && json_integer_value(json_object_get(a, "ActionStatus")) == 1)
            ok = true;
    }
    if (!ok)
        return error_set(err, ERR_INVALID, "the client did not accept the session type");
    json_t *done = json_pack("{s:I, s:s}", "HandshakeTimeToComplete",
                             (json_int_t)((time_monotonic() - s->started_us) * 1000), "CustomerMessage", "");
    if (send_json_output(s, SSM_PAYLOAD_HANDSHAKE_COMPLETE, done, err) < 0)
        return -1;
    s->state = SSM_STATE_READY;
    /* A non-interactive command takes no input (as Session Manager's
     * NonInteractiveCommands). */
    if (!s->interactive) {
        unsigned char eof = PROTO_EXEC_STDIN_EOF;
        return ws_send(agent, WS_BINARY, &eof, 1, err);
    }
    return 0;
}

/* One in-sequence input_stream_data message. */
static int input(struct exec_ssm *s, const struct ssm_msg *m, struct ws_conn *agent, struct error *err)
{
    if (m->payload_type == SSM_PAYLOAD_HANDSHAKE_RESPONSE) {
        if (s->state != SSM_STATE_HANDSHAKE)
            return error_set(err, ERR_INVALID, "a second handshake response");
        return handshake_response(s, m, agent, err);
    }
    if (s->state == SSM_STATE_HANDSHAKE)
        return error_set(err, ERR_INVALID, "input before the handshake response");
    if (m->payload_type != SSM_PAYLOAD_OUTPUT || m->payload_len == 0 || !s->interactive)
        return 0; /* a terminal size, a flag: berth's agent takes neither */
    unsigned char frame[1 + 4096];
    for (size_t off = 0; off < m->payload_len;) {
        size_t n = m->payload_len - off < 4096 ? m->payload_len - off : 4096;
        frame[0] = PROTO_EXEC_STDIN;
        memcpy(frame + 1, m->payload + off, n);
        if (ws_send(agent, WS_BINARY, frame, n + 1, err) < 0)
            return -1;
        off += n;
    }
    return 0;
}

int exec_ssm_from_client(struct exec_ssm *s, enum ws_opcode op, const unsigned char *buf, size_t len,
                         struct ws_conn *agent, struct error *err)
{
    if (op != WS_BINARY)
        return 0; /* the plugin sends text only to open the channel */
    struct ssm_msg m;
    if (ssm_decode(buf, len, &m, err) < 0)
        return -1;
    if (strcmp(m.type, SSM_ACKNOWLEDGE) == 0) {
        acknowledged(s, &m);
        return 0;
    }
    if (strcmp(m.type, SSM_INPUT_STREAM) != 0)
        return 0; /* start/pause publication and the like: nothing to do */
    if (m.seq > s->in_seq)
        return error_set(err, ERR_INVALID, "input message %lld arrived before %lld", (long long)m.seq,
                         (long long)s->in_seq);
    if (send_ack(s, &m, err) < 0)
        return -1;
    if (m.seq < s->in_seq)
        return 0; /* a resend of one already taken */
    s->in_seq++;
    return input(s, &m, agent, err);
}

/* channel_closed, once: the plugin prints output (or that the session
 * ended) and exits. */
static void end_channel(struct exec_ssm *s, const char *output)
{
    if (s->closed || !s->buf)
        return;
    s->closed = true;
    unsigned char raw[16];
    char id[37], created[40];
    new_id(raw);
    ssm_uuid_string(raw, id);
    time_t t = (time_t)(time_now() / USEC_PER_SEC);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%S.000Z", &tm);
    json_t *j =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s}", "MessageId", id, "CreatedDate", created, "DestinationId", "",
                  "SessionId", s->session_id, "MessageType", SSM_CHANNEL_CLOSED, "SchemaVersion", 1, "Output", output);
    _cleanup_free_ char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    struct error err;
    if (text)
        send_msg(s, SSM_CHANNEL_CLOSED, s->out_seq, 0, 0, text, strlen(text), &err);
}

/* Before channel_closed (on which the plugin exits): until the client has
 * acknowledged all output, for at most LIMIT_EXEC_SSM_LINGER_MS, resend
 * what is due and take its acknowledgements (and acknowledge, but drop,
 * its input: the command has ended). */
static void flush_unacked(struct exec_ssm *s)
{
    _cleanup_free_ unsigned char *in = malloc(LIMIT_WS_FRAME);
    uint64_t until = time_monotonic() + LIMIT_EXEC_SSM_LINGER_MS * USEC_PER_MSEC;
    struct error err;
    while (in && s->n_unacked > 0) {
        uint64_t now = time_monotonic();
        int wait = -1;
        if (now >= until || exec_ssm_resend(s, &wait, &err) < 0)
            return;
        int left = (int)((until - now) / USEC_PER_MSEC) + 1;
        struct pollfd p = {.fd = s->client->fd, .events = POLLIN};
        if (!ws_conn_buffered(s->client) && poll(&p, 1, wait >= 0 && wait < left ? wait : left) <= 0)
            continue;
        enum ws_opcode op;
        size_t len;
        struct ssm_msg m;
        if (ws_recv(s->client, &op, in, LIMIT_WS_FRAME, &len, &err) < 0 || op == WS_CLOSE)
            return;
        if (op != WS_BINARY || ssm_decode(in, len, &m, &err) < 0)
            continue;
        if (strcmp(m.type, SSM_ACKNOWLEDGE) == 0) {
            acknowledged(s, &m);
        } else if (strcmp(m.type, SSM_INPUT_STREAM) == 0 && m.seq <= s->in_seq) {
            if (send_ack(s, &m, &err) < 0)
                return;
            if (m.seq == s->in_seq)
                s->in_seq++;
        }
    }
}

void exec_ssm_end(struct exec_ssm *s, const char *output)
{
    if (!s->closed && s->buf)
        flush_unacked(s);
    end_channel(s, output);
}

void exec_ssm_finish(struct exec_ssm *s)
{
    uint64_t until = time_monotonic() + LIMIT_EXEC_SSM_LINGER_MS * USEC_PER_MSEC;
    while (s->buf) {
        uint64_t now = time_monotonic();
        struct pollfd p = {.fd = s->client->fd, .events = POLLIN};
        if (now >= until ||
            (!ws_conn_buffered(s->client) && poll(&p, 1, (int)((until - now) / USEC_PER_MSEC) + 1) <= 0))
            break;
        enum ws_opcode op;
        size_t len;
        struct error err;
        if (ws_recv(s->client, &op, s->buf, LIMIT_WS_FRAME, &len, &err) < 0 || op == WS_CLOSE)
            break;
    }
    free(s->buf);
    s->buf = NULL;
    for (size_t i = 0; i < s->n_unacked; i++)
        free(s->unacked[i].data);
    s->n_unacked = 0;
}

int exec_ssm_from_agent(struct exec_ssm *s, const unsigned char *buf, size_t len, struct error *err)
{
    if (len == 0 || s->closed)
        return 0;
    switch (buf[0]) {
    case PROTO_EXEC_STDOUT:
    case PROTO_EXEC_STDERR: {
        uint32_t type = buf[0] == PROTO_EXEC_STDOUT ? SSM_PAYLOAD_OUTPUT : SSM_PAYLOAD_STDERR;
        for (size_t off = 1; off < len;) {
            size_t n = len - off < SSM_CHUNK ? len - off : SSM_CHUNK;
            if (send_output(s, type, buf + off, n, err) < 0)
                return -1;
            off += n;
        }
        return 0;
    }
    case PROTO_EXEC_EXIT: exec_ssm_end(s, ""); return 0;
    case PROTO_EXEC_FAILED: {
        char why[512];
        size_t n = len - 1 < sizeof(why) - 1 ? len - 1 : sizeof(why) - 1;
        memcpy(why, buf + 1, n);
        why[n] = '\0';
        exec_ssm_end(s, why);
        return 0;
    }
    default: return 0;
    }
}
