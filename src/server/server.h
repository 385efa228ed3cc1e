/* server.h - the berth control plane process: configuration, and the
 * parts it assembles: the store, the change feed, the dispatcher and the
 * services registered with it, the HTTP front and the background loops.
 * Nothing below server/ includes this: parts get what they need passed in. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "server/http/api.h"
#include "server/ecs/contact_share.h"
#include "server/ecs/container_insights.h"
#include "server/sched/scheduler.h"

struct store;
struct changes;
struct dispatch;
struct ecs_service;
struct logs_service;
struct iam_service;
struct sts_service;
struct secrets_service;
struct acm_service;
struct sd_service;
struct elb_service;
struct elb_proxy;
struct sc_proxy;
struct ssm_service;
struct cloudwatch_service;
struct autoscaling_service;
struct secret_box;
struct keyring;
struct authorizer;
struct http_front;
struct background;
struct dns_server;

struct server_config {
    char listen_host[256];
    uint16_t listen_port; /* 0: pick a free port */
    char data_dir[4096];
    /* A PostgreSQL store's libpq URI (postgres://...), else "" for SQLite
     * under data_dir.  Never logged: it may carry a password. */
    char store_url[1024];
    char region[33];
    char account_id[13];
    /* An agent silent this long is agentConnected: false (takes no tasks). */
    int agent_timeout_sec;
    /* A service's desiredCount quota (ECS: 5,000 tasks per service). */
    int max_service_tasks;
    /* Services and container instances per cluster (ECS: 5,000 each). */
    int max_cluster_services;
    int max_cluster_instances;
    /* HTTP connections open at once, in all and from one address, and the
     * seconds a whole request may take to arrive (http.h). */
    int max_connections;
    int max_connections_per_ip;
    int request_timeout_sec;
    /* GET /metrics without a bearer token (--metrics-auth none). */
    bool metrics_open;
    /* The HAProxy program load balancers run on ("": /usr/sbin/haproxy). */
    char haproxy[256];
    /* Alarm periods and evaluation, and scaling cooldowns, divided by this
     * (tests; 1 normally). */
    int time_scale;
    /* The DNS responder for Cloud Map's DNS namespaces (dns/dns_server.h):
     * off unless dns_listen_host is set; port 0 picks one. */
    char dns_listen_host[256];
    uint16_t dns_listen_port;
};

struct server {
    struct server_config cfg;
    struct store *store;
    struct secret_box *box;
    struct keyring *keyring;
    struct authorizer *authorizer;
    struct changes *changes;
    struct dispatch *dispatch;
    struct ecs_service *ecs;
    struct logs_service *logs;
    struct iam_service *iam;
    struct sts_service *sts;
    struct ssm_service *ssm;
    struct cloudwatch_service *cloudwatch;
    struct autoscaling_service *autoscaling;
    struct secrets_service *secrets;
    struct acm_service *acm;
    struct sd_service *sd;
    struct prometheus *prometheus;
    struct elb_service *elb;
    struct elb_proxy *elb_proxy;
    struct sc_proxy *sc_proxy; /* Service Connect */
    struct http_front *http;
    uint16_t bound_port;
    struct scheduler scheduler;
    struct background *scheduler_thread;
    struct background *maintenance_thread;
    struct background *elb_thread;
    struct background *sc_thread;
    struct background *alarm_thread;
    struct container_insights insights;
    struct background *insights_thread;
    struct contact_share contacts; /* a PostgreSQL store: agents heard from, shared */
    struct background *contacts_thread;
    struct dns_server *dns;
};

/* Defaults for a config: 127.0.0.1:7480, us-east-1, 000000000000. */
void server_config_defaults(struct server_config *cfg);

/* Open the store, make the services and register them. */
int server_init(struct server *srv, const struct server_config *cfg, struct error *err);
/* Start listening (srv->bound_port is set on return) and the background work. */
int server_start(struct server *srv, struct error *err);
void server_stop(struct server *srv);
void server_free(struct server *srv);

/* The DNS responder's port, 0 when it is off. */
uint16_t server_dns_port(const struct server *srv);

/* The account's root key, for berth up's own agent. */
int server_root_key(const struct server *srv, char *ret_key, size_t key_cap, char *ret_secret, size_t secret_cap);

/* Every service the server registers, in order (for the check that each
 * table is sorted and unique); valid after server_init. */
size_t server_services(const struct server *srv, struct api_service *ret, size_t cap);
