/* instances.c - RegisterContainerInstance, DeregisterContainerInstance,
 * DescribeContainerInstances, ListContainerInstances,
 * UpdateContainerInstancesState, Put/Delete/ListAttributes and
 * DiscoverPollEndpoint.
 *
 * Registered resources are what the agent (or a tool) reported; remaining
 * resources are registered minus what running and pending tasks reserve,
 * kept in the same transactions that place and stop tasks (task_create.c,
 * task_reports.c). */
#include "server/ecs/instances.h"

#include <stdio.h>
#include <string.h>

#include "server/ecs/agent_identity.h"
#include "server/ecs/agent_register.h"
#include "server/ecs/arn.h"
#include "server/ecs/capacity_providers.h"
#include "server/ecs/clusters.h"
#include "common/cleanup.h"
#include "common/ids.h"
#include "server/ecs/describe.h"
#include "server/ecs/list_arns.h"
#include "server/http/http_limits.h"
#include "server/ecs/liveness.h"
#include "server/http/paging.h"
#include "server/placement/query.h"
#include "server/ecs/resource_refs.h"
#include "server/ecs/ecs_service.h"
#include "server/http/tags.h"

#define TARGET_INSTANCE "container-instance"
/* ECS allows 10 custom attributes per resource. */
#define MAX_CUSTOM_ATTRIBUTES 10

/* ECS's own attributes (ecs.*, com.amazonaws.ecs.*) do not count as custom. */
static bool attribute_is_custom(const char *name)
{
    return strncmp(name, "ecs.", 4) != 0 && strncmp(name, "com.amazonaws.ecs.", 18) != 0;
}

const int instances_reserved_ports[5] = {22, 2375, 2376, 51678, 51679};

void instance_arn(const struct op_ctx *ctx, const char *cluster, const char *uuid, char *buf, size_t cap)
{
    char res[400];
    snprintf(res, sizeof(res), "%s/%s", cluster, uuid);
    if (!arn_format_buf(buf, cap, ctx, "container-instance", res) && cap)
        buf[0] = '\0';
}

int instance_resolve(struct op_ctx *ctx, const struct cluster_row *cluster, const char *ref,
                     struct instance_row *ret_row, struct error *err)
{
    const char *id = ref ? resource_refs_id(ref) : "";
    if (!resource_refs_is_id32(id))
        return error_set(err, ERR_INVALID, "Invalid container instance '%.200s'.", ref ? ref : "");
    int r = store_instance_get(ctx->tx, cluster->id, id, ret_row, err);
    if (r < 0)
        return -1;
    if (r == 0)
        return error_set(err, ERR_INVALID, "The referenced container instance %.64s was not found.", id);
    return 0;
}

int instances_arn_exists(struct op_ctx *ctx, const struct arn *arn, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row c = {0};
    const char *id = NULL;
    if (cluster_resolve_arn_prefix(ctx, arn->resource, &c, &id, err) < 0)
        return -1;
    _cleanup_(instance_row_clear) struct instance_row row = {0};
    int r = store_instance_get(ctx->tx, c.id, id, &row, err);
    if (r < 0)
        return -1;
    if (r == 0)
        return error_set(err, API_ERR_RESOURCE_NOT_FOUND, "The specified resource is not found.");
    return 0;
}

static json_t *resource_int(const char *name, int64_t v)
{
    return json_pack("{s:s, s:s, s:f, s:I, s:i}", "name", name, "type", "INTEGER", "doubleValue", 0.0, "longValue",
                     (json_int_t)0, "integerValue", (int)v);
}

static json_t *resource_set(const char *name, json_t *values)
{
    return json_pack("{s:s, s:s, s:f, s:I, s:i, s:o}", "name", name, "type", "STRINGSET", "doubleValue", 0.0,
                     "longValue", (json_int_t)0, "integerValue", 0, "stringSetValue", values);
}

/* Remaining resources: registered minus reservations, plus the host ports
 * tasks hold added to the registered (reserved) port sets. */
