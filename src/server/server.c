/* server.c - assembling the control plane: the store, the change feed, the
 * dispatcher with one registration per AWS service, the HTTP front, the
 * service scheduler and housekeeping.  It is the only file that knows all
 * the parts; none of them knows it. */
#include "server/server.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <string.h>

#include "common/buf.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "server/ecs/ecs_limits.h"
#include "server/autoscaling/as_service.h"
#include "server/autoscaling/autoscaling.h"
#include "server/cloudwatch/cw_service.h"
#include "server/ecs/ecs_service.h"
#include "server/ecs/service_connect_proxy.h"
#include "server/elbv2/elb_proxy.h"
#include "server/elbv2/elb_service.h"
#include "server/dns/dns_server.h"
#include "server/ecs/exec_sessions.h"
#include "server/http/changes.h"
#include "server/http/http.h"
#include "server/iam/authorize.h"
#include "server/iam/iam_service.h"
#include "server/iam/keyring.h"
#include "server/iam/secret_box.h"
#include "server/logs/logs_service.h"
#include "server/http/http_limits.h"
#include "server/sched/background.h"
#include "server/sts/sts_service.h"
#include "server/sched/maintenance.h"
#include "server/secrets/secrets_service.h"
#include "server/acm/acm_service.h"
#include "server/servicediscovery/sd_service.h"
#include "server/ssm/ssm_service.h"
#include "server/stats/prometheus.h"
#include "server/store/store.h"

/* How often alarms are evaluated (CloudWatch: every 10 s for
 * high-resolution alarms), and the floor --time-scale may bring it to. */
#define ALARM_TICK (10 * USEC_PER_SEC)
#define ALARM_TICK_MIN (250 * USEC_PER_MSEC)
/* The load balancer and Service Connect proxies re-read their tables after
 * a commit at most this often: under thousands of unrelated writes a second
 * they had taken 6% of the server, and a target registered 20 ms later is
 * still far inside any health check's interval. */
#define PROXY_MIN_REST (20 * USEC_PER_MSEC)

void server_config_defaults(struct server_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->listen_host, sizeof(cfg->listen_host), "127.0.0.1");
    cfg->listen_port = 7480;
    snprintf(cfg->data_dir, sizeof(cfg->data_dir), "/var/lib/berth/server");
    snprintf(cfg->region, sizeof(cfg->region), "us-east-1");
    snprintf(cfg->account_id, sizeof(cfg->account_id), "000000000000");
    cfg->agent_timeout_sec = 30;
    cfg->max_service_tasks = 5000;
    cfg->max_cluster_services = LIMIT_CLUSTER_SERVICES;
    cfg->max_cluster_instances = LIMIT_CLUSTER_INSTANCES;
    cfg->max_connections = LIMIT_HTTP_CONNECTIONS;
    cfg->max_connections_per_ip = LIMIT_HTTP_CONNECTIONS_PER_IP;
    cfg->request_timeout_sec = LIMIT_HTTP_REQUEST_TIMEOUT;
    cfg->time_scale = 1;
}

size_t server_services(const struct server *srv, struct api_service *ret, size_t cap)
{
    /* Each AWS service berth serves: one line each. */
    const struct api_service all[] = {
        ecs_service_api(srv->ecs),
        ecs_service_agent_api(srv->ecs),
        logs_service_api(srv->logs),
        iam_service_api(srv->iam),
        sts_service_api(srv->sts),
        ssm_service_api(srv->ssm),
        secrets_service_api(srv->secrets),
        acm_service_api(srv->acm),
        sd_service_api(srv->sd),
        cloudwatch_service_api(srv->cloudwatch),
        cloudwatch_service_query_api(srv->cloudwatch),
        elb_service_api(srv->elb),
        autoscaling_service_api(srv->autoscaling),
    };
    size_t n = ELEMENTSOF(all) < cap ? ELEMENTSOF(all) : cap;
    memcpy(ret, all, n * sizeof(*ret));
    return ELEMENTSOF(all);
}

uint16_t server_dns_port(const struct server *srv) { return srv->dns ? dns_server_port(srv->dns) : 0; }

int server_root_key(const struct server *srv, char *ret_key, size_t key_cap, char *ret_secret, size_t secret_cap)
{
    return keyring_root(srv->keyring, ret_key, key_cap, ret_secret, secret_cap);
}

/* Servers on one PostgreSQL database must seal and open secrets with one
 * master key: the first leaves a value sealed under its key in the
 * database, and a server whose key does not open it refuses to start
 * rather than seal what the others cannot read (or fail to read theirs). */
