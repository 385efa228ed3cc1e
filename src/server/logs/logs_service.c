/* logs_service.c - CloudWatch Logs' model and action table (see
 * logs_service.h), sorted by name for the dispatcher's binary search. */
#include "server/logs/logs_service.h"

#include <stdlib.h>

#include "common/cleanup.h"
#include "server/http/service_model.h"
#include "server/logs/logs.h"
#include "server/logs/logs_authz.h"

/* The embedded model (model.S). */
extern const char berth_model_logs[], berth_model_logs_end[];

struct logs_service {
    struct service_model *model;
};

static const struct api_action logs_actions[] = {
    {"CreateLogGroup", action_logs_create_log_group, API_WRITE | API_QUIET},
    {"CreateLogStream", action_logs_create_log_stream, API_WRITE | API_QUIET},
    {"DeleteLogGroup", action_logs_delete_log_group, API_WRITE},
    {"DeleteLogStream", action_logs_delete_log_stream, API_WRITE},
    {"DeleteRetentionPolicy", action_logs_delete_retention_policy, API_WRITE},
    {"DescribeLogGroups", action_logs_describe_log_groups, API_READ},
    {"DescribeLogStreams", action_logs_describe_log_streams, API_READ},
    {"FilterLogEvents", action_logs_filter_log_events, API_READ},
    {"GetLogEvents", action_logs_get_log_events, API_READ},
    {"ListTagsForResource", action_logs_list_tags_for_resource, API_READ},
    {"ListTagsLogGroup", action_logs_list_tags_log_group, API_READ},
    {"PutLogEvents", action_logs_put_log_events, API_WRITE | API_QUIET},
    {"PutRetentionPolicy", action_logs_put_retention_policy, API_WRITE},
    {"TagLogGroup", action_logs_tag_log_group, API_WRITE},
    {"TagResource", action_logs_tag_resource, API_WRITE},
    {"UntagLogGroup", action_logs_untag_log_group, API_WRITE},
    {"UntagResource", action_logs_untag_resource, API_WRITE},
};

int logs_service_new(struct logs_service **ret, struct error *err)
{
    struct logs_service *l = calloc(1, sizeof(*l));
    if (!l)
        return error_set(err, ERR_INTERNAL, "out of memory");
    /* The size excludes the NUL model.S appends. */
    if (service_model_load(berth_model_logs, (size_t)(berth_model_logs_end - berth_model_logs) - 1, &l->model, err) <
        0) {
        free(l);
        return error_prefix(err, "logs model");
    }
    *ret = l;
    return 0;
}

void logs_service_free(struct logs_service *l)
{
    if (!l)
        return;
    service_model_free(l->model);
    free(l);
}

struct api_service logs_service_api(struct logs_service *l)
{
    size_t nrules;
    const struct authz_rule *rules = logs_authz_rules(&nrules);
    return (struct api_service){
        .target_prefix = service_model_target_prefix(l->model),
        .model = l->model,
        .actions = logs_actions,
        .nactions = ELEMENTSOF(logs_actions),
        .state = l,
        .authz = rules,
        .nauthz = nrules,
    };
}
