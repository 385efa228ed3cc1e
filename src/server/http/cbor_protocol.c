/* cbor_protocol.c - Smithy RPC v2 CBOR requests and replies (see
 * cbor_protocol.h). */
#include "server/http/cbor_protocol.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/utf8.h"
#include "server/http/cbor.h"
#include "server/http/http_limits.h"
#include "server/http/service_model.h"

#define CBOR_TYPE "application/cbor"

bool cbor_protocol_request(const struct api_request *req)
{
    const char *proto = req->header ? req->header(req->cookie, "smithy-protocol") : NULL;
    return !req->target && req->path && strncmp(req->path, "/service/", 9) == 0 && proto &&
           strcasecmp(proto, "rpc-v2-cbor") == 0;
}

int cbor_protocol_target(const struct api_request *req, char *buf, size_t cap, struct error *err)
{
    const char *svc = req->path + 9, *mid = strstr(svc, "/operation/");
    const char *op = mid ? mid + 11 : NULL;
    if (!mid || mid == svc || !*op || strchr(op, '/') || memchr(svc, '/', (size_t)(mid - svc)) ||
        snprintf(buf, cap, "%.*s.%s", (int)(mid - svc), svc, op) >= (int)cap)
        return error_set(err, API_ERR_UNKNOWN_OPERATION, "Unknown operation path %.200s", req->path);
    return 0;
}

int cbor_protocol_parse(const struct api_request *req, json_t **ret, struct error *err)
{
    if (req->body_len == 0) {
        *ret = json_object();
        return *ret ? 0 : error_set(err, ERR_INTERNAL, "out of memory");
    }
    json_t *in = NULL;
    if (cbor_decode((const uint8_t *)req->body, req->body_len, &in, err) < 0)
        return -1;
    if (!json_is_object(in)) {
        json_decref(in);
        return error_set(err, API_ERR_SERIALIZATION, "The request body must be a CBOR map.");
    }
    *ret = in;
    return 0;
}

/* b as the reply; a failed encoding (ok false) becomes InternalFailure,
 * never a part of a document. */
static void finish(struct api_response *resp, int status, struct buf *b, bool ok)
{
    resp->status = status;
    resp->content_type = CBOR_TYPE;
    if (!ok || b->failed) {
        /* {"__type": "InternalFailure"} */
        static const char fallback[] = "\xa1\x66__type\x6fInternalFailure";
        resp->status = 500;
        buf_reset(b);
        buf_append(b, fallback, sizeof(fallback) - 1);
    }
    resp->body = buf_steal(b, &resp->body_len);
}

void cbor_protocol_reply(struct api_response *resp, const struct service_model *model, const char *op, json_t *out)
{
    _cleanup_buf_ struct buf b;
    buf_init(&b, LIMIT_HTTP_BODY * 4);
    struct error err = {0};
    bool ok = cbor_encode(&b, model, model ? service_model_output_shape(model, op) : NULL, out, &err) == 0;
    if (!ok)
        log_error("%s: %s", op, err.msg);
    finish(resp, 200, &b, ok);
}

void cbor_protocol_error(struct api_response *resp, const struct api_service *svc, struct error *err)
{
    const struct api_error *m = api_service_error(svc, err->kind);
    utf8_sanitize(err->msg);
    _cleanup_json_ json_t *body =
        json_pack("{s:s, s:s}", "__type", m->name, "message", api_error_message(err, m->status));
    _cleanup_buf_ struct buf b;
    buf_init(&b, 8192);
    struct error enc_err = {0};
    bool ok = body && cbor_encode(&b, NULL, NULL, body, &enc_err) == 0;
    finish(resp, m->status, &b, ok);
}
