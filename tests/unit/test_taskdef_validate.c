/* Unit tests: task definition unit parsing, ECS's registration rules and
 * defaults, and requiresAttributes. */
#include <jansson.h>

#include "server/http/api.h"
#include "server/ecs/taskdef_attrs.h"
#include "server/ecs/taskdef_units.h"
#include "server/ecs/taskdef_validate.h"
#include "test.h"

static long cpu_of(const char *s)
{
    long v = -1;
    struct error err;
    if (taskdef_parse_cpu(s, &v, &err) < 0)
        return -1;
    return v;
}

static long mem_of(const char *s)
{
    long v = -1;
    struct error err;
    if (taskdef_parse_memory(s, &v, &err) < 0)
        return -1;
    return v;
}

TEST(taskdef_cpu_units)
{
    CHECK(cpu_of("1024") == 1024);
    CHECK(cpu_of("256") == 256);
    CHECK(cpu_of("1 vCPU") == 1024);
    CHECK(cpu_of("1 vcpu") == 1024);
    CHECK(cpu_of("0.5 vcpu") == 512);
    CHECK(cpu_of(".25 vCPU") == 256);
    CHECK(cpu_of("2vcpu") == 2048);
    CHECK(cpu_of(" 4 vCPU ") == 4096);
    CHECK(cpu_of("192 vCPU") == 196608);
    CHECK(cpu_of("") == -1);
    CHECK(cpu_of("abc") == -1);
    CHECK(cpu_of("100") == -1);      /* below 128 units */
    CHECK(cpu_of("200 vCPU") == -1); /* above 192 vCPUs */
    CHECK(cpu_of("512.5") == -1);    /* units are whole */
    CHECK(cpu_of("1 GHz") == -1);
    CHECK(cpu_of("1 vCPU extra") == -1);
    CHECK(cpu_of("-1024") == -1);
    struct error err;
    long v;
    CHECK(taskdef_parse_cpu("x", &v, &err) == -1);
    CHECK(err.kind == API_ERR_CLIENT);
    CHECK(strstr(err.msg, "Invalid 'cpu' setting for task.") != NULL);
}

TEST(taskdef_memory_units)
{
    CHECK(mem_of("512") == 512);
    CHECK(mem_of("2 GB") == 2048);
    CHECK(mem_of("2GB") == 2048);
    CHECK(mem_of("1 gb") == 1024);
    CHECK(mem_of("0.5 GB") == 512);
    CHECK(mem_of("1.5 GiB") == 1536);
    CHECK(mem_of("512 MiB") == 512);
    CHECK(mem_of("512 MB") == 512);
    CHECK(mem_of("512.5") == -1);
    CHECK(mem_of("1.0001 GB") == -1); /* not a whole number of MiB */
    CHECK(mem_of("4") == -1);         /* below the container minimum */
    CHECK(mem_of("1 TB") == -1);
    CHECK(mem_of("GB") == -1);
    CHECK(mem_of("99999999999999") == -1);
    struct error err;
    long v;
    CHECK(taskdef_parse_memory("lots", &v, &err) == -1);
    CHECK(strstr(err.msg, "Invalid 'memory' setting for task.") != NULL);
}

TEST(taskdef_names)
{
    CHECK(taskdef_name_ok("web"));
    CHECK(taskdef_name_ok("Web_app-2"));
    CHECK(!taskdef_name_ok(""));
    CHECK(!taskdef_name_ok("a b"));
    CHECK(!taskdef_name_ok("a:1"));
    CHECK(!taskdef_name_ok(NULL));
    char long_name[300];
    memset(long_name, 'a', sizeof(long_name));
    long_name[255] = '\0';
    CHECK(taskdef_name_ok(long_name));
    long_name[255] = 'a';
    long_name[256] = '\0';
    CHECK(!taskdef_name_ok(long_name));
}

/* Validate a request given as JSON text; returns the result code and fills
 * *ret_doc (caller decrefs) or err. */
static int run(const char *text, json_t **ret_doc, struct error *err)
{
    json_error_t jerr;
    json_t *req = json_loads(text, 0, &jerr);
    if (!req) {
        fprintf(stderr, "  bad test JSON: %s\n", jerr.text);
        return -2;
    }
    json_t *doc = NULL;
    int r = taskdef_validate(req, &doc, err);
    json_decref(req);
    if (ret_doc)
        *ret_doc = doc;
    else
        json_decref(doc);
    return r;
}

