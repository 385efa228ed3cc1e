/* registration_tokens.c - creating, listing, revoking and checking cluster
 * registration tokens (see registration_tokens.h).
 *
 * Who may manage tokens is checked here as well as by the dispatcher's
 * policy check: an instance principal never may (it could otherwise admit
 * more agents), and other callers need root or a policy allowing the
 * action on the cluster (agent_register.h).  Registering with a token is
 * agent_register.c. */
#include "server/ecs/registration_tokens.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/sigv4.h"
#include "server/ecs/agent_register.h"
#include "server/ecs/clusters.h"
#include "server/http/http_limits.h"
#include "server/http/paging.h"
#include "server/store/store_reg_tokens.h"

#define TOKEN_ID_BYTES 8
#define TOKEN_SECRET_BYTES 32
#define TOKEN_ID_LEN (2 * TOKEN_ID_BYTES)
#define TOKEN_LEN (TOKEN_ID_LEN + 1 + 2 * TOKEN_SECRET_BYTES)

static const char *token_status(const struct reg_token_row *row, usec_t now)
{
    if (row->revoked_at)
        return "REVOKED";
    return now >= row->expires_at ? "EXPIRED" : "ACTIVE";
}

static json_t *token_json(struct op_ctx *ctx, const char *cluster_name, const struct reg_token_row *row)
{
    char arn[600];
    cluster_arn(ctx, cluster_name, arn, sizeof(arn));
    json_t *j = json_pack("{s:s, s:s, s:s, s:f, s:f, s:s}", "tokenId", row->token_id, "clusterArn", arn, "status",
                          token_status(row, ctx->now), "createdAt", time_to_epoch_seconds(row->created_at), "expiresAt",
                          time_to_epoch_seconds(row->expires_at), "createdBy", row->created_by);
    if (j && row->revoked_at)
        json_object_set_new(j, "revokedAt", json_real(time_to_epoch_seconds(row->revoked_at)));
    if (j && row->last_used_at)
        json_object_set_new(j, "lastUsedAt", json_real(time_to_epoch_seconds(row->last_used_at)));
    return j;
}

/* The cluster a management action names, once the caller may manage its
 * tokens. */
static int managed_cluster(struct op_ctx *ctx, json_t *in, struct cluster_row *ret_cluster, struct error *err)
{
    if (!json_is_object(in))
        return error_set(err, ERR_INVALID, "Request body must be an object.");
    json_t *c = json_object_get(in, "cluster");
    if (!json_is_string(c))
        return error_set(err, ERR_INVALID, "cluster is required.");
    if (cluster_resolve(ctx, c, false, ret_cluster, err) < 0)
        return -1;
    char arn[600];
    cluster_arn(ctx, ret_cluster->name, arn, sizeof(arn));
    char action[64];
    snprintf(action, sizeof(action), "ecs:%s", ctx->action);
    return agent_register_authorize(ctx, action, arn, err);
}

