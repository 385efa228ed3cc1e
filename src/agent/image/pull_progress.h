/* pull_progress.h - one pull's progress summed over its layers, from the
 * events image_pull() reports (image.h): how many layers are ready and how
 * many bytes of them are downloaded, as one short line for a terminal
 * ("3/5 layers, 12.3MB / 40.0MB") or a log line.  Events may come from
 * several threads; the tracker locks.  It does no I/O. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/image/image.h"
#include "common/timeutil.h"

struct pull_layer {
    uint64_t done, total;
    bool ready; /* unpacked, or already unpacked */
};

struct pull_progress {
    pthread_mutex_t lock;
    struct pull_layer *layers; /* NULL until the manifest is resolved */
    size_t nlayers;
    usec_t last_line; /* when pull_progress_due last said yes */
};

void pull_progress_init(struct pull_progress *pp);
void pull_progress_free(struct pull_progress *pp);
/* Take one event (the config blob's, index SIZE_MAX, is not a layer). */
void pull_progress_update(struct pull_progress *pp, const struct image_progress *ev);
/* The summary line, e.g. "3/5 layers, 12.3MB / 40.0MB"; "resolving" before
 * the manifest is known. */
void pull_progress_format(struct pull_progress *pp, char *buf, size_t cap);
/* Whether `every` has passed (monotonic `now`) since the last time this
 * said yes: a reader that should print at most once that often asks it. */
bool pull_progress_due(struct pull_progress *pp, usec_t now, usec_t every);
/* n bytes as "999B", "12.3kB", "4.0MB", "1.2GB" (powers of 1000). */
void pull_progress_size(uint64_t n, char *buf, size_t cap);
