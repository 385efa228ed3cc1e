/* capacity_providers.c - ECS capacity providers (see capacity_providers.h).
 * It records providers and splits strategies; placing the tasks of each
 * share is RunTask's (runtask.c), on the instances of the provider's pool. */
#include "server/ecs/capacity_providers.h"

#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/ecs/arn.h"
#include "server/ecs/resource_refs.h"
#include "server/http/paging.h"
#include "server/http/tags.h"
#include "server/store/store_capacity_providers.h"
#include "server/store/store_clusters.h"
#include "server/store/store_tags.h"

#define DESCRIBE_DEFAULT 10
#define DESCRIBE_MAX 10
#define NOT_ASSOCIATED                                                                                                 \
    "The specified capacity provider strategy cannot contain a capacity provider that is not associated with the "     \
    "cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again."

/* The name a reference gives: the part after "capacity-provider/" of an
 * ARN, else the reference. */
static const char *provider_name(const char *ref)
{
    const char *p = ref ? strstr(ref, ":capacity-provider/") : NULL;
    return p ? p + strlen(":capacity-provider/") : ref ? ref : "";
}

bool capacity_provider_is_fargate(const char *name)
{
    name = provider_name(name);
    return strcmp(name, "FARGATE") == 0 || strcmp(name, "FARGATE_SPOT") == 0;
}

static bool is_fargate(const char *name) { return capacity_provider_is_fargate(name); }

bool capacity_strategy_is_fargate(json_t *strategy)
{
    size_t i;
    json_t *e;
    json_array_foreach(strategy, i, e) {
        if (is_fargate(json_string_value(json_object_get(e, "capacityProvider"))))
            return true;
    }
    return false;
}

int capacity_providers_check(struct op_ctx *ctx, json_t *names, struct error *err)
{
    size_t i;
    json_t *v;
    json_array_foreach(names, i, v) {
        const char *name = provider_name(json_string_value(v));
        if (is_fargate(name))
            continue; /* built in: the --fargate agents */
        _cleanup_json_ json_t *doc = NULL;
        int r = store_capacity_provider_get(ctx->tx, ctx->region, name, &doc, err);
        if (r < 0)
            return -1;
        if (r == 0)
            return error_set(err, ERR_INVALID,
                             "The specified capacity provider %.255s does not exist. Specify a valid capacity provider "
                             "and try again.",
                             name);
    }
    return 0;
}

/* count tasks over n providers as ECS splits them: each base first (in
 * strategy order), then the rest by weight, each task to the provider
 * furthest below its share, the first in the strategy on a tie. */
static void split(const int64_t *base, const int64_t *weight, size_t n, int count, int *ret_counts)
{
    int left = count;
    for (size_t i = 0; i < n; i++) {
        int b = base[i] < left ? (int)base[i] : left;
        ret_counts[i] = b;
        left -= b;
    }
    int by_weight[CAPACITY_STRATEGY_MAX] = {0};
    for (; left > 0; left--) {
        size_t best = n;
        for (size_t i = 0; i < n; i++) {
            if (weight[i] == 0)
                continue;
            /* (by_weight+1)/weight compared without division. */
            if (best == n || (by_weight[i] + 1) * weight[best] < (by_weight[best] + 1) * weight[i])
                best = i;
        }
        if (best == n)
            return; /* no weights: validated away before */
        by_weight[best]++;
        ret_counts[best]++;
    }
}

static bool associated(const struct cluster_row *cluster, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(cluster->doc, "capacityProviders"), i, v) {
        if (strcmp(provider_name(json_string_value(v)), name) == 0)
            return true;
    }
    return false;
}

int capacity_strategy_split(const struct cluster_row *cluster, json_t *strategy, int count, const char **ret_names,
                            int *ret_counts, size_t *ret_n, struct error *err)
{
    size_t n = json_array_size(strategy);
    if (n > CAPACITY_STRATEGY_MAX)
        return error_set(err, ERR_INVALID, "A capacity provider strategy can have at most %d items.",
                         CAPACITY_STRATEGY_MAX);
    int64_t weights = 0;
    size_t with_base = 0;
    int64_t base[CAPACITY_STRATEGY_MAX], weight[CAPACITY_STRATEGY_MAX];
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(strategy, i);
        const char *name = provider_name(json_string_value(json_object_get(e, "capacityProvider")));
        base[i] = json_integer_value(json_object_get(e, "base"));
        weight[i] = json_integer_value(json_object_get(e, "weight"));
        if (!associated(cluster, name))
            return error_set(err, ERR_INVALID, NOT_ASSOCIATED);
        for (size_t k = 0; k < i; k++)
            if (strcmp(ret_names[k], name) == 0)
                return error_set(err, ERR_INVALID, "A capacity provider strategy cannot name %.255s twice.", name);
        with_base += base[i] > 0;
        weights += weight[i];
        ret_names[i] = name;
        ret_counts[i] = 0;
    }
    size_t fargate = 0;
    for (size_t i = 0; i < n; i++)
        fargate += is_fargate(ret_names[i]);
    if (fargate > 0 && fargate < n)
        return error_set(err, ERR_INVALID,
                         "The specified capacity provider strategy cannot contain a mix of capacity providers using "
                         "Auto Scaling groups and Fargate providers. Specify one or the other and try again.");
    if (with_base > 1)
        return error_set(err, ERR_INVALID, "Only one capacity provider in a strategy can have a base defined.");
    if (n > 0 && weights == 0)
        return error_set(err, ERR_INVALID,
                         "At least one capacity provider in a strategy must have a weight greater than zero.");
    split(base, weight, n, count, ret_counts);
    *ret_n = n;
    return 0;
}

