/* server.h - the berth control plane process: configuration, the store, the
 * models, the HTTP front and the background loops. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

struct service_model;
struct store;
struct http_front;
struct liveness;
struct maintenance;
struct scheduler;

struct server_config {
    char listen_host[256];
    uint16_t listen_port; /* 0: pick a free port */
    char data_dir[4096];
    char region[33];
    char account_id[13];
    /* An agent silent this long is agentConnected: false (takes no tasks). */
    int agent_timeout_sec;
};

struct server {
    struct server_config cfg;
    struct store *store;
    struct service_model *ecs_model;
    struct service_model *logs_model;
    struct http_front *http;
    uint16_t bound_port;
    struct liveness *liveness;
    struct placement_cache *placement_cache;
    struct maintenance *maintenance;
    struct scheduler *controller;

    /* Writers bump `generation` and broadcast, so long-polls and the service
     * controller wake on changes instead of on timers alone. */
    pthread_mutex_t change_lock;
    pthread_cond_t change_cond;
    uint64_t generation;
    bool stopping; /* set under change_lock; ends long-polls */
};

/* Defaults for a config: 127.0.0.1:7480, us-east-1, 000000000000. */
void server_config_defaults(struct server_config *cfg);

/* Open the store and load the models. */
int server_init(struct server *srv, const struct server_config *cfg, struct error *err);
/* Start listening (srv->bound_port is set on return) and the background work. */
int server_start(struct server *srv, struct error *err);
void server_stop(struct server *srv);
void server_free(struct server *srv);

/* Called after every committed write. */
void server_notify_change(struct server *srv);
