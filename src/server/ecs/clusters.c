/* clusters.c - CreateCluster, DescribeClusters, ListClusters, UpdateCluster,
 * UpdateClusterSettings, PutClusterCapacityProviders, DeleteCluster, and
 * resolving the `cluster` member every other action takes. */
#include "server/ecs/clusters.h"

#include <string.h>

#include "server/ecs/arn.h"
#include "common/cleanup.h"
#include "server/ecs/describe.h"
#include "server/ecs/ecs_limits.h"
#include "server/ecs/list_arns.h"
#include "server/ecs/account_settings.h"
#include "server/ecs/capacity_providers.h"
#include "server/ecs/exec_config.h"
#include "server/ecs/resource_refs.h"
#include "server/http/http_limits.h"
#include "server/http/paging.h"
#include "server/http/tags.h"

#define DEFAULT_CLUSTER "default"

void cluster_arn(const struct op_ctx *ctx, const char *name, char *buf, size_t cap)
{
    if (!arn_format_buf(buf, cap, ctx, "cluster", name) && cap)
        buf[0] = '\0';
}

static bool cluster_name_ok(const char *name) { return resource_refs_name_ok(name, 255, "-_"); }

/* The cluster name named by a request value: a name or a cluster ARN.
 * Returns false if the value is neither. */
static bool cluster_name_from(const char *value, char *buf, size_t cap)
{
    struct arn arn;
    if (strncmp(value, "arn:", 4) == 0) {
        if (!arn_parse(value, &arn) || strcmp(arn.type, "cluster") != 0 || strchr(arn.resource, '/'))
            return false;
        value = arn.resource;
    }
    if (!cluster_name_ok(value) || strlen(value) >= cap)
        return false;
    memcpy(buf, value, strlen(value) + 1);
    return true;
}

int cluster_resolve_arn_prefix(struct op_ctx *ctx, const char *resource, struct cluster_row *ret_row,
                               const char **ret_rest, struct error *err)
{
    char cluster[256];
    const char *slash = strchr(resource, '/');
    if (!slash || (size_t)(slash - resource) >= sizeof(cluster))
        return error_set(err, ERR_INVALID, "The ARN provided is invalid.");
    memcpy(cluster, resource, (size_t)(slash - resource));
    cluster[slash - resource] = '\0';
    _cleanup_json_ json_t *name = json_string(cluster);
    if (cluster_resolve(ctx, name, false, ret_row, err) < 0)
        return -1;
    *ret_rest = slash + 1;
    return 0;
}

static json_t *default_settings(void)
{
    return json_pack("[{s:s, s:s}]", "name", "containerInsights", "value", "disabled");
}

static json_t *new_cluster_doc(void)
{
    return json_pack("{s:o, s:[], s:[]}", "settings", default_settings(), "capacityProviders",
                     "defaultCapacityProviderStrategy");
}

static int create_default_cluster(struct op_ctx *ctx, struct cluster_row *ret_row, struct error *err)
{
    struct cluster_row row = {.created_at = ctx->now, .doc = new_cluster_doc()};
    snprintf(row.name, sizeof(row.name), DEFAULT_CLUSTER);
    snprintf(row.status, sizeof(row.status), "ACTIVE");
    if (!row.doc)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (store_cluster_put(ctx->tx, ctx->region, &row, err) < 0) {
        cluster_row_clear(&row);
        return -1;
    }
    *ret_row = row;
    return 0;
}

int cluster_resolve(struct op_ctx *ctx, json_t *value, bool create_default, struct cluster_row *ret_row,
                    struct error *err)
{
    char name[256];
    const char *given = value ? json_string_value(value) : DEFAULT_CLUSTER;
    if (!given || !*given)
        given = DEFAULT_CLUSTER;
    if (!cluster_name_from(given, name, sizeof(name)))
        return error_set(err, API_ERR_CLUSTER_NOT_FOUND, "Cluster not found.");
    struct cluster_row row;
    int r = store_cluster_get(ctx->tx, ctx->region, name, &row, err);
    if (r < 0)
        return -1;
    if (r > 0 && strcmp(row.status, "ACTIVE") == 0) {
        *ret_row = row;
        return 0;
    }
    if (r > 0)
        cluster_row_clear(&row);
    if (create_default && strcmp(name, DEFAULT_CLUSTER) == 0 && store_tx_is_write(ctx->tx)) {
        if (r > 0) {
            /* A deleted default cluster comes back on use, like a new one. */
            int gr = store_cluster_get(ctx->tx, ctx->region, name, &row, err);
            if (gr <= 0)
                return error_set(err, ERR_INTERNAL, "default cluster vanished");
            snprintf(row.status, sizeof(row.status), "ACTIVE");
            if (store_cluster_put(ctx->tx, ctx->region, &row, err) < 0) {
                cluster_row_clear(&row);
                return -1;
            }
            *ret_row = row;
            return 0;
        }
        return create_default_cluster(ctx, ret_row, err);
    }
    return error_set(err, API_ERR_CLUSTER_NOT_FOUND, "Cluster not found.");
}

