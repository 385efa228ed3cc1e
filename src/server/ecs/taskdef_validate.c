/* taskdef_validate.c - ECS's RegisterTaskDefinition rules and defaults.
 *
 * Turns a shape-validated request into the normalised TaskDefinition body
 * that berth stores and returns, or a ClientException naming the field at
 * fault.  Messages follow ECS's where they are known.  It does not assign
 * revisions, ARNs or timestamps (taskdefs.c does) and never sees the store. */
#include "server/ecs/taskdef_validate.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "server/ecs/resource_refs.h"
#include "server/http/api.h"
#include "common/cleanup.h"
#include "server/ecs/ecs_limits.h"
#include "server/ecs/taskdef_attrs.h"
#include "server/ecs/taskdef_units.h"

#define MAX_CONTAINERS 10
#define MAX_PLACEMENT_CONSTRAINTS 10

#define client_error(err, ...) error_set((err), API_ERR_CLIENT, __VA_ARGS__)

bool taskdef_name_ok(const char *s) { return resource_refs_name_ok(s, 255, "-_"); }

/* What the rules below need to know about the task as a whole. */
struct task_facts {
    const char *network_mode; /* as given, or NULL (ECS then uses bridge) */
    bool has_cpu, has_memory;
    long cpu, memory;
    bool ec2_rules;     /* EC2/EXTERNAL requested, or nothing requested */
    bool fargate_rules; /* FARGATE requested */
    json_t *containers; /* the normalised containers */
    json_t *volumes;
    bool host_pid; /* pidMode host */
    bool ipc_mode; /* any ipcMode: Fargate takes none */
};

static const char *effective_network_mode(const struct task_facts *t)
{
    return t->network_mode ? t->network_mode : "bridge";
}

static bool list_has(json_t *list, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) {
        if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
            return true;
    }
    return false;
}

static json_t *find_container(const struct task_facts *t, const char *name)
{
    size_t i;
    json_t *c;
    json_array_foreach(t->containers, i, c) {
        if (strcmp(json_string_value(json_object_get(c, "name")), name) == 0)
            return c;
    }
    return NULL;
}

static bool volume_declared(const struct task_facts *t, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach(t->volumes, i, v) {
        const char *n = json_string_value(json_object_get(v, "name"));
        if (n && strcmp(n, name) == 0)
            return true;
    }
    return false;
}

static bool is_true(json_t *v) { return json_is_true(v); }

/* Set member to value when it is absent (ECS's defaults). */
static void set_default(json_t *obj, const char *member, json_t *value)
{
    if (!json_object_get(obj, member))
        json_object_set_new(obj, member, value);
    else
        json_decref(value);
}

static int check_memory(const struct task_facts *t, json_t *c, const char *name, struct error *err)
{
    json_t *mem = json_object_get(c, "memory");
    json_t *res = json_object_get(c, "memoryReservation");
    if (t->ec2_rules && !t->has_memory && !mem && !res)
        return client_error(err,
                            "Invalid setting for container '%s'. At least one of 'memory' or "
                            "'memoryReservation' must be specified.",
                            name);
    if (mem && json_integer_value(mem) < TASKDEF_MIN_MIB)
        return client_error(err,
                            "Invalid 'memory' setting for container '%s'. The container memory must be at "
                            "least %d MiB.",
                            name, TASKDEF_MIN_MIB);
    if (res && json_integer_value(res) < TASKDEF_MIN_MIB)
        return client_error(err,
                            "Invalid 'memoryReservation' setting for container '%s'. The memory reservation "
                            "must be at least %d MiB.",
                            name, TASKDEF_MIN_MIB);
    if (mem && res && json_integer_value(res) > json_integer_value(mem))
        return client_error(err,
                            "Invalid setting for container '%s'. 'memory' must be greater than or equal to "
                            "'memoryReservation'.",
                            name);
    if (t->has_memory && mem && json_integer_value(mem) > t->memory)
        return client_error(err,
                            "Invalid 'memory' setting for container '%s'. The container memory (%lld MiB) "
                            "exceeds the task memory (%ld MiB).",
                            name, (long long)json_integer_value(mem), t->memory);
    if (t->has_memory && res && json_integer_value(res) > t->memory)
        return client_error(err,
                            "Invalid 'memoryReservation' setting for container '%s'. The memory reservation "
                            "(%lld MiB) exceeds the task memory (%ld MiB).",
                            name, (long long)json_integer_value(res), t->memory);
    json_t *cpu = json_object_get(c, "cpu");
    if (cpu && json_integer_value(cpu) < 0)
        return client_error(err, "Invalid 'cpu' setting for container '%s'. The value must not be negative.", name);
    return 0;
}

