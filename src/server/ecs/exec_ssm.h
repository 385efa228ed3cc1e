/* exec_ssm.h - the client end of an ECS Exec session in Session Manager's
 * data channel protocol, as session-manager-plugin (the AWS CLI's
 * `aws ecs execute-command`) speaks it: binary ClientMessages (a 120-byte
 * header with the payload's SHA-256 digest, sequence numbers and
 * acknowledgements), a handshake that names the session type, then
 * output_stream_data to the client and input_stream_data from it, and
 * channel_closed at the end.  The server translates between these and
 * the agent's frames (common/proto.h); the relay is exec_sessions.c's.
 *
 * Not here: KMS encryption (never requested), port forwarding sessions,
 * resuming a session on a new connection (ResumeSession), terminal
 * resizes (berth's agent has no resize frame). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "common/ws.h"
#include "server/ecs/ecs_limits.h"

/* The header: length (4), message type (32), schema version (4), created
 * (8, epoch ms), sequence number (8), flags (8), message id (16), payload
 * digest (32), payload type (4), payload length (4); all big-endian.  The
 * header length field counts up to the payload length field (116). */
#define SSM_HEADER_LENGTH 116
#define SSM_PAYLOAD_OFFSET 120

#define SSM_INPUT_STREAM "input_stream_data"
#define SSM_OUTPUT_STREAM "output_stream_data"
#define SSM_ACKNOWLEDGE "acknowledge"
#define SSM_CHANNEL_CLOSED "channel_closed"

enum ssm_payload_type {
    SSM_PAYLOAD_OUTPUT = 1,
    SSM_PAYLOAD_ERROR = 2,
    SSM_PAYLOAD_SIZE = 3,
    SSM_PAYLOAD_PARAMETER = 4,
    SSM_PAYLOAD_HANDSHAKE_REQUEST = 5,
    SSM_PAYLOAD_HANDSHAKE_RESPONSE = 6,
    SSM_PAYLOAD_HANDSHAKE_COMPLETE = 7,
    SSM_PAYLOAD_FLAG = 10,
    SSM_PAYLOAD_STDERR = 11,
    SSM_PAYLOAD_EXIT_CODE = 12,
};

/* One message.  id is the UUID's 16 bytes in their usual order (the wire
 * has its low 8 bytes first).  payload points into the decoded buffer. */
struct ssm_msg {
    char type[33];
    uint32_t schema_version;
    uint64_t created_ms;
    int64_t seq;
    uint64_t flags;
    unsigned char id[16];
    uint32_t payload_type;
    const unsigned char *payload;
    size_t payload_len;
};

/* Parse buf (one binary WebSocket frame): ERR_INVALID when it is shorter
 * than the header, its lengths disagree, or the payload's digest is
 * wrong. */
int ssm_decode(const unsigned char *buf, size_t len, struct ssm_msg *ret, struct error *err);
/* Write m (its digest computed here) into out: the length, or -1 when cap
 * is too small. */
ssize_t ssm_encode(const struct ssm_msg *m, unsigned char *out, size_t cap);
/* The UUID's text form (36 characters + NUL). */
void ssm_uuid_string(const unsigned char id[16], char out[37]);

/* An output message sent and not acknowledged yet. */
struct exec_ssm_sent {
    int64_t seq;
    uint64_t sent_us; /* monotonic */
    bool acked;
    size_t len;
    unsigned char *data; /* the encoded message */
};

/* A session's plugin end, driven by the relay. */
struct exec_ssm {
    struct ws_conn *client;
    char session_id[80];
    bool interactive;
    int state;       /* SSM_STATE_*, exec_ssm.c */
    int64_t out_seq; /* the next output_stream_data's */
    int64_t in_seq;  /* the next input_stream_data expected */
    bool closed;     /* channel_closed sent */
    uint64_t started_us;
    unsigned char *buf;                                   /* one encoded message */
    struct exec_ssm_sent unacked[LIMIT_EXEC_SSM_UNACKED]; /* oldest first */
    size_t n_unacked;
};

/* Start: the handshake request (the session type) to the client.  The
 * client end is not owned. */
int exec_ssm_begin(struct exec_ssm *s, struct ws_conn *client, const char *session_id, bool interactive,
                   struct error *err);
/* Whether the agent's output may go to the client: the handshake is done
 * and fewer than LIMIT_EXEC_SSM_UNACKED messages wait for their
 * acknowledgement. */
bool exec_ssm_ready(const struct exec_ssm *s);
/* Resend what has waited LIMIT_EXEC_SSM_RESEND_MS for its
 * acknowledgement; the milliseconds until the next resend is due (-1:
 * nothing waits).  -1 from ret when the client is gone. */
int exec_ssm_resend(struct exec_ssm *s, int *ret_ms, struct error *err);
/* A frame from the client: acknowledged, and its stdin passed to agent
 * (PROTO_EXEC_STDIN); a repeated one is acknowledged again only.  -1 with
 * err on a protocol error or when the agent is gone. */
int exec_ssm_from_client(struct exec_ssm *s, enum ws_opcode op, const unsigned char *buf, size_t len,
                         struct ws_conn *agent, struct error *err);
/* A frame from the agent: output as output_stream_data (stdout as Output,
 * stderr as StdErr), the end as channel_closed (with the reason when the
 * command could not start).  -1 when the client is gone. */
int exec_ssm_from_agent(struct exec_ssm *s, const unsigned char *buf, size_t len, struct error *err);
/* channel_closed (unless sent) with output as its text ("" for none). */
void exec_ssm_end(struct exec_ssm *s, const char *output);
/* After the close frame: read (and drop) what the client still sends
 * until it hangs up or closes, for at most LIMIT_EXEC_SSM_LINGER_MS; frees
 * s's buffer. */
void exec_ssm_finish(struct exec_ssm *s);
