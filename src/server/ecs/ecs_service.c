/* ecs_service.c - ECS's state and action tables (see ecs_service.h).  The
 * tables are sorted by name: the dispatcher binary-searches them and
 * refuses one out of order at startup. */
#include "server/ecs/ecs_service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/proto.h"
#include "server/ecs/account_settings.h"
#include "server/ecs/agent_poll.h"
#include "server/ecs/agent_register.h"
#include "server/ecs/agent_update.h"
#include "server/ecs/attachment_reports.h"
#include "server/ecs/capacity_providers.h"
#include "server/ecs/clusters.h"
#include "server/ecs/daemon_taskdefs.h"
#include "server/ecs/daemons.h"
#include "server/ecs/deploy_hooks.h"
#include "server/ecs/ecs_compat.h"
#include "server/ecs/ecs_authz.h"
#include "server/ecs/ecs_errors.h"
#include "server/ecs/exec_command.h"
#include "server/ecs/express_gateway.h"
#include "server/ecs/exec_sessions.h"
#include "server/ecs/instances.h"
#include "server/ecs/liveness.h"
#include "server/ecs/placement_cache.h"
#include "server/ecs/registration_tokens.h"
#include "server/ecs/runtask.h"
#include "server/ecs/service_history.h"
#include "server/ecs/services.h"
#include "server/ecs/spot_reclaim.h"
#include "server/ecs/tag_actions.h"
#include "server/ecs/task_credentials.h"
#include "server/ecs/task_actions.h"
#include "server/ecs/task_sets.h"
#include "server/ecs/task_metrics.h"
#include "server/ecs/task_protection.h"
#include "server/ecs/task_reports.h"
#include "server/ecs/taskdefs.h"
#include "server/http/service_model.h"
#include "server/logs/logs.h"

/* The embedded model (model.S). */
extern const char berth_model_ecs[], berth_model_ecs_end[];