/* Expect a ClientException whose message contains want. */
static int rejects(const char *text, const char *want)
{
    struct error err;
    error_clear(&err);
    int r = run(text, NULL, &err);
    if (r != -1 || err.kind != API_ERR_CLIENT || !strstr(err.msg, want)) {
        fprintf(stderr, "  expected ClientException with \"%s\", got r=%d kind=%d \"%s\"\n", want, r, err.kind,
                err.msg);
        return 0;
    }
    return 1;
}

#define C1 "\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"i\",\"memory\":64"

TEST(taskdef_defaults)
{
    struct error err;
    json_t *doc = NULL;
    CHECK(run("{\"family\":\"f\"," C1 ",\"portMappings\":[{\"containerPort\":80}]}]}", &doc, &err) == 0);
    json_t *c = json_array_get(json_object_get(doc, "containerDefinitions"), 0);
    CHECK(json_is_true(json_object_get(c, "essential")));
    CHECK(json_integer_value(json_object_get(c, "cpu")) == 0);
    CHECK(json_array_size(json_object_get(c, "environment")) == 0 && json_object_get(c, "environment"));
    CHECK(json_is_array(json_object_get(c, "mountPoints")));
    CHECK(json_is_array(json_object_get(c, "volumesFrom")));
    json_t *pm = json_array_get(json_object_get(c, "portMappings"), 0);
    CHECK_STR(json_string_value(json_object_get(pm, "protocol")), "tcp");
    /* bridge (the default mode): an omitted host port is dynamic, 0. */
    CHECK(json_integer_value(json_object_get(pm, "hostPort")) == 0);
    CHECK_STR(json_string_value(json_object_get(doc, "networkMode")), "bridge"); /* ECS echoes its default */
    CHECK(json_is_array(json_object_get(doc, "volumes")));
    CHECK(json_is_array(json_object_get(doc, "placementConstraints")));
    json_t *compat = json_object_get(doc, "compatibilities");
    CHECK(json_array_size(compat) == 2);
    CHECK_STR(json_string_value(json_array_get(compat, 0)), "EXTERNAL");
    CHECK_STR(json_string_value(json_array_get(compat, 1)), "EC2");
    CHECK(json_object_get(doc, "requiresAttributes") == NULL);
    json_decref(doc);
}

TEST(taskdef_awsvpc_fills_host_port_and_fargate)
{
    struct error err;
    json_t *doc = NULL;
    CHECK(
        run("{\"family\":\"f\",\"networkMode\":\"awsvpc\",\"cpu\":\"0.25 vcpu\",\"memory\":\"0.5 GB\","
            "\"requiresCompatibilities\":[\"FARGATE\"],"
            "\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"i\",\"portMappings\":[{\"containerPort\":8080}]}]}",
            &doc, &err) == 0);
    if (!doc)
        return;
    json_t *pm = json_array_get(
        json_object_get(json_array_get(json_object_get(doc, "containerDefinitions"), 0), "portMappings"), 0);
    CHECK(json_integer_value(json_object_get(pm, "hostPort")) == 8080);
    CHECK_STR(json_string_value(json_object_get(doc, "cpu")), "256");
    CHECK_STR(json_string_value(json_object_get(doc, "memory")), "512");
    json_t *compat = json_object_get(doc, "compatibilities");
    CHECK(json_array_size(compat) == 2);
    CHECK_STR(json_string_value(json_array_get(compat, 0)), "EC2");
    CHECK_STR(json_string_value(json_array_get(compat, 1)), "FARGATE");
    json_t *attrs = json_object_get(doc, "requiresAttributes");
    CHECK(json_array_size(attrs) == 1);
    CHECK_STR(json_string_value(json_object_get(json_array_get(attrs, 0), "name")), "ecs.capability.task-eni");
    json_decref(doc);
}