static json_t *remaining_resources(struct op_ctx *ctx, const struct instance_row *row, struct error *err)
{
    json_t *out = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(row->doc, "registeredResources"), i, r) {
        const char *name = json_string_value(json_object_get(r, "name"));
        if (strcmp(name, "CPU") == 0) {
            json_array_append_new(out, resource_int("CPU", row->reg_cpu - row->used_cpu));
        } else if (strcmp(name, "MEMORY") == 0) {
            json_array_append_new(out, resource_int("MEMORY", row->reg_memory - row->used_memory));
        } else if (strcmp(name, "PORTS") == 0 || strcmp(name, "PORTS_UDP") == 0) {
            json_t *ports = json_deep_copy(json_object_get(r, "stringSetValue"));
            if (!ports)
                ports = json_array();
            if (store_instance_ports(ctx->tx, row->id, strcmp(name, "PORTS") == 0 ? "tcp" : "udp", ports, err) < 0) {
                json_decref(ports);
                json_decref(out);
                return NULL;
            }
            json_array_append_new(out, resource_set(name, ports));
        } else {
            json_array_append(out, r);
        }
    }
    return out;
}

json_t *instance_json(struct op_ctx *ctx, const struct cluster_row *cluster, const struct instance_row *row,
                      bool with_tags, struct error *err)
{
    char arn[600];
    instance_arn(ctx, cluster->name, row->uuid, arn, sizeof(arn));
    json_t *attrs = json_array();
    if (store_attrs_get(ctx->tx, cluster->id, TARGET_INSTANCE, row->uuid, attrs, err) < 0) {
        json_decref(attrs);
        return NULL;
    }
    json_t *remaining = remaining_resources(ctx, row, err);
    if (!remaining) {
        json_decref(attrs);
        return NULL;
    }
    bool connected =
        strcmp(row->status, "INACTIVE") != 0 && liveness_connected(ecs_of(ctx)->liveness, row->id, ctx->now);
    json_t *j = json_pack("{s:s, s:s, s:I, s:o, s:O, s:s, s:b, s:i, s:i, s:o, s:f, s:[], s:o}", "containerInstanceArn",
                          arn, "ec2InstanceId", row->ec2_instance_id, "version", (json_int_t)row->version,
                          "remainingResources", remaining, "registeredResources",
                          json_object_get(row->doc, "registeredResources"), "status", row->status, "agentConnected",
                          connected, "runningTasksCount", row->running_count, "pendingTasksCount", row->pending_count,
                          "attributes", attrs, "registeredAt", time_to_epoch_seconds(row->registered_at), "attachments",
                          "versionInfo", json_deep_copy(json_object_get(row->doc, "versionInfo")));
    if (!j) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return NULL;
    }
    json_t *reason = json_object_get(row->doc, "statusReason");
    if (reason)
        json_object_set(j, "statusReason", reason);
    json_t *cp = json_object_get(row->doc, "capacityProviderName");
    if (cp)
        json_object_set(j, "capacityProviderName", cp);
    if (with_tags) {
        json_t *tags = tags_list(ctx, arn, err);
        if (!tags) {
            json_decref(j);
            return NULL;
        }
        resource_refs_set_tags(j, tags);
    }
    return j;
}

static int64_t resource_value(json_t *resources, const char *name)
{
    size_t i;
    json_t *r;
    json_array_foreach(resources, i, r) {
        /* A nameless resource is refused by normalise_resources. */
        const char *rn = json_string_value(json_object_get(r, "name"));
        if (!rn || strcmp(rn, name) != 0)
            continue;
        json_t *v = json_object_get(r, "integerValue");
        if (!v)
            v = json_object_get(r, "longValue");
        if (!v)
            v = json_object_get(r, "doubleValue");
        return (int64_t)json_number_value(v);
    }
    return 0;
}

/* Registered resources as ECS stores them: CPU, MEMORY, PORTS (with the
 * reserved ports), PORTS_UDP, plus anything else the agent reported. */