static const struct api_action ecs_actions[] = {
    {"ContinueServiceDeployment", action_continue_service_deployment, API_WRITE},
    {"CreateCapacityProvider", action_create_capacity_provider, API_WRITE},
    {"CreateCluster", action_create_cluster, API_WRITE},
    {"CreateDaemon", action_create_daemon, API_WRITE},
    {"CreateExpressGatewayService", action_create_express_gateway_service, API_WRITE},
    {"CreateService", action_create_service, API_WRITE},
    {"CreateTaskSet", action_create_task_set, API_WRITE},
    {"DeleteAccountSetting", action_delete_account_setting, API_WRITE},
    {"DeleteAttributes", action_delete_attributes, API_WRITE},
    {"DeleteCapacityProvider", action_delete_capacity_provider, API_WRITE},
    {"DeleteCluster", action_delete_cluster, API_WRITE},
    {"DeleteDaemon", action_delete_daemon, API_WRITE},
    {"DeleteDaemonTaskDefinition", action_delete_daemon_task_definition, API_WRITE},
    {"DeleteExpressGatewayService", action_delete_express_gateway_service, API_WRITE},
    {"DeleteService", action_delete_service, API_WRITE},
    {"DeleteTaskDefinitions", action_delete_task_definitions, API_WRITE | API_QUIET},
    {"DeleteTaskSet", action_delete_task_set, API_WRITE},
    {"DeregisterContainerInstance", action_deregister_container_instance, API_WRITE},
    {"DeregisterTaskDefinition", action_deregister_task_definition, API_WRITE | API_QUIET},
    {"DescribeCapacityProviders", action_describe_capacity_providers, API_READ},
    {"DescribeClusters", action_describe_clusters, API_READ},
    {"DescribeContainerInstances", action_describe_container_instances, API_READ},
    {"DescribeDaemon", action_describe_daemon, API_READ},
    {"DescribeDaemonDeployments", action_describe_daemon_deployments, API_READ},
    {"DescribeDaemonRevisions", action_describe_daemon_revisions, API_READ},
    {"DescribeDaemonTaskDefinition", action_describe_daemon_task_definition, API_READ},
    {"DescribeExpressGatewayService", action_describe_express_gateway_service, API_READ},
    {"DescribeServiceDeployments", action_describe_service_deployments, API_READ},
    {"DescribeServiceRevisions", action_describe_service_revisions, API_READ},
    {"DescribeServices", action_describe_services, API_READ},
    {"DescribeTaskDefinition", action_describe_task_definition, API_READ},
    {"DescribeTaskSets", action_describe_task_sets, API_READ},
    {"DescribeTasks", action_describe_tasks, API_READ},
    {"DiscoverPollEndpoint", action_discover_poll_endpoint, API_READ},
    /* A write only so that its commit wakes the agents' long-polls, one
     * of which takes the new session (exec_sessions.h). */
    {"ExecuteCommand", action_execute_command, API_WRITE},
    {"GetTaskProtection", action_get_task_protection, API_READ},
    {"ListAccountSettings", action_list_account_settings, API_READ},
    {"ListAttributes", action_list_attributes, API_READ},
    {"ListClusters", action_list_clusters, API_READ},
    {"ListContainerInstances", action_list_container_instances, API_READ},
    {"ListDaemonDeployments", action_list_daemon_deployments, API_READ},
    {"ListDaemonTaskDefinitions", action_list_daemon_task_definitions, API_READ},
    {"ListDaemons", action_list_daemons, API_READ},
    {"ListServiceDeployments", action_list_service_deployments, API_READ},
    {"ListServices", action_list_services, API_READ},
    {"ListServicesByNamespace", action_list_services_by_namespace, API_READ},
    {"ListTagsForResource", action_list_tags_for_resource, API_READ},
    {"ListTaskDefinitionFamilies", action_list_task_definition_families, API_READ},
    {"ListTaskDefinitions", action_list_task_definitions, API_READ},
    {"ListTasks", action_list_tasks, API_READ},
    {"PutAccountSetting", action_put_account_setting, API_WRITE},
    {"PutAccountSettingDefault", action_put_account_setting_default, API_WRITE},
    {"PutAttributes", action_put_attributes, API_WRITE},
    {"PutClusterCapacityProviders", action_put_cluster_capacity_providers, API_WRITE},
    {"RegisterContainerInstance", action_register_container_instance, API_WRITE},
    {"RegisterDaemonTaskDefinition", action_register_daemon_task_definition, API_WRITE},
    {"RegisterTaskDefinition", action_register_task_definition, API_WRITE | API_QUIET},
    {"RunTask", action_run_task, API_WRITE},
    {"StartTask", action_start_task, API_WRITE},
    {"StopServiceDeployment", action_stop_service_deployment, API_WRITE},
    {"StopTask", action_stop_task, API_WRITE},
    {"SubmitAttachmentStateChanges", action_submit_attachment_state_changes, API_WRITE},
    {"SubmitContainerStateChange", action_submit_container_state_change, API_WRITE | API_REPORT},
    {"SubmitTaskStateChange", action_submit_task_state_change, API_WRITE | API_REPORT},
    {"TagResource", action_tag_resource, API_WRITE},
    {"UntagResource", action_untag_resource, API_WRITE},
    {"UpdateCapacityProvider", action_update_capacity_provider, API_WRITE},
    {"UpdateCluster", action_update_cluster, API_WRITE},
    {"UpdateClusterSettings", action_update_cluster_settings, API_WRITE},
    {"UpdateContainerAgent", action_update_container_agent, API_WRITE},
    {"UpdateContainerInstancesState", action_update_container_instances_state, API_WRITE},
    {"UpdateDaemon", action_update_daemon, API_WRITE},
    {"UpdateExpressGatewayService", action_update_express_gateway_service, API_WRITE},
    {"UpdateService", action_update_service, API_WRITE},
    {"UpdateServicePrimaryTaskSet", action_update_service_primary_task_set, API_WRITE},
    {"UpdateTaskProtection", action_update_task_protection, API_WRITE},
    {"UpdateTaskSet", action_update_task_set, API_WRITE},
};

static const struct api_error ecs_errors[] = {
    {ECS_ERR_CONFLICT, "ConflictException", 400},
    {ECS_ERR_SERVICE_DEPLOYMENT_NOT_FOUND, "ServiceDeploymentNotFoundException", 400},
    {ECS_ERR_NAMESPACE_NOT_FOUND, "NamespaceNotFoundException", 400},
    {ECS_ERR_TASK_SET_NOT_FOUND, "TaskSetNotFoundException", 400},
};

/* berth's own agent calls: no botocore model describes them, so their
 * handlers validate their input. */
