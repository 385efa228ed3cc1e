/* express_gateway.c - Create, Update, Delete and
 * DescribeExpressGatewayService (see express_gateway.h).
 *
 * An Express Gateway service is an ECS service (its ARN is the service's)
 * plus a store document (EXPRESS_DOC) holding its configuration and what
 * was made for it: the task definitions, the load balancer, listener and
 * target group (express_compose.c).  Everything happens in the request's
 * transaction, so a failing step leaves nothing behind.  What berth does
 * not do as ECS does (HTTPS and a public DNS name, Fargate, canary
 * deployments, creating VPCs and security groups) is in the compatibility
 * notes; the inputs that would need them are refused. */
#include "server/ecs/express_gateway.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/ids.h"
#include "server/ecs/clusters.h"
#include "server/ecs/services.h"
#include "server/store/store_docs.h"

static const char *str(json_t *o, const char *key) { return json_string_value(json_object_get(o, key)); }

static json_t *now_json(const struct op_ctx *ctx) { return json_real(time_to_epoch_seconds(ctx->now)); }

/* The members of a request that make a configuration. */
static const char *const config_members[] = {"executionRoleArn", "taskRoleArn",     "cpu",
                                             "memory",           "healthCheckPath", "networkConfiguration",
                                             "primaryContainer", "scalingTarget"};
/* Those merged member by member on update (the rest are replaced). */
static bool merged(const char *member)
{
    return strcmp(member, "primaryContainer") == 0 || strcmp(member, "scalingTarget") == 0 ||
           strcmp(member, "networkConfiguration") == 0;
}

static int check_name(const char *name, struct error *err)
{
    size_t n = strlen(name);
    if (n == 0 || n > 255 || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != n)
        return error_set(err, ERR_INVALID,
                         "serviceName can contain up to 255 letters (uppercase and lowercase), numbers, underscores, "
                         "and hyphens.");
    return 0;
}

/* The ECS service's awsvpc network of a configuration. */
static json_t *network_of(json_t *cfg)
{
    json_t *net = json_object_get(cfg, "networkConfiguration");
    json_t *subnets = json_object_get(net, "subnets"), *groups = json_object_get(net, "securityGroups");
    json_t *vpc = json_pack("{s:o}", "subnets", subnets ? json_incref(subnets) : json_pack("[s]", "subnet-berth"));
    if (vpc && json_array_size(groups) > 0)
        json_object_set(vpc, "securityGroups", groups);
    return json_pack("{s:o}", "awsvpcConfiguration", vpc);
}

static json_t *load_balancers_of(json_t *doc)
{
    return json_pack(
        "[{s:s, s:s, s:O}]", "targetGroupArn", str(json_object_get(doc, "berth"), "targetGroupArn"), "containerName",
        EXPRESS_CONTAINER, "containerPort",
        json_object_get(json_object_get(json_object_get(doc, "config"), "primaryContainer"), "containerPort"));
}

static int create_service(struct op_ctx *ctx, json_t *doc, const char *taskdef, json_t *tags, struct error *err)
{
    json_t *cfg = json_object_get(doc, "config");
    json_t *in =
        json_pack("{s:s, s:s, s:s, s:O, s:o, s:o, s:i}", "cluster", str(doc, "cluster"), "serviceName",
                  str(doc, "serviceName"), "taskDefinition", taskdef, "desiredCount",
                  json_object_get(json_object_get(cfg, "scalingTarget"), "minTaskCount"), "networkConfiguration",
                  network_of(cfg), "loadBalancers", load_balancers_of(doc), "healthCheckGracePeriodSeconds", 30);
    if (in && json_array_size(tags) > 0)
        json_object_set(in, "tags", tags);
    return express_call(ctx, express_ecs(ctx), "CreateService", in, NULL, err);
}

/* The newest deployment of the service: its ARN and its revision's. */
static int deployment(struct op_ctx *ctx, json_t *doc, json_t **ret_brief, struct error *err)
{
    _cleanup_json_ json_t *list = NULL;
    if (express_call(ctx, express_ecs(ctx), "ListServiceDeployments",
                     json_pack("{s:s, s:s}", "cluster", str(doc, "cluster"), "service", str(doc, "serviceName")), &list,
                     err) < 0)
        return -1;
    json_t *newest = json_array_get(json_object_get(list, "serviceDeployments"), 0);
    *ret_brief = newest ? json_incref(newest) : NULL;
    return 0;
}