static bool port_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 64 || s[0] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!islower(c) && !isdigit(c) && c != '-' && c != '_')
            return false;
    }
    return true;
}

/* "first-last" with 1 <= first < last <= 65535. */
static bool port_range_ok(const char *s)
{
    char *end = NULL;
    long a = strtol(s, &end, 10);
    if (end == s || *end != '-' || !isdigit((unsigned char)s[0]))
        return false;
    const char *b_start = end + 1;
    if (!isdigit((unsigned char)*b_start))
        return false;
    long b = strtol(b_start, &end, 10);
    if (*end)
        return false;
    return a >= 1 && b <= 65535 && a < b;
}

static int check_port_mapping(const struct task_facts *t, json_t *pm, const char *name, struct error *err)
{
    const char *mode = effective_network_mode(t);
    json_t *cp = json_object_get(pm, "containerPort");
    json_t *hp = json_object_get(pm, "hostPort");
    const char *range = json_string_value(json_object_get(pm, "containerPortRange"));
    const char *pname = json_string_value(json_object_get(pm, "name"));
    if (!cp && !range)
        return client_error(err,
                            "Invalid 'portMappings' setting for container '%s'. Either 'containerPort' or "
                            "'containerPortRange' must be specified.",
                            name);
    if (cp && range)
        return client_error(err,
                            "Invalid 'portMappings' setting for container '%s'. 'containerPort' and "
                            "'containerPortRange' cannot both be specified.",
                            name);
    if (cp && (json_integer_value(cp) < 1 || json_integer_value(cp) > 65535))
        return client_error(err, "Invalid 'containerPort' setting for container '%s'. Valid ports are 1 to 65535.",
                            name);
    if (hp && (json_integer_value(hp) < 0 || json_integer_value(hp) > 65535))
        return client_error(err, "Invalid 'hostPort' setting for container '%s'. Valid ports are 0 to 65535.", name);
    if (pname && !port_name_ok(pname))
        return client_error(err,
                            "Invalid port mapping name '%.64s' in container '%s'. Names have up to 64 lowercase "
                            "letters, numbers, underscores and hyphens, and cannot start with a hyphen.",
                            pname, name);
    if (range) {
        if (!port_range_ok(range))
            return client_error(err,
                                "Invalid 'containerPortRange' setting for container '%s'. Specify a range "
                                "such as 8000-8010 of ports from 1 to 65535, the first lower than the last.",
                                name);
        if (strcmp(mode, "bridge") != 0 && strcmp(mode, "awsvpc") != 0)
            return client_error(err,
                                "Invalid 'containerPortRange' setting for container '%s'. Port ranges are "
                                "supported only in the bridge and awsvpc network modes.",
                                name);
        if (hp)
            return client_error(err,
                                "Invalid 'portMappings' setting for container '%s'. 'hostPort' cannot be "
                                "specified with 'containerPortRange'.",
                                name);
    } else if (strcmp(mode, "awsvpc") == 0 || strcmp(mode, "host") == 0) {
        /* No port translation in these modes: ECS fills hostPort itself. */
        if (hp && json_integer_value(hp) != json_integer_value(cp))
            return client_error(err,
                                "When networkMode=%s, the host ports and container ports in port mappings "
                                "must match.",
                                mode);
        json_object_set_new(pm, "hostPort", json_integer(json_integer_value(cp)));
    } else {
        /* bridge: an omitted host port is 0, a dynamic one. */
        set_default(pm, "hostPort", json_integer(0));
    }
    set_default(pm, "protocol", json_string("tcp"));
    return 0;
}