static const struct api_action agent_actions[] = {
    {PROTO_CREATE_REGISTRATION_TOKEN, action_berth_create_registration_token, API_WRITE},
    {PROTO_GET_TASK_CREDENTIALS, action_berth_get_task_credentials, API_WRITE},
    {PROTO_LIST_REGISTRATION_TOKENS, action_berth_list_registration_tokens, API_READ},
    {PROTO_POLL_TASKS, action_berth_poll_tasks, API_READ},
    {PROTO_PUT_LOG_EVENTS, action_berth_ship_logs, API_WRITE},
    {PROTO_RECLAIM_INSTANCE, action_berth_reclaim_instance, API_WRITE},
    {PROTO_REGISTER, action_berth_register_container_instance, API_WRITE | API_UNSIGNED},
    {PROTO_REPORT_ATTACHMENTS, action_berth_report_attachments, API_WRITE | API_REPORT},
    {PROTO_REPORT_HEALTH, action_berth_report_health, API_WRITE | API_REPORT},
    {PROTO_REPORT_METRICS, action_berth_report_metrics, API_WRITE | API_REPORT},
    {PROTO_REVOKE_REGISTRATION_TOKEN, action_berth_revoke_registration_token, API_WRITE},
    {PROTO_SUBMIT_REPORTS, api_submit_reports, API_WRITE},
    {PROTO_TASK_PROTECTION, action_berth_task_protection, API_WRITE},
};

static inline void ecs_service_freep(struct ecs_service **e) { ecs_service_free(*e); }

int ecs_service_new(usec_t agent_timeout, struct ecs_service **ret, struct error *err)
{
    _cleanup_(ecs_service_freep) struct ecs_service *e = calloc(1, sizeof(*e));
    if (!e)
        return error_set(err, ERR_INTERNAL, "out of memory");
    /* Sizes exclude the NUL model.S appends. */
    size_t len = (size_t)(berth_model_ecs_end - berth_model_ecs) - 1;
    if (service_model_load(berth_model_ecs, len, &e->model, err) < 0)
        return error_prefix(err, "ecs model");
    /* berth goes beyond ECS here: Docker's `none` log driver keeps no output. */
    if (service_model_extend_enum(e->model, "LogDriver", "none") < 0)
        return error_set(err, ERR_INTERNAL, "ecs model has no LogDriver enum");
    if (liveness_new(agent_timeout, &e->liveness) < 0 || !(e->placement_cache = placement_cache_new()))
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (exec_sessions_new(&e->exec, err) < 0)
        return -1;
    *ret = TAKE_PTR(e);
    return 0;
}

void ecs_service_free(struct ecs_service *e)
{
    if (!e)
        return;
    service_model_free(e->model);
    liveness_free(e->liveness);
    placement_cache_free(e->placement_cache);
    exec_sessions_free(e->exec);
    free(e);
}

void ecs_service_set_keyring(struct ecs_service *e, struct keyring *keyring) { e->keyring = keyring; }

void ecs_service_set_endpoint(struct ecs_service *e, const char *host, uint16_t port)
{
    snprintf(e->endpoint, sizeof(e->endpoint), "http://%s:%u/", host, port);
}

struct api_service ecs_service_api(struct ecs_service *e)
{
    size_t nrules;
    const struct authz_rule *rules = ecs_authz_rules(&nrules);
    return (struct api_service){
        .target_prefix = service_model_target_prefix(e->model),
        .model = e->model,
        .actions = ecs_actions,
        .nactions = ELEMENTSOF(ecs_actions),
        .state = e,
        .authz = rules,
        .nauthz = nrules,
        .errors = ecs_errors,
        .nerrors = ELEMENTSOF(ecs_errors),
        .check_input = ecs_compat_check_input,
        .refusal_note = ecs_compat_refusal_note,
    };
}

/* An agent's PutLogEvents carries up to 10,000 events: read in place. */
static const char *agent_raw_member(const char *action)
{
    return strcmp(action, PROTO_PUT_LOG_EVENTS) == 0 ? "logEvents" : NULL;
}

struct api_service ecs_service_agent_api(struct ecs_service *e)
{
    size_t nrules;
    const struct authz_rule *rules = ecs_authz_agent_rules(&nrules);
    return (struct api_service){
        .target_prefix = PROTO_AGENT_TARGET,
        .actions = agent_actions,
        .nactions = ELEMENTSOF(agent_actions),
        .state = e,
        .authz = rules,
        .nauthz = nrules,
        .raw_member = agent_raw_member,
    };
}
