/* taskdef_attrs.c - which container instance attributes a task definition
 * requires, from the features it uses.
 *
 * ECS derives `requiresAttributes` at registration so that placement only
 * picks instances whose agent and Docker can run the task.  The table below
 * is the subset of ECS's attributes that berth's agent reports; each row is
 * a predicate over the normalised definition.  It does not decide placement
 * (placement.c matches these against instance attributes). */
#include "server/ecs/taskdef_attrs.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"

typedef bool (*task_pred)(const json_t *doc);
typedef bool (*container_pred)(const json_t *c);

static bool has(const json_t *obj, const char *member) { return json_object_get(obj, member) != NULL; }

static bool nonempty(const json_t *obj, const char *member)
{
    json_t *v = json_object_get(obj, member);
    return v && ((json_is_array(v) && json_array_size(v) > 0) || (json_is_object(v) && json_object_size(v) > 0));
}

static const char *log_driver(const json_t *c)
{
    return json_string_value(json_object_get(json_object_get(c, "logConfiguration"), "logDriver"));
}

static bool is_ecr_image(const json_t *c)
{
    const char *image = json_string_value(json_object_get(c, "image"));
    return image && strstr(image, ".dkr.ecr.") != NULL;
}

static bool c_remote_api_118(const json_t *c)
{
    return nonempty(c, "dockerLabels") || nonempty(c, "ulimits") || has(c, "logConfiguration");
}
static bool c_awslogs(const json_t *c)
{
    const char *d = log_driver(c);
    return d && strcmp(d, "awslogs") == 0;
}
static bool c_memory_reservation(const json_t *c) { return has(c, "memoryReservation"); }
static bool c_health_check(const json_t *c) { return has(c, "healthCheck"); }
static bool c_init_process(const json_t *c)
{
    return json_is_true(json_object_get(json_object_get(c, "linuxParameters"), "initProcessEnabled"));
}
static bool c_depends_on(const json_t *c) { return nonempty(c, "dependsOn"); }
static bool c_ecr(const json_t *c) { return is_ecr_image(c); }
static bool c_repo_creds(const json_t *c) { return has(c, "repositoryCredentials"); }
static bool c_env_files(const json_t *c) { return nonempty(c, "environmentFiles"); }
static bool c_privileged(const json_t *c) { return json_is_true(json_object_get(c, "privileged")); }

static bool secret_in(const json_t *list, bool secrets_manager)
{
    size_t i;
    json_t *s;
    json_array_foreach(list, i, s) {
        const char *from = json_string_value(json_object_get(s, "valueFrom"));
        bool asm_ = from && strstr(from, ":secretsmanager:") != NULL;
        if (asm_ == secrets_manager)
            return true;
    }
    return false;
}
static bool c_secrets_ssm(const json_t *c) { return secret_in(json_object_get(c, "secrets"), false); }
static bool c_secrets_asm(const json_t *c) { return secret_in(json_object_get(c, "secrets"), true); }
static const json_t *log_secrets(const json_t *c)
{
    return json_object_get(json_object_get(c, "logConfiguration"), "secretOptions");
}
static bool c_log_secrets_ssm(const json_t *c) { return secret_in(log_secrets(c), false); }
static bool c_log_secrets_asm(const json_t *c) { return secret_in(log_secrets(c), true); }

static bool firelens_type(const json_t *c, const char *type)
{
    const char *t = json_string_value(json_object_get(json_object_get(c, "firelensConfiguration"), "type"));
    return t && strcmp(t, type) == 0;
}
static bool c_fluentbit(const json_t *c) { return firelens_type(c, "fluentbit"); }
static bool c_fluentd(const json_t *c) { return firelens_type(c, "fluentd"); }

static bool any_container(const json_t *doc, container_pred p)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(doc, "containerDefinitions"), i, c) {
        if (p(c))
            return true;
    }
    return false;
}