static int check_ports(const struct task_facts *t, json_t *c, const char *name, struct error *err)
{
    json_t *pms = json_object_get(c, "portMappings");
    if (json_array_size(pms) > 0 && strcmp(effective_network_mode(t), "none") == 0)
        return client_error(err,
                            "Invalid 'portMappings' setting for container '%s'. Port mappings are not "
                            "supported when networkMode=none.",
                            name);
    size_t i;
    json_t *pm;
    json_array_foreach(pms, i, pm) {
        if (check_port_mapping(t, pm, name, err) < 0)
            return -1;
    }
    return 0;
}

static int check_health(json_t *c, const char *name, struct error *err)
{
    static const struct {
        const char *member;
        int min, max, def; /* def < 0: no default filled */
    } limits[] = {
        {"interval", 5, 300, 30},
        {"timeout", 2, 60, 5},
        {"retries", 1, 10, 3},
        {"startPeriod", 0, 300, -1},
    };
    json_t *hc = json_object_get(c, "healthCheck");
    if (!hc)
        return 0;
    json_t *cmd = json_object_get(hc, "command");
    const char *first = json_string_value(json_array_get(cmd, 0));
    if (!first || (strcmp(first, "CMD") != 0 && strcmp(first, "CMD-SHELL") != 0 && strcmp(first, "NONE") != 0))
        return client_error(err,
                            "Invalid 'healthCheck' setting for container '%s'. 'command' must start with "
                            "CMD, CMD-SHELL or NONE.",
                            name);
    if (strcmp(first, "NONE") != 0 && json_array_size(cmd) < 2)
        return client_error(err,
                            "Invalid 'healthCheck' setting for container '%s'. 'command' needs a command "
                            "after %s.",
                            name, first);
    for (size_t i = 0; i < ELEMENTSOF(limits); i++) {
        json_t *v = json_object_get(hc, limits[i].member);
        if (v && (json_integer_value(v) < limits[i].min || json_integer_value(v) > limits[i].max))
            return client_error(err,
                                "Invalid 'healthCheck' setting for container '%s'. '%s' must be between %d and "
                                "%d.",
                                name, limits[i].member, limits[i].min, limits[i].max);
        if (!v && limits[i].def >= 0)
            json_object_set_new(hc, limits[i].member, json_integer(limits[i].def));
    }
    return 0;
}

/* restartPolicy as ECS bounds it: at most 50 ignoredExitCodes, a
 * restartAttemptPeriod of 60 to 1800 s (the agent's default is 300). */
static int check_restart_policy(json_t *c, const char *name, struct error *err)
{
    json_t *rp = json_object_get(c, "restartPolicy");
    if (!rp)
        return 0;
    if (json_array_size(json_object_get(rp, "ignoredExitCodes")) > 50)
        return client_error(err,
                            "Invalid 'restartPolicy' setting for container '%s'. 'ignoredExitCodes' can have at "
                            "most 50 exit codes.",
                            name);
    json_t *period = json_object_get(rp, "restartAttemptPeriod");
    if (period && (json_integer_value(period) < 60 || json_integer_value(period) > 1800))
        return client_error(err,
                            "Invalid 'restartPolicy' setting for container '%s'. 'restartAttemptPeriod' must be "
                            "between 60 and 1800 seconds.",
                            name);
    return 0;
}

