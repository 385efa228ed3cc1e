/* network_internal.h - what network.c and network_report.c share: the
 * environment and task structs and the plan's accessors.  Internal to
 * agent/net/. */
#pragma once

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "agent/net/netpool.h"

struct net_task {
    struct net_task *next;
    char id[33];
    json_t *plan; /* owned; see the file comment */
};

struct net_env {
    char data_dir[3800];
    char bridge[16];
    char table[32];
    char nft[4096];
    struct netpool pool;
    pthread_mutex_t lock;
    bool bridge_ready;
    bool nft_table_ok; /* the table exists as sync_nft last wrote it */
    int next_port;     /* where the next dynamic port search starts */
    int endpoint_port; /* the task endpoint's (network_endpoint_enable); 0: none */
    struct net_task *tasks;
    char dns_server[300];    /* the server's DNS responder, "" for none */
    struct dns_relay *relay; /* on the gateway while the bridge is up */
};

static inline const char *plan_mode(const struct net_task *nt)
{
    return json_string_value(json_object_get(nt->plan, "mode"));
}

static inline bool mode_is(const struct net_task *nt, const char *m) { return strcmp(plan_mode(nt), m) == 0; }

static inline json_t *plan_ctr(const struct net_task *nt, size_t i)
{
    return json_array_get(json_object_get(nt->plan, "containers"), i);
}

/* The path of network namespace `name` under the agent's data. */
void network_ns_path(const struct net_env *env, const char *name, char *buf, size_t cap);
