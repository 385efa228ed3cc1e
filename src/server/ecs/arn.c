/* arn.c - building and splitting ECS ARNs. */
#include "server/ecs/arn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/http/api.h"

static bool take(const char **p, char *dst, size_t cap, char sep)
{
    const char *end = strchr(*p, sep);
    if (!end)
        return false;
    size_t n = (size_t)(end - *p);
    if (n >= cap)
        return false;
    memcpy(dst, *p, n);
    dst[n] = '\0';
    *p = end + 1;
    return true;
}

bool arn_parse(const char *s, struct arn *ret_arn)
{
    struct arn a;
    char partition[32];
    char service[16];
    memset(&a, 0, sizeof(a));
    if (strncmp(s, "arn:", 4) != 0)
        return false;
    const char *p = s + 4;
    if (!take(&p, partition, sizeof(partition), ':') || strncmp(partition, "aws", 3) != 0)
        return false;
    if (!take(&p, service, sizeof(service), ':') || strcmp(service, "ecs") != 0)
        return false;
    if (!take(&p, a.region, sizeof(a.region), ':') || !take(&p, a.account, sizeof(a.account), ':'))
        return false;
    if (!take(&p, a.type, sizeof(a.type), '/') || !*a.type)
        return false;
    if (!*p || strlen(p) >= sizeof(a.resource))
        return false;
    memcpy(a.resource, p, strlen(p) + 1);
    *ret_arn = a;
    return true;
}

char *arn_format(const struct op_ctx *ctx, const char *type, const char *resource)
{
    char *out = NULL;
    if (asprintf(&out, "arn:aws:ecs:%s:%s:%s/%s", ctx->region, ctx->account, type, resource) < 0)
        return NULL;
    return out;
}

bool arn_format_buf(char *buf, size_t cap, const struct op_ctx *ctx, const char *type, const char *resource)
{
    int n = snprintf(buf, cap, "arn:aws:ecs:%s:%s:%s/%s", ctx->region, ctx->account, type, resource);
    return n > 0 && (size_t)n < cap;
}
