/* ecs_authz.c - what each ECS action asks of IAM (see ecs_authz.h): the
 * IAM action, the resources and the condition keys, as the Service
 * Authorization Reference lists them for Amazon ECS, plus berth's keys for
 * task definitions that reach into the host (ecs_authz_taskdef.c).
 *
 * Builders name what the request names without resolving it: a cluster
 * that does not exist still has an ARN, and the handler says it does not
 * exist once the caller may ask.  The only reads are tags (for
 * aws:ResourceTag) and task definition revisions (a family alone means its
 * latest ACTIVE revision, whose ARN is the resource). */
#include "server/ecs/ecs_authz.h"

#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/ecs/arn.h"
#include "server/ecs/ecs_authz_util.h"
#include "server/logs/logs_authz.h"

#define CREATE_ROLE_SERVICE "ecs.amazonaws.com"

/* ---- resources ---- */

static int res_cluster(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    char arn[ECS_AUTHZ_ARN_MAX];
    ecs_authz_cluster_arn(ctx, json_object_get(in, "cluster"), arn, sizeof(arn));
    return ecs_authz_named(ctx, req, arn, err);
}

static int res_new_cluster(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    char arn[ECS_AUTHZ_ARN_MAX];
    ecs_authz_cluster_arn(ctx, json_object_get(in, "clusterName"), arn, sizeof(arn));
    authz_resource(req, arn);
    return 0;
}

static int res_clusters(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    json_t *list = json_object_get(in, "clusters");
    if (json_array_size(list) == 0)
        return res_cluster(ctx, in, req, err); /* DescribeClusters without a list: "default" */
    size_t i;
    json_t *c;
    json_array_foreach(list, i, c) {
        char arn[ECS_AUTHZ_ARN_MAX];
        ecs_authz_cluster_arn(ctx, c, arn, sizeof(arn));
        if (ecs_authz_named(ctx, req, arn, err) < 0)
            return -1;
    }
    return 0;
}

/* Each ref of the array (or the single string) `member` names a resource
 * of type in the request's cluster. */
static int in_cluster(struct op_ctx *ctx, json_t *in, const char *member, const char *type, struct authz_req *req,
                      struct error *err)
{
    json_t *refs = json_object_get(in, member);
    const char *cluster = ecs_authz_cluster_name(json_object_get(in, "cluster"));
    if (json_is_string(refs))
        return ecs_authz_named_in_cluster(ctx, req, cluster, type, json_string_value(refs), err);
    size_t i;
    json_t *r;
    json_array_foreach(refs, i, r) {
        if (json_is_string(r) && ecs_authz_named_in_cluster(ctx, req, cluster, type, json_string_value(r), err) < 0)
            return -1;
    }
    return 0;
}

#define RES_IN_CLUSTER(fn, member, type)                                                                               \
    static int fn(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)                            \
    {                                                                                                                  \
        return in_cluster(ctx, in, member, type, req, err);                                                            \
    }

RES_IN_CLUSTER(res_service, "service", "service")
RES_IN_CLUSTER(res_new_service, "serviceName", "service")
RES_IN_CLUSTER(res_services, "services", "service")
RES_IN_CLUSTER(res_task, "task", "task")
RES_IN_CLUSTER(res_tasks, "tasks", "task")
RES_IN_CLUSTER(res_instance, "containerInstance", "container-instance")
RES_IN_CLUSTER(res_instances, "containerInstances", "container-instance")

/* PutAttributes, DeleteAttributes: the container instances targeted. */
static int res_attribute_targets(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    const char *cluster = ecs_authz_cluster_name(json_object_get(in, "cluster"));
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(in, "attributes"), i, a) {
        const char *target = json_string_value(json_object_get(a, "targetId"));
        if (target && ecs_authz_named_in_cluster(ctx, req, cluster, "container-instance", target, err) < 0)
            return -1;
    }
    return 0;
}