TEST(taskdef_container_rules)
{
    CHECK(rejects("{\"family\":\"bad family\"," C1 "}]}", "Family"));
    CHECK(rejects("{\"family\":\"f\",\"containerDefinitions\":[]}", "between 1 and 10"));
    CHECK(rejects("{\"family\":\"f\",\"containerDefinitions\":[{\"name\":\"a\",\"memory\":64}]}",
                  "Container.image should not be null or empty."));
    CHECK(rejects("{\"family\":\"f\",\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"\",\"memory\":64}]}",
                  "Container.image should not be null or empty."));
    CHECK(rejects("{\"family\":\"f\",\"containerDefinitions\":[{\"image\":\"i\",\"memory\":64}]}",
                  "Container.name should not be null or empty."));
    CHECK(rejects("{\"family\":\"f\",\"containerDefinitions\":[{\"name\":\"a b\",\"image\":\"i\",\"memory\":64}]}",
                  "Container name"));
    CHECK(rejects("{\"family\":\"f\"," C1 "},{\"name\":\"a\",\"image\":\"i\",\"memory\":64}]}", "Duplicate container"));
    CHECK(rejects("{\"family\":\"f\"," C1 ",\"essential\":false}]}", "essential"));
    char eleven[2048] = "{\"family\":\"f\",\"containerDefinitions\":[";
    for (int i = 0; i < 11; i++) {
        char one[80];
        snprintf(one, sizeof(one), "%s{\"name\":\"c%d\",\"image\":\"i\",\"memory\":8}", i ? "," : "", i);
        strncat(eleven, one, sizeof(eleven) - strlen(eleven) - 1);
    }
    strncat(eleven, "]}", sizeof(eleven) - strlen(eleven) - 1);
    CHECK(rejects(eleven, "between 1 and 10"));
}

TEST(taskdef_memory_rules)
{
    CHECK(rejects("{\"family\":\"f\",\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"i\"}]}",
                  "At least one of 'memory' or 'memoryReservation' must be specified."));
    /* Task-level memory makes container memory optional. */
    CHECK(run("{\"family\":\"f\",\"memory\":\"512\",\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"i\"}]}", NULL,
              NULL) == 0);
    CHECK(run("{\"family\":\"f\",\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"i\",\"memoryReservation\":6}]}",
              NULL, NULL) == 0);
    CHECK(rejects("{\"family\":\"f\",\"containerDefinitions\":[{\"name\":\"a\",\"image\":\"i\",\"memory\":5}]}",
                  "at least 6 MiB"));
    CHECK(rejects("{\"family\":\"f\"," C1 ",\"memoryReservation\":128}]}", "greater than or equal to"));
    CHECK(run("{\"family\":\"f\"," C1 ",\"memoryReservation\":64}]}", NULL, NULL) == 0);
    CHECK(rejects("{\"family\":\"f\",\"memory\":\"32\"," C1 "}]}", "exceeds the task memory"));
    CHECK(rejects("{\"family\":\"f\",\"cpu\":\"lots\"," C1 "}]}", "Invalid 'cpu' setting for task."));
    /* Two containers of 64 MiB do not fit a 100 MiB task; reservations count first. */
    CHECK(rejects("{\"family\":\"f\",\"memory\":\"100\"," C1 "},{\"name\":\"b\",\"image\":\"i\",\"memory\":64}]}",
                  "The containers reserve 128 MiB"));
    CHECK(run("{\"family\":\"f\",\"memory\":\"100\"," C1 ",\"memoryReservation\":32},"
              "{\"name\":\"b\",\"image\":\"i\",\"memory\":64}]}",
              NULL, NULL) == 0);
    CHECK(rejects("{\"family\":\"f\",\"cpu\":\"256\"," C1 ",\"cpu\":200},{\"name\":\"b\",\"image\":\"i\","
                  "\"memory\":8,\"cpu\":100}]}",
                  "The containers reserve 300 CPU units"));
    CHECK(rejects("{\"family\":\"f\",\"memory\":\"lots\"," C1 "}]}", "Invalid 'memory' setting for task."));
}

