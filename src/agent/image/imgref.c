/* imgref.c - parsing image references after Docker's reference grammar
 * (distribution/reference): domain detection, the library/ namespace of
 * Docker Hub, tags and digests.  No I/O. */
#include "agent/image/imgref.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define DEFAULT_DOMAIN "docker.io"
#define LEGACY_DOMAIN "index.docker.io"
#define DOCKER_HUB_API "registry-1.docker.io"

static bool is_alnum_lower(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

/* path-component := [a-z0-9]+ (separator [a-z0-9]+)*
 * separator      := [_.] | __ | [-]+ */
static bool valid_path_component(const char *s, size_t n)
{
    size_t i = 0;
    if (n == 0 || !is_alnum_lower(s[0]) || !is_alnum_lower(s[n - 1]))
        return false;
    while (i < n) {
        if (is_alnum_lower(s[i])) {
            i++;
            continue;
        }
        size_t j = i;
        if (s[i] == '.' || s[i] == '_') {
            j++;
            if (s[i] == '_' && j < n && s[j] == '_')
                j++;
        } else if (s[i] == '-') {
            while (j < n && s[j] == '-')
                j++;
        } else {
            return false;
        }
        if (j >= n || !is_alnum_lower(s[j]))
            return false;
        i = j;
    }
    return true;
}

/* domain := component ('.' component)* (':' port)?, or "[v6]" with a port. */
static bool valid_domain(const char *s)
{
    const char *colon = NULL;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close == s + 1 || strspn(s + 1, "0123456789abcdefABCDEF:") != (size_t)(close - s - 1))
            return false;
        colon = close[1] == ':' ? close + 1 : NULL;
        if (!colon && close[1])
            return false;
    } else {
        size_t n = strcspn(s, ":");
        colon = s[n] == ':' ? s + n : NULL;
        const char *p = s;
        while (p < s + n) {
            size_t c = strcspn(p, ".:");
            if (c == 0 || !isalnum((unsigned char)p[0]) || !isalnum((unsigned char)p[c - 1]))
                return false;
            for (size_t i = 0; i < c; i++)
                if (!isalnum((unsigned char)p[i]) && p[i] != '-')
                    return false;
            p += c;
            if (*p == '.')
                p++;
            if (p == s + n && p[-1] == '.')
                return false;
        }
    }
    if (colon) {
        size_t digits = strspn(colon + 1, "0123456789");
        if (digits == 0 || digits > 5 || colon[1 + digits])
            return false;
    }
    return true;
}

static bool valid_tag(const char *t)
{
    size_t n = strlen(t);
    if (n == 0 || n > LIMIT_IMAGE_TAG)
        return false;
    if (!(isalnum((unsigned char)t[0]) || t[0] == '_'))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!(isalnum((unsigned char)t[i]) || t[i] == '_' || t[i] == '.' || t[i] == '-'))
            return false;
    return true;
}

static int copy(char *dst, size_t cap, const char *src, size_t n)
{
    if (n >= cap)
        return -1;
    memcpy(dst, src, n);
    dst[n] = '\0';
    return 0;
}

/* Cut "@sha256:..." off name into r->digest. */
static int cut_digest(char *name, struct imgref *r, struct error *err)
{
    char *at = strchr(name, '@');
    if (!at)
        return 0;
    *at = '\0';
    const char *d = at + 1;
    if (!strchr(d, ':'))
        return error_set(err, ERR_INVALID, "invalid reference format: digest '%s' has no algorithm", d);
    if (strncmp(d, "sha256:", 7) != 0)
        return error_set(err, ERR_INVALID, "invalid reference format: unsupported digest algorithm in '%s'", d);
    if (!digest_valid(d))
        return error_set(err, ERR_INVALID, "invalid reference format: invalid checksum digest format '%s'", d);
    memcpy(r->digest, d, DIGEST_STR_LEN + 1);
    return 0;
}

/* Docker's splitDockerDomain: the first component is a registry when it
 * has a dot, a port, is "localhost" or has upper case letters.  r->domain
 * is set (Docker Hub by default); *ret_remainder is the rest of name. */
