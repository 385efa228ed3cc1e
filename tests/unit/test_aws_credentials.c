/* Unit tests: credentials and region are found where the AWS CLI finds
 * them (environment first, then a profile of the shared credentials file),
 * and a missing profile or file is an error naming it. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/aws_credentials.h"
#include "common/fsutil.h"
#include "test.h"

static const char *const env_names[] = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",       "AWS_SESSION_TOKEN",
                                        "AWS_PROFILE",       "AWS_SHARED_CREDENTIALS_FILE", "AWS_REGION",
                                        "AWS_DEFAULT_REGION"};

struct saved_env {
    char *v[sizeof(env_names) / sizeof(env_names[0])];
};

/* Save and clear the variables the chain reads, so the tests do not see
 * the caller's. */
static void env_save(struct saved_env *s)
{
    for (size_t i = 0; i < sizeof(env_names) / sizeof(env_names[0]); i++) {
        const char *v = getenv(env_names[i]);
        s->v[i] = v ? strdup(v) : NULL;
        unsetenv(env_names[i]);
    }
}

static void env_restore(struct saved_env *s)
{
    for (size_t i = 0; i < sizeof(env_names) / sizeof(env_names[0]); i++) {
        if (s->v[i])
            setenv(env_names[i], s->v[i], 1);
        else
            unsetenv(env_names[i]);
        free(s->v[i]);
    }
}

static const char credentials_file[] = "# a comment\r\n"
                                       "; another\n"
                                       "\n"
                                       "[default]\n"
                                       "aws_access_key_id = AKIDDEFAULT\n"
                                       "aws_secret_access_key=secret/default+key\n"
                                       "\n"
                                       "[ other ]\r\n"
                                       "  AWS_ACCESS_KEY_ID  =  AKIDOTHER  \r\n"
                                       "\taws_secret_access_key = other-secret\r\n"
                                       "aws_session_token = TOKEN/with+chars==\r\n"
                                       "region = eu-west-1\n"
                                       "[half]\n"
                                       "aws_access_key_id = AKIDHALF\n";

/* A temporary credentials file; its path in path (the directory's is dir). */
static int write_credentials(char dir[64], char path[128])
{
    snprintf(dir, 64, "/tmp/berth-unit-creds-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(path, 128, "%s/credentials", dir);
    struct error err;
    return fs_write_atomic(dir, "credentials", credentials_file, strlen(credentials_file), &err);
}

static void remove_credentials(const char *dir, const char *path)
{
    unlink(path);
    rmdir(dir);
}

TEST(aws_credentials_file_profiles)
{
    char dir[64], path[128];
    CHECK(write_credentials(dir, path) == 0);
    struct aws_credentials c;
    struct error err;
    CHECK(aws_credentials_from_file(path, "default", &c, &err) == 0);
    CHECK_STR(c.access_key_id, "AKIDDEFAULT");
    CHECK_STR(c.secret_access_key, "secret/default+key");
    CHECK_STR(c.session_token, "");
    CHECK(aws_credentials_from_file(path, "other", &c, &err) == 0);
    CHECK_STR(c.access_key_id, "AKIDOTHER");
    CHECK_STR(c.secret_access_key, "other-secret");
    CHECK_STR(c.session_token, "TOKEN/with+chars==");
    /* A profile without a secret is incomplete, and says which key is missing. */
    CHECK(aws_credentials_from_file(path, "half", &c, &err) < 0);
    CHECK(err.kind == ERR_INVALID);
    CHECK(strstr(err.msg, "[half]") && strstr(err.msg, "aws_secret_access_key"));
    CHECK(!strstr(err.msg, "AKIDHALF"));
    remove_credentials(dir, path);
}

TEST(aws_credentials_env_first_then_profile)
{
    struct saved_env saved;
    env_save(&saved);
    char dir[64], path[128];
    CHECK(write_credentials(dir, path) == 0);
    setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
    setenv("AWS_PROFILE", "other", 1);
    struct aws_credentials c;
    struct error err;
    /* The environment's keys win over the file. */
    setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "env-secret", 1);
    CHECK(aws_credentials_resolve(&c, &err) == 0);
    CHECK_STR(c.access_key_id, "AKIDENV");
    CHECK_STR(c.secret_access_key, "env-secret");
    CHECK_STR(c.session_token, "");
    setenv("AWS_SESSION_TOKEN", "env-token", 1);
    CHECK(aws_credentials_resolve(&c, &err) == 0);
    CHECK_STR(c.session_token, "env-token");
    /* A key id without its secret is an error, not a fall back to the file. */
    unsetenv("AWS_SECRET_ACCESS_KEY");
    CHECK(aws_credentials_resolve(&c, &err) < 0);
    CHECK(err.kind == ERR_INVALID && strstr(err.msg, "AWS_SECRET_ACCESS_KEY"));
    /* Without them (an empty variable is unset): AWS_PROFILE of the file. */
    setenv("AWS_ACCESS_KEY_ID", "", 1);
    unsetenv("AWS_SESSION_TOKEN");
    CHECK(aws_credentials_resolve(&c, &err) == 0);
    CHECK_STR(c.access_key_id, "AKIDOTHER");
    CHECK_STR(c.session_token, "TOKEN/with+chars==");
    unsetenv("AWS_PROFILE");
    CHECK(aws_credentials_resolve(&c, &err) == 0);
    CHECK_STR(c.access_key_id, "AKIDDEFAULT");
    remove_credentials(dir, path);
    env_restore(&saved);
}

TEST(aws_credentials_missing_profile_or_file)
{
    struct saved_env saved;
    env_save(&saved);
    char dir[64], path[128];
    CHECK(write_credentials(dir, path) == 0);
    setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
    setenv("AWS_PROFILE", "nosuch", 1);
    struct aws_credentials c = {.access_key_id = "untouched"};
    struct error err;
    CHECK(aws_credentials_resolve(&c, &err) < 0);
    CHECK(err.kind == ERR_NOT_FOUND);
    CHECK(strstr(err.msg, "AWS_ACCESS_KEY_ID") && strstr(err.msg, path) && strstr(err.msg, "[nosuch]"));
    CHECK_STR(c.access_key_id, "untouched");
    remove_credentials(dir, path);
    /* No file at all: the message names it. */
    unsetenv("AWS_PROFILE");
    CHECK(aws_credentials_resolve(&c, &err) < 0);
    CHECK(err.kind == ERR_NOT_FOUND && strstr(err.msg, path) && strstr(err.msg, "does not exist"));
    /* The default file is under HOME. */
    unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    char *home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
    setenv("HOME", dir, 1);
    CHECK(aws_credentials_resolve(&c, &err) < 0);
    CHECK(strstr(err.msg, "/.aws/credentials") && strstr(err.msg, dir));
    if (home)
        setenv("HOME", home, 1);
    else
        unsetenv("HOME");
    free(home);
    env_restore(&saved);
}

TEST(aws_region_resolve_order)
{
    struct saved_env saved;
    env_save(&saved);
    CHECK_STR(aws_region_resolve(NULL), "us-east-1");
    setenv("AWS_DEFAULT_REGION", "eu-central-1", 1);
    CHECK_STR(aws_region_resolve(""), "eu-central-1");
    setenv("AWS_REGION", "ap-south-1", 1);
    CHECK_STR(aws_region_resolve(NULL), "ap-south-1");
    CHECK_STR(aws_region_resolve("us-west-2"), "us-west-2");
    env_restore(&saved);
}