TEST(taskdef_port_rules)
{
    CHECK(rejects("{\"family\":\"f\",\"networkMode\":\"awsvpc\"," C1
                  ",\"portMappings\":[{\"containerPort\":80,\"hostPort\":81}]}]}",
                  "When networkMode=awsvpc, the host ports and container ports in port mappings must match."));
    CHECK(rejects("{\"family\":\"f\",\"networkMode\":\"host\"," C1
                  ",\"portMappings\":[{\"containerPort\":80,\"hostPort\":81}]}]}",
                  "When networkMode=host"));
    CHECK(rejects("{\"family\":\"f\",\"networkMode\":\"none\"," C1 ",\"portMappings\":[{\"containerPort\":80}]}]}",
                  "networkMode=none"));
    CHECK(rejects("{\"family\":\"f\"," C1 ",\"portMappings\":[{\"containerPort\":0}]}]}", "containerPort"));
    CHECK(rejects("{\"family\":\"f\"," C1 ",\"portMappings\":[{\"containerPort\":70000}]}]}", "containerPort"));
    CHECK(rejects("{\"family\":\"f\"," C1 ",\"portMappings\":[{\"protocol\":\"udp\"}]}]}", "containerPortRange"));
    CHECK(rejects("{\"family\":\"f\"," C1 ",\"portMappings\":[{\"containerPortRange\":\"90-80\"}]}]}",
                  "containerPortRange"));
    CHECK(rejects("{\"family\":\"f\",\"networkMode\":\"host\"," C1
                  ",\"portMappings\":[{\"containerPortRange\":\"80-90\"}]}]}",
                  "bridge and awsvpc"));
    CHECK(rejects("{\"family\":\"f\"," C1 ",\"portMappings\":[{\"containerPort\":80,\"name\":\"-x\"}]}]}",
                  "port mapping name"));
    CHECK(run("{\"family\":\"f\"," C1 ",\"portMappings\":[{\"containerPortRange\":\"8000-8010\"}]}]}", NULL, NULL) ==
          0);
    CHECK(run("{\"family\":\"f\"," C1 ",\"portMappings\":[{\"containerPort\":80,\"hostPort\":8080}]}]}", NULL, NULL) ==
          0);
}

TEST(taskdef_health_check_rules)
{
    struct error err;
    json_t *doc = NULL;
    CHECK(run("{\"family\":\"f\"," C1 ",\"healthCheck\":{\"command\":[\"CMD-SHELL\",\"true\"],\"retries\":5}}]}", &doc,
              &err) == 0);
    json_t *hc = json_object_get(json_array_get(json_object_get(doc, "containerDefinitions"), 0), "healthCheck");
    CHECK(json_integer_value(json_object_get(hc, "interval")) == 30);
    CHECK(json_integer_value(json_object_get(hc, "timeout")) == 5);
    CHECK(json_integer_value(json_object_get(hc, "retries")) == 5);
    CHECK(json_object_get(hc, "startPeriod") == NULL);
    json_decref(doc);
    CHECK(rejects("{\"family\":\"f\"," C1 ",\"healthCheck\":{\"command\":[\"curl\",\"x\"]}}]}",
                  "CMD, CMD-SHELL or NONE"));
    CHECK(rejects("{\"family\":\"f\"," C1 ",\"healthCheck\":{\"command\":[\"CMD\",\"x\"],\"interval\":4}}]}",
                  "'interval' must be between 5 and 300"));
    CHECK(rejects("{\"family\":\"f\"," C1 ",\"healthCheck\":{\"command\":[\"CMD\",\"x\"],\"timeout\":61}}]}",
                  "'timeout' must be between 2 and 60"));
    CHECK(rejects("{\"family\":\"f\"," C1 ",\"healthCheck\":{\"command\":[\"CMD\",\"x\"],\"retries\":0}}]}",
                  "'retries' must be between 1 and 10"));
    CHECK(rejects("{\"family\":\"f\"," C1 ",\"healthCheck\":{\"command\":[\"CMD\",\"x\"],\"startPeriod\":301}}]}",
                  "'startPeriod' must be between 0 and 300"));
}

TEST(taskdef_restart_policy_rules)
{
    struct error err;
    json_t *doc = NULL;
    CHECK(run("{\"family\":\"f\"," C1 ",\"restartPolicy\":{\"enabled\":true,\"ignoredExitCodes\":[0],"
              "\"restartAttemptPeriod\":60}}]}",
              &doc, &err) == 0);
    json_decref(doc);
    CHECK(run("{\"family\":\"f\"," C1 ",\"restartPolicy\":{\"enabled\":false}}]}", &doc, &err) == 0);
    json_decref(doc);
    CHECK(rejects("{\"family\":\"f\"," C1 ",\"restartPolicy\":{\"enabled\":true,\"restartAttemptPeriod\":59}}]}",
                  "'restartAttemptPeriod' must be between 60 and 1800 seconds"));
    CHECK(rejects("{\"family\":\"f\"," C1 ",\"restartPolicy\":{\"enabled\":true,\"restartAttemptPeriod\":1801}}]}",
                  "'restartAttemptPeriod' must be between 60 and 1800 seconds"));
    char body[1024];
    size_t len = (size_t)snprintf(
        body, sizeof(body), "{\"family\":\"f\"," C1 ",\"restartPolicy\":{\"enabled\":true,\"ignoredExitCodes\":[0");
    for (int i = 1; i <= 50; i++)
        len += (size_t)snprintf(body + len, sizeof(body) - len, ",%d", i);
    snprintf(body + len, sizeof(body) - len, "]}}]}");
    CHECK(rejects(body, "'ignoredExitCodes' can have at most 50 exit codes"));
}