static int check_depends_on(const struct task_facts *t, json_t *c, const char *name, struct error *err)
{
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(c, "dependsOn"), i, d) {
        const char *target = json_string_value(json_object_get(d, "containerName"));
        const char *cond = json_string_value(json_object_get(d, "condition"));
        if (strcmp(target, name) == 0)
            return client_error(err,
                                "Invalid 'dependsOn' setting for container '%s'. A container cannot depend on "
                                "itself.",
                                name);
        json_t *tc = find_container(t, target);
        if (!tc)
            return client_error(err,
                                "Invalid 'dependsOn' setting for container '%s'. Container '%.255s' is not "
                                "defined in the task definition.",
                                name, target);
        if (strcmp(cond, "HEALTHY") == 0 && !json_object_get(tc, "healthCheck"))
            return client_error(err,
                                "Invalid 'dependsOn' setting for container '%s'. The HEALTHY condition needs "
                                "a health check on container '%.255s'.",
                                name, target);
        if ((strcmp(cond, "COMPLETE") == 0 || strcmp(cond, "SUCCESS") == 0) &&
            is_true(json_object_get(tc, "essential")))
            return client_error(err,
                                "Invalid 'dependsOn' setting for container '%s'. The %s condition cannot be "
                                "set on essential container '%.255s'.",
                                name, cond, target);
    }
    return 0;
}

/* Depth-first search for a dependsOn cycle through container index i.
 * state: 0 unvisited, 1 on the current path, 2 done. */
static bool depends_cycle(const struct task_facts *t, size_t i, int *state)
{
    if (state[i] == 1)
        return true;
    if (state[i] == 2)
        return false;
    state[i] = 1;
    size_t k;
    json_t *d;
    json_array_foreach(json_object_get(json_array_get(t->containers, i), "dependsOn"), k, d) {
        const char *target = json_string_value(json_object_get(d, "containerName"));
        for (size_t j = 0; j < json_array_size(t->containers); j++) {
            const char *n = json_string_value(json_object_get(json_array_get(t->containers, j), "name"));
            if (strcmp(n, target) == 0 && depends_cycle(t, j, state))
                return true;
        }
    }
    state[i] = 2;
    return false;
}

static int check_volumes_refs(const struct task_facts *t, json_t *c, const char *name, struct error *err)
{
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(c, "mountPoints"), i, m) {
        const char *src = json_string_value(json_object_get(m, "sourceVolume"));
        const char *path = json_string_value(json_object_get(m, "containerPath"));
        if (!src || !*src)
            return client_error(err,
                                "Invalid 'mountPoints' setting for container '%s'. 'sourceVolume' must be "
                                "specified.",
                                name);
        if (!volume_declared(t, src))
            return client_error(err,
                                "Invalid 'mountPoints' setting for container '%s'. The source volume "
                                "'%.255s' is not declared in the task definition's volumes.",
                                name, src);
        if (!path || !*path)
            return client_error(err,
                                "Invalid 'mountPoints' setting for container '%s'. 'containerPath' must be "
                                "specified.",
                                name);
    }
    json_array_foreach(json_object_get(c, "volumesFrom"), i, m) {
        const char *src = json_string_value(json_object_get(m, "sourceContainer"));
        if (!src || !find_container(t, src) || strcmp(src, name) == 0)
            return client_error(err,
                                "Invalid 'volumesFrom' setting for container '%s'. 'sourceContainer' must name "
                                "another container of the task definition.",
                                name);
    }
    return 0;
}

static int check_links_and_hosts(const struct task_facts *t, json_t *c, const char *name, struct error *err)
{
    const char *mode = effective_network_mode(t);
    json_t *links = json_object_get(c, "links");
    if (json_array_size(links) > 0 && strcmp(mode, "bridge") != 0)
        return client_error(err,
                            "Invalid 'links' setting for container '%s'. Links are supported only when "
                            "networkMode=bridge.",
                            name);
    size_t i;
    json_t *l;
    json_array_foreach(links, i, l) {
        const char *s = json_string_value(l);
        const char *colon = strchr(s, ':');
        size_t n = colon ? (size_t)(colon - s) : strlen(s);
        char target[256];
        if (n == 0 || n >= sizeof(target))
            return client_error(err, "Invalid 'links' setting for container '%s'.", name);
        memcpy(target, s, n);
        target[n] = '\0';
        if (strcmp(target, name) == 0 || !find_container(t, target))
            return client_error(err,
                                "Invalid 'links' setting for container '%s'. '%.255s' is not another container "
                                "of the task definition.",
                                name, target);
    }
    if (strcmp(mode, "awsvpc") == 0 && json_object_get(c, "hostname"))
        return client_error(err,
                            "Invalid 'hostname' setting for container '%s'. hostname is not supported when "
                            "networkMode=awsvpc.",
                            name);
    if (strcmp(mode, "awsvpc") == 0 && json_array_size(json_object_get(c, "extraHosts")) > 0)
        return client_error(err,
                            "Invalid 'extraHosts' setting for container '%s'. extraHosts is not supported when "
                            "networkMode=awsvpc.",
                            name);
    return 0;
}