static int split_domain(const char *name, struct imgref *r, const char **ret_remainder, struct error *err)
{
    const char *remainder = name;
    const char *first = strchr(name, '/');
    if (first) {
        size_t n = (size_t)(first - name);
        bool lower = true;
        for (size_t i = 0; i < n; i++)
            if (isupper((unsigned char)name[i]))
                lower = false;
        bool is_domain =
            memchr(name, '.', n) || memchr(name, ':', n) || (n == 9 && memcmp(name, "localhost", 9) == 0) || !lower;
        if (is_domain) {
            if (copy(r->domain, sizeof(r->domain), name, n) < 0)
                return error_set(err, ERR_INVALID, "invalid reference format: registry name too long");
            remainder = first + 1;
        }
    }
    if (!r->domain[0] || strcmp(r->domain, LEGACY_DOMAIN) == 0)
        memcpy(r->domain, DEFAULT_DOMAIN, sizeof(DEFAULT_DOMAIN));
    if (!valid_domain(r->domain))
        return error_set(err, ERR_INVALID, "invalid reference format: invalid registry '%s'", r->domain);
    *ret_remainder = remainder;
    return 0;
}

/* Every component of the repository path is valid. */
static int check_path(const char *path, struct error *err)
{
    for (const char *p = path; *p;) {
        size_t c = strcspn(p, "/");
        if (!valid_path_component(p, c)) {
            for (size_t i = 0; i < c; i++)
                if (isupper((unsigned char)p[i]))
                    return error_set(err, ERR_INVALID, "invalid reference format: repository name must be lowercase");
            return error_set(err, ERR_INVALID, "invalid reference format: invalid repository name '%s'", path);
        }
        p += c;
        if (*p == '/')
            p++;
        if (*p == '\0' && p[-1] == '/')
            return error_set(err, ERR_INVALID, "invalid reference format: invalid repository name '%s'", path);
    }
    return 0;
}

int imgref_parse(const char *s, struct imgref *ret_ref, struct error *err)
{
    struct imgref r = {0};
    char name[LIMIT_IMAGE_REF + 1];
    size_t len = strlen(s);
    if (len == 0)
        return error_set(err, ERR_INVALID, "invalid reference format: empty reference");
    if (len > LIMIT_IMAGE_REF)
        return error_set(err, ERR_INVALID, "invalid reference format: longer than %d characters", LIMIT_IMAGE_REF);
    memcpy(name, s, len + 1);

    if (cut_digest(name, &r, err) < 0)
        return -1;
    char *slash = strrchr(name, '/');
    char *colon = strrchr(name, ':');
    if (colon && (!slash || colon > slash)) {
        *colon = '\0';
        if (!valid_tag(colon + 1))
            return error_set(err, ERR_INVALID, "invalid reference format: invalid tag '%s'", colon + 1);
        memcpy(r.tag, colon + 1, strlen(colon + 1) + 1);
    }
    if (name[0] == '\0')
        return error_set(err, ERR_INVALID, "invalid reference format: no repository name");
    const char *remainder = NULL;
    if (split_domain(name, &r, &remainder, err) < 0)
        return -1;

    bool hub = strcmp(r.domain, DEFAULT_DOMAIN) == 0;
    int n = snprintf(r.path, sizeof(r.path), "%s%s", hub && !strchr(remainder, '/') ? "library/" : "", remainder);
    if (n < 0 || (size_t)n >= sizeof(r.path) || strlen(r.domain) + 1 + (size_t)n > LIMIT_IMAGE_NAME)
        return error_set(err, ERR_INVALID,
                         "invalid reference format: repository name must not be more than %d characters",
                         LIMIT_IMAGE_NAME);
    if (check_path(r.path, err) < 0)
        return -1;
    /* A bare 64-hex name would be mistaken for an image id. */
    if (strlen(remainder) == 64 && strspn(remainder, "0123456789abcdef") == 64)
        return error_set(err, ERR_INVALID, "invalid repository name (%s), cannot specify 64-byte hexadecimal strings",
                         remainder);
    if (!r.tag[0] && !r.digest[0])
        memcpy(r.tag, "latest", 7);
    *ret_ref = r;
    return 0;
}

const char *imgref_api_host(const struct imgref *ref)
{
    return strcmp(ref->domain, DEFAULT_DOMAIN) == 0 ? DOCKER_HUB_API : ref->domain;
}

void imgref_name(const struct imgref *ref, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/%s", ref->domain, ref->path);
}

void imgref_string(const struct imgref *ref, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/%s%s%s%s%s", ref->domain, ref->path, ref->tag[0] ? ":" : "", ref->tag,
             ref->digest[0] ? "@" : "", ref->digest);
}

const char *imgref_reference(const struct imgref *ref) { return ref->digest[0] ? ref->digest : ref->tag; }