#define C2 ",{\"name\":\"b\",\"image\":\"i\",\"memory\":64"

TEST(taskdef_reference_rules)
{
    CHECK(rejects("{\"family\":\"f\"," C1 ",\"dependsOn\":[{\"containerName\":\"a\",\"condition\":\"START\"}]}]}",
                  "cannot depend on itself"));
    CHECK(rejects("{\"family\":\"f\"," C1 ",\"dependsOn\":[{\"containerName\":\"zz\",\"condition\":\"START\"}]}]}",
                  "not defined"));
    CHECK(rejects("{\"family\":\"f\"," C1 ",\"dependsOn\":[{\"containerName\":\"b\",\"condition\":\"HEALTHY\"}]}" C2
                  "}]}",
                  "HEALTHY"));
    CHECK(rejects("{\"family\":\"f\"," C1 ",\"dependsOn\":[{\"containerName\":\"b\",\"condition\":\"SUCCESS\"}]}" C2
                  "}]}",
                  "essential container 'b'"));
    CHECK(run("{\"family\":\"f\"," C1 ",\"dependsOn\":[{\"containerName\":\"b\",\"condition\":\"SUCCESS\"}]}" C2
              ",\"essential\":false}]}",
              NULL, NULL) == 0);
    CHECK(rejects("{\"family\":\"f\"," C1 ",\"dependsOn\":[{\"containerName\":\"b\",\"condition\":\"START\"}]}" C2
                  ",\"dependsOn\":[{\"containerName\":\"a\",\"condition\":\"START\"}]}]}",
                  "cycle"));
    CHECK(rejects("{\"family\":\"f\"," C1 ",\"mountPoints\":[{\"sourceVolume\":\"v\",\"containerPath\":\"/d\"}]}]}",
                  "not declared"));
    CHECK(run("{\"family\":\"f\",\"volumes\":[{\"name\":\"v\"}]," C1
              ",\"mountPoints\":[{\"sourceVolume\":\"v\",\"containerPath\":\"/d\"}]}]}",
              NULL, NULL) == 0);
    CHECK(rejects("{\"family\":\"f\",\"volumes\":[{\"name\":\"v\"},{\"name\":\"v\"}]," C1 "}]}", "Duplicate volume"));
    CHECK(rejects("{\"family\":\"f\"," C1 ",\"volumesFrom\":[{\"sourceContainer\":\"zz\"}]}]}", "volumesFrom"));
    CHECK(rejects("{\"family\":\"f\"," C1 ",\"volumesFrom\":[{\"sourceContainer\":\"a\"}]}]}", "volumesFrom"));
    CHECK(run("{\"family\":\"f\"," C1 ",\"links\":[\"b:db\"]}" C2 "}]}", NULL, NULL) == 0);
    CHECK(rejects("{\"family\":\"f\",\"networkMode\":\"awsvpc\"," C1 ",\"links\":[\"b\"]}" C2 "}]}",
                  "networkMode=bridge"));
    CHECK(rejects("{\"family\":\"f\"," C1 ",\"links\":[\"zz\"]}]}", "links"));
    CHECK(rejects("{\"family\":\"f\",\"networkMode\":\"awsvpc\"," C1 ",\"hostname\":\"h\"}]}", "hostname"));
}

TEST(taskdef_fargate_rules)
{
    CHECK(rejects("{\"family\":\"f\",\"requiresCompatibilities\":[\"FARGATE\"],\"cpu\":\"256\",\"memory\":\"512\"," C1
                  "}]}",
                  "Fargate only supports network mode 'awsvpc'."));
    CHECK(rejects("{\"family\":\"f\",\"requiresCompatibilities\":[\"FARGATE\"],\"networkMode\":\"awsvpc\","
                  "\"memory\":\"512\"," C1 "}]}",
                  "'cpu' be defined"));
    CHECK(rejects("{\"family\":\"f\",\"requiresCompatibilities\":[\"FARGATE\"],\"networkMode\":\"awsvpc\","
                  "\"cpu\":\"256\",\"memory\":\"4096\"," C1 "}]}",
                  "No Fargate configuration exists for given values"));
}

