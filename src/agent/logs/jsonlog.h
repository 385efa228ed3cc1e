/* jsonlog.h - the json-file log driver's side on disk: Docker's line format
 * {"log":"text\n","stream":"stdout","time":"2026-11-22T02:00:00.123456789Z"}
 * and size-based rotation (max-size, max-file: file, file.1, file.2 ...). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

/* Docker's size strings: "1024", "10k", "10m", "1g" (also "kb", "KiB",
 * case-insensitive; binary units as Docker's units.RAMInBytes). */
int jsonlog_parse_size(const char *s, int64_t *ret, struct error *err);

/* Format one record into buf (cap bytes); `time` is an RFC 3339 time as
 * conmon wrote it (a +00:00 offset becomes Z).  newline: the line ended
 * (not a partial piece).  Returns the length, or -1 when buf is too small. */
ssize_t jsonlog_encode(const char *text, size_t len, bool newline, bool is_stderr, const char *time, size_t time_len,
                       char *buf, size_t cap);

struct jsonlog_writer {
    char path[4096];
    int fd;
    int64_t size;     /* of the current file */
    int64_t max_size; /* 0: never rotate */
    int max_file;     /* files kept, counting the current one */
};

/* Open (appending to) path. */
int jsonlog_open(struct jsonlog_writer *w, const char *path, int64_t max_size, int max_file, struct error *err);
/* Append one encoded line, rotating first if it would pass max_size. */
int jsonlog_write(struct jsonlog_writer *w, const char *line, size_t len, struct error *err);
void jsonlog_close(struct jsonlog_writer *w);