/* The configuration as clients see it: with its revision and ingress. */
static json_t *config_shown(json_t *doc, json_t *brief)
{
    json_t *c = json_deep_copy(json_object_get(doc, "config"));
    if (!c)
        return NULL;
    if (str(brief, "targetServiceRevisionArn"))
        json_object_set(c, "serviceRevisionArn", json_object_get(brief, "targetServiceRevisionArn"));
    json_object_set_new(
        c, "ingressPaths",
        json_pack("[{s:s, s:s}]", "accessType", "PUBLIC", "endpoint", str(json_object_get(doc, "berth"), "endpoint")));
    return c;
}

/* The ECS service's status, as the Express Gateway service's. */
static int status_of(struct op_ctx *ctx, json_t *doc, const char **ret, struct error *err)
{
    *ret = "INACTIVE";
    _cleanup_json_ json_t *out = NULL;
    if (express_call(ctx, express_ecs(ctx), "DescribeServices",
                     json_pack("{s:s, s:[s]}", "cluster", str(doc, "cluster"), "services", str(doc, "serviceArn")),
                     &out, err) < 0)
        return -1;
    const char *s = str(json_array_get(json_object_get(out, "services"), 0), "status");
    if (s && strcmp(s, "ACTIVE") == 0)
        *ret = strcmp(str(doc, "status"), "ACTIVE") == 0 ? "ACTIVE" : "DRAINING";
    else if (s && strcmp(s, "DRAINING") == 0)
        *ret = "DRAINING";
    return 0;
}

static json_t *shown(struct op_ctx *ctx, json_t *doc, bool tags, struct error *err)
{
    const char *status = NULL;
    _cleanup_json_ json_t *brief = NULL;
    if (status_of(ctx, doc, &status, err) < 0 || deployment(ctx, doc, &brief, err) < 0)
        return NULL;
    json_t *s = json_pack("{s:O, s:O, s:O, s:O, s:{s:s}, s:O, s:O}", "cluster", json_object_get(doc, "cluster"),
                          "serviceName", json_object_get(doc, "serviceName"), "serviceArn",
                          json_object_get(doc, "serviceArn"), "infrastructureRoleArn",
                          json_object_get(doc, "infrastructureRoleArn"), "status", "statusCode", status, "createdAt",
                          json_object_get(doc, "createdAt"), "updatedAt", json_object_get(doc, "updatedAt"));
    if (!s) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return NULL;
    }
    if (str(brief, "serviceDeploymentArn"))
        json_object_set(s, "currentDeployment", json_object_get(brief, "serviceDeploymentArn"));
    json_object_set_new(s, "activeConfigurations",
                        strcmp(status, "ACTIVE") == 0 ? json_pack("[o]", config_shown(doc, brief)) : json_array());
    _cleanup_json_ json_t *t = NULL;
    if (tags &&
        express_call(ctx, express_ecs(ctx), "ListTagsForResource",
                     json_pack("{s:s}", "resourceArn", str(doc, "serviceArn")), &t, err) == 0 &&
        json_array_size(json_object_get(t, "tags")) > 0)
        json_object_set(s, "tags", json_object_get(t, "tags"));
    if (tags && !t) {
        json_decref(s);
        return NULL;
    }
    return s;
}

static int put(struct op_ctx *ctx, json_t *doc, struct error *err)
{
    return store_doc_put(ctx->tx, EXPRESS_DOC, ctx->region, str(doc, "serviceArn"), doc, err);
}

/* A new document for the request, its configuration checked. */
static json_t *new_doc(struct op_ctx *ctx, json_t *in, const struct cluster_row *cl, struct error *err)
{
    char name[256], carn[600], arn[1200], hex[9];
    if (str(in, "serviceName"))
        snprintf(name, sizeof(name), "%s", str(in, "serviceName"));
    else if (ids_random_hex(hex, 4) == 0)
        snprintf(name, sizeof(name), "express-%s", hex);
    else
        name[0] = '\0';
    if (check_name(name, err) < 0)
        return NULL;
    cluster_arn(ctx, cl->name, carn, sizeof(carn));
    service_arn(ctx, cl->name, name, arn, sizeof(arn));
    json_t *cfg = json_object();
    for (size_t i = 0; cfg && i < ELEMENTSOF(config_members); i++)
        if (json_object_get(in, config_members[i]))
            json_object_set_new(cfg, config_members[i], json_deep_copy(json_object_get(in, config_members[i])));
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:O, s:o, s:o, s:s, s:o, s:{s:[]}}", "serviceArn", arn, "cluster",
                            carn, "clusterName", cl->name, "serviceName", name, "infrastructureRoleArn",
                            json_object_get(in, "infrastructureRoleArn"), "createdAt", now_json(ctx), "updatedAt",
                            now_json(ctx), "status", "ACTIVE", "config", cfg, "berth", "taskDefinitionArns");
    if (!doc) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return NULL;
    }
    json_object_set_new(cfg, "createdAt", now_json(ctx));
    if (express_config_check(cfg, err) < 0) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

