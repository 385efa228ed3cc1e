/* agent_join.c - registration and the agent's identity (see agent_join.h).
 *
 * The identity file holds the instance's ARN and cluster and, for a real
 * agent, the access key issued to the instance: written 0600 through a
 * temporary file, never logged (the key id is, the secret never).  A
 * registration token is used once, for the first registration; an agent
 * whose stored credentials the server no longer knows (its data was reset,
 * or the instance was deregistered) registers afresh. */
#include "agent/agent_join.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_host.h"
#include "common/cleanup.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "common/proto.h"

static void identity_name(const struct agent_instance *inst, char *buf, size_t cap)
{
    if (inst->agent->cfg.hollow)
        snprintf(buf, cap, "hollow-%d.json", inst->index);
    else
        snprintf(buf, cap, "instance.json");
}

/* The stored identity: inst->arn and, when stored, the instance's own
 * credentials into ret_creds (access_key_id "" when none). */
static void load_identity(struct agent_instance *inst, struct aws_credentials *ret_creds)
{
    char name[64], path[4200];
    identity_name(inst, name, sizeof(name));
    snprintf(path, sizeof(path), "%s/%s", inst->agent->cfg.data_dir, name);
    _cleanup_free_ char *data = NULL;
    size_t len = 0;
    struct error err;
    if (fs_read_file(path, 65536, &data, &len, &err) < 0)
        return;
    json_t *j = json_loads(data, 0, NULL);
    explicit_bzero(data, len);
    const char *arn = json_string_value(json_object_get(j, "containerInstanceArn"));
    const char *cluster = json_string_value(json_object_get(j, "cluster"));
    const char *key = json_string_value(json_object_get(j, "accessKeyId"));
    const char *secret = json_string_value(json_object_get(j, "secretAccessKey"));
    /* An identity from another cluster is not ours to reuse. */
    if (arn && cluster && strcmp(cluster, inst->agent->cfg.cluster) == 0) {
        snprintf(inst->arn, sizeof(inst->arn), "%s", arn);
        if (ret_creds && key && secret && strlen(key) < sizeof(ret_creds->access_key_id) &&
            strlen(secret) < sizeof(ret_creds->secret_access_key)) {
            snprintf(ret_creds->access_key_id, sizeof(ret_creds->access_key_id), "%s", key);
            snprintf(ret_creds->secret_access_key, sizeof(ret_creds->secret_access_key), "%s", secret);
        }
    }
    if (secret)
        json_object_set_new(j, "secretAccessKey", json_string(""));
    json_decref(j);
}

/* Store inst's identity, with creds when given (0600 either way). */
static int save_identity(struct agent_instance *inst, const struct aws_credentials *creds, struct error *err)
{
    char name[64];
    identity_name(inst, name, sizeof(name));
    json_t *j = json_pack("{s:s, s:s}", "containerInstanceArn", inst->arn, "cluster", inst->agent->cfg.cluster);
    if (j && creds) {
        json_object_set_new(j, "accessKeyId", json_string(creds->access_key_id));
        json_object_set_new(j, "secretAccessKey", json_string(creds->secret_access_key));
    }
    char *text = json_dumps(j, JSON_INDENT(2));
    json_decref(j);
    if (!text)
        return error_set(err, ERR_INTERNAL, "out of memory");
    size_t len = strlen(text);
    int r = fs_write_private(inst->agent->cfg.data_dir, name, text, len, err);
    explicit_bzero(text, len);
    free(text);
    return r;
}