int capacity_strategy_top_up(json_t *strategy, const int *have, int count, int *ret_add)
{
    size_t n = json_array_size(strategy);
    if (n == 0 || n > CAPACITY_STRATEGY_MAX)
        return -1;
    int64_t base[CAPACITY_STRATEGY_MAX], weight[CAPACITY_STRATEGY_MAX];
    int total = count, target[CAPACITY_STRATEGY_MAX];
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(strategy, i);
        base[i] = json_integer_value(json_object_get(e, "base"));
        weight[i] = json_integer_value(json_object_get(e, "weight"));
        total += have[i];
        ret_add[i] = 0;
    }
    split(base, weight, n, total, target);
    /* Each new task where the live ones fall furthest short of the split. */
    for (int k = 0; k < count; k++) {
        size_t best = 0;
        for (size_t i = 1; i < n; i++)
            if (target[i] - have[i] - ret_add[i] > target[best] - have[best] - ret_add[best])
                best = i;
        ret_add[best]++;
    }
    return 0;
}

int capacity_service_strategy(const struct cluster_row *cluster, json_t *in, bool daemon, json_t **ret_strategy,
                              struct error *err)
{
    json_t *strategy = json_object_get(in, "capacityProviderStrategy");
    bool launch_type = json_object_get(in, "launchType") != NULL;
    if (json_array_size(strategy) > 0 && launch_type)
        return error_set(err, ERR_INVALID,
                         "Specifying both a launch type and capacity provider strategy is not "
                         "supported.");
    if (json_array_size(strategy) == 0 && !launch_type)
        strategy = json_object_get(cluster->doc, "defaultCapacityProviderStrategy");
    *ret_strategy = NULL;
    if (json_array_size(strategy) == 0)
        return 0;
    if (daemon)
        return error_set(err, ERR_INVALID, "The daemon scheduling strategy does not support capacity providers.");
    const char *names[CAPACITY_STRATEGY_MAX];
    int counts[CAPACITY_STRATEGY_MAX];
    size_t n;
    if (capacity_strategy_split(cluster, strategy, 0, names, counts, &n, err) < 0)
        return -1;
    json_t *out = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(strategy, i);
        json_array_append_new(out, json_pack("{s:s, s:I, s:I}", "capacityProvider", names[i], "weight",
                                             json_integer_value(json_object_get(e, "weight")), "base",
                                             json_integer_value(json_object_get(e, "base"))));
    }
    *ret_strategy = out;
    return 0;
}

/* ---- the API ---- */

static int provider_arn(struct op_ctx *ctx, const char *name, char *buf, size_t cap, struct error *err)
{
    if (!arn_format_buf(buf, cap, ctx, "capacity-provider", name))
        return error_set(err, ERR_INVALID, "The capacity provider name is too long.");
    return 0;
}

/* The provider with its tags, as ECS answers. */
static json_t *with_tags(struct op_ctx *ctx, json_t *doc, struct error *err)
{
    json_t *j = json_deep_copy(doc);
    json_t *tags = j ? tags_list(ctx, json_string_value(json_object_get(doc, "capacityProviderArn")), err) : NULL;
    if (!tags) {
        json_decref(j);
        return NULL;
    }
    resource_refs_set_tags(j, tags);
    return j;
}

/* ECS answers with managedScaling's documented defaults filled in. */
static void managed_scaling_defaults(json_t *asg)
{
    static const struct {
        const char *name;
        json_int_t value;
    } defaults[] = {
        {"targetCapacity", 100},
        {"minimumScalingStepSize", 1},
        {"maximumScalingStepSize", 10000},
        {"instanceWarmupPeriod", 300},
    };
    json_t *ms = json_object_get(asg, "managedScaling");
    if (!json_is_object(ms))
        return;
    for (size_t i = 0; i < ELEMENTSOF(defaults); i++)
        if (!json_object_get(ms, defaults[i].name))
            json_object_set_new(ms, defaults[i].name, json_integer(defaults[i].value));
}

