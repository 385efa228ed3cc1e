/* server_stats.c - berth's own counters (see server_stats.h). */
#include "server/stats/server_stats.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Distinct (service, action, status class) rows kept; later ones are
 * folded into one row with action "other" so the table stays bounded. */
#define MAX_ROWS 1024

const double server_stats_buckets[SERVER_STATS_NBUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                            0.05,   0.1,   0.25,   1,     5,    0};

static _Atomic uint64_t counters[STAT__COUNT];

static pthread_mutex_t rows_lock = PTHREAD_MUTEX_INITIALIZER;
static struct server_stats_row rows[MAX_ROWS];
static size_t nrows;

void server_stats_add(enum server_stat which, uint64_t n)
{
    if (which < STAT__COUNT)
        atomic_fetch_add_explicit(&counters[which], n, memory_order_relaxed);
}

uint64_t server_stats_get(enum server_stat which)
{
    return which < STAT__COUNT ? atomic_load_explicit(&counters[which], memory_order_relaxed) : 0;
}

static struct server_stats_row *row_of(const char *service, const char *action, int status_class)
{
    for (size_t i = 0; i < nrows; i++)
        if (rows[i].status_class == status_class &&
            strncmp(rows[i].service, service, sizeof(rows[i].service) - 1) == 0 &&
            strncmp(rows[i].action, action, sizeof(rows[i].action) - 1) == 0)
            return &rows[i];
    if (nrows == MAX_ROWS - 1 && strcmp(action, "other") != 0)
        return row_of(service, "other", status_class);
    if (nrows == MAX_ROWS)
        return &rows[MAX_ROWS - 1];
    struct server_stats_row *r = &rows[nrows++];
    *r = (struct server_stats_row){.status_class = status_class};
    snprintf(r->service, sizeof(r->service), "%s", service);
    snprintf(r->action, sizeof(r->action), "%s", action);
    return r;
}

void server_stats_request(const char *service, const char *action, int status, usec_t took)
{
    double seconds = (double)took / USEC_PER_SEC;
    int status_class = status >= 500 ? 5 : status >= 400 ? 4 : 2;
    pthread_mutex_lock(&rows_lock);
    struct server_stats_row *r = row_of(service ? service : "-", action ? action : "-", status_class);
    r->count++;
    r->seconds_sum += seconds;
    for (size_t b = 0; b < SERVER_STATS_NBUCKETS; b++)
        if (b == SERVER_STATS_NBUCKETS - 1 || seconds <= server_stats_buckets[b])
            r->buckets[b]++;
    pthread_mutex_unlock(&rows_lock);
}

int server_stats_requests(struct server_stats_row **ret_rows, size_t *ret_count)
{
    pthread_mutex_lock(&rows_lock);
    size_t n = nrows;
    struct server_stats_row *copy = malloc((n ? n : 1) * sizeof(*copy));
    if (copy && n)
        memcpy(copy, rows, n * sizeof(*copy));
    pthread_mutex_unlock(&rows_lock);
    if (!copy)
        return -1;
    *ret_rows = copy;
    *ret_count = n;
    return 0;
}
