/* registry_auth.c - the WWW-Authenticate grammar of RFC 7235 as registries
 * use it: a scheme, then comma-separated key=value or key="quoted" pairs.
 * Fetching tokens is registry.c's job. */
#include "agent/image/registry_auth.h"

#include <ctype.h>
#include <stddef.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

int registry_auth_parse(const char *header, struct registry_challenge *ret_challenge, struct error *err)
{
    struct registry_challenge c = {0};
    const char *p = skip_ws(header);
    size_t n = 0;
    while (isalpha((unsigned char)p[n]))
        n++;
    if (n == 0 || n >= sizeof(c.scheme))
        return error_set(err, ERR_INVALID, "WWW-Authenticate: no scheme");
    for (size_t i = 0; i < n; i++)
        c.scheme[i] = (char)tolower((unsigned char)p[i]);
    p = skip_ws(p + n);

    while (*p) {
        char key[32];
        size_t k = 0;
        while (p[k] && p[k] != '=' && p[k] != ',' && p[k] != ' ')
            k++;
        if (k == 0 || k >= sizeof(key) || p[k] != '=')
            return error_set(err, ERR_INVALID, "WWW-Authenticate: malformed parameter near '%.32s'", p);
        memcpy(key, p, k);
        key[k] = '\0';
        p += k + 1;

        char value[1024];
        size_t v = 0;
        if (*p == '"') {
            p++;
            while (*p && *p != '"') {
                if (*p == '\\' && p[1])
                    p++;
                if (v + 1 >= sizeof(value))
                    return error_set(err, ERR_INVALID, "WWW-Authenticate: value of %s too long", key);
                value[v++] = *p++;
            }
            if (*p != '"')
                return error_set(err, ERR_INVALID, "WWW-Authenticate: unterminated quote in %s", key);
            p++;
        } else {
            while (*p && *p != ',' && *p != ' ') {
                if (v + 1 >= sizeof(value))
                    return error_set(err, ERR_INVALID, "WWW-Authenticate: value of %s too long", key);
                value[v++] = *p++;
            }
        }
        value[v] = '\0';

        static const struct {
            const char *name;
            size_t offset, size;
        } fields[] = {
            {"realm", offsetof(struct registry_challenge, realm), sizeof(c.realm)},
            {"service", offsetof(struct registry_challenge, service), sizeof(c.service)},
            {"scope", offsetof(struct registry_challenge, scope), sizeof(c.scope)},
            {"error", offsetof(struct registry_challenge, error), sizeof(c.error)},
        };
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
            if (strcasecmp(key, fields[i].name) != 0)
                continue;
            if (v >= fields[i].size)
                return error_set(err, ERR_INVALID, "WWW-Authenticate: value of %s too long", key);
            memcpy((char *)&c + fields[i].offset, value, v + 1);
        }
        p = skip_ws(p);
        if (*p == ',')
            p = skip_ws(p + 1);
        else if (*p)
            return error_set(err, ERR_INVALID, "WWW-Authenticate: expected ',' near '%.32s'", p);
    }
    if (strcmp(c.scheme, "bearer") == 0 && !c.realm[0])
        return error_set(err, ERR_INVALID, "WWW-Authenticate: Bearer challenge without realm");
    *ret_challenge = c;
    return 0;
}
