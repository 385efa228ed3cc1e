/* ecs_service.h - the ECS service on the listener: the state its handlers
 * share (model, agent liveness, placement snapshots, this server's
 * endpoint) and its two action tables, ECS's own and berth's agent calls
 * (BerthAgent_20261122).  A handler reaches the state as ecs_of(ctx). */
#pragma once

#include <stdint.h>

#include "common/error.h"
#include "common/timeutil.h"
#include "server/http/api.h"

struct ecs_service {
    struct service_model *model;
    struct liveness *liveness;
    struct placement_cache *placement_cache;
    char endpoint[320];          /* "http://host:port/", for DiscoverPollEndpoint */
    int max_service_tasks;       /* desiredCount quota per service */
    int max_cluster_services;    /* services (not INACTIVE) per cluster */
    int max_cluster_instances;   /* container instances registered per cluster */
    struct keyring *keyring;     /* where instance credentials go (not owned) */
    struct elb_proxy *elb_proxy; /* target health for services' loadBalancers (not owned; may be NULL) */
    struct exec_sessions *exec;  /* ECS Exec sessions (exec_sessions.h) */
    int time_scale;              /* berth server --time-scale: AWS/ECS metric periods divided by it */
};

/* Load the model and make the in-memory state; agents silent for
 * agent_timeout count as disconnected. */
int ecs_service_new(usec_t agent_timeout, struct ecs_service **ret, struct error *err);
void ecs_service_free(struct ecs_service *e);
void ecs_service_set_endpoint(struct ecs_service *e, const char *host, uint16_t port);
/* The keyring registration issues instance credentials into. */
struct keyring;
struct elb_proxy;
void ecs_service_set_keyring(struct ecs_service *e, struct keyring *keyring);

/* ECS's and the agent protocol's services, for dispatch_register(). */
struct api_service ecs_service_api(struct ecs_service *e);
struct api_service ecs_service_agent_api(struct ecs_service *e);

static inline struct ecs_service *ecs_of(const struct op_ctx *ctx) { return ctx->service; }
