/* fsutil.h - small file and directory helpers for the agent's state
 * directories: bounded reads, atomic writes, mkdir -p, rm -rf (one fs). */
#pragma once

#include <stddef.h>

#include "common/error.h"

/* Write path atomically (temporary file in the same directory, fsync,
 * rename). */
int fsutil_write_file(const char *path, const char *data, size_t len, struct error *err);
/* Read a whole file of at most max bytes into a NUL-terminated buffer the
 * caller frees.  ENOENT is ERR_NOT_FOUND. */
int fsutil_read_file(const char *path, size_t max, char **ret, size_t *ret_len, struct error *err);
/* mkdir -p with mode for the directories it creates. */
int fsutil_mkdir_p(const char *path, unsigned mode, struct error *err);
/* Remove a tree without crossing into other file systems (a mount point
 * inside it is an error, never emptied).  A missing path is success. */
int fsutil_rm_rf(const char *path, struct error *err);
