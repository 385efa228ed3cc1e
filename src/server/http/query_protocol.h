/* query_protocol.h - the AWS query protocol's bodies (IAM, STS, ELB): a
 * form-encoded request in, an XML reply out (see query_protocol.c). */
#pragma once

#include <jansson.h>

#include "server/http/api.h"

struct service_model;

/* A form body ("Action=ListUsers&MaxItems=2") as a flat JSON object of
 * decoded names to string values (a name given twice: the last wins); -1
 * with ERR_INVALID when it is not one. */
int query_form_parse(const char *body, size_t len, json_t **ret_form, struct error *err);

/* The input of operation op, as the JSON protocols would carry it, from
 * the flat form: structures as "A.B", lists as "A.member.N" (flattened:
 * "A.N"), maps as "A.entry.N.key"/"...value", integers and booleans by the
 * model's type.  Names the model does not know are ignored.  -1 with
 * ERR_INVALID naming the member when a value does not fit its type. */
int query_protocol_input(const struct service_model *model, const char *op, json_t *form, json_t **ret_in,
                         struct error *err);

/* Fill resp with op's reply: <OpResponse xmlns=...><OpResult>out as XML
 * </OpResult><ResponseMetadata><RequestId>, guided by the model's output
 * shape (timestamps given as epoch seconds are written as ISO 8601). */
void query_protocol_reply(struct api_response *resp, const struct service_model *model, const char *op, json_t *out);

/* What an error kind answers with on the query protocol: the service's
 * own kinds (svc->errors) first, then the query protocol's names for the
 * generic and authentication kinds.  svc may be NULL. */
struct api_error query_protocol_error_lookup(const struct api_service *svc, int kind);
/* Fill resp with err as <ErrorResponse><Error><Type><Code><Message>;
 * server faults say only that an internal error occurred.  svc may be
 * NULL (the request was refused before its service was known). */
void query_protocol_error(struct api_response *resp, const struct api_service *svc, struct error *err);
