/* exec_config.c - the cluster's executeCommandConfiguration (see
 * exec_config.h).
 *
 * ECS Exec sessions are logged by the server, which relays them
 * (exec_sessions.c, exec_log.c), into berth's own CloudWatch Logs; so
 * CloudWatch Logs is the one destination.  S3 is refused (berth has no
 * S3), and so is cloudWatchEncryptionEnabled: berth's log groups carry no
 * KMS key, and ECS would refuse to log into an unencrypted group.  The
 * kmsKeyId (which on ECS encrypts the data channel) is recorded and shown
 * only: berth's channel is the listener's own connection. */
#include "server/ecs/exec_config.h"

#include <stdio.h>
#include <string.h>

#include "server/store/store_logs.h"

#define NO_S3                                                                                                          \
    "executeCommandConfiguration.logConfiguration: S3 (s3BucketName, s3EncryptionEnabled, s3KeyPrefix) is not "        \
    "supported: berth has no S3. Log ECS Exec sessions to CloudWatch Logs with cloudWatchLogGroupName."
#define NO_CW_ENCRYPTION                                                                                               \
    "executeCommandConfiguration.logConfiguration: cloudWatchEncryptionEnabled true is not supported: berth's "        \
    "CloudWatch Logs groups are not encrypted with a KMS key."

int exec_config_check(json_t *configuration, struct error *err)
{
    json_t *ecc = json_object_get(configuration, "executeCommandConfiguration");
    if (!ecc)
        return 0;
    const char *logging = json_string_value(json_object_get(ecc, "logging"));
    json_t *lc = json_object_get(ecc, "logConfiguration");
    bool override = logging && strcmp(logging, "OVERRIDE") == 0;
    if (lc && !override)
        return error_set(err, ERR_INVALID, "You must set logging to 'OVERRIDE' when you supply a log configuration.");
    if (override && !lc)
        return error_set(err, ERR_INVALID, "You must supply a log configuration when logging is set to 'OVERRIDE'.");
    if (!lc)
        return 0;
    if (json_object_get(lc, "s3BucketName") || json_object_get(lc, "s3KeyPrefix") ||
        json_is_true(json_object_get(lc, "s3EncryptionEnabled")))
        return error_set(err, ERR_INVALID, NO_S3);
    if (json_is_true(json_object_get(lc, "cloudWatchEncryptionEnabled")))
        return error_set(err, ERR_INVALID, NO_CW_ENCRYPTION);
    const char *group = json_string_value(json_object_get(lc, "cloudWatchLogGroupName"));
    if (!group || !group[0])
        return error_set(err, ERR_INVALID,
                         "executeCommandConfiguration.logConfiguration must name a cloudWatchLogGroupName.");
    if (strlen(group) > LIMIT_LOGS_NAME)
        return error_set(err, ERR_INVALID, "cloudWatchLogGroupName is longer than %d characters.", LIMIT_LOGS_NAME);
    return 0;
}

/* The awslogs options of the task's container `name`, or NULL. */
static json_t *awslogs_options(json_t *task_doc, const char *name)
{
    json_t *defs =
        json_object_get(json_object_get(json_object_get(task_doc, "berth"), "taskDefinition"), "containerDefinitions");
    size_t i;
    json_t *d;
    json_array_foreach(defs, i, d) {
        const char *n = json_string_value(json_object_get(d, "name"));
        if (!n || strcmp(n, name) != 0)
            continue;
        json_t *lc = json_object_get(d, "logConfiguration");
        const char *driver = json_string_value(json_object_get(lc, "logDriver"));
        return driver && strcmp(driver, "awslogs") == 0 ? json_object_get(lc, "options") : NULL;
    }
    return NULL;
}

int exec_config_log_target(struct op_ctx *ctx, json_t *cluster_doc, json_t *task_doc, const char *name,
                           struct exec_log_target *ret, struct error *err)
{
    memset(ret, 0, sizeof(*ret));
    json_t *ecc = json_object_get(json_object_get(cluster_doc, "configuration"), "executeCommandConfiguration");
    const char *logging = json_string_value(json_object_get(ecc, "logging"));
    const char *group = NULL, *region = NULL;
    if (logging && strcmp(logging, "NONE") == 0)
        return 0;
    if (logging && strcmp(logging, "OVERRIDE") == 0) {
        group = json_string_value(json_object_get(json_object_get(ecc, "logConfiguration"), "cloudWatchLogGroupName"));
    } else {
        json_t *opts = awslogs_options(task_doc, name);
        group = json_string_value(json_object_get(opts, "awslogs-group"));
        region = json_string_value(json_object_get(opts, "awslogs-region"));
    }
    if (!group || !group[0])
        return 0;
    snprintf(ret->group, sizeof(ret->group), "%s", group);
    snprintf(ret->region, sizeof(ret->region), "%s", region && region[0] ? region : ctx->region);
    struct log_group_row row;
    int r = store_log_group_get(ctx->tx, ret->region, ret->group, &row, err);
    if (r < 0)
        return -1;
    if (r == 0)
        return error_set(err, ERR_INVALID,
                         "The execute command failed because the session is logged to the CloudWatch log group "
                         "%.512s, which does not exist. Create it, or change the cluster's "
                         "executeCommandConfiguration.",
                         ret->group);
    return 0;
}
