/* cbor.h - the CBOR (RFC 8949) that Smithy RPC v2 CBOR carries, to and
 * from the JSON values handlers use.  Decoding: maps with text keys,
 * arrays, text, integers, floats (half, single, double), booleans, null,
 * definite and indefinite lengths; byte strings become base64 text; tag 1
 * (epoch seconds) becomes its number; other tags are refused.  Encoding
 * follows the output's model shapes so that timestamps go as tag 1. */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"

struct service_model;

/* A whole CBOR item: 0 with *ret (a new reference), or -1 with
 * API_ERR_SERIALIZATION. */
int cbor_decode(const uint8_t *data, size_t len, json_t **ret, struct error *err);

/* Append v as CBOR; shape (NULL: none) names its model shape, whose
 * timestamps are written as tag 1.  0, or -1 with ERR_INTERNAL when v
 * nests deeper than the decoder's own limit or b ran out of room: b then
 * holds part of a document, which the caller must not send. */
int cbor_encode(struct buf *b, const struct service_model *model, const char *shape, json_t *v, struct error *err);
