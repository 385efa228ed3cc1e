/* json_protocol.c - the AWS JSON 1.0/1.1 protocol's request and reply
 * bodies: a JSON object in, a JSON object or {"__type", "message"} out.
 * The AWS query protocol (IAM, STS, ELB) and Smithy RPC v2 CBOR will be
 * codecs beside it; the dispatcher does not care which spelled a request. */
#include "server/http/json_protocol.h"

#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/jsondump.h"
#include "common/jsonscan.h"
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

/* The serialization error for text malformed at byte pos, with jansson's
 * line and column (1-based) for the same place. */
static int malformed_at(const char *body, size_t pos, struct error *err)
{
    int line = 1, column = 0;
    for (size_t i = 0; i < pos; i++, column++)
        if (body[i] == '\n') {
            line++;
            column = -1;
        }
    return error_set(err, API_ERR_SERIALIZATION, "Malformed JSON at line %d, column %d (position %zu)", line,
                     column + 1, pos);
}

/* One member's value at s: the raw member recorded, any other parsed into
 * obj under key.  -1 on malformed text (err not set). */
static int raw_member_value(struct jsonscan *s, json_t *obj, const char *key, const char *raw_member, const char **raw,
                            size_t *raw_len)
{
    jsonscan_peek(s);
    const char *start = s->p;
    bool is_raw = strcmp(key, raw_member) == 0;
    /* The raw member's reader parses all of it (logs_batch_from_text):
     * checking it here too was a third of the server's parse of a log
     * batch. */
    if ((is_raw ? jsonscan_skip_shape(s) : jsonscan_skip(s)) < 0)
        return -1;
    if (is_raw ? *raw != NULL : json_object_get(obj, key) != NULL)
        return -1; /* JSON_REJECT_DUPLICATES */
    if (is_raw) {
        *raw = start;
        *raw_len = (size_t)(s->p - start);
        return 0;
    }
    json_t *v =
        json_loadb(start, (size_t)(s->p - start), JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
    return v && json_object_set_new(obj, key, v) == 0 ? 0 : -1;
}

/* The top-level object's members; -1 on malformed text (err not set). */
static int raw_members(struct jsonscan *s, json_t *obj, const char *raw_member, const char **raw, size_t *raw_len)
{
    if (!jsonscan_take(s, '{'))
        return -1;
    if (jsonscan_take(s, '}'))
        return 0;
    do {
        /* Keys are short: measured, then decoded. */
        struct jsonscan at = *s;
        size_t len;
        if (jsonscan_string(s, NULL, 0, &len) < 0)
            return -1;
        _cleanup_free_ char *key = malloc(len + 1);
        if (!key || jsonscan_string(&at, key, len, &len) < 0)
            return -1;
        key[len] = '\0';
        *s = at;
        if (strlen(key) != len || !jsonscan_take(s, ':') || raw_member_value(s, obj, key, raw_member, raw, raw_len) < 0)
            return -1;
    } while (jsonscan_take(s, ','));
    return jsonscan_take(s, '}') && jsonscan_at_end(s) ? 0 : -1;
}

int json_protocol_parse_raw(const struct api_request *req, const char *raw_member, json_t **ret_json,
                            const char **ret_raw, size_t *ret_raw_len, struct error *err)
{
    const char *raw = NULL;
    size_t raw_len = 0;
    _cleanup_json_ json_t *in = json_object();
    if (!in)
        return error_set(err, ERR_INTERNAL, "out of memory");
    if (req->body_len > 0) {
        struct jsonscan s;
        jsonscan_init(&s, req->body, req->body_len);
        if (jsonscan_peek(&s) != '{') {
            if (jsonscan_skip(&s) < 0 || !jsonscan_at_end(&s))
                return malformed_at(req->body, jsonscan_pos(&s), err);
            return error_set(err, API_ERR_SERIALIZATION, "Request body must be a JSON object");
        }
        if (raw_members(&s, in, raw_member, &raw, &raw_len) < 0)
            return malformed_at(req->body, jsonscan_pos(&s), err);
    }
    *ret_json = TAKE_PTR(in);
    *ret_raw = raw;
    *ret_raw_len = raw_len;
    return 0;
}

void json_protocol_reply(struct api_response *resp, int status, json_t *body)
{
    resp->status = status;
    resp->body = jsondump(body, &resp->body_len);
    if (!resp->body) {
        resp->status = 500;
        resp->body = strdup("{\"__type\":\"ServerException\",\"message\":\"out of memory\"}");
        resp->body_len = resp->body ? strlen(resp->body) : 0;
    }
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