static int check_master_key(struct server *srv, struct error *err)
{
    static const char probe[] = "berth master key check";
    _cleanup_buf_ struct buf sealed;
    buf_init(&sealed, 1024);
    if (secret_box_seal(srv->box, probe, sizeof(probe) - 1, &sealed, err) < 0)
        return -1;
    char hex[2 * (sizeof(probe) + SECRET_BOX_OVERHEAD) + 1], theirs[sizeof(hex)];
    for (size_t i = 0; i < sealed.len && 2 * i + 2 < sizeof(hex); i++)
        snprintf(hex + 2 * i, 3, "%02x", (unsigned char)sealed.data[i]);
    if (store_shared_value(srv->store, "master_key_check", hex, theirs, sizeof(theirs), err) < 0)
        return error_prefix(err, "master key check");
    unsigned char raw[sizeof(hex) / 2] = {0};
    size_t n = 0;
    for (; theirs[2 * n] && theirs[2 * n + 1] && n < sizeof(raw); n++)
        sscanf(theirs + 2 * n, "%2hhx", &raw[n]);
    _cleanup_buf_ struct buf opened;
    buf_init(&opened, 1024);
    struct error ignored = {0};
    if (secret_box_open_sealed(srv->box, raw, n, &opened, &ignored) < 0 || opened.len != sizeof(probe) - 1 ||
        memcmp(opened.data, probe, opened.len) != 0)
        return error_set(err, ERR_INVALID,
                         "%s/master.key is not the key of the servers already on this database: copy master.key "
                         "from one of their data directories before starting this one",
                         srv->cfg.data_dir);
    return 0;
}

int server_init(struct server *srv, const struct server_config *cfg, struct error *err)
{
    memset(srv, 0, sizeof(*srv));
    srv->cfg = *cfg;
    if (ecs_service_new((usec_t)cfg->agent_timeout_sec * USEC_PER_SEC, &srv->ecs, err) < 0)
        return -1;
    srv->ecs->max_service_tasks = cfg->max_service_tasks;
    srv->ecs->max_cluster_services = cfg->max_cluster_services;
    srv->ecs->max_cluster_instances = cfg->max_cluster_instances;
    srv->ecs->time_scale = cfg->time_scale;
    if (logs_service_new(&srv->logs, err) < 0 || iam_service_new(&srv->iam, err) < 0 ||
        sts_service_new(&srv->sts, err) < 0)
        return -1;
    if (cfg->store_url[0] && mkdir(cfg->data_dir, 0700) < 0 && errno != EEXIST)
        return error_sys(err, "mkdir %s", cfg->data_dir);
    if (cfg->store_url[0] ? store_open_postgres(cfg->store_url, &srv->store, err) < 0
                          : store_open(cfg->data_dir, &srv->store, err) < 0)
        return error_prefix(err, "store");
    if (secret_box_open(cfg->data_dir, &srv->box, err) < 0 || check_master_key(srv, err) < 0)
        return error_prefix(err, "master key");
    if (ssm_service_new(srv->box, &srv->ssm, err) < 0 || secrets_service_new(srv->box, &srv->secrets, err) < 0 ||
        acm_service_new(srv->box, &srv->acm, err) < 0 || sd_service_new(&srv->sd, err) < 0 ||
        cloudwatch_service_new(&srv->cloudwatch, err) < 0 || elb_service_new(&srv->elb, err) < 0 ||
        autoscaling_service_new(&srv->autoscaling, err) < 0)
        return -1;
    char elb_dir[sizeof(cfg->data_dir) + 8];
    snprintf(elb_dir, sizeof(elb_dir), "%s/elb", cfg->data_dir);
    if (elb_proxy_new(srv->store, srv->box, elb_dir, cfg->haproxy[0] ? cfg->haproxy : "/usr/sbin/haproxy",
                      &srv->elb_proxy, err) < 0)
        return -1;
    elb_service_set_proxy(srv->elb, srv->elb_proxy);
    snprintf(elb_dir, sizeof(elb_dir), "%s/sc", cfg->data_dir);
    if (sc_proxy_new(srv->store, elb_dir, cfg->haproxy[0] ? cfg->haproxy : "/usr/sbin/haproxy", &srv->sc_proxy, err) <
        0)
        return -1;
    srv->ecs->elb_proxy = srv->elb_proxy;
    exec_sessions_set_store(srv->ecs->exec, srv->store);
    if (keyring_open(srv->store, srv->box, cfg->data_dir, cfg->account_id, &srv->keyring, err) < 0)
        return error_prefix(err, "access keys");
    if (prometheus_new(srv->store, cfg->metrics_open ? NULL : cfg->data_dir, &srv->prometheus, err) < 0)
        return -1;
    ecs_service_set_keyring(srv->ecs, srv->keyring);
    iam_service_set_keyring(srv->iam, srv->keyring);
    srv->sts->keyring = srv->keyring;
    struct api_keys keys = {keyring_lookup, srv->keyring};
    srv->changes = changes_new();
    if (srv->changes)
        srv->dispatch = dispatch_new(srv->store, srv->changes, &keys, srv->cfg.region, srv->cfg.account_id);
    if (!srv->dispatch)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (authorizer_new(&srv->authorizer, err) < 0)
        return -1;
    struct api_authorizer authorizer = authorizer_api(srv->authorizer);
    dispatch_set_authorizer(srv->dispatch, &authorizer);
    struct api_service services[LIMIT_API_SERVICES];
    size_t n = server_services(srv, services, ELEMENTSOF(services));
    for (size_t i = 0; i < n && i < ELEMENTSOF(services); i++)
        if (dispatch_register(srv->dispatch, &services[i], err) < 0)
            return -1;
    return 0;
}