/* ListTasks and the agent's long-poll: the container instance when one is
 * named, else the cluster. */
static int res_instance_or_cluster(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    if (json_is_string(json_object_get(in, "containerInstance")))
        return res_instance(ctx, in, req, err);
    return res_cluster(ctx, in, req, err);
}

static int res_taskdefs(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(in, "taskDefinitions"), i, r) {
        if (json_is_string(r) && ecs_authz_taskdef(ctx, req, json_string_value(r), NULL, err) < 0)
            return -1;
    }
    return 0;
}

/* RunTask, StartTask: the task definition, and iam:PassRole for the roles
 * the task will be given (its definition's, or the overrides'). */
static int res_taskdef_to_run(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    _cleanup_json_ json_t *doc = NULL;
    const char *ref = json_string_value(json_object_get(in, "taskDefinition"));
    if (ref && ecs_authz_taskdef(ctx, req, ref, &doc, err) < 0)
        return -1;
    json_t *overrides = json_object_get(in, "overrides");
    static const char *const roles[] = {"taskRoleArn", "executionRoleArn"};
    for (size_t i = 0; i < ELEMENTSOF(roles); i++) {
        const char *role = json_string_value(json_object_get(overrides, roles[i]));
        if (!role)
            role = json_string_value(json_object_get(doc, roles[i]));
        ecs_authz_pass_role(req, role, ECS_AUTHZ_TASKS_SERVICE);
    }
    return 0;
}

static int res_tagged(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    const char *arn = json_string_value(json_object_get(in, "resourceArn"));
    return ecs_authz_named(ctx, req, arn ? arn : "*", err);
}

/* ExecuteCommand: the task and its cluster (both resource types of
 * ecs:ExecuteCommand in the Service Authorization Reference). */
static int res_exec(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    if (res_cluster(ctx, in, req, err) < 0)
        return -1;
    return res_task(ctx, in, req, err);
}

/* ---- condition keys ---- */

static int key_cluster(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    char arn[ECS_AUTHZ_ARN_MAX];
    ecs_authz_cluster_arn(ctx, json_object_get(in, "cluster"), arn, sizeof(arn));
    authz_key(req, "ecs:cluster", arn);
    return 0;
}

static int keys_exec(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    key_cluster(ctx, in, req, err);
    const char *ctr = json_string_value(json_object_get(in, "container"));
    if (ctr)
        authz_key(req, "ecs:container-name", ctr);
    char arn[ECS_AUTHZ_ARN_MAX];
    const char *cluster = ecs_authz_cluster_name(json_object_get(in, "cluster"));
    const char *task = json_string_value(json_object_get(in, "task"));
    if (task && ecs_authz_arn_in_cluster(ctx, cluster, "task", task, arn, sizeof(arn)))
        authz_key(req, "ecs:task", arn);
    return 0;
}

static int key_request_tags(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    authz_request_tags(req, json_object_get(in, "tags"));
    return 0;
}

static int key_tag_keys(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    authz_tag_keys(req, json_object_get(in, "tagKeys"));
    return 0;
}

static int keys_create_cluster(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    authz_request_tags(req, json_object_get(in, "tags"));
    ecs_authz_capacity_providers(ctx, req, json_object_get(in, "capacityProviders"), NULL);
    return 0;
}

static int keys_capacity_providers(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    ecs_authz_capacity_providers(ctx, req, json_object_get(in, "capacityProviders"), NULL);
    return 0;
}

/* RunTask and StartTask: where, with what, tagged how. */
static int keys_run_task(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    key_cluster(ctx, in, req, err);
    authz_request_tags(req, json_object_get(in, "tags"));
    ecs_authz_bool_key(req, "ecs:enable-execute-command", json_object_get(in, "enableExecuteCommand"));
    ecs_authz_capacity_providers(ctx, req, NULL, json_object_get(in, "capacityProviderStrategy"));
    ecs_authz_network_keys(req, json_object_get(in, "networkConfiguration"));
    return 0;
}

