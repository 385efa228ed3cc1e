/* ecs_authz_util.c - the pieces ECS's authorisation rules are built from
 * (see ecs_authz_util.h). */
#include "server/ecs/ecs_authz_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "server/ecs/arn.h"
#include "server/store/store_taskdefs.h"

const char *ecs_authz_cluster_name(json_t *value)
{
    const char *s = json_string_value(value);
    if (!s || !*s)
        return "default";
    struct arn a;
    if (strncmp(s, "arn:", 4) == 0 && arn_parse(s, &a) && strcmp(a.type, "cluster") == 0)
        return s + strlen(s) - strlen(a.resource);
    return s;
}

void ecs_authz_cluster_arn(const struct op_ctx *ctx, json_t *value, char *buf, size_t cap)
{
    const char *s = json_string_value(value);
    if (s && strncmp(s, "arn:", 4) == 0)
        snprintf(buf, cap, "%s", s); /* the ARN as given */
    else
        arn_format_buf(buf, cap, ctx, "cluster", ecs_authz_cluster_name(value));
}

bool ecs_authz_arn_in_cluster(const struct op_ctx *ctx, const char *cluster, const char *type, const char *ref,
                              char *buf, size_t cap)
{
    if (!ref)
        return false;
    if (strncmp(ref, "arn:", 4) == 0) {
        int n = snprintf(buf, cap, "%s", ref);
        return n > 0 && (size_t)n < cap;
    }
    char resource[ECS_AUTHZ_ARN_MAX];
    int n = snprintf(resource, sizeof(resource), "%s/%s", cluster, ref);
    return n > 0 && (size_t)n < sizeof(resource) && arn_format_buf(buf, cap, ctx, type, resource);
}

int ecs_authz_named(struct op_ctx *ctx, struct authz_req *req, const char *arn, struct error *err)
{
    return authz_tagged_resource(ctx, req, arn, "ecs", err);
}

int ecs_authz_named_in_cluster(struct op_ctx *ctx, struct authz_req *req, const char *cluster, const char *type,
                               const char *ref, struct error *err)
{
    char arn[ECS_AUTHZ_ARN_MAX];
    if (!ref)
        return 0;
    if (!ecs_authz_arn_in_cluster(ctx, cluster, type, ref, arn, sizeof(arn))) {
        /* Too long to be anything (the handler refuses it): checked as
         * given, never dropped, so no Allow on "*" stands in for it. */
        authz_resource(req, ref);
        return 0;
    }
    return ecs_authz_named(ctx, req, arn, err);
}

/* The family and revision (0: none given) ref names. */
static bool taskdef_ref(const char *ref, char *family, size_t cap, int *ret_revision)
{
    struct arn a;
    const char *name = ref;
    if (strncmp(ref, "arn:", 4) == 0) {
        if (!arn_parse(ref, &a) || strcmp(a.type, "task-definition") != 0)
            return false;
        name = ref + strlen(ref) - strlen(a.resource);
    }
    const char *colon = strchr(name, ':');
    size_t n = colon ? (size_t)(colon - name) : strlen(name);
    if (n == 0 || n >= cap)
        return false;
    memcpy(family, name, n);
    family[n] = '\0';
    *ret_revision = 0;
    if (colon) {
        char *end;
        errno = 0;
        long rev = strtol(colon + 1, &end, 10);
        if (errno || *end || rev < 1 || rev > 1000000000)
            return false;
        *ret_revision = (int)rev;
    }
    return true;
}

/* The ARN of the revision ref names, into arn; *ret_doc its document when
 * it exists (NULL otherwise). */
