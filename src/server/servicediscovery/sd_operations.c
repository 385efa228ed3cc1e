/* sd_operations.c - Cloud Map's asynchronous operations: each namespace
 * creation or deletion, service update and instance (de)registration
 * returns an OperationId that GetOperation and ListOperations show.
 * berth does the work in the request's own transaction, so an operation
 * is SUCCESS by the time anyone can read it. */
#include "server/servicediscovery/sd.h"

#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/ids.h"
#include "server/store/store_sd.h"

int sd_operation_record(struct op_ctx *ctx, const char *type, json_t *targets, char *out, size_t cap, struct error *err)
{
    _cleanup_json_ json_t *t = targets;
    char a[33], b[9];
    if (ids_random_hex(a, 16) < 0 || ids_random_hex(b, 4) < 0)
        return error_set(err, ERR_INTERNAL, "no randomness for an id");
    /* AWS's operation ids: 32 characters, "-", 8 more. */
    char id[48];
    snprintf(id, sizeof(id), "%s-%s", a, b);
    double now = time_to_epoch_seconds(ctx->now);
    _cleanup_json_ json_t *op =
        json_pack("{s:s, s:s, s:s, s:s, s:f, s:f, s:O}", "Id", id, "OwnerAccount", ctx->account, "Type", type, "Status",
                  "SUCCESS", "CreateDate", now, "UpdateDate", now, "Targets", t);
    if (!op)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (store_sd_put(ctx->tx, STORE_SD_OPERATION, ctx->region, "", id, type, op, err) < 0)
        return -1;
    if (out)
        snprintf(out, cap, "%s", id);
    return 0;
}

API_ACTION(sd_get_operation)
{
    _cleanup_json_ json_t *op = NULL;
    const char *id = sd_str(in, "OperationId");
    int r = store_sd_get(ctx->tx, STORE_SD_OPERATION, ctx->region, "", id, &op, err);
    if (r < 0)
        return -1;
    if (r == 0)
        return error_set(err, SD_ERR_OPERATION_NOT_FOUND, "No operation found with ID %.100s", id);
    json_object_set(out, "Operation", op);
    return 0;
}

/* Whether an operation passes every filter. */
static int op_keep(struct op_ctx *ctx, json_t *op, json_t *in, struct error *err)
{
    (void)ctx, (void)err;
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(in, "Filters"), i, f) {
        const char *name = sd_str(f, "Name");
        json_t *targets = json_object_get(op, "Targets");
        const char *value = NULL;
        char date[32];
        if (strcmp(name, "NAMESPACE_ID") == 0)
            value = sd_str(targets, "NAMESPACE");
        else if (strcmp(name, "SERVICE_ID") == 0)
            value = sd_str(targets, "SERVICE");
        else if (strcmp(name, "STATUS") == 0)
            value = sd_str(op, "Status");
        else if (strcmp(name, "TYPE") == 0)
            value = sd_str(op, "Type");
        else if (strcmp(name, "UPDATE_DATE") == 0) {
            /* Compared as whole epoch seconds, the form the CLI sends. */
            snprintf(date, sizeof(date), "%lld", (long long)json_number_value(json_object_get(op, "UpdateDate")));
            value = date;
        }
        if (!value || !sd_filter_match(f, value))
            return 0;
    }
    return 1;
}

static json_t *op_show(struct op_ctx *ctx, json_t *op, struct error *err)
{
    (void)ctx;
    json_t *s = json_pack("{s:O, s:O}", "Id", json_object_get(op, "Id"), "Status", json_object_get(op, "Status"));
    if (!s)
        error_set(err, ERR_INTERNAL, "out of memory");
    return s;
}

API_ACTION(sd_list_operations)
{
    return sd_list(ctx, in, out, STORE_SD_OPERATION, NULL, "Operations", op_keep, op_show, err);
}
