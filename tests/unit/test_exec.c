/* Unit tests: ECS Exec's pure parts - ExecuteCommand's command splitting,
 * the cluster's executeCommandConfiguration checks, and the WebSocket framing (over a socketpair: masking, lengths, the
 * refusals a peer's bad frame gets). */
#include <jansson.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/limits.h"
#include "common/ws.h"
#include "server/ecs/exec_command.h"
#include "server/ecs/exec_config.h"
#include "server/ecs/exec_ssm.h"
#include "test.h"

static int split(const char *cmd, json_t **ret)
{
    struct error err;
    *ret = json_array();
    return exec_command_split(cmd, *ret, &err);
}

TEST(exec_command_split_words_and_quotes)
{
    json_t *a = NULL;
    CHECK(split("  ls -l  /tmp ", &a) == 0);
    CHECK(json_array_size(a) == 3);
    CHECK_STR(json_string_value(json_array_get(a, 2)), "/tmp");
    json_decref(a);
    CHECK(split("sh -c 'echo a b; exit 3' \"x \\\"y\\\"\" it\\'s ''", &a) == 0);
    CHECK(json_array_size(a) == 6);
    CHECK_STR(json_string_value(json_array_get(a, 2)), "echo a b; exit 3");
    CHECK_STR(json_string_value(json_array_get(a, 3)), "x \"y\"");
    CHECK_STR(json_string_value(json_array_get(a, 4)), "it's");
    CHECK_STR(json_string_value(json_array_get(a, 5)), "");
    json_decref(a);
    CHECK(split("'it'\\''s'", &a) == 0); /* berth exec's quoting of it's */
    CHECK_STR(json_string_value(json_array_get(a, 0)), "it's");
    json_decref(a);
    CHECK(split("echo 'open", &a) < 0);
    json_decref(a);
    CHECK(split("   ", &a) < 0);
    json_decref(a);
}

static unsigned char big[LIMIT_WS_FRAME], got[LIMIT_WS_FRAME];

TEST(ws_frames_round_trip)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    struct ws_conn client, server;
    ws_conn_init(&client, sv[0], true);
    ws_conn_init(&server, sv[1], false);
    struct error err;
    memset(big, 'z', sizeof(big));
    enum ws_opcode op;
    size_t len = 0;
    /* Masked from the client, in each length encoding. */
    CHECK(ws_send(&client, WS_TEXT, "hello", 5, &err) == 0);
    CHECK(ws_recv(&server, &op, got, sizeof(got), &len, &err) == 0);
    CHECK(op == WS_TEXT && len == 5 && memcmp(got, "hello", 5) == 0);
    CHECK(ws_send(&client, WS_BINARY, big, 300, &err) == 0);
    CHECK(ws_recv(&server, &op, got, sizeof(got), &len, &err) == 0);
    CHECK(op == WS_BINARY && len == 300 && got[299] == 'z');
    /* Unmasked from the server; a ping is answered with a pong, which
     * the server's next read skips. */
    CHECK(ws_send(&server, WS_PING, "p", 1, &err) == 0);
    CHECK(ws_send(&server, WS_BINARY, big, 1000, &err) == 0);
    CHECK(ws_recv(&client, &op, got, sizeof(got), &len, &err) == 0);
    CHECK(op == WS_BINARY && len == 1000);
    CHECK(ws_send(&client, WS_CLOSE, "\x03\xe8", 2, &err) == 0);
    CHECK(ws_recv(&server, &op, got, sizeof(got), &len, &err) == 0);
    CHECK(op == WS_CLOSE && len == 2);
    close(sv[0]);
    close(sv[1]);
}

/* What a reader makes of raw bytes: 0 when it reads a frame. */
static int read_raw(const unsigned char *bytes, size_t n, bool client, size_t cap)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return 99;
    if (write(sv[0], bytes, n) != (ssize_t)n)
        return 98;
    shutdown(sv[0], SHUT_WR);
    struct ws_conn c;
    ws_conn_init(&c, sv[1], client);
    enum ws_opcode op;
    size_t len;
    struct error err;
    int r = ws_recv(&c, &op, got, cap, &len, &err);
    close(sv[0]);
    close(sv[1]);
    return r;
}

TEST(ws_refuses_bad_frames)
{
    const unsigned char ok[] = {0x82, 0x81, 1, 2, 3, 4, 'a' ^ 1};
    CHECK(read_raw(ok, sizeof(ok), false, sizeof(got)) == 0);
    /* Unmasked to a server, masked to a client. */
    const unsigned char unmasked[] = {0x82, 0x01, 'a'};
    CHECK(read_raw(unmasked, sizeof(unmasked), false, sizeof(got)) < 0);
    CHECK(read_raw(ok, sizeof(ok), true, sizeof(got)) < 0);
    /* Fragmented (FIN clear), reserved bits, unknown opcode. */
    const unsigned char frag[] = {0x02, 0x81, 0, 0, 0, 0, 'a'};
    const unsigned char rsv[] = {0xc2, 0x81, 0, 0, 0, 0, 'a'};
    const unsigned char opc[] = {0x83, 0x81, 0, 0, 0, 0, 'a'};
    CHECK(read_raw(frag, sizeof(frag), false, sizeof(got)) < 0);
    CHECK(read_raw(rsv, sizeof(rsv), false, sizeof(got)) < 0);
    CHECK(read_raw(opc, sizeof(opc), false, sizeof(got)) < 0);
    /* Larger than the reader's buffer, or than any frame may be. */
    CHECK(read_raw(ok, sizeof(ok), false, 0) < 0);
    const unsigned char huge[] = {0x82, 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4};
    CHECK(read_raw(huge, sizeof(huge), false, sizeof(got)) < 0);
    /* Cut short. */
    CHECK(read_raw(ok, 5, false, sizeof(got)) < 0);
}

