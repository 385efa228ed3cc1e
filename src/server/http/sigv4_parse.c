/* sigv4_parse.c - SigV4 Authorization header parsing. */
#include "server/http/sigv4_parse.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#define ALGORITHM "AWS4-HMAC-SHA256"

/* Copy [s, s+n) into dst (size cap) if it fits and every byte passes ok(). */
static bool copy_field(char *dst, size_t cap, const char *s, size_t n, int (*ok)(int))
{
    if (n == 0 || n >= cap)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!ok((unsigned char)s[i]))
            return false;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return true;
}

static int is_region_char(int c) { return islower(c) || isdigit(c) || c == '-'; }
static int is_key_char(int c) { return isalnum(c) || c == '_' || c == '-' || c == '.'; }
static int is_header_list_char(int c) { return islower(c) || isdigit(c) || c == '-' || c == ';'; }
static int is_hex(int c) { return isdigit(c) || (c >= 'a' && c <= 'f'); }
static int is_digit(int c) { return isdigit(c); }

int sigv4_parse_credential(const char *v, size_t n, struct sigv4_auth *a, struct error *err)
{
    /* AKID/DATE/REGION/SERVICE/aws4_request */
    const char *parts[5];
    size_t lens[5];
    size_t k = 0;
    const char *start = v;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || v[i] == '/') {
            if (k == 5)
                return error_set(err, ERR_INVALID, "Credential has too many components");
            parts[k] = start;
            lens[k] = (size_t)(v + i - start);
            k++;
            start = v + i + 1;
        }
    }
    if (k != 5 || lens[4] != strlen("aws4_request") || memcmp(parts[4], "aws4_request", lens[4]) != 0)
        return error_set(err, ERR_INVALID,
                         "Credential should be scoped to a valid region, service and "
                         "'aws4_request' terminator");
    if (!copy_field(a->access_key, sizeof(a->access_key), parts[0], lens[0], is_key_char))
        return error_set(err, ERR_INVALID, "Credential has an invalid access key id");
    if (lens[1] != 8 || !copy_field(a->date, sizeof(a->date), parts[1], lens[1], is_digit))
        return error_set(err, ERR_INVALID, "Credential has an invalid date");
    if (!copy_field(a->region, sizeof(a->region), parts[2], lens[2], is_region_char))
        return error_set(err, ERR_INVALID, "Credential has an invalid region");
    if (!copy_field(a->service, sizeof(a->service), parts[3], lens[3], is_region_char))
        return error_set(err, ERR_INVALID, "Credential has an invalid service");
    return 0;
}

int sigv4_parse_authorization(const char *header, struct sigv4_auth *ret_auth, struct error *err)
{
    struct sigv4_auth a;
    memset(&a, 0, sizeof(a));
    size_t alen = strlen(ALGORITHM);
    if (strncmp(header, ALGORITHM, alen) != 0 || (header[alen] != ' ' && header[alen] != '\t'))
        return error_set(err, ERR_INVALID, "Authorization header requires the AWS4-HMAC-SHA256 algorithm");
    const char *p = header + alen;
    bool have_cred = false, have_headers = false, have_sig = false;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            break;
        const char *eq = strchr(p, '=');
        if (!eq)
            return error_set(err, ERR_INVALID, "Authorization header component is missing '='");
        const char *end = eq + 1;
        while (*end && *end != ',')
            end++;
        size_t klen = (size_t)(eq - p);
        const char *v = eq + 1;
        size_t vlen = (size_t)(end - v);
        while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
            vlen--;
        if (klen == 10 && memcmp(p, "Credential", 10) == 0) {
            if (sigv4_parse_credential(v, vlen, &a, err) < 0)
                return -1;
            have_cred = true;
        } else if (klen == 13 && memcmp(p, "SignedHeaders", 13) == 0) {
            if (!copy_field(a.signed_headers, sizeof(a.signed_headers), v, vlen, is_header_list_char))
                return error_set(err, ERR_INVALID, "Authorization header has invalid SignedHeaders");
            have_headers = true;
        } else if (klen == 9 && memcmp(p, "Signature", 9) == 0) {
            if (vlen != 64 || !copy_field(a.signature, sizeof(a.signature), v, vlen, is_hex))
                return error_set(err, ERR_INVALID, "Authorization header has an invalid Signature");
            have_sig = true;
        } else {
            return error_set(err, ERR_INVALID, "Authorization header has an unknown component");
        }
        p = end;
    }
    if (!have_cred || !have_headers || !have_sig)
        return error_set(err, ERR_INVALID,
                         "Authorization header requires 'Credential', 'SignedHeaders' "
                         "and 'Signature' parameters");
    *ret_auth = a;
    return 0;
}
