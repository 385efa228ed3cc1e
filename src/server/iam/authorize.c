/* authorize.c - deciding a request's checks against policies (see
 * authorize.h).  Policies are loaded once per request, in its transaction;
 * every check must be allowed, and the first that is not names the
 * action and resource in the error, as AWS does. */
#include "server/iam/authorize.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/http/api.h"
#include "server/iam/identity.h"
#include "server/iam/policy.h"

/* What an agent signing as its container instance may call: the ECS
 * agent's calls (registering and deregistering, discovering the endpoint,
 * the long-poll as ecs:Poll, state changes, as AWS's
 * AmazonEC2ContainerServiceforEC2Role grants them), and shipping its
 * containers' logs.  Which tasks and instances are its own is the
 * handlers' business (ecs/agent_identity.c). */
static const char instance_policy[] =
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":["
    "\"ecs:RegisterContainerInstance\",\"ecs:DeregisterContainerInstance\",\"ecs:DiscoverPollEndpoint\",\"ecs:Poll\","
    "\"ecs:SubmitTaskStateChange\",\"ecs:SubmitContainerStateChange\","
    "\"ecs:SubmitAttachmentStateChanges\",\"logs:CreateLogGroup\","
    "\"logs:CreateLogStream\",\"logs:PutLogEvents\"],\"Resource\":\"*\"}]}";

struct authorizer {
    struct policy *instance;
};

int authorizer_new(struct authorizer **ret, struct error *err)
{
    struct authorizer *z = calloc(1, sizeof(*z));
    if (!z)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (policy_compile(instance_policy, strlen(instance_policy), &z->instance, err) < 0) {
        free(z);
        return error_prefix(err, "container instance policy");
    }
    *ret = z;
    return 0;
}

void authorizer_free(struct authorizer *z)
{
    if (!z)
        return;
    policy_free(z->instance);
    free(z);
}

bool authorize_is_instance(const char *principal, const char *account)
{
    static const char head[] = "arn:aws:ecs:";
    if (strncmp(principal, head, sizeof(head) - 1) != 0)
        return false;
    const char *p = strchr(principal + sizeof(head) - 1, ':'); /* past the region */
    size_t n = strlen(account);
    return p && strncmp(p + 1, account, n) == 0 && strncmp(p + 1 + n, ":container-instance/", 20) == 0;
}

static inline void policy_keys_freep(struct policy_key **k) { free(*k); }

/* The decision on one check {action, resource, keys: {name: [values]}}. */
static int evaluate(const struct policy *const *ps, size_t n, json_t *check, enum policy_decision *ret,
                    struct error *err)
{
    json_t *keys = json_object_get(check, "keys");
    size_t nkeys = json_object_size(keys), nvalues = 0;
    const char *name;
    json_t *values;
    json_object_foreach(keys, name, values)
        nvalues += json_array_size(values);
    /* One block: the keys, then every value pointer. */
    _cleanup_(policy_keys_freep) struct policy_key *k =
        calloc(1, nkeys * sizeof(*k) + nvalues * sizeof(const char *) + 1);
    if (!k)
        return error_set(err, ERR_INTERNAL, "out of memory");
    const char **v = (const char **)(k + nkeys);
    size_t i = 0;
    json_object_foreach(keys, name, values) {
        k[i] = (struct policy_key){.name = name, .values = v, .nvalues = json_array_size(values)};
        for (size_t j = 0; j < k[i].nvalues; j++)
            *v++ = json_string_value(json_array_get(values, j));
        i++;
    }
    struct policy_request req = {
        .action = json_string_value(json_object_get(check, "action")),
        .resource = json_string_value(json_object_get(check, "resource")),
        .keys = k,
        .nkeys = nkeys,
    };
    *ret = policy_evaluate_all(ps, n, &req);
    return 0;
}

static int denied(const char *principal, json_t *check, enum policy_decision d, struct error *err)
{
    const char *action = json_string_value(json_object_get(check, "action"));
    const char *resource = json_string_value(json_object_get(check, "resource"));
    if (d == POLICY_EXPLICIT_DENY)
        return error_set(err, API_ERR_ACCESS_DENIED,
                         "User: %s is not authorized to perform: %s on resource: %s with an explicit deny in an "
                         "identity-based policy",
                         principal, action, resource);
    return error_set(err, API_ERR_ACCESS_DENIED,
                     "User: %s is not authorized to perform: %s on resource: %s because no identity-based policy "
                     "allows the %s action",
                     principal, action, resource, action);
}

int authorize_checks(const struct policy *const *ps, size_t n, const char *principal, json_t *checks, struct error *err)
{
    size_t i;
    json_t *check;
    json_array_foreach(checks, i, check) {
        enum policy_decision d = POLICY_IMPLICIT_DENY;
        if (evaluate(ps, n, check, &d, err) < 0)
            return -1;
        if (d != POLICY_ALLOW)
            return denied(principal, check, d, err);
    }
    return 0;
}

static int decide(void *cookie, struct store_tx *tx, const char *account, const char *principal, json_t *checks,
                  struct error *err)
{
    struct authorizer *z = cookie;
    if (authorize_is_instance(principal, account))
        return authorize_checks((const struct policy *const *)&z->instance, 1, principal, checks, err);
    struct identity_policies ip;
    if (identity_policies_load(tx, account, principal, &ip, err) < 0)
        return -1;
    int r = ip.root ? 0 : authorize_checks((const struct policy *const *)ip.policies, ip.n, principal, checks, err);
    identity_policies_release(&ip);
    return r;
}

struct api_authorizer authorizer_api(struct authorizer *z) { return (struct api_authorizer){decide, z}; }