int clusters_arn_exists(struct op_ctx *ctx, const struct arn *arn, struct error *err)
{
    struct cluster_row row;
    int r = store_cluster_get(ctx->tx, ctx->region, arn->resource, &row, err);
    if (r < 0)
        return -1;
    bool active = r > 0 && strcmp(row.status, "ACTIVE") == 0;
    if (r > 0)
        cluster_row_clear(&row);
    if (!active)
        return error_set(err, API_ERR_CLUSTER_NOT_FOUND, "Cluster not found.");
    return 0;
}

enum include_flags {
    INCLUDE_SETTINGS = 1 << 0,
    INCLUDE_STATISTICS = 1 << 1,
    INCLUDE_TAGS = 1 << 2,
    INCLUDE_CONFIGURATIONS = 1 << 3,
    INCLUDE_ATTACHMENTS = 1 << 4,
    INCLUDE_ALL_CREATE = INCLUDE_SETTINGS | INCLUDE_TAGS | INCLUDE_CONFIGURATIONS,
};

static json_t *statistics_json(struct op_ctx *ctx, int64_t cluster_id, const struct cluster_counts *c,
                               struct error *err)
{
    /* ECS's statistic names; EXTERNAL tasks count as EC2 ones. */
    struct cluster_fargate_counts f;
    if (store_cluster_fargate_counts(ctx->tx, cluster_id, &f, err) < 0)
        return NULL;
    struct {
        const char *name;
        long long value;
    } stats[] = {
        {"runningEC2TasksCount", c->running_tasks - f.running_tasks},
        {"runningFargateTasksCount", f.running_tasks},
        {"pendingFargateTasksCount", f.pending_tasks},
        {"runningExternalTasksCount", 0},
        {"pendingEC2TasksCount", c->pending_tasks - f.pending_tasks},
        {"pendingExternalTasksCount", 0},
        {"activeEC2ServiceCount", c->active_services - f.active_services},
        {"activeFargateServiceCount", f.active_services},
        {"drainingEC2ServiceCount", c->draining_services - f.draining_services},
        {"drainingFargateServiceCount", f.draining_services},
    };
    json_t *list = json_array();
    char buf[32];
    for (size_t i = 0; i < ELEMENTSOF(stats); i++) {
        snprintf(buf, sizeof(buf), "%lld", stats[i].value);
        json_array_append_new(list, json_pack("{s:s, s:s}", "name", stats[i].name, "value", buf));
    }
    return list;
}

/* The Cluster shape as ECS returns it. */
static json_t *cluster_json(struct op_ctx *ctx, const struct cluster_row *row, unsigned include, struct error *err)
{
    char arn[512];
    cluster_arn(ctx, row->name, arn, sizeof(arn));
    struct cluster_counts counts;
    if (store_cluster_counts(ctx->tx, row->id, &counts, err) < 0)
        return NULL;
    json_t *c = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I}", "clusterArn", arn, "clusterName", row->name, "status",
                          row->status, "registeredContainerInstancesCount", (json_int_t)counts.registered_instances,
                          "runningTasksCount", (json_int_t)counts.running_tasks, "pendingTasksCount",
                          (json_int_t)counts.pending_tasks, "activeServicesCount", (json_int_t)counts.active_services);
    if (!c) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return NULL;
    }
    json_object_set(c, "capacityProviders", json_object_get(row->doc, "capacityProviders"));
    json_object_set(c, "defaultCapacityProviderStrategy", json_object_get(row->doc, "defaultCapacityProviderStrategy"));
    json_t *stats = include & INCLUDE_STATISTICS ? statistics_json(ctx, row->id, &counts, err) : json_array();
    if (!stats) {
        json_decref(c);
        return NULL;
    }
    json_object_set_new(c, "statistics", stats);
    if (include & INCLUDE_SETTINGS)
        json_object_set(c, "settings", json_object_get(row->doc, "settings"));
    if ((include & INCLUDE_CONFIGURATIONS) && json_object_get(row->doc, "configuration"))
        json_object_set(c, "configuration", json_object_get(row->doc, "configuration"));
    if (json_object_get(row->doc, "serviceConnectDefaults"))
        json_object_set(c, "serviceConnectDefaults", json_object_get(row->doc, "serviceConnectDefaults"));
    if (include & INCLUDE_ATTACHMENTS)
        json_object_set_new(c, "attachments", json_array());
    if (include & INCLUDE_TAGS) {
        json_t *tags = tags_list(ctx, arn, err);
        if (!tags) {
            json_decref(c);
            return NULL;
        }
        resource_refs_set_tags(c, tags);
    }
    return c;
}

