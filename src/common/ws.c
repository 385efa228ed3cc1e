/* ws.c - RFC 6455 framing and the client handshake (see ws.h).
 *
 * Reads go through a small buffer so that a peer's frames arriving in one
 * segment cost one read(); callers that poll() the fd check
 * ws_conn_buffered() first.  Every length comes from the peer, so each is
 * checked against the caller's buffer before anything is copied. */
#include "common/ws.h"

#include <errno.h>
#include <netdb.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/limits.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

void ws_conn_init(struct ws_conn *c, int fd, bool client)
{
    memset(c, 0, sizeof(*c));
    c->fd = fd;
    c->client = client;
}

int ws_conn_prefill(struct ws_conn *c, const void *data, size_t len, struct error *err)
{
    if (len > sizeof(c->rbuf) - c->rlen)
        return error_set(err, ERR_LIMIT, "too much data before the first frame");
    memcpy(c->rbuf + c->rlen, data, len);
    c->rlen += len;
    return 0;
}

static int write_all(int fd, const unsigned char *p, size_t n, struct error *err)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return error_set(err, ERR_IO, "websocket write: %s", w < 0 ? strerror(errno) : "closed");
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int ws_send(struct ws_conn *c, enum ws_opcode op, const void *data, size_t len, struct error *err)
{
    if (len > LIMIT_WS_FRAME)
        return error_set(err, ERR_LIMIT, "websocket frame of %zu bytes (at most %u)", len, LIMIT_WS_FRAME);
    unsigned char hdr[14];
    size_t h = 0;
    hdr[h++] = (unsigned char)(0x80 | (unsigned)op);
    unsigned char maskbit = c->client ? 0x80 : 0;
    if (len < 126) {
        hdr[h++] = (unsigned char)(maskbit | len);
    } else {
        hdr[h++] = (unsigned char)(maskbit | 126);
        hdr[h++] = (unsigned char)(len >> 8);
        hdr[h++] = (unsigned char)len;
    }
    unsigned char key[4] = {0};
    if (c->client) {
        if (RAND_bytes(key, sizeof(key)) != 1)
            return error_set(err, ERR_INTERNAL, "no randomness for the websocket mask");
        memcpy(hdr + h, key, 4);
        h += 4;
    }
    unsigned char frame[14 + LIMIT_WS_FRAME];
    memcpy(frame, hdr, h);
    const unsigned char *src = data;
    for (size_t i = 0; i < len; i++)
        frame[h + i] = c->client ? (unsigned char)(src[i] ^ key[i & 3]) : src[i];
    return write_all(c->fd, frame, h + len, err);
}

int ws_send_close(struct ws_conn *c, uint16_t code, const char *reason, struct error *err)
{
    unsigned char body[125];
    size_t n = strlen(reason);
    if (n > sizeof(body) - 2)
        n = sizeof(body) - 2;
    body[0] = (unsigned char)(code >> 8);
    body[1] = (unsigned char)code;
    memcpy(body + 2, reason, n);
    return ws_send(c, WS_CLOSE, body, n + 2, err);
}