/* Another server's commit (a PostgreSQL store): wake what waits here. */
static void wake_on_commit(void *ud) { changes_notify(ud); }

/* The threads that run on the change feed's cadence (background.h). */
static int start_background(struct server *srv, struct error *err)
{
    struct background_job housekeeping = {.name = "maintenance",
                                          .interval = MAINTENANCE_INTERVAL,
                                          .run = maintenance_pass,
                                          .arg = srv->store,
                                          .leader_of = srv->store};
    if (background_start(srv->changes, &housekeeping, &srv->maintenance_thread, err) < 0)
        return -1;
    srv->scheduler = (struct scheduler){
        .env = {.store = srv->store, .ecs = srv->ecs, .account = srv->cfg.account_id},
        .changes = srv->changes,
    };
    struct background_job rounds = {.name = "service scheduler",
                                    .interval = SCHEDULER_TICK,
                                    .on_change = true,
                                    .rest = true,
                                    .run = scheduler_round,
                                    .arg = &srv->scheduler,
                                    .leader_of = srv->store};
    if (background_start(srv->changes, &rounds, &srv->scheduler_thread, err) < 0)
        return -1;
    /* The load balancers' proxies: every second (health), and on changes. */
    struct background_job elb = {.name = "load balancers",
                                 .interval = ELB_PROXY_INTERVAL,
                                 .on_change = true,
                                 .rest = true,
                                 .run = elb_proxy_run,
                                 .arg = srv->elb_proxy,
                                 .min_rest = PROXY_MIN_REST};
    if (background_start(srv->changes, &elb, &srv->elb_thread, err) < 0)
        return -1;
    struct background_job sc = {.name = "service connect",
                                .interval = SC_PROXY_INTERVAL,
                                .on_change = true,
                                .rest = true,
                                .run = sc_proxy_run,
                                .arg = srv->sc_proxy,
                                .min_rest = PROXY_MIN_REST};
    if (background_start(srv->changes, &sc, &srv->sc_thread, err) < 0)
        return -1;
    /* Alarms are evaluated every ALARM_TICK (divided by --time-scale, for
     * tests), high-resolution periods included. */
    struct autoscaling_service *as = srv->autoscaling;
    as->store = srv->store;
    as->changes = srv->changes;
    as->time_scale = srv->cfg.time_scale;
    snprintf(as->account, sizeof(as->account), "%s", srv->cfg.account_id);
    usec_t tick = ALARM_TICK / (usec_t)srv->cfg.time_scale;
    struct background_job alarms = {.name = "alarm evaluation",
                                    .interval = tick < ALARM_TICK_MIN ? ALARM_TICK_MIN : tick,
                                    .rest = true,
                                    .run = autoscaling_tick,
                                    .arg = as,
                                    .leader_of = srv->store};
    if (background_start(srv->changes, &alarms, &srv->alarm_thread, err) < 0)
        return -1;
    /* ECS/ContainerInsights' counts, once an ECS metric period. */
    srv->insights = (struct container_insights){.store = srv->store, .time_scale = srv->cfg.time_scale};
    struct background_job insights = {.name = "container insights",
                                      .interval = container_insights_interval(srv->cfg.time_scale),
                                      .run = container_insights_pass,
                                      .arg = &srv->insights,
                                      .leader_of = srv->store};
    if (background_start(srv->changes, &insights, &srv->insights_thread, err) < 0)
        return -1;
    /* Servers sharing a PostgreSQL store: every one, leader or not. */
    if (!srv->cfg.store_url[0])
        return 0;
    usec_t timeout = (usec_t)srv->cfg.agent_timeout_sec * USEC_PER_SEC;
    srv->contacts = (struct contact_share){.store = srv->store, .liveness = srv->ecs->liveness, .timeout = timeout};
    struct background_job contacts = {.name = "agent contacts",
                                      .interval = contact_share_interval(timeout),
                                      .run = contact_share_pass,
                                      .arg = &srv->contacts};
    return background_start(srv->changes, &contacts, &srv->contacts_thread, err);
}

