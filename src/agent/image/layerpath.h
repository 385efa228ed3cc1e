/* layerpath.h - pure helpers for paths inside a layer tarball: cleaning an
 * entry name and recognising OCI whiteouts. */
#pragma once

#include <stddef.h>

#include "common/error.h"

/* Clean an archive entry path: drop "." and empty components.  Refuses
 * (ERR_INVALID) absolute paths, ".." components and paths that do not fit.
 * The root ("./") becomes "". */
int layerpath_clean(const char *path, char *out, size_t cap, struct error *err);

enum whiteout_kind {
    WHITEOUT_NONE,
    WHITEOUT_FILE,   /* "dir/.wh.NAME": NAME is deleted */
    WHITEOUT_OPAQUE, /* "dir/.wh..wh..opq": dir hides the lower layers */
};

/* Classify a cleaned path.  For WHITEOUT_FILE, target receives the path of
 * the deleted entry ("dir/NAME"); for WHITEOUT_OPAQUE, the directory ("dir",
 * or "" for the root).  A malformed whiteout ("dir/.wh.", other ".wh..wh."
 * names) is ERR_INVALID. */
int layerpath_whiteout(const char *clean, enum whiteout_kind *ret_kind, char *target, size_t cap, struct error *err);