/* Exactly n bytes (through the read-ahead buffer). */
static int read_exact(struct ws_conn *c, unsigned char *out, size_t n, struct error *err)
{
    while (n) {
        if (c->roff < c->rlen) {
            size_t k = c->rlen - c->roff < n ? c->rlen - c->roff : n;
            memcpy(out, c->rbuf + c->roff, k);
            c->roff += k;
            out += k;
            n -= k;
            continue;
        }
        c->roff = c->rlen = 0;
        ssize_t r = recv(c->fd, c->rbuf, sizeof(c->rbuf), 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return error_set(err, ERR_IO, "websocket read: %s",
                             errno == EAGAIN || errno == EWOULDBLOCK ? "timed out" : strerror(errno));
        if (r == 0)
            return error_set(err, ERR_IO, "websocket closed by the peer");
        c->rlen = (size_t)r;
    }
    return 0;
}

static int recv_one(struct ws_conn *c, enum ws_opcode *ret_op, unsigned char *buf, size_t cap, size_t *ret_len,
                    struct error *err)
{
    unsigned char h[2];
    if (read_exact(c, h, 2, err) < 0)
        return -1;
    if (!(h[0] & 0x80) || (h[0] & 0x70))
        return error_set(err, ERR_INVALID, "websocket: fragmented frames and extensions are not supported");
    unsigned op = h[0] & 0x0f;
    if (op != WS_TEXT && op != WS_BINARY && op != WS_CLOSE && op != WS_PING && op != WS_PONG)
        return error_set(err, ERR_INVALID, "websocket: unexpected opcode %u", op);
    bool masked = (h[1] & 0x80) != 0;
    if (masked == c->client)
        return error_set(err, ERR_INVALID, "websocket: frame %s", masked ? "masked by a server" : "not masked");
    uint64_t len = h[1] & 0x7f;
    if (len == 126 || len == 127) {
        unsigned char ext[8];
        size_t n = len == 126 ? 2 : 8;
        if (read_exact(c, ext, n, err) < 0)
            return -1;
        len = 0;
        for (size_t i = 0; i < n; i++)
            len = len << 8 | ext[i];
    }
    if (len > cap || len > LIMIT_WS_FRAME)
        return error_set(err, ERR_LIMIT, "websocket frame of %llu bytes (at most %u)", (unsigned long long)len,
                         LIMIT_WS_FRAME);
    unsigned char key[4] = {0};
    if (masked && read_exact(c, key, 4, err) < 0)
        return -1;
    if (read_exact(c, buf, (size_t)len, err) < 0)
        return -1;
    for (size_t i = 0; masked && i < len; i++)
        buf[i] ^= key[i & 3];
    *ret_op = (enum ws_opcode)op;
    *ret_len = (size_t)len;
    return 0;
}

int ws_recv(struct ws_conn *c, enum ws_opcode *ret_op, void *buf, size_t cap, size_t *ret_len, struct error *err)
{
    for (;;) {
        enum ws_opcode op = WS_CLOSE;
        size_t len = 0;
        if (recv_one(c, &op, buf, cap, &len, err) < 0)
            return -1;
        if (op == WS_PONG)
            continue;
        if (op == WS_PING) {
            if (ws_send(c, WS_PONG, buf, len, err) < 0)
                return -1;
            continue;
        }
        *ret_op = op;
        *ret_len = len;
        return 0;
    }
}

int ws_accept_key(const char *key, char out[64], struct error *err)
{
    char cat[256];
    int n = snprintf(cat, sizeof(cat), "%s%s", key, WS_GUID);
    if (n < 0 || (size_t)n >= sizeof(cat))
        return error_set(err, ERR_INVALID, "Sec-WebSocket-Key too long");
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    if (EVP_Digest(cat, (size_t)n, md, &mdlen, EVP_sha1(), NULL) != 1)
        return error_set(err, ERR_INTERNAL, "SHA-1 failed");
    EVP_EncodeBlock((unsigned char *)out, md, (int)mdlen);
    return 0;
}

static void set_timeouts(int fd, int sec)
{
    struct timeval tv = {.tv_sec = sec};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* "ws://host[:port]/path" into its parts. */
static int parse_url(const char *url, char *host, size_t hcap, char *port, size_t pcap, const char **ret_path,
                     struct error *err)
{
    if (strncmp(url, "ws://", 5) != 0)
        return error_set(err, ERR_INVALID, "%.200s: only ws:// URLs are supported", url);
    const char *h = url + 5;
    const char *path = strchr(h, '/');
    if (!path)
        return error_set(err, ERR_INVALID, "%.200s: no path", url);
    const char *colon = memchr(h, ':', (size_t)(path - h));
    if (*h == '[') /* [v6]:port */
        colon = memchr(h, ']', (size_t)(path - h)) ? strchr(memchr(h, ']', (size_t)(path - h)), ':') : NULL;
    if (colon && colon > path)
        colon = NULL;
    size_t hl = (size_t)((colon ? colon : path) - h);
    if (*h == '[' && hl >= 2) {
        h++;
        hl -= 2;
    }
    size_t pl = colon ? (size_t)(path - colon - 1) : 2;
    if (hl == 0 || hl >= hcap || pl == 0 || pl >= pcap)
        return error_set(err, ERR_INVALID, "%.200s: bad host or port", url);
    memcpy(host, h, hl);
    host[hl] = '\0';
    if (colon) {
        memcpy(port, colon + 1, pl);
        port[pl] = '\0';
    } else {
        snprintf(port, pcap, "80");
    }
    *ret_path = path;
    return 0;
}

static int dial(const char *host, const char *port, struct error *err)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *ai = NULL;
    int g = getaddrinfo(host, port, &hints, &ai);
    if (g != 0)
        return error_set(err, ERR_IO, "cannot resolve %s: %s", host, gai_strerror(g));
    int fd = -1;
    for (struct addrinfo *p = ai; p; p = p->ai_next) {
        fd = socket(p->ai_family, p->ai_socktype | SOCK_CLOEXEC, p->ai_protocol);
        if (fd < 0)
            continue;
        set_timeouts(fd, LIMIT_WS_IO_TIMEOUT_SEC);
        if (connect(fd, p->ai_addr, p->ai_addrlen) == 0)
            break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    if (fd < 0)
        return error_set(err, ERR_IO, "cannot connect to %s:%s", host, port);
    return fd;
}

/* The response's header block, read up to the blank line (byte by byte:
 * what follows belongs to the framing). */
static int read_response(int fd, char *buf, size_t cap, struct error *err)
{
    size_t n = 0;
    while (n + 1 < cap) {
        ssize_t r = recv(fd, buf + n, 1, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return error_set(err, ERR_IO, "websocket handshake: connection closed");
        n++;
        buf[n] = '\0';
        if (n >= 4 && memcmp(buf + n - 4, "\r\n\r\n", 4) == 0)
            return 0;
    }
    return error_set(err, ERR_LIMIT, "websocket handshake: response headers too long");
}

static bool header_is(const char *block, const char *name, const char *want)
{
    size_t nl = strlen(name);
    for (const char *p = strstr(block, "\r\n"); p && p[2]; p = strstr(p + 2, "\r\n")) {
        const char *line = p + 2;
        if (strncasecmp(line, name, nl) != 0 || line[nl] != ':')
            continue;
        const char *v = line + nl + 1;
        while (*v == ' ')
            v++;
        size_t wl = strlen(want);
        return strncmp(v, want, wl) == 0 && v[wl] == '\r';
    }
    return false;
}

int ws_client_connect(const char *url, struct ws_conn *c, struct error *err)
{
    char host[256], port[16];
    const char *path = NULL;
    if (strlen(url) > 2048)
        return error_set(err, ERR_INVALID, "websocket URL too long");
    if (parse_url(url, host, sizeof(host), port, sizeof(port), &path, err) < 0)
        return -1;
    unsigned char raw[16];
    char key[32], accept[64];
    if (RAND_bytes(raw, sizeof(raw)) != 1)
        return error_set(err, ERR_INTERNAL, "no randomness for the websocket key");
    EVP_EncodeBlock((unsigned char *)key, raw, sizeof(raw));
    if (ws_accept_key(key, accept, err) < 0)
        return -1;
    int fd = dial(host, port, err);
    if (fd < 0)
        return -1;
    char req[2600];
    int n = snprintf(req, sizeof(req),
                     "GET %s HTTP/1.1\r\nHost: %s:%s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
                     path, host, port, key);
    char resp[LIMIT_WS_HANDSHAKE];
    if (write_all(fd, (const unsigned char *)req, (size_t)n, err) < 0 ||
        read_response(fd, resp, sizeof(resp), err) < 0) {
        close(fd);
        return -1;
    }
    if (strncmp(resp, "HTTP/1.1 101", 12) != 0) {
        char *eol = strstr(resp, "\r\n");
        if (eol)
            *eol = '\0';
        close(fd);
        return error_set(err, ERR_IO, "websocket handshake refused: %.200s", resp);
    }
    if (!header_is(resp, "Sec-WebSocket-Accept", accept)) {
        close(fd);
        return error_set(err, ERR_IO, "websocket handshake: wrong Sec-WebSocket-Accept");
    }
    ws_conn_init(c, fd, true);
    return 0;
}
