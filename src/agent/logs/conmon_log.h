/* conmon_log.h - conmon's k8s-file log records: "<RFC3339Nano> <stdout|stderr>
 * <F|P> <text>\n", where P marks a piece of a line that the next record(s)
 * continue and F the piece that ends it.  Parsing only: no I/O. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conmon_log_rec {
    int64_t ts_us;    /* the record's time, microseconds since the epoch */
    const char *time; /* the timestamp as written (points into the line) */
    size_t time_len;
    bool is_stderr;
    bool partial;     /* P: the line goes on in the next record */
    const char *text; /* points into the line; no trailing newline */
    size_t text_len;
};

/* Parse one record: line[0..len) without its '\n'.  -1 if it is not a
 * k8s-file record; *ret is set only on success. */
int conmon_log_parse(const char *line, size_t len, struct conmon_log_rec *ret);
