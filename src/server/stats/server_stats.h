/* server_stats.h - berth's own counters for the Prometheus export: API
 * requests by service, action and status with a latency histogram, and
 * event counters the scheduler and placement bump.  Process-wide (one
 * server per process), lock-free on the counters, one mutex for the
 * request table. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "common/timeutil.h"

enum server_stat {
    STAT_SCHEDULER_PASSES, /* scheduler passes over every live service */
    STAT_TASKS_PLACED,     /* tasks the placement engine put on an instance */
    STAT_PLACEMENT_MISSES, /* tasks it could not place (RunTask failures) */
    STAT_COMMITS,          /* write transactions committed by the API */
    STAT_TX_RETRIES,       /* API transactions run again after a serialization failure */
    STAT__COUNT,
};

void server_stats_add(enum server_stat which, uint64_t n);
uint64_t server_stats_get(enum server_stat which);

/* One API request answered: service and action name it (copied; longer
 * names are cut), or are NULL when the request named none. */
void server_stats_request(const char *service, const char *action, int status, usec_t took);

/* The latency histogram's upper bounds in seconds (the last is +Inf). */
extern const double server_stats_buckets[];
#define SERVER_STATS_NBUCKETS 12

struct server_stats_row {
    char service[64], action[64]; /* copies: a dispatcher's tables may go */
    int status_class;             /* 2, 4 or 5: 2xx, 4xx, 5xx */
    uint64_t count;
    double seconds_sum;
    uint64_t buckets[SERVER_STATS_NBUCKETS]; /* cumulative, as Prometheus wants */
};
/* A copy of the request table: *ret_rows (free()) and *ret_count; -1 when
 * out of memory. */
int server_stats_requests(struct server_stats_row **ret_rows, size_t *ret_count);