int server_start(struct server *srv, struct error *err)
{
    struct http_options http = {
        .max_connections = (unsigned)srv->cfg.max_connections,
        .max_connections_per_ip = (unsigned)srv->cfg.max_connections_per_ip,
        .request_timeout_sec = (unsigned)srv->cfg.request_timeout_sec,
        .routes = {{"/metrics", prometheus_serve, srv->prometheus}},
        .nroutes = 1,
        .ws_handler = exec_sessions_ws,
        .ws_cls = srv->ecs->exec,
    };
    if (http_start(srv->dispatch, srv->cfg.listen_host, srv->cfg.listen_port, &http, &srv->http, &srv->bound_port,
                   err) < 0)
        return -1;
    ecs_service_set_endpoint(srv->ecs, srv->cfg.listen_host, srv->bound_port);
    if (start_background(srv, err) < 0)
        return -1;
    /* Long-polls (agents') and the scheduler hear of other servers' writes. */
    if (store_watch_start(srv->store, wake_on_commit, srv->changes, err) < 0)
        return -1;
    if (srv->cfg.dns_listen_host[0]) {
        if (dns_server_start(srv->store, srv->cfg.region, srv->cfg.dns_listen_host, srv->cfg.dns_listen_port, NULL,
                             &srv->dns, err) < 0)
            return -1;
        log_info("server: DNS for Cloud Map namespaces on %s port %u (UDP and TCP)", srv->cfg.dns_listen_host,
                 dns_server_port(srv->dns));
    }
    log_info("server: listening on http://%s:%u (region %s, account %s, data %s)", srv->cfg.listen_host,
             srv->bound_port, srv->cfg.region, srv->cfg.account_id, srv->cfg.data_dir);
    return 0;
}

void server_stop(struct server *srv)
{
    if (srv->changes)
        changes_stop(srv->changes); /* ends long-polls and the scheduler's waits */
    if (srv->ecs)
        exec_sessions_stop(srv->ecs->exec); /* ends a session's end waiting for the other */
    http_stop(srv->http);
    srv->http = NULL;
    dns_server_stop(srv->dns);
    srv->dns = NULL;
    background_stop(srv->maintenance_thread);
    srv->maintenance_thread = NULL;
    background_stop(srv->scheduler_thread);
    srv->scheduler_thread = NULL;
    background_stop(srv->elb_thread);
    srv->elb_thread = NULL;
    background_stop(srv->sc_thread);
    srv->sc_thread = NULL;
    background_stop(srv->alarm_thread);
    srv->alarm_thread = NULL;
    background_stop(srv->insights_thread);
    srv->insights_thread = NULL;
    background_stop(srv->contacts_thread);
    srv->contacts_thread = NULL;
}

void server_free(struct server *srv)
{
    server_stop(srv);
    dispatch_free(srv->dispatch);
    store_close(srv->store);
    changes_free(srv->changes);
    keyring_free(srv->keyring);
    prometheus_free(srv->prometheus);
    authorizer_free(srv->authorizer);
    secret_box_free(srv->box);
    logs_service_free(srv->logs);
    iam_service_free(srv->iam);
    sts_service_free(srv->sts);
    ssm_service_free(srv->ssm);
    cloudwatch_service_free(srv->cloudwatch);
    autoscaling_service_free(srv->autoscaling);
    secrets_service_free(srv->secrets);
    acm_service_free(srv->acm);
    sd_service_free(srv->sd);
    elb_service_free(srv->elb);
    elb_proxy_free(srv->elb_proxy); /* its HAProxy processes end with it */
    sc_proxy_free(srv->sc_proxy);
    ecs_service_free(srv->ecs);
    memset(srv, 0, sizeof(*srv));
}
