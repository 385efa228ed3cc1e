/* express_compose.c - what an Express Gateway service is made of (see
 * express_gateway.h): a task definition from its primaryContainer, an
 * internet-facing Application Load Balancer (berth's HAProxy) with an HTTP
 * listener forwarding to an ip target group that checks healthCheckPath,
 * and an Application Auto Scaling target with a target tracking policy
 * from scalingTarget.
 *
 * Every resource is made through the other service's own action
 * (api_call), validated and authorised as if the caller had asked for it,
 * so an Express Gateway service holds nothing those services would not.
 * It does not create the ECS service itself (express_gateway.c does). */
#include "server/ecs/express_gateway.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/ids.h"
#include "server/ecs/ecs_service.h"
#include "server/http/service_model.h"

#define POLICY_NAME "ecs-express-target-tracking"
#define NAME_PREFIX "ecs-express-"

static const char *str(json_t *o, const char *key) { return json_string_value(json_object_get(o, key)); }

const char *express_ecs(const struct op_ctx *ctx) { return service_model_target_prefix(ecs_of(ctx)->model); }

/* The error kinds ECS's exceptions can carry as they are. */
static bool ecs_kind(int kind)
{
    static const int kept[] = {ERR_INTERNAL,
                               ERR_SYSTEM,
                               ERR_INVALID,
                               ERR_LIMIT,
                               API_ERR_CLIENT,
                               API_ERR_CLUSTER_NOT_FOUND,
                               API_ERR_ACCESS_DENIED,
                               API_ERR_PLATFORM_UNKNOWN,
                               API_ERR_UNSUPPORTED_FEATURE};
    for (size_t i = 0; i < ELEMENTSOF(kept); i++)
        if (kept[i] == kind)
            return true;
    return false;
}

int express_call(struct op_ctx *ctx, const char *prefix, const char *action, json_t *in, json_t **ret_out,
                 struct error *err)
{
    _cleanup_json_ json_t *owned = in;
    _cleanup_json_ json_t *out = json_object();
    if (!owned || !out)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (api_call(ctx, prefix, action, owned, out, err) < 0) {
        if (!ecs_kind(err->kind))
            err->kind = ERR_INVALID;
        return error_prefix(err, "%s", action);
    }
    if (ret_out)
        *ret_out = TAKE_PTR(out);
    return 0;
}

/* Set o[key] to value unless o has it. */
static void default_to(json_t *o, const char *key, json_t *value)
{
    if (!json_object_get(o, key))
        json_object_set_new(o, key, value);
    else
        json_decref(value);
}

static int check_scaling(json_t *s, struct error *err)
{
    default_to(s, "minTaskCount", json_integer(EXPRESS_DEFAULT_MIN_TASKS));
    default_to(s, "maxTaskCount", json_integer(EXPRESS_DEFAULT_MAX_TASKS));
    default_to(s, "autoScalingMetric", json_string(EXPRESS_DEFAULT_METRIC));
    default_to(s, "autoScalingTargetValue", json_integer(EXPRESS_DEFAULT_TARGET));
    json_int_t min = json_integer_value(json_object_get(s, "minTaskCount"));
    json_int_t max = json_integer_value(json_object_get(s, "maxTaskCount"));
    if (min < 0 || max < 1 || min > max)
        return error_set(err, ERR_INVALID,
                         "scalingTarget: minTaskCount (%lld) must be 0 or more and at most maxTaskCount (%lld), which "
                         "must be 1 or more.",
                         (long long)min, (long long)max);
    if (json_integer_value(json_object_get(s, "autoScalingTargetValue")) <= 0)
        return error_set(err, ERR_INVALID, "scalingTarget.autoScalingTargetValue must be greater than 0.");
    return 0;
}

