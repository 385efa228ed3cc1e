/* secret_ref.c - splitting a Secrets Manager valueFrom (see secret_ref.h). */
#include "agent/task/secret_ref.h"

#include <string.h>

bool secret_ref_is_asm(const char *value_from)
{
    return strncmp(value_from, "arn:", 4) == 0 && strstr(value_from, ":secretsmanager:") != NULL;
}

int secret_ref_parse(const char *from, struct secret_ref *ret)
{
    memset(ret, 0, sizeof(*ret));
    const char *p = from;
    for (int i = 0; i < 7 && p; i++) {
        p = strchr(p, ':');
        if (p && i < 6)
            p++;
    }
    size_t arn_len = p ? (size_t)(p - from) : strlen(from);
    if (arn_len >= sizeof(ret->arn))
        return -1;
    memcpy(ret->arn, from, arn_len);
    if (!p)
        return 0;
    char *fields[3] = {ret->key, ret->stage, ret->id};
    size_t caps[3] = {sizeof(ret->key), sizeof(ret->stage), sizeof(ret->id)};
    p++;
    for (int i = 0; i < 3 && p; i++) {
        const char *end = strchr(p, ':');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n >= caps[i])
            return -1;
        memcpy(fields[i], p, n);
        p = end ? end + 1 : NULL;
    }
    return p ? -1 : 0; /* more than three fields after the ARN */
}