static json_t *registration_body(struct agent_instance *inst)
{
    struct agent *a = inst->agent;
    int64_t cpu, memory;
    if (a->cfg.hollow) {
        cpu = a->cfg.hollow_cpu;
        memory = a->cfg.hollow_memory;
    } else {
        agent_host_resources(&cpu, &memory);
    }
    char iid[64], scope[4200];
    snprintf(scope, sizeof(scope), "%s#%d", a->cfg.data_dir, inst->index);
    agent_host_instance_id(scope, iid, sizeof(iid));
    json_t *idd = json_pack("{s:s, s:s, s:s}", "instanceId", iid, "availabilityZone", a->cfg.availability_zone,
                            "instanceType", a->cfg.instance_type);
    char *idd_text = json_dumps(idd, JSON_COMPACT);
    json_decref(idd);
    json_t *body =
        json_pack("{s:s, s:[{s:s, s:s, s:I}, {s:s, s:s, s:I}], s:o, s:{s:s, s:s, s:s}, s:s}", "cluster", a->cfg.cluster,
                  "totalResources", "name", "CPU", "type", "INTEGER", "integerValue", (json_int_t)cpu, "name", "MEMORY",
                  "type", "INTEGER", "integerValue", (json_int_t)memory, "attributes",
                  agent_host_attributes(a->cfg.availability_zone, a->cfg.instance_type, a->cfg.allow_privileged,
                                        a->cfg.attributes),
                  "versionInfo", "agentVersion", AGENT_VERSION, "agentHash", "berth", "dockerVersion",
                  a->cfg.hollow ? "hollow" : a->cfg.runtime, "instanceIdentityDocument", idd_text ? idd_text : "{}");
    free(idd_text);
    json_t *ipv4 = a->cfg.hollow ? NULL : agent_host_ipv4_attribute(a->cfg.host_ipv4);
    if (body && ipv4)
        json_array_append(json_object_get(body, "attributes"), ipv4);
    json_decref(ipv4);
    if (inst->arn[0])
        json_object_set_new(body, "containerInstanceArn", json_string(inst->arn));
    return body;
}

/* The instance ARN of a registration answer into inst->arn. */
static int take_arn(struct agent_instance *inst, json_t *out, struct error *err)
{
    const char *arn =
        json_string_value(json_object_get(json_object_get(out, "containerInstance"), "containerInstanceArn"));
    snprintf(inst->arn, sizeof(inst->arn), "%s", arn ? arn : "");
    return inst->arn[0] ? 0 : error_set(err, ERR_IO, "RegisterContainerInstance returned no ARN");
}

int agent_join_hollow(struct agent_instance *inst, struct awsjson_client *client, struct error *err)
{
    struct agent *a = inst->agent;
    long backoff = 200;
    load_identity(inst, NULL);
    for (;;) {
        json_t *body = registration_body(inst);
        json_t *out = NULL;
        int r = awsjson_call(client, PROTO_ECS_TARGET, "RegisterContainerInstance", body, &out, err);
        json_decref(body);
        if (r == 0) {
            r = take_arn(inst, out, err);
            json_decref(out);
            return r < 0 ? -1 : save_identity(inst, NULL, err);
        }
        if (err->kind != ERR_IO && inst->arn[0]) {
            /* The server does not know us (its data was reset): start afresh. */
            log_warn("agent: %s; registering as a new instance", err->msg);
            inst->arn[0] = '\0';
            continue;
        }
        if (err->kind != ERR_IO)
            return -1;
        log_warn("agent: cannot register yet: %s", err->msg);
        if (!agent_sleep(a, backoff))
            return error_set(err, ERR_IO, "stopped before registering");
        backoff = agent_next_backoff(backoff);
    }
}

/* The ways to join, in the order they are tried. */
enum join_way { JOIN_STORED, JOIN_TOKEN, JOIN_IDENTITY };

/* One BerthAgent.RegisterContainerInstance signed with creds (unsigned
 * when they are empty); *ret_out on success. */