/* Register a task definition for doc's configuration, kept in its list. */
static int new_taskdef(struct op_ctx *ctx, json_t *doc, char **ret_arn, struct error *err)
{
    if (express_register_taskdef(ctx, str(doc, "serviceName"), json_object_get(doc, "config"), ret_arn, err) < 0)
        return -1;
    json_array_append_new(json_object_get(json_object_get(doc, "berth"), "taskDefinitionArns"), json_string(*ret_arn));
    return 0;
}

API_ACTION(action_create_express_gateway_service)
{
    _cleanup_(cluster_row_clear) struct cluster_row cl = {0};
    if (cluster_resolve(ctx, json_object_get(in, "cluster"), true, &cl, err) < 0)
        return -1;
    _cleanup_json_ json_t *doc = new_doc(ctx, in, &cl, err);
    if (!doc)
        return -1;
    _cleanup_free_ char *taskdef = NULL;
    if (new_taskdef(ctx, doc, &taskdef, err) < 0 || express_create_ingress(ctx, doc, err) < 0 ||
        create_service(ctx, doc, taskdef, json_object_get(in, "tags"), err) < 0 ||
        express_put_scaling(ctx, doc, err) < 0 || put(ctx, doc, err) < 0)
        return -1;
    json_t *s = shown(ctx, doc, true, err);
    if (!s)
        return -1;
    json_object_set_new(out, "service", s);
    return 0;
}

/* The Express Gateway service in.serviceArn names, not deleted. */
static int find(struct op_ctx *ctx, json_t *in, int missing_kind, json_t **ret_doc, struct error *err)
{
    const char *arn = str(in, "serviceArn");
    json_t *doc = NULL;
    int r = store_doc_get(ctx->tx, EXPRESS_DOC, ctx->region, arn, &doc, err);
    if (r < 0)
        return -1;
    if (r == 0)
        return error_set(err, missing_kind, "The Express Gateway service %.600s does not exist.", arn);
    *ret_doc = doc;
    return 0;
}

static int find_active(struct op_ctx *ctx, json_t *in, json_t **ret_doc, struct error *err)
{
    _cleanup_json_ json_t *doc = NULL;
    if (find(ctx, in, API_ERR_SERVICE_NOT_FOUND, &doc, err) < 0)
        return -1;
    if (strcmp(str(doc, "status"), "ACTIVE") != 0)
        return error_set(err, API_ERR_SERVICE_NOT_ACTIVE, "Service is not ACTIVE: %.600s", str(doc, "serviceArn"));
    *ret_doc = TAKE_PTR(doc);
    return 0;
}

API_ACTION(action_describe_express_gateway_service)
{
    _cleanup_json_ json_t *doc = NULL;
    if (find(ctx, in, API_ERR_RESOURCE_NOT_FOUND, &doc, err) < 0)
        return -1;
    bool tags = false;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(in, "include"), i, v)
        tags = tags || strcmp(json_string_value(v), "TAGS") == 0;
    json_t *s = shown(ctx, doc, tags, err);
    if (!s)
        return -1;
    json_object_set_new(out, "service", s);
    return 0;
}

API_ACTION(action_delete_express_gateway_service)
{
    _cleanup_json_ json_t *doc = NULL;
    if (find_active(ctx, in, &doc, err) < 0)
        return -1;
    if (express_call(
            ctx, express_ecs(ctx), "DeleteService",
            json_pack("{s:s, s:s, s:b}", "cluster", str(doc, "cluster"), "service", str(doc, "serviceArn"), "force", 1),
            NULL, err) < 0 ||
        express_teardown(ctx, doc, err) < 0)
        return -1;
    json_object_set_new(doc, "status", json_string("DELETED"));
    json_object_set_new(doc, "updatedAt", now_json(ctx));
    if (put(ctx, doc, err) < 0)
        return -1;
    json_t *s = shown(ctx, doc, false, err);
    if (!s)
        return -1;
    json_object_set_new(out, "service", s);
    return 0;
}

