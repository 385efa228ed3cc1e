/* pull_progress.c - a pull's progress over its layers (pull_progress.h). */
#include "agent/image/pull_progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"

void pull_progress_init(struct pull_progress *pp)
{
    memset(pp, 0, sizeof(*pp));
    pthread_mutex_init(&pp->lock, NULL);
}

void pull_progress_free(struct pull_progress *pp)
{
    free(pp->layers);
    pp->layers = NULL;
    pthread_mutex_destroy(&pp->lock);
}

void pull_progress_update(struct pull_progress *pp, const struct image_progress *ev)
{
    pthread_mutex_lock(&pp->lock);
    if (ev->event == IMAGE_EV_RESOLVED) {
        free(pp->layers);
        pp->nlayers = 0;
        pp->layers = ev->total ? calloc((size_t)ev->total, sizeof(*pp->layers)) : NULL;
        if (pp->layers)
            pp->nlayers = (size_t)ev->total;
    } else if (ev->index < pp->nlayers) {
        struct pull_layer *l = &pp->layers[ev->index];
        switch (ev->event) {
        case IMAGE_EV_BLOB_CACHED:
        case IMAGE_EV_BLOB_PROGRESS:
        case IMAGE_EV_BLOB_DONE:
            l->done = ev->done;
            l->total = ev->total;
            break;
        case IMAGE_EV_LAYER_CACHED:
        case IMAGE_EV_LAYER_DONE: l->ready = true; break;
        case IMAGE_EV_RESOLVED: break;
        }
    }
    pthread_mutex_unlock(&pp->lock);
}

void pull_progress_size(uint64_t n, char *buf, size_t cap)
{
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
    double v = (double)n;
    size_t u = 0;
    while (v >= 1000 && u + 1 < ELEMENTSOF(units)) {
        v /= 1000;
        u++;
    }
    snprintf(buf, cap, u ? "%.1f%s" : "%.0f%s", v, units[u]);
}

void pull_progress_format(struct pull_progress *pp, char *buf, size_t cap)
{
    pthread_mutex_lock(&pp->lock);
    size_t ready = 0;
    uint64_t done = 0, total = 0;
    for (size_t i = 0; i < pp->nlayers; i++) {
        ready += pp->layers[i].ready;
        done += pp->layers[i].done;
        total += pp->layers[i].total;
    }
    size_t n = pp->nlayers;
    bool resolved = pp->layers != NULL;
    pthread_mutex_unlock(&pp->lock);
    if (!resolved) {
        snprintf(buf, cap, "resolving");
        return;
    }
    char d[32], t[32];
    pull_progress_size(done, d, sizeof(d));
    pull_progress_size(total, t, sizeof(t));
    snprintf(buf, cap, "%zu/%zu layers, %s / %s", ready, n, d, t);
}

bool pull_progress_due(struct pull_progress *pp, usec_t now, usec_t every)
{
    pthread_mutex_lock(&pp->lock);
    bool due = pp->last_line == 0 || now - pp->last_line >= every;
    if (due)
        pp->last_line = now;
    pthread_mutex_unlock(&pp->lock);
    return due;
}
