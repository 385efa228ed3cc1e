/* layer.h - unpacking one image layer (tar, tar+gzip, tar+zstd) into a
 * directory usable as an overlayfs lower layer. */
#pragma once

#include <stddef.h>

#include "common/error.h"
#include "agent/image/digest.h"

/* Unpack the layer read from blob_fd into dest, an existing empty
 * directory whose path has no symlinks.  lowers are the already unpacked
 * layers below this one, top first: directories this layer creates
 * implicitly copy their mode and owner from there.  Whiteouts become
 * overlayfs whiteouts (0/0 character devices, trusted.overlay.opaque=y).
 * Entries that would escape dest (absolute, "..", through a symlink) and
 * device nodes are skipped with a warning.  *ret_diff_id is the digest of
 * the uncompressed tar stream.  On failure dest holds a partial tree that
 * the caller removes. */
int layer_unpack(int blob_fd, const char *dest, const char *const *lowers, size_t n_lowers,
                 char ret_diff_id[DIGEST_STR_LEN + 1], struct error *err);
