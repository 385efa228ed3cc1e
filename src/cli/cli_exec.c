/* cli_exec.c - `berth exec CLUSTER TASK [--container C] [--interactive]
 * -- CMD...`: ECS Exec's client.  ExecuteCommand opens a session; its
 * streamUrl and tokenValue join it on the server's WebSocket, which
 * relays to the agent running CMD in the container (common/proto.h has
 * the frames).  The command's output goes to stdout and stderr (one
 * stream through the terminal when interactive), and its exit status
 * becomes berth exec's; 126 when it could not start, 1 when the session
 * failed.
 *
 * --interactive sends stdin (raw, when it is a terminal) and gives the
 * command a terminal in the container; without it stdin is not read, as
 * with `docker exec` without -i. */
#include <errno.h>
#include <getopt.h> /* optind */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_flags.h"
#include "cli/cli_util.h"
#include "common/awsjson.h"
#include "common/cleanup.h"
#include "common/proto.h"
#include "common/ws.h"

struct exec_cli {
    const char *container, *endpoint, *region;
    bool interactive;
};

static void usage(FILE *f)
{
    fprintf(f, "usage: berth exec CLUSTER TASK [--container NAME] [--interactive] [--endpoint URL]\n"
               "                  [--region R] -- COMMAND [ARG...]\n\n"
               "Run COMMAND in a running task's container (ECS Exec: the task must run\n"
               "with enableExecuteCommand).  Its exit status is berth exec's.\n\n"
               "  --container NAME   the container (needed when the task has several)\n"
               "  -i, --interactive  send stdin and give COMMAND a terminal\n"
               "  --endpoint URL     the berth server (default: $BERTH_ENDPOINT or\n"
               "                     http://127.0.0.1:7480)\n"
               "  --region R         the region to sign for (default: $AWS_REGION)\n");
}

static const struct cli_flag exec_flags[] = {
    {"container", .has_arg = true, .set = cli_flags_set_ptr, CLI_FIELD(struct exec_cli, container)},
    {"interactive", .short_name = 'i', .set = cli_flags_set_true, CLI_FIELD(struct exec_cli, interactive)},
    {"endpoint", .has_arg = true, .set = cli_flags_set_ptr, CLI_FIELD(struct exec_cli, endpoint)},
    {"region", .has_arg = true, .set = cli_flags_set_ptr, CLI_FIELD(struct exec_cli, region)},
    {"help", .short_name = 'h'},
};

/* The words as one command string ExecuteCommand splits back (quoting
 * each word that needs it, POSIX shell style). */