static bool t_task_role(const json_t *doc) { return has(doc, "taskRoleArn"); }
static bool t_awsvpc(const json_t *doc)
{
    const char *m = json_string_value(json_object_get(doc, "networkMode"));
    return m && strcmp(m, "awsvpc") == 0;
}
static bool t_exec_role_awslogs(const json_t *doc)
{
    return has(doc, "executionRoleArn") && any_container(doc, c_awslogs);
}
static bool t_exec_role_ecr(const json_t *doc) { return has(doc, "executionRoleArn") && any_container(doc, c_ecr); }
static bool t_pid_ipc(const json_t *doc) { return has(doc, "pidMode") || has(doc, "ipcMode"); }
static bool any_volume_with(const json_t *doc, const char *member)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(doc, "volumes"), i, v) {
        if (has(v, member))
            return true;
    }
    return false;
}
static bool t_efs(const json_t *doc) { return any_volume_with(doc, "efsVolumeConfiguration"); }
static bool t_docker_volume(const json_t *doc) { return any_volume_with(doc, "dockerVolumeConfiguration"); }

/* In ECS's usual order: Docker API levels, then logging, then ECS features. */
static const struct {
    const char *name;
    container_pred container; /* true if any container matches */
    task_pred task;
} rules[] = {
    {"com.amazonaws.ecs.capability.ecr-auth", c_ecr, NULL},
    {"com.amazonaws.ecs.capability.docker-remote-api.1.18", c_remote_api_118, NULL},
    {"com.amazonaws.ecs.capability.docker-remote-api.1.19", c_awslogs, NULL},
    {"com.amazonaws.ecs.capability.docker-remote-api.1.21", c_memory_reservation, NULL},
    {"com.amazonaws.ecs.capability.docker-remote-api.1.24", c_health_check, NULL},
    {"com.amazonaws.ecs.capability.docker-remote-api.1.25", c_init_process, NULL},
    {"com.amazonaws.ecs.capability.docker-remote-api.1.25", NULL, t_docker_volume},
    {"com.amazonaws.ecs.capability.task-iam-role", NULL, t_task_role},
    {"com.amazonaws.ecs.capability.privileged-container", c_privileged, NULL},
    {"ecs.capability.execution-role-awslogs", NULL, t_exec_role_awslogs},
    {"ecs.capability.execution-role-ecr-pull", NULL, t_exec_role_ecr},
    {"ecs.capability.private-registry-authentication.secretsmanager", c_repo_creds, NULL},
    {"ecs.capability.secrets.ssm.environment-variables", c_secrets_ssm, NULL},
    {"ecs.capability.secrets.asm.environment-variables", c_secrets_asm, NULL},
    {"ecs.capability.secrets.ssm.bootstrap.log-driver", c_log_secrets_ssm, NULL},
    {"ecs.capability.secrets.asm.bootstrap.log-driver", c_log_secrets_asm, NULL},
    {"ecs.capability.env-files.s3", c_env_files, NULL},
    {"ecs.capability.container-health-check", c_health_check, NULL},
    {"ecs.capability.container-ordering", c_depends_on, NULL},
    {"ecs.capability.firelens.fluentbit", c_fluentbit, NULL},
    {"ecs.capability.firelens.fluentd", c_fluentd, NULL},
    {"ecs.capability.pid-ipc-namespace-sharing", NULL, t_pid_ipc},
    {"ecs.capability.efs", NULL, t_efs},
    {"ecs.capability.task-eni", NULL, t_awsvpc},
};

static bool listed(const json_t *list, const char *name)
{
    size_t i;
    json_t *a;
    json_array_foreach(list, i, a) {
        if (strcmp(json_string_value(json_object_get(a, "name")), name) == 0)
            return true;
    }
    return false;
}

static int add(json_t *list, const char *name)
{
    if (listed(list, name))
        return 0;
    return json_array_append_new(list, json_pack("{s:s}", "name", name));
}

json_t *taskdef_required_attributes(const json_t *doc)
{
    _cleanup_json_ json_t *list = json_array();
    if (!list)
        return NULL;
    for (size_t i = 0; i < ELEMENTSOF(rules); i++) {
        bool need = rules[i].container ? any_container(doc, rules[i].container) : rules[i].task(doc);
        if (need && add(list, rules[i].name) < 0)
            return NULL;
    }
    /* One attribute per log driver in use, as the agent reports them. */
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(doc, "containerDefinitions"), i, c) {
        const char *d = log_driver(c);
        char name[160];
        if (!d || strlen(d) > 64)
            continue;
        snprintf(name, sizeof(name), "com.amazonaws.ecs.capability.logging-driver.%s", d);
        if (add(list, name) < 0)
            return NULL;
    }
    return TAKE_PTR(list);
}
