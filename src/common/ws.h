/* ws.h - a small RFC 6455 WebSocket: framing over a connected socket, the
 * handshake's accept key, and the client side of the handshake (ws://
 * only).  Used by ECS Exec: the server's relay (server/ecs/exec_relay.c),
 * the agent's end of a session and `berth exec`.
 *
 * Not here: extensions (permessage-deflate), fragmented messages (a
 * continuation frame is an error), TLS.  A frame is at most LIMIT_WS_FRAME
 * bytes of payload. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

enum ws_opcode { WS_TEXT = 1, WS_BINARY = 2, WS_CLOSE = 8, WS_PING = 9, WS_PONG = 10 };

/* One end of a WebSocket.  mask_out: this end is a client (its frames are
 * masked, the peer's must not be); a server end expects masked frames. */
struct ws_conn {
    int fd;
    bool client;
    unsigned char rbuf[4096]; /* read ahead of the frame being parsed */
    size_t roff, rlen;
};

void ws_conn_init(struct ws_conn *c, int fd, bool client);
/* Bytes already read and not yet parsed (poll() will not report them). */
static inline bool ws_conn_buffered(const struct ws_conn *c) { return c->rlen > c->roff; }
/* Hand bytes read before the framing started (after the handshake) to c. */
int ws_conn_prefill(struct ws_conn *c, const void *data, size_t len, struct error *err);

/* Send one whole frame.  Blocks until written (bounded by the socket's
 * send timeout, set by the caller or ws_client_connect). */
int ws_send(struct ws_conn *c, enum ws_opcode op, const void *data, size_t len, struct error *err);
/* A close frame with a status code and a short reason. */
int ws_send_close(struct ws_conn *c, uint16_t code, const char *reason, struct error *err);

/* Read one frame into buf (cap >= LIMIT_WS_FRAME): *ret_op, *ret_len.  A
 * frame masked the wrong way, fragmented, with reserved bits, or larger
 * than cap is an ERR_INVALID error; the peer's end of stream ERR_IO.
 * Answers pings with pongs itself and returns the next data or close
 * frame. */
int ws_recv(struct ws_conn *c, enum ws_opcode *ret_op, void *buf, size_t cap, size_t *ret_len, struct error *err);

/* Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA-1(key + GUID)). */
int ws_accept_key(const char *key, char out[64], struct error *err);

/* Connect to url ("ws://host[:port]/path?query"), do the opening
 * handshake, and fill c (a client end).  The socket gets a send and
 * receive timeout of LIMIT_WS_IO_TIMEOUT_SEC for the handshake; the caller
 * may change it. */
int ws_client_connect(const char *url, struct ws_conn *c, struct error *err);