static int join_command(char **words, int n, char *out, size_t cap)
{
    size_t o = 0;
    for (int i = 0; i < n; i++) {
        const char *w = words[i];
        bool plain =
            *w && strspn(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./:=@%+,-") == strlen(w);
        if (i && o < cap)
            out[o++] = ' ';
        if (!plain && o < cap)
            out[o++] = '\'';
        for (const char *p = w; *p; p++) {
            if (!plain && *p == '\'') {
                static const char esc[] = "'\\''";
                for (size_t k = 0; k < 4 && o < cap; k++)
                    out[o++] = esc[k];
            } else if (o < cap) {
                out[o++] = *p;
            }
        }
        if (!plain && o < cap)
            out[o++] = '\'';
    }
    if (o >= cap)
        return -1;
    out[o] = '\0';
    return 0;
}

static int send_frame(struct ws_conn *c, char type, const void *data, size_t len)
{
    unsigned char buf[1 + 16384];
    struct error err;
    buf[0] = (unsigned char)type;
    memcpy(buf + 1, data, len);
    return ws_send(c, WS_BINARY, buf, len + 1, &err);
}

static void write_all(int fd, const unsigned char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

/* One frame from the agent (through the relay): 1 when the session is
 * over (*rc set), 0 to go on. */
static int on_frame(struct ws_conn *c, unsigned char *buf, int *rc)
{
    enum ws_opcode op;
    size_t len;
    struct error err;
    if (ws_recv(c, &op, buf, LIMIT_WS_FRAME, &len, &err) < 0) {
        fprintf(stderr, "berth exec: %s\n", err.msg);
        return 1;
    }
    if (op == WS_CLOSE) {
        if (*rc < 0 && len > 2)
            fprintf(stderr, "berth exec: session closed: %.*s\n", (int)(len - 2), (const char *)buf + 2);
        else if (*rc < 0)
            fprintf(stderr, "berth exec: session closed before the command ended\n");
        return 1;
    }
    if (op != WS_BINARY || len == 0)
        return 0;
    switch (buf[0]) {
    case PROTO_EXEC_STDOUT: write_all(STDOUT_FILENO, buf + 1, len - 1); break;
    case PROTO_EXEC_STDERR: write_all(STDERR_FILENO, buf + 1, len - 1); break;
    case PROTO_EXEC_FAILED:
        fprintf(stderr, "berth exec: %.*s\n", (int)(len - 1), (const char *)buf + 1);
        *rc = 126;
        break;
    case PROTO_EXEC_EXIT: {
        char code[16];
        size_t n = len - 1 < sizeof(code) - 1 ? len - 1 : sizeof(code) - 1;
        memcpy(code, buf + 1, n);
        code[n] = '\0';
        *rc = (int)strtol(code, NULL, 10) & 0xff;
        break;
    }
    default: break;
    }
    return 0;
}

/* Pump stdin (interactive) to the session and its frames out; the exit
 * status. */
static int run_session(struct ws_conn *c, bool interactive)
{
    _cleanup_free_ unsigned char *buf = malloc(LIMIT_WS_FRAME);
    if (!buf)
        return 1;
    bool stdin_open = interactive;
    if (!interactive && send_frame(c, PROTO_EXEC_STDIN_EOF, "", 0) < 0)
        return 1;
    int rc = -1;
    for (;;) {
        struct pollfd p[2] = {{.fd = c->fd, .events = POLLIN},
                              {.fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN}};
        if (!ws_conn_buffered(c) && poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return 1;
        }
        if (ws_conn_buffered(c) || p[0].revents) {
            if (on_frame(c, buf, &rc))
                return rc < 0 ? 1 : rc;
            continue;
        }
        if (stdin_open && p[1].revents) {
            ssize_t r = read(STDIN_FILENO, buf, 16384);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0) {
                stdin_open = false;
                if (send_frame(c, PROTO_EXEC_STDIN_EOF, "", 0) < 0)
                    return 1;
            } else if (send_frame(c, PROTO_EXEC_STDIN, buf, (size_t)r) < 0) {
                return 1;
            }
        }
    }
}

/* ExecuteCommand: the session's URL and token. */
static int open_session(const struct exec_cli *x, const char *cluster, const char *task, const char *command, char *url,
                        size_t ucap, char *token, size_t tcap)
{
    struct error err;
    struct aws_credentials creds;
    char region[LIMIT_AWS_REGION + 1];
    if (cli_signing_setup("berth exec", x->region, &creds, region, sizeof(region)) < 0)
        return -1;
    struct awsjson_client *client = NULL;
    int cr = awsjson_client_new(x->endpoint, &creds, region, &client, &err);
    aws_credentials_clear(&creds);
    if (cr < 0) {
        fprintf(stderr, "berth exec: %s\n", err.msg);
        return -1;
    }
    _cleanup_json_ json_t *in = json_pack("{s:s, s:s, s:s, s:b}", "cluster", cluster, "task", task, "command", command,
                                          "interactive", x->interactive);
    if (x->container)
        json_object_set_new(in, "container", json_string(x->container));
    _cleanup_json_ json_t *out = NULL;
    int r = awsjson_call(client, PROTO_ECS_TARGET, "ExecuteCommand", in, &out, &err);
    awsjson_client_free(client);
    if (r < 0) {
        fprintf(stderr, "berth exec: %s\n", err.msg);
        return -1;
    }
    json_t *s = json_object_get(out, "session");
    const char *u = json_string_value(json_object_get(s, "streamUrl"));
    const char *t = json_string_value(json_object_get(s, "tokenValue"));
    if (!u || !t || strlen(u) >= ucap || strlen(t) >= tcap) {
        fprintf(stderr, "berth exec: the server's answer has no usable session\n");
        return -1;
    }
    snprintf(url, ucap, "%s", u);
    snprintf(token, tcap, "%s", t);
    return 0;
}

static struct termios saved_tio;
static bool raw_set;

static void restore_terminal(void)
{
    if (raw_set)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
}

int cli_exec_main(int argc, char **argv)
{
    static const struct cli_flags flags = {exec_flags, ELEMENTSOF(exec_flags), false, usage};
    struct exec_cli x = {.endpoint = getenv("BERTH_ENDPOINT")};
    int pr = cli_flags_parse(&flags, argc, argv, &x);
    if (pr != CLI_FLAGS_OK)
        return pr == CLI_FLAGS_HELP ? 0 : 2;
    if (argc - optind < 3) {
        usage(stderr);
        return 2;
    }
    if (!x.endpoint || !*x.endpoint)
        x.endpoint = "http://127.0.0.1:7480";
    const char *cluster = argv[optind], *task = argv[optind + 1];
    char command[4097];
    if (join_command(argv + optind + 2, argc - optind - 2, command, sizeof(command)) < 0) {
        fprintf(stderr, "berth exec: the command is longer than 4096 characters\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    char url[1024], token[128];
    if (open_session(&x, cluster, task, command, url, sizeof(url), token, sizeof(token)) < 0)
        return 1;
    struct ws_conn c;
    struct error err;
    if (ws_client_connect(url, &c, &err) < 0) {
        fprintf(stderr, "berth exec: %s\n", err.msg);
        return 1;
    }
    _cleanup_close_ int fd = c.fd;
    json_t *hello = json_pack("{s:s}", "TokenValue", token);
    char *text = hello ? json_dumps(hello, JSON_COMPACT) : NULL;
    json_decref(hello);
    explicit_bzero(token, sizeof(token));
    int sent = text ? ws_send(&c, WS_TEXT, text, strlen(text), &err) : -1;
    free(text);
    if (sent < 0) {
        fprintf(stderr, "berth exec: %s\n", err.msg);
        return 1;
    }
    /* The session lasts as long as the command: no read timeout. */
    struct timeval none = {0};
    setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof(none));
    if (x.interactive && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved_tio) == 0) {
        struct termios raw = saved_tio;
        cfmakeraw(&raw);
        raw_set = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
        atexit(restore_terminal);
    }
    int rc = run_session(&c, x.interactive);
    restore_terminal();
    return rc;
}
