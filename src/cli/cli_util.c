/* cli_util.c - argument parsing, signals and atomic files for subcommands. */
#include "cli_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"

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
    char tmp[4200], dst[4200];
    snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
    snprintf(dst, sizeof(dst), "%s/%s", dir, name);
    _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return error_sys(err, "open %s", tmp);
    size_t len = strlen(content), off = 0;
    while (off < len) {
        ssize_t w = write(fd, content + off, len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return error_sys(err, "write %s", tmp);
        }
        off += (size_t)w;
    }
    if (fsync(fd) < 0)
        return error_sys(err, "fsync %s", tmp);
    if (rename(tmp, dst) < 0)
        return error_sys(err, "rename %s", dst);
    _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0)
        fsync(dfd);
    return 0;
}