static int register_call(struct agent_instance *inst, const struct aws_credentials *creds, const char *token,
                         json_t **ret_out, struct error *err)
{
    struct agent *a = inst->agent;
    struct awsjson_client *client = NULL;
    if (awsjson_client_new(a->cfg.server, creds, a->cfg.region, &client, err) < 0)
        return -1;
    awsjson_client_set_abort_flag(client, &a->stopping);
    json_t *body = registration_body(inst);
    if (token) {
        json_object_del(body, "containerInstanceArn");
        json_object_set_new(body, "registrationToken", json_string(token));
    }
    int r = awsjson_call(client, PROTO_AGENT_TARGET, PROTO_REGISTER, body, ret_out, err);
    json_decref(body);
    awsjson_client_free(client);
    return r;
}

/* The credentials a registration answer issued, into creds. */
static int take_credentials(json_t *out, struct aws_credentials *creds, struct error *err)
{
    json_t *c = json_object_get(out, "credentials");
    const char *key = json_string_value(json_object_get(c, "accessKeyId"));
    const char *secret = json_string_value(json_object_get(c, "secretAccessKey"));
    if (!key || !secret || strlen(key) >= sizeof(creds->access_key_id) ||
        strlen(secret) >= sizeof(creds->secret_access_key))
        return error_set(err, ERR_IO, "the registration answer carries no instance credentials");
    memset(creds, 0, sizeof(*creds));
    snprintf(creds->access_key_id, sizeof(creds->access_key_id), "%s", key);
    snprintf(creds->secret_access_key, sizeof(creds->secret_access_key), "%s", secret);
    return 0;
}

/* One attempt at joining `way`: 0 with a->cfg.creds and the identity file
 * updated, or -1 (ERR_IO: try again later). */
static int join_once(struct agent_instance *inst, enum join_way way, struct aws_credentials *stored, struct error *err)
{
    struct agent *a = inst->agent;
    static const struct aws_credentials none;
    const struct aws_credentials *signer = way == JOIN_STORED ? stored : way == JOIN_TOKEN ? &none : &a->cfg.creds;
    json_t *out = NULL;
    if (register_call(inst, signer, way == JOIN_TOKEN ? a->cfg.token : NULL, &out, err) < 0)
        return -1;
    int r = take_arn(inst, out, err);
    if (r == 0 && way != JOIN_STORED)
        r = take_credentials(out, stored, err);
    json_decref(out);
    if (r < 0 || save_identity(inst, stored, err) < 0)
        return -1;
    aws_credentials_clear(&a->cfg.creds);
    a->cfg.creds = *stored;
    log_info("agent: instance %s signs as %s", inst->arn, stored->access_key_id);
    return 0;
}

int agent_join(struct agent_instance *inst, struct error *err)
{
    struct agent *a = inst->agent;
    struct aws_credentials stored = {0};
    load_identity(inst, &stored);
    enum join_way way = stored.access_key_id[0] ? JOIN_STORED : a->cfg.token[0] ? JOIN_TOKEN : JOIN_IDENTITY;
    long backoff = 200;
    for (;;) {
        if (way == JOIN_IDENTITY && !a->cfg.creds.access_key_id[0])
            return error_set(err, ERR_INVALID,
                             "no way to register: give --token TOKEN (berth cluster token create), or AWS "
                             "credentials allowed ecs:RegisterContainerInstance");
        int r = join_once(inst, way, &stored, err);
        if (r == 0)
            break;
        if (err->kind == ERR_IO) {
            log_warn("agent: cannot register yet: %s", err->msg);
            if (!agent_sleep(a, backoff))
                return error_set(err, ERR_IO, "stopped before registering");
            backoff = agent_next_backoff(backoff);
            continue;
        }
        if (way == JOIN_TOKEN)
            return -1;
        if (way == JOIN_IDENTITY && !inst->arn[0])
            return -1;
        /* The server no longer knows this instance or its key (its data
         * was reset, or the instance was deregistered): join afresh. */
        log_warn("agent: %s; registering as a new instance", err->msg);
        inst->arn[0] = '\0';
        aws_credentials_clear(&stored);
        way = a->cfg.token[0] ? JOIN_TOKEN : JOIN_IDENTITY;
    }
    aws_credentials_clear(&stored);
    return 0;
}