static json_t *normalise_resources(json_t *given, int64_t *ret_cpu, int64_t *ret_memory, struct error *err)
{
    int64_t cpu = resource_value(given, "CPU");
    int64_t memory = resource_value(given, "MEMORY");
    if (cpu < 0 || memory < 0) {
        error_set(err, ERR_INVALID, "totalResources CPU and MEMORY must not be negative.");
        return NULL;
    }
    json_t *out = json_array();
    json_array_append_new(out, resource_int("CPU", cpu));
    json_array_append_new(out, resource_int("MEMORY", memory));
    json_t *tcp = NULL, *udp = NULL;
    size_t i;
    json_t *r;
    json_array_foreach(given, i, r) {
        const char *name = json_string_value(json_object_get(r, "name"));
        if (!name) {
            json_decref(out);
            error_set(err, ERR_INVALID, "Each resource in totalResources needs a name.");
            return NULL;
        }
        if (strcmp(name, "PORTS") == 0)
            tcp = json_object_get(r, "stringSetValue");
        else if (strcmp(name, "PORTS_UDP") == 0)
            udp = json_object_get(r, "stringSetValue");
        else if (strcmp(name, "CPU") != 0 && strcmp(name, "MEMORY") != 0)
            json_array_append(out, r);
    }
    json_t *tcp_set = tcp ? json_deep_copy(tcp) : json_array();
    if (!tcp) {
        char buf[8];
        for (size_t k = 0; k < ELEMENTSOF(instances_reserved_ports); k++) {
            snprintf(buf, sizeof(buf), "%d", instances_reserved_ports[k]);
            json_array_append_new(tcp_set, json_string(buf));
        }
    }
    json_array_insert_new(out, 2, resource_set("PORTS", tcp_set));
    json_array_insert_new(out, 3, resource_set("PORTS_UDP", udp ? json_deep_copy(udp) : json_array()));
    *ret_cpu = cpu;
    *ret_memory = memory;
    return out;
}

static int put_agent_attributes(struct op_ctx *ctx, int64_t cluster_id, const char *uuid, json_t *attrs,
                                struct error *err)
{
    size_t i, custom = 0;
    json_t *a;
    json_array_foreach(attrs, i, a) {
        const char *name = json_string_value(json_object_get(a, "name"));
        if (!name || !*name || strlen(name) > 128)
            return error_set(err, ERR_INVALID, "Attribute names must be 1-128 characters.");
        if (attribute_is_custom(name) && ++custom > MAX_CUSTOM_ATTRIBUTES)
            return error_set(err, API_ERR_CLIENT, "You can apply up to %d custom attributes per resource.",
                             MAX_CUSTOM_ATTRIBUTES);
        if (store_attrs_put(ctx->tx, cluster_id, TARGET_INSTANCE, uuid, name,
                            json_string_value(json_object_get(a, "value")), err) < 0)
            return -1;
    }
    return 0;
}

static void random_ec2_id(char *buf, size_t cap)
{
    /* EC2 ids are "i-" and 17 hex digits. */
    char hex[19];
    if (ids_random_hex(hex, 9) < 0)
        snprintf(hex, sizeof(hex), "000000000000000000");
    hex[17] = '\0';
    snprintf(buf, cap, "i-%s", hex);
}

/* The container-instances-per-cluster quota, for a new registration (an
 * agent re-registering keeps its place). */
static int check_cluster_instances(const struct op_ctx *ctx, const struct cluster_row *cluster, struct error *err)
{
    int64_t n = 0;
    if (store_instance_count(ctx->tx, cluster->id, &n, err) < 0)
        return -1;
    int quota = ecs_of(ctx)->max_cluster_instances;
    if (n >= quota)
        return error_set(err, API_ERR_CLIENT,
                         "Cluster %.255s has reached the limit of %d container instances per cluster (berth "
                         "server --max-cluster-instances).",
                         cluster->name, quota);
    return 0;
}

/* A (re-)registered instance has no statusReason left, and the pool its
 * agent joined (`berth agent --capacity-provider`) is its
 * capacityProviderName. */
static void set_capacity_provider(json_t *doc, json_t *attributes)
{
    json_object_del(doc, "statusReason");
    json_object_del(doc, "capacityProviderName");
    size_t i;
    json_t *a;
    json_array_foreach(attributes, i, a) {
        const char *name = json_string_value(json_object_get(a, "name"));
        if (name && strcmp(name, CAPACITY_PROVIDER_ATTRIBUTE) == 0 && json_is_string(json_object_get(a, "value")))
            json_object_set(doc, "capacityProviderName", json_object_get(a, "value"));
    }
}