TEST(taskdef_size_limit)
{
    /* 70,000 bytes of environment is over ECS's 64 KiB. */
    json_t *env = json_array();
    for (int i = 0; i < 700; i++) {
        char name[16];
        snprintf(name, sizeof(name), "V%d", i);
        char value[101];
        memset(value, 'x', 100);
        value[100] = '\0';
        json_array_append_new(env, json_pack("{s:s, s:s}", "name", name, "value", value));
    }
    json_t *req = json_pack("{s:s, s:[{s:s, s:s, s:i, s:o}]}", "family", "f", "containerDefinitions", "name", "a",
                            "image", "i", "memory", 64, "environment", env);
    struct error err;
    json_t *doc = NULL;
    CHECK(taskdef_validate(req, &doc, &err) == -1);
    CHECK(err.kind == API_ERR_CLIENT);
    CHECK(strstr(err.msg, "Max allowed length is 65536 bytes") != NULL);
    json_decref(req);
}

static bool has_attr(json_t *list, const char *name)
{
    size_t i;
    json_t *a;
    json_array_foreach(list, i, a) {
        if (strcmp(json_string_value(json_object_get(a, "name")), name) == 0)
            return true;
    }
    return false;
}

TEST(taskdef_required_attributes_table)
{
    json_t *doc = json_loads(
        "{\"taskRoleArn\":\"r\",\"executionRoleArn\":\"e\",\"networkMode\":\"awsvpc\",\"containerDefinitions\":["
        "{\"name\":\"a\",\"image\":\"1.dkr.ecr.us-east-1.amazonaws.com/x\",\"memoryReservation\":8,"
        "\"logConfiguration\":{\"logDriver\":\"awslogs\"},\"healthCheck\":{\"command\":[\"CMD\",\"x\"]},"
        "\"secrets\":[{\"name\":\"s\",\"valueFrom\":\"arn:aws:secretsmanager:r:1:secret:x\"}],"
        "\"dependsOn\":[{\"containerName\":\"b\",\"condition\":\"START\"}]},"
        "{\"name\":\"b\",\"image\":\"i\",\"logConfiguration\":{\"logDriver\":\"awslogs\"}}]}",
        0, NULL);
    json_t *attrs = taskdef_required_attributes(doc);
    CHECK(has_attr(attrs, "com.amazonaws.ecs.capability.ecr-auth"));
    CHECK(has_attr(attrs, "com.amazonaws.ecs.capability.docker-remote-api.1.18"));
    CHECK(has_attr(attrs, "com.amazonaws.ecs.capability.docker-remote-api.1.19"));
    CHECK(has_attr(attrs, "com.amazonaws.ecs.capability.docker-remote-api.1.21"));
    CHECK(has_attr(attrs, "com.amazonaws.ecs.capability.task-iam-role"));
    CHECK(has_attr(attrs, "ecs.capability.execution-role-awslogs"));
    CHECK(has_attr(attrs, "ecs.capability.execution-role-ecr-pull"));
    CHECK(has_attr(attrs, "ecs.capability.secrets.asm.environment-variables"));
    CHECK(!has_attr(attrs, "ecs.capability.secrets.ssm.environment-variables"));
    CHECK(has_attr(attrs, "ecs.capability.container-health-check"));
    CHECK(has_attr(attrs, "ecs.capability.container-ordering"));
    CHECK(has_attr(attrs, "ecs.capability.task-eni"));
    CHECK(has_attr(attrs, "com.amazonaws.ecs.capability.logging-driver.awslogs"));
    /* Each attribute once, though two containers use awslogs. */
    size_t n = 0, i;
    json_t *a;
    json_array_foreach(attrs, i, a) {
        if (strcmp(json_string_value(json_object_get(a, "name")),
                   "com.amazonaws.ecs.capability.logging-driver.awslogs") == 0)
            n++;
    }
    CHECK(n == 1);
    json_decref(attrs);
    json_decref(doc);
}