/* Copy the containers, check names and images, fill ECS's defaults. */
static int normalise_containers(json_t *in, json_t **ret_list, struct error *err)
{
    size_t n = json_array_size(in);
    if (n < 1 || n > MAX_CONTAINERS)
        return client_error(err, "A task definition must have between 1 and %d container definitions.", MAX_CONTAINERS);
    _cleanup_json_ json_t *list = json_array();
    if (!list)
        return error_set(err, ERR_INTERNAL, "out of memory");
    size_t i;
    json_t *c;
    json_array_foreach(in, i, c) {
        const char *name = json_string_value(json_object_get(c, "name"));
        const char *image = json_string_value(json_object_get(c, "image"));
        if (!name || !*name)
            return client_error(err, "Container.name should not be null or empty.");
        if (!taskdef_name_ok(name))
            return client_error(err,
                                "Container name '%.255s' is invalid. Up to 255 letters (uppercase and lowercase), "
                                "numbers, hyphens, and underscores are allowed.",
                                name);
        if (!image || !*image)
            return client_error(err, "Container.image should not be null or empty.");
        for (size_t j = 0; j < i; j++) {
            const char *other = json_string_value(json_object_get(json_array_get(in, j), "name"));
            if (strcmp(other, name) == 0)
                return client_error(err, "Duplicate container name '%s' in the task definition.", name);
        }
        json_t *copy = json_deep_copy(c);
        if (!copy || json_array_append_new(list, copy) < 0)
            return error_set(err, ERR_INTERNAL, "out of memory");
        /* ECS returns these on every container, set or not. */
        set_default(copy, "cpu", json_integer(0));
        set_default(copy, "portMappings", json_array());
        set_default(copy, "essential", json_true());
        set_default(copy, "environment", json_array());
        set_default(copy, "mountPoints", json_array());
        set_default(copy, "volumesFrom", json_array());
    }
    *ret_list = TAKE_PTR(list);
    return 0;
}

static int check_volumes(json_t *volumes, struct error *err)
{
    size_t i;
    json_t *v;
    json_array_foreach(volumes, i, v) {
        const char *name = json_string_value(json_object_get(v, "name"));
        if (!name)
            continue;
        if (!taskdef_name_ok(name))
            return client_error(err,
                                "Volume name '%.255s' is invalid. Up to 255 letters (uppercase and lowercase), "
                                "numbers, hyphens, and underscores are allowed.",
                                name);
        for (size_t j = 0; j < i; j++) {
            const char *other = json_string_value(json_object_get(json_array_get(volumes, j), "name"));
            if (other && strcmp(other, name) == 0)
                return client_error(err, "Duplicate volume name '%s' in the task definition.", name);
        }
    }
    return 0;
}

static int check_placement(json_t *constraints, struct error *err)
{
    if (json_array_size(constraints) > MAX_PLACEMENT_CONSTRAINTS)
        return client_error(err, "A task definition can have at most %d placement constraints.",
                            MAX_PLACEMENT_CONSTRAINTS);
    size_t i;
    json_t *c;
    json_array_foreach(constraints, i, c) {
        const char *expr = json_string_value(json_object_get(c, "expression"));
        if (!expr || !*expr)
            return client_error(err, "Placement constraints of type memberOf require an expression.");
    }
    return 0;
}

