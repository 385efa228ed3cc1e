/* sd_common.c - Cloud Map's ids and ARNs, and the lookups of namespaces
 * and services every handler starts from. */
#include "server/servicediscovery/sd.h"

#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/ids.h"
#include "server/store/store_sd.h"

int sd_new_id(const char *prefix, char *out, size_t cap, struct error *err)
{
    char hex[17];
    if (ids_random_hex(hex, 8) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness for an id");
    snprintf(out, cap, "%s%s", prefix, hex);
    return 0;
}

void sd_arn(const struct op_ctx *ctx, const char *type, const char *id, char *out, size_t cap)
{
    snprintf(out, cap, "arn:aws:servicediscovery:%s:%s:%s/%s", ctx->region, ctx->account, type, id);
}

const char *sd_id_of(const char *id_or_arn)
{
    if (!id_or_arn)
        return "";
    const char *slash = strrchr(id_or_arn, '/');
    return strncmp(id_or_arn, "arn:", 4) == 0 && slash ? slash + 1 : id_or_arn;
}

int sd_namespace_find(struct op_ctx *ctx, const char *id, json_t **ret_doc, struct error *err)
{
    int r = store_sd_get(ctx->tx, STORE_SD_NAMESPACE, ctx->region, "", sd_id_of(id), ret_doc, err);
    if (r < 0)
        return -1;
    if (r == 0)
        return error_set(err, SD_ERR_NAMESPACE_NOT_FOUND, "Namespace not found: %.100s", id ? id : "");
    return 0;
}

int sd_namespace_resolve(struct op_ctx *ctx, const char *ref, json_t **ret_doc, struct error *err)
{
    int r = store_sd_get(ctx->tx, STORE_SD_NAMESPACE, ctx->region, "", sd_id_of(ref), ret_doc, err);
    if (r == 0)
        r = store_sd_find_name(ctx->tx, STORE_SD_NAMESPACE, ctx->region, "", ref ? ref : "", ret_doc, err);
    if (r < 0)
        return -1;
    if (r == 0)
        return error_set(err, SD_ERR_NAMESPACE_NOT_FOUND, "Namespace not found: %.100s", ref ? ref : "");
    return 0;
}

int sd_service_find(struct op_ctx *ctx, const char *id, json_t **ret_doc, struct error *err)
{
    int r = store_sd_get(ctx->tx, STORE_SD_SERVICE, ctx->region, NULL, sd_id_of(id), ret_doc, err);
    if (r < 0)
        return -1;
    if (r == 0)
        return error_set(err, SD_ERR_SERVICE_NOT_FOUND, "Service not found: %.100s", id ? id : "");
    return 0;
}

int sd_service_save(struct op_ctx *ctx, json_t *svc, struct error *err)
{
    return store_sd_put(ctx->tx, STORE_SD_SERVICE, ctx->region, sd_str(svc, "NamespaceId"), sd_str(svc, "Id"),
                        sd_str(svc, "Name"), svc, err);
}
