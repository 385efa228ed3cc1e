/* role_session.c - issuing temporary credentials (see role_session.h).
 * Whether the caller may have them (trust policies, the caller's own
 * policies) is the callers' business, except for service principals,
 * which no request signs as: role_session_service_role checks those. */
#include "server/iam/role_session.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "server/iam/keyring.h"
#include "server/iam/trust_policy.h"
#include "server/store/store_iam.h"

#define SESSION_TOKEN_CAP 1024

int role_session_issue(struct keyring *k, struct store_tx *tx, const char *principal_arn, usec_t now, int64_t seconds,
                       json_t **ret_credentials, struct error *err)
{
    char id[21], secret[41], token[SESSION_TOKEN_CAP];
    usec_t expires = now + seconds * USEC_PER_SEC;
    int rc = 0;
    if (keyring_new_key_id("ASIA", id) < 0 || keyring_new_secret(secret) < 0 ||
        keyring_new_session_token(token, sizeof(token)) < 0)
        rc = error_set(err, ERR_INTERNAL, "no random bytes for credentials");
    struct key_record rec = {.access_key_id = id,
                             .secret = secret,
                             .principal_arn = principal_arn,
                             .status = "Active",
                             .session_token = token,
                             .expires_at = expires};
    if (rc == 0)
        rc = keyring_put(k, tx, &rec, err);
    json_t *creds = NULL;
    if (rc == 0)
        creds = json_pack("{s:s, s:s, s:s, s:f}", "AccessKeyId", id, "SecretAccessKey", secret, "SessionToken", token,
                          "Expiration", time_to_epoch_seconds(expires));
    if (rc == 0 && !creds)
        rc = error_set(err, ERR_INTERNAL, "out of memory");
    OPENSSL_cleanse(secret, sizeof(secret));
    OPENSSL_cleanse(token, sizeof(token));
    if (rc == 0)
        *ret_credentials = creds;
    return rc;
}

int role_session_service_role(struct store_tx *tx, const char *account, const char *role_arn, const char *service,
                              const char *source_arn, struct iam_entity_row *ret_role, struct error *err)
{
    /* What AWS gives a service's trust-policy Conditions (confused deputy). */
    const char *source_account = account;
    const struct policy_key keys[] = {{"aws:SourceAccount", &source_account, 1}, {"aws:SourceArn", &source_arn, 1}};
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "arn:aws:iam::%s:role/", account);
    const char *name = strrchr(role_arn, '/');
    if (strncmp(role_arn, prefix, strlen(prefix)) != 0 || !name)
        return error_set(err, ERR_NOT_FOUND, "role %.200s is not a role of account %s", role_arn, account);
    struct iam_entity_row role = {0};
    int r = store_iam_entity_get(tx, "role", name + 1, &role, err);
    if (r < 0)
        return -1;
    if (r == 0 || strcmp(role.arn, role_arn) != 0) {
        iam_entity_row_clear(&role);
        return error_set(err, ERR_NOT_FOUND, "role %.200s does not exist", role_arn);
    }
    if (!trust_policy_allows_service(role.trust_policy, service, "sts:AssumeRole", keys, source_arn ? 2 : 1)) {
        iam_entity_row_clear(&role);
        return error_set(err, ERR_INVALID,
                         "role %.200s does not trust %s (its trust policy allows no sts:AssumeRole by that service)",
                         role_arn, service);
    }
    *ret_role = role;
    return 0;
}
