/* principal.c - telling principal ARNs apart (see principal.h). */
#include "server/iam/principal.h"

#include <stdio.h>
#include <string.h>

void principal_parse(const char *account, const char *arn, struct principal *ret)
{
    memset(ret, 0, sizeof(*ret));
    char prefix[96];
    snprintf(prefix, sizeof(prefix), "arn:aws:iam::%s:", account);
    size_t n = strlen(prefix);
    if (strncmp(arn, prefix, n) == 0) {
        const char *rest = arn + n;
        const char *last = strrchr(rest, '/');
        if (strcmp(rest, "root") == 0) {
            ret->kind = PRINCIPAL_ROOT;
        } else if (strncmp(rest, "user/", 5) == 0 && last && last[1] && strlen(last + 1) < sizeof(ret->name)) {
            ret->kind = PRINCIPAL_USER;
            snprintf(ret->name, sizeof(ret->name), "%s", last + 1);
        }
        return;
    }
    snprintf(prefix, sizeof(prefix), "arn:aws:sts::%s:assumed-role/", account);
    n = strlen(prefix);
    if (strncmp(arn, prefix, n) != 0)
        return;
    const char *role = arn + n;
    const char *slash = strchr(role, '/');
    if (!slash || slash == role || (size_t)(slash - role) >= sizeof(ret->name) || !slash[1] || strchr(slash + 1, '/') ||
        strlen(slash + 1) >= sizeof(ret->session))
        return;
    ret->kind = PRINCIPAL_ASSUMED_ROLE;
    snprintf(ret->name, sizeof(ret->name), "%.*s", (int)(slash - role), role);
    snprintf(ret->session, sizeof(ret->session), "%s", slash + 1);
}