static int keys_start_task(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    keys_run_task(ctx, in, req, err);
    const char *cluster = ecs_authz_cluster_name(json_object_get(in, "cluster"));
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(in, "containerInstances"), i, r) {
        char arn[ECS_AUTHZ_ARN_MAX];
        if (ecs_authz_arn_in_cluster(ctx, cluster, "container-instance", json_string_value(r), arn, sizeof(arn)))
            authz_key(req, "ecs:container-instances", arn);
    }
    return 0;
}

/* CreateService and UpdateService: the keys both take, and the task
 * definition the service will run (resolved to its ARN). */
static int keys_service(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    key_cluster(ctx, in, req, err);
    const char *ref = json_string_value(json_object_get(in, "taskDefinition"));
    if (ref && ecs_authz_taskdef_key(ctx, req, ref, err) < 0)
        return -1;
    ecs_authz_bool_key(req, "ecs:enable-execute-command", json_object_get(in, "enableExecuteCommand"));
    ecs_authz_bool_key(req, "ecs:enable-ecs-managed-tags", json_object_get(in, "enableECSManagedTags"));
    const char *propagate = json_string_value(json_object_get(in, "propagateTags"));
    if (propagate)
        authz_key(req, "ecs:propagate-tags", propagate);
    ecs_authz_capacity_providers(ctx, req, NULL, json_object_get(in, "capacityProviderStrategy"));
    ecs_authz_network_keys(req, json_object_get(in, "networkConfiguration"));
    return 0;
}

static int keys_create_service(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    if (keys_service(ctx, in, req, err) < 0)
        return -1;
    authz_request_tags(req, json_object_get(in, "tags"));
    ecs_authz_pass_role(req, json_string_value(json_object_get(in, "role")), CREATE_ROLE_SERVICE);
    return 0;
}

/* CreateTaskSet runs a task definition in a network as CreateService
 * does: the same keys, and the request's tags. */
static int keys_create_task_set(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    if (keys_service(ctx, in, req, err) < 0)
        return -1;
    authz_request_tags(req, json_object_get(in, "tags"));
    return 0;
}

static int keys_register_taskdef(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    authz_request_tags(req, json_object_get(in, "tags"));
    ecs_authz_taskdef_keys(req, in);
    ecs_authz_pass_role(req, json_string_value(json_object_get(in, "taskRoleArn")), ECS_AUTHZ_TASKS_SERVICE);
    ecs_authz_pass_role(req, json_string_value(json_object_get(in, "executionRoleArn")), ECS_AUTHZ_TASKS_SERVICE);
    return 0;
}

/* Service deployments and revisions: the ARNs named, as given. */
static int each_arn(json_t *in, const char *member, struct authz_req *req)
{
    json_t *v = json_object_get(in, member);
    if (json_is_string(v)) {
        authz_resource(req, json_string_value(v));
        return 0;
    }
    size_t i;
    json_t *a;
    json_array_foreach(v, i, a) {
        if (json_is_string(a))
            authz_resource(req, json_string_value(a));
    }
    return 0;
}

static int res_deployments(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    return each_arn(in, "serviceDeploymentArns", req);
}

static int res_deployment(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    return each_arn(in, "serviceDeploymentArn", req);
}

static int res_revisions(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    return each_arn(in, "serviceRevisionArns", req);
}

/* Express Gateway services: named by serviceArn (their ECS service's). */
static int res_express(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    return each_arn(in, "serviceArn", req);
}

/* The roles an Express Gateway service's tasks get, and (on create) the
 * infrastructure role ECS acts under. */
static int keys_express(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    ecs_authz_pass_role(req, json_string_value(json_object_get(in, "executionRoleArn")), ECS_AUTHZ_TASKS_SERVICE);
    ecs_authz_pass_role(req, json_string_value(json_object_get(in, "taskRoleArn")), ECS_AUTHZ_TASKS_SERVICE);
    ecs_authz_pass_role(req, json_string_value(json_object_get(in, "infrastructureRoleArn")), CREATE_ROLE_SERVICE);
    return 0;
}

