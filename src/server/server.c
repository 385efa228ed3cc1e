/* server.c - assembling the control plane: models, store, HTTP front. */
#include "server/server.h"

#include <stdio.h>
#include <time.h>
#include <string.h>

#include "common/log.h"
#include "server/http/service_model.h"
#include "server/http/http.h"
#include "server/ecs/liveness.h"
#include "server/ecs/placement_cache.h"
#include "server/sched/maintenance.h"
#include "server/sched/scheduler.h"
#include "server/store/store.h"

/* The embedded models (models.S). */
extern const char berth_model_ecs[], berth_model_ecs_end[];
extern const char berth_model_logs[], berth_model_logs_end[];

void server_config_defaults(struct server_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->listen_host, sizeof(cfg->listen_host), "127.0.0.1");
    cfg->listen_port = 7480;
    snprintf(cfg->data_dir, sizeof(cfg->data_dir), "/var/lib/berth/server");
    snprintf(cfg->region, sizeof(cfg->region), "us-east-1");
    snprintf(cfg->account_id, sizeof(cfg->account_id), "000000000000");
    cfg->agent_timeout_sec = 30;
}

int server_init(struct server *srv, const struct server_config *cfg, struct error *err)
{
    memset(srv, 0, sizeof(*srv));
    srv->cfg = *cfg;
    pthread_mutex_init(&srv->change_lock, NULL);
    /* Long-poll deadlines are monotonic; the condvar must use that clock. */
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&srv->change_cond, &ca);
    pthread_condattr_destroy(&ca);
    /* Sizes exclude the NUL models.S appends. */
    if (service_model_load(berth_model_ecs, (size_t)(berth_model_ecs_end - berth_model_ecs) - 1, &srv->ecs_model, err) <
        0)
        return error_prefix(err, "ecs model");
    /* berth goes beyond ECS here: Docker's `none` log driver keeps no output. */
    if (service_model_extend_enum(srv->ecs_model, "LogDriver", "none") < 0)
        return error_set(err, ERR_INTERNAL, "ecs model has no LogDriver enum");
    if (service_model_load(berth_model_logs, (size_t)(berth_model_logs_end - berth_model_logs) - 1, &srv->logs_model,
                           err) < 0)
        return error_prefix(err, "logs model");
    if (store_open(cfg->data_dir, &srv->store, err) < 0)
        return error_prefix(err, "store");
    if (liveness_new((usec_t)cfg->agent_timeout_sec * USEC_PER_SEC, &srv->liveness) < 0)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (!(srv->placement_cache = placement_cache_new()))
        return error_set(err, ERR_INTERNAL, "out of memory");
    return 0;
}

int server_start(struct server *srv, struct error *err)
{
    if (http_start(srv, srv->cfg.listen_host, srv->cfg.listen_port, &srv->http, &srv->bound_port, err) < 0)
        return -1;
    if (maintenance_start(srv, &srv->maintenance, err) < 0)
        return -1;
    if (scheduler_start(srv, &srv->controller, err) < 0)
        return -1;
    log_info("server: listening on http://%s:%u (region %s, account %s, data %s)", srv->cfg.listen_host,
             srv->bound_port, srv->cfg.region, srv->cfg.account_id, srv->cfg.data_dir);
    return 0;
}

void server_stop(struct server *srv)
{
    pthread_mutex_lock(&srv->change_lock);
    srv->stopping = true;
    pthread_cond_broadcast(&srv->change_cond);
    pthread_mutex_unlock(&srv->change_lock);
    http_stop(srv->http);
    srv->http = NULL;
    maintenance_stop(srv->maintenance);
    srv->maintenance = NULL;
    scheduler_stop(srv->controller);
    srv->controller = NULL;
}

void server_free(struct server *srv)
{
    server_stop(srv);
    store_close(srv->store);
    liveness_free(srv->liveness);
    placement_cache_free(srv->placement_cache);
    service_model_free(srv->ecs_model);
    service_model_free(srv->logs_model);
    pthread_mutex_destroy(&srv->change_lock);
    pthread_cond_destroy(&srv->change_cond);
    memset(srv, 0, sizeof(*srv));
}

void server_notify_change(struct server *srv)
{
    pthread_mutex_lock(&srv->change_lock);
    srv->generation++;
    pthread_cond_broadcast(&srv->change_cond);
    pthread_mutex_unlock(&srv->change_lock);
}
