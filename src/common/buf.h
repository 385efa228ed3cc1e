/* buf.h - the one growable buffer (after curl's dynbuf), and the one way to
 * grow an array.
 *
 * A buf holds bytes, always NUL-terminated while it has not failed, and
 * never grows past the limit it was given: input read from the network, a
 * child or a file is bounded where it is read.  Failure (out of memory, or
 * past the limit) is sticky: later appends do nothing and return -1, so a
 * writer may append many times and check once. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "common/cleanup.h"

struct buf {
    char *data; /* NULL until the first append; else NUL-terminated */
    size_t len, cap, limit;
    bool failed;
    bool too_large; /* failed because of the limit, not memory */
};

/* An empty buffer that may hold up to `limit` bytes (the NUL not counted). */
void buf_init(struct buf *b, size_t limit);
void buf_free(struct buf *b);
/* Empty it, keeping its memory and limit; clears a failure. */
void buf_reset(struct buf *b);

/* Room for `n` more bytes (and the NUL); 0, or -1 if over the limit or out
 * of memory. */
int buf_reserve(struct buf *b, size_t n);
/* Append `n` bytes; 0 or -1 as buf_reserve. */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_append_str(struct buf *b, const char *s);
int buf_append_char(struct buf *b, char c);
/* Append formatted text; 0 or -1 as buf_reserve. */
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The contents, handed over to the caller (free() it); the buffer is left
 * empty.  Never NULL unless the buffer has failed: an empty buffer gives
 * "". */
char *buf_steal(struct buf *b, size_t *ret_len);

static inline void buf_freep(struct buf *b) { buf_free(b); }
#define _cleanup_buf_ _cleanup_(buf_freep)

/* Make room for `need` elements of `elem` bytes in the array *arrp whose
 * capacity is *capp, doubling (from 8) as it grows; 0, or -1 on overflow or
 * out of memory (the array is then unchanged).  Use as
 *     if (array_reserve(&items, &cap, n + 1, sizeof(*items)) < 0) ...  */
int array_reserve(void *arrp, size_t *capp, size_t need, size_t elem);