int action_register_container_instance(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    if (cluster_resolve(ctx, json_object_get(in, "cluster"), true, &cluster, err) < 0)
        return -1;
    if (agent_identity_allow_register(ctx, &cluster, in, err) < 0)
        return -1;
    json_t *tags = json_object_get(in, "tags");
    const char *existing = json_string_value(json_object_get(in, "containerInstanceArn"));
    if (tags_validate(tags, err) < 0 || (!existing && check_cluster_instances(ctx, &cluster, err) < 0))
        return -1;
    int64_t cpu = 0, memory = 0;
    json_t *resources = normalise_resources(json_object_get(in, "totalResources"), &cpu, &memory, err);
    if (!resources)
        return -1;

    _cleanup_(instance_row_clear) struct instance_row row = {0};
    bool found = false;
    if (existing) {
        /* An agent re-registering after a restart keeps its identity. */
        const char *id = resource_refs_id(existing);
        int r = resource_refs_is_id32(id) ? store_instance_get(ctx->tx, cluster.id, id, &row, err) : 0;
        if (r < 0) {
            json_decref(resources);
            return -1;
        }
        found = r > 0;
        if (!found) {
            json_decref(resources);
            return error_set(err, ERR_INVALID, "The referenced container instance was not found.");
        }
    }
    if (!found) {
        row.cluster_id = cluster.id;
        if (ids_random_hex(row.uuid, 16) < 0) {
            json_decref(resources);
            return error_set(err, ERR_INTERNAL, "no randomness");
        }
        row.registered_at = ctx->now;
        row.doc = json_object();
        /* An identity document (EC2's, or berth agent's own) names the host. */
        json_t *doc = NULL;
        const char *idd = json_string_value(json_object_get(in, "instanceIdentityDocument"));
        if (idd)
            doc = json_loads(idd, 0, NULL);
        const char *iid = json_string_value(json_object_get(doc, "instanceId"));
        if (iid && strlen(iid) < sizeof(row.ec2_instance_id))
            snprintf(row.ec2_instance_id, sizeof(row.ec2_instance_id), "%s", iid);
        else
            random_ec2_id(row.ec2_instance_id, sizeof(row.ec2_instance_id));
        json_decref(doc);
    } else {
        /* Ports held by tasks stay reserved: the instance is the same host. */
        if (store_attrs_delete_target(ctx->tx, cluster.id, TARGET_INSTANCE, row.uuid, err) < 0) {
            json_decref(resources);
            return -1;
        }
    }
    snprintf(row.status, sizeof(row.status), "ACTIVE");
    row.version++;
    row.reg_cpu = cpu;
    row.reg_memory = memory;
    json_object_set_new(row.doc, "registeredResources", resources);
    json_t *vi = json_object_get(in, "versionInfo");
    json_object_set_new(row.doc, "versionInfo", vi ? json_deep_copy(vi) : json_object());
    set_capacity_provider(row.doc, json_object_get(in, "attributes"));
    if (store_instance_put(ctx->tx, &row, err) < 0)
        return -1;
    if (put_agent_attributes(ctx, cluster.id, row.uuid, json_object_get(in, "attributes"), err) < 0)
        return -1;
    char arn[600];
    instance_arn(ctx, cluster.name, row.uuid, arn, sizeof(arn));
    if (tags_attach(ctx, arn, tags, err) < 0)
        return -1;
    liveness_touch(ecs_of(ctx)->liveness, row.id, ctx->now);
    json_t *j = instance_json(ctx, &cluster, &row, true, err);
    if (!j)
        return -1;
    json_object_set_new(out, "containerInstance", j);
    return 0;
}

int action_deregister_container_instance(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    _cleanup_(instance_row_clear) struct instance_row row = {0};
    if (cluster_resolve(ctx, json_object_get(in, "cluster"), false, &cluster, err) < 0)
        return -1;
    const char *ref = json_string_value(json_object_get(in, "containerInstance"));
    if (agent_identity_allow_instance(ctx, &cluster, ref, err) < 0 ||
        instance_resolve(ctx, &cluster, ref, &row, err) < 0)
        return -1;
    bool force = json_is_true(json_object_get(in, "force"));
    if (row.running_count + row.pending_count > 0 && !force)
        return error_set(err, ERR_INVALID,
                         "Found running tasks on the instance. Stop them or use force to deregister.");
    snprintf(row.status, sizeof(row.status), "INACTIVE");
    row.version++;
    if (store_instance_put(ctx->tx, &row, err) < 0)
        return -1;
    /* A deregistered instance's agent can no longer sign. */
    char arn[600];
    instance_arn(ctx, cluster.name, row.uuid, arn, sizeof(arn));
    if (agent_register_forget(ctx, arn, err) < 0)
        return -1;
    json_t *j = instance_json(ctx, &cluster, &row, false, err);
    if (!j)
        return -1;
    json_object_set_new(out, "containerInstance", j);
    return 0;
}