int action_create_capacity_provider(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    const char *name = json_string_value(json_object_get(in, "name"));
    if (!resource_refs_name_ok(name, 255, "-_") || strncasecmp(name, "aws", 3) == 0 ||
        strncasecmp(name, "ecs", 3) == 0 || strncasecmp(name, "fargate", 7) == 0)
        return error_set(err, ERR_INVALID,
                         "The name is invalid. Up to 255 letters (uppercase and lowercase), numbers, underscores, and "
                         "hyphens are allowed, and it cannot be prefixed with aws, ecs, or fargate.");
    json_t *asg = json_object_get(in, "autoScalingGroupProvider");
    if (json_object_get(in, "managedInstancesProvider") || json_object_get(in, "cluster"))
        return error_set(err, API_ERR_UNSUPPORTED_FEATURE,
                         "berth does not implement Amazon ECS Managed Instances capacity providers.");
    if (!asg)
        return error_set(err, ERR_INVALID, "autoScalingGroupProvider must be specified.");
    json_t *tags = json_object_get(in, "tags");
    if (tags_validate(tags, err) < 0)
        return -1;
    _cleanup_json_ json_t *existing = NULL;
    int r = store_capacity_provider_get(ctx->tx, ctx->region, name, &existing, err);
    if (r < 0)
        return -1;
    if (r > 0)
        return error_set(err, API_ERR_CLIENT,
                         "The specified capacity provider already exists. To change the "
                         "configuration of an existing capacity provider, update the capacity "
                         "provider.");
    char arn[600];
    if (provider_arn(ctx, name, arn, sizeof(arn), err) < 0)
        return -1;
    _cleanup_json_ json_t *doc =
        json_pack("{s:s, s:s, s:s, s:O, s:s, s:s}", "capacityProviderArn", arn, "name", name, "status", "ACTIVE",
                  "autoScalingGroupProvider", asg, "updateStatus", "CREATE_COMPLETE", "type", "EC2_AUTOSCALING");
    if (!doc)
        return error_set(err, ERR_INTERNAL, "out of memory");
    json_t *a = json_object_get(doc, "autoScalingGroupProvider");
    if (!json_object_get(a, "managedTerminationProtection"))
        json_object_set_new(a, "managedTerminationProtection", json_string("DISABLED"));
    if (!json_object_get(a, "managedDraining"))
        json_object_set_new(a, "managedDraining", json_string("ENABLED"));
    managed_scaling_defaults(a);
    if (store_capacity_provider_put(ctx->tx, ctx->region, name, doc, err) < 0 || tags_attach(ctx, arn, tags, err) < 0)
        return -1;
    json_t *j = with_tags(ctx, doc, err);
    if (!j)
        return -1;
    json_object_set_new(out, "capacityProvider", j);
    return 0;
}

int capacity_providers_arn_exists(struct op_ctx *ctx, const struct arn *arn, struct error *err)
{
    /* The built-in FARGATE and FARGATE_SPOT are AWS's, not the account's. */
    _cleanup_json_ json_t *doc = NULL;
    int r = is_fargate(arn->resource) ? 0 : store_capacity_provider_get(ctx->tx, ctx->region, arn->resource, &doc, err);
    if (r < 0)
        return -1;
    if (r == 0 || strcmp(arn->region, ctx->region) != 0 || strcmp(arn->account, ctx->account) != 0)
        return error_set(err, API_ERR_RESOURCE_NOT_FOUND, "The specified resource is not found.");
    return 0;
}

static int get_provider(struct op_ctx *ctx, const char *ref, json_t **ret_doc, struct error *err)
{
    if (is_fargate(provider_name(ref)))
        return error_set(err, ERR_INVALID, "The %s capacity provider is built in: it cannot be changed or deleted.",
                         provider_name(ref));
    int r = store_capacity_provider_get(ctx->tx, ctx->region, provider_name(ref), ret_doc, err);
    if (r < 0)
        return -1;
    if (r == 0)
        return error_set(err, ERR_INVALID,
                         "The specified capacity provider does not exist. Specify a valid name or "
                         "ARN and try again.");
    return 0;
}

