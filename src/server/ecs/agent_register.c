/* agent_register.c - BerthAgent.RegisterContainerInstance: admitting an
 * agent (by token, IAM identity, or its own instance credentials) and
 * issuing its instance credentials (see agent_register.h).
 *
 * The registration itself is ECS's (instances.c); the "only itself" rule
 * is agent_identity.c; tokens are registration_tokens.c. */
#include "server/ecs/agent_register.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "server/ecs/agent_identity.h"
#include "server/ecs/clusters.h"
#include "server/ecs/ecs_service.h"
#include "server/ecs/instances.h"
#include "server/ecs/registration_tokens.h"
#include "server/http/service_model.h"
#include "server/iam/identity.h"
#include "server/iam/keyring.h"
#include "server/iam/policy.h"
#include "server/store/store_keys.h"

static inline void identity_policies_releasep(struct identity_policies *p) { identity_policies_release(p); }

int agent_register_authorize(struct op_ctx *ctx, const char *action, const char *resource, struct error *err)
{
    if (!*ctx->caller || agent_identity_is_instance(ctx->caller))
        return error_set(err, API_ERR_ACCESS_DENIED,
                         "User: %.300s is not authorized to perform: %s on resource: %.300s",
                         *ctx->caller ? ctx->caller : "anonymous", action, resource);
    _cleanup_(identity_policies_releasep) struct identity_policies ip = {0};
    if (identity_policies_load(ctx->tx, ctx->account, ctx->caller, &ip, err) < 0)
        return -1;
    struct policy_request req = {.action = action, .resource = resource};
    if (ip.root || policy_evaluate_all((const struct policy *const *)ip.policies, ip.n, &req) == POLICY_ALLOW)
        return 0;
    return error_set(err, API_ERR_ACCESS_DENIED, "User: %.300s is not authorized to perform: %s on resource: %.300s",
                     ctx->caller, action, resource);
}

int agent_register_forget(struct op_ctx *ctx, const char *instance_arn, struct error *err)
{
    if (!ecs_of(ctx)->keyring)
        return 0; /* a service without keys (unit tests): nothing issued */
    _cleanup_free_ struct access_key_row *rows = NULL;
    size_t n = 0;
    if (store_keys_list_by_principal(ctx->tx, instance_arn, &rows, &n, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (keyring_delete(ecs_of(ctx)->keyring, ctx->tx, rows[i].access_key_id, err) < 0)
            return -1;
    return 0;
}

/* New credentials for the instance instance_arn into out.credentials,
 * replacing any it had: one instance, one key. */
static int issue_credentials(struct op_ctx *ctx, const char *instance_arn, json_t *out, struct error *err)
{
    if (!ecs_of(ctx)->keyring)
        return error_set(err, ERR_INTERNAL, "this server issues no keys");
    if (agent_register_forget(ctx, instance_arn, err) < 0)
        return -1;
    char id[21], secret[41];
    if (keyring_new_key_id("AKIA", id) < 0 || keyring_new_secret(secret) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness for the instance's key");
    struct key_record rec = {.access_key_id = id, .secret = secret, .principal_arn = instance_arn, .status = "Active"};
    int r = keyring_put(ecs_of(ctx)->keyring, ctx->tx, &rec, err);
    if (r == 0)
        json_object_set_new(out, "credentials", json_pack("{s:s, s:s}", "accessKeyId", id, "secretAccessKey", secret));
    explicit_bzero(secret, sizeof(secret));
    return r;
}

/* Who is registering, and whether they get new credentials: -1 with the
 * error when they may not register at all. */
static int admit(struct op_ctx *ctx, json_t *in, json_t *token, char *region, size_t region_cap, bool *ret_issue,
                 struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    if (token) {
        if (json_object_get(in, "containerInstanceArn"))
            return error_set(err, API_ERR_CLIENT,
                             "A registration token registers a new container instance: re-register an instance "
                             "with its own credentials, without the token.");
        if (registration_token_admit(ctx, json_object_get(in, "cluster"), json_string_value(token), region, region_cap,
                                     &cluster, err) < 0)
            return -1;
        *ret_issue = true;
        return 0;
    }
    if (!*ctx->caller)
        return error_set(err, API_ERR_MISSING_AUTHENTICATION,
                         "Registering needs a registrationToken or a signed request.");
    if (agent_identity_is_instance(ctx->caller)) {
        *ret_issue = false; /* the handler checks it is itself */
        return 0;
    }
    if (cluster_resolve(ctx, json_object_get(in, "cluster"), true, &cluster, err) < 0)
        return -1;
    char arn[600];
    cluster_arn(ctx, cluster.name, arn, sizeof(arn));
    *ret_issue = true;
    return agent_register_authorize(ctx, "ecs:RegisterContainerInstance", arn, err);
}

int action_berth_register_container_instance(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    if (!json_is_object(in))
        return error_set(err, ERR_INVALID, "Request body must be an object.");
    /* As ECS's own call, whose model describes all but the token (which
     * validation would drop as unknown). */
    _cleanup_json_ json_t *token = json_incref(json_object_get(in, "registrationToken"));
    if (token && !json_is_string(token))
        return error_set(err, ERR_INVALID, "registrationToken must be a string.");
    if (service_model_validate(ecs_of(ctx)->model, "RegisterContainerInstanceRequest", in, err) < 0)
        return -1;
    bool issue = false;
    char region[64]; /* a token's: ctx->region points here for the rest of the request */
    if (admit(ctx, in, token, region, sizeof(region), &issue, err) < 0)
        return -1;
    if (action_register_container_instance(ctx, in, out, err) < 0)
        return -1;
    const char *arn =
        json_string_value(json_object_get(json_object_get(out, "containerInstance"), "containerInstanceArn"));
    if (!arn)
        return error_set(err, ERR_INTERNAL, "registration made no instance ARN");
    if (!issue)
        return 0;
    if (issue_credentials(ctx, arn, out, err) < 0)
        return -1;
    log_info("agent register: %s registered as %s with %s", *ctx->caller ? ctx->caller : "a token holder", arn,
             token ? "a registration token" : "its identity");
    return 0;
}