static int describe_find(const struct describe *d, const char *ref, json_t **ret_json, struct error *err)
{
    const char *id = resource_refs_id(ref);
    _cleanup_(instance_row_clear) struct instance_row row = {0};
    int r = resource_refs_is_id32(id) ? store_instance_get(d->ctx->tx, d->cluster->id, id, &row, err) : 0;
    if (r <= 0)
        return r;
    *ret_json = instance_json(d->ctx, d->cluster, &row, d->with_tags, err);
    return *ret_json ? 1 : -1;
}

static void describe_missing(const struct describe *d, const char *ref, json_t *failures)
{
    /* ECS names a missing bare id without its cluster. */
    char arn[600];
    if (!arn_format_buf(arn, sizeof(arn), d->ctx, "container-instance", ref))
        snprintf(arn, sizeof(arn), "%s", ref);
    resource_refs_add_missing(failures, ref, arn);
}

static const struct describe_kind describe_kind = {
    "containerInstances", "container instances", 100,
    describe_find,        describe_missing,      "Container Instances cannot be empty.",
    API_ERR_CLIENT,
};

int action_describe_container_instances(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    return describe_in_cluster(ctx, in, &describe_kind, out, err);
}

/* Whether an instance matches a compiled filter expression: build what the
 * query language sees (attributes, task groups, agent facts). */
static int instance_matches(struct op_ctx *ctx, const struct cluster_row *cluster, const char *uuid,
                            const struct query *q, bool *ret_match, struct error *err)
{
    _cleanup_(instance_row_clear) struct instance_row row = {0};
    _cleanup_(json_decrefp) json_t *attrs = json_array();
    _cleanup_(json_decrefp) json_t *groups = json_array();
    int r = store_instance_get(ctx->tx, cluster->id, uuid, &row, err);
    if (r <= 0)
        return r;
    if (store_attrs_get(ctx->tx, cluster->id, TARGET_INSTANCE, uuid, attrs, err) < 0 ||
        store_instance_groups(ctx->tx, row.id, groups, err) < 0)
        return -1;
    size_t na = json_array_size(attrs), ng = json_array_size(groups);
    _cleanup_free_ struct query_attr *qa = calloc(na ? na : 1, sizeof(*qa));
    _cleanup_free_ struct query_group *qg = calloc(ng ? ng : 1, sizeof(*qg));
    if (!qa || !qg)
        return error_set(err, ERR_INTERNAL, "out of memory");
    for (size_t i = 0; i < na; i++) {
        qa[i].name = json_string_value(json_object_get(json_array_get(attrs, i), "name"));
        qa[i].value = json_string_value(json_object_get(json_array_get(attrs, i), "value"));
    }
    for (size_t i = 0; i < ng; i++) {
        qg[i].name = json_string_value(json_object_get(json_array_get(groups, i), "group"));
        qg[i].count = (int)json_integer_value(json_object_get(json_array_get(groups, i), "count"));
    }
    struct query_subject subj = {
        .ec2_instance_id = row.ec2_instance_id,
        .agent_version = json_string_value(json_object_get(json_object_get(row.doc, "versionInfo"), "agentVersion")),
        .registered_at_usec = row.registered_at,
        .agent_connected = liveness_connected(ecs_of(ctx)->liveness, row.id, ctx->now),
        .running_tasks_count = row.running_count + row.pending_count,
        .attrs = qa,
        .n_attrs = na,
        .groups = qg,
        .n_groups = ng,
    };
    *ret_match = query_match(q, &subj);
    return 1;
}

/* The first `limit` of uuids that match q into ret_matching; *more when
 * there are candidates left after them. */
static int instances_matching(struct op_ctx *ctx, const struct cluster_row *cluster, const struct query *q,
                              json_t *uuids, int limit, json_t *ret_matching, bool *more, struct error *err)
{
    size_t i;
    json_t *v;
    json_array_foreach(uuids, i, v) {
        if (json_array_size(ret_matching) == (size_t)limit) {
            *more = true;
            break;
        }
        bool match = false;
        if (instance_matches(ctx, cluster, json_string_value(v), q, &match, err) < 0)
            return -1;
        if (match)
            json_array_append(ret_matching, v);
    }
    return 0;
}