/* Merge a `settings` list into the document's (by name). */
static void merge_settings(json_t *doc, json_t *settings)
{
    json_t *have = json_object_get(doc, "settings");
    size_t i;
    json_t *s;
    json_array_foreach(settings, i, s) {
        const char *name = json_string_value(json_object_get(s, "name"));
        json_t *value = json_object_get(s, "value");
        bool replaced = false;
        size_t j;
        json_t *h;
        json_array_foreach(have, j, h) {
            if (strcmp(json_string_value(json_object_get(h, "name")), name) == 0) {
                json_object_set(h, "value", value);
                replaced = true;
            }
        }
        if (!replaced)
            json_array_append_new(have, json_pack("{s:s, s:O}", "name", name, "value", value));
    }
}

static int check_settings(json_t *settings, struct error *err)
{
    size_t i;
    json_t *s;
    json_array_foreach(settings, i, s) {
        const char *name = json_string_value(json_object_get(s, "name"));
        const char *value = json_string_value(json_object_get(s, "value"));
        if (!name || !value)
            return error_set(err, ERR_INVALID, "Cluster settings require a name and a value.");
        if (strcmp(value, "enabled") != 0 && strcmp(value, "disabled") != 0 && strcmp(value, "enhanced") != 0)
            return error_set(err, ERR_INVALID,
                             "The value for the containerInsights setting must be 'enabled', 'disabled' "
                             "or 'enhanced'.");
    }
    return 0;
}

static void apply_optional(json_t *doc, json_t *in)
{
    static const char *const members[] = {"configuration", "serviceConnectDefaults", "capacityProviders",
                                          "defaultCapacityProviderStrategy"};
    for (size_t i = 0; i < ELEMENTSOF(members); i++) {
        json_t *v = json_object_get(in, members[i]);
        if (v)
            json_object_set(doc, members[i], v);
    }
}

/* A new cluster's containerInsights is the caller's account setting. */
static int default_insights(struct op_ctx *ctx, json_t *doc, struct error *err)
{
    char value[32];
    if (account_setting_effective(ctx, "containerInsights", value, sizeof(value), err) < 0)
        return -1;
    json_object_set_new(json_array_get(json_object_get(doc, "settings"), 0), "value", json_string(value));
    return 0;
}

int action_create_cluster(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    const char *name = json_string_value(json_object_get(in, "clusterName"));
    if (!name)
        name = DEFAULT_CLUSTER;
    if (!cluster_name_ok(name))
        return error_set(err, ERR_INVALID,
                         "Cluster name can have up to 255 letters (uppercase and lowercase), numbers, "
                         "hyphens, and underscores.");
    json_t *tags = json_object_get(in, "tags");
    json_t *settings = json_object_get(in, "settings");
    if (tags_validate(tags, err) < 0 || check_settings(settings, err) < 0 ||
        exec_config_check(json_object_get(in, "configuration"), err) < 0)
        return -1;

    struct cluster_row row;
    int r = store_cluster_get(ctx->tx, ctx->region, name, &row, err);
    if (r < 0)
        return -1;
    if (r > 0 && strcmp(row.status, "ACTIVE") == 0) {
        /* CreateCluster is idempotent: an existing cluster is returned as is. */
    } else {
        if (r == 0) {
            memset(&row, 0, sizeof(row));
            snprintf(row.name, sizeof(row.name), "%s", name);
            row.created_at = ctx->now;
        } else {
            json_decref(row.doc);
        }
        snprintf(row.status, sizeof(row.status), "ACTIVE");
        row.doc = new_cluster_doc();
        if (!row.doc)
            return error_set(err, ERR_INTERNAL, "out of memory");
        if (default_insights(ctx, row.doc, err) < 0) {
            cluster_row_clear(&row);
            return -1;
        }
        merge_settings(row.doc, settings);
        apply_optional(row.doc, in);
        if (store_cluster_put(ctx->tx, ctx->region, &row, err) < 0) {
            cluster_row_clear(&row);
            return -1;
        }
    }
    char arn[512];
    cluster_arn(ctx, row.name, arn, sizeof(arn));
    if (tags_attach(ctx, arn, tags, err) < 0) {
        cluster_row_clear(&row);
        return -1;
    }
    json_t *c = cluster_json(ctx, &row, INCLUDE_ALL_CREATE, err);
    cluster_row_clear(&row);
    if (!c)
        return -1;
    json_object_set_new(out, "cluster", c);
    return 0;
}

