/* cli_util.c - argument parsing, signals and atomic files for subcommands. */
#include "cli/cli_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/aws_credentials.h"
#include "common/awsjson.h"
#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/log.h"

int cli_parse_hostport(const char *s, char *host, size_t host_cap, uint16_t *ret_port)
{
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s)
        return -1;
    const char *h = s;
    size_t hlen = (size_t)(colon - s);
    if (h[0] == '[' && hlen >= 2 && h[hlen - 1] == ']') {
        h++;
        hlen -= 2;
    }
    if (hlen == 0 || hlen >= host_cap)
        return -1;
    char *end = NULL;
    errno = 0;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (errno || end == colon + 1 || *end || port > 65535)
        return -1;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *ret_port = (uint16_t)port;
    return 0;
}

int cli_copy_arg(char *dst, size_t cap, const char *value, const char *flag)
{
    size_t n = strlen(value);
    if (n == 0 || n >= cap) {
        fprintf(stderr, "berth: %s: value is empty or too long\n", flag);
        return -1;
    }
    memcpy(dst, value, n + 1);
    return 0;
}

static int signing_setup(const char *cmd, const char *region_flag, bool optional, struct aws_credentials *ret_creds,
                         char *region, size_t region_cap)
{
    const char *r = aws_region_resolve(region_flag);
    if (strlen(r) >= region_cap) {
        fprintf(stderr, "%s: region '%s' is longer than %zu bytes\n", cmd, r, region_cap - 1);
        return -1;
    }
    struct error err;
    error_clear(&err);
    if (aws_credentials_resolve(ret_creds, &err) < 0) {
        if (!optional || err.kind != ERR_NOT_FOUND) {
            fprintf(stderr, "%s: %s\n", cmd, err.msg);
            return -1;
        }
        memset(ret_creds, 0, sizeof(*ret_creds));
    }
    snprintf(region, region_cap, "%s", r);
    return 0;
}

int cli_signing_setup(const char *cmd, const char *region_flag, struct aws_credentials *ret_creds, char *region,
                      size_t region_cap)
{
    return signing_setup(cmd, region_flag, false, ret_creds, region, region_cap);
}

json_t *cli_call_once(const char *cmd, const char *endpoint, const char *region_flag, const char *target,
                      const char *action, json_t *in)
{
    struct aws_credentials creds;
    char region[LIMIT_AWS_REGION + 1];
    if (cli_signing_setup(cmd, region_flag, &creds, region, sizeof(region)) < 0) {
        json_decref(in);
        return NULL;
    }
    struct error err;
    struct awsjson_client *client = NULL;
    json_t *out = NULL;
    int r = awsjson_client_new(endpoint, &creds, region, &client, &err);
    aws_credentials_clear(&creds);
    if (r == 0)
        r = awsjson_call(client, target, action, in, &out, &err);
    awsjson_client_free(client);
    json_decref(in);
    if (r < 0)
        fprintf(stderr, "%s: %s\n", cmd, err.msg);
    return r < 0 ? NULL : out;
}

int cli_signing_setup_optional(const char *cmd, const char *region_flag, struct aws_credentials *ret_creds,
                               char *region, size_t region_cap)
{
    return signing_setup(cmd, region_flag, true, ret_creds, region, region_cap);
}

int cli_set_log_level(const char *cmd, const char *value)
{
    enum log_level lvl;
    if (log_parse_level(value, &lvl) < 0) {
        fprintf(stderr, "%s: unknown log level '%s'\n", cmd, value);
        return -1;
    }
    log_set_level(lvl);
    return 0;
}

int cli_set_log_format(const char *cmd, const char *value)
{
    enum log_format f;
    if (log_parse_format(value, &f) < 0) {
        fprintf(stderr, "%s: --log-format is text or json\n", cmd);
        return -1;
    }
    log_set_format(f);
    return 0;
}

int cli_set_runtime_name(const char *cmd, const char *value, char *out, size_t cap)
{
    if (strcmp(value, "runc") != 0 && strcmp(value, "crun") != 0) {
        fprintf(stderr, "%s: --runtime is runc or crun\n", cmd);
        return -1;
    }
    snprintf(out, cap, "%s", value);
    return 0;
}

int cli_add_host_path(const char *cmd, const char *value, const char **paths, size_t *n, size_t cap)
{
    if (value[0] != '/') {
        fprintf(stderr, "%s: --allow-host-path wants an absolute path, not '%s'\n", cmd, value);
        return -1;
    }
    if (*n == cap) {
        fprintf(stderr, "%s: at most %zu --allow-host-path\n", cmd, cap);
        return -1;
    }
    paths[(*n)++] = value;
    return 0;
}

int cli_set_listen(const char *cmd, const char *value, char *host, size_t host_cap, uint16_t *ret_port)
{
    if (cli_parse_hostport(value, host, host_cap, ret_port) < 0) {
        fprintf(stderr, "%s: --listen wants HOST:PORT, got '%s'\n", cmd, value);
        return -1;
    }
    return 0;
}

void cli_block_stop_signals(sigset_t *ret_mask)
{
    sigemptyset(ret_mask);
    sigaddset(ret_mask, SIGINT);
    sigaddset(ret_mask, SIGTERM);
    sigaddset(ret_mask, SIGHUP);
    pthread_sigmask(SIG_BLOCK, ret_mask, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int cli_wait_stop_signal(const sigset_t *mask)
{
    int sig = 0;
    while (sigwait(mask, &sig) != 0)
        ;
    return sig;
}

int cli_write_file_atomic(const char *dir, const char *name, const char *content, struct error *err)
{
    return fs_write_atomic(dir, name, content, strlen(content), err);
}

int cli_parse_duration_ms(const char *s, int64_t *ret_ms)
{
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (end == s || v < 0)
        return -1;
    static const struct {
        const char *unit;
        int64_t ms;
    } units[] = {{"", 1000}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}, {"w", 604800000}};
    for (size_t i = 0; i < ELEMENTSOF(units); i++) {
        if (strcmp(end, units[i].unit) == 0) {
            if (v > INT64_MAX / units[i].ms)
                return -1;
            *ret_ms = v * units[i].ms;
            return 0;
        }
    }
    return -1;
}
