/* Unit tests: the keyring is a cache over the access_keys table.  A key
 * written in a transaction signs once committed, not before; a status
 * change or delete takes effect at commit even for a key already cached;
 * temporary keys carry their token hash and expiry; secrets are stored
 * sealed, never as given. */
#include <string.h>

#include "common/sigv4.h"
#include "server/http/api.h"
#include "server/iam/keyring.h"
#include "server/store/store.h"
#include "server/store/store_keys.h"
#include "test.h"
#include "test_server.h"

static int put_key(struct server *srv, const struct key_record *rec, bool commit)
{
    struct error err;
    struct store_tx *tx = NULL;
    if (store_begin(srv->store, true, &tx, &err) < 0 || keyring_put(srv->keyring, tx, rec, &err) < 0)
        return -1;
    if (!commit) {
        store_rollback(tx);
        return 0;
    }
    return store_commit(tx, &err);
}

static int change_key(struct server *srv, const char *id, const char *status)
{
    struct error err;
    struct store_tx *tx = NULL;
    if (store_begin(srv->store, true, &tx, &err) < 0)
        return -1;
    int rc =
        status ? keyring_set_status(srv->keyring, tx, id, status, &err) : keyring_delete(srv->keyring, tx, id, &err);
    if (rc < 0) {
        store_rollback(tx);
        return err.kind == ERR_NOT_FOUND ? -2 : -1;
    }
    return store_commit(tx, &err);
}

TEST(keyring_put_commit_status_delete)
{
    struct server srv;
    char dir[] = TEST_SERVER_DIR_TEMPLATE;
    if (test_server_open(&srv, dir) < 0) {
        CHECK(0);
        return;
    }
    char id[21], secret[41];
    CHECK(keyring_new_key_id("AKIA", id) == 0 && strncmp(id, "AKIA", 4) == 0 && strlen(id) == 20);
    CHECK(keyring_new_secret(secret) == 0 && strlen(secret) == 40);
    struct key_record rec = {id, secret, "arn:aws:iam::000000000000:user/alice", "Active", NULL, 0};
    struct api_key got;

    CHECK(put_key(&srv, &rec, false) == 0);
    CHECK(keyring_lookup(srv.keyring, id, &got) == 0); /* rolled back: no key */
    CHECK(put_key(&srv, &rec, true) == 0);
    CHECK(keyring_lookup(srv.keyring, id, &got) == 1);
    CHECK_STR(got.secret, secret);
    CHECK_STR(got.principal, "arn:aws:iam::000000000000:user/alice");
    CHECK(got.session_token_sha256[0] == '\0' && got.expires_at == 0);

    /* Stored sealed: the row does not hold the secret. */
    struct error err;
    struct store_tx *tx = NULL;
    struct access_key_row row;
    CHECK(store_begin(srv.store, false, &tx, &err) == 0);
    CHECK(store_key_get(tx, id, &row, &err) == 1);
    store_rollback(tx);
    CHECK(strstr(row.sealed_secret, secret) == NULL);

    /* Cached now; deactivating it still takes effect at commit. */
    CHECK(change_key(&srv, id, "Inactive") == 0);
    CHECK(keyring_lookup(srv.keyring, id, &got) == 0);
    CHECK(change_key(&srv, id, "Active") == 0);
    CHECK(keyring_lookup(srv.keyring, id, &got) == 1);
    CHECK(change_key(&srv, id, NULL) == 0);
    CHECK(keyring_lookup(srv.keyring, id, &got) == 0);
    CHECK(change_key(&srv, id, NULL) == -2);
    CHECK(change_key(&srv, "AKIANOSUCHKEYXXXXXXX", "Inactive") == -2);
    test_server_close(&srv, dir);
}

TEST(keyring_temporary_key_has_token_hash_and_expiry)
{
    struct server srv;
    char dir[] = TEST_SERVER_DIR_TEMPLATE;
    if (test_server_open(&srv, dir) < 0) {
        CHECK(0);
        return;
    }
    char id[21], secret[41], token[KEYRING_SESSION_TOKEN_LEN + 1], hash[65];
    CHECK(keyring_new_key_id("ASIA", id) == 0);
    CHECK(keyring_new_secret(secret) == 0);
    CHECK(keyring_new_session_token(token, sizeof(token)) == 0 && strlen(token) == KEYRING_SESSION_TOKEN_LEN);
    CHECK(keyring_new_session_token(token, KEYRING_SESSION_TOKEN_LEN) < 0);
    struct key_record rec = {id, secret, "arn:aws:sts::000000000000:assumed-role/deploy/s1", "Active", token, 42};
    CHECK(put_key(&srv, &rec, true) == 0);
    struct api_key got;
    CHECK(keyring_lookup(srv.keyring, id, &got) == 1);
    sigv4_sha256_hex(token, strlen(token), hash);
    CHECK_STR(got.session_token_sha256, hash);
    CHECK(got.expires_at == 42);
    test_server_close(&srv, dir);
}

TEST(keyring_root_key_is_stored_and_found_again)
{
    struct server srv;
    char dir[] = TEST_SERVER_DIR_TEMPLATE;
    if (test_server_open(&srv, dir) < 0) {
        CHECK(0);
        return;
    }
    char id[129], secret[129];
    struct api_key got;
    CHECK(keyring_root(srv.keyring, id, sizeof(id), secret, sizeof(secret)) == 0);
    CHECK(keyring_lookup(srv.keyring, id, &got) == 1);
    CHECK_STR(got.secret, secret);
    CHECK_STR(got.principal, "arn:aws:iam::000000000000:root");
    test_server_close(&srv, dir);
}
