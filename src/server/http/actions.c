/* actions.c - the action tables: every API action berth serves, sorted by
 * name (the dispatcher binary-searches them), with its handler and flags. */
#include "server/http/api.h"
#include "server/ecs/clusters.h"
#include "server/ecs/instances.h"
#include "server/logs/logs.h"
#include "common/proto.h"
#include "common/cleanup.h"
#include "server/ecs/tags.h"
#include "server/ecs/runtask.h"
#include "server/ecs/services.h"
#include "server/ecs/tasks.h"
#include "server/ecs/taskdefs.h"

static const struct api_action ecs_actions[] = {
    {"CreateCluster", action_create_cluster, API_WRITE},
    {"CreateService", action_create_service, API_WRITE},
    {"DeleteAttributes", action_delete_attributes, API_WRITE},
    {"DeleteCluster", action_delete_cluster, API_WRITE},
    {"DeleteService", action_delete_service, API_WRITE},
    {"DeleteTaskDefinitions", action_delete_task_definitions, API_WRITE},
    {"DeregisterContainerInstance", action_deregister_container_instance, API_WRITE},
    {"DeregisterTaskDefinition", action_deregister_task_definition, API_WRITE},
    {"DescribeClusters", action_describe_clusters, API_READ},
    {"DescribeContainerInstances", action_describe_container_instances, API_READ},
    {"DescribeServices", action_describe_services, API_READ},
    {"DescribeTaskDefinition", action_describe_task_definition, API_READ},
    {"DescribeTasks", action_describe_tasks, API_READ},
    {"DiscoverPollEndpoint", action_discover_poll_endpoint, API_READ},
    {"ListAttributes", action_list_attributes, API_READ},
    {"ListClusters", action_list_clusters, API_READ},
    {"ListContainerInstances", action_list_container_instances, API_READ},
    {"ListServices", action_list_services, API_READ},
    {"ListTagsForResource", action_list_tags_for_resource, API_READ},
    {"ListTaskDefinitionFamilies", action_list_task_definition_families, API_READ},
    {"ListTaskDefinitions", action_list_task_definitions, API_READ},
    {"ListTasks", action_list_tasks, API_READ},
    {"PutAttributes", action_put_attributes, API_WRITE},
    {"PutClusterCapacityProviders", action_put_cluster_capacity_providers, API_WRITE},
    {"RegisterContainerInstance", action_register_container_instance, API_WRITE},
    {"RegisterTaskDefinition", action_register_task_definition, API_WRITE},
    {"RunTask", action_run_task, API_WRITE},
    {"StartTask", action_start_task, API_WRITE},
    {"StopTask", action_stop_task, API_WRITE},
    {"SubmitContainerStateChange", action_submit_container_state_change, API_WRITE | API_REPORT},
    {"SubmitTaskStateChange", action_submit_task_state_change, API_WRITE | API_REPORT},
    {"TagResource", action_tag_resource, API_WRITE},
    {"UntagResource", action_untag_resource, API_WRITE},
    {"UpdateCluster", action_update_cluster, API_WRITE},
    {"UpdateClusterSettings", action_update_cluster_settings, API_WRITE},
    {"UpdateContainerInstancesState", action_update_container_instances_state, API_WRITE},
    {"UpdateService", action_update_service, API_WRITE},
};

static const struct api_action logs_actions[] = {
    {"CreateLogGroup", action_logs_create_log_group, API_WRITE},
    {"CreateLogStream", action_logs_create_log_stream, API_WRITE},
    {"DeleteLogGroup", action_logs_delete_log_group, API_WRITE},
    {"DeleteLogStream", action_logs_delete_log_stream, API_WRITE},
    {"DeleteRetentionPolicy", action_logs_delete_retention_policy, API_WRITE},
    {"DescribeLogGroups", action_logs_describe_log_groups, API_READ},
    {"DescribeLogStreams", action_logs_describe_log_streams, API_READ},
    {"FilterLogEvents", action_logs_filter_log_events, API_READ},
    {"GetLogEvents", action_logs_get_log_events, API_READ},
    {"ListTagsForResource", action_logs_list_tags_for_resource, API_READ},
    {"ListTagsLogGroup", action_logs_list_tags_log_group, API_READ},
    {"PutLogEvents", action_logs_put_log_events, API_WRITE},
    {"PutRetentionPolicy", action_logs_put_retention_policy, API_WRITE},
    {"TagLogGroup", action_logs_tag_log_group, API_WRITE},
    {"TagResource", action_logs_tag_resource, API_WRITE},
    {"UntagLogGroup", action_logs_untag_log_group, API_WRITE},
    {"UntagResource", action_logs_untag_resource, API_WRITE},
};

const struct api_action *api_ecs_actions(size_t *ret_count)
{
    *ret_count = ELEMENTSOF(ecs_actions);
    return ecs_actions;
}

static const struct api_action berth_actions[] = {
    {PROTO_POLL_TASKS, action_berth_poll_tasks, API_READ},
    {PROTO_PUT_LOG_EVENTS, action_berth_put_log_events, API_WRITE},
    {PROTO_REPORT_ATTACHMENTS, action_berth_report_attachments, API_WRITE | API_REPORT},
    {PROTO_REPORT_HEALTH, action_berth_report_health, API_WRITE | API_REPORT},
    {PROTO_SUBMIT_REPORTS, action_berth_submit_reports, API_WRITE},
};

const struct api_action *api_berth_actions(size_t *ret_count)
{
    *ret_count = ELEMENTSOF(berth_actions);
    return berth_actions;
}

const struct api_action *api_logs_actions(size_t *ret_count)
{
    *ret_count = ELEMENTSOF(logs_actions);
    return logs_actions;
}
