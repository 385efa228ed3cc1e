/* cbor_protocol.h - Smithy RPC v2 CBOR: POST /service/<Service>/operation/
 * <Operation> with header smithy-protocol: rpc-v2-cbor and a CBOR body;
 * replies in CBOR (errors {__type, message}) with the same header.  The
 * service is the JSON service whose target prefix is <Service>. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "server/http/api.h"

/* Whether req is an RPC v2 CBOR request. */
bool cbor_protocol_request(const struct api_request *req);
/* "<Service>.<Operation>" from its path, as an X-Amz-Target names them. */
int cbor_protocol_target(const struct api_request *req, char *buf, size_t cap, struct error *err);
/* The body as a JSON object (an empty body is {}). */
int cbor_protocol_parse(const struct api_request *req, json_t **ret, struct error *err);
void cbor_protocol_reply(struct api_response *resp, const struct service_model *model, const char *op, json_t *out);
void cbor_protocol_error(struct api_response *resp, const struct api_service *svc, struct error *err);
