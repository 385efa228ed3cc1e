/* secret_text.h - secret values as a store's text column holds them: the
 * secret box's sealed bytes (secret_box.h), base64.  For values a service
 * keeps (SSM SecureStrings, Secrets Manager secrets); access keys have
 * their own fixed-size form in the keyring. */
#pragma once

#include <stddef.h>

#include "common/buf.h"
#include "common/error.h"
#include "server/iam/secret_box.h"

/* Seal len bytes of plaintext into a malloc'd base64 string (*ret_text). */
int secret_text_seal(const struct secret_box *b, const void *plaintext, size_t len, char **ret_text, struct error *err);
/* Open text (from secret_text_seal) into out; -1 if it is not base64, was
 * altered or was sealed under another key.  The caller wipes out. */
int secret_text_open(const struct secret_box *b, const char *text, struct buf *out, struct error *err);
