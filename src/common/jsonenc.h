/* jsonenc.h - JSON text written straight into a growable buffer.
 *
 * For requests too large to build cheaply as a jansson tree and dump
 * (a 10,000-event log batch is 10,000 objects with a hash table each).
 * Strings must be valid UTF-8 (the caller checks); quotes, backslashes,
 * control characters and DEL are escaped, nothing else.  Errors are sticky: after running out of memory or
 * past `limit`, appends do nothing and jsonenc_failed() is true. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/cleanup.h"

/* A buf (common/buf.h) that JSON is written into. */
struct jsonenc {
    struct buf b;
};

/* An empty buffer that may grow to `limit` bytes. */
void jsonenc_init(struct jsonenc *e, size_t limit);
void jsonenc_free(struct jsonenc *e);
/* `n` bytes as they are (punctuation, keys known to need no escaping). */
void jsonenc_raw(struct jsonenc *e, const char *s, size_t n);
/* A string literal as it is. */
#define jsonenc_literal(e, lit) jsonenc_raw((e), "" lit, sizeof(lit) - 1)
/* `n` bytes of s as a quoted, escaped JSON string. */
void jsonenc_string(struct jsonenc *e, const char *s, size_t n);
/* The same when its size (jsonenc_string_size(s, n)) is known already. */
void jsonenc_string_sized(struct jsonenc *e, const char *s, size_t n, size_t size);
void jsonenc_int(struct jsonenc *e, int64_t v);
/* v's decimal digits (no NUL) into out; returns how many. */
#define JSONENC_INT_MAX 20
size_t jsonenc_format_int(char out[JSONENC_INT_MAX], int64_t v);
bool jsonenc_failed(const struct jsonenc *e);
/* The bytes jsonenc_string(s, n) appends, quotes included. */
size_t jsonenc_string_size(const char *s, size_t n);
/* The escaped body of s (no quotes, no NUL) into out, which has room for
 * jsonenc_string_size(s, n) - 2 bytes; returns the bytes written.  For
 * writers with buffers of their own (jsonlog.c). */
size_t jsonenc_escape(const char *s, size_t n, char *out);

static inline void jsonenc_freep(struct jsonenc *e) { jsonenc_free(e); }
#define _cleanup_jsonenc_ _cleanup_(jsonenc_freep)