/* Fargate's task sizes: for each cpu, memory from lo to hi in steps. */
static bool fargate_size_ok(long cpu, long mem)
{
    static const struct {
        long cpu, lo, hi, step;
    } sizes[] = {
        {256, 512, 512, 1},        {256, 1024, 2048, 1024},   {512, 1024, 4096, 1024},    {1024, 2048, 8192, 1024},
        {2048, 4096, 16384, 1024}, {4096, 8192, 30720, 1024}, {8192, 16384, 61440, 4096}, {16384, 32768, 122880, 8192},
    };
    for (size_t i = 0; i < ELEMENTSOF(sizes); i++)
        if (sizes[i].cpu == cpu && mem >= sizes[i].lo && mem <= sizes[i].hi && (mem - sizes[i].lo) % sizes[i].step == 0)
            return true;
    return false;
}

static bool uses_awslogs(const struct task_facts *t)
{
    size_t i;
    json_t *c;
    json_array_foreach(t->containers, i, c) {
        const char *d = json_string_value(json_object_get(json_object_get(c, "logConfiguration"), "logDriver"));
        if (d && strcmp(d, "awslogs") == 0)
            return true;
    }
    return false;
}

/* Whether the definition could run on Fargate (ECS lists FARGATE in
 * `compatibilities` when it could). */
static bool fargate_compatible(const struct task_facts *t)
{
    if (strcmp(effective_network_mode(t), "awsvpc") != 0 || !t->has_cpu || !t->has_memory ||
        !fargate_size_ok(t->cpu, t->memory) || t->host_pid || t->ipc_mode)
        return false;
    size_t i;
    json_t *v;
    json_array_foreach(t->containers, i, v) {
        if (is_true(json_object_get(v, "privileged")))
            return false;
    }
    json_array_foreach(t->volumes, i, v) {
        if (json_object_get(v, "dockerVolumeConfiguration") ||
            json_object_get(json_object_get(v, "host"), "sourcePath"))
            return false;
    }
    return true;
}

static int check_fargate(const struct task_facts *t, json_t *req, struct error *err)
{
    if (strcmp(effective_network_mode(t), "awsvpc") != 0)
        return client_error(err, "Fargate only supports network mode 'awsvpc'.");
    if (!t->has_cpu)
        return client_error(err, "Fargate requires that 'cpu' be defined at the task level.");
    if (!t->has_memory)
        return client_error(err, "Fargate requires that 'memory' be defined at the task level.");
    if (!fargate_size_ok(t->cpu, t->memory))
        return client_error(err, "No Fargate configuration exists for given values: %ld CPU, %ld memory.", t->cpu,
                            t->memory);
    if (t->host_pid)
        return client_error(err, "Tasks using the Fargate launch type do not support pidMode 'host'. The supported "
                                 "value for pidMode is 'task'.");
    if (t->ipc_mode)
        return client_error(err, "Tasks using the Fargate launch type do not support ipcMode.");
    if (uses_awslogs(t) && !json_object_get(req, "executionRoleArn"))
        return client_error(err, "Fargate requires task definition to have execution role ARN to support log "
                                 "driver awslogs.");
    if (!fargate_compatible(t))
        return client_error(err, "Task definition does not support launch_type FARGATE.");
    return 0;
}

static json_t *compatibilities(const struct task_facts *t, json_t *requested)
{
    json_t *list = json_array();
    bool awsvpc = strcmp(effective_network_mode(t), "awsvpc") == 0;
    /* EXTERNAL instances have no ENIs to give awsvpc tasks. */
    if (!awsvpc)
        json_array_append_new(list, json_string("EXTERNAL"));
    json_array_append_new(list, json_string("EC2"));
    if (fargate_compatible(t))
        json_array_append_new(list, json_string("FARGATE"));
    if (list_has(requested, "MANAGED_INSTANCES"))
        json_array_append_new(list, json_string("MANAGED_INSTANCES"));
    return list;
}

