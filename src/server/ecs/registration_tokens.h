/* registration_tokens.h - cluster registration tokens: what lets a new
 * host's agent join a cluster without any IAM identity of its own.
 *
 * BerthAgent_20261122 actions (IAM actions ecs:<Action> on the cluster):
 *   CreateRegistrationToken {cluster, expiresInSeconds?}
 *     -> {token, registrationToken: {tokenId, clusterArn, status, createdAt,
 *         expiresAt, createdBy}}            the token is shown this once
 *   ListRegistrationTokens {cluster, maxResults?, nextToken?}
 *     -> {registrationTokens: [...], nextToken?}   never the token itself
 *   RevokeRegistrationToken {cluster, tokenId} -> {registrationToken}
 * A token is "<tokenId>.<secret>", 16 + 1 + 64 characters; the store keeps
 * its SHA-256 only. */
#pragma once

#include <stddef.h>

#include "server/http/api.h"

struct cluster_row;

/* Default and bounds of expiresInSeconds. */
#define REG_TOKEN_DEFAULT_SECONDS (24 * 3600)
#define REG_TOKEN_MIN_SECONDS 1
#define REG_TOKEN_MAX_SECONDS (365 * 24 * 3600)

API_ACTION(action_berth_create_registration_token);
API_ACTION(action_berth_list_registration_tokens);
API_ACTION(action_berth_revoke_registration_token);

/* Whether token admits an agent to the cluster cluster_ref names (as a
 * request's `cluster` member) now: 0 with *ret_cluster (the caller clears
 * it) and the token marked used, or -1 with AccessDeniedException saying
 * why (not a token, unknown, revoked, expired, for another cluster), or the
 * cluster's own error.  The cluster is looked up in the token's region,
 * which becomes ctx->region (copied into region, which must outlive the
 * request).  The message never repeats the token. */
int registration_token_admit(struct op_ctx *ctx, json_t *cluster_ref, const char *token, char *region,
                             size_t region_cap, struct cluster_row *ret_cluster, struct error *err);
