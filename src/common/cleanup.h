/* cleanup.h - scope-bound ownership for locals (after systemd and crun).
 *
 * A local declared with one of these attributes is released when it goes out
 * of scope.  Hand ownership on with TAKE_PTR()/TAKE_FD(); every destructor
 * here accepts NULL (or -1). */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void freep(void *p) { free(*(void **)p); }
static inline void closep(int *fd)
{
    if (*fd >= 0)
        close(*fd);
}
static inline void fclosep(FILE **f)
{
    if (*f)
        fclose(*f);
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Return the value of a pointer and clear the variable, so its cleanup
 * handler no longer frees it. */
#define TAKE_PTR(p)                                                                                                    \
    ({                                                                                                                 \
        __typeof__(p) _p_ = (p);                                                                                       \
        (p) = NULL;                                                                                                    \
        _p_;                                                                                                           \
    })

#define TAKE_FD(fd)                                                                                                    \
    ({                                                                                                                 \
        int _fd_ = (fd);                                                                                               \
        (fd) = -1;                                                                                                     \
        _fd_;                                                                                                          \
    })

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

/* jansson ships json_decrefp() for exactly this. */
#include <jansson.h>
#define _cleanup_json_ _cleanup_(json_decrefp)
