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

#include "server/http/api.h"

struct cluster_row;

/* Default and bounds of expiresInSeconds. */
#define REG_TOKEN_DEFAULT_SECONDS (24 * 3600)
#define REG_TOKEN_MIN_SECONDS 1
#define REG_TOKEN_MAX_SECONDS (365 * 24 * 3600)

API_ACTION(action_berth_create_registration_token);
API_ACTION(action_berth_list_registration_tokens);
API_ACTION(action_berth_revoke_registration_token);

/* Whether token admits an agent to cluster now: 0 (and the token is
 * marked used), or -1 with AccessDeniedException saying why (not a token,
 * unknown, for another cluster, expired, revoked).  The message never
 * repeats the token. */
int registration_token_admit(struct op_ctx *ctx, const struct cluster_row *cluster, const char *token,
                             struct error *err);