static int task_size(json_t *req, struct task_facts *t, json_t *doc, struct error *err)
{
    const char *cpu = json_string_value(json_object_get(req, "cpu"));
    const char *mem = json_string_value(json_object_get(req, "memory"));
    char buf[32];
    if (cpu) {
        if (taskdef_parse_cpu(cpu, &t->cpu, err) < 0)
            return -1;
        t->has_cpu = true;
        snprintf(buf, sizeof(buf), "%ld", t->cpu);
        json_object_set_new(doc, "cpu", json_string(buf));
    }
    if (mem) {
        if (taskdef_parse_memory(mem, &t->memory, err) < 0)
            return -1;
        t->has_memory = true;
        snprintf(buf, sizeof(buf), "%ld", t->memory);
        json_object_set_new(doc, "memory", json_string(buf));
    }
    return 0;
}

/* The containers' reservations must fit in the task's size, when it has one. */
static int check_totals(const struct task_facts *t, struct error *err)
{
    long long cpu = 0, mem = 0;
    size_t i;
    json_t *c;
    json_array_foreach(t->containers, i, c) {
        json_t *res = json_object_get(c, "memoryReservation");
        cpu += json_integer_value(json_object_get(c, "cpu"));
        mem += json_integer_value(res ? res : json_object_get(c, "memory"));
    }
    if (t->has_cpu && cpu > t->cpu)
        return client_error(err,
                            "Invalid 'cpu' setting for task. The containers reserve %lld CPU units, more than "
                            "the task's %ld.",
                            cpu, t->cpu);
    if (t->has_memory && mem > t->memory)
        return client_error(err,
                            "Invalid 'memory' setting for task. The containers reserve %lld MiB, more than the "
                            "task's %ld MiB.",
                            mem, t->memory);
    return 0;
}

static int check_containers(struct task_facts *t, struct error *err)
{
    size_t i;
    json_t *c;
    bool essential = false;
    json_array_foreach(t->containers, i, c) {
        const char *name = json_string_value(json_object_get(c, "name"));
        if (is_true(json_object_get(c, "essential")))
            essential = true;
        if (check_memory(t, c, name, err) < 0 || check_ports(t, c, name, err) < 0 || check_health(c, name, err) < 0 ||
            check_restart_policy(c, name, err) < 0 || check_volumes_refs(t, c, name, err) < 0 ||
            check_links_and_hosts(t, c, name, err) < 0)
            return -1;
    }
    if (check_totals(t, err) < 0)
        return -1;
    if (!essential)
        return client_error(err, "Invalid setting for containers. At least one container must be marked essential.");
    /* dependsOn last: HEALTHY needs the targets' health checks in place. */
    json_array_foreach(t->containers, i, c) {
        if (check_depends_on(t, c, json_string_value(json_object_get(c, "name")), err) < 0)
            return -1;
    }
    int state[MAX_CONTAINERS] = {0};
    for (i = 0; i < json_array_size(t->containers); i++)
        if (depends_cycle(t, i, state))
            return client_error(err, "Invalid 'dependsOn' setting. Container dependencies must not form a cycle.");
    return 0;
}

static int check_task_members(json_t *req, const struct task_facts *t, struct error *err)
{
    json_t *proxy = json_object_get(req, "proxyConfiguration");
    const char *pc = json_string_value(json_object_get(proxy, "containerName"));
    if (proxy && !find_container(t, pc))
        return client_error(err, "Invalid 'proxyConfiguration' setting. 'containerName' must name a container of the "
                                 "task definition.");
    json_t *eph = json_object_get(json_object_get(req, "ephemeralStorage"), "sizeInGiB");
    if (eph && (json_integer_value(eph) < 21 || json_integer_value(eph) > 200))
        return client_error(err, "Invalid 'ephemeralStorage' setting. 'sizeInGiB' must be between 21 and 200.");
    if (list_has(json_object_get(req, "requiresCompatibilities"), "EXTERNAL") &&
        strcmp(effective_network_mode(t), "awsvpc") == 0)
        return client_error(err, "Task definition does not support launch_type EXTERNAL with networkMode=awsvpc.");
    return 0;
}

