/* query_xml.c - the AWS query protocol's replies: a handler's JSON output
 * written as the XML the model's output shape describes (lists as
 * <member>, maps as <entry><key><value>, timestamps ISO 8601), and errors
 * as <ErrorResponse>, with the codes query services use.  Requests are
 * query_protocol.c's. */
#include "server/http/query_protocol.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/cleanup.h"
#include "common/utf8.h"
#include "server/http/http_limits.h"
#include "server/http/service_model.h"

#define XML_REPLY_LIMIT (64u * 1024 * 1024)

/* Text as XML character data: markup characters as entities, and the
 * control characters XML 1.0 cannot carry as '?'. */
static void xml_text(struct buf *b, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '&': buf_append_str(b, "&amp;"); break;
        case '<': buf_append_str(b, "&lt;"); break;
        case '>': buf_append_str(b, "&gt;"); break;
        case '"': buf_append_str(b, "&quot;"); break;
        case '\'': buf_append_str(b, "&apos;"); break;
        case '\r': buf_append_str(b, "&#xD;"); break;
        default: buf_append_char(b, c < 0x20 && c != '\t' && c != '\n' ? '?' : (char)c);
        }
    }
}

/* Epoch seconds as ISO 8601 UTC, "2026-12-03T17:20:00Z". */
static void xml_timestamp(struct buf *b, double secs)
{
    time_t t = (time_t)floor(secs);
    struct tm tm;
    char out[32];
    gmtime_r(&t, &tm);
    strftime(out, sizeof(out), "%Y-%m-%dT%H:%M:%SZ", &tm);
    buf_append_str(b, out);
}

static void encode(struct buf *b, const struct service_model *model, const char *shape_name, json_t *v, int depth);

static void element(struct buf *b, const struct service_model *model, const char *name, const char *shape_name,
                    json_t *v, int depth)
{
    buf_printf(b, "<%s>", name);
    encode(b, model, shape_name, v, depth + 1);
    buf_printf(b, "</%s>", name);
}

static void encode_structure(struct buf *b, const struct service_model *model, json_t *shape, json_t *v, int depth)
{
    const char *m;
    json_t *spec;
    json_object_foreach(json_object_get(shape, "members"), m, spec) {
        json_t *mv = json_object_get(v, m);
        const char *ms = json_string_value(json_object_get(spec, "shape"));
        json_t *mshape = service_model_shape(model, ms);
        if (!mv || json_is_null(mv))
            continue;
        if (json_is_true(json_object_get(mshape, "flattened")) && json_is_array(mv)) {
            const char *item = json_string_value(json_object_get(json_object_get(mshape, "member"), "shape"));
            size_t i;
            json_t *e;
            json_array_foreach(mv, i, e)
                element(b, model, m, item, e, depth);
            continue;
        }
        element(b, model, m, ms, mv, depth);
    }
}

static void encode(struct buf *b, const struct service_model *model, const char *shape_name, json_t *v, int depth)
{
    json_t *shape = service_model_shape(model, shape_name);
    const char *type = json_string_value(json_object_get(shape, "type"));
    if (!type || depth > LIMIT_JSON_DEPTH)
        return;
    if (strcmp(type, "structure") == 0) {
        encode_structure(b, model, shape, v, depth);
    } else if (strcmp(type, "list") == 0) {
        const char *item = json_string_value(json_object_get(json_object_get(shape, "member"), "shape"));
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e)
            element(b, model, "member", item, e, depth);
    } else if (strcmp(type, "map") == 0) {
        const char *vs = json_string_value(json_object_get(json_object_get(shape, "value"), "shape"));
        const char *k;
        json_t *e;
        json_object_foreach(v, k, e) {
            buf_append_str(b, "<entry><key>");
            xml_text(b, k);
            buf_append_str(b, "</key>");
            element(b, model, "value", vs, e, depth);
            buf_append_str(b, "</entry>");
        }
    } else if (strcmp(type, "timestamp") == 0 && json_is_number(v)) {
        xml_timestamp(b, json_number_value(v));
    } else if (json_is_string(v)) {
        xml_text(b, json_string_value(v));
    } else if (json_is_integer(v)) {
        buf_printf(b, "%lld", (long long)json_integer_value(v));
    } else if (json_is_real(v)) {
        buf_printf(b, "%.17g", json_real_value(v));
    } else if (json_is_boolean(v)) {
        buf_append_str(b, json_is_true(v) ? "true" : "false");
    }
}

