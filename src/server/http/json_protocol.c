/* json_protocol.c - the AWS JSON 1.0/1.1 protocol's request and reply
 * bodies: a JSON object in, a JSON object or {"__type", "message"} out.
 * The AWS query protocol (IAM, STS, ELB) and Smithy RPC v2 CBOR will be
 * codecs beside it; the dispatcher does not care which spelled a request. */
#include "server/http/json_protocol.h"

#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"

int json_protocol_parse(const struct api_request *req, json_t **ret_json, struct error *err)
{
    if (req->body_len == 0) {
        /* The CLI sends "{}" for empty input; be lenient with nothing at all. */
        *ret_json = json_object();
        return 0;
    }
    json_error_t jerr;
    json_t *in = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    if (!in)
        /* Not jansson's text: it quotes the body ("near '...'"), and a
         * body may hold a secret that would then reach the log. */
        return error_set(err, API_ERR_SERIALIZATION, "Malformed JSON at line %d, column %d (position %d)", jerr.line,
                         jerr.column, jerr.position);
    if (!json_is_object(in)) {
        json_decref(in);
        return error_set(err, API_ERR_SERIALIZATION, "Request body must be a JSON object");
    }
    *ret_json = in;
    return 0;
}

void json_protocol_reply(struct api_response *resp, int status, json_t *body)
{
    resp->status = status;
    resp->body = json_dumps(body, JSON_COMPACT | JSON_ENSURE_ASCII);
    if (!resp->body) {
        resp->status = 500;
        resp->body = strdup("{\"__type\":\"ServerException\",\"message\":\"out of memory\"}");
    }
    resp->body_len = resp->body ? strlen(resp->body) : 0;
}

void json_protocol_error(struct api_response *resp, const struct api_service *svc, struct error *err)
{
    const struct api_error *m = api_service_error(svc, err->kind);
    /* Messages may echo client input; JSON needs it well-formed. */
    utf8_sanitize(err->msg);
    /* Server faults say little to the client; the log has the detail. */
    const char *msg = api_error_message(err, m->status);
    json_t *body = json_pack("{s:s, s:s}", "__type", m->name, "message", msg);
    json_protocol_reply(resp, m->status, body);
    json_decref(body);
}
