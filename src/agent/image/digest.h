/* digest.h - OCI content digests ("sha256:<64 lowercase hex>"), computed
 * incrementally with OpenSSL's EVP interface. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

#define DIGEST_HEX_LEN 64
#define DIGEST_STR_LEN (7 + DIGEST_HEX_LEN) /* "sha256:" + hex */

struct digester;

int digester_new(struct digester **ret, struct error *err);
void digester_free(struct digester *d);
void digester_freep(struct digester **d);
/* Start over (after a failed resume). */
int digester_reset(struct digester *d, struct error *err);
int digester_update(struct digester *d, const void *buf, size_t len, struct error *err);
/* Write "sha256:<hex>" into out (DIGEST_STR_LEN + 1 bytes).  The digester
 * can be reset and reused afterwards. */
int digester_final(struct digester *d, char out[DIGEST_STR_LEN + 1], struct error *err);

/* One-shot digest of a buffer. */
int digest_buffer(const void *buf, size_t len, char out[DIGEST_STR_LEN + 1], struct error *err);
/* Whether s is exactly "sha256:" followed by 64 lowercase hex digits; only
 * such digests are ever used to build paths. */
bool digest_valid(const char *s);
/* The hex part of a valid digest. */
static inline const char *digest_hex(const char *digest) { return digest + 7; }