int express_config_check(json_t *cfg, struct error *err)
{
    default_to(cfg, "cpu", json_string(EXPRESS_DEFAULT_CPU));
    default_to(cfg, "memory", json_string(EXPRESS_DEFAULT_MEMORY));
    default_to(cfg, "healthCheckPath", json_string(EXPRESS_DEFAULT_HEALTH_PATH));
    const char *path = str(cfg, "healthCheckPath");
    if (!path || path[0] != '/' || strlen(path) > 1024)
        return error_set(err, ERR_INVALID,
                         "healthCheckPath must start with a forward slash (/) and have at most 1024 "
                         "characters.");
    json_t *pc = json_object_get(cfg, "primaryContainer");
    default_to(pc, "containerPort", json_integer(EXPRESS_DEFAULT_PORT));
    json_int_t port = json_integer_value(json_object_get(pc, "containerPort"));
    if (port < 1 || port > 65535)
        return error_set(err, ERR_INVALID, "primaryContainer.containerPort must be between 1 and 65535.");
    if (!str(pc, "image") || !*str(pc, "image"))
        return error_set(err, ERR_INVALID, "primaryContainer.image must not be empty.");
    default_to(cfg, "scalingTarget", json_object());
    json_t *net = json_object_get(cfg, "networkConfiguration");
    if (net && json_array_size(json_object_get(net, "subnets")) == 0 && json_object_get(net, "subnets"))
        return error_set(err, ERR_INVALID, "networkConfiguration.subnets can not be empty.");
    return check_scaling(json_object_get(cfg, "scalingTarget"), err);
}

/* The container definition of the configuration's primaryContainer. */
static json_t *container_of(struct op_ctx *ctx, json_t *pc)
{
    json_t *c = json_pack("{s:s, s:O, s:b, s:[{s:O, s:s}]}", "name", EXPRESS_CONTAINER, "image",
                          json_object_get(pc, "image"), "essential", 1, "portMappings", "containerPort",
                          json_object_get(pc, "containerPort"), "protocol", "tcp");
    if (!c)
        return NULL;
    static const char *const copied[] = {"command", "environment", "secrets", "repositoryCredentials"};
    for (size_t i = 0; i < ELEMENTSOF(copied); i++)
        if (json_object_get(pc, copied[i]))
            json_object_set(c, copied[i], json_object_get(pc, copied[i]));
    json_t *logs = json_object_get(pc, "awsLogsConfiguration");
    if (logs)
        json_object_set_new(c, "logConfiguration",
                            json_pack("{s:s, s:{s:O, s:O, s:s, s:s}}", "logDriver", "awslogs", "options",
                                      "awslogs-group", json_object_get(logs, "logGroup"), "awslogs-stream-prefix",
                                      json_object_get(logs, "logStreamPrefix"), "awslogs-region", ctx->region,
                                      "awslogs-create-group", "true"));
    return c;
}

int express_register_taskdef(struct op_ctx *ctx, const char *family, json_t *cfg, char **ret_arn, struct error *err)
{
    json_t *c = container_of(ctx, json_object_get(cfg, "primaryContainer"));
    json_t *in =
        c ? json_pack("{s:s, s:s, s:O, s:O, s:[o]}", "family", family, "networkMode", "awsvpc", "cpu",
                      json_object_get(cfg, "cpu"), "memory", json_object_get(cfg, "memory"), "containerDefinitions", c)
          : NULL;
    static const char *const roles[] = {"executionRoleArn", "taskRoleArn"};
    for (size_t i = 0; in && i < ELEMENTSOF(roles); i++)
        if (json_object_get(cfg, roles[i]))
            json_object_set(in, roles[i], json_object_get(cfg, roles[i]));
    _cleanup_json_ json_t *out = NULL;
    if (express_call(ctx, express_ecs(ctx), "RegisterTaskDefinition", in, &out, err) < 0)
        return -1;
    const char *arn = str(json_object_get(out, "taskDefinition"), "taskDefinitionArn");
    char *copy = arn ? strdup(arn) : NULL;
    if (!copy)
        return error_set(err, ERR_INTERNAL, "out of memory");
    *ret_arn = copy;
    return 0;
}

/* The first element's key of o[list], as a string. */
static const char *first(json_t *o, const char *list, const char *key)
{
    return str(json_array_get(json_object_get(o, list), 0), key);
}

static json_t *subnets_of(json_t *cfg)
{
    json_t *s = json_object_get(json_object_get(cfg, "networkConfiguration"), "subnets");
    return s ? json_incref(s) : json_pack("[s]", "subnet-berth");
}