static int taskdef_lookup(struct op_ctx *ctx, const char *ref, char *arn, size_t cap, json_t **ret_doc,
                          struct error *err)
{
    char family[256];
    int revision;
    *ret_doc = NULL;
    if (!taskdef_ref(ref, family, sizeof(family), &revision)) {
        snprintf(arn, cap, "%s", ref); /* not a reference at all: the handler refuses it */
        return 0;
    }
    struct taskdef_row row = {0};
    int r = store_taskdef_get(ctx->tx, ctx->region, family, revision, &row, err);
    if (r < 0)
        return -1;
    if (r > 0) {
        snprintf(arn, cap, "%s", row.arn);
        *ret_doc = TAKE_PTR(row.doc);
    } else if (strncmp(ref, "arn:", 4) == 0) {
        snprintf(arn, cap, "%s", ref);
    } else {
        arn_format_buf(arn, cap, ctx, "task-definition", ref);
    }
    taskdef_row_clear(&row);
    return 0;
}

int ecs_authz_taskdef(struct op_ctx *ctx, struct authz_req *req, const char *ref, json_t **ret_doc, struct error *err)
{
    char arn[ECS_AUTHZ_ARN_MAX];
    _cleanup_json_ json_t *doc = NULL;
    if (taskdef_lookup(ctx, ref, arn, sizeof(arn), &doc, err) < 0 || ecs_authz_named(ctx, req, arn, err) < 0)
        return -1;
    if (ret_doc)
        *ret_doc = TAKE_PTR(doc);
    return 0;
}

int ecs_authz_taskdef_key(struct op_ctx *ctx, struct authz_req *req, const char *ref, struct error *err)
{
    char arn[ECS_AUTHZ_ARN_MAX];
    _cleanup_json_ json_t *doc = NULL;
    if (taskdef_lookup(ctx, ref, arn, sizeof(arn), &doc, err) < 0)
        return -1;
    authz_key(req, "ecs:task-definition", arn);
    return 0;
}

int ecs_authz_new_taskdef(struct op_ctx *ctx, json_t *in, struct authz_req *req, struct error *err)
{
    const char *family = json_string_value(json_object_get(in, "family"));
    if (!family || strlen(family) > 255)
        return 0; /* the handler refuses it; checked on "*" meanwhile */
    int revision;
    if (store_taskdef_peek_revision(ctx->tx, ctx->region, family, &revision, err) < 0)
        return -1;
    char resource[300], arn[ECS_AUTHZ_ARN_MAX];
    snprintf(resource, sizeof(resource), "%s:%d", family, revision);
    arn_format_buf(arn, sizeof(arn), ctx, "task-definition", resource);
    authz_resource(req, arn);
    return 0;
}

void ecs_authz_pass_role(struct authz_req *req, const char *role, const char *service)
{
    if (role && *role)
        authz_also(req, "iam:PassRole", role, "iam:PassedToService", service);
}

void ecs_authz_bool_key(struct authz_req *req, const char *name, json_t *value)
{
    if (json_is_boolean(value))
        authz_key(req, name, json_is_true(value) ? "true" : "false");
}

static void capacity_provider(const struct op_ctx *ctx, struct authz_req *req, const char *name)
{
    char arn[ECS_AUTHZ_ARN_MAX];
    if (!name)
        return;
    if (strncmp(name, "arn:", 4) == 0)
        authz_key(req, "ecs:capacity-provider", name);
    else if (arn_format_buf(arn, sizeof(arn), ctx, "capacity-provider", name))
        authz_key(req, "ecs:capacity-provider", arn);
}

void ecs_authz_capacity_providers(const struct op_ctx *ctx, struct authz_req *req, json_t *list, json_t *strategy)
{
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e)
        capacity_provider(ctx, req, json_string_value(e));
    json_array_foreach(strategy, i, e)
        capacity_provider(ctx, req, json_string_value(json_object_get(e, "capacityProvider")));
}

void ecs_authz_network_keys(struct authz_req *req, json_t *network)
{
    json_t *vpc = json_object_get(network, "awsvpcConfiguration");
    if (!vpc)
        return;
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(vpc, "subnets"), i, s) {
        if (json_is_string(s))
            authz_key(req, "ecs:subnet", json_string_value(s));
    }
    const char *assign = json_string_value(json_object_get(vpc, "assignPublicIp"));
    if (assign)
        authz_key(req, "ecs:auto-assign-public-ip", strcmp(assign, "ENABLED") == 0 ? "true" : "false");
}