static int parse_include(json_t *in, unsigned *ret_flags)
{
    static const struct {
        const char *name;
        unsigned flag;
    } table[] = {
        {"SETTINGS", INCLUDE_SETTINGS},
        {"STATISTICS", INCLUDE_STATISTICS},
        {"TAGS", INCLUDE_TAGS},
        {"CONFIGURATIONS", INCLUDE_CONFIGURATIONS},
        {"ATTACHMENTS", INCLUDE_ATTACHMENTS},
    };
    unsigned flags = 0;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(in, "include"), i, v) {
        for (size_t k = 0; k < ELEMENTSOF(table); k++)
            if (strcmp(json_string_value(v), table[k].name) == 0)
                flags |= table[k].flag;
    }
    *ret_flags = flags;
    return 0;
}

static int describe_find(const struct describe *d, const char *given, json_t **ret_json, struct error *err)
{
    char name[256];
    if (!cluster_name_from(given, name, sizeof(name)))
        return 0;
    _cleanup_(cluster_row_clear) struct cluster_row row = {0};
    int r = store_cluster_get(d->ctx->tx, d->ctx->region, name, &row, err);
    if (r <= 0)
        return r;
    *ret_json = cluster_json(d->ctx, &row, d->include, err);
    return *ret_json ? 1 : -1;
}

static void describe_missing(const struct describe *d, const char *given, json_t *failures)
{
    char arn[1300];
    if (strncmp(given, "arn:", 4) == 0)
        snprintf(arn, sizeof(arn), "%s", given);
    else
        cluster_arn(d->ctx, given, arn, sizeof(arn));
    json_array_append_new(failures, json_pack("{s:s, s:s}", "arn", arn, "reason", "MISSING"));
}

int action_describe_clusters(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    unsigned include = 0;
    parse_include(in, &include);
    json_t *names = json_object_get(in, "clusters");
    _cleanup_(json_decrefp) json_t *defaults = NULL;
    if (!names || json_array_size(names) == 0) {
        defaults = json_pack("[s]", DEFAULT_CLUSTER);
        names = defaults;
    }
    static const struct describe_kind kind = {"clusters", "clusters", 100, describe_find, describe_missing, NULL, 0};
    struct describe d = {.ctx = ctx, .include = include};
    return describe_refs(&d, &kind, names, out, err);
}

/* cluster_arn in the shape list_arns_answer takes (clusters are in no
 * cluster). */
static void list_cluster_arn(const struct op_ctx *ctx, const char *cluster, const char *name, char *buf, size_t cap)
{
    cluster_arn(ctx, name, buf, cap);
}

int action_list_clusters(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    struct page page;
    if (page_begin(in, "ListClusters", LIMIT_PAGE_DEFAULT, LIMIT_PAGE_MAX, &page, err) < 0)
        return -1;
    _cleanup_json_ json_t *names = json_array();
    bool more = false;
    usec_t listed_since = ctx->now - (usec_t)ECS_INACTIVE_CLUSTER_LISTED_SEC * USEC_PER_SEC;
    int r = store_cluster_list(ctx->tx, ctx->region, listed_since, page.after, page.limit, names, &more, err);
    page_free(&page);
    if (r < 0)
        return -1;
    list_arns_answer(ctx, NULL, names, more, list_cluster_arn, "clusterArns", "ListClusters", out);
    return 0;
}