/* Apply the request's members to the configuration cfg. */
static void apply(json_t *cfg, json_t *in)
{
    for (size_t i = 0; i < ELEMENTSOF(config_members); i++) {
        const char *m = config_members[i];
        json_t *given = json_object_get(in, m);
        if (!given)
            continue;
        if (merged(m) && json_is_object(json_object_get(cfg, m)))
            json_object_update(json_object_get(cfg, m), given);
        else
            json_object_set_new(cfg, m, json_deep_copy(given));
    }
}

static bool changed(json_t *old, json_t *now, const char *member)
{
    return !json_equal(json_object_get(old, member), json_object_get(now, member));
}

/* The ECS service's part of an update: a new task definition, network or
 * port starts a new deployment. */
static int update_service(struct op_ctx *ctx, json_t *doc, json_t *old, struct error *err)
{
    json_t *cfg = json_object_get(doc, "config");
    static const char *const of_taskdef[] = {"executionRoleArn", "taskRoleArn", "cpu", "memory", "primaryContainer"};
    bool taskdef = false;
    for (size_t i = 0; i < ELEMENTSOF(of_taskdef); i++)
        taskdef = taskdef || changed(old, cfg, of_taskdef[i]);
    bool net = changed(old, cfg, "networkConfiguration");
    bool port = !json_equal(json_object_get(json_object_get(old, "primaryContainer"), "containerPort"),
                            json_object_get(json_object_get(cfg, "primaryContainer"), "containerPort"));
    if (!taskdef && !net && !port)
        return 0;
    json_t *in = json_pack("{s:s, s:s}", "cluster", str(doc, "cluster"), "service", str(doc, "serviceArn"));
    _cleanup_free_ char *arn = NULL;
    if (taskdef && new_taskdef(ctx, doc, &arn, err) < 0) {
        json_decref(in);
        return -1;
    }
    if (in && arn)
        json_object_set_new(in, "taskDefinition", json_string(arn));
    if (in && net)
        json_object_set_new(in, "networkConfiguration", network_of(cfg));
    if (in && port)
        json_object_set_new(in, "loadBalancers", load_balancers_of(doc));
    json_object_set_new(cfg, "createdAt", now_json(ctx));
    return express_call(ctx, express_ecs(ctx), "UpdateService", in, NULL, err);
}

API_ACTION(action_update_express_gateway_service)
{
    _cleanup_json_ json_t *doc = NULL;
    if (find_active(ctx, in, &doc, err) < 0)
        return -1;
    json_t *cfg = json_object_get(doc, "config");
    _cleanup_json_ json_t *old = json_deep_copy(cfg);
    if (!old)
        return error_set(err, ERR_INTERNAL, "out of memory");
    apply(cfg, in);
    if (express_config_check(cfg, err) < 0 || update_service(ctx, doc, old, err) < 0)
        return -1;
    if (changed(old, cfg, "healthCheckPath") &&
        express_call(ctx, EXPRESS_ELB, "ModifyTargetGroup",
                     json_pack("{s:s, s:O}", "TargetGroupArn", str(json_object_get(doc, "berth"), "targetGroupArn"),
                               "HealthCheckPath", json_object_get(cfg, "healthCheckPath")),
                     NULL, err) < 0)
        return -1;
    if (changed(old, cfg, "scalingTarget") && express_put_scaling(ctx, doc, err) < 0)
        return -1;
    json_object_set_new(doc, "updatedAt", now_json(ctx));
    _cleanup_json_ json_t *brief = NULL;
    if (put(ctx, doc, err) < 0 || deployment(ctx, doc, &brief, err) < 0)
        return -1;
    json_t *s =
        json_pack("{s:O, s:O, s:O, s:{s:s}, s:o, s:O, s:O}", "serviceArn", json_object_get(doc, "serviceArn"),
                  "cluster", json_object_get(doc, "cluster"), "serviceName", json_object_get(doc, "serviceName"),
                  "status", "statusCode", "ACTIVE", "targetConfiguration", config_shown(doc, brief), "createdAt",
                  json_object_get(doc, "createdAt"), "updatedAt", json_object_get(doc, "updatedAt"));
    if (!s)
        return error_set(err, ERR_INTERNAL, "out of memory");
    json_object_set_new(out, "service", s);
    return 0;
}