int action_list_container_instances(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    if (cluster_resolve(ctx, json_object_get(in, "cluster"), false, &cluster, err) < 0)
        return -1;
    _cleanup_(query_freep) struct query *q = NULL;
    const char *filter = json_string_value(json_object_get(in, "filter"));
    if (filter && query_parse(filter, &q, err) < 0)
        return -1;
    struct page page;
    if (page_begin(in, "ListContainerInstances", LIMIT_PAGE_DEFAULT, LIMIT_PAGE_MAX, &page, err) < 0)
        return -1;
    const char *status = json_string_value(json_object_get(in, "status"));
    /* With a filter, read every candidate after the cursor and keep the
     * matching ones until the page is full. */
    _cleanup_json_ json_t *uuids = json_array();
    _cleanup_json_ json_t *matching = json_array();
    bool more = false;
    int r = store_instance_list(ctx->tx, cluster.id, status, page.after, q ? -1 : page.limit, uuids, &more, err);
    page_free(&page);
    if (r < 0 || (q && instances_matching(ctx, &cluster, q, uuids, page.limit, matching, &more, err) < 0))
        return -1;
    list_arns_answer(ctx, cluster.name, q ? matching : uuids, more, instance_arn, "containerInstanceArns",
                     "ListContainerInstances", out);
    return 0;
}

int action_update_container_instances_state(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    if (cluster_resolve(ctx, json_object_get(in, "cluster"), false, &cluster, err) < 0)
        return -1;
    const char *status = json_string_value(json_object_get(in, "status"));
    if (strcmp(status, "ACTIVE") != 0 && strcmp(status, "DRAINING") != 0)
        return error_set(err, ERR_INVALID, "Container instances can only be set to ACTIVE or DRAINING.");
    json_t *refs = json_object_get(in, "containerInstances");
    if (json_array_size(refs) > 10)
        return error_set(err, ERR_INVALID, "A maximum of 10 container instances can be updated at a time.");
    json_t *list = json_array(), *failures = json_array();
    json_object_set_new(out, "containerInstances", list);
    json_object_set_new(out, "failures", failures);
    size_t i;
    json_t *v;
    json_array_foreach(refs, i, v) {
        const char *ref = json_string_value(v);
        const char *id = resource_refs_id(ref);
        struct instance_row row;
        int r = resource_refs_is_id32(id) ? store_instance_get(ctx->tx, cluster.id, id, &row, err) : 0;
        if (r < 0)
            return -1;
        if (r == 0 || strcmp(row.status, "INACTIVE") == 0) {
            if (r > 0)
                instance_row_clear(&row);
            json_array_append_new(failures, json_pack("{s:s, s:s}", "arn", ref, "reason", "MISSING"));
            continue;
        }
        if (strcmp(row.status, status) != 0) {
            snprintf(row.status, sizeof(row.status), "%s", status);
            row.version++;
            if (store_instance_put(ctx->tx, &row, err) < 0) {
                instance_row_clear(&row);
                return -1;
            }
        }
        json_t *j = instance_json(ctx, &cluster, &row, false, err);
        instance_row_clear(&row);
        if (!j)
            return -1;
        json_array_append_new(list, j);
    }
    return 0;
}

/* An attribute's target: a container instance ARN or id in cluster. */
static int attribute_target(struct op_ctx *ctx, const struct cluster_row *cluster, json_t *attr, char *ret_uuid,
                            struct error *err)
{
    const char *type = json_string_value(json_object_get(attr, "targetType"));
    if (type && strcmp(type, TARGET_INSTANCE) != 0)
        return error_set(err, ERR_INVALID, "Attributes can only target container instances.");
    const char *target = json_string_value(json_object_get(attr, "targetId"));
    if (!target)
        return error_set(err, ERR_INVALID, "Attribute '%s' needs a targetId.",
                         json_string_value(json_object_get(attr, "name")));
    struct instance_row row;
    if (instance_resolve(ctx, cluster, target, &row, err) < 0)
        return error_set(err, API_ERR_TARGET_NOT_FOUND, "Could not find %.200s.", target);
    memcpy(ret_uuid, row.uuid, sizeof(row.uuid));
    instance_row_clear(&row);
    return 0;
}

static bool attribute_name_ok(const char *name) { return resource_refs_name_ok(name, 128, "_-./@"); }

static bool attribute_value_ok(const char *value) { return resource_refs_name_ok(value, 128, "_-./@:() "); }