TEST(ws_accept_key_matches_rfc6455)
{
    char out[64];
    struct error err;
    CHECK(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out, &err) == 0);
    CHECK_STR(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

static int config(const char *json, struct error *err)
{
    json_t *ecc = json_loads(json, 0, NULL);
    json_t *cfg = json_pack("{s:o}", "executeCommandConfiguration", ecc);
    int r = exec_config_check(cfg, err);
    json_decref(cfg);
    return r;
}

TEST(exec_config_checks_as_ecs)
{
    struct error err;
    CHECK(exec_config_check(NULL, &err) == 0);
    CHECK(config("{}", &err) == 0);
    CHECK(config("{\"logging\": \"NONE\"}", &err) == 0);
    CHECK(config("{\"logging\": \"DEFAULT\", \"kmsKeyId\": \"k\"}", &err) == 0);
    CHECK(config("{\"logging\": \"OVERRIDE\", \"logConfiguration\": {\"cloudWatchLogGroupName\": \"g\", "
                 "\"cloudWatchEncryptionEnabled\": false}}",
                 &err) == 0);
    CHECK(config("{\"logConfiguration\": {\"cloudWatchLogGroupName\": \"g\"}}", &err) < 0);
    CHECK(err.kind == ERR_INVALID && strstr(err.msg, "set logging to 'OVERRIDE'"));
    CHECK(config("{\"logging\": \"OVERRIDE\"}", &err) < 0 && strstr(err.msg, "supply a log configuration"));
    CHECK(config("{\"logging\": \"OVERRIDE\", \"logConfiguration\": {}}", &err) < 0 &&
          strstr(err.msg, "cloudWatchLogGroupName"));
    CHECK(config("{\"logging\": \"OVERRIDE\", \"logConfiguration\": {\"s3BucketName\": \"b\"}}", &err) < 0 &&
          strstr(err.msg, "no S3"));
    CHECK(config("{\"logging\": \"OVERRIDE\", \"logConfiguration\": {\"cloudWatchLogGroupName\": \"g\", "
                 "\"cloudWatchEncryptionEnabled\": true}}",
                 &err) < 0 &&
          strstr(err.msg, "KMS"));
}

/* Session Manager's ClientMessage (exec_ssm.c): a message encodes to the
 * documented layout and decodes back; a wrong digest or length is refused. */
TEST(exec_ssm_message_round_trip_and_checks)
{
    struct ssm_msg m = {.schema_version = 1,
                        .created_ms = 1700000000123ull,
                        .seq = 7,
                        .flags = 3,
                        .payload_type = SSM_PAYLOAD_OUTPUT,
                        .payload = (const unsigned char *)"hello",
                        .payload_len = 5};
    snprintf(m.type, sizeof(m.type), "%s", SSM_OUTPUT_STREAM);
    for (int i = 0; i < 16; i++)
        m.id[i] = (unsigned char)i;
    unsigned char buf[256];
    ssize_t n = ssm_encode(&m, buf, sizeof(buf));
    CHECK(n == SSM_PAYLOAD_OFFSET + 5);
    CHECK(buf[0] == 0 && buf[3] == 116);                    /* the header length */
    CHECK(memcmp(buf + 4, "output_stream_data ", 19) == 0); /* space-padded */
    CHECK(buf[55] == 7);                                    /* the sequence number, big-endian */
    CHECK(buf[64] == 8 && buf[72] == 0);                    /* the id's low half first */
    CHECK(buf[119] == 5 && memcmp(buf + 120, "hello", 5) == 0);
    struct ssm_msg d;
    struct error err;
    CHECK(ssm_decode(buf, (size_t)n, &d, &err) == 0);
    CHECK_STR(d.type, SSM_OUTPUT_STREAM);
    CHECK(d.seq == 7 && d.flags == 3 && d.created_ms == 1700000000123ull && d.payload_type == 1);
    CHECK(d.payload_len == 5 && memcmp(d.payload, "hello", 5) == 0 && memcmp(d.id, m.id, 16) == 0);
    char id[37];
    ssm_uuid_string(d.id, id);
    CHECK_STR(id, "00010203-0405-0607-0809-0a0b0c0d0e0f");
    buf[n - 1] ^= 1; /* the digest no longer matches */
    CHECK(ssm_decode(buf, (size_t)n, &d, &err) < 0);
    buf[n - 1] ^= 1;
    CHECK(ssm_decode(buf, (size_t)n - 1, &d, &err) < 0); /* the length field disagrees */
    CHECK(ssm_decode(buf, 100, &d, &err) < 0);           /* shorter than the header */
    CHECK(ssm_encode(&m, buf, 100) < 0);
}