static int create_target_group(struct op_ctx *ctx, const char *name, json_t *cfg, json_t *b, struct error *err)
{
    json_t *in = json_pack("{s:s, s:s, s:O, s:s, s:s, s:O, s:i}", "Name", name, "Protocol", "HTTP", "Port",
                           json_object_get(json_object_get(cfg, "primaryContainer"), "containerPort"), "VpcId",
                           "vpc-berth", "TargetType", "ip", "HealthCheckPath", json_object_get(cfg, "healthCheckPath"),
                           "HealthCheckIntervalSeconds", 10);
    _cleanup_json_ json_t *out = NULL;
    if (express_call(ctx, EXPRESS_ELB, "CreateTargetGroup", in, &out, err) < 0)
        return -1;
    json_object_set_new(b, "targetGroupArn", json_string(first(out, "TargetGroups", "TargetGroupArn")));
    return 0;
}

int express_create_ingress(struct op_ctx *ctx, json_t *doc, struct error *err)
{
    json_t *cfg = json_object_get(doc, "config"), *b = json_object_get(doc, "berth");
    char hex[17], name[40];
    if (ids_random_hex(hex, 8) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness for a name");
    snprintf(name, sizeof(name), NAME_PREFIX "%s", hex);
    if (create_target_group(ctx, name, cfg, b, err) < 0)
        return -1;
    json_t *in = json_pack("{s:s, s:s, s:s, s:o}", "Name", name, "Type", "application", "Scheme", "internet-facing",
                           "Subnets", subnets_of(cfg));
    json_t *groups = json_object_get(json_object_get(cfg, "networkConfiguration"), "securityGroups");
    if (in && json_array_size(groups) > 0)
        json_object_set(in, "SecurityGroups", groups);
    _cleanup_json_ json_t *lb = NULL;
    if (express_call(ctx, EXPRESS_ELB, "CreateLoadBalancer", in, &lb, err) < 0)
        return -1;
    json_t *shown = json_array_get(json_object_get(lb, "LoadBalancers"), 0);
    const char *addr =
        first(json_array_get(json_object_get(shown, "AvailabilityZones"), 0), "LoadBalancerAddresses", "IpAddress");
    json_object_set_new(b, "loadBalancerArn", json_string(str(shown, "LoadBalancerArn")));
    in = json_pack("{s:s, s:s, s:i, s:[{s:s, s:s}]}", "LoadBalancerArn", str(shown, "LoadBalancerArn"), "Protocol",
                   "HTTP", "Port", EXPRESS_LISTENER_PORT, "DefaultActions", "Type", "forward", "TargetGroupArn",
                   str(b, "targetGroupArn"));
    _cleanup_json_ json_t *listener = NULL;
    if (express_call(ctx, EXPRESS_ELB, "CreateListener", in, &listener, err) < 0)
        return -1;
    json_object_set_new(b, "listenerArn", json_string(first(listener, "Listeners", "ListenerArn")));
    char url[96];
    snprintf(url, sizeof(url), "http://%s/", addr ? addr : "");
    json_object_set_new(b, "endpoint", json_string(url));
    return 0;
}

/* "app/<lb>/<id>/targetgroup/<tg>/<id>" for ALBRequestCountPerTarget. */
static void resource_label(json_t *b, char *buf, size_t cap)
{
    const char *lb = strstr(str(b, "loadBalancerArn"), ":loadbalancer/");
    const char *tg = strstr(str(b, "targetGroupArn"), ":targetgroup/");
    snprintf(buf, cap, "%s/%s", lb ? lb + 14 : "", tg ? tg + 1 : "");
}

static json_t *metric_spec(json_t *doc, const char *metric)
{
    if (strcmp(metric, "AVERAGE_MEMORY") == 0)
        return json_pack("{s:s}", "PredefinedMetricType", "ECSServiceAverageMemoryUtilization");
    if (strcmp(metric, "REQUEST_COUNT_PER_TARGET") == 0) {
        char label[700];
        resource_label(json_object_get(doc, "berth"), label, sizeof(label));
        return json_pack("{s:s, s:s}", "PredefinedMetricType", "ALBRequestCountPerTarget", "ResourceLabel", label);
    }
    return json_pack("{s:s}", "PredefinedMetricType", "ECSServiceAverageCPUUtilization");
}

static void resource_id(json_t *doc, char *buf, size_t cap)
{
    snprintf(buf, cap, "service/%s/%s", str(doc, "clusterName"), str(doc, "serviceName"));
}

int express_put_scaling(struct op_ctx *ctx, json_t *doc, struct error *err)
{
    json_t *s = json_object_get(json_object_get(doc, "config"), "scalingTarget");
    char id[600];
    resource_id(doc, id, sizeof(id));
    json_t *in = json_pack("{s:s, s:s, s:s, s:O, s:O}", "ServiceNamespace", "ecs", "ResourceId", id,
                           "ScalableDimension", "ecs:service:DesiredCount", "MinCapacity",
                           json_object_get(s, "minTaskCount"), "MaxCapacity", json_object_get(s, "maxTaskCount"));
    if (express_call(ctx, EXPRESS_AS, "RegisterScalableTarget", in, NULL, err) < 0)
        return -1;
    in = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:f, s:o}}", "PolicyName", POLICY_NAME, "ServiceNamespace", "ecs",
                   "ResourceId", id, "ScalableDimension", "ecs:service:DesiredCount", "PolicyType",
                   "TargetTrackingScaling", "TargetTrackingScalingPolicyConfiguration", "TargetValue",
                   (double)json_integer_value(json_object_get(s, "autoScalingTargetValue")),
                   "PredefinedMetricSpecification", metric_spec(doc, str(s, "autoScalingMetric")));
    return express_call(ctx, EXPRESS_AS, "PutScalingPolicy", in, NULL, err);
}

