/* agent_host.c - CPU, memory, attributes and a stable host identity. */
#include "agent/agent_host.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "common/cleanup.h"

void agent_host_resources(int64_t *ret_cpu, int64_t *ret_memory)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    struct sysinfo si;
    int64_t mem = 0;
    if (sysinfo(&si) == 0)
        mem = (int64_t)((unsigned long long)si.totalram * si.mem_unit / (1024 * 1024));
    *ret_cpu = (cpus > 0 ? cpus : 1) * 1024;
    *ret_memory = mem;
}

/* Capabilities a berth agent has, as ECS names them.  Task definitions
 * list some of these in requiresAttributes. */
static const char *const capabilities[] = {
    "com.amazonaws.ecs.capability.docker-remote-api.1.17",
    "com.amazonaws.ecs.capability.docker-remote-api.1.18",
    "com.amazonaws.ecs.capability.docker-remote-api.1.19",
    "com.amazonaws.ecs.capability.docker-remote-api.1.21",
    "com.amazonaws.ecs.capability.docker-remote-api.1.22",
    "com.amazonaws.ecs.capability.docker-remote-api.1.23",
    "com.amazonaws.ecs.capability.docker-remote-api.1.24",
    "com.amazonaws.ecs.capability.docker-remote-api.1.25",
    "com.amazonaws.ecs.capability.docker-remote-api.1.26",
    "com.amazonaws.ecs.capability.docker-remote-api.1.27",
    "com.amazonaws.ecs.capability.docker-remote-api.1.28",
    "com.amazonaws.ecs.capability.docker-remote-api.1.29",
    "com.amazonaws.ecs.capability.docker-remote-api.1.30",
    "com.amazonaws.ecs.capability.docker-remote-api.1.31",
    "com.amazonaws.ecs.capability.docker-remote-api.1.32",
    "com.amazonaws.ecs.capability.logging-driver.awslogs",
    "com.amazonaws.ecs.capability.logging-driver.json-file",
    "com.amazonaws.ecs.capability.logging-driver.none",
    "com.amazonaws.ecs.capability.task-iam-role",
    "ecs.capability.container-health-check",
    "ecs.capability.container-ordering",
    "ecs.capability.task-cpu-mem-limit",
    "ecs.capability.full-sync",
    "ecs.capability.env-files.s3",
    "ecs.capability.execution-role-awslogs",
    "ecs.capability.docker-plugin.local",
    "ecs.capability.private-registry-authentication.secretsmanager",
    "ecs.capability.secrets.ssm.environment-variables", /* task_secrets.c */
    "ecs.capability.secrets.asm.environment-variables",
    "ecs.capability.secrets.ssm.bootstrap.log-driver",
    "ecs.capability.secrets.asm.bootstrap.log-driver",
    "ecs.capability.task-eni", /* awsvpc: a namespace and address per task (network.c) */
};

json_t *agent_host_attributes(const char *az, const char *instance_type, bool privileged, json_t *extra)
{
    json_t *a = json_array();
    for (size_t i = 0; i < ELEMENTSOF(capabilities); i++)
        json_array_append_new(a, json_pack("{s:s}", "name", capabilities[i]));
    if (privileged)
        json_array_append_new(a, json_pack("{s:s}", "name", "com.amazonaws.ecs.capability.privileged-container"));
    json_array_append_new(a, json_pack("{s:s, s:s}", "name", "ecs.os-type", "value", "linux"));
    json_array_append_new(a, json_pack("{s:s, s:s}", "name", "ecs.os-family", "value", "LINUX"));
    json_array_append_new(a, json_pack("{s:s, s:s}", "name", "ecs.cpu-architecture", "value", "x86_64"));
    json_array_append_new(a, json_pack("{s:s, s:s}", "name", "ecs.availability-zone", "value", az));
    json_array_append_new(a, json_pack("{s:s, s:s}", "name", "ecs.instance-type", "value", instance_type));
    size_t i;
    json_t *e;
    json_array_foreach(extra, i, e) {
        /* A configured attribute replaces a built-in one of the same name. */
        const char *name = json_string_value(json_object_get(e, "name"));
        for (size_t k = 0; k < json_array_size(a); k++) {
            if (strcmp(json_string_value(json_object_get(json_array_get(a, k), "name")), name) == 0) {
                json_array_remove(a, k);
                break;
            }
        }
        json_array_append(a, e);
    }
    return a;
}

void agent_host_instance_id(const char *data_dir, char *buf, size_t cap)
{
    /* machine-id + data dir: stable across restarts, distinct per agent. */
    char machine[128] = "";
    _cleanup_fclose_ FILE *f = fopen("/etc/machine-id", "re");
    if (f && !fgets(machine, sizeof(machine), f))
        machine[0] = '\0';
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    char input[4300];
    snprintf(input, sizeof(input), "%s|%s", machine, data_dir);
    EVP_Digest(input, strlen(input), md, &len, EVP_sha256(), NULL);
    char hex[18];
    for (int i = 0; i < 9 && i * 2 < 17; i++)
        snprintf(hex + i * 2, sizeof(hex) - (size_t)i * 2, "%02x", md[i]);
    hex[17] = '\0';
    snprintf(buf, cap, "i-%s", hex);
}

json_t *agent_host_ipv4_attribute(const char *configured)
{
    char addr[INET_ADDRSTRLEN] = "";
    struct in_addr a;
    if (configured && *configured) {
        if (inet_pton(AF_INET, configured, &a) != 1)
            return NULL;
        snprintf(addr, sizeof(addr), "%s", configured);
    } else {
        /* A UDP socket "connected" to a public address sends nothing; its
         * local address is the one the default route would use. */
        _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons(53)}, self;
        socklen_t len = sizeof(self);
        inet_pton(AF_INET, "192.0.2.1", &dst.sin_addr); /* TEST-NET-1: never contacted */
        if (fd < 0 || connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0 ||
            getsockname(fd, (struct sockaddr *)&self, &len) < 0 || self.sin_addr.s_addr == htonl(INADDR_ANY) ||
            !inet_ntop(AF_INET, &self.sin_addr, addr, sizeof(addr)))
            return NULL;
    }
    return json_pack("{s:s, s:s}", "name", AGENT_HOST_IPV4_ATTRIBUTE, "value", addr);
}
