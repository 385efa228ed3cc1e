/* ecs_authz_taskdef.c - the condition keys of a RegisterTaskDefinition:
 * ECS's own (ecs:privileged, ecs:compute-compatibility, ecs:task-cpu,
 * ecs:task-memory) and berth's keys for the other ways a task definition
 * reaches into its host, which ECS has no key for:
 *
 *   berth:host-path-volumes  each volume's host.sourcePath
 *   berth:added-capabilities each capability a container adds
 *                            (linuxParameters.capabilities.add)
 *   berth:devices            each device's hostPath (linuxParameters.devices)
 *   berth:host-namespaces    "network", "pid", "ipc" for networkMode,
 *                            pidMode, ipcMode "host"
 *
 * A key is absent when the request asks for none of it, so a policy denies
 * any with {"Null": {"berth:devices": "false"}} or some with
 * ForAnyValue:StringLike. */
#include <string.h>

#include "server/ecs/ecs_authz_util.h"

/* Each string of array, as values of name. */
static void each_string(struct authz_req *req, const char *name, json_t *array)
{
    size_t i;
    json_t *v;
    json_array_foreach(array, i, v) {
        if (json_is_string(v))
            authz_key(req, name, json_string_value(v));
    }
}

static void host_namespace(struct authz_req *req, json_t *in, const char *member, const char *name)
{
    const char *mode = json_string_value(json_object_get(in, member));
    if (mode && strcmp(mode, "host") == 0)
        authz_key(req, "berth:host-namespaces", name);
}

static void container_keys(struct authz_req *req, json_t *c, bool *privileged)
{
    if (json_is_true(json_object_get(c, "privileged")))
        *privileged = true;
    json_t *linux_params = json_object_get(c, "linuxParameters");
    each_string(req, "berth:added-capabilities", json_object_get(json_object_get(linux_params, "capabilities"), "add"));
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(linux_params, "devices"), i, d) {
        const char *host = json_string_value(json_object_get(d, "hostPath"));
        if (host)
            authz_key(req, "berth:devices", host);
    }
}

void ecs_authz_taskdef_keys(struct authz_req *req, json_t *in)
{
    bool privileged = false;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(in, "containerDefinitions"), i, c)
        container_keys(req, c, &privileged);
    authz_key(req, "ecs:privileged", privileged ? "true" : "false");
    each_string(req, "ecs:compute-compatibility", json_object_get(in, "requiresCompatibilities"));
    const char *cpu = json_string_value(json_object_get(in, "cpu"));
    const char *memory = json_string_value(json_object_get(in, "memory"));
    if (cpu)
        authz_key(req, "ecs:task-cpu", cpu);
    if (memory)
        authz_key(req, "ecs:task-memory", memory);
    json_t *v;
    json_array_foreach(json_object_get(in, "volumes"), i, v) {
        const char *source = json_string_value(json_object_get(json_object_get(v, "host"), "sourcePath"));
        if (source)
            authz_key(req, "berth:host-path-volumes", source);
    }
    host_namespace(req, in, "networkMode", "network");
    host_namespace(req, in, "pidMode", "pid");
    host_namespace(req, in, "ipcMode", "ipc");
}
