/* sd_connect.c - the Cloud Map services ECS Service Connect creates (see
 * sd_registry.h): made through CreateService's own handler, so that they
 * are what a CreateService call would have made. */
#include <string.h>

#include "common/cleanup.h"
#include "server/servicediscovery/sd.h"
#include "server/servicediscovery/sd_registry.h"
#include "server/store/store_sd.h"

int sd_service_ensure(struct op_ctx *ctx, json_t *ns, const char *name, json_t **ret_doc, struct error *err)
{
    int r = store_sd_find_name(ctx->tx, STORE_SD_SERVICE, ctx->region, sd_str(ns, "Id"), name, ret_doc, err);
    if (r != 0)
        return r < 0 ? -1 : 0;
    _cleanup_json_ json_t *in = json_pack("{s:s, s:s, s:s, s:s}", "Name", name, "NamespaceId", sd_str(ns, "Id"), "Type",
                                          "HTTP", "Description", "Created by ECS Service Connect");
    _cleanup_json_ json_t *out = json_object();
    if (!in || !out)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (sd_create_service(ctx, in, out, err) < 0)
        return -1;
    *ret_doc = json_incref(json_object_get(out, "Service"));
    return 0;
}
