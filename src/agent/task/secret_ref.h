/* secret_ref.h - what a Secrets Manager valueFrom names: the secret's ARN
 * and the optional json-key, version-stage and version-id ECS lets follow
 * it ("arn:aws:secretsmanager:R:A:secret:NAME:json-key:version-stage:version-id").
 * Pure: no I/O. */
#pragma once

#include <stdbool.h>

struct secret_ref {
    char arn[2048];
    char key[256], stage[256], id[72]; /* "" when not given */
};

/* Whether valueFrom is a Secrets Manager ARN (else ECS reads an SSM
 * parameter name or ARN). */
bool secret_ref_is_asm(const char *value_from);

/* Split a Secrets Manager valueFrom: the first seven ':'-fields are the
 * secret's ARN, up to three more are json-key, version-stage and
 * version-id (any may be empty).  0, or -1 with *ret unspecified when a
 * part is too long or more than three follow the ARN. */
int secret_ref_parse(const char *value_from, struct secret_ref *ret);
