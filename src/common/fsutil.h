/* fsutil.h - small file helpers: atomic writes, bounded reads, mkdir -p,
 * durable renames, tree removal and disk usage. */
#pragma once

#include <stddef.h>

#include "common/error.h"

/* Write dir/name through a temporary file, fsync, rename, fsync the dir. */
int fs_write_atomic(const char *dir, const char *name, const char *content, size_t len, struct error *err);
/* Remove the temporary files a writer of dir/name killed mid-write left
 * behind (fs_write_atomic and fs_replace_file name them after the file). */
void fs_remove_stale_temps(const char *dir, const char *name);
/* The same as fs_write_atomic, readable and writable by the owner only
 * (0600): keys, credentials. */
int fs_write_private(const char *dir, const char *name, const char *content, size_t len, struct error *err);
/* Replace path atomically (unique temporary file in the same directory,
 * rename) without fsync: for state that must survive a process crash, not a
 * power cut (the agent's per-container records: a host reboot ends the
 * containers too). */
int fs_replace_file(const char *path, const char *content, size_t len, struct error *err);
/* Read a whole file of at most limit bytes; *ret_data is NUL-terminated and
 * malloc'd.  A missing file fails with ERR_NOT_FOUND. */
int fs_read_file(const char *path, size_t limit, char **ret_data, size_t *ret_len, struct error *err);
/* The same for an open fd, read to its end; name is for messages. */
int fs_read_fd(int fd, const char *name, size_t limit, char **ret_data, size_t *ret_len, struct error *err);
/* Create a directory and its parents (mode for the new ones). */
int fs_mkdir_p(const char *path, unsigned mode, struct error *err);
/* fsync a directory, making renames and creations in it durable. */
int fs_fsync_dir(const char *dir, struct error *err);
/* fsync a file that is already in place (written by fs_replace_file). */
int fs_fsync_file(const char *path, struct error *err);
/* Remove path and everything below it without following symlinks (it walks
 * with openat(O_NOFOLLOW)) and without descending into another file system
 * (a mount point inside is ERR_CONFLICT, never emptied); a missing path is
 * not an error. */
int fs_rmtree(const char *path, struct error *err);
/* The disk space path and everything below it take, as du(1) counts it
 * (allocated blocks, st_blocks * 512; a file with several links in the
 * tree counted once per link), walked as fs_rmtree walks: symlinks not
 * followed, other file systems not entered.  More than max_entries
 * entries is ERR_LIMIT (a partial count would be a wrong one); a missing
 * path is ERR_NOT_FOUND. */
int fs_disk_usage(const char *path, size_t max_entries, unsigned long long *ret_bytes, struct error *err);