int action_berth_create_registration_token(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    if (managed_cluster(ctx, in, &cluster, err) < 0)
        return -1;
    json_t *ttl_j = json_object_get(in, "expiresInSeconds");
    if (ttl_j && !json_is_integer(ttl_j))
        return error_set(err, ERR_INVALID, "expiresInSeconds must be an integer.");
    json_int_t ttl = ttl_j ? json_integer_value(ttl_j) : REG_TOKEN_DEFAULT_SECONDS;
    if (ttl < REG_TOKEN_MIN_SECONDS || ttl > REG_TOKEN_MAX_SECONDS)
        return error_set(err, ERR_INVALID, "expiresInSeconds must be between %d and %d.", REG_TOKEN_MIN_SECONDS,
                         REG_TOKEN_MAX_SECONDS);
    struct reg_token_row row = {.cluster_id = cluster.id, .created_at = ctx->now};
    snprintf(row.region, sizeof(row.region), "%s", ctx->region);
    row.expires_at = ctx->now + (usec_t)ttl * USEC_PER_SEC;
    char token[TOKEN_LEN + 1];
    if (ids_random_hex(row.token_id, TOKEN_ID_BYTES) < 0 ||
        ids_random_hex(token + TOKEN_ID_LEN + 1, TOKEN_SECRET_BYTES) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness");
    memcpy(token, row.token_id, TOKEN_ID_LEN);
    token[TOKEN_ID_LEN] = '.';
    sigv4_sha256_hex(token, TOKEN_LEN, row.token_hash);
    snprintf(row.created_by, sizeof(row.created_by), "%s", ctx->caller);
    if (store_reg_token_put(ctx->tx, &row, err) < 0)
        return -1;
    json_t *j = token_json(ctx, cluster.name, &row);
    if (!j)
        return error_set(err, ERR_INTERNAL, "out of memory");
    json_object_set_new(out, "registrationToken", j);
    json_object_set_new(out, "token", json_string(token));
    explicit_bzero(token, sizeof(token));
    log_info("registration tokens: %s created token %s for cluster %s", ctx->caller, row.token_id, cluster.name);
    return 0;
}

int action_berth_list_registration_tokens(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    if (managed_cluster(ctx, in, &cluster, err) < 0)
        return -1;
    struct page page;
    if (page_begin(in, "ListRegistrationTokens", LIMIT_PAGE_DEFAULT, LIMIT_PAGE_MAX, &page, err) < 0)
        return -1;
    _cleanup_free_ struct reg_token_row *rows = NULL;
    size_t n = 0;
    bool more = false;
    int r = store_reg_tokens_list(ctx->tx, cluster.id, page.after, page.limit, &rows, &n, &more, err);
    page_free(&page);
    if (r < 0)
        return -1;
    json_t *list = json_array();
    json_object_set_new(out, "registrationTokens", list);
    for (size_t i = 0; i < n; i++)
        if (json_array_append_new(list, token_json(ctx, cluster.name, &rows[i])) < 0)
            return error_set(err, ERR_INTERNAL, "out of memory");
    if (more && n > 0)
        page_set_next(out, "ListRegistrationTokens", rows[n - 1].token_id);
    return 0;
}

int action_berth_revoke_registration_token(struct op_ctx *ctx, json_t *in, json_t *out, struct error *err)
{
    _cleanup_(cluster_row_clear) struct cluster_row cluster = {0};
    if (managed_cluster(ctx, in, &cluster, err) < 0)
        return -1;
    const char *id = json_string_value(json_object_get(in, "tokenId"));
    if (!id)
        return error_set(err, ERR_INVALID, "tokenId is required.");
    int r = strlen(id) == TOKEN_ID_LEN ? store_reg_token_revoke(ctx->tx, cluster.id, id, ctx->now, err) : 0;
    if (r < 0)
        return -1;
    struct reg_token_row row;
    if (r > 0)
        r = store_reg_token_get(ctx->tx, id, &row, err);
    if (r < 0)
        return -1;
    if (r == 0)
        return error_set(err, API_ERR_RESOURCE_NOT_FOUND, "Cluster %s has no registration token %.64s.", cluster.name,
                         id);
    json_t *j = token_json(ctx, cluster.name, &row);
    if (!j)
        return error_set(err, ERR_INTERNAL, "out of memory");
    json_object_set_new(out, "registrationToken", j);
    log_info("registration tokens: %s revoked token %s of cluster %s", ctx->caller, row.token_id, cluster.name);
    return 0;
}

int registration_token_admit(struct op_ctx *ctx, json_t *cluster_ref, const char *token, char *region,
                             size_t region_cap, struct cluster_row *ret_cluster, struct error *err)
{
    char id[TOKEN_ID_LEN + 1];
    if (strlen(token) != TOKEN_LEN || token[TOKEN_ID_LEN] != '.')
        return error_set(err, API_ERR_ACCESS_DENIED, "The registration token is not valid.");
    memcpy(id, token, TOKEN_ID_LEN);
    id[TOKEN_ID_LEN] = '\0';
    struct reg_token_row row;
    int r = store_reg_token_get(ctx->tx, id, &row, err);
    if (r < 0)
        return -1;
    char hash[65];
    sigv4_sha256_hex(token, TOKEN_LEN, hash);
    /* Unknown and wrong look the same to the caller. */
    if (r == 0 || !sigv4_signature_equal(hash, row.token_hash))
        return error_set(err, API_ERR_ACCESS_DENIED, "The registration token is not valid.");
    if (row.revoked_at)
        return error_set(err, API_ERR_ACCESS_DENIED, "Registration token %s was revoked.", id);
    if (ctx->now >= row.expires_at)
        return error_set(err, API_ERR_ACCESS_DENIED, "Registration token %s has expired.", id);
    /* No credential scope says where: the token's cluster does. */
    snprintf(region, region_cap, "%s", row.region);
    ctx->region = region;
    if (cluster_resolve(ctx, cluster_ref, false, ret_cluster, err) < 0)
        return -1;
    if (row.cluster_id != ret_cluster->id)
        return error_set(err, API_ERR_ACCESS_DENIED, "Registration token %s is for another cluster, not %s.", id,
                         ret_cluster->name);
    return store_reg_token_used(ctx->tx, id, ctx->now, err);
}