static int keys_create_express(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    key_cluster(ctx, in, req, err);
    authz_request_tags(req, json_object_get(in, "tags"));
    return keys_express(ctx, in, req, err);
}

/* A capacity provider named by in[member] (a name or an ARN). */
static int provider(struct op_ctx *ctx, json_t *in, const char *member, struct authz_req *req, struct error *err)
{
    const char *ref = json_string_value(json_object_get(in, member));
    if (!ref)
        return 0;
    if (strncmp(ref, "arn:", 4) == 0)
        return ecs_authz_named(ctx, req, ref, err);
    char arn[ECS_AUTHZ_ARN_MAX];
    if (!arn_format_buf(arn, sizeof(arn), ctx, "capacity-provider", ref))
        return 0;
    return ecs_authz_named(ctx, req, arn, err);
}

static int res_new_provider(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    return provider(ctx, in, "name", req, err);
}

static int res_provider(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    return provider(ctx, in, "capacityProvider", req, err);
}

/* ECS's actions, sorted by name as ecs_service.c's table. */
static const struct authz_rule ecs_rules[] = {
    {"ContinueServiceDeployment", "ecs:ContinueServiceDeployment", res_deployment, NULL, false},
    {"CreateCapacityProvider", "ecs:CreateCapacityProvider", res_new_provider, key_request_tags, false},
    {"CreateCluster", "ecs:CreateCluster", res_new_cluster, keys_create_cluster, false},
    {"CreateDaemon", "ecs:CreateDaemon", NULL, NULL, false},
    {"CreateExpressGatewayService", "ecs:CreateExpressGatewayService", res_new_service, keys_create_express, false},
    {"CreateService", "ecs:CreateService", res_new_service, keys_create_service, false},
    {"CreateTaskSet", "ecs:CreateTaskSet", res_service, keys_create_task_set, false},
    {"DeleteAccountSetting", "ecs:DeleteAccountSetting", NULL, NULL, false},
    {"DeleteAttributes", "ecs:DeleteAttributes", res_attribute_targets, key_cluster, false},
    {"DeleteCapacityProvider", "ecs:DeleteCapacityProvider", res_provider, NULL, false},
    {"DeleteCluster", "ecs:DeleteCluster", res_cluster, NULL, false},
    {"DeleteDaemon", "ecs:DeleteDaemon", NULL, NULL, false},
    {"DeleteDaemonTaskDefinition", "ecs:DeleteDaemonTaskDefinition", NULL, NULL, false},
    {"DeleteExpressGatewayService", "ecs:DeleteExpressGatewayService", res_express, NULL, false},
    {"DeleteService", "ecs:DeleteService", res_service, key_cluster, false},
    {"DeleteTaskDefinitions", "ecs:DeleteTaskDefinitions", res_taskdefs, NULL, false},
    {"DeleteTaskSet", "ecs:DeleteTaskSet", res_service, key_cluster, false},
    {"DeregisterContainerInstance", "ecs:DeregisterContainerInstance", res_cluster, NULL, false},
    {"DeregisterTaskDefinition", "ecs:DeregisterTaskDefinition", NULL, NULL, false},
    {"DescribeCapacityProviders", "ecs:DescribeCapacityProviders", NULL, NULL, false},
    {"DescribeClusters", "ecs:DescribeClusters", res_clusters, NULL, false},
    {"DescribeContainerInstances", "ecs:DescribeContainerInstances", res_instances, key_cluster, false},
    {"DescribeDaemon", "ecs:DescribeDaemon", NULL, NULL, false},
    {"DescribeDaemonDeployments", "ecs:DescribeDaemonDeployments", NULL, NULL, false},
    {"DescribeDaemonRevisions", "ecs:DescribeDaemonRevisions", NULL, NULL, false},
    {"DescribeDaemonTaskDefinition", "ecs:DescribeDaemonTaskDefinition", NULL, NULL, false},
    {"DescribeExpressGatewayService", "ecs:DescribeExpressGatewayService", res_express, NULL, false},
    {"DescribeServiceDeployments", "ecs:DescribeServiceDeployments", res_deployments, NULL, false},
    {"DescribeServiceRevisions", "ecs:DescribeServiceRevisions", res_revisions, NULL, false},
    {"DescribeServices", "ecs:DescribeServices", res_services, key_cluster, false},
    {"DescribeTaskDefinition", "ecs:DescribeTaskDefinition", NULL, NULL, false},
    {"DescribeTaskSets", "ecs:DescribeTaskSets", res_service, key_cluster, false},
    {"DescribeTasks", "ecs:DescribeTasks", res_tasks, key_cluster, false},
    {"DiscoverPollEndpoint", "ecs:DiscoverPollEndpoint", NULL, NULL, false},
    {"ExecuteCommand", "ecs:ExecuteCommand", res_exec, keys_exec, false},
    {"GetTaskProtection", "ecs:GetTaskProtection", res_tasks, key_cluster, false},
    {"ListAccountSettings", "ecs:ListAccountSettings", NULL, NULL, false},
    {"ListAttributes", "ecs:ListAttributes", res_cluster, NULL, false},
    {"ListClusters", "ecs:ListClusters", NULL, NULL, false},
    {"ListContainerInstances", "ecs:ListContainerInstances", res_cluster, NULL, false},
    {"ListDaemonDeployments", "ecs:ListDaemonDeployments", NULL, NULL, false},
    {"ListDaemonTaskDefinitions", "ecs:ListDaemonTaskDefinitions", NULL, NULL, false},
    {"ListDaemons", "ecs:ListDaemons", NULL, NULL, false},
    {"ListServiceDeployments", "ecs:ListServiceDeployments", res_service, key_cluster, false},
    {"ListServices", "ecs:ListServices", NULL, key_cluster, false},
    {"ListServicesByNamespace", "ecs:ListServicesByNamespace", NULL, NULL, false},
    {"ListTagsForResource", "ecs:ListTagsForResource", res_tagged, NULL, false},
    {"ListTaskDefinitionFamilies", "ecs:ListTaskDefinitionFamilies", NULL, NULL, false},
    {"ListTaskDefinitions", "ecs:ListTaskDefinitions", NULL, NULL, false},
    {"ListTasks", "ecs:ListTasks", res_instance_or_cluster, key_cluster, false},
    {"PutAccountSetting", "ecs:PutAccountSetting", NULL, NULL, false},
    {"PutAccountSettingDefault", "ecs:PutAccountSettingDefault", NULL, NULL, false},
    {"PutAttributes", "ecs:PutAttributes", res_attribute_targets, key_cluster, false},
    {"PutClusterCapacityProviders", "ecs:PutClusterCapacityProviders", res_cluster, keys_capacity_providers, false},
    {"RegisterContainerInstance", "ecs:RegisterContainerInstance", res_cluster, key_request_tags, false},
    {"RegisterDaemonTaskDefinition", "ecs:RegisterDaemonTaskDefinition", NULL, keys_register_taskdef, false},
    {"RegisterTaskDefinition", "ecs:RegisterTaskDefinition", ecs_authz_new_taskdef, keys_register_taskdef, false},
    {"RunTask", "ecs:RunTask", res_taskdef_to_run, keys_run_task, false},
    {"StartTask", "ecs:StartTask", res_taskdef_to_run, keys_start_task, false},
    {"StopServiceDeployment", "ecs:StopServiceDeployment", res_deployment, NULL, false},
    {"StopTask", "ecs:StopTask", res_task, key_cluster, false},
    {"SubmitAttachmentStateChanges", "ecs:SubmitAttachmentStateChanges", res_cluster, NULL, false},
    {"SubmitContainerStateChange", "ecs:SubmitContainerStateChange", res_cluster, NULL, false},
    {"SubmitTaskStateChange", "ecs:SubmitTaskStateChange", res_cluster, NULL, false},
    {"TagResource", "ecs:TagResource", res_tagged, key_request_tags, false},
    {"UntagResource", "ecs:UntagResource", res_tagged, key_tag_keys, false},
    {"UpdateCapacityProvider", "ecs:UpdateCapacityProvider", res_new_provider, NULL, false},
    {"UpdateCluster", "ecs:UpdateCluster", res_cluster, NULL, false},
    {"UpdateClusterSettings", "ecs:UpdateClusterSettings", res_cluster, NULL, false},
    {"UpdateContainerAgent", "ecs:UpdateContainerAgent", res_instance, key_cluster, false},
    {"UpdateContainerInstancesState", "ecs:UpdateContainerInstancesState", res_instances, key_cluster, false},
    {"UpdateDaemon", "ecs:UpdateDaemon", NULL, NULL, false},
    {"UpdateExpressGatewayService", "ecs:UpdateExpressGatewayService", res_express, keys_express, false},
    {"UpdateService", "ecs:UpdateService", res_service, keys_service, false},
    {"UpdateServicePrimaryTaskSet", "ecs:UpdateServicePrimaryTaskSet", res_service, key_cluster, false},
    {"UpdateTaskProtection", "ecs:UpdateTaskProtection", res_tasks, key_cluster, false},
    {"UpdateTaskSet", "ecs:UpdateTaskSet", res_service, key_cluster, false},
};

