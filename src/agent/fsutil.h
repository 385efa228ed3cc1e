/* fsutil.h - file system chores the image store and unpacker share:
 * atomic small files, durable renames and tree removal that never follows
 * symlinks. */
#pragma once

#include <stddef.h>

#include "common/error.h"

/* Create dir and missing parents with mode 0755 (0700 for none). */
int fsutil_mkdir_p(const char *path, struct error *err);
/* Write dir/name via a temp file in dir, fsync, rename, fsync dir. */
int fsutil_write_atomic(const char *dir, const char *name, const void *buf, size_t len, struct error *err);
/* Read a whole regular file of at most limit bytes (NUL-terminated). */
int fsutil_read_file(const char *path, size_t limit, char **ret_buf, size_t *ret_len, struct error *err);
int fsutil_fsync_dir(const char *dir, struct error *err);
/* Remove path and everything below it without following symlinks; a
 * missing path is not an error. */
int fsutil_rmtree(const char *path, struct error *err);
