/* aws_credentials.c - the credential chain of the AWS CLI, cut down to its
 * first two links: environment variables, then the shared credentials file
 * (an INI file, read whole under LIMIT_AWS_CREDENTIALS_FILE).  It never
 * prints or logs a secret; error messages name only variables, files,
 * profiles and keys. */
#include "common/aws_credentials.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/cleanup.h"
#include "common/fsutil.h"

#define DEFAULT_PROFILE "default"
#define DEFAULT_REGION "us-east-1"

static const char *env_value(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* Copy a value into a credentials field; what names it for the message. */
static int set_field(char *field, size_t cap, const char *value, size_t len, const char *what, struct error *err)
{
    if (len >= cap)
        return error_set(err, ERR_LIMIT, "%s is longer than %zu bytes", what, cap - 1);
    memcpy(field, value, len);
    field[len] = '\0';
    return 0;
}

void aws_credentials_clear(struct aws_credentials *c)
{
    if (c)
        explicit_bzero(c, sizeof(*c));
}

static void credentials_freep(struct aws_credentials **c)
{
    aws_credentials_clear(*c);
    free(*c);
}
#define _cleanup_credentials_ _cleanup_(credentials_freep)

static char *trim(char *s, char *end)
{
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        end--;
    *end = '\0';
    return s;
}

/* The three keys a profile may set, as a table. */
static const struct {
    const char *key;
    size_t off, cap;
} credential_keys[] = {
    {"aws_access_key_id", offsetof(struct aws_credentials, access_key_id), LIMIT_AWS_ACCESS_KEY_ID + 1},
    {"aws_secret_access_key", offsetof(struct aws_credentials, secret_access_key), LIMIT_AWS_SECRET_KEY + 1},
    {"aws_session_token", offsetof(struct aws_credentials, session_token), LIMIT_AWS_SESSION_TOKEN + 1},
};

/* One "key = value" line of the wanted profile; other keys are ignored. */
static int profile_line(char *line, struct aws_credentials *c, struct error *err)
{
    char *eq = line + strcspn(line, "=:");
    if (!*eq)
        return 0; /* not a setting: tolerated, as a continuation line */
    char *key = trim(line, eq);
    char *value = trim(eq + 1, eq + 1 + strlen(eq + 1));
    for (size_t i = 0; i < ELEMENTSOF(credential_keys); i++) {
        if (strcasecmp(key, credential_keys[i].key) != 0)
            continue;
        return set_field((char *)c + credential_keys[i].off, credential_keys[i].cap, value, strlen(value),
                         credential_keys[i].key, err);
    }
    return 0;
}

/* Walk the file's lines, filling c from the sections named profile. */
static int parse_profile(char *text, const char *profile, struct aws_credentials *c, bool *ret_found, struct error *err)
{
    bool in_profile = false, found = false;
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        char *end = nl ? nl : line + strlen(line);
        char *next = nl ? nl + 1 : NULL;
        char *s = trim(line, end);
        line = next;
        if (*s == '\0' || *s == '#' || *s == ';')
            continue;
        if (*s == '[') {
            char *close = strchr(s, ']');
            if (!close)
                continue; /* not a section header */
            in_profile = strcmp(trim(s + 1, close), profile) == 0;
            found = found || in_profile;
            continue;
        }
        if (in_profile && profile_line(s, c, err) < 0)
            return -1;
    }
    *ret_found = found;
    return 0;
}

int aws_credentials_from_file(const char *path, const char *profile, struct aws_credentials *ret, struct error *err)
{
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    if (fs_read_file(path, LIMIT_AWS_CREDENTIALS_FILE, &text, &len, err) < 0) {
        if (err && err->kind == ERR_NOT_FOUND)
            return error_set(err, ERR_NOT_FOUND, "the AWS credentials file %s does not exist", path);
        return error_prefix(err, "AWS credentials file");
    }
    _cleanup_credentials_ struct aws_credentials *c = calloc(1, sizeof(*c));
    if (!c) {
        explicit_bzero(text, len);
        return error_set(err, ERR_INTERNAL, "out of memory");
    }
    bool found = false;
    int r = parse_profile(text, profile, c, &found, err);
    explicit_bzero(text, len);
    if (r < 0)
        return error_prefix(err, "%s: profile [%s]", path, profile);
    if (!found)
        return error_set(err, ERR_NOT_FOUND, "the AWS credentials file %s has no profile [%s]", path, profile);
    if (!*c->access_key_id || !*c->secret_access_key)
        return error_set(err, ERR_INVALID, "%s: profile [%s] has no %s", path, profile,
                         *c->access_key_id ? "aws_secret_access_key" : "aws_access_key_id");
    *ret = *c;
    return 0;
}

static int from_env(const char *key_id, struct aws_credentials *ret, struct error *err)
{
    const char *secret = env_value("AWS_SECRET_ACCESS_KEY");
    const char *token = env_value("AWS_SESSION_TOKEN");
    if (!secret)
        return error_set(err, ERR_INVALID, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
    _cleanup_credentials_ struct aws_credentials *c = calloc(1, sizeof(*c));
    if (!c)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (set_field(c->access_key_id, sizeof(c->access_key_id), key_id, strlen(key_id), "AWS_ACCESS_KEY_ID", err) < 0 ||
        set_field(c->secret_access_key, sizeof(c->secret_access_key), secret, strlen(secret), "AWS_SECRET_ACCESS_KEY",
                  err) < 0 ||
        (token &&
         set_field(c->session_token, sizeof(c->session_token), token, strlen(token), "AWS_SESSION_TOKEN", err) < 0))
        return -1;
    *ret = *c;
    return 0;
}

int aws_credentials_resolve(struct aws_credentials *ret, struct error *err)
{
    const char *key_id = env_value("AWS_ACCESS_KEY_ID");
    if (key_id)
        return from_env(key_id, ret, err);
    const char *profile = env_value("AWS_PROFILE");
    if (!profile)
        profile = DEFAULT_PROFILE;
    if (strlen(profile) > LIMIT_AWS_PROFILE)
        return error_set(err, ERR_LIMIT, "AWS_PROFILE is longer than %d bytes", LIMIT_AWS_PROFILE);
    char path[4096];
    const char *file = env_value("AWS_SHARED_CREDENTIALS_FILE");
    const char *home = env_value("HOME");
    if (file)
        snprintf(path, sizeof(path), "%s", file);
    else if (home)
        snprintf(path, sizeof(path), "%s/.aws/credentials", home);
    else
        return error_set(err, ERR_NOT_FOUND,
                         "no AWS credentials: AWS_ACCESS_KEY_ID, AWS_SHARED_CREDENTIALS_FILE and HOME are not set");
    if (aws_credentials_from_file(path, profile, ret, err) < 0) {
        if (!err || err->kind != ERR_NOT_FOUND)
            return -1;
        char why[sizeof(err->msg)];
        snprintf(why, sizeof(why), "%s", err->msg);
        return error_set(err, ERR_NOT_FOUND, "no AWS credentials: AWS_ACCESS_KEY_ID is not set and %s", why);
    }
    return 0;
}

const char *aws_region_resolve(const char *explicit_region)
{
    if (explicit_region && *explicit_region)
        return explicit_region;
    const char *r = env_value("AWS_REGION");
    if (!r)
        r = env_value("AWS_DEFAULT_REGION");
    return r ? r : DEFAULT_REGION;
}