/* Shared tail of the update actions: store the row and answer with it. */
static int finish_update(struct op_ctx *ctx, struct cluster_row *row, json_t *out, struct error *err)
{
    int r = store_cluster_put(ctx->tx, ctx->region, row, err);
    json_t *c = r < 0 ? NULL : cluster_json(ctx, row, INCLUDE_ALL_CREATE, err);
    cluster_row_clear(row);
    if (!c)
        return -1;
    json_object_set_new(out, "cluster", c);
    return 0;
}

/* The request's cluster with the request's settings merged in. */
static int resolve_with_settings(struct op_ctx *ctx, json_t *in, struct cluster_row *ret_row, struct error *err)
{
    json_t *settings = json_object_get(in, "settings");
    if (check_settings(settings, err) < 0)
        return -1;
    if (cluster_resolve(ctx, json_object_get(in, "cluster"), false, ret_row, err) < 0)
        return -1;
    merge_settings(ret_row->doc, settings);
    return 0;
}

int action_update_cluster(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    struct cluster_row row;
    if (resolve_with_settings(ctx, in, &row, err) < 0)
        return -1;
    json_t *cfg = json_object_get(in, "configuration");
    if (exec_config_check(cfg, err) < 0) {
        cluster_row_clear(&row);
        return -1;
    }
    /* configuration's members are set one by one: updating ECS Exec's
     * logging keeps the managed storage keys, and the other way round. */
    json_t *had = json_object_get(row.doc, "configuration");
    if (cfg && json_is_object(had))
        json_object_update(had, cfg);
    else if (cfg)
        json_object_set(row.doc, "configuration", cfg);
    json_t *scd = json_object_get(in, "serviceConnectDefaults");
    if (scd)
        json_object_set(row.doc, "serviceConnectDefaults", scd);
    return finish_update(ctx, &row, out, err);
}

int action_update_cluster_settings(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    struct cluster_row row;
    if (resolve_with_settings(ctx, in, &row, err) < 0)
        return -1;
    return finish_update(ctx, &row, out, err);
}

int action_put_cluster_capacity_providers(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    struct cluster_row row;
    if (cluster_resolve(ctx, json_object_get(in, "cluster"), false, &row, err) < 0)
        return -1;
    json_t *names = json_object_get(in, "capacityProviders");
    json_t *strategy = json_object_get(in, "defaultCapacityProviderStrategy");
    if (capacity_providers_check(ctx, names, err) < 0) {
        cluster_row_clear(&row);
        return -1;
    }
    json_object_set(row.doc, "capacityProviders", names);
    /* The default strategy may name only the cluster's providers. */
    const char *pnames[CAPACITY_STRATEGY_MAX];
    int counts[CAPACITY_STRATEGY_MAX];
    size_t n;
    if (capacity_strategy_split(&row, strategy, 0, pnames, counts, &n, err) < 0) {
        cluster_row_clear(&row);
        return -1;
    }
    json_object_set(row.doc, "defaultCapacityProviderStrategy", json_object_get(in, "defaultCapacityProviderStrategy"));
    return finish_update(ctx, &row, out, err);
}

int action_delete_cluster(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    struct cluster_row row;
    if (cluster_resolve(ctx, json_object_get(in, "cluster"), false, &row, err) < 0)
        return -1;
    struct cluster_counts counts;
    if (store_cluster_counts(ctx->tx, row.id, &counts, err) < 0) {
        cluster_row_clear(&row);
        return -1;
    }
    int r = 0;
    if (counts.registered_instances > 0)
        r = error_set(err, API_ERR_CLUSTER_CONTAINS_INSTANCES,
                      "The Cluster cannot be deleted while Container Instances are active or draining.");
    else if (counts.active_services > 0 || counts.draining_services > 0)
        r = error_set(err, API_ERR_CLUSTER_CONTAINS_SERVICES,
                      "The Cluster cannot be deleted while Services are active.");
    else if (counts.running_tasks > 0 || counts.pending_tasks > 0)
        r = error_set(err, API_ERR_CLUSTER_CONTAINS_TASKS, "The Cluster cannot be deleted while Tasks are active.");
    if (r < 0) {
        cluster_row_clear(&row);
        return -1;
    }
    snprintf(row.status, sizeof(row.status), "INACTIVE");
    /* ListClusters shows it for a while yet (store_cluster_list). */
    json_t *own = json_object_get(row.doc, "berth");
    if (!json_is_object(own)) {
        own = json_object();
        json_object_set_new(row.doc, "berth", own);
    }
    json_object_set_new(own, "deletedAt", json_integer((json_int_t)ctx->now));
    return finish_update(ctx, &row, out, err);
}