int action_update_capacity_provider(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_json_ json_t *doc = NULL;
    if (json_object_get(in, "managedInstancesProvider") || json_object_get(in, "cluster"))
        return error_set(err, API_ERR_UNSUPPORTED_FEATURE,
                         "berth does not implement Amazon ECS Managed Instances capacity providers.");
    if (get_provider(ctx, json_string_value(json_object_get(in, "name")), &doc, err) < 0)
        return -1;
    json_t *asg = json_object_get(doc, "autoScalingGroupProvider");
    const char *key;
    json_t *v;
    json_object_foreach(json_object_get(in, "autoScalingGroupProvider"), key, v) {
        json_object_set_new(asg, key, json_deep_copy(v));
    }
    managed_scaling_defaults(asg);
    json_object_set_new(doc, "updateStatus", json_string("UPDATE_COMPLETE"));
    if (store_capacity_provider_put(ctx->tx, ctx->region, json_string_value(json_object_get(doc, "name")), doc, err) <
        0)
        return -1;
    json_t *j = with_tags(ctx, doc, err);
    if (!j)
        return -1;
    json_object_set_new(out, "capacityProvider", j);
    return 0;
}

int action_delete_capacity_provider(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_json_ json_t *doc = NULL;
    if (get_provider(ctx, json_string_value(json_object_get(in, "capacityProvider")), &doc, err) < 0)
        return -1;
    const char *name = json_string_value(json_object_get(doc, "name"));
    /* ECS refuses while a cluster names it. */
    _cleanup_json_ json_t *names = json_array();
    if (store_cluster_names_with_provider(ctx->tx, ctx->region, name, names, err) < 0)
        return -1;
    if (json_array_size(names) > 0)
        return error_set(err, ERR_INVALID,
                         "The specified capacity provider is in use and cannot be removed. Disassociate it from the "
                         "cluster %s first.",
                         json_string_value(json_array_get(names, 0)));
    /* Its tags go with it: a provider made again under the name starts bare. */
    const char *arn = json_string_value(json_object_get(doc, "capacityProviderArn"));
    _cleanup_json_ json_t *tags = tags_list(ctx, arn, err);
    _cleanup_json_ json_t *keys = json_array();
    if (!tags || !keys)
        return tags ? error_set(err, ERR_INTERNAL, "out of memory") : -1;
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t) {
        json_array_append(keys, json_object_get(t, "key"));
    }
    if (store_capacity_provider_delete(ctx->tx, ctx->region, name, err) < 0 ||
        store_tags_remove(ctx->tx, arn, keys, err) < 0)
        return -1;
    json_object_set_new(doc, "status", json_string("INACTIVE"));
    json_object_set_new(doc, "updateStatus", json_string("DELETE_COMPLETE"));
    json_object_set(out, "capacityProvider", doc);
    return 0;
}

int action_describe_capacity_providers(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    json_t *refs = json_object_get(in, "capacityProviders");
    bool tags = resource_refs_include(in, "TAGS");
    json_t *list = json_array(), *failures = json_array();
    json_object_set_new(out, "capacityProviders", list);
    json_object_set_new(out, "failures", failures);
    _cleanup_json_ json_t *docs = json_array();
    if (json_array_size(refs) == 0) {
        _cleanup_(page_free) struct page page = {0};
        if (page_begin(in, "DescribeCapacityProviders", DESCRIBE_DEFAULT, DESCRIBE_MAX, &page, err) < 0)
            return -1;
        bool more = false;
        if (store_capacity_provider_list(ctx->tx, ctx->region, page.after, page.limit, docs, &more, err) < 0)
            return -1;
        if (more)
            page_set_next(out, "DescribeCapacityProviders",
                          json_string_value(json_object_get(json_array_get(docs, json_array_size(docs) - 1), "name")));
    } else {
        size_t i;
        json_t *v;
        json_array_foreach(refs, i, v) {
            json_t *doc = NULL;
            const char *name = provider_name(json_string_value(v));
            char arn[600];
            if (is_fargate(name) && provider_arn(ctx, name, arn, sizeof(arn), err) == 0) {
                json_array_append_new(
                    docs, json_pack("{s:s, s:s, s:s}", "capacityProviderArn", arn, "name", name, "status", "ACTIVE"));
                continue;
            }
            int r = store_capacity_provider_get(ctx->tx, ctx->region, name, &doc, err);
            if (r < 0)
                return -1;
            if (r > 0) {
                json_array_append_new(docs, doc);
                continue;
            }
            if (!arn_format_buf(arn, sizeof(arn), ctx, "capacity-provider", name))
                snprintf(arn, sizeof(arn), "%s", name);
            resource_refs_add_missing(failures, json_string_value(v), arn);
        }
    }
    size_t i;
    json_t *doc;
    json_array_foreach(docs, i, doc) {
        json_t *j = tags ? with_tags(ctx, doc, err) : json_deep_copy(doc);
        if (!j)
            return -1;
        json_array_append_new(list, j);
    }
    return 0;
}
