/* error.c - filling struct error.  Formatting only; no logging here: errors
 * are logged once, at the boundary that handles them. */
#include "common/error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int error_set(struct error *err, int kind, const char *fmt, ...)
{
    if (!err)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    err->kind = kind;
    err->sys_errno = 0;
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return -1;
}

int error_sys(struct error *err, const char *fmt, ...)
{
    int saved = errno;
    if (!err)
        return -1;
    char buf[sizeof(err->msg)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    err->kind = ERR_SYSTEM;
    err->sys_errno = saved;
    snprintf(err->msg, sizeof(err->msg), "%s: %s", buf, strerror(saved));
    errno = saved;
    return -1;
}

int error_prefix(struct error *err, const char *fmt, ...)
{
    if (!err)
        return -1;
    char prefix[256];
    char old[sizeof(err->msg)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof(old));
    snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
    return -1;
}

void error_clear(struct error *err)
{
    if (!err)
        return;
    err->kind = ERR_NONE;
    err->sys_errno = 0;
    err->msg[0] = '\0';
}
