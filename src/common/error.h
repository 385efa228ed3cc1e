/* error.h - the error type every fallible function fills (after crun).
 *
 * A failing function returns a negative value and fills a caller-owned
 * struct error passed last.  `kind` is an int so that upper layers can add
 * their own kinds (the API layer maps kinds to ECS exception names); common
 * code uses only the generic kinds below. */
#pragma once

#include <stdarg.h>
#include <stddef.h>

enum error_kind {
    ERR_NONE = 0,
    ERR_INTERNAL,         /* a fault of ours: a bug or an unexpected library failure */
    ERR_SYSTEM,           /* the OS refused (errno is in .sys_errno) */
    ERR_INVALID,          /* the input is malformed or breaks a rule */
    ERR_NOT_FOUND,        /* the thing named does not exist */
    ERR_CONFLICT,         /* the thing exists or is in the wrong state */
    ERR_LIMIT,            /* a size or count limit was exceeded */
    ERR_IO,               /* a peer (network, child process) failed */
    ERR_RETRY,            /* lost a race with a concurrent transaction: running it again may succeed */
    ERR_UNAVAILABLE,      /* a service we depend on cannot be reached now: later may succeed */
    ERR_GENERIC_MAX = 100 /* upper layers number their kinds from here */
};

struct error {
    int kind;
    int sys_errno;
    char msg[1024];
};

/* Fill err (if non-NULL) and return -1, so callers can `return error_set(...)`. */
int error_set(struct error *err, int kind, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Like error_set, with kind ERR_SYSTEM, the current errno and strerror(). */
int error_sys(struct error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prefix context to an already filled error: "context: old message". */
int error_prefix(struct error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void error_clear(struct error *err);