static void finish(struct api_response *resp, int status, struct buf *b)
{
    resp->status = status;
    resp->content_type = "text/xml";
    if (b->failed) {
        resp->status = 500;
        buf_reset(b);
        buf_append_str(b, "<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code>"
                          "<Message>The reply could not be made.</Message></Error></ErrorResponse>");
    }
    resp->body = buf_steal(b, &resp->body_len);
}

static void open_root(struct buf *b, const char *name, const char *xmlns)
{
    buf_printf(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<%s", name);
    if (xmlns) {
        buf_append_str(b, " xmlns=\"");
        xml_text(b, xmlns);
        buf_append_char(b, '"');
    }
    buf_append_str(b, ">");
}

void query_protocol_reply(struct api_response *resp, const struct service_model *model, const char *op, json_t *out)
{
    _cleanup_buf_ struct buf b;
    buf_init(&b, XML_REPLY_LIMIT);
    char root[160];
    snprintf(root, sizeof(root), "%sResponse", op);
    open_root(&b, root, service_model_metadata(model, "xmlNamespace"));
    const char *shape = service_model_output_shape(model, op);
    const char *wrapper = service_model_result_wrapper(model, op);
    if (shape && wrapper)
        element(&b, model, wrapper, shape, out, 0);
    else if (shape)
        encode(&b, model, shape, out, 0);
    buf_printf(&b, "<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%s>\n", resp->request_id, root);
    finish(resp, 200, &b);
}

/* The query protocol's names for the kinds every service shares. */
static const struct api_error query_errors[] = {
    {ERR_INVALID, "ValidationError", 400},
    {ERR_LIMIT, "LimitExceeded", 409},
    {ERR_NOT_FOUND, "NoSuchEntity", 404},
    {ERR_CONFLICT, "EntityAlreadyExists", 409},
    {API_ERR_SERIALIZATION, "MalformedInput", 400},
    {API_ERR_UNKNOWN_OPERATION, "InvalidAction", 400},
    {API_ERR_ACCESS_DENIED, "AccessDenied", 403},
    {API_ERR_MISSING_AUTHENTICATION, "MissingAuthenticationToken", 403},
    {API_ERR_INCOMPLETE_SIGNATURE, "IncompleteSignature", 400},
    {API_ERR_UNRECOGNIZED_CLIENT, "InvalidClientTokenId", 403},
    {API_ERR_INVALID_SIGNATURE, "SignatureDoesNotMatch", 403},
    {API_ERR_EXPIRED_TOKEN, "ExpiredToken", 403},
    {API_ERR_UNSUPPORTED_FEATURE, "NotImplemented", 400},
    {ERR_UNAVAILABLE, "ServiceUnavailable", 503},
};

struct api_error query_protocol_error_lookup(const struct api_service *svc, int kind)
{
    for (size_t i = 0; svc && i < svc->nerrors; i++)
        if (svc->errors[i].kind == kind)
            return svc->errors[i];
    for (size_t i = 0; i < ELEMENTSOF(query_errors); i++)
        if (query_errors[i].kind == kind)
            return query_errors[i];
    const struct api_error *json = api_error_lookup(kind);
    if (json->status >= 500)
        return (struct api_error){kind, "InternalFailure", 500};
    /* A kind only the JSON services name: as they name it. */
    return *json;
}

void query_protocol_error(struct api_response *resp, const struct api_service *svc, struct error *err)
{
    struct api_error e = query_protocol_error_lookup(svc, err->kind);
    utf8_sanitize(err->msg);
    _cleanup_buf_ struct buf b;
    buf_init(&b, XML_REPLY_LIMIT);
    open_root(&b, "ErrorResponse", svc && svc->model ? service_model_metadata(svc->model, "xmlNamespace") : NULL);
    buf_printf(&b, "<Error><Type>%s</Type><Code>", e.status >= 500 ? "Receiver" : "Sender");
    xml_text(&b, e.name);
    buf_append_str(&b, "</Code><Message>");
    xml_text(&b, api_error_message(err, e.status));
    buf_printf(&b, "</Message></Error><RequestId>%s</RequestId></ErrorResponse>\n", resp->request_id);
    finish(resp, e.status, &b);
}
