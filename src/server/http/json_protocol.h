/* json_protocol.h - the AWS JSON 1.0/1.1 protocol's bodies (see
 * json_protocol.c). */
#pragma once

#include <jansson.h>

#include "server/http/api.h"

/* The request body as a JSON object (an empty body is {}); -1 with
 * API_ERR_SERIALIZATION when it is not one. */
int json_protocol_parse(const struct api_request *req, json_t **ret_json, struct error *err);
/* As json_protocol_parse, but the top-level member named raw_member is
 * left out of *ret_json and checked only for its shape (balanced, strings
 * terminated: jsonscan_skip_shape), so its reader must parse it in full:
 * *ret_raw and *ret_raw_len are its text within the body (NULL, 0 if
 * absent). */
int json_protocol_parse_raw(const struct api_request *req, const char *raw_member, json_t **ret_json,
                            const char **ret_raw, size_t *ret_raw_len, struct error *err);
/* Fill resp with status and body (compact, ASCII-only JSON). */
void json_protocol_reply(struct api_response *resp, int status, json_t *body);
/* Fill resp with err as the service's exception: {"__type", "message"};
 * server faults say only that an internal error occurred. */
void json_protocol_error(struct api_response *resp, const struct api_service *svc, struct error *err);