int action_put_attributes(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    if (cluster_resolve(ctx, json_object_get(in, "cluster"), false, &cluster, err) < 0)
        return -1;
    json_t *attrs = json_object_get(in, "attributes");
    if (json_array_size(attrs) > 10)
        return error_set(err, ERR_INVALID, "A maximum of 10 attributes can be put at a time.");
    size_t i;
    json_t *a;
    json_array_foreach(attrs, i, a) {
        const char *name = json_string_value(json_object_get(a, "name"));
        const char *value = json_string_value(json_object_get(a, "value"));
        if (!attribute_name_ok(name))
            return error_set(err, ERR_INVALID,
                             "Attribute name '%.128s' is invalid: up to 128 letters, numbers, hyphens, "
                             "underscores, forward slashes, back slashes, or periods.",
                             name);
        if (value && !attribute_value_ok(value))
            return error_set(err, ERR_INVALID, "Attribute value '%.128s' is invalid.", value);
        char uuid[33];
        if (attribute_target(ctx, &cluster, a, uuid, err) < 0)
            return -1;
        if (store_attrs_put(ctx->tx, cluster.id, TARGET_INSTANCE, uuid, name, value, err) < 0)
            return -1;
        /* Count custom attributes on the target (not ecs.* ones). */
        json_t *have = json_array();
        if (store_attrs_get(ctx->tx, cluster.id, TARGET_INSTANCE, uuid, have, err) < 0) {
            json_decref(have);
            return -1;
        }
        size_t custom = 0, k;
        json_t *h;
        json_array_foreach(have, k, h) {
            const char *hn = json_string_value(json_object_get(h, "name"));
            if (attribute_is_custom(hn))
                custom++;
        }
        json_decref(have);
        if (custom > MAX_CUSTOM_ATTRIBUTES)
            return error_set(err, API_ERR_ATTRIBUTE_LIMIT_EXCEEDED,
                             "You can apply up to %d custom attributes per resource.", MAX_CUSTOM_ATTRIBUTES);
    }
    json_object_set(out, "attributes", attrs);
    return 0;
}

int action_delete_attributes(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    if (cluster_resolve(ctx, json_object_get(in, "cluster"), false, &cluster, err) < 0)
        return -1;
    json_t *attrs = json_object_get(in, "attributes");
    size_t i;
    json_t *a;
    json_array_foreach(attrs, i, a) {
        char uuid[33];
        if (attribute_target(ctx, &cluster, a, uuid, err) < 0)
            return -1;
        if (store_attrs_delete(ctx->tx, cluster.id, TARGET_INSTANCE, uuid,
                               json_string_value(json_object_get(a, "name")), err) < 0)
            return -1;
    }
    json_object_set(out, "attributes", attrs);
    return 0;
}

int action_list_attributes(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    if (cluster_resolve(ctx, json_object_get(in, "cluster"), false, &cluster, err) < 0)
        return -1;
    const char *name = json_string_value(json_object_get(in, "attributeName"));
    const char *value = json_string_value(json_object_get(in, "attributeValue"));
    if (value && !name)
        return error_set(err, ERR_INVALID, "attributeValue requires attributeName.");
    struct page page;
    if (page_begin(in, "ListAttributes", LIMIT_PAGE_DEFAULT, LIMIT_PAGE_MAX, &page, err) < 0)
        return -1;
    json_t *rows = json_array();
    bool more = false;
    int r =
        store_attrs_list(ctx->tx, cluster.id, TARGET_INSTANCE, name, value, page.after, page.limit, rows, &more, err);
    page_free(&page);
    if (r < 0) {
        json_decref(rows);
        return -1;
    }
    char last[200] = "";
    size_t i;
    json_t *a;
    char arn[600];
    json_array_foreach(rows, i, a) {
        const char *uuid = json_string_value(json_object_get(a, "targetId"));
        snprintf(last, sizeof(last), "%s\t%s", uuid, json_string_value(json_object_get(a, "name")));
        instance_arn(ctx, cluster.name, uuid, arn, sizeof(arn));
        json_object_set_new(a, "targetId", json_string(arn));
        json_object_set_new(a, "targetType", json_string(TARGET_INSTANCE));
    }
    json_object_set_new(out, "attributes", rows);
    if (more)
        page_set_next(out, "ListAttributes", last);
    return 0;
}

int action_discover_poll_endpoint(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    /* One process serves everything: the poll endpoint is this server. */
    const char *url = ecs_of(ctx)->endpoint;
    json_object_set_new(out, "endpoint", json_string(url));
    json_object_set_new(out, "telemetryEndpoint", json_string(url));
    json_object_set_new(out, "serviceConnectEndpoint", json_string(url));
    return 0;
}
