/* overlay.h - a container's root filesystem: overlayfs over read-only lower
 * directories (top first) with a per-container upper and work directory. */
#pragma once

#include <stddef.h>

#include "common/error.h"

/* Mount overlayfs at target.  upper and work must be on the same file
 * system and empty (work) or hold a previous run's changes (upper). */
int overlay_mount(const char *const *lower, size_t n_lower, const char *upper, const char *work, const char *target,
                  struct error *err);
/* Unmount target; not mounted is success. */
int overlay_unmount(const char *target, struct error *err);
/* true if target is a mount point (its device differs from its parent's). */
int overlay_is_mounted(const char *target);
