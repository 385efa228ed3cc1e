/* Unit tests: the Compatibility notes agree with the ECS action table and
 * model, and the members berth does not honour are refused when set. */
#include <jansson.h>
#include <stdlib.h>

#include "server/ecs/ecs_compat.h"
#include "server/ecs/ecs_service.h"
#include "server/http/api.h"
#include "test.h"

static int check(const char *shape, const char *json, struct error *err)
{
    struct ecs_service *e = NULL;
    if (ecs_service_new(0, &e, err) < 0)
        return -2;
    struct api_service api = ecs_service_api(e);
    json_t *v = json_loads(json, 0, NULL);
    int r = api.check_input(api.model, shape, v, err);
    json_decref(v);
    ecs_service_free(e);
    return r;
}

TEST(ecs_compat_notes_agree_with_code)
{
    struct error err = {0};
    struct ecs_service *e = NULL;
    CHECK(ecs_service_new(0, &e, &err) == 0);
    struct api_service api = ecs_service_api(e);
    int r = ecs_compat_verify(api.model, api.actions, api.nactions, &err);
    if (r < 0)
        fprintf(stderr, "  %s\n", err.msg);
    CHECK(r == 0);
    char *md = ecs_compat_markdown(api.model, api.actions, api.nactions);
    CHECK(md && strstr(md, "| RunTask | partial: ") && strstr(md, "| ListClusters | works |"));
    CHECK(md && strstr(md, "| ContinueServiceDeployment | partial: "));
    CHECK(md && strstr(md, "| CreateDaemon | partial: "));
    CHECK(md && strstr(md, "| `resourceRequirements` | refused: "));
    free(md);
    ecs_service_free(e);
}

TEST(ecs_compat_refuses_what_is_set)
{
    struct error err = {0};
    const char *td = "{\"family\":\"f\",\"containerDefinitions\":[{\"name\":\"a\"},{\"name\":\"b\","
                     "\"resourceRequirements\":[{\"type\":\"GPU\",\"value\":\"1\"}]}]}";
    CHECK(check("RegisterTaskDefinitionRequest", td, &err) == -1);
    CHECK(err.kind == ERR_INVALID);
    CHECK(strstr(err.msg, "containerDefinitions[1].resourceRequirements is not supported by berth") != NULL);
    CHECK(check("RegisterTaskDefinitionRequest",
                "{\"containerDefinitions\":[{\"name\":\"a\",\"linuxParameters\":{\"swappiness\":5}}]}", &err) == -1);
    CHECK(strstr(err.msg, "containerDefinitions[0].linuxParameters.swappiness") != NULL);
    CHECK(check("CreateServiceRequest", "{\"vpcLatticeConfigurations\":[{\"roleArn\":\"x\"}]}", &err) == -1);
    CHECK(check("CreateServiceRequest", "{\"volumeConfigurations\":[{\"name\":\"v\"}]}", &err) == -1);
    CHECK(strstr(err.msg, "volumeConfigurations") != NULL);
    CHECK(check("StartTaskRequest", "{\"overrides\":{\"inferenceAcceleratorOverrides\":[{}]}}", &err) == -1);
}

TEST(ecs_compat_accepts_unset_and_ok_values)
{
    struct error err = {0};
    /* false, empty and the value berth's behaviour already is are not "set". */
    CHECK(
        check("RegisterTaskDefinitionRequest",
              "{\"enableFaultInjection\":false,\"containerDefinitions\":[{\"name\":\"a\",\"interactive\":false,"
              "\"systemControls\":[],\"dockerSecurityOptions\":[],\"linuxParameters\":{\"initProcessEnabled\":true}}]}",
              &err) == 0);
    CHECK(check("CreateServiceRequest",
                "{\"availabilityZoneRebalancing\":\"DISABLED\",\"deploymentController\":{\"type\":\"ECS\"},"
                "\"deploymentConfiguration\":{\"strategy\":\"BLUE_GREEN\",\"bakeTimeInMinutes\":0}}",
                &err) == 0);
    CHECK(check("RunTaskRequest", "{\"count\":2,\"overrides\":{\"containerOverrides\":[{\"name\":\"a\"}]}}", &err) ==
          0);
}