int taskdef_validate(json_t *req, json_t **ret_doc, struct error *err)
{
    /* ECS measures the definition as sent; ours is re-encoded compactly,
     * which can only be smaller. */
    _cleanup_free_ char *text = json_dumps(req, JSON_COMPACT);
    if (!text)
        return error_set(err, ERR_INTERNAL, "out of memory");
    size_t len = strlen(text);
    if (len > LIMIT_TASKDEF_BYTES)
        return client_error(err, "Actual length: '%zu'. Max allowed length is %u bytes.", len, LIMIT_TASKDEF_BYTES);

    const char *family = json_string_value(json_object_get(req, "family"));
    if (!taskdef_name_ok(family))
        return client_error(err, "Family contains invalid characters. Up to 255 letters (uppercase and lowercase), "
                                 "numbers, hyphens, and underscores are allowed.");
    json_t *requested = json_object_get(req, "requiresCompatibilities");
    struct task_facts t = {
        .network_mode = json_string_value(json_object_get(req, "networkMode")),
        .ec2_rules = !requested || json_array_size(requested) == 0 || list_has(requested, "EC2") ||
                     list_has(requested, "EXTERNAL"),
        .fargate_rules = list_has(requested, "FARGATE"),
        .volumes = json_object_get(req, "volumes"),
        .host_pid = json_string_value(json_object_get(req, "pidMode")) &&
                    strcmp(json_string_value(json_object_get(req, "pidMode")), "host") == 0,
        .ipc_mode = json_object_get(req, "ipcMode") != NULL,
    };
    _cleanup_json_ json_t *containers = NULL;
    if (normalise_containers(json_object_get(req, "containerDefinitions"), &containers, err) < 0)
        return -1;
    t.containers = containers;

    _cleanup_json_ json_t *doc = json_object();
    if (!doc)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (task_size(req, &t, doc, err) < 0 || check_volumes(t.volumes, err) < 0 ||
        check_placement(json_object_get(req, "placementConstraints"), err) < 0 || check_containers(&t, err) < 0 ||
        check_task_members(req, &t, err) < 0)
        return -1;
    if (t.fargate_rules && check_fargate(&t, req, err) < 0)
        return -1;

    json_object_set(doc, "containerDefinitions", containers);
    json_object_set_new(doc, "family", json_string(family));
    static const char *const passthrough[] = {
        "taskRoleArn",           "executionRoleArn", "networkMode", "runtimePlatform",    "requiresCompatibilities",
        "inferenceAccelerators", "pidMode",          "ipcMode",     "proxyConfiguration", "ephemeralStorage",
        "enableFaultInjection",
    };
    for (size_t i = 0; i < ELEMENTSOF(passthrough); i++) {
        json_t *v = json_object_get(req, passthrough[i]);
        if (v)
            json_object_set(doc, passthrough[i], v);
    }
    /* ECS echoes the defaults it applies: bridge, and an EFS volume's "/". */
    if (!json_object_get(doc, "networkMode"))
        json_object_set_new(doc, "networkMode", json_string(effective_network_mode(&t)));
    json_t *volumes = json_object_get(req, "volumes");
    json_object_set_new(doc, "volumes", volumes ? json_deep_copy(volumes) : json_array());
    size_t vi;
    json_t *vol;
    json_array_foreach(json_object_get(doc, "volumes"), vi, vol) {
        json_t *efs = json_object_get(vol, "efsVolumeConfiguration");
        if (efs && !json_object_get(efs, "rootDirectory"))
            json_object_set_new(efs, "rootDirectory", json_string("/"));
    }
    json_t *pcs = json_object_get(req, "placementConstraints");
    json_object_set_new(doc, "placementConstraints", pcs ? json_deep_copy(pcs) : json_array());
    json_object_set_new(doc, "compatibilities", compatibilities(&t, requested));
    json_t *attrs = taskdef_required_attributes(doc);
    if (!attrs)
        return error_set(err, ERR_INTERNAL, "out of memory");
    /* ECS leaves the member out when nothing is required. */
    if (json_array_size(attrs) > 0)
        json_object_set_new(doc, "requiresAttributes", attrs);
    else
        json_decref(attrs);
    *ret_doc = TAKE_PTR(doc);
    return 0;
}