/* berth's agent calls, as the ECS agent's own calls are authorised: the
 * long-poll is ecs:Poll, reports are state changes, log shipping is
 * logs:PutLogEvents; a batch of reports is authorised report by report.
 * Managing a cluster's registration tokens has no ECS counterpart: berth:
 * actions, which no ecs:* grants.  (Rules for actions a build does not
 * serve are unused.) */
static const struct authz_rule agent_rules[] = {
    {"CreateRegistrationToken", "berth:CreateRegistrationToken", res_cluster, NULL, false},
    /* ECS's agent gets role credentials over its poll channel: ecs:Poll. */
    {"GetTaskCredentials", "ecs:Poll", res_cluster, key_cluster, false},
    {"ListRegistrationTokens", "berth:ListRegistrationTokens", res_cluster, NULL, false},
    {"PollTasks", "ecs:Poll", res_instance_or_cluster, key_cluster, false},
    {"PutLogEvents", "logs:PutLogEvents", logs_authz_stream, NULL, false},
    {"ReclaimInstance", "berth:ReclaimInstance", res_cluster, NULL, false},
    /* A registration token holder comes unsigned; the handler checks it. */
    {"RegisterContainerInstance", "ecs:RegisterContainerInstance", res_cluster, key_request_tags, true},
    {"ReportAttachments", "ecs:SubmitAttachmentStateChanges", res_cluster, NULL, false},
    {"ReportHealth", "ecs:SubmitTaskStateChange", res_cluster, NULL, false},
    {"ReportMetrics", "ecs:SubmitTaskStateChange", res_cluster, NULL, false},
    {"RevokeRegistrationToken", "berth:RevokeRegistrationToken", res_cluster, NULL, false},
    {"SubmitReports", NULL, NULL, NULL, false},
    /* The task endpoint's protection, which ECS's agent asks with the task
     * role: berth's asks over its own channel, for its own tasks only. */
    {"TaskProtection", "ecs:Poll", res_cluster, key_cluster, false},
};

const struct authz_rule *ecs_authz_rules(size_t *ret_n)
{
    *ret_n = ELEMENTSOF(ecs_rules);
    return ecs_rules;
}

const struct authz_rule *ecs_authz_agent_rules(size_t *ret_n)
{
    *ret_n = ELEMENTSOF(agent_rules);
    return agent_rules;
}