/* Teardown: a resource removed meanwhile (by hand) is skipped, what the
 * caller may not do, or a fault, stops it. */
static int removed(struct op_ctx *ctx, const char *prefix, const char *action, json_t *in, struct error *err)
{
    if (express_call(ctx, prefix, action, in, NULL, err) == 0)
        return 0;
    if (err->kind == API_ERR_ACCESS_DENIED || err->kind == ERR_INTERNAL || err->kind == ERR_SYSTEM)
        return -1;
    error_clear(err);
    return 0;
}

int express_teardown(struct op_ctx *ctx, json_t *doc, struct error *err)
{
    json_t *b = json_object_get(doc, "berth");
    char id[600];
    resource_id(doc, id, sizeof(id));
    if (removed(ctx, EXPRESS_AS, "DeleteScalingPolicy",
                json_pack("{s:s, s:s, s:s, s:s}", "PolicyName", POLICY_NAME, "ServiceNamespace", "ecs", "ResourceId",
                          id, "ScalableDimension", "ecs:service:DesiredCount"),
                err) < 0 ||
        removed(ctx, EXPRESS_AS, "DeregisterScalableTarget",
                json_pack("{s:s, s:s, s:s}", "ServiceNamespace", "ecs", "ResourceId", id, "ScalableDimension",
                          "ecs:service:DesiredCount"),
                err) < 0)
        return -1;
    if (str(b, "loadBalancerArn") &&
        removed(ctx, EXPRESS_ELB, "DeleteLoadBalancer",
                json_pack("{s:O}", "LoadBalancerArn", json_object_get(b, "loadBalancerArn")), err) < 0)
        return -1;
    if (str(b, "targetGroupArn") &&
        removed(ctx, EXPRESS_ELB, "DeleteTargetGroup",
                json_pack("{s:O}", "TargetGroupArn", json_object_get(b, "targetGroupArn")), err) < 0)
        return -1;
    size_t i;
    json_t *td;
    json_array_foreach(json_object_get(b, "taskDefinitionArns"), i, td) {
        if (removed(ctx, express_ecs(ctx), "DeregisterTaskDefinition", json_pack("{s:O}", "taskDefinition", td), err) <
            0)
            return -1;
    }
    return 0;
}
